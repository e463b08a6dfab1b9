"""Forward mode (jvp, jacfwd, hessian) for every op, checked three ways from the specs
in op_specs.py: against central differences, against the VJP through
⟨u, J v⟩ = ⟨Jᵀu, v⟩, and at second order as the jvp of a gradient."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autodiff as ad

from op_specs import SPECS

CHECK = settings(max_examples=6, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SMOOTH = [s for s in SPECS if s.order >= 1]
SECOND = [s for s in SPECS if s.order >= 2]


def float_inputs_only(case):
    """The case as a function of its float inputs alone (others are closed over)."""
    positions = [k for k, x in enumerate(case.inputs) if np.asarray(x).dtype.kind == "f"]

    def func(*floats):
        args = list(case.inputs)
        for k, value in zip(positions, floats):
            args[k] = value
        return case.func(*args)
    return func, [case.inputs[k] for k in positions]


def random_like(arrays, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(np.shape(a)) for a in arrays]


def evaluate(func, arrays):
    with ad.no_grad():
        out = func(*[ad.tensor(a) for a in arrays])
    return out.data


@pytest.mark.parametrize("spec", SMOOTH, ids=lambda s: s.name)
@CHECK
@given(data=st.data())
def test_jvp_matches_central_differences(spec, data):
    func, xs = float_inputs_only(spec.draw(data))
    vs = random_like(xs, 1)
    out, tangent = ad.jvp(func, tuple(xs), tuple(vs))
    np.testing.assert_allclose(out, evaluate(func, xs), rtol=1e-12, atol=1e-12)
    eps = 1e-6
    plus = evaluate(func, [x + eps * v for x, v in zip(xs, vs)])
    minus = evaluate(func, [x - eps * v for x, v in zip(xs, vs)])
    assert tangent.shape == out.shape and tangent.dtype == out.dtype
    np.testing.assert_allclose(tangent, (plus - minus) / (2 * eps), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("spec", SMOOTH, ids=lambda s: s.name)
@CHECK
@given(data=st.data())
def test_jvp_is_the_transpose_of_the_vjp(spec, data):
    func, xs = float_inputs_only(spec.draw(data))
    vs = random_like(xs, 2)
    out, tangent = ad.jvp(func, tuple(xs), tuple(vs))
    u = np.random.default_rng(3).standard_normal(np.shape(out))
    _, pullback = ad.vjp(func, *xs)
    cotangents = pullback(u)
    lhs = np.sum(u * tangent)
    rhs = sum(np.sum(c * v) for c, v in zip(cotangents, vs))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("spec", SECOND, ids=lambda s: s.name)
@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_second_order_as_the_jvp_of_the_gradient(spec, data):
    func, xs = float_inputs_only(spec.draw(data))
    with ad.no_grad():
        out_shape = func(*[ad.tensor(x) for x in xs]).shape
    weights = np.random.default_rng(4).standard_normal(out_shape)

    def scalar(*ts):
        return (func(*ts) * weights).sum()

    vs = random_like(xs, 5)
    argnums = tuple(range(len(xs)))
    grad_scalar = ad.grad(scalar, argnums=argnums)
    _, hessian_v = ad.jvp(grad_scalar, tuple(xs), tuple(vs))
    eps = 1e-6
    plus = grad_scalar(*[x + eps * v for x, v in zip(xs, vs)])
    minus = grad_scalar(*[x - eps * v for x, v in zip(xs, vs)])
    for h, p, m in zip(hessian_v, plus, minus):
        np.testing.assert_allclose(h, (p - m) / (2 * eps), rtol=1e-4, atol=1e-6)


# ----- jacfwd, jacrev, hessian -------------------------------------------------------

def non_square(x, y):
    return ad.concatenate([ad.sin(x) * y[0], ad.reshape(x, (2, 3)).sum(0) ** 2 * y[1],
                           ad.exp(y)])


def test_jacfwd_equals_jacrev_on_non_square_jacobians():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(6), rng.standard_normal(2)
    for argnums in (0, 1, (0, 1)):
        forward = ad.jacfwd(non_square, argnums=argnums)(x, y)
        reverse = ad.jacrev(non_square, argnums=argnums)(x, y)
        for f, r in zip(*(((forward,), (reverse,)) if isinstance(argnums, int)
                         else (forward, reverse))):
            assert f.shape == r.shape
            np.testing.assert_allclose(f, r, rtol=1e-13, atol=1e-14)
    assert ad.jacfwd(non_square)(x, y).shape == (11, 6)
    m = rng.standard_normal((2, 3))
    matrix_in = ad.jacfwd(lambda t: t @ t.T)(m)
    assert matrix_in.shape == (2, 2, 2, 3)
    np.testing.assert_allclose(matrix_in, ad.jacrev(lambda t: t @ t.T)(m), rtol=1e-13)


def test_jacrev_is_jacobian():
    assert ad.jacrev is ad.jacobian


def test_hessian_against_closed_forms():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 4))
    x = rng.standard_normal(4)
    np.testing.assert_allclose(ad.hessian(lambda t: t @ a @ t)(x), a + a.T, rtol=1e-12)
    # log-sum-exp: H = diag(p) - p pᵀ
    p = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(ad.hessian(lambda t: ad.log(ad.exp(t).sum()))(x),
                               np.diag(p) - np.outer(p, p), rtol=1e-10, atol=1e-14)
    # f(x, y) = x² y³: the Hessian with respect to y
    h = ad.hessian(lambda s, t: s ** 2 * t ** 3, argnums=1)(2.0, 3.0)
    np.testing.assert_allclose(h, 6 * 4.0 * 3.0)
    # a matrix input: Hessian shaped x.shape + x.shape
    m = rng.standard_normal((2, 3))
    hm = ad.hessian(lambda t: (t ** 2).sum())(m)
    np.testing.assert_allclose(hm, 2 * np.eye(6).reshape(2, 3, 2, 3))


def test_hvp_both_ways_matches_the_hessian():
    from autodiff.transforms import hvp_reverse_over_reverse
    rng = np.random.default_rng(2)
    x, v = rng.standard_normal(5), rng.standard_normal(5)
    f = lambda t: (ad.tanh(t) ** 2).sum() * ad.sin(t).sum()   # noqa: E731
    np.testing.assert_allclose(ad.hvp(f, x, v), ad.hessian(f)(x) @ v, rtol=1e-10)
    np.testing.assert_allclose(hvp_reverse_over_reverse(f, x, v), ad.hessian(f)(x) @ v,
                               rtol=1e-10)


# ----- nesting -----------------------------------------------------------------------

def test_grad_of_jvp_and_jvp_of_grad():
    x0 = 0.7
    # g(x) = d/dε sin(x + ε x) = x cos x; g'(x) = cos x - x sin x
    g = lambda x: ad.jvp(lambda y: ad.sin(y), (x,), (x,))[1]   # noqa: E731
    np.testing.assert_allclose(ad.grad(g)(x0), np.cos(x0) - x0 * np.sin(x0), rtol=1e-12)
    # jvp of grad: second derivative of x³ sin x
    f = lambda x: x ** 3 * ad.sin(x)                               # noqa: E731
    second = 6 * x0 * np.sin(x0) + 6 * x0 ** 2 * np.cos(x0) - x0 ** 3 * np.sin(x0)
    np.testing.assert_allclose(ad.jvp(ad.grad(f), (x0,), (1.0,))[1], second, rtol=1e-12)
    np.testing.assert_allclose(ad.grad(ad.grad(f))(x0), second, rtol=1e-12)
    np.testing.assert_allclose(ad.jvp(lambda x: ad.jvp(f, (x,), (1.0,))[1], (x0,), (1.0,))[1],
                               second, rtol=1e-12)


def test_jacfwd_of_jacrev_and_jacrev_of_jacfwd_agree():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(3)
    f = lambda t: ad.exp(t[0]) * ad.sin(t[1:]).sum() + (t ** 4).sum()   # noqa: E731
    h1 = ad.jacfwd(ad.jacrev(f))(x)
    h2 = ad.jacrev(ad.jacfwd(f))(x)
    h3 = ad.jacfwd(ad.jacfwd(f))(x)
    h4 = ad.jacobian(ad.grad(f))(x)
    for h in (h2, h3, h4):
        np.testing.assert_allclose(h1, h, rtol=1e-12, atol=1e-12)


def test_closures_and_the_same_variable_at_several_levels():
    x0 = 1.3
    # h(x) = x · d/dy [x y²] at y = x  = x · 2 x² = 2 x³;  h' = 6 x²
    def h(x):
        return x * ad.jvp(lambda y: x * y * y, (x,), (1.0,))[1]
    np.testing.assert_allclose(ad.grad(h)(x0), 6 * x0 ** 2, rtol=1e-12)
    np.testing.assert_allclose(ad.jvp(h, (x0,), (1.0,))[1], 6 * x0 ** 2, rtol=1e-12)
    # the classic: d/dx [x · d/dy (x + y)] = 1
    confusion = lambda x: x * ad.jvp(lambda y: x + y, (x,), (1.0,))[1]   # noqa: E731
    assert ad.grad(confusion)(x0) == 1.0
    assert ad.jvp(confusion, (x0,), (1.0,))[1] == 1.0


def test_jvp_through_a_closure_over_a_parameter_keeps_it_differentiable():
    w = ad.tensor(2.0, requires_grad=True)
    _, tangent = ad.jvp(lambda x: w * x ** 2, (3.0,), (1.0,))     # 2 w x = 12
    assert isinstance(tangent, ad.Tensor) and tangent.item() == 12.0
    tangent.backward()
    assert w.grad == 6.0                                          # d(2 w x)/dw = 2x


# ----- user-defined ops get forward mode ---------------------------------------------

def test_a_defop_primitive_gets_forward_mode_automatically():
    from autodiff.ops.registry import defop, unregister
    cbrt = defop("cbrt_test", np.cbrt,
                    x=("g / (3 * ans**2)", lambda xp, g, ans, x: g / (3 * ans * ans)))
    try:
        x = np.array([1.0, 8.0])
        _, tangent = ad.jvp(lambda t: cbrt(t), (x,), (np.ones(2),))
        np.testing.assert_allclose(tangent, 1 / (3 * np.cbrt(x) ** 2))
        second = ad.jvp(ad.grad(lambda t: cbrt(t).sum()), (x,), (np.ones(2),))[1]
        np.testing.assert_allclose(second, -2 / 9 * x ** (-5 / 3))
    finally:
        unregister("cbrt_test")


def test_a_defop_jvp_rule_is_used_when_given():
    from autodiff.ops.registry import defop, unregister
    calls = []

    def jvp_rule(xp, tangents, ans, x):
        calls.append(1)
        return tangents[0] * 3 * x * x

    cube = defop("cube_test", lambda x: x ** 3, jvp=jvp_rule,
                    x=("g * 3 * x**2", lambda xp, g, ans, x: g * 3 * x * x))
    try:
        _, tangent = ad.jvp(cube, (np.array(2.0),), (np.array(1.0),))
        assert tangent == 12.0 and calls
    finally:
        unregister("cube_test")


def test_a_custom_function_gets_forward_mode():
    class Cube(ad.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved
            return grad * 3 * x ** 2

    _, tangent = ad.jvp(Cube.apply, (np.array([1.0, 2.0]),), (np.array([1.0, 1.0]),))
    np.testing.assert_allclose(tangent, [3.0, 12.0])


def test_hessian_of_a_custom_gradient_whose_vjp_closes_over_its_input():
    autograd = pytest.importorskip("autograd")
    anp = autograd.numpy

    @ad.custom_gradient
    def cube(x):
        return x ** 3, lambda g: g * 3 * x ** 2

    x0 = np.array([0.5, -1.3, 0.8])
    expected = autograd.hessian(lambda x: anp.sin(x ** 3).sum())(x0)
    f = lambda x: ad.sin(cube(x)).sum()     # noqa: E731
    np.testing.assert_allclose(ad.hessian(f)(x0), expected, rtol=1e-12)
    np.testing.assert_allclose(ad.jacfwd(ad.grad(f), vectorized=False)(x0), expected,
                               rtol=1e-12)


def test_hessian_through_a_vjp_that_closes_over_an_intermediate_value():
    def f(x):
        w = ad.sin(x)           # reached from the vjp only

        @ad.custom_gradient
        def scale_grad(t):
            return t, lambda g: g * w
        return (scale_grad(x) ** 3).sum()

    # The gradient is 3 x**2 w, and x's derivative is declared to be w.
    x0 = np.array([0.5, -1.3])
    expected = np.diag(6 * x0 * np.sin(x0) ** 2 + 3 * x0 ** 2 * np.cos(x0))
    np.testing.assert_allclose(ad.hessian(f)(x0), expected, rtol=1e-12)
    np.testing.assert_allclose(ad.jacfwd(ad.grad(f), vectorized=False)(x0), expected,
                               rtol=1e-12)
    np.testing.assert_allclose(ad.jacrev(ad.grad(f))(x0), expected, rtol=1e-12)


def test_the_graphs_recorded_to_push_tangents_through_a_vjp_are_dropped():
    import gc
    import weakref

    made = []

    @ad.custom_gradient
    def cube(x):
        def vjp(g):
            result = g * 3 * x ** 2
            made.append(weakref.ref(result))
            return result
        return x ** 3, vjp

    gc.collect()
    gc.disable()
    try:
        ad.hessian(lambda x: ad.sin(cube(x)).sum())(np.array([0.5, -1.3]))
        assert made and all(ref() is None for ref in made)
    finally:
        gc.enable()


# ----- errors ------------------------------------------------------------------------

def test_tangent_shape_or_dtype_mismatch_names_both():
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(2,\).*primal has shape \(3,\)"):
        ad.jvp(ad.sin, (np.zeros(3),), (np.zeros(2),))
    with pytest.raises(ValueError, match="dtype float32.*dtype float64"):
        ad.jvp(ad.sin, (np.zeros(3),), (np.zeros(3, dtype=np.float32),))


def test_integer_primal_raises():
    with pytest.raises(TypeError, match="primal 0 has dtype int64.*floating-point"):
        ad.jvp(ad.sin, (np.arange(3),), (np.zeros(3),))


def test_a_function_that_ignores_its_inputs_has_a_zero_tangent():
    out, tangent = ad.jvp(lambda x: 3.0, (np.ones(2),), (np.ones(2),))
    assert out == 3.0 and tangent == 0.0
    out, tangent = ad.jvp(lambda x: ad.tensor([1.0, 2.0]), (np.ones(2),), (np.ones(2),))
    np.testing.assert_array_equal(tangent, [0.0, 0.0])
    np.testing.assert_array_equal(ad.jacfwd(lambda x: ad.tensor(1.0))(np.ones(2)), [0.0, 0.0])


def test_tuple_outputs_get_tuple_tangents():
    out, tangent = ad.jvp(lambda x: (x * 2, ad.sin(x)), (np.array(0.0),), (np.array(1.0),))
    assert isinstance(tangent, tuple) and tangent[0] == 2.0 and tangent[1] == 1.0


@pytest.mark.parametrize("spec", SMOOTH, ids=lambda s: s.name)
@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_jacfwd_batched_and_one_pass_per_input_equal_jacrev(spec, data):
    func, xs = float_inputs_only(spec.draw(data))
    argnums = tuple(range(len(xs)))
    reverse = ad.jacrev(func, argnums=argnums)(*xs)
    batched = ad.jacfwd(func, argnums=argnums)(*xs)
    one_by_one = ad.jacfwd(func, argnums=argnums, vectorized=False)(*xs)
    for r, b, o in zip(reverse, batched, one_by_one):
        assert r.shape == b.shape == o.shape
        np.testing.assert_allclose(b, r, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(o, r, rtol=1e-12, atol=1e-13)


def test_jvp_text_shows_value_and_tangent_per_op():
    text = ad.viz.jvp_text(lambda x, y: ad.exp(x * y), (np.array(1.0), np.array(2.0)),
                           (np.array(1.0), np.array(0.0)))
    lines = text.splitlines()
    assert lines[0] == "x0 = 1.  tangent 1." and lines[1] == "x1 = 2.  tangent 0."
    assert lines[2] == "v1 = multiply(x0, x1)  value 2.  tangent 2."     # y dx + x dy
    assert lines[3] == "v2 = exp(v1)  value 7.3891  tangent 14.7781"            # 2 e²


def test_hessian_with_several_argnums_gives_the_blocks():
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    (hxx, hxy), (hyx, hyy) = ad.hessian(lambda a, b: (a * a * b).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(hxx, np.diag(2 * y))
    np.testing.assert_allclose(hxy, np.diag(2 * x))
    np.testing.assert_allclose(hyx, np.diag(2 * x))
    np.testing.assert_allclose(hyy, np.zeros((2, 2)))


def test_svd_full_matrices_jvp_of_the_complement_is_a_consistent_rotation():
    # The spec uses full_matrices=True only for square matrices; here the complement
    # columns of U (rows of Vh) of a non-square matrix: their projector is well defined
    # (finite differences confirm it) and U, Vh stay orthogonal along the tangent.
    rng = np.random.default_rng(6)
    for shape in [(4, 2), (2, 4), (2, 3, 2)]:
        a, v = rng.standard_normal(shape), rng.standard_normal(shape)
        k = min(shape[-2:])

        def projectors(t):
            u, s, vh = ad.linalg.svd(t, full_matrices=True)
            q_u, q_v = u[..., k:], ad.swapaxes(vh[..., k:, :], -1, -2)
            return ad.concatenate([ad.flatten(q_u @ ad.swapaxes(q_u, -1, -2)),
                                   ad.flatten(q_v @ ad.swapaxes(q_v, -1, -2)), ad.flatten(s)])

        _, tangent = ad.jvp(projectors, (a,), (v,))
        eps = 1e-6
        expected = (evaluate(projectors, [a + eps * v]) - evaluate(projectors, [a - eps * v]))
        np.testing.assert_allclose(tangent, expected / (2 * eps), rtol=1e-4, atol=1e-6)
        (u, _, vh), (d_u, _, d_vh) = ad.jvp(lambda t: tuple(ad.linalg.svd(t)), (a,), (v,))
        for q, d_q in ((u, d_u), (np.swapaxes(vh, -1, -2), np.swapaxes(d_vh, -1, -2))):
            skew = np.swapaxes(q, -1, -2) @ d_q
            np.testing.assert_allclose(skew, -np.swapaxes(skew, -1, -2), atol=1e-12)


def test_jvp_through_index_inputs_gathers_the_tangent_by_the_same_indices():
    # The derived JVP must pass index arrays to the VJP rules as arrays: wrapped as
    # tensors they were read as data (doubling the tangent, or failing to stack).
    x = np.array([[0.5, -1.0, 2.0], [3.0, 0.25, -4.0]])
    v = np.arange(6.0).reshape(2, 3) + 1
    indices = np.array([[1, 0, 1]])
    _, tangent = ad.jvp(lambda t: ad.take_along_axis(t, indices, axis=0), (x,), (v,))
    np.testing.assert_array_equal(tangent, np.take_along_axis(v, indices, axis=0))
    _, tangent = ad.jvp(lambda t: ad.sort(t, axis=1), (x,), (v,))
    np.testing.assert_array_equal(tangent, np.take_along_axis(v, np.argsort(x, axis=1), 1))
    jacobian = ad.jacfwd(lambda t: ad.take_along_axis(t, np.array([[0], [0]]), axis=1))(x)
    np.testing.assert_array_equal(jacobian.reshape(2, 6),
                                  [[1, 0, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0]])


def test_cumprod_hessian_vector_product_at_zeros_is_exact():
    # f = sum(w * cumprod(x)) with x = [2, 0, 3]: its Hessian, a polynomial's, by hand.
    x, w = np.array([2.0, 0.0, 3.0]), np.array([1.0, 10.0, 100.0])
    hessian = np.array([[0.0, 10 + 300, 0.0], [310, 0, 200], [0, 200, 0]])
    v = np.array([1.0, -2.0, 0.5])
    _, hv = ad.jvp(ad.grad(lambda t: (ad.cumprod(t) * w).sum()), (x,), (v,))
    np.testing.assert_allclose(hv, hessian @ v)
    # Lanes with several zeros, along an axis, against reverse over reverse.
    x = np.array([[2.0, 0.0, 3.0, 0.0], [0.0, 1.5, 0.0, 2.0]])
    w = np.random.default_rng(0).standard_normal(x.shape)
    v = np.random.default_rng(1).standard_normal(x.shape)
    gradient = ad.grad(lambda t: (ad.cumprod(t, 1) * w).sum())
    _, hv = ad.jvp(gradient, (x,), (v,))
    np.testing.assert_allclose(hv, np.einsum("ijkl,kl->ij", ad.jacrev(gradient)(x), v),
                               rtol=1e-12, atol=1e-12)


def _nodes_run_per_tangent(monkeypatch) -> list:
    """The names of the nodes that jacfwd pushes its tangents through one at a time
    (filled as the transforms run)."""
    from autodiff import forward_batch

    per_tangent = []
    original = forward_batch.batched_step

    def spy(op, rule, tangents, ans, args, kwargs, size, one_step):
        def counted(parts):
            per_tangent.append(op.name)
            return one_step(parts)
        return original(op, rule, tangents, ans, args, kwargs, size, counted)
    monkeypatch.setattr(forward_batch, "batched_step", spy)
    return per_tangent


@pytest.mark.parametrize("activation", [
    ad.tanh, ad.sigmoid, ad.erf, ad.erfc, ad.lgamma, ad.digamma, lambda t: np.i0(t),
    lambda t: np.arcsin(t / 3), np.arctan, np.sinh, np.cosh, np.tan, np.log2, np.exp2,
    np.cbrt, np.sinc,
    lambda t: np.arctan2(t, 0.7), lambda t: np.hypot(t, 0.3), lambda t: np.float_power(t, 1.5),
    lambda t: ad.nn.functional.gelu(t), lambda t: np.nan_to_num(t),
    lambda t: ad.nn.functional.elu(t), lambda t: ad.nn.functional.softplus(t)])
def test_a_hessian_through_elementwise_functions_pushes_every_tangent_at_once(
        activation, monkeypatch):
    # jacfwd(jacrev(f)) records the gradient rules (tanh_derivative, polygamma, ...):
    # each needs a batched form, or its node runs once per tangent.
    per_tangent = _nodes_run_per_tangent(monkeypatch)
    x = np.linspace(0.5, 2.0, 6)
    hessian = ad.jacfwd(ad.jacrev(lambda t: (activation(t * 0.9) ** 2).sum()))(x)
    assert hessian.shape == (6, 6) and per_tangent == []


def test_an_op_is_elementwise_when_its_forward_is_a_plain_ufunc_or_it_says_so():
    from autodiff.ops.registry import unregister

    rule = ("g", lambda xp, g, ans, x: g)
    try:
        assert ad.defop("_ew_ufunc", np.cbrt, x=rule).elementwise
        assert not ad.defop("_ew_gufunc", np.matmul, a=rule, b=rule).elementwise
        assert not ad.defop("_ew_plain", lambda x: x + 0, x=rule).elementwise
        assert ad.defop("_ew_said", lambda x: x + 0, x=rule, elementwise=True).elementwise
        assert not ad.defop("_ew_denied", np.cbrt, x=rule, elementwise=False).elementwise
    finally:
        for name in ("_ew_ufunc", "_ew_gufunc", "_ew_plain", "_ew_said", "_ew_denied"):
            unregister(name)


def test_a_defop_declared_elementwise_gets_its_tangents_pushed_all_at_once(monkeypatch):
    from autodiff.ops.registry import unregister

    cube = ad.defop("_ew_cube", lambda x: x ** 3, elementwise=True,
                    x=("3 g x^2", lambda xp, g, ans, x: 3 * g * x * x))
    try:
        per_tangent = _nodes_run_per_tangent(monkeypatch)
        x = np.linspace(0.5, 2.0, 4)
        jacobian = ad.jacfwd(lambda t: cube(t))(x)
        np.testing.assert_allclose(jacobian, np.diag(3 * x ** 2), rtol=1e-15)
        assert per_tangent == []
    finally:
        unregister("_ew_cube")
