"""More of NumPy on Tensors, each built from existing ops (the gradients are theirs).

- ``nanvar``, ``nanstd``, ``nanprod``, ``nancumsum``, ``nancumprod``: NumPy's recipes
  (a NaN is replaced by 0 or 1 first, and gets zero gradient).  A lane with no degrees
  of freedom left (all NaN, or ``ddof`` too large) is NaN with NumPy's warning
  "Degrees of freedom <= 0 for slice." and passes zero gradient.
- ``cumulative_prod``: NumPy 2's cumprod with ``include_initial``.
- ``interp`` (gradient in ``x``, the slope of its segment, in ``fp`` and in the
  sample points ``xp``; ``period=`` as NumPy: the knots wrapped and sorted first; a
  complex ``fp`` part by part, with the slopes of NumPy's complex loop) and ``polyval``
  (Horner's scheme, gradient in ``p`` and ``x``).
- ``np.linalg.matrix_transpose``, ``diagonal``, ``trace``, ``matmul``: the existing
  ops on the last two axes; ``np.linalg.matrix_rank`` runs without a gradient.
- ``apply_over_axes``: NumPy's loop run on the Tensor, so each call of the function
  is recorded.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..compile.hooks import made
from ..tensor import Tensor
from .compare import isnan, logical_not
from .cumulative import cumsum, cumulative_along
from .diagonals import diagonal as _diagonal, trace as _trace
from .elementwise import astype, maximum, sqrt, stop_gradient, where
from .indexing import take
from .linalg import matmul as _matmul
from .masked_variance import warn_without_dof
from .multiplicative import cumprod, prod
from .nan_reductions import _floating, _refuse
from .numpy_dispatch import implements, implements_without_gradient
from .operands import array_of, tensor_of
from .piecewise import mod
from .rearrange import matrix_transpose as _matrix_transpose
from .reduce import ddof_of, masking_arguments, sum as _sum, var as _var
from .shape import concatenate, expand_dims

_NO_VALUE = np._NoValue
_nan_filled = where      # (where= is also the name of NumPy's mask argument)


def _keep(keepdims) -> bool:
    return False if keepdims is _NO_VALUE else bool(keepdims)


# --- NaN-skipping reductions and running reductions --------------------------------

def _masked(where, mean) -> bool:
    return masking_arguments(_NO_VALUE, where)["where"] is not None or mean is not _NO_VALUE


def _by_recipe(a, where, mean) -> bool:
    """Whether masked_variance computes it: with where= or mean=, for float16, whose
    counts past 2048 are not exact (NumPy divides by the integer count), and for
    complex values (NumPy sums re^2 + im^2 of the deviations)."""
    dtype = array_of(a).dtype
    return _masked(where, mean) or dtype == np.float16 or dtype.kind == "c"


def _with_dtype_or_out(public, name, a, axis, dtype, out, ddof, keepdims, where, mean,
                       correction):
    from .variance_dtype import variance_with
    ddof = ddof_of(name, ddof, correction)
    if not _floating(a):          # NumPy's nanvar of integers is its var
        var_or_std = np.var if name == "nanvar" else np.std
        return var_or_std(tensor_of(a), axis, dtype, out, ddof, _keep(keepdims), where=where,
                          mean=mean)
    return variance_with(name, a, axis, dtype, out, ddof, _keep(keepdims), where, mean,
                         lambda t: public(t, axis, None, None, ddof, keepdims, where=where,
                                          mean=mean))


def _nanvar(name, a, axis, dtype, out, ddof, keepdims, where, mean, correction):
    ddof = ddof_of(name, ddof, correction)
    keepdims = _keep(keepdims)
    if _by_recipe(a, where, mean):
        from .masked_variance import masked_variance
        return masked_variance(name, a, axis, keepdims, ddof, where, mean)
    a = tensor_of(a)
    if not _floating(a):
        return _var(a, axis=axis, keepdims=keepdims, ddof=ddof)
    missing = isnan(a)
    # counts as a's dtype: NumPy divides into the sum's dtype (float32 stays float32)
    count = astype(_sum(logical_not(missing), axis=axis, keepdims=True), a.dtype)
    total = _sum(_nan_filled(missing, 0, a), axis=axis, keepdims=True)
    mean_ = total / maximum(count, 1)          # (no 0 / 0 in the backward either)
    deviation = _nan_filled(missing, 0, a - mean_)
    squares = _sum(deviation * deviation, axis=axis, keepdims=keepdims)
    warn_without_dof(name, a, count, ddof)
    dof = count - ddof
    if not keepdims:
        dof = dof.reshape(squares.shape)
    if np.any(array_of(dof) <= 0):
        warnings.warn("Degrees of freedom <= 0 for slice.", RuntimeWarning, stacklevel=3)
    # recorded, not a Python branch: a compiled replay finds its own empty lanes
    bad = dof <= 0
    return _nan_filled(bad, np.nan, squares / _nan_filled(bad, 1, dof))


@implements(np.nanvar)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NO_VALUE, *,
           where=_NO_VALUE, mean=_NO_VALUE, correction=_NO_VALUE) -> Tensor:
    """Variance over ``axis`` of the entries that are not NaN, as ``np.nanvar``; NaN
    entries get zero gradient, a lane with ``n - ddof <= 0`` is NaN (NumPy's warning)
    and passes zero gradient (``np.var``'s such lane passes NaN, as PyTorch's ``var``
    of the same entries: a ``ConventionWarning`` at the user's line says so when such
    a lane has entries and ``a`` requires grad).

    >>> x = ad.tensor([1.0, np.nan, 3.0], requires_grad=True)
    >>> y = np.nanvar(x)
    >>> y.backward(); y, x.grad
    (tensor(1., requires_grad=True), array([-1.,  0.,  1.]))
    """
    if dtype is not None or out is not None:
        return _with_dtype_or_out(nanvar, "nanvar", a, axis, dtype, out, ddof, keepdims,
                                  where, mean, correction)
    return _nanvar("nanvar", a, axis, dtype, out, ddof, keepdims, where, mean, correction)


@implements(np.nanstd)
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NO_VALUE, *,
           where=_NO_VALUE, mean=_NO_VALUE, correction=_NO_VALUE) -> Tensor:
    """Standard deviation over ``axis`` ignoring NaN, as ``np.nanstd`` (the square root
    of ``nanvar``); where the lane's values are all equal the gradient is 0 (as
    ``ad.std``), NaN entries get none, nor does a lane with ``n - ddof <= 0`` (NaN, as
    ``nanvar``'s).

    >>> x = ad.tensor([[1.0, np.nan, 3.0]], requires_grad=True)
    >>> y = np.nanstd(x, axis=1)
    >>> y.sum().backward(); y, x.grad
    (tensor([1.], requires_grad=True), array([[-0.5,  0. ,  0.5]]))
    """
    if dtype is not None or out is not None:
        return _with_dtype_or_out(nanstd, "nanstd", a, axis, dtype, out, ddof, keepdims,
                                  where, mean, correction)
    variance = _nanvar("nanstd", a, axis, dtype, out, ddof, keepdims, where, mean,
                       correction)
    if _by_recipe(a, where, mean):       # (masked_variance has taken the root)
        return variance
    if not _floating(variance):
        return sqrt(variance)
    zero = variance == 0      # equal values: 0, not 0 * inf (recorded: a replay's own)
    return _nan_filled(zero, 0, sqrt(_nan_filled(zero, 1, variance)))


nanvar.numpy_kwargs = nanstd.numpy_kwargs = ("where", "mean", "dtype", "out")   # (interop)


def _nan_replaced(a, value):
    """``a`` as a Tensor with its NaN entries replaced by ``value`` (zero gradient there)."""
    a = tensor_of(a)
    return _nan_filled(isnan(a), value, a) if _floating(a) else a


@implements(np.nanprod)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=_NO_VALUE, initial=_NO_VALUE,
            where=_NO_VALUE) -> Tensor:
    """Product over ``axis`` treating NaN as 1, as ``np.nanprod``; NaN entries get zero
    gradient.

    >>> x = ad.tensor([2.0, np.nan, 3.0], requires_grad=True)
    >>> y = np.nanprod(x)
    >>> y.backward(); y, x.grad
    (tensor(6., requires_grad=True), array([3., 0., 2.]))
    """
    _refuse("nanprod", dtype=dtype, out=out)
    if any(v is not None for v in masking_arguments(initial, where).values()):
        from .masked_reductions import masked_reduction
        return masked_reduction("prod", _nan_replaced(a, 1), axis, _keep(keepdims), initial,
                                where, call="np.nanprod")
    return prod(_nan_replaced(a, 1), axis=axis, keepdims=_keep(keepdims))


nanprod.numpy_kwargs = ("initial", "where")     # (interop refuses them otherwise)


@implements(np.nancumsum)
def nancumsum(a, axis=None, dtype=None, out=None) -> Tensor:
    """Running sum along ``axis`` (flattened when None) treating NaN as 0, as
    ``np.nancumsum``; NaN entries get zero gradient.

    >>> x = ad.tensor([1.0, np.nan, 2.0], requires_grad=True)
    >>> y = np.nancumsum(x)
    >>> y.sum().backward(); y, x.grad
    (tensor([1., 1., 3.], requires_grad=True), array([3., 0., 1.]))
    """
    _refuse("nancumsum", dtype=dtype, out=out)
    return cumsum(_nan_replaced(a, 0), axis)


@implements(np.nancumprod)
def nancumprod(a, axis=None, dtype=None, out=None) -> Tensor:
    """Running product along ``axis`` (flattened when None) treating NaN as 1, as
    ``np.nancumprod``; NaN entries get zero gradient.

    >>> x = ad.tensor([2.0, np.nan, 3.0], requires_grad=True)
    >>> y = np.nancumprod(x)
    >>> y.sum().backward(); y, x.grad
    (tensor([2., 2., 6.], requires_grad=True), array([5., 0., 2.]))
    """
    _refuse("nancumprod", dtype=dtype, out=out)
    return cumprod(_nan_replaced(a, 1), axis)


@implements(np.cumulative_prod)
def cumulative_prod(x, /, *, axis=None, dtype=None, out=None,
                    include_initial=False) -> Tensor:
    """Running product along ``axis``, as ``np.cumulative_prod`` (NumPy 2's cumprod,
    which can start with the empty product 1: ``include_initial``).

    >>> np.cumulative_prod(ad.tensor([1.0, 2.0, 3.0]), include_initial=True)
    tensor([1., 1., 2., 6.])
    """
    _refuse("cumulative_prod", dtype=dtype, out=out)
    if axis is not None:
        axis = int(np.lib.array_utils.normalize_axis_index(axis, max(np.ndim(array_of(x)), 1)))
    return cumulative_along("cumulative_prod", x, axis, cumprod, 1, include_initial)


# --- interpolation and polynomials ---------------------------------------------------

def _finite_fp(fp):
    if not np.all(np.isfinite(fp)):
        # NumPy falls back to the other end of a segment where the formula gives NaN
        # (an infinite fp); this one would give NaN there, so it refuses instead.
        raise ValueError("interp: fp holds inf or NaN, which the differentiable version "
                         "does not take; interpolate finite values (or call np.interp on "
                         "the arrays, without a gradient)")
    return True


def _interp_grid(name, knots, raw):
    """Part ``name`` of where each of ``raw`` falls among ``knots`` (sorted, n > 0)."""
    n = knots.shape[0]
    position = np.searchsorted(knots, raw, side="right") - 1     # knots[j] <= x
    below, above = raw < knots[0], raw > knots[-1]
    start = np.clip(position, 0, n - 1)
    segment = np.clip(position, 0, n - 2)
    lo, hi = knots[segment], knots[np.minimum(segment + 1, n - 1)]
    width = hi - lo
    parts = {"below": lambda: below, "above": lambda: above, "start": lambda: start,
             "on knot": lambda: ~below & ~above & (knots[start] == raw),
             "segment": lambda: segment, "next": lambda: segment + 1, "lo": lambda: lo,
             "width": lambda: np.where(width == 0, 1.0, width)}  # (0: never selected)
    return parts[name]()


@implements(np.interp)
def interp(x, xp, fp, left=None, right=None, period=None) -> Tensor:
    """Piecewise-linear interpolation, as ``np.interp`` (float64 result, complex128 for
    a complex ``fp``, interpolated part by part as NumPy's loop does).  The gradient
    in ``x`` is the slope of its segment (at a knot, of the segment to its right; at
    the last knot, to its left; 0 outside ``[xp[0], xp[-1]]``), in ``fp`` the two
    interpolation weights, in ``xp`` that of moving the segment's ends (the knots
    stay in place: their order is read from the values); ``left``/``right`` may be
    Tensors.  ``period`` is a constant (angles: ``x`` and ``xp`` are taken modulo it,
    as NumPy does), and ``xp`` is then one too.

    >>> x = ad.tensor([0.5, 1.5], requires_grad=True)
    >>> y = np.interp(x, [0.0, 1.0, 2.0], [0.0, 2.0, 3.0])
    >>> y.sum().backward(); y, x.grad
    (tensor([1. , 2.5], requires_grad=True), array([2., 1.]))
    """
    if isinstance(period, Tensor) and period.requires_grad:
        raise TypeError("interp: no gradient with respect to period; pass it detached "
                        "(t.detach() or t.data)")
    moving_knots = isinstance(xp, Tensor) and xp.requires_grad
    if moving_knots and period is not None:
        raise TypeError("interp: no gradient with respect to xp (the sample points) with "
                        "a period (they are wrapped and sorted); pass xp detached "
                        "(t.detach() or t.data), or interpolate without period")
    if period is not None:
        x, xp, fp = _wrapped_around(x, xp, fp, period)
        left = right = None          # (NumPy ignores them with a period)
    knots = np.asarray(array_of(xp))
    # NumPy's checks and messages (lengths, empty xp, complex x or xp)
    np.interp(np.asarray(array_of(x)).ravel()[:0], knots, array_of(fp),
              *(None if end is None else _number_if_0d(array_of(end)) for end in (left, right)))
    if np.iscomplexobj(array_of(fp)):
        return _complex_interp(x, xp, fp, left, right, moving_knots)
    return _real_interp(x, xp, fp, left, right, moving_knots)


def _number_if_0d(value):
    # (NumPy's complex interp takes a complex left/right as a number, not a 0-d array)
    value = np.asarray(value)
    return value.item() if value.ndim == 0 else value


def _real_interp(x, xp, fp, left, right, moving_knots, slope_by_inverse=False):
    """``np.interp`` of real ``fp`` after NumPy's checks (and the wrap of a period);
    ``slope_by_inverse``: the slope as NumPy computes it for complex ``fp``, the
    difference times ``1 / (xp[j+1] - xp[j])``."""
    x = astype(tensor_of(x), np.float64)
    fp = astype(tensor_of(fp), np.float64)
    # checked again at each replay of ad.compile, on that call's fp
    made("interp fp check", _finite_fp, (fp.data,), stateful=True)
    knots = astype(tensor_of(xp), np.float64).data
    n = knots.shape[0]

    def grid(name):     # from x's values: ad.compile computes it again at each replay
        return made(f"interp {name}", _interp_grid, (name, knots, x.data))

    def slope_over(f_hi, f_lo, width):
        return (f_hi - f_lo) * (1.0 / width) if slope_by_inverse else (f_hi - f_lo) / width

    below, above = grid("below"), grid("above")
    fill_left = fp[0] if left is None else astype(tensor_of(left), np.float64)
    fill_right = fp[-1] if right is None else astype(tensor_of(right), np.float64)
    if n == 1:
        value = take(fp, made("zeros", np.zeros, (x.shape, np.intp)))
    elif moving_knots:
        ends = astype(xp, np.float64)
        lo = take(ends, grid("segment"))
        width = take(ends, grid("next")) - lo
        width = where(made("interp empty segments", np.equal, (width.data, 0.0)), 1.0, width)
        f_lo, f_hi = take(fp, grid("segment")), take(fp, grid("next"))
        slope = slope_over(f_hi, f_lo, width)
        inside = slope * (x - lo) + f_lo
        # NumPy returns fp[j] itself at a knot; the derivatives there are the segment's
        at_knot = stop_gradient(take(fp, grid("start"))) + (inside - stop_gradient(inside))
        value = where(grid("on knot"), at_knot, inside)
    else:
        lo = grid("lo")
        f_lo, f_hi = take(fp, grid("segment")), take(fp, grid("next"))
        slope = slope_over(f_hi, f_lo, grid("width"))
        inside = slope * (x - lo) + f_lo
        # NumPy returns fp[j] itself at a knot; x keeps the segment's slope there
        at_knot = take(fp, grid("start")) + slope * (x - stop_gradient(x))
        value = where(grid("on knot"), at_knot, inside)
    value = where(below, fill_left, value)
    return where(above, fill_right, value)


def _complex_interp(x, xp, fp, left, right, moving_knots):
    """``np.interp`` of complex ``fp``: its real and imaginary parts interpolated as
    NumPy's complex loop does (slopes by the inverse width; a NaN ``x`` between two or
    more knots gives NaN with imaginary part 0), joined by ``complex``; gradients in
    every part."""
    from .complex_ops import complex as join
    from .complex_parts import imag, real
    fp = tensor_of(fp)
    parts = []
    for part in (real, imag):
        ends = [None if end is None else part(tensor_of(end)) for end in (left, right)]
        parts.append(_real_interp(x, xp, part(fp), *ends, moving_knots,
                                  slope_by_inverse=True))
    if np.size(array_of(xp)) == 1:      # (one knot: NumPy returns fp[0] at a NaN x)
        return join(*parts)
    nan_x = made("interp nan x", np.isnan, (np.asarray(array_of(x), np.float64),))
    return join(parts[0], where(nan_x, 0.0, parts[1]))


def _wrapped_knots(knots, period, part):
    """The sorting order of ``knots`` modulo ``period`` (``part="order"``), or the
    sorted knots with the last and first repeated a period before and after."""
    knots = knots % period
    order = np.argsort(knots)
    if part == "order":
        return order
    knots = knots[order]
    return np.concatenate((knots[-1:] - period, knots, knots[0:1] + period))


def _wrapped_around(x, xp, fp, period):
    """``np.interp``'s periodic case as a plain one, as NumPy computes it: ``x`` and
    ``xp`` modulo the period, the knots sorted, and the last and first knots repeated
    a period before and after."""
    period = abs(float(array_of(period)))
    if period == 0:
        raise ValueError("period must be a non-zero value")
    knots = astype(tensor_of(xp), np.float64).data
    values = tensor_of(fp)
    if knots.ndim != 1 or values.ndim != 1:
        raise ValueError("Data points must be 1-D sequences")
    if knots.shape[0] != values.shape[0]:
        raise ValueError("fp and xp are not of the same length")
    # from the knots alone: ad.compile computes them again at each replay
    order = made("interp period order", _wrapped_knots, (knots, period, "order"))
    wrapped = made("interp period knots", _wrapped_knots, (knots, period, "knots"))
    values = take(values, order)
    values = concatenate([values[-1:], values, values[0:1]])
    return mod(astype(tensor_of(x), np.float64), period), wrapped, values


@implements(np.polyval)
def polyval(p, x) -> Tensor:
    """The polynomial with coefficients ``p`` (highest power first) at ``x``, as
    ``np.polyval`` (Horner's scheme, so the values are NumPy's); gradients in both.

    >>> p = ad.tensor([1.0, 0.0, -2.0], requires_grad=True)
    >>> x = ad.tensor(3.0, requires_grad=True)
    >>> y = np.polyval(p, x)
    >>> y.backward(); y, p.grad, x.grad
    (tensor(7., requires_grad=True), array([9., 3., 1.]), array(6.))
    """
    if isinstance(x, np.poly1d):        # (NumPy composes into a poly1d, which holds no Tensor)
        raise TypeError("polyval: x a poly1d is not supported with Tensor coefficients; "
                        "pass the points as an array or Tensor")
    if isinstance(p, np.poly1d):        # (NumPy evaluates its coefficients)
        p = p.coeffs
    p, x = tensor_of(p), tensor_of(x)
    if p.ndim == 0:
        raise TypeError("polyval: p must be a sequence of coefficients (iteration over a "
                        "0-d array), as in NumPy")
    result = Tensor(made("zeros", np.zeros, (x.shape, x.dtype)))    # (again at a replay)
    for k in range(p.shape[0]):
        result = result * x + p[k]
    return result


# --- np.linalg spellings of existing ops ---------------------------------------------

def _at_least_2d(name, x):
    if np.ndim(array_of(x)) < 2:
        raise ValueError(f"linalg.{name}: needs at least 2 dimensions (a stack of "
                         f"matrices), got shape {np.shape(array_of(x))}")


@implements(np.linalg.matrix_transpose)
def linalg_matrix_transpose(x, /) -> Tensor:
    """Each matrix of a stack transposed (the last two axes), as
    ``np.linalg.matrix_transpose``.

    >>> np.linalg.matrix_transpose(ad.tensor(np.zeros((4, 2, 3)))).shape
    (4, 3, 2)
    """
    return _matrix_transpose(x)


@implements(np.linalg.diagonal)
def linalg_diagonal(x, /, *, offset=0) -> Tensor:
    """The diagonals of the last two axes, as ``np.linalg.diagonal``.

    >>> np.linalg.diagonal(ad.tensor([[1.0, 2.0], [3.0, 4.0]]), offset=1)
    tensor([2.])
    """
    _at_least_2d("diagonal", x)
    return _diagonal(x, offset, -2, -1)


@implements(np.linalg.trace)
def linalg_trace(x, /, *, offset=0, dtype=None) -> Tensor:
    """The sums along the diagonals of the last two axes, as ``np.linalg.trace``.

    >>> np.linalg.trace(ad.tensor(np.ones((2, 3, 3))))
    tensor([3., 3.])
    """
    _refuse("linalg.trace", dtype=dtype)
    _at_least_2d("trace", x)
    return _trace(x, offset, -2, -1)


@implements(np.linalg.matmul)
def linalg_matmul(x1, x2, /) -> Tensor:
    """The matrix product (batched over leading axes), as ``np.linalg.matmul``.

    >>> np.linalg.matmul(ad.tensor([[1.0, 2.0]]), ad.tensor([[3.0], [4.0]]))
    tensor([[11.]])
    """
    return _matmul(x1, x2)


implements_without_gradient(np.linalg.matrix_rank)


@implements(np.apply_over_axes)
def apply_over_axes(func, a, axes) -> Tensor:
    """``func(a, axis)`` applied for each axis in turn, as ``np.apply_over_axes``: a
    result with one axis fewer gets it back (size 1).  ``func`` is called with Tensors,
    so its work is recorded.

    >>> a = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> s = np.apply_over_axes(np.sum, a, [0, 1]); s.backward(); s, a.grad
    (tensor([[10.]], requires_grad=True), array([[1., 1.],
           [1., 1.]]))
    """
    value = tensor_of(a)
    if np.ndim(axes) == 0:
        axes = (axes,)
    for axis in axes:
        axis = int(axis)
        if axis < 0:
            axis += value.ndim
        result = tensor_of(func(value, axis))
        if result.ndim != value.ndim:
            result = expand_dims(result, axis)
            if result.ndim != value.ndim:
                raise ValueError(
                    f"apply_over_axes: the function is not returning an array of the "
                    f"correct shape: given a tensor of shape {value.shape} and axis {axis}, "
                    f"it returned one of {result.shape[:axis] + result.shape[axis + 1:]}")
        value = result
    return value
