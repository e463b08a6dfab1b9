"""Arrays and tensors that change between calls of a compiled step, each compared with
the eager twin after every call (``compile_twins.run_twins``, bit for bit without
fusion): a batch array written in place, a captured NumPy constant written in place, a
captured tensor constant rebound (``self.scale = ad.tensor(2.0)``), inputs of a new
dtype, batch size or layout (transposed, non-contiguous), a 0-d input, and integer
labels that come as int32 after int64."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F
from compile_twins import run_twins as _run_twins, training_step


def run_twins(make, batches, **kw):
    return _run_twins(make, batches, seed=0, **kw)


def _data(n=4, seed=39, rows=4):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((rows, 3)), rng.integers(0, 2, rows)) for _ in range(n)]


def _trainer(forward=None):
    def make():
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
        opt = ad.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x) if forward is None else forward(model, x), y)
            loss.backward()
            opt.step()
            return loss
        return step, {"model": model, "optimizer": opt}
    return make


def test_the_same_batch_array_written_in_place_between_calls():
    (x0, y0), = _data(1)
    x, y = x0.copy(), y0.copy()

    def between(k, things):
        x[...] = np.sin(x0 + k)         # (both twins get the same new values)
        y[...] = (y0 + k) % 2
    for fuse in (False, True):
        compiled, _, _ = run_twins(_trainer(), [(x, y)] * 4, fuse=fuse, between=between,
                                   scale=1.0)
        assert compiled.traces == 1


def test_a_captured_numpy_constant_written_in_place_between_calls():
    weights = np.array([1.0, 2.0])

    def forward(model, x):
        return model(x) * ad.tensor(weights)

    def between(k, things):
        weights[0] = 1.0 + k            # noticed by the plan's checksum: traces again
    compiled, _, _ = run_twins(_trainer(forward), _data(), fuse=False, between=between)
    assert compiled.traces == 4


def test_a_captured_numpy_constant_used_directly_written_in_place():
    offset = np.zeros((1, 2))

    def forward(model, x):
        return model(x) + offset

    def between(k, things):
        offset[0, 1] = 0.5 * k
    compiled, _, _ = run_twins(_trainer(forward), _data(), fuse=False, between=between)
    assert compiled.traces == 4


class Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.scale = ad.tensor(1.0)

    def forward(self, x):
        return self.fc(x) * self.scale


def test_a_captured_tensor_constant_rebound():
    def make():
        model = Scaled()
        opt = ad.optim.SGD(model.parameters(), lr=0.1)
        return training_step(model, opt), {"model": model, "optimizer": opt}

    def between(k, things):
        if k == 2:
            things["model"].scale = ad.tensor(2.0)
        if k == 3:
            with ad.no_grad():
                things["model"].scale.mul_(0.5)
    compiled, _, twin = run_twins(make, _data(5), fuse=False, between=between)
    assert float(twin["model"].scale.data) == 1.0


def test_inputs_of_a_new_dtype_and_batch_size():
    data = _data(2) + _data(2, rows=6) + [
        (x.astype(np.float32), y) for x, y in _data(2, seed=3)] + _data(1)
    compiled, _, _ = run_twins(_trainer(), data, fuse=False)
    assert compiled.traces == 3


@pytest.mark.parametrize("layout", ["transposed", "strided", "fortran"])
def test_inputs_of_a_new_layout(layout):
    rng = np.random.default_rng(4)
    make_x = {"transposed": lambda: rng.standard_normal((3, 4)).T,
              "strided": lambda: rng.standard_normal((8, 3))[::2],
              "fortran": lambda: np.asfortranarray(rng.standard_normal((4, 3)))}[layout]
    data = _data(2) + [(make_x(), y) for _, y in _data(2)] + _data(1, seed=5)
    compiled, _, _ = run_twins(_trainer(), data, fuse=False)
    assert compiled.traces == 2


def test_a_0d_input():
    def make():
        w = ad.tensor(np.array([0.5, -0.25]), requires_grad=True)
        opt = ad.optim.SGD([w], lr=0.1)

        def step(t):
            opt.zero_grad()
            loss = ((w * t).sum() - 1.0) ** 2
            loss.backward()
            opt.step()
            return loss
        return step, {"w": w, "optimizer": opt}
    data = [(np.array(v),) for v in (1.0, 2.0, -0.5)] + [(np.float64(3.0),),
                                                        (np.array(1.5),)]
    compiled, _, _ = run_twins(make, data, fuse=False)
    assert compiled.traces == 2     # a NumPy scalar is a number, fixed into its plan


def test_labels_that_become_int32():
    data = _data(2) + [(x, y.astype(np.int32)) for x, y in _data(2, seed=6)] + _data(1)
    for fuse in (False, True):
        compiled, _, _ = run_twins(_trainer(), data, fuse=fuse, scale=1.0)
        assert compiled.traces == 2


def test_labels_of_other_values_replay_the_plan():
    """Only the dtype and shape of the labels make the signature; new values replay,
    an out-of-range label raises as in eager execution."""
    make = _trainer()
    step, _ = make()
    compiled = ad.compile(step, fuse=False)
    x, y = _data(1)[0]
    compiled(x, y)
    compiled(x, 1 - y)
    assert compiled.traces == 1
    with pytest.raises(Exception, match="2|range|class"):
        compiled(x, y + 2)
