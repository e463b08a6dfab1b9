"""ad.nn.utils: clip_grad_norm_ and clip_grad_value_ against their formulas."""

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn

RNG = np.random.default_rng(5)


def params_with_grads(*grads):
    params = [nn.Parameter(np.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = np.array(g, dtype=np.float64)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
def test_clip_grad_norm_scales_all_gradients_together(norm_type):
    g1, g2 = RNG.standard_normal((3, 4)), RNG.standard_normal(5)
    every = np.concatenate([g1.ravel(), g2])
    total = (np.max(np.abs(every)) if norm_type == float("inf")
             else np.sum(np.abs(every) ** norm_type) ** (1 / norm_type))
    params = params_with_grads(g1, g2)
    returned = ad.nn.utils.clip_grad_norm_(params, 0.5, norm_type=norm_type)
    assert isinstance(returned, ad.Tensor) and returned.shape == ()
    np.testing.assert_allclose(float(returned), total, rtol=1e-13)
    scale = 0.5 / (total + 1e-6)
    np.testing.assert_allclose(params[0].grad, g1 * scale, rtol=1e-13)
    np.testing.assert_allclose(params[1].grad, g2 * scale, rtol=1e-13)


def test_clip_grad_norm_leaves_small_gradients_and_skips_missing_ones():
    p, q = params_with_grads(np.array([0.3, -0.4]))[0], nn.Parameter([1.0])
    grad_array = p.grad
    norm = ad.nn.utils.clip_grad_norm_([p, q], max_norm=10.0)
    assert float(norm) == pytest.approx(0.5)
    assert p.grad is grad_array                        # in place
    np.testing.assert_array_equal(p.grad, [0.3, -0.4])
    assert q.grad is None
    assert float(ad.nn.utils.clip_grad_norm_([q], 1.0)) == 0.0
    single = params_with_grads(np.array([6.0, 8.0]))[0]
    ad.nn.utils.clip_grad_norm_(single, 1.0)          # a single Tensor is accepted
    np.testing.assert_allclose(single.grad, [0.6, 0.8], rtol=1e-5)


def test_clip_grad_norm_nonfinite():
    params = params_with_grads(np.array([np.inf, 1.0]))
    with pytest.raises(RuntimeError, match=r"clip_grad_norm_: the total norm of order 2.0 of "
                                           r"the gradients is inf, so they cannot be clipped"):
        ad.nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(params[0].grad, [np.inf, 1.0])     # untouched
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        norm = ad.nn.utils.clip_grad_norm_(params, 1.0)
    assert float(norm) == np.inf
    assert [w.category for w in caught] == [RuntimeWarning]           # ours, not NumPy's
    assert "total norm of the gradients is inf" in str(caught[0].message)
    assert caught[0].filename == __file__
    assert np.isnan(params[0].grad[0]) and params[0].grad[1] == 0.0   # as in PyTorch


def test_clip_grad_value_and_bad_arguments():
    p, q = params_with_grads(np.array([-5.0, 0.5, 2.0]), np.array([[3.0]]))
    assert ad.nn.utils.clip_grad_value_([p, q], 1.0) is None
    np.testing.assert_array_equal(p.grad, [-1.0, 0.5, 1.0])
    np.testing.assert_array_equal(q.grad, [[1.0]])
    model = nn.Linear(2, 1, rng=0)
    with pytest.raises(TypeError, match=r"clip_grad_norm_: got the method 'parameters' "
                                        r"itself, not the parameters; call it"):
        ad.nn.utils.clip_grad_norm_(model.parameters, 1.0)
    with pytest.raises(ValueError, match="clip_grad_value_: clip_value must be >= 0"):
        ad.nn.utils.clip_grad_value_([p], -1.0)


def test_clip_grad_norm_returns_the_total_norm_in_the_gradients_dtype():
    g = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    p = ad.nn.Parameter(np.zeros_like(g))
    p.grad = g.copy()
    total = ad.nn.utils.clip_grad_norm_([p], 0.5)
    assert total.dtype == np.float32 and p.grad.dtype == np.float32
    assert float(total) == np.float32(np.linalg.norm(g.astype(np.float64)))
    q = ad.nn.Parameter(np.zeros(2))
    q.grad = np.ones(2)
    assert ad.nn.utils.clip_grad_norm_([p, q], 0.5).dtype == np.float64
