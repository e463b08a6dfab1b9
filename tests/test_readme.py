"""The README's commands and examples: what a new user copies must work as shown."""

import re
import warnings
from pathlib import Path

import pytest

import tutorials

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def code_blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_ci_runs_exactly_the_readmes_test_command():
    ci_lines = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    command = ci_lines[-1]
    shell_lines = [ln for block in code_blocks("bash") for ln in block.splitlines()]
    test_line = next(ln for ln in shell_lines if "python -m pytest -q" in ln)
    assert test_line.endswith(" && " + command)       # the README installs apt packages first
    assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && ")
    for package in ("graphviz", "chromium", "python3-venv"):
        assert package in test_line and package in "\n".join(ci_lines)
    setup = next(ln for ln in shell_lines if "python -m tutorials" in ln)
    assert "python3 -m venv .venv && . .venv/bin/activate" in setup
    assert "sudo apt-get" in setup and "python3-venv" in setup


def test_readme_lists_every_tutorial():
    for name in tutorials.TUTORIALS:
        assert f"`{name}.py`" in README, name


EXAMPLES = [b for b in code_blocks("python") if "import autodiff as ad" in b]   # runnable ones


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_python_examples_run_without_numpy_warnings(index, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)                  # examples write mlp.npz, mlp.svg here
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)   # the library's own must not leak
        exec(compile(EXAMPLES[index], f"README example {index}", "exec"), {})
    assert capsys.readouterr().out
