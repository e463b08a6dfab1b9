"""Students' programs through the teaching tools: a hand-written update loop
(``w.data -= lr * w.grad``) that never zeroes ``.grad``, gradient descent on Rosenbrock's
function diverging until a power overflows, and ``explain`` of a loss computed from
tensors none of which requires grad."""

import warnings

import numpy as np
import pytest

import autodiff as ad


def _least_squares():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 3))
    return X, X @ np.array([1.0, -2.0, 0.5])


def _manual_sgd(steps, zero=None, lr=0.1):
    """A student's loop: backward, then an update of .data by hand."""
    X, y = _least_squares()
    w = ad.tensor(np.zeros(3), requires_grad=True, name="w")
    with warnings.catch_warnings(record=True) as caught, ad.detect_anomaly():
        warnings.simplefilter("always")
        for _ in range(steps):
            loss = ((ad.tensor(X) @ w - y) ** 2).mean()
            loss.backward()                                     # the line warned at
            w.data -= lr * w.grad
            if zero is not None:
                zero(w)
    return [w for w in caught if "earlier backward()" in str(w.message)]


def test_a_hand_written_update_without_zeroing_is_told_under_detect_anomaly():
    told = _manual_sgd(3)
    assert len(told) == 1                                       # once per tensor
    message = str(told[0].message)
    assert told[0].category is UserWarning
    assert told[0].filename == __file__                         # the user's line
    assert "the gradient of 'w' is being added into a .grad that already holds" in message
    assert "'w' has changed since then (an update such as w.data -= lr * w.grad)" in message
    assert "Set w.grad = None (or call opt.zero_grad()) after each update" in message


def test_the_accumulated_gradient_the_warning_describes_is_the_sum_of_both_steps():
    # what the warning claims is so: after two steps .grad is the sum of the gradients at
    # the first and at the second value of w
    X, y = _least_squares()
    w = ad.tensor(np.zeros(3), requires_grad=True)
    grads = []
    for _ in range(2):
        loss = ((ad.tensor(X) @ w - y) ** 2).mean()
        grads.append(2 * X.T @ (X @ w.data - y) / len(y))
        loss.backward()
        w.data -= 0.1 * w.grad
    np.testing.assert_allclose(w.grad, grads[0] + grads[1])


@pytest.mark.parametrize("zero", [
    lambda w: setattr(w, "grad", None),
    lambda w: w.grad.fill(0.0),
    lambda w: w.grad.__setitem__(slice(None), 0.0),
], ids=["grad = None", "grad.fill(0)", "grad[:] = 0"])
def test_following_the_advice_silences_the_warning(zero):
    assert _manual_sgd(3, zero) == []


def test_accumulating_micro_batches_at_the_same_values_is_not_warned_about():
    X, y = _least_squares()
    w = ad.tensor(np.zeros(3), requires_grad=True, name="w")
    with warnings.catch_warnings(record=True) as caught, ad.detect_anomaly():
        warnings.simplefilter("always")
        for step in range(2):
            for rows in (slice(0, 5), slice(5, 10)):            # two micro-batches
                ((ad.tensor(X[rows]) @ w - y[rows]) ** 2).mean().backward()
            w.data -= 0.1 * w.grad
            w.grad = None
    assert not [c for c in caught if "earlier backward()" in str(c.message)]


def test_an_optimizer_loop_that_zeroes_is_not_warned_about():
    X, y = _least_squares()
    w = ad.tensor(np.zeros(3), requires_grad=True, name="w")
    opt = ad.optim.SGD([w], lr=0.1)
    with warnings.catch_warnings(record=True) as caught, ad.detect_anomaly():
        warnings.simplefilter("always")
        for _ in range(3):
            opt.zero_grad(set_to_none=False)
            ((ad.tensor(X) @ w - y) ** 2).mean().backward()
            opt.step()
    assert not [c for c in caught if "earlier backward()" in str(c.message)]


def test_outside_detect_anomaly_the_loop_runs_without_a_word_as_in_pytorch():
    X, y = _least_squares()
    w = ad.tensor(np.zeros(3), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            ((ad.tensor(X) @ w - y) ** 2).mean().backward()
            w.data -= 0.1 * w.grad


# ---------------------------------------------------------------------------------
# gradient descent on Rosenbrock's function with a learning rate too large


def _rosenbrock_descent(lr):
    xy = ad.tensor(np.array([-1.5, 2.0]), requires_grad=True, name="xy")
    with ad.detect_anomaly():
        for _ in range(100):
            f = (1 - xy[0]) ** 2 + 100 * (xy[1] - xy[0] ** 2) ** 2
            f.backward()
            with ad.no_grad():
                xy -= lr * xy.grad
            xy.grad = None
    return xy


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:backward\\(\\) starts at:RuntimeWarning")
def test_a_diverged_rosenbrock_descent_names_the_overflowing_power_and_the_parameter():
    with pytest.raises(ad.AnomalyError) as caught:
        _rosenbrock_descent(0.01)
    text = str(caught.value)
    assert text.startswith("power: the backward pass produced inf")
    # where the inf in the forward values was made, not "fed in with the data or ..."
    assert "it was made by power (an overflow: float64 holds at most" in text
    assert "passed on by subtract" in text
    assert "fed in with the data or made by an earlier op" not in text
    # the parameter that grew huge is named, and the learning rate blamed
    assert "The parameter 'xy' (values as large as" in text
    assert "lower the learning rate" in text
    # and it is true: xy's values are that large after the updates
    assert "e+" in text.split("values as large as ")[1].split(")")[0]


def test_a_small_learning_rate_runs_through_without_a_report():
    xy = _rosenbrock_descent(1e-4)
    assert np.isfinite(xy.data).all()


def test_an_inf_fed_in_as_data_is_not_blamed_on_the_learning_rate():
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True, name="w")
    data = ad.tensor(np.array([np.inf, 1.0]))
    with ad.detect_anomaly(), pytest.raises(ad.AnomalyError) as caught, \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ((data * w) ** 2).sum().backward()
    text = str(caught.value)
    assert "from a leaf or constant input holding inf" in text
    assert "learning rate" not in text


# ---------------------------------------------------------------------------------
# explain() of a loss none of whose inputs requires grad


def test_explain_of_a_loss_from_tensors_without_requires_grad_names_them():
    X = ad.tensor(np.ones((4, 3)))
    W = ad.tensor(np.ones((3, 2)), name="W")                    # requires_grad forgotten
    b = ad.tensor(np.zeros(2), name="b")
    loss = ((X @ W + b) ** 2).mean()
    text = ad.explain(loss)
    assert "none of the tensors it was computed from (through mean" in text
    assert "'W' (shape (3, 2))" in text and "'b' (shape (2,))" in text
    assert "ad.tensor(data, requires_grad=True)" in text
    # the old sentence about comparisons is not offered: there is none here
    assert "comparisons" not in text
    # following the advice gives W a gradient
    W.requires_grad_()
    ((X @ W + b) ** 2).mean().backward()
    assert W.grad is not None and np.any(W.grad)


def test_explain_of_a_count_from_a_comparison_still_blames_the_comparison():
    w = ad.tensor([1.0, -1.0], requires_grad=True, name="w")
    text = ad.explain((w > 0).sum())
    assert "comparisons and logical ops return bool tensors" in text
    assert "none of the tensors it was computed from" not in text


# ---------------------------------------------------------------------------------
# a loss that is already inf when backward() starts: overflowed, or made by log(0)


def _starting_note(make_loss):
    p = ad.tensor(np.array([0.0, 1.0]), requires_grad=True, name="p")
    with warnings.catch_warnings(record=True) as caught, ad.detect_anomaly():
        warnings.simplefilter("always")
        try:
            make_loss(p).backward()
        except ad.AnomalyError:
            pass                    # the inf gradient after it is reported too
    told = [str(c.message) for c in caught if "backward() starts at" in str(c.message)]
    assert len(told) == 1
    return told[0]


def test_a_cross_entropy_of_a_zero_probability_is_not_called_an_overflow():
    note = _starting_note(lambda p: -ad.log(p).sum())           # log(0) = -inf
    assert "which is inf" in note                               # -log(0) = +inf
    assert "overflowed" not in note and "learning rate" not in note
    assert "The inf was made by log" in note
    assert "a log of 0, a division by 0): clip it or add an eps" in note


def test_a_log_of_zero_says_minus_inf_and_a_division_by_zero_is_named():
    assert "which is -inf" in _starting_note(lambda p: ad.log(p).sum())
    note = _starting_note(lambda p: (1 / p).sum())
    assert "The inf was made by divide" in note and "overflowed" not in note


def test_an_overflowed_loss_still_says_overflowed_and_blames_the_learning_rate():
    note = _starting_note(lambda p: ad.exp(p * 1000).sum())
    assert "the forward pass overflowed" in note
    assert "made by exp (an overflow: float64 holds at most" in note
    assert "lower the learning rate" in note


def test_an_inf_in_the_data_is_said_to_come_with_the_data():
    note = _starting_note(lambda p: (p + ad.tensor(np.array([np.inf, 0.0]))).sum())
    assert "the inf came in with the data" in note
    assert "overflowed" not in note and "learning rate" not in note


# ---------------------------------------------------------------------------------
# backward twice: two losses sharing a sub-graph; a hand-unrolled RNN, backward each step


def _two_losses():
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True, name="w")
    h = ad.tanh(w * 3)
    return w, (h ** 2).sum(), (h * 5).sum()


def test_two_losses_sharing_an_op_are_told_to_add_them_and_doing_so_works():
    w, loss1, loss2 = _two_losses()
    loss1.backward()
    with pytest.raises(RuntimeError) as caught:
        loss2.backward()
    text = str(caught.value)
    assert "op 'tanh' (output shape (2,)) released its saved values" in text
    assert "pass retain_graph=True to the first backward" in text
    assert "(loss1 + loss2).backward() runs one pass through both" in text
    # the advice gives the same gradient as retain_graph=True does
    w2, loss1, loss2 = _two_losses()
    (loss1 + loss2).backward()
    w3, loss1, loss2 = _two_losses()
    loss1.backward(retain_graph=True)
    loss2.backward()
    np.testing.assert_allclose(w2.grad, w3.grad)


def _rnn_by_hand(detach):
    Wh = ad.tensor(np.eye(2) * 0.5, requires_grad=True, name="Wh")
    h = ad.zeros(2)
    for _ in range(3):
        if detach:
            h = h.detach()
        h = ad.tanh(h @ Wh + 1.0)
        h.sum().backward()
    return Wh


def test_an_rnn_unrolled_by_hand_with_a_backward_each_step_is_told_to_detach():
    with pytest.raises(RuntimeError) as caught:
        _rnn_by_hand(detach=False)
    text = str(caught.value)
    assert "the hidden state of an RNN unrolled by hand" in text
    assert "detach it between steps (h = h.detach())" in text
    # following it, every step runs its backward
    assert np.isfinite(_rnn_by_hand(detach=True).grad).all()


# ---------------------------------------------------------------------------------
# attention by hand: a causal mask filled with -inf, and a row with every position masked


def _masked_attention(fill):
    rng = np.random.default_rng(0)
    q = ad.tensor(rng.normal(size=(3, 4)), requires_grad=True, name="q")
    k = ad.tensor(rng.normal(size=(3, 4)), requires_grad=True, name="k")
    mask = np.array([[True, False, False], [True, True, False], [False, False, False]])
    with ad.detect_anomaly(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = ad.where(ad.tensor(mask), q @ k.T / 2.0, fill)
        e = ad.exp(scores - scores.max(axis=1, keepdims=True))
        (e / e.sum(axis=1, keepdims=True)).sum().backward()
    return q


def test_a_fully_masked_row_is_named_as_the_cause_with_a_finite_fill_as_the_fix():
    with pytest.raises(ad.AnomalyError) as caught:
        _masked_attention(-np.inf)
    text = str(caught.value)
    assert text.startswith("subtract: the forward pass produced NaN")
    assert "first at index (2, 0)" in text                      # the row masked entirely
    assert "the inf in input a was made by where" in text
    assert "leaves a row with every position masked all -inf" in text
    assert "fill with a large finite value instead (-1e9" in text
    # following the advice, the pass runs and the gradients are finite
    assert np.isfinite(_masked_attention(-1e9).grad).all()


def test_an_inf_minus_inf_not_made_by_a_mask_gets_no_mask_advice():
    x = ad.tensor(np.array([1000.0]), requires_grad=True, name="x")
    with ad.detect_anomaly(), pytest.raises(ad.AnomalyError) as caught, \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ad.exp(x) - ad.exp(x)
    text = str(caught.value)
    assert "inf - inf is NaN" in text and "made by exp" in text
    assert "mask" not in text
