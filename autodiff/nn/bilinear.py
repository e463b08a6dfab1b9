"""Bilinear and ``F.bilinear``: ``y[..., o] = x1[..., :] @ weight[o] @ x2[..., :] + bias[o]``,
with ``weight`` in PyTorch's layout ``(out_features, in1_features, in2_features)``.

The product is one ``einsum`` over the flattened batch, so gradients of every order
(for both inputs, the weight and the bias) come from einsum's rule.
"""

from __future__ import annotations

import math

import numpy as np

from ..ops.linalg import einsum
from ..ops.shape import reshape
from ..tensor import Tensor
from .functional_activation import float_tensor
from .module import Module, Parameter, _generator
from .reset import redraw_uniform


def bilinear(input1, input2, weight, bias=None, *, where: str = "bilinear") -> Tensor:
    """``input1 @ weight[o] @ input2 + bias[o]`` for each output ``o``, as PyTorch's
    ``bilinear``.

    ``input1`` is ``(*, in1)`` and ``input2`` ``(*, in2)`` with the same leading axes
    ``*`` (none for one pair of vectors); ``weight`` is ``(out, in1, in2)`` and ``bias``
    ``None`` or ``(out,)``.  The result is ``(*, out)``.  All must share one float dtype.

    >>> x1, x2 = ad.tensor([[1.0, 2.0]]), ad.tensor([[1.0, 0.0, 1.0]])
    >>> F.bilinear(x1, x2, ad.tensor(np.ones((2, 2, 3))), ad.tensor([0.0, 1.0]))
    tensor([[6., 7.]])
    """
    x1 = float_tensor(input1, where)
    x2 = float_tensor(input2, where)
    weight = float_tensor(weight, where)
    if weight.ndim != 3:
        raise ValueError(f"{where}: weight must be 3-d (out_features, in1_features, "
                         f"in2_features), as PyTorch's, got shape {weight.shape}")
    out_features, in1, in2 = weight.shape
    for name, x, size in (("input1", x1, in1), ("input2", x2, in2)):
        if x.ndim == 0 or x.shape[-1] != size:
            raise ValueError(f"{where}: {name}'s last axis must have {size} entries to match "
                             f"weight of shape {weight.shape} (out_features, in1_features, "
                             f"in2_features), got {name} of shape {x.shape}")
    if x1.shape[:-1] != x2.shape[:-1]:
        raise ValueError(f"{where}: input1 and input2 must have the same leading (batch) axes, "
                         f"got shapes {x1.shape} and {x2.shape} (they are not broadcast, as "
                         "in PyTorch)")
    if bias is not None:
        bias = float_tensor(bias, where)
        if bias.shape != (out_features,):
            raise ValueError(f"{where}: bias must have shape ({out_features},), one value per "
                             f"output feature, got shape {bias.shape}")
    tensors = {"input1": x1, "input2": x2, "weight": weight, "bias": bias}
    dtypes = {name: t.dtype for name, t in tensors.items() if t is not None}
    if len(set(dtypes.values())) > 1:
        listed = ", ".join(f"{name} {dtype}" for name, dtype in dtypes.items())
        raise TypeError(f"{where}: all arrays must have the same dtype, as in PyTorch, got "
                        f"{listed}; convert the inputs (x.astype(...)), or build the layer "
                        f"with the inputs' dtype (dtype=np.{x1.dtype})")
    batch = x1.shape[:-1]
    rows = int(np.prod(batch, dtype=np.int64))
    out = einsum("bi,oij,bj->bo", reshape(x1, (rows, in1)), weight, reshape(x2, (rows, in2)))
    if bias is not None:
        out = out + bias
    return reshape(out, batch + (out_features,))


class Bilinear(Module):
    """``F.bilinear`` as a layer: ``y[..., o] = x1 @ weight[o] @ x2 + bias[o]``.

    ``weight`` is ``(out_features, in1_features, in2_features)`` and ``bias``
    ``(out_features,)``, both starting uniform in ``±1/sqrt(in1_features)`` as in
    PyTorch, drawn from ``rng`` (a ``np.random.Generator`` or int seed; default: the
    generator set by ``ad.nn.manual_seed``).  Call it with two inputs, ``(*, in1)``
    and ``(*, in2)``.

    >>> layer = ad.nn.Bilinear(3, 4, 2, rng=0)
    >>> layer(ad.tensor(np.ones((5, 3))), ad.tensor(np.ones((5, 4)))).shape
    (5, 2)
    >>> layer
    Bilinear(in1_features=3, in2_features=4, out_features=2, bias=True)
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, *, rng=None, dtype=np.float64):
        super().__init__()
        sizes = []
        for name, value in (("in1_features", in1_features), ("in2_features", in2_features),
                            ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Bilinear: {name} must be a positive int, got {value!r}")
            sizes.append(int(value))
        self.in1_features, self.in2_features, self.out_features = sizes
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Bilinear: dtype must be a floating-point type such as float64 or "
                            f"float32, not {dtype}")
        gen = _generator(rng)
        bound = 1.0 / math.sqrt(self.in1_features)
        shape = (self.out_features, self.in1_features, self.in2_features)
        self.weight = Parameter(gen.uniform(-bound, bound, shape).astype(dtype))
        if bias:
            self.bias = Parameter(gen.uniform(-bound, bound, (self.out_features,)).astype(dtype))
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self, *, rng=None) -> None:
        """Weight and bias uniform in ``±1/sqrt(in1_features)`` again, in place."""
        redraw_uniform(self, 1.0 / math.sqrt(self.in1_features), rng)

    def forward(self, input1, input2) -> Tensor:
        return bilinear(input1, input2, self.weight, self.bias,
                        where=f"Bilinear({self.in1_features}, {self.in2_features}, "
                              f"{self.out_features})")

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
