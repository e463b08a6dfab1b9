"""NumPy functions that read a Tensor without recording anything: its text, index
arrays made from its shape, ``np.lexsort``'s order, ``np.einsum_path``'s plan.

* ``np.array_str`` and ``np.array2string`` give NumPy's text of the values, as for
  ``t.data``; ``np.array_repr`` gives the Tensor's own repr (``tensor([...],
  requires_grad=True)``), with the three options applied to the values, as NumPy's
  ``array_repr`` of an ndarray subclass names that subclass.
* ``np.tril_indices_from``, ``np.triu_indices_from``, ``np.diag_indices_from`` and
  ``np.einsum_path`` depend on shapes alone; the index helpers return NumPy's tuples
  of index arrays, ready for ``t[...]``, which ``ad.compile`` makes again at each
  replay.
* ``np.lexsort`` returns integer indices, a step function of the values, like
  ``np.argsort``: a Tensor that does not require grad.
* ``np.isfortran`` reads ``t.flags`` (a read-only view of the data's flags).
* Questions about dtypes and memory read the data: ``np.can_cast``, ``np.common_type``
  and ``np.min_scalar_type`` (dtypes), ``np.shares_memory`` and
  ``np.may_share_memory`` (whether the data arrays overlap: ``t[0]`` is a view of
  ``t``'s data, as in NumPy), ``np.array_equiv`` (a bool).
* Index helpers on integer data return NumPy's index arrays: ``np.ix_`` and
  ``np.unravel_index`` (tuples of arrays, as ``np.nonzero``), ``np.ravel_multi_index``;
  so do ``np.packbits`` and ``np.unpackbits`` on bools and bytes (Tensors).
* ``np.save``, ``np.savez``, ``np.savez_compressed`` and ``np.savetxt`` write the values,
  as for ``t.data`` (``np.load`` gives ndarrays back).  Like ``t.numpy()``, saving is an
  explicit exit from the tape: no gradient or history is kept (``ad.save`` /
  ``state_dict`` save a model's parameters).  Inside ``ad.compile`` they are refused
  (a replay would not write again).
"""

from __future__ import annotations

import functools
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


def _nth(func, n, *args):
    return func(*args)[n]


def _index_arrays(func, arr, *args) -> tuple:
    """NumPy's tuple of index arrays from ``arr``'s shape; ``ad.compile`` makes each
    again at a replay (arrays made in the call would otherwise be refused as constants
    of unknown origin)."""
    from ..compile import hooks         # (the compile package imports ops)
    data = arr.data if isinstance(arr, Tensor) else arr
    result = func(data, *args)
    tracer = hooks.active
    if tracer is not None and tracer.owns_thread():
        for n, value in enumerate(result):
            tracer.on_made(f"np.{func.__name__}", functools.partial(_nth, func, n),
                           (data,) + args, {}, value, False)
    return result


@implements(np.tril_indices_from)
def tril_indices_from(arr, k=0) -> tuple:
    """``np.tril_indices_from``: the indices of the lower triangle of a 2-D ``arr``.

    >>> t = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> t[np.tril_indices_from(t)]
    tensor([1., 3., 4.], requires_grad=True)
    """
    return _index_arrays(np.tril_indices_from, arr, k)


@implements(np.triu_indices_from)
def triu_indices_from(arr, k=0) -> tuple:
    """``np.triu_indices_from``: the indices of the upper triangle of a 2-D ``arr``.

    >>> np.triu_indices_from(ad.tensor([[1.0, 2.0], [3.0, 4.0]]), k=1)
    (array([0]), array([1]))
    """
    return _index_arrays(np.triu_indices_from, arr, k)


@implements(np.diag_indices_from)
def diag_indices_from(arr) -> tuple:
    """``np.diag_indices_from``: the indices of the main diagonal of ``arr`` (every
    axis of the same length).

    >>> np.diag_indices_from(ad.tensor([[1.0, 2.0], [3.0, 4.0]]))
    (array([0, 1]), array([0, 1]))
    """
    return _index_arrays(np.diag_indices_from, arr)


implements_without_gradient(np.einsum_path, shape_only=True)
implements_without_gradient(np.lexsort)
implements_without_gradient(np.can_cast, np.common_type, shape_only=True)
implements_without_gradient(np.min_scalar_type, np.shares_memory, np.may_share_memory,
                            np.array_equiv, np.ix_, np.unravel_index, np.ravel_multi_index,
                            np.packbits, np.unpackbits)


def refuse_saving_while_tracing(name: str) -> None:
    """Saving inside a compiled function would run only while tracing."""
    from ..compile.refusals import refuse_while_tracing     # (the compile package imports ops)
    refuse_while_tracing(name, "it writes the values out, which a replay would not do again",
                         "Return the values and save them outside the compiled function")


def _saved_with(numpy_function):
    name = f"numpy.{numpy_function.__name__}"

    def save(*args, **kwargs):
        refuse_saving_while_tracing(name)
        args = [a.data if isinstance(a, Tensor) else a for a in args]
        kwargs = {k: v.data if isinstance(v, Tensor) else v for k, v in kwargs.items()}
        return numpy_function(*args, **kwargs)
    save.__name__ = numpy_function.__name__
    save.__doc__ = (f"``{name}`` of the values (as of ``t.data``), without history; "
                    "refused inside ``ad.compile``.")
    implements(numpy_function)(save)


for _saving in (np.save, np.savez, np.savez_compressed, np.savetxt):
    _saved_with(_saving)
