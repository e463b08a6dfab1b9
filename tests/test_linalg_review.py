"""Linear algebra edge cases: empty batches in qr, NumPy's case-insensitive UPLO, and
lstsq's gradient when rcond drops singular values."""

import numpy as np
import pytest

import autograd
import autograd.numpy as anp

import autodiff as ad
from autodiff.gradcheck import gradgradcheck


@pytest.mark.parametrize("shape", [(0, 3, 3), (0, 4, 2), (0, 2, 4), (2, 0, 3, 3)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr_of_an_empty_batch_is_numpys(shape, mode):
    a = np.zeros(shape, np.float32)
    t = ad.tensor(a, requires_grad=True)
    out = ad.linalg.qr(t, mode=mode)
    ref = np.linalg.qr(a, mode=mode)
    outs, refs = (out, ref) if mode != "r" else ((out,), (ref,))
    for got, want in zip(outs, refs):
        assert got.shape == want.shape and got.dtype == want.dtype
    if mode == "complete" and shape[-2] > shape[-1]:
        return                              # no gradient there (refused, as when not empty)
    sum(x.sum() for x in outs).backward()
    assert t.grad.shape == shape and t.grad.dtype == np.float32


@pytest.mark.parametrize("uplo", ["l", "u"])
def test_eigh_and_eigvalsh_take_lowercase_uplo_as_numpy(uplo):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)     # not symmetric: UPLO matters
    w, v = ad.linalg.eigh(ad.tensor(a), UPLO=uplo)
    w_ref, v_ref = np.linalg.eigh(a, UPLO=uplo)
    np.testing.assert_allclose(w.data, w_ref)
    np.testing.assert_allclose(v.data ** 2, v_ref ** 2, atol=1e-12)
    np.testing.assert_allclose(np.linalg.eigvalsh(ad.tensor(a), uplo).data,
                               np.linalg.eigvalsh(a, uplo))
    upper = uplo.upper()
    assert ad.gradcheck(lambda x: ad.linalg.eigvalsh(x, UPLO=uplo), [a])
    grad_lower = ad.grad(lambda x: (ad.linalg.eigh(x, UPLO=uplo)[1] ** 4).sum())(a)
    grad_upper = ad.grad(lambda x: (ad.linalg.eigh(x, UPLO=upper)[1] ** 4).sum())(a)
    np.testing.assert_allclose(grad_lower, grad_upper)


def _with_singular_values(values, m=4, seed=0):
    rng = np.random.default_rng(seed)
    u, _ = np.linalg.qr(rng.standard_normal((m, len(values))))
    v, _ = np.linalg.qr(rng.standard_normal((len(values), len(values))))
    return u @ np.diag(values) @ v.T


@pytest.mark.parametrize("vector", [True, False])
def test_lstsq_gradient_for_b_when_rcond_drops_a_value_close_below_the_kept_ones(vector):
    # rcond=0.5 drops 0.45 (just below half of the largest) and keeps 0.6: the gradient
    # must use the same truncation as the forward.
    a = _with_singular_values([1.0, 0.6, 0.45])
    b = np.random.default_rng(1).standard_normal(4 if vector else (4, 2))
    assert int(np.linalg.lstsq(a, b, rcond=0.5)[2]) == 2

    def f(bb):
        return ad.linalg.lstsq(a, bb, rcond=0.5)[0]

    np.testing.assert_allclose(f(ad.tensor(b)).data, np.linalg.lstsq(a, b, rcond=0.5)[0])
    assert ad.gradcheck(f, [b])
    assert gradgradcheck(f, [b])


def test_lstsq_refuses_an_rcond_that_drops_a_singular_value_at_the_cutoff():
    # LAPACK treats s <= rcond * s[0] as zero, so 0.5 is dropped here (rank 1): the
    # gradient for a would be that of another function.
    a = np.array([[1.0, 0.0], [0.0, 0.5], [0.0, 0.0]])
    assert int(np.linalg.lstsq(a, np.ones(3), rcond=0.5)[2]) == 1
    with pytest.raises(ValueError, match="rcond=0.5"):
        ad.linalg.lstsq(ad.tensor(a, requires_grad=True), np.ones(3), rcond=0.5)
    x = ad.linalg.lstsq(ad.tensor(a), np.ones(3), rcond=0.5)[0]     # no gradient: fine
    np.testing.assert_allclose(x.data, [1.0, 0.0])


@pytest.mark.parametrize("call", [lambda x: np.linalg.norm(x, axis=(0, 2)),
                                  lambda x: np.linalg.vector_norm(x, axis=(0, 5)),
                                  lambda x: np.linalg.matrix_norm(x[0])])
def test_norm_axis_out_of_range_raises_numpys_axis_error(call):
    with pytest.raises(np.exceptions.AxisError):
        call(np.ones((4, 3)))
    with pytest.raises(np.exceptions.AxisError, match="norm"):
        call(ad.tensor(np.ones((4, 3)), requires_grad=True))


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (2, 0, 3)])
def test_pinv_hermitian_of_an_empty_non_square_matrix_has_a_gradient(shape):
    a = np.zeros(shape, np.float32)          # NumPy returns an empty result here
    t = ad.tensor(a, requires_grad=True)
    y = ad.linalg.pinv(t, hermitian=True)
    ref = np.linalg.pinv(a, hermitian=True)
    assert y.shape == ref.shape and y.dtype == ref.dtype
    y.sum().backward()
    assert t.grad.shape == shape and t.grad.dtype == np.float32


def test_cond_of_singular_matrices_is_numpys_inf_or_a_clear_refusal():
    for p in (None, 2):
        for matrix in (np.zeros((2, 2)), np.array([[1.0, 0.0], [0.0, 0.0]])):
            assert np.linalg.cond(ad.tensor(matrix), p).data == np.linalg.cond(matrix, p)
    assert np.linalg.cond(ad.tensor([[1.0, 0.0], [0.0, 0.0]]), -2).data == 0.0
    with pytest.raises(np.linalg.LinAlgError, match=r"cond: the matrix of shape \(2, 2\) is "
                                                    r"singular.*use p=None"):
        np.linalg.cond(ad.tensor([[1.0, 0.0], [0.0, 0.0]]), 1)
    with pytest.raises(np.linalg.LinAlgError):          # NumPy's own check: not square
        np.linalg.cond(ad.tensor(np.ones((2, 3))), 1)


def test_cond_matches_autograd_through_its_singular_values():
    x = np.array([[2.0, 1.0], [0.5, 3.0]])
    t = ad.tensor(x, requires_grad=True)
    np.linalg.cond(t).backward()
    theirs = autograd.grad(lambda a: (lambda s: s[0] / s[-1])(
        anp.linalg.svd(a, compute_uv=False)))(x)
    np.testing.assert_allclose(t.grad, theirs, rtol=1e-12)
