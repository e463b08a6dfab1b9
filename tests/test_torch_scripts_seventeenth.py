"""A seventeenth round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights
values must agree (float64 to 1e-10).  Random parts take their
draws from NumPy so both runs see the same numbers.  Here, scientific machine learning:
a SIREN (sine layers with its initialisation, a penalty on the output's gradient by
``autograd.grad(create_graph=True)``), a physics-informed network for a Poisson problem
(``u_xx`` by two nested ``autograd.grad``) and the same Laplacian by ``torch.func``
(``vmap`` of ``hessian`` and of ``jacfwd(jacrev)``), a Hamiltonian network (the
symplectic gradient inside ``enable_grad``
its output bias gets no gradient, which the
optimizer here warns about) and one rolled out by leapfrog with ``func.grad``, Gaussian
process regression with a learned RBF kernel (``linalg.cholesky``, ``cholesky_solve``,
``solve_triangular``), Bayesian linear regression by ``MultivariateNormal(scale_tril=)``
(the exact posterior and a reparameterised variational fit), a normalizing flow by
``TransformedDistribution`` over ``AffineTransform`` and ``TanhTransform``, and a
Jacobian by ``autograd.grad(is_grads_batched=True)`` (function transforms and
distributions: _func.py
vision: _vision.py
training habits: _training.py).
Every script here ran unchanged."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

import autodiff as ad  # noqa: E402

DATA = np.random.default_rng(1717)


def test_siren_with_its_initialisation_and_a_gradient_penalty():
    xs = np.linspace(-1, 1, 32)[:, None]
    ys = np.sin(3 * xs) * np.exp(-xs**2)

    def script(torch, copy_weights):
        nn = torch.nn
        class SineLayer(nn.Module):
            def __init__(self, in_f, out_f, is_first=False, omega_0=30.0):
                super().__init__()
                self.omega_0, self.is_first, self.in_features = omega_0, is_first, in_f
                self.linear = nn.Linear(in_f, out_f)
                self.init_weights()
            def init_weights(self):
                with torch.no_grad():
                    if self.is_first:
                        self.linear.weight.uniform_(-1 / self.in_features, 1 / self.in_features)
                    else:
                        bound = math.sqrt(6 / self.in_features) / self.omega_0
                        self.linear.weight.uniform_(-bound, bound)
            def forward(self, x):
                return torch.sin(self.omega_0 * self.linear(x))
        class Siren(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(SineLayer(1, 16, is_first=True), SineLayer(16, 16),
                                         nn.Linear(16, 1))
            def forward(self, coords):
                coords = coords.clone().detach().requires_grad_(True)
                return self.net(coords), coords
        model = Siren()
        first = model.net[0].linear.weight
        assert first.abs().max().item() <= 1.0
        copy_weights(model)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x, y = torch.from_numpy(xs), torch.from_numpy(ys)
        losses = []
        for _ in range(5):
            out, coords = model(x)
            loss = ((out - y) ** 2).mean()
            grad_out = torch.autograd.grad(out, coords, grad_outputs=torch.ones_like(out),
                                           create_graph=True)[0]
            loss = loss + 1e-3 * (grad_out ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, model
    side_by_side(script)


def test_physics_informed_network_for_a_poisson_problem():
    xs = DATA.uniform(0, 1, size=(20, 1))

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(1, 12), nn.Tanh(), nn.Linear(12, 12), nn.Tanh(),
                              nn.Linear(12, 1))
        copy_weights(model)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        x = torch.tensor(xs, requires_grad=True)
        bc = torch.tensor([[0.0], [1.0]])
        losses = []
        for _ in range(6):
            opt.zero_grad()
            u = model(x)
            u_x = torch.autograd.grad(u, x, torch.ones_like(u), create_graph=True)[0]
            u_xx = torch.autograd.grad(u_x, x, torch.ones_like(u_x), create_graph=True)[0]
            residual = u_xx + math.pi ** 2 * torch.sin(math.pi * x)
            loss = residual.pow(2).mean() + model(bc).pow(2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, model
    side_by_side(script)


def test_laplacian_of_a_network_by_vmap_of_hessian_and_jacfwd_of_jacrev():
    xs = DATA.uniform(-1, 1, size=(6, 2))

    def script(torch, copy_weights):
        nn = torch.nn
        fc = torch.func
        model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
        copy_weights(model)
        params = dict(model.named_parameters())
        def u(params, x):
            return fc.functional_call(model, params, (x,)).squeeze()
        def lap(p, x):
            return torch.trace(fc.hessian(u, argnums=1)(p, x))

        laps = fc.vmap(lap, in_dims=(None, 0))(params, torch.from_numpy(xs))
        grads = fc.vmap(fc.jacrev(u, argnums=1), in_dims=(None, 0))(params, torch.from_numpy(xs))
        hess = fc.jacfwd(fc.jacrev(u, argnums=1), argnums=1)
        lap2 = fc.vmap(lambda x: torch.trace(hess(params, x)))(torch.from_numpy(xs))
        loss = (laps + 1).pow(2).mean()
        loss.backward()
        return laps, grads, lap2, loss, model[0].bias.grad
    side_by_side(script)


def test_hamiltonian_network_learns_a_spring():
    """PyTorch skips the output bias (d H / d input does not depend on it) silently; the
    optimizer here says so, naming the parameter."""
    q, p = DATA.normal(size=(16, 1)), DATA.normal(size=(16, 1))

    def script(torch, copy_weights):
        nn = torch.nn
        class HNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.H = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))
            def forward(self, x):
                with torch.enable_grad():
                    x = x if x.requires_grad else x.requires_grad_()
                    H = self.H(x).sum()
                    dH = torch.autograd.grad(H, x, create_graph=True)[0]
                dHdq, dHdp = dH.chunk(2, dim=1)
                return torch.cat([dHdp, -dHdq], dim=1)
        model = HNN()
        copy_weights(model)
        x = torch.cat([torch.from_numpy(q), torch.from_numpy(p)], dim=1)
        target = torch.cat([torch.from_numpy(p), -torch.from_numpy(q)], dim=1)  # spring
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        losses = []
        for _ in range(5):
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(x.clone()), target)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        # leapfrog-free Euler rollout under no_grad
        state = x[:2].clone()
        with torch.no_grad():
            for _ in range(3):
                state = state + 0.1 * model(state)
        return losses, model, state
    with pytest.warns(ad.optim.NoGradientWarning, match="H.2.bias"):
        side_by_side(script)


def test_hamiltonian_network_rolled_out_by_leapfrog_with_func_grad():
    z0 = DATA.normal(size=(3, 2))

    def script(torch, copy_weights):
        nn, fc = torch.nn, torch.func
        H = nn.Sequential(nn.Linear(2, 8), nn.Softplus(), nn.Linear(8, 1))
        copy_weights(H)
        params = dict(H.named_parameters())
        def energy(p, z):
            return fc.functional_call(H, p, (z,)).sum()
        dH = fc.grad(energy, argnums=1)
        def leapfrog(p, z, dt=0.1, steps=4):
            q, mom = z[..., :1], z[..., 1:]
            for _ in range(steps):
                mom = mom - 0.5 * dt * dH(p, torch.cat([q, mom], -1))[..., :1]
                q = q + dt * dH(p, torch.cat([q, mom], -1))[..., 1:]
                mom = mom - 0.5 * dt * dH(p, torch.cat([q, mom], -1))[..., :1]
            return torch.cat([q, mom], -1)
        z = torch.from_numpy(z0)
        end = leapfrog(params, z)
        loss = (energy(params, end) - energy(params, z)).pow(2)
        g = torch.autograd.grad(loss, list(params.values()))
        return end, loss, [t.pow(2).sum() for t in g]
    side_by_side(script)


def test_gaussian_process_regression_with_a_learned_kernel():
    xs = np.sort(DATA.uniform(-3, 3, size=12))[:, None]
    ys = np.sin(xs[:, 0]) + 0.1 * DATA.normal(size=12)
    xt = np.linspace(-3, 3, 5)[:, None]

    def script(torch, copy_weights):
        nn = torch.nn
        class RBF(nn.Module):
            def __init__(self):
                super().__init__()
                self.log_ls = nn.Parameter(torch.tensor(0.0))
                self.log_var = nn.Parameter(torch.tensor(0.0))
                self.log_noise = nn.Parameter(torch.tensor(-2.0))
            def forward(self, a, b):
                d2 = torch.cdist(a, b).pow(2)
                return self.log_var.exp() * torch.exp(-0.5 * d2 / self.log_ls.exp() ** 2)
        k = RBF()
        x, y, t = torch.from_numpy(xs), torch.from_numpy(ys), torch.from_numpy(xt)
        opt = torch.optim.Adam(k.parameters(), lr=0.05)
        nlls = []
        for _ in range(8):
            opt.zero_grad()
            K = k(x, x) + k.log_noise.exp() * torch.eye(len(x))
            L = torch.linalg.cholesky(K)
            alpha = torch.cholesky_solve(y.unsqueeze(-1), L)
            nll = 0.5 * (y.unsqueeze(-1) * alpha).sum() + torch.log(torch.diagonal(L)).sum() \
                + 0.5 * len(x) * math.log(2 * math.pi)
            nll.backward()
            opt.step()
            nlls.append(nll.item())
        with torch.no_grad():
            K = k(x, x) + k.log_noise.exp() * torch.eye(len(x))
            L = torch.linalg.cholesky(K)
            Ks = k(t, x)
            mean = Ks @ torch.cholesky_solve(y.unsqueeze(-1), L)
            v = torch.linalg.solve_triangular(L, Ks.T, upper=False)
            var = k(t, t).diagonal() - (v ** 2).sum(0)
        return nlls, mean, var, [p.detach() for p in k.parameters()]
    side_by_side(script)


def test_bayesian_linear_regression_exact_and_variational():
    X = DATA.normal(size=(20, 3))
    w_true = np.array([1.0, -2.0, 0.5])
    Y = X @ w_true + 0.3 * DATA.normal(size=20)
    eps = DATA.normal(size=(4, 3))

    def script(torch, copy_weights):
        D = torch.distributions
        x, y = torch.from_numpy(X), torch.from_numpy(Y)
        alpha, beta = 1.0, 1 / 0.09
        prec = alpha * torch.eye(3) + beta * x.T @ x
        cov = torch.linalg.inv(prec)
        mean = beta * cov @ x.T @ y
        post = D.MultivariateNormal(mean, scale_tril=torch.linalg.cholesky(cov))
        prior = D.MultivariateNormal(torch.zeros(3), scale_tril=torch.eye(3) / math.sqrt(alpha))
        # variational fit of q = N(m, L L^T) by reparameterisation
        m = torch.zeros(3, requires_grad=True)
        raw = torch.zeros(3, 3, requires_grad=True)
        opt = torch.optim.Adam([m, raw], lr=0.05)
        elbos = []
        for _ in range(5):
            L = torch.tril(raw, -1) + torch.diag_embed(torch.nn.functional.softplus(raw.diagonal()))
            q = D.MultivariateNormal(m, scale_tril=L)
            w = m + torch.from_numpy(eps) @ L.T
            ll = D.Normal(w @ x.T, 0.3).log_prob(y).sum(-1).mean()
            elbo = ll - D.kl_divergence(q, prior)
            (-elbo).backward()
            opt.step()
            opt.zero_grad()
            elbos.append(elbo.item())
        return (post.mean, post.covariance_matrix, post.log_prob(torch.from_numpy(w_true)),
                post.entropy(), D.kl_divergence(post, prior), elbos, m)
    side_by_side(script)


def test_normalizing_flow_by_affine_and_tanh_transforms():
    z = DATA.normal(size=(6, 2))
    pts = DATA.uniform(-0.9, 0.9, size=(6, 2))

    def script(torch, copy_weights):
        D, T = torch.distributions, torch.distributions.transforms
        loc = torch.zeros(2, requires_grad=True)
        log_scale = torch.zeros(2, requires_grad=True)
        opt = torch.optim.SGD([loc, log_scale], lr=0.1)
        base = D.Normal(torch.zeros(2), torch.ones(2))
        out = []
        for _ in range(4):
            flow = D.TransformedDistribution(base, [T.AffineTransform(loc, log_scale.exp()),
                                                    T.TanhTransform(cache_size=1)])
            loss = -flow.log_prob(torch.from_numpy(pts)).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            out.append(loss.item())
        flow = D.TransformedDistribution(base, [T.AffineTransform(loc, log_scale.exp()),
                                                T.TanhTransform()])
        squashed = flow.transforms[-1](flow.transforms[0](torch.from_numpy(z)))
        ind = D.Independent(flow, 1)
        return out, squashed, ind.log_prob(torch.from_numpy(pts)), loc, log_scale
    side_by_side(script)


def test_jacobian_by_autograd_grad_is_grads_batched():
    xs = DATA.normal(size=(4, 3))

    def script(torch, copy_weights):
        x = torch.tensor(xs, requires_grad=True)
        y = torch.tanh(x) * x.sum(1, keepdim=True)
        eye = torch.eye(3).unsqueeze(1).expand(3, 4, 3)
        (jac,) = torch.autograd.grad(y, x, eye, is_grads_batched=True)
        return jac
    side_by_side(script)
