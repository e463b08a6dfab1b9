"""Specs for the ops behind NumPy functions that read values with no gradient to speak
of (``np.spacing``, autodiff/ops/float_parts.py).  Imported at the end of
op_specs.py, whose helpers they use."""

from __future__ import annotations

import numpy as np

from op_specs import unary

SPECS = [
    # a step function: first order only, as floor (its gradient is 0)
    unary("spacing", lambda t: np.spacing(t), np.spacing, order=1),
]
