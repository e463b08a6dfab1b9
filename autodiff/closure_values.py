"""What a custom gradient's vjp can reach: the values in its closure, default arguments,
containers and helper closures, searched without recursion.  ``custom_gradient`` and
``Function`` read them to find tensors closed over from an outer transform (the gradient
then depends on them) and values the forward computed under ``no_grad`` (which cannot
be differentiated again).
"""

from __future__ import annotations

import functools
import types

import numpy as np

from .code_walk import nested_code
from .graph import Node
from .tensor import Tensor


def _is_float_array(value) -> bool:
    return isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "fc"


def _reachable_values(fn):
    """``(name, value)`` for what ``fn`` can reach: its closure's cells, its default
    arguments, the items of tuples, lists and dicts among them, and the same for the
    functions among them (a helper closure), each object once."""
    pending = [("", fn)]
    seen = {id(fn)}
    while pending:
        path, value = pending.pop()
        found = []
        if callable(value) and hasattr(value, "__code__"):
            cells = zip(value.__code__.co_freevars, value.__closure__ or ())
            for name, cell in cells:
                try:
                    found.append((name, cell.cell_contents))
                except ValueError:
                    pass
            defaults = value.__defaults__ or ()
            code = value.__code__
            names = code.co_varnames[code.co_argcount - len(defaults):code.co_argcount]
            found += [(f"{name} (a default argument)", d) for name, d in zip(names, defaults)]
            found += [(name, d) for name, d in (value.__kwdefaults__ or {}).items()]
        elif isinstance(value, (tuple, list)):
            found = [(f"{path}[{k}]", v) for k, v in enumerate(value)]
        elif isinstance(value, dict):
            found = [(f"{path}[{k!r}]", v) for k, v in value.items()]
        for name, item in found:
            if id(item) not in seen:
                seen.add(id(item))
                yield name, item
                pending.append((name, item))


def _note_forward_values(vjp, inputs) -> None:
    """Note on ``vjp`` the names of the values it can reach that the forward computed
    (arrays, or tensors without a graph that are not inputs), directly or through a
    default argument, a container or a helper closure: under ``no_grad`` their
    dependence on the inputs was not recorded."""
    own = {id(t) for t in inputs}
    arrays_of_inputs = {id(t.data) for t in inputs if isinstance(t, Tensor)}
    names = []
    for name, value in _reachable_values(vjp):
        if id(value) in own:
            continue
        if id(value) in arrays_of_inputs:   # x.data: a constant too, if x is differentiated
            names.append(f"{name} (an input's array)")
        elif (isinstance(value, Tensor) and not value.requires_grad) or _is_float_array(value):
            names.append(name)
    try:
        vjp._autodiff_forward_values = tuple(names)
    except AttributeError:          # (a builtin or a bound method: nothing to note)
        pass


def closed_over_tracked(node) -> list:
    """The tensors that require grad which the vjp saved on a custom_gradient ``node``
    can reach (a closure over an outer transform's variable, over a parameter or over
    an intermediate value, a global, ``self.w`` of a bound method): the gradient the
    vjp gives depends on them, though they are not the node's inputs."""
    vjp = node.saved
    if vjp is None:
        return []
    return [value for _, value in _reachable_tracked(vjp)]


def _closed_over_tracked_values(func, inputs) -> list:
    """``(name, tensor)`` for each tensor that requires grad, other than ``inputs``,
    which ``func`` can reach (``_reachable_tracked``), also as an attribute of an input
    that is an object (``self`` of a method decorated in its class)."""
    own = {id(t) for t in inputs}
    found = list(_reachable_tracked(func))
    code = getattr(func, "__code__", None)
    names = code.co_varnames[:code.co_argcount] if code is not None else ()
    for k, value in enumerate(inputs):
        if not isinstance(value, (Tensor, np.ndarray)):
            found += _held_tracked(names[k] if k < len(names) else f"argument {k}", value)
    return [(name, value) for name, value in found if id(value) not in own]


def _reachable_tracked(fn):
    """``(name, tensor)`` for each tensor that requires grad which ``fn`` can reach:
    through ``_reachable_values``, through the module-level globals that its code (and
    that of the functions among them) names, and through the object a bound method is
    bound to; a Module among these stands for its parameters, and another object for
    its attributes (one level).

    >>> w = ad.tensor(2.0, requires_grad=True)
    >>> [name for name, _ in _reachable_tracked(lambda x: x * w)]
    ['w']
    """
    seen = set()
    functions = [fn]
    for name, value in _reachable_values(fn):
        if callable(value) and hasattr(value, "__code__"):
            functions.append(value)
        else:
            yield from _unseen(seen, _held_tracked(name, value))
    for function in functions:
        names = getattr(function, "__globals__", None)
        if names is not None:
            for name in _global_names(function.__code__):
                if name in names:
                    yield from _unseen(seen, _held_tracked(name, names[name]))
        owner = getattr(function, "__self__", None)
        if owner is not None:
            yield from _unseen(seen, _held_tracked("self", owner))


def _unseen(seen, found):
    for name, value in found:
        if id(value) not in seen:
            seen.add(id(value))
            yield name, value


@functools.lru_cache(maxsize=1024)
def _global_names(code) -> tuple:
    """The names ``code`` (and the code nested in it: lambdas, generator expressions)
    looks up as globals or attributes."""
    return tuple(sorted({name for nested in nested_code(code) for name in nested.co_names}))


_NOT_HOLDERS = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
                types.MethodType, np.ndarray, str, int, float, bool)


def _held_tracked(name, value, attributes=True) -> list:
    """``(name, tensor)`` for ``value`` if it is a tensor that requires grad, for the
    parameters of a Module, and (``attributes``) for the attributes of another object
    that are such tensors or Modules."""
    if isinstance(value, Tensor):
        return [(name, value)] if value.requires_grad else []
    if isinstance(value, _NOT_HOLDERS):
        return []
    from .nn.module import Module

    if isinstance(value, Module):
        return [(f"{name}.{key}", p) for key, p in value.named_parameters() if p.requires_grad]
    if not attributes:
        return []
    held = getattr(value, "__dict__", None)
    if not isinstance(held, dict):
        return []
    return [found for key, item in held.items() if isinstance(item, (Tensor, Module))
            for found in _held_tracked(f"{name}.{key}", item, attributes=False)]


def _refuse_value_through(name, value, inputs, closed) -> None:
    """Raise when the graph of ``value`` (recorded) reaches a tensor that requires grad
    other than through ``inputs``: the custom op records only its inputs, so the
    value's dependence on that tensor would be dropped and its gradient silently zero."""
    if not isinstance(value, Tensor) or not value.requires_grad:
        return
    own = {id(t) for t in inputs}
    stop = {id(t._node) for t in inputs if isinstance(t, Tensor) and t._node is not None}
    names = {id(t if t._node is None else t._node): n for n, t in closed}
    pending, seen = [value if value._node is None else value._node], set()
    while pending:
        node = pending.pop()
        if id(node) in names:
            reached = repr(names[id(node)])
            break
        if id(node) in stop or id(node) in own:
            continue
        if node.__class__ is not Node:
            reached = "one of " + ", ".join(repr(n) for n, _ in closed)
            break               # a leaf that requires grad, reached another way
        for parent in node.parents:
            if parent is not None and parent.requires_grad and id(parent) not in seen:
                seen.add(id(parent))
                pending.append(parent)
    else:
        return
    raise RuntimeError(
        f"custom_gradient: the value that {name} returns depends on {reached}, a tensor "
        "that requires grad and is not one of its inputs; the custom op records only its "
        "inputs, so the gradient with respect to that tensor would silently be zero. "
        "Pass it as an input and return its gradient from the vjp (def f(x, a): return "
        "x * a, lambda g: (g * a, g * x)), or close over a.detach() if it is a constant.")


def _refuse_forward_values(name, vjp) -> None:
    names = getattr(vjp, "_autodiff_forward_values", ())
    if names:
        raise RuntimeError(
            f"custom_gradient: the vjp returned by {name} closes over "
            f"{', '.join(repr(n) for n in names)}, computed in the forward under no_grad "
            "or taken from an input's .data, and this backward pass is being "
            "differentiated (backward(create_graph=True), "
            "grad of grad, hessian, hvp): its second derivative would take that value as "
            "a constant, its dependence on the inputs unrecorded. Compute it inside the "
            "vjp from the inputs (lambda g: g * ad.exp(x)), or write the op as an "
            "ad.Function, whose backward may read the saved output.")
