"""``ad.compile``'s generated fit check crossed with the changes users make between
calls: each change the plan's walk (``why_plan_does_not_fit``) notices, the generated
check notices too, and the compiled call then gives what an eager call gives; settings
read from a class's defaults and from the helper functions the step calls are among
them."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile.captures import why_plan_does_not_fit
from autodiff.compile.fit_check import plan_fits

nn = ad.nn
X = np.random.default_rng(16).normal(size=(4, 3))


def _mlp():
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    return model, lambda m, x: m(x).sum()


def _with_batchnorm():
    model = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.Linear(5, 1))
    return model, lambda m, x: m(x).sum()


def _new_weight(m):
    m[0].weight = nn.Parameter(np.ones(m[0].weight.shape))


CHANGES = [
    ("a layer swapped", _mlp, lambda m: m.__setitem__(2, nn.Linear(5, 2)), False),
    ("eval()", _with_batchnorm, lambda m: m.eval(), False),
    ("a weight's values replaced, same shape", _mlp,
     lambda m: setattr(m[0].weight, "data", np.ones(m[0].weight.shape)), True),
    # (a bias: a float32 weight given the float64 input is refused, as PyTorch refuses it)
    ("a bias's array float32", _mlp,
     lambda m: setattr(m[0].bias, "data", m[0].bias.data.astype(np.float32)), False),
    ("a weight's array Fortran-ordered", _mlp,
     lambda m: setattr(m[0].weight, "data", np.asfortranarray(2 * m[0].weight.data)), False),
    ("a new Parameter", _mlp, _new_weight, False),
    ("requires_grad_(False)", _mlp, lambda m: m.requires_grad_(False), False),
    ("the bias set to None", _mlp, lambda m: setattr(m[2], "bias", None), False),
    ("load_state_dict", _mlp,
     lambda m: m.load_state_dict({k: v * 0 + 1 for k, v in m.state_dict().items()}), True),
    ("load_state_dict(assign=True)", _mlp,
     lambda m: m.load_state_dict({k: v.clone() * 2 for k, v in m.state_dict().items()},
                                 assign=True), False),
    ("a layer appended", _mlp, lambda m: m.append(nn.Linear(2, 2)), False),
    ("weight_norm", _mlp, lambda m: nn.utils.parametrizations.weight_norm(m[0]), False),
    ("l1_unstructured", _mlp, lambda m: nn.utils.prune.l1_unstructured(m[0], "weight", 0.5),
     False),
    ("BatchNorm's eps", _with_batchnorm, lambda m: setattr(m[1], "eps", 1.0), False),
    ("BatchNorm's momentum None", _with_batchnorm, lambda m: setattr(m[1], "momentum", None),
     False),
    ("running_mean copied into", _with_batchnorm,
     lambda m: (m.eval(), m[1].running_mean.copy_(ad.tensor(np.ones(5)))), False),
]


@pytest.mark.parametrize("label, build, change, still_fits", CHANGES,
                         ids=[case[0] for case in CHANGES])
def test_the_generated_check_answers_as_the_walk_and_the_call_as_eager(label, build, change,
                                                                       still_fits):
    model, body = build()

    def step(x):
        return body(model, x)
    compiled = ad.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(2):
            compiled(ad.tensor(X))
        plan = compiled.plan
        change(model)
        fits, why = plan_fits(plan), why_plan_does_not_fit(plan)
        assert fits == (why is None), (label, why)
        if label != "running_mean copied into":     # (eval() changed the mode first)
            assert fits == still_fits, (label, why)
        np.testing.assert_allclose(np.asarray(compiled(ad.tensor(X))),
                                   np.asarray(step(ad.tensor(X))), rtol=1e-12)


# ----- settings a class defines and helpers read ------------------------------------------

class Config:
    scale = 2.0


class ScaledNet(nn.Module):
    temperature = 2.0

    def __init__(self):
        super().__init__()
        self.cfg = Config()
        self.lin = nn.Linear(3, 1)

    def forward(self, x):
        return (self.lin(x) * self.cfg.scale / self.temperature).sum()


def _compiled_and_eager_after(change, fn):
    compiled = ad.compile(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = np.asarray(compiled(ad.tensor(X)))
        np.testing.assert_allclose(np.asarray(compiled(ad.tensor(X))), first)
        change()
        return np.asarray(compiled(ad.tensor(X))), np.asarray(fn(ad.tensor(X))), first


def test_a_plain_objects_class_default_then_set_on_the_object_traces_again():
    cfg = Config()
    again, eager, first = _compiled_and_eager_after(lambda: setattr(cfg, "scale", 5.0),
                                                    lambda x: (x * cfg.scale).sum())
    np.testing.assert_allclose(again, eager)
    np.testing.assert_allclose(again, first * 2.5)


def test_a_class_default_changed_on_the_class_traces_again():
    class Defaults(Config):
        pass
    cfg = Defaults()
    again, eager, first = _compiled_and_eager_after(lambda: setattr(Defaults, "scale", 3.0),
                                                    lambda x: (x * cfg.scale).sum())
    np.testing.assert_allclose(again, eager)
    np.testing.assert_allclose(again, first * 1.5)


@pytest.mark.parametrize("change", ["module class default", "config class default"])
def test_a_modules_class_defaults_then_set_trace_again(change):
    net = ScaledNet()
    if change == "module class default":
        def write():
            net.temperature = 4.0
    else:
        def write():
            net.cfg.scale = 8.0
    again, eager, first = _compiled_and_eager_after(write, lambda x: net(x))
    np.testing.assert_allclose(again, eager, rtol=1e-12)
    assert not np.allclose(again, first)


TEMPERATURE = 1.5


def _scaled(x):
    return x / TEMPERATURE


def _helper_of_helper(x):
    return _scaled(x) * 2


def test_a_global_a_called_helper_reads_rebound_traces_again():
    global TEMPERATURE
    try:
        def set_temperature():
            global TEMPERATURE
            TEMPERATURE = 3.0
        again, eager, first = _compiled_and_eager_after(
            set_temperature, lambda x: _helper_of_helper(x).sum())
        np.testing.assert_allclose(again, eager, rtol=1e-12)
        np.testing.assert_allclose(again, first / 2, rtol=1e-12)
    finally:
        TEMPERATURE = 1.5


def test_a_closure_number_of_a_called_helper_changed_traces_again():
    scale = 2.0

    def helper(x):
        return x * scale

    def write():
        nonlocal scale
        scale = 6.0
    again, eager, first = _compiled_and_eager_after(write, lambda x: helper(x).sum())
    np.testing.assert_allclose(again, eager, rtol=1e-12)
    np.testing.assert_allclose(again, 3 * first, rtol=1e-12)


def test_a_counter_a_called_helper_counts_up_warns_that_a_replay_does_not_count():
    calls = {"n": 0}

    def count_call():
        calls["n"] += 1

    def step(x):
        count_call()
        return (x * 2).sum()
    compiled = ad.compile(step)
    with pytest.warns(ad.NotReplayedWarning, match=r"count_call: calls\['n'\]"):
        for _ in range(3):
            compiled(ad.tensor(X))
    assert calls["n"] == 1              # (the trace counted; the replays did not)


def test_frozen_batchnorm_found_by_pytorchs_class_path_compiles_as_eager():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.eval()
            module.weight.requires_grad_(False)
    compiled = ad.compile(lambda x: model(x).sum().detach())
    for scale in (0.0, 1.0, 2.0):
        np.testing.assert_allclose(np.asarray(compiled(ad.tensor(X * scale))),
                                   np.asarray(model(ad.tensor(X * scale)).sum().detach()),
                                   rtol=1e-12)
