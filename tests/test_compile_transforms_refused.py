"""ad.compile of a function that calls a function transform: refused at trace time,
naming the transform and the line, never replayed with stale derivatives."""

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
