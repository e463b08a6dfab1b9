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
  column's basis tangent; a dict, list or tuple argument by its leaves), as PyTorch's
  vmap draws anew for each column; with ``has_aux`` the aux of the first column, as
  PyTorch gives it.

>>> f = lambda x: x * ad.rand(2)
>>> ad.func.jacfwd(f, randomness="different")(ad.ones(2)).shape
(2, 2)
"""

from __future__ import annotations

import numpy as np

from . import forward
from .pytrees import flatten
from .tensor import Tensor
from .transforms import as_argnums, float_array
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
        # each argument's leaves (a dict, list or tuple argument has several), flat
        flattened = [flatten(args[p]) for p in positions]
        leaves = [leaf for leaf_list, _ in flattened for leaf in leaf_list]
        for position, (leaf_list, _) in zip(positions, flattened):
            for leaf in leaf_list:      # real floats, as the one-run jacfwd and PyTorch's
                float_array(leaf, "jacfwd", f"argument {position}")
        bounds = np.cumsum([len(leaf_list) for leaf_list, _ in flattened])[:-1]

        def at(*values):
            full = list(args)
            for position, part, (_, rebuild) in zip(positions, np.split(
                    np.arange(len(values)), bounds), flattened):
                full[position] = rebuild([values[i] for i in part])
            return func(*full, **kwargs)

        shapes = [np.shape(leaf.data if isinstance(leaf, Tensor) else leaf)
                  for leaf in leaves]
        columns, rebuild_output, aux = [], None, None
        for k, shape in enumerate(shapes):
            for index in np.ndindex(shape):
                seeds = tuple(forward.basis_seeds(leaves, k, index))
                result = forward.jvp(at, tuple(leaves), seeds, has_aux=has_aux)
                out_leaves, rebuild_output = flatten(result[1])
                columns.append(out_leaves)
                if has_aux and aux is None:
                    aux = (result[2],)
        if not columns:         # no entries to differentiate: no column draws
            return forward.jacfwd(func, argnums, has_aux)(*args, **kwargs)

        def by_argument(stacked):
            pieces = _split_by_input(stacked, shapes)
            per_argument = [rebuild([pieces[i] for i in part]) for part, (_, rebuild) in zip(
                np.split(np.arange(len(leaves)), bounds), flattened)]
            return per_argument[0] if isinstance(argnums, (int, np.integer)) \
                else tuple(per_argument)

        jacobians = rebuild_output([by_argument(np.stack(leaf_columns, axis=-1))
                                    for leaf_columns in zip(*columns)])
        return (jacobians, aux[0]) if has_aux else jacobians
    return wrapped


def _split_by_input(stacked, shapes):
    """``stacked`` (``out.shape + (columns,)``) as one Jacobian per input leaf, each
    shaped ``out.shape + leaf.shape``."""
    out_shape = np.shape(stacked)[:-1]
    bounds = np.cumsum([int(np.prod(shape)) for shape in shapes])[:-1]
    return [np.reshape(piece, out_shape + tuple(shape))
            for piece, shape in zip(np.split(stacked, bounds, axis=-1), shapes)]
