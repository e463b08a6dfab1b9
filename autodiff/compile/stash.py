"""Handing many small arrays from one fused loop to the next as rows of one array.

A long chain of elementwise steps fuses into several loops (``fuse.MAX_OPS``), and
the forward loop stores every value the reverse pass reads: fifty arrays of four
elements for a chain of 200 ops.  Each array costs an allocation, and each is one
more argument whose type Numba's dispatcher works out on every call (about 0.15 µs
an argument when hot, several times that when the caches are cold), far more than
computing four elements.  So the outputs of a small loop that only other small
loops read are stored as the rows of one 2-D array, a *stash*: the loop that makes
them writes row ``r`` where it wrote its ``r``-th array, and each loop that reads
them takes the stash whole and reads its rows.  The values are the same to the
last bit; the stash is a new array at each call, freed after its last reader.

A stash is a slot of its own (shape ``(rows, elements)``); the slots it holds stay
in the plan, as values no step reads directly (``print(plan)`` shows the stash as
the kernel's last output).  Only loops of fewer than ``MAX_ELEMENTS`` elements take
part: for larger ones the arguments cost nothing next to the loop, and they keep
their own arrays (``buffers.py`` may give them a buffer, ``loop_parts.py`` may cut
them into parts).
"""

from __future__ import annotations

import numpy as np

from .layout import FULL
from .optimize import output_refs
from .plan import Ref, Slot

#: Loops of at least this many elements keep one array per output (and per input).
MAX_ELEMENTS = 1024


class Stash:
    """The rows of a stash: ``slots[r]`` is the value held in row ``r``."""

    def __init__(self, slot, slots):
        self.slot = slot
        self.slots = list(slots)
        self.row = {s: r for r, s in enumerate(self.slots)}


def plan_stashes(plan, kernels) -> None:
    """Choose the stashes of ``kernels`` (``kernel`` steps still holding their group,
    in plan order), add their slots and rewrite the steps' ``outs`` and ``args``.

    Sets ``extra["stash_out"]`` (a ``Stash``) on a kernel that fills one and
    ``extra["stash_in"]`` (``[(Stash, [slots read])]``) on a kernel that reads some.
    """
    small = {id(k) for k in kernels if k.extra["group"].size < MAX_ELEMENTS}
    readers: dict = {}
    for s in output_refs(plan.output):
        readers.setdefault(s, set()).add(None)
    for instr in plan.instrs:
        for s in instr.reads():
            readers.setdefault(s, set()).add(id(instr) if id(instr) in small else None)
    holder: dict = {}                   # slot -> the stash holding it
    for kernel in kernels:
        group = kernel.extra["group"]
        if id(kernel) in small:
            _stash_outputs(plan, kernel, group, readers, holder)
    for kernel in kernels:
        if id(kernel) in small:
            _read_stashes(kernel, holder)


def _stash_outputs(plan, kernel, group, readers, holder) -> None:
    nodes = [group.slot_node[s] for s in kernel.outs]
    by_dtype: dict = {}
    for s, node in zip(kernel.outs, nodes):
        info = plan.slots[s]
        if (readers.get(s) and None not in readers[s] and nodes.count(node) == 1
                and group.pos.get(node) == FULL and len(info.shape) >= 1
                and int(np.prod(info.shape)) == group.size):
            by_dtype.setdefault(np.dtype(info.dtype), []).append(s)
    if not by_dtype:
        return
    dtype, rows = max(by_dtype.items(), key=lambda item: len(item[1]))
    if len(rows) < 2:
        return
    index = len(plan.slots)
    plan.slots.append(Slot(index, (len(rows), group.size), dtype))
    if getattr(plan, "live", None) is not None:
        plan.live.add(index)
    stash = Stash(index, rows)
    for s in rows:
        holder[s] = stash
    kernel.outs = tuple(s for s in kernel.outs if s not in stash.row) + (index,)
    kernel.extra["stash_out"] = stash


def _read_stashes(kernel, holder) -> None:
    group = kernel.extra["group"]
    used: dict = {}                     # stash slot -> (Stash, slots read)
    direct = []
    for s in group.inputs:
        stash = holder.get(s)
        if stash is None:
            direct.append(s)
        else:
            used.setdefault(stash.slot, (stash, []))[1].append(s)
    if not used:
        return
    kernel.extra["stash_in"] = list(used.values())
    kernel.args = tuple(Ref(s) for s in direct) + tuple(Ref(s) for s in used)


def value_outputs(kernel) -> list:
    """The slots whose values the kernel computes, in the order of its arrays: its own
    outputs, then the rows of the stash it fills."""
    stash = kernel.extra.get("stash_out")
    if stash is None:
        return list(kernel.outs)
    return list(kernel.outs[:-1]) + stash.slots


def calling(kernel, inputs):
    """How the kernel's arguments reach the loop's inputs ``inputs`` (slots): the
    direct inputs' positions, and per input ``(position, row)`` where ``position``
    counts the kernel's arguments (a stash's row ``row``) or ``row`` is None."""
    stashes = kernel.extra.get("stash_in", ())
    where: dict = {}
    n_direct = len(inputs) - sum(len(read) for _, read in stashes)
    for m, (stash, read) in enumerate(stashes):
        for s in read:
            where[s] = (n_direct + m, stash.row[s])
    direct = [s for s in inputs if s not in where]
    for j, s in enumerate(direct):
        where[s] = (j, None)
    return [where[s] for s in inputs], n_direct + len(stashes)


def sample_arguments(fused, sample, rng) -> list:
    """Arguments for a trial call of ``fused``: ``sample(slot)`` for each direct input,
    and for each stash read a stash whose rows read hold ``sample(slot)`` (made-up
    values in the others)."""
    args: list = [None] * fused.n_args
    stashes = {}
    for (stash, _), m in zip(fused.stash_in, range(fused.n_args - len(fused.stash_in),
                                                     fused.n_args)):
        stashes[m] = stash
    for s, (p, r) in zip(fused.inputs, fused.sources):
        value = sample(s)
        if r is None:
            args[p] = value
            continue
        if args[p] is None:
            shape = (len(stashes[p].slots), value.size)
            args[p] = rng.uniform(0.5, 1.5, shape).astype(value.dtype)
        args[p][r] = value.ravel()
    return args
