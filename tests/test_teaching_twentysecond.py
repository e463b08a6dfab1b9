"""Students' programs through the teaching tools: a training run whose learning rate
is too large, and gradient checks of functions that branch on a value."""

import numpy as np
import pytest

import autodiff as ad


def _diverging_regression():
    """Gradient descent on least squares with a learning rate far too large."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2)) * 10
    y = X @ np.array([3.0, -1.0])
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True, name="w")
    losses = []
    with ad.detect_anomaly():
        for _ in range(200):
            loss = ((ad.tensor(X) @ w - y) ** 2).mean()
            losses.append(float(loss))
            loss.backward()
            with ad.no_grad():
                w -= 1.0 * w.grad
            w.grad = None
    return losses


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_a_diverged_parameter_is_named_and_the_learning_rate_blamed_not_the_loss_scale():
    losses = []
    with pytest.raises(ad.AnomalyError) as caught:
        losses = _diverging_regression()
    text = str(caught.value)
    assert text.startswith("matmul: the backward pass produced inf")
    # the parameter is the input that holds the huge values, and the report says so
    assert "input b (matmul's input: the leaf 'w') holds values as large as" in text
    assert "learning rate too large" in text and "lower the learning rate" in text
    # scaling the loss down is not offered as the fix
    assert "scale the loss" not in text
    assert "does not keep values that size finite" in text
    assert losses == []


def test_an_overflow_of_moderate_values_still_says_to_scale_the_loss():
    x = ad.tensor(np.array([2.0, 3.0]), requires_grad=True, name="x")
    y = x * 1e300                           # a large constant the user wrote on purpose
    y.register_hook(lambda g: g * 1e300)    # an upstream gradient of 1e300 times 1e300
    with ad.detect_anomaly(), pytest.raises(ad.AnomalyError) as caught:
        (y * 1.0).sum().backward()
    text = str(caught.value)
    assert "scale the loss (or the gradient a hook returns) down" in text
    assert "holds values as large as" not in text


def test_a_branch_on_a_value_that_meets_is_called_a_kink_with_the_branch_among_the_causes():
    def f(x):
        if float(x.sum()) > 0:
            return (x ** 2).sum()
        return (-x).sum()
    x = ad.tensor(np.array([1e-7, -1e-7]), requires_grad=True)
    with pytest.raises(ad.GradcheckError) as caught:
        ad.gradcheck(f, [x])
    text = str(caught.value)
    assert "sits on a kink at entry (0,)" in text
    assert "the slope is -1 from below" in text
    assert "branch on a value (`if x > 0:`)" in text


@pytest.mark.parametrize("offset_above, offset_below, jump, side, analytic", [
    (1.0, 0.0, "7", "above", "-1"),        # the analytic gradient is the lower branch's
    (0.0, 1.0, "-5", "below", "0"),       # ... the upper branch's
])
def test_a_branch_whose_sides_do_not_meet_is_called_a_jump_not_noise(
        offset_above, offset_below, jump, side, analytic):
    def f(x):
        if float(x[0]) > 0 or (offset_below and float(x[0]) >= 0):
            return (x ** 2).sum() + offset_above
        return (-x).sum() + offset_below
    x = ad.tensor(np.array([0.0, 2.0]), requires_grad=True)
    with pytest.raises(ad.GradcheckError) as caught:
        ad.gradcheck(f, [x])
    text = str(caught.value)
    assert f"sits on a jump at entry (0,): func's value changes by {jump} from {side}" in text
    assert f"The analytic gradient there, {analytic}," in text
    # the guess that func samples random numbers is not offered: it does not
    assert "random" not in text

