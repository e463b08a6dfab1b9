"""Core layers and losses: BatchNorm refuses a weight of another dtype than its input
(as LayerNorm, GroupNorm, InstanceNorm and PyTorch), ``F.batch_norm`` refuses half of
the running statistics and ``momentum=None`` with them (as ``F.instance_norm`` and
PyTorch), and ``cross_entropy`` / ``nll_loss`` refuse a bool ``ignore_index`` (PyTorch's
fourth positional argument is the deprecated ``size_average``)."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F

RNG = np.random.default_rng(11)


# ----- BatchNorm and dtypes ----------------------------------------------------------------

@pytest.mark.parametrize("layer, shape", [(nn.BatchNorm1d, (4, 3)), (nn.BatchNorm1d, (2, 3, 5)),
                                          (nn.BatchNorm2d, (2, 3, 2, 2))])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_refuses_a_float32_input_to_float64_weights(layer, shape, training):
    bn = layer(3).train(training)                       # float64 weight and bias
    x = ad.tensor(RNG.standard_normal(shape).astype(np.float32))
    name = layer.__name__
    with pytest.raises(TypeError, match=rf"^{name}\(3\): the input is float32 but weight is "
                                        r"float64;.*dtype=np.float32"):
        bn(x)
    assert int(bn.num_batches_tracked) == 0           # refused before any update
    # built for float32 (or without weights), the output stays float32
    for same in (layer(3, dtype=np.float32).train(training),
                 layer(3, affine=False).train(training)):
        out = same(x)
        assert out.dtype == np.float32
        bn64 = layer(3, affine=False).train(training)
        expected = bn64(ad.tensor(x.data.astype(np.float64))).data
        np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-5)


def test_functional_batch_norm_refuses_weight_or_bias_of_another_dtype():
    x = ad.tensor(RNG.standard_normal((4, 3)).astype(np.float32))
    rm, rv = np.zeros(3), np.ones(3)          # float64 running statistics are fine
    with pytest.raises(TypeError, match=r"^batch_norm: the input is float32 but weight is "
                                        r"float64"):
        F.batch_norm(x, rm, rv, np.ones(3), None, training=True)
    with pytest.raises(TypeError, match=r"^batch_norm: the input is float32 but bias is "
                                        r"float64"):
        F.batch_norm(x, rm, rv, None, np.zeros(3), training=False)
    out = F.batch_norm(x, rm, rv, np.ones(3, np.float32), np.zeros(3, np.float32),
                       training=True)
    assert out.dtype == np.float32


# ----- F.batch_norm's running statistics -----------------------------------------------------

def test_functional_batch_norm_refuses_momentum_none_with_running_statistics():
    x = ad.tensor(RNG.standard_normal((4, 3)))
    rm, rv = np.zeros(3), np.ones(3)
    with pytest.raises(TypeError, match=r"^batch_norm: momentum=None with running "
                                        r"statistics: pass a number"):
        F.batch_norm(x, rm, rv, training=True, momentum=None)
    np.testing.assert_array_equal(rm, 0)
    np.testing.assert_array_equal(rv, 1)
    # nothing to update: momentum is not used
    F.batch_norm(x, rm, rv, training=False, momentum=None)
    F.batch_norm(x, None, None, training=True, momentum=None)


@pytest.mark.parametrize("training", [True, False])
def test_functional_batch_norm_needs_both_running_statistics_or_neither(training):
    x = ad.tensor(RNG.standard_normal((4, 3)))
    rm, rv = np.zeros(3), np.ones(3)
    with pytest.raises(ValueError, match=r"^batch_norm: running_mean and running_var must "
                                         r"both be given or both be None.*only running_mean"):
        F.batch_norm(x, rm, None, training=training)
    with pytest.raises(ValueError, match=r"only running_var"):
        F.batch_norm(x, None, rv, training=training)
    np.testing.assert_array_equal(rm, 0)               # not half-updated
    np.testing.assert_array_equal(rv, 1)


# ----- cross_entropy / nll_loss: ignore_index -----------------------------------------------

@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
@pytest.mark.parametrize("flag", [True, False])
def test_a_bool_ignore_index_is_refused_not_taken_as_class_1_or_0(loss, flag):
    """PyTorch's ``F.cross_entropy(x, y, None, False)`` passes size_average=False (a sum);
    here the fourth argument is ignore_index, and False == 0 would skip class 0."""
    x = RNG.standard_normal((3, 4))
    y = np.array([0, 1, 2])
    log_p = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    inputs = ad.tensor(x if loss is F.cross_entropy else log_p)
    name = loss.__name__
    with pytest.raises(TypeError, match=rf"^{name}: ignore_index must be an int.*got {flag}; "
                                        r"PyTorch's fourth positional argument is the "
                                        r"deprecated size_average"):
        loss(inputs, y, None, flag)
    with pytest.raises(TypeError, match=rf"^{name}: ignore_index must be an int"):
        loss(inputs, y, ignore_index=np.True_)
    # an int (NumPy's too) and None (PyTorch's default size_average there) still work
    per_row = -log_p[np.arange(3), y]
    np.testing.assert_allclose(loss(inputs, y, None, None).item(), per_row.mean(), rtol=1e-12)
    for ignored in (1, np.int64(1)):
        np.testing.assert_allclose(loss(inputs, y, ignore_index=ignored).item(),
                                   per_row[[0, 2]].mean(), rtol=1e-12)
