"""``ad.vmap``: map a function written for one example over a batch axis.

``vmap(f)(xs)`` is ``stack([f(x) for x in xs])``, which is what it runs: ``f`` is
called once per slice of the batched arguments and the results are stacked, so any
function the library can run works, values are exactly the per-example ones, and the
slicing and stacking are recorded ops, so gradients flow through both.  It composes
with the other transforms: ``vmap(grad(loss), in_dims=(None, 0))(w, xs)`` gives one
gradient per example.

The calls are a Python loop (JAX and ``torch.func`` rewrite ``f`` to work on the
whole batch at once instead): the cost is one call of ``f`` per example.  Jacobians
do not need it: ``jacfwd`` and ``jacrev`` already push all their directions at once.
Random draws inside ``f`` follow ``randomness=`` (``vmap_randomness.py``); an
``ad.autograd.Function``'s own ``vmap`` rule is used as PyTorch uses it
(``function_vmap.py``).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .anomaly import active as anomaly_active
from .anomaly import AnomalyError
from .anomaly_vmap import check_mapped_example, in_example
from .function_vmap import checked_rule, function_class, per_example_calls, rule_results
from .graph import Node
from .pytrees import flatten, is_tree
from .tensor import Tensor
from .vmap_randomness import checked_mode, randomness_scope


def vmap(func: Callable, in_dims: int | None | Sequence[int | None] = 0,
         out_dims=0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """``func`` mapped over axis ``in_dims`` of its positional arguments; the results
    are stacked along ``out_dims`` (``torch.func.vmap``'s arguments).  ``in_dims`` is
    one int (every argument batched along that axis) or one entry per argument,
    ``None`` for an argument passed whole to every call; keyword arguments are passed
    whole.  A dict, list or tuple of arrays is mapped array by array: its entry is one
    int (or None) for all of them, or the same structure with one entry per array
    (``in_dims=({"w": 0, "b": None},)``).

    ``out_dims`` is one int for every output, or the structure of what ``func``
    returns (a tuple, list or dict) with an int or None for each part; ``None`` returns
    an output that does not depend on the mapped arguments once, unstacked (it raises
    if the output differs between examples or is computed from them).
    ``randomness`` says what a random draw inside ``func`` does: ``'error'`` (the default) raises,
    ``'different'`` draws anew for each example, ``'same'`` draws once and gives every
    example the same numbers (``rng=``/``generator=`` draws included; a draw from a
    fixed int seed repeats itself in any mode).  ``chunk_size`` is accepted as in
    PyTorch (None or a positive int) and changes nothing: the examples already run one
    at a time.

    >>> norms = ad.vmap(lambda v: np.sqrt((v * v).sum()))
    >>> norms(ad.tensor([[3.0, 4.0], [6.0, 8.0]]))
    tensor([ 5., 10.])
    >>> w = np.array([1.0, 2.0])
    >>> per_example = ad.vmap(ad.grad(lambda w, x: (w @ x) ** 2), in_dims=(None, 0))
    >>> per_example(w, np.array([[1.0, 0.0], [0.0, 1.0]]))       # 2 (w·x) x, per row
    array([[2., 0.],
           [0., 4.]])
    >>> ad.vmap(lambda x: (x * 2, w), out_dims=(0, None))(np.ones((3, 2)))[1]
    array([1., 2.])
    """
    if not callable(func):
        raise TypeError(f"vmap: expected a function, got {type(func).__name__}")
    name = getattr(func, "__name__", "f")
    mode = checked_mode(f"vmap({name})", randomness)
    check_chunk_size(f"vmap({name})", chunk_size)
    function = function_class(func)

    def mapped(*args, **kwargs):
        rule = None if function is None else checked_rule(function)
        leaves, dims, labels, rebuild = _flat_arguments(name, in_dims, args)
        dims = _argument_dims(name, dims, leaves, labels)
        size = _batch_size(name, leaves, dims, labels)
        if rule is not None:
            results = rule_results(function, rule, args, rebuild(dims), size, mode, kwargs)
            return _stacked(_Outputs(name, {}), results, out_dims)
        results, batch_nodes = [], {}       # id -> node (kept, so that ids stay unique)
        with randomness_scope(name, mode) as scope, per_example_calls():
            for b in range(size):
                if b and mode == "same":
                    scope.rewind()
                example = [_slice(a, d, b) for a, d in zip(leaves, dims)]
                batch_nodes.update((id(x._node), x._node) for x, d in zip(example, dims)
                                   if d is not None and isinstance(x, Tensor)
                                   and x._node is not None)
                try:
                    results.append(func(*rebuild(example), **kwargs))
                except AnomalyError as error:
                    raise in_example(error, f"vmap({name})", b) from None
                if anomaly_active():
                    check_mapped_example(f"vmap({name})",
                                         lambda ex: func(*rebuild(ex), **kwargs),
                                         example, results[-1], b)
        return _stacked(_Outputs(name, batch_nodes), results, out_dims)

    mapped.__name__ = f"vmap({name})"
    return mapped


def check_chunk_size(where: str, chunk_size) -> None:
    """Refuse a ``chunk_size`` PyTorch refuses (not None and not a positive int),
    naming ``where``; a valid one changes nothing here."""
    if chunk_size is None:
        return
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)):
        raise TypeError(f"{where}: chunk_size must be None or a positive int, got "
                        f"{type(chunk_size).__name__} {chunk_size!r}")
    if chunk_size <= 0:
        raise ValueError(f"{where}: chunk_size must be None or greater than 0, got "
                         f"{chunk_size}")


def _flat_arguments(name, in_dims, args):
    """``(leaves, dims, labels, rebuild)``: the arguments with each dict, list or tuple of arrays
    (``pytrees.is_tree``) replaced by its leaves, one in_dims entry per leaf (an
    argument's entry is its leaves' entry, or a container of entries shaped like the
    argument), how messages name each leaf, and ``rebuild(leaves)`` giving the
    arguments back."""
    labels = [f"argument {k}" for k in range(len(args))]
    if not any(is_tree(a) for a in args):
        return list(args), in_dims, labels, lambda leaves: leaves
    per_argument = _argument_entries(name, in_dims, args)
    leaves, dims, rebuilds, labels = [], [], [], []
    for k, (arg, dim) in enumerate(zip(args, per_argument)):
        if not is_tree(arg):
            leaves.append(arg)
            dims.append(dim)
            labels.append(f"argument {k}")
            rebuilds.append((1, None))
            continue
        parts, rebuild = flatten(arg)
        if isinstance(dim, (dict, list, tuple)):
            dim_parts, _ = flatten(dim)
            if len(dim_parts) != len(parts):
                raise ValueError(
                    f"vmap({name}): in_dims[{k}] has {len(dim_parts)} entries but argument "
                    f"{k} (a {type(arg).__name__}) holds {len(parts)} arrays; give one entry "
                    "per array in the same structure, or one int (or None) for all of them")
        else:
            dim_parts = [dim] * len(parts)
        leaves.extend(parts)
        dims.extend(dim_parts)
        labels.extend(f"array {j} of argument {k} ({type(arg).__name__})"
                      for j in range(len(parts)))
        rebuilds.append((len(parts), rebuild))

    def rebuild_arguments(values):
        rebuilt, start = [], 0
        for count, rebuild in rebuilds:
            part = values[start:start + count]
            rebuilt.append(part[0] if rebuild is None else rebuild(part))
            start += count
        return rebuilt

    return leaves, dims, labels, rebuild_arguments


def _argument_entries(name, in_dims, args) -> list:
    """One in_dims entry per argument (an int or None applies to every argument)."""
    if in_dims is None or isinstance(in_dims, (int, np.integer)):
        return [in_dims] * len(args)
    if len(in_dims) != len(args):
        raise ValueError(
            f"vmap({name}): in_dims has {len(in_dims)} entries but the call has "
            f"{len(args)} positional arguments; give one entry per argument (None for "
            "an argument that is not batched)")
    return list(in_dims)


def _argument_dims(name, in_dims, args, labels) -> list:
    dims = _argument_entries(name, in_dims, args)
    for label, arg, dim in zip(labels, args, dims):
        if dim is None:
            continue
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"vmap({name}): the in_dims entry for {label} must be an int "
                            f"or None, got {dim!r}")
        ndim = np.ndim(arg)
        if not -ndim <= dim < ndim:
            raise ValueError(
                f"vmap({name}): {label} has shape {np.shape(arg)}, which has no axis "
                f"{dim} to map over; pass in_dims=None for it to pass it whole")
    return [None if d is None else int(d) % np.ndim(a) for a, d in zip(args, dims)]


def _batch_size(name, args, dims, labels) -> int:
    sizes = {label: np.shape(a)[d] for label, a, d in zip(labels, args, dims)
             if d is not None}
    if not sizes:
        raise ValueError(f"vmap({name}): no argument is mapped (every in_dims entry is "
                         "None); map at least one")
    if len(set(sizes.values())) > 1:
        listed = ", ".join(f"{label}: {n}" for label, n in sizes.items())
        raise ValueError(f"vmap({name}): the mapped axes have different sizes ({listed}); "
                         "they must be equal")
    size = next(iter(sizes.values()))
    if size == 0:
        raise ValueError(f"vmap({name}): the mapped axis has size 0, so the function is "
                         "never called and the shape of its result is unknown")
    return size


def _slice(arg, dim, b):
    if dim is None:
        return arg
    return arg[(slice(None),) * dim + (b,)]


class _Outputs:
    """What stacking needs to know of the call: the function's name, and the nodes of
    the mapped slices (an output recorded from them depends on the batch)."""

    def __init__(self, name, batch_nodes):
        self.name, self.batch_nodes = name, batch_nodes

    def depends_on_batch(self, value) -> bool:
        """Whether the recorded graph of ``value`` reaches a mapped slice."""
        node = getattr(value, "_node", None)
        if not self.batch_nodes or node is None:
            return False
        todo, seen = [node], set()
        while todo:
            node = todo.pop()
            if id(node) in self.batch_nodes:
                return True
            for parent in node.parents:
                if parent.__class__ is Node and id(parent) not in seen:
                    seen.add(id(parent))
                    todo.append(parent)
        return False


def _is_dim(value) -> bool:
    return value is None or (isinstance(value, (int, np.integer))
                             and not isinstance(value, bool))


def _stacked(call, results, out_dims, where="out_dims"):
    """The per-example results stacked: one array per leaf of what ``func`` returns
    (a value, or a tuple, list or dict of them), along its entry of ``out_dims`` (an
    int or None for a whole part, or a container shaped like that part)."""
    name, first = call.name, results[0]
    if _is_dim(out_dims):
        if not isinstance(first, (dict, list, tuple)):
            return _stack_one(call, results, out_dims, where)
        leaves, rebuild = flatten(first)
        per_result = [flatten(r)[0] for r in results]
        if any(len(ls) != len(leaves) for ls in per_result):
            raise ValueError(f"vmap({name}): the calls returned containers of different "
                             "structures; they must agree to be stacked")
        return rebuild([_stack_one(call, [ls[k] for ls in per_result], out_dims, where)
                        for k in range(len(leaves))])
    if isinstance(out_dims, dict):
        if not isinstance(first, dict) or set(first) != set(out_dims):
            returned = (f"a dict with keys {_keys(first)}" if isinstance(first, dict)
                        else f"a value of type {type(first).__name__}")
            raise ValueError(f"vmap({name}): {where} is a dict with keys {_keys(out_dims)} "
                             f"but the function returns {returned} there; give out_dims "
                             "the structure of the output")
        return {key: _stacked(call, [r[key] for r in results], out_dims[key],
                              f"{where}[{key!r}]") for key in first}
    if isinstance(out_dims, (tuple, list)):
        if not isinstance(first, (tuple, list)):
            raise TypeError(f"vmap({name}): {where} must be an int or None, or a tuple with "
                            "one entry per value the function returns, got "
                            f"{out_dims!r} for a {type(first).__name__}")
        if len(out_dims) != len(first):
            raise ValueError(f"vmap({name}): {where} has {len(out_dims)} entries but the "
                             f"function returns {len(first)} values")
        parts = [_stacked(call, [r[k] for r in results], out_dims[k], f"{where}[{k}]")
                 for k in range(len(first))]
        return parts if isinstance(first, list) else (
            type(first)(*parts) if hasattr(first, "_fields") else type(first)(parts))
    raise TypeError(f"vmap({name}): {where} must be an int, None, or a tuple, list or dict "
                    f"of them shaped like the output, got {out_dims!r}")


def _keys(mapping) -> str:
    return "[" + ", ".join(sorted(map(repr, mapping))) + "]"


def _unbatched(call, values, where):
    """``out_dims=None``: the one value every example returned."""
    first = values[0]
    if call.depends_on_batch(first) or not all(_same_value(first, v) for v in values[1:]):
        raise ValueError(
            f"vmap({call.name}): {where} is None but that output depends on the mapped "
            "arguments (its value differs between examples or is computed from them); "
            "None is only for an output that is the same for the whole batch. Give it an "
            "int out_dims to stack it")
    return first


def _same_value(a, b) -> bool:
    if a is b:
        return True
    if isinstance(a, (Tensor, np.ndarray, np.generic, int, float, complex)) and isinstance(
            b, (Tensor, np.ndarray, np.generic, int, float, complex)):
        x = a.data if isinstance(a, Tensor) else np.asarray(a)
        y = b.data if isinstance(b, Tensor) else np.asarray(b)
        return (x.shape == y.shape and x.dtype == y.dtype
                and np.array_equal(x, y, equal_nan=x.dtype.kind in "fc"))
    return type(a) is type(b) and a == b


def _stack_one(call, values, dim, where="out_dims"):
    from .ops.shape import stack

    if dim is None:
        return _unbatched(call, values, where)
    name = call.name
    for value in values:
        if value is None or (not isinstance(value, Tensor)
                             and np.asarray(value).dtype.kind not in "biufc"):
            raise TypeError(
                f"vmap({name}): the function returned {type(value).__name__} "
                f"{value!r:.40} (alone or inside a tuple, list or dict), which cannot be "
                "stacked over the batch; return arrays, tensors or numbers (is a return "
                "statement missing?), or give it out_dims=None if it is the same for "
                "every example")
    shapes = {np.shape(v) for v in values}
    if len(shapes) > 1:
        raise ValueError(f"vmap({name}): the calls returned values of different shapes "
                         f"{sorted(shapes)}; they must agree to be stacked")
    ndim = len(next(iter(shapes))) + 1
    if not -ndim <= dim < ndim:
        raise ValueError(f"vmap({name}): out_dims {dim} is out of range for results with "
                         f"{ndim} axes after stacking")
    if any(isinstance(v, Tensor) for v in values):
        return stack(values, axis=dim)
    return np.stack([np.asarray(v) for v in values], axis=dim)
