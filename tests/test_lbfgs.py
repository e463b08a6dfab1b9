"""ad.optim.LBFGS: known minimisers, the first step's formula, the strong Wolfe
conditions at accepted steps, saving and resuming, and refusals."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError
from autodiff.optim import lbfgs as lbfgs_module


def _rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def _setup(start, line_search_fn=None, **kwargs):
    w = ad.nn.Parameter(np.array(start, dtype=np.float64))
    opt = ad.optim.LBFGS([w], line_search_fn=line_search_fn, **kwargs)

    def closure():
        opt.zero_grad()
        loss = _rosenbrock(w)
        loss.backward()
        return loss
    return w, opt, closure


@pytest.mark.parametrize("line_search_fn, max_iter, torch_iterations", [
    ("strong_wolfe", 200, 42),       # torch 2.13: n_iter 42 (53 evaluations)
    (None, 500, 91),                 # torch 2.13: n_iter 91
])
def test_rosenbrock_reaches_its_minimiser(line_search_fn, max_iter, torch_iterations):
    w, opt, closure = _setup([-1.5, 2.0], line_search_fn, max_iter=max_iter,
                             max_eval=max_iter * 2, tolerance_grad=1e-10,
                             tolerance_change=1e-14)
    opt.step(closure)
    np.testing.assert_allclose(w.data, [1.0, 1.0], atol=1e-7)
    assert opt.state[0]["n_iter"] <= torch_iterations + 2


def test_least_squares_reaches_the_normal_equations_solution():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(8, 3)), rng.normal(size=8)
    w = ad.nn.Parameter(np.zeros(3))
    opt = ad.optim.LBFGS([w], line_search_fn="strong_wolfe", tolerance_grad=1e-12,
                         tolerance_change=1e-15)

    def closure():
        opt.zero_grad()
        loss = ((ad.tensor(a) @ w - ad.tensor(b)) ** 2).sum()
        loss.backward()
        return loss
    for _ in range(3):
        opt.step(closure)
    np.testing.assert_allclose(w.data, np.linalg.lstsq(a, b, rcond=None)[0], atol=1e-8)


@pytest.mark.parametrize("start, lr", [([-1.5, 2.0], 1.0), ([0.01, 0.002], 0.3)])
def test_first_iteration_steps_along_minus_the_gradient(start, lr):
    w, opt, closure = _setup(start, lr=lr, max_iter=1)
    x0 = w.data.copy()
    first = float(closure())
    grad = w.grad.copy()
    assert float(opt.step(closure)) == first               # the first loss is returned
    t = min(1.0, 1.0 / np.abs(grad).sum()) * lr
    np.testing.assert_array_equal(w.data, x0 + t * -grad)
    np.testing.assert_array_equal(opt.state[0]["d"], -grad)
    assert opt.state[0]["t"] == t and opt.state[0]["func_evals"] == 1


@pytest.mark.parametrize("start", [[-1.5, 2.0], [-1.2, 1.0]])   # the second needs the zoom
def test_accepted_steps_satisfy_the_strong_wolfe_conditions(monkeypatch, start):
    accepted = []
    search = lbfgs_module._strong_wolfe

    def recording(evaluate, t, d, f, g, gtd, **kwargs):
        f_new, g_new, t_new, evals = search(evaluate, t, d, f, g, gtd, **kwargs)
        accepted.append((f, gtd, f_new, g_new.dot(d), t_new))
        return f_new, g_new, t_new, evals
    monkeypatch.setattr(lbfgs_module, "_strong_wolfe", recording)
    w, opt, closure = _setup(start, "strong_wolfe", max_iter=15)
    opt.step(closure)
    assert len(accepted) >= 10                # (max_eval may end the step first)
    for f, gtd, f_new, gtd_new, t in accepted:
        assert gtd < 0 and t > 0
        assert f_new <= f + 1e-4 * t * gtd                  # sufficient decrease
        assert abs(gtd_new) <= -0.9 * gtd                   # curvature


def test_cubic_interpolation_finds_a_cubic_minimiser():
    # f(x) = x**3 - 3x: minimum at x = 1, f' = 3x**2 - 3.
    f, df = (lambda x: x ** 3 - 3 * x), (lambda x: 3 * x ** 2 - 3)
    assert abs(lbfgs_module._cubic_interpolate(0.0, f(0.0), df(0.0), 2.0, f(2.0), df(2.0))
               - 1.0) < 1e-12
    assert lbfgs_module._cubic_interpolate(0.0, 0.0, 1.0, 1.0, 2 / 3, 1.0) == 0.5  # no minimum


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_state_dict_round_trip_continues_identically(line_search_fn):
    w, opt, closure = _setup([-1.5, 2.0], line_search_fn, max_iter=4, history_size=3)
    for _ in range(3):
        opt.step(closure)
    saved = opt.state_dict()
    assert saved["state.0.old_dirs"].shape == (3, 2)
    assert {f"state.0.{k}" for k in ("func_evals", "n_iter", "d", "t", "old_dirs", "old_stps",
                                     "ro", "H_diag", "prev_flat_grad", "prev_loss", "al")} \
        <= set(saved)
    w2, opt2, closure2 = _setup(w.data.copy(), None)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["line_search_fn"] == line_search_fn
    assert opt2.param_groups[0]["history_size"] == 3
    for _ in range(3):
        opt.step(closure)
        opt2.step(closure2)
        np.testing.assert_array_equal(w.data, w2.data)
    assert opt.state[0]["func_evals"] == opt2.state[0]["func_evals"]


def test_the_loss_may_be_a_number_and_params_may_be_several():
    a, b = ad.nn.Parameter([[3.0]]), ad.nn.Parameter([-2.0, 1.0])
    opt = ad.optim.LBFGS([a, b], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((a - 1.0) ** 2).sum() + ((b - 2.0) ** 2).sum()
        loss.backward()
        return float(loss)
    assert opt.step(closure) == 4.0 + 16.0 + 1.0
    np.testing.assert_allclose(a.data, [[1.0]], atol=1e-6)
    np.testing.assert_allclose(b.data, [2.0, 2.0], atol=1e-6)


def test_errors():
    w, opt, closure = _setup([0.0, 0.0])
    with pytest.raises(TypeError, match="needs a closure"):
        opt.step()
    with pytest.raises(TypeError, match="returned None"):
        opt.step(lambda: None)
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        ad.optim.LBFGS([{"params": [w]}, {"params": [ad.nn.Parameter([1.0])]}])
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        opt.add_param_group({"params": [ad.nn.Parameter([1.0])]})
    with pytest.raises(ValueError, match="lr"):
        ad.optim.LBFGS([w], lr=-1.0)
    _, bad, bad_closure = _setup([0.0, 0.0], "backtracking")
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        bad.step(bad_closure)
    assert opt.param_groups[0]["max_eval"] == 25                 # max_iter * 5 // 4


def test_a_closure_is_refused_inside_compile():
    w, opt, closure = _setup([0.0, 0.0])

    def f():
        return opt.step(closure)
    with pytest.raises(TraceError, match="LBFGS.step is called with arguments(.|\n)*closure="):
        ad.compile(f)()
