"""NumPy as a values-only peer for the report: ``numpy.logaddexp(x, 0)`` for softplus.

Not a JAX target (nothing here can be differentiated): the report measures its
values under the variant name ``numpy`` (:class:`properties.evaluate.Implementation`).
"""

import numpy as np


def softplus_numpy(x):
    return np.logaddexp(x, x.dtype.type(0))
