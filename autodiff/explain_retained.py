"""What ``explain`` keeps of a graph that ``backward(retain_graph=True)`` ran through
after its output tensor is gone (``f(x).sum().backward(retain_graph=True)``), and the
leaf a backward ran from (``last_backward_leaf``).

A retained graph still holds the values its ops saved, so the tape refers to its
output only weakly: keeping it would keep all those arrays alive until the next
backward pass.  When an output that was never named is freed (on the line of its
``backward`` call), a copy of the graph's skeleton is kept instead
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

import os
import sys
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

    Only for an output that was never named: it dies on the line that called
    ``backward`` (``f(x).sum().backward(retain_graph=True)``).  A named loss dies later,
    when its name is bound again or its function returns, usually at every step of a
    training loop; copying its graph there would cost as much as a tenth of the step,
    and the loss can be passed to ``explain(t, output=loss)`` while it lives."""
    node = root._node
    caller = _user_caller()
    if caller is None:
        return weakref.ref(root)
    where = (id(caller), caller.f_lineno)
    del caller

    def on_freed(reference):
        try:
            if _grad_mode.last_root is reference and _on_stack(where):
                skeleton = skeleton_of(node)
                skeleton_roots.add(skeleton)
                _grad_mode.last_root = skeleton
        except Exception:       # (at interpreter exit the modules may be half torn down:
            pass                # a diagnostic kept for explain is not worth an error there)

    return weakref.ref(root, on_freed)


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _user_caller():
    """The innermost frame outside this package (the line that called backward)."""
    frame = sys._getframe(2)
    for _ in range(_DEPTH):
        if frame is None or not frame.f_code.co_filename.startswith(_PACKAGE_DIR):
            return frame
        frame = frame.f_back
    return None


def _on_stack(where) -> bool:
    """Whether the frame ``where`` names (its id and line) is running, at that line."""
    frame_id, line = where
    frame = sys._getframe(1)
    for _ in range(_DEPTH):
        if frame is None:
            return False
        if id(frame) == frame_id:
            return frame.f_lineno == line
        frame = frame.f_back
    return False


_DEPTH = 64


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
