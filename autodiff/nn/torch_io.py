"""Conversion of a module's state to and from PyTorch's ``state_dict`` layout.

The walk visits every module (shared ones under every path, as PyTorch's
``state_dict`` does), collects the module's own parameters and persistent buffers
under their local names, lets the module convert them with its ``_torch_export`` /
``_torch_import`` hook, and adds the dotted prefix.  Nothing is changed by a load
unless every key and shape is right.
"""

from __future__ import annotations

import numpy as np


def _local_state(module):
    local = {}
    for name, param in module._parameters.items():
        if param is not None:
            local[name] = param.data.copy()
    for name, array in module._buffers.items():
        if array is not None and name not in module._non_persistent:
            local[name] = array.copy()
    return local


def _walk(model):
    """``(prefix, module, local state, PyTorch local state)`` for every module."""
    for prefix, module in model.named_modules(remove_duplicate=False):
        local = _local_state(module)
        if not local:
            continue
        yield prefix, module, local, module._torch_export(dict(local))


def _full(prefix, name):
    return f"{prefix}.{name}" if prefix else name


def export_state(model) -> dict[str, np.ndarray]:
    state = {}
    for prefix, _, _, torch_local in _walk(model):
        for name, array in torch_local.items():
            state[_full(prefix, name)] = np.ascontiguousarray(array)
    return state


def import_state(model, state) -> None:
    from .module import _assign, _check_keys, _checked_value
    where = f"{type(model).__name__}.load_torch_state_dict"
    plan = list(_walk(model))
    expected = [_full(prefix, name) for prefix, _, _, torch_local in plan for name in torch_local]
    _check_keys(where, expected, state.keys(),
                "Was the PyTorch model built with the same layers and sizes?")
    updates = []
    for prefix, module, local, torch_local in plan:
        given = {name: _checked_value(where, _full(prefix, name), state[_full(prefix, name)],
                                      np.shape(array), what="PyTorch's layout for this model has")
                 for name, array in torch_local.items()}
        converted = module._torch_import(given)
        for name, array in local.items():
            value = np.asarray(converted[name])
            if value.shape != array.shape:       # a hook that does not invert its export
                raise ValueError(f"{where}: {type(module).__name__}._torch_import gave "
                                 f"{_full(prefix, name)!r} shape {value.shape}, expected "
                                 f"{array.shape}")
            updates.append((module, name, name in module._parameters, value))
    for module, name, is_param, value in updates:
        _assign(module, name, is_param, value)
