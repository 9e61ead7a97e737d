"""``jax.nn`` as a target: ``jax.nn.softplus`` and ``jax.nn.sigmoid``.

Neither is a custom rule: JAX differentiates ``jnp.logaddexp(x, 0)`` and
``lax.logistic``. Both support forward and reverse mode, so they stand in the
``_jvp`` slot. Known defect (jax-ml/jax#40387): the second derivative of
``jax.nn.softplus`` is exactly 0 for x > 14.56 in float32 and x > 33.27 in
float64, where the true value is about e^-x.
"""

import jax

softplus_jvp = jax.nn.softplus
sigmoid_jvp = jax.nn.sigmoid
