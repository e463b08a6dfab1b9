"""A user's ``Optimizer`` subclass that makes its state in its first ``step()`` (``if
"exp_avg" not in state: state["exp_avg"] = zeros_like(p)``, the usual way): the
traced call that made it keeps no plan, the next call traces again with the state
there, and the replays then equal eager execution (``compile_scripts8``'s twins,
bit for bit unfused) with no ``NotReplayedWarning``."""

from __future__ import annotations

import functools
import warnings

import pytest

import autodiff as ad
from autodiff.compile import NotReplayedWarning
from compile_scripts8 import UNFUSED, F, compiled_like_eager, draws, made, nn, torch


class LazyAdam(torch.optim.Optimizer):
    """Adam without bias correction, its moments made in the first ``step()``."""

    def __init__(self, params, lr=1e-2, betas=(0.9, 0.99), eps=1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                if "exp_avg" not in state:
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                beta1, beta2 = group["betas"]
                exp_avg.mul_(beta1).add_(p.grad, alpha=1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
                denominator = exp_avg_sq.sqrt().add_(group["eps"])
                p.addcdiv_(exp_avg, denominator, value=-group["lr"])


class Remembering(torch.optim.Optimizer):
    """Gradient descent that puts a new copy of each parameter in its state at every
    step, or (``history``) appends one to a list there."""

    def __init__(self, params, lr=1e-2, history=False):
        super().__init__(params, dict(lr=lr))
        self.history = history

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if self.history:
                    self.state[p].setdefault("previous", []).append(p.clone())
                else:
                    self.state[p]["previous"] = p.clone()
                p.add_(p.grad, alpha=-group["lr"])


def mean_square_error(model, x, y):
    return F.mse_loss(model(x), y)


def regression(optimizer_class):
    """``make()`` of a regression step optimized by ``optimizer_class``."""
    def make():
        model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))
        return made(model, optimizer_class(model.parameters(), lr=1e-2), mean_square_error)
    return make


def test_state_made_in_the_first_step_replays_as_eager_for_100_steps():
    batches = draws(21, (8, 4), (8, 2), n=100)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotReplayedWarning)
        # (traced twice: the first call made the state, the second traces with it)
        compiled_like_eager(regression(LazyAdam), batches, traces=2, fuse_modes=UNFUSED)


def test_state_made_lazily_with_another_batch_size_traces_once_more():
    batches = draws(22, (8, 4), (8, 2), n=4) + draws(23, (5, 4), (5, 2), n=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotReplayedWarning)
        compiled_like_eager(regression(LazyAdam), batches, traces=3, fuse_modes=UNFUSED)


def test_state_replaced_at_every_step_replays_as_eager():
    batches = draws(24, (8, 4), (8, 2), n=6)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotReplayedWarning)
        compiled_like_eager(regression(Remembering), batches, traces=2,
                            fuse_modes=UNFUSED)


def test_tensors_appended_to_a_list_in_the_state_are_still_warned_of():
    step, _ = regression(functools.partial(Remembering, history=True))()
    with pytest.warns(NotReplayedWarning, match=r"\._state\[0\]\['previous'\]\[0\]"):
        ad.compile(step, fuse=False)(*draws(25, (8, 4), (8, 2), n=1)[0])
