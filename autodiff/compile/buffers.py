"""Buffers a plan allocates once and writes into on every replay (``out=``).

Eager execution allocates a fresh array for every result.  A replay knows every
step in advance, so the steps whose result can be written into a given array
(``_written_form`` below: ufunc ops such as ``add`` and ``matmul``, ``relu`` and its
gradient, the sum of two gradient contributions, the 2-D matmul gradients,
``sum_to`` over broadcast axes; and each output of a fused kernel) get one, and one
array serves several results whose lifetimes do not overlap.

The analysis, in order over the steps:

* **Aliasing.** A result written into a buffer refers to that buffer.  The result
  of any other step (a gradient rule, ``reshape``, a ``.grad`` update...) may be a
  view of, or the same array as, any value it reads: it is taken to refer to every
  buffer they refer to.  A fused loop stores every output into an array of its own;
  run by NumPy (``AUTODIFF_JIT=0``), an output that is an input reshaped or cast to
  its own dtype is taken to refer to what the kernel reads.
* **Escapes.** A buffer is never handed to the caller: values the plan returns,
  arrays a ``.grad`` takes without a copy and values read by steps that could keep
  them (ops given an rng or a ctx, step kinds this pass does not know) are not
  written into buffers; those steps allocate as eager does.  So what a replay
  returns and what ``.grad`` holds are fresh arrays, never changed by a later call.
* **Lifetimes.** A buffer is busy from the step that writes it to the last step
  that reads any value referring to it.  A step's result never goes into a buffer
  one of its own inputs refers to; buffers of the same shape and dtype are shared
  by results whose lifetimes do not overlap (a greedy interval assignment).

The arithmetic is the same NumPy call with ``out=`` (or the same fused loop), so
results are bit for bit those of the replay without buffers.  The buffers stay
allocated while the plan is cached (``ad.compile(..., cache_size=)`` bounds the
plans): at most the memory the buffered values take at the peak of one eager call,
kept between calls instead of freed.
``plan.buffers`` lists the arrays; ``print(plan)`` shows ``-> b<k>`` on each step
that writes into buffer ``k`` (a kernel: one entry per output array, ``-`` for one
left to the allocator).
"""

from __future__ import annotations

import heapq

import numpy as np

from .. import kernels
from ..ops.elementwise import relu as _relu_op
from ..ops.linalg import _matmul_grad_a, _matmul_grad_b
from ..ops.shape import sum_to_array
from .optimize import output_refs
from .plan import Plan, Ref

#: Results smaller than this (elements) are left to NumPy's allocator: for them the
#: ``out=`` keyword costs more than the allocation it saves.
MIN_ELEMENTS = 1024

#: A value that may refer to more buffers than this gives them all up (see below).
_MAX_REFERRED = 32

#: Step kinds whose results may refer to what they read but keep nothing.
_KNOWN_KINDS = {"op", "rule", "joint", "pick", "add", "sum_to", "astype", "ones",
                "leaf_grad", "write", "call", "clear_grad", "kernel"}


def _add_into(a, b, out):
    return np.add(a, b, out=out)


def _matmul_grad_a_into(g, b, out):
    return np.matmul(g, b.T, out=out)


def _matmul_grad_b_into(g, a, out):
    return np.matmul(a.T, g, out=out)


def _sum_to_into(x, axes, out_kept, out):
    np.add.reduce(x, axis=axes, keepdims=True, out=out_kept)
    return out


def _sum_leading(x, axes):
    """``sum_to`` over leading axes only, with the axes worked out at trace time:
    the same ``np.add.reduce`` as ``sum_to_array`` without its Python around it."""
    return np.add.reduce(x, axis=axes)


def _sum_kept(x, axes, shape):
    return np.add.reduce(x, axis=axes, keepdims=True).reshape(shape)


def _sum_to_axes(source_shape, shape):
    lead = len(source_shape) - len(shape)
    return tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and source_shape[lead + i] != 1)


def _written_form(plan: Plan, instr):
    """``(function, argument templates, extra buffer shape)`` that computes ``instr``'s
    result into a buffer passed as the last argument, or None.  A step that has such
    a form returns a new array even without one (never a view of what it reads)."""
    slots = plan.slots
    if len(instr.outs) != 1 or instr.effect:
        return None
    out = slots[instr.outs[0]]
    if out.dtype is None or not out.shape:
        return None
    kind, fn, args = instr.kind, instr.fn, instr.args
    if kind == "op" and not instr.kwargs and not instr.extra.get("zero_d"):
        if isinstance(fn, np.ufunc) and fn.nout == 1 and fn.nin == len(args):
            return fn, args, None
        if fn is kernels.relu and len(args) == 1:
            return kernels.relu, args, None
    elif kind == "add" and all(slots[a.index].shape == out.shape for a in args):
        return _add_into, args, None
    elif (kind == "rule" and fn is _relu_op.rules[0] and len(args) == 4
          and all(a.__class__ is Ref for a in args[1:3])
          and slots[args[1].index].shape == out.shape
          and slots[args[1].index].dtype == out.dtype):
        xp, g, ans, x = args
        return kernels.relu_backward, (g, ans), None
    elif kind == "rule" and not instr.kwargs and len(args) == 5:
        xp, g, ans, a, b = args
        if all(r.__class__ is Ref and len(slots[r.index].shape) == 2 for r in (g, a, b)):
            if fn is _matmul_grad_a:
                return _matmul_grad_a_into, (g, b), None
            if fn is _matmul_grad_b:
                return _matmul_grad_b_into, (g, a), None
    elif kind == "sum_to" and fn is sum_to_array:
        source = slots[args[0].index]
        shape = tuple(args[1])
        if source.shape != shape and len(source.shape) >= len(shape):
            axes = _sum_to_axes(source.shape, shape)
            kept = tuple(1 if i in axes else n for i, n in enumerate(source.shape))
            return _sum_to_into, (args[0], axes), kept
    return None


def plan_buffers(plan: Plan) -> Plan:
    """Give the steps that can write in place a buffer, shared where lifetimes allow;
    sets ``instr.extra["into"]`` (read by ``replay``) and ``plan.buffers``.

    >>> w = ad.tensor(np.ones((64, 64)))
    >>> f = ad.compile(lambda x: ad.tanh(x @ w).sum())
    >>> _ = f(np.ones((32, 64)))
    >>> [b.shape for b in f.plan.buffers]      # x @ w; tanh feeds the returned sum
    [(32, 64)]
    """
    instrs = plan.instrs
    fresh = {k: f for k, instr in enumerate(instrs)
             if (f := _written_form(plan, instr)) is not None}
    kernel_arrays = {k: a for k, instr in enumerate(instrs)
                     if (a := _kernel_arrays(instr)) is not None}
    # Candidates ("virtual buffers"): (step, which of its arrays) -> the slot it holds.
    forms = {(k, 0): instrs[k].outs[0] for k in fresh}
    forms.update({(k, a): s for k, arrays in kernel_arrays.items()
                  for s, a in zip(instrs[k].outs, arrays)
                  if a < len(instrs[k].extra["kernel"].own)})     # a stash: never
    forms = {c: s for c, s in forms.items()
             if int(np.prod(plan.slots[s].shape)) >= MIN_ELEMENTS}
    # Which slots may refer to each candidate.
    refers: dict = {}
    escaped: set = set()
    last_use: dict = {}
    for k, instr in enumerate(instrs):
        reads = instr.reads()
        for s in reads:
            last_use[s] = k
        through = set()
        for s in reads:
            through |= refers.get(s, set())
        keeps = (instr.kind not in _KNOWN_KINDS
                 or (instr.kind == "op" and instr.effect)
                 or (instr.kind == "leaf_grad" and not instr.extra.get("copy", True)))
        if keeps or len(through) > _MAX_REFERRED:
            # A value that may refer to many buffers (a long chain of rules): give those
            # buffers up rather than track ever larger sets (quadratic in plan length).
            escaped |= through
            through = set()
        if (k in fresh or k in kernel_arrays or instr.kind == "ones"
                or instr.extra.get("new_arrays")):      # new arrays
            arrays = kernel_arrays.get(k, [0] * len(instr.outs))
            # ... except what a kernel run by NumPy returns without a buffer, which may
            # be a view of an input (a reshape, say).
            aliases = instr.extra["kernel"].may_alias() if k in kernel_arrays else ()
            for s, a in zip(instr.outs, arrays):
                refers[s] = {(k, a)} if (k, a) in forms else set()
                if a in aliases:
                    refers[s] |= through
        else:
            for s in instr.outs:
                refers[s] = set(through)
    for s in output_refs(plan.output):
        escaped |= refers.get(s, set())
        last_use[s] = len(instrs)
    # Each candidate's busy interval: until the last read of anything referring to it.
    end = {c: c[0] for c in forms if c not in escaped}
    for s, buffers in refers.items():
        for c in buffers:
            if c in end:
                end[c] = max(end[c], last_use.get(s, c[0]))
    plan.buffers = _assign(plan, forms, fresh, end)
    for k, instr in enumerate(instrs):
        if "into" in instr.extra:
            continue
        if instr.kind == "sum_to":
            _direct_sum_to(plan, instr)
        elif instr.kind == "rule":
            _direct_matmul_rule(instr, fresh.get(k))
    return plan


def _direct_matmul_rule(instr, form) -> None:
    """A matmul gradient without a buffer (a weight's gradient, which goes into
    ``.grad``) still skips the rule's dispatch: its buffered ``form`` (``_written_form``),
    given no buffer."""
    if form is not None and form[0] in (_matmul_grad_a_into, _matmul_grad_b_into):
        instr.fn, instr.args = form[0], tuple(form[1]) + (None,)


def _direct_sum_to(plan: Plan, instr) -> None:
    """A ``sum_to`` too small for a buffer still skips ``sum_to_array``'s Python."""
    if instr.fn is not sum_to_array or instr.args[0].__class__ is not Ref:
        return
    source = plan.slots[instr.args[0].index].shape
    shape = tuple(instr.args[1])
    if source == shape or len(source) < len(shape):
        return
    axes = _sum_to_axes(source, shape)
    if axes == tuple(range(len(source) - len(shape))):
        instr.fn, instr.args = _sum_leading, (instr.args[0], axes)
    else:
        instr.fn, instr.args = _sum_kept, (instr.args[0], axes, shape)


def _kernel_arrays(instr):
    """For a fused kernel: which of its distinct output arrays each of its slots is."""
    fused = instr.extra.get("kernel") if instr.kind == "kernel" else None
    if fused is None:
        return None
    return fused.out_arrays()


def _assign(plan: Plan, forms: dict, fresh: dict, end: dict) -> list:
    """Greedy interval assignment of physical arrays to candidates."""
    buffers: list = []
    free: dict = {}                 # (shape, dtype) -> [buffer index]
    busy: list = []                 # heap of (end step, buffer index, key)
    for c in sorted(end):
        k, array = c
        while busy and busy[0][0] < k:
            _, b, key = heapq.heappop(busy)
            free.setdefault(key, []).append(b)
        slot = plan.slots[forms[c]]
        key = (slot.shape, np.dtype(slot.dtype).str)
        pool = free.get(key)
        if pool:
            b = pool.pop()
        else:
            b = len(buffers)
            buffers.append(np.empty(slot.shape, slot.dtype))
        heapq.heappush(busy, (end[c], b, key))
        instr = plan.instrs[k]
        if instr.kind == "kernel":
            n = len(instr.extra["kernel"].own)
            into = instr.extra.setdefault("into_arrays", [None] * n)
            numbers = instr.extra.setdefault("buffer", ["-"] * n)
            into[array], numbers[array] = buffers[b], b
            continue
        fn, args, kept = fresh[k]
        extra_args = (buffers[b].reshape(kept),) if kept is not None else ()
        instr.extra["into"] = (fn, tuple(args) + extra_args, buffers[b])
        instr.extra["buffer"] = b
    return buffers
