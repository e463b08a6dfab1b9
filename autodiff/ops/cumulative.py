"""Running sums and differences: cumsum and diff.

The adjoint of a running sum is a running sum from the other end: each input
contributes to every later output, so its gradient sums ``g`` over those.  ``diff``
is built from slices and subtraction, so it needs no rule of its own.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..tensor import Tensor
from .operands import tensor_of
from .reduce import reject_numpy_arguments
from .registry import TORCH_AXIS_ALIASES, defop, implements
from .shape import concatenate
from .ufunc_methods import accumulate_adapter


def reverse_cumsum(xp, v, axis):
    """Sums from the end: out[i] = v[i] + v[i+1] + ... along ``axis``."""
    return xp.flip(xp.cumsum(xp.flip(v, axis), axis), axis)


def _cumsum_forward(x, axis=None):
    return np.cumsum(x, axis=axis)


def _cumsum_rule(xp, g, ans, x, axis=None):
    if axis is None:                      # the forward ran over x flattened
        return xp.reshape(reverse_cumsum(xp, g, 0), x.shape)
    return reverse_cumsum(xp, g, axis)


def _cumsum_numpy(a, axis=None, dtype=None, out=None):
    reject_numpy_arguments("cumsum", dtype=dtype, out=out)
    return cumsum(a, axis)


cumsum = defop(
    "cumsum", _cumsum_forward,
    numpy={np.cumsum: _cumsum_numpy,
           np.add.accumulate: accumulate_adapter("add.accumulate", "cumsum")},
    hint="axis must be None (running sum over the flattened tensor) or an int in "
         "[-ndim, ndim)",
    doc="Running sum along ``axis`` (over the flattened tensor when None).\n\n"
        ">>> ad.cumsum(ad.tensor([1.0, 2.0, 3.0]))\ntensor([1., 3., 6.])",
    x=("running sum of g from the end", _cumsum_rule), axis=None,
    aliases=TORCH_AXIS_ALIASES, reads=())

_NO_VALUE = np._NoValue


@implements(np.diff)
def diff(a, n: int = 1, axis: int = -1, prepend=_NO_VALUE, append=_NO_VALUE, *,
         dim: int | None = None) -> Tensor:
    """The ``n``-th discrete difference along ``axis`` (PyTorch's ``dim``), as ``np.diff``
    and ``torch.diff`` (``prepend`` and ``append`` values, which may be Tensors, are
    joined on first).

    >>> x = ad.tensor([1.0, 4.0, 9.0], requires_grad=True)
    >>> d = ad.diff(x, prepend=0.0)
    >>> d.sum().backward(); d, x.grad
    (tensor([1., 3., 5.], requires_grad=True), array([0., 0., 1.]))
    """
    if dim is not None:
        if axis != -1:
            raise TypeError(f"diff: got both axis={axis!r} and dim={dim!r}; they are the "
                            "same argument (NumPy's and PyTorch's name), pass one")
        axis = dim
    if n == 0:
        return tensor_of(a)
    if n < 0:
        raise ValueError(f"diff: order must be non-negative but got {n!r}")
    a = tensor_of(a)
    if a.ndim == 0:
        raise ValueError("diff: requires input that is at least one dimensional")
    axis = int(np.lib.array_utils.normalize_axis_index(axis, a.ndim))
    parts = []
    for extra in (prepend, append):
        if extra is _NO_VALUE:
            parts.append(None)
            continue
        if np.ndim(extra.data if isinstance(extra, Tensor) else extra) == 0:
            shape = list(a.shape)
            shape[axis] = 1
            extra = tensor_of(extra).broadcast_to(tuple(shape))
        parts.append(extra)
    if parts[0] is not None or parts[1] is not None:
        pieces = [p for p in (parts[0], a, parts[1]) if p is not None]
        a = concatenate(pieces, axis=axis)
    if a.dtype == bool:                   # NumPy takes "differs from the previous" here
        # (computed again at each replay of ad.compile)
        return Tensor(made("diff of bools", np.diff, (a.data,), {"n": n, "axis": axis}))
    later = (slice(None),) * axis + (slice(1, None),)
    earlier = (slice(None),) * axis + (slice(None, -1),)
    for _ in range(n):
        a = a[later] - a[earlier]
    return a



@implements(np.cumulative_sum)
def cumulative_sum(x, /, *, axis=None, dtype=None, out=None, include_initial=False) -> Tensor:
    """Running sum along ``axis``, as ``np.cumulative_sum`` (NumPy 2's cumsum, which can
    start with the empty sum 0: ``include_initial``).

    >>> ad.cumulative_sum(ad.tensor([1.0, 2.0, 3.0]), include_initial=True)
    tensor([0., 1., 3., 6.])
    """
    reject_numpy_arguments("cumulative_sum", dtype=dtype, out=out)
    return cumulative_along("cumulative_sum", x, axis, cumsum, 0, include_initial)


def cumulative_along(name, x, axis, running_op, empty_value, include_initial) -> Tensor:
    """NumPy 2's ``cumulative_*``: ``running_op`` along ``axis`` (required past 1-D),
    preceded by ``empty_value`` (the empty sum or product) with ``include_initial``."""
    if not isinstance(x, Tensor):
        x = Tensor(np.asanyarray(x))
    if x.ndim == 0:
        x = x.reshape(1)
    if axis is None:
        if x.ndim > 1:
            raise ValueError(f"{name}: axis is required for a tensor of shape {x.shape} "
                             "(more than one dimension), as in NumPy")
        axis = 0
    running = running_op(x, axis)
    if not include_initial:
        return running
    shape = list(running.shape)
    shape[axis] = 1
    start = Tensor(np.full(shape, empty_value, dtype=running.dtype))
    return concatenate([start, running], axis=axis)
