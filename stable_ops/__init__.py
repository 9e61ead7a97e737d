r"""Our own custom differentiation rules: the harness's showcase target.

* :func:`softplus` -- recommended softplus; it is :func:`softplus_jvp`, because a
  ``custom_jvp`` serves forward mode (``jvp``, ``jacfwd``) and reverse mode
  (JAX transposes the linear tangent rule) and nests to any order, whereas a
  ``custom_vjp`` supports reverse mode only.
* :func:`softplus_jvp`, :func:`softplus_vjp` -- the two rule styles, both tested.
* :func:`sigmoid` -- stable :math:`\sigma`, the derivative of softplus, with a custom
  JVP :math:`\sigma(x)\sigma(-x)` that does not cancel.

Known-bad baselines live in :mod:`stable_ops.naive` (not imported here).
Depends on JAX and numpy only.
"""

from stable_ops.sigmoid import sigmoid, sigmoid_jvp
from stable_ops.softplus import softplus, softplus_jvp, softplus_vjp

__all__ = ["softplus", "softplus_jvp", "softplus_vjp", "sigmoid", "sigmoid_jvp"]
