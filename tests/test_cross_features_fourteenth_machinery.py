"""The fourteenth round's features with the machinery they are used with: the full SVD's
complement under forward mode, ``vmap``, ``hessian`` and ``ad.compile``; the new
distributions against PyTorch under ``vmap(grad)``, ``compile`` and float32; Adam's
shared kernel scalars over mixed dtypes and groups; layers' ``device=``; optimizer steps
while an older graph holds a parameter."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import autodiff as ad
from autodiff.inplace_refusals import InPlaceError

RNG = np.random.default_rng(1414)
TALL = RNG.normal(size=(4, 2))
WEIGHTS = np.arange(16.0).reshape(4, 4)


def span_use(a):
    """A result that depends only on the span of U's complement columns."""
    u, _, _ = np.linalg.svd(a, full_matrices=True)
    q = u[..., :, 2:]
    return (q @ np.swapaxes(q, -1, -2) * ad.tensor(WEIGHTS)).sum()


def central_difference(f, x, eps=1e-6):
    out = np.zeros_like(x)
    for k in range(x.size):
        step = np.zeros_like(x)
        step.flat[k] = eps
        out.flat[k] = (f(ad.tensor(x + step)).item() - f(ad.tensor(x - step)).item()) / (2 * eps)
    return out


# ----- the complement of a full SVD -----------------------------------------------------

def test_svd_complement_span_gradient_under_jacfwd_vmap_and_a_batch():
    expected = central_difference(span_use, TALL)
    np.testing.assert_allclose(ad.grad(span_use)(ad.tensor(TALL)), expected, atol=1e-7)
    np.testing.assert_allclose(ad.jacfwd(span_use)(ad.tensor(TALL)), expected, atol=1e-7)
    batched = ad.vmap(ad.grad(span_use))(ad.tensor(np.stack([TALL, 2 * TALL])))
    np.testing.assert_allclose(batched[0], expected, atol=1e-7)
    np.testing.assert_allclose(batched[1], central_difference(span_use, 2 * TALL), atol=1e-7)
    stacked = ad.grad(span_use)(ad.tensor(np.stack([TALL, TALL])))
    np.testing.assert_allclose(stacked, np.stack([expected, expected]), atol=1e-7)


def test_svd_complement_hessian_is_symmetric_and_matches_differences_of_the_gradient():
    hess = ad.hessian(span_use)(ad.tensor(TALL)).reshape(8, 8)
    np.testing.assert_allclose(hess, hess.T, atol=1e-8)
    grad = ad.grad(span_use)
    step = np.where(np.arange(8) == 3, 1e-5, 0.0).reshape(4, 2)
    column = (grad(ad.tensor(TALL + step)) - grad(ad.tensor(TALL - step))).ravel() / 2e-5
    np.testing.assert_allclose(hess[:, 3], column, atol=1e-6)


def test_svd_complement_backward_inside_a_compiled_step_replays_with_new_values():
    def step(a):
        loss = span_use(a)
        loss.backward()
        return loss
    compiled = ad.compile(step)
    for scale in (1.0, 2.0, -1.5):
        a = ad.tensor(TALL * scale, requires_grad=True)
        compiled(a)
        np.testing.assert_allclose(a.grad, central_difference(span_use, TALL * scale), atol=1e-7)


def test_svd_complement_basis_use_refused_in_a_compiled_step_as_eagerly():
    def step(a):
        loss = np.linalg.svd(a, full_matrices=True)[0][:, 2:].sum()
        loss.backward()
        return loss
    with pytest.raises(ValueError, match=r"last 2 columns of U are an arbitrary basis"):
        ad.compile(step)(ad.tensor(TALL, requires_grad=True))


def test_svd_null_vector_of_a_wide_matrix_in_float32_keeps_its_dtype():
    wide = RNG.normal(size=(2, 3))

    def null(a):
        v = np.linalg.svd(a, full_matrices=True)[2][-1]
        return (v * v * ad.tensor(np.array([1.0, 2.0, 3.0], dtype=a.dtype))).sum()
    expected = central_difference(null, wide)
    grad32 = ad.grad(null)(ad.tensor(wide.astype(np.float32)))
    assert grad32.dtype == np.float32
    # float32's SVD: about sqrt(eps) of the gradient's scale
    np.testing.assert_allclose(grad32, expected, atol=1e-3 * np.abs(expected).max())


# ----- distributions --------------------------------------------------------------------

CASES = {
    "HalfCauchy": (lambda m: m.HalfCauchy, [[1.0, 2.0]], [0.5, 3.0]),
    "Pareto": (lambda m: m.Pareto, [[1.0, 2.0], [2.5, 3.0]], [1.5, 3.0]),
    "ContinuousBernoulli": (lambda m: m.ContinuousBernoulli, [[0.3, 0.5]], [0.2, 0.9]),
    "FisherSnedecor": (lambda m: m.FisherSnedecor, [[3.0, 5.0], [4.0, 7.0]], [0.7, 2.0]),
    "Multinomial": (lambda m: (lambda p: m.Multinomial(5, probs=p)), [[0.2, 0.3, 0.5]],
                    [1.0, 2.0, 2.0]),
    "OneHotCategoricalStraightThrough": (
        lambda m: (lambda logits: m.OneHotCategoricalStraightThrough(logits=logits)),
        [[0.1, 0.5, -0.3]], [0.0, 1.0, 0.0]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_new_distribution_log_prob_gradient_matches_torch_and_batches_under_vmap(name):
    torch = pytest.importorskip("torch")
    make, params, value = CASES[name]
    ours = [ad.tensor(np.array(p), requires_grad=True) for p in params]
    theirs = [torch.tensor(np.array(p), requires_grad=True) for p in params]
    ours_lp = make(ad.distributions)(*ours).log_prob(ad.tensor(np.array(value))).sum()
    theirs_lp = make(torch.distributions)(*theirs).log_prob(torch.tensor(np.array(value))).sum()
    ours_lp.backward()
    theirs_lp.backward()
    assert ours_lp.item() == pytest.approx(theirs_lp.item(), rel=1e-13)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12, atol=1e-15)

    def log_prob(*ps):
        return make(ad.distributions)(*ps).log_prob(ad.tensor(np.array(value))).sum()
    batched = ad.vmap(ad.grad(log_prob))(*[ad.tensor(np.stack([np.array(p)] * 2)) for p in params])
    np.testing.assert_allclose(batched[1], theirs[0].grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(CASES))
def test_new_distribution_log_prob_replays_in_compile_and_keeps_float32(name):
    make, params, value = CASES[name]

    def log_prob(*ps):
        return make(ad.distributions)(*ps).log_prob(ad.tensor(np.array(value, ps[0].dtype))).sum()
    compiled = ad.compile(log_prob)
    for scale in (1.0, 1.1, 1.2):
        args = [ad.tensor(np.array(p) * scale) for p in params]
        assert compiled(*args).item() == pytest.approx(log_prob(*args).item(), rel=1e-14)
    single = [ad.tensor(np.array(p, dtype=np.float32)) for p in params]
    assert log_prob(*single).dtype == np.float32


def test_wishart_log_prob_gradient_matches_torch_and_keeps_float32():
    torch = pytest.importorskip("torch")
    cov = np.array([[2.0, 0.3], [0.3, 1.0]])
    x = np.array([[1.5, 0.2], [0.2, 0.8]])
    c = ad.tensor(cov, requires_grad=True)
    tc = torch.tensor(cov, requires_grad=True)
    ad.distributions.Wishart(df=4.0, covariance_matrix=c).log_prob(ad.tensor(x)).backward()
    torch.distributions.Wishart(df=4.0, covariance_matrix=tc).log_prob(torch.tensor(x)).backward()
    np.testing.assert_allclose(c.grad, tc.grad.numpy(), rtol=1e-12)
    low = ad.distributions.Wishart(df=4.0, covariance_matrix=ad.tensor(cov.astype(np.float32)))
    assert low.log_prob(ad.tensor(x.astype(np.float32))).dtype == np.float32


def test_continuous_bernoulli_at_one_half_second_derivative_matches_torch():
    torch = pytest.importorskip("torch")

    def ours(p):
        return ad.distributions.ContinuousBernoulli(p).log_prob(ad.tensor(0.3))

    def theirs(p):
        return torch.distributions.ContinuousBernoulli(p).log_prob(
            torch.tensor(0.3, dtype=torch.float64))
    for p in (0.5, 0.4):
        expected = torch.autograd.functional.hessian(theirs, torch.tensor(p, dtype=torch.float64))
        assert ad.hessian(ours)(ad.tensor(p)) == pytest.approx(expected.item(), rel=1e-6)


def test_sampling_inside_compile_draws_afresh_at_each_replay():
    ad.manual_seed(14)
    compiled = ad.compile(lambda cov: ad.distributions.Wishart(
        df=4.0, covariance_matrix=cov).rsample().sum())
    cov = ad.tensor(np.array([[2.0, 0.3], [0.3, 1.0]]))
    draws = [compiled(cov).item() for _ in range(3)]
    assert len(set(draws)) == 3
    counts = ad.compile(lambda p: ad.distributions.Multinomial(5, probs=p).sample().sum())
    assert [counts(ad.tensor([0.2, 0.3, 0.5])).item() for _ in range(3)] == [5.0] * 3


@pytest.mark.parametrize("make", [
    lambda x: np.array([0.5, 3.0], x.dtype),
    lambda x: np.zeros(2, dtype=x.dtype) + 1.0,
    lambda x: np.full(2, 2.0, dtype=np.dtype("float64")),
    lambda x: np.ones(2, np.result_type(x.dtype, np.float32)),
], ids=["array", "zeros", "full", "ones"])
def test_a_constant_of_python_numbers_with_an_input_dtype_replays_and_retraces(make):
    # a dtype instance (x.dtype, np.dtype("float64")) counted as a value of the call
    def f(x):
        return (x * ad.tensor(make(x))).sum()
    compiled = ad.compile(f)
    for values in ([1.0, 2.0], [3.0, -1.0]):
        x = ad.tensor(values)
        assert compiled(x).item() == f(x).item()
    low = ad.tensor(np.array([1.0, 2.0], np.float32))
    assert compiled(low).dtype == f(low).dtype
    assert compiled(low).item() == f(low).item()


# ----- Adam's shared scalars ------------------------------------------------------------

@pytest.mark.parametrize("name, dtypes, amsgrad, decay", [
    ("Adam", (np.float64, np.float32, np.float16), False, 0.0),
    ("AdamW", (np.float32, np.float32, np.float64), True, 0.1),
    ("Adam", (np.complex128, np.float64, np.complex64), False, 0.0),
])
def test_adam_over_groups_of_mixed_dtypes_steps_as_torch(name, dtypes, amsgrad, decay):
    torch = pytest.importorskip("torch")
    start = [RNG.normal(size=(3, 2)).astype(d) for d in dtypes]
    ours = [ad.nn.Parameter(x.copy()) for x in start]
    theirs = [torch.nn.Parameter(torch.tensor(x.copy())) for x in start]

    def groups(ps):
        return [{"params": ps[:1]}, {"params": ps[1:], "lr": 0.01}]
    opt = getattr(ad.optim, name)(groups(ours), lr=0.1, amsgrad=amsgrad, weight_decay=decay)
    topt = getattr(torch.optim, name)(groups(theirs), lr=0.1, amsgrad=amsgrad,
                                      weight_decay=decay)
    for _ in range(4):
        opt.zero_grad()
        topt.zero_grad()
        sum((p * np.conj(p)).real.sum() if p.dtype.kind == "c" else (p ** 3).sum()
            for p in ours).backward()
        sum((p * p.conj()).real.sum() if p.is_complex() else (p ** 3).sum()
            for p in theirs).backward()
        opt.step()
        topt.step()
    for p, q, x in zip(ours, theirs, start):
        assert p.dtype == x.dtype
        # float32/float16 kernels may round differently from PyTorch's: a few ulps
        tolerance = 1e-13 if p.dtype in (np.float64, np.complex128) else \
            16 * np.finfo(p.dtype).eps
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=tolerance, atol=tolerance)


def test_adam_state_after_shared_scalars_round_trips_through_pickle():
    p = ad.nn.Parameter(np.ones(3))
    opt = ad.optim.Adam([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    copy = ad.nn.Parameter(p.data.copy())
    restored = ad.optim.Adam([copy], lr=0.1)
    restored.load_state_dict(pickle.loads(pickle.dumps(opt.state_dict())))
    for param, optimizer in ((p, opt), (copy, restored)):
        optimizer.zero_grad()
        (param ** 3).sum().backward()
        optimizer.step()
    np.testing.assert_array_equal(p.data, copy.data)


# ----- device= --------------------------------------------------------------------------

@pytest.mark.parametrize("device", ["cuda", "cuda:0", "meta"])
def test_layers_refuse_a_device_other_than_the_cpu_by_name(device):
    with pytest.raises(ValueError, match=rf"LayerNorm: device '{device}' is not available"):
        ad.nn.LayerNorm(2, device=device)


def test_device_cpu_with_dtype_and_pickling():
    torch = pytest.importorskip("torch")
    layer = ad.nn.Conv2d(1, 1, 3, device=torch.device("cpu"), dtype=np.float32)
    assert layer.weight.dtype == np.float32
    embedding = pickle.loads(pickle.dumps(ad.nn.Embedding(3, 2, device="cpu")))
    assert embedding(np.array([0, 2])).shape == (2, 2)


# ----- steps while older graphs hold a parameter -----------------------------------------

def test_a_graph_kept_across_compiled_adam_steps_refuses_its_backward_as_torch():
    p = ad.nn.Parameter(np.ones(3))
    opt = ad.optim.Adam([p], lr=0.1)
    kept = (p ** 2).sum()

    def step():
        opt.zero_grad()
        loss = (p ** 3).sum()
        loss.backward()
        opt.step()
        return loss
    compiled = ad.compile(step)
    losses = [compiled().item() for _ in range(3)]
    assert losses[0] == 3.0 and losses[1] < losses[0]
    with pytest.raises(InPlaceError, match=r"op 'power' saved its input"):
        kept.backward()
    with ad.detect_anomaly(), pytest.raises(InPlaceError):
        kept.backward()


def test_a_graph_kept_through_a_view_refuses_autograd_grad_after_a_step():
    p = ad.nn.Parameter(np.ones((2, 2)))
    opt = ad.optim.SGD([p], lr=0.1)
    kept = (p[0] * p[1]).sum()
    (p * 1).sum().backward()
    opt.step()
    with pytest.raises(InPlaceError, match=r"op 'multiply'"):
        ad.autograd.grad(kept, [p])
