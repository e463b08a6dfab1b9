"""More PyTorch-parity pieces: ``ad.block_diag``, ``ad.get_num_threads`` /
``ad.set_num_threads``, ``create_graph=True`` in ``ad.autograd.functional``, and the
warning of ``ad.Tensor(n)`` (a number, where ``torch.Tensor(n)`` is n elements).
Checked against central differences in float64 and, where installed, against torch."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import autodiff as ad

R = np.random.default_rng(11)


# ----- block_diag ----------------------------------------------------------------------

BLOCK_CASES = [
    (np.array(2.0), np.array([1.0, 2.0]), np.array([[1.5], [2.0]])),
    (np.array(2), np.array([1, 2]), np.array([[1.5], [2.0]], np.float32)),
    (np.array([True]), np.array([3])),
    (np.array([1], np.int8), np.array(3.0, np.float16)),
    (np.array([1.0], np.float32), np.array(3.0)),
    (np.array([1]), np.array(3.0)),
    (np.array([1], np.uint8), np.array([3], np.int8)),
    (np.array([1]), np.array([3.0], np.float16)),
    (np.array([1], np.complex64), np.array([3.0])),
    (np.array([1]), np.array(3.0 + 1j, np.complex64)),
    (np.array([1.0], np.float32), np.array(3.0 + 1j)),
    (np.array([True]), np.array(2, np.uint8)),
    (np.empty((0, 3)), np.ones((2, 2))),
    (np.empty(0), np.ones((2, 2))),
    (np.array([[True, False]]),),
]


@pytest.mark.parametrize("blocks", BLOCK_CASES,
                         ids=lambda c: "-".join(f"{a.dtype}{a.shape}" for a in c))
def test_block_diag_matches_torch_values_shapes_and_dtypes(blocks):
    torch = pytest.importorskip("torch")
    ours = ad.block_diag(*[ad.tensor(b) for b in blocks])
    theirs = torch.block_diag(*[torch.from_numpy(b) for b in blocks])
    assert ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_block_diag_of_nothing_is_one_empty_row_as_in_torch():
    torch = pytest.importorskip("torch")
    ours = ad.block_diag()
    assert ours.shape == tuple(torch.block_diag().shape) == (1, 0)
    assert ours.dtype == ad.get_default_dtype()      # torch's default dtype, float32 there


def test_block_diag_gradients_match_torch_and_central_differences():
    torch = pytest.importorskip("torch")
    blocks = [R.normal(size=()), R.normal(size=3), R.normal(size=(2, 2)), R.normal(size=(3, 1))]
    weights = R.normal(size=(1 + 1 + 2 + 3, 3 + 2 + 1 + 1))
    ours = [ad.tensor(b, requires_grad=True) for b in blocks]
    theirs = [torch.tensor(b, requires_grad=True) for b in blocks]
    (ad.block_diag(*ours) * weights).sum().backward()
    (torch.block_diag(*theirs) * torch.from_numpy(weights)).sum().backward()
    for mine, expected in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad, expected.grad.numpy(), rtol=1e-12)

    def weighted(*ts):
        return (ad.block_diag(*ts) * weights).sum() ** 2
    assert ad.gradcheck(weighted, blocks)
    assert ad.gradgradcheck(weighted, blocks)


def test_block_diag_keeps_each_blocks_values_in_place_against_numpy():
    a, b = R.normal(size=(2, 3)), R.normal(size=4)
    out = ad.block_diag(ad.tensor(a), b).data
    assert out.shape == (3, 7)
    np.testing.assert_array_equal(out[:2, :3], a)
    np.testing.assert_array_equal(out[2, 3:], b)
    assert not out[:2, 3:].any() and not out[2, :3].any()


def test_block_diag_refuses_what_torch_refuses():
    with pytest.raises(RuntimeError, match=r"block_diag: .*2 or fewer dimensions; input 1 "
                                           r"has 3 dimensions \(shape \(1, 1, 1\)\)"):
        ad.block_diag(ad.ones(2), ad.ones((1, 1, 1)))
    with pytest.raises(TypeError, match="block_diag: expected a Tensor as argument 0, but "
                                        "got list"):
        ad.block_diag([ad.ones(2)])
    with pytest.raises(TypeError, match="argument 1, but got int"):
        ad.block_diag(ad.ones(2), 3)


# ----- get_num_threads / set_num_threads -----------------------------------------------

@pytest.fixture
def restored_threads():
    pytest.importorskip("threadpoolctl")
    before = ad.get_num_threads()
    yield
    ad.set_num_threads(before)


def test_set_num_threads_limits_the_blas_threads(restored_threads):
    from threadpoolctl import threadpool_info
    ad.set_num_threads(1)
    assert ad.get_num_threads() == 1
    assert all(info["num_threads"] == 1 for info in threadpool_info()
               if info["user_api"] == "blas")
    ad.set_num_threads(np.int64(2))              # a NumPy integer passes, as in torch
    assert ad.get_num_threads() == 2


def test_num_threads_read_back_as_torch_does(restored_threads):
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            ad.set_num_threads(n)
            assert ad.get_num_threads() == torch.get_num_threads() == n
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "2", None], ids=repr)
def test_set_num_threads_refuses_what_torch_refuses_with_its_message(bad):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as theirs:
        torch.set_num_threads(bad)
    expected = str(theirs.value)
    with pytest.raises(RuntimeError) as ours:
        ad.set_num_threads(bad)
    assert str(ours.value).startswith(expected)


def test_without_threadpoolctl_the_thread_functions_say_what_to_use(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)      # import fails
    for call in (ad.get_num_threads, lambda: ad.set_num_threads(1)):
        with pytest.raises(RuntimeError, match="threadpoolctl.*OMP_NUM_THREADS"):
            call()
    with pytest.raises(RuntimeError, match="positive integer"):  # checked first all the same
        ad.set_num_threads(0)
