"""A plan drawn as a graph: ``ad.viz.draw(step.plan)``.

Steps are boxes, values flow along the edges (labelled with their shape), and the
steps are grouped in clusters: the forward ops, the reverse pass, and the updates
(``.grad`` and optimizer calls).  Each fused kernel is a cluster of its own holding
the steps it computes in one loop.  Inputs and captured values are ellipses; a note
lists what the plan checks before each replay (``plan_checks.py``).
"""

from __future__ import annotations

import graphviz

from .loop_kernel import operations_text
from .plan import Plan
from .plan_checks import replay_checks

_PHASE = {"op": "forward", "write": "updates", "call": "updates", "leaf_grad": "updates",
          "clear_grad": "updates"}
_COLOR = {"forward": "#e8f0fe", "backward": "#fde8e8", "updates": "#e8f8e8"}


def draw_plan(plan: Plan, rankdir: str = "LR") -> graphviz.Digraph:
    """The plan's steps as a ``graphviz.Digraph``, phases as clusters.

    >>> w = ad.tensor([1.0, 2.0])
    >>> f = ad.compile(lambda x: (w * x).sum())
    >>> _ = f(np.ones(2))
    >>> "multiply" in ad.viz.draw(f.plan).source
    True
    """
    graph = graphviz.Digraph(name=f"plan {plan.name}",
                             graph_attr={"rankdir": rankdir, "fontname": "Helvetica"},
                             node_attr={"fontname": "Helvetica", "fontsize": "10"},
                             edge_attr={"fontname": "Helvetica", "fontsize": "9"})
    producer: dict = {}
    for position, slot in plan.inputs:
        graph.node(f"v{slot}", f"input {position}\n{_shape(plan, slot)}", shape="ellipse")
        producer[slot] = f"v{slot}"
    for tensor, slot in plan.captured:
        name = getattr(tensor, "_name", None) or f"captured v{slot}"
        graph.node(f"v{slot}", f"{name}\n{_shape(plan, slot)}", shape="ellipse",
                   style="dashed")
        producer[slot] = f"v{slot}"
    clusters = {phase: graphviz.Digraph(name=f"cluster_{phase}",
                                        graph_attr={"label": phase, "style": "filled",
                                                    "color": _COLOR[phase]})
                for phase in _COLOR}
    for k, instr in enumerate(plan.instrs):
        if instr.kind == "kernel":
            graph.subgraph(_kernel_cluster(graph, plan, k, instr, producer))
            continue
        phase = _PHASE.get(instr.kind, "backward")
        node = f"s{k}"
        outs = ", ".join(_shape(plan, s) for s in instr.outs)
        clusters[phase].node(node, f"{instr.kind} {instr.label}\n{outs}".strip(),
                             shape="box", style="filled", fillcolor="white")
        for slot in instr.reads():
            graph.edge(producer.get(slot) or _constant(graph, plan, slot, producer), node)
        for slot in instr.outs:
            producer[slot] = node
    for cluster in clusters.values():
        graph.subgraph(cluster)
    checks = replay_checks(plan)
    if checks:
        graph.node("checks", "checked before each replay (a change traces again):\\l"
                   + "".join(f"- {check}\\l" for check in checks), shape="note",
                   fontsize="9")
    return graph


def _constant(graph, plan, slot, producer) -> str:
    """The node of ``slot``, a value no step makes (a constant), drawn at its first
    reader and remembered in ``producer``."""
    source = producer[slot] = f"v{slot}"
    label = f"constant\n{_shape(plan, slot)}"
    if slot in plan.call_constants:
        label += f"\nmade from Python numbers, read at {plan.call_constants[slot]}"
    elif slot in getattr(plan, "checksums", ()):
        op, line = getattr(plan, "constant_sites", {}).get(slot, ("an op", "?"))
        label += f"\na captured NumPy array, read by {op} at {line}"
    graph.node(source, label, shape="ellipse", style="dotted")
    return source


def _kernel_cluster(graph, plan, k, instr, producer):
    """A fused group: one box per step it computes, inside a cluster named after the
    kernel; edges between its steps are values that never leave registers."""
    fused = instr.extra["kernel"]
    cluster = graphviz.Digraph(name=f"cluster_kernel{k}", graph_attr={
        "label": f"fused kernel k{fused.number}: {operations_text(fused.n_ops)} on "
                 f"{fused.size} elements ({fused.mode})", "style": "filled", "color": "#fff3d6"})
    inside: dict = {}
    for j, (kind, label, out, reads) in enumerate(fused.members):
        node = f"s{k}_{j}"
        text = label if kind == "op" else f"{kind} {label}".strip()
        cluster.node(node, f"{text}\n{_shape(plan, out)}", shape="box", style="filled",
                     fillcolor="white")
        for slot in reads:
            source = inside.get(slot) or producer.get(slot)
            graph.edge(source or _constant(graph, plan, slot, producer), node)
        inside[out] = node
    stash = instr.extra.get("stash_out")        # its rows: made by the steps inside
    for slot in [*instr.outs, *(stash.slots if stash is not None else ())]:
        if slot in inside:
            producer[slot] = inside[slot]
    return cluster


def _shape(plan, slot) -> str:
    info = plan.slots[slot]
    if info.dtype is None:
        return ""
    return f"{info.dtype}{list(info.shape)}"
