"""PyTorch's ``p.data.zero_()`` family on a parameter: ``.data`` stays the NumPy array
(the API), and a Tensor method read on it raises ``AttributeError`` at the user's line
saying what to write instead, where NumPy's own error said only that it is missing."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn

HABITS = [
    ("zero_", lambda p: p.data.zero_(), r"p\.data\[\.\.\.\] = 0"),
    ("fill_", lambda p: p.data.fill_(2.0), r"p\.data\[\.\.\.\] = value"),
    ("copy_", lambda p: p.data.copy_(np.ones(3)), r"p\.data\[\.\.\.\] = source"),
    ("mul_", lambda p: p.data.mul_(0.5), r"p\.data \*= other"),
    ("add_", lambda p: p.data.add_(np.ones(3), alpha=-0.1), r"p\.data \+= alpha \* other"),
]


@pytest.mark.parametrize("name, habit, numpy_spelling", HABITS, ids=[h[0] for h in HABITS])
def test_a_tensor_method_on_data_says_what_to_write_instead(name, habit, numpy_spelling):
    p = nn.Parameter([1.0, 2.0, 3.0])
    with pytest.raises(AttributeError, match=(
            rf"^'numpy\.ndarray' object has no attribute '{name}': the \.data of parameter "
            rf"\(shape \(3,\)\) is its NumPy array.*write {numpy_spelling} .*"
            rf"with ad\.no_grad\(\): p\.{name}\(")):
        habit(p)
    np.testing.assert_array_equal(p.data, [1.0, 2.0, 3.0])      # nothing was written


def test_the_spellings_it_gives_do_what_pytorchs_habits_do():
    torch = pytest.importorskip("torch")
    p, q = nn.Parameter([1.0, 2.0, 3.0]), torch.nn.Parameter(torch.tensor([1.0, 2.0, 3.0],
                                                                         dtype=torch.float64))
    other = np.array([0.5, -1.0, 2.0])
    p.data *= 0.5
    p.data += -0.1 * other
    q.data.mul_(0.5).add_(torch.from_numpy(other), alpha=-0.1)
    np.testing.assert_array_equal(p.data, q.data.numpy())
    with ad.no_grad():
        p.zero_()
    q.data.zero_()
    np.testing.assert_array_equal(p.data, q.data.numpy())


def test_a_module_weight_names_the_parameter():
    layer = nn.Linear(2, 3)
    with pytest.raises(AttributeError, match=r"parameter 'weight' \(shape \(2, 3\)\).*"
                                             r"p\.normal_\(\.\.\.\) \(under ad\.no_grad\(\)\)"):
        layer.weight.data.normal_(0.0, 0.02)


def test_data_as_an_ndarray_is_unchanged():
    p = nn.Parameter(np.arange(3.0))
    array = p.data
    assert type(array) is np.ndarray and array is p.data
    assert not hasattr(p.data, "zero_")          # (hasattr reads no method after .data)
    p.data[...] = 0.0
    p.data += 1.0
    assert p.data.sum() == 3.0 and p.data.fill(2.0) is None and (p.data == 2.0).all()
    p.data = np.ones(3)
    np.testing.assert_array_equal(p.data, np.ones(3))
    with pytest.raises(AttributeError, match="'numpy.ndarray' object has no attribute 'nope'"):
        p.data.nope                              # not a Tensor method: NumPy's own error


def test_a_compiled_step_still_sees_parameter_data_reads():
    model = nn.Linear(3, 1)
    opt = ad.optim.SGD(model.parameters(), lr=0.1)

    @ad.compile
    def step(x):
        loss = (model(x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    x = np.random.default_rng(0).standard_normal((4, 3))
    before = model.weight.data.copy()
    for _ in range(3):
        step(x)
    assert step.traces == 1 and not np.array_equal(model.weight.data, before)
    assert nn.Parameter.__dict__["data"] is not ad.Tensor.__dict__["data"]   # put back
    with pytest.raises(AttributeError, match="zero_"):
        model.weight.data.zero_()
