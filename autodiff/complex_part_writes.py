"""Writes into a complex Tensor's parts, as NumPy's: ``z.real = x`` and ``z.imag = y``
(and so ``z.real *= 2``, which Python runs as a read, an update and this assignment)
rewrite ``z`` in place with the new part and its other part kept,
``z[...] = x + i imag(z)``, recorded as any ``t[...] = value`` is, so the gradient
reaches both ``x`` and the kept part.  A real tensor's ``real`` is the tensor itself; it
has no imaginary part to set, which raises as NumPy's does.

``z.real`` and ``z.imag`` of a complex tensor are copies here, where NumPy's (and
PyTorch's) are views of ``z``: a write into one (``z.real[0] = 5``, ``r = z.imag;
r[1:] *= 2``, ``r.fill(0)``) is written back into ``z`` after it, the part's whole
value as the new part of ``z``.  A part taken before ``z`` changed no longer shows
``z``; writing into it then raises rather than bring back ``z``'s old values.
"""

from __future__ import annotations

import warnings
import weakref

import numpy as np

from . import graph as _graph
from .overwrites import _written_after

#: Whether a part of a complex tensor was ever taken (else the write hooks return at once).
taken = False

#: id(part tensor) -> (a weak reference to it, the complex tensor, "real" or "imag",
#: [the complex tensor's array and the write stamp when they last agreed]), by id since
#: a tensor's == compares elements.  The complex tensor is held while its part lives,
#: as NumPy's view holds its base: in ``z[1:].real[0] = 5`` nothing else holds the
#: view ``z[1:]`` that the write must go through to reach ``z``.  (Graph nodes hold
#: arrays, not tensors, so the complex tensor never holds its part back.)
_parts: dict = {}


def _forget(key, reference) -> None:
    entry = _parts.get(key)
    if entry is not None and entry[0] is reference:
        del _parts[key]


def write_complex_part(tensor, part: str, value) -> None:
    """Write ``value`` (broadcast to ``tensor``'s shape, cast to its part's dtype) as
    the ``part`` ("real" or "imag") of ``tensor`` in place.

    >>> z = ad.tensor([1.0 + 2.0j, 3.0 - 1.0j])
    >>> write_complex_part(z, "imag", 0.5)
    >>> z
    tensor([1.+0.5j, 3.+0.5j], dtype=complex128)
    """
    from .ops.complex_ops import complex_op
    from .ops.complex_parts import imag, real
    from .tensor import Tensor
    if tensor.dtype.kind != "c":
        if part == "imag":
            raise TypeError(
                f"t.imag = ...: a tensor of dtype {tensor.dtype} (shape {tensor.shape}) "
                f"has no imaginary part to set (NumPy's ndarray raises too); make it "
                f"complex first, e.g. t = t.astype(np.complex128)")
        tensor[...] = value
        return
    value = value if isinstance(value, Tensor) else Tensor(np.asarray(value))
    if value.dtype.kind == "c":
        warnings.warn("Casting complex values to real discards the imaginary part",
                      np.exceptions.ComplexWarning, stacklevel=3)
        value = real(value)
    part_dtype = np.finfo(tensor.dtype).dtype
    value = value.astype(part_dtype) if value.dtype != part_dtype else value
    kept = imag(tensor) if part == "real" else real(tensor)
    parts = (value, kept) if part == "real" else (kept, value)
    tensor[...] = complex_op(*parts)


def note_part(part_tensor, whole, part: str) -> None:
    """Remember that ``part_tensor`` is the ``part`` of the complex tensor ``whole``, so
    that writes into it reach ``whole``."""
    global taken
    taken = True
    key = id(part_tensor)
    reference = weakref.ref(part_tensor, lambda r, key=key: _forget(key, r))
    _parts[key] = (reference, whole, part, [whole.data, _graph.write_epoch])


def _part_written(t):
    """``(part tensor, its entry, the complex tensor)`` for the part that a write into
    ``t`` changes (``t`` itself, or a tensor ``t`` views by indexing), or None."""
    from .view_table import _views_up
    for tensor in (t, *(base for _, (base, _) in _views_up(t))):
        entry = _parts.get(id(tensor))
        if entry is not None and entry[0]() is tensor:
            return tensor, entry[2:], entry[1]
    return None


def before_part_write(t, where: str) -> None:
    """Before the in-place update ``where`` writes ``t``: when ``t`` is (or views) a
    part of a complex tensor that changed since the part was taken, or a leaf that
    requires grad in grad mode, raise before anything changed."""
    found = _part_written(t)
    if found is None:
        return
    _, (part, (array, stamp)), whole = found
    from .inplace_refusals import _label
    if whole.data is not array or (_graph.write_epoch != stamp
                                   and _written_after(whole.data, stamp)):
        raise RuntimeError(
            f"{where}: this tensor is the {part} part of complex tensor {_label(whole)}, "
            f"a copy taken before that tensor changed; NumPy's z.{part} is a view that "
            f"would show the change, so writing this copy back would undo it. Take the "
            f"part again after the change (r = z.{part}) and write into that, or assign "
            f"the whole part: z.{part} = new_values.")
    if _graph._grad_mode.enabled and whole.requires_grad and whole._node is None:
        raise RuntimeError(
            f"{where}: this tensor is the {part} part of complex tensor {_label(whole)}, a "
            f"leaf that requires grad; writing into it writes into that tensor, as NumPy's "
            f"and PyTorch's views do, and in grad mode that update would not be part of "
            f"any gradient. Wrap the update in `with ad.no_grad():`, or build a new "
            f"tensor instead.")


def after_part_write(t, where: str) -> None:
    """After the in-place update ``where`` wrote ``t``: when ``t`` is (or views) a part
    of a complex tensor, write the part's new value into that tensor."""
    found = _part_written(t)
    if found is None:
        return
    part_tensor, (part, state), whole = found
    write_complex_part(whole, part, part_tensor)
    state[:] = whole.data, _graph.write_epoch
