"""Functions (a Function with two outputs, one marked non-differentiable; powers; a
once-differentiable square; exp with its own jvp), a training step and an optimizer
with a group added after its schedule, shared by the tests that cross the tenth
round's features with the transforms and the rest of the machinery."""

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


def once_differentiable_square(lib):
    """``x ** 2`` as a Function of ``lib`` whose backward is ``once_differentiable``."""
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return grad * 2 * x
    return Square


def exp_with_jvp(lib, forward_saved=lambda output: output, vmap_rule: bool = False):
    """``exp`` as a Function of ``lib`` with its own ``jvp``, which multiplies the
    tangent by what ``ctx.save_for_forward`` kept: ``forward_saved(output)``."""
    class MyExp(lib.autograd.Function):
        generate_vmap_rule = vmap_rule

        @staticmethod
        def forward(x):
            return lib.exp(x)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)
            ctx.save_for_forward(forward_saved(output))

        @staticmethod
        def backward(ctx, grad_output):
            result, = ctx.saved_tensors
            return grad_output * result

        @staticmethod
        def jvp(ctx, x_tangent):
            saved, = ctx.saved_tensors
            return x_tangent * saved
    return MyExp


def training_step(optimizer, loss_of):
    """A step that minimizes ``loss_of(x)`` with ``optimizer`` and returns the loss.
    (Compiled, the step is this module's function: a trace takes NumPy creators such as
    np.hanning called in ``loss_of`` for constants only in the compiled function's own
    module, so a loss using them needs a step defined beside it.)"""
    def step(x):
        optimizer.zero_grad()
        loss = loss_of(x)
        loss.backward()
        optimizer.step()
        return loss
    return step


def optimizer_with_added_group(lib, make_schedule):
    """SGD over one parameter (lr 0.1, momentum 0.9), its schedule
    ``make_schedule(lib.optim.lr_scheduler, opt)``, and then a second group (lr 1.0)."""
    opt = lib.optim.SGD([lib.nn.Parameter(lib.zeros(1))], lr=0.1, momentum=0.9)
    schedule = make_schedule(lib.optim.lr_scheduler, opt)
    opt.add_param_group({"params": [lib.nn.Parameter(lib.zeros(2))], "lr": 1.0})
    return opt, schedule
