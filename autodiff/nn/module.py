"""``Parameter`` and ``Module``: trainable tensors and the containers that own them.

A ``Module`` registers every ``Parameter`` and sub-``Module`` assigned to one of
its attributes (a list or tuple of modules becomes a ``ModuleList``, a list of
parameters a ``ParameterList``), so ``parameters()`` and ``state_dict()`` find
them without being told.  As in PyTorch, a name that holds a parameter (sub-module)
takes only another ``Parameter`` (``Module``) or ``None``; anything else raises
``TypeError`` rather than silently dropping it from ``parameters()``.
"""

from __future__ import annotations

import importlib
from typing import Iterator

import numpy as np

from ..compile import hooks as _hooks
from ..plain_arrays import plain_values
from ..printing import format_values
from ..grad_attr import zero_grad_of
from ..compile.hooks import replayed
from ..tensor import Tensor
from .module_device import FactoryDeviceMethods, ModuleCompileMethods
from .module_dtype import DtypeMethods
from .module_backward_hooks import BackwardHookMethods
from .module_hooks import (GLOBAL_HOOKS, HookMethods, call_with_hooks,  # noqa: F401
                           register_module_forward_hook, register_module_forward_pre_hook)
from .module_state import StateMethods
from .parameter_checks import data_of, refuse_a_parameter_made_in_a_trace
from .module_state_hooks import StateHookMethods
from .layer_rng import _generator, _library_rng, _public_caller, manual_seed  # noqa: F401

# (``autodiff.tensor`` as an attribute is the function ``ad.tensor``.)
_tensor_module = importlib.import_module("autodiff.tensor")


def _note_layout(module, name, param) -> None:
    """A 2-d weight stored transposed from PyTorch's layout (``Linear.weight``, the
    recurrent layers'): ``nn.init`` reads its fans as PyTorch reads the same layer's."""
    from .utils_reparam import _is_transposed
    if param.data.ndim == 2 and _is_transposed(module, name):
        from .init import mark_in_out
        mark_in_out(param)


class Parameter(Tensor):
    """A trainable tensor: a float leaf that requires grad (frozen with PyTorch's
    ``requires_grad=False``, by keyword or second), owned by a ``Module``.

    The data is always copied, so training never writes into the caller's array.
    Python numbers and lists become float64 (even if they are all ints); a float
    array keeps its dtype; an integer or bool array raises ``TypeError``.

    >>> w = ad.nn.Parameter([[1, 2], [3, 4]], name="w")
    >>> w.dtype, w.requires_grad
    (dtype('float64'), True)
    """

    _deepcopy_keeps_grad = False     # as PyTorch's Parameter (a plain tensor's copy keeps it)

    def __init__(self, data, name: str | None = None, requires_grad: bool = True):
        if isinstance(name, bool):      # PyTorch's Parameter(data, requires_grad)
            name, requires_grad = None, name
        if _hooks.active is not None:
            refuse_a_parameter_made_in_a_trace()
        if isinstance(data, Tensor):
            data = data.data
        if isinstance(data, np.ndarray) or isinstance(data, np.generic):
            array = np.array(data)
            if array.dtype.kind not in "fc":
                raise TypeError(
                    f"Parameter: needs floating-point or complex data, got an array of dtype "
                    f"{array.dtype} "
                    f"(shape {array.shape}); convert it, e.g. data.astype(np.float64)")
        else:
            given = np.asarray(data)
            if given.dtype.kind not in "fiubc":     # None, strings, objects
                raise TypeError(f"Parameter: needs numbers, got {type(data).__name__} "
                                f"{data!r}; give an array, a list or a number")
            array = np.array(given, dtype=np.complex128 if given.dtype.kind == "c"
                             else np.float64)
        super().__init__(array, requires_grad=bool(requires_grad), name=name)
        # A parameter without a name is named after where it lives in a module
        # ("layers.0.weight"), so graphs and warnings can say which one it is.
        self._auto_name = name is None

    def __setattr__(self, name, value):
        # p.data = sd["weight"] (or = another tensor): a plain ndarray view of the same
        # memory, so the kernels' fast paths (exact ndarrays) still take it.
        if name == "data":
            value = plain_values(value.data if isinstance(value, Tensor) else value)
            if not isinstance(value, np.ndarray):
                value = data_of(value)
        object.__setattr__(self, name, value)

    @property
    def name(self) -> str | None:
        """The parameter's label; set by hand, or its dotted name in the owning module."""
        return self._name

    @name.setter
    def name(self, value: str | None) -> None:
        self._name = value
        self._auto_name = False

    def __repr__(self):
        if _tensor_module.shown_hook is not None:      # ad.compile traces (not replayed)
            _tensor_module.shown_hook(self)
        body = format_values(self.data, "Parameter(")
        extras = "" if self.data.dtype == np.float64 else f", dtype={self.data.dtype}"
        if self.name is not None:
            extras += f", name={self.name!r}"
        return f"Parameter({body}{extras})"


class Module(StateMethods, StateHookMethods, HookMethods, BackwardHookMethods, DtypeMethods,
             FactoryDeviceMethods, ModuleCompileMethods):
    """Base class of layers and models: subclass it, assign parameters and
    sub-modules in ``__init__``, and write ``forward``.

    Besides parameters, a module can own *buffers* (``register_buffer``): tensors or
    arrays that are part of its state but not trained, such as BatchNorm's running
    statistics.
    ``train()`` / ``eval()`` set ``.training`` on the module and everything below it
    (Dropout and BatchNorm behave differently in the two modes).

    Moving to PyTorch: ``to_torch_state_dict()`` / ``load_torch_state_dict(d)`` use
    PyTorch's key names and layouts.  A layer whose layout differs from PyTorch's
    overrides two hooks that convert only its *own* parameters and buffers (local
    names, no prefix); the walk over the tree adds the prefixes:

    * ``_torch_export(self, local: dict[str, ndarray]) -> dict[str, ndarray]``: from
      this library's layout to PyTorch's (``Linear`` transposes ``weight``);
    * ``_torch_import(self, torch_local: dict[str, ndarray]) -> dict[str, ndarray]``:
      the inverse.

    Both are the identity by default.

    >>> class Affine(ad.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.scale = ad.nn.Parameter([2.0])
    ...         self.shift = ad.nn.Parameter([0.5])
    ...     def forward(self, x):
    ...         return x * self.scale + self.shift
    >>> m = Affine()
    >>> [name for name, _ in m.named_parameters()]
    ['scale', 'shift']
    >>> m(ad.tensor([1.0]))
    tensor([2.5], requires_grad=True)
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_forward_pre_hooks", {})
        object.__setattr__(self, "_forward_hooks", {})
        object.__setattr__(self, "_backward_hooks", {})
        object.__setattr__(self, "_backward_pre_hooks", {})

    # ----- registration ---------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() at the start of __init__, "
                f"before assigning attributes such as {name!r}")
        if isinstance(value, Buffer):       # self.b = nn.Buffer(t): register_buffer
            self._unregister(name)
            self.__dict__.pop(name, None)
            self.register_buffer(name, value.data, value.persistent)
            return
        if isinstance(value, (list, tuple)) and value:
            if all(isinstance(v, Module) for v in value):
                value = ModuleList(value)
            elif all(isinstance(v, Parameter) for v in value):
                value = ParameterList(value)
        # As in PyTorch: a registered parameter (submodule) can be replaced only by
        # another Parameter (Module) or None, which keeps the name registered but
        # unset; anything else would drop it from parameters() and state_dict().
        if isinstance(value, Parameter):
            if name not in self._parameters:     # a replaced one keeps its place
                self._unregister(name)
            self._parameters[name] = value
            if value._auto_name and value.name is None:
                value._name = name
            _note_layout(self, name, value)
        elif name in self._parameters:
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}: cannot assign {_described(value)} as parameter "
                    f"{name!r} (a Parameter or None expected): it would drop out of "
                    f"parameters(), state_dict() and the optimizer. To replace the parameter, "
                    f"wrap the value: <module>.{name} = nn.Parameter(value); to keep it and "
                    f"change its values: <module>.{name}.data[...] = value, or "
                    f"load_state_dict(); to use a plain tensor in its place on purpose (not "
                    f"trained, not saved): del <module>.{name} first")
            self._parameters[name] = None
        elif isinstance(value, Module):
            if name not in self._modules:
                self._unregister(name)
            self._modules[name] = value
            self._name_parameters(name)
        elif name in self._modules:
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}: cannot assign {_described(value)} as submodule "
                    f"{name!r} (a Module or None expected); to use the name for something "
                    f"else, delete the submodule first: del <module>.{name}")
            self._modules[name] = None
        elif name in self._buffers:
            from ..compile.refusals import note_line
            note_line("buffer", id(self), name)     # (a trace refusing it names the line)
            value = self._buffers[name] = assigned_buffer(self._buffers[name], value, name,
                                                           type(self).__name__)
        object.__setattr__(self, name, value)

    def _unregister(self, name):
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers.pop(name, None)
        self._non_persistent.discard(name)

    def _name_parameters(self, key=None):
        # Give unnamed parameters their dotted name as seen from this module
        # (named_parameters does it); a longer name from a parent wins later.  With
        # ``key``, only those below the submodule just put there: walking every
        # submodule on each of n appends (ModuleList, ModuleDict, setattr) cost n**2.
        module = self if key is None else self._modules[key]
        for _ in module.named_parameters("" if key is None else key):
            pass

    def __delattr__(self, name):
        self._unregister(name)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Same as ``setattr(self, name, param)``, for names built at run time.

        ``None`` registers the name without a parameter (as ``Linear(..., bias=False)``
        does for ``bias``): it is not in ``parameters()``, and only a ``Parameter``
        or ``None`` can be assigned to it later, as in PyTorch.

        >>> m = ad.nn.Module(); m.register_parameter("bias", None)
        >>> m.bias is None, list(m.parameters())
        (True, [])
        """
        if param is None:
            self._unregister(name)
            self._parameters[name] = None
            object.__setattr__(self, name, None)
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, "
                            f"not {type(param).__name__}")
        setattr(self, name, param)

    def add_module(self, name: str, module: "Module") -> None:
        """Same as ``setattr(self, name, module)``, for names built at run time."""
        if not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, not {type(module).__name__}")
        setattr(self, name, module)

    register_module = add_module

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Own a value that is state but not trained (e.g. BatchNorm's running mean).

        A ``Tensor`` is kept as that very tensor, as in PyTorch: its methods and in-place
        updates (``self.ema.mul_(0.9).add_(x, alpha=0.1)`` under ``ad.no_grad()``,
        ``.copy_``, ``.fill_``, ``.zero_``) work on the buffer, and ``load_state_dict``,
        ``to(dtype)`` and ``share_memory`` change its values in place, so references to
        it stay valid.  An ndarray is kept as an ndarray (updated with NumPy:
        ``np.copyto(self.count, ...)``, ``self.count += 1``).  ``None`` registers the
        name with no value.  The buffer is reachable as ``self.<name>``, is listed by
        ``named_buffers()`` and, when ``persistent``, saved by ``state_dict()`` (as an
        array, like every value there) and restored by ``load_state_dict()``.
        Assigning a tensor, an array or ``None`` to ``self.<name>`` later replaces it;
        the buffer keeps its kind (an array assigned to a Tensor buffer is wrapped in a
        Tensor; a tensor assigned to an array buffer gives its values), so the code that
        uses it keeps working.

        The norm layers' statistics (BatchNorm's ``running_mean``, ...) are Tensors;
        other layers' own buffers (loss weights, ...) are ndarrays.

        >>> m = ad.nn.Module()
        >>> m.register_buffer("ema", ad.zeros(2))
        >>> with ad.no_grad():
        ...     _ = m.ema.mul_(0.9).add_(ad.ones(2), alpha=0.1)
        >>> m.ema, m.state_dict()
        (tensor([0.1, 0.1]), {'ema': StateArray([0.1, 0.1])})
        """
        where = f"{type(self).__name__}.register_buffer"
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"{where}: the name must be a non-empty string without '.', "
                           f"got {name!r}")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"{where}: attribute {name!r} already exists; pick another name")
        self._buffers[name] = buffer_value(tensor, name, type(self).__name__)
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)
        object.__setattr__(self, name, self._buffers[name])

    # ----- traversal (iterative, depth first, in assignment order) -------------
    def named_modules(self, prefix: str = "", remove_duplicate: bool = True
                      ) -> Iterator[tuple[str, "Module"]]:
        """Yield ``(dotted name, module)`` for this module (name ``""``) and all below it.

        A module reachable by two paths is yielded once, unless
        ``remove_duplicate=False`` (as in PyTorch).
        """
        seen = set()
        stack = [(prefix, self, ())]
        while stack:
            name, module, ancestors = stack.pop()
            if remove_duplicate:
                if id(module) in seen:
                    continue
                seen.add(id(module))
            elif id(module) in ancestors:
                raise ValueError(f"{type(self).__name__}: module {name!r} contains itself")
            yield name, module
            inner = ancestors + (id(module),)
            children = [(f"{name}.{k}" if name else k, m, inner)
                        for k, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator["Module"]:
        """This module and every module below it."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        """``(name, module)`` for the direct sub-modules; one registered under two names
        comes once, under the first (as in PyTorch)."""
        seen = set()
        children = []
        for k, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                children.append((k, m))
        return iter(children)

    def children(self) -> Iterator["Module"]:
        """The direct sub-modules (each once)."""
        return iter([m for _, m in self.named_children()])

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Yield ``(dotted name, parameter)``, e.g. ``("layers.0.weight", W)``; the
        names start with ``prefix.`` when a ``prefix`` is given, and ``recurse=False``
        keeps to this module's own parameters (as in PyTorch).

        A parameter shared by two modules is yielded once, under its first name (under
        each with ``remove_duplicate=False``).

        >>> net = ad.nn.Sequential(ad.nn.Linear(2, 3))
        >>> [name for name, _ in net.named_parameters(prefix="net")]
        ['net.0.weight', 'net.0.bias']
        """
        seen = set()
        modules = (self.named_modules(prefix, remove_duplicate) if recurse
                   else [(prefix, self)])
        for prefix, module in modules:
            for name, param in module._parameters.items():
                if param is None or (remove_duplicate and id(param) in seen):
                    continue
                seen.add(id(param))
                full = f"{prefix}.{name}" if prefix else name
                if param._auto_name and len(full) > len(param.name or ""):
                    param._name = full
                yield full, param

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter of this module and its sub-modules (each once); only this
        module's own with ``recurse=False``."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True
                      ) -> Iterator[tuple[str, "Tensor | np.ndarray"]]:
        """Yield ``(dotted name, buffer)`` for every buffer that is set (not ``None``),
        the tensor or array itself as registered; ``prefix``, ``recurse`` and
        ``remove_duplicate`` as in ``named_parameters``.

        >>> net = ad.nn.Sequential(ad.nn.Module())
        >>> net[0].register_buffer("count", np.zeros(()))
        >>> [name for name, _ in net.named_buffers()]
        ['0.count']
        """
        seen = set()
        modules = (self.named_modules(prefix, remove_duplicate) if recurse
                   else [(prefix, self)])
        for prefix, module in modules:
            for name, array in module._buffers.items():
                if array is not None and not (remove_duplicate and id(array) in seen):
                    seen.add(id(array))
                    yield (f"{prefix}.{name}" if prefix else name), array

    def buffers(self, recurse: bool = True) -> Iterator["Tensor | np.ndarray"]:
        """Every buffer (tensor or array) of this module and its sub-modules."""
        for _, array in self.named_buffers(recurse=recurse):
            yield array

    def get_submodule(self, target: str) -> "Module":
        """The sub-module at a dotted path (``""`` is this module), as in PyTorch.

        >>> net = ad.nn.Sequential(ad.nn.Linear(2, 3), ad.nn.Sequential(ad.nn.ReLU()))
        >>> net.get_submodule("1.0")
        ReLU()
        """
        module = self
        walked = []
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                where = ".".join(walked) or "the model"
                raise AttributeError(
                    f"{type(self).__name__}.get_submodule: {where} ({type(module).__name__}) "
                    f"has no submodule {part!r}; its submodules are {list(module._modules)}")
            walked.append(part)
            module = child
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at a dotted path, e.g. ``"0.weight"`` (as in PyTorch)."""
        return self._member_at(target, "_parameters", "parameter")

    def get_buffer(self, target: str) -> "Tensor | np.ndarray":
        """The buffer at a dotted path, e.g. ``"1.running_mean"`` (as in PyTorch)."""
        return self._member_at(target, "_buffers", "buffer")

    def _member_at(self, target: str, table: str, kind: str):
        owner, _, name = target.rpartition(".")
        module = self.get_submodule(owner)
        members = getattr(module, table)
        if members.get(name) is None:
            raise AttributeError(
                f"{type(self).__name__}.get_{kind}: {type(module).__name__} "
                f"{owner or '(the model)'} has no {kind} {name!r}; it has "
                f"{[k for k, v in members.items() if v is not None]}")
        return members[name]

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Set ``requires_grad`` on every parameter (``False`` freezes them: backward
        gives them no gradient and optimizers skip them); returns the module.

        >>> net = ad.nn.Sequential(ad.nn.Linear(2, 3)).requires_grad_(False)
        >>> [p.requires_grad for p in net.parameters()]
        [False, False]
        """
        if not isinstance(requires_grad, bool):
            raise TypeError(f"{type(self).__name__}.requires_grad_: expected True or False, "
                            f"got {requires_grad!r}")
        for param in self.parameters():
            param.requires_grad = requires_grad
        return self

    @replayed
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set ``.grad = None`` on every parameter (zeros where a gradient is set, with
        ``set_to_none=False``), as in PyTorch."""
        for param in self.parameters():
            if set_to_none or param._grad is None:
                param.grad = None
            else:
                zero_grad_of(param)

    def num_parameters(self) -> int:
        """Total number of trainable numbers."""
        return int(sum(p.size for p in self.parameters()))

    def apply(self, fn) -> "Module":
        """Call ``fn`` on every sub-module, then on this one (post-order, as PyTorch).

        Returns the module; the usual use is initialisation, as in PyTorch.

        >>> def init_linear(m):
        ...     if isinstance(m, ad.nn.Linear):
        ...         ad.nn.init.zeros_(m.bias)
        >>> net = ad.nn.Sequential(ad.nn.Linear(2, 3), ad.nn.ReLU()).apply(init_linear)
        >>> net[0].bias.data
        array([0., 0., 0.])
        """
        try:
            self._apply_post_order(fn)
        except AttributeError as error:     # (m.weight.data.normal_(): NumPy's bare error)
            from ..function_notes import explain_data_and_grad_arrays
            explain_data_and_grad_arrays(error)
            raise
        return self

    def _apply_post_order(self, fn) -> None:
        # PyTorch's recursion, ``for c in self.children(): c.apply(fn)`` then ``fn(self)``,
        # with a stack: a module shared by two parents is visited under each.
        stack = [(self, self.children(), (id(self),))]
        while stack:
            module, pending, ancestors = stack[-1]
            child = next(pending, None)
            if child is None:
                stack.pop()
                fn(module)
            elif id(child) in ancestors:
                raise ValueError(f"{type(self).__name__}.apply: a {type(child).__name__} "
                                 "contains itself")
            else:
                stack.append((child, child.children(), ancestors + (id(child),)))

    # ----- modes ------------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Set training mode (``mode=True``) or evaluation mode on this module and all below.

        Returns the module, so ``model = Net().eval()`` works.

        >>> net = ad.nn.Sequential(ad.nn.Linear(2, 2), ad.nn.ReLU())
        >>> net.eval()[1].training, net.train()[1].training
        (False, True)
        """
        if not isinstance(mode, bool):
            raise TypeError(f"{type(self).__name__}.train: mode must be True or False, "
                            f"got {mode!r}")
        for _, module in self.named_modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode (``train(False)``): Dropout is off, BatchNorm uses running stats."""
        return self.train(False)

    # ----- calling --------------------------------------------------------------
    def forward(self, *args, **kwargs) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define forward(...)")

    def __call__(self, *args, **kwargs):
        if _hooks.active is not None:       # a compiled step notes the training flag
            _hooks.active.on_module_call(self)
        own = self.__dict__         # `_has_forward_hooks`, inlined: a property frame per call
        if (self._forward_hooks or self._forward_pre_hooks or GLOBAL_HOOKS._forward_hooks
                or GLOBAL_HOOKS._forward_pre_hooks or own.get("_backward_hooks")
                or own.get("_backward_pre_hooks")):
            return call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (sizes, options)."""
        return ""

    def __repr__(self):
        lines = []
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child}")
        if not lines:
            return f"{type(self).__name__}({self.extra_repr()})"
        extra = self.extra_repr()
        head = f"{type(self).__name__}({extra}" + ("," if extra else "")
        return head + "\n" + "\n".join(lines) + "\n)"


def _described(value) -> str:
    text = repr(type(value).__name__)
    if isinstance(value, (Tensor, np.ndarray)):
        text += f" (shape {tuple(value.shape)})"
    return text


from .buffer import Buffer, assigned_buffer, buffer_value  # noqa: E402

# The containers subclass Module; imported last so that Module is defined first.
from .container import ModuleList, ParameterList  # noqa: E402
