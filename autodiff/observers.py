"""Watching the reverse pass: ``BackwardObserver`` and ``observe_backward``.

There is only one reverse pass (``graph.py``); ``viz.steps``, ``detect_anomaly`` and
``retain_grad`` watch it through these hooks instead of running passes of their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .grad_mode import _grad_mode

if TYPE_CHECKING:
    from .graph import Node


class BackwardObserver:
    """Watches the reverse pass as it runs (subclass it and override what you need).

    Register one for the duration of a block with ``observe_backward(observer)``;
    every reverse pass in this thread then calls it.  ``viz.steps`` and
    ``detect_anomaly`` are built this way: there is only one reverse pass.

    >>> class Printer(BackwardObserver):
    ...     def on_node(self, node, g):
    ...         print(node.op.name, g)
    >>> x = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> with observe_backward(Printer()):
    ...     (x * 3).sum().backward()
    sum 1.0
    multiply [1. 1.]
    """

    #: True for an observer that reports non-finite gradients itself (detect_anomaly):
    #: NumPy's own RuntimeWarnings are then silenced during the pass.
    reports_non_finite = False

    def on_pass(self) -> None:
        """A reverse pass is about to start (before any node is read)."""

    def on_node(self, node: Node, g: Any) -> None:
        """``node``'s upstream gradient ``g`` is complete (``None`` if none arrived); its
        rules run next.  Called in the order of the pass, the output's node first."""

    def on_edge(self, node: Node, position: int, g: Any, gi: Any, rule_output: Any) -> None:
        """The rule for input ``position`` of ``node`` gave ``rule_output``; ``gi`` is it
        summed back to the input's shape and cast to its dtype (what the input
        receives).  Not called for inputs that get no gradient."""

    def on_leaf(self, leaf: Any, grad: Any) -> None:
        """After the pass: ``leaf`` receives ``grad``, the sum of what its uses sent in
        this pass, into ``.grad``; or, for ``ad.grad`` and ``backward(inputs=...)``,
        each tensor asked for (a leaf or not) gets its result."""

    def on_accumulate(self, leaf: Any) -> None:
        """After ``on_leaf``, when ``leaf``'s gradient is about to be added into its
        ``.grad`` (which still holds what earlier passes left)."""


class observe_backward:
    """Context manager: ``observer`` sees every reverse pass run in this thread inside
    the block (observers nest; the innermost is called last)."""

    def __init__(self, observer: BackwardObserver):
        self.observer = observer

    def __enter__(self):
        self.previous = _grad_mode.observers
        _grad_mode.observers = self.previous + (self.observer,)
        return self.observer

    def __exit__(self, *exc):
        _grad_mode.observers = self.previous
        return False
