"""Running and NaN-ignoring extremes: ``np.maximum.accumulate``, ``np.minimum.accumulate``,
``np.fmax.accumulate``, ``np.fmin.accumulate``, ``np.fmax.reduce``, ``np.fmin.reduce``,
and PyTorch's ``cummax`` / ``cummin``.

The forwards are NumPy's own, so the values (NaNs, signed zeros) are NumPy's.  Each
running output is one input entry, the one holding the running extreme, and its
gradient goes there alone.  Among equal values that entry is the LAST one so far, as
``torch.cummax``/``torch.cummin`` choose (their indices and gradients are the same as
here).  Once a NaN has been seen, ``maximum``/``minimum`` stay NaN and the holder is
the latest NaN (PyTorch's too); ``fmax``/``fmin`` skip NaNs, and hold a NaN only while
every entry so far is NaN.
"""

from __future__ import annotations

import numpy as np

from ..spellings import ValuesIndices
from ..tensor import Tensor
from .operands import tensor_of
from .ordering import _along_axis_key
from .reduce import _AXIS_HINT, _extreme_rule
from .registry import defop
from .ufunc_methods import accumulate_adapter, reduce_adapter


def _values(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def holder_indices(x: np.ndarray, running: np.ndarray, axis: int) -> np.ndarray:
    """For each running extreme along ``axis``, the index of the last entry so far equal
    to it (a NaN matching a NaN).

    An entry equal to the running extreme at its own position starts or continues a
    plateau of that value; the last such entry up to i holds out[i].

    >>> holder_indices(np.array([1.0, 3.0, 3.0, 2.0]), np.array([1.0, 3.0, 3.0, 3.0]), 0)
    array([0, 1, 2, 2])
    """
    hit = x == running
    if x.dtype.kind in "fc":
        hit |= np.isnan(x) & np.isnan(running)
    n = x.shape[axis]
    position = np.arange(n).reshape((n,) + (1,) * (x.ndim - 1 - axis))
    return np.maximum.accumulate(np.where(hit, position, 0), axis=axis)


def _int64_holders(x, running, axis):
    return holder_indices(x, running, axis).astype(np.int64)


def _running_rule(xp, g, ans, x, axis=0):
    axis %= x.ndim
    held = holder_indices(_values(x), _values(ans), axis)
    return xp.index_add(g, x.shape, _along_axis_key(x.shape, held, axis))


#: An input whose running max (min) holds ties, for the docstrings' examples.
_EXAMPLES = {"max": "[1.0, 3.0, 3.0, 2.0]", "min": "[3.0, 1.0, 1.0, 2.0]"}


def _accumulating(ufunc):
    """The forward of a running op: ``ufunc.accumulate`` along ``axis``."""
    def forward(x, axis=0):
        return ufunc.accumulate(x, axis=axis)
    return forward


def _running_op(ufunc, word, nan_words):
    name = f"{ufunc.__name__}_accumulate"
    example, forward = _EXAMPLES[word], _accumulating(ufunc)
    return defop(
        name, forward, scatters=True,
        numpy={ufunc.accumulate: accumulate_adapter(f"{ufunc.__name__}.accumulate", name)},
        hint="axis must be an int in [-ndim, ndim) of an input with at least one axis",
        zeroes=f"gives gradient only to the entries that hold a running {word}",
        doc=f"Running {word} along ``axis``, as ``np.{ufunc.__name__}.accumulate`` "
            f"({nan_words}); the gradient of each output goes to the last entry so far "
            f"equal to it (``torch.cum{word[:3]}``'s choice among ties).\n\n"
            f">>> x = ad.tensor({example}, requires_grad=True)\n"
            f">>> np.{ufunc.__name__}.accumulate(x).sum().backward(); x.grad\n"
            "array([1., 1., 2., 0.])",
        x=("g scatter-added to the last entry equal to the running " + word, _running_rule),
        axis=None)


maximum_accumulate = _running_op(np.maximum, "max", "NaN propagates")
minimum_accumulate = _running_op(np.minimum, "min", "NaN propagates")
fmax_accumulate = _running_op(np.fmax, "max", "NaN is skipped")
fmin_accumulate = _running_op(np.fmin, "min", "NaN is skipped")


def _nan_ignoring_reduce(ufunc, word):
    name = f"{ufunc.__name__}_reduce"

    def forward(x, axis=0, keepdims=False):
        return ufunc.reduce(x, axis=axis, keepdims=keepdims)

    return defop(
        name, forward, hint=_AXIS_HINT,
        numpy={ufunc.reduce: reduce_adapter(f"{ufunc.__name__}.reduce", name)},
        zeroes=f"gives gradient only to the entries that attain the {word}",
        doc=f"The {word} over ``axis`` skipping NaNs, as ``np.{ufunc.__name__}.reduce`` "
            f"(NaN only where a lane is all NaN, without nan{word}'s warning); ties, and "
            "the NaNs of an all-NaN lane, split the gradient evenly as ``max`` does.\n\n"
            f">>> np.{ufunc.__name__}.reduce(ad.tensor([1.0, np.nan, 3.0]))\n"
            + ("tensor(3.)" if word == "max" else "tensor(1.)"),
        x=(f"g shared equally by the positions equal to the {word}", _extreme_rule),
        axis=None, keepdims=None)


fmax_reduce = _nan_ignoring_reduce(np.fmax, "max")
fmin_reduce = _nan_ignoring_reduce(np.fmin, "min")


def _torch_running_op(ufunc, word):
    """PyTorch's spelling has its own entry, so that graphs, anomaly reports and grad_fn
    (``CummaxBackward0``, as PyTorch's) name it as the user wrote it."""
    name = f"cum{word}"
    example, forward = _EXAMPLES[word], _accumulating(ufunc)
    return defop(
        name, forward, scatters=True,
        hint="dim must be an int in [-ndim, ndim) of an input with at least one axis",
        zeroes=f"gives gradient only to the entries that hold a running {word}",
        doc=f"The values of ``torch.{name}`` (``ad.{name}``, ``Tensor.{name}``): "
            f"``np.{ufunc.__name__}.accumulate``'s (NaN propagates); the gradient of each "
            "output goes to the last entry so far equal to it, as PyTorch's.\n\n"
            f">>> x = ad.tensor({example}, requires_grad=True)\n"
            f">>> ad.{name}(x, 0).values.sum().backward(); x.grad\n"
            "array([1., 1., 2., 0.])",
        x=("g scatter-added to the last entry equal to the running " + word, _running_rule),
        axis=None)


running_max = _torch_running_op(np.maximum, "max")
running_min = _torch_running_op(np.minimum, "min")


def _running_with_indices(name, op, input, dim) -> ValuesIndices:
    from ..compile.hooks import made      # (the compile package imports ops)
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name}: dim must be an int (PyTorch's {name}(input, dim)), got "
                        f"{dim!r}")
    x = tensor_of(input)
    shape, zero_d = x.shape, x.ndim == 0
    if zero_d:
        x = x.reshape(1)
    if not -x.ndim <= dim < x.ndim:
        raise IndexError(f"{name}: dim={dim} is out of range for a tensor of shape "
                         f"{shape}; use a dim in "
                         f"[{-x.ndim}, {x.ndim})")
    axis = int(dim) % x.ndim
    values = op(x, axis)
    # Computed off the tape from the two arrays, again by each replay of a compiled step.
    indices = Tensor(made(f"{name} indices", _int64_holders, (x.data, values.data, axis)))
    if zero_d:
        return ValuesIndices(values.reshape(()), indices.reshape(()))
    return ValuesIndices(values, indices)


def cummax(input, dim: int) -> ValuesIndices:
    """The running maximum along ``dim`` and where it is, as ``torch.cummax``: the
    values are ``np.maximum.accumulate``'s (NaN propagates), the indices (int64) those
    of the last entry so far equal to each value, where its gradient goes.

    >>> ad.cummax(ad.tensor([1.0, 3.0, 3.0, 2.0]), dim=0)
    ValuesIndices(values=tensor([1., 3., 3., 3.]), indices=tensor([0, 1, 2, 2]))
    """
    return _running_with_indices("cummax", running_max, input, dim)


def cummin(input, dim: int) -> ValuesIndices:
    """The running minimum along ``dim`` and where it is, as ``torch.cummin`` (ties: the
    last entry, NaN propagates).

    >>> ad.cummin(ad.tensor([3.0, 1.0, 1.0, 2.0]), dim=0).indices
    tensor([0, 1, 2, 2])
    """
    return _running_with_indices("cummin", running_min, input, dim)

