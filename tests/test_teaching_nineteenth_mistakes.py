"""The error messages a student meets, read as a student: 36 more common mistakes than
the last round's table (``loss.backward()`` after ``optimizer.step()`` changed a weight
the graph saved, a softmax before ``CrossEntropyLoss``, ``NLLLoss`` fed probabilities,
the loss's arguments swapped, ``argmax`` then ``backward``, a Parameter replaced by a
plain tensor, a channels-last image, a Flatten before a Linear of the wrong size, a
reduction that dropped its axis, a used-up ``model.parameters()`` generator, ...) each
raises or warns with a message that names the op (or layer), the shapes or dtypes
involved and what to do; a warning points at the user's line.

Sixteen said less before, or something wrong:
- a softmax before ``cross_entropy`` (applied twice) and probabilities fed to
  ``nll_loss`` computed a wrong loss without a word (as in PyTorch): both now warn;
- ``cross_entropy(target, logits)`` (swapped) said to convert the class numbers to
  float; it now says the arguments look swapped, with both shapes (integer scores
  given the right way round get their shape too);
- ``backward()`` of an ``argmax`` said only to create the inputs with
  ``requires_grad=True`` (they were); it now names ops without a gradient, and (there,
  after ``requires_grad_()`` came too late and inside ``no_grad``) the tensor's shape
  and dtype;
- a Linear after a Flatten of another size did not say which layer fits
  (``Linear(72, 1)`` or ``LazyLinear``); a channels-last image did not name the
  ``permute``; a pooling kernel larger than its input said nothing of what to do;
- ``mse_loss`` of (4, 3) against (3,) advised ``target.reshape(pred.shape)``, which
  cannot work (3 values into 12): it now says the sizes differ and names
  ``expand_as``;
- ``x / x.sum(1)`` did not name ``keepdims=True``; ``torch.cat(..., dim=2)`` of 2-D
  tensors said "reshape or slice the ones that differ" (none differ): it names the
  valid axes and ``stack``;
- ``clip_grad_norm_`` of a generator an optimizer had used up clipped nothing without a
  word (as in PyTorch): it now warns;
- ``softmax`` of integers and a ragged nested list did not give the shape.

The message a student reads for a loss through integer division is ``ad.explain``'s:
it names ``floor_divide`` as the op that zeroes the gradient.
"""

import warnings

import numpy as np
import pytest
from teaching_checks import check_mistake_message, mistake_message

import autodiff as torch            # the mistakes are written as PyTorch scripts are
import autodiff.nn.functional as F
from autodiff import nn


def _ones(*shape, **kw):
    return torch.ones(*shape, **kw)


def _logits():
    return torch.tensor(np.random.default_rng(19).normal(size=(4, 3)), requires_grad=True)


_CLASSES = [0, 1, 2, 0]


def _backward_after_the_step_changed_a_weight():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = (model(torch.tensor([[1.0, 2.0]])) ** 2).sum()
    loss.backward(retain_graph=True)
    opt.step()
    loss.backward()


def _requires_grad_set_after_the_op():
    x = _ones(3)
    y = (x * 2).sum()
    x.requires_grad_()
    y.backward()


def _argmax_then_backward():
    scores = _ones(4, requires_grad=True)
    scores.argmax().backward()


def _backward_inside_no_grad():
    w = _ones(3, requires_grad=True)
    with torch.no_grad():
        (w * 2).sum().backward()


def _parameter_replaced_by_a_tensor():
    model = nn.Linear(2, 1)
    model.weight = _ones(1, 2)


def _requires_grad_changed_on_a_computed_tensor():
    y = _ones(3, requires_grad=True) * 2
    y.requires_grad = False


def _tensor_of_a_tensor_in_the_graph():
    w = _ones(3, requires_grad=True)
    return torch.tensor(w * 2)


def _detach_in_the_middle_of_the_loss():
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    hidden = model(_ones(4, 2)).detach()
    loss = (hidden ** 2).mean() + 0 * _ones(1, requires_grad=True).sum()
    loss.backward()
    opt.step()


def _clip_of_a_used_up_generator():
    model = nn.Linear(2, 1)
    params = model.parameters()
    torch.optim.SGD(params, lr=0.1)          # reads the generator to its end
    model(_ones(4, 2)).sum().backward()
    nn.utils.clip_grad_norm_(params, 1.0)


def _zero_grad_without_parentheses():
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad                        # noqa: B018 (the mistake)
        model(_ones(4, 2)).pow(2).mean().backward()
        opt.step()


def _max_unpacked_as_pytorchs():
    x = torch.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    values, indices = torch.max(x, 1)
    return values, indices


def _loss_through_integer_division():
    w = torch.tensor([3.0, 5.0], requires_grad=True, name="w")
    (w // 2).sum().backward()
    return torch.explain(w)


EXPLAINED = object()        # the "message" is ad.explain's story, returned by the mistake

# name -> (the mistake, what it raises or warns, patterns the message must hold:
#          the op or layer, the shapes/dtypes, what to do)
MISTAKES = {
    "backward() after step() changed a saved weight": (
        _backward_after_the_step_changed_a_weight, torch.InPlaceError,
        [r"^backward: op 'matmul' saved its input 'b'", r"shape \(3, 1\)",
         r"call backward\(\) before the update"]),
    "softmax before CrossEntropyLoss": (
        lambda: nn.CrossEntropyLoss()(F.softmax(_logits(), dim=1), torch.tensor(_CLASSES)),
        UserWarning, [r"^cross_entropy:", r"shape \(4, 3\)", "looks like probabilities",
                      r"pass the logits"]),
    "NLLLoss fed probabilities": (
        lambda: nn.NLLLoss()(F.softmax(_logits(), dim=1), torch.tensor(_CLASSES)),
        UserWarning, [r"^nll_loss:", r"shape \(4, 3\)", r"F\.log_softmax\(logits, dim=1\)"]),
    "CrossEntropyLoss with its arguments swapped": (
        lambda: nn.CrossEntropyLoss()(torch.tensor(_CLASSES), _logits()), TypeError,
        [r"^cross_entropy:", r"int64 \(shape \(4,\); target: float64, shape \(4, 3\)\)",
         "the arguments look swapped", r"cross_entropy\(input, target\)"]),
    "cross_entropy of integer scores": (
        lambda: F.cross_entropy(torch.tensor([[1, 2, 3]]), torch.tensor([0])), TypeError,
        [r"^cross_entropy:", r"int64 \(shape \(1, 3\)", r"x\.astype\(np\.float64\)"]),
    "requires_grad set after the op": (
        _requires_grad_set_after_the_op, RuntimeError,
        [r"^backward:", r"shape \(\), float64", r"requires_grad=True .*before computing it"]),
    "argmax then backward()": (
        _argmax_then_backward, RuntimeError,
        [r"^backward:", r"shape \(\), int64", r"op without a gradient \(argmax"]),
    "backward() inside no_grad": (
        _backward_inside_no_grad, RuntimeError,
        [r"^backward:", r"shape \(\), float64", r"outside ad\.no_grad\(\)"]),
    "a Parameter replaced by a plain tensor": (
        _parameter_replaced_by_a_tensor, TypeError,
        [r"^Linear: cannot assign 'Tensor' \(shape \(1, 2\)\)", r"nn\.Parameter\(value\)"]),
    "a class number past the classes": (
        lambda: nn.CrossEntropyLoss()(_ones(4, 3), torch.tensor([0, 1, 5, 0])), IndexError,
        [r"^cross_entropy: target holds class 5", r"shape \(4, 3\)", r"\[0, 3\)"]),
    "requires_grad changed on a computed tensor": (
        _requires_grad_changed_on_a_computed_tensor, RuntimeError,
        [r"^requires_grad:", r"shape \(3,\)", "'multiply'", r"t\.detach\(\)"]),
    "one_hot of float labels": (
        lambda: F.one_hot(torch.tensor([0.0, 1.0]), 3), TypeError,
        [r"^one_hot:", "float64", r"astype\(np\.int64\)"]),
    "Embedding fed a negative id": (
        lambda: nn.Embedding(5, 2)(torch.tensor([-1])), IndexError,
        [r"^Embedding\(5, 2\): id -1 is negative", r"\[0, 5\)"]),
    "view to another number of elements": (
        lambda: _ones(5).view(2, 3), ValueError,
        [r"^reshape \(in Tensor\.view\):", r"\(5,\)", "same number of elements"]),
    "LayerNorm over the wrong size": (
        lambda: nn.LayerNorm(4)(_ones(2, 3)), ValueError,
        [r"^LayerNorm\(4", r"got shape \(2, 3\)", r"\(\*, 4\)"]),
    "BCEWithLogitsLoss fed integer targets": (
        lambda: nn.BCEWithLogitsLoss()(_ones(3, requires_grad=True), torch.tensor([0, 1, 1])),
        TypeError, [r"^binary_cross_entropy_with_logits:", r"int64 \(shape \(3,\)\)",
                    r"astype\(np\.float32\)"]),
    "Conv2d fed a channels-last image": (
        lambda: nn.Conv2d(3, 4, 3)(_ones(2, 8, 8, 3)), ValueError,
        [r"^Conv2d\(3, 4", r"\(2, 8, 8, 3\)", r"x\.permute\(0, 3, 1, 2\)"]),
    "MaxPool2d larger than the feature map": (
        lambda: nn.MaxPool2d(4)(_ones(1, 1, 2, 2)), ValueError,
        [r"^max_pool2d:", r"\(1, 1, 2, 2\)", "use a kernel of at most 2"]),
    "Flatten then a Linear of the wrong size": (
        lambda: nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(10, 1))(
            _ones(1, 1, 8, 8)), ValueError,
        [r"^Linear\(10, 1\):", r"shape \(1, 72\)", r"build Linear\(72, 1\)", "LazyLinear"]),
    "model.to('cuda')": (
        lambda: nn.Linear(2, 1).to("cuda"), ValueError,
        [r"^Linear\.to: device 'cuda' is not available", r"to\('cpu'\)"]),
    "a ragged nested list": (
        lambda: torch.tensor([[1.0, 2.0], [3.0]]), ValueError,
        [r"^tensor:", r"rectangular to shape \(2,\) only", "pad them to a common length"]),
    "dividing by a sum that dropped its axis": (
        lambda: _ones(4, 3) / _ones(4, 3).sum(1), ValueError,
        [r"^divide:", r"\(4, 3\), \(4,\)", r"keepdims=True \(PyTorch's keepdim=True\) gives "
                                           r"\(4, 1\)"]),
    "autograd.grad of an input that does not require grad": (
        lambda: torch.autograd.grad((_ones(3, requires_grad=True) * 2).sum(),
                                    [torch.tensor([1.0, 2.0])]), RuntimeError,
        [r"^autograd\.grad: input 0 \(shape \(2,\)\)", "requires_grad=True"]),
    "ad.tensor of a tensor in the graph": (
        _tensor_of_a_tensor_in_the_graph, torch.TapeDropWarning,
        [r"shape \(3,\)", r"ad\.tensor\(t\)", r"t\.detach\(\)"]),
    "detach() in the middle of the loss": (
        _detach_in_the_middle_of_the_loss, torch.NoGradientWarning,
        [r"^SGD\.step: none of the 2 parameters", "'weight', 'bias'", r"ad\.explain\(param\)"]),
    "clip_grad_norm_ of a used-up generator": (
        _clip_of_a_used_up_generator, UserWarning,
        [r"^clip_grad_norm_:", "empty generator", r"list\(model\.parameters\(\)\)"]),
    "optimizer.zero_grad without the parentheses": (
        _zero_grad_without_parentheses, UserWarning,
        [r"^SGD\.step: the \.grad of 'weight'", r"Call opt\.zero_grad\(\)"]),
    "max(x, 1) unpacked into values and indices": (
        _max_unpacked_as_pytorchs, torch.ConventionWarning,
        [r"^max\(x, axis\) is NumPy's max", r"max\(x, dim=1\)", r"argmax\(1\)"]),
    "x.max(1) as PyTorch's method": (
        lambda: _ones(2, 3).max(1), TypeError,
        [r"^Tensor\.max\(1\):", "axis=1", "dim=1"]),
    "cat along an axis the tensors lack": (
        lambda: torch.cat([_ones(2, 3), _ones(2, 3)], dim=2), np.exceptions.AxisError,
        [r"^concatenate \(in cat\): axis 2", r"\(2, 3\), \(2, 3\)", "use stack"]),
    "mse_loss of (4, 3) against (3,)": (
        lambda: nn.MSELoss()(_ones(4, 3, requires_grad=True), _ones(3)), ValueError,
        [r"^mse_loss:", r"\(4, 3\)", r"\(3,\)", r"target\.expand_as\(input\)"]),
    "softmax of integers": (
        lambda: F.softmax(torch.tensor([1, 2, 3]), dim=0), TypeError,
        [r"^softmax:", r"int64 \(shape \(3,\)\)", r"astype\(np\.float64\)"]),
    "backward() given a gradient of another shape": (
        lambda: (_ones(3, requires_grad=True) * 2).backward(_ones(2)), ValueError,
        [r"^backward: grad has shape \(2,\)", r"\(3,\)", "must match"]),
    "grad of a function that returns a tuple": (
        lambda: torch.grad(lambda x: (x.sum(), x.mean()))(np.ones(3)), TypeError,
        [r"^grad:", "tuple of 2 values", r"ad\.jvp"]),
    "indexing with float indices": (
        lambda: _ones(3)[torch.tensor([0.0, 1.0])], TypeError,
        [r"^getitem:", "float64", r"astype\(int\)"]),
    "gather with an index of fewer axes": (
        lambda: torch.gather(_ones(3, 4), 1, torch.tensor([0, 1, 2])), ValueError,
        [r"^gather:", r"\(3,\)", r"\(3, 4\)", r"index\.unsqueeze\(dim\)"]),
    "expand of a size that is not 1": (
        lambda: _ones(3, 2).expand(3, 4), ValueError,
        [r"^expand:", r"\(3, 2\) to \(3, 4\)", "tile"]),
    "a loss through integer division": (
        _loss_through_integer_division, EXPLAINED,
        [r"^'w' \(shape \(2,\), float64\): \.grad is all zero", "floor_divide"]),
}


@pytest.mark.parametrize("name", list(MISTAKES))
def test_each_mistake_is_named_with_its_shapes_and_what_to_do(name):
    mistake, kind, patterns = MISTAKES[name]
    message = mistake() if kind is EXPLAINED else mistake_message(mistake, kind, __file__)
    check_mistake_message(message, patterns)


def test_the_table_holds_thirty_mistakes_or_more_none_of_the_last_rounds():
    from test_teaching_eighteenth_mistakes import MISTAKES as LAST_ROUNDS
    assert len(MISTAKES) >= 30
    assert not set(MISTAKES) & set(LAST_ROUNDS)


# ----------------------------------------------------------------------------------
# what the new warnings leave alone, and what the messages' advice gives
# ----------------------------------------------------------------------------------
@pytest.mark.parametrize("loss", [
    lambda logits: F.cross_entropy(logits, torch.tensor(_CLASSES)),
    lambda logits: F.nll_loss(F.log_softmax(logits, dim=1), torch.tensor(_CLASSES)),
    lambda logits: F.cross_entropy(logits.abs() / 10, torch.tensor(_CLASSES)),  # not rows of 1
    lambda logits: F.cross_entropy(F.softmax(logits, dim=1) * 5, torch.tensor(_CLASSES))])
def test_logits_and_log_probabilities_are_not_warned_about(loss):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss(_logits())


def test_the_double_softmax_warning_is_true_the_gradient_is_squashed():
    # the warning's claim, checked: the gradient through two softmaxes is smaller
    logits = _logits()
    F.cross_entropy(logits, torch.tensor(_CLASSES)).backward()
    twice = _logits()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        F.cross_entropy(F.softmax(twice, dim=1), torch.tensor(_CLASSES)).backward()
    assert np.abs(twice.grad).max() < np.abs(logits.grad).max() / 2


def test_swapped_arguments_swapped_back_give_pytorchs_loss():
    real_torch = pytest.importorskip("torch")
    logits = _logits()
    ours = F.cross_entropy(logits, torch.tensor(_CLASSES))
    theirs = real_torch.nn.functional.cross_entropy(real_torch.tensor(logits.data),
                                                    real_torch.tensor(_CLASSES))
    assert float(ours.data) == pytest.approx(theirs.item(), rel=1e-12)


def test_the_advice_of_the_messages_works():
    # each "what to do" of the fixed messages, done, runs and gives the right shape
    image = _ones(2, 8, 8, 3)
    assert nn.Conv2d(3, 4, 3)(image.permute(0, 3, 1, 2)).shape == (2, 4, 6, 6)
    features = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten())(_ones(1, 1, 8, 8))
    assert nn.Linear(72, 1)(features).shape == (1, 1)
    assert nn.LazyLinear(1)(features).shape == (1, 1)
    x = _ones(4, 3)
    np.testing.assert_allclose((x / x.sum(1, keepdims=True)).data, np.full((4, 3), 1 / 3))
    assert torch.stack([_ones(2, 3), _ones(2, 3)], dim=2).shape == (2, 3, 2)
    target = _ones(3)
    assert nn.MSELoss()(_ones(4, 3), target.expand_as(_ones(4, 3))).shape == ()
    model = nn.Linear(2, 1)
    model.weight = nn.Parameter(_ones(2, 1))            # (in, out) here
    assert [name for name, _ in model.named_parameters()] == ["weight", "bias"]
    values, indices = torch.max(torch.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]), dim=1)
    np.testing.assert_array_equal(values.data, [5.0, 7.0])
    np.testing.assert_array_equal(indices.data, [1, 0])


def test_a_fresh_generator_or_a_list_is_clipped_without_a_warning():
    model = nn.Linear(2, 1)
    params = list(model.parameters())
    torch.optim.SGD(params, lr=0.1)
    model(_ones(4, 2) * 10).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total = nn.utils.clip_grad_norm_(params, 1.0)
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    assert float(total.data) > 1.0
    grads = np.concatenate([p.grad.ravel() for p in params])
    assert np.linalg.norm(grads) == pytest.approx(1.0, rel=1e-5)


def test_pytorchs_mistakes_that_work_here_as_there():
    # a 1-D input to Linear, and an optimizer built before model.to(dtype): PyTorch runs
    # both (the same parameter objects), so does the library
    assert nn.Linear(3, 2)(_ones(3)).shape == (2,)
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    model.to(torch.float32)
    assert all(p is q for p, q in zip(model.parameters(), opt.param_groups[0]["params"]))
    before = model.weight.data.copy()
    model(_ones(4, 2, dtype=torch.float32)).sum().backward()
    opt.step()
    np.testing.assert_allclose(model.weight.data, before - 0.1 * 4, rtol=1e-6)
