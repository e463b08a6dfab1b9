"""``detect_anomaly`` on NaNs where students meet them: each report names the op and the
user's line that made the NaN or inf, and its cause is the true one.

Two causes were missing or wrong before: an inf fed in with the data (an LSTM's input)
turned into NaN in matmul's rule was put down to matmul's derivative being infinite
"e.g. sqrt or log at 0", with the advice to add an eps; and ``layer_norm`` with
``eps=0`` on a constant row gave no cause at all for its 0 / 0.
"""

import numpy as np
import pytest
from teaching_checks import anomaly_report

import autodiff as ad
import autodiff as torch            # written as PyTorch scripts are
import autodiff.nn.functional as F
from autodiff import nn


_report = anomaly_report


def _lstm_fed_an_inf():
    torch.manual_seed(0)
    rnn = nn.LSTM(2, 3)
    x = torch.tensor(np.array([[[1.0, np.inf]], [[0.0, 1.0]]]))
    out, _ = rnn(x)
    out.sum().backward()


def test_an_inf_in_the_data_is_named_as_the_cause_not_an_infinite_derivative():
    message = _report(_lstm_fed_an_inf)
    assert message.startswith("matmul: the backward pass produced NaN in the gradient for b")
    assert "`out, _ = rnn(x)`" in message                        # the user's line
    assert "input a at those positions: (shape (2, 2), finite range [0, 1], 1 inf)" in message
    assert "cause: input a of matmul already holds inf" in message
    assert "it was fed in as data: a leaf or a constant" in message
    assert "e.g. sqrt or log at 0" not in message and "add an eps" not in message


def test_an_inf_made_by_an_overflow_is_named_too():
    def program():
        w = nn.Parameter(np.array([1.0, 800.0]), name="w")
        big = torch.exp(w.detach())                 # inf, off the tape
        (w * big).sum().backward()
    message = _report(program)
    assert message.startswith("multiply: the backward pass produced inf in the gradient for a")
    assert "cause: input b of multiply already holds inf" in message
    assert "`(w * big).sum().backward()`" in message


def test_an_infinite_derivative_at_finite_inputs_keeps_its_cause():
    def program():
        x = nn.Parameter(np.array([0.0, 1.0]), name="x")
        torch.log(x).sum().backward()
    message = _report(program)
    assert "cause: the derivative of log is infinite at these inputs" in message
    assert "already holds inf" not in message


def test_layer_norm_with_eps_zero_on_a_constant_row_says_why():
    def program():
        x = nn.Parameter(np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]]), name="x")
        F.layer_norm(x, (3,), eps=0.0).sum().backward()
    message = _report(program)
    assert message.startswith("layer_norm: the forward pass produced NaN from inputs without "
                              "NaN (3 of 6 entries, first at index (0, 0))")
    assert "`F.layer_norm(x, (3,), eps=0.0).sum().backward()`" in message
    assert "cause: a row whose entries are all equal has variance 0" in message
    assert "keep eps > 0" in message


# ----------------------------------------------------------------------------------
# inside ad.vmap the examples are plain arrays: the NaN was not checked at all before
# ----------------------------------------------------------------------------------
def _normalised(v):
    return v / v.sum()


def test_inside_vmap_the_op_and_line_are_named():
    message = _report(lambda: ad.vmap(_normalised)(np.array([[1.0, 2.0], [0.0, 0.0]])))
    assert message.startswith("divide: the forward pass produced NaN from inputs without NaN")
    assert "`return v / v.sum()`" in message
    assert "cause: 0 / 0 is NaN" in message


def test_inside_vmap_a_nan_no_recorded_op_made_names_the_example():
    def off_the_tape(v):
        return np.asarray(v.data if isinstance(v, ad.Tensor) else v) / 0.0 * 0.0
    message = _report(lambda: ad.vmap(off_the_tape)(np.array([[1.0], [2.0]])))
    assert message.startswith("vmap(off_the_tape): example 0 returned NaN from inputs "
                              "without NaN. No recorded op made it")


def test_vmap_of_finite_examples_is_unchanged_under_detect_anomaly():
    x = np.array([[1.0, 2.0], [3.0, 1.0]])
    with ad.detect_anomaly():
        watched = ad.vmap(_normalised)(x)
    assert type(watched) is np.ndarray
    np.testing.assert_array_equal(watched, ad.vmap(_normalised)(x))
    with ad.detect_anomaly():                # a NaN fed in is not this function's doing
        fed = ad.vmap(_normalised)(np.array([[np.nan, 1.0]]))
    assert np.isnan(fed).all()


# ----------------------------------------------------------------------------------
# NaNs where students meet them: the op, the user's line and the cause
# ----------------------------------------------------------------------------------
class _DividesByInput(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / x


def _log_of_a_saturated_softmax():
    logits = nn.Parameter(np.array([1000.0, 0.0]), name="logits")
    (torch.tensor([1.0, 0.0]) * torch.log(F.softmax(logits, -1))).sum().backward()


def _normalising_a_zero_vector():
    x = nn.Parameter(np.zeros(3), name="x")
    (x / x.norm()).sum().backward()


def _acos_of_a_unit_dot():
    q = nn.Parameter(np.array([0.6, 0.8]), name="q")
    torch.acos((q * q).sum().clamp(-1, 1)).backward()


def _where_over_a_log():
    x = nn.Parameter(np.array([0.0, 2.0]), name="x")
    torch.where(x > 0, torch.log(x), torch.zeros(2, dtype=torch.float64)).sum().backward()


def _a_fully_masked_softmax_row():
    s = nn.Parameter(np.array([[1.0, 2.0], [0.0, 0.0]]), name="s")
    s = s.masked_fill(torch.tensor([[False, False], [True, True]]), float("-inf"))
    F.softmax(s, -1).sum().backward()


def _a_custom_backward_dividing_by_zero():
    x = nn.Parameter(np.array([0.0, 1.0]), name="x")
    _DividesByInput.apply(x).sum().backward()


def _a_hook_returning_nan():
    x = nn.Parameter(np.array([0.0, 1.0]), name="x")
    h = x * 3
    h.register_hook(lambda g: g * np.nan)
    h.sum().backward()


def _sqrt_in_a_checkpointed_block():
    x = nn.Parameter(np.array([0.0, 1.0]), name="x")

    def block(v):
        return torch.sqrt(v) * 2
    torch.utils.checkpoint.checkpoint(block, x, use_reentrant=False).sum().backward()


def _sqrt_in_place():
    x = nn.Parameter(np.array([0.0, 1.0]), name="x")
    y = x * 1.0
    y.sqrt_()
    y.sum().backward()


def _hypot_at_the_origin_in_numpy():
    p = nn.Parameter(np.array([0.0, 0.0]), name="p")
    (np.arctan2(p[1], p[0]) + np.hypot(p[0], p[1])).backward()     # hypot's rule runs first


def _float32_zero_times_log_zero():
    x = nn.Parameter(np.float32([0.0, 1.0]), name="x")
    (torch.log(x) * torch.tensor(np.float32([0.0, 1.0]))).sum().backward()


def _zero_d_zero_over_zero():
    x = nn.Parameter(np.array(0.0), name="x")
    (x / x).backward()


def _sqrt_under_ad_grad():
    ad.grad(lambda v: torch.sqrt(v).sum())(np.array([0.0, 1.0]))


NANS = {
    # name: (program, start of the report, the user's line, the cause)
    "0 * log 0": (_log_of_a_saturated_softmax, "multiply: the forward pass produced NaN",
                  "torch.log(F.softmax(logits, -1))", "0 * inf is NaN"),
    "0 / 0 normalising": (_normalising_a_zero_vector, "divide: the forward pass produced NaN",
                          "(x / x.norm()).sum()", "0 / 0 is NaN"),
    "acos at 1": (_acos_of_a_unit_dot, "arccos: the backward pass produced inf",
                  "torch.acos((q * q)", "the derivative of arccos is infinite"),
    "where trap": (_where_over_a_log, "log: the backward pass produced NaN",
                   "torch.where(x > 0, torch.log(x)", "because `where`"),
    "masked softmax": (_a_fully_masked_softmax_row, "softmax: the forward pass produced NaN",
                       "F.softmax(s, -1)", "input x contains inf (made by where, created at "),
    "custom backward": (_a_custom_backward_dividing_by_zero,
                        "_DividesByInput: the backward pass produced inf",
                        "_DividesByInput.apply(x)", "infinite at these inputs"),
    "hook": (_a_hook_returning_nan, "register_hook: the hook <lambda> on the output of multiply "
             "returned NaN", "h = x * 3", "given [1, 1], returned [nan, nan]"),
    "checkpoint": (_sqrt_in_a_checkpointed_block, "sqrt: the backward pass produced inf",
                   "return torch.sqrt(v) * 2", "the derivative of sqrt is infinite"),
    "sqrt_": (_sqrt_in_place, "sqrt: the backward pass produced inf", "y.sqrt_()",
              "the derivative of sqrt is infinite"),
    "numpy hypot": (_hypot_at_the_origin_in_numpy, "hypot: the backward pass produced NaN",
                    "np.hypot(p[0], p[1])", "hypot: at a = b = 0 (a zero length"),
    "float32": (_float32_zero_times_log_zero, "multiply: the forward pass produced NaN",
                "torch.log(x) * torch.tensor", "0 * inf is NaN"),
    "0-d": (_zero_d_zero_over_zero, "divide: the forward pass produced NaN", "(x / x)",
            "0 / 0 is NaN"),
    "inside ad.grad": (_sqrt_under_ad_grad, "sqrt: the backward pass produced inf",
                       "torch.sqrt(v).sum()", "the derivative of sqrt is infinite"),
}


@pytest.mark.parametrize("name", list(NANS))
def test_the_report_names_the_op_the_line_and_the_cause(name):
    program, start, line, cause = NANS[name]
    message = _report(program)
    assert message.startswith(start), message
    created = message.splitlines()[1]
    assert created.startswith("  op created at ") and __file__.endswith(
        created.split(" at ", 1)[1].split(":")[0].split("/")[-1]), created
    assert line in created, created
    assert cause in message, message


# ----------------------------------------------------------------------------------
# missing data kept as NaN: a NaN gradient of NaN values is no anomaly unless it
# reaches a gradient that was asked for (before: raised on a finite, right gradient)
# ----------------------------------------------------------------------------------
_RAIN = np.array([2.0, np.nan, 5.0, np.nan])


def _runoff(p):
    recorded = ~np.isnan(_RAIN)
    rain = np.where(recorded, np.nan_to_num(_RAIN) * np.exp(0.1 * p), np.nan)
    return np.nansum(rain) + np.nanprod(1.0 - rain / (1.0 + rain))


def test_nan_kept_for_missing_data_and_skipped_is_no_anomaly():
    p = np.array([0.1, 0.2, -0.3, 0.4])
    expected = ad.grad(_runoff)(p)
    assert np.isfinite(expected).all() and expected[1] == expected[3] == 0
    with ad.detect_anomaly():
        watched = ad.grad(_runoff)(p)
        w = ad.tensor(p, requires_grad=True)
        _runoff(w).backward()
    np.testing.assert_array_equal(watched, expected)
    np.testing.assert_array_equal(w.grad, expected)


def test_nan_from_missing_data_that_reaches_a_gradient_is_still_reported():
    def program():
        w = ad.tensor(np.ones(4), requires_grad=True)
        (w * _RAIN).sum().backward()                  # the NaN days are not skipped
    message = _report(program)
    assert message.startswith("multiply: the backward pass produced NaN in the gradient for a")
    assert "cause: input b of multiply is already NaN at those positions" in message


def test_an_inf_fed_in_as_data_is_not_said_to_come_from_an_earlier_op():
    def program():
        s = ad.tensor([[-np.inf, -np.inf], [0.0, 1.0]], requires_grad=True)
        F.softmax(s, -1).sum().backward()
    message = _report(program)
    assert message.startswith("softmax: the forward pass produced NaN")
    assert ("cause: input x contains inf (fed in as data: a leaf or a constant, not made by "
            "a recorded op)") in message
    assert "earlier op" not in message
