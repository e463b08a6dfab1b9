"""``F.interpolate(..., antialias=True)`` for ``'bilinear'`` and ``'bicubic'``: PyTorch's
antialiased resize (its CPU kernel's ``_compute_weights_aa``, after Pillow's).

Each spatial axis is resized on its own by a matrix of weights: output position ``i``
has its centre at ``center = scale * (i + 0.5)`` in the input (``scale`` as for the
other modes: ``in / out``, ``1 / scale_factor``, or ``(in - 1) / (out - 1)`` with
``align_corners``), and blends the inputs ``j`` within ``support`` of it, each weighed
by the filter at ``(j - center + 0.5) / max(scale, 1)``, the weights divided by their
sum.  The filter is the triangle for bilinear and Keys' cubic with ``a = -0.5`` for
bicubic; ``support`` is the filter's half-width (1 or 2) times ``max(scale, 1)``, so
a downsampling filter widens with the scale and averages every input it covers.  The
resize is a product with that matrix, so the gradient is the transposed product and
higher orders follow.

>>> x = ad.tensor(np.arange(8.0).reshape(1, 1, 1, 8))
>>> F.interpolate(x, size=(1, 2), mode="bilinear", antialias=True)[0, 0]   # (PyTorch's too)
tensor([[1.89285714, 5.10714286]])
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made

#: The filter's half-width for each mode (PyTorch's ``interp_size / 2``).
_HALF_WIDTH = {"bilinear": 1.0, "bicubic": 2.0}
#: PyTorch's cubic coefficient for the antialiasing filter (not the -0.75 of bicubic).
_AA_CUBIC_A = -0.5


def _filter(mode: str, x: np.ndarray) -> np.ndarray:
    x = np.abs(x)
    if mode == "bilinear":
        return np.where(x < 1, 1 - x, 0.0)
    a = _AA_CUBIC_A
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def _scale(n_in: int, n_out: int, scale_factor, align_corners: bool) -> float:
    """PyTorch's ``area_pixel_compute_scale``."""
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    if scale_factor is not None and scale_factor > 0:
        return 1.0 / scale_factor
    return n_in / n_out


def antialias_weights(mode: str, n_in: int, n_out: int, scale_factor, align_corners: bool,
                      dtype) -> np.ndarray:
    """(n_in, n_out): column ``i`` holds the weights output ``i`` gives each input."""
    scale = _scale(n_in, n_out, scale_factor, align_corners)
    half_width = _HALF_WIDTH[mode]
    support = half_width * scale if scale >= 1 else half_width
    widest = int(np.ceil(support)) * 2 + 1
    invscale = 1.0 / scale if scale >= 1 else 1.0
    weights = np.zeros((n_in, n_out))
    for i in range(n_out):
        center = scale * (i + 0.5)
        # (C++'s truncation toward zero, then the clamps of PyTorch's kernel)
        first = max(int(center - support + 0.5), 0)
        count = min(max(min(int(center + support + 0.5), n_in) - first, 0), widest)
        taps = _filter(mode, (np.arange(first, first + count) - center + 0.5) * invscale)
        total = taps.sum()
        weights[first:first + count, i] = taps / total if total != 0 else taps
    return weights.astype(dtype)


def antialiased(x, out: tuple, factors: tuple, mode: str, align_corners: bool):
    """``x`` (N, C, H, W) resized to ``out`` with PyTorch's antialiasing filter."""
    from ..ops.rearrange import moveaxis

    for k, (n_out, factor) in enumerate(zip(out, factors)):
        axis = 2 + k
        weights = made("antialias weights", antialias_weights,
                       (mode, x.shape[axis], n_out, factor, bool(align_corners), x.dtype))
        x = moveaxis(moveaxis(x, axis, -1) @ weights, -1, axis)
    return x
