"""Where each output of a packed multi-output op lives in its packed result.

Decompositions with several outputs (``eigh``'s w and V, ``svd``'s U, S, Vh, ...) are
recorded as one op whose result packs every output into one array, then unpacked by
``getitem``.  ``packed_layout`` names the parts and the key of each, for the graph
views (viz/packed_parts.py), so that they learn about these ops from here.
"""

from __future__ import annotations

import numpy as np

_ALL = slice(None)


def _input_shape(node, position):
    parents = node.parents
    if position < len(parents) and parents[position] is not None:
        return tuple(parents[position].shape)
    if node.args is not None and position < len(node.args):
        return np.shape(node.args[position])
    return None


def _spectral(public, node):
    n = node.shape[-1]
    return public, [("w (eigenvalues)", (Ellipsis, n, _ALL)),
                    ("V (eigenvectors, as columns)", (Ellipsis, slice(None, n), _ALL))]


def _svd(node):
    from .decompositions import _svd_shapes
    a_shape = _input_shape(node, 0)
    if a_shape is None:
        return None
    u_shape, k, _ = _svd_shapes(a_shape[-2], a_shape[-1],
                                node.kwargs.get("full_matrices", True))
    nu = u_shape[0] * u_shape[1]
    return "svd", [(f"U {u_shape} (flattened)", (Ellipsis, slice(None, nu))),
                   ("S (singular values)", (Ellipsis, slice(nu, nu + k))),
                   ("Vh (flattened)", (Ellipsis, slice(nu + k, None)))]


def _qr(node):
    from .qr import _sizes
    a_shape = _input_shape(node, 0)
    if a_shape is None:
        return None
    q_shape, _ = _sizes(a_shape, node.kwargs.get("mode", "reduced"))
    size_q = q_shape[-2] * q_shape[-1]
    return "qr", [(f"Q {q_shape[-2:]} (flattened)", (Ellipsis, slice(None, size_q))),
                  ("R (flattened)", (Ellipsis, slice(size_q, None)))]


def _slogdet(node):
    return "slogdet", [("sign", (Ellipsis, 0)), ("logabsdet", (Ellipsis, 1))]


def _lstsq(node):
    from .lstsq import _sizes
    a_shape, b_shape = _input_shape(node, 0), _input_shape(node, 1)
    if a_shape is None or b_shape is None:
        return None
    x_shape, n_res, k = _sizes(a_shape, b_shape, node.shape[0])
    size = int(np.prod(x_shape))
    return "lstsq", [(f"x {x_shape} (flattened)", slice(None, size)),
                     ("residuals", slice(size, size + n_res)),
                     ("s (singular values)", slice(size + n_res, size + n_res + k)),
                     ("rank", slice(-1, None))]


def _lu_factor(node):
    n = node.shape[-1]
    return "lu_factor", [("LU", (Ellipsis, slice(None, n), _ALL)),
                         ("pivots", (Ellipsis, n, _ALL))]


_LAYOUTS = {
    "eigh_packed": lambda node: _spectral("eigh", node),
    "eig_packed": lambda node: _spectral("eig", node),
    "svd_packed": _svd,
    "qr_packed": _qr,
    "slogdet_packed": _slogdet,
    "lstsq_packed": _lstsq,
    "lu_factor_packed": _lu_factor,
}


def packed_layout(node):
    """(the public op's name, [(part, key), ...]) for a packed op's node, else None."""
    layout = _LAYOUTS.get(node.op.name)
    if layout is None:
        return None
    try:
        return layout(node)
    except (IndexError, TypeError, ValueError):     # (a freed or unusual pack: no labels)
        return None


def unpacked_pack(node):
    """The packed op's node that ``node`` reads with a ``getitem``, else None."""
    if node.op.name != "getitem" or not node.parents or node.parents[0] is None:
        return None
    source = node.parents[0]
    if getattr(source, "op", None) is None or source.op.name not in _LAYOUTS:
        return None
    return source
