"""Function transforms: grad, value_and_grad, jacobian, hvp.

They call the function with Tensors and ask the tape for the gradient with respect
to exactly those inputs, without touching any ``.grad``.  When they are called with
Tensors that are themselves being differentiated (``grad(grad(f))``), the result is
computed with ``create_graph=True`` and returned as Tensors, so transforms compose.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .graph import enable_grad, run_backward
from .ops.shape import stack
from .tensor import Tensor


def _as_tuple(argnums):
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _wrap_inputs(args, argnums, where):
    args = list(args)
    inputs = []
    nested = False
    for i in argnums:
        if i >= len(args):
            raise TypeError(f"{where}: argnums={i} but the function got {len(args)} argument(s)")
        a = args[i]
        if isinstance(a, Tensor) and a.requires_grad:
            nested = True
        else:
            a = Tensor(a.data if isinstance(a, Tensor) else a, requires_grad=True)
        args[i] = a
        inputs.append(a)
    return args, inputs, nested


def _zeros_for(t, nested):
    zeros = np.zeros_like(t.data)
    return Tensor(zeros) if nested else zeros


def _gradients(out, inputs, nested, where):
    if not isinstance(out, Tensor):
        out = Tensor(out)
    if out.size != 1:
        raise TypeError(f"{where}: the function must return a scalar, but it returned shape "
                        f"{out.shape}; reduce it (e.g. .sum()) or use ad.jacobian")
    if not out.requires_grad:
        return [_zeros_for(t, nested) for t in inputs]
    grads = run_backward(out, np.ones_like(out.data), inputs=inputs,
                         retain_graph=nested, create_graph=nested)
    results = []
    for g, t in zip(grads, inputs):
        if g is None:
            g = _zeros_for(t, nested)
        elif not nested:
            g = np.asarray(g)
        results.append(g)
    return results


def value_and_grad(func: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """``(value, gradient)`` of a scalar function; tuple of gradients for tuple argnums.

    >>> ad.value_and_grad(lambda x: (x ** 2).sum())(np.array([1.0, 2.0]))
    (array(5.), array([2., 4.]))
    """
    positions = _as_tuple(argnums)

    def wrapped(*args, **kwargs):
        args, inputs, nested = _wrap_inputs(args, positions, "value_and_grad")
        with enable_grad():
            out = func(*args, **kwargs)
        grads = _gradients(out, inputs, nested, "value_and_grad")
        value = out if nested or not isinstance(out, Tensor) else out.data
        return value, (grads[0] if isinstance(argnums, int) else tuple(grads))

    return wrapped


def grad(func: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The gradient function of a scalar ``func``; composes: ``grad(grad(f))``.

    >>> df = ad.grad(lambda x: ad.sin(x))
    >>> df(0.0)
    array(1.)
    """
    value_and_grad_func = value_and_grad(func, argnums)

    def wrapped(*args, **kwargs):
        return value_and_grad_func(*args, **kwargs)[1]

    wrapped.__name__ = f"grad({getattr(func, '__name__', 'f')})"
    return wrapped


def jacobian(func: Callable, argnum: int = 0) -> Callable:
    """The full Jacobian, shaped ``out.shape + x.shape``.

    >>> ad.jacobian(lambda x: x * 2)(np.ones(3))
    array([[2., 0., 0.],
           [0., 2., 0.],
           [0., 0., 2.]])
    """
    def wrapped(*args, **kwargs):
        args, (x,), nested = _wrap_inputs(args, (argnum,), "jacobian")
        with enable_grad():
            out = func(*args, **kwargs)
        if not isinstance(out, Tensor):
            out = Tensor(out)
        rows = []
        for index in np.ndindex(out.shape):
            if not out.requires_grad:
                rows.append(_zeros_for(x, nested))
                continue
            seed = np.zeros_like(out.data)
            seed[index] = 1
            (g,) = run_backward(out, seed, inputs=[x], retain_graph=True,
                                create_graph=nested)
            rows.append(_zeros_for(x, nested) if g is None else g)
        if nested:
            stacked = stack(rows) if rows else Tensor(np.zeros((0,) + x.shape))
            return stacked.reshape(out.shape + x.shape)
        if not rows:
            return np.zeros(out.shape + x.shape, dtype=x.dtype)
        return np.stack([np.asarray(r) for r in rows]).reshape(out.shape + x.shape)

    return wrapped


def hvp(func: Callable, x, v) -> np.ndarray:
    """Hessian of scalar ``func`` at ``x`` times the vector ``v`` (two reverse passes).

    >>> ad.hvp(lambda x: (x ** 3).sum(), np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([6., 0.])
    """
    def directional(x_tensor):
        from .ops.reduce import sum as total
        (g,) = _gradients(func(x_tensor), [x_tensor], True, "hvp")
        return total(g * v)

    return grad(directional)(x)
