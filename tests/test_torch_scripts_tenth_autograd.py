"""The tenth round of PyTorch scripts (pytorch.org's tutorials and docs examples as
written, run with PyTorch and with ``autodiff`` from the same weights, compared to
1e-10 in float64): the "Autograd mechanics" page (``grad_fn`` in ``no_grad``,
``set_grad_enabled`` as a context and a function, ``inference_mode`` as a context and
a decorator, ``retain_grad`` beside tensor hooks that rescale, hooks on non-leaf
tensors), the "Hooks for saved tensors" tutorial (``saved_tensors_hooks`` that log,
that count and that keep the saved values in files, ``save_on_cpu``), "Fusing
Convolution and Batch Norm using Custom Function" and "Extending torch.func with
autograd.Function" (``setup_context``, ``ctx.save_for_backward`` of outputs,
``generate_vmap_rule``, a ``vmap`` staticmethod, ``jvp`` rules)."""

from __future__ import annotations

import os
import tempfile
import uuid

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(102)


def test_autograd_mechanics_locally_disabling_gradient_computation():
    def script(torch, copy_weights):
        seen = []
        x = torch.zeros(1, requires_grad=True)
        with torch.no_grad():
            y = x * 2
        seen.append(y.requires_grad)
        is_train = False
        with torch.set_grad_enabled(is_train):
            y = x * 2
        seen.append(y.requires_grad)
        torch.set_grad_enabled(True)  # this can also be used as a function
        y = x * 2
        seen.append(y.requires_grad)
        torch.set_grad_enabled(False)
        y = x * 2
        seen.append(y.requires_grad)
        seen.append(torch.is_grad_enabled())
        torch.set_grad_enabled(True)
        seen.append(torch.is_grad_enabled())

        x = torch.ones(1, 2, 3, requires_grad=True)
        with torch.inference_mode():
            y = x * x
            seen.append(torch.is_inference_mode_enabled())
        seen.append(y.requires_grad)
        seen.append(torch.is_inference_mode_enabled())

        @torch.inference_mode()
        def func(x):
            return x * x

        out = func(x)
        seen.append(out.requires_grad)

        @torch.no_grad()
        def doubler(x):
            return x * 2

        z = doubler(x)
        seen.append(z.requires_grad)

        @torch.enable_grad()
        def tripler(x):
            return x * 3

        with torch.no_grad():
            z = tripler(x)
        seen.append(z.requires_grad)
        with torch.no_grad():
            with torch.enable_grad():
                w = x * 2
        seen.append(w.requires_grad)
        return seen, y, out, z
    side_by_side(script)


def test_autograd_mechanics_retain_grad_and_tensor_hooks_in_their_order():
    values = DATA.normal(size=3)

    def script(torch, copy_weights):
        a = torch.from_numpy(values.copy()).requires_grad_()
        t = a.sin()
        t.retain_grad()
        t.register_hook(lambda grad: grad * 2)
        t.sum().backward()
        first = (t.grad, a.grad)

        a.grad = None
        t = a.sin()
        t.register_hook(lambda grad: grad * 2)
        t.retain_grad()
        t.sum().backward()
        second = (t.grad, a.grad, t.is_leaf, t.retains_grad, a.retains_grad)

        a.grad = None
        seen = []
        b = a * 3
        handle = b.register_hook(lambda grad: seen.append(grad * 1))
        (b ** 2).sum().backward()
        handle.remove()
        c = a.exp()
        c.register_hook(lambda grad: grad * 0.5)
        c.register_hook(lambda grad: grad + 1)
        c.sum().backward()
        return first, second, seen, a.grad
    side_by_side(script)


def test_saved_tensors_hooks_that_log_count_and_save_to_files():
    values = DATA.normal(size=5)

    def script(torch, copy_weights):
        packed = []
        unpacked = []

        def pack_hook(x):
            packed.append(x.clone())
            return x

        def unpack_hook(x):
            unpacked.append(x.clone())
            return x

        a = torch.ones(5, requires_grad=True)
        b = torch.ones(5, requires_grad=True) * 2
        with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
            y = a * b
        y.sum().backward()
        logged = (a.grad, len(packed) > 0, len(unpacked) == len(packed))

        class SelfDeletingTempFile():
            def __init__(self):
                self.name = os.path.join(tmp_dir, str(uuid.uuid4()))

            def __del__(self):
                os.remove(self.name)

        def pack_to_file(tensor):
            temp_file = SelfDeletingTempFile()
            torch.save(tensor, temp_file.name)
            return temp_file

        def unpack_from_file(temp_file):
            return torch.load(temp_file.name)

        with tempfile.TemporaryDirectory() as tmp_dir:
            x = torch.from_numpy(values.copy()).requires_grad_()
            with torch.autograd.graph.saved_tensors_hooks(pack_to_file, unpack_from_file):
                y = x.pow(2).exp()
            y.sum().backward()
            gone = None
            del y
            gone = os.listdir(tmp_dir)
        from_files = (x.grad, gone)

        x.grad = None
        with torch.autograd.graph.save_on_cpu(pin_memory=False):
            y = (x * x).sin()
        y.sum().backward()
        return logged, from_files, x.grad
    side_by_side(script)


def test_fusing_convolution_and_batch_norm_with_custom_functions():
    inputs = DATA.normal(size=(2, 3, 6, 6))

    def script(torch, copy_weights):
        F = torch.nn.functional

        def convolution_backward(grad_out, X, weight):
            grad_input = F.conv2d(X.transpose(0, 1), grad_out.transpose(0, 1)).transpose(0, 1)
            grad_X = F.conv_transpose2d(grad_out, weight)
            return grad_X, grad_input

        class Conv2D(torch.autograd.Function):
            @staticmethod
            def forward(ctx, X, weight):
                ctx.save_for_backward(X, weight)
                return F.conv2d(X, weight)

            # Use @once_differentiable by default unless we intend to double backward
            @staticmethod
            @torch.autograd.function.once_differentiable
            def backward(ctx, grad_out):
                # (arrays here: made Tensors for the tutorial's Tensor methods)
                grad_out, X, weight = map(torch.as_tensor, (grad_out, *ctx.saved_tensors))
                return convolution_backward(grad_out, X, weight)

        weight = torch.rand(2, 3, 3, 3, requires_grad=True, dtype=torch.double)
        X = torch.rand(2, 3, 5, 5, requires_grad=True, dtype=torch.double)
        checks = [torch.autograd.gradcheck(Conv2D.apply, (X, weight))]

        def unsqueeze_all(t):
            # Helper function to ``unsqueeze`` all the dimensions that we reduce over
            return t[None, :, None, None]

        def batch_norm_backward(grad_out, X, sum, sqrt_var, N, eps):
            tmp = ((X - unsqueeze_all(sum) / N) * grad_out).sum(dim=(0, 2, 3))
            tmp *= -1
            d_denom = tmp / (sqrt_var + eps)**2  # ``d_denom = -num / denom**2``
            d_var = d_denom / (2 * sqrt_var)  # ``denom = torch.sqrt(var) + eps``
            d_mean_dx = grad_out / unsqueeze_all(sqrt_var + eps)  # ``d_mean_dx = 1 / denom``
            d_mean_dx = unsqueeze_all(-d_mean_dx.sum(dim=(0, 2, 3)) / N)
            grad_input = X * unsqueeze_all(d_var * N)
            grad_input += unsqueeze_all(-d_var * sum)
            grad_input *= 2 / ((N - 1) * N)
            grad_input += d_mean_dx
            grad_input *= unsqueeze_all(sqrt_var + eps)
            grad_input += grad_out
            grad_input /= unsqueeze_all(sqrt_var + eps)  # ``sqrt_var + eps > 0!``
            return grad_input

        class BatchNorm(torch.autograd.Function):
            @staticmethod
            def forward(ctx, X, eps=1e-3):
                # (arrays here: made Tensors for the tutorial's Tensor methods)
                X = torch.as_tensor(X)
                # Don't save ``keepdim`` values for backward
                sum = X.sum(dim=(0, 2, 3))
                var = X.var(unbiased=True, dim=(0, 2, 3))
                N = X.numel() / X.size(1)
                sqrt_var = torch.sqrt(var)
                ctx.save_for_backward(X)
                ctx.eps = eps
                ctx.sum = sum
                ctx.N = N
                ctx.sqrt_var = sqrt_var
                mean = sum / N
                denom = sqrt_var + eps
                out = X - unsqueeze_all(mean)
                out /= unsqueeze_all(denom)
                return out

            @staticmethod
            @torch.autograd.function.once_differentiable
            def backward(ctx, grad_out):
                # (arrays here: made Tensors for the tutorial's Tensor methods)
                grad_out, X = map(torch.as_tensor, (grad_out, *ctx.saved_tensors))
                return batch_norm_backward(grad_out, X, ctx.sum, ctx.sqrt_var, ctx.N, ctx.eps)

        a = torch.rand(1, 2, 3, 4, requires_grad=True, dtype=torch.double)
        checks.append(torch.autograd.gradcheck(BatchNorm.apply, (a,), fast_mode=False))

        class FusedConvBN2DFunction(torch.autograd.Function):
            @staticmethod
            def forward(ctx, X, conv_weight, eps=1e-3):
                assert X.ndim == 4  # N, C, H, W
                # (arrays here: made Tensors for the tutorial's Tensor methods)
                X, conv_weight = torch.as_tensor(X), torch.as_tensor(conv_weight)
                # (1) Only need to save this single buffer for backward!
                ctx.save_for_backward(X, conv_weight)
                # (2) Exact same Conv2D forward from example above
                X = F.conv2d(X, conv_weight)
                # (3) Exact same BatchNorm2D forward from example above
                sum = X.sum(dim=(0, 2, 3))
                var = X.var(unbiased=True, dim=(0, 2, 3))
                N = X.numel() / X.size(1)
                sqrt_var = torch.sqrt(var)
                ctx.eps = eps
                ctx.sum = sum
                ctx.N = N
                ctx.sqrt_var = sqrt_var
                mean = sum / N
                denom = sqrt_var + eps
                # Try to do as many things in-place as possible
                # Instead of `out = (X - a) / b`, doing `out = X - a; out /= b`
                # avoids allocating one extra NCHW-sized buffer here
                out = X - unsqueeze_all(mean)
                out /= unsqueeze_all(denom)
                return out

            @staticmethod
            def backward(ctx, grad_out):
                # (arrays here: made Tensors for the tutorial's Tensor methods)
                grad_out = torch.as_tensor(grad_out)
                X, conv_weight, = ctx.saved_tensors
                # (4) Batch norm backward
                # (5) We need to recompute conv
                X_conv_out = F.conv2d(X, conv_weight)
                grad_out = batch_norm_backward(grad_out, X_conv_out, ctx.sum, ctx.sqrt_var,
                                               ctx.N, ctx.eps)
                # (6) Conv2d backward
                grad_X, grad_input = convolution_backward(grad_out, X, conv_weight)
                return grad_X, grad_input, None, None, None, None, None

        weight = torch.rand(2, 3, 3, 3, requires_grad=True, dtype=torch.double)
        X = torch.rand(2, 3, 4, 4, requires_grad=True, dtype=torch.double)
        checks.append(torch.autograd.gradcheck(FusedConvBN2DFunction.apply, (X, weight)))

        nn = torch.nn

        class FusedConvBN(nn.Module):
            def __init__(self, in_channels, out_channels, kernel_size, exp_avg_factor=0.1,
                         eps=1e-3, device=None, dtype=None):
                super(FusedConvBN, self).__init__()
                factory_kwargs = {'device': device, 'dtype': dtype}
                # Conv parameters
                weight_shape = (out_channels, in_channels, kernel_size, kernel_size)
                self.conv_weight = nn.Parameter(torch.empty(*weight_shape, **factory_kwargs))
                # Batch norm parameters
                num_features = out_channels
                self.num_features = num_features
                self.eps = eps
                # Initialize
                self.reset_parameters()

            def forward(self, X):
                return FusedConvBN2DFunction.apply(X, self.conv_weight, self.eps)

            def reset_parameters(self) -> None:
                nn.init.kaiming_uniform_(self.conv_weight, a=math.sqrt(5))

        import math
        model = FusedConvBN(3, 4, 3)
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        x = torch.from_numpy(inputs)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            out = model(x)
            loss = (out[:, 0] ** 2).mean() + out[:, 1:].sin().mean()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return checks, losses, model
    side_by_side(script)


def test_extending_torch_func_with_autograd_function():
    values = DATA.normal(size=(2, 3))
    batch = DATA.normal(size=(4, 3))
    scalar = float(DATA.normal())

    def script(torch, copy_weights):

        def to_numpy(tensor):
            return tensor.cpu().numpy()

        class NumpySort(torch.autograd.Function):
            # Note that forward does not take ctx
            @staticmethod
            def forward(x, dim):
                # (arrays here: made Tensors for the tutorial's Tensor methods)
                x = torch.as_tensor(x)
                device = x.device
                x = to_numpy(x)
                ind = np.argsort(x, axis=dim)
                ind_inv = np.argsort(ind, axis=dim)
                result = np.take_along_axis(x, ind, axis=dim)
                # Any intermediates to be saved in backward must be returned as
                # outputs.
                return (
                    # The desired output
                    torch.tensor(result, device=device),
                    # intermediate to save for backward
                    torch.tensor(ind, device=device),
                    # intermediate to save for backward
                    torch.tensor(ind_inv, device=device),
                )

            # setup_context is responsible for calling methods and/or assigning to
            # the ctx object. Please do not do additional compute (e.g. add
            # Tensors together) in setup_context.
            @staticmethod
            def setup_context(ctx, inputs, output):
                x, dim = inputs
                # Note that output is whatever you returned from forward.
                # If you returned multiple values, then output is a Tuple of multiple values.
                # If you returned a single Tensor, then output is a Tensor.
                # If you returned a Tuple with a single Tensor, then output is a
                # Tuple with a single Tensor.
                _, ind, ind_inv = output
                ctx.mark_non_differentiable(ind, ind_inv)
                # Tensors must be saved via ctx.save_for_backward. Please do not
                # assign them directly onto the ctx object.
                ctx.save_for_backward(ind, ind_inv)
                # Non-tensors may be saved by assigning them as attributes on the ctx object.
                ctx.dim = dim

            @staticmethod
            def backward(ctx, grad_output, _0, _1):
                # For the autograd.Function to be arbitrarily composable with function
                # transforms, all staticmethod other than forward and setup_context
                # must be implemented in a "transformable" way; that is, they must
                # only consist of PyTorch operations or autograd.Function.
                #
                # For example, this allows us to do double backwards and/or compute
                # second order gradients.
                #
                # We've written the backward pass of NumpySort in terms of another
                # autograd.Function, NumpyTake.
                ind, ind_inv = ctx.saved_tensors
                return NumpyTake.apply(grad_output, ind_inv, ind, ctx.dim), None

        class NumpyTake(torch.autograd.Function):
            @staticmethod
            def forward(x, ind, ind_inv, dim):
                # (arrays here: made Tensors for the tutorial's Tensor methods)
                x, ind = torch.as_tensor(x), torch.as_tensor(ind)
                device = x.device
                x = to_numpy(x)
                ind = to_numpy(ind)
                return torch.tensor(np.take_along_axis(x, ind, dim), device=device)

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, ind, ind_inv, dim = inputs
                ctx.save_for_backward(ind, ind_inv)
                ctx.dim = dim

            @staticmethod
            def backward(ctx, grad_output):
                ind, ind_inv = ctx.saved_tensors
                result = NumpyTake.apply(grad_output, ind_inv, ind, ctx.dim)
                return result, None, None, None

        def numpy_sort(x, dim=-1):
            result, _, _ = NumpySort.apply(x, dim)
            return result

        x = torch.from_numpy(values.copy())
        grad_x = torch.func.grad(lambda x: numpy_sort(x).sum())(x)
        assert torch.allclose(grad_x, torch.ones_like(x))
        weights = torch.arange(3.0)
        grad_weighted = torch.func.grad(lambda x: (numpy_sort(x) * weights).sum())(x)

        class MyExp(torch.autograd.Function):
            # forward() no longer accepts a ctx object
            @staticmethod
            def forward(x):
                # (an array here: torch.exp(x) for the tutorial's x.exp())
                result = torch.exp(x)
                return result

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, = inputs
                result = output
                ctx.save_for_backward(result)
                ctx.save_for_forward(result)

            @staticmethod
            def backward(ctx, grad_output):
                result, = ctx.saved_tensors
                return grad_output * result

            @staticmethod
            def jvp(ctx, x_tangent):
                result, = ctx.saved_tensors
                return x_tangent * result

        def my_exp(x):
            return MyExp.apply(x)

        s = torch.tensor(scalar)
        grad_grad_x = torch.func.grad(torch.func.grad(my_exp))(s)
        assert torch.allclose(grad_grad_x, s.exp())
        primal, tangent = torch.func.jvp(my_exp, (x,), (torch.ones_like(x),))

        class MyCube(torch.autograd.Function):
            # Set generate_vmap_rule to True to ask PyTorch to automatically generate
            # a vmap rule.
            generate_vmap_rule = True

            @staticmethod
            def forward(x):
                result = x ** 3
                # In regular PyTorch, if we had just run y = x ** 3, then the backward
                # pass computes dx = 3 * x ** 2. In this autograd.Function, we've done
                # that computation here in the forward pass instead.
                dx = 3 * x ** 2
                return result, dx

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, = inputs
                result, dx = output
                ctx.save_for_backward(x, dx)

            @staticmethod
            def backward(ctx, grad_output, grad_dx):
                x, dx = ctx.saved_tensors
                # In order for the autograd.Function to work with higher-order
                # gradients, we must add the gradient contribution of `dx`,
                # which is grad_dx * 6 * x.
                result = grad_output * dx + grad_dx * 6 * x
                return result

        def my_cube(x):
            result, _ = MyCube.apply(x)
            return result

        xb = torch.from_numpy(batch.copy())
        cubed = torch.vmap(my_cube)(xb)
        assert torch.allclose(cubed, xb ** 3)
        cube_grads = torch.vmap(torch.func.grad(my_cube))(xb[:, 0])
        cube_second = torch.func.grad(torch.func.grad(my_cube))(s)
        return (grad_x, grad_weighted, grad_grad_x, primal, tangent, cubed, cube_grads,
                cube_second)
    side_by_side(script)
