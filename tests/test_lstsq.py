"""np.linalg.lstsq on Tensors: NumPy's four results bit for bit, the gradients of x, the
residuals and the singular values against finite differences to second order (tall,
square, wide; b a vector or a matrix), on rank-deficient a through a factorization that
keeps the rank, and the refusals.  Generated cases: tests/op_specs_linalg.py."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(11)
SHAPES = [(5, 3), (3, 5), (4, 4), (1, 1), (6, 1), (1, 6)]


def _b(m, k):
    return RNG.standard_normal((m,) if k is None else (m, k))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("k", [None, 2])
@pytest.mark.parametrize("shape", SHAPES + [(4, 3), (0, 3), (3, 0)])
def test_values_are_numpys(shape, k, dtype):
    a = RNG.standard_normal(shape).astype(dtype)
    if shape == (4, 3):
        a[:, 2] = a[:, 0] + a[:, 1]                     # rank 2
    b = _b(shape[0], k).astype(dtype)
    mine = np.linalg.lstsq(ad.tensor(a, requires_grad=True), ad.tensor(b))
    theirs = np.linalg.lstsq(a, b)
    assert isinstance(mine, tuple) and len(mine) == 4      # (named as PyTorch's too)
    for got, expected in zip(mine, theirs):
        got = got.data if isinstance(got, ad.Tensor) else got
        assert got.dtype == expected.dtype and got.shape == np.shape(expected)
        assert np.array_equal(got, expected)


def test_integer_and_mixed_inputs_give_numpys_dtypes():
    a, b = np.arange(6).reshape(3, 2), np.arange(3)
    for got, expected in zip(ad.linalg.lstsq(ad.tensor(a), ad.tensor(b)), np.linalg.lstsq(a, b)):
        assert np.asarray(got.data if isinstance(got, ad.Tensor) else got).dtype == \
            np.asarray(expected).dtype
    x = ad.linalg.lstsq(ad.tensor(a.astype(np.float32)), b.astype(np.float64))[0]
    assert x.dtype == np.float64


def _all_results(weights_x):
    def f(a, b):
        x, residuals, _, s = ad.linalg.lstsq(a, b)
        return ((x * weights_x).sum() + (residuals * 1.3).sum()
                + (s * np.arange(1.0, s.shape[0] + 1)).sum())
    return f


@pytest.mark.parametrize("k", [None, 2])
@pytest.mark.parametrize("shape", SHAPES)
def test_gradient_to_second_order(shape, k):
    m, n = shape
    a, b = RNG.standard_normal(shape) + 2.0 * np.eye(m, n), _b(m, k)
    f = _all_results(RNG.standard_normal((n,) if k is None else (n, k)))
    assert ad.gradcheck(f, [a, b]) and ad.gradgradcheck(f, [a, b])


@pytest.mark.parametrize("shape, rank", [((5, 4), 2), ((3, 5), 2), ((4, 4), 1)])
def test_rank_deficient_gradient_along_matrices_of_that_rank(shape, rank):
    """a = U V with U (m, r), V (r, n): finite differences keep the rank, where the
    gradient holds; b's gradient needs no such care (x is linear in b)."""
    m, n = shape
    u, v, b = RNG.standard_normal((m, rank)), RNG.standard_normal((rank, n)), _b(m, 2)
    weights = RNG.standard_normal((n, 2))

    def f(u_, v_, b_):
        x, residuals, found, _ = ad.linalg.lstsq(u_ @ v_, b_)
        assert found == rank and residuals.shape == (0,)
        return (x * weights).sum()
    assert ad.gradcheck(f, [u, v, b]) and ad.gradgradcheck(f, [u, v, b])


def test_rcond_that_cuts_a_nonzero_singular_value_refuses_the_gradient():
    a = np.diag([1.0, 1e-3, 1e-20])[:, :3]
    b = np.ones(3)
    x, _, rank, _ = ad.linalg.lstsq(ad.tensor(a, requires_grad=True), b)   # default cut
    assert rank == 2
    with pytest.raises(ValueError, match=r"lstsq: rcond=0.01 treats the singular value "
                                         r"0.001 .* as zero"):
        ad.linalg.lstsq(ad.tensor(a, requires_grad=True), b, rcond=1e-2)
    x, _, rank, _ = ad.linalg.lstsq(ad.tensor(a), b, rcond=1e-2)          # no gradient
    assert rank == 1 and np.array_equal(x.data, np.linalg.lstsq(a, b, rcond=1e-2)[0])
    with ad.no_grad():
        ad.linalg.lstsq(ad.tensor(a, requires_grad=True), b, rcond=1e-2)


def test_stacks_are_refused_and_complex_values_are_numpy_s():
    with pytest.raises(np.linalg.LinAlgError,
                       match=r"lstsq: a has shape \(2, 3, 3\).*as NumPy requires"):
        np.linalg.lstsq(ad.tensor(np.ones((2, 3, 3))), np.ones((2, 3)))
    a = np.ones((2, 2)) + 1j                  # (gradients: test_complex_norms_tenth.py)
    x, _, rank, s = ad.linalg.lstsq(ad.tensor(a), np.ones(2))
    want = np.linalg.lstsq(a, np.ones(2))
    assert np.array_equal(x.data, want[0]) and np.array_equal(s.data, want[3]) and rank == 1


def test_compile_refuses_it_while_tracing():
    from autodiff.compile.refusals import TraceError
    a = ad.tensor(RNG.standard_normal((4, 2)), requires_grad=True)

    @ad.compile
    def fit(b):
        return ad.linalg.lstsq(a, b)[0].sum()
    with pytest.raises(TraceError, match=r"compile: lstsq at .*test_lstsq.py.* depend on "
                                         r"a's rank"):
        fit(np.ones(4))
