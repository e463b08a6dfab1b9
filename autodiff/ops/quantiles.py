"""Quantiles: ``np.quantile`` and ``np.percentile`` on Tensors, with all of NumPy's
thirteen methods.

NumPy's recipe, step for step, with the library's ops: the lanes are sorted, each
quantile ``q`` picks a fractional position in them (the method's "virtual index",
which depends only on the lane length and ``q``), and the two neighbouring order
statistics are blended, ``lerp(below, above, gamma)``, in NumPy's own two-sided
formula.  So the values equal NumPy's bit for bit, and the gradient goes to the two
inputs that sort there, with weights ``1 - gamma`` and ``gamma`` (all of it to one
for the discrete methods such as ``"lower"`` or ``"nearest"``); ``q`` given as a
Tensor that requires grad gets ``d virtual / dq * (above - below)`` for the methods
that interpolate continuously in it (0 for the others, steps in ``q``), as
``torch.quantile`` differentiates in ``q``; except where the index is a whole number
(``q = 0.5`` of 5 entries, ``q = 0``): there the quantile is a sorted entry and the
slope toward the next one is taken (NumPy's neighbours, a one-sided derivative),
where ``torch.quantile`` gives 0, and a ``ConventionWarning`` says so.  A lane holding NaN
gives NaN, as in NumPy, and no gradient.  Nothing depends on the values but the
sort, so ``ad.compile`` replays quantiles on new data.
"""

from __future__ import annotations

import numpy as np

from ..compile.refusals import refuse_traced_values
from ..graph import is_grad_enabled
from ..tensor import Tensor
from .averages import _lanes_last
from .compare import isnan
from .elementwise import astype, stop_gradient, where
from .numpy_dispatch import implements
from .operands import tensor_of
from .ordering import sort
from .shape import reshape, stack


def _discrete(index, take_previous):
    """NumPy's ``_discrete_interpolation_to_boundaries``: floor or floor + 1."""
    previous = np.floor(index)
    gamma = index - previous
    chosen = np.where(take_previous(gamma, index), previous, previous + 1).astype(np.intp)
    chosen[chosen < 0] = 0
    return chosen


def _continuous(alpha, beta):
    return lambda n, q: n * q + (alpha + q * (1 - alpha - beta)) - 1


def _masked_gamma(default, conditioned, condition):
    def fix(gamma, index):
        fixed = np.full(gamma.shape, default)
        np.copyto(fixed, conditioned, where=condition(gamma, index), casting="unsafe")
        return fixed
    return fix


def _keep(gamma, _index):
    return gamma


#: method: (virtual index of quantile q in a lane of n, gamma's correction; None for
#: the methods whose index is an integer: no interpolation).  NumPy's table.
METHODS = {
    "inverted_cdf": (lambda n, q: _discrete(n * q - 1, lambda g, _: g == 0), None),
    "averaged_inverted_cdf": (lambda n, q: n * q - 1,
                              _masked_gamma(1.0, 0.5, lambda g, _: g == 0)),
    "closest_observation": (
        lambda n, q: _discrete(n * q - 1 - 0.5,
                               lambda g, i: (g == 0) & (np.floor(i) % 2 == 1)), None),
    "interpolated_inverted_cdf": (_continuous(0, 1), _keep),
    "hazen": (_continuous(0.5, 0.5), _keep),
    "weibull": (_continuous(0, 0), _keep),
    "linear": (lambda n, q: (n - 1) * q, _keep),
    "median_unbiased": (_continuous(1 / 3.0, 1 / 3.0), _keep),
    "normal_unbiased": (_continuous(3 / 8.0, 3 / 8.0), _keep),
    "lower": (lambda n, q: np.floor((n - 1) * q).astype(np.intp), None),
    "higher": (lambda n, q: np.ceil((n - 1) * q).astype(np.intp), None),
    "midpoint": (lambda n, q: 0.5 * (np.floor((n - 1) * q) + np.ceil((n - 1) * q)),
                 _masked_gamma(0.5, 0.0, lambda _, i: i % 1 == 0)),
    "nearest": (lambda n, q: np.around((n - 1) * q).astype(np.intp), None),
}

#: d virtual index / dq in a lane of n, for the methods continuous in q.
Q_SLOPES = {
    "linear": lambda n: n - 1,
    "interpolated_inverted_cdf": lambda n: n,
    "hazen": lambda n: n,
    "weibull": lambda n: n + 1,
    "median_unbiased": lambda n: n + 1 / 3.0,
    "normal_unbiased": lambda n: n + 1 / 4.0,
}


@implements(np.quantile)
def quantile(a, q, axis=None, out=None, overwrite_input: bool = False, method="linear",
             keepdims: bool = False, *, weights=None, interpolation=None, dim=None,
             keepdim=None) -> Tensor:
    """The ``q``-th quantiles over ``axis``, as ``np.quantile`` (every ``method``);
    the gradient goes to the inputs that sort next to each quantile.  With PyTorch's
    ``dim=``, ``keepdim=`` or ``interpolation=``, ``torch.quantile`` (as ``t.quantile``).

    >>> x = ad.tensor([4.0, 1.0, 3.0, 2.0], requires_grad=True)
    >>> y = ad.quantile(x, 0.25)              # a quarter of the way from 2 to 3
    >>> y.backward(); y, x.grad
    (tensor(1.75, requires_grad=True), array([0.  , 0.25, 0.  , 0.75]))
    """
    in_torch_form = torch_form_of_quantile("quantile", a, q, axis, method, keepdims, dim,
                                           keepdim, interpolation)
    if in_torch_form is not None:
        return in_torch_form
    return _quantile("quantile", a, q, axis, out, method, keepdims, weights, interpolation)


def torch_form_of_quantile(name, a, q, axis, method, keepdims, dim, keepdim, interpolation):
    """``torch.quantile``'s result (``t.quantile``) when the call gives PyTorch's
    ``dim=``, ``keepdim=`` or ``interpolation=``; else None."""
    if dim is None and keepdim is None and interpolation is None:
        return None
    if axis is not None or method != "linear" or keepdims:
        raise TypeError(f"{name}: got NumPy's axis=/method=/keepdims= with PyTorch's dim=/"
                        "keepdim=/interpolation=: pick one (ad.{name}(t, q, axis, "
                        "method=...) is NumPy's, ad.{name}(t, q, dim=..., interpolation=...) "
                        "PyTorch's)".replace("{name}", name))
    return getattr(tensor_of(a), name)(q, dim=dim, keepdim=bool(keepdim),
                                       interpolation=interpolation or "linear")


@implements(np.percentile)
def percentile(a, q, axis=None, out=None, overwrite_input: bool = False, method="linear",
               keepdims: bool = False, *, weights=None, interpolation=None) -> Tensor:
    """The ``q``-th percentiles over ``axis``, as ``np.percentile``: ``quantile`` of
    ``q / 100``.

    >>> ad.percentile(ad.tensor([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]]), [50, 100], axis=1)
    tensor([[ 2., 20.],
            [ 3., 30.]])
    """
    return _quantile("percentile", a, q, axis, out, method, keepdims, weights, interpolation)


def refuse_arguments(name, out=None, weights=None, interpolation=None):
    """A TypeError naming ``name`` and the first of these arguments that was given."""
    for argument, value in (("out", out), ("weights", weights),
                            ("interpolation", interpolation)):
        if value is not None:
            raise TypeError(f"{name}: {argument}= is not supported by autodiff; call it "
                            "without it" + (" (NumPy's name for it is method=)"
                                            if argument == "interpolation" else ""))


def _quantile(name, a, q, axis, out, method, keepdims, weights, interpolation):
    # (overwrite_input only lets NumPy reorder its input; a Tensor is left as it is)
    refuse_arguments(name, out, None, interpolation)
    if method not in METHODS:
        raise ValueError(f"{name}: {method!r} is not a valid method. Use one of: "
                         f"{', '.join(METHODS)}")
    values = a.data if isinstance(a, Tensor) else np.asarray(a)
    if values.dtype.kind == "c":
        raise TypeError(f"{name}: a must be an array of real numbers (got {values.dtype})")
    quantiles = _fractions(name, q)
    if weights is not None:
        from .weighted_quantiles import weighted_quantile
        return weighted_quantile(name, a, q, quantiles, axis, method, keepdims, weights)
    lanes, kept_shape = _lanes_last(a, axis, name)
    n = lanes.shape[-1]
    virtual_index, fix_gamma = METHODS[method]
    virtual = np.asanyarray(virtual_index(n, quantiles))
    if n == 0 or virtual.size == 0:
        # An empty lane: NumPy's own error (an IndexError).  No quantiles: NumPy's
        # empty result, its dtype, tied to the input (a zero-size gradient).
        reference = getattr(np, name)(values, q, axis=axis, method=method,
                                      keepdims=keepdims)
        return astype(reshape(lanes[..., :0], np.shape(reference)), reference.dtype)
    ordered = sort(lanes, axis=-1)
    if fix_gamma is None or (method == "linear" and virtual.dtype.kind in "iu"):
        picked = [ordered[..., int(i)] for i in virtual.reshape(-1)]
    else:
        # A Python number q keeps the input's dtype; else NumPy's float64 gamma promotes.
        weak = type(q) in (int, float)
        promoted = None if weak else np.result_type(values.dtype, virtual.dtype)
        neighbours = list(_neighbours(virtual, fix_gamma, n))
        picked = [_lerp(ordered[..., below], ordered[..., above],
                        float(gamma) if weak else gamma, promoted)
                  for below, above, gamma in neighbours]
        if isinstance(q, Tensor) and q.requires_grad and method in Q_SLOPES:
            picked = _moving_in_q(name, picked, ordered, neighbours, q,
                                  Q_SLOPES[method](n), promoted)
    # One quantile at a time, with Python numbers for indices and weights: constants
    # of a compiled plan, as NumPy's index arrays made here would not be.
    # NumPy puts the quantiles' axes first (stacked there, the result is row-major as
    # NumPy's, which later products and sums round as NumPy's do)
    result = picked[0] if virtual.ndim == 0 else reshape(stack(picked, axis=0),
                                                          virtual.shape + picked[0].shape)
    if values.dtype.kind == "f":    # NaN sorts last: a lane holding one gives NaN
        nan_lanes = isnan(ordered[..., -1])
        result = where(nan_lanes, np.nan, result)
    return reshape(result, virtual.shape + kept_shape) if keepdims else result


def _moving_in_q(name, picked, ordered, neighbours, q, slope, dtype):
    """Each quantile plus ``(v - stop_gradient(v)) * (above - below)`` with ``v`` its
    virtual index as a function of ``q``: 0 in value (NumPy's values stay), the
    derivative of the blend in ``q``; 0 where the index is clamped to an end (on the
    tape still, as PyTorch's).  At an index that is a whole number the quantile is a
    sorted entry, where its slope in ``q`` changes: the slope toward the next entry
    (NumPy's neighbours), where ``torch.quantile``'s is 0, which warns."""
    if name == "percentile":
        slope = slope / 100.0
    flat_q = reshape(astype(q, dtype) if dtype is not None else q, (-1,))
    moved, on_entries = [], []
    for k, (quantile, (below, above, gamma)) in enumerate(zip(picked, neighbours)):
        virtual = flat_q[k] * slope
        step = 0 if below == above else ordered[..., above] - ordered[..., below]
        moved.append(quantile + (virtual - stop_gradient(virtual)) * step)
        if gamma == 0 and below != above:
            on_entries.append((q.data.reshape(-1)[k].item(), below))
    if on_entries and is_grad_enabled():
        _warn_on_entries(name, on_entries, ordered.shape[-1])
    return moved


def _warn_on_entries(name, on_entries, n):
    from ..conventions import ConventionWarning
    from ..tape_drop import user_frame, warn_at
    where = ", ".join(f"q={value:g} (sorted entry {index} of {n})"
                      for value, index in on_entries[:3])
    more = f" and {len(on_entries) - 3} more" if len(on_entries) > 3 else ""
    warn_at(user_frame(), (
        f"{name}: {where}{more} falls exactly on a sorted entry, where the quantile's "
        "slope in q changes; its derivative in q there is the slope toward the next "
        "entry (a one-sided derivative), where torch.quantile's is 0. Pass q.detach() "
        "if q is not to be learned."),
        ConventionWarning)


def _fractions(name, q):
    """``q`` as NumPy takes it (``q / 100`` for percentiles), checked as NumPy does."""
    if isinstance(q, Tensor):
        refuse_traced_values(
            q, name, "q is a tensor whose values pick which sorted entries are taken "
            "and their weights, and a replay may give it others",
            "Pass q as a Python number (a new value traces again), or call "
            f"{name} outside the compiled function")
        q = q.data
    if name == "percentile":
        fractions = np.asanyarray(np.true_divide(q, 100))
        bounds = "Percentiles must be in [0, 100]"
    else:
        fractions, bounds = np.asanyarray(q), "Quantiles must be in [0, 1]"
    if fractions.size and not (fractions.min() >= 0 and fractions.max() <= 1):
        raise ValueError(f"{name}: {bounds} (got {q!r})")
    if fractions.ndim > 2:
        raise ValueError(f"{name}: q must be a scalar or 1d (got shape {fractions.shape})")
    return fractions


def _neighbours(virtual, fix_gamma, n):
    """NumPy's ``_get_indexes`` and ``_get_gamma``: per quantile, the positions of the
    order statistics below and above it and the weight of the one above, as Python
    numbers."""
    previous = np.array(np.floor(virtual))      # (an array even when 0-d)
    following = np.array(previous + 1)
    for condition, index in ((virtual >= n - 1, -1), (virtual < 0, 0),
                             (np.isnan(virtual), -1)):
        previous[condition] = index
        following[condition] = index
    previous, following = previous.astype(np.intp), following.astype(np.intp)
    gamma = np.asanyarray(fix_gamma(np.asanyarray(virtual - previous), virtual),
                          dtype=virtual.dtype)
    return zip(previous.reshape(-1).tolist(), following.reshape(-1).tolist(),
               gamma.reshape(-1).tolist())


def _lerp(below, above, gamma, dtype):
    """NumPy's ``_lerp``: from the lower value up, or from the upper one down when
    ``gamma >= 0.5`` (exact at both ends); the difference in the input's dtype, the
    rest in ``dtype`` when given."""
    difference = above - below
    if dtype is not None and dtype != difference.dtype:
        below, above, difference = (astype(t, dtype) for t in (below, above, difference))
    if gamma >= 0.5:
        return above - difference * (1 - gamma)
    return below + difference * gamma
