"""Specs for products (inner, outer, tensordot, N-d dot, kron, cross, vecdot, matvec,
vecmat, multi_dot) and for joining and splitting (vstack ... dsplit); merged into
``op_specs.SPECS``."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import autodiff as ad
from op_specs import SHAPES, Case, Spec, values

SMALL = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)


def _tensordot_case(data):
    a_shape = data.draw(SHAPES, label="a shape")
    form = data.draw(st.sampled_from(["int", "pair of ints", "pair of lists"]), label="form")
    if form == "int" or not a_shape:
        n = data.draw(st.integers(0, len(a_shape)), label="n")
        axes = n
        b_shape = a_shape[len(a_shape) - n:] + data.draw(
            array_shapes(min_dims=0, max_dims=2, max_side=3), label="b free")
    else:
        count = 1 if form == "pair of ints" else data.draw(st.integers(0, len(a_shape)))
        axes_a = data.draw(st.permutations(range(len(a_shape))), label="axes a")[:count]
        b_free = data.draw(array_shapes(min_dims=0, max_dims=2, max_side=3), label="b free")
        b_shape = list(b_free)
        axes_b = []
        for k in axes_a:                  # put each contracted axis somewhere in b
            pos = data.draw(st.integers(0, len(b_shape)), label="position")
            b_shape.insert(pos, a_shape[k])
            axes_b = [p + (p >= pos) for p in axes_b] + [pos]
        b_shape = tuple(b_shape)
        negative = data.draw(st.booleans(), label="negative axes")
        if negative:
            axes_a = [k - len(a_shape) for k in axes_a]
        axes = (axes_a[0], axes_b[0]) if form == "pair of ints" else (axes_a, axes_b)
    return Case(lambda a, b: ad.tensordot(a, b, axes), [values(data, a_shape),
                                                        values(data, b_shape)],
                lambda a, b: np.tensordot(a, b, axes))


def _inner_case(data):
    last = data.draw(st.integers(1, 3), label="k")
    lead_a = data.draw(array_shapes(min_dims=0, max_dims=2, max_side=3), label="a lead")
    lead_b = data.draw(array_shapes(min_dims=0, max_dims=2, max_side=3), label="b lead")
    scalar = data.draw(st.sampled_from([None, "a", "b"]), label="0-d operand")
    a_shape = () if scalar == "a" else lead_a + (last,)
    b_shape = () if scalar == "b" else lead_b + (last,)
    return Case(ad.inner, [values(data, a_shape), values(data, b_shape)], np.inner)


def _dot_nd_case(data):
    """np.dot with an operand beyond 2-D (the other 1-D up to 3-D)."""
    k = data.draw(st.integers(1, 3), label="k")
    lead_a = data.draw(array_shapes(min_dims=0, max_dims=2, max_side=2), label="a lead")
    lead_b = data.draw(array_shapes(min_dims=0, max_dims=2, max_side=2), label="b lead")
    a_shape = lead_a + (k,)
    b_shape = (k,) if not lead_b else lead_b[:-1] + (k, lead_b[-1])
    if len(a_shape) <= 2 and len(b_shape) <= 2:
        a_shape = (1,) + a_shape if len(a_shape) == 2 else (2, 1) + a_shape
    return Case(ad.dot, [values(data, a_shape), values(data, b_shape)], np.dot)


def _outer_case(data):
    return Case(ad.outer, [values(data, data.draw(SHAPES)), values(data, data.draw(SHAPES))],
                np.outer)


def _kron_case(data):
    return Case(ad.kron, [values(data, data.draw(SHAPES)), values(data, data.draw(SHAPES))],
                np.kron)


def _cross_case(data):
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2),
                       label="batch")
    na, nb = (data.draw(st.sampled_from([2, 3, 3]), label="vector length") for _ in range(2))
    a_shape, b_shape = shapes.input_shapes[0] + (na,), shapes.input_shapes[1] + (nb,)
    a_axis = data.draw(st.integers(-len(a_shape), len(a_shape) - 1), label="axisa")
    b_axis = data.draw(st.integers(-len(b_shape), len(b_shape) - 1), label="axisb")
    a = np.moveaxis(values(data, a_shape), -1, a_axis)
    b = np.moveaxis(values(data, b_shape), -1, b_axis)
    out_ndim = len(shapes.result_shape) + (0 if na == nb == 2 else 1)
    c_axis = data.draw(st.integers(-max(out_ndim, 1), max(out_ndim, 1) - 1), label="axisc")
    kwargs = dict(axisa=a_axis, axisb=b_axis, axisc=c_axis)

    def quiet(func):                      # NumPy deprecates 2-vectors; both warn alike
        def run(x, y):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                return func(x, y, **kwargs)
        return run
    return Case(quiet(ad.cross), [a, b], quiet(np.cross))


def _stacking_case(name):
    def draw(data):
        ndim = data.draw(st.integers(0, 3), label="ndim")
        base = [data.draw(st.integers(1, 3)) for _ in range(ndim)]
        axis = {"vstack": 0, "hstack": 1, "column_stack": 1, "dstack": 2}[name]
        axis = min(axis, max(ndim - 1, 0))
        if name == "vstack" and ndim < 2 or name == "dstack" and ndim < 3:
            sizes = [None] * 3            # the inputs are promoted: nothing can vary
        elif name == "column_stack" and ndim < 2:
            sizes = [None] * 3
        else:
            sizes = [data.draw(st.integers(1, 3)) for _ in range(3)]
        count = data.draw(st.integers(1, 3), label="count")
        arrays = []
        for size in sizes[:count]:
            shape = list(base)
            if size is not None and ndim:
                shape[axis] = size
            arrays.append(values(data, tuple(shape)))
        return Case(lambda *ts: getattr(ad, name)(list(ts)), arrays,
                    lambda *xs: getattr(np, name)(list(xs)))
    return draw


def _append_case(data):
    shape = data.draw(SHAPES, label="shape")
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1))
                     if shape else st.none(), label="axis")
    if axis is None:
        other = data.draw(SHAPES, label="values shape")
    else:
        other = list(shape)
        other[axis] = data.draw(st.integers(1, 3))
        other = tuple(other)
    return Case(lambda a, b: ad.append(a, b, axis=axis),
                [values(data, shape), values(data, other)],
                lambda a, b: np.append(a, b, axis=axis))


def _atleast_case(name):
    def draw(data):
        count = data.draw(st.integers(1, 3), label="count")
        arrays = [values(data, data.draw(array_shapes(min_dims=0, max_dims=4, max_side=2)))
                  for _ in range(count)]

        def as_list(results):             # one input gives one result, several a tuple
            assert isinstance(results, tuple) == (count > 1)
            return list(results) if count > 1 else [results]

        def f(*ts):                       # one output for the checks: all, flattened
            return ad.concatenate([r.reshape(-1) for r in as_list(getattr(ad, name)(*ts))])

        def ref(*xs):
            ours = [r.shape for r in as_list(getattr(ad, name)(*xs))]
            theirs = as_list(getattr(np, name)(*xs))
            assert ours == [r.shape for r in theirs]
            return np.concatenate([r.reshape(-1) for r in theirs])
        return Case(f, arrays, ref)
    return draw


def _pieces(func, x, *args):
    """All pieces of a split, weighted by position and joined (one output to check)."""
    parts = func(x, *args)
    concatenate = ad.concatenate if isinstance(parts[0], ad.Tensor) else np.concatenate
    return concatenate([p.reshape(-1) * (i + 1) for i, p in enumerate(parts)])


def _array_split_case(data):
    shape = data.draw(SMALL, label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    n = shape[axis]
    sections = data.draw(st.one_of(st.integers(1, 4),
                                   st.lists(st.integers(-n - 1, n + 1), max_size=3)),
                         label="sections")
    return Case(lambda t: _pieces(ad.array_split, t, sections, axis),
                [values(data, shape)], lambda a: _pieces(np.array_split, a, sections, axis))


def _directional_split_case(name, min_dims, axis_of):
    def draw(data):
        shape = data.draw(array_shapes(min_dims=min_dims, max_dims=3, max_side=4),
                          label="shape")
        n = shape[axis_of(len(shape))]
        sections = data.draw(st.one_of(
            st.sampled_from([d for d in (1, 2, 3, 4) if n % d == 0]),
            st.lists(st.integers(0, n), max_size=2).map(sorted)), label="sections")
        return Case(lambda t: _pieces(getattr(ad, name), t, sections), [values(data, shape)],
                    lambda a: _pieces(getattr(np, name), a, sections))
    return draw


_SUBLIST_CASES = [
    ([(2, 3), [0, 1], (3, 2), [1, 2], [0, 2]]), ([(3, 3), [0, 0]]), ([(3, 3), [0, 0], [0]]),
    ([(2, 3), [Ellipsis, 1], (3,), [1], [Ellipsis]]), ([(2,), [5], (3,), [30]]),
    ([(2, 2, 3), [0, 0, 1], (3, 2), [1, 51], [51, 0]]),
    ([(2, 3), [0, 1], (3, 2), [1, 2], (2, 2), [2, 3], [0, 3]]),
]


def _einsum_sublist_case(data):
    layout = data.draw(st.sampled_from(_SUBLIST_CASES), label="sublists")
    # operand shapes sit at even positions; an odd-length layout ends with the output
    positions = list(range(0, len(layout) - len(layout) % 2, 2))
    arrays = [values(data, layout[k]) for k in positions]

    def interleave(operands):
        args = list(layout)
        for k, x in zip(positions, operands):
            args[k] = x
        return args
    return Case(lambda *ts: ad.einsum(*interleave(ts)), arrays,
                lambda *xs: np.einsum(*interleave(xs)))


_BROADCAST_EINSUM_CASES = [
    ("ij,jk->ik", [(2, 1), (3, 2)]), ("ij,ij->i", [(2, 1), (1, 3)]),
    ("...ii->...i", [(2, 3, 3)]), ("i...,i...->...", [(2, 3), (2, 1)]),
    ("...ij,...jk", [(2, 1, 2, 3), (3, 3, 2)]), ("...,...", [(), (2,)]),
    ("ba,ab->", [(2, 3), (3, 2)]), ("a,B", [(2,), (3,)]),
]


def _einsum_broadcast_case(data):
    subscripts, shapes = data.draw(st.sampled_from(_BROADCAST_EINSUM_CASES), label="einsum")
    optimize = data.draw(st.sampled_from(["auto", True, False]), label="optimize")
    return Case(lambda *ts: ad.einsum(subscripts, *ts, optimize=optimize),
                [values(data, s) for s in shapes], lambda *xs: np.einsum(subscripts, *xs))


def _vecdot_case(data):
    """Vectors along any axis; the other axes broadcast (x1's and x2's ranks may
    differ, with the axis counted in each: NumPy's rule for gufunc axes)."""
    n = data.draw(st.integers(1, 3), label="n")
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2),
                       label="batches").input_shapes
    negative = data.draw(st.booleans(), label="negative axis")
    if negative:
        axis = -data.draw(st.integers(1, 1 + min(len(s) for s in shapes)), label="axis")
    else:
        axis = data.draw(st.integers(0, min(len(s) for s in shapes)), label="axis")

    def with_vector_axis(batch):
        at = axis if axis >= 0 else len(batch) + 1 + axis
        return batch[:at] + (n,) + batch[at:]
    a, b = (values(data, with_vector_axis(s)) for s in shapes)
    via = data.draw(st.sampled_from(["ad", "np", "np.linalg"]), label="spelling")
    func = {"ad": ad.vecdot, "np": np.vecdot, "np.linalg": np.linalg.vecdot}[via]
    return Case(lambda x1, x2: func(x1, x2, axis=axis), [a, b],
                lambda x1, x2: np.vecdot(x1, x2, axis=axis))


def _matvec_case(data, vector_first):
    m, n = data.draw(st.integers(1, 3), label="m"), data.draw(st.integers(1, 3), label="n")
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2),
                       label="batches").input_shapes
    if vector_first:                    # vecmat: (..., n) times (..., n, m)
        inputs = [values(data, shapes[0] + (n,)), values(data, shapes[1] + (n, m))]
        return Case(ad.vecmat, inputs, np.vecmat)
    inputs = [values(data, shapes[0] + (m, n)), values(data, shapes[1] + (n,))]
    return Case(ad.matvec, inputs, np.matvec)


def _multi_dot_case(data):
    count = data.draw(st.integers(2, 5), label="matrices")
    sizes = data.draw(st.lists(st.integers(1, 4), min_size=count + 1, max_size=count + 1),
                      label="sizes")
    shapes = [(sizes[k], sizes[k + 1]) for k in range(count)]
    if data.draw(st.booleans(), label="first is 1-D"):
        shapes[0] = shapes[0][1:]
    if data.draw(st.booleans(), label="last is 1-D"):
        shapes[-1] = shapes[-1][:1]
    return Case(lambda *ts: ad.linalg.multi_dot(list(ts)),
                [values(data, shape) for shape in shapes],
                lambda *xs: np.linalg.multi_dot(list(xs)))


PRODUCT_SPECS = [
    Spec("vecdot", _vecdot_case), Spec("matvec", lambda data: _matvec_case(data, False)),
    Spec("vecmat", lambda data: _matvec_case(data, True)),
    Spec("multi_dot", _multi_dot_case),
    Spec("einsum_sublist", _einsum_sublist_case),
    Spec("einsum_broadcast", _einsum_broadcast_case),
    Spec("tensordot", _tensordot_case), Spec("inner", _inner_case),
    Spec("dot_nd", _dot_nd_case),
    Spec("outer", _outer_case), Spec("kron", _kron_case), Spec("cross", _cross_case),
    Spec("vstack", _stacking_case("vstack")), Spec("hstack", _stacking_case("hstack")),
    Spec("column_stack", _stacking_case("column_stack")),
    Spec("dstack", _stacking_case("dstack")), Spec("append", _append_case),
    Spec("atleast_1d", _atleast_case("atleast_1d")),
    Spec("atleast_2d", _atleast_case("atleast_2d")),
    Spec("atleast_3d", _atleast_case("atleast_3d")),
    Spec("array_split", _array_split_case),
    Spec("vsplit", _directional_split_case("vsplit", 2, lambda nd: 0)),
    Spec("hsplit", _directional_split_case("hsplit", 1, lambda nd: 1 if nd > 1 else 0)),
    Spec("dsplit", _directional_split_case("dsplit", 3, lambda nd: 2)),
]
