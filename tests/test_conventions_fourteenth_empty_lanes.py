"""Lanes with nothing in them: ``nanmean``/``nanvar``/``nanstd`` over an all-NaN lane and
``logcumsumexp``/``logsumexp`` while a lane is only ``-inf``.  The values are NumPy's
and PyTorch's (NaN with NumPy's warning; ``-inf``); the gradient there is 0 where
PyTorch's is NaN (its 0 / 0), the library's documented convention: NaN is read as
missing and ``-inf`` as log 0, terms that are not there, and a zero gradient keeps
the other entries' gradients finite.  Each test states PyTorch's value beside ours,
and that the difference is written where users look (docstrings, docs/ops.md)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.ops.numpy_more import nanvar

HERE = __file__
ALL_NAN_ROW = np.array([[np.nan, np.nan, np.nan], [1.0, np.nan, 4.0], [0.5, 2.0, 3.5]])
WEIGHTS = np.array([0.7, -1.3, 2.0])
LEADING_NEG_INF = np.array([-np.inf, -np.inf, 0.3, -1.2, 2.0])


def _torch():
    return pytest.importorskip("torch")


def _nanmean_gradient(make):
    x = ad.tensor(ALL_NAN_ROW, requires_grad=True)
    with pytest.warns(RuntimeWarning, match="Mean of empty slice"):
        y = make(x)
    (y * ad.tensor(WEIGHTS)).nansum().backward()
    return y, x.grad


@pytest.mark.parametrize("make", [lambda x: np.nanmean(x, axis=1),
                                  lambda x: ad.nanmean(x, dim=1),
                                  lambda x: x.nanmean(1)],
                         ids=["np.nanmean", "ad.nanmean", "Tensor.nanmean"])
def test_nanmean_of_an_all_nan_lane_is_nan_with_zero_gradient_where_torchs_is_nan(make):
    torch = _torch()
    y, grad = _nanmean_gradient(make)
    theirs_input = torch.tensor(ALL_NAN_ROW, requires_grad=True)
    theirs = torch.nanmean(theirs_input, dim=1)
    (theirs * torch.tensor(WEIGHTS)).nansum().backward()
    np.testing.assert_array_equal(y.data, theirs.detach().numpy())      # NaN, 2.5, 2.0
    # the lanes with values: PyTorch's gradient (NaN entries 0, the others w / count)
    np.testing.assert_allclose(grad[1:], theirs_input.grad.numpy()[1:], rtol=1e-15)
    # the all-NaN lane: PyTorch's 0 / 0 is NaN, ours 0 (documented)
    assert np.isnan(theirs_input.grad.numpy()[0]).all()
    np.testing.assert_array_equal(grad[0], 0.0)


def test_a_masked_loss_over_nanmean_keeps_finite_gradients():
    # the use the convention is for: lanes of missing data, dropped after the mean
    x = ad.tensor(ALL_NAN_ROW * 2.0, requires_grad=True)
    with pytest.warns(RuntimeWarning, match="Mean of empty slice"):
        means = np.nanmean(x, axis=1)
    loss = ad.where(ad.isnan(means), 0.0, means).sum()
    loss.backward()
    assert np.isfinite(x.grad).all()
    np.testing.assert_array_equal(x.grad, [[0, 0, 0], [0.5, 0, 0.5], [1 / 3] * 3])


@pytest.mark.parametrize("name", ["nanvar", "nanstd"])
def test_nanvar_nanstd_of_an_all_nan_lane_pass_zero_gradient(name):
    x = ad.tensor(ALL_NAN_ROW, requires_grad=True)
    with pytest.warns(RuntimeWarning, match="Degrees of freedom <= 0"):
        y = getattr(np, name)(x, axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = getattr(np, name)(ALL_NAN_ROW, axis=1)
    np.testing.assert_array_equal(y.data, expected)
    (y * ad.tensor(WEIGHTS)).nansum().backward()
    np.testing.assert_array_equal(x.grad[0], 0.0)
    # the other lanes: the variance of their values, checked by central differences
    values = np.array([1.0, 4.0])
    step = 1e-6
    for k, j in enumerate([0, 2]):
        bumped = [values.copy(), values.copy()]
        bumped[0][k] += step
        bumped[1][k] -= step
        slope = (getattr(np, name[3:])(bumped[0]) - getattr(np, name[3:])(bumped[1])) / (
            2 * step)
        np.testing.assert_allclose(x.grad[1, j], WEIGHTS[1] * slope, rtol=1e-7)
    assert x.grad[1, 1] == 0.0


def _logcumsumexp_both(torch, values, weights):
    ours_input = ad.tensor(values, requires_grad=True)
    if values[0] == -np.inf:
        with pytest.warns(ad.ConventionWarning,
                          match=r"logcumsumexp: 1 lane\(s\) .* start with -inf.*gradient "
                                r"0 here .*PyTorch's gradient is NaN") as caught:
            ours = ad.logcumsumexp(ours_input, 0)
        assert [w.filename for w in caught] == [HERE]
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ad.ConventionWarning)
            ours = ad.logcumsumexp(ours_input, 0)
    (ours * ad.tensor(weights)).sum().backward()
    theirs_input = torch.tensor(values, requires_grad=True)
    theirs = torch.logcumsumexp(theirs_input, 0)
    (theirs * torch.tensor(weights)).sum().backward()
    return ours, ours_input.grad, theirs.detach().numpy(), theirs_input.grad.numpy()


def test_logcumsumexp_with_leading_neg_inf_has_zero_gradient_there_where_torchs_is_nan():
    torch = _torch()
    weights = np.array([0.5, 1.0, 1.5, 2.0, 0.25])     # (a loss of -inf, not -inf + inf)
    ours, grad, theirs, theirs_grad = _logcumsumexp_both(torch, LEADING_NEG_INF, weights)
    np.testing.assert_allclose(ours.data, theirs, rtol=1e-15)          # -inf, -inf, ...
    assert np.isnan(theirs_grad[:2]).all()                              # PyTorch's 0 / 0
    np.testing.assert_array_equal(grad[:2], 0.0)
    np.testing.assert_allclose(grad[2:], theirs_grad[2:], rtol=1e-13)


def test_logcumsumexp_of_a_lane_of_only_neg_inf():
    torch = _torch()
    ours, grad, theirs, theirs_grad = _logcumsumexp_both(
        torch, np.full(3, -np.inf), np.ones(3))
    np.testing.assert_array_equal(ours.data, theirs)
    assert np.isnan(theirs_grad).all()
    np.testing.assert_array_equal(grad, 0.0)


def test_logcumsumexp_without_neg_inf_matches_torch_to_second_order():
    torch = _torch()
    values = LEADING_NEG_INF.copy()
    values[:2] = [-3.0, 1.0]
    weights = np.array([0.5, -1.0, 1.5, 2.0, -0.25])
    _, grad, _, theirs_grad = _logcumsumexp_both(torch, values, weights)
    np.testing.assert_allclose(grad, theirs_grad, rtol=1e-13)
    assert ad.gradcheck(lambda t: (ad.logcumsumexp(t, 0) * weights).sum(), [values])
    assert ad.gradgradcheck(lambda t: (ad.logcumsumexp(t, 0) * weights).sum(), [values])


@pytest.mark.parametrize("where, words", [
    (ad.nanmean, "torch.nanmean``'s gradient there is NaN"),
    (nanvar, "passes zero gradient"),
    (ad.logsumexp, "PyTorch's gradient is NaN"),
    (ad.logcumsumexp, "PyTorch's is NaN"),
    (ad.Tensor.logcumsumexp, "PyTorch's gradient is NaN"),
], ids=["nanmean", "nanvar", "logsumexp", "logcumsumexp", "Tensor.logcumsumexp"])
def test_the_difference_from_torch_is_in_the_docstring(where, words):
    function = getattr(where, "__wrapped__", where)
    doc = " ".join((function.__doc__ or where.__doc__).split())
    assert " ".join(words.split()) in doc


def test_the_difference_from_torch_is_in_docs_ops_md():
    from pathlib import Path
    table = (Path(__file__).parent.parent / "docs" / "ops.md").read_text()
    for name in ["logsumexp", "logaddexp_accumulate", "logaddexp_reduce"]:
        row = next(line for line in table.splitlines() if line.startswith(f"| `{name}` |"))
        assert "only -inf (PyTorch's is NaN)" in row


def test_logcumsumexp_warns_only_on_the_tape_and_in_grad_mode():
    values = ad.tensor(LEADING_NEG_INF)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.ConventionWarning)
        values.logcumsumexp(0)                                  # no gradient to differ
        with ad.no_grad():
            ad.tensor(LEADING_NEG_INF, requires_grad=True).logcumsumexp(0)
        np.logaddexp.accumulate(ad.tensor(LEADING_NEG_INF, requires_grad=True))  # NumPy's
    grid = ad.tensor(np.stack([LEADING_NEG_INF, LEADING_NEG_INF[::-1]]), requires_grad=True)
    with pytest.warns(ad.ConventionWarning, match=r"1 lane\(s\) of the tensor of shape "
                                                  r"\(2, 5\) start with -inf along dim 1"):
        grid.logcumsumexp(1)
    with pytest.warns(ad.ConventionWarning, match=r"2 lane\(s\) .* along dim 0"):
        grid.logcumsumexp(0)


@pytest.mark.parametrize("spelling", ["numpy", "torch"])
def test_logsumexp_of_a_lane_of_only_neg_inf_is_neg_inf_without_numpys_log_warning(spelling):
    values = np.array([[-np.inf, -np.inf], [0.0, 1.0]])
    x = ad.tensor(values, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # no "divide by zero in log"
        out = (ad.logsumexp(x, axis=1) if spelling == "numpy"
               else x.logsumexp(dim=1))
        out[1].backward()
    np.testing.assert_array_equal(out.data, [-np.inf, np.log(np.e + 1.0)])
    np.testing.assert_array_equal(x.grad[0], 0.0)
