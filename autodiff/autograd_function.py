"""``ad.autograd.function``: PyTorch's ``torch.autograd.function`` module, for the
scripts that import from it (``Function``, ``FunctionCtx`` and the
``@once_differentiable`` decorator of a backward that is never differentiated).
"""

from __future__ import annotations

import functools
from typing import Callable

from .function import Function, FunctionCtx
from .graph import no_grad
from .tensor import Tensor

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


def once_differentiable(backward: Callable) -> Callable:
    """PyTorch's decorator for a ``Function``'s ``backward`` that is written for one
    backward pass only.  In a plain backward pass it runs as it is (on arrays); in a
    pass that is itself differentiated (``backward(create_graph=True)``, a gradient
    of a gradient, ``hessian``, forward mode) it raises, naming the Function, where
    PyTorch raises when that second derivative is taken.

    >>> class Double(ad.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         return x * 2
    ...     @staticmethod
    ...     @ad.autograd.function.once_differentiable
    ...     def backward(ctx, grad):
    ...         return grad * 2
    >>> x = ad.tensor([1.0, 3.0], requires_grad=True)
    >>> Double.apply(x).sum().backward(); x.grad
    array([2., 2.])
    """
    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        if not any(isinstance(g, Tensor) for g in grads):
            return backward(ctx, *grads)
        if any(isinstance(value, Tensor) and value.requires_grad
               for value in (*grads, *ctx.saved_tensors)):
            raise RuntimeError(
                f"trying to differentiate twice a function that was marked with "
                f"@once_differentiable ({backward.__qualname__}): this backward pass is "
                "itself differentiated (backward(create_graph=True), grad of grad, "
                "hessian, hvp, jvp or jacfwd); remove @once_differentiable and write "
                "backward with Tensor operations, or take one derivative only")
        with no_grad():
            return backward(ctx, *grads)
    return wrapper
