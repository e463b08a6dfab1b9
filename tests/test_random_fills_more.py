"""The in-place fills ``cauchy_``, ``log_normal_``, ``geometric_`` and the method
``Tensor.bernoulli``: their distributions against the formulas and PyTorch's samples
(the numbers themselves differ: another bit generator), and their refusals against
PyTorch's."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autodiff as ad

N = 200_000
QUANTILES = np.array([0.1, 0.25, 0.5, 0.75, 0.9])


def _torch_sample(fill):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    return fill(torch.zeros(N, dtype=torch.float64)).numpy()


def test_cauchy_quantiles_match_the_formula_and_pytorch():
    ours = ad.zeros(N).cauchy_(2.0, 0.5, rng=0).data
    exact = 2.0 + 0.5 * np.tan(np.pi * (QUANTILES - 0.5))
    np.testing.assert_allclose(np.quantile(ours, QUANTILES), exact, atol=0.02)
    theirs = _torch_sample(lambda t: t.cauchy_(2.0, 0.5))
    np.testing.assert_allclose(np.quantile(ours, QUANTILES), np.quantile(theirs, QUANTILES),
                               atol=0.03)


def test_log_normal_moments_match_the_formula_and_pytorch():
    ours = ad.zeros(N).log_normal_(0.5, 0.3, rng=1).data
    mean = math.exp(0.5 + 0.3 ** 2 / 2)
    assert abs(ours.mean() / mean - 1) < 0.005
    np.testing.assert_allclose(np.log(ours).std(), 0.3, rtol=0.01)
    theirs = _torch_sample(lambda t: t.log_normal_(0.5, 0.3))
    assert abs(ours.mean() / theirs.mean() - 1) < 0.01
    np.testing.assert_allclose(np.quantile(ours, QUANTILES), np.quantile(theirs, QUANTILES),
                               rtol=0.01)
    default = ad.zeros(N).log_normal_(rng=2).data         # PyTorch's defaults: 1 and 2
    np.testing.assert_allclose(np.median(np.log(default)), 1.0, atol=0.02)
    np.testing.assert_allclose(np.log(default).std(), 2.0, rtol=0.01)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32])
def test_geometric_counts_trials_as_pytorch(dtype):
    torch = pytest.importorskip("torch")
    ours = ad.zeros(N, dtype=dtype).geometric_(0.3, rng=3)
    assert ours.dtype == dtype and ours.data.min() == 1
    theirs = _torch_sample(lambda t: t.geometric_(0.3))
    assert theirs.min() == 1
    for k in range(1, 6):                    # P(X = k) = (1 - p)**(k - 1) p
        exact = 0.7 ** (k - 1) * 0.3
        assert abs(np.mean(ours.data == k) - exact) < 0.005
        assert abs(np.mean(ours.data == k) - np.mean(theirs == k)) < 0.006
    t = torch.zeros(3, dtype=getattr(torch, np.dtype(dtype).name)).geometric_(0.3)
    assert str(t.dtype).endswith(np.dtype(dtype).name)


def test_geometric_refuses_counts_its_dtype_cannot_hold():
    with pytest.raises(ValueError, match=r"geometric_: drew \d+ trials, more than.*int8"):
        ad.zeros(1000, dtype=np.int8).geometric_(1e-4, rng=0)


@pytest.mark.parametrize("fill, message", [
    (lambda t: t.cauchy_(0.0, 0.0), "cauchy_: sigma must be > 0"),
    (lambda t: t.cauchy_(0.0, -1.0), "cauchy_: sigma must be > 0"),
    (lambda t: t.log_normal_(1.0, 0.0), "log_normal_: std must be > 0"),
    (lambda t: t.log_normal_(1.0, -1.0), "log_normal_: std must be > 0"),
    (lambda t: t.geometric_(0.0), r"geometric_: p must be in \(0, 1\)"),
    (lambda t: t.geometric_(1.0), r"geometric_: p must be in \(0, 1\)"),
    (lambda t: t.geometric_(1.5), r"geometric_: p must be in \(0, 1\)"),
])
def test_parameters_pytorch_refuses_are_refused(fill, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        fill(torch.zeros(3))
    with pytest.raises(ValueError, match=message):
        fill(ad.zeros(3))


@pytest.mark.parametrize("fill, dtype", [
    (lambda t: t.cauchy_(), "int64"), (lambda t: t.log_normal_(), "int64"),
    (lambda t: t.geometric_(0.5), "bool")])
def test_dtypes_pytorch_refuses_are_refused(fill, dtype):
    torch = pytest.importorskip("torch")
    with pytest.raises((RuntimeError, NotImplementedError)):
        fill(torch.zeros(3, dtype=getattr(torch, dtype)))
    with pytest.raises(TypeError, match=f"(cannot fill|holds {dtype})"):
        fill(ad.zeros(3, dtype=dtype))


def test_fills_write_in_place_and_refuse_a_leaf_that_requires_grad():
    t = ad.zeros(4)
    assert t.cauchy_(rng=0) is t and t.log_normal_(rng=0) is t and t.geometric_(0.5, rng=0) is t
    w = ad.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError):
        w.log_normal_(rng=0)
    with ad.no_grad():
        w.log_normal_(rng=0)
    assert (w.data > 0).all()


def test_tensor_bernoulli_is_the_function_bernoulli():
    torch = pytest.importorskip("torch")
    p = ad.tensor([0.0, 0.25, 1.0] * 1000)
    np.testing.assert_array_equal(p.bernoulli(rng=4).data, ad.bernoulli(p, rng=4).data)
    np.testing.assert_array_equal(p.bernoulli(0.5, rng=4).data, ad.bernoulli(p, 0.5, rng=4).data)
    drawn = p.bernoulli(rng=5)
    assert drawn.dtype == np.float64 and not drawn.requires_grad
    assert (drawn.data[0::3] == 0).all() and (drawn.data[2::3] == 1).all()
    assert torch.tensor(p.data).bernoulli().dtype == torch.float64
    with pytest.raises(TypeError, match="bernoulli: the input must be floating-point"):
        ad.tensor([1, 0]).bernoulli()
    with pytest.raises(NotImplementedError):
        torch.tensor([1, 0]).bernoulli()
