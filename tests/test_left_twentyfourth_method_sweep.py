"""Tensor methods on 0-d, size-1 and empty tensors beside PyTorch's.  The sweep found
``softmax``/``log_softmax`` of an empty tensor raising NumPy's "zero-size array to
reduction operation maximum" (with advice to pass ``initial=``), where PyTorch returns
an empty tensor; they now return it, with an empty gradient.  The other differences are
deliberate and loud or documented (checked below)."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

SHAPES_AND_DIMS = [((0,), 0), ((2, 0), 0), ((2, 0), 1), ((0, 3), -1), ((0, 3), 0)]


@pytest.mark.parametrize("shape, dim", SHAPES_AND_DIMS)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_an_empty_tensor_is_empty_as_torchs(name, shape, dim):
    torch = pytest.importorskip("torch")
    x = ad.tensor(np.zeros(shape), requires_grad=True)
    out = getattr(x, name)(dim)
    theirs = getattr(torch.zeros(shape, dtype=torch.float64), name)(dim)
    assert out.shape == tuple(theirs.shape) and out.dtype == np.float64
    out.sum().backward()
    assert x.grad.shape == shape
    functional = getattr(ad.nn.functional, name)(ad.tensor(np.zeros(shape, np.float32)),
                                                 dim=dim)
    assert functional.shape == shape and functional.dtype == np.float32


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_an_empty_tensor_with_an_axis_it_lacks_still_raises(name):
    with pytest.raises(np.exceptions.AxisError, match=f"{name}: axis 5 is out of bounds"):
        getattr(ad.tensor(np.zeros((0,))), name)(5)


def test_non_empty_softmax_unchanged():
    x = ad.tensor([[0.0, 0.0], [0.0, np.log(3.0)]])
    np.testing.assert_allclose(x.softmax(-1).data, [[0.5, 0.5], [0.25, 0.75]])


@pytest.mark.parametrize("data", [np.array(2.0), np.array([2.0]), np.zeros((0,))],
                         ids=["0-d", "size-1", "empty"])
def test_the_loud_differences_stay_loud(data):
    t = ad.tensor(data)
    for call in (lambda: t.sort(), lambda: t.nonzero(), lambda: t.repeat(2),
                 lambda: t.max(0)):
        with pytest.raises(TypeError):
            call()


def test_var_and_std_of_one_entry_are_numpys_zero():
    # (ddof=0 by default, as API.md says; PyTorch's unbiased estimate is NaN here)
    assert ad.tensor([2.0]).var().item() == 0.0
    assert ad.tensor(2.0).std().item() == 0.0
