"""The user's objects a compiled function reaches through a plain list, tuple or dict
it names: ``for m in self.blocks_list: x = m(x)``, ``heads["a"](x)``, an ensemble
``for model in models: loss = loss + crit(model(x), y)``.

Calling such an object runs its ``forward`` (a ``Module``) or ``__call__``, which the
plan depends on as much as on a method of an object named directly: ``object_calls.py``
follows it, bound to the object, so that the settings it reads (``self.k``) are checked
before each replay and the constants it makes with NumPy are certified.  The container
itself is one of the plan's ``flags``: the objects it holds, compared by identity, read
again through the name that held it (``self.blocks_list``, a global, a closure cell).
So rebinding the name, appending to the list or putting another object in an entry
traces again, as a replay would keep calling the objects the trace called.

>>> class Scale:
...     __module__ = "train"                # (a user's class, not the library's)
...     def __init__(self, k):
...         self.k = k
...     def __call__(self, x):
...         return x * self.k
>>> Scale.__call__.__module__ = "train"
>>> models = [Scale(2.0), Scale(3.0)]
>>> f = ad.compile(lambda x: sum(m(x) for m in models).sum())
>>> f(ad.tensor([1.0])), f(ad.tensor([1.0])), f.traces
(tensor(5.), tensor(5.), 1)
>>> models[1].k = 4.0
>>> f(ad.tensor([1.0])), f.traces
(tensor(6.), 2)
>>> models.append(Scale(1.0))
>>> f(ad.tensor([1.0])), f.traces
(tensor(7.), 3)
"""

from __future__ import annotations

#: The containers whose items are followed (exact types: not a ModuleList, whose
#: modules the modules' own checks follow, nor a user's container class).
_CONTAINERS = (list, tuple, dict)


def held_objects(value) -> list:
    """The user's objects (``object_calls._is_object``) that ``value``, a list, tuple
    or dict, holds as items or values; [] for anything else."""
    from .object_calls import _is_object

    if type(value) not in _CONTAINERS:
        return []
    items = value.values() if type(value) is dict else value
    return [item for item in items if _is_object(item)]


class Items:
    """The items of a container, compared by identity (a dict's keys by equality):
    another object in an entry, or one more, is another value."""

    __slots__ = ("kind", "keys", "objects")

    def __init__(self, container):
        self.kind = type(container)
        self.keys = tuple(container) if type(container) is dict else None
        self.objects = tuple(container.values() if type(container) is dict else container)

    def __eq__(self, other):
        return (type(other) is Items and self.kind is other.kind and self.keys == other.keys
                and len(self.objects) == len(other.objects)
                and all(a is b for a, b in zip(self.objects, other.objects)))

    __hash__ = None

    def __repr__(self):
        names = [type(item).__name__ for item in self.objects]
        shown = names if self.keys is None else dict(zip(self.keys, names))
        return f"{self.kind.__name__} of {len(names)}: {shown}"


class HeldItems:
    """The plan's flag for a container of the user's objects that a name holds (a
    closure cell, or a key of a dict: a module's globals, an object's attributes):
    ``value`` is the ``Items`` the name holds now."""

    __slots__ = ("where", "key", "label")

    def __init__(self, where, key, label):
        self.where, self.key, self.label = where, key, label

    @property
    def value(self):
        container = self.where.cell_contents if self.key is None else self.where.get(self.key)
        return Items(container) if type(container) in _CONTAINERS else container


def held_items_flags(fn) -> list:
    """The plan's flags (``(HeldItems, "value", Items)``) for the containers of the
    user's objects that ``fn`` and the functions it reaches name
    (``reached.reached_functions``)."""
    from .captures import _captured_names
    from .reached import reached_functions, unique_places

    found = []
    for function in reached_functions(fn):
        for name, where, key, value in _names_read(function, _captured_names):
            if held_objects(value):
                found.append((HeldItems(where, key, f"the {type(value).__name__} {name}"),
                              "value", Items(value)))
    return unique_places(found, lambda entry: (entry[0].where, entry[0].key))


def _names_read(fn, captured_names) -> list:
    """``captured_names(fn)`` without the globals and the object's attributes that
    ``fn``'s code does not read."""
    from .captures import _attributes_read, _globals_read

    plain = getattr(fn, "__func__", fn)
    code = getattr(plain, "__code__", None)
    if code is None:
        return []
    owner = getattr(fn, "__self__", None)
    own = vars(owner) if owner is not None and hasattr(owner, "__dict__") else None
    table = getattr(plain, "__globals__", None)
    read, attributes = _globals_read(code), _attributes_read(code)
    return [(name, where, key, value) for name, where, key, value in captured_names(fn)
            if not (where is table and key not in read)
            and not (where is own and key not in attributes)]
