"""``linearize``: the function run once, its linear map kept for any number of tangents.

``linearize(f, *primals)`` runs ``f`` once on the tape (as ``jvp`` does) and prepares the
tangent pass through the recorded nodes (``forward.TangentProgram``); each call of the
returned ``jvp_fn(*tangents)`` pushes its tangents through those nodes only, without
running ``f`` again, as ``torch.func.linearize`` does.  The values the nodes saved are
the ones of that one run.

>>> calls = []
>>> def f(x):
...     calls.append(1)
...     return ad.sin(x) * x
>>> out, jvp_fn = linearize(f, np.array([0.0, 1.0]))
>>> jvp_fn(np.array([1.0, 0.0])), jvp_fn(np.array([0.0, 1.0])), len(calls)
(array([0., 0.]), array([0.        , 1.38177329]), 1)
"""

from __future__ import annotations

import numpy as np

from .compile.hooks import refuse_transform_in_trace
from .forward import TangentProgram, _run_for_jvp, check_tangent
from .graph import is_grad_enabled
from .guard import holding_inputs
from .pytrees import flatten_arguments, is_tree
from .tensor import Tensor
from .transforms import check_function, inside_transform, owned, retire


def _zero_tangent(primal):
    if isinstance(primal, (int, float)) and not isinstance(primal, bool):
        return np.zeros((), dtype=float)
    values = primal.data if isinstance(primal, Tensor) else np.asarray(primal)
    return np.zeros_like(values)


def linearize(func, *primals):
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` is the Jacobian of ``func`` at
    ``primals`` times ``tangents``, computed from the one run of ``func`` (see the
    module docstring).  A dict, list or tuple primal takes its tangent in the same
    structure; a tuple, list or dict output gives its tangents in that structure."""
    check_function(func, "linearize")
    refuse_transform_in_trace("linearize")
    where = "linearize"
    if any(is_tree(p) for p in primals):
        leaves, regroup = flatten_arguments(primals)
        output, flat_jvp = linearize(lambda *values: func(*regroup(values)), *leaves)

        def tree_jvp_fn(*tangents):
            _check_count(tangents, len(primals))
            tangent_leaves, _ = flatten_arguments(tangents)
            return flat_jvp(*tangent_leaves)
        return output, tree_jvp_fn
    record_outer = is_grad_enabled()
    zeros = tuple(_zero_tangent(p) for p in primals)
    with holding_inputs(), inside_transform(forward_mode=True):
        _, inputs, outs, _, container, record = _run_for_jvp(func, primals, zeros,
                                                             record_outer)
        # A tangent that requires grad (jvp_fn(t) with t.requires_grad) needs the tangent
        # pass recorded, as jvp records it; that program is prepared here, while the
        # inputs are the transform's.  The primal values enter it as constants, whether
        # or not the primals need grad: as in PyTorch, a backward through a jvp_fn
        # result reaches the tangents only (the output ``f(*primals)`` reaches the
        # primals), and does not free the one run that every later call reads.
        recorded_program = (TangentProgram(outs, inputs, True, where, constant_primals=True)
                            if record_outer else None)
        program = TangentProgram(outs, inputs, False, where)
        retire(inputs)
    checked = [p.data if isinstance(p, Tensor) else np.asarray(p, dtype=float)
               if isinstance(p, (int, float)) else p for p in primals]
    given = [t.data for t in inputs]
    values = outs if record else [owned(o.data, given) for o in outs]

    def jvp_fn(*tangents):
        # its tangent pass runs outside the ops a compiled function records (a replay
        # would give the traced call's tangents)
        refuse_transform_in_trace("func.linearize's jvp_fn")
        _check_count(tangents, len(primals))
        recording = recorded_program is not None and is_grad_enabled() and any(
            isinstance(t, Tensor) and t.requires_grad for t in tangents)
        seeds = []
        for k, (primal, tangent) in enumerate(zip(checked, tangents)):
            if isinstance(tangent, (int, float)) and not isinstance(tangent, bool):
                tangent = np.asarray(tangent, dtype=float)
            check_tangent(primal, tangent, k, where)
            if recording:
                seeds.append(tangent if isinstance(tangent, Tensor) else Tensor(tangent))
            else:
                seeds.append(tangent.data if isinstance(tangent, Tensor)
                             else np.asarray(tangent))
        out_tangents = (recorded_program if recording else program)(seeds)
        if not recording:
            out_tangents = [owned(t, given + seeds) for t in out_tangents]
        return out_tangents[0] if container is None else container(out_tangents)

    return (values[0] if container is None else container(values)), jvp_fn


def _check_count(tangents, expected) -> None:
    if len(tangents) != expected:
        raise ValueError(f"linearize: jvp_fn expected {expected} tangents, one per primal, "
                         f"got {len(tangents)}")
