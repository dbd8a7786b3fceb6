"""The chapters' exercise checkers, every one by name: ``bp_ex.check_sigmoid(sigmoid)``.

A checker runs the learner's function on a few fixed cases, prints a short report
and returns True when every case passes. The learner's function runs contained, so
nothing it does makes a checker raise or hang. Each module imports only modules
listed above it:

=================  ==========================================================
``answers``        what a call of a learner's function gave back, made plain
                   and safe to keep and show (:class:`~.answers.Answer`)
``processes``      the processes below a checked call: found, ended, and run
                   as a user id of their own
``namespaces``     a checked call's namespaces: user, PID and mount ones for
                   an ordinary user's, a network one for all, where allowed
``containment``    runs a learner's function in a contained child process
``cases``          a checker's cases: run them contained, judge, report
``lesson``         the checkers of chapters 1-4 (cost, slopes, nudges, wishes)
``gradients``      the checkers of chapters 5-8 (gradients, batches, steps,
                   the chain rule)
=================  ==========================================================
"""
from .gradients import (check_accuracy, check_average_gradient, check_chain_rule,
                        check_line_fit_gradient, check_mini_batches, check_numerical_gradient,
                        check_sgd_step)
from .lesson import (check_desired_nudges, check_example_cost, check_layer_backward,
                     check_sigmoid, check_sigmoid_prime, check_weight_nudges,
                     check_wiggle_estimate, check_wishes_from_pushes)

__all__ = [
    "check_sigmoid", "check_example_cost", "check_sigmoid_prime", "check_wiggle_estimate",
    "check_desired_nudges", "check_weight_nudges", "check_layer_backward",
    "check_wishes_from_pushes", "check_average_gradient", "check_numerical_gradient",
    "check_mini_batches", "check_sgd_step", "check_accuracy", "check_chain_rule",
    "check_line_fit_gradient",
]
