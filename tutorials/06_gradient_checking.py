"""06 - Gradient checking.

Question: my backprop and finite differences disagree - who is wrong?

Finite differences are an approximation with two error sources that pull in
opposite directions: truncation (the step is too big) and round-off (the step is
so small that f(x+eps) - f(x-eps) loses its digits).  Before blaming backprop,
make the numerical side trustworthy: central differences, float64, eps near 1e-6,
a *relative* error measure, and points away from kinks.  If they still disagree,
backprop is wrong - and the pattern of the mismatch usually says where.

Run:  python tutorials/06_gradient_checking.py [--quick] [--out DIR]
"""

# %%
from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make `tutorials` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import autodiff as ad
import autodiff.nn.functional as F
from tutorials._common import Tutorial, plt

# %% [markdown]
# ## 1. Forward vs central differences, and the choice of eps
# Forward: (f(x+eps) - f(x)) / eps has truncation error ~ eps * f''/2.
# Central: (f(x+eps) - f(x-eps)) / (2 eps) has truncation error ~ eps^2 * f'''/6,
# because the even terms of the Taylor series cancel.  Both suffer round-off
# ~ u * |f| / eps, where u is the machine epsilon (2.2e-16 in float64, 1.2e-7 in
# float32).  Balancing the two gives the best eps: about sqrt(u) for forward and
# u^(1/3) for central differences - and a floor on the achievable error.

# %%
def f_np(x):
    return np.exp(x) * np.sin(x)


def f_ad(x):
    return ad.exp(x) * ad.sin(x)


def part_eps(tut):
    tut.section("1. forward vs central differences; error vs eps")
    x0 = 1.0
    exact = float(ad.grad(f_ad)(x0))                 # e^x (sin x + cos x), from the tape
    print(f"f(x) = exp(x) sin(x) at x = 1: backprop says f'(1) = {exact:.15f} "
          f"(formula: {np.exp(1) * (np.sin(1) + np.cos(1)):.15f})")
    epsilons = np.logspace(-13, -1, 25 if tut.quick else 61)
    curves = {}
    for dtype in (np.float64, np.float32):
        x = dtype(x0)
        for scheme in ("forward", "central"):
            errs = []
            for eps in epsilons:
                e = dtype(eps)
                if scheme == "forward":
                    approx = (f_np(x + e) - f_np(x)) / e
                else:
                    approx = (f_np(x + e) - f_np(x - e)) / (2 * e)
                # the actual step is (x + e) - x, which need not equal e once rounded
                errs.append(abs(float(approx) - exact) if np.isfinite(approx) else np.nan)
            curves[(np.dtype(dtype).name, scheme)] = np.array(errs)
    rows, best = [], {}
    for (dtype, scheme), errs in curves.items():
        safe = np.where(np.isfinite(errs) & (errs > 0), errs, np.inf)
        k = int(np.argmin(safe))
        u = np.finfo(dtype).eps
        theory = np.sqrt(u) if scheme == "forward" else u ** (1 / 3)
        best[f"{dtype}_{scheme}"] = (float(epsilons[k]), float(safe[k]))
        rows.append((dtype, scheme, epsilons[k], theory, safe[k],
                     errs[np.argmin(abs(epsilons - 1e-6))]))
    tut.table(["dtype", "scheme", "best eps", "theory eps", "best error", "err@1e-6"], rows)
    f64, f32 = best["float64_central"][1], best["float32_central"][1]
    print(f"float64 + central differences gets within {f64:.0e} of the truth; float32 cannot\n"
          f"do better than {f32:.0e} even at its best eps, and is off by "
          f"{rows[3][5]:.0e} at eps = 1e-6:\nalways gradcheck in float64, with central "
          "differences.")

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    styles = {"forward": "--", "central": "-"}
    for (dtype, scheme), errs in curves.items():
        ax.loglog(epsilons, errs, styles[scheme], marker=".", ms=4, label=f"{dtype} {scheme}")
    ax.axvline(1e-6, color="gray", lw=0.8, ls=":")
    ax.set(xlabel="eps", ylabel="|finite difference - backprop|",
           title="Finite-difference error vs step size\n(f = exp(x) sin(x), x = 1)")
    ax.legend()
    tut.savefig(fig, "error_vs_eps.png")
    return best


# %% [markdown]
# ## 2. Measure the error relatively
# A gradient entry of 2e4 that is off by 1e-5 is perfect; an entry of 2e-7 that is
# off by 1e-7 is 50% wrong.  An absolute tolerance of 1e-6 flags the first and passes
# the second.  Compare |a - n| / max(|a|, |n|) instead (or, like `ad.gradcheck`,
# |a - n| <= atol + rtol * |n| with a tiny atol that only matters near zero).

# %%
def part_relative(tut):
    tut.section("2. absolute vs relative error")
    analytic = np.array([20000.0, 2.0e-7, 3.0])
    # a correct gradient seen through finite-difference noise, a buggy tiny entry
    # (analytic twice the true value), and a correct ordinary entry
    numeric = np.array([20000.0 + 1e-5, 1.0e-7, 3.0 + 1e-9])
    absolute = np.abs(analytic - numeric)
    relative = absolute / np.maximum(np.abs(analytic), np.abs(numeric))
    verdict_abs = np.where(absolute < 1e-6, "ok", "FAIL")
    verdict_rel = np.where(relative < 1e-6, "ok", "FAIL")
    tut.table(["analytic", "numeric", "abs err", "abs<1e-6", "rel err", "rel<1e-6"],
              list(zip(analytic, numeric, absolute, verdict_abs, relative, verdict_rel)))
    truth = np.array(["ok", "FAIL", "ok"])                # entry 1 is the bug
    print(f"right verdicts: absolute test {int((verdict_abs == truth).sum())} of 3 (it fails "
          "the correct large entry and passes\nthe 50% bug in the tiny one); relative test "
          f"{int((verdict_rel == truth).sum())} of 3.")


# %% [markdown]
# ## 3. `ad.gradcheck` on a network's loss
# `ad.gradcheck(f, inputs)` perturbs every entry of every float input, compares the
# central differences with the tape's Jacobian, and raises `GradcheckError` listing
# the worst entries.  It costs two forward passes per input entry, so check a
# *small* network - the code path is the same as for a big one.

# %%
def make_network(rng, n_in, n_hidden, n_out):
    W1 = rng.standard_normal((n_in, n_hidden)) / np.sqrt(n_in)
    b1 = 0.1 * rng.standard_normal(n_hidden)
    W2 = rng.standard_normal((n_hidden, n_out)) / np.sqrt(n_hidden)
    b2 = 0.1 * rng.standard_normal(n_out)
    return [W1, b1, W2, b2]


def network_loss(W1, b1, W2, b2, X, y, loss_fn=None):
    h = ad.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    if loss_fn is None:
        return F.cross_entropy(logits, y)
    return loss_fn(logits, y)


def part_network(tut):
    tut.section("3. ad.gradcheck on a network's loss")
    rng = tut.rng
    sizes = (3, 5, 4) if tut.quick else (4, 16, 5)
    params = make_network(rng, *sizes)
    X = rng.standard_normal((6, sizes[0]))
    y = rng.integers(0, sizes[2], size=6)
    n_entries = sum(p.size for p in params)
    ok = ad.gradcheck(lambda *p: network_loss(*p, X, y), params)
    analytic = ad.grad(lambda *p: network_loss(*p, X, y), argnums=(0, 1, 2, 3))(*params)
    numeric = ad.numerical_grad(lambda *p: network_loss(*p, X, y), params)
    # Per parameter, the norm-wise relative error |a - n| / max(|a|, |n|): entry-wise
    # ratios blow up on entries that are themselves ~1e-8, where only noise is left.
    per_param = [np.linalg.norm(a - n) / max(np.linalg.norm(a), np.linalg.norm(n))
                 for a, n in zip(analytic, numeric)]
    worst = float(max(per_param))
    print(f"{sizes[0]}-{sizes[1]}-{sizes[2]} tanh network, {n_entries} parameters, "
          f"float64: gradcheck -> {ok}")
    print("relative error per parameter (W1, b1, W2, b2): "
          + ", ".join(f"{e:.1e}" for e in per_param))
    params32 = [p.astype(np.float32) for p in params]
    with warnings.catch_warnings(record=True) as caught:     # it warns before checking
        warnings.simplefilter("always", UserWarning)
        try:
            ad.gradcheck(lambda *p: network_loss(*p, X.astype(np.float32), y), params32)
            float32_verdict = "passed"
        except ad.GradcheckError as exc:
            float32_verdict = "raised GradcheckError:\n  " + str(exc).replace("\n", "\n  ")
    if caught:
        print(f"gradcheck warned first: {caught[0].message}")
    print(f"the same check in float32 {float32_verdict}\n"
          "  -> here the finite differences are wrong, not backprop (see part 1).")
    return ok, worst


# %% [markdown]
# ## 4. A kink: neither side is wrong
# At a point where the function is not differentiable (relu at 0, max with ties,
# abs at 0) the two one-sided slopes differ; central differences average them,
# backprop picks one.  Random inputs almost never land exactly on a kink, but
# an input within eps of one is enough to confuse the check.

# %%
def part_kink(tut):
    tut.section("4. checking at a kink")
    x = np.array([0.0, 1e-7, 0.5])
    analytic = ad.grad(lambda t: ad.relu(t).sum())(x)
    numeric = ad.numerical_grad(lambda t: ad.relu(t).sum(), [x])[0]
    tut.table(["x", "backprop", "central diff"], list(zip(x, analytic, numeric)),
              fmt="{:>14}")
    print("relu'(0) is a convention (0 here); x = 1e-7 is within eps = 1e-6 of the kink,\n"
          "so the finite difference straddles it.  Check at random points away from kinks.")


# %% [markdown]
# ## 5. A bug planted on purpose, and found
# A hand-written softmax-cross-entropy whose backward forgets to divide by the
# batch size - a classic.  With a batch of one the bug is invisible, so check with
# a batch of several rows.  The constant ratio analytic / numerical = N is the
# fingerprint of a missing scale factor.

# %%
class BuggyCrossEntropy(ad.Function):
    """Mean cross-entropy of (N, C) logits; backward forgets the 1/N of the mean."""

    @staticmethod
    def forward(ctx, logits, onehot):
        shifted = logits - logits.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        ctx.save_for_backward(np.exp(logp), onehot)
        return np.asarray(-(onehot * logp).sum() / len(logits))

    @staticmethod
    def backward(ctx, grad):
        probs, onehot = ctx.saved
        return grad * (probs - onehot), None          # BUG: should be / len(probs)


class FixedCrossEntropy(BuggyCrossEntropy):
    @staticmethod
    def backward(ctx, grad):
        probs, onehot = ctx.saved
        return grad * (probs - onehot) / len(probs), None


def part_planted_bug(tut):
    tut.section("5. a planted bug, found by gradcheck")
    rng = tut.rng
    N, C = 4, 3
    logits = rng.standard_normal((N, C))
    onehot = np.eye(C)[rng.integers(0, C, size=N)]
    single = ad.gradcheck(lambda z: BuggyCrossEntropy.apply(z, onehot[:1]), [logits[:1]])
    print(f"buggy backward, batch of 1: gradcheck -> {single} (the bug hides: N = 1)")
    caught, message = False, ""
    try:
        ad.gradcheck(lambda z: BuggyCrossEntropy.apply(z, onehot), [logits])
    except ad.GradcheckError as exc:
        caught, message = True, str(exc)
    print(f"buggy backward, batch of {N}: GradcheckError raised = {caught}")
    print("  " + message.replace("\n", "\n  "))
    analytic = ad.grad(lambda z: BuggyCrossEntropy.apply(z, onehot))(logits)
    numeric = ad.numerical_grad(lambda z: BuggyCrossEntropy.apply(z, onehot), [logits])[0]
    ratio = analytic / numeric
    print(f"analytic / numerical per entry: min {ratio.min():.4f}, max {ratio.max():.4f} "
          f"-> a constant factor {np.median(ratio):.1f} = N: the 1/N of the mean is missing")

    # In a whole network the message's "input k" points at the parameter to suspect.
    params = make_network(rng, 3, 5, C)
    X = rng.standard_normal((N, 3))

    def buggy_net(*p):
        return network_loss(*p, X, onehot, loss_fn=BuggyCrossEntropy.apply)
    try:
        ad.gradcheck(buggy_net, params)
        in_network = False
    except ad.GradcheckError:
        in_network = True
    fixed = ad.gradcheck(lambda z: FixedCrossEntropy.apply(z, onehot), [logits])
    fixed_net = ad.gradcheck(
        lambda *p: network_loss(*p, X, onehot, loss_fn=FixedCrossEntropy.apply), params)
    print(f"inside a network: caught = {in_network}; after the fix: "
          f"gradcheck -> {fixed} (alone), {fixed_net} (in the network)")
    loss = network_loss(*[ad.tensor(p, requires_grad=True, name=n) for p, n in
                          zip(params, ["W1", "b1", "W2", "b2"])],
                        ad.tensor(X, name="X"), onehot, loss_fn=FixedCrossEntropy.apply)
    tut.graph(loss, "network_with_custom_loss")
    return {"bug_caught": caught, "bug_hidden_at_batch_1": single is True,
            "bug_caught_in_network": in_network, "fixed_passes": bool(fixed and fixed_net),
            "bug_ratio": float(np.median(ratio))}


# %%
def main(argv=None) -> dict:
    tut = Tutorial(__file__, argv, "my backprop and finite differences disagree - "
                   "who is wrong?")
    best = part_eps(tut)
    part_relative(tut)
    network_ok, network_err = part_network(tut)
    part_kink(tut)
    bug = part_planted_bug(tut)
    return tut.finish(
        summary=f"network gradcheck passes (rel err {network_err:.1e}); planted 1/N bug "
                f"caught = {bug['bug_caught']} (ratio {bug['bug_ratio']:.1f}); best central "
                f"eps in float64 = {best['float64_central'][0]:.0e}",
        best_eps=best, network_ok=network_ok, network_rel_error=network_err, **bug)


if __name__ == "__main__":
    main()
