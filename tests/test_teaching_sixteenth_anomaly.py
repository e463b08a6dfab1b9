"""``detect_anomaly`` and ``explain`` on the newest programs' ops, with a NaN or inf
where students meet one: ``np.hypot.reduce`` of a point's distance to itself, a
``remainder`` by 0, ``np.subtract.accumulate`` of a balance going negative, the square
root of ``np.poly``'s discriminant, ``np.cumulative_sum(include_initial=True)``,
``as_strided`` windows, ``narrow``, ``F.unfold``, an ``einsum`` of a list, a uint count
of 0, a recurrent cell fed NaN, ``sqrt_`` after ``clamp_``, a checkpointed block, a
causal convolution fed an inf, a fully masked ``nn.MultiheadAttention`` and repeated
eigenvalues.  Each report names the op and the user's line, and its cause is the true
one.

Three reports were wrong or unhelpful before: an inf fed in with the data and passed on
by a convolution was said to be "made by reshape" (an op that only passed it on); the
0 / 0 of ``hypot`` at (0, 0) and the division by eigenvalue gaps of ``eigh``/``eig`` at
a repeated eigenvalue got the generic "e.g. sqrt or log at 0 ... add an eps" (for eigh,
advice that does not help).  And ``explain`` said an in-place ``masked_fill_`` gave the
old values "and what they came from" zero gradient when they had a gradient.  A NaN
already in a parameter (as after a step that diverged) was put down to "the data"; the
report now names the parameter.
"""

import numpy as np
import pytest
from teaching_checks import anomaly_report as _report
from teaching_checks import check_anomaly_report

import autodiff as ad
import autodiff as torch            # written as PyTorch scripts are
import autodiff.nn.functional as F
from autodiff import nn


def _distance_to_itself():
    p = ad.tensor(np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 1.0]]), requires_grad=True)
    d = np.hypot.reduce(p - p[0], axis=1)       # the first point to itself: hypot(0, 0)
    d.sum().backward()

def _remainder_by_zero():
    w = nn.Parameter(np.array([0.4, 3.5, -2.0]), name="w")
    phase = torch.remainder(w * 2.0, torch.tensor([1.0, 0.0, 2.0]))
    phase.sum().backward()

def _balance_goes_negative():
    r = ad.tensor(np.array([0.5, 0.5, 1.0]), requires_grad=True)
    balance = np.subtract.accumulate(np.array([1.0, 0.5, 0.5]) * r)
    np.log(balance).sum().backward()

def _double_root_discriminant():
    w = ad.tensor(np.array([1.0, 1.0]), requires_grad=True)
    c = np.poly(w)                                      # [1, -2, 1]
    np.sqrt(c[1] ** 2 - 4 * c[0] * c[2]).backward()

def _decay_to_zero_energy():
    e = ad.tensor(np.array([1.0, 0.0, 0.0]), requires_grad=True)
    tail = np.cumulative_sum(e[::-1], include_initial=True)[::-1]
    np.log10(tail).sum().backward()

def _sqrt_of_strided_windows():
    s = nn.Parameter(np.array([1.0, 0.0, 2.0, 3.0]), name="s")
    windows = s.as_strided((3, 2), (1, 1))
    torch.sqrt(windows).sum().backward()

def _log_of_a_narrowed_zero():
    w = nn.Parameter(np.array([[1.0, 0.0, 4.0]]), name="w")
    torch.log(w.narrow(1, 1, 2)).sum().backward()

def _sqrt_of_unfolded_patches():
    img = nn.Parameter(np.array([[[[1.0, 0.0], [4.0, 9.0]]]]), name="img")
    torch.sqrt(F.unfold(img, 1)).sum().backward()

def _log_of_an_einsum_of_a_list():
    a = nn.Parameter(np.array([[0.0, 1.0]]), name="a")
    b = nn.Parameter(np.array([[1.0], [2.0]]), name="b")
    torch.log(torch.einsum("nc,ck->nk", [a, b]) - 2.0).sum().backward()

def _mean_over_no_counts():
    w = nn.Parameter(np.array([0.5, -1.0]), name="w")
    counts = torch.tensor(np.array([0, 0], dtype=np.uint8))
    ((w * counts).sum() / counts.sum()).backward()

def _rnn_cell_fed_nan():
    torch.manual_seed(0)
    cell = nn.RNNCell(2, 2)
    h = cell(torch.tensor(np.array([[1.0, np.nan]])), torch.zeros(1, 2, dtype=torch.float64))
    h.sum().backward()

def _sqrt_after_clamp_in_place():
    w = nn.Parameter(np.array([[1.0, -1.0]]), name="w")
    y = w * 2.0
    y.clamp_(min=0.0)
    y.sqrt_()
    y.sum().backward()

def _sqrt_in_a_checkpointed_block():
    torch.manual_seed(0)
    lin = nn.Linear(2, 2)
    x = torch.tensor(np.array([[1.0, -1.0]]))
    y = torch.utils.checkpoint.checkpoint(lambda t: torch.sqrt(lin(t) * 0.0), x,
                                          use_reentrant=False)
    y.sum().backward()

def _repeated_eigenvalues():
    a = ad.tensor(np.eye(2), requires_grad=True)
    np.linalg.eigh(a @ a.T)[1].sum().backward()

def _repeated_eig_eigenvalues():
    a = ad.tensor(np.eye(2), requires_grad=True)
    np.linalg.eig(a)[1].real.sum().backward()


NANS = {
    # name: (program, start of the report, the user's line, the cause)
    "hypot.reduce of a zero distance": (
        _distance_to_itself, "hypot: the backward pass produced NaN in the gradient for a",
        "d = np.hypot.reduce(p - p[0], axis=1)",
        "cause: hypot: at a = b = 0 (a zero length, such as a point's distance to itself) "
        "its derivative a / hypot(a, b) is 0 / 0. Keep the length away from 0: "
        "np.hypot.reduce(..., initial=eps)"),
    "remainder by 0": (_remainder_by_zero, "mod: the forward pass produced NaN",
                       "phase = torch.remainder(w * 2.0, torch.tensor([1.0, 0.0, 2.0]))",
                       "cause: a remainder by 0 is NaN"),
    "subtract.accumulate below 0": (_balance_goes_negative, "log: the forward pass produced NaN",
                                    "np.log(balance).sum().backward()",
                                    "log of a number below 0 is NaN"),
    "np.poly double root": (_double_root_discriminant, "sqrt: the backward pass produced inf",
                            "np.sqrt(c[1] ** 2 - 4 * c[0] * c[2])",
                            "the derivative of sqrt is infinite"),
    "cumulative_sum include_initial": (_decay_to_zero_energy,
                                       "log10: the backward pass produced inf",
                                       "np.log10(tail).sum().backward()",
                                       "the derivative of log10 is infinite"),
    "as_strided": (_sqrt_of_strided_windows, "sqrt: the backward pass produced inf",
                   "torch.sqrt(windows).sum().backward()", "the derivative of sqrt is infinite"),
    "narrow": (_log_of_a_narrowed_zero, "log: the backward pass produced inf",
               "torch.log(w.narrow(1, 1, 2))", "the derivative of log is infinite"),
    "unfold": (_sqrt_of_unfolded_patches, "sqrt: the backward pass produced inf",
               "torch.sqrt(F.unfold(img, 1))", "the derivative of sqrt is infinite"),
    "einsum of a list": (_log_of_an_einsum_of_a_list, "log: the backward pass produced inf",
                         'torch.log(torch.einsum("nc,ck->nk", [a, b]) - 2.0)',
                         "the derivative of log is infinite"),
    "uint counts of 0": (_mean_over_no_counts, "divide: the forward pass produced NaN",
                         "((w * counts).sum() / counts.sum())", "0 / 0 is NaN"),
    "rnn cell fed NaN": (_rnn_cell_fed_nan, "tanh: the backward pass produced NaN",
                         "h = cell(torch.tensor(np.array([[1.0, np.nan]]))",
                         "input x of tanh is already NaN at those positions"),
    "sqrt_ after clamp_": (_sqrt_after_clamp_in_place, "sqrt: the backward pass produced inf",
                           "y.sqrt_()", "the derivative of sqrt is infinite"),
    "checkpoint": (_sqrt_in_a_checkpointed_block, "sqrt: the backward pass produced inf",
                   "y = torch.utils.checkpoint.checkpoint(lambda t: torch.sqrt(lin(t) * 0.0)",
                   "the derivative of sqrt is infinite"),
    "eigh of a repeated eigenvalue": (
        _repeated_eigenvalues, "eigh_packed: the backward pass produced NaN",
        "np.linalg.eigh(a @ a.T)[1].sum().backward()",
        "cause: eigh_packed: the eigenvectors' rule divides by the gaps w_j - w_i between "
        "eigenvalues, which are 0 for a repeated eigenvalue"),
    "eig of a repeated eigenvalue": (
        _repeated_eig_eigenvalues, "eig_packed: the backward pass produced NaN",
        "np.linalg.eig(a)[1].real.sum().backward()",
        "cause: eig_packed: the eigenvectors' rule divides by the gaps w_j - w_i"),
}


@pytest.mark.filterwarnings("ignore::autodiff.ops.degenerate_spectra.DegenerateGradientWarning")
@pytest.mark.parametrize("name", list(NANS))
def test_the_report_names_the_op_the_line_and_the_true_cause(name):
    check_anomaly_report(*NANS[name])


@pytest.mark.filterwarnings("ignore::autodiff.ops.degenerate_spectra.DegenerateGradientWarning")
@pytest.mark.parametrize("program", [_distance_to_itself, _repeated_eigenvalues])
def test_an_op_with_its_own_cause_does_not_get_the_generic_eps_advice(program):
    message = _report(program)
    assert "e.g. sqrt or log at 0" not in message and "add an eps or clip" not in message


def test_a_hypot_reduce_with_an_initial_eps_stays_quiet():
    p = ad.tensor(np.array([[1.0, 2.0], [1.0, 2.0]]), requires_grad=True)
    with ad.detect_anomaly():
        np.hypot.reduce(p - p[0], axis=1, initial=1e-3).sum().backward()
    assert np.all(np.isfinite(p.grad))


# ----------------------------------------------------------------------------------
# an inf passed on by ops that did not make it
# ----------------------------------------------------------------------------------
def _causal_conv_fed_an_inf():
    torch.manual_seed(0)
    conv = nn.Conv1d(1, 1, 2, dilation=2)
    x = torch.tensor(np.array([[[1.0, 2.0, np.inf, 0.0, 1.0]]]))
    conv(x).sum().backward()


def test_an_inf_from_the_data_names_the_op_that_took_it_in_not_one_that_passed_it_on():
    message = _report(_causal_conv_fed_an_inf)
    assert message.startswith("sum: the forward pass produced NaN")
    assert "`conv(x).sum().backward()`" in message
    # conv2d (Conv1d's convolution) took the inf in from its input; add (the bias) and
    # reshape (back to 1-D) only passed it on.  Before: "made by reshape".
    assert ("cause: input x contains inf (made by conv2d, created at ") in message
    assert ("from a leaf or constant input holding inf, passed on by add, reshape), and inf "
            "turned into NaN here") in message
    assert "made by reshape" not in message


def test_an_inf_made_by_an_overflow_is_traced_back_through_the_ops_that_passed_it_on():
    def program():
        w = nn.Parameter(np.array([1.0, 800.0, 801.0]), name="w")
        big = torch.exp(w) * torch.tensor([1.0, 1.0, -1.0])     # inf and -inf
        big.reshape(3, 1).sum().backward()
    message = _report(program)
    assert message.startswith("sum: the forward pass produced NaN")
    assert "`big.reshape(3, 1).sum().backward()`" in message
    assert "(made by exp (an overflow: float64 holds at most 1.79769e+308; " in message
    assert "log(sum(exp(x)))), created at " in message
    assert "passed on by multiply, reshape), and inf turned into NaN here" in message


def test_a_fully_masked_attention_names_the_mask_that_wrote_the_inf():
    torch.manual_seed(0)
    mha = nn.MultiheadAttention(4, 2, batch_first=True)
    x = torch.tensor(np.random.default_rng(16).normal(size=(1, 3, 4)))
    mask = torch.ones(3, 3, dtype=torch.bool)               # every key masked

    def program():
        out, _ = mha(x, x, x, attn_mask=mask)
        out.sum().backward()
    message = _report(program)
    assert message.startswith("softmax: the forward pass produced NaN")
    assert "`out, _ = mha(x, x, x, attn_mask=mask)`" in message
    assert "cause: input x contains inf (made by where, created at " in message


# ----------------------------------------------------------------------------------
# explain after an in-place masked_fill_: the old values keep the gradient they have
# ----------------------------------------------------------------------------------
def test_explain_does_not_say_masked_fill_zeroed_what_the_old_values_came_from():
    w = nn.Parameter(np.array([[1.0, -2.0, 3.0]]), name="w")
    y = w * 1.0
    y.clamp_(min=0.0)
    y.masked_fill_(y > 2.5, 2.5)
    loss = y.sum()
    loss.backward(retain_graph=True)
    np.testing.assert_array_equal(w.grad, [[1.0, 0.0, 0.0]])
    story = ad.explain(w)
    assert "(and what they came from) get zero gradient" not in story     # w[0] has one
    assert ("overwrite overwrote every value in place (masked_fill_), so the old values get "
            "no gradient through it") in story
    assert "clip: clip gives zero gradient where a bound wins" in story     # w[1]
    assert "where gives zero gradient to the positions it did not select" in story  # w[2]


# ----------------------------------------------------------------------------------
# a NaN already in a parameter: the report names the parameter
# ----------------------------------------------------------------------------------
def test_a_parameter_holding_nan_is_named():
    lin = nn.Linear(2, 1)
    with ad.no_grad():
        lin.weight.data[0, 0] = np.nan              # as after a step that diverged
    x = torch.tensor(np.array([[1.0, 2.0]]))

    def program():
        ((lin(x) - 1.0) ** 2).mean().backward()
    message = _report(program)
    assert message.startswith("power: the backward pass produced NaN")
    assert "cause: input a of power is already NaN at those positions" in message
    assert ("leaves of this graph that hold NaN: 'weight' (shape (2, 1), 1 of 2 entries NaN)"
            ) in message


def test_a_nan_in_the_data_alone_names_no_leaf():
    w = nn.Parameter(np.ones(3), name="w")
    rain = np.array([1.0, np.nan, 2.0])

    def program():
        (w * rain).sum().backward()
    message = _report(program)
    assert "cause: input b of multiply is already NaN" in message
    assert "leaves of this graph that hold NaN" not in message


def test_an_affine_grid_from_a_nan_parameter_names_it():
    img = nn.Parameter(np.ones((1, 1, 2, 2)), name="img")
    theta = nn.Parameter(np.array([[[np.nan, 0.0, 0.0], [0.0, 1.0, 0.0]]]), name="theta")

    def program():
        grid = F.affine_grid(theta, (1, 1, 2, 2), align_corners=False)
        F.grid_sample(img, grid, align_corners=False).sum().backward()
    message = _report(program)
    assert "`F.grid_sample(img, grid, align_corners=False).sum().backward()`" in message
    assert "'theta' (shape (1, 2, 3), 1 of 6 entries NaN)" in message
    assert "'img'" not in message.split("leaves of this graph that hold NaN:")[1]
