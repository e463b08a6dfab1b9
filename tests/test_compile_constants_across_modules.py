"""Constants a compiled step makes with NumPy in the user's other modules: the step in
one module (``train.py``) calling a loss in another (``model.py``) that builds arrays
from Python numbers, module-level numbers, lists and arrays.  The step replays as eager
execution does, and a constant changed between calls (an array written in place, a
name rebound, a number, a list's entry) traces again: never stale."""


import numpy as np
import pytest

import autodiff as ad

MODEL = """
    import numpy as np
    from {helpers} import ramp

    RATE = 0.5
    WEIGHTS = np.array([1.0, 2.0, 3.0])

    def loss(w):
        steps = np.arange(3) * RATE + np.linspace(0.0, 1.0, 3)
        return ((w * WEIGHTS + steps) ** 2).sum() + (w * ramp(3)).sum()
"""
HELPERS = """
    import numpy as np

    COEFFS = [1.0, 2.0, 3.0]
    SETTINGS = dict(shift=1.0)

    def ramp(n):
        return np.array(COEFFS) * np.ones(n) + SETTINGS["shift"]
"""
TRAIN = """
    import numpy as np
    import autodiff as ad
    from {model} import loss

    w = ad.tensor(np.array([1.0, -0.5, 0.25]), requires_grad=True)
    opt = ad.optim.SGD([w], lr=0.01)

    def step(x):
        opt.zero_grad()
        value = loss(w + x)
        value.backward()
        opt.step()
        return value
"""


@pytest.fixture
def modules(write_modules):
    """``(train, model, helpers)``: three modules written into ``tmp_path`` and
    imported, the step in ``train`` calling ``model.loss``, which calls
    ``helpers.ramp``."""
    loaded = write_modules({"train": TRAIN, "model": MODEL, "helpers": HELPERS})
    return loaded["train"], loaded["model"], loaded["helpers"]


def eager_twin(train, model):
    """An eager copy of ``train.step`` on its own copy of the weights."""
    w = ad.tensor(train.w.data.copy(), requires_grad=True)
    opt = ad.optim.SGD([w], lr=0.01)

    def step(x):
        opt.zero_grad()
        value = model.loss(w + x)
        value.backward()
        opt.step()
        return value
    return step, w


def run_both(train, model, changes):
    """Call the compiled and the eager step once per entry of ``changes``
    (``compare_calls``); the compiled function."""
    compiled = ad.compile(train.step, fuse=False)
    eager, w_eager = eager_twin(train, model)
    compare_calls(compiled, train.w, eager, w_eager, changes, seed=3)
    return compiled


def compare_calls(compiled_step, w_compiled, eager_step, w_eager, changes, seed=5):
    """Call the compiled and the eager step once per entry of ``changes`` (a function
    run before the call, or None), comparing loss, gradient and weights bitwise (both
    run NumPy's own ops on float64, unfused)."""
    rng = np.random.default_rng(seed)
    for change in changes:
        if change is not None:
            change()
        x = rng.normal(size=3) * 0.1
        expected, got = eager_step(ad.tensor(x)), compiled_step(x)
        np.testing.assert_array_equal(got.data, expected.data)
        np.testing.assert_array_equal(w_compiled.grad, w_eager.grad)
        np.testing.assert_array_equal(w_compiled.data, w_eager.data)


def test_a_step_calling_a_loss_of_another_module_replays_its_constants(modules):
    train, model, _ = modules
    compiled = run_both(train, model, [None] * 4)
    assert compiled.traces == 1


def test_a_module_level_array_written_in_place_between_calls_traces_again(modules):
    train, model, _ = modules

    def write():
        model.WEIGHTS[0] = 5.0
    compiled = run_both(train, model, [None, None, write, None])
    assert compiled.traces == 2


def test_a_module_global_rebound_between_calls_traces_again(modules):
    train, model, _ = modules

    def rebind():
        model.WEIGHTS = np.array([0.5, 0.5, 0.5])
    compiled = run_both(train, model, [None, rebind, None])
    assert compiled.traces == 2


def test_a_module_level_number_changed_between_calls_traces_again(modules):
    train, model, _ = modules

    def change_rate():
        model.RATE = 3.0
    compiled = run_both(train, model, [None, change_rate, None])
    assert compiled.traces == 2


def test_a_list_a_constant_was_made_from_changed_in_place_traces_again(modules):
    train, model, helpers = modules

    def change_entry():
        helpers.COEFFS[0] = 5.0

    def change_sign_of_zero():
        helpers.COEFFS[1] = 0.0

    def and_again():
        helpers.COEFFS[1] = -0.0      # (equal to 0.0, another constant all the same)
    compiled = run_both(train, model,
                        [None, change_entry, None, change_sign_of_zero, and_again])
    assert compiled.traces == 4


def test_a_dict_entry_a_constant_was_made_from_changed_traces_again(modules):
    train, model, helpers = modules

    def shift():
        helpers.SETTINGS["shift"] = 2.0
    compiled = run_both(train, model, [None, shift, None])
    assert compiled.traces == 2


def test_a_list_of_the_compiled_functions_own_module_changed_in_place_traces_again():
    coefficients = [1.0, 2.0]
    scope = {"np": np, "coefficients": coefficients}
    exec("def f(x):\n    return (x * np.array(coefficients)).sum()\n", scope)
    f = ad.compile(scope["f"])
    x = ad.tensor([1.0, 1.0])
    assert f(x).item() == f(x).item() == 3.0
    coefficients[0] = 5.0
    assert f(x).item() == 7.0
    assert f.traces == 2


def test_a_named_tuple_numpy_returns_for_a_constant_keeps_its_fields():
    # (np.unique_all of a constant gave a plain tuple: .inverse_indices failed)
    def f(x):
        labels = np.array([2, 0, 2, 1])
        inverse = np.unique_all(labels).inverse_indices
        return (x * inverse).sum()
    compiled = ad.compile(f)
    x = ad.tensor([1.0, 2.0, 3.0, 4.0])
    assert compiled(x).item() == compiled(x).item() == f(x).item() == 12.0
    assert compiled.traces == 1
