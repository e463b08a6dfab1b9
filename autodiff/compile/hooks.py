"""Where the rest of the library tells a running trace what it did.

Nothing here costs anything while no trace is active: the core checks one module
attribute (``registry.kernel_hook``, ``tensor.value_hook``) that is ``None`` then, and
methods marked ``@replayed`` check ``active`` once per call.

``made`` wraps the arrays the library computes off the tape: from no traced value
(``ad.zeros``, a random draw) or from traced values no gradient flows through (class
targets, a check that raises on bad values).  A replay computes them again, drawing
anew from the same generator, checking each call's values.  ``@replayed_function``
does the same for a whole function (``nn.init``'s initializers).

``@replayed`` marks methods whose whole effect is on Python objects the plan cannot
see into (an optimizer's ``step`` and ``zero_grad``, a scheduler's ``step``): during a
trace the call is recorded as it is, and a replay calls the same bound method again.
``@refused_in_trace`` marks methods a replay cannot repeat (``load_state_dict``, which
reads a dict of arrays): a trace that calls one raises ``TraceError``.
"""

from __future__ import annotations

import functools
from typing import Callable

import numpy as np

#: The Tracer recording in this process (traces run one at a time, in one thread).
active = None

#: How many times a registry that decides which Python function the library calls
#: changed (``distributions.kl.register_kl``): part of a compiled call's signature, so
#: that a plan traced through the old choice is not replayed after a change.
dispatch_epoch = 0


def dispatch_changed() -> None:
    """Note a change of such a registry (see ``dispatch_epoch``)."""
    global dispatch_epoch
    dispatch_epoch += 1


def replayed(method: Callable) -> Callable:
    """Decorator: a compiled function that calls ``method`` calls it again on replay.

    >>> class Counter:
    ...     n = 0
    ...     @replayed
    ...     def tick(self):
    ...         self.n += 1
    >>> c = Counter(); c.tick(); c.n
    1
    """
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        tracer = active
        if tracer is None or not tracer.owns_thread():
            return method(self, *args, **kwargs)
        from .grad_presence import note_replayed_call     # (it sets gradients: grad_presence.py)
        note_replayed_call(tracer, self, method, args, kwargs)
        return tracer.on_replayed_call(method, self, args, kwargs)
    wrapper._replayed = True           # (optim/step_hooks.py puts hooks inside it)
    return wrapper


def made(label: str, fn: Callable, args: tuple = (), kwargs: dict | None = None, *,
         stateful: bool = False):
    """``fn(*args, **kwargs)`` as an array, computed off the tape (from no traced value,
    or from traced arrays no gradient flows through); a compiled function computes it
    again on replay.  ``stateful``: it draws from a generator or checks values, so a
    replay runs it even when its result goes unused.

    >>> made("zeros", np.zeros, ((2,),))
    array([0., 0.])
    """
    try:
        value = fn(*args, **(kwargs or {}))
    except TypeError as error:
        from ..missing_dtypes import unknown_dtype_error
        raise unknown_dtype_error(label, error) from error
    if type(value) is not np.ndarray:   # a NumPy scalar: the array the plan can follow
        value = np.asarray(value)
    tracer = active
    if tracer is not None and tracer.owns_thread():
        tracer.on_made(label, fn, args, kwargs or {}, value, stateful)
    return value


def note_made_from_numbers(values) -> None:
    """Library code made ``values`` (NumPy scalars and arrays: ``np.vectorize``'s
    entries of a number argument) from Python numbers only: while tracing, they are
    constants of the plan, as the numbers are (else a NumPy scalar a user's function
    is given would be refused as made during the call from values).

    >>> note_made_from_numbers([np.float64(3.0)])      # outside a trace: nothing to do
    """
    tracer = active
    if tracer is None or not tracer.owns_thread():
        return
    for value in values:
        if isinstance(value, np.generic):
            tracer.number_scalars[id(value)] = value
        elif isinstance(value, np.ndarray):
            tracer.number_arrays[id(value)] = value


def branch(label: str, array, predicate: Callable, taken) -> bool:
    """Note that library code chose its path by ``predicate(array) == taken`` (cross
    entropy's fused path when no target equals ``ignore_index``).  Outside a trace:
    True.  While tracing, when ``array`` is an argument of the compiled function (or
    holds its elements, reshaped): the plan is replayed only for arguments that give
    the same ``taken`` (others trace again, and each path keeps its plan), and True;
    else False, and the caller must take a path that is right for any values.

    >>> branch("any negative", np.ones(2), lambda a: bool((a < 0).any()), False)
    True
    """
    tracer = active
    if tracer is None or not tracer.owns_thread():
        return True
    return tracer.on_branch(label, array, predicate, taken)


def replayed_function(fn: Callable) -> Callable:
    """Decorator: a compiled function that calls ``fn`` calls it again on replay, with
    the same arguments (tensors and generators as the same objects), e.g. an
    initializer that fills a parameter in place.

    >>> @replayed_function
    ... def fill(a, value):
    ...     a[...] = value
    >>> a = np.zeros(2); fill(a, 3.0); a
    array([3., 3.])
    """
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        tracer = active
        if tracer is None or not tracer.owns_thread():
            return fn(*args, **kwargs)
        return tracer.on_replayed_function(fn, args, kwargs)
    return wrapper


def refused_in_trace(method: Callable) -> Callable:
    """Decorator: a compiled function that calls ``method`` is refused while tracing
    (``TraceError`` naming the method and the user's line): the call would run only
    while tracing, and every replay would skip it.

    >>> class Model:
    ...     @refused_in_trace
    ...     def load(self, state):
    ...         return state
    >>> Model().load(1)             # outside a trace: runs as it is
    1
    """
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        _refuse_in_trace(lambda: f"{type(self).__name__}.{method.__name__}")
        return method(self, *args, **kwargs)
    return wrapper


def refused_function_in_trace(fn: Callable) -> Callable:
    """``refused_in_trace`` for a function (named by its own name)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _refuse_in_trace(lambda: fn.__name__)
        return fn(*args, **kwargs)
    return wrapper


def refuse_transform_in_trace(where: str) -> None:
    """Raise ``TraceError`` when the function transform ``where`` (``"grad"``,
    ``"jacfwd"`` ...) is called while a compiled function is being traced: its
    derivative passes hand their results back instead of filling ``.grad``, and a plan
    replays neither those passes nor the graphs they record.

    >>> refuse_transform_in_trace("grad")      # outside a trace: nothing happens
    """
    tracer = active
    if tracer is not None and tracer.owns_thread():
        from .provenance import user_line
        from .refusals import TraceError

        raise TraceError(
            f"compile: ad.{where} is called at {user_line()} inside the compiled function "
            f"{tracer.name}; a compiled function does not replay function transforms "
            "(ad.grad, value_and_grad, vjp, jvp, jacrev, jacfwd, hessian, hvp) or "
            "ad.autograd.grad. Call the transform outside ad.compile, or, for a training "
            "step, call loss.backward() inside the compiled function and read the "
            "parameters' .grad.")


#: What a replay repeats instead of a refused call, where there is such a call.
_REPLAYED_INSTEAD = {
    "get_total_norm": " Inside it, ad.nn.utils.clip_grad_norm_(params, max_norm) "
                      "returns the total norm and clips, at each replay.",
    "clip_grads_with_norm_": " Inside it, ad.nn.utils.clip_grad_norm_(params, "
                             "max_norm) computes the total norm and clips, at each "
                             "replay.",
}


def refuse_call_in_trace(name: str) -> None:
    """Raise ``TraceError`` naming ``name`` and the user's line when called while a
    compiled function is being traced: a call that every replay would skip.

    >>> refuse_call_in_trace("Linear.reset_parameters")    # outside a trace: nothing
    """
    _refuse_in_trace(lambda: name)


def refuse_value_read_in_trace(name: str, advice: str) -> None:
    """Raise ``TraceError`` naming ``name`` and the user's line when called while a
    compiled function is being traced: a read giving Python numbers that the plan would
    fix while what they come from goes on changing (``sched.get_last_lr()`` with the
    scheduler stepped).

    >>> refuse_value_read_in_trace("StepLR.get_last_lr", "")    # outside a trace: nothing
    """
    tracer = active
    if tracer is not None and tracer.owns_thread():
        from .provenance import user_line
        from .refusals import TraceError

        raise TraceError(
            f"compile: {name}() is called at {user_line()} inside the compiled function "
            f"{tracer.name}; it gives Python numbers, which the plan would fix at their "
            f"traced values while they change between calls, so every replay would use "
            f"this call's. {advice}")


def _refuse_in_trace(label: Callable) -> None:
    tracer = active
    if tracer is not None and tracer.owns_thread():
        from .provenance import user_line
        from .refusals import TraceError

        name = label()
        raise TraceError(
            f"compile: {name} is called at {user_line()} inside the compiled "
            f"function {tracer.name}; it would run only while tracing and every "
            "replay would skip it. Call it outside the compiled function, between "
            "calls: the next call reads what it changed (a state loaded, a rate "
            f"stepped, a seed set).{_REPLAYED_INSTEAD.get(name, '')}")
