"""The state_dict / load_state_dict hooks of a Module, compared with PyTorch's: who
is called with which prefix and in which order, a post-hook that drops a key, a load
pre-hook that renames an older checkpoint's keys, a load post-hook that forgives keys
it expects to be missing, and the errors they may cause."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad


def _net(lib):
    nn = lib.nn
    net = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
    return net.double() if lib is not ad else net


def _record_everything(lib, net, log):
    for name, module in net.named_modules():
        module.register_state_dict_pre_hook(
            lambda m, prefix, keep_vars, name=name: log.append(("pre", name, prefix, keep_vars)))
        module.register_state_dict_post_hook(
            lambda m, sd, prefix, meta, name=name: log.append(("post", name, prefix, len(sd))))
        module.register_load_state_dict_pre_hook(
            lambda m, sd, prefix, meta, strict, missing, unexpected, errors, name=name:
            log.append(("load_pre", name, prefix, strict)))
        module.register_load_state_dict_post_hook(
            lambda m, keys, name=name: log.append(("load_post", name, list(keys.missing_keys))))


def test_state_hooks_run_for_every_module_with_torchs_prefixes_and_order():
    torch = pytest.importorskip("torch")
    logs = []
    for lib in (ad, torch):
        net, log = _net(lib), []
        _record_everything(lib, net, log)
        state = net.state_dict(prefix="model.")
        net.state_dict(keep_vars=True)
        net.load_state_dict({k.removeprefix("model."): v for k, v in state.items()})
        logs.append(log)
    ours, theirs = logs
    order = lambda log, kind: [entry[1:] for entry in log if entry[0] == kind]  # noqa: E731
    for kind in ("pre", "post", "load_pre", "load_post"):
        assert order(ours, kind) == order(theirs, kind), kind
    assert order(ours, "pre")[:2] == [("", "model.", False), ("0", "model.0.", False)]


def test_a_post_hook_that_drops_a_key_and_a_pre_hook_that_renames_match_torch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (ad, torch):
        net = _net(lib)
        def drop_bias(module, state_dict, prefix, local_metadata):
            del state_dict[prefix + "bias"]

        net[1][1].register_state_dict_post_hook(drop_bias)
        keys = list(net.state_dict())

        def rename_old_names(m, sd, prefix, meta, strict, missing, unexpected, errors):
            for old in [k for k in sd if k.startswith(prefix + "fc_")]:
                sd[prefix + old.removeprefix(prefix + "fc_")] = sd.pop(old)

        target = _net(lib)
        target[0].register_load_state_dict_pre_hook(rename_old_names)
        source = _net(lib)
        old = {("0.fc_" + k[2:] if k.startswith("0.") else k): v
               for k, v in source.state_dict().items()}
        outcome = target.load_state_dict(old)
        loaded = np.asarray(target[0].bias.detach().numpy() if lib is torch
                            else target[0].bias.data)
        expected = np.asarray(source[0].bias.detach().numpy() if lib is torch
                              else source[0].bias.data)
        np.testing.assert_array_equal(loaded, expected)
        results.append((keys, list(outcome.missing_keys), list(outcome.unexpected_keys)))
    assert results[0] == results[1]
    assert "1.1.bias" not in results[0][0]


def test_a_load_post_hook_forgives_the_keys_it_expects_missing_as_torch():
    torch = pytest.importorskip("torch")
    outcomes = []
    for lib in (ad, torch):
        net = _net(lib)
        state = {k: v for k, v in net.state_dict().items() if k != "1.1.bias"}

        def forgive(module, keys):
            if "1.1.bias" in keys.missing_keys:
                keys.missing_keys.remove("1.1.bias")

        handle = net.register_load_state_dict_post_hook(forgive)
        outcomes.append(tuple(net.load_state_dict(state)))
        handle.remove()
        with pytest.raises((KeyError, RuntimeError), match="1.1.bias"):
            net.load_state_dict(state)
    assert outcomes[0] == outcomes[1] == ([], [])


def test_a_load_post_hook_that_leaves_keys_makes_a_strict_load_raise_after_loading():
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        net, source = _net(lib), _net(lib)
        net.register_load_state_dict_post_hook(lambda m, keys: None)
        state = dict(source.state_dict())
        state["extra"] = state["0.bias"]
        with pytest.raises(RuntimeError, match="extra"):
            net.load_state_dict(state)
        loaded = net[0].bias.detach().numpy() if lib is torch else net[0].bias.data
        wanted = source[0].bias.detach().numpy() if lib is torch else source[0].bias.data
        np.testing.assert_array_equal(loaded, wanted)         # loaded, then refused


def test_an_error_message_of_a_load_pre_hook_makes_the_load_raise_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        net = _net(lib)
        net.register_load_state_dict_pre_hook(
            lambda m, sd, prefix, meta, strict, missing, unexpected, errors:
            errors.append("checkpoint from an older version"))
        with pytest.raises(RuntimeError, match="checkpoint from an older version"):
            net.load_state_dict(net.state_dict())


def test_hooks_that_return_values_or_are_not_callable_are_refused():
    net = ad.nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"register_state_dict_post_hook: expected a callable"):
        net.register_state_dict_post_hook(None)
    handle = net.register_state_dict_post_hook(lambda m, sd, prefix, meta: {})
    with pytest.raises(RuntimeError, match=r"post-hook must return None"):
        net.state_dict()
    handle.remove()
    assert sorted(net.state_dict()) == ["bias", "weight"]
    net.register_load_state_dict_post_hook(lambda m, keys: keys)
    with pytest.raises(AssertionError, match=r"post-hook must return None"):   # as PyTorch
        net.load_state_dict(net.state_dict())


def test_a_state_dict_post_hook_returning_a_value_is_refused_by_torch_too():
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        net = _net(lib)
        net.register_state_dict_post_hook(lambda m, sd, prefix, meta: sd.pop("0.bias"))
        with pytest.raises(RuntimeError, match="post-hook must return None"):
            net.state_dict()
