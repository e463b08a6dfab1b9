"""Embedding's padding_idx and F.embedding: the padding row starts at zeros, is looked up
as it is, and gets no gradient (PyTorch's semantics); other rows' gradients against a
NumPy scatter-add and finite differences; bad arguments named; compiled steps."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F

RNG = np.random.default_rng(5)


def embedding_grad_ref(ids, g, n, padding_idx=None):
    """Scatter-add of the gradient rows into an (n, dim) table; nothing for padding ids."""
    grad = np.zeros((n, g.shape[-1]), dtype=g.dtype)
    rows = g.reshape(-1, g.shape[-1])
    flat = np.asarray(ids).reshape(-1)
    keep = flat != (padding_idx % n if padding_idx is not None else -1)
    np.add.at(grad, flat[keep], rows[keep])
    return grad


@pytest.mark.parametrize("padding_idx,row", [(0, 0), (3, 3), (-1, 5), (-6, 0)])
def test_padding_row_starts_at_zero_and_the_rest_is_drawn_as_without_it(padding_idx, row):
    plain = nn.Embedding(6, 3, rng=0)
    padded = nn.Embedding(6, 3, padding_idx=padding_idx, rng=0)
    assert padded.padding_idx == row
    np.testing.assert_array_equal(padded.weight.data[row], np.zeros(3))
    others = np.arange(6) != row
    np.testing.assert_array_equal(padded.weight.data[others], plain.weight.data[others])
    assert nn.Embedding(6, 3, padding_idx=padding_idx, rng=0, dtype=np.float32).weight.data[
        row].tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("padding_idx", [0, 2, -1])
@pytest.mark.parametrize("ids_shape", [(7,), (2, 3), (2, 1, 4), ()])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_padding_ids_get_no_gradient_and_the_others_the_scatter_add(padding_idx, ids_shape,
                                                                     dtype):
    n = 5
    emb = nn.Embedding(n, 3, padding_idx=padding_idx, rng=1, dtype=dtype)
    ids = RNG.integers(0, n, ids_shape)
    if ids.ndim:
        ids.flat[::2] = padding_idx % n             # padding ids among the others
    g = RNG.standard_normal(ids_shape + (3,)).astype(dtype)
    out = emb(ids)
    assert out.shape == ids_shape + (3,) and out.dtype == dtype
    np.testing.assert_array_equal(out.data, emb.weight.data[ids])
    out.backward(g)
    assert emb.weight.grad.dtype == dtype
    np.testing.assert_array_equal(emb.weight.grad[padding_idx], np.zeros(3))
    np.testing.assert_allclose(emb.weight.grad, embedding_grad_ref(ids, g, n, padding_idx),
                               rtol=1e-6 if dtype == np.float32 else 1e-14)


def test_a_nonzero_padding_row_is_looked_up_as_it_is_but_still_gets_no_gradient():
    emb = nn.Embedding(4, 2, padding_idx=1, rng=0)
    emb.load_state_dict({"weight": np.arange(8.0).reshape(4, 2)})
    out = emb(np.array([1, 3, 1]))
    np.testing.assert_array_equal(out.data, [[2.0, 3.0], [6.0, 7.0], [2.0, 3.0]])
    (out * out).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad, [[0, 0], [0, 0], [0, 0], [12.0, 14.0]])


def test_an_optimizer_leaves_the_padding_row_unchanged():
    emb = nn.Embedding(6, 4, padding_idx=2, rng=0)
    opt = ad.optim.Adam(emb.parameters(), lr=0.1)
    for step in range(3):
        ids = RNG.integers(0, 6, (4, 5))
        ids[:, 0] = 2
        loss = (emb(ids) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    np.testing.assert_array_equal(emb.weight.data[2], np.zeros(4))
    assert np.all(emb.weight.data[[0, 1, 3, 4, 5]] != 0)


def test_gradients_of_the_other_rows_match_finite_differences_to_second_order():
    ids = np.array([[0, 3, 1], [3, 3, 4]])
    table = RNG.standard_normal((5, 2))

    def lookup(w):
        return F.embedding(ids, w, padding_idx=3)

    # The padding row changes the output but gets no gradient by design: finite
    # differences see it, the tape does not, so it is compared on the other rows.
    numerical = ad.numerical_grad(lambda w: (lookup(w) ** 2).sum(), [table])[0]
    t = ad.tensor(table, requires_grad=True)
    (lookup(t) ** 2).sum().backward()
    others = np.arange(5) != 3
    np.testing.assert_allclose(t.grad[others], numerical[others], rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(t.grad[3], np.zeros(2))
    assert np.any(numerical[3] != 0)
    # Second order: the vector-Jacobian product (padding row always zero) differentiated.
    assert ad.gradgradcheck(lambda w: lookup(w) ** 2, [table], eps=1e-6, atol=1e-5, rtol=1e-3)
    assert ad.gradcheck(lambda w: F.embedding(ids, w) ** 2, [table])


def test_functional_embedding_matches_the_layer_and_indexing():
    table = RNG.standard_normal((6, 3))
    ids = np.array([[5, 0], [2, 5]])
    np.testing.assert_array_equal(F.embedding(ids, ad.tensor(table)).data, table[ids])
    np.testing.assert_array_equal(F.embedding(ad.tensor(ids), table, padding_idx=-1).data,
                                  table[ids])
    layer = nn.Embedding(6, 3, padding_idx=5)
    layer.weight.data[...] = table
    g = RNG.standard_normal((2, 2, 3))
    layer(ids).backward(g)
    w = ad.tensor(table, requires_grad=True)
    F.embedding(ids, w, padding_idx=5).backward(g)
    np.testing.assert_array_equal(w.grad, layer.weight.grad)
    np.testing.assert_allclose(w.grad, embedding_grad_ref(ids, g, 6, 5), rtol=1e-14)


def test_padding_idx_in_repr_and_state_dict_keys_unchanged():
    assert repr(nn.Embedding(5, 3, padding_idx=-1)) == "Embedding(5, 3, padding_idx=4)"
    assert repr(nn.Embedding(5, 3, 0)) == "Embedding(5, 3, padding_idx=0)"
    assert repr(nn.Embedding(5, 3)) == "Embedding(5, 3)"
    emb = nn.Embedding(5, 3, padding_idx=0)
    assert list(emb.state_dict()) == ["weight"] == list(emb.to_torch_state_dict())
    assert nn.Embedding(5, 3).padding_idx is None


def test_bad_padding_idx_max_norm_and_tables_are_named():
    for bad in (5, -6, 100):
        with pytest.raises(ValueError, match=rf"^Embedding\(5, 3\): padding_idx={bad} is out of "
                                             r"range for a table of 5 rows; it must be in "
                                             r"\[-5, 5\)"):
            nn.Embedding(5, 3, padding_idx=bad)
        with pytest.raises(ValueError, match=rf"^embedding: padding_idx={bad} is out of range "
                                             "for a table of 5 rows"):
            F.embedding([0], np.zeros((5, 3)), padding_idx=bad)
    for bad in (1.0, True, "0"):
        with pytest.raises(TypeError, match=r"^Embedding\(5, 3\): padding_idx must be an int"):
            nn.Embedding(5, 3, padding_idx=bad)
    with pytest.raises(TypeError, match=r"^Embedding\(5, 3\): max_norm must be a real number"):
        nn.Embedding(5, 3, max_norm=[1.0])
    with pytest.raises(TypeError, match=r"^embedding: max_norm rescales the table in place"):
        F.embedding([0], np.zeros((5, 3)), max_norm=2.0)
    with pytest.raises(ValueError, match=r"^embedding: weight must be a table of shape \(n, dim\)"
                                         r".*got shape \(5,\)$"):
        F.embedding([0], np.zeros(5))
    with pytest.raises(TypeError, match=r"^embedding: weight must hold floating-point or "
                                        "complex values, got dtype int64$"):
        F.embedding([0], np.zeros((5, 3), dtype=np.int64))
    with pytest.raises(IndexError, match=r"^embedding: id 5 is out of range for 5 rows"):
        F.embedding([5], np.zeros((5, 3)), padding_idx=0)
    with pytest.raises(IndexError, match=r"^Embedding\(5, 3\): id -1 is negative"):
        nn.Embedding(5, 3, padding_idx=-1)([-1])     # padding_idx wraps, ids do not


def test_compiled_step_drops_the_padding_gradient_at_each_replay():
    def make():
        emb = nn.Embedding(5, 2, padding_idx=1, rng=0)

        def step(ids):
            loss = (emb(ids) ** 2).sum()
            emb.weight.grad = None
            loss.backward()
            return loss, emb.weight.grad
        return step
    eager, compiled = make(), ad.compile(make())
    compiled(np.array([0, 2, 3]))                   # traced without any padding id
    for ids in ([1, 1, 0], [4, 1, 2], [0, 2, 3]):
        ids = np.array(ids)
        (loss_e, grad_e), (loss_c, grad_c) = eager(ids), compiled(ids)
        grad_c = np.asarray(getattr(grad_c, "data", grad_c))
        np.testing.assert_array_equal(grad_c, grad_e)
        np.testing.assert_array_equal(grad_c[1], np.zeros(2))
        assert float(loss_c) == float(loss_e)
    assert compiled.traces == 1


def test_embedding_takes_pytorchs_argument_and_attribute_names():
    emb = ad.nn.Embedding(num_embeddings=10, embedding_dim=3, padding_idx=0, rng=0)
    assert emb.weight.shape == (10, 3)
    assert (emb.num_embeddings, emb.embedding_dim) == (10, 3) == (emb.n, emb.dim)
    with pytest.raises(TypeError, match="got both n=5 and num_embeddings=5"):
        ad.nn.Embedding(5, 2, num_embeddings=5)
    with pytest.raises(TypeError, match=r"missing dim \(PyTorch's embedding_dim\)"):
        ad.nn.Embedding(5)
