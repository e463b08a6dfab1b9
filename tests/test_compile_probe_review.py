"""A compiled step that would silently differ from eager execution: a module given
another function or submodule where the plan did not look, an array the call changes
in place with NumPy, and calls from another thread while one traces."""

import threading
import time
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.compile import NotReplayedWarning


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 4)
        self.b = nn.Linear(4, 2)
        self.act = ad.relu

    def loss(self, x):
        return (self.b(self.act(self.a(x))) ** 2).mean()


def _losses(compiled, change):
    """Four SGD steps of a ``_Net`` through ``model.loss``, ``change(model, opt)``
    before the third; the losses and the final weights."""
    nn.manual_seed(0)
    model = _Net()
    opt = ad.optim.SGD(model.parameters(), lr=0.1)

    def step(x):
        loss = model.loss(x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    run = ad.compile(step, fuse=False) if compiled else (lambda x: step(ad.tensor(x)))
    losses = []
    for k in range(4):
        if k == 2:
            change(model, opt)
        losses.append(run(np.linspace(-1.0, 1.0, 6).reshape(2, 3) * (k + 1)).data.copy())
    return losses, [p.data.copy() for p in model.parameters()]


def _new_b(model, opt):
    nn.manual_seed(5)
    model.b = nn.Linear(4, 2)
    opt.add_param_group({"params": list(model.b.parameters())})


@pytest.mark.parametrize("change", [
    lambda model, opt: setattr(model, "act", ad.tanh),    # a function attribute
    _new_b,                         # a submodule of a module the call did not call
], ids=["function", "submodule"])
def test_a_module_reached_by_name_given_another_function_or_submodule_traces_again(change):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # (the old b's parameters get no gradient)
        eager = _losses(False, change)
        compiled = _losses(True, change)
    for e, c in zip(eager[0] + eager[1], compiled[0] + compiled[1]):
        np.testing.assert_array_equal(c, e)


def test_a_called_layer_given_another_activation_traces_again():
    layer = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0)
    x = np.linspace(-1.0, 1.0, 24).reshape(2, 3, 4)

    @ad.compile
    def forward(x):
        with ad.no_grad():
            return layer(x)

    forward(x)
    forward(x)
    layer.activation = ad.nn.functional.gelu
    with ad.no_grad():
        expected = layer(ad.tensor(x)).data
    np.testing.assert_allclose(forward(x).data, expected, rtol=1e-12, atol=1e-12)
    assert forward.traces == 2


def test_an_array_changed_in_place_by_numpy_during_the_trace_warns():
    class Centered(nn.Module):
        def __init__(self):
            super().__init__()
            self.mean = np.zeros(3)

        def forward(self, x):
            self.mean *= 0.9                    # NumPy: a replay does not repeat it
            self.mean += 0.1 * x.data.mean(0)
            return x - self.mean

    model = Centered()
    step = ad.compile(lambda x: model(x) * 2.0)
    with pytest.warns(NotReplayedWarning, match=r"changed the array model\.mean in place"):
        step(np.ones((2, 3)))

    # In-place tensor ops, which a replay repeats, are no such change.
    G = np.zeros(3)

    @ad.compile
    def count(x):
        t = ad.tensor(G)
        with ad.no_grad():
            t += 1.0
        return x * t

    with warnings.catch_warnings():
        warnings.simplefilter("error", NotReplayedWarning)
        count(np.ones(3))
        count(np.ones(3))
    np.testing.assert_array_equal(G, [2.0, 2.0, 2.0])


def test_a_call_from_another_thread_waits_for_a_running_trace():
    tracing = threading.Event()

    @ad.compile
    def double(x):
        if not tracing.is_set():
            tracing.set()
            time.sleep(0.3)                 # plain Python: runs while tracing only
        return x * 2.0

    results, errors = {}, []

    def call(name, n):
        try:
            results[name] = double(np.arange(n, dtype=float)).data
        except Exception as error:          # pragma: no cover - the failure reported
            errors.append(error)

    first = threading.Thread(target=call, args=("first", 3))
    first.start()
    assert tracing.wait(5)
    others = [threading.Thread(target=call, args=(n, n)) for n in (3, 4)]
    for t in others:
        t.start()
    for t in [first, *others]:
        t.join(10)
    assert errors == []
    np.testing.assert_array_equal(results["first"], [0.0, 2.0, 4.0])
    np.testing.assert_array_equal(results[3], [0.0, 2.0, 4.0])
    np.testing.assert_array_equal(results[4], [0.0, 2.0, 4.0, 6.0])
