"""``np.nanvar``/``np.nanstd`` (and ``np.var`` with ``where=``) of a lane that has entries
but no degrees of freedom left (``0 < n <= ddof``): the value is NumPy's NaN, the
gradient 0 here where PyTorch's ``var`` of the same entries is inf or NaN, so a
``ConventionWarning`` names the user's line when the input is on the tape."""

import inspect
import warnings

import numpy as np
import pytest

import autodiff as ad

NAN = np.nan


def _lanes():
    # lane 0: two entries; lane 1: all NaN (nothing to differentiate); lane 2: three
    return np.array([[1.0, NAN, 3.0], [NAN, NAN, NAN], [1.0, 2.0, 4.0]])


def _convention_warnings(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    return result, [w for w in caught if issubclass(w.category, ad.ConventionWarning)]


@pytest.mark.parametrize("function", [np.nanvar, np.nanstd])
def test_warns_at_the_users_line_when_a_lane_has_no_dof(function):
    x = ad.tensor(_lanes(), requires_grad=True)
    line = None

    def call():
        nonlocal line
        line = inspect.currentframe().f_lineno + 1
        return function(x, axis=1, ddof=2)
    y, caught = _convention_warnings(call)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert function.__name__ in message and "1 lane(s)" in message and "ddof=2" in message
    assert "2 non-NaN entries" in message and "PyTorch" in message
    assert caught[0].filename == __file__ and caught[0].lineno == line
    assert np.isnan(y.data[0]) and np.isnan(y.data[1]) and np.isfinite(y.data[2])
    np.nansum(y).backward()
    assert np.all(x.grad[:2] == 0) and np.all(np.isfinite(x.grad[2]))


@pytest.mark.filterwarnings("ignore:Degrees of freedom")
def test_the_difference_the_warning_names_against_pytorch():
    torch = pytest.importorskip("torch")
    lane = _lanes()[0]
    x = ad.tensor(lane, requires_grad=True)
    with pytest.warns(ad.ConventionWarning):
        np.nanvar(x, ddof=2).backward()
    t = torch.tensor(lane, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t[~t.isnan()].var(correction=2).backward()
    kept = ~np.isnan(lane)
    assert np.all(x.grad[kept] == 0) and not np.any(np.isfinite(t.grad.numpy()[kept]))
    assert np.all(x.grad[~kept] == 0) and np.all(t.grad.numpy()[~kept] == 0)


def test_no_warning_where_the_gradient_agrees_or_none_is_taken():
    data = _lanes()
    cases = [
        lambda: np.nanvar(ad.tensor(data, requires_grad=True), axis=1, ddof=1),
        lambda: np.nanvar(ad.tensor(data), axis=1, ddof=2),           # not on the tape
        lambda: np.nanvar(ad.tensor(data[1:2], requires_grad=True), ddof=5),   # all NaN
        lambda: np.nanstd(ad.tensor(data[2], requires_grad=True), ddof=2),
    ]
    for case in cases:
        _, caught = _convention_warnings(case)
        assert caught == []
    with ad.no_grad():
        _, caught = _convention_warnings(
            lambda: np.nanvar(ad.tensor(data, requires_grad=True), axis=1, ddof=2))
    assert caught == []


def test_numpys_own_warning_and_values_are_kept():
    data = _lanes()
    x = ad.tensor(data, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = np.nanvar(x, axis=1, ddof=2)
        theirs = np.nanvar(data, axis=1, ddof=2)
    np.testing.assert_array_equal(ours.data, theirs)
    assert any("Degrees of freedom <= 0" in str(w.message) for w in caught)


@pytest.mark.parametrize("make", [
    lambda x: np.nanvar(x.astype(np.float16), axis=1, ddof=2),        # by the recipe
    lambda x: np.nanstd(x, axis=1, ddof=2, where=np.ones((3, 3), bool)),
    lambda x: np.var(x, axis=1, ddof=2, where=~np.isnan(x.data)),
])
def test_the_masked_recipe_warns_too(make):
    x = ad.tensor(_lanes(), requires_grad=True)
    y, caught = _convention_warnings(lambda: make(x))
    assert len(caught) == 1 and "no degrees of freedom" in str(caught[0].message)
    assert caught[0].filename == __file__
    y, caught = _convention_warnings(lambda: make(ad.tensor(_lanes())))
    assert caught == []


def test_gradients_of_lanes_with_dof_still_match_finite_differences():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(3, 5))
    data[0, 1] = NAN
    x = ad.tensor(data, requires_grad=True)
    (np.nanstd(x, axis=1, ddof=1) ** 2).sum().backward()
    eps = 1e-6
    numeric = np.zeros_like(data)
    for index in zip(*np.nonzero(~np.isnan(data))):
        up, down = data.copy(), data.copy()
        up[index] += eps
        down[index] -= eps
        numeric[index] = (np.sum(np.nanstd(up, axis=1, ddof=1) ** 2)
                          - np.sum(np.nanstd(down, axis=1, ddof=1) ** 2)) / (2 * eps)
    np.testing.assert_allclose(x.grad, numeric, rtol=1e-6, atol=1e-8)
