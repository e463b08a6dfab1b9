"""float16 elementwise ops and activations rounded once, as PyTorch's CPU kernels.

For each op, every finite float16 value in its range goes through the op in float16
(forward, and backward with a random float16 upstream gradient) and the results are
compared with the same computation in float64 rounded to float16.  Each result must
be that correctly rounded value.  The one exception, for every op: a value computed
in float32 and rounded again to float16 may land on the other side of a float16
rounding boundary when the exact value lies within a couple of float32 ulps of it
(of the value, or of 1 for a slope summed from terms near 1): double rounding, which
PyTorch's float32 "opmath" has too.  Those points are few (counted below) and each is
checked to be such a point.
"""

import numpy as np
import pytest

import autodiff as ad
from autodiff.nn import functional as F
from autodiff.ops.half_activations import ACTIVATIONS
from autodiff.ops.namespace import numpy_xp

_ALL_HALF = np.arange(2 ** 16, dtype=np.uint16).view(np.float16)
_ALL_HALF = np.unique(_ALL_HALF[np.isfinite(_ALL_HALF)])


def _sweep(lo, hi):
    """Every float16 value in [lo, hi]."""
    return _ALL_HALF[(_ALL_HALF >= lo) & (_ALL_HALF <= hi)]


def _half_tensor(values, dtype):
    return ad.tensor(np.asarray(values, np.float16).astype(dtype))


# name -> (function on Tensors, lo, hi, PyTorch's (or None))
OPS = {
    "sigmoid": (ad.sigmoid, -12, 12, "torch.sigmoid"),
    "tanh": (ad.tanh, -12, 12, "torch.tanh"),
    "erf": (ad.erf, -12, 12, "torch.erf"),
    "erfc": (ad.erfc, -12, 12, "torch.erfc"),
    "log1p": (ad.log1p, -0.99, 12, "torch.log1p"),
    "expm1": (ad.expm1, -12, 11, "torch.expm1"),
    "logaddexp": (lambda t: ad.logaddexp(t, _half_tensor(0.5, t.dtype)), -12, 12,
                  "lambda t: torch.logaddexp(t, torch.tensor(0.5, dtype=t.dtype))"),
    "xlogy_x": (lambda t: ad.xlogy(t, _half_tensor(3.0, t.dtype)), -12, 12,
                "lambda t: torch.xlogy(t, torch.tensor(3.0, dtype=t.dtype))"),
    "xlogy_y": (lambda t: ad.xlogy(_half_tensor(3.0, t.dtype), t), 0.01, 12,
                "lambda t: torch.xlogy(torch.tensor(3.0, dtype=t.dtype), t)"),
    "lgamma": (ad.lgamma, 0.01, 12, "torch.lgamma"),
    "digamma": (ad.digamma, 0.05, 12, "torch.digamma"),
    "log2": (ad.log2, 0.01, 12, "torch.log2"),
    "arctanh": (ad.arctanh, -0.99, 0.99, "torch.arctanh"),
    "arcsinh": (ad.arcsinh, -12, 12, "torch.arcsinh"),
    "gelu": (F.gelu, -12, 12, "TF.gelu"),
    "gelu_tanh": (lambda t: F.gelu(t, approximate="tanh"), -12, 12,
                  "lambda t: TF.gelu(t, approximate='tanh')"),
    "silu": (F.silu, -12, 12, "TF.silu"),
    "softplus": (F.softplus, -12, 12, "TF.softplus"),
    "softplus_beta": (lambda t: F.softplus(t, beta=2.0, threshold=5.0), -12, 12,
                      "lambda t: TF.softplus(t, beta=2.0, threshold=5.0)"),
    "mish": (F.mish, -12, 12, "TF.mish"),
    "elu": (lambda t: F.elu(t, alpha=0.5), -12, 12, "lambda t: TF.elu(t, alpha=0.5)"),
    "selu": (F.selu, -12, 12, "TF.selu"),
    "celu": (lambda t: F.celu(t, 2.0), -12, 12, "lambda t: TF.celu(t, 2.0)"),
    "logsigmoid": (F.logsigmoid, -12, 12, "TF.logsigmoid"),
    "hardswish": (F.hardswish, -12, 12, "TF.hardswish"),
    "hardsigmoid": (F.hardsigmoid, -12, 12, "TF.hardsigmoid"),
    "softsign": (F.softsign, -12, 12, "TF.softsign"),
    "tanhshrink": (F.tanhshrink, -12, 12, "TF.tanhshrink"),
    "softshrink": (lambda t: F.softshrink(t, 0.3), -12, 12, "lambda t: TF.softshrink(t, 0.3)"),
    "leaky_relu": (lambda t: F.leaky_relu(t, 0.01), -12, 12,
                   "lambda t: TF.leaky_relu(t, 0.01)"),
    "logit": (lambda t: t.logit(), 0.001, 0.999, "torch.logit"),
    "logit_eps": (lambda t: t.logit(eps=0.01), 0.0, 1.0, "lambda t: torch.logit(t, eps=0.01)"),
    "rrelu_eval": (lambda t: F.rrelu(t, training=False), -12, 12,
                   "lambda t: TF.rrelu(t, training=False)"),
}


def _upstream(x):
    """A float16 upstream gradient in [0.5, 2) for each input (the same in every dtype)."""
    rng = np.random.default_rng(x.size)
    return rng.uniform(0.5, 2.0, x.size).astype(np.float16)


def _run(f, x, dtype):
    t = ad.tensor(x.astype(dtype), requires_grad=True)
    y = f(t)
    (y * ad.tensor(_upstream(x).astype(dtype))).sum().backward()
    return y.data, t.grad


def _same(a, b):
    return (a == b) | (np.isnan(a) & np.isnan(b))


def _near_boundary(exact):
    """Where a float32 evaluation of ``exact`` may round to either float16 neighbour:
    within 2 float32 ulps of ``max(|exact|, 1)`` of the midpoint between them."""
    exact = np.asarray(exact, np.float64)
    with np.errstate(all="ignore"):
        return _near_midpoint(exact)


def _near_midpoint(exact):
    nearest = exact.astype(np.float16)
    below = np.where(nearest.astype(np.float64) <= exact, nearest,
                     np.nextafter(nearest, np.float16(-np.inf)))
    above = np.nextafter(below, np.float16(np.inf))
    midpoint = (below.astype(np.float64) + above.astype(np.float64)) / 2
    return np.abs(exact - midpoint) <= 2 * 2.0 ** -23 * np.maximum(np.abs(exact), 1.0)


def _one_ulp_apart(a, b):
    return (np.nextafter(a, np.float16(np.inf)) == b) | (np.nextafter(a, np.float16(-np.inf)) == b)


def _results(name):
    f, lo, hi, _ = OPS[name]
    x = _sweep(lo, hi)
    with np.errstate(all="ignore"):
        half = _run(f, x, np.float16)
        wide = _run(f, x, np.float64)
    return x, half, wide


@pytest.mark.parametrize("name", OPS)
def test_float16_values_and_gradients_are_correctly_rounded(name):
    x, half, wide = _results(name)
    for what, got, exact in zip(("forward", "gradient"), half, wide):
        assert got.dtype == np.float16
        with np.errstate(all="ignore"):
            rounded = exact.astype(np.float16)
        wrong = ~_same(got, rounded)
        unexplained = wrong & ~(_near_boundary(exact) & _one_ulp_apart(got, rounded))
        assert not unexplained.any(), (
            f"{name} {what}: {unexplained.sum()} of {x.size} float16 inputs not correctly "
            f"rounded, e.g. x={x[unexplained][:3]}: {got[unexplained][:3]} instead of "
            f"{rounded[unexplained][:3]}")
        # double rounding is rare: about 1 input in 10,000 here
        assert wrong.mean() < 1e-3, f"{name} {what}: {wrong.mean():.2%} off by double rounding"


@pytest.mark.parametrize("name", OPS)
def test_float16_results_differ_from_pytorchs_only_where_pytorchs_are_not_rounded_once(name):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF  # noqa: F401  (named in OPS)
    x, half, wide = _results(name)
    theirs_fn = eval(OPS[name][3], {"torch": torch, "TF": TF})
    t = torch.tensor(x, requires_grad=True)
    y = theirs_fn(t)
    (y * torch.tensor(_upstream(x))).sum().backward()
    theirs = (y.detach().numpy(), t.grad.numpy())
    for what, got, pytorchs, exact in zip(("forward", "gradient"), half, theirs, wide):
        assert pytorchs.dtype == np.float16
        with np.errstate(all="ignore"):
            rounded = exact.astype(np.float16)
        differ = ~_same(got, pytorchs)
        # where the two differ, ours is the correctly rounded value (PyTorch's rounds in
        # float16 steps or reads the rounded output, as sigmoid's and tanh's backward),
        # or the exact value sits on a rounding boundary (double rounding).
        assert np.all(_same(got, rounded)[differ] | _near_boundary(exact)[differ]), \
            f"{name} {what}: differs from PyTorch at x={x[differ & ~_same(got, rounded)][:3]}"
        ours_off = (~_same(got, rounded)).sum()
        pytorchs_off = (~_same(pytorchs, rounded)).sum()
        assert ours_off <= pytorchs_off + 8, (name, what, ours_off, pytorchs_off)


@pytest.mark.parametrize("kind, coefficients", [
    ("silu", ()), ("softplus", (1.0, 20.0)), ("softplus", (2.0, 5.0)), ("mish", ()),
    ("elu", (0.5, 1.0, 1.0)), ("elu", (2.0, 1.0, 0.5)), ("logsigmoid", ()),
    ("hardswish", ()), ("hardsigmoid", ()), ("softsign", ()), ("softshrink", (0.3,)),
    ("tanhshrink", ()), ("logit", ()), ("logit", (0.01,))])
def test_float32_formulas_slope_is_the_derivative_of_the_value(kind, coefficients):
    value, slope = ACTIVATIONS[kind]
    # away from the kinks (0, ±3, softplus's threshold) and not on the float16 grid only
    x = np.linspace(0.003, 0.997, 397) if kind == "logit" else np.linspace(-7.9, 7.9, 397)
    kinks = np.array([0.0, -3.0, 3.0, 2.5, 0.3, -0.3, 0.01, 0.99])
    x = x[np.min(np.abs(x[:, None] - kinks), axis=1) > 1e-3]
    [jacobian] = ad.numerical_grad(lambda v: value(numpy_xp, v, *coefficients), [x])
    np.testing.assert_allclose(slope(numpy_xp, x, *coefficients), np.diagonal(jacobian),
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", ["silu", "mish", "softplus", "selu", "hardswish",
                                  "logsigmoid", "sigmoid", "tanh", "erf", "log1p",
                                  "softshrink", "leaky_relu"])
def test_compiled_float16_step_agrees_with_eager_bit_for_bit(name):
    f, lo, hi, _ = OPS[name]
    x = _sweep(lo, hi)[::7].copy()              # ~5,000 values: the compiled kernels' sizes
    weights = ad.tensor(_upstream(x))

    def step(t):
        y = f(t)
        (y * weights).sum().backward()
        return y

    results = []
    for run in (step, ad.compile(step), ad.compile(step)):
        t = ad.tensor(x, requires_grad=True)
        results.append((run(t).data, t.grad))
    for y, g in results[1:]:
        assert y.dtype == g.dtype == np.float16
        np.testing.assert_array_equal(y, results[0][0])
        np.testing.assert_array_equal(g, results[0][1])


def test_second_derivative_of_a_float16_activation_is_recorded_in_float32():
    x = ad.tensor(np.array([-2.0, -0.5, 0.25, 1.5], np.float16), requires_grad=True)
    (g,) = ad.autograd.grad(F.silu(x).sum(), x, create_graph=True)
    (gg,) = ad.autograd.grad(g.sum(), x)
    x64 = ad.tensor(x.data.astype(np.float64), requires_grad=True)
    (g64,) = ad.autograd.grad(F.silu(x64).sum(), x64, create_graph=True)
    (gg64,) = ad.autograd.grad(g64.sum(), x64)
    assert g.dtype == gg.dtype == np.float16
    np.testing.assert_array_equal(g.data, g64.data.astype(np.float16))
    np.testing.assert_allclose(gg.data.astype(np.float64), gg64.data, rtol=2e-3)


def test_in_place_float16_activations_take_the_values_of_the_functions():
    x = _sweep(-12, 12)
    for name in ("silu", "mish", "selu", "celu", "elu", "hardswish", "hardsigmoid"):
        t = ad.tensor(x.copy())
        getattr(F, name)(t, inplace=True)       # (the array twin: t records nothing)
        np.testing.assert_array_equal(t.data, getattr(F, name)(ad.tensor(x)).data,
                                      err_msg=name)


def test_float32_and_float64_inputs_keep_their_compositions():
    x = np.linspace(-5, 5, 11)
    for dtype in (np.float32, np.float64):
        t = ad.tensor(x.astype(dtype), requires_grad=True)
        y = F.silu(t)
        assert y._node.op.name == "multiply" and y.dtype == dtype


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "erf", "log1p", "logaddexp", "silu"])
def test_float16_gradients_recorded_with_create_graph_equal_the_plain_ones(name):
    f, lo, hi, _ = OPS[name]
    x = _sweep(lo, hi)
    weights = ad.tensor(_upstream(x))
    plain = ad.tensor(x, requires_grad=True)
    (f(plain) * weights).sum().backward()
    recorded = ad.tensor(x, requires_grad=True)
    (g,) = ad.autograd.grad((f(recorded) * weights).sum(), recorded, create_graph=True)
    assert g.dtype == np.float16 and g.requires_grad
    # (the compiled kernels of a plain backward may differ from the recorded ops by a
    # float32 ulp: then only at a double-rounding point)
    exact = _results(name)[2][1]          # the float64 gradient
    differ = ~_same(g.data, plain.grad)
    assert np.all(_near_boundary(exact)[differ]), x[differ & ~_near_boundary(exact)][:3]
    assert differ.mean() < 1e-3
