"""The twenty-seventh round of PyTorch scripts, training (see
test_torch_scripts_twentyseventh.py for the method): a classifier under ``NLLLoss``
with class weights and ``ignore_index``, multi-label and ranking losses
(``MultiLabelSoftMarginLoss``, ``MarginRankingLoss``, ``TripletMarginLoss`` with swap,
``HuberLoss``), count and variance losses (``PoissonNLLLoss``, ``GaussianNLLLoss``),
Rprop / Adamax / ASGD / SparseAdam loops, L-BFGS with a closure, ``LambdaLR``,
``PolynomialLR``, ``CyclicLR('triangular2')`` and ``SequentialLR`` schedules, a
``ReduceLROnPlateau`` in ``max`` mode, gradient accumulation, hooks that rescale
gradients, and ``torch.func`` jacobians and hessians of a model through
``functional_call``.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(27127)


def _mlp(nn, n_in=4, n_out=3):
    return nn.Sequential(nn.Linear(n_in, 8), nn.Tanh(), nn.Linear(8, n_out))


def test_nll_with_class_weights_and_ignore_index():
    inputs = DATA.normal(size=(8, 4))
    labels = np.array([0, 2, -100, 1, 2, -100, 0, 1])

    def script(torch, copy_weights):
        nn = torch.nn
        model = _mlp(nn)
        copy_weights(model)
        criterion = nn.NLLLoss(weight=torch.tensor([0.2, 1.0, 3.0]), ignore_index=-100)
        opt = torch.optim.SGD(model.parameters(), lr=0.1, nesterov=True, momentum=0.8)
        x, y = torch.tensor(inputs), torch.tensor(labels)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = criterion(nn.functional.log_softmax(model(x), dim=1), y)
            loss.backward()
            opt.step()
            losses.append(loss)
        summed = nn.functional.nll_loss(model(x).log_softmax(-1), y, reduction="none")
        return losses, summed, model
    side_by_side(script)


def test_multilabel_and_ranking_losses_train_one_embedding():
    inputs = DATA.normal(size=(6, 4))
    tags = (DATA.random(size=(6, 3)) > 0.5).astype(np.float64)
    order = np.array([1.0, -1.0, 1.0, 1.0, -1.0, 1.0])

    def script(torch, copy_weights):
        nn = torch.nn
        model = _mlp(nn)
        copy_weights(model)
        multilabel = nn.MultiLabelSoftMarginLoss(weight=torch.tensor([1.0, 0.5, 2.0]))
        ranking = nn.MarginRankingLoss(margin=0.3)
        triplet = nn.TripletMarginLoss(margin=0.5, p=2, swap=True)
        huber = nn.HuberLoss(delta=0.4)
        opt = torch.optim.Adamax(model.parameters(), lr=0.02)
        x, t, r = torch.tensor(inputs), torch.tensor(tags), torch.tensor(order)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            z = model(x)
            parts = torch.stack([multilabel(z, t), ranking(z[:, 0], z[:, 1], r),
                                 triplet(z[:2], z[2:4], z[4:]), huber(z, t)])
            parts.sum().backward()
            opt.step()
            losses.append(parts)
        return losses, model
    side_by_side(script)


def test_poisson_and_gaussian_negative_log_likelihoods():
    inputs = DATA.normal(size=(7, 4))
    counts = DATA.poisson(2.0, size=(7, 1)).astype(np.float64)
    target = DATA.normal(size=(7, 2))

    def script(torch, copy_weights):
        nn = torch.nn
        rate_model, gauss_model = _mlp(nn, n_out=1), _mlp(nn, n_out=4)
        copy_weights(rate_model, gauss_model)
        poisson = nn.PoissonNLLLoss(log_input=True, full=True)
        poisson_rate = nn.PoissonNLLLoss(log_input=False, eps=1e-6)
        gaussian = nn.GaussianNLLLoss(full=True, eps=1e-4)
        opt = torch.optim.Rprop([*rate_model.parameters(), *gauss_model.parameters()],
                                lr=0.01, etas=(0.4, 1.3), step_sizes=(1e-4, 0.5))
        x, c, y = torch.tensor(inputs), torch.tensor(counts), torch.tensor(target)
        losses = []
        for _ in range(4):
            opt.zero_grad()
            log_rate = rate_model(x)
            mean, raw_var = gauss_model(x).chunk(2, dim=1)
            loss = (poisson(log_rate, c) + poisson_rate(log_rate.exp(), c)
                    + gaussian(mean, y, nn.functional.softplus(raw_var)))
            loss.backward()
            opt.step()
            losses.append(loss)
        shared_var = gaussian(mean, y, torch.ones(7, 1))       # one variance per row
        return losses, shared_var, rate_model, gauss_model
    side_by_side(script)


def test_asgd_averages_and_sparse_adam_on_embeddings():
    inputs = DATA.normal(size=(5, 4))
    goal = DATA.normal(size=(5, 3))
    ids = np.array([[1, 3], [0, 3], [4, 2]])

    def script(torch, copy_weights):
        nn = torch.nn
        model = _mlp(nn)
        # (autodiff refuses sparse=True naming SparseAdam, which takes the dense gradient)
        embed = nn.Embedding(6, 3, sparse=torch.__name__ == "torch")
        copy_weights(model, embed)
        asgd = torch.optim.ASGD(model.parameters(), lr=0.05, t0=2, lambd=1e-3)
        sparse = torch.optim.SparseAdam(embed.parameters(), lr=0.05)
        x, y, i = torch.tensor(inputs), torch.tensor(goal), torch.tensor(ids)
        losses, averages = [], []
        for _ in range(4):
            asgd.zero_grad()
            sparse.zero_grad()
            loss = nn.functional.mse_loss(model(x), y) + embed(i).pow(2).sum(-1).mean()
            loss.backward()
            asgd.step()
            sparse.step()
            losses.append(loss)
        for p in model.parameters():
            averages.append(asgd.state[p]["ax"].norm())
        return losses, averages, model, embed
    side_by_side(script)


def test_lbfgs_with_a_closure_on_least_squares():
    inputs = DATA.normal(size=(10, 4))
    goal = inputs @ np.array([[0.5], [-1.0], [2.0], [0.1]]) + 0.3

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Linear(4, 1)
        copy_weights(model)
        opt = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=5, history_size=3)
        x, y = torch.tensor(inputs), torch.tensor(goal)
        losses = []

        def closure():
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(x), y)
            loss.backward()
            return loss
        for _ in range(3):
            losses.append(opt.step(closure))
        return losses, model
    side_by_side(script)


def test_lambda_polynomial_cyclic_and_sequential_schedules():
    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Linear(2, 1)
        copy_weights(model)
        lrs = []
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        lam = torch.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 0.9 ** epoch)
        for _ in range(4):
            opt.step()
            lam.step()
            lrs.append(opt.param_groups[0]["lr"])
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        poly = torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=5, power=2.0)
        for _ in range(7):
            opt.step()
            poly.step()
            lrs.append(opt.param_groups[0]["lr"])
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        cyc = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2,
                                                mode="triangular2")
        for _ in range(9):
            opt.step()
            cyc.step()
            lrs.append(opt.param_groups[0]["lr"])
            lrs.append(opt.param_groups[0]["momentum"])
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=3)
        decay = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.8)
        seq = torch.optim.lr_scheduler.SequentialLR(opt, [warm, decay], milestones=[3])
        for _ in range(6):
            opt.step()
            seq.step()
            lrs.append(opt.param_groups[0]["lr"])
        lrs.append(seq.get_last_lr()[0])
        return torch.tensor(lrs)
    side_by_side(script)


def test_reduce_on_plateau_in_max_mode_with_cooldown():
    scores = [0.5, 0.6, 0.6, 0.59, 0.58, 0.6, 0.61, 0.55, 0.55, 0.55, 0.55]

    def script(torch, copy_weights):
        model = torch.nn.Linear(2, 1)
        copy_weights(model)
        opt = torch.optim.Adam([{"params": [model.weight]},
                                {"params": [model.bias], "lr": 0.01}], lr=0.1)
        plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode="max", factor=0.5, patience=1, cooldown=1, threshold=0.01,
            threshold_mode="abs", min_lr=[0.02, 0.004])
        lrs = []
        for score in scores:
            opt.step()
            plateau.step(score)
            lrs.append([g["lr"] for g in opt.param_groups])
        return torch.tensor(lrs)
    side_by_side(script)


def test_gradient_accumulation_with_hooks_scaling_gradients():
    inputs = DATA.normal(size=(8, 4))
    labels = np.array([0, 1, 2, 1, 0, 2, 2, 1])

    def script(torch, copy_weights):
        nn = torch.nn
        model = _mlp(nn)
        copy_weights(model)
        seen = []
        model[0].register_full_backward_hook(
            lambda module, grad_in, grad_out: seen.append(grad_out[0].abs().sum()))
        model[2].weight.register_hook(lambda g: g * 0.5)
        opt = torch.optim.RMSprop(model.parameters(), lr=0.01, centered=True, momentum=0.5)
        x, y = torch.tensor(inputs), torch.tensor(labels)
        losses = []
        for step in range(2):
            opt.zero_grad(set_to_none=True)
            for chunk in range(4):
                part = slice(2 * chunk, 2 * chunk + 2)
                loss = nn.functional.cross_entropy(model(x[part]), y[part]) / 4
                loss.backward()
                losses.append(loss)
            opt.step()
        return losses, seen, model
    side_by_side(script)


def test_func_jacrev_and_hessian_of_a_model_through_functional_call():
    inputs = DATA.normal(size=(3, 4))

    def script(torch, copy_weights):
        nn = torch.nn
        model = _mlp(nn, n_out=2)
        copy_weights(model)
        params = {k: v.detach() for k, v in model.named_parameters()}
        x = torch.tensor(inputs)

        def loss_of(p, x):
            return torch.func.functional_call(model, p, (x,)).pow(2).sum()

        grads = torch.func.grad(loss_of)(params, x)
        jac = torch.func.jacrev(lambda x: torch.func.functional_call(model, params, (x,)))(x[0])
        hess = torch.func.hessian(lambda x: loss_of(params, x))(x[1])
        per_sample = torch.func.vmap(torch.func.grad(lambda x: loss_of(params, x)))(x)
        return grads["2.bias"], grads["0.bias"], jac, hess, per_sample
    side_by_side(script)
