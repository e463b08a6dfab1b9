"""Which value a replay reads: arguments, captured tensors, constants and the numbers
that key the plans.  Each case is compared with eager calls of the same function."""

import re
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError
from autodiff.nn import functional as F


def _pair(make):
    """Two independent copies (eager, compiled) of what ``make()`` builds."""
    eager, compiled = make(), make()
    return eager, (compiled[0], ad.compile(compiled[1]))


def test_an_argument_that_is_a_parameters_array_at_trace_time_stays_an_argument():
    def make():
        w = ad.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
        opt = ad.optim.SGD([w], lr=0.1)

        def step(x):
            loss = (w * x).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return w, step
    (we, se), (wc, sc) = _pair(make)
    se(we.data)
    sc(wc.data)                    # traced while x is w's own array
    for x in (np.full(3, 11.0), np.arange(3.0)):
        assert float(sc(x).data) == float(se(x).data)
        np.testing.assert_array_equal(wc.data, we.data)


def test_a_tensor_made_in_the_step_from_an_argument_follows_the_argument():
    def step(x):
        t = ad.tensor(x, requires_grad=True)    # wraps the argument's array (no copy)
        (t * t).sum().backward()
        return t.grad
    compiled = ad.compile(step)
    compiled(np.ones(3))
    np.testing.assert_array_equal(compiled(np.array([1.0, 2.0, 3.0])), [2.0, 4.0, 6.0])


def test_a_captured_constant_tensor_is_read_again_at_each_call():
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    c = ad.tensor(np.array([3.0, 3.0]))
    step = ad.compile(lambda x: (c * w * x).sum())
    x = np.ones(2)
    step(x)
    step(x)
    c.data = np.array([9.0, 9.0])               # a new array
    assert float(step(x).data) == 27.0
    c.data[:] = 1.0                              # changed in place
    assert float(step(x).data) == 3.0
    assert step.traces == 1


def test_zero_and_negative_zero_and_nan_arguments_key_their_own_plans():
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    step = ad.compile(lambda x, scale: w * x / scale)
    x = np.ones(2)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_array_equal(step(x, 0.0).data, [np.inf, np.inf])
        np.testing.assert_array_equal(step(x, -0.0).data, [-np.inf, -np.inf])
        assert step.traces == 2
        for _ in range(3):
            assert np.isnan(step(x, float("nan")).data).all()
    assert step.traces == 3                     # NaN found its plan again


def test_returning_an_empty_tuple_and_an_unused_parameter():
    w = ad.tensor(np.ones(3), requires_grad=True)
    b = ad.tensor(np.zeros(3), requires_grad=True)

    def step(x):
        (w * x).sum().backward()
        return (), b
    compiled = ad.compile(step)
    for _ in range(2):
        empty, got = compiled(np.ones(3))
        assert empty == ()
        np.testing.assert_array_equal(got.data, b.data)
    b.data[:] = 5.0
    np.testing.assert_array_equal(compiled(np.ones(3))[1].data, [5.0, 5.0, 5.0])


def test_a_zero_d_gradient_accumulated_over_calls_stays_an_array():
    def make():
        s = ad.tensor(np.array(0.5), requires_grad=True)

        def step(x):
            (s * x).sum().backward()            # no zero_grad: gradients accumulate
            return s.grad
        return s, step
    (se, fe), (sc, fc) = _pair(make)
    for _ in range(3):
        fe(np.ones(3))
        fc(np.ones(3))
        assert isinstance(sc.grad, np.ndarray) and sc.grad.shape == ()
        assert sc.grad == se.grad


def test_a_tensor_made_in_the_step_from_a_captured_array_follows_the_array():
    table = np.array([1.0, 2.0, 3.0])
    w = ad.tensor(np.ones(3), requires_grad=True)
    step = ad.compile(lambda x: (w * x * ad.tensor(table)).sum())
    x = np.ones(3)
    assert float(step(x).data) == 6.0
    assert float(step(x).data) == 6.0
    table[:] = 10.0                             # changed in place: noticed, traced again
    assert float(step(x).data) == 30.0


@pytest.mark.filterwarnings("ignore:SGD.step. none of the 1 parameters")   # w frozen
def test_switching_a_module_to_eval_or_freezing_a_parameter_traces_again():
    def make():
        bn = ad.nn.BatchNorm1d(3)
        w = ad.nn.Parameter(np.array([1.0, 2.0, 3.0]))
        opt = ad.optim.SGD([w], lr=0.1)

        def step(x):
            loss = (bn(x * w) ** 2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return bn, w, step
    (be, we, se), (bc, wc, sc) = make(), make()
    sc = ad.compile(sc)
    rng = np.random.default_rng(0)
    for k in range(5):
        if k == 2:
            be.eval()
            bc.eval()
        if k == 4:
            we.requires_grad = wc.requires_grad = False
        x = rng.normal(size=(4, 3)) + 2.0
        np.testing.assert_allclose(sc(x).data, se(x).data, rtol=1e-12)
        np.testing.assert_allclose(wc.data, we.data, rtol=1e-12)
        assert int(bc.num_batches_tracked) == int(be.num_batches_tracked)
    assert sc.traces == 3


def test_selecting_with_a_mask_made_in_the_call_is_refused():
    w = ad.nn.Parameter(np.array([1.0, 2.0, 3.0]))

    def step(x):
        return ((x * w)[x[:, 0] > 0] ** 2).sum()
    with pytest.raises(TraceError, match="boolean mask"):
        ad.compile(step)(np.ones((4, 3)))
    table = np.array([True, False, True, True])        # a captured mask: fine
    compiled = ad.compile(lambda x: ((x * w)[table] ** 2).sum())
    np.testing.assert_array_equal(compiled(np.ones((4, 3))).data, 42.0)


def test_a_detached_intermediate_does_not_keep_parameters_read_only_while_tracing():
    def make():
        W = ad.nn.Parameter(np.ones((3, 2)))
        opt = ad.optim.SGD([W], lr=0.1)

        def step(x):
            target = (x @ W).detach()
            loss = ((x @ W - 0.5 * target) ** 2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return step
    eager, compiled = make(), ad.compile(make())
    x = np.arange(12.0).reshape(4, 3) / 10
    for _ in range(3):
        np.testing.assert_array_equal(compiled(x).data, eager(x).data)


def test_a_numpy_parameter_update_is_refused_with_advice():
    w = ad.nn.Parameter(np.ones(3))

    def step(x):
        loss = (w * x).sum()
        w.grad = None
        loss.backward()
        with ad.no_grad():
            for p in [w]:
                p -= 0.1 * p.grad
        return loss
    with pytest.raises(TraceError, match="use an optimizer"):
        ad.compile(step)(np.ones(3))


def test_numpy_functions_without_gradient_are_computed_again_at_each_replay():
    w = ad.nn.Parameter(np.array([1.0, 2.0, 3.0, 4.0]))

    def step(x):
        loss = (w * x)[np.argmax(x)] ** 2 + (w * x)[np.argsort(x)][0]
        w.grad = None
        loss.backward()
        return loss, w.grad
    compiled = ad.compile(step)
    for x in ([1.0, -1, 5, 1], [9.0, -1, -1, 1], [1.0, 1, 1, 7]):
        x = np.array(x)
        for a, b in zip(step(x), compiled(x)):
            np.testing.assert_array_equal(getattr(b, "data", b), getattr(a, "data", a))
    assert compiled.traces == 1


def test_numpy_results_that_steer_python_or_change_size_are_refused():
    w = ad.nn.Parameter(np.ones(4))

    def branch(x):
        return (w * x).sum() if np.any(x > 0) else (w * x * 2).sum()

    def positions(x):
        return ((w * x)[np.nonzero(x > 0)[0]] ** 2).sum()
    with pytest.raises(TraceError, match="bool"):
        ad.compile(branch)(np.ones(4))
    with pytest.raises(TraceError, match="np.nonzero"):
        ad.compile(positions)(np.ones(4))


def test_a_replayed_library_call_on_an_argument_is_refused():
    """Gradient clipping, nn.init, an optimizer or batch_norm's running statistics over
    a tensor the function is given: a replay would repeat the call on the first call's
    argument (the objects it holds), so the trace refuses it, naming the line."""
    def clip(x):
        (x * x).sum().backward()
        ad.nn.utils.clip_grad_norm_([x], 1.0)

    def init(t):
        ad.nn.init.normal_(t, rng=np.random.default_rng(0))

    def optimizer_over(x):
        opt = ad.optim.SGD([x], lr=0.1)
        (x * x).sum().backward()
        opt.step()

    def running_stats(x, mean, var):
        return ad.nn.functional.batch_norm(x, mean, var, training=True).sum()

    cases = [(clip, (ad.tensor(np.ones(3), requires_grad=True),)),
             (init, (ad.tensor(np.zeros(3)),)),
             (optimizer_over, (ad.tensor(np.ones(3), requires_grad=True),)),
             (running_stats, (np.ones((4, 3)), np.zeros(3), np.ones(3)))]
    for fn, args in cases:
        with pytest.raises(TraceError, match=r"the library call at test_compile_values.py:"
                                             r"\d+ \(.*\) acts on an argument of the "
                                             rf"compiled function {fn.__name__}"):
            ad.compile(fn)(*args)


def test_a_modules_settings_and_rebound_array_names_are_followed():
    """A module's number attributes (a temperature, Dropout.p) and a global name bound
    to a new array between calls: each change traces again, as eager reads them."""
    x = np.random.default_rng(0).standard_normal((8, 4))

    class Head(ad.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = ad.nn.Linear(4, 3, rng=0)
            self.drop = ad.nn.Dropout(0.0)
            self.temperature = 1.0

        def forward(self, inputs):
            return self.drop(self.lin(inputs)) / self.temperature

    def make():
        head = Head()
        return head, lambda inputs: (head(inputs) * TARGET).sum()
    global TARGET
    (he, se), (hc, sc) = _pair(make)
    for k, (temperature, p) in enumerate([(1.0, 0.0), (1.0, 0.0), (2.0, 0.0), (2.0, 0.5)]):
        TARGET = np.full(3, k + 1.0)
        for head in (he, hc):
            head.temperature, head.drop.p = temperature, p
        ad.nn.manual_seed(1)
        expected = float(se(x).data)
        ad.nn.manual_seed(1)
        assert float(sc(x).data) == expected, k
    assert sc.traces == 4


def test_a_backward_into_a_graph_built_before_the_call_is_refused_clearly():
    encoding = ad.tensor(np.full(4, 0.5), requires_grad=True)
    w = ad.tensor(np.arange(4.0) + 1, requires_grad=True)

    def step(h):
        loss = (ad.sin(h) * w).sum()
        loss.backward()
        return loss
    with pytest.raises(TraceError, match=r"the backward at test_compile_values.py:\d+ "
                                         r"reaches 'exp', an op recorded before the call"):
        ad.compile(step)(ad.exp(encoding * 1.0))
    assert encoding.grad is None and w.grad is None


def test_an_error_in_a_replay_names_the_step_and_its_traced_line():
    w = ad.tensor(np.ones((5, 2)), requires_grad=True)

    @ad.compile
    def step(idx):
        loss = w[idx].sum()
        loss.backward()
        return loss
    step(np.array([0, 1]))
    with pytest.raises(IndexError, match="index 7 is out of bounds") as caught:
        step(np.array([0, 7]))
    assert any(re.fullmatch(r"compile: raised while replaying step, by its step op 'getitem', "
                            r"traced at test_compile_values.py:\d+", note)
               for note in caught.value.__notes__)


def test_grad_mode_is_part_of_the_signature():
    """A first call under no_grad (a validation pass) records no backward: a call with
    gradients traces anew, and a step traced with gradients is not replayed under
    no_grad (eager refuses its backward there)."""
    w = ad.tensor(np.ones(3), requires_grad=True)

    def forward(x):
        return (w * x).sum()
    compiled = ad.compile(forward)
    with ad.no_grad():
        compiled(np.ones(3))
    compiled(np.ones(3))
    assert compiled.traces == 2

    def step(x):
        loss = (w * x).sum()
        loss.backward()
        return loss
    train = ad.compile(step)
    train(np.ones(3))
    with ad.no_grad(), pytest.raises(RuntimeError, match="does not require grad"):
        train(np.ones(3))


CLASSES = np.array([0, 1, 2, 0])


def test_numpy_number_settings_arrays_of_modules_and_rebound_generators_are_followed():
    x = np.random.default_rng(0).standard_normal((4, 3))

    class Scaled(ad.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = ad.nn.Linear(3, 3, rng=0)
            self.tau = np.float64(1.0)
            self.weights = np.ones(3)

        def forward(self, inputs):
            return ad.nn.functional.cross_entropy(self.lin(inputs) / self.tau, CLASSES,
                                                  weight=self.weights)

    def make():
        module = Scaled()
        return module, lambda inputs: module(inputs) * ad.randn(1, rng=GENERATOR)[0]
    global GENERATOR
    (me, se), (mc, sc) = _pair(make)
    for k in range(3):
        GENERATOR = np.random.default_rng(k)
        for module in (me, mc):
            module.tau = np.float64(1.0 + k)
            module.weights = np.array([1.0, 2.0, 3.0 + k])
        expected = float(se(x).data)
        GENERATOR = np.random.default_rng(k)
        assert float(sc(x).data) == expected, k
    assert sc.traces == 3


def test_cross_entropy_ignoring_a_real_class_replays_batches_with_and_without_it():
    w0 = np.random.default_rng(1).standard_normal((3, 3))
    xs = [np.random.default_rng(k).standard_normal((5, 3)) for k in range(3)]
    ys = [np.array([1, 2, 1, 2, 1]), np.array([0, 1, 0, 2, 0]), np.array([2, 0, 1, 1, 0])]

    def make():
        w = ad.tensor(w0.copy(), requires_grad=True)

        def step(x, y):
            loss = ad.nn.functional.cross_entropy(x @ w, y, ignore_index=0)
            w.grad = None
            loss.backward()
            return loss, w.grad
        return w, step
    (_, se), (_, sc) = _pair(make)
    for x, y in zip(xs, ys):
        (le, ge), (lc, gc) = se(x, y), sc(x, y)
        # (the plan keeps the masked path where eager took the fused one: rounding apart)
        np.testing.assert_allclose(float(lc.data), float(le.data), rtol=1e-14)
        np.testing.assert_allclose(gc, ge, rtol=1e-13, atol=1e-16)


def test_elu_into_cross_entropy_traces_and_replays():
    """A fused loop whose stashed rows are a mask: the check before it is used computes
    float magnitudes for those rows (it failed to store them in the mask's dtype)."""
    w = ad.tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)

    def step(x, y):
        loss = ad.nn.functional.cross_entropy(ad.nn.functional.elu(x @ w), y)
        loss.backward()
        return loss
    compiled = ad.compile(step)
    x, y = np.random.default_rng(1).standard_normal((6, 4)), np.array([0, 1, 2, 0, 1, 2])
    got = [float(compiled(x, y).data) for _ in range(2)]
    w.grad = None
    assert got[0] == got[1] == float(step(x, y).data)


def test_ad_tensor_copies_in_another_thread_while_a_trace_runs():
    import threading
    w = ad.tensor(np.ones(3), requires_grad=True)
    inside, release = threading.Event(), threading.Event()
    seen = {}

    @ad.compile
    def step(x):
        loss = (w * x).sum()
        loss.backward()
        inside.set()                    # the first call traces: hold it here
        release.wait(5)
        return loss

    def other_thread():
        inside.wait(5)
        t = ad.tensor([1.0, 2.0, 3.0])
        u = ad.tensor(t)                # a copy, as with no trace running
        u += 10
        seen["t"] = t.data.copy()
        release.set()

    thread = threading.Thread(target=other_thread)
    thread.start()
    step(ad.tensor(np.ones(3)))
    thread.join()
    np.testing.assert_array_equal(seen["t"], [1.0, 2.0, 3.0])


@pytest.mark.parametrize("scales", [(1.0, 2.0), (2.0, 1.0), (2.0, 3.0)])
@pytest.mark.parametrize("loss_name", ["cross_entropy", "mse_loss"])
def test_two_backwards_through_one_graph_with_other_gradients_replay_as_eager(scales,
                                                                              loss_name):
    # cross_entropy has a joint rule (one call gives every input's gradient): a second
    # backward through it, with another upstream gradient, reused the first pass's
    # result in replays (2 g instead of 3 g for backward(); (2 * loss).backward()).
    x = np.array([[0.3, -1.2], [1.0, 0.4], [-0.7, 0.9], [0.2, 0.1]])
    y = np.array([0, 1, 1, 0]) if loss_name == "cross_entropy" else np.ones((4, 2))
    loss_fn = getattr(F, loss_name)

    def make():
        w = ad.nn.Parameter(np.array([[0.5, -0.5], [0.25, 1.0]]))

        def step(x, y):
            w.grad = None
            loss = loss_fn(x @ w, y)
            (scales[0] * loss).backward(retain_graph=True)
            (scales[1] * loss).backward()
            return loss
        return step, w

    (eager, w_eager), (compiled, w) = make(), make()
    compiled = ad.compile(compiled)
    for _ in range(3):
        eager(x, y)
        compiled(x, y)
        assert w.grad.tobytes() == w_eager.grad.tobytes()


def test_an_accuracy_from_tensor_argmax_is_computed_again_at_each_replay():
    # Tensor.argmax / argmin / norm(p=0) computed with NumPy on .data: a compiled step
    # refused them ("an array ... made during the call outside the library").
    def make():
        model = ad.nn.Linear(3, 2, rng=0)
        opt = ad.optim.SGD(model.parameters(), lr=0.5)

        def step(x, y):
            out = model(x)
            loss = F.cross_entropy(out, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return (loss, (out.argmax(1) == y).mean(), out.argmin(dim=1), out.argmax(),
                    out.norm(p=0, dim=1).detach())   # (on the tape, as in PyTorch)
        return step

    eager, compiled = make(), ad.compile(make())
    rng = np.random.default_rng(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.TapeDropWarning)   # (no grad: nothing to drop)
        for _ in range(4):
            x, y = rng.standard_normal((8, 3)), rng.integers(0, 2, 8)
            for a, b in zip(eager(x, y), compiled(x, y)):
                assert a.data.tobytes() == b.data.tobytes() and a.dtype == b.dtype
    assert compiled.traces == 1
