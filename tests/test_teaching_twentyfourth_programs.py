"""Students' programs through the teaching tools: a deep sigmoid net whose gradient
vanished, weights initialised to zeros, requires_grad set after the forward pass, an
update written ``w = w - lr * w.grad`` in grad mode, and the .grad of an intermediate."""

import warnings

import numpy as np
import pytest

import autodiff as ad


def _deep_sigmoid_net(depth=30, retain_graph=False):
    rng = np.random.default_rng(0)
    weights = [ad.tensor(rng.normal(size=(8, 8)) * 0.5, requires_grad=True, name=f"W{i}")
               for i in range(depth)]
    h = ad.tensor(rng.normal(size=(2, 8)))
    for W in weights:
        h = ad.sigmoid(h @ W)
    loss = h.sum()
    loss.backward(retain_graph=retain_graph)
    return weights, loss


def test_a_vanished_gradient_of_a_deep_sigmoid_net_is_not_called_rounding_errors():
    weights, loss = _deep_sigmoid_net(retain_graph=True)
    largest = float(np.abs(weights[0].grad).max())
    assert 0 < largest < 1e-16                  # vanished: far below the last layer's
    assert float(np.abs(weights[-1].grad).max()) > 1e-3
    text = ad.explain(weights[0])
    assert "rounding errors" not in text.replace("not rounding errors", "")
    assert "30 sigmoid ops" in text and "at most 1/4 for sigmoid" in text
    assert "vanish" in text and "residual connections" in text


def test_with_the_graph_freed_the_deep_net_is_told_the_same_and_how_to_check():
    weights, _ = _deep_sigmoid_net()
    text = ad.explain(weights[0])
    assert "30 sigmoid ops" in text and "retain_graph=True" in text
    assert "rounding errors" not in text


def test_a_shallow_layer_keeps_its_plain_report():
    weights, _ = _deep_sigmoid_net(depth=3)
    text = ad.explain(weights[0])
    assert "not all zero" in text and "sigmoid ops" not in text


def _zero_initialised(activation):
    net = ad.nn.Sequential(ad.nn.Linear(2, 3), activation, ad.nn.Linear(3, 1))
    for p in net.parameters():
        p.data[...] = 0
    x = ad.tensor(np.random.default_rng(0).normal(size=(5, 2)))
    (net(x) ** 2 + net(x)).mean().backward()
    return net


@pytest.mark.parametrize("activation", [ad.nn.Tanh(), ad.nn.ReLU()])
def test_weights_initialised_to_zero_are_named_as_why_the_gradient_is_zero(activation):
    net = _zero_initialised(activation)
    assert not np.any(net[0].weight.grad)
    text = ad.explain(net[0].weight)
    assert "'2.weight' (shape (3, 1), in matmul)" in text
    assert "all zero (a zero initialisation?)" in text and "random values" in text
    assert "saturat" not in text                    # tanh(0) is not saturated
    # the advice works: random weights give the first layer a gradient
    ad.nn.init.xavier_normal_(net[0].weight, generator=np.random.default_rng(2))
    ad.nn.init.xavier_normal_(net[2].weight, generator=np.random.default_rng(3))
    net.zero_grad()
    x = ad.tensor(np.random.default_rng(1).normal(size=(5, 2)))
    net(x).sum().backward()
    assert np.any(net[0].weight.grad)


def test_a_cancelling_use_is_still_told_as_before():
    w = ad.tensor(np.ones(3), requires_grad=True, name="w")
    (w - w).sum().backward()
    text = ad.explain(w)
    assert "used 2 times on the way" in text and "zero initialisation" not in text


def test_requires_grad_set_after_the_forward_pass_is_named_by_backward_and_explain():
    x = ad.tensor(np.array([1.0, 2.0]), name="x")
    y = (x * 3 + x).sum()
    x.requires_grad = True
    with pytest.raises(RuntimeError) as caught:
        y.backward()
    message = str(caught.value)
    assert "recorded before 'x' was set to require grad" in message
    assert "before the forward pass" in message
    text = ad.explain(x)
    assert "set to require grad after the forward pass used it" in text
    assert "multiply ran while it did not" in text or "add ran while it did not" in text
    y = (x * 3 + x).sum()                           # the advice works
    y.backward()
    assert np.allclose(x.grad, 4.0)


def test_a_leaf_used_only_through_a_comparison_is_not_said_to_be_set_late():
    x = ad.tensor(np.array([1.0, -2.0]), requires_grad=True, name="x")
    with pytest.raises(RuntimeError) as caught:
        ad.where(x > 0, np.ones(2), np.zeros(2)).sum().backward()
    assert "set to require grad" not in str(caught.value)
    assert "comparisons" in str(caught.value)


def test_a_number_taken_out_with_item_is_named_by_the_backward_error():
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True, name="w")
    with pytest.raises(RuntimeError, match=r"\.item\(\)"):
        ad.tensor((w ** 2).sum().item()).backward()


def test_an_update_written_in_grad_mode_is_told_how_to_write_it():
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True, name="w")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            loss = (w ** 2).sum()
            loss.backward()
            if w.grad is None:                      # the line warned at
                break
            w = w - 0.1 * w.grad
    told = [str(c.message) for c in caught if "not a leaf" in str(c.message)]
    assert len(told) == 1 and caught[0].filename == __file__
    assert "w = w - lr * w.grad" in told[0]
    assert "with ad.no_grad(): w -= lr * w.grad" in told[0]
    assert "retain_grad" not in told[0]             # (not the advice for this mistake)
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True, name="w")
    for _ in range(2):                              # the advice works: w stays a leaf
        (w ** 2).sum().backward()
        with ad.no_grad():
            w -= 0.1 * w.grad
        w.grad = None
    assert w.is_leaf and np.allclose(w.data, [0.64, 1.28])


def test_the_grad_of_an_intermediate_still_advises_retain_grad():
    x = ad.tensor(np.array([1.0, 2.0]), requires_grad=True, name="x")
    h = x * 2
    (h ** 2).sum().backward()
    with pytest.warns(UserWarning, match=r"retain_grad\(\)"):
        assert h.grad is None
    assert "v.retain_grad() before backward()" in ad.explain(h)


def _anomaly(program):
    with warnings.catch_warnings(record=True) as caught, ad.detect_anomaly():
        warnings.simplefilter("always")
        with pytest.raises(ad.AnomalyError) as raised:
            program()
    return str(raised.value), [str(c.message) for c in caught]


def test_cross_entropy_by_hand_from_a_softmax_that_underflowed_says_use_log_softmax():
    logits = ad.tensor(np.array([[0.0, 800.0, 0.0]]), requires_grad=True, name="logits")
    y = np.array([[0.0, 1.0, 0.0]])

    def program():
        p = ad.softmax(logits, axis=1)
        (-(ad.tensor(y) * ad.log(p)).sum()).backward()
    message, _ = _anomaly(program)
    assert "0 * inf is NaN" in message and "made by log" in message
    assert "softmax rounded to 0 or 1" in message and "ad.log_softmax(logits" in message
    # the advice works: the same loss from log_softmax is finite, with a finite gradient
    loss = -(ad.tensor(y) * ad.log_softmax(logits, axis=1)).sum()
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(logits.grad))


def test_binary_cross_entropy_by_hand_from_a_saturated_sigmoid_says_use_logsigmoid():
    logits = ad.tensor(np.array([5.0, 40.0]), requires_grad=True, name="logits")
    y = np.array([1.0, 0.0])

    def program():
        p = ad.sigmoid(logits)
        (-(y * ad.log(p) + (1 - y) * ad.log(1 - p)).mean()).backward()
    message, warned = _anomaly(program)
    assert "the derivative of log is infinite at 0" in message
    assert "sigmoid rounded to 0 or 1" in message and "logsigmoid(-x)" in message
    told = [w for w in warned if w.startswith("backward() starts at")]
    assert len(told) == 1 and "binary_cross_entropy_with_logits" in told[0]
    assert "add an eps" not in told[0]              # (not the advice for this mistake)
    logsigmoid = ad.nn.functional.logsigmoid
    loss = -(ad.tensor(y) * logsigmoid(logits) + ad.tensor(1 - y) * logsigmoid(-logits)).mean()
    loss.backward()
    assert np.isclose(loss.item(), 20.00335, atol=1e-4) and np.all(np.isfinite(logits.grad))


def test_a_log_of_zero_that_no_probability_made_keeps_the_eps_advice():
    x = ad.tensor(np.array([0.0, 1.0]), requires_grad=True, name="x")
    message, _ = _anomaly(lambda: (ad.log(x * 1.0) * 0.0).sum().backward())
    assert "softmax" not in message and "sigmoid" not in message


def _steps(zero_between):
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True, name="w")
    opt = ad.optim.SGD([w], lr=0.1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            if not zero_between:
                opt.zero_grad()
            (w ** 2).sum().backward()
            if zero_between:
                opt.zero_grad()                     # after backward: clears its gradient
            opt.step()
    return w, [str(c.message) for c in caught]


def test_zero_grad_between_backward_and_step_is_named_as_what_cleared_the_gradient():
    w, told = _steps(zero_between=True)
    assert np.array_equal(w.data, [1.0, 2.0])       # nothing moved
    assert len(told) == 1
    assert "zero_grad() ran after it and cleared them" in told[0]
    assert "did you call loss.backward()" not in told[0]
    w, told = _steps(zero_between=False)            # the advice works
    assert told == [] and np.allclose(w.data, [0.64, 1.28])


def test_a_step_with_no_backward_at_all_keeps_the_general_warning():
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True, name="w")
    opt = ad.optim.SGD([w], lr=0.1)
    with pytest.warns(ad.optim.optimizer.NoGradientWarning) as caught:
        opt.zero_grad()
        opt.step()
    assert "did you call loss.backward()" in str(caught[0].message)


def test_a_residual_sum_read_for_its_grad_is_not_called_an_update():
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True, name="w")
    h = w + ad.tanh(w)
    (h ** 2).sum().backward()
    with pytest.warns(UserWarning, match=r"retain_grad\(\)") as caught:
        assert h.grad is None
    assert "w = w - lr * w.grad" not in str(caught[0].message)
