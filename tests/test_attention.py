"""F.scaled_dot_product_attention and nn.MultiheadAttention: values against a NumPy
reference written here (PyTorch's formulas and mask conventions), gradients of first and
second order against finite differences in float64, state_dict keys and PyTorch's
layout, seeded dropout, error messages, and a compiled training step against eager."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F

RNG = np.random.default_rng(23)


# ----- NumPy references -----------------------------------------------------------

def softmax_rows(s, zero_dead_rows):
    """Softmax over the last axis; a row of -inf only is 0 (zero_dead_rows) or NaN."""
    dead = np.all(s == -np.inf, axis=-1, keepdims=True)
    safe = np.where(dead, 0.0, s)
    e = np.exp(safe - safe.max(axis=-1, keepdims=True))
    w = e / e.sum(axis=-1, keepdims=True)
    return np.where(dead, 0.0 if zero_dead_rows else np.nan, w)


def sdpa_ref(q, k, v, mask=None, causal=False, scale=None):
    """PyTorch's scaled_dot_product_attention: a bool mask is True where a query attends."""
    q, k, v = (np.asarray(a, np.float64) for a in (q, k, v))
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    if causal:
        s = np.where(np.tril(np.ones(s.shape[-2:], bool)), s, -np.inf)
    elif mask is not None and mask.dtype == bool:
        s = np.where(mask, s, -np.inf)
    elif mask is not None:
        s = s + mask
    w = softmax_rows(s, zero_dead_rows=True)
    return w @ v, w


def mha_ref(sd, query, key, value, heads, batch_first=False, key_padding_mask=None,
            attn_mask=None, need_weights=True, average=True, add_zero_attn=False):
    """PyTorch's multi-head attention from a PyTorch-layout state dict (weights (out, in));
    bool masks are True where attention is blocked."""
    batched = np.ndim(query) == 3
    q, k, v = (np.asarray(a, np.float64) for a in (query, key, value))
    if not batched:
        q, k, v = q[:, None], k[:, None], v[:, None]
    elif batch_first:
        q, k, v = (a.swapaxes(0, 1) for a in (q, k, v))
    length, n, e = q.shape
    d = e // heads
    if "in_proj_weight" in sd:
        wq, wk, wv = np.split(sd["in_proj_weight"].astype(np.float64), 3)
    else:
        wq, wk, wv = (sd[f"{c}_proj_weight"].astype(np.float64) for c in "qkv")
    bq, bk, bv = np.split(sd["in_proj_bias"].astype(np.float64), 3) if "in_proj_bias" in sd \
        else (0.0, 0.0, 0.0)
    q, k, v = q @ wq.T + bq, k @ wk.T + bk, v @ wv.T + bv          # (L or S, N, E)
    masks = []
    if attn_mask is not None:
        masks.append(np.where(attn_mask, -np.inf, 0.0) if attn_mask.dtype == bool
                     else attn_mask.astype(np.float64))
    if key_padding_mask is not None:
        kpm = key_padding_mask.reshape(n, -1)
        kpm = np.where(kpm, -np.inf, 0.0) if kpm.dtype == bool else kpm.astype(np.float64)
    if "bias_k" in sd:
        k = np.concatenate([k, np.repeat(sd["bias_k"].astype(np.float64), n, axis=1)])
        v = np.concatenate([v, np.repeat(sd["bias_v"].astype(np.float64), n, axis=1)])
        masks = [np.pad(m, [(0, 0)] * (m.ndim - 1) + [(0, 1)]) for m in masks]
        if key_padding_mask is not None:
            kpm = np.pad(kpm, [(0, 0), (0, 1)])
    q, k, v = (a.reshape(a.shape[0], n * heads, d).transpose(1, 0, 2) for a in (q, k, v))
    if add_zero_attn:
        k = np.concatenate([k, np.zeros((n * heads, 1, d))], axis=1)
        v = np.concatenate([v, np.zeros((n * heads, 1, d))], axis=1)
        masks = [np.pad(m, [(0, 0)] * (m.ndim - 1) + [(0, 1)]) for m in masks]
        if key_padding_mask is not None:
            kpm = np.pad(kpm, [(0, 0), (0, 1)])
    s = (q / math.sqrt(d)) @ k.transpose(0, 2, 1)                    # (N*H, L, S)
    for m in masks:
        s = s + (m if m.ndim == 3 else m[None])
    if key_padding_mask is not None:
        s = s + np.repeat(kpm, heads, axis=0)[:, None, :]
    w = softmax_rows(s, zero_dead_rows=not need_weights)
    out = (w @ v).transpose(1, 0, 2).reshape(length, n, e)
    out = out @ sd["out_proj.weight"].astype(np.float64).T + sd.get("out_proj.bias", 0.0)
    out = out[:, 0] if not batched else (out.swapaxes(0, 1) if batch_first else out)
    if not need_weights:
        return out, None
    w = w.reshape(n, heads, length, -1)
    w = w.mean(axis=1) if average else w
    return out, (w if batched else w[0])


def randomize_biases(mha):
    for name, p in mha.named_parameters():
        if "bias" in name:
            p.data[...] = RNG.standard_normal(p.shape)
    return mha


# ----- scaled_dot_product_attention -------------------------------------------------

SDPA_SHAPES = [((3, 4), (5, 4), (5, 6)), ((2, 4, 3), (2, 4, 3), (2, 4, 2)),
               ((2, 2, 3, 8), (2, 2, 5, 8), (2, 2, 5, 8)), ((2, 3, 4), (5, 4), (1, 5, 3)),
               ((6, 4), (3, 4), (3, 4)), ((1, 4), (1, 4), (1, 2))]


def sdpa_mask(kind, rows, cols, dtype):
    if kind == "bool":
        return RNG.random((rows, cols)) > 0.3
    if kind == "bool row":                                  # broadcast over the queries
        return RNG.random((1, cols)) > 0.3
    if kind == "float":
        return RNG.standard_normal((rows, cols)).astype(dtype)
    if kind == "float -inf":
        return np.where(RNG.random((rows, cols)) > 0.3, 0.0, -np.inf).astype(dtype)
    return None


@pytest.mark.parametrize("shapes", SDPA_SHAPES)
@pytest.mark.parametrize("mask", [None, "causal", "bool", "bool row", "float", "float -inf"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sdpa_matches_numpy(shapes, mask, dtype):
    q, k, v = (RNG.standard_normal(s).astype(dtype) for s in shapes)
    m = sdpa_mask(mask, shapes[0][-2], shapes[1][-2], dtype)
    tol = 1e-12 if dtype == np.float64 else 2e-6
    for scale in (None, 0.3):
        got = F.scaled_dot_product_attention(ad.tensor(q), ad.tensor(k), ad.tensor(v), attn_mask=m,
                                             is_causal=mask == "causal", scale=scale)
        want, _ = sdpa_ref(q, k, v, m, causal=mask == "causal", scale=scale)
        assert got.dtype == dtype and got.shape == want.shape
        np.testing.assert_allclose(got.data, want, rtol=tol, atol=tol)


def test_sdpa_causal_mask_is_aligned_at_the_top_left_when_lengths_differ():
    q, k, v = RNG.standard_normal((5, 2)), RNG.standard_normal((3, 2)), RNG.standard_normal((3, 2))
    got = F.scaled_dot_product_attention(ad.tensor(q), ad.tensor(k), ad.tensor(v), is_causal=True)
    np.testing.assert_allclose(got.data[0], v[0], rtol=1e-12)       # query 0 sees key 0 only
    keep = np.tril(np.ones((5, 3), bool))
    explicit = F.scaled_dot_product_attention(ad.tensor(q), ad.tensor(k), ad.tensor(v),
                                              attn_mask=keep)
    np.testing.assert_array_equal(got.data, explicit.data)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sdpa_fully_masked_rows_give_zeros_and_zero_gradients(dtype):
    q, k, v = (ad.tensor(RNG.standard_normal(s).astype(dtype), requires_grad=True)
               for s in ((2, 3, 4), (2, 5, 4), (2, 5, 6)))
    for mask in (np.array([[True] * 5, [False] * 5, [True, False] * 2 + [True]]),
                 np.array([[0.0] * 5, [-np.inf] * 5, [1.0] * 5], dtype)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")              # no 0/0 on the way
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
            np.testing.assert_array_equal(out.data[:, 1], 0.0)
            out.backward(np.ones(out.shape, dtype))
        assert all(np.isfinite(t.grad).all() for t in (q, k, v))
        np.testing.assert_array_equal(q.grad[:, 1], 0.0)
        want, _ = sdpa_ref(q.data, k.data, v.data, mask)
        np.testing.assert_allclose(out.data, want, rtol=2e-6, atol=2e-6)
        for t in (q, k, v):
            t.zero_grad()


@pytest.mark.parametrize("mask", [None, "causal", "bool", "float", "float -inf"])
def test_sdpa_gradchecks_to_second_order(mask):
    q, k, v = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 4, 4)), \
        RNG.standard_normal((2, 4, 2))
    m = sdpa_mask(mask, 3, 4, np.float64)
    if mask == "float -inf":
        m[1] = -np.inf                                  # a fully masked row as well
    w = RNG.standard_normal((2, 3, 2))

    def f(q, k, v):
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=mask == "causal",
                                             scale=0.7)
        return (out * w).sum()
    assert ad.gradcheck(f, [q, k, v])
    assert ad.gradgradcheck(f, [q, k, v])


def test_sdpa_float_mask_gets_its_gradient():
    q, k, v = RNG.standard_normal((3, 4)), RNG.standard_normal((5, 4)), RNG.standard_normal((5, 2))
    m = RNG.standard_normal((3, 5))
    assert ad.gradcheck(lambda m: (F.scaled_dot_product_attention(q, k, v, attn_mask=m) ** 2).sum(),
                        [m])


def test_sdpa_dropout_acts_on_the_weights_and_is_reproducible_with_a_seed():
    q, k, v = (RNG.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 6)))
    a = F.scaled_dot_product_attention(ad.tensor(q), ad.tensor(k), ad.tensor(v), dropout_p=0.4,
                                       rng=5)
    b = F.scaled_dot_product_attention(ad.tensor(q), ad.tensor(k), ad.tensor(v), dropout_p=0.4,
                                       rng=5)
    np.testing.assert_array_equal(a.data, b.data)
    _, weights = sdpa_ref(q, k, v)
    dropped = F.dropout(ad.tensor(weights), 0.4, rng=5).data    # the same draw as F.dropout
    np.testing.assert_allclose(a.data, dropped @ v, rtol=1e-12, atol=1e-12)
    gen = np.random.default_rng(1)
    first = F.scaled_dot_product_attention(ad.tensor(q), ad.tensor(k), ad.tensor(v),
                                           dropout_p=0.4, rng=gen)
    second = F.scaled_dot_product_attention(ad.tensor(q), ad.tensor(k), ad.tensor(v),
                                            dropout_p=0.4, rng=gen)
    assert not np.array_equal(first.data, second.data)
    zeros = F.scaled_dot_product_attention(ad.tensor(q), ad.tensor(k), ad.tensor(v),
                                           dropout_p=1.0, rng=0)
    np.testing.assert_array_equal(zeros.data, 0.0)


def test_sdpa_errors_name_the_op_the_shapes_and_the_fix():
    q, k, v = np.zeros((3, 4)), np.zeros((5, 4)), np.zeros((5, 6))
    sdpa = F.scaled_dot_product_attention
    with pytest.raises(ValueError, match=r"^scaled_dot_product_attention: got both attn_mask and "
                                         r"is_causal=True; pass one"):
        sdpa(q, k, v, attn_mask=np.ones((3, 5), bool), is_causal=True)
    with pytest.raises(ValueError, match=r"same E for query and key .* got shapes \(3, 4\), "
                                         r"\(5, 3\), \(5, 6\)$"):
        sdpa(q, np.zeros((5, 3)), v)
    with pytest.raises(ValueError, match=r"same S for key and value; got shapes \(3, 4\), "
                                         r"\(5, 4\), \(4, 6\)$"):
        sdpa(q, k, np.zeros((4, 6)))
    with pytest.raises(ValueError, match=r"at least 2 axes .* got shapes \(4,\), \(4,\), \(4,\)"):
        sdpa(np.zeros(4), np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match=r"leading \(batch\) axes of query \(2, 3, 4\), key "
                                         r"\(3, 5, 4\) and value \(3, 5, 6\) do not broadcast"):
        sdpa(np.zeros((2, 3, 4)), np.zeros((3, 5, 4)), np.zeros((3, 5, 6)))
    with pytest.raises(ValueError, match=r"attn_mask of shape \(3, 4\) does not broadcast to the "
                                         r"scores' shape \(3, 5\)"):
        sdpa(q, k, v, attn_mask=np.ones((3, 4), bool))
    with pytest.raises(ValueError, match=r"attn_mask of shape \(2, 3, 5\) does not broadcast"):
        sdpa(q, k, v, attn_mask=np.ones((2, 3, 5), bool))
    with pytest.raises(TypeError, match=r"float mask of the query's dtype \(float32\), got dtype "
                                        r"float64; convert it"):
        sdpa(*(a.astype(np.float32) for a in (q, k, v)), attn_mask=np.zeros((3, 5)))
    with pytest.raises(TypeError, match=r"attn_mask must be a bool mask .* got dtype int64"):
        sdpa(q, k, v, attn_mask=np.zeros((3, 5), np.int64))
    with pytest.raises(TypeError, match=r"must have the same dtype, got query float64, key "
                                        r"float32, value float64"):
        sdpa(q, k.astype(np.float32), v)
    with pytest.raises(TypeError, match=r"query must hold floating-point values, got dtype int64"):
        sdpa(np.zeros((3, 4), np.int64), k, v)
    for p in (-0.1, 1.5, True):
        with pytest.raises(ValueError, match=r"dropout_p is the probability .* in \[0, 1\]"):
            sdpa(q, k, v, dropout_p=p)
    with pytest.raises(TypeError, match=r"scale gets no gradient"):
        sdpa(q, k, v, scale=ad.tensor(1.0, requires_grad=True))


# ----- MultiheadAttention: values -------------------------------------------------

E, HEADS, N, L, S = 8, 2, 3, 4, 5

LAYOUTS = [dict(), dict(batch_first=True), dict(kdim=3, vdim=6), dict(bias=False),
           dict(add_bias_kv=True), dict(add_zero_attn=True, batch_first=True),
           dict(add_bias_kv=True, add_zero_attn=True, kdim=3)]


def mha_inputs(mha, batched, self_attention, dtype, rows=L, cols=S):
    def shaped(length, features):
        if not batched:
            return (length, features)
        return (N, length, features) if mha.batch_first else (length, N, features)
    q = RNG.standard_normal(shaped(rows, E)).astype(dtype)
    if self_attention:
        return q, q, q
    return (q, RNG.standard_normal(shaped(cols, mha.kdim)).astype(dtype),
            RNG.standard_normal(shaped(cols, mha.vdim)).astype(dtype))


def mha_masks(kind, batched, rows, cols, dtype):
    n = N if batched else 1
    kpm_shape = (N, cols) if batched else (cols,)
    bool_kpm = RNG.random(kpm_shape) > 0.7
    bool_kpm.reshape(n, cols)[:, 0] = False         # no fully masked rows here
    causal = np.triu(np.ones((rows, cols), bool), 1)
    return {
        "none": {},
        "kpm bool": dict(key_padding_mask=bool_kpm),
        "kpm float": dict(key_padding_mask=RNG.standard_normal(kpm_shape).astype(dtype)),
        "attn bool": dict(attn_mask=causal),
        "attn float": dict(attn_mask=RNG.standard_normal((rows, cols)).astype(dtype)),
        "attn 3-d": dict(attn_mask=RNG.standard_normal((n * HEADS, rows, cols)).astype(dtype)),
        "both bool": dict(key_padding_mask=bool_kpm, attn_mask=causal),
        "bool and float": dict(key_padding_mask=bool_kpm,
                               attn_mask=np.where(causal, -np.inf, 0).astype(dtype)),
        "causal": dict(attn_mask=causal, is_causal=True),
        "causal float": dict(attn_mask=np.where(causal, -np.inf, 0).astype(dtype), is_causal=True),
    }[kind]


MASKS = ["none", "kpm bool", "kpm float", "attn bool", "attn float", "attn 3-d", "both bool",
         "bool and float", "causal", "causal float"]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda d: ",".join(d) or "default")
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_multihead_attention_matches_numpy(layout, batched, dtype):
    mha = randomize_biases(nn.MultiheadAttention(E, HEADS, rng=1, dtype=dtype, **layout))
    sd = mha.to_torch_state_dict()
    tol = 1e-12 if dtype == np.float64 else 3e-5
    causal_refused = "add_bias_kv" in layout or "add_zero_attn" in layout
    for self_attention in ((True, False) if mha.kdim == E and mha.vdim == E else (False,)):
        cols = L if self_attention else S
        q, k, v = mha_inputs(mha, batched, self_attention, dtype, cols=cols)
        for kind in MASKS:
            masks = mha_masks(kind, batched, L, cols, dtype)
            if causal_refused and masks.get("is_causal"):
                continue
            for need_weights, average in ((True, True), (True, False), (False, True)):
                qt = ad.tensor(q)
                kt, vt = (qt, qt) if self_attention else (ad.tensor(k), ad.tensor(v))
                out, weights = mha(qt, kt, vt, need_weights=need_weights,
                                   average_attn_weights=average, **masks)
                given = {k_: v_ for k_, v_ in masks.items() if k_ != "is_causal"}
                want, want_w = mha_ref(sd, q, k, v, HEADS, mha.batch_first,
                                       need_weights=need_weights, average=average,
                                       add_zero_attn=mha.add_zero_attn, **given)
                assert out.dtype == dtype and out.shape == want.shape
                np.testing.assert_allclose(out.data, want, rtol=tol, atol=tol)
                if need_weights:
                    assert weights.dtype == dtype and weights.shape == want_w.shape
                    np.testing.assert_allclose(weights.data, want_w, rtol=tol, atol=tol)
                else:
                    assert weights is None


def test_multihead_attention_shapes_of_outputs_and_weights():
    for batch_first in (False, True):
        mha = nn.MultiheadAttention(6, 3, batch_first=batch_first, rng=0)
        q = np.zeros((2, 4, 6)) if batch_first else np.zeros((4, 2, 6))
        kv = np.zeros((2, 7, 6)) if batch_first else np.zeros((7, 2, 6))
        out, w = mha(q, kv, kv)
        assert out.shape == q.shape and w.shape == (2, 4, 7)
        assert mha(q, kv, kv, average_attn_weights=False)[1].shape == (2, 3, 4, 7)
        out, w = mha(np.zeros((4, 6)), np.zeros((7, 6)), np.zeros((7, 6)),
                     average_attn_weights=False)              # batch_first plays no part
        assert out.shape == (4, 6) and w.shape == (3, 4, 7)


def test_self_attention_through_one_projection_equals_three_separate_ones():
    mha = randomize_biases(nn.MultiheadAttention(E, HEADS, rng=2))
    x = RNG.standard_normal((L, N, E))
    packed = mha(ad.tensor(x), *(ad.tensor(x),) * 2)        # three distinct tensors
    t = ad.tensor(x)
    same = mha(t, t, t)
    np.testing.assert_allclose(same[0].data, packed[0].data, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(same[1].data, packed[1].data, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_multihead_attention_fully_masked_rows_nan_with_weights_zero_attention_without(dtype):
    mha = randomize_biases(nn.MultiheadAttention(E, HEADS, rng=3, dtype=dtype))
    x = ad.tensor(RNG.standard_normal((L, N, E)).astype(dtype), requires_grad=True)
    kpm = np.zeros((N, L), bool)
    kpm[1] = True                                      # batch entry 1 sees no key at all
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out, w = mha(x, x, x, key_padding_mask=kpm)
    assert np.isnan(out.data[:, 1]).all() and np.isnan(w.data[1]).all()
    assert np.isfinite(out.data[:, [0, 2]]).all() and np.isfinite(w.data[[0, 2]]).all()
    out, w = mha(x, x, x, key_padding_mask=kpm, need_weights=False)
    assert w is None
    np.testing.assert_allclose(out.data[:, 1], np.broadcast_to(mha.out_proj.bias.data, (L, E)),
                               rtol=1e-6)
    out.backward(np.ones(out.shape, dtype))
    assert np.isfinite(x.grad).all() and all(np.isfinite(p.grad).all() for p in mha.parameters())
    want, _ = mha_ref(mha.to_torch_state_dict(), x.data, x.data, x.data, HEADS,
                      key_padding_mask=kpm, need_weights=False)
    np.testing.assert_allclose(out.data, want, rtol=3e-5, atol=3e-5)


# ----- MultiheadAttention: gradients ----------------------------------------------

def _with_params(model, arrays):
    """Make the forward read ``arrays`` (Tensors from gradcheck) instead of the parameters."""
    for name, value in zip([n for n, _ in model.named_parameters()], arrays):
        *path, attr = name.split(".")
        owner = model
        for part in path:
            owner = getattr(owner, part)
        object.__setattr__(owner, attr, value)


@pytest.mark.parametrize("layout,masks", [
    (dict(), dict(key_padding_mask=np.array([[False, True, False, False, True],
                                             [False, False, False, False, False]]))),
    (dict(batch_first=True, kdim=3, vdim=2), dict(attn_mask=np.triu(np.ones((4, 5), bool), 1))),
    (dict(add_bias_kv=True, add_zero_attn=True), dict(attn_mask=RNG.standard_normal((4, 5)))),
])
def test_multihead_attention_gradcheck_through_inputs_and_every_parameter(layout, masks):
    mha = randomize_biases(nn.MultiheadAttention(4, 2, rng=4, **layout))
    n = 2
    shape = (lambda length, d: (n, length, d)) if mha.batch_first else \
        (lambda length, d: (length, n, d))
    q, k, v = (RNG.standard_normal(shape(length, d))
               for length, d in ((4, 4), (5, mha.kdim), (5, mha.vdim)))
    params = [p.data.copy() for p in mha.parameters()]
    out_w = RNG.standard_normal(shape(4, 4))
    weight_w = RNG.standard_normal((n, 4, 5 + mha.add_zero_attn + (mha.bias_k is not None)))

    def f(q, k, v, *ps):
        _with_params(mha, ps)
        out, weights = mha(q, k, v, **masks)
        return (out * out_w).sum() + (weights * weight_w).sum()
    assert ad.gradcheck(f, [q, k, v] + params)


def test_multihead_attention_gradgradcheck():
    mha = randomize_biases(nn.MultiheadAttention(4, 2, rng=5, kdim=3))
    q, k, v = RNG.standard_normal((3, 2, 4)), RNG.standard_normal((2, 2, 3)), \
        RNG.standard_normal((2, 2, 4))
    mask = np.array([[0.0, -np.inf], [0.5, 0.0], [-1.0, 2.0]])
    params = [p.data.copy() for p in mha.parameters()]

    def f(q, k, v, *ps):
        _with_params(mha, ps)
        return (mha(q, k, v, attn_mask=mask, need_weights=False)[0] ** 2).sum()
    assert ad.gradgradcheck(f, [q, k, v] + params)


# ----- MultiheadAttention: parameters, state dicts, dropout ------------------------

def test_multihead_attention_parameters_state_dict_and_torch_layout():
    mha = nn.MultiheadAttention(8, 2, rng=0)
    assert list(mha.state_dict()) == ["in_proj_weight", "in_proj_bias", "out_proj.weight",
                                      "out_proj.bias"]
    torch_sd = mha.to_torch_state_dict()
    assert {k: v.shape for k, v in torch_sd.items()} == {
        "in_proj_weight": (24, 8), "in_proj_bias": (24,), "out_proj.weight": (8, 8),
        "out_proj.bias": (8,)}
    np.testing.assert_array_equal(torch_sd["out_proj.weight"], mha.out_proj.weight.data.T)
    np.testing.assert_array_equal(torch_sd["in_proj_weight"], mha.in_proj_weight.data)
    np.testing.assert_array_equal(mha.in_proj_bias.data, 0.0)
    np.testing.assert_array_equal(mha.out_proj.bias.data, 0.0)
    bound = math.sqrt(6 / (24 + 8))                 # Xavier-uniform of the (3E, E) array
    assert np.abs(mha.in_proj_weight.data).max() <= bound
    assert np.abs(mha.in_proj_weight.data).max() > 0.8 * bound
    assert np.abs(mha.out_proj.weight.data).max() <= 1 / math.sqrt(8)

    other = nn.MultiheadAttention(8, 2, rng=1)
    other.load_torch_state_dict(torch_sd)
    x = ad.tensor(RNG.standard_normal((3, 2, 8)))
    np.testing.assert_array_equal(other(x, x, x)[0].data, mha(x, x, x)[0].data)

    separate = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False, add_bias_kv=True, rng=0)
    assert {k: v.shape for k, v in separate.to_torch_state_dict().items()} == {
        "q_proj_weight": (8, 8), "k_proj_weight": (8, 3), "v_proj_weight": (8, 5),
        "bias_k": (1, 1, 8), "bias_v": (1, 1, 8), "out_proj.weight": (8, 8)}
    assert separate.in_proj_weight is None and separate.in_proj_bias is None
    assert repr(separate) == ("MultiheadAttention(8, num_heads=2, bias=False, add_bias_kv=True, "
                              "kdim=3, vdim=5,\n  (out_proj): Linear(8, 8, bias=False)\n)")
    f32 = nn.MultiheadAttention(4, 1, dtype=np.float32)
    assert all(p.dtype == np.float32 for p in f32.parameters())
    a, b = nn.MultiheadAttention(4, 2, rng=7), nn.MultiheadAttention(4, 2, rng=7)
    np.testing.assert_array_equal(a.in_proj_weight.data, b.in_proj_weight.data)


def test_multihead_attention_dropout_is_seeded_and_off_in_eval():
    x = ad.tensor(RNG.standard_normal((4, 2, 8)))
    a = nn.MultiheadAttention(8, 2, dropout=0.5, rng=3)
    b = nn.MultiheadAttention(8, 2, dropout=0.5, rng=3)
    first_a, first_b = a(x, x, x), b(x, x, x)
    np.testing.assert_array_equal(first_a[0].data, first_b[0].data)
    np.testing.assert_array_equal(first_a[1].data, first_b[1].data)
    assert not np.array_equal(a(x, x, x)[0].data, first_a[0].data)   # a new mask each call
    assert (first_a[1].data == 0).any()                  # the weights returned are dropped
    out, w = a.eval()(x, x, x)
    want, want_w = mha_ref(a.to_torch_state_dict(), x.data, x.data, x.data, 2)
    np.testing.assert_allclose(out.data, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.data, want_w, rtol=1e-12, atol=1e-12)


# ----- MultiheadAttention: errors ---------------------------------------------------

def test_multihead_attention_errors_name_the_layer_the_shapes_and_the_fix():
    with pytest.raises(ValueError, match=r"^MultiheadAttention: embed_dim \(6\) must be divisible "
                                         r"by num_heads \(4\), .* use a num_heads that divides 6 "
                                         r"\(1, 2, 3, 6\)$"):
        nn.MultiheadAttention(6, 4)
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match=r"^MultiheadAttention: num_heads must be a positive"):
            nn.MultiheadAttention(4, bad)
    with pytest.raises(ValueError, match=r"^MultiheadAttention: kdim must be a positive int"):
        nn.MultiheadAttention(4, 2, kdim=0)
    with pytest.raises(ValueError, match=r"dropout is the probability .* got dropout=1.5"):
        nn.MultiheadAttention(4, 2, dropout=1.5)
    with pytest.raises(TypeError, match=r"^MultiheadAttention: dtype must be a floating-point"):
        nn.MultiheadAttention(4, 2, dtype=np.int32)

    mha = nn.MultiheadAttention(4, 2, rng=0)
    name = r"^MultiheadAttention\(4, num_heads=2\): "
    x = np.zeros((3, 2, 4))
    with pytest.raises(ValueError, match=name + r"query must have 4 features on its last axis "
                                                r".* got shape \(3, 2, 5\)$"):
        mha(np.zeros((3, 2, 5)), x, x)
    with pytest.raises(ValueError, match=name + r"expected query, key and value all batched "
                                                r"\(L, N, E\) or all unbatched \(L, E\), got "
                                                r"shapes \(3, 2, 4\), \(3, 4\), \(3, 2, 4\)$"):
        mha(x, np.zeros((3, 4)), x)
    with pytest.raises(ValueError, match=name + r"query, key and value must share the batch "
                                                r"size"):
        mha(x, np.zeros((3, 5, 4)), np.zeros((3, 5, 4)))
    with pytest.raises(ValueError, match=name + r"key_padding_mask must have shape \(2, 3\) "
                                                r"\(\(N, S\)\), got \(3, 2\)$"):
        mha(x, x, x, key_padding_mask=np.zeros((3, 2), bool))
    with pytest.raises(ValueError, match=name + r"key_padding_mask must have shape \(3,\) "
                                                r"\(\(S,\) for unbatched input\)"):
        mha(x[:, 0], x[:, 0], x[:, 0], key_padding_mask=np.zeros((1, 3), bool))
    with pytest.raises(ValueError, match=name + r"attn_mask must have shape \(L, S\) = \(3, 3\) "
                                                r"or \(N \* num_heads, L, S\) = \(4, 3, 3\), got "
                                                r"\(2, 3, 3\)$"):
        mha(x, x, x, attn_mask=np.zeros((2, 3, 3), bool))
    with pytest.raises(TypeError, match=name + r"the inputs are float32 but the layer's "
                                               r"parameters are float64; .* dtype=np.float32$"):
        mha(*(x.astype(np.float32),) * 3)
    with pytest.raises(TypeError, match=name + r"key_padding_mask must be a bool mask or a float "
                                               r"mask of the query's dtype \(float64\), got dtype "
                                               r"int64"):
        mha(x, x, x, key_padding_mask=np.zeros((2, 3), np.int64))
    with pytest.raises(ValueError, match=name + r"is_causal=True is a hint that attn_mask is the "
                                                r"causal mask, and needs that attn_mask"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(ValueError, match=name + r"is_causal=True says attn_mask is the causal "
                                                r"mask .* pass is_causal=False"):
        mha(x, x, x, attn_mask=np.tril(np.ones((3, 3), bool)), is_causal=True)
    with pytest.raises(ValueError, match=r"is_causal=True with add_bias_kv or add_zero_attn is "
                                         r"ambiguous"):
        nn.MultiheadAttention(4, 2, add_zero_attn=True)(
            x, x, x, attn_mask=np.triu(np.ones((3, 3), bool), 1), is_causal=True)


# ----- compiled training step -------------------------------------------------------

def test_compiled_training_step_with_multihead_attention_matches_eager():
    def make():
        mha = nn.MultiheadAttention(8, 2, batch_first=True, rng=0)
        head = nn.Linear(8, 3, rng=1)
        params = list(mha.parameters()) + list(head.parameters())
        opt = ad.optim.Adam(params, lr=0.01)

        def step(x, y, kpm):
            out, _ = mha(x, x, x, key_padding_mask=kpm)
            loss = F.cross_entropy(head(out.mean(axis=1)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss, mha.in_proj_weight.grad
        return mha, step
    (mha_eager, eager), (mha_compiled, step) = make(), make()
    compiled = ad.compile(step)
    data = np.random.default_rng(3)
    for _ in range(4):
        x, y = data.standard_normal((4, 5, 8)), data.integers(0, 3, 4)
        kpm = data.random((4, 5)) > 0.7
        kpm[:, 0] = False
        for a, b in zip(eager(ad.tensor(x), y, kpm), compiled(ad.tensor(x), y, kpm)):
            np.testing.assert_allclose(np.asarray(getattr(b, "data", b)),
                                       np.asarray(getattr(a, "data", a)), rtol=1e-12, atol=1e-14)
    assert compiled.traces == 1
    np.testing.assert_allclose(mha_compiled.in_proj_weight.data, mha_eager.in_proj_weight.data,
                               rtol=1e-12)
    np.testing.assert_allclose(mha_compiled.out_proj.weight.data, mha_eager.out_proj.weight.data,
                               rtol=1e-12)
