"""Complex parameters in the optimizers, as PyTorch's: a complex parameter, its gradient
and its state are updated as their real and imaginary parts (``view_as_real``), so
Adam's, RMSprop's and Adagrad's squares are taken of each part, never ``g * g``.  The
state is kept as those float pairs; ``state_dict`` / ``load_state_dict`` exchange it
as PyTorch's, complex arrays of the parameter's shape."""

from __future__ import annotations

import numpy as np


def as_real_pairs(array: np.ndarray) -> np.ndarray:
    """A view of a complex array as float pairs along a new last axis (writes go through,
    whatever the array's strides: the new axis of size 1 is the one NumPy splits).

    >>> z = np.array([1 + 2j]); as_real_pairs(z)[..., 1] = 5; z
    array([1.+5.j])
    """
    return array[..., None].view(array.real.dtype)


def check_complex_parameters(optimizer, where: str, work) -> None:
    """Refuse complex parameters in an optimizer whose update mixes entries (a factored
    or orthogonalized one), before any parameter changes."""
    for p, *_ in work:
        if p.data.dtype.kind == "c":
            raise TypeError(
                f"{where}: {type(optimizer).__name__} does not support complex parameters "
                f"(got one of shape {p.data.shape}, dtype {p.data.dtype}); optimize its "
                "parts instead, e.g. ad.view_as_real of it as the parameter, or use Adam")


def complex_state(value, data: np.ndarray) -> np.ndarray:
    """A copy of a complex parameter's state array in PyTorch's layout: the float pairs
    the update keeps (``data.shape + (2,)``) as complex numbers of the parameter's shape;
    other state (``step``) as it is.

    >>> complex_state(np.array([[1.0, 2.0]]), np.zeros(1, complex))
    array([1.+2.j])
    """
    value = np.asarray(value)
    if value.dtype.kind != "f" or value.shape != data.shape + (2,):
        return np.array(value, copy=True)
    pairs = np.ascontiguousarray(value, dtype=data.real.dtype)
    return pairs.view(data.dtype)[..., 0].copy()


def real_pairs_state(value: np.ndarray, data: np.ndarray, where: str, key: str,
                     name: str) -> np.ndarray:
    """A complex parameter's state array as PyTorch's ``state_dict`` holds it (complex,
    of the parameter's shape) made into the float pairs the update keeps."""
    if value.dtype.kind == "c":
        return np.ascontiguousarray(as_real_pairs(value.astype(data.dtype, copy=False)))
    if data.ndim and value.shape == data.shape:
        raise TypeError(
            f"{where}: {key!r} of complex parameter {name!r} (shape {data.shape}, dtype "
            f"{data.dtype}) is a real {value.dtype} array; the state of a complex "
            "parameter is complex, as PyTorch's (a real one would be read as its real "
            f"parts only): cast it, e.g. value.astype({data.dtype})")
    return value
