"""``jit.disable_cache`` (run when the on-disk cache cannot be written) recompiles every
kernel without the cache, in every module where it is bound: ``jit`` itself, the
modules that define their kernels (``jit_nn``, ``jit_optim``) and ``jit``'s names for
``jit_conv``'s and ``jit_rnn``'s."""

import os
import subprocess
import sys

import pytest

from autodiff import kernels

needs_jit = pytest.mark.skipif(not kernels.JIT_ENABLED, reason="Numba kernels are off")

SCRIPT = r"""
import warnings
import numpy as np
from autodiff import kernels
from autodiff.kernels import jit, jit_nn, jit_optim, jit_conv

before = {key: entry[2] for key, entry in jit._SOURCES.items()}
assert "autodiff.kernels.jit_nn._cross_entropy_grad" in before
assert "autodiff.kernels.jit_optim.sgd_update" in before
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    jit.disable_cache()
assert any("could not be written" in str(w.message) for w in caught)
old = {id(d) for d in before.values()}
for key, (fn, options, dispatcher) in jit._SOURCES.items():
    assert id(dispatcher) not in old, key
    assert type(dispatcher._cache).__name__ == "NullCache", key
for module in (jit, jit_nn, jit_optim, jit_conv):
    stale = [name for name, value in vars(module).items() if id(value) in old]
    assert not stale, (module.__name__, stale)
rng = np.random.default_rng(0)
logits, target = rng.normal(size=(64, 7)), rng.integers(0, 7, 64)
loss, grad = jit_nn.cross_entropy(logits, target)
twin_loss, twin_grad = kernels._twins.cross_entropy(logits, target)
np.testing.assert_allclose(loss, twin_loss, rtol=1e-13)
np.testing.assert_allclose(grad, twin_grad, rtol=1e-12, atol=1e-15)
p, g = np.ones(8), np.full(8, 2.0)
jit_optim.sgd_update(p, g, p, np.array([0.5, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]))
assert p.tolist() == [0.0] * 8
print("ok")
"""


@needs_jit
def test_disable_cache_rebinds_every_kernel_without_the_cache():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                            env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


CANONICAL_SCRIPT = r"""
import numpy as np
from autodiff import kernels
from autodiff.kernels import jit, jit_nn

rng = np.random.default_rng(0)
for dtype in (np.float64, np.float32):
    canonical = np.dtype(dtype)
    small, large = rng.normal(size=4).astype(dtype), rng.normal(size=(64, 32)).astype(dtype)
    outputs = {
        "sigmoid_small": kernels.sigmoid(small),
        "sigmoid_backward_small": kernels.sigmoid_backward(small, small),
        "tanh_backward_small": kernels.tanh_backward(small, small),
        "layer_norm": kernels.layer_norm(large, None, None, 1e-5)[0],
        "cross_entropy": kernels.cross_entropy(large, rng.integers(0, 32, 64))[1],
    }
    for name, out in outputs.items():
        assert out.dtype == canonical, (name, out.dtype)
        assert out.dtype is canonical, (name, "an equal dtype, but not NumPy's own object")
print(sum(len(entry[2]._cache_hits) for entry in jit._SOURCES.values()))
"""


@needs_jit
def test_arrays_made_inside_kernels_carry_numpys_own_dtype_objects():
    # The second process loads the kernels from the on-disk cache, whose unpickled
    # dtypes are copies: the library's fast paths compare dtypes by identity.
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for run in range(2):
        result = subprocess.run([sys.executable, "-c", CANONICAL_SCRIPT], capture_output=True,
                                text=True, env=env, timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.split()[-1]) > 0, "the second process loaded nothing from the cache"
