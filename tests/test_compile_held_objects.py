"""The user's objects a compiled step reaches through a plain list, tuple or dict it
names (``for m in self.blocks_list: x = m(x)``, ``heads[k](x)``, an ensemble ``for
model in models``): their constants and settings are followed as for an object named
directly, so a step replays as eager execution does, bit for bit unfused, and a
setting changed, an entry replaced, an object appended or the container rebound
between calls traces again; so does a setting of a plain object read in a loop over
its list or dict (``for c in CONFIGS: x = x * c.scale``).  A function the step runs
without reaching it by name (through a dict of functions, say) makes no constant of
the plan: refused, naming the function, the line and what to write, where its
settings were replayed stale."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError


class Scale:
    """A plain callable object with a setting and a NumPy constant made from it."""

    def __init__(self, k):
        self.k = k

    def __call__(self, x):
        return x * np.full(3, self.k) + self.k


class Gain:
    """A plain callable reading its setting as a Python number only."""

    def __init__(self, k):
        self.k = k

    def __call__(self, x):
        return x * self.k


class Member(ad.nn.Module):
    """A model of an ensemble: a weight, a setting and a constant."""

    def __init__(self, seed):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.w = ad.nn.Parameter(ad.tensor(rng.normal(size=3)))
        self.temperature = 1.0

    def forward(self, x):
        return ad.tanh(x * self.w / self.temperature) * np.linspace(0.5, 1.5, 3)


class Net(ad.nn.Module):
    """A layer, then the objects of a plain list attribute, one after another."""

    def __init__(self):
        super().__init__()
        self.w = ad.nn.Parameter(ad.tensor(np.array([0.5, -1.0, 0.25])))
        self.blocks_list = [Scale(2.0), Gain(0.5), Scale(-1.0)]

    def forward(self, x):
        x = x * self.w
        for m in self.blocks_list:
            x = m(x)
        return x


def net_step():
    model = Net()
    opt = ad.optim.SGD(model.parameters(), lr=0.01)

    def step(x):
        opt.zero_grad()
        loss = (model(x) ** 2).sum()
        loss.backward()
        opt.step()
        return loss
    return step, model


def compare(make, changes, params):
    """``make()`` (a step and what it trains) compiled unfused and an eager twin, called
    once per entry of ``changes`` (a function of both made things run before the call,
    or None), comparing the loss, and the gradients and values of ``params(made)`` bit
    for bit (NumPy's own ops on float64); the compiled function."""
    step, made = make()
    eager, eager_made = make()
    compiled = ad.compile(step, fuse=False)
    rng = np.random.default_rng(3)
    for change in changes:
        if change is not None:
            change(made, eager_made)
        x = rng.normal(size=3)
        expected, got = eager(ad.tensor(x)), compiled(x)
        np.testing.assert_array_equal(got.data, expected.data)
        for p, q in zip(params(made), params(eager_made)):
            np.testing.assert_array_equal(p.grad, q.grad)
            np.testing.assert_array_equal(p.data, q.data)
    return compiled


def net_params(model):
    return [model.w]


def test_objects_in_a_plain_list_attribute_replay_as_eager():
    assert compare(net_step, [None] * 5, net_params).traces == 1


@pytest.mark.parametrize("what", ["constant's setting", "number's setting", "entry replaced",
                                  "appended", "list rebound", "tuple rebound"])
def test_a_list_of_objects_changed_between_calls_traces_again(what):
    def change(model, eager_model):
        for m in (model, eager_model):
            if what == "constant's setting":
                m.blocks_list[0].k = 3.0        # (np.full(3, self.k) in Scale)
            elif what == "number's setting":
                m.blocks_list[1].k = 2.0        # (x * self.k in Gain)
            elif what == "entry replaced":
                m.blocks_list[2] = Gain(4.0)
            elif what == "appended":
                m.blocks_list.append(Scale(0.5))
            elif what == "list rebound":
                m.blocks_list = [Gain(0.25)]
            else:
                m.blocks_list = (Scale(1.5), Gain(-1.0))
    assert compare(net_step, [None, None, change, None], net_params).traces == 2


HEADS = {"a": Scale(2.0), "b": Gain(3.0)}


def heads_step():
    w = ad.tensor(np.array([1.0, 2.0, -0.5]), requires_grad=True)
    opt = ad.optim.SGD([w], lr=0.05)

    def step(x):
        opt.zero_grad()
        loss = 0
        for key in ("a", "b"):
            loss = loss + (HEADS[key](x * w) ** 2).mean()
        loss.backward()
        opt.step()
        return loss
    return step, w


@pytest.mark.parametrize("what", [None, "setting", "entry replaced", "entry added"])
def test_objects_in_a_dict_of_heads_replay_and_see_changes(what):
    saved = dict(HEADS)

    def change(w, eager_w):
        if what == "setting":
            HEADS["a"].k = -2.0
        elif what == "entry replaced":
            HEADS["b"] = Scale(0.5)
        elif what == "entry added":
            HEADS["c"] = Gain(1.0)              # (not called: still another dict)
    try:
        compiled = compare(heads_step, [None, None, change, None], lambda w: [w])
    finally:
        HEADS.clear()
        HEADS.update(saved)
        HEADS["a"].k = 2.0
    assert compiled.traces == (1 if what is None else 2)


def ensemble_step():
    models = [Member(seed) for seed in range(3)]
    params = [p for m in models for p in m.parameters()]
    opt = ad.optim.Adam(params, lr=0.01)
    y = np.array([0.5, -0.5, 0.25])

    def step(x):
        opt.zero_grad()
        loss = 0
        for model in models:
            loss = loss + ad.nn.functional.mse_loss(model(ad.tensor(x)), ad.tensor(y))
        loss.backward()
        opt.step()
        return loss
    return step, models


def ensemble_params(models):
    return [m.w for m in models]


@pytest.mark.filterwarnings("ignore:Adam.step")
@pytest.mark.parametrize("what", [None, "setting", "model replaced"])
def test_an_ensemble_in_a_list_replays_as_eager_and_sees_changes(what):
    def change(models, eager_models):
        for ms in (models, eager_models):
            if what == "setting":
                ms[1].temperature = 2.0
            elif what == "model replaced":
                ms[2] = Member(9)               # (the optimizer keeps the old one's weight)
    changes = [None] * 3 + [change] + [None] * 3
    compiled = compare(ensemble_step, changes, ensemble_params)
    assert compiled.traces == (1 if what is None else 2)


SHIFT = 1.0


def shifted(x):
    return x + np.full(3, SHIFT)


FUNCTIONS = {"shift": shifted}


def test_a_constant_made_in_a_function_not_reached_by_name_is_refused():
    # (``FUNCTIONS["shift"]`` is a function in a dict: not followed, so SHIFT is not
    # among the plan's checks; its np.full was taken as a constant and replayed stale)
    step = ad.compile(lambda x: (FUNCTIONS["shift"](x) ** 2).sum(), fuse=False)
    with pytest.raises(TraceError) as caught:
        step(np.ones(3))
    message = str(caught.value)
    assert "in shifted()" in message and "without reaching it by name" in message
    assert f"{__name__.rpartition('.')[2]}.py:" in message
    assert "pass it in" in message


class Config:
    """A plain object of settings, not called: read in a loop over its container."""

    def __init__(self, scale):
        self.scale = scale


CONFIGS = [Config(2.0), Config(3.0)]
CONFIG_TABLE = {"a": Config(0.5), "b": Config(-1.5)}


def scaled_by_list(x):
    for config in CONFIGS:
        x = x * config.scale
    return (x ** 2).sum()


def scaled_by_table(x):
    for key in CONFIG_TABLE:
        x = x * CONFIG_TABLE[key].scale
    return (x ** 2).sum()


@pytest.mark.parametrize("step, configs", [(scaled_by_list, CONFIGS),
                                           (scaled_by_table, CONFIG_TABLE)])
def test_a_setting_of_a_plain_object_read_in_a_loop_over_its_container_traces_again(
        step, configs):
    first = configs[0] if type(configs) is list else configs["a"]
    compiled = ad.compile(step, fuse=False)
    x = np.array([1.0, -2.0, 0.5])
    try:
        for call in range(4):
            if call == 2:
                first.scale = 4.0       # (the replay multiplied by the traced scale)
            np.testing.assert_array_equal(compiled(x).data, step(ad.tensor(x)).data)
    finally:
        first.scale = 2.0 if type(configs) is list else 0.5
    assert compiled.traces == 2


class Parts:
    """A plain config holding callables: a list of them and one as an attribute."""

    def __init__(self):
        self.blocks = [Gain(2.0), Scale(0.5)]
        self.head = Gain(-1.0)


PARTS = Parts()
GRID = [[Gain(2.0)], [Scale(1.5), Gain(0.5)]]


def through_config(x):
    for block in PARTS.blocks:
        x = block(x)
    return (PARTS.head(x) ** 2).sum()


def through_nested_lists(x):
    for row in GRID:
        for block in row:
            x = block(x)
    return (x ** 2).sum()


@pytest.mark.parametrize("what", ["config list setting", "config list entry",
                                  "config attribute setting", "config attribute rebound",
                                  "nested setting", "nested row replaced",
                                  "nested entry appended"])
def test_objects_held_deeper_in_configs_and_nested_lists_see_changes(what):
    global PARTS, GRID
    saved = PARTS, GRID
    PARTS, GRID = Parts(), [[Gain(2.0)], [Scale(1.5), Gain(0.5)]]
    step = through_config if what.startswith("config") else through_nested_lists
    changes = {
        "config list setting": lambda: setattr(PARTS.blocks[1], "k", 3.0),
        "config list entry": lambda: PARTS.blocks.__setitem__(0, Gain(4.0)),
        "config attribute setting": lambda: setattr(PARTS.head, "k", 2.5),
        "config attribute rebound": lambda: setattr(PARTS, "head", Scale(2.0)),
        "nested setting": lambda: setattr(GRID[1][0], "k", -2.0),
        "nested row replaced": lambda: GRID.__setitem__(0, [Gain(3.0)]),
        "nested entry appended": lambda: GRID[1].append(Gain(5.0)),
    }
    compiled = ad.compile(step, fuse=False)
    x = np.array([1.0, -2.0, 0.5])
    try:
        for call in range(4):
            if call == 2:
                changes[what]()
            np.testing.assert_array_equal(compiled(x).data, step(ad.tensor(x)).data)
    finally:
        PARTS, GRID = saved
    assert compiled.traces == 2


def test_the_reason_to_trace_again_names_what_holds_the_objects():
    from autodiff.compile.captures import why_plan_does_not_fit

    models = [Gain(1.0), Gain(2.0)]
    compiled = ad.compile(lambda x: sum(m(x) for m in models).sum(), fuse=False)
    compiled(np.ones(3))
    assert why_plan_does_not_fit(compiled.plan) is None
    models.append(Gain(3.0))
    assert why_plan_does_not_fit(compiled.plan) == (
        "what models holds changed (list of 2: ['Gain', 'Gain'] -> "
        "list of 3: ['Gain', 'Gain', 'Gain'])")


class Critic:
    """An object whose method, not its call, a step runs: ``critic.loss(x)``."""

    def __init__(self, k):
        self.k = k

    def loss(self, x):
        return ((x - np.full(3, self.k)) ** 2).sum() * self.k


CRITICS = [Critic(1.0), Critic(0.5)]


def critics_loss(x):
    total = 0
    for critic in CRITICS:
        total = total + critic.loss(x)
    return total


@pytest.mark.parametrize("what", [None, "setting", "entry replaced"])
def test_a_method_of_objects_in_a_list_replays_and_sees_changes(what):
    compiled = ad.compile(critics_loss, fuse=False)
    x = np.array([1.0, -2.0, 0.5])
    try:
        for call in range(4):
            if call == 2 and what == "setting":
                CRITICS[0].k = 3.0
            elif call == 2 and what == "entry replaced":
                CRITICS[1] = Critic(2.0)
            np.testing.assert_array_equal(compiled(x).data,
                                          critics_loss(ad.tensor(x)).data)
    finally:
        CRITICS[:] = [Critic(1.0), Critic(0.5)]
    assert compiled.traces == (1 if what is None else 2)


RECORDS = [Config(float(k)) for k in range(1000)]


def first_records(x):
    return (x * RECORDS[0].scale + x * RECORDS[1].scale).sum()


def test_a_long_list_of_records_adds_checks_only_for_the_entries_the_code_names():
    # (a list of more than MOST_OBJECTS_FOLLOWED objects is data: checking each record
    # before every replay would cost more than the step)
    from autodiff.compile.held_objects import MOST_OBJECTS_FOLLOWED

    assert len(RECORDS) > MOST_OBJECTS_FOLLOWED
    compiled = ad.compile(first_records, fuse=False)
    x = np.array([1.0, -2.0, 0.5])
    compiled(x)
    assert len(compiled.plan.settings) + len(compiled.plan.flags) <= 4
    try:
        RECORDS[1].scale = 7.0
        np.testing.assert_array_equal(compiled(x).data, first_records(ad.tensor(x)).data)
    finally:
        RECORDS[1].scale = 1.0
    assert compiled.traces == 2
