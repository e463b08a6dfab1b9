"""Twenty-fifth round of PyTorch scripts (see test_torch_scripts_twentyfifth.py):
training habits.  Losses with their less used options (class weights with
``ignore_index``, ``PoissonNLLLoss`` on rates, ``GaussianNLLLoss`` with a shared
variance, triplet losses with swap and a custom distance); the less used optimizers
(``Adamax``, ``ASGD``, ``Rprop``, ``LBFGS`` with a strong-Wolfe closure); schedules
chained and cyclic (``CyclicLR`` with momentum cycling, ``OneCycleLR`` in three phases,
``PolynomialLR``, ``CosineAnnealingWarmRestarts`` stepped by fractional epochs,
``ReduceLROnPlateau`` with cooldown); weight parametrizations; distributions' log
densities, entropies and KL divergences with their parameters' gradients.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(25250)


def _norms(module):
    return [p.grad.norm() for p in module.parameters()]


def test_classifier_losses_with_weights_ignore_index_and_margins():
    logits = DATA.normal(size=(6, 4))
    labels = np.array([0, 3, -100, 2, 1, 3])
    multi = (DATA.uniform(size=(6, 4)) > 0.5).astype(float)
    a, b = DATA.normal(size=(6, 5)), DATA.normal(size=(6, 5))
    signs = np.array([1.0, -1.0, 1.0, -1.0, -1.0, 1.0])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        x = torch.tensor(logits, requires_grad=True)
        u = torch.tensor(a, requires_grad=True)
        v = torch.tensor(b, requires_grad=True)
        y, s = torch.from_numpy(labels), torch.from_numpy(signs)
        weight = torch.tensor([1.0, 2.0, 0.5, 3.0])
        losses = [
            nn.NLLLoss(weight=weight, ignore_index=-100)(F.log_softmax(x, 1), y),
            nn.NLLLoss(weight=weight, reduction="sum")(F.log_softmax(x, 1), y.clamp(min=0)),
            nn.CrossEntropyLoss(weight=weight, label_smoothing=0.2)(x, y),
            nn.MultiLabelSoftMarginLoss(weight=weight)(x, torch.from_numpy(multi)),
            nn.MultiLabelMarginLoss()(x, torch.tensor([[3, 0, -1, 1]] * 6)),
            nn.MultiMarginLoss(p=2, margin=0.5, weight=weight)(x, y.clamp(min=0)),
            nn.CosineEmbeddingLoss(margin=0.3)(u, v, s),
            nn.MarginRankingLoss(margin=0.1)(u[:, 0], v[:, 0], s),
            nn.HingeEmbeddingLoss(margin=1.5)(u.norm(dim=1), s),
            nn.SoftMarginLoss()(u[:, 1], s),
            nn.HuberLoss(delta=0.7)(u, v),
            nn.SmoothL1Loss(beta=0.3, reduction="sum")(u, v),
        ]
        total = sum(losses)
        total.backward()
        return losses, x.grad, u.grad, v.grad
    side_by_side(script)


def test_regression_losses_poisson_gaussian_and_triplets():
    rates = DATA.uniform(0.2, 3.0, size=(5, 3))
    counts = DATA.poisson(2.0, size=(5, 3)).astype(float)
    anchor, positive, negative = (DATA.normal(size=(5, 4)) for _ in range(3))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        r = torch.tensor(rates, requires_grad=True)
        c = torch.from_numpy(counts)
        mu = torch.tensor(anchor[:, :3], requires_grad=True)
        var = torch.tensor(rates[:, :1], requires_grad=True)
        x, p, n = (torch.tensor(t, requires_grad=True) for t in (anchor, positive, negative))
        losses = [
            nn.PoissonNLLLoss(log_input=False, full=True)(r, c),
            nn.PoissonNLLLoss(log_input=True, eps=1e-4)(r.log(), c),
            F.poisson_nll_loss(r, c, log_input=False, reduction="sum"),
            nn.GaussianNLLLoss(full=True)(mu, c, var),
            nn.GaussianNLLLoss(eps=0.5, reduction="sum")(mu, c, var.squeeze(1) * 0 + 0.1),
            nn.TripletMarginLoss(margin=0.5, p=1, swap=True)(x, p, n),
            nn.TripletMarginLoss(p=3, eps=1e-3, reduction="sum")(x, p, n),
            nn.TripletMarginWithDistanceLoss(
                distance_function=lambda a, b: 1 - F.cosine_similarity(a, b), margin=0.4,
                swap=True)(x, p, n),
            F.kl_div(F.log_softmax(x, 1), F.log_softmax(p, 1), reduction="batchmean",
                     log_target=True),
        ]
        total = sum(losses)
        total.backward()
        return losses, r.grad, mu.grad, var.grad, x.grad, p.grad, n.grad
    side_by_side(script)


def test_less_used_optimizers_over_a_small_regression():
    inputs = DATA.normal(size=(8, 3))
    targets = DATA.normal(size=(8, 1))

    def script(torch, copy_weights):
        nn = torch.nn
        models = [nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)) for _ in range(5)]
        copy_weights(*models)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        optimizers = [
            torch.optim.Adamax(models[0].parameters(), lr=0.05, weight_decay=0.01),
            torch.optim.ASGD(models[1].parameters(), lr=0.05, lambd=1e-3, alpha=0.75,
                             t0=2, weight_decay=0.01),
            torch.optim.Rprop(models[2].parameters(), lr=0.02, etas=(0.4, 1.3),
                              step_sizes=(1e-4, 0.5)),
            torch.optim.Adagrad(models[3].parameters(), lr=0.1, lr_decay=0.01,
                                initial_accumulator_value=0.2),
            torch.optim.NAdam(models[4].parameters(), lr=0.02, momentum_decay=3e-3,
                              decoupled_weight_decay=True, weight_decay=0.1),
        ]
        losses = []
        for _ in range(4):
            for model, optimizer in zip(models, optimizers):
                optimizer.zero_grad()
                loss = nn.functional.mse_loss(model(x), y)
                loss.backward()
                optimizer.step()
                losses.append(loss.detach())
        averaged = [(group["ax"] ** 2).sum() for group in optimizers[1].state.values()]
        return losses, models, averaged
    side_by_side(script)


def test_lbfgs_with_strong_wolfe_closure():
    inputs = DATA.normal(size=(10, 3))
    targets = DATA.normal(size=(10,))

    def script(torch, copy_weights):
        model = torch.nn.Linear(3, 1)
        copy_weights(model)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        optimizer = torch.optim.LBFGS(model.parameters(), lr=0.8, max_iter=6,
                                      history_size=3, line_search_fn="strong_wolfe")
        calls = []

        def closure():
            optimizer.zero_grad()
            loss = (model(x).squeeze(1) - y).pow(2).mean() + 0.1 * model.weight.pow(4).sum()
            loss.backward()
            calls.append(loss.detach())
            return loss
        losses = [optimizer.step(closure) for _ in range(3)]
        return losses, calls, model
    side_by_side(script)


@pytest.mark.filterwarnings("ignore:SGD.step. none of the 1 parameters has a gradient")
def test_cyclic_one_cycle_polynomial_and_plateau_schedules():
    def script(torch, copy_weights):
        def sgd():
            return torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1,
                                   momentum=0.9)
        sched = torch.optim.lr_scheduler
        o1, o2, o3, o4, o5 = sgd(), sgd(), sgd(), sgd(), sgd()
        cyclic = sched.CyclicLR(o1, base_lr=0.01, max_lr=0.1, step_size_up=3,
                                step_size_down=2, mode="exp_range", gamma=0.9,
                                base_momentum=0.8, max_momentum=0.95)
        one = sched.OneCycleLR(o2, max_lr=0.5, total_steps=12, pct_start=0.25,
                               anneal_strategy="linear", three_phase=True, div_factor=5.0,
                               final_div_factor=50.0)
        poly = sched.PolynomialLR(o3, total_iters=5, power=2.0)
        restarts = sched.CosineAnnealingWarmRestarts(o4, T_0=3, T_mult=2, eta_min=0.001)
        plateau = sched.ReduceLROnPlateau(o5, mode="max", factor=0.5, patience=1,
                                          threshold=0.1, threshold_mode="abs", cooldown=2,
                                          min_lr=0.02)
        scores = [1.0, 1.05, 1.02, 1.01, 1.3, 1.3, 1.2, 1.1, 1.0, 0.9, 0.9, 0.8]
        seen = []
        for step in range(12):
            for o in (o1, o2, o3, o4, o5):
                o.step()
            cyclic.step()
            one.step() if step < 11 else None
            poly.step()
            restarts.step(step + 0.5)
            plateau.step(scores[step])
            seen.append([o1.param_groups[0]["lr"], o1.param_groups[0]["momentum"],
                         o2.param_groups[0]["lr"], o2.param_groups[0]["momentum"],
                         o3.param_groups[0]["lr"], o4.param_groups[0]["lr"],
                         o5.param_groups[0]["lr"]])
        return seen, [cyclic.get_last_lr(), poly.get_last_lr(), restarts.get_last_lr()]
    side_by_side(script)


def test_weight_norm_and_orthogonal_parametrizations_in_training():
    inputs = DATA.normal(size=(6, 4))

    def script(torch, copy_weights):
        nn = torch.nn
        P = nn.utils.parametrizations
        normed = P.weight_norm(nn.Linear(4, 3), dim=0)
        normed_all = P.weight_norm(nn.Linear(3, 3), dim=None)
        rotation = P.orthogonal(nn.Linear(3, 3), orthogonal_map="cayley")
        reflection = P.orthogonal(nn.Linear(3, 3, bias=False), orthogonal_map="householder")
        spectral = P.spectral_norm(nn.Linear(3, 2), n_power_iterations=2)
        model = nn.Sequential(normed, nn.Tanh(), normed_all, rotation, reflection, nn.ELU(),
                              spectral)
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        x = torch.from_numpy(inputs)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = model(x).pow(2).sum()
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
        # (norms: the library's Linear keeps its weight as (in, out))
        return (losses, normed.weight.norm(), normed_all.weight.norm(),
                rotation.weight.norm(), spectral.weight.norm(), model)
    side_by_side(script)


def test_distribution_densities_entropies_and_divergences_with_gradients():
    values = DATA.uniform(0.1, 0.9, size=(4,))

    def script(torch, copy_weights):
        D = torch.distributions
        loc = torch.tensor([0.3, -0.2, 0.1, 0.5], requires_grad=True)
        scale = torch.tensor([0.7, 1.2, 0.9, 1.5], requires_grad=True)
        conc = torch.tensor([1.5, 2.5, 0.8, 3.0], requires_grad=True)
        x = torch.from_numpy(values)
        pairs = [
            (D.Normal(loc, scale), D.Normal(loc * 2, scale + 0.3)),
            (D.Laplace(loc, scale), D.Laplace(loc - 0.1, scale * 2)),
            (D.Gamma(conc, scale), D.Gamma(conc + 1, scale)),
            (D.Beta(conc, scale), D.Beta(scale, conc)),
            (D.Gumbel(loc, scale), D.Gumbel(loc + 1, scale)),
            (D.Kumaraswamy(conc, scale), None),
            (D.LogNormal(loc, scale), D.LogNormal(loc, scale * 1.5)),
            (D.Weibull(scale, conc), None),
            (D.Cauchy(loc, scale), None),
            (D.HalfNormal(scale), D.HalfNormal(scale * 2)),
            (D.StudentT(conc + 2, loc, scale), None),
            (D.Exponential(conc), D.Exponential(scale)),
            (D.ContinuousBernoulli(probs=x), D.ContinuousBernoulli(logits=loc)),
            (D.Bernoulli(logits=loc), D.Bernoulli(probs=x)),
            (D.Poisson(conc), D.Poisson(scale)),
            (D.Geometric(probs=x), D.Geometric(logits=loc)),
            (D.Binomial(5, probs=x), D.Binomial(5, logits=loc)),
        ]
        out = []
        total = 0
        for p, q in pairs:
            sample = x if p.support.is_discrete is False else x.round()
            log_p = p.log_prob(sample)
            ent = p.entropy() if not isinstance(p, D.Poisson) else log_p   # (none there)
            kl = D.kl_divergence(p, q) if q is not None else log_p
            out += [log_p, ent, kl]
            if not isinstance(p, D.Cauchy):                # (its mean is NaN in both)
                out += [p.mean, p.variance]
            total = total + log_p.sum() + ent.sum() + kl.sum()
        total.backward()
        return out, loc.grad, scale.grad, conc.grad
    # (the gradients through digamma take PyTorch's trigamma, which is off by up to
    # 1e-9 at these points; the library's agrees with mpmath to 1e-16)
    side_by_side(script, tol=1e-8)
