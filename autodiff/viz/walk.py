"""Read a tape into a plain description: values, ops and the edges between them.

The walk is iterative (an explicit stack), so graphs of any depth are fine.  Every
tensor that is drawn gets a number in topological order (inputs first), which makes
names like ``v7`` and the DOT text identical from one run of a program to the next.
"""

from __future__ import annotations

import numpy as np

from ..graph import Node, differentiable_edges
from ..tensor import Tensor

# Edge kinds: how the gradient travels back along an edge.
GRAD, NOGRAD, CONST, BROADCAST, INDEX = "grad", "nograd", "const", "broadcast", "index"
# Value kinds.
LEAF, CONSTANT, RESULT, NOGRAD_RESULT, OUTPUT = "leaf", "const", "result", "nograd", "output"


class Value:
    """A tensor in the picture: a leaf, a constant, or the output of an op."""

    __slots__ = (
        "changed",
        "data",
        "dtype",
        "freed",
        "grad",
        "id",
        "kind",
        "name",
        "named",
        "node",
        "shape",
        "tensor",
    )

    def __init__(self, id, kind, name, named, shape, dtype, data, grad=None,
                 node=None, tensor=None, freed=False):
        self.id = id
        self.kind = kind
        self.name = name
        self.named = named
        self.shape = shape
        self.dtype = dtype
        self.data = data
        self.grad = grad
        self.node = node
        self.tensor = tensor
        self.freed = freed
        self.changed = False    # a leaf written in place after an op here used it


class Edge:
    """Input ``position`` of an op, fed by ``src`` (a Value, or the collapsed block);
    ``out_shape`` is the op's output shape (the edge holds no link back to its op, so
    that a view is no reference cycle keeping the graph's arrays alive)."""

    __slots__ = ("input_name", "kind", "out_shape", "position", "src", "src_shape")

    def __init__(self, src, out_shape, position, input_name, kind, src_shape):
        self.src = src
        self.out_shape = out_shape
        self.position = position
        self.input_name = input_name
        self.kind = kind
        self.src_shape = src_shape


class OpVertex:
    """One recorded op: its node, its output Value and its input edges."""

    __slots__ = ("edges", "freed", "id", "node", "out", "params")

    def __init__(self, id, node, out):
        self.id = id
        self.node = node
        self.out = out
        self.edges = []
        self.params = []          # (name, value, position or None for a keyword)
        self.freed = node.args is None


class GraphView:
    """Everything needed to draw or print the graph that produced one tensor."""

    def __init__(self):
        self.values = []          # drawn Values, in topological order (constants included)
        self.ops = []             # drawn OpVertex, in topological order
        self.root = None          # the Value of the tensor asked about
        self.hidden_ops = 0       # ops collapsed away (beyond max_nodes)
        self.hidden_inputs = 0    # leaves and constants that fed only hidden ops
        self.hidden_edges = []    # (Value, "in") into the block, (OpVertex, "out") from it
        self.value_of = {}        # id(node or leaf tensor) -> Value (drawn ones)
        self.total_ops = 0


def param_names(params) -> dict[int, str]:
    """``{id(obj): name}`` from a Module (``named_parameters()``) or a mapping name -> tensor."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        items = list(params.named_parameters())
    elif hasattr(params, "items"):
        items = list(params.items())
    else:
        raise TypeError(
            f"viz: params must be a Module (anything with named_parameters()) or a mapping "
            f"name -> tensor, not {type(params).__name__}")
    names = {}
    for name, t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"viz: params[{name!r}] is a {type(t).__name__}, not a Tensor")
        names.setdefault(id(t), str(name))
        # A tensor that does not require grad enters the tape as its raw array.
        names.setdefault(id(t.data), str(name))
        if t._node is not None:
            names.setdefault(id(t._node), str(name))
    return names


def topological_order(root_node: Node) -> list:
    """Nodes and leaf tensors reachable from ``root_node``, inputs first (no recursion)."""
    order = []
    seen = {id(root_node)}
    stack = [[root_node, 0]]
    while stack:
        top = stack[-1]
        vertex = top[0]
        parents = vertex.parents if vertex.__class__ is Node else ()
        i = top[1]
        while i < len(parents):
            p = parents[i]
            i += 1
            if p is not None and id(p) not in seen:
                seen.add(id(p))
                top[1] = i
                stack.append([p, 0])
                break
        else:
            stack.pop()
            order.append(vertex)
    return order


def _is_constant_input(arg, differentiable_position):
    if isinstance(arg, (np.ndarray, np.generic)):
        return True
    return differentiable_position and isinstance(arg, (bool, int, float, complex))


def _broadcasts(src_shape, out_shape):
    """True when the forward stretched ``src_shape`` to ``out_shape`` (so backward sums)."""
    if src_shape is None or out_shape is None or tuple(src_shape) == tuple(out_shape):
        return False
    try:
        if np.broadcast_shapes(tuple(src_shape), tuple(out_shape)) != tuple(out_shape):
            return False
    except ValueError:
        return False
    return int(np.prod(src_shape, dtype=np.int64)) < int(np.prod(out_shape, dtype=np.int64))


def _is_index_edge(op, position):
    """True for the input whose gradient a scattering op (indexing) scatters into."""
    rules = op.rules
    return op.scatters and (rules is None or (position < len(rules)
                                               and rules[position] is not None))


def require_tensor(t, where: str) -> None:
    """Raise a TypeError saying what to do when ``t`` is not a Tensor (a NumPy result
    has no recorded graph: inside ``ad.vmap`` of plain arrays, ``f`` gets arrays)."""
    if isinstance(t, Tensor):
        return
    if isinstance(t, (np.ndarray, np.generic, int, float, complex)):
        raise TypeError(
            f"{where}: expected a Tensor, got {type(t).__name__}: a NumPy value has no "
            "recorded graph to show. Compute it from Tensors that require grad "
            "(ad.tensor(x, requires_grad=True)); inside ad.vmap, the function gets plain "
            "arrays unless an input is such a Tensor or a gradient transform (ad.grad) "
            "runs inside it")
    if type(t).__name__ == "Plan" and hasattr(t, "instrs"):    # an ad.compile plan
        raise TypeError(
            f"{where}: expected a Tensor, got an ad.compile plan, which records steps, not "
            "a graph of Tensors: draw it with ad.viz.draw(step.plan) or list it with "
            "print(step.plan). To show the graph itself, run the uncompiled function "
            "(step.__wrapped__) and pass its loss before calling backward()")
    raise TypeError(f"{where}: expected a Tensor, got {type(t).__name__}")


def build(t: Tensor, params=None, max_nodes: int | None = None,
          where: str = "viz") -> GraphView:
    """Describe the graph that produced tensor ``t`` (collapsing beyond ``max_nodes`` ops);
    ``where`` names the tool in the error when ``t`` is not a Tensor."""
    require_tensor(t, where)
    names = param_names(params)
    view = GraphView()
    root_node = t._node
    if root_node is None:
        name = names.get(id(t)) or t._name
        kind = OUTPUT
        v = Value("v0", kind, name or "v0", name is not None, t.data.shape, t.data.dtype,
                  t.data, t.grad, tensor=t)
        view.values.append(v)
        view.root = v
        return view

    order = topological_order(root_node)
    op_rank = {}
    n_ops = 0
    for vertex in order:
        if vertex.__class__ is Node:
            op_rank[id(vertex)] = n_ops
            n_ops += 1
    view.total_ops = n_ops
    if max_nodes is not None and max_nodes < 2:
        raise ValueError(f"viz: max_nodes must be at least 2 (or None), got {max_nodes}")
    hidden_lo = hidden_hi = n_ops  # ops with rank in [hidden_lo, hidden_hi) are hidden
    if max_nodes is not None and n_ops > max_nodes:
        tail = max_nodes // 2
        hidden_lo = max_nodes - tail
        hidden_hi = n_ops - tail

    def hidden(vertex):
        r = op_rank.get(id(vertex))
        return r is not None and hidden_lo <= r < hidden_hi

    # Which leaves feed a drawn op (the others are hidden with the block).
    drawn_leaf = set()
    for vertex in order:
        if vertex.__class__ is Node and not hidden(vertex):
            for p in vertex.parents:
                if p is not None and p.__class__ is not Node:
                    drawn_leaf.add(id(p))

    number = 0
    n_const = 0
    for vertex in order:
        k = number
        number += 1
        if vertex.__class__ is not Node:
            if id(vertex) not in drawn_leaf:
                view.hidden_inputs += 1
                continue
            name = names.get(id(vertex)) or vertex._name
            kind = LEAF if vertex.requires_grad else CONSTANT   # a named constant
            v = Value(f"v{k}", kind, name or f"v{k}", name is not None, vertex.data.shape,
                      vertex.data.dtype, vertex.data, vertex.grad, tensor=vertex)
            view.values.append(v)
            view.value_of[id(vertex)] = v
            continue
        node = vertex
        if hidden(node):
            for i, p in enumerate(node.parents):
                if p is None:
                    view.hidden_inputs += 1
                else:
                    src = view.value_of.get(id(p))
                    if src is not None and (src, "in") not in view.hidden_edges:
                        view.hidden_edges.append((src, "in"))
            continue
        name = names.get(id(node)) or node.name
        if node is root_node and t._name is not None:
            name = names.get(id(node)) or t._name
        kind = RESULT if node.requires_grad else NOGRAD_RESULT
        out = Value(f"v{k}", kind, name or f"v{k}", name is not None, node.shape, node.dtype,
                    node.ans, node=node, freed=node.ans is None)
        op = OpVertex(f"op{k}", node, out)
        n_const = _add_edges(view, op, node, names, n_const, hidden)
        view.ops.append(op)
        view.values.append(out)
        view.value_of[id(node)] = out
    _mark_changed_leaves(view.ops)
    view.hidden_ops = hidden_hi - hidden_lo
    view.root = view.value_of[id(root_node)]
    view.root.kind = OUTPUT
    if view.root.data is None:     # freed by backward(), but the output tensor still has it
        view.root.data = t.data
        view.root.freed = False
    _distinct_names(view.values, names)
    return view


def _mark_changed_leaves(ops):
    """Mark the leaves written in place (an optimizer step) after an op here used them:
    the values shown are their current ones, not the ones the graph computed with."""
    from ..overwrites import changed_since

    for op in ops:
        for edge in op.edges:
            src = edge.src
            if (src is not None and src.tensor is not None and not src.changed
                    and changed_since(src.tensor.data, op.node)):
                src.changed = True


def _distinct_names(values, given=None):
    """Different tensors that were given the same name are shown as ``w``, ``w#2``,
    ``w#3`` ...: written once each, ``matmul(v2, w)`` must not read as the ``w`` of
    another line (one weight used twice) when they are two weights.  A name the user
    gave in ``params=`` (``given``: id -> name) stays with that tensor; another tensor
    that only carries the same name (a frozen Embedding's ``weight`` beside a Linear's)
    is the one renamed."""
    given = given or {}
    owners = {}                 # name -> [ids of the objects shown under it, in order]
    for v in values:            # (the tensors params= names first)
        obj = v.tensor if v.tensor is not None else v.node
        if v.named and obj is not None and given.get(id(obj)) == v.name:
            owned = owners.setdefault(v.name, [])
            if id(obj) not in owned:
                owned.append(id(obj))
    for v in values:
        if not v.named:
            continue
        obj = v.tensor if v.tensor is not None else v.node if v.node is not None else v.data
        owned = owners.setdefault(v.name, [])
        if id(obj) not in owned:
            owned.append(id(obj))
        k = owned.index(id(obj))
        if k:
            v.name = f"{v.name}#{k + 1}"


def _add_edges(view, op_vertex, node, names, n_const, hidden):
    op = node.op
    rules = op.rules
    args = node.args
    grad_positions = {i for i, _ in differentiable_edges(node)}
    out_shape = node.shape
    input_names = op.input_names
    for i, p in enumerate(node.parents):
        input_name = input_names[i] if i < len(input_names) else f"x{i}"
        diff_position = rules is None or (i < len(rules) and rules[i] is not None)
        if p is None:
            if args is None:
                if not diff_position:
                    continue                    # a parameter such as a shape: freed with args
                arg = None
            else:
                arg = args[i]
                if not _is_constant_input(arg, diff_position):
                    op_vertex.params.append((input_name, arg, i))
                    continue
            name = names.get(id(arg)) if arg is not None else None
            cid = f"c{n_const}"
            n_const += 1
            if arg is None:
                src = Value(cid, CONSTANT, name or "constant", name is not None, None, None,
                            None, freed=True)
            else:
                a = np.asarray(arg)
                src = Value(cid, CONSTANT, name or "constant", name is not None, a.shape,
                            a.dtype, a)
            view.values.append(src)
            op_vertex.edges.append(Edge(src, out_shape, i, input_name, CONST, src.shape))
            continue
        if hidden(p):
            op_vertex.edges.append(Edge(None, out_shape, i, input_name, GRAD, p.shape))
            continue
        src = view.value_of[id(p)]
        if p.__class__ is not Node and not p.requires_grad:
            kind = CONST                        # a named constant tensor
        elif i not in grad_positions:
            kind = NOGRAD
        elif _is_index_edge(op, i):
            kind = INDEX
        elif _broadcasts(src.shape, out_shape):
            kind = BROADCAST
        else:
            kind = GRAD
        op_vertex.edges.append(Edge(src, out_shape, i, input_name, kind, src.shape))
    if node.kwargs:
        for key, value in node.kwargs.items():
            op_vertex.params.append((key, value, None))
    return n_const
