"""explain(t): why a leaf's gradient is None or zero, one test per case."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import autodiff as ad


def test_parameter_used_only_in_a_comparison():
    threshold = ad.tensor([0.0, 1.0], requires_grad=True, name="threshold")
    x = ad.tensor([0.5, 2.0], requires_grad=True)
    loss = ad.where(x > threshold, x, 0.0).sum()
    loss.backward()
    text = ad.explain(threshold)
    assert text.startswith("'threshold' (shape (2,), float64): .grad is None.")
    assert "only through non-differentiable edges" in text
    assert "path: this tensor -> greater -> where -> sum = the output" in text
    assert "blocked at greater: greater is a comparison" in text
    assert "blocked at where: it is the condition of where" in text
    assert "smooth surrogate" in text


def test_comparison_path_shows_user_lines_under_detect_anomaly():
    w = ad.tensor([1.0], requires_grad=True)
    x = ad.tensor([2.0], requires_grad=True)
    with ad.detect_anomaly():
        loss = (ad.where(w > 0, x, 3.0) * 1.0).sum()
    loss.backward()
    text = ad.explain(w)
    assert "greater (created at " in text and "test_explain.py:" in text


def test_backward_of_a_tensor_without_gradient_points_to_explain():
    w = ad.tensor([1.0], requires_grad=True)
    loss = ad.where(w > 0, 2.0, 3.0).sum()
    with pytest.raises(RuntimeError, match=r"comes out of 'sum'.*ad\.explain\(w, output="):
        loss.backward()
    assert "blocked at greater" in ad.explain(w, output=loss)


def test_stop_gradient_is_named_as_the_block():
    s = ad.tensor([1.0, 2.0], requires_grad=True)
    x = ad.tensor([3.0, 4.0], requires_grad=True)
    loss = (ad.stop_gradient(s) * x).sum()
    loss.backward()
    text = ad.explain(s)
    assert "path: this tensor -> stop_gradient -> multiply -> sum = the output" in text
    assert "blocked at stop_gradient: stop_gradient blocks the gradient by design." in text
    assert "blocked at multiply" not in text            # only the cause, not its consequence
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])


def test_detach_leaves_no_trace_so_it_reads_as_not_connected():
    s = ad.tensor([1.0, 2.0], requires_grad=True)
    x = ad.tensor([3.0, 4.0], requires_grad=True)
    loss = (s.detach() * x).sum()
    loss.backward()
    text = ad.explain(s)
    assert "Why: not connected to the output (sum" in text
    assert "if you used .detach() or .data" in text.lower()


def test_an_index_computed_from_the_tensor_is_named_among_the_causes_of_no_link():
    table = ad.tensor([10.0, 20.0, 30.0], requires_grad=True)
    w = ad.tensor([0.4, 1.6, 0.2], requires_grad=True)
    table[w.argmax()].sum().backward()
    text = ad.explain(w)
    assert "not connected" in text and "argmax" in text and "table[w.argmax()]" in text


def test_uses_of_an_intermediate_that_cancel_are_named():
    w = ad.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = w * 2.0
    (y - y.mean()).sum().backward()
    text = ad.explain(w)
    assert "The output of multiply is used 2 times on the way (mean, subtract)" in text
    assert "upstream gradient of the output may be zero" not in text


def test_tensor_that_does_not_require_grad():
    v = ad.tensor([1.0, 2.0])
    text = ad.explain(v)
    assert "does not require grad" in text and "requires_grad=True" in text


def test_integer_tensor_cannot_require_grad():
    text = ad.explain(ad.tensor([1, 2]))
    assert "its dtype is int64" in text and "floating-point" in text


def test_non_leaf_tensor():
    x = ad.tensor([1.0], requires_grad=True)
    h = x * 2
    (h * 3).sum().backward()
    text = ad.explain(h)
    assert "not a leaf" in text and "multiply" in text and "detach().requires_grad_()" in text


def test_output_of_a_comparison():
    x = ad.tensor([1.0], requires_grad=True)
    text = ad.explain(x > 0)
    assert "output of greater" in text and "carries no gradient" in text


def test_dead_relu_with_retained_graph_is_pinpointed():
    u = ad.tensor([-1.0, -2.0], requires_grad=True)
    loss = ad.relu(u).sum()
    loss.backward(retain_graph=True)
    text = ad.explain(u)
    assert ".grad is all zero" in text
    assert "the gradient really is zero" in text
    assert "relu: relu whose inputs are all <= 0 (a dead relu" in text


def test_dead_relu_after_the_graph_was_freed_names_the_candidates():
    u = ad.tensor([-1.0, -2.0], requires_grad=True)
    loss = (ad.relu(u * 2) + 1).sum()
    loss.backward()
    text = ad.explain(u)
    assert "this tensor -> multiply -> relu -> add -> sum = the output" in text
    assert "relu passes zero gradient where its input is <= 0" in text
    assert "pass retain_graph=True" in text


def test_where_that_masked_everything():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    mask = np.array([False, False])
    loss = ad.where(mask, x * 3, 0.0).sum()
    loss.backward(retain_graph=True)
    text = ad.explain(x)
    assert "where never selects its first branch" in text


def test_explicit_output_argument_overrides_the_last_backward():
    a = ad.tensor([1.0], requires_grad=True)
    b = ad.tensor([1.0], requires_grad=True)
    first = (a * 2).sum()
    first.backward()
    second = (b * 2).sum()
    second.backward()                                 # the last backward
    assert "not connected" in ad.explain(a)
    assert "connected to the output" in ad.explain(a, output=first)


def test_no_backward_in_this_thread():
    result = {}

    def worker():
        w = ad.tensor([1.0], requires_grad=True)
        result["text"] = ad.explain(w)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert "no backward pass has run in this thread" in result["text"]


def test_the_last_freed_graph_is_remembered_for_explain():
    w = ad.tensor([1.0], requires_grad=True)
    t = ad.tensor([2.0], requires_grad=True)
    (ad.where(w > 0, t, 0.0) * 2).sum().backward()       # a temporary output
    assert "only through non-differentiable edges" in ad.explain(w)


def test_a_retained_graph_is_remembered_only_weakly():
    # its saved values go with its output; explain keeps the skeleton of its ops
    import weakref
    w = ad.tensor([1.0], requires_grad=True)
    product = w * 2
    node = weakref.ref(product._node)
    product.sum().backward(retain_graph=True)
    del product
    assert node() is None
    assert "this tensor -> multiply -> sum = the output" in ad.explain(w)


def test_healthy_gradient_says_so():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    assert "not all zero (nonzero entries: 2 of 2)" in ad.explain(w)


def test_read_only_data_names_the_ops_holding_it():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    loss = (ad.sin(w) * 2).sum()
    text = ad.explain(w, output=loss)
    assert "read-only while 1 recorded op(s)" in text and "sin" in text
    del loss


def test_explain_rejects_non_tensors():
    with pytest.raises(TypeError, match="explain: expected a Tensor, got ndarray"):
        ad.explain(np.zeros(2))


def test_walk_is_iterative_on_a_deep_graph():
    w = ad.tensor([0.5], requires_grad=True)
    y = w
    for _ in range(5000):
        y = y * 1.0
    y = ad.stop_gradient(y) + ad.tensor([1.0], requires_grad=True)
    loss = y.sum()
    loss.backward()
    text = ad.explain(w)
    assert "blocked at stop_gradient" in text


def test_a_zero_gradient_from_cancelling_uses_or_an_overwrite_is_not_blamed_on_zeros():
    w = ad.tensor([1.0, 2.0], requires_grad=True, name="w")
    loss = (w - w).sum()
    loss.backward(retain_graph=True)
    text = ad.explain(w, output=loss)
    assert "used 2 times on the way (subtract)" in text and "cancels out" in text
    w = ad.tensor([3.0, 4.0], requires_grad=True, name="w")
    y = ad.tensor([1.0, 2.0], requires_grad=True) * 1.0
    y[0] = w[1]
    y[0] = 5.0
    loss = (y * y).sum()
    loss.backward(retain_graph=True)
    text = ad.explain(w, output=loss)
    assert "setitem gives x zero gradient where it writes" in text
