"""Generated documentation stays in step with the code."""

from __future__ import annotations

import os

import autodiff  # noqa: F401  (registers every op)
from autodiff.ops.doc import ops_markdown

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_docs_ops_md_lists_the_registry_as_it_is():
    path = os.path.join(ROOT, "docs", "ops.md")
    with open(path, encoding="utf-8") as f:
        written = f.read()
    assert written == ops_markdown(), (
        "docs/ops.md is out of date with the op registry; regenerate it with\n"
        "    python -m autodiff.ops.doc > docs/ops.md")


def test_the_interop_error_points_to_the_list():
    import numpy as np
    import pytest

    import autodiff as ad

    with pytest.raises(TypeError, match="docs/ops.md") as info:
        np.is_busday(ad.tensor(np.array(["2024-01-01"], dtype="datetime64[D]")))
    assert os.path.exists(os.path.join(ROOT, "docs", "ops.md")), str(info.value)
