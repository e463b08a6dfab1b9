"""Complex twins of eigh, eigvalsh, svd, svdvals, qr (autodiff/ops/complex_spectral.py),
arccosh, and ad.fft's hfft2 / hfftn / ihfft2 / ihfftn: values as NumPy's, gradients of
two real losses against central differences over the real and imaginary parts (float64),
and values, gradients and second derivatives against PyTorch's; a loss that depends on
the phase of complex eigenvectors or singular vectors raises, as PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from complex_checks import (central_differences, check_against_central_differences,
                            check_against_torch, complex_losses, sample)


def _mh(lib, x):
    return x.conj().swapaxes(-1, -2) if lib is ad else x.mH


def _hermitian(lib, b):
    return b + _mh(lib, b)


def _eigh_phase_free(lib, linalg, b, uplo="L"):
    w, v = linalg.eigh(_hermitian(lib, b), UPLO=uplo)
    return v * v.conj() * w[..., None, :]


def _reconstruction(lib, linalg, b):
    w, v = linalg.eigh(_hermitian(lib, b))
    return (v * w[..., None, :]) @ _mh(lib, v) + v.abs()


def _svd(linalg, a):
    return linalg.svd(a, full_matrices=False)


#: name -> (function of (library, its linalg, inputs), inputs' shapes)
FUNCTIONS = {
    "eigh eigenvalues": (lambda lib, linalg, b: linalg.eigh(_hermitian(lib, b))[0],
                         [(3, 3)]),
    "eigh v * conj(v) * w": (_eigh_phase_free, [(3, 3)]),
    "eigh UPLO=U": (lambda lib, linalg, b: _eigh_phase_free(lib, linalg, b, "U"), [(3, 3)]),
    "eigh v diag(w) v^H + |v|": (_reconstruction, [(3, 3)]),
    "eigvalsh": (lambda lib, linalg, b: linalg.eigvalsh(_hermitian(lib, b)), [(3, 3)]),
    "svd U @ Vh square": (lambda lib, linalg, a: (lambda r: r[0] @ r[2])(_svd(linalg, a)),
                          [(3, 3)]),
    "svd U @ Vh wide": (lambda lib, linalg, a: (lambda r: r[0] @ r[2])(_svd(linalg, a)),
                        [(2, 4)]),
    "svd |U|^2 S, tall": (
        lambda lib, linalg, a: (lambda r: r[0] * r[0].conj() * r[1][..., None, :])(
            _svd(linalg, a)), [(4, 2)]),
    "svd Vh conj(Vh), wide": (
        lambda lib, linalg, a: (lambda r: r[2] * r[2].conj())(_svd(linalg, a)), [(2, 4)]),
    "svd S": (lambda lib, linalg, a: _svd(linalg, a)[1], [(3, 2)]),
    "svdvals": (lambda lib, linalg, a: linalg.svdvals(a), [(2, 3)]),
    "qr Q square": (lambda lib, linalg, a: linalg.qr(a)[0], [(3, 3)]),
    "qr R tall": (lambda lib, linalg, a: linalg.qr(a)[1], [(4, 2)]),
    "qr Q R00 wide": (lambda lib, linalg, a: (lambda q, r: q * r[..., :1, :1])(*linalg.qr(a)),
                      [(2, 4)]),
    "arccosh": (lambda lib, linalg, z: lib.arccosh(z), [(2, 3)]),
}


def _inputs(shapes, batch=()):
    return [sample(batch + shape) for shape in shapes]


@pytest.mark.parametrize("batch", [(), (2,)], ids=str)
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_gradients_match_central_differences(name, batch):
    function, shapes = FUNCTIONS[name]
    check_against_central_differences(lambda *t: function(ad, ad.linalg, *t),
                                      _inputs(shapes, batch), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("batch", [(), (2,)], ids=str)
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_values_gradients_and_second_order_match_torch(name, batch):
    torch = pytest.importorskip("torch")
    function, shapes = FUNCTIONS[name]
    check_against_torch(lambda *t: function(ad, ad.linalg, *t),
                        lambda *t: function(torch, torch.linalg, *t),
                        _inputs(shapes, batch), rtol=1e-9, atol=1e-11)


def test_values_are_numpys():
    a, b = sample((2, 3, 3)), sample((4, 2))
    h = a + np.conj(np.swapaxes(a, -1, -2))
    w, v = ad.linalg.eigh(ad.tensor(h, requires_grad=True))
    want_w, want_v = np.linalg.eigh(h)
    assert w.dtype == np.float64 and v.dtype == np.complex128
    np.testing.assert_array_equal(w.data, want_w)
    np.testing.assert_array_equal(v.data, want_v)
    np.testing.assert_array_equal(ad.linalg.eigvalsh(ad.tensor(h)).data, np.linalg.eigvalsh(h))
    for full in (True, False):
        ours = ad.linalg.svd(ad.tensor(b, requires_grad=True), full_matrices=full)
        for got, want in zip(ours, np.linalg.svd(b, full_matrices=full)):
            np.testing.assert_array_equal(got.data, want)
        assert ours[1].dtype == np.float64
    for mode in ("reduced", "complete"):
        for got, want in zip(ad.linalg.qr(ad.tensor(b, requires_grad=True), mode=mode),
                             np.linalg.qr(b, mode=mode)):
            np.testing.assert_array_equal(got.data, want)
    z = sample((3,))
    np.testing.assert_array_equal(ad.arccosh(ad.tensor(z, requires_grad=True)).data,
                                  np.arccosh(z))


def test_complex64_keeps_its_dtypes():
    a = sample((3, 3)).astype(np.complex64)
    h = ad.tensor(a + a.conj().T, requires_grad=True)
    w, v = ad.linalg.eigh(h)
    assert (w.dtype, v.dtype) == (np.float32, np.complex64)
    (w.sum() + (v * v.conj()).real[0].sum()).backward()
    assert h.grad.dtype == np.complex64
    q, r = ad.linalg.qr(ad.tensor(a, requires_grad=True))
    assert q.dtype == r.dtype == np.complex64


def test_hermitian_svd_of_a_complex_matrix():
    torch = pytest.importorskip("torch")
    b = sample((3, 3))
    h = b + b.conj().T
    u, s, vh = ad.linalg.svd(ad.tensor(h), hermitian=True)
    want = np.linalg.svd(h, hermitian=True)
    for got, expected in zip((u, s, vh), want):
        np.testing.assert_allclose(got.data, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose((u @ (s[:, None] * vh)).data, h, atol=1e-12)

    def values(t):
        return ad.linalg.svd(_hermitian(ad, t), hermitian=True).S

    def values_torch(t):
        return torch.linalg.svdvals(_hermitian(torch, t))
    check_against_central_differences(values, [b], rtol=1e-5, atol=1e-6)
    check_against_torch(values, values_torch, [b], rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("which", ["eigh", "svd U", "svd Vh"])
def test_a_loss_depending_on_the_phase_of_the_vectors_raises_as_torch(which):
    torch = pytest.importorskip("torch")
    b = sample((3, 3))

    def vector(lib, linalg, t):
        if which == "eigh":
            return linalg.eigh(_hermitian(lib, t))[1]
        u, _, vh = linalg.svd(t, full_matrices=False)
        return u if which == "svd U" else vh
    t = ad.tensor(b, requires_grad=True)
    vectors = "eigenvectors" if which == "eigh" else "singular vectors"
    with pytest.raises(ValueError, match=rf"^{which.split()[0]}: the {vectors} of a complex matrix "
                                         r"are defined up to a phase.*depends on that phase"):
        vector(ad, ad.linalg, t)[1, 1].real.backward()
    t_torch = torch.tensor(b, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"phase|e\^\{i phi\}"):
        vector(torch, torch.linalg, t_torch)[1, 1].real.backward()
    # the same entry's size is phase-free: a gradient, equal to PyTorch's
    vector(ad, ad.linalg, t)[0, 0].abs().backward()
    vector(torch, torch.linalg, t_torch)[0, 0].abs().backward()
    np.testing.assert_allclose(t.grad, t_torch.grad.numpy(), rtol=1e-9, atol=1e-11)


def test_svd_full_matrices_refuses_the_complement_of_a_complex_matrix():
    u, _, _ = ad.linalg.svd(ad.tensor(sample((4, 2)), requires_grad=True))
    with pytest.raises(ValueError, match=r"svd: with full_matrices=True the last 2 columns "
                                         r"of U are an arbitrary basis"):
        (u[:, 3] * u[:, 3].conj()).real.sum().backward()


def test_qr_complete_of_a_tall_complex_matrix_has_no_gradient():
    q, _ = ad.linalg.qr(ad.tensor(sample((4, 2)), requires_grad=True), mode="complete")
    with pytest.raises(NotImplementedError, match=r"qr: mode='complete' has no gradient"):
        q.abs().sum().backward()


def _mixed(t):
    """A complex matrix of a real one, neither Hermitian nor real."""
    return t * (1 + 2j) + 1j * t.T


@pytest.mark.parametrize("name, function", [
    ("eigvalsh", lambda t: ad.linalg.eigvalsh(t + 1j * (t - t.T))),
    ("eigh |V|", lambda t: ad.linalg.eigh(t + 1j * (t - t.T))[1].abs()),
    ("svd U @ Vh", lambda t: (lambda r: (r[0] @ r[2]).real)(ad.linalg.svd(_mixed(t)))),
    ("svdvals", lambda t: ad.linalg.svdvals(_mixed(t))),
    ("qr Q", lambda t: ad.linalg.qr(_mixed(t))[0].real),
    ("qr R", lambda t: ad.linalg.qr(_mixed(t))[1].imag)],
    ids=lambda v: v if isinstance(v, str) else "")
def test_forward_mode_through_complex_decompositions_matches_central_differences(
        name, function):
    x, tangent = sample((3, 3), False), sample((3, 3), False)
    _, derivative = ad.jvp(function, (x,), (tangent,))
    with ad.no_grad():
        want = (function(ad.tensor(x + 1e-6 * tangent)).data
                - function(ad.tensor(x - 1e-6 * tangent)).data) / 2e-6
    np.testing.assert_allclose(getattr(derivative, "data", derivative), want,
                               rtol=1e-6, atol=1e-7)


HERMITIAN_FFTS = [
    ("hfft2", {}), ("hfft2", {"s": (2, 6), "norm": "ortho"}),
    ("hfftn", {}), ("hfftn", {"dim": (0, 2), "norm": "forward"}), ("hfftn", {"s": (3, 4)}),
    ("ihfft2", {}), ("ihfft2", {"s": (2, 5), "norm": "ortho"}),
    ("ihfftn", {}), ("ihfftn", {"dim": (0, 2), "norm": "forward"}),
]


@pytest.mark.parametrize("name, kwargs", HERMITIAN_FFTS, ids=str)
def test_hermitian_ffts(name, kwargs):
    torch = pytest.importorskip("torch")
    x = sample((2, 3, 3), complex_values=not name.startswith("i"))
    ours = getattr(ad.fft, name)
    theirs = getattr(torch.fft, name)
    check_against_central_differences(lambda t: ours(t, **kwargs), [x])
    check_against_torch(lambda t: ours(t, **kwargs), lambda t: theirs(t, **kwargs), [x])


def test_hermitian_ffts_refuse_what_torch_refuses():
    with pytest.raises(TypeError, match=r"fft.ihfftn: takes a real input, got complex128"):
        ad.fft.ihfft2(ad.tensor(sample((2, 2))))
    with pytest.raises(ValueError, match=r"hfftn: norm must be None, 'backward'"):
        ad.fft.hfft2(ad.tensor(sample((2, 2))), norm="both")


def test_what_remains_refused_names_itself_and_lists_the_complex_ops():
    z = ad.tensor(sample((3, 3)), requires_grad=True)
    with pytest.raises(TypeError, match=r"^relu: its gradient rule is written for real "
                                        r"numbers.*eigh, eigvalsh, svd, svdvals, qr"):
        ad.relu(z)
    with pytest.raises(TypeError, match=r"^matrix_exp: complex input is not supported"):
        ad.linalg.matrix_exp(z)


@pytest.mark.parametrize("name", ["eigh v diag(w) v^H + |v|", "svd |U|^2 S, tall",
                                  "svd U @ Vh wide", "qr Q R00 wide", "eigvalsh", "arccosh"])
def test_second_order_matches_central_differences_of_the_gradient(name):
    function, shapes = FUNCTIONS[name]
    (start,) = _inputs(shapes)

    def size_of_gradient(array, create_graph=False):
        t = ad.tensor(array, requires_grad=True)
        (g,) = ad.autograd.grad(complex_losses(function(ad, ad.linalg, t))[0], [t],
                                create_graph=create_graph)
        return t, (g.abs() ** 2).sum()

    t, size = size_of_gradient(start, create_graph=True)
    (second,) = ad.autograd.grad(size, [t])
    (want,) = central_differences(lambda a: size_of_gradient(a)[1].item(), [start])
    np.testing.assert_allclose(second.data, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name, function", [
    ("abs", lambda t: t.abs()), ("sin", lambda t: ad.sin(t)), ("det", ad.linalg.det),
    ("eigh |V|", lambda t: ad.linalg.eigh(_hermitian(ad, t))[1].abs()),
    ("svd U @ Vh", lambda t: (lambda r: r[0] @ r[2])(ad.linalg.svd(t))),
    ("qr R", lambda t: ad.linalg.qr(t)[1])], ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize("requires_grad", [False, True], ids=["plain", "requires_grad"])
def test_dual_numbers_of_complex_values_match_central_differences(name, function,
                                                                  requires_grad):
    import autodiff.forward_ad as fwAD
    z, tangent = sample((3, 3)), sample((3, 3))
    with fwAD.dual_level():
        primal = ad.tensor(z, requires_grad=requires_grad)
        got = fwAD.unpack_dual(function(fwAD.make_dual(primal, ad.tensor(tangent)))).tangent
    with ad.no_grad():
        want = (function(ad.tensor(z + 1e-6 * tangent)).data
                - function(ad.tensor(z - 1e-6 * tangent)).data) / 2e-6
    np.testing.assert_allclose(got.data, want, rtol=1e-6, atol=1e-7)


def test_dual_numbers_refuse_an_op_without_complex_rules_naming_it():
    import autodiff.forward_ad as fwAD
    with fwAD.dual_level():
        dual = fwAD.make_dual(ad.tensor(sample((3,))), ad.tensor(sample((3,))))
        with pytest.raises(TypeError, match=r"^relu: its gradient rule is written for real"):
            fwAD.unpack_dual(ad.relu(dual)).tangent
