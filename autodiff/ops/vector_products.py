"""NumPy 2's vector products (``vecdot``, ``matvec``, ``vecmat``) and
``np.linalg.multi_dot``.

``vecdot``, ``matvec`` and ``vecmat`` are primitives whose forward is NumPy's own
gufunc, so their values are NumPy's; their rules are a broadcast product and a
matmul.  ``multi_dot`` multiplies in the order NumPy chooses (the cheapest, by the
same cost model and the same tie-breaking), with the same products, so its values are
NumPy's too; its gradient comes from those products.
"""

from __future__ import annotations

import numpy as np

from ..interop import check_numpy_kwargs
from ..tensor import Tensor
from .products import as_operand, moveaxis_last
from .registry import defop, implements


def _vecdot_grad_x1(xp, g, ans, x1, x2):
    return xp.expand_dims(g, -1) * x2


def _vecdot_grad_x2(xp, g, ans, x1, x2):
    return xp.expand_dims(g, -1) * x1


_vecdot = defop(
    "vecdot", np.vecdot, doc="np.vecdot along the last axes; call ad.vecdot",
    hint="vecdot needs the two vectors' axes to have the same length, and the other axes "
         "to broadcast",
    x1=("g[..., None] * x2", _vecdot_grad_x1),
    x2=("g[..., None] * x1", _vecdot_grad_x2))


def _matvec_grad_matrix(xp, g, ans, matrix, vector):
    return xp.expand_dims(g, -1) * xp.expand_dims(vector, -2)


def _matvec_grad_vector(xp, g, ans, matrix, vector):
    return xp.matmul(xp.expand_dims(g, -2), matrix)[..., 0, :]


_matvec = defop(
    "matvec", np.matvec, doc="np.matvec; call ad.matvec",
    hint="matvec needs matrices (..., m, n) and vectors (..., n) whose other axes broadcast",
    matrix=("g[..., :, None] * vector[..., None, :]", _matvec_grad_matrix),
    vector=("g @ matrix", _matvec_grad_vector))


def _vecmat_grad_vector(xp, g, ans, vector, matrix):
    return xp.matmul(matrix, xp.expand_dims(g, -1))[..., 0]


def _vecmat_grad_matrix(xp, g, ans, vector, matrix):
    return xp.expand_dims(vector, -1) * xp.expand_dims(g, -2)


_vecmat = defop(
    "vecmat", np.vecmat, doc="np.vecmat; call ad.vecmat",
    hint="vecmat needs vectors (..., n) and matrices (..., n, m) whose other axes broadcast",
    vector=("matrix @ g", _vecmat_grad_vector),
    matrix=("vector[..., :, None] * g[..., None, :]", _vecmat_grad_matrix))


def _ranks(name, x1, x2, least1, least2):
    if x1.ndim < least1 or x2.ndim < least2:
        raise ValueError(f"{name}: needs inputs of at least {least1} and {least2} "
                         f"dimensions, not shapes {x1.shape} and {x2.shape}")


@implements(np.vecdot)
def vecdot(x1, x2, /, *, axis: int = -1, keepdims: bool = False, dim=None,
           **numpy_kwargs) -> Tensor:
    """``np.vecdot``: the dot product of vectors along ``axis`` (PyTorch's ``dim=``; the
    other axes broadcast); complex ``x1`` is conjugated, as in NumPy and PyTorch.
    ``keepdims=True`` keeps the summed axis with length 1 at ``axis``, as NumPy's.

    >>> ad.vecdot(ad.tensor([[1.0, 2.0], [3.0, 4.0]]), ad.tensor([1.0, 10.0]))
    tensor([21., 43.])
    """
    check_numpy_kwargs("vecdot", numpy_kwargs, ufunc=True)
    from ..argument_aliases import renamed_argument
    axis = renamed_argument("vecdot", "axis", axis, -1, "dim", dim)
    x1, x2 = as_operand(x1), as_operand(x2)
    _ranks("vecdot", x1, x2, 1, 1)
    for x in (x1, x2):
        if not -x.ndim <= axis < x.ndim:
            raise np.exceptions.AxisError(f"vecdot: axis={axis} is out of bounds for an "
                                          f"input of shape {x.shape}")
    product = _vecdot(moveaxis_last(x1, axis), moveaxis_last(x2, axis))
    if keepdims:
        # the result has the broadcast shape less the axis; it returns at axis's place
        # counted from the end, as NumPy puts a gufunc's kept core dimension
        ndim = max(x1.ndim, x2.ndim)
        product = product.reshape(product.shape + (1,))
        product = np.moveaxis(product, -1, axis if axis < 0 else axis - ndim)
    return product


@implements(np.linalg.vecdot)
def _linalg_vecdot(x1, x2, /, *, axis=-1):
    """``vecdot`` (``np.linalg``'s spelling)."""
    return vecdot(x1, x2, axis=axis)


@implements(np.matvec)
def matvec(matrix, vector, /, **numpy_kwargs) -> Tensor:
    """``np.matvec``: matrices ``(..., m, n)`` times vectors ``(..., n)``, giving
    ``(..., m)``; the leading axes broadcast.

    >>> ad.matvec(ad.tensor([[1.0, 2.0], [3.0, 4.0]]), ad.tensor([1.0, 10.0]))
    tensor([21., 43.])
    """
    check_numpy_kwargs("matvec", numpy_kwargs, ufunc=True)
    matrix, vector = as_operand(matrix), as_operand(vector)
    _ranks("matvec", matrix, vector, 2, 1)
    return _matvec(matrix, vector)


@implements(np.vecmat)
def vecmat(vector, matrix, /, **numpy_kwargs) -> Tensor:
    """``np.vecmat``: vectors ``(..., n)`` (conjugated if complex) times matrices
    ``(..., n, m)``, giving ``(..., m)``; the leading axes broadcast.

    >>> ad.vecmat(ad.tensor([1.0, 10.0]), ad.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor([31., 42.])
    """
    check_numpy_kwargs("vecmat", numpy_kwargs, ufunc=True)
    vector, matrix = as_operand(vector), as_operand(matrix)
    _ranks("vecmat", vector, matrix, 1, 2)
    return _vecmat(vector, matrix)


# ----- multi_dot -----------------------------------------------------------------------

def chain_order(shapes) -> list[list[int]]:
    """NumPy's multiplication order for 2-D ``shapes`` (``split[i][j]``: the product of
    matrices ``i..j`` is that of ``i..k`` and ``k+1..j``): the fewest scalar
    multiplications, found by dynamic programming; the first ``k`` wins a tie.

    >>> chain_order([(10, 100), (100, 5), (5, 50)])[0][2]
    1
    """
    n = len(shapes)
    sizes = [shape[0] for shape in shapes] + [shapes[-1][1]]
    cost = [[0.0] * n for _ in range(n)]     # floats, as NumPy keeps them
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = float("inf")
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + sizes[i] * sizes[k + 1] * sizes[j + 1]
                if q < cost[i][j]:
                    cost[i][j], split[i][j] = q, k
    return split


def _chain_product(matrices, split):
    """The product of ``matrices`` in the order ``split`` gives (an explicit stack of
    the ranges still to multiply: no recursion)."""
    from .linalg import dot

    done = {}
    todo = [(0, len(matrices) - 1, False)]
    while todo:
        i, j, ready = todo.pop()
        if i == j:
            done[i, j] = matrices[i]
            continue
        k = split[i][j]
        if ready:
            done[i, j] = dot(done.pop((i, k)), done.pop((k + 1, j)))
        else:
            todo += [(i, j, True), (k + 1, j, False), (i, k, False)]
    return done[0, len(matrices) - 1]


@implements(np.linalg.multi_dot)
def multi_dot(arrays, *, out=None) -> Tensor:
    """``np.linalg.multi_dot``: the product of two or more matrices, multiplied in the
    cheapest order (NumPy's choice, so the values are NumPy's); the first may be a
    1-D row vector and the last a 1-D column vector.

    >>> a, b, c = ad.tensor(np.ones((2, 3))), ad.tensor(np.ones((3, 4))), ad.tensor(np.ones(4))
    >>> ad.linalg.multi_dot([a, b, c])
    tensor([12., 12.])
    """
    from .linalg import dot
    from .rearrange import ravel
    from .shape import reshape

    if out is not None:
        raise TypeError("numpy.linalg.multi_dot on Tensors: out= is not supported by "
                        "autodiff (the result is a new Tensor on the tape); call it without")
    arrays = [as_operand(a) for a in arrays]
    if len(arrays) < 2:
        raise ValueError(f"multi_dot: expecting at least two arrays, got {len(arrays)}")
    if len(arrays) == 2:
        return dot(arrays[0], arrays[1])
    row, column = arrays[0].ndim == 1, arrays[-1].ndim == 1
    if row:
        arrays[0] = reshape(arrays[0], (1, -1))
    if column:
        arrays[-1] = reshape(arrays[-1], (-1, 1))
    for k, a in enumerate(arrays):
        if a.ndim != 2:
            raise np.linalg.LinAlgError(
                f"multi_dot: array {k} has {a.ndim} dimensions (shape {a.shape}); each must "
                "be two-dimensional (the first and last may also be 1-D)")
    shapes = [a.shape for a in arrays]
    if len(arrays) == 3:                # NumPy's own short cut for three
        (n0, n1), (_, n2), (_, n3) = shapes
        first_two = n0 * n2 * (n1 + n3) < n1 * n3 * (n0 + n2)    # (AB)C, else A(BC)
        split = [[0, 0, 1 if first_two else 0], [0, 0, 1], [0, 0, 0]]
    else:
        split = chain_order(shapes)
    result = _chain_product(arrays, split)
    if row and column:
        return result[0, 0]
    return ravel(result) if row or column else result
