"""PyTorch's implementation flags of the optimizers (``foreach``, ``fused``,
``capturable``, ``differentiable``) kept in ``defaults`` and ``param_groups`` as PyTorch
keeps them, checked in added groups and loaded states, round-tripping with PyTorch's
state dicts; ``maximize`` of every optimizer against PyTorch."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn

NAMES = ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "Adamax", "NAdam",
         "RAdam", "ASGD", "Rprop", "Adafactor", "LBFGS", "SparseAdam"]
FLAGS = ("foreach", "fused", "capturable", "differentiable")


def _pair(name, **kwargs):
    torch = pytest.importorskip("torch")
    ours = getattr(ad.optim, name)([nn.Parameter(np.zeros(3))], **kwargs)
    theirs = getattr(torch.optim, name)([torch.zeros(3, requires_grad=True)], **kwargs)
    return ours, theirs


@pytest.mark.parametrize("name", NAMES)
def test_the_groups_and_defaults_hold_pytorchs_flags(name):
    ours, theirs = _pair(name)
    assert set(ours.param_groups[0]) == set(theirs.param_groups[0])
    for key in FLAGS:
        if key in theirs.defaults:
            assert ours.defaults[key] == theirs.defaults[key], key
            assert ours.param_groups[0][key] == theirs.param_groups[0][key], key
        else:
            assert key not in ours.defaults, key


@pytest.mark.parametrize("name, flags", [
    ("SGD", dict(foreach=True)), ("SGD", dict(fused=True)), ("Adam", dict(foreach=False)),
    ("Adam", dict(fused=True)), ("AdamW", dict(foreach=True)), ("Adagrad", dict(fused=True)),
    ("RMSprop", dict(foreach=True)), ("Adadelta", dict(foreach=False)),
    ("Adafactor", dict(foreach=True)), ("RAdam", dict(foreach=True))])
def test_a_given_flag_is_kept_as_pytorch_keeps_it_and_changes_nothing(name, flags):
    ours, theirs = _pair(name, **flags)
    for key, value in flags.items():
        assert ours.param_groups[0][key] is value is theirs.param_groups[0][key]
        assert ours.defaults[key] is value
    plain = getattr(ad.optim, name)([nn.Parameter(np.zeros(3))])
    for optimizer in (ours, plain):
        for step in range(3):
            optimizer.param_groups[0]["params"][0].grad = np.array([1.0, -2.0, 0.5]) * step
            optimizer.step()
    assert ours.params[0].data.tobytes() == plain.params[0].data.tobytes()


@pytest.mark.parametrize("group, words", [
    ({"differentiable": True}, "differentiable=True"),
    ({"capturable": True}, "capturable=True"),
    ({"foreach": True, "fused": True}, "cannot be used together"),
    ({"foreach": "yes"}, "foreach must be None, True or False")])
def test_an_added_group_with_a_flag_that_cannot_be_honoured_is_refused(group, words):
    optimizer = ad.optim.Adam([nn.Parameter(np.zeros(2))])
    with pytest.raises((ValueError, TypeError), match=words):
        optimizer.add_param_group({"params": [nn.Parameter(np.zeros(2))], **group})
    assert len(optimizer.param_groups) == 1


def test_an_added_group_takes_a_flag_and_the_defaults_otherwise():
    optimizer = ad.optim.SGD([nn.Parameter(np.zeros(2))], lr=0.1, foreach=True)
    optimizer.add_param_group({"params": [nn.Parameter(np.zeros(2))], "foreach": False})
    optimizer.add_param_group({"params": [nn.Parameter(np.zeros(2))]})
    assert [g["foreach"] for g in optimizer.param_groups] == [True, False, True]
    assert [g["fused"] for g in optimizer.param_groups] == [None, None, None]


def _flattened(torch_state):
    """PyTorch's nested optimizer state dict in this library's flat keys."""
    flat = {}
    for g, group in enumerate(torch_state["param_groups"]):
        for key, value in group.items():
            flat[f"param_groups.{g}.{key}"] = np.array(value)
    for i, state in torch_state["state"].items():
        for key, value in state.items():
            flat[f"state.{i}.{key}"] = value.numpy() if hasattr(value, "numpy") else \
                np.array(value)
    return flat


@pytest.mark.parametrize("name, flags", [("Adam", dict(foreach=True)),
                                         ("SGD", dict(fused=True, momentum=0.9)),
                                         ("RMSprop", dict(foreach=False)),
                                         ("Adagrad", {})])
def test_pytorchs_state_dict_with_its_flags_loads_and_continues_as_pytorch(name, flags):
    torch = pytest.importorskip("torch")
    grads = [np.array([0.5, -1.0, 2.0]) * (k + 1) for k in range(5)]
    start = np.array([1.0, 2.0, -3.0])
    weight = torch.tensor(start.copy(), requires_grad=True)
    theirs = getattr(torch.optim, name)([weight], lr=0.1, **flags)
    for g in grads[:3]:
        weight.grad = torch.tensor(g)
        theirs.step()
    ours = getattr(ad.optim, name)([nn.Parameter(weight.detach().numpy().copy())], lr=0.5)
    ours.load_state_dict(_flattened(theirs.state_dict()))
    for key in FLAGS:
        if key in theirs.param_groups[0]:
            assert ours.param_groups[0][key] == theirs.param_groups[0][key], key
    assert ours.param_groups[0]["lr"] == 0.1
    for g in grads[3:]:
        weight.grad = torch.tensor(g)
        theirs.step()
        ours.params[0].grad = g.copy()
        ours.step()
    np.testing.assert_allclose(ours.params[0].data, weight.detach().numpy(), rtol=1e-13)


def test_our_flags_reach_pytorch_through_a_state_dict():
    torch = pytest.importorskip("torch")
    ours = ad.optim.Adam([nn.Parameter(np.zeros(2))], lr=0.1, foreach=True)
    saved = ours.state_dict()
    theirs = torch.optim.Adam([torch.zeros(2, requires_grad=True)])
    nested = theirs.state_dict()
    nested["param_groups"] = [{
        key.split(".", 2)[2]: (value.tolist() if key.endswith(".params") else value.item()
                               if value.ndim == 0 else tuple(value.tolist()))
        for key, value in saved.items() if key.startswith("param_groups.0.")}]
    theirs.load_state_dict(nested)
    assert theirs.param_groups[0]["foreach"] is True
    assert theirs.param_groups[0]["fused"] is None          # (None is not saved here)
    assert theirs.param_groups[0]["lr"] == 0.1


def test_a_state_that_asks_for_differentiable_is_refused_before_anything_changes():
    optimizer = ad.optim.SGD([nn.Parameter(np.zeros(2))], lr=0.1)
    saved = optimizer.state_dict()
    saved["param_groups.0.differentiable"] = np.array(True)
    saved["param_groups.0.lr"] = np.array(0.5)
    with pytest.raises(ValueError, match="SGD.load_state_dict: differentiable=True"):
        optimizer.load_state_dict(saved)
    assert optimizer.param_groups[0]["lr"] == 0.1
    assert optimizer.param_groups[0]["differentiable"] is False


def test_a_flag_saved_by_our_optimizer_round_trips():
    first = ad.optim.AdamW([nn.Parameter(np.zeros(2))], foreach=False)
    second = ad.optim.AdamW([nn.Parameter(np.zeros(2))])
    second.load_state_dict(first.state_dict())
    assert second.param_groups[0]["foreach"] is False


_MAXIMIZE = ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "Adamax", "NAdam",
             "RAdam", "ASGD", "Rprop", "Adafactor"]


@pytest.mark.parametrize("name", _MAXIMIZE)
def test_maximize_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(18)
    start = rng.normal(size=(2, 3))
    grads = [rng.normal(size=(2, 3)) for _ in range(4)]
    kwargs = dict(lr=0.05, maximize=True)
    if name == "SGD":
        kwargs["momentum"] = 0.9
    ours = getattr(ad.optim, name)([nn.Parameter(start.copy())], **kwargs)
    weight = torch.tensor(start.copy(), requires_grad=True)
    theirs = getattr(torch.optim, name)([weight], **kwargs)
    assert ours.param_groups[0]["maximize"] is True is theirs.param_groups[0]["maximize"]
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # (NAdam's and ASGD's scalar state use it)
    try:
        for g in grads:
            ours.params[0].grad = g.copy()
            weight.grad = torch.tensor(g)
            ours.step()
            theirs.step()
    finally:
        torch.set_default_dtype(default)
    # (the same arithmetic in another order: a few ulps)
    np.testing.assert_allclose(ours.params[0].data, weight.detach().numpy(), rtol=1e-12,
                               atol=1e-14)
