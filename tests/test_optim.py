"""ad.optim: SGD and Adam arithmetic, parameter handling, and the no-gradient warning."""

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

@pytest.mark.parametrize("momentum,weight_decay", [(0.0, 0.0), (0.9, 0.0), (0.5, 0.1)])
def test_sgd_matches_reference(momentum, weight_decay):
    start = [RNG.standard_normal((3, 2)), RNG.standard_normal(2)]
    params = [nn.Parameter(a) for a in start]
    grads = fixed_grads([(3, 2), (2,)], 4)
    run(ad.optim.SGD(params, lr=0.1, momentum=momentum, weight_decay=weight_decay),
        params, grads)
    expected = [a.copy() for a in start]
    bufs = [None, None]
    for step in grads:
        for k, g in enumerate(step):
            d = g + weight_decay * expected[k]
            if momentum:
                bufs[k] = d if bufs[k] is None else momentum * bufs[k] + d
                d = bufs[k]
            expected[k] = expected[k] - 0.1 * d
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p.data, e, rtol=1e-13)


def test_adam_matches_reference():
    start = RNG.standard_normal(5)
    p = nn.Parameter(start)
    grads = fixed_grads([(5,)], 6)
    run(ad.optim.Adam([p], lr=0.01, betas=(0.8, 0.99), eps=1e-6), [p], grads)
    x, m, v = start.copy(), np.zeros(5), np.zeros(5)
    for t, (g,) in enumerate(grads, start=1):
        m = 0.8 * m + 0.2 * g
        v = 0.99 * v + 0.01 * g * g
        m_hat, v_hat = m / (1 - 0.8 ** t), v / (1 - 0.99 ** t)
        x = x - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-6)
    np.testing.assert_allclose(p.data, x, rtol=1e-10)


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


# ----- what params may be ----------------------------------------------------------

def test_params_forms():
    model = nn.MLP([2, 3, 1], rng=0)
    by_list = ad.optim.SGD(list(model.parameters()), lr=0.1)
    by_generator = ad.optim.SGD(model.parameters(), lr=0.1)
    by_pairs = ad.optim.Adam(model.named_parameters())
    by_module = ad.optim.Adam(model)
    assert len(by_list.params) == len(by_generator.params) == len(by_pairs.params) == 4
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
    assert sorted(state) == ["0.exp_avg", "0.exp_avg_sq", "0.step"]
    fresh = ad.optim.Adam([p], lr=0.1)
    fresh.load_state_dict(state)
    assert int(fresh.state[0]["step"]) == 1
    with pytest.raises(KeyError, match="unexpected key '3.exp_avg'"):
        fresh.load_state_dict({"3.exp_avg": np.zeros(3)})
