"""PyTorch's top-level names on ``ad`` (torch_names.py)."""

import numpy as np
import pytest

import autodiff as ad


def test_cat_and_bmm_record_and_check_shapes():
    x = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    ad.cat([x, 2 * x], dim=1).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 3.0))
    a, b = np.ones((4, 2, 3)), np.ones((4, 3, 5))
    np.testing.assert_array_equal(ad.bmm(a, b).data, a @ b)
    with pytest.raises(ValueError, match=r"bmm: needs \(b, n, m\) and \(b, m, p\)"):
        ad.bmm(a, np.ones((1, 3, 5)))           # no broadcasting, as torch.bmm


def test_clamp_is_tensor_clamp():
    np.testing.assert_array_equal(ad.clamp([-1.0, 0.5, 2.0], min=0.0).data, [0.0, 0.5, 2.0])


def test_set_grad_enabled_as_call_block_and_decorator():
    w = ad.tensor([1.0], requires_grad=True)
    try:
        ad.set_grad_enabled(False)
        assert not ad.is_grad_enabled() and not (w * 2).requires_grad
    finally:
        ad.set_grad_enabled(True)
    with ad.set_grad_enabled(False):
        assert not (w * 2).requires_grad
    assert ad.is_grad_enabled()

    @ad.set_grad_enabled(False)
    def doubled(x):
        return x * 2

    assert ad.is_grad_enabled()             # decorating does not change the mode
    assert not doubled(w).requires_grad and ad.is_grad_enabled()
    with pytest.raises(TypeError, match="mode must be True or False"):
        ad.set_grad_enabled("no")


def test_inference_mode_and_manual_seed():
    with ad.inference_mode():
        assert not (ad.tensor([1.0], requires_grad=True) * 2).requires_grad
    ad.manual_seed(7)
    first = (ad.randn(3).data, ad.nn.Linear(2, 2).weight.data)
    ad.manual_seed(7)
    np.testing.assert_array_equal(ad.randn(3).data, first[0])
    np.testing.assert_array_equal(ad.nn.Linear(2, 2).weight.data, first[1])


def test_from_numpy_as_tensor_allclose_isclose_and_dtypes():
    a = np.arange(3.0)
    assert ad.from_numpy(a).data is a
    with pytest.raises(TypeError, match="expected an np.ndarray"):
        ad.from_numpy([1.0])
    t = ad.tensor(a)
    assert ad.as_tensor(t) is t and ad.as_tensor(a).data is a
    assert ad.as_tensor(t, dtype=ad.float32).dtype == np.float32
    assert ad.allclose(t, a + 1e-9) and not ad.allclose(t, a + 1e-3)
    np.testing.assert_array_equal(ad.isclose(t, [0.0, 1.5, 2.0]).data, [True, False, True])
    assert ad.float64 is np.float64 and ad.int64 is np.int64
