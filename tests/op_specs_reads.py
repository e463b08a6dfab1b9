"""Specs for the ops behind NumPy functions that read values with no gradient to speak
of (``np.spacing``, ``np.nextafter``, autodiff/ops/float_parts.py).  Imported at the end of
op_specs.py, whose helpers they use."""

from __future__ import annotations

import numpy as np

from op_specs import binary, unary

SPECS = [
    # a step function: first order only, as floor (its gradient is 0)
    unary("spacing", lambda t: np.spacing(t), np.spacing, order=1),
    # x moved one step towards y: y only gives the direction (kept apart from x here,
    # so that the finite differences do not cross it)
    binary("nextafter", lambda a, b: np.nextafter(a, b), np.nextafter,
           a_range=(-2, -0.5), b_range=(0.5, 2)),
]
