"""``max_norm`` / ``norm_type`` of ``F.embedding`` and ``nn.Embedding``: the looked-up rows
are rescaled in the table, without gradient, before the lookup (PyTorch's
``embedding_renorm_``)."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.inplace import InPlaceError

F = ad.nn.functional
nn = ad.nn

IDS = [[1, 3, 1], [[1, 3], [3, 0]], 2, [4, 4, 4], []]
NORMS = [2.0, 1.0, 3.0, 0.5, float("inf")]


def _table(dtype=np.float64):
    return (2.0 * np.random.default_rng(0).standard_normal((5, 3))).astype(dtype)


def _renormed_by_hand(table, ids, max_norm, norm_type):
    out = table.copy()
    for i in sorted(set(np.ravel(ids).tolist())):
        row = table[i]
        if norm_type == np.inf:
            norm = np.abs(row).max()
        else:
            norm = (np.abs(row) ** norm_type).sum() ** (1.0 / norm_type)
        if norm > max_norm:
            out[i] = row * (max_norm / (norm + 1e-7))
    return out


def _upstream(shape):
    return np.random.default_rng(1).standard_normal(shape)


@pytest.mark.parametrize("ids", IDS, ids=str)
@pytest.mark.parametrize("norm_type", NORMS)
@pytest.mark.parametrize("padding_idx", [None, 3])
def test_values_table_and_gradients_match_the_hand_written_renorm(ids, norm_type, padding_idx):
    w = ad.tensor(_table(), requires_grad=True)
    out = F.embedding(ids, w, padding_idx, 1.5, norm_type)
    expected_table = _renormed_by_hand(_table(), ids, 1.5, norm_type)
    np.testing.assert_allclose(w.data, expected_table, rtol=1e-13, atol=0)
    np.testing.assert_array_equal(out.data, w.data[np.asarray(ids, dtype=np.intp)])
    g = _upstream(out.shape)
    (out * g).sum().backward()
    grad = np.zeros((5, 3))
    np.add.at(grad, np.asarray(ids, dtype=np.intp), g)
    if padding_idx is not None:
        grad[padding_idx] = 0
    np.testing.assert_array_equal(w.grad, grad)
    # rows not looked up, and rows within the bound, are untouched
    untouched = [i for i in range(5) if i not in np.ravel(ids)]
    np.testing.assert_array_equal(w.data[untouched], _table()[untouched])


def test_the_gradient_is_the_lookups_at_the_renormed_table_by_central_differences():
    # The renorm is not differentiated (as in PyTorch): the loss is a function of the
    # renormed table, whose gradient central differences give.
    ids = np.array([[0, 2], [2, 4]])
    w = ad.tensor(_table(), requires_grad=True)
    g = _upstream((2, 2, 3))
    loss = (F.embedding(ids, w, max_norm=1.0) * g).sum()
    loss.backward()
    renormed = w.data.copy()
    numeric = np.zeros_like(renormed)
    for i in np.ndindex(renormed.shape):
        plus, minus = renormed.copy(), renormed.copy()
        plus[i] += 1e-6
        minus[i] -= 1e-6
        numeric[i] = ((F.embedding(ids, ad.tensor(plus)) * g).sum().item()
                      - (F.embedding(ids, ad.tensor(minus)) * g).sum().item()) / 2e-6
    np.testing.assert_allclose(w.grad, numeric, rtol=1e-7, atol=1e-9)


def test_the_layer_renorms_at_each_call_and_shows_it():
    emb = nn.Embedding(5, 3, max_norm=1.0, norm_type=1.0, rng=0, std=2.0)
    assert repr(emb) == "Embedding(5, 3, max_norm=1.0, norm_type=1.0)"
    assert (emb.max_norm, emb.norm_type) == (1.0, 1.0)
    emb([0, 1])
    assert np.all(np.abs(emb.weight.data[[0, 1]]).sum(axis=1) <= 1.0)
    assert repr(nn.Embedding(5, 3, padding_idx=0, max_norm=2)) == \
        "Embedding(5, 3, padding_idx=0, max_norm=2.0)"


def test_a_table_a_live_graph_saved_is_refused_and_left_unchanged():
    w = ad.tensor(_table(), requires_grad=True)
    loss = (w * w).sum()
    with pytest.raises(InPlaceError, match=r"^embedding \(max_norm\): cannot change tensor "
                                           r".*op 'multiply' saved its values"):
        F.embedding([0, 1], w, max_norm=1.0)
    np.testing.assert_array_equal(w.data, _table())
    loss.backward()                         # the graph is intact
    np.testing.assert_array_equal(w.grad, 2 * _table())
    F.embedding([0, 1], w, max_norm=1.0)    # and the table writable again after it


def test_two_lookups_of_one_table_in_one_graph_are_fine():
    # A lookup saves no table values, so a second renorm does not disturb the first.
    w = ad.tensor(_table(), requires_grad=True)
    a = F.embedding([0, 1], w, max_norm=1.0)
    b = F.embedding([1, 2], w, max_norm=0.5)
    (a.sum() + 2 * b.sum()).backward()
    np.testing.assert_array_equal(w.grad[:, 0], [1.0, 3.0, 2.0, 0.0, 0.0])


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match=r"^embedding: max_norm rescales the table in place, so "
                                        "weight must be a Tensor"):
        F.embedding([0], _table(), max_norm=1.0)
    with pytest.raises(TypeError, match=r"^Embedding\(5, 3\): max_norm must be a real number"):
        nn.Embedding(5, 3, max_norm="1")
    with pytest.raises(ValueError, match="must not be NaN"):
        F.embedding([0], ad.tensor(_table()), max_norm=1.0, norm_type=float("nan"))
    F.embedding([0], _table(), norm_type=1.0)   # norm_type alone changes nothing


def _compiled_pair():
    def make():
        emb = nn.Embedding(6, 3, max_norm=1.0, rng=0, std=2.0)
        opt = ad.optim.SGD(emb.parameters(), lr=0.5)

        def step(ids):
            opt.zero_grad()
            loss = (emb(ids) ** 2).sum()
            loss.backward()
            opt.step()
            return loss
        return emb, step
    return make(), make()


def test_a_compiled_step_replays_the_renorm_as_eager():
    (e_emb, eager), (c_emb, step) = _compiled_pair()
    compiled = ad.compile(step)
    for ids in ([0, 1], [2, 2], [5, 0], [3, 4], [1, 5]):
        assert eager(np.array(ids)).data.tobytes() == compiled(np.array(ids)).data.tobytes()
        assert e_emb.weight.data.tobytes() == c_emb.weight.data.tobytes()
    assert compiled.traces == 1


def test_float32_tables_are_renormed_in_their_dtype():
    w = ad.tensor(_table(np.float32), requires_grad=True)
    out = F.embedding([0, 2], w, max_norm=1.0)
    assert out.dtype == np.float32 and w.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(w.data[[0, 2]], axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("ids", IDS[:4], ids=str)
@pytest.mark.parametrize("norm_type", NORMS)
@pytest.mark.parametrize("padding_idx", [None, 1])
def test_torch_values_table_and_gradients(ids, norm_type, padding_idx):
    torch = pytest.importorskip("torch")
    w = ad.tensor(_table(), requires_grad=True)
    out = F.embedding(ids, w, padding_idx, 1.5, norm_type)
    g = _upstream(out.shape)
    (out * g).sum().backward()
    tw = torch.tensor(_table(), requires_grad=True)
    tout = torch.nn.functional.embedding(torch.tensor(ids), tw, padding_idx, 1.5, norm_type)
    (tout * torch.tensor(g)).sum().backward()
    np.testing.assert_array_equal(out.data, tout.detach().numpy())
    np.testing.assert_array_equal(w.data, tw.detach().numpy())
    np.testing.assert_array_equal(w.grad, tw.grad.numpy())


def test_torch_float32_and_the_layer():
    torch = pytest.importorskip("torch")
    w = ad.tensor(_table(np.float32))
    tw = torch.tensor(_table(np.float32))
    F.embedding([[0, 2], [2, 4]], w, max_norm=1.0)
    torch.nn.functional.embedding(torch.tensor([[0, 2], [2, 4]]), tw, max_norm=1.0)
    np.testing.assert_allclose(w.data, tw.numpy(), rtol=2e-7, atol=0)
    emb = nn.Embedding(5, 3, max_norm=1.0, norm_type=3.0)
    temb = torch.nn.Embedding(5, 3, max_norm=1.0, norm_type=3.0)
    assert repr(emb) == repr(temb)


def test_torch_also_refuses_a_saved_table_though_only_at_its_backward():
    torch = pytest.importorskip("torch")
    tw = torch.tensor(_table(), requires_grad=True)
    loss = (tw * tw).sum()
    torch.nn.functional.embedding(torch.tensor([0]), tw, max_norm=1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
