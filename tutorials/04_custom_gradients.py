"""04 - Custom gradients.

Question: when I define the gradient of my own op, what exactly must it return
when inputs and outputs are matrices?

Not a Jacobian.  The backward of an op receives the upstream gradient g - the
derivative of the final scalar loss with respect to the op's *output*, so it has
the output's shape - and returns, for each input, the derivative of that same loss
with respect to the input: one array of the *input's* shape.  That is the
vector-Jacobian product g^T J, computed without ever building J.

Run:  python tutorials/04_custom_gradients.py [--quick] [--out DIR]
"""

# %%
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make `tutorials` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import autodiff as ad
from tutorials._common import Tutorial, plt, rel_error

# %% [markdown]
# ## 1. What backward receives and returns
# A spy op: a plain matrix product that prints the shapes its backward sees.

# %%
class SpyMatmul(ad.Function):
    @staticmethod
    def forward(ctx, A, B):
        ctx.save_for_backward(A, B)
        return A @ B

    @staticmethod
    def backward(ctx, g):
        A, B = ctx.saved
        grad_A, grad_B = g @ B.T, A.T @ g
        print(f"  backward got g of shape {g.shape} (the output's); returns "
              f"{grad_A.shape} for A and {grad_B.shape} for B (the inputs')")
        return grad_A, grad_B


def part_contract(tut):
    tut.section("1. what a backward receives and returns")
    A = ad.tensor(tut.rng.standard_normal((2, 3)), requires_grad=True)
    B = ad.tensor(tut.rng.standard_normal((3, 4)), requires_grad=True)
    Y = SpyMatmul.apply(A, B)
    print(f"forward: A {A.shape} @ B {B.shape} -> Y {Y.shape}")
    Y.sum().backward()


# %% [markdown]
# ## 2. Deriving matmul's rule with numbers
# Let Y = A B and let the rest of the network turn Y into a loss L; all backward
# knows about "the rest" is G = dL/dY.  Since Y_ij = sum_k A_ik B_kj,
#     dL/dA_ik = sum_j G_ij B_kj = (G B^T)_ik,    dL/dB_kj = sum_i A_ik G_ij = (A^T G)_kj.
# The shapes alone almost force the answer: G is (2,2), B is (3,2), and the only
# product that gives A's shape (2,3) is G @ B.T.

# %%
def part_matmul_rule(tut):
    tut.section("2. matmul's rule, derived and checked with numbers")
    A = np.array([[1.0, 2.0, 0.0], [-1.0, 0.5, 3.0]])          # (2, 3)
    B = np.array([[2.0, 1.0], [0.0, -1.0], [1.0, 4.0]])         # (3, 2)
    G = np.array([[1.0, 0.0], [2.0, -1.0]])                     # upstream dL/dY, (2, 2)
    At, Bt = ad.tensor(A, requires_grad=True), ad.tensor(B, requires_grad=True)
    (At @ Bt).backward(G)                                       # seed the reverse pass with G
    print(f"G @ B.T =\n{G @ B.T}\nautodiff dL/dA =\n{At.grad}")
    print(f"A.T @ G =\n{A.T @ G}\nautodiff dL/dB =\n{Bt.grad}")
    # The full Jacobian dY/dA has shape Y.shape + A.shape = (2, 2, 2, 3).  Contracting
    # it with G gives the same numbers - that contraction is what backward computes,
    # without materializing J.
    J = ad.jacobian(lambda a: a @ B)(A)
    via_jacobian = np.einsum("ij,ijkl->kl", G, J)
    err = max(rel_error(At.grad, G @ B.T), rel_error(Bt.grad, A.T @ G),
              rel_error(via_jacobian, At.grad))
    print(f"full Jacobian dY/dA has shape {J.shape}; sum_ij G_ij J_ij.. equals dL/dA "
          f"(max relative error of all three checks {err:.1e})")
    n = 1000
    print(f"for two {n}x{n} matrices the Jacobian dY/dA would hold {n ** 4:.0e} numbers "
          f"({n ** 4 * 8 / 1e12:.0f} TB); the rule needs one {n}x{n} product")
    return err


# %% [markdown]
# ## 3. A custom Function for a batched op
# y = A @ B with A a batch (b, n, k) and B one (k, m) matrix shared by the batch.
# grad_A = g @ B^T keeps the batch axis.  B was used by every batch element, so its
# gradient is the *sum* over the batch of A_b^T g_b - and must come back as (k, m).
# The library checks shapes and says so if you forget; a wrong formula with the right
# shape gets past that check, which is what `ad.gradcheck` is for.

# %%
class SharedBatchMatmul(ad.Function):
    """(b, n, k) @ (k, m) -> (b, n, m)."""

    @staticmethod
    def forward(ctx, A, B):
        ctx.save_for_backward(A, B)
        return A @ B

    @staticmethod
    def backward(ctx, g):
        A, B = ctx.saved
        grad_A = g @ B.T                                  # (b, n, m) @ (m, k) -> (b, n, k)
        grad_B = np.einsum("bnk,bnm->km", A, g)          # sum over batch and rows
        return grad_A, grad_B


class ForgotBatchSum(SharedBatchMatmul):
    @staticmethod
    def backward(ctx, g):
        A, B = ctx.saved
        return g @ B.T, np.swapaxes(A, -1, -2) @ g        # (b, k, m): one per batch element


class WrongTranspose(SharedBatchMatmul):
    @staticmethod
    def backward(ctx, g):
        A, B = ctx.saved
        return g @ B, np.einsum("bnk,bnm->km", A, g)      # B is square: shape fits, value not


def part_batched_function(tut):
    tut.section("3. a custom Function for a batched op, checked")
    rng = tut.rng
    b, n, k = (3, 2, 4) if tut.quick else (8, 5, 6)
    A, B = rng.standard_normal((b, n, k)), rng.standard_normal((k, k))
    ok = ad.gradcheck(lambda a, w: SharedBatchMatmul.apply(a, w), [A, B])
    builtin = ad.grad(lambda a, w: ad.matmul(a, w).sum(), argnums=(0, 1))(A, B)
    mine = ad.grad(lambda a, w: SharedBatchMatmul.apply(a, w).sum(), argnums=(0, 1))(A, B)
    agree = max(rel_error(x, y) for x, y in zip(builtin, mine))
    print(f"SharedBatchMatmul: gradcheck -> {ok}; vs the built-in matmul rule: "
          f"relative error {agree:.1e}")
    try:
        ForgotBatchSum.apply(ad.tensor(A, requires_grad=True),
                             ad.tensor(B, requires_grad=True)).sum().backward()
        shape_error = ""
    except ValueError as exc:
        shape_error = str(exc)
    print(f"forgetting the batch sum -> ValueError:\n  {shape_error}")
    try:
        ad.gradcheck(lambda a, w: WrongTranspose.apply(a, w), [A, B])
        wrong_caught = False
    except ad.GradcheckError as exc:
        wrong_caught = True
        print("g @ B instead of g @ B.T (right shape, wrong values) -> GradcheckError:\n  "
              + str(exc).replace("\n", "\n  "))
    At = ad.tensor(A, requires_grad=True, name="A")
    Bt = ad.tensor(B, requires_grad=True, name="B")
    y = ad.tanh(SharedBatchMatmul.apply(At, Bt)).sum()
    y.name = "loss"
    tut.graph(y, "shared_batch_matmul_graph")
    return {"batched_gradcheck": ok, "batched_vs_builtin": agree,
            "shape_error": shape_error, "wrong_transpose_caught": wrong_caught}


# %% [markdown]
# ## 4. Straight-through rounding
# round() is flat almost everywhere, so its true gradient is 0 and nothing upstream
# of it learns.  The straight-through estimator (STE) keeps round() in the forward
# pass but pretends it was the identity in the backward pass.  Three ways to write it:
#   - `@ad.custom_gradient`: return (value, vjp) with vjp(g) = g;
#   - the trick x - stop_gradient(x - round(x)): the value is round(x), and the only
#     path the gradient can take is the bare x, with derivative 1;
#   - soft-round (a smooth staircase, sharper as alpha grows): a real gradient that is
#     large near .5 and small near integers, instead of a fiction.

# %%
@ad.custom_gradient
def round_ste(x):
    return ad.round(x), lambda g: g


def round_trick(x):
    return x - ad.stop_gradient(x - ad.round(x))


def soft_round(x, alpha=4.0):
    m = ad.floor(x) + 0.5                            # middle of the current step
    r = x - m                                        # in [-0.5, 0.5)
    return m + ad.tanh(alpha * r) / (2 * np.tanh(alpha / 2))


def fit_integer_slope(quantize, steps, lr=0.05):
    """Fit y = q(w) x to data with slope 3; q quantizes the weight."""
    x = np.linspace(-1, 1, 21)
    y = 3.0 * x
    w = ad.tensor(0.2, requires_grad=True)
    for _ in range(steps):
        w.zero_grad()
        loss = ((quantize(w) * x - y) ** 2).mean()
        loss.backward()
        with ad.no_grad():
            w.data = w.data - lr * (0.0 if w.grad is None else w.grad)
    return float(w.data), float(quantize(ad.tensor(w.data)).data), loss.item()


def part_ste(tut):
    tut.section("4. straight-through rounding")
    x = np.array([-1.3, -0.4, 0.2, 0.5, 1.7])
    rows = []
    for label, fn in [("ad.round", ad.round), ("custom_gradient STE", round_ste),
                      ("x - stop_gradient(x - round x)", round_trick),
                      ("soft_round alpha=4", soft_round)]:
        grad = ad.grad(lambda t, fn=fn: fn(t).sum())(x)
        forward = fn(ad.tensor(x)).data
        rows.append((label, forward, grad))
        print(f"  {label:<32} forward {np.round(forward, 3)}  grad {np.round(grad, 3)}")
    ste_equal = bool(np.array_equal(rows[1][1], rows[2][1]) and
                     np.array_equal(rows[1][2], rows[2][2]))
    print(f"the custom_gradient STE and the stop_gradient trick agree exactly: {ste_equal}")
    if np.any(np.signbit(rows[1][1]) != np.signbit(rows[2][1])):
        print("  (round(-0.4) prints as -0.; the trick's x - (x - round(x)) gives +0.: "
              "the same number, 0)")

    steps = 60 if tut.quick else 300
    print(f"fitting y = q(w) x (true slope 3) from w = 0.2, {steps} steps of gradient descent:")
    fits = {}
    for label, fn in [("round (true gradient 0)", ad.round), ("STE", round_ste),
                      ("soft_round alpha=4", soft_round)]:
        fits[label] = fit_integer_slope(fn, steps)
        w, q, loss = fits[label]
        print(f"  {label:<24} w = {w:.3f}  q(w) = {q:.3f}  loss = {loss:.4f}")

    grid = np.linspace(-2, 2, 801)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    a.plot(grid, ad.round(ad.tensor(grid)).data, "k", lw=2, label="round")
    g_round = ad.grad(lambda t: ad.round(t).sum())(grid)
    b.plot(grid, g_round, "k", lw=2, label="round (true)")
    b.plot(grid, np.ones_like(grid), "C3--", label="STE")
    for alpha, color in [(1.0, "C0"), (4.0, "C1"), (16.0, "C2")]:
        g = ad.grad(lambda t, alpha=alpha: soft_round(t, alpha).sum())(grid)
        a.plot(grid, soft_round(ad.tensor(grid), alpha).data, color, label=f"soft, a={alpha:g}")
        b.plot(grid, g, color, label=f"soft, a={alpha:g}")
    a.set(title="forward", xlabel="x")
    b.set(title="gradient used by backprop", xlabel="x", ylim=(-0.2, 4.5))
    a.legend()
    b.legend()
    tut.savefig(fig, "rounding_gradients.png")
    t = ad.tensor(x, requires_grad=True, name="x")
    out = round_trick(t).sum()
    out.name = "sum"
    tut.graph(out, "ste_trick_graph")
    return {"ste_trick_equal": ste_equal, "fits": fits}


# %%
def main(argv=None) -> dict:
    tut = Tutorial(__file__, argv, "when I define the gradient of my own op, what must it "
                   "return for matrix inputs and outputs?")
    part_contract(tut)
    rule_err = part_matmul_rule(tut)
    batched = part_batched_function(tut)
    ste = part_ste(tut)
    ste_fit = ste["fits"]["STE"]
    return tut.finish(
        summary=f"matmul rule G@B.T / A.T@G matches autodiff (rel err {rule_err:.0e}); "
                f"batched Function gradcheck {batched['batched_gradcheck']}, wrong "
                f"transpose caught {batched['wrong_transpose_caught']}; STE learns "
                f"q(w) = {ste_fit[1]:.0f}",
        matmul_rule_error=rule_err, **batched, **ste)


if __name__ == "__main__":
    main()
