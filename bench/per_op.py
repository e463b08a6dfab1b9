"""Per-op overhead: a chain of small elementwise ops on a shape-(4,) tensor, fwd + bwd.

    python bench/per_op.py            # prints µs per op for autodiff (and PyTorch if installed)

The chain cycles through multiply, add, tanh, multiply, sin, exp-free ops so values
stay bounded; every op is recorded and differentiated.  Figures are medians of
repeats; implementations are interleaved round by round.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

N_OPS = 200


def autodiff_chain(n_ops=N_OPS):
    import autodiff as ad

    x = ad.tensor(np.linspace(-1, 1, 4), requires_grad=True)

    def run():
        y = x
        for i in range(n_ops // 4):
            y = y * 0.9
            y = y + 0.1
            y = ad.tanh(y)
            y = ad.sin(y)
        y.sum().backward()          # the final sum is one more op; negligible
        x.grad = None

    return run


def autodiff_compiled_chain(n_ops=N_OPS):
    """The same chain through ``ad.compile``: traced once, then replayed."""
    import autodiff as ad

    run = autodiff_chain(n_ops)
    return ad.compile(run)


def torch_chain(n_ops=N_OPS):
    import torch

    x = torch.linspace(-1, 1, 4, dtype=torch.float64, requires_grad=True)

    def run():
        y = x
        for i in range(n_ops // 4):
            y = y * 0.9
            y = y + 0.1
            y = torch.tanh(y)
            y = torch.sin(y)
        y.sum().backward()
        x.grad = None

    return run


def numpy_chain(n_ops=N_OPS):
    """Hand-written NumPy forward and backward of the same chain (the practical floor)."""
    x = np.linspace(-1, 1, 4)

    def run():
        y = x
        saved = []
        for i in range(n_ops // 4):
            y = y * 0.9
            y = y + 0.1
            t = np.tanh(y)
            saved.append((t, t))
            y = np.sin(t)
            saved[-1] = (t, np.cos(t))
        g = np.ones_like(y)
        for t, cos_t in reversed(saved):
            g = g * cos_t
            g = g * (1 - t * t)
            g = g * 0.9
        return g

    return run


def measure(runners, repeats=30, n_ops=N_OPS):
    """Median seconds per op for each runner, interleaved round by round."""
    times = {name: [] for name in runners}
    for run in runners.values():
        run()                                   # warm-up
    for _ in range(repeats):
        for name, run in runners.items():
            start = time.perf_counter()
            run()
            times[name].append((time.perf_counter() - start) / n_ops)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main():
    runners = {"autodiff": autodiff_chain(), "numpy (hand-written)": numpy_chain()}
    try:
        runners["pytorch"] = torch_chain()
    except ImportError:
        pass
    results = measure(runners)
    base = results["autodiff"]
    print(f"per-op cost, chain of {N_OPS} elementwise ops on shape (4,), forward+backward")
    for name, sec in results.items():
        print(f"  {name:22s} {sec * 1e6:6.2f} µs/op   (autodiff / this = {base / sec:5.2f})")
    return results


if __name__ == "__main__":
    main()
