"""``load_state_dict`` / ``load_torch_state_dict`` with ``strict=``, as in PyTorch."""

import numpy as np
import pytest

import autodiff as ad

nn = ad.nn


def _model(seed):
    return nn.Sequential(nn.Linear(3, 4, rng=seed), nn.ReLU(), nn.Linear(4, 2, rng=seed + 1))


def test_strict_load_returns_no_incompatible_keys():
    model = _model(0)
    keys = model.load_state_dict(_model(5).state_dict())
    assert keys == ([], []) and keys.missing_keys == [] and keys.unexpected_keys == []


def test_non_strict_load_fills_the_keys_both_have_and_returns_the_others():
    model, source = _model(0), _model(5)
    old_bias = model[0].bias.data.copy()
    state = {k: v for k, v in source.state_dict().items() if k != "0.bias"}
    state["head.weight"] = np.zeros((2, 2))
    keys = model.load_state_dict(state, strict=False)
    assert keys.missing_keys == ["0.bias"] and keys.unexpected_keys == ["head.weight"]
    np.testing.assert_array_equal(model[0].weight.data, source[0].weight.data)
    np.testing.assert_array_equal(model[2].weight.data, source[2].weight.data)
    np.testing.assert_array_equal(model[0].bias.data, old_bias)      # left as it was


def test_strict_load_names_the_keys_and_how_to_load_the_rest():
    model = _model(0)
    state = {k: v for k, v in _model(5).state_dict().items() if k != "0.bias"}
    before = model[0].weight.data.copy()
    with pytest.raises(KeyError, match=r"missing keys \['0.bias'\].*strict=False"):
        model.load_state_dict(state)
    np.testing.assert_array_equal(model[0].weight.data, before)     # nothing changed


def test_non_strict_load_still_refuses_a_wrong_shape():
    model = _model(0)
    before = model[2].weight.data.copy()
    with pytest.raises(ValueError, match="'0.weight' has shape"):
        model.load_state_dict({"0.weight": np.zeros((4, 3)), "2.weight": np.ones((4, 2))},
                              strict=False)
    np.testing.assert_array_equal(model[2].weight.data, before)     # nothing changed


def test_strict_must_be_a_bool():
    with pytest.raises(TypeError, match="strict must be True or False"):
        _model(0).load_state_dict({}, strict="no")


def test_non_strict_torch_load_skips_whole_modules_it_lacks():
    source, model = _model(0), _model(5)
    state = source.to_torch_state_dict()
    del state["0.weight"], state["0.bias"]
    old_first = model[0].weight.data.copy()
    keys = model.load_torch_state_dict(state, strict=False)
    assert keys.missing_keys == ["0.weight", "0.bias"] and keys.unexpected_keys == []
    np.testing.assert_array_equal(model[2].weight.data, source[2].weight.data)
    np.testing.assert_array_equal(model[0].weight.data, old_first)


def test_non_strict_torch_load_refuses_part_of_a_converted_module():
    # A Linear's weight is transposed from PyTorch's layout: half of it cannot be loaded.
    model = _model(0)
    state = _model(5).to_torch_state_dict()
    del state["0.weight"]
    before = model[0].bias.data.copy()
    with pytest.raises(KeyError, match=r"lacks \['0.weight'\].*Linear at '0'"):
        model.load_torch_state_dict(state, strict=False)
    np.testing.assert_array_equal(model[0].bias.data, before)
