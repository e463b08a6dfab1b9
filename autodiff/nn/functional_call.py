"""``functional_call(module, values, args)``: call a module with some of its parameters
and buffers replaced by the given values, for that call only (``torch.func``'s).

This is what turns a model into a function of its weights, for the transforms:
``ad.grad(lambda p: loss(functional_call(model, p, (x,))))`` differentiates with
respect to the values in ``p``, and ``ad.vmap`` over such a function gives
per-example gradients.  The module itself is left as it was, even when the call
raises.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .buffer import is_tensor_buffer


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False) -> Any:
    """``module(*args, **kwargs)`` with the parameters and buffers named in
    ``parameters_and_buffers`` (a dict by dotted name, or a tuple of such dicts)
    replaced for the call.

    As in PyTorch: ``args`` is a tuple, or one argument; with ``tie_weights`` a value
    given for a parameter that the model shares under several names (tied weights)
    replaces it under all of them; ``strict=True`` requires a value for every
    parameter and buffer.  Unlike PyTorch, a name the module does not have raises,
    and so does a value whose shape differs from the member it replaces.

    >>> layer = ad.nn.Linear(2, 1, bias=False)               # weight: (2, 1), x @ weight
    >>> x = np.array([[1.0, 2.0]])
    >>> ad.func.functional_call(layer, {"weight": np.array([[3.0], [4.0]])}, (x,))
    tensor([[11.]])
    >>> ad.grad(lambda w: ad.func.functional_call(layer, {"weight": w}, (x,)).sum())(
    ...     np.zeros((2, 1)))
    array([[1.],
           [2.]])
    """
    where = f"functional_call({type(module).__name__})"
    values = _merged(where, parameters_and_buffers)
    slots = _slots(module)
    unknown = [name for name in values if name not in slots]
    if unknown:
        raise KeyError(
            f"{where}: the module has no parameter or buffer named {unknown}; its names "
            f"are {sorted(slots)}")
    if tie_weights:
        values = _tied(where, slots, values)
    if strict:
        missing = sorted(name for name in slots if name not in values)
        if missing:
            raise KeyError(f"{where}: strict=True, but no value was given for {missing}")
    swaps = []
    for name, value in values.items():
        owner, table, key = slots[name]
        current = getattr(owner, table)[key]
        value = _checked(where, name, value, current, table)
        swaps.append((owner, table, key, current))
        getattr(owner, table)[key] = value
        object.__setattr__(owner, key, value)
    args = args if isinstance(args, tuple) else (() if args is None else (args,))
    try:
        return module(*args, **(kwargs or {}))
    finally:
        for owner, table, key, original in reversed(swaps):
            getattr(owner, table)[key] = original
            object.__setattr__(owner, key, original)


def _merged(where, parameters_and_buffers) -> dict:
    dicts = (parameters_and_buffers if isinstance(parameters_and_buffers, (tuple, list))
             else (parameters_and_buffers,))
    merged = {}
    for d in dicts:
        if not isinstance(d, dict):
            raise TypeError(f"{where}: expected a dict of values by name (or a tuple of "
                            f"dicts), got {type(d).__name__}")
        repeated = sorted(set(merged) & set(d))
        if repeated:
            raise ValueError(f"{where}: {repeated} appear in more than one dict")
        merged.update(d)
    return merged


def _slots(module) -> dict:
    """Every parameter and buffer by each of its dotted names (shared ones included)."""
    slots = {}
    for prefix, owner in module.named_modules(remove_duplicate=False):
        for table in ("_parameters", "_buffers"):
            for key, member in getattr(owner, table).items():
                if member is not None:
                    slots[f"{prefix}.{key}" if prefix else key] = (owner, table, key)
    return slots


def _tied(where, slots, values) -> dict:
    by_member = {}
    for name, (owner, table, key) in slots.items():
        by_member.setdefault(id(getattr(owner, table)[key]), []).append(name)
    values = dict(values)
    for names in by_member.values():
        given = [n for n in names if n in values]
        if not given:
            continue
        first = values[given[0]]
        if any(values[n] is not first for n in given[1:]):
            raise ValueError(f"{where}: {given} are one tied parameter, but got different "
                             "values for them; give one (or pass tie_weights=False)")
        for n in names:
            values[n] = first
    return values


def _checked(where, name, value, current, table):
    shape, expected = np.shape(value), np.shape(current)
    if shape != expected:
        raise ValueError(f"{where}: the value for {name!r} has shape {shape}, but the "
                         f"{'parameter' if table == '_parameters' else 'buffer'} has "
                         f"shape {expected}")
    if (table == "_parameters" or is_tensor_buffer(current)) and not isinstance(value,
                                                                              Tensor):
        value = Tensor(np.asarray(value))      # layers use Tensor methods on these
    return value


def stack_module_state(models) -> tuple[dict, dict]:
    """``torch.func.stack_module_state``: the parameters and buffers of ``models`` (of
    one class, all in train or all in eval mode) stacked along a new first axis, by
    name, ready for ``vmap`` over ``functional_call``.  The stacked parameters are new
    leaves that require grad (an optimizer can take them), unrelated to the models'.

    >>> models = [ad.nn.Linear(3, 2) for _ in range(4)]
    >>> params, buffers = ad.func.stack_module_state(models)
    >>> params["weight"].shape, params["weight"].requires_grad, buffers
    ((4, 3, 2), True, {})
    """
    models = list(models)
    where = "stack_module_state"
    if not models:
        raise RuntimeError(f"{where}: expected at least one model, got 0")
    if len({bool(m.training) for m in models}) > 1:
        raise RuntimeError(f"{where}: expected all models to be in the same mode, training "
                           "or eval; call .train() or .eval() on all of them")
    kinds = sorted({type(m).__name__ for m in models})
    if len(kinds) > 1:
        raise RuntimeError(f"{where}: expected models of one class, got {kinds}")
    all_params = [dict(m.named_parameters()) for m in models]
    all_buffers = [dict(m.named_buffers()) for m in models]
    params = {name: _stacked_leaf([p[name] for p in all_params], name)
              for name in all_params[0]}
    buffers = {name: _stacked_leaf([b[name] for b in all_buffers], name)
               for name in all_buffers[0]}
    return params, buffers


def _stacked_leaf(tensors, name) -> Tensor:
    from ..ops.shape import stack

    wants = {bool(getattr(t, "requires_grad", False)) for t in tensors}
    if len(wants) > 1:
        raise RuntimeError(f"stack_module_state: expected {name!r} of every model to have "
                           "the same requires_grad")
    stacked = stack([t.detach() if isinstance(t, Tensor) else Tensor(np.asarray(t))
                     for t in tensors])
    return stacked.requires_grad_() if wants == {True} else stacked
