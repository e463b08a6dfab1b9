"""The list of ops, generated from the registry: ``python -m autodiff.ops.doc > docs/ops.md``.

Every registered op with the NumPy functions it implements and its gradient rules in
words, then the NumPy functions implemented by compositions of ops, then those that
run on Tensors without a gradient.  ``tests/test_docs.py`` fails when ``docs/ops.md``
differs from this output.
"""

from __future__ import annotations

import numpy as np

from .. import nn  # noqa: F401  (registers the softmax family)
from .registry import NO_GRADIENT_FUNCTIONS, NUMPY_FUNCTIONS, NUMPY_UFUNCS, REGISTRY, Op


def numpy_label(f) -> str:
    """``np.sum``, ``np.linalg.inv`` ...: how a NumPy callable is written in code."""
    owner = getattr(f, "__self__", None)
    if isinstance(owner, np.ufunc):     # a ufunc's method
        return f"np.{owner.__name__}.{f.__name__}"
    module = getattr(f, "__module__", None) or "numpy"
    if isinstance(f, np.ufunc) and getattr(np, f.__name__, None) is not f:
        return f"np._core.umath.{f.__name__}"    # (ndarray.clip's ufunc, not np.clip)
    if isinstance(f, np.ufunc) or module.startswith("numpy._"):
        module = "numpy"
    return module.replace("numpy", "np", 1) + "." + f.__name__


def _notes(op: Op) -> list[str]:
    notes = []
    if not op.differentiable:
        notes.append("no gradient (bool result)")
    if op.zero_grad_ae:
        notes.append("zero gradient almost everywhere")
    if op.blocks and op.differentiable:
        notes.append("blocks the gradient")
    if op.scatters:
        notes.append("backward scatter-adds")
    if op.selects:
        notes.append("selects elementwise")
    for position, role in sorted(op.index_inputs.items()):
        notes.append(f"input {op.input_name(position)} is the {role}")
    if op.zeroes:
        notes.append(f"{op.zeroes}")
    if op.value_free:
        notes.append("its backward needs only shapes")
    elif op._reads is not None:
        free = [op.input_name(i) for i, rule in enumerate(op.rules)
                if rule is not None and not op._reads[i]]
        if free:
            notes.append(f"the gradient of {', '.join(free)} needs only shapes")
    return notes


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _first_line(doc) -> str:
    return (doc or "").strip().split("\n")[0]


def ops_markdown() -> str:
    """The text of ``docs/ops.md``."""
    lines = [
        "# Ops",
        "",
        "Generated from the op registry by `python -m autodiff.ops.doc > docs/ops.md`; do "
        "not edit by hand (a test checks that this file is up to date).",
        "",
        "Each op is one `ad.defop` entry (see `docs/adding_an_op.md`): its forward, one "
        "gradient rule per input (`g` is the upstream gradient, `ans` the output), and the "
        "NumPy functions that run it when called on a Tensor.  A two-input ufunc among "
        "them also runs as `ufunc.outer` (`np.subtract.outer(a, b)`); `ufunc.reduce` and "
        "`ufunc.accumulate` run where listed.",
        "",
        "| op | NumPy | gradient | notes |",
        "|---|---|---|---|",
    ]
    for name in sorted(REGISTRY):
        op = REGISTRY[name]
        numpy_names = ", ".join(sorted(f"`{numpy_label(f)}`" for f in op.numpy)) or "—"
        rules = op.describe().split(": ", 1)[1]
        notes = "; ".join(_notes(op)) or ""
        lines.append(f"| `{name}` | {numpy_names} | {_cell(rules)} | {_cell(notes)} |")
    owned = {f for op in REGISTRY.values() for f in op.numpy}
    composites = sorted((numpy_label(f), impl) for table in (NUMPY_UFUNCS, NUMPY_FUNCTIONS)
                        for f, impl in table.items()
                        if f not in owned and f not in NO_GRADIENT_FUNCTIONS)
    lines += ["", "## NumPy functions built from the ops above", "",
              "| NumPy | computed as |", "|---|---|"]
    for label, impl in composites:
        what = _first_line(impl.__doc__) or f"`{impl.__name__}`"
        lines.append(f"| `{label}` | {_cell(what)} |")
    lines += ["", "## NumPy functions without a gradient", "",
              "They compute on the data; an array result is a Tensor that does not "
              "require grad.", "",
              ", ".join(sorted(f"`{numpy_label(f)}`" for f in NO_GRADIENT_FUNCTIONS)), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(ops_markdown(), end="")
