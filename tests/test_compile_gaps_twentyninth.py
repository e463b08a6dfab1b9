"""ad.compile: a step steered by whether a ``.grad`` is None, a NumPy scalar a NumPy
function made from its own copy of an array, and the code scan of computed keys.

* ``if m.weight.grad is None: loss = loss * 2`` (no ``zero_grad``) took the first
  call's branch at every replay; now each read by the user's code of a ``.grad`` the
  call had not set yet is a condition of the plan (``grad_presence.py``), and a call
  finding the other case traces again (or replays the plan made for it).
* ``np.polynomial.chebyshev.chebval(t, c)`` at a Tensor was refused as a NumPy scalar
  "made outside the library (NumPy on .data or .grad ...)"; the scalars are NumPy's
  own, taken from its copy of the coefficients, and the refusal now says so.
* ``_indexes_by_computed_keys`` reads the instructions of a code object once.
"""

import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn as nn
import autodiff.nn.functional as F
from autodiff.compile.array_reads import _indexes_by_computed_keys
from autodiff.compile.captures import why_plan_does_not_fit
from autodiff.compile.plan_checks import replay_checks
from autodiff.compile.refusals import TraceError

X = np.random.default_rng(0).normal(size=(8, 6))
Y = np.arange(8) % 3


def _twins(make, calls=6, between=None):
    """The eager and the compiled step's losses over ``calls`` calls (each step made
    by ``make()``, with its own model), and the compiled function."""
    eager, compiled = make(), ad.compile(make())
    losses = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(calls):
            if between is not None:
                between(eager, compiled.fn, i)
            losses.append((eager(X, Y).item(), compiled(X, Y).item()))
    return losses, compiled


def _branch_on_grad_before_backward():
    model = nn.Linear(6, 3, rng=0)

    def step(x, y):
        loss = F.cross_entropy(model(ad.tensor(x)), y)
        if model.weight.grad is None:
            loss = loss * 2
        loss.backward()
        return loss
    step.model = model
    return step


def test_a_branch_on_a_grad_being_none_takes_the_eager_branch_at_each_call():
    losses, compiled = _twins(_branch_on_grad_before_backward)
    assert [c for _, c in losses] == [e for e, _ in losses]
    assert losses[0][1] == 2 * losses[1][1]      # (the first call's branch, then the other)
    assert compiled.traces == 2


def test_clearing_the_grad_between_calls_replays_the_plan_made_for_none():
    def clear(eager, compiled, i):
        if i == 4:
            eager.model.weight.grad = None
            compiled.model.weight.grad = None
    losses, compiled = _twins(_branch_on_grad_before_backward, between=clear)
    assert [c for _, c in losses] == [e for e, _ in losses]
    assert losses[4][1] == losses[0][1] != losses[3][1]
    assert compiled.traces == 2


def test_zero_grad_keeping_zeros_leaves_a_none_grad_none_and_the_branch_follows():
    # zero_grad(set_to_none=False) fills a gradient with zeros only where there is
    # one: at the first call .grad stays None, at the next it is zeros.
    def make():
        model = nn.Linear(6, 3, rng=0)
        opt = ad.optim.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad(set_to_none=False)
            loss = F.cross_entropy(model(ad.tensor(x)), y)
            if model.weight.grad is None:
                loss = loss * 3
            loss.backward()
            opt.step()
            return loss
        return step
    losses, compiled = _twins(make)
    assert [c for _, c in losses] == [e for e, _ in losses]
    assert compiled.traces == 2


def test_a_grad_read_after_zero_grad_set_to_none_is_no_condition_of_the_plan():
    def make():
        model = nn.Linear(6, 3, rng=0)
        opt = ad.optim.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(ad.tensor(x)), y)
            if model.weight.grad is None:
                loss = loss * 2
            loss.backward()
            opt.step()
            return loss
        return step
    losses, compiled = _twins(make, calls=12)
    assert [c for _, c in losses] == [e for e, _ in losses]
    assert compiled.traces == 1         # (zero_grad() left it None, whatever it was)


def test_grads_read_after_backward_are_no_condition_of_the_plan():
    def make():
        model = nn.Linear(6, 3, rng=0)
        opt = ad.optim.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(ad.tensor(x)), y)
            loss.backward()
            norm = sum((ad.tensor(p.grad) ** 2).sum() for p in model.parameters()
                       if p.grad is not None) ** 0.5
            opt.step()
            return loss + 0 * norm
        return step
    losses, compiled = _twins(make, calls=8)
    assert [c for _, c in losses] == [e for e, _ in losses]
    assert compiled.traces == 1
    assert not [line for line in replay_checks(compiled.plan) if ".grad of" in line]


def test_the_plan_says_which_grad_it_found_none_and_why_it_no_longer_fits():
    w = ad.tensor([1.0, 2.0], requires_grad=True, name="w")

    def step(x):
        loss = (w * x).sum()
        if w.grad is None:
            loss = loss * 2
        loss.backward()
        return loss
    compiled = ad.compile(step)
    compiled(np.ones(2))
    assert any(line.startswith("the .grad of w is None, as when read at "
                               "test_compile_gaps_twentyninth.py:")
               for line in replay_checks(compiled.plan))
    assert why_plan_does_not_fit(compiled.plan).startswith(
        "whether the .grad of w is None (read at test_compile_gaps_twentyninth.py:")


def test_chebval_at_a_tensor_is_refused_for_the_scalars_numpy_takes_from_its_copy():
    c = np.array([1.0, 0.5, 0.25])
    t = ad.tensor(np.linspace(-1.0, 1.0, 5), requires_grad=True)

    def step(t):
        return np.polynomial.chebyshev.chebval(t, c).sum()
    with pytest.raises(TraceError) as refusal:
        ad.compile(step)(t)
    message = str(refusal.value)
    assert "by NumPy's own code inside np.chebval" in message
    assert "test_compile_gaps_twentyninth.py:" in message
    assert "NumPy on .data" not in message


def test_a_clenshaw_loop_over_the_coefficients_replays_and_follows_them():
    # (what the refusal above suggests)
    c = np.array([1.0, 0.5, 0.25, -0.75])
    t = ad.tensor(np.linspace(-1.0, 1.0, 5), requires_grad=True)

    def step(t):
        ct = ad.tensor(c)
        b1 = b2 = 0.0
        for k in range(len(c) - 1, 0, -1):
            b1, b2 = ct[k] + 2 * t * b1 - b2, b1
        return (ct[0] + t * b1 - b2).sum()
    compiled = ad.compile(step)
    expected = np.polynomial.chebyshev.chebval(t.data, c).sum()
    assert compiled(t).item() == pytest.approx(expected, abs=1e-12)
    assert compiled(t).item() == pytest.approx(expected, abs=1e-12)
    c[3] = 2.0
    assert compiled(t).item() == pytest.approx(
        np.polynomial.chebyshev.chebval(t.data, c).sum(), abs=1e-12)
    assert compiled.traces == 2


def test_the_scan_for_computed_keys_reads_each_code_once():
    table = {"a": 1.0}

    def step(x, key):
        return x * table[key]
    before = _indexes_by_computed_keys.cache_info()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ad.compile(step)(ad.tensor([1.0]), "a")
    after = _indexes_by_computed_keys.cache_info()
    assert after.misses - before.misses == 1        # (step's code, read once)
    assert after.hits > before.hits                 # (and asked again: answered from that)
    assert _indexes_by_computed_keys(step.__code__) is True


def test_a_branch_on_the_grad_of_a_tensor_argument_follows_each_call():
    def step(x):
        loss = (x * x).sum()
        if x.grad is None:
            loss = loss * 2
        loss.backward()
        return loss
    compiled = ad.compile(step)
    eager_x = ad.tensor([1.0, 2.0], requires_grad=True)
    compiled_x = ad.tensor([1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        losses = [(step(eager_x).item(), compiled(compiled_x).item()) for _ in range(4)]
        fresh = compiled(ad.tensor([1.0, 2.0], requires_grad=True)).item()
    assert losses == [(10.0, 10.0), (5.0, 5.0), (5.0, 5.0), (5.0, 5.0)]
    assert fresh == 10.0 and compiled.traces == 2
    np.testing.assert_array_equal(compiled_x.grad, eager_x.grad)
