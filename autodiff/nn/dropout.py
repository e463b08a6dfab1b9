"""Dropout: zero each element with probability ``p`` while training (inverted dropout);
``dropout1d`` / ``dropout2d`` / ``dropout3d`` zero whole channels instead (one draw per
sample and channel).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..compile.hooks import made
from ..ops.operands import constant_argument
from ..tensor import Tensor
from .functional_inplace import apply_in_place
from .module import Module, _generator


def _check_p(p, where):
    p = constant_argument(p, where, "p", "the mask is drawn with it")
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)) \
            or not 0.0 <= p <= 1.0:
        raise ValueError(f"{where}: p is the probability of zeroing an element and must be in "
                         f"[0, 1], got p={p!r}")
    return float(p)


def dropout(x, p: float = 0.5, training: bool = True, inplace: bool = False, *,
            rng=None) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    The expected value is unchanged, so nothing needs rescaling at evaluation time.
    With ``training=False`` or ``p=0`` the input is returned as it is; ``p=1`` gives
    zeros (and zero gradients), as in PyTorch.  The mask is
    drawn from ``rng`` (an int seed or a ``np.random.Generator``; default: the
    generator set by ``ad.nn.manual_seed``).  ``inplace=True`` writes the result into
    ``x`` and returns it (``x`` itself when nothing is dropped).

    >>> F.dropout(ad.tensor(np.ones(6)), p=0.5, rng=0)
    tensor([2., 0., 0., 0., 2., 2.])
    """
    p = _check_p(p, "dropout")
    x = _input(x, inplace, "dropout")
    if not training or p == 0.0:
        return x
    if x.dtype.kind != "f":
        raise TypeError(f"dropout: expected floating-point values, got dtype {x.dtype}")
    mask = made("dropout mask", _scale, (rng, x.shape, p, x.dtype), stateful=True)
    # Named, so that viz.text and graphs show the mode: a graph made in eval mode has no
    # such step (forgetting model.eval() is silent, as in PyTorch, but visible there).
    mask = Tensor(mask, name=f"dropout(p={p}, training=True) mask")
    return _times_mask(x, mask, inplace, "dropout")


def _input(x, inplace, where):
    """``x`` as a Tensor; ``inplace=True`` needs one to write into."""
    if isinstance(x, Tensor):
        return x
    if inplace:
        raise TypeError(f"{where}: inplace=True writes into the input, which must be a "
                        f"Tensor, got {type(x).__name__}; pass inplace=False")
    return Tensor(x)


def _times_mask(x, mask, inplace, where):
    """``x * mask``, written into ``x`` when ``inplace``."""
    if not inplace:
        return x * mask
    return apply_in_place(x, f"{where}_", lambda t, m: t * m, lambda a, m: a * m,
                          other=mask, kind="a dropout")


def _scale(rng, shape, p, dtype):
    # 0 or 1 / (1 - p) per element: drawn again at each replay of a compiled function.
    keep = _generator(rng).random(shape) >= p
    return (keep * (1.0 / (1.0 - p) if p < 1.0 else 0.0)).astype(dtype)


class _DropoutLayer(Module):
    """What every dropout layer shares: ``p``, ``inplace``, a generator of its own when
    ``rng`` is given, and a ``forward`` that calls the subclass's
    ``_function(x, p, training, inplace, rng=...)``."""

    _function = None

    def __init__(self, p: float = 0.5, inplace: bool = False, *, rng=None):
        super().__init__()
        name = type(self).__name__
        self.p = _check_p(p, name)
        self.inplace = bool(inplace)
        self._rng = None if rng is None else _generator(rng)

    def forward(self, input):
        return type(self)._function(input, self.p, self.training, self.inplace, rng=self._rng)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutLayer):
    """``F.dropout`` as a layer: active in training mode, the identity after ``eval()``.

    ``rng`` (an int seed or a ``np.random.Generator``) makes the masks reproducible:
    an int seeds a generator owned by the layer, so successive calls still differ.

    >>> drop = ad.nn.Dropout(0.5, rng=0)
    >>> drop(ad.tensor(np.ones(4)))
    tensor([2., 0., 0., 0.])
    >>> drop.eval()(ad.tensor(np.ones(4)))
    tensor([1., 1., 1., 1.])
    """

    _function = staticmethod(dropout)


def dropout1d(input, p: float = 0.5, training: bool = True, inplace: bool = False, *,
              rng=None) -> Tensor:
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` input with probability ``p``
    and scale the kept ones by ``1 / (1 - p)``, as PyTorch's ``dropout1d``.

    Each channel ``input[n, c, :]`` is kept or zeroed as a whole, so neighbouring
    (correlated) positions are dropped together.  ``rng`` as for ``F.dropout``;
    ``inplace=True`` writes into ``input``.

    >>> F.dropout1d(ad.tensor(np.ones((1, 4, 2))), p=0.5, rng=0).data[0]
    array([[2., 2.],
           [0., 0.],
           [0., 0.],
           [0., 0.]])
    """
    p = _check_p(p, "dropout1d")
    x = _input(input, inplace, "dropout1d")
    if x.ndim not in (2, 3):
        raise ValueError(f"dropout1d: expected a 2-d (C, L) or 3-d (N, C, L) input, got shape "
                         f"{x.shape}; dropout1d zeroes whole channels of inputs with one "
                         "spatial axis (use dropout2d for (N, C, H, W) images, dropout for "
                         "single elements)")
    # A (C, L) input has one sample: its channels are axis 0.
    return _drop_channels(x, p, training, inplace, rng, "dropout1d", 2 if x.ndim == 3 else 1)


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False, *,
              rng=None) -> Tensor:
    """Zero whole channels of ``(N, C, H, W)`` images with probability ``p`` and scale the
    kept ones by ``1 / (1 - p)``, as PyTorch's ``dropout2d``.

    As in PyTorch, a 3-d input is taken as ``(N, C, L)`` (not as an unbatched
    ``(C, H, W)`` image), with a warning that says so; use ``dropout1d`` for it, or
    ``x[None]`` for one image.  Other ranks (at least 2) warn and drop
    ``input[n, c, ...]`` as a whole.  ``rng`` and ``inplace`` as for ``F.dropout``.

    >>> y = F.dropout2d(ad.tensor(np.ones((1, 3, 2, 2))), p=0.5, rng=0)
    >>> y.data[0, :, 0, 0], bool((y.data == y.data[:, :, :1, :1]).all())
    (array([2., 0., 0.]), True)
    """
    p = _check_p(p, "dropout2d")
    x = _input(input, inplace, "dropout2d")
    if x.ndim < 2:
        raise ValueError(f"dropout2d: expected a 4-d (N, C, H, W) input, got shape {x.shape}")
    if x.ndim == 3:
        warnings.warn(f"dropout2d: got a 3-d input (shape {x.shape}); as PyTorch does, it is "
                      "taken as (N, C, L) and each input[n, c] is dropped as a whole; use "
                      "dropout1d for (N, C, L) input, or for one unbatched (C, H, W) image "
                      "pass x[None] and take [0] of the result",
                      UserWarning, stacklevel=2)
    elif x.ndim != 4:
        warnings.warn(f"dropout2d: got a {x.ndim}-d input (shape {x.shape}), not (N, C, H, W); "
                      "as PyTorch does, each input[n, c, ...] is dropped as a whole. Use "
                      "dropout to drop single elements", UserWarning, stacklevel=2)
    return _drop_channels(x, p, training, inplace, rng, "dropout2d", 2)


def dropout3d(input, p: float = 0.5, training: bool = True, inplace: bool = False, *,
              rng=None) -> Tensor:
    """Zero whole channels of ``(N, C, D, H, W)`` or unbatched ``(C, D, H, W)`` volumes
    with probability ``p`` and scale the kept ones by ``1 / (1 - p)``, as PyTorch's
    ``dropout3d``.  Other ranks warn, as PyTorch's (which deprecates them), and are taken
    as one unbatched sample: each ``input[c]`` is dropped as a whole (each element of a
    1-d input); use ``dropout`` for single elements.  ``rng`` and ``inplace`` as for
    ``F.dropout``.

    >>> y = F.dropout3d(ad.tensor(np.ones((1, 3, 2, 2, 2))), p=0.5, rng=0)
    >>> y.data[0, :, 0, 0, 0], bool((y.data == y.data[:, :, :1, :1, :1]).all())
    (array([2., 0., 0.]), True)
    """
    p = _check_p(p, "dropout3d")
    x = _input(input, inplace, "dropout3d")
    if x.ndim == 0:
        raise ValueError("dropout3d: expected a 5-d (N, C, D, H, W) or 4-d (C, D, H, W) "
                         "input, got a 0-d one; use dropout for single elements")
    if x.ndim not in (4, 5):
        warnings.warn(f"dropout3d: got a {x.ndim}-d input (shape {x.shape}), not (N, C, D, H, "
                      "W) or (C, D, H, W); as PyTorch does (it deprecates this), it is taken "
                      "as one sample and each input[c] is dropped as a whole. Use dropout "
                      "(or dropout1d / dropout2d) instead", UserWarning, stacklevel=2)
    # Any input but (N, C, D, H, W) has one sample: its channels are axis 0.
    return _drop_channels(x, p, training, inplace, rng, "dropout3d", 2 if x.ndim == 5 else 1)


def _drop_channels(x, p, training, inplace, rng, where, mask_axes):
    """``x`` times a mask drawn over its first ``mask_axes`` axes, broadcast over the
    rest (written into ``x`` when ``inplace``)."""
    if not training or p == 0.0 or x.size == 0:
        return x
    if x.dtype.kind != "f":
        raise TypeError(f"{where}: expected floating-point values, got dtype {x.dtype}")
    mask_shape = x.shape[:mask_axes] + (1,) * (x.ndim - mask_axes)
    mask = made(f"{where} mask", _scale, (rng, mask_shape, p, x.dtype), stateful=True)
    return _times_mask(x, mask, inplace, where)


class Dropout1d(_DropoutLayer):
    """``F.dropout1d`` as a layer: zeroes whole channels of ``(N, C, L)`` or ``(C, L)``
    input while training, the identity after ``eval()``.  ``rng`` as for ``Dropout``.

    >>> drop = ad.nn.Dropout1d(0.5, rng=0)
    >>> drop(ad.tensor(np.ones((2, 3, 4)))).data[:, :, 0]
    array([[2., 0., 0.],
           [0., 2., 2.]])
    >>> drop.eval()(ad.tensor(np.ones((3, 2)))).data.tolist()
    [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
    """

    _function = staticmethod(dropout1d)


class Dropout2d(_DropoutLayer):
    """``F.dropout2d`` as a layer: zeroes whole channels of ``(N, C, H, W)`` images while
    training, the identity after ``eval()``.  ``rng`` as for ``Dropout``.

    >>> drop = ad.nn.Dropout2d(0.25, rng=0)
    >>> drop
    Dropout2d(p=0.25, inplace=False)
    >>> drop(ad.tensor(np.ones((1, 4, 2, 2)))).data[0, :, 0, 0]
    array([1.33333333, 1.33333333, 0.        , 0.        ])
    """

    _function = staticmethod(dropout2d)


class Dropout3d(_DropoutLayer):
    """``F.dropout3d`` as a layer: zeroes whole channels of ``(N, C, D, H, W)`` volumes
    while training, the identity after ``eval()``.  ``rng`` as for ``Dropout``.

    >>> ad.nn.Dropout3d(0.5, rng=0)
    Dropout3d(p=0.5, inplace=False)
    """

    _function = staticmethod(dropout3d)
