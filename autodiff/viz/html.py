"""One self-contained HTML page that steps through a backward pass in the browser.

The page holds the graph (an SVG made by Graphviz's ``dot``), the values, and every
step of ``viz.steps``: the op whose rule runs, the upstream gradient, the rule in
words and with the numbers put in, what each input receives (``+=`` where a value
is used twice, the sum over the broadcast axes where a broadcast is undone).  ←/→
or the buttons step; clicking a tensor shows its value and its gradient so far.
Nothing is loaded from the network.
"""

from __future__ import annotations

import json
import os
import re
from html import escape as _escape

import graphviz
import numpy as np

from . import walk as W
from .draw import INSTALL_HINT, GraphvizNotFoundError, draw
from .labels import array_text, shape_text
from .packed_parts import packing_note, part_label
from .steps import refuse_in_trace, upstream_name
from .steps import steps_for

#: Beyond this many ops the page shows a summary instead of the stepper.
MAX_OPS = 300

_TEMPLATE = os.path.join(os.path.dirname(__file__), "html_template.html")


def _text(a) -> str:
    return array_text(a, width=72)


_WORD = re.compile(r"\b[A-Za-z_][A-Za-z_0-9]*\b(\.shape\b)?")


def _substituted(formula: str, symbols: dict) -> str:
    """``formula`` with each symbol (``g``, ``ans``, an input name) replaced by its value.

    Words of the formula's prose stay: a name followed by ``'s`` ("b's free axes") or
    by a prime (``p'(r)``, the derivative of the polynomial ``p``, is not its
    coefficients), and ``a`` between two words that are not symbols ("g/2 on a tie").

    >>> _substituted("g where a == ans (g/2 on a tie)", {"g": 1.0, "a": 2.0, "ans": 2.0})
    '1.0 where 2.0 == 2.0 (1.0/2 on a tie)'
    >>> _substituted("-g / p'(r)", {"g": 1.0, "p": np.array([1.0, 2.0])})
    "-1.0 / p'(r)"
    >>> _substituted("reshape(g, x.shape)", {"g": np.ones(2), "x": np.ones((1, 2))})
    'reshape([1. 1.], (1, 2))'
    """
    def value_of(match):
        name = match.group(0)
        if name.endswith(".shape"):     # (x.shape is x's shape, not x's values + ".shape")
            symbol = name[:-len(".shape")]
            return shape_text(np.shape(symbols[symbol])) if symbol in symbols else name
        if name not in symbols or formula.startswith("'", match.end()):
            return name
        if name == "a":                 # the article, between two words of prose?
            left = re.search(r"([A-Za-z_]\w*)\s+$", formula[:match.start()])
            right = re.match(r"\s+([A-Za-z_]\w*)", formula[match.end():])
            if left and right and left.group(1) not in symbols \
                    and right.group(1) not in symbols:
                return name
        text = _text(symbols[name])
        return text if "\n" not in text and len(text) <= 60 else f"[{name}: {text}]"
    return _WORD.sub(value_of, formula)


def _step_record(step, view) -> dict:
    node = step.node
    upstream = upstream_name(node)
    symbols = {upstream: step.upstream}
    if node.ans is not None:
        symbols["ans"] = node.ans
    for position, arg in enumerate(node.args or ()):
        name = node.op.input_name(position)
        if name == "ans":               # (an input named ans: which one a formula means is unclear)
            symbols.pop(name, None)
        elif isinstance(arg, (np.ndarray, np.generic, float, int)):
            symbols[name] = np.asarray(arg)
    op_id = next((op.id for op in view.ops if op.node is node), None)
    contributions = []
    for c in step.contributions:
        target = view.value_of.get(_parent_key(node, c.position))
        contributions.append({
            "target": target.id if target is not None else None,
            "target_name": c.target,
            "input": c.input_name,
            "formula": c.formula or f"grad_{c.input_name}",
            "numbers": _substituted(c.formula, symbols) if c.formula else "",
            "value": _text(c.value),
            "summed": (f"summed over axes {c.summed_axes}: {shape_text(c.raw_shape)} → "
                       f"{shape_text(c.value.shape)} (undoes the broadcast)"
                       if c.summed_axes is not None else ""),
            "number": c.number,
            "total": c.total,
            "running": _text(c.running),
            "is_leaf": c.is_leaf,
        })
    return {
        "op": op_id,
        "op_name": node.op.name,
        "output": step.output.id,
        "output_name": step.output.name,
        "output_shape": shape_text(step.output.shape),
        "part": _part(node),
        "upstream": _text(step.upstream),
        "upstream_name": upstream,
        "rule": step.rule,
        "inputs": [f"{k} is {v}" for k, v in step.inputs],
        "contributions": contributions,
    }


def _parent_key(node, position):
    parent = node.parents[position]
    return id(parent)


def _part(node) -> str:
    """What a packed multi-output op holds, or which of its outputs a getitem reads
    (``w (eigenvalues) of eigh``), as viz.text and viz.steps say it; "" otherwise."""
    return packing_note(node) or part_label(node) or ""


def _values(view) -> dict:
    made_by = {id(op.out): op.node for op in view.ops}
    values = {}
    for v in view.values:
        node = made_by.get(id(v))
        values[v.id] = {"name": v.name, "shape": shape_text(v.shape),
                        "dtype": str(v.dtype), "kind": v.kind,
                        "part": _part(node) if node is not None else "",
                        "value": _text(v.data) if v.data is not None else "freed"}
    return values


def _svg(graph) -> str:
    try:
        svg = graph.pipe(format="svg").decode("utf-8")
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(
            "viz.html: the Graphviz 'dot' program was not found on PATH; it lays out the "
            f"graph of the page.\n{INSTALL_HINT}") from None
    return svg[svg.index("<svg"):]


def _summary(t, view, ops: int, limit: int) -> str:
    counts: dict = {}
    for op in view.ops:
        counts[op.node.op.name] = counts.get(op.node.op.name, 0) + 1
    rows = "".join(f"<tr><td>{name}</td><td>{n}</td></tr>"
                   for name, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    return (f"<p>This graph has {ops} ops, more than the {limit} this page steps through "
            "(a page that size would be unreadable). It shows a summary instead: pass "
            "<code>max_ops=</code> to raise the limit, or build a smaller example.</p>"
            f"<table><tr><th>op</th><th>count</th></tr>{rows}</table>")


def html(t, path, grad=None, params=None, max_ops: int = MAX_OPS,
         title: str | None = None, rankdir: str = "TB") -> str:
    """Write a self-contained HTML page stepping through ``t``'s backward pass.

    Call it before ``t.backward()`` (or after ``backward(retain_graph=True)``): the
    page replays the rules on the saved values, without touching ``.grad``.  Needs
    Graphviz's ``dot`` for the layout (``rankdir`` as in ``draw``; top to bottom
    fits beside the step panel).  Returns the path written.

    >>> x = ad.tensor([1.0, 2.0], requires_grad=True, name="x")
    >>> ad.viz.html((x * x + x).sum(), "backward.html")
    'backward.html'
    """
    refuse_in_trace("html")
    path = os.fspath(path)
    if not path.lower().endswith((".html", ".htm")):
        path += ".html"
    view = W.build(t, params=params, max_nodes=None, where="viz.html")
    ops = len(view.ops)
    title = title or f"backward pass of {view.root.name}"
    if ops > max_ops:
        body, data = _summary(t, view, ops, max_ops), {"steps": [], "values": {}}
        svg = ""
    else:
        walk = steps_for(t, grad, params, "html")
        data = {"steps": [_step_record(s, view) for s in walk],
                "values": _values(view),
                "totals": {name: _text(v) for name, v in walk.totals.items()},
                # leaf -> what its contributions summed to, where a gradient hook changed it
                "hooked": {name: _text(v) for name, v in walk.changed_by_hooks.items()},
                "root": view.root.id}
        svg = _svg(draw(t, params=params, max_nodes=None, legend=False, rankdir=rankdir))
        body = ""
    with open(_TEMPLATE, encoding="utf-8") as f:
        page = f.read()
    page = (page.replace("{{TITLE}}", _escape(title))
                .replace("{{SVG}}", svg)
                .replace("{{SUMMARY}}", body)
                .replace("{{DATA}}", json.dumps(data).replace("</", "<\\/")))
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    return path
