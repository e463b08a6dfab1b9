"""The checker itself must catch small mistakes."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad


def make_scaled_tanh(error):
    class AlmostTanh(ad.Function):
        @staticmethod
        def forward(ctx, x):
            y = np.tanh(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved
            return g * (1 - y * y) * (1 + error)

    return AlmostTanh


def test_a_backward_wrong_by_a_tenth_of_a_percent_is_caught():
    x = np.array([0.3, -0.8, 1.1])
    # Central differences in float64 are good to ~1e-9 relative here, so a tolerance of
    # 1e-4 separates a correct rule from one that is off by 0.1 %.
    assert ad.gradcheck(lambda t: make_scaled_tanh(0.0).apply(t), [x], atol=1e-8, rtol=1e-4)
    with pytest.raises(ad.GradcheckError, match=r"input 0, entry .*analytic .*numerical"):
        ad.gradcheck(lambda t: make_scaled_tanh(1e-3).apply(t), [x], atol=1e-8, rtol=1e-4)
    # The default tolerances (rtol=1e-3) catch anything beyond 0.1 %.
    with pytest.raises(ad.GradcheckError):
        ad.gradcheck(lambda t: make_scaled_tanh(1.5e-3).apply(t), [x])


def test_numerical_grad_shapes():
    g = ad.numerical_grad(lambda x: (x ** 2).sum(), [np.array([1.0, 2.0])])
    np.testing.assert_allclose(g[0], [2.0, 4.0], rtol=1e-8)
    jac = ad.numerical_grad(lambda x: x * 3, np.ones((2,)))
    assert jac.shape == (2, 2)


def test_gradcheck_passes_index_inputs_through():
    idx = np.array([0, 0, 2])
    assert ad.gradcheck(lambda x, i: ad.take(x, i).sum(), [np.array([1.0, 2.0, 3.0]), idx])


def test_integer_inputs_raise_instead_of_passing_vacuously():
    class WrongBackward(ad.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 100            # wrong on purpose

    with pytest.raises(TypeError, match="no input is floating-point.*int64.*float64"):
        ad.gradcheck(lambda x: WrongBackward.apply(x).sum(), [np.array([1, 2])])
    with pytest.raises(ad.GradcheckError):
        ad.gradcheck(lambda x: WrongBackward.apply(x).sum(), [np.array([1.0, 2.0])])


def test_a_random_function_is_named_as_the_likely_cause():
    rng = np.random.default_rng(0)

    def noisy(x):
        return (x * ad.tensor(rng.normal(size=2))).sum()

    with pytest.raises(ad.GradcheckError, match="different values for the same inputs.*random"):
        ad.gradcheck(noisy, [np.array([1.0, 2.0])])


def test_orders_of_magnitude_apart_suggests_sampling():
    class Tiny(ad.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1e6

        @staticmethod
        def backward(ctx, grad):
            return grad * 1e-6           # wrong by 12 orders of magnitude

    with pytest.raises(ad.GradcheckError, match="orders of magnitude.*random"):
        ad.gradcheck(lambda x: Tiny.apply(x).sum(), [np.array([1.0])])


def test_nan_on_both_sides_is_a_failure_not_an_agreement():
    with pytest.raises(ad.GradcheckError, match=r"analytic nan, numerical nan[\s\S]*A NaN "
                                                r"compares equal to nothing"), \
            pytest.warns(RuntimeWarning, match="invalid value"):
        ad.gradcheck(ad.sqrt, [np.array(-1.0)])


def test_a_failure_on_float32_inputs_says_to_check_in_float64():
    with pytest.raises(ad.GradcheckError, match=r"input 0 is float32: its rounding swamps "
                                                r"central differences"), \
            pytest.warns(UserWarning, match="input 0 is float32"):
        ad.gradcheck(lambda t: (t * 1.0).sum(), [np.array([1000.0], np.float32)])


def test_float32_inputs_are_warned_of_before_checking_at_the_callers_line():
    # In float32 x + eps rounds back to x: both sides came out 0 and a wrong gradient
    # (0 for x**2) passed without a word.
    x = np.array([100.0, 300.0], np.float32)
    with pytest.warns(UserWarning, match="input 0 is float32: its rounding swamps") as caught:
        with pytest.raises(ad.GradcheckError):      # a right gradient fails here
            ad.gradcheck(lambda t: (t * 1.0).sum(), [x])
    assert caught[0].filename == __file__
    with pytest.warns(UserWarning, match="numerical_grad: input 0 is float32"):
        ad.numerical_grad(lambda t: (t * t).sum(), [x])


def test_several_outputs_and_complex_inputs_are_refused_rather_than_misjudged():
    with pytest.raises(TypeError, match="returned a tuple of 2 values"):
        ad.gradcheck(lambda a: (a * 2, a * 3), [np.ones(2)])
    with pytest.raises(TypeError, match="input 1 is complex128"):
        ad.gradcheck(lambda x, c: (x * np.abs(c)).sum(),
                     [np.array([1.0, 2.0]), np.array([1 + 1j, 2 - 1j])])
