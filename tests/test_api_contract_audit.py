"""Probes of the public contract (docs' API page) as an outside test suite would write
them: each test pins one behaviour the contract states and the package got wrong."""

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn


def test_step_with_no_gradient_at_all_names_the_parameters():
    # The contract: step() warns naming the parameter that got no gradient; with a
    # single parameter, used only as a `where` condition, the warning named none.
    q = nn.Parameter(np.ones(2), name="q")
    opt = ad.optim.SGD([q], lr=0.1)
    (ad.where(q > 0, 1.0, 0.0).sum() + ad.tensor(1.0, requires_grad=True)).backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt.step()
    (message,) = [str(w.message) for w in caught if w.category is ad.NoGradientWarning]
    assert "'q'" in message and "ad.explain" in message
    assert caught[0].filename == __file__


@pytest.mark.parametrize("call", [
    lambda x: ad.concatenate([x, x], axis=0, dim=1), lambda x: ad.stack([x, x], axis=0, dim=1),
    lambda x: ad.split(x, 2, axis=0, dim=1)], ids=["concatenate", "stack", "split"])
def test_axis_0_and_dim_together_is_an_error(call):
    # An explicit axis=0 was taken for the default and dim= silently won.
    with pytest.raises(TypeError, match="got both axis=0 and dim=1"):
        call(ad.tensor(np.ones((2, 2))))


def test_axis_0_alone_and_dim_alone_still_work():
    a = np.arange(4.0).reshape(2, 2)
    x = ad.tensor(a)
    np.testing.assert_array_equal(ad.concatenate([x, x], axis=0).data, np.concatenate([a, a]))
    np.testing.assert_array_equal(ad.stack([x, x], dim=1).data, np.stack([a, a], 1))
    assert [p.shape for p in ad.split(x, 2, axis=0)] == [(1, 2), (1, 2)]
    assert [p.shape for p in np.split(x, 2)] == [(1, 2), (1, 2)]


def test_a_values_indices_pair_used_as_a_tensor_says_what_it_is():
    pair = ad.tensor(np.ones((2, 3))).max(dim=1)
    with pytest.raises(AttributeError, match=r"\(values, indices\) pair.*\.values.*axis="):
        pair.sum()


def test_an_elementwise_error_other_than_broadcasting_gets_no_broadcasting_hint():
    with pytest.raises(ValueError, match=r"^power: Integers to negative") as info:
        ad.tensor([1, 2]) ** -1
    assert "broadcast" not in str(info.value)
    with pytest.raises(ValueError, match="could not be broadcast.*aligned from the right"):
        ad.tensor(np.ones(3)) + ad.tensor(np.ones(2))


def test_backward_refuses_a_leaf_whose_data_was_set_to_integers():
    # Integer tensors cannot require grad; .data = int_array got past that, and the
    # gradient was rounded to the leaf's integer dtype.
    layer = nn.Linear(2, 2)
    layer.weight.data = np.array([[1, 0], [0, 1]])
    loss = layer(ad.tensor(np.full((3, 2), 0.5))).sum()
    with pytest.raises(TypeError, match=r"leaf tensor 'weight' \(shape \(2, 2\)\).*int64"):
        loss.backward()


def test_index_and_axis_hints_come_only_with_the_errors_they_explain():
    x = ad.tensor(np.ones((4, 5)))
    with pytest.raises(IndexError, match="boolean index did not match") as mask:
        x[np.array([True, False])]
    assert "valid indices" not in str(mask.value)
    with pytest.raises(IndexError, match="out of bounds.*valid indices are -n ... n-1"):
        x[4]
    with pytest.raises(ValueError, match="empty max has no value") as empty:
        ad.max(ad.tensor(np.zeros((0, 3))))
    assert "axis must be" not in str(empty.value)


def test_transpose_function_with_axes_one_by_one_says_how_to_write_it():
    # It failed inside the op's forward ("takes from 1 to 2 positional arguments").
    # Two dims are PyTorch's swap (test_torch_scripts_sixth_gaps.py); more are refused.
    x = ad.tensor(np.ones((2, 3, 4)))
    with pytest.raises(TypeError, match=r"one by one.*one tuple.*ad\.swapaxes"):
        ad.transpose(x, 1, 0, 2)
    assert ad.transpose(x, 0, 2).shape == (4, 3, 2)
    assert ad.transpose(x, (2, 0, 1)).shape == (4, 2, 3)
    assert x.transpose(0, 2).shape == (4, 3, 2)


def test_value_and_grad_errors_name_value_and_grad():
    with pytest.raises(TypeError, match=r"^value_and_grad: the function must return a scalar"):
        ad.value_and_grad(lambda a: a ** 3)(np.ones(2))
    with pytest.raises(TypeError, match=r"^grad: the function must return a scalar"):
        ad.grad(lambda a: a ** 3)(np.ones(2))
    value, grads = ad.value_and_grad(lambda d: (d["a"] ** 2).sum())({"a": np.ones(2)})
    np.testing.assert_array_equal(grads["a"], [2.0, 2.0])


def test_size_is_numpys_count_and_answers_pytorchs_call():
    # t.size() failed with Python's "'int' object is not callable".
    t = ad.tensor(np.zeros((2, 3)))
    assert t.size == 6 and isinstance(t.size, int)
    assert t.size() == (2, 3) and t.size(0) == 2 and t.size(-1) == 3
    assert ad.tensor(1.0).size == 1 and ad.tensor(1.0).size() == ()
    with pytest.raises(IndexError, match=r"size\(2\): dim is out of range.*-2 \.\.\. 1"):
        t.size(2)


class _ComplexGradient(ad.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return grad * (2 + 0j)


def test_a_complex_gradient_from_a_custom_backward_is_refused():
    # It was cast to the input's float dtype, the imaginary part dropped with only
    # NumPy's ComplexWarning.
    x = ad.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"_ComplexGradient.backward: the gradient for "
                                        r"input 0 is complex \(complex128\)"):
        _ComplexGradient.apply(x).sum().backward()

    @ad.custom_gradient
    def double(v):
        return v * 2, lambda g: g * 2j

    with pytest.raises(TypeError, match="double.backward: .* is complex"):
        double(ad.tensor([1.0], requires_grad=True)).sum().backward()
