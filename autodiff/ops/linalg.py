"""Linear algebra: matmul (1-D, 2-D, batched), dot, einsum, inv."""

from __future__ import annotations

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
    "matmul", np.matmul, hint=_MATMUL_HINT, numpy=np.matmul,
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


def _einsum_forward(subscripts, *operands):
    return np.einsum(subscripts, *operands, optimize=len(operands) > 2)


def _einsum_joint(xp, g, ans, needs, subscripts, *operands):
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
    return xp.einsum(",".join(parts) + "->" + "".join(target), *args)


_einsum = defop_joint(
    "einsum", _einsum_forward,
    "grad of operand i = einsum of g with the other operands onto i's axes",
    _einsum_joint, hint="check that each operand's subscripts match its number of axes")


def _einsum_numpy(subscripts, *operands, out=None, optimize=False):
    """``ad.einsum`` (string subscripts; ``optimize=`` is accepted: it only picks an order)."""
    if out is not None:
        raise TypeError("numpy.einsum on a Tensor: the argument(s) ['out'] are not supported "
                        "by autodiff; call it without them")
    return einsum(subscripts, *operands)


def einsum(subscripts: str, *operands) -> Tensor:
    """Einstein summation, as ``np.einsum`` (ellipsis, diagonals and traces included).

    >>> ad.einsum("ij,jk->ik", ad.tensor(np.ones((2, 3))), ad.tensor(np.ones((3, 4)))).shape
    (2, 4)
    """
    return _einsum(subscripts, *operands)


def _dot_numpy(a, b, out=None):
    """``ad.dot``: matmul for 1-D and 2-D operands, einsum beyond, multiply for 0-d."""
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

    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0:
        return multiply(a, b)
    if na <= 2 and nb <= 2:
        return matmul(a, b)
    left = _letters(na)
    right = _letters(nb, exclude=left)
    right[-2 if nb >= 2 else -1] = left[-1]
    out = left[:-1] + [c for k, c in enumerate(right) if k != (nb - 2 if nb >= 2 else nb - 1)]
    return einsum("".join(left) + "," + "".join(right) + "->" + "".join(out), a, b)


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
