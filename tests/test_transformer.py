"""nn.TransformerEncoderLayer and nn.TransformerEncoder: values against a NumPy reference
written here from PyTorch's formulas (post-norm and pre-norm, relu and gelu, both
layouts, masks, key padding, unbatched input), gradients against finite differences,
seeded dropout, PyTorch's state_dict keys and layouts, errors, and a compiled training
step against eager."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F

RNG = np.random.default_rng(31)
E, HEADS, FF, N, L = 8, 2, 12, 3, 5

_erf = np.vectorize(math.erf)


# ----- NumPy reference (PyTorch's formulas, from a PyTorch-layout state dict) ------

def layer_norm_ref(x, sd, prefix, eps):
    y = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + eps)
    y = y * sd[prefix + "weight"]
    return y + sd.get(prefix + "bias", 0.0)


def linear_ref(x, sd, prefix):
    return x @ sd[prefix + "weight"].T + sd.get(prefix + "bias", 0.0)


def relu_ref(x):
    return np.maximum(x, 0.0)


def gelu_ref(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def additive(mask):
    return np.where(mask, -np.inf, 0.0) if mask.dtype == bool else mask.astype(np.float64)


def self_attention_ref(x, sd, prefix, heads, attn_mask, key_padding_mask, weights_drop=1.0):
    """(N, L, E) self-attention with need_weights=False: a query with every key masked
    gets zero attention.  Bool masks are True where attention is blocked; the weights
    are multiplied by ``weights_drop`` (a dropout mask, already scaled)."""
    n, length, e = x.shape
    d = e // heads
    qkv = linear_ref(x, sd, prefix + "in_proj_")
    q, k, v = (a.reshape(n, length, heads, d).transpose(0, 2, 1, 3)
               for a in np.split(qkv, 3, axis=-1))
    s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d)                # (N, H, L, L)
    if attn_mask is not None:
        m = additive(attn_mask)
        s = s + (m.reshape(n, heads, length, length) if m.ndim == 3 else m)
    if key_padding_mask is not None:
        s = s + additive(key_padding_mask)[:, None, None, :]
    dead = np.all(s == -np.inf, axis=-1, keepdims=True)
    safe = np.where(dead, 0.0, s)
    w = np.exp(safe - safe.max(-1, keepdims=True))
    w = np.where(dead, 0.0, w / w.sum(-1, keepdims=True)) * weights_drop
    out = (w @ v).transpose(0, 2, 1, 3).reshape(n, length, e)
    return linear_ref(out, sd, prefix + "out_proj.")


def encoder_layer_ref(x, sd, prefix, heads, norm_first, act, eps, attn_mask, kpm, drops=None):
    """``drops``: dropout masks (scaled) for "self_attn", "dropout1", "dropout", "dropout2"."""
    drop = dict.fromkeys(["self_attn", "dropout1", "dropout", "dropout2"], 1.0) | (drops or {})

    def sa(y):
        out = self_attention_ref(y, sd, prefix + "self_attn.", heads, attn_mask, kpm,
                                 drop["self_attn"])
        return out * drop["dropout1"]

    def ff(y):
        hidden = act(linear_ref(y, sd, prefix + "linear1.")) * drop["dropout"]
        return linear_ref(hidden, sd, prefix + "linear2.") * drop["dropout2"]

    def norm(y, i):
        return layer_norm_ref(y, sd, f"{prefix}norm{i}.", eps)
    if norm_first:
        x = x + sa(norm(x, 1))
        return x + ff(norm(x, 2))
    x = norm(x + sa(x), 1)
    return norm(x + ff(x), 2)


def encoder_ref(src, sd, prefixes, heads, norm_first, act, batch_first, eps=1e-5,
                mask=None, kpm=None, final_norm=False, drops=None):
    """The layers whose keys start with ``prefixes`` (``[""]`` for a bare layer), then the
    final norm, on src in any layout: (L, N, E), (N, L, E) or unbatched (L, E)."""
    x = np.asarray(src, np.float64)
    sd = {k: v.astype(np.float64) for k, v in sd.items()}
    batched = x.ndim == 3
    if not batched:
        x = x[None]
        kpm = None if kpm is None else kpm[None]
    elif not batch_first:
        x = x.swapaxes(0, 1)
    for prefix in prefixes:
        x = encoder_layer_ref(x, sd, prefix, heads, norm_first, act, eps, mask, kpm, drops)
    if final_norm:
        x = layer_norm_ref(x, sd, "norm.", 1e-5)
    if not batched:
        return x[0]
    return x if batch_first else x.swapaxes(0, 1)


def layer_ref(src, layer, **kwargs):
    return encoder_ref(src, layer.to_torch_state_dict(), [""], layer.self_attn.num_heads,
                       layer.norm_first, kwargs.pop("act"), layer.self_attn.batch_first,
                       eps=layer.norm1.eps, **kwargs)


def randomize(model, scale=0.5):
    for _, p in model.named_parameters():
        p.data[...] = (RNG.standard_normal(p.shape) * scale).astype(p.dtype)
    return model


def src_shape(batched, batch_first, length=L, n=N, e=E):
    if not batched:
        return (length, e)
    return (n, length, e) if batch_first else (length, n, e)


def masks(kind, batched, dtype, length=L, n=N, heads=HEADS):
    kpm = RNG.random((n, length) if batched else (length,)) > 0.6
    kpm.reshape(-1, length)[:, 0] = False
    causal = np.triu(np.ones((length, length), bool), 1)
    stacked = (n * heads if batched else heads, length, length)
    dead = kpm.copy()
    dead.reshape(-1, length)[-1] = True                # the last sequence is all padding
    return {
        "none": {},
        "padding": dict(src_key_padding_mask=kpm),
        "float padding": dict(src_key_padding_mask=RNG.standard_normal(kpm.shape).astype(dtype)),
        "causal": dict(src_mask=causal),
        "causal hint": dict(src_mask=causal, is_causal=True),
        "causal float hint": dict(src_mask=np.where(causal, -np.inf, 0).astype(dtype),
                                  is_causal=True),
        "float": dict(src_mask=RNG.standard_normal((length, length)).astype(dtype)),
        "per head": dict(src_mask=RNG.random(stacked) > 0.7),
        "causal and padding": dict(src_mask=causal, src_key_padding_mask=kpm),
        "all padding": dict(src_key_padding_mask=dead),
    }[kind]


MASKS = ["none", "padding", "float padding", "causal", "causal hint", "causal float hint",
         "float", "per head", "causal and padding", "all padding"]
ACTS = {"relu": relu_ref, "gelu": gelu_ref}


def _tol(dtype):
    return dict(rtol=1e-11, atol=1e-11) if dtype == np.float64 else dict(rtol=3e-5, atol=3e-5)


# ----- values -----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_layer_matches_numpy(dtype, norm_first, activation, batch_first):
    layer = randomize(nn.TransformerEncoderLayer(
        E, HEADS, FF, dropout=0.0, activation=activation, batch_first=batch_first,
        norm_first=norm_first, layer_norm_eps=1e-3, rng=0, dtype=dtype))
    for batched in (True, False):
        x = RNG.standard_normal(src_shape(batched, batch_first)).astype(dtype)
        for kind in MASKS:
            given = masks(kind, batched, dtype)
            out = layer(ad.tensor(x), **given)
            given.pop("is_causal", None)
            want = layer_ref(x, layer, act=ACTS[activation],
                             mask=given.get("src_mask"), kpm=given.get("src_key_padding_mask"))
            assert out.dtype == dtype and out.shape == x.shape
            assert np.isfinite(out.data).all()
            np.testing.assert_allclose(out.data, want, **_tol(dtype), err_msg=kind)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("final_norm", [False, True])
def test_encoder_matches_numpy(dtype, norm_first, final_norm):
    layer = nn.TransformerEncoderLayer(E, HEADS, FF, dropout=0.0, activation="gelu",
                                       norm_first=norm_first, rng=1, dtype=dtype)
    norm = nn.LayerNorm(E, dtype=dtype) if final_norm else None
    encoder = randomize(nn.TransformerEncoder(layer, 3, norm=norm))   # the copies now differ
    sd = encoder.to_torch_state_dict()
    for batched in (True, False):
        x = RNG.standard_normal(src_shape(batched, False)).astype(dtype)
        for kind in MASKS:
            given = masks(kind, batched, dtype)
            mask, kpm = given.get("src_mask"), given.get("src_key_padding_mask")
            causal = given.get("is_causal")
            out = encoder(ad.tensor(x), mask=mask, src_key_padding_mask=kpm, is_causal=causal)
            want = encoder_ref(x, sd, ["layers.0.", "layers.1.", "layers.2."], HEADS,
                               norm_first, gelu_ref, False, mask=mask, kpm=kpm,
                               final_norm=final_norm)
            assert out.dtype == dtype and out.shape == x.shape
            np.testing.assert_allclose(out.data, want, **_tol(dtype), err_msg=kind)


def test_padded_positions_are_computed_and_an_all_padding_sequence_gets_zero_attention():
    layer = randomize(nn.TransformerEncoderLayer(E, HEADS, FF, dropout=0.0, batch_first=True,
                                                 rng=2))
    x = ad.tensor(RNG.standard_normal((N, L, E)), requires_grad=True)
    kpm = np.zeros((N, L), bool)
    kpm[0, 3:] = True
    kpm[1] = True
    out = layer(x, src_key_padding_mask=kpm)
    assert np.isfinite(out.data).all() and not (out.data[kpm] == 0).all()
    out.backward(np.ones(out.shape))
    assert np.isfinite(x.grad).all()
    assert all(np.isfinite(p.grad).all() for p in layer.parameters())
    # With no key to attend to, self-attention gives out_proj's bias at every position.
    sd = layer.to_torch_state_dict()
    alone = layer_norm_ref(x.data[1] + sd["self_attn.out_proj.bias"], sd, "norm1.", 1e-5)
    ff = linear_ref(relu_ref(linear_ref(alone, sd, "linear1.")), sd, "linear2.")
    np.testing.assert_allclose(out.data[1], layer_norm_ref(alone + ff, sd, "norm2.", 1e-5),
                               rtol=1e-12, atol=1e-12)


def test_callable_activations_and_a_module_activation_is_registered():
    x = RNG.standard_normal((L, N, E))
    plain = nn.TransformerEncoderLayer(E, HEADS, FF, dropout=0.0, activation=ad.tanh, rng=3)
    np.testing.assert_allclose(plain(ad.tensor(x)).data, layer_ref(x, plain, act=np.tanh),
                               rtol=1e-12, atol=1e-12)
    module = nn.TransformerEncoderLayer(E, HEADS, FF, dropout=0.0, activation=nn.GELU(), rng=3)
    assert isinstance(module.activation, nn.GELU)
    assert dict(module.named_children())["activation"] is module.activation
    np.testing.assert_allclose(module(ad.tensor(x)).data, layer_ref(x, module, act=gelu_ref),
                               rtol=1e-12, atol=1e-12)
    assert plain.activation is ad.tanh
    assert nn.TransformerEncoderLayer(E, HEADS, rng=0).activation is F.relu
    assert nn.TransformerEncoderLayer(E, HEADS, activation="gelu", rng=0).activation is F.gelu


def test_bias_false_leaves_out_every_bias():
    layer = randomize(nn.TransformerEncoderLayer(E, HEADS, FF, dropout=0.0, bias=False, rng=4))
    assert list(layer.to_torch_state_dict()) == [
        "self_attn.in_proj_weight", "self_attn.out_proj.weight", "linear1.weight",
        "linear2.weight", "norm1.weight", "norm2.weight"]
    x = RNG.standard_normal((L, N, E))
    np.testing.assert_allclose(layer(ad.tensor(x)).data, layer_ref(x, layer, act=relu_ref),
                               rtol=1e-12, atol=1e-12)


def test_nested_tensor_and_mask_check_flags_change_no_result():
    layer = randomize(nn.TransformerEncoderLayer(E, HEADS, FF, dropout=0.0, batch_first=True,
                                                 rng=5))
    x = ad.tensor(RNG.standard_normal((N, L, E)))
    kpm = np.zeros((N, L), bool)
    kpm[0, 2:] = True
    kpm[2, 1:] = True
    outs = []
    for nested in (True, False):
        for check in (True, False):
            encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=nested,
                                            mask_check=check)
            assert encoder.enable_nested_tensor is nested and encoder.mask_check is check
            outs.append(encoder.eval()(x, src_key_padding_mask=kpm).data)
    for out in outs[1:]:
        np.testing.assert_array_equal(out, outs[0])
    assert not (outs[0][kpm] == 0).all()           # padded positions are not zeroed


# ----- gradients --------------------------------------------------------------------

def _with_params(model, names, arrays):
    """Make the forward read ``arrays`` (Tensors from gradcheck) for the named parameters."""
    for name, value in zip(names, arrays):
        *path, attr = name.split(".")
        owner = model
        for part in path:
            owner = owner[int(part)] if part.isdigit() else getattr(owner, part)
        object.__setattr__(owner, attr, value)


CHECKED = ["self_attn.in_proj_weight", "self_attn.out_proj.bias", "linear1.weight",
           "linear2.bias", "norm1.weight", "norm2.bias"]


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_layer_gradcheck_through_input_and_parameters(norm_first, activation):
    layer = randomize(nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation=activation,
                                                 norm_first=norm_first, rng=6))
    x = RNG.standard_normal((3, 2, 4))
    kpm = np.array([[False, False, True], [False, False, False]])
    mask = RNG.standard_normal((3, 3))
    weights = RNG.standard_normal((3, 2, 4))
    params = dict(layer.named_parameters())
    values = [params[name].data.copy() for name in CHECKED]

    def f(x, *ps):
        _with_params(layer, CHECKED, ps)
        return (layer(x, src_mask=mask, src_key_padding_mask=kpm) * weights).sum()
    assert ad.gradcheck(f, [x] + values)


def test_encoder_gradcheck_through_input_and_the_final_norm():
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, batch_first=True, rng=7)
    encoder = randomize(nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(4)))
    x = RNG.standard_normal((2, 3, 4))
    kpm = np.array([[False, True, True], [True, True, True]])      # one sequence all padding
    weights = RNG.standard_normal((2, 3, 4))
    names = ["layers.1.linear1.weight", "norm.weight"]
    params = dict(encoder.named_parameters())

    def f(x, *ps):
        _with_params(encoder, names, ps)
        return (encoder(x, src_key_padding_mask=kpm) * weights).sum()
    assert ad.gradcheck(f, [x] + [params[n].data.copy() for n in names])


# ----- dropout ----------------------------------------------------------------------

def test_dropout_is_seeded_and_off_in_eval():
    x = ad.tensor(RNG.standard_normal((L, N, E)))
    a = nn.TransformerEncoderLayer(E, HEADS, FF, dropout=0.3, rng=8)
    b = nn.TransformerEncoderLayer(E, HEADS, FF, dropout=0.3, rng=8)
    first = a(x).data
    np.testing.assert_array_equal(first, b(x).data)
    assert not np.array_equal(a(x).data, first)             # a new mask at each call
    np.testing.assert_allclose(a.eval()(x).data, layer_ref(x.data, a, act=relu_ref),
                               rtol=1e-12, atol=1e-12)
    assert not np.allclose(first, a.eval()(x).data)
    ad.nn.manual_seed(4)
    c = nn.TransformerEncoderLayer(E, HEADS, FF, dropout=0.3)
    from_global = c(x).data
    ad.nn.manual_seed(4)
    d = nn.TransformerEncoderLayer(E, HEADS, FF, dropout=0.3)
    np.testing.assert_array_equal(d(x).data, from_global)


@pytest.mark.parametrize("norm_first", [False, True])
def test_training_mode_dropout_acts_where_pytorch_puts_it(norm_first):
    p = 0.25
    layer = randomize(nn.TransformerEncoderLayer(E, HEADS, FF, dropout=p, batch_first=True,
                                                 norm_first=norm_first, rng=14))
    x = RNG.standard_normal((N, L, E))
    kpm = masks("padding", True, np.float64)["src_key_padding_mask"]
    gen = copy.deepcopy(layer._rng)              # the draws F.dropout makes, in call order
    drops = {name: (gen.random(shape) >= p) / (1 - p) for name, shape in (
        ("self_attn", (N, HEADS, L, L)), ("dropout1", (N, L, E)), ("dropout", (N, L, FF)),
        ("dropout2", (N, L, E)))}
    out = layer(ad.tensor(x), src_key_padding_mask=kpm)
    want = encoder_ref(x, layer.to_torch_state_dict(), [""], HEADS, norm_first, relu_ref, True,
                       kpm=kpm, drops=drops)
    np.testing.assert_allclose(out.data, want, rtol=1e-12, atol=1e-12)


def test_encoder_copies_draw_their_own_dropout_masks_and_leave_the_layer_alone():
    layer = nn.TransformerEncoderLayer(E, HEADS, FF, dropout=0.5, rng=9)
    state = layer._rng.bit_generator.state
    encoder = nn.TransformerEncoder(layer, 2)
    assert layer._rng.bit_generator.state == state
    first, second = encoder.layers
    for clone in (first, second):                  # one generator per copy, shared inside it
        gens = {id(m._rng) for m in (clone, clone.dropout, clone.dropout1, clone.dropout2,
                                      clone.self_attn)}
        assert len(gens) == 1 and id(layer._rng) not in gens
    assert first._rng is not second._rng
    x = ad.tensor(RNG.standard_normal((L, N, E)))
    assert not np.array_equal(first.dropout1(x).data, second.dropout1(x).data)
    again = nn.TransformerEncoder(layer, 2)
    np.testing.assert_array_equal(again(x).data, nn.TransformerEncoder(layer, 2)(x).data)


# ----- parameters and state dicts ---------------------------------------------------

LAYER_KEYS = ["self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
              "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
              "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"]


def test_state_dict_keys_and_torch_layout():
    layer = nn.TransformerEncoderLayer(E, HEADS, FF, rng=10)
    assert list(layer.state_dict()) == LAYER_KEYS
    torch_sd = layer.to_torch_state_dict()
    assert list(torch_sd) == LAYER_KEYS
    assert {k: v.shape for k, v in torch_sd.items()} == {
        "self_attn.in_proj_weight": (3 * E, E), "self_attn.in_proj_bias": (3 * E,),
        "self_attn.out_proj.weight": (E, E), "self_attn.out_proj.bias": (E,),
        "linear1.weight": (FF, E), "linear1.bias": (FF,), "linear2.weight": (E, FF),
        "linear2.bias": (E,), "norm1.weight": (E,), "norm1.bias": (E,), "norm2.weight": (E,),
        "norm2.bias": (E,)}
    np.testing.assert_array_equal(torch_sd["linear1.weight"], layer.linear1.weight.data.T)

    encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(E))
    keys = [f"layers.{i}.{k}" for i in range(2) for k in LAYER_KEYS] + ["norm.weight",
                                                                        "norm.bias"]
    assert list(encoder.state_dict()) == keys and list(encoder.to_torch_state_dict()) == keys
    assert list(nn.TransformerEncoder(layer, 1).state_dict()) == ["layers.0." + k
                                                                  for k in LAYER_KEYS]

    other = randomize(nn.TransformerEncoder(nn.TransformerEncoderLayer(E, HEADS, FF, rng=11), 2,
                                            norm=nn.LayerNorm(E)))
    other.load_torch_state_dict(encoder.to_torch_state_dict())
    x = ad.tensor(RNG.standard_normal((L, N, E)))
    np.testing.assert_array_equal(other.eval()(x).data, encoder.eval()(x).data)


def test_layers_are_deep_copies_that_start_equal():
    layer = nn.TransformerEncoderLayer(E, HEADS, FF, rng=12)
    encoder = nn.TransformerEncoder(layer, 3)
    assert len(encoder.layers) == encoder.num_layers == 3
    assert all(m is not layer for m in encoder.layers)
    for clone in encoder.layers:
        for (name, p), (_, q) in zip(clone.named_parameters(), layer.named_parameters()):
            assert p is not q
            np.testing.assert_array_equal(p.data, q.data, err_msg=name)
    encoder.layers[0].linear1.weight.data[...] = 0
    assert (encoder.layers[1].linear1.weight.data != 0).any()
    assert (layer.linear1.weight.data != 0).any()
    assert len(list(encoder.parameters())) == 3 * len(LAYER_KEYS)
    trained = copy.deepcopy(encoder).eval()
    assert not any(m.training for m in trained.modules()) and encoder.training


def test_dtype_float32_everywhere():
    layer = nn.TransformerEncoderLayer(E, HEADS, FF, rng=13, dtype=np.float32)
    assert all(p.dtype == np.float32 for p in layer.parameters())
    out = nn.TransformerEncoder(layer, 2)(ad.tensor(np.ones((L, N, E), np.float32)))
    assert out.dtype == np.float32


# ----- errors -----------------------------------------------------------------------

def test_constructor_errors():
    name = r"^TransformerEncoderLayer: "
    with pytest.raises(ValueError, match=name + r"d_model \(6\) must be divisible by nhead "
                                                r"\(4\), .* divides 6 \(1, 2, 3, 6\)$"):
        nn.TransformerEncoderLayer(6, 4)
    for bad in (0, -2, 2.0, True):
        with pytest.raises(ValueError, match=name + r"nhead must be a positive int"):
            nn.TransformerEncoderLayer(4, bad)
    with pytest.raises(ValueError, match=name + r"dim_feedforward must be a positive int"):
        nn.TransformerEncoderLayer(4, 2, dim_feedforward=0)
    with pytest.raises(ValueError, match=name + r"dropout is the probability .* got "
                                                r"dropout=1.5"):
        nn.TransformerEncoderLayer(4, 2, dropout=1.5)
    with pytest.raises(ValueError, match=name + r"activation must be 'relu', 'gelu' or a "
                                                r"callable, got 'tanh'$"):
        nn.TransformerEncoderLayer(4, 2, activation="tanh")
    with pytest.raises(TypeError, match=name + r"activation must be .* got int$"):
        nn.TransformerEncoderLayer(4, 2, activation=3)
    with pytest.raises(ValueError, match=name + r"eps must be >= 0"):
        nn.TransformerEncoderLayer(4, 2, layer_norm_eps=-1.0)
    with pytest.raises(TypeError, match=name + r"dtype must be a floating-point type"):
        nn.TransformerEncoderLayer(4, 2, dtype=np.int64)
    layer = nn.TransformerEncoderLayer(4, 2, rng=0)
    with pytest.raises(TypeError, match=r"^TransformerEncoder: encoder_layer must be a Module"):
        nn.TransformerEncoder("layer", 2)
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match=r"^TransformerEncoder: num_layers must be a "
                                             r"positive int"):
            nn.TransformerEncoder(layer, bad)
    with pytest.raises(TypeError, match=r"^TransformerEncoder: norm must be a Module .* got "
                                        r"function$"):
        nn.TransformerEncoder(layer, 2, norm=F.layer_norm)


def test_forward_errors_name_the_layer_the_shapes_and_the_fix():
    layer = nn.TransformerEncoderLayer(4, 2, 6, rng=0)
    name = r"^TransformerEncoderLayer\(d_model=4, nhead=2\): "
    x = np.zeros((3, 2, 4))
    with pytest.raises(ValueError, match=name + r"src must be \(L, N, E\) or unbatched \(L, E\) "
                                                r"with E = d_model = 4, got shape \(3, 2, 5\)$"):
        layer(np.zeros((3, 2, 5)))
    with pytest.raises(ValueError, match=name + r"src must be .* got shape \(4,\)$"):
        layer(np.zeros(4))
    with pytest.raises(ValueError, match=r"src must be \(N, L, E\)"):
        nn.TransformerEncoderLayer(4, 2, 6, batch_first=True, rng=0)(np.zeros((1, 1, 2, 4)))
    with pytest.raises(TypeError, match=name + r"src must hold floating-point values, got "
                                               r"dtype int64"):
        layer(np.zeros((3, 2, 4), np.int64))
    with pytest.raises(TypeError, match=name + r"src is float32 but the layer's parameters are "
                                               r"float64; .* dtype=np.float32$"):
        layer(x.astype(np.float32))
    with pytest.raises(ValueError, match=name + r"src_key_padding_mask must have shape \(2, 3\) "
                                                r"\(\(N, L\)\), got \(3, 2\)$"):
        layer(x, src_key_padding_mask=np.zeros((3, 2), bool))
    with pytest.raises(ValueError, match=name + r"src_key_padding_mask must have shape \(3,\) "
                                                r"\(\(L,\) for unbatched src\)"):
        layer(x[:, 0], src_key_padding_mask=np.zeros((1, 3), bool))
    with pytest.raises(ValueError, match=name + r"src_mask must have shape \(L, L\) = \(3, 3\) "
                                                r"or \(N \* nhead, L, L\) = \(4, 3, 3\), got "
                                                r"\(2, 3, 3\)$"):
        layer(x, src_mask=np.zeros((2, 3, 3), bool))
    with pytest.raises(TypeError, match=name + r"src_mask must be a bool mask or a float mask "
                                               r"of the query's dtype \(float64\), got dtype "
                                               r"int64"):
        layer(x, src_mask=np.zeros((3, 3), np.int64))
    with pytest.raises(ValueError, match=name + r"is_causal=True is a hint that src_mask is the "
                                                r"causal mask, and needs that src_mask .*"
                                                r"np.triu\(np.ones\(\(3, 3\), bool\), 1\)"):
        layer(x, is_causal=True)
    with pytest.raises(TypeError, match=name + r"is_causal must be True or False"):
        layer(x, src_mask=np.zeros((3, 3), bool), is_causal="yes")
    with pytest.raises(ValueError, match=r"is_causal=True says attn_mask is the causal mask"):
        layer(x, src_mask=np.zeros((3, 3), bool), is_causal=True)
    encoder = nn.TransformerEncoder(layer, 2)
    with pytest.raises(ValueError, match=name + r"is_causal=True is a hint"):
        encoder(x, is_causal=True)
    with pytest.raises(ValueError, match=name + r"src_mask must have shape"):
        encoder(x, mask=np.zeros((2, 2), bool))


# ----- compiled training step -------------------------------------------------------

def test_compiled_training_step_with_an_encoder_matches_eager():
    def make():
        layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True,
                                           norm_first=True, rng=0)
        encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8))
        head = nn.Linear(8, 3, rng=1)
        opt = ad.optim.SGD(list(encoder.parameters()) + list(head.parameters()), lr=0.1,
                           momentum=0.9)

        def step(x, y, kpm):
            loss = F.cross_entropy(head(encoder(x, src_key_padding_mask=kpm).mean(axis=1)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss, encoder.layers[1].linear1.weight.grad
        return encoder, step
    (eager_model, eager), (compiled_model, step) = make(), make()
    compiled = ad.compile(step)
    data = np.random.default_rng(3)
    for _ in range(4):
        x, y = data.standard_normal((4, 5, 8)), data.integers(0, 3, 4)
        kpm = data.random((4, 5)) > 0.7
        kpm[:, 0] = False
        for a, b in zip(eager(ad.tensor(x), y, kpm), compiled(ad.tensor(x), y, kpm)):
            np.testing.assert_allclose(np.asarray(getattr(b, "data", b)),
                                       np.asarray(getattr(a, "data", a)), rtol=1e-12,
                                       atol=1e-14)
    assert compiled.traces == 1
    for (name, p), (_, q) in zip(compiled_model.named_parameters(),
                                 eager_model.named_parameters()):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-12, atol=1e-14, err_msg=name)
