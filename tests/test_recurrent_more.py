"""RNN, LSTM and GRU with dropout between layers and both directions: values against a
NumPy reference written out below (PyTorch's equations, gate orders and layouts),
gradients against finite differences, PyTorch's state_dict keys, dropout masks, errors
and a compiled training step."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F


# ----- NumPy reference, on PyTorch's layout (W_ih (G*H, in), W_hh (G*H, H)) ----------

def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def _lstm_cell(x, state, w_ih, w_hh, b_ih, b_hh):
    h, c = state
    i, f, g, o = np.split(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4, axis=-1)
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    return _sigmoid(o) * np.tanh(c), (_sigmoid(o) * np.tanh(c), c)


def _gru_cell(x, state, w_ih, w_hh, b_ih, b_hh):
    (h,) = state
    x_r, x_z, x_n = np.split(x @ w_ih.T + b_ih, 3, axis=-1)
    h_r, h_z, h_n = np.split(h @ w_hh.T + b_hh, 3, axis=-1)
    r, z = _sigmoid(x_r + h_r), _sigmoid(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    h = (1 - z) * n + z * h
    return h, (h,)


def _elman_cell(activation):
    def cell(x, state, w_ih, w_hh, b_ih, b_hh):
        h = activation(x @ w_ih.T + b_ih + state[0] @ w_hh.T + b_hh)
        return h, (h,)
    return cell


CELLS = {"LSTM": _lstm_cell, "GRU": _gru_cell, "RNN": _elman_cell(np.tanh),
         "RNN relu": _elman_cell(lambda v: np.maximum(v, 0.0))}


def reference(kind, torch_sd, x, states, num_layers, bidirectional, masks=()):
    """x (T, B, in); states: tuple of (L*D, B, H) arrays; masks: one per layer but the
    first, multiplied into that layer's input.  Returns (output, final states)."""
    cell = CELLS[kind]
    directions = 2 if bidirectional else 1
    finals = [[] for _ in states]
    for layer in range(num_layers):
        if layer and masks:
            x = x * masks[layer - 1]
        outputs = []
        for direction in range(directions):
            suffix = f"l{layer}" + ("_reverse" if direction else "")
            w_ih, w_hh = torch_sd[f"weight_ih_{suffix}"], torch_sd[f"weight_hh_{suffix}"]
            zeros = np.zeros(w_hh.shape[0])
            b_ih = torch_sd.get(f"bias_ih_{suffix}", zeros)
            b_hh = torch_sd.get(f"bias_hh_{suffix}", zeros)
            state = tuple(s[layer * directions + direction] for s in states)
            steps = range(x.shape[0]) if direction == 0 else range(x.shape[0] - 1, -1, -1)
            out = [None] * x.shape[0]
            for t in steps:
                out[t], state = cell(x[t], state, w_ih, w_hh, b_ih, b_hh)
            outputs.append(np.stack(out))
            for kind_of_state, value in zip(finals, state):
                kind_of_state.append(value)
        x = np.concatenate(outputs, axis=-1)
    return x, tuple(np.stack(f) for f in finals)


def make(kind, *args, **kwargs):
    if kind == "RNN relu":
        return ad.nn.RNN(*args, nonlinearity="relu", **kwargs)
    return getattr(ad.nn, kind)(*args, **kwargs)


def call(model, kind, x, states):
    """Run the layer; returns (output, tuple of final states) as Tensors."""
    if kind == "LSTM":
        out, (h, c) = model(x, states if states is None else tuple(states))
        return out, (h, c)
    out, h = model(x, None if states is None else states[0])
    return out, (h,)


def _with_params(model, arrays):
    """Make the forward read ``arrays`` (Tensors from gradcheck) instead of the parameters."""
    for name, value in zip([n for n, _ in model.named_parameters()], arrays):
        object.__setattr__(model, name, value)


KINDS = ["LSTM", "GRU", "RNN", "RNN relu"]


# ----- values ------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("num_layers, bidirectional", [(1, True), (2, True), (2, False)])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("given", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_forward_matches_the_reference(kind, num_layers, bidirectional, batch_first, given,
                                       dtype):
    rng = np.random.default_rng(num_layers + 2 * batch_first + 4 * given)
    steps, batch, n_in, hidden = (4, 3, 5, 6) if given else (7, 1, 2, 3)
    model = make(kind, n_in, hidden, num_layers, batch_first=batch_first,
                 bidirectional=bidirectional, rng=1, dtype=dtype)
    x = rng.standard_normal((steps, batch, n_in))
    count = num_layers * (2 if bidirectional else 1)
    n_states = 2 if kind == "LSTM" else 1
    states = tuple(rng.standard_normal((count, batch, hidden)) for _ in range(n_states))
    given_states = [s.astype(dtype) for s in states] if given else None
    out, finals = call(model, kind, ad.tensor((x.swapaxes(0, 1) if batch_first else x)
                                              .astype(dtype)), given_states)
    sd = {k: v.astype(np.float64) for k, v in model.to_torch_state_dict().items()}
    zero_states = tuple(np.zeros_like(s) for s in states)
    want, want_finals = reference(kind, sd, x.astype(dtype).astype(np.float64),
                                  states if given else zero_states, num_layers, bidirectional)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    assert out.dtype == dtype
    got = out.data.swapaxes(0, 1) if batch_first else out.data
    assert got.shape == (steps, batch, hidden * (2 if bidirectional else 1))
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    for final, wanted in zip(finals, want_finals):
        assert final.shape == (count, batch, hidden)
        np.testing.assert_allclose(final.data, wanted, rtol=tol, atol=tol)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_unbatched_bidirectional_input_is_the_batch_of_one(kind):
    rng = np.random.default_rng(3)
    model = make(kind, 2, 3, 2, bidirectional=True, rng=2)
    x = rng.standard_normal((5, 2))
    states = [rng.standard_normal((4, 3)) for _ in range(2 if kind == "LSTM" else 1)]
    single, single_finals = call(model, kind, ad.tensor(x), states)
    batched, finals = call(model, kind, ad.tensor(x[:, None]), [s[:, None] for s in states])
    assert single.shape == (5, 6)
    np.testing.assert_allclose(single.data, batched.data[:, 0], rtol=1e-14, atol=1e-15)
    for a, b in zip(single_finals, finals):
        assert a.shape == (4, 3)
        np.testing.assert_allclose(a.data, b.data[:, 0], rtol=1e-14, atol=1e-15)


def test_reverse_final_state_is_the_output_at_the_first_step():
    gru = ad.nn.GRU(3, 4, bidirectional=True, rng=0)
    out, h = gru(ad.tensor(np.random.default_rng(0).standard_normal((6, 2, 3))))
    np.testing.assert_array_equal(h.data[0], out.data[-1, :, :4])
    np.testing.assert_array_equal(h.data[1], out.data[0, :, 4:])


# ----- gradients -----------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_gradcheck_bidirectional_two_layers(kind, batch_first):
    rng = np.random.default_rng(4)
    model = make(kind, 2, 2, 2, batch_first=batch_first, bidirectional=True, rng=4)
    x = rng.standard_normal((2, 3, 2) if batch_first else (3, 2, 2))
    states = [rng.standard_normal((4, 2, 2)) for _ in range(2 if kind == "LSTM" else 1)]
    if kind == "RNN relu":                 # keep every pre-activation away from the kink
        x = np.abs(x) + 0.5
    params = [p.data.copy() for p in model.parameters()]
    weights = rng.standard_normal(x.shape[:2] + (4,))
    n_states = len(states)

    def f(x, *rest):
        _with_params(model, rest[n_states:])
        out, finals = call(model, kind, x, list(rest[:n_states]))
        return (out * weights).sum() + sum((s * s).sum() for s in finals)
    assert ad.gradcheck(f, [x] + states + params)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_gradcheck_with_dropout_in_training_mode(kind):
    # Reseeding inside f draws the same masks at every evaluation.
    rng = np.random.default_rng(5)
    ad.nn.manual_seed(5)
    model = make(kind, 2, 3, 3, dropout=0.4, bidirectional=True)   # masks from manual_seed
    x = rng.standard_normal((3, 2, 2))
    params = [p.data.copy() for p in model.parameters()]

    def f(x, *ps):
        _with_params(model, ps)
        ad.nn.manual_seed(11)
        out, finals = call(model, kind, x, None)
        return (out ** 2).sum() + (finals[0] ** 2).sum()
    assert ad.gradcheck(f, [x] + params)


def test_second_order_through_a_bidirectional_lstm():
    lstm = ad.nn.LSTM(2, 2, bidirectional=True, rng=6)
    x = np.random.default_rng(6).standard_normal((3, 1, 2))
    assert ad.gradgradcheck(lambda t: (lstm(t)[0] ** 2).sum(), [x])


# ----- dropout -----------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_dropout_masks_come_from_the_seed_and_sit_between_layers(kind):
    p, num_layers, steps, batch, hidden = 0.3, 3, 4, 2, 5
    ad.nn.manual_seed(0)
    model = make(kind, 3, hidden, num_layers, dropout=p, bidirectional=True)
    x = np.random.default_rng(7).standard_normal((steps, batch, 3))
    ad.nn.manual_seed(21)
    out, finals = call(model, kind, ad.tensor(x), None)
    # The same draws, in the same order: one (T, B, 2H) mask per layer but the first.
    generator = np.random.default_rng(21)
    ones = ad.tensor(np.ones((steps, batch, 2 * hidden)))
    masks = [F.dropout(ones, p, rng=generator).data for _ in range(num_layers - 1)]
    assert all((m == 0).any() for m in masks)
    zeros = tuple(np.zeros((2 * num_layers, batch, hidden))
                  for _ in range(2 if kind == "LSTM" else 1))
    want, want_finals = reference(kind, model.to_torch_state_dict(), x, zeros, num_layers,
                                  True, masks)
    np.testing.assert_allclose(out.data, want, rtol=1e-12, atol=1e-12)
    for final, wanted in zip(finals, want_finals):
        np.testing.assert_allclose(final.data, wanted, rtol=1e-12, atol=1e-12)


def test_dropout_is_reproducible_from_rng_and_absent_in_eval_mode():
    x = ad.tensor(np.random.default_rng(8).standard_normal((5, 2, 3)))
    a = ad.nn.LSTM(3, 4, 2, dropout=0.5, bidirectional=True, rng=9)
    b = ad.nn.LSTM(3, 4, 2, dropout=0.5, bidirectional=True, rng=9)
    first, second = a(x)[0].data, a(x)[0].data
    np.testing.assert_array_equal(first, b(x)[0].data)
    np.testing.assert_array_equal(second, b(x)[0].data)
    assert not np.allclose(first, second)          # a new mask at each call
    plain = ad.nn.LSTM(3, 4, 2, bidirectional=True, rng=9)
    a.eval()
    np.testing.assert_array_equal(a(x)[0].data, plain(x)[0].data)
    np.testing.assert_array_equal(a(x)[0].data, a(x)[0].data)
    a.train()
    assert not np.allclose(a(x)[0].data, plain(x)[0].data)


def test_dropout_one_zeroes_what_the_last_layer_sees():
    gru = ad.nn.GRU(3, 4, 2, dropout=1.0, rng=0)
    x = ad.tensor(np.random.default_rng(0).standard_normal((5, 2, 3)))
    out, _ = gru(x)
    sd = {k.replace("l1", "l0"): v for k, v in gru.to_torch_state_dict().items()
          if k.endswith("l1")}
    want, _ = reference("GRU", sd, np.zeros((5, 2, 4)), (np.zeros((1, 2, 4)),), 1, False)
    np.testing.assert_allclose(out.data, want, rtol=1e-12, atol=1e-15)


# ----- state_dict ----------------------------------------------------------------------

def test_state_dict_keys_and_layouts_are_pytorchs():
    lstm = ad.nn.LSTM(5, 3, num_layers=2, bidirectional=True, rng=0)
    names = [f"{w}_{side}_l{layer}{rev}" for layer in range(2) for rev in ("", "_reverse")
             for w, side in (("weight", "ih"), ("weight", "hh"), ("bias", "ih"), ("bias", "hh"))]
    torch_sd = lstm.to_torch_state_dict()
    assert list(torch_sd) == names
    assert list(lstm.state_dict()) == names
    assert torch_sd["weight_ih_l0"].shape == (12, 5)
    assert torch_sd["weight_ih_l1_reverse"].shape == (12, 6)     # 2 * hidden in
    assert torch_sd["weight_hh_l1_reverse"].shape == (12, 3)
    assert lstm.state_dict()["weight_ih_l1"].shape == (6, 12)
    other = ad.nn.LSTM(5, 3, num_layers=2, bidirectional=True, rng=1)
    other.load_torch_state_dict(torch_sd)
    x = ad.tensor(np.random.default_rng(0).standard_normal((4, 2, 5)))
    np.testing.assert_array_equal(other(x)[0].data, lstm(x)[0].data)
    gru = ad.nn.GRU(4, 2, bias=False, bidirectional=True, rng=0)
    assert {k: v.shape for k, v in gru.to_torch_state_dict().items()} == {
        "weight_ih_l0": (6, 4), "weight_hh_l0": (6, 2),
        "weight_ih_l0_reverse": (6, 4), "weight_hh_l0_reverse": (6, 2)}
    rnn = ad.nn.RNN(4, 2, num_layers=2, rng=0)
    assert {k: v.shape for k, v in rnn.to_torch_state_dict().items()} == {
        "weight_ih_l0": (2, 4), "weight_hh_l0": (2, 2), "bias_ih_l0": (2,), "bias_hh_l0": (2,),
        "weight_ih_l1": (2, 2), "weight_hh_l1": (2, 2), "bias_ih_l1": (2,), "bias_hh_l1": (2,)}


def test_a_unidirectional_state_does_not_load_into_a_bidirectional_layer():
    uni = ad.nn.GRU(3, 4, rng=0).to_torch_state_dict()
    with pytest.raises((KeyError, ValueError), match="reverse"):
        ad.nn.GRU(3, 4, bidirectional=True, rng=0).load_torch_state_dict(uni)


def test_the_forward_weights_are_drawn_as_before_bidirectional_was_added():
    # The reverse direction's weights are drawn after the forward ones of the same layer.
    uni = ad.nn.LSTM(3, 4, rng=3).state_dict()
    bi = ad.nn.LSTM(3, 4, bidirectional=True, rng=3).state_dict()
    for name in uni:
        np.testing.assert_array_equal(bi[name], uni[name])


def test_repr_names_the_new_arguments():
    text = repr(ad.nn.RNN(3, 4, 2, "relu", dropout=0.25, bidirectional=True, rng=0))
    assert "dropout=0.25" in text and "bidirectional=True" in text and "relu" in text


# ----- errors ---------------------------------------------------------------------------

def test_invalid_arguments_are_refused():
    for bad in (-0.1, 1.5, True, "0.5"):
        with pytest.raises(ValueError, match=r"GRU: dropout .* in \[0, 1\]"):
            ad.nn.GRU(3, 4, num_layers=2, dropout=bad)
    with pytest.raises(ValueError, match=r"RNN: unknown nonlinearity 'gelu'.*'tanh' or 'relu'"):
        ad.nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match=r"GRU: proj_size argument is only supported for "
                                         r"LSTM, not RNN or GRU"):
        ad.nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match=r"RNN: proj_size argument is only supported for "
                                         r"LSTM, not RNN or GRU"):     # (PyTorch's ValueError)
        ad.nn.RNN(3, 4, proj_size=2)


def test_dropout_with_one_layer_warns_and_with_two_does_not():
    with pytest.warns(UserWarning, match=r"LSTM: dropout .* num_layers greater than 1.*"
                                         r"dropout=0.5 and num_layers=1"):
        ad.nn.LSTM(3, 4, dropout=0.5)
    for kind in ("GRU", "RNN"):
        with pytest.warns(UserWarning, match=rf"{kind}: dropout"):
            make(kind, 3, 4, dropout=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ad.nn.LSTM(3, 4, num_layers=2, dropout=0.5)
        ad.nn.GRU(3, 4, dropout=0.0)


def test_state_shapes_are_checked_against_the_directions():
    lstm = ad.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    x = ad.tensor(np.zeros((5, 2, 3)))
    with pytest.raises(ValueError, match=r"LSTM\(3, 4, num_layers=2, bidirectional=True\): "
                                         r"expected h_0 of shape \(4, 2, 4\) "
                                         r"\(num_layers \* 2 \(bidirectional\), batch, "
                                         r"hidden_size\), got \(2, 2, 4\)"):
        lstm(x, (np.zeros((2, 2, 4)), np.zeros((4, 2, 4))))
    with pytest.raises(ValueError, match=r"expected c_0 of shape \(4, 2, 4\)"):
        lstm(x, (np.zeros((4, 2, 4)), np.zeros((4, 2, 3))))
    rnn = ad.nn.RNN(3, 4, bidirectional=True)
    with pytest.raises(ValueError, match=r"RNN\(3, 4, num_layers=1, bidirectional=True\): "
                                         r"expected h_0 of shape \(2, 4\) \(num_layers \* 2 "
                                         r"\(bidirectional\), hidden_size\) for unbatched "
                                         r"input, got \(1, 5\)"):
        rnn(ad.tensor(np.zeros((6, 3))), np.zeros((1, 5)))
    with pytest.raises(TypeError, match=r"RNN.*initial state is one tensor h_0.*not a tuple"):
        rnn(x, (np.zeros((2, 2, 4)),))
    with pytest.raises(ValueError, match=r"RNN.*expected input_size 3.*got shape \(5, 2, 2\)"):
        rnn(ad.tensor(np.zeros((5, 2, 2))))
    with pytest.raises(TypeError, match=r"RNN.*floating-point input"):
        rnn(np.zeros((5, 2, 3), dtype=int))


# ----- compile ---------------------------------------------------------------------------

def test_compiled_training_step_of_a_bidirectional_lstm_with_dropout_matches_eager():
    def make_step():
        lstm = ad.nn.LSTM(3, 4, num_layers=2, dropout=0.3, bidirectional=True,
                          batch_first=True, rng=0)
        head = ad.nn.Linear(8, 2, rng=1)
        params = list(lstm.parameters()) + list(head.parameters())
        opt = ad.optim.SGD(params, lr=0.1)

        def step(xb, yb):
            out, (h, c) = lstm(xb)
            loss = F.cross_entropy(head(out[:, -1]), yb) + 0.01 * (c ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return lstm, step
    (eager_model, eager), (compiled_model, step) = make_step(), make_step()
    compiled = ad.compile(step)
    rng = np.random.default_rng(2)
    for _ in range(4):
        xb, yb = rng.standard_normal((5, 6, 3)), rng.integers(0, 2, size=5)
        np.testing.assert_allclose(compiled(xb, yb).data, eager(xb, yb).data,
                                   rtol=1e-10, atol=1e-12)
    for (name, a), (_, b) in zip(eager_model.named_parameters(),
                                 compiled_model.named_parameters()):
        np.testing.assert_allclose(b.data, a.data, rtol=1e-10, atol=1e-12, err_msg=name)
