"""A module's extra state: what a subclass's ``get_extra_state`` returns, saved by
``state_dict`` under ``'<prefix>_extra_state'`` after the module's own arrays, and
given back to its ``set_extra_state`` by a load, as in PyTorch.  A module that does
not override them has no such key (``Module``'s own two raise)."""

from __future__ import annotations

#: The local name of the extra state in a state dict.
EXTRA_STATE = "_extra_state"


class ExtraStateMethods:
    """``get_extra_state`` / ``set_extra_state`` of ``Module``, for subclasses to
    override."""

    def get_extra_state(self):
        """What to save beside this module's parameters and buffers (any picklable
        value); override it, with ``set_extra_state``, to keep state that is not an
        array.

        >>> class Counter(ad.nn.Module):
        ...     def __init__(self):
        ...         super().__init__(); self.calls = 0
        ...     def get_extra_state(self): return {"calls": self.calls}
        ...     def set_extra_state(self, state): self.calls = state["calls"]
        >>> Counter().state_dict()
        {'_extra_state': {'calls': 0}}
        """
        raise RuntimeError(f"{type(self).__name__}.get_extra_state: this module keeps no "
                           "extra state; a subclass that keeps some overrides "
                           "get_extra_state and set_extra_state")

    def set_extra_state(self, state) -> None:
        """Take back what ``get_extra_state`` saved (called by ``load_state_dict``)."""
        raise RuntimeError(f"{type(self).__name__}.set_extra_state: this module keeps no "
                           "extra state; a subclass that keeps some overrides "
                           "get_extra_state and set_extra_state")


def saves_extra_state(module) -> bool:
    """Whether ``state_dict`` lists ``module``'s extra state (it overrides the getter)."""
    return type(module).get_extra_state is not ExtraStateMethods.get_extra_state


def loads_extra_state(module) -> bool:
    """Whether a load expects ``module``'s extra state (it overrides the setter)."""
    return type(module).set_extra_state is not ExtraStateMethods.set_extra_state
