"""The keywords of ``torch.compile`` that ``ad.compile`` takes and checks as PyTorch
does; they choose how PyTorch generates code, and there is one way to replay here."""

from __future__ import annotations

_TORCH_MODES = ("default", "lite", "reduce-overhead", "max-autotune",
                "max-autotune-no-cudagraphs")


def check_torch_keywords(backend, mode, options) -> None:
    """Raise where PyTorch's ``torch.compile`` would on these keywords."""
    if not (isinstance(backend, str) or callable(backend)):
        raise TypeError(f"compile: backend must be a name or a callable, as PyTorch's, got "
                        f"{backend!r} (it changes nothing here: there is one way to replay)")
    if mode is not None and mode not in _TORCH_MODES:
        raise RuntimeError(f"compile: Unrecognized mode={mode!r}, should be one of: "
                           f"{', '.join(_TORCH_MODES)} (as PyTorch's; none changes anything "
                           "here)")
    if mode is not None and options is not None:
        raise RuntimeError("compile: either mode or options can be specified, but both "
                           "can't be specified at the same time (as in PyTorch)")
