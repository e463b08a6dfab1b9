"""Containers among a compiled function's arguments: dicts, lists, tuples, namedtuples
and dataclasses of tensors, arrays, numbers, strings and None (a batch as ``{"x": x,
"y": y}``, a ``Batch(x, y)`` namedtuple, a dataclass config).

The plan takes its inputs by position, so the arguments are flattened into their
leaves, in order; the structure (the containers' types, a dict's keys, a dataclass's
class and fields) joins the signature, so another structure traces again, and the
numbers inside join it as numbers passed alone do.  While tracing, the function gets
the containers it was given, but for those holding arrays: those are rebuilt (a copy
of a dataclass) with each array as a tensor over it, as an array passed alone is.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np

from ..tensor import Tensor
from ..torch_memory import is_torch_tensor

_MAX_PARTS = 100_000
_LEAVES = (Tensor, np.ndarray, bool, int, float, complex, str, np.generic)


def _is_dataclass_instance(value) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def _children(value):
    """``(kind, labels, items)`` of a container, or None for anything else."""
    kind = type(value)
    if kind is dict:
        return ("dict", tuple(value), list(value.values()))
    if kind is list or kind is tuple:
        return (kind.__name__, len(value), list(value))
    if isinstance(value, tuple) and hasattr(kind, "_fields"):
        return (kind, kind._fields, list(value))
    if _is_dataclass_instance(value):
        names = tuple(f.name for f in dataclasses.fields(value))
        return (kind, names, [getattr(value, name) for name in names])
    return None


#: The types most arguments have, told apart from containers at once (on every call)
_COMMON = frozenset({np.ndarray, Tensor, float, int, bool, str, type(None)})


def has_containers(args, kwargs) -> bool:
    for value in args:
        if type(value) not in _COMMON and _children(value) is not None:
            return True
    return bool(kwargs) and any(
        type(v) not in _COMMON and _children(v) is not None for v in kwargs.values())


def flatten(args, kwargs) -> tuple:
    """``(leaves, structure)``: the leaves of ``args`` and ``kwargs`` in order, and a
    hashable description of the containers around them.

    >>> leaves, _ = flatten(({"x": 1.0, "y": [2, "a"]},), {"k": None})
    >>> leaves
    [1.0, 2, 'a', None]
    """
    leaves, parts = [], []
    todo = [(value, f"argument {position!r}") for position, value in
            reversed([*enumerate(args), *kwargs.items()])]
    while todo:
        value, where = todo.pop()
        if len(parts) > _MAX_PARTS:
            raise TypeError(f"compile: the arguments hold more than {_MAX_PARTS} items "
                            "(or a container that holds itself); pass fewer, larger arrays")
        children = _children(value)
        if children is None:
            if value is not None and not isinstance(value, _LEAVES):
                raise unaccepted_argument(where, value)
            leaves.append(value)
            parts.append(None)
            continue
        kind, labels, items = children
        parts.append((kind, labels))
        keys = labels if isinstance(labels, tuple) else range(labels)
        todo += reversed([(item, f"{where}[{key!r}]") for key, item in zip(keys, items)])
    structure = (len(args), tuple(kwargs), tuple(parts))
    return leaves, structure


def rebuild(args, kwargs, new_leaves) -> tuple:
    """``(args, kwargs)`` with the leaves replaced, in ``flatten``'s order, by
    ``new_leaves``; a container is rebuilt only where one of its leaves is replaced by
    another object (an array by its tensor), else given as it is."""
    leaves = iter(new_leaves)

    def build(value):
        children = _children(value)
        if children is None:
            return next(leaves)
        kind, labels, items = children
        built = [build(item) for item in items]
        if all(b is i for b, i in zip(built, items)):
            return value
        if kind == "dict":
            return dict(zip(labels, built))
        if kind == "list":
            return built
        if kind == "tuple":
            return tuple(built)
        if not isinstance(kind, type) or not _is_dataclass_instance(value):
            return kind(*built)                  # a namedtuple
        made = copy.copy(value)
        for name, item in zip(labels, built):
            object.__setattr__(made, name, item)   # (frozen dataclasses too)
        return made

    new_args = tuple(build(v) for v in args)
    new_kwargs = {k: build(v) for k, v in kwargs.items()}
    return new_args, new_kwargs


def unaccepted_argument(where: str, value) -> TypeError:
    """The error for an argument a compiled function does not take; a ``torch.Tensor``
    is named as one (its class is called Tensor too), with the conversion to make.

    >>> print(unaccepted_argument("argument 0", object()))
    compile: argument 0 is a object; a compiled function takes tensors, arrays, numbers and
    strings, and dicts, lists, tuples, namedtuples and dataclasses of them (capture other
    objects, such as the model and the optimizer, from the enclosing scope)
    """
    kind = type(value).__name__
    if is_torch_tensor(value):
        kind = "torch.Tensor (convert it first: ad.tensor(t) shares its memory)"
    return TypeError(
        f"compile: {where} is a {kind}; a compiled function takes tensors, arrays, numbers "
        "and strings, and dicts, lists, tuples, namedtuples and dataclasses of them "
        "(capture other objects, such as the model and the optimizer, from the enclosing "
        "scope)")
