"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``, ``ParameterList`` and
``ParameterDict``, as in PyTorch.

Their entries are registered like attributes, so ``parameters()``, ``state_dict()``
and ``train()`` / ``eval()`` reach everything inside.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Iterable, Iterator

import numpy as np

from ..tensor import Tensor
from .module import Module, Parameter


def _check_module(module, where):
    if not isinstance(module, Module):
        raise TypeError(f"{where}: items must be Modules, not {type(module).__name__}")
    return module


class ModuleList(Module):
    """A list of modules whose parameters are registered under ``"0"``, ``"1"``, ...

    Supports ``append``, ``extend``, ``insert``, indexing (negative indices and
    slices), assignment and deletion by index, ``len`` and iteration, as PyTorch's.
    Assigning a plain list of modules to a module attribute makes one automatically.

    >>> layers = ad.nn.ModuleList([ad.nn.Linear(2, 2), ad.nn.Linear(2, 1)])
    >>> [n for n, _ in layers.named_parameters()]
    ['0.weight', '0.bias', '1.weight', '1.bias']
    >>> layers.insert(0, ad.nn.ReLU()); type(layers[0]).__name__, len(layers)
    ('ReLU', 3)
    """

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        if modules is not None:             # (PyTorch's default: an empty list)
            self.extend(modules)

    def _set_all(self, items):
        self._modules.clear()
        for i, module in enumerate(items):
            self._modules[str(i)] = module
        self._name_parameters()

    def _index(self, index):
        n = len(self._modules)
        if not isinstance(index, int) or isinstance(index, bool):
            raise TypeError(f"ModuleList indices must be integers or slices, "
                            f"not {type(index).__name__}")
        if not -n <= index < n:
            raise IndexError(f"ModuleList: index {index} is out of range for {n} modules")
        return index % n

    def append(self, module: Module) -> "ModuleList":
        """Add a module at the end."""
        key = str(len(self._modules))
        self._modules[key] = _check_module(module, "ModuleList.append")
        self._name_parameters(key)
        return self

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        """Add several modules at the end."""
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList,)):
            raise TypeError("ModuleList.extend: expected an iterable of Modules, got a single "
                            f"{type(modules).__name__}; use append")
        for module in list(modules):
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert a module before position ``index`` (as ``list.insert``)."""
        items = list(self._modules.values())
        items.insert(index, _check_module(module, "ModuleList.insert"))
        self._set_all(items)

    def __getitem__(self, index):
        items = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(items[index])
        return items[self._index(index)]

    def __setitem__(self, index, module):
        key = str(self._index(index))
        self._modules[key] = _check_module(module, "ModuleList")
        self._name_parameters(key)

    def __delitem__(self, index):
        items = list(self._modules.values())
        if isinstance(index, slice):
            del items[index]
        else:
            del items[self._index(index)]
        self._set_all(items)

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> "ModuleList":
        """A new ModuleList of this one's modules then ``other``'s (the same objects), as
        PyTorch's.

        >>> len(ad.nn.ModuleList([ad.nn.ReLU()]) + ad.nn.ModuleList(None))
        1
        """
        return ModuleList([*self, *other])

    def __len__(self):
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def __repr__(self):
        """PyTorch's: a run of children that print alike is one ``(i-j): n x child`` line.

        >>> ad.nn.ModuleList([ad.nn.ReLU(), ad.nn.ReLU(), ad.nn.Tanh()])
        ModuleList(
          (0-1): 2 x ReLU()
          (2): Tanh()
        )
        """
        runs = []                                   # [first index, last index, text]
        for i, module in enumerate(self):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        name = type(self).__name__
        if not runs:
            return f"{name}()"
        lines = [f"  ({first}): {text}" if first == last else
                 f"  ({first}-{last}): {last - first + 1} x {text}"
                 for first, last, text in runs]
        return f"{name}(\n" + "\n".join(line.replace("\n", "\n  ") for line in lines) + "\n)"

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward: iterate over it in your own "
                                  "forward, or use Sequential")


class _KeyedEntries:
    """What ``ModuleDict`` and ``ParameterDict`` share: reading, deleting and listing the
    entries of one of the module's dicts (``_entries``: ``"_modules"`` or
    ``"_parameters"``), whose values are ``_kind`` (``"module"`` or ``"parameter"``)."""

    _entries: str
    _kind: str
    _container: str

    def _dict(self) -> dict:
        return self.__dict__[self._entries]

    def _check_key(self, key) -> None:
        if not isinstance(key, str) or not key or "." in key:
            raise KeyError(f"{self._container}: keys must be non-empty strings without '.', "
                           f"got {key!r}")

    def __getitem__(self, key: str):
        if key not in self._dict():
            raise KeyError(f"{self._container}: no {self._kind} named {key!r}; it has "
                           f"{list(self._dict())}")
        return self._dict()[key]

    def __contains__(self, key) -> bool:
        return key in self._dict()

    def __len__(self):
        return len(self._dict())

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._dict()))

    def keys(self):
        return list(self._dict().keys())

    def values(self):
        return list(self._dict().values())

    def items(self):
        return list(self._dict().items())

    def pop(self, key: str):
        value = self[key]
        del self[key]
        return value

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{self._container} has no forward: pick a {self._kind} by "
                                  "key in your own forward")


class ModuleDict(_KeyedEntries, Module):
    """A dict of modules, registered under their keys (which must be strings).

    Supports ``d[key]``, ``d[key] = module``, ``del d[key]``, ``in``, ``len``,
    iteration over the keys, ``keys() values() items() update() pop() clear()``.

    >>> heads = ad.nn.ModuleDict({"cls": ad.nn.Linear(4, 3), "reg": ad.nn.Linear(4, 1)})
    >>> [n for n, _ in heads.named_parameters()]
    ['cls.weight', 'cls.bias', 'reg.weight', 'reg.bias']
    """

    _entries, _kind, _container = "_modules", "module", "ModuleDict"

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __setitem__(self, key: str, module: Module) -> None:
        self._check_key(key)
        self.add_module(key, _check_module(module, "ModuleDict"))

    def __delitem__(self, key: str) -> None:
        self[key]  # noqa: B018  (raises the KeyError that names the keys)
        delattr(self, key)

    def update(self, modules) -> None:
        """Add modules from a dict (or ModuleDict) or an iterable of ``(key, module)`` pairs."""
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            self[key] = module

    def clear(self) -> None:
        for key in list(self._modules):
            del self[key]


class ParameterList(Module):
    """A list of parameters registered under ``"0"``, ``"1"``, ...

    >>> ps = ad.nn.ParameterList([ad.nn.Parameter([1.0]), ad.nn.Parameter([2.0])])
    >>> [n for n, _ in ps.named_parameters()]
    ['0', '1']
    """

    def __init__(self, values=None):
        super().__init__()
        for param in values or ():
            self.append(param)

    def append(self, param: Parameter) -> "ParameterList":
        if not isinstance(param, Parameter):
            raise TypeError(f"ParameterList: items must be Parameters, not {type(param).__name__}")
        self._parameters[str(len(self._parameters))] = param
        return self

    def __getitem__(self, index):
        return list(self._parameters.values())[index]

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(list(self._parameters.values()))

    def extra_repr(self) -> str:
        return ", ".join(f"{tuple(p.shape)}" for p in self)


class ParameterDict(_KeyedEntries, Module):
    """A dict of parameters registered under their keys (non-empty strings without '.').

    A Tensor or array put in becomes a ``Parameter`` (a copy of it, as every Parameter
    is), as PyTorch wraps a plain tensor.  Supports ``d[key]``, ``d[key] = p``,
    ``del d[key]``, ``in``, ``len``, iteration over the keys, ``keys() values() items()
    get() update() pop() clear()``.  As in PyTorch, a plain dict given to the
    constructor or ``update`` is added in sorted key order (an ``OrderedDict``, a
    ParameterDict or a list of pairs in its own order).

    >>> scales = ad.nn.ParameterDict({"b": ad.nn.Parameter([1.0]), "a": np.zeros(2)})
    >>> [n for n, _ in scales.named_parameters()]
    ['a', 'b']
    """

    _entries, _kind, _container = "_parameters", "parameter", "ParameterDict"

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __setitem__(self, key: str, value) -> None:
        self._check_key(key)
        if not isinstance(value, Parameter):
            if not isinstance(value, (Tensor, np.ndarray)):
                raise TypeError(f"ParameterDict: values must be Parameters (or Tensors or "
                                f"arrays, made into Parameters), not {type(value).__name__} "
                                f"(key {key!r})")
            value = Parameter(value.data if isinstance(value, Tensor) else value)
        self._parameters[key] = value

    def __delitem__(self, key: str) -> None:
        self[key]  # noqa: B018  (raises the KeyError that names the keys)
        del self._parameters[key]

    def get(self, key: str, default=None):
        return self._parameters.get(key, default)

    def update(self, parameters) -> None:
        """Add parameters from a dict (sorted by key, as PyTorch), an ``OrderedDict`` or
        ParameterDict (in order), or an iterable of ``(key, value)`` pairs."""
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs = list(parameters.items())
        elif hasattr(parameters, "items"):
            pairs = sorted(parameters.items(), key=lambda pair: pair[0])
        else:
            pairs = list(parameters)
        for key, value in pairs:
            self[key] = value

    def clear(self) -> None:
        self._parameters.clear()

    def extra_repr(self) -> str:
        return ", ".join(f"{key}: {tuple(p.shape)}" for key, p in self._parameters.items())


class Sequential(Module):
    """Apply layers in order: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Parameters are named by position: ``"0.weight"``, ``"2.bias"``, ... (by key when
    the layers come as one dict, and a slice keeps its layers' names, as in PyTorch).

    >>> net = ad.nn.Sequential(ad.nn.Linear(2, 8), ad.nn.ReLU(), ad.nn.Linear(8, 1))
    >>> net(ad.tensor(np.zeros((5, 2)))).shape
    (5, 1)
    """

    def __init__(self, *layers):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], dict):   # an OrderedDict, as PyTorch
            named = [(str(k), m) for k, m in layers[0].items()]
        else:
            if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
                layers = tuple(layers[0])
            named = [(str(i), layer) for i, layer in enumerate(layers)]
        for key, layer in named:
            if not isinstance(layer, Module):
                raise TypeError(
                    f"Sequential: layer {key} ({layer!r}) is not a Module; wrap "
                    "functions in a Module (e.g. ad.nn.ReLU() instead of F.relu)")
            self._modules[key] = layer
        self._name_parameters()

    def forward(self, input) -> Tensor:
        for layer in self._modules.values():
            input = layer(input)
        return input

    def __getattr__(self, name: str):
        """A layer by its name, as PyTorch's: ``net.fc`` of
        ``Sequential(OrderedDict([("fc", ...)]))``, ``getattr(net, "0")``.  (Called only
        when the usual lookup fails.)"""
        layers = self.__dict__.get("_modules")
        if layers is not None and name in layers:
            return layers[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        """``del net.fc`` drops the layer of that name (the others keep theirs), as
        PyTorch's."""
        if name in self._modules and name not in self.__dict__:
            del self._modules[name]
            return
        super().__delattr__(name)

    def __getitem__(self, index):
        if isinstance(index, slice):    # the layers keep their names ("2.weight"), as PyTorch
            return Sequential(dict(list(self._modules.items())[index]))
        return list(self._modules.values())[index]

    def __setitem__(self, index: int, module: Module) -> None:
        """``net[i] = layer`` replaces the layer at position ``i``, keeping its name
        (``"2.weight"`` stays), as in PyTorch."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential: net[{index}] = ... expects a Module, got "
                            f"{type(module).__name__}")
        setattr(self, self._key_at(index), module)

    def __delitem__(self, index) -> None:
        """``del net[i]`` (or a slice) removes layers; the rest are named by position
        again, as in PyTorch."""
        keys = list(self._modules)
        doomed = keys[index] if isinstance(index, slice) else [self._key_at(index)]
        for key in doomed:
            del self._modules[key]
        layers = list(self._modules.values())
        for key in keys:                # (a layer set by name is also an attribute)
            self.__dict__.pop(key, None)
        self._modules.clear()
        for i, layer in enumerate(layers):
            self._modules[str(i)] = layer
        self._name_parameters()

    def pop(self, index: int) -> Module:
        """Remove the layer at position ``index`` and return it, as in PyTorch."""
        layer = self[index]
        del self[index]
        return layer

    def _key_at(self, index: int) -> str:
        keys = list(self._modules)
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise TypeError(f"Sequential: an index is an int, got {type(index).__name__}")
        if not -len(keys) <= index < len(keys):
            raise IndexError(f"Sequential: index {index} is out of range for "
                             f"{len(keys)} layers")
        return keys[index]

    def append(self, module: Module) -> "Sequential":
        """Add a layer at the end (named by its position, as in PyTorch); returns self."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append: expected a Module, got "
                            f"{type(module).__name__}")
        key = str(len(self._modules))
        if key in self._modules:
            raise KeyError(f"Sequential.append: a layer is already named {key!r} (the "
                           "layers came as a dict); add_module(name, module) names it")
        self._modules[key] = module
        self._name_parameters(key)
        return self

    def extend(self, layers) -> "Sequential":
        """Append each of ``layers`` (another Sequential, or an iterable of Modules)."""
        for layer in list(layers):
            self.append(layer)
        return self

    def __add__(self, other: "Sequential") -> "Sequential":
        """A new Sequential of this one's layers, then ``other``'s (the same layer
        objects, renamed by position), as PyTorch's ``+``.

        >>> len(ad.nn.Sequential(ad.nn.ReLU()) + ad.nn.Sequential(ad.nn.Tanh()))
        2
        """
        if not isinstance(other, Sequential):
            return NotImplemented
        return Sequential(*self, *other)

    def __iadd__(self, other: "Sequential") -> "Sequential":
        if not isinstance(other, Sequential):
            return NotImplemented
        return self.extend(other)

    def __mul__(self, times: int) -> "Sequential":
        """The layers ``times`` over (the same objects: their parameters are shared), as
        PyTorch's ``*``."""
        if not isinstance(times, (int, np.integer)) or isinstance(times, bool) or times < 1:
            raise ValueError(f"Sequential * {times!r}: the count must be a positive int, as "
                             "in PyTorch")
        return Sequential(*(list(self) * int(times)))

    __rmul__ = __mul__

    def insert(self, index: int, module: Module) -> "Sequential":
        """Put a layer before position ``index``; the layers are named by position
        again, as in PyTorch.

        >>> net = ad.nn.Sequential(ad.nn.Linear(2, 2)).insert(0, ad.nn.ReLU())
        >>> [type(m).__name__ for m in net]
        ['ReLU', 'Linear']
        """
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.insert: expected a Module, got "
                            f"{type(module).__name__}")
        layers = list(self._modules.values())
        n = len(layers)
        if not -n <= index <= n:
            raise IndexError(f"Sequential.insert: index {index} is out of range for "
                             f"{n} layers")
        layers.insert(index + n if index < 0 else index, module)
        self._modules.clear()
        for i, layer in enumerate(layers):
            self._modules[str(i)] = layer
        self._name_parameters()
        return self

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(list(self._modules.values()))
