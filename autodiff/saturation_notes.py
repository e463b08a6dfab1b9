"""What ``explain`` says of an op that saturated (one with a ``saturation`` field:
``sigmoid``, ``tanh``, ``erf``, ``erfc``, ``softmax``) fed an input so large that its
output sits at its limit to the dtype's precision, where its slope is about
``exp(-|x|)`` (``exp(-x^2)`` for ``erf``) and the gradient through it is zero or
vanishingly small.

The input's values are the node's saved ones (``retain_graph=True``) or, when the input
is a leaf, the leaf's data.  With neither (an intermediate input, the graph freed by
backward) ``unchecked_saturating_ops`` names the ops that may have saturated, so that
``explain`` can say so and how to let it check.
"""

from __future__ import annotations

import math

import numpy as np

from .tensor import Tensor

_ADVICE = ("scale the input down (normalise it, a smaller initialisation or learning "
           "rate), or compute the loss from the input itself (binary_cross_entropy_with_"
           "logits, log_sigmoid, cross_entropy, log_softmax) so the gradient does not pass "
           "through the flat part")


def _input_values(node, position):
    if node.args is not None:
        value = node.args[position]
        return value.data if isinstance(value, Tensor) else np.asarray(value)
    parent = node.parents[position]
    return parent.data if isinstance(parent, Tensor) else None


def _elementwise_note(name, saturation, x):
    limits, function, written, slope = saturation[:4]
    magnitude = np.abs(x)
    with np.errstate(all="ignore"):
        at_limit = function(magnitude).astype(x.dtype) == 1
    count = int(np.count_nonzero(at_limit))
    if not count:
        return None
    largest = float(np.max(magnitude[at_limit]))
    extreme = float(x.reshape(-1)[np.argmax(np.where(at_limit, magnitude, -1).reshape(-1))])
    with np.errstate(all="ignore"):
        slope_there = float(slope(np.float64(largest)))
    size = f"{slope_there:.3g}" if slope_there else "0 (below the smallest float)"
    return (f"{saturation.called or name} saturated at {count} of {x.size} positions: "
            f"its input reaches {extreme:g}, where {name} is within {x.dtype}'s rounding "
            f"of its limit {limits[extreme > 0]} and its slope {written} is {size}; {_ADVICE}")


def _along_axis_note(name, saturation, x, axis):
    if x.size == 0 or x.ndim == 0:
        return None
    shifted = x - np.max(x, axis=axis, keepdims=True)
    with np.errstate(all="ignore"):
        e = np.exp(shifted)
        largest = np.max(e / np.sum(e, axis=axis, keepdims=True), axis=axis)
    at_limit = largest == 1
    count = int(np.count_nonzero(at_limit))
    if not count:
        return None
    gaps = -np.sort(shifted, axis=axis)
    gap = float(np.min(np.take(gaps, 1, axis=axis)[at_limit])) if x.shape[axis] > 1 else math.inf
    return (f"{name} saturated in {count} of {largest.size} rows along axis {axis}: one "
            f"logit exceeds the others by {gap:g} or more, so its probability is 1 to "
            f"{x.dtype}'s rounding and the others below exp(-{gap:g}); the slope "
            f"{saturation.slope} is about 0 there; {_ADVICE}")


def _slope_bounds(nodes) -> str:
    """``1/4 for sigmoid``: the largest slopes below 1 of the ops of ``nodes``."""
    bounds = {}
    for node in nodes:
        saturation = node.op.saturation
        if saturation is not None and saturation.bound:
            bounds.setdefault(node.op.name, saturation.bound)
    return ", ".join(f"{bound} for {name}" for name, bound in bounds.items())


def saturation_notes(nodes, targets) -> list[str]:
    """One line for each node among ``nodes`` (ordered by recording) that saturated on
    an input in ``targets`` (the tensor explained and the nodes on its way)."""
    notes = []
    for node in sorted(nodes, key=lambda n: n._seq):
        name, saturation = node.op.name, node.op.saturation
        if saturation is None:
            continue
        parent = node.parents[0] if node.parents else None
        if parent is None or parent not in targets:
            continue
        x = _input_values(node, 0)
        if x is None or x.dtype.kind != "f":
            continue
        note = (_along_axis_note(name, saturation, x, (node.kwargs or {}).get("axis", -1))
                if saturation.along_axis else _elementwise_note(name, saturation, x))
        if note:
            notes.append(note)
    return notes


def unchecked_saturating_ops(nodes, targets) -> list:
    """The nodes among ``nodes`` (ordered by recording) of an op that can saturate, fed
    from ``targets``, whose input values are gone (freed by backward), so that
    ``saturation_notes`` cannot tell whether they saturated."""
    found = []
    for node in sorted(nodes, key=lambda n: n._seq):
        if node.op.saturation is None:
            continue
        parent = node.parents[0] if node.parents else None
        if parent is not None and parent in targets and _input_values(node, 0) is None:
            found.append(node)
    return found


def unchecked_saturation_note(nodes, grad) -> str:
    """What can be said when ``nodes`` (from ``unchecked_saturating_ops``) lie on the way
    of a gradient ``grad`` with vanishingly small entries: each multiplies it by its
    slope, about 0 where it saturated, so they may be why; and how to let ``explain``
    check."""
    counts = {}
    for node in nodes:
        counts[node.op.name] = counts.get(node.op.name, 0) + 1
    bounds = _slope_bounds(nodes)
    ops = " and ".join(f"{count} {name} ops" if count > 1 else name
                       for name, count in counts.items())
    lie, each = ("lie", "each") if len(nodes) > 1 else ("lies", "it")
    magnitudes = np.abs(np.asarray(grad))
    largest = float(magnitudes.max())
    if largest <= 16 * np.finfo(magnitudes.dtype).eps:
        size = f"Every entry is vanishingly small (at most {largest:.3g})"
    else:
        size = (f"Some entries are vanishingly small (as small as "
                f"{float(magnitudes.min()):.3g}, while the largest is {largest:.3g})")
    bounded = (f" (at most {bounds}, anywhere), so a chain of many of them shrinks it too"
               if bounds else "")
    return (f"{size}, and on the way {lie} {ops}: {each} multiplies the gradient by its "
            f"slope, which is about 0 where its input is large in size and it saturates"
            f"{bounded}. The graph was freed by backward and the inputs of these ops are "
            "not leaves, so explain cannot check which: keep the loss in a variable, "
            "call loss.backward(retain_graph=True), and explain again.")


def long_chain_note(nodes, grad, shortest: int = 5) -> str | None:
    """Said instead of "rounding errors" of a tiny gradient whose way passes through
    ``shortest`` or more ops among ``nodes`` that can saturate: many slopes below 1
    multiplied together make a real gradient vanish (a deep sigmoid or tanh net)."""
    counts = {}
    saturating = [node for node in nodes if node.op.saturation is not None]
    for node in saturating:
        counts[node.op.name] = counts.get(node.op.name, 0) + 1
    if sum(counts.values()) < shortest:
        return None
    ops = " and ".join(f"{count} {name}" for name, count in counts.items())
    largest = float(np.max(np.abs(np.asarray(grad))))
    bounds = _slope_bounds(saturating)
    quarter = f" (at most {bounds})" if bounds else ""
    return (f"Every entry is at most {largest:.3g} in size, and on the way lie {ops} ops: "
            f"each multiplies the gradient by its slope{quarter}, below 1 where its input "
            "is away from 0, so a long chain of them makes a real gradient vanish (the "
            "vanishing gradient of a deep sigmoid or tanh net); these values are probably "
            "that, not rounding errors, and a step barely changes this tensor. Fewer "
            "layers, residual connections, relu-like activations or an initialisation "
            "scaled to the layer sizes keep it from vanishing.")
