"""The in-browser backward stepper, in a real browser, on a program of in-place updates
(``relu_``, a slice assignment, ``+=``, ``mul_``) and one of mixture-of-experts routing
(``topk``, ``scatter_add``): every step shown, and the totals are the gradients."""

import os
import shutil

import numpy as np
import pytest
from test_teaching_fifteenth import PROGRAMS
from test_viz_html import browser_page  # noqa: F401 (the Chromium page fixture)

import autodiff as ad
from autodiff.viz.labels import array_text

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")


@needs_dot
@pytest.mark.parametrize("name", ["in place", "mixture of experts"])
def test_stepping_through_in_a_real_browser(name, tmp_path, browser_page):  # noqa: F811
    page = browser_page
    build, ops = PROGRAMS[name]
    loss, params = build()
    path = ad.viz.html(loss, tmp_path / "page.html", params=params)
    page.goto("file://" + os.path.abspath(path))
    assert "Before the backward pass" in page.inner_text("#step")
    page.keyboard.press("ArrowRight")
    count = int(page.inner_text("#counter").split()[-1])          # "step 1 of n"
    shown_ops = []
    for _ in range(count):
        shown_ops.append(page.inner_text("#step").split("\n")[0])
        page.keyboard.press("ArrowRight")
    for op in ops:
        assert any(op in s for s in shown_ops), (op, shown_ops)
    page.keyboard.press("End")
    loss.backward()
    for key, p in params.named_parameters():
        shown = page.inner_text(f'#totals .total[data-name="{key}"] pre')
        assert shown == array_text(np.asarray(p.grad), width=72), key
    assert page.console_errors == []
