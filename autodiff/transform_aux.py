"""``has_aux=True`` for the function transforms (``torch.func``'s and JAX's).

The function then returns a pair ``(output, aux)``: the transform differentiates
``output`` and hands ``aux`` back beside its results, untouched by differentiation.
Tensors inside ``aux`` follow the transform's own rule for results: they stay Tensors
when the results are recorded (they can still be differentiated from outside), and
are arrays otherwise.
"""

from __future__ import annotations

from typing import Callable

from .pytrees import flatten
from .tensor import Tensor


def split_aux(func: Callable, where: str) -> tuple[Callable, list]:
    """``(main, kept)``: ``main`` calls ``func``, returns its output and appends its
    aux to ``kept``.

    >>> main, kept = split_aux(lambda x: (x * 2, "note"), "grad")
    >>> main(3.0), kept
    (6.0, ['note'])
    """
    def main(*args, **kwargs):
        result = func(*args, **kwargs)
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            got = (f"a {type(result).__name__} of {len(result)} values"
                   if isinstance(result, (tuple, list)) else type(result).__name__)
            raise TypeError(f"{where}: has_aux=True, so the function must return a pair "
                            f"(output, aux), but it returned {got}; return "
                            "(value_to_differentiate, anything_else), or pass "
                            "has_aux=False")
        kept.append(result[1])
        return result[0]

    kept: list = []
    main.__name__ = getattr(func, "__name__", "f")
    return main, kept


def aux_result(kept: list, recorded: bool):
    """The aux of the last call: its Tensors as they are when the transform's results
    are recorded, else as arrays (detached copies)."""
    aux = kept.pop()
    leaves, rebuild = flatten(aux) if isinstance(aux, (dict, list, tuple)) else (
        [aux], lambda parts: parts[0])
    return rebuild([leaf if recorded or not isinstance(leaf, Tensor) else leaf.data.copy()
                    for leaf in leaves])


def is_recorded(result) -> bool:
    """Whether a transform's result (a value or a tuple of them) is a recorded Tensor."""
    first = result
    while isinstance(first, (tuple, list)) and first:
        first = first[0]
    if isinstance(first, dict) and first:
        return is_recorded(next(iter(first.values())))
    return isinstance(first, Tensor)


def with_aux(transform, func, argnums, where):
    """``transform(func, argnums)`` for a function returning ``(output, aux)``: the
    transform's result and the aux, as a pair."""
    main, kept = split_aux(func, where)
    transformed = transform(main, argnums)

    def wrapped(*args, **kwargs):
        result = transformed(*args, **kwargs)
        return result, aux_result(kept, is_recorded(result))

    return wrapped
