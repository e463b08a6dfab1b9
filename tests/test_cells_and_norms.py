"""RMSNorm (layer and F.rms_norm) and the recurrent cells RNNCell, LSTMCell, GRUCell:
values against NumPy references, gradients of first and second order against finite
differences in float64 (batch of one and unbatched inputs included), initialisation,
state_dict keys and PyTorch's layout, reprs, errors, a compiled step against eager,
and (only where PyTorch is installed) the same numbers as PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F

import nn_reference as ref

RNG = np.random.default_rng(2026)
DTYPES = [np.float64, np.float32]


def check_grads(func, inputs):
    assert ad.gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)
    assert ad.gradgradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)


def tolerance(dtype):
    return 1e-12 if dtype == np.float64 else 2e-5


# ----- RMSNorm -------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,normalized_shape", [((4, 5), (5,)), ((2, 3, 4), (3, 4)),
                                                    ((6,), 6), ((1, 2, 3), (3,))])
@pytest.mark.parametrize("eps", [None, 1e-5, 0.3])
@pytest.mark.parametrize("with_weight", [False, True])
def test_rms_norm_matches_numpy(shape, normalized_shape, eps, with_weight, dtype):
    x = RNG.standard_normal(shape).astype(dtype)
    k = 1 if isinstance(normalized_shape, int) else len(normalized_shape)
    weight = RNG.standard_normal(shape[len(shape) - k:]).astype(dtype) if with_weight else None
    out = F.rms_norm(ad.tensor(x), normalized_shape, None if weight is None else ad.tensor(weight),
                     eps=eps)
    assert out.dtype == dtype and out.shape == shape
    np.testing.assert_allclose(out.data, ref.rms_norm(x, k, weight, eps), rtol=tolerance(dtype),
                               atol=tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_rms_norm_default_eps_is_the_dtype_machine_epsilon(dtype):
    x = np.array([[1e-4, -2e-4, 3e-4]], dtype)             # small: eps matters
    default = F.rms_norm(ad.tensor(x), (3,)).data
    explicit = F.rms_norm(ad.tensor(x), (3,), eps=float(np.finfo(dtype).eps)).data
    np.testing.assert_array_equal(default, explicit)
    assert not np.allclose(default, F.rms_norm(ad.tensor(x), (3,), eps=1e-5).data)
    np.testing.assert_array_equal(nn.RMSNorm(3, dtype=dtype)(ad.tensor(x)).data, default)


def test_rms_norm_of_float16_is_computed_in_float32_and_rounded_back():
    x = np.array([[1e-4, 2e-4, 0.0], [1.0, -2.0, 3.0]], np.float16)
    out = F.rms_norm(ad.tensor(x), (3,))
    assert out.dtype == np.float16
    want = ref.rms_norm(x.astype(np.float32), 1, eps=float(np.finfo(np.float32).eps))
    np.testing.assert_array_equal(out.data, want.astype(np.float32).astype(np.float16))


def test_rms_norm_of_an_all_zero_slice_is_zero_with_a_finite_gradient():
    x = ad.tensor(np.zeros((2, 3)), requires_grad=True)
    out = F.rms_norm(x, (3,))
    np.testing.assert_array_equal(out.data, np.zeros((2, 3)))
    out.backward(np.ones((2, 3)))
    assert np.all(np.isfinite(x.grad))


@pytest.mark.parametrize("shape,normalized_shape", [((3, 4), (4,)), ((1, 4), (4,)), ((4,), (4,)),
                                                    ((2, 2, 3), (2, 3))])
def test_rms_norm_gradchecks_to_second_order(shape, normalized_shape):
    x = RNG.standard_normal(shape)
    w = RNG.standard_normal(normalized_shape)
    check_grads(lambda a, b: F.rms_norm(a, normalized_shape, b, eps=1e-3), [x, w])
    check_grads(lambda a: F.rms_norm(a, normalized_shape), [x])


def test_rms_norm_layer_init_state_dict_repr_and_loading():
    norm = nn.RMSNorm((2, 3))
    assert list(norm.state_dict()) == ["weight"]
    np.testing.assert_array_equal(norm.weight.data, np.ones((2, 3)))
    assert norm.normalized_shape == (2, 3) and norm.eps is None and norm.elementwise_affine
    assert repr(norm) == "RMSNorm((2, 3), eps=None, elementwise_affine=True)"
    assert repr(nn.RMSNorm(4, eps=1e-5, elementwise_affine=False)) == \
        "RMSNorm((4,), eps=1e-05, elementwise_affine=False)"
    plain = nn.RMSNorm([5], elementwise_affine=False)
    assert plain.weight is None and plain.state_dict() == {} and list(plain.parameters()) == []
    # a PyTorch state_dict ({k: v.numpy()}) has the same key and layout
    weight = RNG.standard_normal((2, 3))
    norm.load_state_dict({"weight": weight})
    x = RNG.standard_normal((4, 2, 3))
    np.testing.assert_allclose(norm(ad.tensor(x)).data, ref.rms_norm(x, 2, weight), rtol=1e-12)
    norm.load_torch_state_dict({"weight": weight * 2})
    np.testing.assert_array_equal(norm.to_torch_state_dict()["weight"], weight * 2)
    half = nn.RMSNorm(3, dtype=np.float32)
    assert half.weight.dtype == np.float32
    assert half(ad.tensor(np.ones((2, 3), np.float32))).dtype == np.float32


def test_rms_norm_layer_trains():
    norm = nn.RMSNorm(3)
    x = ad.tensor(RNG.standard_normal((5, 3)))
    (norm(x) * ad.tensor(RNG.standard_normal((5, 3)))).sum().backward()
    assert norm.weight.grad.shape == (3,) and np.any(norm.weight.grad != 0)


def test_rms_norm_refuses_bad_inputs_with_clear_errors():
    with pytest.raises(ValueError, match=r"rms_norm: expected an input whose last 1 axis .*"
                                         r"\(4,\).*got shape \(2, 3\)"):
        F.rms_norm(ad.tensor(np.ones((2, 3))), (4,))
    with pytest.raises(ValueError, match=r"RMSNorm\(\(4,\).*got shape \(2, 3\)"):
        nn.RMSNorm(4)(ad.tensor(np.ones((2, 3))))
    with pytest.raises(ValueError, match=r"weight must have shape .*\(3,\), got \(4,\)"):
        F.rms_norm(ad.tensor(np.ones((2, 3))), (3,), ad.tensor(np.ones(4)))
    with pytest.raises(TypeError, match="the input is float32 but weight is float64"):
        F.rms_norm(ad.tensor(np.ones((2, 3), np.float32)), (3,), ad.tensor(np.ones(3)))
    with pytest.raises(TypeError, match="floating-point"):
        F.rms_norm(ad.tensor(np.ones((2, 3), np.int64)), (3,))
    with pytest.raises(ValueError, match="eps must be >= 0"):
        nn.RMSNorm(3, eps=-1.0)
    with pytest.raises(TypeError, match="eps must be a number or None"):
        F.rms_norm(ad.tensor(np.ones(3)), (3,), eps="small")
    with pytest.raises(TypeError, match="eps gets no gradient"):
        F.rms_norm(ad.tensor(np.ones(3)), (3,), eps=ad.tensor(0.1, requires_grad=True))
    with pytest.raises(ValueError, match="normalized_shape must be positive"):
        nn.RMSNorm(0)
    with pytest.raises(TypeError, match="dtype must be a floating-point"):
        nn.RMSNorm(3, dtype=np.int32)


# ----- recurrent cells ------------------------------------------------------------------------

CELLS = ["RNNCell", "RNNCell relu", "LSTMCell", "GRUCell"]
GATES = {"RNNCell": 1, "LSTMCell": 4, "GRUCell": 3}


def make_cell(kind, n_in, hidden, bias=True, **kwargs):
    name, _, nonlinearity = kind.partition(" ")
    if nonlinearity:
        kwargs["nonlinearity"] = nonlinearity
    return getattr(nn, name)(n_in, hidden, bias=bias, **kwargs)


def cell_reference(kind, torch_state, x, state):
    """The reference step with the cell's weights in PyTorch's layout; state: (h,) or
    (h, c); returns a tuple of the same length."""
    name, _, nonlinearity = kind.partition(" ")
    params = [torch_state["weight_ih"], torch_state["weight_hh"],
              torch_state.get("bias_ih"), torch_state.get("bias_hh")]
    if name == "LSTMCell":
        return ref.lstm_cell(x, state[0], state[1], *params)
    if name == "GRUCell":
        return (ref.gru_cell(x, state[0], *params),)
    return (ref.rnn_cell(x, state[0], *params, nonlinearity=nonlinearity or "tanh"),)


def call_cell(cell, kind, x, state):
    """The cell on x with state (a tuple of (h,) or (h, c), or None); a tuple back."""
    if kind.startswith("LSTMCell"):
        return cell(x, None if state is None else tuple(state))
    return (cell(x, None if state is None else state[0]),)


def n_states(kind):
    return 2 if kind.startswith("LSTMCell") else 1


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch", [3, 1, None])                  # None: unbatched
@pytest.mark.parametrize("given", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
def test_cell_step_matches_the_reference(kind, bias, batch, given, dtype):
    n_in, hidden = 4, 5
    cell = make_cell(kind, n_in, hidden, bias, rng=3, dtype=dtype)
    lead = () if batch is None else (batch,)
    x = RNG.standard_normal(lead + (n_in,)).astype(dtype)
    state = tuple(RNG.standard_normal(lead + (hidden,)).astype(dtype)
                  for _ in range(n_states(kind)))
    got = call_cell(cell, kind, ad.tensor(x), [ad.tensor(s) for s in state] if given else None)
    sd = {k: v.astype(np.float64) for k, v in cell.to_torch_state_dict().items()}
    start = state if given else tuple(np.zeros_like(s) for s in state)
    want = cell_reference(kind, sd, x.astype(np.float64),
                          tuple(s.astype(np.float64) for s in start))
    for g, w in zip(got, want):
        assert g.dtype == dtype and g.shape == lead + (hidden,)
        np.testing.assert_allclose(g.data, w, rtol=tolerance(dtype), atol=tolerance(dtype))


@pytest.mark.parametrize("kind", CELLS)
def test_unbatched_step_is_the_batched_step_of_one_sample(kind):
    cell = make_cell(kind, 3, 4, rng=0)
    x = RNG.standard_normal(3)
    state = tuple(RNG.standard_normal(4) for _ in range(n_states(kind)))
    one = call_cell(cell, kind, ad.tensor(x), [ad.tensor(s) for s in state])
    batched = call_cell(cell, kind, ad.tensor(x[None]), [ad.tensor(s[None]) for s in state])
    for a, b in zip(one, batched):
        np.testing.assert_array_equal(a.data, b.data[0])


@pytest.mark.parametrize("kind,layer", [("LSTMCell", "LSTM"), ("GRUCell", "GRU"),
                                        ("RNNCell", "RNN"), ("RNNCell relu", "RNN relu")])
@pytest.mark.parametrize("bias", [True, False])
def test_a_loop_of_cells_gives_the_layer(kind, layer, bias):
    name, _, nonlinearity = layer.partition(" ")
    kwargs = {"nonlinearity": nonlinearity} if nonlinearity else {}
    full = getattr(nn, name)(3, 4, bias=bias, rng=1, **kwargs)
    cell = make_cell(kind, 3, 4, bias, rng=2)
    cell.load_state_dict({k[:-3]: v for k, v in full.state_dict().items()})   # drop "_l0"
    x = RNG.standard_normal((6, 2, 3))
    out, _ = full(ad.tensor(x))
    state = None
    for t in range(x.shape[0]):
        state = call_cell(cell, kind, ad.tensor(x[t]), state)
        np.testing.assert_allclose(state[0].data, out.data[t], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("lead", [(2,), (1,), ()])
def test_cell_gradchecks_to_second_order_in_inputs_state_and_weights(kind, lead):
    cell = make_cell(kind, 2, 3, rng=4)
    x = RNG.standard_normal(lead + (2,))
    states = [RNG.standard_normal(lead + (3,)) for _ in range(n_states(kind))]
    names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    weights = [getattr(cell, name).data.copy() for name in names]
    if kind == "RNNCell relu":                       # keep away from relu's kink
        x, states = np.abs(x) + 0.5, [np.abs(s) + 0.5 for s in states]
        weights = [np.abs(w) + 0.1 for w in weights]

    def step(x, *rest):
        state, params = rest[:len(states)], rest[len(states):]
        for name, value in zip(names, params):       # the forward reads gradcheck's Tensors
            object.__setattr__(cell, name, value)
        outs = call_cell(cell, kind, x, list(state))
        total = outs[0] * outs[0]
        return total + outs[1] if len(outs) == 2 else total
    check_grads(step, [x] + states + weights)


@pytest.mark.parametrize("kind", CELLS)
def test_cell_backward_reaches_every_parameter(kind):
    cell = make_cell(kind, 3, 4, rng=0)
    out = call_cell(cell, kind, ad.tensor(RNG.standard_normal((2, 3))), None)
    sum(o.sum() for o in out).backward()
    for name, param in cell.named_parameters():
        assert param.grad is not None and param.grad.shape == param.shape, name
        if name != "weight_hh":                       # h starts at zero: no gradient there
            assert np.any(param.grad != 0), name


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("bias", [True, False])
def test_cell_parameters_names_shapes_and_initialisation(kind, bias):
    cell = make_cell(kind, 3, 25, bias, rng=0)
    gates = GATES[kind.split()[0]] * 25
    names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if bias else [])
    assert list(cell.state_dict()) == names
    assert [name for name, _ in cell.named_parameters()] == names
    torch_state = cell.to_torch_state_dict()
    assert {k: v.shape for k, v in torch_state.items()} == {
        "weight_ih": (gates, 3), "weight_hh": (gates, 25), "bias_ih": (gates,),
        "bias_hh": (gates,)} if bias else {"weight_ih": (gates, 3), "weight_hh": (gates, 25)}
    assert cell.weight_ih.shape == (3, gates) and cell.weight_hh.shape == (25, gates)
    if not bias:
        assert cell.bias_ih is None and cell.bias_hh is None
    values = np.concatenate([p.data.ravel() for p in cell.parameters()])
    bound = 1 / np.sqrt(25)
    assert np.all(np.abs(values) <= bound) and values.max() > 0.9 * bound \
        and values.min() < -0.9 * bound
    again = make_cell(kind, 3, 25, bias, rng=0)
    for a, b in zip(cell.parameters(), again.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    nn.manual_seed(4)
    first = make_cell(kind, 3, 25, bias).weight_ih.data
    nn.manual_seed(4)
    np.testing.assert_array_equal(make_cell(kind, 3, 25, bias).weight_ih.data, first)
    assert make_cell(kind, 3, 4, dtype=np.float32).weight_hh.dtype == np.float32
    assert cell.input_size == 3 and cell.hidden_size == 25 and cell.bias == bias


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("bias", [True, False])
def test_cell_loads_a_pytorch_state_dict_and_gives_pytorchs_numbers(kind, bias):
    """A state in PyTorch's layout (here drawn, and used by the NumPy reference in that
    layout) loads with load_torch_state_dict; load_state_dict takes the library's own."""
    gates = GATES[kind.split()[0]] * 4
    torch_state = {"weight_ih": RNG.standard_normal((gates, 3)),
                   "weight_hh": RNG.standard_normal((gates, 4))}
    if bias:
        torch_state.update(bias_ih=RNG.standard_normal(gates), bias_hh=RNG.standard_normal(gates))
    cell = make_cell(kind, 3, 4, bias, rng=0)
    cell.load_torch_state_dict(torch_state)
    x = RNG.standard_normal((2, 3))
    state = tuple(RNG.standard_normal((2, 4)) for _ in range(n_states(kind)))
    got = call_cell(cell, kind, ad.tensor(x), [ad.tensor(s) for s in state])
    for g, w in zip(got, cell_reference(kind, torch_state, x, state)):
        np.testing.assert_allclose(g.data, w, rtol=1e-12, atol=1e-14)
    for key, value in cell.to_torch_state_dict().items():
        np.testing.assert_array_equal(value, torch_state[key])
    twin = make_cell(kind, 3, 4, bias, rng=9)
    twin.load_state_dict(cell.state_dict())
    for a, b in zip(call_cell(twin, kind, ad.tensor(x), None),
                    call_cell(cell, kind, ad.tensor(x), None)):
        np.testing.assert_array_equal(a.data, b.data)
    with pytest.raises(ValueError, match="shape"):
        twin.load_state_dict({k: v for k, v in torch_state.items()})


def test_cell_reprs_are_pytorchs():
    assert repr(nn.RNNCell(3, 4)) == "RNNCell(3, 4)"
    assert repr(nn.RNNCell(3, 4, bias=False, nonlinearity="relu")) == \
        "RNNCell(3, 4, bias=False, nonlinearity=relu)"
    assert repr(nn.LSTMCell(3, 4)) == "LSTMCell(3, 4)"
    assert repr(nn.GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"
    assert nn.RNNCell(3, 4).nonlinearity == "tanh"


def test_cells_refuse_bad_inputs_and_states_with_clear_errors():
    lstm, gru, rnn = nn.LSTMCell(3, 4, rng=0), nn.GRUCell(3, 4, rng=0), nn.RNNCell(3, 4, rng=0)
    with pytest.raises(ValueError, match=r"LSTMCell\(3, 4\): expected input of shape \(batch, "
                                         r"input_size\).*got shape \(1, 2, 3\)"):
        lstm(ad.tensor(np.ones((1, 2, 3))))
    with pytest.raises(ValueError, match=r"GRUCell\(3, 4\): expected input_size 3 .* \(2, 5\)"):
        gru(ad.tensor(np.ones((2, 5))))
    with pytest.raises(ValueError, match=r"expected hx of shape \(2, 4\).*got \(3, 4\)"):
        gru(ad.tensor(np.ones((2, 3))), ad.tensor(np.ones((3, 4))))
    with pytest.raises(ValueError, match=r"expected hx of shape \(4,\).*unbatched, got \(1, 4\)"):
        rnn(ad.tensor(np.ones(3)), ad.tensor(np.ones((1, 4))))
    with pytest.raises(ValueError, match=r"expected c of shape \(2, 4\)"):
        lstm(ad.tensor(np.ones((2, 3))), (ad.tensor(np.ones((2, 4))), ad.tensor(np.ones((2, 5)))))
    with pytest.raises(TypeError, match=r"pair \(h, c\)"):
        lstm(ad.tensor(np.ones((2, 3))), ad.tensor(np.ones((2, 4))))
    with pytest.raises(TypeError, match=r"pair \(h, c\)"):
        lstm(ad.tensor(np.ones((2, 3))), (ad.tensor(np.ones((2, 4))), None))
    with pytest.raises(TypeError, match="not a tuple"):
        gru(ad.tensor(np.ones((2, 3))), (ad.tensor(np.ones((2, 4))),))
    with pytest.raises(TypeError, match="the input is float32 but the cell's parameters are "
                                        "float64"):
        rnn(ad.tensor(np.ones((2, 3), np.float32)))
    with pytest.raises(TypeError, match="hx is float32 but the input is float64"):
        rnn(ad.tensor(np.ones((2, 3))), ad.tensor(np.ones((2, 4), np.float32)))
    with pytest.raises(TypeError, match="floating-point input"):
        gru(ad.tensor(np.ones((2, 3), np.int64)))
    with pytest.raises(ValueError, match="unknown nonlinearity 'gelu'"):
        nn.RNNCell(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="hidden_size must be a positive int"):
        nn.LSTMCell(3, 0)
    with pytest.raises(TypeError, match="dtype must be a floating-point"):
        nn.GRUCell(3, 4, dtype=np.int64)


def test_cells_take_plain_arrays():
    cell = nn.GRUCell(3, 4, rng=0)
    x, h = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 4))
    np.testing.assert_array_equal(cell(x, h).data, cell(ad.tensor(x), ad.tensor(h)).data)


# ----- compiled step -------------------------------------------------------------------------

def test_compiled_training_step_with_cells_and_rms_norm_matches_eager():
    def make():
        lstm, gru = nn.LSTMCell(3, 4, rng=0), nn.GRUCell(4, 4, rng=1)
        rnn, norm = nn.RNNCell(4, 2, nonlinearity="relu", rng=2), nn.RMSNorm(4)
        model = nn.ModuleList([lstm, gru, rnn, norm])
        opt = ad.optim.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            state, h2 = None, None
            for t in range(x.shape[0]):
                state = lstm(x[t], state)
                h2 = gru(norm(state[0]), h2)
            out = rnn(h2)
            loss = F.cross_entropy(out, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss, out
        return model, step
    (eager_model, eager), (compiled_model, step) = make(), make()
    compiled = ad.compile(step)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x, y = rng.normal(size=(4, 3, 3)), rng.integers(0, 2, 3)
        for a, b in zip(eager(x, y), compiled(x, y)):
            np.testing.assert_allclose(b.data, a.data, rtol=1e-10, atol=1e-12)
    assert compiled.traces == 1
    for (key, a), b in zip(eager_model.state_dict().items(),
                           compiled_model.state_dict().values()):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12, err_msg=key)


# ----- the same numbers as PyTorch (only where it is installed) ------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_rms_norm_matches_pytorch(dtype):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((3, 4, 5)).astype(dtype)
    w = RNG.standard_normal((4, 5)).astype(dtype)
    for eps in (None, 1e-6):
        want = torch.nn.functional.rms_norm(torch.tensor(x), (4, 5), torch.tensor(w), eps)
        got = F.rms_norm(ad.tensor(x), (4, 5), ad.tensor(w), eps)
        np.testing.assert_allclose(got.data, want.numpy(), rtol=tolerance(dtype),
                                   atol=tolerance(dtype))
    module = torch.nn.RMSNorm([4, 5])
    ours = nn.RMSNorm([4, 5])
    assert repr(ours) == repr(module)
    ours.load_state_dict({k: v.numpy() for k, v in module.state_dict().items()})


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("bias", [True, False])
def test_cells_match_pytorch(kind, bias):
    torch = pytest.importorskip("torch")
    name, _, nonlinearity = kind.partition(" ")
    kwargs = {"nonlinearity": nonlinearity} if nonlinearity else {}
    theirs = getattr(torch.nn, name)(3, 4, bias=bias, **kwargs).double()
    ours = make_cell(kind, 3, 4, bias, rng=0)
    assert repr(ours) == repr(theirs)
    ours.load_torch_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for lead in [(2,), ()]:
        x = RNG.standard_normal(lead + (3,))
        state = tuple(RNG.standard_normal(lead + (4,)) for _ in range(n_states(kind)))
        t_args = tuple(torch.tensor(s) for s in state)
        want = theirs(torch.tensor(x), t_args if name == "LSTMCell" else t_args[0])
        want = want if isinstance(want, tuple) else (want,)
        got = call_cell(ours, kind, ad.tensor(x), [ad.tensor(s) for s in state])
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.data, w.detach().numpy(), rtol=1e-12, atol=1e-14)
    exported = ours.to_torch_state_dict()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in exported.items()})
