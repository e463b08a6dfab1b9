"""A graph too large for viz.html's stepper gets a summary page: in a browser it offers
no stepping (no buttons, no key help, and the arrow keys do not start a pass that the
page does not hold)."""

import os

import numpy as np

import autodiff as ad


def _long_chain(links):
    x = ad.tensor(np.array([0.1, 0.2]), requires_grad=True, name="x")
    h = x
    for _ in range(links):
        h = ad.tanh(h * 1.01 + 0.01)
    return h.sum()


def test_the_summary_page_holds_the_op_counts_and_no_steps(tmp_path):
    path = ad.viz.html(_long_chain(300), tmp_path / "long.html")
    page = open(path, encoding="utf-8").read()
    assert "This graph has 901 ops, more than the 300 this page steps through" in page
    assert "<td>tanh</td><td>300</td>" in page and "<td>sum</td><td>1</td>" in page
    assert '"steps": []' in page



def test_the_summary_page_in_a_browser_offers_no_stepping(tmp_path, browser_page):
    page = browser_page
    path = ad.viz.html(_long_chain(300), tmp_path / "long.html")
    page.goto("file://" + os.path.abspath(path))
    assert "901 ops, more than the 300" in page.inner_text("#graph")
    assert not page.is_visible("#controls")
    assert not page.is_visible("#keys")          # no "Keys: ← / → step" on this page
    for key in ("ArrowRight", "End", "Home"):
        page.keyboard.press(key)
    # no "Before the backward pass ... Press →" and no "step 0 of 0"
    assert page.inner_text("#step") == ""
    assert page.inner_text("#counter") == ""
    assert page.console_errors == []
