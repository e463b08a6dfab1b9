"""Nested transforms through custom gradients, functions that call backward(), and
containers given as arguments: each case here once gave a silently wrong derivative
or an unclear error."""

import numpy as np
import pytest

import autodiff as ad


# ----- a custom_gradient whose vjp closes over an outer transform's variable ----------

def clipped_inner_gradient(a):
    """d/dy [clip(y) * y] at y = 3, where clip's declared derivative is ``a``: 3a + 3."""
    @ad.custom_gradient
    def clip(x):
        return x * 1.0, lambda g: g * a

    return ad.grad(lambda y: clip(y) * y)(3.0)


def test_grad_through_a_vjp_that_closes_over_the_outer_variable():
    # The inner gradient depends on a only through the vjp; it used to come back as a
    # constant array, so the outer derivative was 0.
    np.testing.assert_allclose(clipped_inner_gradient(2.0), 9.0)
    np.testing.assert_allclose(ad.grad(clipped_inner_gradient)(2.0), 3.0)
    value, tangent = ad.jvp(clipped_inner_gradient, (2.0,), (1.0,))
    np.testing.assert_allclose(value, 9.0)
    np.testing.assert_allclose(tangent, 3.0)
    np.testing.assert_allclose(ad.jacfwd(clipped_inner_gradient)(2.0), 3.0)


def test_a_vjp_that_closes_over_a_parameter_gives_a_result_that_reaches_it():
    w = ad.tensor(2.0, requires_grad=True)

    @ad.custom_gradient
    def clip(x):
        return x * 1.0, lambda g: g * w

    inner = ad.grad(lambda y: clip(y) * y)(3.0)     # 3w + 3
    assert isinstance(inner, ad.Tensor) and inner.requires_grad
    inner.backward()
    np.testing.assert_allclose(w.grad, 3.0)


def test_a_custom_gradient_whose_value_uses_an_outer_variable_raises():
    # The value x * a depends on a, which is not an input of the custom op: its
    # derivative with respect to a used to be dropped silently (3 instead of 6).
    def inner_gradient(a):
        @ad.custom_gradient
        def scale(x):
            return x * a, lambda g: g * a

        return ad.grad(lambda y: scale(y) * y)(3.0)

    with pytest.raises(RuntimeError, match=r"custom_gradient: the value that scale returns "
                                           r"depends on 'a'.*Pass it as an input"):
        ad.grad(inner_gradient)(2.0)
    with pytest.raises(RuntimeError, match=r"depends on 'a'"):
        ad.jvp(inner_gradient, (2.0,), (1.0,))
    np.testing.assert_allclose(inner_gradient(2.0), 12.0)   # nothing to refuse outside


def test_a_custom_gradient_whose_value_uses_a_parameter_raises_at_the_call():
    w = ad.tensor(2.0, requires_grad=True)

    @ad.custom_gradient
    def scale(x):
        return x * w, lambda g: g * w

    with pytest.raises(RuntimeError, match=r"depends on 'w'.*a\.detach\(\)"):
        scale(ad.tensor(3.0, requires_grad=True))
    with ad.no_grad():
        np.testing.assert_allclose(scale(ad.tensor(3.0)).data, 6.0)


def test_the_outer_variable_as_an_input_of_the_custom_gradient_works_and_so_does_detach():
    @ad.custom_gradient
    def scale(x, a):
        return x * a, lambda g: (g * a, g * x)

    def inner_gradient(a):
        return ad.grad(lambda y: scale(y, a) * y)(3.0)      # 6a

    np.testing.assert_allclose(ad.grad(inner_gradient)(2.0), 6.0)
    np.testing.assert_allclose(ad.jvp(inner_gradient, (2.0,), (1.0,))[1], 6.0)

    def detached(a):
        @ad.custom_gradient
        def scale_by_constant(x):
            return x * a.detach(), lambda g: g * a

        return ad.grad(lambda y: scale_by_constant(y) * y)(3.0)   # 3 a0 + 3a

    np.testing.assert_allclose(ad.grad(detached)(2.0), 3.0)


# ----- a function that calls backward() itself ---------------------------------------

def squared_after_backward(x):
    y = x * x
    y.backward()        # frees the graph the transform needs
    return y


@pytest.mark.parametrize("transform", [
    lambda f: ad.grad(f)(3.0),
    lambda f: ad.jvp(f, (3.0,), (1.0,)),
    lambda f: ad.jacfwd(f)(np.array([3.0])),
    lambda f: ad.jacobian(f)(np.array([3.0])),
    lambda f: ad.vjp(f, 3.0)[1](1.0),
], ids=["grad", "jvp", "jacfwd", "jacobian", "vjp"])
def test_a_function_that_frees_its_graph_with_backward_gets_a_clear_error(transform):
    # jvp and jacfwd used to fail with "object of type 'NoneType' has no len()".
    with pytest.raises(RuntimeError, match=r"^(grad|jvp|jacfwd|jacobian|vjp): op 'multiply' "
                                           r"in the graph of the function's result has "
                                           r"released.*ad\.grad or ad\.vjp"):
        transform(squared_after_backward)


def test_a_function_that_keeps_its_graph_with_retain_graph_still_works():
    def f(x):
        y = x * x
        y.backward(retain_graph=True)
        return y

    np.testing.assert_allclose(ad.grad(f)(3.0), 6.0)
    np.testing.assert_allclose(ad.jvp(f, (3.0,), (1.0,))[1], 6.0)


# ----- containers of arrays as one argument ------------------------------------------

def test_a_container_of_arrays_as_one_argument_of_hessian_gives_nested_blocks():
    # A tuple of equal-shaped arrays used to be stacked silently into one array; now
    # each pair of parts gets its block, as torch.func.hessian gives them.
    h = ad.hessian(lambda p: (p[0] ** 2 * p[1]).sum())((np.ones(2), np.full(2, 3.0)))
    assert isinstance(h, tuple) and all(isinstance(row, tuple) for row in h)
    np.testing.assert_array_equal(h[0][0], 6.0 * np.eye(2))
    np.testing.assert_array_equal(h[0][1], 2.0 * np.eye(2))
    np.testing.assert_array_equal(h[1][1], np.zeros((2, 2)))


def test_vjp_and_jvp_give_container_primals_their_parts_in_the_same_structure():
    pair = (np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    out, pullback = ad.vjp(lambda p, s: p[0] * p[1] * s, pair, 2.0)
    np.testing.assert_array_equal(out, [6.0, 16.0])
    (d_pair, d_s) = pullback(np.ones(2))
    assert isinstance(d_pair, tuple)
    np.testing.assert_array_equal(d_pair[0], [6.0, 8.0])
    np.testing.assert_array_equal(d_pair[1], [2.0, 4.0])
    np.testing.assert_array_equal(d_s, 11.0)
    _, tangent = ad.jvp(lambda p: p["a"] * p["b"], ({"a": pair[0], "b": pair[1]},),
                        ({"a": np.ones(2), "b": np.zeros(2)},))
    np.testing.assert_array_equal(tangent, [3.0, 4.0])
    with pytest.raises(ValueError, match=r"jvp: tangent 0 does not have the structure of "
                                         r"primal 0 \(a dict of 2 arrays\)"):
        ad.jvp(lambda p: p["a"], ({"a": pair[0], "b": pair[1]},),
               ({"a": np.ones(2), "c": np.zeros(2)},))


@pytest.mark.parametrize("transform", [ad.jacrev, ad.jacfwd])
def test_jacobians_of_a_container_of_arrays_come_in_the_same_structure(transform):
    jacobians = transform(lambda p: p["a"] * p["b"][0])({"a": np.array([1.0, 2.0]),
                                                         "b": [np.array([3.0, 4.0])]})
    assert isinstance(jacobians, dict) and isinstance(jacobians["b"], list)
    np.testing.assert_array_equal(jacobians["a"], np.diag([3.0, 4.0]))
    np.testing.assert_array_equal(jacobians["b"][0], np.diag([1.0, 2.0]))


def test_grad_gives_a_container_of_arrays_its_gradients_in_the_same_structure():
    pair = ad.grad(lambda p: (p[0] * p[1]).sum())((ad.tensor([1.0, 2.0]),
                                                   ad.tensor([3.0, 4.0])))
    assert isinstance(pair, tuple)
    np.testing.assert_array_equal(pair[0], [3.0, 4.0])
    np.testing.assert_array_equal(pair[1], [1.0, 2.0])
    ragged = ad.grad(lambda p: (p[0].sum() * p[1]).sum())([np.ones(2), np.ones(3)])
    np.testing.assert_array_equal(ragged[0], [3.0, 3.0])
    np.testing.assert_array_equal(ragged[1], [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(ad.grad(lambda d: d["a"].sum())({"a": np.ones(2)})["a"],
                                  [1.0, 1.0])


def test_lists_of_numbers_are_still_arrays():
    np.testing.assert_allclose(ad.grad(lambda p: p[0] * p[1])((2.0, 3.0)), [3.0, 2.0])
    np.testing.assert_allclose(ad.grad(lambda p: (p * p).sum())([[1.0, 2.0], [3.0, 4.0]]),
                               [[2.0, 4.0], [6.0, 8.0]])
    np.testing.assert_allclose(ad.hvp(lambda a: (a ** 3).sum(), [1.0, 2.0], [1.0, 0.0]),
                               [6.0, 0.0])
