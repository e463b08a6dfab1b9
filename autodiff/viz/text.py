"""The graph as plain text: one line per op, in topological order."""

from __future__ import annotations

from ..compile.outputs import ReplayedHistory
from . import walk as W
from .labels import dtype_text, inline_text, op_params_text, shape_text, value_text
from .packed_parts import packing_note, part_label


def _one_line(name):
    return name.replace("\r", "\\r").replace("\n", "\\n")


def _operand(edge):
    src = edge.src
    if src is None:
        return "<hidden>"
    if src.kind == W.CONSTANT and not src.named:
        return "<freed>" if src.data is None else inline_text(src.data)
    return _one_line(src.name)


#: The ops listed by default: the first and last half of these (a graph of thousands of
#: ops would print thousands of lines); ``max_nodes=None`` lists every one.
DEFAULT_MAX_LINES = 200


def text(t, params=None, max_nodes: int | None = DEFAULT_MAX_LINES) -> str:
    """The graph that produced ``t``, one line per op, inputs first.

    Leaves come first as comments; each op line reads like code with the output's
    shape and dtype, e.g. ``v7 = matmul(v3, W1)  # (128, 64) float32``.  Constants
    are written by value when tiny (``2``) and as ``const(4, 3)`` otherwise.
    An op with several outputs (``eigh``, ``svd``, ``qr``, ...) is one ``*_packed`` op
    whose line names the parts it packs; each ``getitem`` that unpacks one is labelled
    with its name (``w (eigenvalues) of eigh``).  Beyond ``max_nodes`` ops (200 by
    default) the middle ones are left out, on a line that says how many and how to see
    them all (``max_nodes=None``).

    >>> W = ad.tensor(np.ones((3, 2)), requires_grad=True, name="W")
    >>> loss = (ad.tensor(np.ones((4, 3))) @ W).relu().mean()
    >>> print(ad.viz.text(loss))
    # W: leaf (3, 2) float64, requires grad
    v1 = matmul(const(4, 3), W)  # (4, 2) float64
    ...
    """
    view = W.build(t, params=params, max_nodes=max_nodes, where="viz.text")
    lines = []
    for value in view.values:
        if value.kind == W.LEAF or (value.kind == W.OUTPUT and value.node is None):
            note = "requires grad" if value.tensor.requires_grad else "no grad"
            if value.changed:
                note += "; changed in place since this graph used it"
            lines.append(f"# {_one_line(value.name)}: leaf {shape_text(value.shape)} "
                         f"{dtype_text(value.dtype)}, {note}")
    # (build keeps the first max_nodes - max_nodes // 2 ops and the last max_nodes // 2)
    hidden_at = max_nodes - max_nodes // 2 if view.hidden_ops else -1
    for index, op in enumerate(view.ops):
        if index == hidden_at:
            lines.append(f"# ... {view.hidden_ops:,} ops hidden (max_nodes={max_nodes}); "
                         "pass max_nodes=None to list all ...")
        positional = [(e.position, _operand(e)) for e in op.edges]
        for name, value, position in op.params:
            shown = value_text(name, value) if position is not None else None
            if shown is not None:
                positional.append((position, shown))
        positional.sort()
        keywords = op_params_text([p for p in op.params if p[2] is None])
        args = [text for _, text in positional] + keywords
        notes = [f"{shape_text(op.out.shape)} {dtype_text(op.out.dtype)}"]
        if op.out.kind == W.NOGRAD_RESULT:
            notes.append("no grad")
        if op.out.kind == W.OUTPUT:
            notes.append("output")
        replayed = getattr(op.node, "saved", None)
        if replayed.__class__ is ReplayedHistory:
            notes.append(f"returned by a replay of the compiled {replayed.name}, which "
                         "records no graph: its inputs are not shown")
        part = packing_note(op.node) or part_label(op.node)
        if part:
            notes.append(part)
        nograd = [e.input_name for e in op.edges if e.kind == W.NOGRAD]
        if nograd:
            notes.append("no gradient into " + ", ".join(nograd))
        lines.append(f"{_one_line(op.out.name)} = {op.node.op.name}({', '.join(args)})  # "
                     + "; ".join(notes))
    if any(e.src is not None and e.src.kind == W.CONSTANT and not e.src.named
           and e.src.data is None for op in view.ops for e in op.edges):
        lines.insert(0, "# <freed>: a constant operand (an array or number, not a tensor that "
                        "requires grad) released by backward(); call viz.text before "
                        "backward(), or backward(retain_graph=True), to see its value")
    return "\n".join(lines)
