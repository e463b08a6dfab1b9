"""What a classification loss is fed, read for the two mistakes students make most:
integer values where the scores go (often the arguments swapped), and probabilities
where ``cross_entropy`` wants logits (a softmax applied twice) or ``nll_loss`` wants
log-probabilities.

PyTorch refuses the first with "expected scalar type Float" and computes the second
without a word; here the first names the shapes and the order of the arguments, and
the second warns at the user's line.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..optim.optimizer import user_stacklevel
from ..tensor import Tensor


def _array(value):
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def check_float_scores(where: str, input, target, what: str) -> None:
    """Raise TypeError unless ``input`` (the ``what``, e.g. "logits") is floating-point,
    saying so when ``input`` and ``target`` look swapped.

    >>> check_float_scores("cross_entropy", np.array([0, 2]), np.ones((2, 3)), "logits")
    Traceback (most recent call last):
    TypeError: cross_entropy: the input (the logits) must be floating-point, ...
    """
    x = _array(input)
    if x.dtype.kind in "fc":
        return
    t = _array(target)
    message = (f"{where}: the input (the {what}) must be floating-point, got dtype {x.dtype} "
               f"(shape {x.shape}; target: {t.dtype}, shape {t.shape})")
    if t.dtype.kind == "f" and t.ndim == x.ndim + 1:
        message += (f"; the arguments look swapped: the call is {where}(input, target), the "
                    f"{what} (float, (N, C)) first and the class numbers (N,) second")
    else:
        message += "; convert it first, e.g. x.astype(np.float64)"
    raise TypeError(message)


def warn_if_probabilities(where: str, input, instead: str) -> None:
    """Warn, at the user's line, when ``input`` of a loss that wants scores looks like
    probabilities: every entry in [0, 1] and each row (axis 1, or the one axis) summing
    to 1.  ``instead`` says what to pass."""
    x = _array(input)
    # It runs at every training step, so logits are told apart cheaply first, by the
    # first row (a few Python numbers, or one sum), before any pass over the input.
    shape = x.shape
    if len(shape) == 2 and shape[0]:
        first_row = x[0]
    elif len(shape) == 1:
        first_row = x
    elif len(shape) > 2 and 0 not in shape:
        first_row = x[(0, slice(None)) + (0,) * (len(shape) - 2)]
    else:
        return                          # (0-d, or empty)
    if len(first_row) < 2 or x.dtype.kind != "f":
        return
    tolerance = 1e-3 if x.dtype.itemsize < 8 else 1e-6
    if len(first_row) <= 16:
        values = first_row.tolist()
        if min(values) < 0 or max(values) > 1 or abs(sum(values) - 1.0) > tolerance:
            return
    elif not 0.0 <= x.item(0) <= 1.0 or abs(float(first_row.sum()) - 1.0) > tolerance:
        return
    if x.min() < 0 or x.max() > 1:
        return
    if not np.allclose(x.sum(axis=min(1, len(shape) - 1)), 1, rtol=0, atol=tolerance):
        return
    warnings.warn(f"{where}: the input (shape {x.shape}) looks like probabilities (every "
                  f"entry in [0, 1], each row summing to 1), {instead}",
                  UserWarning, stacklevel=user_stacklevel())
