"""PyTorch's linear algebra beyond NumPy's: ``ad.linalg.matrix_exp``, the LU family
(``lu_factor``, ``lu_factor_ex``, ``lu``, ``lu_solve``, ``ad.lu_unpack``,
``ad.lu_solve``), the ``*_ex`` functions (``cholesky_ex``, ``inv_ex``, ``solve_ex``),
``ad.cholesky_solve``, ``ad.cholesky_inverse``, ``ad.triangular_solve``,
``ad.linalg.vander`` and ``ad.linalg.householder_product``.

Checked: values against SciPy (matrix_exp, to a few ulp) and PyTorch (values, result
types, info codes, gradients), gradients against central differences in float64 to
the second order on batched shapes (2, 3, n, n) with n = 1..4, 0-size inputs, float32
kept, and the errors for bad shapes and singular matrices."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

pytestmark = [pytest.mark.filterwarnings("ignore:triangular_solve is deprecated"),
              pytest.mark.filterwarnings("ignore:lu is deprecated")]

SIZES = [1, 2, 3, 4]
BATCH = (2, 3)


def _rng(n, salt=0):
    return np.random.default_rng(1000 * n + salt)


def _well_conditioned(n, batch=BATCH, salt=0):
    return _rng(n, salt).uniform(-1, 1, batch + (n, n)) + 2.5 * np.eye(n)


def _rectangular(m, n, batch=BATCH, salt=0):
    return _rng(m * n, salt).uniform(-1, 1, batch + (m, n)) + 2.5 * np.eye(m, n)


def _spd_factor(n, batch=BATCH, salt=0):
    x = _rng(n, salt).uniform(-1, 1, batch + (n, n))
    return np.linalg.cholesky(x @ np.swapaxes(x, -1, -2) + n * np.eye(n))


def _rhs(n, k=2, batch=BATCH, salt=1):
    return _rng(n, salt).uniform(-1, 1, batch + (n, k))


# ------------------------------------------------------------ functions under test
# Each takes float64 arrays and returns one Tensor (named tuples flattened), so that
# gradcheck and gradgradcheck see every differentiable output.

def _flat(*tensors):
    return ad.concatenate([t.reshape(-1) for t in tensors])


def _lu_factors(a):
    P, L, U = ad.linalg.lu(a)
    return _flat(L, U * 0.5)


def _lu_solve(left, adjoint):
    def solve(a, b):
        LU, pivots = ad.linalg.lu_factor(a)
        return ad.linalg.lu_solve(LU, pivots, b if left else b.swapaxes(-1, -2), left=left,
                                  adjoint=adjoint)
    return solve


def _symmetrized(a):
    """(a + a.T) / 2: finite differences of a function reading one triangle see the
    symmetric gradient that PyTorch's cholesky gives only through this."""
    return (a + a.swapaxes(-1, -2)) * 0.5


CASES = {
    "matrix_exp": (lambda n: [0.7 * _rng(n).uniform(-1, 1, BATCH + (n, n))],
                   ad.linalg.matrix_exp),
    "lu_factor": (lambda n: [_well_conditioned(n)], lambda a: ad.linalg.lu_factor(a).LU),
    "lu": (lambda n: [_well_conditioned(n)], _lu_factors),
    "lu_factor_wide": (lambda n: [_rectangular(n, n + 2)], lambda a: ad.linalg.lu_factor(a).LU),
    "lu_factor_tall": (lambda n: [_rectangular(n + 2, n)], lambda a: ad.linalg.lu_factor(a).LU),
    "lu_tall": (lambda n: [_rectangular(n + 1, n)], _lu_factors),
    "lu_solve": (lambda n: [_well_conditioned(n), _rhs(n)], _lu_solve(True, False)),
    "lu_solve_adjoint": (lambda n: [_well_conditioned(n), _rhs(n)], _lu_solve(True, True)),
    "lu_solve_right": (lambda n: [_well_conditioned(n), _rhs(n)], _lu_solve(False, False)),
    "lu_solve_right_adjoint": (lambda n: [_well_conditioned(n), _rhs(n)],
                               _lu_solve(False, True)),
    "cholesky_ex": (lambda n: [_spd_factor(n) @ np.swapaxes(_spd_factor(n), -1, -2)],
                    lambda a: ad.linalg.cholesky_ex(_symmetrized(a)).L),
    "inv_ex": (lambda n: [_well_conditioned(n)], lambda a: ad.linalg.inv_ex(a).inverse),
    "solve_ex": (lambda n: [_well_conditioned(n), _rhs(n)],
                 lambda a, b: ad.linalg.solve_ex(a, b).result),
    "solve_ex_vectors": (lambda n: [_well_conditioned(n), _rhs(n)[..., 0]],
                         lambda a, b: ad.linalg.solve_ex(a, b).result),
    "solve_ex_right": (lambda n: [_well_conditioned(n), _rhs(n).swapaxes(-1, -2)],
                       lambda a, b: ad.linalg.solve_ex(a, b, left=False).result),
    "cholesky_solve": (lambda n: [_rhs(n), _spd_factor(n)],
                       lambda b, f: ad.cholesky_solve(b, ad.tril(f))),
    "cholesky_solve_upper": (lambda n: [_rhs(n), np.swapaxes(_spd_factor(n), -1, -2)],
                             lambda b, f: ad.cholesky_solve(b, ad.triu(f), upper=True)),
    "cholesky_inverse": (lambda n: [_spd_factor(n)],
                         lambda f: ad.cholesky_inverse(ad.tril(f))),
    "triangular_solve": (lambda n: [_rhs(n), _well_conditioned(n)],
                         lambda b, a: ad.triangular_solve(b, a).solution),
    "triangular_solve_lower_transposed_unit": (
        lambda n: [_rhs(n), _well_conditioned(n)],
        lambda b, a: ad.triangular_solve(b, a, upper=False, transpose=True,
                                         unitriangular=True).solution),
    "vander": (lambda n: [_rng(n).uniform(-1.5, 1.5, BATCH + (n,))],
               lambda x: ad.linalg.vander(x, N=x.shape[-1] + 2)),
    "householder_product": (lambda n: [_rng(n).uniform(-1, 1, BATCH + (n + 1, n)),
                                       _rng(n, 2).uniform(-1, 1, BATCH + (n,))],
                            ad.linalg.householder_product),
}


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_first_order_gradient_matches_finite_differences(name, n):
    make_inputs, function = CASES[name]
    assert ad.gradcheck(function, make_inputs(n), eps=1e-6, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_second_order_gradient_matches_finite_differences(name, n):
    make_inputs, function = CASES[name]
    inputs = [x[:1, :2] for x in make_inputs(n)]     # (1, 2, ...): a batch, and quicker
    assert ad.gradgradcheck(function, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_is_kept(name):
    make_inputs, function = CASES[name]
    inputs = [ad.tensor(x.astype(np.float32), requires_grad=True) for x in make_inputs(3)]
    out = function(*inputs)
    out.sum().backward()
    assert out.dtype == np.float32
    assert all(t.grad.dtype == np.float32 for t in inputs)
    expected = function(*[ad.tensor(x) for x in make_inputs(3)])
    np.testing.assert_allclose(out.data, expected.data, rtol=2e-4, atol=2e-4)


# ------------------------------------------------------------ matrix_exp vs SciPy

def _exponentials(a, expm):
    flat = a.reshape((-1,) + a.shape[-2:])
    return np.stack([expm(m) for m in flat]).reshape(a.shape)


def _mpmath_expm(a):
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(40):
        return np.array(mpmath.expm(mpmath.matrix(a.tolist())).tolist(), dtype=np.float64)


@pytest.mark.parametrize("spread", [1e-4, 0.02, 0.3, 0.8, 1.5, 3.0])
@pytest.mark.parametrize("n", SIZES + [6])
def test_matrix_exp_is_within_a_few_ulp_of_the_exact_exponential(n, spread):
    # Entries up to 3 reach every Padé degree and a few squarings; the exact values
    # come from 40-digit arithmetic, and the error is counted in ulps of each
    # matrix's largest entry.
    a = np.random.default_rng(n).uniform(-spread, spread, (8, n, n))
    exact = _exponentials(a, _mpmath_expm)
    ulps = np.abs(ad.linalg.matrix_exp(a).data - exact) / np.spacing(
        np.abs(exact).max(axis=(-2, -1), keepdims=True))
    assert ulps.max() <= 16


@pytest.mark.parametrize("spread", [0.3, 3.0, 10.0])
def test_matrix_exp_agrees_with_scipy(spread):
    scipy_linalg = pytest.importorskip("scipy.linalg")
    a = np.random.default_rng(7).uniform(-spread, spread, (30, 4, 4))
    reference = _exponentials(a, scipy_linalg.expm)
    difference = np.abs(ad.linalg.matrix_exp(a).data - reference).max(axis=(-2, -1))
    # (SciPy's own error reaches a few hundred ulps on such matrices)
    assert np.all(difference <= 1e-12 * np.abs(reference).max(axis=(-2, -1)))


def test_matrix_exp_of_known_matrices():
    nilpotent = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(ad.linalg.matrix_exp(nilpotent).data,
                               np.eye(3) + nilpotent + nilpotent @ nilpotent / 2, atol=1e-15)
    rotation = np.array([[0.0, -2.0], [2.0, 0.0]])
    np.testing.assert_allclose(ad.linalg.matrix_exp(rotation).data,
                               [[np.cos(2), -np.sin(2)], [np.sin(2), np.cos(2)]], atol=1e-15)
    big = np.diag([10.0, -20.0, 40.0])           # squarings; exp(40) ~ 2e17
    np.testing.assert_allclose(ad.linalg.matrix_exp(big).data, np.diag(np.exp([10, -20, 40])),
                               rtol=1e-14)
    assert ad.matrix_exp is ad.linalg.matrix_exp


def test_matrix_exp_gradient_of_a_large_cotangent_and_forward_mode():
    a = 0.5 * _rng(3).uniform(-1, 1, (3, 3))
    assert ad.gradcheck(lambda t: 1e6 * ad.linalg.matrix_exp(t), [a], rtol=1e-5)
    tangent = _rng(3, 5).uniform(-1, 1, (3, 3))
    _, derivative = ad.jvp(ad.linalg.matrix_exp, (ad.tensor(a),), (ad.tensor(tangent),))
    h = 1e-6
    numerical = (ad.linalg.matrix_exp(a + h * tangent).data
                 - ad.linalg.matrix_exp(a - h * tangent).data) / (2 * h)
    np.testing.assert_allclose(derivative.data, numerical, rtol=1e-7, atol=1e-8)


def test_matrix_exp_nan_spreads_to_its_own_matrix_only():
    a = np.zeros((2, 2, 2))
    a[0, 0, 1] = np.nan
    out = ad.linalg.matrix_exp(a).data
    assert np.isnan(out[0]).all()
    np.testing.assert_array_equal(out[1], np.eye(2))


# ------------------------------------------------------------ against PyTorch

def _torch_values_and_gradients(torch, function, inputs, weights):
    tensors = [torch.tensor(x, requires_grad=True) for x in inputs]
    out = function(*tensors)
    (out * torch.tensor(weights)).sum().backward()
    return out.detach().numpy(), [t.grad.numpy() for t in tensors]


def _ours(function, inputs, weights):
    tensors = [ad.tensor(x, requires_grad=True) for x in inputs]
    out = function(*tensors)
    (out * weights).sum().backward()
    return out.data, [t.grad for t in tensors]


def _torch_cases(torch):
    tril, triu = torch.tril, torch.triu

    def lu_torch(a):
        P, L, U = torch.linalg.lu(a)
        return torch.cat([L.reshape(-1), (U * 0.5).reshape(-1)])

    def lu_solve_torch(left, adjoint):
        def solve(a, b):
            LU, pivots = torch.linalg.lu_factor(a)
            return torch.linalg.lu_solve(LU, pivots, b if left else b.mT, left=left,
                                         adjoint=adjoint)
        return solve

    return {
        "matrix_exp": torch.linalg.matrix_exp,
        "lu_factor": lambda a: torch.linalg.lu_factor(a).LU,
        "lu": lu_torch,
        "lu_factor_wide": lambda a: torch.linalg.lu_factor(a).LU,
        "lu_factor_tall": lambda a: torch.linalg.lu_factor(a).LU,
        "lu_tall": lu_torch,
        "lu_solve": lu_solve_torch(True, False),
        "lu_solve_adjoint": lu_solve_torch(True, True),
        "lu_solve_right": lu_solve_torch(False, False),
        "lu_solve_right_adjoint": lu_solve_torch(False, True),
        "cholesky_ex": lambda a: torch.linalg.cholesky_ex(_symmetrized(a)).L,
        "inv_ex": lambda a: torch.linalg.inv_ex(a).inverse,
        "solve_ex": lambda a, b: torch.linalg.solve_ex(a, b).result,
        "solve_ex_vectors": lambda a, b: torch.linalg.solve_ex(a, b).result,
        "solve_ex_right": lambda a, b: torch.linalg.solve_ex(a, b, left=False).result,
        "cholesky_solve": lambda b, f: torch.cholesky_solve(b, tril(f)),
        "cholesky_solve_upper": lambda b, f: torch.cholesky_solve(b, triu(f), upper=True),
        "cholesky_inverse": lambda f: torch.cholesky_inverse(tril(f)),
        "triangular_solve": lambda b, a: torch.triangular_solve(b, a).solution,
        "triangular_solve_lower_transposed_unit": lambda b, a: torch.triangular_solve(
            b, a, upper=False, transpose=True, unitriangular=True).solution,
        "householder_product": torch.linalg.householder_product,
    }


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name", sorted(set(CASES) - {"vander"}))
def test_values_and_gradients_match_pytorch(name, n):
    torch = pytest.importorskip("torch")
    make_inputs, function = CASES[name]
    inputs = make_inputs(n)
    ours, our_grads = _ours(function, inputs, 1.0)
    weights = _rng(n, 7).uniform(-1, 1, ours.shape)
    ours, our_grads = _ours(function, inputs, weights)
    theirs, their_grads = _torch_values_and_gradients(torch, _torch_cases(torch)[name],
                                                      inputs, weights)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    for mine, expected in zip(our_grads, their_grads):
        np.testing.assert_allclose(mine, expected, rtol=1e-10, atol=1e-11)


@pytest.mark.parametrize("N", [None, 2, 5])
def test_vander_matches_pytorch_and_numpy_keeps_its_order(N):
    torch = pytest.importorskip("torch")
    x = _rng(3).uniform(-2, 2, (2, 4))
    ours = ad.linalg.vander(ad.tensor(x), N=N)
    theirs = torch.linalg.vander(torch.tensor(x), N=N)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-15)
    integers = ad.linalg.vander(ad.tensor([1, 2, 3]))
    assert integers.dtype == np.int64
    np.testing.assert_array_equal(integers.data, torch.linalg.vander(torch.tensor([1, 2, 3])))
    # ad.vander is np.vander: decreasing powers by default
    np.testing.assert_array_equal(ad.vander(ad.tensor([1.0, 2.0, 3.0])).data,
                                  np.vander([1.0, 2.0, 3.0]))


def test_result_types_and_pivots_match_pytorch():
    torch = pytest.importorskip("torch")
    a = _well_conditioned(3)
    LU, pivots = ad.linalg.lu_factor(a)
    t_LU, t_pivots = torch.linalg.lu_factor(torch.tensor(a))
    assert pivots.dtype == np.int32 and t_pivots.dtype == torch.int32
    np.testing.assert_array_equal(pivots.data, t_pivots.numpy())
    assert ad.linalg.lu_factor(a)._fields == ("LU", "pivots")
    assert ad.linalg.lu_factor_ex(a)._fields == ("LU", "pivots", "info")
    assert ad.linalg.lu(a)._fields == ("P", "L", "U")
    assert ad.lu_unpack(LU, pivots)._fields == ("P", "L", "U")
    assert ad.linalg.cholesky_ex(np.eye(2))._fields == ("L", "info")
    assert ad.linalg.inv_ex(np.eye(2))._fields == ("inverse", "info")
    assert ad.linalg.solve_ex(np.eye(2), np.ones(2))._fields == ("result", "info")
    assert ad.triangular_solve(np.ones((2, 1)), np.eye(2))._fields == (
        "solution", "cloned_coefficient")
    for ours, theirs in zip(ad.lu_unpack(LU, pivots), torch.lu_unpack(t_LU, t_pivots)):
        np.testing.assert_allclose(ours.data, theirs.numpy(), atol=1e-15)
    b = _rhs(3)
    np.testing.assert_allclose(ad.lu_solve(b, LU, pivots).data,
                               torch.linalg.lu_solve(t_LU, t_pivots, torch.tensor(b)).numpy(),
                               rtol=1e-12)
    P, L, U = ad.linalg.lu(a)
    np.testing.assert_allclose((P @ L @ U).data, a, atol=1e-14)


def test_lu_unpack_without_data_or_pivots_gives_empty_tensors():
    torch = pytest.importorskip("torch")
    a = _well_conditioned(3, (2,))
    ours = ad.lu_unpack(*ad.linalg.lu_factor(a), unpack_data=False)
    theirs = torch.lu_unpack(*torch.linalg.lu_factor(torch.tensor(a)), unpack_data=False)
    assert ours.L.shape == tuple(theirs.L.shape) and ours.U.shape == tuple(theirs.U.shape)
    np.testing.assert_array_equal(ours.P.data, theirs.P.numpy())
    ours = ad.lu_unpack(*ad.linalg.lu_factor(a), unpack_pivots=False)
    theirs = torch.lu_unpack(*torch.linalg.lu_factor(torch.tensor(a)), unpack_pivots=False)
    assert ours.P.shape == tuple(theirs.P.shape)


# ------------------------------------------------------------ info and failures

SINGULAR = np.stack([np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]),
                     np.eye(3), np.zeros((3, 3)),
                     np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 0.0], [3.0, 1.0, 0.0]])])
NOT_POSITIVE = np.stack([np.array([[4.0, 2.0, 1.0], [2.0, -1.0, 0.0], [1.0, 0.0, 3.0]]),
                         2 * np.eye(3), np.diag([1.0, 1.0, -1.0]), np.diag([np.nan, 1, 1])])


def test_info_codes_match_pytorch_on_singular_matrices():
    torch = pytest.importorskip("torch")
    t = torch.tensor(SINGULAR)
    ours, theirs = ad.linalg.lu_factor_ex(SINGULAR), torch.linalg.lu_factor_ex(t)
    np.testing.assert_array_equal(ours.info.data, theirs.info.numpy())
    assert ours.info.dtype == np.int32
    np.testing.assert_array_equal(ours.pivots.data, theirs.pivots.numpy())
    np.testing.assert_allclose(ours.LU.data, theirs.LU.numpy(), atol=1e-15)
    inverse, info = ad.linalg.inv_ex(SINGULAR)
    np.testing.assert_array_equal(info.data, torch.linalg.inv_ex(t).info.numpy())
    assert np.isnan(inverse.data[info.data != 0]).all()
    np.testing.assert_array_equal(inverse.data[1], np.eye(3))
    result, info = ad.linalg.solve_ex(SINGULAR, np.ones((4, 3, 1)))
    np.testing.assert_array_equal(info.data,
                                  torch.linalg.solve_ex(t, torch.ones(4, 3, 1,
                                                        dtype=torch.float64)).info.numpy())
    assert np.isnan(result.data[info.data != 0]).all()


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_ex_matches_pytorch_on_failures_too(upper):
    torch = pytest.importorskip("torch")
    a = NOT_POSITIVE if not upper else np.swapaxes(NOT_POSITIVE, -1, -2)
    tensor = ad.tensor(a, requires_grad=True)
    L, info = ad.linalg.cholesky_ex(tensor, upper=upper)
    theirs = torch.linalg.cholesky_ex(torch.tensor(a), upper=upper)
    np.testing.assert_array_equal(info.data, theirs.info.numpy())
    np.testing.assert_allclose(L.data, theirs.L.numpy(), atol=1e-15)
    L.sum().backward()                            # the failed matrices get zeros
    np.testing.assert_array_equal(tensor.grad[info.data != 0], 0.0)
    assert np.all(np.isfinite(tensor.grad))
    assert np.any(tensor.grad[1] != 0)


def test_check_errors_and_singular_lu_factor_raise_naming_the_function():
    with pytest.raises(np.linalg.LinAlgError, match=r"lu_factor: U\[3,3\] is zero .*"
                       r"batch element \[0\].*\(4, 3, 3\).*lu_factor_ex"):
        ad.linalg.lu_factor(SINGULAR)
    with pytest.raises(np.linalg.LinAlgError, match=r"inv_ex: .*element 3 .*singular.*"
                       r"batch element \[0\]"):
        ad.linalg.inv_ex(SINGULAR, check_errors=True)
    with pytest.raises(np.linalg.LinAlgError, match=r"solve_ex: .*singular"):
        ad.linalg.solve_ex(SINGULAR, np.ones((3, 1)), check_errors=True)
    with pytest.raises(np.linalg.LinAlgError, match=r"cholesky_ex: the leading minor of "
                       r"order 2 is not positive-definite \(batch element \[0\]\)"):
        ad.linalg.cholesky_ex(NOT_POSITIVE, check_errors=True)
    with pytest.raises(np.linalg.LinAlgError, match=r"lu_factor_ex: U\[1,1\]"):
        ad.linalg.lu_factor_ex(np.zeros((2, 2)), check_errors=True)


@pytest.mark.parametrize("call", [
    lambda a: ad.linalg.matrix_exp(a), lambda a: ad.linalg.cholesky_ex(a),
    lambda a: ad.linalg.inv_ex(a), lambda a: ad.linalg.solve_ex(a, np.ones(2)),
    lambda a: ad.cholesky_inverse(a), lambda a: ad.cholesky_solve(np.ones((2, 1)), a),
    lambda a: ad.triangular_solve(np.ones((2, 1)), a)], ids=[
    "matrix_exp", "cholesky_ex", "inv_ex", "solve_ex",
    "cholesky_inverse", "cholesky_solve", "triangular_solve"])
def test_non_square_matrices_are_refused_with_their_shape(call):
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        call(np.ones((2, 3)))


def test_bad_arguments_are_refused_clearly():
    with pytest.raises(TypeError, match="matrix_exp: .*floating-point.*int64"):
        ad.linalg.matrix_exp(ad.tensor(np.eye(2, dtype=np.int64)))
    with pytest.raises(ValueError, match="lu_factor: .*pivot=False"):
        ad.linalg.lu_factor(np.eye(2), pivot=False)
    with pytest.raises(ValueError, match="solve_ex: incompatible shapes.*\\(2, 2\\).*\\(3,\\)"):
        ad.linalg.solve_ex(np.eye(2), np.ones(3))
    with pytest.raises(ValueError, match="lu_solve: LU is 2 x 2, so B needs 2 rows"):
        ad.linalg.lu_solve(*ad.linalg.lu_factor(np.eye(2)), np.ones((3, 1)))
    with pytest.raises(ValueError, match="linalg.vander: N must be greater than 1"):
        ad.linalg.vander(ad.tensor([1.0, 2.0]), N=1)
    with pytest.raises(ValueError, match="linalg.vander: x must have at least one dim"):
        ad.linalg.vander(ad.tensor(2.0))
    with pytest.raises(ValueError, match="householder_product: .*k <= n <= m"):
        ad.linalg.householder_product(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match="cholesky_solve: .*B a matrix"):
        ad.cholesky_solve(np.ones(2), np.eye(2))


# ------------------------------------------------------------ 0-size inputs

@pytest.mark.parametrize("shape", [(0, 3, 3), (2, 0, 0)])
def test_empty_batches_and_matrices_match_pytorch(shape):
    torch = pytest.importorskip("torch")
    a = np.zeros(shape)
    t = torch.zeros(shape, dtype=torch.float64)
    pairs = [
        (ad.linalg.matrix_exp(a), torch.linalg.matrix_exp(t)),
        (ad.linalg.lu_factor(a).pivots, torch.linalg.lu_factor(t).pivots),
        (ad.linalg.lu(a).P, torch.linalg.lu(t).P),
        (ad.linalg.inv_ex(a).info, torch.linalg.inv_ex(t).info),
        (ad.linalg.cholesky_ex(a).L, torch.linalg.cholesky_ex(t).L),
        (ad.linalg.solve_ex(a, a).result, torch.linalg.solve_ex(t, t).result),
        (ad.cholesky_inverse(a), torch.cholesky_inverse(t)),
    ]
    for ours, theirs in pairs:
        assert ours.shape == tuple(theirs.shape)
    x = ad.tensor(a, requires_grad=True)
    ad.linalg.matrix_exp(x).sum().backward()
    assert x.grad.shape == shape


# ------------------------------------------------------------ methods and ad.compile

def test_tensor_methods_are_the_functions():
    a, b, factor = _well_conditioned(3), _rhs(3), _spd_factor(3)
    LU, pivots = ad.linalg.lu_factor(a)
    pairs = [
        (ad.tensor(a).matrix_exp(), ad.linalg.matrix_exp(a)),
        (ad.tensor(b).cholesky_solve(ad.tensor(factor)), ad.cholesky_solve(b, factor)),
        (ad.tensor(factor).cholesky_inverse(upper=True), ad.cholesky_inverse(factor, True)),
        (ad.tensor(b).triangular_solve(ad.tensor(a), upper=False).solution,
         ad.triangular_solve(b, a, upper=False).solution),
        (ad.tensor(b).lu_solve(LU, pivots), ad.linalg.lu_solve(LU, pivots, b)),
    ]
    for method, function in pairs:
        np.testing.assert_array_equal(method.data, function.data)


@pytest.mark.parametrize("name", sorted(CASES))
def test_compiled_replays_follow_new_matrices(name):
    make_inputs, function = CASES[name]
    weights = ad.tensor(np.ones(make_inputs(2)[0].shape[-2:]), requires_grad=True)

    def step(*inputs):
        weights.grad = None
        out = function(inputs[0] * weights, *inputs[1:])
        (out * out).sum().backward()
        return out

    compiled = ad.compile(step)
    for salt in range(3):
        inputs = [ad.tensor(x) for x in make_inputs(2)]
        inputs[0] = inputs[0] * (1.0 + 0.1 * salt)          # a new matrix each call
        got = compiled(*inputs)
        got_grad = weights.grad.copy()
        eager = step(*inputs)
        np.testing.assert_allclose(got.data, eager.data, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(got_grad, weights.grad, rtol=1e-12, atol=1e-13)
    assert compiled.traces == 1


def test_compiled_replays_follow_failures_and_check_them():
    def step(a, check):
        return ad.linalg.inv_ex(a * 1.0, check_errors=check)

    compiled = ad.compile(lambda a: step(a, False))
    for a in [np.eye(3)[None].repeat(4, 0), SINGULAR, np.eye(3)[None].repeat(4, 0)]:
        got, eager = compiled(ad.tensor(a)), step(ad.tensor(a), False)
        np.testing.assert_array_equal(got.info.data, eager.info.data)
        np.testing.assert_array_equal(got.inverse.data, eager.inverse.data)
    checked = ad.compile(lambda a: step(a, True))
    checked(ad.tensor(np.eye(3)[None].repeat(4, 0)))
    with pytest.raises(np.linalg.LinAlgError, match="inv_ex: .*singular"):
        checked(ad.tensor(SINGULAR))


@pytest.mark.parametrize("name", ["matrix_exp", "lu_factor", "lu_solve_adjoint", "cholesky_solve",
                                  "cholesky_ex", "solve_ex", "householder_product"])
def test_forward_mode_matches_finite_differences(name):
    make_inputs, function = CASES[name]
    inputs = make_inputs(3)
    tangents = [_rng(3, 9 + i).uniform(-1, 1, x.shape) for i, x in enumerate(inputs)]
    _, derivative = ad.jvp(function, tuple(ad.tensor(x) for x in inputs),
                           tuple(ad.tensor(t) for t in tangents))
    h = 1e-6
    plus = function(*[ad.tensor(x + h * t) for x, t in zip(inputs, tangents)]).data
    minus = function(*[ad.tensor(x - h * t) for x, t in zip(inputs, tangents)]).data
    np.testing.assert_allclose(derivative.data, (plus - minus) / (2 * h), rtol=1e-6, atol=1e-7)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_deprecated_lu_matches_pytorch():
    torch = pytest.importorskip("torch")
    for a in [_well_conditioned(3), SINGULAR]:
        ours = ad.lu(a, get_infos=True)
        theirs = torch.lu(torch.tensor(a), get_infos=True)
        for mine, expected in zip(ours, theirs):
            np.testing.assert_allclose(mine.data, expected.numpy(), atol=1e-15)
        assert len(ad.tensor(a).lu()) == 2


@pytest.mark.parametrize("name", ["lu_solve", "solve_ex", "cholesky_solve"])
def test_batch_dims_broadcast_as_in_pytorch(name):
    torch = pytest.importorskip("torch")
    matrix = _well_conditioned(3, (4, 1))
    if name == "cholesky_solve":
        matrix = _spd_factor(3, (4, 1))
    rhs = _rhs(3, 5, (2,))
    function = CASES[name][1]
    inputs = [rhs, matrix] if name == "cholesky_solve" else [matrix, rhs]
    ours, our_grads = _ours(function, inputs, 1.0)
    theirs, their_grads = _torch_values_and_gradients(torch, _torch_cases(torch)[name],
                                                      inputs, np.ones(ours.shape))
    assert ours.shape == theirs.shape == (4, 2, 3, 5)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    for mine, expected in zip(our_grads, their_grads):
        assert mine.shape == expected.shape
        np.testing.assert_allclose(mine, expected, rtol=1e-10, atol=1e-11)


def test_deprecated_forms_warn_as_pytorch_does():
    with pytest.warns(UserWarning, match="triangular_solve is deprecated .*solve_triangular"):
        ad.triangular_solve(np.ones((2, 1)), np.eye(2))
    with pytest.warns(UserWarning, match="lu is deprecated .*lu_factor"):
        ad.lu(np.eye(2))
