"""How the ops that saturate flatten at their limits (an op entry's ``saturation``
field): sigmoid, tanh, erf and erfc elementwise, softmax along an axis.  ``explain``
reads them to say when a gradient vanished there (``saturation_notes.py``)."""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np


class Saturation(NamedTuple):
    """How an op's output saturates.  Elementwise: it nears ``limits`` (for x to -inf
    and to +inf, as text) where ``at_limit(abs(x))`` rounds to 1 in x's dtype, with the
    slope ``slope`` (written) of size ``slope_size(abs(x))``.  ``along_axis`` (softmax):
    one entry of a row along the ``axis`` keyword takes all of it.  ``bound``: the
    slope's largest value where it is below 1 (sigmoid's 1/4); ``called``: the op's name
    in the note when it has another (``sigmoid (expit)``).

    >>> ad.tanh.saturation.limits, ad.tanh.saturation.slope
    (('-1', '1'), '1 - tanh(x)^2')
    """

    limits: tuple = ("0", "1")
    at_limit: Callable | None = None
    slope: str = ""
    slope_size: Callable | None = None
    along_axis: bool = False
    bound: str | None = None
    called: str | None = None


def _sigmoid_at(x):
    return 1 / (1 + np.exp(-x))


def _sigmoid_slope(x):
    e = np.exp(-np.abs(x))
    return e / (1 + e) ** 2


def _tanh_slope(x):
    e = np.exp(-2 * np.abs(x))
    return 4 * e / (1 + e) ** 2


def _erf_at(x):
    return np.asarray(np.frompyfunc(math.erf, 1, 1)(x), dtype=np.float64)


def _erf_slope(x):
    return 2 / math.sqrt(math.pi) * np.exp(-np.square(x))


SIGMOID = Saturation(("0", "1"), _sigmoid_at, "s (1 - s)", _sigmoid_slope, bound="1/4",
                     called="sigmoid (expit)")
TANH = Saturation(("-1", "1"), np.tanh, "1 - tanh(x)^2", _tanh_slope)
ERF = Saturation(("-1", "1"), _erf_at, "2/sqrt(pi) exp(-x^2)", _erf_slope)
ERFC = Saturation(("2", "0"), _erf_at, "-2/sqrt(pi) exp(-x^2)", _erf_slope)
SOFTMAX = Saturation(slope="s_i (delta_ij - s_j)", along_axis=True)
