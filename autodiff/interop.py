"""NumPy interop: NumPy functions called on Tensors are recorded on the tape.

``np.exp(t)`` reaches ``Tensor.__array_ufunc__`` and ``np.sum(t, axis=1)`` reaches
``Tensor.__array_function__``; both look the NumPy function up in a table derived
from the op registry (each op's ``numpy=``, and ``implements`` for composites) and
call this library's op.  A NumPy function missing from the tables raises
``TypeError`` naming it, instead of silently computing on raw data and losing the
gradient.  NumPy keyword arguments that the ops do not support (``out=``,
``where=``, a non-default ``dtype=`` ...) are rejected here, in one place; a float
``dtype=`` of a reduction (``np.sum(t, dtype=np.float64)``) is a cast first (NumPy casts
in blocks of 8192 values, so a narrowing cast of a longer array may differ in the last
bits); a ufunc's ``dtype=``, ``signature=`` and ``casting=`` pick NumPy's loop, whose
float dtypes the inputs are cast to (ufunc_dtypes.py).
"""

from __future__ import annotations

import sys
from typing import Any, Callable

import numpy as np

from .ops.registry import NO_GRADIENT_FUNCTIONS, NUMPY_FUNCTIONS, NUMPY_UFUNCS, Op
from .ops.ufunc_methods import (outer, sequential_accumulate, sequential_reduce,
                                sequential_reduceat)
from .ops.ufunc_at import ufunc_at
from .ops import scipy_special
from .ops.scalar_power import operator_for_numpy_scalar
from . import like_creation, out_arguments, ufunc_dtypes
from .histogram_ranges import histogram_range_refusal
from .polynomial_series import refuse_columns_broadcast_against_a_tensor

#: Keyword arguments of NumPy functions that no op supports, with their accepted
#: (default) values: for ufuncs, and for other functions.
_UFUNC_DEFAULTS = {"out": (None,), "where": (True,), "dtype": (None,),
                   "casting": ("same_kind",), "order": ("K",), "subok": (True,),
                   "signature": (None,)}
_FUNCTION_DEFAULTS = {"out": (None,), "where": (True, None, np._NoValue), "dtype": (None,),
                      "casting": ("same_kind",), "order": ("C", None),
                      "subok": (False,), "initial": (None, np._NoValue)}


def _is_default(value, accepted):
    return any(value is a or (type(value) is type(a) and value == a) for a in accepted)


def check_numpy_kwargs(name: str, kwargs: dict, ufunc: bool, home=None) -> dict:
    """``kwargs`` without the unsupported NumPy arguments left at their defaults;
    raises ``TypeError`` naming ``name`` (the ufunc ``home`` by its module when given:
    ``scipy.special.fresnel``) and the arguments given other values."""
    defaults = _UFUNC_DEFAULTS if ufunc else _FUNCTION_DEFAULTS
    if ufunc:
        rejected = sorted(k for k, v in kwargs.items()
                          if k not in defaults or not _is_default(v, defaults[k]))
    else:
        rejected = sorted(k for k, v in kwargs.items()
                          if k in defaults and not _is_default(v, defaults[k]))
    if rejected:
        raise TypeError(
            f"{_full_name(home) if home is not None else 'numpy.' + name} on a Tensor: "
            f"the argument(s) {rejected} are not supported by "
            "autodiff; call it without them (or on t.data when no gradient is needed)")
    if any(k in defaults for k in kwargs):
        kwargs = {k: v for k, v in kwargs.items() if k not in defaults}
    return kwargs


def _full_name(func, method=None) -> str:
    """``numpy.linalg.qr``, ``numpy.add.reduce``; a ufunc from outside NumPy (scipy's,
    ``np.frompyfunc``'s) is named as such."""
    name = getattr(func, "__name__", str(func))
    if method is not None:
        name = f"{name}.{method}"
    module = getattr(func, "__module__", None)
    if not module:
        if not isinstance(func, np.ufunc):
            return name
        umath = sys.modules.get("numpy._core.umath") or sys.modules.get("numpy.core.umath")
        if any(getattr(m, func.__name__, None) is func for m in (np, umath) if m is not None):
            return f"numpy.{name}"      # (np.clip's ufunc is umath.clip, not np.clip)
        special = sys.modules.get("scipy.special")
        if special is not None and getattr(special, func.__name__, None) is func:
            return f"scipy.special.{name}"
        return f"the ufunc {name} (not one of NumPy's)"
    module = ".".join(part for part in module.split(".") if not part.startswith("_"))
    return f"{module}.{name}"


def _unsupported(name):
    return TypeError(
        f"{name} has no differentiable rule in autodiff, so it cannot be recorded on "
        "the tape. Use an autodiff op (the list is docs/ops.md), write it with supported "
        "NumPy functions, or call it on t.data / t.detach() if you do not need its gradient.")


def _of_objects(ufunc: np.ufunc) -> bool:
    """Whether ``ufunc`` computes on Python objects only (``np.frompyfunc``'s)."""
    return all(set(types.replace("->", "")) == {"O"} for types in ufunc.types)


def _from_python(ufunc, method: str):
    return TypeError(
        f"{_full_name(ufunc, method)} on a Tensor: a ufunc made by np.frompyfunc is "
        "recorded when called (its function runs on each element as a 0-d Tensor), but "
        f"its .{method} method is not; write the loop over the Tensor's entries (for a "
        "reduction, functools.reduce(f, t.reshape(-1)); np.frompyfunc(f, 2, 1)(t, u) "
        "for elementwise pairs), or call it on t.data / t.detach() if you do not need "
        "its gradient.")


def array_ufunc(ufunc: np.ufunc, method: str, *inputs, **kwargs) -> Any:
    """Run a NumPy ufunc called on Tensors as the matching op."""
    if kwargs and ufunc.nout == 1 and _only_a_mask_is_a_tensor(method, inputs, kwargs):
        return _under_a_mask(ufunc, method, inputs, kwargs)
    if method != "__call__":
        return _ufunc_method(ufunc, method, inputs, kwargs)
    if any(type(x) is np.ndarray and x.ndim for x in inputs):
        # (array_ufunc, Tensor.__array_ufunc__, then the caller: numpy.polynomial's?)
        refuse_columns_broadcast_against_a_tensor(sys._getframe(2))
    if (not kwargs and (ufunc is np.multiply or ufunc is np.power)
            and isinstance(inputs[0], np.generic)):
        # (a NumPy scalar's x * t: NumPy's scalar arithmetic, as for t * x)
        written = operator_for_numpy_scalar(ufunc, inputs, sys._getframe(2))
        if written is not None:
            return written(*inputs)
    op = NUMPY_UFUNCS.get(ufunc)
    if op is None:
        op = scipy_special.op_for(ufunc)
        if op is None:
            if _of_objects(ufunc):
                from .numpy_frompyfunc import call_on_tensors
                return call_on_tensors(ufunc, inputs, kwargs)
            raise _unsupported(_full_name(ufunc))
    if kwargs:
        if ufunc is np.matmul and kwargs.get("axes") is not None:
            return _matmul_along_axes(inputs, dict(kwargs))
        if out_arguments.wants_out(kwargs):
            if out_arguments.tensor_outs(kwargs) is None:
                if out_arguments.off_the_tape(inputs, kwargs):
                    return out_arguments.on_arrays(ufunc, inputs, kwargs)
                raise _out_refused(ufunc, inputs)
            if ufunc.signature is None:
                return out_arguments.ufunc_into(op, ufunc, inputs, kwargs, check_numpy_kwargs)
            # a gufunc (np.matmul): its core dimensions give the result's shape exactly
            return out_arguments.function_into(
                lambda *a, **k: array_ufunc(ufunc, method, *a, **k), ufunc.__name__, inputs,
                kwargs)
        order = kwargs.pop("order", "K") if ufunc.signature is None else "K"
        loop = None
        if any(kwargs.get(k) is not None for k in ufunc_dtypes.LOOP_ARGUMENTS):
            loop = ufunc_dtypes.loop_dtypes(ufunc, inputs, kwargs)
            if loop is not None:        # (a float loop: computed in its dtypes)
                inputs = ufunc_dtypes.cast_to_loop(inputs, loop)
                kwargs = {k: v for k, v in kwargs.items()
                          if k not in ufunc_dtypes.LOOP_ARGUMENTS}
        if ufunc.signature is not None and not isinstance(op, Op):
            # A gufunc's function entry takes the gufunc's own arguments (np.vecdot's
            # axis=) and checks the rest itself.
            kwargs.pop("out", None)
            result = op(*inputs, **kwargs)
        else:
            check_numpy_kwargs(ufunc.__name__, kwargs, ufunc=True, home=ufunc)
            result = op(*inputs)
        if loop is not None:
            result = ufunc_dtypes.in_loop_dtype(result, loop, ufunc.nin)
        return ufunc_dtypes.in_order(result, order, inputs)
    return op(*inputs)


def _matmul_along_axes(inputs, kwargs):
    """``np.matmul(a, b, axes=[(i, j), (k, l), (m, n)])``: each operand's two matrix
    axes moved last, the product, and its matrix axes moved to where ``axes`` says (the
    same arrangement NumPy's ``axes=`` makes)."""
    axes = kwargs.pop("axes")
    if (len(inputs) != 2 or len(axes) != 3
            or not all(isinstance(pair, (tuple, list)) and len(pair) == 2 for pair in axes)):
        raise TypeError(
            f"numpy.matmul on a Tensor: axes={axes!r} is supported as three pairs (the "
            "matrix axes of a, b and the result) for operands of two or more dimensions; "
            "for a vector operand move its axis with np.moveaxis and call np.matmul "
            "without axes=")
    if out_arguments.wants_out(kwargs):
        if out_arguments.tensor_outs(kwargs) is None:
            if out_arguments.off_the_tape(inputs, kwargs):
                return out_arguments.on_arrays(np.matmul, inputs, {**kwargs, "axes": axes})
            raise _out_refused(np.matmul, inputs)
        return out_arguments.function_into(
            lambda *a, **k: _matmul_along_axes(a, {**k, "axes": axes}), "matmul", inputs,
            kwargs)
    a, b = (np.moveaxis(x, tuple(pair), (-2, -1)) for x, pair in zip(inputs, axes))
    return np.moveaxis(np.matmul(a, b, **kwargs), (-2, -1), tuple(axes[2]))


#: A ufunc's methods run one slice at a time when the ufunc has no op of its own for them.
_SEQUENTIAL = {"reduce": sequential_reduce, "accumulate": sequential_accumulate,
               "reduceat": sequential_reduceat}


def _ufunc_method(ufunc, method, inputs, kwargs):
    """``ufunc.outer`` for any two-input ufunc that runs an op; ``ufunc.reduce`` and
    ``.accumulate`` where an op declares them (ops/ufunc_methods.py); ``ufunc.at`` in
    place (ops/ufunc_at.py)."""
    if method != "at" and out_arguments.wants_out(kwargs) and (
            out_arguments.off_the_tape(inputs, kwargs)):
        return out_arguments.on_arrays(getattr(ufunc, method), inputs, kwargs)
    if method != "at" and out_arguments.wants_out(kwargs) and (
            out_arguments.tensor_outs(kwargs) is not None):
        return out_arguments.function_into(
            lambda *a, **k: _ufunc_method(ufunc, method, a, k),
            f"{ufunc.__name__}.{method}", inputs, kwargs)
    if method not in ("at", "outer") and out_arguments.wants_out(kwargs):
        raise out_arguments.ndarray_out_refused(f"numpy.{ufunc.__name__}.{method}", inputs)
    if method == "outer" and ufunc.nin == 2 and ufunc in NUMPY_UFUNCS:
        loop = None
        if kwargs:
            if any(out is not None for out in kwargs.get("out", None) or ()):
                raise _out_refused(ufunc, inputs)
            if any(kwargs.get(k) is not None for k in ufunc_dtypes.LOOP_ARGUMENTS):
                loop = ufunc_dtypes.loop_dtypes(ufunc, inputs, kwargs)
                if loop is not None:        # (as for a call: the inputs cast to the loop)
                    inputs = ufunc_dtypes.cast_to_loop(inputs, loop)
                    kwargs = {k: v for k, v in kwargs.items()
                              if k not in ufunc_dtypes.LOOP_ARGUMENTS}
            check_numpy_kwargs(f"{ufunc.__name__}.outer", kwargs, ufunc=True)
        result = outer(NUMPY_UFUNCS[ufunc], ufunc, *inputs)
        return result if loop is None else ufunc_dtypes.in_loop_dtype(result, loop, 2)
    impl = NUMPY_FUNCTIONS.get(getattr(ufunc, method, None))
    counted = _counted_in_integers(ufunc, method, inputs, kwargs)
    if counted is not None:
        return counted
    if impl is not None and method != "at" and kwargs.get("dtype") is not None and inputs:
        # (the dtype a reduction or accumulation computes in: a cast first, as np.sum's)
        inputs, kwargs = _cast_for(f"{ufunc.__name__}.{method}", inputs, dict(kwargs))
    if impl is None and method == "at" and ufunc in NUMPY_UFUNCS:
        return ufunc_at(ufunc, *inputs, **kwargs)     # (refused while recording)
    if (impl is None and method in _SEQUENTIAL and ufunc in NUMPY_UFUNCS
            and ufunc.nin == 2 and ufunc.nout == 1):
        return _SEQUENTIAL[method](NUMPY_UFUNCS[ufunc], ufunc, *inputs, **kwargs)
    if impl is None:
        raise (_from_python(ufunc, method) if _of_objects(ufunc)
               else _unsupported(_full_name(ufunc, method)))
    return impl(*inputs, **kwargs)


def _counted_in_integers(ufunc, method, inputs, kwargs):
    """``np.add.reduce(mask, dtype=np.intp)``, ``np.logical_and.reduce(a, dtype=bool,
    where=mask)``: a reduction in an integer or bool dtype where every Tensor involved
    holds integers or bools (as ndarray.mean, .var and .all with where= a Tensor mask
    count their entries), computed by NumPy off the tape as no gradient flows through
    integers; None for any other call."""
    if method not in ("reduce", "accumulate", "reduceat") or kwargs.get("dtype") is None:
        return None
    from .compile.hooks import made
    from .tensor import Tensor
    tensors = [v for v in (*inputs, *kwargs.values()) if isinstance(v, Tensor)]
    if (np.dtype(kwargs["dtype"]).kind not in "biu"
            or any(t.dtype.kind not in "biu" for t in tensors)):
        return None
    plain = [v.data if isinstance(v, Tensor) else v for v in inputs]
    keywords = {k: v.data if isinstance(v, Tensor) else v for k, v in kwargs.items()}
    return Tensor(made(f"numpy.{ufunc.__name__}.{method} with dtype={kwargs['dtype']}",
                       getattr(ufunc, method), tuple(plain), keywords))


def _only_a_mask_is_a_tensor(method, inputs, kwargs) -> bool:
    """Whether a ufunc call's (or reduction's) arrays and any ``out=`` are ndarrays and
    its only Tensors are bool masks (``where=``), which carry no gradient."""
    if "where" not in kwargs:
        return False
    from .tensor import Tensor
    if method not in ("__call__", "reduce", "accumulate", "reduceat") or (
            out_arguments.wants_out(kwargs) and out_arguments.tensor_outs(kwargs) is not None):
        return False
    masks = [v for k, v in kwargs.items() if k != "out" and isinstance(v, Tensor)]
    return (bool(masks) and not any(isinstance(v, Tensor) for v in inputs)
            and all(m.dtype == bool and not m.requires_grad for m in masks))


def _under_a_mask(ufunc, method, inputs, kwargs):
    """``np.add.reduce(a, axis=1, where=mask)``, ``np.subtract(a, m, out=a,
    where=mask)`` of ndarrays under a Tensor mask: NumPy's result, as NumPy gives it
    (an ndarray, written into ``out=`` when given, or a NumPy scalar), computed off
    the tape.  NumPy's own ``a.var(where=mask)`` and ``a.std`` divide a mean that is
    not an ndarray by counts of the wrong shape, so a Tensor here would make their
    values silently wrong; ``np.nanvar`` writes into an ndarray ``out=``."""
    from .compile.hooks import made
    from .tensor import Tensor
    keywords = {k: v.data if isinstance(v, Tensor) else v for k, v in kwargs.items()}
    name = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
    value = made(f"numpy.{name} under a mask", getattr(ufunc, method),
                 tuple(inputs), keywords)
    return value if value.ndim or out_arguments.wants_out(kwargs) else value[()]


def _out_refused(ufunc, inputs):
    refusal = histogram_range_refusal()     # (NumPy's histogram code writing into `keep`)
    if refusal is not None:
        return refusal
    described = out_arguments.described(inputs)
    return TypeError(
        f"{_full_name(ufunc)} with out= on a Tensor ({described}): the result is a new "
        "Tensor on the tape and cannot be written into an ndarray. An in-place "
        "`a += t` (or -=, *=, /=, or `a[key] -= t`) with `a` an ndarray does this: write "
        "`a = a + t` instead, or make `a` a Tensor where it is created (np.eye(n, like=t), "
        "np.zeros(shape, like=t), np.zeros_like(t, shape=...), ad.tensor(a)), give out= a "
        "Tensor (out=np.zeros_like(t)), or use t.data / t.detach() when no gradient is "
        "needed.")


#: NumPy functions whose ``dtype=`` is the dtype they compute in (and return): on a
#: Tensor, the same as casting the first argument first.
_COMPUTING_DTYPE = {np.sum, np.mean, np.prod, np.cumsum, np.cumprod, np.cumulative_sum,
                    np.cumulative_prod, np.nansum, np.nanmean, np.nanprod, np.nancumsum,
                    np.nancumprod, np.trace, np.linalg.trace}     # (var and std: variance_dtype.py)


def _integers_in_integer_dtype(func, args: tuple, kwargs: dict):
    """``np.sum(t, dtype=np.uint8)`` (or ``t.sum(dtype=...)``) of an integer or bool
    tensor in an integer or bool dtype: NumPy's result, computed in that dtype off the
    tape (no gradient flows through integers); None for any other call."""
    from .compile.hooks import made
    from .tensor import Tensor
    first, dtype = args[0], np.dtype(kwargs["dtype"])
    if not (isinstance(first, Tensor) and first.dtype.kind in "biu" and dtype.kind in "biu"):
        return None
    if any(isinstance(value, Tensor) for value in (*args[1:], *kwargs.values())):
        return None
    return Tensor(made(f"numpy.{func.__name__} with dtype={dtype}", func,
                       (first.data, *args[1:]), kwargs))


def _cast_for(name: str, args: tuple, kwargs: dict) -> tuple:
    """``np.sum(t, dtype=np.float64)`` as ``np.sum(ad.astype(t, np.float64))`` (and
    ``np.add.reduce(t, dtype=...)`` likewise); ``name`` is the function's, for errors."""
    from .ops.elementwise import astype
    from .tensor import Tensor
    dtype = np.dtype(kwargs.pop("dtype"))
    first = args[0]
    source = np.result_type(first.data if isinstance(first, Tensor) else first)
    if dtype.kind != "f":
        if source.kind != "f":
            kwargs["dtype"] = dtype         # refused below, as every other dtype=
            return args, kwargs
        raise TypeError(
            f"numpy.{name} on a Tensor: dtype={dtype} would compute a {source} "
            f"tensor as {dtype}, where no gradient flows; cast it explicitly "
            "(ad.astype(t, ...)) or call it on t.data")
    return (astype(first, dtype),) + tuple(args[1:]), kwargs


def array_function(func: Callable, args: tuple, kwargs: dict) -> Any:
    """Run a NumPy function called on Tensors as the matching op."""
    if like_creation.makes_like(func):      # np.zeros(3, like=t): only like= reaches here
        return like_creation.create_like(func, args, kwargs)
    impl = NUMPY_FUNCTIONS.get(func)
    if impl is None:
        raise _unsupported(_full_name(func))
    # (array_function, Tensor.__array_function__, then the caller: numpy.polynomial's?)
    refuse_columns_broadcast_against_a_tensor(sys._getframe(2))
    if (kwargs and "out" not in getattr(impl, "numpy_kwargs", ())
            and out_arguments.wants_out(kwargs) and out_arguments.tensor_outs(kwargs) is not None):
        return out_arguments.function_into(
            lambda *a, **k: array_function(func, a, k), getattr(func, "__name__", str(func)),
            args, kwargs)
    if (kwargs and "out" not in getattr(impl, "numpy_kwargs", ()) and func not in
            NO_GRADIENT_FUNCTIONS and out_arguments.wants_out(kwargs)):
        if out_arguments.off_the_tape(args, kwargs):
            return out_arguments.on_arrays(func, args, kwargs)
        raise out_arguments.ndarray_out_refused(_full_name(func), args)
    if kwargs and func not in NO_GRADIENT_FUNCTIONS:
        if kwargs.get("dtype") is not None and func in _COMPUTING_DTYPE and args:
            counted = _integers_in_integer_dtype(func, args, kwargs)
            if counted is not None:
                return counted
            # (a float dtype only: NumPy sums small integers in a wider type than given)
            args, kwargs = _cast_for(func.__name__, args, dict(kwargs))
        # An implementation may handle some of the generally unsupported keywords
        # itself (ravel's order=, linspace's float dtype=): it lists them in numpy_kwargs.
        handled = getattr(impl, "numpy_kwargs", ())
        own = {k: v for k, v in kwargs.items() if k in handled}
        kwargs = check_numpy_kwargs(getattr(func, "__name__", str(func)),
                                    {k: v for k, v in kwargs.items() if k not in handled},
                                    ufunc=False)
        kwargs.update(own)
    return impl(*args, **kwargs)
