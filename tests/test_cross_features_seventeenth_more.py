"""More of the seventeenth round's features with the machinery they are used with: the
slice-by-slice ufunc reductions (``initial=``, ``where=``, ``reduceat``) under compile,
vmap, the Jacobian transforms and second order; ``t.sum(())`` under vmap, compile and
forward mode; ``ad.func`` aux as Tensors under vmap, copying and nesting; ``np.poly``
under the transforms; ``ad.split(..., dim=)`` under the transforms; PyTorch's sparse
Tensor methods; NumPy's AttributeError notes in a detect_anomaly block."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.conventions import ConventionWarning

A = np.abs(np.random.default_rng(27).normal(size=(3, 4))) + 0.5
MASK = np.array([True, False, True, True])
X = np.random.default_rng(28).normal(size=(2, 3))


def _central_jacobian(f, x, eps=1e-6):
    columns = []
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = eps
        step = step.reshape(x.shape)
        columns.append(((f(x + step) - f(x - step)) / (2 * eps)).ravel())
    return np.stack(columns, axis=-1)


# ----- slice-by-slice ufunc reductions ----------------------------------------------------

# the ufuncs whose NumPy reduce is its own value on this library's path (power and
# arctan2 are the left fold, the definition: NumPy's SIMD loops may differ)
SEQUENTIAL = [np.hypot, np.fmod, np.copysign, np.logaddexp, np.logaddexp2]


def _left_fold(ufunc, rows, initial):
    out = []
    for row in rows:
        acc = initial
        for value in row:
            acc = ufunc(acc, value)
        out.append(acc)
    return np.array(out)


@pytest.mark.parametrize("ufunc", SEQUENTIAL, ids=lambda u: u.__name__)
def test_a_slice_by_slice_reduction_replays_under_compile(ufunc):
    def reduce(a):
        return ufunc.reduce(a, axis=1, initial=1.5, where=MASK)
    compiled = ad.compile(reduce)
    for shift in (0.0, 0.7, 2.0):
        np.testing.assert_array_equal(np.asarray(compiled(ad.tensor(A + shift))),
                                      reduce(A + shift))
    compiled_at = ad.compile(lambda a: ufunc.reduceat(a, [0, 2, 3], axis=1))
    for shift in (0.0, 0.7):
        np.testing.assert_array_equal(np.asarray(compiled_at(ad.tensor(A + shift))),
                                      ufunc.reduceat(A + shift, [0, 2, 3], axis=1))


@pytest.mark.parametrize("ufunc", [np.power, np.arctan2], ids=lambda u: u.__name__)
def test_power_and_arctan2_reduce_the_definition_under_vmap_and_compile(ufunc):
    expected = _left_fold(ufunc, A, 1.5)
    np.testing.assert_allclose(np.asarray(ufunc.reduce(ad.tensor(A), axis=1, initial=1.5)),
                               expected, rtol=1e-15)
    batched = ad.vmap(lambda r: ufunc.reduce(r, initial=1.5))(ad.tensor(A))
    np.testing.assert_allclose(np.asarray(batched), expected, rtol=1e-15)
    compiled = ad.compile(lambda a: ufunc.reduce(a, axis=1, initial=1.5))
    compiled(ad.tensor(A))
    np.testing.assert_allclose(np.asarray(compiled(ad.tensor(A + 0.1))),
                               _left_fold(ufunc, A + 0.1, 1.5), rtol=1e-15)


@pytest.mark.parametrize("ufunc", SEQUENTIAL + [np.power, np.arctan2],
                         ids=lambda u: u.__name__)
def test_a_slice_by_slice_reduction_jacobians_agree_with_central_differences(ufunc):
    def reduce(a):
        return ufunc.reduce(a, axis=1, initial=1.5)

    def reference(a):
        return _left_fold(ufunc, a, 1.5)
    jac_rev = np.asarray(ad.func.jacrev(reduce)(ad.tensor(A))).reshape(3, -1)
    jac_fwd = np.asarray(ad.func.jacfwd(reduce)(ad.tensor(A))).reshape(3, -1)
    np.testing.assert_allclose(jac_fwd, jac_rev, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(jac_rev, _central_jacobian(reference, A), rtol=1e-6,
                               atol=1e-7)
    per_row = ad.vmap(ad.grad(lambda r: ufunc.reduce(r, initial=1.5)))(ad.tensor(A))
    np.testing.assert_allclose(np.asarray(per_row).ravel(), np.diagonal(
        jac_rev.reshape(3, 3, 4)).T.ravel(), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("ufunc", [np.hypot, np.logaddexp, np.power],
                         ids=lambda u: u.__name__)
def test_a_slice_by_slice_reduction_hessian_agrees_with_central_differences(ufunc):
    row = A[0]
    hess = np.asarray(ad.func.hessian(lambda r: ufunc.reduce(r, initial=1.5))(ad.tensor(row)))
    gradient = ad.grad(lambda r: ufunc.reduce(r, initial=1.5))
    central = _central_jacobian(lambda r: np.asarray(gradient(r)), row, eps=1e-5)
    np.testing.assert_allclose(hess, central, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(hess, hess.T, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_a_slice_by_slice_reduction_keeps_numpys_dtype_and_values(dtype):
    low = A.astype(dtype)
    for ufunc in (np.hypot, np.logaddexp):
        ours = ufunc.reduce(ad.tensor(low), axis=1, initial=1.5, where=MASK)
        theirs = ufunc.reduce(low, axis=1, initial=1.5, where=MASK)
        assert ours.dtype == theirs.dtype == dtype
        np.testing.assert_array_equal(np.asarray(ours), theirs)


def test_a_slice_by_slice_reduction_of_empty_and_size_one():
    empty = ad.tensor(np.zeros((0, 3)), requires_grad=True)
    np.testing.assert_array_equal(np.hypot.reduce(empty, axis=0, initial=1.5).data,
                                  np.full(3, 1.5))
    one = ad.tensor(np.array([-2.0]), requires_grad=True)
    out = np.hypot.reduce(one, axis=0)
    out.backward()
    assert float(out) == np.hypot.reduce(np.array([-2.0])) and one.grad.tolist() == [-1.0]


def test_fmax_reduce_with_initial_is_numpys():
    # (tests/test_left_eighteenth_ufunc_reductions.py checks it further)
    np.testing.assert_array_equal(np.fmax.reduce(ad.tensor(A), axis=1, initial=1.5).data,
                                  np.fmax.reduce(A, axis=1, initial=1.5))


# ----- t.sum(()) and its kin --------------------------------------------------------------

def test_an_empty_dim_alone_under_vmap_and_compile_against_pytorch():
    torch = pytest.importorskip("torch")
    with pytest.warns(ConventionWarning, match=r"Tensor.sum\(\(\)\) reduces every dim"):
        ours = ad.vmap(lambda r: r.sum(()))(ad.tensor(X))
    theirs = torch.func.vmap(lambda r: r.sum(()))(torch.tensor(X))
    np.testing.assert_allclose(np.asarray(ours), theirs.numpy(), rtol=1e-15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConventionWarning)
        compiled = ad.compile(lambda t: t.mean(()))
        for shift in (0.0, 1.0):
            np.testing.assert_allclose(np.asarray(compiled(ad.tensor(X + shift))),
                                       (X + shift).mean(), rtol=1e-15)
        complex_sum = ad.tensor(X + 1j * X).sum(())
    np.testing.assert_allclose(complex(complex_sum), torch.tensor(X + 1j * X).sum(()).item(),
                               rtol=1e-15)


def test_an_empty_dim_alone_in_forward_mode_and_second_order():
    from autodiff.autograd import forward_ad
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConventionWarning)
        with forward_ad.dual_level():
            dual = forward_ad.make_dual(ad.tensor(X), ad.tensor(np.ones_like(X)))
            assert float(forward_ad.unpack_dual(dual.sum(())).tangent) == X.size
        x = ad.tensor(X, requires_grad=True)
        g, = ad.autograd.grad((x ** 3).sum(()), x, create_graph=True)
        g.sum(()).backward()
        np.testing.assert_allclose(x.grad, 6 * X, rtol=1e-15)
        hess = ad.func.hessian(lambda r: r.mean(()) ** 2)(ad.tensor(X[0]))
    np.testing.assert_allclose(np.asarray(hess), np.full((3, 3), 2 / 9), rtol=1e-14)


# ----- ad.func aux as Tensors -------------------------------------------------------------

def _with_aux(x):
    return (x ** 2).sum(), {"double": x * 2, "count": 3}


def test_aux_under_vmap_copying_and_nesting():
    batched = ad.vmap(ad.func.grad(_with_aux, has_aux=True))(ad.tensor(X))[1]
    assert isinstance(batched["double"], ad.Tensor)
    np.testing.assert_array_equal(np.asarray(batched["double"]), 2 * X)
    aux = ad.func.grad(_with_aux, has_aux=True)(ad.tensor(X[0]))[1]
    assert isinstance(copy.deepcopy(aux)["double"], ad.Tensor)
    assert isinstance(pickle.loads(pickle.dumps(aux))["double"], ad.Tensor)
    nested = ad.func.jacfwd(ad.func.jacrev(lambda x: ((x ** 3).sum(), x * 2), has_aux=True),
                            has_aux=True)(ad.tensor(X[0]))
    np.testing.assert_allclose(np.asarray(nested[0]), np.diag(6 * X[0]), rtol=1e-15)
    assert isinstance(nested[1], ad.Tensor)
    np.testing.assert_array_equal(np.asarray(nested[1]), 2 * X[0])
    half = ad.func.grad(lambda x: ((x ** 2).sum(), x * 2), has_aux=True)(
        ad.tensor(X[0].astype(np.float32)))
    assert half[1].dtype == np.float32


def test_aux_requires_grad_as_pytorchs():
    torch = pytest.importorskip("torch")
    ours = ad.func.grad(lambda x: ((x ** 2).sum(), x * 2), has_aux=True)(
        ad.tensor(X[0], requires_grad=True))[1]
    theirs = torch.func.grad(lambda x: ((x ** 2).sum(), x * 2), has_aux=True)(
        torch.tensor(X[0], requires_grad=True))[1]
    assert ours.requires_grad == theirs.requires_grad
    _, _, vjp_aux = ad.func.vjp(lambda x: (x * 2, x * 3), ad.tensor(X[0]), has_aux=True)
    np.testing.assert_allclose(np.asarray(vjp_aux), 3 * X[0], rtol=1e-15)


# ----- np.poly -----------------------------------------------------------------------------

ROOTS = np.array([0.5, -1.2, 2.0])


def test_poly_under_the_jacobian_transforms_vmap_and_compile():
    jac_rev = np.asarray(ad.func.jacrev(np.poly)(ad.tensor(ROOTS)))
    np.testing.assert_allclose(jac_rev, _central_jacobian(np.poly, ROOTS), rtol=1e-7,
                               atol=1e-9)
    np.testing.assert_allclose(np.asarray(ad.func.jacfwd(np.poly)(ad.tensor(ROOTS))),
                               jac_rev, rtol=1e-14)
    pairs = np.array([[0.5, 1.0], [2.0, 3.0]])
    np.testing.assert_allclose(np.asarray(ad.vmap(np.poly)(ad.tensor(pairs))),
                               [np.poly(p) for p in pairs], rtol=1e-15)
    compiled = ad.compile(np.poly)
    for roots in pairs:
        np.testing.assert_allclose(np.asarray(compiled(ad.tensor(roots))), np.poly(roots),
                                   rtol=1e-15)
    assert ad.func.hessian(lambda r: np.poly(r).sum())(ad.tensor(ROOTS)).shape == (3, 3)
    assert np.poly(ad.tensor(ROOTS.astype(np.float32))).dtype == np.float32


def test_poly_of_conjugate_roots_in_forward_mode():
    roots = np.array([1 + 2j, 1 - 2j, 3.0])
    coefficients = np.poly(ad.tensor(roots))
    np.testing.assert_allclose(np.asarray(coefficients), np.poly(roots), rtol=1e-15)
    # moving every root by t keeps the pairs conjugate: the derivative is real,
    # -(3x^2 - 10x + 11) by the product rule
    _, tangent = ad.func.jvp(np.poly, (ad.tensor(roots),), (ad.tensor(np.ones(3) + 0j),))
    np.testing.assert_allclose(np.asarray(tangent), [0.0, -3.0, 10.0, -11.0], atol=1e-13)


# ----- ad.split in PyTorch's spelling -----------------------------------------------------

def test_split_by_dim_under_the_transforms():
    x = ad.tensor(np.arange(10.0))
    with pytest.warns(ConventionWarning, match="np.split here"):
        grad = ad.grad(lambda r: (ad.split(r, [3, 7], dim=0)[1] ** 2).sum())(x)
    np.testing.assert_array_equal(np.asarray(grad), np.where(
        (np.arange(10) >= 3) & (np.arange(10) < 7), 2 * np.arange(10.0), 0.0))
    with pytest.raises(ValueError, match=r"x.split\(3, dim=0\)"):
        ad.vmap(lambda r: ad.split(r, 3, dim=0))(ad.tensor(np.ones((2, 10))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConventionWarning)
        pieces = ad.compile(lambda r: ad.split(r, 5, dim=0))(x)
        tangent = ad.func.jvp(lambda r: ad.split(r, 2, dim=0)[1], (x,),
                              (ad.tensor(np.arange(10.0)),))[1]
    assert [p.shape for p in pieces] == [(2,)] * 5
    np.testing.assert_array_equal(np.asarray(tangent), np.arange(5.0, 10.0))
    assert [p.shape for p in x.split(3)] == [(3,), (3,), (3,), (1,)]     # PyTorch's


# ----- sparse Tensor methods and the AttributeError notes --------------------------------

@pytest.mark.parametrize("name", ["to_sparse", "to_sparse_csr", "coalesce", "indices",
                                  "values", "sparse_mask", "_nnz"])
def test_a_sparse_tensor_method_says_there_are_no_sparse_tensors(name):
    # (a bare "'Tensor' object has no attribute" before)
    t = ad.tensor(X)
    with pytest.raises(AttributeError, match=f"no attribute {name!r}: sparse tensors do not "
                                             "exist here"):
        getattr(t, name)
    assert not hasattr(t, name)
    assert not t.is_sparse and t.to_dense() is t


def test_a_misspelt_tensor_attribute_still_gets_pythons_suggestion():
    with pytest.raises(AttributeError) as caught:
        ad.tensor(X).sizee
    assert caught.value.name == "sizee"


def test_the_data_note_inside_detect_anomaly_and_inference_mode():
    layer = ad.nn.Linear(3, 2)
    with pytest.raises(AttributeError, match="'exp'") as caught:
        with ad.autograd.detect_anomaly(), ad.no_grad():
            layer.weight.grad = np.ones(layer.weight.shape)
            layer.weight.grad.exp()
    assert "ad.sign(p.grad)" in " ".join(caught.value.__notes__)
    with pytest.raises(AttributeError, match="'copy_'") as caught:
        with ad.inference_mode():
            layer.weight.data.copy_(ad.ones(layer.weight.shape))
    assert "p.copy_(v) for p.data.copy_(v)" in " ".join(caught.value.__notes__)
