"""The backward pass step by step (``viz.steps``, ``viz.html``) on a student's graph with
a ``where`` and an ``index_add``: an op whose input is named ``g`` (the adjoint ops:
index_add, zero_at, ...) names the upstream gradient ``g_out``, as its rule does.
Before, the step said ``upstream g = [16. 8.]`` and then ``here g is v5``: two
different arrays under one name, and the page dropped the numbers of ``g_out[key]``."""

import json
import re

import numpy as np
import pytest

import autodiff as ad


def _scatter_loss():
    x = ad.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True, name="x")
    picked = ad.where(x > 0, x * 2, x ** 2)
    totals = ad.zeros(2).index_add(0, ad.tensor(np.array([0, 1, 0])), picked)
    return x, (totals ** 2).sum()


def _step_text(steps, op_name):
    return next(str(s) for s in steps if s.op_name == op_name)


def test_the_index_add_step_calls_the_upstream_gradient_g_out_as_its_rule_does():
    x, loss = _scatter_loss()
    steps = ad.viz.steps(loss)
    text = _step_text(steps, "index_add")
    assert "upstream g_out = [16.  8.]" in text             # 2 * totals, totals = [8, 4]
    assert "rule: index_add: grad_g = g_out[key]" in text
    assert "upstream g =" not in text
    # the contribution is g_out read back at the indices [0, 1, 0]
    assert re.search(r"\.grad = g_out\[key\]\n\s+= \[16\.\s+8\.\s+16\.\]", text)
    # ops without an input named g keep the name g
    assert "upstream g = 1.0" in _step_text(steps, "sum")
    # and the pass is right: d/dx of (sum over the scatter)^2
    loss.backward()
    np.testing.assert_allclose(x.grad, [32.0, -32.0, 32.0])


def _page_data(page: str) -> dict:
    return json.loads(re.search(r"const DATA = (\{.*?\});\n", page, re.S).group(1))


def test_the_page_names_the_upstream_gradient_and_fills_in_g_out(tmp_path):
    pytest.importorskip("graphviz")
    _, loss = _scatter_loss()
    try:
        path = ad.viz.html(loss, str(tmp_path / "steps.html"))
    except ad.viz.GraphvizNotFoundError:
        pytest.skip("the Graphviz dot program is not installed")
    with open(path, encoding="utf-8") as file:
        page = file.read()
    steps = _page_data(page)["steps"]
    record = next(s for s in steps if s["op_name"] == "index_add")
    assert record["upstream_name"] == "g_out"
    numbers = record["contributions"][0]["numbers"]
    assert "[16. 8.]" in numbers.replace("  ", " ") and "g_out" not in numbers
    assert next(s for s in steps if s["op_name"] == "sum")["upstream_name"] == "g"
    assert '"upstream gradient " + s.upstream_name' in page


@pytest.mark.parametrize("op_name, upstream", [("zero_at", "g_out"),
                                               ("ctc_loss_backward", "grad_out")])
def test_every_op_with_an_input_named_g_gets_the_name_its_rule_uses(op_name, upstream):
    from autodiff.ops.registry import REGISTRY
    from autodiff.viz.steps import upstream_name

    class _Node:
        op = REGISTRY[op_name]
        parents = (None, None)
    assert upstream_name(_Node) == upstream
    assert upstream in REGISTRY[op_name].describe()


def test_a_compiled_steps_fused_kernel_counts_arithmetic_operations_not_the_ops_it_lists():
    # Before: "kernel k1 (2 ops on 8 elements, numba): mean" listed one op under a count
    # of two. A mean is two arithmetic operations (a sum and a division), and the
    # label now says what it counts.
    from autodiff import nn
    model = nn.Linear(3, 2)
    opt = ad.optim.SGD(model.parameters(), lr=0.1)

    @ad.compile
    def step(xb, yb):
        opt.zero_grad()
        loss = ((model(xb) - yb) ** 2).mean()
        loss.backward()
        opt.step()
        return loss
    xb, yb = ad.tensor(np.ones((4, 3))), ad.tensor(np.zeros((4, 2)))
    for _ in range(3):
        step(xb, yb)
    listing = str(step.plan)
    kernels = [line for line in listing.splitlines() if " = kernel k" in line]
    assert kernels, listing
    for line in kernels:
        assert re.search(r"kernel k\d+ \(\d+ arithmetic operations? on \d+ elements", line)
        assert " ops on " not in line
    pytest.importorskip("graphviz")
    source = ad.viz.draw(step.plan).source
    assert re.search(r"fused kernel k\d+: \d+ arithmetic operations? on \d+ elements", source)
