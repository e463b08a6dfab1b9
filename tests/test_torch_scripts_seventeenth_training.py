"""The seventeenth round of PyTorch scripts, training habits (see
test_torch_scripts_seventeenth.py for the method): ``nn.Embedding(max_norm=)`` renorming
the rows a batch reads in place while training, ``Embedding.from_pretrained(freeze=False,
max_norm=, norm_type=1)`` beside ``F.embedding(max_norm=)``, gradients clamped by
tensor hooks and then by ``clip_grad_value_``, ``clip_grad_value_(foreach=True)`` on a
list and on one parameter, and ``optim.LBFGS`` with a closure on a regularised logistic
regression (its ``n_iter`` / ``func_evals`` state).  Every script here ran unchanged."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1720)


def test_embedding_max_norm_renorms_rows_while_training():
    idx = DATA.integers(0, 10, size=(4, 5))

    def script(torch, copy_weights):
        nn = torch.nn
        emb = nn.Embedding(10, 4, max_norm=1.0)
        with torch.no_grad():
            emb.weight.mul_(3)
        copy_weights(emb)
        head = nn.Linear(4, 2)
        copy_weights(head)
        opt = torch.optim.SGD(list(emb.parameters()) + list(head.parameters()), lr=0.5)
        i = torch.from_numpy(idx)
        out = []
        for _ in range(3):
            opt.zero_grad()
            loss = head(emb(i).mean(1)).pow(2).sum()
            loss.backward()
            opt.step()
            out.append(loss.item())
        norms = emb.weight.detach().norm(dim=1)
        used = torch.unique(i)
        return out, norms, used, emb.weight.grad, emb
    side_by_side(script)


def test_embedding_from_pretrained_with_max_norm_and_functional_embedding():
    W = DATA.normal(size=(6, 3)) * 2
    idx = DATA.integers(0, 6, size=(3, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        emb = nn.Embedding.from_pretrained(torch.from_numpy(W.copy()), freeze=False, max_norm=1.5,
                                           norm_type=1.0)
        out = emb(torch.from_numpy(idx))
        out.sum().backward()
        w2 = torch.from_numpy(W.copy())
        f = F.embedding(torch.from_numpy(idx), w2, max_norm=2.0)
        return out, emb.weight, emb.weight.grad, f, w2
    side_by_side(script)


def test_gradients_clamped_by_hooks_then_clip_grad_value():
    xs = DATA.normal(size=(8, 3)) * 10
    ys = DATA.normal(size=(8, 1)) * 10

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
        copy_weights(model)
        for p in model.parameters():
            p.register_hook(lambda grad: torch.clamp(grad, -5.0, 5.0))
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        out = []
        for step in range(3):
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(torch.from_numpy(xs)), torch.from_numpy(ys))
            loss.backward()
            maxg = max(torch.abs(p.grad).max().item() for p in model.parameters())
            nn.utils.clip_grad_value_(model.parameters(), clip_value=1.0)
            maxc = max(torch.abs(p.grad).max().item() for p in model.parameters())
            opt.step()
            out.append((loss.item(), maxg, maxc))
        return out, model
    side_by_side(script)


def test_clip_grad_value_foreach_on_a_list_and_one_parameter():
    g = [DATA.normal(size=(3, 2)) * 5, DATA.normal(size=4) * 5]

    def script(torch, copy_weights):
        ps = [torch.nn.Parameter(torch.zeros(3, 2)), torch.nn.Parameter(torch.zeros(4))]
        for p, gi in zip(ps, g):
            p.grad = torch.from_numpy(gi.copy())
        torch.nn.utils.clip_grad_value_(ps, 1.5, foreach=True)
        a = [p.grad.clone() if hasattr(p.grad, "clone") else p.grad.copy() for p in ps]
        torch.nn.utils.clip_grad_value_(ps[0], 0.5)
        return a, ps[0].grad
    side_by_side(script)


def test_lbfgs_with_a_closure_on_logistic_regression():
    X = DATA.normal(size=(30, 3))
    y = (X @ np.array([1.5, -1.0, 0.5]) + 0.3 * DATA.normal(size=30) > 0).astype(float)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Linear(3, 1)
        copy_weights(model)
        x, t = torch.from_numpy(X), torch.from_numpy(y).unsqueeze(1)
        optimizer = torch.optim.LBFGS(model.parameters(), lr=1, max_iter=20, history_size=5,
                                      tolerance_grad=1e-9, tolerance_change=1e-12)
        calls = []
        def closure():
            optimizer.zero_grad()
            loss = F.binary_cross_entropy_with_logits(model(x), t)
            loss = loss + 1e-2 * model.weight.pow(2).sum()
            loss.backward()
            calls.append(loss.item())
            return loss
        first = optimizer.step(closure)
        second = optimizer.step(closure)
        state = optimizer.state[model.weight]           # L-BFGS keeps its state on the first
        return first.item(), second.item(), calls, model, state["n_iter"], state["func_evals"]
    side_by_side(script)
