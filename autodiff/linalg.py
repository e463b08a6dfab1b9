"""``ad.linalg``: linear-algebra functions beyond matmul."""

from .ops.linalg import inv  # noqa: F401

__all__ = ["inv"]
