"""The book's drawings: plain values in, matplotlib artists out.

Every drawing takes arrays and numbers (never a network) and an optional Axes, and
returns the artists it made, so an explorer can change their data later. Blue means
"up" (a positive nudge or weight), red "down". Import a module by name, e.g.
``from backprop.figures import lesson as plots``. Each module imports only modules
listed above it:

=================  ==========================================================
``lesson``         chapters 1-4: digits, outputs, nudges, sensitivities, wishes
``network``        the whole network, and chapter 1's notation sketch
``descent``        chapters 5-8: costs over two parameters, walks downhill, cost
                   curves, learning curves, digits; the code-beside-ideas table
``runs``           chapter 7: runs of several seeds, as mean and spread
``graph``          chapter 8: the computational graph, traced and drawn
=================  ==========================================================
"""
