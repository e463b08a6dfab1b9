"""Linear algebra: matmul (1-D, 2-D, batched), dot, einsum, inv, matrix_power."""

from __future__ import annotations

import operator
import string

import numpy as np

from ..tensor import Tensor
from .registry import defop, defop_joint, implements

_MATMUL_HINT = ("matmul needs the last axis of a to equal the second-to-last axis of b "
                "(for 1-D b: its length); transpose one operand or check the layer sizes")


def _matmul_grad_a(xp, g, ans, a, b):
    if b.ndim == 1:                       # (..., n, k) @ (k,) -> (..., n)
        return xp.expand_dims(g, -1) * b
    if a.ndim == 1:                       # (k,) @ (..., k, m) -> (..., m)
        return xp.matmul(b, xp.expand_dims(g, -1))[..., 0]
    return xp.matmul(g, xp.swapaxes(b, -1, -2))


def _matmul_grad_b(xp, g, ans, a, b):
    if a.ndim == 1:
        if b.ndim == 1:                   # inner product -> scalar
            return g * a
        return xp.expand_dims(a, -1) * xp.expand_dims(g, -2)
    if b.ndim == 1:
        return xp.matmul(xp.swapaxes(a, -1, -2), xp.expand_dims(g, -1))[..., 0]
    return xp.matmul(xp.swapaxes(a, -1, -2), g)


matmul = defop(
    "matmul", np.matmul, hint=_MATMUL_HINT, numpy=np.matmul, multilinear=True,
    doc="Matrix product with NumPy's rules (1-D, 2-D and batched N-D).\n\n"
        ">>> (ad.tensor(np.ones((2, 3))) @ ad.tensor(np.ones((3, 4)))).shape\n(2, 4)",
    a=("g @ b.T", _matmul_grad_a),
    b=("a.T @ g", _matmul_grad_b))


def _letters(count, exclude=""):
    free = [c for c in string.ascii_letters if c not in exclude]
    if count > len(free):
        raise ValueError("einsum: too many distinct axes")
    return free[:count]


def _expand_ellipsis(subscripts, shapes):
    """Replace '...' by explicit letters and make the output explicit."""
    if "->" in subscripts:
        inputs, output = subscripts.split("->")
    else:
        inputs, output = subscripts, None
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: '{subscripts}' names {len(terms)} operands but "
                         f"{len(shapes)} were given")
    used = set(subscripts) - set(".,->")
    n_ellipsis = max((len(shape) - (len(t) - 3) for t, shape in zip(terms, shapes)
                      if "..." in t), default=0)
    fill = "".join(_letters(n_ellipsis, exclude=used))
    expanded = []
    for term, shape in zip(terms, shapes):
        if "..." in term:
            k = len(shape) - (len(term) - 3)
            term = term.replace("...", fill[n_ellipsis - k:] if k else "")
        expanded.append(term)
    if output is None:
        counts = {}
        for term in expanded:
            for c in term:
                counts[c] = counts.get(c, 0) + 1
        output = fill + "".join(sorted(c for c, n in counts.items()
                                       if n == 1 and c not in fill))
    else:
        output = output.replace("...", fill)
    return expanded, output


#: Below this many elements in the largest operand, NumPy's plain einsum loop beats
#: the optimized path (which plans the contraction and calls BLAS: ~50 us of overhead).
_OPTIMIZE_ABOVE = 4096


def _auto_optimize(operands):
    return len(operands) > 2 or max(np.size(x) for x in operands) >= _OPTIMIZE_ABOVE


def einsum_array(subscripts, *operands, optimize="auto"):
    """``np.einsum`` on arrays; ``optimize="auto"`` takes NumPy's optimized path
    (BLAS contractions) for three or more operands or when an operand is large."""
    if isinstance(optimize, str) and optimize == "auto":
        optimize = _auto_optimize(operands)
    return np.einsum(subscripts, *operands, optimize=optimize)


def _einsum_joint(xp, g, ans, needs, subscripts, *operands, optimize="auto"):
    terms, output = _expand_ellipsis(subscripts, [np.shape(x) for x in operands])
    grads = [None]
    for i, (need, term) in enumerate(zip(needs[1:], terms)):
        if not need:
            grads.append(None)
            continue
        grads.append(_einsum_operand_grad(xp, g, output, terms, operands, i))
    return grads
def _einsum_operand_grad(xp, g, output, terms, operands, i):
    """The VJP for operand i: contract g with every other operand onto i's axes.

    Axes that appear twice in operand i (a diagonal) and axes summed away only in
    operand i need constant helpers (an identity matrix, a vector of ones) because
    einsum cannot write to a diagonal or invent an axis.
    """
    term = terms[i]
    shape = np.shape(operands[i])
    sizes = dict(zip(term, shape))
    available = set(output) | {c for k, t in enumerate(terms) if k != i for c in t}
    used = set("".join(terms) + output)
    spare = iter(c for c in string.ascii_letters if c not in used)
    parts, args = [output], [g]
    for k, t in enumerate(terms):
        if k != i:
            parts.append(t)
            args.append(operands[k])
    target = []
    seen = set()
    for c in term:
        if c in seen:                     # repeated axis: a diagonal, via an identity
            d = next(spare)
            parts.append(c + d)
            args.append(np.eye(sizes[c], dtype=g.dtype))
            target.append(d)
            continue
        seen.add(c)
        if c not in available:            # axis summed only here: broadcast with ones
            parts.append(c)
            args.append(np.ones(sizes[c], dtype=g.dtype))
            available.add(c)
        target.append(c)
    grad = xp.einsum(",".join(parts) + "->" + "".join(target), *args)
    if grad.shape != shape:
        # An axis of size 1 everywhere else but longer in operand i (einsum broadcast
        # it) comes out with size 1: repeat it; axes longer in g are summed by sum_to.
        grown = tuple(max(m, n) for m, n in zip(grad.shape, shape))
        if grown != grad.shape:
            grad = xp.broadcast_to(grad, grown)
    return grad


_einsum = defop_joint(
    "einsum", einsum_array,
    "grad of operand i = einsum of g with the other operands onto i's axes",
    _einsum_joint, hint="check that each operand's subscripts match its number of axes",
    multilinear=True)


def _einsum_numpy(*operands, optimize=False, order="K", casting="safe", dtype=None):
    """``ad.einsum`` with NumPy's default ``optimize=False`` (so the forward is NumPy's).

    ``dtype=`` casts the operands first, after NumPy's check of ``casting`` ('safe' by
    default for einsum).  ``order=`` 'K' or 'C' pass (a C result is laid out so); 'F'
    and 'A' raise, as NumPy's iteration in them may sum in another order."""
    from ..ufunc_dtypes import in_order
    if order not in ("K", "C", None):
        raise TypeError(f"numpy.einsum on a Tensor: the argument(s) order={order!r} are "
                        "not supported by autodiff (NumPy may sum in another order in that "
                        "layout); call it without it and copy the result, "
                        "result.copy(order='F') (or call it on t.data when no gradient "
                        "is needed)")
    arrays = range(1, len(operands)) if isinstance(operands[0], str) else range(
        0, len(operands) - len(operands) % 2, 2)      # (sublists: every other operand)
    sources = [operands[i].dtype if isinstance(operands[i], Tensor)
               else np.result_type(operands[i]) for i in arrays]
    target = np.result_type(*sources) if dtype is None else np.dtype(dtype)
    for number, source in enumerate(sources):
        if not np.can_cast(source, target, casting):
            raise TypeError(f"einsum: Iterator operand {number} dtype could not be cast from "
                            f"{source!r} to {target!r} according to the rule {casting!r}")
    if dtype is not None:
        from .elementwise import astype
        operands = list(operands)
        for i in arrays:
            operands[i] = astype(operands[i] if isinstance(operands[i], Tensor)
                                 else Tensor(np.asarray(operands[i])), target)
    result = einsum(*operands, optimize=optimize)
    return in_order(result, order or "K", [operands[i] for i in arrays])


_einsum_numpy.numpy_kwargs = ("order", "casting", "dtype")    # handled here


def _sublist_letter(label):
    if label is Ellipsis:
        return "..."
    if not isinstance(label, (int, np.integer)) or not 0 <= label < 52:
        raise ValueError(f"einsum: sublist labels must be ints in [0, 52) or Ellipsis, "
                         f"not {label!r}")
    # NumPy's own mapping (0-25 -> A-Z, 26-51 -> a-z), so implicit outputs order alike
    return chr(ord("A") + label) if label < 26 else chr(ord("a") + label - 26)


def sublists_to_subscripts(args):
    """``(A, [0, 1], B, [1, 2], [0, 2])`` -> ``("AB,BC->AC", [A, B])``."""
    operands = list(args[0::2])
    sublists = list(args[1::2])
    output = None
    if len(operands) > len(sublists):     # an odd count: the last item is the output
        output = operands.pop()
    terms = ["".join(_sublist_letter(k) for k in sub) for sub in sublists]
    subscripts = ",".join(terms)
    if output is not None:
        subscripts += "->" + "".join(_sublist_letter(k) for k in output)
    return subscripts, operands


def _torch_operand_list(subscripts, arrays):
    """PyTorch's older form ``einsum("nc,ck->nk", [q, queue])``: one list of Tensors for
    subscripts of as many terms is the operands (NumPy would read the list as one array
    and refuse it for two or more terms).  A list for one term stays NumPy's array,
    unless it holds one Tensor with as many axes as the term has letters and no
    ellipsis (``einsum("ij->ji", [a])``), which NumPy's reading, an axis more, refuses."""
    if len(arrays) != 1 or not isinstance(arrays[0], (list, tuple)):
        return arrays
    terms = subscripts.replace(" ", "").split("->")[0].split(",")
    listed = arrays[0]
    if len(terms) > 1 and len(listed) == len(terms) and all(
            isinstance(x, Tensor) for x in listed):
        return tuple(listed)
    if (len(terms) == 1 and len(listed) == 1 and isinstance(listed[0], Tensor)
            and "." not in terms[0] and listed[0].ndim == len(terms[0])):
        return tuple(listed)
    return arrays


def einsum(*operands, optimize: bool | str | list = "auto") -> Tensor:
    """Einstein summation, as ``np.einsum``: the string form ``einsum("ij,jk->ik", a, b)``
    and the sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``, with ellipsis,
    broadcasting, diagonals (``"ii->i"``) and traces (``"ii"``); PyTorch's
    ``einsum("ij,jk->ik", [a, b])`` (the Tensors in one list) too.

    ``optimize`` is passed to NumPy; the default ``"auto"`` contracts with NumPy's
    optimized path (BLAS) for three or more operands or when an operand has at least
    4096 elements, and with the plain loop otherwise (``np.einsum`` defaults to
    ``optimize=False``; the two differ only in round-off).  The backward always uses
    ``"auto"``.

    >>> ad.einsum("ij,jk->ik", ad.tensor(np.ones((2, 3))), ad.tensor(np.ones((3, 4)))).shape
    (2, 4)
    >>> ad.einsum(ad.tensor(np.eye(3)), [0, 0])       # the trace, in sublist form
    tensor(3.)
    """
    if not operands:
        raise TypeError("einsum: expected subscripts and at least one operand")
    if isinstance(operands[0], str):
        subscripts, arrays = operands[0], _torch_operand_list(operands[0], operands[1:])
    else:
        subscripts, arrays = sublists_to_subscripts(operands)
    if not arrays:
        raise TypeError("einsum: expected at least one operand after the subscripts")
    if isinstance(optimize, str) and optimize == "auto":
        return _einsum(subscripts.replace(" ", ""), *arrays)
    return _einsum(subscripts.replace(" ", ""), *arrays, optimize=optimize)


def _dot_numpy(a, b, out=None):
    """``ad.dot``: matmul for 1-D and 2-D operands, NumPy's dot beyond, multiply for 0-d."""
    if out is not None:
        raise TypeError("numpy.dot on a Tensor: the argument(s) ['out'] are not supported by "
                        "autodiff; call it without them")
    return dot(a, b)


def dot(a, b) -> Tensor:
    """``np.dot``: inner product for 1-D, matrix product for 2-D, sum over the last
    axis of a and the second-to-last of b in general; products with 0-d multiply.

    >>> ad.dot(ad.tensor([1.0, 2.0]), ad.tensor([3.0, 4.0]))
    tensor(11.)
    """
    from .elementwise import multiply
    from .operands import as_numpy_converts

    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0:
        return multiply(as_numpy_converts(a), as_numpy_converts(b))
    if na <= 2 and nb <= 2:
        return matmul(a, b)
    # NumPy's N-d dot takes one inner product per output element: einsum or tensordot
    # sum in another order (the last bit differed in most 3-D cases)
    from .products import _dot_nd, as_operand
    return _dot_nd(as_operand(a), as_operand(b))


def _inv_rule(xp, g, ans, a):
    inv_t = xp.swapaxes(ans, -1, -2)
    return -xp.matmul(inv_t, xp.matmul(g, inv_t))


inv = defop(
    "inv", np.linalg.inv, numpy=np.linalg.inv,
    doc="Matrix inverse (batched over leading axes).\n\n"
        ">>> ad.linalg.inv(ad.tensor([[2.0, 0.0], [0.0, 4.0]]))\n"
        "tensor([[0.5 , 0.  ],\n        [0.  , 0.25]])",
    hint="inv needs square matrices in the last two axes that are not singular",
    a=("-inv(a).T @ g @ inv(a).T", _inv_rule))


implements(np.einsum)(_einsum_numpy)
implements(np.dot)(_dot_numpy)


@implements(np.linalg.matrix_power)
def matrix_power(a, n: int) -> Tensor:
    """``a`` to the integer power ``n`` (batched over leading axes), as
    ``np.linalg.matrix_power``: the same products in the same order (squarings, LSB
    first), so the values are NumPy's; ``n < 0`` inverts first, ``n == 0`` gives the
    identity (with a zero gradient).

    >>> a = ad.tensor([[1.0, 1.0], [0.0, 1.0]], requires_grad=True)
    >>> y = ad.linalg.matrix_power(a, 3)
    >>> y.sum().backward(); y, a.grad
    (tensor([[1., 3.],
            [0., 1.]], requires_grad=True), array([[ 6.,  3.],
           [10.,  6.]]))
    """
    shape = np.shape(a.data if isinstance(a, Tensor) else a)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise np.linalg.LinAlgError(
            f"matrix_power: a of shape {shape} is not a square matrix (or a stack of "
            "them) in its last two axes")
    try:
        n = operator.index(n)
    except TypeError as error:
        raise TypeError(f"matrix_power: the exponent must be an integer, not "
                        f"{type(n).__name__}") from error
    if not isinstance(a, Tensor):
        a = Tensor(np.asarray(a))
    if n == 0:                      # connected to a, so its gradient is zeros, not None
        from .elementwise import where
        identity = np.broadcast_to(np.eye(shape[-1], dtype=a.dtype), shape)
        return where(np.ones(shape, dtype=bool), identity, a)
    if n < 0:
        a, n = inv(a), -n
    if n <= 3:                      # NumPy's short cuts
        return a if n == 1 else matmul(a, a) if n == 2 else matmul(matmul(a, a), a)
    power = result = None
    while n > 0:
        power = a if power is None else matmul(power, power)
        n, bit = divmod(n, 2)
        if bit:
            result = power if result is None else matmul(result, power)
    return result
