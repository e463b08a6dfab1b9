"""``max``/``min`` with PyTorch's ``dim=``: the ``(values, indices)`` pair it returns
(``ValuesIndices``), how it is computed, and the refusal of a positional argument,
which NumPy and PyTorch read differently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor


class ValuesIndices(NamedTuple):
    """What ``max``/``min`` with PyTorch's ``dim=`` (and ``cummax``/``cummin``) return,
    as PyTorch does: the values and their indices along ``dim``.

    >>> values, indices = ad.tensor([[1.0, 5.0], [7.0, 0.0]]).max(dim=1)
    >>> values, indices
    (tensor([5., 7.]), tensor([1, 0]))
    """
    values: Tensor
    indices: Tensor

    def __getattr__(self, name):
        # Called only for names a pair lacks: t.max(dim=1).sum() reads as NumPy's habit.
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"'ValuesIndices' object has no attribute {name!r}: max/min with dim= return "
            "PyTorch's (values, indices) pair, not a tensor. Take .values (or unpack: "
            "values, indices = t.max(dim=1)), or pass axis= for NumPy's values alone")


def dim_by_keepdim(args, kwargs) -> bool:
    """Whether ``ad.max(x, 1, keepdim=k)`` names PyTorch's dim: ``(x, int)`` with
    ``keepdim=`` (NumPy spells it keepdims=) and no axis or dim keyword.

    >>> dim_by_keepdim((None, 1), {"keepdim": True}), dim_by_keepdim((None, 1), {})
    (True, False)
    """
    return (len(args) == 2 and kwargs.get("keepdim") is not None and "axis" not in kwargs
            and "dim" not in kwargs and isinstance(args[1], (int, np.integer))
            and not isinstance(args[1], (bool, np.bool_)))


def extreme_along_dim(name: str, x, axis=None, keepdims=False, *, dim, keepdim=None):
    """``max``/``min`` called with PyTorch's ``dim=``: ``(values, indices)`` along one axis.

    The indices are those of the first extreme in each lane (NaN counts as one), and
    the values are the entries there, so their gradient goes to that entry alone, as
    in PyTorch (``axis=`` shares it among ties).

    >>> extreme_along_dim("min", ad.tensor([[1.0, 5.0], [7.0, 0.0]]), dim=0).indices
    tensor([0, 1])
    """
    from .ops.ordering import take_along_axis
    from .ops.shape import reshape, squeeze
    from .argument_aliases import axis_alias
    from .tensor import Tensor
    axis, keepdims = axis_alias(name, axis, keepdims, dim, keepdim)
    if isinstance(axis, tuple):
        raise TypeError(f"{name}: dim= takes one axis, as in PyTorch, where {name}(dim=) "
                        f"returns the values and their indices; for the {name} over several "
                        f"axes use axis={axis}, which returns the values")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{name}: dim must be an int, got {dim!r}")
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.ndim == 0:                   # one lane, along dim 0 or -1 (PyTorch)
        x, keepdims = reshape(x, (1,)), False
    if not -x.ndim <= axis < x.ndim:
        raise IndexError(f"{name}: dim={dim} is out of range for a tensor of shape "
                         f"{x.shape}; use a dim in [{-x.ndim}, {x.ndim})")
    if x.shape[axis] == 0:
        raise ValueError(f"{name}: the input is empty along dim={dim} (shape {x.shape}) and "
                         f"an empty {name} has no value; skip empty batches (if t.size: ...)")
    # NumPy's dispatch on the Tensor, so that a compiled step computes it again.
    indices = (np.argmax if name == "max" else np.argmin)(x, axis=axis, keepdims=True)
    values = take_along_axis(x, indices, axis=axis)
    if keepdims:
        return ValuesIndices(values, indices)
    return ValuesIndices(squeeze(values, axis), squeeze(indices, axis))


def refuse_positional_extreme(where: str, positional: tuple) -> None:
    """``t.max(1)``: NumPy reads 1 as the axis and returns the values, PyTorch as the
    dim and returns ``(values, indices)``; neither reading is safe to guess.
    ``t.max(other)`` with a Tensor is PyTorch's elementwise maximum (handled before);
    with an array or list, refused naming ``ad.maximum``."""
    from .tensor import Tensor
    first = positional[0]
    if isinstance(first, (Tensor, np.ndarray, list)):
        function = "maximum" if where == "max" else "minimum"
        if isinstance(first, Tensor):       # t.max(other, 1) or t.max(other, keepdim=True)
            raise TypeError(
                f"Tensor.{where}(other, ...): with a Tensor other, {where} is PyTorch's "
                f"elementwise {function}, which takes no axis, dim or keepdim (nor keepdims, "
                f"initial or where; out= it takes); write t.{where}(other) or "
                f"ad.{function}(t, other)")
        raise TypeError(
            f"Tensor.{where}(other) with a {type(first).__name__} other: the elementwise "
            f"{function} (PyTorch's reading, for a Tensor other) or the axis (NumPy's) is "
            f"not safe to guess; write ad.{function}(t, other) or t.{where}(ad.tensor(other))")
    raise TypeError(
        f"Tensor.{where}({', '.join(repr(p) for p in positional)}): NumPy reads a "
        f"positional argument as axis= and returns the {where} values, PyTorch as dim= and "
        f"returns (values, indices); pass axis={positional[0]!r} for the values or "
        f"dim={positional[0]!r} for both (ad.{where}(t, axis) is NumPy's)")
