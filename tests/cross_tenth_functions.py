"""A ``Function`` with two outputs, one marked non-differentiable, shared by the tests
of Functions crossed with the transforms and the rest of the machinery."""

from __future__ import annotations

import autodiff as ad


class DoubleAndSign(ad.autograd.Function):
    """Twice x, and (marked non-differentiable) whether x is positive."""

    @staticmethod
    def forward(x):
        return x * 2, x > 0

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.mark_non_differentiable(output[1])

    @staticmethod
    def backward(ctx, grad, _grad_sign):
        return grad * 2


def power_function(base, power: int, vmap_rule: bool = False):
    """A ``base`` Function (autodiff's or PyTorch's) for ``x ** power``, its backward in
    PyTorch's convention (conjugated, for complex values)."""
    class Power(base):
        generate_vmap_rule = vmap_rule

        @staticmethod
        def forward(x):
            return x ** power

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * (power * x ** (power - 1)).conj()
    return Power
