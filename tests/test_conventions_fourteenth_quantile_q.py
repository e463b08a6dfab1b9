"""``quantile``/``percentile`` differentiated in ``q``, against ``torch.quantile``.

Between sorted entries both give the slope of the blend, ``(above - below) * dv/dq``.
At a ``q`` whose virtual index is a whole number the quantile is a sorted entry, a
kink of the piecewise-linear function of ``q``: here the slope toward the next entry
(one-sided, NumPy's neighbours), where PyTorch blends the entry with itself and gives
0, which is neither slope; an ``ad.ConventionWarning`` says so at the user's line.  At
``q`` clamped to an end (``q = 1``) both give 0, the result on the tape.  The methods
that step in ``q`` (``lower``, ``nearest``, ...) give no gradient in ``q``, as PyTorch's."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad

HERE = __file__
VALUES = np.array([8.0, 1.0, 16.0, 2.0, 4.0])          # sorted: 1, 2, 4, 8, 16
SORTED = np.sort(VALUES)


def _ours(qv, function=ad.quantile, **options):
    q = ad.tensor(qv, requires_grad=True)
    result = function(ad.tensor(VALUES), q, **options)
    result.sum().backward()
    return result, q.grad


def _theirs(qv, **options):
    torch = pytest.importorskip("torch")
    q = torch.tensor(qv, dtype=torch.float64, requires_grad=True)
    result = torch.quantile(torch.tensor(VALUES), q, **options)
    if not result.requires_grad:
        return result.numpy(), None
    result.sum().backward()
    return result.detach().numpy(), q.grad.numpy()


def _quietly(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ad.ConventionWarning)
        return function(*args, **kwargs)


@pytest.mark.parametrize("qv", [0.1, 0.3, 0.6, 0.99, [0.15, 0.85]])
def test_between_entries_the_gradient_in_q_is_torchs(qv):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.ConventionWarning)
        result, grad = _ours(qv)
    theirs, theirs_grad = _theirs(qv)
    np.testing.assert_allclose(result.data, theirs, rtol=1e-15)
    np.testing.assert_allclose(grad, theirs_grad, rtol=1e-13)


@pytest.mark.parametrize("qv, entry", [(0.0, 0), (0.25, 1), (0.5, 2), (0.75, 3)])
def test_at_a_whole_index_the_slope_toward_the_next_entry_and_a_warning(qv, entry):
    with pytest.warns(ad.ConventionWarning,
                      match=rf"quantile: q={qv:g} \(sorted entry {entry} of 5\).*"
                            r"torch\.quantile's is 0") as caught:
        result, grad = _ours(qv)
    assert [w.filename for w in caught] == [HERE]
    theirs, theirs_grad = _theirs(qv)
    np.testing.assert_allclose(result.data, theirs, rtol=1e-15)
    assert theirs_grad == 0.0                                  # PyTorch's
    right_slope = (SORTED[entry + 1] - SORTED[entry]) * (len(SORTED) - 1)
    assert grad == right_slope
    # the one-sided difference quotient from the right is that slope (piecewise linear)
    step = 1e-3
    quotient = (np.quantile(VALUES, qv + step) - np.quantile(VALUES, qv)) / step
    np.testing.assert_allclose(grad, quotient, rtol=1e-9)


def test_percentile_warns_naming_q_in_percent():
    with pytest.warns(ad.ConventionWarning, match=r"percentile: q=50 \(sorted entry 2"):
        _, grad = _ours(50.0, np.percentile)
    assert grad == (SORTED[3] - SORTED[2]) * 4 / 100


def test_forward_mode_takes_the_same_slope_and_warns():
    with pytest.warns(ad.ConventionWarning, match="sorted entry 2 of 5"):
        _, tangent = ad.jvp(lambda q: np.quantile(ad.tensor(VALUES), q), (np.array(0.5),),
                            (np.array(1.0),))
    assert tangent == (SORTED[3] - SORTED[2]) * 4


def test_no_warning_without_a_gradient_in_q():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.ConventionWarning)
        np.quantile(ad.tensor(VALUES, requires_grad=True), 0.5).backward()
        np.quantile(ad.tensor(VALUES), ad.tensor(0.5))
        with ad.no_grad():
            np.quantile(ad.tensor(VALUES), ad.tensor(0.5, requires_grad=True))


@pytest.mark.parametrize("qv", [1.0, [0.3, 1.0]])
def test_q_clamped_to_the_end_has_gradient_zero_on_the_tape_as_torch(qv):
    result, grad = _ours(qv)
    theirs, theirs_grad = _theirs(qv)
    assert result.requires_grad
    np.testing.assert_allclose(result.data, theirs, rtol=1e-15)
    np.testing.assert_allclose(grad, theirs_grad, rtol=1e-13)
    assert np.ravel(grad)[-1] == 0.0


def test_q_clamped_in_torchs_spelling_too():
    q = ad.tensor(1.0, requires_grad=True)
    result = ad.tensor(VALUES).quantile(q, dim=0)
    result.backward()
    assert q.grad == 0.0 and result.item() == 16.0


@pytest.mark.parametrize("interpolation", ["lower", "higher", "midpoint", "nearest"])
def test_methods_that_step_in_q_give_no_gradient_in_q_as_torch(interpolation):
    q = ad.tensor(0.6, requires_grad=True)
    result = ad.quantile(ad.tensor(VALUES), q, dim=0, interpolation=interpolation)
    theirs, theirs_grad = _theirs(0.6, interpolation=interpolation)
    np.testing.assert_allclose(result.data, theirs, rtol=1e-15)
    assert theirs_grad is None and not result.requires_grad


def test_the_whole_index_convention_is_in_the_docstring_and_readme():
    from pathlib import Path

    from autodiff.ops import quantiles
    module_doc = " ".join(quantiles.__doc__.split())
    assert "where ``torch.quantile`` gives 0, and a ``ConventionWarning`` says so" in module_doc
    readme = " ".join((Path(__file__).parent.parent / "README.md").read_text().split())
    assert "where `torch.quantile` gives 0, and an `ad.ConventionWarning`" in readme


def test_a_learned_quantile_level_moves_off_a_whole_index():
    # a level started at q = 0.5 (a whole index of 5 entries): the right slope moves
    # it, where PyTorch's 0 would leave it there
    q = ad.tensor(0.5, requires_grad=True)
    target = 6.0
    for _ in range(3):
        loss = (_quietly(np.quantile, ad.tensor(VALUES), q) - target) ** 2
        loss.backward()
        with ad.no_grad():
            q -= 0.001 * q.grad
        q.grad = None
    assert 0.5 < q.item() < 0.75
