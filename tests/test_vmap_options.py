"""``ad.vmap``'s ``out_dims`` (None and per-output structures), ``chunk_size`` and
``randomness``: their semantics on their own, and the results and gradients compared
with ``torch.func.vmap`` in float64 (the torch tests skip without torch)."""

import threading

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F

RNG = np.random.default_rng(20261205)
W2 = RNG.standard_normal(2)


def _rows_equal(batch):
    data = np.asarray(batch.data if isinstance(batch, ad.Tensor) else batch)
    return all(np.array_equal(data[0], row) for row in data[1:])


# ----- out_dims ----------------------------------------------------------------------

def test_out_dims_none_returns_an_output_that_does_not_depend_on_the_batch_once():
    xs = RNG.standard_normal((3, 2))
    np.testing.assert_array_equal(ad.vmap(lambda x: W2 * 2, out_dims=None)(xs), W2 * 2)
    stacked, whole = ad.vmap(lambda x, w: (x * w, w.sum()), in_dims=(0, None),
                             out_dims=(0, None))(xs, W2)
    np.testing.assert_array_equal(stacked, xs * W2)
    assert np.shape(whole) == () and float(whole) == W2.sum()
    # a non-array result is allowed when it is not stacked
    assert ad.vmap(lambda x: "label", out_dims=None)(xs) == "label"


def test_out_dims_follow_the_structure_of_a_dict_or_nested_tuple_output():
    xs = RNG.standard_normal((3, 2))
    out = ad.vmap(lambda x: ({"a": x, "b": W2, "c": (x.sum(), x * 0 + 1)}, x),
                  out_dims=({"a": 1, "b": None, "c": -1}, 0))(xs)
    np.testing.assert_array_equal(out[0]["a"], xs.T)
    np.testing.assert_array_equal(out[0]["b"], W2)
    np.testing.assert_array_equal(out[0]["c"][0], xs.sum(axis=1))
    np.testing.assert_array_equal(out[0]["c"][1], np.ones((2, 3)))
    np.testing.assert_array_equal(out[1], xs)


@pytest.mark.parametrize("xs", [np.array([[1.0, 2.0], [3.0, 4.0]]),
                                ad.tensor([[1.0, 2.0], [2.0, 1.0]], requires_grad=True)],
                         ids=["values_differ", "equal_values_computed_from_the_batch"])
def test_out_dims_none_for_an_output_of_the_batch_raises(xs):
    # the second batch's sums are equal, but the output is computed from the batch (as
    # torch, which refuses a batched output whatever its values)
    with pytest.raises(ValueError, match=r"vmap\(<lambda>\): out_dims\[1\] is None but that "
                                         r"output depends on the mapped arguments"):
        ad.vmap(lambda x: (x, x.sum()), out_dims=(0, None))(xs)


@pytest.mark.parametrize("out_dims, error, message", [
    ({"a": 0}, ValueError, r"out_dims is a dict with keys \['a'\] but the function returns "
                           r"a dict with keys \['a', 'b'\]"),
    ((0, {"a": 0}), ValueError, r"out_dims\[1\] is a dict with keys \['a'\] but the "
                                r"function returns a value of type ndarray there"),
    ("0", TypeError, r"out_dims must be an int, None, or a tuple, list or dict"),
    (True, TypeError, r"out_dims must be an int, None"),
    ((0, 0, 0), ValueError, r"out_dims has 3 entries but the function returns 2 values"),
])
def test_out_dims_that_do_not_fit_the_output_are_refused(out_dims, error, message):
    f = (lambda x: {"a": x, "b": x}) if isinstance(out_dims, dict) else (lambda x: (x, x))
    with pytest.raises(error, match=message):
        ad.vmap(f, out_dims=out_dims)(np.ones((2, 3)))


def test_the_hint_for_a_result_that_cannot_be_stacked_names_out_dims_none():
    with pytest.raises(TypeError, match=r"give it out_dims=None if it is the same"):
        ad.vmap(lambda x: "label")(np.ones((2, 2)))


def test_gradients_flow_through_stacked_and_unstacked_outputs():
    xs = RNG.standard_normal((3, 2))

    def loss(w, xs):
        per_row, shared = ad.vmap(lambda x: (ad.sin(x * w), (w ** 3).sum()), out_dims=(0, None))(
            xs)
        return (per_row * np.arange(1.0, 3.0)).sum() + shared * 0.5

    assert ad.gradcheck(loss, [W2.copy(), xs])


# ----- chunk_size ---------------------------------------------------------------------

@pytest.mark.parametrize("chunk_size", [1, 2, 3, 10])
def test_chunked_and_unchunked_results_and_gradients_are_equal(chunk_size):
    xs = RNG.standard_normal((3, 1, 2))

    def f(x, w):
        return ad.tanh(x @ w.reshape(2, 1)).sum(), x * w

    whole = ad.vmap(f, in_dims=(0, None))(xs, W2)
    chunked = ad.vmap(f, in_dims=(0, None), chunk_size=chunk_size)(xs, W2)
    for a, b in zip(whole, chunked):
        np.testing.assert_array_equal(a, b)
    grad = ad.grad(lambda w, chunk: ad.vmap(f, in_dims=(0, None), chunk_size=chunk)(xs, w)[0]
                   .sum())
    np.testing.assert_array_equal(grad(W2, None), grad(W2, chunk_size))


@pytest.mark.parametrize("chunk_size, error", [(0, ValueError), (-1, ValueError),
                                               (1.5, TypeError), (True, TypeError)])
def test_a_chunk_size_that_is_not_a_positive_int_is_refused(chunk_size, error):
    with pytest.raises(error, match=r"vmap\(<lambda>\): chunk_size must be None or "):
        ad.vmap(lambda x: x, chunk_size=chunk_size)


# ----- randomness ---------------------------------------------------------------------

RANDOM_CALLS = {
    "rand": lambda x: ad.rand(2) + x,
    "randn_like": lambda x: ad.randn_like(x),
    "dropout": lambda x: F.dropout(x, 0.5, training=True),
    "normal": lambda x: ad.normal(x, 1.0),
    "generator": lambda x: ad.rand(2, generator=ad.Generator().manual_seed(1)) + x,
}


@pytest.mark.parametrize("name", sorted(RANDOM_CALLS))
def test_a_random_draw_raises_in_the_default_error_mode(name):
    with pytest.raises(RuntimeError, match=r"vmap\(<lambda>\): called a random operation "
                                           r"while in randomness 'error' mode"):
        ad.vmap(RANDOM_CALLS[name])(np.ones((3, 2)))
    ad.rand(1)              # the mode ends with the call, even when it raised


def test_a_draw_in_a_vmap_nested_in_an_error_mode_vmap_raises():
    inner = ad.vmap(lambda x: ad.rand(()) + x, randomness="different")
    with pytest.raises(RuntimeError, match="randomness 'error' mode"):
        ad.vmap(inner)(np.ones((2, 3)))
    outer = ad.vmap(ad.vmap(lambda x: ad.rand(()) + x), randomness="different")
    with pytest.raises(RuntimeError, match="randomness 'error' mode"):
        outer(np.ones((2, 3)))


@pytest.mark.parametrize("name", sorted(RANDOM_CALLS))
def test_same_gives_every_example_the_same_draw_and_different_does_not(name):
    # (32 entries for dropout: masks of 2 entries came out equal in all 4 rows once in
    # 64 draws, as the global generator's state left by earlier tests could make them)
    xs = np.ones((4, 32 if name == "dropout" else 2))
    same = ad.vmap(RANDOM_CALLS[name], randomness="same")(xs)
    assert _rows_equal(same)
    different = ad.vmap(RANDOM_CALLS[name], randomness="different")(xs)
    # a generator made and seeded inside the function restarts for each example
    assert _rows_equal(different) == (name == "generator")


def test_same_draws_once_from_the_generator_and_different_once_per_example():
    generator = ad.Generator().manual_seed(5)
    same = ad.vmap(lambda x: ad.rand(2, generator=generator) + 0 * x, randomness="same",
                   chunk_size=1)(np.zeros((3, 2)))
    after_same = ad.rand(2, generator=generator)
    generator.manual_seed(5)
    np.testing.assert_array_equal(same.data, np.tile(ad.rand(2, generator=generator).data,
                                                     (3, 1)))
    np.testing.assert_array_equal(after_same.data, ad.rand(2, generator=generator).data)

    generator.manual_seed(5)
    different = ad.vmap(lambda x: ad.rand(2, generator=generator) + 0 * x,
                        randomness="different")(np.zeros((3, 2)))
    generator.manual_seed(5)
    np.testing.assert_array_equal(different.data, ad.rand(3, 2, generator=generator).data)


def test_same_with_the_library_generator_and_an_int_seed():
    ad.manual_seed(3)
    same = ad.vmap(lambda x: ad.randn(3) * x, randomness="same")(np.ones((2, 1)))
    ad.manual_seed(3)
    np.testing.assert_array_equal(same.data[0], ad.randn(3).data)
    assert _rows_equal(same)
    # a fixed seed repeats its numbers in every call, so in every mode
    seeded = ad.vmap(lambda x: ad.rand(2, rng=0) + 0 * x, randomness="different")(
        np.zeros((3, 2)))
    assert _rows_equal(seeded)


def test_compile_refuses_same_whose_rewinding_a_replay_would_skip_and_replays_different():
    same = ad.compile(lambda x: ad.vmap(lambda r: ad.rand(3) + r, randomness="same")(x))
    with pytest.raises(ad.TraceError, match=r"vmap\(<lambda>, randomness='same'\) draws at "):
        same(np.zeros((3, 3)))
    different = ad.compile(lambda x: ad.vmap(lambda r: ad.rand(3) + r,
                                             randomness="different")(x))
    for _ in range(3):                  # traced, then replayed
        ad.manual_seed(11)
        out = different(np.zeros((3, 3)))
        ad.manual_seed(11)
        np.testing.assert_array_equal(out.data, ad.rand(3, 3).data)


def test_a_draw_in_another_thread_is_not_inside_the_vmap():
    drawn_elsewhere = []

    def f(x):
        worker = threading.Thread(target=lambda: drawn_elsewhere.append(ad.rand(2)))
        worker.start()
        worker.join()
        return x * 2

    ad.vmap(f)(np.ones((2, 2)))         # randomness='error'
    assert len(drawn_elsewhere) == 2


def test_an_unknown_randomness_is_refused_when_vmap_is_called():
    with pytest.raises(RuntimeError, match=r"randomness must be 'error', 'different' or "
                                           r"'same', got 'shared'"):
        ad.vmap(lambda x: x, randomness="shared")


# ----- against torch.func.vmap -------------------------------------------------------

SHAPES = [(3,), (3, 1), (1, 2), (4, 1, 2), (2, 3, 1)]


def _torch():
    torch = pytest.importorskip("torch")
    from torch_compare import T, assert_same
    return torch, T, assert_same


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("out_dims", [(0, None), (-1, None), ({"a": 0, "b": None}, 0),
                                      ({"a": -1, "b": None}, None)], ids=str)
def test_out_dims_structures_match_torch_func_vmap(shape, out_dims):
    torch, T, assert_same = _torch()
    xs = RNG.standard_normal(shape)
    w = RNG.standard_normal(shape[1:])

    def ours(x, w):
        if isinstance(out_dims[0], dict):
            return {"a": ad.sin(x) * w, "b": w * 2}, (w ** 2).sum()
        return ad.sin(x) * w, w * 2

    def theirs(x, w):
        if isinstance(out_dims[0], dict):
            return {"a": torch.sin(x) * w, "b": w * 2}, (w ** 2).sum()
        return torch.sin(x) * w, w * 2

    got = ad.vmap(ours, in_dims=(0, None), out_dims=out_dims)(xs, w)
    expected = torch.func.vmap(theirs, in_dims=(0, None), out_dims=out_dims)(T(xs), T(w))
    assert_same(got, expected)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_gradients_through_out_dims_none_and_chunks_match_torch(shape):
    torch, T, assert_same = _torch()
    xs = RNG.standard_normal(shape)
    w = RNG.standard_normal(shape[1:])

    def ours(w, xs):
        per_row, shared = ad.vmap(lambda x: (ad.exp(x * w), (w * w).sum()),
                                  out_dims=(-1, None))(xs)
        chunked = ad.vmap(lambda x: ad.sin(x) * w, chunk_size=2)(xs)
        return (per_row ** 2).sum() + shared + (chunked * xs).sum()

    def theirs(w, xs):
        # (torch 2.13 fails on chunk_size with an out_dims None: cat(dim=None))
        per_row, shared = torch.func.vmap(lambda x: (torch.exp(x * w), (w * w).sum()),
                                          out_dims=(-1, None))(xs)
        chunked = torch.func.vmap(lambda x: torch.sin(x) * w, chunk_size=2)(xs)
        return (per_row ** 2).sum() + shared + (chunked * xs).sum()

    assert_same(ad.grad(ours, argnums=(0, 1))(w, xs),
                torch.func.grad(theirs, argnums=(0, 1))(T(w), T(xs)))
    assert_same(ours(w, xs), theirs(T(w), T(xs)))


def test_out_dims_none_and_random_draws_raise_where_torch_raises():
    torch, T, _ = _torch()
    xs = RNG.standard_normal((3, 2))
    with pytest.raises(ValueError, match="out_dim"):
        torch.func.vmap(lambda x: x * 2, out_dims=None)(T(xs))
    with pytest.raises(ValueError, match="out_dims is None but that output depends"):
        ad.vmap(lambda x: x * 2, out_dims=None)(xs)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        torch.func.vmap(lambda x: torch.rand_like(x))(T(xs))
    with pytest.raises(RuntimeError, match="randomness 'error' mode"):
        ad.vmap(lambda x: ad.rand_like(x))(xs)
    with pytest.raises(RuntimeError, match="randomness"):
        torch.func.vmap(lambda x: x, randomness="shared")
    with pytest.raises(RuntimeError, match="randomness"):
        ad.vmap(lambda x: x, randomness="shared")
    with pytest.raises(ValueError, match="chunk_size"):
        torch.func.vmap(lambda x: x, chunk_size=0)
    with pytest.raises(ValueError, match="chunk_size"):
        ad.vmap(lambda x: x, chunk_size=0)


@pytest.mark.parametrize("randomness", ["same", "different"])
def test_randomness_modes_mean_what_they_mean_in_torch(randomness):
    torch, T, _ = _torch()
    xs = np.ones((4, 3))
    theirs = torch.func.vmap(lambda x: torch.rand_like(x), randomness=randomness)(T(xs))
    ours = ad.vmap(lambda x: ad.rand_like(x), randomness=randomness)(xs)
    assert ours.shape == tuple(theirs.shape)
    assert _rows_equal(ours) == _rows_equal(theirs.numpy()) == (randomness == "same")
