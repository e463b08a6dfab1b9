"""What explain, detect_anomaly and viz say must be what the engine did."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.viz.labels import array_text


# ----------------------------------------------------------------------------------
# explain
# ----------------------------------------------------------------------------------
def test_explain_does_not_blame_a_relu_that_the_kept_values_show_alive():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    loss = (ad.relu(w) - ad.relu(w)).sum()
    loss.backward(retain_graph=True)
    text = ad.explain(w)
    assert ".grad is all zero" in text
    assert "relu passes zero gradient" not in text      # both relus pass g everywhere
    assert "It is used 2 times on the way" in text      # the real cause: cancellation
    # a relu that the values show zeroing part of the gradient is still named
    w = ad.tensor([-1.0, 2.0], requires_grad=True)
    loss = (ad.relu(w) * np.array([1.0, 0.0])).sum()
    loss.backward(retain_graph=True)
    assert "relu: relu passes zero gradient where its input is <= 0" in ad.explain(w)


def test_explain_an_intermediate_that_retains_its_gradient():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    loss = ad.relu(h - 10).sum()
    loss.backward(retain_graph=True)
    assert np.array_equal(h.grad, [0.0, 0.0])
    text = ad.explain(h)
    assert "not a leaf" not in text                     # its .grad was filled
    assert "this tensor -> subtract -> relu -> sum = the output" in text
    assert "a dead relu" in text
    g = x * 3                                           # one that does not retain it
    (g * 3).sum().backward()
    assert "not a leaf" in ad.explain(g)


def test_explain_an_intermediate_that_retains_its_gradient_and_is_cancelled():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    (h - h).sum().backward()
    text = ad.explain(h)
    assert "not a leaf" not in text
    assert "It is used 2 times on the way (subtract)" in text


# ----------------------------------------------------------------------------------
# detect_anomaly
# ----------------------------------------------------------------------------------
def test_anomaly_names_the_op_that_made_the_zero_not_the_one_that_passed_it_on():
    x = ad.tensor([0.0, 4.0], requires_grad=True)
    with pytest.raises(ad.AnomalyError) as info:
        with ad.detect_anomaly():
            ad.relu(ad.sqrt(x) - 1).sum().backward()
    message = str(info.value)
    assert message.startswith("sqrt: the backward pass produced NaN")
    assert "the upstream gradient here is 0 (made by relu" in message
    assert "passed on through subtract)" in message
    assert "sent by subtract" not in message


def test_anomaly_lists_the_ops_that_passed_the_zero_on_in_order():
    x = ad.tensor([0.0, 4.0], requires_grad=True)
    with pytest.raises(ad.AnomalyError) as info:
        with ad.detect_anomaly():
            ad.relu(ad.exp(ad.sqrt(x)) * 2 - 10).sum().backward()
    assert "passed on through subtract, multiply, exp)" in str(info.value)


# ----------------------------------------------------------------------------------
# viz
# ----------------------------------------------------------------------------------
def test_steps_through_a_released_node_that_backward_can_run_again():
    w = ad.tensor([[1.0, 2.0]], requires_grad=True, name="w")
    wt = w.T                                    # made once, used by each step's loss
    (wt * 3.0).sum().backward()
    loss = (wt * 3.0).sum()
    walk = ad.viz.steps(loss)                   # the engine's backward works, so must this
    assert [s.op_name for s in walk] == ["sum", "multiply", "transpose"]
    assert np.array_equal(walk.totals["w"], [[3.0, 3.0]])
    source = ad.viz.draw(loss, show_grads=True).source
    assert "grad (recomputed)" in source        # not silently dropped
    loss.backward()
    assert np.array_equal(w.grad, [[6.0, 6.0]])
    loss = (w * w).sum()                        # rules that read values: still refused
    loss.backward()
    with pytest.raises(ad.viz.GraphFreedError, match="retain_graph=True"):
        ad.viz.steps(loss)


def test_two_tensors_with_the_same_name_are_not_shown_as_one():
    x = ad.tensor(np.ones((2, 2)))
    w1 = ad.tensor(np.ones((2, 2)), requires_grad=True, name="w")
    w2 = ad.tensor(np.full((2, 2), 2.0), requires_grad=True, name="w")
    loss = ((x @ w1).relu() @ w2).sum()
    text = ad.viz.text(loss)
    assert "# w#2: leaf (2, 2) float64, requires grad" in text
    assert "matmul(v2, w#2)" in text
    totals = ad.viz.steps(loss).totals
    assert np.array_equal(totals["w"], np.full((2, 2), 8.0))
    assert np.array_equal(totals["w#2"], np.full((2, 2), 4.0))
    text = ad.viz.text(((x @ w1).relu() @ w1).sum())   # one tensor used twice: one name
    assert "#2" not in text and "matmul(v2, w)" in text


def test_a_large_array_with_some_nan_is_not_summarized_as_all_nan():
    a = np.arange(20.0)
    a[3] = np.nan
    text = array_text(a)
    assert "nan" not in text
    assert "min 0" in text and "max 19" in text and "1 of 20 are NaN" in text
    assert array_text(np.full(20, np.nan)) == "all 20 NaN"


def test_steps_aligns_the_rows_of_a_matrix_gradient():
    w = ad.tensor(np.ones((2, 2)), requires_grad=True, name="weights")
    printed = str(ad.viz.steps((w * w).sum()))
    total = printed.split("gradients of the leaves from this pass:\n")[1].splitlines()
    assert total[0].index("[[") + 1 == total[1].index("[")
    running = printed.split("weights.grad is now ")[1].splitlines()
    first = printed.splitlines()[[k for k, line in enumerate(printed.splitlines())
                                  if "weights.grad is now" in line][0]]
    assert first.index("[[") + 1 == running[1].index("[")
