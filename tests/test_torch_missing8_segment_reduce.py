"""ad.segment_reduce against torch.segment_reduce: values and gradients for every
reduction, with and without initial=, empty segments, offsets=, a 2-d lengths along
axis 1; central-difference gradient checks in float64; and PyTorch's refusals."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

REDUCTIONS = ["sum", "mean", "prod", "max", "min", "amax", "amin"]


def _finite_sum_weights(values, rng):
    """Positive weights for a scalar loss, zero where a value is not finite (an empty
    segment's NaN or inf has no gradient to compare)."""
    weights = rng.uniform(0.5, 2.0, values.shape)      # (positive: see the test of ties)
    weights[~np.isfinite(values)] = 0
    return weights


def _compare(torch, data, reduce, rng, **kwargs):
    torch_kwargs = {key: torch.tensor(value) if isinstance(value, np.ndarray) else value
                    for key, value in kwargs.items()}
    ours_kwargs = {key: ad.tensor(value) if isinstance(value, np.ndarray) else value
                   for key, value in kwargs.items()}
    x = ad.tensor(data, requires_grad=True)
    t = torch.tensor(data, requires_grad=True)
    ours = ad.segment_reduce(x, reduce, **ours_kwargs)
    theirs = torch.segment_reduce(t, reduce, **torch_kwargs)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-13, atol=0,
                               equal_nan=True)
    weights = _finite_sum_weights(ours.data, rng)
    (ad.where(ad.tensor(weights != 0), ours, 0.0) * ad.tensor(weights)).sum().backward()
    (torch.where(torch.tensor(weights != 0), theirs, 0.0)
     * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reduce", REDUCTIONS)
@pytest.mark.parametrize("initial", [None, 0.5])
def test_one_dim_with_empty_segments_and_ties_matches_torch(reduce, initial):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    data = np.round(rng.standard_normal(11), 1)
    data[3] = data[4] = 2.5            # a tie inside one segment (max's gradient splits)
    data[9] = 0.0                      # a zero inside one segment (prod's gradient)
    lengths = np.array([3, 0, 2, 4, 0, 2])
    _compare(torch, data, reduce, rng, lengths=lengths, initial=initial)


@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_trailing_dims_and_offsets_match_torch(reduce):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    data = rng.standard_normal((7, 3, 2))
    _compare(torch, data, reduce, rng, offsets=np.array([0, 2, 2, 7]))


@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_two_dim_lengths_along_axis_one_match_torch(reduce):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    data = rng.standard_normal((3, 6, 2))
    lengths = np.array([[1, 5, 0], [2, 2, 2], [0, 0, 6]])
    _compare(torch, data, reduce, rng, lengths=lengths, axis=1, initial=-0.25)


@pytest.mark.parametrize("reduce", ["sum", "mean", "prod", "max", "min"])
def test_gradients_against_central_differences(reduce):
    rng = np.random.default_rng(4)
    data = rng.standard_normal((8, 2))
    lengths = ad.tensor(np.array([3, 1, 4]))
    weights = ad.tensor(rng.standard_normal((3, 2)))
    assert ad.gradcheck(
        lambda x: (ad.segment_reduce(x, reduce, lengths=lengths) * weights).sum(), [data])


def test_unsafe_skips_the_length_check_as_in_torch():
    torch = pytest.importorskip("torch")
    data = np.arange(6.0)
    ours = ad.segment_reduce(ad.tensor(data), "sum", lengths=ad.tensor(np.array([2, 2])),
                             unsafe=True)
    theirs = torch.segment_reduce(torch.tensor(data), "sum",
                                  lengths=torch.tensor([2, 2]), unsafe=True)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_refusals_match_torchs():
    torch = pytest.importorskip("torch")
    data = np.arange(6.0)
    cases = [(dict(reduce="sum", lengths=[2, 2]), "must sum to data.shape\\[0\\] = 6"),
             (dict(reduce="sum", lengths=[4, -1, 3]), "negative"),
             (dict(reduce="avg", lengths=[6]), "reduce must be one of"),
             (dict(reduce="sum", indices=[0, 0, 1, 1, 2, 2]), "indices= is not supported"),
             (dict(reduce="sum", lengths=[6], axis=1), "out of range")]
    for kwargs, message in cases:
        torch_kwargs = {k: torch.tensor(v) if isinstance(v, list) else v
                        for k, v in kwargs.items()}
        with pytest.raises((RuntimeError, IndexError)):
            torch.segment_reduce(torch.tensor(data), **torch_kwargs)
        ours_kwargs = {k: np.array(v) if isinstance(v, list) else v for k, v in kwargs.items()}
        with pytest.raises((RuntimeError, IndexError), match=f"segment_reduce: .*{message}"):
            ad.segment_reduce(ad.tensor(data), **ours_kwargs)
    with pytest.raises(RuntimeError, match="exactly one of lengths= and offsets="):
        ad.segment_reduce(ad.tensor(data), "sum")


@pytest.mark.parametrize("reduce", ["max", "min"])
def test_tied_extremes_share_a_negative_gradient_too(reduce):
    """PyTorch's kernel divides a segment's gradient among tied extremes only when it is
    positive; here it is always shared, so the gradients sum to the segment's."""
    torch = pytest.importorskip("torch")
    data = np.array([2.0, 2.0, 1.0, 5.0, 5.0, 5.0])
    lengths = np.array([3, 3])
    x = ad.tensor(data, requires_grad=True)
    (ad.segment_reduce(x, reduce, lengths=ad.tensor(lengths)) * ad.tensor([-1.0, 3.0])
     ).sum().backward()
    chosen = {"max": [[0, 1], [3, 4, 5]], "min": [[2], [3, 4, 5]]}[reduce]
    expected = np.zeros(6)
    for weight, where in zip([-1.0, 3.0], chosen):
        expected[where] = weight / len(where)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-15)
    t = torch.tensor(data, requires_grad=True)
    (torch.segment_reduce(t, reduce, lengths=torch.tensor(lengths))
     * torch.tensor([-1.0, 3.0], dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(x.grad[3:], t.grad.numpy()[3:], rtol=1e-15)
