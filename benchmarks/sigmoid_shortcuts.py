r"""Shortcuts of stable_ops' float64 sigmoid value, as a report target: which parts of the
double-double evaluation the 0.6 ULP budget needs (issue 16).

Run one variant through the report, on its float64 inputs::

    SIGMOID_SHORTCUT=plain PYTHONPATH=benchmarks python -m properties \
        --target sigmoid_shortcuts --ops sigmoid --dtype float64 --peers '' --no-progress

:math:`\sigma(x) = [x \ge 0] + [x < 0]\,T` over :math:`1 + T`, :math:`T = e^{-|x|}`:

``plain``
    XLA's ``exp`` and a plain divide (what ``jax.nn.sigmoid`` costs).
``ddexp_plaindiv``
    the kernel's double-double :math:`T`, rounded to a double, and a plain divide.
``ddexp_unscaled_plaindiv``
    the same, dividing the unscaled :math:`E_h + E_l` by :math:`1 + T` and scaling last.
``xlaexp_ddiv``
    XLA's ``exp`` as the numerator's and :math:`1 + T`'s high word, and the kernel's
    division by the exact residual (:func:`stable_ops._kernels._div_wide`).

Measured (jax 0.10.2, CPU, 1529 judged inputs; the kernel: 0.525 ULP): ``plain`` 1.70
ULP (at -2.0), ``ddexp_plaindiv`` 1.55 (at -14.56), ``ddexp_unscaled_plaindiv`` 1.55,
``xlaexp_ddiv`` 1.40 (at -37: for :math:`x < 0` the value is about :math:`T`, whose error
passes through whole). Every shortcut is over the budget, so the value needs both the
double-double exponential and the corrected division. Only the value is a variant here;
the derivatives are stable_ops' own rules (their rows match the kernel's).
"""

import os

import jax
import jax.numpy as jnp

from stable_ops import _kernels as K
from stable_ops.sigmoid import _sigmoid_d1  # the kernel's first derivative, with its own rule

SHORTCUT = os.environ.get("SIGMOID_SHORTCUT", "plain")
SHORTCUTS = ("plain", "ddexp_plaindiv", "ddexp_unscaled_plaindiv", "xlaexp_ddiv")
if SHORTCUT not in SHORTCUTS:
    raise ValueError(f"SIGMOID_SHORTCUT={SHORTCUT!r}: expected one of {', '.join(SHORTCUTS)}")


def _value(x):
    x = jnp.asarray(x)
    if x.dtype != jnp.float64:
        return K.sigmoid(x)
    pos = x >= 0
    if SHORTCUT == "plain":
        t = jnp.exp(-jnp.abs(x))
        return jnp.where(pos, 1.0, t) / (1.0 + t)
    if SHORTCUT == "ddexp_plaindiv":
        eh, el, s1, s2 = K._exp_neg_abs_wide(x)
        t = ((eh + el) * s1) * s2
        return jnp.where(pos, 1.0, t) / (1.0 + t)
    if SHORTCUT == "ddexp_unscaled_plaindiv":
        eh, el, s1, s2, uh, ul = K._one_plus_t(x)
        q = jnp.where(pos, 1.0, eh + el) / (uh + ul)
        return (q * jnp.where(pos, 1.0, s1)) * jnp.where(pos, 1.0, s2)
    t = jnp.exp(-jnp.abs(x))  # xlaexp_ddiv
    uh, ul = K._fast_two_sum(1.0, t)
    qh, ql = K._div_wide(jnp.where(pos, 1.0, t), jnp.zeros_like(t), uh, ul)
    return qh + ql


sigmoid_jvp = jax.custom_jvp(_value)
sigmoid_jvp.defjvp(lambda primals, tangents: (_value(primals[0]), _sigmoid_d1(primals[0]) * tangents[0]))
