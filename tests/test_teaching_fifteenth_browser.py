"""The in-browser backward stepper, in a real browser, on a program of in-place updates
(``relu_``, a slice assignment, ``+=``, ``mul_``) and one of mixture-of-experts routing
(``topk``, ``scatter_add``): every step shown, and the totals are the gradients."""

import shutil

import pytest
from teaching_checks import step_through_in_a_browser
from test_teaching_fifteenth import PROGRAMS


needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")


@needs_dot
@pytest.mark.parametrize("name", ["in place", "mixture of experts"])
def test_stepping_through_in_a_real_browser(name, tmp_path, browser_page):  # noqa: F811
    step_through_in_a_browser(browser_page, *PROGRAMS[name], tmp_path)
