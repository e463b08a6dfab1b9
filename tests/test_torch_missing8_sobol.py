"""ad.quasirandom.SobolEngine against torch.quasirandom.SobolEngine: the direction
numbers, and every point of draws interleaved with fast_forward / reset / draw_base2,
bit for bit, scrambled (with a seed) or not; plus the properties of the points."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.quasirandom import SobolEngine


def test_direction_numbers_are_pytorchs_for_every_shipped_dimension():
    torch = pytest.importorskip("torch")
    theirs = torch.quasirandom.SobolEngine(SobolEngine.MAXDIM).sobolstate.numpy()
    np.testing.assert_array_equal(SobolEngine(SobolEngine.MAXDIM).sobolstate, theirs)


def _same_walk(torch, ours, theirs, dtype):
    torch_dtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    steps = [("draw", 1), ("draw", 6), ("fast_forward", 5), ("draw", 13),
             ("draw_base2", 5), ("reset", None), ("draw", 3), ("fast_forward", 100),
             ("draw", 2), ("reset", None), ("fast_forward", 4), ("draw", 4)]
    for name, arg in steps:
        if name == "reset":
            ours.reset(), theirs.reset()
        elif name == "fast_forward":
            ours.fast_forward(arg), theirs.fast_forward(arg)
        else:
            if name == "draw_base2" and (ours.num_generated + 2 ** arg) & \
                    (ours.num_generated + 2 ** arg - 1):
                ours.reset(), theirs.reset()
            a = getattr(ours, name)(arg, dtype=dtype)
            b = getattr(theirs, name)(arg, dtype=torch_dtype)
            assert a.dtype == dtype and a.shape == tuple(b.shape)
            np.testing.assert_array_equal(a.data, b.numpy(), err_msg=f"{name}({arg})")
        assert ours.num_generated == theirs.num_generated
        np.testing.assert_array_equal(ours.quasi, theirs.quasi.numpy())


@pytest.mark.parametrize("dimension", [1, 2, 7, 300])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unscrambled_points_match_torch_exactly(dimension, dtype):
    torch = pytest.importorskip("torch")
    _same_walk(torch, SobolEngine(dimension), torch.quasirandom.SobolEngine(dimension), dtype)


@pytest.mark.parametrize("dimension, seed", [(1, 0), (3, 1234), (40, 2 ** 40 + 17),
                                             (1111, 7)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scrambled_points_match_torch_exactly_for_a_seed(dimension, seed, dtype):
    torch = pytest.importorskip("torch")
    ours = SobolEngine(dimension, scramble=True, seed=seed)
    theirs = torch.quasirandom.SobolEngine(dimension, scramble=True, seed=seed)
    np.testing.assert_array_equal(ours.sobolstate, theirs.sobolstate.numpy())
    np.testing.assert_array_equal(ours.shift, theirs.shift.numpy())
    # PyTorch divides out the first point in its default dtype when the engine is made;
    # the default here is float64.
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        theirs = torch.quasirandom.SobolEngine(dimension, scramble=True, seed=seed)
    finally:
        torch.set_default_dtype(previous)
    _same_walk(torch, ours, theirs, dtype)


def test_default_dtype_is_the_libraries_and_repr_is_pytorchs():
    torch = pytest.importorskip("torch")
    assert SobolEngine(3).draw(2).dtype == ad.get_default_dtype()
    for args in [(3,), (3, True), (3, True, 5), (3, False, 5)]:
        assert repr(SobolEngine(*args)) == repr(torch.quasirandom.SobolEngine(*args))


@pytest.mark.parametrize("scramble", [False, True])
def test_every_power_of_two_block_stratifies_each_coordinate(scramble):
    engine = SobolEngine(16, scramble=scramble, seed=3)
    points = engine.draw_base2(8).data
    assert points.min() >= 0 and points.max() < 1
    for m in range(1, 9):
        block = points[: 2 ** m]
        cells = np.floor(block * 2 ** m).astype(int)
        for column in cells.T:
            np.testing.assert_array_equal(np.sort(column), np.arange(2 ** m))


def test_scrambling_is_deterministic_per_seed_and_differs_across_seeds():
    a = SobolEngine(5, scramble=True, seed=11).draw(16).data
    b = SobolEngine(5, scramble=True, seed=11).draw(16).data
    c = SobolEngine(5, scramble=True, seed=12).draw(16).data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    ad.manual_seed(4)
    d = SobolEngine(5, scramble=True).draw(16).data
    ad.manual_seed(4)
    e = SobolEngine(5, scramble=True).draw(16).data
    np.testing.assert_array_equal(d, e)


def test_draw_into_out():
    out = ad.zeros(4, 2)
    result = SobolEngine(2).draw(4, out=out)
    assert result is out
    np.testing.assert_array_equal(out.data, SobolEngine(2).draw(4).data)
    with pytest.raises(ValueError, match=r"SobolEngine.draw: out= must be .* \(3, 2\)"):
        SobolEngine(2).draw(3, out=ad.zeros(4, 2))


def test_refusals_name_the_limits():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match=r"SobolEngine: dimension must be in \[1, 1111\]"):
        SobolEngine(1112)
    with pytest.raises(ValueError, match=r"dimension must be in \[1, 1111\], got 0"):
        SobolEngine(0)
    with pytest.raises(ValueError):
        torch.quasirandom.SobolEngine(0)
    ours, theirs = SobolEngine(2), torch.quasirandom.SobolEngine(2)
    ours.draw(3), theirs.draw(3)
    with pytest.raises(ValueError) as torch_error:
        theirs.draw_base2(2)
    with pytest.raises(ValueError) as our_error:
        ours.draw_base2(2)
    assert str(torch_error.value) in str(our_error.value)
    with pytest.raises(TypeError, match="float32 or float64"):
        SobolEngine(2).draw(2, dtype=np.int64)
    with pytest.raises(ValueError, match="2\\*\\*30 points"):
        SobolEngine(2).fast_forward(2 ** 30 + 1)
