"""A plan: the straight-line program a trace recorded, and how it is printed.

Every value the traced call computed is a numbered slot ``v<k>``; every step is an
``Instr`` that reads slots (and constants) and writes slots, in the order the eager
call ran them.  ``replay.py`` turns the instructions into one generated Python
function; ``optimize.py`` removes dead steps; ``fuse.py`` replaces groups of
elementwise steps by generated loops.  A plan holds no Tensor and no Node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


@dataclass
class Slot:
    """Where the value of a slot comes from at the start of a replay (inputs and
    captured values) and what it looked like when traced."""

    index: int
    shape: tuple
    dtype: Any
    source: str = "computed"   # "input", "captured" (a tensor's .data), "constant"
    c_order: bool = True       # the traced value was laid out in C order (in_c_order)
    broadcast: bool = False    # ... and was a broadcast view (a stride of 0)
    memory_order: str = "C"    # of a captured tensor's array (memory_order)


def in_c_order(array) -> bool:
    """False for a traced value NumPy laid out in another order than C's (a Fortran or
    transposed array, a strided slice): eager steps' results follow their inputs'
    order (``order='K'``), and a sum runs through memory in that order, so a loop
    (which writes C order and sums rows in C order) would round differently.
    Broadcast views (a stride of 0) and what is not an array count as C order.

    >>> in_c_order(np.ones((3, 2)).T), in_c_order(np.broadcast_to(np.ones(2), (3, 2)))
    (False, True)
    """
    if array.__class__ is not np.ndarray or array.ndim < 2 or array.flags.c_contiguous:
        return True
    return 0 in array.strides


def memory_order(array) -> str:
    """How ``array`` lies in memory, as far as NumPy's results depend on it: eager
    results follow their inputs' order and sums run through memory, so a plan traced
    on C-ordered arrays is not replayed for Fortran-ordered ones (it traces again:
    arguments by the signature, captured tensors' arrays by ``why_plan_does_not_fit``).

    >>> memory_order(np.ones((2, 3))), memory_order(np.ones((2, 3)).T)
    ('C', 'F')
    """
    flags = array.flags
    if flags.c_contiguous:
        return "C"
    if flags.f_contiguous:
        return "F"
    strides = array.strides
    by_stride = sorted(range(array.ndim), key=lambda axis: -abs(strides[axis]))
    zero = "".join("0" if s == 0 else "." for s in strides)
    return f"strided {by_stride} {zero}"


def is_broadcast(array) -> bool:
    """``array`` is a broadcast view (not C-contiguous, a stride of 0)."""
    return array.__class__ is np.ndarray and not array.flags.c_contiguous and \
        0 in array.strides


@dataclass
class Instr:
    """One step of a plan.

    ``kind`` is one of ``op`` (a registered op's forward), ``rule`` (one gradient
    rule), ``joint`` (a variadic op's gradients), ``pick`` (one of those), ``add``
    (two gradient contributions), ``sum_to`` / ``astype`` (a gradient brought back
    to its input's shape and dtype), ``ones`` (the output's gradient),
    ``leaf_grad`` (accumulate into a leaf's ``.grad``), ``write`` (an in-place
    update of an array), ``call`` (a replayed method: an optimizer step) or
    ``kernel`` (a group of elementwise steps fused into one generated loop; its
    ``extra["kernel"]`` says which, ``fuse.py``).
    ``args`` and ``kwargs`` hold ``Ref`` objects for slots and plain values for
    constants.
    """

    kind: str
    label: str
    fn: Callable | None
    args: tuple
    kwargs: dict
    outs: tuple
    line: str = ""
    effect: bool = False
    extra: dict = field(default_factory=dict)

    def reads(self):
        """The slot indices this step reads."""
        found = []
        _collect_refs(self.args, found)
        _collect_refs(tuple(self.kwargs.values()), found)
        return found


class Ref:
    """A reference to slot ``index`` inside an instruction's arguments."""

    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index

    def __repr__(self):
        return f"v{self.index}"


def _collect_refs(values, found):
    stack = list(values)[::-1]              # in order of appearance
    while stack:
        value = stack.pop()
        if value.__class__ is Ref:
            found.append(value.index)
        elif isinstance(value, (tuple, list)):
            stack.extend(value[::-1])


class Plan:
    """What ``ad.compile`` recorded for one signature; ``print(plan)`` lists its steps.

    >>> w = ad.tensor([1.0, 2.0])
    >>> @ad.compile
    ... def f(x):
    ...     return (w * x).sum()
    >>> f(np.ones(2))
    tensor(3.)
    >>> print(f.plan.summary())
    plan for f: 1 steps (1 kernel), 1 input, 1 captured
    """

    def __init__(self, name: str, slots: list, instrs: list, inputs: list,
                 captured: list, output: Any, leaves: list):
        self.name = name
        self.slots = slots
        self.instrs = instrs
        self.inputs = inputs        # [(input position, slot index)]
        self.captured = captured    # [(tensor, slot index)]
        self.output = output        # the returned structure, with Ref for slots
        self.leaves = leaves        # [("input", position) | ("captured", tensor)]
        self.replay = None          # the generated function (replay.build)
        self.source = ""
        self.replay_traced = None   # the same, for a call made while another trace runs
        self.traced_source = ""
        self.removed = 0            # steps removed as dead code
        self.flags: list = []       # (object, attribute, value) a replay needs unchanged
        self.steps_by_line: dict = {}   # line of the generated replay -> its step
        self.members: list = []     # (dict, key, object) a replay needs to be the same object
        self.counters: list = []    # (optimizer, attribute, added): optimizer_counters.py
        self.generators: list = []  # the generators given as arguments (signatures.py)
        self.bindings: list = []    # (cell or dict, key, object) the function's names held
        self.settings: list = []    # (name, cell or dict, key, number) its names held
        self.buffers: list = []     # arrays results are written into (buffers.py)
        self.training_after: list = []  # (module, flag) the call left switched (eval())
        self.same_array: dict = {}  # slot -> the first slot of its array (optimize.py)
        self.call_constants: dict = {}  # slot -> line: arrays the call made with NumPy
        self.branches: list = []    # (argument, predicate, result, where): hooks.branch

    def counts(self) -> dict:
        """How many steps of each kind."""
        result: dict = {}
        for instr in self.instrs:
            result[instr.kind] = result.get(instr.kind, 0) + 1
        return result

    def summary(self) -> str:
        """One line: the number of steps by kind, inputs and captured values."""
        kinds = ", ".join(f"{n} {k}" for k, n in self.counts().items())
        n_in, n_cap = len(self.inputs), len(self.captured)
        return (f"plan for {self.name}: {len(self.instrs)} steps ({kinds}), "
                f"{n_in} input{'s' * (n_in != 1)}, {n_cap} captured")

    def __str__(self):
        lines = [self.summary()]
        if self.removed:
            lines.append(f"  ({self.removed} dead steps removed)")
        live = getattr(self, "live", self.call_constants)
        for slot, line in self.call_constants.items():
            if slot in live:
                lines.append(f"  v{slot} = constant  [{_size(self.slots[slot])}] copied at "
                             f"the trace (NumPy made it from Python numbers)   # {line}")
        for slot in getattr(self, "checksums", ()):
            if slot in self.call_constants or slot not in live:
                continue
            op, line = getattr(self, "constant_sites", {}).get(slot, ("an op", "?"))
            lines.append(f"  v{slot} = constant  [{_size(self.slots[slot])}] a NumPy array "
                         f"the function captures, read in place   # {op} at {line}")
        for instr in self.instrs:
            outs = ", ".join(f"v{k}" for k in instr.outs) or "-"
            ins = ", ".join(f"v{k}" for k in instr.reads())
            sizes = ", ".join(_size(self.slots[k]) for k in instr.outs)
            where = f"   # {instr.line}" if instr.line else ""
            text = f"  {outs} = {instr.kind} {instr.label}({ins})"
            if sizes:
                text += f"  [{sizes}]"
            buffer = instr.extra.get("buffer")
            if isinstance(buffer, list):        # a kernel: one entry per output array
                text += " -> " + ", ".join(f"b{b}" if b != "-" else b for b in buffer)
            elif buffer is not None:
                text += f" -> b{buffer}"
            lines.append(text + where)
        from .plan_checks import replay_checks
        checks = replay_checks(self)
        if checks:
            lines.append("  checked before each replay (if one changed, the call traces "
                         "again):")
            lines += [f"    - {check}" for check in checks]
        return "\n".join(lines)

    __repr__ = summary


def _size(slot: Slot) -> str:
    if slot.dtype is None:
        return "?"
    dtype = np.dtype(slot.dtype)
    n = int(np.prod(slot.shape)) if slot.shape else 1
    return f"{dtype.name}{list(slot.shape)} {n * dtype.itemsize} B"
