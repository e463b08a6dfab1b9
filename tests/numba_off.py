"""Run a snippet in a fresh interpreter with the numba loops off (``AUTODIFF_JIT=0`` is
read at import), for the tests that check a round's features on the NumPy paths."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap


def assert_prints_ok_with_numba_loops_off(code: str) -> None:
    """Run ``code`` (dedented) with ``AUTODIFF_JIT=0``; it must exit 0 printing ``ok``.

    >>> assert_prints_ok_with_numba_loops_off("print('ok')")
    """
    env = dict(os.environ, AUTODIFF_JIT="0")
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
