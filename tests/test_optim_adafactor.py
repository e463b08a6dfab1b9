"""ad.optim.Adafactor: its update against PyTorch's algorithm written out in NumPy (and
against PyTorch itself when installed), factored and unfactored state, a weight and its
transpose stepping alike, defaults, validation, saving (eps1=None through np.savez) and
resuming bitwise, and a compiled training step (the eager step replayed) equal to eager."""

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F

RNG = np.random.default_rng(29)


def adafactor_reference(x, grads, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                        weight_decay=0.0, maximize=False):
    """PyTorch's single-tensor Adafactor in float64, one gradient per step."""
    eps1 = np.finfo(np.float64).eps if eps[0] is None else eps[0]
    eps2 = eps[1]
    row = np.zeros(x.shape[:-1] + (1,)) if x.ndim > 1 else None
    col = np.zeros(x.shape[:-2] + (1,) + x.shape[-1:]) if x.ndim > 1 else None
    variance = np.zeros_like(x)
    for t, g in enumerate(grads, start=1):
        g = -g if maximize else g
        beta = t ** beta2_decay
        alpha = max(eps2, np.sqrt(np.mean(x * x))) * min(lr, 1 / np.sqrt(t))
        x = x * (1 - lr * weight_decay)
        if x.ndim > 1:
            row = (1 - beta) * row + beta * np.mean(g * g, axis=-1, keepdims=True)
            col = (1 - beta) * col + beta * np.mean(g * g, axis=-2, keepdims=True)
            v = row @ col / np.maximum(row.mean(axis=-2, keepdims=True), eps1)
        else:
            variance = (1 - beta) * variance + beta * g * g
            v = variance
        u = g / np.sqrt(np.maximum(v, eps1 * eps1))
        x = x - alpha / max(1.0, np.sqrt(np.mean(u * u)) / d) * u
    return x


CONFIGS = [dict(), dict(lr=0.05, beta2_decay=-0.5, eps=(1e-4, 1e-2), d=1.5),
           dict(lr=0.03, weight_decay=0.1, maximize=True)]


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("kwargs", CONFIGS)
def test_steps_match_the_reference_update(kwargs, shape):
    start = RNG.standard_normal(shape)
    grads = [RNG.standard_normal(shape) * RNG.uniform(0.1, 3.0) for _ in range(10)]
    p = nn.Parameter(start.copy())
    opt = ad.optim.Adafactor([p], **kwargs)
    for g in grads:
        p.grad = g.copy()
        opt.step()
    np.testing.assert_allclose(p.data, adafactor_reference(start, grads, **kwargs),
                               rtol=1e-12, atol=1e-14)
    expected_state = {"step", "row_var", "col_var"} if len(shape) > 1 else {"step", "variance"}
    assert set(opt.state[0]) == expected_state
    if len(shape) > 1:
        assert opt.state[0]["row_var"].shape == shape[:-1] + (1,)
        assert opt.state[0]["col_var"].shape == shape[:-2] + (1,) + shape[-1:]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(5,), (3, 4)])
@pytest.mark.parametrize("kwargs", CONFIGS)
def test_steps_and_state_match_pytorch(kwargs, shape, dtype):
    torch = pytest.importorskip("torch")
    start = RNG.standard_normal(shape).astype(dtype)
    grads = [RNG.standard_normal(shape).astype(dtype) for _ in range(10)]
    p = nn.Parameter(start.copy())
    opt = ad.optim.Adafactor([p], **kwargs)
    t = torch.tensor(start.copy(), requires_grad=True)
    reference = torch.optim.Adafactor([t], **kwargs)
    for g in grads:
        p.grad = g.copy()
        opt.step()
        t.grad = torch.tensor(g.copy())
        reference.step()
    tolerance = dict(rtol=1e-13, atol=1e-15) if dtype == np.float64 else \
        dict(rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(p.data, t.detach().numpy(), **tolerance)
    theirs = reference.state[t]
    assert set(opt.state[0]) == set(theirs)
    for key, value in opt.state[0].items():
        np.testing.assert_allclose(value, theirs[key].numpy(), **tolerance, err_msg=key)


def test_a_matrix_and_its_transpose_take_the_same_steps():
    # (so Linear's (n_in, n_out) weight steps as PyTorch's (out, in) one does)
    start = RNG.standard_normal((3, 5))
    p, q = nn.Parameter(start.copy()), nn.Parameter(start.T.copy())
    first, second = ad.optim.Adafactor([p]), ad.optim.Adafactor([q])
    for _ in range(6):
        g = RNG.standard_normal((3, 5))
        p.grad, q.grad = g.copy(), g.T.copy()
        first.step()
        second.step()
    np.testing.assert_allclose(p.data, q.data.T, rtol=1e-14)


def test_defaults_and_validation():
    p = nn.Parameter([1.0])
    group = ad.optim.Adafactor([p]).param_groups[0]
    assert {k: v for k, v in group.items() if k != "params"} == dict(
        lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0,
        maximize=False, foreach=None)
    for kwargs, message in ((dict(beta2_decay=0.5), "beta2_decay should be <= 0"),
                            (dict(d=0.5), "clipping threshold d should be >= 1"),
                            (dict(eps=(-1.0, 1e-3)), "eps1 must be None or a number >= 0"),
                            (dict(eps=1e-3), r"eps must be a pair \(eps1 or None, eps2\)"),
                            (dict(lr=-1.0), "lr must be a finite number >= 0")):
        with pytest.raises(ValueError, match=f"Adafactor: {message}"):
            ad.optim.Adafactor([p], **kwargs)


def test_defaults_are_pytorchs_own():
    torch = pytest.importorskip("torch")
    theirs = torch.optim.Adafactor([torch.zeros(1, requires_grad=True)]).defaults
    ours = ad.optim.Adafactor([nn.Parameter([1.0])]).defaults
    assert {k: v for k, v in theirs.items() if k in ours} == ours


def _model_and_optimizer():
    model = nn.MLP([2, 5, 3], rng=0)
    groups = [{"params": model.layers[0].parameters()},
              {"params": model.layers[1].parameters(), "lr": 0.02, "eps": (1e-4, 1e-3)}]
    return model, ad.optim.Adafactor(groups, weight_decay=1e-3)


def _train(model, opt, steps):
    X, y = ad.data.spiral(10, 3, seed=2)
    for _ in range(steps):
        loss = F.cross_entropy(model(ad.tensor(X)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()


def test_state_dict_round_trip_through_savez_continues_bitwise(tmp_path):
    model, opt = _model_and_optimizer()
    _train(model, opt, 4)
    np.savez(tmp_path / "model.npz", **model.state_dict())
    np.savez(tmp_path / "opt.npz", **opt.state_dict())
    _train(model, opt, 4)
    resumed, fresh = _model_and_optimizer()
    with np.load(tmp_path / "model.npz") as state:         # (no pickle: eps1 None as nan)
        resumed.load_state_dict(state)
    with np.load(tmp_path / "opt.npz") as state:
        fresh.load_state_dict(state)
    assert fresh.param_groups[0]["eps"] == (None, 1e-3)
    assert fresh.param_groups[1]["eps"] == (1e-4, 1e-3)
    _train(resumed, fresh, 4)
    for a, b in zip(model.parameters(), resumed.parameters()):
        assert a.data.tobytes() == b.data.tobytes()
    wrong = opt.state_dict()
    wrong["state.0.row_var"] = np.zeros((3, 1))                 # the weight is (2, 5)
    with pytest.raises(ValueError, match=r"'state.0.row_var' has shape \(3, 1\) but "
                                         r"parameter 'layers.0.weight' has shape \(2, 5\)"):
        fresh.load_state_dict(wrong)


def test_a_parameter_without_gradient_is_left_alone_with_a_warning():
    used, unused = nn.Parameter([1.0, 2.0]), nn.Parameter([3.0], name="offset")
    opt = ad.optim.Adafactor([used, unused])
    used.grad = np.array([1.0, -1.0])
    with pytest.warns(ad.NoGradientWarning, match="Adafactor.step: parameter 'offset'"):
        opt.step()
    assert unused.data[0] == 3.0 and opt.state[1] == {}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_compiled_training_step_equals_eager_bitwise(dtype):
    def training():
        model = nn.MLP([5, 12, 3], rng=0)
        for p in model.parameters():
            p.data = p.data.astype(dtype)
        opt = ad.optim.Adafactor(model.parameters(), lr=0.05)

        def step(xb, yb):
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return model, opt, step

    eager_model, eager_opt, eager = training()
    model, opt, step = training()
    compiled = ad.compile(step)
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for i in range(12):
            xb, yb = rng.normal(size=(16, 5)).astype(dtype), rng.integers(0, 3, size=16)
            assert eager(xb, yb).data.tobytes() == compiled(xb, yb).data.tobytes(), i
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert p.data.tobytes() == q.data.tobytes()
    assert int(opt.state[0]["step"]) == int(eager_opt.state[0]["step"]) == 12
