"""NumPy arrays a compiled function reaches by name whose values a replay does not read.

An array given to an op is read by each replay (or checksummed: a change traces
again).  But Python may read an array's values while tracing, where no op sees it:
``float(self.gain)``, ``self.table[3]``, ``if MASK.any():``; what it computed from
them is fixed into the plan, and NumPy arrays cannot report such reads (as tensors do,
``values_read.py``).  So each small array the function's names reach that the plan
holds no part of, and that the call left unchanged, becomes one of the plan's
``flags``: its contents are compared before each replay, and a call finding them
changed (``model.gain += 0.5`` between calls) traces again.  A larger array (a table
``float(self.table[3])`` reads) is flagged by a checksum of its bytes instead of a
copy, and only when the code the function reaches names it (``table``, also through
a helper's names, a called function's closure, or a string a name holds that
``getattr`` is given), or looks attributes up by computed names (``getattr(self,
f"table_{i}")``): each replay then costs a pass over it.

>>> GAIN = np.ones(())
>>> w = ad.tensor([1.0, 2.0])
>>> f = ad.compile(lambda x: (w * x).sum() * float(GAIN))
>>> f(np.ones(2)), f.traces
(tensor(3.), 1)
>>> GAIN += 1.0
>>> f(np.ones(2)), f.traces
(tensor(6.), 2)
"""

from __future__ import annotations

import dis
import functools
import re
import zlib

import numpy as np

from ..code_walk import nested_code
from .values_read import Snapshot, ValueRead

#: Arrays up to this many bytes are compared with a copy before each replay; a larger
#: one (a table a step indexes into) by a checksum of its bytes, when the code names it.
MAX_BYTES = 4096


class ArrayRead(ValueRead):
    """The plan's flag for one array whose values the trace may have read into Python:
    ``value`` is its contents now."""

    __slots__ = ("array",)

    def __init__(self, array, label):
        super().__init__(None, label)
        self.array = array

    @property
    def value(self) -> Snapshot:
        return Snapshot(self.array)


class ArrayChecksum(ArrayRead):
    """The plan's flag for one array over ``MAX_BYTES`` whose values the trace may have
    read into Python: ``value`` is the CRC-32 of its bytes (and its shape and dtype)."""

    __slots__ = ()

    @property
    def value(self) -> tuple:
        array = self.array
        return (array.shape, array.dtype.str,
                zlib.crc32(np.ascontiguousarray(array).view(np.uint8).reshape(-1).data))


#: The functions that read an attribute by a name computed at run time
#: (``getattr(self, f"table_{i}")``): code calling one may read any array it reaches.
#: (``getattr`` given a constant name, ``getattr(model, "head")``, reads only that
#: name, which the code's constants hold: ``_getattr_by_computed_name``.)
_LOOKUPS_BY_NAME = frozenset({"vars", "__dict__", "__getattribute__", "attrgetter"})
#: In ``names_in_code``: the code looks attributes up by computed names.
ANY_NAME = "*"
#: The methods that read a dict's entries by keys the code does not spell
#: (``table.get(key)``, ``for v in cfg.values()``).
_LOOKUPS_BY_KEY = frozenset({"get", "pop", "setdefault", "items", "values", "__getitem__",
                             "getitem", "itemgetter"})
#: The opcodes that hand a dict's entries over by keys the code does not spell
#: (``f(**cfg)``).
_UNPACKING = frozenset({"CALL_FUNCTION_EX", "DICT_MERGE", "DICT_UPDATE"})
#: In ``names_in_code``: the code indexes by keys it computes (``table[prefix + "_w"]``,
#: ``cfg[f"{name}_scale"]``), so a dict it names may be read at any string key.
ANY_KEY = "[*]"


def _getattr_by_computed_name(code) -> bool:
    """Whether ``code`` uses ``getattr`` other than called directly with a constant
    name (``getattr(model, "head")``, ``getattr(self.box, "t", None)``): with a name
    it computes (``getattr(self, f"layer{i}")``), or handed on (``map(getattr, ...)``).

    >>> _getattr_by_computed_name((lambda m: getattr(m, "head")).__code__)
    False
    >>> _getattr_by_computed_name((lambda m, i: getattr(m, f"layer{i}")).__code__)
    True
    """
    instructions = list(dis.get_instructions(code))
    for start, loader in enumerate(instructions):
        if loader.argval != "getattr":
            continue
        if loader.opname != "LOAD_GLOBAL" or "NULL" not in loader.argrepr:
            return True
        # (the stack depth over the call's callable: the name is the value last
        # completed at depth 2, the call the first CALL of as many arguments as the depth)
        depth, name_from = 0, None
        for instruction in instructions[start + 1:]:
            if instruction.opname in ("PRECALL", "CALL") and instruction.arg == depth:
                break
            depth += dis.stack_effect(instruction.opcode, instruction.arg, jump=False)
            if depth == 2:
                name_from = instruction
            if depth < 0 or instruction.opname.startswith(("JUMP", "POP_JUMP", "RETURN")):
                return True
        else:
            return True
        if depth not in (2, 3) or name_from is None or not (
                name_from.opname == "LOAD_CONST" and type(name_from.argval) is str):
            return True
    return False


@functools.lru_cache(maxsize=1024)
def _indexes_by_computed_keys(code) -> bool:
    """Whether ``code`` subscripts with a key that is not a constant (``table[key]``),
    calls a method that reads entries by key (``cfg.get(name)``, ``.values()``), or
    unpacks a mapping (``f(**cfg)``).  (Asked of the same code by several questions of
    one trace, and by every trace: its instructions are read once.)"""
    if _LOOKUPS_BY_KEY.intersection(code.co_names):
        return True
    previous = None
    for instruction in dis.get_instructions(code):
        if instruction.opname in _UNPACKING:
            return True
        if instruction.opname == "BINARY_SUBSCR" and previous not in ("LOAD_CONST", "BUILD_SLICE"):
            return True
        previous = instruction.opname
    return False


def names_in_code(fn) -> set:
    """The names (attributes, globals, closure variables) and the string constants
    (``cfg["table"]``) in the code of ``fn`` and the functions it reaches
    (``reached_functions``), and of the code written inside theirs; with the strings
    those names hold, alone or in a list or tuple (``getattr(self, self.which)``,
    ``for name in NAMES: getattr(box, name)``); and ``ANY_NAME`` when the code looks
    attributes up by names it computes (``getattr``, ``vars``)."""
    from .captures import _captured_names
    from .reached import reached_functions

    found = set()
    for function in reached_functions(fn):
        code = getattr(getattr(function, "__func__", function), "__code__", None)
        for inner in nested_code(code) if code is not None else ():
            found.update(inner.co_names, inner.co_freevars, inner.co_cellvars)
            if (_LOOKUPS_BY_NAME.intersection(inner.co_names)
                    or "getattr" in inner.co_names and _getattr_by_computed_name(inner)):
                found.add(ANY_NAME)
            if ANY_KEY not in found and _indexes_by_computed_keys(inner):
                found.add(ANY_KEY)
            found.update(c for c in inner.co_consts if type(c) is str)
        for *_, value in _captured_names(function):
            values = value if type(value) in (list, tuple) else (value,)
            found.update(v for v in values if type(v) is str)
    return found


def array_roots(fn) -> list:
    """``(label, object)`` for what the functions ``fn`` reaches (``reached_functions``,
    not ``fn`` itself) reach by name: a helper's global (``box.inner.table``), the
    closure of a function it calls (``lookup(3)`` reading ``secret[i]``), the
    attributes of the object a method belongs to; the arrays these hold may be read
    into Python as much as those of ``fn``'s own names."""
    from .captures import _captured_names
    from .reached import reached_functions

    return [(name, value) for function in reached_functions(fn)[1:]
            for name, _, _, value in _captured_names(function)]


def _named_in(path, names) -> bool:
    """Whether a part of ``path`` after its first (``model.table``: ``table``), or the
    whole of a one-part path, is among ``names`` (or these hold ``ANY_NAME``); or, when
    the code indexes by computed keys (``ANY_KEY``), a dict ``path`` reads a string key
    of (``TABLE['emb_w']``: ``TABLE``)."""
    parts = re.findall(r"[A-Za-z_]\w*", path)
    if ANY_NAME in names or any(part in names for part in (parts[1:] or parts)):
        return True
    return ANY_KEY in names and any(
        name in names for name in re.findall(r"([A-Za-z_]\w*)(?:['\"]\])?\[['\"]", path))


def array_flags(plan, arrays, sums_before, sums_after, replayed_arrays=(),
                names=frozenset()) -> list:
    """The flags for the arrays of ``arrays`` (``{path: array}``: ``arrays_reached``
    after the call, ``sums_*`` their ``array_sums`` before and after it) and of the
    plan's ``bindings`` (the arrays the functions it reaches name, ``GAIN`` in a
    module's forward) that the call did not change and that share no memory with an
    array the plan holds, nor with ``replayed_arrays``: the arrays of objects whose
    ``@replayed`` methods the plan calls again (spectral norm's power-iteration vectors),
    which each replay reads and writes anew.  An array over ``MAX_BYTES`` counts only
    when one of ``names`` (``names_in_code`` of the functions the plan reaches) names
    it."""
    held = [a.view(np.ndarray) for a in plan.constant_values.values()
            if isinstance(a, np.ndarray)]
    held += [t.data for t, _ in plan.captured]
    held += list(replayed_arrays)
    changed = {id(arrays[path]) for path, crc in sums_after.items()
               if path in sums_before and sums_before[path] != crc}
    named = set()
    arrays = {path: a for path, a in arrays.items()
              if id(a) not in named and not named.add(id(a))}     # (each array once)
    for _, key, value in plan.bindings:
        if isinstance(value, np.ndarray) and id(value) not in named:
            named.add(id(value))
            arrays[key if isinstance(key, str) else "a name's array"] = value
    flags = []
    for path, array in arrays.items():
        large = array.nbytes > MAX_BYTES
        if (array.dtype.hasobject or id(array) in changed or large and not _named_in(path, names)
                or any(np.may_share_memory(array, other) for other in held)):
            continue
        label = f"the values of the array {path}"
        flag = ArrayChecksum(array, label) if large else ArrayRead(array, label)
        flags.append((flag, "value", flag.value))
    return flags
