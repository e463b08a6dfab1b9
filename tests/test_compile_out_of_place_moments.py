"""A user's ``Optimizer`` subclass writing its moments out of place on the NumPy
gradient (``state["exp_avg"] = exp_avg.mul(b1).add(grad, alpha=1 - b1)``, or with
``torch.mul``/``torch.add``/``torch.addcmul``) replays as eager execution does, bit for
bit unfused (``compile_scripts8``'s twins), where it was refused; the state entries
keep their tensors, updated in place by each replay (``replaced_state.py``)."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile.refusals import TraceError
from compile_scripts8 import UNFUSED, F, compiled_like_eager, draws, made, nn, torch


def moments(spelling, exp_avg, exp_avg_sq, grad, beta1, beta2):
    """Adam's moments, out of place, as ``spelling`` writes them."""
    if spelling == "methods":
        return (exp_avg.mul(beta1).add(grad, alpha=1 - beta1),
                exp_avg_sq.mul(beta2).addcmul(grad, grad, value=1 - beta2))
    if spelling == "functions":
        return (torch.add(torch.mul(exp_avg, beta1), grad, alpha=1 - beta1),
                torch.addcmul(torch.mul(exp_avg_sq, beta2), grad, grad, value=1 - beta2))
    # (sub with a negative alpha, and a tensor gradient)
    grad = ad.as_tensor(grad)
    return (exp_avg.mul(beta1).sub(grad, alpha=beta1 - 1),
            exp_avg_sq * beta2 + grad * grad * (1 - beta2))


class OutOfPlaceAdam(torch.optim.Optimizer):
    """Adam with bias correction by a step count kept in a tensor; its moments are
    replaced at each step, made in ``__init__`` or (``lazy``) in the first step."""

    def __init__(self, params, lr=1e-2, betas=(0.9, 0.99), eps=1e-8,
                 spelling="methods", lazy=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))
        self.spelling = spelling
        if not lazy:
            for p in self.params:
                self.state[p].update(exp_avg=torch.zeros_like(p),
                                     exp_avg_sq=torch.zeros_like(p),
                                     step=torch.zeros(()))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                state = self.state[p]
                if "step" not in state:
                    state.update(exp_avg=torch.zeros_like(p),
                                 exp_avg_sq=torch.zeros_like(p), step=torch.zeros(()))
                state["step"] = state["step"] + 1
                state["exp_avg"], state["exp_avg_sq"] = moments(
                    self.spelling, state["exp_avg"], state["exp_avg_sq"], p.grad,
                    beta1, beta2)
                corrected = state["exp_avg"] / (1 - beta1 ** state["step"])
                scale = (1 - beta2 ** state["step"]).sqrt()
                denominator = (state["exp_avg_sq"].sqrt() / scale).add(group["eps"])
                p.sub_(group["lr"] * corrected / denominator)


def mean_square_error(model, x, y):
    return F.mse_loss(model(x), y)


def regression(**options):
    """``make()`` of a regression step optimized by ``OutOfPlaceAdam(**options)``."""
    def make():
        model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))
        return made(model, OutOfPlaceAdam(model.parameters(), **options), mean_square_error)
    return make


def test_out_of_place_moments_replay_as_eager_for_100_steps():
    batches = draws(31, (8, 4), (8, 2), n=100)
    compiled_like_eager(regression(spelling="methods"), batches, fuse_modes=UNFUSED)


@pytest.mark.parametrize("spelling", ["functions", "tensor_gradient"])
def test_other_spellings_replay_as_eager(spelling):
    batches = draws(32, (8, 4), (8, 2), n=12)
    compiled_like_eager(regression(spelling=spelling), batches, fuse_modes=UNFUSED)


def test_out_of_place_moments_made_lazily_replay_as_eager():
    batches = draws(33, (8, 4), (8, 2), n=12)
    compiled_like_eager(regression(lazy=True), batches, traces=2, fuse_modes=UNFUSED)


def test_the_state_entries_keep_their_tensors_updated_in_place():
    step, things = regression()()
    optimizer = things["optimizer"]
    held = [dict(state) for state in optimizer.state]
    compiled = ad.compile(step, fuse=False)
    for x, y in draws(34, (8, 4), (8, 2), n=3):
        compiled(x, y)
    assert compiled.traces == 1
    for before, state in zip(held, optimizer.state):
        assert all(state[key] is before[key] for key in before)
    assert float(optimizer.state[0]["step"].item()) == 3.0
    assert np.abs(optimizer.state[0]["exp_avg"].data).sum() > 0


class Anchored(torch.optim.Optimizer):
    """Gradient descent that puts a tensor made before the call (its anchor) in each
    parameter's state, where ``__init__`` put zeros."""

    def __init__(self, params, lr=1e-2):
        super().__init__(params, dict(lr=lr))
        self.anchors = [torch.ones_like(p) for p in self.params]
        for p in self.params:
            self.state[p]["anchor"] = torch.zeros_like(p)

    @torch.no_grad()
    def step(self, closure=None):
        for index, p in enumerate(self.params):
            self.state[p]["anchor"] = self.anchors[index]
            p.add_(p.grad, alpha=-self.defaults["lr"])


def test_a_state_entry_given_a_tensor_from_before_the_call_holds_that_tensor():
    model = nn.Linear(4, 2)
    optimizer = Anchored(model.parameters())
    step, _ = made(model, optimizer, mean_square_error)
    compiled = ad.compile(step, fuse=False)
    for x, y in draws(35, (8, 4), (8, 2), n=2):
        compiled(x, y)
    assert all(state["anchor"] is anchor
               for state, anchor in zip(optimizer.state, optimizer.anchors))


class Widening(torch.optim.Optimizer):
    """Momentum kept in float32, replaced by a float64 value at each step."""

    def __init__(self, params, lr=1e-2):
        super().__init__(params, dict(lr=lr))
        for p in self.params:
            self.state[p]["momentum"] = torch.zeros_like(p).to(torch.float32)

    @torch.no_grad()
    def step(self, closure=None):
        for p in self.params:
            state = self.state[p]
            state["momentum"] = state["momentum"] * 0.9 + ad.as_tensor(p.grad)
            p.sub_(state["momentum"], alpha=self.defaults["lr"])


def test_a_state_entry_replaced_by_another_dtype_is_refused_naming_the_entry():
    model = nn.Linear(4, 2)
    step, _ = made(model, Widening(model.parameters()), mean_square_error)
    with pytest.raises(TraceError, match=r"state entry 'momentum' .*dtype float32.*"
                                         r"dtype float64"):
        ad.compile(step, fuse=False)(*draws(36, (8, 4), (8, 2), n=1)[0])
