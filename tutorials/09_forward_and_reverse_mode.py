"""09 - Forward mode, reverse mode (and, later, what a compiler adds).

Question: why is backprop "reverse" mode, and when is forward mode the better choice?

The chain rule multiplies Jacobians, J = J_k ... J_2 J_1, and the product can be
taken from either end.  Forward mode starts at the inputs: it carries a tangent
(a direction dx) through the program in the order the program runs, next to each
value, and one pass gives J dx - one *column* of the Jacobian per input direction.
Reverse mode (backprop) starts at the output: it records the program, then walks it
backwards carrying a gradient, and one pass gives u^T J - one *row* per output.
A full Jacobian of f: R^n -> R^m therefore costs n forward passes or m reverse
passes.  A loss has m = 1 output and millions of inputs: that is why training uses
reverse mode.  With few inputs and many outputs (a curve traced by one parameter,
sensitivities to a single setting) forward mode wins, and it needs no tape.

Run:  python tutorials/09_forward_and_reverse_mode.py [--quick] [--out DIR]
"""

# %%
from __future__ import annotations

import sys
import time
import types
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make `tutorials` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import autodiff as ad
from tutorials._common import Tutorial, plt, rel_error

# %% [markdown]
# ## 1. Forward mode by hand: dual numbers
# Carry every value together with its tangent, and give each operation the rule for
# both: (a, a') * (b, b') = (ab, a'b + ab'), sin(a, a') = (sin a, cos(a) a'), ...
# Run the unchanged function on such pairs, and the output's tangent is the
# directional derivative J dx.  That is the whole of forward mode.

# %%
class Dual:
    """A value and its tangent (the derivative along one chosen input direction)."""

    def __init__(self, value, tangent=0.0):
        self.value, self.tangent = value, tangent

    def __add__(self, other):
        other = other if isinstance(other, Dual) else Dual(other)
        return Dual(self.value + other.value, self.tangent + other.tangent)

    def __mul__(self, other):
        other = other if isinstance(other, Dual) else Dual(other)
        return Dual(self.value * other.value,
                    self.tangent * other.value + self.value * other.tangent)

    __radd__, __rmul__ = __add__, __mul__


dual_math = types.SimpleNamespace(
    sin=lambda d: Dual(np.sin(d.value), np.cos(d.value) * d.tangent),
    exp=lambda d: Dual(np.exp(d.value), np.exp(d.value) * d.tangent))


def tiny(x, y, m=ad):
    """f(x, y) = sin(x) y + exp(x y), written once for autodiff (m=ad) and for Duals."""
    return m.sin(x) * y + m.exp(x * y)


def part_dual(tut):
    tut.section("1. jvp by hand (dual numbers) and by ad.jvp")
    x, y = 0.5, 2.0
    dx, dy = 1.0, 0.5                       # the input direction
    by_hand = tiny(Dual(x, dx), Dual(y, dy), m=dual_math)
    value, by_library = ad.jvp(tiny, (np.array(x), np.array(y)), (np.array(dx), np.array(dy)))
    # the same number from the partial derivatives written out
    df_dx = np.cos(x) * y + y * np.exp(x * y)
    df_dy = np.sin(x) + x * np.exp(x * y)
    closed_form = df_dx * dx + df_dy * dy
    print(f"f(x, y) = sin(x) y + exp(x y) at (x, y) = ({x}, {y}), direction (dx, dy) = "
          f"({dx}, {dy})")
    tut.table(["", "value", "tangent"],
              [("Dual class", by_hand.value, by_hand.tangent),
               ("ad.jvp", float(value), float(by_library)),
               ("formula", tiny(x, y, m=np), closed_form)], fmt="{:>14}")
    err = abs(by_hand.tangent - float(by_library))
    print(f"|Dual - ad.jvp| = {err:.1e}")
    print("\nad.viz.jvp_text shows the same pass inside the library: every op in the order\n"
          "the program runs, with the value and the tangent it computed:")
    forward_pass = ad.viz.jvp_text(tiny, (np.array(x), np.array(y)),
                                   (np.array(dx), np.array(dy)))
    print(forward_pass)

    # Reverse mode on the same function: the ops are visited last first, carrying the
    # gradient of the one output; one pass gives the derivative for *every* input.
    xt = ad.tensor(x, requires_grad=True, name="x")
    yt = ad.tensor(y, requires_grad=True, name="y")
    walk = ad.viz.steps(tiny(xt, yt))
    print("\nreverse mode (backprop) visits the same ops last first, carrying the gradient\n"
          "g = df/d(op's value) from the output back towards the inputs:")
    for step in walk:
        print(f"  step {step.index}: {step.op_name:<9} (value {float(step.node.ans):.4f})  "
              f"g = {float(step.upstream):.4f}")
    grads = {name: float(g) for name, g in walk.totals.items()}
    print(f"one reverse pass gives df/dx = {grads['x']:.4f} and df/dy = {grads['y']:.4f}, "
          "every input at once;\none forward pass gives one directional derivative, "
          f"df/dx dx + df/dy dy = {float(by_library):.4f}.")
    return {"jvp_by_hand": by_hand.tangent, "jvp_by_library": float(by_library),
            "jvp_closed_form": float(closed_form), "jvp_hand_vs_library": err,
            "reverse_grads": (grads["x"], grads["y"]), "forward_pass_text": forward_pass,
            "reverse_pass_ops": [step.op_name for step in walk]}


# %% [markdown]
# ## 2. A Jacobian by forward and by reverse mode
# `ad.jacfwd` builds J column by column (one tangent per input entry), `ad.jacrev`
# row by row (one backward pass per output entry).  Same matrix.  The identity that
# links the two modes, <u, J v> = <J^T u, v>, is checked with `ad.jvp` and `ad.vjp`.

# %%
def part_jacobian(tut):
    tut.section("2. jacfwd == jacrev on a non-square Jacobian")
    rng = tut.rng
    W = rng.standard_normal((3, 5))

    def f(x):
        return ad.tanh(W @ x) * ad.sum(x ** 2)         # R^5 -> R^3

    x = rng.standard_normal(5)
    J_fwd = ad.jacfwd(f)(x)
    J_rev = ad.jacrev(f)(x)
    diff = float(np.max(np.abs(J_fwd - J_rev)))
    print(f"f: R^5 -> R^3.  jacfwd: shape {J_fwd.shape}, 5 columns, one per input;\n"
          f"jacrev: shape {J_rev.shape}, 3 rows, one per output.  max |difference| = "
          f"{diff:.1e}")
    u, v = rng.standard_normal(3), rng.standard_normal(5)
    Jv = ad.jvp(f, (x,), (v,))[1]
    uJ = ad.vjp(f, x)[1](u)[0]
    print(f"<u, J v> = {u @ Jv:.12f} (forward)   <J^T u, v> = {uJ @ v:.12f} (reverse)")
    return {"jacfwd_vs_jacrev": diff, "adjoint_identity_error": float(abs(u @ Jv - uJ @ v))}


# %% [markdown]
# ## 3. What each costs as the input and output sizes change
# A two-layer map x (n inputs) -> B2 tanh(B1 x) (m outputs).  `jacfwd(...,
# vectorized=False)` runs one forward pass per input: the textbook cost of forward
# mode, n passes.  `jacrev` runs one reverse pass per output: m passes.  Left: one
# output (a loss) and a growing number of inputs.  Right: one input and a growing
# number of outputs.  The library's default `jacfwd` pushes all n basis tangents
# through the program together as one batch (dashed): the same arithmetic, but the
# program is walked once, so Python's per-pass overhead is paid once.

# %%
HIDDEN = 16


def two_layer(rng, n_in, n_out):
    B1 = rng.standard_normal((HIDDEN, n_in)) / np.sqrt(n_in)
    B2 = rng.standard_normal((n_out, HIDDEN)) / np.sqrt(HIDDEN)
    return lambda x: B2 @ ad.tanh(B1 @ x)


def interleaved_medians(funcs: dict, repeats: int) -> dict:
    """Median CPU seconds per call of each function, timed in turn within each round.

    CPU time of this process (``time.process_time``), not wall-clock time: on a busy
    machine a long call is paused while other programs run, and the wall clock would
    count that pause as the call's cost."""
    times = {name: [] for name in funcs}
    for _ in range(repeats):
        for name, func in funcs.items():
            start = time.process_time()
            func()
            times[name].append(time.process_time() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


METHODS = {
    "forward, one pass per input": lambda f: ad.jacfwd(f, vectorized=False),
    "forward, batched (ad.jacfwd)": lambda f: ad.jacfwd(f),
    "reverse, one pass per output (ad.jacrev)": lambda f: ad.jacrev(f),
}


def part_cost(tut):
    tut.section("3. cost of the Jacobian: forward vs reverse as n and m change")
    rng = tut.rng
    sizes = [1, 4, 16] if tut.quick else [1, 2, 4, 8, 16, 32, 64, 128, 256]
    repeats = 3 if tut.quick else 7
    sweeps = {"1 output (a loss), n inputs": [(n, 1) for n in sizes],
              "1 input, m outputs": [(1, m) for m in sizes]}
    timings = {}
    for title, shapes in sweeps.items():
        print(f"{title}: median of {repeats} runs, CPU milliseconds")
        rows = []
        for n_in, n_out in shapes:
            f = two_layer(rng, n_in, n_out)
            x = rng.standard_normal(n_in)
            jacobians = {name: make(f)(x) for name, make in METHODS.items()}
            first = next(iter(jacobians.values()))
            assert all(np.allclose(J, first, rtol=1e-10, atol=1e-12)
                       for J in jacobians.values())
            t = interleaved_medians({name: (lambda make=make: make(f)(x))
                                     for name, make in METHODS.items()}, repeats)
            timings[(title, n_in, n_out)] = t
            rows.append((n_in, n_out, *(1e3 * t[name] for name in METHODS)))
        tut.table(["n in", "m out", "fwd/input", "fwd batched", "rev/output"], rows)

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    styles = dict(zip(METHODS, ["o-", "s--", "^-"]))
    for ax, (title, shapes) in zip(axes, sweeps.items()):
        varying = [n_in if "output (a loss)" in title else n_out for n_in, n_out in shapes]
        for name in METHODS:
            ax.plot(varying, [1e3 * timings[(title, n, m)][name] for n, m in shapes],
                      styles[name], label=name)
        ax.set(title=title, xlabel="number of inputs n" if "loss" in title
               else "number of outputs m", ylabel="Jacobian CPU time (ms, median)")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(varying, [str(k) for k in varying])
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("Forward mode costs n passes, reverse mode m passes")
    tut.savefig(fig, "jacobian_cost.png")

    big = sizes[-1]
    loss_ratio = (timings[("1 output (a loss), n inputs", big, 1)][next(iter(METHODS))]
                  / timings[("1 output (a loss), n inputs", big, 1)][list(METHODS)[2]])
    curve_ratio = (timings[("1 input, m outputs", 1, big)][list(METHODS)[2]]
                   / timings[("1 input, m outputs", 1, big)][next(iter(METHODS))])
    print(f"a loss of {big} inputs: forward (one pass per input) takes {loss_ratio:.1f}x "
          f"as long as reverse;\n{big} outputs of one input: reverse takes "
          f"{curve_ratio:.1f}x as long as forward.\n"
          "The batched jacfwd (dashed) does the same n columns of arithmetic in one walk\n"
          "of the program: at these small sizes Python's cost per op, paid once per pass,\n"
          "dominates, so batching hides most of the n passes; its arithmetic still grows\n"
          "with n, and reverse mode needs none of it for a loss.")
    return {"timings": timings, "largest_size": big, "loss_forward_over_reverse": loss_ratio,
            "one_input_reverse_over_forward": curve_ratio}


# %% [markdown]
# ## 4. Hessian-vector products: forward over reverse
# H v is the derivative of the gradient along v.  Forward over reverse: one jvp of
# `ad.grad(f)` (what `ad.hvp` does).  Reverse over reverse: the gradient of
# <grad f(x), v>, two reverse passes.  Both avoid the n x n Hessian; they give the
# same numbers, and the closed form agrees.

# %%
def part_hvp(tut):
    tut.section("4. Hessian-vector products, two ways")
    rng = tut.rng
    n = 10 if tut.quick else 100
    A = rng.standard_normal((2 * n, n)) / np.sqrt(n)

    def f(x):          # softplus regression loss plus a quartic term
        return ad.sum(ad.log(1 + ad.exp(A @ x))) + 0.1 * ad.sum(x ** 4)

    x, v = rng.standard_normal(n), rng.standard_normal(n)
    forward_over_reverse = ad.jvp(ad.grad(f), (x,), (v,))[1]
    library = ad.hvp(f, x, v)

    def reverse_over_reverse(x, v):
        return ad.grad(lambda t: ad.sum(ad.grad(f)(t) * v))(x)

    rr = reverse_over_reverse(x, v)
    s = 1 / (1 + np.exp(-(A @ x)))
    closed_form = A.T @ ((s * (1 - s)) * (A @ v)) + 1.2 * x ** 2 * v
    via_hessian = ad.hessian(f)(x) @ v
    errors = {"forward-over-reverse vs reverse-over-reverse": rel_error(forward_over_reverse, rr),
              "ad.hvp vs forward-over-reverse": rel_error(library, forward_over_reverse),
              "forward-over-reverse vs closed form": rel_error(forward_over_reverse,
                                                               closed_form),
              "ad.hessian(f)(x) @ v vs closed form": rel_error(via_hessian, closed_form)}
    for what, err in errors.items():
        print(f"  {what:<46} max relative error {err:.1e}")
    t = interleaved_medians({"fwd": lambda: ad.jvp(ad.grad(f), (x,), (v,)),
                             "rev": lambda: reverse_over_reverse(x, v)},
                            3 if tut.quick else 15)
    print(f"n = {n}: forward over reverse {1e3 * t['fwd']:.2f} ms, reverse over reverse "
          f"{1e3 * t['rev']:.2f} ms (median CPU time; close: both do about the same work)")
    return {"hvp_errors": errors, "hvp_fwd_over_rev": forward_over_reverse,
            "hvp_rev_over_rev": rr, "hvp_closed_form": closed_form}


# %% [markdown]
# ## 5. What a compiler adds
# Both modes above walk the program in Python, op by op, every time.  A compiler
# records the walk once and replays it: fused kernels, no tape.  That half of this
# tutorial needs `ad.compile`.

# %%
def part_compiler_note(tut):
    tut.section("5. what a compiler adds")
    print("This part needs ad.compile (a training step recorded once into a plan and\n"
          "replayed with fused kernels): it will be shown here when the library has it.")
    # --- ad.compile goes here: the plan of a training step, the kernels it fused
    # (drawn), and its speed against eager and against hand-written NumPy. ---


# %%
def main(argv=None) -> dict:
    tut = Tutorial(__file__, argv, 'why is backprop "reverse" mode, and when is forward '
                   "mode the better choice?")
    dual = part_dual(tut)
    jac = part_jacobian(tut)
    cost = part_cost(tut)
    hvp = part_hvp(tut)
    part_compiler_note(tut)
    return tut.finish(
        summary=f"jvp by hand = ad.jvp (diff {dual['jvp_hand_vs_library']:.0e}); jacfwd = "
                f"jacrev (diff {jac['jacfwd_vs_jacrev']:.0e}); {cost['largest_size']} inputs, "
                f"1 output: forward {cost['loss_forward_over_reverse']:.0f}x reverse; 1 "
                f"input, {cost['largest_size']} outputs: reverse "
                f"{cost['one_input_reverse_over_forward']:.0f}x forward",
        **dual, **jac, **cost, **hvp)


if __name__ == "__main__":
    main()
