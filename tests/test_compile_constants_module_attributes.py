"""Constants a compiled step makes with NumPy in functions it reaches through an
attribute: a module's (``import model``; ``model.loss(x)``) and a user class's methods
(``scorer.score(x)`` calling ``self.shift()``; ``ad.compile(trainer.step)``).  The step
replays as eager execution does, and a constant changed between calls (a module's
number, an array written in place, a list's entry, an object's attribute, the function
or method itself rebound) traces again: never stale."""


import numpy as np
import pytest

import autodiff as ad
from test_compile_constants_across_modules import compare_calls

MODEL = """
    import numpy as np

    RATE = 0.5
    WEIGHTS = np.array([1.0, 2.0, 3.0])
    COEFFS = [1.0, 2.0, 3.0]

    def loss(w):
        steps = np.arange(3) * RATE + np.array(COEFFS)
        return ((w * WEIGHTS + steps) ** 2).sum() + penalty(w)

    def penalty(w):
        return (w * np.linspace(0.0, 1.0, 3)).sum()

    class Scorer:
        def __init__(self, scale):
            self.scale = scale
            self.offsets = [0.5, -0.5, 1.0]

        def score(self, w):
            return ((w + self.shift()) ** 2).sum() * self.scale

        def shift(self):
            return np.array(self.offsets) * np.ones(3) * RATE

        @staticmethod
        def bias(n):
            return np.full(n, 0.25) + np.arange(n) * 0.5
"""
TRAIN = """
    import numpy as np
    import autodiff as ad
    import {model} as model

    scorer = model.Scorer(2.0)

    def make_step():
        w = ad.tensor(np.array([1.0, -0.5, 0.25]), requires_grad=True)
        opt = ad.optim.SGD([w], lr=0.01)

        def step(x):
            opt.zero_grad()
            value = model.loss(w + x) + scorer.score(w - x) + (w * scorer.bias(3)).sum()
            value.backward()
            opt.step()
            return value
        return step, w

    class Trainer:
        def __init__(self):
            self.w = ad.tensor(np.array([0.5, 1.5, -1.0]), requires_grad=True)
            self.opt = ad.optim.SGD([self.w], lr=0.01)
            self.targets = [1.0, 0.0, -1.0]

        def step(self, x):
            self.opt.zero_grad()
            value = self.loss_of(self.w + x)
            value.backward()
            self.opt.step()
            return value

        def loss_of(self, w):
            return ((w - np.array(self.targets) * model.RATE) ** 2).sum()
"""


@pytest.fixture
def modules(write_modules):
    """``(train, model)`` written into ``tmp_path`` and imported: ``train`` does
    ``import model`` and calls ``model.loss`` and ``model.Scorer``'s methods."""
    loaded = write_modules({"train": TRAIN, "model": MODEL})
    return loaded["train"], loaded["model"]


def run_step(train, changes):
    """``train.make_step()`` compiled (unfused) against an eager twin; the compiled
    function."""
    step, w = train.make_step()
    eager, w_eager = train.make_step()
    compiled = ad.compile(step, fuse=False)
    compare_calls(compiled, w, eager, w_eager, changes)
    return compiled


def test_a_loss_and_methods_reached_through_attributes_replay(modules):
    train, _ = modules
    assert run_step(train, [None] * 4).traces == 1


@pytest.mark.parametrize("what", ["rate", "weights in place", "list entry",
                                  "object attribute", "object list entry"])
def test_a_constant_changed_between_calls_traces_again(modules, what):
    train, model = modules

    def change():
        if what == "rate":
            model.RATE = 3.0                    # (read by model.loss and Scorer.shift)
        elif what == "weights in place":
            model.WEIGHTS[0] = 5.0
        elif what == "list entry":
            model.COEFFS[1] = -2.0
        elif what == "object attribute":
            train.scorer.scale = 3.0            # (read by the bound method score)
        else:
            train.scorer.offsets[1] = 4.0       # (a list read by self.shift())
    assert run_step(train, [None, None, change, None]).traces == 2


def test_a_function_or_method_rebound_between_calls_traces_again(modules):
    train, model = modules
    original_penalty, original_shift = model.penalty, model.Scorer.shift

    def rebind_function():
        model.loss = lambda w: (w * np.array([2.0, 0.0, 1.0])).sum() ** 2

    def rebind_method():
        model.Scorer.shift = lambda self: np.ones(3) * 2.0
    try:
        compiled = run_step(train, [None, rebind_function, None, rebind_method, None])
    finally:
        model.penalty, model.Scorer.shift = original_penalty, original_shift
    assert compiled.traces == 3


def test_a_compiled_method_calling_its_objects_method_replays_and_sees_changes(modules):
    train, model = modules
    trainer, eager = train.Trainer(), train.Trainer()
    compiled = ad.compile(trainer.step, fuse=False)

    def change_target():
        trainer.targets[0] = eager.targets[0] = 2.0

    def change_rate():
        model.RATE = 0.25
    compare_calls(compiled, trainer.w, eager.step, eager.w,
             [None, None, change_target, None, change_rate, None])
    assert compiled.traces == 3


def test_a_modules_number_or_array_read_as_an_attribute_in_the_step_is_checked(modules):
    # (``model.RATE`` read by the step itself: a plan fixed 0.5 and replayed it stale)
    _, model = modules
    w = ad.tensor(np.ones(3), requires_grad=True)

    def step(x):
        return ((w + x) * model.RATE).sum() + (w * model.WEIGHTS).sum()
    compiled = ad.compile(ad.no_grad()(step), fuse=False)
    x = np.zeros(3)
    assert compiled(x).item() == compiled(x).item() == step(x).item()
    model.RATE = 3.0
    assert compiled(x).item() == step(x).item()
    model.WEIGHTS = np.array([0.0, 0.0, 1.0])
    assert compiled(x).item() == step(x).item()
    assert compiled.traces == 3
