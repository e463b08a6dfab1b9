"""More of PyTorch's activations as functions: the hard (piecewise linear) family, SELU,
CELU, Mish, LogSigmoid, Softsign, softmin, GLU, threshold, PReLU, hardshrink and
softshrink.

Each is a composition of differentiable ops, so higher derivatives work.  At a kink
the gradient is PyTorch's: ``hardtanh`` (and ``relu6``) passes none at ``x == min_val``
or ``x == max_val``, ``hardsigmoid`` and ``hardswish`` take the outer piece at
``x == ±3``, ``threshold`` passes none at ``x == threshold``, SELU's slope at 0 is the
left one (``scale * alpha``) and its curvature there 0, as ``F.elu``.

``inplace=True`` changes the input tensor and returns it, as PyTorch's: it is the
in-place twin in ``functional_inplace`` (``F.selu(x, inplace=True)`` is ``F.selu_(x)``).
"""

from __future__ import annotations

import numbers

import numpy as np

from ..ops import compare
from ..ops import elementwise as ew
from ..ops.half_activations import activation_in_float32, rounds_once
from ..ops.operands import constant_argument, tensor_of
from ..ops.registry import defop
from ..ops.shape import reshape, split
from ..tensor import Tensor
from .softmax import _check_float, _dim, _in_dtype, softmax

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def float_tensor(x, where: str, *company) -> Tensor:
    """``x`` as a Tensor, refused (naming ``where``) unless it holds floats; a Python
    number takes its dtype among the other operands ``company`` (``tensor_of``)."""
    _check_float(x, where)
    if isinstance(x, Tensor):
        return x
    return tensor_of(x, *company) if company else Tensor(x)


def in_place(name: str):
    """The in-place twin ``name`` (e.g. ``"relu6_"``) that ``inplace=True`` routes to.

    ``functional_inplace`` builds on this module, so it is imported when first needed.

    >>> in_place("selu_").__name__
    'selu_'
    """
    from . import functional_inplace
    return getattr(functional_inplace, name)


def real_number(value, where: str, name: str, why: str = "it is a number, as in PyTorch"):
    """A real scalar argument (a 0-d Tensor that needs no gradient is taken by value)."""
    value = constant_argument(value, where, name, why)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: {name} must be a real number, got {value!r}")
    return value


def relu6(x, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``: ``hardtanh(x, 0, 6)``, with no gradient at 0 and 6 (PyTorch).

    >>> F.relu6(ad.tensor([-1.0, 3.0, 8.0]))
    tensor([0., 3., 6.])
    """
    if inplace:
        return in_place("relu6_")(x)
    return _hardtanh(float_tensor(x, "relu6"), 0.0, 6.0)


def hardtanh(x, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` clamped to ``[min_val, max_val]``; the gradient is 1 strictly inside, 0 at the
    bounds and outside (PyTorch's; ``ad.clip`` passes it at the bounds).

    >>> F.hardtanh(ad.tensor([-2.0, 0.5, 2.0]))
    tensor([-1. ,  0.5,  1. ])
    """
    if inplace:
        return in_place("hardtanh_")(x, min_val, max_val)
    min_val = real_number(min_val, "hardtanh", "min_val")
    max_val = real_number(max_val, "hardtanh", "max_val")
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val, got "
                         f"min_val={min_val}, max_val={max_val}")
    return _hardtanh(float_tensor(x, "hardtanh"), min_val, max_val)


def _hardtanh(x, lo, hi):
    # Selecting the bounds (not clip) keeps the gradient 0 on a tie; NaN stays NaN with
    # gradient 1, as PyTorch's backward (which zeroes it only where x <= lo or x >= hi).
    return ew.where(x <= lo, lo, ew.where(x >= hi, hi, x))


def hardsigmoid(x, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``: 0 for ``x <= -3``, 1 for ``x >= 3``, linear between; the
    gradient is ``1/6`` strictly between -3 and 3, 0 elsewhere (PyTorch).

    >>> F.hardsigmoid(ad.tensor([-4.0, 0.0, 1.5, 4.0]))
    tensor([0.  , 0.5 , 0.75, 1.  ])
    """
    if inplace:
        return in_place("hardsigmoid_")(x)
    x = float_tensor(x, "hardsigmoid")
    if rounds_once(x):
        return activation_in_float32(x, "hardsigmoid")
    return _hardsigmoid(x)


#: PyTorch's CPU backward of hardsigmoid multiplies by ``1.0f / 6.0f``, a float32
#: constant, in every dtype: in float64 the slope is 0.1666666716337204, not 1/6.
_HARDSIGMOID_SLOPE = float(np.float32(1.0) / np.float32(6.0))


def _hardsigmoid_slope(xp, g, ans, x):
    # Outside (-3, 3), and at NaN, no gradient passes: 0 even for a NaN or inf g.
    inside = xp.logical_and(x > -3.0, x < 3.0)
    return xp.where(inside, g * _HARDSIGMOID_SLOPE, xp.zeros_like(g))


_hardsigmoid = defop(
    "hardsigmoid", lambda x: np.clip(x + 3.0, 0.0, 6.0) / 6.0,
    doc="``clip(x + 3, 0, 6) / 6``; the gradient is PyTorch's: ``g * float32(1/6)`` "
        "strictly between -3 and 3, 0 elsewhere.\n\n"
        ">>> F.hardsigmoid(ad.tensor([-4.0, 0.0, 1.5, 4.0]))\n"
        "tensor([0.  , 0.5 , 0.75, 1.  ])",
    x=("g * float32(1/6) for -3 < x < 3, else 0", _hardsigmoid_slope), reads={"x": ("x",)},
    elementwise=True)


def hardswish(x, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``; the gradient is 0 for ``x <= -3``, 1 for ``x >= 3`` and
    ``x / 3 + 1/2`` between (PyTorch's, which takes the outer pieces at ±3).

    >>> F.hardswish(ad.tensor([-4.0, 0.0, 1.5, 4.0]))
    tensor([-0.   ,  0.   ,  1.125,  4.   ])
    """
    if inplace:
        return in_place("hardswish_")(x)
    x = float_tensor(x, "hardswish")
    if rounds_once(x):
        return activation_in_float32(x, "hardswish")
    # Pieces chosen by x itself, not by x + 3, which can round to 6 just below 3.
    gate = ew.where(x <= -3.0, 0.0, ew.where(x < 3.0, x + 3.0, 6.0))
    return x * gate / 6.0


def _elu_family(x, negative_coef, positive_coef, input_scale):
    """PyTorch's elu kernel: ``expm1(x * input_scale) * negative_coef`` for ``x <= 0``,
    ``x * positive_coef`` above; at 0 the left slope and zero curvature."""
    if rounds_once(x):
        return activation_in_float32(x, "elu", (negative_coef, positive_coef, input_scale))
    negative = x < 0
    # expm1 only sees x < 0, so a large positive x never overflows in the unused branch.
    left = ew.expm1(ew.where(negative, x, 0.0) * input_scale) * negative_coef
    at_zero = x * (negative_coef * input_scale)
    return ew.where(negative, left, ew.where(x == 0, at_zero, x * positive_coef))


def selu(x, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with PyTorch's constants (alpha ≈ 1.6733, scale ≈ 1.0507).

    >>> F.selu(ad.tensor([-1.0, 0.0, 1.0]))
    tensor([-1.11133074,  0.        ,  1.05070099])
    """
    if inplace:
        return in_place("selu_")(x)
    return _elu_family(float_tensor(x, "selu"), _SELU_ALPHA * _SELU_SCALE, _SELU_SCALE, 1.0)


def celu(x, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``; the slope at 0 is 1.  The
    gradient is the exact ``exp(x / alpha)`` for ``x < 0``; PyTorch's backward reads
    ``alpha`` as float32 there, so in float64 its gradient differs from this one by
    ~1e-8 relative for an ``alpha`` float32 does not hold (0.7, 1.3; not 0.5, 1, 2).

    >>> F.celu(ad.tensor([-1.0, 2.0]), alpha=2.0)
    tensor([-0.78693868,  2.        ])
    """
    if inplace:
        return in_place("celu_")(x, alpha)
    alpha = real_number(alpha, "celu", "alpha")
    if alpha == 0:
        raise ValueError("celu: alpha cannot be 0 (CELU divides by it); PyTorch refuses it "
                         "too")
    return _elu_family(float_tensor(x, "celu"), alpha, 1.0, 1.0 / alpha)


def mish(x, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``, finite for large ``|x|``.

    >>> F.mish(ad.tensor([-1.0, 0.0, 1.0]))
    tensor([-0.30340146,  0.        ,  0.86509839])
    """
    if inplace:
        return in_place("mish_")(x)
    x = float_tensor(x, "mish")
    if rounds_once(x):
        return activation_in_float32(x, "mish")
    return x * ew.tanh(_softplus(x))


def _softplus(x):
    """``log(1 + exp(x))`` as ``max(x, 0) + log1p(exp(-|x|))``: ``exp`` only sees
    ``x <= 0``, so the first and second derivatives (``sigmoid(x)``, ``sigmoid'(x)``)
    stay finite for large ``|x|`` too."""
    positive = x > 0
    return ew.where(positive, x, 0.0) + ew.log1p(ew.exp(ew.where(positive, -x, x)))


def logsigmoid(x) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, finite and accurate for large ``|x|``.

    >>> F.logsigmoid(ad.tensor([-1000.0, 0.0, 40.0]))
    tensor([-1.00000000e+03, -6.93147181e-01, -4.24835426e-18])
    """
    x = float_tensor(x, "logsigmoid")
    if rounds_once(x):
        return activation_in_float32(x, "logsigmoid")
    # PyTorch's min(x, 0) - log1p(exp(-|x|)); exp only sees x <= 0 (see _softplus).
    negative = x < 0
    return ew.where(negative, x, 0.0) - ew.log1p(ew.exp(ew.where(negative, x, -x)))


def softsign(x) -> Tensor:
    """``x / (1 + |x|)``.

    >>> F.softsign(ad.tensor([-3.0, 0.0, 1.0]))
    tensor([-0.75,  0.  ,  0.5 ])
    """
    x = float_tensor(x, "softsign")
    if rounds_once(x):
        return activation_in_float32(x, "softsign")
    return x / (ew.abs(x) + 1.0)


def tanhshrink(x) -> Tensor:
    """``x - tanh(x)``.

    >>> F.tanhshrink(ad.tensor([0.0, 1.0]))
    tensor([0.        , 0.23840584])
    """
    x = float_tensor(x, "tanhshrink")
    if rounds_once(x):
        return activation_in_float32(x, "tanhshrink")
    return x - ew.tanh(x)


def hardshrink(x, lambd: float = 0.5) -> Tensor:
    """0 where ``-lambd <= x <= lambd``, else ``x``; the gradient is 1 outside that band
    (and at NaN, which stays NaN), 0 inside, as PyTorch's.

    >>> F.hardshrink(ad.tensor([-1.0, 0.3, 0.5, 2.0]))
    tensor([-1.,  0.,  0.,  2.])
    """
    lambd = real_number(lambd, "hardshrink", "lambd", "it only picks the branch")
    x = float_tensor(x, "hardshrink")
    return ew.where(_in_band(x, lambd), 0.0, x)


def softshrink(x, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, 0 between (``lambd``
    must be >= 0, as PyTorch requires); the gradient is 1 outside the band, 0 inside.

    >>> F.softshrink(ad.tensor([-1.0, 0.3, 2.0]))
    tensor([-0.5,  0. ,  1.5])
    """
    lambd = real_number(lambd, "softshrink", "lambd", "it is a number, as in PyTorch")
    if not lambd >= 0:
        raise ValueError(f"softshrink: lambd must be >= 0, got {lambd} (PyTorch refuses a "
                         "negative one too)")
    x = float_tensor(x, "softshrink")
    if rounds_once(x):
        return activation_in_float32(x, "softshrink", (float(lambd),))
    # sign(x) carries no gradient and keeps NaN as NaN, as PyTorch does.
    return ew.where(_in_band(x, lambd), 0.0, x - lambd * ew.sign(x))


def _in_band(x, lambd):
    """``-lambd <= x <= lambd`` (False at NaN, so NaN passes through)."""
    return compare.logical_and(x >= -lambd, x <= lambd)


def softmin(x, dim: int | None = None, *, axis: int | None = None, dtype=None) -> Tensor:
    """``softmax(-x)`` along ``dim`` (or ``axis``), chosen as in ``F.softmax`` (``dtype``:
    the input converted to it first).

    >>> F.softmin(ad.tensor([0.0, np.log(3.0)]), dim=0)
    tensor([0.75, 0.25])
    """
    x = float_tensor(_in_dtype(x, dtype), "softmin")
    return softmax(-x, axis=_dim(x, axis, dim, "softmin"))


def glu(x, dim: int = -1) -> Tensor:
    """The gated linear unit: ``a * sigmoid(b)``, ``a`` and ``b`` the two halves of ``x``
    along ``dim`` (which must have even size).

    >>> F.glu(ad.tensor([[1.0, 2.0, 0.0, 0.0]]))
    tensor([[0.5, 1. ]])
    """
    x = float_tensor(x, "glu")
    if x.ndim == 0:
        raise ValueError("glu: the input is 0-d, but glu halves an axis; pass an input "
                         "with at least one axis of even size")
    axis = checked_axis(dim, x.ndim, "glu", x.shape)
    if x.shape[axis] % 2:
        raise ValueError(f"glu: the halved axis must have even size, but dim={dim} of the "
                         f"input of shape {x.shape} has size {x.shape[axis]}")
    first, second = split(x, 2, axis=axis)
    return first * ew.sigmoid(second)


def checked_axis(dim, ndim: int, where: str, shape) -> int:
    """``dim`` as an axis in ``[0, ndim)`` (a 0-d input takes ``dim`` 0 or -1, as
    PyTorch), or an error naming ``where`` and the shape."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{where}: dim must be an int, got {dim!r}")
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise ValueError(f"{where}: dim={dim} is out of range for an input of shape "
                         f"{tuple(shape)} (dims must be in [{-size}, {size - 1}])")
    return int(dim) % size


def threshold(x, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value``; no gradient at ``x == threshold``.

    >>> F.threshold(ad.tensor([0.5, 1.0, 2.0]), 1.0, -5.0)
    tensor([-5., -5.,  2.])
    """
    if inplace:
        return in_place("threshold_")(x, threshold, value)
    threshold = real_number(threshold, "threshold", "threshold", "it only picks the branch")
    value = real_number(value, "threshold", "value")
    x = float_tensor(x, "threshold")
    return ew.where(x <= threshold, value, x)


def prelu(x, weight) -> Tensor:
    """``x`` where ``x > 0``, else ``weight * x``, ``weight`` one slope (shape ``(1,)`` or
    ``()``; the only choice for a 0-d input) or one per channel (shape ``(C,)``,
    broadcast over axis 1, as PyTorch).

    ``weight`` gets ``x * g`` where ``x <= 0``; at ``x == 0`` the slope is ``weight``.

    >>> F.prelu(ad.tensor([[-1.0, 2.0], [-4.0, -1.0]]), ad.tensor([0.5, 0.1]))
    tensor([[-0.5,  2. ],
            [-2. , -0.1]])
    """
    x = float_tensor(x, "prelu")
    weight = float_tensor(weight, "prelu")
    if weight.ndim > 1:
        raise ValueError(f"prelu: weight must be 0-d or 1-D (one slope per channel), got "
                         f"shape {weight.shape}")
    channels = x.shape[1] if x.ndim >= 2 else 1
    if weight.size != 1 and weight.size != channels:
        raise ValueError(
            f"prelu: weight has {weight.size} slopes but the input of shape {x.shape} has "
            f"{channels} channel(s) (axis 1, or 1 for a 0-d or 1-D input); pass 1 slope or "
            f"{channels}")
    shape = (weight.size,) + (1,) * (x.ndim - 2) if weight.size > 1 else ()
    return ew.leaky_relu(x, reshape(weight, shape))
