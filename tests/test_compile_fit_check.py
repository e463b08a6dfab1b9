"""The generated check a compiled call makes of its cached plan (``compile/fit_check.py``)
answers as the walk that defines it (``why_plan_does_not_fit``): yes when nothing the
plan needs has changed, no after each kind of change, and yes again when the change is
undone."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile.captures import why_plan_does_not_fit
from autodiff.compile.fit_check import plan_fits

SETTINGS = {"scale": 2.0}


def _agree(plan) -> bool:
    fits = plan_fits(plan)
    assert fits == (why_plan_does_not_fit(plan) is None)
    return fits


def _model_step():
    model = ad.nn.Sequential(ad.nn.Linear(3, 4, rng=0), ad.nn.ReLU(), ad.nn.Linear(4, 2, rng=1))
    opt = ad.optim.SGD(model.parameters(), lr=0.1)

    @ad.compile
    def step(x):
        loss = (model(x) * SETTINGS["scale"]).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    step(np.ones((5, 3)))
    return model, step


def test_a_fresh_plan_fits():
    _, step = _model_step()
    assert _agree(step.plan)


@pytest.mark.parametrize("change, undo", [
    (lambda m: m.eval(), lambda m: m.train()),
    (lambda m: setattr(m[1], "inplace", True), lambda m: setattr(m[1], "inplace", False)),
    (lambda m: m[0].weight.requires_grad_(False), lambda m: m[0].weight.requires_grad_(True)),
    (lambda m: SETTINGS.__setitem__("scale", 3.0), lambda m: SETTINGS.__setitem__("scale", 2.0)),
])
def test_a_setting_changed_makes_it_unfit_until_it_is_back(change, undo):
    model, step = _model_step()
    plan = step.plan
    change(model)
    try:
        assert not _agree(plan)
    finally:
        undo(model)
    assert _agree(plan)


def test_a_new_submodule_a_new_parameter_array_and_another_memory_order_are_seen():
    model, step = _model_step()
    plan = step.plan
    model[2] = ad.nn.Linear(4, 2, rng=2)
    assert not _agree(plan)
    model, step = _model_step()
    plan = step.plan
    model[0].weight.data = np.ones((4, 3)).T.copy()       # (3, 4) again, C order
    assert _agree(plan)
    model[0].weight.data = np.ones((4, 3)).T               # (3, 4), Fortran order
    assert not _agree(plan)
    model[0].weight.data = np.ones((3, 5))
    assert not _agree(plan)


GLOBAL_WEIGHT = ad.tensor(np.ones(3), requires_grad=True)


def test_a_global_rebound_and_a_hook_registered_are_seen():
    global GLOBAL_WEIGHT
    layer = ad.nn.Linear(3, 1, rng=0)

    @ad.compile
    def f(x):
        return (layer(x * GLOBAL_WEIGHT)).sum()

    f(np.ones((2, 3)))
    plan = f.plan
    assert _agree(plan)
    handle = layer.register_forward_hook(lambda module, args, out: None)
    assert not _agree(plan)
    handle.remove()
    assert _agree(plan)
    kept = GLOBAL_WEIGHT
    GLOBAL_WEIGHT = ad.tensor(np.ones(3), requires_grad=True)
    try:
        assert not _agree(plan)
    finally:
        GLOBAL_WEIGHT = kept
    assert _agree(plan)


_HOOKS = {
    "forward": lambda m: m.register_forward_hook(lambda module, args, out: None),
    "forward pre": lambda m: m.register_forward_pre_hook(lambda module, args: None),
    "global forward": lambda m: ad.nn.modules.module.register_module_forward_hook(
        lambda module, args, out: None),
    "global forward pre": lambda m: ad.nn.modules.module.register_module_forward_pre_hook(
        lambda module, args: None),
    "full backward": lambda m: m.register_full_backward_hook(lambda module, gi, go: None),
    "full backward pre": lambda m: m.register_full_backward_pre_hook(lambda module, go: None),
}


@pytest.mark.parametrize("kind", sorted(_HOOKS))
def test_each_kind_of_module_hook_registered_on_any_module_is_seen(kind):
    # (the generated check reads the modules' hook tables itself, not the property)
    model, step = _model_step()
    plan = step.plan
    for module in (model, model[0], model[1], model[2]):
        handle = _HOOKS[kind](module)
        try:
            assert not _agree(plan)
        finally:
            handle.remove()
        assert _agree(plan)


def test_a_captured_arrays_values_changed_are_seen():
    table = np.arange(3.0)

    @ad.compile
    def f(x):
        return (x * table).sum()

    f(ad.tensor(np.ones(3), requires_grad=True))
    plan = f.plan
    assert _agree(plan)
    table[0] = 5.0
    assert not _agree(plan)


def test_a_closure_bound_to_another_object_is_seen():
    def make():
        weight = ad.tensor(np.ones(2))

        def g(x):
            return (x * weight).sum()

        def rebind():
            nonlocal weight
            weight = ad.tensor(np.ones(2))
        return g, rebind

    g, rebind = make()
    compiled = ad.compile(g)
    compiled(np.ones(2))
    plan = compiled.plan
    assert _agree(plan)
    rebind()
    assert not _agree(plan)


def test_a_dropped_plan_is_freed_without_the_cycle_collector():
    """The generated check takes the plan as its argument: a reference back from its
    globals would make a cycle that keeps a dropped plan (and what it captures) alive
    until a collection."""
    import gc
    import weakref

    layer = ad.nn.Linear(3, 2, rng=0)
    opt = ad.optim.SGD(layer.parameters(), lr=0.1)

    def make():
        @ad.compile
        def step(x):
            loss = layer(x).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        step(np.ones((4, 3)))
        step(np.ones((4, 3)))           # (the check is made at the second call)
        return step

    enabled = gc.isenabled()
    gc.disable()
    try:
        step = make()
        assert step.plan.fit_check is not None
        plan = weakref.ref(step.plan)
        del step
        assert plan() is None
    finally:
        if enabled:
            gc.enable()
