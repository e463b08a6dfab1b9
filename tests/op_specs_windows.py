"""Specs for sliding windows (autodiff/ops/windows.py), ``as_strided``
(autodiff/ops/strided.py), the selections of
autodiff/ops/picks.py and the in-place writes of autodiff/ops/writes.py.  Imported at
the end of op_specs.py, whose helpers they use.

The in-place functions are checked through a function that writes into a copy of its
first input (``t = x * 1.0``), as a user would write into an intermediate; their
indices are distinct (repeated ones are refused while recording)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

from op_specs import SHAPES, Case, Spec, _rng, values
from op_specs_assemble import _joined

_sliding = np.lib.stride_tricks.sliding_window_view


def _windows(data, shape):
    """A ``(window_shape, axis)`` that fits ``shape``: one window per axis (axis None),
    or windows on drawn axes (negative or repeated ones too)."""
    ndim = len(shape)
    if ndim == 0 or data.draw(st.booleans(), label="all axes"):
        return tuple(data.draw(st.integers(0 if n > 1 else 1, n), label="w")
                     for n in shape), None
    axes = data.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=3),
                     label="axes")
    left = list(shape)
    window = []
    for ax in axes:
        n = data.draw(st.integers(1, left[ax]), label="w")
        left[ax] -= n - 1
        window.append(n)
    return tuple(window), tuple(axes)


def _sliding_case(data):
    shape = data.draw(SHAPES, label="shape")
    window, axis = _windows(data, shape)
    return Case(lambda t: np.lib.stride_tricks.sliding_window_view(t, window, axis),
                [values(data, shape)], lambda a: _sliding(a, window, axis))


def _adjoint_reference(g, shape, window, axis):
    """Scatter-add by np.add.at over the flat positions each window entry came from."""
    where = _sliding(np.arange(int(np.prod(shape))).reshape(shape), window, axis)
    out = np.zeros(int(np.prod(shape)))
    np.add.at(out, where.ravel(), g.ravel())
    return out.reshape(shape)


def _adjoint_case(data):
    from autodiff.ops.windows import sliding_window_adjoint
    shape = data.draw(SHAPES, label="shape")
    window, axis = _windows(data, shape)
    axes = tuple(range(len(shape))) if axis is None else tuple(a % len(shape) for a in axis)
    out_shape = _sliding(np.zeros(shape), window, axis).shape
    return Case(lambda g: sliding_window_adjoint(g, shape, window_shape=window, axis=axes),
                [values(data, out_shape)],
                lambda g: _adjoint_reference(g, shape, window, axis))


def _strided_layout(data, n):
    """A ``(size, stride, storage_offset)`` whose reads fall within ``n`` elements."""
    ndim = data.draw(st.integers(1 if n == 0 else 0, 3), label="ndim")
    size = [data.draw(st.integers(1, 3), label="size") for _ in range(ndim)]
    if n == 0:
        size[0] = 0                         # (nothing to read)
    stride, budget = [], max(n - 1, 0)
    for length in size:
        step = data.draw(st.integers(0, 3), label="stride")
        if length > 1:
            step = min(step, budget // (length - 1))
            budget -= (length - 1) * step
        stride.append(step)
    offset = data.draw(st.integers(0, budget), label="storage_offset") if n else 0
    return tuple(size), tuple(stride), offset


def _strided_reference(a, size, stride, offset):
    flat = np.ascontiguousarray(a).reshape(-1)[offset:]
    return np.lib.stride_tricks.as_strided(
        flat, size, tuple(s * flat.itemsize for s in stride)).copy()


def _as_strided_case(data):
    shape = data.draw(SHAPES, label="shape")
    size, stride, offset = _strided_layout(data, int(np.prod(shape)))
    return Case(lambda t: t.as_strided(size, stride, offset), [values(data, shape)],
                lambda a: _strided_reference(a, size, stride, offset))


def _as_strided_adjoint_case(data):
    from autodiff.ops.strided import as_strided_adjoint
    shape = data.draw(SHAPES, label="shape")
    n = int(np.prod(shape))
    size, stride, offset = _strided_layout(data, n)

    def reference(g):
        out = np.zeros(n)
        reads = _strided_reference(np.arange(n), size, stride, offset)
        np.add.at(out, reads.ravel(), g.ravel())
        return out.reshape(shape)
    return Case(lambda g: as_strided_adjoint(g, shape=shape, size=size, stride=stride,
                                             storage_offset=offset),
                [values(data, size)], reference)


def _axis_or_none(data, ndim):
    if ndim == 0:
        return None
    return data.draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1)), label="axis")


def _compress_case(data):
    shape = data.draw(SHAPES, label="shape")
    axis = _axis_or_none(data, len(shape))
    n = int(np.prod(shape)) if axis is None else shape[axis]
    length = data.draw(st.integers(0, n), label="condition length")
    keep = _rng(data).uniform(size=length) < 0.6
    return Case(lambda t: np.compress(keep, t, axis=axis), [values(data, shape)],
                lambda a: np.compress(keep, a, axis=axis))


def _extract_case(data):
    shape = data.draw(SHAPES, label="shape")
    keep = _rng(data).uniform(size=shape) < 0.6
    return Case(lambda t: np.extract(keep, t), [values(data, shape)],
                lambda a: np.extract(keep, a))


def _choose_case(data):
    n = data.draw(st.integers(1, 3), label="choices")
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=n + 1, max_dims=3,
                                                     max_side=3), label="shapes")
    mode = data.draw(st.sampled_from(["raise", "wrap", "clip"]), label="mode")
    lo, hi = (0, n) if mode == "raise" else (-n - 1, 2 * n + 1)
    index = _rng(data).integers(lo, hi, size=shapes.input_shapes[0])
    choices = [values(data, s) for s in shapes.input_shapes[1:]]
    return Case(lambda *ts: np.choose(index, list(ts), mode=mode), choices,
                lambda *cs: np.choose(index, list(cs), mode=mode))


def _unstack_case(data):
    shape = data.draw(array_shapes(min_dims=1, max_dims=3, max_side=3), label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    return Case(lambda t: _joined(np.unstack(t, axis=axis)), [values(data, shape)],
                lambda a: _joined(np.unstack(a, axis=axis)))


def _written(write):
    """``x`` with ``write(t, *rest)`` done in place on a copy ``t`` of it."""
    def run(x, *rest):
        t = x * 1.0
        write(t, *rest)
        return t
    return run


def _put_along_axis_case(data):
    shape = data.draw(array_shapes(min_dims=1, max_dims=3, max_side=3), label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    k = data.draw(st.integers(0, shape[axis]), label="k")
    order = np.argsort(_rng(data).uniform(size=shape), axis=axis)   # distinct per lane
    index = np.take(order, np.arange(k), axis=axis)
    value_shape = tuple(1 if data.draw(st.booleans(), label="broadcast") else n
                        for n in index.shape)

    def write(t, v):
        np.put_along_axis(t, index, v, axis)
    return Case(_written(write), [values(data, shape), values(data, value_shape)],
                _written(write))


def _fill_diagonal_case(data):
    if data.draw(st.booleans(), label="2-d"):
        shape = (data.draw(st.integers(1, 5), label="n"), data.draw(st.integers(1, 3)))
    else:
        shape = (data.draw(st.integers(1, 3), label="n"),) * 3
    wrap = data.draw(st.booleans(), label="wrap")
    val_shape = data.draw(st.sampled_from([(), (1,), (2,), (4,), (2, 2)]), label="val")

    def write(t, v):
        np.fill_diagonal(t, v, wrap)
    return Case(_written(write), [values(data, shape), values(data, val_shape)],
                _written(write))


SPECS = [
    Spec("sliding_window_view", _sliding_case),
    Spec("sliding_window_adjoint", _adjoint_case),
    Spec("as_strided", _as_strided_case),
    Spec("as_strided_adjoint", _as_strided_adjoint_case),
    Spec("compress", _compress_case),
    Spec("extract", _extract_case),
    Spec("choose", _choose_case),
    Spec("unstack", _unstack_case),
    Spec("put_along_axis", _put_along_axis_case),
    Spec("fill_diagonal", _fill_diagonal_case),
]

if not hasattr(np, "unstack"):              # NumPy before 2.1
    SPECS = [s for s in SPECS if s.name != "unstack"]
