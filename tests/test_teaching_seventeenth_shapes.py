"""The teaching tools on the round 19-20 programs' ops in float32, complex, 0-d and empty
shapes; inside ``ad.compile`` (``matrix_exp``, ``qr``, ``svdvals``, ``kthvalue`` in a
compiled step), ``ad.grad`` (``svdvals``, ``logaddexp.reduce``, ``tensordot``) and
``ad.vmap`` (``sliding_window_view`` under ``detect_anomaly``); and the in-browser
stepper on ``matrix_exp``, ``kthvalue`` with ``max(other)`` and ``index_add_``.
"""

import shutil

import numpy as np
import pytest
from teaching_checks import check_tools_keep_the_dtype, step_through_in_a_browser
from test_teaching_seventeenth_scripts import PROGRAMS

import autodiff as ad
import autodiff as torch            # written as PyTorch scripts are
import autodiff.nn.functional as F
from autodiff import nn

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")
_rng = np.random.default_rng(1717)


def _float32(values, name):
    return nn.Parameter(np.asarray(values, dtype=np.float32), name=name)


# ----------------------------------------------------------------------------------
# float32, complex, 0-d, empty
# ----------------------------------------------------------------------------------
LINALG = {
    "matrix_exp": lambda w: torch.linalg.matrix_exp(w).pow(2).sum(),
    "qr": lambda w: torch.linalg.qr(w)[0].pow(2).sum() + torch.linalg.qr(w)[1].sum(),
    "svdvals": lambda w: torch.linalg.svdvals(w).sum(),
    "eigvals": lambda w: torch.linalg.eigvals(w).abs().sum(),
}


@pytest.mark.parametrize("name", list(LINALG))
def test_float32_linalg_keeps_its_dtype_and_its_gradient(name):
    start = _rng.normal(size=(3, 3))
    w = _float32(start, "w")
    grad = check_tools_keep_the_dtype(LINALG[name](w), {"w": w})["w"]
    wide = ad.grad(LINALG[name])(start)               # the float64 gradient
    # float32 rounding through a decomposition: a few float32 ulps of each entry's scale
    np.testing.assert_allclose(grad, wide, rtol=2e-4, atol=2e-4 * np.abs(wide).max())


def test_complex_nan_to_num_float_power_and_qr_show_pytorchs_gradients():
    torch_ = pytest.importorskip("torch")
    values = np.array([[1 + 2j, 0.3j], [0.5, -1j]])

    def loss_of(lib, z, finite):
        return (finite(z * z).abs().sum() + lib.float_power(z, 2.5).real.sum()
                + lib.linalg.qr(z)[1].abs().sum())
    z = ad.tensor(values, requires_grad=True, name="z")
    grad = check_tools_keep_the_dtype(loss_of(torch, z, torch.nan_to_num), {"z": z})["z"]
    theirs = torch_.tensor(values, requires_grad=True)
    # PyTorch has no complex nan_to_num gradient; on finite values it is the identity
    loss_of(torch_, theirs, lambda v: v).backward()
    # the same formulas; LAPACK's QR through other calls: bounded, not bitwise
    np.testing.assert_allclose(grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_zero_d_float_power_logaddexp_reduce_kthvalue_and_max_other():
    s = nn.Parameter(np.array(0.7), name="s")
    trio = ad.stack([s, s * 2, -s])
    loss = (torch.float_power(s, 3) + np.logaddexp.reduce(trio) + trio.kthvalue(2)[0]
            + s.max(torch.tensor(0.5)) * 2)
    grad = check_tools_keep_the_dtype(loss, {"s": s})["s"]
    weights = np.exp(np.array([0.7, 1.4, -0.7]) - np.logaddexp.reduce([0.7, 1.4, -0.7]))
    expected = 3 * 0.7 ** 2 + weights @ [1.0, 2.0, -1.0] + 1.0 + 2.0   # kthvalue picks s
    np.testing.assert_allclose(grad, expected, rtol=1e-14)


EMPTY = {
    "einsum with ...": ((0, 3), lambda e: torch.einsum(
        "...i,i->...", e, torch.ones(3, dtype=torch.float64)).sum()),
    "tensordot": ((0, 3), lambda e: torch.tensordot(
        e, torch.ones(3, 2, dtype=torch.float64), dims=1).sum()),
    "logaddexp.reduce with initial": ((0,), lambda e: np.logaddexp.reduce(e, initial=0.0)),
    "svdvals": ((2, 0), lambda e: torch.linalg.svdvals(e).sum()),
    "matrix_exp": ((0, 0), lambda e: torch.linalg.matrix_exp(e).sum()),
    "circular pad": ((1, 0, 4), lambda e: F.pad(e, (1, 1), mode="circular").sum()),
}


@pytest.mark.parametrize("name", list(EMPTY))
def test_an_empty_parameter_gets_an_empty_gradient_and_the_tools_say_all_zero(name):
    shape, program = EMPTY[name]
    e = nn.Parameter(np.zeros(shape), name="e")
    grad = check_tools_keep_the_dtype(program(e), {"e": e})["e"]
    assert grad.shape == shape


# ----------------------------------------------------------------------------------
# inside ad.compile, ad.grad and ad.vmap
# ----------------------------------------------------------------------------------
def _compiled_step():
    W = nn.Parameter(0.3 * _rng.normal(size=(3, 3)), name="W")
    x = torch.tensor(_rng.normal(size=(4, 3)))

    @ad.compile
    def step():
        R = torch.linalg.matrix_exp(W - W.T)
        Q, Rq = torch.linalg.qr(W)
        loss = (((x @ R.T) ** 2).mean() + torch.linalg.svdvals(W).sum()
                + (Q * torch.sign(torch.diagonal(Rq))).sum() + W.flatten().kthvalue(4)[0])
        loss.backward()
        return loss
    return step, W


def test_a_compiled_step_is_quiet_under_anomaly_and_its_plan_is_drawn():
    step, W = _compiled_step()
    first = float(step().data)
    grad = np.asarray(W.grad).copy()
    W.grad = None
    with ad.detect_anomaly():                       # quiet, and the same numbers
        assert float(step().data) == first
    np.testing.assert_array_equal(W.grad, grad)
    source = ad.viz.draw(step.plan).source
    for op in ("matrix_exp", "qr", "svdvals", "take_along_axis"):
        assert op in source, op
    W.grad = None
    loss = step.__wrapped__()                       # the graph the plan replays
    assert "= matrix_exp(" in ad.viz.text(loss)
    np.testing.assert_allclose(W.grad, grad, rtol=1e-12, atol=1e-15)


def test_inside_ad_grad_the_tools_see_svdvals_and_logaddexp_reduce():
    seen = {}

    def f(w):
        y = (torch.linalg.svdvals(w.reshape(2, 2)).sum() + np.logaddexp.reduce(w)
             + torch.tensordot(w, w, dims=1))
        seen["text"] = ad.viz.text(y)
        seen["totals"] = ad.viz.steps(y).totals
        return y
    grad = ad.grad(f)(np.array([1.0, 2.0, 0.5, -1.0]))
    for op in ("svdvals", "logaddexp_reduce", "tensordot"):
        assert f"= {op}(" in seen["text"], op
    np.testing.assert_allclose(next(iter(seen["totals"].values())), grad, rtol=1e-14)


def test_inside_vmap_anomaly_names_sqrt_of_a_window_and_the_line():
    def energy(v):
        return np.sqrt(np.lib.stride_tricks.sliding_window_view(v, 2)).sum()
    with pytest.raises(ad.AnomalyError) as info:
        with ad.detect_anomaly():
            ad.vmap(ad.grad(energy))(np.array([[1.0, 4.0, 9.0], [0.0, 1.0, 4.0]]))
    message = str(info.value)
    assert message.startswith("sqrt: the backward pass produced inf"), message
    assert "`return np.sqrt(np.lib.stride_tricks.sliding_window_view(v, 2)).sum()`" in message
    assert "the derivative of sqrt is infinite" in message
    # the second example holds the 0: the report says which one
    assert message.endswith("\n  in example 1 of vmap(grad(energy))'s batch: run the function "
                            "on that example alone to look closer (x[1])"), message


def test_inside_vmap_text_of_a_plain_result_says_what_to_do():
    def f(v):
        ad.viz.text(np.logaddexp.reduce(v))
        return v.sum()
    with pytest.raises(TypeError, match=r"^viz\.text: expected a Tensor, got float64: .*"
                                        r"inside ad\.vmap, the function gets plain arrays"):
        ad.vmap(f)(np.ones((2, 3)))


# ----------------------------------------------------------------------------------
# the in-browser stepper on new ops
# ----------------------------------------------------------------------------------
@needs_dot
@pytest.mark.parametrize("name", ["matrix_exp", "kthvalue and max(other)",
                                  "index_add_ and var_mean"])
def test_stepping_through_in_a_real_browser(name, tmp_path, browser_page):  # noqa: F811
    step_through_in_a_browser(browser_page, *PROGRAMS[name], tmp_path)


# ----------------------------------------------------------------------------------
# gradcheck at a kink says so, with the one-sided slopes
# ----------------------------------------------------------------------------------
KINKS = {
    # name: (func, input, the entry, slope from below, from above, analytic, its side)
    "kthvalue tie": (lambda a: a.kthvalue(2)[0], np.array([1.0, 1.0, 3.0]), "(1,)", 0, 1,
                     1, "above"),
    "repeated singular value": (lambda a: torch.linalg.svdvals(a), np.eye(3), "(0, 0)", 0, 1,
                                1, "above"),
    "relu at 0": (lambda a: F.relu(a), np.array([0.0, 1.0]), "(0,)", 0, 1, 0, "below"),
}


@pytest.mark.parametrize("name", list(KINKS))
def test_gradcheck_at_a_kink_names_the_entry_and_the_one_sided_slopes(name):
    func, x, entry, below, above, analytic, side = KINKS[name]
    with pytest.raises(ad.GradcheckError) as info:
        ad.gradcheck(func, [x])
    message = str(info.value)
    assert (f"Input 0 sits on a kink at entry {entry}: the slope is {below} from below and "
            f"{above} from above, so the central difference averages the two. The analytic "
            f"gradient there, {analytic}, is the slope from {side}") in message, message


def test_gradcheck_gives_no_kink_excuse_to_a_wrong_gradient():
    class Doubled(ad.Function):                   # abs with a gradient twice too large
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return ad.abs(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * g * ad.sign(x)
    for x in (np.array([0.0, 1.0]), np.array([0.5, 1.0])):     # at the kink and away
        with pytest.raises(ad.GradcheckError) as info:
            ad.gradcheck(lambda a: Doubled.apply(a), [x])
        assert "kink" not in str(info.value)
