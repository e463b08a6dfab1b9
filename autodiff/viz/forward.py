"""A forward-mode pass as text: each op with its value and its tangent."""

from __future__ import annotations

import numpy as np

from .labels import inline_text


def _short(a) -> str:
    a = np.asarray(a)
    return np.array2string(a, precision=4, separator=", ", threshold=6,
                           edgeitems=2).replace("\n", "")


def jvp_text(func, primals: tuple, tangents: tuple) -> str:
    """``ad.jvp(func, primals, tangents)`` written out: one line per op, in the order
    forward mode runs them, with the value and the tangent (``J t``) it computed.

    >>> print(ad.viz.jvp_text(lambda x: ad.sin(x) * x, (np.array(0.5),), (np.array(1.0),)))
    x0 = 0.5  tangent 1.
    v1 = sin(x0)  value 0.4794  tangent 0.8776
    v2 = multiply(v1, x0)  value 0.2397  tangent 0.9182
    """
    from ..forward import TangentProgram, jvp_inputs

    args, inputs, outs, seeds = jvp_inputs(func, primals, tangents, record=False)
    program = TangentProgram(outs, inputs, False)
    program(seeds)
    names, lines = {}, []
    for k, (t, seed) in enumerate(zip(inputs, seeds)):
        names[t._node if t._node is not None else id(t)] = f"x{k}"
        lines.append(f"x{k} = {_short(t.data)}  tangent {_short(seed)}")
    computed = program.last_tangents[len(inputs):]
    for i, (node, tangent) in enumerate(zip(program.nodes, computed), start=1):
        names[node] = f"v{i}"
        operands = []
        for a, parent in zip(node.args, node.parents):
            key = id(parent) if parent is not None and parent.__class__.__name__ == "Tensor" \
                else parent
            operands.append(names.get(key) if key in names else inline_text(a)
                            if isinstance(a, np.ndarray) else repr(a))
        shown = "0" if tangent is None else _short(tangent)
        lines.append(f"v{i} = {node.op.name}({', '.join(operands)})  value {_short(node.ans)}"
                     f"  tangent {shown}")
    return "\n".join(lines)
