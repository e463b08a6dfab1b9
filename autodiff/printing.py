"""How tensors print: PyTorch's ``set_printoptions`` over NumPy's ``array2string``.

The options live here and only tensor and parameter reprs read them, so NumPy's
printing of plain arrays is unaffected.  An option left unset follows NumPy's own
print options (``np.set_printoptions``, ``np.printoptions``), which is what a tensor
shows by default: precision 8 where PyTorch shows 4.
"""

from __future__ import annotations

import math
import sys

import numpy as np

_UNSET = {"precision": None, "threshold": None, "edgeitems": None, "linewidth": None,
          "sci_mode": None}
# PyTorch's profiles; "default" restores this library's defaults (NumPy's options).
_PROFILES = {"default": {},
             "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
             "full": {"threshold": math.inf}}
_options = dict(_UNSET)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    """PyTorch's ``set_printoptions`` for tensor reprs (plain ndarrays keep NumPy's).

    ``precision``: digits after the point; ``threshold``: the number of entries above
    which only ``edgeitems`` at each end of each axis are shown; ``linewidth``:
    characters per line; ``sci_mode``: True for scientific notation, False for none,
    None (the default, reset by every call as in PyTorch) for NumPy's choice.
    ``profile`` is ``'default'`` (this library's defaults: NumPy's print options,
    precision 8), ``'short'`` (precision 2, 2 edge items) or ``'full'`` (no
    summarising); options given with it override it.  An unknown profile raises
    (PyTorch ignores it).

    >>> ad.set_printoptions(precision=3)
    >>> ad.tensor([1.123456, 2.0])
    tensor([1.123, 2.   ])
    >>> ad.set_printoptions(sci_mode=True)
    >>> ad.tensor([1.5, 200.0])
    tensor([1.500e+00, 2.000e+02])
    >>> ad.set_printoptions(profile="default")
    """
    if profile is not None and profile not in _PROFILES:
        raise ValueError(f"set_printoptions: profile={profile!r} is not one of "
                         f"{', '.join(map(repr, _PROFILES))}")
    if sci_mode is not None and not isinstance(sci_mode, bool):
        raise TypeError(f"set_printoptions: sci_mode must be True, False or None, got "
                        f"{sci_mode!r}")
    given = {name: _checked_count(name, value, least) for name, value, least in (
        ("precision", precision, 0), ("threshold", threshold, 0), ("edgeitems", edgeitems, 0),
        ("linewidth", linewidth, 1)) if value is not None}
    if profile is not None:
        _options.update(_UNSET, **_PROFILES[profile])
    _options.update(given, sci_mode=sci_mode)


def _checked_count(name, value, least):
    is_int = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not (is_int or (name == "threshold" and value == math.inf)) or value < least:
        allowed = "an int" + (" or math.inf" if name == "threshold" else "")
        raise ValueError(f"set_printoptions: {name} must be {allowed} >= {least}, got "
                         f"{value!r}")
    return value


def format_values(data: np.ndarray, prefix: str) -> str:
    """The values of ``data`` as a repr shows them after ``prefix`` (``"tensor("``)."""
    options = {numpy_name: _options[name] for name, numpy_name in (
        ("precision", "precision"), ("edgeitems", "edgeitems"), ("linewidth", "max_line_width"))
        if _options[name] is not None}
    threshold = _options["threshold"]
    if threshold is not None:
        options["threshold"] = sys.maxsize if threshold == math.inf else threshold
    if _options["sci_mode"] is not None and data.dtype.kind == "f" and data.size:
        precision = options.get("precision", np.get_printoptions()["precision"])
        options["formatter"] = {"float_kind": _aligned_formatter(
            data, _options["sci_mode"], precision)}
    return np.array2string(data, separator=", ", prefix=prefix, **options)


def _aligned_formatter(data, scientific, precision):
    """Each float in scientific (or positional) notation with ``precision`` digits,
    padded to the widest of ``data``'s values, so that the columns line up."""
    if scientific:
        def text(x):
            return np.format_float_scientific(x, precision=precision, unique=False)
    else:
        def text(x):
            return np.format_float_positional(x, precision=precision, unique=False,
                                              fractional=True, trim="k")
    width = max(len(text(x)) for x in _widest_candidates(data))
    return lambda x: text(x).rjust(width)


def _widest_candidates(data):
    """The few values among which is the widest text: the extremes, the positive and
    the negative closest to zero (the longest exponents), NaN and infs."""
    values = data.ravel()
    finite = values[np.isfinite(values)]
    others = values[~np.isfinite(values)]
    candidates = [np.nan] if np.isnan(others).any() else []
    candidates += [value for value in (np.inf, -np.inf) if (others == value).any()]
    positive, negative = finite[finite > 0], finite[finite < 0]
    candidates += [finite.max(), finite.min()] if finite.size else []
    candidates += [positive.min()] if positive.size else []
    candidates += [negative.max()] if negative.size else []
    return candidates
