"""``Tensor.grad``: what a reverse pass stored for a tensor, checked where users touch it.

The gradient lives in the private slot ``Tensor._grad``; ``Tensor.grad`` is the
property in front of it, as ``requires_grad`` is in front of ``_requires_grad``.  The slot
holds the plain buffer the engine accumulates into; reading ``.grad`` gives a
``GradArray`` view of it (``grad_arrays.py``: an ndarray with PyTorch's ``zero_``,
``add_``, ``norm``, ``clone``, ...), one per buffer while something holds it.

* Reading ``.grad`` of an intermediate (a non-leaf tensor that requires grad) that did
  not ask for ``retain_grad()`` gives None, as in PyTorch, and warns as PyTorch does,
  at the user's line: a backward pass stores gradients only in leaves.  Reads by the
  library itself (optimizers, the engine, ``explain``) are silent.
* Assigning ``.grad`` checks the value at once (PyTorch does too): an ndarray or a
  Tensor (from ``backward(create_graph=True)``) of the tensor's shape and dtype, or
  None.  Otherwise an optimizer would refuse it only at ``step()``, far from the
  line that made it, or update in another precision without saying so.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import weakref

import numpy as np

from . import overwrites as _overwrites
from .grad_arrays import GradArray
from .plain_arrays import plain_array, plain_values
from .tape_drop import _LIBRARY_DIRS, user_frame, warn_at

_PACKAGE_DIR = _LIBRARY_DIRS[0]
_COMPILE_INSTALL = os.path.join(_PACKAGE_DIR, "compile", "install.py")


def plain_grad(t):
    """``t.grad`` as the slot holds it (a plain ndarray, not its ``GradArray`` view):
    what ``ad.compile``'s tracing property hands on, which holds that array."""
    grad = t._grad
    if grad is None and t._node is not None and t._requires_grad:
        _warn_non_leaf(t, sys._getframe(1))
    if _hooks_watched and type(grad) is np.ndarray:
        _note_read_in_hook(grad)
    return grad


def _get_grad(t):
    grad = t._grad
    if type(grad) is np.ndarray:
        if _hooks_watched:
            _note_read_in_hook(grad)
        return _grad_view(t, grad)
    if grad is None and t._node is not None and t._requires_grad:
        _warn_non_leaf(t, sys._getframe(1))
    return grad


def _grad_view(t, grad) -> GradArray:
    """The ``GradArray`` view of ``t``'s gradient buffer ``grad``: the same one while
    something holds it (``w.grad is w.grad``; ``g = w.grad`` stays ``w.grad``), held
    by a weak reference, so that the cache neither keeps a cleared buffer alive nor
    counts as a holder of the buffer (``graph._held_elsewhere``)."""
    ref = getattr(t, "_grad_view", None)
    if ref is not None:
        view = ref()
        if view is not None and (view.base is grad or grad.base is view):
            return view
    view = grad.view(GradArray)
    t._grad_view = weakref.ref(view)
    return view


class _HookReads(threading.local):
    """Per thread, while a gradient hook runs in a backward pass
    (``watching_grad_writes``): the ``.grad`` arrays the hook read, with their values
    then; None outside hooks.  Per thread, so that a hook of another thread's pass
    neither hides this one's reads nor keeps its own list alive after it returns."""
    reads = None


_hook_reads = _HookReads()

#: How many hooks are watched now, over all threads (a cheap test for ``.grad`` reads).
_hooks_watched = 0
_counting = threading.Lock()


def _note_read_in_hook(grad) -> None:
    reads = _hook_reads.reads
    if reads is not None and not any(a is grad for a, _ in reads):
        reads.append((grad, grad.copy()))


@contextlib.contextmanager
def watching_grad_writes():
    """Context manager around a gradient hook run mid-pass: a ``.grad`` array the hook
    read and changed in place with NumPy (``w.grad *= 2``, ``w.grad[...] = 0``) is
    stamped as the library's own in-place writes are (``overwrites.py``), so that a
    node of the pass that saved it refuses to run on the new values, as PyTorch's
    version counter refuses."""
    global _hooks_watched
    outer = _hook_reads.reads
    reads = _hook_reads.reads = []
    with _counting:
        _hooks_watched += 1
    try:
        yield
    finally:
        with _counting:
            _hooks_watched -= 1
        _hook_reads.reads = outer
        for array, before in reads:
            if not np.array_equal(array, before, equal_nan=array.dtype.kind in "fc"):
                from . import overwrites
                overwrites.note_write(array)


def _set_grad(t, value):
    if value is not None:
        check_grad(t, value)
        if isinstance(value, GradArray):
            # (the slot holds plain arrays, which the engine and optimizers test for:
            # the buffer itself for ``w.grad *= 2``; p.grad gives ``value`` back while
            # it lives)
            t._grad_view = weakref.ref(value)
            value = plain_array(value)
        else:
            value = plain_values(value)     # a state_dict's StateArray: a plain view
    t._grad = value


#: ``Tensor.grad`` (assigned in the class body, so that it is in ``Tensor.__dict__``).
grad_property = property(_get_grad, _set_grad, doc=(
    "The gradient a backward pass accumulated into this tensor: an ndarray of its shape "
    "and dtype, a Tensor after ``backward(create_graph=True)``, or None.  Only leaves "
    "(and intermediates that called ``retain_grad()``) get one.\n\n"
    ">>> w = ad.tensor([1.0, 2.0], requires_grad=True)\n"
    ">>> (w * w).sum().backward()\n"
    ">>> w.grad\n"
    "array([2., 4.])"))


def _warn_non_leaf(t, caller) -> None:
    if caller.f_code.co_filename == _COMPILE_INSTALL and caller.f_back is not None:
        caller = caller.f_back          # read through ad.compile's tracing property
    if caller.f_code.co_filename.startswith(_PACKAGE_DIR):
        return                          # the library's own reads
    if t.retains_grad:
        return
    frame = user_frame()
    where = f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else "?"
    name = f" '{t.name}'" if t._name is not None else ""
    message = (
        f"the .grad of a Tensor{name} that is not a leaf (shape {t.shape}, computed by "
        f"'{t._node.op.name}') is read at {where}: backward() stores gradients only in "
        "leaves (tensors created with requires_grad=True), so it is None. ")
    updated = _updated_leaf(t)
    if updated is not None:
        short = t.name or updated.name or "w"
        message += (
            f"It was computed from a leaf of its shape that has a .grad, as an update "
            f"written {short} = {short} - lr * {short}.grad is: in grad mode that records "
            f"the update in the graph, so the new {short} is not a leaf and gets no .grad. "
            f"Update in place instead, `with ad.no_grad(): {short} -= lr * {short}.grad`, "
            f"then set {short}.grad = None: {short} stays the leaf.")
    else:
        message += ("Call t.retain_grad() before backward() to keep this one, or read the "
                    ".grad of the leaf it was computed from.")
    warn_at(frame, message, UserWarning)


def _updated_leaf(t):
    """The leaf of ``t``'s shape holding a ``.grad`` that non-leaf ``t`` was made from by
    ``add``/``subtract`` (an op with ``sum_signs``) with a constant (a parameter update
    recorded in grad mode), or None."""
    from .tensor import Tensor
    node = t._node
    if node.op.sum_signs is None or all(p is not None for p in node.parents):
        return None         # (the step lr * w.grad is a constant: no parent)
    return next((parent for parent in node.parents if isinstance(parent, Tensor)
                 and parent._node is None and parent._grad is not None
                 and parent.shape == t.shape), None)


def check_grad(t, value) -> None:
    """Raise unless ``value`` can be the ``.grad`` of tensor ``t``."""
    from .tensor import Tensor

    if isinstance(value, (np.ndarray, np.generic)):
        shape, dtype = value.shape, value.dtype
    elif isinstance(value, Tensor):
        shape, dtype = value.data.shape, value.data.dtype
    else:
        kind = type(value)
        kind = f"{kind.__module__}.{kind.__name__}" if kind.__module__.startswith(
            "torch") else kind.__name__         # (a torch.Tensor is not this library's)
        raise TypeError(
            f".grad: assigned a {kind}; a gradient is an ndarray of the "
            f"tensor's shape {t.shape} (or a Tensor from backward(create_graph=True)), or "
            "None. Convert it first, e.g. t.grad = np.asarray(value, dtype=t.dtype)")
    if shape != t.data.shape:
        raise ValueError(
            f".grad: the assigned gradient has shape {shape}, but the tensor has shape "
            f"{t.data.shape}; a gradient has the shape of its tensor (reshape it, or "
            "assign it to the tensor it belongs to)")
    if dtype.kind != "f" and not (dtype.kind == "c" and dtype == t.data.dtype):
        raise TypeError(
            f".grad: the assigned gradient has dtype {dtype} (shape {shape}); gradients are "
            f"floating-point, like the tensor's data ({t.data.dtype}). Convert it first, "
            "e.g. t.grad = value.astype(t.dtype)")
    if dtype != t.data.dtype:
        if t.data.dtype.kind != "f":
            raise TypeError(
                f".grad: the tensor (shape {t.data.shape}) has dtype {t.data.dtype}, which "
                "cannot have a gradient: only floating-point tensors can. Make the tensor "
                "floating-point first, e.g. t = t.astype(np.float64)")
        what = "Tensor" if isinstance(value, Tensor) else "gradient"
        raise TypeError(
            f".grad: the assigned {what} has dtype {dtype}, but the tensor (shape "
            f"{t.data.shape}) has dtype {t.data.dtype}; a gradient has its tensor's dtype, as "
            f"in PyTorch. Cast it first: t.grad = value.astype(np.{t.data.dtype})")


#: A 0-d 1 of each dtype a backward seeded (copied for each pass).
_ONES: dict = {}


def root_grad(tensor, grad, create_graph):
    """The upstream gradient ``backward(grad)`` starts from, checked against ``tensor``."""
    if grad is None:
        data = tensor.data
        if data.size != 1:
            raise RuntimeError(
                f"backward: grad can be omitted only for a tensor with one element, but this "
                f"one has shape {data.shape}. Reduce it first (e.g. loss.sum() or "
                f".mean()) or pass grad= an array of shape {data.shape}.")
        if data.dtype.kind == "c":
            raise RuntimeError(
                f"backward: grad can be implicitly created only for real scalar outputs, "
                f"but this one is {data.dtype}, as in PyTorch. Reduce it to a real number "
                "first (e.g. z.abs().sum(), z.real.sum()) or pass grad= explicitly.")
        one = _ONES.get(data.dtype)
        if one is None:
            one = _ONES[data.dtype] = np.ones((), data.dtype)
        # A copy, so that each pass has its own seed (a rule may hand it on as a
        # leaf's gradient); one call, where np.ones is a Python wrapper of two.
        return one.copy() if data.ndim == 0 else one.reshape(data.shape).copy()
    from .tensor import Tensor

    if isinstance(grad, Tensor):
        value = grad if create_graph else grad.data
        shape, dtype = grad.shape, grad.dtype
    else:
        value = np.asarray(grad)
        shape, dtype = value.shape, value.dtype
    if shape != tensor.data.shape:
        raise ValueError(
            f"backward: grad has shape {shape} but the tensor has shape "
            f"{tensor.data.shape}; the upstream gradient must match the tensor's shape.")
    if dtype.kind not in "biuf" and not (dtype.kind == "c" and tensor.data.dtype.kind == "c"):
        # (NumPy's cast would drop an imaginary part, or fail naming no op)
        raise TypeError(
            f"backward: grad has dtype {dtype} (shape {shape}), but the tensor holds "
            f"{tensor.data.dtype}; the upstream gradient must hold real numbers (complex "
            "gradients are not supported). Pass an array of the tensor's dtype, e.g. "
            f"np.ones({shape}, dtype=np.{tensor.data.dtype}).")
    if dtype != tensor.data.dtype:
        value = value.astype(tensor.data.dtype)
    return value


def zero_grad_of(param) -> None:
    """``param.grad`` to zeros, as PyTorch's ``zero_grad(set_to_none=False)``: in place
    where its array can hold them (a name kept for it sees the zeros, and one in shared
    memory stays shared), else a new array.

    >>> w = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> (w * 3).sum().backward(); g = w.grad
    >>> zero_grad_of(w); g
    array([0., 0.])
    """
    from .optim.accumulation_hint import note_zeroed

    grad = param._grad
    note_zeroed(grad if type(grad) is np.ndarray else None)
    if type(grad) is np.ndarray:
        if (grad.flags.writeable and grad.shape == param.data.shape
                and grad.dtype == param.data.dtype):
            _overwrites.note_write(grad)    # (a graph that saved it refuses its backward)
            grad[...] = 0
        else:
            param.grad = np.zeros_like(param.data)
        return
    from .tensor import Tensor

    if (isinstance(grad, Tensor) and grad.data.shape == param.data.shape
            and grad.data.dtype == param.data.dtype
            and getattr(grad, "_view_link", None) is None):
        # A gradient with a graph (backward(create_graph=True)): detached and zeroed in
        # place, as PyTorch's grad.detach_(); grad.zero_(), so g = w.grad sees the zeros
        # and the sums of later passes; the graph keeps the old array when it saved it.
        grad._node = None
        grad._requires_grad = False
        if type(grad.data) is np.ndarray and grad.data.flags.writeable:
            _overwrites.note_write(grad.data)
            grad.data[...] = 0
        else:
            grad.data = np.zeros_like(param.data)
        return
    param.grad = np.zeros_like(param.data)
