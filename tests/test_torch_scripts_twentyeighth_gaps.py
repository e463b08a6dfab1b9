"""What the twenty-eighth round of PyTorch scripts found unclear, checked by hand (no
torch needed):

- a pruning-like mask parametrization written for PyTorch's ``(out, in)`` weight
  (``w * self.mask`` with a mask buffer of PyTorch's shape) met a bare broadcasting
  error when registered on a ``Linear.weight``, stored ``(in, out)`` here; it now says
  so and names ``layout='out_in'``, with which the mask lands where PyTorch's does;
- ``t.flatten()`` with no dims is NumPy's ``ndarray.flatten``, a copy (its ``grad_fn``
  is ``CopyBackward0``, where PyTorch's is a ``ViewBackward0`` of a contiguous tensor):
  PyTorch's docs allow a copy, the values and gradients are PyTorch's, and
  ``flatten(0)`` (PyTorch's spelling with a dim) is a view;
- ``x.repeat(2, 1, 4)`` of a ``(3, 1)`` column (and ``ad.tile``) gave an array laid out
  from zero strides, not C-contiguous, so ``.view(6, 4)`` of it raised where PyTorch's
  ``repeat`` (and NumPy's ``tile``) give a new contiguous tensor; it is C-contiguous now;
- ``clone()`` of an expanded tensor (``x.unsqueeze(0).expand(3, 2, 3).clone()``) copied
  in NumPy's order 'K', which moves the expanded axis inward: the copy was not
  contiguous and ``.view(-1)`` of it raised, where PyTorch's ``clone`` lays it out as
  its ``infer_dense_strides`` does (row-major here); dense and strided tensors keep
  their layout as before;
- ``F.celu``'s gradient is the closed form, which PyTorch's is not for an ``alpha`` that
  float32 does not hold, as its docstring says.
"""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F

parametrize = ad.nn.utils.parametrize


class Mask(ad.nn.Module):
    def __init__(self, mask):
        super().__init__()
        self.register_buffer("mask", mask)

    def forward(self, w):
        return w * self.mask


def test_a_mask_of_pytorchs_weight_shape_names_the_out_in_layout():
    mask = np.array([[1.0, 0.0, 1.0, 1.0]] * 3 + [[0.0, 1.0, 1.0, 0.0]] * 2)    # (out, in)
    lin = ad.nn.Linear(4, 5)
    with pytest.raises(ValueError, match=r"Mask fails on Linear\.weight.*\(4, 5\).*"
                                         r"PyTorch's \(5, 4\).*layout='out_in'"):
        parametrize.register_parametrization(lin, "weight", Mask(ad.tensor(mask)))
    assert not parametrize.is_parametrized(lin)        # nothing half-registered
    stored = lin.weight.detach().numpy().copy()
    parametrize.register_parametrization(lin, "weight", Mask(ad.tensor(mask)),
                                         layout="out_in")
    np.testing.assert_array_equal(lin.weight.detach().numpy(), stored * mask.T)
    x = ad.tensor(np.ones((2, 4)))
    lin(x).sum().backward()
    grad = lin.parametrizations.weight.original.grad
    np.testing.assert_array_equal(np.asarray(grad) == 0, mask.T == 0)


def test_a_mask_that_fails_in_both_layouts_keeps_its_own_error():
    lin = ad.nn.Linear(4, 5)
    with pytest.raises(ValueError, match="broadcast") as caught:
        parametrize.register_parametrization(lin, "weight", Mask(ad.ones((3, 3))))
    assert "layout='out_in'" not in str(caught.value)


def test_a_square_mask_is_taken_without_an_error():
    lin = ad.nn.Linear(3, 3)
    stored = lin.weight.detach().numpy().copy()
    mask = np.tril(np.ones((3, 3)))
    with pytest.warns(ad.ConventionWarning, match="does not commute with the transpose"):
        parametrize.register_parametrization(lin, "weight", Mask(ad.tensor(mask)))
    np.testing.assert_array_equal(lin.weight.detach().numpy(), stored * mask)


def test_flatten_without_dims_is_numpys_copy_and_with_a_dim_a_view():
    x = ad.arange(6.0).reshape(2, 3).requires_grad_()
    flat, view = x.flatten(), x.flatten(0)
    assert flat.grad_fn.name() == "CopyBackward0"
    assert not np.shares_memory(flat.detach().numpy(), x.detach().numpy())
    assert np.shares_memory(view.detach().numpy(), x.detach().numpy())
    (flat * ad.arange(6.0)).sum().backward()
    np.testing.assert_array_equal(x.grad, np.arange(6.0).reshape(2, 3))
    ndarray = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(flat.detach().numpy(), ndarray.flatten())


def test_celu_gradient_is_the_closed_form_as_documented():
    x = np.array([-2.0, -0.4, 0.0, 0.8])
    t = ad.tensor(x, requires_grad=True)
    F.celu(t, alpha=1.3).sum().backward()
    np.testing.assert_allclose(t.grad, np.where(x < 0, np.exp(x / 1.3), 1.0), rtol=1e-15)
    assert "float32" in F.celu.__doc__


@pytest.mark.parametrize("shape", [(3, 1), (1,), (2, 3), (1, 1), ()])
@pytest.mark.parametrize("reps", [(2,), (1, 1), (2, 1, 4), (1, 3), (3, 1), (2, 2)])
def test_tile_and_torch_style_repeat_are_contiguous_as_numpys_tile(shape, reps):
    values = np.arange(float(np.prod(shape))).reshape(shape)
    tiled = ad.tile(ad.tensor(values), reps)
    assert tiled.data.flags.c_contiguous
    assert not np.shares_memory(tiled.data, values)
    np.testing.assert_array_equal(tiled.data, np.tile(values, reps))


def test_a_repeated_column_can_be_viewed_and_its_gradient_sums_the_copies():
    x = ad.tensor(np.arange(3.0).reshape(3, 1), requires_grad=True)
    repeated = x.repeat(2, 1, 4)
    assert repeated.is_contiguous() and repeated.stride() == (12, 4, 1)
    weights = np.arange(24.0).reshape(6, 4)
    (repeated.view(6, 4) * ad.tensor(weights)).sum().backward()
    by_copy = weights.reshape(2, 3, 4).sum(axis=(0, 2))
    np.testing.assert_array_equal(x.grad, by_copy.reshape(3, 1))


@pytest.mark.parametrize("make, strides", [
    (lambda x: x.unsqueeze(0).expand(3, 2, 3, 4), (24, 12, 4, 1)),
    (lambda x: x[:, :1].expand(2, 3, 4), (12, 4, 1)),
    (lambda x: x[0].unsqueeze(-1).expand(3, 4, 2), (8, 2, 1)),
    # PyTorch's order for an expanded view of a transpose: the new axis stays outermost
    (lambda x: x.transpose(0, 1).unsqueeze(0).expand(2, 3, 2, 4), (24, 4, 12, 1)),
    # layouts without a zero stride keep NumPy's order 'K', which is PyTorch's too
    (lambda x: x.permute(2, 0, 1), (1, 12, 4)),
    (lambda x: x.permute(2, 0, 1)[::2], (1, 6, 2)),
    (lambda x: x[:, ::2], (8, 4, 1)),
])
def test_clone_lays_out_an_expanded_view_as_pytorch(make, strides):
    x = ad.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    view = make(x)
    copied = view.clone()
    assert copied.stride() == strides
    np.testing.assert_array_equal(copied.detach().numpy(), view.detach().numpy())
    assert not np.shares_memory(copied.data, x.data)
    assert copied.grad_fn.name() == "CloneBackward0"


def test_the_clone_of_an_expanded_tensor_can_be_viewed_and_sums_its_gradient():
    x = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    flat = x.unsqueeze(0).expand(3, 2, 3).clone().view(-1)
    (flat * ad.arange(18.0)).sum().backward()
    np.testing.assert_array_equal(x.grad, np.arange(18.0).reshape(3, 2, 3).sum(axis=0))
