"""PyTorch's ``dim=()`` in every spelling (methods, ``ad.*`` functions, ``F.softmax``),
``torch.dtype`` arguments of ``to()``, and the one refusal of copies inside a
compiled function (deep copies and pickling at their start, unpickling as it rebuilds)."""

import copy
import inspect
import pickle

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError

A = np.arange(1.0, 7.0).reshape(2, 3)


# ----- dim=(): every dim for the reductions, none for all/any/squeeze, else refused ------

def _call(library, spelling, name, x, **kwargs):
    if spelling == "method":
        return getattr(x, name)(**kwargs)
    return getattr(library, name)(x, **kwargs)


@pytest.mark.filterwarnings("ignore::autodiff.ConventionWarning")    # (std's ddof)
@pytest.mark.parametrize("spelling", ["method", "function"])
@pytest.mark.parametrize("name", ["sum", "mean", "nansum", "nanmean", "std", "var",
                                  "amax", "amin", "count_nonzero"])
@pytest.mark.parametrize("empty", [(), []])
def test_an_empty_dim_reduces_every_dim_in_every_spelling(name, spelling, empty):
    got = _call(ad, spelling, name, ad.tensor(A), dim=empty)
    assert got.shape == ()
    want = _call(ad, "method", name, ad.tensor(A))
    np.testing.assert_allclose(got.data, want.data, rtol=1e-15)


@pytest.mark.parametrize("spelling", ["method", "function"])
@pytest.mark.parametrize("name", ["all", "any"])
def test_an_empty_dim_of_all_and_any_reduces_nothing_as_pytorch(name, spelling):
    values = np.array([[0.0, 1.0], [2.0, 0.0]])
    got = _call(ad, spelling, name, ad.tensor(values), dim=())
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got.data, values != 0)
    assert _call(ad, spelling, name, ad.tensor(values)).shape == ()      # no dim: all


def test_squeeze_of_an_empty_dim_removes_nothing_as_pytorch():
    x = ad.zeros((1, 2, 1))
    assert x.squeeze(dim=()).shape == (1, 2, 1)
    assert x.squeeze().shape == (2,)


@pytest.mark.parametrize("call", [
    lambda x: ad.prod(x, dim=()), lambda x: x.prod(dim=()), lambda x: ad.prod(x, dim=[]),
    lambda x: ad.softmax(x, dim=()), lambda x: x.softmax(dim=()),
    lambda x: ad.nn.functional.log_softmax(x, dim=[]), lambda x: ad.cumsum(x, dim=()),
    lambda x: ad.max(x, dim=()),
], ids=["ad.prod", "t.prod", "ad.prod[]", "ad.softmax", "t.softmax", "F.log_softmax",
        "ad.cumsum", "ad.max"])
def test_an_empty_dim_is_refused_where_pytorch_takes_one_dim(call):
    with pytest.raises(TypeError, match=r"dim=\(\) .*names no dim.* takes one dim"):
        call(ad.tensor(A))


def test_numpys_axis_keeps_numpys_meaning():
    x = ad.tensor(A)
    assert ad.sum(x, axis=()).shape == (2, 3) and np.sum(x, axis=()).shape == (2, 3)
    assert np.all(x, axis=()).shape == (2, 3) and x.squeeze(axis=()).shape == (2, 3)
    assert ad.prod(x, axis=()).shape == (2, 3) and np.prod(x, axis=()).shape == (2, 3)


@pytest.mark.parametrize("name", ["sum", "mean", "nansum", "nanmean", "all", "any"])
def test_empty_dims_match_torch(name):
    torch = pytest.importorskip("torch")
    values = np.array([[0.0, 1.5], [-2.0, 0.0]])
    for spelling in ("method", "function"):
        ours = _call(ad, spelling, name, ad.tensor(values), dim=())
        theirs = _call(torch, spelling, name, torch.tensor(values), dim=())
        assert ours.shape == tuple(theirs.shape), (name, spelling)
        np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_an_empty_dim_keeps_the_gradient_of_every_entry():
    x = ad.tensor(A, requires_grad=True)
    ad.sum(x ** 2, dim=()).backward()
    np.testing.assert_allclose(x.grad, 2 * A, rtol=1e-15)
    y = ad.tensor(A, requires_grad=True)
    y.nanmean(dim=()).backward()
    np.testing.assert_allclose(y.grad, np.full(A.shape, 1 / 6), rtol=1e-15)


# ----- torch dtypes -----------------------------------------------------------------------

def test_to_takes_a_torch_dtype_as_numpys_of_the_same_name():
    torch = pytest.importorskip("torch")
    x = ad.tensor([1.5, -2.5], requires_grad=True)
    for torch_dtype, numpy_dtype in [(torch.float32, np.float32), (torch.float16, np.float16),
                                     (torch.int64, np.int64), (torch.bool, np.bool_),
                                     (torch.complex128, np.complex128)]:
        assert x.to(torch_dtype).dtype == numpy_dtype
        assert x.to("cpu", torch_dtype).dtype == numpy_dtype
        assert x.to(dtype=torch_dtype).dtype == numpy_dtype
    x.to(torch.float32).sum().backward()            # a float conversion stays on the tape
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    assert ad.tensor([1], dtype=torch.int32).dtype == np.int32
    with pytest.raises(TypeError, match="NumPy has no bfloat16"):
        x.to(torch.bfloat16)
    with pytest.raises(TypeError, match=r"to: torch.complex32 has no NumPy counterpart"):
        x.to(torch.complex32)


# ----- copies inside a compiled function: one refusal, both messages' information -------

def test_an_unpickled_tensor_inside_a_compiled_function_is_refused_naming_type_and_line():
    blob = pickle.dumps(ad.nn.Parameter(np.ones(3)))
    line = inspect.currentframe().f_lineno + 1
    compiled = ad.compile(lambda x: pickle.loads(blob) * x)
    with pytest.raises(TraceError) as raised:
        compiled(ad.tensor(np.arange(3.0)))
    message = str(raised.value)
    assert message.startswith(f"compile: pickle.loads, which makes a Parameter at "
                              f"test_left_fifteenth_conventions.py:{line} in the compiled "
                              "function <lambda>")
    for words in ("each eager call copies the current ones", "target_w.copy_(w)",
                  "t.clone() is recorded and replayed"):
        assert words in message


def test_a_deep_copy_inside_a_compiled_function_says_how_to_keep_a_copy_updated():
    model = ad.nn.Linear(2, 1, rng=0)

    def step(x):
        return copy.deepcopy(model)(x).sum()
    with pytest.raises(TraceError) as raised:
        ad.compile(step)(ad.tensor(np.ones((1, 2))))
    message = str(raised.value)
    assert message.startswith("compile: copy.deepcopy of a tensor (or of a module holding one)")
    assert "in the compiled function step" in message
    for words in ("each eager call copies the current ones", "target_w.copy_(w)",
                  "t.clone() is recorded and replayed"):
        assert words in message


def test_copies_outside_and_recorded_copies_inside_still_work():
    model = ad.nn.Linear(2, 1, rng=0)
    twin = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(twin.weight.data, model.weight.data)
    assert copy.deepcopy(model).weight is not model.weight
    compiled = ad.compile(lambda x: (x.clone() * 2).sum())
    for values in ([1.0, 2.0], [3.0, 4.0]):
        assert compiled(ad.tensor(values)).item() == 2 * sum(values)
