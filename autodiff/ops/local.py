"""The local derivative of one recorded op: its gradient rule applied to ``g = ones``.

``ad.explain`` asks it whether an op passes zero gradient to an input everywhere;
``detect_anomaly`` asks it which positions a selecting op (max, indexing) passed
gradient to, and whether a non-finite gradient came from the local derivative.
"""

from __future__ import annotations

import numpy as np

from ..graph import Node
from ..tensor import Tensor


def local_derivative(node: Node, position: int, generic: bool = False) -> np.ndarray | None:
    """The rule for input ``position`` applied to ``g = ones`` with the node's saved
    values (an ndarray of the output's shape before any broadcast sum), or None when
    the values were freed, the input gets no gradient or the rule fails.

    With ``generic=True`` the upstream gradient is a fixed array of distinct positive
    values instead of ones: for an elementwise op the result is zero exactly where
    the derivative is, and an op such as ``softmax``, whose rule sends zero for a
    uniform ``g`` only (its outputs sum to 1), is not mistaken for one that zeroes
    every gradient."""
    from .namespace import numpy_xp

    op = node.op
    if node.args is None:
        return None
    dtype = node.ans.dtype if node.ans.dtype.kind == "f" else np.float64
    ones = np.ones(node.ans.shape, dtype=dtype)
    if generic:
        ones = (ones + np.random.default_rng(0).random(ones.shape)).astype(dtype)
    try:
        with np.errstate(all="ignore"):
            if op.rules is not None:
                rule = op.rules[position]
                if rule is None:
                    return None
                out = rule(numpy_xp, ones, node.ans, *node.args, **(node.kwargs or {}))
            else:
                out = op.vjp(numpy_xp, ones, node.ans, node.args, node.kwargs,
                             node.parents, node)[position]
        if out is None:
            return None
        return np.asarray(out.data if isinstance(out, Tensor) else out)
    except Exception:
        return None
