"""ad.compile: what a trace must not change and what a replay must not leave stale.

* The watch on an optimizer's counters while tracing leaves ``type(opt)`` as it is
  (``type(self) is X`` in a step behaves as in eager execution).
* A module's Python counter the forward computes with is refused, naming the attribute
  and line; one only counted up is carried by each replay.
* An array over 4,096 bytes the step reads into Python element by element
  (``float(self.table[3])``) and that is changed in place between calls traces again.
"""

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn as nn
from autodiff.compile import NotReplayedWarning


class _TypeChecking(ad.optim.Optimizer):
    """SGD that takes another learning rate when its type is exactly this class."""

    def __init__(self, params):
        super().__init__(params, dict(lr=0.1))
        self.calls = 0
        self.seen = []

    @ad.no_grad()
    def step(self):
        self.calls += 1
        self.seen.append((type(self) is _TypeChecking, type(self).__name__))
        lr = 0.1 if type(self) is _TypeChecking else 0.3
        for p in self.param_groups[0]["params"]:
            p.sub_(ad.as_tensor(p.grad) * lr)


def _type_checking_run(compile_it, calls=6):
    model = nn.Linear(3, 2, rng=0)
    opt = _TypeChecking(model.parameters())
    x = np.linspace(-1, 1, 12).reshape(4, 3)

    def step(x):
        loss = (model(x) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    step = ad.compile(step) if compile_it else step
    losses = [step(x).item() for _ in range(calls)]
    return losses, opt, model


def test_the_counter_watch_leaves_the_optimizers_type_unchanged_while_tracing():
    with pytest.warns(NotReplayedWarning, match="the list opt.seen"):
        compiled, opt, model = _type_checking_run(True)
    eager, eager_opt, eager_model = _type_checking_run(False)
    assert compiled == eager
    assert opt.seen == [(True, "_TypeChecking")]          # (the trace's call)
    assert opt.calls == eager_opt.calls == 6
    assert np.array_equal(model.weight.data, eager_model.weight.data)
    assert "__getattribute__" not in vars(_TypeChecking)
