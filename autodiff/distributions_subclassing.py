"""What a distribution written outside the library leans on, as in PyTorch: its
parameters checked against its ``arg_constraints`` when ``super().__init__`` runs (with
``validate_args`` on), ``_validate_sample(value)`` for its ``log_prob``,
``_extended_shape(sample_shape)`` for its ``rsample``, and
``_get_checked_instance(cls, _instance)`` for its ``expand``.

>>> C = ad.distributions.constraints
>>> class Rate(ad.distributions.Distribution):
...     arg_constraints = {"rate": C.positive}
...     support = C.positive
...     def __init__(self, rate, validate_args=None):
...         self.rate = ad.as_tensor(rate)
...         super().__init__(self.rate.shape, validate_args=validate_args)
>>> Rate([1.0, 2.0])._extended_shape((3,))
(3, 2)
>>> Rate([1.0, -2.0])
Traceback (most recent call last):
...
ValueError: Expected parameter rate (Tensor of shape (2,)) of distribution ...
tensor([ 1., -2.])
"""

from __future__ import annotations

import numpy as np

from .tape_drop import user_frame, warn_at
from .tensor import Tensor


def extended_shape(dist, sample_shape=()) -> tuple:
    """``sample_shape + batch_shape + event_shape``: the shape of a draw of
    ``sample_shape`` values."""
    return tuple(sample_shape) + tuple(dist.batch_shape) + tuple(dist.event_shape)


def check_parameters(dist) -> None:
    """Raise ValueError naming the first parameter outside its ``arg_constraints``
    entry (dependent ones are skipped; so are lazily computed ones not yet computed)."""
    from .distributions_constraints import is_dependent
    from .distributions_utils import lazy_property
    try:
        arg_constraints = dist.arg_constraints
    except NotImplementedError:
        warn_at(user_frame(), f"{type(dist).__name__} does not define `arg_constraints`. "
                "Please set `arg_constraints = {}` or initialize the distribution with "
                "`validate_args=False` to turn off validation.", UserWarning)
        return
    for name, constraint in arg_constraints.items():
        if is_dependent(constraint):
            continue
        if name not in vars(dist) and isinstance(getattr(type(dist), name, None),
                                                 lazy_property):
            continue
        value = getattr(dist, name)
        if not np.all(constraint.check(value).data):
            shape = tuple(np.shape(value.data if isinstance(value, Tensor) else value))
            raise ValueError(f"Expected parameter {name} ({type(value).__name__} of shape "
                             f"{shape}) of distribution {dist!r} to satisfy the "
                             f"constraint {constraint!r}, but found invalid values:\n{value}")


def validate_sample(dist, value) -> None:
    """Raise ValueError when ``value`` does not end in ``event_shape``, does not
    broadcast with ``batch_shape + event_shape``, or lies outside ``dist.support``."""
    if not isinstance(value, Tensor):
        raise ValueError("The value argument to log_prob must be a Tensor")
    event_shape, actual = tuple(dist.event_shape), tuple(value.shape)
    if actual[len(actual) - len(event_shape):] != event_shape:
        raise ValueError(f"The right-most size of value must match event_shape: {actual} "
                         f"vs {event_shape}.")
    expected = tuple(dist.batch_shape) + event_shape
    for i, j in zip(reversed(actual), reversed(expected)):
        if i != 1 and j != 1 and i != j:
            raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                             f"{actual} vs {expected}.")
    try:
        support = dist.support
    except NotImplementedError:
        warn_at(user_frame(), f"{type(dist).__name__} does not define `support` to enable "
                "sample validation. Please initialize the distribution with "
                "`validate_args=False` to turn off validation.", UserWarning)
        return
    if not np.all(support.check(value).data):
        raise ValueError(f"Expected value argument ({type(value).__name__} of shape "
                         f"{actual}) to be within the support ({support!r}) of the "
                         f"distribution {dist!r}, but found invalid values:\n{value}")


def checked_instance(dist, cls, instance=None):
    """``instance``, or a new uninitialised object of ``dist``'s class for ``expand``
    to fill; refused when a subclass of ``cls`` with its own ``__init__`` inherits
    ``cls``'s ``expand`` (which would not know that ``__init__``'s parameters)."""
    if instance is None and type(dist).__init__ != cls.__init__:
        raise NotImplementedError(f"Subclass {type(dist).__name__} of {cls.__name__} that "
                                  "defines a custom __init__ method must also define a "
                                  "custom .expand() method.")
    return type(dist).__new__(type(dist)) if instance is None else instance
