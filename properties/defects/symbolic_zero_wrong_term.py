r"""Resembles rules declared with ``symbolic_zeros=True`` that get the case of a zero tangent wrong (jax-ml/jax#14833, #28144, #39429): this logaddexp tangent rule skips the term of a :class:`jax.custom_derivatives.SymbolicZero`, but where :math:`\dot x` is the zero it keeps :math:`\sigma(x - y)\,\dot y` (the x term's factor, pasted) instead of :math:`\sigma(y - x)\,\dot y`.

Only a derivative in ``y`` alone shows it: where both arguments are
differentiated (``jax.grad(f, argnums=(0, 1))``, ``jax.jvp`` with two
tangents, ``jax.test_util.check_grads``, torch's ``gradcheck``) no tangent is a
symbolic zero and the rule is right. ``softplus`` is the correct rule.
"""

import jax

from properties.defects import expect
from stable_ops import softplus_jvp, softplus_vjp  # noqa: F401  (correct)
from stable_ops import _kernels
from stable_ops.logaddexp import _sigmoid_of_difference

EXPECTED = expect("test_special_values_within_ulp_budget", op="logaddexp", variant="jvp",
                  derivative=((0, 1), "reverse"))


@jax.custom_jvp
def logaddexp_jvp(x, y):
    return _kernels.logaddexp(x, y)


def _jvp(primals, tangents):
    (x, y), (x_dot, y_dot) = primals, tangents
    z = logaddexp_jvp(x, y)
    if isinstance(y_dot, jax.custom_derivatives.SymbolicZero):
        return z, _sigmoid_of_difference(x, y) * x_dot
    if isinstance(x_dot, jax.custom_derivatives.SymbolicZero):
        return z, _sigmoid_of_difference(x, y) * y_dot  # DEFECT: should be sigma(y - x)
    return z, _sigmoid_of_difference(x, y) * x_dot + _sigmoid_of_difference(y, x) * y_dot


logaddexp_jvp.defjvp(_jvp, symbolic_zeros=True)
