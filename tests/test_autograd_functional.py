"""``ad.autograd.functional`` (PyTorch's ``torch.autograd.functional``): Jacobians,
Hessians and vector products as Tensors, checked against central differences and,
where PyTorch is installed, against its values."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

F = ad.autograd.functional
R = np.random.default_rng(5)
A, B, V, W = (R.normal(size=3) for _ in range(4))


def _numerical_jacobian(func, x, eps=1e-6):
    """d func / d x by central differences, shaped out.shape + x.shape."""
    columns = []
    for k in range(x.size):
        step = np.zeros_like(x)
        step.flat[k] = eps
        columns.append((func(x + step) - func(x - step)) / (2 * eps))
    return np.stack(columns, axis=-1).reshape(np.shape(func(x)) + x.shape)


def _values(f):
    return lambda x: f(ad.tensor(x)).data


def test_jacobian_and_hessian_match_central_differences():
    elementwise = lambda x: ad.sin(x) * x                      # noqa: E731
    scalar = lambda x: (ad.exp(x) * x).sum()                   # noqa: E731
    jac = F.jacobian(elementwise, ad.tensor(A))
    assert isinstance(jac, ad.Tensor) and jac.shape == (3, 3)
    np.testing.assert_allclose(jac.data, _numerical_jacobian(_values(elementwise), A),
                               atol=1e-8)
    forward_mode = F.jacobian(elementwise, ad.tensor(A), strategy="forward-mode")
    np.testing.assert_allclose(forward_mode.data, jac.data)
    gradient = lambda x: F.jacobian(scalar, ad.tensor(x)).data   # noqa: E731
    np.testing.assert_allclose(F.hessian(scalar, ad.tensor(A)).data,
                               _numerical_jacobian(gradient, A), atol=1e-7)


def test_several_inputs_and_outputs_give_tuples_in_pytorchs_order():
    def pair(x, y):
        return x * y, (x ** 2).sum() * y

    (dxy_dx, dxy_dy), (ds_dx, ds_dy) = F.jacobian(pair, (ad.tensor(A), ad.tensor(B)))
    np.testing.assert_allclose(dxy_dx.data, np.diag(B))
    np.testing.assert_allclose(dxy_dy.data, np.diag(A))
    np.testing.assert_allclose(ds_dx.data, 2 * B[:, None] * A[None, :])
    np.testing.assert_allclose(ds_dy.data, np.eye(3) * (A ** 2).sum())
    (h_xx, h_xy), (h_yx, h_yy) = F.hessian(lambda x, y: (x * x * y).sum(),
                                           (ad.tensor(A), ad.tensor(B)))
    np.testing.assert_allclose(h_xx.data, np.diag(2 * B))
    np.testing.assert_allclose(h_xy.data, np.diag(2 * A))
    np.testing.assert_allclose(h_yx.data, h_xy.data.T)
    np.testing.assert_allclose(h_yy.data, np.zeros((3, 3)))


def test_vector_products_are_the_jacobian_and_hessian_times_v():
    elementwise = lambda x: ad.sin(x) * x                      # noqa: E731
    scalar = lambda x: (ad.exp(x) * x).sum()                   # noqa: E731
    jac = F.jacobian(elementwise, ad.tensor(A)).data
    hess = F.hessian(scalar, ad.tensor(A)).data
    out, product = F.vjp(elementwise, ad.tensor(A), ad.tensor(V))
    np.testing.assert_allclose(out.data, np.sin(A) * A)
    np.testing.assert_allclose(product.data, V @ jac)
    np.testing.assert_allclose(F.jvp(elementwise, ad.tensor(A), ad.tensor(V))[1].data, jac @ V)
    value, hv = F.hvp(scalar, ad.tensor(A), ad.tensor(V))
    np.testing.assert_allclose(value.data, (np.exp(A) * A).sum())
    np.testing.assert_allclose(hv.data, hess @ V)
    np.testing.assert_allclose(F.vhp(scalar, ad.tensor(A), ad.tensor(V))[1].data, V @ hess)


def test_unsupported_options_and_bad_vectors_are_refused():
    x = ad.tensor(A)
    with pytest.raises(NotImplementedError, match="strategy='forward-mode' are not supported"):
        F.jacobian(ad.sin, x, create_graph=True, strategy="forward-mode")
    with pytest.raises(ValueError, match="strategy must be"):
        F.jacobian(ad.sin, x, strategy="sideways")
    with pytest.raises(ValueError, match=r"v\[0\] has shape \(2,\)"):
        F.jvp(ad.sin, x, ad.ones(2))
    with pytest.raises(RuntimeError, match=r"v can only be omitted for a function returning "
                                           r"a single one-element tensor, got shape\(s\) "
                                           r"\(3,\)"):
        F.vjp(ad.sin, x)
    with pytest.raises(TypeError, match="give a Tensor or a tuple of Tensors"):
        F.jacobian(ad.sin, A)


def test_functional_matches_torch():
    torch = pytest.importorskip("torch")

    def calls(lib):
        F = lib.autograd.functional
        t = lib.tensor
        scalar = lambda x, y: (x * x * y).sum() + (y ** 3).sum()   # noqa: E731
        return [F.jacobian(lambda x: lib.sin(x) * x, t(A)),
                F.jacobian(lambda x, y: (x * y, (x ** 2).sum() * y), (t(A), t(B))),
                F.hessian(scalar, (t(A), t(B))),
                F.vjp(lambda x, y: x * y, (t(A), t(B)), t(V)),
                F.jvp(lambda x, y: x * y, (t(A), t(B)), (t(V), t(W))),
                F.hvp(scalar, (t(A), t(B)), (t(V), t(W)))]

    def flat(value):
        if isinstance(value, (tuple, list)):
            return [leaf for item in value for leaf in flat(item)]
        return [value.detach().numpy() if hasattr(value, "detach") else value.data]

    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        theirs = flat(calls(torch))
    finally:
        torch.set_default_dtype(previous)
    ours = flat(calls(ad))
    assert len(theirs) == len(ours)
    for t, o in zip(theirs, ours):
        np.testing.assert_allclose(o, t, rtol=1e-10, atol=1e-12)
