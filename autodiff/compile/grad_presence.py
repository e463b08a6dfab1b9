"""Whether a ``.grad`` was None when the user's code read it while tracing.

A step may be steered by whether a gradient is there::

    @ad.compile
    def step(x):
        loss = (w * x).sum()
        if w.grad is None:          # True at the first call only
            loss = loss * 2
        loss.backward()
        return loss

The plan holds the branch the trace took, so a replay is right only while that
``.grad`` is None (or not) as it was at the trace.  Each read by the user's code of the
``.grad`` of a tensor from before the call, ahead of anything in the call that set it
(a backward pass storing into it, ``.grad = None``, ``opt.zero_grad()``), becomes one
of the plan's ``flags`` (``GradPresence``: one ``is None`` before each replay), and a
call finding the other case traces again (or replays the plan made for it, if still
cached).  A read after the call set the ``.grad`` needs no flag: what the call did
decides it, and a replay does it again.  Other replayed methods (``opt.step()``,
``zero_grad(set_to_none=False)``, which leaves a None ``.grad`` None) may set
gradients past the hooks that see sets, so the None-ness of their parameters'
gradients is noted before they run, and a later read is flagged with that: the
None-ness the call found.

The flag asks ``tensor._grad is None``:

>>> w = ad.tensor([1.0, 2.0], requires_grad=True)
>>> flag = GradPresence(w, "whether the .grad of w is None")
>>> flag.value
True
>>> (w * 2).sum().backward(); flag.value
False
"""

from __future__ import annotations

import inspect

from .provenance import frame_line, leaf_label
from .readonly import user_frame
from .values_read import ValueRead


class GradPresence(ValueRead):
    """The plan's flag for a tensor whose ``.grad`` the user's code read while
    tracing: ``value`` is whether that ``.grad`` is None now."""

    __slots__ = ()

    @property
    def value(self) -> bool:
        return self.tensor._grad is None


def note_read(tracer, tensor, frame) -> None:
    """The code of ``frame`` read ``tensor.grad`` while ``tracer`` traces: the first
    such read by the user's code of a tensor from before the call, whose ``.grad``
    nothing in the call set yet, becomes a flag."""
    if not tracer.owns_thread():
        return
    position = tracer.input_tensors.get(id(tensor))
    if position is None and not tracer.from_before(tensor):
        return
    reads = tracer.__dict__.setdefault("grad_reads", {})
    if id(tensor) in reads:
        return
    found = tracer.__dict__.get("grads_found", {}).get(id(tensor))
    if found is None and id(tensor) in _set_in_call(tracer):
        return
    user = user_frame(frame)
    if user is None:
        return
    was_none = tensor._grad is None if found is None else found[1]
    if position is not None:
        # (a Tensor argument: each call's own, so a test of the argument given, as the
        # library's own paths chosen by an argument are: ``hooks.branch``)
        reads[id(tensor)] = None
        tracer.branches.append((position, ARGUMENT_GRAD_IS_NONE, was_none,
                                f"whether the .grad of argument {position!r} is None "
                                f"(read at {frame_line(user)})"))
        return
    label = (f"whether the .grad of {leaf_label(tensor)} is None "
             f"(read at {frame_line(user)})")
    reads[id(tensor)] = (GradPresence(tensor, label), "value", was_none)


def _argument_grad_is_none(argument) -> bool:
    return getattr(argument, "_grad", None) is None


#: The test of a Tensor argument's ``.grad`` in ``plan.branches``, given the argument
#: itself (the other tests there are given its array).
ARGUMENT_GRAD_IS_NONE = _argument_grad_is_none


def note_replayed_call(tracer, obj, method, args, kwargs) -> None:
    """A replayed ``method`` of ``obj`` is about to run while ``tracer`` traces: note
    whether the gradients of the parameters it may set (an optimizer's, a module's)
    are None, unless the call set them already; ``zero_grad()`` (``set_to_none=True``)
    sets them all to None, whatever they were."""
    from ..nn.module import Module

    if hasattr(obj, "param_groups"):
        tensors = [p for group in obj.param_groups for p in group.get("params", ())]
    elif isinstance(obj, Module):
        tensors = list(obj.parameters())
    else:
        return
    found = tracer.__dict__.setdefault("grads_found", {})
    set_in_call = _set_in_call(tracer)
    if _clears_to_none(method, obj, args, kwargs):
        set_in_call.update(id(tensor) for tensor in tensors)
        for tensor in tensors:
            found.pop(id(tensor), None)
        return
    for tensor in tensors:
        if id(tensor) not in found and id(tensor) not in set_in_call:
            found[id(tensor)] = (tensor, getattr(tensor, "_grad", None) is None)


def note_set(tracer, tensor) -> None:
    """The call set ``tensor.grad`` (a backward pass stored into it, or an
    assignment): later reads see what the call made, which a replay makes again."""
    if tracer.owns_thread():
        _set_in_call(tracer).add(id(tensor))
        tracer.__dict__.get("grads_found", {}).pop(id(tensor), None)


def _clears_to_none(method, obj, args, kwargs) -> bool:
    """Whether ``method`` is a ``zero_grad`` called with ``set_to_none`` true."""
    if method.__name__ != "zero_grad":
        return False
    try:
        bound = inspect.signature(method).bind(obj, *args, **kwargs)
    except TypeError:
        return False
    bound.apply_defaults()
    return bool(bound.arguments.get("set_to_none", False))


def flags(tracer) -> list:
    """The plan's flags for the ``.grad`` reads ``note_read`` noted."""
    return [flag for flag in tracer.__dict__.get("grad_reads", {}).values() if flag is not None]


def _set_in_call(tracer) -> set:
    return tracer.__dict__.setdefault("grads_set_in_call", set())
