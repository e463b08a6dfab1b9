"""Twenty-fifth round of PyTorch scripts (see test_torch_scripts_twentyfifth.py):
idioms.  ``torch.func`` on a model (``functional_call`` under ``jacrev``, ``hessian``,
``vmap`` of per-sample gradients); a custom ``autograd.Function`` with
``mark_non_differentiable`` and ``once_differentiable`` inside a training step; forward
pre-hooks that edit the input and full backward hooks that scale gradients; the tensor
API corners scripts lean on (integer division and remainder signs, dtype promotion of
int and bool tensors with Python floats, ``where`` with scalars, stable sorts, 0-d
tensor methods, ``scatter_reduce``/``index_put_`` accumulations, ``einsum`` forms);
distillation from a teacher at a temperature on mixup batches; magnitude-pruning masks
kept by a gradient hook.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(252525)


def test_jacobian_hessian_and_per_sample_gradients_of_a_model():
    inputs = DATA.normal(size=(4, 3))
    targets = DATA.normal(size=(4,))

    def script(torch, copy_weights):
        functional_call, grad, hessian, jacrev, vmap = (
            torch.func.functional_call, torch.func.grad, torch.func.hessian,
            torch.func.jacrev, torch.func.vmap)
        model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(),
                                    torch.nn.Linear(5, 1))
        copy_weights(model)
        params = {k: v.detach() for k, v in model.named_parameters()}
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)

        def loss(p, xi, yi):
            return (functional_call(model, p, (xi,)).squeeze(-1) - yi).pow(2).mean()

        per_sample = vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y)
        jac = jacrev(lambda xi: functional_call(model, params, (xi,)))(x[0])
        hess = hessian(lambda xi: loss(params, xi, y[0]))(x[1])
        norms = sorted(float(g.norm()) for g in per_sample.values())
        return norms, jac.abs().sum(), hess, loss(params, x, y)
    side_by_side(script)


def test_custom_function_with_non_differentiable_output_in_training():
    inputs = DATA.normal(size=(6, 4))

    def script(torch, copy_weights):
        once_differentiable = torch.autograd.function.once_differentiable

        class ClippedSquare(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x, limit):
                # (function forms: the library's forward receives arrays)
                clipped = torch.clamp(x, -limit, limit)
                mask = torch.abs(x) <= limit
                ctx.save_for_backward(clipped, mask)
                ctx.mark_non_differentiable(mask)
                return clipped * clipped, mask

            @staticmethod
            @once_differentiable
            def backward(ctx, grad_out, grad_mask):
                clipped, mask = ctx.saved_tensors
                return grad_out * 2 * clipped * mask, None

        layer = torch.nn.Linear(4, 4)
        copy_weights(layer)
        optimizer = torch.optim.SGD(layer.parameters(), lr=0.05, momentum=0.5)
        x = torch.from_numpy(inputs)
        losses, kept = [], []
        for _ in range(3):
            optimizer.zero_grad()
            squared, mask = ClippedSquare.apply(layer(x), 0.8)
            loss = squared.sum() + mask.sum() * 0.0
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
            kept.append(mask.sum())
        return losses, kept, mask.requires_grad, layer
    side_by_side(script)


def test_forward_pre_hooks_and_full_backward_hooks():
    inputs = DATA.normal(size=(3, 4))

    def script(torch, copy_weights):
        nn = torch.nn
        first, second = nn.Linear(4, 4), nn.Linear(4, 2)
        model = nn.Sequential(first, nn.ReLU(), second)
        copy_weights(model)
        seen = []

        def centre(module, args):
            return (args[0] - args[0].mean(0, keepdim=True),)

        def scale_input_grad(module, grad_input, grad_output):
            seen.append(grad_output[0].detach().clone())
            return (grad_input[0] * 0.5,)

        def record(module, args, output):
            seen.append(output.detach().clone())

        handles = [first.register_forward_pre_hook(centre),
                   second.register_full_backward_hook(scale_input_grad),
                   model.register_forward_hook(record)]
        x = torch.tensor(inputs, requires_grad=True)
        model(x).pow(2).sum().backward()
        grads = [x.grad.clone(), first.weight.grad.norm()]
        for handle in handles:
            handle.remove()
        x.grad = None
        model(x).pow(2).sum().backward()
        return seen, grads, x.grad
    side_by_side(script)


def test_tensor_corners_scripts_lean_on():
    def script(torch, copy_weights):
        ints = torch.tensor([-7, 7, -8, 9])
        flags = torch.tensor([[True, False], [False, True]])
        x = torch.tensor([3.0, 1.0, 3.0, 2.0, 1.0])
        out = [
            ints // 2, ints % 3, ints % -3, torch.fmod(ints, 3),
            torch.div(ints, 2, rounding_mode="trunc"), torch.div(ints, 2),
            torch.remainder(ints.double() * 0.5, -2), ints * 1.5,
            torch.tensor([1, 2], dtype=torch.int32) + 2.5, flags + 1, flags * 1.5,
            flags.sum(), torch.where(flags, 1.0, 0), torch.where(flags, ints[:2], 0.5),
            x.sort(stable=True, descending=True), x.argsort(stable=True),
            torch.tensor(2.0).argsort(), torch.tensor(2.0).topk(1),
            torch.tensor(2.0).cumsum(0), torch.tensor(2.0).max(dim=0),
            torch.tensor(2.0).nonzero(as_tuple=True), torch.tensor(2.0).unique(),
            torch.zeros(3).scatter_reduce(0, torch.tensor([0, 0, 2]),
                                          torch.tensor([1.0, 2.0, 3.0]), reduce="amax",
                                          include_self=False),
            torch.zeros(2, 2).index_put_((torch.tensor([0, 0]), torch.tensor([1, 1])),
                                         torch.tensor([5.0, 6.0]), accumulate=True),
            torch.einsum("ii", torch.eye(3) * 2), torch.einsum("i,j", x[:2], x[:3]),
            torch.tensor([1, 2, 3]).repeat_interleave(torch.tensor([1, 0, 2])),
            torch.tensor([1, 2, 2, 3, 3, 3]).unique_consecutive(return_counts=True),
            torch.tensor([[1, 2], [1, 2], [3, 4]]).unique(dim=0, return_inverse=True),
            torch.tensor([0.5, 1.5, 2.5, -0.5]).round(), torch.tensor([1.7, -1.7]).long(),
            torch.bucketize(torch.tensor([0.5, 2.0, 3.5]), torch.tensor([1.0, 2.0, 3.0])),
        ]
        return out
    side_by_side(script)


def test_distillation_with_mixup_and_a_temperature():
    images = DATA.normal(size=(6, 5))
    labels = np.array([0, 2, 1, 2, 0, 1])
    shuffle = np.array([3, 0, 5, 1, 4, 2])
    lam = 0.3

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        teacher = nn.Sequential(nn.Linear(5, 8), nn.SiLU(), nn.Linear(8, 3))
        student = nn.Sequential(nn.Linear(5, 3))
        copy_weights(teacher, student)
        teacher.eval()
        optimizer = torch.optim.SGD(student.parameters(), lr=0.1, nesterov=True, momentum=0.9,
                                    dampening=0.0)
        x, y = torch.from_numpy(images), torch.from_numpy(labels)
        order = torch.from_numpy(shuffle)
        losses = []
        for _ in range(3):
            mixed = lam * x + (1 - lam) * x[order]
            with torch.no_grad():
                soft = F.log_softmax(teacher(mixed) / 2.0, dim=-1)
            logits = student(mixed)
            hard = lam * F.cross_entropy(logits, y) + (1 - lam) * F.cross_entropy(logits, y[order])
            distil = F.kl_div(F.log_softmax(logits / 2.0, dim=-1), soft, reduction="batchmean",
                              log_target=True) * 4.0
            loss = 0.5 * hard + 0.5 * distil
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append((hard.detach(), distil.detach()))
        return losses, student
    side_by_side(script)


def test_magnitude_pruning_masks_kept_through_training():
    inputs = DATA.normal(size=(4, 6))

    def script(torch, copy_weights):
        nn = torch.nn
        layer = nn.Linear(6, 5)
        copy_weights(layer)
        with torch.no_grad():
            threshold = layer.weight.abs().flatten().kthvalue(12).values
            mask = (layer.weight.abs() > threshold).to(layer.weight.dtype)
            layer.weight.mul_(mask)
        layer.weight.register_hook(lambda g: g * mask)
        optimizer = torch.optim.Adam(layer.parameters(), lr=0.05)
        x = torch.from_numpy(inputs)
        for _ in range(3):
            optimizer.zero_grad()
            layer(x).pow(2).sum().backward()
            optimizer.step()
        zeros = (layer.weight == 0).sum()
        return zeros, mask.sum(), layer
    side_by_side(script)
