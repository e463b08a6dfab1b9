"""Saving and resuming an optimizer: ``state_dict`` and ``load_state_dict``.

The state is a flat ``{key: ndarray}`` (``"state.<i>.<key>"``,
``"param_groups.<g>.<key>"``) that ``np.savez`` can write; ``load_state_dict``
checks all of it before changing anything.  A mixin of ``Optimizer``.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import refused_in_trace
from .complex_parameters import complex_state, real_pairs_state
from . import noop_update
from .implementation_flags import IMPLEMENTATION_FLAGS, check_implementation_flags

#: What the lr schedulers add to a parameter group (lr_scheduler.py).
_SCHEDULER_KEYS = frozenset({"initial_lr", "max_lr", "min_lr", "max_momentum",
                             "base_momentum"})


class FlatStateDict(dict):
    """An optimizer's flat ``state_dict`` (see ``Optimizer.state_dict``); reading
    PyTorch's nested keys ``"state"`` / ``"param_groups"`` says where things are."""

    def __missing__(self, key):
        if key in ("state", "param_groups"):
            raise KeyError(
                f"{key!r}: an optimizer's state_dict here is flat, with keys such as "
                "'param_groups.0.lr' and 'state.0.exp_avg' (PyTorch nests them under "
                "'param_groups' and 'state'); read the live values from "
                "optimizer.param_groups[0]['lr'] and optimizer.state, or the saved ones "
                "as state_dict['param_groups.0.lr']")
        raise KeyError(key)


class StateDictMethods:
    """``Optimizer.state_dict`` and ``Optimizer.load_state_dict``."""

    # ----- saving and resuming ---------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """The optimizer's state and hyperparameters as a flat ``{key: ndarray}`` (copies).

        PyTorch nests the same content as ``{"state": {i: {...}}, "param_groups":
        [...]}``; here it is flattened into ``"state.<i>.<key>"`` and
        ``"param_groups.<g>.<key>"`` entries (``<i>`` counts parameters across groups;
        ``"param_groups.<g>.params"`` holds those positions) so that
        ``np.savez(path, **opt.state_dict())`` saves it, like a model's ``state_dict``.
        The state of a complex parameter is complex, of the parameter's shape, as
        PyTorch's (the update keeps its real and imaginary parts as float pairs).

        >>> w = ad.nn.Parameter([1.0, 2.0])
        >>> opt = ad.optim.Adam([w], lr=0.1)
        >>> w.grad = np.ones(2); opt.step()
        >>> sorted(opt.state_dict())[:3]
        ['param_groups.0.amsgrad', 'param_groups.0.betas', 'param_groups.0.capturable']
        >>> fresh = ad.optim.Adam([w]); fresh.load_state_dict(opt.state_dict())
        >>> fresh.param_groups[0]["lr"], int(fresh.state[0]["step"])
        (0.1, 1)
        """
        out = FlatStateDict()
        position = 0
        for g, group in enumerate(self.param_groups):
            out[f"param_groups.{g}.params"] = np.arange(
                position, position + len(group["params"]), dtype=np.int64)
            position += len(group["params"])
            for key, value in group.items():
                if key != "params" and value is not None:
                    out[f"param_groups.{g}.{key}"] = np.array(value, copy=True)
        params = self.params
        for i, state in enumerate(self.state):
            data = params[i].data
            for key, value in state.items():
                # (a complex parameter's state: PyTorch's complex arrays, not the pairs)
                out[f"state.{i}.{key}"] = (np.array(value, copy=True) if data.dtype.kind != "c"
                                           else complex_state(value, data))
        return out

    @refused_in_trace
    def load_state_dict(self, state_dict) -> None:
        """Restore what ``state_dict`` returned, for the same parameters in the same
        groups and order; the groups' hyperparameters (``lr``, ...) are restored too."""
        where = f"{type(self).__name__}.load_state_dict"
        n = len(self.params)
        new_state = [{} for _ in range(n)]
        group_values = [{} for _ in self.param_groups]
        params = self.params
        if "state" in state_dict and "param_groups" in state_dict:
            raise KeyError(
                f"{where}: this is PyTorch's nested form ('state', 'param_groups'), which "
                "is not read here: its state follows PyTorch's layouts (a Linear weight's "
                "moments are (out, in), the transpose of this library's), so loading it "
                "could transpose a square one without notice. Load a state_dict this "
                "library saved (flat keys such as 'state.0.exp_avg'), or start the "
                "optimizer afresh after model.load_torch_state_dict(...)")
        for full_key in state_dict.keys():
            parts = full_key.split(".", 2)
            if parts[0].isdigit():            # "<i>.<key>", the older flat form
                parts = ["state"] + full_key.split(".", 1)
            if len(parts) != 3 or parts[0] not in ("state", "param_groups") \
                    or not parts[1].isdigit() or not parts[2]:
                raise KeyError(f"{where}: unexpected key {full_key!r}; expected "
                               "'state.<i>.<name>' or 'param_groups.<g>.<name>'")
            kind, index, key = parts[0], int(parts[1]), parts[2]
            value = np.array(state_dict[full_key], copy=True)
            if kind == "state":
                if index >= n:
                    raise KeyError(f"{where}: unexpected key {full_key!r} for an optimizer "
                                   f"with {n} parameters")
                p = params[index]
                if value.ndim and value.shape != p.shape and not (
                        key in self._reduced_state and value.ndim == p.ndim
                        and all(a in (b, 1) for a, b in zip(value.shape, p.shape))):
                    raise ValueError(f"{where}: {full_key!r} has shape {value.shape} but "
                                     f"parameter {self._names[id(p)]!r} has shape {p.shape}")
                if value.dtype.kind == "c" and p.data.dtype.kind != "c":
                    raise TypeError(f"{where}: {full_key!r} is complex ({value.dtype}) but "
                                    f"parameter {self._names[id(p)]!r} is {p.data.dtype}; "
                                    "was the state saved for a complex parameter?")
                if key != "step" and value.dtype.kind == "f" and p.data.dtype.kind == "f":
                    value = value.astype(p.data.dtype, copy=False)  # (as PyTorch casts it)
                elif p.data.dtype.kind == "c":
                    value = real_pairs_state(value, p.data, where, full_key,
                                             self._names[id(p)])
                new_state[index][key] = value
            else:
                if index >= len(self.param_groups):
                    raise KeyError(f"{where}: unexpected key {full_key!r} for an optimizer "
                                   f"with {len(self.param_groups)} parameter groups")
                group_values[index][key] = value
        saved_groups = sum(1 for values in group_values if values)
        if saved_groups and saved_groups != len(self.param_groups):
            raise ValueError(f"{where}: the state was saved from an optimizer with "
                             f"{saved_groups} parameter group(s), and this one has "
                             f"{len(self.param_groups)}; load it into an optimizer made with "
                             "the same groups (add_param_group after loading)")
        # All is checked before anything changes: a refused state leaves the optimizer as it was.
        for g, (group, values) in enumerate(zip(self.param_groups, group_values)):
            foreign = sorted(key for key in values if key not in group
                             and key not in self.defaults and key not in _SCHEDULER_KEYS)
            if foreign:
                raise KeyError(f"{where}: parameter group {g} of the state has "
                               f"{', '.join(map(repr, foreign))}, which "
                               f"{type(self).__name__} does not use; was it saved from "
                               "another optimizer?")
            check_implementation_flags(where, **{
                key: _python_value(values[key], group.get(key))
                for key in IMPLEMENTATION_FLAGS if key in values})
            if "params" in values and len(values["params"]) != len(group["params"]):
                raise ValueError(f"{where}: parameter group {g} was saved with a different "
                                 f"number of parameters than its {len(group['params'])}")
        for i, state in enumerate(new_state):
            if self._state_keys is None or not state:
                continue
            foreign = sorted(set(state) - self._state_keys)
            missing = sorted(self._required_state - set(state))
            if foreign or missing:
                what = (f"has {', '.join(map(repr, foreign))}, which {type(self).__name__} "
                        "does not keep" if foreign else
                        f"lacks {', '.join(map(repr, missing))}, which "
                        f"{type(self).__name__} needs")
                raise KeyError(f"{where}: the saved state of parameter "
                               f"{self._names[id(params[i])]!r} {what}; was it saved from "
                               "another optimizer? Load it into the class that saved it")
        for group, values in zip(self.param_groups, group_values):
            values.pop("params", None)
            for key, value in values.items():
                group[key] = _python_value(value, group.get(key))
        self.state = new_state
        if any(new_state):      # resumed training: its steps may be small (noop_update.py)
            self._noop_watch = noop_update.NoOpWatch(0)


def _python_value(array, current):
    """A saved hyperparameter back as the Python type the group holds."""
    if array.ndim == 1:
        return tuple(a.item() for a in array)
    value = array.item()
    if isinstance(current, bool) or array.dtype == np.bool_:
        return bool(value)
    if isinstance(current, float) and isinstance(value, int):
        return float(value)
    return value
