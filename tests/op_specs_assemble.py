"""Specs for the functions of autodiff/ops/assemble.py.  Imported at the end of op_specs.py,
whose helpers they use: import op_specs (its SPECS include these), not this module on
its own."""

from __future__ import annotations

SPECS = []
