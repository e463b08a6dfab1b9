"""The checks of what a custom backward (``Function.backward``, a ``custom_gradient``'s
vjp) returns: one gradient per input, of that input's shape and a real one for a real
input; and, when the pass is itself differentiated, recorded as a function of ``grad``.
"""

from __future__ import annotations

import warnings

import numpy as np

from .graph_node import Node
from .tensor import Tensor


def check_grads(owner, grads, args, create_graph, source=None):
    if not isinstance(grads, (tuple, list)):
        grads = (grads,)
    if len(grads) > len(args) and all(g is None for g in grads[len(args):]):
        grads = grads[:len(args)]       # (None for defaulted inputs not passed: PyTorch's)
    if len(grads) != len(args):
        raise ValueError(
            f"{owner}.backward returned {len(grads)} gradient(s) but forward took "
            f"{len(args)} input(s); return one gradient per input, in order "
            "(None for an input that needs none; extra ones may only be None)")
    checked = []
    for position, (grad, arg) in enumerate(zip(grads, args)):
        if grad is None:
            checked.append(None)
            continue
        if isinstance(grad, Tensor) and not create_graph:
            grad = grad.data
        elif not isinstance(grad, Tensor):
            grad = np.asarray(grad)
        if np.shape(grad) != np.shape(arg):
            raise ValueError(
                f"{owner}.backward: the gradient for input {position} has shape "
                f"{np.shape(grad)} but that input has shape {np.shape(arg)}; each gradient "
                "must have its input's shape (sum over broadcast axes yourself)")
        arg_dtype = np.asarray(getattr(arg, "data", arg)).dtype
        if grad.dtype.kind == "c" and arg_dtype.kind != "c":
            # (casting it to the input's real dtype would drop the imaginary part; the
            # dtype, not np.iscomplexobj: on a Tensor that gives a Tensor, whose truth
            # value a compiled trace refuses)
            raise TypeError(
                f"{owner}.backward: the gradient for input {position} is complex "
                f"({grad.dtype}) but that input is real ({arg_dtype}): return a real "
                "gradient (PyTorch's convention gives a real input the real part of the "
                "complex one)")
        if grad.dtype.kind in "biu" and arg_dtype.kind in "fc":
            _warn_integer_gradient(owner, position, grad.dtype, arg_dtype, source)
        checked.append(grad)
    return checked


def _warn_integer_gradient(owner, position, dtype, arg_dtype, source) -> None:
    """Warn, at the user's backward, of an integer or bool gradient for a float input:
    it is used as returned (converted exactly, as PyTorch does, silently there), but a
    fraction it should have had was cut before it got here."""
    message = (f"{owner}.backward: the gradient for input {position} is {dtype}, but "
               f"that input is {arg_dtype}: it is used as returned (converted to "
               f"{arg_dtype}, as PyTorch does silently), and any fraction it should have "
               "had is already lost. Compute the gradient in floating point (no astype(int), "
               "round or comparison on it).")
    code = getattr(source, "__code__", None)
    if code is None:
        warnings.warn(message, UserWarning, stacklevel=3)
    else:
        warnings.warn_explicit(message, UserWarning, code.co_filename, code.co_firstlineno)


def refuse_unrecorded_gradients(owner, grads, g, first_seq):
    """Raise when backward, given a ``grad`` ``g`` that is itself differentiated,
    returns a nonzero gradient not recorded as a function of it (``grad.data``,
    ``.detach()``, NumPy on it): the derivative through it would silently be zero.
    Only the nodes backward recorded (numbered from ``first_seq``) are searched."""
    for position, grad in enumerate(grads):
        if grad is None or (isinstance(grad, Tensor) and reaches(grad, g, first_seq)):
            continue
        if np.any(np.asarray(grad.data if isinstance(grad, Tensor) else grad) != 0):
            raise RuntimeError(
                f"{owner}: the gradient for input {position} is computed from "
                "grad without recording it (grad.data, .detach(), .numpy() or NumPy "
                "functions on grad), and this backward pass is being differentiated "
                "(forward mode: jvp, jacfwd, hessian, hvp; or the gradient of a gradient), "
                "where that would give zero instead of its derivative. Write backward with "
                "Tensor operations on grad (e.g. grad * ad.cos(x), not "
                "grad.data * np.cos(x)).")


def reaches(tensor, target, first_seq) -> bool:
    """Whether ``tensor`` is ``target`` or was computed from it by nodes numbered
    ``first_seq`` or later."""
    goal = target._node if target._node is not None else target
    pending, seen = [tensor._node if tensor._node is not None else tensor], set()
    while pending:
        item = pending.pop()
        if item is goal:
            return True
        if item.__class__ is not Node or item._seq < first_seq or id(item) in seen:
            continue
        seen.add(id(item))
        pending.extend(p for p in item.parents if p is not None)
    return False
