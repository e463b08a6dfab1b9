"""The in-browser backward stepper on newer ops, in a real browser: multiply.at
recorded in place, a complex norm, a leaf with a gradient hook."""

import os
import shutil

import numpy as np
import pytest

import autodiff as ad
from autodiff.viz.labels import array_text

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")


def _program():
    w = ad.tensor([1.0, 1.5, 2.0], requires_grad=True, name="w")
    v = ad.tensor([0.0, 3.0], requires_grad=True, name="v")
    z = ad.tensor(np.array([3 + 4j, 1j]), requires_grad=True, name="z")
    base = w * 2
    np.multiply.at(base, [1, 2], v)             # base[1] *= 0, base[2] *= 3
    z.register_hook(lambda g: g * 2)            # what .grad gets: twice the sum
    return (base * np.array([1.0, 2.0, 3.0])).sum() + np.linalg.norm(z), {"w": w, "v": v,
                                                                          "z": z}


@needs_dot
def test_stepping_through_newer_ops_in_a_real_browser(tmp_path, browser_page):  # noqa: F811
    page = browser_page
    loss, leaves = _program()
    path = ad.viz.html(loss, tmp_path / "page.html")
    page.goto("file://" + os.path.abspath(path))
    assert "Before the backward pass" in page.inner_text("#step")
    shown_ops = []
    page.keyboard.press("ArrowRight")
    count = int(page.inner_text("#counter").split()[-1])          # "step 1 of n"
    for _ in range(count):
        shown_ops.append(page.inner_text("#step").split("\n")[0])
        page.keyboard.press("ArrowRight")
    assert any("multiply_at" in s for s in shown_ops), shown_ops
    assert any("squared_magnitudes" in s for s in shown_ops), shown_ops
    page.keyboard.press("End")
    loss.backward()
    assert np.allclose(leaves["w"].grad, [2.0, 0.0, 18.0])
    assert np.allclose(leaves["z"].grad, 2 * np.array([3 + 4j, 1j]) / np.sqrt(26))
    for name, leaf in leaves.items():
        shown = page.inner_text(f'#totals .total[data-name="{name}"] pre')
        assert shown == array_text(leaf.grad, width=72), name
    assert page.console_errors == []
