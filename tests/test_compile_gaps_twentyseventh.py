"""ad.compile: large arrays read where the step's code does not name them, carried
states, and compiled functions called by a compiled step.

* An array over 4,096 bytes read into Python through a helper's global, the closure
  of a function the step calls, ``getattr`` with a name held in a variable or an
  attribute, and changed in place between calls, traces again.
* A tensor the step reads and then replaces where it was kept (truncated BPTT's
  ``state.h = h.detach()``) is refused with a message that says so and what to do;
  both ways it names (the state as an argument, or updated in place) replay as eager.
* A compiled function called by a compiled step is traced as part of it.
"""

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn as nn
from autodiff.compile import TraceError

W = ad.tensor(np.ones(3), requires_grad=True)


class _Box:
    pass


def _replays_the_change(step, change):
    """Call the compiled ``step``, ``change()`` an array in place, call it again:
    the result must be eager's, from a second trace."""
    compiled = ad.compile(step)
    x = np.ones(3)
    compiled(x)
    change()
    again = float(compiled(x))
    assert again == float(step(x))
    assert compiled.traces == 2


BOX = _Box()
BOX.inner = _Box()
BOX.inner.values = np.arange(1000.0)


def _helper_reading_a_global():
    return BOX.inner.values


def test_large_array_through_a_helpers_global_traces_again():
    def step(x):
        return (W * x).sum() * float(_helper_reading_a_global()[3])

    def change():
        BOX.inner.values[3] += 1.0

    _replays_the_change(step, change)


def test_large_array_in_the_closure_of_a_called_function_traces_again():
    def make_lookup():
        secret = np.arange(1000.0)

        def lookup(i):
            return float(secret[i])
        return lookup, secret

    lookup, secret = make_lookup()

    def step(x):
        return (W * x).sum() * lookup(3)

    def change():
        secret[3] += 1.0

    _replays_the_change(step, change)


HOLDER = _Box()
HOLDER.qqq = np.arange(1000.0)
ATTRIBUTE = "qqq"


def test_large_array_read_by_getattr_with_a_variable_name_traces_again():
    def step(x):
        return (W * x).sum() * float(getattr(HOLDER, ATTRIBUTE)[3])

    def change():
        HOLDER.qqq[3] += 1.0

    _replays_the_change(step, change)


class _ChoosingTable(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 1, rng=0)
        self.big_table = np.arange(1000.0)
        self.which = "big_table"

    def forward(self, x):
        return self.lin(x).sum() * float(getattr(self, self.which)[3])


def test_large_array_a_forward_reads_by_an_attribute_holding_its_name_traces_again():
    model = _ChoosingTable()

    def step(x):
        return model(ad.tensor(x[None]))

    def change():
        model.big_table[3] += 1.0

    _replays_the_change(step, change)


def _recurrent_setup():
    rnn = nn.RNNCell(4, 5, rng=0)
    head = nn.Linear(5, 1, rng=1)
    opt = ad.optim.SGD(list(rnn.parameters()) + list(head.parameters()), lr=0.1)
    rng = np.random.default_rng(0)
    xs = [ad.tensor(rng.normal(size=(3, 2, 4))) for _ in range(6)]
    ys = [ad.tensor(rng.normal(size=(2, 1))) for _ in range(6)]
    return rnn, head, opt, xs, ys


def test_a_carried_state_replaced_by_assignment_is_refused_saying_so():
    rnn, head, opt, xs, ys = _recurrent_setup()
    state = _Box()
    state.h = ad.zeros((2, 5))

    def step(x, y):
        h = state.h
        for t in range(x.shape[0]):
            h = rnn(x[t], h)
        loss = ((head(h) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        state.h = h.detach()
        return loss

    with pytest.raises(TraceError, match=r"replaced by another where it was kept.*"
                       r"Pass the state in as an argument"):
        ad.compile(step)(xs[0], ys[0])


@pytest.mark.parametrize("carried", ["argument", "in place"])
def test_truncated_bptt_carried_as_the_message_says_replays_as_eager(carried):
    def run(compile_it):
        rnn, head, opt, xs, ys = _recurrent_setup()
        kept = ad.zeros((2, 5))

        def unroll(x, y, h):
            for t in range(x.shape[0]):
                h = rnn(x[t], h)
            loss = ((head(h) - y) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss, h

        def step_with_argument(x, y, h):
            loss, h = unroll(x, y, h)
            return loss, h.detach()

        def step_in_place(x, y):
            loss, h = unroll(x, y, kept)
            with ad.no_grad():
                kept.copy_(h)
            return loss

        step = step_with_argument if carried == "argument" else step_in_place
        step = ad.compile(step) if compile_it else step
        losses, h = [], ad.zeros((2, 5))
        for x, y in zip(xs, ys):
            if carried == "argument":
                loss, h = step(x, y, h)
            else:
                loss = step(x, y)
            losses.append(float(loss))
        return losses, getattr(step, "traces", 1)

    eager, _ = run(False)
    compiled, traces = run(True)
    np.testing.assert_allclose(compiled, eager, rtol=1e-13, atol=0)
    assert eager[0] != eager[1] and traces == 1


def test_a_compiled_function_called_by_a_compiled_step_is_traced_as_part_of_it():
    def run(compile_it):
        model = nn.Linear(3, 2, rng=0)
        opt = ad.optim.SGD(model.parameters(), lr=0.1)
        x = ad.tensor(np.linspace(0, 1, 12).reshape(4, 3))

        def forward(x):
            return model(x).tanh()

        inner = ad.compile(forward) if compile_it else forward
        if compile_it:
            with ad.no_grad():
                inner(x)            # a plan of its own, which the step must not replay

        def step(x):
            loss = (inner(x) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        step = ad.compile(step) if compile_it else step
        return [float(step(x)) for _ in range(5)], model.weight.data.copy()

    eager, eager_weight = run(False)
    compiled, compiled_weight = run(True)
    np.testing.assert_allclose(compiled, eager, rtol=1e-13, atol=0)
    np.testing.assert_allclose(compiled_weight, eager_weight, rtol=1e-13, atol=0)


TABLES = _Box()
TABLES.table_1 = np.arange(1000.0)
WHICH = 1


def test_large_array_read_by_getattr_with_a_computed_name_traces_again():
    def step(x):
        return (W * x).sum() * float(getattr(TABLES, f"table_{WHICH}")[3])

    def change():
        TABLES.table_1[3] += 1.0

    _replays_the_change(step, change)
