"""Adam's fused step reads each group flag at every step: switching AdamW's decoupled
decay, amsgrad or maximize, or handing the optimizer a new ``state`` mapping, after
the first steps gives the NumPy code's bits, and the kernel runs again as soon as the
state allows."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import kernels
from autodiff.optim import fused


def _params():
    rng = np.random.default_rng(0)
    return [ad.nn.Parameter(rng.normal(size=shape)) for shape in [(40, 30), (30,), (7,)]]


def _count_fused_runs(monkeypatch) -> list:
    calls = []
    run = fused.run
    monkeypatch.setattr(fused, "run", lambda *a: calls.append(1) or run(*a))
    return calls


@pytest.mark.parametrize("cls", [ad.optim.Adam, ad.optim.AdamW])
def test_adam_flags_switched_after_the_first_steps_give_the_numpy_codes_bits(
        cls, monkeypatch):
    if kernels.JIT_ENABLED:
        fused.load()                    # small parameters fuse once the kernels are loaded
    params, plain_params = _params(), _params()
    opt = cls(params, lr=1e-2, weight_decay=1e-2)
    plain = type("Plain" + cls.__name__, (cls,), {})(plain_params, lr=1e-2,
                                                    weight_decay=1e-2)
    calls = _count_fused_runs(monkeypatch)
    # (change, whether the kernel updates every parameter at that step)
    changes = [({}, False),                                # the first step makes the state
               ({}, True),
               ({"decoupled_weight_decay": not opt.param_groups[0]["decoupled_weight_decay"]},
                True),
               ({"amsgrad": True}, False),                 # its state is made by NumPy
               ({"amsgrad": True}, True),
               ({"maximize": True}, True),
               ({"amsgrad": False, "maximize": False}, True),
               ({"decoupled_weight_decay": cls is ad.optim.AdamW}, True)]
    rng = np.random.default_rng(1)
    for step, (change, all_fused) in enumerate(changes):
        for o in (opt, plain):
            o.param_groups[0].update(change)
        for p, q in zip(params, plain_params):
            g = rng.normal(size=p.shape)
            p.grad, q.grad = g, g.copy()
        del calls[:]
        opt.step()
        plain.step()
        for p, q in zip(params, plain_params):
            assert p.data.tobytes() == q.data.tobytes(), f"step {step}: {change}"
        expected = len(params) if all_fused and kernels.JIT_ENABLED else 0
        assert len(calls) == expected, f"step {step}: {change}"
    for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
        for position in range(len(params)):
            assert (opt.state[position][key].tobytes()
                    == plain.state[position][key].tobytes()), key


def test_a_state_mapping_assigned_between_steps_is_the_one_the_step_updates():
    # opt.state = {p: {...}} (PyTorch's form) mid-training: the next steps read and
    # update those dicts, fused or not, as the NumPy code does.
    params, plain_params = _params(), _params()
    opt = ad.optim.Adam(params, lr=1e-2)
    plain = type("PlainAdam", (ad.optim.Adam,), {})(plain_params, lr=1e-2)
    rng = np.random.default_rng(2)
    for step in range(4):
        if step == 2:
            for o, ps in ((opt, params), (plain, plain_params)):
                o.state = {p: {k: np.copy(v) for k, v in o.state[p].items()} for p in ps}
        for p, q in zip(params, plain_params):
            g = rng.normal(size=p.shape)
            p.grad, q.grad = g, g.copy()
        opt.step()
        plain.step()
        for p, q in zip(params, plain_params):
            assert p.data.tobytes() == q.data.tobytes(), f"step {step}"
    assert int(opt.state[params[0]]["step"]) == 4
    assert opt.state[params[0]]["exp_avg"].tobytes() == \
        plain.state[plain_params[0]]["exp_avg"].tobytes()
