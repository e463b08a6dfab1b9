"""Making a fused loop: the ``kernel`` step of a group of elementwise steps (``fuse.py``)
becomes a generated Numba loop nest (``codegen.py``) checked against NumPy, or with
``AUTODIFF_JIT=0`` (or a loop that could not be compiled) the same expressions run by
NumPy, ufunc by ufunc.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import kernels as _kernels
from .codegen import kernel_source, load
from .layout import ancestors
from .loop_parts import parted_run_into
from .stash import calling, sample_arguments, value_outputs
from .symbolic import Expr, Node, evaluate


def operations_text(count: int) -> str:
    """``2 arithmetic operations``: what a fused kernel computes per element."""
    return f"{count} arithmetic operation{'' if count == 1 else 's'}"


#: Expression nodes that count as operations (a loop's ``n_ops``).
OP_KINDS = ("ufunc", "where", "cast", "reduce")


def close(got, expected, ulps, magnitude=None) -> bool:
    """Same shape and dtype, and equal within ``ulps`` units of the larger magnitude
    (NaN where the other is NaN).  ``magnitude`` (from ``magnitudes``) is the larger
    magnitude where the expected value is smaller than what it was computed from."""
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape or got.dtype != expected.dtype:
        return False
    if got.dtype.kind != "f" or np.array_equal(got, expected):
        return bool(np.array_equal(got, expected))
    with np.errstate(all="ignore"):
        finite = np.isfinite(expected)
        if not np.array_equal(finite, np.isfinite(got)):
            return False
        if not np.array_equal(got[~finite], expected[~finite], equal_nan=True):
            return False
        g, e = got[finite], expected[finite]
        if not g.size:
            return True
        # Relative to each element, or to the largest (a difference of nearly equal
        # numbers, 1 - t*t say, keeps the absolute error of its operands; eager's own
        # compiled kernels may round it differently, with an FMA).
        scale = np.maximum(np.abs(e), np.abs(g))
        if magnitude is not None:
            largest = np.finfo(e.dtype).max
            m = np.broadcast_to(np.asarray(magnitude, np.float64), expected.shape)[finite]
            scale = np.maximum(scale, np.minimum(m, largest).astype(e.dtype))
        allowed = ulps * (np.spacing(scale) + np.spacing(np.max(scale)))
        return bool(np.all(np.abs(g - e) <= allowed))


#: How far an operand is moved to measure how much an operation amplifies its error.
_NUDGE = 2.0 ** -20


def magnitudes(expr, values) -> dict:
    """For each node, the magnitude its rounding errors are relative to: its absolute
    value, or more where it comes from larger values that cancel.  A sum of terms of
    both signs (the gradient of a shift-invariant softmax summed over a row) is
    accurate to a few ulp of the sum of the terms' magnitudes, however small the sum
    itself; what is computed from it inherits that absolute error, amplified by the
    operation (measured by moving the operand by a fraction of it).  Without such
    sums every node's magnitude is its absolute value."""
    computed = evaluate(expr, values)
    mag: dict = {}
    for k, node in enumerate(expr.nodes):
        with np.errstate(all="ignore"):
            value = np.abs(np.asarray(computed[k], np.float64))
            mag[k] = np.fmax(value, _magnitude(node, computed, mag, value))
    return mag


def _magnitude(node, computed, mag, value):
    kind, fn, args = node.kind, node.fn, node.args
    if kind in ("input", "const") or node.dtype == np.bool_:
        return value
    if kind == "reduce":
        axes, keepdims = node.value
        reduce = np.add if fn is np.add else np.maximum     # max and min pick a term
        return reduce.reduce(mag[args[0]], axis=axes, keepdims=keepdims)
    if kind == "view":
        return fn(mag[args[0]], node.shape)
    if kind == "cast":
        return mag[args[0]]
    if kind == "where":
        return np.where(computed[args[0]], mag[args[1]], mag[args[2]])
    if fn in (np.add, np.subtract):
        return mag[args[0]] + mag[args[1]]
    operands = [np.asarray(computed[a]) for a in args]
    operands = [o.astype(np.float64) if o.dtype.kind == "f" else o for o in operands]
    base = fn(*operands)
    total = value
    for j, operand in enumerate(operands):
        if operand.dtype.kind != "f":
            continue
        excess = mag[args[j]] - np.abs(operand)
        if np.any(excess > 0):
            moved = operands[:j] + [operand + _NUDGE * excess] + operands[j + 1:]
            total = total + np.abs(fn(*moved) - base) / _NUDGE
    return total


# ----- making the loop ---------------------------------------------------------------

class FusedKernel:
    """What a ``kernel`` step runs, and what it was made from (for printing and drawing).

    ``mode`` is ``"numba"`` or ``"numpy"`` (``AUTODIFF_JIT=0``, or a loop that could
    not be compiled); ``source`` is the generated Numba module; ``dispatcher`` its
    compiled function (``dispatcher.stats.cache_hits`` tells whether the machine code
    came from the disk cache).
    """

    def __init__(self, number, group, expr, outputs):
        self.number = number
        needed = ancestors(group.expr, [group.slot_node[s] for s in group.outputs])
        self.members = [(p.instr.kind, p.instr.label, p.instr.outs[0], p.reads)
                        for p in group.pieces if group.slot_node[p.instr.outs[0]] in needed]
        self.size = group.size
        self.n_ops = sum(n.kind in OP_KINDS for n in expr.nodes)
        self.expr = expr
        self.outputs = outputs          # node indices, in the order of the step's outs
        self.distinct = list(dict.fromkeys(outputs))    # one array each
        self.inputs = list(group.inputs)
        # stash.py: where each input comes from among the step's arguments, ((position,
        # row or None) per input); the distinct outputs stored as rows of a stash.
        self.sources = [(j, None) for j in range(len(self.inputs))]
        self.n_args = len(self.inputs)
        self.stash_rows: dict = {}      # distinct index -> row of the stash
        self.stash_shape = None
        self.stash_in: tuple = ()       # [(Stash, slots read)] per stash argument
        self.own = list(range(len(self.distinct)))  # the others: run_into's arrays
        self.n_plain = len(outputs)     # outputs returned one by one (then the stash)
        self.mode = "numpy"
        self.source = ""
        self.dispatcher = None
        self.run = None
        self.run_into = None            # (inputs..., an array or None per output)

    def may_alias(self) -> set:
        """The distinct outputs (numbered as ``run_into`` takes them) that may be a
        view of an input: none for a compiled loop, which stores every output; with
        NumPy, those that are an input reshaped or cast to its own dtype."""
        if self.mode == "numba":
            return set()
        return {j for j, d in enumerate(self.own)
                if self.expr.nodes[self.distinct[d]].kind in ("input", "view", "cast")}

    def out_arrays(self) -> list:
        """For each slot of the step: the number of its array as ``run_into`` takes
        them (a stash: one past the last, it is never given one)."""
        numbers = [self.own.index(self.distinct.index(k)) for k in self.outputs[:self.n_plain]]
        return numbers + ([len(self.own)] if self.stash_rows else [])

    def ops(self) -> str:
        """The fused steps, counted by name: ``3 multiply, 2 rule tanh.x, ...``."""
        counts: dict = {}
        for kind, label, _, _ in self.members:
            name = label if kind == "op" else f"{kind} {label}".strip()
            counts[name] = counts.get(name, 0) + 1
        return ", ".join(f"{n} {name}" if n > 1 else name for name, n in counts.items())


def _compact(group, outs):
    """The group's expression reduced to what ``outs`` need (nodes renumbered)."""
    needed = sorted(ancestors(group.expr, [group.slot_node[s] for s in outs]))
    renumber = {}
    expr = Expr()
    pos = []
    for k in needed:
        node = group.expr.nodes[k]
        if node.kind == "input":
            renumber[k] = expr.input(node.value, node.shape, node.dtype).index
        else:
            renumber[k] = expr.add(Node(node.kind, node.fn, tuple(renumber[a] for a in node.args),
                                        node.shape, node.dtype, node.value, node.loop))
        pos.append(group.pos[k])
    return expr, [renumber[group.slot_node[s]] for s in outs], pos


def finish_kernel(kernel, number, plan, values):
    """Make the loop of ``kernel`` (a step ``fuse_elementwise`` made) and its runners."""
    group = kernel.extra.pop("group")
    expr, outputs, pos = _compact(group, value_outputs(kernel))
    fused = FusedKernel(number, group, expr, outputs)
    fused.sources, fused.n_args = calling(kernel, fused.inputs)
    stash = kernel.extra.get("stash_out")
    if stash is not None:
        fused.n_plain = len(outputs) - len(stash.slots)
        fused.stash_rows = {fused.distinct.index(k): r
                            for r, k in enumerate(outputs[fused.n_plain:])}
        fused.own = [d for d in range(len(fused.distinct)) if d not in fused.stash_rows]
        fused.stash_shape = plan.slots[stash.slot].shape
    fused.stash_in = kernel.extra.get("stash_in", ())
    fused.split = group.split or (1, group.size)
    fused.pos = pos
    fused.run_into = _numpy_run_into(fused)
    fused.run = _without_buffers(fused.run_into, len(fused.own))
    if _kernels.JIT_ENABLED:
        _compile(fused, plan, values)
    kernel.fn = fused.run
    rows = f" in {fused.split[0]} rows" if fused.split[0] > 1 else ""
    # (counted in arithmetic operations: a mean is two, a sum and a division; the
    # recorded ops listed after the colon may be fewer, or more where one is a copy)
    kernel.label = f"k{number} ({operations_text(fused.n_ops)} on {group.size} elements{rows}, " \
                   f"{fused.mode}): {fused.ops()}"
    kernel.extra["kernel"] = fused


def _numpy_run_into(fused, compute=evaluate):
    """``run_into(*arguments, *arrays)``: the expression evaluated with NumPy, ufunc
    by ufunc, each distinct output copied into the array given for it (None: a new
    one) or into its row of a new stash (``stash.py``).  ``compute`` gives the nodes'
    values (``magnitudes``: the scale of their rounding errors instead)."""
    expr, outputs, inputs, distinct = fused.expr, fused.outputs, fused.inputs, fused.distinct
    sources, n_args, n_plain = fused.sources, fused.n_args, fused.n_plain
    own = [distinct[d] for d in fused.own]
    rows = [(distinct[d], r) for d, r in fused.stash_rows.items()]
    shapes = {s: expr.nodes[expr.inputs[s]].shape for s in inputs}
    stash_shape = fused.stash_shape
    stash_dtype = rows and expr.nodes[rows[0][0]].dtype

    def run_into(*args):
        given = {}
        for s, (p, r) in zip(inputs, sources):
            given[s] = args[p] if r is None else args[p][r].reshape(shapes[s])
        computed = compute(expr, given)
        results = {}
        for k, into in zip(own, args[n_args:]):
            value = np.asarray(computed[k])
            if into is not None:
                np.copyto(into, value)
                value = into
            results[k] = value
        plain = tuple(results[k] for k in outputs[:n_plain])
        if not rows:
            return plain
        # (the stash's dtype, unless ``compute`` gives another: magnitudes, floats even
        # for a mask's rows)
        dtype = np.result_type(stash_dtype, *[np.asarray(computed[k]).dtype for k, _ in rows])
        stash = np.empty(stash_shape, dtype)
        for k, r in rows:
            np.copyto(stash[r].reshape(expr.nodes[k].shape), computed[k])
        return plain + (stash,)
    return run_into


def _compiled_run_into(module, fused):
    """``run_into`` (as ``_numpy_run_into``) over the generated module, which takes
    every output array and the loop's sizes: its source does not depend on them, so
    a new batch size finds the kernel already compiled."""
    nodes = fused.expr.nodes
    made = [(nodes[fused.distinct[d]].shape, nodes[fused.distinct[d]].dtype) for d in fused.own]
    outer, inner = fused.split
    n_in = fused.n_args
    kernel_run = module.run
    if fused.stash_rows:
        stash_shape = fused.stash_shape
        stash_dtype = nodes[fused.distinct[next(iter(fused.stash_rows))]].dtype

        def run_into(*args):
            arrays = [np.empty(shape, dtype) if into is None else into
                      for into, (shape, dtype) in zip(args[n_in:], made)]
            return kernel_run(*args[:n_in], *arrays, np.empty(stash_shape, stash_dtype),
                              outer, inner)
        return run_into

    def run_into(*args):
        arrays = [np.empty(shape, dtype) if into is None else into
                  for into, (shape, dtype) in zip(args[n_in:], made)]
        return kernel_run(*args[:n_in], *arrays, outer, inner)
    if fused.stash_in:
        return run_into
    return parted_run_into(module, fused, made, run_into) or run_into


def _without_buffers(run_into, n_arrays):
    """``run(*inputs)``: ``run_into`` with a new array for every output."""
    fresh = (None,) * n_arrays

    def run(*inputs):
        return run_into(*inputs, *fresh)
    return run


def _sample(plan, slot, values, rng):
    value = values.get(slot)
    if value is not None:
        return value
    info = plan.slots[slot]
    if np.dtype(info.dtype).kind == "b":
        return rng.random(info.shape) < 0.5
    return rng.uniform(0.5, 1.5, info.shape).astype(info.dtype)


def _quiet_numba():
    # Numba's pedantic notes about the inlined exp (NumbaIRAssumptionWarning) and its
    # performance hints say nothing about the results.
    from numba.core.errors import NumbaWarning
    warnings.simplefilter("ignore", NumbaWarning)


_F32_IN_F64 = int(np.finfo(np.float32).eps / np.finfo(np.float64).eps)     # 2 ** 29


def _compile(fused, plan, values):
    """Generate, load and compile the Numba loop; check it against NumPy on the traced
    values (or made-up ones); keep the NumPy runner if anything goes wrong."""
    source = kernel_source(fused.expr, fused.outputs, fused.inputs, fused.split, fused.pos,
                           fused.sources, fused.n_args, fused.stash_rows)
    rng = np.random.default_rng(0)
    arrays = sample_arguments(fused, lambda s: _sample(plan, s, values, rng), rng)
    try:
        module = load(source)
        run_into = _compiled_run_into(module, fused)
        run = _without_buffers(run_into, len(fused.own))
        with np.errstate(all="ignore"), warnings.catch_warnings():
            _quiet_numba()
            got = run(*arrays)
            expected = fused.run(*arrays)
    except Exception as error:          # Numba missing, a typing error, no cache dir
        warnings.warn(f"compile: fused kernel k{fused.number} ({fused.ops()}) could not be "
                      f"compiled ({type(error).__name__}: {error}); it runs with NumPy",
                      RuntimeWarning, stacklevel=4)
        return
    with np.errstate(all="ignore"):
        scales = _without_buffers(_numpy_run_into(fused, magnitudes), len(fused.own))(*arrays)
    ulps = 1024 if fused.n_ops > 1 else 64      # a sanity check, not the accuracy test
    # A float32 value inside a float64 result carries float32 rounding (the loop's
    # sigmoid of a float32 x, times a float64 w): count ulps of float32 there.
    coarse = _F32_IN_F64 if any(n.dtype == np.float32 for n in fused.expr.nodes) else 1
    bad = [k for k, (a, b, m) in enumerate(zip(got, expected, scales))
           if not close(a, b, ulps * (coarse if np.asarray(b).dtype == np.float64 else 1), m)]
    if bad:
        warnings.warn(f"compile: fused kernel k{fused.number} ({fused.ops()}) disagrees with "
                      "NumPy on the traced values; it runs with NumPy instead",
                      RuntimeWarning, stacklevel=4)
        return
    fused.source = source
    fused.dispatcher = module.kernel
    fused.run, fused.run_into = run, run_into
    fused.mode = "numba"
