"""``Module.half()`` (and ``to(np.float16)``) as in PyTorch, and a float16 model's
forward, backward and optimizer step.

Tolerance: float16 keeps 11 significant bits (unit roundoff u = 2**-11).  Two float16
computations of the same value that round in a different order (NumPy's and PyTorch's
kernels, or float16 against float64 rounded at the end) differ by a few u of the
result's scale, so values are compared with ``|a - b| <= 8 u * max|b|`` (about 0.4% of
the largest entry); a result computed in float32 or float64 by mistake is caught by the
dtype checks, a wrong formula by the tolerance.
"""

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn as nn
import autodiff.nn.functional as F

U16 = 2.0 ** -11
TOL = 8 * U16

rng = np.random.default_rng(0)
X16 = rng.standard_normal((8, 3, 6, 6)).astype(np.float16)
Y = rng.integers(0, 5, 8)


def _assert_close16(actual, expected, what):
    actual = np.asarray(actual, np.float64)
    expected = np.asarray(expected, np.float64)
    scale = max(np.abs(expected).max(), 1e-3)
    err = np.abs(actual - expected).max() / scale
    assert err <= TOL, f"{what}: relative error {err:.2e} > {TOL:.2e}"


def _net():
    nn.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(4),
                         nn.Flatten(), nn.Linear(4 * 6 * 6, 5))


# ----- the conversion -------------------------------------------------------------------
def test_half_converts_parameters_gradients_and_float_buffers_in_place():
    net = _net()
    weight = net[0].weight
    opt = ad.optim.SGD(net.parameters(), lr=0.1)
    net(ad.tensor(X16.astype(np.float64))).sum().backward()
    assert net.half() is net
    assert net[0].weight is weight                      # the same Parameter object
    assert all(p.dtype == np.float16 and p.grad.dtype == np.float16
               for p in net.parameters())
    assert net[2].running_mean.dtype == np.float16 and net[2].running_var.dtype == np.float16
    assert net[2].num_batches_tracked.dtype.kind == "i"     # integer buffers stay
    before = weight.data.copy()
    opt.step()                       # the optimizer built before holds the same objects
    assert weight.dtype == np.float16 and not np.array_equal(weight.data, before)


@pytest.mark.parametrize("convert", [lambda m: m.to(np.float16), lambda m: m.to("float16"),
                                     lambda m: m.to(dtype=ad.float16),
                                     lambda m: m.to("cpu", np.float16)])
def test_to_float16_is_half(convert):
    net = convert(_net())
    reference = _net().half()
    for p, q in zip(net.parameters(), reference.parameters()):
        assert p.dtype == np.float16 and np.array_equal(p.data, q.data)


def test_half_then_float_rounds_through_float16():
    net = _net()
    original = net[4].weight.data.copy()
    net.half().float()
    assert net[4].weight.dtype == np.float32
    np.testing.assert_array_equal(net[4].weight.data, original.astype(np.float16))


def test_bfloat16_is_refused_with_what_to_use_instead():
    net = _net()
    with pytest.raises(TypeError, match=r"Sequential.bfloat16: NumPy has no bfloat16.*half\(\)"):
        net.bfloat16()
    with pytest.raises(TypeError, match=r"Sequential.to: NumPy has no bfloat16.*half\(\)"):
        net.to("bfloat16")
    assert net[0].weight.dtype == np.float64                 # nothing was changed


def test_torch_bfloat16_is_refused_too():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="NumPy has no bfloat16"):
        _net().to(torch.bfloat16)


def test_to_float16_is_refused_inside_a_compiled_function():
    net = _net()

    @ad.compile
    def step(x):
        net.half()
        return net(x).sum()

    with pytest.raises(ad.TraceError, match=r"Sequential.to is called at"):
        step(X16)


# ----- a float16 model against float64 on the same float16 numbers ------------------------
def _forward_backward(net, x, y):
    x = ad.tensor(x, requires_grad=True)
    out = net(x)
    loss = F.cross_entropy(out, ad.tensor(y))
    loss.backward()
    return out, loss, x.grad, [p.grad for p in net.parameters()]


def test_float16_model_forward_and_backward_stay_float16_and_match_float64():
    net16 = _net().half()
    net64 = _net().half().double()            # the same float16 weights, in float64
    out, loss, xgrad, grads = _forward_backward(net16, X16, Y)
    out64, loss64, xgrad64, grads64 = _forward_backward(net64, X16.astype(np.float64), Y)
    assert out.dtype == loss.dtype == xgrad.dtype == np.float16
    assert all(g.dtype == np.float16 for g in grads)
    assert net16[2].running_mean.dtype == np.float16       # training-mode update
    _assert_close16(out.data, out64.data, "logits")
    _assert_close16(loss.data, loss64.data, "loss")
    _assert_close16(xgrad, xgrad64, "input gradient")
    for g, g64, (name, _) in zip(grads, grads64, net16.named_parameters()):
        _assert_close16(g, g64, f"gradient of {name}")


ACTIVATIONS = [nn.ReLU(), nn.LeakyReLU(0.1), nn.ELU(), nn.GELU(), nn.SiLU(), nn.Sigmoid(),
               nn.Tanh(), nn.Softplus(), nn.Softmax(1), nn.LogSoftmax(1), nn.MaxPool2d(2),
               nn.AvgPool2d(2), nn.LayerNorm(6)]


@pytest.mark.parametrize("layer", ACTIVATIONS, ids=lambda m: type(m).__name__)
def test_activations_and_pools_in_float16(layer):
    weights = rng.standard_normal(layer.to(np.float64)(ad.tensor(X16, dtype=np.float64)).shape)
    results = []
    for dtype in (np.float16, np.float64):
        layer.to(dtype)
        x = ad.tensor(X16.astype(dtype), requires_grad=True)
        y = layer(x)
        (y * ad.tensor(weights.astype(np.float16).astype(dtype))).sum().backward()
        results.append((y, x.grad))
    (y16, g16), (y64, g64) = results
    assert y16.dtype == g16.dtype == np.float16
    _assert_close16(y16.data, y64.data, "output")
    _assert_close16(g16, g64, "input gradient")


LOSSES = {
    "cross_entropy": lambda z, t: F.cross_entropy(z, ad.tensor(Y)),
    "cross_entropy_smoothed": lambda z, t: F.cross_entropy(z, ad.tensor(Y), label_smoothing=0.1),
    "nll_loss": lambda z, t: F.nll_loss(F.log_softmax(z, 1), ad.tensor(Y)),
    "mse_loss": F.mse_loss,
    "l1_loss": F.l1_loss,
    "smooth_l1_loss": F.smooth_l1_loss,
    "bce_with_logits": lambda z, t: F.binary_cross_entropy_with_logits(z, F.sigmoid(t)),
    "binary_cross_entropy": lambda z, t: F.binary_cross_entropy(F.sigmoid(z), F.sigmoid(t)),
}
Z16 = rng.standard_normal((8, 5)).astype(np.float16)
T16 = rng.standard_normal((8, 5)).astype(np.float16)


@pytest.mark.parametrize("name", list(LOSSES))
def test_losses_in_float16(name):
    results = []
    for dtype in (np.float16, np.float64):
        z = ad.tensor(Z16.astype(dtype), requires_grad=True)
        loss = LOSSES[name](z, ad.tensor(T16.astype(dtype)))
        loss.backward()
        results.append((loss, z.grad))
    (l16, g16), (l64, g64) = results
    assert l16.dtype == g16.dtype == np.float16
    _assert_close16(l16.data, l64.data, "loss")
    _assert_close16(g16, g64, "gradient")


@pytest.mark.parametrize("make", [lambda ps: ad.optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: ad.optim.Adam(ps, lr=1e-2, eps=1e-4),
                                  lambda ps: ad.optim.AdamW(ps, lr=1e-2, eps=1e-4)],
                         ids=["SGD", "Adam", "AdamW"])
def test_optimizer_steps_keep_float16_parameters_and_state(make):
    # (Adam's default eps=1e-8 rounds to 0 in float16: where exp_avg_sq underflows the
    # step divides by zero, in PyTorch's float16 Adam as here; eps=1e-4 is representable.)
    net = _net().half()
    opt = make(net.parameters())
    for _ in range(2):
        opt.zero_grad()
        _forward_backward(net, X16, Y)
        opt.step()
    assert all(p.dtype == np.float16 and np.isfinite(p.data).all() for p in net.parameters())
    assert all(v.dtype == np.float16 for state in opt.state for k, v in state.items()
               if k != "step")


def test_compiled_float16_training_step_replays_the_eager_one_bit_for_bit():
    def train(compiled):
        net = _net().half()
        opt = ad.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)

        def step(x, y):
            loss = F.cross_entropy(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        step = ad.compile(step) if compiled else step
        losses = [step(ad.tensor(X16 * np.float16(k)), ad.tensor(Y)).data for k in (1, 2, 3)]
        return losses, [p.data for p in net.parameters()]

    eager, compiled = train(False), train(True)
    assert all(loss.dtype == np.float16 for loss in compiled[0])
    for a, b in zip(eager[0] + eager[1], compiled[0] + compiled[1]):
        assert a.dtype == b.dtype == np.float16
        np.testing.assert_array_equal(a, b)


# ----- against PyTorch's float16 CPU results ------------------------------------------------
def _torch_net(torch, net):
    tnet = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(),
                               torch.nn.BatchNorm2d(4), torch.nn.Flatten(),
                               torch.nn.Linear(4 * 6 * 6, 5))
    with torch.no_grad():
        for (name, p), q in zip(tnet.named_parameters(), net.parameters()):
            value = q.data.T if name == "4.weight" else q.data      # ours is (in, out)
            p.copy_(torch.tensor(np.ascontiguousarray(value, np.float64)))
    return tnet


def _relative_error(actual, expected):
    expected = np.asarray(expected, np.float64)
    return np.abs(np.asarray(actual, np.float64) - expected).max() / np.abs(expected).max()


@pytest.mark.parametrize("seed", range(4))
def test_float16_gradients_are_as_accurate_as_torch_float16(seed):
    # Both against float64 on the same float16 numbers.  The conv bias gradient sums
    # many BatchNorm input gradients that nearly cancel: it shows how each layer rounds.
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(seed).standard_normal(X16.shape).astype(np.float16)
    net = _net()
    tnet = _torch_net(torch, net).half()
    out, loss, _, grads = _forward_backward(net.half(), x, Y)
    out64, loss64, _, grads64 = _forward_backward(_net().half().double(), x.astype(np.float64), Y)
    tout = tnet(torch.tensor(x))
    torch.nn.functional.cross_entropy(tout, torch.tensor(Y)).backward()
    _assert_close16(out.data, tout.detach().numpy(), "logits against torch's")
    for g, g64, (name, p) in zip(grads, grads64, tnet.named_parameters()):
        ours = _relative_error(g, g64)
        theirs = _relative_error(p.grad.numpy().T if name == "4.weight" else p.grad.numpy(), g64)
        assert ours <= max(theirs, 2 * U16) + 2 * U16, \
            f"gradient of {name}: error {ours / U16:.1f} u, torch's {theirs / U16:.1f} u"


@pytest.mark.parametrize("layer", ["Linear", "F.linear", "Conv2d", "BatchNorm2d",
                                   "LayerNorm", "GroupNorm"])
def test_float16_layers_round_once_as_torch(layer):
    # A float16 product plus bias rounded once: x @ w = 2049 (not a float16), minus 2047.
    x16 = ad.tensor([[1.0, 2.0]], dtype=np.float16)
    if layer == "Linear":
        lin = nn.Linear(2, 1).half()
        lin.weight.data[:] = [[2048.0], [0.5]]
        lin.bias.data[:] = [-2047.0]
        assert lin(x16).data[0, 0] == 2.0
    elif layer == "F.linear":
        w, b = ad.tensor([[2048.0, 0.5]], dtype=np.float16), ad.tensor([-2047.0], dtype=np.float16)
        assert F.linear(x16, w, b).data[0, 0] == 2.0
    elif layer == "Conv2d":
        conv = nn.Conv2d(2, 1, 1).half()
        conv.weight.data[:] = np.array([2048.0, 0.5]).reshape(1, 2, 1, 1)
        conv.bias.data[:] = [-2047.0]
        assert conv(ad.tensor(x16.data.reshape(1, 2, 1, 1))).data.item() == 2.0
    else:
        make = {"BatchNorm2d": lambda: nn.BatchNorm2d(3), "LayerNorm": lambda: nn.LayerNorm(6),
                "GroupNorm": lambda: nn.GroupNorm(3, 3)}[layer]
        norm = make().half()
        y = norm(ad.tensor(X16))
        exact = make().double()(ad.tensor(X16, dtype=np.float64)).data
        assert y.dtype == np.float16
        # one rounding of the float32 result: within an ulp of the exact value
        assert (np.abs(y.data - exact) <= np.spacing(np.abs(exact).astype(np.float16))).all()
        assert all(b.dtype == np.float16 for b in norm.buffers() if b.dtype.kind == "f")


def test_float16_training_step_matches_torch_float16():
    torch = pytest.importorskip("torch")
    net = _net()
    tnet = _torch_net(torch, net).half()
    net.half()
    opt = ad.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(tnet.parameters(), lr=0.1, momentum=0.9)
    for step in range(2):
        opt.zero_grad()
        topt.zero_grad()
        out, loss, _, grads = _forward_backward(net, X16, Y)
        tout = tnet(torch.tensor(X16))
        tloss = torch.nn.functional.cross_entropy(tout, torch.tensor(Y))
        tloss.backward()
        assert tout.dtype == torch.float16 and out.dtype == np.float16
        _assert_close16(out.data, tout.detach().numpy(), f"logits, step {step}")
        _assert_close16(loss.data, tloss.detach().numpy(), f"loss, step {step}")
        for g, (name, p) in zip(grads, tnet.named_parameters()):
            _assert_close16(g.T if name == "4.weight" else g, p.grad.numpy(),
                            f"gradient of {name}, step {step}")
        opt.step()
        topt.step()
    for q, (name, p) in zip(net.parameters(), tnet.named_parameters()):
        assert q.dtype == np.float16
        _assert_close16(q.data.T if name == "4.weight" else q.data, p.detach().numpy(),
                        f"{name} after two steps")
    _assert_close16(net[2].running_var, tnet[2].running_var.numpy(), "running_var")


@pytest.mark.parametrize("optimizer, options", [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-2}),
    ("Adam", {"lr": 1e-2, "eps": 1e-4}), ("AdamW", {"lr": 1e-2, "eps": 1e-4}),
    ("RMSprop", {"lr": 1e-2, "eps": 1e-4})])
def test_float16_optimizer_steps_match_torch_float16(optimizer, options):
    # The same float16 gradients on both sides: Adam's first steps are about lr * sign(g),
    # so gradients that differ by roundoff where they are tiny would move weights apart.
    torch = pytest.importorskip("torch")
    gen = np.random.default_rng(6)
    start = gen.standard_normal((4, 7)).astype(np.float16)
    param = nn.Parameter(start.copy())
    tparam = torch.nn.Parameter(torch.tensor(start))
    opt = getattr(ad.optim, optimizer)([param], **options)
    topt = getattr(torch.optim, optimizer)([tparam], **options)
    for step in range(3):
        grad = (gen.standard_normal(start.shape) * 0.5).astype(np.float16)
        param.grad = grad.copy()
        tparam.grad = torch.tensor(grad)
        opt.step()
        topt.step()
        assert param.dtype == np.float16
        _assert_close16(param.data, tparam.detach().numpy(), f"{optimizer}, step {step}")


def test_float16_batchnorm_in_eval_mode_adds_eps_in_float32():
    # running_var 1e-4 + eps 1e-5: in float16 the sum would round before the square root
    norm = nn.BatchNorm2d(3)
    norm.running_var[:] = [1e-4, 2e-4, 3e-4]
    exact = nn.BatchNorm2d(3)
    exact.running_var[:] = norm.running_var.astype(np.float16)
    x = (X16 * np.float16(0.01)).astype(np.float16)
    y = norm.half().eval()(ad.tensor(x))
    expected = exact.eval()(ad.tensor(x, dtype=np.float64)).data
    assert y.dtype == np.float16
    assert (np.abs(y.data - expected) <= np.spacing(np.abs(expected).astype(np.float16))).all()
