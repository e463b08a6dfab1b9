"""Dropout takes PyTorch's ``inplace`` argument like the channel dropouts: ``False`` is
accepted (by name or position) and ``True`` refused with a message naming the layer."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F


def test_dropout_takes_inplace_false_by_name_and_position():
    x = ad.tensor(np.ones((4, 5)))
    np.testing.assert_array_equal(F.dropout(x, 0.5, True, False, rng=0).data,
                                  F.dropout(x, 0.5, rng=0).data)
    assert F.dropout(x, 0.5, training=False, inplace=False) is x
    layer = nn.Dropout(0.5, False, rng=0)
    assert repr(layer) == "Dropout(p=0.5, inplace=False)"
    assert repr(nn.Dropout(p=0.25, inplace=False)) == "Dropout(p=0.25, inplace=False)"
    np.testing.assert_array_equal(layer.eval()(x).data, x.data)


def test_dropout_inplace_true_refuses_a_leaf_that_requires_grad_naming_the_caller():
    x = ad.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^dropout_: .*pass inplace=False"):
        F.dropout(x, 0.5, True, True)
    with pytest.raises(RuntimeError, match=r"^dropout_: .*pass inplace=False"):
        nn.Dropout(0.5, inplace=True)(x)


def test_instance_norm_running_statistics_come_in_pairs_and_need_a_momentum():
    x = ad.tensor(np.random.default_rng(0).standard_normal((2, 3, 4)))
    with pytest.raises(ValueError, match="running_mean and running_var must both be given"):
        F.instance_norm(x, np.zeros(3), None)
    with pytest.raises(TypeError, match="momentum=None with running statistics"):
        F.instance_norm(x, np.zeros(3), np.ones(3), momentum=None)
    layer = ad.nn.InstanceNorm1d(3, track_running_stats=True, momentum=None)
    layer(x)                                # the layer's momentum=None: stats stay as they are
    np.testing.assert_array_equal(layer.running_mean, np.zeros(3))
