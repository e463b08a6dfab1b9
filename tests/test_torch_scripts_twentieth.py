"""A twentieth round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights; values must agree (float64 to 1e-10).  Random parts take their
draws from NumPy so both runs see the same numbers.  Here, linear algebra as models
use it: a rotation learned through ``torch.linalg.matrix_exp`` of a skew-symmetric
parameter, a continuous-time Markov chain's transition matrices by ``matrix_exp`` of a
generator, truncated Newton steps by conjugate gradients on
``torch.autograd.functional.hvp``, an orthogonal weight by ``torch.linalg.qr`` with
the sign of ``R``'s diagonal, simplified graph convolution (``torch.linalg.matrix_power``
of the normalised adjacency), a low-rank chain by ``torch.linalg.multi_dot``, matrix
completion with a nuclear-norm penalty by ``torch.linalg.svdvals``, a hand-written
``LayerNorm`` by ``torch.var_mean(unbiased=False)``, angle regression wrapped by
``torch.remainder``, a heat equation's residual by finite differences
(``torch.gradient(spacing=, dim=)``, once with the coordinates), a spectral-radius
penalty on an RNN's ``weight_hh_l0`` (``torch.linalg.eigvals(...).abs().max()``) and an
orthogonal recurrence by ``torch.linalg.householder_product``.  (Training:
_training.py; probabilistic models: _probabilistic.py; what the round found: _gaps.py.)
Of the round's 33 scripts, 29 ran unchanged (two after a change to the test around
them: ``pack_sequence`` and ``functional_call`` are reached as attributes of the module
passed in, not by ``from torch... import``, which would bind PyTorch in both runs; the
functional loop compares its predictions, not its parameters, a Linear weight being
(in, out) here).  One needed the library fixed: the heat equation's
``torch.gradient(spacing=, dim=)``.  Three layers that subclass ``nn.Linear`` and call
``F.linear(x, f(self.weight), ...)`` (fake quantisation, BinaryConnect, pruning masks)
keep their own ``(out, in)`` Parameter instead, as earlier rounds decided for Linear's
layout."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2020)


def test_rotation_learned_through_the_matrix_exponential_of_a_skew_parameter():
    points = DATA.normal(size=(12, 3))
    angle = 0.7
    turn = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0],
                     [0, 0, 1]])
    targets = points @ turn.T
    start = 0.1 * DATA.normal(size=(3, 3))

    def script(torch, copy_weights):
        W = torch.tensor(start, requires_grad=True)
        optimizer = torch.optim.Adam([W], lr=0.05)
        x, y = torch.from_numpy(points), torch.from_numpy(targets)
        losses = []
        for _ in range(5):
            A = W - W.T
            R = torch.linalg.matrix_exp(A)
            loss = ((x @ R.T - y) ** 2).sum(dim=1).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, R.detach(), W, (R.T @ R).detach()
    side_by_side(script)


def test_continuous_time_markov_chain_fitted_by_matrix_exp_of_its_generator():
    states = 4
    transitions = DATA.integers(0, states, size=(20, 2))
    gaps = DATA.uniform(0.1, 2.0, size=20)
    start = DATA.normal(size=(states, states))

    def script(torch, copy_weights):
        raw = torch.tensor(start, requires_grad=True)
        optimizer = torch.optim.SGD([raw], lr=0.1)
        src = torch.from_numpy(transitions[:, 0])
        dst = torch.from_numpy(transitions[:, 1])
        dt = torch.from_numpy(gaps)
        eye = torch.eye(states)
        history = []
        for _ in range(3):
            rates = torch.nn.functional.softplus(raw) * (1 - eye)
            Q = rates - torch.diag(rates.sum(dim=1))
            P = torch.linalg.matrix_exp(Q.unsqueeze(0) * dt.view(-1, 1, 1))
            nll = -torch.log(P[torch.arange(len(src)), src, dst]).mean()
            optimizer.zero_grad()
            nll.backward()
            optimizer.step()
            history.append((nll.item(), P.sum(dim=-1).detach()))
        return history, raw
    side_by_side(script)


def test_truncated_newton_steps_by_conjugate_gradients_on_hvp():
    features = DATA.normal(size=(30, 4))
    labels = (features @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3 * DATA.normal(size=30) > 0)

    def script(torch, copy_weights):
        X = torch.from_numpy(features)
        y = torch.from_numpy(labels.astype(np.float64))

        def loss_fn(w):
            logits = X @ w
            return torch.nn.functional.binary_cross_entropy_with_logits(logits, y) \
                + 0.01 * (w * w).sum()

        def conjugate_gradient(w, b, iterations=4):
            x = torch.zeros_like(b)
            r = b.clone()
            p = r.clone()
            rs = r @ r
            for _ in range(iterations):
                _, Ap = torch.autograd.functional.hvp(loss_fn, w, p)
                alpha = rs / (p @ Ap)
                x = x + alpha * p
                r = r - alpha * Ap
                rs_new = r @ r
                p = r + (rs_new / rs) * p
                rs = rs_new
            return x

        w = torch.zeros(4)
        history = []
        for _ in range(3):
            w.requires_grad_(True)
            loss = loss_fn(w)
            (g,) = torch.autograd.grad(loss, w)
            step = conjugate_gradient(w.detach(), g)
            w = (w - step).detach()
            history.append((loss.item(), g, step))
        return history, w
    side_by_side(script)


def test_orthogonal_weight_by_qr_with_the_sign_of_r_diagonal():
    inputs = DATA.normal(size=(8, 5))
    targets = DATA.normal(size=(8, 5))
    start = DATA.normal(size=(5, 5))

    def script(torch, copy_weights):
        raw = torch.nn.Parameter(torch.tensor(start))
        optimizer = torch.optim.SGD([raw], lr=0.05, momentum=0.9)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        losses = []
        for _ in range(4):
            Q, R = torch.linalg.qr(raw)
            Q = Q * torch.sign(torch.diagonal(R)).unsqueeze(0)
            loss = torch.nn.functional.mse_loss(x @ Q, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, Q.detach(), raw
    side_by_side(script)


def test_simplified_graph_convolution_by_matrix_power():
    nodes, K = 7, 3
    A = (DATA.uniform(size=(nodes, nodes)) > 0.6).astype(np.float64)
    A = np.triu(A, 1)
    A = A + A.T
    features = DATA.normal(size=(nodes, 4))
    labels = DATA.integers(0, 3, size=nodes)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        adj = torch.from_numpy(A) + torch.eye(nodes)
        deg_inv_sqrt = adj.sum(dim=1).pow(-0.5)
        S = deg_inv_sqrt.view(-1, 1) * adj * deg_inv_sqrt.view(1, -1)
        X = torch.linalg.matrix_power(S, K) @ torch.from_numpy(features)
        model = nn.Linear(4, 3)
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.1, weight_decay=5e-4)
        y = torch.from_numpy(labels)
        losses = []
        for _ in range(5):
            loss = F.cross_entropy(model(X), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, X, model
    side_by_side(script)


def test_low_rank_chain_by_multi_dot():
    target = DATA.normal(size=(6, 5))
    factors = [DATA.normal(size=s) * 0.5 for s in [(6, 2), (2, 3), (3, 5)]]

    def script(torch, copy_weights):
        params = [torch.tensor(f, requires_grad=True) for f in factors]
        optimizer = torch.optim.RMSprop(params, lr=0.01)
        T = torch.from_numpy(target)
        losses = []
        for _ in range(4):
            M = torch.linalg.multi_dot(params)
            loss = torch.linalg.norm(M - T) ** 2
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, params
    side_by_side(script)


def test_matrix_completion_with_a_nuclear_norm_penalty_by_svdvals():
    truth = DATA.normal(size=(6, 2)) @ DATA.normal(size=(2, 5))
    observed = DATA.uniform(size=truth.shape) > 0.3
    start = DATA.normal(size=truth.shape)

    def script(torch, copy_weights):
        M = torch.tensor(start, requires_grad=True)
        mask = torch.from_numpy(observed)
        T = torch.from_numpy(truth)
        optimizer = torch.optim.Adam([M], lr=0.05)
        history = []
        for _ in range(4):
            data_term = ((M - T)[mask] ** 2).sum()
            nuclear = torch.linalg.svdvals(M).sum()
            loss = data_term + 0.1 * nuclear
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((data_term.item(), nuclear.item()))
        return history, M
    side_by_side(script)


def test_hand_written_layer_norm_by_var_mean():
    tokens = DATA.normal(size=(3, 4, 6))
    targets = DATA.normal(size=(3, 4, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class MyLayerNorm(nn.Module):
            def __init__(self, dim, eps=1e-5):
                super().__init__()
                self.eps = eps
                self.weight = nn.Parameter(torch.ones(dim))
                self.bias = nn.Parameter(torch.zeros(dim))

            def forward(self, x):
                var, mean = torch.var_mean(x, dim=-1, keepdim=True, unbiased=False)
                return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias

        model = nn.Sequential(nn.Linear(6, 6), MyLayerNorm(6), nn.GELU(), nn.Linear(6, 6))
        copy_weights(model)
        optimizer = torch.optim.AdamW(model.parameters(), lr=0.01)
        x, y = torch.from_numpy(tokens), torch.from_numpy(targets)
        losses = []
        for _ in range(3):
            loss = F.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        h = model[0](x)
        std, mean = torch.std_mean(h, dim=-1)
        reference = F.layer_norm(h, (6,), model[1].weight, model[1].bias)
        return losses, model, (model[1](h) - reference).abs().max(), std, mean
    side_by_side(script)


def test_angle_regression_wrapped_by_remainder():
    inputs = DATA.normal(size=(16, 3))
    angles = np.arctan2(inputs[:, 0], inputs[:, 1])

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
        x, theta = torch.from_numpy(inputs), torch.from_numpy(angles)
        losses = []
        for _ in range(4):
            pred = model(x).squeeze(-1)
            diff = torch.remainder(pred - theta + torch.pi, 2 * torch.pi) - torch.pi
            loss = (diff ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, diff.detach(), model
    side_by_side(script)


def test_heat_equation_residual_by_finite_differences_with_gradient():
    x_grid = np.linspace(0.0, 1.0, 9)
    t_grid = np.linspace(0.0, 0.2, 5)
    initial = np.sin(np.pi * x_grid)

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(2, 12), nn.Tanh(), nn.Linear(12, 1))
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        T, X = torch.meshgrid(torch.from_numpy(t_grid), torch.from_numpy(x_grid),
                              indexing="ij")
        inputs = torch.stack([T, X], dim=-1)
        u0 = torch.from_numpy(initial)
        losses = []
        for _ in range(4):
            u = model(inputs).squeeze(-1)
            (u_t,) = torch.gradient(u, spacing=t_grid[1] - t_grid[0], dim=0)
            (u_x,) = torch.gradient(u, spacing=(torch.from_numpy(x_grid),), dim=1)
            (u_xx,) = torch.gradient(u_x, spacing=x_grid[1] - x_grid[0], dim=1)
            residual = u_t - 0.1 * u_xx
            loss = residual.pow(2).mean() + (u[0] - u0).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, residual.detach(), model
    side_by_side(script)


def test_spectral_radius_penalty_on_a_recurrent_weight_by_eigvals():
    sequences = DATA.normal(size=(3, 6, 2))
    targets = DATA.normal(size=(3, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        rnn = nn.RNN(2, 4, batch_first=True)
        head = nn.Linear(4, 1)
        copy_weights(rnn, head)
        optimizer = torch.optim.Adam([*rnn.parameters(), *head.parameters()], lr=0.02)
        x, y = torch.from_numpy(sequences), torch.from_numpy(targets)
        history = []
        for _ in range(3):
            _, h = rnn(x)
            radius = torch.linalg.eigvals(rnn.weight_hh_l0).abs().max()
            loss = F.mse_loss(head(h[-1]), y) + 0.1 * F.relu(radius - 0.9) ** 2
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), radius.item()))
        return history, rnn, head
    side_by_side(script)


def test_orthogonal_recurrence_by_householder_reflections():
    inputs = DATA.normal(size=(5, 4))
    reflectors = np.tril(DATA.normal(size=(4, 4)), -1) + np.eye(4)
    scales = 2.0 / (reflectors ** 2).sum(axis=0)

    def script(torch, copy_weights):
        V = torch.tensor(reflectors, requires_grad=True)
        optimizer = torch.optim.SGD([V], lr=0.05)
        x = torch.from_numpy(inputs)
        history = []
        for _ in range(3):
            tau = 2.0 / (V * V).sum(dim=0)
            W = torch.linalg.householder_product(V, tau)
            h = torch.zeros(4)
            for t in range(len(x)):
                h = torch.tanh(W @ h + x[t])
            loss = (h - 0.5).pow(2).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), (W.T @ W).detach()))
        return history, V, tau.detach() - torch.from_numpy(scales)
    side_by_side(script)
