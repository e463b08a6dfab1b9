"""Refusing a backward whose saved values were overwritten in place.

The mutation guard (``guard.py``) makes a parameter's array read-only while a graph
saved it.  Other arrays (an intermediate result, an input batch) stay writable:
making every saved array read-only would cost every op and refuse harmless writes.
Instead, each in-place update that records no node (inside ``ad.no_grad()``, or on a
tensor that does not require grad) is noted here with a stamp, ``graph.write_epoch``,
and each node keeps the stamp current when it was recorded (``node._epoch``, left
unset while there was none).  When the reverse pass reaches a node recorded before
the latest noted write, it checks the arrays that node's rules read; one whose bytes
were written after the node saved it raises ``InPlaceError`` naming the op and the
input, as PyTorch's version counters do.  Nodes recorded after the last write cost
one comparison.

Which inputs a rule reads is read off its code (``read_by``, also used by the guard):
the names it and the functions nested in it load, where ``x.shape``, ``x.ndim``,
``x.dtype`` and ``x.size`` do not count (an in-place write cannot change them).  A
rule whose code cannot be read (a builtin, one that uses its ``*args``) counts as
reading everything, as does a joint rule.  An op that declares what its rules read
(``defop``'s ``reads=``) is taken at its word (``tests/test_reads.py`` checks each
declaration against the code where it can be read).

>>> y = ad.tensor([1.0, 2.0], requires_grad=True) * 2
>>> z = (y ** 2).sum()                  # power saves y
>>> with ad.no_grad():
...     y += 1                          # ... which changes here
>>> z.backward()
Traceback (most recent call last):
autodiff.inplace_refusals.InPlaceError: backward: op 'power' saved its input 'a' ...

A parameter (a leaf that requires grad) is stamped only when a function transform
let go of it while nodes it recorded still read it (``guard.unguarded_reads``): after
``g = ad.grad(f)(w)``, ``w -= lr * g`` under ``no_grad`` (or ``w.add_``, ``w[i] = v``,
an optimizer step, ``nn.init``, ``load_state_dict``) makes a backward through ``g``
that reads ``w`` raise.

Writes are looked for up to the moment each node runs, so one made during the pass
(a tensor hook calling ``opt.zero_grad()``, or updating a saved tensor under
``no_grad``) before a node that saved those values runs is refused too; so is a
``.grad`` array that a hook reads and changes with NumPy (``w.grad *= 2``: stamped
when the hook returns, ``grad_attr.watching_grad_writes``).

Not seen: writes that bypass the library (``t.data += 1``, ``w.data[...] = v`` after a
transform returned, ``w.grad *= 2`` outside a hook, NumPy on an array passed in),
which only a read-only flag could catch.
"""

from __future__ import annotations

import dis
import inspect
import weakref

import numpy as np

from . import graph as _graph
from .code_walk import nested_code

#: id(owner) -> [weak reference to the owner, {(first byte, end byte): stamp of the
#: latest write}, version, cached columns]: the byte ranges written in the memory of
#: each array that owns its memory.  Ranges, not the written arrays: a view written
#: and then dropped (``buf[0].add_(1)``) must still count.  The version counts the
#: writes; the cached columns (``_columns``) are the ranges as arrays, for owners
#: written in many places (a loop writing one row at a time).
_written: dict = {}

#: Above this many written ranges, an owner's are compared as arrays, not one by one.
MANY_RANGES = 32
#: Above this many, an owner's ranges merge into one span (``note_write``).
MAX_RANGES = 4096

_METADATA = frozenset({"shape", "ndim", "dtype", "size"})
_EVERYTHING = None


_byte_bounds = getattr(np.lib, "array_utils", np).byte_bounds     # NumPy 2 / 1


def _owner(array):
    base = array.base
    return base if type(base) is np.ndarray else array


def note_write(array) -> None:
    """Stamp an in-place write into ``array`` (a view of another array, perhaps)."""
    _graph.write_epoch += 1
    owner = _owner(array)
    key = id(owner)
    entry = _written.get(key)
    if entry is None or entry[0]() is not owner:
        entry = _written[key] = [weakref.ref(owner, lambda ref, key=key: _forget(key, ref)),
                                 {}, 0, None]
    ranges = entry[1]
    ranges[_byte_bounds(array)] = _graph.write_epoch     # one item: safe across threads
    if len(ranges) > MAX_RANGES:
        # A buffer written at ever new places (a ring buffer, a table row by row): its
        # ranges become one span with the latest stamp, so the table stays bounded.
        # That is conservative: a node recorded before now that saved bytes of the span
        # which no write touched is refused too (InPlaceError), never let through.
        first = min(r[0] for r in ranges)
        end = max(r[1] for r in ranges)
        entry[1] = {(first, end): _graph.write_epoch}
    entry[2] += 1                   # after the item: a reader's columns then go stale


def _forget(key, ref):
    entry = _written.get(key)
    if entry is not None and entry[0] is ref:
        del _written[key]


def _written_after(array, recorded) -> bool:
    """Whether bytes of ``array`` may have been written after stamp ``recorded`` (ranges
    that overlap; a strided array counts its whole span)."""
    owner = _owner(array)
    entry = _written.get(id(owner))
    if entry is None or entry[0]() is not owner:
        return False
    low, high = _byte_bounds(array)
    if len(entry[1]) > MANY_RANGES:
        first, end, stamp = _columns(entry)
        return bool(np.any((stamp > recorded) & (first < high) & (end > low)))
    for (first, end), stamp in list(entry[1].items()):
        if stamp > recorded and first < high and low < end:
            return True
    return False


def _columns(entry):
    """An owner's written ranges as three arrays (first byte, end byte, stamp), made
    again after each write."""
    version = entry[2]                  # (read before the ranges: see note_write)
    cached = entry[3]
    if cached is None or cached[0] != version:
        ranges = list(entry[1].items())
        cached = entry[3] = (version,
                             np.array([r[0][0] for r in ranges], dtype=np.int64),
                             np.array([r[0][1] for r in ranges], dtype=np.int64),
                             np.array([r[1] for r in ranges], dtype=np.int64))
    return cached[1:]


def _overwritten(node, parents):
    """``(label, array)`` of each array ``node``'s rules read that was written after the
    node was recorded."""
    positions, reads_ans = read_by(node.op, parents)
    recorded = getattr(node, "_epoch", 0)
    arrays = [(node.op.input_name(i), node.args[i]) for i in positions
              if i < len(node.args)]
    if reads_ans:
        arrays.append(("its output", node.ans))
    return [(label, array) for label, array in arrays
            if isinstance(array, np.ndarray) and _written_after(array, recorded)]


def outdated(node) -> bool:
    """Whether ``node``'s backward would be refused because values it saved were changed
    in place since it was recorded (a graph left behind by an optimizer step).

    >>> y = ad.tensor([1.0, 2.0], requires_grad=True) * 2
    >>> z = y ** 2                          # power saves y
    >>> with ad.no_grad():
    ...     y += 1
    >>> outdated(z._node)
    True
    """
    if node.args is None or getattr(node, "_epoch", 0) >= _graph.write_epoch:
        return False
    return bool(_overwritten(node, node.parents))


def changed_since(array, node) -> bool:
    """Whether ``array`` (say a parameter's) was written in place after ``node`` was
    recorded: a picture of that graph shows its current values, not the ones used."""
    recorded = getattr(node, "_epoch", 0)
    return recorded < _graph.write_epoch and _written_after(array, recorded)


def check(node, parents) -> None:
    """Raise if an array ``node``'s running rules read was written after it was recorded."""
    for label, array in _overwritten(node, parents):
        from .inplace import InPlaceError

        what = label if label == "its output" else f"its input '{label}'"
        what += f" (a {array.dtype} array of shape {array.shape})"   # which tensor
        raise InPlaceError(
            f"backward: op '{node.op.name}' saved {what} for this backward, and "
            "it was changed in place after that (an update that recorded no node: "
            "inside ad.no_grad(), an optimizer step, a later backward() adding into "
            "a .grad or zero_grad(), a gradient hook of this backward writing into it, "
            "or of a tensor that does not require grad), so "
            "its gradient would be wrong. Make the update before "
            "the op uses the tensor (for the results of a transform such as "
            "ad.grad: call it again after the update), build a new tensor instead "
            "(t = t + x), or call backward() before the update.")


def read_by(op, parents):
    """The input positions and whether the output are read by the rules that run."""
    if op._reads is not None:
        return _declared(op, parents)
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


def _declared(op, parents):
    """``read_by`` for an op that declares what its rules read (``reads=``): the
    values it names, and every input without a rule (an index, a condition)."""
    rules, reads, grad_inputs = op.rules, op._reads, op.grad_inputs
    positions = set()
    reads_ans = False
    for i, parent in enumerate(parents):
        if rules is not None:
            if i >= len(rules) or rules[i] is None:
                positions.add(i)
            elif parent is not None and parent.requires_grad:
                for j in reads[i]:
                    if j < 0:
                        reads_ans = True
                    else:
                        positions.add(j)
        elif grad_inputs is not None and i not in grad_inputs:
            positions.add(i)            # (a joint rule declares reads=() only)
    return sorted(positions), reads_ans


_loaded_cache = weakref.WeakKeyDictionary()    # code object -> what it loads


def _loaded_names(rule):
    """(names the rule's code loads, other than for shape metadata; its parameters).

    Parameters past the named ones (``*args``) count as read if ``args`` is loaded.
    Functions nested in the rule (a comprehension, a lambda) are read too: the names
    they load from the rule are its variables."""
    code = getattr(rule, "__code__", None)
    if code is None or code.co_flags & inspect.CO_VARKEYWORDS and not _is_unused_kwargs(code):
        return _EVERYTHING
    cached = _loaded_cache.get(code)
    if cached is not None:
        return cached
    loaded = set()
    for current in nested_code(code):
        instructions = list(dis.get_instructions(current))
        for k, instruction in enumerate(instructions):
            if not (instruction.opname.startswith("LOAD_FAST")
                    or instruction.opname in ("LOAD_DEREF", "LOAD_CLASSDEREF")):
                continue
            names = instruction.argval if isinstance(instruction.argval, tuple) \
                else (instruction.argval,)
            following = instructions[k + 1] if k + 1 < len(instructions) else None
            if (len(names) == 1 and following is not None
                    and following.opname == "LOAD_ATTR" and following.argval in _METADATA):
                continue
            loaded.update(names)
    parameters = code.co_varnames[:code.co_argcount]
    if code.co_flags & inspect.CO_VARARGS:
        varargs = code.co_varnames[code.co_argcount + code.co_kwonlyargcount]
        if varargs in loaded:
            return _EVERYTHING
    result = _loaded_cache[code] = (frozenset(loaded), parameters)
    return result


def _is_unused_kwargs(code) -> bool:
    """Whether the ``**kwargs`` of ``code`` is never loaded (keyword arguments are not
    inputs, but a rule could pass them on)."""
    index = code.co_argcount + code.co_kwonlyargcount + bool(code.co_flags & inspect.CO_VARARGS)
    name = code.co_varnames[index]
    return not any(i.argval == name for i in dis.get_instructions(code)
                   if i.opname.startswith("LOAD_FAST"))
