"""The twenty-fourth round's carried or refused optimizer counters of ``ad.compile``
crossed with optimizers written without ``ad.optim.Optimizer`` as their base (a class
with ``step()`` and ``zero_grad()``, as students write them): the same carrying and
the same refusal, where before a replay silently kept the traced count."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError

X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]])


class CountingSGD:
    """SGD by hand, counting its steps in a number it reads nowhere else."""

    def __init__(self, params, lr=0.1):
        self.params, self.lr, self.steps = list(params), lr, 0

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @ad.no_grad()
    def step(self):
        self.steps += 1
        for p in self.params:
            p -= ad.as_tensor(p.grad) * self.lr


class DecayingSGD(CountingSGD):
    """SGD by hand whose step size reads its count (lr / t)."""

    @ad.no_grad()
    def step(self):
        self.steps += 1
        for p in self.params:
            p -= ad.as_tensor(p.grad) * (self.lr / self.steps)


def _run(optimizer_class, compile_it, calls=5):
    w = ad.tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    optimizer = optimizer_class([w])

    def step(x):
        optimizer.zero_grad()
        loss = ((ad.as_tensor(x) @ w) ** 2).sum()
        loss.backward()
        optimizer.step()
        return loss
    run = ad.compile(step) if compile_it else step
    losses = [run(X).item() for _ in range(calls)]
    return losses, w.data.copy(), optimizer.steps


def test_a_counter_of_a_duck_typed_optimizer_is_carried_by_each_replay():
    compiled, eager = _run(CountingSGD, True), _run(CountingSGD, False)
    assert compiled[2] == eager[2] == 5
    assert compiled[0] == eager[0]
    np.testing.assert_array_equal(compiled[1], eager[1])


def test_a_count_a_duck_typed_optimizer_reads_is_refused_naming_it():
    with pytest.raises(TraceError, match=r"DecayingSGD\.steps of an optimizer while tracing "
                                         r"\(0 -> 1\), and the code reads it"):
        _run(DecayingSGD, True)
