"""Reverse-mode function transforms: grad, value_and_grad, vjp, jacobian (jacrev), hvp.

Each call gives every differentiated argument its own fresh input tensor and asks
the tape for the gradient with respect to exactly those inputs, without touching any
``.grad``.  The gradient stops at the fresh inputs, so a variable that also reaches
the function another way (a closure over an outer transform's input, the same tensor
at two argnums) never mixes its contributions up (no perturbation confusion).

Whether the backward itself is recorded (``create_graph``) follows one rule: it is
recorded whenever the result can still be differentiated, i.e. when grad mode is on
and the function's graph reaches a tensor that requires grad other than the fresh
inputs — a tracked argument, a closure over an outer transform's variable or over a
parameter, a tracked cotangent.  Then results are Tensors carrying that dependence;
otherwise plain arrays.  Under ``ad.no_grad()`` results are always arrays.

A parameter given to a transform is read-only while it runs, and writable again once it
has returned, even while its results live (``guard.holding_inputs``).
"""

from __future__ import annotations

import weakref
from contextlib import contextmanager
from typing import Callable, Sequence

import numpy as np

from . import hooks
from .compile.hooks import refuse_transform_in_trace
from .grad_mode import TransformLevel
from .graph import Node, _grad_mode, is_grad_enabled, run_backward
from .guard import holding_inputs, note_fresh_input
from .ops.complex_tape import note_complex_on_tape
from .ops.registry import defop
from .ops.shape import stack
from .tensor import Tensor
from .pytrees import flatten_arguments, is_tree, tree_value_and_grad
from .tree_outputs import jacobian_of_tree_output, vjp_of_tree_output
from .transform_aux import aux_result, is_recorded, split_aux, with_aux

def _transform_input_rule(xp, g, ans, x):
    if _grad_mode.backward_in_transform == "autograd.grad":
        raise RuntimeError(
            "autograd.grad: called inside a function that ad.grad (or another transform) "
            "differentiates, for a tensor from outside the function that the transform's "
            "argument stands for: the derivative would pass through the argument and "
            "mix the two variables (the inner one is independent of the outer one). "
            "Differentiate with respect to the function's own argument (or a tensor made "
            "inside the function), or pass the outer tensor as another argument.")
    if _grad_mode.backward_in_transform:
        raise RuntimeError(
            "backward: called inside a function that ad.grad (or another transform) "
            "differentiates, on a graph that reaches the transform's argument that is a "
            "tensor requiring grad from outside: it would fill that outer tensor's .grad, "
            "not the argument's. Use ad.grad (or ad.vjp) inside the function instead of "
            "backward().")
    return g


#: The fresh input a transform gives a tracked argument: an identity on the tape, so
#: that gradients stop at it while the result stays connected to the outer graph.
transform_input = defop(
    "transform_input", lambda x: x,
    doc="Identity: the fresh input a transform gives a tracked argument.\n\n"
        ">>> from autodiff.transforms import transform_input\n"
        ">>> transform_input(ad.tensor([1.0, 2.0]))\ntensor([1., 2.])",
    x=("g", _transform_input_rule), reads=(), elementwise=True)


#: The fresh leaves a transform gives plain (untracked) arguments, as id -> weak
#: reference (a WeakSet would compare Tensors with ``==``): an in-place update of one
#: would change what is differentiated, as it would for a tracked argument's
#: ``transform_input`` (inplace.py refuses both with the same message).
_fresh_leaves: dict = {}


def _note_fresh_leaf(leaf) -> None:
    key = id(leaf)

    def forget(ref):
        if _fresh_leaves.get(key) is ref:
            del _fresh_leaves[key]

    _fresh_leaves[key] = weakref.ref(leaf, forget)


def is_transform_input(tensor) -> bool:
    """Whether ``tensor`` is the input a running transform differentiates with respect
    to: a tracked argument's ``transform_input`` node, or a plain argument's fresh leaf."""
    node = tensor._node
    if node is not None:
        return node.op is transform_input
    ref = _fresh_leaves.get(id(tensor))
    return tensor._requires_grad and ref is not None and ref() is tensor


class inside_transform:
    """Context manager: grad mode on, ``Tensor.__array__`` raises instead of warning, and
    a transform level of its own (``grad_mode.TransformLevel``; ``forward_mode`` for
    jvp and jacfwd), or ``level`` when given (a vjp's pullback runs at the level its
    function ran at); ``as`` gives the level."""

    def __init__(self, level=None, forward_mode: bool = False):
        self.level = level
        self.forward_mode = forward_mode

    def __enter__(self):
        self.previous = _grad_mode.enabled
        self.previous_level = _grad_mode.transform_level
        _grad_mode.enabled = True
        _grad_mode.transform_depth += 1
        level = self.level or TransformLevel(self.previous_level, self.forward_mode)
        _grad_mode.transform_level = level
        return level

    def __exit__(self, *exc):
        _grad_mode.enabled = self.previous
        _grad_mode.transform_depth -= 1
        _grad_mode.transform_level = self.previous_level
        return False


def as_argnums(argnums, where: str) -> tuple:
    """``argnums`` as a tuple of positions (an int, or a tuple or list of ints)."""
    def is_int(value):
        return isinstance(value, (int, np.integer)) and not isinstance(value, bool)

    if is_int(argnums):
        return (argnums,)
    if isinstance(argnums, (tuple, list)) and all(is_int(a) for a in argnums):
        return tuple(argnums)
    raise TypeError(f"{where}: argnums must be an int or a tuple of ints (the positions of "
                    f"the arguments to differentiate), got {argnums!r}")


def check_function(func, where: str, keywords=None) -> None:
    """Raise unless ``func`` can be called (``ad.grad(f)``, not ``ad.grad(f(x))``); a
    tensor or PyTorch's keywords (``ad.grad(y, x, create_graph=True)``) are the call
    of ``torch.autograd.grad``, which is ``ad.autograd.grad`` here."""
    if keywords or (where == "grad" and isinstance(func, Tensor)):
        given = f"the keyword(s) {', '.join(keywords)}" if keywords else "a Tensor"
        raise TypeError(
            f"grad: got {given}, as in torch.autograd.grad(y, x); ad.grad transforms "
            "a function (ad.grad(f)(x), as torch.func.grad). To differentiate a "
            "computed tensor y with respect to x, call ad.autograd.grad(y, x) (it takes "
            "retain_graph= and create_graph=), or y.backward() and read x.grad")
    if not callable(func):
        raise TypeError(f"{where}: expected a function to transform, got "
                        f"{type(func).__name__}; pass the function itself (f, not f(x))")


def refuse_container(value, where, what):
    """Raise when ``value`` is a dict, or a tuple or list holding arrays or tensors: a
    transform takes one array per argument, and NumPy would stack the parts into one
    (or fail on parts of different shapes)."""
    if is_tree(value):
        raise TypeError(
            f"{where}: {what} is a {type(value).__name__} of arrays or tensors; {where} "
            "differentiates with respect to one array per argument and does not take "
            "nested containers. Make the parts separate arguments of the function (each "
            "its own primal for jvp and vjp, their positions in argnums=(0, 1, ...) "
            "otherwise), or concatenate them into one array.")


def float_array(value, where, what, kinds="f"):
    """``value``'s array, refused (naming ``where`` and ``what``) unless its dtype kind is
    one of ``kinds`` (real floats; jvp's "fc" takes complex too)."""
    refuse_container(value, where, what)
    array = value.data if isinstance(value, Tensor) else np.asarray(value)
    if array.dtype.kind not in kinds:
        raise TypeError(f"{where}: {what} has dtype {array.dtype} (shape {array.shape}); " + (
            "transforms take real arrays: for a complex z use ad.autograd.grad(loss, z), or "
            "pass ad.view_as_real(z) and rebuild z inside" if array.dtype.kind == "c" else
            "derivatives need floating-point values. Pass float64 data, e.g. "
            "np.asarray(x, dtype=float)."))
    return array


def fresh_inputs(args, argnums, where, grad_on=None, kinds="f"):
    """``(args, inputs, connected)``: args with a fresh tensor at each argnum.

    A tracked argument (in grad mode) becomes a ``transform_input`` node on top of it
    (``connected`` is then True); anything else becomes a new leaf, over a copy when it
    is the caller's array (which then stays writable, and a later write into it does
    not reach a pullback that saved it).  ``kinds``: the dtype kinds taken (jvp's "fc").
    """
    args = list(args)
    grad_on = is_grad_enabled() if grad_on is None else grad_on
    inputs, connected = [], False
    made: dict = {}     # position -> its fresh tensor (argnums=(0, 0): the same one twice)
    for i in argnums:
        if not -len(args) <= i < len(args):
            raise TypeError(f"{where}: argnums={i} but the function got {len(args)} "
                            "positional argument(s)")
        i %= len(args)
        if i in made:
            inputs.append(made[i])
            continue
        a = args[i]
        array = float_array(a, where, f"argument {i}", kinds)
        if array.dtype.kind == "c":     # (jvp's: ops check complex inputs from now on)
            note_complex_on_tape()
        if isinstance(a, Tensor) and a.requires_grad and grad_on:
            fresh = transform_input(a)
            note_fresh_input(fresh._node, a)    # ops reading it guard a's leaf array
            connected = True
        else:   # a caller's array is copied: the graph saves it, and guards what it saves
            fresh = Tensor._make(array if isinstance(a, Tensor) else array.copy(), None, True)
            _note_fresh_leaf(fresh)
        args[i] = made[i] = fresh
        inputs.append(fresh)
    return args, inputs, connected


def retire(inputs):
    """After a transform: its fresh leaves become constants, so that results recorded
    through them do not look as if they still depended on something differentiable."""
    for t in inputs:
        if t._node is None:
            t.requires_grad = False


def reaches_other_tracked(outputs, inputs) -> bool:
    """True when the graph of ``outputs`` holds a leaf that requires grad other than
    ``inputs`` (a parameter or an outer variable reached through a closure), also
    through the tensors a custom_gradient's vjp closes over and those a gradient hook
    on the graph closes over (the gradient depends on them)."""
    own = {id(t) for t in inputs}
    hooked = bool(hooks.registered)
    if hooked and any(_hook_reaches_other(t, own) for t in inputs):
        return True
    stack_ = [t._node for t in outputs if isinstance(t, Tensor) and t._node is not None]
    seen = set()
    while stack_:
        node = stack_.pop()
        if hooked and _hook_reaches_other(node, own):
            return True
        parents = node.parents
        closed_over = getattr(node.op, "closed_over", None)
        if closed_over is not None:
            parents = (*parents, *(t if t._node is None else t._node
                                    for t in closed_over(node)))
        for parent in parents:
            if parent is None or not parent.requires_grad:
                continue
            if parent.__class__ is Node:
                if parent not in seen:
                    seen.add(parent)
                    stack_.append(parent)
            elif id(parent) not in own:
                return True
    return False


def _hook_reaches_other(owner, own) -> bool:
    """Whether a hook registered on ``owner`` (a node or a leaf) can reach a tensor that
    requires grad other than those in ``own``: the gradient it gives depends on it."""
    from .closure_values import _reachable_tracked

    functions = hooks.registered.get(owner)
    return bool(functions) and any(id(t) not in own for hook, _ in functions.values()
                                   for _, t in _reachable_tracked(hook))


@contextmanager
def transformed_call(func, args, kwargs, positions, where):
    """Run ``func`` inside a transform, on fresh inputs for the arguments at
    ``positions`` (``fresh_inputs``), holding the parameters behind them read-only
    (``guard.holding_inputs``); yields ``(inputs, out, record)``, ``record`` telling
    whether results must be recorded (an outer tape reaches them).  The fresh inputs
    retire when the block ends.

    >>> with transformed_call(lambda x: x * 3, (2.0,), {}, (0,), "grad") as (_, out, _):
    ...     out
    tensor(6., requires_grad=True)
    """
    with holding_inputs():
        args, inputs, connected = fresh_inputs(args, positions, where)
        record_outer = is_grad_enabled()
        with inside_transform(forward_mode=where == "jacfwd"):
            out = check_float_output(func(*args, **kwargs), where)
            yield inputs, out, record_outer and (connected
                                                 or reaches_other_tracked([out], inputs))
            retire(inputs)


def check_float_output(out, where):
    """The function's output as a Tensor; bool and integer outputs raise, and so do
    several outputs (a tuple, list or dict) where one is expected."""
    if isinstance(out, (tuple, list, dict)) and _holds_tensor(out):
        raise TypeError(
            f"{where}: the function returned a {type(out).__name__} of "
            f"{len(out)} values; {where} differentiates one output. Return one tensor "
            "(ad.concatenate of flattened parts, or one function per output), or use "
            "ad.jvp, which takes a tuple of outputs")
    if out is None:
        raise TypeError(f"{where}: the function returned None; return the value to "
                        "differentiate (is a return statement missing?)")
    if not isinstance(out, Tensor):
        out = Tensor(out)
    if out.dtype.kind != "f":
        raise TypeError(
            f"{where}: the function returned {out.dtype} values (shape {out.shape}); only "
            "floating-point outputs have derivatives. Return a float result (a comparison "
            "or an integer count has zero derivative everywhere it is defined).")
    return out


def _holds_tensor(values) -> bool:
    items = values.values() if isinstance(values, dict) else values
    return any(isinstance(v, Tensor) for v in items)


def zeros_for(t, record):
    zeros = np.zeros_like(t.data)
    return Tensor(zeros) if record else zeros


def owned(array, given=()) -> np.ndarray:
    """``array`` as a result a transform can hand over: a writable array of its own,
    not a view and none of the caller's arrays ``given`` (a gradient broadcast from a
    sum is a read-only view of one number; a function that passes its input through
    would hand back the caller's array)."""
    array = np.asarray(array)
    if array.base is None and array.flags.writeable and not any(array is g for g in given):
        return array
    return array.copy()


def gradients(out, seed, inputs, record, where="grad"):
    """d<seed, out>/d input for each input: Tensors if ``record``, else arrays."""
    if not out.requires_grad:
        return [zeros_for(t, record) for t in inputs]
    try:
        grads = run_backward(out, seed, inputs=inputs, retain_graph=True,
                             create_graph=record)
    except RuntimeError as error:
        freed = _freed_node(out, inputs)
        if freed is None:
            raise
        raise _freed_in_function(where, freed) from error
    return [zeros_for(t, record) if g is None else g if record else owned(g, (seed,))
            for g, t in zip(grads, inputs)]


def _freed_node(out, inputs):
    """A node between ``out`` and ``inputs`` whose saved values a backward released
    (a ``backward()`` inside the function), or None."""
    stop = {t._node for t in inputs if t._node is not None}
    pending, seen = [out._node], set()
    while pending:
        node = pending.pop()
        if node is None or node in seen or node in stop:
            continue
        seen.add(node)
        if node.freed:
            return node
        pending.extend(p for p in node.parents if p.__class__ is Node and p.requires_grad)
    return None


def _freed_in_function(where, node):
    """The error for a graph of the function's result that a ``backward()`` has freed."""
    return RuntimeError(
        f"{where}: op '{node.op.name}' in the graph of the function's result has released "
        "its saved values (a backward() through it freed them), so no derivative can be "
        "taken through it. If the function calls backward() on a result that depends on "
        "its argument, use ad.grad or ad.vjp there instead, or pass retain_graph=True to "
        "that backward(); if it uses a tensor whose graph an earlier backward() freed, "
        "compute that tensor again (or pass retain_graph=True to that backward()).")


def value_and_grad(func: Callable, argnums: int | Sequence[int] = 0, *,
                   has_aux: bool = False) -> Callable:
    """``(value, gradient)`` of a scalar function; a tuple of gradients for tuple argnums.

    Results are arrays, or Tensors when they can still be differentiated (see the
    module docstring).  An argument that is a dict, list or tuple of arrays gets its
    gradients in the same structure (``pytrees.py``).  With ``has_aux=True`` the
    function returns ``(value, aux)`` and the result is ``((value, aux), gradient)``
    (JAX's order; ``transform_aux.py``).

    >>> ad.value_and_grad(lambda x: (x ** 2).sum())(np.array([1.0, 2.0]))
    (array(5.), array([2., 4.]))
    """
    if not has_aux:
        return _value_and_grad(func, argnums, "value_and_grad")
    check_function(func, "value_and_grad")
    main, kept = split_aux(func, "value_and_grad")
    both = _value_and_grad(main, argnums, "value_and_grad")

    def wrapped(*args, **kwargs):
        value, gradient = both(*args, **kwargs)
        return (value, aux_result(kept, is_recorded(gradient))), gradient

    return wrapped


#: What to do instead when a transform's function is not scalar.
_NOT_SCALAR_FIX = {"grad": "reduce it (e.g. .sum()) or use ad.jacobian",
                   "value_and_grad": "reduce it (e.g. .sum()) or use ad.jacobian",
                   "hvp": "reduce it (e.g. .sum()); a vector function's second "
                          "derivatives are ad.jacfwd(ad.jacobian(f))"}


def _value_and_grad(func, argnums, where):
    """``value_and_grad``, its errors naming ``where`` (``hvp`` runs it too)."""
    check_function(func, where)
    positions = as_argnums(argnums, where)

    def wrapped(*args, **kwargs):
        refuse_transform_in_trace(where)
        if where != "hvp" and any(-len(args) <= p < len(args) and is_tree(args[p])
                                   for p in positions):
            single = isinstance(argnums, (int, np.integer))
            return tree_value_and_grad(lambda f, a: _value_and_grad(f, a, where), func,
                                       positions, single, args, kwargs, where)
        with transformed_call(func, args, kwargs, positions, where) as (inputs, out, record):
            if out.size != 1:
                raise TypeError(
                    f"{where}: the function must return a scalar, but it returned shape "
                    f"{out.shape}; {_NOT_SCALAR_FIX[where]}")
            grads = gradients(out, np.ones_like(out.data), inputs, record)
        value = out if record else owned(out.data, [t.data for t in inputs])
        return value, (grads[0] if isinstance(argnums, (int, np.integer)) else tuple(grads))

    return wrapped


def grad(func: Callable, argnums: int | Sequence[int] = 0, *,
         has_aux: bool = False, **torch_keywords) -> Callable:
    """The gradient function of a scalar ``func``; composes: ``grad(grad(f))``.
    With ``has_aux=True`` the function returns ``(value, aux)`` and the result is
    ``(gradient, aux)``, as ``torch.func.grad``'s.

    >>> df = ad.grad(lambda x: ad.sin(x))
    >>> df(0.0)
    array(1.)
    >>> ad.grad(lambda x: x * ad.grad(lambda y: x * y)(2.0))(1.0)   # d/dx x**2 at 1
    array(2.)
    """
    check_function(func, "grad", torch_keywords)
    main, kept = split_aux(func, "grad") if has_aux else (func, None)
    value_and_grad_func = _value_and_grad(main, argnums, "grad")

    def wrapped(*args, **kwargs):
        gradient = value_and_grad_func(*args, **kwargs)[1]
        return (gradient, aux_result(kept, is_recorded(gradient))) if has_aux else gradient

    wrapped.__name__ = f"grad({getattr(func, '__name__', 'f')})"
    return wrapped


def vjp(func: Callable, *primals, has_aux: bool = False) -> tuple:
    """``(func(*primals), vjp_fn)``: ``vjp_fn(u)`` is the tuple ``uᵀ J`` for each primal;
    ``(output, vjp_fn, aux)`` with ``has_aux=True`` (the function returning
    ``(output, aux)``), as ``torch.func.vjp``.  A primal that is a dict, list or tuple
    of arrays gets its part in the same structure; a function returning one takes its
    cotangent in that structure.

    >>> out, pullback = ad.vjp(lambda x: x * 3, np.array([1.0, 2.0]))
    >>> pullback(np.array([1.0, 10.0]))
    (array([ 3., 30.]),)
    """
    check_function(func, "vjp")
    refuse_transform_in_trace("vjp")
    if has_aux:
        main, kept = split_aux(func, "vjp")
        out, pullback = vjp(main, *primals)
        return out, pullback, aux_result(kept, is_recorded(out))
    return vjp_of_tree_output(lambda f: _vjp(f, primals), func)


def _vjp(func, primals):
    """``vjp`` of a function with one array output."""
    if any(is_tree(p) for p in primals):     # dicts, lists, tuples of arrays
        leaves, regroup = flatten_arguments(primals)
        out, leaf_pullback = vjp(lambda *values: func(*regroup(values)), *leaves)
        return out, lambda cotangent: tuple(regroup(leaf_pullback(cotangent)))
    held = {}                           # the parameters its inputs stand for (guard.py)
    with holding_inputs(held):
        args, inputs, connected = fresh_inputs(primals, range(len(primals)), "vjp")
        record_outer = is_grad_enabled()
        with inside_transform() as level:
            out = check_float_output(func(*args), "vjp")
    record = record_outer and (connected or reaches_other_tracked([out], inputs))
    retire(inputs)          # tracked again only while the pullback runs

    def pullback(cotangent):
        cot = cotangent if isinstance(cotangent, Tensor) else Tensor(cotangent)
        if cot.shape != out.shape:
            raise ValueError(f"vjp: the cotangent has shape {cot.shape} but the output has "
                             f"shape {out.shape}; they must match")
        # under ad.no_grad() a pullback gives arrays, as every transform's results do
        rec = is_grad_enabled() and (record or cot.requires_grad)
        with holding_inputs(held), inside_transform(level):
            seed = cot.astype(out.dtype) if rec else cot.data.astype(out.dtype, copy=False)
            for t in inputs:
                if t._node is None:
                    t.requires_grad = True
            try:
                return tuple(gradients(out, seed, inputs, rec, "vjp"))
            finally:
                retire(inputs)

    return (out if record else owned(out.data, [t.data for t in inputs])), pullback


def jacobian(func: Callable, argnums: int | Sequence[int] = 0, *,
             has_aux: bool = False) -> Callable:
    """The full Jacobian by reverse mode (one backward per output entry), shaped
    ``out.shape + x.shape``; a tuple of Jacobians for tuple ``argnums``;
    ``(jacobian, aux)`` with ``has_aux=True`` (the function returning ``(output, aux)``).
    A dict, list or tuple argument gets its Jacobians in the same structure; a function
    returning a dict, list or tuple of arrays gets one Jacobian (or structure of them)
    per output, in the output's structure, as ``torch.func.jacrev``.

    >>> ad.jacobian(lambda x: x * 2)(np.ones(3))
    array([[2., 0., 0.],
           [0., 2., 0.],
           [0., 0., 2.]])
    """
    check_function(func, "jacobian")
    positions = as_argnums(argnums, "jacobian")
    if has_aux:
        return with_aux(jacobian, func, argnums, "jacobian")

    def wrapped(*args, **kwargs):
        refuse_transform_in_trace("jacobian")
        return jacobian_of_tree_output(lambda f: one_output(f, args, kwargs), func,
                                       "jacobian")

    def one_output(func, args, kwargs):
        if holds_tree(args, positions):
            return tree_jacobians(jacobian, func, argnums, args, kwargs, "jacobian")
        with transformed_call(func, args, kwargs, positions, "jacobian") as (
                inputs, out, record):
            rows = [[] for _ in inputs]
            for index in np.ndindex(out.shape):
                seed = np.zeros_like(out.data)
                seed[index] = 1
                for row, g in zip(rows, gradients(out, seed, inputs, record, "jacobian")):
                    row.append(g)
            jacobians = [_assemble(row, out.shape, x, record) for row, x in zip(rows, inputs)]
        return jacobians[0] if isinstance(argnums, (int, np.integer)) else tuple(jacobians)

    return wrapped


jacrev = jacobian


def holds_tree(args, positions) -> bool:
    """Whether an argument at ``positions`` is a dict, list or tuple of arrays."""
    return any(-len(args) <= p < len(args) and is_tree(args[p]) for p in positions)


def tree_jacobians(transform, func, argnums, args, kwargs, where):
    """``transform(func, argnums)(*args)`` where some differentiated arguments are
    dicts, lists or tuples of arrays: each gets its Jacobians in its own structure
    (``pytrees.tree_value_and_grad``), as ``torch.func.jacrev`` gives them."""
    def as_value_and_grad(inner, leaf_argnums):
        return lambda *leaves: (None, transform(inner, leaf_argnums)(*leaves))

    single = isinstance(argnums, (int, np.integer))
    return tree_value_and_grad(as_value_and_grad, func, as_argnums(argnums, where), single,
                               args, kwargs, where)[1]


def _assemble(rows, out_shape, x, record):
    if not rows:
        return np.zeros(out_shape + x.shape, dtype=x.dtype)
    if record:
        return stack(rows).reshape(out_shape + x.shape)
    return np.stack(rows).reshape(out_shape + x.shape)


def hvp(func: Callable, x, v) -> np.ndarray:
    """Hessian of scalar ``func`` at ``x`` times the vector ``v``, forward over reverse:
    the JVP of the gradient, ``ad.jvp(ad.grad(func), (x,), (v,))`` (measured about 10 %
    faster than the gradient of ``⟨∇f, v⟩``; see bench/RESULTS.md).

    >>> ad.hvp(lambda x: (x ** 3).sum(), np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([6., 0.])
    """
    from .forward import _as_float_if_number, check_tangent, jvp

    check_function(func, "hvp")
    refuse_transform_in_trace("hvp")
    x, v = _as_float_if_number(x), _as_float_if_number(v)
    check_tangent(x, v, 0, "hvp", ("x", "v"))
    gradient = _value_and_grad(func, 0, "hvp")
    return jvp(lambda point: gradient(point)[1], (x,), (v,))[1]


def hvp_reverse_over_reverse(func, x, v):
    """``H v`` as the gradient of ``⟨∇f(x), v⟩`` (two reverse passes)."""
    from .ops.reduce import sum as total

    return grad(lambda t: total(grad(func)(t) * v))(x)
