"""Where each value of a fused group lives in its loop nest.

A group's loop runs over ``OUTER × INNER`` points: the outer loop over rows ``o``, the
inner loop over the elements ``i`` of a row.  For an (N, C) step that is N rows of C;
a plain elementwise chain has one row (``OUTER = 1``).  Every expression node gets a
*layout*, which says which element of its (flat, C-ordered) array belongs to loop
point ``(o, i)``:

=========  ====================  ===============================================
layout     element at (o, i)     typical value
=========  ====================  ===============================================
``full``   ``o * INNER + i``     an (N, C) activation or gradient
``outer``  ``o``                 an (N, 1) row statistic: ``x.max(-1, keepdims=True)``
``inner``  ``i``                 a (C,) bias, or the (C,) sum of a gradient over rows
``scalar`` ``0``                 a 0-d value or a constant
=========  ====================  ===============================================

The layouts are inferred from NumPy's shapes and checked: an operand broadcast into
a result must be broadcast along the leading axes (``inner``) or the trailing axes
(``outer``) that the row split of the result's own shape gives.  Reductions come in
two kinds: over the trailing axes (a *row* reduction, computed per row before the
row's elements that read it) and over the leading axes (a *column* reduction,
accumulated across rows, so nothing in the loop may read it; it is only an output).
Anything else is not an error: ``infer`` returns None, and the step stays a NumPy
step.
"""

from __future__ import annotations

import numpy as np

FULL, OUTER, INNER, SCALAR = "full", "outer", "inner", "scalar"


class Layout:
    """The layout of each node of one expression under one row split, and which
    nodes are column reductions."""

    __slots__ = ("pos", "columns")

    def __init__(self):
        self.pos: dict = {}         # node -> FULL / OUTER / INNER / SCALAR
        self.columns: set = set()   # column reductions (outputs only)


def elements(shape) -> int:
    """The number of elements of ``shape`` (a Python int, however large)."""
    n = 1
    for d in shape:
        n *= d
    return n


def ancestors(expr, roots, through_reductions=True) -> set:
    """The nodes of ``expr`` that ``roots`` are computed from, the roots included
    (stopping at reductions, included, when ``through_reductions`` is False)."""
    nodes = expr.nodes
    seen: set = set()
    stack = list(roots)
    while stack:
        k = stack.pop()
        if k not in seen:
            seen.add(k)
            if through_reductions or nodes[k].kind != "reduce":
                stack.extend(nodes[k].args)
    return seen


def splits(shape) -> list:
    """The row splits ``(OUTER, INNER)`` of a shape, one per axis it can be cut at
    (rows of more than one element).

    >>> splits((4, 3, 5))
    [(1, 60), (4, 15), (12, 5)]
    """
    found = []
    for k in range(len(shape)):
        split = (elements(shape[:k]), elements(shape[k:]))
        if split[1] > 1 and split not in found:
            found.append(split)
    return found


def _by_size(size, split, shape=(), prefer=None):
    outer, inner = split
    candidates = []
    if size == outer * inner:
        candidates.append(FULL)
    if size == 1:
        candidates.append(SCALAR)
    if outer > 1 and size == outer:
        candidates.append(OUTER)
    if size == inner:
        candidates.append(INNER)
    if not candidates:
        return None
    if prefer in candidates:
        return prefer
    if OUTER in candidates and INNER in candidates and len(shape) > 1 and shape[-1] != 1:
        return INNER                # rows as long as there are rows: a guess, checked
    return candidates[0]


def _dep(pos, split):
    outer, inner = split
    return (pos in (FULL, OUTER) and outer > 1, pos in (FULL, INNER) and inner > 1)


def _embeds(operand_shape, operand_pos, shape, pos, split) -> bool:
    """NumPy broadcasting of the operand into ``shape`` reads, at every loop point,
    the element the operand's layout puts there."""
    if operand_pos == SCALAR or operand_pos == pos:
        return True             # equal sizes: the same shape up to leading 1s
    if pos != FULL:
        return False
    outer, inner = split
    t = tuple(operand_shape)
    if len(t) > len(shape):
        if any(d != 1 for d in t[:len(t) - len(shape)]):
            return False
        t = t[len(t) - len(shape):]
    t = (1,) * (len(shape) - len(t)) + t
    for k in range(len(shape) + 1):
        if elements(shape[:k]) != outer or elements(shape[k:]) != inner:
            continue
        head_ones = all(d == 1 for d in t[:k])
        tail_ones = all(d == 1 for d in t[k:])
        if operand_pos == OUTER and t[:k] == tuple(shape[:k]) and tail_ones:
            return True
        if operand_pos == INNER and head_ones and t[k:] == tuple(shape[k:]):
            return True
    return False


def _reduction_kind(shape, axes, split):
    """"row" (over the trailing axes, one value per row), "column" (over the leading
    axes, one value per row element) or None."""
    outer, _ = split
    kept = [d for d in range(len(shape)) if d not in axes and shape[d] != 1]
    reduced = [d for d in axes if shape[d] != 1]
    if not reduced:
        return None
    if not kept or min(reduced) > max(kept):
        return "row" if elements([shape[d] for d in kept]) == outer else None
    if max(reduced) < min(kept) and elements([shape[d] for d in reduced]) == outer and outer > 1:
        return "column"
    return None


def infer(expr, needed, split, fixed=None) -> Layout | None:
    """The layouts of the ``needed`` nodes of ``expr`` under ``split``, or None if a
    loop nest of that split cannot compute them.  ``fixed`` gives the layout of input
    slots already placed by the group (None: the slot cannot be read in the loop)."""
    layout = Layout()
    pos = layout.pos
    nodes = expr.nodes
    for k in sorted(needed):
        node = nodes[k]
        kind = node.kind
        size = elements(node.shape)
        if kind == "input":
            if fixed is not None and node.value in fixed:
                p = fixed[node.value]
            else:
                p = _by_size(size, split, node.shape)
            if p is None:
                return None
            pos[k] = p
            continue
        if kind == "const":
            pos[k] = _by_size(size, split, node.shape) or FULL
            continue
        args = node.args
        if any(a in layout.columns for a in args):
            return None             # complete only after the last row
        if kind == "reduce":
            source = args[0]
            axes, _ = node.value
            which = _reduction_kind(nodes[source].shape, axes, split)
            if pos[source] != FULL or which is None:
                return None
            if which == "column":
                layout.columns.add(k)
            p = INNER if which == "column" else (OUTER if split[0] > 1 else SCALAR)
        elif kind == "view" and node.fn is np.reshape:
            p = pos[args[0]]
        else:
            same = next((pos[a] for a in args if elements(nodes[a].shape) == size), None)
            p = _by_size(size, split, node.shape, prefer=same)
            if p is None:
                return None
            for a in args:
                if nodes[a].kind != "const" and not _embeds(nodes[a].shape, pos[a],
                                                            node.shape, p, split):
                    return None
        if p is None or _by_size(size, split, node.shape, prefer=p) != p:
            return None
        pos[k] = p
    return layout


def is_flat(expr, needed, size) -> bool:
    """Every value is of the loop's full size or a scalar, with no reduction: any
    row split computes it element by element."""
    nodes = expr.nodes
    return all(nodes[k].kind != "reduce" and elements(nodes[k].shape) in (size, 1)
               for k in needed)


def dependencies(expr, pos, split) -> list:
    """For each node: (varies with the row ``o``, varies within the row ``i``).  A
    row reduction is computed in the row loop even when there is one row."""
    dep = []
    for k, node in enumerate(expr.nodes):
        if node.kind == "reduce":
            dep.append((True, False) if pos[k] != INNER else (False, True))
        elif node.kind == "input":
            dep.append(_dep(pos[k], split))
        elif node.kind == "const":
            dep.append((False, False))
        else:
            dep.append(tuple(any(dep[a][n] for a in node.args) for n in (0, 1)))
    return dep
