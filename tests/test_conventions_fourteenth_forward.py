"""Forward mode through functions with several outputs, against PyTorch's conventions:
``torch.func.jvp`` gives every output a tangent of the output's own dtype (an integer,
bool or complex output that no tangent reaches: zeros of that dtype), and
``torch.autograd.forward_ad`` gives a real ``slogdet`` sign the tangent 0 (it is an
output of the differentiable op) and an integer output none (``None``).

Tangent values are compared with PyTorch's to 1e-10 relative: both run LAPACK in
float64, whose blocked kernels may round differently on other CPUs."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.forward_ad as fwAD

RNG = np.random.default_rng(14)
SQUARE = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
SQUARE_TANGENT = RNG.standard_normal((3, 3))
COMPLEX = SQUARE + 1j * RNG.standard_normal((3, 3))
COMPLEX_TANGENT = SQUARE_TANGENT + 1j * RNG.standard_normal((3, 3))
SYMMETRIC = SQUARE + SQUARE.T
SYMMETRIC_TANGENT = SQUARE_TANGENT + SQUARE_TANGENT.T
VECTOR = np.array([0.3, -1.2, 2.5, 0.7, -0.4])
VECTOR_TANGENT = RNG.standard_normal(5)


#: name -> (function of (library, x) giving a tuple of outputs, primal, tangent); the
#: same spelling runs on ad and on torch
MULTI_OUTPUT = {
    "slogdet": (lambda lib, x: tuple(lib.linalg.slogdet(x)), SQUARE, SQUARE_TANGENT),
    "slogdet complex": (lambda lib, x: tuple(lib.linalg.slogdet(x)), COMPLEX,
                        COMPLEX_TANGENT),
    "eigh": (lambda lib, x: tuple(lib.linalg.eigh(x)), SYMMETRIC, SYMMETRIC_TANGENT),
    "qr": (lambda lib, x: tuple(lib.linalg.qr(x)), SQUARE, SQUARE_TANGENT),
    "svd": (lambda lib, x: tuple(lib.linalg.svd(x)), SQUARE, SQUARE_TANGENT),
    "lu_factor": (lambda lib, x: tuple(lib.linalg.lu_factor(x)), SQUARE, SQUARE_TANGENT),
    "sort(dim=)": (lambda lib, x: tuple(lib.sort(x, dim=0)), VECTOR, VECTOR_TANGENT),
    "topk": (lambda lib, x: tuple(lib.topk(x, 2)), VECTOR, VECTOR_TANGENT),
    "max(dim=)": (lambda lib, x: tuple(lib.max(x, dim=0)), VECTOR, VECTOR_TANGENT),
    "median(dim=)": (lambda lib, x: tuple(lib.median(x, dim=0)), VECTOR, VECTOR_TANGENT),
    "frexp": (lambda lib, x: tuple(lib.frexp(x)), VECTOR, VECTOR_TANGENT),
    "kthvalue": (lambda lib, x: tuple(lib.kthvalue(x, 2)), VECTOR, VECTOR_TANGENT),
    "mode": (lambda lib, x: tuple(lib.mode(x)), VECTOR, VECTOR_TANGENT),
    "min(dim=)": (lambda lib, x: tuple(lib.min(x, dim=0)), VECTOR, VECTOR_TANGENT),
    "argsort": (lambda lib, x: (x + 1, lib.argsort(x)), VECTOR, VECTOR_TANGENT),
    "comparison": (lambda lib, x: (x * 2, x > 0), VECTOR, VECTOR_TANGENT),
    "complex constant": (lambda lib, x: (x * 2, lib.ones(2, dtype=lib.complex128)),
                         VECTOR, VECTOR_TANGENT),
}

#: outputs whose sign or order is a LAPACK choice (eigenvectors, Q, U, Vh, the LU
#: factors are PyTorch's and NumPy's own routines' but need not agree in sign): their
#: dtype and shape are compared, their values are not
SIGN_CHOSEN = {("eigh", 1), ("qr", 0), ("qr", 1), ("svd", 0), ("svd", 2)}


def _torch_jvp(name):
    torch = pytest.importorskip("torch")
    function, primal, tangent = MULTI_OUTPUT[name]
    _, tangents = torch.func.jvp(lambda x: function(torch, x), (torch.tensor(primal),),
                                 (torch.tensor(tangent),))
    return [t.numpy(force=True) for t in tangents]      # (a ZeroTensor too)


@pytest.mark.parametrize("name", list(MULTI_OUTPUT))
def test_func_jvp_gives_each_output_torchs_tangent_dtype_and_value(name):
    function, primal, tangent = MULTI_OUTPUT[name]
    theirs = _torch_jvp(name)
    _, ours = ad.func.jvp(lambda x: function(ad, x), (ad.tensor(primal),),
                          (ad.tensor(tangent),))
    assert len(ours) == len(theirs)
    for k, (mine, expected) in enumerate(zip(ours, theirs)):
        assert isinstance(mine, ad.Tensor)
        assert mine.shape == expected.shape
        # torch's lu_factor pivots are int32, NumPy's (and ours) int64: compare kinds
        assert mine.dtype.kind == expected.dtype.kind, (k, mine.dtype, expected.dtype)
        if (name, k) not in SIGN_CHOSEN:
            np.testing.assert_allclose(mine.data, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["frexp", "comparison", "complex constant", "sort(dim=)"])
def test_ad_jvp_gives_the_outputs_dtype_too(name):
    function, primal, tangent = MULTI_OUTPUT[name]
    outputs, tangents = ad.jvp(lambda x: function(ad, x), (primal,), (tangent,))
    for output, output_tangent in zip(outputs, tangents):
        assert output_tangent.dtype == output.dtype
        assert output_tangent.shape == output.shape
    # the zeros are exact zeros of that dtype, the reached ones J t
    assert not np.any(tangents[1])


def test_integer_tangents_are_zeros_of_the_outputs_own_dtype():
    values, exponents = ad.func.jvp(np.frexp, (ad.tensor(VECTOR),),
                                    (ad.tensor(VECTOR_TANGENT),))[1]
    np.testing.assert_array_equal(values.data, VECTOR_TANGENT / 2.0 ** np.frexp(VECTOR)[1])
    assert exponents.dtype == np.frexp(VECTOR)[1].dtype == np.int32
    np.testing.assert_array_equal(exponents.data, 0)


def test_modf_tangents_are_the_fraction_and_zero_for_the_integer_part():
    fraction, whole = ad.func.jvp(np.modf, (ad.tensor(VECTOR),),
                                  (ad.tensor(VECTOR_TANGENT),))[1]
    np.testing.assert_array_equal(fraction.data, VECTOR_TANGENT)
    assert whole.dtype == np.float64
    np.testing.assert_array_equal(whole.data, 0.0)


@pytest.mark.parametrize("primal, tangent", [(SQUARE, SQUARE_TANGENT),
                                              (COMPLEX, COMPLEX_TANGENT)],
                         ids=["real", "complex"])
def test_forward_ad_gives_slogdets_sign_torchs_tangent(primal, tangent):
    torch = pytest.importorskip("torch")
    tfw = torch.autograd.forward_ad
    with tfw.dual_level():
        sign, logabsdet = torch.linalg.slogdet(tfw.make_dual(torch.tensor(primal),
                                                             torch.tensor(tangent)))
        theirs = [tfw.unpack_dual(sign).tangent.numpy(force=True),
                  tfw.unpack_dual(logabsdet).tangent.numpy(force=True)]
    with fwAD.dual_level():
        sign, logabsdet = ad.linalg.slogdet(fwAD.make_dual(ad.tensor(primal),
                                                           ad.tensor(tangent)))
        ours = [fwAD.unpack_dual(sign).tangent, fwAD.unpack_dual(logabsdet).tangent]
    for mine, expected in zip(ours, theirs):
        assert mine is not None and mine.dtype == expected.dtype
        np.testing.assert_allclose(mine.data, expected, rtol=1e-10, atol=1e-12)
    if primal is SQUARE:
        assert ours[0].item() == 0.0


def test_forward_ad_leaves_integer_outputs_without_a_tangent_as_torch():
    torch = pytest.importorskip("torch")
    tfw = torch.autograd.forward_ad
    with tfw.dual_level():
        dual = tfw.make_dual(torch.tensor(VECTOR), torch.tensor(VECTOR_TANGENT))
        theirs = [tfw.unpack_dual(out).tangent for out in
                  (*torch.sort(dual), *torch.frexp(dual), *torch.max(dual, dim=0))]
    with fwAD.dual_level():
        dual = fwAD.make_dual(ad.tensor(VECTOR), ad.tensor(VECTOR_TANGENT))
        ours = [fwAD.unpack_dual(out).tangent for out in
                (*ad.sort(dual, dim=0), *ad.frexp(dual), *ad.max(dual, dim=0))]
    assert [t is None for t in ours] == [t is None for t in theirs] == [
        False, True, False, True, False, True]
    for mine, expected in zip(ours, theirs):
        if expected is not None:
            np.testing.assert_allclose(mine.data, expected.numpy(), rtol=1e-15)


def test_a_real_slogdet_sign_requires_grad_with_gradient_zero_as_torch():
    torch = pytest.importorskip("torch")
    theirs_input = torch.tensor(SQUARE, requires_grad=True)
    sign, logabsdet = torch.linalg.slogdet(theirs_input)
    (3.0 * sign + logabsdet).backward()
    x = ad.tensor(SQUARE, requires_grad=True)
    ours_sign, ours_logabsdet = ad.linalg.slogdet(x)
    assert ours_sign.requires_grad == sign.requires_grad is True
    (3.0 * ours_sign + ours_logabsdet).backward()
    np.testing.assert_allclose(x.grad, theirs_input.grad.numpy(), rtol=1e-10)
    np.testing.assert_array_equal(ad.grad(lambda a: ad.linalg.slogdet(a).sign)(SQUARE), 0.0)
