"""The tenth round's stateful features crossed with saving, loading and compiling:
complex optimizer state written with ``ad.save`` and resumed, schedulers that follow a
group added by ``add_param_group`` through ``state_dict`` round trips and
``ad.compile``, ``out=`` resizing in a compiled step, and a user's pruning
``compute_mask`` through ``state_dict``, ``functional_call``, ``vmap(grad)`` and
training; against PyTorch and the uninterrupted run."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from cross_tenth_functions import optimizer_with_added_group

RNG = np.random.default_rng(1114)


def _torch():
    return pytest.importorskip("torch")


# ----- complex optimizer state through a file -------------------------------------------------

OPTIMIZERS = [("Adam", dict(lr=0.1)), ("AdamW", dict(lr=0.1, amsgrad=True)),
              ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
              ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
              ("Adagrad", dict(lr=0.1)), ("NAdam", dict(lr=0.1)), ("RAdam", dict(lr=0.1)),
              ("Adamax", dict(lr=0.1)), ("Adadelta", dict()), ("ASGD", dict(lr=0.1)),
              ("Rprop", dict(lr=0.1))]


def _steps(parameter, optimizer, count):
    for _ in range(count):
        optimizer.zero_grad()
        (parameter.abs() ** 2 + (parameter * 0.3).real).sum().backward()
        optimizer.step()


@pytest.mark.parametrize("name, options", OPTIMIZERS, ids=[n for n, _ in OPTIMIZERS])
def test_complex_optimizer_state_saved_to_a_file_resumes_as_torch(name, options, tmp_path):
    start = RNG.normal(size=3) + 1j * RNG.normal(size=3)
    p = ad.nn.Parameter(start.copy())
    optimizer = getattr(ad.optim, name)([p], **options)
    _steps(p, optimizer, 3)
    ad.save({"optimizer": optimizer.state_dict(), "p": p.detach()}, tmp_path / "state.pt")
    loaded = ad.load(tmp_path / "state.pt")
    resumed = ad.nn.Parameter(np.array(loaded["p"].data))
    again = getattr(ad.optim, name)([resumed], **options)
    again.load_state_dict(loaded["optimizer"])
    _steps(p, optimizer, 3)
    _steps(resumed, again, 3)
    np.testing.assert_array_equal(resumed.data, p.data)
    torch = _torch()
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)      # (the scalar state of NAdam and ASGD)
    try:
        theirs = torch.nn.Parameter(torch.tensor(start))
        _steps(theirs, getattr(torch.optim, name)([theirs], **options), 6)
    finally:
        torch.set_default_dtype(previous)
    np.testing.assert_allclose(p.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)


# ----- schedulers following add_param_group ----------------------------------------------------

_SCHEDULES = {
    "StepLR": lambda S, opt: S.StepLR(opt, step_size=2, gamma=0.5),
    "MultiStepLR": lambda S, opt: S.MultiStepLR(opt, milestones=[1, 3]),
    "ExponentialLR": lambda S, opt: S.ExponentialLR(opt, gamma=0.5),
    "LinearLR": lambda S, opt: S.LinearLR(opt, total_iters=4),
}


def _resumed_learning_rates(lib, make):
    """Three steps with a group added after the scheduler, a state_dict round trip into
    a new optimizer and scheduler, three steps more: the learning rates of those."""
    opt, schedule = optimizer_with_added_group(lib, make)
    for _ in range(3):
        opt.step()
        schedule.step()
    again = lib.optim.SGD([lib.nn.Parameter(lib.zeros(1))], lr=0.1, momentum=0.9)
    again.add_param_group({"params": [lib.nn.Parameter(lib.zeros(2))], "lr": 1.0})
    resumed = make(lib.optim.lr_scheduler, again)
    again.load_state_dict(opt.state_dict())
    resumed.load_state_dict(schedule.state_dict())
    rates = []
    for _ in range(3):
        again.step()
        resumed.step()
        rates.append([group["lr"] for group in again.param_groups])
    return rates, resumed.get_last_lr()


@pytest.mark.filterwarnings("ignore:SGD.step. none of the")      # (steps without loss)
@pytest.mark.parametrize("name", sorted(_SCHEDULES))
def test_a_schedule_following_an_added_group_survives_a_state_dict_round_trip(name):
    torch = _torch()
    ours = _resumed_learning_rates(ad, _SCHEDULES[name])
    theirs = _resumed_learning_rates(torch, _SCHEDULES[name])
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-14)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-14)


@pytest.mark.parametrize("name", sorted(_SCHEDULES))
def test_a_schedule_following_an_added_group_replays_in_a_compiled_step(name):
    results = []
    for compiled in (False, True):
        first = ad.nn.Parameter(np.linspace(-1, 1, 4))
        second = ad.nn.Parameter(np.ones(4))
        opt = ad.optim.SGD([first], lr=0.1, momentum=0.9)
        schedule = _SCHEDULES[name](ad.optim.lr_scheduler, opt)
        opt.add_param_group({"params": [second], "lr": 0.2})

        def step(x, first=first, second=second, opt=opt, schedule=schedule):
            opt.zero_grad()
            loss = ((first * x) ** 2).sum() + ((second - x) ** 2).sum()
            loss.backward()
            opt.step()
            schedule.step()
            return loss
        step = ad.compile(step, fuse=False) if compiled else step
        losses = [float(step(ad.tensor(np.linspace(0, 1, 4) + i))) for i in range(6)]
        results.append((losses, first.data.copy(), second.data.copy(),
                        [g["lr"] for g in opt.param_groups]))
    assert results[0][0] == results[1][0] and results[0][3] == results[1][3]
    np.testing.assert_array_equal(results[0][1], results[1][1])
    np.testing.assert_array_equal(results[0][2], results[1][2])


_MORE_SCHEDULES = {
    "ConstantLR": lambda S, opt: S.ConstantLR(opt, factor=0.5, total_iters=2),
    "PolynomialLR": lambda S, opt: S.PolynomialLR(opt, total_iters=4, power=2.0),
    "CosineAnnealingLR": lambda S, opt: S.CosineAnnealingLR(opt, T_max=3, eta_min=0.01),
    "ChainedScheduler": lambda S, opt: S.ChainedScheduler(
        [S.ConstantLR(opt, factor=0.5, total_iters=2), S.ExponentialLR(opt, gamma=0.9)]),
    "SequentialLR": lambda S, opt: S.SequentialLR(
        opt, [S.ConstantLR(opt, factor=0.5, total_iters=2), S.ExponentialLR(opt, 0.9)], [3]),
    # (its milestone restarts StepLR from the initial lrs: the added group was left off)
    "SequentialLR of StepLRs": lambda S, opt: S.SequentialLR(
        opt, [S.ExponentialLR(opt, 0.9), S.StepLR(opt, step_size=2)], [3]),
}


def _rates_until_refused(lib, make, steps=10):
    opt, schedule = optimizer_with_added_group(lib, make)
    rates = []
    for _ in range(steps):
        opt.step()
        try:
            schedule.step()
        except ValueError:
            return rates, True
        rates.append([group["lr"] for group in opt.param_groups])
    return rates, False


@pytest.mark.filterwarnings("ignore:SGD.step. none of the")
@pytest.mark.parametrize("name", sorted(_MORE_SCHEDULES))
def test_more_schedules_follow_an_added_group_until_they_restart_as_torch(name):
    # ConstantLR, PolynomialLR and CosineAnnealingLR refused a group added after them,
    # which PyTorch's follow (and refuse, as here, where they restart from initial lrs)
    torch = _torch()
    ours, refused = _rates_until_refused(ad, _MORE_SCHEDULES[name])
    theirs, torch_refused = _rates_until_refused(torch, _MORE_SCHEDULES[name])
    assert refused == torch_refused == (name in ("CosineAnnealingLR", "SequentialLR",
                                                 "SequentialLR of StepLRs"))
    assert len(ours) == len(theirs) > 1
    np.testing.assert_allclose(ours, theirs, rtol=1e-14)


def test_out_resizing_in_a_compiled_step_replays_as_eager():
    results = []
    for compiled in (False, True):
        w = ad.nn.Parameter(np.linspace(-1, 1, 4))
        opt = ad.optim.SGD([w], lr=0.05)

        def step(x, w=w, opt=opt):
            opt.zero_grad()
            out = ad.empty(0)
            ad.mul(w, x, out=out)                   # resized silently: it is empty
            loss = (out ** 2).sum()
            loss.backward()
            opt.step()
            return loss
        step = ad.compile(step, fuse=False) if compiled else step
        results.append(([float(step(ad.tensor(np.full(4, 0.5 + i)))) for i in range(4)],
                        w.data.copy()))
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])


@pytest.mark.parametrize("size", [0, 2])
def test_out_resizing_a_tensor_from_before_a_compiled_call_is_refused_naming_out(size):
    # the trace refused it as ".data ... is assigned (t.data = ..., t += ...)"
    out = ad.zeros(size)

    def doubled(x):
        ad.mul(x, 2.0, out=out)
        return out * 1

    with pytest.raises(Exception, match=rf"mul with out= resizing a tensor from before the "
                                        rf"call at test_cross_features_eleventh_state.py:\d+"
                                        rf".*out has shape \({size},\) and the result \(3,\)"):
        ad.compile(doubled)(ad.tensor(np.ones(3)))


# ----- a user's pruning method --------------------------------------------------------------------

def _every_other(lib):
    class EveryOther(lib.nn.utils.prune.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.view(-1)[::2] = 0
            return mask
    return EveryOther


def _torch_with_prune():
    torch = _torch()
    pytest.importorskip("torch.nn.utils.prune")
    return torch


def _pruned_pair():
    """A float64 Linear of each library with the same start, pruned by the user's method."""
    torch = _torch_with_prune()
    theirs = torch.nn.Linear(3, 2, dtype=torch.float64)
    ours = ad.nn.Linear(3, 2, dtype=ad.float64)
    ours.load_torch_state_dict(theirs.state_dict())
    _every_other(torch).apply(theirs, "weight")
    _every_other(ad).apply(ours, "weight")
    return torch, ours, theirs


def test_a_users_pruning_trains_and_round_trips_its_state_as_torch():
    torch, ours, theirs = _pruned_pair()
    x = RNG.normal(size=(4, 3))
    for lib, model in ((ad, ours), (torch, theirs)):
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad()
            (model(lib.tensor(x)) ** 2).sum().backward()
            opt.step()
    # (the weight is kept in Linear's (in, out) layout here, PyTorch's (out, in) there.
    # Three steps leave an entry near 2e-5 from cancelling terms of size 1e-2, whose
    # last bits follow the libraries' summation orders: compared relative to the
    # largest entry, not entry by entry.)
    expected = theirs.weight.detach().numpy()
    np.testing.assert_allclose(ours.weight.data.T, expected, rtol=1e-13,
                               atol=1e-13 * np.abs(expected).max())
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    fresh = ad.nn.Linear(3, 2, dtype=ad.float64)
    _every_other(ad).apply(fresh, "weight")
    fresh.load_state_dict(ours.state_dict())
    np.testing.assert_array_equal(fresh(ad.tensor(x)).data, ours(ad.tensor(x)).data)
    with pytest.raises(Exception, match="weight_orig"):
        ad.nn.Linear(3, 2, dtype=ad.float64).load_state_dict(ours.state_dict())


def test_a_users_pruning_under_functional_call_and_per_example_gradients():
    torch, ours, theirs = _pruned_pair()
    x = RNG.normal(size=(4, 3))

    def per_example(lib, model):
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p, row):
            return (lib.func.functional_call(model, p, (row[None],)) ** 2).sum()
        return params, lib.func.vmap(lib.func.grad(loss), in_dims=(None, 0))(params,
                                                                               lib.tensor(x))

    (params, grads), (t_params, t_grads) = per_example(ad, ours), per_example(torch, theirs)
    assert sorted(params) == sorted(t_params) == ["bias", "weight_orig"]
    np.testing.assert_allclose(grads["bias"], t_grads["bias"].numpy(), rtol=1e-13)
    np.testing.assert_allclose(np.swapaxes(np.asarray(grads["weight_orig"]), 1, 2),
                               t_grads["weight_orig"].numpy(), rtol=1e-13)
    assert (np.asarray(grads["weight_orig"]) == 0).sum() == 4 * 3     # the pruned entries


def test_a_pruned_model_in_a_compiled_function_replays_its_pruning():
    model = ad.nn.Linear(3, 2, dtype=ad.float32)
    _every_other(ad).apply(model, "weight")
    assert model.weight.dtype == model.weight_mask.dtype == np.float32
    compiled = ad.compile(lambda x: model(x))
    for scale in (1.0, 2.0, 3.0):
        x = ad.tensor(np.full((1, 3), scale, np.float32))
        np.testing.assert_array_equal(compiled(x).data, model(x).data)
    # a subclass that runs its own code in the hook is still refused, naming it
    class Logged(_every_other(ad)):
        def __call__(self, module, inputs):
            super().__call__(module, inputs)
    logged = ad.nn.Linear(3, 2)
    Logged.apply(logged, "weight")
    with pytest.raises(Exception, match=r"Linear has forward hooks \(Logged\)"):
        ad.compile(lambda x: logged(x))(ad.tensor(np.ones((1, 3))))
