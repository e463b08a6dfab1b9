"""ad.compile and NumPy arrays whose values Python reads while tracing (``float(self.gain)``,
``self.gains[1]``), where no op sees them: changed in place between calls, they trace
again instead of replaying the traced values (``array_reads.py``)."""
import warnings

import numpy as np

import autodiff as ad
import autodiff.nn as nn
import autodiff.nn.functional as F

GAIN = np.ones(())


class _Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 2, rng=0)
        self.gain = np.ones(())
        self.gains = np.ones(2)
        self.class_weight = np.ones(2)         # (given to an op: read by each replay)

    def forward(self, x):
        return self.lin(x) * float(self.gain) * float(self.gains[1]) * float(GAIN)


def _run(change, compiled, calls=6):
    GAIN[...] = 1.0
    model = _Scaled()
    opt = ad.optim.SGD(model.parameters(), lr=0.1)

    def step(x, y):
        loss = F.cross_entropy(model(ad.as_tensor(x)), y,
                               weight=ad.as_tensor(model.class_weight))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    run = ad.compile(step) if compiled else step
    x, y = np.random.default_rng(0).normal(size=(4, 3)), np.array([0, 1, 0, 1])
    losses = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # (traced again, as it should)
        for i in range(calls):
            losses.append(run(x, y).item())
            change(model, i)
    return losses, getattr(run, "traces", None), model.lin.weight.numpy()


def _check(change, traces):
    eager, _, eager_weight = _run(change, False)
    compiled, traced, weight = _run(change, True)
    assert len(set(eager)) > 1
    assert compiled == eager
    np.testing.assert_array_equal(weight, eager_weight)
    assert traces is None or traced == traces


def test_a_zero_d_array_attribute_read_by_float_and_changed_in_place_traces_again():
    _check(lambda model, i: model.gain.__iadd__(0.5), traces=6)


def test_an_element_of_an_array_attribute_changed_in_place_traces_again():
    def change(model, i):
        model.gains[1] = 1.0 + 0.25 * (i % 2)
    _check(change, traces=2)            # (the two values' plans both stay cached)


def test_a_global_array_read_into_python_and_changed_in_place_traces_again():
    _check(lambda model, i: GAIN.__iadd__(0.5), traces=6)


def test_an_array_given_to_an_op_and_changed_in_place_gives_the_eager_results():
    def change(model, i):
        model.class_weight[0] = 1.0 + 0.5 * i
    _check(change, traces=None)         # (checksummed as a constant of the plan)


def test_why_the_plan_no_longer_fits_names_the_array():
    from autodiff.compile.captures import why_plan_does_not_fit

    model = _Scaled()

    @ad.compile
    def forward(x):
        return model(ad.as_tensor(x)).sum()
    forward(np.ones((1, 3)))
    model.gain += 1.0
    assert "the values of the array" in why_plan_does_not_fit(forward.plan)
    assert ".gain" in why_plan_does_not_fit(forward.plan)
