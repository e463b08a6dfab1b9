"""One spec per op: how to draw its inputs, its NumPy reference, which orders to check.

A spec's ``draw(data)`` returns a ``Case``: the function of Tensors to test, its
float64 inputs (arrays; non-float entries are passed through as constants), and the
NumPy reference computed on the same arrays.  ``tests/test_op_gradients.py`` turns
every spec into forward, first-order and second-order checks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import (array_shapes, broadcastable_shapes,
                                    mutually_broadcastable_shapes)

import autodiff as ad
from autodiff.transforms import transform_input

SHAPES = array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)


@dataclass
class Case:
    func: Callable
    inputs: list
    reference: Callable


@dataclass
class Spec:
    name: str
    draw: Callable
    order: int = 2                       # 0: no gradient, 1: first order, 2: also second
    notes: str = ""
    extra: dict = field(default_factory=dict)


def _rng(data):
    # One generator per drawn case, so two inputs never get identical values (which
    # would put maximum/minimum exactly on their kink).
    rng = getattr(data, "_values_rng", None)
    if rng is None:
        rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
        data._values_rng = rng
    return rng


def values(data, shape, lo=-2.0, hi=2.0):
    return _rng(data).uniform(lo, hi, size=shape)


def signed_away_from_zero(data, shape, lo=0.5, hi=2.0):
    mag = values(data, shape, lo, hi)
    signs = np.where(values(data, shape, -1, 1) < 0, -1.0, 1.0)
    return mag * signs


def unary(name, ad_func, np_func, lo=-2.0, hi=2.0, order=2, signed=False):
    def draw(data):
        shape = data.draw(SHAPES, label="shape")
        x = signed_away_from_zero(data, shape, lo, hi) if signed else values(data, shape, lo, hi)
        return Case(ad_func, [x], np_func)
    return Spec(name, draw, order)


def binary(name, ad_func, np_func, a_range=(-2, 2), b_range=(-2, 2), order=2):
    def draw(data):
        shapes = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
                           label="shapes")
        a = values(data, shapes.input_shapes[0], *a_range)
        b = values(data, shapes.input_shapes[1], *b_range)
        return Case(ad_func, [a, b], np_func)
    return Spec(name, draw, order)


def axis_and_keepdims(data, ndim):
    """A reduction's ``axis`` (None, an int or a tuple) and ``keepdims``, drawn."""
    choice = data.draw(st.sampled_from(["none", "int", "tuple"]), label="axis kind")
    if choice == "none" or ndim == 0:
        axis = None
    elif choice == "int":
        axis = data.draw(st.integers(-ndim, ndim - 1), label="axis")
    else:
        axis = tuple(data.draw(st.sets(st.integers(0, ndim - 1), min_size=1), label="axes"))
    return axis, data.draw(st.booleans(), label="keepdims")


def reduction(name, ad_func, np_func, order=2, with_ddof=False):
    def draw(data):
        shape = data.draw(SHAPES, label="shape")
        ndim = len(shape)
        axis, keepdims = axis_and_keepdims(data, ndim)
        kwargs = {"axis": axis, "keepdims": keepdims}
        if with_ddof:
            n = int(np.prod([shape[a] for a in (range(ndim) if axis is None else
                                                 np.atleast_1d(axis))]))
            kwargs["ddof"] = data.draw(st.sampled_from([0, 1] if n > 1 else [0]), label="ddof")
        x = values(data, shape)
        return Case(lambda t: ad_func(t, **kwargs), [x], lambda a: np_func(a, **kwargs))
    return Spec(name, draw, order)


def _matmul_case(data):
    kind = data.draw(st.sampled_from(["1x1", "1xN", "Nx1", "2x2", "batched"]), label="kind")
    n, k, m = (data.draw(st.integers(1, 3)) for _ in range(3))
    batch = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2))
    a_shape = {"1x1": (k,), "1xN": (k,), "Nx1": batch.input_shapes[0] + (n, k),
               "2x2": (n, k), "batched": batch.input_shapes[0] + (n, k)}[kind]
    b_shape = {"1x1": (k,), "1xN": batch.input_shapes[1] + (k, m), "Nx1": (k,),
               "2x2": (k, m), "batched": batch.input_shapes[1] + (k, m)}[kind]
    return Case(ad.matmul, [values(data, a_shape), values(data, b_shape)], np.matmul)


def _dot_case(data):
    a_shape, b_shape = data.draw(st.sampled_from([
        ((), (3,)), ((2,), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 3), (3, 2)),
        ((2, 2, 3), (3, 2)), ((3,), (2, 3, 2)), ((2, 1, 3), (2, 3, 1))]), label="shapes")
    return Case(ad.dot, [values(data, a_shape), values(data, b_shape)], np.dot)


_EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 2)]), ("i,i->", [(3,), (3,)]), ("ii->", [(3, 3)]),
    ("ii->i", [(2, 2)]), ("ij->j", [(2, 3)]), ("ij->ji", [(2, 3)]), ("ij", [(2, 3)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 2)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 1)]),
    ("i,j->ij", [(2,), (3,)]), ("ijk,ik->j", [(2, 3, 2), (2, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]), ("iij->j", [(2, 2, 3)]),
]


def _einsum_case(data):
    subscripts, shapes = data.draw(st.sampled_from(_EINSUM_CASES), label="einsum")
    arrays = [values(data, s) for s in shapes]
    return Case(lambda *ts: ad.einsum(subscripts, *ts), arrays,
                lambda *xs: np.einsum(subscripts, *xs))


def _inv_case(data):
    n = data.draw(st.integers(1, 3), label="n")
    batch = data.draw(st.sampled_from([(), (2,)]), label="batch")
    a = values(data, batch + (n, n)) + 3 * np.eye(n)
    return Case(ad.linalg.inv, [a], np.linalg.inv)


def _reshape_case(data):
    shape = data.draw(SHAPES)
    x = values(data, shape)
    target = data.draw(st.sampled_from([(-1,), (x.size, 1), tuple(reversed(shape)),
                                        (1,) + shape]))
    return Case(lambda t: ad.reshape(t, target), [x], lambda a: np.reshape(a, target))


def _transpose_case(data):
    shape = data.draw(SHAPES)
    axes = data.draw(st.one_of(st.none(), st.permutations(range(len(shape))).map(tuple)))
    return Case(lambda t: ad.transpose(t, axes), [values(data, shape)],
                lambda a: np.transpose(a, axes))


def _swapaxes_case(data):
    shape = data.draw(array_shapes(min_dims=1, max_dims=3, max_side=3))
    i, j = (data.draw(st.integers(-len(shape), len(shape) - 1)) for _ in range(2))
    return Case(lambda t: ad.swapaxes(t, i, j), [values(data, shape)],
                lambda a: np.swapaxes(a, i, j))


def _expand_dims_case(data):
    shape = data.draw(SHAPES)
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    return Case(lambda t: ad.expand_dims(t, axis), [values(data, shape)],
                lambda a: np.expand_dims(a, axis))


def _squeeze_case(data):
    shape = data.draw(array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=2))
    ones = [i for i, n in enumerate(shape) if n == 1]
    axis = data.draw(st.one_of(st.none(), st.sampled_from(ones) if ones else st.none()))
    return Case(lambda t: ad.squeeze(t, axis), [values(data, shape)],
                lambda a: np.squeeze(a, axis))


def _flatten_case(data):
    return Case(ad.flatten, [values(data, data.draw(SHAPES))], np.ravel)


def _broadcast_to_case(data):
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    target = shapes.result_shape
    return Case(lambda t: ad.broadcast_to(t, target), [values(data, shapes.input_shapes[0])],
                lambda a: np.broadcast_to(a, target))


def _sum_to_case(data):
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    small = shapes.input_shapes[0]
    big = values(data, shapes.result_shape)
    from autodiff.ops.shape import sum_to_array
    return Case(lambda t: ad.sum_to(t, small), [big], lambda a: sum_to_array(a, small))


def _concatenate_case(data):
    shape = data.draw(array_shapes(min_dims=1, max_dims=3, max_side=3))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    k = data.draw(st.integers(1, 3))
    arrays = []
    for _ in range(k):
        s = list(shape)
        s[axis] = data.draw(st.integers(1, 3))
        arrays.append(values(data, tuple(s)))
    return Case(lambda *ts: ad.concatenate(ts, axis=axis), arrays,
                lambda *xs: np.concatenate(xs, axis=axis))


def _stack_case(data):
    shape = data.draw(SHAPES)
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    arrays = [values(data, shape) for _ in range(data.draw(st.integers(1, 3)))]
    return Case(lambda *ts: ad.stack(ts, axis=axis), arrays,
                lambda *xs: np.stack(xs, axis=axis))


def _split_case(data):
    shape = data.draw(array_shapes(min_dims=1, max_dims=3, max_side=3))
    axis = data.draw(st.integers(0, len(shape) - 1))
    n = shape[axis]
    sections = data.draw(st.one_of(st.sampled_from([d for d in (1, 2, 3) if n % d == 0]),
                                   st.lists(st.integers(0, n), max_size=2).map(sorted)))

    def f(t):
        return ad.concatenate([p.reshape(-1) * (i + 1)
                               for i, p in enumerate(ad.split(t, sections, axis))])

    def ref(a):
        return np.concatenate([p.reshape(-1) * (i + 1)
                               for i, p in enumerate(np.split(a, sections, axis))])
    return Case(f, [values(data, shape)], ref)


_KEYS = [
    ((3,), 1), ((3,), -1), ((3,), slice(None, None, -1)), ((3, 3), (slice(0, 2), None, 1)),
    ((2, 3), (Ellipsis, 0)), ((3,), np.array([0, 0, 2, 2, 2])),
    ((3, 2), np.array([[1, 0], [1, 1]])),
    ((3, 3), (np.array([0, 2, 0]), np.array([1, 1, 1]))), ((3, 2), np.array([True, False, True])),
    ((2, 3), np.array([[True, False, True], [False, False, True]])),
    ((3, 3, 2), (slice(None), np.array([2, 0, 2]), 0)), ((3, 3), (np.array([1, 1]), slice(1, 3))),
    ((2, 3), (None, Ellipsis, np.array([0, 0]))), ((3,), [1, 1]), ((2, 2), ()),
]


def _getitem_case(data):
    shape, key = data.draw(st.sampled_from(_KEYS), label="key")
    return Case(lambda t: t[key], [values(data, shape)], lambda a: a[key])


def _take_case(data):
    shape = data.draw(array_shapes(min_dims=1, max_dims=3, max_side=3))
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    size = int(np.prod(shape)) if axis is None else shape[axis]
    idx = np.array(data.draw(st.lists(st.integers(-size, size - 1), min_size=1, max_size=5)))
    return Case(lambda t: ad.take(t, idx, axis=axis), [values(data, shape)],
                lambda a: np.take(a, idx, axis=axis))


def _index_add_case(data):
    idx = np.array([0, 2, 2, 1, 2])
    from autodiff.ops.indexing import index_add_array
    return Case(lambda g: ad.index_add(g, (4, 2), idx), [values(data, (5, 2))],
                lambda a: index_add_array(a, (4, 2), idx))


def _where_case(data):
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
    cond = values(data, shapes.input_shapes[0]) > 0
    a, b = (values(data, s) for s in shapes.input_shapes[1:])
    return Case(lambda x, y: ad.where(cond, x, y), [a, b], lambda x, y: np.where(cond, x, y))


def _overwrite_case(data):
    # What a recorded fill_ / copy_ records: the value broadcast over the old one.
    from autodiff.ops.elementwise import overwrite

    shape = data.draw(SHAPES)
    value_shape = data.draw(broadcastable_shapes(shape, max_dims=len(shape)))
    return Case(lambda v, old: overwrite(v, old),
                [values(data, value_shape), values(data, shape)],
                lambda v, old: np.where(True, v, old))


def _diagonal_case(data):
    shape = data.draw(array_shapes(min_dims=2, max_dims=4, min_side=1, max_side=3))
    axis1, axis2 = data.draw(st.permutations(range(-len(shape), 0)))[:2]
    offset = data.draw(st.integers(-2, 2))
    return Case(lambda t: ad.diagonal(t, offset, axis1, axis2), [values(data, shape)],
                lambda a: np.diagonal(a, offset, axis1, axis2))


def _clip_case(data):
    shape = data.draw(SHAPES)
    lo, hi = data.draw(st.sampled_from([(-1.0, 1.0), (None, 0.5), (-0.5, None), (0.0, 2.0)]))
    return Case(lambda t: ad.clip(t, lo, hi), [values(data, shape)],
                lambda a: np.clip(a, lo, hi))


def _clip_tensor_bounds_case(data):
    # Bounds that broadcast against x, sometimes with lo > hi (np.clip then gives hi).
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
    x, lo, hi = (values(data, s) for s in shapes.input_shapes)
    return Case(lambda t, a, b: ad.clip(t, a, b), [x, lo, hi], np.clip)


def _leaky_case(data):
    slope = data.draw(st.sampled_from([0.01, 0.2, 1.5]))
    return Case(lambda t: ad.leaky_relu(t, slope), [values(data, data.draw(SHAPES))],
                lambda a: np.where(a > 0, a, slope * a))


def _leaky_tensor_slope_case(data):
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    x = signed_away_from_zero(data, shapes.input_shapes[0], 0.1)
    slope = values(data, shapes.input_shapes[1], 0.0, 2.0)
    return Case(ad.leaky_relu, [x, slope], lambda a, s: np.where(a > 0, a, s * a))


def _astype_case(data):
    return Case(lambda t: ad.astype(t, np.float64) * 2, [values(data, data.draw(SHAPES))],
                lambda a: a * 2)


def _comparison(name, ad_func, np_func):
    spec = binary(name, ad_func, np_func, order=0)
    return spec


def _sigmoid_ref(a):
    return 1 / (1 + np.exp(-a))


SPECS = [
    binary("add", ad.add, np.add), binary("subtract", ad.subtract, np.subtract),
    binary("multiply", ad.multiply, np.multiply),
    binary("divide", ad.divide, np.divide, b_range=(0.5, 2)),
    binary("power", ad.power, np.power, a_range=(0.5, 2), b_range=(-2, 2)),
    binary("maximum", ad.maximum, np.maximum), binary("minimum", ad.minimum, np.minimum),
    binary("logaddexp", ad.logaddexp, np.logaddexp),
    unary("negative", ad.negative, np.negative), unary("exp", ad.exp, np.exp),
    unary("log", ad.log, np.log, 0.3, 3), unary("log1p", ad.log1p, np.log1p, -0.5, 2),
    unary("expm1", ad.expm1, np.expm1), unary("sqrt", ad.sqrt, np.sqrt, 0.3, 3),
    unary("abs", ad.abs, np.abs, signed=True, lo=0.1), unary("sin", ad.sin, np.sin),
    unary("cos", ad.cos, np.cos), unary("tanh", ad.tanh, np.tanh),
    unary("sigmoid", ad.sigmoid, _sigmoid_ref, -6, 6),
    unary("sigmoid_derivative", ad.sigmoid_derivative,
          lambda a: _sigmoid_ref(a) * _sigmoid_ref(-a), -6, 6),
    unary("tanh_derivative", ad.tanh_derivative, lambda a: 1 / np.cosh(a) ** 2, -4, 4),
    unary("relu", ad.relu, lambda a: np.maximum(a, 0), signed=True, lo=0.1),
    unary("square", ad.square, np.square), unary("copy", ad.copy, np.copy),
    unary("transform_input", transform_input, lambda a: a),
    unary("reciprocal", ad.reciprocal, np.reciprocal, signed=True),
    unary("round", ad.round, np.round, order=1), unary("floor", ad.floor, np.floor, order=1),
    unary("sign", ad.sign, np.sign, order=1, signed=True, lo=0.1),
    Spec("leaky_relu", _leaky_case), Spec("clip", _clip_case), Spec("where", _where_case),
    Spec("overwrite", _overwrite_case), Spec("diagonal", _diagonal_case),
    Spec("leaky_relu_tensor_slope", _leaky_tensor_slope_case),
    Spec("clip_tensor_bounds", _clip_tensor_bounds_case),
    Spec("astype", _astype_case),
    reduction("sum", ad.sum, np.sum), reduction("mean", ad.mean, np.mean),
    reduction("max", ad.max, np.max), reduction("min", ad.min, np.min),
    reduction("var", ad.var, np.var, with_ddof=True),
    Spec("matmul", _matmul_case), Spec("dot", _dot_case), Spec("einsum", _einsum_case),
    Spec("inv", _inv_case),
    Spec("reshape", _reshape_case), Spec("transpose", _transpose_case),
    Spec("swapaxes", _swapaxes_case), Spec("expand_dims", _expand_dims_case),
    Spec("squeeze", _squeeze_case), Spec("flatten", _flatten_case),
    Spec("broadcast_to", _broadcast_to_case), Spec("sum_to", _sum_to_case),
    Spec("concatenate", _concatenate_case), Spec("stack", _stack_case),
    Spec("split", _split_case), Spec("getitem", _getitem_case), Spec("take", _take_case),
    Spec("index_add", _index_add_case),
    _comparison("less", ad.less, np.less), _comparison("less_equal", ad.less_equal, np.less_equal),
    _comparison("greater", ad.greater, np.greater),
    _comparison("greater_equal", ad.greater_equal, np.greater_equal),
    _comparison("equal", ad.equal, np.equal), _comparison("not_equal", ad.not_equal, np.not_equal),
    _comparison("logical_and", lambda a, b: ad.logical_and(a > 0, b > 0),
                lambda a, b: np.logical_and(a > 0, b > 0)),
    _comparison("logical_or", lambda a, b: ad.logical_or(a > 0, b > 0),
                lambda a, b: np.logical_or(a > 0, b > 0)),
    _comparison("logical_xor", lambda a, b: ad.logical_xor(a > 0, b > 0),
                lambda a, b: np.logical_xor(a > 0, b > 0)),
    Spec("logical_not", lambda data: Case(lambda t: ad.logical_not(t > 0),
                                          [values(data, data.draw(SHAPES))],
                                          lambda a: np.logical_not(a > 0)), order=0),
    _comparison("bitwise_and", lambda a, b: ad.bitwise_and(a > 0, b > 0),
                lambda a, b: np.bitwise_and(a > 0, b > 0)),
    _comparison("bitwise_or", lambda a, b: ad.bitwise_or(a > 0, b > 0),
                lambda a, b: np.bitwise_or(a > 0, b > 0)),
    _comparison("bitwise_xor", lambda a, b: ad.bitwise_xor(a > 0, b > 0),
                lambda a, b: np.bitwise_xor(a > 0, b > 0)),
    Spec("invert", lambda data: Case(lambda t: ad.invert(t > 0),
                                     [values(data, data.draw(SHAPES))],
                                     lambda a: np.invert(a > 0)), order=0),
    Spec("isnan", lambda data: Case(ad.isnan, [values(data, data.draw(SHAPES))], np.isnan),
         order=0),
    Spec("isfinite", lambda data: Case(ad.isfinite, [values(data, data.draw(SHAPES))],
                                       np.isfinite), order=0),
    Spec("isinf", lambda data: Case(ad.isinf, [values(data, data.draw(SHAPES))], np.isinf),
         order=0),
    Spec("stop_gradient", lambda data: Case(lambda t: ad.stop_gradient(t) * t,
                                            [values(data, data.draw(SHAPES))],
                                            lambda a: a * a), order=-1,
         notes="gradient flows only through the second factor: d/dx = x"),
]

def _softmax_family_case(kind):
    def draw(data):
        from autodiff.nn import functional as F
        shape = data.draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
        axis = data.draw(st.integers(-len(shape), len(shape) - 1))
        x = values(data, shape, -3, 3)
        shifted = lambda a: a - np.max(a, axis=axis, keepdims=True)  # noqa: E731
        if kind == "softmax":
            ref = lambda a: np.exp(shifted(a)) / np.exp(shifted(a)).sum(axis, keepdims=True)  # noqa
            return Case(lambda t: F.softmax(t, axis=axis), [x], ref)
        ref = lambda a: shifted(a) - np.log(np.exp(shifted(a)).sum(axis, keepdims=True))  # noqa
        return Case(lambda t: F.log_softmax(t, axis=axis), [x], ref)
    return draw


def _cross_entropy_case(data):
    from autodiff.nn import functional as F
    n, c = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    logits = values(data, (n, c), -3, 3)
    target = _rng(data).integers(0, c, size=n)

    def ref(a):
        shifted = a - a.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return -logp[np.arange(n), target].mean()
    return Case(lambda t: F.cross_entropy(t, target), [logits], ref)


def _binary_cross_entropy_items_case(data):
    """Probabilities and soft targets away from 0 and 1, where the loss is smooth;
    the saturated ends are tested in tests/test_functional.py."""
    from autodiff.nn.losses_binary import _bce
    shape = data.draw(SHAPES)
    p, t = values(data, shape, 0.05, 0.95), values(data, shape, 0.0, 1.0)
    return Case(lambda a, b: _bce(a, b), [p, t],
                lambda a, b: -(b * np.log(a) + (1 - b) * np.log(1 - a)))


def _xlogx_case(data):
    """Away from 0, where the gradient log(t) + 1 is finite (at 0 it is NaN, as
    PyTorch's; tests/test_loss_modules.py checks that)."""
    from autodiff.nn.losses_more import xlogx
    return Case(xlogx, [values(data, data.draw(SHAPES), 0.05, 2.0)], lambda t: t * np.log(t))


def _hardsigmoid_case(data):
    """Inside (-3, 3) and outside it, away from the kinks at -3 and 3 (PyTorch's sides
    there, and its float32 slope, are compared in tests/test_torch_scripts_sixth_gaps.py)."""
    from autodiff.nn.functional_activation import _hardsigmoid
    shape = data.draw(SHAPES)
    x = values(data, shape, -2.8, 2.8)
    x = np.where(np.abs(x) > 2.0, x * 2.0, x)          # some beyond -3 and 3
    return Case(_hardsigmoid, [x], lambda a: np.clip(a + 3.0, 0.0, 6.0) / 6.0)


_SET_KEYS = [
    ((3,), 1), ((2, 3), (slice(None), np.array([2, 0]))), ((3, 2), np.array([True, False, True])),
    ((2, 3), (Ellipsis, slice(0, 2))), ((2, 2), ()),
]


def _setitem_case(data):
    shape, key = data.draw(st.sampled_from(_SET_KEYS), label="key")
    target = values(data, shape)
    value = values(data, target[key].shape)

    def ref(a, v):
        out = a.copy()
        out[key] = v
        return out
    return Case(lambda t, v: ad.setitem(t, v, key), [target, value], ref)


def _zero_at_case(data):
    shape, key = data.draw(st.sampled_from(_SET_KEYS), label="key")

    def ref(a):
        out = a.copy()
        out[key] = 0
        return out
    return Case(lambda t: ad.zero_at(t, key) * t, [values(data, shape)], lambda a: ref(a) * a)


SPECS += [
    Spec("setitem", _setitem_case), Spec("zero_at", _zero_at_case),
]

SPECS += [
    Spec("softmax", _softmax_family_case("softmax")),
    Spec("log_softmax", _softmax_family_case("log_softmax")),
    Spec("cross_entropy", _cross_entropy_case),
    Spec("binary_cross_entropy_items", _binary_cross_entropy_items_case),
    Spec("xlogx", _xlogx_case),
    Spec("hardsigmoid", _hardsigmoid_case),
]


_erf_ref = np.vectorize(math.erf, otypes=[float])


def _gelu_case(data):
    approximate = data.draw(st.sampled_from(["none", "tanh"]))
    x = values(data, data.draw(SHAPES), -3, 3)
    if approximate == "tanh":
        ref = lambda a: 0.5 * a * (1 + np.tanh(np.sqrt(2 / np.pi) * (a + 0.044715 * a**3)))  # noqa
    else:
        ref = lambda a: a * 0.5 * (1 + _erf_ref(a / np.sqrt(2)))  # noqa: E731
    return Case(lambda t: ad.nn.functional.gelu(t, approximate=approximate), [x], ref)


def _layer_norm_case(data):
    shape = data.draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    k = data.draw(st.integers(1, len(shape)))
    normalized = shape[len(shape) - k:]
    affine = data.draw(st.sampled_from(["both", "weight", "none"]))
    eps = 0.1                      # keeps the finite differences well conditioned
    axes = tuple(range(len(shape) - k, len(shape)))
    x = values(data, shape)

    def ref(a, *wb):
        mean = a.mean(axis=axes, keepdims=True)
        y = (a - mean) / np.sqrt(((a - mean) ** 2).mean(axis=axes, keepdims=True) + eps)
        if wb:
            y = y * wb[0]
        return y + wb[1] if len(wb) == 2 else y

    F = ad.nn.functional
    if affine == "none":
        return Case(lambda t: F.layer_norm(t, normalized, eps=eps), [x], ref)
    w = values(data, normalized, 0.5, 2)
    if affine == "weight":
        return Case(lambda t, w: F.layer_norm(t, normalized, w, eps=eps), [x, w], ref)
    b = values(data, normalized)
    return Case(lambda t, w, b: F.layer_norm(t, normalized, w, b, eps=eps), [x, w, b], ref)


SPECS += [
    unary("erf", ad.erf, _erf_ref, -3, 3),
    Spec("gelu", _gelu_case),
    Spec("layer_norm", _layer_norm_case),
]


from op_specs_numpy import SPECS as _NUMPY_SURFACE_SPECS  # noqa: E402  (uses the helpers above)

SPECS += _NUMPY_SURFACE_SPECS
SPECS_BY_NAME = {spec.name: spec for spec in SPECS}

from op_specs_linalg import LINALG_SPECS  # noqa: E402
from op_specs_products import PRODUCT_SPECS  # noqa: E402
from op_specs_stats import SPECS as _STATISTICS_SPECS  # noqa: E402
from op_specs_signal import SPECS as _SIGNAL_SPECS  # noqa: E402
from op_specs_assemble import SPECS as _ASSEMBLE_SPECS  # noqa: E402
from op_specs_special import SPECS as _SPECIAL_SPECS  # noqa: E402
from op_specs_bessel import SPECS as _BESSEL_SPECS  # noqa: E402
from op_specs_windows import SPECS as _WINDOW_SPECS  # noqa: E402
from op_specs_reads import SPECS as _READS_SPECS  # noqa: E402
from op_specs_accumulate import SPECS as _ACCUMULATE_SPECS  # noqa: E402
from op_specs_scipy import SPECS as _SCIPY_SPECS  # noqa: E402
from op_specs_linalg_more import SPECS as _LINALG_MORE_SPECS  # noqa: E402
from op_specs_special_torch import SPECS as _SPECIAL_TORCH_SPECS  # noqa: E402
from op_specs_complex import SPECS as _COMPLEX_SPECS  # noqa: E402
from op_specs_scipy_hypergeometric import SPECS as _SCIPY_HYPERGEOMETRIC_SPECS  # noqa: E402
from op_specs_scipy_inverses import SPECS as _SCIPY_INVERSE_SPECS  # noqa: E402
from op_specs_scipy_special_more import SPECS as _SCIPY_SPECIAL_MORE_SPECS  # noqa: E402
from op_specs_scipy_mathieu_spheroidal import SPECS as _MATHIEU_SPHEROIDAL_SPECS  # noqa: E402

SPECS += PRODUCT_SPECS + LINALG_SPECS + _STATISTICS_SPECS + _SIGNAL_SPECS + _ASSEMBLE_SPECS
SPECS += _SPECIAL_SPECS + _BESSEL_SPECS + _WINDOW_SPECS + _READS_SPECS + _ACCUMULATE_SPECS
SPECS += _SCIPY_SPECS + _LINALG_MORE_SPECS + _SPECIAL_TORCH_SPECS + _COMPLEX_SPECS
SPECS += _SCIPY_HYPERGEOMETRIC_SPECS + _SCIPY_INVERSE_SPECS + _SCIPY_SPECIAL_MORE_SPECS
SPECS += _MATHIEU_SPHEROIDAL_SPECS
SPECS_BY_NAME = {spec.name: spec for spec in SPECS}


from op_specs_layers import SPECS as _LAYER_SPECS  # noqa: E402  (uses the helpers above)

SPECS += _LAYER_SPECS

SPECS_BY_NAME = {spec.name: spec for spec in SPECS}

from op_specs_ctc import SPECS as _CTC_SPECS  # noqa: E402  (uses the helpers above)

SPECS += _CTC_SPECS
SPECS_BY_NAME = {spec.name: spec for spec in SPECS}
