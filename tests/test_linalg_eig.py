"""``np.linalg.eig``, ``eigvals`` and ``np.roots`` on Tensors (autodiff/ops/eig.py):
NumPy's values bit for bit, gradients against central differences (first and second
order, on real and imaginary parts of losses that do not depend on the eigenvectors'
phase) and against PyTorch's ``torch.linalg.eig`` / ``eigvals`` (HIPS autograd has no
eig gradient); a loss that depends on the phase raises, as PyTorch's."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.ops.eig import _matching_vectors

RNG = np.random.default_rng(7)
A_COMPLEX_SPECTRUM = RNG.standard_normal((4, 4))          # real, two complex pairs
_S = np.eye(3) + 0.3 * RNG.standard_normal((3, 3))
A_REAL_SPECTRUM = _S @ np.diag([1.0, 2.5, -1.0]) @ np.linalg.inv(_S)
C = RNG.standard_normal((3, 3)) + 1j * RNG.standard_normal((3, 3))
BATCH = RNG.standard_normal((2, 3, 3, 3))
WEIGHTS = np.cos(np.arange(16.0)).reshape(4, 4) + 2.0

# PyTorch's gradients agree to rounding: the same formula, with LAPACK's eigenvectors
# on both sides; 1e-10 relative leaves room for a different BLAS summation order.
TORCH_RTOL = 1e-10


def _same(got, expected):
    """Bit for bit NumPy's: the same dtype, shape and values."""
    got = got.data if isinstance(got, ad.Tensor) else got
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert np.array_equal(got, expected, equal_nan=True)


def _gauge_free(w, v, weights):
    """A real loss of eigenvalues and eigenvectors that is free of each eigenvector's
    phase: |w|^2, Re w, Im w^2, and |v|^2 weighted."""
    n = v.shape[-1]
    if weights.shape[-1] != n:
        weights = weights[:n, :n]
    size = np.real(v * np.conj(v)) * weights
    return ((np.abs(w) ** 2).sum() + np.real(w).sum() + np.imag(w * w).sum()
            + size.sum())


def _eig_loss(a):
    w, v = np.linalg.eig(a)
    return _gauge_free(w, v, WEIGHTS)


# ----- values -------------------------------------------------------------------------

@pytest.mark.parametrize("a", [
    A_COMPLEX_SPECTRUM, A_REAL_SPECTRUM, C, BATCH, A_COMPLEX_SPECTRUM.astype(np.float32),
    A_REAL_SPECTRUM.astype(np.float32), C.astype(np.complex64), np.ones((0, 2, 2))],
    ids=["complex spectrum", "real spectrum", "complex", "batched", "float32",
         "float32 real spectrum", "complex64", "empty batch"])
def test_values_are_numpys_bit_for_bit(a):
    got, expected = np.linalg.eig(ad.tensor(a, requires_grad=True)), np.linalg.eig(a)
    assert type(got) is type(expected)
    _same(got.eigenvalues, expected.eigenvalues)
    _same(got.eigenvectors, expected.eigenvectors)
    _same(np.linalg.eigvals(ad.tensor(a, requires_grad=True)), np.linalg.eigvals(a))
    _same(ad.linalg.eig(ad.tensor(a))[0], expected[0])
    _same(ad.linalg.eigvals(ad.tensor(a)), np.linalg.eigvals(a))


def test_a_real_matrix_with_real_eigenvalues_gives_real_arrays_as_numpy():
    w, v = np.linalg.eig(ad.tensor(A_REAL_SPECTRUM, requires_grad=True))
    assert w.dtype == v.dtype == np.float64 and w.requires_grad and v.requires_grad
    w, v = np.linalg.eig(ad.tensor(A_COMPLEX_SPECTRUM, requires_grad=True))
    assert w.dtype == v.dtype == np.complex128


@pytest.mark.parametrize("p", [
    [1.0, -3.0, 2.0], [2.0, 1.0, 3.0, -1.0, 5.0], [0.0, 0.0, 1.0, 2.0, 3.0, 0.0],
    [1.0, -2.0, 0.0, 0.0], [4.0], [0.0, 3.0], [1.0, 0.5 - 1j, 2j],
    np.array([1.0, 2.0, 3.0], np.float32)],
    ids=["real roots", "complex roots", "leading and trailing zeros", "two zero roots",
         "constant", "constant after a zero", "complex", "float32"])
def test_roots_are_numpys_bit_for_bit(p):
    _same(np.roots(ad.tensor(p, requires_grad=True)), np.roots(p))


def test_invalid_input_raises_as_numpy():
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.eig(ad.tensor(np.ones((2, 3)), requires_grad=True))
    with pytest.raises(ValueError):
        np.roots(ad.tensor(np.ones((2, 2)), requires_grad=True))


# ----- gradients against central differences ----------------------------------------

@pytest.mark.parametrize("a", [A_COMPLEX_SPECTRUM, A_REAL_SPECTRUM, BATCH[0, 1]],
                         ids=["complex spectrum", "real spectrum", "another"])
def test_real_input_gradient_matches_central_differences_to_second_order(a):
    assert ad.gradcheck(_eig_loss, [a])
    assert ad.gradgradcheck(_eig_loss, [a])
    assert ad.gradcheck(lambda t: np.linalg.eigvals(t).real, [a])
    assert ad.gradcheck(lambda t: np.linalg.eigvals(t).imag, [a])
    assert ad.gradgradcheck(lambda t: np.abs(np.linalg.eigvals(t)) ** 2, [a])


def test_complex_input_gradient_matches_central_differences_on_both_parts():
    # a = x + iy: the gradient z.grad = dL/dx + i dL/dy is checked part by part
    def loss(x, y):
        return _eig_loss(x + 1j * y)

    assert ad.gradcheck(loss, [C.real, C.imag])
    assert ad.gradgradcheck(loss, [C.real, C.imag])
    assert ad.gradcheck(lambda x, y: _parts(np.linalg.eigvals(x + 1j * y)), [C.real, C.imag])
    z = ad.tensor(C, requires_grad=True)
    _eig_loss(z).backward()
    x, y = ad.tensor(C.real, requires_grad=True), ad.tensor(C.imag, requires_grad=True)
    loss(x, y).backward()
    np.testing.assert_allclose(z.grad, x.grad + 1j * y.grad, rtol=1e-12, atol=1e-12)


def _parts(z):
    return ad.concatenate([ad.real(z), ad.imag(z)], axis=-1)


def test_batched_gradient_matches_central_differences():
    assert ad.gradcheck(lambda t: _parts(np.linalg.eigvals(t)), [BATCH])
    assert ad.gradcheck(lambda t: ad.real(np.linalg.eig(t)[1] * np.linalg.eig(t)[1].conj()),
                        [BATCH])


def test_eigenvectors_scaled_by_an_entry_are_phase_free_and_differentiable():
    # v[:, k] / v[0, k]: the eigenvector whose first entry is 1, free of the phase
    def first_entry_one(x, y):
        v = np.linalg.eig(x + 1j * y)[1]
        return _parts((v / v[:1, :]).reshape(-1))

    def scaled(a):
        v = np.linalg.eig(a)[1]
        return _parts((v / v[:1]).reshape(-1))

    assert ad.gradcheck(first_entry_one, [C.real, C.imag])
    assert ad.gradcheck(scaled, [A_COMPLEX_SPECTRUM])
    assert ad.gradgradcheck(scaled, [A_COMPLEX_SPECTRUM])


def _eig_parts(a):
    w, v = np.linalg.eig(a)
    return ad.concatenate([ad.flatten(ad.real(v * v.conj())), _parts(w)])


@pytest.mark.parametrize("function, point", [
    (lambda a: _parts(np.linalg.eigvals(a)), A_COMPLEX_SPECTRUM),
    (_eig_parts, A_COMPLEX_SPECTRUM), (_eig_parts, A_REAL_SPECTRUM),
    (lambda p: _parts(np.roots(p)), np.array([2.0, 1.0, 3.0, -1.0, 5.0]))],
    ids=["eigvals", "eig", "eig real spectrum", "roots"])
def test_forward_mode_matches_central_differences(function, point):
    tangent = RNG.standard_normal(point.shape)
    _, derivative = ad.jvp(function, (point,), (tangent,))
    h = 1e-6
    difference = (function(ad.tensor(point + h * tangent)).data
                  - function(ad.tensor(point - h * tangent)).data) / (2 * h)
    np.testing.assert_allclose(derivative, difference, rtol=1e-6, atol=1e-8)


# ----- gradients against PyTorch -------------------------------------------------------

def _torch_gauge_free(torch, w, v):
    n = v.shape[-1]
    weights = torch.tensor(WEIGHTS[:n, :n])
    return ((w.abs() ** 2).sum() + w.real.sum() + (w * w).imag.sum()
            + ((v * v.conj()).real * weights).sum())


@pytest.mark.parametrize("a", [A_COMPLEX_SPECTRUM, A_REAL_SPECTRUM, C, BATCH],
                         ids=["complex spectrum", "real spectrum", "complex", "batched"])
def test_gradients_match_pytorchs(a):
    torch = pytest.importorskip("torch")
    t = ad.tensor(a, requires_grad=True)
    _eig_loss(t).backward()
    theirs = torch.tensor(a, requires_grad=True)
    _torch_gauge_free(torch, *torch.linalg.eig(theirs)).backward()
    assert t.grad.dtype == a.dtype
    np.testing.assert_allclose(t.grad, theirs.grad.numpy(), rtol=TORCH_RTOL, atol=TORCH_RTOL)

    t = ad.tensor(a, requires_grad=True)
    weights = np.arange(1.0, a.shape[-1] + 1)
    (np.linalg.eigvals(t) ** 3 * weights).real.sum().backward()
    theirs = torch.tensor(a, requires_grad=True)
    (torch.linalg.eigvals(theirs) ** 3 * torch.tensor(weights)).real.sum().backward()
    np.testing.assert_allclose(t.grad, theirs.grad.numpy(), rtol=TORCH_RTOL, atol=TORCH_RTOL)


def test_second_order_matches_pytorchs():
    torch = pytest.importorskip("torch")
    direction = RNG.standard_normal((4, 4))
    t = ad.tensor(A_COMPLEX_SPECTRUM, requires_grad=True)
    (gradient,) = ad.autograd.grad(_eig_loss(t), [t], create_graph=True)
    (gradient * direction).sum().backward()
    theirs = torch.tensor(A_COMPLEX_SPECTRUM, requires_grad=True)
    (g,) = torch.autograd.grad(_torch_gauge_free(torch, *torch.linalg.eig(theirs)), [theirs],
                               create_graph=True)
    (g * torch.tensor(direction)).sum().backward()
    np.testing.assert_allclose(t.grad, theirs.grad.numpy(), rtol=1e-8, atol=1e-8)


# ----- the phase of the eigenvectors -------------------------------------------------

@pytest.mark.parametrize("a", [C, A_COMPLEX_SPECTRUM], ids=["complex", "real"])
def test_a_loss_that_depends_on_the_phase_raises_as_pytorch(a):
    torch = pytest.importorskip("torch")
    t = ad.tensor(a, requires_grad=True)
    with pytest.raises(ValueError, match=r"eig: .*defined up to a phase.*depends on that"):
        np.linalg.eig(t)[1].real.sum().backward()
    theirs = torch.tensor(a, requires_grad=True)
    with pytest.raises(RuntimeError, match="e\\^\\{i phi\\}"):
        torch.linalg.eig(theirs)[1].real.sum().backward()


def test_real_eigenvectors_have_a_sign_only_and_the_gradient_of_any_use():
    # real eigenvalues: NumPy's real eigenvectors (a sign each) and PyTorch's complex
    # ones give the same gradient of a sign-free loss
    torch = pytest.importorskip("torch")
    t = ad.tensor(A_REAL_SPECTRUM, requires_grad=True)
    v = np.linalg.eig(t)[1]
    ((v * v) * WEIGHTS[:3, :3]).sum().backward()
    theirs = torch.tensor(A_REAL_SPECTRUM, requires_grad=True)
    vt = torch.linalg.eig(theirs)[1]
    ((vt * vt.conj()).real * torch.tensor(WEIGHTS[:3, :3])).sum().backward()
    np.testing.assert_allclose(t.grad, theirs.grad.numpy(), rtol=TORCH_RTOL, atol=TORCH_RTOL)


# ----- repeated eigenvalues ----------------------------------------------------------

S = np.eye(3) + 0.3 * RNG.standard_normal((3, 3))
REPEATED = S @ np.diag([1.0, 1.0, 2.0]) @ np.linalg.inv(S)


def test_eigenvalues_only_at_a_repeated_eigenvalue_are_pytorchs_and_quiet():
    # PyTorch's formula V^-H diag(g) V^H, with whatever basis LAPACK gives the repeated
    # eigenvalue's eigenspace (compared where that basis is fixed: a diagonal matrix)
    torch = pytest.importorskip("torch")
    t = ad.tensor(np.diag([1.0, 1.0, 2.0]), requires_grad=True)
    (np.linalg.eigvals(t) * [1.0, 2.0, 3.0]).real.sum().backward()
    theirs = torch.tensor(np.diag([1.0, 1.0, 2.0]), requires_grad=True)
    (torch.linalg.eigvals(theirs) * torch.tensor([1.0, 2.0, 3.0])).real.sum().backward()
    np.testing.assert_array_equal(t.grad, theirs.grad.numpy())
    for a in (np.diag([1.0, 1.0, 2.0]), REPEATED):
        # the sum of the eigenvalues is the trace, whatever the basis
        t = ad.tensor(a, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            np.linalg.eigvals(t).real.sum().backward()
        np.testing.assert_allclose(t.grad, np.eye(3), atol=1e-7)


def test_eigenvectors_of_a_repeated_eigenvalue_warn_and_are_not_finite():
    torch = pytest.importorskip("torch")
    t = ad.tensor(REPEATED, requires_grad=True)
    with pytest.warns(ad.linalg.DegenerateGradientWarning,
                      match=r"eig: eigenvalues \d and \d .*eigenvectors of a repeated"):
        _eig_loss(t).backward()
    # (LAPACK splits the repeated eigenvalue by rounding: huge values, or inf/nan)
    assert not (np.abs(t.grad) < 1e6).all()
    theirs = torch.tensor(REPEATED, requires_grad=True)
    _torch_gauge_free(torch, *torch.linalg.eig(theirs)).backward()
    assert not (theirs.grad.abs() < 1e6).all()          # PyTorch's too, silently


def test_unused_eigenvectors_of_a_repeated_eigenvalue_stay_finite_and_quiet():
    # the eigenvector of the simple eigenvalue 2 only: no coupling of the repeated pair
    t = ad.tensor(REPEATED, requires_grad=True)
    w, v = np.linalg.eig(t)
    k = int(np.argmax(w.data.real))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (np.abs(v[:, k] / v[0, k]) ** 2).sum().backward()
    assert np.isfinite(t.grad).all()


def test_eigenvectors_are_matched_to_eigvals_order():
    w = np.array([1.0 + 1j, 3.0, -2.0])
    vectors = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    got = _matching_vectors(np, w, w[::-1], vectors)
    np.testing.assert_array_equal(got, vectors[:, ::-1])
    assert _matching_vectors(np, w, w.copy(), vectors) is vectors


# ----- roots ----------------------------------------------------------------------------

ROOT_POLYNOMIALS = {
    "complex roots": np.array([2.0, 1.0, 3.0, -1.0, 5.0]),
    "real roots": np.poly([1.0, -0.5, 2.0]) * 1.5,
    "a zero root": np.array([1.0, 2.0, 3.0, 0.0]),
}


@pytest.mark.parametrize("p", ROOT_POLYNOMIALS.values(), ids=ROOT_POLYNOMIALS.keys())
def test_roots_gradient_matches_central_differences_to_second_order(p):
    assert ad.gradcheck(lambda t: _parts(np.roots(t)), [p])
    assert ad.gradgradcheck(lambda t: _parts(np.roots(t)), [p])


def test_a_leading_zero_coefficient_gets_the_gradient_of_the_roots_it_would_move():
    # np.roots drops it (a change of it adds a root, so no finite difference applies):
    # the other coefficients get the gradient of the shorter polynomial, and it gets
    # -sum_k g_k r_k^3 / p'(r_k), the roots' derivative at a leading coefficient 0
    p = np.array([0.0, 1.0, -3.0, 2.0])
    t, shorter = ad.tensor(p, requires_grad=True), ad.tensor(p[1:], requires_grad=True)
    weights = np.array([1.0, 3.0])
    (np.roots(t) * weights).sum().backward()
    (np.roots(shorter) * weights).sum().backward()
    np.testing.assert_allclose(t.grad[1:], shorter.grad, rtol=1e-14)
    r = np.roots(p)
    np.testing.assert_allclose(t.grad[0], -np.sum(weights * r ** 3 / (2 * r - 3)), rtol=1e-14)


def test_complex_coefficients_gradient_matches_central_differences():
    p = np.array([1.0 + 0.5j, -2.0, 0.3 - 1j, 2.0j])
    assert ad.gradcheck(lambda x, y: _parts(np.roots(x + 1j * y)), [p.real, p.imag])


@pytest.mark.parametrize("p", list(ROOT_POLYNOMIALS.values())[:2], ids=["complex", "real"])
def test_roots_gradient_matches_pytorchs_companion_eigenvalues(p):
    # PyTorch has no roots: its eigvals of the companion matrix NumPy builds
    torch = pytest.importorskip("torch")
    weights = np.arange(1.0, len(p))
    t = ad.tensor(p, requires_grad=True)
    r = np.roots(t)
    order = np.lexsort((r.data.imag, r.data.real))
    (np.abs(r[order]) ** 2 * weights + r[order].real).sum().backward()
    theirs = torch.tensor(p, requires_grad=True)
    n = len(p) - 1
    companion = torch.diag(torch.ones(n - 1, dtype=torch.float64), -1)
    companion = torch.cat([(-theirs[1:] / theirs[0])[None], companion[1:]])
    rt = torch.linalg.eigvals(companion)
    order_t = np.lexsort((rt.detach().numpy().imag, rt.detach().numpy().real))
    rt = rt[torch.tensor(order_t)]
    ((rt.abs() ** 2) * torch.tensor(weights) + rt.real).sum().backward()
    np.testing.assert_allclose(t.grad, theirs.grad.numpy(), rtol=1e-9, atol=1e-9)


def test_a_repeated_root_warns():
    t = ad.tensor(np.poly([1.0, 1.0, -2.0]), requires_grad=True)
    with pytest.warns(ad.linalg.DegenerateGradientWarning, match="roots: roots"):
        np.abs(np.roots(t)).sum().backward()


def test_a_compiled_training_step_replays_the_gradients_without_a_warning():
    # the complex gradient of a real parameter: its real part, as in a plain backward
    a = ad.nn.Parameter(A_COMPLEX_SPECTRUM.copy())
    p = ad.nn.Parameter(ROOT_POLYNOMIALS["complex roots"].copy())

    def step():
        a.grad = p.grad = None
        w, v = np.linalg.eig(a)
        loss = _gauge_free(w, v, WEIGHTS) + (np.abs(np.roots(p)) ** 2).sum()
        loss.backward()
        return loss

    step()
    expected = a.grad.copy(), p.grad.copy()
    compiled = ad.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            compiled()
    np.testing.assert_array_equal(a.grad, expected[0])
    np.testing.assert_array_equal(p.grad, expected[1])
