"""Write each tutorial script as a Jupyter notebook: ``python -m tutorials --notebooks DIR``.

The scripts are the one source.  Their ``# %%`` markers split them into cells
(``# %% [markdown]`` cells have their leading ``# `` removed), the module docstring
becomes the title cell, and a first code cell sets ``__file__`` (a notebook kernel
has none) so that the script's own set-up finds the ``tutorials`` package and names
its output folder.  The last cell runs ``main()``: figures appear inline below it,
and are also written to the output folder as when the script runs.

Set ``AUTODIFF_TUTORIAL_QUICK=1`` in the environment that starts Jupyter for the
small ``--quick`` sizes.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
_MARKER = re.compile(r"^# %%(.*)$")

_SETUP = '''\
# Generated from tutorials/{name}.py by `python -m tutorials --notebooks`: edit the script.
# A notebook kernel has no __file__; point it at the script so the tutorial finds its
# package and its output folder (set AUTODIFF_TUTORIAL_QUICK=1 for small sizes).
__file__ = {path!r}'''


def script_cells(source: str) -> list[tuple[str, str]]:
    """Split a script into ``(kind, text)`` cells, kind ``"markdown"`` or ``"code"``."""
    module = ast.parse(source)
    docstring = ast.get_docstring(module, clean=True) or ""
    body_start = 0
    if docstring:
        body_start = module.body[0].end_lineno
    lines = source.splitlines()[body_start:]
    cells: list[tuple[str, list[str]]] = []
    if docstring:
        title, _, rest = docstring.partition("\n")
        cells.append(("markdown", [f"# {title.strip()}", *rest.splitlines()]))
    kind, chunk = "code", []
    for line in lines:
        marker = _MARKER.match(line)
        if marker:
            cells.append((kind, chunk))
            kind = "markdown" if "[markdown]" in marker.group(1) else "code"
            chunk = []
            continue
        if kind == "markdown":
            line = line[2:] if line.startswith("# ") else line.lstrip("#")
        chunk.append(line)
    cells.append((kind, chunk))
    return [(k, "\n".join(c).strip("\n")) for k, c in cells if "\n".join(c).strip()]


def write_notebook(script: Path, folder: Path) -> Path:
    """Write ``folder/<script stem>.ipynb`` from ``script``; return its path."""
    try:
        import nbformat
        from nbformat import v4
    except ImportError:
        raise SystemExit("--notebooks needs nbformat: pip install -e \".[tutorials]\" "
                         "(or pip install nbformat)") from None

    cells = script_cells(script.read_text())
    setup = v4.new_code_cell(_SETUP.format(name=script.stem, path=str(script.resolve())))
    notebook = v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    made = [v4.new_markdown_cell(text) if kind == "markdown" else v4.new_code_cell(text)
            for kind, text in cells]
    first_code = next(i for i, c in enumerate(made) if c.cell_type == "code")
    notebook.cells = made[:first_code] + [setup] + made[first_code:]
    nbformat.validate(notebook)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{script.stem}.ipynb"
    nbformat.write(notebook, str(path))
    return path


def write_all(folder, names) -> list[Path]:
    """One notebook per tutorial name, into ``folder``."""
    return [write_notebook(HERE / f"{name}.py", Path(folder)) for name in names]
