"""Two compiled functions sharing an array one of them updates in place (an EMA of
the weights kept by the training step, read by an evaluation step), and ``ctc_loss``
with concatenated 1-D targets whose longest target changes between calls."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F
from compile_twins import assert_same, flat_values, run_twins
from test_compile_models_steps import _ctc_model   # (the same CTC step, padded there)

FUSE = [pytest.param(False, id="bitwise"), pytest.param(True, id="fused")]


def _ema_pair():
    """A training step keeping an EMA of the weights in plain arrays, and an evaluation
    step computing the loss of the averaged weights."""
    net = nn.Sequential(nn.Linear(4, 8, rng=0), nn.Tanh(), nn.Linear(8, 3, rng=1))
    ema = {k: v.data.copy() for k, v in net.named_parameters()}
    opt = ad.optim.SGD(net.parameters(), lr=0.1)

    def train(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        with ad.no_grad():
            for k, p in net.named_parameters():
                ad.tensor(ema[k]).mul_(0.9).add_(p * 0.1)
        return loss

    def evaluate(x, y):
        with ad.no_grad():
            h = ad.tanh(x @ ad.tensor(ema["0.weight"]) + ad.tensor(ema["0.bias"]))
            return F.cross_entropy(h @ ad.tensor(ema["2.weight"]) + ad.tensor(ema["2.bias"]),
                                   y)
    return train, evaluate, ema


def _batches(n, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((5, 4)), rng.integers(0, 3, 5)) for _ in range(n)]


@pytest.mark.parametrize("fuse", FUSE)
def test_an_average_written_by_one_compiled_step_is_an_input_of_another(fuse):
    # Before: the evaluation's plan found the average's checksum changed after each
    # training call and traced again, 20 times in 20 alternating calls.
    train, evaluate, ema = _ema_pair()
    eager_train, eager_evaluate, eager_ema = _ema_pair()
    train, evaluate = ad.compile(train, fuse=fuse), ad.compile(evaluate, fuse=fuse)
    for k, (x, y) in enumerate(_batches(20)):
        got = flat_values([train(x, y), evaluate(x, y), ema])
        want = flat_values([eager_train(ad.tensor(x), y), eager_evaluate(ad.tensor(x), y),
                            eager_ema])
        assert_same(got, want, bitwise=not fuse, where=f"call {k}:", ulps=32 * (k + 1))
    assert (train.traces, evaluate.traces) == (1, 1)
    assert not np.array_equal(ema["0.weight"], _ema_pair()[2]["0.weight"])


def test_a_write_into_the_average_outside_the_plans_still_traces_again():
    train, evaluate, ema = _ema_pair()
    train, evaluate = ad.compile(train), ad.compile(evaluate)
    (x, y), = _batches(1)
    train(x, y)
    evaluate(x, y)
    train(x, y)
    evaluate(x, y)
    assert evaluate.traces == 1
    ema["2.bias"][0] += 1.0         # no plan knows of this write
    with ad.no_grad():
        want = F.cross_entropy(ad.tanh(ad.tensor(x) @ ad.tensor(ema["0.weight"])
                                       + ad.tensor(ema["0.bias"])) @ ad.tensor(ema["2.weight"])
                               + ad.tensor(ema["2.bias"]), y)
    np.testing.assert_array_equal(evaluate(x, y).data, want.data)
    assert evaluate.traces == 2


def test_the_average_read_before_the_training_step_was_ever_traced():
    # (the evaluation traced first: the training step's first call, a trace, writes
    # the average eagerly, and that write is a known one too)
    train, evaluate, ema = _ema_pair()
    train, evaluate = ad.compile(train), ad.compile(evaluate)
    for x, y in _batches(6):
        evaluate(x, y)
        train(x, y)
    assert (train.traces, evaluate.traces) == (1, 1)


class _WithAverage(nn.Module):
    """Weights and their EMA in buffers, updated by the training step and read by an
    evaluation step that does not call the module (its buffers are plain arrays)."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 8, rng=1), nn.Tanh(), nn.Linear(8, 3, rng=2))
        for name, p in self.net.named_parameters():
            self.register_buffer("ema_" + name.replace(".", "_"), p.data.copy())

    def update_average(self, decay):
        with ad.no_grad():
            for name, p in self.net.named_parameters():
                average = ad.tensor(getattr(self, "ema_" + name.replace(".", "_")))
                average.mul_(decay).add_(p * (1 - decay))

    def averaged(self, x):
        h = ad.tanh(x @ ad.tensor(self.ema_0_weight) + ad.tensor(self.ema_0_bias))
        return h @ ad.tensor(self.ema_2_weight) + ad.tensor(self.ema_2_bias)


def test_an_ema_kept_in_module_buffers_read_by_a_compiled_evaluation():
    model = _WithAverage()
    optimizer = ad.optim.SGD(model.net.parameters(), lr=0.1)

    def train(x, y):
        optimizer.zero_grad()
        loss = F.cross_entropy(model.net(x), y)
        loss.backward()
        optimizer.step()
        model.update_average(0.9)
        return loss

    def evaluate(x, y):
        with ad.no_grad():
            return F.cross_entropy(model.averaged(x), y)
    train, compiled_evaluate = ad.compile(train), ad.compile(evaluate, fuse=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)      # (no "traced again" warning)
        for x, y in _batches(20):
            train(x, y)
            np.testing.assert_array_equal(compiled_evaluate(x, y).data,
                                          evaluate(ad.tensor(x), y).data)
    assert (train.traces, compiled_evaluate.traces) == (1, 1)


@pytest.mark.parametrize("fuse", FUSE)
def test_ctc_with_concatenated_targets_whose_longest_changes_replays(fuse):
    # Before: the replay padded the targets to the longest target_lengths and raised
    # when that width differed from the trace's.  A trace now pads them to the power
    # of two at least the longest, and a call whose longest needs another power
    # traces again (the loss is the same bit for bit at any width).
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((6, 2, 3)), rng.integers(1, 5, 5), np.array([6, 5]),
                np.array([1 + k % 4, 4 - k % 4])) for k in range(12)]
    compiled, _, _ = run_twins(_ctc_model, batches, fuse=fuse)
    # (longest 4, 3, 3, 4, ...: one width of 4 for all)
    assert compiled.traces == 1
    batches = [(x, targets[:3], lengths, np.array([k % 3, 3 - k % 3]))
               for k, (x, targets, lengths, _) in enumerate(batches)]
    compiled, _, _ = run_twins(_ctc_model, batches, fuse=fuse)
    # (longest 3, 2, 2, 3, ...: widths 4 and 2, one plan each)
    assert compiled.traces == 2 and len(compiled.plans) == 2


def test_ctc_with_lengths_the_call_computes_pads_to_the_total_length():
    # lengths that are not an argument but computed in the call: no guard on them, so
    # the trace pads to the targets' total length, which their shape fixes
    def make():
        step, things = _ctc_model()
        return (lambda x, targets, lengths: step(x, targets, np.array([6, 5]), lengths + 0),
                things)
    rng = np.random.default_rng(2)
    batches = [(rng.standard_normal((6, 2, 3)), rng.integers(1, 5, 4),
                np.array([1 + k % 3, 3 - k % 3])) for k in range(6)]
    compiled, _, _ = run_twins(make, batches, fuse=False)
    assert compiled.traces == 1


def test_ctc_concatenated_at_a_replay_still_checks_the_lengths_as_eager():
    step, _ = _ctc_model()
    compiled = ad.compile(step)
    rng = np.random.default_rng(0)
    x, input_lengths = rng.standard_normal((6, 2, 3)), np.array([6, 5])
    compiled(x, np.array([1, 2, 3, 4]), input_lengths, np.array([2, 2]))
    compiled(x, np.array([4, 3, 2, 1]), input_lengths, np.array([2, 2]))
    with pytest.raises(ValueError, match="sum\\(target_lengths\\) = 3"):
        compiled(x, np.array([4, 3, 2, 1]), input_lengths, np.array([1, 2]))
    with pytest.raises(ValueError, match="is the blank"):
        compiled(x, np.array([4, 0, 2, 1]), input_lengths, np.array([2, 2]))
    assert compiled.traces == 1


def _linear_classifier(ignore_index=-100, targets_of=lambda y: y):
    w = ad.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)

    def step(x, y):
        w.grad = None
        loss = F.cross_entropy(x @ w, targets_of(y), ignore_index=ignore_index)
        loss.backward()
        return loss, w.grad
    return step


@pytest.mark.parametrize("ignore_index", [-100, 2])
def test_cross_entropy_replays_the_path_eager_takes_for_each_batch(ignore_index):
    # Eager cross_entropy takes its fused path when no target equals ignore_index and
    # the masked one otherwise.  Before, a plan replayed its trace's path: traced with
    # an ignored target, the replays of batches without one differed from eager in the
    # last digits; traced without, a batch with one raised (or, for a class index,
    # would have been counted), so the trace took the masked path for class indices.
    # Now each path has its plan, chosen from the targets at each call.
    step = _linear_classifier(ignore_index)
    compiled = ad.compile(step, fuse=False)
    x = np.random.default_rng(1).standard_normal((5, 3))
    some_ignored = np.array([0, ignore_index, 2 if ignore_index != 2 else 1, 3, 0])
    none_ignored = np.array([0, 1, 3, 3, 0])
    all_ignored = np.full(5, ignore_index)
    for k, y in enumerate([some_ignored, none_ignored, some_ignored, none_ignored,
                           all_ignored, none_ignored]):
        with np.errstate(invalid="ignore"):
            got, want = compiled(x, y), step(ad.tensor(x), y)
        assert_same(flat_values(got), flat_values(want), bitwise=True, where=f"call {k}:")
    assert compiled.traces == 2


def test_cross_entropy_of_targets_the_call_computes_keeps_one_path():
    # targets that are not an argument (a slice of one): no guard on them, so the
    # path of the trace is kept and a replay that would need the other one raises
    # naming the way out (never a silently wrong loss)
    step = _linear_classifier(targets_of=lambda y: y[:5])
    compiled = ad.compile(step, fuse=False)
    x = np.random.default_rng(1).standard_normal((5, 3))
    compiled(x, np.array([0, 1, 2, 3, 0, 0]))
    with pytest.raises(IndexError, match="trace on a batch that holds one"):
        compiled(x, np.array([0, -100, 2, 3, 0, 0]))


def test_cross_entropy_path_of_targets_passed_by_keyword_and_transposed():
    w = ad.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)

    def step(x, *, y):
        w.grad = None
        loss = F.cross_entropy((x @ w).reshape(-1, 4), y.T.reshape(-1))
        loss.backward()
        return loss, w.grad
    compiled = ad.compile(step, fuse=False)
    x = np.random.default_rng(1).standard_normal((2, 3, 3))
    for k, y in enumerate([np.array([[0, 1], [2, 3], [1, 0]]),
                           np.array([[0, -100], [2, 3], [1, 0]]),
                           np.array([[3, 1], [2, 3], [1, 0]])]):
        got, want = compiled(x, y=y), step(ad.tensor(x), y=ad.tensor(y))
        assert_same(flat_values(got), flat_values(want), bitwise=True, where=f"call {k}:")
    assert compiled.traces == 2
