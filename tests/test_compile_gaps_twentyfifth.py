"""ad.compile and the Python counters of an optimizer read where no scan of the code can
tell: by an attribute name held in a variable, or in code of a class no object the step
reaches holds.  The read is seen while the traced call runs (``reads_watched``)."""
import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn as nn
import autodiff.nn.functional as F
from autodiff.compile import TraceError


class _Counting(ad.optim.Optimizer):
    """SGD scaled by ``self.scale()``; counts its steps in ``self.t``."""

    def __init__(self, params, lr=0.1):
        super().__init__(params, dict(lr=lr))
        self.t = 0
        self.shrink = 0.5

    def scale(self):
        return 1.0

    @ad.no_grad()
    def step(self):
        self.t += 1
        scale = self.scale()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.sub_(ad.as_tensor(p.grad) * (group["lr"] * scale))


class _ByNameInVariable(_Counting):
    counter = "t"                     # (the string is in the class body, not a method)

    def scale(self):
        return 1 - 0.5 ** getattr(self, self.counter)


def _read_by_default(self, name="t"):
    return 1 - 0.5 ** getattr(self, name)


class _ByDefaultArgument(_Counting):
    scale = _read_by_default


# A class whose code lives in no module, function or class the step reaches.
_hidden = {}
exec("class Hidden:\n    def factor(self, opt):\n        return 1 - 0.5 ** opt.t\n", _hidden)
_HELPERS = [_hidden.pop("Hidden")()]


class _ByUnreachedClass(_Counting):
    def scale(self):
        return _HELPERS[0].factor(self)


class _ReadsAnotherByName(_Counting):
    """Reads ``shrink`` (a number the step leaves alone) by a name in a variable; ``t``
    is only counted."""
    which = "shrink"

    def scale(self):
        return getattr(self, self.which)


def _run(kind, compiled, steps=6):
    model = nn.Linear(3, 2, rng=0)
    opt = kind(model.parameters())

    def step(x, y):
        loss = F.cross_entropy(model(ad.as_tensor(x)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    run = ad.compile(step) if compiled else step
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 3)), rng.integers(0, 2, 8)
    losses = [run(x, y).item() for _ in range(steps)]
    return losses, model, opt


@pytest.mark.parametrize("kind,line_of", [
    (_ByNameInVariable, "return 1 - 0.5 ** getattr(self, self.counter)"),
    (_ByDefaultArgument, "return 1 - 0.5 ** getattr(self, name)"),
])
def test_a_counter_read_by_a_name_held_in_a_variable_is_refused_naming_the_line(kind,
                                                                               line_of):
    eager, _, _ = _run(kind, False)
    assert len(set(eager)) == len(eager)      # (the count changes every step's result)
    with pytest.raises(TraceError) as info:
        _run(kind, True)
    message = str(info.value)
    with open(__file__) as source:
        line = next(n for n, text in enumerate(source, 1) if line_of in text)
    assert f"{kind.__name__}.t" in message
    assert f"test_compile_gaps_twentyfifth.py:{line}" in message
    assert "0-d tensor" in message


def test_a_counter_read_by_a_class_no_reached_object_holds_is_refused():
    with pytest.raises(TraceError) as info:
        _run(_ByUnreachedClass, True)
    message = str(info.value)
    assert "_ByUnreachedClass.t" in message and "<string>:3" in message


def test_reading_another_attribute_by_name_leaves_the_counter_carried():
    eager, eager_model, eager_opt = _run(_ReadsAnotherByName, False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled, model, opt = _run(_ReadsAnotherByName, True)
    assert compiled == eager
    assert opt.t == eager_opt.t == 6
    np.testing.assert_array_equal(model.weight.numpy(), eager_model.weight.numpy())


def test_the_optimizers_class_is_its_own_again_after_the_trace():
    _, _, carried = _run(_ReadsAnotherByName, True, steps=2)
    assert type(carried) is _ReadsAnotherByName
    model = nn.Linear(3, 2, rng=0)
    refused = _ByNameInVariable(model.parameters())

    @ad.compile
    def step(x, y):
        loss = F.cross_entropy(model(ad.as_tensor(x)), y)
        refused.zero_grad()
        loss.backward()
        refused.step()
        return loss
    with pytest.raises(TraceError):
        step(np.ones((2, 3)), np.array([0, 1]))
    assert type(refused) is _ByNameInVariable
