"""The twenty-first round's features crossed with the rest: ``ad.compile`` certifying
NumPy constants made in the user's other modules (here reached from a lambda written
inside the step, as one gives ``vmap``), ``reset_parameters`` and
``Embedding(_weight=, _freeze=)`` with compile, copies and state dicts,
``ModuleList(None)``, and ``detect_anomaly`` inside ``vmap`` naming the example."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn

SCALE = 2.0                 # a setting the compiled steps below read in a nested lambda

CONSTANTS = """
    import numpy as np

    RATE = 0.5
    SETTINGS = dict(scale=2.0)

    def table():
        return np.array([1.0, 2.0, 3.0]) * SETTINGS["scale"]
"""


STEP = """
    import autodiff as ad
    import {constants} as constants

    def step(rows):
        return ad.vmap(lambda row: row * constants.table())(rows).sum()
"""


@pytest.fixture
def modules(write_modules):
    """``(constants, train)``: a user module making NumPy constants from its own
    settings, and one whose step calls it in a vmapped lambda."""
    loaded = write_modules({"constants": CONSTANTS, "train": STEP})
    return loaded["constants"], loaded["train"]


@pytest.fixture
def constants(modules):
    return modules[0]


# ----- compile: what lambdas written inside the step read ---------------------------------

def _set_scale(value) -> None:
    global SCALE
    SCALE = value


@pytest.mark.parametrize("spelling", ["called lambda", "vmap", "inner def"])
def test_a_global_read_in_a_nested_function_traces_again_when_rebound(spelling):
    def inner_def(t):
        def scaled(r):
            return r * SCALE
        return scaled(t).sum()

    steps = {"called lambda": lambda t: (lambda r: r * SCALE)(t).sum(),
             "vmap": lambda t: ad.vmap(lambda r: r * SCALE)(t.reshape(3, 1)).sum(),
             "inner def": inner_def}
    step = ad.compile(steps[spelling])
    x = ad.tensor(np.ones(3))
    try:
        for scale in (2.0, 2.0, 5.0, 5.0):
            _set_scale(scale)
            assert step(x).item() == 3 * scale          # the replay was 6.0 after the rebinding
        assert step.traces == 2
    finally:
        _set_scale(2.0)


SETTINGS = {"scale": 2.0}


class _Arguments:
    k = 1.0


ARGS = _Arguments()


@pytest.mark.parametrize("spelling", ["dict entry", "object attribute"])
def test_a_setting_inside_a_container_read_in_a_vmapped_lambda_traces_again(spelling):
    steps = {"dict entry": lambda t: ad.vmap(lambda r: r * SETTINGS["scale"])(t).sum(),
             "object attribute": lambda t: ad.vmap(lambda r: r * ARGS.k)(t).sum()}
    step = ad.compile(steps[spelling])
    x = ad.tensor(np.ones((2, 3)))
    try:
        first = step(x).item()
        SETTINGS["scale"], ARGS.k = 5.0, 3.0
        assert step(x).item() == first * (2.5 if spelling == "dict entry" else 3.0)
    finally:
        SETTINGS["scale"] = 2.0
        ARGS.__dict__.pop("k", None)


def _scaled(r):
    return r * SCALE


def test_a_function_a_vmapped_lambda_calls_is_followed_to_the_globals_it_reads():
    step = ad.compile(lambda t: ad.vmap(lambda r: _scaled(r))(t.reshape(3, 1)).sum())
    x = ad.tensor(np.ones(3))
    try:
        assert step(x).item() == 6.0
        _set_scale(3.0)
        assert step(x).item() == 9.0                    # the replay gave 6.0
    finally:
        _set_scale(2.0)


def test_a_module_constant_made_in_a_vmapped_lambda_is_certified_and_followed(modules):
    constants, train = modules
    step = ad.compile(train.step)          # (was refused: made outside the library)
    rows = ad.tensor(np.ones((2, 3)))
    for scale in (2.0, 2.0, 0.5):
        constants.SETTINGS["scale"] = scale
        assert step(rows).item() == float((np.ones((2, 3)) * constants.table()).sum())
    assert step.traces == 2


def test_module_settings_feeding_this_rounds_ops_trace_again_when_changed(constants):
    pad = ad.compile(lambda t: np.pad(t, 1, mode="linear_ramp",
                                      end_values=constants.SETTINGS["scale"]).sum())
    fmax = ad.compile(lambda t: np.fmax.reduce(t, initial=constants.RATE))
    slope = ad.compile(lambda t: ad.gradient(t, spacing=constants.RATE, dim=0)[0].sum())
    x = np.array([1.0, 2.0, 4.0])
    for rate, scale in ((0.5, 2.0), (0.5, 2.0), (4.0, 3.5)):
        constants.RATE, constants.SETTINGS["scale"] = rate, scale
        assert pad(ad.tensor(x)).item() == np.pad(x, 1, mode="linear_ramp",
                                                  end_values=scale).sum()
        assert fmax(ad.tensor(x)).item() == max(4.0, rate)
        assert slope(ad.tensor(x)).item() == np.gradient(x, rate).sum()
    assert (pad.traces, fmax.traces, slope.traces) == (2, 2, 2)


# ----- detect_anomaly inside vmap ---------------------------------------------------------

def _cancelling(x):
    big = ad.exp(x * 1000.0)
    return (big - big).sum()


@pytest.mark.parametrize("transform", ["vmap", "vmap of grad"])
def test_an_inf_minus_inf_inside_vmap_names_the_op_the_inf_and_the_example(transform):
    mapped = ad.vmap(_cancelling if transform == "vmap" else ad.grad(_cancelling))
    with ad.detect_anomaly(), np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(ad.AnomalyError) as caught:
            mapped(ad.tensor([[0.0, 0.1], [1.0, 2.0]]))
    message = str(caught.value)
    assert message.startswith("subtract: the forward pass produced NaN")
    assert "the inf in input a was made by exp" in message
    # (a plain vmap ran the example again on Tensors and did not say which one)
    assert "in example 1 of vmap(" in message


def test_nested_vmaps_name_the_example_of_each_batch():
    mapped = ad.vmap(ad.vmap(_cancelling))
    batch = np.zeros((2, 3, 2))
    batch[1, 2] = [1.0, 2.0]
    with ad.detect_anomaly(), np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(ad.AnomalyError) as caught:
            mapped(ad.tensor(batch))
    lines = str(caught.value).splitlines()
    assert lines[-2].startswith("  in example 2 of vmap(_cancelling)'s batch")
    assert lines[-1].startswith("  in example 1 of vmap(vmap(_cancelling))'s batch")


# ----- reset_parameters -------------------------------------------------------------------

def test_a_compiled_step_replays_with_the_weights_reset_parameters_drew():
    layer = nn.Linear(3, 2, rng=0)
    x = ad.tensor(np.linspace(-1.0, 1.0, 12).reshape(4, 3))

    def step():
        layer.zero_grad()
        loss = (layer(x) ** 2).sum()
        loss.backward()
        return loss.detach()

    compiled = ad.compile(step)
    compiled(), compiled()
    layer.reset_parameters(rng=5)
    replayed = compiled().item()
    grads = [p.grad.copy() for p in layer.parameters()]
    assert replayed == step().item()
    for grad, p in zip(grads, layer.parameters()):
        np.testing.assert_array_equal(grad, p.grad)


def test_reset_parameters_is_refused_while_a_graph_saves_the_weight_and_allowed_after():
    layer = nn.Linear(3, 2, rng=0)
    loss = layer(ad.tensor(np.ones((4, 3)), requires_grad=True)).sum()
    with pytest.raises(RuntimeError, match="Linear.reset_parameters: a parameter is saved"):
        layer.reset_parameters(rng=1)
    loss.backward()
    layer.reset_parameters(rng=1)
    assert np.abs(layer.weight.data).max() <= 1 / np.sqrt(3)


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copy_of_a_reset_layer_holds_its_values_and_resets_on_its_own(how):
    layer = nn.Conv2d(2, 3, 3, rng=0)
    layer.reset_parameters(rng=3)
    twin = copy.deepcopy(layer) if how == "deepcopy" else pickle.loads(pickle.dumps(layer))
    np.testing.assert_array_equal(twin.weight.data, layer.weight.data)
    before = layer.weight.data.copy()
    twin.reset_parameters(rng=4)
    np.testing.assert_array_equal(layer.weight.data, before)
    assert not np.array_equal(twin.weight.data, before)
    state = twin.state_dict()
    layer.load_state_dict(state)
    np.testing.assert_array_equal(layer.weight.data, twin.weight.data)


def test_reset_parameters_keeps_float32_and_the_optimizer_trains_the_same_arrays():
    layer = nn.Linear(4, 3, rng=0).float()
    opt = ad.optim.SGD(layer.parameters(), lr=0.1)
    weight = layer.weight.data
    layer.reset_parameters(rng=2)
    assert layer.weight.data is weight and weight.dtype == np.float32
    layer(ad.tensor(np.ones((2, 4), np.float32))).sum().backward()
    drawn = weight.copy()
    opt.step()
    np.testing.assert_array_equal(weight, drawn - np.float32(0.1) * layer.weight.grad)


# ----- Embedding(_weight=, _freeze=) and ModuleList(None) ---------------------------------

TABLE = np.arange(12.0).reshape(4, 3)


@pytest.mark.parametrize("how", ["deepcopy", "pickle", "state_dict"])
def test_a_frozen_embedding_stays_frozen_through_copies_as_pytorchs(how):
    torch = pytest.importorskip("torch")
    frozen = nn.Embedding(4, 3, _weight=ad.tensor(TABLE), _freeze=True)
    theirs = torch.nn.Embedding(4, 3, _weight=torch.tensor(TABLE), _freeze=True)
    if how == "deepcopy":
        frozen, theirs = copy.deepcopy(frozen), copy.deepcopy(theirs)
    elif how == "pickle":
        frozen, theirs = pickle.loads(pickle.dumps(frozen)), pickle.loads(pickle.dumps(theirs))
    else:
        assert list(frozen.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert frozen.weight.requires_grad is theirs.weight.requires_grad is False
    np.testing.assert_array_equal(frozen.weight.data, theirs.weight.detach().numpy())
    frozen.reset_parameters()
    theirs.reset_parameters()
    assert frozen.weight.requires_grad is theirs.weight.requires_grad is False


def test_a_frozen_embedding_in_a_compiled_step_gives_no_gradient_and_replays():
    frozen = nn.Embedding(4, 3, _weight=ad.tensor(TABLE), _freeze=True)
    scale = ad.tensor(1.5, requires_grad=True)
    ids = ad.tensor(np.array([0, 2, 2]))

    def step():
        scale.grad = None
        loss = (frozen(ids) * scale).sum()
        loss.backward()
        return loss.detach()

    compiled = ad.compile(step)
    for _ in range(3):
        assert compiled().item() == 1.5 * TABLE[[0, 2, 2]].sum()
        assert scale.grad == TABLE[[0, 2, 2]].sum()
    assert frozen.weight.grad is None


def test_embedding_weight_given_with_padding_idx_keeps_the_given_row_as_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.Embedding(4, 3, _weight=ad.tensor(TABLE), padding_idx=0)
    theirs = torch.nn.Embedding(4, 3, _weight=torch.tensor(TABLE), padding_idx=0)
    np.testing.assert_array_equal(ours.weight.data, theirs.weight.detach().numpy())
    ours(ad.tensor(np.array([0, 1, 0]))).sum().backward()
    theirs(torch.tensor([0, 1, 0])).sum().backward()
    np.testing.assert_array_equal(ours.weight.grad, theirs.weight.grad.numpy())


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_an_empty_module_list_copies_and_grows_apart(how):
    empty = nn.ModuleList(None)
    twin = copy.deepcopy(empty) if how == "deepcopy" else pickle.loads(pickle.dumps(empty))
    empty.append(nn.Linear(2, 2))
    assert (len(empty), len(twin)) == (1, 0)
    assert list(empty.state_dict()) == ["0.weight", "0.bias"] and twin.state_dict() == {}


@pytest.mark.parametrize("make", [lambda: nn.Linear(3, 2), lambda: nn.Conv1d(2, 2, 2),
                                  lambda: nn.LayerNorm(3), lambda: nn.Embedding(4, 3)],
                         ids=["Linear", "Conv1d", "LayerNorm", "Embedding"])
def test_reset_parameters_inside_a_compiled_step_is_refused_naming_the_layer(make):
    layer = make()
    x = ad.tensor(np.ones((1, 3)))

    def step():
        layer.reset_parameters()    # (a replay kept the traced draw: the same weights)
        return x.sum()

    with pytest.raises(ad.TraceError, match=f"compile: {type(layer).__name__}.reset_parameters "
                                            "is called at .* inside the compiled function"):
        ad.compile(step)()


def test_batch_norm_reset_inside_a_compiled_step_replays_as_eager_calls():
    x = ad.tensor(np.random.default_rng(0).standard_normal((4, 3)))
    compiled_norm, eager_norm = nn.BatchNorm1d(3), nn.BatchNorm1d(3)

    def step(norm):
        norm.reset_parameters()
        with ad.no_grad():
            return norm(x).sum()

    compiled = ad.compile(lambda: step(compiled_norm))
    for _ in range(3):
        compiled(), step(eager_norm)
        np.testing.assert_array_equal(compiled_norm.running_mean, eager_norm.running_mean)
        assert int(np.asarray(compiled_norm.num_batches_tracked)) == 1


class _Helper:
    factor = 1.5                    # a class default its objects read as self.factor

    def scaled(self, t):
        return (t * self.factor).sum()

    @classmethod
    def class_scaled(cls, t):
        return (t * cls.factor).sum()

    @staticmethod
    def static_scaled(t):
        return (t * _Helper.factor).sum()

    @property
    def doubled(self):
        return 2 * self.factor

    def property_scaled(self, t):
        return (t * self.doubled).sum()

    def weights(self):
        return np.linspace(0.0, 1.0, 3) * self.factor


@pytest.mark.parametrize("spelling", ["bound method", "called in a lambda", "constant"])
def test_a_class_default_a_method_reads_traces_again_when_changed(spelling):
    helper = _Helper()
    steps = {"bound method": helper.scaled,
             "called in a lambda": lambda t: helper.scaled(t),
             "constant": lambda t: (t * helper.weights()).sum()}
    step = ad.compile(steps[spelling])
    x = ad.tensor(np.ones(3))
    expected = (lambda f: 3 * f) if spelling != "constant" else (lambda f: 1.5 * f)
    try:
        for factor in (1.5, 1.5, 2.0):
            _Helper.factor = factor
            assert step(x).item() == expected(factor)   # the replay kept 1.5
        helper.factor = 10.0                            # the object's own, set later
        assert step(x).item() == expected(10.0)
        assert step.traces == 3
    finally:
        _Helper.factor = 1.5


@pytest.mark.parametrize("spelling", ["classmethod", "staticmethod", "partial", "property"])
def test_a_class_setting_read_by_a_class_or_static_method_or_a_partial_traces_again(spelling):
    import functools
    helper = _Helper()
    steps = {"classmethod": lambda t: _Helper.class_scaled(t),
             "staticmethod": lambda t: _Helper.static_scaled(t),
             "partial": functools.partial(_Helper.static_scaled),
             "property": lambda t: helper.property_scaled(t)}
    step = ad.compile(steps[spelling])
    x = ad.tensor(np.ones(3))
    times = 6 if spelling == "property" else 3
    try:
        for factor in (1.5, 1.5, 2.0):
            _Helper.factor = factor
            assert step(x).item() == times * factor     # the replay kept 1.5
        assert step.traces == 2
    finally:
        _Helper.factor = 1.5


def test_module_lists_add_up_to_a_new_list_of_the_same_modules_as_pytorchs():
    torch = pytest.importorskip("torch")
    layers = nn.ModuleList([nn.Linear(2, 2, rng=0)])
    joined = nn.ModuleList(None) + layers + [nn.ReLU()]
    their_joined = (torch.nn.ModuleList(None) + torch.nn.ModuleList([torch.nn.Linear(2, 2)])
                    + [torch.nn.ReLU()])
    assert [type(m).__name__ for m in joined] == [type(m).__name__ for m in their_joined]
    assert joined[0] is layers[0] and len(layers) == 1
    assert list(joined.state_dict()) == list(their_joined.state_dict())
    assert list(copy.deepcopy(joined).state_dict()) == ["0.weight", "0.bias"]


SPACINGS = [1.0, 0.5]
ENDS = [1.0, 2.0]


def test_a_short_list_of_numbers_given_whole_to_this_rounds_ops_traces_again_when_changed():
    x = (np.arange(12.0).reshape(3, 4)) ** 2
    slopes = ad.compile(lambda t: sum(g.sum() for g in ad.gradient(t, spacing=SPACINGS,
                                                                   dim=(0, 1))))
    ramp = ad.compile(lambda t: np.pad(t, 2, mode="linear_ramp", end_values=ENDS).sum())
    try:
        for step in range(3):
            if step == 2:
                SPACINGS[1], ENDS[0] = 2.0, 10.0      # the replays kept 0.5 and 1.0
            assert slopes(ad.tensor(x)).item() == sum(
                g.sum() for g in np.gradient(x, *SPACINGS))
            assert ramp(ad.tensor(x)).item() == np.pad(x, 2, mode="linear_ramp",
                                                       end_values=ENDS).sum()
        assert (slopes.traces, ramp.traces) == (2, 2)
    finally:
        SPACINGS[1], ENDS[0] = 0.5, 1.0




# Longer than the lists a plan checks entry by entry: checked by their whole contents.
PICKS = list(range(20))
WEIGHTS = [0.5] * 20


def test_a_long_list_of_numbers_given_whole_traces_again_when_changed_in_place():
    x = ad.tensor(np.arange(30.0))
    picked = ad.compile(lambda t: t[PICKS].sum())
    weighted = ad.compile(lambda t: (t[:20] * ad.tensor(WEIGHTS)).sum())
    try:
        for step in range(4):
            if step == 2:       # in place: the names hold the same lists (the replays kept
                PICKS[3], WEIGHTS[3] = 25, 2.0      # 190.0 and 95.0 before)
            assert picked(x).item() == x.data[PICKS].sum()
            assert weighted(x).item() == (x.data[:20] * np.array(WEIGHTS)).sum()
        assert (picked.traces, weighted.traces) == (2, 2)
    finally:
        PICKS[3], WEIGHTS[3] = 3, 0.5
