"""Twenty-fifth round of PyTorch scripts (see test_torch_scripts_twentyfifth.py):
second-order training.  A WGAN-style critic with a gradient penalty taken by
``autograd.grad(create_graph=True)`` through convolutions, layer normalisation, GELU
and a hand-written attention softmax; a hyper-gradient step through an inner SGD update; Tensor
gradient hooks that rescale a branch; Hessian-vector products by
``autograd.functional.hvp`` and ``vhp``.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(25002)


def test_critic_with_gradient_penalty_through_conv_norm_and_attention():
    real = DATA.normal(size=(3, 2, 6))
    fake = DATA.normal(size=(3, 2, 6))
    mixing = DATA.uniform(size=(3, 1, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        conv = nn.Conv1d(2, 4, 3, padding=1)
        norm = nn.LayerNorm(6)
        attend = nn.Linear(4, 12)        # (PyTorch's fused attention has no double backward)
        score = nn.Linear(4, 1)
        critic = nn.ModuleList([conv, norm, attend, score])
        copy_weights(critic)
        optimizer = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))

        def judge(x):
            h = F.gelu(norm(conv(x))).transpose(1, 2)           # (3, 6, 4)
            q, k, v = attend(h).chunk(3, dim=-1)
            h = F.softmax(q @ k.transpose(1, 2) / 2.0, dim=-1) @ v
            return score(h.mean(1)).squeeze(1)

        losses = []
        for _ in range(2):
            optimizer.zero_grad()
            r, f = torch.from_numpy(real), torch.from_numpy(fake)
            between = (torch.from_numpy(mixing) * r + (1 - torch.from_numpy(mixing)) * f)
            between.requires_grad_(True)
            grads, = torch.autograd.grad(judge(between).sum(), between, create_graph=True)
            penalty = ((grads.flatten(1).norm(dim=1) - 1) ** 2).mean()
            loss = judge(f).mean() - judge(r).mean() + 10 * penalty
            loss.backward()
            optimizer.step()
            losses.append((loss.detach(), penalty.detach()))
        return losses, [p.grad.norm() for p in critic.parameters()]
    side_by_side(script)


def test_hyper_gradient_through_an_inner_sgd_step_and_tensor_hooks():
    inputs = DATA.normal(size=(5, 3))
    targets = DATA.normal(size=(5, 1))

    def script(torch, copy_weights):
        F = torch.nn.functional
        model = torch.nn.Linear(3, 1)
        copy_weights(model)
        log_lr = torch.tensor(-2.0, requires_grad=True)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        names = [name for name, _ in model.named_parameters()]
        params = [p for _, p in model.named_parameters()]
        inner = F.mse_loss(model(x), y)
        grads = torch.autograd.grad(inner, params, create_graph=True)
        stepped = {n: p - log_lr.exp() * g for n, p, g in zip(names, params, grads)}
        hidden = torch.func.functional_call(model, stepped, (x[:3],))
        hidden.register_hook(lambda g: g * 3.0)
        outer = F.mse_loss(hidden, y[:3]) + F.mse_loss(
            torch.func.functional_call(model, stepped, (x[3:],)), y[3:])
        outer.backward()
        return inner, outer, log_lr.grad, [p.grad for p in params][1]
    side_by_side(script)


def test_hessian_vector_products_of_a_small_network():
    weights = DATA.normal(size=(3, 4))
    direction = DATA.normal(size=(3, 4))
    inputs = DATA.normal(size=(6, 3))

    def script(torch, copy_weights):
        x = torch.from_numpy(inputs)

        def loss(w):
            return torch.tanh(x @ w).pow(2).sum() + 0.1 * w.pow(4).sum()

        w, v = torch.from_numpy(weights), torch.from_numpy(direction)
        value, hv = torch.autograd.functional.hvp(loss, w, v)
        _, vh = torch.autograd.functional.vhp(loss, w, v)
        _, jv = torch.autograd.functional.jvp(loss, w, v)
        hess = torch.autograd.functional.hessian(lambda u: loss(u.reshape(3, 4)), w.flatten())
        return value, hv, vh, jv, hess
    side_by_side(script)
