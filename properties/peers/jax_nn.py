r"""``jax.nn`` as a target: ``jax.nn.softplus``, ``jax.nn.sigmoid``,
``jax.nn.log_sigmoid`` and ``jax.numpy.logaddexp``.

JAX differentiates ``jnp.logaddexp`` (which has a custom JVP,
:math:`e^{x - \mathrm{out}}`) for softplus, log_sigmoid and logaddexp, and
``lax.logistic`` for sigmoid. All support forward and reverse mode, so they stand
in the ``_jvp`` slot. Known defect (jax-ml/jax#40387): the second derivative of
``jax.nn.softplus`` is exactly 0 for x > 14.56 in float32 and x > 33.27 in
float64, where the true value is about e^-x; that of ``jax.nn.log_sigmoid`` is
0 in float64 from |x| ~ 37.4 (jax-ml/jax#40383); the gradient of
``jnp.logaddexp`` is nan at (-inf, -inf) (jax-ml/jax#1624, #6811).
"""

import jax

softplus_jvp = jax.nn.softplus
sigmoid_jvp = jax.nn.sigmoid
log_sigmoid_jvp = jax.nn.log_sigmoid
logaddexp_jvp = jax.numpy.logaddexp
