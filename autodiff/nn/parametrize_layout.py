"""Whether a parametrization of a tensor stored transposed from PyTorch's layout
(``Linear.weight``, ``(in, out)`` here) gives PyTorch's numbers.

It does when it commutes with the transpose, ``p(W.T) == p(W).T``: ``A - A.T``,
``matrix_exp``, an elementwise function.  One that does not (``triu``, a norm of each
row) makes another tensor than PyTorch's from the same weights, without any error, so
``register_parametrization`` warns at the user's line, unless its ``layout=`` says which
view the parametrization is written for.  The library's own
parametrizations (``orthogonal``, ``weight_norm``, ``spectral_norm``) read the layout
themselves and are not checked.
"""

from __future__ import annotations

import copy

import numpy as np

from ..conventions import ConventionWarning
from ..grad_mode import no_grad
from ..tensor import Tensor


def warn_if_layout_matters(module, tensor_name: str, parametrization, value) -> None:
    """Warn when ``parametrization``, given ``value`` (``module.<tensor_name>`` as stored
    here, PyTorch's transpose) and its transpose, does not give transposed results.
    Each probe runs on a copy of the parametrization in eval mode, so that its state
    (a running buffer) is left as it was and a random one (DropConnect) draws nothing."""
    if type(parametrization).__module__.startswith("autodiff."):
        return
    if not isinstance(value, Tensor) or value.ndim != 2:
        return
    with no_grad():
        try:
            here = copy.deepcopy(parametrization).eval()(value)
        except Exception as error:
            _refuse_if_written_for_pytorchs_layout(module, tensor_name, parametrization,
                                                   value, error)
            return              # (fails either way: registering it raises its own error)
        try:
            theirs = copy.deepcopy(parametrization).eval()(value.T)
        except Exception:       # (written for this layout only: nothing to compare)
            return
    here = np.asarray(getattr(here, "data", here))
    theirs = np.asarray(getattr(theirs, "data", theirs))
    if here.shape != tuple(value.shape):     # (a change of shape is refused, or unsafe)
        return
    if theirs.shape == here.T.shape:
        scale = float(np.max(np.abs(here), initial=1.0))
        if np.allclose(theirs, here.T, rtol=1e-9, atol=1e-12 * scale, equal_nan=True):
            return
    from ..tape_drop import user_frame, warn_at
    warn_at(user_frame(), (
        f"register_parametrization: {type(module).__name__}.{tensor_name} is stored "
        f"{tuple(value.shape)} here, the transpose of PyTorch's layout, and "
        f"{type(parametrization).__name__} does not commute with the transpose "
        "(p(W.T) is not p(W).T, as with triu or a norm of each row): it makes another "
        "tensor than PyTorch's would from the same weights. Pass layout='out_in' to give "
        "it PyTorch's (out, in) view (and PyTorch's numbers), or layout='in_out' to keep "
        "this library's without the warning."), ConventionWarning)


def _refuse_if_written_for_pytorchs_layout(module, tensor_name, parametrization, value,
                                           error) -> None:
    """Raise a ValueError naming ``layout='out_in'`` when ``parametrization`` fails on
    ``value`` as stored here but runs on its transpose, PyTorch's view (a mask buffer of
    PyTorch's ``(out, in)`` shape, say): its own error would only name two shapes."""
    try:
        copy.deepcopy(parametrization).eval()(value.T)
    except Exception:
        return
    raise ValueError(
        f"register_parametrization: {type(parametrization).__name__} fails on "
        f"{type(module).__name__}.{tensor_name} as stored here, {tuple(value.shape)} (the "
        f"transpose of PyTorch's layout), but runs on PyTorch's {tuple(value.T.shape)}: "
        "pass layout='out_in' to give it PyTorch's (out, in) view, as it expects "
        f"({type(error).__name__}: {str(error)[:200]})") from error
