"""``Optimizer.state``: each parameter's state, by position and by parameter.

The state is a list of dicts in the order of ``optimizer.params`` (``state[0]``, the
positions of the flat ``state_dict``), and is also read the way PyTorch's (a dict
keyed by the parameters) is: ``state[p]["exp_avg"]``, ``p in state``,
``state.items()``, ``state.keys()``, ``state.values()``, ``state.get(p)``.  Iterating
over it gives the dicts, as a list does (PyTorch's gives the parameters: write
``state.keys()`` for those).  ``len(state)`` and ``bool(state)`` count the parameters
that have state, as PyTorch's dict does (a restored ``state_dict`` saved before the
first step leaves none).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping

from ..tensor import Tensor


class ParameterState(list):
    """The per-parameter state of an optimizer (see the module's docstring).

    >>> w = ad.nn.Parameter([1.0, 2.0])
    >>> opt = ad.optim.Adam([w], lr=0.1)
    >>> w.grad = np.ones(2); opt.step()
    >>> opt.state[w]["exp_avg"] is opt.state[0]["exp_avg"], w in opt.state
    (True, True)
    """

    __slots__ = ("_owner",)

    def __init__(self, dicts=(), owner=None):
        super().__init__(dicts)
        self._owner = None if owner is None else weakref.ref(owner)

    def __reduce__(self):
        # (pickle, deepcopy) without the owner: the optimizer binds its copy again
        return type(self), (list(self),)

    def __len__(self) -> int:
        return sum(1 for state in self.__iter__() if state)

    def _position(self, parameter, where: str) -> int:
        owner = self._owner() if self._owner is not None else None
        params = owner.params if owner is not None else []
        for position, p in enumerate(params):
            if p is parameter and id(p) in owner._names:    # (not put in by hand later)
                return position
        optimizer = type(owner).__name__ if owner is not None else "the optimizer"
        raise KeyError(
            f"{optimizer}.state[{where}]: the tensor of shape {parameter.shape} is not one "
            f"of {optimizer}'s parameters, which have state here (PyTorch would give a new "
            "empty dict); add it with add_param_group({'params': [p]}) to keep state for it")

    def __getitem__(self, key):
        if isinstance(key, Tensor):
            return super().__getitem__(self._position(key, "p"))
        if isinstance(key, dict):
            raise TypeError(
                "optimizer.state[...]: got a dict; the state is read by parameter "
                "(state[p]) or by position (state[0]). Iterating over it gives each "
                "parameter's dict, as a list does: loop over state.keys() or "
                "state.items() for PyTorch's parameters")
        return super().__getitem__(key)

    def __setitem__(self, key, value):
        if isinstance(key, Tensor):
            key = self._position(key, "p")
        super().__setitem__(key, value)

    def __contains__(self, item):
        if isinstance(item, Tensor):
            return any(p is item for p, _ in self.items())
        return any(item is state or item == state for state in self)

    def keys(self) -> list:
        """The parameters that have state so far, as PyTorch's ``state.keys()``."""
        return [p for p, _ in self.items()]

    def values(self) -> list:
        """The non-empty states, in the order of ``keys()``."""
        return [state for _, state in self.items()]

    def items(self) -> list:
        """``(parameter, state)`` for each parameter that has state, in order."""
        owner = self._owner() if self._owner is not None else None
        if owner is None:
            return []
        # (a tensor put into param_groups by hand later has no state of its own here)
        return [(p, state) for p, state in zip(owner.params, self)
                if state and id(p) in owner._names]

    def get(self, parameter, default=None):
        """``state[parameter]`` if it has state, else ``default``."""
        if isinstance(parameter, Tensor):
            return next((state for p, state in self.items() if p is parameter), default)
        try:
            return self[parameter]
        except (IndexError, TypeError):
            return default


def by_position(states: Mapping, params: list) -> list:
    """The dicts of ``states``, keyed as PyTorch's ``optimizer.state`` (by parameter, or
    by position), in the order of ``params``; a parameter without an entry gets an
    empty dict.  So ``optimizer.state = collections.defaultdict(dict)``, PyTorch's way
    to forget the state, leaves every parameter without state (a list made from the
    mapping held its keys, and the next step read past it).

    >>> w = ad.nn.Parameter([1.0])
    >>> by_position({w: {"step": 3}}, [w, ad.nn.Parameter([2.0])])
    [{'step': 3}, {}]
    """
    by_identity = {id(key): state for key, state in states.items() if isinstance(key, Tensor)}
    positions = {key: state for key, state in states.items() if not isinstance(key, Tensor)}
    unknown = [key for key in states if not isinstance(key, Tensor)
               and not (isinstance(key, int) and 0 <= key < len(params))]
    strangers = len(by_identity) - sum(id(p) in by_identity for p in params)
    if unknown or strangers:
        raise KeyError(
            f"optimizer.state = {type(states).__name__}: keys must be the optimizer's "
            f"parameters (or their positions 0..{len(params) - 1}); got "
            f"{unknown[:3] if unknown else f'{strangers} tensor(s) that are not among them'}")
    return [by_identity.get(id(p), positions.get(position, {}))
            for position, p in enumerate(params)]
