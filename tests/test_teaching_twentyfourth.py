"""Gaps in the teaching tools: ``explain`` of a gradient that vanished through a
saturating op whose input was an intermediate value of a freed graph, one warning (not
two) for an optimizer loop without ``zero_grad`` under ``detect_anomaly``, and
``viz.text`` of a graph of thousands of ops."""

import warnings

import numpy as np

import autodiff as ad
from autodiff.anomaly_origins import leaves_holding_nan
from autodiff.explain import _leaves_without_grad


def test_explain_says_a_saturating_op_on_a_freed_graph_may_be_why():
    x = ad.tensor(np.linspace(-1, 1, 5), requires_grad=True, name="x")
    ad.tanh(x * 20).sum().backward()          # tanh's input is x * 20, freed after backward
    text = ad.explain(x)
    assert "tanh" in text and "saturates" in text
    assert "as small as 3.4e-16" in text and "the largest is 20" in text
    assert "retain_graph=True" in text and "keep the loss in a variable" in text
    # the advice works: with the graph kept, explain checks the values and says which
    x.grad = None
    loss = ad.tanh(x * 20).sum()
    loss.backward(retain_graph=True)
    kept = ad.explain(x)
    assert "tanh saturated at 2 of 5 positions" in kept
    assert "explain cannot check" not in kept


def test_explain_of_a_gradient_that_vanished_everywhere_names_the_saturating_op():
    w = ad.tensor(np.array([3.0, 4.0]), requires_grad=True, name="w")
    ad.sigmoid(w * 100).sum().backward()
    text = ad.explain(w)
    assert "Every entry is vanishingly small" in text and "sigmoid" in text
    assert "rounding errors" not in text      # not taken for rounding noise of a zero


def test_explain_says_nothing_of_saturation_when_the_gradient_is_healthy():
    v = ad.tensor(np.array([0.3, 0.4]), requires_grad=True, name="v")
    ad.sigmoid(v * 2).sum().backward()
    assert "saturat" not in ad.explain(v)


def _loop_without_zero_grad(update):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 3))
    w = ad.tensor(np.ones(3), requires_grad=True, name="w")
    opt = ad.optim.SGD([w], lr=0.1)
    with warnings.catch_warnings(record=True) as caught, ad.detect_anomaly():
        warnings.simplefilter("always")
        for _ in range(3):
            loss = ((ad.tensor(X) @ w) ** 2).mean()
            loss.backward()
            update(opt, w)
    return [str(c.message) for c in caught if "zero" in str(c.message)]


def test_an_optimizer_loop_without_zero_grad_is_warned_once_under_detect_anomaly():
    told = _loop_without_zero_grad(lambda opt, w: opt.step())
    assert len(told) == 1
    assert told[0].startswith("SGD.step:") and "opt.zero_grad()" in told[0]


def test_a_hand_written_update_is_still_warned_with_an_optimizer_that_never_stepped():
    def by_hand(opt, w):
        w.data -= 0.1 * w.grad
    told = _loop_without_zero_grad(by_hand)
    assert len(told) == 1 and "earlier backward()" in told[0]


def _long_chain(n):
    h = ad.tensor(np.ones(3), requires_grad=True, name="h")
    y = h
    for _ in range(n):
        y = y * 1.0001
    return y.sum()


def test_viz_text_of_a_large_graph_is_capped_and_says_how_to_see_all():
    loss = _long_chain(3000)
    lines = ad.viz.text(loss).splitlines()
    assert len(lines) < 250
    hidden = [line for line in lines if "ops hidden" in line]
    assert len(hidden) == 1
    assert "2,801 ops hidden" in hidden[0] and "max_nodes=None" in hidden[0]
    assert lines[-1].startswith("v3001 = sum(") and lines[0].startswith("# h: leaf")
    assert len(ad.viz.text(loss, max_nodes=None).splitlines()) == 3002


def test_viz_text_says_what_it_left_out_even_where_no_shown_op_uses_it():
    a = ad.tensor(np.ones(2), requires_grad=True, name="a")
    total = a * 0.0
    for i in range(1, 50):
        total = total + a * float(i)
    lines = ad.viz.text(total, max_nodes=10).splitlines()
    assert sum("ops hidden" in line for line in lines) == 1
    assert len(ad.viz.text(_long_chain(150)).splitlines()) == 152     # small: all of it


def test_the_leaf_walks_of_explain_and_detect_anomaly_find_the_same_leaves():
    p = ad.tensor(np.array([1.0, np.nan]), name="p")
    q = ad.tensor(np.array([2.0, 3.0]), name="q")
    out = ad.exp(p * q) + q
    assert _leaves_without_grad(out._node) == "'p' (shape (2,)), 'q' (shape (2,))" \
        or _leaves_without_grad(out._node) == "'q' (shape (2,)), 'p' (shape (2,))"
    r = ad.tensor(np.array([np.nan, 1.0]), requires_grad=True, name="r")
    assert leaves_holding_nan((ad.sin(r) * q)._node) == [
        "'r' (shape (2,), 1 of 2 entries NaN)"]
