"""Random programs differentiated by autodiff and by HIPS autograd must agree.

Each program is a random composition of ops on two inputs of broadcastable shapes,
written once with a generic namespace ``xp`` so the same code runs under both
libraries; the gradients must match to float64 round-off.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import autodiff as ad

autograd = pytest.importorskip("autograd")
anp = autograd.numpy

UNARY = [
    lambda xp, a: xp.tanh(a), lambda xp, a: xp.sin(a) * a, lambda xp, a: xp.exp(-a * a),
    lambda xp, a: xp.sqrt(a * a + 1.0), lambda xp, a: xp.log(a * a + 0.5),
    lambda xp, a: a ** 3 - 2.0 * a, lambda xp, a: xp.maximum(a, 0.3 * a),
    lambda xp, a: xp.where(a > 0, a, xp.exp(a) - 1.0), lambda xp, a: 1.0 / (1.0 + a * a),
    lambda xp, a: xp.abs(a) * xp.cos(a),
]
BINARY = [
    lambda xp, a, b: a * b, lambda xp, a, b: a + b, lambda xp, a, b: a - 2.0 * b,
    lambda xp, a, b: a / (1.5 + b * b), lambda xp, a, b: xp.maximum(a, b),
    lambda xp, a, b: xp.where(a > b, a * b, a - b),
]
REDUCE = [
    lambda xp, a: xp.sum(a), lambda xp, a: xp.mean(a * a),
    lambda xp, a: xp.sum(xp.max(a, axis=-1)) if a.ndim else a,
    lambda xp, a: xp.sum(xp.mean(a, axis=0, keepdims=True) * 2.0) if a.ndim else a,
]


def run_program(xp, plan, a, b):
    u_ops, b_ops, reduce = plan
    x, y = a, b
    for i, (u, bo) in enumerate(zip(u_ops, b_ops)):
        x = UNARY[u](xp, x)
        x = BINARY[bo](xp, x, y)
        y = UNARY[(u + i) % len(UNARY)](xp, y)
    return REDUCE[reduce](xp, x + y)


@pytest.mark.filterwarnings("ignore:Output seems independent of input")
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       depth=st.integers(1, 4), data=st.data())
def test_random_programs_match_autograd(shapes, depth, data):
    u_ops = data.draw(st.lists(st.integers(0, len(UNARY) - 1), min_size=depth, max_size=depth))
    b_ops = data.draw(st.lists(st.integers(0, len(BINARY) - 1), min_size=depth, max_size=depth))
    reduce = data.draw(st.integers(0, len(REDUCE) - 1))
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1.5, 1.5, shapes.input_shapes[0])
    b = rng.uniform(-1.5, 1.5, shapes.input_shapes[1])
    plan = (u_ops, b_ops, reduce)

    ours = ad.grad(lambda s, t: run_program(np, plan, s, t), argnums=(0, 1))(a, b)
    theirs = autograd.grad(lambda s, t: run_program(anp, plan, s, t), argnum=(0, 1))(a, b)
    for mine, ref in zip(ours, theirs):
        assert mine.shape == np.shape(ref)
        np.testing.assert_allclose(mine, ref, rtol=1e-12, atol=1e-14)

    second = ad.grad(lambda s: ad.sum(ad.grad(lambda t: run_program(np, plan, t, b))(s) ** 2))(a)
    second_ref = autograd.grad(
        lambda s: anp.sum(autograd.grad(lambda t: run_program(anp, plan, t, b))(s) ** 2))(a)
    np.testing.assert_allclose(second, second_ref, rtol=1e-10, atol=1e-12)


# ---- products, joining and splitting, np.linalg: the same NumPy code under both ----

_M = np.random.default_rng(11).standard_normal((3, 3))
_T = np.random.default_rng(12).standard_normal((4, 3))


def _spd(xp, x):
    return xp.dot(x, x.T) + 3.0 * xp.eye(3)


def _quiet(func):
    """NumPy 2 deprecates row_stack: both libraries call it, both would warn."""
    def run(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return func(*args)
    return run


def _pieces(xp, parts):
    return xp.sum(xp.concatenate([xp.ravel(p) * (i + 1.0) for i, p in enumerate(parts)]))


# (autograd has no gradient for the matrix norms 2/-2/1/inf, the vector 1-norm,
# eigvalsh, svdvals, matrix_norm, vector_norm, matrix_power, qr, vecdot, matvec or vecmat,
# and gives nan for the vector inf-norm; those are checked against finite differences
# in op_specs.)
NUMPY_PROGRAMS = {
    "inner": (lambda xp, x: xp.inner(x, xp.sin(x)), _M),
    "outer": (lambda xp, x: xp.outer(x[1], x[0] ** 2), _M),
    "tensordot": (lambda xp, x: xp.tensordot(x, xp.tanh(x), axes=([0, 1], [1, 0])), _M),
    "tensordot int": (lambda xp, x: xp.tensordot(x, x * x, 1), _M),
    "kron": (lambda xp, x: xp.kron(x, xp.sin(x[:2, :2])), _M),
    "cross": (lambda xp, x: xp.cross(x, x * x), _M),
    "cross axis": (lambda xp, x: xp.cross(x, xp.sin(x), axisa=0, axisb=1, axisc=0), _M),
    "einsum": (lambda xp, x: xp.einsum("ij,jk,ki->i", x, xp.sin(x), x), _M),
    "einsum broadcast": (lambda xp, x: xp.einsum("...j,jk->...k", x, x * x), _M),
    "vstack": (lambda xp, x: xp.vstack([x, x[0] ** 2]), _M),
    "hstack": (lambda xp, x: xp.hstack([x, xp.sin(x)]), _M),
    "column_stack": (lambda xp, x: xp.column_stack([x[0], x[1] ** 2]), _M),
    "dstack": (lambda xp, x: xp.dstack([x, x * x]), _M),
    "append": (lambda xp, x: xp.append(x, x[0] ** 2), _M),
    "atleast_1d": (lambda xp, x: xp.atleast_1d(x[0, 0]) * x[0], _M),
    "atleast_2d": (lambda xp, x: xp.atleast_2d(x[0]) * x, _M),
    "atleast_3d": (lambda xp, x: xp.atleast_3d(x) ** 2, _M),
    "split": (lambda xp, x: _pieces(xp, xp.split(x ** 2, [1, -1], axis=1)), _M),
    "array_split": (lambda xp, x: _pieces(xp, xp.array_split(x ** 2, 2, axis=1)), _M),
    "vsplit": (lambda xp, x: _pieces(xp, xp.vsplit(x ** 2, [1])), _M),
    "hsplit": (lambda xp, x: _pieces(xp, xp.hsplit(x ** 2, 3)), _M),
    "dsplit": (lambda xp, x: _pieces(xp, xp.dsplit(xp.reshape(x, (1, 3, 3)) ** 2, [1])), _M),
    "multi_dot": (lambda xp, x: xp.linalg.multi_dot([x[0], xp.sin(x), x.T, x]), _M),
    "inv": (lambda xp, x: xp.linalg.inv(_spd(xp, x)), _M),
    "solve": (lambda xp, x: xp.linalg.solve(_spd(xp, x), xp.sin(x)), _M),
    "solve vector": (lambda xp, x: xp.linalg.solve(_spd(xp, x), x[0]), _M),
    "det": (lambda xp, x: xp.linalg.det(x), _M),
    "det batched": (lambda xp, x: xp.linalg.det(xp.stack([x, x * x])), _M),
    "slogdet": (lambda xp, x: xp.linalg.slogdet(x)[1], _M),
    "cholesky": (lambda xp, x: xp.linalg.cholesky(_spd(xp, x)), _M),
    "eigh": (lambda xp, x: (lambda w, v: w[0] + xp.sum(v * v * x))(*xp.linalg.eigh(_spd(xp, x))),
             _M),
    "eigh values": (lambda xp, x: xp.linalg.eigh(_spd(xp, x))[0], _M),
    "svd": (lambda xp, x: (lambda u, s, vh: xp.sum(s) + xp.sum(xp.dot(u, vh) * x))(
        *xp.linalg.svd(x, full_matrices=False)), _T),
    "svd values": (lambda xp, x: xp.linalg.svd(x, compute_uv=False), _T),
    "pinv": (lambda xp, x: xp.linalg.pinv(x), _T),
    "norm": (lambda xp, x: xp.linalg.norm(x), _M),
    "norm fro": (lambda xp, x: xp.linalg.norm(x, "fro"), _M),
    "norm vector axis": (lambda xp, x: xp.linalg.norm(x, axis=1), _M),
    "norm p": (lambda xp, x: xp.linalg.norm(x, 3, axis=0), _M),
    "norm 2.5 vector": (lambda xp, x: xp.linalg.norm(x[0], 2.5), _M),
    "norm nuc": (lambda xp, x: xp.linalg.norm(x, "nuc"), _M),
}

if hasattr(np, "row_stack"):              # deprecated in NumPy 2.0, removed later
    NUMPY_PROGRAMS["row_stack"] = (
        lambda xp, x: _quiet(xp.row_stack)([x[0], x[1] ** 2]), _M)


@pytest.mark.parametrize("name", list(NUMPY_PROGRAMS))
def test_numpy_programs_match_autograd(name):
    program, x = NUMPY_PROGRAMS[name]
    weights = np.cos(np.arange(np.size(program(np, x))) + 1.0).reshape(np.shape(program(np, x)))

    def scalar(xp):
        return lambda t: xp.sum(program(xp, t) * weights)

    ours = ad.grad(scalar(np))(x)
    theirs = autograd.grad(scalar(anp))(x)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)

    second = ad.grad(lambda t: ad.sum(ad.grad(scalar(np))(t) ** 2))(x)
    second_ref = autograd.grad(lambda t: anp.sum(autograd.grad(scalar(anp))(t) ** 2))(x)
    np.testing.assert_allclose(second, second_ref, rtol=1e-8, atol=1e-10)


# ------------------------------------------------- each NumPy-surface function, one by one
from autograd.scipy.special import logsumexp as autograd_logsumexp  # noqa: E402

def _emath(xp):
    """``np.emath``, or for autograd (which has no ``emath``) the real functions that
    ``np.emath`` computes on the real domain."""
    if xp is np:
        return np.emath
    from types import SimpleNamespace
    return SimpleNamespace(sqrt=xp.sqrt, log=xp.log, log2=xp.log2, log10=xp.log10,
                           logn=lambda n, x: xp.log(x) / xp.log(n), power=xp.power,
                           arccos=xp.arccos, arcsin=xp.arcsin, arctanh=xp.arctanh)


#: (id, input range, f(xp, logsumexp, x)) for every function of the NumPy surface that
#: autograd differentiates; x is a (3, 4) array drawn from the range.
SURFACE = [
    ("tan", (-1.2, 1.2), lambda xp, lse, x: xp.tan(x)),
    ("arcsin", (-0.9, 0.9), lambda xp, lse, x: xp.arcsin(x)),
    ("arccos", (-0.9, 0.9), lambda xp, lse, x: xp.arccos(x)),
    ("arctan", (-2, 2), lambda xp, lse, x: xp.arctan(x)),
    ("sinh", (-2, 2), lambda xp, lse, x: xp.sinh(x)),
    ("cosh", (-2, 2), lambda xp, lse, x: xp.cosh(x)),
    ("arcsinh", (-2, 2), lambda xp, lse, x: xp.arcsinh(x)),
    ("arccosh", (1.2, 3), lambda xp, lse, x: xp.arccosh(x)),
    ("arctanh", (-0.9, 0.9), lambda xp, lse, x: xp.arctanh(x)),
    ("deg2rad", (-2, 2), lambda xp, lse, x: xp.deg2rad(x) + xp.radians(x)),
    ("rad2deg", (-2, 2), lambda xp, lse, x: xp.rad2deg(x) / 90 + xp.degrees(x) / 90),
    ("log2", (0.3, 3), lambda xp, lse, x: xp.log2(x)),
    ("log10", (0.3, 3), lambda xp, lse, x: xp.log10(x)),
    ("exp2", (-2, 2), lambda xp, lse, x: xp.exp2(x)),
    ("arctan2", (0.3, 2), lambda xp, lse, x: xp.arctan2(x, x[:1] - 1.0)),
    ("hypot", (-2, 2), lambda xp, lse, x: xp.hypot(x, x[::-1] + 0.1)),
    ("logaddexp2", (-2, 2), lambda xp, lse, x: xp.logaddexp2(x, x[:, :1])),
    ("mod", (-2, 2), lambda xp, lse, x: xp.mod(x, 0.7) + xp.mod(2.5, x[:1] + 3.0)),
    ("remainder", (-2, 2), lambda xp, lse, x: xp.remainder(x, -x[:, :1] - 2.0)),
    ("fabs", (0.1, 2), lambda xp, lse, x: xp.fabs(x - 1.05)),
    ("fmax", (-2, 2), lambda xp, lse, x: xp.fmax(x, x[::-1] * 0.5)),
    ("fmin", (-2, 2), lambda xp, lse, x: xp.fmin(x, x[::-1] * 0.5)),
    ("ceil trunc fix", (-2, 2),
     lambda xp, lse, x: xp.ceil(x) * x + xp.trunc(x) * x * x + xp.fix(2 * x) * x),
    ("floor_divide", (-2, 2),
     lambda xp, lse, x: (xp.floor_divide(x, 0.7) + xp.floor_divide(2.0, x)) * x),
    ("nan_to_num", (-2, 2), lambda xp, lse, x: xp.nan_to_num(x)),
    ("real conj", (-2, 2), lambda xp, lse, x: xp.real(x) * xp.conj(x)),
    ("prod", (0.5, 1.5), lambda xp, lse, x: xp.prod(x, axis=1)),
    ("prod all", (0.5, 1.5), lambda xp, lse, x: xp.prod(x)),
    ("std", (-2, 2), lambda xp, lse, x: xp.std(x)),
    ("std ddof", (-2, 2), lambda xp, lse, x: xp.std(x, axis=0, ddof=1)),
    ("cumsum", (-2, 2), lambda xp, lse, x: xp.cumsum(x, axis=1) + xp.cumsum(x)[:4]),
    ("logsumexp", (-2, 2), lambda xp, lse, x: lse(x, axis=1, keepdims=True) + lse(x)),
    ("ravel", (-2, 2), lambda xp, lse, x: xp.ravel(x)),
    ("moveaxis", (-2, 2), lambda xp, lse, x: xp.moveaxis(x[None], 0, -1)),
    ("rollaxis", (-2, 2), lambda xp, lse, x: xp.rollaxis(x[None], 2)),
    ("flipud fliplr", (-2, 2), lambda xp, lse, x: xp.flipud(x) * xp.fliplr(x)),
    ("rot90", (-2, 2), lambda xp, lse, x: xp.rot90(x) @ xp.rot90(x, 2) + xp.rot90(x, 3)[:, :1]),
    ("roll", (-2, 2), lambda xp, lse, x: xp.roll(x, 2, axis=1) * xp.roll(x, -5)),
    ("repeat", (-2, 2), lambda xp, lse, x: xp.repeat(x, 2, axis=1)),
    ("tile", (-2, 2), lambda xp, lse, x: xp.tile(x, (2, 1, 2))),
    ("pad", (-2, 2), lambda xp, lse, x: xp.pad(x, ((1, 0), (2, 1)), "constant")),
    ("diag", (-2, 2),               # autograd's diag rule assumes a square matrix
     lambda xp, lse, x: xp.diag(x[:, :3], 1)[:, None] * x[:2] + xp.diag(x[0])[:2]),
    ("trace", (-2, 2), lambda xp, lse, x: xp.trace(x * x, 1)),
    ("tril triu", (-2, 2), lambda xp, lse, x: xp.tril(x, -1) * 2 + xp.triu(x) * x),
    ("sort", (-2, 2), lambda xp, lse, x: xp.sort(x[0] * x[1])),
    ("partition", (-2, 2), lambda xp, lse, x: xp.partition(x[2], 1)),
    ("diff", (-2, 2), lambda xp, lse, x: xp.diff(x * x, 2, 0) + xp.diff(x)[:1, :1]),
    ("linspace", (-2, 2), lambda xp, lse, x: xp.linspace(x[0, 0], x[1, 1] * x[2, 2], 5)),
    ("fftshift", (-2, 2), lambda xp, lse, x: xp.fft.fftshift(x) * x),
    ("select", (-2, 2), lambda xp, lse, x: xp.select([x > 0.5, x < -1.0], [x * x, -x], 0.5)),
    # (autograd's gradient rule handles the last axis and no spacing)
    ("gradient", (-2, 2), lambda xp, lse, x: xp.gradient(x * x, axis=1) + xp.gradient(x[0])),
    ("angle real_if_close", (-2, 2), lambda xp, lse, x: xp.angle(x) + xp.real_if_close(x) * x),
    # (autograd has no gradient for choose, compress, extract, unstack,
    # sliding_window_view, put_along_axis or fill_diagonal: tests/op_specs_windows.py
    # checks those against finite differences)
    ("emath logs and roots", (0.3, 3), lambda xp, lse, x: _emath(xp).sqrt(x)
     + _emath(xp).log(x) * _emath(xp).log2(x) + _emath(xp).log10(x)
     + _emath(xp).logn(x[:1] + 1.0, x) + _emath(xp).power(x, x[::-1] - 1.0)),
    ("emath inverse trig", (-0.9, 0.9), lambda xp, lse, x: _emath(xp).arccos(x)
     * _emath(xp).arcsin(x) + _emath(xp).arctanh(x)),
]


@pytest.mark.filterwarnings("ignore:Output seems independent of input")
@pytest.mark.parametrize("lo, hi, func", [pytest.param(lo, hi, f, id=name)
                                          for name, (lo, hi), f in SURFACE])
def test_numpy_surface_matches_autograd(lo, hi, func):
    x = np.random.default_rng(7).uniform(lo, hi, (3, 4))

    def ours(t):
        return np.sum(np.sin(3.0 * func(np, ad.logsumexp, t)))

    def theirs(t):
        return anp.sum(anp.sin(3.0 * func(anp, autograd_logsumexp, t)))

    np.testing.assert_allclose(ad.grad(ours)(x), autograd.grad(theirs)(x), rtol=1e-12,
                               atol=1e-13)
    second = ad.grad(lambda s: np.sum(ad.grad(ours)(s) ** 2))(x)
    second_ref = autograd.grad(lambda s: anp.sum(autograd.grad(theirs)(s) ** 2))(x)
    np.testing.assert_allclose(second, second_ref, rtol=1e-10, atol=1e-11)


# ------------------------------- ufunc methods and tensorsolve, against autograd's pieces
def _running_max_autograd(x, axis):
    x = x if axis == 0 else x.T
    lanes = [x[0]]
    for i in range(1, x.shape[0]):
        lanes.append(anp.maximum(lanes[-1], x[i]))
    if axis != 0:
        return anp.stack(lanes, axis=1)
    return anp.stack(lanes, axis=axis)


def _running_lse_autograd(x):
    n = x.shape[1]
    later = np.arange(n)[None, :] > np.arange(n)[:, None]          # (i, j): j after i
    return autograd_logsumexp(x[:, None, :] + np.where(later, -np.inf, 0.0), axis=-1)


def _segment_sums_autograd(x, indices):
    ends = list(indices[1:]) + [x.shape[0]]
    return anp.stack([anp.sum(x[s:e], axis=0) if s < e else x[s]
                      for s, e in zip(indices, ends)])


def _tensorsolve_autograd(a, b):     # NumPy's definition, with autograd's solve
    return anp.reshape(anp.linalg.solve(anp.reshape(a, (12, 12)), anp.reshape(b, (-1,))),
                       (3, 4))


#: (id, ours(x), theirs(x)) on a (3, 4) array; ours calls NumPy on a Tensor.
METHODS = [
    ("maximum.accumulate", lambda x: np.maximum.accumulate(x, axis=1),
     lambda x: _running_max_autograd(x, 1)),
    ("maximum.accumulate axis 0", lambda x: np.maximum.accumulate(x),
     lambda x: _running_max_autograd(x, 0)),
    ("logaddexp.reduce", lambda x: np.logaddexp.reduce(x, axis=1),
     lambda x: autograd_logsumexp(x, axis=1)),
    ("logaddexp.reduce all", lambda x: np.logaddexp.reduce(x * 40.0, axis=None),
     lambda x: autograd_logsumexp(x * 40.0)),
    ("logaddexp2.reduce", lambda x: np.logaddexp2.reduce(x, axis=0),
     lambda x: autograd_logsumexp(x * np.log(2), axis=0) / np.log(2)),
    ("logaddexp.accumulate", lambda x: np.logaddexp.accumulate(x, axis=1),
     _running_lse_autograd),
    ("add.reduceat", lambda x: np.add.reduceat(x, [0, 2, 1, 1]),
     lambda x: _segment_sums_autograd(x, [0, 2, 1, 1])),
    ("tensorsolve", lambda x: np.linalg.tensorsolve(
        (x[:, :, None, None] * x[None, None, :, :]) * 0.05 + np.eye(12).reshape(3, 4, 3, 4),
        x * x),
     lambda x: _tensorsolve_autograd(
         (x[:, :, None, None] * x[None, None, :, :]) * 0.05 + np.eye(12).reshape(3, 4, 3, 4),
         x * x)),
    ("tensorinv", lambda x: np.linalg.tensorinv(
        (x[:, :, None, None] * x[None, None, :, :]) * 0.05 + np.eye(12).reshape(3, 4, 3, 4)),
     lambda x: anp.reshape(anp.linalg.inv(anp.reshape(
         (x[:, :, None, None] * x[None, None, :, :]) * 0.05 + np.eye(12).reshape(3, 4, 3, 4),
         (12, 12))), (3, 4, 3, 4))),
]


@pytest.mark.filterwarnings("ignore:Output seems independent of input")
@pytest.mark.parametrize("ours, theirs", [pytest.param(o, t, id=name)
                                          for name, o, t in METHODS])
def test_ufunc_methods_and_tensorsolve_match_autograd(ours, theirs):
    x = np.random.default_rng(11).uniform(-2, 2, (3, 4))
    np.testing.assert_allclose(ours(ad.tensor(x)).data, theirs(x), rtol=1e-12, atol=1e-13)

    def f(t):
        return np.sum(np.sin(3.0 * ours(t)))

    def g(t):
        return anp.sum(anp.sin(3.0 * theirs(t)))

    np.testing.assert_allclose(ad.grad(f)(x), autograd.grad(g)(x), rtol=1e-11, atol=1e-12)
    second = ad.grad(lambda s: np.sum(ad.grad(f)(s) ** 2))(x)
    second_ref = autograd.grad(lambda s: anp.sum(autograd.grad(g)(s) ** 2))(x)
    np.testing.assert_allclose(second, second_ref, rtol=1e-9, atol=1e-10)
