"""More of PyTorch's top-level functions: ``ad.softmax``, ``ad.log_softmax``,
``ad.topk``, ``ad.argsort``, ``ad.norm``, ``ad.cdist``, ``ad.addmm``, ``ad.lerp``,
``ad.broadcast_tensors``, ``ad.chunk`` and ``ad.meshgrid``, with PyTorch's arguments.

Each is built from recorded ops or the Tensor methods of the same name, so gradients
come from their rules.  ``meshgrid``, whose default indexing differs between the two
libraries, takes ``indexing=`` only explicitly.
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor
from .ops.operands import tensor_of
from .out_arguments import takes_out

__all__ = ["softmax", "log_softmax", "topk", "argsort", "norm", "cdist", "addmm", "lerp",
           "broadcast_tensors", "chunk", "meshgrid"]


def _converted(x, dtype) -> Tensor:
    x = tensor_of(x)
    return x if dtype is None or np.dtype(dtype) == x.dtype else x.astype(dtype)


def softmax(input, dim: int | None = None, dtype=None, *, axis: int | None = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim`` (required, as ``torch.softmax``; ``axis=``,
    the NumPy spelling of ``F.softmax``, names it too), after converting to ``dtype``
    when given.

    >>> ad.softmax(ad.tensor([0.0, np.log(3.0)]), dim=0)
    tensor([0.25, 0.75])
    """
    from .nn.softmax import softmax as functional_softmax
    return functional_softmax(_converted(input, dtype), dim=_softmax_axis("softmax", dim, axis))


def log_softmax(input, dim: int | None = None, dtype=None, *,
                axis: int | None = None) -> Tensor:
    """``log(softmax(x))`` along ``dim`` (required; or ``axis=``), stable for large
    logits, as ``torch.log_softmax``.

    >>> ad.log_softmax(ad.tensor([0.0, 0.0]), dim=-1)
    tensor([-0.69314718, -0.69314718])
    """
    from .nn.softmax import log_softmax as functional_log_softmax
    return functional_log_softmax(_converted(input, dtype),
                                  dim=_softmax_axis("log_softmax", dim, axis))


def _softmax_axis(name: str, dim, axis) -> int:
    """The one axis given as ``dim`` or ``axis``: PyTorch's function has no default
    axis, and guessing one would normalise a batch of rows along the wrong axis."""
    if dim is None and axis is None:
        raise TypeError(f"{name}: missing the axis to normalise along: pass dim= (as "
                        f"torch.{name}, which has no default) or axis= (NumPy's spelling), "
                        "e.g. dim=-1 for the last axis")
    if dim is not None and axis is not None and dim != axis:
        raise TypeError(f"{name}: got dim={dim} and axis={axis}; they are two spellings "
                        "of the same argument: pass one")
    return dim if dim is not None else axis


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """The ``k`` largest (``largest=False``: smallest) entries along ``dim`` and their
    indices, as ``torch.topk`` (``Tensor.topk``); returned in order even when
    ``sorted=False``, which PyTorch allows.

    >>> ad.topk(ad.tensor([1.0, 3.0, 2.0]), 2)
    ValuesIndices(values=tensor([3., 2.]), indices=tensor([1, 2]))
    """
    return tensor_of(input).topk(k, dim, largest, sorted)


_NOT_GIVEN = object()


def argsort(input, dim=-1, descending: bool = False, stable: bool = False, *,
            axis=_NOT_GIVEN, kind=None) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (no gradient), as ``torch.argsort``:
    ``descending=True`` puts the largest (and NaN) first; ``stable=True`` keeps ties
    in their order.  NumPy's ``axis=`` and ``kind=`` are taken too, and ``dim=None`` /
    ``axis=None`` sorts the flattened tensor, as ``np.argsort``.  (NumPy's third
    positional argument is ``kind``, so a string there is refused.)

    >>> ad.argsort(ad.tensor([2.0, 1.0, 2.0]), descending=True)
    tensor([0, 2, 1])
    >>> ad.argsort(ad.tensor([[2.0, 1.0], [0.0, 3.0]]), axis=0)
    tensor([[1, 0],
            [0, 1]])
    """
    for name, flag in (("descending", descending), ("stable", stable)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"argsort: {name} must be True or False, got {flag!r}; "
                            "ad.argsort takes PyTorch's (input, dim, descending, stable); "
                            "for NumPy's kind= pass it by name, argsort(t, kind=...)")
    flags = dict(descending=bool(descending), stable=bool(stable) or None)
    if axis is not _NOT_GIVEN:
        if dim != -1:
            raise TypeError(f"argsort: got both axis={axis!r} and dim={dim!r}; they are "
                            "the same argument (NumPy's and PyTorch's name), pass one")
        return tensor_of(input).argsort(axis, kind, **flags)
    if dim is None:
        return tensor_of(input).argsort(None, kind, **flags)
    return tensor_of(input).argsort(kind=kind, dim=dim, **flags)   # (a 0-d input: 0-d)


def norm(input, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """``torch.norm``: the vector p-norm of the entries over ``dim`` (all when None;
    ``'fro'`` is 2), or ``'nuc'`` over two dims (``Tensor.norm``).  A numeric ``p``
    over two dims is the vector norm of those entries, as in PyTorch; use
    ``ad.linalg.norm`` for NumPy's matrix norms.

    >>> ad.norm(ad.tensor([[3.0, 4.0], [0.0, 0.0]]), dim=1)
    tensor([5., 0.])
    """
    return _converted(input, dtype).norm(p, dim, keepdim)


def cdist(x1, x2, p: float = 2.0, compute_mode=None) -> Tensor:
    """The p-norm distance between each row of ``x1`` (``..., P, M``) and each row of
    ``x2`` (``..., R, M``): shape ``(..., P, R)``, batch dims broadcast, as
    ``torch.cdist``.  At zero distance the gradient is 0 (PyTorch's).  Computed from
    all differences at once: memory ``P * R * M`` per batch.

    >>> ad.cdist(ad.tensor([[0.0, 0.0]]), ad.tensor([[3.0, 4.0], [0.0, 0.0]]))
    tensor([[5., 0.]])
    """
    from .ops.elementwise import abs as absolute, stop_gradient
    from .ops.reduce import max as maximum, sum as total
    from .ops.shape import expand_dims
    x1, x2 = tensor_of(x1), tensor_of(x2)
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise ValueError(f"cdist: needs x1 of shape (..., P, M) and x2 of shape (..., R, M) "
                         f"with the same M, got {x1.shape} and {x2.shape}")
    if x1.dtype.kind != "f" or x2.dtype.kind != "f":
        raise TypeError(f"cdist: needs floating-point inputs, got {x1.dtype} and "
                        f"{x2.dtype}; convert with .astype(np.float64)")
    try:
        np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    except ValueError:
        raise ValueError(f"cdist: the batch dims of x1 {x1.shape} and x2 {x2.shape} do not "
                         "broadcast") from None
    if isinstance(p, bool) or not isinstance(p, (int, float, np.number)) or p < 0:
        raise ValueError(f"cdist: p must be a number >= 0, got {p!r}")
    if compute_mode not in (None, "use_mm_for_euclid_dist_if_necessary",
                            "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        raise ValueError(f"cdist: unknown compute_mode {compute_mode!r}")
    differences = expand_dims(x1, -2) - expand_dims(x2, -3)
    if p == np.inf:
        # PyTorch's gradient goes in full to every entry that attains the largest
        # difference (the max op would split it among them).
        sizes = absolute(differences)
        largest = maximum(stop_gradient(sizes), axis=-1)
        attains = stop_gradient(sizes == expand_dims(largest, -1))
        return largest + total(attains * (sizes - stop_gradient(sizes)), axis=-1)
    return differences.norm(float(p), dim=-1)


@takes_out
def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)`` for 2-D ``mat1``, ``mat2`` (``input``
    broadcasts to the product's shape), as ``torch.addmm``; ``beta=0`` ignores
    ``input``'s values (its NaNs too).

    >>> ad.addmm(ad.tensor([1.0]), ad.tensor([[1.0, 2.0]]), ad.tensor([[3.0], [4.0]]))
    tensor([[12.]])
    """
    mat1, mat2, input = tensor_of(mat1), tensor_of(mat2), tensor_of(input)
    if mat1.ndim != 2 or mat2.ndim != 2 or mat1.shape[1] != mat2.shape[0]:
        raise ValueError(f"addmm: needs mat1 (n, m) and mat2 (m, p), got shapes "
                         f"{mat1.shape} and {mat2.shape}")
    from .torch_functions_assorted import scaled_sum
    return scaled_sum("addmm", input, mat1 @ mat2, beta, alpha)


@takes_out
def lerp(start, end, weight) -> Tensor:
    """``start + weight * (end - start)``, as ``torch.lerp`` (computed from ``end``
    when ``|weight| >= 0.5``, as PyTorch does, so that ``weight=1`` gives ``end``
    exactly); ``weight`` is a number or a tensor, and all three broadcast.

    >>> ad.lerp(ad.tensor([0.0, 10.0]), ad.tensor([1.0, 20.0]), 0.5)
    tensor([ 0.5, 15. ])
    """
    from .ops.elementwise import abs as absolute, where
    start, end = tensor_of(start), tensor_of(end)
    if start.dtype.kind != "f" or end.dtype.kind != "f":
        raise TypeError(f"lerp: start and end must be floating-point, got {start.dtype} "
                        f"and {end.dtype}")
    difference = end - start
    if isinstance(weight, (int, float, np.number)) and not isinstance(weight, bool):
        if abs(weight) < 0.5:
            return start + weight * difference
        return end - difference * (1 - weight)
    weight = tensor_of(weight)
    small = absolute(weight) < 0.5
    return where(small, start + weight * difference, end - difference * (1 - weight))


def broadcast_tensors(*tensors) -> tuple:
    """The tensors broadcast to their common shape, as ``torch.broadcast_tensors``
    (gradients sum back to each one's shape).

    >>> [t.shape for t in ad.broadcast_tensors(ad.ones((2, 1)), ad.ones(3))]
    [(2, 3), (2, 3)]
    """
    from .ops.assemble import common_shape
    from .ops.shape import broadcast_to
    tensors = [tensor_of(t) for t in tensors]
    shape = common_shape(tensors, "broadcast_tensors")
    return tuple(t if t.shape == shape else broadcast_to(t, shape) for t in tensors)


def chunk(input, chunks: int, dim: int = 0) -> tuple:
    """At most ``chunks`` pieces along ``dim``, each of ``ceil(n / chunks)`` entries but
    the last, as ``torch.chunk`` (``Tensor.chunk``).

    >>> [c.shape for c in ad.chunk(ad.ones(5), 2)]
    [(3,), (2,)]
    """
    return tensor_of(input).chunk(chunks, dim)


def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """Coordinate grids from 1-D tensors, as ``torch.meshgrid``: ``indexing='ij'`` gives
    shape ``(len(t0), len(t1), ...)``, ``'xy'`` swaps the first two axes.  The two
    libraries default differently (PyTorch: 'ij', NumPy: 'xy'), so it must be given.

    >>> x, y = ad.meshgrid(ad.tensor([1.0, 2.0]), ad.tensor([3.0, 4.0, 5.0]), indexing="ij")
    >>> x.shape, y[0]
    ((2, 3), tensor([3., 4., 5.]))
    """
    from .ops import assemble
    if indexing not in ("ij", "xy"):
        raise TypeError(
            f"meshgrid: pass indexing='ij' (PyTorch's default: the grids have shape "
            f"(len(t0), len(t1), ...)) or indexing='xy' (NumPy's np.meshgrid default: the "
            f"first two axes swapped); got indexing={indexing!r}")
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    tensors = [tensor_of(t) for t in tensors]
    for k, t in enumerate(tensors):
        if t.ndim > 1:
            raise ValueError(f"meshgrid: expects 0-d or 1-D tensors, got shape {t.shape} at "
                             f"position {k}")
    return assemble.meshgrid(*tensors, copy=False, indexing=indexing)
