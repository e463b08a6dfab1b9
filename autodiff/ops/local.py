"""The local derivative of one recorded op: its gradient rule applied to ``g = ones``.

``ad.explain`` asks it whether an op passes zero gradient to an input everywhere;
``detect_anomaly`` asks it which positions a selecting op (max, indexing) passed
gradient to, and whether a non-finite gradient came from the local derivative.
"""

from __future__ import annotations

import numpy as np

from ..graph import Node
from ..tensor import Tensor


def local_derivative(node: Node, position: int) -> np.ndarray | None:
    """The rule for input ``position`` applied to ``g = ones`` with the node's saved
    values (an ndarray of the output's shape before any broadcast sum), or None when
    the values were freed, the input gets no gradient or the rule fails."""
    from .namespace import numpy_xp

    op = node.op
    if node.args is None:
        return None
    ones = np.ones(node.ans.shape, dtype=node.ans.dtype if node.ans.dtype.kind == "f"
                   else np.float64)
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
