"""Run every benchmark, print one table and keep it in bench/RESULTS.md.

    python -m bench                 # everything (about 2 minutes on 2 cores)
    python -m bench --quick         # fewer repeats, for a smoke test
    python -m bench --only mlp,ce   # a subset: mlp, spiral, per_op, ce, emb, act, ln, gelu,
                                    # chain, cold, jvp, hessian, jac, conv, lstm, ...
    python -m bench --no-write      # print only; leave RESULTS.md alone

Method: each implementation is warmed up, then the implementations of one workload
run interleaved round by round (A B C A B C ...), and each figure is the median of
its rounds; every ratio compares figures from the same run.  Around each workload
the runner reads /proc/stat and subtracts this process's own CPU time, giving the
share of the machine other processes used meanwhile; above BUSY_SHARE the workload
is repeated (up to ATTEMPTS times) and the quietest attempt is kept, flagged busy if
it was still above the threshold.  PyTorch rows appear when torch is installed,
with its intra-op threads set to the BLAS thread count used by NumPy.

PyTorch's OpenMP threads busy-wait after each parallel region by default; in one
process with NumPy's BLAS threads that steals the cores the next NumPy or autodiff
matmul needs (measured here: the MLP step of both slowed by up to 1.8×).  The runner
therefore sets OMP_WAIT_POLICY=PASSIVE (unless already set) before importing torch,
which also made PyTorch's own step faster.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import random
import subprocess
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")   # before torch is imported; see above

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench import workloads as W  # noqa: E402
from bench import workloads_elementwise as E  # noqa: E402
from bench.linalg import bench_linalg  # noqa: E402

BUSY_SHARE = 0.15      # other processes using > 15% of all cores: a busy run
ATTEMPTS = 3
_TICK = os.sysconf("SC_CLK_TCK")


# ----- measurement --------------------------------------------------------------------

def _cpu_snapshot():
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:9]]
    own = os.times()
    own_ticks = (own.user + own.system + own.children_user + own.children_system) * _TICK
    return sum(values), values[3] + values[4], own_ticks


def other_cpu_share(before, after):
    """Fraction of all cores' time used by other processes between two snapshots."""
    total = after[0] - before[0]
    busy = total - (after[1] - before[1])
    if total <= 0:
        return 0.0
    return max(0.0, (busy - (after[2] - before[2])) / total)


def interleaved(impls, repeats, inner=1, warmup=2):
    """Median seconds per call of each implementation, interleaved round by round.

    Each round runs the implementations in a new (seeded) random order: whichever runs
    right after another finds the caches as that one left them (its arrays, its own
    code and the interpreter's evicted), so a fixed order would charge that cost to
    the same implementation every round.
    """
    for run in impls.values():
        for _ in range(warmup):
            run()
    times = {name: [] for name in impls}
    order = list(impls.items())
    shuffle = random.Random(0).shuffle
    for _ in range(repeats):
        shuffle(order)
        for name, run in order:
            start = time.perf_counter()
            for _ in range(inner):
                run()
            times[name].append((time.perf_counter() - start) / inner)
    return {name: statistics.median(ts) for name, ts in times.items()}


def guarded(measure):
    """Run ``measure()``; repeat while other processes were busy; keep the quietest."""
    best = None
    for attempt in range(ATTEMPTS):
        before = _cpu_snapshot()
        figures = measure()
        share = other_cpu_share(before, _cpu_snapshot())
        if best is None or share < best[1]:
            best = (figures, share)
        if share <= BUSY_SHARE:
            break
    figures, share = best
    return figures, share, share > BUSY_SHARE


# ----- workloads -------------------------------------------------------------------------

class Row:
    def __init__(self, workload, figures, unit, share, busy, checks, note=""):
        self.workload, self.figures, self.unit = workload, figures, unit
        self.share, self.busy, self.checks, self.note = share, busy, checks, note


def _ratio_checks(figures, specs):
    """specs: (label, numerator impl, denominator impl, op, bound); ratios of times."""
    checks = []
    for label, num, den, op, bound in specs:
        if num not in figures or den not in figures:
            checks.append((label, None, f"{op} {bound}", None))
            continue
        ratio = figures[num] / figures[den]
        ok = ratio <= bound if op == "≤" else ratio >= bound
        checks.append((label, ratio, f"{op} {bound}", ok))
    return checks


def bench_mlp(quick):
    rows = []
    for dtype in (np.float32, np.float64):
        impls = W.mlp(dtype)
        figures, share, busy = guarded(lambda: interleaved(impls, 10 if quick else 60, inner=3))
        checks = _ratio_checks(figures, [
            ("autodiff / numpy", "autodiff", "numpy", "≤", 1.05),
            ("autodiff / pytorch", "autodiff", "pytorch", "≤", 1.0),
            ("compiled / numpy", "autodiff compiled", "numpy", "≤", 0.9),
            ("compiled / pytorch", "autodiff compiled", "pytorch", "≤", 0.6)])
        # The floor of the compiled rows: the same eight GEMMs through NumPy, no other work.
        for label, base in (("GEMMs alone / numpy", "numpy"), ("GEMMs alone / pytorch", "pytorch")):
            if base in figures:
                checks.append((label, figures["numpy GEMMs alone"] / figures[base], "–", None))
        # The eager row's engine cost apart from what NumPy's in-place `+=` saves: the
        # same NumPy step with a new array per operation, as the eager step's expressions.
        checks.append(("autodiff / numpy out of place",
                       figures["autodiff"] / figures["numpy out of place"], "–", None))
        rows.append(Row(f"MLP 784-256-256-10 step, batch 128, {np.dtype(dtype).name}",
                        figures, "ms", share, busy, checks))
    return rows


def bench_spiral(quick):
    from bench import spiral
    same = spiral.agreement(steps=10)
    impls, _ = spiral.spiral_mlp()
    figures, share, busy = guarded(lambda: interleaved(impls, 10 if quick else 100, inner=5))
    checks = [("autodiff / compiled (speed-up)", figures["autodiff"]
               / figures["autodiff compiled"], "–", None)]
    checks += _ratio_checks(figures, [
        ("compiled / numpy", "autodiff compiled", "numpy", "≤", 0.9),
        ("autodiff / numpy", "autodiff", "numpy", "≤", 1.05),
        ("compiled / pytorch", "autodiff compiled", "pytorch", "≤", 0.6)])
    for name, diff in same.items():
        checks.append((f"max |{name} - autodiff| / max |autodiff|, weights after 10 steps",
                       diff, "≤ 1e-12", diff <= 1e-12))
    return [Row("spiral MLP 2-64-3 training step, 300 points, Adam, float64", figures, "µs",
                share, busy, checks, "the README's compiled step")]


def bench_per_op(quick):
    try:
        from bench import per_op
    except ImportError:
        return []
    n = per_op.N_OPS
    impls = {"autodiff": per_op.autodiff_chain(n), "numpy": per_op.numpy_chain(n),
             "autodiff compiled": per_op.autodiff_compiled_chain(n)}
    try:
        impls["pytorch"] = per_op.torch_chain(n)
    except ImportError:
        pass
    figures, share, busy = guarded(lambda: interleaved(impls, 10 if quick else 40))
    figures = {k: v / n for k, v in figures.items()}
    checks = [("autodiff µs per op", figures["autodiff"] * 1e6, "≤ 3", figures["autodiff"] <= 3e-6)]
    checks += _ratio_checks(figures, [("autodiff / pytorch", "autodiff", "pytorch", "≤", 1.0),
                                      ("compiled / numpy", "autodiff compiled", "numpy", "≤",
                                       0.5)])
    return [Row(f"per-op overhead: chain of {n} ops on shape (4,), fwd+bwd (per op)",
                figures, "µs", share, busy, checks)]


def bench_ce(quick):
    rows = []
    for dtype, target in ((np.float32, 2.5), (np.float64, 1.8)):
        impls = W.softmax_ce(dtype)
        figures, share, busy = guarded(lambda: interleaved(impls, 10 if quick else 40))
        main = "autodiff" if "autodiff" in figures else "autodiff kernels"
        checks = _ratio_checks(figures, [
            ("numpy / autodiff (speed-up)", "numpy", main, "≥", target),
            ("numpy / kernels (speed-up)", "numpy", "autodiff kernels", "≥", target),
            ("autodiff / pytorch", main, "pytorch", "≤", 1.0)])
        rows.append(Row(f"softmax-CE fwd+bwd (1024, 1000) {np.dtype(dtype).name}",
                        figures, "ms", share, busy, checks))
    return rows


def bench_emb(quick):
    impls = W.embedding_backward()
    figures, share, busy = guarded(lambda: interleaved(impls, 5 if quick else 15, warmup=1))
    checks = _ratio_checks(figures, [
        ("np.add.at / autodiff (speed-up)", "np.add.at", "autodiff", "≥", 7.0),
        ("autodiff / pytorch", "autodiff", "pytorch", "≤", 1.0)])
    return [Row("embedding backward: (100000, 64) f32, 65,536 Zipf ids", figures, "ms",
                share, busy, checks, "zeros + scatter-add (index_add_array)")]


def bench_act(quick):
    rows = []
    for name in ("sigmoid", "tanh"):
        impls = E.activation(name)
        figures, share, busy = guarded(lambda: interleaved(impls, 5 if quick else 20))
        checks = _ratio_checks(figures, [
            ("numpy / autodiff (speed-up)", "numpy", "autodiff", "≥", 3.0),
            ("autodiff / pytorch", "autodiff", "pytorch", "≤", 1.0)])
        rows.append(Row(f"{name} fwd+bwd, 4M float32", figures, "ms", share, busy, checks))
    return rows


def _max_difference(impls):
    """Largest |autodiff - pytorch| over all returned arrays, relative to their scale."""
    if "pytorch" not in impls:
        return [("max |autodiff - pytorch| / max |pytorch|", None, "≤ 1e-5", None)]
    ours, theirs = impls["autodiff"](), impls["pytorch"]()
    worst = max(float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-30))
                for a, b in zip(ours, theirs))
    return [("max |autodiff - pytorch| / max |pytorch|", worst, "≤ 1e-5", worst <= 1e-5)]


def bench_ln(quick):
    impls = E.layer_norm(np.float32)
    figures, share, busy = guarded(lambda: interleaved(impls, 5 if quick else 20))
    checks = _ratio_checks(figures, [
        ("autodiff / numpy", "autodiff", "numpy", "≤", 1.0),
        ("autodiff / pytorch", "autodiff", "pytorch", "≤", 1.0)])
    checks += _max_difference(impls)
    shape = "x".join(map(str, E.LN_SHAPE))
    return [Row(f"LayerNorm fwd+bwd ({shape}) float32", figures, "ms", share, busy, checks)]


def bench_gelu(quick):
    rows = []
    for approximate in ("none", "tanh"):
        impls = E.gelu(approximate)
        figures, share, busy = guarded(lambda: interleaved(impls, 5 if quick else 20))
        checks = _ratio_checks(figures, [
            ("autodiff / numpy", "autodiff", "numpy", "≤", 1.0),
            ("autodiff / pytorch", "autodiff", "pytorch", "≤", 1.0)])
        checks += _max_difference(impls)
        note = "numpy baseline uses scipy.special.erf" if approximate == "none" else ""
        rows.append(Row(f"GELU(approximate={approximate!r}) fwd+bwd, 4M float32", figures, "ms",
                        share, busy, checks, note))
    return rows


def bench_chain(quick):
    impls = E.deep_chain()
    figures, share, busy = guarded(lambda: interleaved(impls, 3 if quick else 7, warmup=1))
    figures = {k: v / E.CHAIN_OPS for k, v in figures.items()}
    checks = [("autodiff µs per node", figures["autodiff"] * 1e6, "≤ 3",
               figures["autodiff"] <= 3e-6)]
    checks += _ratio_checks(figures, [("autodiff / pytorch", "autodiff", "pytorch", "≤", 1.0)])
    return [Row("deep chain of 100,000 scalar ops, build + backward (per node)", figures, "µs",
                share, busy, checks)]


def _max_abs_differences(impls):
    """(max |autodiff - pytorch|, that divided by max |pytorch|) for each returned array
    (the output, then gradients); None without PyTorch."""
    if "pytorch" not in impls:
        return None
    ours, theirs = impls["autodiff"](), impls["pytorch"]()
    diffs = []
    for a, b in zip(ours, theirs):
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        worst = float(np.max(np.abs(a - b)))
        diffs.append((worst, worst / max(float(np.max(np.abs(b))), 1e-300)))
    return diffs


def _difference_check(label, diffs, bound):
    if diffs is None:
        return (label, None, f"≤ {bound:g}", None)
    worst = max(rel for _, rel in diffs)
    return (label, worst, f"≤ {bound:g}", worst <= bound)


def _difference_note(what, diffs):
    if diffs is None:
        return ""
    return f"max abs diff {what} " + ", ".join(f"{d:.1e}" for d, _ in diffs)


def bench_conv(quick):
    impls = W.conv_pool()
    diffs = _max_abs_differences(impls)
    figures, share, busy = guarded(lambda: interleaved(impls, 5 if quick else 25))
    checks = _ratio_checks(figures, [("autodiff / pytorch", "autodiff", "pytorch", "≤", 1.5)])
    checks.append(_difference_check("max abs diff / max abs pytorch (out, dx, dw)", diffs, 1e-5))
    return [Row("conv2d 3x3 pad 1 + max_pool2d 2, fwd+bwd, x (32, 16, 28, 28) f32, "
                "w (32, 16, 3, 3)", figures, "ms", share, busy, checks,
                _difference_note("out/dx/dw", diffs))]


def bench_lstm(quick):
    impls = W.lstm_step()
    diffs = _max_abs_differences(impls)
    figures, share, busy = guarded(lambda: interleaved(impls, 5 if quick else 25))
    checks = _ratio_checks(figures, [("autodiff / pytorch", "autodiff", "pytorch", "≤", 1.5)])
    checks.append(_difference_check("max abs diff / max abs pytorch (out, dW_ih)", diffs, 1e-5))
    return [Row(f"LSTM {W.LSTM_LAYERS} layers, seq {W.LSTM_SEQ}, batch {W.LSTM_BATCH}, "
                f"in {W.LSTM_IN}, hidden {W.LSTM_HIDDEN}, fwd+bwd, f32", figures, "ms", share,
                busy, checks, _difference_note("out/dW_ih", diffs))]


def bench_compiled_chain(quick):
    n = 10_000
    impls = E.deep_chain_compiled(n)
    figures, share, busy = guarded(lambda: interleaved(impls, 3 if quick else 9, warmup=1))
    figures = {k: v / n for k, v in figures.items()}
    checks = [("compiled µs per node", figures["autodiff compiled"] * 1e6, "≤ 1",
               figures["autodiff compiled"] <= 1e-6)]
    return [Row(f"chain of {n:,} scalar ops, fwd+bwd, compiled (per node)", figures, "µs",
                share, busy, checks)]


def bench_fused(quick):
    impls = E.fused_expression()
    figures, share, busy = guarded(lambda: interleaved(impls, 3 if quick else 11))
    checks = _ratio_checks(figures, [
        ("numpy / compiled (speed-up)", "numpy", "autodiff compiled", "≥", 5.0)])
    return [Row("sigmoid(x)·tanh(x) + exp(−x²), 4M float32, fwd+bwd", figures, "ms", share,
                busy, checks, "compiled: forward and backward fused into one generated loop")]


def bench_compile_cold(quick):
    n = 3 if quick else 5
    _python(W.FIRST_COMPILED_SNIPPET)         # the kernel and bytecode caches are warm

    def measure():
        runs = [_python(W.FIRST_COMPILED_SNIPPET) for _ in range(n)]
        return {"first compiled call (trace)": statistics.median(r[0] for r in runs),
                "second call (replay)": statistics.median(r[1] for r in runs)}
    figures, share, busy = guarded(measure)
    first = figures["first compiled call (trace)"]
    checks = [("first compiled MLP call, warm cache (s)", first, "≤ 0.5", first <= 0.5)]
    return [Row("first compiled call (fresh processes)", figures, "s", share, busy, checks)]


def bench_malloc(quick):
    """The eager training loop in fresh processes, with this library's malloc thresholds
    (autodiff/allocator.py) and with glibc's defaults (AUTODIFF_MALLOC=0), alternately."""
    n = 3 if quick else 5
    snippet = W.MALLOC_LOOP_SNIPPET.replace("STEPS", "30" if quick else "100")

    def measure():
        runs = {"tuned": [], "glibc defaults": []}
        for _ in range(n):
            runs["tuned"].append(_python(snippet))
            runs["glibc defaults"].append(_python(snippet, AUTODIFF_MALLOC="0"))
        return runs
    runs, share, busy = guarded(measure)
    if not all(r[2] for r in runs["tuned"]):     # not glibc: nothing to compare
        return []
    figures = {name: statistics.median(r[0] for r in rs) for name, rs in runs.items()}
    faults = {name: statistics.median(r[1] for r in rs) for name, rs in runs.items()}
    checks = _ratio_checks(figures, [("tuned / glibc defaults", "tuned", "glibc defaults",
                                      "≤", 1.0)])
    note = "page faults per step: " + ", ".join(f"{name} {count:.0f}"
                                                for name, count in faults.items())
    return [Row("eager Adam loop, MLP 2-256-256-3 on 300 points (fresh processes; malloc "
                "thresholds of autodiff/allocator.py against glibc's defaults)", figures,
                "ms", share, busy, checks, note)]


def _python(snippet, **environment):
    """Run ``snippet`` in a fresh interpreter; return the numbers it prints.

    The child may read and write Python's bytecode cache (``__pycache__``) even where
    ``PYTHONDONTWRITEBYTECODE`` is set for this process: an installed package has its
    ``.pyc`` files, and without them every fresh process would compile the library's
    sources again (0.1-0.2 s on the machines measured), which no user pays twice."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               **environment)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True,
                         env=env, cwd=ROOT, check=True).stdout
    return [float(v) for v in out.split()]


def bench_cold(quick):
    n = 3 if quick else 7
    _python(W.FIRST_STEP_SNIPPET)             # the kernel and bytecode caches are warm

    def measure():
        imports = [_python(W.IMPORT_SNIPPET)[0] for _ in range(n)]
        steps = [_python(W.FIRST_STEP_SNIPPET) for _ in range(n)]
        return {"import autodiff": statistics.median(imports),
                "first MLP step": statistics.median(s[0] for s in steps),
                "process start to end of first step": statistics.median(s[1] for s in steps)}
    figures, share, busy = guarded(measure)
    checks = [("import autodiff (s)", figures["import autodiff"], "≤ 0.3",
               figures["import autodiff"] <= 0.3),
              ("first MLP step, warm cache (s)", figures["first MLP step"], "≤ 0.5",
               figures["first MLP step"] <= 0.5)]
    return [Row("cold start (fresh processes, warm Numba cache)", figures, "s", share, busy,
                checks, "medians over fresh interpreters")]


def bench_jvp(quick):
    from bench import transforms as T
    impls = T.mlp_jvp()
    figures, share, busy = guarded(lambda: interleaved(impls, 5 if quick else 30))
    checks = _ratio_checks(figures, [
        ("jvp (parameters) / forward", "jvp (parameters)", "forward", "≤", 3.0),
        ("jvp (input) / forward", "jvp (input)", "forward", "≤", 3.0)])
    return [Row("jvp of the MLP 784-256-256-10 forward, batch 128, float64", figures, "ms",
                share, busy, checks, "forward: no tape; jvp records it and pushes tangents")]


def bench_hessian(quick):
    from bench import transforms as T
    rows = []
    impls = T.hessian()
    figures, share, busy = guarded(lambda: interleaved(impls, 3 if quick else 9, warmup=1))
    checks = _ratio_checks(figures, [
        ("jacfwd(jacrev) / jacobian(grad)", "jacfwd(jacrev(f))", "jacobian(grad(f))", "≤", 1.0)])
    checks.append(("same, one pass per input", figures["jacfwd(jacrev(f)), one pass per input"]
                   / figures["jacobian(grad(f))"], "–", None))
    rows.append(Row(f"Hessian of a {T.HESSIAN_N}-input scalar function", figures, "ms",
                    share, busy, checks))
    impls = T.hvp()
    figures, share, busy = guarded(lambda: interleaved(impls, 10 if quick else 60))
    checks = _ratio_checks(figures, [
        ("forward-over-reverse / reverse-over-reverse", "forward over reverse (ad.hvp)",
         "reverse over reverse", "≤", 1.0)])
    rows.append(Row(f"Hessian-vector product, {T.HESSIAN_N} inputs", figures, "ms", share,
                    busy, checks, "ad.hvp uses the faster of the two"))
    return rows


def bench_jac(quick):
    from bench import transforms as T
    rows = []
    for n_in, n_out in T.JAC_SIZES:
        impls = T.jacobians(n_in, n_out)
        figures, share, busy = guarded(lambda: interleaved(impls, 3 if quick else 9, warmup=1))
        checks = [("jacfwd (batched) / jacrev", figures["jacfwd"] / figures["jacrev"], "–",
                   None)]
        ratio = figures["jacfwd, one pass per input"] / figures["jacrev"]
        if n_in == n_out:
            checks.append(("jacfwd one pass per input / jacrev", ratio, "–", None))
        else:
            op = "≤" if n_in < n_out else "≥"
            checks.append(("jacfwd one pass per input / jacrev", ratio,
                           f"{op} 1 (fewer passes wins)",
                           ratio <= 1 if n_in < n_out else ratio >= 1))
        rows.append(Row(f"Jacobian of tanh(B x): {n_in} inputs, {n_out} outputs", figures,
                        "ms", share, busy, checks))
    return rows


BENCHES = {"mlp": bench_mlp, "per_op": bench_per_op, "ce": bench_ce, "emb": bench_emb,
           "act": bench_act, "ln": bench_ln, "gelu": bench_gelu, "chain": bench_chain,
           "cold": bench_cold, "jvp": bench_jvp, "hessian": bench_hessian, "jac": bench_jac,
           "conv": bench_conv, "lstm": bench_lstm, "compiled_chain": bench_compiled_chain,
           "fused": bench_fused, "compile_cold": bench_compile_cold,
           "spiral": bench_spiral, "malloc": bench_malloc, "linalg": bench_linalg}

# ----- reporting ------------------------------------------------------------------------

_SCALE = {"ms": 1e3, "µs": 1e6, "s": 1.0}


def machine_info():
    info = {"python": platform.python_version(), "numpy": np.__version__,
            "cores": str(os.cpu_count())}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(line.split(":", 1)[1].strip() for line in f
                               if line.startswith("model name"))
    except (OSError, StopIteration):
        info["cpu"] = platform.processor() or "unknown"
    info["blas"] = _blas_info()
    try:
        import numba
        info["numba"] = numba.__version__
    except ImportError:
        info["numba"] = "not installed (NumPy twins only)"
    torch = W.torch_or_none()
    info["pytorch"] = f"{torch.__version__}, {torch.get_num_threads()} threads" if torch else \
        "not installed (rows skipped)"
    from autodiff import kernels
    info["AUTODIFF_JIT"] = "on" if kernels.JIT_ENABLED else "off"
    return info


def _blas_info():
    try:
        from threadpoolctl import threadpool_info
        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if pools:
            p = pools[0]
            return (f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture')}), "
                    f"{p.get('num_threads')} threads")
    except ImportError:
        pass
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
        return (f"{blas.get('name')} {blas.get('version')}; threads: "
                f"{threads or 'default (all cores)'}")
    except Exception:
        return "unknown"


def blas_threads():
    try:
        from threadpoolctl import threadpool_info
        for p in threadpool_info():
            if p.get("user_api") == "blas":
                return p["num_threads"]
    except ImportError:
        pass
    value = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    return int(value) if value else os.cpu_count()


def format_table(rows):
    lines = ["| workload | figures (median) | comparison | measured | target | met | other CPU |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        scale = _SCALE[row.unit]
        figs = "; ".join(f"{k} {v * scale:.3g} {row.unit}" for k, v in row.figures.items())
        if row.note:
            figs += f" ({row.note})"
        load = f"{row.share:.0%}" + (" **busy**" if row.busy else "")
        for i, (label, value, target, ok) in enumerate(row.checks):
            measured = "n/a (not installed)" if value is None else (
                f"{value:.2f} µs" if "µs" in label else
                f"{value:.1e}" if label.startswith("max |") or 0 < abs(value) < 0.01
                else f"{value:.2f}")
            met = "–" if ok is None else ("yes" if ok else "**no**")
            first = i == 0
            lines.append(f"| {row.workload if first else ''} | {figs if first else ''} | {label} "
                         f"| {measured} | {target} | {met} | {load if first else ''} |")
    return "\n".join(lines)


START, END = "<!-- results:start -->", "<!-- results:end -->"


def write_results(text, path=os.path.join(HERE, "RESULTS.md")):
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
        if START in old and END in old:
            head, rest = old.split(START, 1)
            tail = rest.split(END, 1)[1]
            text = head + START + "\n" + text + "\n" + END + tail
        else:
            text = old.rstrip() + "\n\n" + START + "\n" + text + "\n" + END + "\n"
    else:
        text = "# Benchmark results\n\n" + START + "\n" + text + "\n" + END + "\n"
    with open(path, "w") as f:
        f.write(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run the autodiff benchmarks.")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--only", default="", help="comma-separated subset: " + ",".join(BENCHES))
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args(argv)
    chosen = [b.strip() for b in args.only.split(",") if b.strip()] or list(BENCHES)
    unknown = set(chosen) - set(BENCHES)
    if unknown:
        parser.error(f"unknown benchmark(s) {sorted(unknown)}; choose from {list(BENCHES)}")
    torch = W.torch_or_none()
    if torch is not None:
        torch.set_num_threads(blas_threads())
    info = machine_info()
    rows = []
    started = time.time()
    for name in chosen:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows.extend(BENCHES[name](args.quick))
    machine = "\n".join(f"- {k}: {v}" for k, v in info.items())
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(started))
    options = " ".join(argv or sys.argv[1:])
    command = f"python -m bench {options}".strip()
    text = (f"Run of {stamp} (`{command}`, "
            f"{time.time() - started:.0f} s).\n\n{machine}\n\n{format_table(rows)}\n")
    print(text)
    if not args.no_write and not args.only and not args.quick:
        write_results(text)
    return rows


if __name__ == "__main__":
    main()
