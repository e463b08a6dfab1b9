"""Complex parameters in the optimizers, as PyTorch's: a complex parameter, its gradient
and its state are updated as their real and imaginary parts (``view_as_real``), so
Adam's, RMSprop's and Adagrad's squares are taken of each part, never ``g * g``."""

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
