"""``inplace=True`` on the activation functions and layers (``F.relu(x, inplace=True)``,
``nn.ReLU(inplace=True)``, ...), as PyTorch's: the input tensor is changed and
returned, a leaf that requires grad is refused, a backward that needs an overwritten
array refuses, gradients are the out-of-place ones, and compiled steps replay it.

Values are checked against the out-of-place functions (themselves checked against
NumPy formulas and finite differences elsewhere) and finite differences here, and
against PyTorch when it is installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn

# name: (positional arguments after the input, layer class and its arguments)
FLAGGED = {
    "relu": ((), nn.ReLU, ()),
    "relu6": ((), nn.ReLU6, ()),
    "leaky_relu": ((0.2,), nn.LeakyReLU, (0.2,)),
    "elu": ((0.7,), nn.ELU, (0.7,)),
    "selu": ((), nn.SELU, ()),
    "celu": ((2.0,), nn.CELU, (2.0,)),
    "hardtanh": ((-0.5, 1.0), nn.Hardtanh, (-0.5, 1.0)),
    "threshold": ((0.5, -3.0), nn.Threshold, (0.5, -3.0)),
    "hardsigmoid": ((), nn.Hardsigmoid, ()),
    "hardswish": ((), nn.Hardswish, ()),
    "silu": ((), nn.SiLU, ()),
    "mish": ((), nn.Mish, ()),
}
NAMES = sorted(FLAGGED)


def _points(dtype=np.float64):
    x = np.random.default_rng(7).standard_normal(40) * 3
    edges = [-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 40.0, -40.0, np.nan]
    return np.concatenate([x, edges]).astype(dtype)


def _in_place(name, t):
    args = FLAGGED[name][0]
    return getattr(F, name)(t, *args, inplace=True)


def _out_of_place(name, t):
    return getattr(F, name)(t, *FLAGGED[name][0])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_flag_writes_the_input_when_nothing_is_recorded(name, dtype):
    x = _points(dtype)
    expected = _out_of_place(name, ad.tensor(x)).data
    t = ad.tensor(x.copy())
    array = t.data
    assert _in_place(name, t) is t
    assert t.data is array and t.dtype == dtype
    np.testing.assert_array_equal(t.data, expected)
    # a leaf that requires grad is written under no_grad, as an optimizer step is
    leaf = ad.tensor(x.copy(), requires_grad=True)
    with ad.no_grad():
        assert _in_place(name, leaf) is leaf
    np.testing.assert_array_equal(leaf.data, expected)
    assert leaf.requires_grad and leaf.grad is None


@pytest.mark.parametrize("name", NAMES)
def test_flag_on_an_intermediate_is_recorded_with_the_out_of_place_gradient(name):
    x = _points()[:-1]
    weights = np.arange(len(x), dtype=float)
    a = ad.tensor(x, requires_grad=True)
    h = a * 1.0
    assert _in_place(name, h) is h and h.requires_grad
    (h * weights).sum().backward()
    b = ad.tensor(x, requires_grad=True)
    expected = _out_of_place(name, b * 1.0)
    (expected * weights).sum().backward()
    np.testing.assert_array_equal(h.data, expected.data)
    np.testing.assert_array_equal(a.grad, b.grad)


SMOOTH = ["elu", "selu", "celu", "silu", "mish", "leaky_relu", "relu", "hardswish"]


@pytest.mark.parametrize("name", SMOOTH)
@pytest.mark.parametrize("shape", [(), (1,), (3, 1)])
def test_flag_gradients_match_finite_differences_to_second_order(name, shape):
    kinks = {"hardswish": [-3.0, 3.0]}.get(name, [0.0])
    x = np.random.default_rng(2).standard_normal(shape) * 2
    x = np.where(np.min([np.abs(x - k) for k in kinks], axis=0) < 1e-2, 0.37, x)

    def f(u):
        h = u * 1.0
        _in_place(name, h)
        return (h ** 3).sum()

    assert ad.gradcheck(f, [x])
    if name not in ("relu", "leaky_relu"):               # piecewise linear: no curvature
        assert ad.gradcheck(lambda u: (ad.grad(f)(u) ** 2).sum(), [x])


@pytest.mark.parametrize("name", NAMES)
def test_flag_refuses_a_leaf_and_an_overwritten_saved_array(name):
    leaf = ad.tensor([-1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf that requires grad"):
        _in_place(name, leaf)
    with pytest.raises(RuntimeError, match="leaf that requires grad.* For an activation: "
                                           f"pass inplace=False, or call F.{name}, "):
        FLAGGED[name][1](*FLAGGED[name][2], inplace=True)(leaf)
    np.testing.assert_array_equal(leaf.data, [-1.0, 2.0])
    w = ad.tensor([3.0, 4.0], requires_grad=True)
    saved = ad.tensor([-1.0, 2.0])
    loss = (saved * w).sum()                 # multiply keeps `saved` for w's gradient
    _in_place(name, saved)
    with pytest.raises(ad.InPlaceError, match="'multiply' saved its input"):
        loss.backward()
    with pytest.raises(TypeError, match="expected a Tensor to change in place"):
        _in_place(name, np.array([1.0]))


@pytest.mark.parametrize("name", NAMES)
def test_layer_flag_changes_its_input_and_shows_in_the_repr(name):
    args, layer_class, layer_args = FLAGGED[name]
    layer = layer_class(*layer_args, inplace=True)
    assert layer.inplace is True and "inplace=True" in repr(layer) or name in (
        "hardsigmoid", "hardswish")                    # PyTorch does not show it there
    x = _points()
    t = ad.tensor(x.copy())
    assert layer(t) is t
    np.testing.assert_array_equal(t.data, _out_of_place(name, ad.tensor(x)).data)
    plain = layer_class(*layer_args)
    assert plain.inplace is False and "inplace" not in repr(plain)
    u = ad.tensor(x.copy())
    assert plain(u) is not u
    np.testing.assert_array_equal(u.data, x)
    assert layer.state_dict() == {} or name not in ("relu",)


def _torchvision_block(inplace, seed=0):
    ad.nn.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3),
                         nn.ReLU(inplace=inplace), nn.Conv2d(3, 1, 1), nn.SiLU(inplace=inplace))


def test_torchvision_style_block_trains_and_evaluates_as_without_the_flag():
    x = np.random.default_rng(0).standard_normal((2, 2, 4, 4))
    grads = []
    for inplace in (True, False):
        block = _torchvision_block(inplace)
        block(ad.tensor(x)).sum().backward()
        grads.append([p.grad for p in block.parameters()])
        block.eval()
        with ad.no_grad():
            grads[-1].append(block(ad.tensor(x)).data)
        grads[-1].append(block(ad.tensor(x)).data)     # eval in grad mode: recorded
    for ours, plain in zip(*grads):
        np.testing.assert_allclose(ours, plain, rtol=1e-12, atol=1e-15)


def test_flag_inside_compile_replays_on_new_values_and_shapes():
    rng = np.random.default_rng(1)
    block = _torchvision_block(True)
    twin = _torchvision_block(False)

    def make_step(model):
        def step(x):
            loss = (model(x) ** 2).sum()
            loss.backward()
            return loss
        return step

    compiled, eager = ad.compile(make_step(block)), make_step(twin)
    for shape in [(2, 2, 4, 4), (2, 2, 4, 4), (3, 2, 5, 4)]:
        x = rng.standard_normal(shape)
        for p in [*block.parameters(), *twin.parameters()]:
            p.grad = None
        ours, plain = compiled(ad.tensor(x)), eager(ad.tensor(x))
        np.testing.assert_allclose(ours.data, plain.data, rtol=1e-12)
        for p, q in zip(block.parameters(), twin.parameters()):
            np.testing.assert_allclose(p.grad, q.grad, rtol=1e-10, atol=1e-14)

    def infer(x):                    # nothing recorded: the write into x is replayed
        with ad.no_grad():
            return F.hardswish(F.relu(x * 2.0, inplace=True), inplace=True)

    fast = ad.compile(infer)
    for shape in [(4,), (4,), (2, 3)]:
        x = rng.standard_normal(shape) * 4
        expected = F.hardswish(F.relu(ad.tensor(x * 2.0)))
        np.testing.assert_array_equal(fast(ad.tensor(x)).data, expected.data)


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = _points()[:-1]
    for name in NAMES:
        args, layer_class, layer_args = FLAGGED[name]
        ours, theirs = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        h, k = ours * 1.0, theirs * 1.0
        assert _in_place(name, h) is h and getattr(tf, name)(k, *args, inplace=True) is k
        np.testing.assert_allclose(h.data, k.detach().numpy(), rtol=1e-14, err_msg=name)
        (h * h).sum().backward()
        (k * k).sum().backward()
        # PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32
        rtol = 1e-7 if name == "hardsigmoid" else 1e-13
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=rtol, atol=1e-15,
                                   err_msg=name)
        torch_layer = getattr(torch.nn, layer_class.__name__)(*layer_args, inplace=True)
        ours_repr = repr(layer_class(*layer_args, inplace=True))
        assert ours_repr == repr(torch_layer), name
        leaf = torch.tensor([1.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            getattr(tf, name)(leaf, *args, inplace=True)
