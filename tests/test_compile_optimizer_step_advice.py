"""A user's ``Optimizer`` subclass doing NumPy arithmetic on ``p.grad`` in its
``step()`` (Lion as often written: ``grad * (1 - beta1)``) is refused naming the line,
the class and the spellings that replay; and those spellings replay as eager execution
does (``compile_scripts8.compiled_like_eager``)."""

from __future__ import annotations

import re

import pytest

import autodiff as ad
from autodiff.compile.refusals import TraceError
from compile_scripts8 import (UNFUSED, F, compiled_like_eager, line_of, nn, refused_naming,
                              torch, two_sizes)


class Lion(torch.optim.Optimizer):
    """Lion; ``spelling`` says how the update reads the gradient: ``"numpy"`` (NumPy's
    product, refused), ``"as_tensor"`` or ``"in_place"``."""

    def __init__(self, params, lr=1e-2, betas=(0.9, 0.99), weight_decay=0.1,
                 spelling="numpy"):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))
        self.spelling = spelling
        for group in self.param_groups:     # (made before the compiled calls)
            for p in group["params"]:
                self.state[p]["exp_avg"] = torch.zeros_like(p)

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                p.mul_(1 - group["lr"] * group["weight_decay"])
                grad = p.grad
                exp_avg = self.state[p]["exp_avg"]
                beta1, beta2 = group["betas"]
                if self.spelling == "as_tensor":
                    update = exp_avg * beta1 + ad.as_tensor(grad) * (1 - beta1)
                elif self.spelling == "in_place":
                    update = exp_avg.clone().mul_(beta1).add_(grad, alpha=1 - beta1)
                else:
                    update = exp_avg * beta1 + grad * (1 - beta1)
                p.add_(torch.sign(update), alpha=-group["lr"])
                exp_avg.mul_(beta2).add_(grad, alpha=1 - beta2)


def lion_step(spelling):
    """``make()`` of a regression step optimized by ``Lion(spelling=...)``."""
    def make():
        model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))
        optimizer = Lion(model.parameters(), spelling=spelling)

        def step(x, y):
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            return loss
        return step, {"model": model, "optimizer": optimizer}
    return make


BATCHES = two_sizes(42, [(12, 4), (12, 2)], [(8, 4), (8, 2)])


def test_numpy_arithmetic_on_the_gradient_is_refused_with_advice_for_the_step():
    line = line_of(Lion, "update = exp_avg * beta1 + grad")
    refused_naming(lion_step("numpy"), BATCHES[0],
                   rf"given to 'add' at {re.escape(line)} .*That line is in Lion\.step\(\), "
                   r"where p\.grad is a NumPy array.*ad\.as_tensor\(p\.grad\).*"
                   r"add_\(grad, alpha=1 - beta1\)")


@pytest.mark.parametrize("spelling", ["as_tensor", "in_place"])
def test_the_advised_spellings_replay_as_eager(spelling):
    compiled_like_eager(lion_step(spelling), BATCHES, traces=2, fuse_modes=UNFUSED)


def test_a_refusal_outside_an_optimizer_step_gets_no_such_advice():
    w = ad.tensor([1.0, 2.0], requires_grad=True)

    def step(x):
        loss = (w * x).sum()
        loss.backward()
        return loss + ad.tensor(w.grad * 2.0).sum()
    with pytest.raises(TraceError, match="made during the call") as refusal:
        ad.compile(step)(ad.tensor([1.0, 1.0]))
    assert ".step()" not in str(refusal.value) and "p.grad is" not in str(refusal.value)
