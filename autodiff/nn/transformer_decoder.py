"""Transformer decoder and the whole model: ``nn.TransformerDecoderLayer``,
``nn.TransformerDecoder`` and ``nn.Transformer``, with PyTorch's arguments, submodule
names (so ``to_torch_state_dict`` gives PyTorch's keys) and formulas.

A decoder layer is self-attention over the target, attention from the target to the
encoder's output (``memory``) and a two-layer feed-forward block, each with a residual
connection and a LayerNorm, after the residual sum (``norm_first=False``) or before the
block (``norm_first=True``).  As for the encoder (see ``autodiff.nn.transformer``), the
result is PyTorch's training-mode path: a query with no key to attend to gets zero
attention, so its attention output is ``out_proj``'s bias.  PyTorch's ``eval()`` under
``no_grad`` may run the target self-attention through its inference fast path
(``batch_first=True``), which gives NaN for a target sequence whose every position is
padded; and in ``nn.Transformer`` its encoder's fast path gives zeros at padded ``src``
positions (see ``autodiff.nn.transformer``), which the decoder then attends to unless
``memory_key_padding_mask`` masks them.  Elsewhere the two paths agree.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..tensor import Tensor
from . import init
from .attention import MultiheadAttention, _mask
from .dropout import Dropout
from .module import Module, _generator
from .modules import Linear, _float_dtype, _positive_int
from .normalization import LayerNorm
from .transformer import (TransformerEncoder, TransformerEncoderLayer, _add_stack_of_layers,
                          _checked_layer_arguments)


def _sequences(x, name, e, batch_first, where):
    """``x`` as a Tensor, checked to be ``(L, N, E)`` / ``(N, L, E)`` or ``(L, E)``."""
    x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    layout = "(N, L, E)" if batch_first else "(L, N, E)"
    if x.ndim not in (2, 3) or x.shape[-1] != e:
        raise ValueError(f"{where}: {name} must be {layout} or unbatched (L, E) with E = "
                         f"d_model = {e}, got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{where}: {name} must hold floating-point values, got dtype "
                        f"{x.dtype}; convert it, e.g. {name}.astype(np.float64)")
    return x


def _batch_and_length(x, batch_first):
    if x.ndim == 2:
        return 1, x.shape[0]
    return (x.shape[0], x.shape[1]) if batch_first else (x.shape[1], x.shape[0])


def _check_mask_pair(names, attn_mask, key_padding_mask, is_causal, sizes, dtype, where):
    """Checks one attention's ``attn_mask`` ``(T, S)`` / ``(N * nhead, T, S)``, its
    ``key_padding_mask`` ``(N, S)`` and its ``is_causal`` hint, under the caller's names
    (``S`` is ``key``, the name of the keys' length: ``T`` or ``S``)."""
    mask_name, padding_name, causal_name = names
    n, rows, cols, key, heads, batched = sizes
    if key_padding_mask is not None:
        kpm = _mask(key_padding_mask, padding_name, dtype, where)
        expected = (n, cols) if batched else (cols,)
        if kpm.shape != expected:
            layout = f"(N, {key})" if batched else f"({key},) when unbatched"
            raise ValueError(f"{where}: {padding_name} must have shape {expected} ({layout}), "
                             f"got {kpm.shape}")
    if attn_mask is not None:
        mask = _mask(attn_mask, mask_name, dtype, where)
        stacked = (n * heads if batched else heads, rows, cols)
        if mask.shape not in ((rows, cols), stacked):
            heads_text = "N * nhead" if batched else "nhead"
            raise ValueError(f"{where}: {mask_name} must have shape (T, {key}) = {(rows, cols)}"
                             f" or ({heads_text}, T, {key}) = {stacked}, got {mask.shape}")
    if not isinstance(is_causal, (bool, np.bool_)):
        raise TypeError(f"{where}: {causal_name} must be True or False, got {is_causal!r}")
    if is_causal and attn_mask is None:
        raise ValueError(f"{where}: {causal_name}=True is a hint that {mask_name} is the causal "
                         f"mask, and needs that {mask_name} (as in PyTorch): pass "
                         f"{mask_name}=np.triu(np.ones(({rows}, {cols}), bool), 1) with it")


class TransformerDecoderLayer(Module):
    """One Transformer decoder layer, as ``torch.nn.TransformerDecoderLayer``:
    self-attention over ``tgt``, attention from ``tgt`` to ``memory`` (the encoder's
    output), then ``linear2(dropout(activation(linear1(x))))``, each added to its input
    and normalised.

    With ``norm_first=False`` (post-norm)::

        x = norm1(x + dropout1(self_attn(x, x, x)))
        x = norm2(x + dropout2(multihead_attn(x, memory, memory)))
        x = norm3(x + dropout3(feed_forward(x)))

    and with ``norm_first=True`` (pre-norm) ``x = x + dropout1(self_attn(norm1(x), ...))``
    and so on with ``norm2`` and ``norm3``.

    ``tgt`` is ``(T, N, E)`` and ``memory`` ``(S, N, E)`` (``(N, T, E)`` and ``(N, S, E)``
    with ``batch_first=True``), or unbatched ``(T, E)`` and ``(S, E)``; ``E = d_model``.
    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False)`` takes
    ``MultiheadAttention``'s masks: ``tgt_mask`` ``(T, T)``, ``memory_mask`` ``(T, S)``
    (or stacked per head, ``(N * nhead, T, T)`` / ``(N * nhead, T, S)``), the padding
    masks ``(N, T)`` and ``(N, S)``; bool (True = blocked) or float (added to the
    scores), e.g. ``nn.Transformer.generate_square_subsequent_mask(T)``.  An
    ``*_is_causal=True`` hint needs its mask, which must be the causal one, as in
    PyTorch.  ``activation``, ``bias``, ``rng`` and ``dtype`` are as for
    ``TransformerEncoderLayer``.

    Submodules as PyTorch's: ``self_attn``, ``multihead_attn``, ``linear1``, ``dropout``,
    ``linear2``, ``norm1``..``norm3``, ``dropout1``..``dropout3``.

    >>> layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, batch_first=True, rng=0)
    >>> tgt, memory = ad.tensor(np.ones((3, 4, 8))), ad.tensor(np.ones((3, 6, 8)))
    >>> layer(tgt, memory, tgt_mask=nn.Transformer.generate_square_subsequent_mask(4)).shape
    (3, 4, 8)
    >>> [k for k in layer.to_torch_state_dict() if k.startswith("norm3")]
    ['norm3.weight', 'norm3.bias']
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True, *,
                 rng=None, dtype=np.float64):
        super().__init__()
        name = "TransformerDecoderLayer"
        d_model, nhead, dim_feedforward, p, activation, layer_norm_eps, dtype = \
            _checked_layer_arguments(name, d_model, nhead, dim_feedforward, dropout,
                                     activation, layer_norm_eps, dtype)
        gen = _generator(rng)
        owned = None if rng is None else gen      # None: draw from the library's generator

        def attention():
            return MultiheadAttention(d_model, nhead, dropout=p, bias=bias,
                                      batch_first=batch_first, rng=owned, dtype=dtype)

        def norm():
            return LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.self_attn = attention()
        self.multihead_attn = attention()
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, rng=gen, dtype=dtype)
        self.dropout = Dropout(p, rng=owned)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, rng=gen, dtype=dtype)
        self.norm_first = bool(norm_first)
        self.norm1, self.norm2, self.norm3 = norm(), norm(), norm()
        self.dropout1 = Dropout(p, rng=owned)
        self.dropout2 = Dropout(p, rng=owned)
        self.dropout3 = Dropout(p, rng=owned)
        self.activation = activation
        self._rng = owned

    def _label(self):
        return f"TransformerDecoderLayer(d_model={self.self_attn.embed_dim}, " \
               f"nhead={self.self_attn.num_heads})"

    def extra_repr(self):
        return "norm_first=True" if self.norm_first else ""

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False):
        where = self._label()
        x, memory = self._checked_inputs(tgt, memory, where)
        batch_first = self.self_attn.batch_first
        n, rows = _batch_and_length(x, batch_first)
        cols = _batch_and_length(memory, batch_first)[1]
        heads, batched = self.self_attn.num_heads, x.ndim == 3
        _check_mask_pair(("tgt_mask", "tgt_key_padding_mask", "tgt_is_causal"), tgt_mask,
                         tgt_key_padding_mask, tgt_is_causal, (n, rows, rows, "T", heads, batched),
                         x.dtype, where)
        _check_mask_pair(("memory_mask", "memory_key_padding_mask", "memory_is_causal"),
                         memory_mask, memory_key_padding_mask, memory_is_causal,
                         (n, rows, cols, "S", heads, batched), x.dtype, where)
        tgt_masks = (tgt_mask, tgt_key_padding_mask, tgt_is_causal)
        memory_masks = (memory_mask, memory_key_padding_mask, memory_is_causal)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), *tgt_masks)
            x = x + self._mha_block(self.norm2(x), memory, *memory_masks)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, *tgt_masks))
            x = self.norm2(x + self._mha_block(x, memory, *memory_masks))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        out, _ = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                need_weights=False, is_causal=is_causal)
        return self.dropout1(out)

    def _mha_block(self, x, memory, attn_mask, key_padding_mask, is_causal):
        out, _ = self.multihead_attn(x, memory, memory, attn_mask=attn_mask,
                                     key_padding_mask=key_padding_mask, need_weights=False,
                                     is_causal=is_causal)
        return self.dropout2(out)

    def _ff_block(self, x):
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def _checked_inputs(self, tgt, memory, where):
        e, batch_first = self.self_attn.embed_dim, self.self_attn.batch_first
        x = _sequences(tgt, "tgt", e, batch_first, where)
        memory = _sequences(memory, "memory", e, batch_first, where)
        dtype = self.linear1.weight.dtype
        for name, t in (("tgt", x), ("memory", memory)):
            if t.dtype != dtype:
                raise TypeError(f"{where}: {name} is {t.dtype} but the layer's parameters are "
                                f"{dtype}; convert {name}, or build the layer with "
                                f"dtype=np.{t.dtype}")
        if x.ndim != memory.ndim:
            raise ValueError(f"{where}: tgt and memory must both be batched or both unbatched, "
                             f"got shapes {x.shape} and {memory.shape}")
        if _batch_and_length(x, batch_first)[0] != _batch_and_length(memory, batch_first)[0]:
            axis = 0 if batch_first else 1
            raise ValueError(f"{where}: tgt and memory must have the same batch size (axis "
                             f"{axis}), got shapes {x.shape} and {memory.shape}")
        return x, memory


class TransformerDecoder(Module):
    """A stack of ``num_layers`` decoder layers, as ``torch.nn.TransformerDecoder``:
    ``layers.0``, ``layers.1``, ... are deep copies of ``decoder_layer`` (equal weights
    at the start, as in PyTorch), then the optional ``norm``.

    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False)`` passes
    ``tgt`` through each layer with the same ``memory`` and masks.  With
    ``tgt_is_causal=None`` the layers get False and ``tgt_mask`` as given (PyTorch
    passes True when ``tgt_mask`` is the causal mask, for the same result).  A layer
    with its own generator (``rng=``) gets a new one per copy, seeded from it.

    >>> layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0, rng=0)
    >>> decoder = nn.TransformerDecoder(layer, num_layers=2, norm=nn.LayerNorm(8))
    >>> tgt, memory = ad.tensor(np.ones((4, 3, 8))), ad.tensor(np.ones((6, 3, 8)))
    >>> decoder(tgt, memory, memory_key_padding_mask=np.zeros((3, 6), bool)).shape
    (4, 3, 8)
    >>> list(decoder.to_torch_state_dict())[-2:]
    ['norm.weight', 'norm.bias']
    """

    def __init__(self, decoder_layer: Module, num_layers: int, norm: Module | None = None):
        super().__init__()
        _add_stack_of_layers(self, "TransformerDecoder", "decoder_layer",
                             "TransformerDecoderLayer", decoder_layer, num_layers, norm)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False):
        if tgt_is_causal is None:
            tgt_is_causal = False
        output = tgt
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask,
                           memory_key_padding_mask=memory_key_padding_mask,
                           tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """An encoder-decoder Transformer, as ``torch.nn.Transformer``: ``encoder`` (a
    ``TransformerEncoder`` of ``num_encoder_layers`` layers with a final ``LayerNorm``)
    reads ``src`` and ``decoder`` (a ``TransformerDecoder`` of ``num_decoder_layers``
    layers with a final ``LayerNorm``) reads ``tgt`` and the encoder's output.

    ``forward(src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
    src_key_padding_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None,
    src_is_causal=None, tgt_is_causal=None, memory_is_causal=False)``: ``src`` is
    ``(S, N, E)``, ``tgt`` ``(T, N, E)`` (``(N, S, E)``, ``(N, T, E)`` with
    ``batch_first=True``; or unbatched), and the result has ``tgt``'s shape.  The masks
    are those of the encoder and decoder layers.  ``custom_encoder`` and
    ``custom_decoder`` (Modules called as PyTorch calls them) replace the built ones.
    As in PyTorch, every parameter with two or more axes, custom modules' included, is
    then redrawn Xavier-uniform, from ``rng`` (an int seed or a ``np.random.Generator``;
    default: the generator set by ``ad.nn.manual_seed``), which also draws the dropout
    masks.  ``Transformer.generate_square_subsequent_mask(sz)`` is the causal float mask.

    >>> model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1,
    ...                        num_decoder_layers=1, dim_feedforward=16, rng=0)
    >>> src, tgt = ad.tensor(np.ones((6, 3, 8))), ad.tensor(np.ones((4, 3, 8)))
    >>> model(src, tgt, tgt_mask=model.generate_square_subsequent_mask(4)).shape
    (4, 3, 8)
    >>> [k for k in model.to_torch_state_dict() if "norm." in k and "layers" not in k]
    ['encoder.norm.weight', 'encoder.norm.bias', 'decoder.norm.weight', 'decoder.norm.bias']
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", custom_encoder: Module | None = None,
                 custom_decoder: Module | None = None, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True, *,
                 rng=None, dtype=np.float64):
        super().__init__()
        name = "Transformer"
        for what, custom in (("custom_encoder", custom_encoder),
                             ("custom_decoder", custom_decoder)):
            if custom is not None and not isinstance(custom, Module):
                raise TypeError(f"{name}: {what} must be a Module or None, got "
                                f"{type(custom).__name__}")
        d_model = _positive_int(d_model, "d_model", name)
        nhead = _positive_int(nhead, "nhead", name)
        dtype = _float_dtype(dtype, name)
        gen = _generator(rng)
        owned = None if rng is None else gen
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                      batch_first, norm_first, bias)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            num_encoder_layers = _positive_int(num_encoder_layers, "num_encoder_layers", name)
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(*layer_args, rng=owned, dtype=dtype), num_encoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            num_decoder_layers = _positive_int(num_decoder_layers, "num_decoder_layers", name)
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(*layer_args, rng=owned, dtype=dtype), num_decoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p, rng=gen)
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = bool(batch_first)

    def extra_repr(self):
        return f"d_model={self.d_model}, nhead={self.nhead}"

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal: bool | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False):
        where = f"Transformer(d_model={self.d_model}, nhead={self.nhead})"
        src_shape, tgt_shape = np.shape(src), np.shape(tgt)
        if len(src_shape) not in (2, 3) or len(tgt_shape) != len(src_shape):
            raise ValueError(f"{where}: src and tgt must both be batched (3 axes) or both "
                             f"unbatched (S, E), (T, E), got shapes {src_shape} and {tgt_shape}")
        axis = 0 if self.batch_first else 1
        if len(src_shape) == 3 and src_shape[axis] != tgt_shape[axis]:
            raise ValueError(f"{where}: src and tgt must have the same batch size (axis {axis}),"
                             f" got shapes {src_shape} and {tgt_shape}")
        if src_shape[-1] != self.d_model or tgt_shape[-1] != self.d_model:
            raise ValueError(f"{where}: src and tgt must have d_model = {self.d_model} features "
                             f"on their last axis, got shapes {src_shape} and {tgt_shape}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=np.float64) -> Tensor:
        """The causal mask ``(sz, sz)``: ``-inf`` above the diagonal (query ``i`` cannot
        see key ``j > i``), 0 elsewhere, as PyTorch's; a float mask, added to the scores.

        >>> nn.Transformer.generate_square_subsequent_mask(3)
        tensor([[  0., -inf, -inf],
                [  0.,   0., -inf],
                [  0.,   0.,   0.]])
        """
        where = "Transformer.generate_square_subsequent_mask"
        if isinstance(sz, bool) or not isinstance(sz, (int, np.integer)) or sz < 0:
            raise ValueError(f"{where}: sz must be an int >= 0 (the sequence length), got "
                             f"{sz!r}")
        if device not in (None, "cpu"):
            raise ValueError(f"{where}: arrays live on the CPU here; pass device=None or 'cpu',"
                             f" got {device!r}")
        dtype = _float_dtype(dtype, where)
        return Tensor(made("causal mask", _causal_mask, (sz, dtype)))


def _causal_mask(size, dtype):
    """-inf above the diagonal, 0 elsewhere (``generate_square_subsequent_mask``)."""
    blocked = np.triu(np.ones((size, size), bool), 1)
    return np.where(blocked, -np.inf, 0.0).astype(dtype)
