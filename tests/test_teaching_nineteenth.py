"""The teaching tools on the last round's features: the ``scipy.special`` functions that
record on Tensors (``entr``, ``rel_entr``, ``xlog1py``, ``gammainc``, ``i0e``,
``erfcx``), ``np.pad(mode='empty')``, ``logcumsumexp``, ``explain`` of a frozen
Parameter, the forgotten-``zero_grad`` warning, and the check list of a compiled step's
plan for a step whose optimizer makes its state lazily and for a model whose forward
lives in another module.

``viz.text`` names the SciPy functions ``scipy_<name>``, as the graph and the anomaly
report do; ``viz.steps`` gives the gradients ``backward()`` stores, which match central
finite differences (and PyTorch's ``torch.special`` where it has the function); ``draw``
shows them; ``explain`` counts their nonzero entries.  Two said less than they knew:
``explain`` listed five of the six ops holding a tensor without saying one was left out
("... and 1 more" now), and the plan's check list named two Linear layers alike
("Linear: .n_in is 3", "Linear: .n_in is 4") and a model's attributes "an object's
attributes", and counted a closure's names without a word of what they hold: it now
names ``Linear(3, 4)``, ``Linear(4, 1)``, "the attributes of Net", "class Net" and
"its 2 names (holding Adam, Sequential)".
"""

import shutil
import warnings

import numpy as np
import pytest
import scipy.special as sc
from teaching_checks import check_tools_keep_the_dtype, check_tools_show_the_gradients
from test_teaching_eighteenth import _finite_differences

import autodiff as ad
from autodiff import nn

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")

W = np.array([0.3, 0.7, 1.2, 2.5])
Q = np.array([0.2, 0.5, 0.9, 1.5])

# name -> (the function of w, the op viz.text names)
SPECIAL = {
    "entr": (lambda w: sc.entr(w), "scipy_entr"),
    "rel_entr": (lambda w: sc.rel_entr(w, Q), "scipy_rel_entr"),
    "xlog1py": (lambda w: sc.xlog1py(w, w), "scipy_xlog1py"),
    "gammainc": (lambda w: sc.gammainc(2.0, w), "scipy_gammainc"),
    "i0e": (lambda w: sc.i0e(w), "scipy_i0e"),
    "erfcx": (lambda w: sc.erfcx(w), "scipy_erfcx"),
}
WEIGHTS = np.array([1.0, -2.0, 3.0, 0.5])


def _special(name, dtype=np.float64):
    def build():
        w = nn.Parameter(W.astype(dtype), name="w")
        return (SPECIAL[name][0](w) * WEIGHTS.astype(dtype)).sum(), {"w": w}
    return build


@pytest.mark.parametrize("name", list(SPECIAL))
def test_scipy_special_functions_through_the_tools(name):
    check_tools_show_the_gradients(_special(name), [SPECIAL[name][1]])


@pytest.mark.parametrize("name", list(SPECIAL))
def test_scipy_special_gradients_are_the_finite_differences(name):
    loss, params = _special(name)()
    loss.backward()
    expected = _finite_differences(lambda v: float((SPECIAL[name][0](v) * WEIGHTS).sum()), W)
    np.testing.assert_allclose(params["w"].grad, expected, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name, theirs", [
    ("entr", lambda t, w: t.special.entr(w)),
    ("xlog1py", lambda t, w: t.special.xlog1py(w, w)),
    ("gammainc", lambda t, w: t.special.gammainc(t.full_like(w, 2.0), w)),
    ("i0e", lambda t, w: t.special.i0e(w)),
    ("erfcx", lambda t, w: t.special.erfcx(w))])
def test_scipy_special_gradients_match_torch_special(name, theirs):
    torch = pytest.importorskip("torch")
    loss, params = _special(name)()
    totals = ad.viz.steps(loss, params=params).totals
    w = torch.tensor(W, requires_grad=True)
    (theirs(torch, w) * torch.tensor(WEIGHTS)).sum().backward()
    np.testing.assert_allclose(totals["w"], w.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(SPECIAL))
def test_scipy_special_in_float32_keeps_its_dtype_in_every_tool(name):
    loss, params = _special(name, np.float32)()
    grads = check_tools_keep_the_dtype(loss, params)
    expected = _finite_differences(lambda v: float((SPECIAL[name][0](v) * WEIGHTS).sum()), W)
    np.testing.assert_allclose(grads["w"], expected, rtol=2e-5, atol=1e-5)  # (float32)


def test_scipy_special_on_a_0d_and_an_empty_parameter():
    w = nn.Parameter(np.array(0.7), name="w")
    empty = nn.Parameter(np.zeros((0,)), name="empty")
    loss = sc.erfcx(w) + sc.entr(empty).sum()
    grads = check_tools_keep_the_dtype(loss, {"w": w, "empty": empty})
    assert grads["empty"].shape == (0,)
    np.testing.assert_allclose(grads["w"], 2 * 0.7 * sc.erfcx(0.7) - 2 / np.sqrt(np.pi))
    assert "= scipy_erfcx(w)" in ad.viz.text(loss)


def test_explain_says_how_many_ops_hold_a_tensor_beyond_the_ones_it_names():
    w = nn.Parameter(W, name="w")
    loss = sum(f(w).sum() for f, _ in SPECIAL.values())
    story = ad.explain(w)
    assert "while 6 recorded op(s) of a live graph need it for backward:" in story
    listed = story.split("need it for backward: ")[1].split(". Run that")[0]
    assert listed.endswith(" and 1 more") and listed.count("scipy_") == 5, listed
    loss.backward()
    assert "read-only" not in ad.explain(w)              # the graph was freed


def test_scipy_special_inside_grad_and_vmap_gives_the_eager_gradients():
    eager = {}
    for name in SPECIAL:
        loss, params = _special(name)()
        loss.backward()
        eager[name] = params["w"].grad

    for name, (f, _) in SPECIAL.items():
        np.testing.assert_allclose(ad.grad(lambda w: (f(w) * WEIGHTS).sum())(W), eager[name],
                                   rtol=1e-12, err_msg=name)
        rows = ad.vmap(ad.grad(lambda w: (f(w) * WEIGHTS).sum()))(np.stack([W, W]))
        np.testing.assert_allclose(rows, np.stack([eager[name]] * 2), rtol=1e-12, err_msg=name)


def test_a_compiled_step_through_scipy_special_names_them_in_its_plan():
    w = nn.Parameter(W, name="w")
    opt = ad.optim.SGD([w], lr=0.01)
    twin = nn.Parameter(W.copy(), name="w")
    twin_opt = ad.optim.SGD([twin], lr=0.01)

    def step(param, optimizer):
        optimizer.zero_grad()
        loss = (sc.entr(param) * WEIGHTS + sc.erfcx(param)).sum()   # the plan's line
        loss.backward()
        optimizer.step()
        return loss

    compiled = ad.compile(lambda: step(w, opt), fuse=False)     # (each op a step)
    for _ in range(3):
        assert float(compiled().data) == pytest.approx(float(step(twin, twin_opt).data),
                                                       rel=1e-12)
    np.testing.assert_allclose(w.data, twin.data, rtol=1e-12)
    text = str(compiled.plan)
    line = f"test_teaching_nineteenth.py:{step.__code__.co_firstlineno + 2}"
    for op in ["op scipy_entr", "op scipy_erfcx", "rule scipy_entr.x", "rule scipy_erfcx.x"]:
        assert any(op in row for row in text.splitlines()), (op, text)
    assert any("op scipy_entr" in row and line in row for row in text.splitlines()), text


# ----------------------------------------------------------------------------------
# np.pad(mode='empty'), logcumsumexp
# ----------------------------------------------------------------------------------
def test_pad_empty_is_shown_as_the_zero_padding_it_computes():
    w = nn.Parameter(np.array([1.0, 2.0, 3.0]), name="w")
    padded = np.pad(w, 2, mode="empty")
    loss = (padded * np.arange(1.0, 8.0)).sum()
    text = ad.viz.text(loss)
    # NumPy leaves the padding undefined; the library pads zeros and says so
    assert "= pad(w, [(2, 2)], constant_values=0)" in text
    np.testing.assert_array_equal(padded.data, [0, 0, 1, 2, 3, 0, 0])
    check_tools_keep_the_dtype(loss, {"w": w})
    np.testing.assert_array_equal(w.grad, [3.0, 4.0, 5.0])      # only the inner entries


def test_logcumsumexp_is_named_as_the_user_wrote_it_and_its_gradient_is_right():
    w = nn.Parameter(np.array([0.5, -1.0, 2.0, 0.0]), name="w")
    loss = (ad.logcumsumexp(w, 0) * np.array([1.0, 2.0, 3.0, 4.0])).sum()
    assert "= logcumsumexp(w" in ad.viz.text(loss)
    grads = check_tools_keep_the_dtype(loss, {"w": w})
    expected = _finite_differences(
        lambda v: float((np.logaddexp.accumulate(v) * np.array([1.0, 2.0, 3.0, 4.0])).sum()),
        w.data)
    np.testing.assert_allclose(grads["w"], expected, rtol=1e-7)


# ----------------------------------------------------------------------------------
# explain of a frozen Parameter
# ----------------------------------------------------------------------------------
@pytest.mark.parametrize("freeze", ["requires_grad_(False)", "from_pretrained(freeze=True)"])
def test_explain_of_a_frozen_parameter_says_it_was_frozen_and_how_to_train_it(freeze):
    head = nn.Linear(2, 1)
    if freeze == "requires_grad_(False)":
        frozen = head.weight.requires_grad_(False)
        loss = head(ad.ones((3, 2))).sum()
    else:
        table = nn.Embedding.from_pretrained(ad.tensor(np.eye(3)[:, :2].copy()), freeze=True)
        frozen = table.weight
        loss = head(table(ad.tensor([0, 2]))).sum()
    loss.backward()
    story = ad.explain(frozen)
    assert ".grad is None." in story and "a Parameter that was frozen" in story
    assert "call p.requires_grad_() before the forward pass" in story
    assert "nonzero entries: 1 of 1" in ad.explain(head.bias)     # the others train
    frozen.requires_grad_()                                       # as the story says
    again = head(ad.ones((3, 2))) if freeze.startswith("requires") else \
        head(table(ad.tensor([0, 2])))
    again.sum().backward()
    assert frozen.grad is not None and "nonzero entries" in ad.explain(frozen)


# ----------------------------------------------------------------------------------
# the forgotten zero_grad(): its line is the user's, its advice is right
# ----------------------------------------------------------------------------------
TRAIN_LOOP = """
import numpy as np
import autodiff as ad
from autodiff import nn


def train(optimizer_class, steps=3):
    model = nn.Linear(2, 1)
    optimizer = optimizer_class(model.parameters(), lr=0.01)
    for _ in range(steps):
        model(ad.ones((4, 2))).pow(2).mean().backward()
        optimizer.step()
    return model
"""


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_the_forgotten_zero_grad_warning_points_at_the_step_in_the_users_module(
        optimizer, write_modules):
    loop = write_modules({"loop": TRAIN_LOOP})["loop"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loop.train(getattr(ad.optim, optimizer))
    told = [w for w in caught if "zero_grad" in str(w.message)]
    assert len(told) == 1, [str(w.message) for w in caught]          # once per optimizer
    assert told[0].filename == loop.__file__
    assert TRAIN_LOOP.splitlines()[told[0].lineno - 1].strip() == "optimizer.step()"
    message = str(told[0].message)
    assert message.startswith(f"{optimizer}.step: the .grad of 'weight'")
    assert "Call opt.zero_grad() before loss.backward()" in message


def test_following_the_zero_grad_advice_gives_each_batchs_own_gradient():
    model = nn.Linear(2, 1)
    opt = ad.optim.SGD(model.parameters(), lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.zero_grad()
            loss = model(ad.ones((4, 2))).pow(2).mean()
            loss.backward()
            expected = ad.grad(lambda w: ((np.ones((4, 2)) @ w + model.bias.data) ** 2)
                               .mean())(model.weight.data)
            np.testing.assert_allclose(model.weight.grad, expected, rtol=1e-12)
            opt.step()


# ----------------------------------------------------------------------------------
# a compiled step's plan: lazily made optimizer state; a model in another module
# ----------------------------------------------------------------------------------
NET = """
import autodiff as ad
from autodiff import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.out = nn.Linear(4, 1)

    def forward(self, x):
        hidden = ad.tanh(self.fc(x))
        return self.out(hidden)
"""


def _adam_step(model):
    opt = ad.optim.Adam(model.parameters(), lr=0.01)        # its state is made at step 1

    def step(x, y):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss
    return step, opt


def _batch():
    x = np.random.default_rng(19).normal(size=(5, 3))
    return ad.tensor(x), ad.tensor(np.ones((5, 1)))


def _compiled_beside_eager(make_model):
    model, twin = make_model(), make_model()
    twin.load_state_dict(model.state_dict())
    step, opt = _adam_step(model)
    compiled = ad.compile(step, fuse=False)
    eager, _ = _adam_step(twin)
    x, y = _batch()
    for _ in range(4):
        np.testing.assert_allclose(float(compiled(x, y).data), float(eager(x, y).data),
                                   rtol=1e-12)
    for (key, p), q in zip(model.named_parameters(), twin.parameters()):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-12, err_msg=key)
    assert compiled.traces == 1 and set(opt.state[model.fc.weight if hasattr(
        model, "fc") else model[0].weight]) == {"step", "exp_avg", "exp_avg_sq"}
    return compiled


def test_the_plan_of_a_step_with_lazily_made_adam_state_names_each_layer():
    step = _compiled_beside_eager(
        lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)))
    text = str(step.plan)
    assert "call Adam.zero_grad()" in text and "call Adam.step (fused)()" in text
    checks = text.split("checked before each replay (if one changed, the call traces "
                        "again):\n")[1]
    for check in ["Sequential, Linear(3, 4), Tanh, Linear(4, 1): .training is True",
                  "Linear(3, 4): .n_in is 3", "Linear(4, 1): .n_in is 4",
                  "0.weight, 0.bias, 2.weight, 2.bias: .requires_grad is True",
                  "Adam: no step hooks",
                  "the function's closure: its 2 names (holding Adam, Sequential) still "
                  "refer to the same objects"]:
        assert check in checks, (check, checks)
    assert "Linear: " not in checks                    # no two layers named alike


def test_the_plan_of_a_model_in_another_module_cites_that_modules_lines(write_modules):
    net = write_modules({"net": NET})["net"]
    step = _compiled_beside_eager(net.Net)
    text = str(step.plan)
    lines = NET.splitlines()
    for op, source in [("op matmul", "hidden = ad.tanh(self.fc(x))"),
                       ("op tanh", "hidden = ad.tanh(self.fc(x))"),
                       ("op add", "return self.out(hidden)")]:
        cited = [line for line in text.splitlines() if op in line
                 and f"{net.__name__}.py:{lines.index('        ' + source) + 1}" in line]
        assert cited, (op, source, text)
    checks = text.split("checked before each replay")[1]
    assert "the attributes of Net: the names _parameters, _modules" in checks
    assert "class Net: the names forward still refer to the same objects" in checks
    assert "an object's attributes" not in checks


@needs_dot
def test_the_drawn_plan_shows_the_same_check_list(write_modules):
    net = write_modules({"net": NET})["net"]
    step = _compiled_beside_eager(net.Net)
    graph = ad.viz.draw(step.plan)
    assert "Net, Linear(3, 4), Linear(4, 1): .training is True" in graph.source
    assert "the attributes of Net" in graph.source
    assert graph.pipe(format="svg").startswith(b"<?xml")
