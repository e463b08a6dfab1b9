"""ad.optim.SparseAdam against PyTorch's SparseAdam fed by nn.Embedding(sparse=True):
the same table, the same lookups, the same losses, step after step."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad


def _train_ours(table, batches, targets, **options):
    weight = ad.nn.Parameter(table.copy())
    opt = ad.optim.SparseAdam([weight], **options)
    for ids, target in zip(batches, targets):
        opt.zero_grad()
        rows = ad.nn.functional.embedding(ad.tensor(ids), weight)
        loss = ((rows - ad.tensor(target)) ** 2).sum() + (rows ** 3).mean()
        loss.backward()
        opt.step()
    return weight.data, opt.state[weight]


def _train_torch(torch, table, batches, targets, **options):
    emb = torch.nn.Embedding.from_pretrained(torch.tensor(table), freeze=False, sparse=True)
    opt = torch.optim.SparseAdam(emb.parameters(), **options)
    for ids, target in zip(batches, targets):
        opt.zero_grad()
        rows = emb(torch.tensor(ids))
        loss = ((rows - torch.tensor(target)) ** 2).sum() + (rows ** 3).mean()
        loss.backward()
        opt.step()
    return emb.weight.detach().numpy(), opt.state[emb.weight]


@pytest.mark.parametrize("options", [dict(), dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6),
                                     dict(lr=0.02, maximize=True)])
def test_sparse_adam_matches_torch_on_embedding_lookups(options):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    table = rng.standard_normal((12, 5))
    # Repeated ids within a batch (their gradients add) and rows untouched for steps.
    batches = [rng.integers(0, 6, size=(3, 4)) for _ in range(4)] + \
              [np.array([[7, 7, 11]]), rng.integers(0, 12, size=(2, 3))]
    targets = [rng.standard_normal(ids.shape + (5,)) for ids in batches]
    ours, our_state = _train_ours(table, batches, targets, **options)
    theirs, their_state = _train_torch(torch, table, batches, targets, **options)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(our_state["exp_avg"], their_state["exp_avg"].numpy(),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(our_state["exp_avg_sq"], their_state["exp_avg_sq"].numpy(),
                               rtol=1e-12, atol=1e-15)
    assert int(our_state["step"]) == their_state["step"] == len(batches)
    never_looked_up = sorted(set(range(12)) - set(np.concatenate([b.ravel() for b in batches])))
    assert never_looked_up, "the data should leave some rows untouched"
    np.testing.assert_array_equal(ours[never_looked_up], table[never_looked_up])


def test_sparse_adam_leaves_untouched_rows_and_their_moments_alone():
    weight = ad.nn.Parameter(np.arange(6.0).reshape(3, 2))
    opt = ad.optim.SparseAdam([weight], lr=0.1)
    weight.grad = np.array([[1.0, -1.0], [0.0, 0.0], [0.5, 0.0]])
    opt.step()
    first_m = opt.state[weight]["exp_avg"].copy()
    weight.grad = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 3.0]])
    before = weight.data.copy()
    opt.step()
    state = opt.state[weight]
    np.testing.assert_array_equal(weight.data[:2], before[:2])
    np.testing.assert_array_equal(state["exp_avg"][:2], first_m[:2])
    # Row 2 moved, with bias correction for step 2 (the step counts the parameter's steps).
    b1, b2 = 0.9, 0.999
    m = first_m[2] * b1 + np.array([0.0, 3.0]) * (1 - b1)
    v = np.array([0.25, 0.0]) * (1 - b2) * b2 + np.array([0.0, 9.0]) * (1 - b2)
    expected = before[2] - 0.1 * np.sqrt(1 - b2 ** 2) / (1 - b1 ** 2) * m / (np.sqrt(v) + 1e-8)
    np.testing.assert_allclose(weight.data[2], expected, rtol=1e-12)
    assert int(state["step"]) == 2


def test_sparse_adam_counts_a_step_with_an_all_zero_gradient_as_pytorch_does():
    torch = pytest.importorskip("torch")
    weight = ad.nn.Parameter(np.ones((2, 2)))
    opt = ad.optim.SparseAdam([weight], lr=0.1)
    weight.grad = np.zeros((2, 2))
    opt.step()
    tw = torch.ones(2, 2, dtype=torch.float64, requires_grad=True)
    topt = torch.optim.SparseAdam([tw], lr=0.1)
    tw.grad = torch.zeros(2, 2, dtype=torch.float64).to_sparse()
    topt.step()
    assert int(opt.state[weight]["step"]) == topt.state[tw]["step"] == 1
    np.testing.assert_array_equal(weight.data, tw.detach().numpy())


@pytest.mark.parametrize("options, word", [(dict(lr=0.0), "lr"), (dict(lr=-1.0), "lr"),
                                           (dict(eps=0.0), "eps"),
                                           (dict(betas=(1.0, 0.9)), "betas"),
                                           (dict(betas=(0.9, -0.1)), "betas")])
def test_sparse_adam_refuses_what_pytorch_refuses(options, word):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError):
        torch.optim.SparseAdam([torch.zeros(2, requires_grad=True)], **options)
    with pytest.raises(ValueError, match=f"SparseAdam.*{word}"):
        ad.optim.SparseAdam([ad.nn.Parameter(np.zeros(2))], **options)


def test_sparse_adam_refuses_complex_parameters():
    weight = ad.Tensor(np.zeros(2, dtype=np.complex128))    # (it cannot require grad)
    with pytest.raises(TypeError, match="SparseAdam"):
        ad.optim.SparseAdam([weight])


def test_sparse_adam_state_dict_round_trip():
    weight = ad.nn.Parameter(np.ones((3, 2)))
    opt = ad.optim.SparseAdam([weight], lr=0.1)
    weight.grad = np.array([[1.0, 2.0], [0.0, 0.0], [0.0, 1.0]])
    opt.step()
    other_weight = ad.nn.Parameter(weight.data.copy())
    other = ad.optim.SparseAdam([other_weight], lr=0.1)
    other.load_state_dict(opt.state_dict())
    weight.grad = other_weight.grad = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]])
    opt.step()
    other.step()
    np.testing.assert_array_equal(weight.data, other_weight.data)


def test_sparse_adam_on_a_vector_and_a_number():
    vector = ad.nn.Parameter(np.ones(4))
    number = ad.nn.Parameter(np.array(2.0))
    opt = ad.optim.SparseAdam([vector, number], lr=0.5)
    vector.grad = np.array([0.0, 1.0, 0.0, -1.0])
    number.grad = np.array(0.0)
    opt.step()
    np.testing.assert_allclose(vector.data, [1.0, 0.5, 1.0, 1.5], rtol=1e-6)
    assert number.data == 2.0
