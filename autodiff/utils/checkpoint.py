"""``ad.utils.checkpoint``: PyTorch's activation checkpointing, by its path.

PyTorch's ``checkpoint(fn, *args)`` drops ``fn``'s intermediate values after the
forward pass and computes them again during the backward pass, trading time for
memory; the values and gradients are those of ``fn(*args)``.  Here the call records
``fn`` as usual (same values and gradients, no memory saved), so scripts that wrap
their blocks in it run unchanged.

>>> x = ad.tensor([1.0, 2.0], requires_grad=True)
>>> ad.utils.checkpoint.checkpoint(lambda t: (t ** 2).sum(), x, use_reentrant=False)
tensor(5., requires_grad=True)
"""

from __future__ import annotations

from typing import Callable

__all__ = ["checkpoint", "checkpoint_sequential"]

_OPTIONS = ("use_reentrant", "context_fn", "determinism_check", "debug",
            "preserve_rng_state")


def _split(kwargs: dict) -> dict:
    """``fn``'s keyword arguments: ``kwargs`` without checkpoint's own options."""
    return {k: v for k, v in kwargs.items() if k not in _OPTIONS}


def checkpoint(function: Callable, *args, **kwargs):
    """``function(*args, **kwargs)``, recorded as usual (see the module); PyTorch's
    options (``use_reentrant``, ``preserve_rng_state``, ...) are accepted."""
    return function(*args, **_split(kwargs))


def checkpoint_sequential(functions, segments: int, input, **kwargs):
    """The modules (or functions) of ``functions`` applied in order to ``input``, as
    PyTorch's ``checkpoint_sequential`` computes them (``segments`` only groups them
    for the recomputation there)."""
    if int(segments) < 1:
        raise ValueError(f"checkpoint_sequential: segments must be at least 1, got {segments}")
    layers = list(functions.children()) if hasattr(functions, "children") else list(functions)
    for layer in layers:
        input = layer(input)
    return input
