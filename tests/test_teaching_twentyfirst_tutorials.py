"""Tutorial 09's timing goes through tutorials/_common.py's interleaved timer with a
CPU clock (it had its own copy of the timer), and its hand-written NumPy baseline
lives in tutorials/_spiral_numpy.py; the step is still tutorial 05's arithmetic."""

import time

import numpy as np

import autodiff as ad
from tutorials._common import interleaved_median_times, interleaved_times
from tutorials._spiral_numpy import numpy_spiral_step


def test_the_timer_reads_the_clock_it_is_given():
    ticks = iter(range(100))
    calls = []
    times = interleaved_times({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
                              repeats=2, number=3, clock=lambda: next(ticks))
    assert calls == ["a"] * 3 + ["b"] * 3 + ["a"] * 3 + ["b"] * 3   # in turn, round by round
    assert times == {"a": [1 / 3, 1 / 3], "b": [1 / 3, 1 / 3]}     # (end - start) / number
    medians = interleaved_median_times({"c": lambda: None}, 3, clock=time.process_time)
    assert medians["c"] >= 0


def test_the_numpy_baseline_is_the_eager_adam_step():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 2))
    y = rng.integers(0, 3, size=12)
    model = ad.nn.MLP([2, 64, 3], rng=0)
    opt = ad.optim.Adam(model.parameters(), lr=0.05)
    step, params = numpy_spiral_step(model, X, y, lr=0.05)
    for _ in range(3):
        loss = ad.nn.functional.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        numpy_loss = step()
    np.testing.assert_allclose(numpy_loss, float(loss.data), rtol=1e-12)
    for p, q in zip(model.parameters(), params):
        np.testing.assert_allclose(q, p.data, rtol=1e-9, atol=1e-12)
