"""XLA's elementwise primitives as a target, for the audit of building blocks.

Rules are built from these; their accuracy differs by backend and dtype. The
suite checks their values (they are value-only ops in :mod:`properties.ops`)
against the correctly rounded reference, so that a rule author knows, for the
backend at hand, which can be trusted and where::

    pytest -n auto --target properties.peers.xla_primitives

They are plain JAX functions (forward and reverse mode), so they stand in the
``_jvp`` slot. ``logistic`` is ``jax.lax.logistic``, what ``jax.nn.sigmoid``
calls.
"""

import jax
import jax.numpy as jnp

exp_jvp = jnp.exp
expm1_jvp = jnp.expm1
log_jvp = jnp.log
log1p_jvp = jnp.log1p
logistic_jvp = jax.lax.logistic
tanh_jvp = jnp.tanh
