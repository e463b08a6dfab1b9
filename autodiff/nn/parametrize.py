"""PyTorch's ``torch.nn.utils.parametrize``: a module's parameter (or buffer) computed
from others each time it is read.

``register_parametrization(module, "weight", p)`` moves the tensor to
``module.parametrizations.weight.original`` and makes ``module.weight`` a property
returning ``p(original)``, on the tape, so gradients reach ``original``.  A
parametrization with ``right_inverse`` sets ``original`` from the current value (and
from any value assigned to ``module.weight`` later); one whose ``right_inverse``
returns several tensors is called with ``original0, original1, ...``.  Registering a
second one on the same name stacks it on the first.  The module's class becomes a
subclass named ``Parametrized<Class>``, as in PyTorch.

The parametrization sees the array as this library lays it out: ``Linear.weight`` is
``(in, out)`` here, the transpose of PyTorch's, so a function that is not indifferent
to that (``triu``, a row norm) gives other numbers than in PyTorch, and registering
it there warns (parametrize_layout.py), unless ``layout="out_in"`` asks for PyTorch's
view (the parametrization then gets the transpose, and its result is transposed back)
or ``layout="in_out"`` for this one; the states given by ``to_torch_state_dict`` are in
PyTorch's layout all the same.
"""

from __future__ import annotations

import contextlib
import copy

import numpy as np

from ..grad_mode import no_grad
from ..tensor import Tensor
from .buffer import buffer_values
from .container import ModuleDict, ModuleList
from .module import Module, Parameter
from .parametrize_layout import warn_if_layout_matters

__all__ = ["register_parametrization", "remove_parametrizations", "is_parametrized",
           "cached", "type_before_parametrizations", "ParametrizationList"]

_cache: dict | None = None          # (id(module), name) -> value, inside ``cached()``


@contextlib.contextmanager
def cached():
    """Inside, each parametrized tensor is computed once and reused (PyTorch's
    ``parametrize.cached()``): for a weight read many times in one step, as an RNN's.

    >>> layer = ad.nn.Linear(2, 2)
    >>> _ = ad.nn.utils.parametrize.register_parametrization(layer, "weight", ad.nn.Tanh())
    >>> with ad.nn.utils.parametrize.cached():
    ...     layer.weight is layer.weight
    True
    """
    global _cache
    outer = _cache
    _cache = {} if outer is None else outer
    try:
        yield
    finally:
        _cache = outer


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, and its original
    tensor(s): ``original`` (or ``original0, original1, ...`` when the first
    ``right_inverse`` returns several)."""

    def __init__(self, modules, original, unsafe: bool = False, transposed: bool = False,
                 out_in: bool = False):
        super().__init__(modules)
        self.unsafe = unsafe
        self._transposed_layout = transposed
        # per parametrization: whether it is applied to PyTorch's (out, in) view of a
        # tensor stored transposed here (register_parametrization's layout="out_in")
        self._out_in = [out_in] * len(self)
        value = original.detach() if isinstance(original, Tensor) else Tensor(original)
        with no_grad():
            for module, flag in zip(reversed(list(self)), reversed(self._out_in)):
                if hasattr(module, "right_inverse"):
                    try:
                        value = _through(module.right_inverse, value, flag)
                    except NotImplementedError:    # (PyTorch keeps the value as it is)
                        pass
        self.is_tensor = isinstance(value, Tensor)
        if out_in and not self.is_tensor:
            raise NotImplementedError(
                "register_parametrization: layout='out_in' with a right_inverse that "
                "returns several tensors is not supported; leave layout=None and write the "
                "parametrization for this library's (in, out) layout")
        if self.is_tensor:
            if isinstance(original, Parameter):
                # the same Parameter object: an optimizer made before still updates it
                _set_values(original, value)
                self.original = original
            else:
                copied = np.array(value.data)       # (a Tensor buffer stays a Tensor)
                self.register_buffer("original", Tensor(copied) if isinstance(
                    original, Tensor) else copied)
        else:
            if not isinstance(value, (tuple, list)) \
                    or not all(isinstance(v, Tensor) for v in value):
                raise ValueError("register_parametrization: right_inverse must return a "
                                 f"Tensor or a sequence of Tensors, got {type(value).__name__}")
            self.ntensors = len(value)
            requires_grad = bool(getattr(original, "requires_grad", False))
            for k, part in enumerate(value):
                setattr(self, f"original{k}",
                        Parameter(np.array(part.data)).requires_grad_(requires_grad))

    def right_inverse(self, value) -> None:
        """Set the original tensor(s) so that the parametrized tensor is ``value``
        (what assigning ``module.<name> = value`` does)."""
        with no_grad():
            for module, flag in zip(reversed(list(self)), reversed(self._out_in)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(module).__name__} does not "
                                       "implement right_inverse, so the parametrized "
                                       "tensor cannot be assigned")
                value = _through(module.right_inverse, value, flag)
            if self.is_tensor:
                if isinstance(self.original, Parameter):
                    _set_values(self.original, value)
                else:
                    buffer_values(self.original)[...] = np.asarray(value.data)
            else:
                for k, part in enumerate(value):
                    _set_values(getattr(self, f"original{k}"), part)

    def forward(self):
        if self.is_tensor:
            value = _through(self[0], self.original, self._out_in[0])
        else:
            value = self[0](*(getattr(self, f"original{k}") for k in range(self.ntensors)))
        for module, flag in zip(list(self)[1:], self._out_in[1:]):
            value = _through(module, value, flag)
        return value

    def _torch_export(self, local):
        if self._transposed_layout:
            local = {key: value.T if np.ndim(value) == 2 else value
                     for key, value in local.items()}
        return local

    def _torch_import(self, torch_local):
        return self._torch_export(dict(torch_local))


def _through(function, value, out_in: bool):
    """``function(value)``, or with ``out_in`` applied to the transpose of the (last
    two axes of the) tensor and transposed back: PyTorch's view of a Linear weight."""
    if not out_in:
        return function(value)
    return function(value.transpose(-1, -2)).transpose(-1, -2)


def _set_values(param, value) -> None:
    """Write ``value`` into ``param`` in place, as PyTorch's ``set_``."""
    array = np.asarray(value.data if isinstance(value, Tensor) else value)
    if param.data.shape == array.shape and param.data.flags.writeable:
        param.data[...] = array
    else:
        param.data = np.array(array, dtype=param.data.dtype)


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has a parametrization (on ``tensor_name``, if given)."""
    parametrizations = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(parametrizations, ModuleDict):
        return False
    return len(parametrizations) > 0 if tensor_name is None \
        else tensor_name in parametrizations


def type_before_parametrizations(module: Module) -> type:
    """The module's class before ``register_parametrization`` changed it."""
    return type(module).__bases__[0] if is_parametrized(module) else type(module)


def _make_parametrized_class(module: Module) -> None:
    cls = type(module)

    def __getstate__(self):
        raise RuntimeError("Serialization of parametrized modules is only supported "
                           "through state_dict(); save module.state_dict() and load it "
                           "into a model parametrized the same way")

    def __deepcopy__(self, memo):
        # The copy gets a class of its own (PyTorch's copy shares the class, so that
        # removing a parametrization from one took the property from the other too).
        if id(self) in memo:
            return memo[id(self)]
        cls = type(self)
        namespace = {key: value for key, value in cls.__dict__.items()
                     if key not in ("__dict__", "__weakref__")}
        replica = self.__new__(type(cls.__name__, cls.__bases__, namespace))
        memo[id(self)] = replica
        object.__setattr__(replica, "__dict__", copy.deepcopy(self.__dict__, memo))
        return replica

    namespace = {"__getstate__": __getstate__, "__deepcopy__": __deepcopy__}
    object.__setattr__(module, "__class__",
                       type(f"Parametrized{cls.__name__}", (cls,), namespace))


def _add_property(module: Module, tensor_name: str) -> None:
    def get_parametrized(self):
        parametrization = self.parametrizations[tensor_name]
        if _cache is None:
            return parametrization()
        key = (id(self), tensor_name)
        if key not in _cache:
            _cache[key] = parametrization()
        return _cache[key]

    def set_original(self, value):
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(type(module), tensor_name, property(get_parametrized, set_original))


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *,
                             unsafe: bool = False, layout: str | None = None) -> Module:
    """Make ``module.<tensor_name>`` be ``parametrization(original)`` (see the module
    docstring); returns ``module``.

    ``layout`` (not in PyTorch) says how a parametrization of a tensor stored
    transposed here (``Linear.weight``, ``(in, out)``) reads it: ``"out_in"`` gives it
    PyTorch's ``(out, in)`` view and transposes its result back, so a parametrization
    written for PyTorch (``triu``) gives PyTorch's numbers; ``"in_out"`` gives it this
    library's array; None, the default, is ``"in_out"`` with a warning where the two
    differ.  Other tensors are laid out as PyTorch's, and read so under either.

    >>> layer = ad.nn.Conv1d(3, 3, 1)
    >>> _ = ad.nn.utils.parametrize.register_parametrization(layer, "bias", ad.nn.Tanh())
    >>> sorted(name for name, _ in layer.named_parameters())
    ['parametrizations.bias.original', 'weight']
    >>> type(layer).__name__
    'ParametrizedConv1d'
    """
    where = "register_parametrization"
    if layout not in (None, "in_out", "out_in"):
        raise ValueError(f"{where}: layout must be 'out_in' (PyTorch's view of a Linear "
                         f"weight), 'in_out' (this library's) or None, got {layout!r}")
    if not isinstance(module, Module) or not isinstance(parametrization, Module):
        raise TypeError(f"{where}: expected a module and a parametrization module "
                        f"(ad.nn.Module with a forward), got {type(module).__name__} and "
                        f"{type(parametrization).__name__}")
    if is_parametrized(module, tensor_name):
        stack = module.parametrizations[tensor_name]
        out_in = stack._transposed_layout and layout == "out_in"
        if stack._transposed_layout and layout is None:
            with no_grad():
                current = getattr(module, tensor_name)
            warn_if_layout_matters(module, tensor_name, parametrization, current)
        if not unsafe and not stack.unsafe:
            _check_same_shape(where, tensor_name, getattr(module, tensor_name),
                              _through(parametrization, getattr(module, tensor_name), out_in))
        stack.append(parametrization)
        stack._out_in.append(out_in)
        stack.unsafe |= unsafe
        return module
    if tensor_name in module._buffers or tensor_name in module._parameters:
        original = getattr(module, tensor_name)
        if original is None:
            raise ValueError(f"{where}: {type(module).__name__}.{tensor_name} is None; "
                             "there is nothing to parametrize")
        from .utils_reparam import _is_transposed
        from .recurrent import PyTorchGateLayout
        if isinstance(module, PyTorchGateLayout):
            raise NotImplementedError(
                f"{where}: the weights of {type(module).__name__} are stored in another "
                "layout than PyTorch's here, so a parametrization would not see PyTorch's "
                "array; parametrize a Linear, a convolution or your own module's "
                "parameter instead")
        is_buffer = tensor_name in module._buffers
        transposed = _is_transposed(module, tensor_name)
        if transposed and layout is None:
            warn_if_layout_matters(module, tensor_name, parametrization, original)
        stack = ParametrizationList([parametrization], original, unsafe=unsafe,
                                    transposed=transposed,
                                    out_in=transposed and layout == "out_in")
        if not unsafe:
            with no_grad():
                _check_same_shape(where, tensor_name, original, stack())
        stack._was_buffer = is_buffer
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _make_parametrized_class(module)
            module.parametrizations = ModuleDict()
        _add_property(module, tensor_name)
        module.parametrizations[tensor_name] = stack
        return module
    raise ValueError(f"{where}: module {type(module).__name__} does not have a parameter, "
                     f"a buffer, or a parametrized element with name {tensor_name!r}")


def _check_same_shape(where, name, before, after) -> None:
    if not isinstance(after, Tensor):
        raise ValueError(f"{where}: a parametrization must return a tensor, got "
                         f"{type(after).__name__} for {name!r}")
    if after.shape != before.shape or after.dtype != before.dtype:
        raise ValueError(f"{where}: registering a parametrization may not change the shape "
                         f"or dtype of {name!r}: {tuple(before.shape)} {before.dtype} became "
                         f"{tuple(after.shape)} {after.dtype} (pass unsafe=True to allow it)")


def remove_parametrizations(module: Module, tensor_name: str,
                            leave_parametrized: bool = True) -> Module:
    """Undo ``register_parametrization`` on ``tensor_name``: it is a plain parameter
    (or buffer) again, holding the parametrized value (``leave_parametrized=True``) or
    the original one.  Returns ``module``."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"remove_parametrizations: module {type(module).__name__} does not "
                         f"have a parametrization on {tensor_name!r}")
    stack = module.parametrizations[tensor_name]
    if stack.is_tensor:
        original = stack.original
        if leave_parametrized:
            with no_grad():
                value = getattr(module, tensor_name)
            if isinstance(original, Tensor):    # (the same object, as PyTorch's set_)
                _set_values(original, value)
            else:
                original = np.array(value.data)
    else:
        if not leave_parametrized:
            raise ValueError("remove_parametrizations: cannot leave unparametrized "
                             "(leave_parametrized=False) a tensor that is parametrized in "
                             "terms of a sequence of tensors")
        with no_grad():
            value = getattr(module, tensor_name)
        original = Parameter(np.array(value.data)).requires_grad_(
            stack.original0.requires_grad)
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    if getattr(stack, "_was_buffer", False):
        module.register_buffer(tensor_name, original if isinstance(original, Tensor)
                               else np.array(original))
    else:
        setattr(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        object.__setattr__(module, "__class__", type(module).__bases__[0])
    return module


def module_tensor(where: str, module, name: str):
    """The parameter or buffer ``name`` of ``module`` that ``where`` parametrizes, or
    PyTorch's errors for a non-module or a missing name."""
    if not isinstance(module, Module):
        raise TypeError(f"{where}: expected a Module, got {type(module).__name__}")
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"{where}: module {type(module).__name__} has no parameter or "
                         f"buffer with name {name!r}")
    return weight
