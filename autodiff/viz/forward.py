"""A forward-mode pass as text: each op with its value and its tangent."""

from __future__ import annotations

import numpy as np

from ..graph import Node
from . import walk as W
from .labels import inline_text, op_params_text, value_text


def _short(a) -> str:
    a = np.asarray(a)
    return np.array2string(a, precision=4, separator=", ", threshold=6,
                           edgeitems=2).replace("\n", "")


def _operands(node, names) -> list[str]:
    """The op's arguments written as ``viz.text`` writes them: values by name, tiny
    constants by value, and parameters such as an index or an axis."""
    rules = node.op.rules
    positional = []
    for i, (a, parent) in enumerate(zip(node.args, node.parents)):
        if parent is not None:
            is_node = parent.__class__ is Node
            shown = names.get(parent if is_node else id(parent))
            if shown is None and not is_node:     # a tensor from outside, e.g. a closure's
                shown = parent.name
            positional.append((i, shown or inline_text(a)))
            continue
        differentiable = rules is None or (i < len(rules) and rules[i] is not None)
        if W._is_constant_input(a, differentiable):
            positional.append((i, inline_text(a)))
        else:
            shown = value_text(node.op.input_name(i), a)
            if shown is not None:
                positional.append((i, shown))
    keywords = op_params_text([(k, v, None) for k, v in (node.kwargs or {}).items()])
    return [text for _, text in sorted(positional)] + keywords


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
        operands = _operands(node, names)
        shown = "0" if tangent is None else _short(tangent)
        lines.append(f"v{i} = {node.op.name}({', '.join(operands)})  value {_short(node.ans)}"
                     f"  tangent {shown}")
    return "\n".join(lines)
