"""ad.autograd.grad inside a function that a transform differentiates: with respect
to the function's own argument it works at every nesting level (it used to be refused
as a backward() whenever that argument was tracked, e.g. under hessian); with respect
to the outer tensor the argument stands for it is refused by name."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.autograd import inputs_on_no_input_path

X = np.array([0.5, -1.0, 2.0])


def squared_gradient_norm(x):
    """|d/dx sum(sin(x) x^2)|^2, the inner derivative taken with autograd.grad."""
    (g,) = ad.autograd.grad((ad.sin(x) * x ** 2).sum(), x, create_graph=True)
    return (g ** 2).sum()


def _expected_gradient(x):
    g = np.cos(x) * x ** 2 + 2 * x * np.sin(x)
    dg = -np.sin(x) * x ** 2 + 4 * x * np.cos(x) + 2 * np.sin(x)
    return 2 * g * dg


def test_hessian_and_grad_of_a_tracked_argument_through_autograd_grad():
    np.testing.assert_allclose(ad.grad(squared_gradient_norm)(X), _expected_gradient(X))
    x = ad.tensor(X, requires_grad=True)
    gradient = ad.grad(squared_gradient_norm)(x)      # the argument is tracked
    np.testing.assert_allclose(gradient.data, _expected_gradient(X))
    hessian = ad.hessian(squared_gradient_norm)(X)
    eps = 1e-6
    columns = [(_expected_gradient(X + eps * e) - _expected_gradient(X - eps * e)) / (2 * eps)
               for e in np.eye(3)]
    np.testing.assert_allclose(hessian, np.stack(columns, axis=1), rtol=1e-7, atol=1e-8)
    gradient.sum().backward()
    np.testing.assert_allclose(x.grad, hessian.sum(axis=0), rtol=1e-12)


def test_total_derivatives_through_other_inputs_inside_a_transform():
    def f(x):
        h = x * x
        dx, dh = ad.autograd.grad((h * x).sum(), [x, h], create_graph=True)
        return (dx * dh).sum()          # 3x^2 * x

    np.testing.assert_allclose(ad.grad(f)(X), 9 * X ** 2)
    np.testing.assert_allclose(ad.grad(f)(ad.tensor(X, requires_grad=True)).data, 9 * X ** 2)


def test_autograd_grad_for_the_outer_tensor_is_refused_by_name():
    w = ad.tensor(X, requires_grad=True)

    def f(x):
        return ad.autograd.grad((x * w).sum(), w, create_graph=True)[0].sum()

    with pytest.raises(RuntimeError, match=r"^autograd\.grad: called inside a function that "
                                           r"ad\.grad .*mix the two variables"):
        ad.grad(f)(w)


def test_the_pass_stops_only_at_inputs_no_other_input_lies_behind():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    k = h + 1.0
    ends = inputs_on_no_input_path([h, k])                  # k's history holds h
    assert len(ends) == 1 and ends[0] is h
    assert inputs_on_no_input_path([x, h]) == []            # h's history holds leaf x
    ends = inputs_on_no_input_path([k])
    assert len(ends) == 1 and ends[0] is k
