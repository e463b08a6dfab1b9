"""``Distribution.expand``: the same distribution with its parameters broadcast to a
larger ``batch_shape``, as PyTorch's ``expand`` (new leading batch axes, or axes of
size 1 stretched).  The parameters are broadcast views, so gradients reach the
original ones, and sample / log_prob / mean / variance / entropy follow the new shape.

>>> d = ad.distributions.Normal(ad.tensor([0.0]), 1.0).expand((4, 3))
>>> d.batch_shape, d.sample(rng=0).shape
((4, 3), (4, 3))
"""

from __future__ import annotations

import numpy as np

from .compile.hooks import made
from .ops.shape import broadcast_to
from .tensor import Tensor


def checked_batch_shape(owner: str, old: tuple, new) -> tuple[int, ...]:
    """``new`` as a tuple of ints that ``old`` broadcasts to, or raise (RuntimeError, as
    PyTorch's ``expand`` of the parameters does)."""
    dims = (new,) if isinstance(new, (int, np.integer)) else new
    try:
        dims = tuple(dims)
    except TypeError:
        raise TypeError(f"{owner}.expand: batch_shape must be a tuple of ints, e.g. (3,) "
                        f"or (2, 5); got {new!r}") from None
    if not all(isinstance(n, (int, np.integer)) and n >= 0 for n in dims):
        raise TypeError(f"{owner}.expand: batch_shape must hold non-negative ints, got "
                        f"{new!r}")
    dims = tuple(int(n) for n in dims)
    if len(dims) < len(old):
        raise RuntimeError(f"{owner}.expand: batch_shape {dims} has fewer axes than the "
                           f"distribution's batch_shape {old}; expand can only add "
                           "leading axes or stretch axes of size 1")
    for axis, (size, target) in enumerate(zip(old, dims[len(dims) - len(old):])):
        if size != target and size != 1:
            raise RuntimeError(f"{owner}.expand: batch_shape {old} cannot be expanded to "
                               f"{dims}: axis {axis} has size {size}, which must equal "
                               f"{target} or be 1")
    return dims


def _batch_leading(shape: tuple, old: tuple) -> bool:
    return len(shape) >= len(old) and tuple(shape[:len(old)]) == tuple(old)


def expand_attributes(dist, new, batch_shape: tuple, skip=()) -> None:
    """Fill ``new.__dict__`` from ``dist``'s: each tensor or array whose shape starts
    with the batch shape broadcast to ``batch_shape`` (its trailing event axes kept),
    each inner distribution whose batch starts with it expanded likewise, and the rest
    (counts, flags, transforms, parameters shared by the whole batch) as they are."""
    from .distributions import Distribution
    old = dist.batch_shape
    for name, value in dist.__dict__.items():
        if name in skip:
            continue
        if isinstance(value, Tensor) and _batch_leading(value.shape, old):
            value = broadcast_to(value, batch_shape + value.shape[len(old):])
        elif isinstance(value, np.ndarray) and _batch_leading(value.shape, old):
            value = made("expand", np.broadcast_to,
                         (value, batch_shape + value.shape[len(old):]))
        elif isinstance(value, Distribution) and _batch_leading(value.batch_shape, old):
            value = value.expand(batch_shape + value.batch_shape[len(old):])
        new.__dict__[name] = value
    new.batch_shape = batch_shape


def expand(dist, batch_shape, _instance=None):
    """``dist`` with its parameters broadcast to ``batch_shape`` (see the module)."""
    owner = type(dist).__name__
    batch_shape = checked_batch_shape(owner, dist.batch_shape, batch_shape)
    new = object.__new__(type(dist)) if _instance is None else _instance
    expand_attributes(dist, new, batch_shape)
    return new


def expand_transformed(dist, batch_shape, _instance=None):
    """A TransformedDistribution's expand: its base expanded to the batch shape the
    transforms map onto ``batch_shape`` (as PyTorch's)."""
    owner = type(dist).__name__
    batch_shape = checked_batch_shape(owner, dist.batch_shape, batch_shape)
    shape = batch_shape + dist.event_shape
    for transform in reversed(dist.transforms):
        shape = transform.inverse_shape(shape)
    base = dist.base_dist
    base_batch = shape[:len(shape) - len(base.event_shape)]
    new = object.__new__(type(dist)) if _instance is None else _instance
    expand_attributes(dist, new, batch_shape, skip=("base_dist",))
    new.base_dist = base.expand(base_batch)
    return new
