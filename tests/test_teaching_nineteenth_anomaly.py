"""``detect_anomaly`` on the last round's features, with a NaN or inf where students
meet one: ``scipy.special`` functions at the edge of their domain (``entr`` and
``rel_entr`` at 0 or below, ``gammainc`` of a negative x, ``xlog1py`` of y < -1,
``erfcx`` of a large negative x), a NaN fed to ``logcumsumexp``, and the overflow of
``exp`` and ``cosh`` in float16, float32 and float64.  Each report names the op, quotes
the user's line and gives the true cause.

Four said less than they knew, or said something false:
- an ``exp`` (``cosh``, ``erfcx`` ...) whose result overflowed made an infinite
  derivative that the report put down to "sqrt or log at 0, or division by 0"; it now
  says the result overflowed, with the dtype's largest value (65504 for float16);
- the advice for an overflow was "compute in a wider dtype" in float64 too, where NumPy
  has none wider: it now says so only below float64;
- a NaN made by ``gammainc`` or ``xlog1py`` outside their domain had no cause at all;
- the infinite slopes of ``entr`` and ``rel_entr`` were put down to "sqrt or log at 0":
  they now name their own ``log(x)`` and ``log(x / y)`` and where they are infinite.
"""

import os

import numpy as np
import pytest
import scipy.special as sc
from teaching_checks import anomaly_report as _report
from teaching_checks import check_anomaly_report

import autodiff as ad
from autodiff import nn


def _entr_at_zero():
    w = nn.Parameter(np.array([0.0, 0.5]), name="w")
    sc.entr(w).sum().backward()


def _torch_entr_at_zero():
    w = nn.Parameter(np.array([0.5, 0.0]), name="w")
    ad.special.entr(w).sum().backward()


def _rel_entr_below_zero():
    w = nn.Parameter(np.array([-0.5, 0.5]), name="w")
    sc.rel_entr(w, np.array([0.3, 0.3])).sum().backward()


def _gammainc_of_a_negative():
    w = nn.Parameter(np.array([-1.0, 0.5]), name="w")
    sc.gammainc(2.0, w).sum().backward()


def _xlog1py_below_minus_one():
    w = nn.Parameter(np.array([-1.0, 0.5]), name="w")
    sc.xlog1py(w, w - 1).sum().backward()


def _erfcx_of_a_large_negative():
    w = nn.Parameter(np.array([-30.0, 0.5]), name="w")
    sc.erfcx(w).sum().backward()


def _logcumsumexp_of_a_nan():
    w = nn.Parameter(np.array([0.0, np.nan, 1.0]), name="w")
    ad.logcumsumexp(w, 0).sum().backward()


def _exp_overflow(dtype, big):
    def program():
        w = nn.Parameter(np.array([1.0, big], dtype=dtype), name="w")
        ad.exp(w).sum().backward()
    return program


def _cosh_overflow():
    w = nn.Parameter(np.array([1.0, 100.0], dtype=np.float32), name="w")
    ad.cosh(w).sum().backward()


def _softmax_by_hand_float64():
    w = nn.Parameter(np.array([1.0, 800.0]), name="w")
    y = ad.exp(w)
    (y / y.sum()).sum().backward()


REPORTS = {
    # name: (program, start of the report, the user's line, the cause)
    "entr at 0": (
        _entr_at_zero, "scipy_entr: the backward pass produced inf",
        "sc.entr(w).sum().backward()",
        "cause: scipy_entr: its derivative holds log(x), which is -inf at x = 0"),
    "torch's entr at 0": (
        _torch_entr_at_zero, "entr: the backward pass produced inf",
        "ad.special.entr(w).sum().backward()",
        "cause: entr: its derivative holds log(x), which is -inf at x = 0"),
    "rel_entr below 0": (
        _rel_entr_below_zero, "scipy_rel_entr: the backward pass produced NaN",
        "sc.rel_entr(w, np.array([0.3, 0.3])).sum().backward()",
        "its derivative in x holds log(x / y), -inf at x = 0 and NaN where x / y < 0"),
    "gammainc of a negative x": (
        _gammainc_of_a_negative, "scipy_gammainc: the forward pass produced NaN",
        "sc.gammainc(2.0, w).sum().backward()",
        "cause: gammainc(a, x) is NaN for a < 0 or x < 0"),
    "xlog1py of y < -1": (
        _xlog1py_below_minus_one, "scipy_xlog1py: the forward pass produced NaN",
        "sc.xlog1py(w, w - 1).sum().backward()",
        "cause: xlog1py(x, y) = x log(1 + y) is NaN for y < -1"),
    "erfcx of a large negative": (
        _erfcx_of_a_large_negative, "scipy_erfcx: the backward pass produced inf",
        "sc.erfcx(w).sum().backward()",
        "cause: the result of scipy_erfcx overflowed to inf at those positions (float64 "
        "holds at most 1.79769e+308), so its derivative there is inf too; keep the "
        "argument smaller"),
    "logcumsumexp of a NaN": (
        _logcumsumexp_of_a_nan, "logcumsumexp: the backward pass produced NaN",
        "ad.logcumsumexp(w, 0).sum().backward()",
        "cause: input x of logcumsumexp is already NaN at those positions"),
    "exp overflow in float16": (
        _exp_overflow(np.float16, 12.0), "exp: the backward pass produced inf",
        "ad.exp(w).sum().backward()",
        "cause: the result of exp overflowed to inf at those positions (float16 holds at "
        "most 65504), so its derivative there is inf too; compute in a wider dtype or "
        "keep the argument smaller, e.g. logsumexp"),
    "exp overflow in float32": (
        _exp_overflow(np.float32, 100.0), "exp: the backward pass produced inf",
        "ad.exp(w).sum().backward()",
        "(float32 holds at most 3.40282e+38), so its derivative there is inf too; compute "
        "in a wider dtype"),
    "exp overflow in float64": (
        _exp_overflow(np.float64, 800.0), "exp: the backward pass produced inf",
        "ad.exp(w).sum().backward()",
        "(float64 holds at most 1.79769e+308), so its derivative there is inf too; keep "
        "the argument smaller, e.g. logsumexp instead of log(sum(exp(x)))"),
    "cosh overflow in float32": (
        _cosh_overflow, "cosh: the backward pass produced inf",
        "ad.cosh(w).sum().backward()",
        "the result of cosh overflowed to inf at those positions (float32 holds at most "
        "3.40282e+38)"),
    "softmax by hand in float64": (
        _softmax_by_hand_float64, "divide: the forward pass produced NaN",
        "(y / y.sum()).sum().backward()",
        "the inf in input a was made by exp (an overflow: float64 holds at most "
        "1.79769e+308; keep the argument smaller, e.g. logsumexp"),
}


@pytest.mark.parametrize("name", list(REPORTS))
def test_each_report_names_the_op_the_users_line_and_the_true_cause(name):
    program, start, line, cause = REPORTS[name]
    message = check_anomaly_report(program, start, line, cause)
    assert "sqrt or log at 0" not in message            # (the old, false, cause)
    assert f"{os.path.basename(__file__)}:" in message   # the user's file, not the library's


@pytest.mark.parametrize("dtype, largest", [(np.float16, 65504.0), (np.float32, 3.40282e38),
                                            (np.float64, 1.79769e308)])
def test_the_largest_value_the_report_gives_is_the_dtypes(dtype, largest):
    message = _report(_exp_overflow(dtype, {np.float16: 12.0, np.float32: 100.0,
                                            np.float64: 800.0}[dtype]))
    shown = float(message.split("holds at most ")[1].split(")")[0])
    assert shown == pytest.approx(float(np.finfo(dtype).max), rel=1e-5)
    assert shown == pytest.approx(largest, rel=1e-5)
    # below float64 a wider dtype exists and holds the value: the advice works
    big = {np.float16: 12.0, np.float32: 100.0, np.float64: 800.0}[dtype]
    assert ("wider dtype" in message) == (dtype != np.float64)
    if dtype != np.float64:
        assert np.isfinite(np.exp(np.float64(big)))


def test_a_finite_exp_in_float16_is_not_called_an_overflow():
    # exp(11) = 59874 < 65504: finite; the NaN comes from a log of 0 further on
    def program():
        w = nn.Parameter(np.array([11.0, 0.0], dtype=np.float16), name="w")
        ad.log(ad.exp(w) - 1).sum().backward()
    message = _report(program)
    assert message.startswith("log: the backward pass produced inf"), message
    assert "overflow" not in message


def test_the_leaf_holding_the_nan_is_named_for_logcumsumexp():
    message = _report(_logcumsumexp_of_a_nan)
    assert "leaves of this graph that hold NaN: 'w' (shape (3,), 1 of 3 entries NaN)" in message


def test_without_detect_anomaly_the_same_programs_give_the_values_scipy_gives():
    # the causes above are true: the values are SciPy's and NumPy's own
    with np.errstate(all="ignore"):
        assert np.isnan(sc.gammainc(2.0, -1.0)) and np.isnan(sc.xlog1py(-1.0, -2.0))
        assert sc.rel_entr(-0.5, 0.3) == np.inf and sc.entr(-0.5) == -np.inf
        assert sc.erfcx(-30.0) == np.inf and np.exp(np.float16(12.0)) == np.inf
        assert np.isfinite(np.exp(np.float16(11.0)))


@pytest.mark.parametrize("transform", ["grad", "vmap"])
def test_inside_grad_and_vmap_the_report_names_the_same_op_and_line(transform):
    def loss(w):
        return sc.entr(w).sum()                         # the line the report quotes

    values = np.array([0.0, 0.5])
    with pytest.raises(ad.AnomalyError) as info:
        with ad.detect_anomaly(), np.errstate(all="ignore"):
            if transform == "grad":
                ad.grad(loss)(values)
            else:
                ad.vmap(ad.grad(loss))(np.stack([values, values]))
    message = str(info.value)
    assert message.startswith("scipy_entr: the backward pass produced inf"), message
    assert "`return sc.entr(w).sum()" in message
    assert "its derivative holds log(x)" in message
