"""A weight's SGD update folded into the matrix product that makes its gradient.

In a step written the way eager training loops are,

    loss.backward(); opt.step(); opt.zero_grad()

a weight ``w`` used in ``x @ w`` gets the gradient ``x.T @ d``; plain SGD then
reads it and ``w`` again to compute ``w - lr * g``, and ``zero_grad`` drops it.  The
gradient is written once and read once, and nothing else sees it.  BLAS's ``gemm``
adds a product into an existing array, so the replay computes
``w += (-lr) * (x.T @ d)`` in that one call instead (``autodiff/kernels/blas.py``):
no gradient array, and no second pass over ``w`` after the product has pushed it
out of the caches.

The pass applies to a weight when the plan shows that nothing can tell the
difference:

* it has at least ``MIN_ELEMENTS`` elements, and its gradient is one 2-D matmul
  gradient (``x.T @ d`` or ``d @ w2.T``) going straight into the leaf's ``.grad``
  (no other contribution, no hook, no cast);
* no step between that product and ``opt.step()`` reads the weight's array or a
  view of it, calls a method, or writes in place;
* ``opt`` is an ``optim.SGD`` whose step the plan runs fused (``fused_optim.py``),
  and the very next step is ``opt.zero_grad()`` with ``set_to_none=True``, so the
  gradient is never seen after the update either.

Each replay checks what can change between calls before it takes this path: the
weight has no gradient yet, its group's ``momentum`` and ``maximize`` are off,
``lr`` and ``weight_decay`` are Python numbers (``lr`` >= 0), the arrays fit
``gemm`` and no other trace is watching.  Weight decay, ``w - lr * (g + wd * w)``,
is ``gemm``'s other factor: ``w = (1 - lr * wd) * w - lr * (x.T @ d)``.  Otherwise
the gradient is computed and the update done as the plan would without this pass.

The result is the update a fused kernel would give, not the bits of ``opt.step()``:
``gemm`` rounds ``beta * w + alpha * (a @ b)`` in its own order, within a few ulp of
``w - lr * g`` per step (2.5 measured here; ``tests/test_compile_gemm_update.py``).
``ad.compile(fuse=False)`` leaves every update to the optimizer.

The update happens where the product is, before the steps that follow it in the
reverse pass: should one of those raise (a replay re-raises what a step raises),
the weights updated so far stay updated, where an eager step that fails in
``backward()`` has updated nothing yet.
"""

from __future__ import annotations

import numpy as np

from ..guard import note_unguarded_write, unguarded_reads
from ..kernels import blas
from ..optim.optimizer import Optimizer
from ..optim.sgd import SGD
from . import hooks
from .buffers import _matmul_grad_a_into, _matmul_grad_b_into
from .fused_optim import FusedStep
from .optimize import output_refs
from .plan import Plan, Ref

#: Smaller weights keep the product and the fused update: one ``gemm`` call through
#: ctypes costs about 5 µs more than ``np.matmul``, and below about 8,000 elements
#: (128 rows, hot caches, float32 and float64) the pass it saves costs less.
MIN_ELEMENTS = 8192

_ZERO_GRAD = getattr(Optimizer.zero_grad, "__wrapped__", Optimizer.zero_grad)

#: Kinds of steps that may run between the product and ``opt.step()``: they compute
#: values and store gradients, nothing else.
_PURE_KINDS = {"op", "rule", "joint", "pick", "add", "sum_to", "astype", "ones",
               "leaf_grad", "kernel"}


def fold_updates_into_products(plan: Plan) -> Plan:
    """Make each weight's gradient product that qualifies (see the module) add
    ``-lr`` times itself into the weight; the step's label says ``(into the weight)``.

    >>> w = ad.nn.Parameter(np.ones((128, 128)))
    >>> opt = ad.optim.SGD([w], lr=0.5)
    >>> @ad.compile
    ... def step(x):
    ...     (x @ w).sum().backward(); opt.step(); opt.zero_grad()
    >>> for _ in range(2):
    ...     step(np.ones((4, 128)))
    >>> float(w.data[0, 0]), w.grad         # two steps of 0.5 * 4
    (-3.0, None)
    >>> folded = [i.label for i in step.plan.instrs if i.label.endswith("(into the weight)")]
    >>> folded == (["matmul.b (into the weight)"] if fold_applies() else [])
    True
    """
    if not fold_applies():
        return plan
    instrs = plan.instrs
    readers: dict = {}
    for k, instr in enumerate(instrs):
        for s in instr.reads():
            readers.setdefault(s, []).append(k)
    returned = set(output_refs(plan.output))
    leaf_grads: dict = {}
    for instr in instrs:
        if instr.kind == "leaf_grad":
            leaf = instr.extra["leaf"]
            leaf_grads[id(leaf[1])] = leaf_grads.get(id(leaf[1]), 0) + 1
    for k, step in enumerate(instrs):
        if not _is_fused_sgd_step(step) or not _next_is_zero_grad(instrs, k, step.args[0]):
            continue
        opt = step.args[0]
        positions = {id(p): n for n, p in enumerate(opt.params)}
        start = k
        while start > 0 and _pure(instrs[start - 1]):
            start -= 1
        for j in range(start, k):
            grad_step = instrs[j]
            if grad_step.kind != "leaf_grad" or grad_step.extra["leaf"][0] != "captured":
                continue
            weight = grad_step.extra["leaf"][1]
            if (id(weight) not in positions or leaf_grads[id(weight)] != 1
                    or weight.data.size < MIN_ELEMENTS):
                continue
            product = _product_feeding(instrs, readers, returned, grad_step, start)
            if product is None:
                continue
            if _reads_weight_after(plan, instrs, weight, product, k):
                continue
            fold = FoldedUpdate(product.fn, weight, opt, positions[id(weight)], step.fn)
            product.fn = fold
            product.label += " (into the weight)"
            grad_step.extra["array"] = True     # a gradient or None: no ASARRAY
    return plan


def fold_applies() -> bool:
    """Whether this process folds updates at all: BLAS found, Numba kernels on (the
    fused optimizer step it works with; ``AUTODIFF_JIT=0`` replays the optimizer)."""
    from .. import kernels
    return blas.AVAILABLE and kernels.JIT_ENABLED


def _pure(instr) -> bool:
    """A step that computes values or stores a gradient (the effect of ``leaf_grad``)
    and does nothing else."""
    return instr.kind in _PURE_KINDS and (not instr.effect or instr.kind == "leaf_grad")


def _is_fused_sgd_step(instr) -> bool:
    return (instr.kind == "call" and isinstance(instr.fn, FusedStep)
            and type(instr.args[0]) is SGD)


def _next_is_zero_grad(instrs, k, opt) -> bool:
    """Whether step ``k + 1`` is ``opt.zero_grad()`` with ``set_to_none`` true."""
    if k + 1 >= len(instrs):
        return False
    following = instrs[k + 1]
    if following.kind != "call" or following.fn is not _ZERO_GRAD \
            or following.args[0] is not opt:
        return False
    given = list(following.args[1:]) + list(following.kwargs.values())
    return all(value is True for value in given)


def _product_feeding(instrs, readers, returned, grad_step, start):
    """The 2-D matmul gradient step whose result ``grad_step`` stores and nothing
    else reads, at or after ``start``; None if there is none."""
    source = grad_step.args[0]
    if source.__class__ is not Ref or grad_step.outs[0] in returned \
            or readers.get(grad_step.outs[0]) or grad_step.extra.get("copy"):
        return None
    slot = source.index
    if slot in returned or len(readers.get(slot, ())) != 1:
        return None
    for j in range(start, len(instrs)):
        instr = instrs[j]
        if slot in instr.outs:
            if instr.kind == "rule" and "into" not in instr.extra \
                    and instr.fn in (_matmul_grad_a_into, _matmul_grad_b_into) \
                    and len(instr.outs) == 1:
                return instr
            return None
    return None


def _reads_weight_after(plan, instrs, weight, product, end) -> bool:
    """Whether a step after ``product`` and before step ``end`` reads the weight's
    array or a value that may be a view of it."""
    captured = {slot for tensor, slot in plan.captured if tensor is weight}
    may_view = set(captured)
    after = False
    for instr in instrs[:end]:
        reads = instr.reads()
        if after and may_view.intersection(reads):
            return True
        if instr is product:
            after = True
        if may_view.intersection(reads) and not _makes_new_array(instr):
            may_view.update(instr.outs)
    return False


def _makes_new_array(instr) -> bool:
    """Steps whose result is a new array, never a view of what they read."""
    if "into" in instr.extra or instr.kind == "add":
        return True
    if instr.kind == "rule":
        return instr.fn in (_matmul_grad_a_into, _matmul_grad_b_into)
    return instr.kind == "op" and isinstance(instr.fn, np.ufunc) and not instr.kwargs


class FoldedUpdate:
    """A weight's gradient product that, when the replay allows, adds ``-lr`` times
    itself into the weight and returns None; otherwise it returns the gradient."""

    def __init__(self, product, weight, opt, position, fused_step):
        self.product = product          # _matmul_grad_a_into or _matmul_grad_b_into
        self.weight = weight
        self.opt = opt
        self.position = position
        self.fused_step = fused_step
        self.folded = 0                 # replays that took the path (for tests)
        self._group, self._index = None, 0      # where the weight was found last

    def __call__(self, g, other, out):
        left, right = (g, other.T) if self.product is _matmul_grad_a_into else (other.T, g)
        weight = self.weight
        data = weight.data
        factors = self._factors()
        if (factors is None or weight._grad is not None or hooks.active is not None
                or not blas.fits(data, left, right)):
            return self.product(g, other, out)
        lr, weight_decay = factors
        blas.add_product(data, left, right, -lr, 1.0 - lr * weight_decay)
        if unguarded_reads:             # a transform's results still read some (guard.py)
            note_unguarded_write(data)
        self.fused_step.folded.add(self.position)
        self.folded += 1
        return None

    def _factors(self):
        """The weight's ``(lr, weight_decay)`` when its group is SGD without momentum,
        not maximizing, with Python numbers for both (``lr`` >= 0); else None."""
        group = self._group
        if group is None or not _holds(group["params"], self._index, self.weight):
            self._group, self._index = _group_of(self.opt, self.weight)
            group = self._group
            if group is None:
                return None
        lr, weight_decay = group["lr"], group["weight_decay"]
        if (type(lr) is not float and type(lr) is not int) or not lr >= 0:
            return None
        if type(weight_decay) is not float and type(weight_decay) is not int:
            return None
        if group["momentum"] or group["maximize"]:
            return None
        return lr, weight_decay


def _holds(params, index, weight) -> bool:
    return index < len(params) and params[index] is weight


def _group_of(opt, weight):
    """``(group, index in its params)`` of ``weight`` in ``opt``; ``(None, 0)``."""
    for group in opt.param_groups:
        for index, p in enumerate(group["params"]):
            if p is weight:
                return group, index
    return None, 0
