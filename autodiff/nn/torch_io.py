"""Conversion of a module's state to and from PyTorch's ``state_dict`` layout.

The walk visits every module (shared ones under every path, as PyTorch's
``state_dict`` does), collects the module's own parameters and persistent buffers
under their local names, lets the module convert them with its ``_torch_export`` /
``_torch_import`` hook, and adds the dotted prefix.  Nothing is changed by a load
unless every key and shape is right (with ``strict=False``, every key present).
"""

from __future__ import annotations

import numpy as np

from .buffer import buffer_values
from .extra_state import EXTRA_STATE, loads_extra_state, saves_extra_state
from .state_arrays import state_array


def is_lazy(value) -> bool:
    from .parameter import is_lazy as uninitialized     # (parameter.py imports module.py)
    return uninitialized(value)


def _local_state(module):
    """The module's own arrays by local name; an uninitialized parameter or buffer (of
    a lazy layer before its first call) as itself."""
    local = {}
    for name, param in module._parameters.items():
        if param is not None:
            local[name] = param if is_lazy(param) else param.data.copy()
    for name, array in module._buffers.items():
        if array is not None and name not in module._non_persistent:
            local[name] = array if is_lazy(array) else buffer_values(array).copy()
    return local


def _walk(model):
    """``(prefix, module, local state, PyTorch local state)`` for every module with
    arrays or extra state; a module with uninitialized arrays is not converted (its
    names are PyTorch's)."""
    for prefix, module in model.named_modules(remove_duplicate=False):
        local = _local_state(module)
        if not local and not (saves_extra_state(module) or loads_extra_state(module)):
            continue
        if any(is_lazy(value) for value in local.values()):
            yield prefix, module, local, dict(local)
        else:
            yield prefix, module, local, module._torch_export(dict(local))


def _full(prefix, name):
    return f"{prefix}.{name}" if prefix else name


def export_state(model) -> dict[str, np.ndarray]:
    state = {}
    for prefix, module, _, torch_local in _walk(model):
        for name, array in torch_local.items():
            if is_lazy(array):
                raise RuntimeError(
                    f"to_torch_state_dict: {_full(prefix, name)!r} of the "
                    f"{type(module).__name__} is uninitialized (a lazy layer before its "
                    "first call) and has no values to give; call the model once on an "
                    "example input first (state_dict() lists it as it is, as PyTorch's)")
            # (np.array keeps 0-d arrays 0-d)
            state[_full(prefix, name)] = state_array(np.array(array, order="C"))
        if saves_extra_state(module):
            state[_full(prefix, EXTRA_STATE)] = module.get_extra_state()
    return state


def import_state(model, state, strict=True):
    from .module_state import StateMethods, _assign, _checked_value, check_lazy_shapes
    from .state_keys import compared_keys
    from .running_stats import with_batch_counts
    where = f"{type(model).__name__}.load_torch_state_dict"
    state = with_batch_counts(model, state)     # (a state saved without them)
    plan = list(_walk(model))
    expected = [key for prefix, module, _, torch_local in plan
                for key in [_full(prefix, name) for name in torch_local]
                + ([_full(prefix, EXTRA_STATE)] if loads_extra_state(module) else [])]
    keys = compared_keys(where, expected, state.keys(),
                         "Was the PyTorch model built with the same layers and sizes?", strict)
    missing = set(keys.missing_keys)
    updates, extras = [], []        # (the extra states are given after the arrays)
    lazy_shapes = {}
    for prefix, module, local, torch_local in plan:
        if loads_extra_state(module) and _full(prefix, EXTRA_STATE) not in missing:
            extras.append((module, EXTRA_STATE, None, state[_full(prefix, EXTRA_STATE)]))
        absent = [name for name in torch_local if _full(prefix, name) in missing]
        if absent and len(absent) < len(torch_local) \
                and type(module)._torch_import is not StateMethods._torch_import:
            module_name = type(module).__name__ + (f" at {prefix!r}" if prefix else "")
            raise KeyError(
                f"{where}: the state lacks {[_full(prefix, name) for name in absent]} but has "
                f"the other arrays of the {module_name}, which converts its arrays from "
                "PyTorch's layout together; give all of them or none")
        if absent:
            local = {name: array for name, array in local.items() if name not in absent}
            torch_local = {name: array for name, array in torch_local.items()
                           if name not in absent}
        if not torch_local:
            continue
        lazy = {name for name, array in local.items() if is_lazy(array)}
        lazy_into_lazy = {name for name in lazy if is_lazy(state[_full(prefix, name)])}
        given = {name: _checked_value(where, _full(prefix, name), state[_full(prefix, name)],
                                      None if name in lazy else np.shape(array),
                                      what="PyTorch's layout for this model has",
                                      dtype=_dtype_of(array))
                 for name, array in torch_local.items() if name not in lazy_into_lazy}
        converted = module._torch_import(given)
        for name, array in local.items():
            if name in lazy_into_lazy:           # (it stays uninitialized, as in PyTorch)
                continue
            value = np.asarray(converted[name])
            if name in lazy:
                lazy_shapes.setdefault(module, {})[name] = value.shape
            elif value.shape != array.shape:       # a hook that does not invert its export
                raise ValueError(f"{where}: {type(module).__name__}._torch_import gave "
                                 f"{_full(prefix, name)!r} shape {value.shape}, expected "
                                 f"{array.shape}")
            updates.append((module, name, name in module._parameters, value))
    check_lazy_shapes(where, lazy_shapes)
    for module, name, is_param, value in updates + extras:
        _assign(module, name, is_param, value)
    return keys


def _dtype_of(array):
    """The dtype of an exported array, or of a lazy parameter (which has one, but no
    values to make an array of)."""
    return array.dtype if hasattr(array, "dtype") else np.asarray(array).dtype
