"""Nested containers of arrays (dicts, lists, tuples) as arguments of ``ad.grad``.

``ad.grad(loss)(params)`` with ``params`` a dict of arrays (``torch.func``'s and JAX's
habit, e.g. from ``functional_call``) returns a dict of gradients with the same keys:
the container is flattened into its leaves, each leaf is its own argument of the
transform, and the gradients are put back in the same structure.  Containers are
dicts, lists and tuples (named tuples too); anything else inside them is a leaf.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .tensor import Tensor

_CONTAINERS = (dict, list, tuple)


def is_tree(value) -> bool:
    """A dict, or a list or tuple that holds an array, a Tensor or a dict somewhere."""
    if isinstance(value, dict):
        return True
    return isinstance(value, (list, tuple)) and any(
        isinstance(v, (np.ndarray, Tensor)) or is_tree(v) for v in value)


def flatten(tree) -> tuple[list, Callable[[list], Any]]:
    """``(leaves, rebuild)``: the leaves in order, and ``rebuild(new_leaves)`` giving
    the same structure around new leaves."""
    leaves = []
    layout = _layout(tree, leaves)

    def rebuild(new_leaves):
        it = iter(new_leaves)
        return _filled(layout, it)

    return leaves, rebuild


def _layout(value, leaves):
    if isinstance(value, dict):
        return (dict, [(k, _layout(v, leaves)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value), [_layout(v, leaves) for v in value])
    leaves.append(value)
    return None


def _filled(layout, leaves):
    if layout is None:
        return next(leaves)
    kind, parts = layout
    if kind is dict:
        return {k: _filled(part, leaves) for k, part in parts}
    items = [_filled(part, leaves) for part in parts]
    if kind is list:
        return items
    return kind(*items) if hasattr(kind, "_fields") else kind(items)


def tree_value_and_grad(make_value_and_grad: Callable, func: Callable, positions: tuple,
                        single: bool, args: tuple, kwargs: dict, where: str):
    """``value_and_grad`` of ``func`` where some differentiated arguments are trees:
    run on the flattened leaves with ``make_value_and_grad(inner, argnums)``, then
    give each tree its gradients in its own structure."""
    positions = tuple(p % len(args) if -len(args) <= p < len(args) else p
                      for p in positions)
    flat, slots, argnums = [], {}, []
    for i, arg in enumerate(args):
        if i in positions and is_tree(arg):
            leaves, rebuild = flatten(arg)
            slots[i] = (len(flat), len(leaves), rebuild)
            argnums.extend(range(len(flat), len(flat) + len(leaves)))
            flat.extend(leaves)
        else:
            slots[i] = (len(flat), None, None)
            if i in positions:
                argnums.append(len(flat))
            flat.append(arg)
    if not argnums:
        raise ValueError(f"{where}: the containers to differentiate hold no arrays")

    def inner(*values):
        rebuilt = []
        for i in range(len(args)):
            start, count, rebuild = slots[i]
            rebuilt.append(values[start] if count is None
                           else rebuild(values[start:start + count]))
        return func(*rebuilt, **kwargs)

    inner.__name__ = getattr(func, "__name__", "f")
    value, grads = make_value_and_grad(inner, tuple(argnums))(*flat)
    by_leaf = dict(zip(argnums, grads))
    results = []
    for p in positions:
        start, count, rebuild = slots[p]
        results.append(by_leaf[start] if count is None
                       else rebuild([by_leaf[k] for k in range(start, start + count)]))
    return value, (results[0] if single else tuple(results))


def flatten_arguments(args) -> tuple[list, Callable[[list], list]]:
    """``(leaves, regroup)``: the arguments with each dict, list or tuple of arrays
    (``is_tree``) replaced by its leaves, and ``regroup(values)`` giving one value per
    argument again, containers rebuilt around the values (``vjp`` and ``jvp`` of
    container primals).

    >>> leaves, regroup = flatten_arguments(({"a": np.ones(1)}, np.zeros(1)))
    >>> len(leaves), regroup([1, 2])
    (2, [{'a': 1}, 2])
    """
    leaves, slots = [], []
    for arg in args:
        if is_tree(arg):
            parts, rebuild = flatten(arg)
            slots.append((len(leaves), len(parts), rebuild))
            leaves.extend(parts)
        else:
            slots.append((len(leaves), None, None))
            leaves.append(arg)

    def regroup(values):
        values = list(values)
        return [values[start] if count is None else rebuild(values[start:start + count])
                for start, count, rebuild in slots]

    return leaves, regroup
