"""How ``vmap`` treats an ``ad.autograd.Function`` (PyTorch's rules for
``torch.func.vmap``).

A Function with its own ``vmap`` staticmethod or ``generate_vmap_rule = True`` needs
the second form (``setup_context``) and not both, as in PyTorch.  ``vmap(F.apply)``
calls ``F.vmap(info, in_dims, *args)`` once on the whole batch and moves each
output's batch axis (the ``out_dims`` the rule returns) to where ``vmap``'s
``out_dims`` asks.  With ``generate_vmap_rule = True`` the rule is the per-example
loop ``vmap`` runs anyway; a Function with neither is mapped by that loop too, where
PyTorch raises (the values are the per-example ones, never different).  A Function
with a ``vmap`` staticmethod applied inside a mapped function
(``vmap(lambda x: F.apply(x) * 2)``) raises: the loop runs it one example at a time,
which would not use the rule.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np

from .pytrees import flatten


class VmapInfo(NamedTuple):
    """What a Function's ``vmap`` rule gets first (PyTorch's ``info``)."""
    batch_size: int
    randomness: str


class _Depth(threading.local):
    value = 0       # per-example vmap loops running in this thread


_depth = _Depth()


def mapping_examples() -> bool:
    """Whether a per-example ``vmap`` loop is running (read by ``Function.apply``)."""
    return _depth.value > 0


@contextmanager
def per_example_calls():
    """The block in which ``vmap`` calls the mapped function once per example."""
    _depth.value += 1
    try:
        yield
    finally:
        _depth.value -= 1


def function_class(func):
    """The Function subclass when ``func`` is its ``apply``, else None."""
    from .function import Function

    owner = getattr(func, "__self__", None)
    if (isinstance(owner, type) and issubclass(owner, Function)
            and getattr(func, "__func__", None) is Function.apply.__func__):
        return owner
    return None


def checked_rule(cls):
    """``cls.vmap`` when the Function defines one, else None.  Raises, as PyTorch
    does, when it has both a rule and ``generate_vmap_rule = True``, or either without
    ``setup_context``.  One with neither is mapped example by example (PyTorch raises
    there): the loop gives exactly the per-example values, as the generated rule does."""
    from .function import Function

    name = cls.__name__
    rule = getattr(cls, "vmap", None)
    generated = bool(getattr(cls, "generate_vmap_rule", False))
    if rule is not None and generated:
        raise RuntimeError(
            f"vmap over {name}: it has both generate_vmap_rule = True and a vmap "
            "staticmethod; set generate_vmap_rule = False or delete the vmap staticmethod")
    if (rule is not None or generated) and cls.setup_context is Function.setup_context:
        asked = "a vmap staticmethod" if rule is not None else "generate_vmap_rule = True"
        raise RuntimeError(
            f"vmap over {name}: {asked} needs the form with setup_context, as in "
            "PyTorch's torch.func (forward(*inputs) without ctx, and a @staticmethod "
            "setup_context(ctx, inputs, output) that saves what backward needs); rewrite "
            "forward that way")
    return rule


def refuse_per_example(cls) -> None:
    """Called by ``Function.apply`` inside a per-example ``vmap`` loop."""
    if checked_rule(cls) is not None:
        raise RuntimeError(
            f"vmap: {cls.__name__} defines a vmap staticmethod, but it is applied inside "
            "a mapped function, which vmap runs here one example at a time, so the rule "
            f"would not be used; map {cls.__name__}.apply itself "
            f"(ad.func.vmap({cls.__name__}.apply)), or set generate_vmap_rule = True "
            "instead of the rule")


def rule_results(cls, rule, args, in_dims, size, randomness, kwargs) -> list:
    """The per-example outputs of ``rule`` run once on the batched ``args``: each
    output sliced along the batch axis the rule returned for it (an output with
    out_dims None is every example's)."""
    name = cls.__name__
    returned = rule(VmapInfo(size, randomness), tuple(in_dims), *args, **kwargs)
    if not (isinstance(returned, tuple) and len(returned) == 2):
        got = (f"a tuple of {len(returned)}" if isinstance(returned, tuple)
               else f"a {type(returned).__name__}")
        raise TypeError(f"{name}.vmap must return two values, the output and its out_dims "
                        f"(an int or None per output); it returned {got}")
    output, out_dims = returned
    leaves, rebuild = flatten(output) if isinstance(output, (tuple, list, dict)) \
        else ([output], lambda parts: parts[0])
    dims = ([out_dims] * len(leaves) if out_dims is None or isinstance(out_dims, int)
            else flatten(out_dims)[0] if isinstance(out_dims, (tuple, list, dict)) else None)
    if dims is None or len(dims) != len(leaves) or any(
            d is not None and (isinstance(d, bool) or not isinstance(d, (int, np.integer)))
            for d in dims):
        raise ValueError(
            f"{name}.vmap returned out_dims {out_dims!r} for {len(leaves)} output(s); give "
            "an int or None for all of them, or one per output in the output's structure")
    for k, (leaf, dim) in enumerate(zip(leaves, dims)):
        if dim is None:
            continue
        shape = np.shape(leaf)
        if not -len(shape) <= dim < len(shape) or shape[dim] != size:
            raise ValueError(
                f"{name}.vmap: output {k} has shape {shape} and out_dims {dim}, which is "
                f"not an axis of the batch size {size}; return the batch axis of each "
                "output (None for one not batched)")
    dims = [None if d is None else int(d) % np.ndim(leaf) for leaf, d in zip(leaves, dims)]
    return [rebuild([leaf if d is None else leaf[(slice(None),) * d + (b,)]
                     for leaf, d in zip(leaves, dims)]) for b in range(size)]
