"""NumPy's functions that build arrays from pieces, on Tensors."""

from __future__ import annotations
