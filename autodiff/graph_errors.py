"""The errors of the reverse pass (``graph.py``): a backward from a tensor that does not
require grad, a graph freed by an earlier backward, a rule that returns the wrong shape,
a leaf whose data is not floating-point, and a sum into a ``.grad`` that ``ad.compile``
could not replay."""

from __future__ import annotations


def no_grad_root_error(t):
    """The error of ``t.backward()`` when ``t`` does not require grad."""
    node = t._node
    if node is None:
        return RuntimeError(
            "backward: this tensor does not require grad and has no recorded history "
            f"(shape {t.shape}, {t.dtype}). Create the inputs with requires_grad=True (and "
            "outside ad.no_grad()) before computing it; the result of an op without a "
            "gradient (argmax, argsort, a comparison, an integer cast, detach()) has no "
            "history either, nor a Python number (.item(), float(t)) wrapped again in "
            "ad.tensor(...): compute the loss from float values that ops with a gradient "
            "made.")
    from .graph_node import differentiable_edges, upstream
    from .tensor import Tensor
    late = []           # leaves that require grad now, on an edge that would carry one
    for item in upstream(node, 10_000):
        if isinstance(item, Tensor) or item.requires_grad \
                or not getattr(item.op, "differentiable", True):
            continue
        late += [parent for _, parent in differentiable_edges(item)
                 if isinstance(parent, Tensor) and all(parent is not seen for seen in late)]
    if late:
        names = ", ".join(repr(leaf.name) if leaf.name else f"a tensor of shape {leaf.shape}"
                          for leaf in late[:3])
        return RuntimeError(
            f"backward: this tensor does not require grad: it comes out of "
            f"'{node.op.name}', and its history was recorded before {names} was set to "
            "require grad (requires_grad = True or requires_grad_() after the forward "
            "pass): the ops then recorded no gradient path to it. Set requires_grad "
            "before the forward pass, then compute this tensor again.")
    return RuntimeError(
        f"backward: this tensor does not require grad: it comes out of "
        f"'{node.op.name}', and no input on its history carries a gradient "
        "(inputs without requires_grad=True, or used only through comparisons, "
        "where conditions or stop_gradient). ad.explain(w, output=this_tensor) "
        "says why for a given input w.")


def freed_error(node):
    """The error of a backward that reaches ``node`` after an earlier pass released it."""
    shape = getattr(node, "shape", None)
    output = "" if shape is None else f" (output shape {tuple(shape)})"
    return RuntimeError(
        f"backward: the graph was already freed — op '{node.op.name}'{output} released "
        "its saved values in an earlier backward pass. To call backward through the same "
        "graph again, pass retain_graph=True to the first backward (or recompute the "
        "forward). The two usual ways here: two losses that share this op, each with "
        "its own backward ((loss1 + loss2).backward() runs one pass through both); and "
        "a value carried from one step into the next, as the hidden state of an RNN "
        "unrolled by hand with a backward each step: detach it between steps "
        "(h = h.detach()), so that each backward stays within its own step."
    )


def refuse_a_grad_stored_anew(tracer) -> None:
    """Raise while ``ad.compile`` traces a backward whose sum into a ``.grad`` the
    trace holds must be a new array, as a graph saved that array (it is the data of a
    tensor that requires grad): a replay would go on reading the traced array."""
    from .compile.refusals import TraceError
    from .compile.provenance import user_line
    raise TraceError(
        f"compile: a backward at {user_line()} in the compiled function {tracer.name} "
        "adds into a .grad array that a graph saved (it is also the data of a tensor "
        "that requires grad, as ad.tensor(w.grad).requires_grad_() makes), so the sum "
        "is stored as a new array, which a replay of the plan would not follow. Make "
        "that tensor from a copy (ad.tensor(w.grad.copy())), or call the step without "
        "ad.compile.")


def rule_shape_error(op, position, gradient, arg, ans):
    """The error of a rule whose ``gradient`` for input ``position`` fits neither that
    input's shape nor the shape it was broadcast to."""
    names = getattr(op, "input_names", ())
    name = names[position] if position < len(names) else str(position)
    return ValueError(
        f"{op.name}: the gradient rule of input {name!r} returned shape {gradient.shape}, "
        f"which does not sum to the input's shape {arg.shape} (the output has shape "
        f"{ans.shape}); a rule returns the input's shape, or the shape it was broadcast "
        "to.")


def not_float_leaf_error(leaf):
    # Only .data = ... gets here: creation and requires_grad=True refuse such data.
    name = "" if leaf._name is None else f" {leaf._name!r}"
    return TypeError(
        f"backward: the leaf tensor{name} (shape {leaf.data.shape}) requires grad, but "
        f"its data is {leaf.data.dtype}: an array of that dtype was assigned to .data "
        "after it was made (p.data = np.array([[1, 0], [0, 1]]) holds integers), and its "
        "gradient would be rounded to integers. Assign floating-point values, e.g. "
        "p.data = np.asarray(value, dtype=np.float64).")
