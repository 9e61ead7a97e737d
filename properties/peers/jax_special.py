"""JAX's hand-written derivative rules as a target: ``<op>_jvp`` for every op of
:mod:`properties.audit_ops` (importing this module registers them).

``pytest --target properties.peers.jax_special`` or ``python -m properties --ops jax``.
They are plain JAX functions with ``custom_jvp`` rules or primitive JVPs (forward and
reverse mode), so they stand in the ``_jvp`` slot. Fixed non-differentiable
parameters: ``log_ndtr``'s ``series_order`` 3 (its default), ``expn``'s ``n`` 2,
``polygamma``'s ``n`` 1. ``sici``'s two outputs are two ops, ``si`` and ``ci``.

``expi`` and ``expn(2, .)`` do not return on a batch with one small element (README
finding #19, jax-ml/jax#21760), so they are declared in :data:`DOES_NOT_RETURN`: the
suite and the report skip them, saying so, and ``test_declared_hangs`` checks that
they still hang.
"""

import jax
import jax.numpy as jnp
import jax.scipy.special as jss

import properties.audit_ops  # noqa: F401  (registers the ops)

#: rule -> (why, a statement that shows it): see :mod:`properties.target`.
DOES_NOT_RETURN = {
    "expi_jvp": ("a batch with a small negative element does not return, e.g. "
                 "expi(float32([-1e-10, 2.0])), while each element alone does "
                 "(README finding #19; jax-ml/jax#21760, open)",
                 "import jax.scipy.special as s, numpy as np; "
                 "print(s.expi(np.float32([-1e-10, 2.0])))"),
    "expn2_jvp": ("a batch with a small element does not return, e.g. "
                  "expn(2, float32([1e-30, 2.0])), while each element alone does "
                  "(README finding #19; jax-ml/jax#21760, open)",
                  "import jax.scipy.special as s, numpy as np; "
                  "print(s.expn(2, np.float32([1e-30, 2.0])))"),
}

log1mexp_jvp = jax.nn.log1mexp
relu_jvp = jax.nn.relu
relu6_jvp = jax.nn.relu6
sinc_jvp = jnp.sinc
i0_jvp = jnp.i0
logaddexp2_jvp = jnp.logaddexp2
gammaln_jvp = jss.gammaln
digamma_jvp = jss.digamma
erf_jvp = jss.erf
erfc_jvp = jss.erfc
erfinv_jvp = jss.erfinv
i0e_jvp = jss.i0e
i1e_jvp = jss.i1e
erfcx_jvp = jss.erfcx
dawsn_jvp = jss.dawsn
logit_jvp = jss.logit
entr_jvp = jss.entr
xlogy_jvp = jss.xlogy
xlog1py_jvp = jss.xlog1py
expi_jvp = jss.expi


def log_ndtr_jvp(x):
    return jss.log_ndtr(x, series_order=3)


def polygamma1_jvp(x):
    return jss.polygamma(1, x)


def expn2_jvp(x):
    return jss.expn(2, x)


def si_jvp(x):
    return jss.sici(x)[0]


def ci_jvp(x):
    return jss.sici(x)[1]
