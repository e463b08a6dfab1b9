"""Complex values through reductions, products and shape ops (prod, cumsum, cumprod,
mean, dot, vdot, einsum, tensordot, outer, inner, trace, diagonal, diag, tril, triu,
repeat, tile, take_along_axis, where, concatenate, stack, linalg.norm, var, std):
gradients of real losses against central differences over the real and imaginary
parts, and values, gradients and second derivatives against PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from complex_checks import (check_against_central_differences, check_against_torch,
                            sample)


def _torch():
    return pytest.importorskip("torch")


#: name -> (ours, PyTorch's) functions of one complex tensor
UNARY = {
    "prod": (lambda z: z.prod(), lambda z: z.prod()),
    "prod over an axis": (lambda z: z.prod(-1), lambda z: z.prod(-1)),
    "cumsum": (lambda z: z.cumsum(-1) * z.reshape(-1)[0],
               lambda z: z.cumsum(-1) * z.reshape(-1)[0]),
    "cumprod": (lambda z: z.cumprod(-1), lambda z: z.cumprod(-1)),
    "mean over axes": (lambda z: z.mean((0, 1)) * z, lambda z: z.mean((0, 1)) * z),
    "trace": (lambda z: z.trace() * z, lambda z: z.trace() * z),
    "diagonal": (lambda z: z.diagonal(1) ** 2, lambda z: z.diagonal(1) ** 2),
    "diag": (lambda z: ad.diag(z.diagonal()) * z[:, :2],
             lambda z: _torch().diag(z.diagonal()) * z[:, :2]),
    "tril": (lambda z: z.tril() * z, lambda z: z.tril() * z),
    "triu": (lambda z: z.triu(1) * z, lambda z: z.triu(1) * z),
    "repeat": (lambda z: ad.repeat(z, 2, axis=0) ** 2,
               lambda z: _torch().repeat_interleave(z, 2, dim=0) ** 2),
    "tile": (lambda z: ad.tile(z, (2, 1)) ** 2, lambda z: _torch().tile(z, (2, 1)) ** 2),
    "take_along_axis": (lambda z: ad.take_along_axis(z, np.array([[1, 0, 1]]), 0) ** 2,
                        lambda z: _torch().take_along_dim(z, _torch().tensor([[1, 0, 1]]), 0) ** 2),
    "where": (lambda z: ad.where(np.array([True, False, True]), z * z, z.conj()),
              lambda z: _torch().where(_torch().tensor([True, False, True]), z * z, z.conj())),
    "concatenate": (lambda z: ad.concatenate([z * z, z]), lambda z: _torch().cat([z * z, z])),
    "stack": (lambda z: ad.stack([z * z, z], 1), lambda z: _torch().stack([z * z, z], 1)),
    "norm": (lambda z: ad.linalg.norm(z), lambda z: _torch().linalg.norm(z)),
    "norm of rows": (lambda z: ad.linalg.norm(z, axis=1), lambda z: _torch().linalg.norm(z, dim=1)),
    "norm ord 3": (lambda z: ad.linalg.norm(z[0], 3), lambda z: _torch().linalg.norm(z[0], 3)),
    "norm fro": (lambda z: ad.linalg.norm(z, "fro"), lambda z: _torch().linalg.norm(z, "fro")),
    "var": (lambda z: ad.var(z, ddof=1), lambda z: z.var()),
    "var over an axis": (lambda z: ad.var(z, axis=1, ddof=1), lambda z: z.var(1)),
    "std": (lambda z: ad.std(z, ddof=1), lambda z: z.std()),
    "std over an axis": (lambda z: ad.std(z, axis=0, ddof=0), lambda z: z.std(0, correction=0)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_gradients_match_central_differences(name):
    check_against_central_differences(UNARY[name][0], [sample((2, 3))])


@pytest.mark.parametrize("name", sorted(UNARY))
def test_values_gradients_and_second_order_match_torch(name):
    _torch()
    check_against_torch(*UNARY[name], [sample((2, 3))])


@pytest.mark.parametrize("shape", [(), (1,), (4,), (1, 3)], ids=str)
@pytest.mark.parametrize("name", ["prod", "cumsum", "cumprod", "mean", "sum of squares"])
def test_reductions_over_generated_shapes(name, shape):
    torch = _torch()
    functions = {"prod": lambda z: z.prod(), "cumsum": lambda z: z.reshape(-1).cumsum(0) ** 2,
                 "cumprod": lambda z: z.reshape(-1).cumprod(0), "mean": lambda z: z.mean() * z,
                 "sum of squares": lambda z: (z * z).sum()}
    check_against_central_differences(functions[name], [sample(shape)])
    check_against_torch(functions[name], functions[name], [sample(shape)])
    assert torch is not None


def _as_complex(torch, *tensors):
    return [t.to(torch.complex128) for t in tensors]


#: name -> (ours, PyTorch's) functions of two tensors, and their shapes
BINARY = {
    "dot": (lambda a, b: ad.dot(a, b), lambda a, b: _torch().dot(*_as_complex(_torch(), a, b)),
            (3,), (3,)),
    "vdot": (lambda a, b: np.vdot(a, b), lambda a, b: _torch().vdot(*_as_complex(_torch(), a, b)),
             (3,), (3,)),
    "matrix dot": (lambda a, b: ad.dot(a, b),
                   lambda a, b: _torch().matmul(*_as_complex(_torch(), a, b)), (2, 3), (3, 2)),
    "einsum": (lambda a, b: ad.einsum("ij,jk->ik", a, b),
               lambda a, b: _torch().einsum("ij,jk->ik", *_as_complex(_torch(), a, b)),
               (2, 3), (3, 2)),
    "einsum with a diagonal": (lambda a, b: ad.einsum("ii,i->i", a, b),
                               lambda a, b: _torch().einsum("ii,i->i",
                                                            *_as_complex(_torch(), a, b)),
                               (3, 3), (3,)),
    "tensordot": (lambda a, b: ad.tensordot(a, b, 1),
                  lambda a, b: _torch().tensordot(*_as_complex(_torch(), a, b), dims=1),
                  (2, 3), (3, 2)),
    "outer": (lambda a, b: ad.outer(a, b),
              lambda a, b: _torch().outer(*_as_complex(_torch(), a, b)), (2,), (3,)),
    "inner": (lambda a, b: ad.inner(a, b),
              lambda a, b: _torch().inner(*_as_complex(_torch(), a, b)), (2, 3), (4, 3)),
}

OPERANDS = [(True, True), (True, False), (False, True)]


@pytest.mark.parametrize("complex_operands", OPERANDS, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_products_of_complex_and_real_operands(name, complex_operands):
    ours, theirs, shape_a, shape_b = BINARY[name]
    arrays = [sample(shape_a, complex_operands[0]), sample(shape_b, complex_operands[1])]
    check_against_central_differences(ours, arrays)
    _torch()
    check_against_torch(ours, theirs, arrays)


def test_vdot_conjugates_its_first_argument_as_numpy():
    a, b = sample((2, 2)), sample((4,))
    np.testing.assert_allclose(np.vdot(ad.tensor(a), ad.tensor(b)).data, np.vdot(a, b),
                               rtol=1e-14)


def test_spectral_norms_of_complex_matrices_record():
    values = sample((2, 2))
    z = ad.tensor(values, requires_grad=True)
    for order in (2, -2, "nuc"):          # (their gradients: test_complex_norms_tenth.py)
        result = ad.linalg.norm(z, order)
        assert result.requires_grad and result.item() == np.linalg.norm(values, order)


def test_var_std_nanvar_and_cov_of_complex_values_are_numpy_s():
    values = sample((2, 4))
    z = ad.tensor(values, requires_grad=True)
    for ours, theirs in ((ad.var(z, axis=1), np.var(values, axis=1)),
                         (ad.std(z), np.std(values)),
                         (np.nanvar(z, axis=0), np.nanvar(values, axis=0)),
                         (np.nanstd(z, ddof=1), np.nanstd(values, ddof=1)),
                         (np.cov(z), np.cov(values))):
        assert ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours.data, theirs, rtol=1e-13)
    check_against_central_differences(lambda z: np.cov(z), [values])
    check_against_central_differences(lambda z: np.nanvar(z, axis=1), [values])


def test_prod_and_cumprod_with_a_zero_entry():
    torch = _torch()
    values = np.array([0j, 1 + 1j, 2j, -0.5 + 0.25j])
    for function in (lambda z: z.prod(), lambda z: z.cumprod(0)):
        check_against_central_differences(function, [values])
        check_against_torch(function, function, [values])
    assert torch is not None


@pytest.mark.parametrize("name", ["sin", "log", "sqrt", "sigmoid", "prod", "einsum", "std"])
def test_complex64_gradients_keep_their_dtype(name):
    function = {"sin": lambda z: z.sin(), "log": lambda z: z.log(), "sqrt": lambda z: z.sqrt(),
                "sigmoid": lambda z: z.sigmoid(), "prod": lambda z: z.prod(0),
                "einsum": lambda z: ad.einsum("ij,kj->ik", z, z),
                "std": lambda z: ad.std(z, axis=1)}[name]
    values = sample((2, 3))
    grads = []
    for dtype in (np.complex64, np.complex128):
        z = ad.tensor(values.astype(dtype), requires_grad=True)
        out = function(z)
        loss = (out.abs() ** 2).sum() if out.dtype.kind == "c" else out.sum()
        loss.backward()
        assert z.grad.dtype == dtype
        grads.append(z.grad)
    np.testing.assert_allclose(grads[0], grads[1], rtol=2e-5, atol=1e-5)


def test_mse_loss_of_complex_values_refuses_as_in_torch():
    z = ad.tensor(sample((3,)), requires_grad=True)
    with pytest.raises(TypeError, match=r"mse_loss: complex values \(dtype complex128, shape "
                                        r"\(3,\)\).*\.abs\(\) \*\* 2"):
        ad.nn.functional.mse_loss(z, z * 2)
    assert ad.nn.functional.mse_loss(z.real, z.imag).dtype == np.float64
