"""Round 22 of the PyTorch scripts (see test_torch_scripts_twentysecond.py): training
habits.  Co-teaching on noisy labels (two networks, each trained on the samples the
other finds easiest by ``argsort`` of per-sample losses), a learning-rate range test
(``LambdaLR`` growing the rate geometrically, a smoothed loss, the model and optimizer
restored from ``copy.deepcopy`` of their state dicts), SGD with gradient centralisation
as a ``torch.optim.Optimizer`` subclass, a learned optimizer (a coordinatewise
``LSTMCell`` proposing updates, meta-trained through an unrolled inner loop with
``create_graph=True``), Bayes by Backprop (``F.softplus`` scales, explicit noise, a
scale-mixture prior by ``torch.logsumexp`` and ``kl_divergence`` of Normals), a
Lagrangian neural network (accelerations from ``torch.func.hessian`` and ``jacrev`` of
a learned Lagrangian, solved by ``torch.linalg.solve``), DeepDream (gradient ascent on
the input, normalised by the gradient's mean magnitude, jittered by ``torch.roll``,
across octaves by ``F.interpolate``) and SmoothGrad (saliency averaged over explicit
noise, by ``torch.autograd.grad``).
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2222)


def test_co_teaching_trains_each_network_on_the_others_small_loss_samples():
    inputs = DATA.normal(size=(20, 4))
    labels = (inputs[:, 0] + inputs[:, 1] > 0).astype(np.int64)
    labels[:4] = 1 - labels[:4]                               # noisy labels

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        net1 = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        net2 = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
        copy_weights(net1, net2)
        opt1 = torch.optim.Adam(net1.parameters(), lr=0.01)
        opt2 = torch.optim.Adam(net2.parameters(), lr=0.01)
        x, y = torch.from_numpy(inputs), torch.from_numpy(labels)
        history = []
        for epoch in range(4):
            forget_rate = 0.2 * min(epoch / 2, 1.0)
            num_remember = int((1 - forget_rate) * len(y))
            loss1 = F.cross_entropy(net1(x), y, reduction="none")
            loss2 = F.cross_entropy(net2(x), y, reduction="none")
            idx1 = torch.argsort(loss1.detach())[:num_remember]
            idx2 = torch.argsort(loss2.detach())[:num_remember]
            update1 = F.cross_entropy(net1(x[idx2]), y[idx2])
            update2 = F.cross_entropy(net2(x[idx1]), y[idx1])
            opt1.zero_grad()
            update1.backward()
            opt1.step()
            opt2.zero_grad()
            update2.backward()
            opt2.step()
            history.append((num_remember, idx1, idx2, update1.item(), update2.item()))
        return history, net1, net2
    side_by_side(script)


def test_learning_rate_range_test_restores_the_model_and_optimizer():
    inputs = DATA.normal(size=(16, 3))
    targets = inputs @ np.array([1.0, -2.0, 0.5]) + 0.1

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 1))
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
        model_state = copy.deepcopy(model.state_dict())
        optimizer_state = copy.deepcopy(optimizer.state_dict())
        start_lr, end_lr, steps = 1e-4, 1.0, 8
        factor = (end_lr / start_lr) ** (1 / (steps - 1))
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: factor ** step)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets).unsqueeze(1)
        lrs, smoothed, average, best = [], [], 0.0, float("inf")
        for step in range(steps):
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            average = 0.7 * average + 0.3 * loss.item()
            debiased = average / (1 - 0.7 ** (step + 1))
            lrs.append(scheduler.get_last_lr()[0])
            smoothed.append(debiased)
            best = min(best, debiased)
            if debiased > 4 * best:
                break
            scheduler.step()
        suggested = lrs[int(np.argmin(np.gradient(np.array(smoothed))))]
        model.load_state_dict(model_state)
        optimizer.load_state_dict(optimizer_state)
        return lrs, smoothed, suggested, model, optimizer.param_groups[0]["lr"], \
            len(optimizer.state)
    side_by_side(script)


def test_sgd_with_gradient_centralisation_as_an_optimizer_subclass():
    images = DATA.normal(size=(4, 1, 6, 6))
    labels = np.array([0, 1, 2, 1])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class SGDGC(torch.optim.Optimizer):
            def __init__(self, params, lr=0.1, momentum=0.9):
                super().__init__(params, dict(lr=lr, momentum=momentum))

            @torch.no_grad()
            def step(self, closure=None):
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        d_p = p.grad
                        if d_p.dim() > 1:
                            d_p = d_p - d_p.mean(dim=tuple(range(1, d_p.dim())), keepdim=True)
                        state = self.state[p]
                        if "momentum_buffer" not in state:
                            state["momentum_buffer"] = torch.clone(d_p).detach()
                        else:
                            state["momentum_buffer"].mul_(group["momentum"]).add_(d_p)
                        p.add_(state["momentum_buffer"], alpha=-group["lr"])

        # (convolutions only: a Linear's weight is (in, out) here, PyTorch's (out, in),
        # so centring it over dim 1 would centre over other entries)
        model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Conv2d(3, 3, 4), nn.Flatten())
        copy_weights(model)
        optimizer = SGDGC(model.parameters(), lr=0.05)
        x, y = torch.from_numpy(images), torch.from_numpy(labels)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        centred = model[0].weight.grad - model[0].weight.grad.mean(dim=(1, 2, 3), keepdim=True)
        return losses, model, centred
    side_by_side(script)


def test_learned_optimizer_meta_trained_through_an_unrolled_inner_loop():
    tasks = DATA.normal(size=(2, 5, 3))
    solutions = DATA.normal(size=(2, 3))

    def script(torch, copy_weights):
        nn = torch.nn

        class LearnedOptimizer(nn.Module):
            def __init__(self, hidden=4):
                super().__init__()
                self.hidden = hidden
                self.cell = nn.LSTMCell(1, hidden)
                self.out = nn.Linear(hidden, 1)

            def forward(self, grad, state):
                h, c = self.cell(grad.reshape(-1, 1), state)
                return 0.1 * self.out(h).reshape(grad.shape), (h, c)

        learner = LearnedOptimizer()
        copy_weights(learner)
        meta_optimizer = torch.optim.Adam(learner.parameters(), lr=0.01)
        history = []
        for A_np, w_np in zip(tasks, solutions):
            A, b = torch.from_numpy(A_np), torch.from_numpy(A_np @ w_np)
            w = torch.zeros(3, requires_grad=True)
            state = (torch.zeros(3, 4), torch.zeros(3, 4))
            meta_loss = 0
            for _ in range(3):
                loss = ((A @ w - b) ** 2).mean()
                (grad,) = torch.autograd.grad(loss, w, create_graph=True)
                update, state = learner(grad, state)
                w = w + update
                meta_loss = meta_loss + ((A @ w - b) ** 2).mean()
            meta_optimizer.zero_grad()
            meta_loss.backward()
            meta_optimizer.step()
            history.append((meta_loss.item(), w.detach()))
        return history, learner
    side_by_side(script)


def test_bayes_by_backprop_with_a_scale_mixture_prior_and_explicit_noise():
    inputs = DATA.normal(size=(12, 2))
    targets = np.sin(inputs[:, :1]) + 0.1 * DATA.normal(size=(12, 1))
    noises = DATA.normal(size=(3, 2, 2 * 6 + 6 + 6 + 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        Normal = torch.distributions.Normal

        class BayesLinear(nn.Module):
            def __init__(self, n_in, n_out):
                super().__init__()
                self.shape = (n_out, n_in)
                self.mu = nn.Parameter(torch.zeros(n_out * n_in + n_out).uniform_(-0.2, 0.2))
                self.rho = nn.Parameter(torch.full((n_out * n_in + n_out,), -3.0))

            def forward(self, x, eps):
                sigma = F.softplus(self.rho)
                theta = self.mu + sigma * eps
                n = self.shape[0] * self.shape[1]
                weight, bias = theta[:n].view(self.shape), theta[n:]
                prior = torch.logsumexp(torch.stack([
                    math.log(0.5) + Normal(0.0, 1.0).log_prob(theta),
                    math.log(0.5) + Normal(0.0, 0.1).log_prob(theta)]), dim=0).sum()
                posterior = Normal(self.mu, sigma).log_prob(theta).sum()
                kl_to_unit = torch.distributions.kl_divergence(
                    Normal(self.mu, sigma), Normal(torch.zeros_like(self.mu), 1.0)).sum()
                return F.linear(x, weight, bias), posterior - prior, kl_to_unit

        layer1, layer2 = BayesLinear(2, 6), BayesLinear(6, 1)
        copy_weights(layer1, layer2)
        params = list(layer1.parameters()) + list(layer2.parameters())
        optimizer = torch.optim.Adam(params, lr=0.01)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        history = []
        for noise in noises:
            optimizer.zero_grad()
            elbo_terms = []
            for eps in torch.from_numpy(noise):
                h, complexity1, kl1 = layer1(x, eps[:18])
                out, complexity2, kl2 = layer2(torch.relu(h), eps[18:])
                nll = -Normal(out, 0.1).log_prob(y).sum()
                elbo_terms.append(nll + (complexity1 + complexity2) / 10)
            loss = torch.stack(elbo_terms).mean()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), (kl1 + kl2).item()))
        return history, layer1.mu, layer2.rho
    side_by_side(script)


# (the Lagrangian's last bias leaves the accelerations unchanged: it gets no gradient)
@pytest.mark.filterwarnings("ignore::autodiff.NoGradientWarning")
def test_lagrangian_neural_network_accelerations_from_hessian_and_jacrev():
    states = DATA.normal(size=(5, 2))                      # (q, q_dot) of a 1-d system
    true_acc = -np.sin(states[:, 0])                       # a pendulum

    def script(torch, copy_weights):
        nn = torch.nn
        lagrangian = nn.Sequential(nn.Linear(2, 8), nn.Softplus(), nn.Linear(8, 1))
        copy_weights(lagrangian)
        optimizer = torch.optim.Adam(lagrangian.parameters(), lr=0.01)

        def L(state):
            return lagrangian(state).squeeze()

        def acceleration(state):
            H = torch.func.hessian(L)(state)                    # (2, 2)
            J = torch.func.jacrev(L)(state)                     # (2,)
            q_dot = state[1:]
            rhs = J[:1] - H[1:, :1] @ q_dot
            return torch.linalg.solve(H[1:, 1:] + 1e-3 * torch.eye(1), rhs)

        x, target = torch.from_numpy(states), torch.from_numpy(true_acc)
        losses = []
        for _ in range(3):
            predicted = torch.stack([acceleration(s) for s in x]).squeeze(-1)
            loss = ((predicted - target) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, lagrangian, predicted.detach()
    side_by_side(script)


def test_deepdream_gradient_ascent_with_roll_jitter_across_octaves():
    image = DATA.uniform(size=(1, 3, 8, 8))
    shifts = DATA.integers(-2, 3, size=(2, 3, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
                              nn.Conv2d(4, 4, 3, padding=1), nn.ReLU())
        copy_weights(model)
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)
        base = torch.from_numpy(image)
        detail = torch.zeros_like(base)
        octaves = [F.interpolate(base, scale_factor=0.75, mode="bilinear",
                                 align_corners=False), base]
        results = []
        for octave_base, octave_shifts in zip(octaves, torch.from_numpy(shifts)):
            if detail.shape != octave_base.shape:
                detail = F.interpolate(detail, size=octave_base.shape[-2:], mode="bilinear",
                                       align_corners=False)
            x = (octave_base + detail).clone().requires_grad_(True)
            for dy, dx in octave_shifts.tolist():
                x.data = torch.roll(x.data, shifts=(dy, dx), dims=(-2, -1))
                activation = model(x)
                loss = activation.norm()
                loss.backward()
                g = x.grad
                x.data += 0.05 * g / (g.abs().mean() + 1e-8)
                x.grad.zero_()
                x.data = torch.roll(x.data, shifts=(-dy, -dx), dims=(-2, -1))
                x.data.clamp_(0, 1)
                results.append(loss.item())
            detail = x.detach() - octave_base
        return results, x.detach()
    side_by_side(script)


def test_smoothgrad_saliency_averaged_over_explicit_noise():
    images = DATA.uniform(size=(2, 1, 5, 5))
    noise = DATA.normal(size=(4, 2, 1, 5, 5)) * 0.1

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.Tanh(), nn.Flatten(), nn.Linear(27, 4))
        copy_weights(model)
        model.eval()
        x = torch.from_numpy(images)
        with torch.no_grad():
            target = model(x).argmax(dim=1)
        total = torch.zeros_like(x)
        for eps in torch.from_numpy(noise):
            noisy = (x + eps).requires_grad_(True)
            score = model(noisy).gather(1, target.unsqueeze(1)).sum()
            (grad,) = torch.autograd.grad(score, noisy)
            total += grad
        saliency = (total / len(noise)).abs().amax(dim=1)
        flat = saliency.flatten(1)
        normalised = (flat - flat.min(dim=1, keepdim=True).values) / (
            flat.max(dim=1, keepdim=True).values - flat.min(dim=1, keepdim=True).values)
        return target, saliency, normalised.view_as(saliency)
    side_by_side(script)
