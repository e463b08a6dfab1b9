"""LSTM and GRU: forwards against the equations written out (tests/nn_reference.py),
gradients against finite differences (first order for the layers, second order for
the recurrence ops), PyTorch's layouts in the state hooks, and errors."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import nn_reference as ref


def torch_layout_params(model):
    """Per layer (W_ih (G*H, in), W_hh (G*H, H), b_ih, b_hh) in PyTorch's layout."""
    sd = model._torch_export(model.state_dict())
    out = []
    for layer in range(model.num_layers):
        gates = sd[f"weight_hh_l{layer}"].shape[0]
        zeros = np.zeros(gates)
        out.append((sd[f"weight_ih_l{layer}"], sd[f"weight_hh_l{layer}"],
                    sd.get(f"bias_ih_l{layer}", zeros), sd.get(f"bias_hh_l{layer}", zeros)))
    return out


def _with_params(model, arrays):
    """Make the forward read ``arrays`` (Tensors from gradcheck) instead of the parameters;
    the registered parameters stay as they are."""
    for name, value in zip([n for n, _ in model.named_parameters()], arrays):
        object.__setattr__(model, name, value)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_lstm_forward_matches_the_equations(batch_first, bias):
    rng = np.random.default_rng(0)
    lstm = ad.nn.LSTM(3, 4, num_layers=2, bias=bias, batch_first=batch_first, rng=0)
    x = rng.standard_normal((5, 2, 3))
    h0, c0 = rng.standard_normal((2, 2, 4)), rng.standard_normal((2, 2, 4))
    out, (h_n, c_n) = lstm(ad.tensor(x.swapaxes(0, 1) if batch_first else x), (h0, c0))
    want, want_h, want_c = ref.lstm(x, torch_layout_params(lstm), h0, c0)
    got = out.data.swapaxes(0, 1) if batch_first else out.data
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h_n.data, want_h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c_n.data, want_c, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("batch_first", [False, True])
def test_gru_forward_matches_the_equations(batch_first):
    rng = np.random.default_rng(1)
    gru = ad.nn.GRU(3, 4, num_layers=2, batch_first=batch_first, rng=1)
    x = rng.standard_normal((6, 2, 3))
    h0 = rng.standard_normal((2, 2, 4))
    out, h_n = gru(ad.tensor(x.swapaxes(0, 1) if batch_first else x), h0)
    want, want_h = ref.gru(x, torch_layout_params(gru), h0)
    got = out.data.swapaxes(0, 1) if batch_first else out.data
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h_n.data, want_h, rtol=1e-12, atol=1e-12)


def test_zero_initial_state_is_the_default_and_unbatched_input_works():
    rng = np.random.default_rng(2)
    lstm = ad.nn.LSTM(2, 3, rng=2)
    x = rng.standard_normal((4, 1, 2))
    out, (h, c) = lstm(ad.tensor(x))
    out0, (h0, c0) = lstm(ad.tensor(x), (np.zeros((1, 1, 3)), np.zeros((1, 1, 3))))
    np.testing.assert_array_equal(out.data, out0.data)
    single, (hs, cs) = lstm(ad.tensor(x[:, 0]))
    assert single.shape == (4, 3) and hs.shape == (1, 3)
    np.testing.assert_allclose(single.data, out.data[:, 0], rtol=1e-14)
    gru = ad.nn.GRU(2, 3, rng=3)
    single, h = gru(ad.tensor(x[:, 0]))
    assert single.shape == (4, 3) and h.shape == (1, 3)


@pytest.mark.parametrize("batch_first", [False, True])
def test_lstm_gradcheck_through_inputs_states_and_every_parameter(batch_first):
    rng = np.random.default_rng(4)
    lstm = ad.nn.LSTM(2, 3, num_layers=2, batch_first=batch_first, rng=4)
    x = rng.standard_normal((2, 3, 2) if batch_first else (3, 2, 2))
    h0, c0 = rng.standard_normal((2, 2, 3)), rng.standard_normal((2, 2, 3))
    params = [p.data.copy() for p in lstm.parameters()]
    weights = rng.standard_normal(x.shape[:2] + (3,))

    def f(x, h0, c0, *ps):
        _with_params(lstm, ps)
        out, (h, c) = lstm(x, (h0, c0))
        return (out * weights).sum() + (h * c).sum()
    assert ad.gradcheck(f, [x, h0, c0] + params)


def test_gru_gradcheck_through_inputs_state_and_every_parameter():
    rng = np.random.default_rng(5)
    gru = ad.nn.GRU(2, 3, num_layers=2, batch_first=True, rng=5)
    x = rng.standard_normal((2, 4, 2))
    h0 = rng.standard_normal((2, 2, 3))
    params = [p.data.copy() for p in gru.parameters()]
    weights = rng.standard_normal((2, 4, 3))

    def f(x, h0, *ps):
        _with_params(gru, ps)
        out, h = gru(x, h0)
        return (out * weights).sum() + (h ** 2).sum()
    assert ad.gradcheck(f, [x, h0] + params)


def test_second_order_through_the_layers():
    rng = np.random.default_rng(6)
    lstm = ad.nn.LSTM(2, 2, rng=6)
    gru = ad.nn.GRU(2, 2, rng=7)
    x = rng.standard_normal((3, 1, 2))
    assert ad.gradgradcheck(lambda t: (lstm(t)[0] ** 2).sum(), [x])
    assert ad.gradgradcheck(lambda t: (gru(t)[0] ** 2).sum(), [x])


def test_float32_large_batch_matches_float64():
    # Big enough for the compiled LSTM step (when the JIT is on).
    rng = np.random.default_rng(8)
    lstm64 = ad.nn.LSTM(16, 32, rng=8)
    lstm32 = ad.nn.LSTM(16, 32, rng=8, dtype=np.float32)
    x = rng.standard_normal((5, 24, 16))
    g = rng.standard_normal((5, 24, 32))
    out64, _ = lstm64(ad.tensor(x))
    out32, _ = lstm32(ad.tensor(x.astype(np.float32)))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32.data, out64.data, atol=2e-6)
    out64.backward(g)
    out32.backward(g.astype(np.float32))
    for p32, p64 in zip(lstm32.parameters(), lstm64.parameters()):
        assert p32.grad.dtype == np.float32
        np.testing.assert_allclose(p32.grad, p64.grad, rtol=1e-4, atol=1e-4)


def test_state_hooks_give_pytorch_layouts_and_invert():
    lstm = ad.nn.LSTM(5, 3, num_layers=2, rng=0)
    sd = lstm.state_dict()
    assert sd["weight_ih_l0"].shape == (5, 12) and sd["weight_hh_l1"].shape == (3, 12)
    torch_sd = lstm._torch_export(dict(sd))
    assert sorted(torch_sd) == sorted(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0",
                                       "bias_hh_l0", "weight_ih_l1", "weight_hh_l1",
                                       "bias_ih_l1", "bias_hh_l1"])
    assert torch_sd["weight_ih_l0"].shape == (12, 5)
    assert torch_sd["weight_hh_l0"].shape == (12, 3)
    assert torch_sd["bias_ih_l0"].shape == (12,)
    back = lstm._torch_import(torch_sd)
    for name in sd:
        np.testing.assert_array_equal(back[name], sd[name])
    np.testing.assert_array_equal(lstm.to_torch_state_dict()["weight_ih_l1"],
                                  sd["weight_ih_l1"].T)
    other = ad.nn.LSTM(5, 3, num_layers=2, rng=1)
    other.load_torch_state_dict(lstm.to_torch_state_dict())
    x = ad.tensor(np.random.default_rng(0).standard_normal((4, 2, 5)))
    np.testing.assert_array_equal(other(x)[0].data, lstm(x)[0].data)
    gru = ad.nn.GRU(4, 2, bias=False, rng=0)
    assert {k: v.shape for k, v in gru._torch_export(gru.state_dict()).items()} == {
        "weight_ih_l0": (6, 4), "weight_hh_l0": (6, 2)}


def test_init_is_uniform_in_one_over_sqrt_hidden():
    lstm = ad.nn.LSTM(10, 16, rng=0)
    for p in lstm.parameters():
        assert np.abs(p.data).max() <= 0.25 and np.abs(p.data).max() > 0.2


def test_errors_name_the_layer_what_it_expected_and_what_it_got():
    lstm = ad.nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=r"LSTM\(3, 4, num_layers=2\): expected input_size 3.*"
                                         r"got shape \(5, 2, 7\)"):
        lstm(ad.tensor(np.zeros((5, 2, 7))))
    with pytest.raises(ValueError, match=r"expected input of shape \(T, B, input\)"):
        lstm(ad.tensor(np.zeros((5, 2, 2, 3))))
    with pytest.raises(ValueError, match=r"expected h_0 of shape \(2, 2, 4\).*got \(1, 2, 4\)"):
        lstm(ad.tensor(np.zeros((5, 2, 3))), (np.zeros((1, 2, 4)), np.zeros((2, 2, 4))))
    with pytest.raises(TypeError, match=r"pair \(h_0, c_0\)"):
        lstm(ad.tensor(np.zeros((5, 2, 3))), np.zeros((2, 2, 4)))
    with pytest.raises(ValueError, match=r"GRU\(3, 4, num_layers=1\).*\(B, T, input\)"):
        ad.nn.GRU(3, 4, batch_first=True)(ad.tensor(np.zeros(3)))
    with pytest.raises(ValueError, match="hidden_size must be a positive int"):
        ad.nn.GRU(3, 0)


def test_a_tuple_given_to_a_gru_as_its_state_is_refused_naming_its_form():
    gru = ad.nn.GRU(4, 4, rng=0)
    h0 = ad.tensor(np.zeros((1, 2, 4)))
    with pytest.raises(TypeError, match=r"initial state is one tensor h_0 .*not a tuple"):
        gru(ad.tensor(np.zeros((3, 2, 4))), (h0,))
