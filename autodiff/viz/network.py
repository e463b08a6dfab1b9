"""The network as people draw it: a column of neurons per layer, one edge per weight.

``network(model)`` answers "what does my network look like?" for a stack of
``Linear`` layers and elementwise activations, the picture that goes with ``x @ W``:
input ``i`` connects to neuron ``j`` through ``W[i, j]`` (``Linear.weight`` has
shape ``(n_in, n_out)``), and a batch of examples is rows flowing through the same
picture, not more input nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .draw import Graph
from .labels import escape

MAX_UNITS = 16          # wider layers show their first and last units and "… n more"
_SHOWN_HEAD, _SHOWN_TAIL = 6, 2
MAX_LABELLED_WEIGHTS = 25   # layers with at most this many weights label each edge

# Modules applied to each unit on its own (or across a layer's units, like
# Softmax), drawn as a note on the layer; looked up in ad.nn when drawing, so the
# ones a version of the library has are the ones accepted.
_ACTIVATION_NAMES = ("ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "SiLU", "Softplus",
                     "ELU", "Bump", "Softmax", "LogSoftmax", "Identity", "Dropout")

_POSITIVE, _NEGATIVE, _PLAIN = "#3465a4", "#cc0000", "#999999"
_INPUT_FILL, _HIDDEN_FILL, _OUTPUT_FILL, _BIAS_FILL = "#cfe2f3", "#fff2cc", "#b6d7a8", "#eeeeee"


@dataclass
class _Column:
    """One column of neurons: the input, or the units of one Linear layer."""
    width: int
    linear: object = None            # the Linear layer that computes it (None: the input)
    notes: list = field(default_factory=list)     # activations applied after it
    modules: list = field(default_factory=list)   # the same, as modules (for the forward)
    pre: np.ndarray | None = None    # with x: the Linear's output for the batch
    post: np.ndarray | None = None   # with x: after the activations


def _activation_classes():
    from .. import nn
    classes = {}
    for name in _ACTIVATION_NAMES:
        cls = getattr(nn, name, None)
        if isinstance(cls, type):
            classes[cls] = name
    return classes


def _flatten(model):
    """The model as a flat list of modules, or a ValueError/TypeError saying why not."""
    from ..nn import MLP, Linear, Module, Sequential
    if isinstance(model, MLP):
        layers = []
        for i, linear in enumerate(model.layers):
            if i:
                layers.append(model.activation)
            layers.append(linear)
        return layers
    if isinstance(model, Sequential):
        out = []
        for layer in model:
            out.extend(_flatten(layer) if isinstance(layer, (Sequential, MLP)) else [layer])
        return out
    if isinstance(model, (list, tuple)):
        out = []
        for i, layer in enumerate(model):
            if isinstance(layer, (Sequential, MLP)):
                out.extend(_flatten(layer))
            elif isinstance(layer, Module):
                out.append(layer)
            else:
                raise TypeError(f"viz.network: item {i} of the list is a "
                                f"{type(layer).__name__}, not a Module")
        return out
    if isinstance(model, Linear):
        return [model]
    if isinstance(model, Module):
        raise _cannot_draw(model)
    raise TypeError(f"viz.network: expected a Sequential, an MLP or a list of modules, got "
                    f"{type(model).__name__}")


def _drawable_text():
    names = ", ".join(sorted(set(_activation_classes().values())))
    return ("it draws stacks of Linear layers and activations applied unit by unit "
            f"({names}) given as a Sequential, an MLP or a list of modules")


def _cannot_draw(module, position=None):
    where = f"layer {position} " if position is not None else ""
    return TypeError(f"viz.network: cannot draw {where}{type(module).__name__} "
                     f"({module!r}) as neurons and weights; {_drawable_text()}. Use "
                     "ad.viz.draw(model(x)) for the graph of any model.")


def _columns(model):
    from ..nn import Linear
    activations = _activation_classes()
    layers = _flatten(model)
    if not any(isinstance(layer, Linear) for layer in layers):
        raise ValueError(f"viz.network: the model has no Linear layer, so there are no "
                         f"neurons to draw; {_drawable_text()}")
    columns = None
    for position, layer in enumerate(layers):
        if isinstance(layer, Linear):
            n_in, n_out = layer.weight.shape
            if columns is None:
                columns = [_Column(n_in)]
            elif columns[-1].width != n_in:
                raise ValueError(
                    f"viz.network: layer {position} is Linear({n_in}, {n_out}) but the layer "
                    f"before it gives {columns[-1].width} values per example; the model "
                    "itself cannot run")
            columns.append(_Column(n_out, linear=layer))
        elif type(layer) in activations:
            if columns is None:
                columns = [_Column(_first_width(layers))]
            columns[-1].notes.append(_activation_text(layer, activations[type(layer)]))
            columns[-1].modules.append(layer)
        else:
            raise _cannot_draw(layer, position)
    return columns


def _first_width(layers):
    from ..nn import Linear
    return next(layer.weight.shape[0] for layer in layers if isinstance(layer, Linear))


def _activation_text(module, name):
    extra = module.extra_repr() if hasattr(module, "extra_repr") else ""
    return f"{name}({extra})" if extra else name


def _forward(columns, x):
    """Run the batch through the columns, keeping every layer's values."""
    from ..graph import no_grad
    from ..tensor import Tensor
    data = np.asarray(x.data if isinstance(x, Tensor) else x)
    n_in = columns[0].width
    if data.ndim not in (1, 2) or data.shape[-1] != n_in:
        raise ValueError(f"viz.network: x has shape {data.shape}, but the first layer takes "
                         f"{n_in} input features; pass a batch of shape (N, {n_in}) (one "
                         "example per row)")
    # Modules with a training mode (Dropout) run in eval mode, as for a prediction,
    # and are put back as they were.
    switched = [m for c in columns for m in c.modules
                if getattr(m, "training", False) is True and hasattr(m, "eval")]
    for module in switched:
        module.eval()
    try:
        with no_grad():
            value = Tensor(data)
            for column in columns:
                if column.linear is not None:
                    value = column.linear(value)
                column.pre = np.asarray(value.data)
                for module in column.modules:
                    value = module(value)
                column.post = np.asarray(value.data)
    finally:
        for module in switched:
            module.train()


def _shown(width, max_units):
    """Indices of the units drawn; None marks the "… n more" node."""
    if width <= max_units:
        return list(range(width))
    return list(range(_SHOWN_HEAD)) + [None] + list(range(width - _SHOWN_TAIL, width))


def _number(v):
    return np.format_float_positional(float(v), precision=3, trim="-")


def _unit_name(kind, layer, unit, hidden_layers):
    if kind == "x":
        return f"x{unit + 1}"
    if kind == "o":
        return f"o{unit + 1}"
    return f"h{unit + 1}" if hidden_layers == 1 else f"h{layer}.{unit + 1}"


def network(model, x=None, show_weights: bool = False, *,
            max_units: int = MAX_UNITS) -> Graph:
    """The network as a picture: one circle per input feature and per neuron, grouped
    by layer, and one edge per weight ``W[i, j]`` from input ``i`` to neuron ``j``.

    ``model`` is a ``Sequential``, an ``MLP`` or a list of modules made of ``Linear``
    layers and activations (ReLU, Sigmoid, Tanh, ...).  Each layer's bias is a
    ``+1`` node whose edges carry ``b[j]``.  ``show_weights=True`` colours each edge
    by the weight's sign (blue positive, red negative), sizes it by its magnitude
    and, for small layers, labels it ``W1[i,j]=…`` and shows the matrix beside the
    edges.  Given a batch ``x``, each layer is annotated with its activation shape
    for that batch and each neuron with its value for the first example (modules
    with a training mode, such as Dropout, run in eval mode for that).  Layers
    wider than ``max_units`` show their first and last units and a "… n more" node.
    The caption explains the shapes (also as text in ``graph.caption``).  Returns a
    ``graphviz.Digraph`` laid out at fixed positions by Graphviz's ``neato``
    (installed with ``dot``); write it with ``ad.viz.render(graph, "net.svg")``.
    Node ids are ``L<k>_u<j>`` (unit ``j`` of column ``k``, the input
    being column 0), ``L<k>_bias``, ``L<k>_more`` and ``W<k>_matrix``.

    >>> net = ad.nn.Sequential(ad.nn.Linear(2, 3, rng=0), ad.nn.ReLU(), ad.nn.Linear(3, 3, rng=1))
    >>> g = ad.viz.network(net, x=np.ones((300, 2)), show_weights=True)
    >>> g.source.count(" -> ")        # 2*3 + 3*3 weights, and 3 + 3 bias edges
    21
    >>> "W1 has shape (2, 3)" in g.source
    True
    """
    if not (isinstance(max_units, int) and max_units >= _SHOWN_HEAD + _SHOWN_TAIL + 1):
        raise ValueError(f"viz.network: max_units must be an int >= "
                         f"{_SHOWN_HEAD + _SHOWN_TAIL + 1}, got {max_units!r}")
    columns = _columns(model)
    if x is not None:
        _forward(columns, x)
    shown = [_shown(c.width, max_units) for c in columns]
    labelled = [show_weights and c.linear is not None
                and c.linear.weight.size <= MAX_LABELLED_WEIGHTS for c in columns]
    bias_after = [k + 1 < len(columns) and columns[k + 1].linear.bias is not None
                  for k in range(len(columns))]          # a +1 node feeds the next layer
    layout = _Layout(shown, bias_after, has_x=x is not None, wide=any(labelled))
    graph = Graph("network", engine="neato",
                  graph_attr=dict(fontname="Helvetica", splines="false", labelloc="b",
                                  labeljust="l", outputorder="edgesfirst", pad="0.2",
                                  forcelabels="true"),
                  node_attr={"fontname": "Helvetica", "fontsize": "11"},
                  edge_attr={"fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.5"})
    hidden_layers = len(columns) - 2
    collapsed = []
    for k, column in enumerate(columns):
        kind = "x" if k == 0 else "o" if k == len(columns) - 1 else "h"
        _draw_column(graph, layout, k, kind, column, shown[k], hidden_layers, x is not None,
                     bias_after[k])
        if None in shown[k]:
            collapsed.append((k, column.width))
    for k in range(1, len(columns)):
        _draw_weights(graph, layout, k, columns[k], shown[k - 1], shown[k], show_weights,
                      labelled[k])
    lines = _caption(columns, x, show_weights, collapsed, max_units)
    graph.caption = "\n".join(lines)
    graph.attr(label="".join(line + "\\l" for line in lines))   # \\l: left-justified
    return graph


class _Layout:
    """Fixed positions (inches): column k at x = k * dx, its units centred on y = 0
    from the top down, the bias last, the layer's title above, matrices below."""

    def __init__(self, shown, bias_after, has_x, wide):
        self.dx = 3.6 if wide else 2.4
        self.dy = 1.25 if wide else 0.85 if has_x else 0.6   # room for the weight labels
        self.counts = [len(s) + bias for s, bias in zip(shown, bias_after)]
        self.half = (max(self.counts) - 1) / 2 * self.dy

    def unit(self, k, position):
        return f"{k * self.dx:.3f},{((self.counts[k] - 1) / 2 - position) * self.dy:.3f}!"

    def title(self, k):
        return f"{k * self.dx:.3f},{self.half + 0.75:.3f}!"

    def matrix(self, k, rows):
        return f"{(k - 0.5) * self.dx:.3f},{-self.half - 0.55 - 0.1 * rows:.3f}!"


def _column_title(k, column, n_columns, has_x):
    if k == 0:
        title = "input x"
    elif k == n_columns - 1:
        title = f"output layer\\nLinear({column.linear.weight.shape[0]}, {column.width})"
    else:
        title = f"hidden layer {k}\\nLinear({column.linear.weight.shape[0]}, {column.width})"
    if column.notes:
        title += ", then " + ", ".join(column.notes)
    if has_x:
        title += f"\\nactivations {tuple(column.post.shape)}"
    else:
        title += f"\\n{column.width} {'features' if k == 0 else 'neurons'}"
    return title


def _draw_column(graph, layout, k, kind, column, shown, hidden_layers, has_x, bias_after):
    fill = {"x": _INPUT_FILL, "h": _HIDDEN_FILL, "o": _OUTPUT_FILL}[kind]
    n_columns = hidden_layers + 2
    with graph.subgraph(name=f"cluster_L{k}") as sub:
        sub.attr(label="", style="rounded", color="#cccccc")
        sub.node(f"L{k}_title", _column_title(k, column, n_columns, has_x),
                 shape="plaintext", fontsize="10", pos=layout.title(k))
        for position, unit in enumerate(shown):
            if unit is None:
                hidden = column.width - _SHOWN_HEAD - _SHOWN_TAIL
                sub.node(f"L{k}_more", f"… {hidden} more", shape="box", style="dashed",
                         fontsize="10", color="#999999", pos=layout.unit(k, position))
                continue
            label = _unit_name(kind, k, unit, hidden_layers)
            if has_x:
                label += "\\n" + _unit_values(column, unit, k == 0)
            sub.node(f"L{k}_u{unit}", label, shape="circle" if not has_x else "ellipse",
                     style="filled", fillcolor=fill, width="0.45", margin="0.03",
                     pos=layout.unit(k, position))
        if bias_after:
            sub.node(f"L{k}_bias", "+1", shape="circle", style="filled,dashed",
                     fillcolor=_BIAS_FILL, width="0.35", fontsize="10",
                     pos=layout.unit(k, len(shown)))


def _first(a):
    return a[0] if a.ndim == 2 else a


def _unit_values(column, unit, is_input):
    post = _first(column.post)[unit]
    if is_input or not column.notes:
        if is_input and column.notes:
            return f"{_number(_first(column.pre)[unit])} → {_number(post)}"
        return _number(post)
    return f"z={_number(_first(column.pre)[unit])} → {_number(post)}"


def _draw_weights(graph, layout, k, column, shown_before, shown_here, show_weights,
                  labelled):
    weight = np.asarray(column.linear.weight.data)
    bias = column.linear.bias
    bias = None if bias is None else np.asarray(bias.data)
    scale = float(np.max(np.abs(weight))) if weight.size else 0.0
    if bias is not None and bias.size:
        scale = max(scale, float(np.max(np.abs(bias))))
    if labelled:
        _draw_matrix(graph, layout, k, weight, bias)

    def attrs(value, label):
        if not show_weights:
            return {"color": _PLAIN}
        width = 0.4 + 3.1 * abs(value) / scale if scale > 0 else 1.0
        colour = _POSITIVE if value >= 0 else _NEGATIVE
        out = {"color": colour, "penwidth": f"{width:.2f}", "fontcolor": colour}
        if labelled:
            out["xlabel"] = label    # placed by Graphviz clear of the other labels
        return out

    for i in shown_before:
        for j in shown_here:
            if i is None or j is None:
                if i is None and j is None:
                    continue
                src = f"L{k - 1}_more" if i is None else f"L{k - 1}_u{i}"
                dst = f"L{k}_more" if j is None else f"L{k}_u{j}"
                graph.edge(src, dst, style="dotted", color=_PLAIN)
                continue
            graph.edge(f"L{k - 1}_u{i}", f"L{k}_u{j}",
                       **attrs(weight[i, j], f"W{k}[{i},{j}]={_number(weight[i, j])}"))
    if bias is not None:
        for j in shown_here:
            if j is None:
                graph.edge(f"L{k - 1}_bias", f"L{k}_more", style="dotted", color=_PLAIN)
                continue
            edge = attrs(bias[j], f"b{k}[{j}]={_number(bias[j])}")
            edge.update(style="dashed")
            graph.edge(f"L{k - 1}_bias", f"L{k}_u{j}", **edge)


def _draw_matrix(graph, layout, k, weight, bias):
    """The layer's W (and b) as a table, below the edges it labels."""
    n_in, n_out = weight.shape

    def cell(v):
        colour = _POSITIVE if v >= 0 else _NEGATIVE
        return f'<TD ALIGN="RIGHT"><FONT COLOR="{colour}">{escape(_number(v))}</FONT></TD>'
    rows = [f'<TR><TD COLSPAN="{n_out + 1}"><B>W{k}</B> {escape(str((n_in, n_out)))}: '
            "row i, column j</TD></TR>",
            "<TR><TD></TD>" + "".join(f"<TD><I>j={j}</I></TD>" for j in range(n_out))
            + "</TR>"]
    for i in range(n_in):
        rows.append(f"<TR><TD><I>i={i}</I></TD>" + "".join(cell(v) for v in weight[i])
                    + "</TR>")
    if bias is not None:
        rows.append(f"<TR><TD><B>b{k}</B></TD>" + "".join(cell(v) for v in bias) + "</TR>")
    label = ('<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="1" COLOR="#bbbbbb">'
             + "".join(rows) + "</TABLE>>")
    graph.node(f"W{k}_matrix", label, shape="plaintext", fontsize="9",
               pos=layout.matrix(k, len(rows)))


def _caption(columns, x, show_weights, collapsed, max_units):
    lines = []
    for k, column in enumerate(columns[1:], start=1):
        n_in, n_out = column.linear.weight.shape
        rows = "input feature" if k == 1 else f"unit of layer {k - 1}"
        lines.append(f"W{k} has shape ({n_in}, {n_out}): one row per {rows}, one column per "
                     f"neuron; the edge from unit i to neuron j carries W{k}[i, j] (indices "
                     "from 0)")
        if column.linear.bias is not None:
            lines.append(f"b{k} has shape ({n_out},): one per neuron, drawn as the edges "
                         "of a +1 node")
    if x is not None:
        n = columns[0].post.shape[0] if columns[0].post.ndim == 2 else 1
        what = "examples is" if n != 1 else "example is"
        lines.append(f"a batch of {n} {what} {n} row{'s' if n != 1 else ''} flowing through "
                     f"this same picture, not {n} input nodes; x has shape "
                     f"{tuple(columns[0].post.shape)}")
        lines.append("values at each neuron are for the first example, x[0] (z: before the "
                     "activation)")
    else:
        lines.append("a batch of N examples is N rows flowing through this same picture, "
                     "not N input nodes")
    if show_weights:
        lines.append("edges: blue positive, red negative, thicker = larger |weight|")
    for k, width in collapsed:
        what = "input" if k == 0 else f"layer {k}"
        lines.append(f"{what} has {width} units, more than {max_units}: the first "
                     f"{_SHOWN_HEAD} and last {_SHOWN_TAIL} are drawn and "
                     f"'… {width - _SHOWN_HEAD - _SHOWN_TAIL} more' stands for the rest")
    return lines
