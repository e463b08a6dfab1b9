"""ad.vmap: the per-example loop, stacked; gradients through it; its errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad


def _loss(w, x):
    return np.tanh(x @ w).sum() ** 2


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 4), features=st.integers(1, 3), axis=st.integers(-2, 1))
def test_values_are_the_per_example_results_stacked(batch, features, axis):
    rng = np.random.default_rng(batch * 10 + features)
    xs = rng.standard_normal((batch, features))
    xs_moved = np.moveaxis(xs, 0, axis)
    f = ad.vmap(lambda x: np.exp(x) * x.sum(), in_dims=axis)
    expected = np.stack([np.exp(x) * x.sum() for x in xs])
    np.testing.assert_array_equal(f(xs_moved), expected)
    np.testing.assert_array_equal(f(ad.tensor(xs_moved)).data, expected)


def test_per_example_gradients_equal_a_loop_of_grad():
    rng = np.random.default_rng(0)
    w, xs = rng.standard_normal(3), rng.standard_normal((5, 4, 3))
    per_example = ad.vmap(ad.grad(_loss), in_dims=(None, 0))(w, xs)
    expected = np.stack([ad.grad(_loss)(w, x) for x in xs])
    np.testing.assert_array_equal(per_example, expected)
    assert isinstance(per_example, np.ndarray) and per_example.shape == (5, 3)


def test_gradients_flow_through_the_slicing_and_the_stacking():
    rng = np.random.default_rng(1)
    xs = rng.standard_normal((4, 3))
    w = rng.standard_normal((2, 3))
    assert ad.gradcheck(lambda w, xs: ad.vmap(lambda x: np.sin(w @ x), in_dims=0)(xs),
                        [w, xs])
    assert ad.gradgradcheck(lambda w, xs: ad.vmap(lambda x: np.sin(w @ x))(xs), [w, xs])


def test_a_closure_over_a_parameter_gets_its_gradient_in_backward():
    W = ad.tensor(np.ones((2, 3)), requires_grad=True)
    xs = np.random.default_rng(2).random((5, 3))
    ad.vmap(lambda x: np.tanh(W @ x))(xs).sum().backward()
    expected = (1 - np.tanh(xs @ np.ones((3, 2))) ** 2).T @ xs
    np.testing.assert_allclose(W.grad, expected, rtol=1e-14)


def test_out_dims_tuples_nesting_and_keywords():
    xs = ad.tensor(np.arange(12.0).reshape(4, 3))
    moved, sums = ad.vmap(lambda x: (x * 2, x.sum()), out_dims=(1, 0))(xs)
    np.testing.assert_array_equal(moved.data, (xs.data * 2).T)
    np.testing.assert_array_equal(sums.data, xs.data.sum(1))
    rows = ad.vmap(ad.vmap(lambda a, b: a * b), in_dims=(0, None))      # each row times b
    np.testing.assert_array_equal(rows(np.ones((2, 3)), np.arange(3.0)),
                                  np.ones((2, 3)) * np.arange(3.0))
    outer = ad.vmap(ad.vmap(lambda a, b: a * b, in_dims=(0, None)), in_dims=(None, 0))
    np.testing.assert_array_equal(outer(np.arange(2.0), np.arange(3.0)),
                                  np.outer(np.arange(3.0), np.arange(2.0)))
    scaled = ad.vmap(lambda x, scale=1.0: x * scale)(np.ones((2, 2)), scale=3.0)
    np.testing.assert_array_equal(scaled, np.full((2, 2), 3.0))


@pytest.mark.parametrize("call, message", [
    (lambda: ad.vmap(lambda a, b: a + b)(np.ones(3), np.ones(4)),
     r"vmap\(<lambda>\): the mapped axes have different sizes \(argument 0: 3, "
     r"argument 1: 4\)"),
    (lambda: ad.vmap(lambda a: a, in_dims=None)(np.ones(3)), "no argument is mapped"),
    (lambda: ad.vmap(lambda a, b: a, in_dims=(0,))(np.ones(3), 1.0),
     "in_dims has 1 entries but the call has 2 positional arguments"),
    (lambda: ad.vmap(lambda a: a, in_dims=1)(np.ones(3)),
     r"argument 0 has shape \(3,\), which has no axis 1"),
    (lambda: ad.vmap(lambda a: a)(np.ones((0, 2))), "the mapped axis has size 0"),
    (lambda: ad.vmap(lambda a: a[: int(a[0]) + 1])(np.array([[0.0, 1.0], [1.0, 1.0]])),
     r"the calls returned values of different shapes \[\(1,\), \(2,\)\]"),
    (lambda: ad.vmap(lambda a: (a, a), out_dims=(0,))(np.ones((2, 2))),
     "out_dims has 1 entries but the function returns 2 values"),
])
def test_errors_name_the_function_and_the_shapes(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_containers_are_mapped_leaf_by_leaf_with_in_dims_in_their_shape():
    params = {"w": np.arange(6.0).reshape(2, 3), "b": np.array([1.0, 2.0])}
    out = ad.vmap(lambda p, s: p["w"].sum() * s + p["b"], in_dims=({"w": 1, "b": None}, 0))(
        params, np.array([1.0, 10.0, 100.0]))
    expected = np.stack([params["w"][:, k].sum() * s + params["b"]
                         for k, s in enumerate([1.0, 10.0, 100.0])])
    np.testing.assert_array_equal(out, expected)
    pairs = ad.vmap(lambda ab: ab[0] * ab[1])((np.ones((2, 3)), np.arange(6.0).reshape(2, 3)))
    np.testing.assert_array_equal(pairs, np.arange(6.0).reshape(2, 3))


def test_container_errors_name_the_array_and_its_argument():
    with pytest.raises(ValueError, match=r"in_dims\[0\] has 1 entries but argument 0 \(a "
                                         r"dict\) holds 2 arrays"):
        ad.vmap(lambda p: p["a"], in_dims=({"a": 0},))({"a": np.ones(2), "b": np.ones(2)})
    with pytest.raises(ValueError, match=r"the mapped axes have different sizes \(array 0 "
                                         r"of argument 0 \(dict\): 2, array 1 of argument 0 "
                                         r"\(dict\): 3\)"):
        ad.vmap(lambda p: p["a"])({"a": np.ones(2), "b": np.ones(3)})
    with pytest.raises(ValueError, match=r"array 1 of argument 0 \(tuple\) has shape \(\), "
                                         r"which has no axis 0"):
        ad.vmap(lambda p: p[0])((np.ones(2), np.array(1.0)))


@pytest.mark.parametrize("returned", [None, "label", {"a": 1.0, "b": None}])
def test_a_result_that_cannot_be_stacked_is_refused(returned):
    # None used to come back as an object array of Nones
    with pytest.raises(TypeError, match=r"vmap\(<lambda>\): the function returned (NoneType "
                                        r"None|str 'label').*cannot be stacked"):
        ad.vmap(lambda x: returned)(np.ones((2, 2)))
