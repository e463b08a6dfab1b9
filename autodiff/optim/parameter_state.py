"""``Optimizer.state``: each parameter's state, by position and by parameter.

The state is a list of dicts in the order of ``optimizer.params`` (``state[0]``, the
positions of the flat ``state_dict``), and is also read the way PyTorch's (a dict
keyed by the parameters) is: ``state[p]["exp_avg"]``, ``p in state``,
``state.items()``, ``state.keys()``, ``state.values()``, ``state.get(p)``.  Iterating
over it gives the dicts, as a list does (PyTorch's gives the parameters: write
``state.keys()`` for those).  ``len(state)`` and ``bool(state)`` count the parameters
that have state, as PyTorch's dict does (a restored ``state_dict`` saved before the
first step leaves none).

Read by parameter (``state[p]``, ``items()``, ``values()``, ``get(p)``), as PyTorch
code reads it, a state's arrays come as tensors sharing their memory
(``ParameterStateView``): ``state[p]["exp_avg"].norm()`` works, and an in-place change
(``state[p]["momentum_buffer"].zero_()``) changes the state, as in PyTorch.  By
position (``state[0]``, the library's own reading, and the one ``step`` uses) the dict
holds the arrays themselves.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, MutableMapping

import numpy as np

from ..compile import hooks
from ..tensor import Tensor

_nd = np.ndarray


class ParameterStateView(MutableMapping):
    """One parameter's state read the way PyTorch code reads it: an array comes as a
    tensor sharing its memory, so tensor methods work on it and an in-place change
    reaches the state; other values (a tensor a custom optimizer stored, a number)
    come as they are.  Putting a tensor where the state holds an array stores the
    tensor's array (what ``step`` updates), so the optimizer keeps working on it.

    >>> w = ad.nn.Parameter([3.0, 4.0])
    >>> opt = ad.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> w.grad = np.array([3.0, 4.0]); opt.step()
    >>> buf = opt.state[w]["momentum_buffer"]
    >>> float(buf.norm()), np.shares_memory(buf.data, opt.state[0]["momentum_buffer"])
    (5.0, True)
    """

    __slots__ = ("_state",)

    def __init__(self, state: dict):
        self._state = state

    def __getitem__(self, key):
        value = self._state[key]
        if value.__class__ is _nd:
            from ..torch_names import as_tensor
            tensor = as_tensor(value)
            if hooks.active is not None:
                # (made now, but its values are the state's from before the call: a
                # read of them, int(state["step"]), is a read a replay checks again)
                hooks.active.made_during.discard(id(tensor))
            return tensor
        return value

    def __setitem__(self, key, value):
        if isinstance(value, Tensor) and self._state.get(key).__class__ is _nd:
            value = value.data
        self._state[key] = value

    def __delitem__(self, key):
        del self._state[key]

    def __iter__(self):
        return iter(self._state)

    def __len__(self) -> int:
        return len(self._state)

    def __eq__(self, other):
        if isinstance(other, ParameterStateView):
            other = other._state
        return self._state == other

    __hash__ = None

    def __repr__(self) -> str:
        return repr(dict(self.items()))


class ParameterState(list):
    """The per-parameter state of an optimizer (see the module's docstring).

    >>> w = ad.nn.Parameter([1.0, 2.0])
    >>> opt = ad.optim.Adam([w], lr=0.1)
    >>> w.grad = np.ones(2); opt.step()
    >>> opt.state[w]["exp_avg"].data is opt.state[0]["exp_avg"], w in opt.state
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
        if hooks.active is not None:         # (a branch on it while tracing)
            _note_read(self)
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
            if hooks.active is not None:
                _note_read(self)
            return ParameterStateView(super().__getitem__(self._position(key, "p")))
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
        if isinstance(value, ParameterStateView):
            value = value._state
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
        if hooks.active is not None:         # (a branch on it while tracing)
            _note_read(self)
        owner = self._owner() if self._owner is not None else None
        if owner is None:
            return []
        # (a tensor put into param_groups by hand later has no state of its own here)
        return [(p, ParameterStateView(state)) for p, state in zip(owner.params, self)
                if state and id(p) in owner._names]

    def get(self, parameter, default=None):
        """``state[parameter]`` if it has state, else ``default``."""
        if isinstance(parameter, Tensor):
            return next((state for p, state in self.items() if p is parameter), default)
        try:
            return self[parameter]
        except (IndexError, TypeError):
            return default


def _note_read(state) -> None:
    from ..compile.state_reads import note

    note(state)


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
