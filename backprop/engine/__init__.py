"""The fast training run behind :func:`backprop.train`.

:func:`backprop.training.sgd` is the book's loop; :func:`~.epochs.train_fast` takes
the same steps faster and with guard rails. Each module imports only modules listed
above it:

=================  ==========================================================
``history``        ``History``: what happened during training (both loops)
``blocks``         products cut into blocks of rows, which BLAS multiplies faster
``divergence``     when training has gone wrong (blow-up, saturation): the rules
``fast_sgd``       the parameters as one flat vector, each step's change in
                   another; each step's cost worked out later, many at once
``epochs``         ``train_fast``: the whole run, epoch by epoch, checked and saved
=================  ==========================================================
"""
