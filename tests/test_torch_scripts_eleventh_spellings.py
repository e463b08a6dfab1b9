"""PyTorch's keyword names on the library's NumPy-named functions, found by the eleventh
round of PyTorch scripts, each checked against NumPy's own spelling and against
PyTorch where it is installed: ``torch.rot90(x, k, dims=)``, ``torch.trapezoid(y, x,
dim=)``, ``torch.linalg.vecdot(x, y, dim=)``, ``torch.diagonal(x, offset, dim1=,
dim2=)``, ``torch.concat(xs, dim=)``, ``torch.linalg.cross(a, b, dim=)``,
``torch.clip(x, min=, max=)`` (NumPy 2's names too), ``torch.squeeze(x, dim=)``,
``torch.select(x, dim, index)`` beside NumPy's ``select``, ``t.put(index, source,
accumulate=)`` (PyTorch's out-of-place ``put``) beside NumPy's in-place one, and
``torch.var(x, 1, keepdim=True)``, which now reads the 1 as PyTorch's dim and warns of
NumPy's ddof as ``x.var(1, keepdim=True)`` does (it was NumPy's variance, silently)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.conventions import ConventionWarning

RNG = np.random.default_rng(1112)
X = RNG.normal(size=(2, 3, 4))

# name: (PyTorch's call, NumPy's spelling of it), each given the library (or torch)
CALLS = {
    "rot90 dims": (lambda L, t: L.rot90(t, 1, dims=(1, 2)),
                   lambda t: ad.rot90(t, 1, axes=(1, 2))),
    "trapezoid dim": (lambda L, t: L.trapezoid(t, L.tensor([0.0, 0.5, 2.0]), dim=1),
                      lambda t: ad.trapezoid(t, ad.tensor([0.0, 0.5, 2.0]), axis=1)),
    "trapezoid dx dim": (lambda L, t: L.trapezoid(t, dx=0.5, dim=0),
                         lambda t: ad.trapezoid(t, dx=0.5, axis=0)),
    "linalg.vecdot dim": (lambda L, t: L.linalg.vecdot(t, t * 2, dim=1),
                          lambda t: ad.linalg.vecdot(t, t * 2, axis=1)),
    "diagonal dim1 dim2": (lambda L, t: L.diagonal(t, offset=1, dim1=1, dim2=2),
                           lambda t: ad.diagonal(t, 1, axis1=1, axis2=2)),
    "concat dim": (lambda L, t: L.concat([t, t * 2], dim=2),
                   lambda t: ad.concat([t, t * 2], axis=2)),
    "linalg.cross dim": (lambda L, t: L.linalg.cross(t[:, :, :3], t[:, :, 1:] ** 2, dim=2),
                         lambda t: ad.linalg.cross(t[:, :, :3], t[:, :, 1:] ** 2, axis=2)),
    "clip min max": (lambda L, t: L.clip(t, min=-0.5, max=0.5),
                     lambda t: ad.clip(t, -0.5, 0.5)),
    "squeeze dim": (lambda L, t: L.squeeze(t[:, :1], dim=1),
                    lambda t: ad.squeeze(t[:, :1], axis=1)),
    "select": (lambda L, t: L.select(t, 2, 1), lambda t: t[:, :, 1]),
    "select by keyword": (lambda L, t: L.select(t, dim=0, index=-1), lambda t: t[-1]),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_pytorchs_keyword_names_give_numpys_results_and_gradients(name):
    torch_call, numpy_call = CALLS[name]
    t = ad.tensor(X, requires_grad=True)
    ours = torch_call(ad, t)
    (ours * ours.sin()).sum().backward()
    same = numpy_call(ad.tensor(X))
    np.testing.assert_allclose(ours.data, same.data, rtol=1e-15)
    torch = pytest.importorskip("torch")
    u = torch.tensor(X, requires_grad=True)
    theirs = torch_call(torch, u)
    (theirs * theirs.sin()).sum().backward()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(t.grad, u.grad.numpy(), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("call", [
    lambda t: ad.rot90(t, 1, axes=(0, 2), dims=(1, 2)),
    lambda t: ad.trapezoid(t, axis=0, dim=1),
    lambda t: ad.linalg.vecdot(t, t, axis=0, dim=1),
    lambda t: ad.diagonal(t, 0, 1, 2, dim1=0),
    lambda t: ad.concat([t, t], axis=0, dim=1),
    lambda t: ad.squeeze(t[:, :1], 1, dim=1),
])
def test_both_names_of_one_argument_are_refused(call):
    with pytest.raises(TypeError, match="they are the same argument"):
        call(ad.tensor(X))


def test_squeeze_by_dim_of_a_wider_axis_is_refused_as_the_method_is():
    with pytest.raises(ValueError, match="axis 0 of a tensor of shape \\(2, 3, 4\\) has size 2"):
        ad.squeeze(ad.tensor(X), dim=0)


def test_clip_takes_numpys_keyword_names_too():
    t = ad.tensor(X)
    np.testing.assert_array_equal(ad.clip(t, a_min=-0.1, a_max=0.2).data,
                                  np.clip(X, a_min=-0.1, a_max=0.2))
    np.testing.assert_array_equal(ad.clip(t, min=ad.tensor(0.0)).data, np.clip(X, 0.0, None))


def test_numpys_select_still_picks_by_conditions():
    x = ad.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    y = ad.select([x < 0, x < 1], [-x, x * x], default=1.0)
    y.sum().backward()
    np.testing.assert_allclose(y.data, [2.0, 0.25, 1.0])
    np.testing.assert_allclose(x.grad, [-1.0, 1.0, 0.0])
    with pytest.raises(TypeError, match="PyTorch's select\\(input, dim, index\\) takes two"):
        ad.select(ad.tensor(X), dim=1, index=0.5)


@pytest.mark.parametrize("name", ["var", "std"])
def test_var_and_std_with_keepdim_read_the_position_as_pytorchs_dim_and_warn(name):
    t = ad.tensor(X)
    with pytest.warns(ConventionWarning, match=f"{name}\\(dim=1\\) divides by n"):
        ours = getattr(ad, name)(t, 1, keepdim=True)
    np.testing.assert_allclose(ours.data, getattr(np, name)(X, axis=1, keepdims=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        unbiased = getattr(ad, name)(t, 1, keepdim=True, correction=1)
    torch = pytest.importorskip("torch")
    theirs = getattr(torch, name)(torch.tensor(X), 1, keepdim=True)
    np.testing.assert_allclose(unbiased.data, theirs.numpy(), rtol=1e-14)


@pytest.mark.parametrize("accumulate", [True, False])
def test_put_with_accumulate_is_pytorchs_out_of_place_put(accumulate):
    def run(lib):
        t = lib.tensor(X[0], requires_grad=True)
        index = lib.tensor([0, 11, 5] if accumulate else [0, 11])
        source = lib.tensor([1.0, 2.0, 3.0][:len(index)], dtype=lib.float64) * 2
        by_name = t.put(index, source, accumulate=accumulate)
        by_position = t.put(index, source, accumulate)
        (by_name * by_position.cos()).sum().backward()
        grad = t.grad.numpy() if hasattr(t.grad, "numpy") else t.grad
        return by_name.detach().numpy(), by_position.detach().numpy(), grad, \
            t.detach().numpy()
    ours = run(ad)
    np.testing.assert_array_equal(ours[3], X[0])          # unchanged
    inplace = ad.tensor(X[0].copy())      # (ad.tensor wraps an ndarray without a copy)
    assert inplace.put([0], [9.0]) is None                # NumPy's form: in place
    assert inplace.data.flat[0] == 9.0
    torch = pytest.importorskip("torch")
    for a, b in zip(ours, run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-14)
