"""``nn.LazyLinear``: a ``Linear`` whose ``n_in`` is read from its first input, as
PyTorch's.

Until the first forward, ``weight`` and ``bias`` are empty placeholder ``Parameter``
objects (an optimizer may already hold them).  The first forward fills those same
objects with their initial values, drawn as ``Linear`` draws them, and the module
becomes a ``Linear`` (PyTorch turns a ``LazyLinear`` into a ``Linear`` in the same
way).  An optimizer step before the first forward finds no gradient for the empty
placeholders (and warns, naming them); a compiled function that would make the
parameters refuses, as their shapes would be fixed into its plan.
"""

from __future__ import annotations

import math

import numpy as np

from ..compile import hooks
from ..tensor import Tensor
from .module import Module, Parameter, _generator
from .modules import Linear, _float_dtype, _positive_int


class LazyLinear(Module):
    """``Linear(n_in, out_features)`` with ``n_in`` taken from the last axis of the first
    input, as ``torch.nn.LazyLinear``; the weight keeps the library's ``(n_in, n_out)``
    layout (``load_torch_state_dict`` converts, as for ``Linear``).

    >>> layer = ad.nn.LazyLinear(2, rng=0)
    >>> layer.weight.shape
    (0, 2)
    >>> layer(ad.tensor(np.ones((4, 3)))).shape
    (4, 2)
    >>> type(layer).__name__, layer.weight.shape
    ('Linear', (3, 2))
    """

    def __init__(self, out_features: int, bias: bool = True, *, rng=None, dtype=np.float64):
        super().__init__()
        self.n_in = 0
        self.n_out = _positive_int(out_features, "out_features", "LazyLinear")
        self._dtype = _float_dtype(dtype, "LazyLinear")
        self._rng = rng
        self.weight = Parameter(np.empty((0, self.n_out), dtype=self._dtype))
        if bias:
            self.bias = Parameter(np.empty((0,), dtype=self._dtype))
        else:
            self.register_parameter("bias", None)

    @property
    def in_features(self) -> int:
        return self.n_in

    @property
    def out_features(self) -> int:
        return self.n_out

    def forward(self, x) -> Tensor:
        shape = x.shape if isinstance(x, Tensor) else np.shape(x)
        if not shape or shape[-1] < 1:
            raise ValueError(f"LazyLinear(out_features={self.n_out}): the first input must "
                             "have a last axis of size >= 1 (it gives in_features), got shape "
                             f"{tuple(shape)}")
        self._materialize(int(shape[-1]))
        return Linear.forward(self, x)

    def _materialize(self, n_in):
        if hooks.active is not None:
            raise RuntimeError(
                "LazyLinear: its parameters are made at the first call, which cannot happen "
                "inside a compiled function (their shapes would be fixed into its plan); "
                "call the model once on an example input before compiling")
        gen = _generator(self._rng)
        bound = 1.0 / math.sqrt(n_in)
        # The same Parameter objects take their values, so an optimizer that already
        # holds them trains them.
        self.weight.data = gen.uniform(-bound, bound, (n_in, self.n_out)).astype(self._dtype)
        if self.bias is not None:
            self.bias.data = gen.uniform(-bound, bound, (self.n_out,)).astype(self._dtype)
        self.n_in = n_in
        del self._dtype, self._rng
        self.__class__ = Linear

    def extra_repr(self) -> str:
        return f"in_features=0, out_features={self.n_out}, bias={self.bias is not None}"
