"""Root-mean-square normalisation: ``F.rms_norm`` and ``nn.RMSNorm``, as PyTorch's.

Each slice over the trailing ``normalized_shape`` axes is divided by its root mean
square, then multiplied by ``weight``::

    y = x / sqrt(mean(x**2) + eps) * weight

``eps=None`` means the machine epsilon of the input's dtype (``np.finfo(dtype).eps``,
PyTorch's ``torch.finfo(dtype).eps``).  A float16 input is computed in float32 with
float32's epsilon and rounded back, as PyTorch computes it.  The function is a
composition of recorded ops (square, mean, sqrt, divide), so its gradients of every
order come from theirs; no mean is subtracted, so an all-zero slice stays finite.
"""

from __future__ import annotations

import numpy as np

from ..ops import elementwise as ew
from ..ops import reduce as rd
from ..ops.operands import constant_argument, tensor_of
from ..tensor import Tensor
from .module import Module, Parameter
from .reset import refill
from .modules import _float_dtype
from .normalization import _check_same_dtype, _normalized_shape, _shape_of


def _eps(eps, where):
    eps = constant_argument(eps, where, "eps", "it only keeps the division finite")
    if eps is None:
        return None
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: eps must be a number or None (the dtype's machine "
                        f"epsilon), got {eps!r}")
    eps = float(eps)
    if not eps >= 0:
        raise ValueError(f"{where}: eps must be >= 0 (it is added to the mean square), "
                         f"got {eps}")
    return eps


def rms_norm(input, normalized_shape, weight=None, eps: float | None = None,
             *, where: str = "rms_norm") -> Tensor:
    """Divide each slice over the last ``len(normalized_shape)`` axes by its root mean
    square, then ``* weight``: ``x / sqrt(mean(x**2) + eps) * weight``, as
    ``torch.nn.functional.rms_norm`` (``eps=None``: ``np.finfo(x.dtype).eps``).

    >>> F.rms_norm(ad.tensor([[3.0, 4.0], [1.0, -1.0]]), (2,), eps=0.0)
    tensor([[ 0.84852814,  1.13137085],
            [ 1.        , -1.        ]])
    """
    shape = _normalized_shape(normalized_shape, where)
    in_shape = _shape_of(input)
    k = len(shape)
    if len(in_shape) < k or in_shape[len(in_shape) - k:] != shape:
        raise ValueError(
            f"{where}: expected an input whose last {k} axis size(s) are {shape} "
            f"(shape (*, {', '.join(map(str, shape))})), got shape {in_shape}")
    x = tensor_of(input)
    if x.dtype.kind != "f":
        raise TypeError(f"{where}: expected floating-point values, got dtype {x.dtype}; "
                        "convert first, e.g. x.astype(np.float32)")
    if weight is not None and _shape_of(weight) != shape:
        raise ValueError(f"{where}: weight must have shape normalized_shape = {shape}, got "
                         f"{_shape_of(weight)}")
    _check_same_dtype(where, "weight", weight, x.dtype)
    eps = _eps(eps, where)
    dtype = x.dtype
    compute = np.dtype(np.float32) if dtype == np.float16 else dtype
    if compute != dtype:
        x = ew.astype(x, compute)
    if eps is None:
        eps = float(np.finfo(compute).eps)
    axes = tuple(range(x.ndim - k, x.ndim))
    mean_square = rd.mean(x * x, axis=axes, keepdims=True)
    out = x / ew.sqrt(mean_square + compute.type(eps))
    if compute != dtype:
        out = ew.astype(out, dtype)
    return out if weight is None else out * weight


class RMSNorm(Module):
    """``F.rms_norm`` over the trailing ``normalized_shape`` axes with a learned scale
    ``weight`` (ones, shape ``normalized_shape``; ``elementwise_affine=False`` leaves it
    out), as ``torch.nn.RMSNorm``.  ``eps=None`` is the input dtype's machine epsilon.

    >>> norm = ad.nn.RMSNorm(4)
    >>> norm
    RMSNorm((4,), eps=None, elementwise_affine=True)
    >>> norm(ad.tensor(np.arange(8.0).reshape(2, 4))).shape, list(norm.state_dict())
    ((2, 4), ['weight'])
    """

    def __init__(self, normalized_shape, eps: float | None = None,
                 elementwise_affine: bool = True, *, dtype=np.float64):
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape, "RMSNorm")
        self.eps = _eps(eps, "RMSNorm")
        self.elementwise_affine = bool(elementwise_affine)
        dtype = _float_dtype(dtype, "RMSNorm")
        self.register_parameter("weight", Parameter(np.ones(self.normalized_shape, dtype))
                                if self.elementwise_affine else None)

    def forward(self, x):
        return rms_norm(x, self.normalized_shape, self.weight, self.eps,
                        where=f"RMSNorm({self.extra_repr()})")

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")

    def reset_parameters(self) -> None:
        """``weight`` ones again, in place."""
        refill(self, weight=1)
