"""A primitive defined at run time with ``ad.defop`` gets everything the built-in ops
get, with no other registration: NumPy dispatch, higher-order derivatives, its formula
in ``viz.steps``, naming in ``detect_anomaly`` and ``explain``, and ``gradcheck``."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.ops import namespace, registry


@pytest.fixture
def cbrt():
    # A built-in cbrt (if the library has one) steps aside for the test and comes back.
    builtin = registry.REGISTRY.get("cbrt")
    if builtin is not None:
        registry.unregister("cbrt")
    other = registry.NUMPY_UFUNCS.get(np.cbrt)
    if other is not None:
        registry.forget_numpy(np.cbrt)
    op = ad.defop("cbrt", np.cbrt, numpy=np.cbrt,       # the example of API.md
                  x=("g / (3 * ans**2)", lambda xp, g, ans, x: g / (3 * ans * ans)))
    yield op
    registry.unregister("cbrt")                        # so that the test can run again
    assert "cbrt" not in registry.REGISTRY and np.cbrt not in registry.NUMPY_UFUNCS
    assert not hasattr(namespace.tensor_xp, "cbrt")
    if other is not None and (builtin is None or np.cbrt not in builtin.numpy):
        registry.NUMPY_UFUNCS[np.cbrt] = other
    if builtin is not None:
        registry._register(builtin)


def test_numpy_dispatch_records_the_new_op(cbrt):
    x = ad.tensor([8.0, -27.0], requires_grad=True)
    y = np.cbrt(x)
    assert isinstance(y, ad.Tensor) and y.node.op is cbrt
    np.testing.assert_allclose(y.data, [2.0, -3.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 1 / (3 * np.array([4.0, 9.0])))


def test_second_derivative_through_grad_of_grad(cbrt):
    def f(x):
        return np.cbrt(x)

    for x in (8.0, 0.5, -2.0):
        second = ad.grad(ad.grad(f))(x)
        np.testing.assert_allclose(second, -2 / 9 * np.cbrt(x) ** -5)


def test_gradcheck_and_gradgradcheck(cbrt):
    x = np.array([[0.7, -1.3], [2.0, 5.0]])
    assert ad.gradcheck(lambda t: np.cbrt(t), [x])
    assert ad.gradgradcheck(lambda t: cbrt(t) * t, [x])


def test_rules_of_other_ops_can_use_the_new_op_through_xp(cbrt):
    assert namespace.tensor_xp.cbrt is cbrt and namespace.numpy_xp.cbrt is np.cbrt
    twice = ad.defop("cbrt_squared", lambda x: np.cbrt(x) ** 2,
                     x=("g * 2 / (3 * cbrt(x))", lambda xp, g, ans, x: g * 2 / (3 * xp.cbrt(x))))
    try:
        x = np.array([8.0, 27.0])
        assert ad.gradcheck(twice, [x]) and ad.gradgradcheck(twice, [x])
    finally:
        registry.unregister("cbrt_squared")


def test_the_formula_appears_in_viz_steps(cbrt):
    x = ad.tensor([8.0], requires_grad=True, name="x")
    text = str(ad.viz.steps(cbrt(x).sum()))
    assert "rule: cbrt: grad_x = g / (3 * ans**2)" in text
    assert "x.grad = g / (3 * ans**2)" in text
    assert "cbrt(x)" in ad.viz.text(cbrt(x))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_detect_anomaly_names_the_new_op(cbrt):
    x = ad.tensor([0.0, 8.0], requires_grad=True)
    with pytest.raises(ad.AnomalyError) as info:
        with ad.detect_anomaly():
            np.cbrt(x).sum().backward()
    message = str(info.value)
    assert message.startswith("cbrt: the backward pass produced inf in the gradient for x")
    assert "rule: cbrt: grad_x = g / (3 * ans**2)" in message
    assert "test_defop.py" in message


def test_explain_names_the_new_op(cbrt):
    w = ad.tensor([1.0, 8.0], requires_grad=True)
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    loss = (cbrt(x) * (cbrt(w) > 1)).sum()
    loss.backward()
    text = ad.explain(w)
    assert "path: this tensor -> cbrt -> greater -> multiply -> sum = the output" in text
    assert "blocked at greater: greater is a comparison" in text


def test_a_numpy_function_that_is_taken_or_a_bad_rule_is_refused(cbrt):
    with pytest.raises(ValueError, match="numpy.cbrt is already implemented"):
        ad.defop("cbrt2", np.cbrt, numpy=np.cbrt, x=("g", lambda xp, g, ans, x: g))
    assert "cbrt2" not in registry.REGISTRY
    with pytest.raises(TypeError, match="input 'zero_grad' must be"):
        ad.defop("cbrt3", np.cbrt, zero_grad=True, x=("g", lambda xp, g, ans, x: g))


def test_unsupported_numpy_keywords_are_rejected_by_name(cbrt):
    t = ad.tensor([8.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"numpy\.cbrt with out= on a Tensor"):
        np.cbrt(t, out=np.empty(1))
    with pytest.raises(TypeError, match=r"numpy.cbrt on a Tensor: the argument\(s\) \['where'\]"):
        np.cbrt(t, where=np.array([True]))
    with pytest.raises(TypeError, match=r"numpy.nancumsum with out= an ndarray on a Tensor"):
        np.nancumsum(t, out=np.empty(1))
    with pytest.raises(TypeError, match=r"numpy.mean on a Tensor: dtype=int32"):
        np.mean(t, dtype=np.int32)          # (a float dtype is a cast first: tested elsewhere)
    assert np.sum(t, out=None).requires_grad            # defaults are accepted


def test_adapters_and_composites_dispatch():
    library_union1d = registry.NUMPY_FUNCTIONS.pop(np.union1d)     # set aside, restored below

    @ad.implements(np.union1d)
    def union1d(ar1, ar2):
        return np.unique(ad.concatenate([ad.ravel(ar1), ad.ravel(ar2)]))

    other = np.array([8.0, 1.0])
    try:
        a = ad.tensor([1.0, 2.0, 4.0], requires_grad=True)
        out = np.union1d(a, other)
        assert isinstance(out, ad.Tensor) and out.tolist() == [1.0, 2.0, 4.0, 8.0]
        (out * np.array([1.0, 10.0, 100.0, 1000.0])).sum().backward()
        np.testing.assert_allclose(a.grad, [1.0, 10.0, 100.0])
    finally:
        registry.forget_numpy(np.union1d)
    try:
        with pytest.raises(TypeError, match=r"numpy\.union1d has no differentiable rule"):
            np.union1d(a, other)
    finally:
        registry.NUMPY_FUNCTIONS[np.union1d] = library_union1d


def test_behaviour_fields_are_reserved_keywords():
    op = ad.defop("round_down", np.floor, zero_grad_ae=True,
                  x=("0", lambda xp, g, ans, x: xp.zeros_like(g)))
    try:
        assert op.zero_grad_ae and op.input_names == ("x",)
        x = ad.tensor([1.5], requires_grad=True)
        (op(x) * 1.0).sum().backward()
        assert "round_down has zero gradient everywhere" in ad.explain(x)
    finally:
        registry.unregister("round_down")


#: The teaching diagnostics, by pattern, so that a new module of theirs is covered.
DIAGNOSTIC_MODULES = ("explain*.py", "anomaly*.py", "viz/*.py", "*_notes.py", "grad_attr.py",
                      "graph_errors.py")


def test_the_diagnostics_contain_no_op_names():
    """explain, detect_anomaly, viz and the other diagnostics learn about ops from their
    entries only (``ops/diagnostic_fields.py``)."""
    import glob
    import os
    import re

    import autodiff
    import autodiff.nn.functional  # noqa: F401  (registers the softmax family)

    package = os.path.dirname(autodiff.__file__)
    files = []
    for pattern in DIAGNOSTIC_MODULES:
        matched = sorted(glob.glob(os.path.join(package, pattern)))
        assert matched, f"no diagnostic module matches {pattern}"
        files += matched
    names = {os.path.relpath(path, package) for path in files}
    assert {"explain.py", "explain_zero_causes.py", "anomaly_origins.py", "anomaly_trace.py",
            "saturation_notes.py", "grad_attr.py", "viz/steps.py"} <= names
    found = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            source = f.read()
        for name in registry.REGISTRY:
            # an op name in quotes: a string compared with op.name
            if re.search(rf"""["']{re.escape(name)}["']""", source):
                found.append(f"{os.path.relpath(path, package)}: {name}")
    assert not found, f"op names in the diagnostics: {found}"


def test_the_kernel_runs_when_nothing_is_recorded():
    calls = []

    def forward(x):
        calls.append("forward")
        return x * 2

    def kernel(x):
        calls.append("kernel")
        return x * 2

    op = ad.defop("double", forward, kernel=kernel, x=("2 * g", lambda xp, g, ans, x: 2 * g))
    try:
        assert namespace.numpy_xp.double is kernel and namespace.tensor_xp.double is op
        w = ad.tensor([1.0], requires_grad=True)
        op(w)
        op(np.ones(1))
        with ad.no_grad():
            op(w)
        assert calls == ["forward", "kernel", "kernel"]
    finally:
        registry.unregister("double")


def test_saved_state_lives_on_the_node_and_is_dropped_by_backward():
    def forward(x):
        y = np.exp(x)
        return y.sum(), y                        # (output, saved)

    def joint(xp, g, ans, needs, x, saved):
        return [g * saved]

    op = ad.defop_joint("sum_exp", forward, "g * exp(x)", joint, saves=True)
    try:
        x = ad.tensor([0.0, 1.0], requires_grad=True)
        out = op(x)
        node = out.node
        np.testing.assert_allclose(node.saved, np.exp([0.0, 1.0]))
        out.backward()
        np.testing.assert_allclose(x.grad, np.exp([0.0, 1.0]))
        assert node.saved is None
        assert op(np.zeros(2)).item() == 2.0     # unrecorded: the output alone
    finally:
        registry.unregister("sum_exp")


def test_a_name_defined_again_replaces_the_op_and_says_so():
    # API.md's example defines cbrt, which the library has: run as written, it must
    # work (the new op records np.cbrt), as must a notebook cell run twice.
    builtin = registry.REGISTRY.get("cbrt")
    try:
        for _ in range(2):
            with pytest.warns(UserWarning, match="defop: an op named 'cbrt' was registered "
                              "already; this definition replaces it") as record:
                op = ad.defop("cbrt", np.cbrt, numpy=np.cbrt,
                              x=("g / (3 * ans**2)", lambda xp, g, ans, x: g / (3 * ans * ans)))
            assert record[0].filename == __file__
            x = ad.tensor([8.0], requires_grad=True)
            y = np.cbrt(x)
            assert y.node.op is op and registry.REGISTRY["cbrt"] is op
            y.backward()
            np.testing.assert_allclose(x.grad, [1 / 12])
    finally:
        if builtin is not None:
            registry.unregister("cbrt")
            registry._register(builtin)
    assert registry.NUMPY_UFUNCS[np.cbrt] is not op


def test_a_rules_gradient_that_does_not_sum_to_the_inputs_shape_is_refused_naming_the_op():
    x = ad.tensor([0.1, 0.2, 0.3], requires_grad=True)
    cut = ad.defop("sin_rule_cuts", np.sin, x=("", lambda xp, g, ans, x: g[:1]))
    try:
        with pytest.raises(ValueError, match="sin_rule_cuts: the gradient rule of input 'x' "
                                             r"returned shape \(1,\)"):
            cut(x).sum().backward()         # was NumPy's bare "cannot reshape array"
        assert x.grad is None
    finally:
        registry.unregister("sin_rule_cuts")


def test_xp_concatenate_and_stack_take_a_list_as_numpy_does():
    # xp.concatenate([a, b]) was one part (a stacked (2, n) array), not a and b
    def rule(xp, g, ans, x):
        n = x.shape[0]
        return xp.sum(xp.stack([g[:n], g[n:]]), axis=0)

    twice = ad.defop("twice_via_concatenate", lambda x: np.concatenate([x, x]), x=("", rule))
    try:
        x = ad.tensor([1.0, 2.0], requires_grad=True)
        (twice(x) * ad.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
        np.testing.assert_array_equal(x.grad, [4.0, 6.0])
        hessian = ad.hessian(lambda t: (twice(t) ** 2).sum())(x.data)   # recorded rules
        np.testing.assert_array_equal(hessian, 4 * np.eye(2))
        a, b = np.ones(2), np.zeros(2)
        for join in (namespace.numpy_xp.concatenate, namespace.numpy_xp.stack):
            np.testing.assert_array_equal(join([a, b]), join(a, b))
    finally:
        registry.unregister("twice_via_concatenate")
