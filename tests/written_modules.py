"""User modules written into a test's ``tmp_path`` and imported, for the tests of what
a compiled step reads from the user's other modules; ``write_modules`` (conftest.py)
also takes them out of ``sys.modules`` after the test."""

import importlib
import sys
import textwrap
import uuid


def import_written(tmp_path, monkeypatch, texts) -> dict:
    """``texts`` (key -> module source, formatted with the modules' names by key)
    written into ``tmp_path`` under unique names and imported: key -> module."""
    tag = uuid.uuid4().hex[:8]
    names = {key: f"{key}_{tag}" for key in texts}
    for key, text in texts.items():
        (tmp_path / f"{names[key]}.py").write_text(textwrap.dedent(text).format(**names))
    monkeypatch.syspath_prepend(str(tmp_path))
    return {key: importlib.import_module(names[key]) for key in texts}


def forget(modules) -> None:
    """Take ``modules`` out of ``sys.modules`` (a later import would not find their
    files, which ``tmp_path`` no longer keeps)."""
    for module in modules:
        sys.modules.pop(module.__name__, None)
