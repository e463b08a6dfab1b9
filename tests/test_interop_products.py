"""Products, joining/splitting and np.linalg called the NumPy way on Tensors: each
call is recorded, agrees with NumPy on the raw arrays, and is gradchecked."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(7)
A = RNG.standard_normal((3, 3))
SPD = A @ A.T + 3 * np.eye(3)
SYM = np.array([[2.0, 0.5, 0.1], [0.5, -1.0, 0.3], [0.1, 0.3, 4.0]])
TALL = RNG.standard_normal((4, 3))


def _sum_all(result):
    """One scalar from a result that may be a tuple or list of Tensors."""
    if isinstance(result, (tuple, list)):
        return sum((r * (i + 1)).sum() for i, r in enumerate(result))
    return result


CALLS = {
    "inner": (lambda t: np.inner(t, t + 1), A),
    "outer": (lambda t: np.outer(t, t[0]), A),
    "tensordot int": (lambda t: np.tensordot(t, t, 1), A),
    "tensordot pairs": (lambda t: np.tensordot(t, t, axes=([0, 1], [1, 0])), A),
    "tensordot pair of ints": (lambda t: np.tensordot(t, t, axes=(0, 1)), A),
    "kron": (lambda t: np.kron(t, t[:2, :2]), A),
    "cross": (lambda t: np.cross(t, t[::-1]), A),
    "cross axis": (lambda t: np.cross(t, t * t, axis=0), A),
    "einsum string": (lambda t: np.einsum("ij,jk->ik", t, t), A),
    "einsum sublist": (lambda t: np.einsum(t, [0, 1], t, [1, 2], [0, 2]), A),
    "einsum sublist implicit": (lambda t: np.einsum(t, [0, 1], t, [1, 2]), A),
    "einsum trace sublist": (lambda t: np.einsum(t, [0, 0]), A),
    "einsum ellipsis diagonal": (lambda t: np.einsum("...ii->...i", t[None]), A),
    "einsum optimize": (lambda t: np.einsum("ij,jk,kl", t, t, t, optimize=True), A),
    "linalg.tensordot": (lambda t: np.linalg.tensordot(t, t, axes=1), A),
    "linalg.outer": (lambda t: np.linalg.outer(t[0], t[1]), A),
    "linalg.cross": (lambda t: np.linalg.cross(t, t * t), A),
    "vstack": (lambda t: np.vstack([t, t[0]]), A),
    "hstack": (lambda t: np.hstack([t, t[:, :1]]), A),
    "column_stack": (lambda t: np.column_stack([t[0], t[1] * 2]), A),
    "dstack": (lambda t: np.dstack([t, t * 2]), A),
    "append": (lambda t: np.append(t, t[0] * 3), A),
    "append axis": (lambda t: np.append(t, t[:1] * 3, axis=0), A),
    "atleast_1d": (lambda t: np.atleast_1d(t[0, 0]), A),
    "atleast_2d": (lambda t: np.atleast_2d(t[0]), A),
    "atleast_3d several": (lambda t: np.atleast_3d(t, t[0]), A),
    "array_split": (lambda t: np.array_split(t, 2, axis=1), A),
    "vsplit": (lambda t: np.vsplit(t, [1]), A),
    "hsplit": (lambda t: np.hsplit(t, 3), A),
    "dsplit": (lambda t: np.dsplit(t[None], [2]), A),
    "split negative index": (lambda t: np.split(t, [-1]), A),
    "linalg.solve": (lambda t: np.linalg.solve(t + 3 * np.eye(3), t[0]), A),
    "linalg.solve matrix": (lambda t: np.linalg.solve(t + 3 * np.eye(3), t.T), A),
    "linalg.det": (lambda t: np.linalg.det(t), A),
    "linalg.slogdet": (lambda t: np.linalg.slogdet(t)[1], A),
    "linalg.inv": (lambda t: np.linalg.inv(t + 3 * np.eye(3)), A),
    "linalg.cholesky": (lambda t: np.linalg.cholesky(t), SPD),
    "linalg.cholesky upper": (lambda t: np.linalg.cholesky(t, upper=True), SPD),
    "linalg.eigh values": (lambda t: np.linalg.eigh(t).eigenvalues, SYM),
    "linalg.eigh vectors": (lambda t: np.linalg.eigh(t, UPLO="U")[1] ** 2, SYM),
    "linalg.eigvalsh": (lambda t: np.linalg.eigvalsh(t, "U"), SYM),
    "linalg.svd": (lambda t: np.linalg.svd(t, full_matrices=False).S, TALL),
    "linalg.svd U @ Vh": (lambda t: (lambda r: r.U @ r.Vh)(np.linalg.svd(t, False)), TALL),
    "linalg.svd values only": (lambda t: np.linalg.svd(t, compute_uv=False), TALL),
    "linalg.svdvals": (lambda t: np.linalg.svdvals(t), TALL),
    "linalg.pinv": (lambda t: np.linalg.pinv(t), TALL),
    "linalg.pinv hermitian": (lambda t: np.linalg.pinv(t, hermitian=True), SYM),
    "linalg.svd hermitian": (lambda t: np.linalg.svd(t, hermitian=True).S, SYM),
    "linalg.svd hermitian U @ Vh": (
        lambda t: (lambda r: r.U @ r.Vh)(np.linalg.svd(t, hermitian=True)), SYM),
    "linalg.svd hermitian values only": (
        lambda t: np.linalg.svd(t, compute_uv=False, hermitian=True), SYM),
    "linalg.norm": (lambda t: np.linalg.norm(t), A),
    "linalg.norm nuc": (lambda t: np.linalg.norm(t, "nuc"), A),
    "linalg.norm 3 axis keepdims": (lambda t: np.linalg.norm(t, 3, axis=1, keepdims=True), A),
    "linalg.matrix_norm": (lambda t: np.linalg.matrix_norm(t, ord=-np.inf), A),
    "linalg.vector_norm": (lambda t: np.linalg.vector_norm(t, axis=(1, 0), ord=1), A),
    "linalg.qr": (lambda t: np.linalg.qr(t), A),
    "linalg.qr r": (lambda t: np.linalg.qr(t, mode="r"), TALL),
    "linalg.qr wide": (lambda t: np.linalg.qr(t.T), TALL),
    "vecdot": (lambda t: np.vecdot(t, t[0] + 1), A),
    "vecdot axis": (lambda t: np.vecdot(t, t * t, axis=0), A),
    "linalg.vecdot": (lambda t: np.linalg.vecdot(t[:1], t, axis=-1), A),
    "matvec": (lambda t: np.matvec(t, t[1]), A),
    "matvec batched": (lambda t: np.matvec(np.stack([t, t.T]), t[:, 0]), A),
    "vecmat": (lambda t: np.vecmat(t[2], t), A),
    "linalg.multi_dot": (lambda t: np.linalg.multi_dot([t[0], t, t.T, t, t[:, 1]]), A),
    "linalg.multi_dot two": (lambda t: np.linalg.multi_dot([t, t[:, :2]]), A),
    "linalg.multi_dot three": (lambda t: np.linalg.multi_dot([TALL, t, t[:2].T]), A),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_numpy_call_is_recorded_and_matches_numpy(name):
    call, data = CALLS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")    # no deprecation or runtime warnings expected
        out = call(ad.tensor(data, requires_grad=True))
        expected = call(data)
    if isinstance(out, (tuple, list)):
        if hasattr(expected, "_fields"):   # NumPy's named results: the same fields
            assert out._fields == expected._fields
        else:
            assert type(out) is type(expected)
        assert len(out) == len(expected)
        for mine, theirs in zip(out, expected):
            assert isinstance(mine, ad.Tensor) and mine.requires_grad
            assert mine.shape == theirs.shape and mine.dtype == theirs.dtype
            np.testing.assert_allclose(mine.data, theirs, rtol=1e-13, atol=1e-13)
    else:
        assert isinstance(out, ad.Tensor) and out.requires_grad
        assert out.shape == np.shape(expected) and out.dtype == expected.dtype
        np.testing.assert_allclose(out.data, expected, rtol=1e-13, atol=1e-13)
    assert ad.gradcheck(lambda t: _sum_all(call(t)), [data])


def test_einsum_sublist_form_backward_from_the_issue():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((3, 4))
    ta, tb = ad.tensor(a, requires_grad=True), ad.tensor(b, requires_grad=True)
    np.einsum(ta, [0, 1], tb, [1, 2], [0, 2]).sum().backward()
    np.testing.assert_allclose(ta.grad, np.ones((2, 4)) @ b.T)
    np.testing.assert_allclose(tb.grad, a.T @ np.ones((2, 4)))


def test_np_einsum_on_tensors_equals_numpy_exactly_with_its_default():
    a, b = RNG.standard_normal((70, 80)), RNG.standard_normal((80, 60))
    out = np.einsum("ij,jk->ik", ad.tensor(a), ad.tensor(b))
    assert np.array_equal(out.data, np.einsum("ij,jk->ik", a, b))


def test_forwards_equal_numpy_bit_for_bit():
    for call, data in CALLS.values():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            out, expected = call(ad.tensor(data)), call(data)
        for mine, theirs in zip(out if isinstance(out, (tuple, list)) else [out],
                                expected if isinstance(expected, (tuple, list))
                                else [expected]):
            assert np.array_equal(mine.data, theirs)


def test_results_are_numpy_style_named_tuples():
    eig = ad.linalg.eigh(ad.tensor(SYM))
    assert eig.eigenvalues is eig[0] and eig.eigenvectors is eig[1]
    usv = ad.linalg.svd(ad.tensor(TALL))
    assert (usv.U.shape, usv.S.shape, usv.Vh.shape) == ((4, 4), (3,), (3, 3))
    sign, logabsdet = ad.linalg.slogdet(ad.tensor(A))
    assert ad.linalg.slogdet(ad.tensor(A)).sign.item() == sign.item()


def test_float32_keeps_its_dtype():
    x = ad.tensor(SPD.astype(np.float32), requires_grad=True)
    for f in (ad.linalg.det, ad.linalg.inv, ad.linalg.cholesky, ad.linalg.pinv,
              lambda t: ad.linalg.eigh(t)[0], lambda t: ad.linalg.svd(t)[1],
              lambda t: ad.linalg.norm(t, "nuc"), lambda t: ad.linalg.solve(t, t[0])):
        out = f(x)
        assert out.dtype == np.float32
        x.zero_grad()
        out.sum().backward()
        assert x.grad.dtype == np.float32


@pytest.mark.parametrize("call, words", [
    (lambda m: np.outer(m[0], m[0], out=np.zeros((3, 3))), "numpy.outer.*out"),
    (lambda m: np.einsum("i,i", m[0], m[0], out=np.zeros(())), "numpy.einsum.*out"),
    (lambda m: np.einsum("i,i", m[0], m[0], dtype=np.float32), "einsum.*rule 'safe'"),
    (lambda m: np.vstack([m, m], dtype=np.int64, casting="unsafe"), "vstack.*dtype=int64"),
    (lambda m: ad.linalg.matrix_exp(m[:2, :2] * 1j), "matrix_exp.*complex"),
], ids=["outer out", "einsum out", "einsum dtype", "vstack dtype", "matrix_exp complex"])
def test_unsupported_arguments_raise_type_error_naming_them(call, words):
    with pytest.raises(TypeError, match=words):
        call(ad.tensor(A, requires_grad=True))


def test_row_stack_warns_like_numpy_when_numpy_has_it():
    if not hasattr(np, "row_stack"):
        pytest.skip("this NumPy no longer has row_stack")
    t = ad.tensor(np.ones(2), requires_grad=True)
    with pytest.warns(DeprecationWarning, match="row_stack"):
        out = np.row_stack([t, t * 2])
    assert out.shape == (2, 2) and out.requires_grad


@pytest.mark.parametrize("call", [
    lambda a, s: np.dot(a, s), lambda a, s: np.dot(s, a), lambda a, s: np.kron(a, s),
    lambda a, s: np.kron(s, a), lambda a, s: np.multiply.outer(a, s),
    lambda a, s: np.add.outer(a, s), lambda a, s: np.outer(a, s)],
    ids=["dot", "dot left", "kron", "kron left", "multiply.outer", "add.outer", "outer"])
@pytest.mark.parametrize("array, scalar", [
    (np.array([1.5, 2.0], np.float32), 2.5), (np.array([100, 100], np.int8), 3),
    (np.array([1.5, 2.0], np.float32), np.float32(2.5))])
def test_a_python_number_meets_an_array_as_numpy_converts_it(call, array, scalar):
    """These functions call asarray on their operands: a Python float is a float64
    array there (not a weak scalar), a Python int an int64 one (no int8 overflow)."""
    got, expected = call(ad.tensor(array), scalar), call(array, scalar)
    assert got.dtype == expected.dtype and np.array_equal(got.data, expected)


def test_accumulate_takes_the_axes_numpy_takes():
    t = ad.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    for ufunc in (np.add, np.multiply):
        with pytest.raises(ValueError, match=rf"numpy.{ufunc.__name__}.accumulate: "
                                             "accumulate does not allow multiple axes"):
            ufunc.accumulate(t, axis=None)
        with pytest.raises(ValueError, match="does not allow multiple axes"):
            ufunc.accumulate(t, axis=(0, 1))
        with pytest.raises(TypeError, match="cannot accumulate on a scalar"):
            ufunc.accumulate(ad.tensor(2.0), axis=0)
        assert np.array_equal(ufunc.accumulate(t, axis=(1,)).data,
                              ufunc.accumulate(t.data, axis=(1,)))
        assert np.array_equal(ufunc.accumulate(t[0], axis=None).data,
                              ufunc.accumulate(t.data[0], axis=None))
