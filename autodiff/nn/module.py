"""``Parameter`` and ``Module``: trainable tensors and the containers that own them.

A ``Module`` registers every ``Parameter`` and sub-``Module`` assigned to one of
its attributes (a list or tuple of modules becomes a ``ModuleList``, a list of
parameters a ``ParameterList``), so ``parameters()`` and ``state_dict()`` find
them without being told.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from ..compile.hooks import replayed
from ..tensor import Tensor

_rng = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Reseed the generator that layers use when they get no ``rng=``.

    The library never touches NumPy's global random state; layers draw their
    initial weights from this generator (seeded with 0 at import) or from the
    ``rng=`` they are given (a ``np.random.Generator`` or an int seed).

    >>> ad.nn.manual_seed(0); a = ad.nn.Linear(2, 2)
    >>> ad.nn.manual_seed(0); b = ad.nn.Linear(2, 2)
    >>> bool((a.weight.data == b.weight.data).all())
    True
    """
    global _rng
    _rng = np.random.default_rng(seed)


def _generator(rng) -> np.random.Generator:
    if rng is None:
        return _rng
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be None, an int seed or a np.random.Generator, "
                    f"not {type(rng).__name__}")


class Parameter(Tensor):
    """A trainable tensor: a float leaf that requires grad, owned by a ``Module``.

    The data is always copied, so training never writes into the caller's array.
    Python numbers and lists become float64 (even if they are all ints); a float
    array keeps its dtype; an integer or bool array raises ``TypeError``.

    >>> w = ad.nn.Parameter([[1, 2], [3, 4]], name="w")
    >>> w.dtype, w.requires_grad
    (dtype('float64'), True)
    """

    def __init__(self, data, name: str | None = None):
        if isinstance(data, Tensor):
            data = data.data
        if isinstance(data, np.ndarray) or isinstance(data, np.generic):
            array = np.array(data)
            if array.dtype.kind != "f":
                raise TypeError(
                    f"Parameter: needs floating-point data, got an array of dtype {array.dtype} "
                    f"(shape {array.shape}); convert it, e.g. data.astype(np.float64)")
        else:
            array = np.array(data, dtype=np.float64)
        super().__init__(array, requires_grad=True, name=name)
        # A parameter without a name is named after where it lives in a module
        # ("layers.0.weight"), so graphs and warnings can say which one it is.
        self._auto_name = name is None

    @property
    def name(self) -> str | None:
        """The parameter's label; set by hand, or its dotted name in the owning module."""
        return self._name

    @name.setter
    def name(self, value: str | None) -> None:
        self._name = value
        self._auto_name = False

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="Parameter(")
        extras = "" if self.data.dtype == np.float64 else f", dtype={self.data.dtype}"
        if self.name is not None:
            extras += f", name={self.name!r}"
        return f"Parameter({body}{extras})"


class Module:
    """Base class of layers and models: subclass it, assign parameters and
    sub-modules in ``__init__``, and write ``forward``.

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

    # ----- registration ---------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() at the start of __init__, "
                f"before assigning attributes such as {name!r}")
        if isinstance(value, (list, tuple)) and value:
            if all(isinstance(v, Module) for v in value):
                value = ModuleList(value)
            elif all(isinstance(v, Parameter) for v in value):
                value = ParameterList(value)
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
            if value._auto_name and value.name is None:
                value._name = name
        elif isinstance(value, Module):
            self._modules[name] = value
            self._name_parameters()
        object.__setattr__(self, name, value)

    def _name_parameters(self):
        # Give unnamed parameters their dotted name as seen from this module
        # (named_parameters does it); a longer name from a parent wins later.
        for _ in self.named_parameters():
            pass

    def __delattr__(self, name):
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter) -> None:
        """Same as ``setattr(self, name, param)``, for names built at run time."""
        if not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter, "
                            f"not {type(param).__name__}")
        setattr(self, name, param)

    def add_module(self, name: str, module: "Module") -> None:
        """Same as ``setattr(self, name, module)``, for names built at run time."""
        if not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, not {type(module).__name__}")
        setattr(self, name, module)

    # ----- traversal (iterative, depth first, in assignment order) -------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        """Yield ``(dotted name, module)`` for this module (name ``""``) and all below it."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{k}" if name else k, m) for k, m in module._modules.items()]
            stack.extend(reversed(children))

    def modules(self) -> Iterator["Module"]:
        """This module and every module below it."""
        for _, module in self.named_modules():
            yield module

    def children(self) -> Iterator["Module"]:
        """The direct sub-modules."""
        return iter(self._modules.values())

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        """Yield ``(dotted name, parameter)``, e.g. ``("layers.0.weight", W)``.

        A parameter shared by two modules is yielded once, under its first name.
        """
        seen = set()
        for prefix, module in self.named_modules():
            for name, param in module._parameters.items():
                if id(param) in seen:
                    continue
                seen.add(id(param))
                full = f"{prefix}.{name}" if prefix else name
                if param._auto_name and len(full) > len(param.name or ""):
                    param._name = full
                yield full, param

    def parameters(self) -> Iterator[Parameter]:
        """Every parameter of this module and its sub-modules (each once)."""
        for _, param in self.named_parameters():
            yield param

    @replayed
    def zero_grad(self) -> None:
        """Set ``.grad = None`` on every parameter."""
        for param in self.parameters():
            param.grad = None

    def num_parameters(self) -> int:
        """Total number of trainable numbers."""
        return int(sum(p.size for p in self.parameters()))

    # ----- saving and loading ---------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """``{dotted name: copy of the parameter's array}``, ready for ``np.savez(path, **sd)``.

        >>> sd = ad.nn.Linear(2, 3).state_dict()
        >>> sorted(sd), sd["weight"].shape
        (['bias', 'weight'], (2, 3))
        """
        return {name: param.data.copy() for name, param in self.named_parameters()}

    def load_state_dict(self, state) -> None:
        """Copy arrays from ``state`` (a dict or an ``np.load`` result) into the parameters.

        The keys must be exactly those of ``state_dict()`` and every array must have
        the parameter's shape; otherwise a ``KeyError`` / ``ValueError`` says what is
        wrong and nothing is changed.  Values are converted to each parameter's dtype.

        >>> m = ad.nn.Linear(2, 3); m.load_state_dict(ad.nn.Linear(2, 3, rng=1).state_dict())
        """
        where = f"{type(self).__name__}.load_state_dict"
        params = dict(self.named_parameters())
        keys = set(state.keys())
        missing = [k for k in params if k not in keys]
        unexpected = sorted(k for k in keys if k not in params)
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing keys {missing}")
            if unexpected:
                parts.append(f"unexpected keys {unexpected}")
            raise KeyError(
                f"{where}: {' and '.join(parts)}; this model expects exactly "
                f"{list(params)}. Was the state saved from a different architecture?")
        arrays = {}
        for name, param in params.items():
            value = np.asarray(state[name])
            if value.shape != param.shape:
                raise ValueError(
                    f"{where}: {name!r} has shape {value.shape} in the state but the "
                    f"parameter has shape {param.shape}; the model was built with different "
                    "sizes than the one that was saved")
            if value.dtype.kind not in "fiu":
                raise TypeError(f"{where}: {name!r} has dtype {value.dtype}; expected numbers")
            arrays[name] = value
        for name, param in params.items():
            param.data = np.array(arrays[name], dtype=param.dtype)

    # ----- calling --------------------------------------------------------------
    def forward(self, *args, **kwargs) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define forward(...)")

    def __call__(self, *args, **kwargs):
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


class ModuleList(Module):
    """A list of modules whose parameters are registered under ``"0"``, ``"1"``, ...

    Assigning a plain list of modules to a module attribute makes one automatically.

    >>> layers = ad.nn.ModuleList([ad.nn.Linear(2, 2), ad.nn.Linear(2, 1)])
    >>> [n for n, _ in layers.named_parameters()]
    ['0.weight', '0.bias', '1.weight', '1.bias']
    """

    def __init__(self, modules=()):
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList: items must be Modules, not {type(module).__name__}")
        self._modules[str(len(self._modules))] = module
        self._name_parameters()

    def __getitem__(self, index):
        items = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(items[index])
        return items[index]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(list(self._modules.values()))


class ParameterList(Module):
    """A list of parameters registered under ``"0"``, ``"1"``, ...

    >>> ps = ad.nn.ParameterList([ad.nn.Parameter([1.0]), ad.nn.Parameter([2.0])])
    >>> [n for n, _ in ps.named_parameters()]
    ['0', '1']
    """

    def __init__(self, params=()):
        super().__init__()
        for param in params:
            self.append(param)

    def append(self, param: Parameter) -> None:
        if not isinstance(param, Parameter):
            raise TypeError(f"ParameterList: items must be Parameters, not {type(param).__name__}")
        self._parameters[str(len(self._parameters))] = param

    def __getitem__(self, index):
        return list(self._parameters.values())[index]

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(list(self._parameters.values()))

    def extra_repr(self) -> str:
        return ", ".join(f"{tuple(p.shape)}" for p in self)
