"""The ninth round of PyTorch scripts (pytorch.org's tutorials as written, run with
PyTorch and with ``autodiff``, compared to 1e-10 in float64): custom autograd
Functions as the tutorials write them: "Learning PyTorch with Examples"
(``LegendrePolynomial3`` trained by hand with ``a.grad = None``), "Double Backward
with Custom Functions" (``Square``, ``Exp`` saving its output, ``Sinh`` returning its
intermediate results as outputs, ``gradcheck`` and ``gradgradcheck``) and "Extending PyTorch"
(``LinearFunction`` with ``setup_context`` and ``ctx.needs_input_grad``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(97)


def test_legendre_polynomial_custom_function_trained_by_hand():
    def script(torch, copy_weights):

        class LegendrePolynomial3(torch.autograd.Function):
            @staticmethod
            def forward(ctx, input):
                ctx.save_for_backward(input)
                return 0.5 * (5 * input ** 3 - 3 * input)

            @staticmethod
            def backward(ctx, grad_output):
                input, = ctx.saved_tensors
                return grad_output * 1.5 * (5 * input ** 2 - 1)

        dtype = torch.float
        x = torch.linspace(-math.pi, math.pi, 200, dtype=dtype)
        y = torch.sin(x)
        a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
        b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
        c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
        d = torch.full((), 0.3, dtype=dtype, requires_grad=True)
        learning_rate = 5e-6
        log = []
        for t in range(300):
            P3 = LegendrePolynomial3.apply
            y_pred = a + b * P3(c + d * x)
            loss = (y_pred - y).pow(2).sum()
            if t % 100 == 99:
                log.append((t, loss.item()))
            loss.backward()
            with torch.no_grad():
                a -= learning_rate * a.grad
                b -= learning_rate * b.grad
                c -= learning_rate * c.grad
                d -= learning_rate * d.grad
                a.grad = None
                b.grad = None
                c.grad = None
                d.grad = None
        result = f'Result: y = {a.item():.4f} + {b.item():.4f} * P3({c.item():.4f} + ' \
                 f'{d.item():.4f} x)'
        assert result.startswith('Result: y = ')   # (float32 round-off may flip -0.0000)
        return log, a, b, c, d
    side_by_side(script, tol=1e-5)


def test_double_backward_with_custom_functions_square_exp_and_sinh():
    values = DATA.uniform(size=(3, 3))

    def script(torch, copy_weights):

        class Square(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x**2

            @staticmethod
            def backward(ctx, grad_out):
                x, = ctx.saved_tensors
                return grad_out * 2 * x

        class Exp(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                result = torch.exp(x)
                ctx.save_for_backward(result)
                return result

            @staticmethod
            def backward(ctx, grad_out):
                result, = ctx.saved_tensors
                return result * grad_out

        class Sinh(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                expx = torch.exp(x)
                expnegx = torch.exp(-x)
                ctx.save_for_backward(expx, expnegx)
                # In order to be able to save the intermediate results, a trick is to
                # include them as our outputs, so that the backward graph is constructed
                return (expx - expnegx) / 2, expx, expnegx

            @staticmethod
            def backward(ctx, grad_out, _grad_out_exp, _grad_out_negexp):
                expx, expnegx = ctx.saved_tensors
                grad_input = grad_out * (expx + expnegx) / 2
                # We cannot skip accumulating these even though we won't use the outputs
                # directly. They will be used later in the second backward.
                grad_input += _grad_out_exp * expx
                grad_input -= _grad_out_negexp * expnegx
                return grad_input

        def sinh(x):
            # Create a wrapper that only returns the first output
            return Sinh.apply(x)[0]

        checks = []
        for function in (Square.apply, Exp.apply, sinh):
            x = torch.tensor(values, requires_grad=True, dtype=torch.double)
            checks.append(torch.autograd.gradcheck(function, x))
            checks.append(torch.autograd.gradgradcheck(function, x))
        x = torch.tensor(values, requires_grad=True, dtype=torch.double)
        out = sinh(x)
        grad_x, = torch.autograd.grad(out.sum(), x, create_graph=True)
        grad_grad_x, = torch.autograd.grad(grad_x.sum(), x)
        y = Exp.apply(x)
        first, = torch.autograd.grad(y.sum(), x, create_graph=True)
        second, = torch.autograd.grad(first.sum(), x)
        return checks, out, grad_x, grad_grad_x, first, second
    side_by_side(script)


def test_extending_pytorch_linear_function_with_setup_context_and_needs_input_grad():
    inputs = DATA.normal(size=(3, 5, 4))
    targets = DATA.normal(size=(3, 5, 2))
    weight_values = DATA.normal(size=(2, 4))

    def script(torch, copy_weights):
        nn = torch.nn

        class LinearFunction(torch.autograd.Function):

            # (forward, and backward in a plain backward pass, get NumPy arrays here:
            # the tutorial's input.mm(weight.t()), bias.unsqueeze(0).expand_as(output)
            # and grad_output.mm(weight) are written with torch.mm, .T and broadcasting)
            @staticmethod
            def forward(input, weight, bias):
                output = torch.mm(input, weight.T)
                if bias is not None:
                    output += bias
                return output

            @staticmethod
            def setup_context(ctx, inputs, output):
                input, weight, bias = inputs
                ctx.save_for_backward(input, weight, bias)

            @staticmethod
            def backward(ctx, grad_output):
                input, weight, bias = ctx.saved_tensors
                grad_input = grad_weight = grad_bias = None
                if ctx.needs_input_grad[0]:
                    grad_input = torch.mm(grad_output, weight)
                if ctx.needs_input_grad[1]:
                    grad_weight = torch.mm(grad_output.T, input)
                if bias is not None and ctx.needs_input_grad[2]:
                    grad_bias = grad_output.sum(0)
                return grad_input, grad_weight, grad_bias

        class Linear(nn.Module):
            def __init__(self, input_features, output_features, bias=True):
                super().__init__()
                self.input_features = input_features
                self.output_features = output_features
                self.weight = nn.Parameter(torch.from_numpy(weight_values.copy()))
                if bias:
                    self.bias = nn.Parameter(torch.zeros(output_features))
                else:
                    self.register_parameter('bias', None)

            def forward(self, input):
                return LinearFunction.apply(input, self.weight, self.bias)

            def extra_repr(self):
                return 'input_features={}, output_features={}, bias={}'.format(
                    self.input_features, self.output_features, self.bias is not None
                )

        layer = Linear(4, 2)
        text = repr(layer)
        optimizer = torch.optim.Adam(layer.parameters(), lr=0.05)
        losses = []
        for i in range(3):
            out = layer(torch.from_numpy(inputs[i]))
            loss = (out - torch.from_numpy(targets[i])).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        x = torch.from_numpy(inputs[0]).requires_grad_()
        w = torch.from_numpy(weight_values).requires_grad_()
        check = torch.autograd.gradcheck(LinearFunction.apply, (x, w, None))
        return text, losses, layer.weight, layer.bias, check
    side_by_side(script)
