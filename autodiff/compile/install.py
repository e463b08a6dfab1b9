"""Connecting a ``Tracer`` to the library for the length of one traced call.

While ``installed`` is active, the tracer hears of every recorded op
(``_grad_mode.on_record``), every op that records nothing (``registry.kernel_hook``),
values leaving the library (``tensor.value_hook``), tensors shown
(``tensor.shown_hook``), in-place writes
(``inplace.write_hook``), ``.grad`` and ``.data`` reads and assignments (``Tensor.grad``
and ``Tensor.data`` become reporting properties) and every edge of the reverse pass
(a ``BackwardObserver``).  On exit everything is put back as it was, and the arrays
held read-only (``readonly.py``) are writable again; NumPy's refusal to write into
one of them in the user's code becomes a ``TraceError``.
"""

from __future__ import annotations

import functools
import importlib
import sys

from .. import graph as _graph
from .. import inplace as _inplace
from ..grad_attr import plain_grad
from ..graph import _grad_mode
from ..ops import registry as _registry
from ..tensor import Tensor
from . import call_constants, grad_methods, grad_presence, hooks, readonly
from .not_replayed import warn_of_shown_tensor
from .tracer import TraceError, Tracer

# (``autodiff.tensor`` as an attribute is the function ``ad.tensor``.)
_tensor_module = importlib.import_module("autodiff.tensor")


class _TracingObserver(_graph.BackwardObserver):
    """Passes the reverse pass's edges to the tracer.  Defined here, not inside
    ``installed``: a class object lives in a reference cycle, and a class made per
    trace would keep the tracer and every node it recorded alive until the cycle
    collector ran (parameters stayed read-only after a refused trace)."""

    def __init__(self, tracer: Tracer):
        self.tracer = tracer

    def on_edge(self, node, position, g, gi, rule_output):
        self.tracer.on_edge(node, position, g, gi, rule_output)

    def on_node(self, node, g):
        self.tracer.on_node(node, g)

    def on_leaf(self, leaf, grad):
        self.tracer.on_leaf(leaf)
        grad_presence.note_set(self.tracer, leaf)


class installed:
    """Context manager: ``tracer`` listens to this thread's ops, passes and values."""

    def __init__(self, tracer: Tracer):
        self.tracer = tracer

    def __enter__(self):
        if hooks.active is not None:
            raise TraceError("compile: a compiled function was called while another one "
                             "is being traced; nested tracing is not supported")
        tracer = self.tracer
        hooks.active = tracer
        self.saved_record = _grad_mode.on_record
        previous = self.saved_record

        def on_record(node):
            tracer.on_record(node)
            if previous is not None:
                previous(node)

        _grad_mode.on_record = on_record
        self.saved_kernel_hook = _registry.kernel_hook     # (inference_mode's, forward_ad's)
        _registry.kernel_hook = tracer.on_kernel
        _tensor_module.value_hook = tracer.on_value
        _tensor_module.shown_hook = functools.partial(warn_of_shown_tensor, tracer)
        _inplace.write_hook = tracer.on_write
        slot = self.grad_slot = Tensor.__dict__["grad"]

        def set_grad(t, value):
            tracer.on_grad_set(t, value, sys._getframe(1))
            grad_presence.note_set(tracer, t)
            slot.__set__(t, value)

        def get_grad(t):
            grad = plain_grad(t)        # (the buffer itself, which the hold makes read-only)
            grad_presence.note_read(tracer, t, sys._getframe(1))
            if grad is not None:
                readonly.on_grad_read(tracer, t, grad, sys._getframe(1))
            return grad

        Tensor.grad = property(get_grad, set_grad)
        data_slot = self.data_slot = Tensor.__dict__["data"]

        def get_data(t):
            array = data_slot.__get__(t)
            tracer.on_data_read(t, array, sys._getframe(1))
            return array

        def set_data(t, value):
            frame = sys._getframe(1)
            tracer.on_data_set(t, frame)
            data_slot.__set__(t, value)

        Tensor.data = property(get_data, set_data)
        self.observing = _graph.observe_backward(_TracingObserver(tracer))
        self.observing.__enter__()
        return tracer

    def __exit__(self, *exc):
        # Before the holds end: the refusal looks at them, and at the guard as it was.
        refusal = None
        if exc[1] is not None:
            held = self.tracer.held
            refusal = held.refusal(exc[1]) or grad_methods.refusal(held, exc[1])
        self.tracer.held.release()
        call_constants.release(self.tracer)
        hooks.active = None
        _grad_mode.on_record = self.saved_record
        _registry.kernel_hook = self.saved_kernel_hook
        _tensor_module.value_hook = None
        _tensor_module.shown_hook = None
        _inplace.write_hook = None
        Tensor.grad = self.grad_slot
        Tensor.data = self.data_slot
        self.observing.__exit__(*exc)
        if refusal is not None:
            raise refusal from exc[1]
        return False
