"""The ``Optimizer`` base class: parameter groups, the step loop, saving and resuming.

``step()`` updates each parameter's ``.data`` in place from its ``.grad``; nothing
is recorded on the tape.  Parameters come in groups (``param_groups``, a list of
dicts as in PyTorch), each with its own hyperparameters; a learning-rate scheduler
changes ``group["lr"]`` between steps.

A parameter whose ``.grad`` is None is left unchanged and reported once with a
``NoGradientWarning``: that almost always means the loss does not depend on it.
When *no* parameter has a gradient, one warning asks whether ``loss.backward()``
was called.

Unlike PyTorch's: ``state[i]["step"]`` is a 0-d int64 array (PyTorch keeps a float
tensor); the other state arrays take the parameter's dtype.  PyTorch's implementation
flags (``foreach``, ``fused``, ``capturable``, ``differentiable``) are kept in
``defaults`` and ``param_groups`` where PyTorch's optimizer has them; ``foreach`` and
``fused`` change nothing here (there is one way to run an update), ``capturable=True``
and ``differentiable=True`` are refused.

>>> model = ad.nn.Linear(2, 1, rng=0)
>>> opt = ad.optim.SGD(model.named_parameters(), lr=0.1)
>>> loss = (model(ad.tensor([[1.0, 2.0]])) ** 2).sum()
>>> opt.zero_grad(); loss.backward(); opt.step()
>>> opt.param_groups[0]["lr"]
0.1
"""

from __future__ import annotations

import math
import os
import sys
import weakref
import warnings
from collections.abc import Mapping
from typing import Any, Callable

import numpy as np

from ..compile.hooks import replayed
from .complex_parameters import as_real_pairs, check_complex_parameters
from ..guard import note_unguarded_write, savers_of, unguarded_reads
from ..grad_attr import zero_grad_of
from ..tensor import Tensor, set_grad_slot
from . import step_hooks
from . import noop_update
from .accumulation_hint import AccumulationWatch
from .empty_params import empty_params_error, module_of, warn_unregistered
from .step_hooks import (register_optimizer_step_post_hook,  # noqa: F401 (PyTorch's path)
                         register_optimizer_step_pre_hook)
from .implementation_flags import IMPLEMENTATION_FLAGS, check_implementation_flags  # noqa: F401
from .optimizer_state import FlatStateDict, StateDictMethods  # noqa: F401
from .parameter_state import ParameterState, by_position
from .stale_graphs import grad_has_graph, held_only_by_older_graphs, relock, unlock

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_list_item = list.__getitem__


class NoGradientWarning(UserWarning):
    """A parameter reached ``step()`` with ``.grad`` None, so it was not updated."""


#: Every optimizer alive (``ad.compile`` refuses a traced write into their groups).
live_optimizers: weakref.WeakSet = weakref.WeakSet()


def user_stacklevel() -> int:
    """The ``stacklevel`` for ``warnings.warn`` that points at the first frame outside
    the package (the user's line), counted from the function that calls this one."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
            _PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level


def _params_method_hint(value, where, what):
    """An error for ``Adam(model.parameters)``: the method itself instead of its result."""
    name = getattr(value, "__name__", type(value).__name__)
    owner = getattr(value, "__self__", None)
    owner_text = f" of {type(owner).__name__}" if owner is not None else ""
    return TypeError(
        f"{where}: {what} is the method {name!r}{owner_text} itself, not the parameters; "
        f"call it: {where.split('.')[0]}(model.{name}(), ...) with the parentheses")


def _collect(params, where, what, start):
    """Normalize one group's ``params`` into parallel lists of tensors and names."""
    from ..nn.module import Module, Parameter

    if isinstance(params, Module):
        params = params.named_parameters()
    elif isinstance(params, Tensor):
        params = [params]
    elif callable(params) and not hasattr(params, "__iter__"):
        raise _params_method_hint(params, where, what)
    if isinstance(params, (str, bytes, dict)) or not hasattr(params, "__iter__"):
        raise TypeError(
            f"{where}: {what} must be an iterable of Parameters (model.parameters(), "
            f"model.named_parameters() or a list), got {type(params).__name__}")
    if isinstance(params, (set, frozenset)):
        raise TypeError(
            f"{where}: {what} is a {type(params).__name__}, whose order changes from run to "
            "run (and with it which saved state belongs to which parameter); pass a list, "
            "e.g. model.parameters() or sorted(..., key=...) (PyTorch refuses sets too)")
    tensors, names = [], []
    for i, item in enumerate(params):
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            name, tensor = item
        else:
            name, tensor = None, item
        if not isinstance(tensor, Tensor):
            raise TypeError(
                f"{where}: item {i} of {what} is a {type(tensor).__name__}, not a Tensor; "
                "pass model.parameters(), model.named_parameters() or a list of Parameters")
        frozen = isinstance(tensor, Parameter) and tensor._node is None
        if not (tensor.requires_grad or frozen) or tensor._node is not None:
            # (A Parameter frozen with requires_grad_(False) is accepted and skipped by
            # step(), as in PyTorch; a plain tensor without requires_grad is a mistake.)
            raise TypeError(
                f"{where}: item {i} of {what} ({name or tensor.name or 'unnamed'}, shape "
                f"{tensor.shape}) is not a leaf that requires grad; optimizers update "
                "Parameters (or tensors created with requires_grad=True), not results of ops")
        if name is None:
            name = tensor.name if tensor.name is not None else f"#{start + len(tensors)}"
        tensors.append(tensor)
        names.append(name)
    return tensors, names


def check_nonnegative(where: str, **values) -> None:
    """Raise a ValueError naming ``where`` unless each value is a finite number >= 0."""
    for key, value in values.items():
        if not (isinstance(value, (int, float)) and not isinstance(value, bool)
                and value >= 0 and math.isfinite(value)):
            raise ValueError(f"{where}: {key} must be a finite number >= 0, got {value!r}")


def plain_number(value):
    """A NumPy scalar, a one-element array or a one-element Tensor as the Python number
    it holds (PyTorch takes ``lr=torch.tensor(0.01)``, and NumPy scalars, as
    hyperparameters); anything else, and a ``np.float64`` (already a float), unchanged."""
    if isinstance(value, (int, float)):
        return value
    data = value.data if isinstance(value, Tensor) else value
    if isinstance(data, (np.ndarray, np.generic)) and data.size == 1 \
            and data.dtype.kind in "biuf":
        return data.reshape(()).item()
    return value


def check_betas(where: str, betas) -> tuple[float, float]:
    """``betas`` as a pair of floats in [0, 1), or a ValueError naming ``where``."""
    try:
        b1, b2 = (float(b) for b in betas)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: betas must be a pair (beta1, beta2), got {betas!r}") from None
    if not (0 <= b1 < 1 and 0 <= b2 < 1):
        raise ValueError(f"{where}: betas must be in [0, 1), got {betas!r}")
    return (b1, b2)


def check_adam_group(group, where: str, *extra: str) -> None:
    """Check the hyperparameters Adam and its variants share (``lr``, ``eps``,
    ``weight_decay`` and the keys in ``extra`` finite and >= 0) and normalise the
    group's ``betas`` to a pair of floats in [0, 1)."""
    check_nonnegative(where, lr=group["lr"], eps=group["eps"],
                      weight_decay=group["weight_decay"], **{key: group[key] for key in extra})
    group["betas"] = check_betas(where, group["betas"])


def prepared_gradient(data: np.ndarray, grad: np.ndarray, group, decoupled: bool = False):
    """The gradient an update uses: ``-grad`` when ``group["maximize"]``, then with
    ``weight_decay`` applied, either added as ``weight_decay * data`` (L2) or, when
    ``decoupled``, by shrinking ``data`` in place by ``1 - lr * weight_decay``."""
    if group["maximize"]:
        grad = -grad
    decay = group["weight_decay"]
    if decay:
        if decoupled:
            data *= 1 - group["lr"] * decay
        else:
            grad = grad + decay * data
    return grad


def next_step(state, data: np.ndarray, *averages: str) -> int:
    """Count one more step in a parameter's ``state`` and return it; on the first step
    the count starts at 0 (a 0-d int64 array) and each of ``averages`` at zeros shaped
    like ``data``."""
    if "step" not in state:
        state["step"] = np.array(0, dtype=np.int64)
        for name in averages:
            state[name] = np.zeros_like(data)
    state["step"] += 1
    return int(state["step"])


def lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """``start += weight * (end - start)`` in place, rounded as PyTorch's ``lerp_``: for
    ``weight >= 0.5`` it computes ``end - (end - start) * (1 - weight)`` instead."""
    weight = start.dtype.type(weight)       # (PyTorch rounds it to the tensor's dtype first)
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        np.subtract(end, (end - start) * (1 - weight), out=start)


class Optimizer(StateDictMethods):
    """Base class: parameter groups, per-parameter state and the update loop.

    ``params`` is an iterable of Parameters (or ``(name, Parameter)`` pairs, or a
    Module), or a list of dicts ``{"params": ..., "lr": ...}``, one per parameter
    group; a group's missing hyperparameters default to the constructor's
    (``self.defaults``).  Subclasses set ``_check_group`` and implement
    ``_update(data, grad, state, group)``.

    >>> net = ad.nn.MLP([2, 4, 1], rng=0)
    >>> opt = ad.optim.SGD([{"params": net.layers[0].parameters()},
    ...                     {"params": net.layers[1].parameters(), "lr": 0.01}], lr=0.1)
    >>> [g["lr"] for g in opt.param_groups]
    [0.1, 0.01]
    """

    #: The keys a parameter's state may hold, and those it holds once a step made it:
    #: ``load_state_dict`` refuses the state of another optimizer by them (None: unchecked).
    _state_keys: frozenset | None = None
    _required_state: frozenset = frozenset()
    #: State keys whose arrays have the parameter's shape with some axes reduced to 1.
    _reduced_state: frozenset = frozenset()
    #: Whether a complex parameter updates as its real and imaginary parts, as PyTorch's
    #: (False: the update mixes entries, and complex parameters are refused).
    _complex_as_real_pairs = True

    register_step_pre_hook = step_hooks.register_step_pre_hook
    register_step_post_hook = step_hooks.register_step_post_hook
    _has_step_hooks = property(step_hooks.has_step_hooks)

    _noop_watch = noop_update.NoOpWatch(0)     # (an optimizer made without __init__)

    def __init__(self, params, defaults: dict[str, Any]):
        step_hooks.patch_step(type(self))
        live_optimizers.add(self)
        self.defaults = {key: plain_number(value) for key, value in defaults.items()}
        self.param_groups: list[dict[str, Any]] = []
        self.state = ParameterState()
        self._names: dict[int, str] = {}
        self._warned: set[int] = set()
        self._warned_all = False
        self._accumulation = AccumulationWatch()
        self._step_count = 0
        self._noop_watch = noop_update.NoOpWatch(noop_update.WATCHED_STEPS)
        where = type(self).__name__
        from ..nn.module import Module
        if not isinstance(params, Module) and callable(params) \
                and not hasattr(params, "__iter__"):
            raise _params_method_hint(params, where, "params")
        source = module_of(params)
        if not isinstance(params, (Module, Tensor, str, bytes, dict, set, frozenset)) \
                and hasattr(params, "__iter__"):
            params = list(params)
        if isinstance(params, list) and params and any(isinstance(g, dict) for g in params):
            for i, group in enumerate(params):
                if not isinstance(group, dict):
                    raise TypeError(
                        f"{where}: params mixes parameter groups (dicts) with other items: "
                        f"item {i} is a {type(group).__name__}; pass either a list of "
                        "Parameters or a list of dicts {'params': [...], 'lr': ...}")
                self._add_group(group, f"parameter group {i}")
        else:
            self._add_group({"params": params}, "params")
        if not any(group["params"] for group in self.param_groups):
            raise empty_params_error(where, source)
        if source is not None:
            warn_unregistered(where, source)

    # ----- copies ---------------------------------------------------------------
    def __getstate__(self):
        # (pickle, copy.deepcopy) The names are kept by id(parameter), and a copy's
        # parameters are new objects: saved as a list in the order of ``params``.
        state = dict(self.__dict__)
        state["_names"] = self.names
        return state

    def __setstate__(self, state):
        names = state.pop("_names")
        self.__dict__.update(state)
        self.state = self._state            # (bound to this copy)
        self._names = {id(p): name for p, name in zip(self.params, names)}
        live_optimizers.add(self)

    @property
    def state(self) -> ParameterState:
        """Each parameter's state: ``state[0]`` by position, ``state[p]`` by parameter
        (PyTorch's), ``state.items()`` for the parameters that have some."""
        return self._state

    @state.setter
    def state(self, dicts) -> None:
        if isinstance(dicts, Mapping):      # PyTorch's form, keyed by the parameters
            dicts = by_position(dicts, self.params)
        self._state = ParameterState(dicts, owner=self)

    # ----- groups ---------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group ``{"params": [...], <hyperparameter>: ...}`` (as in PyTorch).

        >>> a, b = ad.nn.Parameter([1.0]), ad.nn.Parameter([2.0])
        >>> opt = ad.optim.SGD([a], lr=0.1)
        >>> opt.add_param_group({"params": [b], "lr": 0.5})
        >>> len(opt.param_groups), opt.param_groups[1]["momentum"]
        (2, 0)
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"{type(self).__name__}.add_param_group: expected a dict "
                            f"{{'params': [...], ...}}, got {type(param_group).__name__}")
        self._add_group(param_group, f"parameter group {len(self.param_groups)}")

    def _add_group(self, group, what):
        where = type(self).__name__
        if "params" not in group:
            raise ValueError(
                f"{where}: {what} has no 'params' key (its keys: {sorted(group)}); each "
                "group is a dict like {'params': model.parameters(), 'lr': 0.01}")
        start = len(self.params)
        tensors, names = _collect(group["params"], where, f"{what}['params']"
                                  if what != "params" else "params", start)
        seen = {id(p): k for k, g in enumerate(self.param_groups) for p in g["params"]}
        for tensor, name in zip(tensors, names):
            if id(tensor) in seen:
                name = self._names.get(id(tensor), name)
                raise ValueError(
                    f"{where}: parameter {name!r} (shape {tensor.shape}) appears twice: "
                    f"in parameter group {seen[id(tensor)]} and again in {what}; each "
                    "parameter must be listed once")
            seen[id(tensor)] = len(self.param_groups)
        new = {key: tensors if key == "params" else plain_number(value)
               for key, value in group.items()}
        for key, value in self.defaults.items():
            new.setdefault(key, value)
        where = f"{where}" if what == "params" else f"{where}: {what}"
        new.update(check_implementation_flags(
            where, **{key: new[key] for key in IMPLEMENTATION_FLAGS if key in new}))
        self._check_group(new, where)
        for tensor, name in zip(tensors, names):
            self._names[id(tensor)] = name
            self.state.append({})
        self.param_groups.append(new)

    def _unknown_parameter(self, where: str, g: int, p) -> RuntimeError:
        # The state is kept by position, for the parameters the optimizer was given.
        return RuntimeError(
            f"{where}: param_groups[{g}]['params'] holds a tensor of shape {p.shape} that "
            f"was not given to {type(self).__name__} (the list was changed after it was "
            "made); its state is kept per parameter given, so add a new parameter with "
            "add_param_group({'params': [p]}), or make a new optimizer for new parameters")

    def _check_group(self, group, where):  # pragma: no cover - each optimizer checks its own
        pass

    @property
    def params(self) -> list[Tensor]:
        """Every parameter, group after group."""
        return [p for group in self.param_groups for p in group["params"]]

    @property
    def names(self) -> list[str]:
        """The parameters' names, in the order of ``params``."""
        return [self._names[id(p)] for p in self.params]

    # ----- the update -----------------------------------------------------------
    @replayed
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (``.grad = None``, or zeros with
        ``set_to_none=False``)."""
        self._accumulation.zeroed = True
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p._grad is None:
                    set_grad_slot(p, None)  # (the checks of .grad = have nothing to check)
                else:
                    zero_grad_of(p)

    @replayed
    def step(self, closure: Callable[[], Any] | None = None):
        """Update every parameter that has a gradient; warn about those that don't
        (a frozen one, ``requires_grad=False``, is skipped without a warning).

        ``closure`` (optional, as in PyTorch) recomputes the loss: it is called first
        and its result returned.
        """
        loss = None
        if closure is not None:
            from ..graph import enable_grad
            with enable_grad():
                loss = closure()
        where = f"{type(self).__name__}.step"
        work, missing, stale = [], [], []
        position = 0
        # After backward(create_graph=True) the graphs in .grad hold the parameters:
        # the step writes them anyway, as PyTorch's does (stale_graphs.py).  Asked only
        # when a parameter is read-only (None until then: every one was writable).
        after_create_graph = None
        states = self.state
        # (a position's dict read as list items are: ParameterState.__getitem__ for an
        # int is list's, and a Python call less for each parameter)
        state_at = _list_item if type(states) is ParameterState else type(states).__getitem__
        for g, group in enumerate(self.param_groups):
            if not group["lr"] >= 0:        # (NaN too) refused when the group was made
                raise ValueError(
                    f"{where}: param_groups[{g}]['lr'] is {group['lr']!r}; a learning "
                    "rate must be >= 0 (a negative one climbs the loss). Was it set by a "
                    "scheduler (LambdaLR's function, OneCycleLR stepped past its end) or "
                    "by hand?")
            for p in group["params"]:
                grad = p._grad              # (the buffer: .grad gives a GradArray view)
                if grad is None:
                    if p.requires_grad:     # (a frozen parameter is skipped, as in PyTorch)
                        missing.append(position)
                    position += 1
                    continue
                if type(grad) is not np.ndarray:    # (np.asarray of one: a call for nothing)
                    grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad)
                name = self._names.get(id(p))
                if name is None:
                    raise self._unknown_parameter(where, g, p)
                if grad.shape != p.data.shape:
                    raise ValueError(f"{where}: parameter {name!r} has shape "
                                     f"{p.data.shape} but its .grad has shape {grad.shape}")
                if p.data.flags.writeable:
                    pass
                elif held_only_by_older_graphs(p.data):
                    stale.append(p.data)
                else:
                    if after_create_graph is None:
                        after_create_graph = self._after_create_graph()
                    if not (after_create_graph and savers_of(p.data)):
                        # Checked for all parameters before any is changed: no half-done
                        # step.
                        raise RuntimeError(
                            f"{where}: cannot update parameter {name!r} in place: its array "
                            "is read-only, because a graph recorded since the latest backward() "
                            "still needs its current value (step() called before backward()). "
                            "Call backward() first, or drop the graph (del loss); "
                            "ad.explain(param) names the ops holding it.")
                work.append((p, grad, state_at(states, position), group))
                position += 1
        self._accumulation.check(self, work, where)
        if missing and not work:
            self._warn_no_gradient_at_all(position, missing)
        else:
            for i in missing:
                self._warn_no_gradient(i)
        if not self._complex_as_real_pairs:
            check_complex_parameters(self, where, work)
        unlocked = unlock([p.data for p, *_ in work] if after_create_graph else stale)
        # Adam's kernel scalars, the same for the parameters of one group, step count and
        # dtype, are made once per step (fused.run); kept for this step only.
        self._fused_scalars = {}
        try:
            if self._noop_watch.checks_left:    # the first steps: a step that moves nothing?
                noop_update.update_watching(self, work, where)
                work_left = ()
            else:
                work_left = work
            for p, grad, state, group in work_left:
                data = p.data
                if data.dtype.kind == "c":          # as PyTorch: parts of view_as_real
                    self._update(as_real_pairs(data), as_real_pairs(grad), state, group)
                else:
                    self._update(data, grad, state, group)
        finally:
            self._fused_scalars = None
            relock(unlocked)
        if unguarded_reads:             # a transform's results still read some (guard.py)
            for p, *_ in work:
                note_unguarded_write(p.data)
        self._step_count += 1
        return loss

    def _after_create_graph(self) -> bool:
        """Whether a ``.grad`` holds a graph (``backward(create_graph=True)``)."""
        return any(grad_has_graph(p) for group in self.param_groups for p in group["params"])

    def _warn_no_gradient_at_all(self, count, missing):
        if self._warned_all:
            return
        self._warned_all = True
        names = ", ".join(repr(self.names[i]) for i in missing[:5])
        if len(missing) > 5:
            names += f" and {len(missing) - 5} more"
        if self._accumulation.zeroed and self._cleared_after_backward(missing):
            warnings.warn(
                f"{type(self).__name__}.step: none of the {count} parameters has a "
                f"gradient (.grad is None for {names}), so nothing was updated: the last "
                "loss.backward() computed them, but zero_grad() ran after it and cleared "
                "them. Call zero_grad() before backward(), not between backward() and "
                "step(), and backward() in each step: opt.zero_grad(); loss.backward(); "
                "opt.step(). This warning is shown once per optimizer.", NoGradientWarning,
                stacklevel=user_stacklevel())
            return
        warnings.warn(
            f"{type(self).__name__}.step: none of the {count} parameters has a gradient "
            f"(.grad is None for {names}), so nothing was updated: did you call "
            "loss.backward()? The usual order is opt.zero_grad(); loss.backward(); "
            "opt.step(). If you did, the loss depends on none of them differentiably "
            "(ad.explain(param) after backward() says why). This warning is shown once "
            f"per optimizer.{self._replaced_clause(missing)}",
            NoGradientWarning, stacklevel=user_stacklevel())

    def _cleared_after_backward(self, missing) -> bool:
        """Whether the last backward pass reached one of the parameters ``missing`` (by
        position): then its gradient was computed, and a zero_grad() since cleared it."""
        from ..explain import _root_of_last_backward
        from ..graph_node import upstream
        root = _root_of_last_backward()
        wanted = {id(self.params[i]) for i in missing}
        return root is not None and any(id(item) in wanted for item in upstream(root))

    def _warn_no_gradient(self, i):
        if i in self._warned:
            return
        self._warned.add(i)
        p = self.params[i]
        warnings.warn(
            f"{type(self).__name__}.step: parameter {self.names[i]!r} (shape {p.shape}) has no "
            "gradient (.grad is None) and was not updated. The loss probably does not depend "
            "on it: it is not connected to the loss (a .detach(), .item() or ad.no_grad() "
            "between it and the loss cuts the graph), or it is used only in a comparison or "
            "as a `where` condition, which pass no gradient (use it in arithmetic, e.g. a "
            "sigmoid instead of a hard threshold). ad.explain(param) after backward() shows "
            f"which. This warning is shown once per parameter.{self._replaced_clause([i])}",
            NoGradientWarning, stacklevel=user_stacklevel())

    def _replaced_clause(self, missing) -> str:
        """A sentence naming the parameters among ``missing`` that a module replaced
        (``load_state_dict(assign=True)``) after this optimizer took them, or ''."""
        replaced = [i for i in missing if getattr(self.params[i], "_replaced_by", None)]
        if not replaced:
            return ""
        names = ", ".join(repr(self.names[i]) for i in replaced[:5])
        return (f" Here {names} {'was' if len(replaced) == 1 else 'were'} replaced by "
                f"{self.params[replaced[0]]._replaced_by} after this optimizer took "
                f"{'it' if len(replaced) == 1 else 'them'}: it still updates the old "
                "Parameter, which the model no longer uses. Make the optimizer after "
                "loading (PyTorch's advice), or load without assign=True, which copies "
                "the values into the same Parameters.")

    def _update(self, data, grad, state, group):  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self):
        """PyTorch's layout: each group's hyperparameters, sorted by name.

        >>> ad.optim.SGD([ad.nn.Parameter([1.0])], lr=0.1)
        SGD (
        Parameter Group 0
            dampening: 0
            differentiable: False
            foreach: None
            fused: None
            lr: 0.1
            maximize: False
            momentum: 0
            nesterov: False
            weight_decay: 0
        )
        """
        lines = [f"{type(self).__name__} ("]
        for g, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {g}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"
