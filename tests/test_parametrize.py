"""``ad.nn.utils.parametrize`` and ``parametrizations.weight_norm``, PyTorch's modules of
those names: values and gradients by hand and by central differences, then the same
script run with PyTorch where it is installed."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn.utils import parametrizations, parametrize

R = np.random.default_rng(21)


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)

    def right_inverse(self, A):
        return A.triu()


def _scale_class(lib):
    class Scale(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.s = lib.nn.Parameter(lib.ones(1) * 0.5)

        def forward(self, X):
            return X * self.s
    return Scale


Scale = _scale_class(ad)


def _finite_difference_check(loss_of, params, eps=1e-6):
    """Central differences of ``loss_of()`` in each entry of each parameter, against
    the gradients ``backward`` leaves in ``.grad``."""
    for p in params:
        p.grad = None
    loss_of().backward()
    for p in params:
        numeric = np.zeros_like(p.data)
        for index in np.ndindex(p.data.shape):
            keep = p.data[index]
            p.data[index] = keep + eps
            up = loss_of().item()
            p.data[index] = keep - eps
            down = loss_of().item()
            p.data[index] = keep
            numeric[index] = (up - down) / (2 * eps)
        np.testing.assert_allclose(p.grad, numeric, rtol=1e-6, atol=1e-8)


def test_a_parametrized_weight_is_computed_from_the_original_on_the_tape():
    layer = nn.Conv1d(3, 3, 1)
    weight = layer.weight
    parametrize.register_parametrization(layer, "weight", Scale())
    assert type(layer).__name__ == "ParametrizedConv1d"
    assert parametrize.type_before_parametrizations(layer) is nn.Conv1d
    assert parametrize.is_parametrized(layer) and parametrize.is_parametrized(layer, "weight")
    assert not parametrize.is_parametrized(layer, "bias")
    original = layer.parametrizations.weight.original
    assert original is weight                      # the same Parameter object
    np.testing.assert_array_equal(layer.weight.numpy(), original.numpy() * 0.5)
    assert [n for n, _ in layer.named_parameters()] == [
        "bias", "parametrizations.weight.original", "parametrizations.weight.0.s"]
    x = ad.tensor(R.normal(size=(2, 3, 4)))
    _finite_difference_check(lambda: (layer(x) ** 2).sum(), list(layer.parameters()))


def test_right_inverse_sets_the_original_at_registration_and_on_assignment():
    layer = nn.Linear(3, 3)
    with pytest.warns(ad.ConventionWarning, match="does not commute with the transpose"):
        parametrize.register_parametrization(layer, "weight", Symmetric())
    w = layer.weight.numpy()
    np.testing.assert_array_equal(w, w.T)
    np.testing.assert_array_equal(layer.parametrizations.weight.original.numpy(), np.triu(w))
    target = R.normal(size=(3, 3))
    target = target + target.T
    layer.weight = ad.tensor(target)
    np.testing.assert_allclose(layer.weight.numpy(), target)
    x = ad.tensor(R.normal(size=(2, 3)))
    _finite_difference_check(lambda: (layer(x) ** 3).sum(), list(layer.parameters()))


def test_parametrizations_stack_and_are_removed_keeping_the_value_or_the_original():
    layer = nn.Linear(3, 3)
    with pytest.warns(ad.ConventionWarning, match="Symmetric does not commute"):
        parametrize.register_parametrization(layer, "weight", Symmetric())
    parametrize.register_parametrization(layer, "weight", Scale())
    original = layer.parametrizations.weight.original.numpy().copy()
    stacked = layer.weight.numpy()
    np.testing.assert_allclose(stacked, 0.5 * (np.triu(original) + np.triu(original, 1).T))
    kept = copy.deepcopy(layer)
    assert type(kept).__name__ == "ParametrizedLinear" and type(kept) is not type(layer)
    parametrize.remove_parametrizations(layer, "weight")
    assert type(layer) is nn.Linear and "parametrizations" not in layer._modules
    assert isinstance(layer.weight, nn.Parameter)
    np.testing.assert_allclose(layer.weight.numpy(), stacked)
    parametrize.remove_parametrizations(kept, "weight", leave_parametrized=False)
    np.testing.assert_allclose(kept.weight.numpy(), original)


def test_a_buffer_can_be_parametrized_and_stays_a_buffer():
    bn = nn.BatchNorm1d(3)
    parametrize.register_parametrization(bn, "running_var", Scale())
    assert "parametrizations.running_var.original" in dict(bn.named_buffers())
    np.testing.assert_allclose(bn.running_var.numpy(), 0.5 * np.ones(3))
    parametrize.remove_parametrizations(bn, "running_var")
    np.testing.assert_allclose(bn.running_var, 0.5 * np.ones(3))
    assert "running_var" in dict(bn.named_buffers())


def test_cached_computes_each_parametrized_tensor_once():
    calls = []

    class Counted(nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 2

    layer = nn.Linear(2, 2)
    parametrize.register_parametrization(layer, "weight", Counted())
    calls.clear()
    with parametrize.cached():
        first, second = layer.weight, layer.weight
    assert first is second and len(calls) == 1
    layer.weight
    assert len(calls) == 2


def test_weight_norm_splits_into_magnitude_and_direction():
    conv = parametrizations.weight_norm(nn.Conv2d(2, 3, 3))
    g = conv.parametrizations.weight.original0
    v = conv.parametrizations.weight.original1
    assert g.shape == (3, 1, 1, 1) and v.shape == (3, 2, 3, 3)
    norms = np.sqrt((v.numpy() ** 2).sum(axis=(1, 2, 3), keepdims=True))
    np.testing.assert_allclose(g.numpy(), norms)
    np.testing.assert_allclose(conv.weight.numpy(), v.numpy())
    whole = parametrizations.weight_norm(nn.Linear(3, 2), dim=None)
    assert whole.parametrizations.weight.original0.shape == ()
    x = ad.tensor(R.normal(size=(1, 2, 5, 5)))
    with ad.no_grad():
        g.data[...] *= 1.5
    _finite_difference_check(lambda: (conv(x) ** 2).mean(), [g, v, conv.bias])


def test_refusals_name_what_is_wrong():
    layer = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a "
                                         "parametrized element with name 'kernel'"):
        parametrize.register_parametrization(layer, "kernel", Scale())

    class Rows(nn.Module):
        def forward(self, X):
            return X[:1]

    with pytest.raises(ValueError, match="may not change the shape or dtype of 'weight'"):
        parametrize.register_parametrization(layer, "weight", Rows())
    assert type(layer) is nn.Linear and isinstance(layer.weight, nn.Parameter)
    parametrizations.weight_norm(layer)
    with pytest.raises(ValueError, match="cannot leave unparametrized"):
        parametrize.remove_parametrizations(layer, "weight", leave_parametrized=False)
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        pickle.dumps(layer)
    with pytest.raises(ValueError, match="does not have a parametrization on 'bias'"):
        parametrize.remove_parametrizations(layer, "bias")
    with pytest.raises(NotImplementedError, match="GRU are stored in another layout"):
        parametrize.register_parametrization(nn.GRU(2, 2), "weight_hh_l0", Scale())


# --- against PyTorch ----------------------------------------------------------------

def test_a_parametrized_model_trains_as_in_torch():
    torch = pytest.importorskip("torch")
    x, target = R.normal(size=(4, 3, 5)), R.normal(size=(4, 5, 2))
    start = {"0.weight": R.normal(size=(3, 3, 1)), "0.bias": R.normal(size=3),
             "2.weight": R.normal(size=(2, 3)), "2.bias": R.normal(size=2)}

    def run(lib):
        nn_ = lib.nn
        model = nn_.Sequential(nn_.Conv1d(3, 3, 1), nn_.Tanh(), nn_.Linear(3, 2)).double()
        if lib is ad:
            model.load_torch_state_dict(start)
        else:
            model.load_state_dict({k: torch.from_numpy(v) for k, v in start.items()})
        scale = _scale_class(lib)().double()
        nn_.utils.parametrize.register_parametrization(model[0], "bias", scale)
        nn_.utils.parametrizations.weight_norm(model[2], dim=0)
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
        losses = []
        for _ in range(3):
            hidden = model[1](model[0](lib.from_numpy(x))).transpose(1, 2)
            loss = ((model[2](hidden) - lib.from_numpy(target)) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        names = [n for n, _ in model.named_parameters()]
        state = model.to_torch_state_dict() if lib is ad else \
            {k: v.detach().numpy() for k, v in model.state_dict().items()}
        nn_.utils.parametrize.remove_parametrizations(model[2], "weight")
        plain = model.to_torch_state_dict() if lib is ad else \
            {k: v.detach().numpy() for k, v in model.state_dict().items()}
        return losses, names, state, plain

    theirs, ours = run(torch), run(ad)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    assert ours[1] == theirs[1]
    for state_ours, state_theirs in zip(ours[2:], theirs[2:]):
        assert list(state_ours) == list(state_theirs)
        for key, value in state_theirs.items():
            np.testing.assert_allclose(state_ours[key], value, rtol=1e-10, atol=1e-12,
                                       err_msg=key)
