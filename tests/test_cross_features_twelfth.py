"""The eleventh round's features (repeated-index writes, ``ufunc.reduceat``,
``Tensor.put(accumulate=True)``, ``np.linalg.eig`` / ``eigvals`` / ``np.roots``) in
``ad.compile``: a plan replays them as eager execution computes them, and what a plan
cannot follow (a result whose dtype or length the values decide, indices read from a
traced tensor) raises naming the op and the line."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile.refusals import TraceError

RNG = np.random.default_rng(1212)
X = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])


def _assert_replays_as_eager(fn, *argument_sets):
    """``ad.compile(fn)`` traced on the first set, replayed on the others: the same
    values (no op is fused across these steps, so bit for bit)."""
    compiled = ad.compile(fn)
    for arguments in argument_sets:
        expected = fn(*(ad.tensor(a) for a in arguments))
        got = compiled(*(ad.tensor(a) for a in arguments))
        np.testing.assert_array_equal(np.asarray(got.data), np.asarray(expected.data))


# ----- index lists written in the function ------------------------------------------------

def test_a_repeated_index_write_with_a_list_replays_last_wins():
    # the list became an array made in the call, refused as 'made outside the library'
    def write(t, v):
        y = t * 1
        y[[0, 0, 1]] = v
        return y
    _assert_replays_as_eager(write, (X[:4], [10.0, 20.0, 30.0]),
                             (X[:4] + 1, [11.0, 21.0, 31.0]), (-X[:4], [0.5, -1.0, 2.0]))
    compiled = ad.compile(write)
    compiled(ad.tensor(X[:4]), ad.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(compiled(ad.tensor(X[:4]), ad.tensor([1.0, 2.0, 3.0])).data,
                                  [2.0, 3.0, 3.0, 4.0])          # NumPy's last write wins


@pytest.mark.parametrize("gather", ["getitem", "take", "np.take"])
def test_a_list_index_gathers_in_a_compiled_function(gather):
    pick = {"getitem": lambda t: t[[0, 2, 2]],
            "take": lambda t: ad.take(t, [0, 2, 2]),
            "np.take": lambda t: np.take(t, [0, 2, 2])}[gather]
    _assert_replays_as_eager(lambda t: pick(t) * ad.tensor([1.0, 2.0, 3.0]),
                             (X[:4],), (X[4:],), (-X[:4],))


def test_a_compiled_training_step_through_a_repeated_index_write():
    def make():
        w = ad.nn.Parameter(np.array([0.5, -1.0, 2.0]))
        opt = ad.optim.SGD([w], lr=0.1)

        def step(x):
            opt.zero_grad()
            y = x * 1
            y[[0, 0, 1]] = w * x[:3]
            loss = (y * y).sum()
            loss.backward()
            opt.step()
            return loss
        return step, w

    eager, w_eager = make()
    compiled, w_compiled = make()
    compiled = ad.compile(compiled)
    for i in range(4):
        x = X[:4] * (1 + i / 4)
        np.testing.assert_array_equal(compiled(ad.tensor(x)).data, eager(ad.tensor(x)).data)
        np.testing.assert_array_equal(w_compiled.data, w_eager.data)
    # the overwritten w[0] gets no gradient: it never reaches the loss
    assert w_eager.data[0] == 0.5


def test_put_accumulate_with_a_list_index_replays():
    # put computed np.where(index < 0, ...) on the index: an array made in the call
    _assert_replays_as_eager(lambda t, s: t.put([0, 0, 4], s, accumulate=True),
                             (X[:6].reshape(2, 3), [10.0, 20.0, 30.0]),
                             (X[2:].reshape(2, 3), [1.0, 2.0, 3.0]))
    _assert_replays_as_eager(lambda t, s: t.put([-1, 0], s, accumulate=True),
                             (X[:6].reshape(2, 3), [10.0, 20.0]),
                             (X[2:].reshape(2, 3), [1.0, 2.0]))


@pytest.mark.parametrize("accumulate", [True, False])
def test_put_with_an_index_argument_checks_each_replays_indices(accumulate):
    # a replay skipped the eager checks: put without accumulate wrote a repeated
    # position silently (last wins), and an index out of range met NumPy's message
    compiled = ad.compile(lambda t, i, s: t.put(i, s, accumulate=accumulate))
    x, source = ad.tensor(X[:6].reshape(2, 3)), ad.tensor([10.0, 20.0])
    for index in ([0, 1], [-1, 0], [5, -6]):
        np.testing.assert_array_equal(
            compiled(x, ad.tensor(index), source).data,
            x.put(ad.tensor(index), source, accumulate=accumulate).data)
    if not accumulate:
        with pytest.raises(ValueError, match="put_: the indices write some position more"):
            compiled(x, ad.tensor([4, -2]), source)
    with pytest.raises(IndexError, match=r"put_: an index is out of range .* \[-6, 6\)"):
        compiled(x, ad.tensor([0, 6]), source)


@pytest.mark.parametrize("write", ["index_put", "index_copy", "scatter", "scatter_"])
def test_pytorchs_index_writes_refuse_a_repeated_index_at_every_replay(write):
    # index_put and index_copy replays wrote a repeated position silently; scatter in
    # a compiled function was refused as an array 'made outside the library'
    source = ad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    fn = {"index_put": lambda t, i: t.index_put((i[0, :2],), source),
          "index_copy": lambda t, i: t.index_copy(0, i[0, :2], source),
          "scatter": lambda t, i: t.scatter(0, i, source),
          "scatter_": lambda t, i: t.clone().scatter_(0, i, source)}[write]
    compiled = ad.compile(fn)
    x = ad.tensor(np.zeros((2, 3)))
    for index in ([[0, 1, 0], [1, 0, 1]], [[1, 0, 1], [0, 1, 0]]):
        np.testing.assert_array_equal(compiled(x, ad.tensor(index)).data,
                                      fn(x, ad.tensor(index)).data)
    repeated = ad.tensor([[1, 1, 0], [1, 0, 1]] if write.startswith("scatter")
                         else [[1, 1, 0], [0, 0, 1]])
    with pytest.raises(ValueError, match="more than once"):
        compiled(x, repeated)


def test_index_put_with_a_list_of_numbers_compiles():
    compiled = ad.compile(lambda t, v: t.index_put(([0, 2],), v))
    for start, values in ((np.zeros(3), [1.0, 2.0]), (np.ones(3), [3.0, 4.0])):
        np.testing.assert_array_equal(compiled(ad.tensor(start), ad.tensor(values)).data,
                                      [values[0], start[1], values[1]])


# ----- reduceat ---------------------------------------------------------------------------

REDUCEAT_UFUNCS = [np.add, np.subtract, np.multiply, np.divide, np.maximum, np.minimum]
CAPTURED_INDICES = np.array([0, 3, 3, 5, 2])


@pytest.mark.parametrize("ufunc", REDUCEAT_UFUNCS, ids=lambda u: u.__name__)
@pytest.mark.parametrize("indices", [[0, 3, 3, 5, 2], CAPTURED_INDICES,
                                     CAPTURED_INDICES.astype(np.int32)],
                         ids=["list", "captured", "int32"])
def test_reduceat_with_fixed_indices_replays_each_ufunc(ufunc, indices):
    # np.add.reduceat was refused (its indices were copied as intp in the call); the
    # other ufuncs were not
    weights = np.arange(1.0, 6.0)
    _assert_replays_as_eager(lambda t: ufunc.reduceat(t, indices) * weights,
                             (X,), (X[::-1] / 3,), (X * X,))


@pytest.mark.parametrize("ufunc", REDUCEAT_UFUNCS, ids=lambda u: u.__name__)
def test_reduceat_gradients_in_a_compiled_step_equal_eager(ufunc):
    indices = [0, 3, 3, 5, 2]

    def step(x, w):
        loss = (ufunc.reduceat(x * w, indices) ** 2).sum()
        loss.backward()
        return loss
    w_eager = ad.tensor(RNG.uniform(0.5, 2.0, 8), requires_grad=True)
    w_compiled = ad.tensor(w_eager.data.copy(), requires_grad=True)
    compiled = ad.compile(lambda x: step(x, w_compiled))
    for i in range(3):
        x = ad.tensor(X / (i + 1))
        w_eager.grad = w_compiled.grad = None
        np.testing.assert_allclose(compiled(x).data, step(x, w_eager).data, rtol=1e-14)
        # (the traced backward may add the segment gradients in another order)
        np.testing.assert_allclose(w_compiled.grad, w_eager.grad, rtol=1e-14)


@pytest.mark.parametrize("ufunc", REDUCEAT_UFUNCS, ids=lambda u: u.__name__)
@pytest.mark.parametrize("how", ["argument", "computed"])
def test_reduceat_indices_from_a_traced_tensor_are_refused_naming_the_ufunc(ufunc, how):
    # add.reduceat's refusal said the indices were made 'outside the library'
    if how == "argument":
        fn, args = (lambda t, i: ufunc.reduceat(t, i)), (ad.tensor(X), ad.tensor([0, 3]))
    else:
        fn, args = (lambda t: ufunc.reduceat(t, (t > 4).astype(np.int64)[:2])), (ad.tensor(X),)
    with pytest.raises(TraceError, match=rf"(?s){ufunc.__name__}\.reduceat at "
                       r"test_cross_features_twelfth.py:\d+.*values of its indices"):
        ad.compile(fn)(*args)


# ----- eig, eigvals and roots --------------------------------------------------------------

REAL_SPECTRUM = np.array([[2.0, 1.0], [1.0, 3.0]])
ROTATION = np.array([[0.0, -1.0], [1.0, 0.0]])       # eigenvalues +-i


def _squared_moduli(a):
    w = np.linalg.eigvals(a)
    return (w * w).real.sum()


def test_eigvals_replays_while_the_kind_holds_and_raises_when_it_changes():
    # a real trace replayed on a matrix with complex eigenvalues crashed in a fused
    # kernel (Numba's setitem of complex128 into a float64 buffer)
    compiled = ad.compile(_squared_moduli)
    for a in (REAL_SPECTRUM, REAL_SPECTRUM + 1, np.diag([1.0, -4.0])):
        np.testing.assert_allclose(compiled(ad.tensor(a)).data,
                                   _squared_moduli(ad.tensor(a)).data, rtol=1e-14)
    with pytest.raises(RuntimeError, match=r"(?s)'eigvals' at test_cross_features_twelfth"
                       r".py:\d+ gave an array of shape and dtype \(2,\) complex128 at this "
                       r"call but \(2,\) float64 when traced.*astype\(np.complex128\)"):
        compiled(ad.tensor(ROTATION))
    # the plan stays usable for calls that fit it
    np.testing.assert_allclose(compiled(ad.tensor(REAL_SPECTRUM)).data, 15.0, rtol=1e-14)


def test_eig_of_a_complex_matrix_replays_across_real_and_complex_spectra():
    x = ad.tensor(REAL_SPECTRUM, requires_grad=True)

    def step(a):
        w, v = np.linalg.eig((a @ x).astype(np.complex128))
        loss = (np.abs(w) ** 2).sum() + (np.abs(v[0]) ** 2 * np.array([1.0, 2.0])).sum()
        loss.backward()
        return loss

    compiled = ad.compile(step)
    for a in (np.eye(2), ROTATION, np.array([[1.0, 2.0], [-3.0, 0.5]])):
        x.grad = None
        got, got_grad = compiled(ad.tensor(a)).data, x.grad.copy()
        x.grad = None
        np.testing.assert_allclose(got, step(ad.tensor(a)).data, rtol=1e-13)
        np.testing.assert_allclose(got_grad, x.grad, rtol=1e-12, atol=1e-14)
        assert got_grad.dtype == np.float64


@pytest.mark.parametrize("coefficients, now", [
    ([0.0, 1.0, -2.0], r"\(1,\) float64"),       # a leading zero: one root fewer
    ([1.0, 0.0, 1.0], r"\(2,\) complex128"),     # complex roots
])
def test_roots_raise_at_a_replay_with_another_count_or_kind(coefficients, now):
    compiled = ad.compile(lambda p: np.roots(p) * 2)
    np.testing.assert_array_equal(compiled(ad.tensor([1.0, -3.0, 2.0])).data, [4.0, 2.0])
    np.testing.assert_array_equal(compiled(ad.tensor([1.0, -5.0, 6.0])).data,
                                  np.roots([1.0, -5.0, 6.0]) * 2)
    with pytest.raises(RuntimeError, match=rf"(?s)'roots' at .* {now} at this call but "
                       r"\(2,\) float64 when traced.*companion matrix"):
        compiled(ad.tensor(coefficients))
