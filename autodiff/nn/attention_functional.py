"""``F.multi_head_attention_forward``: the function behind ``nn.MultiheadAttention``,
with PyTorch's argument list, ``(L, N, E)`` layout (or unbatched ``(L, E)``) and
weights in PyTorch's ``(out, in)`` layout.  It runs ``nn.MultiheadAttention``'s own
forward over the given weights, so masks, ``bias_k``/``bias_v``, ``add_zero_attn``
and the returned weights follow the layer's (and PyTorch's) rules.

>>> import numpy as np
>>> e = 4
>>> x = ad.tensor(np.ones((3, 1, e)))
>>> out, weights = F.multi_head_attention_forward(
...     x, x, x, e, 2, ad.tensor(np.eye(3 * e, e)), None, None, None, False, 0.0,
...     ad.tensor(np.eye(e)), None)
>>> out.shape, weights.shape
((3, 1, 4), (1, 3, 3))
"""

from __future__ import annotations

from ..ops.operands import tensor_of
from .attention import MultiheadAttention, _divisors_text
from .module import Module

__all__ = ["multi_head_attention_forward"]


class _OutProjection(Module):
    """``x @ weight.T + bias`` with ``weight`` in PyTorch's ``(out, in)`` layout."""

    def __init__(self, weight, bias):
        super().__init__()
        self.weight = tensor_of(weight)
        self.bias = None if bias is None else tensor_of(bias)

    def forward(self, x):
        out = x @ self.weight.mT
        return out if self.bias is None else out + self.bias


def _optional(value):
    return None if value is None else tensor_of(value)


def multi_head_attention_forward(
        query, key, value, embed_dim_to_check: int, num_heads: int, in_proj_weight,
        in_proj_bias, bias_k, bias_v, add_zero_attn: bool, dropout_p: float, out_proj_weight,
        out_proj_bias, training: bool = True, key_padding_mask=None, need_weights: bool = True,
        attn_mask=None, use_separate_proj_weight: bool = False, q_proj_weight=None,
        k_proj_weight=None, v_proj_weight=None, static_k=None, static_v=None,
        average_attn_weights: bool = True, is_causal: bool = False) -> tuple:
    """Multi-head attention of ``query`` ``(L, N, E)`` over ``key`` / ``value``
    ``(S, N, kdim / vdim)``: ``(output (L, N, E), weights or None)``, as
    ``torch.nn.functional.multi_head_attention_forward`` (see the module's docstring).
    ``static_k`` / ``static_v`` (precomputed keys and values) are not supported."""
    where = "multi_head_attention_forward"
    if static_k is not None or static_v is not None:
        raise NotImplementedError(f"{where}: static_k / static_v are not supported; pass the "
                                  "keys and values as key and value instead")
    q, k, v = tensor_of(query), tensor_of(key), tensor_of(value)
    embed_dim = q.shape[-1] if q.ndim else 0
    if embed_dim != embed_dim_to_check:
        raise ValueError(f"{where}: was expecting embedding dimension of "
                         f"{embed_dim_to_check}, but got {embed_dim} (query {q.shape})")
    if num_heads < 1 or embed_dim % num_heads:
        raise ValueError(f"{where}: embed_dim {embed_dim} not divisible by num_heads "
                         f"{num_heads} (divisors: {_divisors_text(embed_dim)})")
    layer = MultiheadAttention.__new__(MultiheadAttention)
    Module.__init__(layer)
    layer.embed_dim, layer.num_heads = embed_dim, int(num_heads)
    layer.head_dim = embed_dim // layer.num_heads
    layer.kdim, layer.vdim = k.shape[-1], v.shape[-1]
    layer._qkv_same_embed_dim = not use_separate_proj_weight
    if use_separate_proj_weight:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise ValueError(f"{where}: use_separate_proj_weight is True but q_proj_weight, "
                             "k_proj_weight or v_proj_weight is None")
        layer.in_proj_weight = None
        layer.q_proj_weight = tensor_of(q_proj_weight)
        layer.k_proj_weight = tensor_of(k_proj_weight)
        layer.v_proj_weight = tensor_of(v_proj_weight)
    else:
        if in_proj_weight is None:
            raise ValueError(f"{where}: use_separate_proj_weight is False but "
                             "in_proj_weight is None")
        if layer.kdim != embed_dim or layer.vdim != embed_dim:
            raise ValueError(f"{where}: key and value with other feature sizes than the "
                             f"query's ({layer.kdim}, {layer.vdim} vs {embed_dim}) need "
                             "use_separate_proj_weight=True and q/k/v_proj_weight")
        layer.in_proj_weight = tensor_of(in_proj_weight)
    layer.in_proj_bias = _optional(in_proj_bias)
    if (bias_k is None) != (bias_v is None):
        raise ValueError(f"{where}: bias_k and bias_v must be given together")
    layer.bias_k, layer.bias_v = _optional(bias_k), _optional(bias_v)
    layer.add_zero_attn = bool(add_zero_attn)
    layer.dropout = float(dropout_p)
    layer.batch_first = False
    layer._rng = None
    layer.out_proj = _OutProjection(out_proj_weight, out_proj_bias)
    layer.train(bool(training))
    return layer.forward(query, key, value, key_padding_mask, need_weights, attn_mask,
                         average_attn_weights, is_causal)
