"""Functions whose index arrays, counts or constant columns are computed off the tape
(``ad.mode``, ``ad.histc``, ``ad.pdist``, ``ad.combinations``, ``np.vander``,
``scatter_reduce`` and ``scatter(..., reduce=)``) inside ``ad.compile``: each replay
computes them again from the call's values and shapes, and gives what an eager call
gives (they were refused, blaming the caller's line)."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

INPUTS = [np.arange(6.0), np.arange(6.0)[::-1].copy(), np.array([1.0, 1.0, 3.0, 2.0, 2.0, 5.0])]
WEIGHTS = np.linspace(0.5, 2.0, 6)

DIFFERENTIABLE = [
    ("mode values", lambda t: ad.mode(t.reshape(2, 3), 1).values),
    ("pdist", lambda t: ad.pdist(t.reshape(3, 2))),
    ("pdist p=1", lambda t: ad.pdist(t.reshape(3, 2), 1)),
    ("combinations", lambda t: ad.combinations(t[:4])),
    ("combinations with replacement", lambda t: ad.combinations(t[:3], 3, True)),
    ("np.vander", lambda t: np.vander(t[:3], 4)),
    ("np.vander increasing", lambda t: np.vander(t, increasing=True)),
]


@pytest.mark.parametrize("fn", [f[1] for f in DIFFERENTIABLE], ids=[f[0] for f in DIFFERENTIABLE])
def test_replays_give_the_eager_values_and_gradients(fn):
    w = ad.tensor(WEIGHTS, requires_grad=True)

    def step(x):
        w.grad = None
        y = fn(w * ad.tensor(x))
        (y * y).sum().backward()
        return y

    compiled = ad.compile(step)
    for x in INPUTS:
        got = compiled(x)
        got_grad = w.grad.copy()
        eager = step(x)
        np.testing.assert_array_equal(got.data, eager.data)
        np.testing.assert_allclose(got_grad, w.grad, rtol=1e-12)
    assert compiled.traces == 1


WITHOUT_GRADIENT = [
    ("mode indices", lambda t: ad.mode((t * 0.5).floor().reshape(2, 3), 1).indices),
    ("mode keepdim", lambda t: ad.mode((t * 0.5).floor().reshape(2, 3), 0, True).indices),
    ("histc data range", lambda t: ad.histc(t, 3)),
    ("histc given range", lambda t: ad.histc(t, 4, 1, 4)),
]


@pytest.mark.parametrize("fn", [f[1] for f in WITHOUT_GRADIENT],
                         ids=[f[0] for f in WITHOUT_GRADIENT])
def test_replays_of_results_without_gradient_follow_the_values(fn):
    def step(x):
        return fn(ad.tensor(x) * 1.0)

    compiled = ad.compile(step)
    results = []
    for x in INPUTS:
        got, eager = compiled(x), step(x)
        assert got.dtype == eager.dtype and got.shape == eager.shape
        np.testing.assert_array_equal(got.data, eager.data)
        results.append(got.data.copy())
    assert any(not np.array_equal(results[0], r) for r in results[1:])   # values followed


def test_a_replay_of_histc_on_data_with_inf_raises_as_an_eager_call():
    compiled = ad.compile(lambda x: ad.histc(ad.tensor(x) * 1.0, 3))
    compiled(np.arange(3.0))
    with pytest.raises(ValueError, match="histc: the range .* is not finite"):
        compiled(np.array([1.0, np.inf, 2.0]))


INDEX = np.array([[0, 2, 2], [1, 1, 1]])
SOURCE = np.array([[3.0, -2.0, 0.5], [1.5, 2.0, -1.0]])


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "mean", "prod"])
def test_scatter_reduce_replays_with_a_constant_index(reduce, include_self):
    """Its counts, touched positions and product layers were read from the index with
    NumPy during the call: refused (except 'sum' with include_self)."""
    src = ad.tensor(SOURCE, requires_grad=True)

    def step(x):
        src.grad = None
        y = ad.tensor(x).scatter_reduce(1, INDEX, src * 1.0, reduce, include_self=include_self)
        (y * y).sum().backward()
        return y

    compiled = ad.compile(step)
    for x in (np.ones((2, 3)), np.arange(6.0).reshape(2, 3) - 2.0, np.full((2, 3), -0.5)):
        got = compiled(x)
        got_grad = src.grad.copy()
        eager = step(x)
        np.testing.assert_allclose(got.data, eager.data, rtol=1e-12)
        np.testing.assert_allclose(got_grad, src.grad, rtol=1e-12)
    assert compiled.traces == 1


def test_scatter_with_reduce_multiply_replays():
    compiled = ad.compile(lambda x: ad.scatter(ad.tensor(x), 1, INDEX, -1.5, reduce="multiply"))
    for x in (np.ones((2, 3)), np.arange(6.0).reshape(2, 3)):
        expected = x.copy()
        for row in range(2):
            np.multiply.at(expected[row], INDEX[row], -1.5)
        np.testing.assert_array_equal(compiled(x).data, expected)


def test_scatter_reduce_prod_refuses_an_index_given_to_the_call():
    step = ad.compile(lambda x, i: ad.tensor(x).scatter_reduce(1, i, ad.tensor(SOURCE), "prod"))
    with pytest.raises(ad.TraceError, match="scatter_reduce .* how often the index repeats"):
        step(np.ones((2, 3)), ad.tensor(INDEX))
