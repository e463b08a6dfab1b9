"""02 - A trainable bump layer.

Question: why does my trainable threshold get "no gradients", and why does my loss
turn into NaN?

A comparison (x > t) is a step function of t: flat everywhere except at the jump,
so its derivative is zero and autodiff records no gradient path through it.  A
threshold only learns if it also appears in *arithmetic* on the selected values.
The NaN comes from `where`: both branches are computed everywhere, and in the
backward pass the unselected branch receives gradient 0 - but 0 * inf = NaN when
that branch's derivative is infinite there.  The cure is the "double where":
feed the unselected positions a safe value before the dangerous formula.

The layer: the generalized bump  f(x; s) = exp(-s / (s - x^2))  for |x| < s
(s <= 1), else 0 - compactly supported, smooth inside its support (at s = 1 it is
the classic smooth bump; for s < 1 it jumps to 0 at the edge), trainable in s.

Run:  python tutorials/02_bump_layer.py [--quick] [--out DIR]
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
# ## 1. A threshold used only in a comparison gets no gradient
# y = where(x > t, x, 0): t decides *which* values pass, but the values themselves
# do not contain t.  Moving t a little changes nothing (until a point crosses it),
# so dL/dt = 0 almost everywhere - and the library reports "no gradient".

# %%
def part_threshold(tut):
    tut.section("1. a threshold used only in a comparison")
    x = ad.tensor(tut.rng.uniform(-1, 1, 8))
    target = ad.tensor(np.where(x.data > 0.5, 2 * x.data, 0.0))
    t = ad.nn.Parameter(np.array(0.0), name="threshold")
    try:
        F.mse_loss(ad.where(x > t, x, 0.0), target).backward()
    except RuntimeError as exc:
        print("where(x > t, x, 0) alone: backward refuses:\n  "
              + str(exc).replace("\n", "\n  "))
    # With a gain w in the arithmetic, backward runs - and only w gets a gradient.
    w = ad.nn.Parameter(np.array(1.0), name="gain")
    loss = F.mse_loss(ad.where(x > t, w * x, 0.0), target)
    loss.backward()
    print(f"where(x > t, w * x, 0): gain.grad = {float(w.grad):.4f}, threshold.grad = {t.grad}")
    message = ad.explain(t)
    print("ad.explain(threshold):\n  " + "\n  ".join(message.splitlines()))
    opt = ad.optim.SGD([w, t], lr=0.1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt.step()
    for w in caught:
        print(f"optimizer: {w.category.__name__}:\n  "
              + str(w.message).replace("\n", "\n  "))
    # A soft threshold puts t into the arithmetic: sigmoid((x - t) / T) * x.
    t_soft = ad.nn.Parameter(np.array(0.0), name="threshold")
    soft = ad.sigmoid((x - t_soft) / 0.05) * x
    F.mse_loss(soft, target).backward()
    print(f"soft threshold sigmoid((x - t)/0.05) * x: threshold.grad = {float(t_soft.grad):.4f}")
    return t.grad is None, message


# %% [markdown]
# ## 2. Element-wise `where` vs a Python `if`
# `if x > 0:` needs one truth value; it works (and differentiates through the branch
# taken) for a single number, and refuses a whole array.  `ad.where` picks per
# element and sends each element's gradient down the branch that element took.

# %%
def branchy_relu(x):
    if x > 0:
        return x * 1.0
    return x * 0.0


def part_branch(tut):
    tut.section("2. element-wise where vs a scalar branch")
    for value in (1.5, -0.5):
        print(f"  if-branch at x = {value:+}: gradient {float(ad.grad(branchy_relu)(value)):.1f}")
    try:
        branchy_relu(ad.tensor([1.5, -0.5]))
    except ValueError as exc:
        print(f"  if-branch on an array: ValueError: {exc}")
    g = ad.grad(lambda v: ad.where(v > 0, v, 0.0).sum())(np.array([1.5, -0.5]))
    print(f"  ad.where on [1.5, -0.5]: gradient {g}")


# %% [markdown]
# ## 3. The NaN trap, found with `ad.detect_anomaly`
# The single-`where` bump computes exp(-s/(s - x^2)) at *every* x, also outside the
# support |x| < s.  Where x^2 is slightly above s (x just past sqrt(s) = 0.5 for
# s = 0.25), the denominator s - x^2 is a tiny negative number, the exponent is huge
# and positive, and the unselected branch is inf.  The forward pass hides it (where
# picks 0), but the backward pass multiplies the zero gradient of the unselected
# branch by the local derivative of exp, which is inf: 0 * inf = NaN, and the sum of
# gradients for s becomes NaN.  One bad input poisons the whole parameter.

# %%
def bump_naive(x, sigma):
    return ad.where(ad.abs(x) < sigma, ad.exp(-sigma / (sigma - x * x)), 0.0)


def bump_safe(x, sigma):
    """Double where: the formula only ever sees x^2 = 0 outside the support."""
    inside = ad.abs(x) < sigma
    x2 = ad.where(inside, x * x, 0.0)
    return ad.where(inside, ad.exp(-sigma / (sigma - x2)), 0.0)


def part_nan_trap(tut):
    tut.section("3. the NaN trap and the double where")
    x = ad.tensor([0.0, 0.2, 0.4, 0.5001, 0.8], name="x")   # 0.5001 is just past sqrt(s)
    sigma = ad.nn.Parameter(np.array(0.25), name="sigma")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        y = bump_naive(x, sigma)
        unselected = np.exp(-0.25 / (0.25 - x.data ** 2))
        y.sum().backward()
    print(f"x                      {x.data}")
    print(f"formula everywhere     {unselected}")
    print(f"forward (after where)  {np.round(y.data, 4)}   <- looks fine")
    print(f"sigma.grad             {sigma.grad}                     <- NaN")
    naive_nan = bool(np.isnan(sigma.grad))
    sigma.zero_grad()
    anomaly = ""
    try:
        with ad.detect_anomaly(), np.errstate(over="ignore", invalid="ignore"):
            bump_naive(x, sigma).sum().backward()
    except ad.AnomalyError as exc:
        anomaly = str(exc)
    print("with ad.detect_anomaly():\n  AnomalyError: " + "\n  ".join(anomaly.splitlines()))
    sigma.zero_grad()
    y_safe = bump_safe(x, sigma)
    y_safe.sum().backward()
    layer = ad.nn.Bump(sigma=0.25)
    same = np.allclose(layer(x).data, y_safe.data)
    print(f"double where: forward {np.round(y_safe.data, 4)}, sigma.grad {float(sigma.grad):.5f}"
          f"\n  (ad.nn.Bump gives the same forward: {same})")
    y_graph = bump_safe(x, ad.nn.Parameter(np.array(0.25), name="sigma"))
    y_graph.name = "bump"
    tut.graph(y_graph, "bump_double_where_graph")
    return naive_nan, anomaly, bool(np.isfinite(sigma.grad))


# %% [markdown]
# ## 4. Learning s from data
# Inputs in (-0.1, 0.1), targets from a bump with s = 0.5.  Near 0 the bump is
# exp(-1 - x^2/s + ...), so the data only constrain s through a gentle curvature:
# the gradient is tiny (printed below).  Adam rescales it per parameter, which is why it
# still converges quickly (the number of steps it takes is printed below), where plain
# SGD would need a huge learning rate.

# %%
def learn_sigma(tut, true_sigma, n, steps, start=0.6):
    x = ad.tensor(tut.rng.uniform(-0.1, 0.1, n))
    with ad.no_grad():
        y = ad.nn.Bump(sigma=true_sigma)(x)
    model = ad.nn.Bump(sigma=start)
    opt = ad.optim.Adam(model.parameters(), lr=0.02)
    history, first_grad = [], None
    for _ in range(steps):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        first_grad = float(model.sigma.grad) if first_grad is None else first_grad
        opt.step()
        history.append(float(model.sigma.data))
    return float(model.sigma.data), loss.item(), history, first_grad


def part_learn(tut):
    tut.section("4. learning sigma (true 0.5) from inputs in (-0.1, 0.1)")
    n, steps = (200, 400) if tut.quick else (2000, 600)
    learned, loss, history, first_grad = learn_sigma(tut, 0.5, n, steps)
    print(f"{n} samples; dL/dsigma at the start (sigma = 0.6) is only {first_grad:.1e}")
    close = np.flatnonzero(np.abs(np.array(history) - 0.5) > 1e-3)
    settled = int(close[-1]) + 2 if len(close) else 1      # first step after the last miss
    print(f"{steps} Adam steps: learned sigma = {learned:.6f} "
          f"(error {abs(learned - 0.5):.1e}), final loss {loss:.1e}; within 1e-3 of 0.5 "
          f"from step {settled} on")
    trues = [0.15, 0.3, 0.5, 0.8] if tut.quick else [0.12, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6,
                                                      0.7, 0.8, 0.9, 1.0]
    sweep, curves = [], {}
    for true in tut.progress(trues, desc="sigma sweep"):
        got, _, hist, _ = learn_sigma(tut, true, n, steps)
        sweep.append((true, got))
        curves[true] = hist
    tut.table(["true sigma", "learned", "|error|"], [(t, g, abs(t - g)) for t, g in sweep])
    return learned, history, sweep, curves


# %% [markdown]
# ## 5. Figures: the bump, its derivative with respect to s, and the sweep
# d f / d s = f * x^2 / (s - x^2)^2 per input x: `ad.jacobian` with respect to the
# scalar s gives one number per x.  It vanishes at x = 0 and grows like x^2, which
# is why inputs near 0 carry so little information about s.  The edge |x| = s also
# moves with s, but it enters only through a comparison, so that part of the
# derivative is not seen - harmless here, since the training inputs stay far inside.

# %%
def part_figures(tut, history, sweep, curves):
    grid = np.linspace(-1.05, 1.05, 841)
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    for s, color in [(0.25, "C0"), (0.5, "C1"), (1.0, "C2")]:
        y = bump_safe(ad.tensor(grid), ad.tensor(s)).data
        dyds = ad.jacobian(lambda sig: bump_safe(ad.tensor(grid), sig))(np.array(s))
        axes[0].plot(grid, y, color, label=f"s = {s}")
        axes[1].plot(grid, dyds, color, label=f"s = {s}")
    axes[0].set(title="bump exp(-s/(s - x^2)) on |x| < s", xlabel="x")
    axes[1].set(title="d bump / d s", xlabel="x")
    axes[1].axvspan(-0.1, 0.1, color="gray", alpha=0.2, label="training inputs")
    trues, learned = zip(*sweep)
    axes[2].plot([0, 1.05], [0, 1.05], "k:", lw=1)
    axes[2].plot(trues, learned, "o", color="C3")
    axes[2].set(title="learned vs true s", xlabel="true s", ylabel="learned s")
    # For s < 1 the support |x| < s ends before x^2 reaches s, so at |x| = s the bump
    # still has the value exp(-1/(1 - s)) and drops to 0 there: a jump, not a bug.
    axes[0].set_ylim(top=0.5)
    axes[0].text(0.02, 0.97, "for s < 1 the bump jumps to 0 at |x| = s\n"
                 "(height exp(-1/(1 - s)) there); smooth only for s = 1",
                 transform=axes[0].transAxes, va="top", fontsize=8)
    axes[1].set_ylim(top=0.8)
    axes[1].text(0.02, 0.97, "and so does its derivative", transform=axes[1].transAxes,
                 va="top", fontsize=8)
    for ax in axes[:2]:
        ax.legend(fontsize=8, loc="upper right")
    tut.savefig(fig, "bump.png")
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.95, len(curves)))
    for (true, hist), color in zip(curves.items(), colors):
        ax.plot(hist, color=color, label=f"{true}")
        ax.axhline(true, color=color, lw=0.6, ls=":")
    ax.set(xlabel="Adam step", ylabel="sigma",
           title="sigma during training (dotted: the true value)")
    ax.legend(title="true sigma", fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    tut.savefig(fig, "sigma_training.png")


# %%
def main(argv=None) -> dict:
    tut = Tutorial(__file__, argv, 'why does my trainable threshold get "no gradients", '
                   "and why does my loss turn into NaN?")
    no_grad, message = part_threshold(tut)
    part_branch(tut)
    naive_nan, anomaly, safe_finite = part_nan_trap(tut)
    learned, history, sweep, curves = part_learn(tut)
    part_figures(tut, history, sweep, curves)
    worst = max(abs(t - g) for t, g in sweep)
    return tut.finish(
        summary=f"threshold in a comparison: grad None; naive bump: NaN grad, caught by "
                f"detect_anomaly; learned sigma = {learned:.4f} (true 0.5); sweep worst "
                f"error {worst:.1e}",
        threshold_grad_is_none=no_grad, explain_message=message,
        naive_grad_has_nan=naive_nan, anomaly_caught=bool(anomaly), anomaly_message=anomaly,
        safe_grad_finite=safe_finite, learned_sigma=learned, sweep=sweep)


if __name__ == "__main__":
    main()
