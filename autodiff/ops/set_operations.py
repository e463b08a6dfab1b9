"""NumPy's set operations on Tensors: ``np.union1d``, ``np.intersect1d``,
``np.setdiff1d`` and ``np.setxor1d``.

Each result is NumPy's own (sorted, each value once), with its values gathered from
the inputs (a ``take`` of both inputs flattened and joined), so a value's gradient goes
to the entry it was read from.  A value that occurs more than once (in one input, or in
both) is read at its first occurrence, ``ar1`` before ``ar2``, as ``np.unique`` reads
it: an ``intersect1d`` value always comes from ``ar1``.  (Where values coincide the
result is not differentiable: moving one of them apart changes which values there are;
this is the one-sided choice ``np.unique`` makes too.)  Which values there are is read
from the data, so ``ad.compile`` refuses these inside a compiled function.
"""

from __future__ import annotations

import numpy as np

from ..compile.refusals import refuse_traced_values
from ..tensor import Tensor
from .assemble import _first_occurrences
from .elementwise import astype
from .indexing import take
from .numpy_dispatch import implements
from .operands import tensor_of
from .rearrange import ravel
from .shape import concatenate


def _gathered(numpy_function, ar1, ar2, **options):
    """``numpy_function``'s result on the data, its values taken from ``ar1`` and ``ar2``."""
    name = numpy_function.__name__
    a, b = tensor_of(ar1), tensor_of(ar2)
    for t in (a, b):
        refuse_traced_values(t, name, "which values the result holds depends on the values",
                             f"Call {name} outside the compiled function")
    result = numpy_function(a.data, b.data, **options)
    found = result if isinstance(result, np.ndarray) else result[0]
    joined = concatenate([ravel(a), ravel(b)])
    first = _first_occurrences(found, joined.data, None, equal_nan=False)
    values = take(joined, first)
    if values.dtype != found.dtype:         # setdiff1d keeps ar1's dtype
        values = astype(values, found.dtype)
    if isinstance(result, np.ndarray):
        return values
    return (values,) + tuple(result[1:])


@implements(np.union1d)
def union1d(ar1, ar2) -> Tensor:
    """The sorted values in either input, each once, as ``np.union1d``; each value's
    gradient goes to its first occurrence (in ``ar1``, else in ``ar2``).

    >>> a = ad.tensor([3.0, 1.0], requires_grad=True)
    >>> b = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> u = np.union1d(a, b); u.sum().backward(); u, a.grad, b.grad
    (tensor([1., 2., 3.], requires_grad=True), array([1., 1.]), array([0., 1.]))
    """
    # np.union1d concatenates its operands as given, so a Python number takes the
    # other's dtype (float32 with a float32 array); intersect1d's asarray makes it float64
    return _gathered(np.union1d, tensor_of(ar1, ar2), tensor_of(ar2, ar1))


@implements(np.intersect1d)
def intersect1d(ar1, ar2, assume_unique=False, return_indices=False):
    """The sorted values in both inputs, each once, as ``np.intersect1d`` (with its
    index arrays when ``return_indices``); the values are read from ``ar1`` (the first
    occurrence), so ``ar2`` gets no gradient.

    >>> a = ad.tensor([2.0, 5.0, 1.0], requires_grad=True)
    >>> v = np.intersect1d(a, ad.tensor([1.0, 2.0])); (3 * v).sum().backward(); v, a.grad
    (tensor([1., 2.], requires_grad=True), array([3., 0., 3.]))
    """
    return _gathered(np.intersect1d, ar1, ar2, assume_unique=assume_unique,
                     return_indices=return_indices)


@implements(np.setdiff1d)
def setdiff1d(ar1, ar2, assume_unique=False) -> Tensor:
    """The values of ``ar1`` not in ``ar2``, as ``np.setdiff1d`` (sorted and each once
    unless ``assume_unique``); each is read from its first occurrence in ``ar1``, and
    ``ar2`` (which only removes values) gets no gradient.

    >>> a = ad.tensor([4.0, 1.0, 4.0], requires_grad=True)
    >>> d = np.setdiff1d(a, ad.tensor([1.0])); d.sum().backward(); d, a.grad
    (tensor([4.], requires_grad=True), array([1., 0., 0.]))
    """
    return _gathered(np.setdiff1d, ar1, ar2, assume_unique=assume_unique)


@implements(np.setxor1d)
def setxor1d(ar1, ar2, assume_unique=False) -> Tensor:
    """The sorted values in exactly one of the inputs, each once, as ``np.setxor1d``;
    each is read from its first occurrence (in the input that holds it).

    >>> a = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> b = ad.tensor([2.0, 3.0], requires_grad=True)
    >>> x = np.setxor1d(a, b); x.sum().backward(); x, a.grad, b.grad
    (tensor([1., 3.], requires_grad=True), array([1., 0.]), array([0., 1.]))
    """
    return _gathered(np.setxor1d, ar1, ar2, assume_unique=assume_unique)
