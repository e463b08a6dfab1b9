"""The orthogonal polynomial families of ``torch.special`` on ndarrays, evaluated as
PyTorch evaluates them: the three-term recurrence from ``P_0`` and ``P_1`` up to the
degree ``n`` (truncated to an integer; a negative degree gives 0), and for the
Chebyshev families on (-1, 1) past a small degree their trigonometric forms
(``T_n(x) = cos(n acos x)`` ...).  The shifted Chebyshev families are the plain ones at
``2x - 1``.

Computed in float64 whatever the input dtype, then rounded to the result dtype.
"""

from __future__ import annotations

import numpy as np

from .special_math import float_result_dtype

#: The largest degree run through a recurrence (each step is one pass over the array).
MAX_RECURRENCE_DEGREE = 1_000_000


def _degrees(n, name):
    n = np.asarray(n)
    if n.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            n = np.where(np.isnan(n), -1, np.trunc(n))
    elif n.dtype.kind not in "iub":
        raise TypeError(f"{name}: n must be a number or a real tensor, got dtype {n.dtype}")
    return n.astype(np.float64)


def _recurrence(x, n, first, second, step, name):
    """P_n(x) for each entry, from P_0 = ``first``, P_1 = ``second(x)`` and
    ``P_{k+1} = step(k, x, P_k, P_{k-1})``; 0 for n < 0."""
    out = np.where(n < 0, 0.0, np.where(n == 0, first, second(x)))
    todo = n >= 2
    if not todo.any():
        return out
    highest = int(n[todo].max())
    if highest > MAX_RECURRENCE_DEGREE:
        raise ValueError(f"{name}: degree n = {highest} is beyond the {MAX_RECURRENCE_DEGREE} "
                         "steps of the recurrence this runs; evaluate a lower degree")
    xs, ns = x[todo], n[todo]
    previous, current = np.full(xs.shape, first), second(xs)
    for k in range(1, highest):
        following = step(k, xs, current, previous)
        going = k < ns
        previous = np.where(going, current, previous)
        current = np.where(going, following, current)
    out[todo] = current
    return out


def _chebyshev_step(k, x, current, previous):
    return (x + x) * current - previous


def _trigonometric(x, n, above, form, special):
    """Where ``n > above`` and ``|x| < 1``: ``form(n, theta)`` with theta = acos(x),
    or ``special(n, x)`` where the form divides by 0."""
    use = (n > above) & (np.abs(x) < 1)
    if not use.any():
        return use, None
    theta = np.arccos(x[use])
    with np.errstate(divide="ignore", invalid="ignore"):
        value = form(n[use], theta)
    if special is not None:
        value = np.where(np.isfinite(value), value, special(n[use], x[use]))
    return use, value


def _family(x, n, *, first_order, above, form, special, at_plus_one, at_minus_one, name):
    out = _recurrence(x, n, 1.0, first_order, _chebyshev_step, name)
    use, value = _trigonometric(x, n, above, form, special)
    if value is not None:
        out[use] = value
    plus, minus = (x == 1) & (n >= 0), (x == -1) & (n >= 0)
    out[plus] = at_plus_one(n[plus])
    out[minus] = at_minus_one(n[minus])
    return out


def _odd_sign(n):
    return np.where(n % 2 == 0, 1.0, -1.0)


def chebyshev_t(x, n):
    return _family(x, n, first_order=lambda v: v, above=6,
                   form=lambda m, t: np.cos(m * t), special=None,
                   at_plus_one=lambda m: np.ones_like(m), at_minus_one=_odd_sign,
                   name="chebyshev_polynomial_t")


def chebyshev_u(x, n):
    return _family(x, n, first_order=lambda v: v + v, above=8,
                   form=lambda m, t: np.sin((m + 1) * t) / np.sin(t),
                   special=lambda m, v: (m + 1) * np.cos((m + 1) * np.arccos(v)) / v,
                   at_plus_one=lambda m: m + 1, at_minus_one=lambda m: _odd_sign(m) * (m + 1),
                   name="chebyshev_polynomial_u")


def chebyshev_v(x, n):
    return _family(x, n, first_order=lambda v: v + v - 1.0, above=8,
                   form=lambda m, t: np.cos((m + 0.5) * t) / np.cos(t / 2),
                   special=lambda m, v: _odd_sign(m) * (m + m + 1),
                   at_plus_one=lambda m: np.ones_like(m),
                   at_minus_one=lambda m: _odd_sign(m) * (m + m + 1),
                   name="chebyshev_polynomial_v")


def chebyshev_w(x, n):
    return _family(x, n, first_order=lambda v: v + v + 1.0, above=8,
                   form=lambda m, t: np.sin((m + 0.5) * t) / np.sin(t / 2),
                   special=lambda m, v: np.where(v > 0, m + m + 1, _odd_sign(m)),
                   at_plus_one=lambda m: m + m + 1, at_minus_one=_odd_sign,
                   name="chebyshev_polynomial_w")


def hermite_h(x, n):
    return _recurrence(x, n, 1.0, lambda v: v + v,
                       lambda k, v, q, p: (v + v) * q - (k + k) * p, "hermite_polynomial_h")


def hermite_he(x, n):
    return _recurrence(x, n, 1.0, lambda v: v,
                       lambda k, v, q, p: v * q - k * p, "hermite_polynomial_he")


def laguerre_l(x, n):
    out = _recurrence(x, n, 1.0, lambda v: 1.0 - v,
                      lambda k, v, q, p: (((k + k) + (1.0 - v)) * q - k * p) / (k + 1),
                      "laguerre_polynomial_l")
    return np.where((x == 0) & (n >= 0), 1.0, out)


def legendre_p(x, n):
    out = _recurrence(x, n, 1.0, lambda v: v,
                      lambda k, v, q, p: ((k + k + 1) * v * q - k * p) / (k + 1),
                      "legendre_polynomial_p")
    plus, minus = (x == 1) & (n >= 0), (x == -1) & (n >= 0)
    out[plus] = 1.0
    out[minus] = _odd_sign(n[minus])
    return out


FAMILIES = {
    "chebyshev_polynomial_t": chebyshev_t, "chebyshev_polynomial_u": chebyshev_u,
    "chebyshev_polynomial_v": chebyshev_v, "chebyshev_polynomial_w": chebyshev_w,
    "hermite_polynomial_h": hermite_h, "hermite_polynomial_he": hermite_he,
    "laguerre_polynomial_l": laguerre_l, "legendre_polynomial_p": legendre_p,
}
for _letter in "tuvw":
    FAMILIES[f"shifted_chebyshev_polynomial_{_letter}"] = (
        lambda x, n, _plain=FAMILIES[f"chebyshev_polynomial_{_letter}"]: _plain(x + x - 1.0, n))


def evaluate(name, x, n):
    """The polynomial family ``name`` of degree ``n`` at ``x`` (broadcast), in the
    dtype of their promotion (float64 for integers).

    >>> evaluate("chebyshev_polynomial_t", np.array([0.5, 2.0]), 3)
    array([-1., 26.])
    """
    x_array, n_array = np.asarray(x), np.asarray(n)
    if x_array.dtype.kind not in "fiub":
        raise TypeError(f"{name}: x must be a real tensor, got dtype {x_array.dtype}")
    dtype = float_result_dtype(x, n)             # (a number n keeps x's float dtype)
    xs, ns = np.broadcast_arrays(x_array.astype(np.float64), _degrees(n_array, name))
    shape = xs.shape
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = FAMILIES[name](xs.ravel().copy(), ns.ravel().copy())
    return out.reshape(shape).astype(dtype, copy=False)
