"""The teaching tools on what they had not met: what they say must be what happened.

Most tests here fail on the code before the fix they check (the others guard what
must not change): explain blaming softmax for a gradient it passes, explain and the
in-place refusal advising a backward that would raise, viz.steps leaving out a
leaf's gradient hook (and crashing on a multi-grad hook), viz tools breaking an
``ad.compile`` trace with a message about ``.grad``, viz.steps crashing on a NumPy
value, the HTML stepper writing a polynomial's coefficients into ``p'(r)``, and a
picture of a graph that an optimizer step left behind showing the parameter's new
values without saying so, explain telling a forward-mode dual that its op recorded
nothing differentiable, detect_anomaly advising an eps at a repeated root, and a
pruned model's unpruned weight labelled with the pruned weight's name, its mask
never named as what zeroes its gradient, and parameters loaded with assign=True
losing their labels.
"""

import json
import re
import shutil
import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")


def _page_data(path):
    with open(path, encoding="utf-8") as f:
        match = re.search(r"const DATA = (\{.*?\});\n", f.read(), re.S)
    return json.loads(match.group(1))


# ----------------------------------------------------------------------------------
# explain: an op is named as zeroing a gradient only if it does for any upstream
# ----------------------------------------------------------------------------------
@pytest.mark.parametrize("op", [F.softmax, F.log_softmax])
def test_explain_does_not_say_softmax_zeroes_a_gradient_it_passes(op):
    # At equal logits the rule applied to g = ones gives exactly 0 (the outputs sum
    # to 1, or the log-probabilities' exponentials do), yet w's gradient is not 0.
    w = ad.tensor([0.0, 0.0], requires_grad=True, name="w")
    loss = (op(w, 0) * np.array([1.0, 3.0])).sum()
    loss.backward(retain_graph=True)
    assert np.all(w.grad != 0)
    text = ad.explain(w)
    assert "passes zero gradient" not in text
    assert f"this tensor -> {op.__name__} -> multiply -> sum = the output" in text


def test_explain_lists_no_zeroing_ops_for_a_gradient_without_zeros():
    w = ad.tensor([1.0, 1.0, 1.0], requires_grad=True, name="w")
    v = ad.tensor([1.0, 2.0], requires_grad=True, name="v")
    base = w * 2
    np.multiply.at(base, [1, 2], v)             # recorded as setitem(v1, multiply_at(...))
    loss = base.sum()
    loss.backward(retain_graph=True)
    assert np.array_equal(w.grad, [2.0, 2.0, 4.0])
    text = ad.explain(w)
    assert "nonzero entries: 3 of 3" in text
    assert "zero gradient" not in text          # (setitem's 'x' edge was listed)


def test_explain_still_names_the_ops_that_do_zero_a_gradient():
    w = ad.tensor([1.0, 1.0], requires_grad=True, name="w")
    v = ad.tensor([0.0, 0.0], requires_grad=True, name="v")
    base = w * 2
    np.multiply.at(base, [0, 1], v)             # every entry multiplied by 0
    loss = base.sum()
    loss.backward(retain_graph=True)
    assert np.array_equal(w.grad, [0.0, 0.0])
    text = ad.explain(w)
    assert "multiply_at: multiply_at passes zero gradient to its input 'a' everywhere" in text
    w = ad.tensor([-1.0, -2.0], requires_grad=True, name="w")
    loss = ad.relu(w).sum()
    loss.backward(retain_graph=True)
    assert "a dead relu" in ad.explain(w)


# ----------------------------------------------------------------------------------
# a parameter held by a graph that an optimizer step left behind
# ----------------------------------------------------------------------------------
def _stepped_past_a_graph():
    w = nn.Parameter(np.array([1.0, 2.0]), name="w")
    opt = ad.optim.SGD([w], lr=0.1)
    old = (w * w).sum()                 # a graph kept across the step
    new = (w * w).sum()
    new.backward()
    opt.step()                          # allowed: old's backward refuses later
    return w, old


def test_explain_says_an_outdated_graph_would_refuse_its_backward():
    w, old = _stepped_past_a_graph()
    text = ad.explain(w)
    assert "Run that graph's backward" not in text          # (it would raise)
    assert "1 recorded op(s) of an older graph hold it: multiply" in text
    assert "would raise InPlaceError" in text
    with pytest.raises(ad.InPlaceError):                     # which is true
        old.backward()


def test_the_in_place_refusal_does_not_advise_a_backward_that_would_raise():
    w, old = _stepped_past_a_graph()
    with pytest.raises(ad.InPlaceError) as info:
        with ad.no_grad():
            w -= 1.0
    message = str(info.value)
    assert "Call backward() first" not in message
    assert "of an older graph" in message and "del loss" in message
    del old                                                  # as the message says
    with ad.no_grad():
        w -= 1.0
    assert np.allclose(w.data, [-0.2, 0.6])


def test_viz_marks_a_leaf_changed_since_the_graph_used_it():
    w, old = _stepped_past_a_graph()
    # the picture shows w's current values beside a product computed from the old ones
    assert ad.viz.text(old).splitlines()[0] == (
        "# w: leaf (2,) float64, requires grad; changed in place since this graph used it")
    source = ad.viz.draw(old, show_values=True).source
    assert "changed in place since this graph used it" in source
    assert "[0.8 1.6]" in source and "[1. 4.]" in source     # w now; w * w then
    fresh = (w * w).sum()
    assert "changed" not in ad.viz.text(fresh)
    assert "changed" not in ad.viz.draw(fresh, show_values=True).source
    for tool in (ad.viz.steps, lambda t: ad.viz.draw(t, show_grads=True)):
        with pytest.raises(ad.InPlaceError, match=r"^viz\.(steps|draw): this graph's backward "
                           r"pass, which it shows, cannot run: op 'multiply' saved"):
            tool(old)


def test_the_in_place_refusal_of_a_live_graph_is_unchanged():
    w = ad.tensor([1.0, 2.0], requires_grad=True, name="w")
    loss = (w * w).sum()
    with pytest.raises(ad.InPlaceError, match=r"Call backward\(\) first"):
        with ad.no_grad():
            w -= 1.0
    assert "a live graph need it for backward: multiply" in ad.explain(w)
    loss.backward()


def test_explain_of_a_forward_mode_dual_points_to_its_tangent():
    fw = ad.autograd.forward_ad
    with fw.dual_level():
        x = fw.make_dual(ad.tensor([1.0, 2.0]), ad.tensor([1.0, 0.0]))
        y = ad.sin(x)
        text = ad.explain(y)
        assert "forward-mode dual" in text and "unpack_dual(t).tangent" in text
        assert "record nothing differentiable" not in text      # (sin recorded its JVP)
        assert np.allclose(fw.unpack_dual(y).tangent.data, [np.cos(1.0), 0.0])
        plain = ad.tensor([1.0]) * 2                            # no dual reaches it
        assert "forward-mode" not in ad.explain(plain)


# ----------------------------------------------------------------------------------
# viz.steps: a leaf's gradient hook is part of what .grad receives
# ----------------------------------------------------------------------------------
def test_steps_totals_are_what_backward_puts_in_grad_when_a_leaf_has_a_hook():
    a = ad.tensor([1.0, 2.0], requires_grad=True, name="a")
    b = ad.tensor([3.0, 4.0], requires_grad=True, name="b")
    a.register_hook(lambda g: g * 10)
    loss = (a * b + a).sum()
    walk = ad.viz.steps(loss)
    loss.backward()
    assert np.array_equal(walk.totals["a"], a.grad)          # [40, 50], not [4, 5]
    assert np.array_equal(walk.totals["b"], b.grad)
    printed = str(walk)
    assert "a.grad = [40. 50.]" in printed
    assert "(what its gradient hook returned; the contributions summed to [4. 5.])" in printed
    assert "b.grad = [1. 2.]\n" in printed + "\n"            # no note where no hook


def test_steps_runs_a_multi_grad_hook_as_a_pass_does():
    a = ad.tensor([1.0, 2.0], requires_grad=True, name="a")
    b = ad.tensor([3.0], requires_grad=True, name="b")
    seen = []
    ad.autograd.graph.register_multi_grad_hook((a, b), lambda grads: seen.append(
        [np.asarray(g).tolist() for g in grads]))
    loss = (a * 2).sum() + (b ** 2).sum()
    walk = ad.viz.steps(loss)               # raised "no backward pass is running"
    assert seen == [[[2.0, 2.0], [6.0]]]    # as ad.grad(loss, (a, b)) would call it
    loss.backward()
    assert seen[1] == seen[0]
    assert np.array_equal(walk.totals["a"], a.grad) and np.array_equal(walk.totals["b"], b.grad)


def test_a_multi_grad_hook_on_an_array_is_a_type_error_naming_it():
    w = ad.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"register_multi_grad_hook: tensors\[1\] is ndarray, "
                       "not a Tensor"):
        ad.autograd.graph.register_multi_grad_hook((w, np.ones(2)), print)
    with pytest.raises(RuntimeError, match="does not require grad"):     # (as before)
        ad.autograd.graph.register_multi_grad_hook((w, ad.tensor([1.0])), print)


@needs_dot
def test_the_html_page_totals_include_a_leaf_hook(tmp_path):
    a = ad.tensor([1.0, 2.0], requires_grad=True, name="a")
    a.register_hook(lambda g: g * 10)
    loss = (a * a).sum()
    data = _page_data(ad.viz.html(loss, tmp_path / "page"))
    loss.backward()
    assert data["totals"]["a"] == "[20. 40.]" and np.array_equal(a.grad, [20.0, 40.0])


# ----------------------------------------------------------------------------------
# viz inside ad.compile, and on what is not a Tensor
# ----------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::autodiff.NotReplayedWarning")
@pytest.mark.parametrize("tool", ["steps", "draw", "html"])
def test_a_viz_tool_that_runs_a_backward_is_refused_while_compile_traces(tool, tmp_path):
    w = nn.Parameter(np.array([1.0, 2.0]), name="w")
    calls = {"steps": lambda y: ad.viz.steps(y),
             "draw": lambda y: ad.viz.draw(y, show_grads=True),
             "html": lambda y: ad.viz.html(y, tmp_path / "page")}
    messages = []

    @ad.compile
    def step(x):
        y = (w * x).sum()
        try:
            calls[tool](y)
        except ad.TraceError as error:
            messages.append(str(error))
        y.backward()
        return y

    step(np.ones(2))
    step(np.ones(2))                                         # the plan replays
    assert np.array_equal(w.grad, [2.0, 2.0])
    assert len(messages) == 1                                # at the trace only
    assert f"viz.{tool} at " in messages[0] and "runs a backward pass of its own" in messages[0]
    assert f"Call ad.viz.{tool} outside the compiled function" in messages[0]


@pytest.mark.filterwarnings("ignore::autodiff.NotReplayedWarning")
def test_viz_text_and_plain_draw_still_work_while_compile_traces():
    w = nn.Parameter(np.array([1.0, 2.0]), name="w")
    texts = []

    @ad.compile
    def step(x):
        y = (w * x).sum()
        texts.append(ad.viz.text(y))
        ad.viz.draw(y, show_values=True)
        y.backward()
        return y

    step(np.ones(2))
    assert texts == ["# w: leaf (2,) float64, requires grad\n"
                     "v1 = multiply(w, [1., 1.])  # (2,) float64\n"
                     "v2 = sum(v1)  # () float64; output"]


@pytest.mark.parametrize("tool", [ad.viz.steps, ad.viz.text, ad.viz.draw])
def test_viz_on_a_numpy_result_is_a_type_error_saying_what_to_do(tool):
    seen = []

    def f(x):                           # vmap of plain arrays: f gets arrays
        y = (x * x).sum()
        with pytest.raises(TypeError) as info:
            tool(y)
        seen.append(str(info.value))
        return y

    ad.vmap(f)(np.ones((2, 3)))
    assert len(seen) == 2
    assert "expected a Tensor, got float64" in seen[0]
    assert "requires_grad=True" in seen[0] and "ad.vmap" in seen[0]


# ----------------------------------------------------------------------------------
# the HTML stepper's rule with the numbers put in
# ----------------------------------------------------------------------------------
@needs_dot
def test_the_roots_rule_keeps_p_prime_as_a_word(tmp_path):
    c = ad.tensor([1.0, -3.0, 2.0], requires_grad=True, name="c")
    loss = (np.roots(c).real ** 2).sum()        # roots 2 and 1: sum of squares 9 - 4c/a
    data = _page_data(ad.viz.html(loss, tmp_path / "page"))
    roots_step = next(s for s in data["steps"] if s["op_name"] == "roots")
    numbers = roots_step["contributions"][0]["numbers"]
    assert "p'(r_k)" in numbers and "]'(" not in numbers
    loss.backward()
    # L = (b/a)^2 - 2 c/a: dL/da = -2b^2/a^3 + 2c/a^2, dL/db = 2b/a^2, dL/dc = -2/a
    assert np.allclose(c.grad, [-14.0, -6.0, -2.0], rtol=1e-12)
    assert data["totals"]["c"] == "[-14.  -6.  -2.]"


# ----------------------------------------------------------------------------------
# detect_anomaly at a repeated root
# ----------------------------------------------------------------------------------
def test_anomaly_at_a_repeated_root_names_the_root_not_an_eps():
    c = ad.tensor([1.0, -2.0, 1.0], requires_grad=True)        # (x - 1)^2
    with pytest.raises(ad.AnomalyError) as info:
        with ad.detect_anomaly(), warnings.catch_warnings():
            warnings.simplefilter("ignore", ad.linalg.DegenerateGradientWarning)
            np.roots(c).real.sum().backward()
    message = str(info.value)
    assert message.startswith("roots: the backward pass produced inf")
    assert "cause: roots: a repeated root (p'(r) = 0) has no derivative" in message
    assert "add an eps" not in message                          # (no eps fixes it)
    with ad.detect_anomaly():                                   # the sum is fine: -p1/p0
        s = np.roots(ad.tensor([1.0, -3.0, 2.0], requires_grad=True)).real.sum()
        s.backward()


# ----------------------------------------------------------------------------------
# a pruned model: the leaf is the unpruned weight, the mask is what zeroes
# ----------------------------------------------------------------------------------
def test_a_pruned_weight_is_named_and_explained_as_what_it_is():
    from autodiff.nn import prune

    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert model[0].weight.name == "0.weight"
    prune.l1_unstructured(model[0], "weight", amount=0.5)
    loss = (model(ad.tensor(np.linspace(-1.0, 1.0, 6).reshape(2, 3))) ** 2).mean()
    text = ad.viz.text(loss)
    # the leaf is weight_orig; model[0].weight is the masked product (not a leaf)
    assert "# 0.weight_orig: leaf (3, 4) float64, requires grad" in text
    assert "v1 = multiply(0.weight_orig, const(3, 4))" in text
    assert "# 0.weight:" not in text
    loss.backward(retain_graph=True)
    orig = model[0].weight_orig
    pruned = int(np.count_nonzero(model[0].weight_mask == 0))
    assert pruned == 6 and np.all(orig.grad[model[0].weight_mask == 0] == 0)
    explanation = ad.explain(orig)
    assert explanation.startswith("'0.weight_orig' (shape (3, 4), float64)")
    assert "Ops on the way that can zero some of its entries:" in explanation
    assert (f"multiply: multiply passes zero gradient to its input 'a' at {pruned} of 12 "
            "positions (its local derivative is 0 there)") in explanation
    del loss
    prune.remove(model[0], "weight")
    assert model[0].weight.name == "0.weight"       # a plain parameter again
    assert "# 0.weight: leaf" in ad.viz.text(model(ad.tensor(np.ones((1, 3)))).sum())


def test_parameters_loaded_with_assign_keep_their_labels():
    model = nn.Sequential(nn.Linear(2, 1))
    model[0].bias.name = "offset"                       # a name given by hand
    old = model(ad.tensor([[1.0, 2.0]])).sum()
    model.load_state_dict({"0.weight": np.array([[3.0], [4.0]]), "0.bias": np.array([0.5])},
                          assign=True)
    new = model(ad.tensor([[1.0, 2.0]])).sum()
    assert ad.viz.text(new).splitlines()[:2] == [
        "# 0.weight: leaf (2, 1) float64, requires grad",   # was "weight"
        "# offset: leaf (1,) float64, requires grad"]
    assert float(new.data) == 11.5 and float(old.data) != 11.5
    new.backward()
    assert np.array_equal(model[0].weight.grad, [[1.0], [2.0]])
    assert ad.explain(model[0].weight).startswith("'0.weight' (shape (2, 1)")
