"""Complex twins of inv, det, slogdet, solve, cholesky and logsumexp
(autodiff/ops/complex_linalg.py), and sum/mean with a complex ``dtype=``: gradients of
two real losses against central differences over the real and imaginary parts
(float64), and values, gradients and second derivatives against PyTorch's."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import autodiff as ad

from complex_checks import (central_differences, check_against_central_differences,
                            check_against_torch, sample)

_no_error = contextlib.nullcontext


def _matrices(shape):
    """Complex matrices (..., n, n) away from singular."""
    return sample(shape) + 3 * np.eye(shape[-1])


def _hermitian_positive(lib, b):
    """b b^H + n I, Hermitian positive definite, written for autodiff and PyTorch."""
    n = b.shape[-1]
    eye = (ad.tensor(np.eye(n, dtype=b.data.real.dtype)) if lib is ad
           else lib.eye(n, dtype=lib.float64))
    return b @ b.conj().swapaxes(-1, -2) + n * eye


def _slogdet_both(linalg, a):
    sign, logabsdet = linalg.slogdet(a)
    return sign * logabsdet


#: name -> (function of (library namespace, its linalg), inputs' shapes)
FUNCTIONS = {
    "inv": (lambda lib, linalg, a: linalg.inv(a), [(3, 3)]),
    "det": (lambda lib, linalg, a: linalg.det(a), [(3, 3)]),
    "slogdet sign": (lambda lib, linalg, a: linalg.slogdet(a)[0], [(3, 3)]),
    "slogdet logabsdet": (lambda lib, linalg, a: linalg.slogdet(a)[1], [(3, 3)]),
    "slogdet sign * logabsdet": (lambda lib, linalg, a: _slogdet_both(linalg, a), [(3, 3)]),
    "solve matrix": (lambda lib, linalg, a, b: linalg.solve(a, b), [(3, 3), (3, 2)]),
    "solve vector": (lambda lib, linalg, a, b: linalg.solve(a, b), [(3, 3), (3,)]),
    "cholesky of b b^H": (
        lambda lib, linalg, b: linalg.cholesky(_hermitian_positive(lib, b)), [(3, 3)]),
    "cholesky upper of b b^H": (
        lambda lib, linalg, b: linalg.cholesky(_hermitian_positive(lib, b), upper=True),
        [(3, 3)]),
    "matrix_power -2": (lambda lib, linalg, a: linalg.matrix_power(a, -2), [(3, 3)]),
    "matrix_power 5": (lambda lib, linalg, a: linalg.matrix_power(a, 5), [(3, 3)]),
    "logsumexp": (lambda lib, linalg, x: lib.logsumexp(x, dim=-1), [(2, 3)]),
    "logsumexp keepdim": (lambda lib, linalg, x: lib.logsumexp(x, dim=0, keepdim=True),
                          [(2, 3)]),
}


def _inputs(name, shapes, batch=()):
    arrays = []
    for shape in shapes:
        full = shape if len(shape) == 1 else batch + shape   # (a 1-D b is one vector)
        is_matrix = len(shape) == 2 and shape[0] == shape[1]
        arrays.append(_matrices(full) if is_matrix and "logsumexp" not in name
                      else sample(full))
    return arrays


def _ours(name):
    function = FUNCTIONS[name][0]
    return lambda *tensors: function(ad, ad.linalg, *tensors)


def _theirs(name):
    import torch
    function = FUNCTIONS[name][0]
    return lambda *tensors: function(torch, torch.linalg, *tensors)


@pytest.mark.parametrize("batch", [(), (2,)], ids=str)
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_gradients_match_central_differences(name, batch):
    check_against_central_differences(_ours(name), _inputs(name, FUNCTIONS[name][1], batch),
                                      rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("batch", [(), (2,)], ids=str)
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_values_gradients_and_second_order_match_torch(name, batch):
    pytest.importorskip("torch")
    check_against_torch(_ours(name), _theirs(name), _inputs(name, FUNCTIONS[name][1], batch),
                        rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_gradient_is_on_the_triangle_it_reads(upper):
    # NumPy reads one triangle, and the real part of the diagonal: the gradient is
    # there (central differences of the function itself), 0 on the other triangle
    a = _hermitian_positive(np, sample((3, 3)))
    check_against_central_differences(lambda t: ad.linalg.cholesky(t, upper=upper), [a])
    t = ad.tensor(a, requires_grad=True)
    (ad.linalg.cholesky(t, upper=upper).abs() ** 2).sum().backward()
    unread = np.tril(np.ones((3, 3)), -1) if upper else np.triu(np.ones((3, 3)), 1)
    assert np.all(t.grad[unread == 1] == 0)
    assert np.all(np.diagonal(t.grad).imag == 0)


def test_singular_det_gradient_is_the_conjugate_cofactor_matrix():
    torch = pytest.importorskip("torch")
    u = sample((3, 1))
    a = u @ sample((1, 3))                    # rank 1: det 0, cofactors 0 too
    a[:, 2] = sample((3,))                    # rank 2: det 0, cofactors not 0
    t, t_torch = ad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (ad.linalg.det(t).real + 2 * ad.linalg.det(t).imag).backward()
    d = torch.linalg.det(t_torch)
    (d.real + 2 * d.imag).backward()
    np.testing.assert_allclose(t.grad, t_torch.grad.numpy(), rtol=1e-8, atol=1e-10)
    assert np.abs(t.grad).max() > 0.1


@pytest.mark.parametrize("exactly", [True, False], ids=["inv raises", "inv does not"])
def test_singular_det_second_order_matches_central_differences(exactly):
    # |d Re det / d a|^2 summed, differentiated again; PyTorch's second order at a
    # singular matrix perturbs its LU factors, so the reference is the first gradient's
    # central differences
    a = sample((3, 3))
    a[2] = 0 if exactly else a[0] + 2j * a[1]
    with pytest.raises(np.linalg.LinAlgError) if exactly else _no_error():
        np.linalg.inv(a)

    def size_of_gradient(values):
        t = ad.tensor(values, requires_grad=True)
        (g,) = ad.autograd.grad(ad.linalg.det(t).real, [t], create_graph=True)
        return (g.abs() ** 2).sum(), t
    size, t = size_of_gradient(a)
    (second,) = ad.autograd.grad(size, [t])
    (want,) = central_differences(lambda v: size_of_gradient(v)[0].item(), [a])
    np.testing.assert_allclose(second, want, rtol=1e-6, atol=1e-7)


def test_slogdet_of_a_complex_matrix_has_numpy_values_and_a_complex_sign():
    a = _matrices((2, 3, 3))
    sign, logabsdet = ad.linalg.slogdet(ad.tensor(a, requires_grad=True))
    want_sign, want_log = np.linalg.slogdet(a)
    assert sign.dtype == np.complex128 and logabsdet.dtype == np.float64
    assert sign.requires_grad and logabsdet.requires_grad
    np.testing.assert_allclose(sign.data, want_sign, rtol=1e-13)
    np.testing.assert_allclose(logabsdet.data, want_log, rtol=1e-13)


def test_logsumexp_values_match_torch_where_imaginary_parts_wrap():
    torch = pytest.importorskip("torch")
    x = np.array([[1 + 3j, 2 + 3.1j, -1 - 3j], [50 + 1j, 50 - 2j, 0j]])
    for dim in (0, 1, None):
        ours = ad.logsumexp(ad.tensor(x), dim=dim).data
        theirs = (torch.logsumexp(torch.tensor(x), dim=(0, 1) if dim is None else dim)
                  .numpy())
        np.testing.assert_allclose(ours, theirs, rtol=1e-13)


@pytest.mark.parametrize("name", ["inv", "det", "solve matrix", "logsumexp",
                                  "cholesky of b b^H", "slogdet sign * logabsdet"])
def test_complex64_keeps_its_dtype_and_agrees_with_complex128(name):
    arrays = _inputs(name, FUNCTIONS[name][1], (2,))
    results = []
    for dtype in (np.complex64, np.complex128):
        tensors = [ad.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
        out = _ours(name)(*tensors)
        (out.real.sum() + 2 * out.imag.sum()).backward()
        assert out.dtype == dtype
        assert all(t.grad.dtype == dtype for t in tensors)
        results.append([out.data] + [t.grad for t in tensors])
    for low, high in zip(*results):
        np.testing.assert_allclose(low, high, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_sum_and_mean_with_a_complex_dtype_match_torch(reduction):
    # (of a complex64 input: PyTorch's backward of a real input summed with a complex
    # dtype fails; ours gives the real part, checked against central differences below)
    torch = pytest.importorskip("torch")
    dtype = np.complex64
    values = sample((2, 3)).astype(dtype)
    t, t_torch = ad.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    out = getattr(ad, reduction)(t, dim=1, dtype=np.complex128)
    out_t = getattr(torch, reduction)(t_torch, dim=1, dtype=torch.complex128)
    assert out.dtype == np.complex128
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-6)
    (out.real.sum() + 2 * out.imag.sum()).backward()
    (out_t.real.sum() + 2 * out_t.imag.sum()).backward()
    assert t.grad.dtype == dtype
    np.testing.assert_allclose(t.grad, t_torch.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_sum_and_mean_with_a_complex_dtype_match_central_differences(reduction):
    for values in (sample((2, 3), complex_values=False), sample((2, 3))):
        check_against_central_differences(
            lambda t: getattr(ad, reduction)(t * t, axis=0, dtype=np.complex128) * (1 + 2j),
            [values])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_complex_values_refuses_as_in_torch(name):
    torch = pytest.importorskip("torch")
    values = sample((3,))
    with pytest.raises(TypeError, match=rf"^{name}: expected floating-point values.*complex"):
        getattr(ad, name)(ad.tensor(values, requires_grad=True), -1)
    with pytest.raises(RuntimeError, match="not implemented for 'ComplexDouble'"):
        getattr(torch, name)(torch.tensor(values), -1)


def test_real_inputs_still_give_real_results_and_gradients():
    a = ad.tensor(np.eye(3) * 2 + 0.1, requires_grad=True)
    sign, logabsdet = ad.linalg.slogdet(a)
    assert sign.dtype == np.float64 and sign.requires_grad     # (as PyTorch's)
    total = ad.linalg.det(a) + logabsdet + ad.linalg.inv(a).sum() + ad.logsumexp(a)
    total.backward()
    assert a.grad.dtype == np.float64


def test_solve_with_a_real_matrix_and_a_complex_right_side():
    # the real matrix gets the real part of its complex gradient
    a, b = sample((3, 3), complex_values=False) + 3 * np.eye(3), sample((3, 2))
    check_against_central_differences(lambda a, b: ad.linalg.solve(a, b), [a, b])


def test_sum_and_mean_with_a_real_dtype_differentiate_back_to_the_inputs_dtype():
    # (their rules took no dtype= and raised at backward; NumPy's np.sum casts first)
    x = ad.tensor(np.array([1.0, 2.0, 4.0]), requires_grad=True)
    for reduce, expected in ((ad.sum, np.ones(3)), (ad.mean, np.full(3, np.float32(1 / 3)))):
        y = reduce(x, dtype=np.float32)
        assert y.dtype == np.float32
        y.backward()
        assert x.grad.dtype == np.float64
        np.testing.assert_array_equal(x.grad, expected)
        x.grad = None
