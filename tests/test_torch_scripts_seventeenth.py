"""A seventeenth round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights; values must agree (float64 to 1e-10).  Random parts take their
draws from NumPy so both runs see the same numbers.  Here, scientific machine learning:
a SIREN (sine layers with its initialisation, a penalty on the output's gradient by
``autograd.grad(create_graph=True)``), the Laplacian of a network by ``torch.func``
(``vmap`` of ``hessian`` and of ``jacfwd(jacrev)``) in a physics-informed loss, a
Hamiltonian network (the symplectic gradient inside ``enable_grad``; its output bias
gets no gradient, which PyTorch's Adam passes over in silence and the optimizer here
names) and one rolled out by leapfrog with ``func.grad``, Bayesian linear regression by
``MultivariateNormal(scale_tril=)`` (the exact posterior and a reparameterised
variational fit), a normalizing flow by ``TransformedDistribution`` over
``AffineTransform`` and ``TanhTransform``, and RealNVP by a user's ``Transform``
subclass (``_call``, ``_inverse``, ``log_abs_det_jacobian``) trained by maximum
likelihood.  (Function transforms and distributions: _func.py; vision: _vision.py;
training by function transforms: _training.py; what the round found: _gaps.py.)
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


def test_realnvp_by_a_coupling_transform_subclass():
    xs = DATA.normal(size=(16, 2)) * np.array([1.0, 0.3]) + np.array([0.5, -1.0])
    def script(torch, copy_weights):
        nn, D = torch.nn, torch.distributions
        constraints = torch.distributions.constraints

        class AffineCoupling(D.Transform):
            domain = constraints.real_vector
            codomain = constraints.real_vector
            bijective = True

            def __init__(self, net, mask):
                super().__init__()
                self.net, self.mask = net, mask

            def _params(self, x):
                s, t = self.net(x * self.mask).chunk(2, dim=-1)
                return torch.tanh(s) * (1 - self.mask), t * (1 - self.mask)

            def _call(self, x):
                s, t = self._params(x)
                return x * torch.exp(s) + t

            def _inverse(self, y):
                s, t = self._params(y * self.mask)   # the masked half passes unchanged
                return (y - t) * torch.exp(-s)

            def log_abs_det_jacobian(self, x, y):
                s, _ = self._params(x)
                return s.sum(-1)

        nets = nn.ModuleList([nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 4))
                              for _ in range(2)])
        copy_weights(nets)
        masks = [torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])]
        base = D.MultivariateNormal(torch.zeros(2), torch.eye(2))
        flow = D.TransformedDistribution(base, [AffineCoupling(n, m) for n, m in zip(nets, masks)])
        opt = torch.optim.Adam(nets.parameters(), lr=1e-2)
        x = torch.from_numpy(xs)
        losses = []
        for _ in range(5):
            opt.zero_grad()
            loss = -flow.log_prob(x).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        z = torch.from_numpy(xs[:3])
        with torch.no_grad():
            y = z
            for t in flow.transforms:
                y = t(y)
            back = flow.transforms[0].inv(flow.transforms[1].inv(y))
        return losses, y, back, nets
    side_by_side(script)
