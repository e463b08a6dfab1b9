"""Programs students write while learning backprop, run through the teaching tools:
each test asserts the facts that the text must say for the student to find the mistake."""

import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn


def _data(n=4):
    return ad.tensor(np.random.default_rng(0).normal(size=(n, 2)))


def test_detach_in_the_middle_of_a_model_names_the_cut_layer_as_not_connected():
    first, second = nn.Linear(2, 3, rng=0), nn.Linear(3, 1, rng=1)
    loss = (second(ad.relu(first(_data())).detach()) ** 2).mean()
    loss.backward()
    opt = ad.optim.SGD(list(first.parameters()) + list(second.parameters()), lr=0.1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt.step()
    told = sorted(str(w.message).split("'")[1] for w in caught
                  if issubclass(w.category, ad.NoGradientWarning))
    assert told == ["bias", "weight"]           # the first layer's, not the second's
    assert all(".detach()" in str(w.message) for w in caught)
    text = ad.explain(first.weight)
    assert ".grad is None" in text and "not connected to the output (mean" in text
    assert ".detach()" in text
    assert second.weight.grad is not None


def test_a_loss_computed_under_no_grad_or_from_argmax_says_what_has_no_history():
    lin = nn.Linear(2, 3, rng=0)
    with ad.no_grad():
        loss = (lin(_data()) ** 2).mean()
    with pytest.raises(RuntimeError, match="outside ad.no_grad"):
        loss.backward()
    predicted = lin(_data()).argmax(axis=1)
    loss = ((predicted - ad.tensor([0, 1, 2, 0])) ** 2).astype(float).mean()
    with pytest.raises(RuntimeError, match="argmax"):
        loss.backward()


def test_integer_leaf_and_non_scalar_backward_are_refused_with_the_fix():
    with pytest.raises(TypeError, match="needs floating-point data, but the data is int64"):
        ad.tensor([1, 2, 3], requires_grad=True)
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(2,\)\. Reduce it first"):
        (x * 2).backward()


def test_steps_of_a_diamond_counts_the_contributions_to_the_shared_value():
    x = ad.tensor(2.0, requires_grad=True)
    x.name = "x"
    s = ad.sin(x)
    s.name = "s"
    text = str(ad.viz.steps(s * s + ad.exp(s)))
    assert "(1st of 3 contributions)" in text and "(3rd of 3 contributions" in text
    total = 2 * np.sin(2.0) + np.exp(np.sin(2.0))
    assert f"s.grad is now {total:.4f}" in text
    assert f"x.grad = {total * np.cos(2.0):.4f}" in text


def test_steps_of_a_batch_says_the_bias_gradient_sums_over_the_batch():
    W = ad.tensor(np.ones((2, 2)), requires_grad=True)
    b = ad.tensor(np.zeros(2), requires_grad=True)
    W.name, b.name = "W", "b"
    text = str(ad.viz.steps((_data(3) @ W + b).sum()))
    assert "b.grad = sum of (g) over axes (0,), (3, 2) -> (2,) (undoes the broadcast)" in text
    assert "b.grad = [3. 3.]" in text


def test_own_softmax_overflow_is_traced_to_exp_at_the_users_line():
    x = ad.tensor([1000.0, 1.0, 2.0], requires_grad=True)
    with np.errstate(over="ignore", invalid="ignore"), ad.detect_anomaly():
        with pytest.raises(ad.AnomalyError) as raised:
            ad.exp(x) / ad.exp(x).sum()
    text = str(raised.value)
    assert "inf / inf is NaN" in text and "made by exp (an overflow" in text
    assert "test_teaching_twentyfifth_programs.py" in text and "logsumexp" in text


def test_softmax_before_cross_entropy_and_sigmoid_before_bce_with_logits_both_warn():
    logits = ad.tensor(np.random.default_rng(1).normal(size=(4, 3)), requires_grad=True)
    with pytest.warns(UserWarning, match="looks like probabilities"):
        F.cross_entropy(ad.softmax(logits, axis=1), np.array([0, 2, 1, 0]))
    with pytest.warns(UserWarning, match="computed by sigmoid"):
        F.binary_cross_entropy_with_logits(ad.sigmoid(logits), ad.tensor(np.ones((4, 3))))


def test_a_user_function_with_a_wrong_mask_fails_gradcheck_naming_it():
    class MyReLU(ad.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.maximum(x, 0)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * (x < 0)           # the mask the wrong way round

    with pytest.raises(ad.GradcheckError) as raised:
        ad.gradcheck(MyReLU.apply, (ad.tensor([0.5, -1.0, 2.0], requires_grad=True),))
    text = str(raised.value)
    assert "at 3 of 9 Jacobian entries" in text and "user-written gradient rules (MyReLU)" in text


def test_a_hand_written_update_that_rebinds_w_warns_at_the_read_of_its_grad():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    (w ** 2).sum().backward()
    w = w - 0.1 * w.grad                    # recorded: the new w is not a leaf
    (w ** 2).sum().backward()
    with pytest.warns(UserWarning, match="not a leaf") as caught:
        assert w.grad is None
    assert "with ad.no_grad(): w -= lr * w.grad" in str(caught[0].message)


def test_tiny_learning_rate_in_a_real_training_loop_warns_once_and_a_good_one_does_not():
    X, y = ad.data.spiral(20, 3, seed=0)
    for lr, expect in ((1e-18, 1), (0.05, 0)):     # (Adam moves each entry about lr)
        model = nn.MLP([2, 8, 3], rng=0)
        opt = ad.optim.Adam(model.parameters(), lr=lr)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(5):
                loss = F.cross_entropy(model(ad.tensor(X)), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
        noop = [w for w in caught if issubclass(w.category, ad.optim.NoOpStepWarning)]
        assert len(noop) == expect
