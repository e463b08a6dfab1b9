"""GELU, SiLU, Softplus and ELU: the functions (``F.gelu`` ...) and the layers.

GELU is one fused op (``autodiff.ops.activations``) with a one-pass backward; the
others are short compositions of primitives, written so that output and gradient
stay finite for every finite input.
"""

from __future__ import annotations

from ..ops import elementwise as ew
from ..ops.activations import gelu as _gelu
from ..ops.half_activations import activation_in_float32, rounds_once
from ..ops.operands import constant_argument, tensor_of
from ..tensor import Tensor
from .functional_activation import in_place
from .module import Module


def gelu(x, approximate: str = "none") -> Tensor:
    """``x * Phi(x)``, Phi the standard normal CDF: ``0.5 x (1 + erf(x / sqrt(2)))``.

    ``approximate="tanh"`` uses ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3)))``,
    as PyTorch's ``approximate='tanh'``.

    >>> F.gelu(ad.tensor([-1.0, 0.0, 1.0]))
    tensor([-0.15865525,  0.        ,  0.84134475])
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    x = tensor_of(x)
    if approximate == "none":
        return _gelu(x)
    return _gelu(x, approximate=approximate)


def silu(x, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)`` (also called swish).

    >>> F.silu(ad.tensor([0.0, 1.0]))
    tensor([0.        , 0.73105858])
    """
    if inplace:
        return in_place("silu_")(x)
    x = tensor_of(x)
    if rounds_once(x):
        return activation_in_float32(x, "silu")
    return x * ew.sigmoid(x)


def softplus(x, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, and ``x`` itself where ``beta x > threshold`` (PyTorch).

    A Tensor ``beta`` gets its gradient; ``threshold`` gets none (it only picks the
    branch), so a Tensor that requires grad is refused there.

    >>> F.softplus(ad.tensor([0.0, 30.0]))
    tensor([ 0.69314718, 30.        ])
    """
    threshold = constant_argument(threshold, "softplus", "threshold",
                                  "it only picks the branch")
    if not beta > 0:
        raise ValueError(f"softplus: beta must be > 0, got {beta}")
    x = tensor_of(x)
    if rounds_once(x) and not isinstance(beta, Tensor):
        return activation_in_float32(x, "softplus", (float(beta), float(threshold)))
    unscaled = not isinstance(beta, Tensor) and beta == 1     # (a Tensor 1 gets its gradient)
    scaled = x if unscaled else x * beta
    linear = scaled > threshold
    # The smooth branch sees 0 where the linear one is taken: beta * x may overflow to
    # inf there, and its 0 gradient times logaddexp's at inf would be NaN (the where trap).
    smooth = ew.logaddexp(0.0, ew.where(linear, 0.0, scaled))
    if not unscaled:
        smooth = smooth / beta
    return ew.where(linear, x, smooth)


def elu(x, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``; a Tensor ``alpha`` gets its gradient.

    At ``x = 0`` the slope is ``alpha`` (the left one) and the second derivative 0
    (the right one), as PyTorch takes them.

    >>> F.elu(ad.tensor([-1.0, 2.0]))
    tensor([-0.63212056,  2.        ])
    """
    if inplace:
        return in_place("elu_")(x, alpha)
    x = tensor_of(x)
    if rounds_once(x) and not isinstance(alpha, Tensor):
        return activation_in_float32(x, "elu", (float(alpha), 1.0, 1.0))
    negative = x < 0
    # expm1 only sees x < 0, so a large positive x never overflows in the unused branch.
    # x = 0 exactly gets alpha * x: slope alpha, curvature 0; NaN takes the slope 1.
    return ew.where(negative, alpha * ew.expm1(ew.where(negative, x, 0.0)),
                    ew.where(x == 0, alpha * x, x))


_LAYER_KEEPS_FLOATS = ("the layer keeps it as a float; the function form, e.g. F.elu(x, "
                       "alpha), passes a Tensor its gradient")


class GELU(Module):
    """``F.gelu`` as a layer; ``approximate`` is ``'none'`` (exact, erf) or ``'tanh'``.

    >>> ad.nn.GELU()(ad.tensor([1.0]))
    tensor([0.84134475])
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return gelu(input, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """``x * sigmoid(x)`` as a layer.

    >>> ad.nn.SiLU()(ad.tensor([0.0]))
    tensor([0.])
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, input):
        return silu(input, self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Softplus(Module):
    """``F.softplus`` as a layer.  ``beta`` and ``threshold`` are kept as floats, so
    ``Softplus(2, 10)`` prints ``beta=2.0, threshold=10.0`` where PyTorch's prints the
    ints it was given.

    >>> ad.nn.Softplus(beta=2.0)(ad.tensor([0.0]))
    tensor([0.34657359])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        if not beta > 0:
            raise ValueError(f"Softplus: beta must be > 0, got {beta}")
        self.beta = float(constant_argument(beta, "Softplus", "beta", _LAYER_KEEPS_FLOATS))
        self.threshold = float(constant_argument(threshold, "Softplus", "threshold",
                                                 _LAYER_KEEPS_FLOATS))

    def forward(self, input):
        return softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class ELU(Module):
    """``F.elu`` as a layer.

    >>> ad.nn.ELU(alpha=0.5)(ad.tensor([-1.0]))
    tensor([-0.31606028])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = float(constant_argument(alpha, "ELU", "alpha", _LAYER_KEEPS_FLOATS))
        self.inplace = bool(inplace)

    def forward(self, input):
        return elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")
