"""Callbacks run once a reverse pass has delivered every gradient.

``graph.run_backward`` pushes a list on ``running`` for each pass (innermost last) and
calls what ``at_pass_end`` put in it when the pass ends; ``register_multi_grad_hook``
uses it to call its function once per pass, with every gradient the pass gave.

>>> current_pass() is None               # (no backward running)
True
"""

from __future__ import annotations

__all__ = ["at_pass_end", "current_pass", "running"]

#: The reverse passes running, innermost last: each a list of callbacks to run once it
#: has ended.
running: list[list] = []


def at_pass_end(callback) -> None:
    """Run ``callback()`` once the reverse pass now running has delivered every
    gradient (``current_pass`` identifies the pass).  Outside a pass, raises
    RuntimeError."""
    if not running:
        raise RuntimeError("at_pass_end: no backward pass is running")
    running[-1].append(callback)


def current_pass() -> list | None:
    """The callbacks list of the innermost reverse pass running, or None."""
    return running[-1] if running else None
