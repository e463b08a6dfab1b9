"""Hot-path kernels on plain ndarrays (no Tensor import).

Each kernel has a NumPy twin in ``numpy_twins``; ``AUTODIFF_JIT=0`` in the
environment (read at import) selects the twins everywhere.  The ops call only the
names exported here, so a faster implementation can replace a twin without any op
changing.
"""

from __future__ import annotations

import os

from . import numpy_twins as _twins

JIT_ENABLED = os.environ.get("AUTODIFF_JIT", "1") not in ("0", "false", "False", "no")

sigmoid = _twins.sigmoid
sigmoid_backward = _twins.sigmoid_backward
tanh = _twins.tanh
tanh_backward = _twins.tanh_backward
relu = _twins.relu
relu_backward = _twins.relu_backward
softmax = _twins.softmax
softmax_backward = _twins.softmax_backward
log_softmax = _twins.log_softmax
log_softmax_backward = _twins.log_softmax_backward
cross_entropy = _twins.cross_entropy
cross_entropy_backward = _twins.cross_entropy_backward
scatter_add = _twins.scatter_add
