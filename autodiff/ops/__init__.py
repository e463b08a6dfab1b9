"""Every differentiable operation, grouped by family (one module each), and the
registry they are defined with (``defop``; see ``registry``)."""

from .registry import (  # noqa: F401
    REGISTRY, Op, defop, defop_joint, forget_numpy, implements, implements_without_gradient,
    nondifferentiable, unregister)
from .namespace import numpy_xp, tensor_xp, xp_function  # noqa: F401
