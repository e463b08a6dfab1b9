"""``out=`` given a Tensor: ``np.exp(t, out=t)``, ``np.clip(t, 0, 1, out=t)`` and the
safe division ``np.divide(a, b, out=np.zeros_like(a), where=b != 0)``.

The result is computed as a new Tensor and then written into ``out`` with the in-place
rules of ``inplace.py`` (recorded in grad mode, refused on a leaf that requires grad),
and ``out`` itself is returned, as NumPy returns it.  A ufunc's ``where=`` mask is
applied before the ufunc runs: only the chosen elements are computed (a gather, the
op, a scatter into ``out``), so the elements left out (a division by zero) give
neither values nor NaN gradients, as NumPy computes none there.  ``out=`` an ndarray
stays refused for a Tensor on the tape: its result cannot be stored in one without
losing the tape.  Tensors off the tape (constants, integer results, anything under
``ad.no_grad()``) are NumPy's arrays there: ``counts += np.bincount(t_idx)`` into an
ndarray works as with ndarrays (``off_the_tape``, ``on_arrays``).
The PyTorch-style functions (``ad.matmul(a, b, out=y)``, ``ad.mul(a, b, out=z)``)
write into ``out`` by the same rules (``call_into``), and resize an ``out`` of
another shape as PyTorch does: silently an empty one, with a warning one with elements.
"""

from __future__ import annotations

import functools

import numpy as np

from . import inplace
from .tensor import Tensor


def wants_out(kwargs: dict) -> bool:
    """True when ``kwargs`` gives ``out=`` one or more arrays (not ``None``)."""
    out = kwargs.get("out")
    outs = out if isinstance(out, tuple) else (out,)
    return any(o is not None for o in outs)


def described(inputs) -> str:
    """``"Tensor of shape (3,), dtype float64, ndarray of shape ..."``, for errors."""
    return ", ".join(f"{type(x).__name__} of shape {x.shape}, dtype {x.dtype}"
                     if hasattr(x, "shape") and hasattr(x, "dtype") else type(x).__name__
                     for x in inputs)


def ndarray_out_refused(name: str, args: tuple) -> TypeError:
    """The error for ``np.sum(t, axis=0, out=an_ndarray)`` (``name``: "numpy.sum")."""
    return TypeError(
        f"{name} with out= an ndarray on a Tensor ({described(args[:2])}): the result is "
        "a Tensor on the tape, which an ndarray cannot hold. Take the result as it is, "
        f"r = {name.replace('numpy.', 'np.')}(t, ...), give out= a Tensor (out = "
        "np.zeros_like(t, shape=...)), or call it on t.data / t.detach() when no gradient "
        "is needed.")


def _tensors_in(values):
    for value in values:
        if isinstance(value, Tensor):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from _tensors_in(value)


def off_the_tape(args: tuple, kwargs: dict) -> bool:
    """Whether a call whose ``out=`` is given ndarrays loses nothing by running on the
    Tensors' arrays: no ``out=`` is a Tensor, and no Tensor among the arguments (or in
    their lists) was recorded, or requires grad in grad mode."""
    from .graph import _grad_mode
    out = kwargs.get("out")
    if any(isinstance(o, Tensor) for o in (out if isinstance(out, tuple) else (out,))):
        return False
    recording = _grad_mode.enabled
    return not any(t._node is not None or (recording and t.requires_grad)
                   for t in _tensors_in((args, tuple(kwargs.values()))))


def _arrays(value):
    if isinstance(value, Tensor):
        return np.asarray(value)        # (Tensor.__array__: a compiled trace sees it leave)
    if isinstance(value, (list, tuple)):
        return type(value)(_arrays(item) for item in value)
    return value


def on_arrays(function, args: tuple, kwargs: dict):
    """``function(*args, **kwargs)`` with every Tensor (one in a list too) as its
    array, for a call ``off_the_tape``: NumPy's result, written into the ndarray
    ``out=``.

    >>> counts = np.zeros(3, dtype=int)
    >>> counts += ad.tensor([1, 0, 2])      # np.add(counts, t, out=counts)
    >>> counts
    array([1, 0, 2])
    """
    return function(*_arrays(args), **{key: _arrays(value) for key, value in kwargs.items()})


def tensor_outs(kwargs: dict):
    """The ``out=`` arrays when every one given is a Tensor, else ``None``."""
    out = kwargs.get("out")
    outs = out if isinstance(out, tuple) else (out,)
    if all(o is None or isinstance(o, Tensor) for o in outs):
        return outs
    return None


def _write(out: Tensor, result, key, name: str, casting: str | None) -> None:
    _check_cast(out, result, name, casting)
    inplace.set_item(out, key, result, where=name)


def _check_cast(out: Tensor, result, name: str, casting: str | None) -> None:
    result_dtype = np.result_type(result.data if isinstance(result, Tensor) else result)
    if casting is not None and not np.can_cast(result_dtype, out.dtype, casting=casting):
        raise TypeError(
            f"{name}: cannot cast the output from {result_dtype} to the out= tensor's "
            f"{out.dtype} with casting rule '{casting}' (NumPy and PyTorch refuse it too); give an "
            f"out= tensor of dtype {result_dtype}, or drop out= and convert the result")


def ufunc_into(op, ufunc: np.ufunc, inputs: tuple, kwargs: dict, check_kwargs):
    """``ufunc(*inputs, out=outs, where=mask)`` with Tensor ``outs``: the op's result,
    where ``mask`` holds, written into them; returns them as NumPy does."""
    kwargs = dict(kwargs)
    outs = kwargs.pop("out")
    outs = outs if isinstance(outs, tuple) else (outs,)
    mask = kwargs.pop("where", True)
    casting = kwargs.pop("casting", "same_kind")
    loop = None
    if kwargs.get("dtype") is not None or kwargs.get("signature") is not None:
        from . import ufunc_dtypes       # (the loop dtype= asks for: the inputs cast to it)
        loop = ufunc_dtypes.loop_dtypes(ufunc, inputs, {**kwargs, "casting": casting})
        if loop is not None:
            inputs = ufunc_dtypes.cast_to_loop(inputs, loop)
            kwargs = {k: v for k, v in kwargs.items() if k not in ("dtype", "signature")}
    check_kwargs(ufunc.__name__, kwargs, ufunc=True, home=ufunc)
    from .interop import _full_name     # (interop imports this module: a cycle at import)
    name = f"{_full_name(ufunc)} with out="
    shape = next(o.shape for o in outs if o is not None)
    if isinstance(mask, (bool, np.bool_)) and mask:
        key, args = ..., inputs
    else:
        # (a Tensor mask stays one, so that ad.compile replays it with the new values)
        key = np.broadcast_to(mask if isinstance(mask, Tensor) else np.asarray(mask), shape)
        if key.dtype != bool:
            raise TypeError(f"{name}: where= must be a boolean mask, got {key.dtype}")
        # Python and NumPy scalars keep their own promotion rules: only arrays are gathered
        args = tuple(np.broadcast_to(x, shape)[key] if np.ndim(x) else x for x in inputs)
    results = op(*args)
    if loop is not None:
        from .ufunc_dtypes import in_loop_dtype
        results = in_loop_dtype(results, loop, ufunc.nin)
    results = results if isinstance(results, tuple) else (results,)
    for out, result in zip(outs, results):
        if out is not None:
            _write(out, result, key, name, casting)
    return outs[0] if len(outs) == 1 else outs


def function_into(impl, name: str, args: tuple, kwargs: dict):
    """``func(*args, out=out)`` with a Tensor ``out``: the result written into it (cast
    to its dtype as NumPy's functions do); returns ``out``."""
    kwargs = dict(kwargs)
    out = kwargs.pop("out")
    out = out[0] if isinstance(out, tuple) and len(out) == 1 else out
    result = _accumulated_as_numpy(impl, name, args, kwargs, out)
    if result is None:
        result = impl(*args, **kwargs)
    if np.shape(result) != out.shape:
        raise ValueError(
            f"numpy.{name} with out=: the result has shape {np.shape(result)} but the out= "
            f"tensor has shape {out.shape}; give an out= of the result's shape")
    casting = kwargs.get("casting", "safe") if name == "einsum" else None
    if name == "dot":
        result_dtype = np.result_type(getattr(result, "data", result))
        if result_dtype != out.dtype:
            raise ValueError(
                f"numpy.dot with out=: the result is {result_dtype} but the out= tensor "
                f"holds {out.dtype}; NumPy's dot writes only into an out= of the result's "
                "own dtype (and refuses this too): give one of that dtype, or drop out= and "
                "convert the result")
    _write(out, result, ..., f"numpy.{name} with out=", casting)
    return out


#: NumPy's sums and products, whose ``out=`` is also their accumulator when no dtype=
#: is given (``ufunc.reduce``: "defaults to that of out if given"); the means divide
#: that sum, rounded to ``out``'s dtype, by the count.
_ACCUMULATING = ("sum", "prod", "nansum", "nanprod", "cumsum", "cumprod", "nancumsum",
                 "nancumprod", "trace", "add.reduce", "multiply.reduce", "add.accumulate",
                 "multiply.accumulate")
_MEANS = ("mean", "nanmean")
#: np.ptp, whose maximum NumPy writes into ``out=`` before subtracting the minimum.
_RANGES = ("ptp",)


def _accumulated_as_numpy(impl, name: str, args: tuple, kwargs: dict, out: Tensor):
    """``impl(*args, **kwargs)`` computed as NumPy computes it into an ``out=`` of
    another float dtype than the result's (a float32 array summed into float64 sums
    in float64; a float64 mean into float32 divides the float32 sum; a range
    subtracts the minimum from the maximum rounded to ``out``'s dtype), or None when
    the plain call is NumPy's."""
    if (name not in _ACCUMULATING + _MEANS + _RANGES or kwargs.get("dtype") is not None
            or not args or len(args) > 2 or out.dtype.kind != "f"):
        return None                     # (dtype= given, by name or by position)
    source = np.result_type(args[0].data if isinstance(args[0], Tensor) else args[0])
    if source.kind != "f" or source == out.dtype:
        return None
    from .ops.elementwise import astype     # (the ops import this module's users)
    reductions = {k: v for k, v in kwargs.items() if k in ("axis", "keepdims")}
    if len(args) > 1 and name in _MEANS + _RANGES:
        reductions["axis"] = args[1]    # (np.mean(a, 0, out=out))
    if name in _RANGES:
        return astype(np.max(args[0], **reductions), out.dtype) - np.min(args[0], **reductions)
    if np.result_type(source, out.dtype) == out.dtype:         # a wider out=
        return impl(*args, **{**kwargs, "dtype": out.dtype})
    if name not in _MEANS or kwargs.get("where") is not None:
        return None                     # (a narrower out=: summed in the wider dtype)
    values = args[0]
    if name == "mean":
        total = np.sum(values, **reductions)
        count = np.size(values) // max(np.size(total), 1)
    else:
        total = np.nansum(values, **reductions)
        count = np.sum(~np.isnan(getattr(values, "data", values)), **reductions)
    return astype(total, out.dtype) / count


def call_into(function, name: str, args: tuple, kwargs: dict):
    """``function(*args, out=out)`` as PyTorch's ``torch.mul(a, b, out=z)``: the result,
    computed as without ``out=``, written into the Tensor ``out`` (recorded as an
    in-place write, refused on a leaf that requires grad; ``out`` resized first to the
    result's shape if it has another, as in PyTorch); returns ``out``.

    >>> z = ad.zeros(2)
    >>> ad.mul(ad.tensor([1.0, 2.0]), 3, out=z) is z
    True
    """
    kwargs = dict(kwargs)
    out = kwargs.pop("out")
    if not isinstance(out, Tensor):
        raise TypeError(
            f"{name}: out= must be a Tensor, got {type(out).__name__}; a Tensor's result "
            "cannot be stored in an ndarray without losing the tape. Take the result as "
            f"it is, r = ad.{name}(...), or give out= a Tensor (ad.empty(shape))")
    result = function(*args, **kwargs)
    if not isinstance(result, Tensor):
        raise TypeError(f"{name}: out= takes one Tensor, and {name} gives "
                        f"{type(result).__name__}; take the result as it is")
    if result.shape != out.shape:
        _check_cast(out, result, f"{name} with out=", "same_kind")   # (before resizing)
        _resize_out(out, result, f"{name} with out=")
    _write(out, result, ..., f"{name} with out=", "same_kind")
    return out


def _resize_out(out: Tensor, result: Tensor, where: str) -> None:
    """Give ``out`` the result's shape, as PyTorch does: silently when it has no
    elements (``ad.empty(0)``), else with PyTorch's warning, from the user's line."""
    if inplace._recording(out, result):
        inplace._refuse_leaf(out, where)      # (the write would be refused: say so first)
    _refuse_resizing_in_trace(out, result, where)
    if out.size:
        from .tape_drop import user_frame, warn_at
        warn_at(user_frame(),
                f"{where}: an output with one or more elements was resized since it had "
                f"shape {list(out.shape)}, which does not match the required output shape "
                f"{list(result.shape)}, as PyTorch does (and deprecates). Give an out= of "
                "the result's shape, or resize it to zero elements first, out.resize_(0).",
                UserWarning)
    out.resize(result.shape)


def _refuse_resizing_in_trace(out: Tensor, result: Tensor, where: str) -> None:
    """A compiled function's trace cannot resize an ``out`` from before the call: a
    replay writes into the arrays it traced and gives no tensor a new one."""
    from .compile import hooks
    tracer = hooks.active
    if tracer is not None and tracer.owns_thread() and tracer.from_before(out):
        from .compile.refusals import refuse_while_tracing
        refuse_while_tracing(
            f"{where} resizing a tensor from before the call", f"out has shape "
            f"{tuple(out.shape)} and the result {tuple(result.shape)}, and a replay cannot "
            "give that tensor a new array", "Give an out= of the result's shape, make out "
            "inside the compiled function, or take the result as it is.")


def takes_out(function):
    """``function`` taking PyTorch's keyword ``out=`` too (``call_into``)."""
    @functools.wraps(function)
    def with_out(*args, out=None, **kwargs):
        if out is None:
            return function(*args, **kwargs)
        return call_into(function, function.__name__, args, {**kwargs, "out": out})
    return with_out
