"""Text for labels: short value summaries, op arguments, and HTML escaping for DOT."""

from __future__ import annotations

import html

import numpy as np

SMALL = 16  # tensors with at most this many elements show their values


def escape(text) -> str:
    """Text made safe inside a Graphviz HTML-like label (``<``, ``&``, quotes, newlines)."""
    text = html.escape(str(text), quote=True).replace("&#x27;", "&#39;")
    # Graphviz HTML labels reject raw control characters; show them as spaces.
    text = "".join(ch if ch >= " " or ch == "\n" else " " for ch in text)
    return text.replace("\n", "<BR/>")


def shape_text(shape) -> str:
    if shape is None:
        return "shape unknown"
    return str(tuple(int(n) for n in shape))


def dtype_text(dtype) -> str:
    return "" if dtype is None else str(np.dtype(dtype))


def number_text(value) -> str:
    """Four significant digits, a very small or large value in scientific notation:
    a nonzero value is never shown as 0 (1.2e-05, 0.00012, 123.5).

    >>> number_text(0.00012), number_text(1.2345e-05), number_text(2.0), number_text(-0.0)
    ('0.00012', '1.234e-05', '2.0', '-0.0')
    """
    value = float(value)
    if value != 0 and np.isfinite(value) and not 1e-4 <= abs(value) < 1e6:
        return np.format_float_scientific(value, precision=3, trim="-")
    return np.format_float_positional(value, precision=4, fractional=False, trim="0")


def array_text(a, width=48, small=SMALL) -> str:
    """Values for a small array, a min/mean/max summary for a large one."""
    if a is None:
        return "freed"
    a = np.asarray(a)
    if a.size <= small:
        if a.dtype.kind != "f":
            return str(a.item()) if a.ndim == 0 else np.array2string(
                a, max_line_width=width, separator=" ")
        with np.errstate(all="ignore"):
            tiny = bool(np.any((a != 0) & (np.abs(a) < 1e-3)))
        if a.ndim == 0:
            value = a.item()
            return number_text(value) if tiny or abs(value) >= 1e6 else \
                np.format_float_positional(value, precision=4, trim="0")
        if tiny:                # (four decimals would show them as 0 or cut them short)
            return np.array2string(a, max_line_width=width, separator=" ",
                                   formatter={"float_kind": number_text})
        return np.array2string(a, precision=4, suppress_small=True, max_line_width=width,
                               separator=" ")
    if a.dtype.kind in "fiu":
        n_nan = int(np.count_nonzero(np.isnan(a))) if a.dtype.kind == "f" else 0
        if n_nan:               # (min, mean and max of the others, not NaN three times)
            if n_nan == a.size:
                return f"all {a.size} NaN"
            others = array_text(a[~np.isnan(a)], width, small=0)
            return f"{others}  ({n_nan} of {a.size} are NaN, left out)"
        with np.errstate(all="ignore"):
            lo, mean, hi = a.min(), a.mean(dtype=np.float64), a.max()
            if np.isinf(mean) and np.isfinite(lo) and np.isfinite(hi):
                scale = max(abs(float(lo)), abs(float(hi)))     # the sum overflowed
                mean = (a / scale).mean(dtype=np.float64) * scale
        return f"min {lo:.4g}  mean {mean:.4g}  max {hi:.4g}"
    if a.dtype.kind == "b":
        return f"{int(a.sum())} of {a.size} true"
    return f"{a.size} values"


def inline_text(a) -> str:
    """A one-line form of a constant for ``text()``: its value if tiny, else its shape."""
    a = np.asarray(a)
    if a.ndim == 0:
        return array_text(a)
    if a.size <= 4:
        return np.array2string(a, precision=4, separator=", ").replace("\n", "")
    return f"const{shape_text(a.shape)}"


def _slice_text(s):
    text = ("" if s.start is None else str(s.start)) + ":" + \
           ("" if s.stop is None else str(s.stop))
    if s.step is not None:
        text += f":{s.step}"
    return text


def _item_text(item):
    if isinstance(item, slice):
        return _slice_text(item)
    if item is Ellipsis:
        return "..."
    if item is None:
        return "None"
    if isinstance(item, np.ndarray):
        if item.size <= 6:
            return np.array2string(item, separator=",").replace("\n", "")
        return f"{item.dtype}{shape_text(item.shape)}"
    return repr(item)


def key_text(key) -> str:
    """An index as written in Python, e.g. ``[:, 0]``."""
    parts = key if isinstance(key, tuple) else (key,)
    return "[" + ", ".join(_item_text(p) for p in parts) + "]"


def value_text(name: str, value) -> str | None:
    """An op argument's value as written in Python, or None for a default / unprintable one."""
    if value is None or value is False:
        return None
    if name == "key":
        return key_text(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (bool, int, float, complex, np.integer, np.floating)):
        return str(value)
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return str(np.dtype(value))
    if isinstance(value, (tuple, list)):
        if all(isinstance(v, (int, np.integer, type(None))) for v in value):
            return str(tuple(int(v) if v is not None else None for v in value))
        return key_text(tuple(value))
    if isinstance(value, (slice, np.ndarray)) or value is Ellipsis:
        return _item_text(value)
    return None


def _is_anonymous(name):
    return name[:1] == "x" and name[1:].isdigit()


def op_params_text(params, positional_names=True) -> list[str]:
    """``name=value`` texts for an op's arguments (``params``: (name, value, position)).

    Positional arguments whose input has no real name (``x0``) show their value only;
    with ``positional_names=False`` no positional argument shows its name.
    """
    out = []
    for name, value, position in params:
        text = value_text(name, value)
        if text is None:
            continue
        bare = position is not None and (not positional_names or _is_anonymous(name))
        out.append(text if bare or name == "key" else f"{name}={text}")
    return out
