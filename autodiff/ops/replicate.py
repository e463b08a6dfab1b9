"""Copying elements: repeat, tile and pad.  The gradient of a copy is the sum of the
gradients of its copies.

``repeat`` and the copying modes of ``pad`` are gathers (``take``) with an index
array computed by NumPy itself (``np.repeat``/``np.pad`` applied to the positions),
so their results equal NumPy's and their backward is take's scatter-add.  ``tile``
is a reshape, a broadcast and a reshape.  Constant padding is an op whose gradient
is the middle slice of ``g``.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..compile.refusals import refuse_traced_values
from ..tensor import Tensor
from .indexing import take
from .pad_modes import COMPUTING_MODES, pad_computing
from .pad_odd import pad_odd
from .pad_values import pad_with_tensor_values
from .registry import SEQUENCES, defop, holds_tensor, implements
from .shape import broadcast_to, reshape


def _values(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


@implements(np.repeat)
def repeat(a, repeats, axis=None) -> Tensor:
    """Repeat each element ``repeats`` times along ``axis`` (flattened when None), as
    ``np.repeat``; the gradient of an element sums over its copies.

    >>> x = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> y = ad.repeat(x, [1, 3])
    >>> y.sum().backward(); y, x.grad
    (tensor([1., 2., 2., 2.], requires_grad=True), array([1., 3.]))
    """
    data = _values(a)
    if isinstance(repeats, Tensor):     # (other values as given: NumPy takes 2.0, not array(2.0))
        refuse_traced_values(repeats, "repeat", "the length of its result depends on the "
                             "values of repeats", "Pass repeats as Python ints or a constant "
                             "array.")
        repeats = repeats.data
    n = data.size if axis is None else data.shape[
        np.lib.array_utils.normalize_axis_index(axis, data.ndim)]
    source = made("repeat indices", _repeated_positions, (n, repeats))
    return take(a, source, axis=axis)


def _repeated_positions(n, repeats):
    return np.repeat(np.arange(n), repeats)


@implements(np.tile)
def tile(A, reps) -> Tensor:
    """Repeat the whole tensor ``reps`` times along each axis, as ``np.tile``.

    >>> ad.tile(ad.tensor([1.0, 2.0]), 2)
    tensor([1., 2., 1., 2.])
    """
    reps = tuple(int(r) for r in np.atleast_1d(_values(reps)))
    shape = _values(A).shape
    ndim = max(len(shape), len(reps))
    shape = (1,) * (ndim - len(shape)) + shape
    reps = (1,) * (ndim - len(reps)) + reps
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: negative repetitions {reps} are not allowed")
    interleaved = tuple(n for size in shape for n in (1, size))
    copies = tuple(n for r, size in zip(reps, shape) for n in (r, size))
    out = broadcast_to(reshape(A, interleaved), copies)
    out = reshape(out, tuple(r * size for r, size in zip(reps, shape)))
    # (np.tile gives a new C-contiguous array, as PyTorch's repeat; the reshapes are a
    # view of A where every count is 1, or where the copies run along length-1 axes only,
    # tile(row, (n, 1)): copy those in C order, which order="K" would not give from the
    # zero strides, so that .view() takes the result as PyTorch's takes repeat's)
    return out.copy(order="C") if np.may_share_memory(out.data, _values(A)) else out


def _pairs(pad_width, ndim):
    if isinstance(pad_width, dict):     # NumPy 2.3+: {axis: width or (before, after)}
        widths = [(0, 0)] * ndim
        for axis, width in pad_width.items():
            if not -ndim <= axis < ndim:
                raise ValueError(f"pad: pad_width names axis {axis}, but the input has "
                                 f"{ndim} dimension(s)")
            widths[axis] = tuple(np.broadcast_to(np.asarray(width), (2,)))
        pad_width = widths
    pairs = np.broadcast_to(np.asarray(pad_width), (ndim, 2))
    if pairs.dtype.kind not in "iu":
        raise TypeError(f"pad: pad_width must be integers, got {pairs.dtype}")
    if (pairs < 0).any():
        raise ValueError("pad: index can't contain negative values")
    return tuple((int(b), int(e)) for b, e in pairs)


def _pad_constant_forward(x, pad_width, constant_values=0):
    return np.pad(x, pad_width, mode="constant", constant_values=constant_values)


def _pad_constant_rule(xp, g, ans, x, pad_width, constant_values=0):
    return g[tuple(slice(b, b + n) for (b, _), n in zip(pad_width, x.shape))]


_pad_constant = defop(
    "pad", _pad_constant_forward,
    doc="Pad with a constant (NumPy's mode='constant'); the gradient is the middle of g.\n\n"
        ">>> ad.pad(ad.tensor([1.0, 2.0]), 1)\ntensor([0., 1., 2., 0.])",
    x=("g without the padding", _pad_constant_rule), pad_width=None, constant_values=None,
    reads=())

#: Modes in which every padded entry is a copy of an input entry.
_COPYING_MODES = ("edge", "reflect", "symmetric", "wrap")


@implements(np.pad)
def pad(array, pad_width, mode: str = "constant", **kwargs) -> Tensor:
    """Pad like ``np.pad``: mode 'constant' (``constant_values`` may hold Tensors, which
    get the gradients of the entries they fill: pad_values.py), the copying modes
    'edge', 'reflect', 'symmetric', 'wrap' (gradients of the copies add up) and the
    computing modes of ``pad_modes.py`` ('maximum', 'minimum', 'mean', 'median',
    'linear_ramp'), and reflect_type='odd' of 'reflect' and 'symmetric' (pad_odd.py).
    'empty', whose padding NumPy leaves undefined, pads with zeros (the gradient goes to
    the kept entries alone); a function as the mode raises ``TypeError``.

    >>> x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = ad.pad(x, (2, 1), mode="reflect")
    >>> y.sum().backward(); y, x.grad
    (tensor([3., 2., 1., 2., 3., 2.], requires_grad=True), array([1., 3., 2.]))
    """
    data = _values(array)
    if mode == "constant":
        unknown = set(kwargs) - {"constant_values"}
        values = kwargs.get("constant_values", 0)
    elif mode in _COPYING_MODES:
        unknown = set(kwargs) - {"reflect_type"}
        reflect_type = kwargs.get("reflect_type", "even")
        if reflect_type not in ("even", "odd"):
            raise ValueError(f"pad: reflect_type={reflect_type!r} is not 'even' or 'odd'")
    elif mode in COMPUTING_MODES:
        unknown = set()         # (pad_computing checks its own)
    elif mode == "empty":
        unknown = set(kwargs)
    elif callable(mode):
        raise TypeError(
            f"pad: a function as the mode ({getattr(mode, '__name__', mode)!r}) writes each "
            "padded lane in place, which cannot be recorded; build the padding from Tensors "
            "and join them with np.concatenate, or use one of NumPy's named modes")
    else:
        raise TypeError(
            f"pad: mode={mode!r} is not supported on tensors; use 'constant', 'edge', "
            "'reflect', 'symmetric', 'wrap', 'maximum', 'minimum', 'mean', 'median', "
            "'linear_ramp' or 'empty'")
    if unknown:
        raise TypeError(f"pad: the argument(s) {sorted(unknown)} do not apply to "
                        f"mode={mode!r}")
    if mode == "empty":         # NumPy leaves the padding undefined: any values are right
        mode, values = "constant", 0
    pairs = _pairs(pad_width, data.ndim)
    if data.ndim == 0:                    # nothing to pad: a copy, as NumPy gives
        return array.copy() if isinstance(array, Tensor) else Tensor(np.array(array))
    if mode == "constant":
        if isinstance(values, Tensor) or (type(values) in SEQUENCES and holds_tensor(values)):
            return pad_with_tensor_values(array, pairs, values, _pad_constant)
        return _pad_constant(array, pairs, constant_values=values)
    if mode in COMPUTING_MODES:
        return pad_computing(array if isinstance(array, Tensor) else Tensor(data), pairs,
                             mode, kwargs)
    if mode in ("reflect", "symmetric") and reflect_type == "odd" and data.size:
        return pad_odd(array if isinstance(array, Tensor) else Tensor(data), pairs, mode)
    source = made("pad positions", _padded_positions, (data.shape, pairs),
                  {"mode": mode, **kwargs})
    return take(array, source, axis=None)


def _padded_positions(shape, pairs, **options):
    """The flat position each entry of the padded array copies (NumPy's own padding of
    the positions; computed again at each replay of ``ad.compile``)."""
    return np.pad(np.arange(int(np.prod(shape))).reshape(shape), pairs, **options)

