"""The teaching tools on the last round's features: ``np.pad(mode='linear_ramp')`` with
Tensor ``end_values``, ``ad.gradient(x, spacing=, dim=)``, ``t.max(other)`` with ties,
``np.fmax.reduce(initial=Tensor)`` past a NaN, complex ``np.float_power`` and
``np.nan_to_num``, ``topk(largest=False)`` with ties, ``Embedding(_weight=,
_freeze=True)``, ``reset_parameters()`` then a step, and a compiled step whose
constants come from another user module.

For each graph the tools agree with each other and with the truth: ``viz.steps`` gives
the gradients ``backward()`` stores, which match central finite differences (or
PyTorch); ``draw`` shows them and the loss; ``explain`` counts their nonzero entries
and names the op that zeroes the rest.  A compiled step's plan text and drawing list
what the plan checks before each replay (the module's number, list and array it read,
the names it reads): they were not shown before.
"""

import shutil

import numpy as np
import pytest
from teaching_checks import (check_tools_keep_the_dtype, check_tools_show_the_gradients,
                             step_through_in_a_browser)
from test_compile_constants_module_attributes import modules  # noqa: F401 (the fixture)

import autodiff as ad
import autodiff as torch            # written as PyTorch scripts are
from autodiff import nn

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")


def _finite_differences(loss_of, value, eps=1e-6):
    """Central differences of ``loss_of(array) -> float`` at ``value`` (float64)."""
    value = np.asarray(value, dtype=np.float64)
    grad = np.zeros_like(value)
    for i in np.ndindex(value.shape):
        up, down = value.copy(), value.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (loss_of(up) - loss_of(down)) / (2 * eps)
    return grad


# ----------------------------------------------------------------------------------
# each feature's graph: build() -> (loss, {name: parameter}), the ops viz.text names
# ----------------------------------------------------------------------------------
def _ramp(w, e):
    padded = np.pad(w, (2, 3), mode="linear_ramp", end_values=(e[0], e[1]))
    return (padded ** 2 * np.arange(1, 9, dtype=padded.dtype)).sum()


def _linear_ramp():
    w = ad.tensor([1.0, 2.0, 3.0], requires_grad=True, name="w")
    e = ad.tensor([5.0, -1.0], requires_grad=True, name="e")
    return _ramp(w, e), {"w": w, "e": e}


def _gradient_along_dim():
    u = ad.tensor([[1.0, 2.0, 4.0, 7.0], [0.0, 1.0, 3.0, 2.0]], requires_grad=True, name="u")
    (du,) = ad.gradient(u, spacing=0.5, dim=1)
    return (du ** 2 * np.array([1.0, 2.0, 3.0, 4.0])).sum(), {"u": u}


def _max_other_with_a_tie():
    a = ad.tensor([1.0, 2.0, 3.0], requires_grad=True, name="a")
    b = ad.tensor([2.0, 2.0, 1.0], requires_grad=True, name="b")
    return (a.max(b) * np.array([1.0, 2.0, 3.0])).sum(), {"a": a, "b": b}


def _fmax_reduce_past_a_nan():
    x = ad.tensor([[1.0, np.nan, 0.3], [0.5, 0.2, np.nan]], requires_grad=True, name="x")
    start = ad.tensor(0.7, requires_grad=True, name="start")
    return (np.fmax.reduce(x, axis=1, initial=start) * np.array([1.0, 3.0])).sum(), \
        {"x": x, "start": start}


def _complex_float_power():
    z = ad.tensor([1.0 + 1.0j, 2.0 - 0.5j], requires_grad=True, name="z")
    return np.abs(np.float_power(z, 1.5)).sum(), {"z": z}


def _complex_nan_to_num():
    z = ad.tensor([1.0 + 1.0j, 2.0 - 0.5j], requires_grad=True, name="z")
    return np.abs(np.nan_to_num(z * (1 - 2j))).sum(), {"z": z}


def _topk_smallest_with_ties():
    t = ad.tensor([1.0, 0.5, 0.5, 2.0, 0.5], requires_grad=True, name="t")
    values, _ = t.topk(2, largest=False)
    return (values * np.array([1.0, 10.0])).sum(), {"t": t}


FEATURES = {
    "pad linear_ramp": (_linear_ramp, ["linspace", "concatenate"]),
    "gradient(spacing=, dim=)": (_gradient_along_dim, ["subtract", "divide", "concatenate"]),
    "max(other) with a tie": (_max_other_with_a_tie, ["maximum"]),
    "fmax.reduce(initial=)": (_fmax_reduce_past_a_nan, ["fmax_reduce", "fmax"]),
    "complex float_power": (_complex_float_power, ["float_power", "abs"]),
    "complex nan_to_num": (_complex_nan_to_num, ["nan_to_num", "abs"]),
    "topk(largest=False) with ties": (_topk_smallest_with_ties, ["take_along_axis"]),
}


@pytest.mark.parametrize("name", list(FEATURES))
def test_the_tools_show_the_gradients_backward_stores(name):
    check_tools_show_the_gradients(*FEATURES[name])


@needs_dot
@pytest.mark.parametrize("name", ["pad linear_ramp", "fmax.reduce(initial=)"])
def test_stepping_through_a_new_ops_page_in_a_real_browser(name, tmp_path,
                                                           browser_page):  # noqa: F811
    step_through_in_a_browser(browser_page, *FEATURES[name], tmp_path)


def test_linear_ramp_gradients_are_the_finite_differences():
    loss, params = _linear_ramp()
    loss.backward()
    w0, e0 = params["w"].data.copy(), params["e"].data.copy()
    np.testing.assert_allclose(params["w"].grad, _finite_differences(
        lambda w: float(_ramp(w, e0)), w0), rtol=1e-7)
    np.testing.assert_allclose(params["e"].grad, _finite_differences(
        lambda e: float(_ramp(w0, e)), e0), rtol=1e-7)


def test_explain_names_the_op_that_splits_or_drops_each_gradient():
    loss, params = _max_other_with_a_tie()
    loss.backward(retain_graph=True)
    np.testing.assert_array_equal(params["a"].grad, [0.0, 1.0, 3.0])   # the tie: half each
    np.testing.assert_array_equal(params["b"].grad, [1.0, 1.0, 0.0])
    story = ad.explain(params["a"])
    assert "nonzero entries: 2 of 3" in story
    assert "maximum: maximum gives zero gradient where the other operand wins" in story

    loss, params = _fmax_reduce_past_a_nan()
    loss.backward(retain_graph=True)
    # row 0: 1.0 beats the start 0.7; row 1: the start beats 0.5 (NaN is skipped)
    np.testing.assert_array_equal(params["x"].grad, [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    assert float(params["start"].grad) == 3.0
    story = ad.explain(params["x"])
    assert "nonzero entries: 1 of 6" in story
    assert "fmax_reduce gives gradient only to the entries that attain the max" in story

    loss, params = _topk_smallest_with_ties()
    loss.backward(retain_graph=True)
    story = ad.explain(params["t"])
    assert "take_along_axis passes zero gradient to its input 'x' at 3 of 5 positions" \
        in story


def test_topk_smallest_with_ties_and_max_other_match_pytorch():
    torch_ = pytest.importorskip("torch")
    loss, params = _topk_smallest_with_ties()
    loss.backward()
    t = torch_.tensor([1.0, 0.5, 0.5, 2.0, 0.5], dtype=torch_.float64, requires_grad=True)
    values, _ = t.topk(2, largest=False)
    (values * torch_.tensor([1.0, 10.0], dtype=torch_.float64)).sum().backward()
    # (the values are PyTorch's; which of the tied entries is picked may differ)
    assert sorted(values.tolist()) == [0.5, 0.5]
    assert params["t"].grad.sum() == t.grad.sum() == 11.0
    assert set(np.flatnonzero(params["t"].grad)) <= {1, 2, 4}
    a = torch_.tensor([1.0, 2.0, 3.0], dtype=torch_.float64, requires_grad=True)
    b = torch_.tensor([2.0, 2.0, 1.0], dtype=torch_.float64, requires_grad=True)
    (torch_.maximum(a, b) * torch_.tensor([1.0, 2.0, 3.0], dtype=torch_.float64)).sum().backward()
    loss, params = _max_other_with_a_tie()
    loss.backward()
    np.testing.assert_array_equal(params["a"].grad, a.grad.numpy())
    np.testing.assert_array_equal(params["b"].grad, b.grad.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
def test_the_tools_keep_float32_and_complex64(dtype):
    w = ad.tensor(np.array([1.0, 2.0, 3.0], dtype=dtype), requires_grad=True, name="w")
    if np.dtype(dtype).kind == "c":
        loss = np.abs(np.nan_to_num(w * np.complex64(1 + 1j)) ** 2).sum()
    else:
        e = ad.tensor(np.array([5.0, -1.0], dtype=dtype), requires_grad=True, name="e")
        loss = _ramp(w, e)
    params = {"w": w} if np.dtype(dtype).kind == "c" else {"w": w, "e": e}
    assert loss.dtype == (np.float32 if dtype == np.complex64 else dtype)
    check_tools_keep_the_dtype(loss, params)


def test_0d_and_empty_inputs_through_the_new_ops():
    # a 0-d start beats every entry of an empty row: all the gradient goes to it
    x = ad.tensor(np.zeros((2, 0)), requires_grad=True, name="x")
    start = ad.tensor(0.25, requires_grad=True, name="start")
    grads = check_tools_keep_the_dtype(np.fmax.reduce(x, axis=1, initial=start).sum(),
                                       {"x": x, "start": start})
    assert grads["x"].shape == (2, 0) and float(grads["start"]) == 2.0
    u = ad.tensor(np.zeros((3, 0)), requires_grad=True, name="u")
    (du,) = ad.gradient(u, spacing=2.0, dim=0)
    grads = check_tools_keep_the_dtype((du ** 2).sum(), {"u": u})
    assert grads["u"].shape == (3, 0)


# ----------------------------------------------------------------------------------
# modules: a frozen Embedding, reset_parameters() then a step
# ----------------------------------------------------------------------------------
def test_a_frozen_embedding_is_drawn_without_grad_and_explained_as_frozen():
    table = ad.tensor(np.arange(6.0).reshape(3, 2))
    emb = nn.Embedding(3, 2, _weight=table, _freeze=True)
    head = nn.Linear(2, 1)
    loss = head(emb(ad.tensor([0, 2, 2]))).sum()
    assert np.array_equal(emb.weight.data, table.data) and not emb.weight.requires_grad
    params = dict(head.named_parameters())
    check_tools_show_the_gradients(lambda: (loss, params), ["take", "matmul"])
    text = ad.viz.text(loss, params=params)
    assert "= take(weight#2, [0, 2, 2], axis=0)  # (3, 2) float64; no grad" in text
    assert "= matmul(v1, weight)" in text
    story = ad.explain(emb.weight, output=loss)
    # (it said to create it with ad.tensor(data, requires_grad=True), not a module's way)
    assert ".grad is None" in story and "Why: it is a Parameter that was frozen" in story
    assert "Embedding(_freeze=True)" in story and "p.requires_grad_()" in story
    # the rows the ids picked, times the head's column of weights, plus its bias
    np.testing.assert_allclose(float(loss.data), float(
        (table.data[[0, 2, 2]] @ head.weight.data + head.bias.data).sum()), rtol=1e-15)


def test_a_name_given_in_params_stays_with_that_tensor():
    # an Embedding's weight and a Linear's are both Parameters named 'weight': the one
    # params= names keeps the name (it went to whichever the walk met first, and the
    # totals under 'weight' were the embedding's)
    emb = nn.Embedding(3, 2)
    head = nn.Linear(2, 1)
    loss = head(emb(ad.tensor([0, 2, 2]))).sum()
    params = dict(head.named_parameters())
    totals = ad.viz.steps(loss, params=params).totals
    loss.backward(retain_graph=True)
    np.testing.assert_array_equal(totals["weight"], head.weight.grad)
    np.testing.assert_array_equal(totals["weight#2"], emb.weight.grad)
    assert "# weight: leaf (2, 1) float64, requires grad" in ad.viz.text(loss, params=params)
    source = ad.viz.draw(loss, show_values=True, show_grads=True, params=params).source
    assert "<B>weight</B>" in source and "<B>weight#2</B>" in source


def test_after_reset_parameters_and_a_step_the_tools_show_the_graphs_own_values():
    torch.manual_seed(3)
    model = nn.Linear(3, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    model.reset_parameters()
    x = ad.tensor(np.arange(12.0).reshape(4, 3) / 10)
    weight_at_forward = model.weight.data.copy()
    loss = (model(x) ** 2).sum()
    params = dict(model.named_parameters())
    totals = ad.viz.steps(loss, params=params).totals
    loss.backward(retain_graph=True)
    expected = 2 * x.data.T @ (x.data @ weight_at_forward + model.bias.data)
    np.testing.assert_allclose(model.weight.grad, expected, rtol=1e-12)
    opt.step()
    assert not np.array_equal(model.weight.data, weight_at_forward)
    # the graph still gives the gradient of the forward it recorded, not of the new weights
    np.testing.assert_allclose(ad.viz.steps(loss, params=params).totals["weight"],
                               totals["weight"], rtol=1e-12)
    story = ad.explain(model.weight, output=loss)
    assert story.startswith("'weight' (shape (3, 2), float64)")
    assert "nonzero entries: 6 of 6" in story


# ----------------------------------------------------------------------------------
# a compiled step with constants from another module: the plan says what it checks
# ----------------------------------------------------------------------------------
@pytest.fixture
def compiled_step(modules):  # noqa: F811 (the fixture imported above)
    """The step of the compile tests' ``train`` module (it calls ``model.loss``, which
    reads the module's ``RATE``, ``WEIGHTS`` and ``COEFFS``, and a ``Scorer``'s methods),
    compiled and replayed once."""
    train, model = modules
    step, _ = train.make_step()
    compiled = ad.compile(step, fuse=False)
    for _ in range(2):
        compiled(ad.tensor(np.ones(3)))
    return compiled, model


def test_the_plan_text_lists_what_it_checks_before_each_replay(compiled_step):
    step, model = compiled_step
    text = str(step.plan)
    module_file = f"{model.__name__}.py:10"
    steps, checks = text.split("\n  checked before each replay (if one changed, the call "
                               "traces again):\n")
    # the module's array is a constant read in place, named with the op and line
    assert f"a NumPy array the function captures, read in place   # multiply at " \
           f"{module_file}" in steps
    for check in ["a captured tensor of shape (3,): .requires_grad is True",
                  "no gradient hook on a captured tensor of shape (3,)",
                  "still holds [1.0, 2.0, 3.0]",              # the list COEFFS
                  "the setting loss: RATE == 0.5",            # the module's number
                  "the setting loss: COEFFS[2] == 3.0",
                  "model.loss is the same function",
                  f"module {model.__name__}: the names loss, COEFFS, WEIGHTS, penalty "
                  "still refer to the same objects",
                  "the setting score: Scorer.scale == 2.0",       # an object's attribute
                  f"read by 'multiply' at {module_file} (by a checksum)"]:
        assert check in checks, (check, checks)
    # the checks are the plan's own: a change to one traces again, and the new plan's
    # text shows the new value
    model.RATE = 2.0
    step(ad.tensor(np.ones(3)))
    assert step.traces == 2
    assert "the setting loss: RATE == 2.0" in str(step.plan)


@needs_dot
def test_the_plan_drawing_names_its_constants_and_its_checks(compiled_step):
    step, model = compiled_step
    graph = ad.viz.draw(step.plan)
    source = graph.source
    assert f"a captured NumPy array, read by multiply at {model.__name__}.py:10" in source
    assert f"made from Python numbers, read at {model.__name__}.py:10" in source
    assert "checked before each replay" in source and "RATE == 0.5" in source
    assert graph.pipe(format="svg").startswith(b"<?xml")          # Graphviz reads it


def test_a_plan_of_a_plain_function_lists_its_checks_too():
    RATE = 0.5                                                # noqa: N806 (a setting)
    w = ad.tensor([1.0, 2.0], requires_grad=True, name="w")
    f = ad.compile(lambda x: (w * x * RATE).sum())
    f(np.ones(2))
    text = str(f.plan)
    assert "the setting RATE == 0.5" in text
    assert "the arrays of w (float64[2], C order) keep their shape, dtype and memory " \
           "order" in text
