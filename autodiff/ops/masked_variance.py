"""``np.var``, ``np.std``, ``np.nanvar`` and ``np.nanstd`` on Tensors with NumPy's
``where=`` mask, a given ``mean=``, a ``dtype=`` or an ``out=`` of another dtype,
recorded as NumPy computes them.

NumPy's recipe, step by step, so the values are its own to the bit: the mean is the
masked sum (``masked_sum``, NumPy's one-by-one order) divided by the count of chosen
entries, the squared deviations from it are summed over the chosen entries again and
divided by ``count - ddof``.  Each division is NumPy's: a float sum divided by an
integer count is computed in float64 and rounded back to the sum's dtype.  NumPy runs
first on the data, for its checks, its messages, its warnings (a lane with no degrees
of freedom left) and its result dtype.

The dtypes are NumPy's too.  ``dtype=`` is the dtype of both sums; the deviations
``x - mean`` are computed in the promoted dtype of ``x`` and the mean (for ``nanvar``,
rounded back to ``x``'s dtype, as it subtracts in place), so ``np.var(x64,
dtype=np.float32)`` is not ``np.var(x64.astype(np.float32))``.  Into an ``out=`` of
another dtype the sum of squares is computed in the wider of the two (without
``dtype=``) and rounded to it; the division and square root are in ``out``'s dtype.

Complex values are recorded too: the deviations' squared magnitudes are summed in
NumPy's steps (``squared_magnitudes``: np.var's squares of the parts, nanvar's product
with the conjugate, in a copy laid out as NumPy's), and their gradient is the
conjugate-Wirtinger one of complex_ops.py.

A lane with no degrees of freedom left (``count - ddof <= 0``) holds NumPy's NaN or
inf and passes zero gradient, as ``nanvar``'s empty lanes do; the entries the mask
leaves out get zero gradient.  Where such a lane has entries (``0 < count <= ddof``)
and the input is on the tape, ``warn_without_dof`` says so at the user's line
(``ConventionWarning``): PyTorch's ``var`` of the same entries, and ``np.var``'s
gradient here without ``where=``, are inf or NaN there.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..tensor import Tensor
from ..warning_lines import numpy_warnings_at_user_line
from .compare import isnan, logical_and, logical_not
from .elementwise import astype, maximum, sqrt, where as _selected
from .masked_reductions import masked_sum, where_mask
from .squared_magnitudes import squared_magnitudes
from .reduce import sum as _sum

_NO_VALUE = np._NoValue
_NUMPY = {"var": np.var, "std": np.std, "nanvar": np.nanvar, "nanstd": np.nanstd}


def _given(value) -> bool:
    return value is not _NO_VALUE and value is not None


def masked_variance(name, a, axis=None, keepdims=False, ddof=0, where=True,
                    mean=_NO_VALUE, call=None, dtype=None, out_dtype=None) -> Tensor:
    """``np.<name>(a, axis=, keepdims=, ddof=, where=, mean=, dtype=)`` recorded, for
    ``name`` in var, std, nanvar, nanstd; ``where`` at True and ``mean`` at
    ``np._NoValue`` are NumPy's defaults.  ``call`` names the call in errors
    (``np.<name>`` unless given, e.g. ``Tensor.var``); ``out_dtype`` is the dtype of
    NumPy's ``out=`` array, whose value this returns (the caller writes it there).

    >>> x = ad.tensor([1.0, 3.0, 100.0], requires_grad=True)
    >>> y = np.var(x, where=[True, True, False])
    >>> y.backward(); y, x.grad
    (tensor(1., requires_grad=True), array([-1.,  1.,  0.]))
    """
    x = a if isinstance(a, Tensor) else Tensor(np.asarray(a))
    given = {}
    if where is not True and _given(where):
        given["where"] = where.data if isinstance(where, Tensor) else where
    if _given(mean):
        given["mean"] = mean.data if isinstance(mean, Tensor) else mean
    if dtype is not None:
        given["dtype"] = dtype
    try:
        expected = numpy_warnings_at_user_line(_NUMPY[name], x.data, axis=axis,
                                               keepdims=keepdims, ddof=ddof, **given)
    except (TypeError, ValueError) as error:     # NumPy's message, naming the call
        arguments = " and ".join(f"{key}=" for key in given if key != "dtype")
        raise type(error)(f"{call or 'np.' + name} of a Tensor of shape {x.shape} with "
                          f"{arguments}: {error}") from None
    if np.iscomplexobj(x.data) and (dtype is not None or out_dtype is not None):
        if x.requires_grad:
            raise TypeError(f"{call or 'np.' + name} of a complex Tensor that requires grad "
                            f"(shape {x.shape}, dtype {x.dtype}) with dtype= or out= is not "
                            "supported; call it without them (the result is real, of "
                            "x's real dtype), or on x.detach() when no gradient is needed")
        return Tensor(made(name, _NUMPY[name], (x.data,),
                           dict(axis=axis, keepdims=keepdims, ddof=ddof, **given)))
    mask = None
    if "where" in given:
        mask = where_mask(given["where"], x.shape)
    with np.errstate(all="ignore"):             # (NumPy has warned already)
        result = _variance(name, x, axis, keepdims, ddof, mask,
                           mean if _given(mean) else None, dtype, out_dtype)
    wanted = np.result_type(expected) if out_dtype is None else np.dtype(out_dtype)
    if result.dtype != wanted:
        result = astype(result, wanted)
    return result


def _as(x, dtype):
    return x if dtype is None or x.dtype == dtype else astype(x, dtype)


def _divided(total, count):
    """``total / count`` as NumPy's ``true_divide(total, count, out=total,
    casting='unsafe')``: in the promoted dtype, rounded back to the total's."""
    wide = np.result_type(total.dtype, count.dtype)
    quotient = (total if total.dtype == wide else astype(total, wide)) / count
    return quotient if quotient.dtype == total.dtype else astype(quotient, total.dtype)


def _summed(values, mask, axis, keepdims):
    if mask is None:                 # NumPy's unmasked (pairwise) sum
        return _sum(values, axis=axis, keepdims=keepdims)
    return masked_sum(values, mask, axis=axis, keepdims=keepdims)


def _axes(axis, ndim):
    """``axis`` as a tuple (every axis for None), for a reduction that reads None as
    a 1-D array's whole."""
    return tuple(range(ndim)) if axis is None else axis


def _variance(name, x, axis, keepdims, ddof, mask, mean, dtype=None, out_dtype=None):
    if dtype is None and x.dtype.kind not in "fc":  # NumPy: integers and bools in float64
        dtype = np.dtype(np.float64)
    values = x
    chosen = made("ones", np.ones, (x.shape, bool)) if mask is None else mask
    if name.startswith("nan") and x.dtype.kind in "fc":
        # recorded, not read from the data: a compiled replay finds its own NaNs
        missing = isnan(values)
        values = _selected(missing, 0, values)
        chosen = logical_and(chosen, logical_not(missing))
        count = _sum(astype(chosen, np.intp), axis=axis, keepdims=True)
    else:
        count = Tensor(made("count", np.sum, (chosen, axis), {"keepdims": True,
                                                             "dtype": np.intp}))
    if mean is None:
        empty = count == 0                       # 0 / 0: NaN, as NumPy's
        total = _summed(_as(values, dtype), mask, axis, True)
        mean = _selected(empty, np.nan, _divided(total, _selected(empty, 1, count)))
    difference = values - mean            # in the promoted dtype, as NumPy's
    if name.startswith("nan") and x.dtype.kind in "fc":
        difference = _as(difference, x.dtype)      # (nanvar subtracts into its copy of x)
    # 0 where not chosen (NumPy sums none of them): an empty lane's NaN mean would
    # make the zero gradient of its squares NaN
    deviation = _selected(chosen, difference, 0)
    if deviation.dtype.kind == "c":     # re^2 + im^2, summed as NumPy sums them
        # (laid out as x, as NumPy's deviations are: the sum's order follows the layout)
        like = made("layout", np.empty_like, (x.data,), {"dtype": bool})
        squares = squared_magnitudes(deviation, axis=_axes(axis, x.ndim), keepdims=keepdims,
                                     where=mask, steps=name[:-3] + "var", like=like)
    else:
        squared = deviation * deviation
        # NumPy sums into out= in the wider of the two dtypes (unless dtype= says which)
        summing = dtype if dtype is not None or out_dtype is None else np.result_type(
            squared.dtype, out_dtype)
        squares = _as(_summed(_as(squared, summing), mask, axis, keepdims), out_dtype)
    warn_without_dof(name, x, count, ddof)
    dof = (count if keepdims else count.reshape(squares.shape)) - ddof
    if not name.startswith("nan"):
        dof = maximum(dof, 0)
    bad = dof <= 0
    variance = _divided(squares, _selected(bad, 1, dof))
    # NumPy's division by 0: inf, NaN for 0 / 0; nanvar makes every such lane NaN
    filler = np.nan if name.startswith("nan") else _selected(squares > 0, np.inf, np.nan)
    variance = _selected(bad, filler, variance)
    if name.endswith("std"):
        zero = variance == 0        # equal values: 0, not 0 * inf (recorded: a replay's own)
        variance = _selected(zero, 0, sqrt(_selected(zero, 1, variance)))
    return variance


def warn_without_dof(name: str, x, count, ddof) -> None:
    """Warn at the user's line (``ConventionWarning``) when ``x`` is on the tape and a
    lane has entries but no degrees of freedom (``0 < count <= ddof``): those entries
    get gradient 0 here, where PyTorch's ``var``/``std`` of the same entries (and
    ``np.var``'s without a mask) give inf or NaN.  A lane with no entries (all NaN, or
    all masked out) has nothing to pass a gradient to: no warning."""
    from ..graph import is_grad_enabled
    if not (isinstance(x, Tensor) and x.requires_grad and is_grad_enabled()):
        return
    counts = np.asarray(getattr(count, "data", count))
    starved = (counts > 0) & (counts <= ddof)
    if not np.any(starved):
        return
    from ..conventions import ConventionWarning
    from ..tape_drop import user_frame, warn_at
    entries = "non-NaN entries" if name.startswith("nan") else "entries"
    few = ", ".join(str(int(n)) for n in np.unique(counts[starved])[:3])
    warn_at(user_frame(), (
        f"{name}: {int(np.sum(starved))} lane(s) of the tensor of shape {x.shape} have "
        f"{few} {entries} and ddof={ddof}, "
        "so no degrees of freedom (n - ddof <= 0): their value is NaN or inf and their "
        "entries get gradient 0 here, where PyTorch's var/std of the same entries (and "
        "np.var's gradient without where=) is inf or NaN. Use a smaller ddof, or leave "
        "such lanes out before differentiating, if the zero gradient is not meant."),
        ConventionWarning)
