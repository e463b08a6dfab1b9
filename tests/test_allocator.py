"""autodiff/allocator.py: glibc's malloc thresholds set at import, so that an eager
training loop does not give its memory back to the kernel and fault it in again at
every step; left alone where the environment chooses."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys

import pytest

from bench.workloads import MALLOC_LOOP_SNIPPET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The bench's training loop (bench/workloads.py), 20 steps: it prints the seconds and
# page faults per step, and whether the thresholds were set.
LOOP = MALLOC_LOOP_SNIPPET.replace("STEPS", "20")


def _run(code, **environment):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MALLOC_") and k not in ("GLIBC_TUNABLES", "AUTODIFF_MALLOC")}
    env.update(environment, PYTHONPATH=ROOT + os.pathsep + env.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout.split()
    return [float(v) for v in out]


def _has_glibc():
    try:
        ctypes.CDLL(None).gnu_get_libc_version
    except (OSError, AttributeError, TypeError):
        return False
    return True


glibc = pytest.mark.skipif(not _has_glibc(), reason="glibc's mallopt only")


@glibc
def test_an_eager_training_loop_faults_no_pages_per_step():
    _, faults, tuned = _run(LOOP)
    assert tuned == 1
    # With glibc's defaults this loop faulted about a thousand pages per step (every
    # step's intermediates given back to the kernel and faulted in again).
    assert faults < 100


@pytest.mark.parametrize("variable, value", [
    ("AUTODIFF_MALLOC", "0"), ("MALLOC_TRIM_THRESHOLD_", "1000000"),
    ("MALLOC_MMAP_THRESHOLD_", "65536"), ("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1")])
def test_left_alone_where_the_environment_chooses(variable, value):
    (tuned,) = _run("import autodiff as ad; print(int(ad.allocator.TUNED))",
                    **{variable: value})
    assert tuned == 0
