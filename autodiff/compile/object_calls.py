"""The user's methods a function runs by calling objects, not attributes its code
reads (``reached.reached_functions`` follows both):

* an object of a user class that the function reaches by name and calls: ``model(x)``
  runs the ``forward`` of a ``Module`` (``Module.__call__``), ``loss_fn(y)`` the
  ``__call__`` of a plain object; followed bound to the object, so that what they read
  of ``self`` is followed too (``self.block(h)``: the block's ``forward``); and so is
  an object a list, tuple or dict it reaches by name holds (``held_objects.py``);
* a user class the function reaches by name, or as an attribute of a user's module it
  reaches by name (``losses.Focal(gamma=2)(logits, y)``), whose objects it makes in
  the call (``Loss()(y)``): its ``__init__``, ``forward`` and ``__call__``, as
  functions;
* ``super().forward(x)`` in a method: the bases' methods of the names the method reads,
  bound to the object.
"""

from __future__ import annotations

import types

from .held_objects import called_object, held_objects

#: What calling an object runs: ``Module.__call__`` runs ``forward``; else ``__call__``.
_CALLED = ("forward", "__call__")
#: What making an object and calling it runs.
_MADE_AND_CALLED = ("__init__", "forward", "__call__")


def functions_by_calls(fn) -> list:
    """The user's functions ``fn`` runs by calling the objects it reaches by name,
    making objects of the classes it reaches by name, or through ``super()`` (the
    module's docstring), as ``(where, key, entry, callee)`` as
    ``reached.functions_by_attribute`` gives them: ``where`` the class's dict, ``entry``
    the function there, ``callee`` the function or the method bound to the object.

    >>> class Loss:
    ...     __module__ = "train"            # (a user's class, not the library's)
    ...     def __call__(self, y):
    ...         return y * 2
    >>> loss = Loss()
    >>> [f.__name__ for *_, f in functions_by_calls(lambda y: loss(y))]
    ['__call__']
    """
    from .captures import _attributes_read, _captured_names
    from .reached import users_module

    plain = getattr(fn, "__func__", fn)
    code = getattr(plain, "__code__", None)
    if code is None:                    # (``ad.compile(model)``: the model is called)
        return ([(table, name, function, types.MethodType(function, fn))
                 for table, name, function in _user_methods(type(fn), _CALLED)[:1]]
                if _is_object(fn) else [])
    owner = getattr(fn, "__self__", None)
    found = []
    for _, _, _, value in _captured_names(fn):
        if isinstance(value, type) or users_module(value):
            # (a user's class named, or reached as a module's attribute:
            # ``losses.Focal(gamma=2)``; its methods bound to the class, so that the
            # class's defaults they read as ``self.alpha`` are followed as a
            # classmethod's ``cls.alpha``)
            classes = [value] if isinstance(value, type) else _classes_read(value, code)
            found += [(table, name, function, types.MethodType(function, klass))
                      for klass in classes
                      for table, name, function in _user_methods(klass, _MADE_AND_CALLED)]
            continue
        # (an object named, or one a list, tuple, dict or config named holds:
        # ``held_objects``)
        items = ([value] if called_object(value) else
                 [item for *_, item in held_objects(value, _attributes_read(code))
                  if called_object(item)])
        found += [(table, name, function, types.MethodType(function, item))
                  for item in items
                  for table, name, function in _user_methods(type(item), _CALLED)[:1]]
    if owner is not None and _is_object(owner) and "super" in code.co_names:
        names = _attributes_read(code)
        found += [(table, name, function, types.MethodType(function, owner))
                  for table, name, function in _user_methods(type(owner), names, every=True)
                  if function is not plain]
    return found


def _classes_read(module, code) -> list:
    """The user's classes that ``code`` (and the functions written in it) reads as
    attributes of the user's module ``module`` (``losses.Focal``)."""
    from .captures import _attributes_read
    from .container_settings import _users_class

    table = vars(module)
    return [table[name] for name in sorted(_attributes_read(code))
            if name in table and _users_class(table[name])]


def _is_object(value) -> bool:
    """Whether ``value`` is an object of a user class (not a module, a class, a function
    or a number)."""
    from .reached import written_by_user

    return (hasattr(value, "__dict__") and not isinstance(
        value, (type, types.ModuleType, types.FunctionType, types.MethodType))
        and any(written_by_user(cls.__module__) for cls in type(value).__mro__[:-1]))


def _user_methods(cls, names, every=False) -> list:
    """``(class's dict, name, function)`` for the methods of ``names`` the user's classes in
    ``cls``'s method resolution order define: the first of each name (as an object
    finds it), or with ``every`` each class's (``super()`` reaches the bases')."""
    from .reached import written_by_user

    found, seen = [], set()
    for klass in cls.__mro__[:-1]:
        if not written_by_user(klass.__module__):
            continue
        for name in names:
            function = vars(klass).get(name)
            if type(function) is types.FunctionType and (every or name not in seen):
                seen.add(name)
                found.append((vars(klass), name, function))
    return found
