"""Drawing: the graph as a ``graphviz.Digraph``, and writing it to a file with ``dot``."""

from __future__ import annotations

import os

import graphviz

from . import walk as W
from .labels import array_text, dtype_text, escape, op_params_text, shape_text
from .packed_parts import packing_note, part_label

INSTALL_HINT = (
    "Install Graphviz (it provides the 'dot' program) and make sure 'dot' is on PATH:\n"
    "  Debian/Ubuntu:  sudo apt-get install graphviz\n"
    "  Fedora/RHEL:    sudo dnf install graphviz\n"
    "  macOS:          brew install graphviz\n"
    "  conda:          conda install -c conda-forge graphviz\n"
    "  Windows:        winget install graphviz\n"
    "ad.viz.draw() and ad.viz.text() work without it.")

DEFAULT_MAX_NODES = 150

_FILL = {W.LEAF: "#cfe2f3", W.CONSTANT: "#eeeeee", W.RESULT: "#ffffff",
         W.NOGRAD_RESULT: "#f3f3f3", W.OUTPUT: "#b6d7a8"}
_CAPTION = {W.LEAF: "leaf, requires grad", W.CONSTANT: "constant", W.RESULT: None,
            W.NOGRAD_RESULT: "no gradient", W.OUTPUT: "output"}
_OP_FILL = "#fff2cc"
#: The caption of a leaf changed in place after this graph used it.
CHANGED = "changed in place since this graph used it:\nthe values are the current ones"
_HIGHLIGHT = "#cc0000"


class GraphvizNotFoundError(RuntimeError):
    """The Graphviz ``dot`` program is missing; the DOT source was saved instead."""


class Graph(graphviz.Digraph):
    """A ``graphviz.Digraph`` that shows its DOT source and an install hint in Jupyter
    when ``dot`` is missing, instead of raising."""

    hidden_ops = 0
    caption = ""        # the caption as plain text, for pictures that have one

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except (graphviz.ExecutableNotFound, graphviz.CalledProcessError) as error:
            return self._fallback_bundle(error)

    def _fallback_bundle(self, error):
        if isinstance(error, graphviz.ExecutableNotFound):
            note = "Graphviz 'dot' was not found, so this graph cannot be shown as a picture.\n"
            note += INSTALL_HINT
        else:
            note = f"Graphviz 'dot' failed: {error}"
        note += "\nThe DOT source:"
        plain = note + "\n" + self.source
        html_text = ("<pre>" + _html_text(note) + "</pre><pre style='font-size:smaller'>"
                     + _html_text(self.source) + "</pre>")
        return {"text/plain": plain, "text/html": html_text}

    def _repr_html_(self):
        bundle = self._repr_mimebundle_(include=["image/svg+xml"])
        return bundle.get("text/html") or bundle.get("image/svg+xml")


def _html_text(text):
    import html
    return html.escape(text)


def _tensor_label(value, show_values, show_grads, grads, extra_rows):
    scalar_constant = (value.kind == W.CONSTANT and not value.named
                       and value.data is not None and value.data.ndim == 0)
    title = array_text(value.data) if scalar_constant else value.name
    rows = [f"<B>{escape(title)}</B>"]
    info = shape_text(value.shape)
    if value.dtype is not None:
        info += " " + dtype_text(value.dtype)
    rows.append(f'<FONT POINT-SIZE="10">{escape(info)}</FONT>')
    caption = _CAPTION[value.kind]
    if caption and value.kind != W.CONSTANT:
        rows.append(f'<FONT POINT-SIZE="9" COLOR="#555555">{escape(caption)}</FONT>')
    if value.changed:
        rows.append(f'<FONT POINT-SIZE="9" COLOR="{_HIGHLIGHT}">{escape(CHANGED)}</FONT>')
    left = []  # rows of numbers, aligned left
    if show_values and not scalar_constant:
        if value.freed:
            rows.append('<FONT COLOR="#888888">values freed by backward()</FONT>')
        else:
            left.append(escape(array_text(value.data)))
    if show_grads and value.kind != W.CONSTANT:
        grad = _grad_for(value, grads)
        if grad is not None:
            tag = "grad" if value.tensor is not None else "grad (recomputed)"
            text = array_text(grad)
            sep = "<BR/>" if "\n" in text else " "
            left.append(f'<FONT COLOR="#a61c00">{escape(tag)}:{sep}{escape(text)}</FONT>')
        elif value.tensor is not None:
            rows.append('<FONT COLOR="#a61c00">grad: None</FONT>')
    for row in extra_rows:
        left.append(f'<FONT COLOR="{_HIGHLIGHT}">{escape(row)}</FONT>')
    cells = "".join(f"<TR><TD>{r}</TD></TR>" for r in rows)
    cells += "".join(f'<TR><TD ALIGN="LEFT" BALIGN="LEFT">{r}</TD></TR>' for r in left)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{cells}</TABLE>>'


def _grad_for(value, grads):
    if value.tensor is not None:
        return value.tensor.grad
    if grads is not None and value.node is not None:
        return grads.get(id(value.node))
    return None


def _op_label(op_vertex):
    rows = [f"<B>{escape(op_vertex.node.op.name)}</B>"]
    params = op_params_text(op_vertex.params)
    if params:
        rows.append(f'<FONT POINT-SIZE="10">{escape(", ".join(params))}</FONT>')
    part = packing_note(op_vertex.node) or part_label(op_vertex.node)
    if part:
        rows.append(f'<FONT POINT-SIZE="10">{escape(part)}</FONT>')
    return "<" + '<BR/>'.join(rows) + ">"


def _edge_attrs(edge, multi_input, extra):
    attrs = {}
    label = edge.input_name if multi_input else ""
    if edge.kind == W.NOGRAD:
        attrs.update(style="dashed", color="#999999", fontcolor="#777777")
        label = (label + ": " if label else "") + "no gradient"
    elif edge.kind == W.CONST:
        attrs.update(style="dashed", color="#aaaaaa", fontcolor="#777777")
    elif edge.kind == W.BROADCAST:
        attrs.update(color="#e69138", fontcolor="#b45f06", penwidth="2")
        label = ((label + ": " if label else "")
                 + f"broadcast {shape_text(edge.src_shape)}→{shape_text(edge.out_shape)}"
                 + "\ngrad summed back")
    elif edge.kind == W.INDEX:
        attrs.update(color="#8e7cc3", fontcolor="#674ea7", penwidth="2")
        label = (label + ": " if label else "") + "indexed\ngrad scatter-added"
    if extra:
        attrs.update(color=_HIGHLIGHT, fontcolor=_HIGHLIGHT, penwidth="2.5")
        label = (label + "\n" if label else "") + extra
    if label:
        attrs["label"] = label.replace("\\", "\\\\").replace("\n", "\\n")  # DOT line breaks
    return attrs


FREED_NOTE = ("values of intermediate results were freed by backward(); to see them, draw "
              "before backward() or call backward(retain_graph=True)")


def _legend(show_grads=False):
    def row(fill, text, style=""):
        return (f'<TR><TD BGCOLOR="{fill}" BORDER="1" {style}>  </TD>'
                f'<TD ALIGN="LEFT">{escape(text)}</TD></TR>')
    def line(color, stroke, text):
        return (f'<TR><TD><FONT COLOR="{color}">{stroke}</FONT></TD>'
                f'<TD ALIGN="LEFT">{escape(text)}</TD></TR>')
    rows = [row(_FILL[W.LEAF], "leaf that requires grad"),
            row(_FILL[W.CONSTANT], "constant (no gradient)"),
            row(_FILL[W.RESULT], "intermediate result"),
            row(_FILL[W.OUTPUT], "output"),
            row(_OP_FILL, "operation"),
            line("#e69138", "━━", "broadcast: grad summed back"),
            line("#8e7cc3", "━━", "indexing: grad scatter-added"),
            line("#999999", "- -", "no gradient flows")]
    if show_grads:
        rows.append('<TR><TD><FONT COLOR="#a61c00">grad</FONT></TD><TD ALIGN="LEFT">'
                    "a leaf's .grad</TD></TR>")
        rows.append('<TR><TD><FONT COLOR="#a61c00">grad<BR/>(recomputed)</FONT></TD>'
                    '<TD ALIGN="LEFT">an intermediate\'s gradient, replayed from the saved<BR/>'
                    "values (intermediates keep no .grad unless<BR/>t.retain_grad() was "
                    "called)</TD></TR>")
    return ('<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="2" COLOR="#999999">'
            '<TR><TD COLSPAN="2"><B>legend</B></TD></TR>' + "".join(rows) + "</TABLE>>")


def draw(t, show_values: bool = False, show_grads: bool = False, rankdir: str = "LR",
         max_nodes: int | None = DEFAULT_MAX_NODES, params=None, legend: bool = True,
         _annotate=None) -> Graph:
    """The graph that produced ``t`` as a ``graphviz.Digraph`` (no ``dot`` needed).

    Tensor boxes show name, shape and dtype (values and gradients on request; small
    tensors in full, larger ones as min/mean/max); ellipses are ops with their key
    arguments.  Orange edges broadcast (the gradient is summed back), purple ones
    index (the gradient is scatter-added), dashed ones carry no gradient.  Names come
    from ``name=``, then ``params`` (a Module or a mapping name -> tensor), else
    ``v<k>`` numbered in topological order.  Beyond ``max_nodes`` ops the middle of
    the graph is collapsed into one box that says how many ops it hides.

    >>> W = ad.tensor(np.ones((3, 2)), requires_grad=True, name="W")
    >>> loss = (ad.tensor(np.ones((4, 3))) @ W).mean()
    >>> g = ad.viz.draw(loss, show_values=True)   # g.source is the DOT text
    """
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"viz.draw: rankdir must be 'LR', 'RL', 'TB' or 'BT', not {rankdir!r}")
    if type(t).__name__ == "Plan" and hasattr(t, "instrs"):    # an ad.compile plan
        from ..compile.draw import draw_plan
        return draw_plan(t, rankdir)
    view = W.build(t, params=params, max_nodes=max_nodes, where="viz.draw")
    grads = None
    if show_grads and t._node is not None and t.requires_grad:
        from .steps import GraphFreedError, node_gradients
        try:
            grads = node_gradients(t)
        except GraphFreedError:
            grads = None    # saved values gone: only the leaves' .grad can be shown
    annotate = _annotate or {}
    rows = annotate.get("rows", {})
    edge_notes = annotate.get("edges", {})
    highlight = annotate.get("highlight")

    graph = Graph("autodiff", graph_attr={"rankdir": rankdir, "fontname": "Helvetica"},
                  node_attr={"fontname": "Helvetica", "fontsize": "12"},
                  edge_attr={"fontname": "Helvetica", "fontsize": "10"})
    caption = annotate.get("title")
    if show_values and any(v.freed for v in view.values):
        caption = (caption + "\n" if caption else "") + FREED_NOTE
    if caption:
        graph.attr(label=caption, labelloc="t", fontsize="14")
    graph.hidden_ops = view.hidden_ops
    for value in view.values:
        style = "filled,dashed" if value.kind in (W.NOGRAD_RESULT, W.CONSTANT) else "filled"
        if value.kind == W.OUTPUT:
            style = "filled,bold"
        graph.node(value.id, _tensor_label(value, show_values, show_grads, grads,
                                           rows.get(value.id, ())),
                   shape="box", style=style + ",rounded", fillcolor=_FILL[value.kind])
    if view.hidden_ops:
        text = f"… {view.hidden_ops:,} ops hidden …"
        if view.hidden_inputs:
            text += f"\n(and {view.hidden_inputs:,} inputs they use)"
        text += f"\nmax_nodes={max_nodes}: pass a larger max_nodes (or None) to see them"
        graph.node("hidden", f"<{escape(text)}>", shape="box", style="dashed,filled",
                   fillcolor="#f3f3f3")
        for src, _ in view.hidden_edges:
            graph.edge(src.id, "hidden", style="dotted")
    for op in view.ops:
        attrs = {"shape": "ellipse", "style": "filled", "fillcolor": _OP_FILL}
        if op.id == highlight:
            attrs.update(color=_HIGHLIGHT, penwidth="3", fillcolor="#f4cccc")
        graph.node(op.id, _op_label(op), **attrs)
        multi = len(op.edges) > 1
        from_hidden = False
        for edge in op.edges:
            if edge.src is None:
                if not from_hidden:
                    graph.edge("hidden", op.id, style="dotted")
                    from_hidden = True
                continue
            graph.edge(edge.src.id, op.id,
                       **_edge_attrs(edge, multi, edge_notes.get((op.id, edge.position))))
        graph.edge(op.id, op.out.id)
    if legend:
        graph.node("legend", _legend(show_grads), shape="plaintext")
    return graph


def write(graph: Graph, path: str, format: str = "svg") -> str:
    """Run ``dot`` on ``graph`` into ``path``; without ``dot`` save the source, then raise."""
    path = os.fspath(path)
    stem, ext = os.path.splitext(path)
    if ext.lower() != "." + format.lower():
        stem, path = path, f"{path}.{format}"
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    try:
        data = graph.pipe(format=format)
    except graphviz.ExecutableNotFound:
        dot_path = _save_source(graph, stem)
        raise GraphvizNotFoundError(
            f"viz.render: the Graphviz 'dot' program was not found on PATH, so {path} was "
            f"not made. The graph's DOT source was written to {dot_path} (turn it into a "
            f"picture later with: dot -T{format} {dot_path} -o {path}).\n{INSTALL_HINT}"
        ) from None
    except graphviz.CalledProcessError as error:
        dot_path = _save_source(graph, stem)
        raise RuntimeError(f"viz.render: 'dot' failed on this graph ({error}); its DOT "
                           f"source was written to {dot_path}") from error
    with open(path, "wb") as f:
        f.write(data)
    return path


def _save_source(graph, stem):
    dot_path = stem + ".dot"
    with open(dot_path, "w", encoding="utf-8") as f:
        f.write(graph.source)
    return dot_path


def render(t, path, format: str = "svg", **draw_kwargs) -> str:
    """Draw ``t``'s graph into ``path`` (e.g. ``"loss.svg"``) and return the file's path.

    ``t`` may also be a picture already made, such as ``ad.viz.network(model)`` (a
    ``graphviz.Digraph``), which is written as it is.  A path without the format's
    extension gets it appended.  Without the Graphviz ``dot`` program the DOT source
    is written next to it (``loss.dot``) and a ``GraphvizNotFoundError`` says where it
    went and how to install Graphviz.

    >>> W = ad.tensor(np.ones((3, 2)), requires_grad=True, name="W")
    >>> loss = (ad.tensor(np.ones((4, 3))) @ W).relu().mean()
    >>> ad.viz.render(loss, "loss.svg", show_values=True)
    'loss.svg'
    """
    if isinstance(t, graphviz.Digraph):
        if draw_kwargs:
            raise TypeError(f"viz.render: {sorted(draw_kwargs)} apply when drawing a tensor's "
                            "graph; this is a picture already drawn, pass only path and format")
        return write(t, path, format)
    if type(t).__name__ != "Plan":          # (errors name the function the user called)
        W.require_tensor(t, "viz.render")
    return write(draw(t, **draw_kwargs), path, format)
