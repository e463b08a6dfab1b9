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
Random draws inside ``f`` differ per example (``torch.func.vmap``'s
``randomness="different"``).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .pytrees import flatten, is_tree
from .tensor import Tensor


def vmap(func: Callable, in_dims: int | None | Sequence[int | None] = 0,
         out_dims: int | Sequence[int] = 0) -> Callable:
    """``func`` mapped over axis ``in_dims`` of its positional arguments; the results
    are stacked along ``out_dims`` (``torch.func.vmap``'s and ``jax.vmap``'s
    arguments).  ``in_dims`` is one int (every argument batched along that axis) or
    one entry per argument, ``None`` for an argument passed whole to every call;
    keyword arguments are passed whole.  A dict, list or tuple of arrays is mapped
    array by array: its entry is one int (or None) for all of them, or the same
    structure with one entry per array (``in_dims=({"w": 0, "b": None},)``).

    >>> norms = ad.vmap(lambda v: np.sqrt((v * v).sum()))
    >>> norms(ad.tensor([[3.0, 4.0], [6.0, 8.0]]))
    tensor([ 5., 10.])
    >>> w = np.array([1.0, 2.0])
    >>> per_example = ad.vmap(ad.grad(lambda w, x: (w @ x) ** 2), in_dims=(None, 0))
    >>> per_example(w, np.array([[1.0, 0.0], [0.0, 1.0]]))       # 2 (w·x) x, per row
    array([[2., 0.],
           [0., 4.]])
    """
    if not callable(func):
        raise TypeError(f"vmap: expected a function, got {type(func).__name__}")
    name = getattr(func, "__name__", "f")

    def mapped(*args, **kwargs):
        leaves, dims, labels, rebuild = _flat_arguments(name, in_dims, args)
        dims = _argument_dims(name, dims, leaves, labels)
        size = _batch_size(name, leaves, dims, labels)
        results = [func(*rebuild([_slice(a, d, b) for a, d in zip(leaves, dims)]), **kwargs)
                   for b in range(size)]
        return _stacked(name, results, out_dims)

    mapped.__name__ = f"vmap({name})"
    return mapped


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


def _stacked(name, results, out_dims):
    """The per-example results stacked: one array per leaf of what ``func`` returns
    (a value, or a tuple, list or dict of them), along its entry of ``out_dims``."""
    first = results[0]
    if not isinstance(out_dims, (int, np.integer)) or isinstance(out_dims, bool):
        dims = list(out_dims) if isinstance(out_dims, (tuple, list)) else None
        if dims is None or not isinstance(first, (tuple, list)):
            raise TypeError(f"vmap({name}): out_dims must be an int, or a tuple with one "
                            f"entry per value the function returns, got {out_dims!r}")
        if len(dims) != len(first):
            raise ValueError(f"vmap({name}): out_dims has {len(dims)} entries but the "
                             f"function returns {len(first)} values")
        parts = [_stacked(name, [r[k] for r in results], dims[k]) for k in range(len(first))]
        return parts if isinstance(first, list) else type(first)(parts)
    if not isinstance(first, (dict, list, tuple)):
        return _stack_one(name, results, out_dims)
    leaves, rebuild = flatten(first)
    per_result = [flatten(r)[0] for r in results]
    if any(len(ls) != len(leaves) for ls in per_result):
        raise ValueError(f"vmap({name}): the calls returned containers of different "
                         "structures; they must agree to be stacked")
    return rebuild([_stack_one(name, [ls[k] for ls in per_result], out_dims)
                    for k in range(len(leaves))])


def _stack_one(name, values, dim):
    from .ops.shape import stack

    for value in values:
        if value is None or (not isinstance(value, Tensor)
                             and np.asarray(value).dtype.kind not in "biufc"):
            raise TypeError(
                f"vmap({name}): the function returned {type(value).__name__} "
                f"{value!r:.40} (alone or inside a tuple, list or dict), which cannot be "
                "stacked over the batch; return arrays, tensors or numbers (is a return "
                "statement missing?)")
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
