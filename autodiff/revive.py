"""A second backward through a released node whose rules read no values.

A backward without ``retain_graph`` releases each node it runs through (``graph.py``):
the node drops its inputs and output and keeps only the output's shape and dtype.  An
op that declares ``reads=()`` (``defop``: ``transpose``, ``reshape``, ``getitem``,
``add``, ``sum`` ...) has rules that read only shapes and dtypes, as PyTorch's
``TransposeBackward`` saves nothing; so when a later reverse pass reaches such a node,
``revive`` gives it stand-ins, read-only arrays of the right shape and dtype that take
no memory, built from what its parents still know:

* a parent node keeps its output's shape and dtype after release;
* a leaf tensor has its array;
* a constant input (no parent) is needed only if a rule that runs names it at all
  (``x.shape`` included): ``add``'s rule for ``a`` does not look at ``b``, but
  ``transpose(x, axes)`` needs ``axes`` and ``concatenate`` every part's shape.  Such
  constants are kept (``keep_constants``: numbers, shapes and axes as they are, an
  array as its shape and dtype) when the node is recorded on a parameter, where the
  guard looks at the node anyway (``w.T``, ``ad.transpose(w, axes)``,
  ``concatenate([w, c])``); the op call paths and the release do no extra work.  A
  node on intermediate values whose rules name such a constant cannot be revived.

A node that cannot be revived (an op that reads values, a constant that was not kept,
an index or condition array, whose values the rules read; any node during an
``ad.compile`` trace, which cannot follow stand-ins) raises the "already freed" error
as before.  The stand-ins live only during the pass: the node is released again
at its end, also under ``retain_graph``.

So ``wt = w.T`` made once can be used by every step's loss:

>>> w = ad.tensor([[1.0, 2.0]], requires_grad=True)
>>> wt = w.T
>>> for _ in range(2):
...     (wt * 3.0).sum().backward()
>>> w.grad
array([[6., 6.]])
"""

from __future__ import annotations

import dis
import inspect
import weakref

import numpy as np

from .code_walk import nested_code
from .graph import Node
from .graph_errors import freed_error
from .saved_hooks import unpacked_args

__all__ = ["is_stand_in", "keep_constants", "names_constants", "revive", "stand_in"]

#: node -> its positional inputs as ``revive`` may pass them again (``keep_constants``).
_kept = weakref.WeakKeyDictionary()

#: op -> ``names_constants(op)``.
_names_constants = weakref.WeakKeyDictionary()

#: dtype -> the read-only 0-d zero that every stand-in of that dtype repeats.
_zeros: dict = {}

#: A constant ``keep_constants`` could not keep (an index array, a list).
_MISSING = object()


def stand_in(shape: tuple[int, ...], dtype) -> np.ndarray:
    """A read-only array of ``shape`` and ``dtype`` that takes no memory (one zero,
    repeated): all a rule that reads no values needs of an input or output.

    >>> s = stand_in((1000, 1000), np.dtype(np.float32))
    >>> s.shape, s.dtype, s.strides, s.flags.writeable
    ((1000, 1000), dtype('float32'), (0, 0), False)
    """
    zero = _zeros.get(dtype)
    if zero is None:
        zero = np.zeros((), dtype)
        zero.setflags(write=False)
        zero = _zeros.setdefault(zero.dtype, zero)
    return np.ndarray(shape, zero.dtype, zero, 0, (0,) * len(shape))


def is_stand_in(value) -> bool:
    """Whether ``value`` is a ``stand_in`` (not a value anyone computed): tools that
    show a node's inputs during a pass skip it.

    >>> is_stand_in(stand_in((2,), np.dtype(np.float64))), is_stand_in(np.zeros(2))
    (True, False)
    """
    return (type(value) is np.ndarray and value.base is not None
            and value.base is _zeros.get(value.dtype))


def revive(node: Node, keep: bool = True) -> tuple:
    """Give the released ``node`` stand-ins for its inputs and output so that its rules
    can run again, and return its new ``args``; raise the "already freed" error if it
    cannot be done (see the module docstring).  A node that packed its values in a
    ``saved_tensors_hooks`` block gets them unpacked instead (``saved_hooks.py``; they
    are let go unless ``keep``)."""
    args = unpacked_args(node, keep)
    if args is not None:
        return args
    from .compile import hooks, outputs     # (here: the compile package imports the ops)
    replayed = outputs.replayed_history_error(node)
    if replayed is not None:
        raise replayed
    op = node.op
    if not op.value_free:
        raise freed_error(node)
    if hooks.active is not None:
        raise RuntimeError(
            f"{freed_error(node)} A compiled function cannot run its backward through "
            "a node released before its trace: make the tensor inside the function.")
    parents = node.parents
    differentiable = op._grad_at
    kept = _kept.get(node)
    named = None
    args = []
    for i, parent in enumerate(parents):
        if parent is not None and (differentiable is None or (
                i < len(differentiable) and differentiable[i] is not None)):
            if parent.__class__ is Node:
                value = stand_in(parent.shape, parent.dtype)
            else:
                data = parent.data
                value = stand_in(data.shape, data.dtype)
        else:                           # a constant, or an index or condition (values read)
            value = _MISSING if kept is None or parent is not None else kept[i]
            if value.__class__ is _ArrayOf:
                value = stand_in(value.shape, value.dtype)
            elif value is _MISSING:
                if named is None:
                    named = constants_named(op, parents)
                if i in named:
                    raise freed_error(node)
                value = None            # no rule that runs looks at it
        args.append(value)
    args = node.args = tuple(args)
    node.ans = stand_in(node._shape, node._dtype)
    return args


def keep_constants(node: Node) -> None:
    """Keep what ``revive`` may need of ``node``'s constant inputs (those without a
    parent): a number, a shape or an axis as it is, the shape and dtype of an array at
    a differentiable position (its values are not read).  Called by the guard for a
    node of an op that reads no values, recorded on a parameter; only ops whose rules
    name an input other than their own keep anything (``names_constants``:
    ``transpose(x, axes)``, ``concatenate``; not ``w + 1.0``)."""
    arity = node._arity
    if arity == 1 or arity == 2 and node._p0 is not None and node._p1 is not None:
        return
    op = node.op
    names = _names_constants.get(op)
    if names is None:
        names = _names_constants[op] = names_constants(op)
    parents = node.parents
    if not names or not any(parent is None for parent in parents):
        return
    differentiable = op._grad_at
    kept = []
    for i, (value, parent) in enumerate(zip(node.args, parents)):
        if parent is not None:
            value = None                # (revive takes it from the parent)
        elif type(value) is np.ndarray:
            at_gradient = differentiable is None or (i < len(differentiable)
                                                     and differentiable[i] is not None)
            value = _ArrayOf(value.shape, value.dtype) if at_gradient else _MISSING
        elif not _is_small(value):
            value = _MISSING
        kept.append(value)
    _kept[node] = tuple(kept)


class _ArrayOf:
    """A kept constant array, of which the rules read only the shape and dtype."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = shape
        self.dtype = dtype


def names_constants(op) -> bool:
    """Whether a rule of ``op`` may name an input that can be a constant: another
    input than its own (an axis, a shape, a second operand), or any for a joint rule
    or one whose code cannot be read; keyword arguments, kept anyway, do not count.
    Only such ops keep constants."""
    rules = op.rules
    if rules is None:
        return True
    for i, rule in enumerate(rules):
        if rule is None:
            continue
        loaded = _names_loaded(rule)
        if loaded is None:
            return True
        names, parameters = loaded
        if any(name in names for j, name in enumerate(parameters[3:3 + len(rules)])
               if j != i):
            return True
    return False


def _is_small(value) -> bool:
    """A number, ``None``, a slice or a tuple of them (a shape, axes): safe to keep."""
    if type(value) is tuple:
        return all(_is_small(v) for v in value)
    return value is None or isinstance(value, (int, float, complex, slice, np.generic))


def constants_named(op, parents) -> frozenset:
    """The input positions whose names the rules that run for ``parents`` load at all
    (for ``x.shape`` too); every position for a joint rule or one that takes ``*args``."""
    by_need = op.__dict__.get("_constants_named")
    if by_need is None:
        by_need = op._constants_named = {}
    need = tuple(p is not None and p.requires_grad for p in parents)
    named = by_need.get(need)
    if named is not None:
        return named
    everything = frozenset(range(len(parents)))
    rules = op.rules
    named = set()
    if rules is None:
        named = everything
    else:
        for i, needed in enumerate(need):
            if not needed or i >= len(rules) or rules[i] is None:
                continue
            loaded = _names_loaded(rules[i])
            if loaded is None:
                named = everything
                break
            names, parameters = loaded
            named.update(j for j, name in enumerate(parameters[3:]) if name in names)
    named = by_need[need] = frozenset(named)
    return named


def _names_loaded(rule):
    """(every name ``rule``'s code and the functions nested in it load, its
    parameters), or None when that cannot be read (a builtin, ``*args`` used)."""
    code = getattr(rule, "__code__", None)
    if code is None:
        return None
    loaded = set()
    for current in nested_code(code):
        for instruction in dis.get_instructions(current):
            if (instruction.opname.startswith("LOAD_FAST")
                    or instruction.opname in ("LOAD_DEREF", "LOAD_CLASSDEREF")):
                argval = instruction.argval
                loaded.update(argval if isinstance(argval, tuple) else (argval,))
    parameters = code.co_varnames[:code.co_argcount]
    if code.co_flags & inspect.CO_VARARGS:
        if code.co_varnames[code.co_argcount + code.co_kwonlyargcount] in loaded:
            return None
    return frozenset(loaded), parameters
