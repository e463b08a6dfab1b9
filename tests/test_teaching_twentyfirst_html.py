"""ad.viz.html names the outputs of packed multi-output ops, as viz.text and viz.steps do.

A decomposition with several outputs (eigh's w and V, svd's U, S, Vh, ...) is one
``*_packed`` op whose result holds every output, unpacked by ``getitem``.  The page's
step panel and the tensor panel say which output each ``getitem`` reads ("w
(eigenvalues) of eigh") and what the packed result holds, so a student stepping
through the page sees the same names as in ``viz.text``.
"""

from __future__ import annotations

import json
import os
import re
import shutil

import numpy as np
import pytest

import autodiff as ad

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")

_A = np.array([[2.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 4.0]])


def _data(path):
    text = open(path, encoding="utf-8").read()
    return json.loads(re.search(r"const DATA = (\{.*?\});\n", text, re.S).group(1))


def _eigh_program():
    A = ad.tensor(_A, requires_grad=True, name="A")
    w, V = ad.linalg.eigh(A)
    return (w * w).sum() + V.sum()


def _svd_program():
    A = ad.tensor(_A[:, :2], requires_grad=True, name="A")
    U, S, Vh = ad.linalg.svd(A, full_matrices=False)
    return S.sum() + (U * U).sum() + Vh.sum()


def _qr_program():
    A = ad.tensor(_A, requires_grad=True, name="A")
    Q, R = ad.linalg.qr(A)
    return Q.sum() + R.sum()


def _slogdet_program():
    A = ad.tensor(_A, requires_grad=True, name="A")
    sign, logabsdet = ad.linalg.slogdet(A)
    return sign * logabsdet


@needs_dot
@pytest.mark.parametrize("program, public, parts", [
    (_eigh_program, "eigh", ["w (eigenvalues) of eigh", "V (eigenvectors, as columns) of eigh"]),
    (_svd_program, "svd", ["S (singular values) of svd", "U (3, 2) (flattened) of svd",
                           "Vh (flattened) of svd"]),
    (_qr_program, "qr", ["Q (3, 3) (flattened) of qr", "R (flattened) of qr"]),
    (_slogdet_program, "slogdet", ["sign of slogdet", "logabsdet of slogdet"]),
])
def test_each_getitem_of_a_packed_op_is_named_in_the_steps_and_the_values(
        tmp_path, program, public, parts):
    loss = program()
    data = _data(ad.viz.html(loss, tmp_path / "page.html"))
    packed = [s for s in data["steps"] if s["op_name"] == f"{public}_packed"]
    assert len(packed) == 1
    assert packed[0]["part"].startswith(f"packs {public}'s outputs: ")
    read_parts = {s["part"] for s in data["steps"] if s["op_name"] == "getitem"}
    assert read_parts == set(parts)
    # the tensor panel says the same of the tensor each getitem makes
    for step in data["steps"]:
        assert data["values"][step["output"]]["part"] == step["part"]
    # and it agrees with viz.steps, which a student may print beside the page
    text_parts = [s for s in str(ad.viz.steps(loss)).splitlines() if s.startswith("step ")]
    for part in parts:
        assert any(f"({part})" in line for line in text_parts), (part, text_parts)


@needs_dot
def test_an_op_that_is_no_packed_part_has_no_part_note(tmp_path):
    x = ad.tensor([1.0, 2.0], requires_grad=True, name="x")
    data = _data(ad.viz.html((x[0] * x).sum(), tmp_path / "page.html"))
    assert [s["part"] for s in data["steps"]] == ["", "", ""]
    assert all(v["part"] == "" for v in data["values"].values())



@needs_dot
def test_the_browser_shows_which_output_of_eigh_a_step_reads(tmp_path, browser_page):
    page = browser_page
    loss = _eigh_program()
    path = ad.viz.html(loss, tmp_path / "eigh.html")
    data = _data(path)
    page.goto("file://" + os.path.abspath(path))
    seen = []
    for _ in data["steps"]:
        page.keyboard.press("ArrowRight")
        seen.append(page.inner_text("#step"))
    getitems = [text for text in seen if ": getitem →" in text]
    assert len(getitems) == 2
    assert any("(w (eigenvalues) of eigh)" in text for text in getitems)
    assert any("(V (eigenvectors, as columns) of eigh)" in text for text in getitems)
    assert "packs eigh's outputs: w (eigenvalues) = " in seen[-1]
    # clicking the tensor that holds the eigenvalues names it too
    w_id = next(k for k, v in data["values"].items() if v["part"] == "w (eigenvalues) of eigh")
    page.click(f"g.node:has(title:text-is('{w_id}'))")
    assert "w (eigenvalues) of eigh" in page.inner_text("#selected")
    assert page.console_errors == []


# ----------------------------------------------------------------------------------
# views and in-place writes: the step says which entries `key` is
# ----------------------------------------------------------------------------------
def _written_through_a_view():
    x = ad.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True, name="x")
    y = x * 1.0
    middle = y[1:3]
    middle *= 10                      # writes y[1:3] through the view
    y[0] = 5.0                        # and overwrites y[0]
    return x, (y * y).sum()


def test_steps_name_the_index_of_getitem_and_setitem():
    x, loss = _written_through_a_view()
    steps = ad.viz.steps(loss)
    here = {(s.op_name, dict(s.inputs).get("key")) for s in steps}
    assert ("setitem", "[0]") in here and ("setitem", "[1:3]") in here
    assert ("getitem", "[1:3]") in here
    for s in steps:
        assert ("key" in dict(s.inputs)) == (s.op_name in ("getitem", "setitem"))
    # the rule with that key is what the step shows: the overwritten y[0] gets no gradient
    write_0 = next(s for s in steps if dict(s.inputs).get("key") == "[0]")
    assert write_0.contributions[0].value[0] == 0
    assert "key is [0]" in str(write_0)
    loss.backward()
    np.testing.assert_array_equal(x.grad, [0.0, 400.0, 600.0, 8.0])
    np.testing.assert_array_equal(steps.totals["x"], x.grad)


@needs_dot
def test_the_page_says_the_index_and_the_shape_a_reshape_rule_uses(tmp_path):
    x = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="x")
    loss = (x.unsqueeze(0).flatten() * np.arange(6.0)).sum() + x[1, :2].sum()
    data = _data(ad.viz.html(loss, tmp_path / "page.html"))
    flatten = next(s for s in data["steps"] if s["op_name"] == "flatten")
    numbers = flatten["contributions"][0]["numbers"]
    assert numbers.endswith(", (1, 2, 3))")          # x.shape is the shape, not x's values
    assert ".shape" not in numbers
    expand = next(s for s in data["steps"] if s["op_name"] == "expand_dims")
    assert expand["contributions"][0]["numbers"].endswith(", (2, 3))")
    getitem = next(s for s in data["steps"] if s["op_name"] == "getitem")
    assert "key is [1, :2]" in getitem["inputs"]
    assert getitem["contributions"][0]["numbers"].startswith("index_add(zeros((2, 3)), key, ")


# ----------------------------------------------------------------------------------
# a gradient hook that changes a leaf's gradient
# ----------------------------------------------------------------------------------
def _clipped_by_a_hook():
    x = ad.tensor([1.0, -2.0], requires_grad=True, name="x")
    x.register_hook(lambda g: g.clip(-0.5, 0.5))
    return x, (x * 3).sum()


@needs_dot
def test_the_page_says_a_hook_changed_the_total(tmp_path):
    x, loss = _clipped_by_a_hook()
    data = _data(ad.viz.html(loss, tmp_path / "page.html"))
    contributions = [c["value"] for s in data["steps"] for c in s["contributions"]
                     if c["target_name"] == "x"]
    assert contributions == ["[3. 3.]"]                 # what the chain rule gives
    assert data["totals"]["x"] == "[0.5 0.5]"           # what .grad gets
    assert data["hooked"] == {"x": "[3. 3.]"}
    loss.backward()
    np.testing.assert_array_equal(x.grad, [0.5, 0.5])


@needs_dot
def test_the_browser_says_a_hook_changed_the_total(tmp_path, browser_page):
    page = browser_page
    _, loss = _clipped_by_a_hook()
    path = ad.viz.html(loss, tmp_path / "hook.html")
    page.goto("file://" + os.path.abspath(path))
    page.keyboard.press("End")
    total = page.inner_text('#totals .total[data-name="x"]')
    assert "[0.5 0.5]" in total
    assert "what its gradient hook returned" in total and "summed to [3. 3.]" in total
    assert page.console_errors == []


@needs_dot
def test_the_page_says_nothing_of_hooks_without_one(tmp_path):
    x = ad.tensor([1.0, -2.0], requires_grad=True, name="x")
    data = _data(ad.viz.html((x * 3).sum(), tmp_path / "page.html"))
    assert data["hooked"] == {}
