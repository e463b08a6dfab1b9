"""What the twenty-ninth round of NumPy programs (test_numpy_programs_twentyninth.py
and its ``_more`` part) found around them:

- ``a.clip(lo, t)`` on an ndarray ``a`` with both bounds given and one a Tensor was
  refused ("numpy.clip has no differentiable rule"), though ``np.clip(a, lo, t)``
  records: the method runs the ufunc ``np._core.umath.clip``, which had no op.  It
  is now the ``clip`` op, with the same gradients.
- ``a.mean(where=mask)``, ``.var``, ``.std`` and ``.all(where=mask)`` on an ndarray
  ``a`` with a boolean Tensor mask were refused ("numpy.add.reduce on a Tensor: the
  argument(s) ['dtype'] are not supported"): NumPy counts the mask's entries with
  ``np.add.reduce(mask, dtype=np.intp)``.  A reduction in an integer or bool dtype of
  Tensors that hold only integers or bools is now NumPy's, off the tape (no gradient
  flows through integers), as ``np.sum(mask, dtype=np.intp)`` already was; and a
  reduction of ndarrays whose only Tensor is the bool ``where=`` mask gives NumPy's
  ndarray (or NumPy scalar), as NumPy's own ``var``/``std`` need: given a Tensor mean
  they divide it by counts of the wrong shape, silently wrong where the rows' counts
  differ.  A ufunc call on ndarrays under a Tensor mask with an ndarray ``out=``
  (``np.subtract(a, m, out=a, where=mask)``, as ``np.nanvar(a, where=mask)`` runs it)
  was refused as writing a Tensor into an ndarray; it is now NumPy's call.
- ``W.dot(t)`` (the ndarray method, which NumPy does not hand to the Tensor) warned
  that the Tensor was converted, naming only the line; the warning now names
  ``ndarray.dot`` and says ``np.dot(W, t)`` or ``W @ t`` keeps it on the tape (and
  likewise for the other ndarray methods, ``idx.choose([t, u])`` no longer blamed on
  ``np.array``); ``edges.searchsorted(t)``, whose result is indices, no longer warns,
  as ``np.searchsorted(edges, t)`` does not."""

import warnings

import numpy as np
import pytest

import autodiff as ad


def test_an_ndarrays_clip_method_with_a_tensor_bound_records_as_np_clip():
    values = np.array([0.0, 1.0, 2.0, -3.0])
    upper = np.array([0.3, -0.2, 1.4, 4.0])
    by_method = ad.grad(lambda u: values.clip(0.5, u).sum())(upper.copy())
    by_function = ad.grad(lambda u: np.clip(values, 0.5, u).sum())(upper.copy())
    np.testing.assert_array_equal(by_method, by_function)
    np.testing.assert_array_equal(by_method, [1.0, 1.0, 1.0, 0.0])
    out = values.clip(0.5, ad.tensor(upper, requires_grad=True))
    assert isinstance(out, ad.Tensor) and out.requires_grad
    np.testing.assert_array_equal(out.numpy(), values.clip(0.5, upper))


def test_the_clip_ufunc_itself_records():
    clip_ufunc = np._core.umath.clip
    lower = ad.tensor(np.array([0.1, 0.2, 2.5]), requires_grad=True)
    out = clip_ufunc(np.array([0.0, 1.0, 2.0]), lower, 1.5)
    np.testing.assert_array_equal(out.numpy(), [0.1, 1.0, 1.5])
    out.sum().backward()
    np.testing.assert_array_equal(lower.grad, [1.0, 0.0, 0.0])


@pytest.mark.parametrize("method", ["mean", "var", "std", "all", "any", "sum"])
def test_an_ndarrays_reductions_where_a_tensor_mask_give_numpys_values(method):
    values = np.array([0.5, 1.0, 2.0, -3.0, 4.0])
    scores = ad.tensor(np.array([0.3, -0.2, 1.4, 0.5, -1.0]), requires_grad=True)
    mask = scores > 0
    expected = getattr(values, method)(where=mask.numpy())
    got = getattr(values, method)(where=mask)
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-15)
    assert np.asarray(got).dtype == np.asarray(expected).dtype


@pytest.mark.parametrize("reduce", [
    lambda a, k: a.var(axis=1, where=k), lambda a, k: a.std(axis=1, ddof=1, where=k),
    lambda a, k: a.var(axis=0, where=k, keepdims=True), lambda a, k: a.mean(axis=1, where=k),
    lambda a, k: a.astype(int).std(axis=1, where=k), lambda a, k: a.all(axis=0, where=k),
    lambda a, k: np.add.reduce(a, axis=1, where=k),
    lambda a, k: np.maximum.reduce(a, axis=1, where=k, initial=-1.0)])
def test_rows_of_an_ndarray_reduced_under_a_tensor_mask_with_uneven_counts(reduce):
    scores = ad.tensor(np.array([[0.3, -0.2, 1.4], [2.0, 0.5, 1.0], [1.0, -1.0, 3.0]]),
                       requires_grad=True)
    values = np.arange(9.0).reshape(3, 3) ** 2
    expected = reduce(values, (scores > 0).numpy())
    got = reduce(values, scores > 0)
    assert type(got) is type(expected) and got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_an_integer_reduction_of_a_boolean_tensor_counts_off_the_tape():
    mask = ad.tensor(np.array([[True, False, True], [True, True, False]]))
    counted = np.add.reduce(mask, axis=1, dtype=np.intp)
    np.testing.assert_array_equal(counted.numpy(), [2, 2])
    assert counted.dtype == np.intp and not counted.requires_grad
    running = np.add.accumulate(mask, axis=1, dtype=np.int8)
    np.testing.assert_array_equal(running.numpy(), np.add.accumulate(mask.numpy(), axis=1,
                                                                     dtype=np.int8))
    assert running.dtype == np.int8
    assert np.logical_and.reduce(mask, axis=0, dtype=bool).tolist() == [True, False, False]


def test_a_float_reduction_in_an_integer_dtype_is_still_refused():
    t = ad.tensor(np.array([0.5, 1.5]), requires_grad=True)
    with pytest.raises(TypeError, match=r"add.reduce on a Tensor: dtype=int64 would compute"):
        np.add.reduce(t, dtype=np.int64)


def test_an_ndarrays_dot_method_on_a_tensor_warns_naming_it_and_what_to_write():
    weights = np.arange(6.0).reshape(2, 3)
    t = ad.tensor(np.array([0.3, -0.2, 1.4]), requires_grad=True)
    with pytest.warns(ad.TapeDropWarning, match=r"by ndarray\.dot, a method of an ndarray.*"
                                                r"np\.dot\(a, t\) or a @ t"):
        weights.dot(t)
    with pytest.raises(TypeError, match=r"by ndarray\.dot"):
        ad.grad(lambda v: weights.dot(v).sum())(np.array([0.3, -0.2, 1.4]))
    np.testing.assert_array_equal(np.dot(weights, t).numpy(), weights.dot(t.numpy()))


def test_a_method_of_an_array_made_on_the_line_is_named_not_np_array():
    t = ad.tensor(np.array([0.3, -0.2, 1.4]), requires_grad=True)
    with pytest.warns(ad.TapeDropWarning, match=r"by ndarray\.choose.*np\.choose\(a, \[t, u\]\)"):
        np.array([0, 1, 0]).choose([t, t * 2])


def test_an_ndarrays_searchsorted_of_a_tensor_gives_indices_without_a_warning():
    edges = np.array([-1.0, 0.0, 1.0])
    t = ad.tensor(np.array([0.3, -0.2, 1.4]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        found = edges.searchsorted(t)
        np.testing.assert_array_equal(found, np.searchsorted(edges, t).numpy())
        ad.grad(lambda v: (v * edges.searchsorted(v)).sum())(np.array([0.3, -0.2, 1.4]))


@pytest.mark.parametrize("call, named, advice", [
    (lambda a, t: a.fill(t[0]), "fill", "np.full_like(t, t, shape=a.shape)"),
    (lambda a, t: a.put([0], t[:1]), "put", "np.put(a, indices, t)"),
    (lambda a, t: a.max(initial=t[0]), "max", "np.maximum(a.max(), t)"),
])
def test_other_ndarray_methods_converting_a_tensor_are_named(call, named, advice):
    t = ad.tensor(np.array([0.3, -0.2, 1.4]), requires_grad=True)
    a = np.zeros(3)
    with pytest.warns(ad.TapeDropWarning) as caught:
        call(a, t)
    message = str(caught[0].message)
    assert f"by ndarray.{named}, a method of an ndarray" in message and advice in message


@pytest.mark.parametrize("call", [
    lambda a, k: np.nanvar(a, axis=1, where=k), lambda a, k: np.nanstd(a, axis=0, where=k),
    lambda a, k: np.nanmean(a, axis=1, where=k),
    lambda a, k: np.subtract(a, 1.0, where=k, out=np.zeros_like(a)),
    lambda a, k: np.exp(a, where=k, out=np.ones_like(a)),
])
def test_a_ufunc_on_ndarrays_under_a_tensor_mask_writing_into_an_ndarray_is_numpys(call):
    scores = ad.tensor(np.array([[0.3, -0.2, 1.4], [2.0, 0.5, -1.0]]), requires_grad=True)
    values = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 7.5]])
    expected = call(values, (scores > 0).numpy())
    got = call(values, scores > 0)
    assert type(got) is type(expected) and got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_a_ufunc_under_a_mask_with_a_tensor_input_still_records():
    t = ad.tensor(np.array([0.3, -0.2, 1.4]), requires_grad=True)
    out = np.multiply(t, 2.0, where=t > 0, out=t * 1.0)
    np.testing.assert_array_equal(out.numpy(), [0.6, -0.2, 2.8])
    out.sum().backward()
    np.testing.assert_array_equal(t.grad, [2.0, 1.0, 2.0])
