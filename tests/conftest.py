"""Fixtures shared by several test files."""

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
