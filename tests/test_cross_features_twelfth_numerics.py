"""The eleventh round's numerical features (``np.emath`` on complex values, complex
tangents, ``eig``, ``reduceat``, ``quantile(dim=)``, the small-array kernels) crossed
with ``ad.compile``, forward mode, the function transforms, second order and
``AUTODIFF_JIT=0``; compared with PyTorch, NumPy or central differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import kernels
from autodiff.compile.refusals import TraceError

RNG = np.random.default_rng(1214)
Z = np.array([1 + 2j, -3 + 0.5j, 0.2 - 1j])

EMATH = {
    "sqrt": np.emath.sqrt, "log": np.emath.log, "log10": np.emath.log10,
    "arccos": np.emath.arccos, "arctanh": np.emath.arctanh,
    "power 2.5": lambda t: np.emath.power(t, 2.5),
    "power -2": lambda t: np.emath.power(t, -2),
    "logn 2": lambda t: np.emath.logn(2, t),
    "logn -2": lambda t: np.emath.logn(-2, t),
}


# ----- np.emath in ad.compile ---------------------------------------------------------------

@pytest.mark.parametrize("name", EMATH)
def test_emath_of_a_complex_argument_replays(name):
    # a complex argument gives a complex result whatever its values, but every call
    # was refused, and a Python-number exponent was refused as an array made in the call
    fn = EMATH[name]
    compiled = ad.compile(lambda t: fn(t) * 2)
    for z in (Z, Z * 3, -Z.conj()):
        got = compiled(ad.tensor(z)).data
        assert got.dtype == np.complex128
        np.testing.assert_allclose(got, fn(z) * 2, rtol=1e-15)


@pytest.mark.parametrize("name", ["sqrt", "arccos", "power 2.5", "logn 2"])
def test_emath_of_a_real_traced_argument_is_still_refused(name):
    with pytest.raises(TraceError, match=r"(?s)numpy.emath.\w+ at test_cross_features_twelfth_"
                       r"numerics.py:\d+.*real or complex.*x.astype\(np.complex128\)"):
        ad.compile(EMATH[name])(ad.tensor([0.25, 0.5]))


def test_emath_power_with_an_integer_tensor_exponent_is_refused():
    # a negative integer entry makes NumPy take the exponent as float64
    with pytest.raises(TraceError, match=r"numpy.emath.power at .*integer exponent"):
        ad.compile(lambda t, p: np.emath.power(t, p))(ad.tensor(Z), ad.tensor([2, -1, 3]))


def test_a_complex_training_step_through_emath_compiles():
    w = ad.tensor(np.array([0.5 + 0.5j, -1.0 + 0.2j, 0.3 - 0.7j]), requires_grad=True)

    def step(x):
        loss = (np.abs(np.emath.sqrt(w * x)) ** 2 + np.abs(np.emath.log(w + x))).sum()
        loss.backward()
        return loss

    compiled = ad.compile(step)
    for scale in (1.0, 2.0, -0.5):
        x = ad.tensor(Z * scale)
        w.grad = None
        got, got_grad = compiled(x).data, w.grad.copy()
        w.grad = None
        np.testing.assert_allclose(got, step(x).data, rtol=1e-14)
        np.testing.assert_allclose(got_grad, w.grad, rtol=1e-13)


# ----- complex forward mode -----------------------------------------------------------------

@pytest.mark.parametrize("transform", [
    lambda f, z, t: ad.jvp(f, (z,), (t,)),
    lambda f, z, t: ad.func.jvp(f, (z,), (t,)),
])
def test_jvp_of_a_complex_primal_gives_forward_ads_tangent(transform):
    # (as torch.func.jvp; it was refused, saying to pass float64)
    tangent = np.ones(3) + 0.5j
    _, got = transform(np.emath.sqrt, ad.tensor(Z), ad.tensor(tangent))
    fw = ad.autograd.forward_ad
    with fw.dual_level():
        expected = fw.unpack_dual(np.emath.sqrt(fw.make_dual(ad.tensor(Z),
                                                             ad.tensor(tangent)))).tangent
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-15)
    np.testing.assert_allclose(np.asarray(got), tangent / (2 * np.sqrt(Z)), rtol=1e-14)


def test_a_complex_primal_in_hvp_points_to_jvp_and_forward_ad():
    with pytest.raises(TypeError, match=r"complex128.*ad.jvp.*ad.autograd.forward_ad.*"
                                        r"view_as_real"):
        ad.hvp(lambda z: ad.sum(ad.abs(z)), Z, np.ones(3) + 0j)


@pytest.mark.parametrize("name", ["sqrt", "log", "arccos", "power 2.5"])
def test_complex_tangents_through_emath_equal_pytorchs_jvp(name):
    torch = pytest.importorskip("torch")
    reference = {"sqrt": torch.sqrt, "log": torch.log, "arccos": torch.acos,
                 "power 2.5": lambda t: t ** 2.5}[name]
    tangent = np.array([1 + 0.5j, -0.25 + 2j, 0.5 - 1j])
    fw = ad.autograd.forward_ad
    with fw.dual_level():
        ours = fw.unpack_dual(EMATH[name](fw.make_dual(ad.tensor(Z), ad.tensor(tangent))))
    _, theirs = torch.func.jvp(reference, (torch.tensor(Z),), (torch.tensor(tangent),))
    np.testing.assert_allclose(np.asarray(ours.tangent.data), theirs.numpy(), rtol=1e-13)
    # the same numbers through real and imaginary parts in ad.jvp
    as_real = np.stack([Z.real, Z.imag], -1)
    _, split = ad.jvp(lambda r: ad.view_as_real(EMATH[name](ad.view_as_complex(r))),
                      (ad.tensor(as_real),),
                      (ad.tensor(np.stack([tangent.real, tangent.imag], -1)),))
    split = np.asarray(split.data if isinstance(split, ad.Tensor) else split)
    np.testing.assert_allclose(split[..., 0] + 1j * split[..., 1], theirs.numpy(), rtol=1e-13)


# ----- eig, reduceat and quantile under the transforms ---------------------------------------

def _eig_loss(a):
    w, v = np.linalg.eig(a)
    return (np.abs(w) ** 2).sum() + (np.abs(v[..., 0, :]) ** 2 * np.arange(1.0, 4.0)).sum()


def test_eig_hessians_by_every_composition_equal_pytorchs():
    torch = pytest.importorskip("torch")
    a = RNG.standard_normal((3, 3))

    def theirs(t):
        w, v = torch.linalg.eig(t)
        weights = torch.arange(1.0, 4.0, dtype=torch.float64)
        return (w.abs() ** 2).sum() + (v[..., 0, :].abs() ** 2 * weights).sum()

    expected = torch.autograd.functional.hessian(theirs, torch.tensor(a)).numpy()
    for hessian in (ad.hessian(_eig_loss), ad.jacfwd(ad.jacrev(_eig_loss)),
                    ad.jacrev(ad.jacrev(_eig_loss)), ad.jacfwd(ad.jacfwd(_eig_loss))):
        np.testing.assert_allclose(np.asarray(hessian(ad.tensor(a))), expected,
                                   rtol=1e-9, atol=1e-12)
    batch = RNG.standard_normal((4, 3, 3))
    per_example = np.stack([np.asarray(ad.grad(_eig_loss)(ad.tensor(m))) for m in batch])
    np.testing.assert_allclose(np.asarray(ad.vmap(ad.grad(_eig_loss))(ad.tensor(batch))),
                               per_example, rtol=1e-13)


@pytest.mark.parametrize("ufunc", [np.subtract, np.multiply, np.divide, np.maximum])
def test_reduceat_second_order_by_both_modes_and_central_differences(ufunc):
    x = RNG.uniform(0.5, 2.0, 8)

    def loss(t):
        return (ufunc.reduceat(t, [0, 3, 3, 5, 2]) ** 2 * np.arange(1.0, 6.0)).sum()

    reverse = np.asarray(ad.jacrev(ad.grad(loss))(ad.tensor(x)))
    forward = np.asarray(ad.jacfwd(ad.jacrev(loss))(ad.tensor(x)))
    np.testing.assert_allclose(forward, reverse, rtol=1e-12, atol=1e-12)
    (numerical,) = ad.numerical_grad(lambda t: ad.grad(loss)(t), [ad.tensor(x)], eps=1e-5)
    np.testing.assert_allclose(reverse, numerical, rtol=1e-5, atol=1e-6)


def test_quantile_gradient_in_q_equals_pytorchs_and_central_differences():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((4, 5))
    weights = np.arange(8.0).reshape(2, 4)

    def loss(q):
        return (ad.quantile(ad.tensor(x), q, dim=1) * weights).sum()

    q = np.array([0.3, 0.6])                 # (between order statistics: no kink)
    ours = np.asarray(ad.grad(loss)(ad.tensor(q)))
    np.testing.assert_allclose(ours, ad.numerical_grad(loss, [ad.tensor(q)])[0], rtol=1e-7)
    tq = torch.tensor(q, requires_grad=True)
    (torch.quantile(torch.tensor(x), tq, dim=1) * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours, tq.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(np.asarray(ad.jacfwd(loss)(ad.tensor(q))), ours, rtol=1e-13)


# ----- the small-array kernels against AUTODIFF_JIT=0 -----------------------------------------

SPECIAL = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-310, -1e-310, 40.0, -40.0,
                    750.0, -750.0, 20.0, -20.0, 88.7, -88.7, 103.0, -103.0])
ACTIVATIONS = {"sigmoid": ad.sigmoid, "tanh": ad.tanh,
               "F.sigmoid": ad.nn.functional.sigmoid, "np.tanh": np.tanh}


def _forward_and_gradient(fn, x, g):
    t = ad.tensor(x, requires_grad=True)
    y = fn(t)
    y.backward(g)
    return y.data.copy(), t.grad.copy()


@pytest.mark.parametrize("n", [1, 1023, 1024, 1025])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["contiguous", "reversed", "strided"])
def test_small_kernels_agree_with_the_numpy_path(monkeypatch, n, dtype, layout):
    x = (RNG.standard_normal(n) * 8).astype(dtype)
    k = min(n, SPECIAL.size)
    with np.errstate(over="ignore"):
        x[:k] = SPECIAL[:k].astype(dtype)
    g = RNG.standard_normal(n).astype(dtype)
    x, g = {"contiguous": (x, g), "reversed": (x[::-1], g[::-1]),
            "strided": (np.repeat(x, 2)[::2], np.repeat(g, 2)[::2])}[layout]
    for name, fn in ACTIVATIONS.items():
        results = {}
        for jit in (True, False):
            monkeypatch.setattr(kernels, "JIT_ENABLED", jit)
            with np.errstate(all="ignore"):
                results[jit] = _forward_and_gradient(fn, x, g)
        for jitted, plain in zip(results[True], results[False]):
            assert jitted.dtype == plain.dtype == dtype
            np.testing.assert_array_equal(np.isnan(jitted), np.isnan(plain), err_msg=name)
            np.testing.assert_array_equal(np.signbit(jitted[~np.isnan(jitted)]),
                                          np.signbit(plain[~np.isnan(plain)]), err_msg=name)
            finite = np.isfinite(plain)
            np.testing.assert_array_equal(jitted[~finite & ~np.isnan(plain)],
                                          plain[~finite & ~np.isnan(plain)], err_msg=name)
            # the kernels' exp is their own (within 1 ulp of NumPy's), and each formula
            # rounds a few times: a few ulp apart, by the dtype's spacing at the value
            spacing = np.spacing(np.maximum(np.abs(plain[finite]), np.finfo(dtype).tiny))
            assert np.all(np.abs(jitted[finite] - plain[finite]) <= 8 * spacing), name


def test_small_kernels_of_a_0d_and_a_float16_tensor(monkeypatch):
    for value in (np.float64(-0.0), np.float32(3.5), np.float16(-2.0)):
        results = {}
        for jit in (True, False):
            monkeypatch.setattr(kernels, "JIT_ENABLED", jit)
            results[jit] = [_forward_and_gradient(fn, np.asarray(value), np.ones((), value.dtype))
                            for fn in ACTIVATIONS.values()]
        for (y1, g1), (y0, g0) in zip(results[True], results[False]):
            assert y1.shape == g1.shape == () and y1.dtype == g1.dtype == value.dtype
            np.testing.assert_allclose(y1, y0, rtol=4 * np.finfo(value.dtype).eps)
            np.testing.assert_allclose(g1, g0, rtol=4 * np.finfo(value.dtype).eps)


# ----- complex values through put and the in-place fills ------------------------------------

def _complex_put_loss(lib, t, accumulate):
    index = [0, 0] if accumulate else [0, 2]
    y = t.put(lib.tensor(index) if lib.__name__ == "torch" else index, t[1:3] * 2,
              accumulate=accumulate)
    return (y.abs() ** 2).sum() if lib.__name__ == "torch" else (np.abs(y) ** 2).sum()


@pytest.mark.parametrize("accumulate", [True, False])
def test_put_of_complex_values_differentiates_as_pytorchs(accumulate):
    # put's in-place write (the overwrite op) refused complex values
    torch = pytest.importorskip("torch")
    z = np.append(Z, 0.5 + 0.5j)
    t = ad.tensor(z, requires_grad=True)
    _complex_put_loss(ad, t, accumulate).backward()
    tt = torch.tensor(z, requires_grad=True)
    _complex_put_loss(torch, tt, accumulate).backward()
    np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-14)


@pytest.mark.parametrize("write", ["copy_ complex into real", "copy_ real into complex",
                                   "fill_", "zero_"])
def test_in_place_fills_with_complex_values_differentiate_as_pytorchs(write):
    torch = pytest.importorskip("torch")

    def gradient(lib):
        source = lib.tensor(Z[:2] if write == "copy_ complex into real" else [1.0, 2.0],
                            requires_grad=True)
        start = [1.0, 2.0] if write == "copy_ complex into real" else Z[:2]
        target = lib.tensor(start, requires_grad=True)
        y = target * source
        if write.startswith("copy_"):
            y.copy_(source * 3)
        elif write == "fill_":
            y.fill_(1 + 1j)
        else:
            y.zero_()
        loss = (y * y).real.sum() + (y * target).real.sum()
        loss.backward()
        return np.asarray(source.grad), np.asarray(target.grad)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # (complex into real: both warn of the cast)
        ours, theirs = gradient(ad), gradient(torch)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b.numpy() if hasattr(b, "numpy") else b, rtol=1e-14)


def test_a_compiled_step_and_a_hessian_through_a_complex_put():
    torch = pytest.importorskip("torch")
    z = np.append(Z, 0.5 + 0.5j)
    w = ad.tensor(z, requires_grad=True)

    def step(x):
        loss = (np.abs((w * x).put([0, 0], w[1:3] * x[:2], accumulate=True)) ** 2).sum()
        loss.backward()
        return loss

    compiled = ad.compile(step)
    for scale in (1.0, 2.0, -0.5):
        x = ad.tensor(z.conj() * scale)
        w.grad = None
        got, got_grad = compiled(x).data, w.grad.copy()
        w.grad = None
        np.testing.assert_allclose(got, step(x).data, rtol=1e-14)
        np.testing.assert_allclose(got_grad, w.grad, rtol=1e-14)

    def loss(lib, r):
        base = lib.tensor(z) * (r[0] + 1j * r[1])
        index = lib.tensor([1, 1]) if lib is torch else [1, 1]
        y = base.put(index, base[2:] * r[0], accumulate=True)
        return (y.abs() ** 2).sum() if lib is torch else (np.abs(y) ** 2).sum()

    r = np.array([0.3, -0.7])
    expected = torch.autograd.functional.hessian(lambda t: loss(torch, t), torch.tensor(r))
    np.testing.assert_allclose(np.asarray(ad.hessian(lambda t: loss(ad, t))(ad.tensor(r))),
                               expected.numpy(), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("n", [1, 1023, 1024, 1025])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_compiled_step_through_sigmoid_and_tanh_keeps_nan_inf_and_signs(n, dtype):
    x = (RNG.standard_normal(n) * 8).astype(dtype)
    k = min(n, 11)
    x[:k] = SPECIAL[:k].astype(dtype)
    w = ad.tensor(np.ones(n, dtype), requires_grad=True)

    def step(t):
        w.grad = None
        loss = (ad.sigmoid(t * w) + ad.tanh(t * w)).sum()
        loss.backward()
        return loss

    compiled = ad.compile(step)
    for scale in (1.0, 0.5, -2.0):
        t = ad.tensor(x * dtype(scale))
        with np.errstate(all="ignore"):
            compiled(t)
            replayed = w.grad.copy()
            step(t)
        eager = w.grad
        np.testing.assert_array_equal(np.isnan(replayed), np.isnan(eager))
        number = ~np.isnan(eager)             # (a NaN's sign bit means nothing)
        np.testing.assert_array_equal(np.signbit(replayed[number]), np.signbit(eager[number]))
        finite = np.isfinite(eager)
        np.testing.assert_array_equal(replayed[~finite], eager[~finite])
        # a fused loop computes the twin's formula where eager calls the kernel: a few
        # ulp apart (bit for bit with AUTODIFF_JIT=0)
        spacing = np.spacing(np.maximum(np.abs(eager[finite]), np.finfo(dtype).tiny))
        assert np.all(np.abs(replayed[finite] - eager[finite]) <= 8 * spacing)
