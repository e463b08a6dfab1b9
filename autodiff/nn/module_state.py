"""Saving and loading a ``Module``'s state: ``state_dict`` / ``load_state_dict`` in this
library's layouts, ``to_torch_state_dict`` / ``load_torch_state_dict`` in PyTorch's.

``Module`` inherits these methods from ``StateMethods``, and their hooks (PyTorch's
``register_state_dict_pre_hook`` ...) from ``module_state_hooks.StateHookMethods``.
A load checks every key, shape and dtype before it writes anything (unless load
post-hooks are registered: see module_state_hooks.py), and writes into the parameters'
own arrays, as PyTorch copies: optimizers and compiled steps that hold them see the
loaded values.
"""

from __future__ import annotations

import numpy as np

from ..compile.hooks import refused_in_trace
from ..guard import note_unguarded_write
from ..tensor import Tensor
from . import torch_io as _torch_io
from .buffer import buffer_values
from .extra_state import EXTRA_STATE, ExtraStateMethods, loads_extra_state, saves_extra_state
from .module_state_hooks import (has_state_hooks, hooked_state_dict, run_load_post_hooks,
                                 run_load_pre_hooks)
from .running_stats import with_batch_counts
from .state_arrays import state_array
from .state_keys import IncompatibleKeys, compared_keys


class StateMethods(ExtraStateMethods):
    """The state methods of ``Module`` (see its docstring for the PyTorch hooks)."""

    def _state_entries(self, saving: bool = True):
        """``(dotted name, owner module, local name, is_parameter)`` in PyTorch's order;
        ``is_parameter`` is None for a module's extra state (extra_state.py), listed
        when saving if the module has a getter, when loading if it has a setter.  A
        shared module or parameter is listed under each of its names, as PyTorch's
        ``state_dict`` lists it."""
        has_extra = saves_extra_state if saving else loads_extra_state
        for prefix, module in self.named_modules(remove_duplicate=False):
            for name, param in module._parameters.items():
                if param is None:
                    continue
                yield (f"{prefix}.{name}" if prefix else name), module, name, True
            for name, array in module._buffers.items():
                if array is not None and name not in module._non_persistent:
                    yield (f"{prefix}.{name}" if prefix else name), module, name, False
            if has_extra(module):
                yield (f"{prefix}.{EXTRA_STATE}" if prefix else EXTRA_STATE), module, \
                    EXTRA_STATE, None

    def state_dict(self, *, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> dict[str, np.ndarray]:
        """``{dotted name: copy of the array}`` for every parameter and persistent buffer
        (a Tensor buffer's values too, as an array).

        Ready for ``np.savez(path, **sd)``.  The arrays are ``StateArray``s
        (state_arrays.py): ndarrays that also answer what PyTorch code calls on a
        state_dict's tensors (``v.clone()``, ``v.detach().cpu().numpy()``, ``v.copy_(w)``,
        ``v.numel()``, ``v.to(dtype)``, ``v.equal(w)``, ``v.size()``); arithmetic on them
        gives plain arrays.  A module or parameter shared by several submodules
        (``self.l2 = self.l1``, tied weights) is listed under each of its names, as in
        PyTorch (``named_parameters()`` lists it once); a load writes each into the one
        shared array.  As in PyTorch,
        ``prefix`` goes before every name, ``destination`` is a dict to fill and return,
        and ``keep_vars=True`` gives the parameters themselves and the buffers' own
        arrays instead of copies.

        >>> sd = ad.nn.Linear(2, 3).state_dict()
        >>> sorted(sd), sd["weight"].shape
        (['bias', 'weight'], (2, 3))
        >>> sorted(ad.nn.Linear(2, 3).state_dict(prefix="head."))
        ['head.bias', 'head.weight']
        """
        state = {} if destination is None else destination
        if has_state_hooks(self, ("_state_dict_pre_hooks", "_state_dict_hooks")):
            return hooked_state_dict(self, self._state_entries(), prefix, keep_vars, state,
                                     lambda m, name, is_param: _entry(m, name, is_param,
                                                                      keep_vars))
        for full, module, name, is_param in self._state_entries():
            state[prefix + full] = _entry(module, name, is_param, keep_vars)
        return state

    @refused_in_trace
    def load_state_dict(self, state, strict: bool = True,
                        assign: bool = False) -> IncompatibleKeys:
        """Copy arrays from ``state`` (a dict or an ``np.load`` result) into the
        parameters and buffers: into their own arrays for parameters and Tensor buffers
        (references to them stay valid, as in PyTorch); an ndarray buffer is replaced.

        The keys must be exactly those of ``state_dict()`` (with ``strict=False``, as in
        PyTorch, the keys both have are loaded and the others returned) and every array
        must have the parameter's shape; otherwise a ``KeyError`` / ``ValueError`` says
        what is wrong and nothing is changed.  Values are converted to each target's
        dtype.  Returns ``(missing_keys, unexpected_keys)``.

        The arrays are taken in this library's layouts (``state_dict()``'s): a PyTorch
        ``state_dict`` must be loaded with ``load_torch_state_dict``, which converts
        them (a ``Linear``'s weight is ``(in, out)`` here, ``(out, in)`` in PyTorch; a
        square one cannot be told apart, so it would load transposed).

        With ``assign=True`` (PyTorch's), each parameter is replaced by a new
        ``Parameter`` of the state's values and dtype (``requires_grad`` stays the
        module's), and each buffer takes the state's dtype: build optimizers after such a
        load, as in PyTorch.  The values are copied, as every Parameter's are here, where
        PyTorch's share the state's memory.  A parameter shared by two modules (tied
        weights) stays one new Parameter when the state gives its keys equal values, as
        ``state_dict()`` of a tied model does (PyTorch makes two Parameters sharing
        memory, which ``parameters()`` lists twice); given different values it becomes
        two, with a warning.

        >>> m = ad.nn.Linear(2, 3); m.load_state_dict(ad.nn.Linear(2, 3, rng=1).state_dict())
        IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        >>> m.load_state_dict({"weight": np.zeros((2, 3)), "head.bias": 0}, strict=False)
        IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['head.bias'])
        """
        where = f"{type(self).__name__}.load_state_dict"
        if not hasattr(state, "keys"):
            raise TypeError(f"{where}: expected a dict of arrays (what state_dict() returns, "
                            f"or np.load of a saved one), got {type(state).__name__}")
        if not has_state_hooks(self, ("_load_state_dict_pre_hooks",
                                      "_load_state_dict_post_hooks")):
            return self._load_state(where, state, strict, assign)
        state = {key: state[key] for key in state.keys()}    # the pre-hooks may change it
        errors = run_load_pre_hooks(self, state, strict)
        post_hooks = has_state_hooks(self, ("_load_state_dict_post_hooks",))
        keys = self._load_state(where, state, strict and not post_hooks, assign)
        if post_hooks:
            run_load_post_hooks(self, keys)
            if strict and (keys.missing_keys or keys.unexpected_keys):
                errors.insert(0, f"missing keys {keys.missing_keys}, unexpected keys "
                                 f"{keys.unexpected_keys} (after the load_state_dict "
                                 "post-hooks; the keys both have were loaded, as in PyTorch)")
        if errors:
            raise RuntimeError(f"{where}: " + "; ".join(errors))
        return keys

    def _load_state(self, where: str, state, strict: bool,
                    assign: bool = False) -> IncompatibleKeys:
        state = with_batch_counts(self, state)      # (a state saved without them)
        entries = {full: (module, name, is_param)
                   for full, module, name, is_param in self._state_entries(saving=False)}
        keys = compared_keys(where, list(entries), state.keys(),
                             "Was the state saved from a different architecture?", strict)
        for full in keys.missing_keys:
            del entries[full]
        arrays = {}
        lazy_shapes = {}
        for full, (module, name, is_param) in entries.items():
            if is_param is None:                # extra state: any value, given as it is
                arrays[full] = state[full]
                continue
            target = module._parameters[name] if is_param else module._buffers[name]
            if _is_lazy(target):
                if not _is_lazy(state[full]):     # (lazy into lazy: it stays uninitialized)
                    arrays[full] = _checked_value(where, full, state[full], None)
                    lazy_shapes.setdefault(module, {})[name] = arrays[full].shape
                continue
            if (_is_torch_tensor(state[full])
                    and type(module)._torch_import is not StateMethods._torch_import):
                raise TypeError(
                    f"{where}: {full!r} is a torch.Tensor, so this looks like a PyTorch "
                    f"state_dict, and {type(module).__name__} keeps some arrays in another "
                    "layout than PyTorch's (a Linear's weight is (in, out) here); load it "
                    "with load_torch_state_dict, which converts them.")
            current = module._parameters[name].data if is_param else module._buffers[name]
            what = "the parameter has" if is_param else "the buffer has"
            converts = type(module)._torch_import is not StateMethods._torch_import
            arrays[full] = _checked_value(where, full, state[full], current.shape, what,
                                          type(module).__name__ if converts else None,
                                          current.dtype)
        check_lazy_shapes(where, lazy_shapes)
        replaced = {}      # id(old Parameter) -> (its first key, the new one): ties kept
        for full, (module, name, is_param) in entries.items():
            if full in arrays:
                if assign and is_param is not None and not _is_lazy(
                        module._parameters[name] if is_param else module._buffers[name]):
                    old = module._parameters[name] if is_param else None
                    if old is not None and id(old) in replaced:
                        first, new = replaced[id(old)]
                        if _same_values(new.data, arrays[full]):
                            setattr(module, name, new)
                            continue
                        _warn_tie_broken(where, first, full)
                    _replace(module, name, is_param, arrays[full])
                    if old is not None:
                        replaced[id(old)] = (full, module._parameters[name])
                else:
                    _assign(module, name, is_param, arrays[full])
        return keys

    def _torch_export(self, local: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """This module's own arrays (local names) in PyTorch's layout; identity here."""
        return local

    def _torch_import(self, torch_local: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """PyTorch's arrays for this module (local names) in this library's layout."""
        return torch_local

    def to_torch_state_dict(self) -> dict[str, np.ndarray]:
        """The state under PyTorch's key names and layouts, as NumPy arrays.

        ``{k: torch.from_numpy(v) for k, v in sd.items()}`` loads into the equivalent
        PyTorch model (``Linear``'s weight is transposed to PyTorch's ``(out, in)``).
        A parameter shared by two modules appears under both names, as in PyTorch.

        >>> sd = ad.nn.Sequential(ad.nn.Linear(2, 3)).to_torch_state_dict()
        >>> {k: v.shape for k, v in sd.items()}
        {'0.weight': (3, 2), '0.bias': (3,)}
        """
        return _torch_io.export_state(self)

    @refused_in_trace
    def load_torch_state_dict(self, state, strict: bool = True) -> IncompatibleKeys:
        """Load a PyTorch ``state_dict`` (arrays or tensors with ``.numpy()``).

        The keys must be exactly those of ``to_torch_state_dict()`` (``strict=False``
        loads those present, as ``load_state_dict`` does, but a module that converts
        its arrays from PyTorch's layout, ``Linear`` or a recurrent layer, needs all of
        them or none) and the
        shapes PyTorch's; otherwise a ``KeyError`` / ``ValueError`` names the keys or
        the shapes and nothing is changed.  Returns ``(missing_keys, unexpected_keys)``.

        >>> a, b = ad.nn.Linear(2, 3, rng=0), ad.nn.Linear(2, 3, rng=1)
        >>> b.load_torch_state_dict(a.to_torch_state_dict())
        IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        >>> bool((a.weight.data == b.weight.data).all())
        True
        """
        return _torch_io.import_state(self, state, strict)


def _entry(module, name: str, is_param: bool, keep_vars: bool):
    """What ``state_dict`` lists for one parameter or buffer (or extra state)."""
    if is_param is None:
        return module.get_extra_state()
    stored = module._parameters[name] if is_param else module._buffers[name]
    if keep_vars or _is_lazy(stored):        # (PyTorch lists the placeholder itself)
        return stored
    return state_array((module._parameters[name].data if is_param
                        else buffer_values(module._buffers[name])).copy())


def _is_lazy(value) -> bool:
    from .parameter import is_lazy
    return is_lazy(value)


def check_lazy_shapes(where, shapes_by_module: dict) -> None:
    """Check the shapes a load gives the uninitialized parameters and buffers of lazy
    modules (``{module: {local name: shape}}``) against each module's configuration:
    PyTorch's lazy modules take their shapes from a loaded state."""
    for module, shapes in shapes_by_module.items():
        check = getattr(module, "_check_loaded_shapes", None)
        if check is None:
            raise RuntimeError(
                f"{where}: {type(module).__name__} has uninitialized {sorted(shapes)}, and "
                "only a lazy module (nn.LazyLinear, ...) takes its shapes from a loaded "
                "state; materialize them first (param.materialize(shape))")
        check(where, shapes)


def _is_torch_tensor(value) -> bool:
    return type(value).__module__.startswith("torch")


def _checked_value(where, key, value, shape, what="the parameter has", converter=None,
                   dtype=None):
    """``value`` as an array of ``shape`` (complex only for a complex ``dtype``, the
    target's); ``converter``: the name of the module class that keeps its arrays in
    another layout than PyTorch's, if it does."""
    if _is_lazy(value) or "Uninitialized" in type(value).__name__:   # (or PyTorch's)
        raise RuntimeError(
            f"{where}: {key!r} in the state is an uninitialized parameter or buffer (saved "
            "from a lazy module before its first call), which cannot be loaded into an "
            "initialized one: its shape is not known. Call the saved model once on an "
            "example input (forward) before taking its state_dict")
    if isinstance(value, Tensor):
        value = value.data
    elif hasattr(value, "detach") and hasattr(value, "numpy"):   # a torch.Tensor
        value = value.detach().cpu().numpy()
    value = np.asarray(value)
    if shape is None:                   # an uninitialized target takes the state's shape
        shape = value.shape
    if value.shape != tuple(shape):
        raise ValueError(
            f"{where}: {key!r} has shape {value.shape} in the state but {what} shape "
            f"{tuple(shape)}; the model was built with different sizes than the one "
            f"that was saved{_torch_layout_hint(value.shape, shape, converter)}")
    if value.dtype.kind not in "fiubc":
        raise TypeError(f"{where}: {key!r} has dtype {value.dtype}; expected numbers")
    if value.dtype.kind == "c" and (dtype is None or np.dtype(dtype).kind != "c"):
        raise TypeError(
            f"{where}: {key!r} is complex ({value.dtype}) in the state but {what} dtype "
            f"{dtype}; loading it would drop the imaginary parts. Make the parameter "
            "complex (nn.Parameter(complex values)), or load value.real explicitly")
    return value


def _torch_layout_hint(saved, shape, converter) -> str:
    """What to say when ``saved`` is ``shape`` transposed, in a module that converts."""
    if converter is None or len(saved) != 2 or tuple(saved) != tuple(shape)[::-1]:
        return ""
    return (f", or this is a PyTorch state_dict: the saved shape is the transpose of the "
            f"parameter's, and {converter} keeps this array in another layout than "
            "PyTorch's (a Linear's weight is (in, out) here). Load a PyTorch state_dict "
            "with load_torch_state_dict, which converts it.")


def _assign(module, name, is_param, value):
    if is_param is None:
        module.set_extra_state(value)
    elif is_param:
        param = module._parameters[name]
        if _is_lazy(param):
            param.materialize(value.shape)
        _copy_into_tensor(param, value)
    else:
        old = module._buffers[name]
        if _is_lazy(old):               # (the same object becomes a Tensor, as in PyTorch)
            old.materialize(value.shape)
        if isinstance(old, Tensor):
            _copy_into_tensor(old, value)
            return
        module._buffers[name] = np.array(value, dtype=old.dtype)
        object.__setattr__(module, name, module._buffers[name])


def _same_values(loaded: np.ndarray, value: np.ndarray) -> bool:
    return (loaded.shape == value.shape and loaded.dtype == value.dtype
            and np.array_equal(loaded, value, equal_nan=loaded.dtype.kind in "fc"))


def _warn_tie_broken(where, first, second):
    import warnings

    from ..optim.optimizer import user_stacklevel
    warnings.warn(
        f"{where}(assign=True): {first!r} and {second!r} were one (tied) parameter, and "
        "the state gives them different values, so they are now two parameters, as "
        "PyTorch's assign=True leaves them; to keep them tied, give both keys the same "
        "values (state_dict() of a tied model does), or tie them again after the load",
        stacklevel=user_stacklevel())


def _replace(module, name, is_param, value):
    """``load_state_dict(assign=True)``: a new Parameter (or buffer) of the state's
    values and dtype in place of the old one."""
    if is_param:
        from .module import Parameter
        old = module._parameters[name]
        param = Parameter(value)
        param.requires_grad_(old.requires_grad)
        if old is not None:     # the old one's label ("0.weight", not "weight"; or a user's)
            param._name, param._auto_name = old.name, old._auto_name
            # an optimizer made before still holds the old one: its warnings say so
            old._replaced_by = f"{type(module).__name__}.load_state_dict(assign=True)"
        setattr(module, name, param)
    elif isinstance(module._buffers[name], Tensor):
        module._buffers[name] = Tensor(np.array(value))
        object.__setattr__(module, name, module._buffers[name])
    else:
        module._buffers[name] = np.array(value)
        object.__setattr__(module, name, module._buffers[name])


def _copy_into_tensor(tensor, value) -> None:
    """Load ``value`` into a parameter's or a Tensor buffer's own array."""
    if tensor.data.flags.writeable:
        # Into the same array, as PyTorch copies: views of the tensor, and optimizers
        # or compiled steps that hold it, see the loaded values.
        np.copyto(tensor.data, value, casting="unsafe")
        note_unguarded_write(tensor.data)    # guard.py: a transform's results may read it
    else:                   # a live graph saved it (guard.py): it keeps the old one
        tensor.data = np.array(value, dtype=tensor.dtype)
