"""PyTorch's functional recurrent cells ``torch.lstm_cell``, ``torch.gru_cell``,
``torch.rnn_tanh_cell`` and ``torch.rnn_relu_cell``: one time step from the input
``(N, input_size)``, the state and the weights in PyTorch's layout, ``w_ih``
``(gates * H, input_size)`` and ``w_hh`` ``(gates * H, H)`` (the transpose of the
layout ``nn.LSTMCell`` stores here), gates in PyTorch's order (LSTM ``i f g o``, GRU
``r z n``).  Composed of recorded ops, so gradients reach every argument.

>>> import numpy as np
>>> h = ad.rnn_tanh_cell(ad.ones((1, 2)), ad.zeros((1, 1)), ad.zeros((1, 2)), ad.zeros((1, 1)))
>>> h
tensor([[0.]])
"""

from __future__ import annotations

from ..ops import elementwise as ew
from ..ops.operands import tensor_of
from ..tensor import Tensor

__all__ = ["lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell"]


def _checked(where: str, input, hidden, w_ih, w_hh, b_ih, b_hh, gates: int):
    if hidden is None:
        raise TypeError(f"{where}: hx must be a tensor (N, hidden_size), got None "
                        f"(torch.{where} requires it too); start from zeros, e.g. "
                        f"ad.zeros((N, hidden_size))")
    input, hidden, w_ih, w_hh = (tensor_of(a) for a in (input, hidden, w_ih, w_hh))
    b_ih = None if b_ih is None else tensor_of(b_ih)
    b_hh = None if b_hh is None else tensor_of(b_hh)
    size = hidden.shape[-1] if hidden.ndim else 0
    expected = {"input": (input, 2), "hx": (hidden, 2), "w_ih": (w_ih, 2), "w_hh": (w_hh, 2)}
    for name, (value, ndim) in expected.items():
        if value.ndim != ndim:
            raise ValueError(f"{where}: {name} must be {ndim}-D, got shape {value.shape} "
                             "(input (N, input_size), hx (N, hidden_size), weights in "
                             "PyTorch's (gates * hidden_size, in_features) layout)")
    if (w_ih.shape != (gates * size, input.shape[1]) or w_hh.shape != (gates * size, size)
            or hidden.shape[0] != input.shape[0]
            or any(b is not None and b.shape != (gates * size,) for b in (b_ih, b_hh))):
        raise ValueError(
            f"{where}: shapes do not fit: input {input.shape}, hx {hidden.shape}, w_ih "
            f"{w_ih.shape}, w_hh {w_hh.shape}, b_ih {None if b_ih is None else b_ih.shape}, "
            f"b_hh {None if b_hh is None else b_hh.shape}; with hidden_size H = "
            f"{size} they must be (N, in), (N, H), ({gates}H, in), ({gates}H, H), ({gates}H,)")
    return input, hidden, w_ih, w_hh, b_ih, b_hh


def _affine(x, weight, bias):
    out = x @ weight.mT
    return out if bias is None else out + bias


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> tuple:
    """One LSTM step ``(h', c')`` from ``hx = (h, c)``, as ``torch.lstm_cell``.

    >>> h, c = ad.lstm_cell(ad.ones((1, 1)), (ad.zeros((1, 1)), ad.zeros((1, 1))),
    ...                     ad.zeros((4, 1)), ad.zeros((4, 1)))
    >>> c
    tensor([[0.]])
    """
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise ValueError("lstm_cell: hx must be the two hidden states (h, c)")
    h, c = hx
    input, h, w_ih, w_hh, b_ih, b_hh = _checked("lstm_cell", input, h, w_ih, w_hh, b_ih,
                                                b_hh, 4)
    c = tensor_of(c)
    if c.shape != h.shape:
        raise ValueError(f"lstm_cell: c {c.shape} must have h's shape {h.shape}")
    gates = _affine(input, w_ih, b_ih) + _affine(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, 1)
    c_next = ew.sigmoid(f) * c + ew.sigmoid(i) * ew.tanh(g)
    return ew.sigmoid(o) * ew.tanh(c_next), c_next


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """One GRU step ``h'``, as ``torch.gru_cell``: ``n = tanh(x W_in + b_in + r * (h W_hn
    + b_hn))``, ``h' = (1 - z) * n + z * h``.

    >>> ad.gru_cell(ad.ones((1, 1)), ad.ones((1, 1)), ad.zeros((3, 1)), ad.zeros((3, 1)))
    tensor([[0.5]])
    """
    input, h, w_ih, w_hh, b_ih, b_hh = _checked("gru_cell", input, hx, w_ih, w_hh, b_ih,
                                                b_hh, 3)
    r_in, z_in, n_in = _affine(input, w_ih, b_ih).chunk(3, 1)
    r_h, z_h, n_h = _affine(h, w_hh, b_hh).chunk(3, 1)
    r, z = ew.sigmoid(r_in + r_h), ew.sigmoid(z_in + z_h)
    n = ew.tanh(n_in + r * n_h)
    return (1 - z) * n + z * h


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """``tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``, as ``torch.rnn_tanh_cell``."""
    input, h, w_ih, w_hh, b_ih, b_hh = _checked("rnn_tanh_cell", input, hx, w_ih, w_hh,
                                                b_ih, b_hh, 1)
    return ew.tanh(_affine(input, w_ih, b_ih) + _affine(h, w_hh, b_hh))


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """``relu(x W_ih^T + b_ih + h W_hh^T + b_hh)``, as ``torch.rnn_relu_cell``.

    >>> ad.rnn_relu_cell(ad.ones((1, 1)), ad.ones((1, 1)), -ad.ones((1, 1)), ad.ones((1, 1)))
    tensor([[0.]])
    """
    input, h, w_ih, w_hh, b_ih, b_hh = _checked("rnn_relu_cell", input, hx, w_ih, w_hh,
                                                b_ih, b_hh, 1)
    return ew.relu(_affine(input, w_ih, b_ih) + _affine(h, w_hh, b_hh))
