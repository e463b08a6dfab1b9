"""``matrix_exp``'s gradient through ``matrix_exp_frechet``: the Fréchet derivative
computed on n x n blocks equals the top right block of the 2n x 2n exponential it
replaces, for every Padé degree, with squarings, on triangular blocks and with NaN;
its own gradients (which ``matrix_exp``'s second order needs) against finite
differences; and ``matrix_exp``'s gradient of a larger matrix against PyTorch's.
"""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.ops.matrix_exp import expm_array
from autodiff.ops.matrix_exp_frechet import _matrix_exp_frechet as matrix_exp_frechet
from autodiff.ops.matrix_exp_frechet import expm_frechet_array


def _block_frechet(x, e):
    zeros = np.zeros_like(x)
    block = np.concatenate([np.concatenate([x, e], -1), np.concatenate([zeros, x], -1)], -2)
    return expm_array(block)[..., : x.shape[-1], x.shape[-1]:]


# 1-norms of the block from 0.005 (degree 3) to 1e3 (degree 13, ~9 squarings, each of
# which can double the relative difference between two roundings of the same sum)
@pytest.mark.parametrize("size, eps_allowed", [(0.005, 64), (0.1, 64), (0.6, 64), (1.5, 64),
                                               (4.0, 64), (30.0, 64), (1e3, 2048)])
@pytest.mark.parametrize("form", ["full", "upper", "lower"])
def test_equals_the_block_exponentials_corner(size, eps_allowed, form):
    rng = np.random.default_rng(int(size * 1000))
    n = 6
    x = rng.standard_normal((3, n, n)) * size / n
    e = rng.standard_normal((3, n, n)) * size / n
    x = {"full": x, "upper": np.triu(x), "lower": np.tril(x)}[form]
    expected = _block_frechet(x, e)
    got = expm_frechet_array(x, e)
    scale = np.abs(expected).max(axis=(-2, -1), keepdims=True)
    assert np.all(np.abs(got - expected) <= eps_allowed * np.finfo(float).eps * scale)


def test_each_matrix_of_a_batch_gets_its_own_squarings_and_nan_stays_in_its_matrix():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5, 5)) * np.array([0.01, 1.0, 40.0])[:, None, None]
    e = rng.standard_normal((3, 5, 5))
    together = expm_frechet_array(x, e)
    for i in range(3):
        np.testing.assert_allclose(together[i], expm_frechet_array(x[i], e[i]), rtol=1e-13,
                                   atol=1e-13 * np.abs(together[i]).max())
    e[1, 2, 3] = np.nan
    out = expm_frechet_array(x, e)
    assert np.isnan(out[1]).all() and np.isfinite(out[[0, 2]]).all()


def test_float32_in_float32_out():
    x = np.eye(3, dtype=np.float32)
    assert expm_frechet_array(x, x).dtype == np.float32


@pytest.mark.parametrize("size", [0.1, 3.0])
def test_its_gradients_match_finite_differences(size):
    rng = np.random.default_rng(2)
    x, e = rng.standard_normal((2, 1, 3, 3)) * size / 3
    assert ad.gradcheck(matrix_exp_frechet, [x, e], eps=1e-6, atol=1e-6, rtol=1e-4)
    assert ad.gradgradcheck(matrix_exp_frechet, [x, e], eps=1e-6, atol=1e-5, rtol=1e-3)


def test_gradient_of_a_larger_matrix_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    a = rng.standard_normal((2, 64, 64)) / 4
    weights = rng.standard_normal((2, 64, 64))
    x = ad.tensor(a, requires_grad=True)
    (ad.linalg.matrix_exp(x) * weights).sum().backward()
    t = torch.tensor(a, requires_grad=True)
    (torch.linalg.matrix_exp(t) * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-10,
                               atol=1e-11 * np.abs(t.grad.numpy()).max())
