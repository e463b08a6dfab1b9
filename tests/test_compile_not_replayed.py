"""Replays run none of a compiled function's Python code, so what that code did once
while tracing warns (ad.NotReplayedWarning), naming where: a tensor the call made and
left in an object the function reaches by name (a list, a dict, a module's
attribute), a number those names reach that the call changed (a counter), a tensor
shown with print."""

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.nn import functional as F


def _calls(step, *args, times=3):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(times):
            step(*args)
    return [w for w in caught if issubclass(w.category, ad.NotReplayedWarning)]


history: list = []


def test_a_loss_appended_to_a_global_list_is_named_at_the_calling_line():
    w = ad.nn.Parameter(np.ones(3))
    history.clear()

    @ad.compile
    def step(x):
        loss = (w * x).sum()
        loss.backward()
        history.append(loss)
        return loss

    found = _calls(step, np.ones(3))
    assert len(found) == 1 and len(history) == 1       # once, at the trace
    assert "history[0]" in str(found[0].message)
    assert "keeps this first call's tensor" in str(found[0].message)
    calling_line = [i for i, line in enumerate(open(__file__), 1)
                    if line.strip() == "step(*args)"]
    assert (found[0].filename, [found[0].lineno]) == (__file__, calling_line)


def test_an_activation_kept_on_a_module_and_a_dict_entry_are_named():
    class Net(ad.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = ad.nn.Linear(3, 2)

        def forward(self, x):
            h = self.fc(x)
            self.fc.last = h             # (for a plot, say)
            return h

    model = Net()
    stats = {}

    @ad.compile
    def step(x, y):
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        stats["loss"] = loss
        return loss

    found = _calls(step, np.ones((4, 3)), np.array([0, 1, 0, 1]))
    messages = [str(w.message) for w in found]
    assert len(messages) == 2
    assert any("(shape (4, 2)) in model.fc.last;" in m for m in messages)
    assert any("(shape ()) in stats['loss'];" in m for m in messages)


def test_an_ordinary_training_step_does_not_warn():
    model = ad.nn.Sequential(ad.nn.Linear(3, 8), ad.nn.ReLU(), ad.nn.Linear(8, 2))
    opt = ad.optim.Adam(model.parameters(), lr=0.01)
    sched = ad.optim.lr_scheduler.StepLR(opt, step_size=2)
    losses = []

    @ad.compile
    def step(x, y):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        return loss

    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.NotReplayedWarning)
        for _ in range(3):
            losses.append(step(np.ones((4, 3)), np.array([0, 1, 0, 1])))   # after the call
    assert len(losses) == 3 and float(losses[0].data) != float(losses[2].data)


@pytest.mark.parametrize("keep", ["detached", "leaf"])
def test_what_a_replay_updates_again_is_not_named_and_a_detached_copy_is(keep):
    kept = []

    def step(x):
        if keep == "leaf":              # a leaf the plan itself uses again at each replay
            h = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
            (h * x).sum().backward()
            kept.append(h)
            return ad.tensor(h.grad) * 1.0
        loss = (x * 2.0).sum()
        kept.append(loss.detach())
        return loss

    found = _calls(ad.compile(step), ad.tensor(np.ones(3)))
    assert len(found) == (1 if keep == "detached" else 0)


steps = 0


def test_a_global_counter_is_named_and_a_modules_counter_carried():
    global steps
    steps = 0

    class Net(ad.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = ad.nn.Linear(3, 2)
            self.calls = 0

        def forward(self, x):
            self.calls += 1
            return self.fc(x)

    model = Net()
    opt = ad.optim.SGD(model.parameters(), lr=0.1)
    sched = ad.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)

    @ad.compile
    def step(x):
        global steps
        steps += 1
        loss = model(x).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()                    # (its counters change at each replay: not named)
        return loss

    found = _calls(step, np.ones((2, 3)))
    messages = sorted(str(w.message) for w in found)
    # (the module's counter, read nowhere else, is carried by each replay)
    assert len(messages) == 1, [m[:150] for m in messages]
    assert messages[0].startswith("compile: step changed steps while tracing (0 -> 1)")
    assert (steps, model.calls, opt.param_groups[0]["lr"]) == (1, 3, 0.1 / 8)


def test_a_number_read_into_a_closure_variable_is_named():
    w = ad.nn.Parameter(np.ones(2))
    opt = ad.optim.SGD([w], lr=0.5)
    sched = ad.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    last_lr = None

    def step(x):
        nonlocal last_lr
        opt.zero_grad()
        (w * x).sum().backward()
        opt.step()
        sched.step()
        last_lr = opt.param_groups[0]["lr"]

    found = _calls(ad.compile(step), np.ones(2))
    assert [str(w.message)[:48] for w in found] == [
        "compile: step changed last_lr while tracing (set"]
    assert last_lr == 0.25 and opt.param_groups[0]["lr"] == 0.0625


def test_a_counter_in_a_dict_or_a_plain_object_deciding_when_to_step_is_named():
    # gradient accumulation: step every second call, counted in a dict entry and an
    # attribute; a replay never counts, so it would never step (eager steps at call 2)
    w = ad.nn.Parameter(np.ones(2))
    opt = ad.optim.SGD([w], lr=0.5)
    state = {"k": 0}

    class Counter:
        def __init__(self):
            self.calls = 0
    counter = Counter()

    def step(x):
        (w * x).sum().backward()
        state["k"] += 1
        counter.calls += 1
        if state["k"] % 2 == 0:
            opt.step()
            opt.zero_grad()

    found = _calls(ad.compile(step), np.ones(2))
    assert sorted(str(w.message)[:52] for w in found) == [
        "compile: step changed counter.calls while tracing (0",
        "compile: step changed state['k'] while tracing (0 ->"]
    assert state["k"] == counter.calls == 1


def test_printing_a_tensor_while_tracing_is_named_once_per_line(capsys):
    w = ad.nn.Parameter(np.ones(3))

    @ad.compile
    def step(x):
        loss = (w * x).sum()
        loss.backward()
        for _ in range(2):
            print("loss", loss)                 # the line named, once
        print(f"{loss} {w}")
        return loss

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for k in range(3):
            step(np.full(3, float(k)))
        print(w, step.plan is not None)         # outside the trace: nothing to say
    found = [w for w in caught if issubclass(w.category, ad.NotReplayedWarning)]
    source = open(__file__).read().splitlines()
    assert [source[w.lineno - 1].strip() for w in found] == [
        'print("loss", loss)                 # the line named, once',
        'print(f"{loss} {w}")']
    assert "shows a tensor of shape () (print, repr or str) while tracing" in str(
        found[0].message)
    assert capsys.readouterr().out.count("loss tensor(") == 2     # the trace's only


class _NumpyRunningMean(ad.nn.Module):
    """A running mean kept with NumPy on .data: a replay does not repeat it."""

    def __init__(self, width):
        super().__init__()
        self.register_buffer("mean", np.zeros(width))

    def forward(self, x):
        self.mean = 0.9 * self.mean + 0.1 * x.data.mean(axis=0)
        return x - self.mean


def test_an_array_stored_in_a_module_or_a_dict_while_tracing_is_warned_of():
    layer = _NumpyRunningMean(3)
    w = ad.tensor(np.ones(3), requires_grad=True)
    stats = {}

    @ad.compile
    def step(x):
        mu = x.data.mean(axis=0)
        stats["mu"] = mu
        loss = (layer(x) * w).sum()
        loss.backward()
        return loss

    with pytest.warns(ad.NotReplayedWarning) as caught:
        step(np.ones((2, 3)))
    text = " ".join(str(w.message) for w in caught)
    assert "stored an array in layer.mean" in text and "stats['mu']" in text


def test_an_array_updated_in_place_under_no_grad_or_optimizer_state_is_not_warned_of():
    running = np.zeros(3)
    w = ad.nn.Parameter(np.ones(3))
    opt = ad.optim.Adam([w], lr=0.1)            # its state is made by the first step

    @ad.compile
    def step(x):
        loss = (w * x).sum()
        with ad.no_grad():
            ad.tensor(running).mul_(0.9).add_(x.mean(axis=0) * 0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.NotReplayedWarning)
        for _ in range(3):
            step(np.ones((2, 3)))
    np.testing.assert_allclose(running, 1 - 0.9 ** 3, rtol=1e-15)
