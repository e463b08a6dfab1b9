"""NumPy's signal and polynomial functions on Tensors."""

from __future__ import annotations
