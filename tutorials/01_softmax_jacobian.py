"""01 - Softmax and its Jacobian.

Question: how do I implement softmax and its derivative in NumPy, and why do my
"derivatives" come out as zeros?

Softmax maps a vector to probabilities that sum to one.  Because they always sum
to one, the sum of softmax has derivative zero - so every "check" that sums the
Jacobian, or backpropagates from sum(softmax(z)), prints zeros.  Backprop never
needs the Jacobian itself: it needs the vector-Jacobian product with the gradient
that arrives from the loss, s * (g - g.s), which costs O(n) instead of O(n^2).

Run:  python tutorials/01_softmax_jacobian.py [--quick] [--out DIR]
"""

# %%
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make `tutorials` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import kernels
from autodiff.kernels import numpy_twins
from autodiff.kernels import parts as kernel_parts
from tutorials._common import Tutorial, interleaved_median_times, plt, rel_error

# %% [markdown]
# ## 1. Naive vs max-subtracted softmax
# exp(1000) overflows to inf, and inf/inf is NaN.  softmax(z) = softmax(z - c) for
# any constant c (the factor exp(-c) cancels), so subtract the row maximum: the
# largest exponent becomes exp(0) = 1 and nothing can overflow.

# %%
def softmax_naive(z, axis=-1):
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_stable(z, axis=-1):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def part_stability(tut):
    tut.section("1. naive vs max-subtracted softmax")
    z = np.array([1000.0, 1000.0, 999.0])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = softmax_naive(z)
    stable = softmax_stable(z)
    print(f"logits {z}")
    print(f"  naive  exp(z)/sum: {naive}   (exp(1000) = inf, inf/inf = nan)")
    print(f"  stable exp(z-max): {np.round(stable, 6)}")
    print(f"  F.softmax:         {np.round(F.softmax(ad.tensor(z)).data, 6)}")
    return bool(np.isnan(naive).all()), bool(np.isfinite(stable).all())


# %% [markdown]
# ## 2. Why `axis` matters for a batch
# With a batch of rows (one example per row, one class per column) each row must sum
# to one.  Without `axis` the whole batch is normalized together; with `axis=0` the
# columns are; and `keepdims=False` on a square batch divides entry (i, j) by the
# sum of *row j* (the (3,) sums broadcast along the last axis) - no error, just
# wrong numbers.

# %%
def part_axis(tut):
    tut.section("2. axis for 2-D inputs")
    Z = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0], [0.0, 5.0, 0.0]])   # 3 examples x 3 classes
    e = np.exp(Z - Z.max())
    variants = {
        "no axis": e / e.sum(),
        "axis=0 (columns)": e / e.sum(axis=0, keepdims=True),
        "axis=1, keepdims=False": e / e.sum(axis=1),
        "axis=1, keepdims=True": e / e.sum(axis=1, keepdims=True),
    }
    for label, s in variants.items():
        print(f"  {label:<24} row sums {np.round(s.sum(axis=1), 3)}   row 0 {np.round(s[0], 3)}")
    print("  only the last gives one probability vector per example (= F.softmax(Z, axis=-1): "
          f"{np.allclose(variants['axis=1, keepdims=True'], F.softmax(ad.tensor(Z)).data)})")


# %% [markdown]
# ## 3. The Jacobian, and why its rows sum to zero
# ds_i/dz_j = s_i (delta_ij - s_j), i.e. J = diag(s) - s s^T.  Each column sums to
# zero because sum_i s_i = 1 for every z, so nudging z_j cannot change the total;
# J is symmetric, so its rows sum to zero too.  For the same reason the gradient of
# sum(softmax(z)) is zero - mathematically exactly, in floating point a few 1e-17
# of rounding (printed below) - the most common source of "my derivatives are all
# zeros".

# %%
def part_jacobian(tut, n=6):
    tut.section("3. the Jacobian diag(s) - s s^T")
    z = tut.rng.standard_normal(n)
    s = softmax_stable(z)
    J = ad.jacobian(F.softmax)(z)
    formula = np.diag(s) - np.outer(s, s)
    vs_formula = float(np.max(np.abs(J - formula)))
    row_sums = J.sum(axis=1)
    print(f"ad.jacobian(F.softmax) vs diag(s) - s s^T: max |difference| {vs_formula:.1e}")
    print(f"row sums of J: {np.array2string(row_sums, precision=1)}")
    x = ad.tensor(z, requires_grad=True)
    F.softmax(x).sum().backward()
    print(f"gradient of sum(softmax(z)): {np.array2string(x.grad, precision=1)} "
          "(sum is always 1: zero is the right answer to the wrong question)")
    return J, s, vs_formula, float(np.max(np.abs(row_sums))), float(np.max(np.abs(x.grad)))


# %% [markdown]
# ## 4. What backprop needs: the vector-Jacobian product
# The loss sends back g = dL/ds.  Then dL/dz = J^T g = s * (g - (g . s)): one dot
# product and two element-wise operations, no n x n matrix.

# %%
def part_vjp(tut, J, s):
    tut.section("4. the vector-Jacobian product s * (g - g.s)")
    g = tut.rng.standard_normal(len(s))
    x = ad.tensor(np.log(s), requires_grad=True)      # logits whose softmax is s
    F.softmax(x).backward(g)
    formula = s * (g - g @ s)
    err = max(rel_error(x.grad, formula), rel_error(x.grad, J.T @ g))
    print(f"upstream g = {np.round(g, 3)}")
    print(f"autodiff dL/dz  = {np.round(x.grad, 4)}")
    print(f"s * (g - g.s)   = {np.round(formula, 4)}   (J^T g agrees; relative error {err:.1e})")
    return err


# %% [markdown]
# ## 5. Softmax + cross-entropy: p - onehot
# With L = -mean_i log p_{i, y_i}, the two Jacobians combine into the famous
# dL/dz = (p - onehot(y)) / N - which is why frameworks fuse them into one op.

# %%
def part_cross_entropy(tut):
    tut.section("5. softmax + cross-entropy gradient = (p - onehot) / N")
    N, C = 4, 5
    logits = tut.rng.standard_normal((N, C))
    y = tut.rng.integers(0, C, size=N)
    z = ad.tensor(logits, requires_grad=True)
    F.cross_entropy(z, y).backward()
    expected = (softmax_stable(logits) - np.eye(C)[y]) / N
    err = rel_error(z.grad, expected)
    print(f"targets {y}; autodiff grad row 0: {np.round(z.grad[0], 4)}")
    print(f"(p - onehot)/N row 0:            {np.round(expected[0], 4)}   "
          f"(all rows: relative error {err:.1e})")
    return err


# %% [markdown]
# ## 6. The same NumPy function, differentiated unchanged
# NumPy functions called on Tensors are recorded on the tape, so `softmax_stable`
# above - written for ndarrays - can be backpropagated as is.  Its graph shows the
# five primitives it is made of; `F.softmax` is a single op with a fused backward.

# %%
def part_interop(tut):
    tut.section("6. differentiating the NumPy-written softmax")
    Z = tut.rng.standard_normal((4, 3))
    a = ad.tensor(Z, requires_grad=True, name="z")
    out_np = softmax_stable(a, axis=1)
    print(f"softmax_stable(Tensor) returns a {type(out_np).__name__}")
    out_np[:, 0].sum().backward()
    b = ad.tensor(Z, requires_grad=True, name="z")
    F.softmax(b, axis=1)[:, 0].sum().backward()
    err = rel_error(a.grad, b.grad)
    print(f"gradient through NumPy code vs F.softmax: relative error {err:.1e}")
    a2 = ad.tensor(Z, name="z", requires_grad=True)
    graph_np = softmax_stable(a2, axis=1)
    graph_np.name = "softmax (NumPy code)"
    tut.graph(graph_np, "softmax_numpy_graph")
    graph_op = F.softmax(ad.tensor(Z, name="z", requires_grad=True), axis=1)
    graph_op.name = "F.softmax"
    tut.graph(graph_op, "softmax_op_graph")
    return err


# %% [markdown]
# ## 7. The compiled kernel vs plain NumPy
# `F.softmax` calls `autodiff.kernels.softmax`; with Numba installed (and a large
# enough float array) that is a JIT kernel, otherwise its NumPy twin.  The kernel
# works on one row at a time while it sits in cache (max, exp, sum, scale) and writes
# straight into the output, where NumPy makes a full-size temporary array for every
# step; on a large batch it also splits the rows over a few threads (printed below),
# while these NumPy calls run on one.  Wall-clock medians of repeated rounds (the four
# calls timed in turn in each round), after a warm-up call that triggers compilation.

# %%
def part_timing(tut):
    tut.section("7. JIT kernel vs plain NumPy")
    shape = (512, 100) if tut.quick else (8192, 1000)
    X = tut.rng.standard_normal(shape)
    G = tut.rng.standard_normal(shape)
    jit_fwd, np_fwd = kernels.softmax, numpy_twins.softmax
    jit_bwd, np_bwd = kernels.softmax_backward, numpy_twins.softmax_backward
    S = np_fwd(X, -1)
    diff = max(float(np.max(np.abs(jit_fwd(X, -1) - S))),      # (also the warm-up)
               float(np.max(np.abs(jit_bwd(G, S, -1) - np_bwd(G, S, -1)))))
    # kernels.softmax is always a function of its own; whether it ran compiled code is
    # whether JIT is enabled and the Numba kernels loaded on that warm-up call.
    is_jit = bool(kernels.JIT_ENABLED and kernels.loaded())
    threads = kernel_parts.how_many(shape[0], shape[1]) if is_jit else 1
    repeats = 7 if tut.quick else 15
    times = interleaved_median_times({
        ("forward", "NumPy"): lambda: np_fwd(X, -1),
        ("forward", "kernel"): lambda: jit_fwd(X, -1),
        ("backward", "NumPy"): lambda: np_bwd(G, S, -1),
        ("backward", "kernel"): lambda: jit_bwd(G, S, -1),
    }, repeats)
    label = (f"Numba JIT, rows split over {threads} thread(s)" if is_jit
             else "NumPy twin (JIT not enabled or Numba missing)")
    print(f"batch {shape}, float64; kernels.softmax is the {label}; "
          f"max |kernel - NumPy| = {diff:.1e}")
    rows = []
    for part in ("forward", "backward"):
        t_np, t_k = times[(part, "NumPy")], times[(part, "kernel")]
        rows.append((part, f"{t_np * 1e3:.3f} ms", f"{t_k * 1e3:.3f} ms", f"{t_np / t_k:.2f}x"))
    tut.table(["pass", "NumPy", "kernel", "speed-up"], rows, fmt="{:>14}")
    print("(medians on this run: other processes on a busy machine move them)")
    speedup = times[("forward", "NumPy")] / times[("forward", "kernel")]
    return times, diff, speedup, is_jit


# %%
def part_figure(tut, J, s, times):
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [1.1, 1]})
    lim = np.max(np.abs(J))
    im = a.imshow(J, cmap="RdBu_r", vmin=-lim, vmax=lim)
    for (i, j), v in np.ndenumerate(J):
        a.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
               color="white" if abs(v) > 0.6 * lim else "black")
    a.set(title="softmax Jacobian diag(s) - s s^T\n(every row and column sums to 0)",
          xlabel="z_j", ylabel="s_i")
    fig.colorbar(im, ax=a, fraction=0.046, label="d s_i / d z_j")
    parts = ["forward", "backward"]
    width = 0.38
    for k, (impl, color) in enumerate([("NumPy", "C0"), ("kernel", "C1")]):
        ms = [times[(p, impl)] * 1e3 for p in parts]
        b.bar(np.arange(2) + (k - 0.5) * width, ms, width, color=color, label=impl)
    b.set_xticks(range(2), parts)
    b.set(ylabel="ms per call (median)", title="softmax kernel vs plain NumPy")
    b.legend()
    tut.savefig(fig, "softmax_jacobian.png")


# %%
def main(argv=None) -> dict:
    tut = Tutorial(__file__, argv, 'how do I implement softmax and its derivative in NumPy, '
                   'and why do my "derivatives" come out as zeros?')
    naive_nan, stable_ok = part_stability(tut)
    part_axis(tut)
    J, s, vs_formula, row_sum_max, sum_grad_max = part_jacobian(tut)
    vjp_err = part_vjp(tut, J, s)
    ce_err = part_cross_entropy(tut)
    interop_err = part_interop(tut)
    times, kernel_diff, speedup, is_jit = part_timing(tut)
    part_figure(tut, J, s, times)
    return tut.finish(
        summary=f"Jacobian = diag(s) - s s^T (max diff {vs_formula:.0e}); rows sum to "
                f"{row_sum_max:.0e}; VJP s*(g - g.s) matches; kernel forward "
                f"{speedup:.1f}x NumPy's speed on this run",
        naive_overflow_nan=naive_nan, stable_finite=stable_ok, jacobian_vs_formula=vs_formula,
        jacobian_row_sums_max=row_sum_max, sum_softmax_grad_max=sum_grad_max,
        vjp_vs_formula=vjp_err, cross_entropy_vs_p_minus_onehot=ce_err,
        interop_vs_op=interop_err, kernel_vs_numpy_max_diff=kernel_diff,
        kernel_speedup=speedup, kernel_is_jit=is_jit,
        kernel_times={f"{k[0]}_{k[1]}": v for k, v in times.items()})


if __name__ == "__main__":
    main()
