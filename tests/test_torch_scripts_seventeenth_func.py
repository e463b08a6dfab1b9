"""The seventeenth round of PyTorch scripts, function transforms and distributions (see
test_torch_scripts_seventeenth.py for the method): a MAML-style inner step by the
deprecated ``nn.utils.stateless.functional_call`` (its ``FutureWarning`` in both),
forward-mode Jacobian-vector products through an LSTM (``dual_level`` / ``make_dual``
/ ``unpack_dual``, ``func.jvp`` and ``autograd.functional.jvp``), a VAE by ``Normal`` /
``Bernoulli`` / ``Independent`` with ``kl_divergence`` and its Monte Carlo estimate,
``MultivariateNormal`` by its three matrices beside ``LowRankMultivariateNormal`` (a
``tril`` parametrisation, as users write it: the upper triangle of a raw ``scale_tril``
gets no gradient here, where PyTorch's formulas give it one in some paths:
``covariance_matrix``, ``kl_divergence`` with it on the left), the transforms of
``torch.distributions.transforms`` (``Compose``, ``Sigmoid``, ``Softplus``,
``Power(...).inv``, ``StickBreaking``, ``Softmax``, ``Cat``, ``Stack``, ``Reshape``,
``Independent``) with their log-determinants, and a peaks-over-threshold tail fit by
``GeneralizedPareto`` (``quantile`` for the threshold, ``icdf`` for a value at risk).
Every script here ran unchanged."""

from __future__ import annotations


import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1718)


def test_maml_inner_step_by_stateless_functional_call():
    xs = DATA.normal(size=(6, 4))

    def script(torch, copy_weights):
        nn = torch.nn
        stateless = torch.nn.utils.stateless
        model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 1))
        copy_weights(model)
        x = torch.from_numpy(xs)
        params = {n: p.detach().clone().requires_grad_() for n, p in model.named_parameters()}
        out = stateless.functional_call(model, params, (x,))
        loss = out.pow(2).mean()
        grads = torch.autograd.grad(loss, list(params.values()))
        fast = {n: p - 0.1 * g for (n, p), g in zip(params.items(), grads)}
        out2 = torch.func.functional_call(model, fast, x)
        # (the gradients by name as squared norms: a Linear's weight is (in, out) here)
        return out, {n: g.pow(2).sum() for n, g in zip(params, grads)}, out2, model
    with pytest.warns(FutureWarning, match="stateless"):
        side_by_side(script)


def test_forward_mode_jvp_through_an_lstm():
    xs = DATA.normal(size=(3, 5, 4))
    ts = DATA.normal(size=(3, 5, 4))

    def script(torch, copy_weights):
        nn = torch.nn
        fwAD = torch.autograd.forward_ad
        lstm = nn.LSTM(4, 6, batch_first=True)
        copy_weights(lstm)
        x, t = torch.from_numpy(xs), torch.from_numpy(ts)
        with fwAD.dual_level():
            dual = fwAD.make_dual(x, t)
            out, (h, c) = lstm(dual)
            primal, tangent = fwAD.unpack_dual(out)
            hp, ht = fwAD.unpack_dual(h)
        _, jvp_out = torch.func.jvp(lambda inp: lstm(inp)[0], (x,), (t,))
        _, jvp2 = torch.autograd.functional.jvp(lambda inp: lstm(inp)[1][0], x, t)
        return primal, tangent, hp, ht, jvp_out, jvp2
    side_by_side(script)


def test_vae_by_distributions_with_kl_divergence():
    xs = (DATA.uniform(size=(6, 8)) > 0.5).astype(float)
    eps = DATA.normal(size=(6, 2))

    def script(torch, copy_weights):
        nn, D = torch.nn, torch.distributions
        class VAE(nn.Module):
            def __init__(self):
                super().__init__()
                self.enc = nn.Linear(8, 4)
                self.dec = nn.Linear(2, 8)
            def forward(self, x):
                mu, log_var = self.enc(x).chunk(2, dim=-1)
                q = D.Normal(mu, torch.exp(0.5 * log_var))
                return q
        model = VAE()
        copy_weights(model)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        x = torch.from_numpy(xs)
        prior = D.Normal(torch.zeros(2), torch.ones(2))
        out = []
        for _ in range(3):
            q = model(x)
            z = q.loc + q.scale * torch.from_numpy(eps)   # rsample with fixed noise
            assert z.requires_grad
            recon = D.Bernoulli(logits=model.dec(z))
            rec = recon.log_prob(x).sum(-1)
            kl = D.kl_divergence(q, prior).sum(-1)
            kl_mc = (q.log_prob(z) - prior.log_prob(z)).sum(-1)
            loss = (kl - rec).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            out.append((loss.item(), kl_mc.mean().item()))
        q = D.Independent(model(x), 1)
        pz = D.Independent(prior, 1)
        return out, D.kl_divergence(q, pz), q.entropy(), model, q.rsample().shape
    side_by_side(script)


def test_multivariate_normal_forms_beside_low_rank():
    L = np.tril(DATA.normal(size=(3, 3)), -1) + np.diag(DATA.uniform(0.5, 1.5, size=3))
    v = DATA.normal(size=(5, 3))
    W = DATA.normal(size=(3, 2))
    d = DATA.uniform(0.5, 1, size=3)

    def script(torch, copy_weights):
        D = torch.distributions
        raw = torch.tensor(L, requires_grad=True)
        x = torch.from_numpy(v)
        Lt = torch.tril(raw)
        cov = Lt @ Lt.T
        a = D.MultivariateNormal(torch.zeros(3), scale_tril=Lt)
        b = D.MultivariateNormal(torch.zeros(3), covariance_matrix=cov)
        c = D.MultivariateNormal(torch.zeros(3), precision_matrix=torch.cholesky_inverse(Lt))
        lr = D.LowRankMultivariateNormal(torch.zeros(3), torch.from_numpy(W), torch.from_numpy(d))
        vals = [a.log_prob(x), b.log_prob(x), c.log_prob(x), lr.log_prob(x), lr.entropy(),
                D.kl_divergence(a, lr), a.precision_matrix, c.scale_tril, lr.covariance_matrix]
        total = sum(t.sum() for t in vals[:6])
        total.backward()
        return vals, raw.grad
    side_by_side(script)


def test_distribution_transforms_and_their_log_determinants():
    xs = DATA.normal(size=(5, 4))

    def script(torch, copy_weights):
        T = torch.distributions.transforms
        D = torch.distributions
        x = torch.tensor(xs, requires_grad=True)
        ts = [(T.ComposeTransform([T.AffineTransform(0.5, 2.0), T.SigmoidTransform()]), x),
              (T.ExpTransform(), x), (T.SoftplusTransform(), x), (T.TanhTransform(), x),
              (T.PowerTransform(torch.tensor(2.0)).inv, x.abs() + 0.1)]
        out = []
        for t, inp in ts:
            y = t(inp)
            out += [y, t.log_abs_det_jacobian(inp, y), t.inv(y)]
        out += [T.StickBreakingTransform()(x), T.SoftmaxTransform()(x)]
        sb = T.StickBreakingTransform()
        out.append(sb.log_abs_det_jacobian(x, sb(x)))
        cat = T.CatTransform([T.ExpTransform(), T.AffineTransform(1.0, 3.0)], dim=1, lengths=[2, 2])
        out.append(cat(x))
        out.append(cat.log_abs_det_jacobian(x, cat(x)))
        st = T.StackTransform([T.ExpTransform(), T.TanhTransform()], dim=0)
        xx = torch.stack([x[0], x[1]])
        out.append(st(xx))
        out.append(st.log_abs_det_jacobian(xx, st(xx)))
        rs = T.ReshapeTransform((4,), (2, 2))
        out.append(rs(x))
        it = T.IndependentTransform(T.ExpTransform(), 1)
        out.append(it.log_abs_det_jacobian(x, it(x)))
        flow = D.TransformedDistribution(D.Independent(D.Normal(torch.zeros(4), torch.ones(4)), 1),
                                         [T.AffineTransform(torch.zeros(4), torch.ones(4) * 2,
                                                            event_dim=1),
                                          T.TanhTransform(cache_size=1)])
        y = torch.tanh(x) * 0.9
        out.append(flow.log_prob(y))
        sum(o.sum() for o in out).backward()
        return out, x.grad
    side_by_side(script)


def test_peaks_over_threshold_by_generalized_pareto():
    losses = DATA.standard_t(3, size=400)
    def script(torch, copy_weights):
        D = torch.distributions
        data = torch.from_numpy(losses)
        u = torch.quantile(data, 0.9)
        exceed = data[data > u] - u
        log_scale = torch.zeros((), requires_grad=True)
        shape = torch.full((), 0.1, requires_grad=True)
        opt = torch.optim.Adam([log_scale, shape], lr=0.05)
        nll = []
        for _ in range(20):
            opt.zero_grad()
            gpd = D.GeneralizedPareto(torch.zeros(()), log_scale.exp(), shape)
            loss = -gpd.log_prob(exceed).mean()
            loss.backward()
            opt.step()
            nll.append(loss.item())
        gpd = D.GeneralizedPareto(torch.zeros(()), log_scale.exp(), shape)
        q99 = u + gpd.icdf(torch.tensor(1 - 0.01 / 0.1))          # the 99% value at risk
        return nll, q99, gpd.cdf(exceed[:3]), gpd.mean, gpd.entropy(), log_scale, shape
    side_by_side(script)
