"""Jacobians and VJPs of a function that returns a dict, list or tuple of arrays.

``torch.func.jacrev`` and ``jacfwd`` take such functions and give one Jacobian per
output, in the output's structure, each in turn in the structure of the arguments
(``jacrev(f)(params)["loss"]["w"]``).  Here the outputs are joined into one flat
vector (``concatenate`` of the raveled parts, a recorded op, so the Jacobians nest),
the Jacobian of that vector is taken as usual, and its rows are cut back into one
block per output.  This is what makes ``hessian = jacfwd(jacrev(f))`` work for a
function of a dict: ``jacrev`` returns a dict, whose Jacobian ``jacfwd`` then takes.
``vjp`` joins the outputs the same way, and the cotangents (in the output's
structure) likewise.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .pytrees import flatten, is_tree
from .tensor import Tensor


def jacobian_of_tree_output(jacobian_of: Callable, func: Callable, where: str,
                            in_output_dtype: bool = False):
    """``jacobian_of(func)``, and where ``func`` returns a container of arrays, its
    Jacobians in that structure: ``out_leaf.shape + argument.shape`` each.

    ``jacobian_of(f)`` computes the Jacobian (or tuple, or argument-shaped container
    of Jacobians) of a function ``f`` with one array output.  ``in_output_dtype``:
    each block takes its output's float dtype (forward mode's tangents have it; joining
    a float32 and a float64 output would otherwise give float64 for both).
    """
    layout = {}

    def joined(*args, **kwargs):
        out = func(*args, **kwargs)
        if not is_container_output(out):
            return out
        leaves, rebuild = _leaves_of(out, where)
        layout["rebuild"], layout["shapes"] = rebuild, [np.shape(v) for v in leaves]
        layout["dtypes"] = [_float_dtype(v) if in_output_dtype else None for v in leaves]
        return _joined_leaves(leaves, where)

    joined.__name__ = getattr(func, "__name__", "f")
    jacobians = jacobian_of(joined)
    if not layout:
        return jacobians
    return _split_rows(jacobians, layout["rebuild"], layout["shapes"], layout["dtypes"])


def is_container_output(out) -> bool:
    """Whether a function's output is a dict, list or tuple of arrays (not one array)."""
    return isinstance(out, dict) or (isinstance(out, (tuple, list)) and is_tree(out))


def _leaves_of(out, where):
    """``flatten(out)``, refusing a container with nothing to differentiate."""
    leaves, rebuild = flatten(out)
    if not leaves:
        raise ValueError(f"{where}: the function returned an empty {type(out).__name__}; "
                         "there is nothing to differentiate")
    return leaves, rebuild


def _float_dtype(value):
    dtype = value.dtype if isinstance(value, Tensor) else np.asarray(value).dtype
    return dtype if dtype.kind == "f" else None


def _joined_leaves(leaves, where):
    from .ops.shape import concatenate

    flat = []
    for k, leaf in enumerate(leaves):
        if leaf is None:
            raise TypeError(f"{where}: output {k} of the returned container is None; "
                            "return arrays or tensors")
        flat.append(leaf.reshape(-1) if isinstance(leaf, Tensor)
                    else np.asarray(leaf).reshape(-1))
    return concatenate(flat)


def _split_rows(jacobians, rebuild_outputs, shapes, dtypes):
    """Cut each Jacobian of the joined vector (rows first) into one block per output
    leaf (in ``dtypes[k]`` where given), and give each block the output's structure
    outside the arguments' one."""
    per_argument, rebuild_arguments = flatten(jacobians)
    blocks = [[] for _ in shapes]
    for jacobian in per_argument:
        argument_shape = tuple(jacobian.shape[1:])
        start = 0
        for k, shape in enumerate(shapes):
            stop = start + int(np.prod(shape, dtype=int))
            block = jacobian[start:stop].reshape(tuple(shape) + argument_shape)
            if dtypes[k] is not None and block.dtype != dtypes[k]:
                block = block.astype(dtypes[k])
            blocks[k].append(block)
            start = stop
    return rebuild_outputs([rebuild_arguments(block) for block in blocks])


def vjp_of_tree_output(run_vjp: Callable, func: Callable) -> tuple:
    """``run_vjp(func)`` (an ``(output, pullback)`` pair), and where ``func`` returns a
    container of arrays, the output in that structure and a pullback that takes
    cotangents in it, as ``torch.func.vjp``."""
    layout = {}

    def joined(*args, **kwargs):
        out = func(*args, **kwargs)
        if not is_container_output(out):
            return out
        leaves, rebuild = _leaves_of(out, "vjp")
        layout.update(rebuild=rebuild, shapes=[np.shape(v) for v in leaves],
                      dtypes=[_float_dtype(v) for v in leaves], kind=type(out).__name__)
        return _joined_leaves(leaves, "vjp")

    joined.__name__ = getattr(func, "__name__", "f")
    out, pullback = run_vjp(joined)
    if not layout:
        return out, pullback
    shapes, dtypes, rebuild = layout["shapes"], layout["dtypes"], layout["rebuild"]
    structure = rebuild(range(len(shapes)))
    parts, start = [], 0
    for shape, dtype in zip(shapes, dtypes):
        stop = start + int(np.prod(shape, dtype=int))
        part = out[start:stop].reshape(shape)
        parts.append(part if dtype is None or part.dtype == dtype else part.astype(dtype))
        start = stop

    def tree_pullback(cotangent):
        leaves, cotangent_rebuild = flatten(cotangent)
        if (not isinstance(cotangent, (dict, list, tuple))
                or cotangent_rebuild(range(len(leaves))) != structure):
            raise ValueError(
                f"vjp: the cotangent must have the structure of the output (a "
                f"{layout['kind']} of {len(shapes)} arrays, the same keys and nesting), "
                f"got {type(cotangent).__name__}")
        for k, (leaf, shape) in enumerate(zip(leaves, shapes)):
            if np.shape(leaf) != tuple(shape):
                raise ValueError(f"vjp: cotangent {k} of the {layout['kind']} has shape "
                                 f"{np.shape(leaf)} but its output has shape {tuple(shape)}; "
                                 "they must match")
        return pullback(_joined_leaves(leaves, "vjp"))

    return rebuild(parts), tree_pullback
