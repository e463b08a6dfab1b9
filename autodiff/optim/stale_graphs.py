"""An optimizer step right after ``loss.backward(create_graph=True)``, or while a graph
recorded before the latest backward still holds a parameter.

A parameter that a live graph saved is read-only (``guard.py``), so ``step()`` before
``backward()`` raises at once.  After ``backward(create_graph=True)`` the graphs stay
alive on purpose: each ``.grad`` holds a graph that saved the parameters.  PyTorch
steps anyway (the update runs under ``no_grad``), and a later backward through the
old graph fails its version check.  Here the same: when a parameter of the step has a
``.grad`` that carries a graph, the read-only parameters that live graphs hold are
made writable for the update, read-only again after it, and the write is stamped
(``overwrites.py``), so a later backward through a graph that saved the old values
raises ``InPlaceError`` naming the op and its input, never a silently wrong gradient.
The same holds for a parameter that only graphs older than the latest backward pass
hold (``held_only_by_older_graphs``): a tensor kept from an earlier forward, as a GAN
keeps ``fake = G(z)`` while it steps ``G`` on the gradients of a later forward.

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


def held_only_by_older_graphs(array) -> bool:
    """Whether the live graphs that hold ``array`` were all recorded before the latest
    backward pass that wrote ``.grad``: a graph kept by a stored tensor that is not
    the one being trained (a GAN's ``fake = G(z)`` kept past the generator's own
    backward, an output computed outside ``no_grad``).  PyTorch steps anyway; so does
    the step here, stamping the write.  A graph recorded after that backward is a
    step before its own backward, still refused."""
    from .. import graph
    savers = savers_of(array)
    return bool(savers) and all(node._seq < graph.grads_written_at for node in savers)


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
