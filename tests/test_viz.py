"""ad.viz: DOT text of known programs, rendering with and without Graphviz, large
graphs, label escaping, and the step-by-step backward pass."""

import re
import xml.etree.ElementTree as ET

import graphviz
import numpy as np
import pytest

import autodiff as ad
from autodiff.viz import GraphFreedError, GraphvizNotFoundError

NODE_RE = re.compile(r"^\t(\w+) \[label=(<.*>|\S+)(?: |\])", re.MULTILINE)
EDGE_RE = re.compile(r"^\t(\w+) -> (\w+)(?: \[(.*)\])?$", re.MULTILINE)


def small_program():
    x = ad.tensor(np.arange(12.0).reshape(4, 3) / 10)
    W = ad.tensor(np.full((3, 2), 0.125), requires_grad=True, name="W")
    b = ad.tensor([0.25, -2.5], requires_grad=True, name="b")
    loss = ((x @ W + b).relu() ** 2).mean()
    return x, W, b, loss


def nodes_of(source):
    return {m.group(1): m.group(2) for m in NODE_RE.finditer(source)}


def edges_of(source):
    return {(m.group(1), m.group(2)): m.group(3) or "" for m in EDGE_RE.finditer(source)}


def test_dot_text_of_small_program_has_exactly_the_expected_graph():
    x, _, _, loss = small_program()
    graph = ad.viz.draw(loss, params={"x": x}, legend=False)
    assert isinstance(graph, graphviz.Digraph)
    source = graph.source
    nodes = nodes_of(source)
    # Tensors numbered in topological order (v*), constants (c*), one op per result.
    assert set(nodes) == {"v0", "c0", "v1", "v2", "v3", "v4", "c1", "v5", "v6",
                          "op1", "op3", "op4", "op5", "op6"}
    expected_edges = {("c0", "op1"), ("v0", "op1"), ("op1", "v1"),
                      ("v1", "op3"), ("v2", "op3"), ("op3", "v3"),
                      ("v3", "op4"), ("op4", "v4"),
                      ("v4", "op5"), ("c1", "op5"), ("op5", "v5"),
                      ("v5", "op6"), ("op6", "v6")}
    edges = edges_of(source)
    assert set(edges) == expected_edges
    assert source.count(" -> ") == len(expected_edges)
    for node_id, name, shape in [("v0", "W", "(3, 2) float64"), ("c0", "x", "(4, 3) float64"),
                                 ("v2", "b", "(2,) float64"), ("v1", "v1", "(4, 2) float64"),
                                 ("v6", "v6", "() float64"), ("c1", "2", "() int64")]:
        assert f"<B>{name}</B>" in nodes[node_id], node_id
        assert shape in nodes[node_id], node_id
    for node_id, op in [("op1", "matmul"), ("op3", "add"), ("op4", "relu"),
                        ("op5", "power"), ("op6", "mean")]:
        assert f"<B>{op}</B>" in nodes[node_id]
    assert "leaf, requires grad" in nodes["v0"] and "output" in nodes["v6"]
    # b (2,) is broadcast to (4, 2) by the add: its gradient is summed back.
    assert "broadcast (2,)→(4, 2)" in edges[("v2", "op3")]
    assert "broadcast" not in edges[("v1", "op3")]
    # The constant input is dashed (no gradient flows into it).
    assert "dashed" in edges[("c0", "op1")] and "dashed" not in edges[("v0", "op1")]


def test_values_and_grads_appear_only_when_asked():
    _, _, b, loss = small_program()
    plain = ad.viz.draw(loss).source
    assert "0.125" not in plain and "grad:" not in plain and "recomputed" not in plain
    with_values = ad.viz.draw(loss, show_values=True).source
    assert "[0.125 0.125]" in with_values and "-2.5" in with_values
    assert "grad:" not in with_values
    loss.backward(retain_graph=True)
    with_grads = ad.viz.draw(loss, show_grads=True).source
    w_values = "[[0.125 0.125]<BR/> [0.125 0.125]<BR/> [0.125 0.125]]"
    assert w_values in nodes_of(with_values)["v0"]
    assert w_values not in nodes_of(with_grads)["v0"]
    expected_b_grad = np.array2string(b.grad, precision=4, suppress_small=True, separator=" ")
    assert f"grad: {expected_b_grad}" in with_grads
    assert "grad (recomputed): 1.0" in with_grads          # the output's own gradient


def test_same_program_gives_identical_dot_text():
    texts = {ad.viz.draw(small_program()[3], show_values=True).source for _ in range(2)}
    assert len(texts) == 1
    assert len({ad.viz.text(small_program()[3]) for _ in range(2)}) == 1


def test_text_is_one_line_per_op_in_topological_order():
    x, _, _, loss = small_program()
    assert ad.viz.text(loss, params={"x": x}).splitlines() == [
        "# W: leaf (3, 2) float64, requires grad",
        "# b: leaf (2,) float64, requires grad",
        "v1 = matmul(x, W)  # (4, 2) float64",
        "v3 = add(v1, b)  # (4, 2) float64",
        "v4 = relu(v3)  # (4, 2) float64",
        "v5 = power(v4, 2)  # (4, 2) float64",
        "v6 = mean(v5)  # () float64; output",
    ]


def test_render_svg_with_dot(tmp_path):
    loss = small_program()[3]
    path = ad.viz.render(loss, tmp_path / "loss.svg", show_values=True)
    assert path == str(tmp_path / "loss.svg")
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    texts = {el.text for el in root.iter() if el.tag.endswith("text")}
    assert {"W", "b", "matmul", "add", "relu", "power", "mean"} <= texts
    # A path without the extension gets it.
    assert ad.viz.render(loss, tmp_path / "again", format="svg") == str(tmp_path / "again.svg")


def test_render_without_dot_writes_source_and_explains(tmp_path, monkeypatch):
    empty = tmp_path / "empty_bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    loss = small_program()[3]
    with pytest.raises(GraphvizNotFoundError) as info:
        ad.viz.render(loss, tmp_path / "loss.svg")
    message = str(info.value)
    dot_file = tmp_path / "loss.dot"
    assert str(dot_file) in message
    for word in ("apt", "dnf", "brew", "conda", "winget"):
        assert word in message
    assert dot_file.read_text() == ad.viz.draw(loss).source
    assert not (tmp_path / "loss.svg").exists()
    # draw() itself never needs dot, and in a notebook the graph falls back to its source.
    graph = ad.viz.draw(loss)
    bundle = graph._repr_mimebundle_()
    assert "digraph" in bundle["text/html"] and "winget" in bundle["text/plain"]
    assert isinstance(graph, graphviz.Digraph)


def test_huge_chain_is_drawn_collapsed_without_recursion():
    x = ad.tensor([1.0, 2.0], requires_grad=True, name="x")
    y = x
    for _ in range(100_000):
        y = y * 1.0
    graph = ad.viz.draw(y, max_nodes=40)
    assert graph.hidden_ops == 100_000 - 40
    assert "99,960 ops hidden" in graph.source
    assert len([n for n in nodes_of(graph.source) if n.startswith("op")]) == 40
    assert "v100000" in graph.source                        # the output keeps its number
    lines = ad.viz.text(y, max_nodes=10).splitlines()
    assert any("99,990 ops hidden" in line for line in lines)
    assert lines[-1].startswith("v100000 = multiply(v99999, 1.0)")


NASTY = ["<W>", "{b|c}", "a & b", 'say "hi"', "it's", "x]->[y;", "tab\tand\nnewline"]


def test_names_with_special_characters_render_through_dot(tmp_path):
    leaves = [ad.tensor([1.0, 2.0], requires_grad=True, name=n) for n in NASTY]
    y = leaves[0]
    for t in leaves[1:]:
        y = y * t
    y.name = "<out> & {|}"
    path = ad.viz.render(y.sum(), tmp_path / "names.svg", show_values=True)
    texts = {el.text for el in ET.parse(path).getroot().iter() if el.tag.endswith("text")}
    for name in NASTY[:-1] + ["<out> & {|}"]:
        assert name in texts
    assert "tab and" in texts and "newline" in texts
    assert "# tab\tand\\nnewline: leaf (2,) float64" in ad.viz.text(y)   # still one line


def test_op_labels_show_key_arguments():
    x = ad.tensor(np.ones((2, 3, 4)), requires_grad=True, name="x")
    y = ad.transpose(x, (2, 0, 1)).mean(axis=1, keepdims=True)[:, 0]
    z = ad.take(y, np.array([1, 1, 0]), axis=0).sum(axis=-1)
    source = ad.viz.draw(z).source
    assert "axes=(2, 0, 1)" in source
    assert "axis=1, keepdims=True" in source
    assert "[:, 0]" in source
    assert "axis=-1" in source
    text = ad.viz.text(z)
    assert "v4 = take(v3, [1, 1, 0], axis=0)  # (3, 3) float64" in text
    assert "v2 = mean(v1, axis=1, keepdims=True)" in text
    e = ad.einsum("ij,i->j", ad.swapaxes(x[0], 0, 1), x[1, 0])
    assert "einsum('ij,i->j', v2, v3)" in ad.viz.text(e)
    assert "swapaxes(v1, 0, 1)" in ad.viz.text(e)
    # Both gathers scatter-add in the backward.
    assert source.count("grad scatter-added") == 2 + 1          # two edges + the legend


def test_non_differentiable_edges_are_dashed():
    x = ad.tensor([-1.0, 2.0], requires_grad=True, name="x")
    y = ad.where(x > 0, x, 0.0) + ad.stop_gradient(x) * x
    source = ad.viz.draw(y, legend=False).source
    edges = edges_of(source)
    nodes = nodes_of(source)
    greater = next(k for k, v in nodes.items() if "<B>greater</B>" in v)
    where = next(k for k, v in nodes.items() if "<B>where</B>" in v)
    stop = next(k for k, v in nodes.items() if "<B>stop_gradient</B>" in v)
    cond_value = next(dst for (src, dst) in edges if src == greater)
    assert "no gradient" in edges[(cond_value, where)]
    assert "dashed" in edges[("v0", stop)]
    assert "no gradient" in edges[("v0", stop)]
    assert "no gradient" in nodes[cond_value]               # the comparison's bool result
    assert "dashed" not in edges[("v0", where)]


def test_names_from_params_mapping_and_module():
    model = ad.nn.Linear(3, 2)
    out = model(ad.tensor(np.ones((5, 3)))).sum()
    names = dict(model.named_parameters())
    source = ad.viz.draw(out, params=model).source
    for name in names:
        assert f"<B>{name}</B>" in source
    source = ad.viz.draw(out, params={"layer.W": names["weight"]}).source
    assert "<B>layer.W</B>" in source
    with pytest.raises(TypeError, match="named_parameters"):
        ad.viz.draw(out, params=[1, 2])


def test_drawing_a_freed_graph_works_and_says_so():
    loss = small_program()[3]
    loss.backward()
    source = ad.viz.draw(loss, show_values=True, show_grads=True).source
    assert "values freed by backward()" in source
    assert "grad: " in source                         # the leaves' .grad is still shown
    assert "v1 = matmul(<freed>, W)" in ad.viz.text(loss)


def contributions_to(steps, name):
    return [c for s in steps for c in s.contributions if c.target == name]


def test_steps_show_two_contributions_adding_up_to_the_grad():
    a = ad.tensor([1.0, 2.0, 3.0], requires_grad=True, name="a")
    b = ad.tensor([4.0, 5.0, -6.0], requires_grad=True, name="b")
    y = (a * b + a).sum()
    steps = ad.viz.steps(y)
    assert [s.op_name for s in steps] == ["sum", "add", "multiply"]
    into_a = contributions_to(steps, "a")
    assert len(into_a) == 2
    assert [c.accumulates for c in into_a] == [False, True]
    assert [c.total for c in into_a] == [2, 2]
    text = str(steps)
    assert "a.grad = g\n" in text and "a.grad += g * b" in text
    assert "rule: multiply: grad_a = g * b; grad_b = g * a" in text
    y.backward()
    np.testing.assert_allclose(into_a[0].value + into_a[1].value, a.grad)
    np.testing.assert_allclose(steps.totals["a"], a.grad)
    np.testing.assert_allclose(steps.totals["b"], b.grad)


def test_steps_count_only_the_contributions_a_value_receives():
    class ScaleBy(ad.Function):         # no gradient for the scale (None)
        @staticmethod
        def forward(ctx, x, s):
            ctx.save_for_backward(s)
            return x * s

        @staticmethod
        def backward(ctx, g):
            return g * ctx.saved[0], None

    x = ad.tensor([1.0, 2.0], requires_grad=True, name="x")
    y = ad.tensor([3.0, 4.0], requires_grad=True, name="y")
    u = y * 2
    u.name = "u"
    steps = ad.viz.steps((ScaleBy.apply(x, u) + u).sum())
    into_u = contributions_to(steps, "u")
    assert [(c.number, c.total) for c in into_u] == [(1, 1)]
    assert "of 2 contributions" not in str(steps)


def test_steps_show_the_sum_that_undoes_a_broadcast():
    c = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="c")
    a = ad.tensor([1.0, 2.0, 3.0], requires_grad=True, name="a")
    y = ((c + a) * c).sum()
    steps = ad.viz.steps(y)
    (into_a,) = contributions_to(steps, "a")
    assert into_a.raw_shape == (2, 3) and into_a.summed_axes == (0,)
    assert into_a.value.shape == (3,)
    assert "sum of (g) over axes (0,), (2, 3) -> (3,)" in str(steps)
    y.backward()
    np.testing.assert_allclose(into_a.value, a.grad)
    np.testing.assert_allclose(steps.totals["c"], c.grad)


def test_steps_match_backward_on_a_mixed_graph():
    rng = np.random.default_rng(0)
    x = ad.tensor(rng.normal(size=(4, 3)), requires_grad=True, name="x")
    w = ad.tensor(rng.normal(size=(3,)), requires_grad=True, name="w")
    h = ad.tanh(x * w) @ w
    y = (h[[0, 0, 2]] ** 2).sum() + ad.where(h > 0, h, 0.0).mean() + ad.concatenate([h, w]).max()
    steps = ad.viz.steps(y)
    y.backward()
    np.testing.assert_allclose(steps.totals["x"], x.grad)
    np.testing.assert_allclose(steps.totals["w"], w.grad)


def test_steps_need_a_live_graph():
    a = ad.tensor([1.0, 2.0], requires_grad=True, name="a")
    y = (a * a).sum()
    y.backward(retain_graph=True)
    assert len(ad.viz.steps(y)) == 2
    y.backward()
    with pytest.raises(GraphFreedError, match="retain_graph=True"):
        ad.viz.steps(y)
    with pytest.raises(ValueError, match="leaf"):
        ad.viz.steps(a)


def test_render_steps_writes_one_picture_per_step(tmp_path, monkeypatch):
    a = ad.tensor([1.0, 2.0], requires_grad=True, name="a")
    b = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="b")
    y = (a * b + a).sum()
    paths = ad.viz.render_steps(y, tmp_path / "steps")
    assert [p.rsplit("/", 1)[1] for p in paths] == ["step_001.svg", "step_002.svg",
                                                     "step_003.svg"]
    with open(paths[2]) as f:
        svg = f.read()
    assert "step 3/3: multiply" in svg and "#cc0000" in svg
    empty = tmp_path / "empty_bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(GraphvizNotFoundError, match="brew"):
        ad.viz.render_steps(y, tmp_path / "nodot")
    assert sorted(p.name for p in (tmp_path / "nodot").iterdir()) == [
        "step_001.dot", "step_002.dot", "step_003.dot"]


def test_a_named_constant_keeps_its_name_and_is_drawn_as_a_constant():
    X = ad.tensor(np.ones((4, 3)), name="X")
    W = ad.tensor(np.ones((3, 2)), requires_grad=True, name="W")
    loss = (X @ W).sum()
    assert "matmul(X, W)" in ad.viz.text(loss)
    source = ad.viz.draw(loss).source
    x_line = next(line for line in source.splitlines() if "<B>X</B>" in line)
    assert "dashed" in x_line and "requires grad" not in x_line
    loss.backward()
    assert X.grad is None and W.grad.shape == (3, 2)


def test_after_a_plain_backward_the_graph_shows_what_is_alive_and_how_to_see_the_rest():
    x = ad.tensor([[1.0, 2.0]], requires_grad=True, name="x")
    W = ad.tensor(np.ones((2, 3)), requires_grad=True, name="W")
    loss = ((x @ W).relu() ** 2).sum()
    loss.backward()
    source = ad.viz.draw(loss, show_values=True, show_grads=True).source
    assert "27.0" in source                              # the output's value is still alive
    assert "grad: [[18. 18.]]" in source                 # a leaf with its .grad
    assert "call backward(retain_graph=True)" in source  # how to see the freed values
    assert "grad<BR/>(recomputed)" in source             # the legend explains the label
    kept = ad.viz.draw(loss, show_values=True).source
    assert "retain_graph" in kept
    fresh = ((x @ W).relu() ** 2).sum()
    assert "retain_graph" not in ad.viz.draw(fresh, show_values=True).source


def test_jvp_text_writes_op_parameters_constants_and_outer_tensors_like_text():
    w = ad.tensor([3.0, 4.0], requires_grad=True, name="w")

    def f(x):
        return ad.sum(x[1:] * x[0] * w + 2.0, axis=0)

    x, dx = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 0.0])
    lines = ad.viz.jvp_text(f, (x,), (dx,)).splitlines()
    ops = [line.split("  value")[0] for line in lines[1:]]
    # the same calls viz.text writes for the same program on a named tensor (the two
    # may number the intermediate values in different orders, so v1, v2 ... become v)
    xt = ad.tensor(x, requires_grad=True, name="x0")
    expected = [line.split("  #")[0] for line in ad.viz.text(f(xt)).splitlines()[2:]]

    def calls(op_lines):
        return sorted(re.sub(r"\bv\d+\b", "v", line.split(" = ", 1)[1]) for line in op_lines)
    assert len(ops) == 6 and calls(ops) == calls(expected)
    assert "getitem(x0, [1:])" in ops[0] + ops[1] and "getitem(x0, [0])" in ops[0] + ops[1]
    assert any("w)" in op for op in ops)                  # the outer tensor by its name
    assert lines[-1].startswith(f"v{len(ops)} = sum(") and ", axis=0)" in lines[-1]
    _, tangent = ad.jvp(f, (x,), (dx,))
    assert lines[-1].endswith(f"tangent {float(tangent):.0f}.")   # 2 * 3 + 3 * 4 = 18


def test_small_values_are_never_shown_as_zero():
    from autodiff.viz.labels import array_text
    assert array_text(np.array([1e-5, 1e-5])) == "[1e-05 1e-05]"
    assert array_text(np.array(0.00012)) == "0.00012"
    assert array_text(np.array([0.5, 2.0])) == "[0.5 2. ]"         # as before
    w = ad.tensor(6e-5, requires_grad=True)
    text = str(ad.viz.steps(w * w))
    assert "is now 0.00012" in text
    a = ad.tensor([1.0, 2.0], requires_grad=True, name="a")
    assert "multiply(a, 1e-05)" in ad.viz.text((a * 1e-5).sum())


def test_large_values_are_summarized_as_they_are():
    from autodiff.viz.labels import array_text
    # The mean of 20 finite values near the largest float is finite (its sum is not).
    assert array_text(np.full(20, 1e308)) == "min 1e+308  mean 1e+308  max 1e+308"
    assert array_text(np.full(20, 5e307)) == "min 5e+307  mean 5e+307  max 5e+307"
    assert array_text(np.array(1e300)) == "1e+300"          # not 301 digits
    assert array_text(np.array(12345.67)) == "12345.67"


@pytest.mark.parametrize("show", [lambda t: ad.viz.text(t), lambda t: ad.viz.steps(t),
                                  lambda t: ad.viz.draw(t, show_values=True)])
def test_a_view_of_the_graph_leaves_no_cycle_that_keeps_it_alive(show):
    import gc
    import weakref
    w = ad.tensor(np.ones((3, 3)), requires_grad=True)
    h = ad.tanh(w * 2.0)
    saved = weakref.ref(h.data)
    loss = (h * h).sum()
    del h
    gc.disable()
    try:
        show(loss)
        del loss
        assert saved() is None                  # freed by reference counts alone
        assert w.data.flags.writeable
    finally:
        gc.enable()
