"""While ``ad.compile`` traces, ``.grad`` is the plain NumPy buffer the reverse pass
adds into (held read-only, ``readonly.py``), not its ``GradArray`` view: so PyTorch's
methods on a gradient (``p.grad.zero_()``, ``p.grad.clamp_(-1, 1)``,
``p.grad.norm()``) raise NumPy's bare ``AttributeError`` there.  ``refusal`` turns that
error into a ``TraceError`` naming the method, the line and what a replay repeats
instead: its writes would run only while tracing, and a number it reads would be
reused by every replay.
"""

from __future__ import annotations

import numpy as np

from ..grad_arrays import GradArray
from .provenance import frame_line
from .readonly import user_frame
from .refusals import TraceError

#: What to write instead of each method, by what it does.
_INSTEAD = {
    "zero_": "opt.zero_grad() (set_to_none=False too) or p.grad = None",
    "clamp_": "ad.nn.utils.clip_grad_value_(params, c)",
    "clip_": "ad.nn.utils.clip_grad_value_(params, c)",
    "norm": ("ad.nn.utils.clip_grad_norm_(params, max_norm), which returns the total "
             "norm as a traced tensor, or ad.tensor(p.grad).norm()"),
}
_CHANGES = ("ad.nn.utils.clip_grad_norm_ or clip_grad_value_ (or give the optimizer "
            "weight_decay=, or scale the loss before backward())")
_READS = "tensor ops on ad.tensor(p.grad) (ad.tensor(p.grad).abs().max())"


def refusal(held, error) -> TraceError | None:
    """The ``TraceError`` for ``error``, an ``AttributeError`` of a ``GradArray``
    method looked up on a ``.grad`` buffer that ``held`` holds, or NumPy's
    ``TypeError`` for PyTorch's ``dim=``/``keepdim=`` given to one of its methods on
    a line that read a ``.grad``; else None."""
    if isinstance(error, TypeError):
        return _keyword_refusal(held, error)
    if not isinstance(error, AttributeError) or type(error.obj) is not np.ndarray:
        return None
    name = error.name
    if not name or not hasattr(GradArray, name) or hasattr(np.ndarray, name):
        return None
    site = held.sites.get(id(error.obj))
    if site is None or site.kind != "grad" or site.array is not error.obj:
        return None
    line = _user_line(error.__traceback__)
    if name in _INSTEAD:
        instead = _INSTEAD[name]
    elif name.endswith("_"):
        instead = _CHANGES
    else:
        instead = _READS
    return TraceError(
        f"compile: {name} called on {site.label} at {line}: while tracing, .grad is the plain "
        f"NumPy buffer the backward pass adds into, without the PyTorch methods .grad "
        f"has outside ad.compile, since a replay would not repeat NumPy code on it. "
        f"Write {instead}, which a replay repeats, or call it outside the compiled "
        "function.")


def _keyword_refusal(held, error) -> TraceError | None:
    keyword = next((k for k in ("dim", "keepdim") if
                    f"unexpected keyword argument '{k}'" in str(error)), None)
    if keyword is None:
        return None
    lines = _user_lines(error.__traceback__)
    site = next((s for s in held.sites.values() if s.kind == "grad" and s.lines & set(lines)),
                None)
    if site is None:
        return None
    line = _user_line(error.__traceback__)
    return TraceError(
        f"compile: {keyword}= given to a method of {site.label} at {line}: while "
        "tracing, .grad is the plain NumPy buffer, whose methods take NumPy's axis= and "
        "keepdims=, and a value computed from it with NumPy is fixed at its traced "
        "value. Write ad.tensor(p.grad).sum(dim=1) (tensor ops, which a replay "
        "repeats), or compute it outside the compiled function.")


def _user_lines(tb) -> list:
    """The ``file:line`` of each frame of the user's code in ``tb``, outermost first."""
    lines = []
    while tb is not None:
        if user_frame(tb.tb_frame) is tb.tb_frame:
            lines.append(frame_line(tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    return lines


def _user_line(tb) -> str:
    """The ``file:line`` of the innermost frame of the user's code in ``tb``."""
    lines = _user_lines(tb)
    return lines[-1] if lines else "an unknown line"
