"""np.histogramdd and np.histogram2d on Tensors (autodiff/ops/histograms_nd.py):
NumPy's values and dtypes exactly, the gradients of the edges, the weights and the
density against central differences to second order, errors and empty inputs."""

import itertools
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.gradcheck import gradcheck, gradgradcheck

RNG = np.random.default_rng(3)
SAMPLE = RNG.standard_normal((40, 3))
WEIGHTS = RNG.random(40)
BINS = [4, [2, 3, 5], [np.array([-3.0, -1.0, 0.0, 0.5, 3.0]), 3, 2]]
RANGES = [None, [(-1.0, 1.0), None, (0.0, 2.0)]]


def _same(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got.data, want)


@pytest.mark.parametrize("bins, range_, density, weighted, dtype", list(itertools.product(
    BINS, RANGES, [None, True], [False, True], [np.float64, np.float32])))
def test_histogramdd_is_numpys_exactly(bins, range_, density, weighted, dtype):
    sample = SAMPLE.astype(dtype)
    weights = WEIGHTS.astype(dtype) if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hist, edges = np.histogramdd(ad.tensor(sample, requires_grad=True), bins, range_,
                                     density, None if weights is None else
                                     ad.tensor(weights, requires_grad=True))
    want_hist, want_edges = np.histogramdd(sample, bins, range_, density, weights)
    _same(hist, want_hist)
    assert isinstance(edges, list) and len(edges) == len(want_edges)
    for got, want in zip(edges, want_edges):
        _same(got, want)


@pytest.mark.parametrize("bins", [5, [3, 4], np.array([-2.0, 0.0, 0.5, 2.0]),
                                  [np.array([-2.0, 0.0, 2.0]), 4]])
@pytest.mark.parametrize("density", [None, True])
def test_histogram2d_is_numpys_exactly(bins, density):
    x, y = SAMPLE[:, 0], SAMPLE[:, 1]
    got = np.histogram2d(ad.tensor(x), ad.tensor(y), bins, None, density, ad.tensor(WEIGHTS))
    want = np.histogram2d(x, y, bins, None, density, WEIGHTS)
    assert len(got) == 3
    for g, w in zip(got, want):
        _same(g, w)


@pytest.mark.parametrize("sample", [
    [SAMPLE[:, 0], SAMPLE[:, 1]],                 # a sequence of coordinates
    SAMPLE[:, 0],                                 # a 1-D array: points on a line
    np.array(2.0),                                # one point
    np.zeros((0, 2)),                             # no points
    np.ones((5, 2), dtype=np.int64),              # integers, all equal
])
def test_the_forms_of_sample_numpy_takes(sample):
    if isinstance(sample, list):
        ours = [ad.tensor(sample[0]), sample[1]]
    else:
        ours = ad.tensor(sample)
    hist, edges = np.histogramdd(ours, bins=3)
    want_hist, want_edges = np.histogramdd(sample, bins=3)
    _same(hist, want_hist)
    for got, want in zip(edges, want_edges):
        _same(got, want)


def test_no_points_with_weights_and_density():
    empty = ad.tensor(np.zeros((0, 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)        # 0 / 0, as NumPy's
        hist, _ = np.histogramdd(empty, bins=2, weights=ad.tensor(np.zeros(0)), density=True)
        want, _ = np.histogramdd(np.zeros((0, 2)), bins=2, weights=np.zeros(0), density=True)
    assert hist.dtype == want.dtype and hist.shape == want.shape
    np.testing.assert_array_equal(np.isnan(hist.data), np.isnan(want))


def test_counts_have_no_gradient_and_edges_follow_each_dimension():
    points = ad.tensor([[0.0, 5.0], [1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    hist, (x_edges, y_edges) = np.histogramdd(points, bins=2)
    assert not hist.requires_grad
    (x_edges.sum() + 10 * y_edges.sum()).backward()
    # x: the edges 0, 1.5, 3 move with x's min (row 0) and max (row 2), 1.5 each
    np.testing.assert_array_equal(points.grad, [[1.5, 15.0], [0.0, 15.0], [1.5, 0.0]])


def test_weighted_sums_pass_their_gradient_to_the_weights():
    weights = ad.tensor([1.0, 2.0, 4.0, 8.0], requires_grad=True)
    x = np.array([0.0, 0.0, 1.0, 5.0])                 # 5.0 is outside the range
    hist, _, _ = np.histogram2d(x, x, bins=2, range=[(0.0, 1.0), (0.0, 1.0)], weights=weights)
    np.testing.assert_array_equal(hist.data, [[3.0, 0.0], [0.0, 4.0]])
    (hist * ad.tensor([[1.0, 0.0], [0.0, 10.0]])).sum().backward()
    np.testing.assert_array_equal(weights.grad, [1.0, 1.0, 10.0, 0.0])


def test_given_edges_as_a_tensor_are_the_edges():
    edges = ad.tensor([-3.0, 0.0, 3.0], requires_grad=True)
    hist, x_edges, y_edges = np.histogram2d(SAMPLE[:, 0], SAMPLE[:, 1], bins=edges,
                                            density=True)
    assert x_edges is edges and y_edges is edges        # (NumPy: one array for both)
    hist.sum().backward()
    assert edges.grad is not None and np.any(edges.grad != 0)


def _density_over_data(points):
    hist, edges = np.histogramdd(points, bins=[3, 2], density=True)
    return ad.concatenate([(hist * ad.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])).reshape(-1)]
                          + edges)


def _weighted_density(weights):
    hist, _, _ = np.histogram2d(SAMPLE[:12, 0], SAMPLE[:12, 1], bins=3, density=True,
                                weights=weights)
    return hist * ad.tensor(np.arange(9.0).reshape(3, 3))


def _density_over_given_edges(edges):
    hist, _ = np.histogramdd(SAMPLE[:12, :2], bins=[edges, 2], density=True,
                             weights=ad.tensor(WEIGHTS[:12]))
    return hist


def _weights_and_edges_over_a_sequence(x):
    hist, edges = np.histogramdd([x[:6], x[6:]], bins=2, weights=ad.tensor(WEIGHTS[:6]))
    return ad.concatenate([hist.reshape(-1)] + edges)


@pytest.mark.parametrize("function, point", [
    (_density_over_data, SAMPLE[:10, :2]),
    (_weighted_density, WEIGHTS[:12] + 0.5),
    (_density_over_given_edges, np.array([-3.0, -0.4, 0.3, 3.0])),
    (_weights_and_edges_over_a_sequence, SAMPLE[:12, 0]),
])
def test_gradients_match_central_differences_to_second_order(function, point):
    assert gradcheck(function, [point])
    assert gradgradcheck(function, [point])


def test_errors():
    with pytest.raises(ValueError, match="same length"):
        np.histogram2d(ad.tensor([1.0, 2.0]), ad.tensor([1.0]))
    with pytest.raises(ValueError, match="dimension of bins"):
        np.histogramdd(ad.tensor(SAMPLE), bins=[2, 3])
    with pytest.raises(ValueError, match="monotonically"):
        np.histogramdd(ad.tensor(SAMPLE[:, :1]), bins=[np.array([1.0, 0.0])])
    with pytest.raises(TypeError, match=r"histogramdd: complex values \(sample"):
        np.histogramdd(ad.tensor(SAMPLE[:, :2] + 0j))
    with pytest.raises(TypeError, match=r"histogram2d: complex values \(weights"):
        np.histogram2d(ad.tensor([1.0]), [1.0], weights=ad.tensor([1.0 + 1j]))
    lo = ad.tensor(-1.0, requires_grad=True)
    with pytest.raises(TypeError, match="histogramdd: range is taken as constants"):
        np.histogramdd(ad.tensor(SAMPLE[:, :1]), range=[(lo, 1.0)])


def test_a_range_tensor_without_grad_is_its_value():
    hist, (edges,) = np.histogramdd(ad.tensor(SAMPLE[:, :1]), bins=4,
                                    range=[(ad.tensor(-1.0), ad.tensor(1.0))])
    want_hist, (want_edges,) = np.histogramdd(SAMPLE[:, :1], bins=4, range=[(-1.0, 1.0)])
    _same(hist, want_hist)
    _same(edges, want_edges)


def test_a_0d_tensor_bins_is_a_count_in_np_histogram_too():
    hist, edges = np.histogram(ad.tensor([1.0, 2.0, 3.0]), bins=ad.tensor(2))
    want_hist, want_edges = np.histogram(np.array([1.0, 2.0, 3.0]), bins=2)
    _same(hist, want_hist)
    _same(edges, want_edges)


def test_weights_in_a_list_with_tensors_are_recorded():
    w = ad.tensor(2.0, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no TapeDropWarning
        hist, _, _ = np.histogram2d(ad.tensor([0.0, 1.0]), [0.0, 1.0], bins=2, weights=[w, 3.0])
    np.testing.assert_array_equal(hist.data, [[2.0, 0.0], [0.0, 3.0]])
    (hist * 5.0).sum().backward()
    assert w.grad == 5.0
