"""A node of the tape: one recorded operation, its inputs' origins (``parents``) and
the values it saved for the backward, which ``release`` drops after a backward pass.
"""

from __future__ import annotations

from typing import Any, Iterator, Sequence

import numpy as np


class Node:
    """One recorded operation.

    ``parents[i]`` says where input ``i`` came from: the ``Node`` that produced it,
    the leaf ``Tensor`` itself when it is a leaf that requires grad, or ``None`` for
    a constant.  Inputs reached only through non-differentiable positions (such as
    the condition of ``where``) keep their node here too, so tools can show where a
    value came from; the reverse pass skips them.

    A node is the only object the tape keeps per recorded op that Python's cycle
    collector may track, and most nodes it does not track at all (``collector.py``
    says when that is safe).  Every tracked object makes each collection longer, and
    a growing graph triggers collections all along (a chain of 100,000 ops spent a
    third of its time in them).  So the one or two parents of most ops live in slots
    (``_p0``, ``_p1``; ``_arity`` says how many) rather than in a tuple, which would
    be a second tracked object: ``parents`` builds the tuple when asked.  Ops with
    another number of inputs keep the tuple (``_arity == 0``).  ``args`` (arrays and
    numbers only) is a tuple that the collector stops tracking at its first pass.
    """

    __slots__ = ("op", "_arity", "_p0", "_p1", "_parents", "args", "kwargs", "ans",
                 "requires_grad", "_name", "_trace", "saved", "_shape", "_dtype",
                 "_depth", "_epoch", "_seq", "_hooks", "__weakref__")

    # Made only by the op call paths (ops/registry.py: ``Node()``, then each slot in
    # turn; without an ``__init__``, ``Node()`` is the cheapest way to make one).
    # ``saved`` is set only for ops made with ``saves=True``: what they keep for
    # their backward beyond inputs and output, dropped with the rest.

    @property
    def parents(self) -> tuple:
        """Where each input came from (see the class docstring)."""
        arity = self._arity
        if arity == 2:
            return (self._p0, self._p1)
        if arity == 1:
            return (self._p0,)
        return self._parents

    @parents.setter
    def parents(self, parents: Sequence) -> None:
        parents = tuple(parents)
        if len(parents) == 1:
            self._arity, self._p0, self._p1, self._parents = 1, parents[0], None, None
        elif len(parents) == 2:
            self._arity, self._p0, self._p1, self._parents = 2, parents[0], parents[1], None
        else:
            self._arity, self._p0, self._p1, self._parents = 0, None, None, parents

    def __repr__(self):
        return f"<Node {self.op.name} {self.shape} {self.dtype}>"

    # ``name`` and ``trace`` are rarely set, so the op call paths leave their slots
    # empty (two stores less per op) and reading an empty one gives None.
    @property
    def name(self) -> str | None:
        """The name of the tensor this node made (``Tensor.name``), or None."""
        try:
            return self._name
        except AttributeError:
            return None

    @name.setter
    def name(self, value: str | None) -> None:
        self._name = value

    @property
    def trace(self):
        """Where the user's code recorded this node (set under ``detect_anomaly``), or None."""
        try:
            return self._trace
        except AttributeError:
            return None

    @trace.setter
    def trace(self, value) -> None:
        self._trace = value

    @property
    def shape(self) -> tuple[int, ...]:
        """The output's shape (kept after the saved values are freed)."""
        return self.ans.shape if self.ans is not None else self._shape

    @shape.setter
    def shape(self, value: tuple[int, ...]) -> None:
        self._shape = value

    @property
    def dtype(self) -> np.dtype:
        """The output's dtype (kept after the saved values are freed)."""
        return self.ans.dtype if self.ans is not None else self._dtype

    @dtype.setter
    def dtype(self, value: np.dtype) -> None:
        self._dtype = value

    @property
    def freed(self) -> bool:
        """True after a backward pass released this node's saved values."""
        return self.args is None


def release(node: Node) -> None:
    """Drop the values a node saved for its backward (after a backward pass); its
    output's shape and dtype are kept."""
    node._shape = node.ans.shape
    node._dtype = node.ans.dtype
    node.args = None
    node.ans = None
    node.saved = None


def differentiable_edges(node: Node) -> Iterator[tuple[int, Any]]:
    """Yield ``(position, parent)`` for each input that gradients flow into."""
    rules = node.op.rules
    for i, parent in enumerate(node.parents):
        if parent is not None and parent.requires_grad and (rules is None or rules[i] is not None):
            yield i, parent


def upstream(node: Node, limit: int = 100_000) -> Iterator[Any]:
    """Yield ``node``, then each node and leaf Tensor it was computed from, once each
    (iteratively, depth first), stopping after about ``limit`` of them: a walk for
    tools that look at what a value came from (``explain``, ``detect_anomaly``)."""
    yield node
    seen = {id(node)}
    stack = [node]
    while stack and len(seen) < limit:
        for parent in stack.pop().parents:
            if parent is None or id(parent) in seen:
                continue
            seen.add(id(parent))
            yield parent
            if parent.__class__ is Node:
                stack.append(parent)
