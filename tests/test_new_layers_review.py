"""GroupNorm and the recurrent layers refuse inputs and states whose dtype differs from
the layer's parameters (as PyTorch does) instead of silently computing in another dtype,
and an LSTM refuses an initial state pair with a missing member."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F


@pytest.mark.parametrize("model_dtype, input_dtype", [(np.float64, np.float32),
                                                      (np.float32, np.float64)])
def test_group_norm_refuses_an_input_of_another_dtype_than_its_parameters(model_dtype,
                                                                           input_dtype):
    gn = nn.GroupNorm(2, 4, dtype=model_dtype)
    x = ad.tensor(np.arange(24.0).reshape(2, 4, 3).astype(input_dtype))
    with pytest.raises(TypeError, match=r"GroupNorm\(2, 4.*" + np.dtype(input_dtype).name
                       + r".*" + np.dtype(model_dtype).name):
        gn(x)
    with pytest.raises(TypeError, match="group_norm"):
        F.group_norm(x, 2, gn.weight, gn.bias)


def test_group_norm_with_matching_or_no_parameters_keeps_the_input_dtype():
    x = np.arange(24.0).reshape(2, 4, 3).astype(np.float32)
    assert nn.GroupNorm(2, 4, dtype=np.float32)(ad.tensor(x)).dtype == np.float32
    assert nn.GroupNorm(2, 4, affine=False)(ad.tensor(x)).dtype == np.float32
    assert F.group_norm(ad.tensor(x), 2).dtype == np.float32
    out = nn.GroupNorm(2, 4)(ad.tensor(x.astype(np.float64)))
    grouped = x.astype(np.float64).reshape(2, 2, 6)
    want = (grouped - grouped.mean(-1, keepdims=True)) / np.sqrt(grouped.var(-1, keepdims=True)
                                                                  + 1e-5)
    np.testing.assert_allclose(out.data, want.reshape(2, 4, 3), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("model_dtype, input_dtype", [(np.float64, np.float32),
                                                      (np.float32, np.float64)])
def test_recurrent_layers_refuse_an_input_of_another_dtype(kind, model_dtype, input_dtype):
    layer = getattr(nn, kind)(3, 4, rng=0, dtype=model_dtype)
    x = ad.tensor(np.ones((5, 2, 3), dtype=input_dtype))
    with pytest.raises(TypeError, match=kind + r"\(3, 4.*" + np.dtype(input_dtype).name
                       + r".*" + np.dtype(model_dtype).name):
        layer(x)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_recurrent_layers_refuse_a_state_of_another_dtype(kind):
    layer = getattr(nn, kind)(3, 4, rng=0, dtype=np.float32)
    x = ad.tensor(np.ones((5, 2, 3), dtype=np.float32))
    h0 = ad.tensor(np.zeros((1, 2, 4)))                     # float64
    state = (h0, ad.tensor(np.zeros((1, 2, 4), np.float32))) if kind == "LSTM" else h0
    with pytest.raises(TypeError, match=kind + r".*h_0.*float64.*float32"):
        layer(x, state)
    good = ad.tensor(np.zeros((1, 2, 4), np.float32))
    out, _ = layer(x, (good, good) if kind == "LSTM" else good)
    assert out.dtype == np.float32


def test_lstm_refuses_a_state_pair_with_a_missing_member():
    lstm = nn.LSTM(3, 4, rng=0)
    x = ad.tensor(np.ones((5, 2, 3)))
    h0 = np.full((1, 2, 4), 0.5)
    with pytest.raises(TypeError, match=r"LSTM\(3, 4.*c_0.*None"):
        lstm(x, (h0, None))
    with pytest.raises(TypeError, match=r"LSTM\(3, 4.*h_0.*None"):
        lstm(x, (None, h0))


def test_layer_norm_refuses_weights_of_another_dtype_than_the_input():
    layer = ad.nn.LayerNorm(4, dtype=np.float32)
    with pytest.raises(TypeError, match=r"LayerNorm\(4, eps=1e-05\): the input is float64 but "
                                        r"weight is float32"):
        layer(ad.tensor(np.zeros((2, 4))))
    assert layer(ad.tensor(np.zeros((2, 4), np.float32))).dtype == np.float32
