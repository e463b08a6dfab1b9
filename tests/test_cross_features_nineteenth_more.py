"""More of the nineteenth round's features crossed with the rest: ``np.fmax.reduce`` /
``np.fmin.reduce`` with ``initial=``/``where=`` (ties, compile, the transforms, float16);
``bincount(weights=)``'s gradient under the transforms; the int64 sums of unsigned
tensors and bool ``sign``/``sgn``/``conj`` under compile and vmap; 0-d complex
arithmetic and complex arrays' power fast paths against PyTorch in reverse and forward
mode; hooks receiving ``GradArray`` views under the transforms."""

from __future__ import annotations

import functools
import operator

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from numpy_program_checks import central_difference

RNG = np.random.default_rng(19)
CUBE = RNG.normal(size=(3, 4, 2))
CUBE[0, 1, 0] = np.nan
CUBE[1, :, 1] = np.nan                          # an all-NaN lane
MASK = RNG.random((3, 4, 2)) > 0.4


# ----- fmax.reduce / fmin.reduce with initial= and where= --------------------------------

@pytest.mark.parametrize("ufunc", [np.fmax, np.fmin])
@pytest.mark.parametrize("options", [
    dict(axis=1, initial=0.1), dict(axis=1, initial=0.1, where=MASK),
    dict(axis=(0, 2), initial=-0.3, where=MASK), dict(axis=None, initial=np.nan),
    dict(axis=0, initial=np.nan, where=MASK), dict(axis=2, keepdims=True, initial=5.0, where=MASK),
    dict(axis=1, initial=-np.inf, where=np.zeros((4, 1), bool)),
])
def test_masked_fmax_reduce_values_and_dtypes_as_numpys(ufunc, options):
    for dtype in (np.float64, np.float32, np.float16):
        data = CUBE.astype(dtype)
        ours = ufunc.reduce(ad.tensor(data), **options)
        theirs = ufunc.reduce(data, **options)
        assert ours.dtype == theirs.dtype and ours.shape == np.shape(theirs)
        np.testing.assert_array_equal(ours.data, theirs)
    grad = ad.grad(lambda t: np.nan_to_num(ufunc.reduce(t, **options), nan=0.0, posinf=0.0,
                                           neginf=0.0).sum())(ad.tensor(CUBE))
    assert np.all(np.isfinite(grad))
    if "where" in options:
        assert not np.any(grad[~np.broadcast_to(options["where"], CUBE.shape)])


def test_masked_fmax_reduce_splits_ties_evenly_as_the_reduction_without_a_mask():
    # (slice by slice, the earlier of two equal entries got 0.25 and the later 0.5)
    v = ad.tensor(np.array([2.0, 2.0, 1.0]))
    tie_with_initial = ad.grad(lambda t: np.fmax.reduce(t, axis=0, initial=2.0))(v)
    np.testing.assert_array_equal(tie_with_initial, ad.grad(lambda t: np.max(t, initial=2.0))(v))
    np.testing.assert_array_equal(tie_with_initial, [0.25, 0.25, 0.0])
    masked = ad.grad(lambda t: np.fmin.reduce(-t, axis=0, initial=0.0,
                                              where=np.array([True, True, False])))(v)
    np.testing.assert_array_equal(masked, [-0.5, -0.5, 0.0])
    torch = pytest.importorskip("torch")
    tv = torch.tensor([2.0, 2.0, 1.0], requires_grad=True)
    torch.clamp_min(tv.amax(), 0.0).backward()
    np.testing.assert_array_equal(ad.grad(
        lambda t: np.fmax.reduce(t, axis=0, initial=0.0))(v), tv.grad.numpy())


def test_masked_fmax_reduce_under_compile_follows_the_captured_mask():
    rows = np.abs(CUBE[:, :, 0])
    mask = MASK[:, :, 0].copy()
    step = ad.compile(lambda t: np.fmin.reduce(t, axis=1, initial=0.5, where=mask))
    for scale in (1.0, 2.0, -1.0):
        np.testing.assert_array_equal(step(rows * scale).data,
                                      np.fmin.reduce(rows * scale, axis=1, initial=0.5, where=mask))
    mask[:] = ~mask                                       # a replay reads the mask again
    np.testing.assert_array_equal(step(rows).data,
                                  np.fmin.reduce(rows, axis=1, initial=0.5, where=mask))


def test_masked_fmax_reduce_under_vmap_jacfwd_and_hessian():
    rows = np.array([[1.0, 3.0, -2.0], [0.5, -1.0, 4.0]])
    keep = np.array([True, False, True])
    batched = ad.vmap(lambda t: np.fmax.reduce(t, axis=0, initial=0.0, where=keep))(
        ad.tensor(rows))
    np.testing.assert_array_equal(batched.data, [1.0, 4.0])
    jac = ad.jacfwd(lambda t: np.fmax.reduce(t, axis=1, initial=0.0, where=keep))(
        ad.tensor(rows))
    expected = np.zeros((2, 2, 3))
    expected[0, 0, 0] = expected[1, 1, 2] = 1.0
    np.testing.assert_array_equal(jac, expected)

    def squares(t):
        return np.fmax.reduce(t * t, axis=0, initial=0.5) * 2

    point = np.array([1.0, -3.0])
    np.testing.assert_array_equal(ad.hessian(squares)(ad.tensor(point)), [[0, 0], [0, 4]])
    np.testing.assert_allclose(ad.grad(squares)(ad.tensor(point)), central_difference(
        lambda p: float(np.fmax.reduce(p * p, axis=0, initial=0.5) * 2), point), rtol=1e-8)


def test_masked_fmax_reduce_of_integers_and_empty_axes_keeps_numpys():
    np.testing.assert_array_equal(
        np.fmax.reduce(ad.tensor(np.array([1, 5, 3])), initial=4, where=[True, False, True]).data,
        np.fmax.reduce(np.array([1, 5, 3]), initial=4, where=[True, False, True]))
    empty = ad.grad(lambda t: np.fmin.reduce(t, axis=1, initial=1.0).sum())(
        ad.tensor(np.zeros((2, 0))))
    assert empty.shape == (2, 0)


# ----- bincount(weights=) ----------------------------------------------------------------

INDEX = np.array([0, 2, 2, 5])
WEIGHTS = np.array([0.5, 1.0, -2.0, 3.0])


def _counted(w):
    return ad.tensor(INDEX).bincount(weights=w, minlength=7)


def test_bincount_weights_jacobians_hessian_and_compile():
    jac = np.zeros((7, 4))
    jac[INDEX, np.arange(4)] = 1.0
    np.testing.assert_array_equal(ad.jacrev(_counted)(ad.tensor(WEIGHTS)), jac)
    np.testing.assert_array_equal(ad.jacfwd(_counted)(ad.tensor(WEIGHTS)), jac)
    hess = ad.hessian(lambda w: (_counted(w) ** 3).sum())(ad.tensor(WEIGHTS))
    bins = np.bincount(INDEX, weights=WEIGHTS)
    np.testing.assert_allclose(hess, 6 * jac.T @ np.diag(np.pad(bins, (0, 1))) @ jac)
    step = ad.compile(lambda w: _counted(w) * 2)
    for scale in (1.0, -2.0):
        np.testing.assert_array_equal(
            step(WEIGHTS * scale).data, 2 * np.bincount(INDEX, WEIGHTS * scale, minlength=7))
    batched = ad.vmap(_counted)(ad.tensor(np.stack([WEIGHTS, 2 * WEIGHTS])))
    np.testing.assert_array_equal(batched.data[1], 2 * np.bincount(INDEX, WEIGHTS, 7))


def test_bincount_weights_dtypes_as_pytorchs():
    torch = pytest.importorskip("torch")
    for dtype in (np.float32, np.float16, np.int64):
        ours = ad.tensor(INDEX).bincount(weights=ad.tensor(WEIGHTS.astype(dtype)))
        theirs = torch.tensor(INDEX).bincount(weights=torch.tensor(WEIGHTS.astype(dtype)))
        assert ours.dtype == theirs.numpy().dtype, dtype
        np.testing.assert_array_equal(ours.data, theirs.numpy())


# ----- unsigned sums and bool sign under compile and vmap --------------------------------

UINT = np.array([[200, 100, 7], [255, 1, 0]], dtype=np.uint8)


@pytest.mark.parametrize("method", ["sum", "prod", "cumsum", "nansum"])
def test_unsigned_method_reductions_are_int64_under_compile_and_vmap(method):
    torch = pytest.importorskip("torch")
    call = (lambda t: getattr(t, method)(1)) if method != "nansum" else (lambda t: t.nansum(1))
    theirs = call(torch.tensor(UINT)).numpy()
    step = ad.compile(call)
    for _ in range(2):
        ours = step(ad.tensor(UINT))
        assert ours.dtype == np.int64
        np.testing.assert_array_equal(ours.data, theirs)
    batched = ad.vmap(lambda row: getattr(row, method)(0))(ad.tensor(UINT))
    torch_batched = torch.vmap(lambda row: getattr(row, method)(0))(torch.tensor(UINT))
    assert batched.dtype == np.int64
    np.testing.assert_array_equal(batched.data, torch_batched.numpy())


def test_in_place_cumsum_of_uint8_wraps_under_compile_as_pytorchs():
    torch = pytest.importorskip("torch")
    step = ad.compile(lambda t: t.cumsum_(1))
    for _ in range(2):
        t = ad.tensor(UINT.copy())
        step(t)
        np.testing.assert_array_equal(t.data, torch.tensor(UINT).cumsum_(1).numpy())
        assert t.dtype == np.uint8


@pytest.mark.parametrize("method", ["sign", "sgn", "conj"])
def test_bool_sign_methods_stay_bool_under_compile_and_vmap(method):
    torch = pytest.importorskip("torch")
    flags = np.array([[True, False, True]])
    step = ad.compile(lambda t: getattr(t, method)())
    assert [step(ad.tensor(flags)).dtype for _ in range(2)] == [np.bool_, np.bool_]
    batched = ad.vmap(lambda t: getattr(t, method)())(ad.tensor(flags))
    theirs = torch.vmap(lambda t: getattr(t, method)())(torch.tensor(flags))
    np.testing.assert_array_equal(batched.data, theirs.numpy())
    grad = ad.grad(lambda x: (x * getattr(ad.tensor(flags[0]), method)()).sum())(
        ad.tensor(np.ones(3)))
    np.testing.assert_array_equal(grad, [1.0, 0.0, 1.0])


# ----- complex arithmetic of 0-d tensors and the power fast paths -------------------------

ZS = np.array([1.5 - 0.5j, 2 + 1j, -0.25 + 3j])


@pytest.mark.parametrize("f", [
    lambda t: t * t * 3, lambda t: t ** 2.5, lambda t: abs(t), lambda t: 2.0 ** t,
    lambda t: t ** 2, lambda t: t ** -1, lambda t: t ** 0.5, lambda t: t ** 0,
], ids=["product", "power", "abs", "number_base", "square", "reciprocal", "sqrt", "zero"])
def test_complex_powers_and_products_differentiate_as_pytorchs(f):
    torch = pytest.importorskip("torch")

    def real_part(y):
        return y.real if y.dtype.kind == "c" else y

    for value in (ZS[0], ZS):                       # a 0-d tensor and an array
        t = ad.tensor(value, requires_grad=True)
        g, = ad.autograd.grad(real_part(f(t)).sum(), [t])
        tt = torch.tensor(value, requires_grad=True)
        tg, = torch.autograd.grad(f(tt).real.sum() if f(tt).is_complex() else f(tt).sum(), tt)
        np.testing.assert_allclose(g.data, tg.numpy(), rtol=1e-12, atol=1e-15)
    tangent = ZS * 1j + 0.5
    _, ours = ad.jvp(f, (ad.tensor(ZS),), (ad.tensor(tangent),))
    _, theirs = torch.func.jvp(f, (torch.tensor(ZS),), (torch.tensor(tangent),))
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12, atol=1e-15)


def test_0d_complex_scalar_arithmetic_replays_numpys_last_bit_under_compile():
    z = np.complex128(1.5 - 0.5j)
    calls = {
        "product": (lambda t: t * t * 3, z * z * 3),
        "power": (lambda t: t ** 2.5, z ** 2.5),
        "numpy scalar base": (lambda t: np.float32(2) ** t, np.float32(2) ** z),
        "numpy scalar factor": (lambda t: np.complex64(2 - 1j) * t, np.complex64(2 - 1j) * z),
        "abs": (lambda t: abs(t), abs(z)),
    }
    for name, (f, expected) in calls.items():
        step = ad.compile(f)
        for _ in range(3):
            assert step(ad.tensor(z)).item() == expected, name


def test_complex_in_place_square_records_the_gradient_as_pytorchs():
    torch = pytest.importorskip("torch")
    t = ad.tensor(ZS, requires_grad=True)
    u = t * 1
    u **= 2
    g, = ad.autograd.grad(u.real.sum(), [t])
    tt = torch.tensor(ZS, requires_grad=True)
    tu = tt * 1
    tu **= 2
    tg, = torch.autograd.grad(tu.real.sum(), tt)
    np.testing.assert_array_equal(u.data, ZS ** 2)
    np.testing.assert_allclose(g, tg.numpy(), rtol=1e-14)


# ----- hooks receiving GradArray views ---------------------------------------------------

def test_tensor_hooks_under_vmap_of_grad_jacrev_and_create_graph_as_pytorchs():
    torch = pytest.importorskip("torch")

    def lib_f(lib):
        def f(x):
            y = x * x
            y.register_hook(lambda g: g * 10)
            return y.sum()
        return f

    rows = np.array([[1.0, 2.0], [3.0, 4.0]])
    ours = ad.vmap(ad.grad(lib_f(ad)))(ad.tensor(rows))
    theirs = torch.func.vmap(torch.func.grad(lib_f(torch)))(torch.tensor(rows))
    np.testing.assert_array_equal(ours, theirs.numpy())
    t = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = t ** 3
    y.register_hook(lambda g: g * 2)
    g, = ad.autograd.grad(y.sum(), [t], create_graph=True)
    gg, = ad.autograd.grad(g.sum(), [t])
    tt = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    ty = tt ** 3
    ty.register_hook(lambda g: g * 2)
    tg, = torch.autograd.grad(ty.sum(), tt, create_graph=True)
    tgg, = torch.autograd.grad(tg.sum(), tt)
    np.testing.assert_array_equal(g.data, tg.detach().numpy())
    np.testing.assert_array_equal(gg, tgg.numpy())


def test_a_float16_gradient_in_a_hook_has_pytorchs_norm_and_anomaly_mode_keeps_hooks():
    torch = pytest.importorskip("torch")
    seen = {}
    t = ad.tensor(np.array([0.3, 0.4], np.float16), requires_grad=True)
    t.register_hook(lambda g: seen.__setitem__("norm", g.norm()))
    (t * 300).sum().backward()                  # (squares of 300 overflow float16)
    tt = torch.tensor([0.3, 0.4], dtype=torch.float16, requires_grad=True)
    tt.register_hook(lambda g: seen.__setitem__("torch", g.norm()))
    (tt * 300).sum().backward()
    assert seen["norm"].dtype == np.float16
    assert float(seen["norm"]) == seen["torch"].item() == np.float16(300 * np.sqrt(2))
    with ad.autograd.detect_anomaly():
        w = nn.Parameter(ad.tensor(np.array([1.0, 2.0])))
        w.register_hook(lambda g: g.clamp(max=0.5))
        (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad, [0.5, 0.5])


def test_a_clipping_hook_written_with_g_clamp_runs_as_pytorchs():
    # (GradArray had clamp_ but not clamp: PyTorch's clipping hook raised AttributeError)
    torch = pytest.importorskip("torch")
    start = np.array([0.2, -3.0, 1.5], np.float32)
    w = nn.Parameter(ad.tensor(start))
    w.register_hook(lambda g: g.clamp(-1.0, 1.0))
    tw = torch.nn.Parameter(torch.tensor(start))
    tw.register_hook(lambda g: g.clamp(-1.0, 1.0))
    (w ** 2).sum().backward()
    (tw ** 2).sum().backward()
    np.testing.assert_array_equal(w.grad, tw.grad.numpy())
    assert w.grad.dtype == np.float32
    with pytest.raises(ValueError, match="clamp: give min=, max= or both"):
        w.grad.clamp()
    with pytest.raises(TypeError, match="clamp: complex values"):
        np.array([1j]).view(type(w.grad)).clamp(0, 1)


@pytest.mark.parametrize("reduce", [
    lambda t: np.hypot.reduce(t, axis=1) * 2,
    lambda t: np.fmax.reduce(t, axis=1, initial=1.5) + t.sum(),
    lambda t: np.hypot.reduce(t, axis=1, initial=2.0, where=np.zeros((1, 0), bool)),
], ids=["identity", "initial", "where"])
def test_a_reduction_over_an_empty_axis_replays_under_compile(reduce):
    # (NumPy's result for no entries was an array made during the call: a TraceError
    # blamed the user's line for it)
    step = ad.compile(reduce)
    eager = reduce(ad.tensor(np.zeros((2, 0)))).data
    for _ in range(3):
        np.testing.assert_array_equal(step(np.zeros((2, 0))).data, eager)
    assert step(np.zeros((3, 0))).shape == (3,)


def test_a_compiled_step_through_an_empty_reduction_gives_an_empty_gradient():
    w = ad.tensor(np.zeros((2, 0)), requires_grad=True)

    def step(t):
        loss = np.hypot.reduce(t, axis=1, initial=3.0).sum()
        loss.backward()
        return loss

    compiled = ad.compile(step)
    assert [compiled(w).item() for _ in range(2)] == [6.0, 6.0]
    assert w.grad.shape == (2, 0)


def test_a_numpy_scalar_on_the_left_under_the_transforms_and_spelled_many_ways():
    z, c = np.complex128(1.5 - 0.5j), np.complex64(2 - 1j)
    t = ad.tensor(z, requires_grad=True)
    g, = ad.autograd.grad((c * t).real, [t])
    assert g.item() == np.conj(np.complex128(c))
    point = np.float64(0.5)
    np.testing.assert_allclose(ad.hessian(lambda s: np.float64(2) ** s)(ad.tensor(point)),
                               np.log(2) ** 2 * 2 ** point, rtol=1e-14)
    np.testing.assert_allclose(ad.vmap(lambda s: np.float32(2) ** s)(
        ad.tensor(np.array([0.5, 1.0]))).data, [np.sqrt(2), 2.0], rtol=1e-15)
    assert ad.jacrev(lambda s: np.float64(3) * s)(ad.tensor(point)) == 3.0
    spellings = [lambda: functools.reduce(operator.mul, [c, ad.tensor(z)]),
                 lambda: functools.reduce(np.multiply, [c, ad.tensor(z)]),
                 lambda: np.multiply(c, ad.tensor(z)), lambda: (c
                                                                * ad.tensor(z))]
    expected = [c * z, np.multiply(c, z), np.multiply(c, z), c * z]
    for spelling, value in zip(spellings, expected):
        assert spelling().item() == value
    _, tangent = ad.jvp(lambda s: c * s * s, (ad.tensor(z),), (ad.tensor(np.complex128(1)),))
    assert tangent.item() == pytest.approx(2 * np.complex128(c) * z, rel=1e-7)
