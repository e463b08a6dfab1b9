"""Specs for the functions of autodiff/ops/assemble.py, masked_reductions.py and
float_parts.py.  Imported at the end of op_specs.py, whose helpers they use: import
op_specs (its SPECS include these), not this module on its own.

Functions with several outputs are checked through all of them, flattened and joined.
``unique`` gets distinct values (a tie changes the number of outputs under the finite
differences): the gradient at repeated values is tested by hand in
tests/test_assemble_ops.py."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import autodiff as ad
from op_specs import SHAPES, Case, Spec, _rng, axis_and_keepdims, values


def _joined(parts):
    """Several outputs as one: each flattened, then joined (Tensors or arrays)."""
    if any(isinstance(p, ad.Tensor) for p in parts):
        return ad.concatenate([ad.flatten(p) for p in parts])
    return np.concatenate([np.ravel(p) for p in parts])


def _diagflat_case(data):
    k = data.draw(st.integers(-2, 2), label="k")
    return Case(lambda t: np.diagflat(t, k), [values(data, data.draw(SHAPES))],
                lambda a: np.diagflat(a, k))


def _meshgrid_case(data):
    n = data.draw(st.integers(1, 3), label="n")
    kwargs = {"indexing": data.draw(st.sampled_from(["xy", "ij"]), label="indexing"),
              "sparse": data.draw(st.booleans(), label="sparse")}
    inputs = [values(data, data.draw(SHAPES)) for _ in range(n)]
    return Case(lambda *ts: _joined(np.meshgrid(*ts, **kwargs)), inputs,
                lambda *xs: _joined(np.meshgrid(*xs, **kwargs)))


def _broadcast_arrays_case(data):
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
    return Case(lambda *ts: _joined(np.broadcast_arrays(*ts)),
                [values(data, s) for s in shapes.input_shapes],
                lambda *xs: _joined(np.broadcast_arrays(*xs)))


def _block_case(data):
    kind = data.draw(st.sampled_from(["2d", "1d", "scalars", "3d"]), label="kind")
    n, m, k1, k2 = (data.draw(st.integers(1, 3)) for _ in range(4))
    shapes, layout = {
        "2d": ([(n, k1), (n, k2), (m, k1 + k2)], lambda a, b, c: [[a, b], [c]]),
        "1d": ([(k1,), (k2,)], lambda a, b: [a, b]),
        "scalars": ([(), (k1,), ()], lambda a, b, c: [a, b, c]),
        "3d": ([(1, n, k1), (n, k2)], lambda a, b: [[[a, b]]]),
    }[kind]
    return Case(lambda *ts: np.block(layout(*ts)), [values(data, s) for s in shapes],
                lambda *xs: np.block(layout(*xs)))


def _block_diag_reference(*arrays):
    """NumPy's block-diagonal matrix of 0-d, 1-d and 2-d blocks (torch.block_diag's)."""
    blocks = [np.reshape(a, (1, -1)) if a.ndim < 2 else a for a in arrays]
    out = np.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)))
    row = column = 0
    for b in blocks:
        out[row:row + b.shape[0], column:column + b.shape[1]] = b
        row, column = row + b.shape[0], column + b.shape[1]
    return out


def _block_diag_case(data):
    shapes = data.draw(st.lists(st.sampled_from([(), (1,), (3,), (2, 2), (1, 3), (3, 1)]),
                                min_size=1, max_size=3), label="shapes")
    return Case(ad.block_diag, [values(data, s) for s in shapes], _block_diag_reference)


def _vdot_case(data):
    shape = data.draw(SHAPES)
    other = data.draw(st.sampled_from([shape, (int(np.prod(shape)),)]))
    return Case(np.vdot, [values(data, shape), values(data, other)], np.vdot)


def _axis_or_none(data, ndim):
    return data.draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1)) if ndim
                     else st.none(), label="axis")


def _lane(shape, axis):
    return int(np.prod(shape)) if axis is None else shape[axis]


def _delete_case(data):
    shape = data.draw(SHAPES)
    axis = _axis_or_none(data, len(shape))
    n = _lane(shape, axis)
    obj = data.draw(st.sampled_from([0, -1, [0, -1], slice(None, None, 2), "mask", []]),
                    label="obj")
    if obj == "mask":
        obj = _rng(data).uniform(size=n) < 0.5
    return Case(lambda t: np.delete(t, obj, axis), [values(data, shape)],
                lambda a: np.delete(a, obj, axis))


def _insert_case(data):
    shape = data.draw(SHAPES)
    axis = _axis_or_none(data, len(shape))
    n = _lane(shape, axis)
    obj = data.draw(st.sampled_from([0, n, -1, [0, n], slice(None, None, 2)]), label="obj")
    return Case(lambda t, v: np.insert(t, obj, v, axis), [values(data, shape),
                                                          values(data, ())],
                lambda a, v: np.insert(a, obj, v, axis))


def _resize_case(data):
    new_shape = data.draw(st.sampled_from([(5,), (2, 3), (1,), (0,), 4]), label="new")
    return Case(lambda t: np.resize(t, new_shape), [values(data, data.draw(SHAPES))],
                lambda a: np.resize(a, new_shape))


def _spacing(data, ndim):
    num = data.draw(st.integers(0, 4), label="num")
    endpoint = data.draw(st.booleans(), label="endpoint")
    axis = data.draw(st.integers(-ndim - 1, ndim), label="axis")
    return dict(num=num, endpoint=endpoint, axis=axis)


def _logspace_case(data):
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=3, max_dims=2, max_side=3))
    kwargs = _spacing(data, len(shapes.result_shape))
    start, stop = (values(data, s, -1, 1) for s in shapes.input_shapes[:2])
    base = values(data, shapes.input_shapes[2], 1.5, 3.0)
    return Case(lambda a, b, c: np.logspace(a, b, base=c, **kwargs), [start, stop, base],
                lambda a, b, c: np.logspace(a, b, base=c, **kwargs))


def _geomspace_case(data):
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    kwargs = _spacing(data, len(shapes.result_shape))
    sign = data.draw(st.sampled_from([1.0, -1.0]), label="sign")
    start, stop = (sign * values(data, s, 0.5, 2.0) for s in shapes.input_shapes)
    return Case(lambda a, b: np.geomspace(a, b, **kwargs), [start, stop],
                lambda a, b: np.geomspace(a, b, **kwargs))


def _unique_case(data):
    shape = data.draw(SHAPES)
    kind = data.draw(st.sampled_from(["unique", "axis", "values", "all"]), label="kind")
    if kind == "axis" and shape:
        axis = data.draw(st.integers(0, len(shape) - 1), label="axis")
        return Case(lambda t: np.unique(t, axis=axis), [values(data, shape)],
                    lambda a: np.unique(a, axis=axis))
    function = {"values": np.unique_values,
                "all": lambda x: np.unique_all(x).values}.get(kind, np.unique)
    return Case(function, [values(data, shape)], function)


def _masked_case(name, function, with_initial):
    def draw(data):
        shapes = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=3,
                                                         max_side=3), label="shapes")
        shape = shapes.result_shape
        axis, keepdims = axis_and_keepdims(data, len(shape))
        mask = _rng(data).uniform(size=shapes.input_shapes[1]) < 0.6
        if name == "mean":                  # every lane keeps an entry: no NaN lanes
            mask = np.broadcast_to(mask, shape).copy()
            axes = range(len(shape)) if axis is None else np.atleast_1d(axis) % len(shape)
            mask[tuple(0 if i in axes else slice(None) for i in range(len(shape)))] = True
        kwargs = {"axis": axis, "keepdims": keepdims, "where": mask}
        if with_initial:
            kwargs["initial"] = {"max": -3.0, "min": 3.0}.get(name, 0.5)
        elif name in ("max", "min"):
            kwargs["initial"] = -3.0 if name == "max" else 3.0
        return Case(lambda t: function(t, **kwargs), [values(data, shape)],
                    lambda a: function(a, **kwargs))
    return Spec(f"{name}_where", draw, notes="values in (-2, 2): no tie with initial; "
                                             "mean: no empty lane")


def _ldexp_case(data):
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    n = _rng(data).integers(-3, 4, size=shapes.input_shapes[1])
    return Case(lambda t: np.ldexp(t, n), [values(data, shapes.input_shapes[0])],
                lambda a: np.ldexp(a, n))


SPECS = [
    Spec("diagflat", _diagflat_case), Spec("meshgrid", _meshgrid_case),
    Spec("broadcast_arrays", _broadcast_arrays_case), Spec("block", _block_case),
    Spec("block_diag", _block_diag_case),
    Spec("vdot", _vdot_case), Spec("delete", _delete_case), Spec("insert", _insert_case),
    Spec("resize", _resize_case), Spec("logspace", _logspace_case),
    Spec("geomspace", _geomspace_case, notes="start and stop of one sign"),
    Spec("unique", _unique_case, notes="random values: no ties"),
    _masked_case("sum", np.sum, True), _masked_case("prod", np.prod, True),
    _masked_case("max", np.max, False), _masked_case("min", np.min, True),
    _masked_case("mean", np.mean, False),
    Spec("ldexp", _ldexp_case),
    Spec("modf_fraction", lambda data: Case(lambda t: _joined(np.modf(t)),
                                            [values(data, data.draw(SHAPES))],
                                            lambda a: _joined(np.modf(a))),
         notes="random values: never an integer"),
    Spec("frexp_mantissa", lambda data: Case(lambda t: np.frexp(t)[0],
                                             [values(data, data.draw(SHAPES))],
                                             lambda a: np.frexp(a)[0]),
         notes="random values: never a power of two"),
]
