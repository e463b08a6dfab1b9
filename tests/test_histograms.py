"""np.histogram and np.histogram_bin_edges on Tensors (autodiff/ops/histograms.py):
NumPy's values and dtypes, and the gradients of weights, edges and density checked
against central differences to second order."""

import itertools
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.gradcheck import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)
DATA = RNG.standard_normal(40)
WEIGHTS = RNG.random(40)
BINS = [10, 1, "auto", "sturges", np.array([-2.0, -0.5, 0.0, 0.1, 2.5])]


@pytest.mark.parametrize("bins, range_, density, weighted, dtype", [
    case for case in itertools.product(BINS, [None, (-1.0, 1.0)], [None, True], [False, True],
                                       [np.float64, np.float32])
    if not (isinstance(case[0], str) and case[3])])     # (NumPy: no estimator with weights)
def test_values_edges_and_dtypes_are_numpys(bins, range_, density, weighted, dtype):
    data = DATA.astype(dtype)
    weights = WEIGHTS.astype(dtype) if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hist, edges = np.histogram(ad.tensor(data), bins, range_, density,
                                   None if weights is None else ad.tensor(weights))
    want_hist, want_edges = np.histogram(data, bins, range_, density, weights)
    assert edges.dtype == want_edges.dtype and hist.dtype == want_hist.dtype
    np.testing.assert_array_equal(edges.data, want_edges)
    if density or weighted:         # sums in another order than NumPy's cumulative path
        np.testing.assert_allclose(hist.data, want_hist, rtol=1e-6 if dtype == np.float32
                                   else 1e-14)
    else:
        np.testing.assert_array_equal(hist.data, want_hist)


def test_a_2d_input_its_weights_and_entries_outside_the_range():
    data = np.array([[0.5, 3.0], [-2.0, 1.0]])
    weights = ad.tensor([[1.0, 2.0], [4.0, 8.0]], requires_grad=True)
    hist, edges = np.histogram(ad.tensor(data), bins=2, range=(0.0, 2.0), weights=weights)
    np.testing.assert_array_equal(hist.data, [1.0, 8.0])
    hist.sum().backward()
    np.testing.assert_array_equal(weights.grad, [[1.0, 0.0], [0.0, 1.0]])   # outside: 0


def test_counts_have_no_gradient_and_the_edges_follow_the_extremes():
    a = ad.tensor([1.0, 2.0, 5.0], requires_grad=True)
    hist, edges = np.histogram(a, bins=2)
    assert hist.dtype == np.int64 and not hist.requires_grad
    np.testing.assert_array_equal(hist.data, [2, 1])
    edges.sum().backward()
    np.testing.assert_array_equal(a.grad, [1.5, 0.0, 1.5])


def test_all_equal_entries_widen_the_range_as_numpy_does():
    a = ad.tensor([2.0, 2.0], requires_grad=True)
    edges = np.histogram_bin_edges(a, bins=4)
    np.testing.assert_array_equal(edges.data, np.histogram_bin_edges(np.array([2.0, 2.0]), 4))
    edges.sum().backward()
    assert a.grad.sum() == 5.0          # every edge moves with the (shared) extreme


def test_empty_input_and_numpys_errors():
    hist, edges = np.histogram(ad.tensor(np.zeros(0)), bins=3)
    np.testing.assert_array_equal(hist.data, np.histogram(np.zeros(0), bins=3)[0])
    np.testing.assert_array_equal(edges.data, np.histogram(np.zeros(0), bins=3)[1])
    with pytest.raises(ValueError, match="monotonically"):
        np.histogram(ad.tensor([1.0, 2.0]), bins=np.array([1.0, 0.0]))
    with pytest.raises(ValueError):
        np.histogram(ad.tensor([1.0, 2.0]), weights=ad.tensor([1.0]))
    with pytest.raises(TypeError, match="complex"):
        np.histogram(ad.tensor([1.0 + 1j]))


def _weighted_density(weights):
    hist, _ = np.histogram(ad.tensor(DATA[:12]), bins=4, density=True, weights=weights)
    return hist * ad.tensor([1.0, -2.0, 3.0, 0.5])


def _density_over_data(a):
    hist, edges = np.histogram(a, bins=3, density=True)
    return ad.concatenate([hist * ad.tensor([1.0, 2.0, 3.0]), edges])


def _density_over_given_edges(edges):
    hist, _ = np.histogram(ad.tensor(DATA[:12]), bins=edges, density=True,
                           weights=ad.tensor(WEIGHTS[:12]))
    return hist


@pytest.mark.parametrize("function, point", [
    (_weighted_density, WEIGHTS[:12] + 0.5),
    (_density_over_data, DATA[:9]),
    (_density_over_given_edges, np.array([-3.0, -0.4, 0.3, 3.0])),
])
def test_gradients_match_central_differences_to_second_order(function, point):
    assert gradcheck(function, [point])
    assert gradgradcheck(function, [point])


def test_a_compiled_histogram_widens_equal_values_by_its_own_data():
    # the widening of a range of equal values is recorded, not a branch taken once at trace time
    w = ad.tensor(1.0, requires_grad=True)

    @ad.compile
    def edges_of(x):
        with ad.no_grad():
            return np.histogram(x * w, bins=3)[1] * 1

    for data in (np.arange(3.0), np.arange(3.0), np.ones(3), np.arange(3.0)):
        np.testing.assert_array_equal(edges_of(data).data, np.histogram(data, bins=3)[1])


RANGES = [
    lambda lo, hi: (ad.tensor(lo), ad.tensor(hi)),
    lambda lo, hi: (lo, ad.tensor(hi)),
    lambda lo, hi: ad.tensor([lo, hi]),
    lambda lo, hi: (ad.tensor(np.float32(lo)), hi),
]


@pytest.mark.parametrize("make_range", RANGES, ids=["tensors", "one-tensor", "tensor-pair",
                                                    "float32-end"])
@pytest.mark.parametrize("function", [np.histogram, np.histogram_bin_edges])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_range_of_tensors_is_read_as_numpy_reads_their_arrays(make_range, function, dtype):
    data = DATA.astype(dtype)
    range_ = make_range(-1.0, 1.5)
    got = function(ad.tensor(data), 4, range_)
    plain = tuple(end.data if isinstance(end, ad.Tensor) else end for end in range_)
    want = function(data, 4, plain)
    for g, w in zip(got if isinstance(got, tuple) else (got,),
                    want if isinstance(want, tuple) else (want,)):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g.data, w)


def test_edges_and_density_get_the_gradient_of_a_range_of_tensors():
    weights = ad.tensor(WEIGHTS[:10])

    def edges_and_density(lo, hi):
        hist, edges = np.histogram(ad.tensor(DATA[:10]), 3, (lo, hi), density=True,
                                   weights=weights)
        return ad.concatenate([edges, hist])

    lo, hi = (ad.tensor(v, requires_grad=True) for v in (-1.0, 1.5))
    assert gradcheck(edges_and_density, (lo, hi))
    assert gradgradcheck(edges_and_density, (lo, hi))
    np.histogram(ad.tensor(DATA), 4, (lo, hi))[1].sum().backward()
    np.testing.assert_allclose([lo.grad, hi.grad], [2.5, 2.5])       # 1 - i/4, i/4 summed


def test_a_compiled_histogram_follows_its_data_and_a_traced_range_at_each_replay():
    w = ad.tensor(1.0, requires_grad=True)

    @ad.compile
    def step(x, ends):
        values = x * w
        counts, edges = np.histogram(values, 3, (ends[0], ends[1]))
        sums, _ = np.histogram(values, 3, (ends[0], ends[1]), weights=values)
        w.grad = None
        sums.sum().backward()
        return counts, edges, sums

    for x, ends in [(DATA[:10], [-1.0, 1.0]), (DATA[10:20] * 3, [-2.0, 0.5]),
                    (DATA[20:30], [0.0, 4.0])]:
        counts, edges, sums = step(x, ad.tensor(ends))
        want_counts, want_edges = np.histogram(x, 3, ends)
        np.testing.assert_array_equal(counts.data, want_counts)
        np.testing.assert_array_equal(edges.data, want_edges)
        np.testing.assert_allclose(sums.data, np.histogram(x, 3, ends, weights=x)[0],
                                   rtol=1e-14)
        inside = (x >= ends[0]) & (x <= ends[1])
        np.testing.assert_allclose(w.grad, x[inside].sum(), rtol=1e-13)
    assert step.traces == 1
