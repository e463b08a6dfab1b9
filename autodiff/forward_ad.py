"""``ad.autograd.forward_ad``: PyTorch's dual tensors (``torch.autograd.forward_ad``).

Inside ``with dual_level():``, ``make_dual(primal, tangent)`` gives a tensor that
carries ``tangent``, and ``unpack_dual(y).tangent`` is the directional derivative
(JVP) of ``y`` along the tangents of the duals it was computed from.

The tangent travels on the tape: a dual is the output of a recorded node (even when
the primal does not require grad), so every op on it is recorded, and
``unpack_dual(y)`` pushes the duals' tangents forward through the recorded nodes
between them and ``y`` with the JVP rules of forward mode (``forward_rules.py``; ``J t``
from the VJP rule otherwise, ``forward.py``).  Each node's tangent is computed once
per level and kept until the level ends, so unpacking every step of a chain costs one
pass in all.  Where the primal requires grad the tangent is recorded too, so a loss
on it (a JVP penalty) has gradients with respect to the primal, as in PyTorch.

What the tape cannot see carries no tangent: an op under ``ad.no_grad()`` on a tensor
that carries one raises (PyTorch propagates tangents there), and ``.detach()`` and
``.data`` drop the tangent, as in PyTorch.

>>> fwAD = ad.autograd.forward_ad
>>> x = ad.tensor([0.0, 1.0])
>>> with fwAD.dual_level():
...     y = ad.sin(fwAD.make_dual(x, ad.tensor([1.0, 1.0]))) * 2
...     fwAD.unpack_dual(y).tangent
tensor([2.        , 1.08060461])
"""

from __future__ import annotations

import contextlib
import functools
import sys
import weakref
from typing import Any, NamedTuple

import numpy as np

from .forward import _transposed_vjp
from .forward_rules import jvp_rule
from . import inplace as _inplace
from .compile import hooks as _compile_hooks
from .forward_ad_dtypes import tangent_dtype
from .graph import Node, enable_grad, is_grad_enabled
from .ops import registry as _registry
from .ops.namespace import numpy_xp, tensor_xp
from .ops.registry import REGISTRY, _complex_op, _holds_complex
from .saved_hooks import unpacked_values
from .tensor import Tensor

_tensor_module = sys.modules[Tensor.__module__]   # (ad.tensor is the function)
_make = Tensor._make

__all__ = ["dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual",
           "UnpackedDualTensor"]


class UnpackedDualTensor(NamedTuple):
    """What ``unpack_dual`` returns: the primal and its tangent (None for no tangent)."""

    primal: Any
    tangent: Any


class _Level:
    """One dual level: the tangent of each node it has seen (None: carries none)."""

    def __init__(self, number: int):
        self.number = number
        # Keyed weakly: a node the user's tensors no longer reach is dropped with its
        # tangent.  Values are arrays, the given tangent Tensor for a dual, or recorded
        # Tensors for a node that requires grad.
        self.tangents = weakref.WeakKeyDictionary()
        self.reaches = weakref.WeakKeyDictionary()   # node -> whether a tangent reaches it
        self.previous_hook = None


_level: _Level | None = None          # as PyTorch's: one level for the whole process


def enter_dual_level() -> int:
    """Start a dual level and return its number (0); PyTorch supports one at a time.

    >>> level = enter_dual_level(); exit_dual_level(level=level); level
    0
    """
    global _level
    if _level is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment "
                           "(enter_dual_level: a dual level is already active; exit it "
                           "first)")
    _level = _Level(0)
    _level.previous_hook = _registry.kernel_hook
    _registry.kernel_hook = _unrecorded_op_hook
    _inplace.dual_write = _dual_write
    _tensor_module.tangent_hook = _shown_tangent
    return _level.number


def exit_dual_level(*, level: int | None = None) -> None:
    """End the dual level: every tangent of it is dropped (``unpack_dual`` then gives
    None), as in PyTorch.

    >>> enter_dual_level(); exit_dual_level()
    0
    """
    global _level
    current = -1 if _level is None else _level.number
    level = current if level is None else level
    if level < 0:
        raise RuntimeError("Dual level must be a positive number. (exit_dual_level: no "
                           "dual level is active)")
    if level != current:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one "
                           f"that was created. This is not supported. (exit_dual_level: "
                           f"level={level}, the active level is {current})")
    if _registry.kernel_hook is _unrecorded_op_hook:
        _registry.kernel_hook = _level.previous_hook
    _inplace.dual_write = None
    _tensor_module.tangent_hook = None
    _level.tangents.clear()
    _level.reaches.clear()
    _level = None


class dual_level(contextlib.ContextDecorator):
    """Context manager (or decorator) for a dual level, as PyTorch's: tangents made
    inside live until it ends.

    >>> with dual_level() as level:
    ...     level
    0
    """

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()
        return False


def _active(level, where: str) -> _Level:
    if _level is None:
        raise RuntimeError(f"{where}: Trying to create a dual Tensor for forward AD but no "
                           "level exists, make sure to enter_dual_level() first (or use "
                           "`with fwAD.dual_level():`)")
    if level is not None and level != _level.number:
        raise RuntimeError(f"Invalid level given to {where}: level={level}, the active "
                           f"dual level is {_level.number}")
    return _level


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A tensor with the values of ``tensor`` (sharing them) that carries ``tangent``
    (of the same shape) through the ops applied to it, for ``unpack_dual``.  It
    requires grad as ``tensor`` does, and ``backward()`` through it reaches ``tensor``.

    >>> with dual_level():
    ...     d = make_dual(ad.tensor([1.0, 2.0]), ad.tensor([1.0, 0.0]))
    ...     unpack_dual(d ** 2).tangent
    tensor([2., 0.])
    """
    state = _active(level, "make_dual")
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        bad = tensor if not isinstance(tensor, Tensor) else tangent
        raise TypeError(f"make_dual: expected Tensors for the primal and the tangent, got "
                        f"a {type(bad).__name__}; wrap it with ad.tensor(...)")
    if tensor.dtype.kind not in "fc":
        raise ValueError(f"Expected primal to be floating point or complex, but got: "
                         f"{tensor.dtype} (make_dual: pass a float tensor)")
    if tangent.dtype.kind not in "fc":
        raise ValueError(f"Expected tangent to be floating point or complex, but got: "
                         f"{tangent.dtype} (make_dual: pass a float tensor)")
    if (tangent.dtype.kind == "c") != (tensor.dtype.kind == "c"):
        raise ValueError(
            f"make_dual: the primal is {tensor.dtype} and the tangent {tangent.dtype} (shape "
            f"{tensor.shape}); a tangent must be real for a real primal and complex for a "
            "complex one (PyTorch's results there drop or mix imaginary parts op by op). "
            f"Pass a tangent of the primal's dtype, tangent.to({tensor.dtype}).")
    if tangent.shape != tensor.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size {list(tensor.shape)} "
            f"while the given forward gradient is of size {list(tangent.shape)}.")
    if (tensor._node is not None and _reaches_dual(state, tensor._node)
            and _tangent_of(state, tensor._node) is not None):
        raise RuntimeError("Making a dual Tensor based on a Tensor that already has a forward "
                           f"gradient at the same level {state.number} is not supported.")
    if tangent.requires_grad:
        raise NotImplementedError(
            "make_dual: the tangent requires grad, and the tangents computed from it would "
            "not be differentiable with respect to it (they are with respect to the "
            "primal); pass tangent.detach(), or use ad.func.jvp, whose tangents can be "
            "differentiated with respect to both")
    if _registry.kernel_hook is None:   # (an ad.compile trace inside the level resets it)
        _registry.kernel_hook = _unrecorded_op_hook
    if _layout(tangent.data) != _layout(tensor.data) and _compile_hooks.active is None:
        # laid out as the primal, as PyTorch does (so unpack_dual gives a copy then); a
        # compiled function's trace keeps the argument (the layout changes no values)
        laid_out = np.empty_like(tensor.data, dtype=tangent.dtype)
        laid_out[...] = tangent.data
        tangent = _make(laid_out, None, False)
    dual = _alias(tensor)
    state.tangents[dual._node] = tangent
    return dual


def _layout(array: np.ndarray) -> tuple:
    """The strides of ``array`` in elements (a float32 primal and a float64 tangent of
    one layout have different strides in bytes)."""
    return tuple(stride // array.itemsize for stride in array.strides)


@functools.lru_cache(maxsize=None)
def _view_op():
    """The ``copy`` op under PyTorch's name for a dual's node (``ViewBackward0``)."""
    copy = REGISTRY["copy"]
    view = object.__new__(type(copy))
    view.__dict__.update(copy.__dict__)
    view.name = "view"
    if copy.complex_twin is copy:
        view.complex_twin = view
    return view


def _alias(tensor: Tensor) -> Tensor:
    """A tensor sharing ``tensor``'s values, the output of a recorded node (a view op
    whose gradient is the identity), so that the ops applied to it are recorded."""
    needs_grad = tensor.requires_grad and is_grad_enabled()
    parent = tensor._node if tensor._node is not None else tensor if needs_grad else None
    node = Node()
    node._arity = 1
    node._p0 = parent if needs_grad else None
    node.args = (tensor.data,)
    node.kwargs = None
    node._depth = -1
    return _view_op()._record(node, tensor.data, needs_grad)


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of ``tensor``: its values without the tangent, and the
    tangent the duals it was computed from give it (its JVP), or None when it carries
    none (no dual reaches it, or no level is active).

    >>> with dual_level():
    ...     d = make_dual(ad.tensor([3.0]), ad.tensor([1.0]))
    ...     unpack_dual(d * d)
    UnpackedDualTensor(primal=tensor([9.]), tangent=tensor([6.]))
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"unpack_dual: expected a Tensor, got a {type(tensor).__name__}")
    state = _level
    if state is None or tensor._node is None:
        return UnpackedDualTensor(tensor, None)
    if level is not None and level != state.number:
        raise RuntimeError(f"Invalid level given to unpack_dual: level={level}, the active "
                           f"dual level is {state.number}")
    tangent = _tangent_of(state, tensor._node)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    if tensor.requires_grad and is_grad_enabled():
        primal = _alias(tensor)
        state.tangents[primal._node] = None       # the primal carries no tangent
        state.reaches[primal._node] = False
    else:
        primal = Tensor._make(tensor.data, None, False)
    if not isinstance(tangent, Tensor):
        tangent = Tensor(tangent)
    return UnpackedDualTensor(primal, tangent)


def _tangent_of(state: _Level, node: Node):
    """The tangent of ``node``'s output (array, the dual's Tensor, or None): the nodes
    it depends on that the level has not seen yet get theirs first, parents first."""
    tangents = state.tangents
    if node in tangents:
        return tangents[node]
    for current in _parents_first(node, tangents):
        tangents[current] = _node_tangent(current, tangents)
    return tangents[node]


def _parents_first(node: Node, known) -> list:
    """``node`` and the nodes it depends on that ``known`` does not hold, each after
    the nodes it reads (a depth-first walk with an explicit stack: no recursion)."""
    order, seen, todo = [], set(), [(node, False)]
    while todo:
        current, expanded = todo.pop()
        if expanded:
            order.append(current)
            continue
        if current in seen or current in known:
            continue
        seen.add(current)
        todo.append((current, True))
        for parent in current.parents:
            if parent.__class__ is Node and parent not in seen and parent not in known:
                todo.append((parent, False))
    return order


def _node_tangent(node: Node, tangents):
    """``J t`` for one node, from its inputs' tangents (None when none has one).  For a
    node that requires grad the tangent is recorded, as PyTorch's: it depends on the
    primal values, and a loss built from it differentiates through them."""
    rules = node.op.rules
    inputs, found, own_dtype = [], False, False
    for i, parent in enumerate(node.parents):
        t = tangents.get(parent) if parent.__class__ is Node else None
        if t is not None and (rules is None or rules[i] is not None):
            inputs.append(t)
            found = True
            own_dtype = own_dtype or (t.dtype != parent.dtype and not _casts(node, parent))
        else:
            inputs.append(None)
    if not found or node.dtype.kind not in "fc":      # integer and bool outputs: none
        return None
    if own_dtype:
        # A tangent of another dtype than its primal (make_dual(float32, float64)):
        # PyTorch's dtype for the result's, not the output's (forward_ad_dtypes.py).
        own_dtype = tangent_dtype(node, inputs)
        if node.op.name == "astype":
            return next(t for t in inputs if t is not None)    # .to(its own dtype): itself
    if node.freed:
        unpacked = unpacked_values(node)
        if unpacked is not None:
            # (packed in a saved_tensors_hooks block: its values for the while, then
            # dropped again, so that its backward still unpacks them)
            node.args, node.ans = unpacked
            try:
                return _node_tangent(node, tangents)
            finally:
                node.args = node.ans = None
        raise RuntimeError(
            f"unpack_dual: op '{node.op.name}' on the way from a dual to this tensor has "
            "released its saved values (a backward() through it freed them), so its "
            "tangent cannot be computed. Call unpack_dual before backward(), or pass "
            "retain_graph=True to that backward().")
    function_class = getattr(node.op, "function_class", None)
    if function_class is not None and "jvp" in _own_attributes(function_class):
        if _compile_hooks.active is not None:
            _refuse_function_jvp_in_trace(function_class)
        arrays = [t.data if isinstance(t, Tensor) else t for t in inputs]
        tangent = _fitted(_function_jvp(function_class, node, arrays), node.ans, own_dtype)
        if not node.requires_grad:
            return tangent
        with enable_grad():     # a loss on it must not silently miss its primal's part
            result = _undifferentiated_jvp(function_class)(_make(node.ans, node, True),
                                                           _make(tangent, None, False))
        tangents[result._node] = None       # a tangent carries no tangent of its own
        return result
    # An ad.compile trace records the tangent's ops too, so that a replay computes it.
    if not node.requires_grad and _compile_hooks.active is None:
        arrays = [t.data if isinstance(t, Tensor) else t for t in inputs]
        return _fitted(_apply_rule(node, arrays, node.ans, node.args, numpy_xp), node.ans,
                       own_dtype)
    tangent_tensors = [t if t is None or isinstance(t, Tensor) else _make(t, None, False)
                       for t in inputs]
    args = tuple(_make(a, p, True) if p.__class__ is Node and p.requires_grad
                 else p if p.__class__ is Tensor else a
                 for a, p in zip(node.args, node.parents))
    ans = _make(node.ans, node, True) if node.requires_grad else _make(node.ans, None, False)
    with enable_grad():
        result = _apply_rule(node, tangent_tensors, ans, args, tensor_xp)
        if result is None:
            return np.zeros(node.ans.shape, dtype=node.ans.dtype)
        if not isinstance(result, Tensor):
            result = _make(np.asarray(result), None, False)
        if result.shape != node.ans.shape:
            result = tensor_xp.broadcast_to(result, node.ans.shape)
        dtype = _tangent_dtype(result.dtype, node.ans.dtype, own_dtype)
        if result.dtype != dtype:
            result = tensor_xp.astype(result, dtype)
    if result._node is not None and result._node not in tangents:
        tangents[result._node] = None       # a tangent carries no tangent of its own
    return result


def _casts(node: Node, parent: Node) -> bool:
    """Whether ``node`` casts ``parent`` to another dtype: its tangent is cast too, as
    PyTorch's ``t.to(dtype)``, whatever the dtype of the tangent that comes in."""
    return node.op.name == "astype" and node.dtype != parent.dtype


def _refuse_function_jvp_in_trace(cls):
    from .compile.provenance import user_line
    from .compile.refusals import TraceError
    raise TraceError(
        f"compile: unpack_dual at {user_line()} needs the tangent of {cls.__name__}, "
        f"given by {cls.__name__}.jvp, which runs on arrays off the tape, so a replay "
        "could not compute it again. Unpack the dual outside the compiled function.")


def _apply_rule(node, inputs, ans, args, xp):
    if _holds_complex((node.ans,)) or _holds_complex(node.args):
        # A node that does not require grad recorded the real op, whose rules are for
        # real numbers: J t comes from its complex twin by transposition (or it refuses).
        _refuse_transposition_in_trace(node, "of complex values")
        twin = _complex_op(node.op, node.ans, node.args)
        return _transposed_vjp(node, inputs, ans, args, node.kwargs or {}, xp is tensor_xp,
                               op=twin)
    rule = jvp_rule(node.op)
    if rule is not None:
        return rule(xp, inputs, ans, *args, **(node.kwargs or {}))
    _refuse_transposition_in_trace(node, "(it has no forward-mode rule)")
    return _transposed_vjp(node, inputs, ans, args, node.kwargs or {}, xp is tensor_xp)


def _refuse_transposition_in_trace(node, why: str) -> None:
    """Inside an ``ad.compile`` trace a tangent derived from the op's backward rule (a
    backward of a backward) cannot be recorded: refused naming the op, instead of the
    trace's "backward(create_graph=True) is not supported"."""
    if _compile_hooks.active is None or not _compile_hooks.active.owns_thread():
        return
    from .compile.provenance import user_line
    from .compile.refusals import TraceError
    raise TraceError(
        f"compile: unpack_dual at {user_line()} needs the tangent of '{node.op.name}' "
        f"{why}, which is derived by differentiating its backward rule, and a compiled "
        "function does not replay a backward of a backward. Unpack the dual outside the "
        "compiled function, or compute the tangent with ad.func.jvp outside it.")


def _fitted(result, ans, own_dtype: bool):
    """A rule's result as an array of the output's shape and dtype, or its own dtype
    (``_tangent_dtype``).  None: zeros, a zero Jacobian as for fill_ or sign, where
    PyTorch gives a zero tangent too."""
    if result is None:
        return np.zeros(ans.shape, dtype=ans.dtype)
    result = np.asarray(result.data if isinstance(result, Tensor) else result)
    if result.shape != ans.shape:
        result = np.broadcast_to(result, ans.shape)
    return result.astype(_tangent_dtype(result.dtype, ans.dtype, own_dtype), copy=False)


def _tangent_dtype(rule_dtype, output_dtype, own_dtype):
    """The output's dtype, or ``own_dtype`` when one was set (a tangent of another
    dtype than its primal came in)."""
    return output_dtype if own_dtype is False or own_dtype is None else own_dtype


def carries_tangent(tensor: Tensor) -> bool:
    """Whether a dual's tangent reaches ``tensor`` at the active level (for ``explain``).

    >>> with dual_level():
    ...     carries_tangent(make_dual(ad.tensor([3.0]), ad.tensor([1.0])) * 2)
    True
    """
    return _level is not None and tensor._node is not None and _reaches_dual(
        _level, tensor._node)


def _shown_tangent(tensor: Tensor):
    """The tangent ``repr`` shows (``tensor.tangent_hook``): None when there is none or
    it can no longer be computed (a backward freed the graph)."""
    state = _level
    if state is None or not _reaches_dual(state, tensor._node):
        return None
    try:
        tangent = _tangent_of(state, tensor._node)
    except RuntimeError:
        return None
    return tangent if tangent is None or isinstance(tangent, Tensor) else Tensor(tangent)


def _own_attributes(cls) -> set:
    names = set()
    for klass in cls.__mro__:
        if klass.__name__ == "Function" and klass.__module__.startswith("autodiff"):
            break
        names.update(vars(klass))
    return names


def _function_jvp(cls, node, inputs):
    """A ``Function``'s own ``jvp(ctx, *tangents)`` (PyTorch's forward-mode formula),
    with zeros for the inputs that carry no tangent."""
    ctx = node.saved
    if getattr(ctx, "_output_shapes", None) is not None:
        raise NotImplementedError(
            f"unpack_dual: {cls.__name__} returns several outputs, and its jvp is not "
            "supported for those; remove jvp to have the tangent derived from backward")
    given = [np.zeros_like(a) if t is None and isinstance(a, np.ndarray) else t
             for t, a in zip(inputs, node.args)]
    for_backward = ctx._saved
    ctx._saved = getattr(ctx, "_saved_for_forward", for_backward)   # (save_for_forward)
    try:
        result = cls.jvp(ctx, *given)
    finally:
        ctx._saved = for_backward
    if isinstance(result, (tuple, list)):
        if len(result) != 1:
            raise TypeError(f"{cls.__name__}.jvp returned {len(result)} values for 1 output")
        (result,) = result
    shape = np.shape(getattr(result, "data", result))
    if shape != node.ans.shape and np.broadcast_shapes(shape, node.ans.shape) != node.ans.shape:
        raise RuntimeError(f"{cls.__name__}.jvp returned a tangent of shape {shape} for an "
                           f"output of shape {node.ans.shape}; they must match")
    return result


@functools.lru_cache(maxsize=None)
def _undifferentiated_jvp(cls):
    """``apply(output, tangent)`` gives ``tangent``, recorded after ``output`` with a
    backward that refuses: the tangent a Function's own ``jvp`` gives is not recorded
    as a function of the primal."""
    from .function import Function

    class _FunctionJvpTangent(Function):
        @staticmethod
        def forward(ctx, output, tangent):
            return tangent

        @staticmethod
        def backward(ctx, grad):
            raise RuntimeError(
                f"backward: the tangent that {cls.__name__}.jvp gave (forward_ad) cannot "
                "be differentiated with respect to the primal: jvp runs on arrays, outside "
                "the tape. Keep that tangent out of the loss, or derive it from "
                f"{cls.__name__}.backward by removing jvp.")
    return _FunctionJvpTangent.apply


def _reaches_dual(state: _Level, node: Node) -> bool:
    """Whether a dual's tangent can reach ``node`` (by any edge), without computing it."""
    reaches, tangents = state.reaches, state.tangents
    for current in _parents_first(node, reaches):
        if current in tangents:
            reaches[current] = tangents[current] is not None
        else:
            reaches[current] = any(reaches.get(p, False) for p in current.parents
                                   if p.__class__ is Node)
    return reaches[node]


def _tensors_in(args, kwargs):
    for value in (*args, *(kwargs or {}).values()):
        if isinstance(value, Tensor):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from (v for v in value if isinstance(v, Tensor))


def _carrying(state: _Level, values) -> Tensor | None:
    """The first of ``values`` that carries a tangent, or None."""
    for t in _tensors_in(values, None):
        if t._node is not None and _reaches_dual(state, t._node):
            return t
    return None


def _no_grad_error(where: str, t: Tensor) -> RuntimeError:
    return RuntimeError(
        f"{where}: called under ad.no_grad() (or with grad disabled) on a tensor of shape "
        f"{t.shape} that carries a forward-mode tangent (forward_ad.make_dual); here "
        "tangents travel on the recorded graph, which no_grad stops, so its result would "
        "lose the tangent (PyTorch keeps it). Run it with grad enabled (`with "
        "ad.enable_grad():`), or use forward_ad.unpack_dual(t).primal when no tangent is "
        "wanted.")


def _dual_write(t, other) -> bool:
    """For in-place updates (``inplace.dual_write``): whether ``t`` or ``other``
    carries a tangent, so that the update must be recorded; refused without grad."""
    state = _level
    if state is None:
        return False
    carrier = _carrying(state, (t, other))
    if carrier is None:
        return False
    if not is_grad_enabled():
        raise _no_grad_error("in-place update", carrier)
    return True


def _unrecorded_op_hook(op, args, raw, kwargs, out):
    """Called for each op that records no node while a level is active: an op on a
    tensor that carries a tangent is one the tape cannot see (``no_grad``), so it
    would silently lose the tangent."""
    state = _level
    if state is not None:
        carrier = _carrying(state, (*args, *(kwargs or {}).values()))
        if carrier is not None:
            raise _no_grad_error(op.name, carrier)
    previous = state.previous_hook if state is not None else None
    if previous is not None:
        return previous(op, args, raw, kwargs, out)
    result = _registry._unrecorded(out)
    if result.data.base is not None:
        _registry.note_op_view(result, op.name, args)
    return result
