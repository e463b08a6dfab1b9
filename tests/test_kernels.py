"""Kernels: compiled (Numba) versions against their NumPy twins, accuracy of the
vectorizable exp, the fallbacks, and the op hooks.

The compiled functions are called directly (``autodiff.kernels.jit``) and through the
dispatcher, so the parity checks run whatever ``AUTODIFF_JIT`` says.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import autodiff as ad
from autodiff import kernels
from autodiff.kernels import numpy_twins as twins

jit = pytest.importorskip("autodiff.kernels.jit", reason="Numba is not installed")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLOATS = [np.float32, np.float64]
SHAPES = [(1031,), (3, 517), (2, 3, 173)]       # odd sizes: vector remainders


def tol(dtype):
    return dict(rtol=8 * np.finfo(dtype).eps, atol=0)


def rand(shape, dtype, seed=0, scale=4.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def ulps(a, b):
    """Distance in units in the last place, counted on the integer bit patterns."""
    it = np.int64 if a.dtype == np.float64 else np.int32
    a = np.where(a == 0, 0, a).astype(a.dtype)     # -0.0 and 0.0 are 0 ulp apart
    b = np.where(b == 0, 0, b).astype(b.dtype)
    ia, ib = a.view(it).astype(np.int64), b.view(it).astype(np.int64)
    ia = np.where(ia < 0, np.iinfo(it).min - ia, ia)    # monotone across the sign
    ib = np.where(ib < 0, np.iinfo(it).min - ib, ib)
    return np.abs(ia - ib)


def correctly_rounded_exp(x):
    with np.errstate(over="ignore", under="ignore"):
        return np.exp(x.astype(np.longdouble)).astype(x.dtype)


# ----- parity: compiled kernel vs twin -------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")  # exp(90) f32
def test_elementwise_forward_parity(dtype, shape):
    x = rand(shape, dtype)
    x.flat[:6] = [0.0, -0.0, 1e-30, -50.0, 90.0, -1e-7]
    np.testing.assert_allclose(jit.sigmoid(x), twins.sigmoid(x), **tol(dtype))
    np.testing.assert_array_equal(jit.leaky_relu(x, 0.1), twins.leaky_relu(x, 0.1))
    np.testing.assert_array_equal(kernels.sigmoid(x).dtype, dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", SHAPES)
def test_elementwise_backward_parity(dtype, shape):
    x, g = rand(shape, dtype, 1), rand(shape, dtype, 2)
    x.flat[:6] = [0.0, -0.0, 40.0, -40.0, 200.0, -1e-7]      # saturated too
    np.testing.assert_allclose(jit.sigmoid_backward(g, x), twins.sigmoid_backward(g, x),
                               **tol(dtype))
    np.testing.assert_allclose(jit.tanh_backward(g, x), twins.tanh_backward(g, x),
                               **tol(dtype))
    np.testing.assert_array_equal(jit.relu_backward(g, x), twins.relu_backward(g, x))
    np.testing.assert_array_equal(jit.leaky_relu_backward(g, x, 0.2),
                                  twins.leaky_relu_backward(g, x, 0.2))
    for name in ("sigmoid_backward", "tanh_backward", "relu_backward"):
        out = getattr(kernels, name)(g, x)
        assert out.dtype == dtype and out.shape == shape


def test_elementwise_special_values():
    for dtype in FLOATS:
        x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e4, -1e4] * 200, dtype=dtype)
        np.testing.assert_array_equal(jit.sigmoid(x), twins.sigmoid(x))
        np.testing.assert_array_equal(jit.relu_backward(x, x), twins.relu_backward(x, x))
        g = np.ones_like(x)
        for name in ("sigmoid_backward", "tanh_backward"):    # NaN, 0, 0, 1/4 or 1, ..., 0
            np.testing.assert_array_equal(getattr(jit, name)(g, x), getattr(twins, name)(g, x))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(5, 1031), (2, 3, 40), (64, 1)])
def test_softmax_family_parity(dtype, shape):
    x, g = rand(shape, dtype, 3), rand(shape, dtype, 4)
    t = dict(rtol=32 * np.finfo(dtype).eps, atol=32 * np.finfo(dtype).eps)
    s, ls = jit.softmax(x), jit.log_softmax(x)
    np.testing.assert_allclose(s, twins.softmax(x), **t)
    np.testing.assert_allclose(ls, twins.log_softmax(x), **t)
    np.testing.assert_allclose(jit.softmax_backward(g, s), twins.softmax_backward(g, s), **t)
    np.testing.assert_allclose(jit.log_softmax_backward(g, ls),
                               twins.log_softmax_backward(g, ls), **t)
    assert s.dtype == ls.dtype == dtype


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # inf - inf
def test_softmax_rows_with_nan_inf_and_huge_logits():
    x = np.zeros((4, 600))
    x[0, 7] = np.nan
    x[1, 3] = np.inf
    x[2, :] = -np.inf
    x[3, :2] = [1e4, -1e4]
    for f in ("softmax", "log_softmax"):
        np.testing.assert_allclose(getattr(jit, f)(x), getattr(twins, f)(x), rtol=1e-12)
    assert np.isfinite(jit.log_softmax(x)[3, 1]) and jit.softmax(x)[3, 0] == 1.0


def _cross_entropy_float64(logits, target):
    """Loss and gradient (softmax - onehot) / N in float64, the reference."""
    x = logits.astype(np.float64)
    n = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    grad = np.exp(logp)
    grad[rows, target] -= 1
    return -logp[rows, target].mean(), grad / n


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n, c", [(7, 1000), (128, 10), (33, 17), (1, 700), (600, 1)])
def test_cross_entropy_parity(dtype, n, c):
    logits = rand((n, c), dtype, 5)
    target = np.random.default_rng(6).integers(0, c, n)
    loss, grad = jit.cross_entropy(logits, target)
    loss_t, grad_t = twins.cross_entropy(logits, target)
    assert loss.dtype == grad.dtype == dtype and loss.shape == () and grad.shape == (n, c)
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(loss, loss_t, rtol=16 * eps, atol=4 * eps)
    np.testing.assert_allclose(grad, grad_t, rtol=32 * eps, atol=4 * eps / n)
    # against float64: a few ulp of each entry (of 1/N for the target's p - 1)
    loss64, grad64 = _cross_entropy_float64(logits, target)
    np.testing.assert_allclose(loss, loss64, rtol=8 * eps, atol=2 * eps)
    np.testing.assert_allclose(grad, grad64, rtol=8 * eps, atol=2 * eps / n)
    # the loss-only kernel does the same arithmetic without writing the gradient
    np.testing.assert_array_equal(jit.cross_entropy_loss(logits, target), loss)
    np.testing.assert_allclose(twins.cross_entropy_loss(logits, target), loss_t)
    for t32 in (target.astype(np.int32), target.astype(np.uint8) if c < 256 else target):
        np.testing.assert_array_equal(jit.cross_entropy(logits, t32)[0], loss)
        np.testing.assert_array_equal(jit.cross_entropy_loss(logits, t32), loss)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # inf - inf
@pytest.mark.parametrize("dtype", FLOATS)
def test_cross_entropy_extreme_logits(dtype):
    x = rand((6, 300), dtype, 7)
    x[0, :2] = [1e4, -1e4]              # huge: the max shift keeps everything finite
    x[1, 5:200] = -np.inf               # -inf logits get probability (and gradient) 0
    x[2, 9] = np.nan                    # NaN poisons its own row only
    x[3, :] = -1e4
    x[4, 0] = 1e4
    target = np.array([1, 2, 3, 299, 4, 0])
    loss_rows = []
    for i in range(6):                  # row by row: the NaN row alone is NaN
        loss, grad = jit.cross_entropy(x[i:i + 1], target[i:i + 1])
        loss_t, grad_t = twins.cross_entropy(x[i:i + 1], target[i:i + 1])
        np.testing.assert_allclose(loss, loss_t, rtol=16 * np.finfo(dtype).eps)
        np.testing.assert_allclose(grad, grad_t, rtol=32 * np.finfo(dtype).eps, atol=1e-30)
        assert np.isnan(loss) == (i == 2) and np.all(np.isnan(grad[0])) == (i == 2)
        loss_rows.append(loss)
    np.testing.assert_allclose(loss_rows[0], 2e4, rtol=1e-6)
    np.testing.assert_array_equal(jit.cross_entropy(x[1:2], target[1:2])[1][0, 5:200], 0)
    np.testing.assert_allclose(loss_rows[3], np.log(300), rtol=1e-6)
    loss, grad = jit.cross_entropy(x, target)
    assert np.isnan(loss) and np.all(np.isfinite(np.delete(grad, 2, axis=0)))


def test_cross_entropy_out_of_range_target_raises():
    logits = np.zeros((40, 30))
    target = np.zeros(40, dtype=np.int64)
    target[17] = 30
    for f in (jit.cross_entropy, jit.cross_entropy_loss):
        with pytest.raises(IndexError, match="target 30 in row 17 is out of range for 30 classes"):
            f(logits, target)
    target[17] = -1          # no wrapping, unlike NumPy's indexing: the op relies on it
    for f in (jit.cross_entropy, jit.cross_entropy_loss, twins.cross_entropy,
              twins.cross_entropy_loss):
        with pytest.raises(IndexError, match="target -1 in row 17 is out of range for 30"):
            f(logits, target)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # inf - inf
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("c", [1, 2, 3, 4, 5, 10, 16])
def test_cross_entropy_of_few_classes_runs_down_blocks_of_rows_as_the_row_kernel(dtype, c):
    # Up to 16 classes the kernel transposes blocks of 128 rows; each row's arithmetic
    # is the row kernel's, its sum of the C exps in order (the row kernel's vectorized
    # sum may pair them otherwise from C = 5: an ulp or two of 1/N apart).
    from autodiff.kernels import jit_nn
    assert c <= jit_nn._NARROW_CLASSES < 17
    eps = np.finfo(dtype).eps
    for n in (1, 127, 128, 129, 300):
        x = rand((n, c), dtype, seed=n + c, scale=5.0)
        if n > 5:
            x[3, 0], x[4, :], x[5, c - 1] = np.nan, -np.inf, np.inf    # each: a NaN row
        target = np.random.default_rng(n).integers(0, c, n)
        scale, one = dtype(1 / n), dtype(1)
        rows = {}
        for name, kernel in [("row", jit_nn._cross_entropy_grad),
                             ("block", jit_nn._cross_entropy_grad_narrow)]:
            grad, row_loss = np.empty_like(x), np.empty(n)
            assert kernel(x, target, grad, row_loss, scale, one) == 0.0
            rows[name] = grad, row_loss
        (g_row, loss_row), (g_block, loss_block) = rows["row"], rows["block"]
        loss_only = np.empty(n)
        assert jit_nn._cross_entropy_loss_narrow(x, target, loss_only) == 0.0
        np.testing.assert_array_equal(loss_only, loss_block)
        if c <= 4:
            np.testing.assert_array_equal(g_block, g_row)
            np.testing.assert_array_equal(loss_block, loss_row)
        else:
            np.testing.assert_allclose(g_block, g_row, rtol=0, atol=4 * eps / n)
            np.testing.assert_allclose(loss_block, loss_row, rtol=4 * eps, atol=4 * eps)
        assert list(np.flatnonzero(np.isnan(loss_block))) == ([3, 4, 5] if n > 5 else [])


def test_cross_entropy_of_few_classes_names_a_bad_target_in_a_later_block():
    logits = np.zeros((300, 4))
    target = np.zeros(300, dtype=np.int64)
    target[200] = 4
    for f in (jit.cross_entropy, jit.cross_entropy_loss):
        with pytest.raises(IndexError, match="target 4 in row 200 is out of range for 4 classes"):
            f(logits, target)


def test_cross_entropy_op_on_the_kernel_path():
    """F.cross_entropy on arrays large enough for the kernels: float64 gradcheck, a
    non-contiguous input (the NumPy path) and float32 against float64."""
    from autodiff.nn import functional as F
    x = rand((8, 70), np.float64, 8)                     # 560 elements: compiled
    y = np.random.default_rng(9).integers(0, 70, 8)
    assert ad.gradcheck(lambda t: F.cross_entropy(t, y), [x])
    wide = rand((70, 16), np.float64, 10)
    view = wide.T                                         # (16, 70), not C-contiguous
    y16 = np.random.default_rng(11).integers(0, 70, 16)
    grads = []
    for logits in (view, np.ascontiguousarray(view)):
        t = ad.tensor(logits, requires_grad=True)
        loss = F.cross_entropy(t, y16)
        loss.backward()
        grads.append((loss.item(), t.grad))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-14)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-13, atol=1e-17)
    t32 = ad.tensor(np.ascontiguousarray(view).astype(np.float32), requires_grad=True)
    F.cross_entropy(t32, y16).backward(np.array(2.0))    # a float64 g for a float32 loss
    assert t32.grad.dtype == np.float32
    np.testing.assert_allclose(t32.grad, 2 * grads[1][1], rtol=1e-5, atol=1e-8)


# ----- scatter-add -----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
def test_scatter_add_rows_accumulate_repeats(dtype):
    rng = np.random.default_rng(7)
    ids = np.minimum(rng.zipf(1.3, 3000) - 1, 499)
    ids[:4] = [-1, -500, 499, 0]                      # negative indices wrap
    values = rng.standard_normal((3000, 9)).astype(dtype)
    out, ref = np.zeros((500, 9), dtype), np.zeros((500, 9), dtype)
    np.add.at(ref, ids, values)
    jit.scatter_add(out, 0, ids, values)
    np.testing.assert_allclose(out, ref, rtol=64 * np.finfo(dtype).eps, atol=1e-5)
    out2 = kernels.scatter_add(np.zeros((500, 9), dtype), ids.astype(np.int32), values)
    np.testing.assert_allclose(out2, ref, rtol=64 * np.finfo(dtype).eps, atol=1e-5)


def test_scatter_add_along_an_inner_axis_and_bad_index():
    rng = np.random.default_rng(8)
    ids = rng.integers(0, 6, size=(4, 5))
    values = rng.standard_normal((3, 4, 5, 7))
    out, ref = np.zeros((3, 6, 7)), np.zeros((3, 6, 7))
    np.add.at(ref, (slice(None), ids), values)
    np.testing.assert_allclose(kernels.scatter_add(out, (slice(None), ids), values), ref)
    with pytest.raises(IndexError, match="index 6 is out of bounds for axis 1 with size 6"):
        jit.scatter_add(np.zeros((3, 6, 7)), 1, np.array([0, 6]), np.ones((3, 2, 7)))


def test_indexing_backward_uses_scatter_add():
    rng = np.random.default_rng(9)
    table = ad.tensor(rng.standard_normal((300, 8)), requires_grad=True)
    ids = rng.integers(0, 300, size=(50, 20))
    g = rng.standard_normal((50, 20, 8))
    (table[ids] * g).sum().backward()
    ref = np.zeros((300, 8))
    np.add.at(ref, ids, g)
    np.testing.assert_allclose(table.grad, ref, rtol=1e-12)
    table.grad = None
    (ad.take(table, ids.ravel(), axis=0) * g.reshape(-1, 8)).sum().backward()
    np.testing.assert_allclose(table.grad, ref, rtol=1e-12)


# ----- the vectorizable exp: accuracy sweeps -----------------------------------------------
# fexp is what the sigmoid and softmax kernels call; a loop compiled here applies it to
# every element so that it can be compared with the correctly rounded exp.

_exp_loops = {}


def compiled_exp(x, name="fexp"):
    """jit.fexp (or another scalar exp of jit, by name) applied by a compiled loop."""
    if name not in _exp_loops:
        import numba

        fexp = getattr(jit, name)

        @numba.njit(error_model="numpy", fastmath={"contract"})
        def loop(x, out):
            for i in range(x.size):
                out[i] = fexp(x[i])
        _exp_loops[name] = loop
    out = np.empty_like(x)
    _exp_loops[name](x, out)
    return out


def _exp_sweep(dtype):
    lo, hi = (-746.0, 710.0) if dtype == np.float64 else (-104.0, 89.0)
    rng = np.random.default_rng(10)
    return np.concatenate([
        np.linspace(lo, hi, 1_000_001), rng.uniform(lo, hi, 500_000),
        rng.standard_normal(100_000) * 1e-3, np.geomspace(1e-40, 1, 20_000),
        -np.geomspace(1e-40, 1, 20_000)]).astype(dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_exp_within_1_ulp_of_correctly_rounded_over_the_whole_range(dtype):
    x = _exp_sweep(dtype)
    got, cr = compiled_exp(x), correctly_rounded_exp(x)
    finite = np.isfinite(cr)
    assert ulps(got[finite], cr[finite]).max() <= 1
    np.testing.assert_array_equal(got[~finite], cr[~finite])
    with np.errstate(over="ignore", under="ignore"):
        npexp = np.exp(x)
    # float64: within 1 ulp of np.exp.  float32: np.exp itself is up to 3 ulp from the
    # correctly rounded value here (AVX-512 loop), so the distance to it is up to 3.
    assert ulps(got[finite], npexp[finite]).max() <= (1 if dtype == np.float64 else 3)


@pytest.mark.parametrize("dtype", FLOATS)
def test_exp_special_values_overflow_and_underflow(dtype):
    big, small, sub = (709.79, -745.2, -740.0) if dtype == np.float64 else (88.73, -104.0, -100.0)
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, big, small, sub, 1e4, -1e4], dtype)
    got = compiled_exp(x)
    assert got[0] == 1 and got[1] == 1 and got[2] == np.inf and got[3] == 0
    assert np.isnan(got[4]) and got[5] == np.inf and got[6] == 0
    assert 0 < got[7] < np.finfo(dtype).tiny          # a subnormal, not flushed to zero
    assert got[8] == np.inf and got[9] == 0
    assert ulps(got[7:8], correctly_rounded_exp(x[7:8]))[0] <= 1
    edge = np.nextafter(np.log(np.finfo(dtype).max).astype(dtype), dtype(0))
    assert np.isfinite(compiled_exp(np.array([edge]))[0])


@pytest.mark.parametrize("dtype", FLOATS)
def test_exp_nonpositive_within_1_ulp_and_special_values(dtype):
    """The softmax kernels' exp(x - max) takes only x <= 0 (or NaN)."""
    x = _exp_sweep(dtype)
    x = np.concatenate([x[x <= 0], [-0.0, -1e4, -np.inf, np.nan]]).astype(dtype)
    got, cr = compiled_exp(x, "fexp_nonpositive"), correctly_rounded_exp(x)
    finite = np.isfinite(x)
    assert ulps(got[finite], cr[finite]).max() <= 1
    np.testing.assert_array_equal(got[finite], compiled_exp(x[finite]))   # same as fexp
    assert got[-4] == 1 and got[-3] == 0 and got[-2] == 0 and np.isnan(got[-1])
    sub = np.array([-100.0 if dtype == np.float32 else -740.0], dtype)
    assert 0 < compiled_exp(sub, "fexp_nonpositive")[0] < np.finfo(dtype).tiny


# ----- ops use the kernels; second order still works ------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
def test_ops_forward_and_backward_match_the_formulas_on_large_arrays(dtype):
    xv = rand((64, 40), dtype, 11)
    gv = rand((64, 40), dtype, 12)
    cases = {
        "sigmoid": (ad.sigmoid, lambda s: gv * s * (1 - s), True),
        "tanh": (ad.tanh, lambda t: gv * (1 - t * t), True),
        "relu": (ad.relu, lambda r: np.where(xv > 0, gv, 0), False),
        "leaky_relu": (lambda t: ad.leaky_relu(t, 0.2), lambda r: np.where(xv > 0, gv, 0.2 * gv),
                       False),
        "exp": (ad.exp, lambda e: gv * e, True),
    }
    for name, (f, grad_of, smooth) in cases.items():
        x = ad.tensor(xv, requires_grad=True)
        y = f(x)
        (y * ad.tensor(gv)).sum().backward()
        assert y.dtype == dtype and x.grad.dtype == dtype, name
        np.testing.assert_allclose(x.grad, grad_of(y.data), rtol=16 * np.finfo(dtype).eps,
                                   atol=16 * np.finfo(dtype).eps, err_msg=name)


def test_second_order_through_the_activation_ops():
    x = ad.tensor(np.random.default_rng(13).standard_normal((3, 4)), requires_grad=True)
    for f in (ad.sigmoid, ad.tanh, ad.exp, ad.relu, lambda t: ad.leaky_relu(t, 0.3)):
        assert ad.gradgradcheck(lambda t: f(t) * t, (x,))
    # Large arrays (compiled first-order path): gradients and Hessian-vector products
    # against closed forms.
    xv = np.random.default_rng(14).standard_normal(5000)
    v = np.random.default_rng(15).standard_normal(5000)
    s, t = 1 / (1 + np.exp(-xv)), np.tanh(xv)
    np.testing.assert_allclose(ad.grad(lambda u: ad.sigmoid(u).sum())(xv), s * (1 - s),
                               rtol=1e-12)
    np.testing.assert_allclose(ad.grad(lambda u: ad.tanh(u).sum())(xv), 1 - t * t, rtol=1e-12)
    np.testing.assert_allclose(ad.hvp(lambda u: ad.sigmoid(u).sum(), xv, v),
                               s * (1 - s) * (1 - 2 * s) * v, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(ad.hvp(lambda u: ad.tanh(u).sum(), xv, v),
                               -2 * t * (1 - t * t) * v, rtol=1e-10, atol=1e-14)


# ----- switches, laziness and the cache fallback (fresh processes) ------------------------

def _run(code, **env):
    full_env = dict(os.environ, PYTHONPATH=ROOT, **env)
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                            text=True, env=full_env, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_jit_off_selects_twins_and_import_is_lazy():
    out = _run("""
        import sys, numpy as np
        import autodiff as ad
        from autodiff import kernels
        assert 'numba' not in sys.modules, 'import autodiff imported numba'
        x = np.linspace(-5, 5, 5000)
        y = kernels.sigmoid(x)
        print(kernels.JIT_ENABLED, 'numba' in sys.modules)
    """, AUTODIFF_JIT="0")
    assert out.split() == ["False", "False"]


def test_read_only_cache_location_falls_back_to_no_caching():
    # Every cache locator reports an unwritable directory (as on a read-only install).
    out = _run("""
        import warnings, numpy as np
        from numba.core import caching
        def refuse(self):
            raise PermissionError(13, 'read-only file system', self.get_cache_path())
        caching._CacheLocator.ensure_cache_path = refuse
        from autodiff import kernels
        from autodiff.kernels import numpy_twins
        x = np.linspace(-5, 5, 5000)
        np.testing.assert_allclose(kernels.sigmoid(x), numpy_twins.sigmoid(x), rtol=1e-14)
        from autodiff.kernels import jit
        print(jit._sigmoid_fwd._cache.__class__.__name__)
    """, AUTODIFF_JIT="1")
    assert out.strip() == "NullCache"


def test_cache_write_failure_at_first_call_does_not_crash():
    out = _run("""
        import warnings, numpy as np
        from numba.core import caching
        def fail(self, *args, **kwargs):
            raise PermissionError(13, 'read-only file system')
        caching.IndexDataCacheFile.save = fail
        caching.IndexDataCacheFile.load = lambda self, key: None   # nothing cached yet
        from autodiff import kernels
        from autodiff.kernels import numpy_twins
        x = np.linspace(-5, 5, 5000)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            y = kernels.sigmoid(x)
        np.testing.assert_allclose(y, numpy_twins.sigmoid(x), rtol=1e-14)
        print(any('without caching' in str(w.message) for w in caught))
    """, AUTODIFF_JIT="1")
    assert out.strip() == "True"


def test_compile_helper_without_a_source_file_compiles_uncached():
    namespace = {}
    exec("def add_one(a):\n    return a + 1\n", namespace)     # no file: no cache locator
    compiled = jit._compile(namespace["add_one"], {}, cache=True)
    assert compiled(np.float64(1.5)) == 2.5


# ----- convolution, pooling and LSTM-step kernels -----------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("stride, dilation", [((1, 1), (1, 1)), ((2, 3), (2, 1))])
def test_col2im_parity(dtype, stride, dilation):
    cols = rand((2, 3, 4, 5, 3, 2, 3), dtype)             # (G, N, Ho, Wo, kh, kw, Cg)
    hp = (4 - 1) * stride[0] + (3 - 1) * dilation[0] + 1
    wp = (5 - 1) * stride[1] + (2 - 1) * dilation[1] + 1
    shape = (3, hp, wp, 2, 3)
    want = twins.col2im(cols, shape, stride, dilation)
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(jit.col2im(cols, shape, stride, dilation), want,
                               rtol=64 * eps, atol=64 * eps)
    # A transposed view (the layout fold uses) gives the same sums.
    view = np.ascontiguousarray(cols.transpose(6, 0, 1, 2, 3, 4, 5)).transpose(1, 2, 3, 4, 5, 6, 0)
    np.testing.assert_allclose(jit.col2im(view, shape, stride, dilation), want,
                               rtol=64 * eps, atol=64 * eps)


POOL_SETTINGS = [((2, 2), (2, 2), (0, 0), (1, 1)), ((3, 3), (2, 2), (1, 1), (1, 1)),
                 ((3, 2), (1, 2), (1, 1), (2, 1))]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kernel, stride, padding, dilation", POOL_SETTINGS)
def test_max_pool2d_parity_with_ties_nan_and_inf(dtype, kernel, stride, padding, dilation):
    x = np.round(rand((2, 3, 9, 8), dtype), 0)              # many ties
    x[0, 0, 0, 0] = np.nan
    x[1, 2] = -np.inf                                        # a whole plane of -inf
    out_hw = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in
                   zip((9, 8), kernel, stride, padding, dilation))
    args = (out_hw, kernel, stride, padding, dilation)
    got, got_where = jit.max_pool2d(x, *args)
    want, want_where = twins.max_pool2d(x, *args)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_where, want_where)
    assert got_where.min() >= 0                              # never a padding position
    g = rand(got.shape, dtype)
    np.testing.assert_allclose(jit.max_pool2d_backward(g, got_where, x.shape),
                               twins.max_pool2d_backward(g, want_where, x.shape),
                               rtol=8 * np.finfo(dtype).eps, atol=8 * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", FLOATS)
def test_lstm_step_parity(dtype):
    batch, hidden = 6, 13
    z = rand((batch, 4 * hidden), dtype)
    c_prev = rand((batch, hidden), dtype, seed=1)
    act, hc = np.empty_like(z), np.empty((batch, 2 * hidden), dtype)
    act2, hc2 = np.empty_like(z), np.empty_like(hc)
    jit.lstm_cell_forward(z, c_prev, act, hc)
    twins.lstm_cell_forward(z, c_prev, act2, hc2)
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(act, act2, rtol=8 * eps, atol=8 * eps)
    np.testing.assert_allclose(hc, hc2, rtol=8 * eps, atol=8 * eps)
    g = rand((batch, 2 * hidden), dtype, seed=2)
    nxt = rand((batch, 2 * hidden), dtype, seed=3)
    outs = []
    for module in (jit, twins):
        dz, dc = np.empty_like(z), np.empty_like(c_prev)
        module.lstm_cell_backward(g[:, :hidden], g[:, hidden:], nxt[:, :hidden], nxt[:, hidden:],
                                  act2, hc2[:, hidden:], c_prev, dz, dc)
        outs.append((dz, dc))
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=64 * eps, atol=64 * eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_backward_writes_into_out_what_it_returns_without_it(dtype):
    rng = np.random.default_rng(7)
    g = rng.normal(size=(64, 40)).astype(dtype)
    x = rng.normal(size=(64, 40)).astype(dtype)
    x[0, :5] = 0.0
    for relu_backward in (kernels.relu_backward, twins.relu_backward):
        out = np.full_like(g, np.nan)
        assert relu_backward(g, x, out) is out
        assert out.tobytes() == relu_backward(g, x).tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(300, 64), (1031,), (4, 100_000)])
def test_relu_forward_kernel_gives_the_bits_of_numpy_maximum(dtype, shape):
    rng = np.random.default_rng(8)
    x = rng.normal(size=shape).astype(dtype)
    flat = x.reshape(-1)
    payload_nan = np.array(0x7FF8000000000123, np.int64).view(np.float64).astype(dtype)
    flat[:6] = [np.nan, -0.0, 0.0, np.inf, -np.inf, 0.0]
    flat[5] = payload_nan           # (a NaN's payload is kept, as np.maximum keeps it)
    expected = np.maximum(x, 0).tobytes()
    out = np.full_like(x, 7.0)
    for result in (jit.relu(x), kernels.relu(x), jit.relu(x, out)):
        assert result.dtype == x.dtype and result.tobytes() == expected
    assert kernels.relu(x, out) is out and out.tobytes() == expected
    assert twins.relu(x).tobytes() == expected
