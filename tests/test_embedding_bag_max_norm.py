"""``max_norm`` / ``norm_type`` of ``F.embedding_bag`` and ``nn.EmbeddingBag``: the
looked-up rows are rescaled in the table, without gradient, before the bags are reduced
(the renorm of ``F.embedding``)."""

import numpy as np
import pytest

import autodiff as ad

F = ad.nn.functional
nn = ad.nn

MODES = ["sum", "mean", "max"]
NORMS = [2.0, 1.0, 3.0, 0.5, float("inf")]
# (ids, offsets): 1-D runs with an empty bag and repeated ids, and 2-D rows
BAGS = [(np.array([1, 2, 1, 5, 5, 0, 2]), np.array([0, 3, 3, 5])),
        (np.array([[1, 2, 1], [5, 5, 2]]), None)]


def _table(dtype=np.float64):
    return (2.0 * np.random.default_rng(0).standard_normal((6, 3))).astype(dtype)


def _renormed_by_hand(table, ids, max_norm, norm_type):
    out = table.copy()
    for i in sorted(set(np.ravel(ids).tolist())):
        row = table[i].astype(np.float64)
        if norm_type == np.inf:
            norm = np.abs(row).max()
        else:
            norm = (np.abs(row) ** norm_type).sum() ** (1.0 / norm_type)
        if norm > max_norm:
            out[i] = table[i] * np.asarray(max_norm / (norm + 1e-7), table.dtype)
    return out


def _bags(ids, offsets):
    if offsets is None:
        return [list(row) for row in ids]
    ends = list(offsets[1:]) + [len(ids)]
    return [list(ids[a:b]) for a, b in zip(offsets, ends)]


def _reduced_by_hand(table, ids, offsets, mode, padding_idx, weights=None):
    weights = np.ones(np.shape(ids)) if weights is None else weights
    out = np.zeros((len(_bags(ids, offsets)), table.shape[1]))
    for b, (bag, ws) in enumerate(zip(_bags(ids, offsets), _bags(weights, offsets))):
        rows = [table[i] * w for i, w in zip(bag, ws) if i != padding_idx]
        if rows:
            out[b] = {"sum": np.sum, "mean": np.mean, "max": np.max}[mode](rows, axis=0)
    return out


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("norm_type", NORMS)
@pytest.mark.parametrize("padding_idx", [None, 2])
@pytest.mark.parametrize("bags", BAGS, ids=["offsets", "2-D"])
def test_table_and_values_match_the_hand_written_renorm(mode, norm_type, padding_idx, bags):
    ids, offsets = bags
    w = ad.tensor(_table(), requires_grad=True)
    out = F.embedding_bag(ids, w, offsets, 1.5, norm_type, mode=mode, padding_idx=padding_idx)
    renormed = _renormed_by_hand(_table(), ids, 1.5, norm_type)
    np.testing.assert_allclose(w.data, renormed, rtol=1e-13, atol=0)
    np.testing.assert_allclose(out.data, _reduced_by_hand(renormed, ids, offsets, mode,
                                                          padding_idx), rtol=1e-13, atol=1e-15)
    untouched = [i for i in range(6) if i not in np.ravel(ids)]
    np.testing.assert_array_equal(w.data[untouched], _table()[untouched])


@pytest.mark.parametrize("mode", MODES)
def test_the_gradient_is_the_bags_at_the_renormed_table_by_central_differences(mode):
    # The renorm is not differentiated (as in PyTorch): the loss is a function of the
    # renormed table, whose gradient central differences give.
    ids, offsets = BAGS[0]
    psw = np.linspace(-1.0, 2.0, ids.size) if mode == "sum" else None
    w = ad.tensor(_table(), requires_grad=True)
    g = np.random.default_rng(1).standard_normal((4, 3))
    (F.embedding_bag(ids, w, offsets, 1.0, mode=mode, per_sample_weights=psw,
                     padding_idx=5) * g).sum().backward()
    renormed = w.data.copy()

    def loss(table):
        return (_reduced_by_hand(table, ids, offsets, mode, 5, psw) * g).sum()
    numeric = np.zeros_like(renormed)
    for i in np.ndindex(renormed.shape):
        plus, minus = renormed.copy(), renormed.copy()
        plus[i] += 1e-6
        minus[i] -= 1e-6
        numeric[i] = (loss(plus) - loss(minus)) / 2e-6
    np.testing.assert_allclose(w.grad, numeric, rtol=1e-7, atol=1e-9)


def test_the_layer_renorms_at_each_call_and_shows_it():
    bag = nn.EmbeddingBag(6, 3, max_norm=1.0, norm_type=1.0, mode="sum", padding_idx=0,
                          _weight=_table())
    assert repr(bag) == "EmbeddingBag(6, 3, max_norm=1.0, norm_type=1.0, mode='sum', " \
                        "padding_idx=0)"
    assert (bag.max_norm, bag.norm_type) == (1.0, 1.0)
    bag(np.array([[1, 3], [3, 4]]))
    assert np.all(np.abs(bag.weight.data[[1, 3, 4]]).sum(axis=1) <= 1.0)
    np.testing.assert_array_equal(bag.weight.data[[0, 2, 5]], _table()[[0, 2, 5]])


def test_bad_arguments_are_named_and_leave_the_table_unchanged():
    ids, offsets = BAGS[0]
    w = ad.tensor(_table(), requires_grad=True)
    with pytest.raises(ValueError, match="per_sample_weights is only supported with mode='sum'"):
        F.embedding_bag(ids, w, offsets, max_norm=1.0, per_sample_weights=np.ones(7))
    np.testing.assert_array_equal(w.data, _table())
    with pytest.raises(TypeError, match=r"^embedding_bag: max_norm rescales the table in place"):
        F.embedding_bag(ids, _table(), offsets, max_norm=1.0)
    with pytest.raises(TypeError, match=r"^EmbeddingBag\(6, 3\): max_norm must be a real number"):
        nn.EmbeddingBag(6, 3, max_norm="1")
    with pytest.raises(ValueError, match="must not be NaN"):
        F.embedding_bag(ids, w, offsets, max_norm=float("nan"))


def _compiled_pair(mode):
    def make():
        bag = nn.EmbeddingBag(6, 3, max_norm=1.0, mode=mode, _weight=_table())
        opt = ad.optim.SGD(bag.parameters(), lr=0.5)

        def step(ids, offsets):
            opt.zero_grad()
            loss = (bag(ids, offsets) ** 2).sum()
            loss.backward()
            opt.step()
            return loss
        return bag, step
    return make(), make()


@pytest.mark.parametrize("mode", MODES)
def test_a_compiled_step_replays_the_renorm_as_eager(mode):
    (e_bag, eager), (c_bag, step) = _compiled_pair(mode)
    compiled = ad.compile(step)
    for ids in ([0, 1, 4], [2, 2, 3], [5, 0, 5], [3, 4, 1], [1, 5, 2]):
        ids, offsets = np.array(ids), np.array([0, 2])
        assert eager(ids, offsets).data.tobytes() == compiled(ids, offsets).data.tobytes()
        assert e_bag.weight.data.tobytes() == c_bag.weight.data.tobytes()
    assert compiled.traces == 1


def _torch_case(torch, dtype, mode, norm_type, padding_idx, bags, weighted):
    ids, offsets = bags
    rng = np.random.default_rng(2)
    psw = rng.standard_normal(ids.shape).astype(dtype) if weighted else None
    w = ad.tensor(_table(dtype), requires_grad=True)
    out = F.embedding_bag(ids, w, offsets, 1.2, norm_type, mode=mode, per_sample_weights=psw,
                          padding_idx=padding_idx)
    g = rng.standard_normal(out.shape).astype(dtype)
    (out * g).sum().backward()
    tw = torch.tensor(_table(dtype), requires_grad=True)
    tout = torch.nn.functional.embedding_bag(
        torch.tensor(ids), tw, None if offsets is None else torch.tensor(offsets), 1.2,
        norm_type, mode=mode, per_sample_weights=None if psw is None else torch.tensor(psw),
        padding_idx=padding_idx)
    (tout * torch.tensor(g)).sum().backward()
    return (out.data, w.data, w.grad), (tout.detach().numpy(), tw.detach().numpy(),
                                        tw.grad.numpy())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mode,weighted", [("sum", False), ("sum", True), ("mean", False),
                                           ("max", False)])
@pytest.mark.parametrize("norm_type", NORMS)
@pytest.mark.parametrize("padding_idx", [None, 2])
@pytest.mark.parametrize("bags", BAGS, ids=["offsets", "2-D"])
def test_torch_values_table_and_gradients(dtype, mode, weighted, norm_type, padding_idx, bags):
    torch = pytest.importorskip("torch")
    ours, theirs = _torch_case(torch, dtype, mode, norm_type, padding_idx, bags, weighted)
    # PyTorch's 2-norm adds the squares in another order than NumPy's (1 ulp apart at
    # times), and its bag sums too, so the comparison allows a few ulp.
    rtol, atol = (1e-13, 1e-15) if dtype == np.float64 else (2e-6, 1e-6)
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def test_torch_layer_repr_and_attributes():
    torch = pytest.importorskip("torch")
    ours = nn.EmbeddingBag(5, 3, max_norm=1.0, norm_type=3.0, padding_idx=0)
    theirs = torch.nn.EmbeddingBag(5, 3, max_norm=1.0, norm_type=3.0, padding_idx=0)
    assert repr(ours) == repr(theirs)
    assert (ours.max_norm, ours.norm_type) == (theirs.max_norm, theirs.norm_type)
