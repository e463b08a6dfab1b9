"""The twentieth round's features crossed with the rest: ``t.max(other)`` / ``t.min(other)``
with a Tensor other (the transforms, compile, double backward, forward mode, anomaly
mode, ``explain``), dtype shorthands returning the tensor itself (in-place updates
through them, views, hooks, compile, copies), bool ``add(alpha=int)`` (in place too)
and the integer ``t.norm()`` refusal."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from numpy_program_checks import central_difference

A = np.array([1.0, 2.0, 3.0, 2.0])
B = np.array([2.0, 2.0, 1.0, 4.0])          # a tie at index 1


# ----- t.max(other) / t.min(other) -------------------------------------------------------

def _cubed_max(t, other):
    return (t.max(other) ** 3).sum()


def test_elementwise_max_double_backward_splits_ties_as_pytorchs():
    torch = pytest.importorskip("torch")
    x, y = ad.tensor(A, requires_grad=True), ad.tensor(B, requires_grad=True)
    g, = ad.autograd.grad(_cubed_max(x, y), [x], create_graph=True)
    gx, gy = ad.autograd.grad(g.sum(), [x, y])
    tx, ty = torch.tensor(A, requires_grad=True), torch.tensor(B, requires_grad=True)
    tg, = torch.autograd.grad(_cubed_max(tx, ty), [tx], create_graph=True)
    tgx, tgy = torch.autograd.grad(tg.sum(), [tx, ty])
    np.testing.assert_array_equal(g.data, tg.detach().numpy())
    np.testing.assert_array_equal(gx, tgx.numpy())
    np.testing.assert_array_equal(gy, tgy.numpy())


def test_elementwise_min_jacobians_hessian_and_jvp_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    other = ad.tensor(B)
    theirs = torch.autograd.functional.jacobian(
        lambda t: t.min(torch.tensor(B)), torch.tensor(A)).numpy()
    np.testing.assert_array_equal(ad.jacrev(lambda t: t.min(other))(ad.tensor(A)), theirs)
    np.testing.assert_array_equal(ad.jacfwd(lambda t: t.min(other))(ad.tensor(A)), theirs)
    hess = ad.hessian(lambda t: (t.min(other) ** 2).sum())(ad.tensor(A))
    their_hess = torch.autograd.functional.hessian(
        lambda t: (t.min(torch.tensor(B)) ** 2).sum(), torch.tensor(A))
    np.testing.assert_array_equal(hess, their_hess.numpy())
    out, tangent = ad.jvp(lambda t: ad.tensor(A).min(t), (ad.tensor(B),),
                          (ad.tensor(np.ones(4)),))
    _, their_tangent = torch.func.jvp(lambda t: torch.tensor(A).min(t), (torch.tensor(B),),
                                      (torch.ones(4, dtype=torch.float64),))
    np.testing.assert_array_equal(out, np.minimum(A, B))
    np.testing.assert_array_equal(tangent, their_tangent.numpy())


def test_elementwise_max_in_forward_ad_vmap_and_vmap_of_grad():
    import autodiff.forward_ad as forward
    with forward.dual_level():
        dual = forward.make_dual(ad.tensor(A), ad.tensor(np.ones(4)))
        tangent = forward.unpack_dual(dual.max(ad.tensor(B))).tangent
    np.testing.assert_array_equal(tangent, [0.0, 0.5, 1.0, 0.0])
    rows_a, rows_b = ad.tensor(A.reshape(2, 2)), ad.tensor(B.reshape(2, 2))
    np.testing.assert_array_equal(ad.vmap(lambda a, b: a.max(b))(rows_a, rows_b),
                                  np.maximum(A, B).reshape(2, 2))
    grads = ad.vmap(ad.grad(lambda a, b: a.max(b).sum()))(rows_a, rows_b)
    np.testing.assert_array_equal(grads, [[0.0, 0.5], [1.0, 0.0]])


def test_elementwise_max_replays_and_retraces_under_compile():
    step = ad.compile(lambda a, b: a.max(b) * 2)
    for shift in (0.0, 1.0, -1.0):
        np.testing.assert_array_equal(step(ad.tensor(A + shift), ad.tensor(B)).data,
                                      2 * np.maximum(A + shift, B))
    np.testing.assert_array_equal(step(ad.tensor(A[:2]), ad.tensor(2.0)).data,
                                  2 * np.maximum(A[:2], 2.0))          # a new shape
    loss = ad.compile(lambda a, b: a.min(b).sum())
    for shift in (0.0, 1.0):
        np.testing.assert_array_equal(ad.grad(loss)(ad.tensor(A + shift), ad.tensor(B)),
                                      np.where(A + shift < B, 1.0,
                                               np.where(A + shift == B, 0.5, 0.0)))


def test_elementwise_max_under_no_grad_anomaly_mode_and_explain():
    x = ad.tensor(A, requires_grad=True)
    with ad.no_grad():
        assert not x.max(ad.tensor(B)).requires_grad
    with ad.inference_mode():
        assert not x.max(ad.tensor(B)).requires_grad
    with ad.detect_anomaly():
        np.testing.assert_array_equal(
            ad.grad(lambda t: t.max(ad.tensor(B)).sum())(ad.tensor(A)), [0.0, 0.5, 1.0, 0.0])
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    loss = x.max(ad.tensor([5.0, 5.0])).sum()
    loss.backward(retain_graph=True)
    text = ad.explain(x)
    assert ".grad is all zero" in text and "maximum" in text
    assert "maximum(v0" in ad.viz.text(loss)


def test_elementwise_max_shapes_and_dtypes_as_pytorchs():
    torch = pytest.importorskip("torch")
    cases = [(np.float64(2.0), np.array([1.0, 3.0])),                 # 0-d with 1-D
             (np.zeros((0, 3)), np.ones(3)),                           # empty
             (A.astype(np.float16), B.astype(np.float32)),             # promotion
             (np.array([1, 2]), np.array([True, False])),              # int with bool
             (np.array([np.nan, 1.0]), np.array([1.0, np.nan]))]       # NaN propagates
    for first, second in cases:
        ours = ad.tensor(first).max(ad.tensor(second))
        theirs = torch.tensor(first).max(torch.tensor(second))
        assert ours.dtype == theirs.numpy().dtype and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours, theirs.numpy())


def test_elementwise_max_honours_out_and_refuses_reduction_keywords():
    # (out=, initial=, where= and keepdims= were dropped silently with a Tensor other)
    out = ad.tensor(np.zeros(4))
    assert ad.tensor(A).max(ad.tensor(B), out=out) is out
    np.testing.assert_array_equal(out, np.maximum(A, B))
    out = ad.tensor(np.zeros(4))
    ad.tensor(A).min(ad.tensor(B), out=out)
    np.testing.assert_array_equal(out, np.minimum(A, B))
    for keyword in ({"initial": 10.0}, {"where": np.array([True, False, True, True])},
                    {"keepdims": True}):
        with pytest.raises(TypeError, match=r"maximum, which takes no .*initial.*ad\.maximum"):
            ad.tensor(A).max(ad.tensor(B), **keyword)
    with pytest.raises(TypeError, match="elementwise minimum"):
        ad.tensor(A).min(ad.tensor(B), where=np.array([True, False, True, True]))


# ----- dtype shorthands that return the tensor itself -------------------------------------

def _tripled_through_double(lib, base):
    t = base * 1
    t[1:].double().mul_(3)          # .double() of a float64 view is the view
    return t


def test_in_place_update_through_double_of_a_view_reaches_the_base_and_gradient():
    torch = pytest.importorskip("torch")
    leaf = ad.tensor(A, requires_grad=True)
    ours = _tripled_through_double(ad, leaf)
    (ours ** 2).sum().backward()
    their_leaf = torch.tensor(A, requires_grad=True)
    theirs = _tripled_through_double(torch, their_leaf)
    (theirs ** 2).sum().backward()
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    np.testing.assert_array_equal(leaf.grad, their_leaf.grad.numpy())


def test_in_place_through_double_of_a_leaf_is_refused_and_allowed_under_no_grad():
    leaf = ad.tensor(A.copy(), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf that requires grad"):
        leaf.double().add_(1)
    with ad.no_grad():
        leaf.double().add_(1)
        leaf.type(np.float64).mul_(2)
        leaf.type_as(ad.tensor([0.0])).sub_(1)
    np.testing.assert_array_equal(leaf.data, (A + 1) * 2 - 1)
    copy_in_float32 = leaf.float()          # a copy: the leaf is untouched
    with ad.no_grad():
        copy_in_float32.mul_(0)
    np.testing.assert_array_equal(leaf.data, (A + 1) * 2 - 1)


def test_hook_on_double_of_a_tensor_is_a_hook_on_the_tensor_as_pytorchs():
    torch = pytest.importorskip("torch")

    def run(lib):
        t = lib.tensor(A, requires_grad=True)
        seen = []
        t.double().register_hook(lambda g: seen.append(1) or g * 2)
        (t * 3).sum().backward()
        return np.asarray(t.grad), len(seen)

    ours, their = run(ad), run(torch)
    np.testing.assert_array_equal(ours[0], their[0])
    assert ours[1] == their[1] == 1


def test_same_dtype_shorthands_under_compile_vmap_jvp_and_copies():
    step = ad.compile(lambda t: t.double() * 2 + t.float().double())
    for shift in (0.0, 1.0):
        np.testing.assert_allclose(step(ad.tensor(A + shift)).data, 3 * (A + shift))
    # a float32 trace and a float64 trace of the same function: each its own dtype
    twice = ad.compile(lambda t: t.double() * 2)
    assert twice(ad.tensor(A.astype(np.float32))).dtype == np.float64
    assert twice(ad.tensor(A)).dtype == np.float64
    np.testing.assert_array_equal(
        ad.vmap(ad.grad(lambda t: (t.double() * t).sum()))(ad.tensor(A.reshape(2, 2))),
        2 * A.reshape(2, 2))
    _, tangent = ad.jvp(lambda t: t.double() ** 2, (ad.tensor(A),), (ad.tensor(np.ones(4)),))
    np.testing.assert_array_equal(tangent, 2 * A)
    t = ad.tensor(A, requires_grad=True)
    for copied in (copy.deepcopy([t, t.double()]), pickle.loads(pickle.dumps([t, t.double()]))):
        assert copied[0] is copied[1]           # the same tensor, copied once
    layer = nn.Linear(2, 2).double()
    weight = layer.weight
    assert layer.double() is layer and layer.weight is weight


# ----- bool add with an int alpha, integer norm ------------------------------------------

def test_bool_add_and_sub_with_an_int_alpha_in_place_as_pytorchs():
    torch = pytest.importorskip("torch")
    # (add_ refused the int update of a bool tensor; sub with alpha gave ints)
    for alpha in (0, 3):
        ours = ad.tensor([True, False, False]).add_(ad.tensor([False, True, False]),
                                                    alpha=alpha)
        theirs = torch.tensor([True, False, False]).add_(torch.tensor([False, True, False]),
                                                         alpha=alpha)
        assert ours.dtype == np.bool_
        np.testing.assert_array_equal(ours, theirs.numpy())
    with pytest.raises(TypeError, match="boolean subtract"):
        ad.tensor([True]).sub(ad.tensor([True]), alpha=2)
    with pytest.raises(TypeError, match="boolean subtract"):
        ad.tensor([True]).sub_(ad.tensor([True]), alpha=2)
    with pytest.raises(RuntimeError):
        torch.tensor([True]).sub(torch.tensor([True]), alpha=2)
    np.testing.assert_array_equal(ad.tensor([1]).add_(ad.tensor([True]), alpha=2), [3])
    with pytest.raises(TypeError, match="bool tensor"):       # int update of a bool one
        ad.tensor([True]).add_(ad.tensor([1]), alpha=2)
    p = ad.tensor([1.0, 2.0])
    p.add_(ad.tensor([1.0, 1.0]), alpha=-0.5)                  # the optimizer spelling
    np.testing.assert_array_equal(p, [0.5, 1.5])


def test_bool_add_with_alpha_under_vmap_and_compile():
    batched = ad.vmap(lambda a, b: a.add(b, alpha=3))(
        ad.tensor([[True, False], [False, False]]), ad.tensor([[False, False], [True, False]]))
    assert batched.dtype == np.bool_
    np.testing.assert_array_equal(batched, [[True, False], [True, False]])
    step = ad.compile(lambda a, b: a.add(b, alpha=3))
    for flag in (False, True):
        result = step(ad.tensor([True, False]), ad.tensor([False, flag]))
        assert result.dtype == np.bool_
        np.testing.assert_array_equal(result.data, [True, flag])


def test_integer_norm_refused_under_vmap_float_norms_as_pytorchs():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"int64.*t\.float\(\)\.norm\(\)"):
        ad.vmap(lambda t: t.norm())(ad.tensor([[3, 4]]))
    with pytest.raises(TypeError, match="bool"):
        ad.tensor([True]).norm()
    for values in (np.array([3e3, 4e3], np.float16), np.float64(-3.0), np.zeros(0),
                   np.array([3 + 4j, 1j])):
        ours, theirs = ad.tensor(values).norm(), torch.tensor(values).norm()
        assert ours.dtype == theirs.numpy().dtype
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-3 if ours.dtype ==
                                   np.float16 else 1e-15)
    z = ad.tensor(np.array([3 + 4j, 1j]), requires_grad=True)
    g, = ad.autograd.grad(z.norm(), [z])
    tz = torch.tensor(np.array([3 + 4j, 1j]), requires_grad=True)
    tz.norm().backward()
    np.testing.assert_allclose(g, tz.grad.numpy(), rtol=1e-15)
    np.testing.assert_array_equal(ad.grad(lambda t: t.norm())(ad.tensor(np.zeros(3))),
                                  np.zeros(3))                      # PyTorch's 0 at 0
    grads = ad.vmap(ad.grad(lambda t: t.norm()))(ad.tensor(A.reshape(2, 2)))
    np.testing.assert_allclose(
        grads, A.reshape(2, 2) / np.linalg.norm(A.reshape(2, 2), axis=1, keepdims=True),
        rtol=1e-15)
    np.testing.assert_allclose(
        ad.grad(lambda t: t.norm())(ad.tensor(A)),
        central_difference(lambda v: np.linalg.norm(v), A), rtol=1e-8)
