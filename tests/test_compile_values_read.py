"""A value of an untraced tensor read into Python while tracing (``if
self.initialized.item() == 0:``, Glow's ActNorm initialising itself from its first
batch): the plan holds the path that value chose, so a later call finding another value
traces again (``autodiff/compile/values_read.py``); a read of a value the call computed
stays refused, naming its line."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError
from compile_scripts8 import compiled_like_eager, nn, torch, two_sizes


class ActNorm(nn.Module):
    """Glow's ActNorm: its shift and scale set from the first batch's statistics, once,
    marked by a buffer."""

    def __init__(self, channels):
        super().__init__()
        self.loc = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.scale = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.register_buffer("initialized", torch.tensor(0, dtype=torch.uint8))

    def initialize(self, input):
        with torch.no_grad():
            flatten = input.permute(1, 0, 2, 3).contiguous().view(input.shape[1], -1)
            self.loc.copy_(-flatten.mean(1).view(1, -1, 1, 1))
            self.scale.copy_(1 / (flatten.std(1, unbiased=True).view(1, -1, 1, 1) + 1e-6))

    def forward(self, input):
        if self.initialized.item() == 0:
            self.initialize(input)
            self.initialized.fill_(1)
        logdet = input.shape[2] * input.shape[3] * torch.sum(torch.log(torch.abs(self.scale)))
        return self.scale * (input + self.loc), logdet


def test_glow_actnorm_initialised_from_the_first_batch_replays_as_eager():
    def make():
        actnorm, conv = ActNorm(2), nn.Conv2d(2, 2, 1)
        optimizer = torch.optim.Adam(list(actnorm.parameters()) + list(conv.parameters()),
                                     lr=1e-2)

        def step(x):
            out, logdet = actnorm(x)
            nll = 0.5 * (conv(out) ** 2).sum() / x.shape[0] - logdet
            optimizer.zero_grad()
            nll.backward()
            optimizer.step()
            return nll
        return step, {"actnorm": actnorm, "conv": conv, "optimizer": optimizer}
    # (three traces: the first call's, which initialises; the second call's, finding the
    # buffer set; the new batch size's)
    compiled_like_eager(make, two_sizes(21, [(4, 2, 3, 3)], [(3, 2, 3, 3)]), traces=3)


def test_a_flag_read_by_item_and_set_in_the_call_takes_the_other_path_next_call():
    flag = ad.tensor(0)

    @ad.compile
    def f(x):
        if flag.item() == 0:
            flag.fill_(1)
            return x * 2
        return x * 3
    assert [f(np.ones(2)).data.tolist() for _ in range(3)] == [[2.0, 2.0], [3.0, 3.0],
                                                               [3.0, 3.0]]
    assert f.traces == 2


def test_a_value_changed_between_calls_traces_again_and_back():
    steps = ad.tensor(3)

    @ad.compile
    def f(x):
        for _ in range(int(steps)):
            x = x * 2
        return x
    assert f(np.ones(1)).item() == 8.0
    steps.fill_(1)
    assert f(np.ones(1)).item() == 2.0
    steps.fill_(3)                      # (back: the first plan fits again)
    assert f(np.ones(1)).item() == 8.0
    assert f(np.ones(1)).item() == 8.0 and f.traces == 2


def test_an_unchanged_value_read_replays_without_tracing_again():
    threshold = ad.tensor(0.5)

    @ad.compile
    def f(x):
        return x * 2 if threshold.item() > 0 else x
    for _ in range(4):
        assert f(np.ones(1)).item() == 2.0
    assert f.traces == 1


def test_an_if_on_a_captured_tensor_changed_between_calls_takes_the_new_path():
    use_offset = ad.tensor(True)

    @ad.compile
    def f(x):
        return x + 1 if use_offset else x
    assert f(np.zeros(1)).item() == 1.0
    use_offset.fill_(False)
    assert f(np.zeros(1)).item() == 0.0


def test_reading_a_value_the_call_computed_stays_refused_naming_the_line():
    count = ad.tensor(0)

    def f(x):
        count.add_(1)
        if count.item() > 2:
            return x * 2
        return x
    line = inspect.getsourcelines(f)[1] + 2
    with pytest.raises(TraceError, match=rf"item\(\) on a traced tensor of shape \(\) "
                                         rf"at {__name__}\.py:{line}:"):
        ad.compile(f)(np.ones(1))


def test_tracing_again_and_again_names_the_read_whose_value_changed():
    count = ad.tensor(0)

    def f(x):
        return x * count.item()
    line = inspect.getsourcelines(f)[1] + 1
    compiled = ad.compile(f, cache_size=2)
    with pytest.warns(RuntimeWarning, match=rf"the value of a tensor read by item\(\) at "
                                            rf"{__name__}\.py:{line} changed \(1 -> 2\)"):
        for k in range(3):
            count.fill_(k)
            assert compiled(np.ones(1)).item() == k
