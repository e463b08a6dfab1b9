"""NumPy functions that read a Tensor without recording anything: its text, index
arrays made from its shape, ``np.lexsort``'s order, ``np.einsum_path``'s plan.

* ``np.array_str`` and ``np.array2string`` give NumPy's text of the values, as for
  ``t.data``; ``np.array_repr`` gives the Tensor's own repr (``tensor([...],
  requires_grad=True)``), with the three options applied to the values, as NumPy's
  ``array_repr`` of an ndarray subclass names that subclass.
* ``np.tril_indices_from``, ``np.triu_indices_from``, ``np.diag_indices_from`` and
  ``np.einsum_path`` depend on shapes alone; the index helpers return NumPy's tuples
  of index arrays, ready for ``t[...]``.
* ``np.lexsort`` returns integer indices, a step function of the values, like
  ``np.argsort``: a Tensor that does not require grad.
* ``np.isfortran`` reads ``t.flags`` (a read-only view of the data's flags).
"""

from __future__ import annotations

import importlib

import numpy as np

from ..tensor import Tensor
from .numpy_dispatch import implements, implements_without_gradient

_tensor_module = importlib.import_module("autodiff.tensor")    # (ad.tensor is the function)


def _shown(a):
    """``a``'s data, telling ``ad.compile`` (as ``repr`` does) that a Tensor was shown:
    text made while tracing is not made again by a replay."""
    if isinstance(a, Tensor):
        if _tensor_module.shown_hook is not None:
            _tensor_module.shown_hook(a)
        return a.data
    return a


@implements(np.array_str)
def array_str(a, max_line_width=None, precision=None, suppress_small=None) -> str:
    """``np.array_str``: NumPy's text of the values (as ``str(t.data)``).

    >>> np.array_str(ad.tensor([1.0, 2.5], requires_grad=True))
    '[1.  2.5]'
    """
    return np.array_str(_shown(a), max_line_width, precision, suppress_small)


@implements(np.array2string)
def array2string(a, *args, **kwargs) -> str:
    """``np.array2string``: NumPy's text of the values, with all of its options.

    >>> np.array2string(ad.tensor([1.0, 2.5]), separator=", ")
    '[1. , 2.5]'
    """
    return np.array2string(_shown(a), *args, **kwargs)


@implements(np.array_repr)
def array_repr(arr, max_line_width=None, precision=None, suppress_small=None) -> str:
    """``np.array_repr``: the Tensor's own ``repr``, its values written with these
    options (``None``: NumPy's print options), as NumPy's ``array_repr`` names an
    ndarray subclass.

    >>> np.array_repr(ad.tensor([1.0, 2.25], requires_grad=True), precision=1)
    'tensor([1. , 2.2], requires_grad=True)'
    """
    options = {name: value for name, value in (("linewidth", max_line_width),
                                               ("precision", precision),
                                               ("suppress", suppress_small))
               if value is not None}
    with np.printoptions(**options):
        return repr(arr)


implements_without_gradient(np.tril_indices_from, np.triu_indices_from,
                            np.diag_indices_from, np.einsum_path, shape_only=True)
implements_without_gradient(np.lexsort)
