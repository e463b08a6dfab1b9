"""Specs for ``np.linalg``: solve, det, slogdet, cholesky, eigh, eig, svd, pinv, lstsq,
norm and qr, and ``np.roots``;
merged into ``op_specs.SPECS``.

Inputs are drawn well conditioned (SPD as ``A A.T + n I``, spectra with distinct,
well-separated values) and eigenvectors / singular vectors enter the checked
functions only in sign-independent forms (``v * v``, ``U @ Vh``), since each is
defined up to its sign (``|v|^2`` for eig's complex eigenvectors, up to a phase).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import autodiff as ad
from op_specs import Case, Spec, _rng, signed_away_from_zero, values

BATCHES = st.sampled_from([(), (1,), (2,)])


def _orthogonal(data, batch, n):
    q, r = np.linalg.qr(values(data, batch + (n, n)))
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def _spectrum(data, batch, k, lo=1.0, gap=0.7):
    """Distinct values at least ``gap`` apart, in random order."""
    steps = values(data, batch + (k,), gap, gap + 0.5)
    spectrum = lo + np.cumsum(steps, axis=-1)
    return _rng(data).permuted(spectrum, axis=-1)


def _square(data, shift=3.0):
    n = data.draw(st.integers(1, 3), label="n")
    batch = data.draw(BATCHES, label="batch")
    return values(data, batch + (n, n)) + shift * np.eye(n)


def _spd(data):
    n = data.draw(st.integers(1, 3), label="n")
    batch = data.draw(BATCHES, label="batch")
    x = values(data, batch + (n, n))
    return x @ np.swapaxes(x, -1, -2) + n * np.eye(n)


def _symmetric_distinct(data):
    n = data.draw(st.integers(1, 3), label="n")
    batch = data.draw(BATCHES, label="batch")
    q = _orthogonal(data, batch, n)
    w = _spectrum(data, batch, n, lo=-2.0)
    return (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)


def _distinct_singular(data):
    m, n = data.draw(st.integers(1, 3), label="m"), data.draw(st.integers(1, 3), label="n")
    batch = data.draw(BATCHES, label="batch")
    k = min(m, n)
    s = _spectrum(data, batch, k, lo=0.5)
    u = _orthogonal(data, batch, m)[..., :, :k]
    v = _orthogonal(data, batch, n)[..., :, :k]
    return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)


def _solve_case(data):
    n = data.draw(st.integers(1, 3), label="n")
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2),
                       label="batches")
    a = values(data, shapes.input_shapes[0] + (n, n)) + 3 * np.eye(n)
    vector = data.draw(st.booleans(), label="b is a vector")
    k = data.draw(st.integers(1, 2), label="k")
    b = values(data, (n,) if vector else shapes.input_shapes[1] + (n, k))
    return Case(ad.linalg.solve, [a, b], np.linalg.solve)


def _slogdet_case(data):
    a = _square(data)
    if data.draw(st.booleans(), label="negative determinant"):
        a[..., 0, :] *= -1

    def f(t):
        sign, logabsdet = ad.linalg.slogdet(t)
        assert sign.requires_grad == logabsdet.requires_grad   # as PyTorch's (gradient 0)
        return sign * logabsdet

    def ref(x):
        sign, logabsdet = np.linalg.slogdet(x)
        return sign * logabsdet
    return Case(f, [a], ref)


def _cholesky_case(data):
    upper = data.draw(st.booleans(), label="upper")
    return Case(lambda t: ad.linalg.cholesky(t, upper=upper), [_spd(data)],
                lambda a: np.linalg.cholesky(a, upper=upper))


def _eigh_case(data):
    a = _symmetric_distinct(data)
    uplo = data.draw(st.sampled_from(["L", "U"]), label="UPLO")
    n = a.shape[-1]
    weights = np.arange(1.0, n * n + 1).reshape(n, n)

    def f(t):
        w, v = ad.linalg.eigh(t, UPLO=uplo)
        return ad.concatenate([ad.flatten(w), ad.flatten(v * v * weights)])

    def ref(x):
        w, v = np.linalg.eigh(x, UPLO=uplo)
        return np.concatenate([w.reshape(-1), (v * v * weights).reshape(-1)])
    return Case(f, [a], ref)


def _eigvalsh_case(data):
    uplo = data.draw(st.sampled_from(["L", "U"]), label="UPLO")
    return Case(lambda t: ad.linalg.eigvalsh(t, UPLO=uplo), [_symmetric_distinct(data)],
                lambda a: np.linalg.eigvalsh(a, UPLO=uplo))


def _eigen_blocks(data, batch, n):
    """Block-diagonal real matrices with distinct eigenvalues at least 0.7 apart: real
    ones, and (when n > 1, if drawn) one complex pair a +- bi with b >= 0.7."""
    pair = n > 1 and data.draw(st.booleans(), label="complex pair")
    blocks = np.zeros(batch + (n, n))
    real = _spectrum(data, batch, n - 2 * pair, lo=-2.0)
    idx = np.arange(n - 2 * pair)
    blocks[..., idx, idx] = real
    if pair:
        a, b = values(data, batch), values(data, batch, 0.7, 1.5)
        blocks[..., n - 2, n - 2] = blocks[..., n - 1, n - 1] = a
        blocks[..., n - 2, n - 1], blocks[..., n - 1, n - 2] = b, -b
    return blocks


def _eig_case(data):
    n = data.draw(st.integers(1, 3), label="n")
    batch = data.draw(BATCHES, label="batch")
    s = np.eye(n) + values(data, batch + (n, n), -0.3, 0.3)    # well conditioned
    a = s @ _eigen_blocks(data, batch, n) @ np.linalg.inv(s)
    weights = np.arange(1.0, n * n + 1).reshape(n, n)

    def f(t):
        w, v = ad.linalg.eig(t)
        size = ad.real(v * ad.conj(v)) * weights
        return ad.concatenate([ad.flatten(ad.real(w)), ad.flatten(ad.imag(w)),
                               ad.flatten(size)])

    def ref(x):
        w, v = np.linalg.eig(x)
        return np.concatenate([w.real.reshape(-1), w.imag.reshape(-1),
                               (np.abs(v) ** 2 * weights).reshape(-1)])
    return Case(f, [a], ref)


def _parts(z):
    return ad.concatenate([ad.real(z), ad.imag(z)], axis=-1)


def _eigvals_case(data):
    n = data.draw(st.integers(1, 3), label="n")
    batch = data.draw(BATCHES, label="batch")
    s = np.eye(n) + values(data, batch + (n, n), -0.3, 0.3)
    a = s @ _eigen_blocks(data, batch, n) @ np.linalg.inv(s)
    return Case(lambda t: _parts(ad.linalg.eigvals(t)), [a],
                lambda x: np.concatenate([np.linalg.eigvals(x).real,
                                          np.linalg.eigvals(x).imag], axis=-1))


def _roots_case(data):
    n = data.draw(st.integers(1, 3), label="degree")
    roots = np.linalg.eigvals(_eigen_blocks(data, (), n))
    p = np.poly(roots).real * values(data, (), 0.5, 2.0)
    return Case(lambda t: _parts(np.roots(t)), [p],
                lambda x: np.concatenate([np.roots(x).real, np.roots(x).imag]))


def _svd_case(data):
    a = _distinct_singular(data)
    m, n = a.shape[-2:]
    full = data.draw(st.booleans(), label="full_matrices") and m == n

    def f(t):
        u, s, vh = ad.linalg.svd(t, full_matrices=full)
        return ad.concatenate([ad.flatten(s), ad.flatten(u * u * 2.0), ad.flatten(vh * vh),
                               ad.flatten(u[..., :1] @ vh[..., :1, :])])

    def ref(x):
        u, s, vh = np.linalg.svd(x, full_matrices=full)
        return np.concatenate([s.reshape(-1), (u * u * 2.0).reshape(-1),
                               (vh * vh).reshape(-1), (u[..., :1] @ vh[..., :1, :]).reshape(-1)])
    return Case(f, [a], ref)


def _svdvals_case(data):
    return Case(lambda t: ad.linalg.svd(t, compute_uv=False), [_distinct_singular(data)],
                lambda a: np.linalg.svd(a, compute_uv=False))


def _pinv_case(data):
    if data.draw(st.booleans(), label="hermitian"):
        a = _distinct_magnitudes(data)
        return Case(lambda t: ad.linalg.pinv(t, hermitian=True), [a],
                    lambda x: np.linalg.pinv(x, hermitian=True))
    return Case(ad.linalg.pinv, [_distinct_singular(data)], np.linalg.pinv)


def _lstsq_case(data):
    """Full-rank a (distinct singular values), tall, square or wide; b a vector or a
    matrix; x, the residuals (when a is tall) and s weighted into one output."""
    m, n = data.draw(st.integers(1, 4), label="m"), data.draw(st.integers(1, 4), label="n")
    k = min(m, n)
    u = _orthogonal(data, (), m)[:, :k]
    v = _orthogonal(data, (), n)[:, :k]
    a = (u * _spectrum(data, (), k, lo=0.5)) @ v.T
    vector = data.draw(st.booleans(), label="b is a vector")
    b = values(data, (m,) if vector else (m, data.draw(st.integers(1, 2), label="k")))

    def f(a_, b_):
        x, residuals, _, s = ad.linalg.lstsq(a_, b_)
        return ad.concatenate([ad.flatten(x), residuals * 0.5, s * 0.25])

    def ref(a_, b_):
        x, residuals, _, s = np.linalg.lstsq(a_, b_)
        return np.concatenate([x.reshape(-1), residuals * 0.5, s * 0.25])
    return Case(f, [a, b], ref)


def _distinct_magnitudes(data):
    """Symmetric, eigenvalues of both signs with distinct magnitudes; the upper
    triangle perturbed (NumPy's hermitian routes read only the lower one)."""
    n = data.draw(st.integers(1, 3), label="n")
    batch = data.draw(BATCHES, label="batch")
    q = _orthogonal(data, batch, n)
    w = _spectrum(data, batch, n, lo=0.5) * np.where(values(data, batch + (n,)) < 0, -1, 1)
    a = (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)
    return a + np.triu(values(data, batch + (n, n)), 1)


def _hermitian_svd_case(data):
    a = _distinct_magnitudes(data)
    if data.draw(st.booleans(), label="compute_uv"):
        def f(t):
            u, s, vh = ad.linalg.svd(t, hermitian=True)
            return ad.concatenate([s.reshape(-1), (u @ vh).reshape(-1), (u * u).reshape(-1)])

        def ref(x):
            u, s, vh = np.linalg.svd(x, hermitian=True)
            return np.concatenate([s.reshape(-1), (u @ vh).reshape(-1), (u * u).reshape(-1)])
        return Case(f, [a], ref)
    return Case(lambda t: ad.linalg.svd(t, compute_uv=False, hermitian=True), [a],
                lambda x: np.linalg.svd(x, compute_uv=False, hermitian=True))


_VECTOR_ORDS = [None, 2, 1, np.inf, -np.inf, 3, 0.5, -1.5]
_MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]


def _norm_case(data):
    kind = data.draw(st.sampled_from(["all", "vector", "matrix"]), label="kind")
    keepdims = data.draw(st.booleans(), label="keepdims")
    if kind == "all":                     # axis=None: any ndim with ord None
        shape = data.draw(st.sampled_from([(), (3,), (2, 3), (2, 2, 2)]), label="shape")
        ord_ = {1: data.draw(st.sampled_from(_VECTOR_ORDS), label="ord"),
                2: data.draw(st.sampled_from(_MATRIX_ORDS), label="ord")}.get(len(shape))
        x, axis = _distinct_singular_or_values(data, shape, ord_), None
    elif kind == "vector":
        shape = data.draw(st.sampled_from([(3,), (2, 3), (2, 1, 3)]), label="shape")
        ord_ = data.draw(st.sampled_from(_VECTOR_ORDS), label="ord")
        axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
        x = signed_away_from_zero(data, shape, 0.3, 2.0)
    else:                                 # the matrix axes anywhere among the batch axes
        x = _distinct_singular(data)
        perm = data.draw(st.permutations(range(x.ndim)), label="axes order")
        x = np.transpose(x, perm)
        axis = (perm.index(x.ndim - 2), perm.index(x.ndim - 1))
        axis = tuple(k - x.ndim if data.draw(st.booleans(), label="negative") else k
                     for k in axis)
        ord_ = data.draw(st.sampled_from(_MATRIX_ORDS), label="ord")
    return Case(lambda t: ad.linalg.norm(t, ord_, axis, keepdims), [x],
                lambda a: np.linalg.norm(a, ord_, axis, keepdims))


def _distinct_singular_or_values(data, shape, ord_):
    if len(shape) == 2 and ord_ in (2, -2, "nuc"):
        m, n = shape
        q1, q2 = _orthogonal(data, (), m), _orthogonal(data, (), n)
        s = _spectrum(data, (), min(m, n), lo=0.5)
        return (q1[:, :len(s)] * s) @ q2[:, :len(s)].T
    return signed_away_from_zero(data, shape, 0.3, 2.0)


def _vector_norm_case(data):
    shape = data.draw(st.sampled_from([(), (3,), (2, 3), (2, 1, 3)]), label="shape")
    ndim = len(shape)
    axis = data.draw(st.one_of(
        st.none(), st.integers(-ndim, ndim - 1) if ndim else st.none(),
        st.permutations(range(ndim)).flatmap(
            lambda p: st.integers(1, max(ndim, 1)).map(lambda k: tuple(p[:k])))
        if ndim else st.none()), label="axis")
    ord_ = data.draw(st.sampled_from(_VECTOR_ORDS[1:]), label="ord")
    keepdims = data.draw(st.booleans(), label="keepdims")
    kwargs = dict(axis=axis, keepdims=keepdims, ord=ord_)
    return Case(lambda t: ad.linalg.vector_norm(t, **kwargs),
                [signed_away_from_zero(data, shape, 0.3, 2.0)],
                lambda a: np.linalg.vector_norm(a, **kwargs))


def _matrix_norm_case(data):
    ord_ = data.draw(st.sampled_from(_MATRIX_ORDS[1:]), label="ord")
    keepdims = data.draw(st.booleans(), label="keepdims")
    return Case(lambda t: ad.linalg.matrix_norm(t, keepdims=keepdims, ord=ord_),
                [_distinct_singular(data)],
                lambda a: np.linalg.matrix_norm(a, keepdims=keepdims, ord=ord_))


def _cond_case(data):
    """Singular values (any shape) for p None/2/-2; a square matrix otherwise, where
    norm(x, p) * norm(inv(x), p) is taken."""
    p = data.draw(st.sampled_from([None, 2, -2, 1, -1, np.inf, -np.inf, "fro", "nuc"]),
                  label="p")
    if p in (None, 2, -2):
        x = _distinct_singular(data)
    else:
        n = data.draw(st.integers(1, 3), label="n")
        batch = data.draw(BATCHES, label="batch")
        x = _orthogonal(data, batch, n) * _spectrum(data, batch, n, lo=0.5)[..., None, :]
    return Case(lambda t: np.linalg.cond(t, p), [x], lambda a: np.linalg.cond(a, p))


def _matrix_power_case(data):
    size = data.draw(st.integers(1, 3), label="size")
    batch = data.draw(st.sampled_from([(), (2,)]), label="batch")
    power = data.draw(st.integers(-3, 6), label="n")
    a = values(data, batch + (size, size), -0.4, 0.4) + np.eye(size)
    return Case(lambda t: ad.linalg.matrix_power(t, power), [a],
                lambda x: np.linalg.matrix_power(x, power))


def _qr_case(data):
    """Full-rank matrices (a shifted identity on the leading square block), tall, square
    or wide, batched; Q and R enter as they are (their signs are LAPACK's, fixed
    locally)."""
    m, n = data.draw(st.integers(1, 4), label="m"), data.draw(st.integers(1, 4), label="n")
    batch = data.draw(BATCHES, label="batch")
    a = values(data, batch + (m, n), -1.0, 1.0) + 3.0 * np.eye(m, n)
    mode = data.draw(st.sampled_from(["reduced", "r"] + (["complete"] if m <= n else [])),
                     label="mode")
    if mode == "r":
        return Case(lambda t: ad.linalg.qr(t, mode="r"), [a], lambda x: np.linalg.qr(x, "r"))

    def f(t):
        q, r = ad.linalg.qr(t, mode=mode)
        return ad.concatenate([ad.flatten(q), ad.flatten(r * 0.5)])

    def ref(x):
        q, r = np.linalg.qr(x, mode=mode)
        return np.concatenate([q.reshape(-1), (r * 0.5).reshape(-1)])
    return Case(f, [a], ref)


LINALG_SPECS = [
    Spec("solve", _solve_case), Spec("det", lambda data: Case(ad.linalg.det, [_square(data)],
                                                                np.linalg.det)),
    Spec("slogdet_packed", _slogdet_case), Spec("cholesky", _cholesky_case),
    Spec("eigh_packed", _eigh_case), Spec("eigvalsh", _eigvalsh_case),
    Spec("eig_packed", _eig_case), Spec("eigvals", _eigvals_case), Spec("roots", _roots_case),
    Spec("svd_packed", _svd_case),
    Spec("svdvals", _svdvals_case), Spec("svd_hermitian", _hermitian_svd_case),
    Spec("pinv", _pinv_case), Spec("lstsq_packed", _lstsq_case), Spec("norm", _norm_case),
    Spec("vector_norm", _vector_norm_case), Spec("matrix_norm", _matrix_norm_case),
    Spec("matrix_power", _matrix_power_case), Spec("qr_packed", _qr_case),
    Spec("cond", _cond_case),
]
