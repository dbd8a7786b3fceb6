"""The course's explorers: live figures that work in Jupyter and in the static book.

Each explorer is a Python class (the maths: it computes every number the figure can
show) beside a small front-end module of the same name (the drawing and the
controls), both in this folder:

=====================  ========================================================
``base``               what they share: the ``data`` trait, packing, checks
``inputs``             the input checks chapters 2-4's explorers share
``drawing``            a digit drawn on the pad, made into the 28 x 28 image the
                       network reads (``drawing.js`` does the same in the browser)
``pad_digits``         hand-designed strokes of the digits 0-9, drawn as a reader would
``whole_network``      the whole 784-16-16-10 network, nudges walked back, a
                       drawing pad (``mirror.js`` computes the drawn digit)
``sensitivity``        chapter 2: wiggle parameters A and B, measured vs predicted
``nudges``             chapter 3: one example's three avenues, backprop vs Hebb
``stepper``            chapter 4: the wishes walked back one layer per step
``sgd``                chapter 6: gradient descent vs mini-batch SGD walks
``training``           chapter 7: the digit network trained in the browser
                       (``trainer.js`` follows ``backprop.sgd`` line by line)
``page``               an explorer as a standalone HTML page (no kernel needed)
=====================  ========================================================

``common.js`` holds the drawing helpers every front-end module shares, and
``runtime.js`` renders saved explorers in a page that has no kernel (the book).
"""
from .base import Explorer, pack, unpack
from .nudges import NudgeExplorer
from .page import save_html, standalone_html
from .sensitivity import SensitivityExplorer
from .sgd import SGDExplorer, sgd_problems
from .stepper import StepperExplorer
from .training import TrainingExplorer
from .whole_network import NetworkExplorer

__all__ = ["Explorer", "pack", "unpack", "NetworkExplorer", "SensitivityExplorer",
           "NudgeExplorer", "StepperExplorer", "SGDExplorer", "TrainingExplorer", "sgd_problems",
           "save_html", "standalone_html"]
