"""What a compiled function returns, as a template the replay fills in.

A template mirrors the returned structure: ``("tensor", Ref, key)`` for a tensor the
call computed (a replay returns a new tensor over the slot's array), ``("array",
Ref)`` for an array, ``("object", where, what)`` for a tensor the call was given or
captured and returned as it is (a replay returns that same object, as eager
execution does: a parameter with its ``.grad``, an argument), tuples, lists, dicts
and namedtuples (``("namedtuple", items, its class)``) of templates, and ``("value",
v)`` for None and strings.  ``key`` is an int for a tensor object returned more than
once (``return t, t``): a replay returns one tensor in each of those places, as eager
execution does, and None otherwise.  A fourth item, a ``ReplayedHistory``, is there
when the traced tensor required grad: a replay returns its tensor with
``requires_grad`` and a ``grad_fn`` naming the same op, as the call returned it, over a
node no backward can go through (``replayed_history_error`` says why when one tries).
A constant the call made from Python numbers (``return loss, np.zeros_like(x.data)``)
is the slot of the plan's copy of it, which a replay copies again at each call
(``literals.anew``): the caller may change it.
"""

from __future__ import annotations

import collections
import warnings

import numpy as np

from ..graph import Node, next_seq
from ..tape_drop import TapeDropWarning
from ..tensor import Tensor
from . import call_constants
from .provenance import nested_items
from .refusals import TraceError


def output_template(tracer, value):
    """The template of ``value``, what the traced call returned.

    >>> from autodiff.compile.tracer import Tracer
    >>> w = ad.tensor([1.0]); output_template(Tracer("f"), (w, None))
    ('tuple', [('object', 'captured', tensor([1.])), ('value', None)])
    """
    counts = collections.Counter(id(v) for v in nested_items(value) if isinstance(v, Tensor))
    shared = {ident: k for k, ident in enumerate(i for i, n in counts.items() if n > 1)}
    return _template(tracer, value, shared)


def _template(tracer, value, shared):
    if isinstance(value, Tensor):
        position = tracer.input_tensors.get(id(value))
        if position is not None:
            return ("object", "input", position)
        if tracer.from_before(value):
            return ("object", "captured", value)
    if isinstance(value, (Tensor, np.ndarray)):
        array = value.data if isinstance(value, Tensor) else value
        known = id(array) in tracer.by_id or (
            isinstance(value, Tensor) and id(value) in tracer.captured)
        if not known and _constant_made_in_the_call(tracer, value):
            # (``return loss, np.zeros_like(x.data)``: a slot of the plan's own copy,
            # which a replay copies again at each call: ``literals.anew``)
            known = tracer.ref(value, None, "return", f"returned by {tracer.name}")
        if not known and isinstance(value, Tensor) and id(array) in tracer.literals:
            raise TraceError(
                f"compile: {tracer.name} returns a tensor of shape {array.shape} made in "
                "the call from Python numbers with requires_grad=True, which no step used; "
                "a replay returns new tensors without requires_grad. Make such a leaf "
                "outside the compiled function (a replay returns a captured tensor "
                "itself), or return it with requires_grad=False.")
        if not known:
            raise TraceError(
                f"compile: {tracer.name} returns an array of shape {array.shape} that no "
                "recorded step made (a retained intermediate's .grad, NumPy on .data or "
                "at random); a replay could not give its new value. Return tensors "
                f"computed with ops, parameters or their .grad.{_no_constant_why(tracer, array)}")
        if isinstance(value, np.ndarray):
            return ("array", tracer.ref(value))
        if value._grad is not None:
            raise TraceError(
                f"compile: {tracer.name} returns a tensor of shape {array.shape} whose .grad "
                "the call filled (an intermediate's retain_grad(), or a leaf made in the "
                "call), but a replay returns the tensors the call computed as new tensors "
                "without a .grad. Make such a leaf outside the compiled function (a "
                "replay returns a captured tensor itself, with its .grad), or run this "
                "step eagerly to read an intermediate's gradient.")
        left_behind = _warn_of_a_graph_left_behind(tracer, value)
        template = ("tensor", tracer.ref(value, value), shared.get(id(value)))
        if value.requires_grad and value._node is not None:
            template += (ReplayedHistory(value._node.op, tracer.name, left_behind),)
        return template
    kind = type(value)
    if kind is tuple or kind is list:
        return (kind.__name__, [_template(tracer, v, shared) for v in value])
    if kind is dict:
        return ("dict", {k: _template(tracer, v, shared) for k, v in value.items()})
    if isinstance(value, tuple) and hasattr(kind, "_fields"):
        return ("namedtuple", [_template(tracer, v, shared) for v in value], kind)
    if isinstance(value, (tuple, list, dict)):
        raise TraceError(
            f"compile: {tracer.name} returns a {kind.__name__}, a subclass of "
            f"{kind.__mro__[1].__name__} that a replay would not build again. Return a "
            "tuple, list, dict or namedtuple (and make the other object after the call).")
    if value is None or isinstance(value, str):
        return ("value", value)
    if isinstance(value, (bool, int, float, complex, np.generic)):
        raise TraceError(
            f"compile: {tracer.name} returns the number {value!r}; a replay would return "
            "it unchanged even where it was computed (from .data, .item()). Return the "
            "tensor and convert it after the call (float(step(x).data)).")
    raise TraceError(f"compile: the function returned a {type(value).__name__}; a "
                     "compiled function may return tensors, arrays, None and "
                     "tuples, lists, dicts or namedtuples of them")


def _constant_made_in_the_call(tracer, value) -> bool:
    """Whether ``value`` is a constant of the plan the call made and no step used: an
    array NumPy made from Python numbers (``call_constants.py``), or a tensor without
    grad made from them (``ad.tensor([1.0])``, ``np.zeros_like(t)``).  A leaf with
    ``requires_grad`` is not: a replay returns new tensors without it."""
    if isinstance(value, Tensor):
        if value.requires_grad or value._node is not None:
            return False
        value = value.data
    return id(value) in tracer.literals or (
        call_constants.constant_source(tracer, value) is not None)


def _no_constant_why(tracer, array) -> str:
    """Why ``array``, made in the call, is no constant of the plan (``np.empty``, or
    a write with values of the call), as a sentence; else ""."""
    origin = call_constants.no_constant_origin(tracer, array)
    if origin is None:
        return ""
    why, at = origin
    if why == "write":
        return (f" It was a constant of the plan until the write into it at {at}, whose "
                "index or value is not made of Python numbers and constants of the plan.")
    return (f" It was made by {why} at {at}, which holds whatever the memory held: make "
            "it with np.zeros_like(a), np.ones_like(a) or np.full_like(a, value).")


class ReplayedHistory:
    """What a replay gives a returned tensor whose traced twin required grad: the op
    that made it (its ``grad_fn`` names it), the compiled function's name, and whether
    the call left its graph unused (``left_behind``) rather than running a backward
    through it."""

    __slots__ = ("op", "name", "left_behind")

    def __init__(self, op, name: str, left_behind: bool):
        self.op, self.name, self.left_behind = op, name, left_behind


def replayed_tensor(array, history: ReplayedHistory) -> Tensor:
    """A tensor over ``array`` that requires grad, made by ``history.op`` as the traced
    call's was, over a released node with no inputs: a backward that reaches it raises
    ``replayed_history_error`` instead of giving nothing (a plan records no tape).

    >>> made_by_sum = ad.tensor([1.5], requires_grad=True).sum()._node.op
    >>> h = ReplayedHistory(made_by_sum, "step", False)
    >>> t = replayed_tensor(np.array(1.5), h)
    >>> t.requires_grad, t.grad_fn.name(), t.is_leaf, t.item()
    (True, 'SumBackward0', False, 1.5)
    """
    node = Node()
    node.op = history.op
    node._arity = 0
    node._parents = ()
    node.args = node.kwargs = node.ans = None
    node.saved = history                # (released nodes hold None there: revive.py reads it)
    node.requires_grad = True
    node._shape = array.shape
    node._dtype = array.dtype
    node._depth = -1
    node._seq = next_seq()
    return Tensor._make(array, node, True)


def replayed_history_error(node) -> RuntimeError | None:
    """The error of a backward that reaches ``node``, made by a replay
    (``replayed_tensor``), else None."""
    history = node.saved
    if history.__class__ is not ReplayedHistory:
        return None
    name = history.name
    if history.left_behind:
        why = ("whose first call returned it with a graph no backward of the call used "
               "(it warned with a TapeDropWarning), but a replay records no tape")
    else:
        why = ("whose plan ran the call's backward through it and keeps no graph (a "
               "replay records no tape), so no backward can follow it after the call, "
               "even where eager execution kept the graph (retain_graph=True)")
    return RuntimeError(
        f"backward: a tensor of shape {node.shape} made by '{node.op.name}' was returned "
        f"by a replay of the compiled function {name}, {why}. Call backward() inside "
        "the compiled function (compile the whole training step), or call "
        f"{name} without ad.compile when its result is differentiated outside.")


def _warn_of_a_graph_left_behind(tracer, tensor) -> bool:
    """A returned tensor whose graph is still there (no backward of the call went
    through it, or one kept it with ``retain_graph=True``: its node still holds its
    inputs) has a history a backward after the call would follow; a
    replay returns it without one, so such a backward raises after a replay
    (``replayed_history_error``)."""
    node = tensor._node
    if node is None or node.args is None or not tensor.requires_grad:
        return False                    # (no backward can follow one without grad)
    how = ("with the graph its backward kept (retain_graph=True)"
           if node in tracer.node_slots else "with a graph that no backward of the call used")
    warnings.warn(
        f"compile: {tracer.name} returns a tensor of shape {tensor.shape} made by "
        f"'{node.op.name}' {how}: this first call returns it with that graph, but a "
        "replay returns it without one (a plan "
        "records no tape), so a backward through it after a replay raises: the tensors "
        "it came from get no gradient there. Call backward() inside the compiled function (compile "
        "the whole training step), or compute it under ad.no_grad() (or return "
        "t.detach()) when no gradient is wanted.", TapeDropWarning, stacklevel=2)
    return True


def output_source(template, ns, made=None) -> str:
    """The expression of the generated replay that builds what ``template`` describes
    (``ns`` names the constants; ``made``: the shared tensors already built)."""
    made = set() if made is None else made
    kind = template[0]
    if kind == "tensor":
        ref, key = template[1], template[2]
        if len(template) == 4:          # (its traced twin required grad)
            text = f"{ns.const(replayed_tensor)}({ns.expr(ref)}, {ns.const(template[3])})"
        else:
            text = f"MAKE({ns.expr(ref)}, None, False)"
        if key is None:
            return text
        if key in made:
            return f"T{key}"
        made.add(key)
        return f"(T{key} := {text})"
    if kind == "object":
        _, where, what = template
        if where == "captured":
            return ns.const(what, "C")
        return f"A[{what}]" if isinstance(what, int) else f"KW[{what!r}]"
    value = template[1]
    if kind == "array":
        return ns.expr(value)
    if kind == "namedtuple":
        inner = ", ".join(output_source(t, ns, made) for t in value)
        return f"{ns.const(template[2])}({inner})"
    if kind in ("tuple", "list"):
        inner = ", ".join(output_source(t, ns, made) for t in value)
        if kind == "list":
            return f"[{inner}]"
        return f"({inner},)" if inner else "()"
    if kind == "dict":
        return "{" + ", ".join(f"{ns.const(k)}: {output_source(t, ns, made)}"
                               for k, t in value.items()) + "}"
    return ns.expr(value) if value is not None else "None"
