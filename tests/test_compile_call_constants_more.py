"""More constants a compiled function makes with NumPy from Python numbers and shapes:
window functions (``np.hanning(n)``), index arrays (``np.triu_indices(n, 1)``, a
tuple), sizes read as ``t.size`` (fixed by the signature), and indices that
``np.take(..., mode="wrap")`` brings into range, computed again at each replay."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile.refusals import TraceError


def windowed_power(w, x):
    n = x[0].size                              # a Size: the signature fixes it
    return ((x @ w) * np.hanning(n) * np.kaiser(n, 2.0)).sum() ** 2


def upper_triangle(w, x):
    a = x.reshape(3, 3) @ w
    rows, cols = np.triu_indices(3, 1)
    return (a[np.triu_indices(3, 1)] ** 2).sum() + (a[rows, cols] * a[cols, rows]).sum()


def ranked_by_position(w, x):
    h = x @ w
    return (h * np.arange(h[0].size)).sum() + (h[:, np.tril_indices(3)[1]] ** 2).mean()


def ring_of_neighbours(w, x):
    h = (x @ w).ravel()
    n = h.size
    left = np.take(h, np.arange(n) - 1, mode="wrap")
    right = np.take(h, np.arange(n) + 1, mode="wrap")
    ends = np.take(h, [-1, n, 2], mode="clip")
    return ((left - right) ** 2).sum() + (ends ** 3).sum()


def index_tricks_and_lists(w, x):
    h = x @ w
    steps = np.r_[0.5, 1:3]                     # index tricks of Python numbers
    pairs = np.c_[np.ones(3), np.arange(3.0)]
    rows, cols = np.mgrid[0:3, 0:3]
    grid = np.ogrid[0:3, 0:3]
    scaled = h @ np.diag([1.0, 2.0, 3.0]) + np.triu([[1.0, 2.0, 3.0]] * 3, 1)
    gx, gy = np.meshgrid([0.0, 0.5, 1.0], [1.0, 2.0, 3.0])
    blocks = np.concatenate([[1.0], [2.0, 3.0]]) * np.stack([[1.0, 0.5, 0.25]] * 3)
    return ((scaled * steps + pairs.sum(1)) ** 2).sum() + (h * (rows - cols + grid[0] + grid[1])
                                                       * gx * gy * blocks).sum()


def _polynomial_basis(n, degree):
    """A helper of this module: its NumPy is the compiled function's module's."""
    return np.vander(np.linspace(-1.0, 1.0, n), degree, increasing=True)


def from_a_helper(w, x):
    h = x @ w
    coefficients = np.array([float(k) / len(h) for k in range(len(h))])
    return ((h @ _polynomial_basis(len(h), 3)) * coefficients[:, np.newaxis]).sum() ** 2


PROGRAMS = [windowed_power, upper_triangle, ranked_by_position, ring_of_neighbours,
            index_tricks_and_lists, from_a_helper]
W0 = np.array([[0.5, -1.0, 0.25], [1.5, 0.75, -0.5], [-0.25, 2.0, 1.0]])


def _step(program, w):
    opt = ad.optim.SGD([w], lr=0.01)

    def step(x):
        opt.zero_grad()
        loss = program(w, x)
        loss.backward()
        opt.step()
        return loss
    return step


@pytest.mark.parametrize("fuse", [False, True], ids=["unfused", "fused"])
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_compiled_equals_eager_bitwise_over_calls_with_new_data(program, fuse):
    w_eager = ad.tensor(W0.copy(), requires_grad=True)
    w_compiled = ad.tensor(W0.copy(), requires_grad=True)
    eager = _step(program, w_eager)
    compiled = ad.compile(_step(program, w_compiled), fuse=fuse)
    rng = np.random.default_rng(3)
    for _ in range(3):
        x = rng.normal(size=(3, 3))
        expected = eager(ad.tensor(x))
        got = compiled(x)
        np.testing.assert_array_equal(got.data, expected.data)
        np.testing.assert_array_equal(w_compiled.grad, w_eager.grad)
        np.testing.assert_array_equal(w_compiled.data, w_eager.data)


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_compiled_gradient_matches_central_differences(program):
    w = ad.tensor(W0.copy(), requires_grad=True)

    @ad.compile
    def gradient(x):
        w.grad = None
        program(w, x).backward()

    rng = np.random.default_rng(4)
    gradient(rng.normal(size=(3, 3)))                # the trace
    x = rng.normal(size=(3, 3))
    gradient(x)                                      # a replay
    numerical = np.zeros_like(W0)
    for i in np.ndindex(W0.shape):
        step = np.zeros_like(W0)
        step[i] = 1e-6
        numerical[i] = (program(ad.tensor(W0 + step), ad.tensor(x)).item()
                        - program(ad.tensor(W0 - step), ad.tensor(x)).item()) / 2e-6
    np.testing.assert_allclose(w.grad, numerical, rtol=1e-6, atol=1e-8)


def test_wrapped_indices_given_in_the_call_are_wrapped_again_at_each_replay():
    w = ad.tensor(np.linspace(-1.0, 1.0, 5), requires_grad=True)

    @ad.compile
    def gather(indices):
        w.grad = None
        picked = np.take(w, indices, mode="wrap")
        (picked * np.arange(1.0, 4.0)).sum().backward()
        return picked

    rng = np.random.default_rng(5)
    for _ in range(3):
        indices = rng.integers(-12, 12, size=3)
        got = gather(indices)
        np.testing.assert_array_equal(got.data, np.take(w.data, indices, mode="wrap"))
        expected_grad = np.zeros(5)
        np.add.at(expected_grad, np.mod(indices, 5), np.arange(1.0, 4.0))
        np.testing.assert_array_equal(w.grad, expected_grad)


def test_take_with_wrap_gives_pytorchs_gather_of_the_wrapped_indices():
    torch = pytest.importorskip("torch")
    p = np.linspace(-1.0, 2.0, 7)
    indices = np.arange(-3, 10)
    t = ad.tensor(p, requires_grad=True)
    (np.take(t, indices, mode="wrap") ** 3).sum().backward()
    tt = torch.tensor(p, requires_grad=True)
    (tt[torch.remainder(torch.tensor(indices), 7)] ** 3).sum().backward()
    np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-15)


@pytest.mark.parametrize("make", [
    lambda x: np.triu_indices(np.argmax(x.data[:, 0] < 10) + 3, 1),
    lambda x: np.hanning(x.data.shape[0] + np.int64(x.data.argmax() * 0)),
    lambda x: np.r_[x.data[0, 0], 1.0:3.0],
    lambda x: np.diag(x.data)[0],
    lambda x: np.stack([[1.0, 2.0, 3.0], x.data[0]])[1],
], ids=["triu_indices", "hanning", "r_", "diag", "stack"])
def test_made_from_a_numpy_scalar_of_the_values_stays_refused(make):
    w = ad.tensor(W0.copy(), requires_grad=True)

    @ad.compile
    def step(x):
        made = make(x)
        h = x @ w
        picked = h[made] if isinstance(made, tuple) else h[0] * made
        return picked.sum()

    with pytest.raises(TraceError, match="made during the call outside the library"):
        step(np.ones((3, 3)))
