"""Forward mode: jvp, jacfwd, hessian — derived from the reverse-mode rules.

``jvp`` runs the function once on the tape, then walks the recorded nodes in order
pushing a tangent through each: ``t_out = J t_in``.  No op needs a hand-written JVP:

- an op may carry its own rule, ``op.jvp(xp, tangents, ans, *inputs, **kwargs)``
  (``defop(..., jvp=...)``), given one tangent per input (``None`` for zero);
- otherwise ``J t`` comes from the op's VJP rule, which is linear in ``g``: with a
  dummy cotangent ``u``, ``vjp(u) = Jᵀu`` is recorded, and ``J t`` is its gradient
  with respect to ``u`` along ``t`` (``∂/∂u ⟨Jᵀu, t⟩ = J t``: transposition).
  This needs the rule to be linear in ``g`` at ``g = 0`` as recorded: a rule that
  branches on the value of ``g`` (``where(g == 0, 0, g / d)``, as the eigh and svd
  VJPs do to stay finite at repeated values) must give ``jvp=`` instead.

Elementwise ops have a diagonal Jacobian, so their own VJP rule applied to the
(broadcast) tangent is already ``J t``; linear ops apply themselves to the tangent;
multilinear ones (``matmul``, ``einsum``) sum themselves over each input's tangent
(those rules are in ``autodiff/forward_rules.py``).

Like the reverse transforms, the tangent pass is recorded (Tensors) when the result
can still be differentiated — a tracked primal or tangent, or a closure over a tensor
that requires grad — so ``grad(jvp)``, ``jvp(grad)`` and ``jacfwd(jacrev)`` nest.
"""

from __future__ import annotations

from builtins import max as builtins_max
from typing import Callable, Sequence

import numpy as np

from .collector import track_graphs
from .compile.hooks import refuse_transform_in_trace
from .forward_rules import (elementwise_jvp, jvp_rule, linear_jvp,  # noqa: F401  (re-exported)
                            multilinear_jvp)
from .graph import Node, is_grad_enabled, run_backward
from .guard import holding_inputs
from .ops.namespace import numpy_xp, tensor_xp
from .ops.registry import _holds_complex
from .ops.shape import stack
from .pytrees import flatten, flatten_arguments, is_tree
from .tensor import Tensor
from .tree_outputs import is_container_output, jacobian_of_tree_output
from .transform_aux import aux_result, is_recorded, split_aux, with_aux
from .saved_hooks import unpacked_values
from .transforms import (_freed_in_function, as_argnums, check_function,
                         fresh_inputs, inside_transform, jacrev, owned, reaches_other_tracked,
                         holds_tree, refuse_container, retire, transformed_call,
                         tree_jacobians)

_make = Tensor._make


def check_tangent(primal, tangent, k, where="jvp", names=None, kinds="f"):
    """Raise unless ``tangent`` matches ``primal`` (the ``k``-th pair; ``names`` for the
    pair in the messages of ``where``, ``("x", "v")`` for hvp) and the primal's dtype is
    of one of ``kinds`` (``"fc"``: complex too, as ``jvp`` takes)."""
    primal_name, tangent_name = names or (f"primal {k}", f"tangent {k}")
    refuse_container(primal, where, primal_name)
    refuse_container(tangent, where, tangent_name)
    p = primal.data if isinstance(primal, Tensor) else np.asarray(primal)
    if p.dtype.kind == "c" and "c" not in kinds:
        raise TypeError(f"{where}: {primal_name} has dtype {p.dtype} (shape {p.shape}); "
                        f"{where} takes real primals: for complex tangents use ad.jvp "
                        "(or ad.func.jvp) or ad.autograd.forward_ad (make_dual, "
                        "unpack_dual), as PyTorch's complex forward mode, or pass "
                        "ad.view_as_real(z) and rebuild z inside")
    if p.dtype.kind not in kinds:
        raise TypeError(f"{where}: {primal_name} has dtype {p.dtype} (shape {p.shape}); "
                        f"forward mode needs floating-point{' or complex' if 'c' in kinds else ''} "
                        "primals. Pass float64 data.")
    t = tangent.data if isinstance(tangent, Tensor) else np.asarray(tangent)
    if t.shape != p.shape or t.dtype != p.dtype:
        raise ValueError(
            f"{where}: {tangent_name} has shape {t.shape} and dtype {t.dtype} but "
            f"{'its primal' if names is None else primal_name} has shape {p.shape} and "
            f"dtype {p.dtype}; each tangent must match its primal "
            "(e.g. np.asarray(v, dtype=x.dtype).reshape(x.shape))")


def forward_order(outputs, inputs):
    """The nodes the outputs depend on through differentiable edges, parents first,
    not going past the inputs' own nodes."""
    stop = {t._node for t in inputs if t._node is not None}
    order, seen = [], set()
    todo = [(out._node, False) for out in reversed(outputs) if out._node is not None]
    while todo:
        node, expanded = todo.pop()
        if expanded:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        todo.append((node, True))
        if node in stop:
            continue
        for parent in node.parents:
            if parent.__class__ is Node and parent.requires_grad and parent not in seen:
                todo.append((parent, False))
    return order


def _function_jvp_rule(node):
    """The rule of a ``Function`` that defines ``jvp(ctx, *tangents)`` (PyTorch's
    ``torch.func.jvp`` uses it), or None.  Taken where the tangents are not recorded:
    what that ``jvp`` reads from ``ctx`` are arrays, constants to any outer transform."""
    from .forward_ad import _function_jvp, _own_attributes
    cls = node.op.function_class
    if "jvp" not in _own_attributes(cls):
        return None

    def rule(xp, tangents, ans, *args, **kwargs):
        result = _function_jvp(cls, node, list(tangents))
        return np.asarray(result.data if isinstance(result, Tensor) else result)
    return rule


def _gather(tangent, sources, n_args):
    """An op's input tangents (``None`` where an input has none) from the program's
    tangents, or ``None`` when no input carries one."""
    tangents = [None] * n_args
    found = False
    for i, k in sources:
        t = tangent[k]
        if t is not None:
            tangents[i] = t
            found = True
    return tangents if found else None


class TangentProgram:
    """The recorded nodes that a tangent can reach from ``inputs``, prepared once and
    run for any number of seeds (``jacfwd`` runs it once per input entry)."""

    def __init__(self, outputs, inputs, record, where="jvp", constant_primals=False):
        # constant_primals (with record): the tangent pass is recorded for tangents that
        # need grad, but the primal values enter it as constants, off the primal's tape
        # (linearize at primals that need no grad: a backward through one jvp_fn result
        # must not reach, and free, the run that every later call reads).
        self.record = record
        self.xp = tensor_xp if record else numpy_xp
        slots = {}
        for t in inputs:
            slots[t._node if t._node is not None else id(t)] = len(slots)
        self.n_inputs = len(slots)
        self.steps = []
        self.nodes = []                     # the node of each step (for viz.jvp_text)
        self.last_tangents = None
        for node in forward_order(outputs, inputs):
            if node in slots:               # an input's own node
                continue
            rules = node.op.rules
            sources = []
            for i, parent in enumerate(node.parents):
                if parent is not None and parent.requires_grad and (rules is None
                                                                     or rules[i] is not None):
                    k = slots.get(parent if parent.__class__ is Node else id(parent))
                    if k is not None:
                        sources.append((i, k))
            if not sources:                 # no tangent reaches it
                continue
            node_args, node_ans = node.args, node.ans
            if node.freed:
                # (a node that packed its values in a saved_tensors_hooks block has them)
                node_args, node_ans = unpacked_values(node) or (None, None)
                if node_args is None:
                    raise _freed_in_function(where, node)
            rule = jvp_rule(node.op)
            if rule is None and not record and hasattr(node.op, "function_class"):
                rule = _function_jvp_rule(node)   # a Function's own jvp, if it has one
            if node.op.elementwise and (_holds_complex((node_ans,))
                                        or _holds_complex(node_args)):
                # (an elementwise op's complex rules are conjugated: J t comes from them
                # by transposition instead of applying them to t)
                rule = None
            slots[node] = len(slots)
            if record and constant_primals:
                args = tuple(_make(a, None, False) if p.__class__ is Node
                             else (p if p is not None else a)
                             for a, p in zip(node_args, node.parents))
                ans = _make(node_ans, None, False)
            elif record:
                args = tuple(_make(a, p, p.requires_grad) if p.__class__ is Node
                             else (p if p is not None else a)
                             for a, p in zip(node_args, node.parents))
                ans = _make(node_ans, node, True)
            else:
                args, ans = node_args, node_ans
            self.steps.append((node, rule, sources, len(args),
                               args, ans, node.kwargs or {}))
            self.nodes.append(node)
        self.output_slots = [slots.get(o._node if o._node is not None else id(o))
                             for o in outputs]
        self.outputs = outputs

    def __call__(self, seeds):
        """Tangents of the outputs for ``seeds`` (one per input, arrays or Tensors)."""
        xp, record = self.xp, self.record
        tangent = list(seeds)
        for node, rule, sources, n_args, args, ans, kwargs in self.steps:
            tangents = _gather(tangent, sources, n_args)
            result = None
            if tangents is not None:
                if rule is not None:
                    result = rule(xp, tangents, ans, *args, **kwargs)
                else:
                    result = _transposed_vjp(node, tangents, ans, args, kwargs, record)
                if result is not None:
                    if result.shape != ans.shape:
                        result = xp.broadcast_to(result, ans.shape)
                    if result.dtype != ans.dtype:
                        result = xp.astype(result, ans.dtype)
            tangent.append(result)
        self.last_tangents = tangent
        return self._results(tangent)

    def batched(self, seeds, size):
        """Like calling the program, for ``size`` tangents at once: each seed (or None
        for zero) has a leading axis of length ``size``; so have the results."""
        from .forward_batch import batched_step

        tangent = list(seeds)
        for node, rule, sources, n_args, args, ans, kwargs in self.steps:
            tangents = _gather(tangent, sources, n_args)
            result = None
            if tangents is not None:
                def one_step(single, node=node, rule=rule, args=args, ans=ans, kwargs=kwargs):
                    if rule is not None:
                        return rule(numpy_xp, single, ans, *args, **kwargs)
                    return _transposed_vjp(node, single, ans, args, kwargs, False)
                result = batched_step(node.op, rule, tangents, ans, args, kwargs, size, one_step)
                if result is not None:
                    if result.shape != (size,) + ans.shape:
                        result = np.broadcast_to(result, (size,) + ans.shape)
                    if result.dtype != ans.dtype:
                        result = result.astype(ans.dtype)
            tangent.append(result)
        results = []
        for out, k in zip(self.outputs, self.output_slots):
            t = None if k is None else tangent[k]
            results.append(np.zeros((size,) + out.shape, dtype=out.dtype) if t is None
                           else np.asarray(t))
        return results

    def _results(self, tangent):
        record = self.record
        results = []
        for out, k in zip(self.outputs, self.output_slots):
            t = None if k is None else tangent[k]
            if t is None:
                # (of the output's dtype, as torch.func.jvp: int 0, False, complex 0)
                zeros = np.zeros(out.shape, dtype=out.dtype)
                t = Tensor(zeros) if record else zeros
            elif not record:
                t = owned(t)
            results.append(t)
        if record:      # gradients whose graphs lead back to the inputs (collector.py)
            track_graphs(results)
        return results


class _Wanted:
    requires_grad = True


_WANTED = _Wanted()


def _transposed_vjp(node, tangents, ans, args, kwargs, record, op=None):
    """``J t`` from the VJP rule (``op``'s, by default the node's): the gradient of
    ``⟨vjp(u), t⟩`` with respect to ``u``."""
    from .ops.reduce import sum as total

    op = node.op if op is None else op
    # (in the precision of a tangent wider than its primal, make_dual(complex64 values,
    # complex128 tangent), which the gradient with respect to u would otherwise round)
    dtype = np.result_type(ans.dtype, *(t.dtype for t in tangents if t is not None))
    if ans.dtype.kind == "f":
        dtype = np.finfo(dtype).dtype           # (the real part's, for a complex tangent)
    u = _make(np.zeros(ans.shape, dtype=dtype), None, True)
    # Index inputs (and any integer or boolean array) stay arrays, as the reverse pass
    # gives them to the rules: a rule builds NumPy index keys from them, and a Tensor
    # inside such a key would be read as data to stack, not as an index.
    tensor_args = tuple(_make(a, None, False)
                        if isinstance(a, np.ndarray) and i not in op.index_inputs
                        and a.dtype.kind in "fc" else a
                        for i, a in enumerate(args))
    tensor_ans = ans if isinstance(ans, Tensor) else _make(ans, None, False)
    parents = [_WANTED if t is not None else None for t in tangents]
    with inside_transform():
        grads = op.vjp(tensor_xp, u, tensor_ans, tensor_args, kwargs or None, parents, node)
        inner = None
        for g, t, a in zip(grads, tangents, tensor_args):
            if g is None or t is None:
                continue
            if g.shape != a.shape:
                g = tensor_xp.sum_to(g, a.shape)
            if g.dtype.kind == "c" or np.iscomplexobj(getattr(t, "data", t)):
                # the real inner product Re(conj(g) t), of which PyTorch's gradient
                # with respect to u is J t also for complex values
                term = total(tensor_xp.real(tensor_xp.conj(g) * t))
            else:
                term = total(g * t)
            inner = term if inner is None else inner + term
        if inner is None or not inner.requires_grad:
            if inner is not None:
                _refuse_unrecorded_rule(op, u, tensor_ans, tensor_args, kwargs, parents, node)
            return None
        # Gradients need not flow past the primal values or the tangents: they do not
        # depend on u.
        boundary = [x for x in (*tensor_args, tensor_ans, *tangents)
                    if isinstance(x, Tensor) and x._node is not None]
        if not record:      # the inputs' own nodes (tensor_args are copies without them)
            boundary += [_make(a, p, True) for a, p in zip(args, node.parents)
                         if p.__class__ is Node]
        # The graph is retained: a rule that closes over tensors (a custom_gradient's
        # vjp) reaches the outer graph, which later tangents and the caller still need.
        # What this pass recorded is dropped with ``inner`` on return.
        (result,) = run_backward(inner, np.ones((), dtype=inner.dtype), inputs=[u],
                                 retain_graph=True, create_graph=record, stop_at=boundary)
        u.requires_grad = False
        if result is None:      # recorded, but through the primals only, not through u
            _refuse_unrecorded_rule(op, u, tensor_ans, tensor_args, kwargs, parents, node)
    return result


def _refuse_unrecorded_rule(op, u, ans, args, kwargs, parents, node):
    """Raise if the VJP rule's gradients depend on the values of ``g`` without being
    recorded as functions of it (a backward using ``grad.data``, ``.detach()`` or NumPy
    on it): its transposition would give a zero tangent instead of ``J t``.  A rule
    whose gradients are zero for every ``g`` (a zero Jacobian) passes."""
    probe = _make(np.ones(u.shape, dtype=u.dtype), None, False)
    grads = op.vjp(tensor_xp, probe, ans, args, kwargs or None, parents, node)
    for g, wanted in zip(grads, parents):
        if g is not None and wanted is not None and np.any(
                np.asarray(g.data if isinstance(g, Tensor) else g) != 0):
            raise RuntimeError(
                f"jvp: the backward of '{op.name}' computes its gradient from the values "
                "of the incoming gradient without recording it (grad.data, .detach(), "
                ".numpy() or NumPy functions on grad), so forward mode (jvp, jacfwd, "
                "hessian, hvp), which derives the JVP from the backward, would give a "
                "zero tangent. Write backward with Tensor operations on grad (e.g. "
                "grad * ad.cos(x), not grad.data * np.cos(x)).")


def _flatten_outputs(out):
    """``(outputs, regroup)``: a dict or nested container of outputs by its leaves, as
    ``torch.func.jvp`` takes them (``regroup`` rebuilds the structure)."""
    if is_container_output(out):
        return flatten(out)
    if isinstance(out, (tuple, list)):
        return list(out), type(out)
    return [out], None


def _as_output_tensor(value):
    if value is None:
        raise TypeError("jvp: the function returned None; return the value to "
                        "differentiate (is a return statement missing?)")
    return value if isinstance(value, Tensor) else Tensor(value)


def _run_for_jvp(func, primals, tangents, record_outer):
    """Check the arguments, run ``func`` on fresh inputs (inside a transform) and say
    whether the tangent pass must be recorded."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples, e.g. "
                        "ad.jvp(f, (x,), (v,))")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primal(s) but {len(tangents)} tangent(s); "
                         "give one tangent per primal")
    primals = [_as_float_if_number(p) for p in primals]
    tangents = [_as_float_if_number(t) for t in tangents]
    for k, (p, t) in enumerate(zip(primals, tangents)):
        check_tangent(p, t, k, kinds="fc")
    args, inputs, connected = fresh_inputs(primals, range(len(primals)), "jvp", record_outer,
                                           kinds="fc")
    tangents_tracked = any(isinstance(t, Tensor) and t.requires_grad for t in tangents)
    out = func(*args)
    outs, container = _flatten_outputs(out)
    if not outs:
        raise ValueError(f"jvp: the function returned an empty {type(out).__name__}; "
                         "there is nothing to differentiate")
    outs = [_as_output_tensor(o) for o in outs]
    record = record_outer and (connected or tangents_tracked
                               or reaches_other_tracked(outs, inputs))
    seeds = [(t if isinstance(t, Tensor) else Tensor(t)) if record
             else (t.data if isinstance(t, Tensor) else np.asarray(t)) for t in tangents]
    return args, inputs, outs, seeds, container, record


def jvp_inputs(func, primals, tangents, record=False):
    """``(args, inputs, outputs, seeds)`` of a jvp whose tangent pass is not recorded
    (for viz.jvp_text)."""
    with inside_transform(forward_mode=True):
        args, inputs, outs, seeds, _, _ = _run_for_jvp(func, primals, tangents, record)
    return args, inputs, outs, seeds


def _as_float_if_number(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return np.asarray(value, dtype=float)
    return value


def jvp(func: Callable, primals: tuple, tangents: tuple, *, has_aux: bool = False) -> tuple:
    """Forward mode: ``(func(*primals), J · tangents)``; ``(output, J · tangents, aux)``
    with ``has_aux=True`` (the function returning ``(output, aux)``), as ``torch.func``.

    ``primals`` and ``tangents`` are tuples of the same length, each tangent of its
    primal's shape and dtype (a dict, list or tuple primal: its tangent in the same
    structure).  A function returning a tuple, list or dict (nested too) gets its
    tangents in that structure.

    >>> out, tangent = ad.jvp(lambda x: ad.sin(x) * x, (np.array([0.0, 1.0]),),
    ...                       (np.array([1.0, 0.0]),))
    >>> tangent
    array([0., 0.])
    >>> ad.jvp(lambda x, y: x * y, (2.0, 3.0), (1.0, 0.0))[1]    # d(xy)/dx at (2, 3)
    array(3.)
    """
    check_function(func, "jvp")
    refuse_transform_in_trace("jvp")
    if has_aux:
        main, kept = split_aux(func, "jvp")
        out, out_tangent = jvp(main, primals, tangents)
        return out, out_tangent, aux_result(kept, is_recorded(out_tangent))
    if isinstance(primals, (tuple, list)) and any(is_tree(p) for p in primals):
        return _container_jvp(func, primals, tangents)
    record_outer = is_grad_enabled()
    with holding_inputs(), inside_transform(forward_mode=True):
        args, inputs, outs, seeds, container, record = _run_for_jvp(func, primals, tangents,
                                                                    record_outer)
        out_tangents = TangentProgram(outs, inputs, record)(seeds)
        retire(inputs)
    if not record:          # (a function passing an input through: not the caller's)
        given = [t.data for t in inputs] + [s for s in seeds if s is not None]
        values = [owned(o.data, given) for o in outs]
        out_tangents = [owned(t, given) for t in out_tangents]
    else:
        values = outs
    if container is None:
        return values[0], out_tangents[0]
    return container(values), container(out_tangents)


def _container_jvp(func, primals, tangents):
    """``jvp`` where some primals are dicts, lists or tuples of arrays: each tangent
    must have its primal's structure; the function gets the containers back."""
    if not isinstance(tangents, (tuple, list)) or len(tangents) != len(primals):
        raise ValueError(f"jvp: {len(primals)} primal(s) but tangents is "
                         f"{type(tangents).__name__}; give a tuple with one tangent per "
                         "primal, each in its primal's structure")
    for k, (p, t) in enumerate(zip(primals, tangents)):
        p_leaves, t_leaves = (flatten(p)[0] if is_tree(p) else [p],
                              flatten(t)[0] if is_tree(t) else [t])
        if is_tree(p) != is_tree(t) or len(p_leaves) != len(t_leaves) or (
                is_tree(p) and flatten(p)[1](range(len(p_leaves)))
                != flatten(t)[1](range(len(t_leaves)))):
            raise ValueError(f"jvp: tangent {k} does not have the structure of primal {k} "
                             f"(a {type(p).__name__} of {len(p_leaves)} arrays); give it "
                             "the same keys and nesting")
    leaves, regroup = flatten_arguments(primals)
    tangent_leaves, _ = flatten_arguments(tangents)
    return jvp(lambda *values: func(*regroup(values)), tuple(leaves), tuple(tangent_leaves))


def jacfwd(func: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False, *,
           vectorized: bool = True) -> Callable:
    """The Jacobian by forward mode (one tangent per input entry), shaped
    ``out.shape + x.shape``; a tuple of Jacobians for tuple ``argnums``;
    ``(jacobian, aux)`` with ``has_aux=True`` (the function returning ``(output, aux)``).
    A dict, list or tuple argument gets its Jacobians in the same structure, and so does
    a dict, list or tuple output (``tree_outputs.py``).

    The function runs once; the basis tangents then go through its recorded nodes
    together, as a batch (``vectorized=False``: one pass per input entry, the textbook
    cost of forward mode).

    >>> ad.jacfwd(lambda x: x[:2] * x[1:])(np.array([1.0, 2.0, 3.0]))
    array([[2., 1., 0.],
           [0., 3., 2.]])
    """
    check_function(func, "jacfwd")
    positions = as_argnums(argnums, "jacfwd")
    if has_aux:
        return with_aux(lambda f, a: jacfwd(f, a, vectorized=vectorized), func, argnums,
                        "jacfwd")

    def wrapped(*args, **kwargs):
        refuse_transform_in_trace("jacfwd")
        return jacobian_of_tree_output(lambda f: one_output(f, args, kwargs), func, "jacfwd",
                                       in_output_dtype=True)

    def one_output(func, args, kwargs):
        if holds_tree(args, positions):
            return tree_jacobians(lambda f, a: jacfwd(f, a, vectorized=vectorized), func,
                                  argnums, args, kwargs, "jacfwd")
        with transformed_call(func, args, kwargs, positions, "jacfwd") as (
                inputs, out, record):
            distinct = list({id(x): x for x in inputs}.values())    # argnums=(0, 0)
            program = TangentProgram([out], distinct, record, "jacfwd")
            by_input = {}
            for k, x in enumerate(distinct):
                if record or not vectorized:
                    columns = [program(basis_seeds(distinct, k, index, record))[0]
                               for index in np.ndindex(x.shape)]
                    by_input[id(x)] = _assemble_columns(columns, out, x, record)
                else:
                    by_input[id(x)] = _batched_jacobian(program, distinct, k, out)
            jacobians = [by_input[id(x)] for x in inputs]
        return jacobians[0] if isinstance(argnums, (int, np.integer)) else tuple(jacobians)

    return wrapped


def basis_seeds(inputs, k, index, record=False):
    """The tangents of column ``index`` of input ``k`` (Tensors or arrays): a 1 there,
    zeros elsewhere, each in its input's dtype (as jvp requires); Tensors if ``record``."""
    seeds = []
    for j, other in enumerate(inputs):
        seed = np.zeros_like(other.data if isinstance(other, Tensor) else np.asarray(other))
        if j == k:
            seed[index] = 1
        seeds.append(Tensor(seed) if record else seed)
    return seeds


#: jacfwd pushes this many bytes of tangents through a node at a time, at most.
BATCH_BYTES = 1 << 26


def _batched_jacobian(program, inputs, k, out):
    """All columns for input ``k`` in batches of basis tangents."""
    x = inputs[k]
    n = x.size
    widest = builtins_max([step[5].size for step in program.steps] + [out.size, 1])
    chunk = max(1, min(n, BATCH_BYTES // (8 * widest)))
    eye = np.eye(n, dtype=x.dtype)
    parts = []
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        seeds = [eye[start:stop].reshape((stop - start,) + x.shape) if j == k else None
                 for j in range(len(inputs))]
        parts.append(program.batched(seeds, stop - start)[0])
    columns = np.concatenate(parts) if parts else np.zeros((0,) + out.shape, out.dtype)
    return np.moveaxis(columns, 0, -1).reshape(out.shape + x.shape)


def _assemble_columns(columns, out, x, record):
    """Columns J[..., index] for each input index, as one array ``out.shape + x.shape``."""
    if not columns:
        return np.zeros(out.shape + x.shape, dtype=out.dtype)
    if record:
        stacked = stack(columns, axis=-1)
    else:
        stacked = np.stack(columns, axis=-1)
    return stacked.reshape(out.shape + x.shape)


def hessian(func: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The Hessian of a scalar function, forward over reverse: ``jacfwd(jacrev(f))``,
    as ``torch.func.hessian``.

    With a tuple ``argnums`` the result is the nested tuple of blocks
    ``H[i][j] = d2f / d(args[i]) d(args[j])``.  A dict, list or tuple argument gives
    nested containers: ``hessian(f)(params)["w"]["b"]`` is ``d2f / dw db``, shaped
    ``w.shape + b.shape``.

    >>> ad.hessian(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    >>> (hxx, hxy), (hyx, hyy) = ad.hessian(lambda x, y: x * x * y, argnums=(0, 1))(2.0, 3.0)
    >>> float(hxx), float(hxy), float(hyy)
    (6.0, 4.0, 0.0)
    >>> h = ad.hessian(lambda p: (p["a"] * p["b"]).sum())({"a": np.ones(2), "b": np.ones(2)})
    >>> h["a"]["b"]
    array([[1., 0.],
           [0., 1.]])
    """
    check_function(func, "hessian")
    as_argnums(argnums, "hessian")
    forward_over_reverse = jacfwd(jacrev(func, argnums), argnums)

    def wrapped(*args, **kwargs):
        refuse_transform_in_trace("hessian")
        return forward_over_reverse(*args, **kwargs)

    wrapped.__name__ = f"hessian({getattr(func, '__name__', 'f')})"
    return wrapped
