"""``ad.segment_reduce``: PyTorch's reduction of consecutive segments of an axis.

The segments are gathered into a padded ``(..., segments, longest)`` block, the padding
masked with the reduction's identity, and the block reduced with the library's
differentiable ops; the gradient is theirs: tied maxima (minima) share a segment's
gradient equally, as PyTorch's do when that gradient is positive (PyTorch's kernel
divides only positive ones, so there a negative gradient reaches each tied element
whole, which makes the gradients sum to more than the segment's).
"""

from __future__ import annotations

import numpy as np

__all__ = ["segment_reduce"]

_REDUCTIONS = {"sum": "sum", "mean": "mean", "prod": "prod", "max": "amax", "amax": "amax",
               "min": "amin", "amin": "amin"}


def segment_reduce(data, reduce: str, *, lengths=None, indices=None, offsets=None,
                   axis: int = 0, unsafe: bool = False, initial=None):
    """PyTorch's ``torch.segment_reduce``: reduce ``data`` along ``axis`` over
    consecutive segments of ``lengths`` (or ``offsets``, the segments' boundaries)
    with ``reduce`` = ``'sum'``, ``'mean'``, ``'prod'``, ``'max'``/``'amax'`` or
    ``'min'``/``'amin'``.

    ``lengths`` has shape ``data.shape[:axis] + (segments,)`` (``axis`` must be
    ``lengths.ndim - 1``, as in PyTorch) and, unless ``unsafe=True``, sums to
    ``data.shape[axis]``.  An empty segment gives ``initial`` if given, else 0 (sum),
    1 (prod), NaN (mean), -inf (max) or inf (min); ``initial`` otherwise joins each
    segment (PyTorch's mean divides ``sum + initial`` by the segment's length).

    >>> ad.segment_reduce(ad.tensor([1.0, 3.0, 3.0, 2.0, 5.0]), "max",
    ...                   lengths=ad.tensor([3, 0, 2]))
    tensor([  3., -inf,   5.])
    """
    import autodiff as ad
    from .ops.operands import tensor_of

    if not isinstance(reduce, str) or reduce not in _REDUCTIONS:
        raise RuntimeError(f"segment_reduce: reduce must be one of 'sum', 'prod', 'mean', "
                           f"'amax' ('max') or 'amin' ('min'), got {reduce!r}")
    if indices is not None:
        raise RuntimeError("segment_reduce: indices= is not supported (nor in PyTorch: "
                           "'indices based reduction is not supported yet'); pass lengths= "
                           "or offsets=")
    data = tensor_of(data)
    lengths = _lengths(lengths, offsets)
    if data.dtype.kind != "f":
        raise TypeError(f"segment_reduce: data must be floating point, got {data.dtype}")
    axis = _checked_axis(axis, data.ndim, lengths)
    if lengths.shape[:-1] != data.shape[:axis]:
        raise RuntimeError(f"segment_reduce: lengths of shape {lengths.shape} must have "
                           f"the leading dims of data (shape {data.shape}) before axis "
                           f"{axis}: {data.shape[:axis]}")
    if (lengths < 0).any():
        raise RuntimeError(f"segment_reduce: lengths contains a negative value: {lengths}")
    if not unsafe and (lengths.sum(axis=-1) != data.shape[axis]).any():
        raise RuntimeError(f"segment_reduce: the lengths along the last dim must sum to "
                           f"data.shape[{axis}] = {data.shape[axis]}, got sums "
                           f"{lengths.sum(axis=-1)}")

    name = _REDUCTIONS[reduce]
    lead, trailing = data.shape[:axis], data.shape[axis + 1:]
    segments, longest = lengths.shape[-1], max(int(lengths.max(initial=0)), 1)
    starts = np.cumsum(lengths, axis=-1) - lengths
    step = np.arange(longest)
    inside = step < lengths[..., None]                       # (*lead, S, longest)
    positions = np.where(inside, starts[..., None] + step, 0)
    if data.shape[axis] == 0:                                # every segment is empty
        data = ad.zeros(lead + (1,) + trailing, dtype=data.dtype)
    positions = np.minimum(positions, data.shape[axis] - 1)
    extra = (1,) * len(trailing)
    block = ad.take_along_dim(data, ad.tensor(positions.reshape(lead + (-1,) + extra)),
                              dim=axis).reshape(lead + (segments, longest) + trailing)
    inside = inside.reshape(inside.shape + extra)

    identity = {"sum": 0.0, "mean": 0.0, "prod": 1.0, "amax": -np.inf, "amin": np.inf}[name]
    block = ad.where(ad.tensor(inside), block, ad.tensor(identity, dtype=data.dtype))
    count = lengths.reshape(lengths.shape + extra).astype(data.dtype)
    if name == "mean":
        total = block.sum(axis=axis + 1)
        if initial is not None:
            total = total + initial
        empty_value = np.nan if initial is None else initial
        result = ad.where(ad.tensor(count == 0), ad.tensor(empty_value, dtype=data.dtype),
                          total / ad.tensor(np.maximum(count, 1)))
    else:
        result = getattr(ad, name)(block, axis=axis + 1)
        if initial is not None:
            start = ad.tensor(initial, dtype=data.dtype)
            if name in ("amax", "amin"):
                # A segment's extreme that ties ``initial`` keeps the whole gradient, as
                # in PyTorch (``maximum`` would give the constant half of it).
                kept = result >= start if name == "amax" else result <= start
                result = ad.where(kept, result, start)
            else:
                result = (ad.add if name == "sum" else ad.multiply)(result, start)
    return result


def _lengths(lengths, offsets) -> np.ndarray:
    from .ops.operands import array_of

    if (lengths is None) == (offsets is None):
        raise RuntimeError("segment_reduce: pass exactly one of lengths= and offsets= (the "
                           "segments' sizes, or their boundaries)")
    values = np.asarray(array_of(lengths if offsets is None else offsets))
    if values.dtype.kind not in "iu" or values.ndim == 0:
        raise TypeError(f"segment_reduce: {'lengths' if offsets is None else 'offsets'} "
                        f"must be a tensor of integers with at least one dim, got "
                        f"{values.dtype} of shape {values.shape}")
    return values.astype(np.int64) if offsets is None else np.diff(values, axis=-1)


def _checked_axis(axis, ndim: int, lengths: np.ndarray) -> int:
    if not -ndim <= axis < ndim:
        raise IndexError(f"segment_reduce: axis {axis} is out of range for data with "
                         f"{ndim} dims")
    axis %= ndim
    if axis != lengths.ndim - 1:
        raise RuntimeError(f"segment_reduce: axis ({axis}) must be the last dim of lengths "
                           f"(lengths has {lengths.ndim} dims, so axis "
                           f"{lengths.ndim - 1}), as in PyTorch")
    return axis
