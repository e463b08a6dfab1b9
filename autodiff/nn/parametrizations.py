"""PyTorch's ``torch.nn.utils.parametrizations``: ready-made parametrizations
registered with ``parametrize.register_parametrization``.  Here: ``weight_norm``
(PyTorch's current form of it; ``ad.nn.utils.weight_norm`` is the older hook form)."""

from __future__ import annotations

import numpy as np

from . import parametrize
from .module import Module
from .utils_reparam import _axis, _norm_except

__all__ = ["weight_norm"]


class _WeightNorm(Module):
    """``weight = g * v / ||v||``, the norm over every axis but ``axis`` (all with None);
    ``right_inverse`` splits a weight into ``(g, v)``, PyTorch's ``original0`` and
    ``original1``."""

    def __init__(self, axis: int | None):
        super().__init__()
        self.axis = axis

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / _norm_except(weight_v, self.axis))

    def right_inverse(self, weight):
        return _norm_except(weight, self.axis), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as a magnitude ``original0`` (PyTorch's g) times a
    direction ``original1`` (v) over its norm, under
    ``module.parametrizations.<name>``, as ``torch.nn.utils.parametrizations.weight_norm``;
    ``dim`` is PyTorch's numbering (the output axis by default, also for a Linear whose
    weight is stored transposed here), ``None`` or -1 for the norm of the whole tensor.

    >>> layer = ad.nn.utils.parametrizations.weight_norm(ad.nn.Linear(3, 2, rng=0))
    >>> sorted(name for name, _ in layer.named_parameters())
    ['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1']
    >>> layer.to_torch_state_dict()["parametrizations.weight.original0"].shape
    (2, 1)
    """
    where = "parametrizations.weight_norm"
    if not isinstance(module, Module):
        raise TypeError(f"{where}: expected a Module, got {type(module).__name__}")
    weight = getattr(module, name, None)
    if weight is None or not hasattr(weight, "ndim"):
        raise ValueError(f"{where}: {type(module).__name__} has no tensor {name!r}")
    whole = dim is None or (not isinstance(dim, bool) and isinstance(dim, (int, np.integer))
                            and dim == -1)
    axis = None if whole else _axis(module, name, weight, dim, where)
    return parametrize.register_parametrization(module, name, _WeightNorm(axis), unsafe=True)
