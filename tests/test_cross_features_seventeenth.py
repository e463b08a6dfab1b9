"""The seventeenth round's features with the machinery they are used with:
``jacfwd(randomness=)`` in float32, float16 and complex, under vmap, double backward
and compile; ``func.linearize``'s ``jvp_fn`` under the transforms and ``ad.compile``;
NumPy's ``initial=`` of ``np.max``, ``np.min``, ``np.prod`` (and their ufuncs'
``reduce``) under ``ad.compile``; ``t.unique(dim=0)`` of a 1-D tensor holding NaN."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError

X = np.random.default_rng(17).normal(size=(3,))
BATCH = np.random.default_rng(18).normal(size=(4, 3))


def _draw_times(y):
    return y * ad.rand(*y.shape).astype(y.dtype)


# ----- jacfwd(randomness=) ----------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_per_column_jacfwd_keeps_a_low_precision_dtype(dtype):
    # (each column's basis tangent was float64, which jvp refuses for a float32 primal)
    x = ad.tensor(np.arange(1.0, 4.0).astype(dtype))
    different = ad.func.jacfwd(lambda y: y * y, randomness="different")(x)
    same = ad.func.jacfwd(lambda y: y * y, randomness="same")(x)
    assert different.dtype == same.dtype == dtype
    np.testing.assert_array_equal(np.asarray(different), np.diag([2.0, 4.0, 6.0]).astype(dtype))
    drawn = ad.func.jacfwd(_draw_times, randomness="different")(x)
    assert drawn.dtype == dtype and drawn.shape == (3, 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_per_column_jacfwd_dtype_against_pytorch(dtype):
    torch = pytest.importorskip("torch")
    theirs = torch.func.jacfwd(lambda y: y * y, randomness="different")(
        torch.tensor(np.arange(1.0, 4.0).astype(dtype)))
    ours = ad.func.jacfwd(lambda y: y * y, randomness="different")(
        ad.tensor(np.arange(1.0, 4.0).astype(dtype)))
    assert str(theirs.dtype).split(".")[-1] == np.dtype(ours.dtype).name
    np.testing.assert_array_equal(np.asarray(ours), theirs.numpy())


@pytest.mark.parametrize("randomness", ["same", "different", "error"])
def test_jacfwd_refuses_a_complex_argument_in_every_randomness(randomness):
    # (randomness='different' took it and gave the derivative along the real axis only)
    z = ad.tensor(np.array([1.0 + 1.0j, 2.0]))
    with pytest.raises(TypeError, match="jacfwd: argument 0 has dtype complex128"):
        ad.func.jacfwd(lambda y: y * y, randomness=randomness)(z)
    with pytest.raises(TypeError, match="jacfwd: argument 0 has dtype int64"):
        ad.func.jacfwd(lambda y: y * y, randomness="different")(ad.tensor([1, 2]))


def test_jacfwd_refuses_complex_as_pytorch_does():
    torch = pytest.importorskip("torch")
    for randomness in ("same", "different"):
        with pytest.raises(RuntimeError, match="Expected all inputs to be real"):
            torch.func.jacfwd(lambda y: y * y, randomness=randomness)(
                torch.ones(2, dtype=torch.complex128))


def test_per_column_jacfwd_at_odd_shapes_and_without_draws():
    scalar = ad.func.jacfwd(lambda y: y ** 3, randomness="different")(ad.tensor(2.0))
    assert scalar.shape == () and float(scalar) == 12.0
    empty = ad.func.jacfwd(_draw_times, randomness="different")(ad.zeros(0))
    assert empty.shape == (0, 0)
    plain = ad.func.jacfwd(ad.sin, randomness="different")(ad.tensor(X))
    np.testing.assert_allclose(np.asarray(plain), np.diag(np.cos(X)), rtol=1e-15)


def test_per_column_jacfwd_draws_one_value_per_column():
    jac = np.asarray(ad.func.jacfwd(_draw_times, randomness="different")(ad.ones(3)))
    assert np.count_nonzero(jac - np.diag(np.diag(jac))) == 0     # each column its own draw
    shared = np.asarray(ad.func.jacfwd(_draw_times, randomness="same")(ad.ones(3)))
    assert shared.shape == (3, 3) and np.count_nonzero(shared - np.diag(np.diag(shared))) == 0


def test_per_column_jacfwd_double_backward_against_pytorch():
    torch = pytest.importorskip("torch")
    x = ad.tensor(X, requires_grad=True)
    ad.func.jacfwd(lambda y: ad.sin(y) * y, randomness="different")(x).sum().backward()
    xt = torch.tensor(X, requires_grad=True)
    torch.func.jacfwd(lambda y: torch.sin(y) * y, randomness="different")(xt).sum().backward()
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-13)
    # d/dx of (cos x * x + sin x): the second derivative, written out
    np.testing.assert_allclose(x.grad, 2 * np.cos(X) - X * np.sin(X), rtol=1e-13)


def test_jacfwd_randomness_under_vmap_no_grad_and_compile():
    per_example = ad.vmap(ad.func.jacfwd(_draw_times, randomness="different"),
                          randomness="different")(ad.tensor(BATCH))
    assert per_example.shape == (4, 3, 3)
    with pytest.raises(RuntimeError, match=r"jacfwd\(_draw_times\).*randomness 'error'"):
        ad.vmap(ad.func.jacfwd(_draw_times), randomness="different")(ad.tensor(BATCH))
    with ad.no_grad():
        assert ad.func.jacfwd(_draw_times, randomness="different")(ad.tensor(X)).shape == (3, 3)
    compiled = ad.compile(lambda y: ad.func.jacfwd(_draw_times, randomness="different")(y))
    with pytest.raises(TraceError, match="does not replay function transforms"):
        compiled(ad.tensor(X))
    with pytest.raises(RuntimeError, match="hessian takes no randomness"):
        ad.func.hessian(lambda y: _draw_times(y).sum())(ad.tensor(X))


def test_per_column_jacfwd_aux_argnums_and_dict_output_against_pytorch():
    torch = pytest.importorskip("torch")
    jac, aux = ad.func.jacfwd(lambda y: (y * 2, {"s": y.sum(), "c": 5.0}), has_aux=True,
                              randomness="different")(ad.tensor(X))
    assert isinstance(aux["s"], ad.Tensor) and aux["c"] == 5.0
    np.testing.assert_allclose(float(aux["s"]), X.sum(), rtol=1e-15)
    ours = ad.func.jacfwd(lambda a, b: a * b, argnums=(0, 1), randomness="different")(
        ad.tensor(X), ad.tensor(X + 1))
    theirs = torch.func.jacfwd(lambda a, b: a * b, argnums=(0, 1), randomness="different")(
        torch.tensor(X), torch.tensor(X + 1))
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(np.asarray(a), b.numpy())
    ours = ad.func.jacfwd(lambda a: {"p": a * 2, "q": a.sum()}, randomness="different")(
        ad.tensor(X))
    theirs = torch.func.jacfwd(lambda a: {"p": a * 2, "q": a.sum()},
                               randomness="different")(torch.tensor(X))
    for key in ("p", "q"):
        np.testing.assert_array_equal(np.asarray(ours[key]), theirs[key].numpy())


# ----- func.linearize's jvp_fn ------------------------------------------------------------

def _sin_times(y):
    return ad.sin(y) * y


DERIVATIVE = np.cos(X) * X + np.sin(X)


def test_jvp_fn_is_refused_inside_a_compiled_function():
    # (the replays returned the first call's tangents: 1 * derivative for any tangent)
    _, jvp_fn = ad.func.linearize(_sin_times, ad.tensor(X))
    compiled = ad.compile(lambda v: jvp_fn(v) * 2)
    with pytest.raises(TraceError, match="func.linearize's jvp_fn is called at .*"
                                         "test_cross_features_seventeenth.py"):
        compiled(ad.tensor(np.ones(3)))
    np.testing.assert_allclose(np.asarray(jvp_fn(ad.tensor(np.full(3, 2.0)))),
                               2 * DERIVATIVE, rtol=1e-15)


def test_jvp_fn_under_vmap_jacrev_jvp_and_no_grad():
    _, jvp_fn = ad.func.linearize(_sin_times, ad.tensor(X))
    batched = ad.vmap(jvp_fn)(ad.tensor(BATCH))
    np.testing.assert_allclose(np.asarray(batched), BATCH * DERIVATIVE, rtol=1e-14)
    np.testing.assert_allclose(np.asarray(ad.func.jacrev(jvp_fn)(ad.tensor(np.ones(3)))),
                               np.diag(DERIVATIVE), rtol=1e-15)
    _, tangent = ad.func.jvp(jvp_fn, (ad.tensor(np.ones(3)),), (ad.tensor(np.ones(3)),))
    np.testing.assert_allclose(np.asarray(tangent), DERIVATIVE, rtol=1e-15)
    with ad.no_grad():
        result = jvp_fn(ad.tensor(np.ones(3), requires_grad=True))
    assert not result.requires_grad


def test_jvp_fn_at_odd_shapes_and_in_float32():
    out, jvp_fn = ad.func.linearize(lambda y: y ** 3, ad.tensor(2.0))
    assert float(out) == 8.0 and float(jvp_fn(ad.tensor(1.0))) == 12.0
    _, jvp_fn = ad.func.linearize(lambda y: y ** 3, ad.zeros((0, 2)))
    assert jvp_fn(ad.zeros((0, 2))).shape == (0, 2)
    _, jvp_fn = ad.func.linearize(_sin_times, ad.tensor(X.astype(np.float32)))
    assert jvp_fn(ad.tensor(np.ones(3, np.float32))).dtype == np.float32


def test_jvp_fn_backward_against_pytorch():
    torch = pytest.importorskip("torch")
    x = ad.tensor(X, requires_grad=True)
    v = ad.tensor(np.ones(3), requires_grad=True)
    _, jvp_fn = ad.func.linearize(_sin_times, x)
    jvp_fn(v).sum().backward()
    xt = torch.tensor(X, requires_grad=True)
    vt = torch.ones(3, dtype=torch.float64, requires_grad=True)
    _, torch_jvp_fn = torch.func.linearize(lambda y: torch.sin(y) * y, xt)
    torch_jvp_fn(vt).sum().backward()
    assert x.grad is None and xt.grad is None
    np.testing.assert_allclose(v.grad, vt.grad.numpy(), rtol=1e-14)


# ----- initial= of the masked reductions under ad.compile ---------------------------------

A = np.abs(np.random.default_rng(19).normal(size=(3, 4))) + 0.5
MASK = np.array([True, False, True, True])
INITIAL_REDUCTIONS = [
    ("np.max(initial=)", lambda a: np.max(a, axis=1, initial=1.5)),
    ("np.min(initial=, where=)", lambda a: np.min(a, axis=1, initial=-1.5, where=MASK)),
    ("np.prod(initial=)", lambda a: np.prod(a, axis=1, initial=1.5)),
    ("np.prod(initial=, keepdims)", lambda a: np.prod(a, axis=1, initial=2.0, keepdims=True)),
    ("np.maximum.reduce(initial=)", lambda a: np.maximum.reduce(a, axis=1, initial=1.5)),
    ("np.minimum.reduce(initial=, where=)",
     lambda a: np.minimum.reduce(a, axis=1, initial=0.7, where=MASK)),
    ("np.multiply.reduce(initial=)", lambda a: np.multiply.reduce(a, axis=1, initial=1.5)),
    ("np.add.reduce(initial=)", lambda a: np.add.reduce(a, axis=1, initial=1.5)),
]


@pytest.mark.parametrize("spelling, reduction", INITIAL_REDUCTIONS,
                         ids=[case[0] for case in INITIAL_REDUCTIONS])
def test_an_initial_value_replays_under_compile(spelling, reduction):
    # (max, min and prod made their initial= a fresh array, which the trace refused as
    # "made during the call outside the library")
    compiled = ad.compile(reduction)
    for shift in (0.0, 1.0, -0.3):
        result = compiled(ad.tensor(A + shift))
        # the product's initial= multiplies last (NumPy's first): a few ulps apart
        np.testing.assert_allclose(np.asarray(result), reduction(A + shift), rtol=1e-14,
                                   err_msg=spelling)


def test_an_initial_value_under_compile_with_backward():
    def step(a):
        loss = np.max(a, axis=1, initial=1.5).sum() + np.prod(a, axis=1, initial=2.0).sum()
        loss.backward()
        return loss
    compiled = ad.compile(step)
    for shift in (0.0, 1.0):
        eager = ad.tensor(A + shift, requires_grad=True)
        step(eager)
        replayed = ad.tensor(A + shift, requires_grad=True)
        compiled(replayed)
        np.testing.assert_allclose(replayed.grad, eager.grad, rtol=1e-14)


# ----- t.unique(dim=0) of a 1-D tensor with NaN -------------------------------------------

WITH_NAN = np.array([1.0, np.nan, 2.0, np.nan, 1.0])


def test_unique_along_the_one_dim_counts_each_nan_as_without_dim():
    # (dim=0 of a 1-D tensor merged the NaNs, as NumPy's np.unique does)
    flat = ad.tensor(WITH_NAN).unique(return_inverse=True, return_counts=True)
    along = ad.tensor(WITH_NAN).unique(dim=0, return_inverse=True, return_counts=True)
    for ours, reference in zip(along, flat):
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(reference))
    assert np.asarray(along[2]).tolist() == [2, 1, 1, 1]
    rows = ad.tensor(np.array([[np.nan, 1.0], [np.nan, 1.0], [0.0, 0.0]]))
    assert rows.unique(dim=0, return_counts=True)[1].tolist() == [1, 1, 1]


def test_unique_with_nan_against_pytorch():
    torch = pytest.importorskip("torch")
    for extra in ({}, {"return_counts": True}, {"return_inverse": True}):
        ours = ad.tensor(WITH_NAN.astype(np.float32)).unique(**extra)
        theirs = torch.tensor(WITH_NAN.astype(np.float32)).unique(**extra)
        for a, b in zip(ours if extra else [ours], theirs if extra else [theirs]):
            np.testing.assert_array_equal(np.asarray(a), b.numpy())
    # PyTorch's 2-D unique along dim 0 keeps each row with NaN, as ours
    rows = np.array([[np.nan, 1.0], [np.nan, 1.0]])
    np.testing.assert_array_equal(np.asarray(ad.tensor(rows).unique(dim=0)),
                                  torch.tensor(rows).unique(dim=0).numpy())


def test_unique_with_nan_under_vmap_and_empty():
    batched = ad.vmap(lambda r: r.unique())(ad.tensor(np.stack([WITH_NAN, WITH_NAN])))
    assert batched.shape == (2, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values, counts = ad.zeros(0).unique(return_counts=True)
    assert values.shape == counts.shape == (0,)
    values, counts = ad.tensor(np.nan).unique(return_counts=True)
    assert values.shape == (1,) and counts.tolist() == [1]
