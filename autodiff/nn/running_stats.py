"""The running statistics of the batch and instance norms, as PyTorch keeps them:
Tensor buffers (``running_mean`` and ``running_var`` in the layer's dtype,
``num_batches_tracked`` an int64 0-d tensor) that the layer updates in place, off the
tape, so that a reference held to one (``rm = bn.running_mean``) sees every update.

The updates write into each tensor's own array and stamp the write (``overwrites.py``),
as an in-place tensor method under ``ad.no_grad()`` does: a backward through a graph
that saved the old values is refused, as PyTorch's version counters refuse it.
``F.batch_norm`` and ``F.instance_norm`` take running statistics as Tensors (updated
in place, as PyTorch does) or as ndarrays (updated with NumPy).

>>> bn = ad.nn.BatchNorm1d(2)
>>> rm = bn.running_mean
>>> _ = bn(ad.tensor([[1.0, 2.0], [3.0, 6.0]]))
>>> rm, bn.num_batches_tracked
(tensor([0.2, 0.4]), tensor(1))
"""

from __future__ import annotations

import numpy as np

from ..inplace import _noted
from ..ops.operands import array_of
from ..tensor import Tensor


def register_running_stats(module, shape, dtype, tracked: bool) -> None:
    """``running_mean`` (zeros), ``running_var`` (ones) and ``num_batches_tracked`` (0)
    on ``module`` as Tensor buffers, or the three names with no value (``None``)."""
    module.register_buffer("running_mean", Tensor(np.zeros(shape, dtype)) if tracked else None)
    module.register_buffer("running_var", Tensor(np.ones(shape, dtype)) if tracked else None)
    module.register_buffer("num_batches_tracked",
                           Tensor(np.array(0, dtype=np.int64)) if tracked else None)


def writable_values(stat):
    """The array an update of ``stat`` writes into: a Tensor's own array (a new copy
    if a graph made it read-only, as ``load_state_dict`` does), an ndarray itself,
    ``None`` for ``None``."""
    if not isinstance(stat, Tensor):
        return stat
    if not stat.data.flags.writeable:
        stat.data = stat.data.copy()
    return stat.data


def note_written(*stats) -> None:
    """Stamp the in-place writes into the Tensors among ``stats`` (``overwrites.py``)."""
    for stat in stats:
        if isinstance(stat, Tensor):
            _noted(stat)


def fill_stat(stat, value) -> None:
    """Every value of the running statistic ``stat`` (a Tensor or an ndarray) becomes
    ``value``, in place."""
    if stat is not None:
        writable_values(stat)[...] = value
        note_written(stat)


def count_batch(module) -> int:
    """``module.num_batches_tracked += 1`` in place; returns the new count."""
    counter = module.num_batches_tracked
    array = writable_values(counter)
    array += 1
    note_written(counter)
    return int(array)


def with_batch_counts(model, state):
    """``state`` with each missing ``num_batches_tracked`` of a norm layer that tracks
    running statistics filled with the layer's current count, as PyTorch's
    ``_NormBase._load_from_state_dict`` does for a state saved without it (a plain
    dict, which carries no version metadata, or one of version < 2); ``state`` itself
    when nothing is missing.  A state whose ``_metadata`` gives the layer version 2 or
    more keeps the key missing, as in PyTorch.

    >>> bn = ad.nn.BatchNorm1d(2)
    >>> sd = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    >>> bn.load_state_dict(sd)
    IncompatibleKeys(missing_keys=[], unexpected_keys=[])
    """
    from .parameter import is_lazy

    metadata = getattr(state, "_metadata", None) or {}
    filled = None
    for prefix, module in model.named_modules():
        count = module._buffers.get("num_batches_tracked")
        if (count is None or not getattr(module, "track_running_stats", False)
                or "num_batches_tracked" in module._non_persistent):
            continue
        key = f"{prefix}.num_batches_tracked" if prefix else "num_batches_tracked"
        version = (metadata.get(prefix) or {}).get("version")
        if key in state.keys() or (version is not None and version >= 2):
            continue
        if filled is None:
            filled = {name: state[name] for name in state.keys()}
        filled[key] = (np.array(0, np.int64) if is_lazy(count)
                       else np.array(array_of(count), copy=True))
    return state if filled is None else filled
