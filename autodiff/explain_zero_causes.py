"""Why ``explain`` finds a gradient zero when no op on the way is known to zero it: a
hook that replaced it, a value whose uses cancel, or an all-zero factor (a weight
initialised to zeros) that a product on the way multiplies it by.  Also the labels of
recorded nodes that ``explain`` uses in every line."""

from __future__ import annotations

import numpy as np

from .tensor import Tensor

def _site(node):
    trace = node.trace
    return f" (created at {trace})" if trace is not None else ""


def _node_label(node):
    from .viz.packed_parts import packing_note, part_label   # (viz loads on first use)
    part = part_label(node) or packing_note(node)
    part = f" ({part})" if part else ""
    return f"{node.op.name}{part}{_site(node)}"



def zero_factors(item, on_path) -> list[str]:
    """``'w2' (shape (1, 3))`` for each all-zero leaf that a product on the way from
    ``item`` (the ops ``on_path``, the ``multilinear`` ones) multiplies the gradient by:
    each sends zero back."""
    found = []
    for node in sorted(on_path, key=lambda n: n._seq):
        if not node.op.multilinear:
            continue
        parents = node.parents
        if not any(p is item or p in on_path for p in parents if p is not None):
            continue
        for parent in parents:
            if isinstance(parent, Tensor) and parent is not item and parent._node is None \
                    and parent.data.size and not np.any(parent.data):
                label = repr(parent.name) if parent.name else "a tensor"
                text = f"{label} (shape {parent.shape}, in {node.op.name})"
                if text not in found:
                    found.append(text)
    return found


def zero_factor_note(factors) -> str:
    """What to say of the all-zero leaves ``zero_factors`` found."""
    which = "it is" if len(factors) == 1 else "they are"
    return (f"On the way the gradient is multiplied by {', '.join(factors)}, and "
            f"{which} all zero (a zero initialisation?): a product with zero sends zero "
            "back. Initialise weights with small random values (nn.Linear and the other "
            "layers do by default; ad.nn.init has the usual schemes): with every weight "
            "equal, the units of a layer also get equal gradients and stay equal, so they "
            "never learn different features.")


def _zero_without_a_zeroing_op(t, consumers, on_path) -> str:
    """Why a gradient is zero when no op on the way is known to zero it: the causes
    that remain, the ones this graph shows named."""
    factors = zero_factors(t, on_path)
    if factors:
        return "So the gradient really is zero here. " + zero_factor_note(factors)
    hooked = _hooks_on(t, on_path)
    if hooked:
        return ("So the gradient is zero here, and no op on the way is known to zero it, "
                f"but gradient hooks on the way replace what flows there: {'; '.join(hooked)}"
                ". Check what they return (a hook that returns None leaves the gradient as "
                "it is), or remove them (handle.remove()).")
    # The tensor itself, then the values on the way from it (nearest first): the first
    # one used more than once on the way is where the uses' gradients may cancel.
    for item in [t] + sorted(on_path, key=lambda n: n._seq):
        uses = [(node, position) for node, position in consumers.get(item, ())
                if node in on_path]
        if len(uses) > 1:
            where = ", ".join(sorted({_node_label(node) for node, _ in uses}))
            what = "It is" if item is t else f"The output of {_node_label(item)} is"
            return (f"So the gradient really is zero here. {what} used {len(uses)} times "
                    f"on the way ({where}): what those uses send back cancels out (as in "
                    "w - w, or y - y.mean() summed), or each of them sends zero.")
    return ("So the gradient really is zero here, and no op on the way is known to zero "
            "it: the upstream gradient of the output may be zero there, or a factor of "
            "zero multiplied it.")


def _hooks_on(t, on_path) -> list:
    """The gradient hooks registered on ``t`` or on the nodes on the way, described."""
    from .hooks import registered
    from .node_hooks import hook_name
    kinds = {"PreHook": ("register_prehook", "the output of"),
             "PostHook": ("grad_fn.register_hook", "the node of")}
    found = []
    for item in [t] + sorted(on_path, key=lambda n: n._seq):
        for hook, _ in (registered.get(item) or {}).values():
            method, where = kinds.get(type(hook).__name__, ("register_hook", "the output of"))
            place = "this tensor" if item is t else f"{where} {_node_label(item)}"
            found.append(f"{hook_name(hook)} ({method}) on {place}")
    return found
