"""What ``explain`` keeps of a graph that ``backward(retain_graph=True)`` ran through
after its output tensor is gone (``f(x).sum().backward(retain_graph=True)``), and the
leaf a backward ran from (``last_backward_leaf``).

A retained graph still holds the values its ops saved, so the tape refers to its
output only weakly: keeping it would keep all those arrays alive until the next
backward pass.  When the output is freed before any other op is recorded (it was
never named, or nothing ran since), a copy of the graph's skeleton is kept instead
(each node's op, inputs, shape, dtype, name and the user's line, no saved values),
the same that a graph freed by an ordinary backward leaves.  ``explain``
then sees the path from a tensor to that output; it cannot check values (which
``relu`` was dead), and says so.

>>> w = ad.tensor([1.0, -1.0], requires_grad=True)
>>> ad.relu(w).sum().backward(retain_graph=True)
>>> print(ad.explain(w))                                      # doctest: +ELLIPSIS
the tensor (shape (2,), float64): .grad is set and not all zero ...
It is connected to the output (sum, shape ()) through differentiable ops: this tensor -> ...
...
"""

from __future__ import annotations

import threading
import weakref

from .grad_mode import _grad_mode
from .graph_node import Node, upstream

#: Skeletons made from retained graphs (``explain`` words its advice for them).
skeleton_roots: weakref.WeakSet = weakref.WeakSet()

#: The slots every recorded node has, and those set only on some (a name, the user's line).
_ALWAYS_SET = ("op", "kwargs", "requires_grad", "_depth", "_seq")
_SOMETIMES_SET = ("_name", "_trace", "_hooks", "_epoch")
_MISSING = object()


def retained_root_reference(root) -> weakref.ref:
    """A weak reference to the output ``root`` of a retained backward pass, for
    ``_grad_mode.last_root``; when ``root`` is freed while it is still the last
    one, the reference is replaced by a skeleton of its graph.

    Only if no op was recorded since the backward pass: an output that dies at once
    (never named) or after a pause.  In a loop ``loss = model(x) ...;
    loss.backward(retain_graph=True)`` the old loss dies when the name is bound to
    the next one, after that forward pass, whose backward replaces it anyway: copying
    the graph there, at every step, would cost as much as a tenth of the step."""
    from .graph import next_seq
    node = root._node
    thread = threading.get_ident()
    recorded = next_seq()

    def on_freed(reference):
        try:
            if _grad_mode.last_root is reference and threading.get_ident() == thread \
                    and next_seq() == recorded + 1:
                skeleton = skeleton_of(node)
                skeleton_roots.add(skeleton)
                _grad_mode.last_root = skeleton
        except Exception:       # (at interpreter exit the modules may be half torn down:
            pass                # a diagnostic kept for explain is not worth an error there)

    return weakref.ref(root, on_freed)


def skeleton_of(root: Node) -> Node:
    """A copy of the graph under ``root`` without saved values (iteratively)."""
    copies = {}
    originals = [item for item in upstream(root) if item.__class__ is Node]
    for node in originals:
        copy = Node()
        for slot in _ALWAYS_SET:
            setattr(copy, slot, getattr(node, slot))
        for slot in _SOMETIMES_SET:
            value = getattr(node, slot, _MISSING)
            if value is not _MISSING:
                setattr(copy, slot, value)
        copy.shape = node.shape
        copy.dtype = node.dtype
        copy.args = copy.ans = copy.saved = None
        copies[id(node)] = copy
    get = copies.get
    for node in originals:
        get(id(node)).parents = [get(id(parent)) if parent.__class__ is Node else parent
                                 for parent in node.parents]
    return copies[id(root)]


def last_backward_leaf():
    """The leaf tensor (requiring grad, no recorded op) that the last ``.backward()`` ran
    from, if it is still alive (a loss rebuilt from ``.item()``), else None."""
    last = _grad_mode.last_root
    tensor = last() if last is not None and last.__class__ is not Node else None
    if tensor is not None and tensor._node is None and tensor.requires_grad:
        return tensor
    return None
