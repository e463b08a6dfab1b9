"""LowerCholeskyTransform, CorrCholeskyTransform, CatTransform and StackTransform, and
the constraints corr_cholesky, cat and stack, against torch.distributions and against
central finite differences: forward and inverse maps, log-determinants (the slogdet of
the finite-difference Jacobian on the unconstrained vector for the Cholesky maps), the
constraint checks, biject_to / transform_to, and the errors."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import distributions as D
from autodiff.distributions import constraints as C
from autodiff.distributions import transforms as T

RNG = np.random.default_rng(5)


def _value(t):
    return np.asarray(t.data if isinstance(t, ad.Tensor) else t)


def _jacobian(f, x, eps=1e-6):
    """Central-difference Jacobian of the vector function ``f`` at the vector ``x``."""
    columns = []
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = eps
        columns.append((f(x + step) - f(x - step)) / (2 * eps))
    return np.stack(columns, -1)


@pytest.mark.parametrize("size", [2, 3, 4])
def test_corr_cholesky_is_torchs_and_its_log_det_is_the_jacobians(size):
    n = size * (size - 1) // 2
    x = RNG.normal(size=(2, n))
    t = T.CorrCholeskyTransform()
    y = _value(t(x))
    assert y.shape == (2, size, size) == t.forward_shape((2, n))
    assert t.inverse_shape(y.shape) == (2, n)
    np.testing.assert_allclose(np.diagonal(y @ np.swapaxes(y, -1, -2), 0, -2, -1), 1.0,
                               rtol=1e-12)
    assert _value(C.corr_cholesky.check(y)).all()
    np.testing.assert_allclose(_value(t.inv(y)), x, rtol=1e-9, atol=1e-12)
    log_det = _value(t.log_abs_det_jacobian(x, y))
    rows, cols = np.tril_indices(size, -1)
    for b in range(2):
        jac = _jacobian(lambda v: _value(t(v))[rows, cols], x[b])
        sign, expected = np.linalg.slogdet(jac)
        assert sign != 0
        np.testing.assert_allclose(log_det[b], expected, rtol=1e-6)
    torch = pytest.importorskip("torch")
    theirs = torch.distributions.transforms.CorrCholeskyTransform()
    ty = theirs(torch.tensor(x))
    np.testing.assert_allclose(y, ty.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(log_det, theirs.log_abs_det_jacobian(torch.tensor(x), ty)
                               .numpy(), rtol=1e-12)
    np.testing.assert_allclose(_value(t.inv(y)), theirs.inv(ty).numpy(), rtol=1e-12)


def test_corr_cholesky_gradients_match_finite_differences():
    t = T.CorrCholeskyTransform()
    weights = RNG.normal(size=(3, 3))

    def loss(x):
        y = t(x)
        return (y * weights).sum() + t.log_abs_det_jacobian(x, y)

    start = RNG.normal(size=3)
    x = ad.tensor(start, requires_grad=True)
    loss(x).backward()
    np.testing.assert_allclose(x.grad, ad.numerical_grad(loss, [start])[0], rtol=1e-6,
                               atol=1e-9)


def test_lower_cholesky_is_torchs_and_its_log_det_is_that_on_the_lower_triangle():
    x = RNG.normal(size=(2, 3, 3))
    t = T.LowerCholeskyTransform()
    y = _value(t(x))
    assert _value(C.lower_cholesky.check(y)).all()
    np.testing.assert_allclose(_value(t.inv(y)), np.tril(x), rtol=1e-12)
    rows, cols = np.tril_indices(3)

    def on_the_triangle(vector):
        matrix = np.zeros((3, 3))
        matrix[rows, cols] = vector
        return _value(t(matrix))[rows, cols]

    log_det = _value(t.log_abs_det_jacobian(x, y))
    for b in range(2):
        _, expected = np.linalg.slogdet(_jacobian(on_the_triangle, x[b][rows, cols]))
        np.testing.assert_allclose(log_det[b], expected, rtol=1e-7)
    assert not t.bijective and t == T.LowerCholeskyTransform()
    torch = pytest.importorskip("torch")
    theirs = torch.distributions.transforms.LowerCholeskyTransform()
    np.testing.assert_allclose(y, theirs(torch.tensor(x)).numpy(), rtol=1e-12)
    np.testing.assert_allclose(_value(t.inv(y)), theirs.inv(torch.tensor(y)).numpy(),
                               rtol=1e-12)


def _cat_and_stack(transforms_, tensor):
    """(ours or torch's transforms module, tensor maker) -> transforms to compare."""
    tr = transforms_
    return [tr.CatTransform([tr.ExpTransform(), tr.AffineTransform(tensor(1.0), tensor(3.0)),
                             tr.SigmoidTransform()], dim=-1, lengths=[1, 2, 1]),
            tr.CatTransform([tr.ExpTransform(), tr.TanhTransform()], dim=0, lengths=[2, 1]),
            tr.CatTransform([tr.IndependentTransform(tr.ExpTransform(), 1),
                             tr.IndependentTransform(tr.SigmoidTransform(), 1)], dim=0,
                            lengths=[1, 2]),
            tr.CatTransform([tr.IndependentTransform(tr.ExpTransform(), 1),
                             tr.IndependentTransform(tr.SigmoidTransform(), 1)], dim=-1,
                            lengths=[3, 1]),
            tr.StackTransform([tr.ExpTransform(), tr.SigmoidTransform(),
                               tr.AffineTransform(tensor(0.5), tensor(-2.0)),
                               tr.TanhTransform()], dim=1),
            tr.StackTransform([tr.ExpTransform(), tr.TanhTransform(),
                               tr.SigmoidTransform()], dim=-2)]


@pytest.mark.parametrize("index", range(6))
def test_cat_and_stack_transforms_are_torchs(index):
    torch = pytest.importorskip("torch")
    ours = _cat_and_stack(T, lambda v: v)[index]
    theirs = _cat_and_stack(torch.distributions.transforms,
                            lambda v: torch.tensor(v, dtype=torch.float64))[index]
    x = RNG.normal(size=(3, 4)) * 0.8
    y = ours(x)
    ty = theirs(torch.tensor(x))
    np.testing.assert_allclose(_value(y), ty.numpy(), rtol=1e-12)
    np.testing.assert_allclose(_value(ours.inv(y)), x, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(_value(ours.inv(y)), theirs.inv(ty).numpy(), rtol=1e-12)
    log_det = ours.log_abs_det_jacobian(x, y)
    their_log_det = theirs.log_abs_det_jacobian(torch.tensor(x), ty)
    assert _value(log_det).shape == tuple(their_log_det.shape)
    np.testing.assert_allclose(_value(log_det), their_log_det.numpy(), rtol=1e-12)
    assert ours.bijective == theirs.bijective
    assert ours.domain.event_dim == theirs.domain.event_dim
    assert ours.codomain.event_dim == theirs.codomain.event_dim
    np.testing.assert_array_equal(_value(ours.codomain.check(_value(y))),
                                  theirs.codomain.check(ty).numpy())
    outside = -np.abs(_value(y)) - 1.5
    np.testing.assert_array_equal(_value(ours.codomain.check(outside)),
                                  theirs.codomain.check(torch.tensor(outside)).numpy())


def test_elementwise_cat_log_det_is_the_jacobians():
    t = _cat_and_stack(T, lambda v: v)[0]
    x = RNG.normal(size=4)
    _, expected = np.linalg.slogdet(_jacobian(lambda v: _value(t(v)), x))
    np.testing.assert_allclose(_value(t.log_abs_det_jacobian(x, t(x))).sum(), expected,
                               rtol=1e-7)


@pytest.mark.parametrize("name", ["corr_cholesky", "lower_cholesky", "cat", "stack"])
def test_biject_to_and_transform_to_are_torchs(name):
    torch = pytest.importorskip("torch")
    tc = torch.distributions.constraints

    def constraint(c):
        return {"corr_cholesky": lambda: c.corr_cholesky,
                "lower_cholesky": lambda: c.lower_cholesky,
                "cat": lambda: c.cat([c.positive, c.unit_interval], -1, [1, 2]),
                "stack": lambda: c.stack([c.positive, c.real, c.interval(-1.0, 2.0)], -1)}[
                    name]()

    x = RNG.normal(size=(3, 3))
    for ours_map, their_map in [(D.transform_to, torch.distributions.transform_to),
                                (D.biject_to, torch.distributions.biject_to)]:
        try:
            theirs = their_map(constraint(tc))
        except NotImplementedError:
            with pytest.raises(NotImplementedError, match="not bijective"):
                ours_map(constraint(C))
            continue
        ours = ours_map(constraint(C))
        assert type(ours).__name__ == type(theirs).__name__
        np.testing.assert_allclose(_value(ours(x)), theirs(torch.tensor(x)).numpy(),
                                   rtol=1e-12)
        assert _value(constraint(C).check(_value(ours(x)))).all()


def test_constraints_print_and_judge_as_torchs():
    torch = pytest.importorskip("torch")
    tc = torch.distributions.constraints
    assert repr(C.corr_cholesky) == repr(tc.corr_cholesky) == "CorrCholesky()"
    assert C.corr_cholesky.event_dim == 2
    not_unit = np.array([[1.0, 0.0], [0.5, 0.9]])
    assert not _value(C.corr_cholesky.check(not_unit))
    assert not tc.corr_cholesky.check(torch.tensor(not_unit))
    assert repr(C.cat([C.real], 0)) == repr(tc.cat([tc.real], 0))
    assert repr(C.stack([C.real], 0)) == repr(tc.stack([tc.real], 0))
    assert C.stack([C.real_vector], -2).event_dim == \
        tc.stack([tc.real_vector], -2).event_dim == 2


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="CorrCholeskyTransform: a vector of 2 entries is "
                                         "not the strict lower triangle"):
        T.CorrCholeskyTransform()(np.zeros(2))
    with pytest.raises(ValueError, match=r"CorrCholeskyTransform.inv: the map acts on square "
                                         r"matrices .* shape \(2, 3\)"):
        T.CorrCholeskyTransform().inv(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="LowerCholeskyTransform: the map acts on square"):
        T.LowerCholeskyTransform()(np.zeros(3))
    with pytest.raises(ValueError, match=r"CatTransform: a value of shape \(3,\) has 3 "
                                         r"entries along dim 0; the transforms need 2"):
        T.CatTransform([T.ExpTransform(), T.ExpTransform()])(np.zeros(3))
    with pytest.raises(ValueError, match="StackTransform: dim 2 is out of range"):
        T.StackTransform([T.ExpTransform()], dim=2)(np.zeros(3))
    with pytest.raises(ValueError, match="CatTransform: 2 transforms but 1 lengths"):
        T.CatTransform([T.ExpTransform(), T.ExpTransform()], lengths=[2])
    with pytest.raises(TypeError, match="StackTransform: tseq must be a non-empty list"):
        T.StackTransform(["exp"])
