"""The notes added to an error raised by PyTorch's spelling of a Tensor method on a NumPy
array: in a ``Function``'s ``forward`` or ``backward`` or a gradient hook, on the arrays
they receive (``input.mm(w)``, ``x.transpose(0, 1)``, ``x.sum(dim=1)``), and in a
``no_grad`` block, on ``.data`` or ``.grad`` (``p.data.copy_(v)``, ``p.grad.sign()``):
what they are and what to write instead.
"""

from __future__ import annotations

import contextlib

__all__ = ["arrays_explained", "explain_data_and_grad_arrays", "nothing_saved_explained"]


#: The start of what NumPy raises for a Tensor method's PyTorch spelling on an ndarray:
#: ``x.permute(0, 1)``, ``x.transpose(0, 1)`` of 3 or more dims, ``x.sum(dim=1)`` (also
#: ``keepdim=``, ``unbiased=``), ``x.size(1)`` and ``x.view(2, -1)``; a hook's gradient is
#: a ``GradArray``, which has some of a Tensor's methods.
_NUMPY_METHOD_ERRORS = ("'numpy.ndarray' object has no attribute",
                        "'GradArray' object has no attribute", "axes don't match array",
                        "'int' object is not callable",
                        "Type must be a sub-type of ndarray type")
_NUMPY_KEYWORD_ERRORS = ("got an unexpected keyword argument 'dim'",
                         "got an unexpected keyword argument 'keepdim'",
                         "got an unexpected keyword argument 'unbiased'")


def _is_numpy_method_error(error) -> bool:
    message = str(error)
    return message.startswith(_NUMPY_METHOD_ERRORS) or (
        message.startswith("_") and message.endswith(_NUMPY_KEYWORD_ERRORS))


@contextlib.contextmanager
def arrays_explained(where):
    """A Tensor method called on an ndarray (``input.mm(w)``, ``grad.clamp(0)``,
    ``x.transpose(0, 1)``, ``x.sum(dim=1)``) fails with NumPy's bare error; add what the
    function receives and what to use."""
    try:
        yield
    except (AttributeError, TypeError, ValueError) as error:
        if _is_numpy_method_error(error) and not getattr(error, "_autodiff_explained", False):
            error._autodiff_explained = True
            error.add_note(
                f"{where} receives NumPy arrays (and returns one), not Tensors: call the "
                "function form instead of the Tensor method, e.g. ad.mm(a, b) or a @ b "
                "for a.mm(b), ad.clamp(g, 0) or np.clip(g, 0, None) for g.clamp(0), "
                "ad.transpose(x, 0, 1) for x.transpose(0, 1), or make Tensors of them "
                "first (x = ad.as_tensor(x))")
        raise


#: What an ndarray (``p.data``) or a gradient's ``GradArray`` (``p.grad``, which has
#: PyTorch's in-place methods but not all of a Tensor's) raises for a Tensor method:
#: ``'numpy.ndarray' object has no attribute 'copy_'``
_DATA_OR_GRAD_ERRORS = ("'numpy.ndarray' object has no attribute",
                        "'GradArray' object has no attribute")


def explain_data_and_grad_arrays(error) -> None:
    """Add to ``error``, raised in a ``no_grad`` (or ``enable_grad``) block or in the
    function given to ``Module.apply``, a note that
    ``.data`` and ``.grad`` are NumPy arrays here, when it is NumPy's error for a Tensor
    method called on one (``p.data.copy_(v)``, ``ema.data.mul_(d)``, ``p.grad.sign()``),
    with what to write instead.

    >>> error = AttributeError("'numpy.ndarray' object has no attribute 'copy_'")
    >>> explain_data_and_grad_arrays(error); "p.copy_(v)" in error.__notes__[0]
    True
    """
    if not isinstance(error, AttributeError) or getattr(error, "_autodiff_explained", False):
        return
    if not str(error).startswith(_DATA_OR_GRAD_ERRORS):
        return
    error._autodiff_explained = True
    error.add_note(
        "t.data and t.grad are NumPy arrays here (t.grad has PyTorch's zero_, add_, "
        "mul_, clamp_, copy_, clone, norm, ..., not every Tensor method): in a no_grad "
        "block update the tensor itself "
        "(p.copy_(v) for p.data.copy_(v), ema.mul_(d).add_(p, alpha=1 - d); "
        "nn.init.normal_(w, 0, 0.02) for w.data.normal_(0, 0.02)), call the "
        "function forms on a gradient (ad.sign(p.grad), ad.abs(x.grad), ad.clamp(g, -1, "
        "1)), or make a Tensor of it first (ad.as_tensor(p.grad))")


#: What unpacking or indexing an empty ``ctx.saved_tensors`` raises: ``(x,) = ...``,
#: ``x, w = ...``, ``ctx.saved_tensors[0]``.
_EMPTY_SAVED_ERRORS = ("not enough values to unpack (expected", "tuple index out of range")


@contextlib.contextmanager
def nothing_saved_explained(where, ctx):
    """A ``backward`` that unpacks ``ctx.saved_tensors`` when ``forward`` saved nothing
    (``ctx.save_for_backward`` forgotten) fails with Python's bare unpacking error; add
    that nothing was saved and what to write in ``forward``."""
    try:
        yield
    except (ValueError, IndexError) as error:
        if not ctx._saved and str(error).startswith(_EMPTY_SAVED_ERRORS) \
                and not getattr(error, "_autodiff_explained", False):
            error._autodiff_explained = True
            error.add_note(
                f"{where}: ctx.saved_tensors is empty: forward saved nothing. Save what "
                "backward needs in forward with ctx.save_for_backward(x, ...) (values "
                "kept as attributes, ctx.x = x, are read as ctx.x)")
        raise
