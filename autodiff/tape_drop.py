"""Warning when a Tensor on the tape silently becomes a plain array or number.

NumPy and Python convert a Tensor without asking it (``np.array([t, u])``,
``math.exp(t)``, a third-party function); the conversion goes through
``Tensor.__array__`` or ``__float__``, which call ``tape_drop``: a
``TapeDropWarning`` naming the user's line in grad mode, a ``TypeError`` inside a
transform.  Explicit exits (``.data``, ``.numpy()``, ``.item()``, ``float(t)``,
``.tolist()``, ``.detach()``) stay silent.
"""

from __future__ import annotations

import dis
import functools
import linecache
import os
import re
import sys
import sysconfig
import warnings

import numpy as np

from .scipy_equivalents import distribution_name, equivalent
from .tape_drop_memory import remember_drop, warned_in_this_call
from .tape_drop_methods import chained_ndarray_method, ndarray_method_converting
from .tape_drop_polynomial import converted_by_numpy_polynomial
from .tape_drop_readers import reads_values_only


class TapeDropWarning(UserWarning):
    """A Tensor on the tape was turned into a plain array, so its gradient is lost there."""


_LIBRARY_DIRS = (os.path.dirname(os.path.abspath(__file__)) + os.sep,
                 os.path.dirname(os.path.abspath(np.__file__)) + os.sep)
#: The file name of a compiled step's replay (``compile/replay.py``).
GENERATED_PREFIX = "<autodiff plan "
#: Where installed packages and the standard library live: a third-party function
#: (scipy's, say) that converts a Tensor is reported at the user's call of it.
_INSTALLED_DIRS = tuple(sorted({
    os.path.abspath(path) + os.sep for key, path in sysconfig.get_paths().items()
    if key in ("purelib", "platlib", "stdlib", "platstdlib")}))


def user_frame():
    """The innermost frame outside NumPy, this library and installed packages (the
    user's line); the innermost outside NumPy and this library when every frame is in
    an installed package."""
    frame = sys._getframe(2)
    while frame is not None and in_library(frame.f_code.co_filename):
        frame = frame.f_back
    innermost = frame
    # (past installed code, this library's may come again: a transform's function is
    # called from contextlib, called from the transform)
    while frame is not None and (_path(frame).startswith(_INSTALLED_DIRS)
                                 or in_library(frame.f_code.co_filename)):
        frame = frame.f_back
    return frame if frame is not None else innermost


def in_library(filename: str) -> bool:
    """Whether code of ``filename`` is this library's or NumPy's (a compiled step's
    replay, ``<autodiff plan ...>``, included)."""
    return (absolute(filename).startswith(_LIBRARY_DIRS)
            or filename.startswith(GENERATED_PREFIX))


def _path(frame) -> str:
    return absolute(frame.f_code.co_filename)


@functools.lru_cache(maxsize=4096)
def absolute(filename: str) -> str:
    """A code object's file name, absolute and normalised (a package imported through
    a relative entry of ``sys.path`` has names such as ``./autodiff/ops/...``).

    >>> absolute("./a/../b.py") == os.path.join(os.getcwd(), "b.py")
    True
    """
    # cached: a warning repeated in a loop walks the same frames each time
    return os.path.abspath(filename)


#: The methods of ``np.vectorize`` that turn its arguments into arrays of objects.
_VECTORIZE_METHODS = ("_vectorize_call", "_vectorize_call_with_signature",
                      "_get_ufunc_and_otypes")
_NUMPY_DIR = _LIBRARY_DIRS[1]
_POLYNOMIAL_DIR = os.path.join(_NUMPY_DIR, "polynomial") + os.sep
#: The instructions of ``a[key] = value``.
_STORES = {dis.opmap[name] for name in ("STORE_SUBSCR", "STORE_SLICE") if name in dis.opmap}


def _converting_numpy_code() -> str | None:
    """How NumPy code converted the Tensor, when it happens inside ``np.vectorize``'s
    call, ``numpy.polynomial`` (naming the function called there) or ``np.r_[...]`` /
    ``np.c_[...]``, else None."""
    frame = sys._getframe(2)
    while frame is not None and in_library(frame.f_code.co_filename):
        path = _path(frame)
        if frame.f_code.co_name in _VECTORIZE_METHODS and path.startswith(_NUMPY_DIR):
            return _CONVERTED_BY["vectorize"]
        if path.startswith(_POLYNOMIAL_DIR):
            while (frame.f_back is not None
                   and _path(frame.f_back).startswith(_POLYNOMIAL_DIR)):
                frame = frame.f_back           # out to the function the user called
            return converted_by_numpy_polynomial(frame)
        if frame.f_code.co_name == "__getitem__" and path.startswith(_NUMPY_DIR):
            concatenator = frame.f_locals.get("self")
            if concatenator is np.r_ or concatenator is np.c_:
                return _CONVERTED_BY["r_" if concatenator is np.r_ else "c_"]
        frame = frame.f_back
    return None


#: NumPy's array makers written in C: a call on a Tensor always converts it (NumPy
#: does not dispatch them to the Tensor).
_ARRAY_MAKERS = ("array", "asarray", "asanyarray", "ascontiguousarray", "asfortranarray")
#: What to write instead of the NumPy function that converted the Tensor.
_INSTEAD_OF = {
    "full": "np.full_like(t, value, shape=shape) keeps the fill value on the tape",
    "asarray_chkfinite": "check with np.isfinite(t).all() and use t as it is",
    "as_strided": "np.lib.stride_tricks.sliding_window_view(t, shape) gives overlapping "
                  "windows on the tape, t[index_array] any other arrangement",
    "pad": "np.pad hands the call to a Tensor only when the array it pads is one: pad "
           "ad.tensor(a) (or call ad.pad), and constant_values may then hold Tensors",
    "require": "a Tensor needs no np.require: use t itself, or t.astype(dtype) for dtype=",
    "fill_diagonal": "it writes into its first argument, an ndarray here, which cannot "
                     "carry a gradient: make the target a Tensor first, a = ad.tensor(a) "
                     "or a = np.zeros_like(value, shape=(n, n)), then "
                     "np.fill_diagonal(a, value)",
    "interp": "np.interp hands the call to a Tensor only when x, xp or fp is one, and "
              "reads left= and right= as numbers: np.where(x < xp[0], left, np.where(x > "
              "xp[-1], right, np.interp(x, xp, fp))) keeps them on the tape",
    "piecewise": "np.piecewise hands the call to a Tensor only when x or a condition is "
                 "one: pass x as a Tensor, ad.tensor(x), and funclist may then hold "
                 "Tensors and functions of them",
    "apply_along_axis": "np.apply_along_axis hands the call to a Tensor only when the "
                        "array is one: pass ad.tensor(arr), and func1d may then return "
                        "Tensors",
    "select": "np.select hands the call to a Tensor only when condlist or choicelist "
              "holds one, and makes an array of default=: np.where(np.any(condlist, "
              "axis=0), np.select(condlist, choicelist), default) keeps it on the tape",
    **{name: f"np.{name} reads initial= as a number: {instead} keeps it on the tape"
       for name, instead in (("sum", "np.sum(a) + t"), ("prod", "np.prod(a) * t"),
                             ("max", "np.maximum(np.max(a), t)"),
                             ("amax", "np.maximum(np.amax(a), t)"),
                             ("min", "np.minimum(np.min(a), t)"),
                             ("amin", "np.minimum(np.amin(a), t)"))},
}


#: NumPy's functions in C that read a Tensor argument as a number, and what to write.
_C_INSTEAD_OF = {
    "arange": "which reads its arguments as numbers and makes an ndarray (NumPy does not "
              "hand the call to the Tensor): for a grid on the tape, count the points as "
              "a number, n = int(np.ceil((stop - start) / step)), and write start + step "
              "* np.arange(n), or np.linspace(start, stop, n)",
    "fromiter": "which reads what it iterates over as plain numbers into an ndarray "
                "(NumPy does not hand the call to a Tensor, not even one passed as the "
                "iterable): np.fromiter(items, dtype, like=t) or np.stack([f(v) for v in "
                "items]) keeps the entries on the tape, and a Tensor needs no np.fromiter "
                "(t.astype(dtype) converts it)",
    "broadcast": "which makes an iterator over ndarrays of its arguments (NumPy does not "
                 "hand it the Tensor): np.broadcast_shapes(a.shape, b.shape) gives the "
                 "shape, and np.broadcast_arrays(a, b) or np.broadcast_to(t, shape) the "
                 "values on the tape",
}

#: NumPy functions whose first argument, a list, NumPy does look into for Tensors (the
#: conditions): a Tensor they convert is elsewhere (np.select's default=).
_LISTS_LOOKED_INTO = ("select", "piecewise")

#: NumPy functions whose first argument is a shape (a tuple that holds no data).
_SHAPE_FIRST = ("full",)


_MASKED = ("a masked array holds an ndarray: keep the mask beside the Tensor instead, "
           "np.sum(t, where=~mask), np.mean(t, where=~mask), np.where(mask, fill, t)")

#: NumPy's public namespaces other than ``np`` itself, where its functions are named.
_NAMESPACES = ("linalg", "ma", "lib.stride_tricks", "emath", "lib.recfunctions")


def _public_name(function, called: str) -> str:
    """``called`` as NumPy's public namespace has it, after ``np.``: ``linalg.norm``,
    ``ma.masked_invalid``, ``lib.stride_tricks.as_strided``; ``called`` when unknown."""
    if function is None or function is getattr(np, called, None):
        return called
    for namespace in _NAMESPACES:
        module = np
        for part in namespace.split("."):
            module = getattr(module, part, None)
        if module is not None and getattr(module, called, None) is function:
            return f"{namespace}.{called}"
    return called


#: NumPy's iterators over an array's entries, and how to iterate over a Tensor's.
_ENTRIES_ON_THE_TAPE = (
    "for the entries on the tape, iterate over the Tensor itself: for v in t.reshape(-1) "
    "gives each entry as a 0-d Tensor, for index in np.ndindex(t.shape) with t[index] "
    "each with its index; a function of each entry is np.vectorize(f)(t), and results "
    "go into a Tensor, out = ad.zeros(t.shape); out[index] = ...")
_ITERATORS = {
    "ndenumerate": "by np.ndenumerate, which iterates over an ndarray of the Tensor and "
                   f"gives its entries as plain numbers ({_ENTRIES_ON_THE_TAPE})",
    "nditer": "by np.nditer, which iterates over ndarrays of its operands (NumPy does not "
              f"hand it the Tensor) and gives plain values ({_ENTRIES_ON_THE_TAPE})",
}


def _numpy_call_converting(frame) -> str | None:
    """How a plain NumPy call on the user's line ``frame`` converted the Tensor: one of
    NumPy's array makers (``np.asarray(t)``), one of its iterators (``np.nditer(t)``),
    or a public NumPy function written in Python that makes arrays of its arguments
    (``np.full(3, t)``); None otherwise."""
    if frame is None:
        return None
    called = called_function(frame)
    if called in _ITERATORS and _called_object(frame) is getattr(np, called):
        return _ITERATORS[called]
    inner, outermost = sys._getframe(3), None
    while inner is not None and inner is not frame:
        if _path(inner).startswith(_NUMPY_DIR):
            outermost = inner
        inner = inner.f_back
    method = (ndarray_method_converting(*_called_object(frame, with_owner=True))
              or chained_ndarray_method(frame))
    if method is not None:
        return method
    of_a_list = _first_argument_is_a_list(frame, outermost)
    if outermost is None and of_a_list and isinstance(_called_object(frame), np.ufunc):
        # (a ufunc, in C, makes an array of a list: np.exp([t0, t1]))
        return (f"by np.{called}, a ufunc, which does not look inside a list for Tensors "
                f"and makes an array of it (np.{called}(np.stack(list)) keeps them on the "
                "tape)")
    if outermost is None and called in _ARRAY_MAKERS:
        if of_a_list:
            return (f"by np.{called}, which always makes an ndarray (NumPy does not hand "
                    "the call to the Tensor; for a list that holds Tensors, np.stack(list), "
                    "np.array(nested, like=t) or ad.array(nested) keeps them on the tape)")
        return (f"by np.{called}, which always makes an ndarray (NumPy does not hand the "
                "call to the Tensor; NumPy's functions take a Tensor as it is, so the "
                "call can go: np.copy(t) copies and t.astype(dtype) converts on the tape)")
    owner = _called_object(frame, with_owner=True)[0] if outermost is None else None
    if isinstance(owner, np.ufunc) and called == "reduce":
        return (f"by np.{owner.__name__}.reduce, which reads initial= as a number when the "
                "array is an ndarray (NumPy hands the call to a Tensor only when the array "
                f"is one: np.{owner.__name__}.reduce(ad.tensor(a), initial=t) keeps t on "
                "the tape)")
    if outermost is None and called in _C_INSTEAD_OF and (
            _called_object(frame) is getattr(np, called)):
        return f"by np.{called}, {_C_INSTEAD_OF[called]}"
    if outermost is None and of_a_list and called is not None and (
            _called_object(frame) is getattr(np, called, None) is not None):
        # (NumPy's functions in C, np.dot([t0, t1], w), look at the list, not inside it)
        return (f"by np.{called}, which does not look inside a list for Tensors and makes "
                f"an array of it (np.{called}(np.stack(list), ...) keeps them on the tape)")
    made = _called_object(frame) if outermost is not None and outermost.f_back is frame else None
    if isinstance(made, type) and issubclass(made, np.ndarray):
        # (np.ma.MaskedArray(t), np.ma.masked_array(t), np.matrix(t): the class's __new__)
        name = _public_name(made, called)
        return (f"by np.{name}, an ndarray subclass, which holds an ndarray of its "
                f"argument ({_MASKED if name.startswith('ma.') else 'use the Tensor itself'})")
    if (outermost is not None and outermost.f_back is frame and called is not None
            and ((not outermost.f_code.co_name.startswith("_")
                  and called == outermost.f_code.co_name)
                 # (np.ma.mean, np.ma.sum ...: made by a factory, their code's name is
                 # its inner function's)
                 or getattr(_called_object(frame), "__code__", None) is outermost.f_code)):
        function = _called_object(frame)
        called = getattr(function, "__name__", called)    # (its own name, not an alias's)
        name = _public_name(function, called)
        if called == "bmat":        # (np.bmat of a Tensor returns None)
            return ("by np.bmat, which makes a np.matrix, an ndarray that cannot hold a "
                    "Tensor (np.block(nested_list) joins Tensors into blocks on the tape)")
        if of_a_list and called not in _LISTS_LOOKED_INTO + _SHAPE_FIRST:
            return (f"by np.{name}, which does not look inside a list for Tensors and makes "
                    f"an array of it (np.{name}(np.stack(list)) keeps them on the tape)")
        instead = (_MASKED if name.startswith("ma.") else _INSTEAD_OF.get(
            called, "write it with NumPy functions that take the Tensor itself"))
        return (f"by np.{name}, NumPy code that makes arrays of its arguments rather than "
                f"handing the call to the Tensor ({instead})")
    return None


def _first_argument_is_a_list(frame, outermost) -> bool:
    """Whether the NumPy call on ``frame``'s line has as its first argument a list or
    tuple (``np.exp([t0, t1])``, ``np.mean(losses)`` of a list of Tensors): written
    there, found in the NumPy function's first parameter (``outermost``, its frame
    under the user's), or named by a variable of the user's frame."""
    from .ops.operands import holds_tensor

    text = (_call_text(frame) or "").partition("(")[2].lstrip()
    if text.startswith(("[", "(")):
        return True
    if outermost is not None and outermost.f_back is frame:
        code = outermost.f_code
        first = outermost.f_locals.get(code.co_varnames[0]) if code.co_argcount else None
        if isinstance(first, (list, tuple)) and holds_tensor(first):
            return True
    name = text.split(",", 1)[0].split(")", 1)[0].strip()
    if name.isidentifier():
        value = frame.f_locals.get(name, frame.f_globals.get(name))
        return isinstance(value, (list, tuple)) and holds_tensor(value)
    return False


def _installed_call_converting(frame) -> str | None:
    """How a call on the user's line ``frame`` of an installed package's function
    (``scipy.special.logsumexp(t)``) converted the Tensor, naming the function; None
    when the conversion happened elsewhere."""
    if frame is None:
        return None
    inner, outermost = sys._getframe(2), None
    while inner is not None and inner is not frame:
        outermost = inner
        inner = inner.f_back
    if (inner is None or outermost is None or in_library(outermost.f_code.co_filename)
            or not _path(outermost).startswith(_INSTALLED_DIRS)):
        return None
    module, name = outermost.f_globals.get("__name__", "?"), outermost.f_code.co_name
    called = _called_object(frame)
    if getattr(called, "__wrapped__", None) is not None:    # (a decorator's wrapper ran)
        module, name = getattr(called, "__module__", module), getattr(called, "__name__", name)
    module = ".".join(part for part in module.split(".") if not part.startswith("_"))
    law = distribution_name(outermost) if module == "scipy.stats" else None
    return (f"by {module}.{law + '.' if law else ''}{name}, code outside NumPy and autodiff "
            "that makes arrays of its arguments (write what it computes with NumPy "
            f"functions called on the Tensor itself, or with {equivalent(module, name, law)})")



#: How to draw with parameters on the tape (the reparameterisation) for
#: np.random's distributions that have a simple one.
_REPARAMETERISED = {
    "normal": "loc + scale * rng.standard_normal(shape)",
    "uniform": "low + (high - low) * rng.random(shape)",
    "exponential": "scale * rng.standard_exponential(shape)",
    "lognormal": "np.exp(mean + sigma * rng.standard_normal(shape))",
    "laplace": "loc + scale * rng.laplace(size=shape)",
    "logistic": "loc + scale * rng.logistic(size=shape)",
    "gumbel": "loc + scale * rng.gumbel(size=shape)",
}


def _called_object(frame, with_owner: bool = False):
    """The object the call on ``frame``'s line is written to, found from the source by
    its dotted name (``sl.cho_factor``, ``rng.normal``) with attributes looked up
    statically (no user code runs); None when unknown.  ``with_owner``: the pair
    ``(object the last attribute was read from, the called object)``."""
    import inspect

    callee = (_call_text(frame) or "").split("(", 1)[0].strip()
    parts = callee.split(".")
    owner, called = None, None
    if all(part.isidentifier() for part in parts):
        missing = object()
        called = frame.f_locals.get(parts[0], frame.f_globals.get(parts[0], missing))
        for part in parts[1:]:
            if called is missing:
                break
            owner, called = called, inspect.getattr_static(called, part, missing)
        if called is missing:
            owner, called = None, None
    return (owner, called) if with_owner else called


#: The method called on a generator made in the same expression: ``....default_rng(0).normal(``
_CHAINED_METHOD = re.compile(r"[\w.\s]+\((?:[^()]|\([^()]*\))*\)\s*\.\s*(\w+)\s*\(")


def numpy_random_callee(frame) -> str | None:
    """The full name of the ``numpy.random`` method the call on ``frame``'s line is
    written to (``"numpy.random.Generator.normal"`` for ``rng.normal(loc=t)``,
    ``"numpy.random.normal"`` for ``np.random.normal(t)``), else None.  The callee is
    read from the source by its dotted name, looking attributes up statically (no user
    code runs)."""
    owner, called = _called_object(frame, with_owner=True)
    method = getattr(called, "__name__", None)
    if method is None:
        return None
    # (np.random read here, not at import: importing it costs ``import autodiff``)
    makers = (np.random.default_rng, np.random.Generator, np.random.RandomState)
    if any(called is maker for maker in makers):   # default_rng(0).normal(t)
        kind = np.random.RandomState if called is np.random.RandomState else np.random.Generator
        chained = _CHAINED_METHOD.match(_call_text(frame) or "")
        found = chained is not None and hasattr(kind, chained.group(1))
        return f"numpy.random.{kind.__name__}.{chained.group(1)}" if found else None
    drawer = getattr(called, "__self__", owner)     # (a bound method: shuffle = rng.shuffle)
    if owner is np.random and isinstance(drawer, np.random.RandomState):
        return f"numpy.random.{method}"
    if isinstance(drawer, (np.random.Generator, np.random.RandomState)):
        return f"numpy.random.{type(drawer).__name__}.{method}"
    return None


#: The draws that rearrange or pick among their argument's entries, and the gather
#: by drawn positions that keeps the entries on the tape.
_INDEX_DRAWS = {
    "permutation": "t[rng.permutation(len(t))]",
    "choice": "t[rng.choice(len(t), size, replace=..., p=...)]",
    "permuted": "np.take_along_axis(t, rng.permuted(np.indices(t.shape)[axis], axis=axis), "
                "axis=axis)",
}


def _random_draw_converting(frame) -> str | None:
    """How a call on the user's line ``frame`` of a ``numpy.random`` method converted
    the Tensor, naming it and the reparameterisation that keeps the parameters on the
    tape; None when the call is not one of them."""
    name = numpy_random_callee(frame)
    if name is None:
        return None
    method = name.rsplit(".", 1)[-1]
    if method in _INDEX_DRAWS:
        return (f"by {name}, which picks among the Tensor's entries as plain numbers; draw "
                f"the positions instead and gather with them, which keeps the entries on "
                f"the tape: {_INDEX_DRAWS[method]}")
    how = _REPARAMETERISED.get(method)
    instead = (f"write the draw as {how}, with the standard draw a constant, "
               if how is not None else "write the draw as a function of a standard "
               "one with the parameters outside it, ")
    return (f"by {name}, which draws with its parameters as plain numbers, so a draw has "
            f"no gradient with respect to them (to differentiate through the sample, "
            f"{instead}or use ad.distributions' rsample())")


def stores_into_subscript(frame) -> bool:
    """Whether ``frame`` is executing ``a[key] = value``."""
    code, i = frame.f_code.co_code, frame.f_lasti
    return 0 <= i < len(code) and code[i] in _STORES


#: What converted the Tensor, and what to write instead, for the NumPy code above.
_CONVERTED_BY = {
    "vectorize": (
        "by numpy.vectorize, which makes an array of plain numbers of what its function "
        "returns when no Tensor is among its arguments (a Tensor the function reads from "
        "outside, a closure's or a global, loses its gradient there: pass it as an "
        "argument, np.vectorize(f, excluded={1})(x, w) hands w to f whole, and the calls "
        "are recorded)"),
    "r_": (
        "by np.r_, which makes an ndarray of each piece before joining them (join Tensors "
        "with np.concatenate([a, b]); a slice 1:3 is np.arange(1, 3) and a number "
        "np.atleast_1d(number) there)"),
    "c_": (
        "by np.c_, which makes an ndarray of each piece before joining them (join Tensors "
        "as columns with np.column_stack([a, b]), or np.concatenate([a, b], axis=-1))"),
}


def tape_drop(tensor, how):
    """Warn (or, inside a transform, raise) because ``tensor`` leaves the tape silently."""
    from .graph import _grad_mode

    kind = how
    frame = user_frame()
    if frame is not None and reads_values_only(_called_object(frame)):
        return          # (np.testing.assert_allclose(t, ...), np.array2string(t))
    where = f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else "?"
    name = f" '{tensor.name}'" if tensor.name is not None else ""
    converted_by = _converting_numpy_code()
    numpy_call = None if converted_by is not None or frame is None else (
        _numpy_call_converting(frame) or _random_draw_converting(frame)
        or _installed_call_converting(frame))
    if converted_by is not None:
        how = f"{how} {converted_by}"
    elif numpy_call is not None:
        how = f"{how} {numpy_call}"
    elif frame is not None and stores_into_subscript(frame):
        converted = how.split(" (", 1)[0]       # (the kind of conversion, without examples)
        how = (f"{converted} and stored into an ndarray (a[key] = t), which cannot hold a "
               "gradient (make the array a Tensor to store into: a = np.zeros_like(t, "
               "shape=...) instead of np.zeros(...), np.eye(n, like=t) instead of "
               "np.eye(n), or ad.zeros(...))")
    message = (
        f"a Tensor{name} (shape {tensor.shape}) that requires grad was {how} at {where}: "
        "the result is off the tape, so no gradient flows back through it. Keep it on the "
        "tape with autodiff functions (ad.stack / ad.array for lists that hold Tensors, "
        "ad.exp instead of math.exp, np.* functions called on the Tensor itself, a Tensor "
        "to store into: out = ad.zeros(shape); out[i] = t), or leave "
        "the tape on purpose with t.detach(), t.data or t.item().")
    if numpy_call is not None and _called_object(frame) is np.lib.stride_tricks.as_strided:
        raise TypeError(
            f"np.lib.stride_tricks.as_strided on a Tensor{name} (shape {tensor.shape}) that "
            f"requires grad, at {where}: it makes an ndarray view of the raw memory, with "
            "no gradient (and, with overlapping strides, a gradient would have to add up "
            "over the overlaps). Use np.lib.stride_tricks.sliding_window_view(t, "
            "window_shape, axis) for overlapping windows, which records them (gradients "
            "add up where windows overlap), t[index_array] for any other arrangement, or "
            "call it on t.detach() / t.data when no gradient is needed.")
    remember_drop(tensor, how, where)
    if _grad_mode.transform_depth > 0:
        if numpy_call is _ITERATORS["nditer"]:
            # (np.nditer replaces any TypeError of the conversion with its own, about
            # writing back: the warning carries the reason)
            warn_at(frame, "inside a transform, " + message, TapeDropWarning)
        raise TypeError("inside a transform, " + message)
    if (frame is not None and _converted_on_the_users_line(frame)
            and warned_in_this_call(tensor, frame, kind)):
        return
    warn_at(frame, message, TapeDropWarning)


def _converted_on_the_users_line(frame) -> bool:
    """Whether only NumPy's and this library's frames lie between the conversion and
    the user's ``frame`` (``np.array([t, u])`` written there), and no package's code
    (two calls of a package's functions on one line are two conversions)."""
    inner = sys._getframe(2)
    while inner is not None and inner is not frame:
        if not in_library(inner.f_code.co_filename):
            return False
        inner = inner.f_back
    return inner is frame


def warn_at(frame, message: str, category: type[Warning]) -> None:
    """Warn as from ``frame``, the user's line (from the caller's caller's line when
    ``frame`` is None); once per line, as ``warnings.warn`` would."""
    if frame is None:
        warnings.warn(message, category, stacklevel=4)
    else:
        # (warnings.warn's module for code run without a __name__, exec(source, {}):
        # warn_explicit given module=None shows nothing, whatever the filters say)
        warnings.warn_explicit(message, category, frame.f_code.co_filename,
                               frame.f_lineno,
                               module=frame.f_globals.get("__name__", "<string>"),
                               registry=frame.f_globals.setdefault("__warningregistry__", {}))


#: ``BINARY_OP``'s arguments for ``%`` and ``%=`` (``dis._nb_ops``).
_PERCENT = {i for i, (_, symbol) in enumerate(dis._nb_ops) if symbol in ("%", "%=")}
_BINARY_OP = dis.opmap.get("BINARY_OP")


def formats_with_percent(frame) -> bool:
    """True when ``frame`` is executing ``%`` (``"%.3f" % t``, also in ``logging``): a
    ``%`` that reaches ``__float__`` formats a string (a number's ``%`` with a Tensor
    goes to ``Tensor.__rmod__``), an exit for printing, as ``f"{t:.3f}"`` is."""
    code, i = frame.f_code.co_code, frame.f_lasti
    return (_BINARY_OP is not None and 0 <= i < len(code) - 1
            and code[i] == _BINARY_OP and code[i + 1] in _PERCENT)


#: NumPy functions that give indices and take their arrays in a list NumPy does not
#: hand to the library (only a tuple's items are dispatched): converting the list's
#: Tensors to arrays loses no gradient, as the result has none.
_INDEX_FUNCTIONS_OF_LISTS = ("lexsort",)


def converted_for_indices() -> bool:
    """True when the user's line is running one of those functions (``np.lexsort([a,
    b])``), so a Tensor's conversion to an array drops no gradient."""
    frame = user_frame()
    return frame is not None and called_function(frame) in _INDEX_FUNCTIONS_OF_LISTS


def called_function(frame) -> str | None:
    """The name (without its module) of the function the call ``frame`` is executing
    is written to (``"max"`` for ``ad.max(out, 1)``), or None when unknown."""
    callee = _call_text(frame)
    return None if callee is None else callee.split("(", 1)[0].strip().rsplit(".", 1)[-1]


def _call_text(frame):
    """The source text from the start of the expression ``frame`` is executing, or
    None when unknown."""
    try:
        position = list(frame.f_code.co_positions())[frame.f_lasti // 2]
    except (AttributeError, IndexError):
        return None
    lineno, _, col, _ = position
    if lineno is None or col is None:
        return None
    line = linecache.getline(frame.f_code.co_filename, lineno)
    return line[col:].lstrip() if line else None


def called_by_name(frame, names) -> bool:
    """True when the call being executed in ``frame`` is written ``float(...)`` or
    ``int(...)`` (an explicit conversion), as opposed to, say, ``math.exp(t)``, which
    reaches ``__float__`` the same way; also for string formatting with ``%``.  Unknown
    source counts as explicit; a call in an installed package (a third-party function's
    own ``float(x)``) does not."""
    if formats_with_percent(frame):
        return True
    filename = frame.f_code.co_filename
    if filename.startswith(_INSTALLED_DIRS) and not filename.startswith(_LIBRARY_DIRS):
        return False
    text = _call_text(frame)
    return text is None or text.startswith(names)
