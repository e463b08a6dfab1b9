"""An optimizer's per-parameter state looked at by the user's code while tracing,
before the call made it: ``if p in opt.state:``, ``opt.state.get(p, {})``,
``len(opt.state)`` ahead of the first ``step()``.

The branch the code took on a state not made yet is fixed into a plan, while every
later call finds the state there (an eager call takes the other branch).  So a call
that made state after such a read keeps no plan; the next call traces again, with
the state in place (``ParameterState`` notes the reads, ``note``).
"""

from __future__ import annotations

import sys

from . import hooks
from .reached import written_by_user


def note(state) -> None:
    """While a compiled function is traced, note which parameters have state in
    ``state`` (an optimizer's ``ParameterState``) if the user's code is looking at it."""
    tracer = hooks.active
    if tracer is None or not tracer.owns_thread():
        return
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename == state_file():
        frame = frame.f_back
    if frame is None or not written_by_user(frame.f_globals.get("__name__")):
        return
    reads = tracer.__dict__.setdefault("optimizer_state_reads", {})
    reads.setdefault(id(state), (state, _had_state(state)))


def made_after_read(tracer) -> bool:
    """Whether the traced call made state for a parameter after the user's code
    looked at the optimizer's state (``note``)."""
    return any(_had_state(state) != before
               for state, before in getattr(tracer, "optimizer_state_reads", {}).values())


def _had_state(state) -> tuple:
    return tuple(bool(entry) for entry in list.__iter__(state))


def state_file() -> str:
    from ..optim import parameter_state

    return parameter_state.__file__
