"""ad.compile writes results into buffers it allocates once per plan: results stay
those of eager execution bit for bit, and nothing the caller can hold is a buffer."""

import tracemalloc

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile.buffers import MIN_ELEMENTS, plan_buffers
from autodiff.compile.plan import Instr, Plan, Ref, Slot
from autodiff.nn import functional as F

SIZES = (40, 64, 64, 5)         # hidden (batch, 64) results are large enough for buffers


def _setup(kind, dtype):
    model = ad.nn.MLP(list(SIZES), rng=1)
    for p in model.parameters():
        p.data = p.data.astype(dtype)
    if kind == "sgd":
        opt = ad.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    else:
        opt = ad.optim.Adam(model.parameters(), lr=1e-3)

    def step(xb, yb):
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return model, opt, step


def _batch(rng, n, dtype):
    return rng.normal(size=(n, SIZES[0])).astype(dtype), rng.integers(0, SIZES[-1], size=n)


def _buffered(plan):
    return [i for i in plan.instrs if "buffer" in i.extra]


def _shares_a_buffer(array, plan):
    return any(np.shares_memory(array, b) for b in plan.buffers)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_100_buffered_steps_equal_eager_bitwise(kind, dtype):
    rng = np.random.default_rng(0)
    eager_model, _, eager = _setup(kind, dtype)
    model, _, step = _setup(kind, dtype)
    compiled = ad.compile(step)
    for i in range(100):
        xb, yb = _batch(rng, 32, dtype)
        assert eager(xb, yb).data.tobytes() == compiled(xb, yb).data.tobytes(), f"step {i}"
    assert len(_buffered(compiled.plan)) >= 4, compiled.plan
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert p.data.tobytes() == q.data.tobytes()
        assert p.grad.tobytes() == q.grad.tobytes()


def test_buffers_are_shared_by_results_whose_lifetimes_do_not_overlap():
    w = ad.tensor(np.linspace(-1, 1, 64 * 64).reshape(64, 64))

    def f(x):
        h = x
        for _ in range(6):
            h = ad.relu(h @ w + 0.5) * 0.25
        return h.sum(axis=0)

    compiled = ad.compile(f, fuse=False)   # fused loops allocate their results
    x = np.cos(np.arange(32 * 64.0)).reshape(32, 64)
    for _ in range(3):
        assert compiled(x).data.tobytes() == f(ad.tensor(x)).data.tobytes()
    buffered = _buffered(compiled.plan)
    # matmul, add, relu, multiply, six times; but not the last multiply: the returned
    # sum could be a view of what it reads as far as the analysis knows, so it allocates.
    assert len(buffered) == 23
    assert len(compiled.plan.buffers) <= 3      # each value dies two steps later
    for instr in buffered:                      # never an input's own buffer
        reads = {compiled.plan.instrs.index(i) for i in buffered if set(i.outs) &
                 set(instr.reads())}
        for k in reads:
            assert compiled.plan.instrs[k].extra["buffer"] != instr.extra["buffer"]


def test_returned_values_are_fresh_arrays_never_changed_by_a_later_call():
    w = ad.tensor(np.linspace(-1, 1, 50 * 60).reshape(50, 60))

    @ad.compile(fuse=False)       # unfused, so the elementwise results are buffered
    def f(x):
        h = ad.tanh(x @ w)
        flat = (h * 2.0).reshape(-1)                 # a view of a result
        return h, flat, (h + 1.0).sum()

    x1 = np.ones((40, 50))
    x2 = np.full((40, 50), -0.5)
    f(x1)
    h, flat, total = f(x1)                           # a replay
    assert _buffered(f.plan)                        # something is still buffered ...
    for value in (h, flat, total):                   # ... but not what is returned
        assert not _shares_a_buffer(value.data, f.plan)
    kept = h.data.copy(), flat.data.copy()
    h.data[...] = 7.0                                # the caller's arrays are theirs
    h2, flat2, _ = f(x2)
    assert np.array_equal(flat.data, kept[1])       # the next call did not touch them
    expected = np.tanh(x2 @ w.data)
    assert np.array_equal(h2.data, expected)
    assert np.array_equal(flat2.data, (expected * 2.0).reshape(-1))


def test_grads_are_fresh_arrays_the_caller_may_keep_or_change():
    eager_model, _, eager = _setup("sgd", np.float64)
    model, _, step = _setup("sgd", np.float64)
    compiled = ad.compile(step)
    rng = np.random.default_rng(3)
    held = []
    for i in range(6):
        xb, yb = _batch(rng, 32, np.float64)
        eager(xb, yb)
        compiled(xb, yb)
        grads = [p.grad for p in model.parameters()]
        for g in grads:
            assert not _shares_a_buffer(g, compiled.plan)
        held.append([g.copy() for g in grads])
        if i == 3:
            for g in grads:                          # scribble on them: no effect on the next step
                g[...] = np.nan
        for p, q in zip(eager_model.parameters(), model.parameters()):
            assert p.data.tobytes() == q.data.tobytes(), f"step {i}"
    assert all(np.all(np.isfinite(g)) for g in held[-1])


def test_memory_stays_flat_over_many_buffered_steps():
    model, _, step = _setup("adam", np.float32)
    compiled = ad.compile(step)
    rng = np.random.default_rng(0)
    xb, yb = _batch(rng, 32, np.float32)
    for _ in range(20):
        compiled(xb, yb)
    assert _buffered(compiled.plan)
    tracemalloc.start()
    try:
        # The first window fills Python's free lists (freed tuples it keeps for reuse,
        # which tracemalloc counts); a leak keeps growing in the second.
        for _ in range(2000):
            compiled(xb, yb)
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(2000):
            compiled(xb, yb)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 32 * 1024, (before, after)


def test_a_new_batch_size_gets_its_own_buffers_and_eager_results():
    eager_model, _, eager = _setup("sgd", np.float64)
    model, _, step = _setup("sgd", np.float64)
    compiled = ad.compile(step)
    rng = np.random.default_rng(4)
    for n in (32, 48, 32, 17, 48):
        xb, yb = _batch(rng, n, np.float64)
        assert eager(xb, yb).data.tobytes() == compiled(xb, yb).data.tobytes()
    assert compiled.traces == 3
    shapes = {b.shape for plan in compiled.plans.values() for b in plan.buffers}
    assert (32, 64) in shapes and (48, 64) in shapes


def _handmade_plan(kinds):
    """x (input) -> v1 = x + x (bufferable) -> one step of each of ``kinds`` reading v1."""
    shape = (MIN_ELEMENTS,)
    slots = [Slot(0, shape, np.dtype(np.float64), "input"), Slot(1, shape, np.dtype(np.float64))]
    instrs = [Instr("add", "", None, (Ref(0), Ref(0)), {}, (1,))]
    for kind in kinds:
        slots.append(Slot(len(slots), shape, np.dtype(np.float64)))
        instrs.append(Instr(kind, kind, None, (Ref(1),), {}, (len(slots) - 1,)))
    return Plan("handmade", slots, instrs, [(0, 0)], [], ("value", None), [])


def test_steps_of_unknown_kinds_keep_their_inputs_out_of_buffers():
    assert "buffer" in plan_buffers(_handmade_plan(["kernel"])).instrs[0].extra
    assert "buffer" not in plan_buffers(_handmade_plan(["mystery"])).instrs[0].extra


def test_a_value_read_through_a_view_keeps_its_buffer_busy():
    # v1 -> v2 (a rule: may be a view of v1) -> v3 reads v2 late; v1's buffer must stay
    # busy until then, so the add producing v4 in between may not take it.
    shape = (MIN_ELEMENTS,)
    f64 = np.dtype(np.float64)
    slots = [Slot(i, shape, f64, "input" if i == 0 else "computed") for i in range(5)]
    instrs = [Instr("add", "", None, (Ref(0), Ref(0)), {}, (1,)),
              Instr("rule", "view", None, (Ref(1),), {}, (2,)),
              Instr("add", "", None, (Ref(0), Ref(0)), {}, (3,)),
              Instr("add", "", None, (Ref(2), Ref(3)), {}, (4,))]
    plan = plan_buffers(Plan("views", slots, instrs, [(0, 0)], [], ("value", None), []))
    b1, b3, b4 = (plan.instrs[k].extra["buffer"] for k in (0, 2, 3))
    assert len({b1, b3, b4}) == 3


def test_calls_from_several_threads_do_not_share_a_buffer_at_the_same_time():
    import threading

    w = ad.tensor(np.linspace(-1, 1, 64 * 64).reshape(64, 64))

    @ad.compile
    def f(x):
        h = ad.tanh(x @ w) * 3.0
        return (h @ w).sum(axis=1)

    inputs = [np.full((32, 64), v) for v in np.linspace(-1, 1, 8)]
    expected = [f(x).data.copy() for x in inputs]     # the trace, then replays
    assert _buffered(f.plan)
    failures = []

    def work(k):
        for i in range(200):
            j = (k + i) % len(inputs)
            if not np.array_equal(f(inputs[j]).data, expected[j]):
                failures.append((k, i))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


def test_a_replay_that_calls_itself_again_is_refused():
    from autodiff.compile.hooks import replayed

    w = ad.tensor(np.linspace(-1, 1, 64 * 64).reshape(64, 64))

    class Again:
        depth = 0

        @replayed
        def poke(self):
            if f.traces and self.depth == 0:
                self.depth += 1
                try:
                    f(np.ones((32, 64)))
                finally:
                    self.depth -= 1

    again = Again()

    @ad.compile
    def f(x):
        h = ad.tanh(x @ w) * 3.0
        again.poke()
        return (h @ w).sum(axis=1)

    f(np.ones((32, 64)))
    with pytest.raises(RuntimeError, match="called again while its replay was running"):
        f(np.ones((32, 64)))


def test_manual_updates_under_no_grad_read_buffers_and_replay_like_eager():
    def make():
        w = ad.tensor(np.linspace(-1, 1, 64 * 64).reshape(64, 64), requires_grad=True)

        def step(x):
            h = ad.tanh(x @ w)
            loss = (h * h).mean()
            loss.backward()
            with ad.no_grad():
                w.sub_(ad.tensor(w.grad) * 0.1)     # the product goes into a buffer
                w.clamp_(-1.0, 1.5)
            w.grad = None
            return loss, h
        return w, step

    w_eager, eager = make()
    w, step = make()
    step = ad.compile(step, fuse=False)     # bitwise equal to eager: tanh stays NumPy's
    rng = np.random.default_rng(0)
    held = []
    for i in range(12):
        x = rng.normal(size=(32, 64))
        (loss_a, h_a), (loss_b, h_b) = eager(x), step(x)
        assert loss_a.data.tobytes() == loss_b.data.tobytes(), f"step {i}"
        assert h_a.data.tobytes() == h_b.data.tobytes(), f"step {i}"
        held.append((h_b, h_b.data.copy()))
    assert len(_buffered(step.plan)) >= 3, step.plan
    assert w.data.tobytes() == w_eager.data.tobytes()
    assert all(np.array_equal(h.data, kept) for h, kept in held)


def test_a_deep_residual_chain_replays_like_eager():
    # Each gradient rule may return a view of what it reads, so the backward's values
    # may refer to ever more buffers; past a bound those buffers are given up.
    w = ad.tensor(np.linspace(-0.1, 0.1, 64 * 64).reshape(64, 64), requires_grad=True)

    def f(x):
        h = x
        for _ in range(80):
            h = ad.tanh(h @ w) + h
        loss = (h * h).mean()
        w.grad = None
        loss.backward()
        return loss, w.grad

    compiled = ad.compile(f, fuse=False)     # bitwise equal to eager: tanh stays NumPy's
    rng = np.random.default_rng(2)
    for _ in range(3):
        x = rng.normal(size=(32, 64))
        (a, ga), (b, gb) = f(ad.tensor(x)), compiled(x)
        assert a.data.tobytes() == b.data.tobytes()
        assert np.asarray(ga).tobytes() == gb.data.tobytes()
        assert not _shares_a_buffer(gb.data, compiled.plan)
    assert _buffered(compiled.plan)
