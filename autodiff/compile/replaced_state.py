"""An optimizer's state entry replaced by a new tensor in a traced step: moments
written out of place, ``state["exp_avg"] = exp_avg.mul(b1).add(grad, alpha=1 - b1)``
(or ``torch.add(torch.mul(exp_avg, b1), grad, alpha=1 - b1)``).

A replay runs no Python code, so it would not repeat the assignment: the state would
keep the first call's tensor while the plan read the one it captured.  At the end of
the traced call the new values are copied into the tensor the entry held before
(``old.copy_(new)`` under ``no_grad``, recorded as a step of the plan) and the entry
given that tensor back: the values are the eager call's, and each replay updates the
entry in place as the assignment would have.
"""

from __future__ import annotations

import numpy as np

from ..graph import no_grad
from ..tensor import Tensor
from .tracer import TraceError


def optimizer_state_tensors(roots) -> list:
    """``(state, key, tensor)`` for each tensor in the state of the optimizers that
    ``roots`` (``(label, object)`` pairs, ``not_replayed.reachable``) reach."""
    from ..optim.optimizer import Optimizer
    from .not_replayed import reachable

    return [(state, key, value)
            for item, _ in reachable(roots) if isinstance(item, Optimizer)
            for state in item.state for key, value in list(state.items())
            if isinstance(value, Tensor)]


def keep_replaced_state(entries, made_during) -> None:
    """For each ``(state, key, old)`` of ``optimizer_state_tensors`` (taken before the
    call) whose entry now holds another tensor the call made (``id`` in
    ``made_during``; one from before, a buffer say, is left to be shared) of the same
    shape and dtype, not requiring grad nor sharing ``old``'s memory: copy its values
    into ``old`` and put ``old`` back in the entry.  Call it while the trace still
    records."""
    with no_grad():
        for state, key, old in entries:
            new = state.get(key)
            if (new is old or not isinstance(new, Tensor) or new.requires_grad
                    or id(new) not in made_during or np.shares_memory(new.data, old.data)):
                continue
            if new.shape != old.shape or new.dtype != old.dtype:
                raise TraceError(
                    f"compile: an optimizer's state entry {key!r} held a tensor of shape "
                    f"{old.shape} and dtype {old.dtype}, and the call replaced it by one "
                    f"of shape {new.shape} and dtype {new.dtype}; a replay updates the "
                    "entry's tensor in place, so it must keep its shape and dtype. Make "
                    "the new value of that shape and dtype (.to(old.dtype)), or make the "
                    "state so before compiling.")
            old.copy_(new)
            state[key] = old
