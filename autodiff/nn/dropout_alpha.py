"""Alpha dropout (``F.alpha_dropout``, ``F.feature_alpha_dropout``, ``nn.AlphaDropout``,
``nn.FeatureAlphaDropout``), as PyTorch's: dropout for self-normalizing (SELU) networks.

A dropped element takes SELU's negative saturation value ``-alpha'`` instead of 0, and
an affine map ``a * x + b`` restores zero mean and unit variance:

    a = 1 / sqrt((alpha'^2 * p + 1) * (1 - p)),   b = alpha' * a * p  (kept)
    dropped: a * (-alpha') + b                        (alpha' = scale * alpha of SELU)

``feature_alpha_dropout`` drops whole channels (one draw per sample and channel).
Masks come from ``rng`` as dropout's do, and are drawn again at each replay of a
compiled function.  ``inplace=True`` writes the result into the input and returns it,
as ``F.dropout`` does.
"""

from __future__ import annotations

import math

import numpy as np

from ..compile.hooks import made
from ..tensor import Tensor
from .dropout import _DropoutLayer, _check_p, _input
from .functional_inplace import apply_in_place
from .module import _generator

_ALPHA = 1.7580993408473766          # scale * alpha of SELU: its negative saturation


def _keep_mask(rng, shape, p):
    return _generator(rng).random(shape) >= p


def _scale(keep, p, dtype):
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1.0) * (1.0 - p))
    return (keep * a).astype(dtype)


def _shift(keep, p, dtype):
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1.0) * (1.0 - p))
    return ((keep - 1.0) * _ALPHA * a + _ALPHA * a * p).astype(dtype)


def _alpha_drop(input, p, training, inplace, rng, feature, where):
    p = _check_p(p, where)
    x = _input(input if isinstance(input, Tensor) or inplace else np.asarray(input),
               inplace, where)
    if not training or p == 0.0:
        return x
    if x.dtype.kind != "f":
        raise TypeError(f"{where}: expected floating-point values, got dtype {x.dtype}")
    if feature and x.ndim < 2:
        raise ValueError(f"{where}: expected an input with a channel axis (N, C, ...), got "
                         f"shape {x.shape}; use alpha_dropout for single elements")
    if p == 1.0:                            # as PyTorch: everything dropped, no rescaling
        if inplace:
            return apply_in_place(x, f"{where}_", lambda t, _: t * 0.0, lambda a, _: a * 0.0,
                                  kind="a dropout")
        return x * 0.0
    shape = x.shape[:2] + (1,) * (x.ndim - 2) if feature else x.shape
    keep = made(f"{where} mask", _keep_mask, (rng, shape, p), stateful=True)

    def recorded(t, keep):
        scale = made(f"{where} scale", _scale, (keep, p, x.dtype))
        return t * scale + made(f"{where} shift", _shift, (keep, p, x.dtype))

    if not inplace:
        return recorded(x, keep)
    # The array twin computes what the recorded ops do, from the same mask.
    return apply_in_place(x, f"{where}_", recorded,
                          lambda a, k: a * _scale(k, p, a.dtype) + _shift(k, p, a.dtype),
                          other=keep, kind="a dropout")


def alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False, *,
                  rng=None) -> Tensor:
    """Alpha dropout of each element with probability ``p`` while ``training`` (PyTorch's
    default for the function is ``training=False``: the input as it is).
    ``inplace=True`` writes the result into ``input`` and returns it.

    >>> y = F.alpha_dropout(ad.tensor(np.zeros(4)), 0.5, training=True, rng=0)
    >>> np.round(y.data, 4)
    array([ 0.7792, -0.7792, -0.7792, -0.7792])
    """
    return _alpha_drop(input, p, training, inplace, rng, False, "alpha_dropout")


def feature_alpha_dropout(input, p: float = 0.5, training: bool = False,
                          inplace: bool = False, *, rng=None) -> Tensor:
    """Alpha dropout of whole channels ``input[n, c]`` with probability ``p`` while
    ``training`` (default False, as PyTorch's function).  ``inplace`` as for
    ``alpha_dropout``.

    >>> y = F.feature_alpha_dropout(ad.tensor(np.zeros((1, 3, 2))), 0.5, True, rng=0)
    >>> bool((y.data == y.data[:, :, :1]).all())
    True
    """
    return _alpha_drop(input, p, training, inplace, rng, True, "feature_alpha_dropout")


class AlphaDropout(_DropoutLayer):
    """``F.alpha_dropout`` as a layer: active in training mode, the identity after
    ``eval()``.  ``rng`` as for ``Dropout``.

    >>> ad.nn.AlphaDropout(0.2).eval()(ad.tensor([1.0, -1.0]))
    tensor([ 1., -1.])
    """

    _function = staticmethod(alpha_dropout)


class FeatureAlphaDropout(_DropoutLayer):
    """``F.feature_alpha_dropout`` as a layer (whole channels): active in training mode,
    the identity after ``eval()``.  ``rng`` as for ``Dropout``.

    >>> ad.nn.FeatureAlphaDropout(0.2)
    FeatureAlphaDropout(p=0.2, inplace=False)
    """

    _function = staticmethod(feature_alpha_dropout)
