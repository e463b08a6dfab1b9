"""Unbatched inputs: one sample without its batch axis, as PyTorch's convolutions and
poolings take it.

``conv2d`` works on (N, C, H, W) batches; given one (C, H, W) image it runs on the batch
of one ``x[None]`` and drops that axis from the result again, so values and gradients
are those of the batch of one.  Any other rank is refused naming the function, the
shape and the two accepted layouts.  ``unbatched_too`` is the one place that does this;
the functions it wraps check only their batched layout.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from ..ops import shape as _shape
from ..tensor import Tensor

#: the batched layout of the 1-, 2- and 3-D convolutions and poolings, by spatial axes
BATCHED_LAYOUTS = {1: "N, C, L", 2: "N, C, H, W", 3: "N, C, D, H, W"}


def _shape_of(x):
    return tuple(x.shape) if isinstance(x, Tensor) else np.shape(x)


def rank_error(where: str, shape, axes: str) -> ValueError:
    """The error for an input whose rank is neither ``axes`` (``"N, C, H, W"``) nor one
    less (the unbatched layout, without ``N``)."""
    rank = axes.count(",") + 1
    single = axes.split(", ", 1)[1]
    return ValueError(f"{where}: expected a {rank - 1}-D unbatched ({single}) or {rank}-D "
                      f"batched ({axes}) input, got shape {tuple(shape)}")


def is_unbatched(x, axes: str, where: str) -> bool:
    """True when ``x`` is one sample of the batched layout ``axes`` (one axis short),
    False when it has every axis of ``axes``; any other rank raises ``rank_error``.

    >>> is_unbatched(np.zeros((3, 8, 8)), "N, C, H, W", "conv2d")
    True
    """
    shape = _shape_of(x)
    rank = axes.count(",") + 1
    if len(shape) not in (rank - 1, rank):
        raise rank_error(where, shape, axes)
    return len(shape) == rank - 1


def _with_batch_axis(x):
    if isinstance(x, Tensor):
        return _shape.expand_dims(x, 0)
    return np.asarray(x)[None]


def _without_batch_axis(out):
    if isinstance(out, tuple):
        return tuple(_without_batch_axis(part) for part in out)
    if isinstance(out, Tensor):
        return _shape.squeeze(out, 0)
    return out[0]


def unbatched_too(axes: str, also: tuple = ()):
    """Decorator: let ``function``, whose first argument is a batch laid out as ``axes``
    (``"N, C, H, W"``), also take one sample without the batch axis, as PyTorch does.
    The arguments named in ``also`` (e.g. the ``indices`` of ``max_unpool2d``) get the
    batch axis with it.  The error for other ranks names the function's ``where``
    argument when it has one, else the function.

    >>> @unbatched_too("N, C, L")
    ... def first_position(x):
    ...     return x[:, :, 0]
    >>> first_position(ad.tensor(np.arange(6.0).reshape(2, 3))).shape
    (2,)
    """
    def decorate(function):
        names = list(inspect.signature(function).parameters)
        where_at = names.index("where") if "where" in names else None
        where_default = inspect.signature(function).parameters.get("where")
        fallback = (function.__name__ if where_default is None
                    or where_default.default is inspect.Parameter.empty
                    else where_default.default)
        batched_at = [0] + [names.index(name) for name in also]

        @functools.wraps(function)
        def accepting_one_sample(*args, **kwargs):
            if where_at is not None and len(args) > where_at:
                where = args[where_at]
            else:
                where = kwargs.get("where", fallback)
            x = args[0] if args else kwargs[names[0]]
            if not is_unbatched(x, axes, where):
                return function(*args, **kwargs)
            args = list(args)
            for position in batched_at:
                if position < len(args):
                    args[position] = _with_batch_axis(args[position])
                elif names[position] in kwargs:
                    kwargs[names[position]] = _with_batch_axis(kwargs[names[position]])
            return _without_batch_axis(function(*args, **kwargs))
        return accepting_one_sample
    return decorate
