"""Eager opt.step() of SGD, Adam and AdamW updates large parameters with one compiled
pass each (autodiff.optim.fused), and Adam's and AdamW's small ones too once the
kernels are loaded; parameters and state stay bit for bit those of the NumPy code,
which subclasses (and other small parameters) keep using."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import autodiff as ad
from autodiff import kernels
from autodiff.optim import fused

CONFIGS = {
    "sgd": (ad.optim.SGD, dict(lr=0.05)),
    "sgd momentum": (ad.optim.SGD, dict(lr=0.05, momentum=0.9)),
    "sgd dampening decay": (ad.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.1,
                                               weight_decay=1e-3)),
    "sgd nesterov maximize": (ad.optim.SGD, dict(lr=0.01, momentum=0.8, nesterov=True,
                                                 weight_decay=1e-3, maximize=True)),
    "adam": (ad.optim.Adam, dict(lr=1e-2)),
    "adam l2": (ad.optim.Adam, dict(lr=1e-2, weight_decay=1e-2, betas=(0.8, 0.99))),
    "adam amsgrad maximize": (ad.optim.Adam, dict(lr=1e-3, amsgrad=True, maximize=True)),
    "adamw": (ad.optim.AdamW, dict(lr=1e-2)),
    "adamw numpy lr": (ad.optim.AdamW, dict(lr=np.float64(1e-2))),   # left to NumPy
}


def _params(dtype):
    rng = np.random.default_rng(0)
    return [ad.nn.Parameter(rng.normal(size=shape).astype(dtype))
            for shape in [(64, 40), (40,), (3000,)]]       # two large, one small


def _count_fused_runs(monkeypatch) -> list:
    """A list that gains an entry each time a fused update runs."""
    calls = []
    run = fused.run
    monkeypatch.setattr(fused, "run", lambda *a: calls.append(1) or run(*a))
    return calls


def _step_both_and_compare(opt, plain, params, plain_params, label) -> None:
    """One step of the fused optimizer and of its never-fused twin: equal bit for bit."""
    opt.step()
    plain.step()
    for p, q in zip(params, plain_params):
        assert p.data.tobytes() == q.data.tobytes(), label


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_fused_eager_steps_equal_the_numpy_code_bitwise(name, dtype, monkeypatch):
    cls, options = CONFIGS[name]
    plain_cls = type("Plain" + cls.__name__, (cls,), {})    # a subclass: never fused
    params, plain_params = _params(dtype), _params(dtype)
    opt, plain = cls(params, **options), plain_cls(plain_params, **options)
    calls = _count_fused_runs(monkeypatch)
    rng = np.random.default_rng(1)
    for step in range(30):
        if step == 15:                          # a scheduler's change is read each step
            for o in (opt, plain):
                o.param_groups[0]["lr"] = o.param_groups[0]["lr"] * 0.5
        for p, q in zip(params, plain_params):
            g = rng.normal(size=p.shape).astype(dtype)
            p.grad, q.grad = g, g.copy()
        _step_both_and_compare(opt, plain, params, plain_params, f"step {step}")
    ours, theirs = opt.state_dict(), plain.state_dict()
    assert sorted(ours) == sorted(theirs)
    for key in ours:
        assert np.asarray(ours[key]).tobytes() == np.asarray(theirs[key]).tobytes(), key
    fusable = kernels.JIT_ENABLED and type(options["lr"]) is float
    # The first step makes the state with NumPy; later steps fuse the two large ones
    # (Adam's: all three, the small one once the first has loaded the kernels).
    adam = cls is ad.optim.Adam or cls is ad.optim.AdamW
    first_fused = 0 if adam or options.get("momentum") else 2
    assert len(calls) == ((29 * (3 if adam else 2) + first_fused) if fusable else 0)


def test_a_parameter_the_kernel_does_not_take_is_updated_by_the_numpy_code():
    base = np.zeros((64, 64))
    w = ad.nn.Parameter(base[:, ::2].copy())        # contiguous: fused
    v = ad.nn.Parameter(np.zeros(2048, np.float16))  # the kernels take float32/64 only
    opt = ad.optim.SGD([w, v], lr=1.0)
    w.grad = np.ones((64, 32))[:, ::1]
    v.grad = np.ones(2048, np.float16)
    opt.step()
    assert np.all(w.data == -1.0) and np.all(v.data == -1.0) and v.data.dtype == np.float16


def test_a_kernel_that_fails_leaves_the_step_to_the_numpy_code(monkeypatch):
    if not kernels.JIT_ENABLED or fused.load() is False:
        pytest.skip("AUTODIFF_JIT=0 or no Numba: the NumPy code is the only path")

    class Broken:
        def adam_update(self, *args):
            raise OSError("the cache is read-only")

    params, plain_params = _params(np.float64), _params(np.float64)
    opt, plain = ad.optim.Adam(params, lr=0.1), type("P", (ad.optim.Adam,), {})(
        plain_params, lr=0.1)
    for p, q in zip(params, plain_params):
        p.grad = q.grad = np.ones(p.shape)
    opt.step()
    plain.step()                                # the state exists: the next step fuses
    monkeypatch.setattr(fused, "_module", Broken())
    with pytest.warns(RuntimeWarning, match="NumPy code runs instead"):
        opt.step()
    plain.step()
    for p, q in zip(params, plain_params):
        assert p.data.tobytes() == q.data.tobytes()
    assert int(opt.state[0]["step"]) == int(plain.state[0]["step"]) == 2
    assert fused._module is False


def test_sgd_hyperparameters_changed_between_steps_are_read_each_step():
    # The fused SGD keeps a group's cast hyperparameters while the group holds the same
    # objects: every change below (a sign of zero, a flag, a new group) must show.
    params, plain_params = _params(np.float32), _params(np.float32)
    for p, q in zip(params, plain_params):
        p.data[:3] = q.data[:3] = -0.0
    opt = ad.optim.SGD(params, lr=0.0, momentum=0.5)
    plain = type("P", (ad.optim.SGD,), {})(plain_params, lr=0.0, momentum=0.5)
    changes = [{}, {"lr": -0.0}, {"lr": 0.0}, {"lr": 0.1}, {"nesterov": True},
               {"weight_decay": 1e-2}, {"dampening": 0.25}, {"maximize": True},
               {"momentum": 0}, {"lr": 1e-3}]
    rng = np.random.default_rng(2)
    for step, change in enumerate(changes):
        for o in (opt, plain):
            o.param_groups[0].update(change)
        for p, q in zip(params, plain_params):
            g = rng.normal(size=p.shape).astype(np.float32)
            p.grad, q.grad = g, g.copy()
        _step_both_and_compare(opt, plain, params, plain_params, f"step {step}: {change}")


def test_adam_hyperparameters_changed_between_steps_are_checked_each_step(monkeypatch):
    # The fused Adam keeps "these are Python numbers" while the group holds the same
    # objects: a NumPy scalar put in later must send the step to the NumPy code again,
    # and a plain float back to the kernel; the parameters follow the NumPy code's bits.
    params, plain_params = _params(np.float64), _params(np.float64)
    opt = ad.optim.Adam(params, lr=1e-2)
    plain = type("P", (ad.optim.Adam,), {})(plain_params, lr=1e-2)
    calls = _count_fused_runs(monkeypatch)
    changes = [({}, 3), ({}, 3), ({"lr": np.float64(1e-2)}, 0), ({"lr": 1e-3}, 3),
               ({"betas": (0.9, np.float64(0.99))}, 0), ({"betas": (0.8, 0.99)}, 3),
               ({"eps": np.float32(1e-6)}, 0), ({"eps": 1e-8}, 3),
               ({"weight_decay": np.float64(0.0)}, 0), ({"weight_decay": 0.0}, 3)]
    rng = np.random.default_rng(3)
    for step, (change, fused_runs) in enumerate(changes):
        for o in (opt, plain):
            o.param_groups[0].update(change)
        for p, q in zip(params, plain_params):
            g = rng.normal(size=p.shape)
            p.grad, q.grad = g, g.copy()
        del calls[:]
        _step_both_and_compare(opt, plain, params, plain_params, f"step {step}: {change}")
        # (the first step makes the state: the NumPy code runs it)
        assert len(calls) == (0 if step == 0 else fused_runs), f"step {step}: {change}"


def test_small_parameters_alone_do_not_load_the_kernels():
    # A program whose arrays are all small never imports Numba: its Adam steps run
    # the NumPy code, with the same results as the kernel gives once loaded.
    code = textwrap.dedent("""
        import sys, numpy as np
        import autodiff as ad
        from autodiff import kernels
        w = ad.nn.Parameter(np.linspace(-1.0, 1.0, 40))
        opt = ad.optim.Adam([w], lr=0.1)
        for k in range(5):
            w.grad = np.cos(w.data * k)
            opt.step()
        print(kernels.loaded(), 'numba' in sys.modules, w.data.tobytes().hex())
    """)
    env = dict(os.environ, AUTODIFF_JIT="1",
               PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded, numba_imported, small_program = done.stdout.split()
    assert (loaded, numba_imported) == ("False", "False")
    if kernels.JIT_ENABLED:
        fused.load()                    # here the kernel updates the small parameter
    w = ad.nn.Parameter(np.linspace(-1.0, 1.0, 40))
    opt = ad.optim.Adam([w], lr=0.1)
    for k in range(5):
        w.grad = np.cos(w.data * k)
        opt.step()
    assert w.data.tobytes().hex() == small_program


@pytest.mark.parametrize("key", ["step", "exp_avg", "exp_avg_sq"])
def test_a_read_only_adam_state_array_is_refused_before_any_update(key, recwarn):
    # The kernel updates the weights and moments, then counts the step: a read-only
    # counter once made it update, give the kernels up for the process (warning), and
    # leave the NumPy code to update again before it raised.
    w = ad.nn.Parameter(np.ones(4096))
    opt = ad.optim.Adam([w], lr=0.1)
    for _ in range(2):
        w.grad = np.ones(4096)
        opt.step()
    state = opt.state[0]
    kept = {name: np.copy(value) for name, value in state.items()} | {"w": w.data.copy()}
    state[key].flags.writeable = False
    w.grad = np.ones(4096)
    with pytest.raises(ValueError, match="read-only"):
        opt.step()
    # (the NumPy code, as PyTorch's, counts the step and moves exp_avg before it fails)
    np.testing.assert_array_equal(w.data, kept["w"])
    np.testing.assert_array_equal(state[key], kept[key])
    assert not [w for w in recwarn if "compiled optimizer update failed" in str(w.message)]
    assert fused.load() is not False or not kernels.JIT_ENABLED


@pytest.mark.parametrize("cls", [ad.optim.Adam, ad.optim.AdamW])
@pytest.mark.filterwarnings("ignore::autodiff.NoGradientWarning")
def test_adam_scalars_shared_within_a_step_only_where_step_group_and_dtype_agree(
        cls, monkeypatch):
    # One step() makes Adam's kernel scalars once per (step count, group, dtype): a
    # parameter that missed steps (its count lags), a second group with another lr, and
    # a float32 parameter in a float64 group each need their own, bit for bit the NumPy
    # code's; the lr changed between steps is read anew.
    plain_cls = type("Plain" + cls.__name__, (cls,), {})
    rng = np.random.default_rng(3)

    def make():
        shapes = [((40, 30), np.float64), ((1100,), np.float64), ((1030,), np.float32),
                  ((1050,), np.float64)]           # large: fused whether or not loaded
        return [ad.nn.Parameter(np.random.default_rng(0).normal(size=s).astype(d))
                for s, d in shapes]

    params, plain_params = make(), make()

    def groups(ps):
        return [{"params": ps[:3], "lr": 0.01}, {"params": ps[3:], "lr": 0.03}]

    opt, plain = cls(groups(params)), plain_cls(groups(plain_params))
    calls = _count_fused_runs(monkeypatch)
    for step in range(12):
        for o in (opt, plain):
            o.param_groups[0]["lr"] = 0.01 * (1 + step % 3)
        for i, (p, q) in enumerate(zip(params, plain_params)):
            if i == 1 and step % 4 != 0:        # its step count falls behind the others'
                p.grad = q.grad = None
                continue
            g = rng.normal(size=p.shape).astype(p.dtype)
            p.grad, q.grad = g, g.copy()
        _step_both_and_compare(opt, plain, params, plain_params, f"step {step}")
    assert int(opt.state[params[1]]["step"]) == 3 and int(opt.state[params[0]]["step"]) == 12
    assert len(calls) == 11 * 3 + 2           # every update after each one's first is fused
