"""Teaching tools, twenty-fifth probe: a learning rate so small that a step moves
nothing, and a squared error of an (N, 1) prediction against an (N,) target."""

import warnings

import numpy as np
import pytest

import autodiff as ad

NoOpStepWarning = ad.optim.NoOpStepWarning


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
        loss_fn().backward()
        first.step()
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


def _linear_and_data(n=4):
    rng = np.random.default_rng(0)
    return ad.nn.Linear(2, 1, rng=0), ad.tensor(rng.normal(size=(n, 2))), np.arange(n, dtype=float)


def test_explain_notes_a_squared_error_of_an_n_by_1_prediction_against_an_n_target():
    lin, X, y = _linear_and_data()
    loss = ((lin(X) - ad.tensor(y)) ** 2).mean()
    loss.backward()
    for text in (ad.explain(loss), ad.explain(lin.weight)):
        note = next(line for line in text.splitlines() if "shape mistake" in line)
        assert note.startswith("Possibly a shape mistake: subtract takes shapes (4, 1) and")
        assert "broadcasts them to (4, 4)" in note and "averages all 16 differences" in note
        assert "pred.squeeze(-1) - target" in note
    # with the graph kept, the target's shape is known; a sum is "adds up"
    lin.zero_grad()
    loss = ((ad.tensor(y) - lin(X)).abs()).sum()
    loss.backward(retain_graph=True)
    text = ad.explain(lin.bias)
    assert "takes shapes (4,) and (4, 1)" in text and "adds up all 16 differences" in text


def test_explain_names_the_line_of_the_subtraction_under_detect_anomaly():
    lin, X, y = _linear_and_data(3)
    with ad.detect_anomaly():
        loss = ((lin(X) - ad.tensor(y)) ** 2).mean()
    loss.backward()
    note = next(line for line in ad.explain(lin.weight).splitlines() if "shape mistake" in line)
    assert "test_teaching_twentyfifth.py" in note and "9 differences" in note


@pytest.mark.parametrize("case", ["pairwise", "pairwise reshape", "same shapes",
                                  "not a scalar", "one row"])
def test_no_shape_note_for_differences_meant_as_a_table_or_shapes_that_match(case):
    x = ad.tensor(np.arange(4.0), requires_grad=True)
    lin, X, y = _linear_and_data()
    if case == "pairwise":          # energy of all pairs: x[:, None] - x on purpose
        loss = ((x[:, None] - x) ** 2).sum()
    elif case == "pairwise reshape":
        loss = ((x.reshape(-1, 1) - x) ** 2).mean()
    elif case == "same shapes":
        loss = ((lin(X) - ad.tensor(y).reshape(-1, 1)) ** 2).mean()
    elif case == "not a scalar":
        loss = ((lin(X) - ad.tensor(y)) ** 2).mean(axis=0)
        loss = loss.sum()
    else:                           # N = 1: (1, 1) - (1,) is (1, 1), nothing broadcast
        lin, X, y = _linear_and_data(1)
        loss = ((lin(X) - ad.tensor(y)) ** 2).mean()
    loss.backward()
    for t in (loss, x, lin.weight):
        assert "shape mistake" not in ad.explain(t)
