"""The user's objects a compiled function reaches through a plain list, tuple or dict
it names: ``for m in self.blocks_list: x = m(x)``, ``heads["a"](x)``, an ensemble
``for model in models: loss = loss + crit(model(x), y)``; and a few levels further,
through nested lists and the attributes of a config it reads (``cfg.blocks[0]``,
``cfg.head(h)``).

Calling such an object runs its ``forward`` (a ``Module``) or ``__call__``, which the
plan depends on as much as on a method of an object named directly: ``object_calls.py``
follows it, bound to the object, so that the settings it reads (``self.k``) are checked
before each replay and the constants it makes with NumPy are certified.  The container
itself is one of the plan's ``flags``: the objects it holds, compared by identity, read
again through the name that held it (``self.blocks_list``, a global, a closure cell)
and the path from there (a config's attribute: the one object it holds).
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

from .values_read import ValueRead

#: The containers whose items are followed (exact types: not a ModuleList, whose
#: modules the modules' own checks follow, nor a user's container class).
_CONTAINERS = (list, tuple, dict)
#: How many entries or attributes deep objects are looked for (``cfg.heads["a"]``).
_DEPTH = 3
#: The longest list, tuple or dict whose objects are followed: a longer one is data
#: (records a step indexes), whose checks before every replay would cost more than
#: the step; what it holds stays fixed at the trace, as the numbers reached otherwise.
MOST_OBJECTS_FOLLOWED = 64


def held_objects(value, attributes) -> list:
    """The user's objects (``object_calls._is_object``) that something ``value`` (a
    list, tuple or dict, or a plain object that is not called itself, a config) holds,
    as ``(path, holder, object)``: found as items, values, or attributes named in
    ``attributes`` (those the code reads), down to ``_DEPTH`` levels
    (``cfg.blocks[0]``); ``path`` leads from ``value`` to the holder, a
    ``container_settings._Path`` step each.  Their methods the code calls are followed
    (``object_calls.py``: ``m(x)``; ``reached.functions_by_attribute``: ``m.loss(x)``).

    >>> class Gain:
    ...     __module__ = "train"            # (a user's class, not the library's)
    ...     def __call__(self, x):
    ...         return x * 2
    >>> [(path, type(obj).__name__) for path, _, obj in held_objects([[Gain()]], set())]
    [((('item', 0),), 'Gain')]
    """
    from .container_settings import _plain_object
    from .object_calls import _is_object

    found, seen = [], {id(value)}
    todo = [(value, ())]
    while todo:
        holder, path = todo.pop()
        if type(holder) in _CONTAINERS and len(holder) > MOST_OBJECTS_FOLLOWED:
            continue
        if type(holder) is dict:
            entries = [(("item", k), v) for k, v in holder.items()]
        elif type(holder) in (list, tuple):
            entries = [(("item", k), v) for k, v in enumerate(holder)]
        elif _plain_object(holder) and not called_object(holder):
            entries = [(("attr", k), v) for k, v in vars(holder).items() if k in attributes]
        else:
            continue
        for step, item in entries:
            if _is_object(item):
                found.append((path, holder, item))
            if (len(path) + 1 < _DEPTH and id(item) not in seen and not called_object(item)
                    and (type(item) in _CONTAINERS or _plain_object(item))):
                seen.add(id(item))
                todo.append((item, path + (step,)))
    return found


def called_object(value) -> bool:
    """An object of a user's class defining what calling it runs (``forward`` or
    ``__call__``)."""
    from .object_calls import _CALLED, _is_object, _user_methods

    return _is_object(value) and bool(_user_methods(type(value), _CALLED))


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

    def change_to(self, now) -> str:
        """What changed from these items to ``now``: the entries that hold another
        object when only those differ (the types alone would look the same)."""
        if not (type(now) is Items and self.kind is now.kind and self.keys == now.keys
                and len(self.objects) == len(now.objects)):
            return f"{self!r} -> {now!r}"
        places = self.keys or range(len(self.objects))
        changed = [f"[{place!r}] holds another {type(b).__name__} object" if type(a) is type(b)
                   else f"[{place!r}] holds a {type(b).__name__} (was a {type(a).__name__})"
                   for place, a, b in zip(places, self.objects, now.objects) if a is not b]
        return f"{self.kind.__name__} of {len(self.objects)}: " + ", ".join(changed)

    def __repr__(self):
        names = [type(item).__name__ for item in self.objects]
        shown = names if self.keys is None else dict(zip(self.keys, names))
        return f"{self.kind.__name__} of {len(names)}: {shown}"


class HeldItems(ValueRead):
    """The plan's flag for what holds the user's objects (``held_objects``): read from
    a name (a closure cell, or a key of a dict: a module's globals, an object's
    attributes) down ``path``; ``value`` is the ``Items`` found there now (a plain
    object's attribute as the one item it holds)."""

    __slots__ = ("where", "key", "path", "single")

    def __init__(self, where, key, path, single, label):
        super().__init__(None, label)
        self.where, self.key, self.path, self.single = where, key, path, single

    @property
    def value(self):
        found = self.where.cell_contents if self.key is None else self.where.get(self.key)
        found = self.path.read(found)
        if self.single:
            return Items((found,))
        return Items(found) if type(found) in _CONTAINERS else found


def held_items_flags(fn) -> list:
    """The plan's flags (``(HeldItems, "value", Items)``) for what holds the user's
    objects that ``fn`` and the functions it reaches name (``held_objects``; the
    functions: ``reached.reached_functions``): a container's entries, or a plain
    object's attribute."""
    from .captures import _attributes_read, _captured_names
    from .container_settings import _Path
    from .reached import reached_functions

    found, seen = [], set()
    for function in reached_functions(fn):
        code = getattr(getattr(function, "__func__", function), "__code__", None)
        attributes = _attributes_read(code) if code is not None else set()
        for name, where, key, value in _names_read(function, _captured_names):
            for path, holder, item in held_objects(value, attributes):
                single = type(holder) not in _CONTAINERS    # (a config's attribute)
                if single:
                    step = next(("attr", k) for k, v in vars(holder).items() if v is item)
                    place, now = path + (step,), Items((item,))
                else:
                    place, now = path, Items(holder)
                if (id(where), key, place) not in seen:
                    seen.add((id(where), key, place))
                    label = f"what {name}{_shown(place)} holds"
                    found.append((HeldItems(where, key, _Path(place), single, label),
                                  "value", now))
    return found


def _shown(path) -> str:
    return "".join(f"[{key!r}]" if how == "item" else f".{key}" for how, key in path)
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
