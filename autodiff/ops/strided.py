"""PyTorch's ``as_strided`` on a tensor whose array is C-contiguous: the entries at
``storage_offset + sum(i_d * stride_d)`` of the flat array, ``stride`` counted in
elements, as PyTorch reads a contiguous tensor's storage.

Windows may overlap (a stride smaller than the window, or 0), so the gradient is the
adjoint, a scatter-add of every output entry back to the element it was read from
(``as_strided_adjoint``); both ops are linear and each one's gradient is the other,
so higher orders come for free.  The forward returns a read-only copy: a write
through an overlapping view could not be recorded, so in-place updates of the result
are refused (``inplace.READ_ONLY_OUTPUTS``), where PyTorch's view would write through.
"""

from __future__ import annotations

import numpy as np

from .. import inplace
from ..tensor import Tensor
from .operands import tensor_of
from .registry import defop


def _flat_indices(size, stride, storage_offset):
    """The flat index each output entry reads: an int64 array of shape ``size``."""
    index = np.full(size, storage_offset, dtype=np.int64)
    for axis, (n, step) in enumerate(zip(size, stride)):
        shape = [1] * len(size)
        shape[axis] = n
        index = index + (np.arange(n, dtype=np.int64) * step).reshape(shape)
    return index


def _strided_forward(x, size, stride, storage_offset):
    # (indexed by a flat index array, so that a 0-d result is an array, not a scalar)
    out = x.reshape(-1)[_flat_indices(size, stride, storage_offset).reshape(-1)].reshape(size)
    out.flags.writeable = False
    return out


def _strided_rule(xp, g, ans, x, size, stride, storage_offset):
    return xp.as_strided_adjoint(g, shape=x.shape, size=size, stride=stride,
                                 storage_offset=storage_offset)


_as_strided = defop(
    "as_strided", _strided_forward,
    doc="PyTorch's ``as_strided`` of a C-contiguous tensor (a read-only copy): the\n"
        "entries at ``storage_offset + sum(i_d * stride_d)`` of the flat array; the\n"
        "gradient adds each entry back where it was read from.\n\n"
        ">>> ad.arange(4.0).as_strided((3, 2), (1, 1))\n"
        "tensor([[0., 1.],\n        [1., 2.],\n        [2., 3.]])",
    scatters=True, reads=(),
    x=("as_strided_adjoint(g, x.shape, size, stride, storage_offset)", _strided_rule),
    size=None, stride=None, storage_offset=None)
inplace.READ_ONLY_OUTPUTS.add("as_strided")


def _adjoint_forward(g, shape, size, stride, storage_offset):
    flat = np.zeros(int(np.prod(shape, dtype=np.int64)), dtype=g.dtype)
    np.add.at(flat, _flat_indices(size, stride, storage_offset), g)
    return flat.reshape(shape)


def _adjoint_rule(xp, gg, ans, g, shape, size, stride, storage_offset):
    return xp.as_strided(gg, size=size, stride=stride, storage_offset=storage_offset)


as_strided_adjoint = defop(
    "as_strided_adjoint", _adjoint_forward,
    doc="The adjoint of ``as_strided``: zeros of ``shape`` with each entry of ``g``\n"
        "added to the element it was read from (overlaps add up).\n\n"
        ">>> ad.ops.strided.as_strided_adjoint(ad.ones((3, 2)), shape=(4,), size=(3, 2),\n"
        "...                                   stride=(1, 1), storage_offset=0)\n"
        "tensor([1., 2., 2., 1.])",
    reads=(),
    g=("as_strided(g_out, size, stride, storage_offset)", _adjoint_rule),
    shape=None, size=None, stride=None, storage_offset=None)

# Both ops are linear with real coefficients: their rules hold for complex values as written.
_as_strided.complex_twin = _as_strided
as_strided_adjoint.complex_twin = as_strided_adjoint


def _ints(name, values, shape):
    if isinstance(values, (int, np.integer)) and not isinstance(values, bool):
        values = (values,)
    try:
        ints = tuple(values)
    except TypeError:
        ints = None
    if ints is None or any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                           for v in ints):
        raise TypeError(f"as_strided: {name} must be a sequence of ints, got {values!r} "
                        f"(tensor of shape {shape})")
    return tuple(int(v) for v in ints)


def as_strided(input, size, stride, storage_offset=None) -> Tensor:
    """``torch.as_strided`` (and ``t.as_strided``) of a tensor whose array is
    C-contiguous: output entry ``i`` is element ``storage_offset + sum(i_d * stride_d)``
    of the flattened tensor, as PyTorch reads a contiguous tensor's storage.  Windows may
    overlap; the gradient adds each entry back where it was read from.  The result is a
    read-only copy, not a view (in-place updates of it are refused).  A non-contiguous
    array is refused: PyTorch would read its storage order, so call ``.contiguous()``.

    >>> x = ad.arange(5.0, requires_grad=True)
    >>> windows = ad.as_strided(x, (2, 3), (2, 1))
    >>> windows.sum().backward(); windows, x.grad
    (tensor([[0., 1., 2.],
            [2., 3., 4.]], requires_grad=True), array([1., 1., 2., 1., 1.]))
    """
    x = tensor_of(input)
    shape = x.shape
    size, stride = _ints("size", size, shape), _ints("stride", stride, shape)
    offset = 0 if storage_offset is None else storage_offset
    if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)) or offset < 0:
        raise ValueError(f"as_strided: storage_offset must be a non-negative int, got "
                         f"{storage_offset!r} (tensor of shape {shape})")
    described = (f"size={size}, stride={stride}, storage_offset={offset} on a tensor of "
                 f"shape {shape} and dtype {x.dtype}")
    if len(size) != len(stride):
        raise ValueError(f"as_strided: size and stride must have the same length "
                         f"({described}); give one stride per dim")
    if any(n < 0 for n in size) or any(s < 0 for s in stride):
        raise ValueError(f"as_strided: sizes and strides must be non-negative, as "
                         f"PyTorch's ({described}); flip the result for a reversed order")
    if not x.data.flags.c_contiguous:
        raise ValueError(f"as_strided: the tensor's array is not C-contiguous "
                         f"({described}); PyTorch would read it in its storage order, "
                         "which this library does not keep: call .contiguous() first")
    if 0 not in size:
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= x.size:
            raise ValueError(f"as_strided: reads element {last} of {x.size} ({described}); "
                             "every index storage_offset + sum((size_d - 1) * stride_d) "
                             "must be less than the number of elements")
    return _as_strided(x, size=size, stride=stride, storage_offset=int(offset))
