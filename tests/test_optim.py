"""ad.optim: SGD, Adam, AdamW and RMSprop against PyTorch's formulas written out, parameter
groups, saving and resuming bitwise, parameter handling, and the no-gradient warnings."""

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn

RNG = np.random.default_rng(3)


def run(opt, params, grads_per_step):
    for grads in grads_per_step:
        for p, g in zip(params, grads):
            p.grad = g.copy()
        opt.step()


def fixed_grads(shapes, steps):
    return [[RNG.standard_normal(s) for s in shapes] for _ in range(steps)]


# ----- arithmetic against reference implementations ---------------------------------

@pytest.mark.parametrize("kwargs", [
    dict(), dict(momentum=0.9), dict(momentum=0.5, weight_decay=0.1),
    dict(momentum=0.9, dampening=0.3), dict(momentum=0.9, nesterov=True, weight_decay=0.05),
    dict(momentum=0.5, maximize=True)])
def test_sgd_matches_reference(kwargs):
    momentum, dampening = kwargs.get("momentum", 0.0), kwargs.get("dampening", 0.0)
    weight_decay, nesterov = kwargs.get("weight_decay", 0.0), kwargs.get("nesterov", False)
    sign = -1.0 if kwargs.get("maximize") else 1.0
    start = [RNG.standard_normal((3, 2)), RNG.standard_normal(2)]
    params = [nn.Parameter(a) for a in start]
    grads = fixed_grads([(3, 2), (2,)], 4)
    run(ad.optim.SGD(params, lr=0.1, **kwargs), params, grads)
    # PyTorch's update, written out
    expected = [a.copy() for a in start]
    bufs = [None, None]
    for step in grads:
        for k, g in enumerate(step):
            d = sign * g + weight_decay * expected[k]
            if momentum:
                bufs[k] = d if bufs[k] is None else momentum * bufs[k] + (1 - dampening) * d
                d = d + momentum * bufs[k] if nesterov else bufs[k]
            expected[k] = expected[k] - 0.1 * d
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p.data, e, rtol=1e-13, atol=1e-15)


def test_adam_matches_reference():
    start = RNG.standard_normal(5)
    p = nn.Parameter(start)
    grads = fixed_grads([(5,)], 6)
    run(ad.optim.Adam([p], lr=0.01, betas=(0.8, 0.99), eps=1e-6), [p], grads)
    np.testing.assert_allclose(p.data, adam_reference(start, grads, 0.01, 0.8, 0.99, 1e-6),
                               rtol=1e-10)


def adam_reference(start, grads, lr, b1, b2, eps, weight_decay=0.0, amsgrad=False,
                   decoupled=False, maximize=False):
    """PyTorch's Adam / AdamW update, written out (grads: one list [g] per step)."""
    x, m, v, v_max = start.copy(), np.zeros_like(start), np.zeros_like(start), \
        np.zeros_like(start)
    for t, (g,) in enumerate(grads, start=1):
        g = -g if maximize else g
        if decoupled:
            x = x * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        v_max = np.maximum(v_max, v)
        m_hat = m / (1 - b1 ** t)
        v_hat = (v_max if amsgrad else v) / (1 - b2 ** t)
        x = x - lr * m_hat / (np.sqrt(v_hat) + eps)
    return x


@pytest.mark.parametrize("kwargs", [dict(weight_decay=0.1), dict(amsgrad=True),
                                    dict(weight_decay=0.1, amsgrad=True), dict(maximize=True)])
def test_adam_weight_decay_and_amsgrad_match_reference(kwargs):
    start = RNG.standard_normal(4)
    p = nn.Parameter(start)
    # growing then shrinking gradients, so that amsgrad's running maximum matters
    grads = [[s * RNG.standard_normal(4)] for s in (3.0, 2.0, 0.1, 0.1, 0.1, 0.1)]
    run(ad.optim.Adam([p], lr=0.05, **kwargs), [p], grads)
    expected = adam_reference(start, grads, 0.05, 0.9, 0.999, 1e-8, **kwargs)
    np.testing.assert_allclose(p.data, expected, rtol=1e-12)
    if kwargs.get("amsgrad"):   # the maximum changed the result
        plain = adam_reference(start, grads, 0.05, 0.9, 0.999, 1e-8,
                               weight_decay=kwargs.get("weight_decay", 0.0))
        assert np.max(np.abs(plain - expected)) > 1e-6


@pytest.mark.parametrize("kwargs", [dict(), dict(weight_decay=0.3, amsgrad=True)])
def test_adamw_decouples_weight_decay(kwargs):
    start = RNG.standard_normal(4)
    p = nn.Parameter(start)
    grads = fixed_grads([(4,)], 5)
    run(ad.optim.AdamW([p], lr=0.02, **kwargs), [p], grads)
    expected = adam_reference(start, grads, 0.02, 0.9, 0.999, 1e-8, decoupled=True,
                              weight_decay=kwargs.get("weight_decay", 1e-2),
                              amsgrad=kwargs.get("amsgrad", False))
    np.testing.assert_allclose(p.data, expected, rtol=1e-12)
    coupled = adam_reference(start, grads, 0.02, 0.9, 0.999, 1e-8,
                             weight_decay=kwargs.get("weight_decay", 1e-2))
    assert not np.allclose(coupled, expected, rtol=1e-9)      # not Adam's L2


@pytest.mark.parametrize("kwargs", [dict(), dict(alpha=0.9, weight_decay=0.1, momentum=0.9),
                                    dict(centered=True), dict(centered=True, momentum=0.5),
                                    dict(maximize=True)])
def test_rmsprop_matches_reference(kwargs):
    alpha, eps = kwargs.get("alpha", 0.99), 1e-8
    weight_decay, momentum = kwargs.get("weight_decay", 0.0), kwargs.get("momentum", 0.0)
    sign = -1.0 if kwargs.get("maximize") else 1.0
    start = RNG.standard_normal((2, 3))
    p = nn.Parameter(start)
    grads = fixed_grads([(2, 3)], 6)
    run(ad.optim.RMSprop([p], lr=0.01, **kwargs), [p], grads)
    x, sq, avg, buf = start.copy(), np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 3))
    for (g,) in grads:
        g = sign * g + weight_decay * x
        sq = alpha * sq + (1 - alpha) * g * g
        avg = alpha * avg + (1 - alpha) * g
        denom = np.sqrt(sq - avg * avg if kwargs.get("centered") else sq) + eps
        if momentum:
            buf = momentum * buf + g / denom
            x = x - 0.01 * buf
        else:
            x = x - 0.01 * g / denom
    np.testing.assert_allclose(p.data, x, rtol=1e-12)


def test_defaults_are_pytorchs():
    p = nn.Parameter([1.0])
    assert ad.optim.SGD([p]).defaults == dict(lr=1e-3, momentum=0.0, dampening=0.0,
                                              weight_decay=0.0, nesterov=False,
                                              maximize=False, foreach=None,
                                              differentiable=False, fused=None)
    adam = ad.optim.Adam([p]).param_groups[0]
    assert (adam["lr"], adam["betas"], adam["eps"], adam["weight_decay"], adam["amsgrad"]) \
        == (1e-3, (0.9, 0.999), 1e-8, 0.0, False)
    adamw = ad.optim.AdamW([p]).param_groups[0]
    assert (adamw["lr"], adamw["betas"], adamw["eps"], adamw["weight_decay"]) \
        == (1e-3, (0.9, 0.999), 1e-8, 1e-2)
    rms = ad.optim.RMSprop([p]).param_groups[0]
    assert (rms["lr"], rms["alpha"], rms["eps"], rms["weight_decay"], rms["momentum"],
            rms["centered"]) == (1e-2, 0.99, 1e-8, 0.0, 0.0, False)


def test_adam_first_step_moves_each_entry_by_lr():
    p = nn.Parameter([1.0, -3.0, 0.5])
    p.grad = np.array([10.0, -0.001, 2.0])
    ad.optim.Adam([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.9, -2.9, 0.4], rtol=1e-6)


def test_float32_parameters_stay_float32():
    p = nn.Parameter(np.ones(3, dtype=np.float32))
    for opt in (ad.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01),
                ad.optim.Adam([p], lr=0.1, weight_decay=0.01)):
        (p * p).sum().backward()
        opt.step()
        p.grad = None
        assert p.data.dtype == np.float32


def test_step_updates_data_in_place_without_recording():
    model = nn.Linear(2, 1, rng=0)
    w_array = model.weight.data
    opt = ad.optim.SGD(model.parameters(), lr=0.5)
    loss = (model(ad.tensor([[1.0, 2.0]])) ** 2).sum()
    loss.backward()
    before = w_array.copy()
    opt.step()
    assert model.weight.data is w_array and not np.array_equal(w_array, before)
    assert model.weight.is_leaf and model.weight._node is None
    opt.zero_grad()
    assert model.weight.grad is None and model.bias.grad is None


def test_read_only_parameter_is_refused_before_anything_changes():
    # A parameter's array is read-only while a live graph still needs its value
    # (step() before backward()); here it is made read-only by hand.
    a, b = nn.Parameter([1.0]), nn.Parameter([2.0])
    a.grad = np.array([1.0])
    b.grad = np.array([1.0])
    b.data.flags.writeable = False
    opt = ad.optim.SGD([a, b], lr=0.1)
    with pytest.raises(RuntimeError, match=r"SGD.step: cannot update parameter .* read-only.*"
                                           r"backward\(\) first"):
        opt.step()
    assert a.data[0] == 1.0 and b.data[0] == 2.0
    b.data.flags.writeable = True
    opt.step()
    np.testing.assert_allclose([a.data[0], b.data[0]], [0.9, 1.9])


def test_usual_loop_forward_backward_step_works():
    model = nn.Linear(2, 1, rng=0)
    opt = ad.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(3):
        loss = (model(ad.tensor([[1.0, 2.0]])) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()              # loss (and its freed graph) is still alive here
        losses.append(loss.item())
    assert losses[2] < losses[1] < losses[0]


def test_hyperparameters_are_validated():
    p = nn.Parameter([1.0])
    with pytest.raises(ValueError, match="SGD: lr must be a finite number >= 0"):
        ad.optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match=r"Adam: betas must be in \[0, 1\)"):
        ad.optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match=r"AdamW: lr must be a finite number >= 0, got -0.1"):
        ad.optim.AdamW([p], lr=-0.1)
    with pytest.raises(ValueError, match=r"RMSprop: parameter group 1: lr must be .* got -1"):
        ad.optim.RMSprop([{"params": [p]}, {"params": [nn.Parameter([2.0])], "lr": -1}])
    with pytest.raises(ValueError, match=r"SGD: nesterov=True needs momentum > 0 and "
                                         r"dampening = 0"):
        ad.optim.SGD([p], lr=0.1, nesterov=True)


# ----- what params may be ----------------------------------------------------------

def test_params_forms():
    model = nn.MLP([2, 3, 1], rng=0)
    by_list = ad.optim.SGD(list(model.parameters()), lr=0.1)
    by_generator = ad.optim.SGD(model.parameters(), lr=0.1)
    by_pairs = ad.optim.Adam(model.named_parameters())
    by_module = ad.optim.Adam(model)
    by_groups = ad.optim.SGD([{"params": model.layers[0].parameters()},
                              {"params": model.layers[1].named_parameters()}], lr=0.1)
    assert len(by_list.params) == len(by_generator.params) == len(by_pairs.params) == 4
    assert by_groups.params == by_list.params
    assert by_pairs.names == by_module.names == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    with pytest.raises(ValueError, match="empty list of parameters"):
        ad.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match=r"item 0 of params .* not a leaf that requires grad"):
        ad.optim.SGD([ad.tensor([1.0])], lr=0.1)
    with pytest.raises(TypeError, match=r"item 0 of params is a ndarray"):
        ad.optim.SGD([np.ones(2)], lr=0.1)
    p = nn.Parameter([1.0])
    with pytest.raises(ValueError, match="appears twice"):
        ad.optim.SGD([p, p], lr=0.1)


# ----- the no-gradient warning -----------------------------------------------------

class Gate(nn.Module):
    """A model with a threshold used only in a comparison, and an unused parameter."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter([2.0])
        self.threshold = nn.Parameter([0.5])
        self.unused = nn.Parameter([7.0])

    def forward(self, x):
        return ad.where(x > self.threshold, x * self.scale, 0.0)


def train_gate(opt_class, steps=3, **kwargs):
    model = Gate()
    opt = opt_class(model.named_parameters(), lr=0.1, **kwargs)
    x = ad.tensor(np.linspace(-1, 1, 9))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(steps):
            loss = (model(x) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model, [w for w in caught if issubclass(w.category, ad.NoGradientWarning)]


@pytest.mark.parametrize("opt_class", [ad.optim.SGD, ad.optim.Adam])
def test_no_gradient_warning_names_the_parameters_once(opt_class):
    model, caught = train_gate(opt_class)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2                           # once each, over three steps
    assert "'threshold'" in messages[0] and "'unused'" in messages[1]
    for text in messages:
        assert f"{opt_class.__name__}.step" in text
        assert "not connected to the loss" in text and "comparison" in text
        assert "where" in text
    np.testing.assert_array_equal(model.threshold.data, [0.5])   # left unchanged
    np.testing.assert_array_equal(model.unused.data, [7.0])
    assert model.scale.data[0] != 2.0                             # the others train
    assert caught[0].filename == __file__                         # points at the caller


def test_no_warning_when_every_parameter_gets_a_gradient():
    model = nn.MLP([2, 4, 1], rng=0)
    opt = ad.optim.Adam(model.parameters(), lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.NoGradientWarning)
        for _ in range(2):
            loss = (model(ad.tensor(RNG.standard_normal((3, 2)))) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()


def test_warning_falls_back_to_position_or_tensor_name():
    a = ad.tensor([1.0], requires_grad=True)
    b = ad.tensor([1.0], requires_grad=True, name="offset")
    (a * 2).sum().backward()
    opt = ad.optim.SGD([a, b], lr=0.1)
    with pytest.warns(ad.NoGradientWarning, match=r"parameter 'offset' \(shape \(1,\)\)"):
        opt.step()
    c = ad.tensor([1.0], requires_grad=True)
    with pytest.warns(ad.NoGradientWarning, match=r"parameter '#1'"):
        ad.optim.SGD([a, c], lr=0.1).step()


def test_warning_class():
    assert issubclass(ad.NoGradientWarning, UserWarning)
    assert ad.NoGradientWarning is ad.optim.NoGradientWarning


def test_optimizer_state_dict_round_trip():
    p = nn.Parameter(RNG.standard_normal(3))
    opt = ad.optim.Adam([p], lr=0.1)
    p.grad = np.ones(3)
    opt.step()
    state = opt.state_dict()
    assert sorted(k for k in state if k.startswith("state.")) == [
        "state.0.exp_avg", "state.0.exp_avg_sq", "state.0.step"]
    assert state["param_groups.0.lr"] == 0.1
    np.testing.assert_array_equal(state["param_groups.0.params"], [0])
    fresh = ad.optim.Adam([p], lr=0.5)
    fresh.load_state_dict(state)
    assert int(fresh.state[0]["step"]) == 1
    assert fresh.param_groups[0]["lr"] == 0.1 and fresh.param_groups[0]["betas"] == (0.9, 0.999)
    assert fresh.param_groups[0]["amsgrad"] is False
    with pytest.raises(KeyError, match="unexpected key 'state.3.exp_avg'"):
        fresh.load_state_dict({"state.3.exp_avg": np.zeros(3)})
    with pytest.raises(KeyError, match="unexpected key 'param_groups.1.lr'"):
        fresh.load_state_dict({"param_groups.1.lr": np.array(0.1)})
    with pytest.raises(ValueError, match="parameter group 0 was saved with a different number"):
        fresh.load_state_dict({"param_groups.0.params": np.arange(2)})


# ----- parameter groups ------------------------------------------------------------

def test_parameter_groups_take_their_own_hyperparameters():
    a, b = nn.Parameter([1.0, 2.0]), nn.Parameter([3.0])
    opt = ad.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5, "momentum": 0.9}],
                       lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert [g["momentum"] for g in opt.param_groups] == [0.0, 0.9]
    assert opt.param_groups[0]["params"] == [a] and opt.param_groups[1]["params"] == [b]
    a.grad, b.grad = np.array([1.0, 1.0]), np.array([1.0])
    opt.step()
    np.testing.assert_allclose(a.data, [0.9, 1.9])
    np.testing.assert_allclose(b.data, [2.5])
    opt.param_groups[0]["lr"] = 1.0                 # mutable, as schedulers need
    opt.step()                                      # b: momentum 0.9 * 1 + 1 = 1.9
    np.testing.assert_allclose(a.data, [-0.1, 0.9])
    np.testing.assert_allclose(b.data, [2.5 - 0.5 * 1.9])


def test_add_param_group_fills_defaults_and_refuses_duplicates():
    a, b = nn.Parameter([1.0]), nn.Parameter([2.0])
    opt = ad.optim.Adam([a], lr=0.1, betas=(0.8, 0.9))
    opt.add_param_group({"params": b, "eps": 1e-3})
    assert opt.param_groups[1]["betas"] == (0.8, 0.9) and opt.param_groups[1]["eps"] == 1e-3
    assert opt.params == [a, b]
    with pytest.raises(ValueError, match=r"Adam: parameter '#0' \(shape \(1,\)\) appears "
                                         r"twice: in parameter group 0 and again in "
                                         r"parameter group 2"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(TypeError, match="Adam.add_param_group: expected a dict"):
        opt.add_param_group([nn.Parameter([0.0])])


def test_group_errors_name_the_class_what_was_expected_and_what_was_got():
    model = nn.MLP([2, 3, 1], rng=0)
    with pytest.raises(ValueError, match=r"AdamW: parameter group 1 has no 'params' key "
                                         r"\(its keys: \['lr'\]\); each group is a dict"):
        ad.optim.AdamW([{"params": model.layers[0].parameters()}, {"lr": 0.1}])
    weight = model.layers[0].weight
    with pytest.raises(ValueError, match=r"SGD: parameter 'layers.0.weight' \(shape \(2, 3\)\) "
                                         r"appears twice: in parameter group 0 and again in "
                                         r"parameter group 1"):
        ad.optim.SGD([{"params": model.named_parameters()},
                      {"params": [("layers.0.weight", weight)]}], lr=0.1)
    with pytest.raises(TypeError, match=r"RMSprop: params mixes parameter groups"):
        ad.optim.RMSprop([{"params": [weight]}, model.layers[0].bias])
    with pytest.raises(TypeError, match=r"SGD: parameter group 0\['params'\] must be an "
                                        r"iterable of Parameters .* got float"):
        ad.optim.SGD([{"params": 1.0}], lr=0.1)


@pytest.mark.parametrize("opt_class", [ad.optim.SGD, ad.optim.Adam, ad.optim.AdamW,
                                       ad.optim.RMSprop, ad.optim.Adagrad])
def test_parameters_method_without_the_call_says_to_call_it(opt_class):
    model = nn.MLP([2, 3, 1], rng=0)
    name = opt_class.__name__
    with pytest.raises(TypeError, match=rf"{name}: params is the method 'parameters' of MLP "
                                        rf"itself, not the parameters; call it: "
                                        rf"{name}\(model.parameters\(\), ...\)"):
        opt_class(model.parameters, lr=0.1)
    with pytest.raises(TypeError, match=rf"{name}: parameter group 0\['params'\] is the method "
                                        r"'named_parameters' of MLP itself"):
        opt_class([{"params": model.named_parameters}], lr=0.1)


# ----- saving and resuming, bitwise -------------------------------------------------

OPTIMIZER_CONFIGS = [
    (ad.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (ad.optim.Adam, dict(lr=0.01, amsgrad=True)),
    (ad.optim.AdamW, dict(lr=0.01)),
    (ad.optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True)),
    (ad.optim.Adagrad, dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
]


@pytest.mark.parametrize("opt_class,kwargs", OPTIMIZER_CONFIGS)
def test_state_dict_round_trip_continues_bitwise(opt_class, kwargs, tmp_path):
    def make():
        model = nn.MLP([2, 5, 3], rng=0)
        groups = [{"params": model.layers[0].parameters()},
                  {"params": model.layers[1].parameters(), "lr": kwargs["lr"] / 2}]
        return model, opt_class(groups, **kwargs)

    X, y = ad.data.spiral(10, 3, seed=2)

    def train(model, opt, steps):
        for _ in range(steps):
            loss = nn.functional.cross_entropy(model(ad.tensor(X)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

    model, opt = make()
    train(model, opt, 4)
    np.savez(tmp_path / "model.npz", **model.state_dict())
    np.savez(tmp_path / "opt.npz", **opt.state_dict())
    opt.param_groups[1]["lr"] *= 0.5                # a schedule changes it, and it is saved
    np.savez(tmp_path / "opt_after.npz", **opt.state_dict())
    train(model, opt, 4)

    resumed, fresh = make()
    with np.load(tmp_path / "model.npz") as state:
        resumed.load_state_dict(state)
    with np.load(tmp_path / "opt_after.npz") as state:
        fresh.load_state_dict(state)
    assert fresh.param_groups[1]["lr"] == opt.param_groups[1]["lr"]
    train(resumed, fresh, 4)
    for (name, a), (_, b) in zip(model.named_parameters(), resumed.named_parameters()):
        assert a.data.tobytes() == b.data.tobytes(), name
    for key, value in opt.state_dict().items():
        assert np.array_equal(value, fresh.state_dict()[key]), key


# ----- step() without backward() -------------------------------------------------------

@pytest.mark.parametrize("opt_class", [ad.optim.SGD, ad.optim.Adam, ad.optim.AdamW,
                                       ad.optim.RMSprop, ad.optim.Adagrad])
def test_step_without_backward_gives_one_warning_asking_for_backward(opt_class):
    model = nn.MLP([2, 3, 1], rng=0)
    opt = opt_class(model.named_parameters(), lr=0.1)
    before = [p.data.copy() for p in model.parameters()]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loss = (model(ad.tensor([[1.0, 2.0]])) ** 2).sum()
        opt.zero_grad()
        opt.step()
        opt.step()
    messages = [str(w.message) for w in caught if issubclass(w.category, ad.NoGradientWarning)]
    assert len(messages) == 1
    assert f"{opt_class.__name__}.step: none of the 4 parameters has a gradient" in messages[0]
    assert "did you call loss.backward()?" in messages[0]
    assert "not connected" not in messages[0]            # does not blame the loss
    assert caught[0].filename == __file__                # the user's line
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.data, b)
    loss.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.NoGradientWarning)
        opt.step()                                       # then training proceeds quietly


def test_partial_gradients_still_name_each_parameter_from_a_subclass():
    class Halving(ad.optim.SGD):
        """A user's optimizer that wraps step(): the warning still points at the caller."""

        def step(self, closure=None):
            return super().step(closure)

    a, b = nn.Parameter([1.0]), nn.Parameter([1.0], name="bias")
    a.grad = np.array([1.0])
    with pytest.warns(ad.NoGradientWarning, match=r"Halving.step: parameter 'bias'") as rec:
        Halving([a, b], lr=0.1).step()
    assert rec[0].filename == __file__


def test_step_closure_is_called_and_its_loss_returned():
    w = nn.Parameter([2.0])
    opt = ad.optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 4.0 and w.data[0] == 1.0


def test_older_flat_state_keys_load_and_zero_grad_can_keep_zeros():
    p = nn.Parameter([1.0, 2.0])
    opt = ad.optim.Adam([p], lr=0.1)
    p.grad = np.ones(2)
    opt.step()
    older = {key[len("state."):]: value for key, value in opt.state_dict().items()
             if key.startswith("state.")}                    # "0.exp_avg", ...
    fresh = ad.optim.Adam([p], lr=0.1)
    fresh.load_state_dict(older)
    assert int(fresh.state[0]["step"]) == 1
    np.testing.assert_array_equal(fresh.state[0]["exp_avg"], opt.state[0]["exp_avg"])
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad, [0.0, 0.0])
    opt.zero_grad()
    assert p.grad is None


def test_load_state_dict_refuses_a_state_saved_with_another_number_of_groups():
    a, b, c = (ad.nn.Parameter(np.ones(2)) for _ in range(3))
    saved = ad.optim.Adam([a, b], lr=0.1)
    a.grad = np.ones(2)
    b.grad = np.ones(2)
    saved.step()
    state = saved.state_dict()
    more_groups = ad.optim.Adam([a, b], lr=0.1)
    more_groups.add_param_group({"params": [c], "lr": 0.5})
    with pytest.raises(ValueError, match="1 parameter group.*has 2"):
        more_groups.load_state_dict(state)       # as PyTorch
    same_groups = ad.optim.Adam([a, b], lr=0.1)
    same_groups.load_state_dict(state)
    same_groups.add_param_group({"params": [c], "lr": 0.5})
    assert same_groups.param_groups[1]["lr"] == 0.5


@pytest.mark.parametrize("lr", [-0.1, float("nan")])
def test_step_refuses_a_learning_rate_set_below_zero_after_the_optimizer_was_made(lr):
    p = nn.Parameter(np.ones(3))
    opt = ad.optim.SGD([p], lr=0.1)
    opt.param_groups[0]["lr"] = lr          # by hand, or by a scheduler
    p.grad = np.ones(3)
    with pytest.raises(ValueError, match=r"param_groups\[0\]\['lr'\] is"):
        opt.step()
    np.testing.assert_array_equal(p.data, np.ones(3))


def test_load_state_dict_refuses_another_optimizers_state():
    p = nn.Parameter(np.ones(3))
    sgd = ad.optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = np.ones(3)
    sgd.step()
    with pytest.raises(KeyError, match="'dampening', 'momentum', 'nesterov', which Adam"):
        ad.optim.Adam([p]).load_state_dict(sgd.state_dict())
    adam = ad.optim.Adam([p])
    S = ad.optim.lr_scheduler
    S.OneCycleLR(adam, max_lr=0.5, total_steps=10)       # adds its keys to the group
    ad.optim.Adam([p]).load_state_dict(adam.state_dict())


def test_schedulers_refuse_a_negative_gamma_and_clip_grad_norm_a_negative_max_norm():
    p = nn.Parameter(np.ones(3))
    opt = ad.optim.SGD([p], lr=0.1)
    S = ad.optim.lr_scheduler
    for make in (lambda: S.StepLR(opt, 1, gamma=-1.0), lambda: S.ExponentialLR(opt, -0.5),
                 lambda: S.MultiStepLR(opt, [1], gamma=-2.0)):
        with pytest.raises(ValueError, match="gamma must be in"):
            make()
    p.grad = np.ones(3)
    with pytest.raises(ValueError, match="max_norm must be >= 0"):
        nn.utils.clip_grad_norm_([p], -1.0)
    np.testing.assert_array_equal(p.grad, np.ones(3))


@pytest.mark.parametrize("data", [None, "1.5", ["1.5"]])
def test_a_parameter_needs_numbers(data):
    with pytest.raises(TypeError, match="Parameter: needs numbers"):
        nn.Parameter(data)


def test_a_copied_or_pickled_optimizer_steps_its_copied_parameters_as_the_original():
    import copy
    import pickle
    model = nn.Linear(2, 2, rng=0)
    opt = ad.optim.Adam(model.parameters(), lr=0.1)
    for p in model.parameters():
        p.grad = np.ones(p.shape)
    opt.step()
    copies = [copy.deepcopy((model, opt)), pickle.loads(pickle.dumps((model, opt)))]
    for m, o in [(model, opt)] + copies:
        for p in m.parameters():
            p.grad = np.full(p.shape, 0.5)
        o.step()                            # a copy's step raised a bare KeyError
    for m, o in copies:
        assert o.params[0] is m.weight and o.names == ["weight", "bias"]
        np.testing.assert_array_equal(m.weight.data, model.weight.data)


def test_a_refused_optimizer_state_changes_no_group():
    a, b, c = (nn.Parameter(np.ones(2)) for _ in range(3))
    opt = ad.optim.SGD([{"params": [a]}, {"params": [b, c]}], lr=0.1)
    with pytest.raises(ValueError, match="parameter group 1 was saved with a different"):
        opt.load_state_dict({"param_groups.0.lr": np.array(0.5),
                             "param_groups.1.params": np.arange(1)})
    assert opt.param_groups[0]["lr"] == 0.1     # group 0 took 0.5 before group 1 was checked
