"""The shared ``write_modules`` fixture (conftest.py) and ``written_modules.forget``:
the user modules a test writes leave ``sys.modules`` after it."""

import sys

from written_modules import forget, import_written

_NAMES_OF_THE_FIRST_TEST = []


def test_write_modules_imports_them_under_unique_names(write_modules):
    loaded = write_modules({"first": "VALUE = {second!r}", "second": "import {first}"})
    assert loaded["first"].VALUE == loaded["second"].__name__
    more = write_modules({"third": "X = 3"})
    assert set(more) == {"first", "second", "third"}
    _NAMES_OF_THE_FIRST_TEST.extend(module.__name__ for module in more.values())
    assert all(name in sys.modules for name in _NAMES_OF_THE_FIRST_TEST)


def test_after_the_test_they_left_sys_modules():
    assert len(_NAMES_OF_THE_FIRST_TEST) == 3
    assert not any(name in sys.modules for name in _NAMES_OF_THE_FIRST_TEST)


def test_forget_takes_modules_out(tmp_path, monkeypatch):
    module = import_written(tmp_path, monkeypatch, {"alone": "Y = 1"})["alone"]
    assert sys.modules[module.__name__] is module
    forget([module])
    assert module.__name__ not in sys.modules
