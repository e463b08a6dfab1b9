"""ad.viz.html: a self-contained page that steps through the backward pass.

The browser tests drive Debian's Chromium through Playwright (never a downloaded
browser); CI installs both.
"""

from __future__ import annotations

import json
import os
import re
import shutil

import numpy as np
import pytest

import autodiff as ad
from autodiff.viz.labels import array_text

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")


def _program():
    x = ad.tensor([[1.0, 2.0]], requires_grad=True, name="x")
    W = ad.tensor(np.array([[0.5, -1.0, 2.0], [1.5, 0.5, -0.5]]), requires_grad=True, name="W")
    b = ad.tensor([0.1, 0.2, 0.3], requires_grad=True, name="b")
    h = (x @ W + b).relu()
    loss = (h * h + h).sum()          # h is used three times; b is broadcast
    return loss, {"x": x, "W": W, "b": b}


def _data(page_text):
    match = re.search(r"const DATA = (\{.*?\});\n", page_text, re.S)
    return json.loads(match.group(1))


@needs_dot
def test_the_page_is_self_contained_and_holds_every_step(tmp_path):
    loss, leaves = _program()
    path = ad.viz.html(loss, tmp_path / "page")
    assert path.endswith("page.html")
    text = open(path, encoding="utf-8").read()
    assert "<script src" not in text and "<link" not in text and "url(http" not in text
    assert "<svg" in text
    data = _data(text)
    assert len(data["steps"]) == 6                   # matmul, add, relu, multiply, add, sum
    assert data["steps"][0]["op_name"] == "sum"
    broadcast = [c for s in data["steps"] for c in s["contributions"] if c["summed"]]
    assert broadcast and broadcast[0]["target_name"] == "b"
    assert "undoes the broadcast" in broadcast[0]["summed"]
    used_three_times = [c for s in data["steps"] for c in s["contributions"] if c["total"] == 3]
    assert [c["number"] for c in used_three_times] == [1, 2, 3]
    multiply = next(s for s in data["steps"] if s["op_name"] == "multiply")
    assert multiply["contributions"][0]["numbers"].startswith("[[1. 1. 1.]] *")
    loss.backward()
    for name, leaf in leaves.items():
        assert data["totals"][name] == array_text(leaf.grad, width=72)


def test_a_freed_graph_says_how_to_keep_it(tmp_path):
    loss, _ = _program()
    loss.backward()
    with pytest.raises(ad.viz.GraphFreedError, match="retain_graph=True"):
        ad.viz.html(loss, tmp_path / "page.html")


def test_a_large_graph_gets_a_summary_that_says_so(tmp_path):
    x = ad.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(40):
        y = ad.sin(y) * 1.5
    path = ad.viz.html(y, tmp_path / "big.html", max_ops=30)
    text = open(path, encoding="utf-8").read()
    assert "80 ops, more than the 30 this page steps through" in text
    assert _data(text)["steps"] == []



@needs_dot
def test_stepping_in_a_real_browser(tmp_path, browser_page):
    page = browser_page
    loss, leaves = _program()
    path = ad.viz.html(loss, tmp_path / "page.html")
    page.goto("file://" + os.path.abspath(path))
    first = page.inner_text("#step")
    assert "Before the backward pass" in first
    page.keyboard.press("ArrowRight")
    second = page.inner_text("#step")
    assert second != first and "Step 1: sum" in second
    assert page.inner_text("#counter") == "step 1 of 6"
    page.click("#next")
    assert "Step 2: add" in page.inner_text("#step")
    page.keyboard.press("ArrowLeft")
    assert "Step 1: sum" in page.inner_text("#step")
    assert page.locator("g.node.current").count() == 1
    page.keyboard.press("End")
    totals = page.inner_text("#totals")
    loss.backward()
    for name, leaf in leaves.items():
        shown = page.inner_text(f'#totals .total[data-name="{name}"] pre')
        assert shown == array_text(leaf.grad, width=72), (name, totals)
    values = _data(open(path, encoding="utf-8").read())["values"]
    w_id = next(k for k, v in values.items() if v["name"] == "W")
    page.click(f"g.node:has(title:text-is('{w_id}'))")
    selected = page.inner_text("#selected")
    assert "W (2, 3) float64 (leaf)" in selected
    assert array_text(leaves["W"].data, width=72).splitlines()[0] in selected
    shot = tmp_path / "stepper.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    assert page.console_errors == []


@needs_dot
def test_the_numbers_replace_symbols_not_words_of_the_prose(tmp_path):
    a = ad.tensor([1.0, 5.0], requires_grad=True, name="x")
    b = ad.tensor([3.0, 2.0], requires_grad=True, name="y")
    data = _data(open(ad.viz.html(np.fmax(a, b).sum(), tmp_path / "p")).read())
    fmax = next(s for s in data["steps"] if s["op_name"] == "fmax")
    numbers = fmax["contributions"][0]["numbers"]
    assert numbers == "[1. 1.] where [3. 5.] == [1. 5.] ([1. 1.]/2 on a tie)"
    from autodiff.viz.html import _substituted
    assert _substituted("g @ b's free axes", {"g": 1.0, "b": 2.0}) == "1.0 @ b's free axes"
