"""What an in-place update refuses (``inplace.py``) because of the dtype of the tensor
it writes into: values that require grad stored into integers or bools (truncated, cut
off from their gradient), and ``clamp_`` bounds of a kind the dtype cannot hold."""

from __future__ import annotations

import numpy as np

from .inplace_refusals import _label


def refuse_truncation(t, value, where: str) -> None:
    """Raise when ``value`` requires grad and ``t`` holds integers or bools: NumPy would
    truncate (``t[i] = v``) or refuse (``t += v``), and either way the values that need
    a gradient would be cut off from it."""
    if getattr(value, "requires_grad", False) and t.dtype.kind not in "fc":
        raise TypeError(
            f"{where}: the update gives {value.dtype} values that require grad, but "
            f"tensor {_label(t)} holds {t.dtype}: stored there they would be truncated "
            "and lose their gradient. Make the tensor floating-point first "
            "(np.zeros(n) rather than np.zeros(n, int) or np.zeros_like(int_array); "
            "t = t.astype(float)).")


def refuse_bounds_of_another_kind(t, lo, hi, where: str) -> None:
    """Raise when the bounds would make ``t``'s values of a kind its dtype cannot hold
    (float bounds of an integer tensor): NumPy's ``clip(out=)`` and PyTorch's ``clamp_``
    refuse the cast too."""
    bounds = [b if isinstance(b, (bool, int, float, complex)) else np.asarray(b)
              for b in (lo, hi) if b is not None]
    kind = np.result_type(t.data, *bounds)
    if not np.can_cast(kind, t.dtype, casting="same_kind"):
        shown = ", ".join(repr(b) if np.ndim(b) == 0 else f"an array of shape {np.shape(b)}"
                          for b in (lo, hi))
        raise TypeError(
            f"{where}: the bounds ({shown}) give {kind} values, but tensor {_label(t)} "
            f"holds {t.dtype}, which cannot store them in place (PyTorch refuses this "
            "too). Pass bounds of the tensor's kind (ints for an integer tensor), or "
            "clamp a converted copy: t = t.astype(np.float64).clamp_(lo, hi), or "
            "t.clamp(lo, hi) for a new tensor.")
