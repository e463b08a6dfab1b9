"""``detect_anomaly`` on the ops of the last round's features and of the round-20 programs,
with a NaN or inf where students meet one: a softmax written by hand whose ``exp``
overflows in float32 and in float16, ``np.float_power`` overflowing, the log of a
``linear_ramp`` pad reaching 0, ``ad.gradient`` over a zero spacing, the square root of
``t.max(other)`` at 0, the log of a ``topk(largest=False)`` of 0, a NaN in an
Embedding's given table, ``np.nan_to_num`` of a complex ``log(0)``, and a ``huber_loss``
over a zero median absolute deviation. Each report names the op and the user's line, and
its cause is the true one.

One said less than it knew: an inf that an ``exp`` (or ``cosh``, a power ...) made from
finite inputs was "made by exp"; it now says that was an overflow, with the largest
value of the dtype (65504 for float16) and what to do.  A power of a zero base is not
called an overflow (``0 ** -1`` divides by zero).  Inside ``ad.grad`` and ``ad.vmap``
the reports name the same op and line.
"""

import numpy as np
import pytest
from teaching_checks import anomaly_report as _report
from teaching_checks import check_anomaly_report

import autodiff as ad
import autodiff as torch            # written as PyTorch scripts are
import autodiff.nn.functional as F
from autodiff import nn


def _softmax_by_hand(dtype, big):
    def program():
        w = nn.Parameter(np.array([1.0, big], dtype=dtype), name="w")
        y = torch.exp(w)
        (y / y.sum()).sum().backward()
    return program


def _float_power_overflow():
    w = nn.Parameter(np.array([2.0, 1e200]), name="w")
    y = np.float_power(w, 2.0)
    (y / y.sum()).sum().backward()


def _log_of_a_ramp_to_zero():
    w = ad.tensor([1.0, 2.0], requires_grad=True, name="w")
    end = ad.tensor(0.0, requires_grad=True, name="end")
    np.log(np.pad(w, (2, 0), mode="linear_ramp", end_values=end)).sum().backward()


def _gradient_over_a_zero_spacing():
    u = ad.tensor([[1.0, 2.0, 4.0]], requires_grad=True, name="u")
    (du,) = ad.gradient(u, spacing=(ad.tensor([0.0, 0.0, 1.0]),), dim=1)
    du.sum().backward()


def _sqrt_of_max_other_at_zero():
    a = nn.Parameter(np.array([-1.0, 4.0]), name="a")
    torch.sqrt(a.max(torch.tensor([0.0, 0.0]))).sum().backward()


def _log_of_the_smallest():
    t = nn.Parameter(np.array([1.0, 0.0, 0.0, 2.0]), name="t")
    values, _ = t.topk(2, largest=False)
    torch.log(values).sum().backward()


def _embedding_of_a_nan_table():
    table = torch.tensor([[0.0, 1.0], [np.nan, 2.0]])
    emb = nn.Embedding(2, 2, _weight=table)
    head = nn.Linear(2, 1)
    head(emb(torch.tensor([0, 1]))).sum().backward()


def _nan_to_num_of_complex_log_zero():
    z = ad.tensor(np.array([0.0 + 0.0j, 1.0 + 1.0j]), requires_grad=True, name="z")
    np.abs(np.nan_to_num(np.log(z))).sum().backward()


def _huber_over_a_zero_deviation():
    torch.manual_seed(0)
    model = nn.Linear(1, 1)
    x = torch.tensor([[1.0], [1.0], [1.0]])
    r = model(x).squeeze(-1) - torch.tensor([1.0, 1.0, 1.0])
    mad = torch.median((r - torch.median(r)).abs()).detach()
    F.huber_loss(r / mad, torch.zeros_like(r)).backward()


NANS = {
    # name: (program, start of the report, the user's line, the cause)
    "float32 softmax by hand": (
        _softmax_by_hand(np.float32, 100.0), "divide: the forward pass produced NaN",
        "(y / y.sum()).sum().backward()",
        "cause: inf / inf is NaN; the inf in input a was made by exp (an overflow: float32 "
        "holds at most 3.40282e+38;"),
    "float16 softmax by hand": (
        _softmax_by_hand(np.float16, 12.0), "divide: the forward pass produced NaN",
        "(y / y.sum()).sum().backward()",
        "the inf in input a was made by exp (an overflow: float16 holds at most 65504; "
        "compute in a wider dtype or keep the argument smaller, e.g. logsumexp"),
    "float_power overflow": (
        _float_power_overflow, "divide: the forward pass produced NaN",
        "(y / y.sum()).sum().backward()",
        "the inf in input a was made by float_power (an overflow: float64 holds at most "
        "1.79769e+308; keep the argument smaller, or rescale"),
    "log of a linear_ramp to 0": (
        _log_of_a_ramp_to_zero, "log: the backward pass produced inf",
        'np.log(np.pad(w, (2, 0), mode="linear_ramp", end_values=end))',
        "the derivative of log is infinite"),
    "gradient over a zero spacing": (
        _gradient_over_a_zero_spacing, "add: the forward pass produced NaN",
        "(du,) = ad.gradient(u, spacing=(ad.tensor([0.0, 0.0, 1.0]),), dim=1)",
        "cause: inf - inf is NaN; the inf in input a was made by multiply, created at "),
    "sqrt of max(other) at 0": (
        _sqrt_of_max_other_at_zero, "sqrt: the backward pass produced inf",
        "torch.sqrt(a.max(torch.tensor([0.0, 0.0]))).sum().backward()",
        "the derivative of sqrt is infinite"),
    "log of topk(largest=False) of 0": (
        _log_of_the_smallest, "log: the backward pass produced inf",
        "torch.log(values).sum().backward()", "the derivative of log is infinite"),
    "complex nan_to_num of log 0": (
        _nan_to_num_of_complex_log_zero, "log: the backward pass produced NaN",
        "np.abs(np.nan_to_num(np.log(z))).sum().backward()",
        "the upstream gradient here is 0 (sent by nan_to_num, created at "),
    "huber over a zero deviation": (
        _huber_over_a_zero_deviation, "multiply: the backward pass produced NaN",
        "F.huber_loss(r / mad, torch.zeros_like(r)).backward()",
        "the upstream gradient here is 0 because `where` (created at "),
}


@pytest.mark.parametrize("name", list(NANS))
def test_the_report_names_the_op_the_line_and_the_true_cause(name):
    check_anomaly_report(*NANS[name])


def test_an_exp_that_overflows_float16_says_so_and_what_float16_holds():
    message = _report(_softmax_by_hand(np.float16, 12.0))
    assert "65504" in message and "created at " in message
    # float64 holds exp(12): the same program is finite and raises nothing
    with ad.detect_anomaly():
        _softmax_by_hand(np.float64, 12.0)()


def test_a_power_of_a_zero_base_is_not_called_an_overflow():
    def program():
        w = nn.Parameter(np.array([0.0, 1.0]), name="w")
        p = torch.pow(w, -1.0)                 # 1 / 0: a division, not an overflow
        (p - p).sum().backward()
    message = _report(program)
    assert "the inf in input a was made by power, created at " in message, message
    assert "overflow" not in message


def test_a_nan_in_an_embeddings_given_table_is_traced_to_its_leaf():
    message = _report(_embedding_of_a_nan_table)
    assert message.startswith("matmul: the backward pass produced NaN"), message
    assert "head(emb(torch.tensor([0, 1])))" in message, message
    assert "leaves of this graph that hold NaN: 'weight' (shape (2, 2), 1 of 4 entries " \
           "NaN)" in message, message


# ----------------------------------------------------------------------------------
# inside function transforms the report names the same op and the user's line
# ----------------------------------------------------------------------------------
def _exp_then_normalise(w):
    y = np.exp(w)
    return (y / y.sum()).sum()


def test_inside_grad_the_overflow_is_named_at_the_users_line():
    with pytest.raises(ad.AnomalyError) as info:
        with ad.detect_anomaly(), np.errstate(all="ignore"):
            ad.grad(_exp_then_normalise)(np.array([1.0, 12.0], dtype=np.float16))
    message = str(info.value)
    assert message.startswith("divide: the forward pass produced NaN"), message
    assert "`return (y / y.sum()).sum()`" in message
    assert "made by exp (an overflow: float16 holds at most 65504" in message


def test_inside_vmap_the_overflow_is_named_at_the_users_line():
    rows = np.array([[1.0, 2.0], [1.0, 100.0]], dtype=np.float32)
    with pytest.raises(ad.AnomalyError) as info:
        with ad.detect_anomaly(), np.errstate(all="ignore"):
            ad.vmap(_exp_then_normalise)(rows)
    message = str(info.value)
    assert "divide" in message and "`return (y / y.sum()).sum()`" in message, message
