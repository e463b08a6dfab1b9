"""ad.from_dlpack of an autodiff Tensor: memory shared as for any DLPack exporter, and a
tensor that requires grad leaves the tape loudly, as np.from_dlpack(t) and np.asarray(t)
do (PyTorch's from_dlpack refuses such a tensor outright with a BufferError)."""

import warnings

import numpy as np
import pytest

import autodiff as ad


def test_a_plain_tensor_is_viewed_silently():
    x = ad.tensor([1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        viewed = ad.from_dlpack(x)
    assert viewed.data_ptr() == x.data_ptr() and not viewed.requires_grad


def test_a_tensor_that_requires_grad_warns_at_the_users_line():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(ad.TapeDropWarning, match="ad.from_dlpack") as caught:
        viewed = ad.from_dlpack(x)
    assert caught[0].filename == __file__
    assert viewed.data_ptr() == x.data_ptr() and not viewed.requires_grad
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ad.from_dlpack(x.detach()).tolist() == [1.0, 2.0]


def test_inside_a_transform_it_raises():
    with pytest.raises(TypeError, match="inside a transform"):
        ad.grad(lambda t: (t * ad.from_dlpack(t)).sum())(np.ones(2))


def test_torch_refuses_the_same_export():
    torch = pytest.importorskip("torch")
    with pytest.raises(BufferError, match="detach"):
        torch.from_dlpack(torch.ones(2, requires_grad=True))
    plain = torch.ones(2)
    assert torch.from_dlpack(plain).data_ptr() == plain.data_ptr()
