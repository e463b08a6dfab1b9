"""User-defined operations: ``Function`` subclasses and the ``custom_gradient`` decorator.

The reverse pass calls a custom backward with the upstream gradient and expects one
gradient per input, each of that input's shape (or ``None``).  Anything else is
reported with the Function's name, the input position and both shapes.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .graph import no_grad
from .ops.registry import Op
from .tensor import Tensor


class FunctionCtx:
    """Passed to ``forward`` and ``backward`` of a ``Function``; holds what backward needs."""

    def __init__(self):
        self._saved = ()
        self._as_tensors = None

    def save_for_backward(self, *values) -> None:
        """Keep arrays (or anything else) for ``backward``; read them back from ``ctx.saved``."""
        self._saved = values

    @property
    def saved(self) -> tuple:
        """The values given to ``save_for_backward``.

        During ``backward(create_graph=True)`` a saved input comes back as the input
        Tensor, so a backward written with operators is itself differentiable.
        """
        if self._as_tensors is None:
            return self._saved
        return tuple(self._as_tensors.get(id(v), v) for v in self._saved)

    saved_tensors = saved


def _check_grads(owner, grads, args, create_graph):
    if not isinstance(grads, (tuple, list)):
        grads = (grads,)
    if len(grads) != len(args):
        raise ValueError(
            f"{owner}.backward returned {len(grads)} gradient(s) but forward took "
            f"{len(args)} input(s); return one gradient per input, in order "
            "(None for an input that needs none)")
    checked = []
    for position, (grad, arg) in enumerate(zip(grads, args)):
        if grad is None:
            checked.append(None)
            continue
        if isinstance(grad, Tensor) and not create_graph:
            grad = grad.data
        elif not isinstance(grad, Tensor):
            grad = np.asarray(grad)
        if np.shape(grad) != np.shape(arg):
            raise ValueError(
                f"{owner}.backward: the gradient for input {position} has shape "
                f"{np.shape(grad)} but that input has shape {np.shape(arg)}; each gradient "
                "must have its input's shape (sum over broadcast axes yourself)")
        checked.append(grad)
    return checked


def _function_op(cls):
    """The op behind a Function subclass; its ctx is the node's saved state."""

    def forward(*arrays):
        ctx = FunctionCtx()
        ctx._inputs = arrays
        out = cls.forward(ctx, *arrays)
        if isinstance(out, Tensor):
            out = out.data
        if isinstance(out, (tuple, list)):
            raise TypeError(f"{cls.__name__}.forward must return one array, not a "
                            f"{type(out).__name__}; split multi-output ops into several "
                            "Functions")
        return np.asarray(out), ctx

    def joint(xp, g, ans, needs, *args, saved):
        ctx = saved
        create_graph = isinstance(g, Tensor)
        if create_graph:
            ctx._as_tensors = {id(raw): arg for raw, arg in zip(ctx._inputs, args)
                               if isinstance(arg, Tensor)}
        if cls.backward is Function.backward:
            raise NotImplementedError(
                f"{cls.__name__}.backward is missing: a Function needs a @staticmethod "
                "backward(ctx, grad) returning one gradient per input of forward")
        try:
            grads = cls.backward(ctx, g)
        finally:
            ctx._as_tensors = None
        return _check_grads(cls.__name__, grads, args, create_graph)

    return Op(cls.__name__, forward, joint=joint,
              joint_formula=f"{cls.__name__}.backward (user-defined)", saves=True,
              zeroes=_CUSTOM_ZEROES)


_CUSTOM_ZEROES = "is a custom gradient: it may return zero or None"


class Function:
    """Base class for an operation with a hand-written gradient.

    >>> class Cube(ad.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved
    ...         return grad * 3 * x ** 2
    >>> y = Cube.apply(ad.tensor([2.0], requires_grad=True))
    """

    @staticmethod
    def forward(ctx, *inputs):
        raise NotImplementedError("a Function subclass must define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    @classmethod
    def _op(cls):
        op = cls.__dict__.get("_cached_op")
        if op is None:
            op = cls._cached_op = _function_op(cls)
        return op

    @classmethod
    def apply(cls, *inputs) -> Tensor:
        """Run ``forward`` on the inputs' arrays and record ``backward`` on the tape."""
        return cls._op()(*inputs)


def custom_gradient(func: Callable) -> Callable:
    """Decorator: ``func`` returns ``(value, vjp)``; ``vjp(g)`` gives the input gradients.

    ``func`` runs once per call, under ``no_grad``, on the inputs themselves (so that
    ``vjp`` may close over them and be differentiated again); the ``vjp`` closure is
    the node's saved state, dropped when a backward frees the graph.

    >>> @ad.custom_gradient
    ... def round_ste(x):
    ...     return ad.round(x), lambda g: g     # straight-through estimator
    """
    name = getattr(func, "__name__", "custom_gradient")

    def forward(*arrays, result):
        value, vjp = result
        return (value.data if isinstance(value, Tensor) else np.asarray(value)), vjp

    def joint(xp, g, ans, needs, *args, saved):
        return _check_grads(name, saved(g), args, isinstance(g, Tensor))

    op = Op(name, forward, joint=joint,
            joint_formula="vjp returned by the function (user-defined)", saves=True,
            zeroes=_CUSTOM_ZEROES)

    def wrapper(*inputs):
        with no_grad():
            result = func(*inputs)
        out = op(*inputs, result=result)
        if out._node is not None:
            out._node.kwargs = None     # the vjp lives on in node.saved only
        return out

    wrapper.__name__ = name
    wrapper.__doc__ = func.__doc__
    return wrapper
