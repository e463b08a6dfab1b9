"""What of the modules a call used a plan needs to find unchanged to fit a later call:
their tensors, submodules, arrays, functions and plain objects (the same objects), and
the names of their submodules (``captures.why_plan_does_not_fit`` compares them)."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor

#: The key of a ``module_members`` entry that holds the names of a module's
#: submodules, in order: a plan does not fit once they change (``seq += more``,
#: ``layers.append(block)``), though every submodule it read is still there.
SUBMODULE_NAMES = object()


def module_members(modules) -> list:
    """The tensors, submodules, arrays (not buffers, which a replay reads again),
    functions, dicts, lists and plain objects of ``modules``, as ``(table, key,
    object)``: a plan that read the old ones does not fit a module given new ones
    (``model.fc = nn.Linear(...)``, ``model.class_weight = np.array(...)``,
    ``layer.activation = F.gelu``, ``model.cfg = Config(...)``), nor one whose
    submodules are others (``(module._modules, SUBMODULE_NAMES, names)``)."""
    from ..nn.module import Module
    from .captures import followed_by_identity

    members = []
    for module in modules:
        buffers = getattr(module, "_buffers", {})     # (read again at each call)
        # (what a traced pre-hook sets again at each replay: pruning's module.weight)
        refreshed = {name for hook in getattr(module, "_forward_pre_hooks", {}).values()
                     for name in getattr(hook, "refreshed_attributes", ())}
        for table in (vars(module), module._parameters, module._modules):
            members += [(table, key, value) for key, value in table.items()
                        if key not in refreshed and (
                            isinstance(value, (Tensor, Module)) or callable(value) or (
                                isinstance(value, np.ndarray) and key not in buffers) or (
                                not key.startswith("_") and followed_by_identity(value)))]
        members.append((module._modules, SUBMODULE_NAMES, tuple(module._modules)))
    return members
