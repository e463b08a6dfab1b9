"""User-defined operations: ``Function`` subclasses and the ``custom_gradient`` decorator.

The reverse pass calls a custom backward with the upstream gradient and expects one
gradient per input, each of that input's shape (or ``None``).  Anything else is
reported with the Function's name, the input position and both shapes.
"""

from __future__ import annotations

import numpy as np

from .graph import no_grad
from .ops.registry import Op
from .tensor import Tensor


class FunctionCtx:
    """Passed to ``forward`` and ``backward`` of a ``Function``; holds what backward needs."""

    def __init__(self):
        self._saved = ()
        self._as_tensors = None

    def save_for_backward(self, *values):
        """Keep arrays (or anything else) for ``backward``; read them back from ``ctx.saved``."""
        self._saved = values

    @property
    def saved(self):
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


def _function_joint(xp, g, ans, needs, *args, ctx, cls):
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


def _function_forward(*arrays, ctx, cls):
    ctx._inputs = arrays
    out = cls.forward(ctx, *arrays)
    if isinstance(out, Tensor):
        out = out.data
    if isinstance(out, (tuple, list)):
        raise TypeError(f"{cls.__name__}.forward must return one array, not a "
                        f"{type(out).__name__}; split multi-output ops into several Functions")
    return np.asarray(out)


_CUSTOM_ZEROES = "is a custom gradient: it may return zero or None"


class _FunctionOp(Op):
    """The op behind a Function subclass; its saved values live in the ctx."""

    custom_release = True

    def release(self, node):
        super().release(node)
        ctx = node.kwargs["ctx"]
        ctx._saved = ()
        ctx._inputs = None


class _CustomGradientOp(Op):
    """The op behind a custom_gradient function; the vjp closure holds its saved values."""

    custom_release = True

    def release(self, node):
        super().release(node)
        node.kwargs = {"value": None, "vjp": None, "name": node.kwargs["name"]}


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
            op = _FunctionOp(cls.__name__, _function_forward, joint=_function_joint,
                             joint_formula=f"{cls.__name__}.backward (user-defined)",
                             zeroes=_CUSTOM_ZEROES, hides_kwargs=True)
            cls._cached_op = op
        return op

    @classmethod
    def apply(cls, *inputs):
        """Run ``forward`` on the inputs' arrays and record ``backward`` on the tape."""
        return cls._op()(*inputs, ctx=FunctionCtx(), cls=cls)


def _custom_forward(*arrays, value, vjp, name):
    return value


def _custom_joint(xp, g, ans, needs, *args, value, vjp, name):
    grads = vjp(g)
    return _check_grads(name, grads, args, isinstance(g, Tensor))


def custom_gradient(func):
    """Decorator: ``func`` returns ``(value, vjp)``; ``vjp(g)`` gives the input gradients.

    >>> @ad.custom_gradient
    ... def round_ste(x):
    ...     return ad.round(x), lambda g: g     # straight-through estimator
    """
    name = getattr(func, "__name__", "custom_gradient")
    op = _CustomGradientOp(name, _custom_forward, joint=_custom_joint,
                           joint_formula="vjp returned by the function (user-defined)",
                           zeroes=_CUSTOM_ZEROES, hides_kwargs=True)

    def wrapper(*inputs):
        with no_grad():
            value, vjp = func(*inputs)
        value = value.data if isinstance(value, Tensor) else np.asarray(value)
        return op(*inputs, value=value, vjp=vjp, name=name)

    wrapper.__name__ = name
    wrapper.__doc__ = func.__doc__
    return wrapper
