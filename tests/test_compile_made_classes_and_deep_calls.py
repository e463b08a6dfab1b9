"""Constants a compiled step makes with NumPy in the methods of objects it makes from
a class reached as a module's attribute (``losses.Focal(gamma=2)(logits, y)``,
``net.Loss()(y)``), and in helpers calling helpers many calls deep.  The step replays
as eager execution does, bit for bit unfused, and a setting they read changed
between calls (a module's number, a class's default read as ``self.alpha``, also of
a class the step names) traces again; a helper deeper than the plan's checks follow
is refused, naming the depth, the function and the line, where its settings were
replayed stale."""


import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError
from autodiff.compile.reached import _FUNCTION_DEPTH
from test_compile_held_objects import compare

LOSSES = """
    import numpy as np
    import autodiff as ad

    SMOOTHING = 0.5

    class Focal:
        alpha = 0.25

        def __init__(self, gamma=2):
            self.gamma = gamma

        def __call__(self, out, y):
            weights = np.full(3, self.alpha) + np.arange(3) * SMOOTHING
            return (((out - y) * weights) ** self.gamma).sum() + self.extra(out)

        def extra(self, out):
            return (out * np.linspace(0.0, SMOOTHING, 3)).sum()
"""
TRAIN = """
    import numpy as np
    import autodiff as ad
    import {losses} as losses

    def make_step():
        w = ad.tensor(np.array([1.0, -0.5, 0.25]), requires_grad=True)
        opt = ad.optim.SGD([w], lr=0.01)
        y = ad.tensor(np.array([0.5, 0.0, -0.5]))

        def step(x):
            opt.zero_grad()
            loss = losses.Focal(gamma=2)(w * x, y)
            loss.backward()
            opt.step()
            return loss
        return step, w
"""


def chain(depth) -> str:
    """A module of helpers ``h1`` ... ``h<depth>``, each calling the next, the last
    making a constant from the global ``SHIFT``; ``make_step`` calls ``h1``."""
    lines = ["import numpy as np", "import autodiff as ad", "", "SHIFT = 1.0", ""]
    for k in range(1, depth):
        lines += [f"def h{k}(x):", f"    return h{k + 1}(x)", ""]
    lines += [f"def h{depth}(x):", "    return x * np.full(3, SHIFT)", ""]
    lines += ["def make_step():",
              "    w = ad.tensor(np.array([1.0, -0.5, 0.25]), requires_grad=True)",
              "    opt = ad.optim.SGD([w], lr=0.01)",
              "    def step(x):",
              "        opt.zero_grad()",
              "        loss = (h1(w * x) ** 2).sum()",
              "        loss.backward()",
              "        opt.step()",
              "        return loss",
              "    return step, w"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def written(write_modules):
    """A function of module texts (key -> source) writing and importing them."""
    return write_modules


def compare_steps(train, changes):
    """``compare`` of ``train.make_step()`` (a step and its weight ``w``), ``changes``
    functions of nothing (or None)."""
    return compare(train.make_step, [change and (lambda *_, run=change: run())
                                     for change in changes], lambda w: [w])


@pytest.mark.parametrize("named", [False, True])
@pytest.mark.parametrize("what", [None, "module's number", "class default",
                                  "method rebound"])
def test_a_class_made_as_a_modules_attribute_replays_and_sees_changes(written, what, named):
    # (``named``: the step names the class, ``from losses import Focal``; a default it
    # read as self.alpha was replayed stale there too)
    train = (TRAIN.replace("losses.Focal(", "Focal(").replace(
        "import {losses} as losses", "from {losses} import Focal") if named else TRAIN)
    modules = written({"losses": LOSSES, "train": train})
    losses = modules["losses"]

    def change():
        if what == "module's number":
            losses.SMOOTHING = 2.0              # (read by __call__ and extra())
        elif what == "class default":
            losses.Focal.alpha = 1.5            # (read as self.alpha)
        else:
            losses.Focal.extra = lambda self, out: (out * np.full(3, 2.0)).sum()
    compiled = compare_steps(modules["train"], [None, None, change if what else None, None])
    assert compiled.traces == (1 if what is None else 2)


def test_a_helper_many_calls_deep_replays_and_sees_its_global_change(written):
    train = written({"train": chain(_FUNCTION_DEPTH - 1)})["train"]

    def change():
        train.SHIFT = 3.0
    assert compare_steps(train, [None, None, change, None]).traces == 2


def test_a_helper_deeper_than_followed_is_refused_naming_the_depth(written):
    depth = _FUNCTION_DEPTH + 1                 # (h1 is one call deep from the step)
    train = written({"train": chain(depth)})["train"]
    step, _ = train.make_step()
    with pytest.raises(TraceError) as caught:
        ad.compile(step, fuse=False)(np.ones(3))
    message = str(caught.value)
    assert f"in h{depth}()" in message
    assert f"{_FUNCTION_DEPTH} calls deep" in message
    assert f"{train.__name__}.py:{3 * depth + 4}" in message
