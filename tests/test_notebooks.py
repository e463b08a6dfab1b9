"""python -m tutorials --notebooks: one notebook per tutorial, generated from the script,
and one of them executed headless with its figures inline."""

import ast
import json
import sys
from pathlib import Path

import pytest

import tutorials
from tutorials import __main__ as runner
from tutorials.notebooks import script_cells

nbformat = pytest.importorskip("nbformat")


def test_every_tutorial_becomes_a_valid_notebook_from_its_script(tmp_path, capsys):
    assert runner.main(["--notebooks", str(tmp_path)]) == 0
    assert "jupyter lab" in capsys.readouterr().out
    written = sorted(p.stem for p in tmp_path.glob("*.ipynb"))
    assert written == sorted(tutorials.TUTORIALS)
    here = Path(tutorials.__file__).parent
    for name in tutorials.TUTORIALS:
        notebook = nbformat.read(str(tmp_path / f"{name}.ipynb"), as_version=4)
        nbformat.validate(notebook)
        script = (here / f"{name}.py").read_text()
        assert notebook.cells[0].cell_type == "markdown"
        assert notebook.cells[0].source.startswith(f"# {name[:2]} - ")
        code = [c.source for c in notebook.cells if c.cell_type == "code"]
        assert "__file__ = " in code[0]
        for source in code:
            ast.parse(source)                         # every code cell is valid Python
        # one source: every code line of the script (below the docstring) is in a cell
        body = script.split('"""', 2)[2]
        script_lines = [ln for ln in body.splitlines()
                        if ln.strip() and not ln.startswith("#")]
        cell_lines = {ln for source in code for ln in source.splitlines()}
        assert all(ln in cell_lines for ln in script_lines), name
        markdown = [c.source for c in notebook.cells[1:] if c.cell_type == "markdown"]
        assert markdown and not any(ln.startswith("# %%") for m in markdown
                                    for ln in m.splitlines())


def test_cells_split_on_markers_and_markdown_loses_its_hashes():
    source = '"""T - title.\n\nBody."""\n\n# %%\nx = 1\n\n# %% [markdown]\n# ## Part\n# text\n\n' \
             '# %%\ny = 2\n'
    assert script_cells(source) == [("markdown", "# T - title.\n\nBody."), ("code", "x = 1"),
                                    ("markdown", "## Part\ntext"), ("code", "y = 2")]


def test_a_notebook_executes_headless_with_figures_inline(tmp_path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    name = "06_gradient_checking"                # the shortest in quick mode
    runner.main(["--notebooks", str(tmp_path), name])
    monkeypatch.setenv("AUTODIFF_TUTORIAL_QUICK", "1")       # inherited by the kernel
    monkeypatch.setenv("AUTODIFF_TUTORIAL_OUT", str(tmp_path / "out"))
    # A kernel on this very interpreter (not whichever `python` a "python3" kernelspec
    # finds on PATH), found through JUPYTER_PATH.
    spec = tmp_path / "jupyter" / "kernels" / "this-python"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "this Python", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    notebook = nbformat.read(str(tmp_path / f"{name}.ipynb"), as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="this-python",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "quick mode" in text and "network gradcheck passes" in text
    pngs = [o for o in outputs if "image/png" in o.get("data", {})]
    assert pngs, "the figures appear inline"
    assert (tmp_path / "out" / name / "error_vs_eps.png").exists()      # and are saved
    json.dumps(nbformat.writes(notebook))                              # still serializable
