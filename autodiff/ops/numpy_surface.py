"""The NumPy callables of the trigonometric, cumulative, rearranging ... families, and
the helpers their rules call as ``xp.<name>``, added to the interop tables and to
both rule namespaces."""

from __future__ import annotations

import numpy as np

from .. import interop
from . import (complex_parts, cumulative, diagonals, exponentials, multiplicative, ordering,
               piecewise, ranges, rearrange, replicate, statistics, trig)
from . import compare
from . import elementwise as ew
from . import shape
from .namespace import add_to_namespaces

_no_extras = interop._no_extras


def _reduction(name, op, *, ddof=False):
    def adapter(a, axis=None, dtype=None, out=None, keepdims=False, initial=None,
                where=None, ddof=0, **rest):
        _no_extras(name, dtype=dtype, out=out, initial=initial, where=where, **rest)
        if ddof:
            return op(a, axis=axis, keepdims=bool(keepdims), ddof=ddof)
        return op(a, axis=axis, keepdims=bool(keepdims))
    return adapter


def _cumulative(name, op):
    def adapter(a, axis=None, dtype=None, out=None):
        _no_extras(name, dtype=dtype, out=out)
        return op(a, axis)
    return adapter


def _flip(m, axis=None):
    return rearrange.flip(m, axis)


def _roll(a, shift, axis=None):
    return rearrange.roll(a, shift, axis)


def _diag(v, k=0):
    return diagonals.diag(v, k)


UFUNCS = {**trig.NUMPY, **exponentials.NUMPY, **piecewise.NUMPY_UFUNCS,
          **complex_parts.NUMPY_UFUNCS}
FUNCTIONS = {
    **piecewise.NUMPY_FUNCTIONS, **rearrange.NUMPY_FUNCTIONS, **replicate.NUMPY_FUNCTIONS,
    **diagonals.NUMPY_FUNCTIONS, **ordering.NUMPY_FUNCTIONS, **ranges.NUMPY_FUNCTIONS,
    **complex_parts.NUMPY_FUNCTIONS,
    np.cumsum: _cumulative("cumsum", cumulative.cumsum), np.diff: cumulative.diff,
    np.cumprod: _cumulative("cumprod", multiplicative.cumprod),
    np.prod: _reduction("prod", multiplicative.prod),
    np.std: _reduction("std", statistics.std, ddof=True),
    np.flip: _flip, np.roll: _roll, np.diag: _diag,
}
interop.UFUNCS.update(UFUNCS)
interop.FUNCTIONS.update(FUNCTIONS)

for _name, _numpy, _op in [
    ("cosh", np.cosh, trig.cosh), ("sinh", np.sinh, trig.sinh),
    ("cumsum", np.cumsum, cumulative.cumsum), ("cumprod", np.cumprod, multiplicative.cumprod),
    ("flip", np.flip, rearrange.flip), ("roll", np.roll, rearrange.roll),
    ("concatenate", np.concatenate, shape.concatenate),
    ("take_along_axis", np.take_along_axis, ordering.take_along_axis),
    ("isfinite", np.isfinite, compare.isfinite), ("floor", np.floor, ew.floor),
]:
    add_to_namespaces(_name, _numpy, _op)
