"""ReLU6, Hardtanh, Hardsigmoid, Hardswish, SELU, CELU, Mish, LogSigmoid, Softsign, Softmin,
GLU, Threshold, PReLU, Unflatten, linear, normalize, cosine_similarity, pairwise_distance.

Values are checked against NumPy formulas, gradients against finite differences, and the
gradients at kinks against the numbers PyTorch gives there (written out below).
"""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# name -> (function, NumPy reference); all elementwise
ELEMENTWISE = {
    "relu6": (F.relu6, lambda x: np.clip(x, 0, 6)),
    "hardtanh": (F.hardtanh, lambda x: np.clip(x, -1, 1)),
    "hardtanh(-2, 0.5)": (lambda x: F.hardtanh(x, -2.0, 0.5), lambda x: np.clip(x, -2, 0.5)),
    "hardsigmoid": (F.hardsigmoid, lambda x: np.clip(x + 3, 0, 6) / 6),
    "hardswish": (F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "selu": (F.selu, lambda x: SELU_SCALE * np.where(x > 0, x,
                                                     SELU_ALPHA * np.expm1(np.minimum(x, 0)))),
    "celu": (F.celu, lambda x: np.maximum(x, 0) + np.minimum(0, np.expm1(np.minimum(x, 0)))),
    "celu(0.5)": (lambda x: F.celu(x, 0.5),
                  lambda x: np.maximum(x, 0)
                  + np.minimum(0, 0.5 * np.expm1(np.minimum(x, 0) / 0.5))),
    "mish": (F.mish, lambda x: x * np.tanh(np.logaddexp(0, x))),
    "logsigmoid": (F.logsigmoid, lambda x: -np.logaddexp(0, -x)),
    "softsign": (F.softsign, lambda x: x / (1 + np.abs(x))),
    "threshold": (lambda x: F.threshold(x, 1.0, -7.0), lambda x: np.where(x > 1, x, -7.0)),
}
# the smooth ones, for second derivatives
SMOOTH = ["selu", "celu", "celu(0.5)", "mish", "logsigmoid", "softsign", "hardswish"]
KINKS = np.array([-3.0, -2.0, -1.0, 0.0, 0.5, 1.0, 3.0, 6.0])


def _points(dtype, rng=0):
    gen = np.random.default_rng(rng)
    x = np.concatenate([gen.standard_normal(40) * 4, KINKS,
                        [-1e4, -800.0, -40.0, 40.0, 800.0, 1e4]])
    return x.astype(dtype)


def _away_from_kinks(rng=1):
    x = np.random.default_rng(rng).standard_normal(30) * 4
    return x[np.min(np.abs(x[:, None] - KINKS[None, :]), axis=1) > 1e-3]


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_values_match_numpy_and_keep_the_dtype(name, dtype):
    f, reference = ELEMENTWISE[name]
    x = _points(dtype)
    out = f(ad.tensor(x))
    assert out.dtype == dtype
    with np.errstate(over="ignore"):
        expected = reference(x.astype(np.float64))
    tol = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(out.data, expected, rtol=tol, atol=tol)
    assert np.all(np.isfinite(out.data))
    for shape in [(), (1,), (1, 1)]:           # 0-d and size-1 axes
        small = np.full(shape, -0.7, dtype=dtype)
        y = f(ad.tensor(small))
        assert y.shape == shape and y.dtype == dtype
        np.testing.assert_allclose(y.data, reference(small.astype(np.float64)), rtol=tol)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_gradients_match_finite_differences_away_from_kinks(name):
    f = ELEMENTWISE[name][0]
    assert ad.gradcheck(lambda t: f(t).sum(), [_away_from_kinks()])


@pytest.mark.parametrize("name", SMOOTH)
def test_second_derivatives(name):
    f = ELEMENTWISE[name][0]
    x = _away_from_kinks()
    assert ad.gradgradcheck(lambda t: f(t), [x])


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_gradients_are_finite_for_large_inputs(name):
    f = ELEMENTWISE[name][0]
    x = np.array([-1e5, -1000.0, -40.0, 40.0, 1000.0, 1e5])
    assert np.all(np.isfinite(ad.grad(lambda t: f(t).sum())(x)))
    if name in SMOOTH:
        assert np.all(np.isfinite(ad.hessian(lambda t: f(t).sum())(x)))


def test_logsigmoid_is_accurate_far_out():
    x = np.array([-1000.0, 30.0, 1000.0, np.inf, -np.inf])
    out = F.logsigmoid(ad.tensor(x)).data
    np.testing.assert_array_equal(out[[0, 2, 3, 4]], [-1000.0, 0.0, 0.0, -np.inf])
    np.testing.assert_allclose(out[1], -9.357622968839737e-14, rtol=1e-15)
    grad = ad.grad(lambda t: F.logsigmoid(t).sum())(np.array([-1000.0, 30.0, 1000.0]))
    np.testing.assert_allclose(grad, [1.0, 9.3576229688393e-14, 0.0], rtol=1e-14)


def _grad(f, x):
    x = ad.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    f(x).sum().backward()
    return x.grad


# PyTorch's gradients at the kinks (torch 2.13, float64), and at NaN.
KINK_GRADIENTS = [
    (F.relu6, [-1.0, 0.0, 3.0, 6.0, 7.0, np.nan], [0, 0, 1, 0, 0, 1]),
    (F.hardtanh, [-2.0, -1.0, 0.0, 1.0, 2.0, np.nan], [0, 0, 1, 0, 0, 1]),
    (lambda x: F.hardtanh(x, 0.5, 2.0), [0.5, 2.0], [0, 0]),
    # (PyTorch's slope is the float32 constant 1.0f / 6.0f, in float64 too)
    (F.hardsigmoid, [-4.0, -3.0, 0.0, 3.0, 4.0, np.nan], [0, 0, np.float32(1 / 6), 0, 0, 0]),
    (F.hardswish, [-4.0, -3.0, 0.0, 1.5, 3.0, 4.0, np.nan], [0, 0, 0.5, 1.0, 1, 1, 1]),
    (F.selu, [0.0], [SELU_SCALE * SELU_ALPHA]),
    (lambda x: F.celu(x, 2.0), [0.0], [1.0]),
    (F.softsign, [0.0], [1.0]),
    (lambda x: F.threshold(x, 1.0, 5.0), [0.0, 1.0, 2.0, np.nan], [0, 0, 1, 1]),
]


@pytest.mark.parametrize("case", range(len(KINK_GRADIENTS)))
def test_gradients_at_kinks_are_pytorchs(case):
    f, x, expected = KINK_GRADIENTS[case]
    np.testing.assert_allclose(_grad(f, x), expected, rtol=1e-15)


def test_hardswish_float32_just_below_three_takes_the_middle_piece():
    # x + 3 rounds to 6 here; the piece is chosen by x, as PyTorch's backward does.
    x = np.nextafter(np.float32(3), np.float32(0))
    t = ad.tensor(np.array([x]), requires_grad=True)
    F.hardswish(t).sum().backward()
    np.testing.assert_allclose(t.grad, [x / 3 + 0.5], rtol=1e-6)


def test_second_derivatives_at_kinks_are_pytorchs():
    def second(f, x):
        return ad.hessian(lambda t: f(t).sum())(np.asarray(x)).diagonal()
    np.testing.assert_allclose(second(F.hardswish, [-3.0, 0.0, 3.0]), [0, 1 / 3, 0])
    np.testing.assert_allclose(second(F.selu, [0.0]), [0.0])
    np.testing.assert_allclose(second(lambda x: F.celu(x, 2.0), [0.0]), [0.0])
    np.testing.assert_allclose(second(F.relu6, [0.0, 3.0, 6.0]), [0, 0, 0])
    np.testing.assert_allclose(second(F.mish, [0.0]), [0.64])


def test_elementwise_values_at_nan_and_inf():
    nan, inf = np.nan, np.inf
    x = ad.tensor([nan, -inf, inf])
    with np.errstate(invalid="ignore"):           # -inf * 0 in hardswish, as in PyTorch
        swish = F.hardswish(x).data
    np.testing.assert_array_equal(F.hardtanh(x).data, [nan, -1, 1])
    np.testing.assert_array_equal(F.hardsigmoid(x).data, [nan, 0, 1])
    np.testing.assert_array_equal(swish, [nan, nan, inf])
    np.testing.assert_array_equal(F.selu(x).data, [nan, -SELU_SCALE * SELU_ALPHA, inf])
    np.testing.assert_array_equal(F.threshold(x, 0.0, 2.0).data, [nan, 2, inf])


# ----- softmin, glu ------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmin_and_glu_values(dtype):
    x = np.random.default_rng(2).standard_normal((3, 4, 6)).astype(dtype)
    x[0, 0, 0] = 1e4
    for dim in (0, 1, -1):
        out = F.softmin(ad.tensor(x), dim=dim)
        assert out.dtype == dtype
        np.testing.assert_allclose(out.data, _softmax(-x.astype(np.float64), dim), atol=1e-6)
    for dim in (1, -1):
        a, b = np.split(x.astype(np.float64), 2, axis=dim)
        out = F.glu(ad.tensor(x), dim)
        assert out.dtype == dtype
        np.testing.assert_allclose(out.data, a / (1 + np.exp(-b)), rtol=1e-6)
    assert F.glu(ad.tensor(x)).shape == (3, 4, 3)
    assert F.glu(ad.tensor(np.ones((1, 2)))).shape == (1, 1)


def test_softmin_and_glu_gradients():
    x = np.random.default_rng(3).standard_normal((2, 4))
    assert ad.gradcheck(lambda t: (F.softmin(t, dim=1) * np.arange(4)).sum(), [x])
    assert ad.gradcheck(lambda t: (F.glu(t, 1) * np.arange(2)).sum(), [x])
    assert ad.gradcheck(lambda t: (F.glu(t, 0) * np.arange(4)).sum(), [x])
    assert ad.gradgradcheck(lambda t: F.glu(t, -1), [x])
    assert ad.gradgradcheck(lambda t: F.softmin(t, dim=0), [x])


def test_softmax_family_layers():
    x = np.random.default_rng(4).standard_normal((2, 3))
    np.testing.assert_allclose(nn.Softmax(dim=1)(ad.tensor(x)).data, _softmax(x, 1))
    np.testing.assert_allclose(nn.LogSoftmax(dim=0)(ad.tensor(x)).data,
                               np.log(_softmax(x, 0)))
    np.testing.assert_allclose(nn.Softmin(dim=1)(ad.tensor(x)).data, _softmax(-x, 1))
    np.testing.assert_allclose(nn.GLU(dim=0)(ad.tensor(np.ones((4, 1)))).data,
                               np.full((2, 1), 1 / (1 + np.exp(-1))))


# ----- PReLU -------------------------------------------------------------------------

def test_prelu_per_channel_values_and_gradients():
    layer = nn.PReLU(3)
    with ad.no_grad():
        layer.weight.copy_(np.array([0.25, 0.5, 0.1]))
    x = ad.tensor([[-1.0, 0.0, 2.0], [-2.0, -3.0, 0.0]], requires_grad=True)
    out = layer(x)
    out.sum().backward()
    np.testing.assert_allclose(out.data, [[-0.25, 0.0, 2.0], [-0.5, -1.5, 0.0]])
    # PyTorch: slope = weight at x == 0; the weight gets the sum of x where x <= 0
    np.testing.assert_allclose(x.grad, [[0.25, 0.5, 1.0], [0.25, 0.5, 0.1]])
    np.testing.assert_allclose(layer.weight.grad, [-3.0, -3.0, 0.0])
    assert list(layer.state_dict()) == ["weight"]
    assert list(layer.to_torch_state_dict()) == ["weight"]


def test_prelu_broadcasts_over_axis_one_of_images():
    w = np.array([0.2, -0.4])
    x = np.random.default_rng(5).standard_normal((2, 2, 3, 3))
    expected = np.where(x > 0, x, w[None, :, None, None] * x)
    np.testing.assert_allclose(F.prelu(ad.tensor(x), ad.tensor(w)).data, expected)
    assert ad.gradcheck(lambda a, b: (F.prelu(a, b) * x).sum(), [x, w])
    default = nn.PReLU()
    assert default.weight.shape == (1,) and default.weight.data[0] == 0.25
    assert default(ad.tensor(x)).shape == x.shape
    assert default(ad.tensor([-4.0])).data[0] == -1.0                # 1-D input: one channel
    single = nn.PReLU(1, init=0.5, dtype=np.float32)
    assert single(ad.tensor(x.astype(np.float32))).dtype == np.float32


# ----- linear, normalize, cosine_similarity, pairwise_distance ------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_linear_uses_pytorchs_weight_layout(dtype):
    gen = np.random.default_rng(6)
    x = gen.standard_normal((4, 2, 3)).astype(dtype)
    w = gen.standard_normal((5, 3)).astype(dtype)
    b = gen.standard_normal(5).astype(dtype)
    out = F.linear(ad.tensor(x), ad.tensor(w), ad.tensor(b))
    assert out.shape == (4, 2, 5) and out.dtype == dtype
    np.testing.assert_allclose(out.data, x @ w.T + b, rtol=1e-5)
    assert F.linear(ad.tensor(x[0, 0]), ad.tensor(w)).shape == (5,)
    layer = nn.Linear(3, 5, rng=0)                                  # (in, out) here
    np.testing.assert_allclose(F.linear(ad.tensor(x[0]).astype(np.float64), layer.weight.T,
                                        layer.bias).data, layer(x[0].astype(np.float64)).data)
    x64, w64, b64 = (a.astype(np.float64) for a in (x, w, b))
    assert ad.gradcheck(lambda a, c, d: F.linear(a, c, d).sum(), [x64, w64, b64])


def _norm(x, p, axis):
    return np.linalg.norm(x, ord=p, axis=axis, keepdims=True)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, np.inf])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_normalize_values(p, dtype):
    x = np.random.default_rng(7).standard_normal((3, 4, 2)).astype(dtype)
    x[0, :, 0] = 0
    x[1, :, 1] = 1e-14
    for dim in (1, -1, 0):
        out = F.normalize(ad.tensor(x), p=p, dim=dim)
        assert out.dtype == dtype
        x64 = x.astype(np.float64)
        expected = x64 / np.maximum(_norm(x64, p, dim), 1e-12)
        np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(F.normalize(ad.tensor(np.array(-3.0, dtype)), dim=0).data, -1.0)


def test_normalize_gradients():
    x = np.random.default_rng(8).standard_normal((3, 4)) + 0.5
    for p in (2.0, 1.0, 3.0, np.inf):
        assert ad.gradcheck(lambda t: (F.normalize(t, p=p) * x).sum(), [x])
    assert ad.gradgradcheck(lambda t: F.normalize(t, dim=0), [x])
    # below eps the denominator is the constant eps: gradient g / eps (PyTorch's)
    g = np.array([[1.0, 2.0]])
    grad = _grad(lambda t: F.normalize(t) * g, [[1e-13, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(grad, [[1e12, 2e12], [1e12, 2e12]])
    # a norm equal to eps passes the whole gradient through the norm (clamp_min's tie)
    grad = _grad(lambda t: F.normalize(t, eps=5.0) * g, [[3.0, 4.0]])
    np.testing.assert_allclose(grad, [[-0.064, 0.048]], rtol=1e-14)
    # the same eps rule as F.l2_normalize
    y = np.array([[1e-13, 0.0], [3.0, 4.0]])
    np.testing.assert_allclose(F.normalize(ad.tensor(y)).data, F.l2_normalize(ad.tensor(y)).data)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cosine_similarity_values(dtype):
    gen = np.random.default_rng(9)
    x1 = gen.standard_normal((4, 3, 2)).astype(dtype)
    x2 = gen.standard_normal((3, 2)).astype(dtype)
    for dim in (1, -1):
        out = F.cosine_similarity(ad.tensor(x1), ad.tensor(x2), dim=dim)
        assert out.dtype == dtype
        a, b = np.broadcast_arrays(x1.astype(np.float64), x2.astype(np.float64))
        expected = (a * b).sum(dim) / (np.linalg.norm(a, axis=dim) * np.linalg.norm(b, axis=dim))
        np.testing.assert_allclose(out.data, expected, rtol=1e-5)
    assert F.cosine_similarity(ad.tensor([1.0, 2.0]), ad.tensor([2.0, 4.0]), dim=0).shape == ()
    assert F.cosine_similarity(ad.tensor(2.0), ad.tensor(-3.0), dim=0).item() == -1.0


def test_cosine_similarity_clamps_each_norm_in_value_only():
    # PyTorch's numbers: each norm is clamped to eps, the gradient flows as if it were not.
    x1 = ad.tensor([[1e-9, 2e-9], [3.0, 4.0], [0.0, 0.0]], requires_grad=True)
    x2 = ad.tensor([[1.0, 1.0], [1e-10, 0.0], [1.0, 2.0]], requires_grad=True)
    out = F.cosine_similarity(x1, x2, dim=1, eps=1e-8)
    out.sum().backward()
    np.testing.assert_allclose(out.data, [0.21213203435596426, 0.006, 0.0], rtol=1e-14)
    np.testing.assert_allclose(x1.grad, [[61223845.138149604, 51737012.157644466],
                                         [0.00128, -0.00096],
                                         [44721359.549995795, 89442719.09999159]], rtol=1e-12)
    np.testing.assert_allclose(x2.grad, [[-0.03535533905932736, 0.03535533905932739],
                                         [59400000.0, 80000000.0], [0.0, 0.0]], rtol=1e-12)


def test_cosine_similarity_gradients():
    gen = np.random.default_rng(10)
    a, b = gen.standard_normal((3, 4)), gen.standard_normal((1, 4))
    assert ad.gradcheck(lambda s, t: (F.cosine_similarity(s, t) * np.arange(3)).sum(), [a, b])
    assert ad.gradgradcheck(lambda s, t: F.cosine_similarity(s, t, dim=0), [a, a + 1])


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, np.inf])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pairwise_distance_values(p, dtype):
    gen = np.random.default_rng(11)
    x1 = gen.standard_normal((5, 3)).astype(dtype)
    x2 = gen.standard_normal((5, 3)).astype(dtype)
    for keepdim in (False, True):
        out = F.pairwise_distance(ad.tensor(x1), ad.tensor(x2), p=p, keepdim=keepdim)
        assert out.dtype == dtype and out.shape == ((5, 1) if keepdim else (5,))
        diff = x1.astype(np.float64) - x2 + 1e-6
        expected = np.linalg.norm(diff, ord=p, axis=-1, keepdims=keepdim)
        np.testing.assert_allclose(out.data, expected, rtol=1e-5)
    assert F.pairwise_distance(ad.tensor(x1[0]), ad.tensor(x2)).shape == (5,)
    np.testing.assert_allclose(F.pairwise_distance(ad.tensor(1.0), ad.tensor(3.0)).data,
                               2.0 - 1e-6)


def test_pairwise_distance_gradients():
    gen = np.random.default_rng(12)
    a, b = gen.standard_normal((4, 3)), gen.standard_normal((4, 3))
    for p in (2.0, 1.0, 3.0, np.inf):
        assert ad.gradcheck(lambda s, t: (F.pairwise_distance(s, t, p) * np.arange(4)).sum(),
                            [a, b])
    assert ad.gradgradcheck(lambda s, t: F.pairwise_distance(s, t), [a, b])
    # where x1 - x2 + eps is exactly 0 the gradient is 0 (PyTorch's), not NaN
    grad = _grad(lambda t: F.pairwise_distance(t, np.array([[1e-6, 1e-6]])), [[0.0, 0.0]])
    np.testing.assert_array_equal(grad, [[0.0, 0.0]])


def test_distance_layers():
    a = ad.tensor(np.ones((2, 3)))
    b = ad.tensor(np.full((2, 3), 2.0))
    np.testing.assert_allclose(nn.CosineSimilarity()(a, b).data, [1.0, 1.0])
    np.testing.assert_allclose(nn.PairwiseDistance(p=1.0, eps=0.0, keepdim=True)(a, b).data,
                               [[3.0], [3.0]])


# ----- Unflatten, layers, reprs --------------------------------------------------------

def test_unflatten():
    x = ad.tensor(np.arange(24.0).reshape(2, 12), requires_grad=True)
    out = nn.Unflatten(1, (3, 4))(x)
    assert out.shape == (2, 3, 4)
    assert nn.Unflatten(-1, [2, -1])(x).shape == (2, 2, 6)
    assert nn.Unflatten(0, (1, 2))(x).shape == (1, 2, 12)
    np.testing.assert_array_equal(nn.Flatten()(out).data, x.data)
    (out * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((2, 12), 2.0))


@pytest.mark.parametrize("layer, function", [
    (nn.ReLU6(), F.relu6), (nn.Hardtanh(-2.0, 2.0), lambda x: F.hardtanh(x, -2.0, 2.0)),
    (nn.Hardsigmoid(), F.hardsigmoid), (nn.Hardswish(), F.hardswish), (nn.SELU(), F.selu),
    (nn.CELU(0.5), lambda x: F.celu(x, 0.5)), (nn.Mish(), F.mish),
    (nn.LogSigmoid(), F.logsigmoid), (nn.Softsign(), F.softsign),
    (nn.Threshold(0.5, -1.0), lambda x: F.threshold(x, 0.5, -1.0))])
def test_layers_compute_their_functions(layer, function):
    x = _points(np.float32)
    out = layer(ad.tensor(x))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, function(ad.tensor(x)).data)
    assert list(layer.parameters()) == []


REPRS = [
    (nn.ReLU6(), "ReLU6()"), (nn.Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)"),
    (nn.Hardtanh(-2, 3), "Hardtanh(min_val=-2, max_val=3)"), (nn.Hardsigmoid(), "Hardsigmoid()"),
    (nn.Hardswish(), "Hardswish()"), (nn.SELU(), "SELU()"), (nn.CELU(), "CELU(alpha=1.0)"),
    (nn.CELU(0.5), "CELU(alpha=0.5)"), (nn.Mish(), "Mish()"), (nn.LogSigmoid(), "LogSigmoid()"),
    (nn.Softsign(), "Softsign()"), (nn.Softmax(), "Softmax(dim=None)"),
    (nn.Softmax(1), "Softmax(dim=1)"), (nn.LogSoftmax(dim=-1), "LogSoftmax(dim=-1)"),
    (nn.Softmin(0), "Softmin(dim=0)"), (nn.GLU(), "GLU(dim=-1)"),
    (nn.Threshold(0.1, 20), "Threshold(threshold=0.1, value=20)"),
    (nn.PReLU(), "PReLU(num_parameters=1)"), (nn.PReLU(3, 0.1), "PReLU(num_parameters=3)"),
    (nn.Unflatten(1, (2, 5)), "Unflatten(dim=1, unflattened_size=(2, 5))"),
    (nn.Unflatten(-1, [2, -1]), "Unflatten(dim=-1, unflattened_size=[2, -1])"),
    (nn.CosineSimilarity(), "CosineSimilarity()"), (nn.PairwiseDistance(), "PairwiseDistance()"),
]


@pytest.mark.parametrize("index", range(len(REPRS)))
def test_reprs_are_pytorchs(index):
    layer, text = REPRS[index]
    assert repr(layer) == text


# ----- errors ------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda t: F.relu6(t, inplace=True), lambda t: F.hardtanh(t, inplace=True),
    lambda t: F.hardswish(t, True), lambda t: F.threshold(t, 0.0, 0.0, inplace=True),
    lambda t: nn.ReLU6(inplace=True)(t), lambda t: nn.SELU(True)(t),
    lambda t: nn.CELU(inplace=True)(t), lambda t: nn.Threshold(0.1, 0.0, True)(t),
    lambda t: nn.Hardtanh(inplace=True)(t)])
def test_inplace_changes_the_tensor_and_refuses_what_is_not_one(call):
    t = ad.tensor([-2.0, 0.05, 2.0])
    array = t.data
    assert call(t) is t and t.data is array
    assert not np.array_equal(array, [-2.0, 0.05, 2.0])
    with pytest.raises(TypeError, match="expected a Tensor to change in place"):
        call([1.0])


def test_inplace_false_is_accepted():
    assert F.selu(ad.tensor([1.0]), inplace=False).shape == (1,)
    assert repr(nn.Hardswish(inplace=False)) == "Hardswish()"


@pytest.mark.parametrize("call, error, words", [
    (lambda: F.hardtanh([0.0], 1.0, -1.0), ValueError, "hardtanh: min_val cannot be greater"),
    (lambda: nn.Hardtanh(1.0, 1.0), ValueError, "Hardtanh: max_val .* must be greater"),
    (lambda: F.celu([1.0], 0.0), ValueError, "celu: alpha cannot be 0"),
    (lambda: nn.CELU(0), ValueError, "CELU: alpha cannot be 0"),
    (lambda: F.relu6(np.array([1, 2])), TypeError, "relu6: expected floating-point .* int64"),
    (lambda: F.glu(ad.tensor(np.ones((2, 3))), 1), ValueError, "glu: .* even size.*size 3"),
    (lambda: F.glu(ad.tensor(1.0)), ValueError, "glu: the input is 0-d"),
    (lambda: F.glu(ad.tensor(np.ones(4)), 1), ValueError, r"glu: dim=1 is out of range.*\(4,\)"),
    (lambda: F.prelu(ad.tensor(np.ones((2, 2))), ad.tensor(np.ones(3))), ValueError,
     r"prelu: weight has 3 slopes but the input of shape \(2, 2\) has 2 channel"),
    (lambda: F.prelu(ad.tensor(1.0), ad.tensor([0.25, 0.5])), ValueError,
     r"prelu: weight has 2 slopes but the input of shape \(\) has 1 channel"),
    (lambda: F.prelu(ad.tensor([1.0]), ad.tensor(np.ones((1, 1)))), ValueError,
     "prelu: weight must be 0-d or 1-D"),
    (lambda: nn.PReLU(0), ValueError, "PReLU: num_parameters must be a positive int"),
    (lambda: F.linear(ad.tensor(np.ones((2, 3))), ad.tensor(np.ones((3, 4)))), ValueError,
     r"linear: the input's last axis must have in_features = 4 .*\(2, 3\).*layer.weight.T"),
    (lambda: F.linear(ad.tensor(np.ones(3)), ad.tensor(np.ones(3))), ValueError,
     "linear: weight must be 2-D"),
    (lambda: F.linear(ad.tensor(np.ones(3)), ad.tensor(np.ones((2, 3))), ad.tensor(np.ones(3))),
     ValueError, r"linear: bias of shape \(3,\) does not broadcast to the output's shape \(2,\)"),
    (lambda: F.normalize(ad.tensor(np.ones(3))), ValueError,
     r"normalize: dim=1 is out of range for an input of shape \(3,\)"),
    (lambda: F.normalize(ad.tensor(np.ones((2, 3))), p=0.5), ValueError,
     "normalize: p=0.5 is not supported"),
    (lambda: F.cosine_similarity(ad.tensor(np.ones((3, 2))), ad.tensor(np.ones((2, 3)))),
     ValueError, r"cosine_similarity: x1 of shape \(3, 2\) and x2 of shape \(2, 3\) do not "
                 "broadcast"),
    (lambda: F.pairwise_distance(ad.tensor(np.ones(3)), ad.tensor(np.ones(3)), p=0), ValueError,
     "pairwise_distance: p=0 is not supported"),
    (lambda: nn.Unflatten(1, (2, 4))(ad.tensor(np.ones((2, 6)))), ValueError,
     r"Unflatten\(dim=1, unflattened_size=\(2, 4\)\): the sizes .* do not multiply to the "
     "size 6"),
    (lambda: nn.Unflatten(1, (-1, -1)), ValueError, "more than one -1"),
    (lambda: nn.Unflatten(1, 6), TypeError, "Unflatten: unflattened_size must be"),
    (lambda: F.threshold([1.0], ad.tensor(0.5, requires_grad=True), 0.0), TypeError,
     "threshold: threshold gets no gradient"),
    (lambda: nn.Softmax(dim="1"), TypeError, "Softmax: dim must be an int or None"),
])
def test_bad_arguments_are_refused_with_clear_errors(call, error, words):
    with pytest.raises(error, match=words):
        call()
