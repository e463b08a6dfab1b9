"""grad, value_and_grad, jacobian and hvp — and their composition for higher order."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad


def numpy_softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def mlp_loss(params, x, y):
    w1, b1, w2, b2 = params
    h = ad.tanh(x @ w1 + b1)
    return ((h @ w2 + b2 - y) ** 2).mean()


def test_grad_of_grad_for_tanh_and_exp():
    x = np.array(0.7)
    d2_tanh = ad.grad(ad.grad(lambda t: ad.tanh(t)))(x)
    t = np.tanh(x)
    np.testing.assert_allclose(d2_tanh, -2 * t * (1 - t * t), rtol=1e-12)
    d3_exp = ad.grad(ad.grad(ad.grad(ad.exp)))(x)
    np.testing.assert_allclose(d3_exp, np.exp(x), rtol=1e-12)


def test_hessian_of_softmax_entry_matches_finite_differences():
    z = np.array([0.3, -1.0, 2.0])

    def f(t):
        return numpy_softmax(t)[0]

    hess = ad.jacobian(ad.grad(f))(z)
    numeric = ad.numerical_grad(lambda t: ad.grad(f)(t), [z])[0]
    np.testing.assert_allclose(hess, numeric, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(hess, hess.T, atol=1e-12)


def test_hvp_matches_the_full_hessian_for_tanh_exp_softmax_and_an_mlp():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(4)
    v = rng.standard_normal(4)
    for f in [lambda t: ad.tanh(t).sum() ** 2, lambda t: (ad.exp(t) * t).sum(),
              lambda t: (numpy_softmax(t) * np.arange(4.0)).sum()]:
        hessian = ad.jacobian(ad.grad(f))(x)
        np.testing.assert_allclose(ad.hvp(f, x, v), hessian @ v, rtol=1e-10, atol=1e-12)
    xb = rng.standard_normal((5, 2))
    yb = rng.standard_normal((5, 1))
    shapes = [(2, 3), (3,), (3, 1), (1,)]
    sizes = [int(np.prod(s)) for s in shapes]
    flat = rng.standard_normal(sum(sizes))

    def loss_flat(theta):
        parts, start = [], 0
        for shape, size in zip(shapes, sizes):
            parts.append(theta[start:start + size].reshape(shape))
            start += size
        return mlp_loss(parts, xb, yb)

    direction = rng.standard_normal(flat.size)
    hv = ad.hvp(loss_flat, flat, direction)
    numeric = (ad.grad(loss_flat)(flat + 1e-6 * direction)
               - ad.grad(loss_flat)(flat - 1e-6 * direction)) / 2e-6
    np.testing.assert_allclose(hv, numeric, rtol=1e-5, atol=1e-8)


def test_grad_agrees_with_hips_autograd():
    autograd = pytest.importorskip("autograd")
    anp = autograd.numpy
    x = np.array([0.2, -0.4, 1.3])
    ours = ad.grad(lambda t: (ad.sin(t) * ad.exp(t) / (1 + t * t)).sum())(x)
    theirs = autograd.grad(lambda t: (anp.sin(t) * anp.exp(t) / (1 + t * t)).sum())(x)
    np.testing.assert_allclose(ours, theirs, rtol=1e-14)
    ours2 = ad.grad(ad.grad(lambda t: ad.tanh(t) ** 3))(0.3)
    theirs2 = autograd.grad(autograd.grad(lambda t: anp.tanh(t) ** 3))(0.3)
    np.testing.assert_allclose(ours2, theirs2, rtol=1e-13)


def test_value_and_grad_and_argnums():
    f = lambda a, b: (a * b ** 2).sum()   # noqa: E731
    value, (ga, gb) = ad.value_and_grad(f, argnums=(0, 1))(np.array([1.0, 2.0]),
                                                           np.array([3.0, 4.0]))
    assert value == 1 * 9 + 2 * 16
    np.testing.assert_array_equal(ga, [9.0, 16.0])
    np.testing.assert_array_equal(gb, [6.0, 16.0])
    assert isinstance(ga, np.ndarray)


def test_grad_of_a_function_that_ignores_its_input_is_zero():
    np.testing.assert_array_equal(ad.grad(lambda t: ad.tensor(3.0))(np.ones(2)), [0.0, 0.0])


def test_grad_needs_a_scalar_function():
    with pytest.raises(TypeError, match="must return a scalar.*jacobian"):
        ad.grad(lambda t: t * 2)(np.ones(3))


def test_grad_does_not_touch_leaf_grads():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    ad.grad(lambda t: (t * w).sum())(np.ones(2))
    assert w.grad is None


def test_jacobian_shape_and_values():
    a = np.arange(6.0).reshape(2, 3)
    jac = ad.jacobian(lambda x: a @ x)(np.ones(3))
    assert jac.shape == (2, 3)
    np.testing.assert_array_equal(jac, a)
    jac2 = ad.jacobian(lambda x: x[:, None] * x)(np.array([1.0, 2.0]))
    assert jac2.shape == (2, 2, 2)


def test_create_graph_gives_tensor_grads_that_differentiate_again():
    x = ad.tensor(np.array([0.5, 1.5]), requires_grad=True)
    y = (x ** 3).sum()
    y.backward(create_graph=True)
    assert isinstance(x.grad, ad.Tensor)
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad, 6 * np.array([0.5, 1.5]))


# ----- nested transforms (each example from the issue, with its right value) ----------

def test_inner_grad_keeps_its_dependence_on_the_outer_variable():
    f = lambda x, y: ad.sin(x * y)   # noqa: E731
    value = ad.grad(lambda x: ad.grad(f, argnums=1)(x, 2.0))(0.5)
    np.testing.assert_allclose(value, np.cos(1.0) - np.sin(1.0), rtol=1e-12)


def test_inner_grad_through_a_closure():
    value = ad.grad(lambda x: x * ad.grad(lambda y: x * y)(2.0))(1.0)
    np.testing.assert_allclose(value, 2.0, rtol=1e-12)


def test_jvp_as_the_vjp_of_a_vjp():
    a = np.array([[1.0, 2.0, 0.5], [-1.0, 0.3, 2.0]])
    x0 = np.array([0.2, -0.7, 1.1])
    v = np.array([1.0, -2.0, 0.5])

    def f(x):
        return ad.tanh(ad.matmul(a, x))

    def vjp_at_x0(u):                        # u ↦ Jᵀu, linear in u
        return ad.grad(lambda x: (f(x) * u).sum())(x0)

    u0 = np.zeros(2)
    jv = ad.grad(lambda u: (vjp_at_x0(u) * v).sum())(u0)
    expected = (1 - np.tanh(a @ x0) ** 2) * (a @ v)
    np.testing.assert_allclose(jv, expected, rtol=1e-12)
    _, pullback = ad.vjp(f, x0)
    jv2 = ad.grad(lambda u: (pullback(u)[0] * v).sum())(u0)
    np.testing.assert_allclose(jv2, expected, rtol=1e-12)


@pytest.mark.parametrize("x0", [0.0, 1.0, 3.5])
def test_no_perturbation_confusion(x0):
    # d/dx [x · d/dy (x + y)] = 1 at any x, whether y is a fresh value or x itself
    assert ad.grad(lambda x: x * ad.grad(lambda y: x + y)(2.0))(x0) == 1.0
    assert ad.grad(lambda x: x * ad.grad(lambda y: x + y)(x))(x0) == 1.0
    assert ad.jvp(lambda x: x * ad.jvp(lambda y: x + y, (x,), (1.0,))[1],
                  (x0,), (1.0,))[1] == 1.0


def test_inner_transform_writes_no_grad():
    x = ad.tensor(1.5, requires_grad=True)
    w = ad.tensor(2.0, requires_grad=True)
    g = ad.grad(lambda y: w * y * x)(x)
    assert x.grad is None and w.grad is None
    g.backward()                             # g = w x, a Tensor that remembers w and x
    assert w.grad == 1.5 and x.grad == 2.0


def test_the_same_tracked_tensor_at_two_argnums():
    x = ad.tensor(3.0, requires_grad=True)
    ga, gb = ad.grad(lambda a, b: a * b, argnums=(0, 1))(x, x)
    assert float(ga) == 3.0 and float(gb) == 3.0
    ga, gb = ad.grad(lambda a, b: a * b, argnums=(0, 1))(np.array(3.0), np.array(3.0))
    assert ga == 3.0 and gb == 3.0


def test_results_are_arrays_unless_something_outside_can_still_be_differentiated():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    g = ad.grad(lambda t: (t * w).sum())(np.ones(2))
    assert isinstance(g, ad.Tensor) and g.requires_grad   # depends on w
    with ad.no_grad():
        g = ad.grad(lambda t: (t * w).sum())(np.ones(2))
    assert isinstance(g, np.ndarray)
    np.testing.assert_array_equal(g, [1.0, 2.0])


def test_grad_of_a_bool_or_int_function_raises():
    with pytest.raises(TypeError, match="bool.*floating-point"):
        ad.grad(lambda x: x > 0)(1.0)
    with pytest.raises(TypeError, match="int64.*floating-point"):
        ad.grad(lambda x: 3)(1.0)


def test_an_argnum_given_twice_gets_its_gradient_twice():
    f = lambda x, y: (x * x * y).sum()              # noqa: E731
    g = lambda x, y: x * x * y                       # noqa: E731
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    for argnums in [(0, 0), (0, -2)]:
        for got in ad.grad(f, argnums=argnums)(x, y):
            assert type(got) is np.ndarray
            np.testing.assert_array_equal(got, 2 * x * y)
        for transform in (ad.jacrev, ad.jacfwd):
            for got in transform(g, argnums=argnums)(x, y):
                np.testing.assert_array_equal(got, np.diag(2 * x * y))
    for row in ad.hessian(f, argnums=(0, 0))(x, y):
        for block in row:
            np.testing.assert_array_equal(block, np.diag(2 * y))


def test_results_are_writable_arrays_of_their_own_and_inputs_stay_the_callers():
    """A gradient broadcast from a sum is no read-only view, a function passing its input
    through hands back no caller's array, and the caller's array stays writable (the
    graph saves a copy: a later write into it does not reach a pullback)."""
    x, v = np.array([1.0, 2.0, 3.0]), np.array([10.0, 20.0, 30.0])
    results = [ad.grad(lambda t: t.sum())(x),
               ad.vjp(lambda t: t.mean(), x)[1](np.asarray(1.0))[0],
               ad.jvp(lambda t: ad.broadcast_to(t[0], (3,)), (x,), (v,))[1]]
    out, tangent = ad.jvp(lambda t: t, (x,), (v,))
    value, pullback = ad.vjp(lambda t: t, x)
    results += [out, tangent, value, pullback(v)[0]]
    for r in results:
        assert r.flags.writeable and r.base is None
        assert not np.shares_memory(r, x) and not np.shares_memory(r, v)
    base = np.array([0.0, 1.0, 2.0, 3.0])
    a = base[1:]
    _, pullback = ad.vjp(lambda t: ad.sin(t) * t, a)
    expected = np.cos(a) * a + np.sin(a)
    assert a.flags.writeable
    base[:] = 10.0
    np.testing.assert_allclose(pullback(np.ones(3))[0], expected)
    w = ad.tensor(np.ones(3), requires_grad=True)
    ad.grad(lambda t: (t ** 2 * w).sum())(x)        # a result that keeps a graph
    x[0] = 5.0                                       # the caller's array: writable


def test_jacfwd_and_hessian_of_concatenate_with_axis_none():
    f = lambda x: np.concatenate([x, x * x], axis=None)        # noqa: E731
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(ad.jacfwd(f)(x), ad.jacrev(f)(x))
    hessian = ad.hessian(lambda x: (f(x) ** 2).sum())(x)
    np.testing.assert_allclose(hessian.reshape(4, 4), np.diag(2 + 12 * x.reshape(-1) ** 2))


def test_several_outputs_where_one_is_expected_are_refused_clearly():
    # (jacrev, jacfwd and vjp take them, as torch.func's: tests/test_hessian_pytrees.py)
    with pytest.raises(TypeError, match=r"the function returned a tuple of 2 values; .* "
                                        r"differentiates one output"):
        ad.grad(lambda t: (t ** 2, t.sum()))(np.array([1.0, 2.0]))


@pytest.mark.parametrize("update", ["imul", "setitem", "view_setitem"])
@pytest.mark.parametrize("transform", ["grad_of_tracked", "jvp_of_tracked", "hessian", "hvp"])
def test_an_in_place_update_of_the_transforms_input_is_refused_as_for_a_leaf(update, transform):
    # It moved the input to the updated value: hessian(a *= 3; sum(a*a)) came out 6 I, not 18 I
    def f(a):
        if update == "imul":
            a *= 3.0
        elif update == "setitem":
            a[0] = 5.0
        else:
            v = a[:1]
            v[0] = 5.0
        return (a * a).sum()

    x = np.array([1.0, 2.0])
    xt = ad.tensor(x, requires_grad=True) * 1.0
    run = {"grad_of_tracked": lambda: ad.grad(f)(xt),
           "jvp_of_tracked": lambda: ad.jvp(f, (xt,), (np.ones(2),)),
           "hessian": lambda: ad.hessian(f)(x),
           "hvp": lambda: ad.hvp(f, x, np.ones(2))}[transform]
    with pytest.raises(RuntimeError, match="(input a transform|leaf that requires grad)"):
        run()


def test_a_transforms_output_that_is_its_input_can_be_updated_after_it_returns():
    xt = ad.tensor([1.0, 2.0], requires_grad=True) * 1.0
    out, pullback = ad.vjp(lambda a: a, xt)
    out *= 2.0                          # the transform has returned: an ordinary update
    out.sum().backward()
    np.testing.assert_array_equal(out.data, [2.0, 4.0])


def test_transforms_check_their_own_arguments_and_a_missing_return():
    x = np.array([1.0, 2.0])
    for call, message in [
            (lambda: ad.grad(lambda t: t.sum(), argnums="0"), "grad: argnums must be an int"),
            (lambda: ad.jacfwd(lambda t: t, argnums=0.0), "jacfwd: argnums must be an int"),
            (lambda: ad.hessian(lambda t: t.sum(), argnums=[0, "1"]), "hessian: argnums"),
            (lambda: ad.grad(3), "grad: expected a function"),
            (lambda: ad.jacobian(np.ones(2)), "jacobian: expected a function"),
            (lambda: ad.compile(None or 3), "compile: expected a function"),
            (lambda: ad.jvp(3, (x,), (x,)), "jvp: expected a function"),
            (lambda: ad.grad(lambda t: None)(x), "grad: the function returned None"),
            (lambda: ad.jacfwd(lambda t: None)(x), "jacfwd: the function returned None"),
            (lambda: ad.jvp(lambda t: None, (x,), (x,)), "jvp: the function returned None")]:
        with pytest.raises(TypeError, match=message):
            call()
    assert len(ad.grad(lambda a, b: (a * b).sum(), argnums=[0, 1])(x, x)) == 2


def test_a_pullback_called_under_no_grad_gives_arrays_and_records_nothing():
    w = ad.tensor([0.3, -0.8, 1.1], requires_grad=True)
    out, pullback = ad.vjp(lambda x: ad.sin(x) * x, w)     # made in grad mode: recording
    with ad.no_grad():
        (g,) = pullback(np.ones(3))
    assert type(g) is np.ndarray
    np.testing.assert_allclose(g, np.cos(w.data) * w.data + np.sin(w.data), rtol=1e-15)
    (g,) = pullback(np.ones(3))                             # in grad mode it still records
    assert isinstance(g, ad.Tensor) and g.requires_grad


def test_backward_inside_a_transform_reaching_an_outer_tracked_argument_is_refused():
    def f(x):
        (x ** 3).sum().backward(create_graph=True)
        return (x.grad * x).sum()

    x0 = np.array([0.5, 1.5])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(ad.grad(f)(x0), 9 * x0 ** 2)    # a plain argument: a leaf
    w = ad.tensor(x0, requires_grad=True)
    with pytest.raises(RuntimeError, match="would fill that outer tensor's .grad"):
        ad.grad(f)(w)
    assert w.grad is None and ad.is_grad_enabled()
    g = ad.grad(lambda x: (x ** 3).sum())(w)        # a backward outside still passes
    (g * w).sum().backward()
    np.testing.assert_allclose(w.grad, 9 * x0 ** 2)
