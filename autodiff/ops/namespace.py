"""The two array namespaces a gradient rule can run with, derived from the registry.

``numpy_xp`` holds plain NumPy functions: a normal ``backward()`` runs each rule on
raw arrays, at NumPy speed, recording nothing.  ``tensor_xp`` holds this library's
differentiable ops under the same names: ``backward(create_graph=True)`` runs the
very same rules on Tensors, so the gradient is itself on the tape.

Nobody fills these by hand: every op registered with ``defop`` appears as
``tensor_xp.<name>`` (the op) and ``numpy_xp.<name>`` (its raw forward).  Helpers
that are not ops (``astype``, ``zeros_like``, the one-pass ``*_backward`` kernels)
are added with ``xp_function`` by the module that owns them.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Callable

numpy_xp = SimpleNamespace()
tensor_xp = SimpleNamespace()

#: Names given explicitly with ``xp_function``; an op of the same name does not replace them.
_helpers: set[str] = set()


def xp_function(name: str, numpy_impl: Callable, tensor_impl: Callable) -> None:
    """Make a helper that is not an op available to rules as ``xp.<name>`` in both modes.

    ``numpy_impl`` runs on arrays (plain backward); ``tensor_impl`` on Tensors and is
    recorded (``create_graph=True``).  Both must compute the same values.

    >>> from autodiff.ops.namespace import numpy_xp, tensor_xp, xp_function
    >>> xp_function("twice", lambda a: a * 2, lambda t: t * 2)
    >>> numpy_xp.twice(np.ones(2)), tensor_xp.twice(ad.tensor([1.0]))
    (array([2., 2.]), tensor([2.]))
    >>> remove_xp_function("twice")
    """
    _helpers.add(name)
    setattr(numpy_xp, name, numpy_impl)
    setattr(tensor_xp, name, tensor_impl)


def remove_xp_function(name: str) -> None:
    """Undo ``xp_function(name, ...)``."""
    _helpers.discard(name)
    for space in (numpy_xp, tensor_xp):
        if hasattr(space, name):
            delattr(space, name)


#: Earlier name of ``xp_function``.
add_to_namespaces = xp_function


def _add_op(name, numpy_impl, op):
    if name not in _helpers:
        setattr(numpy_xp, name, numpy_impl)
        setattr(tensor_xp, name, op)


def _remove_op(name):
    if name not in _helpers:
        for space in (numpy_xp, tensor_xp):
            if hasattr(space, name):
                delattr(space, name)
