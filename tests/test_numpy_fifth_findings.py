"""What the fifth set of NumPy programs (test_numpy_programs_fifth.py) found: the
library's fixes, and the clear refusals of what cannot be recorded."""

import numpy as np
import pytest

import autodiff as ad

_rng = np.random.default_rng(5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("size", [0, 1, 40, 70000])
@pytest.mark.parametrize("bins", ["edges", "uneven", 5])
@pytest.mark.parametrize("density", [False, True])
def test_weighted_histogram_sums_are_numpys_to_the_bit(dtype, size, bins, density):
    """NumPy sums the weights of given edges as differences of a running sum in sorted
    order, and of even bins by bincount block by block of 65536 entries: the same
    additions give the same bits (a bincount over all entries differed in the last)."""
    data = _rng.normal(size=size)
    weights = _rng.random(size).astype(dtype)
    bins = {"edges": np.histogram_bin_edges(data, 4),
            "uneven": np.array([-1.0, 0.0, 0.3, 2.5])}.get(bins, bins)
    with np.errstate(invalid="ignore"):
        expected, expected_edges = np.histogram(data, bins, weights=weights, density=density)
        hist, edges = np.histogram(data, bins, weights=ad.tensor(weights), density=density)
    assert isinstance(hist, ad.Tensor) and hist.dtype == expected.dtype
    np.testing.assert_array_equal(hist.data, expected)
    np.testing.assert_array_equal(edges.data, expected_edges)


def test_the_weights_of_given_edges_get_their_bins_gradient_to_second_order():
    data = np.array([0.3, -0.2, 1.7, 0.9, 3.5, 0.0, -2.0])
    edges = np.array([-1.0, 0.0, 0.5, 2.0])
    scale = np.array([1.0, 2.0, 3.0])
    # entries -2.0 and 3.5 fall outside the edges: no gradient
    bin_of_entry = np.array([1, 0, 2, 2, -1, 1, -1])

    def f(w):
        hist, _ = np.histogram(data, edges, weights=w ** 2)
        return np.sum(hist * scale)

    w = _rng.normal(size=7)
    expected = np.where(bin_of_entry >= 0, scale[bin_of_entry], 0.0) * 2 * w
    np.testing.assert_allclose(ad.grad(f)(w), expected, rtol=1e-15)
    np.testing.assert_allclose(ad.hessian(f)(w), np.diag(expected / w), rtol=1e-15)


def test_a_compiled_histogram_over_given_edges_sorts_each_replays_data():
    w = ad.tensor(np.ones(6), requires_grad=True)
    edges = np.array([-1.0, 0.0, 1.0, 2.0])

    @ad.compile
    def step(x):
        sums, _ = np.histogram(x, edges, weights=w * x, density=True)
        w.grad = None
        (sums * np.array([1.0, 2.0, 3.0])).sum().backward()
        return sums

    for x in [_rng.normal(size=6), _rng.normal(size=6) + 0.5, _rng.normal(size=6) * 2]:
        np.testing.assert_array_equal(step(x).data,
                                      np.histogram(x, edges, weights=x, density=True)[0])
        eager = ad.tensor(np.ones(6), requires_grad=True)
        hist, _ = np.histogram(x, edges, weights=eager * x, density=True)
        (hist * np.array([1.0, 2.0, 3.0])).sum().backward()
        np.testing.assert_array_equal(w.grad, eager.grad)
    assert step.traces == 1
