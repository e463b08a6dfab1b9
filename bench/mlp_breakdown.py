"""Where the time of the compiled MLP step goes, line by line, next to hand-written NumPy.

    python -m bench.mlp_breakdown            # float32 and float64, 200 interleaved rounds
    python -m bench.mlp_breakdown --cold     # also: what the first compiled call costs
    python -m bench.mlp_breakdown --cold-only    # that alone

Both steps are instrumented line by line (the compiled step through the source of its
generated replay function) and run alternately; each figure is the median over the
rounds of the time spent on that line.  The clock is this thread's CPU time
(``--wall`` for wall time): on a machine other processes keep busy it is much
steadier, and it is the right clock for a single-threaded BLAS, so run with
``OPENBLAS_NUM_THREADS=1`` for the steadiest figures (the script says which BLAS
thread count it ran with).

Printed per dtype: every line of both steps, the GEMM lines' total (the time no
rewrite of the rest can save), the rest, and a memory-bandwidth floor for the
optimizer update: one pass that reads every parameter and its gradient and writes
the parameter (what the fused SGD update does), timed alone.
"""

from __future__ import annotations

import gc
import inspect
import os
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench import workloads as W  # noqa: E402


def _numpy_step(dtype, clock):
    """``workloads.mlp_numpy`` with a clock reading after each top-level line."""
    lines = inspect.getsource(W.mlp_numpy).split("\n")
    out, names, inside = [], [], False
    for line in lines:
        text = line.strip()
        if text.startswith("def step"):
            inside = True
            out += [line, "        R = [CLOCK()]"]
            continue
        if inside and text.startswith("return loss"):
            out += ["        R.append(CLOCK())", "        return R"]
            names.append("(parameter update loop)")
            inside = False
            continue
        out.append(line)
        if inside and text and not text.startswith("for ") and not line.startswith(" " * 12):
            out.append("        R.append(CLOCK())")
            names.append(text.split("#")[0].strip())
    namespace = dict(W.__dict__, CLOCK=clock)
    exec("\n".join(out), namespace)
    return namespace["mlp_numpy"](dtype), names


def _compiled_step(dtype, clock):
    """The replay function of ``workloads.mlp_compiled``, with a clock reading per line."""
    import autodiff as ad
    compile_module = sys.modules["autodiff.compile"]
    step = W.mlp_compiled(dtype)
    step()
    compiled = [c.cell_contents for c in step.__closure__
                if isinstance(c.cell_contents, compile_module.Compiled)][0]
    plan = compiled.plan
    lines = plan.source.split("\n")
    out, names = [lines[0], "    R = [CLOCK()]"], []
    for line in lines[1:]:
        text = line.strip()
        if text.startswith("return"):
            out.append("    return R")
            continue
        out.append(line)
        if not text.startswith("del"):
            out += ["    R.append(CLOCK())"]
            names.append(text)
    namespace = dict(plan.replay.__globals__, CLOCK=clock)
    exec(compile("\n".join(out), "<instrumented plan>", "exec"), namespace)
    x, y, _ = W._mlp_data(dtype)
    replay = namespace["replay"]
    # (a FoldedUpdate is a weight's gradient product that also does its SGD update)
    gemm_functions = {name for name, value in namespace.items()
                      if getattr(value, "__name__", "") in (
                          "matmul", "_matmul_grad_a", "_matmul_grad_b",
                          "_matmul_grad_a_into", "_matmul_grad_b_into")
                      or type(value).__name__ == "FoldedUpdate"}
    del ad
    return (lambda: replay((x, y), {})), names, gemm_functions


def _update_floor(dtype, clock, rounds):
    """One read of every parameter and gradient and one write of every parameter."""
    from autodiff.kernels import jit_optim
    _, _, arrays = W._mlp_data(dtype)
    params = [a.copy().reshape(-1) for a in arrays]
    grads = [np.full_like(p, 1e-6) for p in params]
    hyperparameters = np.array([W.LR, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0], dtype)

    def one_pass():
        for p, g in zip(params, grads):
            jit_optim.sgd_update(p, g, p, hyperparameters)
    one_pass()
    times = []
    for _ in range(rounds):
        start = clock()
        one_pass()
        times.append(clock() - start)
    return statistics.median(times)


def breakdown(dtype, rounds, clock):
    numpy_step, numpy_names = _numpy_step(dtype, clock)
    compiled_step, compiled_names, gemm_functions = _compiled_step(dtype, clock)
    numpy_times, compiled_times = [], []
    gc.disable()
    try:
        for i in range(rounds + 5):
            a = np.diff(numpy_step())
            b = np.diff(compiled_step())
            if i >= 5:
                numpy_times.append(a)
                compiled_times.append(b)
    finally:
        gc.enable()
    numpy_lines = np.median(numpy_times, axis=0)
    compiled_lines = np.median(compiled_times, axis=0)
    numpy_total = float(np.median(np.sum(numpy_times, axis=1)))
    compiled_total = float(np.median(np.sum(compiled_times, axis=1)))
    numpy_gemm = sum(t for n, t in zip(numpy_names, numpy_lines) if "@" in n)
    compiled_gemm = sum(t for n, t in zip(compiled_names, compiled_lines)
                        if any(f"{f}(" in n for f in gemm_functions))
    name = np.dtype(dtype).name
    print(f"\n== {name}: median µs per line over {rounds} interleaved rounds ==")
    print("-- hand-written NumPy")
    for n, t in zip(numpy_names, numpy_lines):
        print(f"{t * 1e6:9.1f}  {n}")
    print("-- compiled (lines of the generated replay; F<k>/K<k>/B<k> are bound "
          "functions, constants and buffers)")
    for n, t in zip(compiled_names, compiled_lines):
        if t >= 2e-6:
            print(f"{t * 1e6:9.1f}  {n}")
    floor = _update_floor(dtype, clock, rounds)
    print(f"{name}: NumPy step {numpy_total * 1e3:.3f} ms = GEMMs {numpy_gemm * 1e3:.3f} + rest "
          f"{(numpy_total - numpy_gemm) * 1e3:.3f}; compiled step {compiled_total * 1e3:.3f} ms"
          f" = GEMMs {compiled_gemm * 1e3:.3f} + rest {(compiled_total - compiled_gemm) * 1e3:.3f}"
          f"; compiled / NumPy {compiled_total / numpy_total:.3f}; GEMMs alone / NumPy step "
          f"{compiled_gemm / numpy_total:.3f}; update memory floor (one pass over parameters "
          f"and gradients) {floor * 1e6:.0f} µs")


_TRIVIAL = "import numba\n\n@numba.njit(cache=True)\ndef f(x):\n    return x + 1.0\n"

# Each snippet prints its figures (seconds unless named otherwise) in the order of its
# labels.  "{trivial}" is a folder holding a module with one trivial cached function.
_FLOOR = (
    "import sys, time\n"
    "import autodiff\n"                                  # autodiff imported, Numba not
    "t0 = time.perf_counter()\n"
    "import numba\n"
    "t1 = time.perf_counter()\n"
    "import scipy.linalg.cython_blas\n"                # what Numba's BLAS check imports
    "t2 = time.perf_counter()\n"
    "sys.path.insert(0, {trivial!r})\n"
    "import trivial_cached\n"
    "trivial_cached.f(1.0)\n"
    "t3 = time.perf_counter()\n"
    "print(t1 - t0, t2 - t1, t3 - t2, t3 - t0)")
# The same, started as autodiff's kernels start Numba (scipy.linalg left out).
_FLOOR_AUTODIFF = (
    "import sys, time\n"
    "import autodiff\n"
    "t0 = time.perf_counter()\n"
    "import numba\n"
    "from autodiff.kernels import numba_start\n"
    "t1 = time.perf_counter()\n"
    "numba_start.start()\n"
    "t2 = time.perf_counter()\n"
    "sys.path.insert(0, {trivial!r})\n"
    "import trivial_cached\n"
    "trivial_cached.f(1.0)\n"
    "t3 = time.perf_counter()\n"
    "print(t1 - t0, t2 - t1, t3 - t2, t3 - t0, int('scipy.linalg' in sys.modules))")
_FIRST_CALL = (
    "import gc, sys, time\n"
    "t0 = time.perf_counter()\n"
    "import numpy as np\nfrom bench.workloads import mlp_compiled\n"
    "step = mlp_compiled(np.float32)\n"
    "def loaded():\n"                    # cached kernels loaded so far in this process
    "    if 'numba' not in sys.modules:\n"
    "        return 0\n"
    "    from numba.core.dispatcher import Dispatcher\n"
    "    return sum(sum(d.stats.cache_hits.values()) for d in gc.get_objects()\n"
    "               if isinstance(d, Dispatcher))\n"
    "t1 = time.perf_counter(); step(); t2 = time.perf_counter()\n"
    "first = loaded()\n"
    "t3 = time.perf_counter(); step(); t4 = time.perf_counter()\n"
    "print(t2 - t1, t4 - t3, t2 - t0, t4 - t0 - (t3 - t2), int('scipy.linalg' in sys.modules),\n"
    "      first, loaded() - first)")
_FIRST_CALL_LABELS = ("first compiled MLP call", "second call",
                      "snippet start (before import numpy) to end of first call",
                      "snippet start to end of second call", "scipy.linalg imported (0/1)",
                      "cached Numba kernels loaded in the first call (count)",
                      "cached Numba kernels loaded in the second call (count)")
COLD_SNIPPETS = [
    (("import numba (autodiff imported)",
      "import scipy.linalg.cython_blas: runs all of scipy.linalg (Numba's start imports it "
      "for its BLAS check)",
      "the rest of Numba's start: first call of a trivial cached @njit function",
      "Numba's floor: the three"),
     _FLOOR, {}, "Numba alone"),
    (("import numba (autodiff imported)",
      "numba_start.start(): Numba's start with scipy.linalg.cython_blas loaded alone",
      "then the first call of a trivial cached @njit function",
      "Numba's floor as autodiff starts it: the three",
      "scipy.linalg imported (0/1)"),
     _FLOOR_AUTODIFF, {}, "Numba alone, started as autodiff's kernels start it"),
    (_FIRST_CALL_LABELS, _FIRST_CALL, {"AUTODIFF_JIT": "0"},
     "compiled MLP step, AUTODIFF_JIT=0 (trace + plan passes + code generation, no Numba)"),
    (_FIRST_CALL_LABELS, _FIRST_CALL, {}, "compiled MLP step"),
]


def cold(repeats=7):
    """Medians over fresh interpreters, run in turn (every cache is warm after the first
    round, which is left out).  Set ``OPENBLAS_NUM_THREADS=1`` on a busy machine: an
    OpenBLAS thread spinning after a GEMM competes with the imports for the cores."""
    import tempfile
    from bench.run import _cpu_snapshot, other_cpu_share
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    print(f"\n== first compiled call, {repeats} fresh processes each, warm caches (median; "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'default')}; load "
          f"average before {os.getloadavg()[0]:.2f}) ==")
    with tempfile.TemporaryDirectory() as trivial:
        with open(os.path.join(trivial, "trivial_cached.py"), "w") as f:
            f.write(_TRIVIAL)
        results = [[] for _ in COLD_SNIPPETS]
        before = _cpu_snapshot()
        for _ in range(repeats + 1):
            for out, (_, snippet, extra, _) in zip(results, COLD_SNIPPETS):
                done = subprocess.run(
                    [sys.executable, "-c", snippet.replace("{trivial!r}", repr(trivial))],
                    capture_output=True, text=True, env=dict(env, **extra), cwd=ROOT,
                    check=True)
                out.append([float(v) for v in done.stdout.split()])
        share = other_cpu_share(before, _cpu_snapshot())
    for out, (labels, _, _, title) in zip(results, COLD_SNIPPETS):
        print(f"-- {title}")
        for label, column in zip(labels, zip(*out[1:])):
            print(f"{statistics.median(column):8.3f}  {label}")
    print(f"(load average after {os.getloadavg()[0]:.2f}; other processes used {share:.0%} of "
          f"the machine meanwhile)")


def main():
    wall = "--wall" in sys.argv
    clock = time.perf_counter if wall else time.thread_time
    rounds = 50 if "--quick" in sys.argv else 200
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"clock: {'wall' if wall else 'thread CPU time'}; OPENBLAS_NUM_THREADS={threads}")
    if "--cold-only" not in sys.argv:
        for dtype in (np.float32, np.float64):
            breakdown(dtype, rounds, clock)
    if "--cold" in sys.argv or "--cold-only" in sys.argv:
        cold()


if __name__ == "__main__":
    main()
