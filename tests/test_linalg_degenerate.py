"""eigh and svd at repeated (or nearly repeated) values and at zero singular values:
a gradient that the cotangents determine is right (checked against central finite
differences); one they do not determine warns with DegenerateGradientWarning, naming
the op and the user's line, and is never a silently finite number; at distinct values
the gradients are HIPS autograd's."""

from __future__ import annotations

import inspect
import warnings

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import autodiff as ad

pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
Warn = ad.linalg.DegenerateGradientWarning
RNG = np.random.default_rng(11)
C3 = RNG.standard_normal((3, 3))
C43 = RNG.standard_normal((4, 3))


def _rotation(n, seed):
    return np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))[0]


def _rotated(values, seed=0):
    q = _rotation(len(values), seed)
    return (q * np.asarray(values, dtype=float)) @ q.T


def _with_singular_values(values, m, seed=0):
    rng = np.random.default_rng(seed)
    u = np.linalg.qr(rng.standard_normal((m, len(values))))[0]
    v = np.linalg.qr(rng.standard_normal((len(values), len(values))))[0]
    return (u * np.asarray(values, dtype=float)) @ v.T


def _symmetric_fd(f, a, eps=1e-6):
    """Central differences of ``f`` along symmetric perturbations, one per entry of the
    lower triangle (eigh reads that triangle: its gradient lands there)."""
    g = np.zeros_like(a)
    for i in range(a.shape[0]):
        for j in range(i + 1):
            e = np.zeros_like(a)
            e[i, j] = e[j, i] = eps
            g[i, j] = (f(a + e) - f(a - e)) / (2 * eps)
    return g


def _fd(f, a, eps=1e-6):
    g = np.zeros_like(a)
    for index in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[index] = eps
        g[index] = (f(a + e) - f(a - e)) / (2 * eps)
    return g


def _no_warning(func, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("error", Warn)
        return func(*args)


# ------------------------------------------------------------- eigh: reconstruction

def _eigh_reconstruction(a):
    w, v = ad.linalg.eigh(a)
    return ad.sum(ad.matmul(v * w[..., None, :], ad.swapaxes(v, -1, -2)) * C3)


@pytest.mark.parametrize("a", [np.eye(3), _rotated([1.0, 1.0, 2.0])],
                         ids=["identity", "rotated-1-1-2"])
def test_reconstruction_at_a_repeated_eigenvalue_warns_at_the_users_line(a):
    x = ad.tensor(a, requires_grad=True)
    loss = _eigh_reconstruction(x)
    line = inspect.currentframe().f_lineno + 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loss.backward()
    ours = [w for w in caught if issubclass(w.category, Warn)]
    assert len(ours) == 1
    message = str(ours[0].message)
    assert message.startswith(("eigh: eigenvalues 0 and 1 are equal",
                               "eigh: eigenvalues 0 and 1 are nearly equal"))
    assert "not differentiable" in message and "keep the eigenvalues apart" in message
    assert (ours[0].filename, ours[0].lineno) == (__file__, line)
    if message.startswith("eigh: eigenvalues 0 and 1 are equal"):
        assert not np.all(np.isfinite(x.grad))      # inf/nan kept, no invented numbers


def test_reconstruction_gradient_is_not_determined_by_the_cotangents():
    """Why the reconstruction warns instead of getting a number: at a = I the results
    V diag(w) V.T and V diag(2w - 1) V.T - sum(w) give eigh's outputs the very same
    cotangents, yet their gradients (by finite differences) differ."""
    c = np.array([[1.0, 1.0], [1.0, 1.0]])

    def first(w, v):
        return ad.sum(ad.matmul(v * w, v.T) * c)

    def second(w, v):
        return ad.sum(ad.matmul(v * (2 * w - 1), v.T) * c) - ad.sum(w)

    cotangents, fds = [], []
    for result in (first, second):
        x = ad.tensor(np.eye(2), requires_grad=True)
        w, v = ad.linalg.eigh(x)
        w.retain_grad()
        v.retain_grad()
        with pytest.warns(Warn, match="^eigh: "):
            result(w, v).backward()
        cotangents.append((w.grad, v.grad))

        def numeric(a, result=result):
            return result(*ad.linalg.eigh(ad.tensor(a))).item()
        fds.append(_symmetric_fd(numeric, np.eye(2)))
    np.testing.assert_array_equal(cotangents[0][0], cotangents[1][0])
    np.testing.assert_array_equal(cotangents[0][1], cotangents[1][1])
    np.testing.assert_allclose(fds[0], [[1.0, 0.0], [2.0, 1.0]], atol=1e-6)
    np.testing.assert_allclose(fds[1], [[1.0, 0.0], [4.0, 1.0]], atol=1e-6)


def test_a_nearly_repeated_eigenvalue_warns_too():
    x = ad.tensor(_rotated([1.0, 1.0 + 1e-12, 2.0]), requires_grad=True)
    with pytest.warns(Warn, match=r"^eigh: eigenvalues 0 and 1 are nearly equal"):
        _eigh_reconstruction(x).backward()


def test_the_warning_names_the_matrix_of_a_batch():
    a = np.stack([_rotated([1.0, 2.0, 3.0]), _rotated([1.0, 2.0, 2.0])])
    x = ad.tensor(a, requires_grad=True)
    w, v = ad.linalg.eigh(x)
    with pytest.warns(Warn, match=r"eigenvalues 1 and 2 of matrix \(1,\) in the batch"):
        ad.sum(v * v * C3).backward()
    assert np.all(np.isfinite(x.grad[0]))


def test_forward_mode_warns_at_a_repeated_eigenvalue():
    t = RNG.standard_normal((3, 3))
    with pytest.warns(Warn, match="^eigh: .*forward-mode derivative"):
        ad.jvp(lambda x: ad.linalg.eigh(x).eigenvectors, (np.eye(3),), (t + t.T,))


# --------------------------------------------- eigh: what the cotangents determine

def _values_and_a_separated_vector(x, lib):
    w, v = lib.linalg.eigh(x)
    return lib.sum(w ** 3) + lib.sum(v[:, 2] * v[:, 2] * C3[0])


def _unit_norm(x, lib):
    w, v = lib.linalg.eigh(x)
    return lib.sum(v[:, 0] * v[:, 0])              # 1 whatever the basis


@pytest.mark.parametrize("loss", [_values_and_a_separated_vector, _unit_norm])
@pytest.mark.parametrize("a", [np.eye(3) + np.diag([0.0, 0.0, 1.0]), _rotated([1.0, 1.0, 2.0])],
                         ids=["diag-1-1-2", "rotated-1-1-2"])
def test_uses_the_cotangents_determine_are_right_and_quiet(loss, a):
    x = ad.tensor(a, requires_grad=True)
    _no_warning(lambda: loss(x, ad).backward())
    expected = _symmetric_fd(lambda b: loss(b, np), a)
    np.testing.assert_allclose(x.grad, expected, atol=1e-7)


def test_second_order_through_eigh_at_a_repeated_eigenvalue_warns():
    # the first-order rule holds the eigenvectors, whose derivative it then needs
    a = _rotated([1.0, 1.0, 2.0])
    with pytest.warns(Warn, match="^eigh: "):
        ad.hvp(lambda x: _values_and_a_separated_vector(x, ad), a, C3 + C3.T)


def test_second_order_through_eigh_at_a_repeated_eigenvalue_along_the_eigenbasis():
    a = np.diag([1.0, 1.0, 2.0])
    v = np.diag([0.5, -1.0, 2.0])      # the eigenvalues move apart; the eigenvectors stay
    hvp = _no_warning(ad.hvp, lambda x: _values_and_a_separated_vector(x, ad), a, v)
    expected = (_symmetric_fd(lambda b: _values_and_a_separated_vector(b, np), a + 1e-4 * v)
                - _symmetric_fd(lambda b: _values_and_a_separated_vector(b, np), a - 1e-4 * v))
    np.testing.assert_allclose(hvp, expected / 2e-4, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------------------ svd

def _svd_reconstruction(a):
    u, s, vh = ad.linalg.svd(a, full_matrices=False)
    return ad.sum(ad.matmul(u * s[..., None, :], vh) * C43)


@pytest.mark.parametrize("values", [[2.0, 2.0, 1.0], [1.0, 1.0, 1.0]])
def test_svd_reconstruction_at_repeated_singular_values_warns(values):
    x = ad.tensor(_with_singular_values(values, 4), requires_grad=True)
    loss = _svd_reconstruction(x)
    line = inspect.currentframe().f_lineno + 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loss.backward()
    ours = [w for w in caught if issubclass(w.category, Warn)]
    assert len(ours) == 1 and str(ours[0].message).startswith("svd: singular values 0 and 1 ")
    assert (ours[0].filename, ours[0].lineno) == (__file__, line)
    if str(ours[0].message).startswith("svd: singular values 0 and 1 are equal"):
        assert not np.all(np.isfinite(x.grad))


def test_svd_values_and_separated_vectors_are_right_and_quiet():
    a = _with_singular_values([2.0, 2.0, 1.0], 4)

    def loss(x, lib):
        u, s, vh = lib.linalg.svd(x, full_matrices=False)
        return lib.sum(s ** 3) + lib.sum(u[:, 2] * u[:, 2] * C43[:, 0]) + lib.sum(vh[2] * vh[2])
    x = ad.tensor(a, requires_grad=True)
    _no_warning(lambda: loss(x, ad).backward())
    np.testing.assert_allclose(x.grad, _fd(lambda b: loss(b, np), a), atol=1e-7)


@pytest.mark.parametrize("tall", [True, False])
def test_svd_vector_of_a_zero_singular_value_warns(tall):
    a = _with_singular_values([2.0, 1.0, 0.0], 4)
    a = a if tall else a.T
    x = ad.tensor(a, requires_grad=True)
    u, s, vh = ad.linalg.svd(x, full_matrices=False)
    side = "U's column 2" if a.shape[0] > a.shape[1] else "Vh's row 2"
    with pytest.warns(Warn, match=f"^svd: singular value 2 of a {a.shape[0]}x{a.shape[1]} "
                                  f"matrix is (nearly )?zero.*{side}"):
        (ad.sum(u * u * RNG.standard_normal(u.shape))
         + ad.sum(vh * vh * RNG.standard_normal(vh.shape))).backward()


def test_svd_vectors_of_nonzero_singular_values_of_a_rank_deficient_matrix_are_quiet():
    a = _with_singular_values([2.0, 1.0, 0.0], 4)
    weights = RNG.standard_normal((4, 2))

    def loss(x, lib):
        u, s, vh = lib.linalg.svd(x, full_matrices=False)
        return lib.sum(u[:, :2] * u[:, :2] * weights) + lib.sum(s ** 2)
    x = ad.tensor(a, requires_grad=True)
    _no_warning(lambda: loss(x, ad).backward())
    np.testing.assert_allclose(x.grad, _fd(lambda b: loss(b, np), a), atol=1e-7)


def test_svd_forward_mode_warns_at_repeated_singular_values():
    a = _with_singular_values([2.0, 2.0, 1.0], 3)
    with pytest.warns(Warn, match="^svd: singular values 0 and 1 .*forward-mode derivative"):
        ad.jvp(lambda x: ad.linalg.svd(x).U, (a,), (RNG.standard_normal((3, 3)),))


# -------------------------------------------------- distinct values: autograd's numbers

W4 = RNG.standard_normal((4, 4))


def _eigh_loss(lib):
    def loss(x):
        w, v = lib.linalg.eigh(x)
        n = x.shape[-1]
        return (lib.sum(w ** 3) + lib.sum(v * v * W4[:n, :n])
                + lib.sum(lib.matmul(v * w[..., None, :], lib.swapaxes(v, -1, -2)) * W4[:n, :n]))
    return loss


def _svd_loss(lib, m, n):
    k = min(m, n)

    def loss(x):
        u, s, vh = lib.linalg.svd(x, full_matrices=False)
        return (lib.sum(s ** 3) + lib.sum(u * u * W4[:m, :k]) + lib.sum(vh * vh * W4[:k, :n])
                + lib.sum(lib.matmul(u * s[..., None, :], vh) * W4[:m, :n]))
    return loss


def _lower(g):
    """autograd's eigh gradient (symmetric) moved onto the lower triangle eigh reads."""
    return np.tril(g + g.T, -1) + np.diag(np.diag(g))


@pytest.mark.parametrize("n", [2, 3, 4])
def test_eigh_gradients_at_distinct_eigenvalues_match_autograd(n):
    b = RNG.standard_normal((n, n))
    a = b + b.T
    ours = _no_warning(ad.grad(_eigh_loss(ad)), a)
    np.testing.assert_allclose(ours, _lower(autograd.grad(_eigh_loss(anp))(a)),
                               rtol=1e-10, atol=1e-12)
    # second order: the rule recorded on the tape, against autograd's Hessian
    v = RNG.standard_normal((n, n))
    v = np.tril(v + v.T)
    ours = _no_warning(ad.hvp, _eigh_loss(ad), a, v)
    sym_v = v + np.tril(v, -1).T
    theirs = autograd.grad(lambda x: anp.sum(autograd.grad(_eigh_loss(anp))(x) * sym_v))(a)
    np.testing.assert_allclose(ours, _lower(theirs), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)])
def test_svd_gradients_at_distinct_singular_values_match_autograd(shape):
    a = RNG.standard_normal(shape)
    ours = _no_warning(ad.grad(_svd_loss(ad, *shape)), a)
    np.testing.assert_allclose(ours, autograd.grad(_svd_loss(anp, *shape))(a),
                               rtol=1e-10, atol=1e-12)
    v = RNG.standard_normal(shape)
    ours = _no_warning(ad.hvp, _svd_loss(ad, *shape), a, v)
    theirs = autograd.grad(lambda x: anp.sum(autograd.grad(_svd_loss(anp, *shape))(x) * v))(a)
    np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10)
