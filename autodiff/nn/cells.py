"""One time step of a recurrent layer: RNNCell, LSTMCell and GRUCell, as PyTorch's.

The parameters are those of one layer of ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` with
PyTorch's names ``weight_ih``, ``weight_hh``, ``bias_ih`` and ``bias_hh``, stored as
those layers store them, for ``x @ W``: ``weight_ih`` is (input_size, gates * H) and
``weight_hh`` (H, gates * H), like ``Linear.weight``.  ``to_torch_state_dict()``
transposes them to PyTorch's (gates * H, input_size) and ``load_torch_state_dict``
takes PyTorch's ``state_dict`` as it is.  All four start uniform in
``±1/sqrt(hidden_size)``, as in PyTorch.

A step of LSTMCell and GRUCell is the whole-sequence op of ``nn.LSTM`` / ``nn.GRU``
(``autodiff.ops.recurrent``) run over one step, so a loop of cells gives the numbers
of the layer; RNNCell is composed of recorded ops.
"""

from __future__ import annotations

import math

import numpy as np

from ..compile.hooks import made
from ..ops import elementwise as ew
from ..ops import linalg as la
from ..ops import recurrent as rec
from ..ops import shape as sh
from ..ops.operands import tensor_of
from ..tensor import Tensor
from .half_precision import rounded_once
from .module import Module, Parameter, _generator
from .reset import redraw_uniform
from .modules import _float_dtype, _positive_int
from .recurrent import PyTorchGateLayout, _refuse_the_base, state_of_dtype


def _shape_of(x):
    return tuple(x.shape) if isinstance(x, Tensor) else np.shape(x)


def _affine(x, weight, bias):
    """``x @ weight + bias``: a float16 one rounded once (``rounded_once``), as PyTorch's
    ``linear`` in its cells."""
    out = la.matmul(x, weight)
    return out if bias is None else out + bias


class _CellBase(PyTorchGateLayout, Module):
    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, *, rng=None,
                 dtype=np.float64):
        _refuse_the_base(self, _CellBase, "nn.RNNCellBase", "nn.RNNCell, nn.LSTMCell or "
                         "nn.GRUCell")
        super().__init__()
        where = type(self).__name__
        self.input_size = _positive_int(input_size, "input_size", where)
        self.hidden_size = _positive_int(hidden_size, "hidden_size", where)
        self.bias = bool(bias)
        dtype = _float_dtype(dtype, where)
        gen = _generator(rng)
        h, k = self.hidden_size, self._gates
        bound = 1.0 / math.sqrt(h)

        def uniform(*shape):
            return Parameter(gen.uniform(-bound, bound, shape).astype(dtype))
        self.weight_ih = uniform(self.input_size, k * h)
        self.weight_hh = uniform(h, k * h)
        if self.bias:
            self.bias_ih = uniform(k * h)
            self.bias_hh = uniform(k * h)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)

    def reset_parameters(self, *, rng=None) -> None:
        """Every weight and bias uniform in ``±1/sqrt(hidden_size)`` again, in place."""
        redraw_uniform(self, 1.0 / math.sqrt(self.hidden_size), rng)

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        return text if self.bias else text + ", bias=False"

    def _label(self):
        return f"{type(self).__name__}({self.extra_repr()})"

    def _input(self, x):
        """x as a (B, input_size) Tensor, and whether it was unbatched (input_size,)."""
        shape = _shape_of(x)
        if len(shape) not in (1, 2):
            raise ValueError(f"{self._label()}: expected input of shape (batch, input_size) or "
                             f"(input_size,) unbatched, got shape {shape}; a cell takes one "
                             "time step (loop over the sequence, or use the layer without "
                             "'Cell')")
        if shape[-1] != self.input_size:
            raise ValueError(f"{self._label()}: expected input_size {self.input_size} in the "
                             f"last axis, got input of shape {shape}")
        x = tensor_of(x)
        dtype = self.weight_ih.dtype
        if x.dtype.kind != "f":
            raise TypeError(f"{self._label()}: expected floating-point input, got {x.dtype}")
        if x.dtype != dtype:
            raise TypeError(f"{self._label()}: the input is {x.dtype} but the cell's parameters "
                            f"are {dtype}; convert the input (x.astype(np.{dtype})), or build "
                            f"the cell with dtype=np.{x.dtype}")
        unbatched = len(shape) == 1
        return (sh.expand_dims(x, 0) if unbatched else x), unbatched

    def _state(self, state, batch, unbatched, dtype, what):
        """The state ``what`` as a (B, H) Tensor (zeros when None)."""
        hidden = self.hidden_size
        if state is None:
            return Tensor(made("zeros", np.zeros, ((batch, hidden), dtype)))
        expected = (hidden,) if unbatched else (batch, hidden)
        shape = _shape_of(state)
        if shape != expected:
            layout = ("(hidden_size,), as the input is unbatched" if unbatched else
                      "(batch, hidden_size), with the input's batch")
            raise ValueError(f"{self._label()}: expected {what} of shape {expected} {layout}, "
                             f"got {shape}")
        state = state_of_dtype(self._label(), what, state, dtype)
        return sh.expand_dims(state, 0) if unbatched else state

    def _single(self, hx):
        if isinstance(hx, (tuple, list)):
            raise TypeError(f"{self._label()}: the state hx is one tensor of shape (batch, "
                            "hidden_size), not a tuple (an LSTMCell takes the pair (h, c))")
        return hx

    def _projection(self, x):
        return rounded_once(_affine, x, self.weight_ih, self.bias_ih)

    @staticmethod
    def _output(h, unbatched):
        return sh.squeeze(h, 0) if unbatched else h



class RNNCell(_CellBase):
    """One step of an Elman RNN, as ``torch.nn.RNNCell``:
    ``h' = tanh(x @ W_ih + b_ih + h @ W_hh + b_hh)`` (``nonlinearity='relu'`` for relu).
    ``cell(x, h)`` with ``x`` (batch, input_size) or (input_size,) and ``h`` of the same
    batch (zeros when not given) returns ``h'``.  ``rng`` (an int seed or a
    ``np.random.Generator``; default: the generator of ``ad.nn.manual_seed``) draws the
    initial weights.

    >>> cell = ad.nn.RNNCell(3, 4, rng=0)
    >>> h = cell(ad.tensor(np.ones((2, 3))))
    >>> cell(ad.tensor(np.ones((2, 3))), h).shape, list(cell.state_dict())
    ((2, 4), ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'])
    """

    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", *, rng=None, dtype=np.float64):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r}; use 'tanh' or "
                             "'relu'")
        super().__init__(input_size, hidden_size, bias, rng=rng, dtype=dtype)
        self.nonlinearity = nonlinearity

    def extra_repr(self):
        text = super().extra_repr()
        return text if self.nonlinearity == "tanh" else f"{text}, nonlinearity={self.nonlinearity}"

    def forward(self, input, hx=None):
        hx = self._single(hx)
        x, unbatched = self._input(input)
        h = self._state(hx, x.shape[0], unbatched, x.dtype, "hx")
        recurrent = rounded_once(_affine, h, self.weight_hh, self.bias_hh)
        activation = ew.tanh if self.nonlinearity == "tanh" else ew.relu
        return self._output(activation(self._projection(x) + recurrent), unbatched)


class LSTMCell(_CellBase):
    """One step of an LSTM, as ``torch.nn.LSTMCell``: ``cell(x, (h, c))`` returns
    ``(h', c')``; gates in PyTorch's order i, f, g, o: ``c' = f*c + i*g``,
    ``h' = o*tanh(c')``.  ``x`` is (batch, input_size) or (input_size,); ``hx=None``
    starts from zeros.  ``rng`` as for ``RNNCell``.

    >>> cell = ad.nn.LSTMCell(3, 4, rng=0)
    >>> h, c = cell(ad.tensor(np.ones((2, 3))))
    >>> h, c = cell(ad.tensor(np.ones((2, 3))), (h, c))
    >>> h.shape, c.shape, cell.weight_ih.shape, cell.to_torch_state_dict()["weight_ih"].shape
    ((2, 4), (2, 4), (3, 16), (16, 3))
    """

    _gates = 4

    def forward(self, input, hx=None):
        x, unbatched = self._input(input)
        batch, dtype = x.shape[0], x.dtype
        if hx is None:
            h0 = c0 = None
        elif isinstance(hx, (tuple, list)) and len(hx) == 2 \
                and not any(s is None for s in hx):
            h0, c0 = hx
        else:
            raise TypeError(f"{self._label()}: the state hx must be a pair (h, c) of tensors "
                            f"of shape (batch, hidden_size), or None for zeros; got "
                            f"{type(hx).__name__}" + (f" {hx!r}" if isinstance(hx, (tuple, list))
                                                      and len(hx) != 2 else ""))
        h0 = self._state(h0, batch, unbatched, dtype, "h")
        c0 = self._state(c0, batch, unbatched, dtype, "c")
        gx = self._projection(x)
        if self.bias_hh is not None:
            gx = gx + self.bias_hh
        hidden = self.hidden_size
        out = rec.lstm_layer(sh.expand_dims(gx, 0), h0, c0, self.weight_hh)[0]
        return (self._output(out[:, :hidden], unbatched),
                self._output(out[:, hidden:], unbatched))


class GRUCell(_CellBase):
    """One step of a GRU, as ``torch.nn.GRUCell``: ``cell(x, h)`` returns ``h'``; gates
    in PyTorch's order r, z, n: ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``,
    ``h' = (1 - z) * n + z * h``.  ``x`` is (batch, input_size) or (input_size,);
    ``hx=None`` starts from zeros.  ``rng`` as for ``RNNCell``.

    >>> cell = ad.nn.GRUCell(3, 4, rng=0)
    >>> cell(ad.tensor(np.ones(3))).shape
    (4,)
    """

    _gates = 3

    def forward(self, input, hx=None):
        hx = self._single(hx)
        x, unbatched = self._input(input)
        h = self._state(hx, x.shape[0], unbatched, x.dtype, "hx")
        b_hh = self.bias_hh
        if b_hh is None:
            b_hh = made("zeros", np.zeros, (3 * self.hidden_size, x.dtype))
        out = rec.gru_layer(sh.expand_dims(self._projection(x), 0), h, self.weight_hh, b_hh)
        return self._output(out[0], unbatched)
