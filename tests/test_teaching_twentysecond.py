"""Students' programs through the teaching tools: training runs whose learning rate is
too large (a parameter grown near overflow; a loss that overflowed to inf), gradient
checks of functions that branch on a value, a gradient that vanished through a hand-
unrolled RNN, and softplus written as log(1 + exp(x))."""

import warnings

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
@pytest.mark.filterwarnings("ignore:backward\\(\\) starts at:RuntimeWarning")
def test_a_diverged_parameter_is_named_and_the_learning_rate_blamed_not_the_loss_scale():
    losses = []
    with pytest.raises(ad.AnomalyError) as caught:
        losses = _diverging_regression()
    text = str(caught.value)
    assert text.startswith("matmul: the backward pass produced inf")
    # the parameter is the input that holds the huge values, and the report says so
    assert "input b (matmul's input: the leaf 'w') holds values as large as" in text
    assert "(a parameter): scaling the loss down" in text
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



def _hand_unrolled_rnn(steps):
    rng = np.random.default_rng(0)
    Wh = ad.tensor(rng.normal(size=(4, 4)) * 0.1, requires_grad=True, name="Wh")
    Wx = ad.tensor(rng.normal(size=(2, 4)), requires_grad=True, name="Wx")
    x0 = ad.tensor(rng.normal(size=2), requires_grad=True, name="x0")
    h = ad.tanh(x0 @ Wx)
    for _ in range(steps):
        h = ad.tanh(h @ Wh + ad.tensor(rng.normal(size=2)) @ Wx)
    loss = h.sum()
    loss.backward()
    return x0


def test_a_vanished_gradient_is_not_called_rounding_noise_and_its_loop_is_folded():
    x0 = _hand_unrolled_rnn(60)
    largest = float(np.abs(x0.grad).max())
    assert 0 < largest < 1e-40          # it did vanish, and is no rounding residue
    text = ad.explain(x0)
    assert f"Every entry is at most {largest:.3g} in size" in text
    assert "probably a real gradient that vanished" in text
    assert "exactly zero in exact arithmetic" not in text
    # the unrolled loop's path is written once with its count, not 60 times
    assert "this tensor -> matmul -> (tanh -> matmul -> add) × 60 -> tanh -> sum" in text
    assert text.count("matmul") < 5


def test_a_short_path_is_written_out_in_full():
    x0 = _hand_unrolled_rnn(2)
    text = ad.explain(x0)
    assert ("this tensor -> matmul -> tanh -> matmul -> add -> tanh -> matmul -> add -> "
            "tanh -> sum = the output") in text
    assert "vanished" not in text and "rounding" not in text


def test_a_normalized_batchs_sum_is_still_called_rounding_noise():
    x = ad.tensor(np.array([1.0, 2.0, 4.0, 7.0]), requires_grad=True, name="x")
    ((x - x.mean()) / x.std(ddof=0)).sum().backward()
    largest = float(np.abs(x.grad).max())
    assert 0 < largest <= 16 * np.finfo(np.float64).eps
    text = ad.explain(x)
    assert "exactly zero in exact arithmetic" in text and "vanished" not in text


@pytest.mark.filterwarnings("ignore:backward\\(\\) starts at:RuntimeWarning")
def test_softplus_written_out_is_told_to_use_logaddexp_not_an_eps():
    x = ad.tensor(np.array([1.0, 50.0, 800.0]), requires_grad=True, name="x")
    with ad.detect_anomaly(), pytest.raises(ad.AnomalyError) as caught, \
            np.errstate(over="ignore"):
        ad.log(1 + ad.exp(x)).sum().backward()
    text = str(caught.value)
    assert text.startswith("exp: the backward pass produced NaN in the gradient for x")
    assert "input x at those positions: [800]" in text
    assert "the result of exp overflowed to inf at those positions" in text
    assert "ad.logaddexp(0, x)" in text
    # an eps or a clip does not stop exp overflowing: that advice is gone here
    assert "add an eps" not in text
    # and logaddexp is indeed finite, with the logistic function as its gradient
    x.grad = None
    ad.logaddexp(0, x).sum().backward()
    np.testing.assert_allclose(x.grad, 1 / (1 + np.exp(-x.data)))


def test_an_infinite_derivative_that_is_no_overflow_keeps_the_eps_advice():
    x = ad.tensor(np.array([0.0, 4.0]), requires_grad=True, name="x")
    with ad.detect_anomaly(), pytest.raises(ad.AnomalyError) as caught:
        (ad.sqrt(x) * ad.tensor(np.array([0.0, 1.0]))).sum().backward()
    assert "add an eps" in str(caught.value)


def _regression_run(lr, steps):
    rng = np.random.default_rng(0)
    ad.manual_seed(0)       # (the initial weights decide which op overflows first)
    model = ad.nn.Linear(3, 1)
    X = rng.normal(size=(32, 3)) * 30
    y = X @ np.array([1.0, -2.0, 0.5])
    opt = ad.optim.SGD(model.parameters(), lr=lr)
    losses = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ad.detect_anomaly(), np.errstate(over="ignore"):
            for _ in range(steps):
                opt.zero_grad()
                loss = ((model(ad.tensor(X)).reshape(-1) - y) ** 2).mean()
                loss.backward()
                opt.step()
                losses.append(float(loss))
    return losses, [w for w in caught if "backward() starts at" in str(w.message)]


def test_a_loss_that_overflowed_to_inf_is_reported_at_the_backward_with_its_origin():
    losses, caught = _regression_run(lr=0.5, steps=60)
    first_inf = next(i for i, v in enumerate(losses) if np.isinf(v))
    assert np.isfinite(losses[:first_inf]).all() and losses[first_inf - 1] > 1e300
    # one warning for each backward from an infinite loss, none before
    assert len(caught) == len(losses) - first_inf
    text = str(caught[0].message)
    assert caught[0].filename == __file__        # shown at the user's backward() line
    assert text.startswith("backward() starts at the result of mean (created at ")
    assert "which is inf: the forward pass overflowed" in text
    assert "The inf was made by power (an overflow: float64 holds at most" in text
    assert ", passed on by mean" in text and "lower the learning rate" in text


def test_a_converging_run_under_detect_anomaly_warns_nothing():
    losses, caught = _regression_run(lr=1e-4, steps=20)
    assert losses[-1] < losses[0] and caught == []


def test_a_huge_intermediate_result_is_named_without_blaming_the_learning_rate():
    x = ad.tensor(np.array([400.0, 1.0]), requires_grad=True, name="logits")
    w = ad.tensor(np.array([1e-200, 1e-200]), requires_grad=True, name="w")
    with ad.detect_anomaly(), pytest.raises(ad.AnomalyError) as caught:
        e = ad.exp(x)                       # exp(400) = 5.2e173, finite
        loss = (e * w * 1e140).sum()        # finite: 5.2e113
        assert np.isfinite(loss.data)
        loss.backward()                     # w's gradient 1e140 * 5.2e173 overflows
    text = str(caught.value)
    assert text.startswith("multiply: the backward pass produced inf in the gradient for b")
    assert "(multiply's input: the result of exp) holds values as large as 5.22e+173" in text
    assert "an exp of a large argument" in text
    assert "learning rate" not in text and "scale the loss" not in text
