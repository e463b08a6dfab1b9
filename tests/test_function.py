"""Custom operations: Function subclasses and custom_gradient, and their mistakes."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.ops.registry import unregister


class Cube(ad.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * 3 * x ** 2


class BatchedScaledMatmul(ad.Function):
    """y = s * A @ B for batches of matrices."""

    @staticmethod
    def forward(ctx, a, b, s):
        ctx.save_for_backward(a, b, s)
        return s * (a @ b)

    @staticmethod
    def backward(ctx, g):
        a, b, s = ctx.saved
        return (s * g @ np.swapaxes(b, -1, -2), s * np.swapaxes(a, -1, -2) @ g,
                np.sum(g * (a @ b)).reshape(np.shape(s)))


def test_function_forward_backward_and_gradcheck():
    x = ad.tensor([1.0, -2.0], requires_grad=True)
    Cube.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 12.0])
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((2, 2, 3)), rng.standard_normal((2, 3, 2)), np.array(1.5)]
    assert ad.gradcheck(lambda a, b, s: BatchedScaledMatmul.apply(a, b, s), inputs)


def test_function_backward_with_create_graph_is_differentiable():
    assert ad.gradgradcheck(lambda x: Cube.apply(x), [np.array([0.5, -1.0])])
    np.testing.assert_allclose(ad.grad(ad.grad(lambda x: Cube.apply(x)))(2.0), 12.0)


class Exp(ad.Function):
    """Saves its output, as PyTorch's docs do."""

    @staticmethod
    def forward(ctx, x):
        y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return grad * y


class Tanh(ad.Function):
    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        _, y = ctx.saved
        return grad * (1 - y * y)


class SquareSavingTwiceX(ad.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(2 * x)
        return x ** 2

    @staticmethod
    def backward(ctx, grad):
        (twice_x,) = ctx.saved
        return grad * twice_x


def test_a_saved_output_is_differentiated_in_higher_order_passes():
    np.testing.assert_allclose(ad.grad(ad.grad(lambda x: Exp.apply(x)))(0.5), np.exp(0.5))
    x = ad.tensor(0.5, requires_grad=True)
    Exp.apply(x).backward(create_graph=True)
    first, x.grad = x.grad, None
    first.backward()
    np.testing.assert_allclose(x.grad, np.exp(0.5))
    x0 = np.array([0.3, -0.7])
    f = lambda x: (Tanh.apply(x) * Exp.apply(x)).sum()     # noqa: E731
    t, e = np.tanh(x0), np.exp(x0)
    expected = np.diag(e * (-2 * t * (1 - t * t) + 2 * (1 - t * t) + t))
    np.testing.assert_allclose(ad.hessian(f)(x0), expected, rtol=1e-12)
    np.testing.assert_allclose(ad.jacrev(ad.grad(f))(x0), expected, rtol=1e-12)
    np.testing.assert_allclose(ad.jacfwd(ad.grad(f), vectorized=False)(x0), expected,
                               rtol=1e-12)
    np.testing.assert_allclose(ad.hvp(f, x0, np.array([1.0, 2.0])), expected @ [1.0, 2.0],
                               rtol=1e-12)
    assert ad.gradgradcheck(f, [x0])
    np.testing.assert_allclose(ad.jvp(Exp.apply, (x0,), (np.array([1.0, 2.0]),))[1],
                               np.exp(x0) * [1.0, 2.0], rtol=1e-12)
    np.testing.assert_allclose(ad.jacfwd(Exp.apply)(x0), np.diag(np.exp(x0)), rtol=1e-12)


def test_a_value_computed_in_forward_raises_when_backward_is_differentiated():
    x0 = np.array([0.3, -0.7])
    f = lambda x: SquareSavingTwiceX.apply(x).sum()     # noqa: E731
    # First order it is just a value.
    np.testing.assert_allclose(ad.grad(f)(x0), 2 * x0)
    np.testing.assert_allclose(ad.jvp(SquareSavingTwiceX.apply, (x0,), (np.ones(2),))[1],
                               2 * x0)
    message = r"^SquareSavingTwiceX.backward: ctx.saved\[0\] is an array computed in forward"
    for second_order in (lambda: ad.grad(ad.grad(lambda x: SquareSavingTwiceX.apply(x)))(0.5),
                         lambda: ad.hessian(f)(x0), lambda: ad.hvp(f, x0, np.ones(2))):
        with pytest.raises(RuntimeError, match=message):
            second_order()


class ArrayRelu(ad.Function):
    """A backward written for arrays only."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.maximum(x, 0)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        g = np.empty(np.shape(grad))
        np.multiply(grad, x >= 0, out=g)            # out=: an ndarray's, not a Tensor's
        return g


class TensorRelu(ArrayRelu):
    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return ad.where(x < 0, 0.0, grad)


def test_a_backward_for_arrays_only_names_the_function_in_forward_mode():
    x0 = np.array([0.5, -1.0, 2.0])
    np.testing.assert_array_equal(ad.jacrev(ArrayRelu.apply)(x0), np.diag([1.0, 0.0, 1.0]))
    message = (r"ArrayRelu.backward failed on Tensors \(TypeError: numpy\.multiply with out= "
               r"on a Tensor.*\)\. In forward mode .* must use Tensor operations")
    with pytest.raises(TypeError, match=message):
        ad.jvp(ArrayRelu.apply, (x0,), (np.ones(3),))
    with pytest.raises(TypeError, match=message):
        ad.jacfwd(ArrayRelu.apply)(x0)
    np.testing.assert_array_equal(ad.jacfwd(TensorRelu.apply)(x0), np.diag([1.0, 0.0, 1.0]))

    @ad.custom_gradient
    def identity(x):
        return x, lambda g: np.multiply(g, 1.0, out=np.empty(np.shape(g)))

    with pytest.raises(TypeError, match=r"the vjp returned by identity failed on Tensors"):
        ad.jvp(identity, (x0,), (np.ones(3),))


def test_function_describe_names_it():
    x = ad.tensor([1.0], requires_grad=True)
    assert "Cube.backward" in Cube.apply(x).node.op.describe()


class WrongCount(ad.Function):
    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, g):
        return g


class WrongShape(ad.Function):
    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, g):
        return g, g.sum(axis=0)


def test_wrong_number_of_gradients_is_reported():
    a = ad.tensor(np.ones((2, 3)), requires_grad=True)
    b = ad.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"WrongCount.backward returned 1 gradient\(s\) but "
                                         r"forward took 2 input\(s\)"):
        WrongCount.apply(a, b).sum().backward()


def test_wrong_gradient_shape_names_function_position_and_shapes():
    a = ad.tensor(np.ones((2, 3)), requires_grad=True)
    b = ad.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"WrongShape.backward: the gradient for input 1 has "
                                         r"shape \(3,\) but that input has shape \(2, 3\)"):
        WrongShape.apply(a, b).sum().backward()


def test_custom_gradient_straight_through_round():
    @ad.custom_gradient
    def round_ste(x):
        return ad.round(x), lambda g: g

    x = ad.tensor([0.2, 1.7], requires_grad=True)
    y = round_ste(x)
    np.testing.assert_array_equal(y.data, [0.0, 2.0])
    (y * np.array([1.0, 2.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])


def test_custom_gradient_higher_order_through_a_closure():
    @ad.custom_gradient
    def cube(x):
        return x ** 3, lambda g: g * 3 * x ** 2

    np.testing.assert_allclose(ad.grad(ad.grad(lambda t: cube(t)))(2.0), 12.0)


def test_the_saved_ctx_and_vjp_are_dropped_when_backward_frees_the_graph():
    import weakref

    x = ad.tensor([2.0], requires_grad=True)
    y = Cube.apply(x)
    ctx = weakref.ref(y.node.saved)
    # (its only keyword is where forward leaves outputs without gradient: no ctx)
    assert list(y.node.kwargs) == ["side"] and ctx().saved[0] is x.data
    y.backward()
    assert y.node.saved is None and ctx() is None

    @ad.custom_gradient
    def double(t):
        return t * 2, lambda g: g * 2

    z = double(x)
    vjp = weakref.ref(z.node.saved)
    assert z.node.kwargs is None and vjp() is not None
    z.backward()
    assert z.node.saved is None and vjp() is None


def test_a_custom_gradient_whose_vjp_holds_a_forward_value_refuses_a_second_derivative():
    """The forward runs under no_grad, so a value it computed (y = exp(x)) and the vjp
    closes over has no recorded dependence on x: a second derivative through it would
    take it as a constant (it gave 0 for exp's). First order and forward mode, which
    differentiate the vjp along g only, stay right."""
    @ad.custom_gradient
    def my_exp(x):
        y = ad.exp(x)
        return y, lambda g: g * y

    assert ad.grad(my_exp)(0.5) == np.exp(0.5)
    np.testing.assert_allclose(ad.jacfwd(my_exp)(np.array([0.5, 1.0])),
                               np.diag(np.exp([0.5, 1.0])))
    for second in (lambda: ad.grad(ad.grad(my_exp))(0.5),
                   lambda: ad.hessian(lambda x: my_exp(x).sum())(np.array([0.5]))):
        with pytest.raises(RuntimeError, match=r"custom_gradient: the vjp returned by "
                                               r"my_exp closes over 'y', computed in the "
                                               r"forward under no_grad"):
            second()

    @ad.custom_gradient
    def square(x):                       # the vjp reads the input itself: fine
        return x * x, lambda g: 2 * g * x
    assert ad.grad(ad.grad(square))(0.5) == 2.0


def test_a_custom_gradient_whose_vjp_holds_an_inputs_array_refuses_a_second_derivative():
    # x.data is the input's values with no recorded dependence on x: a Hessian through
    # it was silently 0 (6x here).
    @ad.custom_gradient
    def cube(x):
        values = x.data
        return ad.tensor(values ** 3), lambda g: g * 3 * values ** 2

    x = np.array([0.5, 1.0])
    np.testing.assert_allclose(ad.grad(lambda t: cube(t).sum())(x), 3 * x ** 2)
    for second in (lambda: ad.hessian(lambda t: cube(t).sum())(x),
                   lambda: ad.hvp(lambda t: cube(t).sum(), x, np.ones(2))):
        with pytest.raises(RuntimeError, match="closes over \"values \\(an input's array\\)\""):
            second()


def test_a_function_with_a_constant_input_can_be_differentiated_twice():
    """A saved input without a gradient (data) comes back as itself in a differentiated
    backward; it was taken for a value computed in forward and refused."""
    class MulSin(ad.Function):           # a * sin(b)
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * np.sin(b)

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved
            return g * ad.sin(b), g * a * ad.cos(b)

    a, b = np.array([1.0, 2.0]), np.array([0.3, 0.7])
    hessian = ad.hessian(lambda b_: MulSin.apply(a, b_).sum())(b)
    np.testing.assert_allclose(hessian, np.diag(-a * np.sin(b)), rtol=1e-14)
    t = ad.tensor(b, requires_grad=True)
    MulSin.apply(ad.tensor(a), t).sum().backward(create_graph=True)
    g = t.grad
    t.grad = None
    g.sum().backward()
    np.testing.assert_allclose(t.grad, -a * np.sin(b), rtol=1e-14)


class CubeKeepingAnAttribute(ad.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.x = x                                   # PyTorch's habit
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        return grad * 3 * ctx.x ** 2


class CubeSavingATuple(ad.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward((x, 3.0))
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        ((x, k),) = ctx.saved
        return grad * k * x ** 2


class SquareSavingATupleWithTwiceX(ad.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward((x, 2 * x))
        return x * x

    @staticmethod
    def backward(ctx, grad):
        ((_, twice),) = ctx.saved
        return grad * twice


@pytest.mark.parametrize("cls", [CubeKeepingAnAttribute, CubeSavingATuple])
def test_an_input_kept_as_an_attribute_or_in_a_tuple_is_differentiated_twice(cls):
    x0 = np.array([0.5, -1.2, 2.0])

    def f(x):
        return cls.apply(x).sum()

    np.testing.assert_allclose(np.diag(ad.hessian(f)(x0)), 6 * x0)
    np.testing.assert_allclose(ad.grad(lambda x: ad.grad(f)(x).sum())(x0), 6 * x0)
    x = ad.tensor(x0, requires_grad=True)
    f(x).backward(create_graph=True)
    assert x.grad.requires_grad
    assert isinstance(CubeKeepingAnAttribute.apply(ad.tensor(x0)).data, np.ndarray)


def test_a_derived_value_in_a_saved_tuple_raises_when_backward_is_differentiated():
    with pytest.raises(RuntimeError, match=r"ctx.saved\[0\]\[1\] is an array computed in "
                                           "forward"):
        ad.hessian(lambda x: SquareSavingATupleWithTwiceX.apply(x).sum())(np.ones(2))


def test_a_custom_gradient_reaching_a_forward_value_indirectly_refuses_a_second_derivative():
    @ad.custom_gradient
    def by_default(x):
        y = ad.exp(x)
        return y, lambda g, y=y: g * y

    @ad.custom_gradient
    def in_a_tuple(x):
        saved = (ad.exp(x),)
        return saved[0], lambda g: g * saved[0]

    @ad.custom_gradient
    def through_a_helper(x):
        y = ad.exp(x)
        get = lambda: y                             # noqa: E731
        return y, lambda g: g * get()

    for fn, name in ((by_default, r"'y \(a default argument\)'"), (in_a_tuple, r"'saved\[0\]'"),
                     (through_a_helper, "'y'")):
        assert ad.grad(fn)(0.5) == np.exp(0.5)
        with pytest.raises(RuntimeError, match=f"closes over {name}, computed in the forward"):
            ad.grad(ad.grad(fn))(0.5)


def test_integer_results_of_a_function_carry_no_gradient_and_object_results_are_refused():
    class Step(ad.Function):
        @staticmethod
        def forward(ctx, x):
            return (x > 0).astype(np.int64)

        @staticmethod
        def backward(ctx, g):
            return g

    class Nothing(ad.Function):
        @staticmethod
        def forward(ctx, x):
            return None

        @staticmethod
        def backward(ctx, g):
            return g

    x = ad.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = Step.apply(x)
    assert y.dtype == np.int64 and not y.requires_grad      # as PyTorch
    with pytest.raises(TypeError, match="Nothing: the forward returned object"):
        Nothing.apply(x)
    counts = ad.defop("count_positive_test", lambda a: (a > 0).sum(),
                      a=("0", lambda xp, g, ans, a: xp.zeros_like(a)))
    try:
        assert not counts(x).requires_grad
    finally:
        unregister("count_positive_test")
