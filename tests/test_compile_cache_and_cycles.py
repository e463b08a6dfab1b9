"""ad.compile: traces leave no cycles, the plan cache warns when it thrashes, and the
step's returned values, arguments and modes replay as eager."""


import gc
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError
from autodiff.nn import functional as F

def _tracers_alive():
    from autodiff.compile.tracer import Tracer
    # type(), not isinstance: a dead weak proxy among gc's objects raises on isinstance
    return sum(issubclass(type(o), Tracer) for o in gc.get_objects())


def test_a_trace_leaves_no_cycle_keeping_its_graph_alive():
    """Without the cycle collector, a finished or refused trace frees its tracer and
    nodes at once: the parameters it saved are writable again for the next step."""
    model = ad.nn.MLP([2, 4, 3], rng=0)
    opt = ad.optim.SGD(model.parameters(), lr=0.1)
    X, y = np.random.default_rng(0).normal(size=(5, 2)), np.array([0, 1, 2, 0, 1])

    @ad.compile
    def good(xb, yb):
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    @ad.compile
    def refused(xb, yb):
        loss = F.cross_entropy(model(xb), yb)
        return loss * 2 if loss.item() > 0 else loss

    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        before = _tracers_alive()
        good(X, y)
        with pytest.raises(TraceError):
            refused(X, y)
        assert _tracers_alive() == before
        loss = F.cross_entropy(model(ad.tensor(X)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()          # raised "read-only" while a refused trace lingered
    finally:
        if was_enabled:
            gc.enable()


def test_tracing_more_often_than_the_cache_holds_plans_warns_once_saying_why():
    w = ad.tensor(np.ones(3), requires_grad=True)

    @ad.compile(cache_size=3)
    def step(x, lr):
        loss = (w * x).sum() * lr
        loss.backward()
        return loss

    with pytest.warns(RuntimeWarning) as caught:
        for k in range(6):
            step(np.ones(3), 1.0 / (k + 1))     # a new Python float: a new signature
    found = [str(w.message) for w in caught if "traced again" in str(w.message)]
    assert found == [found[0]] and step.traces == 6
    assert found[0].startswith(
        "compile: step is traced again, 4 times so far (argument 1: 0.3333333333333333 -> "
        "0.25)")
    assert caught[0].filename == __file__


def test_a_captured_array_changed_at_every_call_is_named_when_it_retraces_too_often():
    w = ad.tensor(np.ones(3), requires_grad=True)
    scale = np.ones(3)

    @ad.compile(cache_size=2)
    def step(x):
        return (w * x * scale).sum()            # 'scale' read as a constant, checksummed

    with pytest.warns(RuntimeWarning, match=r"traced again, 3 times so far \(the NumPy "
                      r"array the function captures, read by 'multiply' at .*changed its "
                      r"values\)"):
        with ad.no_grad():
            for k in range(4):
                scale[0] = k
                step(np.ones(3))


def test_a_few_signatures_that_fit_the_cache_do_not_warn():
    w = ad.tensor(np.ones(3), requires_grad=True)
    step = ad.compile(lambda x: (w * x).sum())
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for _ in range(10):
            for n in (4, 5, 6):                 # three batch sizes, again and again
                step(np.ones((n, 3)))
    assert step.traces == 3


def test_a_tensor_argument_with_a_graph_after_a_leaf_at_the_trace_is_refused_not_replayed():
    # The plan made for a leaf argument would give the graph's output a .grad and the
    # ops before it no gradient; a tensor with a graph traces again, which refuses it.
    encoder = ad.tensor(np.full((3, 3), 0.5), requires_grad=True)
    w = ad.tensor(np.ones(3), requires_grad=True)

    @ad.compile
    def step(h):
        loss = (h @ w).sum()
        loss.backward()
        return loss

    step(ad.tensor(np.ones((2, 3)), requires_grad=True))
    features = ad.tensor(np.ones((2, 3))) @ encoder
    with pytest.raises(ad.TraceError, match="recorded before the call"):
        step(features)


def test_a_returned_namedtuple_is_built_again_by_each_replay():
    from collections import OrderedDict, namedtuple
    Out = namedtuple("Out", "loss scaled")
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)

    @ad.compile
    def step(x):
        loss = (w * x).sum()
        return Out(loss, loss * 2.0)

    for k in range(3):
        out = step(np.full(2, float(k)))
        assert type(out) is Out and float(out.scaled.data) == 2 * float(out.loss.data) == 6 * k

    @ad.compile
    def ordered(x):
        return OrderedDict(loss=(w * x).sum())

    with pytest.raises(TraceError, match="OrderedDict, a subclass of dict"):
        ordered(np.ones(2))


def test_an_array_argument_that_is_also_captured_stays_captured_in_replays():
    anchor = np.array([1.0, 2.0])
    w = ad.tensor(np.array([0.5, -1.0]), requires_grad=True)

    @ad.compile
    def step(x):
        return (w * x).sum() + (w * anchor).sum() * 10.0

    step(anchor)                        # the first batch happens to be the anchor itself
    x = np.array([3.0, 5.0])
    assert float(step(x).data) == float((w * x).sum().data) + float((w * anchor).sum().data) * 10


def test_a_tensor_argument_that_the_function_also_captures_is_refused():
    anchor = ad.tensor(np.array([1.0, 2.0]))

    @ad.compile
    def step(x):
        return (x * anchor).sum()

    with pytest.raises(TraceError, match="argument 0 of step is the tensor the function "
                                         "also reaches as anchor"):
        step(anchor)
    assert float(step(ad.tensor(np.array([3.0, 5.0]))).data) == 13.0


def _dropout_model():
    return ad.nn.Sequential(ad.nn.Linear(4, 6, rng=0), ad.nn.Dropout(0.5, rng=1),
                            ad.nn.Linear(6, 2, rng=2))


def test_train_and_eval_inside_the_step_replay_as_eager_without_tracing_each_call():
    # The plans are keyed by the training flags at the call's start, not at the first
    # use (train() inside the step set that to True at every call, while the call
    # began in eval mode: a new trace at every call), and a replay leaves the flags
    # as the traced call did.
    models = [_dropout_model(), _dropout_model()]
    xs = np.random.default_rng(0).normal(size=(6, 3, 4))

    def make(model):
        def step(x, xv):
            model.train()
            loss = (model(x) ** 2).mean()
            model.zero_grad()
            loss.backward()
            model.eval()
            return loss, model(xv)
        return step

    eager, compiled = make(models[0]), ad.compile(make(models[1]))
    for x in xs:
        expected, got = eager(x, x[:1]), compiled(x, x[:1])
        for e, g in zip(expected, got):
            assert e.data.tobytes() == g.data.tobytes()
        assert models[1].training is False and models[1][1].training is False
    assert compiled.traces == 2


def test_a_step_that_only_switches_to_train_leaves_the_model_training_after_a_replay():
    model = _dropout_model()

    @ad.compile
    def step(x):
        model.train()
        return (model(x) ** 2).mean()

    for x in np.random.default_rng(1).normal(size=(4, 3, 4)):
        model.eval()                    # evaluation between steps, outside
        step(x)
        assert model.training and model[1].training
    assert step.traces == 1


def test_a_returned_loss_whose_graph_a_backward_kept_is_warned_of_as_kept():
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)

    @ad.compile
    def step(x):
        out = w * x
        first, second = out.sum(), (out ** 2).sum()
        first.backward(retain_graph=True)
        second.backward()
        return first

    with pytest.warns(ad.TapeDropWarning, match="with the graph its backward kept "
                                                "\\(retain_graph=True\\)"):
        step(np.ones(2))


def test_a_compiled_step_runs_eagerly_inside_detect_anomaly_and_its_nan_is_reported():
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)

    @ad.compile
    def step(x):
        loss = ad.sqrt(w * x).sum()
        loss.backward()
        return loss

    step(np.ones(2))
    with ad.detect_anomaly(), pytest.raises(ad.AnomalyError, match="sqrt: the forward pass "
                                                                    "produced NaN"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            step(np.array([-1.0, 1.0]))
    assert step.traces == 1 and float(step(np.ones(2)).data) == 1.0 + np.sqrt(2.0)
