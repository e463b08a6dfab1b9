"""nn.TransformerDecoderLayer, nn.TransformerDecoder and nn.Transformer: values against a
NumPy reference written here from PyTorch's formulas and fed with ``to_torch_state_dict()``
(post-norm and pre-norm, relu and gelu, both layouts, causal and padding masks, float32
and float64), gradients against finite differences, seeded dropout, PyTorch's state_dict
keys, the causal mask, and errors."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn

RNG = np.random.default_rng(47)
E, HEADS, FF, N, T, S = 8, 2, 12, 3, 4, 6

_erf = np.vectorize(math.erf)


# ----- NumPy reference (PyTorch's formulas, from a PyTorch-layout state dict) ------

def layer_norm_ref(x, sd, prefix, eps):
    y = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + eps)
    return y * sd[prefix + "weight"] + sd.get(prefix + "bias", 0.0)


def linear_ref(x, sd, prefix):
    return x @ sd[prefix + "weight"].T + sd.get(prefix + "bias", 0.0)


def relu_ref(x):
    return np.maximum(x, 0.0)


def gelu_ref(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


ACTS = {"relu": relu_ref, "gelu": gelu_ref}


def additive(mask):
    return np.where(mask, -np.inf, 0.0) if mask.dtype == bool else mask.astype(np.float64)


def attention_ref(x, mem, sd, prefix, heads, attn_mask, kpm, weights_drop=1.0):
    """Queries from ``x`` (N, L, E), keys and values from ``mem`` (N, S, E), with
    need_weights=False: a query with every key masked gets zero attention."""
    (n, rows, e), cols, d = x.shape, mem.shape[1], x.shape[-1] // heads
    w, b = sd[prefix + "in_proj_weight"], sd.get(prefix + "in_proj_bias", np.zeros(3 * e))

    def heads_of(y, i, length):
        y = y @ w[i * e:(i + 1) * e].T + b[i * e:(i + 1) * e]
        return y.reshape(n, length, heads, d).transpose(0, 2, 1, 3)
    q, k, v = heads_of(x, 0, rows), heads_of(mem, 1, cols), heads_of(mem, 2, cols)
    s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d)                 # (N, H, L, S)
    if attn_mask is not None:
        m = additive(attn_mask)
        s = s + (m.reshape(n, heads, rows, cols) if m.ndim == 3 else m)
    if kpm is not None:
        s = s + additive(kpm)[:, None, None, :]
    dead = np.all(s == -np.inf, axis=-1, keepdims=True)
    safe = np.where(dead, 0.0, s)
    p = np.exp(safe - safe.max(-1, keepdims=True))
    p = np.where(dead, 0.0, p / p.sum(-1, keepdims=True)) * weights_drop
    return linear_ref((p @ v).transpose(0, 2, 1, 3).reshape(n, rows, e), sd,
                      prefix + "out_proj.")


def decoder_layer_ref(x, mem, sd, prefix, cfg, masks, drops=None):
    """``drops``: scaled dropout masks by submodule name (attention weights under the
    attention's name)."""
    drop = dict.fromkeys(["self_attn", "dropout1", "multihead_attn", "dropout2", "dropout",
                          "dropout3"], 1.0) | (drops or {})

    def sa(y):
        return attention_ref(y, y, sd, prefix + "self_attn.", cfg["heads"],
                             masks.get("tgt_mask"), masks.get("tgt_key_padding_mask"),
                             drop["self_attn"]) * drop["dropout1"]

    def mha(y):
        return attention_ref(y, mem, sd, prefix + "multihead_attn.", cfg["heads"],
                             masks.get("memory_mask"), masks.get("memory_key_padding_mask"),
                             drop["multihead_attn"]) * drop["dropout2"]

    def ff(y):
        hidden = cfg["act"](linear_ref(y, sd, prefix + "linear1.")) * drop["dropout"]
        return linear_ref(hidden, sd, prefix + "linear2.") * drop["dropout3"]

    def norm(y, i):
        return layer_norm_ref(y, sd, f"{prefix}norm{i}.", cfg["eps"])
    if cfg["norm_first"]:
        x = x + sa(norm(x, 1))
        x = x + mha(norm(x, 2))
        return x + ff(norm(x, 3))
    x = norm(x + sa(x), 1)
    x = norm(x + mha(x), 2)
    return norm(x + ff(x), 3)


def encoder_layer_ref(x, sd, prefix, cfg, mask, kpm):
    def sa(y):
        return attention_ref(y, y, sd, prefix + "self_attn.", cfg["heads"], mask, kpm)

    def ff(y):
        return linear_ref(cfg["act"](linear_ref(y, sd, prefix + "linear1.")), sd,
                          prefix + "linear2.")

    def norm(y, i):
        return layer_norm_ref(y, sd, f"{prefix}norm{i}.", cfg["eps"])
    if cfg["norm_first"]:
        x = x + sa(norm(x, 1))
        return x + ff(norm(x, 2))
    x = norm(x + sa(x), 1)
    return norm(x + ff(x), 2)


def to_nle(x, batch_first):
    x = np.asarray(x, np.float64)
    if x.ndim == 2:
        return x[None]
    return x if batch_first else x.swapaxes(0, 1)


def from_nle(x, batched, batch_first):
    if not batched:
        return x[0]
    return x if batch_first else x.swapaxes(0, 1)


def batched_masks(masks, batched):
    out = {k: v for k, v in masks.items() if v is not None and k != "tgt_is_causal"}
    if not batched:
        for k in ("tgt_key_padding_mask", "memory_key_padding_mask"):
            if k in out:
                out[k] = out[k][None]
    return out


def decoder_ref(tgt, memory, sd, prefixes, cfg, masks, final_norm=None, drops=None):
    """The decoder layers under ``prefixes`` (``[""]`` for one bare layer), then the final
    norm under ``final_norm``, in the layout of ``cfg["batch_first"]``."""
    sd = {k: v.astype(np.float64) for k, v in sd.items()}
    batched = np.ndim(tgt) == 3
    x, mem = to_nle(tgt, cfg["batch_first"]), to_nle(memory, cfg["batch_first"])
    masks = batched_masks(masks, batched)
    for prefix in prefixes:
        x = decoder_layer_ref(x, mem, sd, prefix, cfg, masks, drops)
    if final_norm is not None:
        x = layer_norm_ref(x, sd, final_norm, cfg["eps"])
    return from_nle(x, batched, cfg["batch_first"])


def transformer_ref(src, tgt, sd, layers, cfg, masks):
    sd = {k: v.astype(np.float64) for k, v in sd.items()}
    batched = np.ndim(src) == 3
    x = to_nle(src, cfg["batch_first"])
    kpm = masks.get("src_key_padding_mask")
    kpm = kpm if kpm is None or batched else kpm[None]
    for i in range(layers[0]):
        x = encoder_layer_ref(x, sd, f"encoder.layers.{i}.", cfg, masks.get("src_mask"), kpm)
    memory = from_nle(layer_norm_ref(x, sd, "encoder.norm.", cfg["eps"]), batched,
                      cfg["batch_first"])
    return decoder_ref(tgt, memory, sd, [f"decoder.layers.{i}." for i in range(layers[1])],
                       cfg, masks, final_norm="decoder.norm.")


def config(model, act):
    layer = model if isinstance(model, nn.TransformerDecoderLayer) else \
        (model.layers[0] if isinstance(model, nn.TransformerDecoder) else
         model.decoder.layers[0])
    return dict(heads=layer.self_attn.num_heads, norm_first=layer.norm_first, act=ACTS[act],
                eps=layer.norm1.eps, batch_first=layer.self_attn.batch_first)


def randomize(model, scale=0.5):
    for _, p in model.named_parameters():
        p.data[...] = (RNG.standard_normal(p.shape) * scale).astype(p.dtype)
    return model


def shape(length, batched, batch_first, n=N, e=E):
    if not batched:
        return (length, e)
    return (n, length, e) if batch_first else (length, n, e)


def padding(length, batched, n=N, all_padded=False):
    kpm = RNG.random((n, length)) > 0.6
    kpm[:, 0] = False
    if all_padded:
        kpm[-1] = True
    return kpm if batched else kpm[0]


def decoder_masks(kind, batched, dtype, heads=HEADS):
    causal = nn.Transformer.generate_square_subsequent_mask(T, dtype=dtype)
    stacked = (N * heads if batched else heads, T, S)
    return {
        "none": {},
        "causal": dict(tgt_mask=causal),
        "causal hint": dict(tgt_mask=causal, tgt_is_causal=True),
        "causal and padding": dict(tgt_mask=causal, tgt_key_padding_mask=padding(T, batched),
                                   memory_key_padding_mask=padding(S, batched)),
        "float memory mask": dict(memory_mask=RNG.standard_normal((T, S)).astype(dtype)),
        "per head memory mask": dict(memory_mask=RNG.random(stacked) > 0.7),
        "float padding": dict(memory_key_padding_mask=RNG.standard_normal(
            (N, S) if batched else (S,)).astype(dtype)),
        "all padding": dict(tgt_key_padding_mask=padding(T, batched, all_padded=True),
                            memory_key_padding_mask=padding(S, batched, all_padded=True)),
    }[kind]


MASKS = ["none", "causal", "causal hint", "causal and padding", "float memory mask",
         "per head memory mask", "float padding", "all padding"]


def _tol(dtype):
    return dict(rtol=1e-11, atol=1e-11) if dtype == np.float64 else dict(rtol=3e-5, atol=3e-5)


def _plain(masks):
    """The masks as NumPy arrays, for the reference."""
    return {k: (v.data if isinstance(v, ad.Tensor) else v) for k, v in masks.items()}


# ----- values -----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_decoder_layer_matches_numpy(dtype, norm_first, activation, batch_first):
    layer = randomize(nn.TransformerDecoderLayer(
        E, HEADS, FF, dropout=0.0, activation=activation, batch_first=batch_first,
        norm_first=norm_first, layer_norm_eps=1e-3, rng=0, dtype=dtype))
    sd = layer.to_torch_state_dict()
    for batched in (True, False):
        tgt = RNG.standard_normal(shape(T, batched, batch_first)).astype(dtype)
        memory = RNG.standard_normal(shape(S, batched, batch_first)).astype(dtype)
        for kind in MASKS:
            given = decoder_masks(kind, batched, dtype)
            out = layer(ad.tensor(tgt), ad.tensor(memory), **given)
            want = decoder_ref(tgt, memory, sd, [""], config(layer, activation), _plain(given))
            assert out.dtype == dtype and out.shape == tgt.shape
            assert np.isfinite(out.data).all()
            np.testing.assert_allclose(out.data, want, **_tol(dtype), err_msg=kind)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("final_norm", [False, True])
def test_decoder_matches_numpy(dtype, norm_first, final_norm):
    layer = nn.TransformerDecoderLayer(E, HEADS, FF, dropout=0.0, activation="gelu",
                                       norm_first=norm_first, rng=1, dtype=dtype)
    norm = nn.LayerNorm(E, dtype=dtype) if final_norm else None
    decoder = randomize(nn.TransformerDecoder(layer, 3, norm=norm))   # the copies now differ
    sd = decoder.to_torch_state_dict()
    tgt = RNG.standard_normal((T, N, E)).astype(dtype)
    memory = RNG.standard_normal((S, N, E)).astype(dtype)
    for kind in MASKS:
        given = decoder_masks(kind, True, dtype)
        out = decoder(ad.tensor(tgt), ad.tensor(memory), **given)
        want = decoder_ref(tgt, memory, sd, [f"layers.{i}." for i in range(3)],
                           config(decoder, "gelu"), _plain(given),
                           final_norm="norm." if final_norm else None)
        np.testing.assert_allclose(out.data, want, **_tol(dtype), err_msg=kind)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_numpy(dtype, norm_first, activation, batch_first):
    model = randomize(nn.Transformer(E, HEADS, 2, 3, FF, dropout=0.0, activation=activation,
                                     batch_first=batch_first, norm_first=norm_first, rng=2,
                                     dtype=dtype))
    sd = model.to_torch_state_dict()
    for batched in (True, False):
        src = RNG.standard_normal(shape(S, batched, batch_first)).astype(dtype)
        tgt = RNG.standard_normal(shape(T, batched, batch_first)).astype(dtype)
        src_kpm = padding(S, batched)
        given = dict(tgt_mask=model.generate_square_subsequent_mask(T, dtype=dtype),
                     src_key_padding_mask=src_kpm, tgt_key_padding_mask=padding(T, batched),
                     memory_key_padding_mask=src_kpm)
        out = model(ad.tensor(src), ad.tensor(tgt), **given)
        want = transformer_ref(src, tgt, sd, (2, 3), config(model, activation), _plain(given))
        assert out.dtype == dtype and out.shape == tgt.shape
        np.testing.assert_allclose(out.data, want, **_tol(dtype))
        src_mask = RNG.standard_normal((S, S)).astype(dtype)
        out = model(ad.tensor(src), ad.tensor(tgt), src_mask=src_mask)
        want = transformer_ref(src, tgt, sd, (2, 3), config(model, activation),
                               dict(src_mask=src_mask))
        np.testing.assert_allclose(out.data, want, **_tol(dtype))


def test_generate_square_subsequent_mask_is_pytorchs():
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    assert isinstance(mask, ad.Tensor) and mask.dtype == np.float64 and not mask.requires_grad
    want = np.array([[0, -np.inf, -np.inf, -np.inf], [0, 0, -np.inf, -np.inf],
                     [0, 0, 0, -np.inf], [0, 0, 0, 0]])
    np.testing.assert_array_equal(mask.data, want)
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype=np.float32).dtype == np.float32
    assert nn.Transformer(8, 2, 1, 1, 16, rng=0).generate_square_subsequent_mask(0).shape == (0, 0)


# ----- gradients --------------------------------------------------------------------

def _with_params(model, names, arrays):
    """Make the forward read ``arrays`` (Tensors from gradcheck) for the named parameters."""
    for name, value in zip(names, arrays):
        *path, attr = name.split(".")
        owner = model
        for part in path:
            owner = owner[int(part)] if part.isdigit() else getattr(owner, part)
        object.__setattr__(owner, attr, value)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_decoder_layer_gradcheck_through_tgt_memory_and_parameters(norm_first, activation):
    layer = randomize(nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, activation=activation,
                                                 norm_first=norm_first, rng=3))
    tgt, memory = RNG.standard_normal((3, 2, 4)), RNG.standard_normal((4, 2, 4))
    causal = nn.Transformer.generate_square_subsequent_mask(3)
    memory_kpm = np.array([[False, False, True, False], [False, True, True, True]])
    memory_mask = RNG.standard_normal((3, 4))
    weights = RNG.standard_normal((3, 2, 4))
    names = ["self_attn.in_proj_weight", "multihead_attn.in_proj_weight",
             "multihead_attn.out_proj.bias", "linear1.weight", "norm3.weight"]
    params = dict(layer.named_parameters())

    def f(tgt, memory, *ps):
        _with_params(layer, names, ps)
        out = layer(tgt, memory, tgt_mask=causal, memory_mask=memory_mask,
                    memory_key_padding_mask=memory_kpm)
        return (out * weights).sum()
    assert ad.gradcheck(f, [tgt, memory] + [params[n].data.copy() for n in names])


def test_transformer_gradcheck_through_src_tgt_and_parameters():
    model = randomize(nn.Transformer(4, 2, 1, 2, 6, dropout=0.0, batch_first=True, rng=4))
    src, tgt = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 2, 4))
    weights = RNG.standard_normal((2, 2, 4))
    names = ["encoder.layers.0.linear2.weight", "encoder.norm.bias",
             "decoder.layers.1.multihead_attn.in_proj_bias", "decoder.norm.weight"]
    params = dict(model.named_parameters())

    def f(src, tgt, *ps):
        _with_params(model, names, ps)
        out = model(src, tgt, tgt_mask=model.generate_square_subsequent_mask(2),
                    src_key_padding_mask=np.array([[False, False, True], [False] * 3]))
        return (out * weights).sum()
    assert ad.gradcheck(f, [src, tgt] + [params[n].data.copy() for n in names])


# ----- dropout ----------------------------------------------------------------------

def test_dropout_is_seeded_and_off_in_eval():
    tgt = ad.tensor(RNG.standard_normal((T, N, E)))
    memory = ad.tensor(RNG.standard_normal((S, N, E)))
    a = nn.TransformerDecoderLayer(E, HEADS, FF, dropout=0.3, rng=5)
    b = nn.TransformerDecoderLayer(E, HEADS, FF, dropout=0.3, rng=5)
    first = a(tgt, memory).data
    np.testing.assert_array_equal(first, b(tgt, memory).data)
    assert not np.array_equal(a(tgt, memory).data, first)
    want = decoder_ref(tgt.data, memory.data, a.to_torch_state_dict(), [""], config(a, "relu"),
                       {})
    np.testing.assert_allclose(a.eval()(tgt, memory).data, want, rtol=1e-12, atol=1e-12)
    model = nn.Transformer(E, HEADS, 1, 2, FF, dropout=0.3, rng=6)
    again = nn.Transformer(E, HEADS, 1, 2, FF, dropout=0.3, rng=6)
    np.testing.assert_array_equal(model(tgt, tgt).data, again(tgt, tgt).data)
    model.eval()
    np.testing.assert_array_equal(model(tgt, tgt).data, model(tgt, tgt).data)
    assert not any(m.training for m in model.modules())


@pytest.mark.parametrize("norm_first", [False, True])
def test_training_mode_dropout_acts_where_pytorch_puts_it(norm_first):
    p = 0.25
    layer = randomize(nn.TransformerDecoderLayer(E, HEADS, FF, dropout=p, batch_first=True,
                                                 norm_first=norm_first, rng=7))
    tgt, memory = RNG.standard_normal((N, T, E)), RNG.standard_normal((N, S, E))
    gen = copy.deepcopy(layer._rng)              # the draws F.dropout makes, in call order
    drops = {name: (gen.random(size) >= p) / (1 - p) for name, size in (
        ("self_attn", (N, HEADS, T, T)), ("dropout1", (N, T, E)),
        ("multihead_attn", (N, HEADS, T, S)), ("dropout2", (N, T, E)),
        ("dropout", (N, T, FF)), ("dropout3", (N, T, E)))}
    causal = nn.Transformer.generate_square_subsequent_mask(T)
    out = layer(ad.tensor(tgt), ad.tensor(memory), tgt_mask=causal)
    want = decoder_ref(tgt, memory, layer.to_torch_state_dict(), [""], config(layer, "relu"),
                       dict(tgt_mask=causal.data), drops=drops)
    np.testing.assert_allclose(out.data, want, rtol=1e-12, atol=1e-12)


class Doubling(nn.Module):
    def forward(self, x):
        return x * 2.0


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("name", ["dropout1", "dropout2", "dropout", "dropout3"])
def test_each_dropout_module_acts_at_its_place(name, norm_first):
    layer = randomize(nn.TransformerDecoderLayer(E, HEADS, FF, norm_first=norm_first, rng=14))
    setattr(layer, name, Doubling())            # a stand-in that shows where it is applied
    tgt, memory = RNG.standard_normal((T, N, E)), RNG.standard_normal((S, N, E))
    out = layer.eval()(ad.tensor(tgt), ad.tensor(memory))
    want = decoder_ref(tgt, memory, layer.to_torch_state_dict(), [""], config(layer, "relu"),
                       {}, drops={name: 2.0})
    np.testing.assert_allclose(out.data, want, rtol=1e-12, atol=1e-12)


def test_decoder_copies_draw_their_own_dropout_masks():
    layer = nn.TransformerDecoderLayer(E, HEADS, FF, dropout=0.5, rng=8)
    first, second = nn.TransformerDecoder(layer, 2).layers
    for clone in (first, second):
        gens = {id(m._rng) for m in (clone, clone.dropout3, clone.multihead_attn)}
        assert len(gens) == 1 and id(layer._rng) not in gens
    x = ad.tensor(RNG.standard_normal((T, N, E)))
    assert not np.array_equal(first.dropout3(x).data, second.dropout3(x).data)


# ----- parameters and state dicts ---------------------------------------------------

DECODER_LAYER_KEYS = [
    "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
    "self_attn.out_proj.bias", "multihead_attn.in_proj_weight", "multihead_attn.in_proj_bias",
    "multihead_attn.out_proj.weight", "multihead_attn.out_proj.bias", "linear1.weight",
    "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias",
    "norm2.weight", "norm2.bias", "norm3.weight", "norm3.bias"]
ENCODER_LAYER_KEYS = [
    "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
    "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
    "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"]


def test_state_dict_keys_are_pytorchs():
    layer = nn.TransformerDecoderLayer(E, HEADS, FF, rng=9)
    assert list(layer.state_dict()) == DECODER_LAYER_KEYS
    torch_sd = layer.to_torch_state_dict()
    assert list(torch_sd) == DECODER_LAYER_KEYS
    assert torch_sd["multihead_attn.in_proj_weight"].shape == (3 * E, E)
    assert torch_sd["linear1.weight"].shape == (FF, E)
    decoder = nn.TransformerDecoder(layer, 2, norm=nn.LayerNorm(E))
    assert list(decoder.to_torch_state_dict()) == [
        f"layers.{i}.{k}" for i in range(2) for k in DECODER_LAYER_KEYS] + ["norm.weight",
                                                                           "norm.bias"]
    model = nn.Transformer(E, HEADS, 2, 1, FF, rng=10)
    assert list(model.to_torch_state_dict()) == (
        [f"encoder.layers.{i}.{k}" for i in range(2) for k in ENCODER_LAYER_KEYS]
        + ["encoder.norm.weight", "encoder.norm.bias"]
        + ["decoder.layers.0." + k for k in DECODER_LAYER_KEYS]
        + ["decoder.norm.weight", "decoder.norm.bias"])
    assert [k for k in nn.TransformerDecoderLayer(E, HEADS, FF, bias=False,
                                                  rng=0).to_torch_state_dict()] == [
        k for k in DECODER_LAYER_KEYS if not k.endswith("bias")]
    other = randomize(nn.Transformer(E, HEADS, 2, 1, FF, rng=11))
    other.load_torch_state_dict(model.to_torch_state_dict())
    x = ad.tensor(RNG.standard_normal((S, N, E)))
    np.testing.assert_array_equal(other.eval()(x, x).data, model.eval()(x, x).data)


def test_transformer_redraws_every_matrix_xavier_uniform_custom_modules_included():
    custom = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, HEADS, FF, rng=12), 1)
    before = {k: v.data.copy() for k, v in custom.named_parameters()}
    model = nn.Transformer(E, HEADS, num_decoder_layers=2, dim_feedforward=FF,
                           custom_encoder=custom, rng=13)
    assert model.encoder is custom and model.d_model == E and model.nhead == HEADS
    for name, p in model.named_parameters():
        if p.ndim > 1:
            bound = math.sqrt(6.0 / sum(p.shape))
            assert np.abs(p.data).max() <= bound, name
        if name.startswith("encoder."):
            assert np.array_equal(p.data, before[name[8:]]) == (p.ndim == 1), name
    first, second = model.decoder.layers
    assert not np.array_equal(first.linear1.weight.data, second.linear1.weight.data)
    np.testing.assert_array_equal(first.linear1.bias.data, second.linear1.bias.data)
    np.testing.assert_array_equal(model.decoder.norm.weight.data, np.ones(E))
    again = nn.Transformer(E, HEADS, num_decoder_layers=2, dim_feedforward=FF, rng=13,
                           custom_encoder=copy.deepcopy(custom))
    for (name, p), (_, q) in zip(model.named_parameters(), again.named_parameters()):
        if p.ndim > 1:
            np.testing.assert_array_equal(p.data, q.data, err_msg=name)


def test_defaults_and_dtype():
    layer = nn.TransformerDecoderLayer(E, HEADS)
    assert layer.linear1.weight.shape == (E, 2048) and layer.dropout.p == 0.1
    assert not layer.norm_first and not layer.self_attn.batch_first
    model = nn.Transformer(E, HEADS, 1, 1, FF, dtype=np.float32, rng=0)
    assert all(p.dtype == np.float32 for p in model.parameters())
    x = ad.tensor(np.ones((S, N, E), np.float32))
    assert model(x, x[:T]).dtype == np.float32


# ----- errors -----------------------------------------------------------------------

def test_constructor_errors():
    name = r"^TransformerDecoderLayer: "
    with pytest.raises(ValueError, match=name + r"d_model \(6\) must be divisible by nhead "
                                                r"\(4\), .* divides 6 \(1, 2, 3, 6\)$"):
        nn.TransformerDecoderLayer(6, 4)
    with pytest.raises(ValueError, match=name + r"dim_feedforward must be a positive int"):
        nn.TransformerDecoderLayer(4, 2, dim_feedforward=0)
    with pytest.raises(ValueError, match=name + r"dropout is the probability"):
        nn.TransformerDecoderLayer(4, 2, dropout=-0.1)
    with pytest.raises(ValueError, match=name + r"activation must be 'relu', 'gelu' or a "
                                                r"callable, got 'tanh'$"):
        nn.TransformerDecoderLayer(4, 2, activation="tanh")
    with pytest.raises(TypeError, match=name + r"dtype must be a floating-point type"):
        nn.TransformerDecoderLayer(4, 2, dtype=np.int32)
    layer = nn.TransformerDecoderLayer(4, 2, rng=0)
    with pytest.raises(TypeError, match=r"^TransformerDecoder: decoder_layer must be a Module"):
        nn.TransformerDecoder("layer", 2)
    with pytest.raises(ValueError, match=r"^TransformerDecoder: num_layers must be a positive"):
        nn.TransformerDecoder(layer, 0)
    with pytest.raises(TypeError, match=r"^TransformerDecoder: norm must be a Module"):
        nn.TransformerDecoder(layer, 1, norm="layer_norm")
    with pytest.raises(ValueError, match=r"^Transformer: num_decoder_layers must be a positive"):
        nn.Transformer(4, 2, 1, 0)
    with pytest.raises(TypeError, match=r"^Transformer: custom_encoder must be a Module or "
                                        r"None, got str$"):
        nn.Transformer(4, 2, custom_encoder="encoder")
    with pytest.raises(ValueError, match=r"^TransformerEncoderLayer: d_model \(4\) must be "
                                         r"divisible by nhead \(3\)"):
        nn.Transformer(4, 3)


def test_forward_errors_name_the_layer_the_shapes_and_the_fix():
    layer = nn.TransformerDecoderLayer(4, 2, 6, rng=0)
    name = r"^TransformerDecoderLayer\(d_model=4, nhead=2\): "
    tgt, memory = np.zeros((3, 2, 4)), np.zeros((5, 2, 4))
    with pytest.raises(ValueError, match=name + r"memory must be \(L, N, E\) or unbatched "
                                                r"\(L, E\) with E = d_model = 4, got shape "
                                                r"\(5, 2, 3\)$"):
        layer(tgt, np.zeros((5, 2, 3)))
    with pytest.raises(ValueError, match=name + r"tgt and memory must both be batched or both"):
        layer(tgt, memory[:, 0])
    with pytest.raises(ValueError, match=name + r"tgt and memory must have the same batch size "
                                                r"\(axis 1\), got shapes \(3, 2, 4\) and "
                                                r"\(5, 3, 4\)$"):
        layer(tgt, np.zeros((5, 3, 4)))
    with pytest.raises(TypeError, match=name + r"memory is float32 but the layer's parameters "
                                               r"are float64"):
        layer(tgt, memory.astype(np.float32))
    with pytest.raises(TypeError, match=name + r"tgt must hold floating-point values"):
        layer(tgt.astype(int), memory)
    with pytest.raises(ValueError, match=name + r"memory_mask must have shape \(T, S\) = "
                                                r"\(3, 5\) or \(N \* nhead, T, S\) = "
                                                r"\(4, 3, 5\), got \(3, 3\)$"):
        layer(tgt, memory, memory_mask=np.zeros((3, 3), bool))
    with pytest.raises(ValueError, match=name + r"tgt_mask must have shape \(T, T\) = \(3, 3\) "
                                                r"or \(N \* nhead, T, T\) = \(4, 3, 3\), got "
                                                r"\(3, 5\)$"):
        layer(tgt, memory, tgt_mask=np.zeros((3, 5), bool))
    with pytest.raises(ValueError, match=name + r"tgt_key_padding_mask must have shape \(2, 3\) "
                                                r"\(\(N, T\)\), got \(2, 5\)$"):
        layer(tgt, memory, tgt_key_padding_mask=np.zeros((2, 5), bool))
    with pytest.raises(ValueError, match=name + r"memory_key_padding_mask must have shape "
                                                r"\(5,\) \(\(S,\) when unbatched\)"):
        layer(tgt[:, 0], memory[:, 0], memory_key_padding_mask=np.zeros((1, 5), bool))
    # a narrower float mask (PyTorch's mask.float() in a float64 model) is cast up, exactly
    layer.eval()                        # (no dropout draws)
    np.testing.assert_array_equal(
        layer(tgt, memory, tgt_mask=nn.Transformer.generate_square_subsequent_mask(
            3, dtype=np.float32)).data,
        layer(tgt, memory, tgt_mask=nn.Transformer.generate_square_subsequent_mask(3)).data)
    with pytest.raises(TypeError, match=name + r"tgt_mask must be a bool mask or a float mask "
                                               r"of the query's dtype \(float64\), got dtype "
                                               r"int64"):
        layer(tgt, memory, tgt_mask=np.zeros((3, 3), np.int64))
    with pytest.raises(ValueError, match=name + r"tgt_is_causal=True is a hint that tgt_mask is "
                                                r"the causal mask, and needs that tgt_mask"):
        layer(tgt, memory, tgt_is_causal=True)
    with pytest.raises(ValueError, match=name + r"memory_is_causal=True is a hint .*"
                                                r"np.triu\(np.ones\(\(3, 5\), bool\), 1\)"):
        layer(tgt, memory, memory_is_causal=True)
    with pytest.raises(TypeError, match=name + r"memory_is_causal must be True or False"):
        layer(tgt, memory, memory_mask=np.zeros((3, 5), bool), memory_is_causal=1)
    with pytest.raises(ValueError, match=r"is_causal=True says attn_mask is the causal mask"):
        layer(tgt, memory, tgt_mask=np.zeros((3, 3)), tgt_is_causal=True)
    model = nn.Transformer(4, 2, 1, 1, 6, batch_first=True, rng=0)
    where = r"^Transformer\(d_model=4, nhead=2\): "
    with pytest.raises(ValueError, match=where + r"src and tgt must have the same batch size "
                                                 r"\(axis 0\)"):
        model(np.zeros((2, 5, 4)), np.zeros((3, 5, 4)))
    with pytest.raises(ValueError, match=where + r"src and tgt must have d_model = 4 features"):
        model(np.zeros((2, 5, 4)), np.zeros((2, 5, 6)))
    with pytest.raises(ValueError, match=where + r"src and tgt must both be batched"):
        model(np.zeros((2, 5, 4)), np.zeros((5, 4)))
    gen = nn.Transformer.generate_square_subsequent_mask
    with pytest.raises(ValueError, match=r"generate_square_subsequent_mask: sz must be an int "
                                         r">= 0"):
        gen(-1)
    with pytest.raises(ValueError, match=r"pass device=None or 'cpu', got 'cuda'"):
        gen(3, device="cuda")
    with pytest.raises(TypeError, match=r"dtype must be a floating-point type"):
        gen(3, dtype=bool)
