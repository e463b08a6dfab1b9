"""Transformer encoder: ``nn.TransformerEncoderLayer`` and ``nn.TransformerEncoder``, with
PyTorch's arguments, submodule names (so ``to_torch_state_dict`` gives PyTorch's keys)
and formulas.  Their reprs say a little more than PyTorch's: a layer built with
``norm_first=True`` shows it, and ``Transformer`` shows ``d_model`` and ``nhead``.

A layer is self-attention and a two-layer feed-forward block, each with a residual
connection and a LayerNorm, after the residual sum (``norm_first=False``, post-norm)
or before the block (``norm_first=True``, pre-norm).  Everything is built from
``MultiheadAttention``, ``Linear``, ``LayerNorm`` and ``Dropout``, so gradients of
every order come from theirs.

PyTorch computes these layers in one of two ways.  In training mode, or when a
gradient is wanted, it composes its modules as this file does; in ``eval()`` mode
under ``no_grad`` it may take an inference fast path whose results differ for padded
positions: there a sequence whose every key is padded gives NaN from
``TransformerEncoderLayer`` (batch-first, even ``nhead``), and ``TransformerEncoder``
(batch-first post-norm layers, ``src_key_padding_mask`` without ``mask``) returns
zeros at every padded position (before its final ``norm``).  This library always
gives the composed result: a padded position is computed like any other (only keys
are masked), and a query with no key to attend to gets zero attention, so its
self-attention output is ``out_proj``'s bias.
"""

from __future__ import annotations

import copy

import numpy as np

from ..tensor import Tensor
from .activation import gelu
from .attention import MultiheadAttention, _divisors_text, _mask, _probability
from .container import ModuleList
from .dropout import Dropout
from .functional import relu
from .module import Module, _generator
from .modules import Linear, _float_dtype, _positive_int
from .normalization import LayerNorm, _checked_eps

_ACTIVATIONS = {"relu": relu, "gelu": gelu}   # F.relu and F.gelu, as PyTorch


def _activation(activation, where):
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"{where}: activation must be 'relu', 'gelu' or a callable, got "
                             f"{activation!r}")
        return _ACTIVATIONS[activation]
    if not callable(activation):
        raise TypeError(f"{where}: activation must be 'relu', 'gelu' or a callable (a function "
                        f"or a Module taking a Tensor), got {type(activation).__name__}")
    return activation


def _checked_layer_arguments(name, d_model, nhead, dim_feedforward, dropout, activation,
                             layer_norm_eps, dtype):
    """A transformer layer's sizes, dropout probability, activation, eps and dtype,
    checked (``d_model`` divisible by ``nhead``) and normalised."""
    d_model = _positive_int(d_model, "d_model", name)
    nhead = _positive_int(nhead, "nhead", name)
    if d_model % nhead:
        raise ValueError(f"{name}: d_model ({d_model}) must be divisible by nhead ({nhead}), "
                         f"each head taking d_model / nhead features; use an nhead that "
                         f"divides {d_model} ({_divisors_text(d_model)})")
    return (d_model, nhead, _positive_int(dim_feedforward, "dim_feedforward", name),
            _probability(dropout, name, "dropout"), _activation(activation, name),
            _checked_eps(layer_norm_eps, name), _float_dtype(dtype, name))


class TransformerEncoderLayer(Module):
    """One Transformer encoder layer, as ``torch.nn.TransformerEncoderLayer``:
    self-attention, then ``linear2(dropout(activation(linear1(x))))``, each added to its
    input and normalised.

    With ``norm_first=False`` (post-norm)::

        x = norm1(x + dropout1(self_attn(x, x, x)))
        x = norm2(x + dropout2(feed_forward(x)))

    and with ``norm_first=True`` (pre-norm)::

        x = x + dropout1(self_attn(norm1(x), ...))
        x = x + dropout2(feed_forward(norm2(x)))

    ``src`` is ``(L, N, E)`` (``(N, L, E)`` with ``batch_first=True``) or unbatched
    ``(L, E)``, ``E = d_model``.  ``forward(src, src_mask=None,
    src_key_padding_mask=None, is_causal=False)`` takes ``MultiheadAttention``'s masks:
    ``src_mask`` ``(L, L)`` or ``(N * nhead, L, L)``, ``src_key_padding_mask``
    ``(N, L)`` (``(L,)`` unbatched), bool (True = blocked) or float (added to the
    scores).  ``is_causal=True`` promises that ``src_mask`` is the causal mask, which
    must be given, as in PyTorch.  ``activation`` is ``'relu'``, ``'gelu'`` (exact,
    with erf) or a callable (a function or a Module: a Module is registered as the
    submodule ``activation``).  ``bias=False`` leaves out the biases of the attention,
    the linear layers and the LayerNorms.  Dropout (training mode) draws from ``rng``
    (an int seed or a ``np.random.Generator``; default: the generator set by
    ``ad.nn.manual_seed``), which also initialises the weights.

    Submodules as PyTorch's: ``self_attn``, ``linear1``, ``dropout``, ``linear2``,
    ``norm1``, ``norm2``, ``dropout1``, ``dropout2``.  A query whose every key is
    masked gets zero attention, as in PyTorch's training-mode path (see the module's
    docstring for its inference fast path).

    >>> layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True, rng=0)
    >>> layer(ad.tensor(np.ones((3, 5, 8)))).shape
    (3, 5, 8)
    >>> list(layer.to_torch_state_dict())[:4]
    ['self_attn.in_proj_weight', 'self_attn.in_proj_bias', 'self_attn.out_proj.weight', \
'self_attn.out_proj.bias']
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True, *,
                 rng=None, dtype=np.float64):
        super().__init__()
        name = "TransformerEncoderLayer"
        d_model, nhead, dim_feedforward, p, activation, layer_norm_eps, dtype = \
            _checked_layer_arguments(name, d_model, nhead, dim_feedforward, dropout,
                                     activation, layer_norm_eps, dtype)
        gen = _generator(rng)
        owned = None if rng is None else gen      # None: draw from the library's generator
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=p, bias=bias,
                                            batch_first=batch_first, rng=owned, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, rng=gen, dtype=dtype)
        self.dropout = Dropout(p, rng=owned)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, rng=gen, dtype=dtype)
        self.norm_first = bool(norm_first)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(p, rng=owned)
        self.dropout2 = Dropout(p, rng=owned)
        self.activation = activation
        self._rng = owned

    def _label(self):
        return f"TransformerEncoderLayer(d_model={self.self_attn.embed_dim}, " \
               f"nhead={self.self_attn.num_heads})"

    def extra_repr(self):
        return "norm_first=True" if self.norm_first else ""

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        where = self._label()
        x = self._checked_src(src, where)
        self._check_masks(x, src_mask, src_key_padding_mask, is_causal, where)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        out, _ = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                need_weights=False, is_causal=is_causal)
        return self.dropout1(out)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def _checked_src(self, src, where):
        x = src if isinstance(src, Tensor) else Tensor(np.asarray(src))
        e = self.self_attn.embed_dim
        layout = "(N, L, E)" if self.self_attn.batch_first else "(L, N, E)"
        if x.ndim not in (2, 3) or x.shape[-1] != e:
            raise ValueError(f"{where}: src must be {layout} or unbatched (L, E) with E = "
                             f"d_model = {e}, got shape {x.shape}")
        dtype = self.linear1.weight.dtype
        if x.dtype.kind != "f":
            raise TypeError(f"{where}: src must hold floating-point values, got dtype "
                            f"{x.dtype}; convert it, e.g. src.astype(np.{dtype})")
        if x.dtype != dtype:
            raise TypeError(f"{where}: src is {x.dtype} but the layer's parameters are {dtype}; "
                            f"convert src, or build the layer with dtype=np.{x.dtype}")
        return x

    def _check_masks(self, x, src_mask, key_padding_mask, is_causal, where):
        batched = x.ndim == 3
        if batched:
            n, length = (x.shape[0], x.shape[1]) if self.self_attn.batch_first else \
                (x.shape[1], x.shape[0])
        else:
            n, length = 1, x.shape[0]
        heads = self.self_attn.num_heads
        if key_padding_mask is not None:
            kpm = _mask(key_padding_mask, "src_key_padding_mask", x.dtype, where)
            expected = (n, length) if batched else (length,)
            if kpm.shape != expected:
                layout = "(N, L)" if batched else "(L,) for unbatched src"
                raise ValueError(f"{where}: src_key_padding_mask must have shape {expected} "
                                 f"({layout}), got {kpm.shape}")
        if src_mask is not None:
            mask = _mask(src_mask, "src_mask", x.dtype, where)
            stacked = (n * heads if batched else heads, length, length)
            if mask.shape not in ((length, length), stacked):
                heads_text = "N * nhead" if batched else "nhead"
                raise ValueError(f"{where}: src_mask must have shape (L, L) = "
                                 f"{(length, length)} or ({heads_text}, L, L) = {stacked}, "
                                 f"got {mask.shape}")
        if not isinstance(is_causal, (bool, np.bool_)):
            raise TypeError(f"{where}: is_causal must be True or False, got {is_causal!r}")
        if is_causal and src_mask is None:
            raise ValueError(f"{where}: is_causal=True is a hint that src_mask is the causal "
                             "mask, and needs that src_mask (as in PyTorch): pass "
                             f"src_mask=np.triu(np.ones(({length}, {length}), bool), 1) with it")


def _reseeded_copies(layer, count):
    """``count`` deep copies of ``layer``; a generator the layer owns (``_rng``) is replaced
    in each copy by a new one seeded from it, so the copies draw different dropout masks
    (a copy of the same generator would repeat the first copy's masks in every layer).
    ``layer`` and its generator are left as they were."""
    copies = [copy.deepcopy(layer) for _ in range(count)]
    for i, clone in enumerate(copies):
        fresh = {}
        for module in clone.modules():
            gen = module.__dict__.get("_rng")
            if isinstance(gen, np.random.Generator):
                if id(gen) not in fresh:
                    seed = copy.deepcopy(gen).integers(2 ** 63, size=count)[i]
                    fresh[id(gen)] = np.random.default_rng(seed)
                object.__setattr__(module, "_rng", fresh[id(gen)])
    return copies


def _add_stack_of_layers(module, name, argument, kind, layer, num_layers, norm):
    """``module.layers``: ``num_layers`` copies of ``layer`` (a ``kind``, each copy with
    its own generator when the layer has one), and ``module.norm``, the final norm or None."""
    if not isinstance(layer, Module):
        raise TypeError(f"{name}: {argument} must be a Module (a {kind}),"
                        f" got {type(layer).__name__}")
    num_layers = _positive_int(num_layers, "num_layers", name)
    if norm is not None and not isinstance(norm, Module):
        raise TypeError(f"{name}: norm must be a Module (e.g. nn.LayerNorm(d_model)) or "
                        f"None, got {type(norm).__name__}")
    module.layers = ModuleList(_reseeded_copies(layer, num_layers))
    module.num_layers = num_layers
    module.norm = norm


class TransformerEncoder(Module):
    """A stack of ``num_layers`` encoder layers, as ``torch.nn.TransformerEncoder``:
    ``layers.0``, ``layers.1``, ... are deep copies of ``encoder_layer`` (so they start
    with the same weights, as in PyTorch), then the optional ``norm``.

    ``forward(src, mask=None, src_key_padding_mask=None, is_causal=None)`` passes ``src``
    through each layer with ``src_mask=mask``, ``src_key_padding_mask`` and
    ``is_causal``.  With ``is_causal=None`` the layers get ``is_causal=False`` and the
    mask as given: PyTorch passes True when ``mask`` is the causal mask, a hint with which
    ``TransformerEncoderLayer`` picks another kernel for the same result (a layer of
    your own that reads the hint gets False here).  ``enable_nested_tensor`` and
    ``mask_check`` only steer PyTorch's inference fast path; they are kept as
    attributes and change no result (see the module's docstring for how that path
    treats padded positions).  A layer with its own generator (``rng=``) gets a new one
    per copy, seeded from it, so each layer draws its own dropout masks.

    >>> layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, rng=0)
    >>> encoder = nn.TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(8))
    >>> x = ad.tensor(np.ones((5, 3, 8)))                       # (L, N, E)
    >>> encoder(x, src_key_padding_mask=np.zeros((3, 5), bool)).shape
    (5, 3, 8)
    >>> [k for k in encoder.to_torch_state_dict() if k.startswith("layers.1.norm")]
    ['layers.1.norm1.weight', 'layers.1.norm1.bias', 'layers.1.norm2.weight', \
'layers.1.norm2.bias']
    """

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True):
        super().__init__()
        _add_stack_of_layers(self, "TransformerEncoder", "encoder_layer",
                             "TransformerEncoderLayer", encoder_layer, num_layers, norm)
        self.enable_nested_tensor = bool(enable_nested_tensor)
        self.mask_check = bool(mask_check)

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal: bool | None = None):
        if is_causal is None:
            is_causal = False
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                           is_causal=is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output
