"""PyTorch's Module conveniences: requires_grad_, to/float/double, get_submodule and
friends, recurse=, zero_grad(set_to_none=False), register_module."""

import warnings

import numpy as np
import pytest

import autodiff as ad

nn = ad.nn


def _net():
    return nn.Sequential(nn.Linear(2, 3, rng=0), nn.BatchNorm1d(3), nn.Linear(3, 1, rng=1))


X = np.random.default_rng(0).standard_normal((8, 2))


def test_frozen_layer_gets_no_gradient_and_the_optimizer_skips_it_quietly():
    net = _net()
    net[0].requires_grad_(False)
    frozen, trained = net[0].weight.data.copy(), net[2].weight.data.copy()
    opt = ad.optim.SGD(net.parameters(), lr=0.1)        # frozen ones accepted, as in PyTorch
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # no "has no gradient" warning
        net(ad.tensor(X)).sum().backward()
        opt.step()
    assert net[0].weight.grad is None and net[0].bias.grad is None
    np.testing.assert_array_equal(net[0].weight.data, frozen)
    assert not np.array_equal(net[2].weight.data, trained)


def test_requires_grad_returns_the_module_and_unfreezes():
    net = _net()
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    assert all(p.requires_grad for p in net.parameters())
    with pytest.raises(TypeError, match="requires_grad_: expected True or False"):
        net.requires_grad_("yes")


def test_an_optimizer_still_refuses_a_plain_tensor_without_requires_grad():
    with pytest.raises(TypeError, match="not a leaf that requires grad"):
        ad.optim.SGD([ad.tensor([1.0])], lr=0.1)


def test_to_float32_converts_parameters_gradients_and_float_buffers_in_place():
    net = _net()
    weight = net[0].weight
    net(ad.tensor(X)).sum().backward()
    assert net.to(np.float32) is net
    assert net[0].weight is weight                      # the same Parameter object
    assert weight.dtype == np.float32 and weight.grad.dtype == np.float32
    assert net[1].running_mean.dtype == np.float32 and net[1].running_var.dtype == np.float32
    assert net[1].num_batches_tracked.dtype.kind == "i"     # integer buffers stay
    assert net(ad.tensor(X.astype(np.float32))).dtype == np.float32
    assert net.double()[2].bias.dtype == np.float64
    assert net.float()[2].bias.dtype == np.float32
    assert net.to("cpu", "float64")[2].bias.dtype == np.float64


def test_to_refuses_what_it_cannot_do():
    net = _net()
    assert net.to("cpu") is net
    with pytest.raises(ValueError, match="device 'cuda' is not available"):
        net.to("cuda")
    with pytest.raises(TypeError, match="dtype must be np.float16, np.float32 or np.float64"):
        net.to(np.int32)
    with pytest.raises(TypeError, match="dtype must be np.float16, np.float32 or np.float64"):
        net.to(np.complex128)


def test_to_is_refused_inside_a_compiled_function():
    net = _net()

    @ad.compile
    def step(x):
        net.to(np.float32)
        return net(x).sum()

    with pytest.raises(ad.TraceError, match=r"Sequential.to is called at .* every replay "
                                            "would skip it"):
        step(X)


def test_get_submodule_parameter_and_buffer():
    net = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.BatchNorm1d(3)))
    assert net.get_submodule("") is net and net.get_submodule("1.0") is net[1][0]
    assert net.get_parameter("0.bias") is net[0].bias
    assert net.get_buffer("1.0.running_mean") is net[1][0].running_mean
    with pytest.raises(AttributeError, match="has no submodule 'foo'"):
        net.get_submodule("1.foo")
    with pytest.raises(AttributeError, match="no parameter 'bias2'"):
        net.get_parameter("0.bias2")
    with pytest.raises(AttributeError, match="no buffer 'running_sum'"):
        net.get_buffer("1.0.running_sum")


def test_recurse_prefix_and_remove_duplicate():
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    net.register_parameter("scale", nn.Parameter(1.0))
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in net.named_buffers(prefix="m", recurse=True)][:1] == ["m.1.running_mean"]
    assert list(net.buffers(recurse=False)) == []
    assert len(list(net.parameters(recurse=False))) == 1
    shared = nn.Linear(2, 2)
    twice = nn.Sequential(shared, shared)
    assert len(list(twice.named_parameters())) == 2
    assert [n for n, _ in twice.named_parameters(remove_duplicate=False)] == [
        "0.weight", "0.bias", "1.weight", "1.bias"]


def test_zero_grad_set_to_none_false_zeroes_in_place():
    net = _net()
    net(ad.tensor(X)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert all(np.array_equal(p.grad, np.zeros_like(p.data)) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_register_module_is_add_module():
    net = nn.Sequential()
    net.register_module("head", nn.Linear(2, 1))
    assert isinstance(net.head, nn.Linear) and len(net) == 1


@pytest.mark.parametrize("make_opt", [lambda ps: ad.optim.SGD(ps, lr=0.1, momentum=0.9),
                                      lambda ps: ad.optim.Adam(ps, lr=0.01)])
def test_a_compiled_step_with_a_frozen_layer_takes_the_fused_update_and_equals_eager(make_opt):
    def make():
        net = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Linear(3, 1, rng=1))
        net[0].requires_grad_(False)
        return net, make_opt(net.parameters())

    net, opt = make()
    eager_net, eager_opt = make()

    @ad.compile(fuse=False)
    def step(x):
        opt.zero_grad()
        loss = net(x).sum()
        loss.backward()
        opt.step()
        return loss

    for _ in range(4):
        step(X)
        eager_opt.zero_grad()
        eager_net(ad.tensor(X)).sum().backward()
        eager_opt.step()
    for p, q in zip(net.parameters(), eager_net.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    fused = [i.fn for i in step.plan.instrs if i.label.endswith("(fused)")]
    if ad.kernels.JIT_ENABLED:
        assert fused and fused[0].fallbacks == 0     # the frozen layer does not force NumPy
