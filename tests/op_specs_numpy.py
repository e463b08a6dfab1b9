"""Specs for the NumPy-surface families: trigonometric, exponentials in other bases,
piecewise, cumulative and multiplicative, statistics, rearranging, copying, diagonals,
ordering and linspace.  Imported at the end of op_specs.py, whose helpers they use:
import op_specs (its SPECS include these), not this module on its own."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import autodiff as ad
from autodiff.ops.masked_reductions import masked_sum
from autodiff.ops.piecewise import trunc_divide
from op_specs import SHAPES, Case, Spec, _rng, axis_and_keepdims, binary, reduction
from op_specs import signed_away_from_zero
from op_specs import unary, values

NONEMPTY = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)
MATRICES = array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=3)


def _signed_divisor(name, ad_func, np_func, order=2):
    def draw(data):
        shapes = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
                           label="shapes")
        a = values(data, shapes.input_shapes[0], -3, 3)
        b = signed_away_from_zero(data, shapes.input_shapes[1], 0.5, 2)
        return Case(ad_func, [a, b], np_func)
    return Spec(name, draw, order)


def _with_zeros(data, shape):
    """Values in [-2, 2] with some entries exactly 0 (none, one, or several)."""
    x = values(data, shape)
    if x.size:
        count = data.draw(st.sampled_from([0, 1, 2, x.size]), label="zeros")
        x.reshape(-1)[_rng(data).permutation(x.size)[:count]] = 0.0
    return x


def _axis_or_none(data, ndim):
    return data.draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1)), label="axis")


def _cumulative_case(ad_func, np_func, zeros=False):
    def draw(data):
        shape = data.draw(SHAPES, label="shape")
        axis = _axis_or_none(data, len(shape)) if shape else None
        x = _with_zeros(data, shape) if zeros else values(data, shape)
        return Case(lambda t: ad_func(t, axis), [x], lambda a: np_func(a, axis))
    return draw


def _prod_case(data):
    spec = reduction("prod", ad.prod, np.prod)
    case = spec.draw(data)
    shape = case.inputs[0].shape
    return Case(case.func, [_with_zeros(data, shape)], case.reference)


def _logsumexp_reference(a, axis=None, keepdims=False):
    return np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims))


def _nan_to_num_case(data):
    replacements = data.draw(st.sampled_from([{}, {"nan": 1.0, "posinf": 5.0}]))
    return Case(lambda t: ad.nan_to_num(t, **replacements), [values(data, data.draw(SHAPES))],
                lambda a: np.nan_to_num(a, **replacements))


def _masked_sum_case(data):
    shape = data.draw(SHAPES, label="shape")
    axis, keepdims = axis_and_keepdims(data, len(shape))
    x = values(data, shape)
    mask = _rng(data).random(shape) > 0.3
    initial = data.draw(st.sampled_from([None, 0.5]), label="initial")
    start = {} if initial is None else {"initial": initial}
    return Case(lambda t: masked_sum(t, mask, axis=axis, keepdims=keepdims, initial=initial),
                [x], lambda a: np.sum(a, axis=axis, keepdims=keepdims, where=mask, **start))


def _select_case(data):
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    x, y = (values(data, s) for s in shapes.input_shapes)
    c1, c2 = x > 0.5, y < 0

    def f(a, b):
        return ad.select([c1, c2], [a * b, b * b], default=a)

    return Case(f, [x, y], lambda a, b: np.select([c1, c2], [a * b, b * b], default=a))


def _diff_case(data):
    shape = data.draw(NONEMPTY, label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    n = data.draw(st.integers(0, 2), label="n")
    edge = data.draw(st.sampled_from(["none", "scalar", "array"]), label="prepend")
    if edge == "none":
        return Case(lambda t: ad.diff(t, n, axis), [values(data, shape)],
                    lambda a: np.diff(a, n, axis))
    if edge == "scalar":
        return Case(lambda t: ad.diff(t, n, axis, prepend=0.5, append=-1.0),
                    [values(data, shape)], lambda a: np.diff(a, n, axis, prepend=0.5, append=-1.0))
    side = list(shape)
    side[axis] = 2
    return Case(lambda t, p: ad.diff(t, n, axis, prepend=p), [values(data, shape),
                values(data, tuple(side))], lambda a, p: np.diff(a, n, axis, prepend=p))


def _one_input(name, make):
    """A spec whose case is ``make(data, shape) -> (ad_func, np_func)`` on one input."""
    def draw(data):
        shape = data.draw(NONEMPTY, label="shape")
        ad_func, np_func = make(data, shape)
        return Case(ad_func, [values(data, shape)], np_func)
    return Spec(name, draw)


def _flip(data, shape):
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1),
                               st.sets(st.integers(0, len(shape) - 1)).map(tuple)))
    return (lambda t: ad.flip(t, axis)), (lambda a: np.flip(a, axis))


def _roll(data, shape):
    shift = data.draw(st.integers(-4, 4))
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    if axis is not None and data.draw(st.booleans()):
        shift, axis = (shift, 1), (axis, axis)        # the same axis twice adds up
    return (lambda t: ad.roll(t, shift, axis)), (lambda a: np.roll(a, shift, axis))


def _moveaxis(data, shape):
    ndim = len(shape)
    source = data.draw(st.integers(-ndim, ndim - 1))
    destination = data.draw(st.integers(-ndim, ndim - 1))
    return (lambda t: ad.moveaxis(t, source, destination),
            lambda a: np.moveaxis(a, source, destination))


def _rollaxis(data, shape):
    ndim = len(shape)
    axis, start = data.draw(st.integers(-ndim, ndim - 1)), data.draw(st.integers(0, ndim))
    return (lambda t: ad.rollaxis(t, axis, start)), (lambda a: np.rollaxis(a, axis, start))


def _flips(data, shape):
    if len(shape) < 2:
        return ad.flipud, np.flipud
    return data.draw(st.sampled_from([(ad.flipud, np.flipud), (ad.fliplr, np.fliplr)]))


def _rot90(data, shape):
    k = data.draw(st.integers(-5, 5))
    if len(shape) < 2:
        return (lambda t: ad.rot90(t.reshape(1, -1), k)), (lambda a: np.rot90(a.reshape(1, -1), k))
    axes = tuple(data.draw(st.permutations(range(len(shape))))[:2])
    return (lambda t: ad.rot90(t, k, axes)), (lambda a: np.rot90(a, k, axes))


def _ravel(data, shape):
    order = data.draw(st.sampled_from(["C", "F", "A", "K"]))
    transposed = data.draw(st.booleans())
    if transposed:               # data in F order: 'A' and 'K' read it column-wise
        return (lambda t: ad.ravel(t.T, order)), (lambda a: np.ravel(a.T, order))
    return (lambda t: ad.ravel(t, order)), (lambda a: np.ravel(a, order))


def _fftshift(data, shape):
    axes = data.draw(st.one_of(st.none(), st.integers(0, len(shape) - 1)))
    inverse = data.draw(st.booleans())
    if inverse:
        return (lambda t: ad.ifftshift(t, axes)), (lambda a: np.fft.ifftshift(a, axes))
    return (lambda t: ad.fftshift(t, axes)), (lambda a: np.fft.fftshift(a, axes))


def _repeat(data, shape):
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    n = int(np.prod(shape)) if axis is None else shape[axis]
    repeats = data.draw(st.one_of(st.integers(0, 3), st.lists(st.integers(0, 3), min_size=n,
                                                                max_size=n)))
    return (lambda t: ad.repeat(t, repeats, axis)), (lambda a: np.repeat(a, repeats, axis))


def _tile(data, shape):
    reps = data.draw(st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), min_size=1,
                                                            max_size=4).map(tuple)))
    return (lambda t: ad.tile(t, reps)), (lambda a: np.tile(a, reps))


def _pad(data, shape):
    mode = data.draw(st.sampled_from(["constant", "edge", "reflect", "symmetric", "wrap"]))
    width = data.draw(st.sampled_from([1, (0, 2), [(1, 0)] * len(shape)]))
    extra = {"constant_values": 0.5} if mode == "constant" else {}
    return (lambda t: ad.pad(t, width, mode, **extra)), (lambda a: np.pad(a, width, mode,
                                                                          **extra))


def _diag_case(data):
    k = data.draw(st.integers(-2, 2), label="k")
    shape = data.draw(st.sampled_from([(3,), (1,), (2, 3), (3, 2), (2, 2)]), label="shape")
    return Case(lambda t: ad.diag(t, k), [values(data, shape)], lambda a: np.diag(a, k))


def _diagonal(data, shape):
    shape_ok = len(shape) >= 2
    if not shape_ok:
        return (lambda t: ad.diagonal(ad.diag(t))), (lambda a: np.diagonal(np.diag(a)))
    axis1, axis2 = data.draw(st.permutations(range(len(shape))))[:2]
    offset = data.draw(st.integers(-2, 2))
    if data.draw(st.booleans()):
        return (lambda t: ad.trace(t, offset, axis1, axis2),
                lambda a: np.trace(a, offset, axis1, axis2))
    return (lambda t: ad.diagonal(t, offset, axis1, axis2),
            lambda a: np.diagonal(a, offset, axis1, axis2))


def _triangle(data, shape):
    k = data.draw(st.integers(-2, 2))
    pick = data.draw(st.sampled_from([(ad.tril, np.tril), (ad.triu, np.triu)]))
    return (lambda t: pick[0](t, k)), (lambda a: pick[1](a, k))


def _take_along_axis_case(data):
    shape = data.draw(NONEMPTY, label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    index_shape = list(shape)
    index_shape[axis] = data.draw(st.integers(1, 4))
    if len(shape) > 1 and data.draw(st.booleans()):
        index_shape[(axis + 1) % len(shape)] = 1             # broadcasts
    n = shape[axis]
    idx = _rng(data).integers(-n, n, size=index_shape)
    return Case(lambda t: ad.take_along_axis(t, idx, axis), [values(data, shape)],
                lambda a: np.take_along_axis(a, idx, axis))


def _sort(data, shape):
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    if data.draw(st.booleans()):
        return (lambda t: ad.sort(t, axis)), (lambda a: np.sort(a, axis))
    n = int(np.prod(shape)) if axis is None else shape[axis]
    kth = data.draw(st.integers(-n, n - 1))
    return (lambda t: ad.partition(t, kth, axis)), (lambda a: np.partition(a, kth, axis))


def _permute_case(data):
    shape = data.draw(NONEMPTY, label="shape")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    permutation = np.argsort(_rng(data).random(shape), axis=axis)
    return Case(lambda t: ad.permute_along_axis(t, permutation, axis), [values(data, shape)],
                lambda a: np.take_along_axis(a, permutation, axis))


def _linspace_case(data):
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    num = data.draw(st.integers(0, 5), label="num")
    endpoint = data.draw(st.booleans(), label="endpoint")
    axis = data.draw(st.integers(-len(shapes.result_shape) - 1, len(shapes.result_shape)))
    kwargs = {"num": num, "endpoint": endpoint, "axis": axis}
    return Case(lambda a, b: ad.linspace(a, b, **kwargs),
                [values(data, shapes.input_shapes[0]), values(data, shapes.input_shapes[1])],
                lambda a, b: np.linspace(a, b, **kwargs))


SPECS = [
    unary("tan", ad.tan, np.tan, -1.2, 1.2), unary("arcsin", ad.arcsin, np.arcsin, -0.9, 0.9),
    unary("arccos", ad.arccos, np.arccos, -0.9, 0.9), unary("arctan", ad.arctan, np.arctan),
    unary("sinh", ad.sinh, np.sinh), unary("cosh", ad.cosh, np.cosh),
    unary("arcsinh", ad.arcsinh, np.arcsinh), unary("arccosh", ad.arccosh, np.arccosh, 1.2, 3),
    unary("arctanh", ad.arctanh, np.arctanh, -0.9, 0.9),
    unary("deg2rad", ad.deg2rad, np.deg2rad), unary("rad2deg", ad.rad2deg, np.rad2deg),
    binary("arctan2", ad.arctan2, np.arctan2, a_range=(0.3, 2)),
    binary("hypot", ad.hypot, np.hypot),
    unary("log2", ad.log2, np.log2, 0.3, 3), unary("log10", ad.log10, np.log10, 0.3, 3),
    unary("exp2", ad.exp2, np.exp2), binary("logaddexp2", ad.logaddexp2, np.logaddexp2),
    _signed_divisor("mod", ad.mod, np.mod), _signed_divisor("fmod", ad.fmod, np.fmod),
    binary("fmax", ad.fmax, np.fmax), binary("fmin", ad.fmin, np.fmin),
    unary("fabs", ad.fabs, np.fabs, signed=True, lo=0.1),
    _signed_divisor("floor_divide", ad.floor_divide, np.floor_divide, order=1),
    _signed_divisor("trunc_divide", trunc_divide, lambda a, b: np.trunc(a / b), order=1),
    unary("ceil", ad.ceil, np.ceil, order=1), unary("trunc", ad.trunc, np.trunc, order=1),
    Spec("nan_to_num", _nan_to_num_case), Spec("select", _select_case),
    Spec("masked_sum", _masked_sum_case),
    Spec("real", lambda data: Case(ad.real, [values(data, data.draw(SHAPES))], np.real)),
    Spec("conj", lambda data: Case(ad.conj, [values(data, data.draw(SHAPES))], np.conj)),
    Spec("imag", lambda data: Case(ad.imag, [values(data, data.draw(SHAPES))], np.imag),
         order=-1, notes="zeros without gradient"),
    Spec("cumsum", _cumulative_case(ad.cumsum, np.cumsum)),
    Spec("cumprod", _cumulative_case(ad.cumprod, np.cumprod, zeros=True),
         notes="inputs with exact zeros"),
    Spec("prod", _prod_case, notes="inputs with exact zeros"),
    reduction("std", ad.std, np.std, with_ddof=True),
    reduction("logsumexp", ad.logsumexp, _logsumexp_reference),
    Spec("diff", _diff_case),
    _one_input("flip", _flip), _one_input("roll", _roll), _one_input("moveaxis", _moveaxis),
    _one_input("rollaxis", _rollaxis), _one_input("flipud/fliplr", _flips),
    _one_input("rot90", _rot90), _one_input("ravel", _ravel),
    _one_input("fftshift", _fftshift), _one_input("repeat", _repeat),
    _one_input("tile", _tile), _one_input("pad", _pad), Spec("diag", _diag_case),
    _one_input("diagonal/trace", _diagonal), _one_input("tril/triu", _triangle),
    Spec("take_along_axis", _take_along_axis_case), _one_input("sort/partition", _sort),
    Spec("permute_along_axis", _permute_case),
    Spec("linspace", _linspace_case),
]
