"""Cutting one call of a fused loop into parts that run on several threads.

A generated loop releases the GIL (``nogil=True``), so ``autodiff.kernels.parts`` can
run it over the first rows of its arrays on this thread and over the other rows on
worker threads.  A loop may be cut when each element it writes depends only on the
elements of the same position: no reduction anywhere in the loop, every output of
one shape and written element by element (layout ``full``), and every input either
of that shape and read element by element (cut with the outputs), or read whole: a
scalar, a bias repeated along the rows, a row value of a loop with one row.  A cut
call writes the same values as a whole one (tests/test_compile_parts.py); only
loops of at least ``parts.MIN_ELEMENTS`` elements per part are cut.
"""

from __future__ import annotations

import numpy as np

from ..kernels import parts
from .layout import FULL, INNER, OUTER, SCALAR


def cut_inputs(fused):
    """``(shape, cut)``: the outputs' shape and, per input, whether it is cut with
    them (False: passed whole); None when the loop cannot be cut."""
    expr, pos = fused.expr, fused.pos
    if any(node.kind == "reduce" for node in expr.nodes):
        return None
    shapes = {expr.nodes[k].shape for k in fused.distinct}
    if len(shapes) != 1:
        return None
    shape = shapes.pop()
    if not shape or shape[0] < 2 or any(pos[k] != FULL for k in fused.distinct):
        return None
    outer = fused.split[0]
    cut = []
    for slot in fused.inputs:
        k = expr.inputs[slot]
        layout = pos[k]
        if layout == SCALAR or (layout == OUTER and outer == 1) or (layout == INNER
                                                                     and outer > 1):
            cut.append(False)
        elif layout in (FULL, INNER) and expr.nodes[k].shape == shape:
            cut.append(True)
        else:
            return None
    return shape, tuple(cut)


def parted_run_into(module, fused, made, whole_run_into):
    """``run_into`` that cuts large calls into parts (``whole_run_into`` for the
    others), or None when the loop cannot be cut."""
    found = cut_inputs(fused)
    if found is None:
        return None
    shape, cut = found
    outer, inner = fused.split
    rows = shape[0]
    if outer > 1 and outer % rows:
        return None
    per_row = (outer * inner) // rows           # loop points per index of the first axis
    n_in = len(fused.inputs)
    returned = [fused.distinct.index(k) for k in fused.outputs]
    kernel_run = module.run

    def run_into(*args):
        if parts.how_many(rows, per_row) == 1:
            return whole_run_into(*args)
        inputs = args[:n_in]
        arrays = [np.empty(s, d) if into is None else into
                  for into, (s, d) in zip(args[n_in:], made)]

        def run_part(start, stop):
            count = stop - start
            part_outer, part_inner = (((outer // rows) * count, inner) if outer > 1
                                      else (1, per_row * count))
            kernel_run(*[a[start:stop] if c else a for a, c in zip(inputs, cut)],
                       *[a[start:stop] for a in arrays], part_outer, part_inner)
        parts.run_parts(run_part, rows, per_row)
        return tuple(arrays[j] for j in returned)
    return run_into
