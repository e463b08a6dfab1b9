"""scipy.special's Bessel functions on Tensors (j0, j1, y0, y1, k0, k1, jv, yv, iv,
kv): SciPy's values, slopes by the recurrences against central differences and
against HIPS autograd's (which has j0, j1, y0, y1, jn, yn, iv), to second order, and a
clear refusal of the order's slope."""

import numpy as np
import pytest
from scipy import special

import autodiff as ad
from numpy_program_checks import central_difference

X = np.array([0.4, 1.3, 3.7, 7.9])

CALLS = {
    "j0": lambda t: special.j0(t), "j1": lambda t: special.j1(t),
    "y0": lambda t: special.y0(t), "y1": lambda t: special.y1(t),
    "k0": lambda t: special.k0(t), "k1": lambda t: special.k1(t),
    "jv": lambda t: special.jv(2.5, t), "yv": lambda t: special.yv(-0.5, t),
    "iv": lambda t: special.iv(1.0, t), "kv": lambda t: special.kv(0.3, t),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_values_are_scipys_and_slopes_match_central_differences(name):
    f = CALLS[name]
    y = f(ad.tensor(X, requires_grad=True))
    assert isinstance(y, ad.Tensor) and y.requires_grad
    np.testing.assert_array_equal(y.data, f(X))
    grad = ad.grad(lambda t: f(t).sum())(X.copy())
    # central differences of step 1e-6 carry ~1e-10 of rounding
    np.testing.assert_allclose(grad, central_difference(lambda a: f(a).sum(), X),
                               rtol=1e-7, atol=1e-9)
    assert ad.gradgradcheck(lambda t: f(t), [X])


@pytest.mark.parametrize("name, theirs", [("j0", "j0"), ("j1", "j1"), ("y0", "y0"),
                                          ("y1", "y1"), ("iv", "iv")])
def test_first_and_second_derivatives_match_autograd(name, theirs):
    autograd = pytest.importorskip("autograd")
    import autograd.scipy.special as aspecial
    f = CALLS[name]
    g = (lambda x: aspecial.iv(1.0, x)) if theirs == "iv" else getattr(aspecial, theirs)
    for x in X:
        np.testing.assert_allclose(ad.grad(lambda t: f(t))(x), autograd.grad(g)(x), rtol=1e-10)
        np.testing.assert_allclose(ad.grad(ad.grad(lambda t: f(t)))(x),
                                   autograd.grad(autograd.grad(g))(x), rtol=1e-8, atol=1e-12)


def test_j1_at_zero_has_slope_one_half_silently():
    np.testing.assert_array_equal(ad.grad(lambda t: special.j1(t).sum())(np.array([0.0])), [0.5])
    np.testing.assert_array_equal(ad.grad(lambda t: special.j0(t).sum())(np.array([0.0])), [0.0])


@pytest.mark.parametrize("name", ["jv", "yv", "iv", "kv"])
def test_the_orders_slope_is_refused_naming_the_function(name):
    f = getattr(special, name)
    with pytest.raises(NotImplementedError,
                       match=rf"^scipy\.special\.{name}: the derivative with respect to the "
                             r"order v is not implemented"):
        ad.grad(lambda v: f(v, 1.5).sum())(np.array([1.0]))
