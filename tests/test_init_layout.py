"""Which axis of a 2-d weight ``nn.init`` reads as the fan: this library's ``Linear``
layout ``(n_in, n_out)``, or PyTorch's ``(out, in)`` with ``layout="out_in"``; a 2-d
weight whose layout is not known and whose fans differ warns at the user's line."""

import math
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn

FAN_DEPENDENT = [
    lambda w, **k: nn.init.kaiming_uniform_(w, rng=0, **k),
    lambda w, **k: nn.init.kaiming_normal_(w, rng=0, **k),
    lambda w, **k: nn.init._calculate_fan_in_and_fan_out(w, **k),
    lambda w, **k: nn.init._calculate_correct_fan(w, "fan_in", **k),
]
IDS = ["kaiming_uniform_", "kaiming_normal_", "fan_in_and_fan_out", "correct_fan"]


@pytest.mark.parametrize("call", FAN_DEPENDENT, ids=IDS)
def test_a_bare_2d_weight_warns_at_the_users_line(call):
    w = ad.zeros((3, 5), requires_grad=True)
    with pytest.warns(ad.ConventionWarning, match=r"shape \(3, 5\) is read in this "
                                                  r"library's Linear layout .*fan_in=3.*"
                                                  r"layout='out_in'") as caught:
        call(w)
    assert caught[0].filename == __file__


@pytest.mark.parametrize("call", FAN_DEPENDENT, ids=IDS)
def test_known_layouts_and_an_explicit_layout_do_not_warn(call):
    lazy = nn.LazyLinear(2)
    lazy(np.ones((1, 3)))
    weights = [nn.Linear(3, 5).weight, lazy.weight, nn.GRU(3, 4).weight_ih_l0,
               ad.zeros((4, 4), requires_grad=True), nn.Conv2d(2, 3, 3).weight]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for w in weights:
            call(w)
        for layout in ("in_out", "out_in"):
            call(ad.zeros((3, 5), requires_grad=True), layout=layout)
        nn.MLP([3, 7, 2])                      # the library's own layers
        nn.init.xavier_uniform_(ad.zeros((3, 5), requires_grad=True))   # symmetric in fans


def test_out_in_reads_the_fans_as_pytorch():
    torch = pytest.importorskip("torch")
    for shape in [(3, 5), (7, 2)]:
        ours = nn.init._calculate_fan_in_and_fan_out(np.zeros(shape), layout="out_in")
        assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
        for mode in ("fan_in", "fan_out"):
            assert (nn.init._calculate_correct_fan(np.zeros(shape), mode, layout="out_in")
                    == torch.nn.init._calculate_correct_fan(torch.empty(shape), mode))
    w = nn.init.kaiming_uniform_(np.zeros((20, 500)), a=math.sqrt(5), layout="out_in", rng=0)
    bound = nn.init.calculate_gain("leaky_relu", math.sqrt(5)) * math.sqrt(3 / 500)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    w = nn.init.kaiming_normal_(np.zeros((400, 50)), layout="out_in", rng=0)
    assert abs(w.std() / (math.sqrt(2) / math.sqrt(50)) - 1) < 0.02   # (20 000 draws)


def test_a_linear_weight_still_gets_pytorchs_distribution_for_the_same_layer():
    layer = nn.Linear(500, 20)
    nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), rng=0)
    bound = nn.init.calculate_gain("leaky_relu", math.sqrt(5)) * math.sqrt(3 / 500)
    assert np.abs(layer.weight.data).max() <= bound


def test_an_embedding_table_warns_since_pytorch_reads_its_dim_as_fan_in():
    table = nn.Embedding(10, 3).weight
    with pytest.warns(ad.ConventionWarning, match=r"fan_in=10.*PyTorch .* fan_in=3"):
        nn.init.kaiming_normal_(table, rng=0)


def test_an_unknown_layout_is_refused():
    with pytest.raises(ValueError, match=r"init.kaiming_uniform_: layout must be 'in_out' .* "
                                         r"or 'out_in' \(PyTorch's\), got 'io'"):
        nn.init.kaiming_uniform_(np.zeros((3, 5)), layout="io")
