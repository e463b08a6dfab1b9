"""PyTorch's in-place activations (``F.relu_``, ``F.elu_``, ...): each changes its
tensor and returns it.  ``inplace=True`` of the functions and layers (``F.silu(x,
inplace=True)``, ``nn.ReLU(inplace=True)``) comes here too.

They go through ``inplace.update``, the machinery of ``t += x`` and ``add_``: in grad
mode on a tensor that is not a leaf, the activation is recorded (the same op as the
out-of-place function, so values and gradients are the same) and the tensor takes the
new value; with nothing to record, the tensor's array is overwritten.  A leaf that
requires grad is refused in grad mode, and so is overwriting an array a graph saved
for its backward, as PyTorch's version counter refuses it.

Each activation therefore comes twice: the recorded function, and the same formula on
a plain array (written with the same operations, so the two agree to the last bit).
"""

from __future__ import annotations

import numpy as np

from ..inplace import InPlaceError, update
from ..ops import elementwise as ew
from ..ops.half_activations import activation_in_float32
from ..tensor import Tensor
from . import functional_activation as A
from .activation import elu, silu


class _ActivationUpdate:
    """An activation in the form ``inplace.update`` takes: ``op(t, other)`` records it on
    a tensor and ``forward(array, other)`` computes it on an array (``other`` carries
    drawn values, e.g. rrelu's slopes, or is None)."""

    def __init__(self, name, recorded, on_array):
        self.name, self._recorded, self._on_array = name, recorded, on_array

    def __call__(self, t, other):
        return self._recorded(t, other)

    def forward(self, array, other):
        return self._on_array(array, other)


def apply_in_place(x, where, recorded, on_array, other=None, floats_only=True,
                   kind="an activation"):
    """Change tensor ``x`` in place to ``recorded(x, other)`` (an ``on_array`` twin
    computes the same on ``x``'s array when nothing is recorded); return ``x``.
    ``kind`` names what ``where`` is in the advice given for a leaf that requires grad."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{where}: expected a Tensor to change in place, got "
                        f"{type(x).__name__}; use the out-of-place function "
                        f"({where[:-1]}) on other values")
    if floats_only:
        A.float_tensor(x, where)
    try:
        return update(x, _ActivationUpdate(where, recorded, on_array), other, where)
    except InPlaceError:
        raise
    except RuntimeError as error:
        if not x.requires_grad:
            raise
        # A leaf that requires grad (or a view of one, or a transform's input): the
        # generic advice speaks of updates; an activation has its out-of-place form.
        raise RuntimeError(f"{error} For {kind}: pass inplace=False, or call "
                           f"F.{where[:-1]}, which returns a new tensor.") from error


def _rounded_once(kind, on_array, coefficients=()):
    """``on_array``, but for a float16 array the activation ``kind`` in float32, rounded
    once (the value ``activation_in_float32`` records)."""
    def on_any_array(a, other):
        if a.dtype == np.float16:
            return activation_in_float32.forward(a, kind, coefficients)
        return on_array(a, other)
    return on_any_array


def _elu_family(a, negative_coef, positive_coef, input_scale):
    """``functional_activation._elu_family`` on an array."""
    if a.dtype == np.float16:
        return activation_in_float32.forward(a, "elu",
                                             (negative_coef, positive_coef, input_scale))
    negative = a < 0
    left = np.expm1(np.where(negative, a, 0) * input_scale) * negative_coef
    at_zero = a * (negative_coef * input_scale)
    return np.where(negative, left, np.where(a == 0, at_zero, a * positive_coef))


def relu_(input) -> Tensor:
    """``F.relu`` in place; returns ``input``.

    >>> F.relu_(ad.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return apply_in_place(input, "relu_", lambda t, _: ew.relu(t),
                          lambda a, _: ew.relu.forward(a), floats_only=False)


def leaky_relu_(input, negative_slope: float = 0.01) -> Tensor:
    """``F.leaky_relu`` in place; returns ``input``.

    >>> F.leaky_relu_(ad.tensor([-1.0, 2.0]), 0.1)
    tensor([-0.1,  2. ])
    """
    slope = A.real_number(negative_slope, "leaky_relu_", "negative_slope")
    return apply_in_place(input, "leaky_relu_", lambda t, _: ew.leaky_relu(t, slope),
                          lambda a, _: ew.leaky_relu.forward(a, slope))


def elu_(input, alpha: float = 1.0) -> Tensor:
    """``F.elu`` in place; returns ``input``.

    >>> F.elu_(ad.tensor([-1.0, 2.0]))
    tensor([-0.63212056,  2.        ])
    """
    alpha = A.real_number(alpha, "elu_", "alpha")
    return apply_in_place(input, "elu_", lambda t, _: elu(t, alpha),
                          lambda a, _: _elu_family(a, alpha, 1.0, 1.0))


def selu_(input) -> Tensor:
    """``F.selu`` in place; returns ``input``.

    >>> F.selu_(ad.tensor([-1.0, 1.0]))
    tensor([-1.11133074,  1.05070099])
    """
    negative, positive = A._SELU_ALPHA * A._SELU_SCALE, A._SELU_SCALE
    return apply_in_place(input, "selu_", lambda t, _: A.selu(t),
                          lambda a, _: _elu_family(a, negative, positive, 1.0))


def celu_(input, alpha: float = 1.0) -> Tensor:
    """``F.celu`` in place; returns ``input``.

    >>> F.celu_(ad.tensor([-1.0, 2.0]), alpha=2.0)
    tensor([-0.78693868,  2.        ])
    """
    alpha = A.real_number(alpha, "celu_", "alpha")
    if alpha == 0:
        raise ValueError("celu_: alpha cannot be 0 (CELU divides by it); PyTorch refuses it "
                         "too")
    return apply_in_place(input, "celu_", lambda t, _: A.celu(t, alpha),
                          lambda a, _: _elu_family(a, alpha, 1.0, 1.0 / alpha))


def hardtanh_(input, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``F.hardtanh`` in place; returns ``input``.

    >>> F.hardtanh_(ad.tensor([-2.0, 0.5, 2.0]))
    tensor([-1. ,  0.5,  1. ])
    """
    lo = A.real_number(min_val, "hardtanh_", "min_val")
    hi = A.real_number(max_val, "hardtanh_", "max_val")
    if lo > hi:
        raise ValueError(f"hardtanh_: min_val cannot be greater than max_val, got "
                         f"min_val={lo}, max_val={hi}")
    return apply_in_place(input, "hardtanh_", lambda t, _: A.hardtanh(t, lo, hi),
                          lambda a, _: _hardtanh(a, lo, hi))


def _hardtanh(a, lo, hi):
    """``functional_activation._hardtanh`` on an array."""
    return np.where(a <= lo, lo, np.where(a >= hi, hi, a))


def relu6_(input) -> Tensor:
    """``F.relu6`` in place (``F.relu6(x, inplace=True)``); returns ``input``.

    >>> relu6_(ad.tensor([-1.0, 3.0, 8.0]))
    tensor([0., 3., 6.])
    """
    return apply_in_place(input, "relu6_", lambda t, _: A.relu6(t),
                          lambda a, _: _hardtanh(a, 0.0, 6.0))


def hardsigmoid_(input) -> Tensor:
    """``F.hardsigmoid`` in place (``F.hardsigmoid(x, inplace=True)``); returns ``input``.

    >>> hardsigmoid_(ad.tensor([-4.0, 0.0, 1.5]))
    tensor([0.  , 0.5 , 0.75])
    """
    return apply_in_place(input, "hardsigmoid_", lambda t, _: A.hardsigmoid(t),
                          _rounded_once("hardsigmoid",
                                        lambda a, _: ew.clip.forward(a + 3.0, 0.0, 6.0) / 6.0))


def hardswish_(input) -> Tensor:
    """``F.hardswish`` in place (``F.hardswish(x, inplace=True)``); returns ``input``.

    >>> hardswish_(ad.tensor([-4.0, 1.5, 4.0]))
    tensor([-0.   ,  1.125,  4.   ])
    """
    def on_array(a, _):
        return a * np.where(a <= -3.0, 0.0, np.where(a < 3.0, a + 3.0, 6.0)) / 6.0
    return apply_in_place(input, "hardswish_", lambda t, _: A.hardswish(t),
                          _rounded_once("hardswish", on_array))


def silu_(input) -> Tensor:
    """``F.silu`` in place (``F.silu(x, inplace=True)``); returns ``input``.

    >>> silu_(ad.tensor([0.0, 1.0]))
    tensor([0.        , 0.73105858])
    """
    return apply_in_place(input, "silu_", lambda t, _: silu(t),
                          _rounded_once("silu", lambda a, _: a * ew.sigmoid.forward(a)))


def mish_(input) -> Tensor:
    """``F.mish`` in place (``F.mish(x, inplace=True)``); returns ``input``.

    >>> mish_(ad.tensor([-1.0, 0.0, 1.0]))
    tensor([-0.30340146,  0.        ,  0.86509839])
    """
    def on_array(a, _):
        positive = a > 0
        softplus = np.where(positive, a, 0.0) + np.log1p(np.exp(np.where(positive, -a, a)))
        return a * np.tanh(softplus)
    return apply_in_place(input, "mish_", lambda t, _: A.mish(t),
                          _rounded_once("mish", on_array))


def threshold_(input, threshold: float, value: float) -> Tensor:
    """``F.threshold`` in place; returns ``input``.

    >>> F.threshold_(ad.tensor([0.5, 2.0]), 1.0, -5.0)
    tensor([-5.,  2.])
    """
    limit = A.real_number(threshold, "threshold_", "threshold")
    value = A.real_number(value, "threshold_", "value")
    return apply_in_place(input, "threshold_", lambda t, _: A.threshold(t, limit, value),
                          lambda a, _: np.where(a <= limit, value, a))
