"""A Python number in the state of a user's optimizer that its traced ``step()``
changes: the step count of an Adam written by hand, ``state["step"] += 1`` with
``state["step"] = 0`` made lazily, and the bias corrections computed from it
(``1 - beta1 ** state["step"]``).

A user's ``step()`` is traced op by op; the count and what Python computes from it
are fixed into the plan as numbers.  A replay runs no Python code: the count would
stay where the trace left it, and every replay would apply the traced bias
corrections, while eager execution counts on.  The plan cannot carry a Python
number, but it carries a tensor updated in place: so the trace is refused, naming
the optimizer, the entry and the spelling that replays (the count a 0-d tensor,
``state["step"] = ad.zeros(())``, which ``state["step"] += 1`` then updates in place
and ``1 - beta1 ** state["step"]`` reads as tensor ops, as PyTorch keeps it).  The
library's optimizers keep theirs in arrays their replayed ``step()`` updates.
"""

from __future__ import annotations

from .refusals import TraceError

_NUMBERS = (int, float)


def optimizers_stepped_by_user(roots):
    """The optimizers ``roots`` (``(label, object)`` pairs) reach whose ``step()`` the
    user wrote (a library optimizer's is replayed as a call, and is left out)."""
    from ..optim.optimizer import Optimizer
    from .not_replayed import reachable
    from .reached import written_by_user

    for item, _ in reachable(roots):
        step = getattr(type(item), "step", None)
        if isinstance(item, Optimizer) and written_by_user(getattr(step, "__module__", None)):
            yield item


def optimizer_state_numbers(roots) -> dict:
    """``{(id(state), key): (optimizer, state, key, number)}`` for the Python numbers in
    the state of the optimizers ``roots`` (``(label, object)`` pairs) reach whose
    ``step()`` the user wrote (a library optimizer's is replayed as a call)."""
    found = {}
    for item in optimizers_stepped_by_user(roots):
        for state in item.state:
            found.update(((id(state), key), (item, state, key, value))
                         for key, value in list(state.items())
                         if type(value) in _NUMBERS)
    return found


def refuse_numbers_counted(name, before) -> None:
    """Refuse a number of ``before`` (``optimizer_state_numbers`` before the traced
    call) that the call changed in its state (``name``: the compiled function's)."""
    from .hyperparameters import same_value

    for optimizer, state, key, old in before.values():
        new = state.get(key)
        if type(new) in _NUMBERS and not same_value(new, old):
            kind = type(optimizer).__name__
            raise TraceError(
                f"compile: {name} changed the Python number {key!r} in the state of "
                f"the optimizer {kind} while tracing ({old!r} -> {new!r}), in "
                f"{kind}.step(): a replay runs no Python code, so the count would stay "
                f"{new!r}, and what step() computes from it (bias corrections such as "
                "1 - beta1 ** step) keep their traced values, while eager execution "
                f"counts on. Keep it in a 0-d tensor: state[{key!r}] = ad.zeros(()) "
                f"where the state is made; state[{key!r}] += 1 then updates it in place "
                f"and 1 - beta1 ** state[{key!r}] computes with tensor ops, which a "
                "replay repeats (as PyTorch's optimizers keep their step).")
