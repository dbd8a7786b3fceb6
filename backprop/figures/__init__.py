"""The book's drawings (what the lesson computed in, matplotlib artists out), and a table.

Every drawing takes what the lesson computed (arrays, numbers, a walk downhill, a
training history; never a network itself) and an optional Axes, and returns the
artists it made, so an explorer can change their data later. Blue means
"up" (a positive nudge or weight), red "down". Import a module by name, e.g.
``from backprop.figures import lesson as plots``. Each module imports only modules
listed above it:

=================  ==========================================================
``listing``        not a drawing: a function's source lines, each with its idea
                   (an HTML table)
``lesson``         chapters 1-4: digits, outputs, nudges, sensitivities, wishes
``network``        the whole network, and chapter 1's notation sketch
``descent``        chapters 5-8: costs over two parameters, walks downhill, cost
                   curves, learning curves, digits, a line fitted
``runs``           chapter 7: runs of several seeds, as mean and spread
``graph``          the computational graph of a chain of neurons, traced and drawn
=================  ==========================================================
"""
