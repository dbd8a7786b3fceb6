"""The fast training path behind :func:`backprop.train`.

Each module imports only modules listed above it:

=================  ==========================================================
``divergence``     when training has gone wrong (blow-up, saturation)
``fast_sgd``       the parameters as one flat vector, so ``train`` steps fast
=================  ==========================================================
"""
