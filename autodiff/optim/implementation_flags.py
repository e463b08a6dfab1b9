"""PyTorch's implementation flags of an optimizer (``foreach``, ``fused``,
``capturable``, ``differentiable``): kept in ``defaults`` and ``param_groups`` as
PyTorch keeps them, checked when given, added in a group or loaded from a state."""

from __future__ import annotations

from typing import Any

import numpy as np

#: PyTorch's implementation flags and their defaults (a group holds the ones its
#: optimizer has in PyTorch).
IMPLEMENTATION_FLAGS = {"foreach": None, "fused": None, "capturable": False,
                        "differentiable": False}


def check_implementation_flags(where: str, **flags) -> dict[str, Any]:
    """PyTorch's ``foreach=``/``fused=`` accepted (they choose how an update runs, not
    what it computes: the results are the same here), ``capturable=True`` and
    ``differentiable=True`` refused as they cannot be honoured; the flags given, as
    bools (or None), for the optimizer's defaults, as PyTorch keeps them.

    >>> check_implementation_flags("SGD", foreach=True, differentiable=False)
    {'foreach': True, 'differentiable': False}
    """
    foreach, fused = flags.get("foreach"), flags.get("fused")
    for key, value in flags.items():
        if key not in IMPLEMENTATION_FLAGS:
            raise TypeError(f"{where}: unknown implementation flag {key!r}")
        if value is not None and not isinstance(value, (bool, np.bool_)):
            allowed = "None, True or False" if IMPLEMENTATION_FLAGS[key] is None else \
                "True or False"
            raise TypeError(f"{where}: {key} must be {allowed}, got {value!r}")
    if foreach and fused:
        raise ValueError(f"{where}: fused=True and foreach=True cannot be used together "
                         "(as in PyTorch); pass one of them")
    if flags.get("capturable"):
        raise ValueError(f"{where}: capturable=True is for CUDA graphs (PyTorch refuses it "
                         "for CPU parameters too); leave it False")
    if flags.get("differentiable"):
        raise ValueError(f"{where}: differentiable=True (a step autograd differentiates "
                         "through) is not supported: step() updates the parameters' arrays "
                         "in place, off the tape. Leave it False; to differentiate through "
                         "an update, write it as tensor arithmetic (w - lr * g)")
    return {key: None if value is None else bool(value) for key, value in flags.items()}
