"""Module.register_forward_hook / register_forward_pre_hook, as in PyTorch."""

import numpy as np
import pytest

import autodiff as ad

nn = ad.nn
X = np.arange(8.0).reshape(4, 2)


def _net():
    return nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Linear(3, 1, rng=1))


def test_a_forward_hook_sees_the_activation_and_the_gradient_still_flows():
    net, seen = _net(), {}
    handle = net[1].register_forward_hook(lambda m, args, out: seen.update(inp=args, out=out))
    out = net(ad.tensor(X))
    assert isinstance(seen["inp"], tuple) and len(seen["inp"]) == 1
    np.testing.assert_array_equal(seen["out"].data, np.maximum(seen["inp"][0].data, 0))
    out.sum().backward()
    reference = _net()
    reference(ad.tensor(X)).sum().backward()
    np.testing.assert_array_equal(net[0].weight.grad, reference[0].weight.grad)
    handle.remove()
    seen.clear()
    net(ad.tensor(X))
    assert seen == {}
    handle.remove()                     # twice is harmless


def test_hooks_may_replace_the_inputs_and_the_output_in_registration_order():
    layer = nn.Linear(2, 1, bias=False)
    layer.weight.data[...] = 1.0
    layer.register_forward_pre_hook(lambda m, args: args[0] * 2)          # one value
    layer.register_forward_pre_hook(lambda m, args: (args[0] + 1,))       # a tuple
    layer.register_forward_hook(lambda m, args, out: out * 10)
    layer.register_forward_hook(lambda m, args, out: None)                # keeps it
    out = layer(ad.tensor([[1.0, 2.0]]))
    np.testing.assert_array_equal(out.data, [[((1 * 2 + 1) + (2 * 2 + 1)) * 10]])


def test_a_handle_is_a_context_manager():
    layer, calls = nn.Linear(2, 1), []
    with layer.register_forward_hook(lambda m, args, out: calls.append(1)):
        layer(ad.tensor(X))
    layer(ad.tensor(X))
    assert calls == [1]


def test_a_hook_must_be_callable():
    with pytest.raises(TypeError, match="register_forward_hook: expected a callable"):
        nn.Linear(2, 1).register_forward_hook(None)


def test_a_compiled_function_refuses_a_module_with_hooks_and_works_once_removed():
    net = _net()
    handle = net[0].register_forward_hook(lambda m, args, out: None)

    @ad.compile
    def forward(x):
        return net(x).sum()

    with pytest.raises(ad.TraceError, match="Linear has forward hooks.*handle.remove"):
        forward(X)
    handle.remove()
    assert float(forward(X)) == pytest.approx(float(net(ad.tensor(X)).sum()))


def test_a_hook_registered_after_the_trace_is_not_skipped_silently():
    net = _net()

    @ad.compile
    def forward(x):
        return net(x).sum()

    forward(X)
    forward(X)                          # replayed
    net[2].register_forward_hook(lambda m, args, out: None)
    with pytest.raises(ad.TraceError, match="Linear has forward hooks"):
        forward(X)
