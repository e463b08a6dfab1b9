"""Values stored into a Tensor's ``data`` or ``grad`` from outside, as plain ndarrays.

The kernels' fast paths test for an exact ``np.ndarray``; a subclass that only adds
methods (a ``state_dict``'s ``StateArray``, ``np.memmap``) gives the right values but
skips them, and carries its own methods into the tensor.  So
``p.data = sd["weight"]`` and ``p.grad = sd["weight"]`` store a plain view of the same
memory, as PyTorch's ``p.data = t`` shares ``t``'s storage.  ``plain_array`` gives
the buffer that a ``GradArray`` (what reading ``.grad`` gives) views.

>>> v = ad.nn.Linear(2, 3).state_dict()["weight"]
>>> type(plain_values(v)).__name__, np.shares_memory(plain_values(v), v)
('ndarray', True)
"""

from __future__ import annotations

import numpy as np

_ndarray = np.ndarray


def plain_values(value):
    """``value`` as a plain ndarray view if it is an ndarray subclass that only adds
    methods to plain values (``StateArray``, marked ``values_only``; ``np.memmap``),
    else as it is: a masked array or ``np.matrix`` would lose what it means, and the
    library's own placeholders (an uninitialized parameter's) must stay."""
    if value.__class__ is not _ndarray and (getattr(value, "values_only", False)
                                            or isinstance(value, np.memmap)):
        return value.view(_ndarray)
    return value


def plain_array(array) -> np.ndarray:
    """The plain ndarray a ``GradArray`` (what ``.grad`` gives) views: its base itself
    when the view shows all of it as it is (``ad.tensor(w.grad)`` then holds the
    gradient buffer, as it did when ``.grad`` was that buffer), else a plain view.

    >>> w = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> (w * w).sum().backward()
    >>> plain_array(w.grad) is w._grad
    True
    """
    base = array.base
    if (type(base) is np.ndarray and base.shape == array.shape
            and base.strides == array.strides and base.dtype == array.dtype
            and base.__array_interface__["data"] == array.__array_interface__["data"]):
        return base
    return array.view(np.ndarray)
