"""Every ``torch.nn`` layer class against ``autodiff.nn``'s of the same name: the
constructor's keywords and defaults, and, for the layers with parameters or buffers,
``state_dict`` keys, shapes and dtypes (through ``to_torch_state_dict``, as
``Linear`` keeps its weight ``(in, out)``), parameter and buffer order, forward output
and the gradients of inputs and parameters in train and eval mode, and the running
statistics each mode leaves.  Float64 throughout; tolerances are relative 1e-9 (the
two libraries sum in different orders, so results agree to rounding, not bitwise)."""

import copy
import inspect
import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn as nn

torch = pytest.importorskip("torch")


def _torch_layer_names():
    return sorted(name for name in dir(torch.nn)
                  if inspect.isclass(getattr(torch.nn, name))
                  and issubclass(getattr(torch.nn, name), torch.nn.Module))


def test_every_torch_nn_layer_class_has_a_namesake():
    assert [name for name in _torch_layer_names()
            if not inspect.isclass(getattr(nn, name, None))] == []


def constructor_keywords(cls):
    """Keyword-usable parameters (not ``self``, ``*args``, ``**kwargs``) and defaults."""
    params = inspect.signature(cls.__init__).parameters.values()
    return {p.name: p.default for p in params if p.name != "self"
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


# Every constructor difference, each a clear refusal or an equivalent default:
KNOWN_DIFFERENCES = {
    # abstract bases: building one raises a TypeError naming the layers to build
    # (RNNBase's proj_size defaults to None, "not given", so that GRU and RNN can refuse
    # it by keyword, as PyTorch's do, and LSTM take it)
    ("RNNBase", "mode"), ("RNNBase", "proj_size"), ("RNNCellBase", "num_chunks"),
    ("RNNCellBase", "bias"),
    # 'relu' and F.relu: the same activation (either is accepted)
    ("Transformer", "activation"), ("TransformerEncoderLayer", "activation"),
    ("TransformerDecoderLayer", "activation"),
}


def _differences():
    found = set()
    for name in _torch_layer_names():
        theirs = constructor_keywords(getattr(torch.nn, name))
        ours = constructor_keywords(getattr(nn, name))
        for key, default in theirs.items():
            if key in ("device", "dtype"):   # float64 by default here; device='cpu' only
                continue
            if key not in ours or not (ours[key] == default or (
                    default is inspect.Parameter.empty and ours[key] is None
                    and key in ("in_features", "out_features", "num_embeddings",
                                "embedding_dim"))):
                found.add((name, key))
    return found


def test_constructor_keywords_and_defaults_are_pytorchs_but_the_known_ones():
    # (Linear and Embedding take PyTorch's required names as keywords, default None,
    # next to their short positional names n_in/n_out and n/dim.)
    assert _differences() == KNOWN_DIFFERENCES


def test_the_known_differences_refuse_or_agree():
    with pytest.raises(TypeError, match="RNNBase"):
        nn.RNNBase("LSTM", 3, 4)
    layer = nn.TransformerEncoderLayer(4, 2, 8, 0.0, activation=nn.functional.relu)
    x = ad.tensor(np.random.default_rng(0).standard_normal((3, 2, 4)))
    same = nn.TransformerEncoderLayer(4, 2, 8, 0.0)
    same.load_state_dict(layer.state_dict())
    np.testing.assert_allclose(layer(x).data, same(x).data, rtol=1e-12)


# (layer, arguments, keywords, input spec): a shape, a list of shapes, or "ids"
CASES = [
    ("Linear", (3, 4), {}, (2, 3)), ("Linear", (4, 4), {"bias": False}, (2, 4)),
    ("Bilinear", (2, 3, 4), {}, [(5, 2), (5, 3)]),
    ("Conv1d", (2, 3, 3), {"padding": 1}, (2, 2, 7)),
    ("Conv2d", (2, 4, 3), {"groups": 2, "stride": 2}, (2, 2, 7, 6)),
    ("Conv2d", (2, 3, 3), {"padding": "same", "padding_mode": "reflect"}, (1, 2, 5, 5)),
    ("Conv3d", (2, 3, 2), {}, (1, 2, 4, 4, 4)),
    ("ConvTranspose1d", (2, 3, 3), {"stride": 2, "output_padding": 1}, (2, 2, 5)),
    ("ConvTranspose2d", (2, 4, 3), {"groups": 2, "dilation": 2}, (1, 2, 4, 5)),
    ("ConvTranspose3d", (2, 3, 2), {}, (1, 2, 3, 3, 3)),
    ("BatchNorm1d", (3,), {}, (6, 3)), ("BatchNorm1d", (3,), {"momentum": None}, (6, 3, 4)),
    ("BatchNorm2d", (3,), {"affine": False}, (4, 3, 2, 2)),
    ("BatchNorm2d", (3,), {"track_running_stats": False}, (4, 3, 2, 2)),
    ("BatchNorm3d", (2,), {}, (2, 2, 2, 2, 3)),
    ("InstanceNorm1d", (3,), {"affine": True}, (2, 3, 5)),
    ("InstanceNorm2d", (3,), {"track_running_stats": True}, (2, 3, 4, 4)),
    ("InstanceNorm3d", (2,), {}, (2, 2, 3, 3, 3)),
    ("LayerNorm", ((3, 4),), {}, (2, 3, 4)), ("LayerNorm", (4,), {"bias": False}, (2, 4)),
    ("GroupNorm", (2, 4), {}, (3, 4, 5)), ("RMSNorm", (4,), {}, (3, 4)),
    ("RMSNorm", (4,), {"eps": 1e-3}, (3, 4)),
    ("PReLU", (), {}, (2, 3)), ("PReLU", (3,), {"init": 0.1}, (2, 3, 4)),
    ("Embedding", (10, 3), {"padding_idx": 1}, "ids"),
    ("EmbeddingBag", (10, 3), {"mode": "sum"}, "ids"),
    ("RNN", (3, 4), {"num_layers": 2}, (5, 2, 3)),
    ("RNN", (3, 4), {"nonlinearity": "relu", "batch_first": True}, (2, 5, 3)),
    ("LSTM", (3, 4), {"bidirectional": True}, (5, 2, 3)),
    ("LSTM", (3, 4), {"proj_size": 2}, (5, 2, 3)), ("GRU", (3, 4), {"bias": False}, (5, 2, 3)),
    ("RNNCell", (3, 4), {}, (2, 3)), ("LSTMCell", (3, 4), {}, (2, 3)),
    ("GRUCell", (3, 4), {}, (2, 3)),
    ("MultiheadAttention", (4, 2), {}, [(3, 2, 4)] * 3),
    ("MultiheadAttention", (4, 2), {"kdim": 3, "vdim": 5, "batch_first": True},
     [(2, 3, 4), (2, 5, 3), (2, 5, 5)]),
    ("MultiheadAttention", (4, 2), {"add_bias_kv": True}, [(3, 2, 4)] * 3),
    ("TransformerEncoderLayer", (4, 2, 8, 0.0), {}, (3, 2, 4)),
    ("TransformerEncoderLayer", (4, 2, 8, 0.0),
     {"norm_first": True, "activation": "gelu", "batch_first": True}, (2, 3, 4)),
    ("TransformerDecoderLayer", (4, 2, 8, 0.0), {}, [(3, 2, 4), (5, 2, 4)]),
    ("Transformer", (4, 2, 1, 1, 8, 0.0), {}, [(5, 2, 4), (3, 2, 4)]),
]


# Reprs that differ on purpose (test_reprs_vs_torch.py): a Linear prints
# Linear(n_in, n_out), and the layers holding one, with their own options; an RNN shows
# nonlinearity='relu'.
REPR_DIFFERS = {"Linear", "MultiheadAttention", "TransformerEncoderLayer",
                "TransformerDecoderLayer", "Transformer"}


def _pair(name, args, kwargs):
    torch.manual_seed(0)
    with warnings.catch_warnings():     # (PyTorch's note on its nested-tensor fast path)
        warnings.simplefilter("ignore", UserWarning)
        theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs, dtype=np.float64)
    ours.load_torch_state_dict({k: v.numpy().copy() for k, v in theirs.state_dict().items()})
    return theirs, ours


def _grads_as_torch(module):
    """The parameters' gradients in PyTorch's layout, by PyTorch's names."""
    grads = copy.deepcopy(module)
    for (_, param), (_, slot) in zip(module.named_parameters(), grads.named_parameters()):
        slot.data[...] = param.grad
    return {k: v for k, v in grads.to_torch_state_dict().items()
            if k in dict(module.named_parameters())}


def _inputs(spec, rng):
    if spec == "ids":
        return [rng.integers(0, 10, size=(2, 4))]
    shapes = spec if isinstance(spec, list) else [spec]
    return [rng.standard_normal(shape) for shape in shapes]


def _first(out):
    while isinstance(out, tuple):
        out = out[0]
    return out


def _close(ours, theirs, what):
    np.testing.assert_allclose(np.asarray(ours), theirs, rtol=1e-9, atol=1e-12, err_msg=what)


def test_an_embedding_takes_pytorchs_weight_and_freeze():
    # They were refused with a TypeError.
    table = np.arange(8.0).reshape(4, 2)
    ours = nn.Embedding(4, 2, 0, None, 2.0, False, False, table, True)
    theirs = torch.nn.Embedding(4, 2, 0, None, 2.0, False, False, torch.tensor(table), True)
    np.testing.assert_array_equal(ours.weight.data, theirs.weight.detach().numpy())
    assert ours.weight.requires_grad is theirs.weight.requires_grad is False
    ids = np.array([0, 3, 3])
    np.testing.assert_array_equal(ours(ids).data, theirs(torch.tensor(ids)).detach().numpy())
    assert nn.Embedding(4, 2, _freeze=True).weight.requires_grad is False
    with pytest.raises(ValueError, match=r"Embedding\(4, 2\): _weight must be .* shape \(4, 2\)"):
        nn.Embedding(4, 2, _weight=np.zeros((2, 4)))


def test_a_module_list_of_none_is_empty_as_in_pytorch():
    # It iterated None: a TypeError.
    assert len(nn.ModuleList(None)) == len(nn.ModuleList()) == len(torch.nn.ModuleList(None))


@pytest.mark.parametrize("name, args, kwargs, spec", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_state_order_forward_and_gradients_match_pytorch(name, args, kwargs, spec):
    theirs, ours = _pair(name, args, kwargs)
    if name not in REPR_DIFFERS and kwargs.get("nonlinearity") != "relu":
        assert repr(ours) == repr(theirs)
    state, their_state = ours.to_torch_state_dict(), theirs.state_dict()
    assert list(state) == list(their_state)
    for key, value in their_state.items():
        assert (np.shape(state[key]), np.asarray(state[key]).dtype) == (
            tuple(value.shape), value.numpy().dtype), key
    assert [k for k, _ in ours.named_parameters()] == [k for k, _ in theirs.named_parameters()]
    assert [k for k, _ in ours.named_buffers()] == [k for k, _ in theirs.named_buffers()]
    rng = np.random.default_rng(0)
    for mode in ("train", "eval"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        arrays = _inputs(spec, rng)
        floats = [a.dtype.kind == "f" for a in arrays]
        their_in = [torch.tensor(a, requires_grad=f) for a, f in zip(arrays, floats)]
        our_in = [ad.tensor(a, requires_grad=f) for a, f in zip(arrays, floats)]
        their_out, our_out = _first(theirs(*their_in)), _first(ours(*our_in))
        _close(our_out.data, their_out.detach().numpy(), f"{mode} forward")
        weights = rng.standard_normal(their_out.shape)
        (their_out * torch.tensor(weights)).sum().backward()
        (our_out * ad.tensor(weights)).sum().backward()
        for a, b, f in zip(our_in, their_in, floats):
            if f:
                _close(a.grad, b.grad.numpy(), f"{mode} input gradient")
        their_grads = {k: p.grad.numpy() for k, p in theirs.named_parameters()}
        for key, grad in _grads_as_torch(ours).items():
            _close(grad, their_grads[key], f"{mode} gradient of {key}")
        ours.zero_grad()
        theirs.zero_grad()
        their_buffers = dict(theirs.named_buffers())
        for key, value in ours.named_buffers():
            _close(np.asarray(value.data), their_buffers[key].numpy(), f"{mode} {key}")


@pytest.mark.parametrize("name, kwargs", [
    ("BatchNorm1d", {}), ("BatchNorm1d", {"momentum": None}),
    ("BatchNorm2d", {"momentum": 0.3, "affine": False}),
    ("BatchNorm2d", {"track_running_stats": False}),
    ("InstanceNorm2d", {"track_running_stats": True, "momentum": None}),
])
def test_running_statistics_over_train_and_eval_steps_match_pytorch(name, kwargs):
    # momentum=None is a cumulative average over the batches seen; eval reads the
    # running statistics and leaves them; without them eval uses the batch's.
    theirs, ours = _pair(name, (3,), kwargs)
    rng = np.random.default_rng(1)
    shape = (4, 3, 5) if name.endswith("1d") else (4, 3, 2, 3)
    for mode in ("train", "train", "train", "eval", "train", "eval"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        x = 2.0 + 3.0 * rng.standard_normal(shape)
        _close(ours(ad.tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), mode)
        their_buffers = dict(theirs.named_buffers())
        assert [k for k, _ in ours.named_buffers()] == list(their_buffers)
        for key, value in ours.named_buffers():
            _close(np.asarray(value.data), their_buffers[key].numpy(), f"{mode} {key}")


@pytest.mark.parametrize("option", ["none", "average_attn_weights", "key_padding_mask",
                                    "float_mask", "bool_mask", "need_weights"])
def test_attention_outputs_and_weights_under_masks_match_pytorch(option):
    theirs, ours = _pair("MultiheadAttention", (4, 2), {"batch_first": True})
    rng = np.random.default_rng(0)
    query, key = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4))
    kwargs = {"none": {}, "average_attn_weights": {"average_attn_weights": False},
              "key_padding_mask": {"key_padding_mask": np.array([[0, 0, 0, 0, 1],
                                                                 [0, 0, 0, 0, 0]], bool)},
              "float_mask": {"attn_mask": rng.standard_normal((3, 5))},
              "bool_mask": {"attn_mask": np.triu(np.ones((3, 5), bool), 1)},
              "need_weights": {"need_weights": False}}[option]
    their_kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                    for k, v in kwargs.items()}
    their_out, their_weights = theirs(torch.tensor(query), torch.tensor(key),
                                      torch.tensor(key), **their_kwargs)
    our_out, our_weights = ours(ad.tensor(query), ad.tensor(key), ad.tensor(key), **kwargs)
    _close(our_out.data, their_out.detach().numpy(), "output")
    if their_weights is None:
        assert our_weights is None
    else:
        _close(our_weights.data, their_weights.detach().numpy(), "weights")


@pytest.mark.parametrize("name, kwargs", [
    ("LSTM", {"num_layers": 2, "bidirectional": True, "proj_size": 2}),
    ("GRU", {"num_layers": 2, "batch_first": True}), ("RNN", {"bidirectional": True}),
])
def test_recurrent_final_states_and_initial_state_gradients_match_pytorch(name, kwargs):
    theirs, ours = _pair(name, (3, 4), kwargs)
    rng = np.random.default_rng(0)
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    x = rng.standard_normal((2, 5, 3) if kwargs.get("batch_first") else (5, 2, 3))
    initial = [rng.standard_normal((layers, 2, kwargs.get("proj_size", 4)))]
    if name == "LSTM":
        initial.append(rng.standard_normal((layers, 2, 4)))
    their_initial = [torch.tensor(a, requires_grad=True) for a in initial]
    our_initial = [ad.tensor(a, requires_grad=True) for a in initial]
    pack = tuple if name == "LSTM" else (lambda states: states[0])
    their_out, their_final = theirs(torch.tensor(x), pack(their_initial))
    our_out, our_final = ours(ad.tensor(x), pack(our_initial))
    their_final = list(their_final) if name == "LSTM" else [their_final]
    our_final = list(our_final) if name == "LSTM" else [our_final]
    for a, b in zip(our_final, their_final):
        _close(a.data, b.detach().numpy(), "final state")
    (their_out.sum() + sum((s * s).sum() for s in their_final)).backward()
    (our_out.sum() + sum((s * s).sum() for s in our_final)).backward()
    for a, b in zip(our_initial, their_initial):
        _close(a.grad, b.grad.numpy(), "initial state gradient")


@pytest.mark.parametrize("name, args, kwargs, shape", [
    ("LazyLinear", (4,), {}, (2, 3)), ("LazyConv2d", (4, 3), {}, (1, 2, 5, 5)),
    ("LazyConvTranspose1d", (3, 2), {"stride": 2}, (1, 2, 5)),
    ("LazyBatchNorm1d", (), {}, (4, 3)), ("LazyInstanceNorm2d", (), {}, (2, 3, 4, 4)),
    ("LazyBatchNorm2d", (), {"momentum": None}, (2, 3, 4, 4)),
])
def test_a_lazy_layer_becomes_pytorchs_layer_with_its_state(name, args, kwargs, shape):
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs)
    x = np.random.default_rng(0).standard_normal(shape)
    theirs(torch.tensor(x))
    ours(ad.tensor(x))
    assert type(ours).__name__ == type(theirs).__name__
    state, their_state = ours.to_torch_state_dict(), theirs.state_dict()
    assert list(state) == list(their_state)
    for key, value in their_state.items():
        assert np.shape(state[key]) == tuple(value.shape), key
        if key.startswith(("running", "num_batches")):
            _close(state[key], value.numpy(), key)
