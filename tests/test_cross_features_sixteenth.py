"""The sixteenth round's features with the machinery they are used with: PyTorch's
``dim=()`` in its positional spellings (``t.sum((), True)``) and under the transforms
and ``ad.compile``, a NaN inside ``vmap`` over a Tensor under ``detect_anomaly``, and
``state_dict()``'s ``StateArray`` values through copying, pickling, saving and the
transforms."""

from __future__ import annotations

import copy
import io
import pickle
import warnings

import numpy as np
import pytest

import autodiff as ad

X = np.random.default_rng(16).normal(size=(2, 3))
BATCH = np.random.default_rng(17).normal(size=(4, 2, 3))


# ----- PyTorch's dim=() given by position ------------------------------------------------

# Each call (lib: ad, or torch) is PyTorch's (a keepdim or unbiased after the dim, or
# keepdim=), so its empty dim is PyTorch's dim=(): every dim, where NumPy's axis=()
# reduces nothing.
POSITIONAL_EMPTY_DIM = [
    ("t.sum((), True)", lambda lib, t: t.sum((), True), np.sum(X, keepdims=True)),
    ("t.sum([], keepdim=True)", lambda lib, t: t.sum([], keepdim=True), np.sum(X, keepdims=True)),
    ("t.mean((), keepdim=False)", lambda lib, t: t.mean((), keepdim=False), np.mean(X)),
    ("ad.sum(t, (), True)", lambda lib, t: lib.sum(t, (), True), np.sum(X, keepdims=True)),
    ("ad.mean(t, [], keepdim=True)", lambda lib, t: lib.mean(t, [], keepdim=True),
     np.mean(X, keepdims=True)),
    ("ad.sum(t, [], keepdim=False)", lambda lib, t: lib.sum(t, [], keepdim=False), np.sum(X)),
    ("ad.nansum(t, (), True)", lambda lib, t: lib.nansum(t, (), True), np.sum(X, keepdims=True)),
    ("ad.nanmean(t, [], True)", lambda lib, t: lib.nanmean(t, [], True),
     np.mean(X, keepdims=True)),
    ("t.var((), True)", lambda lib, t: t.var((), True), np.var(X, ddof=1)),
    ("t.std([], True, True)", lambda lib, t: t.std([], True, True),
     np.std(X, ddof=1, keepdims=True)),
    ("ad.var(t, (), True)", lambda lib, t: lib.var(t, (), True), np.var(X, ddof=1)),
    ("t.std((), correction=0)", lambda lib, t: t.std((), correction=0), np.std(X)),
    ("ad.amax(t, (), True)", lambda lib, t: lib.amax(t, (), True), np.amax(X, keepdims=True)),
    ("ad.amin(t, [], True)", lambda lib, t: lib.amin(t, [], True), np.amin(X, keepdims=True)),
    ("ad.any(t, [], True)", lambda lib, t: lib.any(t, [], True), X != 0),
    ("ad.all(t, (), True)", lambda lib, t: lib.all(t, (), True), X != 0),
    ("ad.logsumexp(t, [], True)", lambda lib, t: lib.logsumexp(t, [], True),
     np.log(np.exp(X).sum(keepdims=True))),
    ("t.logsumexp((), True)", lambda lib, t: t.logsumexp((), True),
     np.log(np.exp(X).sum(keepdims=True))),
]


@pytest.mark.parametrize("spelling, call, expected", POSITIONAL_EMPTY_DIM,
                         ids=[case[0] for case in POSITIONAL_EMPTY_DIM])
def test_an_empty_dim_by_position_in_pytorchs_spelling_reduces_every_dim(spelling, call,
                                                                         expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = call(ad, ad.tensor(X))
    assert result.shape == expected.shape, spelling
    np.testing.assert_allclose(np.asarray(result), expected, rtol=1e-12)


@pytest.mark.parametrize("spelling, call, expected", POSITIONAL_EMPTY_DIM,
                         ids=[case[0] for case in POSITIONAL_EMPTY_DIM])
def test_an_empty_dim_by_position_matches_pytorch(spelling, call, expected):
    torch = pytest.importorskip("torch")
    theirs = call(torch, torch.tensor(X))       # the same call, torch for ad
    ours = call(ad, ad.tensor(X))
    assert tuple(theirs.shape) == ours.shape, spelling
    np.testing.assert_allclose(np.asarray(ours), theirs.numpy(), rtol=1e-12)


def test_numpys_empty_axis_still_reduces_nothing():
    t = ad.tensor(X)
    # (t.sum(()) alone, a Tensor method, is PyTorch's dim=() and warns:
    # test_left_sixteenth_empty_dims.py)
    np.testing.assert_array_equal(np.asarray(t.sum(axis=())), X)
    np.testing.assert_array_equal(np.asarray(ad.sum(t, (), keepdims=True)), X)
    np.testing.assert_array_equal(np.asarray(np.sum(t, ())), X)
    np.testing.assert_array_equal(np.asarray(ad.nansum(t, (), keepdims=True)), X)


def test_a_positional_empty_dim_with_keepdim_under_grad_vmap_and_compile():
    def loss(t):
        return (t.sum((), True) ** 2).sum() + ad.mean(t, [], keepdim=True).sum()
    expected_grad = 2 * X.sum() + 1 / X.size
    np.testing.assert_allclose(ad.grad(loss)(ad.tensor(X)), np.full(X.shape, expected_grad))
    batched = ad.vmap(ad.grad(loss))(ad.tensor(BATCH))
    np.testing.assert_allclose(batched[2], np.full(X.shape, 2 * BATCH[2].sum() + 1 / X.size))
    compiled = ad.compile(loss)
    for sample in BATCH[:3]:
        np.testing.assert_allclose(np.asarray(compiled(ad.tensor(sample))),
                                   np.asarray(loss(ad.tensor(sample))), rtol=1e-12)
    hess = ad.hessian(loss)(ad.tensor(X))
    np.testing.assert_allclose(hess, np.full(X.shape * 2, 2.0), rtol=1e-12)


def test_a_positional_empty_dim_in_forward_mode_double_backward_and_odd_shapes():
    tangent = ad.jvp(lambda t: t.sum((), True), (ad.tensor(X),),
                     (ad.tensor(np.ones_like(X)),))[1]
    np.testing.assert_allclose(np.asarray(tangent), [[X.size]])
    assert ad.jacfwd(lambda t: ad.mean(t, [], keepdim=True))(ad.tensor(X)).shape == (1, 1, 2, 3)
    t = ad.tensor(X, requires_grad=True)
    g, = ad.autograd.grad((t.sum((), True) ** 3).sum(), [t], create_graph=True)
    g.sum().backward()                  # d/dx of 3 s^2 summed over the entries: 6 s n
    np.testing.assert_allclose(t.grad, np.full(X.shape, 6 * X.sum() * X.size), rtol=1e-12)
    assert ad.tensor(3.0).sum((), True).shape == ()
    assert ad.tensor(np.zeros((0, 2))).sum([], keepdim=False).item() == 0.0
    half = ad.tensor(X.astype(np.float16))
    assert half.sum((), True).dtype == np.float16 and half.sum((), True).shape == (1, 1)
    with ad.inference_mode():
        assert not ad.tensor(X, requires_grad=True).sum((), True).requires_grad


# ----- detect_anomaly inside vmap over a Tensor -------------------------------------------

@pytest.mark.parametrize("batch", ["Tensor", "Tensor in float32", "array"])
def test_a_nan_inside_vmap_over_a_tensor_names_the_op_and_line(batch):
    values = np.array([[2.0, 3.0], [0.0, 1.0]])       # example 1: sqrt(-1)
    rows = {"Tensor": ad.tensor(values), "array": values,
            "Tensor in float32": ad.tensor(values.astype(np.float32))}[batch]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with ad.detect_anomaly(), pytest.raises(ad.AnomalyError) as caught:
            ad.vmap(lambda r: ad.sqrt(r - 1.0).sum())(rows)
    message = str(caught.value)
    assert message.startswith("sqrt: the forward pass produced NaN"), message
    assert "ad.sqrt(r - 1.0)" in message


def test_a_tensor_that_requires_grad_is_mapped_as_it_is_under_detect_anomaly():
    rows = ad.tensor([[1.0, np.nan], [2.0, 3.0]], requires_grad=True)
    with ad.detect_anomaly():
        sums = ad.vmap(lambda r: ad.nansum(r * 2))(rows)
    sums.sum().backward()
    np.testing.assert_array_equal(rows.grad, [[2.0, 0.0], [2.0, 2.0]])


# ----- state_dict's StateArrays through copies, files and the transforms -----------------

def test_state_arrays_survive_deepcopy_and_pickle_and_leave_files_as_plain_arrays(tmp_path):
    model = ad.nn.Sequential(ad.nn.Linear(3, 2), ad.nn.BatchNorm1d(2))
    state = model.state_dict()
    for copied in (copy.deepcopy(state), pickle.loads(pickle.dumps(state))):
        assert all(type(v).__name__ == "StateArray" for v in copied.values())
        assert all(np.array_equal(copied[k], state[k]) for k in state)
    buffer = io.BytesIO()
    np.savez(buffer, **state)
    buffer.seek(0)
    loaded = np.load(buffer)
    assert all(type(loaded[k]) is np.ndarray for k in loaded)
    ad.save(state, tmp_path / "state.pt")
    reloaded = ad.load(tmp_path / "state.pt")
    assert all(type(v) is np.ndarray for v in reloaded.values())
    assert reloaded["1.num_batches_tracked"].dtype == state["1.num_batches_tracked"].dtype


def test_a_state_array_as_the_argument_of_grad_jacrev_and_vmap():
    weight = ad.nn.Linear(3, 2).state_dict()["weight"]
    values = np.asarray(weight)
    np.testing.assert_allclose(ad.grad(lambda w: (w ** 2).sum())(weight), 2 * values)
    np.testing.assert_allclose(ad.jacrev(lambda w: w.sum(0))(weight),
                               np.broadcast_to(np.eye(values.shape[1])[:, None, :],
                                               (values.shape[1],) + values.shape))
    np.testing.assert_allclose(ad.vmap(lambda row: (row * row).sum())(weight),
                               (values ** 2).sum(1))


def test_best_weights_kept_with_clone_are_restored_after_training_under_compile():
    model = ad.nn.Linear(3, 1)
    opt = ad.optim.SGD(model.parameters(), lr=0.1)

    @ad.compile
    def step(x, y):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss.detach()
    best = {k: v.clone() for k, v in model.state_dict().items()}
    for _ in range(3):
        step(ad.tensor(X), ad.tensor(np.ones((2, 1))))
    assert not np.allclose(model.weight.data, best["weight"])
    model.load_state_dict(best)
    np.testing.assert_array_equal(model.weight.data, best["weight"])
    after = step(ad.tensor(X), ad.tensor(np.ones((2, 1))))
    eager = ((np.asarray(X @ best["weight"] + best["bias"]) - 1) ** 2).mean()
    np.testing.assert_allclose(np.asarray(after), eager, rtol=1e-12)


def test_to_another_torch_tensor_takes_its_dtype_as_pytorchs_to_does():
    torch = pytest.importorskip("torch")
    weight = ad.nn.Linear(3, 2).state_dict()["weight"]
    half = torch.ones(2, dtype=torch.float16)
    assert weight.to(half).dtype == np.float16
    assert type(weight.to(half)).__name__ == "StateArray"
    assert ad.tensor([1.0]).to(torch.nn.Parameter(torch.ones(1))).dtype == np.float32
    assert torch.ones(1, dtype=torch.float64).to(half).dtype == torch.float16
