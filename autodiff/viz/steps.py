"""The backward pass shown step by step, for teaching.

``steps`` runs the engine's own reverse pass (``graph.run_backward``, keeping the
graph and writing no ``.grad``) with a ``BackwardObserver`` that records, for each
op in the order the pass visits them, the upstream gradient and what every input
received.  The pass needs the saved values, so the graph must still be alive: call
it before ``backward()``, or after ``backward(retain_graph=True)``.
"""

from __future__ import annotations

import numpy as np

from .. import hooks
from ..graph import BackwardObserver, Node, observe_backward, release, run_backward
from ..compile.refusals import refuse_while_tracing
from ..inplace_refusals import InPlaceError
from ..revive import revive
from ..tensor import Tensor
from . import walk as W
from .labels import array_text, key_text, shape_text
from .packed_parts import packing_note, part_label


class GraphFreedError(RuntimeError):
    """The saved values the backward pass needs were already released."""


def _freed_error(node, where):
    from ..compile.outputs import replayed_history_error
    replayed = replayed_history_error(node) if hasattr(node, "saved") else None
    if replayed is not None:        # (no graph was ever kept, rather than one freed)
        return GraphFreedError(f"viz.{where}: {str(replayed).removeprefix('backward: ')}")
    return GraphFreedError(
        f"viz.{where}: the graph was freed — op '{node.op.name}' (output shape {node.shape}) "
        "released its saved values in an earlier backward() pass, so its rules cannot run "
        f"again. Call ad.viz.{where}(t) before t.backward(), or call "
        "t.backward(retain_graph=True) first, or recompute the forward pass.")


def _summed_axes(raw_shape, shape):
    lead = len(raw_shape) - len(shape)
    return tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and raw_shape[lead + i] != 1)


def _ordinal(n):
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _indent(text, pad):
    return text.replace("\n", "\n" + " " * pad)


class Contribution:
    """What one input received at one step."""

    def __init__(self, target, input_name, formula, value, raw_shape, summed_axes,
                 number, total, running, is_leaf, position):
        self.target = target            # the input's name in the graph (e.g. "a", "v3")
        self.input_name = input_name    # the op's name for that input (e.g. "b")
        self.formula = formula          # the rule in words, when the op gives one per input
        self.value = value              # the gradient added, after sum_to and dtype cast
        self.raw_shape = raw_shape      # the rule's output shape before the broadcast sum
        self.summed_axes = summed_axes  # axes summed to undo broadcasting (None if none)
        self.number = number            # this is the number-th contribution to the target
        self.total = total              # how many contributions the target receives
        self.running = running          # the target's gradient so far, this one included
        self.is_leaf = is_leaf
        self.position = position

    @property
    def accumulates(self) -> bool:
        """True when this contribution is added to an earlier one (``+=``)."""
        return self.number > 1

    def __str__(self):
        sign = "+=" if self.accumulates else "="
        how = self.formula or f"grad_{self.input_name}"
        if self.summed_axes is not None:
            how = (f"sum of ({how}) over axes {self.summed_axes}, "
                   f"{shape_text(self.raw_shape)} -> {shape_text(self.value.shape)}"
                   " (undoes the broadcast)")
        head = f"{self.target}.grad {sign} {how}"
        line = head + "\n      = " + _indent(array_text(self.value, width=60), 8)
        if self.total > 1:
            line += f"\n      ({_ordinal(self.number)} of {self.total} contributions"
            if self.accumulates:
                line += "; " + self.target + ".grad is now "
                line += _indent(array_text(self.running, width=60),
                                len(line) - line.rindex("\n") - 1)
            line += ")"
        return line


class Step:
    """One op of the backward pass: the upstream gradient, the rule, the contributions."""

    def __init__(self, index, count, node, output, upstream, rule, contributions,
                 inputs=()):
        self.index = index
        self.inputs = inputs            # (the op's input name, its name in the graph)
        self.count = count
        self.node = node
        self.output = output            # the Value (name, shape) of the op's result
        self.upstream = upstream        # the gradient arriving from the op's consumers
        self.rule = rule                # node.op.describe()
        self.contributions = contributions

    @property
    def op_name(self) -> str:
        return self.node.op.name

    def __str__(self):
        lines = [(f"step {self.index}/{self.count}: {self.op_name} -> {self.output.name} "
                  f"{shape_text(self.output.shape)}"
                  + _part_text(self.node)),
                 f"  upstream {upstream_name(self.node)} = "
                 f"{_indent(array_text(self.upstream, width=60), 15)}",
                 f"  rule: {self.rule}"]
        if self.inputs:
            lines.append("  here " + ", ".join(f"{k} is {v}" for k, v in self.inputs))
        if not self.contributions:
            lines.append("  (no input needs a gradient)")
        lines.extend("  " + str(c) for c in self.contributions)
        return "\n".join(lines)


def upstream_name(node) -> str:
    """What the rule of ``node``'s op calls the upstream gradient: ``g``, or ``g_out``
    (``grad_out``, as its rule says) for an op with an input named ``g`` (the adjoint
    ops: index_add, zero_at, ...)."""
    parents = node.parents or ()
    if not any(node.op.input_name(i) == "g" for i in range(len(parents))):
        return "g"
    return "grad_out" if "grad_out" in node.op.describe() else "g_out"


def _index_of(node) -> list:
    """``[("key", "[1:3]")]`` for an op whose rule reads its index (getitem, setitem:
    ``g with g[key] = 0``), so the step says which entries ``key`` is; else []."""
    key = (node.kwargs or {}).get("key", _NO_KEY)
    names = node.op.input_names or ()
    if key is _NO_KEY and "key" in names and node.args is not None \
            and names.index("key") < len(node.args):
        key = node.args[names.index("key")]          # (setitem takes it as an argument)
    rule = node.op.describe() if node.op.rules is not None else ""
    if key is _NO_KEY or "key" not in rule:
        return []
    return [("key", key_text(key))]


_NO_KEY = object()


def _part_text(node) -> str:
    """A packed multi-output op's parts, or which part a getitem unpacks (or "")."""
    part = packing_note(node) or part_label(node)
    return f" ({part})" if part else ""


class Steps(list):
    """The list of ``Step``; ``str()`` prints the whole walk and the final gradients."""

    def __init__(self, steps, totals, root, changed_by_hooks=None):
        super().__init__(steps)
        self.totals = totals            # leaf name -> gradient summed over this pass
        self.root = root
        # leaf name -> the sum of its contributions, where its gradient hooks changed it
        self.changed_by_hooks = changed_by_hooks or {}

    # str() of a long pass shows its two ends; every step stays in the list
    SHOWN_FIRST, SHOWN_LAST = 30, 10

    def __str__(self):
        blocks = [(f"backward pass from {self.root.name} {shape_text(self.root.shape)}: "
                   f"{len(self)} step(s), the last op first")]
        first, last = self.SHOWN_FIRST, self.SHOWN_LAST
        if len(self) <= first + last + 10:
            blocks.extend(str(s) for s in self)
        else:
            hidden = len(self) - first - last
            blocks.extend(str(s) for s in self[:first])
            blocks.append(f"... steps {first + 1} to {first + hidden} of {len(self)} not "
                          f"shown ({hidden} steps); each is in this list: print(steps[{first}]) "
                          f"shows step {first + 1}, and \"\\n\\n\".join(map(str, steps)) all "
                          "of them ...")
            blocks.extend(str(s) for s in self[-last:])
        if self.totals:
            lines = ["gradients of the leaves from this pass:"]
            for name, value in self.totals.items():
                lines.append(f"  {name}.grad = "
                             + _indent(array_text(value, width=60), len(name) + 10))
                if name in self.changed_by_hooks:
                    lines.append(f"    (what its gradient hook returned; the contributions "
                                 f"summed to {array_text(self.changed_by_hooks[name])})")
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)


def _check_root(t, where):
    W.require_tensor(t, f"viz.{where}")
    if t._node is None and not t.requires_grad:
        raise ValueError(
            f"viz.{where}: this tensor has no recorded history: no value it was computed "
            "from requires grad, so there is no backward pass to show. Create its inputs "
            "with requires_grad=True (inside ad.vmap, the function gets plain arrays "
            "unless an input is such a Tensor or a gradient transform (ad.grad) runs "
            "inside it)")
    if t._node is None:
        raise ValueError(f"viz.{where}: this tensor has no recorded history (it is a leaf); "
                         "there is no backward pass to show")
    if not t.requires_grad:
        raise ValueError(f"viz.{where}: this tensor does not require grad, so backward() "
                         "would not run; create its inputs with requires_grad=True")


def _seed(t, grad, where):
    if grad is None:
        return np.ones_like(t.data)
    grad = np.asarray(getattr(grad, "data", grad))
    if grad.shape != t.data.shape:
        raise ValueError(f"viz.{where}: grad has shape {grad.shape} but the tensor has shape "
                         f"{t.data.shape}; they must match")
    return grad.astype(t.data.dtype, copy=False)


def _revivable(node):
    """Whether the reverse pass can run a released node again (an op whose rules read
    no values, such as a ``w.T`` made once and used by every step's loss)."""
    try:
        revive(node)
    except RuntimeError:
        return False
    release(node)                   # (the pass revives it again, and releases it after)
    return True


def _count_edges(root_node, where):
    counts = {id(root_node): 0}
    stack = [root_node]
    seen = {id(root_node)}
    while stack:
        node = stack.pop()
        if node.args is None and not _revivable(node):
            raise _freed_error(node, where)
        rules = node.op.rules
        for i, parent in enumerate(node.parents):
            if parent is None or not parent.requires_grad:
                continue
            if rules is not None and rules[i] is None:
                continue
            counts[id(parent)] = counts.get(id(parent), 0) + 1
            if parent.__class__ is Node and id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return counts


class _Recorder(BackwardObserver):
    """Keeps what the reverse pass did: [(node, g, [(position, gi, rule_output)])]."""

    def __init__(self):
        self.visits = []

    def on_node(self, node, g):
        self.visits.append((node, g, []))

    def on_edge(self, node, position, g, gi, rule_output):
        self.visits[-1][2].append((position, gi, rule_output))


def refuse_in_trace(where):
    """Raise while ``ad.compile`` traces: the tool's own backward pass would be traced."""
    refuse_while_tracing(
        f"viz.{where}", "it runs a backward pass of its own, which the trace would record "
        "into the plan as if the function had run it",
        f"Call ad.viz.{where} outside the compiled function, on a loss computed eagerly; "
        "ad.viz.draw(f.plan) draws what the plan does")


def _run_backward(t, grad, where, leaves=()):
    """Run the real reverse pass from ``t`` (graph kept, no ``.grad`` written) and
    return what it did, as recorded by a ``_Recorder``, and the gradients of
    ``leaves`` after their hooks (as ``ad.grad`` returns them)."""
    refuse_in_trace(where)
    _count_edges(t._node, where)                # (raises if the graph was freed)
    recorder = _Recorder()
    try:
        with observe_backward(recorder):
            hooked = run_backward(t, _seed(t, grad, where), inputs=list(leaves),
                                  retain_graph=True)
    except InPlaceError as error:       # (a graph an optimizer step left behind)
        reason = str(error).removeprefix("backward: ")
        raise InPlaceError(f"viz.{where}: this graph's backward pass, which it shows, "
                           f"cannot run: {reason}") from None
    return recorder.visits, hooked


def node_gradients(t: Tensor) -> dict[int, np.ndarray]:
    """``{id(node): gradient}`` for every op output of ``t``'s graph (graph must be alive)."""
    _check_root(t, "draw")
    visits, _ = _run_backward(t, None, "draw")
    return {id(node): g for node, g, _ in visits}


def steps(t, grad=None, params=None) -> Steps:
    """The backward pass of ``t`` step by step: for each op, last first, the upstream
    gradient, the rule applied and what each input received (``+=`` when an input
    feeds several ops; the sum over broadcast axes when a broadcast is undone).

    Nothing is written to ``.grad``.  Gradient hooks run as in ``ad.grad``: an
    intermediate's on its gradient, a leaf's on its summed gradient (the totals are
    what they return, what ``backward()`` would add to ``.grad``).  The graph must be
    alive (call this before ``backward()``, or after ``backward(retain_graph=True)``);
    otherwise a ``GraphFreedError`` is raised.

    >>> a = ad.tensor([1.0, 2.0], requires_grad=True, name="a")
    >>> b = ad.tensor([3.0, 4.0], requires_grad=True, name="b")
    >>> print(ad.viz.steps((a * b + a).sum()))     # a gets g, then += g * b
    backward pass from v4 (): 3 step(s), the last op first
    ...
      a.grad = g
          = [1. 1.]
          (1st of 2 contributions)
    ...
      a.grad += g * b
          = [3. 4.]
          (2nd of 2 contributions; a.grad is now [4. 5.])
    ...
    """
    return steps_for(t, grad, params, "steps")


def steps_for(t, grad, params, where: str) -> Steps:
    """``steps`` for the tool ``where`` the user called (``viz.html`` walks them too)."""
    _check_root(t, where)
    view = W.build(t, params=params, max_nodes=None)
    leaves = [v.tensor for v in view.values if v.kind == W.LEAF and v.tensor.requires_grad]
    visits, hooked = _run_backward(t, grad, where, leaves)
    counts = {}                     # what each value received, as the pass delivered it (an
    for node, _, edges in visits:   # edge whose rule gave None, as a Function may, sends nothing)
        for i, _, _ in edges:
            key = id(node.parents[i])
            counts[key] = counts.get(key, 0) + 1
    received = {}
    running = {}
    recorded = []
    for node, g, edges in visits:
        op = node.op
        contributions = []
        for i, gi, rule_output in edges:
            parent = node.parents[i]
            key = id(parent)
            gi = np.asarray(gi)
            raw_shape = np.shape(rule_output)
            summed = _summed_axes(raw_shape, gi.shape) if raw_shape != gi.shape else None
            received[key] = received.get(key, 0) + 1
            previous = running.get(key)
            running[key] = gi if previous is None else previous + gi
            input_name = op.input_name(i)
            formula = op.formulas.get(input_name) if op.rules is not None else None
            contributions.append(Contribution(
                view.value_of[key].name, input_name, formula, gi, raw_shape, summed,
                received[key], counts[key], running[key], parent.__class__ is not Node, i))
        recorded.append((node, g, contributions))
    count = len(recorded)
    inputs_of = {id(op.node): [(e.input_name, _operand_name(e)) for e in op.edges]
                 + _index_of(op.node) for op in view.ops}
    result = [Step(k + 1, count, node, view.value_of[id(node)], g, node.op.describe(),
                   contributions, inputs_of.get(id(node), ()))
              for k, (node, g, contributions) in enumerate(recorded)]
    totals = {}
    changed_by_hooks = {}
    after_hooks = {id(leaf): g for leaf, g in zip(leaves, hooked)}
    for value in view.values:
        if value.kind == W.LEAF and id(value.tensor) in running:
            total = running[id(value.tensor)]
            # A leaf's hooks see the sum, and what they return is what .grad receives.
            final = after_hooks.get(id(value.tensor))
            if final is None:
                final = total
            elif hooks.registered.get(value.tensor) and not np.array_equal(final, total):
                changed_by_hooks[value.name] = total
            totals[value.name] = final
    return Steps(result, totals, view.root, changed_by_hooks)


def _operand_name(edge):
    from .text import _operand
    return _operand(edge)


def print_steps(t, grad=None, params=None) -> None:
    """Print ``steps(t)``: the backward pass of ``t`` one op at a time."""
    print(steps(t, grad=grad, params=params))


def render_steps(t, folder, format: str = "svg", params=None, **draw_kwargs) -> list[str]:
    """Write one picture per backward step into ``folder`` (``step_001.svg``, ...), the
    current op highlighted with its upstream gradient and what each input received.

    Returns the paths.  Without Graphviz the ``.dot`` sources are written instead and a
    ``GraphvizNotFoundError`` explains how to install it.

    >>> W = ad.tensor(np.ones((3, 2)), requires_grad=True, name="W")
    >>> loss = (ad.tensor(np.ones((4, 3))) @ W).relu().mean()
    >>> ad.viz.render_steps(loss, "backward_steps")
    ['backward_steps/step_001.svg', ...]
    """
    from .draw import GraphvizNotFoundError, draw, write

    walk_steps = steps_for(t, None, params, "render_steps")
    view = W.build(t, params=params, max_nodes=draw_kwargs.get("max_nodes"))
    drawn_ops = {id(op.node): op for op in view.ops}
    graphs = []
    for step in walk_steps:
        op = drawn_ops.get(id(step.node))
        annotate = {"title": f"step {step.index}/{step.count}: {step.rule}"}
        if op is not None:
            annotate["highlight"] = op.id
            annotate["rows"] = {op.out.id: ["g = " + array_text(step.upstream, width=40)]}
            annotate["edges"] = {
                (op.id, c.position): ("+= " if c.accumulates else "= ")
                + array_text(c.value, width=30) for c in step.contributions}
        graphs.append(draw(t, params=params, _annotate=annotate, **draw_kwargs))
    paths = []
    for k, graph in enumerate(graphs):
        path = f"{folder}/step_{k + 1:03d}.{format}"
        try:
            paths.append(write(graph, path, format))
        except GraphvizNotFoundError as error:
            for j, rest in enumerate(graphs[k + 1:], start=k + 2):
                with open(f"{folder}/step_{j:03d}.dot", "w", encoding="utf-8") as f:
                    f.write(rest.source)
            raise GraphvizNotFoundError(
                f"viz.render_steps: the Graphviz 'dot' program was not found on PATH; the DOT "
                f"sources of all {len(graphs)} steps were written to {folder}/step_*.dot "
                f"instead.\n{str(error).split(chr(10), 1)[1]}") from None
    return paths
