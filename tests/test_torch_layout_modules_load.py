"""Modules whose arrays are in PyTorch's layout (convolutions, transposed convolutions,
``EmbeddingBag``) load a PyTorch ``state_dict`` with ``load_state_dict`` as they load
their own: only a module that converts layouts (``Linear``) asks for
``load_torch_state_dict``.  Before, these three declared layout hooks that convert
nothing, and the refusal said they keep arrays "in another layout than PyTorch's"."""

import numpy as np
import pytest

import autodiff as ad


@pytest.mark.parametrize("name, args", [
    ("Conv1d", (3, 4, 3)), ("Conv2d", (3, 4, 3)), ("Conv3d", (2, 3, 2)),
    ("ConvTranspose1d", (3, 4, 3)), ("ConvTranspose2d", (3, 4, 3)),
    ("EmbeddingBag", (10, 4)),
])
def test_a_pytorch_state_dict_of_a_module_in_pytorchs_layout_loads(name, args):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args).double()
    ours = getattr(ad.nn, name)(*args, dtype=np.float64)
    ours.load_state_dict(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key], value.numpy())
    np.testing.assert_array_equal(
        ours.to_torch_state_dict()["weight"], theirs.state_dict()["weight"].numpy())


def test_a_linear_still_asks_for_load_torch_state_dict():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="Linear keeps some arrays in another layout.*"
                                        "load_torch_state_dict"):
        ad.nn.Linear(3, 2).load_state_dict(torch.nn.Linear(3, 2).state_dict())


def test_the_same_arrays_load_from_numpy_either_way():
    conv = ad.nn.Conv2d(2, 3, 3, rng=0)
    state = {k: np.full(v.shape, 0.5) for k, v in conv.state_dict().items()}
    other = ad.nn.Conv2d(2, 3, 3, rng=1)
    other.load_state_dict(state)
    again = ad.nn.Conv2d(2, 3, 3, rng=2)
    again.load_torch_state_dict(state)
    for key in state:
        np.testing.assert_array_equal(other.state_dict()[key], again.state_dict()[key])
