"""What ``explain`` says of an op that saturated: ``sigmoid``, ``tanh``, ``erf``,
``erfc`` or ``softmax`` fed an input so large that its output sits at its limit to the
dtype's precision, where its slope is about ``exp(-|x|)`` (``exp(-x^2)`` for ``erf``)
and the gradient through it is zero or vanishingly small.

The input's values are the node's saved ones (``retain_graph=True``) or, when the input
is a leaf, the leaf's data.  With neither (an intermediate input, the graph freed by
backward) ``unchecked_saturating_ops`` names the ops that may have saturated, so that
``explain`` can say so and how to let it check.
"""

from __future__ import annotations

import math

import numpy as np

from .tensor import Tensor


def _sigmoid_at(x):
    return 1 / (1 + np.exp(-x))


def _sigmoid_slope(x):
    e = np.exp(-np.abs(x))
    return e / (1 + e) ** 2


def _tanh_slope(x):
    e = np.exp(-2 * np.abs(x))
    return 4 * e / (1 + e) ** 2


def _erf_at(x):
    return np.asarray(np.frompyfunc(math.erf, 1, 1)(x), dtype=np.float64)


def _erf_slope(x):
    return 2 / math.sqrt(math.pi) * np.exp(-np.square(x))


#: op name: (the output's limits for x < 0 and x > 0, the function at |x| (at its limit
#: where it rounds to 1), the slope written, the slope's size)
_ELEMENTWISE = {
    "sigmoid": (("0", "1"), _sigmoid_at, "s (1 - s)", _sigmoid_slope),
    "tanh": (("-1", "1"), np.tanh, "1 - tanh(x)^2", _tanh_slope),
    "erf": (("-1", "1"), _erf_at, "2/sqrt(pi) exp(-x^2)", _erf_slope),
    "erfc": (("2", "0"), _erf_at, "-2/sqrt(pi) exp(-x^2)", _erf_slope),
}
_ALSO_CALLED = {"sigmoid": "sigmoid (expit)"}

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


def _elementwise_note(name, x):
    limits, function, written, slope = _ELEMENTWISE[name]
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
    return (f"{_ALSO_CALLED.get(name, name)} saturated at {count} of {x.size} positions: "
            f"its input reaches {extreme:g}, where {name} is within {x.dtype}'s rounding "
            f"of its limit {limits[extreme > 0]} and its slope {written} is {size}; {_ADVICE}")


def _softmax_note(x, axis):
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
    return (f"softmax saturated in {count} of {largest.size} rows along axis {axis}: one "
            f"logit exceeds the others by {gap:g} or more, so its probability is 1 to "
            f"{x.dtype}'s rounding and the others below exp(-{gap:g}); the slope "
            f"s_i (delta_ij - s_j) is about 0 there; {_ADVICE}")


def saturation_notes(nodes, targets) -> list[str]:
    """One line for each node among ``nodes`` (ordered by recording) that saturated on
    an input in ``targets`` (the tensor explained and the nodes on its way)."""
    notes = []
    for node in sorted(nodes, key=lambda n: n._seq):
        name = node.op.name
        if name not in _ELEMENTWISE and name != "softmax":
            continue
        parent = node.parents[0] if node.parents else None
        if parent is None or parent not in targets:
            continue
        x = _input_values(node, 0)
        if x is None or x.dtype.kind != "f":
            continue
        note = (_softmax_note(x, (node.kwargs or {}).get("axis", -1)) if name == "softmax"
                else _elementwise_note(name, x))
        if note:
            notes.append(note)
    return notes


def unchecked_saturating_ops(nodes, targets) -> list:
    """The nodes among ``nodes`` (ordered by recording) of an op that can saturate, fed
    from ``targets``, whose input values are gone (freed by backward), so that
    ``saturation_notes`` cannot tell whether they saturated."""
    found = []
    for node in sorted(nodes, key=lambda n: n._seq):
        if node.op.name not in _ELEMENTWISE and node.op.name != "softmax":
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
    bounded = (" (at most 1/4 for sigmoid, anywhere), so a chain of many of them "
               "shrinks it too" if "sigmoid" in counts else "")
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
    for node in nodes:
        name = node.op.name
        if name in _ELEMENTWISE or name == "softmax":
            counts[name] = counts.get(name, 0) + 1
    if sum(counts.values()) < shortest:
        return None
    ops = " and ".join(f"{count} {name}" for name, count in counts.items())
    largest = float(np.max(np.abs(np.asarray(grad))))
    quarter = " (at most 1/4 for sigmoid)" if "sigmoid" in counts else ""
    return (f"Every entry is at most {largest:.3g} in size, and on the way lie {ops} ops: "
            f"each multiplies the gradient by its slope{quarter}, below 1 where its input "
            "is away from 0, so a long chain of them makes a real gradient vanish (the "
            "vanishing gradient of a deep sigmoid or tanh net); these values are probably "
            "that, not rounding errors, and a step barely changes this tensor. Fewer "
            "layers, residual connections, relu-like activations or an initialisation "
            "scaled to the layer sizes keep it from vanishing.")
