"""F.ctc_loss and nn.CTCLoss: losses against a brute-force sum over alignments, gradients
against central differences, and (when PyTorch is installed) losses, gradients and
error messages against torch.nn.functional.ctc_loss."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn as nn
import autodiff.nn.functional as F

import ctc_reference as brute

REDUCTIONS = ["mean", "sum", "none"]


def _log_probs(shape, seed=0):
    return brute.log_softmax(np.random.default_rng(seed).normal(size=shape))


def _concatenated(targets, target_lengths):
    return np.concatenate([row[:length] for row, length in zip(targets, target_lengths)])


# A batch with repeated labels (which need a blank between them), an empty target, an
# input shorter than the batch's longest, and a target that cannot fit its input.
T, N, C = 5, 4, 3
TARGETS = np.array([[1, 1, 2], [2, 0, 0], [0, 0, 0], [2, 2, 2]])
TARGET_LENGTHS = np.array([3, 1, 0, 3])
INPUT_LENGTHS = np.array([5, 3, 4, 4])           # [2, 2, 2] needs 5 steps: impossible


# ----- without PyTorch ---------------------------------------------------------------

@pytest.mark.parametrize("blank", [0, 2])
@pytest.mark.parametrize("seed", range(4))
def test_losses_match_a_brute_force_sum_over_alignments(blank, seed):
    rng = np.random.default_rng(seed)
    steps, batch, classes = 5, 3, 3
    lp = _log_probs((steps, batch, classes), seed)
    labels = [c for c in range(classes) if c != blank]
    targets = rng.choice(labels, size=(batch, 3))
    target_lengths = rng.integers(0, 4, size=batch)
    input_lengths = rng.integers(0, steps + 1, size=batch)
    out = F.ctc_loss(ad.tensor(lp), targets, input_lengths, target_lengths, blank=blank,
                     reduction="none")
    expected = brute.batch_losses(lp, targets, input_lengths, target_lengths, blank)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


def test_brute_force_cases_include_repeats_and_impossible_targets():
    lp = _log_probs((T, N, C))
    expected = brute.batch_losses(lp, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS)
    assert np.isinf(expected[3]) and np.all(np.isfinite(expected[:3]))
    out = F.ctc_loss(ad.tensor(lp), TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, reduction="none")
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradient_through_log_softmax_matches_central_differences(reduction):
    logits = np.random.default_rng(1).normal(size=(T, N, C))
    feasible = INPUT_LENGTHS.copy()
    feasible[3] = 5

    def loss(x):
        out = F.ctc_loss(F.log_softmax(x, axis=-1), TARGETS, feasible, TARGET_LENGTHS,
                         reduction=reduction)
        return out if reduction != "none" else out * np.array([1.0, -2.0, 0.5, 3.0])

    assert ad.gradcheck(loss, [logits], eps=1e-6, atol=1e-7, rtol=1e-5)


def test_gradient_in_log_probs_is_the_derivative():
    # -q, the alignment occupancy, up to each input length (PyTorch's adds exp(lp)).
    lp = _log_probs((4, 2, 3), 3)
    targets, input_lengths, target_lengths = np.array([[1, 2], [2, 2]]), [4, 3], [2, 2]
    x = ad.tensor(lp, requires_grad=True)
    F.ctc_loss(x, targets, input_lengths, target_lengths, reduction="sum").backward()
    free, = ad.numerical_grad(
        lambda a: F.ctc_loss(a, targets, input_lengths, target_lengths, reduction="sum"),
        [lp])
    used = np.arange(4)[:, None] < np.array(input_lengths)[None, :]
    expected = np.where(used[..., None], free, 0.0)
    np.testing.assert_allclose(x.grad, expected, atol=1e-8)
    np.testing.assert_allclose(
        x.grad, brute.batch_gradient(lp, targets, input_lengths, target_lengths), atol=1e-12)


def test_unbatched_input_is_a_batch_of_one():
    lp = _log_probs((T, C), 4)
    for reduction in REDUCTIONS:
        single = F.ctc_loss(ad.tensor(lp), [1, 1, 2], [T], [3], reduction=reduction)
        batched = F.ctc_loss(ad.tensor(lp[:, None]), [[1, 1, 2]], [T], [3],
                             reduction=reduction)
        assert single.shape == ()
        np.testing.assert_allclose(single.data, np.reshape(batched.data, ()), rtol=1e-14)
    np.testing.assert_allclose(F.ctc_loss(ad.tensor(lp), [1, 1, 2], [T], [3],
                                          reduction="sum").data,
                               brute.loss(lp, [1, 1, 2]), rtol=1e-12)


def test_concatenated_targets_equal_padded_ones():
    lp = _log_probs((T, N, C), 5)
    for reduction in REDUCTIONS:
        x1, x2 = ad.tensor(lp, requires_grad=True), ad.tensor(lp, requires_grad=True)
        padded = F.ctc_loss(x1, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, reduction=reduction,
                            zero_infinity=True)
        flat = F.ctc_loss(x2, _concatenated(TARGETS, TARGET_LENGTHS), INPUT_LENGTHS,
                          TARGET_LENGTHS, reduction=reduction, zero_infinity=True)
        np.testing.assert_array_equal(padded.data, flat.data)
        padded.sum().backward()
        flat.sum().backward()
        np.testing.assert_array_equal(x1.grad, x2.grad)


def test_mean_divides_by_target_lengths_clamped_at_one():
    lp = _log_probs((T, N, C), 6)
    losses = F.ctc_loss(ad.tensor(lp), TARGETS, INPUT_LENGTHS, TARGET_LENGTHS,
                        reduction="none", zero_infinity=True).data
    mean = F.ctc_loss(ad.tensor(lp), TARGETS, INPUT_LENGTHS, TARGET_LENGTHS,
                      zero_infinity=True)
    np.testing.assert_allclose(mean.data, np.mean(losses / np.maximum(TARGET_LENGTHS, 1)),
                               rtol=1e-14)


def test_impossible_alignment_is_infinite_and_zero_infinity_zeroes_loss_and_gradient():
    lp = _log_probs((T, N, C), 7)
    x = ad.tensor(lp, requires_grad=True)
    out = F.ctc_loss(x, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, reduction="none")
    assert np.isinf(out.data[3]) and np.all(np.isfinite(out.data[:3]))
    assert np.isinf(F.ctc_loss(ad.tensor(lp), TARGETS, INPUT_LENGTHS, TARGET_LENGTHS).data)
    out.sum().backward()
    assert np.all(np.isnan(x.grad[:4, 3])), "as PyTorch: NaN where the loss is infinite"
    x = ad.tensor(lp, requires_grad=True)
    zeroed = F.ctc_loss(x, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, reduction="sum",
                        zero_infinity=True)
    finite = brute.batch_losses(lp, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS)[:3]
    np.testing.assert_allclose(zeroed.data, finite.sum(), rtol=1e-12)
    zeroed.backward()
    assert np.all(x.grad[:, 3] == 0)
    np.testing.assert_allclose(
        x.grad[:, :3],
        brute.batch_gradient(lp[:, :3], TARGETS[:3], INPUT_LENGTHS[:3], TARGET_LENGTHS[:3]),
        atol=1e-12)


def test_no_input_steps_emit_only_the_empty_target():
    lp = _log_probs((3, 2, 3), 8)
    x = ad.tensor(lp, requires_grad=True)
    out = F.ctc_loss(x, [[1], [1]], [0, 0], [0, 1], reduction="none")
    np.testing.assert_array_equal(out.data, [0.0, np.inf])
    F.ctc_loss(x, [[1], [1]], [0, 0], [0, 1], reduction="sum", zero_infinity=True).backward()
    np.testing.assert_array_equal(x.grad, np.zeros_like(lp))


def test_float32_gives_float32_loss_and_gradient():
    lp = _log_probs((T, N, C), 9).astype(np.float32)
    x = ad.tensor(lp, requires_grad=True)
    out = F.ctc_loss(x, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, zero_infinity=True)
    out.backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32
    x64 = ad.tensor(lp.astype(np.float64), requires_grad=True)
    F.ctc_loss(x64, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, zero_infinity=True).backward()
    np.testing.assert_allclose(x.grad, x64.grad, rtol=1e-5, atol=1e-7)


def test_first_gradient_records_and_second_in_log_probs_raises_naming_ctc_loss():
    logits = ad.tensor(np.random.default_rng(10).normal(size=(4, 2, 3)), requires_grad=True)
    scale = ad.tensor(2.0, requires_grad=True)
    loss = F.ctc_loss(F.log_softmax(logits, axis=-1), [[1, 2], [1, 1]], [4, 4], [2, 2]) * scale
    grad, = ad.autograd.grad(loss, [logits], create_graph=True)
    plain = ad.tensor(logits.data, requires_grad=True)
    (F.ctc_loss(F.log_softmax(plain, axis=-1), [[1, 2], [1, 1]], [4, 4], [2, 2]) * 2.0
     ).backward()
    np.testing.assert_allclose(grad.data, plain.grad, rtol=1e-12)
    with pytest.raises(NotImplementedError, match="ctc_loss: the derivative of its gradient"):
        ad.autograd.grad((grad * grad).sum(), [logits])


def test_forward_mode_matches_central_differences_and_hessian_is_refused():
    rng = np.random.default_rng(19)
    logits, tangent = rng.normal(size=(4, 2, 3)), rng.normal(size=(4, 2, 3))

    def loss(x):
        return F.ctc_loss(F.log_softmax(x, axis=-1), [[1, 2], [1, 1]], [4, 3], [2, 2])

    _, derivative = ad.jvp(loss, (logits,), (tangent,))
    step = 1e-6
    central = (loss(ad.tensor(logits + step * tangent)).data
               - loss(ad.tensor(logits - step * tangent)).data) / (2 * step)
    np.testing.assert_allclose(np.asarray(derivative.data if isinstance(derivative, ad.Tensor)
                                          else derivative), central, rtol=1e-6)
    with pytest.raises(NotImplementedError, match="ctc_loss"):
        ad.hessian(loss)(logits)


def test_ctc_loss_backward_is_linear_in_the_upstream_gradient():
    from autodiff.ops import ctc
    lp = _log_probs((4, 2, 3), 11)
    targets, lengths = np.array([[1, 2], [2, 1]]), (np.array([4, 3]), np.array([2, 1]))
    g = ad.tensor(np.array([0.5, -1.5]), requires_grad=True)
    out = ctc.ctc_loss_backward(g, lp, targets, *lengths)
    weights = np.random.default_rng(12).normal(size=out.shape)
    (out * weights).sum().backward()
    unit = brute.batch_gradient(lp, targets, *lengths)
    np.testing.assert_allclose(g.grad, (weights * unit).sum(axis=(0, 2)), rtol=1e-12)


BAD_LENGTHS = [
    (dict(input_lengths=[6, 5, 4, 4]), "Expected input_lengths to have value at most 5, "
     "but got value 6"),
    (dict(input_lengths=[-1, 5, 4, 4]), "Expected input_lengths to have value at least 0, "
     "but got value -1"),
    (dict(target_lengths=[4, 1, 0, 3]), "Expected tensor to have size at least 4 at "
     "dimension 1, but got size 3 for argument #2 'targets'"),
    (dict(target_lengths=[-1, 1, 0, 3]), "Expected target_lengths to have value at least 0, "
     "but got value -1"),
    (dict(input_lengths=[5, 5, 5]), "input_lengths must be of size batch_size"),
    (dict(target_lengths=[3, 1, 0]), "target_lengths must be of size batch_size"),
    (dict(targets=TARGETS[:3]), "Expected tensor to have size 4 at dimension 0, but got "
     "size 3 for argument #2 'targets'"),
    (dict(targets=np.array([1, 1, 2, 2])), "Expected tensor to have size 7 at dimension 0, "
     "but got size 4 for argument #2 'targets'"),
    (dict(targets=TARGETS[..., None]), "Expected 1 to 2 dimensions, but got 3-dimensional "
     "tensor for argument #2 'targets'"),
    (dict(blank=3), "blank must be in label range"),
    (dict(input_lengths=ad.tensor([5.0, 5.0, 5.0, 5.0])), "input_lengths must be integral"),
    (dict(target_lengths=np.array([3.0, 1.0, 0.0, 3.0])), "target_lengths must be integral"),
]

_GOOD = dict(targets=TARGETS, input_lengths=[5, 5, 5, 5], target_lengths=TARGET_LENGTHS)


@pytest.mark.parametrize("change, message", BAD_LENGTHS, ids=lambda v: str(v)[:40])
def test_bad_lengths_raise_pytorchs_message_prefixed_with_the_name(change, message):
    arguments = dict(_GOOD, **change)
    with pytest.raises(ValueError) as caught:
        F.ctc_loss(ad.tensor(_log_probs((T, N, C))), **arguments)
    assert str(caught.value).startswith("ctc_loss: ")
    assert message in str(caught.value)


def test_labels_must_be_classes_other_than_the_blank():
    lp = ad.tensor(_log_probs((T, N, C)))
    for bad, message in [(3, "is not a class in \\[0, 3\\)"), (-1, "is not a class"),
                         (0, "is the blank \\(0\\)")]:
        targets = TARGETS.copy()
        targets[1, 0] = bad
        with pytest.raises(ValueError, match="ctc_loss: .*" + message):
            F.ctc_loss(lp, targets, INPUT_LENGTHS, TARGET_LENGTHS)
    # Padding beyond a target's length may hold anything (here the blank).
    F.ctc_loss(lp, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS)


def test_other_bad_arguments_are_refused_by_name():
    lp = ad.tensor(_log_probs((T, N, C)))
    with pytest.raises(ValueError, match="ctc_loss: reduction must be"):
        F.ctc_loss(lp, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, reduction="avg")
    with pytest.raises(TypeError, match="ctc_loss: input_lengths must be a tensor, list"):
        F.ctc_loss(ad.tensor(_log_probs((T, C))), [1], 5, [1])
    with pytest.raises(TypeError, match="ctc_loss: expected floating-point"):
        F.ctc_loss(np.zeros((T, N, C), dtype=np.int64), TARGETS, INPUT_LENGTHS,
                   TARGET_LENGTHS)
    with pytest.raises(TypeError, match="ctc_loss: log_probs must be float32 or float64"):
        F.ctc_loss(lp.astype(np.float16), TARGETS, INPUT_LENGTHS, TARGET_LENGTHS)
    with pytest.raises(ValueError, match="ctc_loss: log_probs tensor must not be empty"):
        F.ctc_loss(ad.tensor(np.zeros((0, N, C))), TARGETS, [0] * N, [0] * N)
    with pytest.raises(ValueError, match="ctc_loss: log_probs must have shape"):
        F.ctc_loss(ad.tensor(np.zeros(C)), [1], [1], [1])
    with pytest.raises(ValueError, match="ctc_loss: targets must be class indices"):
        F.ctc_loss(lp, TARGETS + 0.5, INPUT_LENGTHS, TARGET_LENGTHS)


def test_lengths_as_tensors_lists_tuples_and_arrays_agree():
    lp = _log_probs((T, N, C), 13)
    results = [F.ctc_loss(ad.tensor(lp), TARGETS, il, tl, zero_infinity=True).data
               for il, tl in [(list(INPUT_LENGTHS), list(TARGET_LENGTHS)),
                              (tuple(INPUT_LENGTHS), tuple(TARGET_LENGTHS)),
                              (INPUT_LENGTHS.astype(np.int32), TARGET_LENGTHS),
                              (ad.tensor(INPUT_LENGTHS), ad.tensor(TARGET_LENGTHS))]]
    for result in results[1:]:
        assert result == results[0]


def test_ctc_loss_module():
    criterion = nn.CTCLoss(blank=2, reduction="sum", zero_infinity=True)
    assert repr(criterion) == "CTCLoss()"
    assert (criterion.blank, criterion.reduction, criterion.zero_infinity) == (2, "sum", True)
    assert criterion.state_dict() == {}
    lp = _log_probs((T, N, C), 14)
    targets = np.where(TARGETS == 2, 0, TARGETS)       # blank 2: labels 0 and 1
    np.testing.assert_array_equal(
        criterion(ad.tensor(lp), targets, INPUT_LENGTHS, TARGET_LENGTHS).data,
        F.ctc_loss(ad.tensor(lp), targets, INPUT_LENGTHS, TARGET_LENGTHS, blank=2,
                   reduction="sum", zero_infinity=True).data)
    with pytest.raises(ValueError, match="CTCLoss: reduction must be"):
        nn.CTCLoss(reduction="avg")


# ----- against PyTorch ---------------------------------------------------------------

def _torch_loss_and_grad(torch, logits, targets, input_lengths, target_lengths, **options):
    # Through log_softmax, where the two libraries' gradients agree (see the module of
    # ops/ctc.py: PyTorch's in log_probs themselves adds exp(log_probs)).
    x = torch.tensor(logits, requires_grad=True)
    out = torch.nn.functional.ctc_loss(x.log_softmax(-1), torch.tensor(targets),
                                       torch.tensor(input_lengths),
                                       torch.tensor(target_lengths), **options)
    out.sum().backward()
    return out.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("blank", [0, 2])
def test_loss_and_gradient_match_pytorch(dtype, reduction, layout, zero_infinity, blank):
    torch = pytest.importorskip("torch")
    steps, batch, classes = 7, 5, 4
    rng = np.random.default_rng(15)
    lp = _log_probs((steps, batch, classes), 15).astype(dtype)
    labels = np.array([c for c in range(classes) if c != blank])
    targets = labels[rng.integers(0, len(labels), size=(batch, 4))]
    targets[0, :3] = targets[0, 0]                               # repeated labels
    target_lengths = np.array([3, 4, 0, 2, 4])
    input_lengths = np.array([7, 6, 3, 1, 4])                   # 4th and 5th impossible
    if layout == "concatenated":
        targets = _concatenated(targets, target_lengths)
    options = dict(blank=blank, reduction=reduction, zero_infinity=zero_infinity)
    x = ad.tensor(lp, requires_grad=True)                        # logits here
    out = F.ctc_loss(F.log_softmax(x, axis=-1), targets, input_lengths, target_lengths,
                     **options)
    out.sum().backward()
    expected, expected_grad = _torch_loss_and_grad(torch, lp, targets, input_lengths,
                                                   target_lengths, **options)
    assert out.dtype == dtype and x.grad.dtype == dtype and out.shape == expected.shape
    rtol, atol = (1e-12, 1e-14) if dtype == np.float64 else (2e-5, 1e-6)
    np.testing.assert_allclose(out.data, expected, rtol=rtol, atol=atol)
    np.testing.assert_allclose(x.grad, expected_grad, rtol=rtol, atol=atol)   # NaNs alike


def test_pytorchs_gradient_in_log_probs_themselves_adds_exp_log_probs():
    torch = pytest.importorskip("torch")
    lp = _log_probs((5, 2, 3), 17)
    targets, input_lengths, target_lengths = np.array([[1, 2], [2, 2]]), [5, 4], [2, 2]
    x = ad.tensor(lp, requires_grad=True)
    F.ctc_loss(x, targets, input_lengths, target_lengths, reduction="sum").backward()
    tx = torch.tensor(lp, requires_grad=True)
    torch.nn.functional.ctc_loss(tx, torch.tensor(targets), torch.tensor(input_lengths),
                                 torch.tensor(target_lengths), reduction="sum").backward()
    used = np.arange(5)[:, None] < np.array(input_lengths)[None, :]
    np.testing.assert_allclose(tx.grad.numpy(), x.grad + np.where(used[..., None],
                                                                  np.exp(lp), 0.0),
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_unbatched_matches_pytorch(reduction):
    torch = pytest.importorskip("torch")
    lp = _log_probs((T, C), 16)
    x = ad.tensor(lp, requires_grad=True)                        # logits here
    out = F.ctc_loss(F.log_softmax(x, axis=-1), [1, 1, 2], ad.tensor(T), ad.tensor(3),
                     reduction=reduction)
    out.backward()
    tx = torch.tensor(lp, requires_grad=True)
    expected = torch.nn.functional.ctc_loss(tx.log_softmax(-1), torch.tensor([1, 1, 2]),
                                            torch.tensor(T),
                                            torch.tensor(3), reduction=reduction)
    expected.backward()
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("change, message", BAD_LENGTHS, ids=lambda v: str(v)[:40])
def test_bad_lengths_messages_are_pytorchs(change, message):
    torch = pytest.importorskip("torch")
    arguments = dict(_GOOD, **change)
    as_torch = {name: torch.tensor(np.asarray(value.data if isinstance(value, ad.Tensor)
                                              else value))
                if name != "blank" else value for name, value in arguments.items()}
    with pytest.raises(RuntimeError) as caught:
        torch.nn.functional.ctc_loss(torch.tensor(_log_probs((T, N, C))), **as_torch)
    assert message in str(caught.value)


def test_second_derivative_is_refused_by_pytorch_too():
    torch = pytest.importorskip("torch")
    x = torch.tensor(_log_probs((4, 1, 3)), requires_grad=True)
    loss = torch.nn.functional.ctc_loss(x.log_softmax(-1), torch.tensor([[1, 2]]), [4], [2])
    grad, = torch.autograd.grad(loss, x, create_graph=True)
    with pytest.raises(RuntimeError, match="not implemented"):
        torch.autograd.grad(grad.sum(), x)


# ----- compiled ------------------------------------------------------------------------

def _ctc_training(compiled):
    rng = np.random.default_rng(17)
    weight = ad.tensor(rng.normal(size=(5, C)) * 0.5, requires_grad=True)
    opt = ad.optim.SGD([weight], lr=0.1)
    criterion = nn.CTCLoss(zero_infinity=True)

    def step(x, targets, input_lengths, target_lengths):
        loss = criterion(F.log_softmax(x @ weight, axis=-1), targets, input_lengths,
                         target_lengths)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return (ad.compile(step) if compiled else step), weight


def test_compiled_training_matches_eager_bit_for_bit_as_targets_change():
    eager, eager_weight = _ctc_training(False)
    compiled, compiled_weight = _ctc_training(True)
    rng = np.random.default_rng(18)
    for targets, target_lengths in [(TARGETS, TARGET_LENGTHS),
                                    (np.array([[2, 1, 2], [1, 2, 0], [1, 0, 0], [2, 0, 0]]),
                                     np.array([3, 2, 1, 1])),
                                    (TARGETS[:, :2], np.array([2, 1, 0, 2]))]:
        x = rng.normal(size=(T, N, 5))
        expected = eager(x, targets, INPUT_LENGTHS, target_lengths)
        got = compiled(x, targets, INPUT_LENGTHS, target_lengths)
        np.testing.assert_array_equal(got.data, expected.data)
        np.testing.assert_array_equal(compiled_weight.data, eager_weight.data)
    with pytest.raises(ValueError, match="ctc_loss: Expected input_lengths to have value at most"):
        compiled(rng.normal(size=(T, N, 5)), TARGETS, INPUT_LENGTHS + 1, TARGET_LENGTHS)
