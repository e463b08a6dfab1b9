"""Sampled functions: derivatives (``np.gradient``) and integrals (``np.trapezoid``).

NumPy's recipes, written with the library's ops: the same slices, the same
coefficients (computed from the spacing, with the library's ops when it is a Tensor,
which then gets a gradient too) and the same order of operations, so the results equal
NumPy's bit for bit.  ``gradient`` uses central differences inside and one-sided ones
at the edges; its result is linear in ``f``, so its gradient is exact: each output
spreads ``g`` back over the two or three inputs its difference read.
"""

from __future__ import annotations

import numpy as np

from ..compile.refusals import refuse_traced_values
from ..tensor import Tensor
from .elementwise import astype
from .reduce import sum as _sum
from .numpy_dispatch import implements
from .shape import concatenate


def _spacings(f_shape, axes, varargs):
    """NumPy's reading of the spacing arguments: per axis a number (uniform) or the
    differences of the given coordinates.  A spacing or coordinates given as a Tensor
    stay on the tape (the derivative then has a gradient with respect to them)."""
    n = len(varargs)
    if n == 0:
        return [1.0] * len(axes)
    if n == 1 and np.ndim(_values(varargs[0])) == 0:
        return list(varargs) * len(axes)
    if n != len(axes):
        raise TypeError(f"gradient: {n} spacing arguments for {len(axes)} axes; give none, "
                        "one number, or one per axis (as in NumPy)")
    dx = list(varargs)
    for i, distances in enumerate(dx):
        values = np.asanyarray(_values(distances))
        if values.ndim == 0:
            continue
        if values.ndim != 1:
            raise ValueError("gradient: distances must be either scalars or 1d")
        if len(values) != f_shape[axes[i]]:
            raise ValueError("gradient: when 1d, distances must match the length of the "
                             "corresponding dimension")
        refuse_traced_values(distances, "gradient", "it reads the coordinates to choose "
                             "between its uniform and non-uniform formulas, and a replay "
                             "may give it others", "Pass them as a NumPy array from outside "
                             "the compiled function, or call gradient outside")
        if not isinstance(distances, Tensor):
            distances = values
        if np.issubdtype(values.dtype, np.integer):
            distances = astype(distances, np.float64) if isinstance(distances, Tensor) \
                else distances.astype(np.float64)
        differences = distances[1:] - distances[:-1]          # np.diff
        steps = _values(differences)
        if not (steps == steps[0]).all():
            dx[i] = differences
        elif isinstance(differences, Tensor) and differences.requires_grad:
            dx[i] = _EqualSteps(differences)
        else:
            dx[i] = differences[0]
    return dx


class _EqualSteps:
    """Equal steps between coordinates that require grad.  NumPy's uniform formula
    gives the value (bit for bit); the non-uniform one, equal to it at equal steps,
    gives the gradient, which reaches every coordinate rather than the first step's."""

    def __init__(self, steps):
        self.steps = steps


def _values(spacing):
    return spacing.data if isinstance(spacing, Tensor) else spacing


@implements(np.gradient)
def gradient(f, *varargs, axis=None, edge_order: int = 1, spacing=None, dim=None):
    """The derivative of sampled values by central differences, as ``np.gradient``
    (one array per axis, a tuple when there are several); differentiable in ``f`` and
    in a spacing or coordinates given as a Tensor.  In PyTorch's spelling
    (``spacing=``: one step, a step per dim or coordinates per dim; ``dim=``) it is
    ``torch.gradient``, a tuple even for one dim.

    >>> f = ad.tensor([1.0, 4.0, 9.0, 16.0], requires_grad=True)
    >>> d = np.gradient(f)
    >>> d.sum().backward(); d, f.grad
    (tensor([3., 4., 6., 7.], requires_grad=True), array([-1.5,  0.5, -0.5,  1.5]))
    >>> ad.gradient(ad.tensor([1.0, 4.0, 9.0]), spacing=2.0)
    (tensor([1.5, 2. , 2.5]),)
    """
    if spacing is not None or dim is not None:
        return _torch_gradient(f, varargs, axis, edge_order, spacing, dim)
    if not isinstance(f, Tensor):
        f = Tensor(np.asanyarray(f))
    values = f.data
    axes = tuple(range(values.ndim)) if axis is None else \
        np.lib.array_utils.normalize_axis_tuple(axis, values.ndim)
    dx = _spacings(values.shape, axes, varargs)
    if edge_order > 2:
        raise ValueError("gradient: 'edge_order' greater than 2 not supported")
    out_dtype = values.dtype
    if out_dtype.kind == "b":
        raise TypeError("gradient: differences of bool values are not defined (NumPy refuses "
                        "boolean subtract too); convert the samples first, e.g. "
                        "f.astype(np.int8) or f.astype(float)")
    if not np.issubdtype(out_dtype, np.inexact):
        f, out_dtype = astype(f, np.float64), np.dtype(np.float64)
    results = [_derivative(f, ax, ax_dx, edge_order, out_dtype) for ax, ax_dx in zip(axes, dx)]
    return results[0] if len(axes) == 1 else tuple(results)


def _torch_gradient(f, varargs, axis, edge_order, spacing, dim):
    """``torch.gradient(f, spacing=, dim=, edge_order=)``: NumPy's steps and axis
    under PyTorch's names, and always a tuple."""
    if varargs or axis is not None:
        raise TypeError("gradient: pass either NumPy's spacings (positional) and axis=, or "
                        "PyTorch's spacing= and dim=, not both")
    if dim is not None:
        from ..dim_readings import refuse_repeated_dims
        dims = tuple(dim) if isinstance(dim, (list, tuple)) else (dim,)
        ndim = np.ndim(_values(f))
        if ndim == 0 and dims:
            raise IndexError(f"gradient: dim={dim!r} given for a 0-d tensor, which has no "
                             "dim to take differences along (PyTorch refuses it too)")
        refuse_repeated_dims("gradient", dims, ndim)
    steps = () if spacing is None else \
        tuple(spacing) if isinstance(spacing, (list, tuple)) else (spacing,)
    result = gradient(f, *steps, axis=dim, edge_order=edge_order)
    return result if isinstance(result, tuple) else (result,)


def _derivative(f, axis, ax_dx, edge_order, out_dtype):
    if not isinstance(ax_dx, _EqualSteps):
        return _along(f, axis, ax_dx, edge_order, out_dtype)
    value = _along(f.detach(), axis, ax_dx.steps.detach()[0], edge_order, out_dtype)
    varying = _along(f, axis, ax_dx.steps, edge_order, out_dtype)
    return value + (varying - varying.detach())


def _along(f, axis, ax_dx, edge_order, out_dtype):
    n = f.shape[axis]
    if n < edge_order + 1:
        raise ValueError(
            f"gradient: the axis {axis} has {n} elements, too few to calculate a numerical "
            f"gradient: at least edge_order + 1 = {edge_order + 1} are required")

    def part(start, stop=None):
        index = [slice(None)] * f.ndim
        index[axis] = slice(start, stop)
        return f[tuple(index)]

    def piece(t):        # NumPy writes each piece into an array of f's dtype
        return t if t.dtype == out_dtype else astype(t, out_dtype)

    uniform = np.ndim(_values(ax_dx)) == 0
    if uniform:
        interior = (part(2, None) - part(None, -2)) / (2. * ax_dx)
    else:
        shape = [1] * f.ndim
        shape[axis] = -1
        dx1, dx2 = ax_dx[0:-1], ax_dx[1:]
        a = (-(dx2) / (dx1 * (dx1 + dx2))).reshape(shape)
        b = ((dx2 - dx1) / (dx1 * dx2)).reshape(shape)
        c = (dx1 / (dx2 * (dx1 + dx2))).reshape(shape)
        interior = a * part(None, -2) + b * part(1, -1) + c * part(2, None)
    if edge_order == 1:
        first = (part(1, 2) - part(0, 1)) / (ax_dx if uniform else ax_dx[0])
        last = (part(-1, None) - part(-2, -1)) / (ax_dx if uniform else ax_dx[-1])
    else:
        if uniform:
            a, b, c = -1.5 / ax_dx, 2. / ax_dx, -0.5 / ax_dx
        else:
            dx1, dx2 = ax_dx[0], ax_dx[1]
            a = -(2. * dx1 + dx2) / (dx1 * (dx1 + dx2))
            b = (dx1 + dx2) / (dx1 * dx2)
            c = - dx1 / (dx2 * (dx1 + dx2))
        first = a * part(0, 1) + b * part(1, 2) + c * part(2, 3)
        if uniform:
            a, b, c = 0.5 / ax_dx, -2. / ax_dx, 1.5 / ax_dx
        else:
            dx1, dx2 = ax_dx[-2], ax_dx[-1]
            a = (dx2) / (dx1 * (dx1 + dx2))
            b = - (dx2 + dx1) / (dx1 * dx2)
            c = (2. * dx2 + dx1) / (dx2 * (dx1 + dx2))
        last = a * part(-3, -2) + b * part(-2, -1) + c * part(-1, None)
    return concatenate([piece(first), piece(interior), piece(last)], axis=axis)


@implements(np.trapezoid)
def trapezoid(y, x=None, dx=1.0, axis: int = -1, *, dim=None) -> Tensor:
    """The integral of sampled values by the trapezoidal rule along ``axis`` (PyTorch's
    ``dim=``), as ``np.trapezoid``; differentiable in ``y``, and in the sample points
    ``x`` when they are a Tensor.

    >>> y = ad.tensor([1.0, 2.0, 4.0], requires_grad=True)
    >>> area = ad.trapezoid(y, dx=0.5)
    >>> area.backward(); area, y.grad
    (tensor(2.25, requires_grad=True), array([0.25, 0.5 , 0.25]))
    """
    from ..argument_aliases import renamed_argument
    axis = renamed_argument("trapezoid", "axis", axis, -1, "dim", dim)
    if not isinstance(y, Tensor):
        y = Tensor(np.asanyarray(y))
    if x is None:
        d = dx
    else:
        if not isinstance(x, Tensor):
            x = Tensor(np.asanyarray(x))
        if x.ndim == 1:
            d = x[1:] - x[:-1]
            shape = [1] * y.ndim
            shape[axis] = d.shape[0]
            d = d.reshape(shape)
        else:
            index_1 = [slice(None)] * x.ndim
            index_2 = [slice(None)] * x.ndim
            index_1[axis], index_2[axis] = slice(1, None), slice(None, -1)
            d = x[tuple(index_1)] - x[tuple(index_2)]
    later = [slice(None)] * y.ndim
    earlier = [slice(None)] * y.ndim
    later[axis], earlier[axis] = slice(1, None), slice(None, -1)
    return _sum(d * (y[tuple(later)] + y[tuple(earlier)]) / 2.0, axis=axis)
