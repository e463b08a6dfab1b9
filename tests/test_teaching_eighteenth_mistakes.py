"""The error messages a student meets most, read as a student: each of 37 common
mistakes (a shape mismatch in ``@``, ``backward()`` on a vector or twice, an in-place
update of a leaf, ``.item()`` of a vector, ``Linear`` fed the wrong feature count,
``CrossEntropyLoss`` fed one-hot or column targets, ``optimizer.step()`` before
``backward``, ``torch.no_grad()`` written as a plain call, ...) raises or warns with a
message that names the op (or layer), the shapes or dtypes involved, and what to do.

Eight said less before: ``.item()`` of a vector and ``BatchNorm`` fed one row said
nothing of what to do, a ``(N, 1)`` column of class targets was refused without
``squeeze(1)`` and targets of another batch without saying so, ``torch.cat`` was named
``concatenate (in with_out)`` (the name of an internal wrapper), and ``torch.no_grad()``
on a line of its own changed nothing without a word (as in PyTorch): it now warns at
that line; and ``@torch.no_grad`` without the parentheses, which PyTorch takes, raised
Python's bare TypeError; and a loop of backward() and step() without zero_grad() stepped
along the sum of every batch's gradient without a word (as in PyTorch): the second such
step now warns, once per optimizer, and loops that zero in any of the usual ways (or
accumulate over k batches on purpose) do not.
"""

import warnings

import numpy as np
import pytest
from teaching_checks import check_mistake_message, mistake_message

import autodiff as torch            # the mistakes are written as PyTorch scripts are
import autodiff.nn.functional as F
from autodiff import nn


def _backward_twice():
    x = torch.ones(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _in_place_on_a_leaf():
    torch.ones(3, requires_grad=True).add_(1)


def _step_before_backward():
    model = nn.Linear(2, 1)
    torch.optim.SGD(model.parameters(), lr=0.1).step()


def _zero_grad_forgotten():
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        model(_ones(4, 2)).pow(2).mean().backward()
        opt.step()


def _no_grad_as_a_plain_call():
    x = torch.ones(2, requires_grad=True)
    torch.no_grad()
    return x * 2


def _grad_of_a_non_leaf():
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    (y * y).sum().backward()
    return y.grad


def _truth_value_of_a_vector():
    x = torch.ones(3, requires_grad=True)
    if x > 0:
        pass


def _super_init_forgotten():
    class Net(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)
    Net()


def _list_of_tensors_to_a_tensor():
    a = torch.ones(2, requires_grad=True)
    return torch.tensor([a[0], a[1]])


def _ones(*shape, **kw):
    return torch.ones(*shape, **kw)


_long = dict(dtype=torch.int64)

# name -> (the mistake, what it raises or warns, patterns the message must hold:
#          the op or layer, the shapes/dtypes, what to do)
MISTAKES = {
    "shape mismatch in @": (
        lambda: _ones(2, 3) @ _ones(2, 3), ValueError,
        [r"^matmul:", r"\(2, 3\), \(2, 3\)", "transpose one operand"]),
    "backward() on a non-scalar": (
        lambda: (_ones(3, requires_grad=True) * 2).backward(), RuntimeError,
        [r"^backward:", r"shape \(3,\)", r"loss\.sum\(\)"]),
    "backward() twice": (
        _backward_twice, RuntimeError,
        [r"^backward:", "'multiply'", "retain_graph=True"]),
    "in-place on a leaf that requires grad": (
        _in_place_on_a_leaf, RuntimeError,
        [r"^add_:", r"shape \(3,\)", r"with ad\.no_grad\(\):"]),
    ".item() of a vector": (
        lambda: _ones(3).item(), ValueError,
        [r"^item:", r"shape \(3,\)", r"t\.sum\(\)\.item\(\)", r"t\.tolist\(\)"]),
    "integer tensor with requires_grad=True": (
        lambda: torch.tensor([1, 2, 3], requires_grad=True), TypeError,
        [r"^tensor:", r"int64 \(shape \(3,\)\)", "dtype=np.float64"]),
    "a dim that is not there": (
        lambda: _ones(2, 3).sum(dim=2), np.exceptions.AxisError,
        [r"^sum:", "axis 2", r"\(2, 3\)", r"in \[-ndim, ndim\)"]),
    "Linear fed the wrong feature count": (
        lambda: nn.Linear(4, 2)(_ones(5, 3)), ValueError,
        [r"^Linear\(4, 2\):", r"shape \(5, 3\)", "last axis must have size 4"]),
    "CrossEntropyLoss fed one-hot targets": (
        lambda: nn.CrossEntropyLoss()(_ones(4, 3), torch.tensor(np.eye(3)[[0, 1, 2, 0]]).long()),
        ValueError, [r"^cross_entropy:", r"got shape \(4, 3\)", r"y\.argmax\(axis=1\)"]),
    "CrossEntropyLoss fed a column of targets": (
        lambda: nn.CrossEntropyLoss()(_ones(4, 3), torch.zeros((4, 1), **_long)), ValueError,
        [r"^cross_entropy:", r"got shape \(4, 1\)", r"target\.squeeze\(1\)"]),
    "CrossEntropyLoss fed targets of another batch": (
        lambda: nn.CrossEntropyLoss()(_ones(4, 3), torch.zeros(3, **_long)), ValueError,
        [r"^cross_entropy:", r"must have shape \(4,\)", r"got shape \(3,\)", "same batch"]),
    "CrossEntropyLoss fed float class numbers": (
        lambda: nn.CrossEntropyLoss()(_ones(4, 3), torch.tensor([0.0, 1.0, 2.0, 0.0])),
        TypeError, [r"^cross_entropy:", "float64", r"y\.astype\(np\.int64\)"]),
    "optimizer.step() before backward()": (
        _step_before_backward, torch.NoGradientWarning,
        [r"^SGD\.step:", "'weight', 'bias'", r"loss\.backward\(\)"]),
    "zero_grad() forgotten": (
        _zero_grad_forgotten, UserWarning,
        [r"^SGD\.step: the \.grad of 'weight' is the same array", "no zero_grad()",
         r"Call opt\.zero_grad\(\) before loss\.backward\(\)"]),
    "torch.no_grad() as a plain call": (
        _no_grad_as_a_plain_call, UserWarning,
        [r"^ad\.no_grad\(\) was called but never entered", r"with ad\.no_grad\(\):",
         r"set_grad_enabled\(False\)"]),
    "mse_loss of (N, 1) against (N,)": (
        lambda: F.mse_loss(_ones(4, 1, requires_grad=True), _ones(4)), ValueError,
        [r"^mse_loss:", r"\(4, 1\)", r"\(4,\)", r"pred\.reshape\(-1\)"]),
    "view of a transposed tensor": (
        lambda: _ones(2, 3).t().view(6), RuntimeError,
        [r"^view:", r"shape \(3, 2\)", r"\.reshape\(\.\.\.\)"]),
    "reshape to another size": (
        lambda: _ones(2, 3).reshape(4, 2), ValueError,
        [r"^reshape:", r"\(2, 3\)", "same number of elements"]),
    "cat of tensors that differ off the axis": (
        lambda: torch.cat([_ones(2, 3), _ones(2, 4)]), ValueError,
        [r"^concatenate \(in cat\):", r"\(2, 3\), \(2, 4\)", "reshape or slice"]),
    "stack of tensors of different shapes": (
        lambda: torch.stack([_ones(2), _ones(3)]), ValueError,
        [r"^stack:", r"\(2,\), \(3,\)", "same shape"]),
    "adding shapes that do not broadcast": (
        lambda: _ones(2, 3) + _ones(3, 2), ValueError,
        [r"^add:", r"\(2, 3\), \(3, 2\)", "reshape or expand_dims"]),
    ".grad of a non-leaf": (
        _grad_of_a_non_leaf, UserWarning,
        ["not a leaf", r"shape \(2,\)", "'multiply'", r"retain_grad\(\)"]),
    "Conv2d fed the wrong channel count": (
        lambda: nn.Conv2d(3, 4, 3)(_ones(1, 1, 8, 8)), ValueError,
        [r"^Conv2d\(3, 4", r"\(1, 1, 8, 8\)", "expected 3 input channels"]),
    "Conv2d fed an image without channels": (
        lambda: nn.Conv2d(3, 4, 3)(_ones(8, 8)), ValueError,
        [r"^Conv2d\(3, 4", r"got shape \(8, 8\)", r"\(N, C, H, W\)"]),
    "index past the end": (
        lambda: _ones(3)[5], IndexError,
        [r"^getitem:", r"\(3,\)", r"-n \.\.\. n-1"]),
    "Embedding fed an id past its rows": (
        lambda: nn.Embedding(5, 2)(torch.tensor([7])), IndexError,
        [r"^Embedding\(5, 2\):", "id 7", r"\[0, 5\)"]),
    "Embedding fed float ids": (
        lambda: nn.Embedding(5, 2)(torch.tensor([1.0])), TypeError,
        [r"^Embedding\(5, 2\):", "float64", r"astype\(np\.int64\)"]),
    "binary_cross_entropy fed scores": (
        lambda: F.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0])), ValueError,
        [r"^binary_cross_entropy:", r"shape \(1,\)", "binary_cross_entropy_with_logits"]),
    "optimizer given an empty list": (
        lambda: torch.optim.SGD([], lr=0.1), ValueError,
        [r"^SGD:", "empty list", r"model\.parameters\(\)"]),
    "optimizer given model.parameters without ()": (
        lambda: torch.optim.SGD(nn.Linear(2, 1).parameters, lr=0.1), TypeError,
        [r"^SGD:", "Linear", r"SGD\(model\.parameters\(\), \.\.\.\)"]),
    "grad of a function with a vector result": (
        lambda: torch.grad(lambda x: x * 2)(np.ones(3)), TypeError,
        [r"^grad:", r"shape \(3,\)", "ad.jacobian"]),
    "if on a vector": (
        _truth_value_of_a_vector, ValueError,
        [r"shape \(3,\)", "is ambiguous", r"\.any\(\)"]),
    "load_state_dict of another model's sizes": (
        lambda: nn.Linear(2, 3).load_state_dict(nn.Linear(3, 2).state_dict()), ValueError,
        [r"^Linear\.load_state_dict:", r"\(3, 2\)", r"\(2, 3\)", "load_torch_state_dict"]),
    "super().__init__() forgotten": (
        _super_init_forgotten, AttributeError,
        [r"^Net:", r"call super\(\)\.__init__\(\)", "'fc'"]),
    "BatchNorm fed one row": (
        lambda: nn.BatchNorm1d(3)(_ones(1, 3)), ValueError,
        [r"^BatchNorm1d\(3\):", r"shape \(1, 3\)", r"model\.eval\(\)"]),
    "LSTM fed the wrong input size": (
        lambda: nn.LSTM(4, 5)(_ones(2, 7, 3)), ValueError,
        [r"^LSTM\(4, 5", r"\(2, 7, 3\)", "input_size 4"]),
    "backward() of a tensor cut from the graph": (
        lambda: (_ones(3, requires_grad=True) * 2).detach().sum().backward(), RuntimeError,
        [r"^backward:", "does not require grad", "requires_grad=True"]),
    "softmax of a 3-D tensor without dim": (
        lambda: F.softmax(_ones(2, 3, 4)), UserWarning,
        [r"^softmax:", "3 dimensions", "dim="]),
    "a list of tensors made into a tensor": (
        _list_of_tensors_to_a_tensor, torch.TapeDropWarning,
        [r"shape \(\)", "off the tape", r"ad\.stack"]),
}


@pytest.mark.parametrize("name", list(MISTAKES))
def test_each_mistake_is_named_with_its_shapes_and_what_to_do(name):
    mistake, kind, patterns = MISTAKES[name]
    check_mistake_message(mistake_message(mistake, kind, __file__), patterns)


def test_the_table_holds_thirty_mistakes_or_more():
    assert len(MISTAKES) >= 30


def test_no_grad_used_as_a_block_or_a_decorator_or_set_at_once_warns_nothing():
    x = torch.ones(2, requires_grad=True)

    @torch.no_grad()
    def doubled(t):
        return t * 2

    @torch.no_grad()
    def halves(ts):
        for t in ts:
            yield t / 2

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with torch.no_grad():
            inside = x * 2
        block = torch.enable_grad()
        with block:
            pass
        assert not doubled(x).requires_grad and not next(halves([x])).requires_grad
        torch.set_grad_enabled(False)               # acts when called, as PyTorch's
        off = x * 2
        torch.set_grad_enabled(True)
        with torch.inference_mode():
            pass
        del block
    assert not inside.requires_grad and not off.requires_grad and (x * 2).requires_grad


@pytest.mark.parametrize("made", ["no_grad", "enable_grad", "inference_mode"])
def test_each_grad_mode_block_made_and_dropped_names_itself(made):
    with pytest.warns(UserWarning, match=rf"^ad\.{made}\(\) was called but never entered"):
        getattr(torch, made)()


@pytest.mark.parametrize("made, records", [("no_grad", False), ("enable_grad", True),
                                           ("inference_mode", False)])
def test_the_bare_decorator_works_as_pytorchs(made, records):
    # `@torch.no_grad` without the parentheses: PyTorch's decorates; here it raised
    # "no_grad() takes 0 positional arguments but 1 was given"
    @getattr(torch, made)
    def doubled(t):
        return t * 2

    x = torch.ones(2, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with torch.no_grad():
            assert doubled(x).requires_grad is records
        assert doubled(x).requires_grad is records
    assert doubled.__name__ == "doubled"


def test_no_grad_given_something_else_says_how_it_is_used():
    with pytest.raises(TypeError, match=r"^no_grad: takes no argument but a function to "
                                        r"decorate, got int; write `with ad\.no_grad\(\):`"):
        torch.no_grad(3)


def test_numpy_of_a_tensor_that_requires_grad_is_its_data_as_the_api_says():
    # PyTorch refuses (use .detach().numpy()); the API gives the data array (no tape)
    t = torch.ones(3, requires_grad=True) * 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        array = t.numpy()
    assert array is t.data and isinstance(array, np.ndarray)


def test_mixing_float32_and_float64_parameters_promotes_as_pytorch_does():
    torch_ = pytest.importorskip("torch")
    a = nn.Parameter(np.ones(3, dtype=np.float32))
    b = nn.Parameter(np.ones(3))
    theirs = torch_.ones(3, dtype=torch_.float32) * torch_.ones(3, dtype=torch_.float64)
    assert (a * b).dtype == np.float64 and theirs.dtype == torch_.float64
    (a * b).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64   # each its own


def _steps(zeroing, batches=4, every=1):
    """A loop of ``batches`` backward passes, a step every ``every``, zeroed by
    ``zeroing(model, opt)`` after each step."""
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for i in range(batches):
        model(_ones(4, 2)).pow(2).mean().backward()
        if (i + 1) % every == 0:
            opt.step()
            zeroing(model, opt)


def _set_to_none(model, opt):
    for p in model.parameters():
        p.grad = None


@pytest.mark.parametrize("zeroing, every", [
    (lambda model, opt: opt.zero_grad(), 1),
    (lambda model, opt: opt.zero_grad(set_to_none=False), 1),
    (lambda model, opt: model.zero_grad(), 1),
    (lambda model, opt: model.zero_grad(set_to_none=False), 1),
    (_set_to_none, 1),
    (lambda model, opt: [p.grad.zero_() for p in model.parameters()], 1),
    (lambda model, opt: opt.zero_grad(), 2)])          # accumulating over 2 on purpose
def test_a_loop_that_zeroes_its_gradients_is_not_warned_about(zeroing, every):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _steps(zeroing, every=every)


def test_two_steps_on_one_backward_are_not_called_an_accumulation():
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    model(_ones(4, 2)).pow(2).mean().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        opt.step()
