"""``t.sum(())``: an empty dim given alone by position to a Tensor reduction method.
A Tensor method is PyTorch's spelling (``t.sum((), True)``, ``t.var((), True)`` and
``dim=()`` already read PyTorch's ``dim=()``), and PyTorch's ``t.sum(())`` reduces
every dim, where NumPy's ``a.sum(())`` reduces none; the library kept NumPy's reading
for the bare ``t.sum(())``, silently different from PyTorch.  Now the methods follow
PyTorch and warn (``ConventionWarning`` at the user's line) naming NumPy's reading and
the spellings without the warning (``t.sum()``, ``axis=()``); ``axis=()``, NumPy's
functions (``np.sum(t, ())``) and the package's (``ad.sum(t, ())``) keep NumPy's."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.conventions import ConventionWarning

X = np.array([[1.0, 2.0, 4.0], [3.0, -1.0, 0.5]])

REDUCE_ALL = [
    ("sum", lambda t, e: t.sum(e), lambda x: x.sum()),
    ("mean", lambda t, e: t.mean(e), lambda x: x.mean()),
    ("std", lambda t, e: t.std(e), lambda x: x.std()),
    ("var", lambda t, e: t.var(e), lambda x: x.var()),
    ("logsumexp", lambda t, e: t.logsumexp(e), lambda x: np.log(np.exp(x).sum())),
]


@pytest.mark.parametrize("empty", [(), []], ids=["tuple", "list"])
@pytest.mark.parametrize("name, call, expected", REDUCE_ALL, ids=[c[0] for c in REDUCE_ALL])
def test_an_empty_dim_alone_reduces_every_dim_and_warns_at_the_users_line(name, call,
                                                                          expected, empty):
    shown = re.escape(repr(empty))
    with pytest.warns(ConventionWarning,
                      match=rf"Tensor\.{name}\({shown}\) reduces every dim.*axis={shown}") as seen:
        result = call(ad.tensor(X), empty)
    assert any(w.filename == __file__ for w in seen
               if issubclass(w.category, ConventionWarning) and "every dim" in str(w.message))
    assert result.shape == ()
    np.testing.assert_allclose(np.asarray(result), expected(X), rtol=1e-13)


def test_the_gradient_follows_the_reduction():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConventionWarning)
        gradient = ad.grad(lambda t: t.mean(()))(X)
    np.testing.assert_allclose(gradient, np.full(X.shape, 1 / X.size))


def test_prod_refuses_an_empty_dim_as_pytorch_does():
    with pytest.raises(TypeError, match=r"prod: dim=\(\) .*takes one dim"):
        ad.tensor(X).prod(())


def test_marked_calls_take_pytorchs_reading_without_the_warning():
    t = ad.tensor(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert t.sum((), True).shape == (1, 1)
        assert t.mean((), keepdim=True).shape == (1, 1)
        np.testing.assert_allclose(np.asarray(t.std((), correction=1)), X.std(ddof=1))
        np.testing.assert_allclose(np.asarray(t.var((), True)), X.var(ddof=1))
        assert t.sum().shape == ()


def test_numpys_spellings_keep_numpys_reading_without_a_warning():
    t = ad.tensor(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for result in (t.sum(axis=()), t.mean(axis=()), np.sum(t, ()), np.sum(t, axis=()),
                       np.mean(t, ()), ad.sum(t, ()), t.std(axis=(), ddof=0)):
            assert result.shape == X.shape
        np.testing.assert_array_equal(np.asarray(np.sum(t, ())), X)


def test_the_warning_names_both_readings_and_the_way_out():
    with pytest.warns(ConventionWarning) as seen:
        ad.tensor(X).sum(())
    message = str(seen[0].message)
    assert "PyTorch's t.sum(())" in message and "NumPy's reading, axis=(), reduces none" \
        in message and "t.sum()" in message


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    calls = {"sum": lambda t: t.sum(()), "mean": lambda t: t.mean(()),
             "std": lambda t: t.std((), correction=1), "var": lambda t: t.var((), correction=1),
             "amax": lambda t: t.amax(()), "nansum": lambda t: t.nansum(())}
    for name, call in calls.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConventionWarning)
            ours = call(ad.tensor(X))
        theirs = call(torch.tensor(X))
        assert tuple(theirs.shape) == ours.shape, name
        # NumPy's and PyTorch's summation orders differ: a few ulps at most
        np.testing.assert_allclose(np.asarray(ours), theirs.numpy(), rtol=1e-13, err_msg=name)
