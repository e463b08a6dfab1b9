"""ad.compile and function transforms: a compiled function that calls a transform is
refused at trace time, naming the transform and the line; a transform of a compiled
function runs the function eagerly (a replay records no tape, and its result used to
be taken for a constant: zero gradients from the second call on)."""

import numpy as np
import pytest

import autodiff as ad

X = np.array([0.3, -1.0, 2.0])


def _scalar(z):
    return (ad.sin(z) * z ** 2).sum()


def _vector(z):
    return ad.sin(z) * z


TRANSFORM_CALLS = {
    "grad": lambda x: ad.grad(_scalar)(x),
    "value_and_grad": lambda x: ad.value_and_grad(_scalar)(x)[1],
    "vjp": lambda x: ad.vjp(_vector, x)[1](np.ones(3))[0],
    "jvp": lambda x: ad.jvp(_vector, (x,), (x,))[1],
    "jacobian": lambda x: ad.jacrev(_vector)(x),
    "jacfwd": lambda x: ad.jacfwd(_vector)(x),
    "hessian": lambda x: ad.hessian(_scalar)(x),
    "hvp": lambda x: ad.hvp(_scalar, x, np.ones(3)),
    "autograd.grad": lambda x: ad.autograd.grad(_scalar(x), x, create_graph=True)[0],
}


@pytest.mark.parametrize("where, requires_grad", [
    (where, requires_grad) for where in sorted(TRANSFORM_CALLS) for requires_grad in (False, True)
    if where != "autograd.grad" or requires_grad])     # it needs an input requiring grad
def test_a_transform_inside_a_compiled_function_is_refused_by_name(where, requires_grad):
    compiled = ad.compile(TRANSFORM_CALLS[where])
    with pytest.raises(ad.TraceError, match=rf"compile: ad\.{where} is called at "
                                             r"test_compile_transforms_refused\.py:\d+ inside"
                                             r" the compiled function .*Call the transform "
                                             r"outside ad\.compile"):
        compiled(ad.tensor(X, requires_grad=requires_grad))


def test_the_same_transforms_still_run_outside_and_vmap_replays():
    np.testing.assert_allclose(ad.grad(_scalar)(X), np.cos(X) * X ** 2 + 2 * X * np.sin(X))
    compiled = ad.compile(lambda x: ad.vmap(_vector)(x))
    for values in (X, X * 2, -X):
        np.testing.assert_allclose(compiled(ad.tensor(values)).data, np.sin(values) * values)
    assert compiled.traces == 1


def test_transforms_of_a_compiled_function_are_right_on_every_call():
    compiled_scalar = ad.compile(_scalar)
    compiled_vector = ad.compile(_vector)
    compiled_vector(ad.tensor(X))           # traced: later plain calls replay
    expected_grad = np.cos(X) * X ** 2 + 2 * X * np.sin(X)
    expected_jacobian = np.diag(np.cos(X) * X + np.sin(X))
    for _ in range(3):
        np.testing.assert_allclose(ad.grad(compiled_scalar)(X), expected_grad)
        np.testing.assert_allclose(ad.jvp(compiled_vector, (X,), (np.ones(3),))[1],
                                   np.diag(expected_jacobian))
        np.testing.assert_allclose(ad.jacfwd(compiled_vector)(X), expected_jacobian)
        np.testing.assert_allclose(ad.jacrev(compiled_vector)(X), expected_jacobian)
        np.testing.assert_allclose(ad.vjp(compiled_vector, X)[1](np.ones(3))[0],
                                   np.diag(expected_jacobian))
        np.testing.assert_allclose(ad.hessian(compiled_scalar)(X),
                                   ad.hessian(_scalar)(X), rtol=1e-14)
    for values in (X, 2 * X):               # outside a transform it still replays
        np.testing.assert_allclose(compiled_vector(ad.tensor(values)).data, _vector(values).data)
    assert compiled_vector.traces == 1
