"""An optimizer step right after ``loss.backward(create_graph=True)``.

A parameter that a live graph saved is read-only (``guard.py``), so ``step()`` before
``backward()`` raises at once.  After ``backward(create_graph=True)`` the graphs stay
alive on purpose: each ``.grad`` holds a graph that saved the parameters.  PyTorch
steps anyway (the update runs under ``no_grad``), and a later backward through the
old graph fails its version check.  Here the same: when a parameter of the step has a
``.grad`` that carries a graph, the read-only parameters that live graphs hold are
made writable for the update, read-only again after it, and the write is stamped
(``overwrites.py``), so a later backward through a graph that saved the old values
raises ``InPlaceError`` naming the op and its input, never a silently wrong gradient.

>>> w = ad.nn.Parameter([1.0, 2.0])
>>> (w ** 3).sum().backward(create_graph=True)
>>> ad.optim.SGD([w], lr=0.1).step(); w.data
array([0.7, 0.8])
>>> w.grad.sum().backward()
Traceback (most recent call last):
autodiff.inplace_refusals.InPlaceError: backward: op 'power' saved its input 'a' ...
"""

from __future__ import annotations

import numpy as np

from ..guard import savers_of
from ..overwrites import note_write
from ..tensor import Tensor


def grad_has_graph(param) -> bool:
    """Whether ``param.grad`` was made by ``backward(create_graph=True)`` with a graph."""
    grad = param.grad
    return isinstance(grad, Tensor) and grad.requires_grad


def unlock(arrays) -> list[np.ndarray]:
    """Make writable each read-only array of ``arrays`` that a live graph holds; the
    ones changed, for ``relock``.  An array read-only for another reason is left so
    (the caller's refusal names it)."""
    unlocked = []
    for array in arrays:
        if array.flags.writeable or not savers_of(array):
            continue
        try:
            array.flags.writeable = True
        except ValueError:          # a view of memory that is read-only itself
            continue
        unlocked.append(array)
    return unlocked


def relock(unlocked) -> None:
    """Make the arrays read-only again and stamp them as written in place."""
    for array in unlocked:
        array.flags.writeable = False
        note_write(array)
