"""``np.multiply.at`` and ``np.divide.at`` on Tensors: unbuffered scaling in place.

``np.multiply.at(t, indices, values)`` multiplies each entry of ``t`` by every value
whose index names it, in order, as ``t[k] * v1 * v2 ...`` (``np.divide.at`` divides).
The forward is NumPy's own ``ufunc.at`` on a copy, so the values are NumPy's to the
bit; ``ufunc_at`` (``ufunc_at.py``) writes the result back into ``t`` in place.

The gradient of entry ``k``'s result ``a[k] * P[k]``, ``P[k]`` the product of its
values, is ``P[k]`` for ``a[k]`` and ``a[k]`` times the product of the *other* values
for each value.  That product is taken without dividing (a value may be 0): the values
are sorted by the entry they scale, and running products within each entry's run,
from the left and from the right, are multiplied, as ``prod``'s exclusive products
(``multiplicative.py``).  The running products are a doubling scan of ``log2`` of the
longest run steps, every step a product and a ``where``, so the rules differentiate
again to any order.  ``np.divide.at`` gives ``a[k] / P[k]``: ``g / P`` for ``a`` and
``-g * ans / v`` for each value (the forward divided by ``v`` already).

>>> counts = ad.ones(3)
>>> np.multiply.at(counts, np.array([0, 2, 0]), ad.tensor([2.0, 3.0, 5.0])); counts
tensor([10.,  1.,  3.])
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..tensor import Tensor
from .registry import defop


class _Runs(NamedTuple):
    """Where the values of a ``ufunc.at`` land, as constants: ``positions[i]``, the flat
    index into ``a`` that value ``i`` (of the values raveled) scales; ``order``, the
    values sorted stably by position; ``unsorted``, its inverse; ``first`` and
    ``last``, for each sorted value, the place of its run's first and last value;
    ``product_of``, for each flat entry of ``a``, its run's number, or the number of
    runs for an entry no value scales."""
    positions: np.ndarray
    order: np.ndarray
    unsorted: np.ndarray
    first: np.ndarray
    last: np.ndarray
    product_of: np.ndarray


def _runs(shape, key) -> _Runs:
    """The runs of the values of ``ufunc.at(a, key, values)`` for ``a`` of ``shape``
    (at least one value)."""
    size = int(np.prod(shape))
    positions = np.arange(size, dtype=np.intp).reshape(shape)[key].ravel()
    order = np.argsort(positions, kind="stable")
    ordered = positions[order]
    place = np.arange(ordered.size)
    new = ordered[1:] != ordered[:-1]
    starts, ends = np.append(True, new), np.append(new, True)
    first = np.maximum.accumulate(np.where(starts, place, 0))
    last = np.minimum.accumulate(np.where(ends, place, ordered.size)[::-1])[::-1]
    product_of = np.full(size, np.count_nonzero(starts), dtype=np.intp)
    product_of[ordered[starts]] = np.arange(np.count_nonzero(starts))
    return _Runs(positions, order, np.argsort(order), first, last, product_of)


def _running_products(xp, values, first):
    """The product of ``values[first[i] .. i]`` at each ``i``: a doubling scan, step
    ``d`` multiplying in the running product ``d`` places back when it is in the run."""
    place = np.arange(first.size)
    ones = np.ones(1, dtype=_raw(values).dtype)
    running, step = values, 1
    while step < first.size:
        reaches = place - step >= first
        if not reaches.any():
            break
        back = xp.concatenate([np.repeat(ones, step), running[:-step]])
        running = running * xp.where(reaches, back, 1)
        step *= 2
    return running


def _shifted_right(xp, running, first):
    """The product of the values before each in its run: ``running`` one place back,
    1 at a run's start."""
    ones = np.ones(1, dtype=_raw(running).dtype)
    back = xp.concatenate([ones, running[:-1]])
    return xp.where(np.arange(first.size) > first, back, 1)


def _flat_values(xp, b, runs):
    return xp.reshape(b, (-1,))[runs.order]


def _products_of_the_others(xp, b, runs):
    """For each value (in ``b``'s shape), the product of the other values in its run."""
    ordered = _flat_values(xp, b, runs)
    before = _shifted_right(xp, _running_products(xp, ordered, runs.first), runs.first)
    n = runs.first.size
    mirrored_first = (n - 1 - runs.last)[::-1]
    reversed_running = _running_products(xp, xp.flip(ordered, 0), mirrored_first)
    after = xp.flip(_shifted_right(xp, reversed_running, mirrored_first), 0)
    return xp.reshape((before * after)[runs.unsorted], np.shape(b))


def _run_products(xp, a, b, runs):
    """``P``, in ``a``'s shape: each entry's product of its values, 1 where none."""
    ordered = _flat_values(xp, b, runs)
    run_ends = np.flatnonzero(runs.last == np.arange(runs.last.size))
    totals = _running_products(xp, ordered, runs.first)[run_ends]
    ones = np.ones(1, dtype=_raw(totals).dtype)
    return xp.reshape(xp.concatenate([totals, ones])[runs.product_of], np.shape(a))


def _raw(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _flat_at(xp, x, runs, shape):
    return xp.reshape(xp.reshape(x, (-1,))[runs.positions], shape)


def _no_values(b) -> bool:
    return b.size == 0


def _multiply_b(xp, g, ans, a, b, key):
    if _no_values(b):
        return xp.zeros_like(b)
    runs = _runs(a.shape, key)
    scaled = _flat_at(xp, g * a, runs, b.shape)
    return scaled * _products_of_the_others(xp, b, runs)


def _multiply_a(xp, g, ans, a, b, key):
    if _no_values(b):
        return g
    return g * _run_products(xp, a, b, _runs(a.shape, key))


def _divide_a(xp, g, ans, a, b, key):
    if _no_values(b):
        return g
    return g / _run_products(xp, a, b, _runs(a.shape, key))


def _divide_b(xp, g, ans, a, b, key):
    if _no_values(b):
        return xp.zeros_like(b)
    runs = _runs(a.shape, key)
    return -_flat_at(xp, g * ans, runs, b.shape) / b


def _numpy_at(ufunc):
    """NumPy's ``ufunc.at`` on a Tensor: ``ufunc_at``, which checks the call as NumPy
    does and writes the op's result back in place."""
    def at(a, indices, b=None):
        from .ufunc_at import ufunc_at      # (it imports this module)
        return ufunc_at(ufunc, a, indices, b)
    return at


def _at_op(ufunc, verb, rules, formulas, example):
    name = ufunc.__name__

    def forward(a, b, key):
        out = np.array(a, copy=True)
        ufunc.at(out, key, b)
        return out
    forward.__name__ = f"_{name}_at_forward"
    return defop(
        f"{name}_at", forward, scatters=True, index_inputs={2: "indices"},
        numpy={ufunc.at: _numpy_at(ufunc)},
        doc=f"A copy of a with each entry {verb} by the values of b at key, in "
            f"order, as ``np.{name}.at`` (which writes it back into a).\n\n"
            ">>> t = ad.full(3, 60.0)\n"
            f">>> np.{name}.at(t, np.array([0, 2, 0]), ad.tensor([2.0, 3.0, 5.0])); t\n"
            + example,
        a=(formulas[0], rules[0]), b=(formulas[1], rules[1]), key=None,
        # (a's rule reads only its shape, but names it)
        reads={"a": ("a", "b"), "b": ("a", "b", "ans")})


multiply_at = _at_op(
    np.multiply, "multiplied", (_multiply_a, _multiply_b),
    ("g times the product of the values at each entry",
     "g[key] * a[key] times the product of the other values at the entry"),
    "tensor([600.,  60., 180.])")
divide_at = _at_op(
    np.divide, "divided", (_divide_a, _divide_b),
    ("g over the product of the values at each entry", "-g[key] * ans[key] / b"),
    "tensor([ 6., 60., 20.])")
