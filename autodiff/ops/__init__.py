"""Every differentiable operation, grouped by family (one module each)."""

from .registry import Op, defop, defop_joint, nondifferentiable  # noqa: F401
