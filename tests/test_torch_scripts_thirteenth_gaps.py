"""What the thirteenth round of PyTorch scripts found missing, checked by hand and
against PyTorch where it is installed: ``distributions.Multinomial`` (a bag-of-words
topic model's likelihood, ``Multinomial(total_count, logits=).log_prob(counts)``) with
its ``mean``, ``variance``, ``entropy``, ``sample``, ``support`` and PyTorch's refusal of a
per-row ``total_count``; and an optimizer step while a graph recorded before the
latest backward still holds the parameters (a GAN that keeps ``fake = G(z)`` and steps
``G`` on the gradients of a fresh ``G(z)``; an output computed outside ``no_grad``), which
was refused as if the step came before its backward: it now steps, as PyTorch's does, and
a later backward through the old graph raises ``InPlaceError`` as PyTorch's version
check does; and a gradient norm past the largest float (a loss scaled into overflow),
which is inf as PyTorch's is, without NumPy's overflow warning from inside the library."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autodiff as ad

LOGITS = np.random.default_rng(1301).normal(size=(3, 4))
COUNTS = np.array([[2.0, 0.0, 1.0, 1.0], [0.0, 1.0, 2.0, 1.0], [4.0, 0.0, 0.0, 0.0]])


def _by_hand(counts, probs):
    """log n! - Σ log x_k! + Σ x_k log p_k, term by term."""
    n = counts.sum()
    return (math.lgamma(n + 1) - sum(math.lgamma(x + 1) for x in counts)
            + sum(x * math.log(p) for x, p in zip(counts, probs) if x))


def test_multinomial_log_prob_matches_the_formula_and_its_gradient_finite_differences():
    logits = ad.tensor(LOGITS, requires_grad=True)
    log_prob = ad.distributions.Multinomial(4, logits=logits).log_prob(ad.tensor(COUNTS))
    probs = np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)
    expected = [_by_hand(c, p) for c, p in zip(COUNTS, probs)]
    np.testing.assert_allclose(log_prob.data, expected, rtol=1e-12)
    log_prob.sum().backward()
    # d/dlogits of Σ x log softmax(logits) = x - n p
    np.testing.assert_allclose(logits.grad, COUNTS - 4 * probs, rtol=1e-12, atol=1e-12)
    assert ad.gradcheck(lambda z: ad.distributions.Multinomial(4, logits=z)
                        .log_prob(ad.tensor(COUNTS)), (ad.tensor(LOGITS, requires_grad=True),))


def test_multinomial_moments_sample_and_support():
    probs = np.array([0.5, 0.25, 0.25])
    m = ad.distributions.Multinomial(8, probs=ad.tensor(probs))
    assert (m.batch_shape, m.event_shape) == ((), (3,))
    np.testing.assert_allclose(m.mean.data, 8 * probs)
    np.testing.assert_allclose(m.variance.data, 8 * probs * (1 - probs))
    draws = m.sample((4000,), rng=0).data
    assert draws.shape == (4000, 3) and (draws.sum(-1) == 8).all()
    # the mean of 4000 draws, within 5 standard errors
    assert np.all(np.abs(draws.mean(0) - 8 * probs) < 5 * np.sqrt(8 * probs * (1 - probs) / 4000))
    assert m.support.check(ad.tensor([[3.0, 3.0, 2.0], [9.0, 0.0, 0.0]])).data.tolist() == [
        True, False]
    assert m.support.event_dim == 1 and m.support.is_discrete


def test_multinomial_entropy_by_enumerating_every_outcome():
    probs = np.array([0.5, 0.3, 0.2])
    entropy = ad.distributions.Multinomial(3, probs=ad.tensor(probs)).entropy()
    outcomes = [(a, b, 3 - a - b) for a in range(4) for b in range(4 - a)]
    log_p = np.array([_by_hand(np.array(o, float), probs) for o in outcomes])
    np.testing.assert_allclose(entropy.data, -(np.exp(log_p) * log_p).sum(), rtol=1e-12)


def test_multinomial_refuses_what_pytorch_refuses_with_a_clear_message():
    with pytest.raises(NotImplementedError, match="one Python int for the whole batch"):
        ad.distributions.Multinomial(ad.tensor([3.0, 4.0]), logits=ad.zeros((2, 3)))
    m = ad.distributions.Multinomial(3, logits=ad.zeros(3))
    with pytest.raises(ValueError, match="summing to at most total_count=3"):
        m.log_prob(ad.tensor([2.0, 2.0, 0.0]))
    with pytest.raises(ValueError, match="vectors of 3 counts"):
        m.log_prob(ad.tensor([1.0, 2.0]))
    # unchecked, as PyTorch's: the log-likelihood of a document of any length
    unchecked = ad.distributions.Multinomial(logits=ad.zeros(3), validate_args=False)
    np.testing.assert_allclose(unchecked.log_prob(ad.tensor([2.0, 2.0, 0.0])).data,
                               _by_hand(np.array([2.0, 2.0, 0.0]), np.full(3, 1 / 3)))


def test_multinomial_agrees_with_pytorch_with_an_impossible_category():
    torch = pytest.importorskip("torch")
    logits_values = LOGITS.copy()
    logits_values[0, 1] = -np.inf           # a category never drawn: counted 0 times
    results = []
    previous = torch.get_default_dtype()
    # (PyTorch's entropy takes log n! of an integer tensor in the default dtype)
    torch.set_default_dtype(torch.float64)
    try:
        results.append(_multinomial_run(torch, logits_values))
    finally:
        torch.set_default_dtype(previous)
    results.append(_multinomial_run(ad, logits_values))
    for theirs, ours in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def _multinomial_run(lib, logits_values):
    logits = lib.tensor(logits_values, requires_grad=True)
    dist = lib.distributions.Multinomial(4, logits=logits)
    log_prob = dist.log_prob(lib.tensor(COUNTS))
    probs = lib.tensor(np.abs(LOGITS[1:]) + 0.1, requires_grad=True)
    entropy = lib.distributions.Multinomial(5, probs=probs).entropy()
    (log_prob.sum() + entropy.sum()).backward()
    return ([np.asarray(x.detach().numpy() if lib is not ad else x.data)
             for x in (log_prob, entropy, dist.mean, dist.variance)]
            + [np.asarray(logits.grad), np.asarray(probs.grad)])


def _generator_step_with_a_kept_fake(lib):
    generator = lib.nn.Linear(2, 3)
    optimizer = lib.optim.SGD(generator.parameters(), lr=0.1)
    z = lib.ones((4, 2), requires_grad=True)
    fake = lib.tanh(generator(z))                  # kept, its graph alive
    loss = (generator(lib.ones((4, 2))) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return generator, fake


def test_a_step_while_an_older_graph_holds_the_parameters_goes_ahead():
    generator, fake = _generator_step_with_a_kept_fake(ad)
    assert not np.array_equal(generator.bias.data, np.zeros(3))
    with pytest.raises(ad.InPlaceError, match="op 'matmul' saved its input"):
        (fake ** 2).sum().backward()             # the weight it saved was stepped
    del fake
    assert generator.weight.data.flags.writeable


def test_a_step_before_its_own_backward_is_still_refused():
    w = ad.nn.Parameter(np.ones(2))
    optimizer = ad.optim.SGD([w], lr=0.1)
    (w * 2).sum().backward()
    loss = (w ** 3).sum()                          # recorded after that backward
    with pytest.raises(RuntimeError, match="SGD.step: cannot update parameter"):
        optimizer.step()
    loss.backward()


def test_a_step_with_a_kept_fake_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    ours, _ = _generator_step_with_a_kept_fake(ad)
    torch.manual_seed(0)
    theirs = torch.nn.Linear(2, 3).double()
    ours.load_torch_state_dict(theirs.state_dict())
    optimizer = torch.optim.SGD(theirs.parameters(), lr=0.1)
    ours_optimizer = ad.optim.SGD(ours.parameters(), lr=0.1)
    for lib, model, opt in ((torch, theirs, optimizer), (ad, ours, ours_optimizer)):
        kept = model(lib.ones((4, 2), dtype=lib.float64))             # noqa: F841
        loss = (model(2 * lib.ones((4, 2), dtype=lib.float64)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(ours.to_torch_state_dict()["weight"],
                               theirs.weight.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.bias.data, theirs.bias.detach().numpy(), rtol=1e-12)


def test_a_gradient_norm_past_the_largest_float_is_inf_without_numpy_warnings():
    import warnings
    grads = [np.full((2, 3), 1e200), np.array([3.0])]
    params = [ad.nn.Parameter(np.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # (NumPy's overflow warned before)
        with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is inf"):
            ad.nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        total = ad.nn.utils.clip_grad_norm_(params, 1.0)
    # the library's own warning, naming the way out; none of NumPy's
    assert [str(w.message)[:36] for w in caught] == ["clip_grad_norm_: the total norm of t"]
    assert total.item() == np.inf
    torch = pytest.importorskip("torch")
    theirs = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for p, g in zip(theirs, grads):
        p.grad = torch.from_numpy(g.copy())
    assert torch.nn.utils.clip_grad_norm_(theirs, 1.0).item() == total.item()
    for ours, p in zip(params, theirs):
        np.testing.assert_array_equal(ours.grad, p.grad.numpy())
