"""More of PyTorch's activation layers and small layers, with PyTorch's arguments and reprs:
ReLU6, Hardtanh, Hardsigmoid, Hardswish, SELU, CELU, Mish, LogSigmoid, Softsign, Softmax,
LogSoftmax, Softmin, GLU, Threshold, PReLU, Unflatten, CosineSimilarity, PairwiseDistance,
Tanhshrink, Softmax2d, Hardshrink, Softshrink.

Each computes the function of the same name in ``functional_activation`` or
``functional_distance``.  ``inplace=True`` changes the input tensor and returns it, as
PyTorch's layers (and shows in the repr where PyTorch shows it).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..ops.shape import reshape
from ..tensor import Tensor
from . import functional_activation as A
from . import functional_distance as D
from .module import Module, Parameter
from .reset import refill
from .softmax import log_softmax, softmax


class _Elementwise(Module):
    """An activation that takes PyTorch's ``inplace``."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = bool(inplace)

    def _inplace_repr(self, shown: str = "") -> str:
        """``shown`` followed by PyTorch's ``inplace=True`` when it is set."""
        if not self.inplace:
            return shown
        return f"{shown}, inplace=True" if shown else "inplace=True"


class Hardtanh(_Elementwise):
    """``F.hardtanh`` as a layer: clamp to ``[min_val, max_val]`` (``max_val > min_val``).

    ``min_value`` / ``max_value`` are PyTorch's deprecated names of ``min_val`` /
    ``max_val``: given, they replace them, with a ``FutureWarning`` (as in PyTorch).

    >>> ad.nn.Hardtanh(-2.0, 2.0)(ad.tensor([-3.0, 1.0, 3.0]))
    tensor([-2.,  1.,  2.])
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None):
        super().__init__(inplace)
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated and renamed to "
                          "`min_val`", FutureWarning, stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and renamed to "
                          "`max_val`", FutureWarning, stacklevel=2)
            max_val = max_value
        self.min_val = A.real_number(min_val, type(self).__name__, "min_val")
        self.max_val = A.real_number(max_val, type(self).__name__, "max_val")
        if not self.max_val > self.min_val:
            raise ValueError(f"{type(self).__name__}: max_val ({self.max_val}) must be "
                             f"greater than min_val ({self.min_val})")

    def forward(self, input) -> Tensor:
        return A.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return self._inplace_repr(f"min_val={self.min_val}, max_val={self.max_val}")


class ReLU6(Hardtanh):
    """``min(max(x, 0), 6)`` as a layer (a ``Hardtanh(0, 6)``, as in PyTorch).

    >>> ad.nn.ReLU6()(ad.tensor([-1.0, 3.0, 8.0]))
    tensor([0., 3., 6.])
    """

    def __init__(self, inplace: bool = False):
        super().__init__(0.0, 6.0, inplace)

    def forward(self, input) -> Tensor:
        return A.relu6(input, self.inplace)

    def extra_repr(self) -> str:
        return self._inplace_repr()


class Hardsigmoid(_Elementwise):
    """``F.hardsigmoid`` as a layer.

    >>> ad.nn.Hardsigmoid()(ad.tensor([0.0, 4.0]))
    tensor([0.5, 1. ])
    """

    def forward(self, input) -> Tensor:
        return A.hardsigmoid(input, self.inplace)


class Hardswish(_Elementwise):
    """``F.hardswish`` as a layer.

    >>> ad.nn.Hardswish()(ad.tensor([1.5, 4.0]))
    tensor([1.125, 4.   ])
    """

    def forward(self, input) -> Tensor:
        return A.hardswish(input, self.inplace)


class SELU(_Elementwise):
    """``F.selu`` as a layer.

    >>> ad.nn.SELU()(ad.tensor([1.0]))
    tensor([1.05070099])
    """

    def forward(self, input) -> Tensor:
        return A.selu(input, self.inplace)

    def extra_repr(self) -> str:
        return self._inplace_repr()


class CELU(_Elementwise):
    """``F.celu`` as a layer (``alpha != 0``).

    >>> ad.nn.CELU(alpha=2.0)(ad.tensor([-1.0]))
    tensor([-0.78693868])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__(inplace)
        self.alpha = A.real_number(alpha, "CELU", "alpha")
        if self.alpha == 0:
            raise ValueError("CELU: alpha cannot be 0 (CELU divides by it)")

    def forward(self, input) -> Tensor:
        return A.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return self._inplace_repr(f"alpha={self.alpha}")


class Mish(_Elementwise):
    """``F.mish`` as a layer.

    >>> ad.nn.Mish()(ad.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, input) -> Tensor:
        return A.mish(input, self.inplace)

    def extra_repr(self) -> str:
        return self._inplace_repr()


class LogSigmoid(Module):
    """``F.logsigmoid`` as a layer.

    >>> ad.nn.LogSigmoid()(ad.tensor([0.0]))
    tensor([-0.69314718])
    """

    def forward(self, input) -> Tensor:
        return A.logsigmoid(input)


class Softsign(Module):
    """``F.softsign`` as a layer.

    >>> ad.nn.Softsign()(ad.tensor([1.0]))
    tensor([0.5])
    """

    def forward(self, input) -> Tensor:
        return A.softsign(input)


class Tanhshrink(Module):
    """``F.tanhshrink`` (``x - tanh(x)``) as a layer.

    >>> ad.nn.Tanhshrink()(ad.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, input) -> Tensor:
        return A.tanhshrink(input)


class Hardshrink(Module):
    """``F.hardshrink`` as a layer: 0 where ``|x| <= lambd``, else ``x``.

    >>> ad.nn.Hardshrink(1.0)(ad.tensor([-2.0, 0.5]))
    tensor([-2.,  0.])
    """

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = A.real_number(lambd, "Hardshrink", "lambd")

    def forward(self, input) -> Tensor:
        return A.hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(Module):
    """``F.softshrink`` as a layer: ``x`` moved ``lambd`` toward 0, and 0 where
    ``|x| <= lambd``.

    >>> ad.nn.Softshrink(1.0)(ad.tensor([-2.0, 0.5]))
    tensor([-1.,  0.])
    """

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = A.real_number(lambd, "Softshrink", "lambd")
        if not self.lambd >= 0:
            raise ValueError(f"Softshrink: lambd must be >= 0, got {self.lambd}")

    def forward(self, input) -> Tensor:
        return A.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softmax2d(Module):
    """``F.softmax`` over the channels (axis -3) of (N, C, H, W) or (C, H, W) input, at
    each position, as ``torch.nn.Softmax2d``.

    >>> ad.nn.Softmax2d()(ad.tensor(np.zeros((1, 4, 2, 2))))[0, :, 0, 0]
    tensor([0.25, 0.25, 0.25, 0.25])
    """

    def forward(self, input) -> Tensor:
        shape = tuple(input.shape) if isinstance(input, Tensor) else np.shape(input)
        if len(shape) not in (3, 4):
            raise ValueError(f"Softmax2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, "
                             f"got shape {shape}; for another axis use Softmax(dim=...)")
        return softmax(input, dim=-3)


class _AlongDim(Module):
    """A layer that works along one axis ``dim`` (``None``: as ``F.softmax`` chooses)."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, (int, np.integer))):
            raise TypeError(f"{type(self).__name__}: dim must be an int or None, got {dim!r}")
        self.dim = None if dim is None else int(dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """``F.softmax`` along ``dim`` as a layer.

    >>> ad.nn.Softmax(dim=1)(ad.tensor([[0.0, 0.0]]))
    tensor([[0.5, 0.5]])
    """

    def forward(self, input) -> Tensor:
        return softmax(input, dim=self.dim)


class LogSoftmax(_AlongDim):
    """``F.log_softmax`` along ``dim`` as a layer.

    >>> ad.nn.LogSoftmax(dim=1)(ad.tensor([[0.0, 0.0]]))
    tensor([[-0.69314718, -0.69314718]])
    """

    def forward(self, input) -> Tensor:
        return log_softmax(input, dim=self.dim)


class Softmin(_AlongDim):
    """``F.softmin`` (``softmax(-x)``) along ``dim`` as a layer.

    >>> ad.nn.Softmin(dim=0)(ad.tensor([0.0, np.log(3.0)]))
    tensor([0.75, 0.25])
    """

    def forward(self, input) -> Tensor:
        return A.softmin(input, dim=self.dim)


class GLU(_AlongDim):
    """``F.glu`` as a layer: halves ``dim`` (default -1) into ``a, b``, gives ``a * sigmoid(b)``.

    >>> ad.nn.GLU()(ad.tensor(np.zeros((2, 6)))).shape
    (2, 3)
    """

    def __init__(self, dim: int = -1):
        super().__init__(dim)

    def forward(self, input) -> Tensor:
        return A.glu(input, self.dim)


class Threshold(_Elementwise):
    """``F.threshold`` as a layer: ``x`` where ``x > threshold``, else ``value``.

    >>> ad.nn.Threshold(0.1, 20.0)(ad.tensor([0.0, 1.0]))
    tensor([20.,  1.])
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__(inplace)
        self.threshold = A.real_number(threshold, "Threshold", "threshold")
        self.value = A.real_number(value, "Threshold", "value")

    def forward(self, input) -> Tensor:
        return A.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return self._inplace_repr(f"threshold={self.threshold}, value={self.value}")


class PReLU(Module):
    """A leaky ReLU whose negative slope ``weight`` is learned: ``num_parameters`` slopes
    (1, or one per channel of axis 1), each starting at ``init``; see ``F.prelu``.

    >>> layer = ad.nn.PReLU(2, init=0.5)
    >>> layer(ad.tensor([[-2.0, -2.0]])).sum().backward()
    >>> layer.weight.grad, list(layer.state_dict())
    (array([-2., -2.]), ['weight'])
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, *, dtype=np.float64):
        super().__init__()
        if (isinstance(num_parameters, bool) or not isinstance(num_parameters, (int, np.integer))
                or num_parameters < 1):
            raise ValueError(f"PReLU: num_parameters must be a positive int, got "
                             f"{num_parameters!r}")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"PReLU: dtype must be a floating-point type such as float64 or "
                            f"float32, not {dtype}")
        self.num_parameters = int(num_parameters)
        init = A.real_number(init, "PReLU", "init")
        self.init = init
        self.weight = Parameter(np.full(self.num_parameters, init, dtype=dtype))

    def forward(self, input) -> Tensor:
        return A.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"

    def reset_parameters(self) -> None:
        """``weight`` filled with ``init`` again, in place."""
        refill(self, weight=self.init)


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size`` (a tuple or list of ints, at most one
    ``-1``), as ``torch.nn.Unflatten``: the inverse of ``Flatten``.

    >>> ad.nn.Unflatten(1, (2, 5))(ad.tensor(np.zeros((3, 10)))).shape
    (3, 2, 5)
    """

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"Unflatten: dim must be an int, got {dim!r}")
        if not isinstance(unflattened_size, (tuple, list)) or not all(
                isinstance(n, (int, np.integer)) and not isinstance(n, bool)
                and (n >= 0 or n == -1) for n in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple or list of sizes "
                            f"(ints >= 0, at most one -1), got {unflattened_size!r}")
        if sum(n == -1 for n in unflattened_size) > 1:
            raise ValueError(f"Unflatten: unflattened_size {unflattened_size!r} has more "
                             "than one -1; only one size can be inferred")
        self.dim = int(dim)
        self.unflattened_size = unflattened_size

    def forward(self, input) -> Tensor:
        input = input if isinstance(input, Tensor) else Tensor(input)
        where = f"Unflatten(dim={self.dim}, unflattened_size={self.unflattened_size!r})"
        if input.ndim == 0 or not -input.ndim <= self.dim < input.ndim:
            raise ValueError(f"{where}: dim is out of range for an input of shape {input.shape}")
        axis = self.dim % input.ndim
        sizes = [int(n) for n in self.unflattened_size]
        size = input.shape[axis]
        known = int(np.prod([n for n in sizes if n != -1], dtype=np.int64))
        if -1 in sizes and known > 0 and size % known == 0:
            sizes[sizes.index(-1)] = size // known
        elif -1 in sizes or known != size:
            raise ValueError(f"{where}: the sizes {tuple(self.unflattened_size)} do not "
                             f"multiply to the size {size} of axis {axis} of the input of "
                             f"shape {input.shape}")
        return reshape(input, input.shape[:axis] + tuple(sizes) + input.shape[axis + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size!r}"


class CosineSimilarity(Module):
    """``F.cosine_similarity(x1, x2, dim, eps)`` as a layer.

    >>> ad.nn.CosineSimilarity(dim=0)(ad.tensor([1.0, 0.0]), ad.tensor([2.0, 0.0]))
    tensor(1.)
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1, x2) -> Tensor:
        return D.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """``F.pairwise_distance(x1, x2, p, eps, keepdim)`` as a layer.

    >>> ad.nn.PairwiseDistance(eps=0.0)(ad.tensor([[0.0, 0.0]]), ad.tensor([[3.0, 4.0]]))
    tensor([5.])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        super().__init__()
        self.norm = D.norm_order(p, "PairwiseDistance")
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1, x2) -> Tensor:
        return D.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
