"""Every teaching tool on graphs of the newer ops and features, checked against the tensors.

For each graph: ``viz.text`` names the ops; ``viz.steps`` (before any backward) gives
the gradients that ``backward()`` then stores, which ``gradcheck`` checks against
central differences for real float64 inputs; ``viz.draw`` after
``backward(retain_graph=True)`` shows those gradients; the HTML page's totals are
the same numbers; ``explain`` answers for every leaf; and after a plain
``backward()`` the tools say the graph was freed rather than show stale numbers.
"""

import json
import re
import shutil
import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff.viz.labels import array_text, escape

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")


def _leaf(value, name, dtype=None):
    return ad.tensor(np.asarray(value, dtype=dtype), requires_grad=True, name=name)


# Each builder takes the leaves' arrays and returns (loss, leaves); ``ARGS`` holds
# those arrays, ``OPS`` the op names ``viz.text`` must show, and ``REAL`` marks the
# builders that gradcheck can take (real float64 inputs).
def _multiply_at(w, v):
    w, v = _leaf(w, "w"), _leaf(v, "v")
    base = w * 2
    np.multiply.at(base, [0, 1, 0, 2], v)       # index 0 twice; v holds a 0
    return (base * np.array([1.0, 2.0, 3.0])).sum(), {"w": w, "v": v}


def _divide_at(w, v):
    w, v = _leaf(w, "w"), _leaf(v, "v")
    base = w * 1.0
    np.divide.at(base, [0, 0, 2], v)
    return (base ** 2).sum(), {"w": w, "v": v}


def _array_api(x):
    x = _leaf(x, "x")
    xp = x.__array_namespace__()
    return xp.sum(xp.exp(xp.matmul(x, xp.matrix_transpose(x)) / 4) * xp.abs(x)), {"x": x}


def _array_api_0d(x):
    x = _leaf(x, "x")
    xp = x.__array_namespace__()
    return xp.pow(xp.sin(x), 2), {"x": x}


def _complex_norm(z):
    z = _leaf(z, "z")
    return np.linalg.norm(z), {"z": z}


def _complex_var(z):
    z = _leaf(z, "z")
    return np.var(z), {"z": z}


def _complex_conv2d(x, k):
    x, k = _leaf(x, "x"), _leaf(k, "k")
    return ad.abs(F.conv2d(x, k)).sum(), {"x": x, "k": k}


def _vectorize(x):
    x = _leaf(x, "x")
    f = np.vectorize(lambda a, b: a * b if a > 1.5 else a - b)
    return (f(x, 2.0) ** 2).sum(), {"x": x}


def _frompyfunc(x):
    x = _leaf(x, "x")
    return np.frompyfunc(lambda a: a * a * a, 1, 1)(x).sum(), {"x": x}


def _multinomial(logits):
    logits = _leaf(logits, "logits")
    d = ad.distributions.Multinomial(5, logits=logits)
    return d.log_prob(np.array([1.0, 2.0, 2.0])), {"logits": logits}


def _half_cauchy(scale):
    scale = _leaf(scale, "scale")
    d = ad.distributions.HalfCauchy(scale)
    return d.log_prob(ad.tensor([0.5, 2.0])).sum() + d.entropy(), {"scale": scale}


def _pareto(scale, alpha):
    scale, alpha = _leaf(scale, "scale"), _leaf(alpha, "alpha")
    d = ad.distributions.Pareto(scale, alpha)
    x = ad.tensor([2.0, 3.5])
    return (d.log_prob(x) + d.cdf(x)).sum(), {"scale": scale, "alpha": alpha}


def _logcumsumexp(x):
    x = _leaf(x, "x")
    return (ad.logcumsumexp(x, 1) * np.array([1.0, 2.0, 3.0])).sum(), {"x": x}


def _quantile(x, q):
    x, q = _leaf(x, "x"), _leaf(q, "q")
    return ad.quantile(x, q), {"x": x, "q": q}


def _eigvals(a):
    a = _leaf(a, "A")
    w = np.linalg.eigvals(a)
    return (w.real ** 2).sum(), {"A": a}


def _eig(a):
    a = _leaf(a, "A")
    w, v = np.linalg.eig(a)
    return (w.real * 2).sum() + (v.real ** 2 * np.array([1.0, 3.0])).sum(), {"A": a}


def _roots(c):
    c = _leaf(c, "c")
    return (np.roots(c).real ** 3).sum(), {"c": c}


def _antialias(x):
    x = _leaf(x, "x")
    y = F.interpolate(x, size=(2, 3), mode="bilinear", antialias=True, align_corners=False)
    return (y ** 2).sum(), {"x": x}


RNG = np.random.default_rng(0)
CASES = {
    "multiply.at": (_multiply_at, ([1.0, 1.5, 2.0], [1.0, 2.0, 0.0, 3.0]), ["multiply_at"], True),
    "divide.at float32": (_divide_at, (np.float32([1, 3, 5]), np.float32([1, 2, 4])),
                          ["divide_at"], False),
    "divide.at": (_divide_at, ([1.0, 3.0, 5.0], [1.0, 2.0, 4.0]), ["divide_at"], True),
    "multiply.at empty": (lambda w, v: _multiply_at_empty(w, v),
                          ([1.0, 3.0], np.zeros(0)), ["multiply_at"], True),
    "array api": (_array_api, ([[1.0, -2.0], [0.5, 3.0]],), ["swapaxes", "matmul"], True),
    "array api 0-d": (_array_api_0d, (2.0,), ["sin", "power"], True),
    "complex norm": (_complex_norm, ([[3 + 4j, 1j], [2 - 1j, 0.5]],), ["squared_magnitudes"],
                     False),
    "complex var": (_complex_var, ([3 + 4j, 1j, 2 - 1j],), ["var"], False),
    "complex conv2d": (_complex_conv2d, (RNG.normal(size=(1, 1, 3, 3)) * (1 + 1j),
                                         RNG.normal(size=(1, 1, 2, 2)) * (1 - 2j)),
                       ["conv2d", "real", "imag"], False),
    "vectorize": (_vectorize, ([1.0, 2.0, 3.0],), ["stack", "multiply", "subtract"], True),
    "frompyfunc": (_frompyfunc, ([1.0, -2.0],), ["stack", "multiply"], True),
    "Multinomial": (_multinomial, ([0.1, -0.3, 0.5],), ["log_softmax"], True),
    "HalfCauchy": (_half_cauchy, (1.5,), ["log"], True),
    "Pareto": (_pareto, (1.5, 2.5), ["log"], True),
    "logcumsumexp": (_logcumsumexp, ([[1.0, -np.inf, 2.0], [0.0, 1.0, 3.0]],),
                     ["logcumsumexp"], False),
    "logcumsumexp float32": (_logcumsumexp, (np.float32([[1, 5, 2]]),),
                             ["logcumsumexp"], False),
    "quantile": (_quantile, ([1.0, 5.0, 2.0, 7.0], 0.3), ["permute_along_axis"], True),
    "eigvals": (_eigvals, ([[2.0, 1.0], [0.5, 3.0]],), ["eigvals"], True),
    "eig": (_eig, ([[2.0, 1.0], [0.5, 3.0]],), ["eig_packed"], True),
    "roots": (_roots, ([1.0, -3.0, 2.0],), ["roots"], True),
    "interpolate antialias": (_antialias, (RNG.normal(size=(1, 1, 4, 5)),), [], True),
}


def _multiply_at_empty(w, v):
    w, v = _leaf(w, "w"), _leaf(v, "v")
    base = w * 1.0
    np.multiply.at(base, np.zeros(0, dtype=int), v)
    return base.sum(), {"w": w, "v": v}


def _build(name):
    build, args, _, _ = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ad.ConventionWarning)
        return build(*args)


def _grad(leaf):
    return np.asarray(getattr(leaf.grad, "data", leaf.grad))


@pytest.mark.parametrize("name", list(CASES))
def test_steps_and_draw_show_the_gradients_backward_stores(name):
    loss, leaves = _build(name)
    text = ad.viz.text(loss)
    for op in CASES[name][2]:
        assert f"= {op}(" in text, (op, text)
    totals = ad.viz.steps(loss).totals
    assert all(leaf.grad is None for leaf in leaves.values())    # steps writes no .grad
    loss.backward(retain_graph=True)
    source = ad.viz.draw(loss, show_values=True, show_grads=True).source
    for leaf_name, leaf in leaves.items():
        grad = _grad(leaf)
        assert grad.shape == leaf.shape and grad.dtype == leaf.dtype
        # The same rules on the same values: equal up to the order that contributions
        # to one value are added in (the walk sums them as they arrive).
        np.testing.assert_allclose(totals[leaf_name], grad, rtol=1e-6 if grad.dtype ==
                                   np.float32 else 1e-12, atol=0)
        assert escape(array_text(grad)).replace("\n", "<BR/>") in source, leaf_name
        explanation = ad.explain(leaf)
        assert explanation.startswith(f"'{leaf_name}' (shape {leaf.shape}")
        if np.any(grad):
            assert "nonzero entries" in explanation


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n][3]]
                         + ["complex norm", "complex var", "complex conv2d"])
def test_the_gradients_shown_are_the_derivatives(name):
    # Real inputs: central differences. Complex ones: PyTorch's convention for a real
    # loss, dL/dRe(z) + i dL/dIm(z), each part by central differences.
    build, args, _, _ = CASES[name]
    arrays = [np.asarray(a) for a in args]
    is_complex = any(a.dtype.kind == "c" for a in arrays)
    if is_complex:
        parts = [np.stack([a.real, a.imag]) for a in arrays]
    else:
        parts = [a.astype(np.float64) for a in arrays]

    def f(*ps):
        return _value(build, [p[0] + 1j * p[1] for p in ps] if is_complex else ps)

    loss, leaves = _build(name)
    totals = ad.viz.steps(loss).totals
    for k, leaf_name in enumerate(leaves):
        d = _central_difference(f, parts, k)
        expected = d[0] + 1j * d[1] if is_complex else d
        np.testing.assert_allclose(totals[leaf_name], expected, rtol=1e-5, atol=1e-7)


def _value(build, arrays):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ad.ConventionWarning)
        loss, _ = build(*arrays)
    return float(loss.data)


def _central_difference(f, arrays, k, eps=1e-6):
    """d f / d arrays[k] by central differences (float64; error ~ eps^2 f''')."""
    grad = np.zeros_like(arrays[k])
    for index in np.ndindex(arrays[k].shape):
        shifted = [a.copy() for a in arrays]
        shifted[k][index] += eps
        up = f(*shifted)
        shifted[k][index] -= 2 * eps
        grad[index] = (up - f(*shifted)) / (2 * eps)
    return grad


@needs_dot
@pytest.mark.parametrize("name", ["multiply.at", "divide.at float32", "complex norm",
                                  "eig", "roots", "quantile", "array api 0-d"])
def test_the_html_page_totals_are_the_gradients(name, tmp_path):
    loss, leaves = _build(name)
    path = ad.viz.html(loss, tmp_path / "page")
    with open(path, encoding="utf-8") as f:
        data = json.loads(re.search(r"const DATA = (\{.*?\});\n", f.read(), re.S).group(1))
    loss.backward()
    for leaf_name, leaf in leaves.items():
        assert data["totals"][leaf_name] == array_text(_grad(leaf), width=72)
    assert {s["op_name"] for s in data["steps"]} >= set(CASES[name][2]) - {"var"}


@pytest.mark.parametrize("name", list(CASES))
def test_after_the_graph_is_freed_the_tools_say_so(name):
    loss, leaves = _build(name)
    loss.backward()
    text = ad.viz.text(loss)                        # the structure stays
    for op in CASES[name][2]:
        assert f"= {op}(" in text
    source = ad.viz.draw(loss, show_values=True).source
    if text.count(" = ") > 1:                       # (an op between leaf and output)
        assert "values freed by backward()" in source
    try:
        walk = ad.viz.steps(loss)
    except ad.viz.GraphFreedError as error:
        assert "retain_graph=True" in str(error)
    else:                                           # rules that read no values only
        for leaf_name, leaf in leaves.items():
            np.testing.assert_allclose(walk.totals[leaf_name], _grad(leaf), rtol=1e-12)
    for leaf in leaves.values():
        assert isinstance(ad.explain(leaf, output=loss), str)
