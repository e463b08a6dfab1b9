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
