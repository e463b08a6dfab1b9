"""The twenty-second round's features crossed with the rest, the functions: the
``scipy.special`` functions that record on Tensors, ``np.pad(mode='empty')`` and
``logcumsumexp`` of a NaN, through ``ad.compile`` (replays, ``AUTODIFF_JIT=0``),
``vmap`` / ``vmap(grad)``, ``jacrev`` / ``jacfwd`` / ``hessian``, double backward,
forward mode, ``no_grad`` / ``inference_mode`` and float32 / float16 / 0-d / empty
shapes; against SciPy's values, central differences and PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special as sc

import autodiff as ad
import autodiff.forward_ad as forward
from numpy_program_checks import central_difference

X = np.array([0.3, 0.6, 0.8])
Y = np.array([0.5, 1.2, 2.0])

UNARY = {"gamma": sc.gamma, "ndtri": sc.ndtri, "expm1": sc.expm1, "log1p": sc.log1p,
         "exp2": sc.exp2, "exp10": sc.exp10, "cbrt": sc.cbrt, "erfcx": sc.erfcx,
         "i0e": sc.i0e, "i1e": sc.i1e, "entr": sc.entr}
# (the second argument of gammainc / gammaincc: the first has no derivative, as PyTorch)
BINARY = {"betaln": sc.betaln, "xlog1py": sc.xlog1py, "rel_entr": sc.rel_entr,
          "kl_div": sc.kl_div, "gammainc": sc.gammainc, "gammaincc": sc.gammaincc}
TWO_ARGUMENT_SLOPES = {"betaln": (0, 1), "xlog1py": (0, 1), "rel_entr": (0, 1),
                       "kl_div": (0, 1), "gammainc": (1,), "gammaincc": (1,)}


def _slope_by_differences(f, x):
    return central_difference(lambda p: f(p).sum(), x.copy())


# ----- scipy.special on Tensors through the transforms --------------------------------------

@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_scipy_functions_through_the_transforms_agree(name):
    f = UNARY[name]
    slope = _slope_by_differences(f, X)
    by_grad = ad.grad(lambda t: f(t).sum())(ad.tensor(X))
    np.testing.assert_allclose(by_grad, slope, rtol=1e-6)
    # each transform computes the same diagonal (exact: one rule, one formula)
    jacobian = ad.jacrev(f)(ad.tensor(X))
    np.testing.assert_array_equal(np.diag(ad.jacfwd(f)(ad.tensor(X))), np.diag(jacobian))
    np.testing.assert_array_equal(ad.vmap(ad.grad(f))(ad.tensor(X)), by_grad)
    with forward.dual_level():
        dual = forward.make_dual(ad.tensor(X), ad.tensor(np.ones(3)))
        tangent = forward.unpack_dual(f(dual)).tangent
    np.testing.assert_array_equal(tangent, np.diag(jacobian))
    # the values are SciPy's own
    np.testing.assert_array_equal(f(ad.tensor(X)), f(X))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_scipy_functions_second_derivative_is_the_slopes_slope(name):
    f = UNARY[name]
    slope_of = ad.grad(lambda t: f(t).sum())
    curvature = np.diag(ad.hessian(lambda t: f(t).sum())(ad.tensor(X)))
    np.testing.assert_allclose(
        curvature, central_difference(lambda p: np.sum(slope_of(ad.tensor(p))), X.copy(),
                                      eps=1e-5), rtol=1e-5, atol=1e-9)
    x = ad.tensor(X, requires_grad=True)          # double backward spelled out
    (g,) = ad.autograd.grad(f(x).sum(), x, create_graph=True)
    g.sum().backward()
    np.testing.assert_allclose(x.grad, curvature, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_scipy_functions_slopes_by_transforms_and_differences(name):
    f = BINARY[name]
    argnums = TWO_ARGUMENT_SLOPES[name]
    grads = ad.grad(lambda a, b: f(a, b).sum(), argnums=argnums)(ad.tensor(X), ad.tensor(Y))
    for argnum, grad in zip(argnums, grads):
        if argnum == 0:
            slope = _slope_by_differences(lambda p: f(p, Y), X)
        else:
            slope = _slope_by_differences(lambda p: f(X, p), Y)
        np.testing.assert_allclose(grad, slope, rtol=1e-6)
        # per example under vmap (the same rule on the same numbers)
        mapped = ad.vmap(ad.grad(lambda a, b: f(a, b), argnums=argnum), in_dims=(0, 0))(
            ad.tensor(X), ad.tensor(Y))
        np.testing.assert_allclose(mapped, grad, rtol=1e-15)
        x_or_y = [ad.tensor(X), ad.tensor(Y)]

        def along(t, argnum=argnum):
            args = list(x_or_y)
            args[argnum] = t
            return f(*args)
        np.testing.assert_allclose(np.diag(ad.jacfwd(along)(x_or_y[argnum])), grad,
                                   rtol=1e-15)


@pytest.mark.parametrize("name", ["gamma", "erfcx", "i1e", "xlog1py", "gammaincc"])
def test_scipy_functions_in_a_compiled_step_replay_the_eager_gradients(name, monkeypatch):
    for jit in ("1", "0"):
        monkeypatch.setenv("AUTODIFF_JIT", jit)
        f = UNARY.get(name) or (lambda t, f=BINARY[name]: f(ad.tensor(1.5), t))

        def step(t):
            loss = f(t).sum()
            loss.backward()
            return loss

        compiled = ad.compile(step)
        for scale in (1.0, 1.1, 1.2):
            x = ad.tensor(X * scale, requires_grad=True)
            eager = ad.tensor(X * scale, requires_grad=True)
            # (a fused replay may sum in another order and use its own exp: a few ulps)
            assert compiled(x).item() == pytest.approx(step(eager).item(), rel=1e-13)
            np.testing.assert_allclose(x.grad, eager.grad, rtol=1e-13)
        assert compiled.traces == 1


@pytest.mark.parametrize("mode", ["no_grad", "inference_mode"])
def test_scipy_functions_record_nothing_under_no_grad(mode):
    x = ad.tensor(X, requires_grad=True)
    with getattr(ad, mode)():
        values = [sc.gamma(x), sc.xlog1py(x, x), sc.erfcx(x)]
    assert not any(v.requires_grad for v in values)
    np.testing.assert_array_equal(values[1], sc.xlog1py(X, X))


@pytest.mark.parametrize("shape", [(), (1,), (0,), (0, 2)])
def test_scipy_functions_on_0d_size_1_and_empty_tensors(shape):
    x = ad.tensor(np.full(shape, 0.4), requires_grad=True)
    total = sc.gamma(x).sum() + sc.kl_div(x, 0.5).sum()
    total.backward()
    assert x.grad.shape == shape
    expected = sc.gamma(0.4) * sc.digamma(0.4) + np.log(0.4 / 0.5)
    np.testing.assert_allclose(x.grad, np.full(shape, expected), rtol=1e-12)


def test_scipy_functions_keep_scipys_float32_and_float16_result_dtypes():
    for dtype in (np.float32, np.float16):
        x = ad.tensor(X.astype(dtype), requires_grad=True)
        for f in (sc.gamma, sc.ndtri, sc.entr, sc.cbrt):
            assert f(x).dtype == f(X.astype(dtype)).dtype
        assert sc.rel_entr(x, x).dtype == sc.rel_entr(X.astype(dtype), X.astype(dtype)).dtype
        sc.ndtri(x).sum().backward()
        assert x.grad.dtype == dtype


def test_complex_scipy_functions_refuse_to_record_naming_the_real_route():
    z = ad.tensor(X + 0.1j, requires_grad=True)
    with pytest.raises(TypeError, match=r"scipy_gamma.*real numbers.*z\.real"):
        sc.gamma(z)
    np.testing.assert_array_equal(sc.gamma(ad.tensor(X + 0.1j)), sc.gamma(X + 0.1j))


# ----- float16 erfcx: the slope's series in float32 -----------------------------------------

@pytest.mark.parametrize("spelling", ["ad.special.erfcx", "scipy.special.erfcx"])
def test_float16_erfcx_slope_past_ten_is_finite_and_float32s(spelling):
    f = ad.special.erfcx if spelling == "ad.special.erfcx" else sc.erfcx
    points = np.array([0.3, 12.0, 30.0])
    slopes = {}
    for dtype in (np.float16, np.float32):
        x = ad.tensor(points.astype(dtype), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")       # (was: overflow encountered in cast)
            f(x).sum().backward()
        assert x.grad.dtype == dtype
        slopes[dtype] = x.grad
    # the float16 slopes were NaN past 10: the series' coefficients pass 65504
    np.testing.assert_allclose(slopes[np.float16], slopes[np.float32], rtol=1e-3)
    # PyTorch has no float16 erfcx on the CPU, and its float32 slope at 12 loses digits to
    # the cancellation of 2 x erfcx(x) - 2 / sqrt(pi) (3e-5 off): its float64 slope
    torch = pytest.importorskip("torch")
    reference = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    torch.special.erfcx(reference).sum().backward()
    np.testing.assert_allclose(slopes[np.float32], reference.grad.numpy(), rtol=1e-6)


def test_float16_erfcx_slope_under_vmap_of_grad():
    points = ad.tensor(np.array([0.5, 11.0, 40.0], dtype=np.float16))
    mapped = ad.vmap(ad.grad(ad.special.erfcx))(points)
    assert np.isfinite(mapped).all()
    np.testing.assert_allclose(mapped, ad.grad(lambda t: ad.special.erfcx(t).sum())(
        ad.tensor(points.numpy().astype(np.float64))), rtol=2e-3)


# ----- np.pad(mode='empty') -------------------------------------------------------------------

GRID = np.arange(6.0).reshape(2, 3)


def test_pad_empty_through_jacobians_vmap_and_forward_mode_is_constant_padding():
    def empty(t):
        return np.pad(t, 1, mode="empty")

    def constant(t):
        return np.pad(t, 1, mode="constant")

    x = ad.tensor(GRID)
    np.testing.assert_array_equal(ad.jacrev(empty)(x), ad.jacrev(constant)(x))
    np.testing.assert_array_equal(ad.jacfwd(empty)(x), ad.jacrev(constant)(x))
    np.testing.assert_array_equal(ad.vmap(empty)(x), np.stack([np.pad(r, 1) for r in GRID]))
    with forward.dual_level():
        dual = forward.make_dual(x, ad.tensor(np.ones_like(GRID)))
        tangent = forward.unpack_dual(empty(dual)).tangent
    np.testing.assert_array_equal(tangent, np.pad(np.ones_like(GRID), 1))


@pytest.mark.parametrize("jit", ["1", "0"])
def test_pad_empty_in_a_compiled_step_replays_zero_padding(jit, monkeypatch):
    monkeypatch.setenv("AUTODIFF_JIT", jit)

    def step(t):
        loss = (np.pad(t, (1, 2), mode="empty") ** 2).sum()
        loss.backward()
        return loss

    compiled = ad.compile(step)
    for scale in (1.0, 2.0, 3.0):
        x = ad.tensor(GRID * scale, requires_grad=True)
        assert compiled(x).item() == (GRID * scale).__pow__(2).sum()
        np.testing.assert_array_equal(x.grad, 2 * GRID * scale)
    assert compiled.traces == 1


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.complex128])
def test_pad_empty_keeps_the_dtype_and_pads_zeros(dtype):
    x = ad.tensor(GRID.astype(dtype), requires_grad=True)
    padded = np.pad(x, ((0, 1), (2, 0)), mode="empty")
    assert padded.dtype == dtype
    np.testing.assert_array_equal(padded.detach(), np.pad(GRID.astype(dtype), ((0, 1), (2, 0))))
    padded.real.sum().backward() if dtype == np.complex128 else padded.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones_like(GRID, dtype=dtype))


@pytest.mark.parametrize("shape", [(), (1,), (0, 3)])
def test_pad_empty_of_0d_size_1_and_empty_tensors_is_numpys_shape(shape):
    padded = np.pad(ad.tensor(np.ones(shape)), 1, mode="empty")
    assert padded.shape == np.pad(np.ones(shape), 1, mode="empty").shape


# ----- logcumsumexp of a NaN -------------------------------------------------------------------

NAN_LANE = np.array([1.0, np.nan, 2.0])


@pytest.mark.parametrize("jit", ["1", "0"])
def test_logcumsumexp_of_a_nan_replays_without_numpys_warning(jit, monkeypatch):
    monkeypatch.setenv("AUTODIFF_JIT", jit)

    def step(t):
        loss = t.logcumsumexp(0).sum()
        loss.backward()
        return loss

    compiled = ad.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # (a replay warned: invalid value in accumulate)
        for scale in (1.0, 2.0, 3.0):
            x = ad.tensor(NAN_LANE * scale, requires_grad=True)
            assert np.isnan(compiled(x).item())
            assert np.isnan(x.grad).all()
            values = ad.compile(lambda t: ad.logcumsumexp(t, 0))(ad.tensor(NAN_LANE * scale))
            np.testing.assert_array_equal(values, [scale, np.nan, np.nan])
    assert compiled.traces == 1


def test_numpys_logaddexp_accumulate_keeps_numpys_warning_in_a_replay():
    compiled = ad.compile(lambda t: np.logaddexp.accumulate(t).sum())
    for _ in range(2):
        with pytest.warns(RuntimeWarning, match="invalid value"):
            compiled(ad.tensor(NAN_LANE))


def test_logcumsumexp_of_a_nan_under_vmap_jacfwd_and_float16_is_pytorchs():
    torch = pytest.importorskip("torch")
    rows = np.stack([NAN_LANE, NAN_LANE[::-1]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mapped = ad.vmap(lambda r: r.logcumsumexp(0))(ad.tensor(rows))
        jacobian = ad.jacfwd(lambda r: r.logcumsumexp(0))(ad.tensor(NAN_LANE))
        half = ad.tensor(NAN_LANE.astype(np.float16)).logcumsumexp(0)
    np.testing.assert_array_equal(mapped, torch.logcumsumexp(torch.tensor(rows), 1).numpy())
    assert np.isnan(jacobian[1:]).all() and jacobian[0, 0] == 1.0
    assert half.dtype == np.float16
    np.testing.assert_array_equal(half, [1.0, np.nan, np.nan])


def test_complex_logcumsumexp_is_refused_without_advising_a_real_cast():
    torch = pytest.importorskip("torch")
    torch.logcumsumexp(torch.tensor([1 + 1j, 2j]), 0)          # (PyTorch's takes it)
    with pytest.raises(TypeError, match=r"logcumsumexp: takes real values here, got "
                       r"complex128.*t\.real, t\.imag or t\.abs\(\)") as refused:
        ad.tensor([1 + 1j, 2j]).logcumsumexp(0)
    assert "double()" not in str(refused.value)     # (it would drop the imaginary parts)


# ----- np.vectorize on float32 with a number argument, compiled ---------------------------------

@pytest.mark.parametrize("jit", ["1", "0"])
def test_vectorize_of_float32_with_a_number_argument_replays_numpys_dtype(jit, monkeypatch):
    monkeypatch.setenv("AUTODIFF_JIT", jit)
    scaled = np.vectorize(lambda v, factor: v * factor + 1.0)
    values = np.array([1.0, -2.0, 3.0], dtype=np.float32)

    def step(t):
        loss = scaled(t, 2.0).sum()
        loss.backward()
        return loss

    # (was a TraceError: the NumPy scalar 2.0 of NumPy's typing call "made during the call")
    compiled = ad.compile(step)
    for factor in (1.0, 2.0, 3.0):
        x = ad.tensor(values * factor, requires_grad=True)
        result = compiled(x)
        assert result.dtype == scaled(values, 2.0).dtype == np.float64      # NumPy's typing
        assert result.item() == np.sum(scaled(values * factor, 2.0))
        np.testing.assert_array_equal(x.grad, np.full(3, 2.0, dtype=np.float32))
    assert compiled.traces == 1


def test_vectorize_typing_falls_back_to_tensors_for_a_function_of_tensor_methods():
    doubled_exp = np.vectorize(lambda v: v.exp() * 2)
    x = ad.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    result = doubled_exp(x)
    result.sum().backward()
    assert result.dtype == np.float32
    np.testing.assert_allclose(x.grad, 2 * np.exp([1.0, 2.0]), rtol=1e-6)
