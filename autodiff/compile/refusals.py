"""What a trace refuses, found while recording or at its end, and the advice given.

``check_mask_key``: ``x[mask]`` with a mask the call computes (its size depends on
values).  ``check_fresh_constants``: arrays (0-d too) and NumPy scalars made during
the call off the tape (arrays: in the user's code or in the library's; NumPy scalars:
those the user's code passed in), which a replay would reuse with their traced
values.  Only arrays made of Python numbers are constants (library code passes the
numbers to ``Tensor`` / ``operands.tensor_of`` as they are; ``call_constants.py``
certifies those the user's code makes with NumPy); what the library computes off
the tape from values goes through ``hooks.made``.
``refuse_while_tracing``: a function whose shapes or steps depend on the values
(``refuse_traced_values``: on the values of a traced tensor it is given).
``refuse_value_leaving``: a traced tensor's value taken into Python (``item()``,
``bool()``, ``np.asarray``; ``Tracer.on_value``, the ``tensor.value_hook``, asks).
``check_arguments_inside``: a replayed library call on an argument of the call.  All
raise ``TraceError`` naming the op and the user's line.
"""

from __future__ import annotations

import sys

import numpy as np

from ..tensor import Tensor
from .optimizer_advice import optimizer_step_advice
from .plan import Ref


class TraceError(RuntimeError):
    """What ``ad.compile`` cannot replay, found while tracing (names the op and line)."""


def refuse_while_tracing(name: str, why: str, instead: str, line: str | None = None) -> None:
    """Raise when a compiled function's trace calls ``name`` in this thread: ``why``
    says what depends on the values, ``instead`` what to do (``line``: where, if not
    the innermost line outside the library)."""
    from .hooks import active
    if active is not None and active.owns_thread():
        from .provenance import numpy_caller, user_line
        where = line or user_line() + numpy_caller()
        raise TraceError(f"compile: {name} at {where} in the compiled function "
                         f"{active.name}: {why}, and a plan's shapes and steps are fixed. "
                         f"{instead}")


def note_line(*key) -> None:
    """Remember the user's line doing ``key`` while a trace runs in this thread: a
    gradient hook's registration (``"hook", hook_id``), named when the backward runs it
    (``hook_registration_line``); a buffer's assignment (``"buffer", id(module),
    name``), named when the trace's end finds it (``check_replaced_tensor_buffers``)."""
    from .hooks import active
    if active is not None and active.owns_thread():
        from .provenance import user_line
        active.lines[key] = user_line()


def hook_registration_line(hook_ids) -> str | None:
    """``"model.py:12 (registered there; run by the backward at train.py:40)"`` for the
    hooks ``hook_ids`` registered during the running trace, or None if none was."""
    from .hooks import active
    if active is None or not active.owns_thread():
        return None
    lines = sorted({active.lines[key] for i in hook_ids if (key := ("hook", i)) in active.lines})
    if not lines:
        return None
    from .provenance import user_line
    return f"{', '.join(lines)} (registered there; run by the backward at {user_line()})"


def refuse_traced_values(value, name: str, why: str, instead: str) -> None:
    """``refuse_while_tracing`` when ``value`` is a tensor whose values the library
    reads in Python (``why``) and that may hold others at a replay: an argument, one
    computed in the call, or one from before the call (read again at each call).  A
    replay would reuse the traced values."""
    from .hooks import active
    if active is None or not isinstance(value, Tensor) or not active.owns_thread():
        return
    slot = active.by_id.get(id(value.data))
    if (id(value) in active.input_tensors or active.from_before(value)
            or (slot is not None and active.slots[slot].source != "constant")):
        refuse_while_tracing(name, why, instead)


def refuse_value_leaving(tracer, tensor, what: str) -> None:
    """Refuse ``what`` (``item()``, ``bool()``, ``np.asarray``, an index, a format
    string) taking the value of ``tensor`` into Python during the trace, when the
    tensor is traced: computed or passed in the call, or a leaf that requires grad.
    Its value would be fixed into the plan; a constant's value may leave."""
    slot = tracer.by_id.get(id(tensor.data))
    traced = slot is not None and tracer.slots[slot].source != "constant"
    if traced or (tensor.requires_grad and tensor._node is None):
        from .provenance import user_line
        source = ""
        if tensor._node is not None:
            source = f" (the output of '{tensor._node.op.name}')"
        raise TraceError(
            f"compile: {what} on a traced tensor{source} of shape {tensor.shape} "
            f"at {user_line()}: its value would be fixed into the plan and a replay "
            "could not follow it. Keep the computation in tensor ops (ad.where for a "
            "branch), or do it outside the compiled function on what it returns.")


def check_arguments_inside(tracer, label, objects, line) -> None:
    """Refuse a replayed call whose objects hold a tensor the compiled function was
    given, or made over an array it was given (``clip_grad_norm_([x])``, an
    optimizer over ``x``, running statistics passed in): a replay calls it with the
    objects of the trace, so it would act on the traced call's argument, not on
    this call's."""
    todo, seen = [(objects, 0)], set()
    while todo:
        item, depth = todo.pop()
        if id(item) in seen or depth > 4 or len(seen) > 5000:
            continue
        seen.add(id(item))
        if not isinstance(item, Tensor):
            if isinstance(item, dict):
                todo += [(v, depth + 1) for v in item.values()]
            elif isinstance(item, (list, tuple, set, frozenset)):
                todo += [(v, depth + 1) for v in item]
            elif hasattr(item, "__dict__") and not isinstance(item, type):
                todo += [(v, depth + 1) for v in vars(item).values()]
            continue
        # A tensor argument, or a tensor the call made over an argument's array (an
        # array argument's wrapper): not a captured tensor whose array was passed.
        slot = tracer.by_id.get(id(item.data))
        if id(item) in tracer.input_tensors or (
                id(item) in tracer.made_during and slot is not None
                and tracer.slots[slot].source == "input"):
            raise TraceError(
                f"compile: the library call at {line} ({label}) acts on an argument of "
                f"the compiled function {tracer.name} (a tensor of shape "
                f"{item.data.shape}), but a replay repeats it on the objects of the first "
                "call, not on this call's arguments. Capture that tensor from the "
                "enclosing scope instead of passing it in, or call it outside the "
                "compiled function")


def check_made_during(tracer, label, args, kwargs, line) -> None:
    """Refuse a replayed call (``nn.init.normal_(t)``) on a tensor the compiled
    function made: a replay makes that tensor anew, but repeats the call on the first
    call's object, so the new one would keep the values it was made with."""
    items = [*args, *kwargs.values()]
    items += [v for item in items if isinstance(item, (list, tuple)) for v in item]
    for item in items:
        if isinstance(item, Tensor) and id(item) in tracer.made_during:
            raise TraceError(
                f"compile: {label} at {line} fills a tensor of shape {item.data.shape} "
                f"that the compiled function {tracer.name} made, but a replay would fill "
                "the first call's tensor, not the one the replay makes. Draw the values "
                "with an op instead (ad.randn(shape, rng=gen) for normal_, "
                "ad.rand(shape, rng=gen) scaled for uniform_, ad.full(shape, value) for "
                "constant_), or make and initialize the tensor (a module) outside the "
                "compiled function")


def check_mask_key(tracer, op_name, kwargs, line):
    """Refuse ``x[mask]`` with a mask computed or passed in the call: how many
    elements it selects depends on the mask's values, and a plan's shapes are fixed."""
    key = kwargs.get("key")
    for part in key if isinstance(key, (tuple, list)) else (key,):
        if part.__class__ is Ref:
            slot = tracer.slots[part.index]
            if slot.source != "constant" and np.dtype(slot.dtype or float).kind == "b":
                raise TraceError(
                    f"compile: '{op_name}' at {line} selects with a boolean mask of "
                    f"shape {slot.shape} computed or passed in the call; how many "
                    "elements it selects depends on the mask's values, and a plan's "
                    "shapes are fixed. Use ad.where(mask, x, 0) (and the mask's sum as "
                    "a count), or select outside the compiled function.")


def check_replaced_tensor_buffers(tracer):
    """Refuse a Tensor buffer replaced by assignment during the call (``self.ema =
    0.9 * self.ema + ...``): a replay reads the tensor the plan captured, not the one
    the assignment would have put there."""
    for module, name, traced_id in tracer.tensor_buffers:
        if id(module._buffers.get(name)) != traced_id:
            line = tracer.lines.get(("buffer", id(module), name))
            raise TraceError(
                f"compile: buffer {name!r} of {type(module).__name__} (a Tensor) was "
                f"replaced by an assignment{f' at {line}' if line else ''} during the "
                "call; a replay would not repeat the "
                f"assignment. Update it in place instead, e.g. with ad.no_grad(): "
                f"self.{name}.copy_(new_value) (or mul_/add_), or assign it outside the "
                "compiled function.")


def _refuse_replaced_capture(tracer, tensor, op_name, line):
    """Refuse a tensor from before the call that the call read and then dropped from
    the name or attribute that held it (``self.h = h.detach()``, truncated BPTT's
    carried state): a replay reads the tensor the trace captured, at every call."""
    raise TraceError(
        f"compile: {tracer.name} read a tensor of shape {tensor.shape} (given to "
        f"'{op_name}' at {line}) that it then replaced by another where it was kept "
        "(an assignment such as self.h = h.detach() or state['h'] = h, carrying a "
        "state across calls); a replay runs no Python code, so it would read the first "
        "call's tensor at every call. Pass the state in as an argument and return the "
        "new one (loss, h = step(x, h) with return loss, h.detach()), or keep it in "
        "place and update it there under ad.no_grad() (h_state.copy_(h)).")


def check_fresh_constants(tracer):
    """Refuse arrays made during the call off the tape (nobody else holds them now) and
    not made of Python numbers, 0-d too: NumPy on ``.data`` or ``.grad``, random draws,
    values library code computed with NumPy; and the NumPy scalars the user's code made
    so and passed in.  A replay would repeat them with their traced values."""
    from .fresh_leaves import check as check_fresh_leaf

    for key in list(tracer.captured):
        tensor = tracer.captured[key][0]
        check_fresh_leaf(tracer, tensor)
        # References: the captured tuple, the local name, getrefcount's argument.
        if sys.getrefcount(tensor) <= 3 and not tensor.requires_grad and tensor.ndim:
            op_name, line = tracer.capture_sites.get(key, ("?", "?"))
            if id(tensor) not in tracer.made_during:
                _refuse_replaced_capture(tracer, tensor, op_name, line)
            raise TraceError(
                f"compile: a tensor of shape {tensor.shape} given to '{op_name}' at "
                f"{line} was made during the call from an array built outside the "
                "library (NumPy on .data or .grad, a random draw, a new constant); a "
                "replay would reuse its traced values. Compute it with tensor ops, "
                f"or make constants outside the compiled function.{_advice(op_name)}")
        del tensor
    in_graph: dict = {}         # references held by the eager graph, still alive
    for ref in tracer.nodes:
        node = ref()
        if node is None:
            continue
        held = list(node.args or ()) + list((node.kwargs or {}).values())
        while held:                 # an indexing key holds its arrays in a tuple
            a = held.pop()
            if isinstance(a, (tuple, list)):
                held.extend(a)
            else:
                in_graph[id(a)] = in_graph.get(id(a), 0) + 1
    tracer.nodes = []
    _count_views_kept(tracer, in_graph)
    for array, op_name, line, _ in tracer.constants:
        # References: tracer.keep, tracer.constants' tuple, getrefcount's argument,
        # the loop variable, and the live graph and views.
        # An array made from Python numbers (by ad.tensor in the user's code, or by the
        # library for a number operand) is a constant, like them; any other, 0-d too,
        # was computed in the call, from the values maybe.
        if sys.getrefcount(array) <= 4 + in_graph.get(id(array), 0) and (
                id(array) not in tracer.literals and id(array) not in tracer.number_arrays):
            written = _no_constant(tracer, array, op_name, line)
            raise TraceError(
                f"compile: an array of shape {array.shape} given to '{op_name}' at "
                f"{line} was made during the call outside the library (NumPy on .data "
                "or .grad, a NumPy function on a plain array such as np.unique(a) or a "
                "slice of a captured array, np.random, a NumPy scalar among its numbers "
                "such as np.full(3, x.data.mean())); a replay would reuse its traced "
                "values. Compute it with tensor ops, make a constant from Python numbers "
                "(np.array([0, 2]), ad.tensor([0, 2])), or make it outside the compiled "
                "function and pass it in as an argument (or capture it)."
                f"{written}{optimizer_step_advice(line)}{_advice(op_name)}")
    # A NumPy scalar stays in the plan's steps as it is: count those references too.
    for instr in tracer.instrs:
        held = list(instr.args) + list(instr.kwargs.values())
        while held:
            a = held.pop()
            if isinstance(a, (tuple, list)):
                held.extend(a)
            elif isinstance(a, np.generic):
                in_graph[id(a)] = in_graph.get(id(a), 0) + 1
    scalars, tracer.scalars = tracer.scalars, {}
    for scalar, op_name, line, inside in scalars.values():
        # References: scalars' tuple, getrefcount's argument, the loop variable, the
        # live graph and the plan's steps.  One still held elsewhere (a global, a
        # closure's cell, a module's attribute) existed before the call.  Only those
        # the user's line passed in are in ``scalars``.
        if sys.getrefcount(scalar) <= 3 + in_graph.get(id(scalar), 0) and inside:
            raise TraceError(_scalar_made_inside_numpy(scalar, op_name, line, inside))
        if sys.getrefcount(scalar) <= 3 + in_graph.get(id(scalar), 0):
            raise TraceError(
                f"compile: the NumPy scalar {scalar!r} given to '{op_name}' at {line} "
                "was made during the call outside the library (NumPy on .data or "
                ".grad, such as x.data.sum() or np.mean(x.data), a random draw, a new "
                "constant such as np.sqrt(d)); a replay would reuse its traced value. "
                "Compute it with tensor ops (x.sum(), which a replay computes again), "
                "write a constant as a Python number (math.sqrt(d)), or pass the value "
                "in as an argument.")


def _scalar_made_inside_numpy(scalar, op_name, line, inside) -> str:
    """The refusal of a NumPy scalar that a NumPy function the user's line called
    (``inside``: `` (inside np.chebval)``) made and gave to the library: taken from an
    array of its own (its copy of a series' coefficients), not from the user's code."""
    function = inside.strip(" ()").replace("inside ", "")
    return (
        f"compile: the NumPy scalar {scalar!r} given to '{op_name}' at {line} was made "
        f"during the call by NumPy's own code inside {function}, taken from an array of "
        "its own (its copy of an argument, such as the coefficients of a series "
        "evaluation like np.polynomial.chebyshev.chebval(t, c), or one it computed): the "
        "plan cannot tell which values it came from, so a replay would reuse its traced "
        "value even after they change. Write the computation with tensor ops on "
        "ad.tensor(c) (a Clenshaw or Horner loop: ct = ad.tensor(c); b = ct[-1]; ...), "
        "which a replay computes again from the array, checked before each replay, or "
        "call it outside the compiled function.")


def _count_views_kept(tracer, counts: dict) -> None:
    """Add to ``counts`` (``id -> references``) those the views the trace keeps hold to
    their bases: a view it computed (``a[:2]`` of an array ``a`` made in the call) is
    no holder from before the call.  (A function of its own, so that no loop variable
    outlives it as one more reference.)"""
    for value in tracer.keep:
        if isinstance(value, np.ndarray) and isinstance(value.base, np.ndarray):
            counts[id(value.base)] = counts.get(id(value.base), 0) + 1


def _no_constant(tracer, array, op_name, line) -> str:
    """Refuse by name an array ``np.empty_like`` / ``np.empty`` made in the call; for
    an array a write stopped being a constant of the plan, the sentence saying where
    (else "")."""
    from .call_constants import no_constant_origin

    origin = no_constant_origin(tracer, array)
    if origin is None:
        return ""
    why, at = origin
    if why.startswith("unreached:"):
        return _unreached_advice(why.partition(":")[2], at)
    if why == "write":
        return (f" (It was a constant of the plan until the write into it at {at}, "
                "whose index or value is not made of Python numbers and constants of the "
                "plan, such as an index computed from the call's values: build it with "
                "tensor ops, such as F.one_hot(y, num_classes=k), or pass it in.)")
    raise TraceError(
        f"compile: an array of shape {array.shape} given to '{op_name}' at {line} was "
        f"made by {why} at {at}: it holds whatever the memory held until written, and "
        "a plan cannot prove that every element was overwritten with constants before "
        "use, so a replay could not give eager's values. Make it with np.zeros_like(a), "
        "np.ones_like(a) or np.full_like(a, value) (constants of the plan, also when a "
        "is a traced array), then write into it.")


_LIBRARY_NUMPY = (
    " If that line calls a library function that builds it with NumPy from the values "
    "(such as F.one_hot with num_classes=-1, which counts the classes), call it outside "
    "the compiled function and pass its result in as an argument.")


def _advice(op_name) -> str:
    if op_name.startswith("in-place"):
        return (" A parameter update written with NumPy (p -= lr * p.grad) is such an "
                "array: use an optimizer from ad.optim, whose step() a replay repeats.")
    return _LIBRARY_NUMPY


def _unreached_advice(function, at) -> str:
    """The sentence for an array NumPy made from Python numbers at ``at`` in
    ``function``, which the compiled function reaches only in a way its checks do not
    follow (``creator_scopes.py``)."""
    from .reached import _FUNCTION_DEPTH

    return (f" (It was made from Python numbers at {at}, in {function}(), which the "
            "compiled function runs without reaching it by name: the settings and "
            "globals it reads are not checked before a replay, so it is no constant of "
            "the plan. The compiled function reaches a function it calls by name, a "
            "method of an object or class it names or that a list, tuple, dict or "
            "config it names holds, and theirs, down to "
            f"{_FUNCTION_DEPTH} calls deep; one given as an argument, found with "
            "getattr, or deeper than that is not followed. Make the array outside the "
            "compiled function and pass it in or keep it on the object "
            "(self.c = np.full(3, k) in __init__), or build it with tensor ops.)")
