"""Constant arrays the traced call makes with NumPy from Python numbers only.

``np.eye(3)``, ``np.linspace(0, 1, n)``, ``np.arange(k)``, ``np.array([1.0, 2.0])``,
``np.ones(shape) * 0.5``, ``np.hanning(n)``, ``np.triu_indices(n, 1)``, ``np.diag([1.0,
2.0])``, ``np.r_[0.5, 1:3]`` (``index_tricks.py``) made in the
compiled function depend only on what the signature fixes (shapes, and sizes such as
``len(t)`` or ``t.size``) and on Python numbers (fixed at the trace, as everywhere in
``ad.compile``: one computed from a traced value, ``float(x.data.sum())``, is not
seen), so a replay may reuse a copy of them.  An array NumPy computes from a
traced value (``x.data.sum()``, ``np.exp(w.data)``, ``w.grad * 2``) or draws at
random must stay refused, and a plain ndarray does not tell how it was made.  So the
proof is positive: while tracing, the NumPy creators below, called from the compiled
function's module with arguments made only of Python numbers, strings, dtypes, None
and tuples or lists of them, return a ``CallConstant`` (an ndarray subclass) carrying
a copy of its bytes, its certificate.  NumPy operations on it whose
other operands are also such (ufuncs and their ``reduce``/``accumulate``/``outer``,
``__array_function__`` functions such as ``np.concatenate`` or ``np.diag``, indexing
with such keys, ``.T``, ``.copy()``, ``.astype()``, ``.reshape()``) give certified
results; with any other operand (a traced array, a NumPy scalar: it may come from a
traced value) the result is a plain ndarray, refused as before.  ``np.zeros_like``,
``np.ones_like`` and ``np.full_like`` (``SHAPED_LIKE``) depend on their first
argument's shape, dtype and memory order alone, which the signature fixes: given any
array or tensor there and clean other arguments, they certify too
(``np.zeros_like(t)`` of a tensor is a Tensor, as in eager mode, kept as
``ad.tensor([0.0])`` is; ``np.full_like(t, v)`` is computed again at each replay).
So ``t = np.zeros_like(logits.data); t[np.arange(n), [2, 0, 1]] = 1.0`` is a constant,
and with ``logits.data.argmax(1)`` as the index the write ends the certificate.

A certified array is read-only while the trace runs, and its certificate holds
while its bytes equal it.  A write the user's own line makes with clean values
(``c[0] = 1.0``, ``c *= 2``, ``np.fill_diagonal(c, 0.5)``) renews it; any other
write the hooks see (``c[:] = x.data``, ``np.copyto(c, x.data)``, ``c.fill(...)``,
``c.flat[0] = 1``, ``rng.shuffle(c)`` swapping items with ``c[i] = ...``) ends it
for good (the array is writable again, and no constant); a write no hook sees
(``np.ndarray.fill(c, v)``, a shuffle in C, a memoryview) fails on the read-only
array, a ``TraceError`` (``readonly.py``).  The tracer accepts an array as a
constant of the plan when it is a certified ``CallConstant``, a plain view of one
with its exact geometry (what ``np.asarray`` in the library makes), or the array
``ad.tensor`` made from one; it keeps it as it keeps a tensor made from Python
numbers (``literals.py``: a copy at its first use; ``check_use`` refuses a later use
that finds other values).  One the call leaves where the function's names reach (a
global, a module's attribute) is read there instead, checksummed at each call.

Not recognised, so refused as before: slices and copies of arrays the function
captures (``X_train[:, :2]``: an index computed from a traced value, such as
``X_train[x.data.argmax()]``, makes a view that looks the same), NumPy scalars
(``np.ones(3).sum()``), ``np.empty`` and ``np.empty_like`` (refused by name: no
proof that every element is written before use), methods not listed above, and
creators reached other than through a name bound to ``numpy`` in the module of the
compiled function or of a user's function it calls by name (``creator_scopes.py``:
``from numpy import eye``, ``np.eye`` in a method of an object it calls).  Outside the
trace ``CallConstant`` behaves as a plain ndarray.
"""

from __future__ import annotations

import contextlib
import dis
import functools
import inspect
import os
import sys
import sysconfig
import types
import weakref

import numpy as np

from ..guard import is_broadcast
from ..tensor import Tensor
from ..torch_shape_methods import Size
from . import constant_sources, hooks, index_tricks, literals
from .provenance import nested_items, user_line
from .refusals import TraceError

_LABEL = "an array the call made from Python numbers (a constant of the plan)"

#: NumPy creators whose result is a function of their arguments alone.
CREATORS = ("array", "asarray", "ascontiguousarray", "asfortranarray", "eye", "identity",
            "linspace", "logspace", "geomspace", "arange", "zeros", "ones", "full", "tri",
            "zeros_like", "ones_like", "full_like",
            # window functions and index arrays (a tuple of them) of Python numbers
            "hanning", "hamming", "blackman", "bartlett", "kaiser",
            "indices", "triu_indices", "tril_indices", "diag_indices",
            # functions of arrays, certified only when given Python numbers (lists)
            "diag", "diagflat", "tril", "triu", "vander", "outer", "meshgrid", "stack",
            "concatenate", "hstack", "vstack", "tile", "repeat")
#: Those of ``CREATORS`` whose result depends on their first argument's shape, dtype
#: and memory order alone (fixed by the signature), not on its values.
SHAPED_LIKE = ("zeros_like", "ones_like", "full_like")
#: NumPy creators whose result holds whatever the memory held (refused by name).
UNINITIALISED = ("empty_like", "empty")
_UNINITIALISED_FUNCTIONS = (np.empty_like, np.empty)

#: (``Size`` is ``t.size``, a tensor's number of entries: fixed by the signature.)
_SIMPLE = (int, float, bool, complex, str, type(None), type(Ellipsis), np.dtype, Size)
_LIBRARY_DIRS = tuple({os.path.abspath(p) for p in (
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    os.path.dirname(os.path.abspath(np.__file__)),
    sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"],
    sysconfig.get_paths()["platlib"])})


def _tracing():
    tracer = hooks.active
    return tracer if tracer is not None and tracer.owns_thread() else None


def _bytes(array) -> tuple:
    return array.shape, array.dtype.str, np.ascontiguousarray(array).tobytes()


def certified(value) -> bool:
    """Whether ``value`` is a ``CallConstant`` made in the trace running in this
    thread whose bytes are still those certified."""
    if type(value) is not CallConstant:
        return False
    cert, tracer = value._certificate, _tracing()
    return (cert is not None and tracer is not None and cert[0] is tracer.call_arrays
            and cert[1:] == _bytes(value.view(np.ndarray)))


def constant_source(tracer, value):
    """The certified array ``value`` is, or views with its exact geometry (the view
    ``np.asarray`` makes of one in the library); else None."""
    if certified(value):
        return value
    if type(value) is not np.ndarray or value.base is None or any(
            ref() is value for ref in tracer.traced_views):
        return None
    where = _geometry(value)
    for made in _alive(tracer):
        if _geometry(made) == where and certified(made):
            return made
    return None


def _alive(tracer) -> list:
    """The certified arrays made in the call that are still alive."""
    arrays = [ref() for ref in tracer.call_arrays]
    if any(a is None for a in arrays):
        tracer.call_arrays[:] = [weakref.ref(a) for a in arrays if a is not None]
    return [a for a in arrays if a is not None]


def _geometry(array) -> tuple:
    return (array.__array_interface__["data"][0], array.shape, array.strides,
            array.dtype.str)


def _certify(array):
    """``array`` (a plain result of clean operands) as a certified ``CallConstant``."""
    if type(array) is not np.ndarray or array.dtype.kind == "O":
        return array
    tracer = _tracing()
    if tracer is None:
        return array
    # Read-only while certified: NumPy then refuses the writes no hook sees (a
    # random shuffle in C, ndarray.fill called unbound, a memoryview), where the
    # bytes alone could not tell a write of equal values from none.
    tracer.held.hold(array, "made", _LABEL)
    made = array.view(CallConstant)
    made._certificate = (tracer.call_arrays, *_bytes(array))
    tracer.call_arrays.append(weakref.ref(made))   # (not kept: a fresh check counts)
    return made


def _clean(*values) -> bool:
    """Whether ``values`` are made only of Python numbers, strings, dtypes, None,
    slices, tuples/lists/dicts of them and certified ``CallConstant`` arrays."""
    todo, containers = list(values), []
    while todo:
        value = todo.pop()
        kind = type(value)
        if kind in _SIMPLE or isinstance(value, np.dtype) or (  # (np.dtype: Float64DType...)
                isinstance(value, type) and issubclass(value, (np.generic, *_SIMPLE))):
            continue
        if kind in (tuple, list):
            todo.extend(value)
        elif kind is dict:
            todo.extend(value.values())
        elif kind is slice:
            todo += [value.start, value.stop, value.step]
        elif not certified(value):
            return False
        if kind in (list, dict):
            containers.append(value)
    tracer = _tracing()
    if containers and tracer is not None:   # (a list may outlive the call, and change)
        constant_sources.note(tracer, containers)
    return True


def _plain(value):
    """``value`` with every ``CallConstant`` in it (nested in tuples, lists, dicts)
    seen as a plain ndarray, so that NumPy does not dispatch back here."""
    kind = type(value)
    if kind is CallConstant:
        return value.view(np.ndarray)
    if kind in (tuple, list):
        return kind(_plain(v) for v in value)
    if kind is dict:
        return {k: _plain(v) for k, v in value.items()}
    return value


def _result(value, clean):
    if isinstance(value, tuple):            # (a named tuple, np.unique_all's, keeps its type)
        items = [_result(v, clean) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, list):
        return [_result(v, clean) for v in value]
    if type(value) is not np.ndarray:
        return value
    if clean:
        return _certify(value)
    tracer = _tracing()
    if tracer is not None:
        # (a view computed from a traced key, c[::k], may have a certified array's
        # exact geometry: constant_source must not take it for np.asarray of one)
        tracer.traced_views.append(weakref.ref(value))
    return value


def _writing(written, renew, run):
    """Run ``run()``, which may write into the arrays ``written``: the certified
    arrays sharing their memory get a renewed certificate if ``renew`` (the values
    written are clean) and they held one, else lose it for good."""
    tracer = _tracing()
    arrays = [w.view(np.ndarray) if type(w) is CallConstant else w for w in written
              if isinstance(w, np.ndarray)]
    affected = []
    if tracer is not None and arrays:
        affected = [(c, certified(c)) for c in _alive(tracer)
                    if any(np.may_share_memory(c.view(np.ndarray), a) for a in arrays)]
    with contextlib.ExitStack() as lifted:
        for destination in written:
            if tracer is not None and type(destination) is CallConstant:
                lifted.enter_context(tracer.held.lifted(destination))
        result = run()
    for array, was in affected:
        if renew and was:
            array._certificate = (tracer.call_arrays, *_bytes(array.view(np.ndarray)))
        else:
            if was:
                _note_no_constant(tracer, array, "write")
            _uncertify(tracer, array)
    return result


def _uncertify(tracer, array) -> None:
    """``array`` is no constant of the plan any more: writable, as NumPy made it."""
    array._certificate = None
    if not array.flags.writeable:
        with tracer.held.lifted(array.base):    # (the memory's: this one stays writable)
            try:
                array.setflags(write=True)
            except ValueError:          # memory NumPy keeps read-only (a broadcast)
                pass


def _user_statement(frame, kind) -> bool:
    """Whether ``frame`` is the user's code running a statement of ``kind`` itself: a
    write the user's line makes (``c[k] = v``, ``c *= 2``), not one a function it
    called makes with values of its own (``rng.shuffle(c)`` swaps items by
    ``c[i] = ...`` from C, with indices it draws).  An instruction not recognised
    answers False: the array then stops being a constant, refused if a step uses it."""
    if frame is None or os.path.abspath(frame.f_code.co_filename).startswith(_LIBRARY_DIRS):
        return False
    return _statement_kind(frame.f_code.co_code, frame.f_lasti) == kind


def _statement_kind(code: bytes, at: int) -> str | None:
    opcode = code[at]
    if opcode in _STORE_SUBSCRIPT:
        return _SUBSCRIPT
    if opcode in _INPLACE_OPCODES or (opcode == _BINARY_OP and code[at + 1] >= _FIRST_INPLACE):
        return _INPLACE
    return None


_SUBSCRIPT, _INPLACE = "subscript", "in-place"
# The opcodes differ between Python versions: STORE_SLICE (3.12+) stores ``c[a:b] = v``;
# BINARY_OP (3.11+) is every binary operator, in-place from argument 13 (``+=``) on,
# where 3.10 has one INPLACE_* opcode each.
_STORE_SUBSCRIPT = {dis.opmap[name] for name in ("STORE_SUBSCR", "STORE_SLICE")
                    if name in dis.opmap}
_BINARY_OP = dis.opmap.get("BINARY_OP", -1)
_FIRST_INPLACE = 13
_INPLACE_OPCODES = {code for name, code in dis.opmap.items() if name.startswith("INPLACE_")}

#: NumPy functions that write into their first argument.
_WRITERS = {"copyto", "put", "place", "putmask", "fill_diagonal", "put_along_axis"}


def _destinations(func, args, kwargs) -> list:
    """The arrays the NumPy function ``func`` may write into: its ``out`` and, for
    ``_WRITERS``, its first argument (every array argument when unsure)."""
    try:
        bound = inspect.signature(func).bind(*args, **kwargs).arguments
    except (TypeError, ValueError):
        return list(_nested_arrays((args, kwargs)))
    found = [bound.get("out")]
    if func.__name__ in _WRITERS and bound:
        found.append(next(iter(bound.values())))
    return list(_nested_arrays(found))


def _nested_arrays(value):
    """The ndarrays in ``value`` and in the tuples, lists and dicts in it."""
    return (item for item in nested_items(value) if isinstance(item, np.ndarray))


def _taint(array) -> None:
    """``array`` (and every certified array sharing its memory) is about to be
    written by NumPy without the hooks: its certificate ends."""
    _writing([array], False, lambda: None)


def _unhooked(name):
    """The ndarray method ``name``, ending the certificate before it writes."""
    method = getattr(np.ndarray, name)

    def write(self, *args, **kwargs):
        _taint(self)
        return method(self, *args, **kwargs)
    # (NumPy's name, not its docstring: its examples are NumPy's, not this class's)
    write.__name__ = write.__qualname__ = name
    write.__doc__ = f"ndarray.{name}, ending the certificate first (it writes)."
    return write


class CallConstant(np.ndarray):
    """An ndarray made during a trace from Python numbers only (see the module)."""

    _certificate = None

    def __array_finalize__(self, obj):
        self._certificate = None        # a result NumPy made without the hooks below

    def __repr__(self):
        return repr(self.view(np.ndarray))

    def __reduce_ex__(self, protocol):
        return self.view(np.ndarray).copy().__reduce_ex__(protocol)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        for value in (*inputs, *kwargs.get("out", ())):
            override = getattr(type(value), "__array_ufunc__", np.ndarray.__array_ufunc__)
            if override not in (np.ndarray.__array_ufunc__, CallConstant.__array_ufunc__):
                return NotImplemented   # a Tensor operand: its own operator applies
        # (NumPy's own ufuncs only: np.frompyfunc wraps any Python function)
        clean = (_tracing() is not None and getattr(np, ufunc.__name__, None) is ufunc
                 and _clean(inputs, kwargs))
        out = kwargs.get("out")
        def run():                      # (plain views made once the outputs are writable)
            return getattr(ufunc, method)(*_plain(inputs), **_plain(kwargs))
        written = (out or ()) + ((inputs[0],) if method == "at" else ())
        renew = clean and _user_statement(sys._getframe(1), _INPLACE)
        result = _writing(written, renew, run)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _result(result, clean)

    def __array_function__(self, func, types_, args, kwargs):
        clean = (_tracing() is not None and func not in _UNINITIALISED_FUNCTIONS
                 and _clean(args, kwargs))
        caller = sys._getframe(1)
        renew = clean and not os.path.abspath(caller.f_code.co_filename).startswith(
            _LIBRARY_DIRS)
        result = _writing(_destinations(func, args, kwargs), renew,
                          lambda: func(*_plain(args), **_plain(kwargs)))
        return _result(result, clean)

    def __getitem__(self, key):
        result = self.view(np.ndarray)[_plain(key)]
        return _result(result, _tracing() is not None and _clean(self, key))

    def __setitem__(self, key, value):
        def run():
            self.view(np.ndarray)[_plain(key)] = _plain(value)
        renew = (_tracing() is not None and _clean(self, key, value)
                 and _user_statement(sys._getframe(1), _SUBSCRIPT))
        _writing([self], renew, run)

    def _same(self, name, *args, **kwargs):
        result = getattr(self.view(np.ndarray), name)(*_plain(args), **_plain(kwargs))
        return _result(result, _tracing() is not None and _clean(self, args, kwargs))

    @property
    def T(self):
        return self._same("transpose")

    def copy(self, *args, **kwargs):
        return self._same("copy", *args, **kwargs)

    def astype(self, *args, **kwargs):
        return self._same("astype", *args, **kwargs)

    def reshape(self, *args, **kwargs):
        return self._same("reshape", *args, **kwargs)

    def transpose(self, *args):
        return self._same("transpose", *args)

    # Methods and attributes through which NumPy writes without the hooks above.
    fill, put, sort, partition = map(_unhooked, ("fill", "put", "sort", "partition"))
    resize, setfield, byteswap, __setstate__ = map(_unhooked, (
        "resize", "setfield", "byteswap", "__setstate__"))

    @property
    def flat(self):
        _taint(self)
        return np.ndarray.flat.__get__(self)

    @flat.setter
    def flat(self, value):
        _taint(self)
        np.ndarray.flat.__set__(self, value)

    @property
    def data(self):
        _taint(self)
        return np.ndarray.data.__get__(self)


def _creator(name, original):
    @functools.wraps(original)
    def create(*args, **kwargs):
        result = original(*args, **kwargs)
        tracer = _tracing()
        arrays = result if isinstance(result, (tuple, list)) else (result,)
        if tracer is None or not all(isinstance(a, (np.ndarray, Tensor)) for a in arrays):
            return result
        code = sys._getframe(1).f_code
        if os.path.abspath(code.co_filename).startswith(_LIBRARY_DIRS) or not (
                _clean(args, kwargs) or _shaped_like(name, args, kwargs)):
            return result               # the library's own, or from values: as NumPy made it
        if tracer.reached_codes is not None and code not in tracer.reached_codes:
            # (a function the plan's checks do not follow: ``self.k`` or a global it
            # read could change unseen, so what it makes is no constant)
            for array in arrays:
                _note_no_constant(tracer, array.data if isinstance(array, Tensor) else array,
                                  f"unreached:{code.co_name}")
            return result
        if isinstance(result, Tensor):  # np.zeros_like(t): a Tensor, as in eager mode
            _constant_tensor(tracer, result)
            return result
        if isinstance(result, (tuple, list)):   # np.triu_indices(n): index arrays
            return _result(result, True)
        return _certify(result)
    create.__call_constant_original__ = original
    return create


def _shaped_like(name, args, kwargs) -> bool:
    """Whether ``np.<name>(*args, **kwargs)`` is a ``SHAPED_LIKE`` creator given any
    array or tensor as its prototype and clean other arguments (a Python number as
    the fill value, a dtype, a shape of ints): ``np.zeros_like(x.data)``."""
    if name not in SHAPED_LIKE:
        return False
    if args:
        prototype, others = args[0], (args[1:], kwargs)
    elif "a" in kwargs:
        prototype = kwargs["a"]
        others = {k: v for k, v in kwargs.items() if k != "a"}
    else:
        return False
    return isinstance(prototype, (np.ndarray, Tensor)) and _clean(others)


def _constant_tensor(tracer, tensor) -> None:
    """``tensor``, made by a ``SHAPED_LIKE`` creator from a tensor prototype (NumPy's
    dispatch wraps a new array), is a constant of the plan as ``ad.tensor([0.0,
    0.0])`` is (``literals.made``: held read-only, copied at its first use; in-place
    tensor ops on it are steps).  An array the trace computes stays as it is
    (``np.full_like`` of a tensor is computed again at each replay)."""
    array = tensor.data
    if (type(array) is np.ndarray and id(array) not in tracer.by_id
            and tensor._node is None and not tensor.requires_grad):
        literals.made(tracer, array)


def _uninitialised_creator(name, original):
    """``np.empty_like`` / ``np.empty``: NumPy's result, noted with the user's line so
    that a step given it is refused by name (``no_constant_origin``)."""
    @functools.wraps(original)
    def create(*args, **kwargs):
        result = original(*args, **kwargs)
        tracer = _tracing()
        array = result.data if isinstance(result, Tensor) else result
        if tracer is not None and type(array) is np.ndarray:
            _note_no_constant(tracer, array, f"np.{name}")
        return result
    create.__call_constant_original__ = original
    return create


def _note_no_constant(tracer, array, why) -> None:
    """``array`` is no constant of the plan because of ``why`` (``"write"``: a write
    ended its certificate; ``"np.empty_like"``: uninitialised), at the user's line
    now.  (A weak reference: the fresh check counts references.)"""
    tracer.no_constants.append((weakref.ref(array), why, user_line()))


def no_constant_origin(tracer, array):
    """``(why, line)`` noted by ``_note_no_constant`` for ``array`` or an array it
    views, the latest first; else None."""
    chain = []
    while isinstance(array, np.ndarray):
        chain.append(array)
        array = array.base
    for ref, why, line in reversed(tracer.no_constants):
        made = ref()
        if made is not None and any(made is a for a in chain):
            return why, line
    return None


def check_use(tracer, value, slot, op_name, line) -> None:
    """Refuse a constant of the plan made in the call with NumPy whose values changed
    since a step first used it as ``slot``: the plan keeps its first values."""
    if id(value) not in tracer.call_constants or slot not in tracer.literal_values:
        return
    if _bytes(value) != _bytes(tracer.literal_values[slot]):
        raise TraceError(
            f"compile: an array of shape {value.shape} given to '{op_name}' at {line}, "
            "made in the call with NumPy from Python numbers, was changed after a step "
            "first used it (a NumPy write into it or into a view of it, or an in-place "
            "tensor op); the plan keeps its first values. Make a new array instead of "
            "changing one (c2 = c * 2), or compute it with tensor ops.")


def read_live_when_reached(plan, tracer, roots) -> None:
    """A constant the call made and left where the function's names reach (``M =
    np.eye(3)`` on a global, ``self.mask = ...`` in a module, ``roots``) may be read
    by eager code at the next call, changed: the plan reads that array itself, as a
    captured array (checksummed at each call: a change traces again), not a copy."""
    if not plan.call_constants:
        return
    from .not_replayed import reachable

    reached = [item.view(np.ndarray) for item, _ in reachable(roots)
               if isinstance(item, np.ndarray)]
    for slot in list(plan.call_constants):
        value = tracer.keep[tracer.slot_values[slot]]
        if any(np.may_share_memory(value, array) for array in reached):
            plan.constant_values[slot] = value.view(np.ndarray)
            plan.literal_values.pop(slot, None)
            del plan.call_constants[slot]


def release(tracer) -> None:
    """At the end of the trace (after ``tracer.held.release()``): the arrays made
    read-only here are writable again, as NumPy made them."""
    arrays = _alive(tracer) + list(tracer.call_constants.values())
    for array in arrays:
        if not array.flags.writeable and not is_broadcast(array):
            try:
                array.setflags(write=True)
            except ValueError:          # memory its owner keeps read-only
                pass


class _NumPyMakingConstants(types.ModuleType):
    """``numpy`` as the compiled function's own module sees it while it is traced:
    ``CREATORS`` certify what they make; every other name is NumPy's."""

    def __getattr__(self, name):
        return getattr(np, name)


_NUMPY = _NumPyMakingConstants("numpy", np.__doc__)
for _name in CREATORS:
    setattr(_NUMPY, _name, _creator(_name, getattr(np, _name)))
index_tricks.install(_NUMPY)            # np.r_[0.5, 1:3], np.mgrid[0:3]
for _name in UNINITIALISED:
    setattr(_NUMPY, _name, _uninitialised_creator(_name, getattr(np, _name)))


__all__ = ["CallConstant", "certified", "check_use", "constant_source", "read_live_when_reached"]
