"""Fixtures shared by several test files."""

import os
import shutil

import pytest

from written_modules import forget, import_written


@pytest.fixture
def write_modules(tmp_path, monkeypatch):
    """A function of module texts (key -> source, formatted with the modules' names by
    key) that writes them into ``tmp_path`` under unique names and imports them,
    returning key -> module for every module written so far in the test; after the
    test they leave ``sys.modules``."""
    loaded = {}

    def write(texts):
        loaded.update(import_written(tmp_path, monkeypatch, texts))
        return loaded
    yield write
    forget(loaded.values())


def _chromium():
    for name in (os.environ.get("AUTODIFF_CHROMIUM"), "chromium", "chromium-browser",
                 "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


@pytest.fixture
def browser_page():
    """A Chromium page driven by Playwright (``executable_path``: Chromium from the
    system's packages or ``AUTODIFF_CHROMIUM``); its ``console_errors`` list collects
    the page's errors.  The test skips without Playwright or Chromium."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium on PATH (Debian: apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 800})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.console_errors = errors
        yield page
        browser.close()


def pytest_runtest_setup(item):
    """Each case of a parametrized Hypothesis test starts from the settings the test was
    written with.  Hypothesis's pytest plugin gives every case new settings whose parent
    is the previous case's, so a test with about 1,000 cases (the registry's ops times
    two dtypes in ``test_op_gradients.py``) outgrows Python's recursion limit when its
    settings are read."""
    test = getattr(item, "obj", None)
    test = getattr(test, "__func__", test)
    current = getattr(test, "_hypothesis_internal_use_settings", None)
    if current is None:
        return
    written = getattr(test, "_settings_as_written", None)
    if written is None:
        test._settings_as_written = current
    else:
        test._hypothesis_internal_use_settings = written


@pytest.fixture(autouse=True, scope="module")
def _pytorch_validates_distribution_arguments():
    """PyTorch's default of validating distribution arguments, at the start of each test
    file: once a test has compiled with torch, torch._dynamo turns it off for the whole
    process, and in a parallel run such a test can run before any file in the same
    worker that compares with ``torch.distributions``' argument checks."""
    import sys
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "distributions"):
        torch.distributions.Distribution.set_default_validate_args(True)
    yield
