"""np.linalg gradients at their edges: repeated eigenvalues and singular values, the
extra columns of a full SVD, singular matrices, and VJPs that never form an inverse."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.ops.namespace import numpy_xp

RNG = np.random.default_rng(3)


def test_eigenvalues_alone_have_a_finite_gradient_at_repeated_eigenvalues():
    x = ad.tensor(np.eye(3) * 2.0, requires_grad=True)
    (ad.linalg.eigh(x).eigenvalues ** 2).sum().backward()
    # sum(w**2) = trace(A @ A): gradient 2 A, read from the lower triangle
    np.testing.assert_allclose(x.grad, 4.0 * np.eye(3), atol=1e-12)


def test_eigvalsh_has_a_finite_gradient_at_repeated_eigenvalues():
    x = ad.tensor(np.eye(3) * 2.0, requires_grad=True)
    (ad.linalg.eigvalsh(x, UPLO="U") ** 2).sum().backward()
    np.testing.assert_allclose(x.grad, 4.0 * np.eye(3), atol=1e-12)


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_eigenvectors_at_repeated_eigenvalues_give_a_non_finite_gradient_and_warn():
    x = ad.tensor(np.diag([1.0, 1.0, 3.0]), requires_grad=True)
    w, v = ad.linalg.eigh(x)
    with pytest.warns(ad.linalg.DegenerateGradientWarning, match="eigh: eigenvalues 0 and 1"):
        (v * np.arange(9.0).reshape(3, 3)).sum().backward()
    assert not np.all(np.isfinite(x.grad))


def test_eigh_gradient_of_a_symmetric_parametrization():
    def f(b):
        w, v = ad.linalg.eigh(b @ b.T)
        return ad.concatenate([w, (v * v).reshape(-1)])
    assert ad.gradcheck(f, [RNG.standard_normal((3, 3))])


def test_singular_values_alone_have_a_finite_gradient_when_repeated():
    x = ad.tensor(np.eye(3), requires_grad=True)
    ad.linalg.svd(x).S.sum().backward()
    np.testing.assert_allclose(x.grad, np.eye(3), atol=1e-12)


def test_svd_of_a_rank_deficient_tall_matrix_values_only():
    a = np.outer([1.0, 2.0, 3.0], [1.0, -1.0])       # rank 1, 3x2
    x = ad.tensor(a, requires_grad=True)
    ad.linalg.svd(x, full_matrices=False).S[0].backward()
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(x.grad, np.outer(u[:, 0], vh[0]), atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 2), (2, 4)])
def test_full_svd_extra_columns_have_no_gradient(shape):
    x = ad.tensor(RNG.standard_normal(shape), requires_grad=True)
    u, s, vh = ad.linalg.svd(x)                       # full_matrices=True, NumPy's default
    with pytest.raises(ValueError, match="full_matrices=False"):
        (u.sum() + vh.sum()).backward()


def test_full_svd_gives_gradients_when_the_extra_columns_are_unused():
    a = RNG.standard_normal((4, 2))

    def f(t):
        u, s, vh = ad.linalg.svd(t)                   # U is 4x4; only its first 2 columns used
        return (u[:, :2] * s) @ vh
    assert ad.gradcheck(f, [a])
    np.testing.assert_allclose(f(ad.tensor(a)).data, a, atol=1e-12)


def test_solve_and_cholesky_backward_form_no_inverse(monkeypatch):
    def no_inverse(*args, **kwargs):
        raise AssertionError("an explicit inverse was formed")
    monkeypatch.setattr(numpy_xp, "inv", no_inverse)
    a = RNG.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    ta = ad.tensor(a, requires_grad=True)
    tb = ad.tensor(RNG.standard_normal((3, 2)), requires_grad=True)
    ad.linalg.solve(ta, tb).sum().backward()
    assert ta.grad.shape == a.shape and tb.grad.shape == (3, 2)
    spd = ad.tensor(a @ np.swapaxes(a, -1, -2), requires_grad=True)
    ad.linalg.cholesky(spd).sum().backward()
    assert np.all(np.isfinite(spd.grad))


def test_cholesky_gradient_sums_to_the_symmetric_one():
    b = RNG.standard_normal((3, 3))
    weights = RNG.standard_normal((3, 3))

    def f(t):
        return (ad.linalg.cholesky(t @ t.T + 3 * np.eye(3)) * weights).sum()
    assert ad.gradcheck(f, [b])
    assert ad.gradgradcheck(f, [b])


@pytest.mark.parametrize("a", [np.ones((2, 2)), np.diag([2.0, 0.0, 3.0]),
                               np.diag([0.0, 0.0, 3.0]), np.ones((2, 3, 3))],
                         ids=["rank 1 of 2", "rank 2 of 3", "rank 1 of 3", "batched"])
def test_det_gradient_at_singular_matrices_is_the_cofactor_matrix(a):
    x = ad.tensor(a, requires_grad=True)
    ad.linalg.det(x).sum().backward()
    n = a.shape[-1]
    cofactors = np.zeros_like(a)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, axis=-2), j, axis=-1)
            cofactors[..., i, j] = (-1) ** (i + j) * np.linalg.det(minor)
    np.testing.assert_allclose(x.grad, cofactors, atol=1e-12)


def test_slogdet_gradient_at_a_singular_matrix_raises_naming_slogdet():
    x = ad.tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(np.linalg.LinAlgError, match="slogdet.*singular"):
        ad.linalg.slogdet(x)[1].backward()


def test_slogdet_sign_is_constant():
    x = ad.tensor(np.diag([-2.0, 3.0]), requires_grad=True)
    sign, logabsdet = ad.linalg.slogdet(x)
    # on the tape as PyTorch's real sign (requires grad), with gradient 0
    assert sign.item() == -1.0 and sign.requires_grad
    (sign * 5.0 + logabsdet).backward()
    np.testing.assert_allclose(x.grad, np.diag([-0.5, 1 / 3]))


def test_batched_decompositions_match_numpy_per_matrix():
    a = RNG.standard_normal((2, 3, 3, 3))
    spd = a @ np.swapaxes(a, -1, -2) + 3 * np.eye(3)
    for ours, theirs in [
            (ad.linalg.det(spd), np.linalg.det(spd)),
            (ad.linalg.slogdet(spd)[1], np.linalg.slogdet(spd)[1]),
            (ad.linalg.cholesky(spd), np.linalg.cholesky(spd)),
            (ad.linalg.eigh(spd)[1], np.linalg.eigh(spd)[1]),
            (ad.linalg.svd(a)[0], np.linalg.svd(a)[0]),
            (ad.linalg.solve(spd, a), np.linalg.solve(spd, a)),
            (ad.linalg.pinv(a), np.linalg.pinv(a))]:
        assert np.array_equal(ours.data, theirs)


def _with_singular_values(values, rows=4):
    u, _ = np.linalg.qr(RNG.standard_normal((rows, len(values))))
    v, _ = np.linalg.qr(RNG.standard_normal((len(values), len(values))))
    return u @ np.diag(values) @ v.T


@pytest.mark.parametrize("kwargs", [dict(rcond=0.3), dict(rtol=0.3),
                                    dict(rcond=np.array([0.1, 0.3]))])
def test_pinv_refuses_to_record_a_cutoff_that_drops_a_nonzero_singular_value(kwargs):
    a = np.stack([_with_singular_values([3.0, 2.0, 1.0]), _with_singular_values([3.0, 2.0, 0.5])])
    t = ad.tensor(a, requires_grad=True)
    with pytest.raises(ValueError, match=r"pinv: (rcond|rtol)=.* drops the nonzero singular "
                                         r"value 0\.5 \(largest 3\).*ad\.linalg\.svd"):
        np.linalg.pinv(t, **kwargs)
    expected = np.linalg.pinv(a, **kwargs)
    with ad.no_grad():
        np.testing.assert_array_equal(np.linalg.pinv(t, **kwargs).data, expected)
    np.testing.assert_array_equal(np.linalg.pinv(ad.tensor(a), **kwargs).data, expected)


def test_pinv_cutoff_that_drops_only_zero_singular_values_keeps_its_gradient():
    a = _with_singular_values([3.0, 2.0, 0.0])
    for kwargs in (dict(rcond=0.3), dict(rtol=0.1), dict(rcond=0.3, hermitian=True)):
        x = a[:3] @ a[:3].T if kwargs.get("hermitian") else a
        assert ad.gradcheck(lambda t: np.linalg.pinv(t, **kwargs), [x])
    a = _with_singular_values([3.0, 2.0, 1.0])
    assert ad.gradgradcheck(lambda t: np.linalg.pinv(t, rcond=0.3), [a])


def test_norm_errors_follow_numpy():
    t = ad.tensor(np.ones((2, 2, 2)))
    for kwargs in [dict(ord="fro", axis=0), dict(ord=3, axis=(0, 1)), dict(axis=(0, 0)),
                   dict(ord=1)]:
        with pytest.raises(ValueError):
            np.linalg.norm(t.data, **kwargs)
        with pytest.raises(ValueError, match="norm"):
            ad.linalg.norm(t, **kwargs)


@pytest.mark.parametrize("kwargs", [
    {}, dict(axis=1), dict(ord=2, axis=-1, keepdims=True), dict(ord=3, axis=1),
    dict(ord="fro", axis=(0, 1)), dict(ord="fro")], ids=str)
def test_norm_at_zero_has_zero_gradient_as_in_pytorch(kwargs):
    x = ad.tensor(np.zeros((2, 3)), requires_grad=True)
    np.linalg.norm(x, **kwargs).sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))
    # away from 0 the gradient is the usual x / |x| (here for the 2-norm of rows)
    x = ad.tensor([[3.0, 4.0], [0.0, 0.0]], requires_grad=True)
    ad.linalg.vector_norm(x, axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0.6, 0.8], [0.0, 0.0]], rtol=1e-15)


def test_norm_ord_zero_counts_nonzeros_with_gradient_zero():
    t = ad.tensor([0.0, 2.0, -1.0], requires_grad=True)
    out = ad.linalg.norm(t, 0)
    assert out.item() == 2.0 and out.requires_grad       # on the tape, as PyTorch's
    out.backward()
    np.testing.assert_array_equal(t.grad, [0.0, 0.0, 0.0])


@pytest.mark.parametrize("shape, kwargs", [
    ((0,), dict(ord=np.inf)), ((0,), {}), ((0, 3), dict(ord=1)), ((0, 3), dict(ord=2)),
    ((0, 3), dict(ord=np.inf)), ((3, 0), dict(ord="nuc")),
    ((2, 0, 3), dict(ord=np.inf, axis=1, keepdims=True)), ((2, 0, 3), dict(ord=2, axis=(1, 2))),
], ids=str)
def test_norms_of_empty_inputs_are_zero_as_in_numpy(shape, kwargs):
    x = np.zeros(shape)
    out = ad.linalg.norm(ad.tensor(x), **kwargs)
    expected = np.linalg.norm(x, **kwargs)
    assert out.shape == np.shape(expected)
    np.testing.assert_array_equal(out.data, expected)


def _fd_hessian_diagonal(fn, x, eps=1e-4):
    flat = np.eye(x.size).reshape((x.size,) + x.shape)
    return np.array([(fn(x + 2 * eps * e) - 2 * fn(x) + fn(x - 2 * eps * e)) / (4 * eps * eps)
                     for e in flat])


@pytest.mark.parametrize("which", ["eigh", "svd"])
def test_second_order_through_vectors_where_a_coupling_entry_is_zero(which):
    # At a diagonal matrix with distinct values, V^T g_V is diagonal: its off-diagonal
    # entries are 0 over finite gaps, and their derivatives (1 / gap) must survive.
    x = np.diag([1.0, 2.0, 4.0] if which == "eigh" else [3.0, 2.0, 0.5])

    def f(t):
        vectors = np.linalg.eigh(t)[1] if which == "eigh" else np.linalg.svd(t)[0]
        return (np.diagonal(vectors) ** 2).sum()

    want = _fd_hessian_diagonal(f, x)
    assert np.abs(want).max() > 0.4
    hessian = np.asarray(ad.hessian(f)(x)).reshape(9, 9)
    np.testing.assert_allclose(np.diag(hessian), want, atol=1e-5)
    reverse = np.asarray(ad.jacrev(ad.grad(f))(x)).reshape(9, 9)
    np.testing.assert_allclose(np.diag(reverse), want, atol=1e-5)


def test_the_gradient_of_a_jvp_for_its_tangent_is_the_gradient_through_eigh():
    # jvp(f, x, v) = <grad f(x), v> is linear in v: its gradient for v is grad f(x), also
    # at tangents whose coupling entries are exactly 0.
    x = np.diag([1.0, 2.0, 4.0])

    def f(t):
        vectors = np.linalg.eigh(t)[1]
        return (np.diagonal(vectors) ** 2 * np.array([1.0, 2.0, 3.0])).sum() \
            + (vectors[0] ** 3).sum()

    point = x + np.tril(np.full((3, 3), 0.1), -1)
    want = ad.grad(f)(point)
    for tangent in (np.zeros((3, 3)), np.diag([1.0, -1.0, 0.5])):
        got = ad.grad(lambda v: ad.jvp(f, (point,), (v,))[1])(tangent)
        np.testing.assert_allclose(got, want, atol=1e-10)


def test_forward_mode_det_at_a_singular_matrix_uses_the_cofactor():
    # First order only: the jvp needs no inverse, as the reverse mode's gradient.
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    cofactor = np.array([[4.0, -2.0], [-2.0, 1.0]])
    _, tangent = ad.jvp(np.linalg.det, (a,), (np.eye(2),))
    np.testing.assert_allclose(float(tangent), 5.0, rtol=1e-14)
    np.testing.assert_allclose(ad.jacfwd(np.linalg.det)(a), cofactor, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(ad.grad(np.linalg.det)(a), cofactor, rtol=1e-14, atol=1e-15)
    # the second order: d2 det / da_ij da_kl = +-1 where (k, l) is the other diagonal
    hessian = ad.hessian(np.linalg.det)(a)
    np.testing.assert_array_equal(hessian.reshape(4, 4), [[0, 0, 0, 1], [0, 0, -1, 0],
                                                          [0, -1, 0, 0], [1, 0, 0, 0]])
