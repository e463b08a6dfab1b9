"""NumPy's signal functions on Tensors, each built from existing ops (the gradients are
theirs).

- ``convolve`` and ``correlate`` (modes 'full', 'same', 'valid' and NumPy's swap of a
  shorter first argument): the windows of the zero-padded longer input are gathered
  with ``take`` and multiplied by the other input with ``matmul``, a block of taps at
  a time, so a long input costs a few products, not a loop over its elements. Each
  output is a dot, as NumPy's, so the values are NumPy's to the bit, except possibly
  at the edges of modes 'same' and 'full' with many taps: NumPy dots only the overlap
  there, and once the BLAS dot sums in blocks (16 taps or more with OpenBLAS on x86),
  a dot padded with zeros can differ from it in the last bit.  Two float16 inputs are
  summed in float32 tap by tap and rounded once, as NumPy's half-precision dot.
- ``unwrap``: the input plus NumPy's correction, a piecewise constant (no gradient).
- ``ediff1d`` and ``trim_zeros`` (its length depends on the values: the gradient
  flows to the kept entries).
- ``bincount`` with ``weights`` (``index_add`` of the weights; the counts themselves
  have no gradient), ``apply_along_axis`` (``func1d`` on each 1-D slice, stacked) and
  ``piecewise`` (each function on the entries its condition selects).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from ..compile.hooks import made
from ..compile.refusals import refuse_traced_values, refuse_while_tracing
from ..tensor import Tensor
from .complex_parts import conj
from .elementwise import astype, copy, where
from .indexing import index_add, setitem, take
from .linalg import matmul
from .numpy_dispatch import implements
from .operands import array_of, tensor_of
from .rearrange import flip, moveaxis
from .shape import array, concatenate, flatten, reshape, stack, transpose

#: Elements gathered for one product of windows and taps (8 MB of float64): longer
#: inputs are multiplied a block of taps at a time.
WINDOW_BUDGET = 1 << 20

_MODES = ("valid", "same", "full")


def _result(value):
    """A function's result as a Tensor (a list of Tensors stacked, as NumPy would)."""
    if isinstance(value, (list, tuple)):
        return array(value)
    return tensor_of(value)


def _mode(name, mode):
    if isinstance(mode, str) and mode in _MODES:
        return mode
    if isinstance(mode, (int, np.integer)) and 0 <= mode <= 2:
        return _MODES[int(mode)]
    raise ValueError(f"{name}: mode must be one of 'valid', 'same', 'full' (or 0, 1, 2), "
                     f"got {mode!r}")


def _vector(name, which, x, allow_scalar):
    """``x`` as a 1-D Tensor, with NumPy's refusals (and a 0-d ``x`` taken as length 1
    when ``allow_scalar``, as convolve does)."""
    x = tensor_of(x)
    if x.ndim == 0 and allow_scalar:
        x = reshape(x, (1,))
    if x.ndim != 1:
        raise ValueError(f"{name}: {which} must be 1-D, got shape {x.shape}; NumPy's "
                         f"{name} takes 1-D sequences only (flatten it, or use "
                         "np.apply_along_axis for each row)")
    if x.shape[0] == 0:
        raise ValueError(f"{name}: {which} cannot be empty (shape {x.shape})")
    return x


def _sliding_products(long, short, mode):
    """``sum_i long[k + i - offset] * short[i]`` for the outputs of ``mode`` (NumPy's
    correlate of 1-D ``long`` and ``short``, ``len(long) >= len(short)``, without
    conjugation); ``long`` reads as zero outside its entries."""
    n, m = long.shape[0], short.shape[0]
    first, length = {"full": (0, n + m - 1), "same": ((m - 1) // 2, n),
                     "valid": (m - 1, n - m + 1)}[mode]
    # NumPy converts both to their common type first (float32 with float64 sums in
    # float64, as two float64 sequences do)
    common = np.result_type(long.dtype, short.dtype)
    long, short = (x if x.dtype == common else astype(x, common) for x in (long, short))
    if long.dtype == short.dtype == np.float16:
        return _half_products(long, short, first, length)
    if m <= _SMALL_KERNEL and long.dtype == short.dtype and long.dtype.kind == "f":
        return _small_kernel_products(long, short, first, length)
    # each output at an edge as one dot of the overlap alone, as NumPy's correlate
    # (a dot over zeros padded in groups the sum otherwise, and differed in the last bit)
    pieces = [_overlap_dot(long[:k + 1], short[m - 1 - k:])
              for k in range(first, min(first + length, m - 1))]
    start, stop = max(first, m - 1), min(first + length, n)
    if start < stop:
        pieces.append(_full_overlaps(long, short, start, stop))
    pieces += [_overlap_dot(long[k - m + 1:], short[:n - 1 - k + m])
               for k in range(max(first, n), first + length)]
    return pieces[0] if len(pieces) == 1 else concatenate(pieces)


def _full_overlaps(long, short, start, stop):
    """The outputs ``start`` to ``stop`` of ``_sliding_products``, where ``short``
    lies wholly over ``long``."""
    m, length = short.shape[0], stop - start
    block = max(1, WINDOW_BUDGET // length)
    total = None
    for first_tap in range(0, m, block):
        last_tap = min(first_tap + block, m)
        positions = made("window positions", _window_positions,
                         (start - (m - 1), length, first_tap, last_tap))
        # One (1, taps) @ (taps, 1) product per output: NumPy's matmul runs each as a
        # dot, as np.correlate does, so the sums round as NumPy's (a matrix-vector
        # product sums in another order and differed in the last bit).
        windows = reshape(take(long, positions), (length, 1, last_tap - first_tap))
        part = reshape(matmul(windows, reshape(short[first_tap:last_tap],
                                               (last_tap - first_tap, 1))), (length,))
        total = part if total is None else total + part
    return total


#: The longest kernel NumPy's correlate sums tap by tap (``small_correlate``).
_SMALL_KERNEL = 11


def _small_kernel_products(long, short, first, length):
    """``_sliding_products`` summed as NumPy's correlate sums for a short kernel: the
    outputs where it covers ``long`` tap by tap from 0 (``small_correlate``; a BLAS
    dot may sum in another order, or wider, depending on the CPU's kernels), and each
    output at an edge as one dot of the overlap alone (NumPy's ``dot`` there)."""
    n, m = long.shape[0], short.shape[0]
    # NumPy's correlate reads contiguous copies (a BLAS dot of strided values, as a
    # column from np.apply_along_axis, sums in another order)
    long, short = (x if x.data.flags.c_contiguous else copy(x) for x in (long, short))
    pieces = []
    for k in range(first, min(first + length, m - 1)):          # the left edge
        pieces.append(_overlap_dot(long[:k + 1], short[m - 1 - k:]))
    start, stop = max(first, m - 1), min(first + length, n)      # full overlaps
    if start < stop:
        total = Tensor(made("zeros", np.zeros, (stop - start, long.dtype)))
        for tap in range(m):
            low = start - (m - 1) + tap
            total = total + long[low:low + stop - start] * short[tap]
        pieces.append(total)
    for k in range(max(first, n), first + length):              # the right edge
        pieces.append(_overlap_dot(long[k - m + 1:], short[:n - 1 - k + m]))
    return pieces[0] if len(pieces) == 1 else concatenate(pieces)


def _half_products(long, short, first, length):
    """``_sliding_products`` of two float16 inputs as NumPy sums them: its half-precision
    dot adds the products in float32, tap by tap from 0 over the overlap alone, and
    rounds once to float16 (a product of two halves is exact in float32).  Taps off
    the ends of ``long`` add nothing: ``where`` puts an exact 0 there, which leaves
    a sum begun at +0 unchanged."""
    n, m = long.shape[0], short.shape[0]
    wide_long, wide_short = astype(long, np.float32), astype(short, np.float32)
    padding = Tensor(made("zeros", np.zeros, (m - 1, np.float32)))
    padded = concatenate([padding, wide_long, padding])
    total = Tensor(made("zeros", np.zeros, (length, np.float32)))
    for tap in range(m):
        start = first + tap
        inside = made("inside the signal", _inside_signal, (n, m, start, length))
        total = total + where(inside, padded[start:start + length] * wide_short[tap], 0.0)
    return astype(total, np.float16)


def _inside_signal(n, m, start, length):
    """Which of the entries ``start`` to ``start + length`` of a signal of length ``n``
    padded by ``m - 1`` zeros at each end are the signal's."""
    positions = np.arange(start, start + length)
    return (positions >= m - 1) & (positions < n + m - 1)


def _overlap_dot(a, b):
    """``a @ b`` of two 1-D pieces as a 1-element vector (NumPy's matmul runs it as a
    dot, as np.correlate does at the edges)."""
    return reshape(matmul(reshape(a, (1, a.shape[0])), reshape(b, (b.shape[0], 1))), (1,))


def _window_positions(first, length, start, stop):
    """Row r, column c: the entry of the padded signal under tap ``start + c`` of
    output ``first + r``."""
    return np.arange(first, first + length)[:, None] + np.arange(start, stop)


@implements(np.convolve)
def convolve(a, v, mode="full") -> Tensor:
    """Discrete linear convolution of two 1-D sequences, as ``np.convolve`` (the longer
    one slides; 0-d inputs are length 1); gradients in both.

    >>> a = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = np.convolve(a, [0.0, 1.0, 0.5], mode="same")
    >>> y.sum().backward(); y, a.grad
    (tensor([1. , 2.5, 4. ], requires_grad=True), array([1.5, 1.5, 1. ]))
    """
    mode = _mode("convolve", mode)
    a = _vector("convolve", "a", a, allow_scalar=True)
    v = _vector("convolve", "v", v, allow_scalar=True)
    if v.shape[0] > a.shape[0]:
        a, v = v, a
    # v reversed by a gather, not a view: NumPy reverses into a contiguous copy, whose
    # dots round as NumPy's (a reversed view's dots sum in another order)
    reversed_taps = made("reversed taps", _reversed_positions, (v.shape[0],))
    return _sliding_products(a, take(v, reversed_taps), mode)


def _reversed_positions(n):
    return np.arange(n - 1, -1, -1)


@implements(np.correlate)
def correlate(a, v, mode="valid") -> Tensor:
    """Cross-correlation ``c[k] = sum_n a[n + k] * conj(v[n])`` of two 1-D sequences, as
    ``np.correlate`` (when v is longer, NumPy's reversed result of the swapped call,
    which shifts mode 'same'); gradients in both.

    >>> a = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = np.correlate(a, [0.0, 1.0, 0.5], mode="full")
    >>> y.sum().backward(); y, a.grad
    (tensor([0.5, 2. , 3.5, 3. , 0. ], requires_grad=True), array([1.5, 1.5, 1.5]))
    """
    mode = _mode("correlate", mode)
    a = _vector("correlate", "a (the first argument)", a, allow_scalar=False)
    v = _vector("correlate", "v (the second argument)", v, allow_scalar=False)
    if np.iscomplexobj(v.data):
        v = conj(v)
    if v.shape[0] > a.shape[0]:
        return flip(_sliding_products(v, a, mode))
    return _sliding_products(a, v, mode)


# --- unwrap, ediff1d, trim_zeros -----------------------------------------------------

def _unwrap_correction(p, discont, axis, period):
    """NumPy's running phase correction of ``p`` (an array) along ``axis``, and the dtype
    of the unwrapped result."""
    dd = np.diff(p, axis=axis)
    if discont is None:
        discont = period / 2
    dtype = np.result_type(dd, period)
    if np.issubdtype(dtype, np.integer):
        interval_high, rem = divmod(period, 2)
        boundary_ambiguous = rem == 0
    else:
        interval_high = period / 2
        boundary_ambiguous = True
    interval_low = -interval_high
    ddmod = np.mod(dd - interval_low, period) + interval_low
    if boundary_ambiguous:
        np.copyto(ddmod, interval_high, where=(ddmod == interval_low) & (dd > 0))
    ph_correct = ddmod - dd
    np.copyto(ph_correct, 0, where=abs(dd) < discont)
    return ph_correct.cumsum(axis), dtype


@implements(np.unwrap)
def unwrap(p, discont=None, axis=-1, *, period=2 * np.pi) -> Tensor:
    """``p`` with jumps larger than ``discont`` along ``axis`` brought back by multiples
    of ``period``, as ``np.unwrap``.  The correction is piecewise constant, so the
    gradient is that of ``p``; ``discont`` and ``period`` are constants.

    >>> p = ad.tensor([0.0, 3.0, 6.5], requires_grad=True)
    >>> y = np.unwrap(p, period=4.0)
    >>> y.sum().backward(); y, p.grad
    (tensor([ 0. , -1. , -1.5], requires_grad=True), array([1., 1., 1.]))
    """
    for name, value in (("discont", discont), ("period", period)):
        if isinstance(value, Tensor):
            raise TypeError(f"unwrap: {name} must be a number (a constant), got a Tensor "
                            f"of shape {value.shape}; pass float({name})")
    p = tensor_of(p)
    # (computed from the values: ad.compile computes it again at each replay)
    correction = made("unwrap correction", _unwrap_correction_cast,
                      (p.data, discont, axis, period))
    axis = normalize_axis_index(axis, p.ndim)
    p = astype(p, correction.dtype) if p.dtype != correction.dtype else p
    if p.shape[axis] == 0:
        return p
    head = (slice(None),) * axis + (slice(0, 1),)
    tail = (slice(None),) * axis + (slice(1, None),)
    return concatenate([p[head], p[tail] + correction], axis=axis)


def _unwrap_correction_cast(p, discont, axis, period):
    """``_unwrap_correction`` in the dtype of the unwrapped result."""
    correction, dtype = _unwrap_correction(p, discont, axis, period)
    return correction.astype(dtype, copy=False)


def _ends(name, values, dtype):
    """``to_begin`` / ``to_end`` of ediff1d flattened and cast to ``dtype`` (NumPy's
    same-kind rule)."""
    if values is None:
        return []
    values = tensor_of(values)
    if not np.can_cast(values.dtype, dtype, casting="same_kind"):
        raise TypeError(f"ediff1d: dtype of `{name}` ({values.dtype}) must be compatible "
                        f"with the input's dtype ({dtype}) under the `same_kind` rule; "
                        f"cast it first")
    values = flatten(values)
    return [astype(values, dtype) if values.dtype != dtype else values]


@implements(np.ediff1d)
def ediff1d(ary, to_end=None, to_begin=None) -> Tensor:
    """Differences of consecutive entries of the flattened ``ary``, with ``to_begin``
    and ``to_end`` put around them, as ``np.ediff1d`` (in ``ary``'s dtype); gradients
    in all three.

    >>> x = ad.tensor([1.0, 4.0, 9.0], requires_grad=True)
    >>> y = np.ediff1d(x, to_begin=0.0)
    >>> y.sum().backward(); y, x.grad
    (tensor([0., 3., 5.], requires_grad=True), array([-1.,  0.,  1.]))
    """
    flat = flatten(tensor_of(ary))
    begin = _ends("to_begin", to_begin, flat.dtype)
    end = _ends("to_end", to_end, flat.dtype)
    differences = flat[1:] - flat[:-1]
    if not begin and not end:
        return differences
    return concatenate(begin + [differences] + end)


@implements(np.trim_zeros)
def trim_zeros(filt, trim="fb", axis=None) -> Tensor:
    """``filt`` without its leading ('f') and/or trailing ('b') zeros along ``axis``
    (all axes when None: the box around the nonzero entries), as ``np.trim_zeros``.
    The length depends on the values; the gradient flows to the kept entries.

    >>> x = ad.tensor([0.0, 2.0, 0.0, 3.0, 0.0], requires_grad=True)
    >>> y = np.trim_zeros(x)
    >>> y.sum().backward(); y, x.grad
    (tensor([2., 0., 3.], requires_grad=True), array([0., 1., 1., 1., 0.]))
    """
    refuse_while_tracing("trim_zeros", "the length of its result depends on the values",
                         "Call it outside the compiled function, or slice with known "
                         "bounds")
    filt = tensor_of(filt)
    trim = trim.lower()
    if trim not in {"fb", "bf", "f", "b"}:
        raise ValueError(f"trim_zeros: unexpected character(s) in `trim`: {trim!r} "
                         "(use 'f', 'b' or 'fb')")
    axes = (tuple(range(filt.ndim)) if axis is None
            else normalize_axis_tuple(axis, filt.ndim, argname="axis"))
    if not axes:
        return filt
    nonzero = np.argwhere(filt.data)
    if nonzero.size == 0:
        start = stop = [0] * filt.ndim
    else:
        start = nonzero.min(axis=0) if "f" in trim else [None] * filt.ndim
        stop = nonzero.max(axis=0) + 1 if "b" in trim else [None] * filt.ndim
    key = tuple(slice(start[ax], stop[ax]) if ax in axes else slice(None)
                for ax in range(filt.ndim))
    return filt[key]


# --- bincount, apply_along_axis, piecewise -----------------------------------------

@implements(np.bincount)
def bincount(x, weights=None, minlength=0) -> Tensor:
    """How often each value occurs in the non-negative integers ``x``, or with
    ``weights`` the sum of the weights at each value, as ``np.bincount`` (float64).
    The weights' gradient is ``g`` gathered at ``x``; ``x`` (indices) has none.

    >>> w = ad.tensor([0.5, 1.0, 2.0], requires_grad=True)
    >>> y = np.bincount([0, 2, 2], weights=w)
    >>> (y * ad.tensor([1.0, 10.0, 100.0])).sum().backward(); y, w.grad
    (tensor([0.5, 0. , 3. ], requires_grad=True), array([  1., 100., 100.]))
    """
    refuse_traced_values(
        x, "bincount", "the length of its result is the largest value of x (a tensor) "
        "plus one",
        "Call it outside the compiled function, or sum into a length fixed in "
        "advance: ad.index_add(weights, (n,), x)")
    indices = array_of(x)
    counts = np.bincount(indices, minlength=array_of(minlength))   # NumPy's checks of x
    if weights is None:
        return Tensor(counts)
    weights = tensor_of(weights)
    if weights.dtype.kind == "c":
        raise TypeError(f"bincount: weights of dtype {weights.dtype} are not supported "
                        "(NumPy casts them to float64, dropping the imaginary part); pass "
                        "weights.real")
    if weights.shape != np.shape(indices):
        raise ValueError(f"bincount: weights (shape {weights.shape}) and x (shape "
                         f"{np.shape(indices)}) must have the same length")
    if weights.shape[0] == 0:            # (NumPy gives integer zeros when there is none)
        return Tensor(counts)
    weights = astype(weights, np.float64) if weights.dtype != np.float64 else weights
    return index_add(weights, counts.shape, np.asarray(indices, dtype=np.intp))


@implements(np.apply_along_axis)
def apply_along_axis(func1d, axis, arr, *args, **kwargs) -> Tensor:
    """``func1d`` applied to each 1-D slice of ``arr`` along ``axis``, the results
    stacked in its place, as ``np.apply_along_axis``.  Differentiable wherever
    ``func1d`` is written with Tensor-aware code (NumPy functions, operators).

    >>> x = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = np.apply_along_axis(lambda row: row[0] * row[1], 1, x)
    >>> y.sum().backward(); y, x.grad
    (tensor([ 2., 12.], requires_grad=True), array([[2., 1.],
           [4., 3.]]))
    """
    arr = tensor_of(arr)
    axis = normalize_axis_index(axis, arr.ndim)
    lanes = moveaxis(arr, axis, -1)
    outer = lanes.shape[:-1]
    if 0 in outer:
        raise ValueError(f"apply_along_axis: cannot apply along axis {axis} of an array of "
                         f"shape {arr.shape}: another axis is empty (NumPy refuses too)")
    results = []
    for index in np.ndindex(outer):
        result = _result(func1d(lanes[index], *args, **kwargs))
        if results and result.shape != results[0].shape:
            raise ValueError(f"apply_along_axis: func1d returned shape {result.shape} for "
                             f"the slice at {index}, but {results[0].shape} for the first "
                             "one; every slice must give the same shape")
        if results and result.dtype != results[0].dtype:
            result = astype(result, results[0].dtype)      # (NumPy: the first result's)
        results.append(result)
    stacked = reshape(stack(results), outer + results[0].shape)
    result_axes = results[0].ndim
    order = (list(range(axis)) + list(range(len(outer), len(outer) + result_axes))
             + list(range(axis, len(outer))))
    return transpose(stacked, order) if order != sorted(order) else stacked


# Keywords NumPy's dispatch would otherwise check as its own (out=, dtype=, ...) belong
# to the function called here.
_PASSED_ON = ("out", "where", "dtype", "casting", "order", "subok", "initial")
apply_along_axis.numpy_kwargs = _PASSED_ON


def _conditions(condlist, x_ndim, x_shape):
    conditions = [array_of(c) for c in condlist] if isinstance(condlist, (list, tuple)) \
        else array_of(condlist)
    if np.isscalar(conditions) or (
            not isinstance(conditions[0], (list, np.ndarray)) and x_ndim != 0):
        conditions = [conditions]
    conditions = np.asarray(conditions, dtype=bool)
    if conditions.shape[1:] != x_shape:
        try:
            conditions = np.broadcast_to(conditions, conditions.shape[:1] + x_shape)
        except ValueError:
            raise ValueError(f"piecewise: the conditions (shape {conditions.shape[1:]}) "
                             f"must have x's shape {x_shape}") from None
    return conditions


@implements(np.piecewise)
def piecewise(x, condlist, funclist, *args, **kw) -> Tensor:
    """``funclist[i]`` (a function of the selected entries, or a value) where
    ``condlist[i]`` holds, later conditions winning, an extra function for where none
    holds, 0 elsewhere; as ``np.piecewise`` (in x's dtype).  Gradients flow through the
    functions (and to Tensor values).

    >>> x = ad.tensor([-2.0, 1.0, 3.0], requires_grad=True)
    >>> y = np.piecewise(x, [x.data < 0, x.data > 2], [lambda t: -t, lambda t: t * t, 0.5])
    >>> y.sum().backward(); y, x.grad
    (tensor([2. , 0.5, 9. ], requires_grad=True), array([-1.,  0.,  6.]))
    """
    x = tensor_of(x)
    if any(isinstance(c, (Tensor, np.ndarray))
           for c in (condlist if isinstance(condlist, (list, tuple)) else (condlist,))):
        refuse_while_tracing(
            "np.piecewise", "it gives each function only the entries its condition "
            "selects, so how many (the shape the function sees) is read from the values "
            "of the conditions, which may differ at each call", "Write it with "
            "np.select([cond, ...], [f(x), ...]) or ad.where(cond, f(x), g(x)), which a "
            "replay computes again (each function then sees all of x), or call "
            "np.piecewise outside the compiled function.")
    conditions = _conditions(condlist, x.ndim, x.shape)
    n = len(conditions)
    if n == len(funclist) - 1:
        otherwise = ~np.any(conditions, axis=0, keepdims=True)
        conditions = np.concatenate([conditions, otherwise], axis=0)
    elif n != len(funclist):
        raise ValueError(f"piecewise: with {n} condition(s), either {n} or {n + 1} "
                         f"functions are expected, got {len(funclist)}")
    result = Tensor(np.zeros_like(x.data))
    for condition, func in zip(conditions, funclist):
        if not callable(func):
            value = tensor_of(func)
            if value.dtype != x.dtype:
                value = astype(value, x.dtype)
            result = where(condition, value, result)
        elif condition.any():
            value = _result(func(x[condition], *args, **kw))
            if value.dtype != x.dtype:
                value = astype(value, x.dtype)
            result = setitem(result, value, condition)
    return result


piecewise.numpy_kwargs = _PASSED_ON
