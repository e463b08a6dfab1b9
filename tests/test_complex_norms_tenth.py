"""Complex matrix norms (2, -2, 'nuc'), cond, pinv and lstsq (the twins of
autodiff/ops/complex_least_squares.py, and svdvals'), and matrix_rank of complex
matrices: values as NumPy's (bitwise: the same LAPACK calls and reductions), gradients
of two real losses against central differences over the real and imaginary parts
(complex128), second order, and values, gradients and second order against PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

from complex_checks import (central_differences, check_against_central_differences,
                            check_against_torch, complex_losses, sample)


def _cond_through_norms(lib, linalg, a, p):
    """norm(a, p) * norm(inv(a), p): NumPy's cond for p other than None, 2, -2 (PyTorch's
    own cond raises in its backward for these, so it is compared in this form)."""
    if lib is ad:
        return linalg.cond(a, p)
    return linalg.matrix_norm(a, p) * linalg.matrix_norm(linalg.inv(a), p)


def _lstsq(lib, linalg, a, b, which):
    if lib is ad:
        return linalg.lstsq(a, b)[which]
    return linalg.lstsq(a, b, driver="gelsd")[which]   # (NumPy's LAPACK routine)


#: name -> (function of (library namespace, its linalg, *tensors), shapes, batched)
FUNCTIONS = {
    "norm 2": (lambda lib, linalg, a: linalg.norm(a, 2), [(3, 2)], False),
    "norm -2": (lambda lib, linalg, a: linalg.norm(a, -2), [(2, 3)], False),
    "norm nuc": (lambda lib, linalg, a: linalg.norm(a, "nuc"), [(3, 3)], False),
    "norm 2 of a column": (lambda lib, linalg, a: linalg.norm(a, 2), [(3, 1)], False),
    "norm nuc of a row": (lambda lib, linalg, a: linalg.norm(a, "nuc"), [(1, 3)], False),
    "norm 2 dim=(0, 1) keepdim": (
        lambda lib, linalg, a: linalg.norm(a, 2, dim=(0, 1), keepdim=True), [(3, 2)], False),
    "matrix_norm 2": (lambda lib, linalg, a: linalg.matrix_norm(a, 2), [(3, 2)], True),
    "matrix_norm -2": (lambda lib, linalg, a: linalg.matrix_norm(a, -2), [(3, 3)], True),
    "matrix_norm nuc": (lambda lib, linalg, a: linalg.matrix_norm(a, "nuc"), [(2, 3)], True),
    "cond": (lambda lib, linalg, a: linalg.cond(a), [(3, 3)], True),
    "cond 2 of a tall matrix": (lambda lib, linalg, a: linalg.cond(a, 2), [(3, 2)], False),
    "cond -2": (lambda lib, linalg, a: linalg.cond(a, -2), [(3, 3)], True),
    "cond 1": (lambda lib, linalg, a: _cond_through_norms(lib, linalg, a, 1), [(3, 3)], True),
    "cond -inf": (lambda lib, linalg, a: _cond_through_norms(lib, linalg, a, -np.inf),
                  [(3, 3)], False),
    "cond fro": (lambda lib, linalg, a: _cond_through_norms(lib, linalg, a, "fro"),
                 [(3, 3)], False),
    "cond nuc": (lambda lib, linalg, a: _cond_through_norms(lib, linalg, a, "nuc"),
                 [(3, 3)], False),
    "pinv tall": (lambda lib, linalg, a: linalg.pinv(a), [(3, 2)], True),
    "pinv wide": (lambda lib, linalg, a: linalg.pinv(a), [(2, 3)], True),
    "pinv square": (lambda lib, linalg, a: linalg.pinv(a), [(3, 3)], False),
    "pinv of a column": (lambda lib, linalg, a: linalg.pinv(a), [(3, 1)], False),
    "lstsq x tall": (lambda lib, linalg, a, b: _lstsq(lib, linalg, a, b, 0),
                     [(4, 2), (4, 2)], False),
    "lstsq x wide": (lambda lib, linalg, a, b: _lstsq(lib, linalg, a, b, 0),
                     [(2, 3), (2, 2)], False),
    "lstsq residuals": (lambda lib, linalg, a, b: _lstsq(lib, linalg, a, b, 1),
                        [(4, 2), (4, 3)], False),
}

#: lstsq with a 1-D b, and its singular values (PyTorch's lstsq takes a matrix b and
#: gives its singular values no gradient): central differences only
LSTSQ_ONLY_OURS = {
    "lstsq x of a vector b": (lambda t, b: ad.linalg.lstsq(t, b)[0], [(4, 3), (4,)]),
    "lstsq residuals of a vector b": (lambda t, b: ad.linalg.lstsq(t, b)[1], [(4, 3), (4,)]),
    "lstsq singular values": (lambda t, b: ad.linalg.lstsq(t, b)[3], [(4, 2), (4, 2)]),
    "lstsq x, residuals and s": (
        lambda t, b: (lambda r: r[0].sum() * r[1].sum() + r[3].sum())(ad.linalg.lstsq(t, b)),
        [(3, 2), (3, 2)]),
}


def _inputs(shapes, batch=()):
    return [sample(batch + shape if len(shape) == 2 else shape) for shape in shapes]


def _run_by(library, name):
    """``FUNCTIONS[name]`` as a function of tensors of ``library`` (autodiff or torch)."""
    function = FUNCTIONS[name][0]
    return lambda *tensors: function(library, library.linalg, *tensors)


def _batches(name):
    return [(), (2,)] if FUNCTIONS[name][2] else [()]


CASES = [(name, batch) for name in FUNCTIONS for batch in _batches(name)]


@pytest.mark.parametrize("name, batch", CASES, ids=str)
def test_gradients_match_central_differences(name, batch):
    check_against_central_differences(_run_by(ad, name), _inputs(FUNCTIONS[name][1], batch))


@pytest.mark.parametrize("name", sorted(LSTSQ_ONLY_OURS))
def test_lstsq_gradients_match_central_differences(name):
    function, shapes = LSTSQ_ONLY_OURS[name]
    check_against_central_differences(function, _inputs(shapes))


@pytest.mark.parametrize("name, batch", CASES, ids=str)
def test_values_gradients_and_second_order_match_torch(name, batch):
    torch = pytest.importorskip("torch")
    check_against_torch(_run_by(ad, name), _run_by(torch, name), _inputs(FUNCTIONS[name][1], batch),
                        rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("name", ["norm 2", "norm -2", "norm nuc", "cond", "cond 1",
                                  "pinv tall", "pinv wide", "lstsq x tall",
                                  "lstsq residuals"])
def test_second_order_matches_central_differences_of_the_gradient(name):
    function = _run_by(ad, name)
    arrays = _inputs(FUNCTIONS[name][1])

    def size_of_gradient(*values, create_graph=False):
        tensors = [ad.tensor(v, requires_grad=True) for v in values]
        grads = ad.autograd.grad(complex_losses(function(*tensors))[0], tensors,
                                 create_graph=create_graph)
        return tensors, sum((g.abs() ** 2).sum() for g in grads)

    tensors, size = size_of_gradient(*arrays, create_graph=True)
    second = ad.autograd.grad(size, tensors)
    want = central_differences(lambda *v: size_of_gradient(*v)[1].item(), arrays)
    for got, expected in zip(second, want):
        np.testing.assert_allclose(got.data, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("function", [
    lambda t: ad.linalg.norm(t * (1 + 0.5j), 2), lambda t: ad.linalg.pinv(t[:2] * 1j + t[1:]),
    lambda t: ad.linalg.lstsq(t * (2 - 1j), t[:, 0])[0]], ids=["norm 2", "pinv", "lstsq"])
def test_a_real_input_gets_the_real_part(function):
    check_against_central_differences(function, [sample((3, 2), complex_values=False)])


def _hermitian(n):
    a = sample((n, n))
    return a + a.conj().T + n * np.eye(n)


def test_hermitian_pinv_gradient_is_on_what_numpy_reads():
    # the lower triangle and the real part of the diagonal (LAPACK's eigh): central
    # differences of the function itself, 0 on the upper triangle, real on the diagonal
    a = _hermitian(3)
    a[0, 2] += 5 - 2j                          # (not read)
    a[1, 1] += 3j                              # (its imaginary part not read)
    check_against_central_differences(lambda t: ad.linalg.pinv(t, hermitian=True), [a])
    t = ad.tensor(a, requires_grad=True)
    (ad.linalg.pinv(t, hermitian=True).abs() ** 2).sum().backward()
    assert np.all(t.grad[np.triu_indices(3, 1)] == 0)
    assert np.all(np.diagonal(t.grad).imag == 0) and np.abs(t.grad).min() >= 0
    assert np.abs(np.tril(t.grad, -1)).min(initial=np.inf, where=np.tri(3, k=-1) == 1) > 0


def test_hermitian_pinv_gradient_is_torch_s_folded_onto_the_lower_triangle():
    torch = pytest.importorskip("torch")
    a = _hermitian(3)
    t, t_torch = ad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ours = ad.linalg.pinv(t, hermitian=True)
    theirs = torch.linalg.pinv(t_torch, hermitian=True)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    complex_losses(ours)[1].backward()
    complex_losses(theirs, torch)[1].backward()
    g = t_torch.grad.numpy()                   # PyTorch's: of the whole Hermitian matrix
    folded = np.tril(g + g.conj().T, -1) + np.diag(np.diagonal(g).real)
    np.testing.assert_allclose(t.grad, folded, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("order", [2, -2, "nuc"])
def test_norm_values_are_numpy_s_bitwise(order):
    z = sample((2, 3, 4))
    t = ad.tensor(z, requires_grad=True)
    for ours, theirs in [
            (ad.linalg.norm(t, order, axis=(1, 2)), np.linalg.norm(z, order, axis=(1, 2))),
            (ad.linalg.norm(t, order, axis=(2, 0), keepdims=True),
             np.linalg.norm(z, order, axis=(2, 0), keepdims=True)),
            (ad.linalg.matrix_norm(t, ord=order), np.linalg.matrix_norm(z, ord=order)),
            (np.linalg.norm(t[1], order), np.linalg.norm(z[1], order)),     # NumPy's dispatch
            (ad.linalg.norm(ad.tensor(z[0]), order), np.linalg.norm(z[0], order))]:
        assert ours.dtype == theirs.dtype == np.float64
        assert np.array_equal(ours.data, theirs)
    small = z.astype(np.complex64)
    ours = ad.linalg.norm(ad.tensor(small, requires_grad=True), order, axis=(1, 2))
    assert ours.dtype == np.float32
    assert np.array_equal(ours.data, np.linalg.norm(small, order, axis=(1, 2)))


@pytest.mark.parametrize("p", [None, 2, -2, 1, -1, np.inf, -np.inf, "fro", "nuc"])
def test_cond_values_are_numpy_s_bitwise(p):
    z = sample((2, 3, 3))
    ours = ad.linalg.cond(ad.tensor(z, requires_grad=True), p)
    assert ours.requires_grad and ours.dtype == np.float64
    assert np.array_equal(ours.data, np.linalg.cond(z, p))
    assert np.array_equal(np.linalg.cond(ad.tensor(z[0]), p).data, np.linalg.cond(z[0], p))


def test_pinv_and_lstsq_values_are_numpy_s_bitwise():
    z = sample((2, 3, 4))
    t = ad.tensor(z, requires_grad=True)
    for options in ({}, {"rcond": 1e-3}, {"rtol": 1e-4}):
        assert np.array_equal(ad.linalg.pinv(t, **options).data, np.linalg.pinv(z, **options))
    h = _hermitian(3)
    assert np.array_equal(np.linalg.pinv(ad.tensor(h, requires_grad=True), hermitian=True).data,
                          np.linalg.pinv(h, hermitian=True))
    small = z.astype(np.complex64)
    ours = ad.linalg.pinv(ad.tensor(small, requires_grad=True))
    assert ours.dtype == np.complex64 and np.array_equal(ours.data, np.linalg.pinv(small))
    a, b = sample((5, 3)), sample((5, 2))
    x, residuals, rank, s = ad.linalg.lstsq(ad.tensor(a, requires_grad=True), b)
    want = np.linalg.lstsq(a, b)
    for ours, theirs in zip((x, residuals, s), (want[0], want[1], want[3])):
        assert ours.dtype == theirs.dtype and np.array_equal(ours.data, theirs)
    assert rank == want[2] == 3 and x.requires_grad and residuals.requires_grad


def test_lstsq_of_a_rank_deficient_complex_matrix_is_numpy_s_with_the_cut_gradient():
    u, v = sample((4, 2)), sample((2, 3))
    a, b = u @ v, sample((4, 2))                 # rank 2 of 3: no residuals
    x, residuals, rank, s = ad.linalg.lstsq(ad.tensor(a, requires_grad=True), b)
    want = np.linalg.lstsq(a, b)
    assert rank == want[2] == 2 and residuals.shape == (0,)
    np.testing.assert_array_equal(x.data, want[0])
    # the gradient of x = pinv(a) b with pinv cut at the rank: that of pinv(a) @ b
    t, t_pinv = ad.tensor(a, requires_grad=True), ad.tensor(a, requires_grad=True)
    (ad.linalg.lstsq(t, b)[0].abs() ** 2).sum().backward()
    ((ad.linalg.pinv(t_pinv) @ b).abs() ** 2).sum().backward()
    np.testing.assert_allclose(t.grad, t_pinv.grad, rtol=1e-8, atol=1e-10)


def test_matrix_rank_of_complex_matrices_is_numpy_s_without_a_gradient():
    full, low = sample((2, 3, 3)), sample((3, 1)) @ sample((1, 3))
    near_low = low + 1e-9 * sample((3, 3))
    for values, options in ((full, {}), (low, {}), (low, {"tol": 1e-3}),
                            (_hermitian(3), {"hermitian": True}), (near_low, {"rtol": 1e-6})):
        ours = ad.linalg.matrix_rank(ad.tensor(values, requires_grad=True), **options)
        assert not getattr(ours, "requires_grad", False)
        np.testing.assert_array_equal(getattr(ours, "data", ours),
                                      np.linalg.matrix_rank(values, **options))
    assert ad.linalg.matrix_rank(ad.tensor(low, requires_grad=True)) == 1


@pytest.mark.parametrize("name, function", [
    ("norm 2", lambda t: ad.linalg.norm(t, 2)), ("norm nuc", lambda t: ad.linalg.norm(t, "nuc")),
    ("cond", ad.linalg.cond), ("pinv", ad.linalg.pinv)],
    ids=lambda v: v if isinstance(v, str) else "")
def test_dual_numbers_match_central_differences(name, function):
    import autodiff.forward_ad as fwAD
    z, tangent = sample((3, 3)), sample((3, 3))
    with fwAD.dual_level():
        got = fwAD.unpack_dual(function(fwAD.make_dual(ad.tensor(z), ad.tensor(tangent)))).tangent
    with ad.no_grad():
        want = (function(ad.tensor(z + 1e-6 * tangent)).data
                - function(ad.tensor(z - 1e-6 * tangent)).data) / 2e-6
    np.testing.assert_allclose(got.data, want, rtol=1e-6, atol=1e-7)


def test_cutoffs_that_break_the_gradient_still_refuse_for_complex_matrices():
    a = np.diag([2.0, 1.0, 1e-3]) * (1 + 1j)
    t = ad.tensor(a, requires_grad=True)
    with pytest.raises(ValueError, match=r"^pinv: rcond=0\.01 drops the nonzero singular value"):
        ad.linalg.pinv(t, rcond=1e-2)
    with pytest.raises(ValueError, match=r"^lstsq: rcond=0\.01 treats the singular value"):
        ad.linalg.lstsq(t, sample((3,)), rcond=1e-2)
    singular = np.array([[1 + 1j, 2j], [1 + 1j, 2j]])         # (equal rows)
    with pytest.raises(np.linalg.LinAlgError, match=r"^cond: the matrix of shape \(2, 2\) is "
                                                    r"singular"):
        ad.linalg.cond(ad.tensor(singular, requires_grad=True), 1)


def test_the_refusal_lists_pinv_lstsq_and_the_norms_and_other_linalg_still_refuses():
    z = ad.tensor(sample((3, 3)), requires_grad=True)
    with pytest.raises(TypeError, match=r"qr, pinv, lstsq \(and through them norm and "
                                        r"matrix_norm of every ord, and cond\)"):
        ad.relu(z)
    for name, refused in (("matrix_exp", ad.linalg.matrix_exp),
                          ("lu_factor_ex", ad.linalg.lu_factor)):
        with pytest.raises(TypeError, match=rf"^{name}: complex input is not supported"):
            refused(z)


def test_compiled_steps_replay_the_complex_twins_bitwise():
    def step(t):
        loss = ((ad.linalg.pinv(t).abs() ** 2).sum() + ad.linalg.norm(t, 2)
                + ad.linalg.cond(t) + ad.linalg.cond(t, 1))
        loss.backward()
        return loss

    compiled = ad.compile(step)
    for values in (sample((3, 3)), sample((3, 3)), sample((3, 3))):
        t, t_eager = ad.tensor(values, requires_grad=True), ad.tensor(values, requires_grad=True)
        assert compiled(t).item() == step(t_eager).item()
        assert np.array_equal(t.grad, t_eager.grad)
