"""``load_state_dict(assign=True)`` on a model with tied parameters (one Parameter
shared by two layers): the tie survives when the state gives both keys equal values
(``state_dict()`` of a tied model does), so optimizers built after see one parameter;
different values break it with a warning.  PyTorch's assign=True makes two Parameters
sharing memory there, which ``parameters()`` lists twice (checked below)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn


class Tied(nn.Module):
    def __init__(self, rng=None):
        super().__init__()
        self.encoder = nn.Linear(4, 4, rng=rng)
        self.decoder = nn.Linear(4, 4, rng=rng)
        self.decoder.weight = self.encoder.weight

    def forward(self, x):
        return self.decoder(ad.tanh(self.encoder(x)))


def test_tie_survives_assign_with_a_tied_state_and_an_optimizer_sees_one_parameter():
    source = Tied(rng=1)
    model = Tied(rng=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        keys = model.load_state_dict(source.state_dict(), assign=True)
    assert keys.missing_keys == [] and keys.unexpected_keys == []
    assert model.decoder.weight is model.encoder.weight
    np.testing.assert_array_equal(model.encoder.weight.data, source.encoder.weight.data)
    assert len(list(model.parameters())) == 3
    optimizer = ad.optim.SGD(model.parameters(), lr=0.1)
    assert sum(len(group["params"]) for group in optimizer.param_groups) == 3
    before = model.encoder.weight.data.copy()
    model(ad.ones((2, 4))).sum().backward()
    optimizer.step()
    # one update, of the sum of both layers' gradients, seen through both names
    assert not np.array_equal(model.encoder.weight.data, before)
    assert model.decoder.weight is model.encoder.weight


def test_equal_values_from_different_arrays_keep_the_tie():
    model = Tied(rng=3)
    state = {key: np.array(value) for key, value in Tied(rng=4).state_dict().items()}
    state["decoder.weight"] = state["encoder.weight"].copy()
    model.load_state_dict(state, assign=True)
    assert model.decoder.weight is model.encoder.weight


def test_different_values_break_the_tie_with_a_warning_naming_both_keys():
    model = Tied(rng=5)
    state = dict(Tied(rng=6).state_dict())
    state["decoder.weight"] = np.zeros((4, 4))
    with pytest.warns(UserWarning, match=r"'encoder.weight' and 'decoder.weight' were one "
                                         r"\(tied\) parameter") as caught:
        model.load_state_dict(state, assign=True)
    assert caught[0].filename == __file__
    assert model.decoder.weight is not model.encoder.weight
    np.testing.assert_array_equal(model.decoder.weight.data, 0.0)
    assert len(list(model.parameters())) == 4


def test_copying_load_keeps_the_tie():
    model = Tied(rng=7)
    model.load_state_dict(Tied(rng=8).state_dict())
    assert model.decoder.weight is model.encoder.weight


def test_torchs_assign_makes_two_parameters_sharing_memory():
    torch = pytest.importorskip("torch")

    class TorchTied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = torch.nn.Linear(4, 4)
            self.decoder = torch.nn.Linear(4, 4)
            self.decoder.weight = self.encoder.weight

    model = TorchTied()
    model.load_state_dict(TorchTied().state_dict(), assign=True)
    assert model.decoder.weight is not model.encoder.weight
    assert model.decoder.weight.data_ptr() == model.encoder.weight.data_ptr()
    assert len(list(model.parameters())) == 4
