"""Refusing a backward whose saved values were overwritten in place.

The mutation guard (``guard.py``) makes a parameter's array read-only while a graph
saved it.  Other arrays (an intermediate result, an input batch) stay writable:
making every saved array read-only would cost every op and refuse harmless writes.
Instead, each in-place update that records no node (inside ``ad.no_grad()``, or on a
tensor that does not require grad) is noted here with a stamp, ``graph.write_epoch``,
and each node keeps the stamp current when it was recorded (``node._epoch``).  When
the reverse pass reaches a node recorded before the latest noted write, it checks the
arrays that node's rules read; one written after the node saved it raises
``InPlaceError`` naming the op and the input, as PyTorch's version counters do.
Nodes recorded after the last write cost one comparison.

Which inputs a rule reads is read off its code: the names it loads, where ``x.shape``,
``x.ndim``, ``x.dtype`` and ``x.size`` do not count (an in-place write cannot change
them).  A rule whose code cannot be read (a builtin, ``*args``) counts as reading
everything, as does a joint rule.

>>> y = ad.tensor([1.0, 2.0], requires_grad=True) * 2
>>> z = (y ** 2).sum()                  # power saves y
>>> with ad.no_grad():
...     y += 1                          # ... which changes here
>>> z.backward()
Traceback (most recent call last):
autodiff.inplace.InPlaceError: backward: op 'power' saved its input 'a' ...

Not seen: writes that bypass the library (``t.data += 1``, NumPy on an array passed
in), which only a read-only flag could catch.
"""

from __future__ import annotations

import dis
import inspect
import weakref

import numpy as np

from . import graph as _graph

#: id(array) -> (weak reference to the array, stamp of its latest noted write).
_written: dict = {}

_METADATA = frozenset({"shape", "ndim", "dtype", "size"})
_EVERYTHING = None


def note_write(array) -> None:
    """Stamp an in-place write into ``array`` (and into the array it is a view of)."""
    _graph.write_epoch += 1
    stamp = _graph.write_epoch
    for written in (array, array.base):
        if type(written) is np.ndarray:
            key = id(written)
            _written[key] = (weakref.ref(written, lambda ref, key=key: _forget(key, ref)),
                             stamp)


def _forget(key, ref):
    entry = _written.get(key)
    if entry is not None and entry[0] is ref:
        del _written[key]


def check(node, parents) -> None:
    """Raise if an array ``node``'s running rules read was written after it was recorded."""
    positions, reads_ans = _read_by(node.op, parents)
    recorded = node._epoch
    arrays = [(node.op.input_name(i), node.args[i]) for i in positions
              if i < len(node.args)]
    if reads_ans:
        arrays.append(("its output", node.ans))
    from .inplace import InPlaceError

    for label, array in arrays:
        for candidate in (array, getattr(array, "base", None)):
            entry = _written.get(id(candidate))
            if entry is not None and entry[0]() is candidate and entry[1] > recorded:
                what = label if label == "its output" else f"its input '{label}'"
                raise InPlaceError(
                    f"backward: op '{node.op.name}' saved {what} for this backward, and "
                    "it was changed in place after that (an update that recorded no node: "
                    "inside ad.no_grad(), or of a tensor that does not require grad), so "
                    "its gradient would be wrong. Make the update before the op uses the "
                    "tensor, build a new tensor instead (t = t + x), or call backward() "
                    "before the update.")


def _read_by(op, parents):
    """The input positions and whether the output are read by the rules that run."""
    rules = op.rules
    if rules is None:
        return range(len(parents)), True
    positions = set()
    reads_ans = False
    for i, parent in enumerate(parents):
        if parent is None or not parent.requires_grad or i >= len(rules) or rules[i] is None:
            continue
        names = _loaded_names(rules[i])
        if names is _EVERYTHING:
            return range(len(parents)), True
        loaded, parameters = names
        reads_ans = reads_ans or (len(parameters) > 2 and parameters[2] in loaded)
        positions.update(j for j, name in enumerate(parameters[3:]) if name in loaded)
    return sorted(positions), reads_ans


_loaded_cache: dict = {}


def _loaded_names(rule):
    """(names the rule's code loads, other than for shape metadata; its parameters)."""
    code = getattr(rule, "__code__", None)
    if code is None or code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        return _EVERYTHING
    cached = _loaded_cache.get(code)
    if cached is not None:
        return cached
    loaded = set(code.co_cellvars)          # captured by an inner function: read later
    instructions = list(dis.get_instructions(code))
    for k, instruction in enumerate(instructions):
        if not instruction.opname.startswith("LOAD_FAST"):
            continue
        names = instruction.argval if isinstance(instruction.argval, tuple) \
            else (instruction.argval,)
        following = instructions[k + 1] if k + 1 < len(instructions) else None
        if (len(names) == 1 and following is not None and following.opname == "LOAD_ATTR"
                and following.argval in _METADATA):
            continue
        loaded.update(names)
    parameters = code.co_varnames[:code.co_argcount]
    result = _loaded_cache[code] = (frozenset(loaded), parameters)
    return result
