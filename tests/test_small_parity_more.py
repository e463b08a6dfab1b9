"""More PyTorch-parity pieces: ``ad.block_diag``, ``ad.get_num_threads`` /
``ad.set_num_threads``, ``create_graph=True`` in ``ad.autograd.functional``, and the
warning of ``ad.Tensor(n)`` (a number, where ``torch.Tensor(n)`` is n elements).
Checked against central differences in float64 and, where installed, against torch."""

from __future__ import annotations


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
