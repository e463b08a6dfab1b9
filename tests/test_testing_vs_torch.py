"""ad.testing (assert_close, make_tensor) against torch.testing: the same verdicts and
messages, and draws of the dtype, shape and range asked for."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")

A = np.array([[1.0, 2.0], [3.0, 4.0]])
B = np.array([[1.0, 2.0], [3.5, 4.0]])


def _convert(value, lib):
    if isinstance(value, np.ndarray):
        return ad.tensor(value) if lib is ad else torch.tensor(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_convert(v, lib) for v in value)
    if isinstance(value, dict):
        return {k: _convert(v, lib) for k, v in value.items()}
    return value


def _verdict(lib, actual, expected, **kwargs):
    try:
        lib.testing.assert_close(_convert(actual, lib), _convert(expected, lib), **kwargs)
    except (AssertionError, ValueError, TypeError) as error:
        return type(error).__name__, str(error)
    return "close", ""


CASES = {
    "equal": (A, A.copy(), {}),
    "one_off": (B, A, {}),
    "tolerances": (B, A, {"rtol": 0.2, "atol": 0.0}),
    "within_float64": (A, A + 1e-9, {}),
    "float32": (A.astype(np.float32), (A + 1e-4).astype(np.float32), {}),
    "dtypes": (A, A.astype(np.float32), {}),
    "dtypes_unchecked": (A, A.astype(np.float32), {"check_dtype": False}),
    "shapes": (A[0], A.ravel(), {}),
    "integers": (np.array([1, 2]), np.array([1, 3]), {}),
    "nan": (np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), {}),
    "nan_equal": (np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), {"equal_nan": True}),
    "infinities": (np.array([np.inf, -np.inf]), np.array([np.inf, -np.inf]), {}),
    "zero_d": (np.array(1.0), np.array(2.0), {}),
    "numbers": (1.0, 2.0, {}),
    "numbers_close": (1.0, 1.0 + 1e-9, {}),
    "list": ([A, B], [A, A], {}),
    "nested": ({"w": [A, (B,)]}, {"w": [A, (A,)]}, {}),
    "lengths": ([A], [A, A], {}),
    "message": (B, A, {"msg": "custom"}),
    "message_function": (B, A, {"msg": lambda generated: generated.upper()}),
    "half_tolerance": (B, A, {"rtol": 0.2}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_assert_close_gives_torchs_verdict_and_message(name):
    actual, expected, kwargs = CASES[name]
    ours, theirs = _verdict(ad, actual, expected, **kwargs), _verdict(torch, actual,
                                                                      expected, **kwargs)
    assert ours[0] == theirs[0]
    if ours[0] != "close":
        # dtypes print as NumPy's names here (float64, not torch.float64), and the
        # shapes as autodiff.Size
        assert ours[1] == theirs[1].replace("torch.float", "float").replace(
            "torch.Size", "autodiff.Size")


def test_assert_close_refuses_a_tensor_against_a_list_as_torch():
    with pytest.raises(TypeError, match="No comparison pair"):
        torch.testing.assert_close(torch.ones(1), [1.0])
    with pytest.raises(TypeError, match="No comparison pair"):
        ad.testing.assert_close(ad.ones(1), [1.0])


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "uint8", "bool"])
def test_make_tensor_draws_the_dtype_and_range_of_torchs(dtype):
    ours = ad.testing.make_tensor(50, 4, dtype=np.dtype(dtype), device="cpu")
    theirs = torch.testing.make_tensor(50, 4, dtype=getattr(torch, dtype), device="cpu")
    assert ours.shape == tuple(theirs.shape) and ours.dtype == np.dtype(dtype)
    if dtype != "bool":
        assert ours.data.min() >= theirs.min().item() - 1
        low, high = (0, 10) if dtype == "uint8" else (-9, 10 if "int" in dtype else 9)
        assert low <= ours.data.min() and ours.data.max() <= high
    bounded = ad.testing.make_tensor((3,), dtype=np.dtype(dtype), device="cpu", low=1, high=3)
    if dtype != "bool":
        assert ((bounded.data >= 1) & (bounded.data <= 3)).all()
    with pytest.raises(TypeError):
        ad.testing.make_tensor(3, dtype=np.dtype(dtype))         # device= is required


def test_make_tensor_refuses_an_empty_range_as_torch():
    with pytest.raises(ValueError, match="`low` must be less than `high`"):
        torch.testing.make_tensor(3, dtype=torch.float64, device="cpu", low=5, high=1)
    with pytest.raises(ValueError, match="`low` must be less than `high`"):
        ad.testing.make_tensor(3, dtype=ad.float64, device="cpu", low=5, high=1)
    x = ad.testing.make_tensor(3, dtype=ad.float64, device="cpu", requires_grad=True,
                               noncontiguous=True)
    assert x.requires_grad and not x.is_contiguous()


def test_make_tensor_draws_anew_in_each_compiled_replay():
    shifted = ad.compile(lambda x: x + ad.testing.make_tensor(4, dtype=ad.float64,
                                                              device="cpu"))
    draws = [shifted(ad.zeros(4)).tolist() for _ in range(3)]
    assert draws[0] != draws[1] != draws[2]
    ad.manual_seed(3)
    first = shifted(ad.zeros(4)).tolist()
    ad.manual_seed(3)
    assert shifted(ad.zeros(4)).tolist() == first
