"""``ad.func.jacfwd``'s ``randomness=``: what a random draw inside the function does.

``torch.func.jacfwd`` is a vmap over the columns of the Jacobian, so a draw inside the
function follows vmap's ``randomness``.  The library runs the function once and pushes
every column through the recorded nodes together (``forward.jacfwd``), which is one
draw for every column.  So:

- ``'error'`` (the default): the one run happens inside a vmap-style ``'error'`` scope,
  so a draw raises naming the draw's line and the way out, as PyTorch refuses it; a
  function without draws pays only the scope's push and pop.
- ``'same'``: the one run as it is, one draw shared by the columns (PyTorch's 'same').
- ``'different'``: one run per column, each with its own draw (``jvp`` with that
  column's basis tangent), as PyTorch's vmap draws anew for each column; with
  ``has_aux`` the aux of the first column, as PyTorch gives it.

>>> f = lambda x: x * ad.rand(2)
>>> ad.func.jacfwd(f, randomness="different")(ad.ones(2)).shape
(2, 2)
"""

from __future__ import annotations

import numpy as np

from . import forward
from .pytrees import flatten, is_tree
from .tensor import Tensor
from .transforms import as_argnums
from .vmap_randomness import randomness_scope


def jacfwd_with_randomness(func, argnums, has_aux, randomness, options):
    """``forward.jacfwd(func, argnums, has_aux, **options)`` with draws inside ``func``
    following ``randomness`` (one of PyTorch's modes, already checked)."""
    if randomness == "different":
        return _per_column_jacfwd(func, argnums, has_aux)
    transformed = forward.jacfwd(func, argnums, has_aux, **options)
    if randomness == "same":
        return transformed
    return refusing_draws(transformed, func, "jacfwd")


def refusing_draws(transformed, func, transform: str):
    """``transformed`` raising at a random draw inside ``func`` (a vmap-style 'error'
    scope named ``transform(func)``): ``jacfwd``, and ``hessian``, which PyTorch builds
    on it with the default randomness."""
    name = getattr(func, "__name__", type(func).__name__)

    def refusing(*args, **kwargs):
        with randomness_scope(name, "error", transform):
            return transformed(*args, **kwargs)
    return refusing


def _per_column_jacfwd(func, argnums, has_aux):
    positions = as_argnums(argnums, "jacfwd")

    def wrapped(*args, **kwargs):
        primals = tuple(args[p] for p in positions)
        for position, primal in zip(positions, primals):
            if is_tree(primal):
                raise TypeError(
                    f"jacfwd(randomness='different'): argument {position} is a "
                    f"{type(primal).__name__}; one run per column takes array or Tensor "
                    "arguments. Pass its arrays as separate arguments, or use "
                    "randomness='same' (one draw shared by the columns)")

        def at(*values):
            full = list(args)
            for position, value in zip(positions, values):
                full[position] = value
            return func(*full, **kwargs)

        shapes = [np.shape(p.data if isinstance(p, Tensor) else p) for p in primals]
        columns, rebuild, aux = [], None, None
        for k, shape in enumerate(shapes):
            for index in np.ndindex(shape):
                result = forward.jvp(at, primals, _basis(primals, k, index), has_aux=has_aux)
                leaves, rebuild = flatten(result[1])
                columns.append(leaves)
                if has_aux and aux is None:
                    aux = (result[2],)
        if not columns:         # no entries to differentiate: no column draws
            return forward.jacfwd(func, argnums, has_aux)(*args, **kwargs)
        jacobians = rebuild([_split_by_input(np.stack(leaf_columns, axis=-1), shapes,
                                             isinstance(argnums, (int, np.integer)))
                             for leaf_columns in zip(*columns)])
        return (jacobians, aux[0]) if has_aux else jacobians
    return wrapped


def _basis(primals, k, index):
    """The tangents of column ``index`` of primal ``k``: one 1 there, zeros elsewhere."""
    tangents = []
    for j, primal in enumerate(primals):
        values = primal.data if isinstance(primal, Tensor) else np.asarray(primal)
        tangent = np.zeros_like(values, dtype=np.result_type(values, float))
        if j == k:
            tangent[index] = 1
        tangents.append(tangent)
    return tuple(tangents)


def _split_by_input(stacked, shapes, single):
    """``stacked`` (``out.shape + (columns,)``) as one Jacobian per input, each shaped
    ``out.shape + x.shape``; the Jacobian itself for an int ``argnums``."""
    out_shape = np.shape(stacked)[:-1]
    bounds = np.cumsum([int(np.prod(shape)) for shape in shapes])[:-1]
    pieces = [np.reshape(piece, out_shape + tuple(shape))
              for piece, shape in zip(np.split(stacked, bounds, axis=-1), shapes)]
    return pieces[0] if single else tuple(pieces)
