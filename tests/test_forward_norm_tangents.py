"""Forward mode through norms of complex values: ``ad.func.jvp`` / ``ad.jvp`` take
complex primals and tangents, as ``torch.func.jvp`` does (they refused them), with
PyTorch's tangents (real for the norms, abs and angle; complex for holomorphic and
linear functions); and ``make_dual`` with a tangent of another dtype than its primal
gives a norm's tangent PyTorch's dtype (the output's for the 1- and 0-norms and the
matrix norms of sums, the wider one otherwise; the norms of singular values, inv, svd
and eigh refuse, as PyTorch's).  Values are compared with PyTorch's to 1e-10 relative
in float64 (the same formulas, summed in another order) and against central
differences along the tangent."""

import numpy as np
import pytest

import autodiff as ad

_rng = np.random.default_rng(20261206)
Z = _rng.normal(size=(3, 4)) + 1j * _rng.normal(size=(3, 4))
DZ = _rng.normal(size=(3, 4)) + 1j * _rng.normal(size=(3, 4))

#: name: (our function, PyTorch's)
FUNCTIONS = {
    "vector_norm": (lambda t: ad.linalg.vector_norm(t),
                    lambda t, torch: torch.linalg.vector_norm(t)),
    "vector_norm 1": (lambda t: ad.linalg.vector_norm(t, 1),
                      lambda t, torch: torch.linalg.vector_norm(t, 1)),
    "vector_norm inf": (lambda t: ad.linalg.vector_norm(t, np.inf),
                        lambda t, torch: torch.linalg.vector_norm(t, float("inf"))),
    "vector_norm 3 dim 1": (lambda t: ad.linalg.vector_norm(t, 3, dim=1),
                            lambda t, torch: torch.linalg.vector_norm(t, 3, dim=1)),
    "vector_norm 0.5": (lambda t: ad.linalg.vector_norm(t, 0.5),
                        lambda t, torch: torch.linalg.vector_norm(t, 0.5)),
    "norm": (lambda t: np.linalg.norm(t), lambda t, torch: torch.linalg.norm(t)),
    "norm nuc": (lambda t: np.linalg.norm(t, "nuc"),
                 lambda t, torch: torch.linalg.matrix_norm(t, "nuc")),
    "norm 2": (lambda t: np.linalg.norm(t, 2), lambda t, torch: torch.linalg.matrix_norm(t, 2)),
    "norm inf": (lambda t: np.linalg.norm(t, np.inf),
                 lambda t, torch: torch.linalg.matrix_norm(t, float("inf"))),
    "abs": (np.abs, lambda t, torch: torch.abs(t)),
    "angle": (np.angle, lambda t, torch: torch.angle(t)),
    "exp": (np.exp, lambda t, torch: torch.exp(t)),
    "z conj(z)": (lambda t: t * np.conj(t), lambda t, torch: t * t.conj()),
    "matmul": (lambda t: t @ t.T, lambda t, torch: t @ t.T),
    "fft": (lambda t: np.fft.fft(t), lambda t, torch: torch.fft.fft(t)),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_jvp_of_complex_primals_matches_torch_func_jvp(name):
    torch = pytest.importorskip("torch")
    ours, theirs = FUNCTIONS[name]
    value, tangent = ad.func.jvp(ours, (ad.tensor(Z),), (ad.tensor(DZ),))
    their_value, their_tangent = torch.func.jvp(lambda t: theirs(t, torch), (torch.tensor(Z),),
                                                (torch.tensor(DZ),))
    their_tangent = their_tangent.resolve_conj().numpy()
    assert tangent.dtype == their_tangent.dtype
    np.testing.assert_allclose(value.data, their_value.resolve_conj().numpy(), rtol=1e-10)
    np.testing.assert_allclose(tangent.data, their_tangent, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["vector_norm", "vector_norm 3 dim 1", "norm nuc", "abs",
                                  "z conj(z)"])
def test_jvp_of_complex_primals_matches_central_differences(name):
    ours = FUNCTIONS[name][0]
    _, tangent = ad.jvp(ours, (Z,), (DZ,))
    eps = 1e-6
    expected = (ours(ad.tensor(Z + eps * DZ)).data - ours(ad.tensor(Z - eps * DZ)).data) / (
        2 * eps)
    np.testing.assert_allclose(tangent, expected, rtol=1e-7, atol=1e-9)


def test_other_transforms_still_take_real_arrays_only():
    with pytest.raises(TypeError, match=r"grad: argument 0 has dtype complex128.*real arrays"):
        ad.grad(lambda t: np.abs(t).sum())(Z)
    with pytest.raises(TypeError, match=r"jvp: primal 0 has dtype int64.*floating-point or "
                                        r"complex"):
        ad.jvp(lambda t: t * 2, (np.arange(3),), (np.arange(3),))


REAL = [(np.float32, np.float64), (np.float64, np.float32)]
COMPLEX = [(np.complex64, np.complex128), (np.complex128, np.complex64)]
#: name: (function of the dual, whether a narrower primal gives the output's dtype)
NORMS = {
    "vector_norm 2": (lambda lib, d: lib.linalg.vector_norm(d), False),
    "vector_norm 1": (lambda lib, d: lib.linalg.vector_norm(d, 1), True),
    "vector_norm 0": (lambda lib, d: lib.linalg.vector_norm(d, 0), True),
    "vector_norm inf": (lambda lib, d: lib.linalg.vector_norm(d, float("inf")), False),
    "vector_norm -inf": (lambda lib, d: lib.linalg.vector_norm(d, -float("inf")), False),
    "vector_norm 3": (lambda lib, d: lib.linalg.vector_norm(d, 3), False),
    "vector_norm -1": (lambda lib, d: lib.linalg.vector_norm(d, -1), False),
    "norm": (lambda lib, d: lib.linalg.norm(d), False),
    "norm fro": (lambda lib, d: lib.linalg.norm(d, "fro"), False),
    "norm 1": (lambda lib, d: lib.linalg.norm(d, 1), True),
    "norm -inf": (lambda lib, d: lib.linalg.norm(d, -float("inf")), True),
}


def _dual_tangent(lib, name, primal, tangent):
    fw = lib.autograd.forward_ad
    with fw.dual_level():
        dual = fw.make_dual(lib.tensor(primal), lib.tensor(tangent))
        return fw.unpack_dual(NORMS[name][0](lib, dual))


@pytest.mark.parametrize("dtypes", REAL + COMPLEX, ids=str)
@pytest.mark.parametrize("name", sorted(NORMS))
def test_a_norms_tangent_of_another_dtype_is_pytorchs(name, dtypes):
    primal = (Z if np.dtype(dtypes[0]).kind == "c" else Z.real).astype(dtypes[0])
    tangent = (DZ if np.dtype(dtypes[1]).kind == "c" else DZ.real).astype(dtypes[1])
    value, ours = _dual_tangent(ad, name, primal, tangent)
    narrower = np.dtype(dtypes[0]).itemsize < np.dtype(dtypes[1]).itemsize
    wider = np.empty(0, np.result_type(*dtypes)).real.dtype
    assert ours.dtype == (value.dtype if NORMS[name][1] and narrower else wider)
    torch = pytest.importorskip("torch")
    _, theirs = _dual_tangent(torch, name, primal, tangent)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    # (single-precision values in either: bounded relative error, not bitwise)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("call", [lambda d: np.linalg.norm(d, 2), lambda d: np.linalg.norm(
    d, "nuc"), lambda d: np.linalg.inv(d[:, :3]), lambda d: np.linalg.svd(d)[1],
    lambda d: np.linalg.eigvalsh(d[:, :3])], ids=["norm 2", "nuc", "inv", "svd", "eigvalsh"])
def test_spectral_norms_inv_svd_and_eigh_of_a_dual_of_two_dtypes_refuse_as_pytorch(call):
    fw = ad.autograd.forward_ad
    with fw.dual_level():
        dual = fw.make_dual(ad.tensor(Z.real.astype(np.float32)), ad.tensor(DZ.real))
        with pytest.raises(RuntimeError, match=r"forward AD: '\w+' of a dual tensor whose "
                                               r"tangent is float64 and primal float32.*"
                                               r"expected m1 and m2"):
            fw.unpack_dual(call(dual))
