"""What the twenty-ninth round of PyTorch scripts found missing, checked by hand (no
torch needed):

- a distribution written as PyTorch's docs write one (``arg_constraints``, a support by
  ``constraints.dependent_property``, ``broadcast_all`` from
  ``torch.distributions.utils``, ``self._validate_sample(value)`` in ``log_prob``,
  ``self._extended_shape(sample_shape)`` in ``rsample``, ``self._get_checked_instance``
  in ``expand``) met "no attribute" at each of these; they are here now, and
  ``super().__init__`` checks the parameters against ``arg_constraints`` (warning, as
  PyTorch, when a subclass has none);
- ``ad.distributions.utils`` did not exist: ``broadcast_all``, ``probs_to_logits``,
  ``logits_to_probs``, ``clamp_probs``, ``lazy_property``, ``tril_matrix_to_vec`` and
  ``vec_to_tril_matrix`` are PyTorch's;
- ``transform_to(constraints.positive_definite)`` (a covariance fitted through an
  unconstrained matrix) raised NotImplementedError and ``PositiveDefiniteTransform``
  was refused by name; both are PyTorch's now, as are the constraints ``square``,
  ``symmetric``, ``lower_triangular`` and ``positive_semidefinite``;
- ``nn.Embedding(scale_grad_by_freq=True)`` (and ``F.embedding``'s) was refused: each
  id's gradient is now divided by its count in the call's ids, as PyTorch's, with the
  values unchanged (``EmbeddingBag`` still refuses it by name).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad

D = ad.distributions
C = D.constraints
U = D.utils
RNG = np.random.default_rng(2929)


class TruncatedExponential(D.Distribution):
    """An exponential cut at ``high`` and renormalised, written as PyTorch's docs say."""

    arg_constraints = {"rate": C.positive, "high": C.positive}
    has_rsample = True

    def __init__(self, rate, high, validate_args=None):
        self.rate, self.high = U.broadcast_all(rate, high)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @C.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return C.interval(0.0, self.high)

    def rsample(self, sample_shape=()):
        u = ad.tensor(RNG.random(self._extended_shape(sample_shape)))
        return -ad.log1p(-u * -ad.expm1(-self.rate * self.high)) / self.rate

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return ad.log(self.rate) - self.rate * value - ad.log(-ad.expm1(-self.rate * self.high))


def test_a_distribution_written_as_pytorchs_docs_say():
    rate = ad.tensor([0.5, 2.0], requires_grad=True)
    d = TruncatedExponential(rate, 1.5)
    assert d.batch_shape == (2,) and d._extended_shape((4,)) == (4, 2)
    assert isinstance(d.support, C._Interval) and d.support.upper_bound is d.high
    assert C.is_dependent(TruncatedExponential.support)
    value = ad.tensor([0.2, 1.0])
    d.log_prob(value).sum().backward()
    r, h, x = np.array([0.5, 2.0]), 1.5, np.array([0.2, 1.0])
    # d/dr [log r - r x - log(1 - exp(-r h))] = 1/r - x - h exp(-r h) / (1 - exp(-r h))
    np.testing.assert_allclose(rate.grad, 1 / r - x - h * np.exp(-r * h) / -np.expm1(-r * h),
                               rtol=1e-12)
    draws = d.rsample((50,))
    assert draws.shape == (50, 2) and ((draws.data > 0) & (draws.data < h)).all()


def test_the_subclass_checks_its_parameters_and_values():
    with pytest.raises(ValueError, match=r"Expected parameter rate \(Tensor of shape \(2,\)\)"
                                         r".*GreaterThan\(lower_bound=0.0\)"):
        TruncatedExponential(ad.tensor([1.0, -1.0]), 1.0)
    TruncatedExponential(ad.tensor([1.0, -1.0]), 1.0, validate_args=False)   # not checked
    d = TruncatedExponential(ad.tensor([1.0, 2.0]), 1.5)
    with pytest.raises(ValueError, match=r"within the support \(Interval"):
        d.log_prob(ad.tensor([2.0, 0.1]))
    with pytest.raises(ValueError, match=r"not broadcastable.*\(3,\) vs \(2,\)"):
        d.log_prob(ad.tensor([0.1, 0.1, 0.1]))
    with pytest.raises(ValueError, match="must be a Tensor"):
        d._validate_sample(0.5)
    quiet = TruncatedExponential(ad.tensor([1.0, 2.0]), 1.5, validate_args=False)
    assert np.isfinite(quiet.log_prob(ad.tensor([2.0, 0.1])).data).all()


class Expandable(TruncatedExponential):
    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Expandable, _instance)
        new.rate = self.rate.expand(batch_shape)
        new.high = self.high.expand(batch_shape)
        D.Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new


def test_an_expand_written_with_get_checked_instance():
    d = Expandable(ad.tensor([0.5, 2.0]), 1.5)
    wide = d.expand((3, 2))
    assert type(wide) is Expandable and wide.batch_shape == (3, 2)
    assert wide._validate_args and "_validate_args" in vars(wide)
    np.testing.assert_array_equal(wide.log_prob(ad.tensor(np.full((3, 2), 0.4))).data,
                                  np.broadcast_to(d.log_prob(ad.tensor([0.4, 0.4])).data,
                                                  (3, 2)))

    class Narrower(Expandable):                     # its own __init__, Expandable's expand
        def __init__(self, rate):
            super().__init__(rate, 1.0)

    with pytest.raises(NotImplementedError, match="Subclass Narrower of Expandable.*custom "
                                                  r"\.expand\(\) method"):
        Narrower(ad.tensor([1.0])).expand((2, 1))


def test_a_subclass_without_arg_constraints_warns_at_the_users_line():
    class Bare(D.Distribution):
        pass

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Bare()
    assert len(caught) == 1 and "does not define `arg_constraints`" in str(caught[0].message)
    assert caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Bare(validate_args=False)


def test_dependent_property_with_and_without_arguments():
    class Box:
        high = 2.0

        @C.dependent_property
        def support(self):
            return C.interval(0.0, self.high)

    assert Box().support.upper_bound == 2.0
    assert C.is_dependent(Box.support)
    with pytest.raises(NotImplementedError):
        Box.support.event_dim                 # not given: cannot be known statically
    with pytest.raises(ValueError, match="dependent"):
        Box.support.check(ad.tensor(1.0))


def test_matrix_constraints_by_hand():
    a = np.array([[2.0, 1.0], [1.0, 2.0]])           # symmetric, eigenvalues 1 and 3
    b = np.array([[1.0, 2.0], [3.0, 4.0]])
    semi = np.array([[1.0, 1.0], [1.0, 1.0]])         # eigenvalues 0 and 2
    batch = ad.tensor(np.stack([a, b, semi, -a]))
    np.testing.assert_array_equal(C.square.check(batch).data, [True] * 4)
    np.testing.assert_array_equal(C.square.check(ad.tensor(np.ones((2, 3)))).data, False)
    np.testing.assert_array_equal(C.symmetric.check(batch).data, [True, False, True, True])
    np.testing.assert_array_equal(C.lower_triangular.check(
        ad.tensor(np.stack([np.tril(b), b]))).data, [True, False])
    symmetric = ad.tensor(np.stack([a, semi, -a]))
    np.testing.assert_array_equal(C.positive_semidefinite.check(symmetric).data,
                                  [True, True, False])
    np.testing.assert_array_equal(C.positive_definite.check(symmetric).data,
                                  [True, False, False])
    # as PyTorch's: a batch with a matrix that is not symmetric gets the symmetry check
    np.testing.assert_array_equal(C.positive_semidefinite.check(batch).data,
                                  C.symmetric.check(batch).data)
    assert C.positive_semidefinite.event_dim == 2


def test_positive_definite_transform_by_hand_and_its_gradient():
    x = RNG.normal(size=(2, 3, 3))
    t = D.transform_to(C.positive_definite)
    assert t == D.transforms.PositiveDefiniteTransform()
    assert D.transform_to(C.positive_semidefinite) == t
    y = t(ad.tensor(x))
    factor = np.tril(x, -1) + np.exp(np.diagonal(x, axis1=-2, axis2=-1))[..., None] * np.eye(3)
    np.testing.assert_allclose(y.data, factor @ np.swapaxes(factor, -1, -2), rtol=1e-12)
    assert C.positive_definite.check(y).data.all()
    np.testing.assert_allclose(t.inv(y).data, np.tril(x), rtol=1e-10, atol=1e-12)
    leaf = ad.tensor(x[0], requires_grad=True)
    assert ad.autograd.gradcheck(lambda m: t(m), (leaf,))
    assert ad.autograd.gradgradcheck(lambda m: t(m), (leaf,))
    with pytest.raises(NotImplementedError, match="positive_definite.*not bijective"):
        D.biject_to(C.positive_definite)


def test_fitting_a_covariance_through_transform_to():
    points = RNG.normal(size=(200, 2)) @ np.array([[1.0, 0.6], [0.0, 0.5]])
    raw = ad.zeros((2, 2), requires_grad=True)
    opt = ad.optim.Adam([raw], lr=0.05)
    to_pd = D.transform_to(C.positive_definite)
    for _ in range(300):
        opt.zero_grad()
        nll = -D.MultivariateNormal(ad.zeros(2), covariance_matrix=to_pd(raw)).log_prob(
            ad.tensor(points)).mean()
        nll.backward()
        opt.step()
    # the maximum-likelihood covariance about a known zero mean is the second moment
    np.testing.assert_allclose(to_pd(raw).data, points.T @ points / len(points), atol=2e-3)


def test_broadcast_all_and_the_probability_helpers():
    a, b = U.broadcast_all(ad.tensor([[1.0], [2.0]]), 3)
    assert a.shape == b.shape == (2, 1) and b.dtype == np.float64
    np.testing.assert_array_equal(b.data, [[3.0], [3.0]])
    a32, n32 = U.broadcast_all(ad.tensor(np.ones(2, np.float32)), 0.5)
    assert n32.dtype == np.float32
    with pytest.raises(ValueError, match="numbers or Tensors.*list"):
        U.broadcast_all(ad.tensor(1.0), [1.0, 2.0])
    p = ad.tensor([0.0, 0.25, 1.0])
    eps = np.finfo(np.float64).eps
    np.testing.assert_array_equal(U.clamp_probs(p).data, [eps, 0.25, 1 - eps])
    q = np.clip([0.0, 0.25, 1.0], eps, 1 - eps)
    np.testing.assert_allclose(U.probs_to_logits(p, is_binary=True).data,
                               np.log(q) - np.log1p(-q), rtol=1e-12)
    np.testing.assert_allclose(U.probs_to_logits(p).data, np.log(q), rtol=1e-12)
    logits = ad.tensor([0.3, -1.0, 2.0], requires_grad=True)
    probs = U.logits_to_probs(logits)
    np.testing.assert_allclose(probs.data, np.exp([0.3, -1, 2]) / np.exp([0.3, -1, 2]).sum())
    np.testing.assert_allclose(U.logits_to_probs(logits, is_binary=True).data,
                               1 / (1 + np.exp([-0.3, 1.0, -2.0])))
    np.testing.assert_allclose(U.probs_to_logits(probs).data,
                               np.log(probs.data), rtol=1e-12)
    (probs[0] * 1.0).backward()
    s = probs.data
    np.testing.assert_allclose(logits.grad, s[0] * (np.eye(3)[0] - s), rtol=1e-12)


def test_lazy_property_computes_once_with_gradients_recorded():
    calls = []

    class Param:
        def __init__(self, logits):
            self.logits = logits

        @U.lazy_property
        def probs(self):
            calls.append(1)
            return U.logits_to_probs(self.logits, is_binary=True)

    leaf = ad.tensor([0.0, 1.0], requires_grad=True)
    holder = Param(leaf)
    with ad.no_grad():
        first = holder.probs             # recorded even under no_grad, as PyTorch's
    assert holder.probs is first and len(calls) == 1 and "probs" in vars(holder)
    first.sum().backward()
    s = 1 / (1 + np.exp([0.0, -1.0]))
    np.testing.assert_allclose(leaf.grad, s * (1 - s), rtol=1e-12)
    assert isinstance(Param.probs, U.lazy_property)


@pytest.mark.parametrize("diag", [-1, 0, 1])
def test_tril_vectors_round_trip_in_pytorchs_order(diag):
    m = RNG.normal(size=(2, 4, 4))
    mask = np.arange(4)[None, :] < np.arange(4)[:, None] + diag + 1
    vec = U.tril_matrix_to_vec(ad.tensor(m), diag)
    np.testing.assert_array_equal(vec.data, m[:, mask])          # row by row
    back = U.vec_to_tril_matrix(vec, diag)
    np.testing.assert_array_equal(back.data, np.where(mask, m, 0.0))
    leaf = ad.tensor(vec.data, requires_grad=True)
    (U.vec_to_tril_matrix(leaf, diag) * ad.tensor(m)).sum().backward()
    np.testing.assert_array_equal(leaf.grad, m[:, mask])


def test_tril_vectors_refuse_lengths_and_diagonals_that_do_not_fit():
    with pytest.raises(ValueError, match="last dimension \\(4\\).*diagonal 0"):
        U.vec_to_tril_matrix(ad.tensor(np.ones(4)))
    with pytest.raises(ValueError, match="diag \\(3\\) provided is outside \\[-3, 2\\]"):
        U.tril_matrix_to_vec(ad.tensor(np.ones((3, 3))), 3)


def test_embedding_gradients_divided_by_the_ids_counts():
    ids = np.array([[1, 2, 2], [5, 2, 1]])               # 1 twice, 2 three times, 5 once
    table = RNG.normal(size=(6, 3))
    upstream = RNG.normal(size=(2, 3, 3))
    emb = ad.nn.Embedding(6, 3, scale_grad_by_freq=True, padding_idx=5)
    emb.weight.data[...] = table
    rows = emb(ad.tensor(ids))
    np.testing.assert_array_equal(rows.data, table[ids])              # values exact
    (rows * ad.tensor(upstream)).sum().backward()
    expected = np.zeros_like(table)
    counts = {1: 2, 2: 3, 5: 1}
    for position, row in np.ndenumerate(ids):
        if row != 5:                                                 # the padding row
            expected[row] += upstream[position] / counts[row]
    np.testing.assert_allclose(emb.weight.grad, expected, rtol=1e-14)
    assert "scale_grad_by_freq=True" in repr(emb)


def test_scaled_embedding_keeps_non_finite_rows_and_checks_its_gradient():
    table = np.array([[np.inf, 1.0], [2.0, -np.inf], [0.5, 0.25]])
    rows = F_embedding(ad.tensor([0, 1, 1, 2]), ad.tensor(table), scale_grad_by_freq=True)
    np.testing.assert_array_equal(rows.data, table[[0, 1, 1, 2]])     # not NaN
    # ids that appear once: the true gradient, to second order
    leaf = ad.tensor(RNG.normal(size=(4, 2)), requires_grad=True)
    once = ad.tensor([3, 0, 1])
    assert ad.autograd.gradcheck(
        lambda w: F_embedding(once, w, scale_grad_by_freq=True) ** 2, (leaf,))
    assert ad.autograd.gradgradcheck(
        lambda w: F_embedding(once, w, scale_grad_by_freq=True) ** 2, (leaf,))
    # an id three times: a third of the true gradient, also when differentiated again
    thrice = ad.tensor([3, 0, 3, 3])
    (grad,) = ad.autograd.grad((F_embedding(thrice, leaf, scale_grad_by_freq=True) ** 3).sum(),
                      [leaf], create_graph=True)
    w = leaf.data
    np.testing.assert_allclose(grad.data[3], 3 * w[3] ** 2 * 3 / 3, rtol=1e-14)
    np.testing.assert_allclose(grad.data[0], 3 * w[0] ** 2, rtol=1e-14)
    grad.sum().backward()
    np.testing.assert_allclose(leaf.grad[3], 6 * w[3], rtol=1e-14)      # d/dw of 3 w^2


F_embedding = ad.nn.functional.embedding
