"""Recurrent layers: RNN, LSTM and GRU with PyTorch's equations, gate order and arguments.

Weights are stored for ``x @ W`` (``weight_ih_l{k}`` is (input, 4H) for LSTM, like
``Linear.weight``); ``to_torch_state_dict()`` transposes them to PyTorch's (4H, input).
Both biases are kept, as in PyTorch.  Each LSTM or GRU layer is one op over the whole
sequence (``autodiff.ops.recurrent``); the input projection of all time steps is one
GEMM.  An LSTM with projections (``proj_size``) runs that op one step at a time,
since each step's h is projected (``@ weight_hr``) before the next.  The reverse
direction of a bidirectional layer runs the same op on the sequence flipped in time
and flips its output back.  A PackedSequence input runs the same recurrence
(``_recurrence``) once per run of steps of equal batch size (``recurrent_packed.py``)
and returns a PackedSequence.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ..compile.hooks import made
from ..ops import elementwise as ew
from ..ops import linalg as la
from ..ops import recurrent as rec
from ..ops import shape as sh
from ..ops.rearrange import flip
from ..tensor import Tensor
from .dropout import dropout as _dropout
from .module import Module, Parameter, _generator
from .reset import redraw_uniform
from .packed_sequence import PackedSequence
from .recurrent_packed import run_packed


def _positive(value, what, where):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{where}: {what} must be a positive int, got {value!r}")
    return int(value)


def _projection_size(value, hidden_size, where):
    """PyTorch's checks of ``proj_size``: an int, 0 (no projection) or in [1, hidden_size)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: proj_size must be an int (0 for no projection), got "
                        f"{value!r}")
    if value < 0:
        raise ValueError(f"{where}: proj_size should be a positive integer or zero to disable "
                         f"projections, got proj_size={value}")
    if value >= hidden_size:
        raise ValueError(f"{where}: proj_size has to be smaller than hidden_size, got "
                         f"proj_size={value} and hidden_size={hidden_size}")
    return int(value)


def _probability(value, where):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ValueError(f"{where}: dropout is the probability of zeroing an element of each "
                         f"layer's output (all layers but the last) and must be a number in "
                         f"[0, 1], got dropout={value!r}")
    return float(value)


def _shape_of(x):
    return tuple(x.shape) if isinstance(x, Tensor) else np.shape(x)


def state_of_dtype(label: str, what: str, state, dtype) -> Tensor:
    """A given initial state as a Tensor; one of another dtype than the input raises."""
    given = getattr(state, "dtype", None)
    if given is not None and given != dtype:
        raise TypeError(f"{label}: {what} is {given} but the input is {dtype}; "
                        f"convert {what} ({what}.astype(np.{dtype}))")
    return state if isinstance(state, Tensor) else Tensor(np.asarray(state, dtype=dtype))


class PyTorchGateLayout:
    """State-dict conversion for recurrent weights: PyTorch keeps them as (gates*H, in),
    the library as (in, gates*H), for ``x @ W``; every weight is transposed."""

    def _torch_export(self, local):
        return {k: (v.T if k.startswith("weight") else v) for k, v in local.items()}

    def _torch_import(self, torch_local):
        return {k: (np.asarray(v).T if k.startswith("weight") else v)
                for k, v in torch_local.items()}


def _refuse_the_base(module, base, name, instead):
    if type(module) is base:
        raise TypeError(f"{name} is the base class of {instead}, for isinstance checks; "
                        f"build one of those instead")


class _RNNBase(PyTorchGateLayout, Module):
    _gates = 4
    _name = "LSTM"
    _projects = False               # takes proj_size (LSTM)
    # (PyTorch's RNNBase takes proj_size by position, after bidirectional: GRU's and RNN's
    # must be 0 there, and their proj_size= keyword is refused whatever its value, as
    # PyTorch's; LSTM's __init__ takes it there itself)
    _torch_positional_tail = ("_proj_size", "device", "dtype")

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, *, rng=None, dtype=np.float64,
                 proj_size: int | None = None, _proj_size: int = 0):
        _refuse_the_base(self, _RNNBase, "nn.RNNBase", "nn.RNN, nn.LSTM or nn.GRU")
        super().__init__()
        where = self._name
        self.input_size = _positive(input_size, "input_size", where)
        self.hidden_size = _positive(hidden_size, "hidden_size", where)
        self.num_layers = _positive(num_layers, "num_layers", where)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = _probability(dropout, where)
        self.bidirectional = bool(bidirectional)
        # PyTorch's attribute; projections are LSTM's only (h_t = (o_t * tanh(c_t)) @ W_hr)
        if not self._projects and (proj_size is not None or _proj_size != 0):
            given = _proj_size if proj_size is None else proj_size
            raise ValueError(f"{where}: proj_size argument is only supported for LSTM, not "
                             f"RNN or GRU, got proj_size={given!r}; leave it out (or use "
                             "nn.LSTM for projections)")
        self.proj_size = _projection_size(0 if proj_size is None else proj_size,
                                          self.hidden_size, where)
        if self.dropout > 0 and self.num_layers == 1:
            warnings.warn(f"{where}: dropout is applied to the output of every layer but the "
                          f"last, so non-zero dropout expects num_layers greater than 1, but "
                          f"got dropout={self.dropout} and num_layers={self.num_layers}",
                          UserWarning,
                          stacklevel=2 if type(self).__init__ is _RNNBase.__init__ else 3)
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{where}: dtype must be a floating-point type, not {dtype}")
        gen = _generator(rng)
        # An int seed gives the layer its own generator: the dropout masks continue it.
        self._rng = None if rng is None else gen
        h, k = self.hidden_size, self._gates
        bound = 1.0 / math.sqrt(h)                  # PyTorch: U(-1/sqrt(H), 1/sqrt(H))

        def uniform(*shape):
            return Parameter(gen.uniform(-bound, bound, shape).astype(dtype))
        out = self._state_size
        for layer in range(self.num_layers):
            n_in = self.input_size if layer == 0 else out * self._directions
            for suffix in self._suffixes(layer):       # PyTorch's order of parameters
                setattr(self, f"weight_ih_{suffix}", uniform(n_in, k * h))
                setattr(self, f"weight_hh_{suffix}", uniform(out, k * h))
                if self.bias:
                    setattr(self, f"bias_ih_{suffix}", uniform(k * h))
                    setattr(self, f"bias_hh_{suffix}", uniform(k * h))
                if self.proj_size:
                    setattr(self, f"weight_hr_{suffix}", uniform(h, self.proj_size))

    def reset_parameters(self, *, rng=None) -> None:
        """Every weight and bias uniform in ``±1/sqrt(hidden_size)`` again, in place."""
        redraw_uniform(self, 1.0 / math.sqrt(self.hidden_size), rng)

    def _input_gates(self, x, suffix):
        """x (N, input) @ W_ih plus both biases: (N, gates × H) (GRU keeps b_hh apart)."""
        gx = la.matmul(x, getattr(self, f"weight_ih_{suffix}"))
        if self.bias:
            gx = gx + (getattr(self, f"bias_ih_{suffix}") + getattr(self, f"bias_hh_{suffix}"))
        return gx

    def flatten_parameters(self) -> None:
        """Nothing to do: PyTorch's call packs the weights for cuDNN; here they are
        NumPy arrays already used as they are."""

    @property
    def _state_size(self):
        """The size of h: proj_size with a projection, else hidden_size."""
        return self.proj_size or self.hidden_size

    @property
    def _directions(self):
        return 2 if self.bidirectional else 1

    def _suffixes(self, layer):
        """PyTorch's parameter name suffixes of one layer, forward direction first."""
        return [f"l{layer}", f"l{layer}_reverse"][:self._directions]

    def _label(self):
        text = f"{self._name}({self.input_size}, {self.hidden_size}, "
        if self.proj_size:
            text += f"proj_size={self.proj_size}, "
        text += f"num_layers={self.num_layers}"
        return text + (", bidirectional=True)" if self.bidirectional else ")")

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
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
        dtype = self.weight_ih_l0.dtype
        if x.dtype != dtype:
            raise TypeError(f"{self._label()}: the input is {x.dtype} but the layer's "
                            f"parameters are {dtype}; convert the input "
                            f"(x.astype(np.{dtype})), or build the layer with "
                            f"dtype=np.{x.dtype}")
        unbatched = len(shape) == 2
        if unbatched:
            x = sh.expand_dims(x, 1)
        elif self.batch_first:
            x = sh.swapaxes(x, 0, 1)
        if x.shape[0] == 0:
            raise ValueError(f"{self._label()}: the sequence is empty (shape {shape})")
        return x, unbatched

    def _packed_batch(self, packed):
        """The batch size (the first step's) and the dtype of a PackedSequence's data."""
        sizes = np.asarray(packed.batch_sizes)
        if sizes.ndim != 1 or sizes.size == 0:
            raise ValueError(f"{self._label()}: the PackedSequence has batch_sizes "
                             f"{sizes.tolist()}; make it with pack_padded_sequence")
        return int(sizes[0]), self.weight_ih_l0.dtype

    def _state(self, state, batch, unbatched, dtype, what, size_name="hidden_size"):
        """The initial state as one (B, size) Tensor per layer and direction; the size
        is the attribute ``size_name`` (h_0 of an LSTM with projections: proj_size)."""
        count = self.num_layers * self._directions
        size = getattr(self, size_name)
        expected = (count, size) if unbatched else (count, batch, size)
        if state is None:
            zeros = made("zeros", np.zeros, ((batch, size), dtype))
            return [Tensor(zeros)] * count
        shape = _shape_of(state)
        if shape != expected:
            first = "num_layers * 2 (bidirectional)" if self.bidirectional else "num_layers"
            layout = (f"({first}, {size_name}) for unbatched input" if unbatched else
                      f"({first}, batch, {size_name})")
            raise ValueError(f"{self._label()}: expected {what} of shape {expected} {layout}, "
                             f"got {shape}")
        state = state_of_dtype(self._label(), what, state, dtype)
        if unbatched:
            state = sh.expand_dims(state, 1)
        return [state[k] for k in range(count)]

    def _projection(self, x, suffix):
        """x @ W_ih of every step at once, as a (T * B, gates * H) Tensor."""
        steps, batch, n_in = x.shape
        w_ih = getattr(self, f"weight_ih_{suffix}")
        gx = la.matmul(sh.reshape(x, (steps * batch, n_in)), w_ih)
        return gx, steps, batch

    def _run(self, x, states):
        """Every layer and direction over x (T, B, input); ``states`` holds one list per
        kind of state (h, or h and c) of one (B, size) Tensor per layer and direction.
        Returns the last layer's output and the final states in the same lists."""
        def run_direction(x, direction, suffix, first):
            if direction == 0:
                return self._layer(x, suffix, first)
            out, last = self._layer(flip(x, 0), suffix, first)
            return flip(out, 0), last

        return self._over_layers(x, states, run_direction, feature_axis=2)

    def _over_layers(self, x, states, run_direction, feature_axis):
        """The stack of layers and directions over ``x``, padded (``_run``) or packed
        (``run_packed``): ``run_direction(x, direction, suffix, first)`` runs one
        direction of one layer from its initial states ``first`` (one per kind) and
        returns its output and final states; the directions' outputs are concatenated on
        ``feature_axis``, with dropout between layers in training mode.  Returns the last
        layer's output and the final states, one list per kind as ``states``."""
        finals = [[] for _ in states]
        for layer in range(self.num_layers):
            if layer and self.dropout and self.training:
                x = _dropout(x, self.dropout, True, rng=self._rng)
            outputs = []
            for direction, suffix in enumerate(self._suffixes(layer)):
                index = layer * self._directions + direction
                first = [kind[index] for kind in states]
                out, last = run_direction(x, direction, suffix, first)
                outputs.append(out)
                for kind, value in zip(finals, last):
                    kind.append(value)
            x = outputs[0] if len(outputs) == 1 else sh.concatenate(outputs, axis=feature_axis)
        return x, finals

    def _output(self, out, unbatched):
        if unbatched:
            return sh.squeeze(out, 1)
        return sh.swapaxes(out, 0, 1) if self.batch_first else out

    def _final(self, states, unbatched):
        stacked = sh.stack(states, axis=0)
        return sh.squeeze(stacked, 1) if unbatched else stacked



class LSTM(_RNNBase):
    """Multi-layer LSTM as ``torch.nn.LSTM``: ``lstm(x, (h0, c0))`` returns
    ``(output, (h_n, c_n))``.  Input (T, B, input) or (B, T, input) with
    ``batch_first=True``; the states (num_layers * num_directions, B, H), zeros when
    not given.  ``bidirectional=True`` concatenates the forward and the reverse
    direction on the feature axis (2H); ``dropout=p`` zeroes the outputs of every layer
    but the last in training mode, with masks drawn from ``rng`` (an int seed or a
    ``np.random.Generator``, which also draws the initial weights; default: the
    generator of ``ad.nn.manual_seed``).

    Gates in PyTorch's order i, f, g, o: ``c' = f*c + i*g``, ``h' = o*tanh(c')``.

    ``proj_size=P`` (``0 < P < hidden_size``) is PyTorch's LSTM with projections:
    ``h' = (o*tanh(c')) @ weight_hr`` with one more parameter ``weight_hr_l{k}`` per
    layer and direction (PyTorch's (P, H); ``x @ W`` layout (H, P) here), so h, the
    output and ``h_0`` / ``h_n`` have P features (``c`` keeps H) and the next layer
    takes P * num_directions.  Its time steps are recorded one by one (the cell of
    each step is the fused op).

    >>> lstm = ad.nn.LSTM(3, 5, num_layers=2, rng=0)
    >>> out, (h, c) = lstm(ad.tensor(np.zeros((7, 2, 3))))
    >>> out.shape, h.shape, c.shape
    ((7, 2, 5), (2, 2, 5), (2, 2, 5))
    >>> bi = ad.nn.LSTM(3, 5, num_layers=2, dropout=0.2, bidirectional=True, rng=0)
    >>> out, (h, c) = bi(ad.tensor(np.zeros((7, 2, 3))))
    >>> out.shape, h.shape
    ((7, 2, 10), (4, 2, 5))
    >>> out, (h, c) = ad.nn.LSTM(3, 5, proj_size=2, rng=0)(ad.tensor(np.zeros((7, 2, 3))))
    >>> out.shape, h.shape, c.shape
    ((7, 2, 2), (1, 2, 2), (1, 2, 5))

    A PackedSequence input (``nn.utils.rnn.pack_padded_sequence``) gives a
    PackedSequence output, and the final states of each sequence at its own last step,
    in the original batch order (as RNN and GRU do):

    >>> packed = ad.nn.utils.rnn.pack_sequence([ad.tensor(np.zeros((4, 3))),
    ...                                         ad.tensor(np.zeros((2, 3)))])
    >>> out, (h, c) = lstm(packed)
    >>> out.data.shape, out.batch_sizes, h.shape
    ((6, 5), tensor([2, 2, 1, 1]), (2, 2, 5))
    """

    _gates = 4
    _name = "LSTM"
    _projects = True

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, *, rng=None,
                 dtype=np.float64):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, rng=rng, dtype=dtype, proj_size=proj_size)

    def forward(self, input, hx=None):
        h0s, c0s = (None, None) if hx is None else self._pair(hx)
        h_size = "proj_size" if self.proj_size else "hidden_size"
        if isinstance(input, PackedSequence):
            batch, dtype = self._packed_batch(input)
            h0s = self._state(h0s, batch, False, dtype, "h_0", h_size)
            c0s = self._state(c0s, batch, False, dtype, "c_0")
            out, (h_n, c_n) = run_packed(self, input, [h0s, c0s])
            return out, (h_n, c_n)
        input, unbatched = self._sequence(input)
        batch, dtype = input.shape[1], input.dtype
        h0s = self._state(h0s, batch, unbatched, dtype, "h_0", h_size)
        c0s = self._state(c0s, batch, unbatched, dtype, "c_0")
        out, (h_n, c_n) = self._run(input, [h0s, c0s])
        return self._output(out, unbatched), (self._final(h_n, unbatched),
                                              self._final(c_n, unbatched))

    def _layer(self, x, suffix, state):
        hidden = self.hidden_size
        gx, steps, batch = self._projection(x, suffix)
        if self.bias:
            gx = gx + (getattr(self, f"bias_ih_{suffix}") + getattr(self, f"bias_hh_{suffix}"))
        return self._recurrence(sh.reshape(gx, (steps, batch, 4 * hidden)), state, suffix)

    def _recurrence(self, gx, state, suffix):
        """The layer over the input gates gx (T, B, 4H) from the states (h, c): the
        output (T, B, size of h) and the final states."""
        hidden = self.hidden_size
        w_hh = getattr(self, f"weight_hh_{suffix}")
        if self.proj_size:
            return self._projected_layer(gx, state, w_hh, getattr(self, f"weight_hr_{suffix}"))
        out = rec.lstm_layer(gx, state[0], state[1], w_hh)
        return out[:, :, :hidden], (out[-1, :, :hidden], out[-1, :, hidden:])

    def _projected_layer(self, gx, state, w_hh, w_hr):
        """The recurrence with projections, one step at a time: the cell of a step is the
        whole-sequence op over that step (o*tanh(c) and c), then h = o*tanh(c) @ w_hr."""
        hidden = self.hidden_size
        h, c = state
        hs = []
        for t in range(gx.shape[0]):
            cell = rec.lstm_layer(gx[t:t + 1], h, c, w_hh)[0]
            h = la.matmul(cell[:, :hidden], w_hr)
            c = cell[:, hidden:]
            hs.append(h)
        return sh.stack(hs, axis=0), (h, c)


    def _pair(self, hx):
        if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError(f"{self._label()}: the initial state must be a pair (h_0, c_0), "
                            f"got {type(hx).__name__}")
        for name, value in zip(("h_0", "c_0"), hx):
            if value is None:
                raise TypeError(f"{self._label()}: {name} in the initial state (h_0, c_0) is "
                                "None; pass both states, or hx=None for zeros in both")
        return hx


class _HiddenStateRNN(_RNNBase):
    """An RNN whose state is the one tensor h (GRU and RNN): ``forward(x, h0)``
    returns ``(output, h_n)``."""

    def forward(self, input, hx=None):
        hx = self._single_state(hx)
        if isinstance(input, PackedSequence):
            batch, dtype = self._packed_batch(input)
            out, (h_n,) = run_packed(self, input, [self._state(hx, batch, False, dtype, "h_0")])
            return out, h_n
        input, unbatched = self._sequence(input)
        batch, dtype = input.shape[1], input.dtype
        h0s = self._state(hx, batch, unbatched, dtype, "h_0")
        out, (h_n,) = self._run(input, [h0s])
        return self._output(out, unbatched), self._final(h_n, unbatched)

    def _single_state(self, hx):
        if isinstance(hx, (tuple, list)):
            raise TypeError(f"{self._label()}: the initial state is one tensor h_0 of shape "
                            "(num_layers * num_directions, batch, hidden_size), not a tuple "
                            "(an LSTM takes the pair (h_0, c_0))")
        return hx


class GRU(_HiddenStateRNN):
    """Multi-layer GRU as ``torch.nn.GRU``: ``gru(x, h0)`` returns ``(output, h_n)``,
    with the arguments of ``LSTM`` (``dropout``, ``bidirectional``, ``rng``, ...).

    Gates in PyTorch's order r, z, n: ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``,
    ``h' = (1 - z) * n + z * h``.

    >>> gru = ad.nn.GRU(3, 4, batch_first=True, rng=0)
    >>> out, h = gru(ad.tensor(np.zeros((2, 6, 3))))
    >>> out.shape, h.shape
    ((2, 6, 4), (1, 2, 4))
    >>> out, h = ad.nn.GRU(3, 4, bidirectional=True, rng=0)(ad.tensor(np.zeros((6, 2, 3))))
    >>> out.shape, h.shape
    ((6, 2, 8), (2, 2, 4))
    """

    _gates = 3
    _name = "GRU"

    def _layer(self, x, suffix, state):
        hidden = self.hidden_size
        gx, steps, batch = self._projection(x, suffix)
        if self.bias:
            gx = gx + getattr(self, f"bias_ih_{suffix}")
        return self._recurrence(sh.reshape(gx, (steps, batch, 3 * hidden)), state, suffix)

    def _recurrence(self, gx, state, suffix):
        """The layer over the input gates gx (T, B, 3H) from the state (h,): the output
        (T, B, H) and the final state."""
        if self.bias:
            b_hh = getattr(self, f"bias_hh_{suffix}")
        else:
            b_hh = made("zeros", np.zeros, (3 * self.hidden_size, gx.dtype))
        out = rec.gru_layer(gx, state[0], getattr(self, f"weight_hh_{suffix}"), b_hh)
        return out, (out[-1],)

    def _input_gates(self, x, suffix):
        """x (N, input) @ W_ih plus b_ih: (N, 3H) (b_hh is inside r * (W_hn h + b_hn))."""
        gx = la.matmul(x, getattr(self, f"weight_ih_{suffix}"))
        return gx + getattr(self, f"bias_ih_{suffix}") if self.bias else gx



class RNN(_HiddenStateRNN):
    """Multi-layer Elman RNN as ``torch.nn.RNN``: ``rnn(x, h0)`` returns ``(output, h_n)``,
    with ``h' = tanh(x @ W_ih + b_ih + h @ W_hh + b_hh)`` (``nonlinearity='relu'`` for
    relu) and the arguments of ``LSTM`` (``dropout``, ``bidirectional``, ``rng``, ...).
    Each time step is recorded as ordinary ops.  The repr shows ``nonlinearity='relu'``,
    which PyTorch's leaves out.

    >>> rnn = ad.nn.RNN(3, 4, num_layers=2, nonlinearity="relu", rng=0)
    >>> out, h = rnn(ad.tensor(np.zeros((6, 2, 3))))
    >>> out.shape, h.shape
    ((6, 2, 4), (2, 2, 4))
    """

    _gates = 1
    _name = "RNN"
    _torch_positional_tail = ("_proj_size", "device", "dtype")    # (0 only, as GRU's)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, *, rng=None,
                 dtype=np.float64, proj_size: int | None = None, _proj_size: int = 0):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r}; use 'tanh' or "
                             "'relu'")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, rng=rng, dtype=dtype, proj_size=proj_size,
                         _proj_size=_proj_size)
        self.nonlinearity = nonlinearity

    def extra_repr(self):
        text = super().extra_repr()
        return text if self.nonlinearity == "tanh" else text + ", nonlinearity='relu'"

    def _layer(self, x, suffix, state):
        gx, steps, batch = self._projection(x, suffix)
        if self.bias:
            gx = gx + (getattr(self, f"bias_ih_{suffix}") + getattr(self, f"bias_hh_{suffix}"))
        return self._recurrence(sh.reshape(gx, (steps, batch, self.hidden_size)), state,
                                suffix)

    def _recurrence(self, gx, state, suffix):
        """The layer over the input gates gx (T, B, H) from the state (h,), one recorded
        step at a time: the output (T, B, H) and the final state."""
        activation = ew.tanh if self.nonlinearity == "tanh" else ew.relu
        w_hh = getattr(self, f"weight_hh_{suffix}")
        h, hs = state[0], []
        for t in range(gx.shape[0]):
            h = activation(gx[t] + la.matmul(h, w_hh))
            hs.append(h)
        return sh.stack(hs, axis=0), (h,)

