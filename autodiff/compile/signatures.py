"""A compiled function's signature: what decides whether a plan can be replayed for
a call's arguments (the shapes, dtypes and memory order of its tensors and arrays,
whether a tensor requires grad or has a graph, the values of its numbers and strings,
the same array passed twice) and whether gradients are recorded; and the words saying
what changed between two signatures, for the warning of a function traced too often.
"""

from __future__ import annotations

import sys

import numpy as np

from ..generator import Generator as _Generator
from ..graph import is_grad_enabled
from ..tensor import Tensor
from . import hooks as _hooks
from .arguments import unaccepted_argument
from .plan import memory_order


def _is_generator(value) -> bool:
    """Whether ``value`` is NumPy's Generator or RandomState, or an ``ad.Generator``
    (read from sys.modules: importing autodiff does not load numpy.random, and a NumPy
    generator that exists was made through it)."""
    if isinstance(value, _Generator):
        return True
    random = sys.modules.get("numpy.random")
    return random is not None and isinstance(value, (random.Generator, random.RandomState))


def signature(args, kwargs) -> tuple:
    """What decides whether a plan can be replayed for these arguments (and whether
    gradients are recorded: a call under ``ad.no_grad()`` records no backward)."""
    parts = [("grad mode", is_grad_enabled())]
    if _hooks.dispatch_epoch:       # (a plan traced before a register_kl is not replayed)
        parts.append(("registered functions", _hooks.dispatch_epoch))
    seen: dict = {}
    items = list(enumerate(args)) + sorted(kwargs.items())
    for position, value in items:
        if isinstance(value, Tensor):
            # a tensor with a graph (an op's output) is refused by the trace, so one
            # that had none at the trace must not replay the plan made for a leaf
            part = ("T", value.data.shape, value.data.dtype.str, value.requires_grad,
                    value._node is not None, memory_order(value.data))
            ident = id(value)
        elif isinstance(value, np.ndarray):
            part = ("A", value.shape, value.dtype.str, memory_order(value))
            ident = id(value)
        elif value is None or isinstance(value, (bool, int, float, complex, str, np.generic)):
            part = (type(value).__name__, _value_key(value))
            ident = None
        elif _is_generator(value):
            # (the steps that draw from it hold it: a plan is for that generator, and
            # keeps it, ``Plan.generators``, so that no other takes its id meanwhile)
            part = ("G", type(value).__name__, id(value))
            ident = None
        else:
            raise unaccepted_argument(f"argument {position!r}", value)
        if ident is not None:       # the same array passed twice is part of the signature
            part = part + (seen.setdefault(ident, position),)
        parts.append((position, part))
    return tuple(parts)


def generator_arguments(args, kwargs) -> list:
    """``(label, generator)`` for the random generators among the arguments (NumPy's,
    ``ad.Generator``): an op's ``rng=`` draws from them at each replay."""
    return [(f"argument {position!r}", value)
            for position, value in [*enumerate(args), *kwargs.items()]
            if _is_generator(value)]


def _signature_change(before, after) -> str | None:
    """What differs between two signatures, for a message: ``argument 1: 0.1 -> 0.2``.

    >>> _signature_change(signature((np.ones(2), 0.5), {}), signature((np.ones(3), 0.5), {}))
    'argument 0: an array of shape (2,) float64 -> an array of shape (3,) float64'
    """
    old, new = dict(before), dict(after)
    for name in [*old, *(k for k in new if k not in old)]:
        if old.get(name) != new.get(name):
            label = name if name in ("grad mode", "registered functions") else f"argument {name}"
            return f"{label}: {_part_text(old.get(name))} -> {_part_text(new.get(name))}"
    return None


def _part_text(part) -> str:
    if part is None or isinstance(part, (bool, int)):
        return "(none)" if part is None else str(part)
    kind = part[0]
    if kind == "G":
        return f"a {part[1]} (another object)"
    if kind in ("T", "A"):
        what = "a tensor" if kind == "T" else "an array"
        text = f"{what} of shape {part[1]} {np.dtype(part[2]).name}"
        order = part[5] if kind == "T" else part[3]
        if order != "C":
            text += " in Fortran order" if order == "F" else " as a strided view"
        if kind == "T":
            text += " with a graph" if part[4] else (
                " that requires grad" if part[3] else "")
        return text
    value = part[1]
    if kind == "float" or kind.startswith("float"):
        try:
            return repr(float.fromhex(value))
        except (TypeError, ValueError):
            pass
    return repr(value)


def _value_key(value):
    """A number as the plan's key: 0.0 and -0.0 apart (1 / x tells them apart), and a
    NaN equal to itself (NaN != NaN would trace again on every call)."""
    if isinstance(value, (float, np.floating)):
        return float(value).hex()
    if isinstance(value, (complex, np.complexfloating)):
        return (float(value.real).hex(), float(value.imag).hex())
    return value
