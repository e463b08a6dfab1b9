"""A classifier's loss head, from the bias add to the bias gradient, as one step.

The last layer of a classifier and its loss, ``F.cross_entropy(h @ w + b, y)``
followed by ``loss.backward()``, record seven small steps after the product: the
bias add, the loss (which computes the logits' gradient in the same pass), the seed
of the reverse pass, cross-entropy's backward and the pick of its gradient, the
add's rules for its two inputs, and the bias gradient's sum over the rows.  On a
(128, 10) head each is a few microseconds of arithmetic and several of Python, and
in a training step the large matrix products around them have pushed that Python
out of the caches (``bench/RESULTS.md``).  This pass replaces them by one call,
``kernels.cross_entropy_head``: one Numba loop over the rows under the kernels, the
same three NumPy calls under ``AUTODIFF_JIT=0``.  Its results are the replaced
steps' bit for bit (the kernel's arithmetic is theirs, value for value).

The pass applies when the plan shows that nothing else can tell the difference:
the logits, cross-entropy's saved gradient, the seed and the gradients in between
are read by these steps only; the bias is a vector as long as a row and of the same
float dtype; the reverse pass starts at the loss with a seed of ones; and no step
between the bias add and the loss writes an array or calls a method (the one step
runs where the bias add ran; the backward's steps read no values but its own).
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..nn.losses import _cross_entropy, _cross_entropy_forward
from ..ops.elementwise import add as _add_op
from ..ops.shape import sum_to_array
from .optimize import output_refs
from .plan import Instr, Plan, Ref

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def cross_entropy_head(x, bias, target):
    """``(loss, gradient of x, gradient of bias)`` of ``cross_entropy(x + bias,
    target)`` for the seed 1; a target out of range raises eager's error.

    >>> loss, gx, gb = cross_entropy_head(np.zeros((2, 3)), np.zeros(3), np.array([0, 2]))
    >>> gb
    array([-0.16666667,  0.33333333, -0.16666667])
    """
    try:
        return kernels.cross_entropy_head(x, bias, target)
    except IndexError:
        pass                            # the op itself says which target and why
    logits = np.add(x, bias)
    loss, saved = _cross_entropy_forward(logits, target)
    return np.asarray(loss), saved[0], sum_to_array(saved[0], bias.shape)


def fuse_loss_heads(plan: Plan) -> Plan:
    """Replace each cross-entropy head that qualifies (see the module) by one step
    labelled ``cross_entropy head (fused)``.

    >>> w = ad.tensor(np.ones((4, 3)), requires_grad=True)
    >>> b = ad.tensor(np.zeros(3), requires_grad=True)
    >>> @ad.compile
    ... def step(x, y):
    ...     loss = ad.nn.functional.cross_entropy(x @ w + b, y)
    ...     loss.backward()
    ...     return loss
    >>> _ = step(np.ones((2, 4)), np.array([0, 2]))
    >>> [i.label for i in step.plan.instrs if i.label.endswith("(fused)")]
    ['cross_entropy head (fused)']
    """
    while True:
        readers = _readers(plan)
        for k, instr in enumerate(plan.instrs):
            match = _match(plan, k, instr, readers)
            if match is not None:
                _replace(plan, match)
                break
        else:
            return plan


def _readers(plan: Plan) -> dict:
    readers: dict = {}
    for k, instr in enumerate(plan.instrs):
        for slot in instr.reads():
            readers.setdefault(slot, set()).add(k)
    return readers


def _producer(plan: Plan, slot: int):
    for k, instr in enumerate(plan.instrs):
        if slot in instr.outs:
            return k
    return None


def _is_ref(value) -> bool:
    return value.__class__ is Ref


def _match(plan: Plan, k: int, ce: Instr, readers: dict):
    """The steps of the head whose loss step is ``ce``, by role, or None."""
    if not (ce.kind == "op" and ce.fn is _cross_entropy.forward and len(ce.args) == 2
            and all(map(_is_ref, ce.args)) and not ce.kwargs and len(ce.outs) == 2):
        return None
    instrs, slots = plan.instrs, plan.slots
    logits, target = (a.index for a in ce.args)
    loss, saved = ce.outs
    a = _producer(plan, logits)
    if a is None:
        return None
    add = instrs[a]
    if not (add.kind == "op" and add.fn is np.add and len(add.args) == 2
            and all(map(_is_ref, add.args)) and not add.kwargs and not add.effect
            and add.outs == (logits,)):
        return None
    x, bias = (r.index for r in add.args)
    sx, sb, sl = slots[x], slots[bias], slots[logits]
    if not (len(sx.shape) == 2 and sx.shape[0] >= 1 and sb.shape == sx.shape[1:]
            and sl.shape == sx.shape and sx.dtype is not None
            and np.dtype(sx.dtype) in _FLOATS and np.dtype(sb.dtype) == np.dtype(sx.dtype)):
        return None
    roles = {"add": a, "ce": k}
    if len(readers.get(saved, ())) != 1:
        return None
    joint_k = next(iter(readers[saved]))
    joint = instrs[joint_k]
    if not (joint.kind == "joint" and joint.fn is _cross_entropy.joint
            and len(joint.args) == 6 and _is_ref(joint.args[1])
            and [_index(r) for r in joint.args[2:]] == [loss, None, logits, target]
            and joint.args[3] == (True, False) and set(joint.kwargs) == {"saved"}):
        return None
    roles["joint"] = joint_k
    seed = joint.args[1].index
    seed_k = _producer(plan, seed)
    if seed_k is None or instrs[seed_k].kind != "ones" or readers.get(seed) != {joint_k}:
        return None
    roles["seed"] = seed_k
    picks = readers.get(joint.outs[0], set())
    if len(picks) != 1:
        return None
    pick_k = next(iter(picks))
    pick = instrs[pick_k]
    if not (pick.kind == "pick" and pick.extra.get("position") == 0):
        return None
    roles["pick"] = pick_k
    gradient = pick.outs[0]
    rules = {}
    for j in readers.get(gradient, ()):
        rule = instrs[j]
        if rule.kind != "rule" or rule.fn not in _add_op.rules or rule.kwargs:
            return None
        if [_index(r) for r in rule.args[1:]] != [gradient, logits, x, bias]:
            return None
        rules[_add_op.rules.index(rule.fn)] = j
    if set(rules) != {0, 1}:
        return None
    roles["rule x"], roles["rule bias"] = rules[0], rules[1]
    full = instrs[rules[1]].outs[0]
    sums = readers.get(full, set())
    if len(sums) != 1:
        return None
    sum_k = next(iter(sums))
    summed = instrs[sum_k]
    if not (summed.kind == "sum_to" and summed.fn is sum_to_array
            and tuple(summed.args[1]) == sb.shape):
        return None
    roles["sum"] = sum_k
    if readers.get(logits, set()) != {k, joint_k, rules[0], rules[1]}:
        return None
    gone = {logits, saved, seed, joint.outs[0], gradient, full}
    if gone & set(output_refs(plan.output)):    # the function returns one of them
        return None
    # The one step computes at the bias add's place what the loss step read later
    # (the targets): nothing in between may write an array.
    if any(instrs[j].effect or instrs[j].kind in ("write", "call") for j in range(a + 1, k)):
        return None
    return roles, (x, bias, target), (loss, instrs[rules[0]].outs[0], summed.outs[0])


def _index(value):
    return value.index if _is_ref(value) else None


def _replace(plan: Plan, match) -> None:
    roles, (x, bias, target), outs = match
    ce = plan.instrs[roles["ce"]]
    head = Instr("op", "cross_entropy head (fused)", cross_entropy_head,
                 (Ref(x), Ref(bias), Ref(target)), {}, outs, ce.line,
                 extra={"new_arrays": True})    # (buffers.py: none is a view of its inputs)
    first = min(roles.values())
    removed = set(roles.values())
    plan.instrs = [head if j == first else instr for j, instr in enumerate(plan.instrs)
                   if j == first or j not in removed]
    for slot in outs:                   # fresh arrays now, no longer the gradient's own
        plan.same_array[slot] = slot
