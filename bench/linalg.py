"""Linear-algebra workloads: ``ad.linalg.lu_factor`` of a (8, 128, 128) float64 batch
(blocked LU with a Numba panel kernel), and ``ad.linalg.matrix_exp`` of a 128 x 128
float64 matrix, forward alone and forward+backward (the gradient is one Fréchet
derivative computed on n x n blocks); PyTorch's as the baseline.  Each implementation
returns its results, so the runner can compare them.
"""

from __future__ import annotations

import numpy as np

from bench.workloads import torch_or_none

LU_SHAPE, EXP_N = (8, 128, 128), 128


def _data(seed=5):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(LU_SHAPE), rng.standard_normal((EXP_N, EXP_N)) / np.sqrt(EXP_N)


def lu_factor():
    """``lu_factor``: (LU, pivots) of each implementation."""
    import autodiff as ad
    a, _ = _data()
    impls = {"autodiff": lambda: tuple(t.data for t in ad.linalg.lu_factor(a))}
    torch = torch_or_none()
    if torch is not None:
        ta = torch.from_numpy(a)
        impls["pytorch"] = lambda: tuple(t.numpy() for t in torch.linalg.lu_factor(ta))
    return impls


def matrix_exp():
    """``matrix_exp`` forward (``... fwd``: (exp(A),)) and forward plus the backward of
    its sum (``... fwd+bwd``: (exp(A), grad))."""
    import autodiff as ad
    _, a = _data()

    def engine(backward):
        x = ad.tensor(a, requires_grad=backward)
        y = ad.linalg.matrix_exp(x)
        if not backward:
            return (y.data,)
        y.sum().backward()
        return y.data, x.grad
    impls = {"autodiff fwd": lambda: engine(False), "autodiff fwd+bwd": lambda: engine(True)}
    torch = torch_or_none()
    if torch is not None:
        def torch_exp(backward):
            x = torch.from_numpy(a).requires_grad_(backward)
            y = torch.linalg.matrix_exp(x)
            if not backward:
                return (y.detach().numpy(),)
            y.sum().backward()
            return y.detach().numpy(), x.grad.numpy()
        impls["pytorch fwd"] = lambda: torch_exp(False)
        impls["pytorch fwd+bwd"] = lambda: torch_exp(True)
    return impls


def bench_linalg(quick):
    """Rows for ``python -m bench --only linalg``."""
    from bench import run as R

    repeats = 3 if quick else 9
    impls = lu_factor()
    diffs = R._max_abs_differences(impls)
    figures, share, busy = R.guarded(lambda: R.interleaved(impls, repeats))
    checks = R._ratio_checks(figures, [("autodiff / pytorch", "autodiff", "pytorch", "≤", 3.0)])
    checks.append(R._difference_check("max abs diff / max abs pytorch", diffs, 1e-13))
    rows = [R.Row(f"linalg.lu_factor {LU_SHAPE} f64", figures, "ms", share, busy, checks,
                  R._difference_note("LU/pivots", diffs))]
    impls = matrix_exp()
    diffs = R._max_abs_differences({"autodiff": impls["autodiff fwd+bwd"],
                                    **({"pytorch": impls["pytorch fwd+bwd"]}
                                       if "pytorch fwd+bwd" in impls else {})})
    figures, share, busy = R.guarded(lambda: R.interleaved(impls, repeats))
    checks = R._ratio_checks(figures, [
        ("autodiff fwd+bwd / autodiff fwd", "autodiff fwd+bwd", "autodiff fwd", "≤", 3.0),
        ("autodiff fwd+bwd / pytorch fwd+bwd", "autodiff fwd+bwd", "pytorch fwd+bwd", "≤", 1.5)])
    checks.append(R._difference_check("max abs diff / max abs pytorch", diffs, 1e-12))
    rows.append(R.Row(f"linalg.matrix_exp ({EXP_N}, {EXP_N}) f64, fwd and fwd+bwd (sum)",
                      figures, "ms", share, busy, checks,
                      R._difference_note("exp/grad", diffs)))
    return rows
