"""The note added to an error raised by a ``Function``'s ``forward`` or ``backward``
when it called PyTorch's spelling of a Tensor method on the NumPy arrays they receive
(``input.mm(w)``, ``x.transpose(0, 1)``, ``x.sum(dim=1)``): what they receive and what
to write instead.
"""

from __future__ import annotations

import contextlib

__all__ = ["arrays_explained"]


#: The start of what NumPy raises for a Tensor method's PyTorch spelling on an ndarray:
#: ``x.permute(0, 1)``, ``x.transpose(0, 1)`` of 3 or more dims, ``x.sum(dim=1)`` (also
#: ``keepdim=``, ``unbiased=``), ``x.size(1)`` and ``x.view(2, -1)``.
_NUMPY_METHOD_ERRORS = ("'numpy.ndarray' object has no attribute", "axes don't match array",
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
