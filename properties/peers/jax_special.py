"""JAX's hand-written derivative rules as a target: ``<op>_jvp`` for every op of
:mod:`properties.audit_ops` (importing this module registers them).

``pytest --target properties.peers.jax_special`` or ``python -m properties --ops jax``.
They are plain JAX functions with ``custom_jvp`` rules or primitive JVPs (forward and
reverse mode), so they stand in the ``_jvp`` slot. Fixed non-differentiable
parameters: ``log_ndtr``'s ``series_order`` 3 (its default), ``expn``'s ``n`` 2,
``polygamma``'s ``n`` 1. ``sici``'s two outputs are two ops, ``si`` and ``ci``.
"""

import jax
import jax.numpy as jnp
import jax.scipy.special as jss

import properties.audit_ops  # noqa: F401  (registers the ops)

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
