"""Attention: ``F.scaled_dot_product_attention`` and ``nn.MultiheadAttention``, with
PyTorch's arguments, shapes, mask conventions and results.

Both compute ``softmax(q @ k^T * scale + mask) @ v`` from library ops (matmul,
``F.softmax``, ``where``), so gradients of every order come from theirs.  The two
read a bool mask in opposite ways, as in PyTorch:

* ``scaled_dot_product_attention``: ``attn_mask`` True = the query attends to the key;
* ``MultiheadAttention``: ``attn_mask`` and ``key_padding_mask`` True = blocked.

A float mask is added to the scores in both (``-inf`` blocks a position).  As
``torch.nn.attention``, the module also holds ``SDPBackend`` and ``sdpa_kernel``
(sdpa_backends.py).
"""

from __future__ import annotations

import math

import numpy as np

from ..compile.hooks import made
from ..ops import compare as cmp
from ..ops import elementwise as ew
from ..ops import linalg as la
from ..ops import reduce as rd
from ..ops import shape as sh
from ..ops.operands import broadcasts_to, constant_argument, tensor_of
from ..ops.replicate import repeat
from ..tensor import Tensor
from . import init
from .dropout import dropout
from .module import Module, Parameter, _generator
from .modules import Linear, _float_dtype, _positive_int
from .sdpa_backends import SDPBackend, check_a_kernel_is_enabled, sdpa_kernel
from .softmax import softmax

__all__ = ["scaled_dot_product_attention", "MultiheadAttention", "SDPBackend", "sdpa_kernel"]


def _shape_of(x):
    return tuple(x.shape) if isinstance(x, Tensor) else np.shape(x)


def _grouped_heads(where, q, k, v):
    """Key and value with their heads (axis -3) repeated to the query's, each in turn
    ``Hq // Hk`` times (``enable_gqa``)."""
    if min(q.ndim, k.ndim, v.ndim) < 3:
        raise ValueError(f"{where}: enable_gqa=True needs heads on axis -3: query (..., Hq, "
                         f"L, E), key (..., Hk, S, E), value (..., Hk, S, Ev); got shapes "
                         f"{q.shape}, {k.shape}, {v.shape}")
    heads = q.shape[-3]
    for name, t in (("key", k), ("value", v)):
        if t.shape[-3] == 0 or heads % t.shape[-3]:
            raise ValueError(f"{where}: enable_gqa=True needs the query's number of heads "
                             f"({heads}) to be a multiple of the {name}'s ({t.shape[-3]}); "
                             f"got shapes {q.shape}, {k.shape}, {v.shape}")
    return tuple(t if t.shape[-3] == heads else repeat(t, heads // t.shape[-3], axis=-3)
                 for t in (k, v))


def _float_inputs(named, where):
    """The inputs as Tensors of one floating-point dtype."""
    tensors = []
    for name, x in named:
        t = tensor_of(x)
        if t.dtype.kind != "f":
            raise TypeError(f"{where}: {name} must hold floating-point values, got dtype "
                            f"{t.dtype}; convert it, e.g. {name}.astype(np.float64)")
        tensors.append(t)
    dtypes = [t.dtype for t in tensors]
    if len(set(dtypes)) > 1:
        listed = ", ".join(f"{name} {t.dtype}" for (name, _), t in zip(named, tensors))
        raise TypeError(f"{where}: {', '.join(n for n, _ in named)} must have the same dtype, "
                        f"got {listed}; convert them to one dtype")
    return tensors


def _mask(mask, name, dtype, where):
    """A bool Tensor, or a float Tensor of the query's dtype (gradients flow into it).
    A float mask of a narrower dtype is cast up, exactly (PyTorch's ``mask.float()`` of a
    float64 model, which its Transformer adds to a padding mask in the query's dtype)."""
    m = tensor_of(mask)
    if m.dtype == np.bool_:
        return m
    if m.dtype.kind == "f" and m.dtype == dtype:
        return m
    if m.dtype.kind == "f" == np.dtype(dtype).kind and m.dtype.itemsize < np.dtype(dtype).itemsize:
        return m.astype(dtype)
    raise TypeError(f"{where}: {name} must be a bool mask or a float mask of the query's "
                    f"dtype ({dtype}), got dtype {m.dtype}; convert it, e.g. "
                    f"{name}.astype(np.{dtype}), or pass a bool mask (a float mask of a "
                    "narrower dtype is cast up)")


def _probability(p, where, name):
    p = constant_argument(p, where, name, "the dropout mask is drawn with it")
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)) \
            or not 0.0 <= p <= 1.0:
        raise ValueError(f"{where}: {name} is the probability of zeroing an attention weight "
                         f"and must be in [0, 1], got {name}={p!r}")
    return float(p)


def _fully_masked(scores):
    return np.all(scores == -np.inf, axis=-1, keepdims=True)


def _causal_blocked(rows, cols):
    # PyTorch's causal mask is tril(ones(L, S)) aligned at the top left: query i sees keys 0..i.
    return np.triu(np.ones((rows, cols), dtype=bool), 1)


def _attend(q, k, v, scale, additive, blocked, dropout_p, rng, zero_masked_rows):
    """(softmax(q @ k^T * scale + additive, blocked -> -inf) @ v, the weights).

    ``zero_masked_rows``: a row whose every score is -inf gets weights 0 (PyTorch's
    scaled_dot_product_attention) instead of NaN (its MultiheadAttention with weights).
    """
    scores = la.matmul(q * scale, sh.swapaxes(k, -1, -2))
    if additive is not None:
        scores = scores + additive
    if blocked is not None:
        scores = ew.where(blocked, -np.inf, scores)
    masked = additive is not None or blocked is not None
    if zero_masked_rows and masked and scores.shape[-1]:
        dead = made("fully masked rows", _fully_masked, (scores.data,))
        # A safe 0 in the rows fed to softmax, so neither value nor gradient is NaN there.
        weights = ew.where(dead, 0.0, softmax(ew.where(dead, 0.0, scores), axis=-1))
    else:
        weights = softmax(scores, axis=-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True, rng=rng)
    return la.matmul(weights, v), weights


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False, *, rng=None) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value``, as PyTorch's.

    Shapes ``(..., L, E)``, ``(..., S, E)``, ``(..., S, Ev)`` give ``(..., L, Ev)``; the
    leading axes broadcast.  ``scale`` defaults to ``1 / sqrt(E)``.

    ``attn_mask`` broadcasts to ``(..., L, S)``: a bool mask is True where the query
    attends to the key (the opposite of ``MultiheadAttention``'s masks); a float mask of
    the query's dtype is added to the scores.  ``is_causal=True`` lets query ``i``
    attend to keys ``0..i`` (the lower triangle of ``(L, S)``, aligned at the top left)
    and cannot be combined with ``attn_mask``.  A query whose every key is masked gets
    an output row of zeros and zero gradients, as PyTorch's CPU kernels give (not NaN).

    ``enable_gqa=True`` (grouped-query attention) takes heads on axis -3: query
    ``(..., Hq, L, E)`` with key and value of fewer heads, ``Hq`` a multiple of theirs,
    query head ``h`` reading key/value head ``h // (Hq // Hk)`` (PyTorch's
    ``repeat_interleave`` of the key and value heads).

    ``dropout_p > 0`` zeroes attention weights with that probability (and scales the
    rest by ``1 / (1 - dropout_p)``) at every call, as PyTorch's function does whatever
    the training mode; the mask is drawn from ``rng`` (an int seed or a
    ``np.random.Generator``; default: the generator set by ``ad.nn.manual_seed``), as
    in ``F.dropout``.

    >>> q = ad.tensor(np.ones((2, 3, 4)))
    >>> F.scaled_dot_product_attention(q, q, q, is_causal=True).shape
    (2, 3, 4)
    >>> keep = np.array([[True, False], [False, False]])   # row 1 attends to nothing
    >>> F.scaled_dot_product_attention(ad.tensor(np.eye(2)), ad.tensor(np.eye(2)),
    ...                                ad.tensor([[1.0, 2.0], [3.0, 4.0]]), attn_mask=keep)
    tensor([[1., 2.],
            [0., 0.]])
    """
    where = "scaled_dot_product_attention"
    check_a_kernel_is_enabled(where)
    q, k, v = _float_inputs((("query", query), ("key", key), ("value", value)), where)
    if enable_gqa:
        k, v = _grouped_heads(where, q, k, v)
    if min(q.ndim, k.ndim, v.ndim) < 2:
        raise ValueError(f"{where}: query, key and value must have at least 2 axes (..., L, E), "
                         f"(..., S, E), (..., S, Ev); got shapes {q.shape}, {k.shape}, "
                         f"{v.shape}")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"{where}: expected query (..., L, E), key (..., S, E) and value "
                         f"(..., S, Ev) with the same E for query and key and the same S for "
                         f"key and value; got shapes {q.shape}, {k.shape}, {v.shape}")
    try:
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(f"{where}: the leading (batch) axes of query {q.shape}, key {k.shape} "
                         f"and value {v.shape} do not broadcast together") from None
    p = _probability(dropout_p, where, "dropout_p")
    rows, cols = q.shape[-2], k.shape[-2]
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1]) if q.shape[-1] else 1.0
    else:
        scale = constant_argument(scale, where, "scale", "it is a plain number here")
        if isinstance(scale, bool) or not isinstance(scale, (int, float, np.integer,
                                                             np.floating)):
            raise TypeError(f"{where}: scale must be a number or None, got {scale!r}")
        scale = float(scale)
    additive = blocked = None
    if is_causal:
        if attn_mask is not None:
            raise ValueError(f"{where}: got both attn_mask and is_causal=True; pass one (for "
                             "a causal mask combined with another, build it into attn_mask)")
        blocked = Tensor(made("causal mask", _causal_blocked, (rows, cols)))
    elif attn_mask is not None:
        mask = _mask(attn_mask, "attn_mask", q.dtype, where)
        scores_shape = batch + (rows, cols)
        if not broadcasts_to(mask.shape, scores_shape):
            raise ValueError(f"{where}: attn_mask of shape {mask.shape} does not broadcast to "
                             f"the scores' shape {scores_shape} (..., L, S) for query "
                             f"{q.shape} and key {k.shape}")
        if mask.dtype == np.bool_:
            blocked = cmp.logical_not(mask)
        else:
            additive = mask
    out, _ = _attend(q, k, v, scale, additive, blocked, p, rng, zero_masked_rows=True)
    return out


def _divisors_text(n):
    return ", ".join(str(d) for d in range(1, n + 1) if n % d == 0)


def _check_causal(mask, rows, cols, where):
    """is_causal=True promises that attn_mask is the causal mask: refuse one that is not,
    since PyTorch then uses one or the other depending on the path it takes."""
    expected = _causal_blocked(rows, cols)
    if mask.dtype == np.bool_:
        good = bool(np.all(mask == expected))
    else:
        good = bool(np.all((mask == -np.inf) == expected) and np.all(mask[..., ~expected] == 0))
    if not good:
        raise ValueError(f"{where}: is_causal=True says attn_mask is the causal mask (True, "
                         "or -inf, above the diagonal; False, or 0, elsewhere), but the "
                         "attn_mask given is not; pass is_causal=False to use it as it is")
    return np.zeros(())


def _append_key(mask):
    """One more key column that nothing masks (for bias_k / the zero attention key)."""
    if mask is None:
        return None
    fill = made("mask column", np.zeros, (mask.shape[:-1] + (1,), mask.dtype))
    return sh.concatenate([mask, Tensor(fill)], axis=-1)


class MultiheadAttention(Module):
    """Multi-head attention as ``torch.nn.MultiheadAttention``:
    ``mha(query, key, value)`` returns ``(attn_output, attn_weights)``.

    Inputs are ``(L, N, E)`` (``(N, L, E)`` with ``batch_first=True``) or unbatched
    ``(L, E)``; ``key`` and ``value`` have ``kdim`` and ``vdim`` features (default
    ``embed_dim``).  Each of the ``num_heads`` heads attends with ``embed_dim //
    num_heads`` features, scaled by ``1 / sqrt(head_dim)``.

    Parameters have PyTorch's names and, except ``out_proj``, PyTorch's layout:
    ``in_proj_weight`` ``(3E, E)`` (the rows of q, k, v; ``q = query @ W_q.T``) and
    ``in_proj_bias`` ``(3E,)``, or ``q_proj_weight`` ``(E, E)``, ``k_proj_weight``
    ``(E, kdim)``, ``v_proj_weight`` ``(E, vdim)`` when kdim or vdim differ from E;
    ``out_proj`` is a ``Linear(E, E)`` (weight ``(in, out)`` here, transposed by
    ``to_torch_state_dict``); ``bias_k`` and ``bias_v`` ``(1, 1, E)`` with
    ``add_bias_kv=True``.  Initialisation as PyTorch's: Xavier-uniform projections,
    zero biases, Xavier-normal ``bias_k``/``bias_v``, drawn from ``rng``.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False)``: a bool
    ``key_padding_mask`` ``(N, S)`` (``(S,)`` unbatched) or ``attn_mask`` ``(L, S)`` /
    ``(N * num_heads, L, S)`` is True where attention is *blocked* (the opposite of
    ``F.scaled_dot_product_attention``'s bool mask); a float one is added to the scores.
    ``is_causal=True`` is a promise that ``attn_mask`` is the causal mask, which must be
    given (as in PyTorch); a mask that is not causal is refused.  The weights are
    ``(N, L, S)``, or ``(N, num_heads, L, S)`` with ``average_attn_weights=False``
    (without N when unbatched), or None with ``need_weights=False``.  Dropout (training
    mode only) acts on the attention weights, with masks drawn from ``rng``.

    A query whose every key is masked gets NaN (output and weights) with
    ``need_weights=True`` and zero attention (the output is ``out_proj``'s bias) with
    ``need_weights=False``, as PyTorch's autograd path gives (PyTorch's inference fast
    path gives NaN in both).

    The repr shows the sizes and options, ``MultiheadAttention(8, num_heads=2, ...)``,
    where PyTorch's shows only ``out_proj`` (a ``NonDynamicallyQuantizableLinear``).

    >>> mha = ad.nn.MultiheadAttention(8, 2, batch_first=True, rng=0)
    >>> x = ad.tensor(np.ones((3, 5, 8)))
    >>> out, weights = mha(x, x, x)
    >>> out.shape, weights.shape
    ((3, 5, 8), (3, 5, 5))
    >>> list(mha.to_torch_state_dict())
    ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, *, rng=None,
                 dtype=np.float64):
        super().__init__()
        name = "MultiheadAttention"
        self.embed_dim = _positive_int(embed_dim, "embed_dim", name)
        self.num_heads = _positive_int(num_heads, "num_heads", name)
        if self.embed_dim % self.num_heads:
            raise ValueError(f"{name}: embed_dim ({self.embed_dim}) must be divisible by "
                             f"num_heads ({self.num_heads}), each head taking embed_dim / "
                             f"num_heads features; use a num_heads that divides "
                             f"{self.embed_dim} ({_divisors_text(self.embed_dim)})")
        self.head_dim = self.embed_dim // self.num_heads
        self.kdim = self.embed_dim if kdim is None else _positive_int(kdim, "kdim", name)
        self.vdim = self.embed_dim if vdim is None else _positive_int(vdim, "vdim", name)
        self._qkv_same_embed_dim = self.kdim == self.embed_dim and self.vdim == self.embed_dim
        self.dropout = _probability(dropout, name, "dropout")
        self.batch_first = bool(batch_first)
        self.add_zero_attn = bool(add_zero_attn)
        dtype = _float_dtype(dtype, name)
        gen = _generator(rng)
        e = self.embed_dim

        def xavier(*shape):
            return init.xavier_uniform_(Parameter(np.zeros(shape, dtype)), rng=gen)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = xavier(3 * e, e)
            for unused in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(unused, None)
        else:
            self.q_proj_weight = xavier(e, e)
            self.k_proj_weight = xavier(e, self.kdim)
            self.v_proj_weight = xavier(e, self.vdim)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.zeros(3 * e, dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        if add_bias_kv:
            self.bias_k = init.xavier_normal_(Parameter(np.zeros((1, 1, e), dtype)), rng=gen)
            self.bias_v = init.xavier_normal_(Parameter(np.zeros((1, 1, e), dtype)), rng=gen)
        else:
            self.register_parameter("bias_k", None)
            self.register_parameter("bias_v", None)
        self.out_proj = Linear(e, e, bias=bias, rng=gen, dtype=dtype)
        if bias:
            self.out_proj.bias.data[...] = 0
        self._rng = None if rng is None else gen

    def _label(self):
        return f"MultiheadAttention({self.extra_repr()})"

    def extra_repr(self):
        text = f"{self.embed_dim}, num_heads={self.num_heads}"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.in_proj_bias is None:
            text += ", bias=False"
        if self.bias_k is not None:
            text += ", add_bias_kv=True"
        if self.add_zero_attn:
            text += ", add_zero_attn=True"
        if self.kdim != self.embed_dim:
            text += f", kdim={self.kdim}"
        if self.vdim != self.embed_dim:
            text += f", vdim={self.vdim}"
        if self.batch_first:
            text += ", batch_first=True"
        return text

    # ----- inputs -------------------------------------------------------------------
    def _inputs(self, query, key, value, where):
        q, k, v = _float_inputs((("query", query), ("key", key), ("value", value)), where)
        dtype = self.out_proj.weight.dtype
        if q.dtype != dtype:
            raise TypeError(f"{where}: the inputs are {q.dtype} but the layer's parameters are "
                            f"{dtype}; convert the inputs, or build the layer with "
                            f"dtype=np.{q.dtype}")
        layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
        if q.ndim not in (2, 3) or k.ndim != q.ndim or v.ndim != q.ndim:
            raise ValueError(f"{where}: expected query, key and value all batched {layout} or "
                             f"all unbatched (L, E), got shapes {q.shape}, {k.shape}, {v.shape}")
        for name, t, size in (("query", q, self.embed_dim), ("key", k, self.kdim),
                              ("value", v, self.vdim)):
            if t.shape[-1] != size:
                raise ValueError(f"{where}: {name} must have {size} features on its last axis "
                                 f"(embed_dim, kdim, vdim = {self.embed_dim}, {self.kdim}, "
                                 f"{self.vdim}), got shape {t.shape}")
        batched = q.ndim == 3
        if not batched:
            q, k, v = (sh.expand_dims(t, 0) for t in (q, k, v))
        elif not self.batch_first:
            q, k, v = (sh.swapaxes(t, 0, 1) for t in (q, k, v))
        if not (q.shape[0] == k.shape[0] == v.shape[0]) or k.shape[1] != v.shape[1]:
            raise ValueError(f"{where}: query, key and value must share the batch size, and "
                             f"key and value the source length S (layout {layout}); got "
                             f"shapes {_shape_of(query)}, {_shape_of(key)}, {_shape_of(value)}")
        return q, k, v, batched

    def _masks(self, key_padding_mask, attn_mask, is_causal, shapes, batched, where):
        (n, rows, _), cols, dtype = shapes
        kpm = am = None
        if key_padding_mask is not None:
            kpm = _mask(key_padding_mask, "key_padding_mask", dtype, where)
            expected = (n, cols) if batched else (cols,)
            if kpm.shape != expected:
                raise ValueError(f"{where}: key_padding_mask must have shape {expected} "
                                 f"({'(N, S)' if batched else '(S,) for unbatched input'}), "
                                 f"got {kpm.shape}")
            kpm = sh.reshape(kpm, (n, cols))
        if attn_mask is not None:
            am = _mask(attn_mask, "attn_mask", dtype, where)
            stacked = (n * self.num_heads, rows, cols)
            if am.shape not in ((rows, cols), stacked):
                heads = "N * num_heads" if batched else "num_heads"
                raise ValueError(f"{where}: attn_mask must have shape (L, S) = {(rows, cols)} "
                                 f"or ({heads}, L, S) = {stacked}, got {am.shape}")
        if is_causal:
            if am is None:
                raise ValueError(f"{where}: is_causal=True is a hint that attn_mask is the "
                                 "causal mask, and needs that attn_mask (as in PyTorch): pass "
                                 "attn_mask=np.triu(np.ones((L, S), bool), 1) with it")
            if self.bias_k is not None or self.add_zero_attn:
                # PyTorch's SDPA path (need_weights=False) then masks the added key too,
                # its other paths do not: the two disagree.
                raise ValueError(f"{where}: is_causal=True with add_bias_kv or add_zero_attn "
                                 "is ambiguous (PyTorch lets the added key take part or not "
                                 "depending on need_weights); pass is_causal=False with the "
                                 "causal attn_mask, which lets every query see the added key")
            made("causal attn_mask check", _check_causal, (am.data, rows, cols, where),
                 stateful=True)
        return kpm, am

    def _projections(self, q, k, v, same_input):
        e = self.embed_dim
        b = self.in_proj_bias
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            if same_input:               # self-attention: one GEMM for q, k and v
                packed = la.matmul(q, sh.transpose(w))
                if b is not None:
                    packed = packed + b
                return packed[..., :e], packed[..., e:2 * e], packed[..., 2 * e:]
            weights = (w[:e], w[e:2 * e], w[2 * e:])
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        out = []
        for i, (x, w) in enumerate(zip((q, k, v), weights)):
            y = la.matmul(x, sh.transpose(w))
            out.append(y if b is None else y + b[i * e:(i + 1) * e])
        return out

    def _heads(self, x):
        n, length, _ = x.shape
        return sh.transpose(sh.reshape(x, (n, length, self.num_heads, self.head_dim)),
                            (0, 2, 1, 3))

    # ----- forward ------------------------------------------------------------------
    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True,
                attn_mask=None, average_attn_weights: bool = True, is_causal: bool = False):
        where = self._label()
        same_input = query is key and key is value
        q, k, v, batched = self._inputs(query, key, value, where)
        n, rows, cols, e = q.shape[0], q.shape[1], k.shape[1], self.embed_dim
        kpm, am = self._masks(key_padding_mask, attn_mask, is_causal,
                              (q.shape, cols, q.dtype), batched, where)
        q, k, v = self._projections(q, k, v, same_input)
        if self.bias_k is not None:
            k = sh.concatenate([k, sh.broadcast_to(self.bias_k, (n, 1, e))], axis=1)
            v = sh.concatenate([v, sh.broadcast_to(self.bias_v, (n, 1, e))], axis=1)
            kpm, am = _append_key(kpm), _append_key(am)
        q, k, v = self._heads(q), self._heads(k), self._heads(v)
        if self.add_zero_attn:
            zeros = Tensor(made("zeros", np.zeros, ((n, self.num_heads, 1, self.head_dim),
                                                    q.dtype)))
            k = sh.concatenate([k, zeros], axis=2)
            v = sh.concatenate([v, zeros], axis=2)
            kpm, am = _append_key(kpm), _append_key(am)
        additive, blocked = self._combined(kpm, am, n)
        p = self.dropout if self.training else 0.0
        out, weights = _attend(q, k, v, math.sqrt(1.0 / self.head_dim), additive, blocked, p,
                               self._rng, zero_masked_rows=not need_weights)
        out = self.out_proj(sh.reshape(sh.transpose(out, (0, 2, 1, 3)), (n, rows, e)))
        if not batched:
            out = sh.squeeze(out, 0)
        elif not self.batch_first:
            out = sh.swapaxes(out, 0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = rd.mean(weights, axis=1)
        return out, (weights if batched else sh.squeeze(weights, 0))

    def _combined(self, kpm, am, n):
        """The masks as (additive float, blocked bool), each broadcasting to (N, H, L, S)."""
        parts = []
        if am is not None:
            heads = (n, self.num_heads) if am.ndim == 3 else (1, 1)
            parts.append(sh.reshape(am, heads + am.shape[-2:]))
        if kpm is not None:
            parts.append(sh.reshape(kpm, (n, 1, 1, kpm.shape[-1])))
        additive = blocked = None
        for part in parts:
            if part.dtype == np.bool_:
                blocked = part if blocked is None else cmp.logical_or(blocked, part)
            else:
                additive = part if additive is None else additive + part
        return additive, blocked
