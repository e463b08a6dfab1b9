"""has_aux=True in grad, value_and_grad, grad_and_value, vjp, jvp, jacrev, jacfwd:
the pair's second part comes back beside the results, arrays or recorded Tensors
by the transform's rule; a function that returns no pair is refused by name."""

import numpy as np
import pytest

import autodiff as ad

X = np.array([0.5, -1.0, 2.0])


def _loss_and_stats(x):
    y = ad.tanh(x)
    return (y ** 2).sum(), {"y": y, "count": 3}


def test_value_and_grad_gives_value_and_aux_first_jax_order():
    (value, aux), gradient = ad.value_and_grad(_loss_and_stats, has_aux=True)(X)
    np.testing.assert_allclose(value, (np.tanh(X) ** 2).sum())
    np.testing.assert_allclose(gradient, 2 * np.tanh(X) * (1 - np.tanh(X) ** 2))
    assert isinstance(aux["y"], np.ndarray) and aux["count"] == 3
    np.testing.assert_allclose(aux["y"], np.tanh(X))


def test_aux_of_a_tracked_argument_stays_on_the_tape():
    x = ad.tensor(X, requires_grad=True)
    gradient, aux = ad.grad(_loss_and_stats, has_aux=True)(x)
    assert isinstance(aux["y"], ad.Tensor) and aux["y"].requires_grad
    aux["y"].sum().backward()
    np.testing.assert_allclose(x.grad, 1 - np.tanh(X) ** 2)


def test_aux_is_not_differentiated_by_the_transform():
    jac, aux = ad.jacrev(lambda x: (x * 2, x ** 3), has_aux=True)(X)
    np.testing.assert_allclose(jac, 2 * np.eye(3))
    np.testing.assert_allclose(aux, X ** 3)
    jac_fwd, aux_fwd = ad.jacfwd(lambda x: (x * 2, x ** 3), has_aux=True)(X)
    np.testing.assert_allclose(jac_fwd, 2 * np.eye(3))
    np.testing.assert_allclose(aux_fwd, X ** 3)


@pytest.mark.parametrize("where, call", [
    ("grad", lambda f: ad.grad(f, has_aux=True)(X)),
    ("value_and_grad", lambda f: ad.value_and_grad(f, has_aux=True)(X)),
    ("vjp", lambda f: ad.vjp(f, X, has_aux=True)),
    ("jvp", lambda f: ad.jvp(f, (X,), (X,), has_aux=True)),
    ("jacobian", lambda f: ad.jacrev(f, has_aux=True)(X)),
    ("jacfwd", lambda f: ad.jacfwd(f, has_aux=True)(X)),
])
def test_a_function_without_a_pair_is_refused_by_name(where, call):
    with pytest.raises(TypeError, match=rf"{where}: has_aux=True, so the function must "
                                        r"return a pair \(output, aux\), but it returned "
                                        r"Tensor"):
        call(lambda x: (x * 2).sum())
    with pytest.raises(TypeError, match=r"returned a tuple of 3 values"):
        call(lambda x: ((x * 2).sum(), 1, 2))
