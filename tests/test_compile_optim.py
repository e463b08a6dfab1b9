"""ad.compile replays opt.step() of SGD, Adam and AdamW as one fused pass per
parameter; parameters and optimizer state stay bit-for-bit those of eager steps.
(Under AUTODIFF_JIT=0 the replay calls opt.step() itself; the same tests then check
that path.)"""

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError
from autodiff import kernels
from autodiff.compile.fused_optim import FusedStep
from training_reference import mlp_batches, mlp_training


OPTIMIZERS = {
    "sgd": lambda ps: ad.optim.SGD(ps, lr=0.05),
    "sgd momentum": lambda ps: ad.optim.SGD(ps, lr=0.05, momentum=0.9),
    "sgd momentum dampening decay": lambda ps: ad.optim.SGD(
        ps, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=1e-3),
    "sgd nesterov maximize": lambda ps: ad.optim.SGD(
        ps, lr=0.01, momentum=0.8, nesterov=True, weight_decay=1e-3, maximize=True),
    "adam": lambda ps: ad.optim.Adam(ps, lr=1e-2),
    "adam l2": lambda ps: ad.optim.Adam(ps, lr=1e-2, weight_decay=1e-2, betas=(0.8, 0.99)),
    "adam amsgrad maximize": lambda ps: ad.optim.Adam(ps, lr=1e-3, amsgrad=True,
                                                      maximize=True),
    "adamw": lambda ps: ad.optim.AdamW(ps, lr=1e-2),
    "adamw no decay": lambda ps: ad.optim.AdamW(ps, lr=1e-2, weight_decay=0.0),
}


def _setup(kind, dtype):
    return mlp_training(OPTIMIZERS[kind], dtype)


def _state_bytes(opt):
    return {k: np.asarray(v).tobytes() for k, v in opt.state_dict().items()}


def _fused_step(compiled):
    steps = [i.fn for i in compiled.plan.instrs if isinstance(i.fn, FusedStep)]
    assert len(steps) == 1, compiled.plan
    return steps[0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", sorted(OPTIMIZERS))
def test_100_fused_steps_equal_eager_bitwise(kind, dtype):
    eager_model, eager_opt, eager = _setup(kind, dtype)
    model, opt, step = _setup(kind, dtype)
    compiled = ad.compile(step)
    for i, (xb, yb) in enumerate(mlp_batches(100, dtype)):
        assert eager(xb, yb).data.tobytes() == compiled(xb, yb).data.tobytes(), f"step {i}"
    if kernels.JIT_ENABLED:
        fused = _fused_step(compiled)
        assert fused.fallbacks == 0     # the traced eager step made the state; replays fuse
        assert "(fused)" in str(compiled.plan)
    else:                               # AUTODIFF_JIT=0: the replay calls opt.step() itself
        assert not any(isinstance(i.fn, FusedStep) for i in compiled.plan.instrs)
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert p.data.tobytes() == q.data.tobytes()
    assert _state_bytes(opt) == _state_bytes(eager_opt)
    assert opt._step_count == eager_opt._step_count == 100


@pytest.mark.parametrize("kind", ["sgd momentum dampening decay", "adamw"])
def test_eager_and_compiled_steps_mix_on_one_optimizer(kind):
    reference_model, reference_opt, reference = _setup(kind, np.float64)
    model, opt, step = _setup(kind, np.float64)
    compiled = ad.compile(step)
    for i, (xb, yb) in enumerate(mlp_batches(30, np.float64, seed=3)):
        chosen = step if 10 <= i < 15 or i == 25 else compiled
        assert reference(xb, yb).data.tobytes() == chosen(xb, yb).data.tobytes(), f"step {i}"
    for p, q in zip(reference_model.parameters(), model.parameters()):
        assert p.data.tobytes() == q.data.tobytes()
    assert _state_bytes(opt) == _state_bytes(reference_opt)


def test_a_state_dict_loaded_between_replays_is_used():
    model, opt, step = _setup("adam", np.float64)
    other_model, other_opt, other = _setup("adam", np.float64)
    compiled = ad.compile(step)
    batches = mlp_batches(12, np.float64, seed=5)
    for xb, yb in batches[:6]:
        compiled(xb, yb)
        other(xb, yb)
    saved = opt.state_dict()
    for xb, yb in batches[6:9]:
        compiled(xb, yb)
    opt.load_state_dict(saved)              # back to the state after 6 steps
    for p, q in zip(model.parameters(), other_model.parameters()):
        p.data[...] = q.data
    for xb, yb in batches[9:]:
        assert compiled(xb, yb).data.tobytes() == other(xb, yb).data.tobytes()
    assert _state_bytes(opt) == _state_bytes(other_opt)


def test_a_learning_rate_set_by_a_scheduler_reaches_the_fused_step():
    def make():
        model, opt, inner = _setup("sgd momentum", np.float32)
        sched = ad.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)

        def step(xb, yb):
            loss = inner(xb, yb)
            sched.step()
            return loss
        return model, opt, step

    eager_model, eager_opt, eager = make()
    model, opt, step = make()
    compiled = ad.compile(step)
    for xb, yb in mlp_batches(12, np.float32, seed=2):
        assert eager(xb, yb).data.tobytes() == compiled(xb, yb).data.tobytes()
    assert opt.param_groups[0]["lr"] == eager_opt.param_groups[0]["lr"] == 0.05 / 16
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert p.data.tobytes() == q.data.tobytes()


def test_a_parameter_without_gradient_falls_back_to_the_optimizer_with_its_warning():
    used = ad.nn.Parameter(np.array([1.0, 2.0]))
    unused = ad.nn.Parameter(np.array([3.0]))
    opt = ad.optim.SGD([used, unused], lr=0.1, momentum=0.5)

    @ad.compile
    def step(x):
        opt.zero_grad()
        (used * x).sum().backward()
        opt.step()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            step(np.array([1.0, 1.0]))
    assert any(issubclass(w.category, ad.optim.NoGradientWarning) for w in caught)
    assert np.array_equal(unused.data, [3.0])
    # momentum 0.5, gradient 1: steps of 0.1, 0.15, 0.175
    assert np.allclose(used.data, np.array([1.0, 2.0]) - 0.425)
    if kernels.JIT_ENABLED:
        assert _fused_step(step).fallbacks == 2     # every replay: `unused` has no .grad


def test_a_subclass_of_an_optimizer_keeps_its_own_update():
    class Halving(ad.optim.SGD):
        def _update(self, data, grad, state, group):
            data -= 0.5 * grad

    w = ad.nn.Parameter(np.array([4.0]))
    opt = Halving([w], lr=1.0)

    @ad.compile
    def step(x):
        opt.zero_grad()
        (w * x).sum().backward()
        opt.step()

    for _ in range(3):
        step(np.array([2.0]))
    assert np.array_equal(w.data, [1.0])
    assert not any(isinstance(i.fn, FusedStep) for i in step.plan.instrs)


@pytest.mark.parametrize("lr", [np.float64(0.02), np.float32(0.02), 0.02])
def test_a_learning_rate_of_any_number_type_gives_the_eager_result(lr):
    eager_model, eager_opt, eager = _setup("sgd momentum", np.float32)
    model, opt, step = _setup("sgd momentum", np.float32)
    compiled = ad.compile(step)
    for i, (xb, yb) in enumerate(mlp_batches(8, np.float32, seed=9)):
        if i == 3:
            eager_opt.param_groups[0]["lr"] = opt.param_groups[0]["lr"] = lr
        assert eager(xb, yb).data.tobytes() == compiled(xb, yb).data.tobytes(), f"step {i}"
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert p.data.tobytes() == q.data.tobytes()


@pytest.mark.parametrize("kind,change", [
    ("sgd", lambda group, state: group.update(momentum=0.9)),      # a buffer now needed
    ("sgd momentum", lambda group, state: group.update(nesterov=True)),
    ("adam", lambda group, state: group.update(amsgrad=True)),      # a third state array
    ("adam", lambda group, state: group.update(betas=(0.5, 0.9))),
    ("adam", lambda group, state: state.update(exp_avg=state["exp_avg"] * 0.5)),
    ("adam", lambda group, state: state.update(step=state["step"].copy())),
    ("adam", "new group"),
    ("sgd momentum", "new group"),
    ("sgd", "new array"),
    ("adam", "new array"),
])
def test_a_setting_or_state_array_changed_between_replays_is_used(kind, change):
    # The fused step keeps each parameter's prepared work while the objects it was made
    # from stay the same; any change among them makes it again (or falls back).
    eager_model, eager_opt, eager = _setup(kind, np.float64)
    model, opt, step = _setup(kind, np.float64)
    compiled = ad.compile(step)
    for i, (xb, yb) in enumerate(mlp_batches(8, np.float64, seed=3)):
        if i == 4:
            for o in (eager_opt, opt):
                if change == "new group":       # a new dict in the list, another lr
                    o.param_groups[0] = dict(o.param_groups[0], lr=0.003)
                elif change == "new array":     # a parameter's array replaced
                    last = o.param_groups[0]["params"][-1]
                    last.data = last.data.copy()
                else:
                    change(o.param_groups[0], o.state[0])
        assert eager(xb, yb).data.tobytes() == compiled(xb, yb).data.tobytes(), f"step {i}"
    assert _state_bytes(opt) == _state_bytes(eager_opt)
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert p.data.tobytes() == q.data.tobytes()


@pytest.mark.parametrize("kind", ["sgd", "adam", "adamw"])
@pytest.mark.parametrize("lr", [-0.5, float("nan")])
def test_a_learning_rate_set_below_zero_after_tracing_is_refused_as_eagerly(kind, lr):
    model, opt, step = _setup(kind, np.float64)
    compiled = ad.compile(step)
    batches = mlp_batches(3, np.float64)
    for xb, yb in batches[:2]:
        compiled(xb, yb)
    before = [p.data.copy() for p in model.parameters()]
    opt.param_groups[0]["lr"] = lr          # (a scheduler's lambda, or by hand)
    with pytest.raises(ValueError, match="learning rate must be >= 0"):
        compiled(*batches[2])
    for p, b in zip(model.parameters(), before):    # nothing was updated
        assert np.array_equal(p.data, b)


def test_a_fused_kernel_that_fails_mid_step_leaves_the_rest_to_the_numpy_code(monkeypatch):
    from autodiff.optim import fused
    if not kernels.JIT_ENABLED or fused.load() is False:
        pytest.skip("AUTODIFF_JIT=0 or no Numba: the replay calls opt.step() itself")
    eager_model, eager_opt, eager = _setup("adam", np.float64)
    model, opt, step = _setup("adam", np.float64)
    compiled = ad.compile(step)
    batches = mlp_batches(3, np.float64)
    for xb, yb in batches[:2]:
        eager(xb, yb)
        compiled(xb, yb)
    real = fused.load()
    calls = []

    class FailsOnSecond:
        def adam_update(self, *args):
            calls.append(1)
            if len(calls) == 2:
                raise OSError("the cache is read-only")
            real.adam_update(*args)

    monkeypatch.setattr(fused, "_module", FailsOnSecond())
    with pytest.warns(RuntimeWarning, match="NumPy code runs instead"):
        compiled(*batches[2])
    eager(*batches[2])
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert p.data.tobytes() == q.data.tobytes()     # each updated once, as eager
    assert _state_bytes(opt) == _state_bytes(eager_opt)


def test_adam_scalars_shared_in_a_step_follow_each_parameters_count_group_and_dtype():
    """Within one replayed step the fused update computes Adam's scalars once per
    (step count, group, dtype): parameters of one group at different step counts, a
    float32 one among float64 ones, and a second group must each get their own."""
    def make():
        a = ad.nn.Parameter(np.linspace(-1.0, 1.0, 6))
        lagging = ad.nn.Parameter(np.linspace(1.0, 2.0, 4))
        single = ad.nn.Parameter(np.linspace(0.5, 1.5, 3).astype(np.float32))
        c = ad.nn.Parameter(np.linspace(0.0, 1.0, 5))
        opt = ad.optim.Adam([{"params": [a, lagging, single]},
                             {"params": [c], "lr": 0.2, "betas": (0.5, 0.9)}], lr=0.1)

        def step(x, with_lagging):
            loss = (a * x[:6]).sum() ** 2 + (c * x[:5]).sum() + (single * single).sum()
            if with_lagging:
                loss = loss + (lagging * x[:4]).sum() ** 2
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return (a, lagging, single, c), opt, step

    rng = np.random.default_rng(5)
    xs = [rng.normal(size=6) for _ in range(15)]
    eager_params, eager_opt, eager = make()
    params, opt, step = make()
    compiled = ad.compile(lambda x: step(x, True))
    with warnings.catch_warnings():     # 'lagging' gets no gradient: its count stays behind
        warnings.simplefilter("ignore", ad.NoGradientWarning)
        for x in xs[:3]:
            eager(x, False)
            step(x, False)
    for x in xs[3:]:
        assert eager(x, True).data.tobytes() == compiled(x).data.tobytes()
    counts = [int(s["step"]) for s in opt.state]
    assert counts == [15, 12, 15, 15]
    for p, q in zip(eager_params, params):
        assert p.data.dtype == q.data.dtype and p.data.tobytes() == q.data.tobytes()
    assert _state_bytes(opt) == _state_bytes(eager_opt)
    if kernels.JIT_ENABLED:
        assert _fused_step(compiled).fallbacks == 0


def test_a_hyperparameter_assigned_inside_the_step_is_refused_while_tracing():
    w = ad.nn.Parameter(np.ones(3))
    opt = ad.optim.SGD([w], lr=0.1)

    @ad.compile
    def set_from_argument(x, lr):
        opt.param_groups[0]["lr"] = lr
        opt.zero_grad()
        (w * x).sum().backward()
        opt.step()

    @ad.compile
    def decay_after_step(x):
        opt.zero_grad()
        (w * x).sum().backward()
        opt.step()
        opt.param_groups[0]["lr"] *= 0.5

    with pytest.raises(TraceError, match=r"set SGD\.param_groups\[0\]\['lr'\] \(0\.1 -> 0\.05\) "
                                         r"before SGD\.zero_grad at .*a replay would not repeat"):
        set_from_argument(np.ones(3), 0.05)
    opt.param_groups[0]["lr"] = 0.1
    with pytest.raises(TraceError, match=r"\['lr'\] \(0\.1 -> 0\.05\) by the end of the call"):
        decay_after_step(np.ones(3))
    opt.param_groups[0]["lr"] = 0.1             # (the refused trace ran once, as eager)
    sched = ad.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

    @ad.compile
    def scheduled(x):                       # a scheduler's change is replayed: fine
        opt.zero_grad()
        (w * x).sum().backward()
        opt.step()
        sched.step()

    for _ in range(3):
        scheduled(np.ones(3))
    assert opt.param_groups[0]["lr"] == 0.1 * 0.5 ** 3


def test_sgd_updates_of_a_step_are_one_kernel_call_equal_to_eager():
    from autodiff.optim import fused
    if not kernels.JIT_ENABLED or fused.load() is False:
        pytest.skip("AUTODIFF_JIT=0 or no Numba: the replay calls opt.step() itself")
    eager_model, eager_opt, eager = _setup("sgd momentum", np.float32)
    model, opt, step = _setup("sgd momentum", np.float32)
    compiled = ad.compile(step)
    batches = mlp_batches(4, np.float32)
    for xb, yb in batches[:2]:
        eager(xb, yb)
        compiled(xb, yb)
    real = fused.load()
    calls = []

    class Counting:
        def sgd_update_each(self, params, grads, buffers, h):
            calls.append(len(params))
            real.sgd_update_each(params, grads, buffers, h)

        def sgd_update(self, *args):
            calls.append("one")
            real.sgd_update(*args)

    fused._module = Counting()
    try:
        for xb, yb in batches[2:]:
            eager(xb, yb)
            compiled(xb, yb)
    finally:
        fused._module = real
    assert calls == [len(list(model.parameters()))] * 2
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert p.data.tobytes() == q.data.tobytes()
    assert _state_bytes(opt) == _state_bytes(eager_opt)


def test_sgd_updates_with_a_read_only_or_unaligned_array_run_one_call_each():
    from autodiff.compile.fused_optim import _sgd_batch
    h = np.zeros(7, np.float32)
    p, q = np.zeros(3, np.float32), np.zeros(2, np.float32)
    g, read_only = np.ones(3, np.float32), np.ones(2, np.float32)
    read_only.flags.writeable = False
    unaligned = np.zeros(9, np.uint8)[1:].view(np.float32)
    assert not unaligned.flags.aligned

    def work(*arrays):
        return [(("sgd", {}, (a, b, a, h)), a, k) for k, (a, b) in enumerate(arrays)]
    params, grads, buffers, same_h = _sgd_batch(work((p, g), (q, q.copy())))
    assert params == (p, q) and buffers == (p, q) and same_h is h
    assert _sgd_batch(work((p, g), (q, read_only))) is None
    assert _sgd_batch(work((p, g), (unaligned[:2], q))) is None
    assert _sgd_batch(work((p, g))) is None                 # one update: one call anyway
    other = [(("sgd", {}, (q, q, q, h.copy())), q, 1)]
    assert _sgd_batch(work((p, g)) + other) is None         # another group's settings


def test_a_failing_sgd_kernel_leaves_every_update_to_the_numpy_code(monkeypatch):
    from autodiff.optim import fused
    if not kernels.JIT_ENABLED or fused.load() is False:
        pytest.skip("AUTODIFF_JIT=0 or no Numba: the replay calls opt.step() itself")
    eager_model, eager_opt, eager = _setup("sgd momentum", np.float64)
    model, opt, step = _setup("sgd momentum", np.float64)
    compiled = ad.compile(step)
    batches = mlp_batches(3, np.float64)
    for xb, yb in batches[:2]:
        eager(xb, yb)
        compiled(xb, yb)

    class Fails:
        def sgd_update_each(self, *args):
            raise OSError("the cache is read-only")

    monkeypatch.setattr(fused, "_module", Fails())
    with pytest.warns(RuntimeWarning, match="NumPy code runs instead"):
        compiled(*batches[2])
    eager(*batches[2])
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert p.data.tobytes() == q.data.tobytes()     # each updated once, as eager
    assert _state_bytes(opt) == _state_bytes(eager_opt)
