"""Teaching tools, twenty-fifth probe: a learning rate so small that a step moves
nothing, and a squared error of an (N, 1) prediction against an (N,) target."""

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.optim.noop_update import NoOpStepWarning


def _step_warnings(opt, loss_fn, steps=1):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(steps):
            opt.zero_grad()
            loss_fn().backward()
            opt.step()
    return [w for w in caught if issubclass(w.category, NoOpStepWarning)]


def test_sgd_step_too_small_for_float32_is_named_with_its_sizes_and_the_users_line():
    w = ad.nn.Parameter(np.ones(3, dtype=np.float32))
    opt = ad.optim.SGD([w], lr=1e-9)
    caught = _step_warnings(opt, lambda: (w * w).sum(), steps=3)
    assert np.array_equal(w.data, np.ones(3, dtype=np.float32))     # (it really moved nothing)
    assert len(caught) == 1                                           # once per optimizer
    text = str(caught[0].message)
    assert caught[0].filename == __file__                             # the user's line
    assert "SGD.step" in text and "changed no entry of any parameter" in text
    assert "lr=1e-09" in text and "typical |grad| 2" in text and "typical |w| 1" in text
    assert "lr*|grad| = 2e-09" in text and "float32" in text
    assert f"{np.spacing(np.float32(1)):.3g}" in text                 # the float's spacing
    assert "float64 model has finer spacing" in text


def test_adam_update_is_about_lr_whatever_the_gradient_in_float64():
    w = ad.nn.Parameter(np.full(4, 3.0))
    opt = ad.optim.Adam([w], lr=1e-17)
    caught = _step_warnings(opt, lambda: (w ** 2).sum())
    assert len(caught) == 1
    text = str(caught[0].message)
    assert "Adam scales each entry's update to about lr" in text
    assert "float64" in text and "finer spacing" not in text
    assert f"{np.spacing(3.0):.3g}" in text


def test_a_step_that_moves_one_entry_is_not_a_no_op():
    w = ad.nn.Parameter(np.array([1.0, 1e-12], dtype=np.float32))
    opt = ad.optim.SGD([w], lr=1e-9)
    assert _step_warnings(opt, lambda: (w * w).sum() + w.sum()) == []
    assert w.data[1] != np.float32(1e-12)


@pytest.mark.parametrize("case", ["zero gradient", "frozen", "lr zero", "warmup",
                                  "normal lr", "resumed"])
def test_no_warning_where_a_step_that_moves_nothing_is_meant(case):
    w = ad.nn.Parameter(np.ones(3, dtype=np.float32))
    frozen = ad.nn.Parameter(np.ones(2, dtype=np.float32))
    lr = {"lr zero": 0.0, "normal lr": 0.1}.get(case, 1e-3)
    opt = ad.optim.SGD([w, frozen], lr=lr)
    loss_fn = lambda: (w * w).sum() + (frozen * frozen).sum()  # noqa: E731
    if case == "zero gradient":
        loss_fn = lambda: (w * 0.0).sum()                       # noqa: E731
    if case == "frozen":
        w.requires_grad_(False)
        frozen.requires_grad_(False)
        loss_fn = lambda: (w * w).sum() + ad.tensor(1.0, requires_grad=True)  # noqa: E731
    if case == "warmup":            # LambdaLR holding lr at 1e-9 of 1e-3: meant to be tiny
        ad.optim.lr_scheduler.LambdaLR(opt, lambda step: 1e-6)
    if case == "resumed":           # a loaded state: training may be near its end
        first = ad.optim.SGD([w, frozen], lr=0.1, momentum=0.9)
        first.zero_grad(); loss_fn().backward(); first.step()
        opt = ad.optim.SGD([w, frozen], lr=1e-9, momentum=0.9)
        opt.load_state_dict(first.state_dict())
        opt.param_groups[0]["lr"] = 1e-9
    assert _step_warnings(opt, loss_fn, steps=3) == []


def test_only_the_first_steps_are_watched_so_convergence_is_not_called_a_mistake():
    w = ad.nn.Parameter(np.ones(2, dtype=np.float32))
    target = ad.tensor(np.ones(2, dtype=np.float32))
    opt = ad.optim.SGD([w], lr=0.1)
    assert _step_warnings(opt, lambda: ((w - target) ** 2).sum() + w.sum(), steps=3) == []
    assert opt._noop_checks_left == 0
    # later the gradient is far below what moves a float32 near 1: no warning, no copy
    assert _step_warnings(opt, lambda: (w * 1e-12).sum(), steps=2) == []
