"""``ad.linalg.ldl_factor`` / ``ldl_factor_ex`` / ``ldl_solve``: Bunch-Kaufman LDL^T as
LAPACK's sytrf/sytrs, compared with PyTorch (LD, pivot encoding, info, dtypes, solves),
the gradient of ldl_solve in B against PyTorch's solve and finite differences, and the
refusals."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(11)


def _symmetric(n, batch=(), kind="random", dtype=np.float64):
    a = RNG.standard_normal(batch + (n, n))
    a = a + np.swapaxes(a, -1, -2)
    if kind == "small_diagonal":            # forces 2 x 2 pivots
        a[..., np.arange(n), np.arange(n)] *= 0.01
    elif kind == "zero_diagonal":
        a[..., np.arange(n), np.arange(n)] = 0.0
    elif kind == "definite":
        a = a @ np.swapaxes(a, -1, -2) + n * np.eye(n)
    return a.astype(dtype)


CASES = [(1, (), "random"), (2, (), "zero_diagonal"), (5, (), "random"),
         (6, (), "small_diagonal"), (7, (3,), "zero_diagonal"), (4, (2, 3), "small_diagonal"),
         (8, (), "definite"), (70, (), "random"), (0, (2,), "random")]


@pytest.mark.parametrize("n, batch, kind", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_ldl_factor_matches_pytorch(n, batch, kind, dtype):
    torch = pytest.importorskip("torch")
    a = _symmetric(n, batch, kind, dtype)
    ours = ad.linalg.ldl_factor_ex(ad.tensor(a))
    theirs = torch.linalg.ldl_factor_ex(torch.from_numpy(a))
    np.testing.assert_array_equal(ours.pivots.numpy(), theirs.pivots.numpy())
    assert ours.pivots.dtype == np.int32 and ours.info.dtype == np.int32
    assert ours.LD.dtype == dtype and ours.LD.shape == tuple(theirs.LD.shape)
    assert ours.info.shape == tuple(theirs.info.shape)
    np.testing.assert_array_equal(ours.info.numpy(), theirs.info.numpy())
    tolerance = 1e-10 if dtype == np.float64 else 2e-4
    np.testing.assert_allclose(ours.LD.numpy(), theirs.LD.numpy(), rtol=tolerance,
                               atol=tolerance * max(1.0, float(np.abs(a).max(initial=0))))
    LD, pivots = ad.linalg.ldl_factor(ad.tensor(a))
    np.testing.assert_array_equal(LD.numpy(), ours.LD.numpy())
    assert not np.triu(LD.numpy(), 1).any()                # PyTorch zeroes it too
    if n and kind in ("small_diagonal", "zero_diagonal"):
        assert (ours.pivots.numpy() < 0).any()             # 2 x 2 blocks were taken


@pytest.mark.parametrize("n, batch, kind", [c for c in CASES if c[0]])
def test_ldl_solve_matches_pytorch_and_solves(n, batch, kind):
    torch = pytest.importorskip("torch")
    a = _symmetric(n, batch, kind)
    b = RNG.standard_normal(batch + (n, 3))
    LD, pivots = ad.linalg.ldl_factor(ad.tensor(a))
    x = ad.linalg.ldl_solve(LD, pivots, ad.tensor(b))
    their_LD, their_pivots = torch.linalg.ldl_factor(torch.from_numpy(a))  # noqa: N806
    expected = torch.linalg.ldl_solve(their_LD, their_pivots, torch.from_numpy(b)).numpy()
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(a @ x.numpy(), b, rtol=1e-8, atol=1e-8)
    assert x.shape == expected.shape and x.dtype == np.float64


def test_ldl_solve_broadcasts_batches_and_keeps_float32():
    torch = pytest.importorskip("torch")
    a = _symmetric(4, (2,), "small_diagonal", np.float32)
    b = RNG.standard_normal((3, 1, 4, 2)).astype(np.float32)
    LD, pivots = ad.linalg.ldl_factor(a)
    x = ad.linalg.ldl_solve(LD, pivots, b)
    their_LD, their_pivots = torch.linalg.ldl_factor(torch.from_numpy(a))  # noqa: N806
    # (broadcast by hand: PyTorch 2.13's ldl_solve crashes on B (3, 1, 4, 2) here)
    expected = torch.linalg.ldl_solve(their_LD.expand(3, 2, 4, 4).contiguous(),
                                      their_pivots.expand(3, 2, 4).contiguous(),
                                      torch.from_numpy(b).expand(3, 2, 4, 2).contiguous())
    expected = expected.numpy()
    assert x.shape == expected.shape == (3, 2, 4, 2) and x.dtype == np.float32
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-4, atol=1e-4)


def test_the_gradient_of_ldl_solve_in_b_matches_solve_and_finite_differences():
    torch = pytest.importorskip("torch")
    a = _symmetric(5, (2,), "zero_diagonal")
    b = RNG.standard_normal((2, 5, 3))
    weights = RNG.standard_normal((2, 5, 3))
    LD, pivots = ad.linalg.ldl_factor(a)
    B = ad.tensor(b, requires_grad=True)  # noqa: N806
    (ad.sin(ad.linalg.ldl_solve(LD, pivots, B)) * weights).sum().backward()
    their_b = torch.tensor(b, requires_grad=True)      # PyTorch's ldl_solve has no gradient:
    (torch.sin(torch.linalg.solve(torch.from_numpy(a), their_b))   # its solve has this one
     * torch.from_numpy(weights)).sum().backward()
    np.testing.assert_allclose(B.grad, their_b.grad.numpy(), rtol=1e-9, atol=1e-12)

    def loss(values):
        return float((np.sin(ad.linalg.ldl_solve(LD, pivots, values).numpy()) * weights).sum())
    numeric = np.zeros_like(b)
    for index in np.ndindex(b.shape):
        up, down = b.copy(), b.copy()
        up[index] += 1e-6
        down[index] -= 1e-6
        numeric[index] = (loss(up) - loss(down)) / 2e-6
    np.testing.assert_allclose(B.grad, numeric, rtol=1e-6, atol=1e-8)


def test_the_gradient_of_ldl_solve_differentiates_again():
    a = _symmetric(4, (), "small_diagonal")
    LD, pivots = ad.linalg.ldl_factor(a)
    b = ad.tensor(RNG.standard_normal((4, 1)), requires_grad=True)
    (grad,) = ad.autograd.grad((ad.linalg.ldl_solve(LD, pivots, b) ** 2).sum(), [b],
                               create_graph=True)
    (second,) = ad.autograd.grad(grad[0, 0], [b])
    inverse = np.linalg.inv(a)
    np.testing.assert_allclose(second.numpy()[:, 0], 2 * (inverse @ inverse)[0], rtol=1e-9)


def test_singular_d_is_reported_as_pytorch_does():
    torch = pytest.importorskip("torch")
    zero = np.zeros((3, 3))
    ours = ad.linalg.ldl_factor_ex(zero)
    theirs = torch.linalg.ldl_factor_ex(torch.from_numpy(zero))
    assert ours.info.item() == theirs.info.item() == 1
    np.testing.assert_array_equal(ours.pivots.numpy(), theirs.pivots.numpy())
    with pytest.raises(np.linalg.LinAlgError, match="ldl_factor: the factorization was "
                                                    "completed but D is exactly singular"):
        ad.linalg.ldl_factor(zero)
    with pytest.raises(RuntimeError):                       # PyTorch raises too
        torch.linalg.ldl_factor(torch.from_numpy(zero))
    with pytest.raises(np.linalg.LinAlgError, match="ldl_factor_ex: .*entry 1 is zero"):
        ad.linalg.ldl_factor_ex(zero, check_errors=True)


def test_no_derivative_of_the_factorization_is_refused_clearly():
    torch = pytest.importorskip("torch")
    a = _symmetric(3)
    with pytest.raises(RuntimeError, match="ldl_factor_ex: A .* requires grad, and the LDL "
                                           "factorization has no derivative.*linalg.solve"):
        ad.linalg.ldl_factor(ad.tensor(a, requires_grad=True))
    with pytest.raises(RuntimeError, match="derivative for .*ldl_factor.* not implemented"):
        torch.linalg.ldl_factor(torch.tensor(a, requires_grad=True))[0].sum().backward()
    with ad.no_grad():
        LD, pivots = ad.linalg.ldl_factor(ad.tensor(a, requires_grad=True))
    with pytest.raises(RuntimeError, match="ldl_solve: LD .* requires grad"):
        ad.linalg.ldl_solve(LD.requires_grad_(), pivots, np.ones((3, 1)))


def test_bad_arguments_name_the_problem():
    LD, pivots = ad.linalg.ldl_factor(_symmetric(3, (), "zero_diagonal"))
    with pytest.raises(ValueError, match="ldl_factor_ex: A must be a square matrix"):
        ad.linalg.ldl_factor(np.ones((2, 3)))
    with pytest.raises(TypeError, match="complex input is not supported"):
        ad.linalg.ldl_factor(np.eye(2) * 1j)
    with pytest.raises(TypeError, match="must be a floating-point tensor"):
        ad.linalg.ldl_factor(np.eye(2, dtype=int))
    with pytest.raises(ValueError, match="so B needs 3 rows"):
        ad.linalg.ldl_solve(LD, pivots, np.ones((2, 1)))
    with pytest.raises(ValueError, match="B a matrix"):
        ad.linalg.ldl_solve(LD, pivots, np.ones(3))
    with pytest.raises(ValueError, match="are not LAPACK's sytrf pivots"):
        ad.linalg.ldl_solve(LD, np.array([1, -2, 3], np.int32), np.ones((3, 1)))
    with pytest.raises(ValueError, match="pivots must be the integer"):
        ad.linalg.ldl_solve(LD, np.ones(3), np.ones((3, 1)))
    with pytest.raises(TypeError, match="LD is float64 but B is float32"):
        ad.linalg.ldl_solve(LD, pivots, np.ones((3, 1), np.float32))


def test_ldl_in_a_compiled_function_replays_with_new_values():
    a = ad.tensor(_symmetric(4, (), "zero_diagonal"))

    @ad.compile
    def solve_and_grad(b):
        LD, pivots = ad.linalg.ldl_factor(a)
        x = ad.linalg.ldl_solve(LD, pivots, b)
        (x ** 2).sum().backward()
        return x

    for _ in range(3):
        b = ad.tensor(RNG.standard_normal((4, 2)), requires_grad=True)
        x = solve_and_grad(b)
        inverse = np.linalg.inv(a.numpy())
        np.testing.assert_allclose(x.numpy(), inverse @ b.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(b.grad, 2 * inverse @ inverse @ b.numpy(), rtol=1e-9,
                                   atol=1e-12)
