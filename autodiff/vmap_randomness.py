"""What a random draw inside ``ad.vmap`` does: ``vmap``'s ``randomness=`` argument.

``vmap`` calls its function once per example, so a draw inside it is a draw per
example.  Every random function of the library gets its NumPy generator from one
place (``nn.layer_rng._generator``, for ``rng=``, ``generator=`` and the library's own
generator), which reports each draw here through ``drawn``:

- ``'error'`` (the default, as ``torch.func.vmap``): the draw raises; a vmap nested
  in a ``'error'`` vmap raises too, whatever its own mode.
- ``'different'``: nothing to do, each example draws the next numbers.
- ``'same'``: the first draw of each generator keeps its state; before every later
  example the generator goes back to it, so each example draws the same numbers and
  the generator ends where one example left it (one draw, shared by the batch).

Draws the library does not make (``np.random`` called by the function itself) are
not seen.  ``ad.compile`` refuses a ``'same'`` draw: a replay repeats the draws but
not the rewinding.
"""

from __future__ import annotations

import copy
import threading
from contextlib import contextmanager

import numpy as np

from .compile import hooks

MODES = ("error", "different", "same")

_WAY_OUT = ("Pass randomness='same' (one draw shared by the batch) or randomness='different' "
            "(one draw per example) to {0}, or draw outside of {0}")
_WAYS_OUT = {"hessian": "hessian takes no randomness (as PyTorch's): use "
                        "jacfwd(jacrev(f), randomness='same' or 'different'), or draw "
                        "outside of hessian"}


class _Running(threading.local):
    """The vmaps running in this thread, outermost first (a draw in another thread,
    a data loader's worker say, is not inside them)."""

    def __init__(self):
        self.scopes: list[_Scope] = []


_RUNNING = _Running()


class _Scope:
    __slots__ = ("name", "mode", "transform", "start_states")

    def __init__(self, name, mode, transform):
        self.name, self.mode, self.transform = name, mode, transform
        self.start_states: dict = {}        # id(generator) -> (generator, state)

    def rewind(self):
        """Put every generator drawn from so far back to its state before its first draw."""
        for generator, state in self.start_states.values():
            generator.bit_generator.state = copy.deepcopy(state)


def checked_mode(where: str, randomness) -> str:
    """``randomness`` if it is one of PyTorch's modes; a RuntimeError naming ``where``
    (``vmap(f)``, ``jacfwd``) if not."""
    if randomness not in MODES:
        raise RuntimeError(f"{where}: randomness must be 'error', 'different' or 'same', got "
                           f"{randomness!r}")
    return randomness


@contextmanager
def randomness_scope(name: str, mode: str, transform: str = "vmap"):
    """The body of one vmap call (or of a ``transform`` built on one, ``jacfwd``): draws
    inside follow ``mode``; yields the scope, whose ``rewind()`` the loop calls before
    each example after the first."""
    scope = _Scope(name, mode, transform)
    scopes = _RUNNING.scopes
    scopes.append(scope)
    try:
        yield scope
    finally:
        scopes.pop()


def drawn(generator: np.random.Generator) -> np.random.Generator:
    """``generator``, about to be drawn from; raises under a vmap with
    ``randomness='error'``, and keeps its state for a vmap with ``'same'``."""
    scopes = _RUNNING.scopes
    if not scopes:
        return generator
    for scope in scopes:
        if scope.mode == "error":
            from .compile.provenance import user_line

            raise RuntimeError(
                f"{scope.transform}({scope.name}): called a random operation while in "
                f"randomness 'error' mode (the default), at {user_line()}. "
                f"{_WAYS_OUT.get(scope.transform, _WAY_OUT).format(scope.transform)}")
    for scope in scopes:
        if scope.mode != "same":
            continue
        _refuse_same_in_trace(scope.name)
        if id(generator) not in scope.start_states:
            scope.start_states[id(generator)] = (
                generator, copy.deepcopy(generator.bit_generator.state))
    return generator


def _refuse_same_in_trace(name: str) -> None:
    """``ad.compile`` replays the draws but not the rewinding between examples, so a
    replay would give each example its own numbers: refused."""
    tracer = hooks.active
    if tracer is not None and tracer.owns_thread():
        from .compile.provenance import user_line
        from .compile.refusals import TraceError

        raise TraceError(
            f"compile: vmap({name}, randomness='same') draws at {user_line()} inside the "
            f"compiled function {tracer.name}; a replay would not give every example the "
            "same numbers. Draw once outside the vmap and pass the draw in (in_dims=None "
            "for it), or call the vmap outside ad.compile.")
