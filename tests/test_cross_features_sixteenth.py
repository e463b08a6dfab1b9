"""The sixteenth round's features with the machinery they are used with: PyTorch's
``dim=()`` in its positional spellings (``t.sum((), True)``) and under the transforms
and ``ad.compile``, and ``state_dict()``'s ``StateArray`` values through copying,
pickling, saving and the transforms."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad

X = np.random.default_rng(16).normal(size=(2, 3))
BATCH = np.random.default_rng(17).normal(size=(4, 2, 3))


# ----- PyTorch's dim=() given by position ------------------------------------------------

# Each call (lib: ad, or torch) is PyTorch's (a keepdim or unbiased after the dim, or
# keepdim=), so its empty dim is PyTorch's dim=(): every dim, where NumPy's axis=()
# reduces nothing.
POSITIONAL_EMPTY_DIM = [
    ("t.sum((), True)", lambda lib, t: t.sum((), True), np.sum(X, keepdims=True)),
    ("t.sum([], keepdim=True)", lambda lib, t: t.sum([], keepdim=True), np.sum(X, keepdims=True)),
    ("t.mean((), keepdim=False)", lambda lib, t: t.mean((), keepdim=False), np.mean(X)),
    ("ad.sum(t, (), True)", lambda lib, t: lib.sum(t, (), True), np.sum(X, keepdims=True)),
    ("ad.mean(t, [], keepdim=True)", lambda lib, t: lib.mean(t, [], keepdim=True),
     np.mean(X, keepdims=True)),
    ("ad.sum(t, [], keepdim=False)", lambda lib, t: lib.sum(t, [], keepdim=False), np.sum(X)),
    ("ad.nansum(t, (), True)", lambda lib, t: lib.nansum(t, (), True), np.sum(X, keepdims=True)),
    ("ad.nanmean(t, [], True)", lambda lib, t: lib.nanmean(t, [], True),
     np.mean(X, keepdims=True)),
    ("t.var((), True)", lambda lib, t: t.var((), True), np.var(X, ddof=1)),
    ("t.std([], True, True)", lambda lib, t: t.std([], True, True),
     np.std(X, ddof=1, keepdims=True)),
    ("ad.var(t, (), True)", lambda lib, t: lib.var(t, (), True), np.var(X, ddof=1)),
    ("t.std((), correction=0)", lambda lib, t: t.std((), correction=0), np.std(X)),
    ("ad.amax(t, (), True)", lambda lib, t: lib.amax(t, (), True), np.amax(X, keepdims=True)),
    ("ad.amin(t, [], True)", lambda lib, t: lib.amin(t, [], True), np.amin(X, keepdims=True)),
    ("ad.any(t, [], True)", lambda lib, t: lib.any(t, [], True), X != 0),
    ("ad.all(t, (), True)", lambda lib, t: lib.all(t, (), True), X != 0),
    ("t.logsumexp((), True)", lambda lib, t: t.logsumexp((), True),
     np.log(np.exp(X).sum(keepdims=True))),
]


@pytest.mark.parametrize("spelling, call, expected", POSITIONAL_EMPTY_DIM,
                         ids=[case[0] for case in POSITIONAL_EMPTY_DIM])
def test_an_empty_dim_by_position_in_pytorchs_spelling_reduces_every_dim(spelling, call,
                                                                         expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = call(ad, ad.tensor(X))
    assert result.shape == expected.shape, spelling
    np.testing.assert_allclose(np.asarray(result), expected, rtol=1e-12)


@pytest.mark.parametrize("spelling, call, expected", POSITIONAL_EMPTY_DIM,
                         ids=[case[0] for case in POSITIONAL_EMPTY_DIM])
def test_an_empty_dim_by_position_matches_pytorch(spelling, call, expected):
    torch = pytest.importorskip("torch")
    theirs = call(torch, torch.tensor(X))       # the same call, torch for ad
    ours = call(ad, ad.tensor(X))
    assert tuple(theirs.shape) == ours.shape, spelling
    np.testing.assert_allclose(np.asarray(ours), theirs.numpy(), rtol=1e-12)


def test_numpys_empty_axis_by_position_still_reduces_nothing():
    t = ad.tensor(X)
    np.testing.assert_array_equal(np.asarray(t.sum(())), X)
    np.testing.assert_array_equal(np.asarray(ad.sum(t, (), keepdims=True)), X)
    np.testing.assert_array_equal(np.asarray(np.sum(t, ())), X)
    np.testing.assert_array_equal(np.asarray(ad.nansum(t, (), keepdims=True)), X)


def test_a_positional_empty_dim_with_keepdim_under_grad_vmap_and_compile():
    def loss(t):
        return (t.sum((), True) ** 2).sum() + ad.mean(t, [], keepdim=True).sum()
    expected_grad = 2 * X.sum() + 1 / X.size
    np.testing.assert_allclose(ad.grad(loss)(ad.tensor(X)), np.full(X.shape, expected_grad))
    batched = ad.vmap(ad.grad(loss))(ad.tensor(BATCH))
    np.testing.assert_allclose(batched[2], np.full(X.shape, 2 * BATCH[2].sum() + 1 / X.size))
    compiled = ad.compile(loss)
    for sample in BATCH[:3]:
        np.testing.assert_allclose(np.asarray(compiled(ad.tensor(sample))),
                                   np.asarray(loss(ad.tensor(sample))), rtol=1e-12)
    hess = ad.hessian(loss)(ad.tensor(X))
    np.testing.assert_allclose(hess, np.full(X.shape * 2, 2.0), rtol=1e-12)
