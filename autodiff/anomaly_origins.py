"""Where a NaN or inf that ``detect_anomaly`` reports came from: the recorded op that
made an inf from finite inputs (and the ops that only passed it on), or the leaves of
the graph that already hold NaN."""

from __future__ import annotations

import numpy as np

from .anomaly_trace import _created
from .graph import Node
from .graph_node import upstream
from .revive import is_stand_in
from .tensor import Tensor


def is_float_array(value) -> bool:
    """Whether ``value`` (an op's argument) is a float or complex array or number."""
    return isinstance(value, (np.ndarray, np.generic, float, complex)) and \
        np.asarray(value).dtype.kind in "fc"


def first_input_with_inf(node):
    """The index of the first forward input of ``node`` holding inf, or None."""
    for k, a in enumerate(node.args or ()):
        if (is_float_array(a) or isinstance(a, int)) and np.isinf(np.asarray(a)).any():
            return k
    return None


def inf_origin(node, k):
    """Where the inf in input ``k`` of ``node`` came from: the recorded op that made it
    from finite inputs, or the data, with the ops that only passed it on."""
    passed_on = []
    parents = node.parents
    parent = parents[k] if k < len(parents) else None
    while isinstance(parent, Node):
        k = first_input_with_inf(parent)
        if k is None:
            break                       # its inputs are finite: this op made the inf
        passed_on.append(parent)
        parents = parent.parents
        parent = parents[k] if k < len(parents) else None
    if isinstance(parent, Node):
        made = (f"made by {parent.op.name}{overflow_note(parent)}{_log_of_a_probability(parent)}"
                f", {_created(parent)}")
    elif passed_on:                     # the first op on the tape took it from the data
        entry = passed_on.pop()
        made = (f"made by {entry.op.name}, {_created(entry)}, from a leaf or constant input "
                "holding inf")
    else:
        return "fed in as data: a leaf or a constant, not made by a recorded op"
    if passed_on:
        made += ", passed on by " + ", ".join(n.op.name for n in reversed(passed_on))
    return made


def _log_of_a_probability(node) -> str:
    """`` (of a probability that softmax rounded to 0 ...)`` when ``node`` is a logarithm
    whose input an op with a ``probability`` field made (softmax, sigmoid; ``1 - s``
    too), else ""."""
    if not node.op.logarithm or not node.parents:
        return ""
    source = node.parents[0]
    if isinstance(source, Node) and source.op.sum_signs == (1, -1) \
            and source.parents[0] is None:
        source = source.parents[-1]                                 # log(1 - s)
    if not isinstance(source, Node) or source.op.probability is None:
        return ""
    return (f" (of a probability that {source.op.name} rounded to 0 or 1 there, as it "
            f"does for a logit far from the others, and {node.op.name}(0) is -inf: compute "
            f"it from the logits, with {source.op.probability}, which stay finite)")


def infinite_derivative_cause(node, infinite: str) -> str:
    """The cause line of a derivative of ``node`` that is ``infinite`` ("infinite" or
    "undefined (NaN)") at finite inputs."""
    probability = _log_of_a_probability(node)
    if probability:
        return (f"  cause: the derivative of {node.op.name} is {infinite} at 0, and its "
                f"input is 0 there{probability}.")
    return (f"  cause: the derivative of {node.op.name} is {infinite} at these inputs "
            "(e.g. sqrt or log at 0, or division by 0); add an eps or clip the input away "
            "from that point.")


def _overflow_advice(node):
    """``(limit, advice)`` when ``node`` is an op whose inf from finite inputs is its
    result passing its dtype's largest value (its ``overflows`` field), else None."""
    advice = node.op.overflows
    dtype = np.dtype(node.dtype) if node.dtype is not None else None
    if advice is None or dtype is None or dtype.kind not in "fc":
        return None
    if isinstance(advice, tuple):           # (advice, test): power's inf at a base of 0
        advice, test = advice
        if not node.args or not test(*node.args, **(node.kwargs or {})):
            return None
    limit = f"{dtype.name} holds at most {float(np.finfo(dtype).max):.6g}"
    wider = "compute in a wider dtype or " if _has_wider(dtype) else ""
    return limit, f"{wider}keep the argument smaller, {advice}"


#: What an overflowed exp under ``log(a + exp(x))`` (softplus written out) should be.
LOG_OF_A_SUM_ADVICE = ("; write log(a + exp(x)) as ad.logaddexp(log(a), x), which stays "
                       "finite (log(1 + exp(x)), softplus, is ad.logaddexp(0, x) or "
                       "nn.functional.softplus).")


def is_log_of_a_sum(chain) -> bool:
    """Whether the ops after an overflowed exp, nearest first, are an add then a log:
    ``log(a + exp(x))``."""
    return (len(chain) == 2 and chain[0].op.sum_signs == (1, 1)
            and chain[1].op.logarithm)


def _has_wider(dtype) -> bool:
    """Whether NumPy computes in a wider dtype than ``dtype`` everywhere (float64 and
    complex128 are the widest)."""
    return dtype.itemsize < 8 * (1 + (dtype.kind == "c"))


def overflow_note(node) -> str:
    """`` (an overflow: float16 holds at most 65504; ...)`` when ``node``'s inf from
    finite inputs is its result passing its dtype's largest value."""
    found = _overflow_advice(node)
    return f" (an overflow: {found[0]}; {found[1]})" if found else ""


def huge_input(node, names, source) -> str:
    """``input b (matmul's input: the leaf 'w') holds values as large as 3.91e+306``
    for the first float input of ``node`` on the tape (a constant the user wrote is
    meant to be large) past the square root of its dtype's largest value
    (``source(node, i)`` says whose it is), else ""."""
    parents = node.parents or ()
    for i, (name, a) in enumerate(zip(names, node.args or ())):
        if i >= len(parents) or parents[i] is None or not is_float_array(a) \
                or is_stand_in(a) or np.asarray(a).size == 0:
            continue
        a = np.asarray(a)
        magnitudes = np.abs(a[np.isfinite(a)])
        biggest = float(magnitudes.max()) if magnitudes.size else 0.0
        if biggest >= float(np.sqrt(np.finfo(a.dtype).max)):
            label = name if name.startswith("input ") else f"input {name}"
            text = f"{label}{source(node, i)} holds values as large as {biggest:.3g}"
            # (a parameter, "the leaf", grew by updates; a result was made that large)
            return text + ("" if isinstance(parents[i], Node) else " (a parameter)")
    return ""


def overflow_cause(node, gradient_dtype, local_inf: bool, bad, label: str = "cause",
                   huge: str = "") -> str:
    """The cause line of an inf gradient at positions ``bad`` from finite inputs that is
    an overflow: of the op's own result there (its derivative reads it: exp's is the
    result) when ``local_inf``, else of the upstream gradient times the finite local
    derivative; "" if neither."""
    if local_inf:
        found = _overflow_advice(node)
        ans = getattr(node, "ans", None)
        if found is None or not isinstance(ans, np.ndarray) or ans.shape != bad.shape \
                or not np.isinf(ans[bad]).any():
            return ""
        return (f"  {label}: the result of {node.op.name} overflowed to inf at those "
                f"positions ({found[0]}), so its derivative there is inf too; {found[1]}.")
    dtype = np.dtype(gradient_dtype)
    if dtype.kind not in "fc":
        return ""
    largest = float(np.finfo(dtype).max)
    wider = ", or compute in a wider dtype" if _has_wider(dtype) else ""
    if huge:
        # Scaling the loss only delays this: the values themselves are near the limit.
        head = (f"  cause: the upstream gradient times the local derivative, both finite, "
                f"overflowed ({dtype.name} holds at most {largest:.6g}), and {huge}: "
                f"scaling the loss down does not keep values that size finite. ")
        if huge.endswith(" (a parameter)"):
            return head + (f"A parameter this large means earlier updates diverged, as a "
                           f"learning rate too large does (the loss grows step after step: "
                           f"print it); lower the learning rate, or clip the "
                           f"gradients{wider}.")
        return head + (f"Find where they grow that large (an exp of a large argument, a "
                       f"product of many factors, a parameter grown by updates that "
                       f"diverged) and keep them smaller there{wider}.")
    return (f"  cause: the upstream gradient times the local derivative, both finite, "
            f"overflowed ({dtype.name} holds at most {largest:.6g}): scale the loss (or "
            f"the gradient a hook returns) down{wider}.")


def _float_leaves(node, limit: int = 100_000):
    """The leaf Tensors with float data upstream of ``node``, each once, walking the
    graph without recursion."""
    for item in upstream(node, limit):
        if isinstance(item, Tensor) and is_float_array(item.data):
            yield item


def _leaf_label(leaf) -> str:
    return f"'{leaf.name}'" if leaf.name else "a leaf"


def leaves_holding_nan(node) -> list[str]:
    """Labels of the leaves upstream of ``node`` whose data holds NaN (each with how
    many entries)."""
    found = []
    for leaf in _float_leaves(node):
        nans = int(np.count_nonzero(np.isnan(leaf.data)))
        if nans:
            found.append(f"{_leaf_label(leaf)} (shape {leaf.shape}, {nans} of "
                         f"{leaf.data.size} entries NaN)")
    return found


def _huge_leaves(node) -> list[str]:
    """``'w' (values as large as 1.2e+155)`` for each leaf that requires grad, upstream
    of ``node``, holding finite values past the square root of its dtype's largest (a
    parameter grown that large by updates)."""
    found = []
    for leaf in _float_leaves(node):
        data = np.asarray(leaf.data)
        if not leaf.requires_grad or data.size == 0:
            continue
        magnitudes = np.abs(data[np.isfinite(data)])
        biggest = float(magnitudes.max()) if magnitudes.size else 0.0
        if biggest >= float(np.sqrt(np.finfo(data.dtype).max)):
            found.append(f"{_leaf_label(leaf)} (values as large as {biggest:.3g})")
    return found


def inf_input_cause(node, k: int, listed: str, holds: str) -> str:
    """The cause line of an inf gradient whose op's input ``k`` (``listed``, which
    ``holds`` it) already held inf in the forward pass: where that inf was made, and
    whether a parameter grown huge by diverging updates made it."""
    line = (f"  cause: {listed} of {node.op.name} already {holds} inf, and the rule "
            f"computes with it (inf·g is inf; inf - inf and 0·inf are NaN). No eps at this "
            f"op helps: the inf is in the forward values; it was {inf_origin(node, k)}.")
    huge = _huge_leaves(node)
    if huge:
        which = "parameter" if len(huge) == 1 else "parameters"
        are = "is" if len(huge) == 1 else "are"
        return line + (f" The {which} {', '.join(huge)} {are} that large because earlier "
                       f"updates diverged, as a learning rate too large does (the loss "
                       f"grows step after step: print it); lower the learning rate, or "
                       f"clip the gradients.")
    return line + " Keep the values finite there (np.isinf(x).any() finds them)."


def infinite_output_note(node) -> str | None:
    """What to tell a backward pass that starts at ``node`` when its forward value holds
    inf (a loss that overflowed: detect_anomaly raises only for NaN, and the gradients
    of such a loss may still be finite), or None when it is finite or not kept."""
    ans = getattr(node, "ans", None)
    if not is_float_array(ans) or not np.isinf(np.asarray(ans)).any():
        return None
    k = first_input_with_inf(node)
    if k is None:
        made = f"made by {node.op.name}{overflow_note(node)}, {_created(node)}"
    else:
        made = inf_origin(node, k)
        made += (", " if "passed on by" in made else ", passed on by ") + node.op.name
    infinite = np.asarray(ans)[np.isinf(np.asarray(ans))]
    inf = "-inf" if (np.real(infinite) < 0).all() else "inf"
    start = (f"backward() starts at the result of {node.op.name} ({_created(node)}), which "
             f"is {inf}: ")
    useless = ("the gradients of an infinite loss say nothing useful (detect_anomaly "
               "raises only where NaN appears)")
    if "(an overflow:" in made:
        return (f"{start}the forward pass overflowed, and {useless}. The inf was {made}. "
                f"If this is a loss that grew step after step, the updates diverged: "
                f"lower the learning rate.")
    if made.startswith("fed in as data") or "input holding inf" in made:
        return (f"{start}the inf came in with the data (it was {made}), and {useless}. "
                f"Keep the data finite (np.isinf(x).any() finds it).")
    # (log of 0, a division by 0, ...: no value grew, so no learning rate is to blame)
    if "from the logits" in made:       # (log of a probability: made says what to do)
        return (f"{start}an op made it from finite values, not by an overflow, and "
                f"{useless}. The inf was {made}.")
    return (f"{start}an op made it from finite values, not by an overflow, and {useless}. "
            f"The inf was {made}. Keep that op's input away from the point where its "
            f"result is infinite (a log of 0, a division by 0): clip it or add an eps.")
