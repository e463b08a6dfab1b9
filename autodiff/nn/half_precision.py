"""float16 layers rounded once, as PyTorch's CPU kernels round them (linear, conv2d and
conv1d, batch, layer and group norms).

PyTorch computes a float16 ``linear`` or convolution with float32 accumulation and the
bias added before the one rounding to float16.  NumPy's float16 matrix product also
accumulates in float32, but adding the bias afterwards rounds twice: where the product
and the bias nearly cancel, the result is off by many units of its last place (and a
ReLU after it may flip).  ``rounded_once`` computes such a layer in float32 and rounds
at the end; the gradients flow back through the casts, so they too are computed in
float32 and rounded once.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..ops.elementwise import astype
from ..tensor import Tensor

_FLOAT16 = np.dtype(np.float16)


def rounded_once(compute: Callable, *operands):
    """``compute(*operands)``; when every operand given (``None`` is skipped) is a
    float16 Tensor, computed in float32 and rounded to float16 once.

    >>> x = ad.tensor([[1.0, 2.0]], dtype=np.float16)
    >>> w = ad.tensor([[2048.0], [0.5]], dtype=np.float16)
    >>> b = ad.tensor([-2047.0], dtype=np.float16)
    >>> (x @ w + b), rounded_once(lambda x, w, b: x @ w + b, x, w, b)   # 2049 - 2047
    (tensor([[1.]], dtype=float16), tensor([[2.]], dtype=float16))
    """
    given = False
    for o in operands:              # (a loop that stops at the first float32/64 operand:
        if o is None:               # this runs in every Linear and convolution)
            continue
        if not isinstance(o, Tensor) or o.dtype is not _FLOAT16:
            return compute(*operands)
        given = True
    if not given:
        return compute(*operands)
    widened = [None if o is None else astype(o, np.float32) for o in operands]
    return astype(compute(*widened), np.float16)
