"""``ad.autograd``: PyTorch's ``torch.autograd.grad``, ``detect_anomaly``, ``gradcheck``,
``gradgradcheck`` and ``Function`` (``ad.Function``, for
``class F(torch.autograd.Function)``).

``ad.autograd.grad(outputs, inputs)`` returns the gradients of ``outputs`` with
respect to ``inputs`` as a tuple of tensors, without touching any ``.grad`` (the
reverse pass with ``inputs=``, ``graph.run_backward``).  ``ad.grad`` is the other
kind, a transform of functions (``jax.grad``, ``torch.func.grad``).
"""

from __future__ import annotations

import sys
import threading

import numpy as np

from .anomaly import detect_anomaly
from . import autograd_functional as functional
from . import autograd_function as function  # noqa: F401  (ad.autograd.function, as torch's)
from . import autograd_graph as graph  # noqa: F401  (ad.autograd.graph, as torch's)
from . import forward_ad  # noqa: F401  (ad.autograd.forward_ad, as torch's)
from .autograd_checks import gradcheck, gradgradcheck
from .compile.hooks import refuse_transform_in_trace
from .function import Function, FunctionCtx
from .grad_attr import root_grad
from .graph import Node, _accumulate_into_leaf, _grad_mode, enable_grad, run_backward
from .tensor import Tensor

# ``import autodiff.autograd.forward_ad as fwAD``, as PyTorch's tutorial imports it
sys.modules[__name__ + ".forward_ad"] = forward_ad
sys.modules[__name__ + ".function"] = function

__all__ = ["grad", "backward", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "Function", "FunctionCtx", "gradcheck", "gradgradcheck", "functional", "Variable",
           "forward_ad", "function"]


class _VariableType(type):
    def __instancecheck__(cls, value) -> bool:
        return isinstance(value, Tensor)


class Variable(metaclass=_VariableType):
    """PyTorch's old wrapper, kept for old scripts as PyTorch keeps it:
    ``Variable(t, requires_grad=False)`` is a new Tensor sharing ``t``'s values, outside
    any graph, and every Tensor is an instance of ``Variable``.

    >>> v = ad.autograd.Variable(ad.ones(2), requires_grad=True)
    >>> v.requires_grad, isinstance(ad.zeros(1), ad.autograd.Variable)
    (True, True)
    """

    def __new__(cls, data, requires_grad: bool = False, volatile: bool = False):
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got "
                            f"{type(data).__name__}; wrap arrays with ad.tensor(...)")
        if volatile:
            import warnings
            warnings.warn("Variable: volatile was removed and now has no effect (as in "
                          "PyTorch). Use `with ad.no_grad():` instead.", UserWarning,
                          stacklevel=2)
        return data.detach().requires_grad_(requires_grad)


def _tensors(value, what: str, where: str = "autograd.grad") -> list:
    """One tensor or any iterable of them (``dict.values()``, a generator), as PyTorch."""
    if isinstance(value, (Tensor, np.ndarray, str)) or not hasattr(value, "__iter__"):
        items = [value]
    else:
        items = list(value)
    for k, item in enumerate(items):
        if not isinstance(item, Tensor):
            raise TypeError(f"{where}: {what}[{k}] is a {type(item).__name__}, not a "
                            "Tensor")
    return items


def _seeds(grad_outputs, outputs, create_graph: bool) -> list:
    if grad_outputs is None:
        given = [None] * len(outputs)
    elif isinstance(grad_outputs, (list, tuple)):
        given = list(grad_outputs)
    else:
        given = [grad_outputs]
    if len(given) != len(outputs):
        raise ValueError(f"autograd.grad: got {len(given)} grad_outputs for {len(outputs)} "
                         "outputs; give one per output (None for a one-element output)")
    seeds = []
    for k, (out, seed) in enumerate(zip(outputs, given)):
        if seed is None and out.size != 1:
            raise RuntimeError(
                f"autograd.grad: output {k} has shape {out.shape}, and a gradient can be "
                "implicitly created only for a one-element output; pass grad_outputs= (an "
                f"array of shape {out.shape} for it), or reduce the output first")
        shape = np.shape(getattr(seed, "data", seed))
        if seed is not None and shape != out.shape:
            raise ValueError(f"autograd.grad: grad_outputs[{k}] has shape {shape} but output "
                             f"{k} has shape {out.shape}; they must match")
        seeds.append(root_grad(out, seed, create_graph))
    return seeds


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False,
         materialize_grads=False) -> tuple:
    """The gradients of ``outputs`` (weighted by ``grad_outputs``) with respect to each
    of ``inputs``, as a tuple of tensors, as ``torch.autograd.grad``: no ``.grad`` is
    written; ``create_graph=True`` records them for higher derivatives (and keeps the
    graph: ``retain_graph`` defaults to ``create_graph``).  An input the outputs do not
    depend on raises, unless ``allow_unused=True``: then its gradient is None (zeros
    with ``materialize_grads=True``).  Each input gets its total derivative, also
    through the other inputs (``h = x * x``: the gradient for ``x`` includes the
    path through ``h``).  ``only_inputs`` is ignored, as PyTorch ignores it (deprecated;
    False warns, as there).

    >>> x = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> ad.autograd.grad((x ** 2).sum(), x)
    (tensor([2., 4.]),)
    """
    refuse_transform_in_trace("autograd.grad")
    if not only_inputs:
        from .tape_drop import user_frame, warn_at
        warn_at(user_frame(), "autograd.grad: only_inputs argument is deprecated and is "
                "ignored now (defaults to True). To accumulate gradient for other parts of "
                "the graph, please use backward().", FutureWarning)
    if is_grads_batched:
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                             allow_unused, materialize_grads)
    if materialize_grads and allow_unused is False:
        raise ValueError("autograd.grad: materialize_grads=True needs allow_unused=True "
                         "(or None), as in PyTorch")
    allow_unused = bool(allow_unused) or bool(materialize_grads)
    outputs, inputs = _tensors(outputs, "outputs"), _tensors(inputs, "inputs")
    if not outputs or not inputs:
        raise ValueError("autograd.grad: needs at least one output and one input")
    for k, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"autograd.grad: input {k} (shape {t.shape}) does not require "
                               "grad, so it has no gradient; create it with "
                               "requires_grad=True")
    for k, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"autograd.grad: output {k} (shape {out.shape}) does not "
                               "require grad and has no recorded history from an input that "
                               "does")
    retain_graph = create_graph if retain_graph is None else retain_graph
    seeds = _seeds(grad_outputs, outputs, create_graph)
    if len(outputs) == 1:
        root, seed = outputs[0], seeds[0]
    else:
        # One pass from the weighted sum of the outputs: its gradient with respect to
        # each output is that output's seed, and each node runs once.
        with enable_grad():
            root = sum(((out * s).sum() for out, s in zip(outputs, seeds)), start=0.0)
        seed = root_grad(root, None, create_graph)
    _grad_mode.backward_in_transform = _grad_mode.transform_depth > 0 and "autograd.grad"
    try:
        results = run_backward(root, seed, inputs=inputs, retain_graph=retain_graph,
                               create_graph=create_graph, through_inputs=True,
                               stop_at=inputs_on_no_input_path(inputs))
    finally:
        _grad_mode.backward_in_transform = False
    gradients = []
    for k, (t, g) in enumerate(zip(inputs, results)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"autograd.grad: input {k} (shape {t.shape}) was not used to compute the "
                    "outputs (no differentiable path reaches it); pass allow_unused=True to "
                    "get None for it")
            gradients.append(Tensor(np.zeros_like(t.data)) if materialize_grads else None)
        elif isinstance(g, Tensor):
            gradients.append(g)
        else:
            if type(g) is not np.ndarray:   # (a NumPy scalar, from a rule on 0-d values)
                g = np.asarray(g)
            gradients.append(Tensor(np.array(g, dtype=t.dtype, copy=g is seed)))
    return tuple(gradients)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                  allow_unused, materialize_grads) -> tuple:
    """``grad(..., is_grads_batched=True)``: each ``grad_outputs`` carries a leading
    batch dim, and each input's gradients come stacked along it (PyTorch vmaps the
    pass; here it runs once per batch entry)."""
    from .ops.shape import stack
    where = "autograd.grad(is_grads_batched=True)"
    if grad_outputs is None:
        raise ValueError(f"{where}: give grad_outputs, each with a leading batch dim")
    several = isinstance(grad_outputs, (tuple, list))
    seeds = [s if isinstance(s, Tensor) else Tensor(np.asarray(s))
             for s in (grad_outputs if several else (grad_outputs,))]
    sizes = {s.shape[0] if s.ndim else None for s in seeds}
    if len(sizes) != 1 or None in sizes:
        raise ValueError(f"{where}: the grad_outputs need one leading batch dim of the same "
                         f"size, got shapes {[tuple(s.shape) for s in seeds]}")
    batch = sizes.pop()
    retain_last = create_graph if retain_graph is None else retain_graph
    rows = []
    for b in range(batch):
        entry = [s[b] for s in seeds]
        rows.append(grad(outputs, inputs, entry if several else entry[0],
                         retain_graph=True if b < batch - 1 else retain_last,
                         create_graph=create_graph, allow_unused=allow_unused,
                         materialize_grads=materialize_grads))
    return tuple(None if column[0] is None else stack(list(column)) for column in zip(*rows))


def inputs_on_no_input_path(inputs) -> list:
    """The inputs (with a history) whose history holds no other input: a pass for the
    total derivatives need not go on past them, so it stops there (past a transform's
    argument it would reach the transform's outer tensor, which refuses to be passed
    inside the transform's function).

    >>> x = ad.tensor([1.0], requires_grad=True)
    >>> h = x * 2
    >>> [t is h for t in inputs_on_no_input_path([h])], inputs_on_no_input_path([x, h])
    ([True], [])
    """
    nodes = {t._node for t in inputs if t._node is not None}
    leaves = {id(t) for t in inputs if t._node is None}
    ends = []
    for t in inputs:
        start = t._node
        if start is None:
            continue
        pending, seen, reaches = list(start.parents), set(), False
        while pending and not reaches:
            parent = pending.pop()
            if parent is None or not parent.requires_grad:
                continue
            if parent.__class__ is not Node:
                reaches = id(parent) in leaves
            elif parent not in seen:
                seen.add(parent)
                reaches = parent in nodes
                pending.extend(parent.parents)
        if not reaches:
            ends.append(t)
    return ends


def backward_into(root: Tensor, seed, inputs, retain_graph: bool, create_graph: bool) -> None:
    """``root.backward(seed, inputs=inputs)``: each of ``inputs`` (leaves or not) gets
    its total derivative added into its ``.grad``; no other ``.grad`` changes."""
    inputs = list({id(t): t for t in _tensors(inputs, "inputs", "backward")}.values())
    if not inputs:
        raise ValueError("backward: inputs= is empty; pass the tensors whose .grad should "
                         "receive the gradient, or leave inputs out for every leaf")
    for k, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"backward: inputs[{k}] (shape {t.shape}) does not require "
                               "grad, so it cannot receive a gradient")
    results = run_backward(root, seed, inputs=inputs, retain_graph=retain_graph,
                           create_graph=create_graph, through_inputs=True,
                           stop_at=inputs_on_no_input_path(inputs))
    for t, g in zip(inputs, results):
        if g is not None:
            _accumulate_into_leaf(t, g, create_graph)
    from . import hooks
    if hooks.post_accumulate:
        for t, g in zip(inputs, results):
            if g is not None and t._node is None:
                hooks.run_post_accumulate_hooks(t)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False,
             inputs=None) -> None:
    """PyTorch's ``torch.autograd.backward``: the reverse pass from several tensors at
    once, each with its upstream gradient (``grad_tensors``; omitted for one-element
    tensors), summed into the leaves' ``.grad`` in one pass.

    >>> x = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> ad.autograd.backward([x * 2, (x ** 2).sum()], [np.ones(2), None]); x.grad
    array([4., 6.])
    """
    roots = _tensors(tensors, "tensors", "autograd.backward")
    if grad_tensors is None:
        seeds = [None] * len(roots)
    else:
        seeds = list(grad_tensors) if isinstance(grad_tensors, (list, tuple)) else [grad_tensors]
    if len(seeds) != len(roots):
        raise ValueError(f"autograd.backward: got {len(seeds)} grad_tensors for "
                         f"{len(roots)} tensors; give one per tensor (None for a "
                         "one-element tensor)")
    retain = create_graph if retain_graph is None else retain_graph
    if len(roots) == 1:
        roots[0].backward(seeds[0], retain_graph=retain, create_graph=create_graph,
                          inputs=inputs)
        return
    # One pass from the sum of <root, seed>: the same as a pass from each, added up.
    from .ops.reduce import sum as total
    combined = None
    with enable_grad():                 # (the sum must be recorded, also under no_grad)
        for k, (root, seed) in enumerate(zip(roots, seeds)):
            if seed is None:
                if root.size != 1:
                    raise RuntimeError(f"autograd.backward: tensors[{k}] has shape "
                                       f"{root.shape}; give its grad_tensors entry (a "
                                       "gradient of that shape)")
                seed = np.ones(root.shape, root.dtype)
            seed_values = seed if isinstance(seed, Tensor) and create_graph else \
                np.asarray(getattr(seed, "data", seed))
            if np.shape(getattr(seed_values, "data", seed_values)) != root.shape:
                raise RuntimeError(f"autograd.backward: grad_tensors[{k}] has shape "
                                   f"{np.shape(getattr(seed_values, 'data', seed_values))} "
                                   f"but tensors[{k}] has shape {root.shape}")
            term = total(root * seed_values)
            combined = term if combined is None else combined + term
    combined.backward(retain_graph=retain, create_graph=create_graph, inputs=inputs)



class set_detect_anomaly:
    """PyTorch's switch for ``detect_anomaly``: ``set_detect_anomaly(True)`` turns it on
    until ``set_detect_anomaly(False)`` (in this thread); as a context manager it
    restores the previous setting at the end of the block.

    >>> _ = ad.autograd.set_detect_anomaly(True); ad.autograd.is_anomaly_enabled()
    True
    >>> _ = ad.autograd.set_detect_anomaly(False); ad.autograd.is_anomaly_enabled()
    False
    """

    def __init__(self, mode: bool, check_nan: bool = True):
        if not isinstance(mode, bool):
            raise TypeError(f"set_detect_anomaly: mode must be a bool, got "
                            f"{type(mode).__name__}")
        if not check_nan:
            raise NotImplementedError("set_detect_anomaly: check_nan=False is not supported; "
                                      "the checks look for NaN (and inf in gradients)")
        self._previous = is_anomaly_enabled()
        _switch_anomaly(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _switch_anomaly(self._previous)
        return False


_switched = threading.local()           # the detect_anomaly block set_detect_anomaly opened


def is_anomaly_enabled() -> bool:
    """Whether ``set_detect_anomaly(True)`` or a ``detect_anomaly`` block is in effect."""
    from .anomaly import _local
    return _local.state is not None


def _switch_anomaly(mode: bool) -> None:
    block = getattr(_switched, "block", None)
    if mode and block is None and not is_anomaly_enabled():
        _switched.block = detect_anomaly()
        _switched.block.__enter__()
    elif not mode and block is not None:
        block.__exit__(None, None, None)
        _switched.block = None
