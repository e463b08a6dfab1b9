"""``ad.testing``, as ``torch.testing``: ``assert_close`` (tensors, arrays, numbers and
nested lists, tuples and dicts of them, compared with tolerances chosen by dtype) and
``make_tensor`` (random values of a dtype in a range).

>>> ad.testing.assert_close(ad.tensor([1.0, 2.0]), ad.tensor([1.0, 2.0 + 1e-9]))
>>> ad.testing.assert_close(ad.tensor([1.0, 2.0]), ad.tensor([1.0, 2.5]))
Traceback (most recent call last):
...
AssertionError: Tensor-likes are not close!
...
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .tensor import Tensor
from .torch_size import Size

__all__ = ["assert_close", "make_tensor"]

#: PyTorch's default (rtol, atol) of each dtype; integers and bools compare exactly.
_TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
               np.dtype(np.float64): (1e-7, 1e-7), np.dtype(np.complex64): (1.3e-6, 1e-5),
               np.dtype(np.complex128): (1e-7, 1e-7)}


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol=None, atol=None,
                 equal_nan: bool = False, check_device: bool = True, check_dtype: bool = True,
                 check_layout: bool = True, check_stride: bool = False, msg=None) -> None:
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close: the same
    shape (and dtype with ``check_dtype``), and ``|actual - expected| <= atol + rtol *
    |expected|`` everywhere (defaults by dtype: 1e-7 for float64, 1.3e-6 / 1e-5 for
    float32, exact for integers), as ``torch.testing.assert_close``.  Lists, tuples and
    dicts are compared item by item; ``msg`` (a string, or a function of the generated
    message) replaces the message."""
    if (rtol is None) != (atol is None):
        missing = "atol" if atol is None else "rtol"
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but "
                         f"got no {missing}.")
    failure = _mismatch(actual, expected, (rtol, atol), equal_nan, check_dtype, check_stride)
    if failure is not None:
        if msg is not None:
            failure = msg if isinstance(msg, str) else msg(failure)
        raise AssertionError(failure)


def _mismatch(actual, expected, tolerance, equal_nan, check_dtype, check_stride):
    """The message of the first difference, or None."""
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            return (f"The keys of the mappings do not match:\nMissing keys in the actual "
                    f"mapping: {sorted(map(repr, set(expected) - set(actual)))}\nExtra keys "
                    f"in the actual mapping: {sorted(map(repr, set(actual) - set(expected)))}")
        pairs = [(key, actual[key], expected[key]) for key in expected]
    elif _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            return f"The length of the sequences mismatch: {len(actual)} != {len(expected)}"
        pairs = list(zip(range(len(actual)), actual, expected))
    else:
        return _leaf_mismatch(actual, expected, tolerance, equal_nan, check_dtype,
                              check_stride)
    for key, first, second in pairs:
        failure = _mismatch(first, second, tolerance, equal_nan, check_dtype, check_stride)
        if failure is not None:
            where = failure.rfind(_ITEM)
            inner = "" if where < 0 else failure[where + len(_ITEM):]
            head = failure if where < 0 else failure[:where]
            return f"{head}{_ITEM}[{key!r}]{inner}"
    return None


_ITEM = "\n\nThe failure occurred for item "


def _is_sequence(value) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _leaf_mismatch(actual, expected, tolerance, equal_nan, check_dtype, check_stride):
    numbers = (bool, int, float, complex, np.number, np.bool_)
    if isinstance(actual, numbers) and isinstance(expected, numbers):
        return _values_mismatch(np.asarray(actual), np.asarray(expected), tolerance,
                                equal_nan, "Scalars")
    arrays = (Tensor, np.ndarray)
    if not (isinstance(actual, arrays) and isinstance(expected, arrays)
            and isinstance(actual, Tensor) == isinstance(expected, Tensor)):
        raise TypeError(f"No comparison pair was able to handle inputs of type "
                        f"{type(actual)} and {type(expected)}.")
    first, second = np.asarray(getattr(actual, "data", actual)), np.asarray(
        getattr(expected, "data", expected))
    for name, ours, theirs in (("shape", first.shape, second.shape),
                               ("dtype", first.dtype, second.dtype),
                               ("stride", first.strides, second.strides)):
        if (name == "dtype" and not check_dtype) or (name == "stride" and not check_stride):
            continue
        if ours != theirs:
            if name == "shape":
                ours, theirs = Size(ours), Size(theirs)
            return f"The values for attribute '{name}' do not match: {ours} != {theirs}."
    kind = "Scalars" if first.ndim == 0 else "Tensor-likes"
    return _values_mismatch(first, second, tolerance, equal_nan, kind)


def _values_mismatch(actual, expected, tolerance, equal_nan, kind):
    rtol, atol = tolerance
    if rtol is None:
        defaults = [_TOLERANCES.get(a.dtype, (0.0, 0.0)) for a in (actual, expected)]
        rtol, atol = max(d[0] for d in defaults), max(d[1] for d in defaults)
    exact = rtol == 0 and atol == 0 and actual.dtype.kind in "biu" \
        and expected.dtype.kind in "biu"
    common = np.result_type(actual.dtype, expected.dtype)
    wide = common if common.kind in "fc" else np.float64    # (differences in that dtype)
    first, second = actual.astype(wide), expected.astype(wide)
    with np.errstate(invalid="ignore", divide="ignore"):
        difference = np.abs(first - second)
        close = difference <= atol + rtol * np.abs(second)
        if equal_nan:
            close |= np.isnan(first) & np.isnan(second)
        close |= (first == second)                  # (equal infinities)
        if close.all():
            return None
        relative = difference / np.abs(second)
        if actual.dtype.kind in "biu" and expected.dtype.kind in "biu":
            relative = relative.astype(np.float32)      # (PyTorch's, for integers)
    allowed = ("", "") if exact else (f" (up to {atol} allowed)", f" (up to {rtol} allowed)")
    verb = "equal" if exact else "close"
    if kind == "Scalars":
        return (f"Scalars are not {verb}!\n\nExpected {expected.item()} but got "
                f"{actual.item()}.\nAbsolute difference: {_number(difference, exact)}"
                f"{allowed[0]}\nRelative difference: {_number(relative, False)}{allowed[1]}")
    count, total = int((~close).sum()), close.size
    lines = [f"Tensor-likes are not {verb}!", "",
             f"Mismatched elements: {count} / {total} ({100 * count / total:.1f}%)"]
    for label, values, bound in (("absolute", difference, allowed[0]),
                                 ("relative", relative, allowed[1])):
        at = _greatest(values)
        lines.append(f"Greatest {label} difference: "
                     f"{_number(values[at], exact and label == 'absolute')} at index {at}"
                     f"{bound}")
    return "\n".join(lines)


def _greatest(values: np.ndarray) -> tuple:
    """The index of the greatest value, NaN counting as the greatest (as PyTorch)."""
    flat = np.where(np.isnan(values), np.inf, values).ravel()
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(flat)), values.shape))


def _number(value, integral: bool):
    """A difference as PyTorch prints it: an int between integer tensors."""
    value = value.item() if hasattr(value, "item") else value
    return int(value) if integral else value


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format=None) -> Tensor:
    """A tensor of ``shape`` with random values of ``dtype`` in ``[low, high)`` (by
    default -9 to 9 for floats, -9 to 10 for integers, 0 to 10 for unsigned ones;
    True/False for bool), drawn from
    the default generator, as ``torch.testing.make_tensor``.

    >>> ad.testing.make_tensor(2, 3, dtype=ad.float64, device="cpu").shape
    (2, 3)
    """
    from .compile.hooks import made
    from .devices import check_device
    from .generator import chosen_rng
    from .missing_dtypes import numpy_dtype
    check_device("make_tensor", device)
    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        shape = tuple(shape[0])
    dtype = np.dtype(numpy_dtype("make_tensor", dtype))
    if dtype.kind != "b":
        low = (0 if dtype.kind == "u" else -9) if low is None else low
        high = (10 if dtype.kind in "iu" else 9) if high is None else high
        if low > high or (low == high and dtype.kind in "iu"):
            raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    array = made("make_tensor", _drawn_values,
                 (chosen_rng("make_tensor", None, None), shape, dtype, low, high,
                  exclude_zero), stateful=True)
    if noncontiguous and array.size > 1:
        array = np.repeat(array[..., None], 2, axis=-1)[..., 0]
    return Tensor(array, requires_grad=requires_grad)


def _drawn_values(rng, shape, dtype, low, high, exclude_zero):
    from .nn.module import _generator
    rng = _generator(rng)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        values = rng.integers(int(np.ceil(low)), int(np.ceil(high)), size=shape)
    else:
        values = rng.uniform(low, high, size=shape)
        if dtype.kind == "c":
            values = values + 1j * rng.uniform(low, high, size=shape)
    if exclude_zero:
        tiny = 1 if dtype.kind in "iu" else np.finfo(dtype).tiny
        values = np.where(values == 0, tiny, values)
    return np.asarray(values).astype(dtype)
