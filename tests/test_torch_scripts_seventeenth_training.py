"""The seventeenth round of PyTorch scripts, training by function transforms (see
test_torch_scripts_seventeenth.py for the method): "gradients without backpropagation"
(a forward gradient: the loss's directional derivative along a random direction by
``enter_dual_level`` / ``make_dual`` of the weights through ``func.functional_call``,
then a step along the direction), an input-Jacobian penalty by ``vmap`` of
``jacrev(chunk_size=1)`` checked against ``jacfwd(randomness='same')``, training the
weight change of a network linearized by ``func.linearize`` (``out0 + jvp_fn(delta)``),
and ``clip_grad_value_(foreach=True)`` (its copies of ``.grad`` by ``torch.clone``:
``.grad`` is an array here, without ``.clone()``).  The penalty and the linearized
network ran only after fixes: ``jacrev`` refused ``chunk_size=`` (and ``jacfwd``
``randomness=``), and the second ``backward`` through a ``jvp_fn`` result raised "the
graph was already freed" (see _gaps.py)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1720)


def test_clip_grad_value_foreach_on_a_list_and_one_parameter():
    g = [DATA.normal(size=(3, 2)) * 5, DATA.normal(size=4) * 5]

    def script(torch, copy_weights):
        ps = [torch.nn.Parameter(torch.zeros(3, 2)), torch.nn.Parameter(torch.zeros(4))]
        for p, gi in zip(ps, g):
            p.grad = torch.from_numpy(gi.copy())
        torch.nn.utils.clip_grad_value_(ps, 1.5, foreach=True)
        a = [torch.clone(p.grad) for p in ps]     # (p.grad.clone() in PyTorch: an array here)
        torch.nn.utils.clip_grad_value_(ps[0], 0.5)
        return a, ps[0].grad
    side_by_side(script)


def test_forward_gradient_training_by_enter_dual_level():
    xs, ys = DATA.normal(size=(12, 3)), DATA.normal(size=(12, 1))
    directions = [DATA.normal(size=s) for s in [(4, 3), (4,), (1, 4), (1,)]]
    def script(torch, copy_weights):
        nn, fwAD = torch.nn, torch.autograd.forward_ad
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
        copy_weights(model)
        x, y = torch.from_numpy(xs), torch.from_numpy(ys)
        names = [n for n, _ in model.named_parameters()]
        shapes = [tuple(p.shape) for _, p in model.named_parameters()]
        out = []
        for step in range(3):
            params = {n: p.detach() for n, p in model.named_parameters()}
            # directions drawn in PyTorch's (out, in) layout, laid out as each library's
            tangents = {n: torch.from_numpy(d).reshape(s) if d.shape == s
                        else torch.from_numpy(d).T for n, d, s in zip(names, directions, shapes)}
            level = fwAD.enter_dual_level()
            try:
                duals = {n: fwAD.make_dual(params[n], tangents[n]) for n in names}
                loss = nn.functional.mse_loss(torch.func.functional_call(model, duals, (x,)), y)
                value, dir_derivative = fwAD.unpack_dual(loss)
            finally:
                fwAD.exit_dual_level(level=level)
            with torch.no_grad():
                for n, p in model.named_parameters():
                    p.sub_(0.05 * dir_derivative * tangents[n])
            out.append((value.item(), dir_derivative.item()))
        return out, model
    side_by_side(script)


def test_input_jacobian_penalty_by_vmap_of_chunked_jacrev():
    xs, ys = DATA.normal(size=(6, 3)), DATA.integers(0, 2, size=6)
    def script(torch, copy_weights):
        nn, F, fc = torch.nn, torch.nn.functional, torch.func
        model = nn.Sequential(nn.Linear(3, 8), nn.Softplus(), nn.Linear(8, 2))
        copy_weights(model)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        x, y = torch.from_numpy(xs), torch.from_numpy(ys)
        out = []
        for _ in range(3):
            opt.zero_grad()
            jac = fc.vmap(fc.jacrev(model, chunk_size=1))(x)          # (batch, 2, 3)
            jac_fwd = fc.vmap(fc.jacfwd(model, randomness="same"))(x)
            penalty = jac.pow(2).sum((1, 2)).mean()
            loss = F.cross_entropy(model(x), y) + 0.1 * penalty
            loss.backward()
            opt.step()
            out.append((loss.item(), penalty.item(), (jac - jac_fwd).abs().max().item()))
        return out, model
    side_by_side(script)


def test_training_a_linearized_network_by_func_linearize():
    xs, ys = DATA.normal(size=(8, 2)), DATA.normal(size=(8, 1))
    def script(torch, copy_weights):
        nn, fc = torch.nn, torch.func
        model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))
        copy_weights(model)
        x, y = torch.from_numpy(xs), torch.from_numpy(ys)
        params0 = {n: p.detach() for n, p in model.named_parameters()}

        def f(params):
            return fc.functional_call(model, params, (x,))
        out0, jvp_fn = fc.linearize(f, params0)
        delta = {n: torch.zeros_like(p, requires_grad=True) for n, p in params0.items()}
        opt = torch.optim.SGD(delta.values(), lr=0.1)
        losses = []
        for _ in range(4):
            opt.zero_grad()
            pred = out0 + jvp_fn(delta)            # the first-order Taylor model
            loss = (pred - y).pow(2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        true = f({n: params0[n] + delta[n].detach() for n in params0})
        taylor = out0 + jvp_fn({n: d.detach() for n, d in delta.items()})
        return losses, out0, (true - taylor).abs().max()
    side_by_side(script)
