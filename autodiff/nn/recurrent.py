"""Recurrent layers: LSTM and GRU with PyTorch's equations, gate order and arguments.

Weights are stored for ``x @ W`` (``weight_ih_l{k}`` is (input, 4H) for LSTM, like
``Linear.weight``); ``to_torch_state_dict()`` transposes them to PyTorch's (4H, input).
Both biases are kept, as in PyTorch.  Each layer is one op over the whole sequence
(``autodiff.ops.recurrent``); the input projection of all time steps is one GEMM.
"""

from __future__ import annotations

import math

import numpy as np

from ..compile.hooks import made
from ..ops import linalg as la
from ..ops import recurrent as rec
from ..ops import shape as sh
from ..tensor import Tensor
from .module import Module, Parameter, _generator


def _positive(value, what, where):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{where}: {what} must be a positive int, got {value!r}")
    return int(value)


def _shape_of(x):
    return tuple(x.shape) if isinstance(x, Tensor) else np.shape(x)


class _RNNBase(Module):
    _gates = 4
    _name = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, *, rng=None,
                 dtype=np.float64):
        super().__init__()
        where = self._name
        self.input_size = _positive(input_size, "input_size", where)
        self.hidden_size = _positive(hidden_size, "hidden_size", where)
        self.num_layers = _positive(num_layers, "num_layers", where)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{where}: dtype must be a floating-point type, not {dtype}")
        gen = _generator(rng)
        h, k = self.hidden_size, self._gates
        bound = 1.0 / math.sqrt(h)                  # PyTorch: U(-1/sqrt(H), 1/sqrt(H))

        def uniform(*shape):
            return Parameter(gen.uniform(-bound, bound, shape).astype(dtype))
        for layer in range(self.num_layers):
            n_in = self.input_size if layer == 0 else h
            setattr(self, f"weight_ih_l{layer}", uniform(n_in, k * h))
            setattr(self, f"weight_hh_l{layer}", uniform(h, k * h))
            if self.bias:
                setattr(self, f"bias_ih_l{layer}", uniform(k * h))
                setattr(self, f"bias_hh_l{layer}", uniform(k * h))

    def _label(self):
        return f"{self._name}({self.input_size}, {self.hidden_size}, num_layers={self.num_layers})"

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        return text

    # ----- input handling ---------------------------------------------------------
    def _sequence(self, x):
        """x as a (T, B, input) Tensor, and whether it was unbatched."""
        shape = _shape_of(x)
        layout = "(B, T, input)" if self.batch_first else "(T, B, input)"
        if len(shape) not in (2, 3):
            raise ValueError(f"{self._label()}: expected input of shape {layout} (or (T, input) "
                             f"unbatched), got shape {shape}")
        if shape[-1] != self.input_size:
            raise ValueError(f"{self._label()}: expected input_size {self.input_size} in the "
                             f"last axis, got shape {shape} (layout {layout})")
        x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
        if x.dtype.kind != "f":
            raise TypeError(f"{self._label()}: expected floating-point input, got {x.dtype}")
        unbatched = len(shape) == 2
        if unbatched:
            x = sh.expand_dims(x, 1)
        elif self.batch_first:
            x = sh.swapaxes(x, 0, 1)
        if x.shape[0] == 0:
            raise ValueError(f"{self._label()}: the sequence is empty (shape {shape})")
        return x, unbatched

    def _state(self, state, batch, unbatched, dtype, what):
        expected = ((self.num_layers, self.hidden_size) if unbatched else
                    (self.num_layers, batch, self.hidden_size))
        if state is None:
            zeros = made("zeros", np.zeros, ((batch, self.hidden_size), dtype))
            return [Tensor(zeros)] * self.num_layers
        shape = _shape_of(state)
        if shape != expected:
            raise ValueError(f"{self._label()}: expected {what} of shape {expected} "
                             f"(num_layers, batch, hidden_size), got {shape}")
        state = state if isinstance(state, Tensor) else Tensor(np.asarray(state, dtype=dtype))
        if unbatched:
            state = sh.expand_dims(state, 1)
        return [state[layer] for layer in range(self.num_layers)]

    def _projection(self, x, layer):
        """x @ W_ih (+ both biases, summed once when the op takes none itself)."""
        steps, batch, n_in = x.shape
        w_ih = getattr(self, f"weight_ih_l{layer}")
        gx = la.matmul(sh.reshape(x, (steps * batch, n_in)), w_ih)
        return gx, steps, batch

    def _output(self, out, unbatched):
        if unbatched:
            return sh.squeeze(out, 1)
        return sh.swapaxes(out, 0, 1) if self.batch_first else out

    def _final(self, states, unbatched):
        stacked = sh.stack(states, axis=0)
        return sh.squeeze(stacked, 1) if unbatched else stacked

    # ----- PyTorch layout: weights (gates*H, in) ----------------------------------
    def _torch_export(self, local):
        return {k: (v.T if k.startswith("weight") else v) for k, v in local.items()}

    def _torch_import(self, torch_local):
        return {k: (np.asarray(v).T if k.startswith("weight") else v)
                for k, v in torch_local.items()}


class LSTM(_RNNBase):
    """Multi-layer LSTM as ``torch.nn.LSTM``: ``lstm(x, (h0, c0))`` returns
    ``(output, (h_n, c_n))``.  Input (T, B, input) or (B, T, input) with
    ``batch_first=True``; the states (num_layers, B, H), zeros when not given.

    Gates in PyTorch's order i, f, g, o: ``c' = f*c + i*g``, ``h' = o*tanh(c')``.

    >>> lstm = ad.nn.LSTM(3, 5, num_layers=2, rng=0)
    >>> out, (h, c) = lstm(ad.tensor(np.zeros((7, 2, 3))))
    >>> out.shape, h.shape, c.shape
    ((7, 2, 5), (2, 2, 5), (2, 2, 5))
    """

    _gates = 4
    _name = "LSTM"

    def forward(self, x, hx=None):
        x, unbatched = self._sequence(x)
        batch, dtype = x.shape[1], x.dtype
        h0s, c0s = (None, None) if hx is None else self._pair(hx)
        h0s = self._state(h0s, batch, unbatched, dtype, "h_0")
        c0s = self._state(c0s, batch, unbatched, dtype, "c_0")
        hidden = self.hidden_size
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            gx, steps, batch = self._projection(x, layer)
            if self.bias:
                gx = gx + (getattr(self, f"bias_ih_l{layer}") + getattr(self, f"bias_hh_l{layer}"))
            gx = sh.reshape(gx, (steps, batch, 4 * hidden))
            out = rec.lstm_layer(gx, h0s[layer], c0s[layer],
                                 getattr(self, f"weight_hh_l{layer}"))
            x = out[:, :, :hidden]
            h_n.append(out[-1, :, :hidden])
            c_n.append(out[-1, :, hidden:])
        return self._output(x, unbatched), (self._final(h_n, unbatched),
                                            self._final(c_n, unbatched))

    def _pair(self, hx):
        if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError(f"{self._label()}: the initial state must be a pair (h_0, c_0), "
                            f"got {type(hx).__name__}")
        return hx


class GRU(_RNNBase):
    """Multi-layer GRU as ``torch.nn.GRU``: ``gru(x, h0)`` returns ``(output, h_n)``.

    Gates in PyTorch's order r, z, n: ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``,
    ``h' = (1 - z) * n + z * h``.

    >>> gru = ad.nn.GRU(3, 4, batch_first=True, rng=0)
    >>> out, h = gru(ad.tensor(np.zeros((2, 6, 3))))
    >>> out.shape, h.shape
    ((2, 6, 4), (1, 2, 4))
    """

    _gates = 3
    _name = "GRU"

    def forward(self, x, hx=None):
        if isinstance(hx, (tuple, list)):
            raise TypeError(f"{self._label()}: the initial state is one tensor h_0 of shape "
                            "(num_layers, batch, hidden_size), not a tuple (an LSTM takes "
                            "the pair (h_0, c_0))")
        x, unbatched = self._sequence(x)
        batch, dtype = x.shape[1], x.dtype
        h0s = self._state(hx, batch, unbatched, dtype, "h_0")
        hidden = self.hidden_size
        h_n = []
        zero_bias = made("zeros", np.zeros, (3 * hidden, dtype))
        for layer in range(self.num_layers):
            gx, steps, batch = self._projection(x, layer)
            if self.bias:
                gx = gx + getattr(self, f"bias_ih_l{layer}")
            gx = sh.reshape(gx, (steps, batch, 3 * hidden))
            b_hh = getattr(self, f"bias_hh_l{layer}") if self.bias else zero_bias
            x = rec.gru_layer(gx, h0s[layer], getattr(self, f"weight_hh_l{layer}"), b_hh)
            h_n.append(x[-1])
        return self._output(x, unbatched), self._final(h_n, unbatched)
