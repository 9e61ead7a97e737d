r"""Our own custom differentiation rules: the harness's showcase target.

* :func:`softplus` -- recommended softplus; it is :func:`softplus_jvp`, because a
  ``custom_jvp`` serves forward mode (``jvp``, ``jacfwd``) and reverse mode
  (JAX transposes the linear tangent rule) and nests to any order, whereas a
  ``custom_vjp`` supports reverse mode only.
* :func:`softplus_jvp`, :func:`softplus_vjp` -- the two rule styles, both tested.
* :func:`sigmoid` -- stable :math:`\sigma`, the derivative of softplus, with a custom
  JVP :math:`\sigma(x)\sigma(-x)` that does not cancel (also ``sigmoid_jvp``), and
  :func:`sigmoid_vjp`, the same as a custom_vjp.
* :func:`log_sigmoid` (= :func:`log_sigmoid_jvp`), :func:`log_sigmoid_vjp` --
  :math:`\log\sigma(x) = -\operatorname{softplus}(-x)`.
* :func:`logaddexp` (= :func:`logaddexp_jvp`), :func:`logaddexp_vjp` --
  :math:`\log(e^x + e^y)` of two broadcast arguments, with a stated convention
  for the gradient at equal infinities (:math:`(1/2, 1/2)`).

Known-bad baselines live in :mod:`stable_ops.naive` (not imported here).
Depends on JAX and numpy only.
"""

from stable_ops.log_sigmoid import log_sigmoid, log_sigmoid_jvp, log_sigmoid_vjp
from stable_ops.logaddexp import logaddexp, logaddexp_jvp, logaddexp_vjp
from stable_ops.sigmoid import sigmoid, sigmoid_jvp, sigmoid_vjp
from stable_ops.softplus import softplus, softplus_jvp, softplus_vjp

__all__ = [
    "softplus",
    "softplus_jvp",
    "softplus_vjp",
    "sigmoid",
    "sigmoid_jvp",
    "sigmoid_vjp",
    "log_sigmoid",
    "log_sigmoid_jvp",
    "log_sigmoid_vjp",
    "logaddexp",
    "logaddexp_jvp",
    "logaddexp_vjp",
]
