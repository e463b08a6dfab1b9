"""Module infrastructure: train/eval, buffers, containers, PyTorch state dicts."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn


class WithBuffer(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 3, rng=0)
        self.register_buffer("count", np.zeros((), dtype=np.int64))
        self.register_buffer("scratch", np.ones(4), persistent=False)
        self.register_buffer("unset", None)

    def forward(self, x):
        return self.lin(x)


def test_train_and_eval_are_recursive_and_return_the_module():
    net = nn.Sequential(nn.Linear(2, 2), nn.ModuleList([nn.ReLU(), nn.Tanh()]))
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.train(False)
    assert not net[1][0].training
    with pytest.raises(TypeError, match="mode must be True or False"):
        net.train("no")


def test_buffers_are_listed_saved_and_loaded():
    m = WithBuffer()
    assert [n for n, _ in m.named_buffers()] == ["count", "scratch"]
    assert len(list(m.buffers())) == 2
    sd = m.state_dict()
    assert list(sd) == ["count", "lin.weight", "lin.bias"]
    assert "scratch" not in sd and "unset" not in sd
    sd["count"] = np.array(7)
    m.load_state_dict(sd)
    assert m.count == 7 and m.count.dtype == np.int64
    assert m._buffers["count"] is m.count
    m.count = np.array(3)
    assert m.state_dict()["count"] == 3
    with pytest.raises(TypeError, match=r"cannot assign 'str' as buffer 'count' \(a Tensor, "
                                        r"an ndarray or None expected\)"):
        m.count = "three"
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("lin", np.zeros(1))
    with pytest.raises(KeyError, match="without '.'"):
        m.register_buffer("a.b", np.zeros(1))


def test_state_dict_order_follows_pytorch_params_then_buffers_then_children():
    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter([1.0])
            self.register_buffer("steps", np.zeros(()))
            self.inner = nn.Linear(1, 1)
    assert list(Outer().state_dict()) == ["scale", "steps", "inner.weight", "inner.bias"]


def test_module_list_matches_list_semantics():
    a, b, c, d = (nn.Linear(1, 1, rng=i) for i in range(4))
    ml = nn.ModuleList([a, b])
    assert ml.append(c) is ml
    ml.extend([d])
    assert list(ml) == [a, b, c, d] and len(ml) == 4
    assert ml[-1] is d and ml[1:3][0] is b
    ml.insert(1, d)
    assert list(ml) == [a, d, b, c, d]
    del ml[1]
    assert list(ml) == [a, b, c, d]
    assert [n for n, _ in ml.named_parameters()][:4] == ["0.weight", "0.bias", "1.weight",
                                                          "1.bias"]
    ml[0] = c
    assert ml[0] is c
    ml += [nn.ReLU()]
    assert len(ml) == 5 and isinstance(ml[4], nn.ReLU)
    with pytest.raises(IndexError, match="out of range for 5"):
        ml[5]
    with pytest.raises(TypeError, match="must be Modules"):
        ml.append(3)


def test_module_dict():
    md = nn.ModuleDict({"b": nn.Linear(2, 1), "a": nn.Linear(2, 2)})
    assert list(md) == ["b", "a"] and "a" in md and len(md) == 2
    assert [n for n, _ in md.named_parameters()] == ["b.weight", "b.bias", "a.weight", "a.bias"]
    md["c"] = nn.ReLU()
    assert md.keys() == ["b", "a", "c"]
    popped = md.pop("b")
    assert isinstance(popped, nn.Linear) and "b" not in md
    assert [n for n, _ in md.named_parameters()] == ["a.weight", "a.bias"]
    with pytest.raises(KeyError, match="no module named 'zz'"):
        md["zz"]
    md.clear()
    assert len(md) == 0 and list(md.parameters()) == []


def test_adding_submodules_one_by_one_walks_each_once(monkeypatch):
    """n modules appended to a ModuleList, put in a ModuleDict or set as attributes:
    naming the new one's parameters walks it, not every submodule again (n**2)."""
    walked = []
    named_modules = nn.Module.named_modules

    def counting(self, *args, **kwargs):
        for item in named_modules(self, *args, **kwargs):
            walked.append(1)
            yield item

    monkeypatch.setattr(nn.Module, "named_modules", counting)
    n = 200
    layers = [nn.Linear(1, 1, rng=k) for k in range(n)]
    as_list = nn.ModuleList(layers)
    assert as_list[7].weight.name == "7.weight"
    as_dict = nn.ModuleDict({f"m{k}": layer for k, layer in enumerate(layers)})
    assert as_dict["m7"].weight.name == "m7.weight"     # (a longer name wins)
    holder = nn.Module()
    for k, layer in enumerate(layers):
        setattr(holder, f"layer{k}", layer)
    assert len(walked) <= 4 * n
    assert holder.layer199.bias.name == "layer199.bias"
    assert [name for name, _ in holder.named_parameters()][-2:] == ["layer199.weight",
                                                                   "layer199.bias"]


def test_identity_and_flatten():
    x = ad.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    assert nn.Identity(3, k=1)(x) is x
    out = nn.Flatten()(x)
    np.testing.assert_array_equal(out.data, x.data.reshape(2, 12))
    assert nn.Flatten(0, -1)(x).shape == (24,)
    assert nn.Flatten(-2, -1)(x).shape == (2, 12)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="out of range"):
        nn.Flatten(3)(x)


def test_children_and_named_modules():
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
    assert [type(m).__name__ for m in net.children()] == ["Linear", "Sequential"]
    assert [n for n, _ in net.named_modules()] == ["", "0", "1", "1.0"]
    shared = nn.Linear(1, 1)
    twice = nn.Sequential(shared, shared)
    assert len(list(twice.named_modules())) == 2
    assert len(list(twice.named_modules(remove_duplicate=False))) == 3


# ----- PyTorch state dicts ---------------------------------------------------------------

def test_torch_state_dict_transposes_linear_and_round_trips():
    net = nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU(), nn.Linear(4, 2, rng=1))
    sd = net.to_torch_state_dict()
    assert list(sd) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    np.testing.assert_array_equal(sd["0.weight"], net[0].weight.data.T)
    assert sd["0.weight"].flags.c_contiguous
    sd["0.weight"][:] = 0                        # a copy: the model is untouched
    assert np.any(net[0].weight.data != 0)
    # PyTorch's forward is x @ W.T + b: the exported arrays give the same output
    x = np.random.default_rng(2).standard_normal((5, 3))
    sd = net.to_torch_state_dict()
    h = np.maximum(x @ sd["0.weight"].T + sd["0.bias"], 0)
    np.testing.assert_allclose(h @ sd["2.weight"].T + sd["2.bias"], net(ad.tensor(x)).data)
    other = nn.Sequential(nn.Linear(3, 4, rng=5), nn.ReLU(), nn.Linear(4, 2, rng=6))
    other.load_torch_state_dict(sd)
    for (_, p), (_, q) in zip(net.named_parameters(), other.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_torch_state_dict_includes_buffers_and_embedding_maps_directly():
    m = WithBuffer()
    m.emb = nn.Embedding(5, 2, rng=0)
    sd = m.to_torch_state_dict()
    assert set(sd) == {"count", "lin.weight", "lin.bias", "emb.weight"}
    np.testing.assert_array_equal(sd["emb.weight"], m.emb.weight.data)
    sd["count"] = np.array(4)
    m.load_torch_state_dict(sd)
    assert m.count == 4


def test_torch_state_dict_lists_a_shared_parameter_under_every_name():
    shared = nn.Linear(2, 2, rng=0)
    net = nn.Sequential(shared, shared)
    assert list(net.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]  # PyTorch's
    assert list(net.to_torch_state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_load_torch_state_dict_names_missing_unexpected_and_shapes_and_changes_nothing():
    net = nn.Sequential(nn.Linear(3, 2, rng=0))
    before = net[0].weight.data.copy()
    sd = net.to_torch_state_dict()
    with pytest.raises(KeyError, match=r"missing keys \['0.bias'\]"):
        net.load_torch_state_dict({"0.weight": sd["0.weight"]})
    with pytest.raises(KeyError, match=r"unexpected keys \['1.weight'\]"):
        net.load_torch_state_dict({**sd, "1.weight": np.zeros(1)})
    # our own layout (3, 2) is not PyTorch's (2, 3)
    bad = {"0.weight": np.zeros((3, 2)), "0.bias": np.zeros(2)}
    with pytest.raises(ValueError, match=r"'0.weight' has shape \(3, 2\).*shape \(2, 3\)"):
        net.load_torch_state_dict(bad)
    bad = {"0.weight": np.ones((2, 3)), "0.bias": np.zeros(5)}
    with pytest.raises(ValueError, match=r"'0.bias' has shape \(5,\)"):
        net.load_torch_state_dict(bad)
    np.testing.assert_array_equal(net[0].weight.data, before)


def test_torch_hooks_let_a_custom_layer_convert_its_own_arrays():
    class Reversed(nn.Module):
        """Stores its vector reversed relative to the 'PyTorch' layout."""

        def __init__(self):
            super().__init__()
            self.v = nn.Parameter([1.0, 2.0, 3.0])

        def _torch_export(self, local):
            return {"vec": local["v"][::-1]}

        def _torch_import(self, torch_local):
            return {"v": torch_local["vec"][::-1]}

    net = nn.Sequential(Reversed())
    sd = net.to_torch_state_dict()
    np.testing.assert_array_equal(sd["0.vec"], [3.0, 2.0, 1.0])
    net.load_torch_state_dict({"0.vec": np.array([9.0, 8.0, 7.0])})
    np.testing.assert_array_equal(net[0].v.data, [7.0, 8.0, 9.0])


def test_apply_visits_children_before_parents_and_returns_the_module():
    visited = []
    inner = nn.Sequential(nn.ReLU(), nn.Tanh())
    net = nn.Sequential(nn.Linear(2, 2), inner, nn.Sigmoid())
    assert net.apply(visited.append) is net
    assert visited == [net[0], inner[0], inner[1], inner, net[2], net]     # PyTorch's order


def test_a_slice_of_sequential_keeps_its_layers_names_as_pytorch():
    net = nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Linear(3, 4, rng=1),
                        nn.Linear(4, 1, rng=2))
    tail = net[2:]
    assert list(tail.state_dict()) == ["2.weight", "2.bias", "3.weight", "3.bias"]
    assert tail[0] is net[2] and len(tail) == 2
    tail.load_state_dict({k: v for k, v in net.state_dict().items() if k[0] in "23"})
    from collections import OrderedDict
    named = nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 2, rng=0)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["hidden.weight", "hidden.bias"]


def test_children_and_apply_with_a_shared_module_as_pytorch():
    shared = nn.Linear(2, 2, rng=0)
    twice = nn.Sequential(shared, nn.ReLU(), shared)
    assert [name for name, _ in twice.named_children()] == ["0", "1"]
    assert len(list(twice.children())) == 2
    root = nn.Sequential(nn.Sequential(shared), nn.Sequential(shared))
    seen = []
    root.apply(lambda m: seen.append(m))
    # post-order, the shared layer once under each parent (PyTorch's recursion)
    assert seen == [shared, root[0], shared, root[1], root]


def test_load_state_dict_takes_tensors_and_refuses_pytorch_layouts_and_non_dicts():
    source, target = ad.nn.Linear(3, 3, rng=0), ad.nn.Linear(3, 3, rng=1)
    target.load_state_dict({k: ad.tensor(v) for k, v in source.state_dict().items()})
    np.testing.assert_array_equal(target.weight.data, source.weight.data)

    class TorchLikeTensor:              # what a torch.Tensor looks like to the check
        __module__ = "torch"

        def __init__(self, array):
            self.array = array

        def detach(self):
            return self

        def cpu(self):
            return self

        def numpy(self):
            return self.array

    square = {k: TorchLikeTensor(v) for k, v in source.to_torch_state_dict().items()}
    with pytest.raises(TypeError, match="load_torch_state_dict"):
        target.load_state_dict(square)          # (out, in) would load as (in, out)
    with pytest.raises(TypeError, match="expected a dict of arrays"):
        target.load_state_dict(None)


@pytest.mark.parametrize("kernel_size", [0, -2, (3, 0), 2.5, True])
def test_conv_refuses_kernel_sizes_that_are_not_positive_ints(kernel_size):
    with pytest.raises(ValueError, match="Conv2d: kernel_size must be an int >= 1"):
        ad.nn.Conv2d(1, 1, kernel_size)
