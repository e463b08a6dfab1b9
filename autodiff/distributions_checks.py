"""The checks of ``autodiff.distributions``: NumPy functions of parameter and value
arrays that raise a ``ValueError`` naming the distribution, the bad value and where it
is, or return what they checked.  The distributions run them through ``_checked`` or
``made``, so that a compiled step checks the values of each call.

>>> _first_bad(np.array([1.0, -2.0]), np.array([False, True]))
'-2.0 at index (1,)'
"""

from __future__ import annotations

import numpy as np


def _first_index(mask: np.ndarray) -> tuple:
    """The index of the first entry where ``mask`` holds (for a message)."""
    return tuple(int(i) for i in np.argwhere(mask)[0])


def _first_bad(data: np.ndarray, mask: np.ndarray) -> str:
    """The first value of ``data`` where ``mask`` holds, and where (for a message)."""
    if not mask.ndim:
        return f"{data}"
    index = _first_index(mask)
    return f"{data[index]} at index {index}"


def _probabilities(data, owner):
    bad = ~((data >= 0) & (data <= 1))           # NaN counts as bad
    if bad.any():
        raise ValueError(f"{owner}: probs must lie in [0, 1]; got {_first_bad(data, bad)} "
                         "(pass logits= for unconstrained scores)")
    return True


def _not_nan(data, owner, name):
    bad = np.isnan(data)
    if bad.any():
        raise ValueError(f"{owner}: {name} must not be NaN; got {_first_bad(data, bad)} "
                         "(a NaN parameter makes every sample and log_prob meaningless)")
    return True


def _positive(data, owner, name):
    bad = ~(data > 0)                              # NaN counts as bad
    if bad.any():
        raise ValueError(f"{owner}: {name} must be > 0; got {_first_bad(data, bad)}")
    return True


def _real_values(data, owner="Normal.log_prob"):
    bad = np.isnan(data)
    if bad.any():
        raise ValueError(f"{owner}: values must be real numbers, not NaN (as in "
                         f"PyTorch, NaN is outside the support); got {_first_bad(data, bad)}. "
                         "Drop or fill in missing values first")
    return True


def _finite_logits(data, owner):
    # log_prob and entropy would be inf - inf = NaN (as they are in PyTorch).
    bad = ~np.isfinite(data)
    if bad.any():
        raise ValueError(f"{owner}: logits must not be NaN or infinite; got "
                         f"{_first_bad(data, bad)} (for an outcome that is certain, pass "
                         "probs= instead, e.g. probs=1.0)")
    return True


def _binary_values(data):
    bad = ~((data == 0) | (data == 1))
    if bad.any():
        raise ValueError(f"Bernoulli.log_prob: values must be 0 or 1; got "
                         f"{_first_bad(data, bad)}")
    return True


def _category_indices(index, categories):
    if index.dtype.kind == "f" and (index == np.round(index)).all():
        index = index.astype(np.int64)
    if index.dtype.kind not in "iu" or index.size and (
            index.min() < 0 or index.max() >= categories):
        raise ValueError(f"Categorical.log_prob: values must be integer category "
                         f"indices in [0, {categories}); got dtype "
                         f"{index.dtype}, range [{index.min()}, {index.max()}]"
                         if index.size else "Categorical.log_prob: empty values")
    return index


def _flat_broadcast(index, shape):
    return np.broadcast_to(index, shape).ravel()


def _category_weights(data):
    bad = ~((data >= 0) & (data < np.inf))
    if bad.any():
        raise ValueError(f"Categorical: probs must be ≥ 0 and finite; got "
                         f"{_first_bad(data, bad)}")
    with np.errstate(over="ignore"):
        totals = data.sum(-1)
    bad = ~((totals > 0) & (totals < np.inf))     # all zeros, or an overflowing sum
    if bad.any():
        raise ValueError("Categorical: each row of probs must have a positive sum that is "
                         f"finite (it is normalized); got a sum of {_first_bad(totals, bad)}")
    return True


def _category_logits(data):
    # As in PyTorch, which normalizes the logits and refuses a NaN: a +inf logit, or a
    # row with every logit -inf (no category possible), has no distribution.
    bad = np.isnan(data) | (data == np.inf)
    if bad.any():
        raise ValueError(f"Categorical: logits must not be NaN or +inf; got "
                         f"{_first_bad(data, bad)} (-inf is allowed: it masks a category)")
    empty = (data == -np.inf).all(-1)
    if empty.any():
        where = f" (row {_first_index(empty)})" if empty.ndim else ""
        raise ValueError(f"Categorical: every logit of a row is -inf{where}, so no category "
                         "is possible")
    return True


def _broadcast_value(owner, value, batch_shape, method="log_prob"):
    try:
        return np.broadcast_shapes(value.shape, batch_shape)
    except ValueError:
        raise ValueError(f"{owner}.{method}: values of shape {value.shape} do not broadcast "
                         f"with batch_shape {batch_shape}") from None


def _in_support(value, batch_shape, owner, support, method="log_prob"):
    """Raise unless every value is in ``support`` ("real", "positive" or
    "non-negative") and broadcasts with the batch, as PyTorch's ``validate_args`` does;
    the message names ``method`` ("log_prob" or "cdf")."""
    _broadcast_value(owner, value, batch_shape, method)
    if support == "real":
        bad, wanted = np.isnan(value), "real numbers, not NaN"
    elif support == "positive":
        bad, wanted = ~(value > 0), "> 0"
    else:
        bad, wanted = ~(value >= 0), "≥ 0"
    if bad.any():
        raise ValueError(f"{owner}.{method}: values must be {wanted} (the support); got "
                         f"{_first_bad(value, bad)}")
    return True


def _in_unit_interval(value, batch_shape, owner, method="log_prob"):
    """Raise unless every value lies in [0, 1] (the support of ``owner``, e.g. Beta)
    and broadcasts with the batch; the message names ``owner.method``."""
    _broadcast_value(owner, value, batch_shape, method)
    bad = ~((value >= 0) & (value <= 1))          # NaN counts as bad
    if bad.any():
        raise ValueError(f"{owner}.{method}: values must lie in [0, 1] (the support); got "
                         f"{_first_bad(value, bad)}")
    return True


def _unit_probabilities(data, owner):
    bad = ~((data >= 0) & (data <= 1))           # NaN counts as bad
    if bad.any():
        raise ValueError(f"{owner}: values must be probabilities in [0, 1]; got "
                         f"{_first_bad(data, bad)}")
    return True
