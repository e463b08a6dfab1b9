"""NumPy interop: NumPy functions called on Tensors are recorded on the tape.

``np.exp(t)`` reaches ``Tensor.__array_ufunc__`` and ``np.sum(t, axis=1)`` reaches
``Tensor.__array_function__``; both look the NumPy function up in a table and call
this library's op.  A NumPy function missing from the tables raises ``TypeError``
naming it, instead of silently computing on raw data and losing the gradient.
"""

from __future__ import annotations

import numpy as np

from .ops import compare as cmp
from .ops import elementwise as ew
from .ops import decompositions, indexing, join, linalg, norms, products, reduce, shape
from .tensor import Tensor

shape_mod = shape  # for adapters whose NumPy signature has a parameter named `shape`

UFUNCS = {
    np.add: ew.add, np.subtract: ew.subtract, np.multiply: ew.multiply,
    np.true_divide: ew.divide, np.power: ew.power, np.negative: ew.negative,
    np.positive: lambda x: x, np.exp: ew.exp, np.log: ew.log, np.log1p: ew.log1p,
    np.expm1: ew.expm1, np.sqrt: ew.sqrt, np.absolute: ew.abs, np.sin: ew.sin,
    np.cos: ew.cos, np.tanh: ew.tanh, np.square: ew.square, np.reciprocal: ew.reciprocal,
    np.maximum: ew.maximum, np.minimum: ew.minimum, np.logaddexp: ew.logaddexp,
    np.sign: ew.sign, np.floor: ew.floor, np.rint: ew.round, np.matmul: linalg.matmul,
    np.less: cmp.less, np.less_equal: cmp.less_equal, np.greater: cmp.greater,
    np.greater_equal: cmp.greater_equal, np.equal: cmp.equal, np.not_equal: cmp.not_equal,
    np.logical_and: cmp.logical_and, np.logical_or: cmp.logical_or,
    np.logical_not: cmp.logical_not, np.isnan: cmp.isnan, np.isfinite: cmp.isfinite,
    np.isinf: cmp.isinf,
}


def _no_extras(name, **extras):
    used = {k: v for k, v in extras.items() if v is not None and v is not np._NoValue}
    if used:
        raise TypeError(
            f"numpy.{name} on a Tensor: the argument(s) {sorted(used)} are not supported "
            "by autodiff; call it without them (or on t.data when no gradient is needed)")


def _reduction(name, op):
    def adapter(a, axis=None, dtype=None, out=None, keepdims=False, initial=None,
                where=None, **rest):
        _no_extras(name, dtype=dtype, out=out, initial=initial, where=where, **rest)
        return op(a, axis=axis, keepdims=bool(keepdims))
    return adapter


def _var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **rest):
    _no_extras("var", dtype=dtype, out=out, **rest)
    return reduce.var(a, axis=axis, keepdims=bool(keepdims), ddof=ddof)


def _reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    _no_extras("reshape", order=None if order == "C" else order, copy=copy)
    return shape_mod.reshape(a, shape if shape is not None else newshape)


def _concatenate(arrays, axis=0, out=None, **rest):
    _no_extras("concatenate", out=out, **rest)
    return shape_mod.concatenate(arrays, axis=axis)


def _stack(arrays, axis=0, out=None, **rest):
    _no_extras("stack", out=out, **rest)
    return shape_mod.stack(arrays, axis=axis)


def _where(condition, *branches):
    if len(branches) != 2:
        raise TypeError("numpy.where with one argument (nonzero) has no gradient; call "
                        "np.where(cond, a, b) or use np.nonzero(t.data)")
    return ew.where(condition, *branches)


def _clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None, **rest):
    _no_extras("clip", out=out, **rest)
    lo = a_min if a_min is not None else min
    hi = a_max if a_max is not None else max
    return ew.clip(a, lo, hi)


def _round(a, decimals=0, out=None):
    _no_extras("round", out=out)
    return ew.round(a, decimals)


def _take(a, indices, axis=None, out=None, mode="raise"):
    _no_extras("take", out=out, mode=None if mode == "raise" else mode)
    return indexing.take(a, indices, axis=axis)


def _einsum(*operands, out=None, optimize=False, dtype=None, order="K", casting="safe"):
    _no_extras("einsum", out=out, dtype=dtype, order=None if order == "K" else order,
               casting=None if casting == "safe" else casting)
    return linalg.einsum(*operands, optimize=optimize)


def _outer(a, b, out=None):
    _no_extras("outer", out=out)
    return products.outer(a, b)


def _row_stack(tup, *, dtype=None, casting="same_kind"):
    import warnings

    warnings.warn("`row_stack` alias is deprecated. Use `np.vstack` directly.",
                  DeprecationWarning, stacklevel=3)
    return join.vstack(tup, dtype=dtype, casting=casting)


def _dot(a, b, out=None):
    _no_extras("dot", out=out)
    return linalg.dot(a, b)


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _constant(func):
    """A NumPy function with no gradient by nature (integer or bool results)."""
    def adapter(*args, **kwargs):
        args = [_data(a) for a in args]
        kwargs = {k: _data(v) for k, v in kwargs.items()}
        result = func(*args, **kwargs)
        return Tensor(result) if isinstance(result, np.ndarray) and result.ndim else result
    return adapter


FUNCTIONS = {
    np.sum: _reduction("sum", reduce.sum), np.mean: _reduction("mean", reduce.mean),
    np.max: _reduction("max", reduce.max), np.amax: _reduction("max", reduce.max),
    np.min: _reduction("min", reduce.min), np.amin: _reduction("min", reduce.min),
    np.var: _var, np.reshape: _reshape,
    np.transpose: lambda a, axes=None: shape.transpose(a, axes),
    np.swapaxes: lambda a, axis1, axis2: shape.swapaxes(a, axis1, axis2),
    np.expand_dims: lambda a, axis: shape.expand_dims(a, axis),
    np.squeeze: lambda a, axis=None: shape.squeeze(a, axis),
    np.ravel: lambda a, order="C": shape.flatten(a),
    np.broadcast_to: lambda array, shape, subok=False: shape_mod.broadcast_to(array, shape),
    np.concatenate: _concatenate, np.stack: _stack,
    np.split: lambda ary, indices_or_sections, axis=0: shape.split(ary, indices_or_sections,
                                                                   axis),
    np.where: _where, np.clip: _clip, np.round: _round, np.around: _round,
    np.take: _take, np.einsum: _einsum, np.dot: _dot,
    np.inner: products.inner, np.outer: _outer, np.tensordot: products.tensordot,
    np.kron: products.kron, np.cross: products.cross,
    np.vstack: join.vstack, np.hstack: join.hstack, np.column_stack: join.column_stack,
    np.dstack: join.dstack, np.append: join.append, np.atleast_1d: join.atleast_1d,
    np.atleast_2d: join.atleast_2d, np.atleast_3d: join.atleast_3d,
    np.array_split: join.array_split, np.vsplit: join.vsplit, np.hsplit: join.hsplit,
    np.dsplit: join.dsplit,
    np.linalg.inv: linalg.inv, np.linalg.solve: decompositions.solve,
    np.linalg.det: decompositions.det, np.linalg.slogdet: decompositions.slogdet,
    np.linalg.cholesky: decompositions.cholesky, np.linalg.eigh: decompositions.eigh,
    np.linalg.svd: decompositions.svd, np.linalg.pinv: decompositions.pinv,
    np.linalg.norm: norms.norm,
    np.zeros_like: _constant(np.zeros_like), np.ones_like: _constant(np.ones_like),
    np.shape: lambda a: np.shape(_data(a)), np.ndim: lambda a: np.ndim(_data(a)),
    np.size: lambda a, axis=None: np.size(_data(a), axis),
    np.result_type: lambda *a: np.result_type(*[_data(x) for x in a]),
    np.argmax: _constant(np.argmax), np.argmin: _constant(np.argmin),
    np.argsort: _constant(np.argsort), np.nonzero: _constant(np.nonzero),
    np.count_nonzero: _constant(np.count_nonzero), np.any: _constant(np.any),
    np.all: _constant(np.all), np.isclose: _constant(np.isclose),
    np.allclose: _constant(np.allclose), np.array_equal: _constant(np.array_equal),
}

if hasattr(np, "row_stack"):              # deprecated in NumPy 2.0; gone in later versions
    FUNCTIONS[np.row_stack] = _row_stack


def _unsupported(name):
    return TypeError(
        f"numpy.{name} has no differentiable rule in autodiff, so it cannot be recorded on "
        "the tape. Use an autodiff op (see the API list), write it with supported NumPy "
        "functions, or call it on t.data / t.detach() if you do not need its gradient.")


def array_ufunc(ufunc, method, *inputs, **kwargs):
    """Run a NumPy ufunc called on Tensors as the matching op."""
    if method != "__call__":
        raise _unsupported(f"{ufunc.__name__}.{method}")
    op = UFUNCS.get(ufunc)
    if op is None:
        raise _unsupported(ufunc.__name__)
    if kwargs:
        _no_extras(ufunc.__name__, **kwargs)
    return op(*inputs)


def array_function(func, args, kwargs):
    """Run a NumPy function called on Tensors as the matching op."""
    adapter = FUNCTIONS.get(func)
    if adapter is None:
        raise _unsupported(getattr(func, "__name__", str(func)))
    return adapter(*args, **kwargs)
