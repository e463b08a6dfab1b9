"""Every example in a docstring of the package runs and prints what it shows."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import autodiff as ad

MODULES = sorted(m.name for m in pkgutil.walk_packages(ad.__path__, "autodiff."))


def _runner():
    # verbose=False: by default doctest turns verbose when "-v" is in sys.argv (as under
    # ``pytest -v``) and then reports every passing example too, as if it had failed.
    return doctest.DocTestRunner(verbose=False,
                                 optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", ["autodiff"] + MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                  # examples that write files write here
    module = importlib.import_module(name)
    extraglobs = {"ad": ad, "np": np, "F": ad.nn.functional, "nn": ad.nn}
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = _runner()
    failures = []
    for test in finder.find(module, name, globs=dict(vars(module)), extraglobs=extraglobs):
        runner.run(test, out=failures.append)
    assert not failures, "".join(failures)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_op_docstring_examples(tmp_path, monkeypatch):
    """Ops are objects, not functions, so the finder above does not see their docs."""
    from autodiff.ops.registry import REGISTRY
    monkeypatch.chdir(tmp_path)
    parser = doctest.DocTestParser()
    runner = _runner()
    failures = []
    for name, op in sorted(REGISTRY.items()):
        if op.__doc__ and ">>>" in op.__doc__:
            globs = {"ad": ad, "np": np, "F": ad.nn.functional}
            runner.run(parser.get_doctest(op.__doc__, globs, name, None, 0),
                       out=failures.append)
    assert not failures, "".join(failures)
