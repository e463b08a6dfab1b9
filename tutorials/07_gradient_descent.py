"""07 - Gradient descent and vectorized losses.

Question: my gradient-descent translation from Octave gives wrong results - why?

Almost always for one of three reasons: a shape that NumPy silently broadcasts
(a column vector meeting a flat one), an operator that means something else in
NumPy (`*` is element-wise, `@` is the matrix product), or a precedence slip
(`1/2*m` is `m/2`).  The cure is to write only the *loss* and let autodiff derive
the gradient - then compare your hand-written update against it.  The second half
writes four common losses in vectorized form and checks their gradients.

Run:  python tutorials/07_gradient_descent.py [--quick] [--out DIR]
"""

# %%
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make `tutorials` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import autodiff as ad
from tutorials._common import Tutorial, median_time, plt, rel_error

# The classic exercise: four points, a bias column of ones, alpha = 0.01,
# 1000 iterations from theta = 0.  The known answer is theta = [5.2148, -0.5733]
# (gradient descent has not converged yet: least squares gives [9.25, -1.5]).
X = np.array([[1.0, 5.0], [1.0, 2.0], [1.0, 4.0], [1.0, 5.0]])
Y = np.array([1.0, 6.0, 4.0, 2.0])
ALPHA, ITERS = 0.01, 1000


# %% [markdown]
# ## 1. Write the loss, let autodiff give the gradient
# J(theta) = 1/(2m) * sum((X theta - y)^2).  Octave's update
# `theta = theta - alpha/m * X' * (X*theta - y)` is just `theta -= alpha * dJ/dtheta`;
# autodiff computes dJ/dtheta from the loss, so there is no update formula to get wrong.

# %%
def cost(theta, X, y):
    m = len(y)
    residual = X @ theta - y          # (m, 2) @ (2,) -> (m,): one prediction per row
    return (residual ** 2).sum() / (2 * m)


def gradient_descent_autodiff(X, y, alpha, iters):
    theta = ad.tensor(np.zeros(X.shape[1]), requires_grad=True, name="theta")
    history = []
    for _ in range(iters):
        loss = cost(theta, X, y)
        loss.backward()
        history.append(loss.item())
        with ad.no_grad():            # the update itself must not be recorded
            theta.data -= alpha * theta.grad
        theta.zero_grad()
    return theta.data.copy(), np.array(history)


def gradient_descent_octave(X, y, alpha, iters):
    """A faithful translation: `'` -> `.T`, matrix `*` -> `@`, y stays flat."""
    theta, m = np.zeros(X.shape[1]), len(y)
    path = [theta]
    for _ in range(iters):
        theta = theta - alpha / m * X.T @ (X @ theta - y)
        path.append(theta)
    return theta, np.array(path)


def part_known_answer(tut):
    tut.section("1. linear regression by gradient descent")
    theta_ad, history = gradient_descent_autodiff(X, Y, ALPHA, ITERS)
    theta_np, path = gradient_descent_octave(X, Y, ALPHA, ITERS)
    print(f"autodiff gradient:     theta = {np.round(theta_ad, 4)}   J = {history[-1]:.4f}")
    print(f"hand-written (Octave): theta = {np.round(theta_np, 4)}")
    expected = np.array([5.2148, -0.5733])
    print(f"expected:              theta = {expected}   (matches to 4 decimals: "
          f"{bool(np.all(np.abs(theta_ad - expected) < 5e-5))})")
    print(f"difference between the two: {np.max(np.abs(theta_ad - theta_np)):.2e}")
    # Check the hand-written gradient against autodiff at a random point: this
    # one comparison finds every bug shown in part 2.
    theta0 = tut.rng.standard_normal(2)
    hand = X.T @ (X @ theta0 - Y) / len(Y)
    auto = ad.grad(lambda t: cost(t, X, Y))(theta0)
    print(f"hand gradient vs ad.grad at a random theta: relative error "
          f"{rel_error(hand, auto):.1e}")
    # 1000 steps are not enough to converge: the cost surface is a long, narrow
    # valley (X^T X is badly conditioned), so progress along its floor is slow.
    iters = 2000 if tut.quick else 50000
    far, _ = gradient_descent_octave(X, Y, ALPHA, iters)
    print(f"not converged yet: X^T X has condition number {np.linalg.cond(X.T @ X):.0f}, a "
          f"long narrow valley;\nafter {iters} iterations theta = {np.round(far, 4)}; least "
          f"squares {np.linalg.lstsq(X, Y, rcond=None)[0]}")
    return theta_ad, history, path


# %% [markdown]
# ## 2. The usual translation bugs
# Each version below runs without an error (or fails loudly), but only the
# first gives the right theta.  Printing shapes is the quickest diagnosis.

# %%
def run_update(update, theta, iters=ITERS):
    m = len(Y)
    with np.errstate(all="ignore"):
        for _ in range(iters):
            theta = update(theta, m)
    return theta


def part_bugs(tut):
    tut.section("2. the usual translation bugs")
    flat, column = np.zeros(2), np.zeros((2, 1))     # Octave's theta is a (2,1) column
    cases = {
        "correct: alpha/m * X.T @ (X @ th - y)":
            (flat, lambda th, m: th - ALPHA / m * X.T @ (X @ th - Y)),
        "theta (2,1) but y flat: (4,1) - (4,) -> (4,4)":
            (column, lambda th, m: th - ALPHA / m * X.T @ (X @ th - Y)),
        "np.sum without axis=0: one number for both":
            (flat, lambda th, m: th - ALPHA / m * np.sum((X @ th - Y)[:, None] * X)),
        "precedence: J = 1/2*m * sum(r^2), not 1/(2*m)":
            (flat, lambda th, m: th - ALPHA * (1 / 2 * m) * 2 * X.T @ (X @ th - Y)),
    }
    results = {}
    for label, (theta0, update) in cases.items():
        theta = run_update(update, theta0)
        results[label] = theta
        shown = np.array2string(np.asarray(theta).ravel()[:4], precision=4)
        print(f"  {label:<48} -> shape {np.shape(theta)}, theta {shown}")
    # `X * theta` (element-wise) fails loudly, which is the lucky case:
    try:
        (X * np.zeros(2)) - Y
    except ValueError as exc:
        print(f"  X * theta - y  (element-wise *) raises: {exc}")
    print("Why: (4,1) - (4,) broadcasts to a 4x4 matrix of every residual pair, and\n"
          "  theta silently grows to (2,4);\n"
          "  np.sum(..., axis=0) sums over the *batch* (rows) and keeps one gradient per\n"
          "  parameter, while a bare np.sum adds the two parameters' gradients together;\n"
          f"  in Python `1/2*m` is (1/2)*m, so the step is m^2 = {len(Y) ** 2} times too large "
          "here\n  and gradient descent diverges.")
    # `@` and `*` share one precedence level and group left to right, so
    # alpha/m * X.T @ r == ((alpha/m) * X.T) @ r: fine.  Dropping the parentheses
    # around the residual is not: X.T @ X @ theta - y subtracts y from a (2,) vector.
    try:
        X.T @ X @ np.zeros(2) - Y
    except ValueError as exc:
        print(f"  X.T @ X @ theta - y (parentheses dropped) raises: {exc}")
    return results


# %% [markdown]
# ## 3. Why batch gradients are sums over axis 0
# The batch loss is a sum (or mean) of per-example losses, so its gradient is the
# sum of per-example gradients.  `ad.jacobian` of the per-example losses has one row
# per example; summing the rows (axis 0) gives the batch gradient, and `X.T @ r` is
# that same sum written as one matrix product.  A bias added to every row gets the
# same treatment: its gradient is summed over the rows it was broadcast to.

# %%
def part_axis0(tut):
    tut.section("3. batch gradients are sums over axis 0")
    theta0 = np.array([1.0, -0.5])
    per_example = ad.jacobian(lambda t: (X @ t - Y) ** 2 / (2 * len(Y)))(theta0)
    batch = ad.grad(lambda t: cost(t, X, Y))(theta0)
    print(f"per-example gradients (one row each):\n{np.round(per_example, 4)}")
    print(f"sum over axis 0: {per_example.sum(axis=0)}   ad.grad of J: {batch}")
    print(f"X.T @ r / m:     {X.T @ (X @ theta0 - Y) / len(Y)}")
    bias = ad.tensor(np.zeros(3), requires_grad=True)
    (ad.tensor(np.ones((5, 3))) + bias).sum().backward()
    print(f"a (3,) bias added to a (5,3) batch gets gradient {bias.grad} (5 rows summed)")
    return float(np.max(np.abs(per_example.sum(axis=0) - batch)))


# %% [markdown]
# ## 4. Vectorized losses and their gradients
# Each loss is written once for the whole batch (broadcasting instead of loops),
# checked against its textbook gradient or `ad.gradcheck`.

# %%
def mahalanobis(Xs, mu, S):
    """d_i = sqrt((x_i - mu)^T S^-1 (x_i - mu)) for every row at once."""
    diff = Xs - mu
    q = ((diff @ ad.linalg.inv(S)) * diff).sum(axis=1)
    return ad.sqrt(q)


def pairwise_naive(Xs):
    diff = Xs[:, None, :] - Xs[None, :, :]          # (n, n, d) by broadcasting
    return ad.sqrt((diff ** 2).sum(axis=-1))


def pairwise_safe(Xs):
    """The double `where`: sqrt never sees the zeros on the diagonal."""
    diff = Xs[:, None, :] - Xs[None, :, :]
    sq = (diff ** 2).sum(axis=-1)
    positive = sq > 0
    return ad.where(positive, ad.sqrt(ad.where(positive, sq, 1.0)), 0.0)


def normalize(x):
    return x / ad.sqrt((x * x).sum(axis=-1, keepdims=True))


def ranking_loss_vectorized(w, Xp, Xn, margin=1.0):
    sp, sn = Xp @ w, Xn @ w                          # scores of positives, negatives
    return ad.relu(margin - sp[:, None] + sn[None, :]).mean()


def ranking_loss_loop(w, Xp, Xn, margin=1.0):
    total = 0.0
    for i in range(len(Xp)):
        for j in range(len(Xn)):
            total = total + ad.relu(margin - Xp[i] @ w + Xn[j] @ w)
    return total / (len(Xp) * len(Xn))


def part_losses(tut):
    rng = tut.rng
    out = {}
    tut.section("4a. Mahalanobis distance")
    n, d = (6, 3) if tut.quick else (50, 4)
    A = rng.standard_normal((d, d))
    S = A @ A.T + d * np.eye(d)                      # symmetric positive definite
    mu, Xs = rng.standard_normal(d), rng.standard_normal((n, d))
    xt = ad.tensor(Xs, requires_grad=True)
    mahalanobis(xt, mu, S).sum().backward()
    diff = Xs - mu
    dist = np.sqrt(np.einsum("ij,jk,ik->i", diff, np.linalg.inv(S), diff))
    expected = diff @ np.linalg.inv(S) / dist[:, None]          # S^-1 (x - mu) / d
    out["mahalanobis_err"] = rel_error(xt.grad, expected)
    print(f"grad wrt X vs S^-1 (x - mu) / d: relative error {out['mahalanobis_err']:.1e}")
    small = (Xs[:3], mu, S)
    ad.gradcheck(lambda a, b, c: mahalanobis(a, b, c).sum(), list(small))
    print("ad.gradcheck wrt X, mu and S (through inv): passed")

    tut.section("4b. pairwise distance matrix and sqrt at 0")
    n = 5 if tut.quick else 40
    P = rng.standard_normal((n, 2))
    naive = ad.tensor(P, requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):   # NumPy would warn: 1/0, 0*inf
        pairwise_naive(naive).sum().backward()
    out["pairwise_nan_naive"] = int(np.isnan(naive.grad).sum())
    safe = ad.tensor(P, requires_grad=True)
    D = pairwise_safe(safe)
    D.sum().backward()
    # Textbook: d/dx_i sum_{jk} D_jk = 2 * sum_j (x_i - x_j) / D_ij  (i != j)
    diff = P[:, None, :] - P[None, :, :]
    Dn = D.data + np.eye(n)                          # avoid 0/0 on the diagonal
    expected = 2 * (diff / Dn[..., None]).sum(axis=1)
    out["pairwise_nan_safe"] = int(np.isnan(safe.grad).sum())
    out["pairwise_err"] = rel_error(safe.grad, expected)
    print(f"naive sqrt(sum(diff^2)): {out['pairwise_nan_naive']} NaN gradient entries "
          "(d sqrt/du = inf at u = 0 on the diagonal, times 0 = NaN)")
    print(f"double where: {out['pairwise_nan_safe']} NaN; vs the textbook gradient "
          f"relative error {out['pairwise_err']:.1e}")
    sq_expanded = (P ** 2).sum(1)[:, None] + (P ** 2).sum(1)[None, :] - 2 * P @ P.T
    print(f"the |a|^2+|b|^2-2ab shortcut gives diagonal values as low as "
          f"{np.diag(sq_expanded).min():.1e}: clip at 0 before sqrt")

    tut.section("4c. unit-vector normalization")
    x = rng.standard_normal(4)
    J = ad.jacobian(normalize)(x)
    u = x / np.linalg.norm(x)
    formula = (np.eye(4) - np.outer(u, u)) / np.linalg.norm(x)
    out["normalize_err"] = rel_error(J, formula)
    g = ad.grad(lambda t: (normalize(t) * np.arange(4.0)).sum())(x)
    print(f"ad.jacobian vs (I - u u^T)/|x|: relative error {out['normalize_err']:.1e}")
    print(f"x . grad = {x @ g:.1e}: stretching x does not change x/|x|, so the gradient "
          "has no component along x")
    zero = ad.tensor(np.zeros((1, 3)), requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        normalize(zero).sum().backward()
    safe_zero = ad.tensor(np.zeros((1, 3)), requires_grad=True)
    ad.nn.functional.l2_normalize(safe_zero).sum().backward()
    print(f"zero vector: naive gradient {zero.grad[0]} (0/0); F.l2_normalize divides by "
          f"max(|x|, eps) under a double where: {safe_zero.grad[0]} (finite, 1/eps)")

    tut.section("4d. max-margin ranking loss")
    npos, nneg, d = (6, 8, 3) if tut.quick else (30, 40, 5)
    Xp = rng.standard_normal((npos, d)) + 0.5
    Xn = rng.standard_normal((nneg, d)) - 0.5
    w0 = 0.5 + 0.1 * rng.standard_normal(d)
    value_v, grad_v = ad.value_and_grad(ranking_loss_vectorized)(w0, Xp, Xn)
    value_l, grad_l = ad.value_and_grad(ranking_loss_loop)(w0, Xp, Xn)
    active = (1.0 - (Xp @ w0)[:, None] + (Xn @ w0)[None, :] > 0).mean()
    t_vec = median_time(lambda: ad.grad(ranking_loss_vectorized)(w0, Xp, Xn), repeats=5)
    t_loop = median_time(lambda: ad.grad(ranking_loss_loop)(w0, Xp, Xn), repeats=3)
    out["ranking_err"] = rel_error(grad_v, grad_l)
    print(f"loss {float(value_v):.4f} (loop {float(value_l):.4f}); {active:.0%} of the "
          f"{npos * nneg} pairs violate the margin and only those contribute gradient")
    print(f"vectorized vs double loop: gradient relative error {out['ranking_err']:.1e}, "
          f"time {t_vec * 1e3:.2f} ms vs {t_loop * 1e3:.1f} ms ({t_loop / t_vec:.0f}x)")
    return out


# %% [markdown]
# ## Figures and the graph

# %%
def part_figures(tut, history, path):
    t0, t1 = np.meshgrid(np.linspace(-2, 11, 120), np.linspace(-2.5, 1.5, 120))
    grid = np.stack([t0.ravel(), t1.ravel()], axis=1)
    J = ((grid @ X.T - Y) ** 2).sum(axis=1).reshape(t0.shape) / (2 * len(Y))
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    levels = a.contour(t0, t1, np.log(J), levels=25, cmap="viridis")
    fig.colorbar(levels, ax=a, label="log J(theta)")
    a.plot(path[:, 0], path[:, 1], "r.-", ms=2, lw=1,
           label=f"gradient descent ({len(path) - 1} iterations)")
    a.plot(*np.linalg.lstsq(X, Y, rcond=None)[0], "k*", ms=12, label="least squares")
    a.annotate(f"stops after {len(path) - 1} iterations\n"
               f"at theta = [{path[-1, 0]:.4f}, {path[-1, 1]:.4f}]:\nnot yet converged",
               xy=path[-1], xytext=(3.2, -2.35), fontsize=8,
               bbox={"boxstyle": "round", "fc": "white", "ec": "0.6"},
               arrowprops={"arrowstyle": "->", "lw": 0.8})
    a.set(xlabel="theta_0", ylabel="theta_1", title="J(theta) (log) and the GD path")
    a.legend(fontsize=8)
    buggy, theta, m = [], np.zeros(2), len(Y)
    with np.errstate(all="ignore"):
        for _ in range(60):
            buggy.append(1 / 2 * m * ((X @ theta - Y) ** 2).sum())
            theta = theta - ALPHA * (1 / 2 * m) * 2 * X.T @ (X @ theta - Y)
    b.semilogy(history, label="correct: 1/(2m)")
    b.semilogy(buggy, label="bug: 1/2*m (diverges)")
    b.set(xlabel="iteration", ylabel="J", title="cost per iteration")
    b.legend()
    tut.savefig(fig, "gradient_descent.png")
    theta = ad.tensor(np.zeros(2), requires_grad=True, name="theta")
    loss = cost(theta, ad.tensor(X, name="X"), ad.tensor(Y, name="y"))
    loss.name = "J"
    tut.graph(loss, "cost_graph")


# %%
def main(argv=None) -> dict:
    tut = Tutorial(__file__, argv, "my gradient-descent translation from Octave gives "
                   "wrong results - why?")
    theta, history, path = part_known_answer(tut)
    part_bugs(tut)
    axis0_err = part_axis0(tut)
    losses = part_losses(tut)
    part_figures(tut, history, path)
    return tut.finish(
        summary=f"theta = {np.array2string(theta, precision=4)} "
                f"(expected [5.2148, -0.5733]); naive pairwise sqrt gave "
                f"{losses['pairwise_nan_naive']} NaN grads, double where 0",
        theta=theta, final_cost=float(history[-1]), axis0_err=axis0_err, **losses)


if __name__ == "__main__":
    main()
