"""Fusing elementwise steps of a plan into generated loops (``kernel`` steps).

Which steps are elementwise is not listed anywhere: each forward ``op`` step and
each gradient ``rule`` step is run once on symbols (``symbolic.py``) with the very
code the registry holds for it; if it turns out to be NumPy ufuncs, ``where``,
broadcasts and reductions (``sum``, ``mean``, ``max``, ``min``), it is a *piece*:
an expression over slots.  The contributions a reverse pass adds (``add``),
``ones``, ``sum_to`` (a gradient summed back to a broadcast operand's shape) and
``astype`` steps are pieces too.  Every piece is checked against the step it
replaces on the traced values before it is used.

Pieces whose largest value has the same number of elements are gathered into groups
in plan order.  A group is one loop nest of rows (``layout.py``): a piece joins if
every value it computes has a place in the group's row split (a bias broadcast
along the rows, a row statistic broadcast along the elements of its row, a sum
over the rows that nothing in the loop reads).  A group runs where its first step
was, so a step joins only if everything it reads was computed before that point or
inside the group; steps with effects (in-place writes, optimizer calls, ``.grad``
updates) end every open group; a group holds at most ``MAX_OPS`` operations, so
that a long chain becomes several loops that compile in reasonable time instead of
one huge one.  A group's outputs are the values read after it (by other steps,
other groups, or the function's result); dead-code elimination then drops what no
one reads any more (a forward value only a rule's argument list mentioned, for
instance).  Each group becomes one ``kernel`` step (``loop_kernel.py``): one Numba
loop nest (``codegen.py``), or with ``AUTODIFF_JIT=0`` the same expressions evaluated by
NumPy, ufunc by ufunc.
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..ops.shape import sum_to_array
from .layout import FULL, OUTER, SCALAR, ancestors, elements, infer, is_flat, splits
from .loop_kernel import OP_KINDS as _OP_KINDS
from .loop_kernel import FusedKernel, close, finish_kernel  # noqa: F401  (FusedKernel: re-exported)
from .optimize import eliminate_dead_code, output_refs
from .plan import Instr, Plan, Ref, in_c_order, is_broadcast
from .stash import plan_stashes
from .symbolic import Expr, Node, Sym, Unfusable, evaluate, run_symbolic

#: Operations per generated loop at most (a 10,000-op chain becomes ~20 loops).
#: Numba's compile time grows linearly with a loop's length (256 and 512 tanh/sin
#: ops: 5.3 and 10.6 s of CPU), so longer loops cost no more in total; a 200-op
#: chain's forward and backward (499 ops) then fit one loop.
MAX_OPS = 512

_CHECKED_KINDS = ("op", "rule")
_FUSABLE_KINDS = _CHECKED_KINDS + ("add", "sum_to", "astype", "ones")


class Piece:
    """One step written as an expression; ``out`` is the node of its result."""

    def __init__(self, instr, expr, out):
        self.instr = instr
        self.expr = expr
        self.out = out
        self.needed = needed = ancestors(expr, [out])
        # The loop's size: the largest value the step computes (a reduction's input).
        self.shape = max((expr.nodes[k].shape for k in needed), key=elements)
        self.size = elements(self.shape)
        self.flat = is_flat(expr, needed, self.size)
        self.n_ops = sum(expr.nodes[k].kind in _OP_KINDS for k in needed)
        # The slots the result depends on (a rule is given more than it uses).
        self.reads = tuple(slot for slot, k in expr.inputs.items() if k in needed)


    def renamed(self, instr, order, template=False):
        """This piece for another step that reads the slots ``order`` (in the order
        the memo key found them) where this one read its own."""
        if template:
            self.order = list(order)
            return self
        rename = dict(zip(self.order, order))
        expr = Expr()
        for node in self.expr.nodes:
            if node.kind == "input":
                expr.input(rename[node.value], node.shape, node.dtype)
            else:
                expr.add(node)          # nodes are not changed after they are made
        return Piece(instr, expr, self.out)


class Group:
    """Pieces fused into one loop nest; ``slot_node`` maps each slot they make to its
    node, ``pos`` gives every node's layout in the loop (``layout.py``)."""

    def __init__(self, start, size):
        self.start = start
        self.size = size
        self.split = None               # (OUTER, INNER) once a piece needs rows
        self.pieces: list[Piece] = []
        self.expr = Expr()
        self.slot_node: dict = {}
        self.pos: dict = {}             # node -> layout
        self.columns: set = set()       # nodes only complete after the loop
        self.n_ops = 0
        self.inputs: list = []          # slots read from outside, in order
        self.outputs: list = []         # slots made here and read later
        self.seeds: dict = {}           # slot -> True: a ``ones`` step's result, a constant
        self.seed_node: dict = {}

    def accepts(self, piece, produced_at):
        """The layout of ``piece`` in this group (None when it cannot join)."""
        if self.n_ops + piece.n_ops > MAX_OPS and self.pieces:
            return None
        if not all(s in self.slot_node or s in self.seeds
                   or produced_at.get(s, -1) < self.start for s in piece.reads):
            return None
        fixed = {}
        for s in piece.reads:
            k = self.slot_node.get(s, self.expr.inputs.get(s))
            if k is not None:
                fixed[s] = None if k in self.columns else self.pos[k]
        if piece.flat and all(p is not None for p in fixed.values()):
            split = self.split or (1, self.size)
            flat = infer(piece.expr, piece.needed, split, fixed)
            if flat is not None:
                return split, flat
        for split in ([self.split] if self.split else splits(piece.shape)):
            layout = infer(piece.expr, piece.needed, split, fixed)
            if layout is not None and _output_ok(layout, piece.out):
                return split, layout
        return None

    def add(self, piece, placed):
        split, layout = placed
        if not piece.flat:
            self.split = split
        mapped = []
        for k, node in enumerate(piece.expr.nodes):
            if k not in piece.needed:
                index = -1                  # e.g. an argument the step does not use
            elif node.kind == "input":
                index = self.slot_node.get(node.value, self.seed_node.get(node.value))
                if index is None and node.value in self.seeds:      # ones: a literal 1
                    index = self.seed_node[node.value] = self.expr.const(
                        node.dtype.type(1), node.dtype, node.shape)
                if index is None:
                    index = self.expr.input(node.value, node.shape, node.dtype).index
            else:
                index = self.expr.add(Node(node.kind, node.fn, tuple(mapped[a] for a in node.args),
                                           node.shape, node.dtype, node.value, node.loop))
            if index >= 0 and index not in self.pos:
                self.pos[index] = layout.pos[k]
                if k in layout.columns:
                    self.columns.add(index)
            mapped.append(index)
        self.slot_node[piece.instr.outs[0]] = mapped[piece.out]
        self.pieces.append(piece)
        self.n_ops += piece.n_ops

    def used_inputs(self, outputs) -> list:
        needed = ancestors(self.expr, [self.slot_node[s] for s in outputs])
        return [n.value for k, n in enumerate(self.expr.nodes)
                if n.kind == "input" and k in needed]


def _output_ok(layout, out) -> bool:
    """A step's result is a value the loop can store: a full array, a row value, a
    scalar, or a column reduction (a row-sized value that is not one is computed
    again on every row, and is left to NumPy)."""
    p = layout.pos[out]
    return p in (FULL, OUTER, SCALAR) or out in layout.columns


# ----- pieces --------------------------------------------------------------------------

def piece_of(instr, plan: Plan, values: dict, memo: dict | None = None,
             strict: bool = False) -> Piece | None:
    """``instr`` as an expression, or None when it is not a loop over elements (or
    its expression does not give the step's own result on the traced values).

    ``memo`` remembers the answer for steps that differ only in which slots they
    read (a long chain repeats a few steps thousands of times): the symbolic run
    cannot depend on values, so the same code on the same shapes, dtypes and
    constants gives the same expression, checked once.

    A step whose traced result was not in C order stays NumPy's, and so does one that
    reduces a value that was not (a loop writes and sums in C order).  ``strict``
    (some traced value was not in C order) also keeps broadcast results out of loops:
    a loop writes them out in C order, which would change the order of a NumPy
    step's result that reads them.
    """
    if instr.kind not in _FUSABLE_KINDS or len(instr.outs) != 1 or instr.effect:
        return None
    slot = plan.slots[instr.outs[0]]
    if slot.dtype is None or not _slot_in_c_order(plan, values, instr.outs[0], strict):
        return None
    if _eager_ran_rows_kernel(instr, plan, values):
        return None
    piece = _piece(instr, plan, values, memo)
    if piece is None or not _reductions_follow_c_order(piece, plan, values):
        return None
    return piece


#: Steps that eager execution runs with a Numba kernel of ``kernels`` on large enough
#: C-ordered arrays: the kernel sums a row in its own (vectorized) order, which a
#: loop (NumPy's pairwise order) does not reproduce, so such a step stays the kernel's.
_ROWS_KERNEL_STEPS = {("op", "softmax"): 1, ("op", "log_softmax"): 1,
                      ("rule", "softmax.x"): 2, ("rule", "log_softmax.x"): 2}


def _eager_ran_rows_kernel(instr, plan, values) -> bool:
    arrays = _ROWS_KERNEL_STEPS.get((instr.kind, instr.label))
    if arrays is None:
        return False
    refs = [a for a in instr.args if a.__class__ is Ref][:arrays]
    traced = [_traced_layout(plan, values, r.index) for r in refs]
    return kernels.rows_kernel_applies(*traced[:1], instr.kwargs.get("axis", -1), *traced[1:])


def _traced_layout(plan, values, slot):
    """The traced array of ``slot``, or one of its shape, dtype and layout."""
    value = values.get(slot)
    if value is not None:
        return value
    info = plan.slots[slot]
    if info.c_order and not info.broadcast:
        return np.empty(info.shape, info.dtype)
    return np.broadcast_to(np.empty((), info.dtype), info.shape)


def _piece(instr, plan, values, memo):
    """``piece_of`` without the memory-order checks (what the memo may hold)."""
    slot = plan.slots[instr.outs[0]]
    key, order = _memo_key(instr, plan) if memo is not None else (None, None)
    if key is not None and key in memo:
        known = memo[key]
        return None if known is None else known.renamed(instr, order)
    expr = Expr()
    try:
        result = _symbolic_result(instr, plan, expr)
        node = expr.nodes[result.index]
        if tuple(node.shape) != tuple(slot.shape) or node.dtype != np.dtype(slot.dtype):
            raise Unfusable("not the traced shape and dtype")
        piece = Piece(instr, expr, result.index)
        if instr.kind in _CHECKED_KINDS and not _agrees(instr, piece, values):
            raise Unfusable("not the traced values")
    except Unfusable:
        piece = None
    if key is not None:
        memo[key] = None if piece is None else piece.renamed(instr, order, template=True)
    return piece


def _slot_in_c_order(plan, values, slot, strict=False) -> bool:
    """The traced value of ``slot`` was in C order (``plan.in_c_order``; a value the
    trace did not keep, a rule's before ``sum_to``, has it noted in its slot); with
    ``strict``, a broadcast value does not count as C order."""
    value = values.get(slot)
    if value is None:
        return plan.slots[slot].c_order and not (strict and plan.slots[slot].broadcast)
    return in_c_order(value) and not (strict and is_broadcast(value))


def _reductions_follow_c_order(piece, plan, values) -> bool:
    """A piece that reduces reads only values in C order."""
    nodes = piece.expr.nodes
    if not any(nodes[k].kind == "reduce" for k in piece.needed):
        return True
    return all(_slot_in_c_order(plan, values, s) for s in piece.reads)


def _memo_key(instr, plan):
    """What the symbolic run of ``instr`` depends on, and the slots it reads in order
    (None when an argument is not a plain value)."""
    order: list = []
    parts: list = []
    stack = [instr.args, tuple(sorted(instr.kwargs.items()))]
    slots = plan.slots
    while stack:
        value = stack.pop()
        if value.__class__ is Ref:
            k = value.index
            first = order.index(k) if k in order else len(order)
            if first == len(order):
                order.append(k)
            parts.append(("R", slots[k].shape, str(slots[k].dtype), first))
        elif isinstance(value, (tuple, list)):
            parts.append(("(", len(value)))
            stack.extend(value)
        elif value is None or isinstance(value, (bool, int, float, str, np.generic, np.dtype)):
            parts.append((type(value).__name__, value))
        elif isinstance(value, type) or callable(value) or value.__class__.__name__ == \
                "SimpleNamespace":
            parts.append(("id", id(value)))
        else:
            return None, None
    shape = slots[instr.outs[0]]
    try:
        key = (instr.kind, instr.fn, tuple(parts), shape.shape, str(shape.dtype))
        hash(key)
    except TypeError:
        return None, None
    return key, order


def _symbolic_result(instr, plan, expr) -> Sym:
    kind = instr.kind
    slots = plan.slots
    if kind in _CHECKED_KINDS:
        return run_symbolic(instr.fn, instr.args, instr.kwargs, slots, expr)
    if kind == "add":
        return run_symbolic(np.add, instr.args, {}, slots, expr)
    if kind == "ones":
        shape, dtype = instr.args
        dtype = np.dtype(dtype)
        return Sym(expr, expr.const(dtype.type(1), dtype, tuple(shape)))
    source, what = instr.args
    if kind == "sum_to":
        return run_symbolic(sum_to_array, (source, tuple(what)), {}, slots, expr)
    if np.dtype(what).kind != "f":
        raise Unfusable("astype to a dtype that is not float")
    return run_symbolic(lambda g: g.astype(what), (source,), {}, slots, expr)


def _resolve(value, values):
    if value.__class__ is Ref:
        return values[value.index]
    if isinstance(value, (tuple, list)):
        return type(value)(_resolve(v, values) for v in value)
    return value


def _agrees(instr, piece, values) -> bool:
    """The expression and the step give the same result on the traced values (to a
    few ulp: the eager step may have run a compiled kernel)."""
    try:
        args = _resolve(instr.args, values)
        kwargs = {k: _resolve(v, values) for k, v in instr.kwargs.items()}
    except KeyError:                    # an input whose value was not kept
        return False
    with np.errstate(all="ignore"):
        expected = instr.fn(*args, **kwargs)
        got = evaluate(piece.expr, values)[piece.out]
    return close(got, expected, ulps=16)


# ----- groups --------------------------------------------------------------------------

def fuse_elementwise(plan: Plan, values: dict) -> Plan:
    """Replace groups of elementwise steps by ``kernel`` steps (see the module doc).

    ``values`` maps slots to the arrays the trace computed (to check each piece).
    """
    groups, member_of = _group(plan, values)
    if not groups:
        return plan
    readers = set(output_refs(plan.output))
    for instr in plan.instrs:
        if id(instr) not in member_of:
            readers.update(instr.reads())
    for group in groups:
        readers.update(s for p in group.pieces for s in p.reads)
    instrs = []
    kernels = []
    for instr in plan.instrs:
        group = member_of.get(id(instr))
        if group is None:
            instrs.append(instr)
        elif instr is group.pieces[0].instr:
            outs = [s for s in group.slot_node if s in readers]
            kernel = Instr("kernel", "", None, (), {}, tuple(outs), extra={"group": group})
            _set_outputs(kernel, outs)
            kernels.append(kernel)
            instrs.append(kernel)
    plan.instrs = instrs
    while True:                         # drop outputs and kernels nobody reads
        eliminate_dead_code(plan)
        changed = False
        for kernel in kernels:
            live = [s for s in kernel.outs if s in plan.live]
            if len(live) != len(kernel.outs):
                _set_outputs(kernel, live)
                changed = True
        if not changed:
            break
    alive = {id(k) for k in plan.instrs}
    kernels = [k for k in kernels if id(k) in alive]
    plan_stashes(plan, kernels)
    for number, kernel in enumerate(kernels):
        finish_kernel(kernel, number, plan, values)
    return plan


#: ``ones`` steps (a backward's seed) of fewer elements than this are written into the
#: loops that read them as the constant 1.
SEED_ELEMENTS = 1024


def _plain(group) -> bool:
    """No rows, and no reduction that a value in the loop reads (a loss's sum at the
    end is one nothing reads)."""
    if group.split and group.split[0] > 1:
        return False
    nodes = group.expr.nodes
    return not any(nodes[a].kind == "reduce" for node in nodes for a in node.args)


def _group(plan, values):
    produced_at: dict = {}
    open_groups: dict = {}              # size -> the group still accepting pieces
    groups: list[Group] = []
    memo: dict = {}
    strict = not all(_slot_in_c_order(plan, values, s.index) for s in plan.slots)
    seeds = {i.outs[0]: True for i in plan.instrs if i.kind == "ones" and not i.effect
             and int(np.prod(plan.slots[i.outs[0]].shape)) < SEED_ELEMENTS}
    for position, instr in enumerate(plan.instrs):
        piece = piece_of(instr, plan, values, memo, strict)
        if piece is None:
            if instr.effect and instr.kind != "clear_grad":
                open_groups.clear()
        else:
            group = open_groups.get(piece.size)
            if group is not None and any(s in seeds for s in piece.reads) and (
                    len(group.pieces) < 2 or not _plain(group)):
                # A reverse pass starts.  It joins the forward's loop only when that is
                # elementwise: a lone step (a loss's sum) would bind it to its layout
                # for little gain, and in a loop with row reductions every pass over
                # a row computes its values again (a softmax's exp): one loop for a
                # (1, 4096) softmax with its reverse pass runs 22% more instructions.
                group = None
            placed = group.accepts(piece, produced_at) if group is not None else None
            if placed is None:
                group = open_groups[piece.size] = Group(position, piece.size)
                group.seeds = seeds
                groups.append(group)
                placed = group.accepts(piece, produced_at)
            if placed is not None:
                group.add(piece, placed)
        for slot in instr.outs:
            produced_at[slot] = position
    # One step alone is worth a loop only if it reduces (a softmax, a mean): a plain
    # ufunc chain of one step is what NumPy runs anyway.
    groups = [g for g in groups if g.n_ops >= 2 and (len(g.pieces) >= 2 or g.split)]
    member_of = {id(p.instr): g for g in groups for p in g.pieces}
    return groups, member_of


def _set_outputs(kernel, outs):
    group = kernel.extra["group"]
    group.outputs = list(outs)
    group.inputs = group.used_inputs(outs)
    kernel.outs = tuple(outs)
    kernel.args = tuple(Ref(s) for s in group.inputs)
