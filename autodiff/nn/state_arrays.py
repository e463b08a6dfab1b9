"""``StateArray``: the values of ``Module.state_dict()``, NumPy arrays that also answer
the copy and conversion methods PyTorch code calls on a ``state_dict``'s tensors.

A ``state_dict`` here maps names to ndarrays (``np.savez(path, **sd)`` writes it), and
PyTorch code written against ``torch.Tensor`` values, such as
``best = {k: v.clone() for k, v in model.state_dict().items()}`` or
``v.detach().cpu().numpy()``, met NumPy's bare ``AttributeError``.  A ``StateArray`` is
an ``np.ndarray`` (``isinstance`` holds, NumPy functions take it as it is, ``np.savez``
and ``np.load`` give plain arrays back) with these methods added, each as PyTorch's:
``clone``, ``detach``, ``cpu``, ``numpy``, ``to``, ``copy_``, ``numel``, ``dim``,
``equal``, ``float``/``double``/``half``/``long``/``int``/``bool`` and ``size()``
(``v.size`` is still NumPy's count of entries; ``v.size()`` is the shape, as
``Tensor.size``).  The methods NumPy has under the same names keep NumPy's meaning
(``v.view(dtype)``, ``v.max()``, ``v.sum(axis=)``), and ``v.dtype`` is a NumPy dtype.

Arithmetic on a ``StateArray`` gives plain arrays: only the values themselves, their
copies (``clone``, ``copy``, ``to``, pickling) and their views carry the methods.  A
pickled ``state_dict`` therefore needs this library to be unpickled (as a pickled
PyTorch one needs PyTorch); ``np.savez`` and ``ad.save`` files hold plain arrays.  A
subclass rather than plain ndarrays: NumPy's arrays cannot take attributes, so
without it ``v.clone()`` could only fail with NumPy's bare ``AttributeError``.

>>> v = ad.nn.Linear(2, 3).state_dict()["weight"]
>>> isinstance(v, np.ndarray), v.clone().numel(), type(v.detach().cpu().numpy()).__name__
(True, 6, 'ndarray')
>>> type(v * 2).__name__
'ndarray'
"""

from __future__ import annotations

import numpy as np

from ..torch_arrays import TorchArray


class StateArray(TorchArray):
    """An ndarray of a ``state_dict`` with PyTorch's copy and conversion methods (see
    the module docstring; they are ``TorchArray``'s).

    >>> v = state_array(np.zeros((2, 3)))
    >>> v.size, v.size(), v.dim(), v.to(np.float32).dtype
    (6, autodiff.Size([2, 3]), 2, dtype('float32'))
    """

    values_only = True      # plain values with methods: stored into a Tensor as a plain view


def state_array(values: np.ndarray) -> StateArray:
    """``values`` (an array the caller owns) as a ``StateArray``, sharing its memory.

    >>> type(state_array(np.zeros(2))).__name__
    'StateArray'
    """
    return values.view(StateArray)
