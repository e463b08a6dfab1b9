"""``ad.autograd.functional``: PyTorch's ``torch.autograd.functional`` (``jacobian``,
``hessian``, ``vjp``, ``jvp``, ``hvp``, ``vhp``) on the library's transforms.

As in PyTorch, ``inputs`` is a tensor or a tuple of tensors and the results are
Tensors: for a tuple of inputs a tuple (one per input), for a tuple of outputs of
``jacobian`` a tuple per output.  With ``create_graph=True`` the results keep their
graph and can be differentiated again (autograd_functional_graph.py).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from . import autograd_functional_graph as with_graph
from . import autograd_functional_strict as strict_mode
from .tensor import Tensor

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]


def _inputs(where: str, inputs):
    several = isinstance(inputs, (tuple, list))
    items = tuple(inputs) if several else (inputs,)
    for k, item in enumerate(items):
        if not isinstance(item, Tensor):
            raise TypeError(f"autograd.functional.{where}: inputs[{k}] is a "
                            f"{type(item).__name__}; give a Tensor or a tuple of Tensors")
    return [np.array(item.data) for item in items], several


def _tensors(values, several: bool):
    # Without create_graph the results are values, off the tape also where func read
    # tensors that require grad (a model's parameters), as PyTorch's.
    out = tuple(Tensor(np.asarray(getattr(v, "data", v))) for v in values)
    return out if several else out[0]


def _vector(where: str, v, like, name="v", of="input"):
    items = tuple(v) if isinstance(v, (tuple, list)) else (v,)
    if len(items) != len(like):
        raise ValueError(f"autograd.functional.{where}: {name} has {len(items)} entries for "
                         f"{len(like)} {of}s")
    arrays = [np.asarray(getattr(item, "data", item), dtype=x.dtype) for item, x in
              zip(items, like)]
    for k, (a, x) in enumerate(zip(arrays, like)):
        if a.shape != x.shape:
            raise ValueError(f"autograd.functional.{where}: {name}[{k}] has shape {a.shape}, "
                             f"the {of} has shape {x.shape}")
    return arrays


def _argnums(count: int):
    return tuple(range(count)) if count > 1 else 0


def jacobian(func: Callable, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``, shaped ``output.shape + input.shape``
    (PyTorch's; tuples for several inputs or outputs, outputs first).

    >>> ad.autograd.functional.jacobian(lambda x: x ** 2, ad.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    from .forward import jacfwd
    from .transforms import jacobian as jacrev
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"autograd.functional.jacobian: strategy must be 'forward-mode' or "
                         f"'reverse-mode', got {strategy!r}")
    if create_graph and strategy == "forward-mode":
        raise NotImplementedError(
            "autograd.functional.jacobian: create_graph=True and strategy='forward-mode' "
            "are not supported together (as in PyTorch); use strategy='reverse-mode'")
    if strict:
        _strict_jacobian(func, inputs, create_graph, vectorize, strategy)
    if create_graph:
        return with_graph.jacobian(func, inputs)
    arrays, several_inputs = _inputs("jacobian", inputs)
    transform = jacfwd if strategy == "forward-mode" else jacrev
    probe = func(*[Tensor(a) for a in arrays])
    several_outputs = isinstance(probe, (tuple, list))
    per_output = []
    for index in range(len(probe) if several_outputs else 1):
        def one(*xs, index=index):
            out = func(*xs)
            return out[index] if several_outputs else out
        jac = transform(one, argnums=_argnums(len(arrays)))(*arrays)
        per_output.append(_tensors(jac if len(arrays) > 1 else (jac,), several_inputs))
    return tuple(per_output) if several_outputs else per_output[0]


def hessian(func: Callable, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of scalar ``func`` at ``inputs`` (PyTorch's; for several inputs a
    tuple of tuples, ``[i][j]`` shaped ``inputs[i].shape + inputs[j].shape``).

    >>> ad.autograd.functional.hessian(lambda x: (x ** 3).sum(), ad.tensor([1.0, 2.0]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    from .transforms import grad, jacobian as jacrev
    if strict:
        _strict_jacobian(func, inputs, create_graph, vectorize, outer_jacobian_strategy,
                         "hessian")
    if create_graph:
        return with_graph.hessian(func, inputs)
    arrays, several = _inputs("hessian", inputs)
    n = len(arrays)
    rows = []
    for i in range(n):
        def gradient_i(*xs, i=i):
            g = grad(func, argnums=_argnums(n))(*xs)
            return g[i] if n > 1 else g
        block = jacrev(gradient_i, argnums=_argnums(n))(*arrays)
        rows.append(_tensors(block if n > 1 else (block,), several))
    return tuple(rows) if several else rows[0]


def vjp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), vᵀ J)`` (PyTorch's; ``v`` may be omitted for a one-element
    output).

    >>> ad.autograd.functional.vjp(lambda x: x * 3, ad.tensor([1.0, 2.0]), ad.ones(2))[1]
    tensor([3., 3.])
    """
    from .transforms import vjp as reverse
    if strict:
        strict_mode.check("vjp", func, inputs, create_graph)
    if create_graph:
        return with_graph.vjp(func, inputs, v)
    arrays, several = _inputs("vjp", inputs)
    out, pullback = reverse(func, *arrays)
    several_outputs = isinstance(out, (tuple, list))
    outs = [np.asarray(getattr(o, "data", o)) for o in (out if several_outputs else (out,))]
    if v is None:
        with_graph.check_v_may_be_omitted(outs, several_outputs)
        v = np.ones_like(outs[0])
    upstream = _vector("vjp", v, outs, of="output")
    products = pullback(tuple(upstream) if several_outputs else upstream[0])
    return _tensors(outs, several_outputs), _tensors(products, several)


def jvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J v)`` (PyTorch's; ``v`` may be omitted for a one-element
    input).

    >>> ad.autograd.functional.jvp(lambda x: x * 3, ad.tensor([1.0, 2.0]), ad.ones(2))[1]
    tensor([3., 3.])
    """
    from .forward import jvp as forward
    if strict:
        strict_mode.check("jvp", func, inputs, create_graph)
    if create_graph:
        return with_graph.jvp(func, inputs, v)
    arrays, _ = _inputs("jvp", inputs)
    if v is None:
        if len(arrays) != 1 or arrays[0].size != 1:
            raise RuntimeError("autograd.functional.jvp: v may only be omitted for a single "
                               "one-element input")
        v = np.ones_like(arrays[0])
    tangents = _vector("jvp", v, arrays)
    out, tangent = forward(func, tuple(arrays), tuple(tangents))
    return _as_tensors(out), _as_tensors(tangent)


def _as_tensors(value):
    """A result as Tensors, a tuple of outputs as a tuple of them."""
    if isinstance(value, (tuple, list)):
        return tuple(_as_tensors(v) for v in value)
    return Tensor(np.asarray(getattr(value, "data", value)))


def hvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), H v)`` for scalar ``func`` (PyTorch's; tuples for several
    inputs).

    >>> ad.autograd.functional.hvp(lambda x: (x ** 3).sum(), ad.tensor([1.0, 2.0]),
    ...                            ad.ones(2))[1]
    tensor([ 6., 12.])
    """
    from .forward import jvp as forward
    from .transforms import grad
    if strict:
        strict_mode.check("hvp", func, inputs, create_graph)
    if create_graph:
        return with_graph.hvp(func, inputs, v)
    arrays, several = _inputs("hvp", inputs)
    vectors = _vector("hvp", v, arrays)
    n = len(arrays)
    value = func(*[Tensor(a) for a in arrays])
    value = np.asarray(getattr(value, "data", value))
    if value.size != 1:
        raise RuntimeError(f"autograd.functional.hvp: func must return one element, got shape "
                           f"{value.shape}")
    results = []
    for i in range(n):
        def gradient_i(*xs, i=i):
            g = grad(func, argnums=_argnums(n))(*xs)
            return g[i] if n > 1 else g
        _, product = forward(gradient_i, tuple(arrays), tuple(vectors))
        results.append(product)
    return Tensor(value), _tensors(results, several)


def vhp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), vᵀ H)``: the same as ``hvp`` (a Hessian is symmetric)."""
    if strict:
        strict_mode.check("vhp", func, inputs, create_graph)
    return hvp(func, inputs, v, create_graph)


def _strict_jacobian(func, inputs, create_graph, vectorize, strategy, where="jacobian"):
    """PyTorch's strict-mode checks of ``jacobian`` (and ``hessian``'s outer one), with
    its refusals of ``strict=True`` alongside vectorize or forward mode."""
    if strategy == "forward-mode":
        raise RuntimeError('torch.autograd.functional.jacobian: `strict=True` and '
                           '`strategy="forward-mode"` are not supported together (yet). '
                           'Please either set `strict=False` or `strategy="reverse-mode"`.')
    strict_mode.check(where, func, inputs, create_graph, elementwise=not vectorize)
    if vectorize:
        raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and "
                           "`vectorized=True` are not supported together. Please either "
                           "set `strict=False` or `vectorize=False`.")
