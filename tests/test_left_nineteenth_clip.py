"""``clip_grad_norm_`` and ``get_total_norm`` against PyTorch: float16 gradients' norms
are float16 (inf past 65504), and an empty parameter list gives 0, as PyTorch 2.13's."""

import math
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.nn.utils import clip_grad_norm_, get_total_norm

FLOAT16_CASES = [
    [np.full(4, 300.0)], [np.full(4, 60000.0)], [np.full(2, 40000.0), np.full(2, 40000.0)],
    [np.linspace(-900.0, 900.0, 7), np.full(3, 2.0)],
]


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("case", range(len(FLOAT16_CASES)))
def test_total_norm_of_float16_arrays_as_pytorch(case, norm_type):
    torch = pytest.importorskip("torch")
    arrays = [a.astype(np.float16) for a in FLOAT16_CASES[case]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # (no NumPy overflow warning)
        total = get_total_norm(arrays, norm_type=norm_type)
    expected = torch.nn.utils.get_total_norm([torch.tensor(a) for a in arrays],
                                             norm_type=norm_type)
    assert total.dtype == np.float16
    # float16: rounding of PyTorch's float32 sums may differ in the last place
    np.testing.assert_allclose(total.numpy().astype(np.float64),
                               expected.numpy().astype(np.float64), rtol=2e-3)


def test_total_norm_of_float32_and_overflowing_float16_is_inf_as_pytorch():
    torch = pytest.importorskip("torch")
    arrays = [np.full(4, 300.0, np.float32), np.full(4, 60000.0, np.float16)]
    expected = torch.nn.utils.get_total_norm([torch.tensor(a) for a in arrays])
    total = get_total_norm(arrays)
    assert math.isinf(expected.item()) and math.isinf(total.item())
    assert total.dtype == np.float32


def test_clip_of_float16_gradients_past_65504_zeroes_them_as_pytorch():
    torch = pytest.importorskip("torch")
    p = ad.nn.Parameter(np.ones(2, np.float16))
    p.grad = np.full(2, 60000.0, np.float16)
    reference = torch.nn.Parameter(torch.ones(2, dtype=torch.float16))
    reference.grad = torch.full((2,), 60000.0, dtype=torch.float16)
    with pytest.warns(RuntimeWarning, match=r"float16 one is past 65504"):
        total = clip_grad_norm_([p], 1.0)
    expected = torch.nn.utils.clip_grad_norm_([reference], 1.0)
    assert math.isinf(total.item()) and math.isinf(expected.item())
    np.testing.assert_array_equal(p.grad, reference.grad.numpy())
    p.grad = np.full(2, 60000.0, np.float16)
    with pytest.raises(RuntimeError, match=r"float16 one is past 65504"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_clip_of_float16_gradients_below_the_limit_as_pytorch():
    torch = pytest.importorskip("torch")
    grad = np.array([300.0, -400.0], np.float16)
    p = ad.nn.Parameter(np.ones(2, np.float16))
    p.grad = grad.copy()
    reference = torch.nn.Parameter(torch.ones(2, dtype=torch.float16))
    reference.grad = torch.tensor(grad)
    total = clip_grad_norm_([p], 1.0)
    expected = torch.nn.utils.clip_grad_norm_([reference], 1.0)
    assert total.item() == expected.item() == 500.0
    np.testing.assert_allclose(p.grad.astype(np.float64),
                               reference.grad.numpy().astype(np.float64), rtol=1e-3)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
@pytest.mark.parametrize("error_if_nonfinite", [False, True])
def test_empty_parameters_give_zero_as_pytorch(norm_type, error_if_nonfinite):
    torch = pytest.importorskip("torch")
    expected = torch.nn.utils.clip_grad_norm_([], 1.0, norm_type=norm_type,
                                              error_if_nonfinite=error_if_nonfinite)
    total = clip_grad_norm_([], 1.0, norm_type=norm_type,
                            error_if_nonfinite=error_if_nonfinite)
    assert total.item() == expected.item() == 0.0
    without_grads = ad.nn.Parameter(np.ones(2))
    assert clip_grad_norm_([without_grads], 1.0, norm_type=norm_type).item() == 0.0
    assert get_total_norm([], norm_type=norm_type,
                          error_if_nonfinite=error_if_nonfinite).item() == 0.0
