"""Fifteenth-round PyTorch scripts (see test_torch_scripts_fifteenth.py for how they
run), training utilities and ``torch.func``: ``clip_grad_norm_(foreach=True)`` under a
``LambdaLR`` linear-warmup-then-cosine schedule, gradient checkpointing of blocks by
``torch.utils.checkpoint.checkpoint(use_reentrant=False)``, forward-mode JVPs
(``torch.autograd.forward_ad``) through a transformer block, ``torch.func.jacrev`` of a
small network by ``functional_call``, a Newton step by ``torch.func.hessian``, and
per-sample gradient clipping for differential privacy by ``vmap(grad)``."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(15150)


def test_clip_grad_norm_foreach_under_lambdalr_warmup_then_cosine():
    inputs, targets = DATA.normal(size=(16, 5)), DATA.normal(size=(16, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1))
        copy_weights(model)
        optimizer = torch.optim.AdamW(model.parameters(), lr=3e-2)
        warmup, total = 3, 10

        def lr_lambda(step):
            if step < warmup:
                return float(step + 1) / warmup
            progress = (step - warmup) / max(1, total - warmup)
            return 0.5 * (1.0 + math.cos(math.pi * progress))

        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        norms, lrs = [], []
        for _ in range(total):
            loss = F.mse_loss(model(x), y) * 10
            optimizer.zero_grad()
            loss.backward()
            norms.append(nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5,
                                                  foreach=True).item())
            optimizer.step()
            scheduler.step()
            lrs.append(scheduler.get_last_lr()[0])
        return norms, lrs, model
    side_by_side(script)


def test_gradient_checkpointing_of_residual_blocks_without_reentrancy():
    inputs = DATA.normal(size=(4, 6))

    def script(torch, copy_weights):
        nn = torch.nn
        checkpoint = torch.utils.checkpoint.checkpoint

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks = nn.ModuleList([nn.Sequential(nn.LayerNorm(6), nn.Linear(6, 6),
                                                           nn.GELU()) for _ in range(3)])
                self.head = nn.Linear(6, 1)

            def forward(self, x, use_checkpoint):
                for block in self.blocks:
                    if use_checkpoint:
                        x = x + checkpoint(block, x, use_reentrant=False)
                    else:
                        x = x + block(x)
                return self.head(x).sum()

        model = Net()
        copy_weights(model)
        x = torch.from_numpy(inputs)
        results = []
        for flag in (True, False):
            model.zero_grad()
            loss = model(x, flag)
            loss.backward()
            results.append([p.grad * 1 for name, p in model.named_parameters()
                            if not name.endswith("1.weight") and name != "head.weight"])
        return loss, results[0], results[1], model.head.weight.grad.reshape(-1)
    theirs, ours = side_by_side(script)
    for checkpointed, plain in zip(ours[1], ours[2]):
        np.testing.assert_array_equal(checkpointed, plain)


def test_forward_ad_jvp_through_a_transformer_encoder_block():
    inputs, tangent = DATA.normal(size=(2, 4, 6)), DATA.normal(size=(2, 4, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        fwAD = torch.autograd.forward_ad

        class Block(nn.Module):
            def __init__(self, d=6):
                super().__init__()
                self.qkv = nn.Linear(d, 3 * d)
                self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
                self.ff = nn.Sequential(nn.Linear(d, 12), nn.GELU(), nn.Linear(12, d))

            def forward(self, x):
                q, k, v = self.qkv(self.norm1(x)).chunk(3, dim=-1)
                x = x + F.scaled_dot_product_attention(q, k, v)
                return x + self.ff(self.norm2(x))

        model = Block()
        copy_weights(model)
        x, t = torch.from_numpy(inputs), torch.from_numpy(tangent)
        with fwAD.dual_level():
            dual = fwAD.make_dual(x, t)
            out = fwAD.unpack_dual(model(dual))
            primal, jvp = out.primal, out.tangent
        xr = x.clone().requires_grad_(True)
        vjp, = torch.autograd.grad(model(xr), xr, grad_outputs=t)
        return primal, jvp, (jvp * t).sum(), (vjp * t).sum()
    theirs, ours = side_by_side(script)
    np.testing.assert_allclose(float(ours[2]), float(ours[3]), rtol=1e-12)   # <Jt, t> = <t, J^T t>


def test_jacrev_of_a_small_network_by_functional_call():
    inputs = DATA.normal(size=(3, 4))

    def script(torch, copy_weights):
        nn, func = torch.nn, torch.func
        model = nn.Sequential(nn.Linear(4, 5), nn.Softplus(), nn.Linear(5, 2))
        copy_weights(model)
        x = torch.from_numpy(inputs)
        jac_x = func.jacrev(model)(x[0])
        per_sample = func.vmap(func.jacrev(model))(x)
        params = {k: v.detach() for k, v in model.named_parameters()}
        jac_p = func.jacrev(lambda p: func.functional_call(model, p, (x,)))(params)
        return jac_x, per_sample, jac_p["2.bias"], jac_p["0.bias"]
    side_by_side(script)


def test_newton_step_by_func_hessian_on_logistic_regression():
    features = DATA.normal(size=(30, 3))
    labels = (features @ np.array([1.0, -2.0, 0.5]) + DATA.normal(size=30) > 0).astype(float)

    def script(torch, copy_weights):
        F, func = torch.nn.functional, torch.func
        X, y = torch.from_numpy(features), torch.from_numpy(labels)

        def loss_fn(w):
            return F.binary_cross_entropy_with_logits(X @ w, y) + 0.05 * w.pow(2).sum()

        w = torch.zeros(3)
        history = []
        for _ in range(4):
            g = func.grad(loss_fn)(w)
            H = func.hessian(loss_fn)(w)
            w = w - torch.linalg.solve(H, g)
            history.append(loss_fn(w).item())
        return w, history, H
    side_by_side(script)


def test_per_sample_gradient_clipping_for_differential_privacy_by_vmap_grad():
    inputs, labels = DATA.normal(size=(8, 4)), DATA.integers(0, 3, size=8)
    noise = DATA.normal(size=(3,))

    def script(torch, copy_weights):
        nn, F, func = torch.nn, torch.nn.functional, torch.func
        model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
        copy_weights(model)
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss_one(p, x, y):
            logits = func.functional_call(model, p, (x.unsqueeze(0),))
            return F.cross_entropy(logits, y.unsqueeze(0))

        x, y = torch.from_numpy(inputs), torch.from_numpy(labels)
        grads = func.vmap(func.grad(loss_one), in_dims=(None, 0, 0))(params, x, y)
        max_norm, sigma = 1.0, 0.5
        norms = torch.stack([g.flatten(1).norm(dim=1) for g in grads.values()]).norm(dim=0)
        factor = (max_norm / (norms + 1e-6)).clamp(max=1.0)
        clipped = {k: (g * factor.view(-1, *[1] * (g.dim() - 1))).sum(0) for k, g in grads.items()}
        bias_noise = torch.from_numpy(noise) * sigma * max_norm
        private_bias = (clipped["2.bias"] + bias_noise) / len(x)
        return norms, factor, clipped["2.bias"], clipped["0.bias"], private_bias
    side_by_side(script)
