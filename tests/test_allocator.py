"""autodiff/allocator.py: glibc's malloc thresholds set at import, so that an eager
training loop does not give its memory back to the kernel and fault it in again at
every step; left alone where the environment chooses."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import autodiff as ad

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

LOOP = """
import resource
import autodiff as ad
from autodiff.nn import functional as F
X, y = ad.data.spiral(100, 3, seed=0)
model = ad.nn.MLP([2, 256, 256, 3], rng=0)
opt = ad.optim.Adam(model.parameters(), lr=0.01)
def step():
    loss = F.cross_entropy(model(X), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
for _ in range(5):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(int(ad.allocator.TUNED), (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
"""


def _run(code, **environment):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MALLOC_") and k not in ("GLIBC_TUNABLES", "AUTODIFF_MALLOC")}
    env.update(environment, PYTHONPATH=ROOT + os.pathsep + env.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout.split()
    return int(out[0]), float(out[1]) if len(out) > 1 else None


glibc = pytest.mark.skipif(not sys.platform.startswith("linux") or not ad.allocator.TUNED,
                           reason="glibc's mallopt only")


@glibc
def test_an_eager_training_loop_faults_no_pages_per_step():
    tuned, faults = _run(LOOP)
    assert tuned == 1
    # With glibc's defaults this loop faulted about a thousand pages per step (every
    # step's intermediates given back to the kernel and faulted in again).
    assert faults < 100


@pytest.mark.parametrize("variable, value", [
    ("AUTODIFF_MALLOC", "0"), ("MALLOC_TRIM_THRESHOLD_", "1000000"),
    ("MALLOC_MMAP_THRESHOLD_", "65536"), ("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1")])
def test_left_alone_where_the_environment_chooses(variable, value):
    tuned, _ = _run("import autodiff as ad; print(int(ad.allocator.TUNED))",
                    **{variable: value})
    assert tuned == 0
