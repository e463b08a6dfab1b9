"""Specs for PyTorch's linear algebra beyond NumPy's (autodiff/ops/matrix_exp.py, lu.py,
cholesky_solves.py, ldl.py); merged into ``op_specs.SPECS``.

The references are SciPy's (``expm``, ``lu_factor``) and NumPy's (a solve with
``L L.T``).  Inputs are well conditioned: matrices with a shifted diagonal, factors of
``X X.T + n I``.  ``cholesky_solve`` reads one triangle of its factor while its
gradient (PyTorch's) is that of ``(L L.T)^-1 B`` in every entry, so the checked
function passes the factor through ``tril``/``triu``, as a factor from ``cholesky`` is.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import autodiff as ad
from op_specs import Case, Spec, values

BATCHES = st.sampled_from([(), (1,), (2,), (2, 3)])


def _per_matrix(function, a):
    """``function`` on each matrix of a stack ``(..., n, n)``, stacked back."""
    flat = a.reshape((-1,) + a.shape[-2:])
    out = [function(m) for m in flat]
    return np.stack(out).reshape(a.shape[:-2] + out[0].shape) if out else np.empty(a.shape)


def _matrix_exp_case(data):
    n = data.draw(st.integers(1, 4), label="n")
    batch = data.draw(BATCHES, label="batch")
    spread = data.draw(st.sampled_from([0.01, 0.3, 1.0, 2.0]), label="entry size")
    a = values(data, batch + (n, n), -spread, spread)
    return Case(ad.linalg.matrix_exp, [a], lambda x: _per_matrix(scipy.linalg.expm, x))


def _block_exp_corner(x, e):
    """The top right block of ``exp([[x, e], [0, x]])`` for each pair of matrices."""
    n = x.shape[-1]
    pairs = zip(x.reshape((-1, n, n)), e.reshape((-1, n, n)))
    corners = [scipy.linalg.expm(np.block([[a, b], [np.zeros_like(a), a]]))[:n, n:]
               for a, b in pairs]
    return np.stack(corners).reshape(x.shape)


def _matrix_exp_frechet_case(data):
    from autodiff.ops.matrix_exp_frechet import _matrix_exp_frechet
    n = data.draw(st.integers(1, 4), label="n")
    batch = data.draw(BATCHES, label="batch")
    spread = data.draw(st.sampled_from([0.01, 0.3, 1.0, 2.0]), label="entry size")
    x = values(data, batch + (n, n), -spread, spread)
    e = values(data, batch + (n, n), -1.0, 1.0)
    return Case(_matrix_exp_frechet, [x, e], _block_exp_corner)


def _lu_case(data):
    n = data.draw(st.integers(1, 4), label="n")
    batch = data.draw(BATCHES, label="batch")
    a = values(data, batch + (n, n)) + 2.0 * np.eye(n)
    return Case(lambda t: ad.linalg.lu_factor(t).LU, [a],
                lambda x: _per_matrix(lambda m: scipy.linalg.lu_factor(m)[0], x))


def _cholesky_solve_case(data):
    n = data.draw(st.integers(1, 4), label="n")
    k = data.draw(st.integers(1, 2), label="k")
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2),
                       label="batches")
    upper = data.draw(st.booleans(), label="upper")
    x = values(data, shapes.input_shapes[1] + (n, n))
    low = np.linalg.cholesky(x @ np.swapaxes(x, -1, -2) + n * np.eye(n))
    factor = np.swapaxes(low, -1, -2) if upper else low
    b = values(data, shapes.input_shapes[0] + (n, k))
    triangle = ad.triu if upper else ad.tril

    def reference(b, factor):
        lower = np.swapaxes(factor, -1, -2) if upper else factor
        return np.linalg.solve(lower @ np.swapaxes(lower, -1, -2), b)
    return Case(lambda b, f: ad.cholesky_solve(b, triangle(f), upper=upper), [b, factor],
                reference)


def _ldl_solve_case(data):
    # a symmetric indefinite A with a small diagonal (2 x 2 pivots) but well conditioned:
    # Q diag(+-(1..2)) Q.T, its diagonal scaled down
    n = data.draw(st.integers(1, 5), label="n")
    k = data.draw(st.integers(1, 2), label="k")
    batch = data.draw(BATCHES, label="batch")
    q = np.linalg.qr(values(data, batch + (n, n)) + 3.0 * np.eye(n))[0]
    signs = np.where(np.arange(n) % 2, -1.0, 1.0) * (1.0 + np.arange(n) / max(n, 1))
    a = (q * signs) @ np.swapaxes(q, -1, -2)
    LD, pivots = ad.linalg.ldl_factor(a)  # noqa: N806
    b = values(data, batch + (n, k))
    return Case(lambda b: ad.linalg.ldl_solve(LD.numpy().astype(b.dtype), pivots, b), [b],
                lambda b: np.linalg.solve(a, b))


SPECS = [
    Spec("matrix_exp", _matrix_exp_case),
    Spec("matrix_exp_frechet", _matrix_exp_frechet_case),
    Spec("lu_factor_packed", _lu_case),
    Spec("cholesky_solve", _cholesky_solve_case),
    Spec("ldl_solve", _ldl_solve_case),
]
