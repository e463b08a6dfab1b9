"""The eleventh round of PyTorch scripts, function transforms and distributions (see
test_torch_scripts_eleventh.py for the method): ``torch.autograd.functional``'s
``jacobian`` with ``vectorize=True`` and ``strategy='forward-mode'``, ``hessian`` with
``outer_jacobian_strategy='forward-mode'``, and ``hvp`` / ``vhp`` with
``create_graph=True`` differentiated again (a meta-gradient of a curvature penalty);
``torch.func``'s ``jacrev(has_aux=True)``, ``grad_and_value(has_aux=True)``, ``vmap``
with ``chunk_size``, nested ``in_dims`` and ``out_dims``, and ``functional_call`` with a
``(params, buffers)`` pair and ``strict=True``; maximum-likelihood fits of ``Beta``,
``Gamma``, ``Dirichlet``, ``StudentT``, ``Laplace``, ``Gumbel``, ``LogNormal``,
``Weibull`` and ``Kumaraswamy`` with their entropies, CDFs and KL divergences, and of
``VonMises`` (to 1e-7: PyTorch's is a polynomial approximation); a
``LowRankMultivariateNormal`` factor model; a ``MixtureSameFamily`` of ``Independent``
Normals; a ``TransformedDistribution`` onto the simplex by ``StickBreakingTransform``;
and ``RelaxedOneHotCategorical`` / ``LKJCholesky`` log-densities.  Random draws
differ between the libraries: the scripts evaluate densities at NumPy's draws."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(114)


def test_autograd_functional_strategies_and_a_meta_gradient_through_hvp():
    x_values = DATA.normal(size=4)
    v_values = DATA.normal(size=4)
    w_values = DATA.normal(size=(3, 4))

    def script(torch, copy_weights):
        AF = torch.autograd.functional
        W = torch.from_numpy(w_values)

        def f(x):
            return torch.tanh(W @ x) * x[:3]

        def energy(x):
            return (torch.sin(x) * x.roll(1)).sum() + (x ** 4).sum() / 4

        x, v = torch.from_numpy(x_values), torch.from_numpy(v_values)
        jac_rev = AF.jacobian(f, x)
        jac_vec = AF.jacobian(f, x, vectorize=True)
        jac_fwd = AF.jacobian(f, x, vectorize=True, strategy="forward-mode")
        hess = AF.hessian(energy, x)
        hess_fwd = AF.hessian(energy, x, vectorize=True,
                              outer_jacobian_strategy="forward-mode")
        value, hv = AF.hvp(energy, x, v)
        _, vh = AF.vhp(energy, x, v)
        _, jv = AF.jvp(f, x, v)
        _, vj = AF.vjp(f, x, torch.ones(3))

        scale = torch.tensor(0.7, requires_grad=True)

        def scaled_energy(x):
            return energy(scale * x)

        xs = x.clone().requires_grad_()
        _, curvature = AF.hvp(scaled_energy, xs, v, create_graph=True)
        penalty = (curvature ** 2).sum()
        scale_grad, x_grad = torch.autograd.grad(penalty, (scale, xs))
        return (jac_rev, jac_vec, jac_fwd, hess, hess_fwd, value, hv, vh, jv, vj,
                penalty, scale_grad, x_grad)
    side_by_side(script)


def test_func_transforms_with_aux_chunks_nested_dims_and_functional_call_buffers():
    x_values = DATA.normal(size=(6, 3))
    y_values = DATA.normal(size=6)
    a_values = DATA.normal(size=(5, 2))
    b_values = DATA.normal(size=(2, 5))

    def script(torch, copy_weights):
        nn = torch.nn
        func = torch.func

        class Scaler(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = nn.Linear(3, 1)
                self.register_buffer("shift", torch.tensor(0.25))

            def forward(self, x):
                return self.lin(x).squeeze(-1) + self.shift

        model = Scaler()
        copy_weights(model)
        params = {k: v.detach() for k, v in model.named_parameters()}
        buffers = {"shift": torch.tensor(-1.0)}
        x, y = torch.from_numpy(x_values), torch.from_numpy(y_values)

        def loss_and_predictions(params, x, y):
            predictions = func.functional_call(model, (params, buffers), (x,), strict=True)
            return ((predictions - y) ** 2).mean(), predictions

        grads, (loss, predictions) = func.grad_and_value(loss_and_predictions,
                                                         has_aux=True)(params, x, y)

        def residuals(x):
            r = x.sin() - x ** 2
            return r, r.sum()

        jac, aux = func.jacrev(residuals, has_aux=True)(x[0])
        per_sample = func.vmap(func.grad(lambda p, xi, yi: loss_and_predictions(
            p, xi.unsqueeze(0), yi.unsqueeze(0))[0]), in_dims=(None, 0, 0),
            chunk_size=2)(params, x, y)

        def pair_dot(pair, scale):
            left, right = pair
            return (left * right).sum() * scale, left * scale

        a, b = torch.from_numpy(a_values), torch.from_numpy(b_values)
        dots, scaled = func.vmap(pair_dot, in_dims=((0, 1), None), out_dims=(0, 1))(
            (a, b), torch.tensor(2.0))
        return (loss, predictions, {k: g.flatten().norm() for k, g in grads.items()},
                grads["lin.bias"], jac, aux,
                {k: g.flatten(1).norm(dim=1) for k, g in per_sample.items()},
                dots, scaled)
    side_by_side(script)


def test_maximum_likelihood_fits_of_the_continuous_families():
    unit = DATA.beta(2.0, 5.0, size=30)
    positive = DATA.gamma(3.0, 0.5, size=30)
    simplex = DATA.dirichlet([2.0, 1.0, 4.0], size=20)
    real = DATA.standard_t(4, size=30)

    def script(torch, copy_weights):
        D = torch.distributions
        softplus = torch.nn.functional.softplus
        raw = torch.zeros(12, requires_grad=True)
        concentration = torch.zeros(3, requires_grad=True)
        optimizer = torch.optim.Adam([raw, concentration], lr=0.05)
        u, p, s, r = (torch.from_numpy(v) for v in (unit, positive, simplex, real))

        def families():
            k = softplus(raw) + 0.1
            return {
                "beta": (D.Beta(k[0], k[1]), u),
                "gamma": (D.Gamma(k[2], rate=k[3]), p),
                "dirichlet": (D.Dirichlet(softplus(concentration) + 0.1), s),
                "student": (D.StudentT(df=k[4] + 1, loc=raw[5], scale=k[6]), r),
                "laplace": (D.Laplace(raw[5], k[7]), r),
                "gumbel": (D.Gumbel(raw[8], k[9]), r),
                "lognormal": (D.LogNormal(raw[10], k[11]), p),
                "weibull": (D.Weibull(k[2], k[3]), p),
                "kumaraswamy": (D.Kumaraswamy(k[0], k[1]), u),
            }

        losses = []
        for _ in range(4):
            optimizer.zero_grad()
            loss = sum(-dist.log_prob(values).mean() for dist, values in
                       families().values())
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        fitted = families()
        entropies = {name: dist.entropy() for name, (dist, _) in fitted.items()}
        cdfs = {name: fitted[name][0].cdf(fitted[name][1][:5])
                for name in ("gamma", "laplace", "gumbel", "lognormal", "weibull")}
        icdf = fitted["laplace"][0].icdf(torch.tensor([0.1, 0.5, 0.9]))
        kls = {
            "beta": D.kl_divergence(fitted["beta"][0], D.Beta(torch.tensor(2.0),
                                                              torch.tensor(5.0))),
            "gamma": D.kl_divergence(fitted["gamma"][0], D.Gamma(torch.tensor(3.0),
                                                                 torch.tensor(2.0))),
            "dirichlet": D.kl_divergence(fitted["dirichlet"][0],
                                         D.Dirichlet(torch.tensor([2.0, 1.0, 4.0]))),
        }
        means = {name: fitted[name][0].mean for name in ("beta", "gamma", "dirichlet",
                                                        "weibull", "kumaraswamy")}
        return losses, raw, concentration, entropies, cdfs, icdf, kls, means
    side_by_side(script)


def test_von_mises_fit_to_angles():
    angles = DATA.vonmises(0.5, 2.0, size=30)

    def script(torch, copy_weights):
        D = torch.distributions
        loc = torch.tensor(0.0, requires_grad=True)
        raw = torch.tensor(0.0, requires_grad=True)
        optimizer = torch.optim.Adam([loc, raw], lr=0.1)
        a = torch.from_numpy(angles)
        losses = []
        for _ in range(5):
            optimizer.zero_grad()
            dist = D.VonMises(loc, torch.nn.functional.softplus(raw) + 0.1)
            loss = -dist.log_prob(a).mean()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, loc, raw, dist.mean, dist.variance
    # PyTorch's log I0(k) is a polynomial approximation (Abramowitz and Stegun 9.8.1-2),
    # 3e-8 off the exact value at k = 0.79; the library's is exact to rounding
    side_by_side(script, tol=1e-7)


def test_low_rank_factor_model_and_a_mixture_of_independent_normals():
    data = DATA.normal(size=(25, 4)) @ DATA.normal(size=(4, 4)) * 0.5
    points = np.concatenate([DATA.normal(-1.0, 0.5, size=(10, 2)),
                             DATA.normal(1.5, 0.8, size=(10, 2))])

    def script(torch, copy_weights):
        nn, D = torch.nn, torch.distributions
        F = nn.functional

        class FactorModel(nn.Module):
            def __init__(self):
                super().__init__()
                self.loc = nn.Parameter(torch.zeros(4))
                self.factors = nn.Parameter(torch.full((4, 2), 0.3))
                self.raw_diag = nn.Parameter(torch.zeros(4))

            def forward(self):
                return D.LowRankMultivariateNormal(self.loc, self.factors,
                                                   F.softplus(self.raw_diag))

        class Mixture(nn.Module):
            def __init__(self):
                super().__init__()
                self.logits = nn.Parameter(torch.zeros(2))
                self.means = nn.Parameter(torch.tensor([[-0.5, 0.0], [0.5, 0.2]]))
                self.raw_scales = nn.Parameter(torch.zeros(2, 2))

            def forward(self):
                components = D.Independent(D.Normal(self.means,
                                                    F.softplus(self.raw_scales)), 1)
                return D.MixtureSameFamily(D.Categorical(logits=self.logits), components)

        factor, mixture = FactorModel(), Mixture()
        copy_weights(factor, mixture)
        optimizer = torch.optim.Adam(list(factor.parameters()) + list(mixture.parameters()),
                                     lr=0.05)
        x, y = torch.from_numpy(data), torch.from_numpy(points)
        losses = []
        for _ in range(5):
            optimizer.zero_grad()
            loss = -factor().log_prob(x).mean() - mixture().log_prob(y).mean()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        fitted, mix = factor(), mixture()
        return (losses, factor, mixture, fitted.entropy(), fitted.covariance_matrix,
                fitted.precision_matrix, mix.mean, mix.variance,
                mix.component_distribution.batch_shape, mix.event_shape)
    side_by_side(script)


def test_stick_breaking_relaxed_one_hot_and_lkj_cholesky_densities():
    simplex_points = DATA.dirichlet([1.0, 2.0, 3.0, 1.5], size=6)
    relaxed_points = DATA.dirichlet([0.5, 0.5, 0.5], size=5)
    base_points = DATA.normal(size=(6, 3))

    def script(torch, copy_weights):
        D = torch.distributions
        T = D.transforms
        loc = torch.zeros(3, requires_grad=True)
        logits = torch.tensor([0.1, -0.3, 0.4], requires_grad=True)
        temperature = torch.tensor(0.7, requires_grad=True)
        on_simplex = D.TransformedDistribution(D.Normal(loc, torch.ones(3)),
                                               [T.StickBreakingTransform()])
        y = torch.from_numpy(simplex_points)
        mapped = T.StickBreakingTransform()(torch.from_numpy(base_points))
        back = T.StickBreakingTransform().inv(mapped)
        log_det = T.StickBreakingTransform().log_abs_det_jacobian(
            torch.from_numpy(base_points), mapped)
        simplex_density = on_simplex.log_prob(y)
        relaxed = D.RelaxedOneHotCategorical(temperature, logits=logits)
        relaxed_density = relaxed.log_prob(torch.from_numpy(relaxed_points))
        composed = D.TransformedDistribution(
            D.Normal(loc, torch.ones(3)),
            [T.AffineTransform(1.0, 2.0), T.SigmoidTransform()])
        composed_density = composed.log_prob(torch.tensor([0.2, 0.7, 0.9]))
        eta = torch.tensor(1.5, requires_grad=True)
        lkj = D.LKJCholesky(3, concentration=eta)
        L = torch.linalg.cholesky(torch.tensor([[1.0, 0.3, 0.1], [0.3, 1.0, -0.2],
                                                [0.1, -0.2, 1.0]]))
        lkj_density = lkj.log_prob(L)
        total = (simplex_density.sum() + relaxed_density.sum() + composed_density.sum()
                 + lkj_density)
        total.backward()
        return (mapped, back, log_det, simplex_density, relaxed_density, composed_density,
                lkj_density, loc.grad, logits.grad, temperature.grad, eta.grad)
    side_by_side(script)
