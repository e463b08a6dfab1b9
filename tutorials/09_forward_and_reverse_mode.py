"""09 - Forward mode, reverse mode, and what a compiler adds.

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

Both walk the program op by op in Python on every call.  A training step runs the
same ops on the same shapes every time: `ad.compile` records it once into a plan
and replays the plan without a tape (section 5).

Run:  python tutorials/09_forward_and_reverse_mode.py [--quick] [--out DIR]
"""

# %%
from __future__ import annotations

import re
import sys
import textwrap
import time
import types
import warnings
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make `tutorials` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import kernels
from tutorials._common import (TimeRatio, Tutorial, interleaved_median_times,
                               interleaved_times, plt, rel_error)
from tutorials._spiral_numpy import numpy_spiral_step

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


def cpu_medians(funcs: dict, repeats: int) -> dict:
    """Median CPU seconds per call of each function, timed in turn round by round: CPU
    time, as a busy machine pauses a long call and the wall clock would count that."""
    return interleaved_median_times(funcs, repeats, clock=time.process_time)


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
            t = cpu_medians({name: (lambda make=make: make(f)(x))
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
    print(f"on this run (one median each, so a busy machine moves them), a loss of {big} "
          f"inputs:\nforward (one pass per input) took {loss_ratio:.1f}x "
          f"as long as reverse; {big} outputs of one input: reverse took "
          f"{curve_ratio:.1f}x as long as forward.\n"
          + ("" if min(loss_ratio, curve_ratio) >= 2 else
             f"That is far below the {big} passes to 1 that each mode needs: on this run "
             "other costs (a busy machine,\nPython's fixed cost per call) hid the "
             "difference; the count of passes is what grows with n and m.\n")
          + "The batched jacfwd (dashed) does the same n columns of arithmetic in one walk\n"
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
    t = cpu_medians({"fwd": lambda: ad.jvp(ad.grad(f), (x,), (v,)),
                             "rev": lambda: reverse_over_reverse(x, v)},
                            3 if tut.quick else 15)
    ratio = max(t["fwd"], t["rev"]) / min(t["fwd"], t["rev"])
    faster = "forward over reverse" if t["fwd"] < t["rev"] else "reverse over reverse"
    verdict = (f"within {ratio:.2f}x of each other: both do about the same work"
               if ratio < 1.5 else f"{faster} is {ratio:.1f}x faster here")
    print(f"n = {n}: forward over reverse {1e3 * t['fwd']:.2f} ms, reverse over reverse "
          f"{1e3 * t['rev']:.2f} ms (median CPU time;\n{verdict})")
    return {"hvp_errors": errors, "hvp_fwd_over_rev": forward_over_reverse,
            "hvp_rev_over_rev": rr, "hvp_closed_form": closed_form}


# %% [markdown]
# ## 5. What a compiler adds: `ad.compile` on a training step
# Both modes above walk the program in Python, op by op, on every call; reverse mode
# also builds a tape (Python objects for every op) and throws it away after each
# backward pass.  A training step runs the same ops on arrays of the same shapes every
# time, so that work can be done once.  `@ad.compile` runs the step eagerly on its
# first call and records everything it did - the forward ops, each gradient rule the
# reverse pass applied, the `.grad` updates, the optimizer's step - into a *plan*.
# Later calls with the same shapes and dtypes replay the plan over plain arrays: no
# Tensor, no tape.  The step is the spiral MLP of tutorial 05 (2-64-3, Adam).
#
# *Fused kernels.*  In NumPy every elementwise op (relu's gradient, each line of Adam's
# update: m, v, sqrt, divide, subtract) is one pass over its arrays and one temporary
# array for its result.  A compiler sees the whole plan, so it can fuse such a chain
# into one generated loop, a kernel, that does every op of the chain element by element
# and keeps the intermediate values in registers: one pass over memory instead of one
# per op.  A kernel "in N rows" loops over the rows of a batch, so that a bias added to
# every row, or a bias's gradient summed over the rows, joins the chain's pass too.
# Whether this plan has fused kernels is read from the plan as it runs.

# %%
SPIRAL_LR = 0.05
KIND_MEANING = {   # what each kind of plan line stands for (printed for those present)
    "op": "a forward op",
    "ones": "the output's gradient, d loss / d loss = 1",
    "rule": "one gradient rule (matmul.a: matmul's rule for its first input)",
    "joint": "an op whose rule gives the gradients of all its inputs at once",
    "pick": "one of those gradients",
    "add": "two gradient contributions to the same value, added",
    "sum_to": "a broadcast's gradient summed back to its input's shape (the bias)",
    "astype": "a gradient cast back to its input's dtype",
    "leaf_grad": "a parameter's .grad",
    "clear_grad": "a .grad set to None",
    "write": "an in-place update of an array",
    "call": "an optimizer method, replayed",
}


def spiral_model_and_step(compiled: bool):
    """A fresh 2-64-3 MLP (the same initial weights every time), its Adam optimizer,
    and one training step - eager, or through ``ad.compile``."""
    model = ad.nn.MLP([2, 64, 3], rng=0)
    opt = ad.optim.Adam(model.parameters(), lr=SPIRAL_LR)

    def train_step(xb, yb):
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return model, (ad.compile(train_step) if compiled else train_step)


def fused_kinds(plan) -> list:
    """The kinds of plan line that are fused kernels (none where nothing was fused)."""
    return [kind for kind in plan.counts() if "kernel" in kind or "fus" in kind]


def part_plan(tut, X, y):
    tut.section("5. ad.compile: the plan of a training step")
    spiral_model_and_step(compiled=False)[1](X, y)      # one-time costs (kernels) paid
    model, step = spiral_model_and_step(compiled=True)
    start = time.perf_counter()
    step(X, y)
    first = time.perf_counter() - start
    replays = []
    for _ in range(6):
        start = time.perf_counter()
        step(X, y)
        replays.append(time.perf_counter() - start)
    later = float(np.median(replays[1:]))
    note = ("\n(the first replay still pays one-time costs, such as loading compiled Numba "
            "kernels from disk)" if replays[0] > 3 * later else "")
    print(f"first call (runs eagerly, records the plan) {1e3 * first:.1f} ms; first replay "
          f"{1e3 * replays[0]:.2f} ms;\nlater replays {1e3 * later:.2f} ms (median of "
          f"{len(replays) - 1}, wall clock); traces so far: {step.traces}{note}"
          "\n\nprint(step.plan):")
    plan_text = str(step.plan)
    print(plan_text)
    counts = step.plan.counts()
    fused = fused_kinds(step.plan)
    print("\nOne line per step, in the order the eager call ran them: the values it writes "
          "(v<k>),\nthe kind of step and what it reads, the dtype, shape and bytes of each "
          "result, and\nthe line of the step function that made it.  The kinds in this plan:")
    for kind, n in counts.items():
        meaning = KIND_MEANING.get(kind, "a fused kernel" if kind in fused else "")
        print(f"  {kind:<10} x{n:<3} {meaning}")
    if fused:
        lines = [ln for ln in plan_text.splitlines()[1:]
                 if any(re.search(rf"\b{kind}\b", ln) for kind in fused)]
        how = ("one generated Numba loop doing the chain in one pass over the elements,\n"
               "without temporary arrays" if kernels.JIT_ENABLED else
               "run here as NumPy calls, one per op (AUTODIFF_JIT=0 is set;\nwithout it, one "
               "generated Numba loop)")
        print(f"\n{len(lines)} line(s) of kind {', '.join(fused)}: each is a chain of "
              f"elementwise ops,\n{how}\n(\"in N rows\": a loop over the rows, so that a bias's "
              "gradient is summed in the same pass):")
        for line in lines:
            print(line)
    else:
        print("\nNo line of this plan is a fused kernel: this replay makes one NumPy call per "
              "line.\n(Fusing a chain of elementwise ops - one loop over the elements instead "
              "of one\npass and one temporary array per op - is where a compiler gains most on "
              "large\narrays; this version of the library does not fuse.)")
    tut.graph(ad.viz.draw(step.plan), "compiled_plan")
    print("  (ad.viz.draw(step.plan): forward ops, the reverse pass and the updates as "
          "clusters)")
    return model, step, {"plan_text": plan_text, "plan_counts": counts,
                         "fused_kinds": fused, "first_call_seconds": first}


# %% [markdown]
# ### Same numbers, and what the compiler refuses
# A replay runs the recorded array computations and no Python of the step function.
# So a Python `if` on a tensor's value would be decided once, while tracing, and frozen
# into the plan: `ad.compile` refuses `.item()`, `float(t)`, `if t:` on a traced value,
# with an error naming the op and the line, instead of replaying silently wrong.  Plain
# Python effects (appending the loss to a list, `print`) also happen only while
# tracing; those it can see, it warns about.  A new input shape (another batch size)
# cannot reuse a plan either: it is traced again, and the plans are kept, one per
# signature.

# %%
def part_same_and_refused(tut, X, y, model, step, steps):
    from autodiff.compile import TraceError

    eager_model, eager_step = spiral_model_and_step(compiled=False)
    compiled_model, compiled_step = spiral_model_and_step(compiled=True)
    losses = {"eager": [], "compiled": []}
    for _ in tut.progress(range(steps), desc="eager and compiled training"):
        losses["eager"].append(eager_step(X, y).item())
        losses["compiled"].append(compiled_step(X, y).item())
    difference = max(rel_error(a.data, b.data) for a, b in
                     zip(eager_model.parameters(), compiled_model.parameters()))
    with ad.no_grad():
        acc = float((compiled_model(ad.tensor(X)).data.argmax(axis=1) == y).mean())
    same = ("identical to the last bit" if difference == 0 else
            "equal up to rounding (fused kernels round differently)" if difference < 1e-9 else
            "more than rounding apart")
    print(f"{steps} Adam steps, eager and compiled side by side: loss {losses['eager'][0]:.3f} "
          f"-> {losses['eager'][-1]:.3f}, accuracy {acc:.3f};\nlargest relative difference "
          f"of the weights {difference:.1e}: {same}")

    other_model, _ = spiral_model_and_step(compiled=False)     # leave the trained one alone

    @ad.compile
    def careful_step(xb, yb):
        loss = F.cross_entropy(other_model(xb), yb)
        if loss.item() > 10.0:          # skip a step on a loss spike: a value steers Python
            return loss
        loss.backward()
        return loss

    try:
        careful_step(X, y)
        refused = ""
        print("\na step with `if loss.item() > 10.0:` was traced: this library does not refuse it")
    except TraceError as error:
        refused = str(error)
        print("\na step with `if loss.item() > 10.0:` is refused while tracing:\n"
              + textwrap.fill(f"TraceError: {refused}", 86, initial_indent="  ",
                              subsequent_indent="    "))

    history = []

    @ad.compile
    def logging_step(xb, yb):
        loss = F.cross_entropy(other_model(xb), yb)
        loss.backward()
        history.append(loss)            # plain Python: it runs while tracing, not in replays
        return loss

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            logging_step(X, y)
    not_replayed = [str(w.message) for w in caught
                    if issubclass(w.category, ad.NotReplayedWarning)]
    print(f"\na step that appends its loss to a list, called 3 times: the list holds "
          f"{len(history)} loss, and the trace warned:\n"
          + "\n".join(textwrap.fill(f"NotReplayedWarning: {m}", 86, initial_indent="  ",
                                     subsequent_indent="    ") for m in not_replayed))

    small_X, small_y = X[::3], y[::3]                      # a batch of 100 rows, not 300
    with ad.no_grad():
        expected = F.cross_entropy(model(ad.tensor(small_X)), small_y).item()
    got = step(small_X, small_y).item()
    after_new_batch = step.traces
    step(X, y)                                            # the first plan is still cached
    print(f"\nbatch of {len(small_X)} rows: traced again (traces {after_new_batch}); its loss "
          f"{got:.6f}, eager's {expected:.6f} (difference {abs(got - expected):.1e});\n"
          f"back to {len(X)} rows: replayed from the cache "
          f"(traces {step.traces}, {len(step.plans)} plans kept)")
    return {"losses": losses, "compiled_vs_eager": difference, "compiled_accuracy": acc,
            "trace_error": refused, "not_replayed": (len(history), not_replayed),
            "retrace_loss": (got, expected),
            "traces": (after_new_batch, step.traces), "plans_kept": len(step.plans)}


# %% [markdown]
# ### Speed: eager, compiled, and hand-written NumPy
# The hand-written step is tutorial 05's backprop with Adam written out, with NumPy's
# in-place operations (`numpy_spiral_step`, in tutorials/_spiral_numpy.py); it is the
# practical limit for code that calls NumPy once per operation.  The three run in
# turn, round by round, and each figure is the median of its rounds.

# %%
def part_speed(tut, X, y, losses, fused):
    tut.section("6. speed of the step: eager, @ad.compile, hand-written NumPy")
    eager_model, eager_step = spiral_model_and_step(compiled=False)
    _, compiled_step = spiral_model_and_step(compiled=True)
    numpy_step, numpy_params = numpy_spiral_step(eager_model, X, y, lr=SPIRAL_LR)
    eager_step(X, y)
    numpy_step()
    one_step = max(rel_error(p.data, q) for p, q in zip(eager_model.parameters(), numpy_params))
    print(f"hand-written NumPy vs eager after one step: largest relative difference "
          f"{one_step:.1e}")
    rounds, block = (5, 5) if tut.quick else (61, 20)
    steps = {"eager": lambda: eager_step(X, y), "@ad.compile": lambda: compiled_step(X, y),
             "hand-written NumPy": numpy_step}
    for run in steps.values():                              # warm up (and trace)
        run()
        run()
    per_step = {name: np.array(t) for name, t in interleaved_times(
        steps, rounds, number=block, clock=time.process_time).items()}
    median = {name: float(np.median(t)) for name, t in per_step.items()}
    tut.table(["", "µs / step", "vs eager", "vs NumPy"],
              [(name, 1e6 * m, m / median["eager"], m / median["hand-written NumPy"])
               for name, m in median.items()], fmt="{:>20}")
    speedup = median["eager"] / median["@ad.compile"]
    vs_numpy = median["@ad.compile"] / median["hand-written NumPy"]
    print(f"median CPU time of {rounds} rounds of {block} steps each, the three interleaved: "
          f"on this run eager\ntook {speedup:.2f}x the compiled step's time, and the compiled "
          f"step {vs_numpy:.2f}x the hand-written NumPy time.")
    vs_numpy_rounds = TimeRatio(per_step["@ad.compile"], per_step["hand-written NumPy"])
    print(f"compiled / NumPy per round: median {vs_numpy_rounds.median:.2f}x (the summary's "
          f"figure), {vs_numpy_rounds.spread_text()}"
          + ("" if vs_numpy_rounds.meaningful else
             "; the rounds disagree widely: other processes took the CPU during some of "
             "them, so the ratio is not meaningful; rerun on an idle machine"))
    if not fused:
        print("Without fused kernels the replay makes one NumPy call per plan line, as the "
              "hand-written\nstep does; what it saves is the tape: Tensor and Node objects, "
              "and the walk of the graph.")

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.plot(losses["eager"], "C0-", lw=3, alpha=0.5, label="eager")
    left.plot(losses["compiled"], "C1--", label="@ad.compile")
    left.set(xlabel="Adam step", ylabel="cross-entropy",
             title="the same training, eager and compiled")
    left.legend()
    for k, (name, t) in enumerate(per_step.items()):
        right.bar(k, 1e6 * median[name], color=f"C{k}", alpha=0.6)
        right.plot(np.full(len(t), k) + tut.rng.uniform(-0.2, 0.2, len(t)), 1e6 * t, "k.",
                   ms=3)
    right.set_xticks(range(len(per_step)), list(per_step))
    right.set(ylabel="CPU µs per step (bar: median; dots: rounds)",
              title=f"spiral MLP step, {len(X)} x 2 inputs")
    tut.savefig(fig, "compiled_step.png")
    return {"step_seconds": median, "compiled_speedup": speedup,
            "compiled_vs_numpy": vs_numpy, "numpy_vs_eager_one_step": one_step,
            "compiled_vs_numpy_text": vs_numpy_rounds.summary("compiled per round",
                                                              "hand-written NumPy's")}


# %%
def main(argv=None) -> dict:
    tut = Tutorial(__file__, argv, 'why is backprop "reverse" mode, and when is forward '
                   "mode the better choice?")
    dual = part_dual(tut)
    jac = part_jacobian(tut)
    cost = part_cost(tut)
    hvp = part_hvp(tut)
    X, y = ad.data.spiral(100, 3, seed=0)
    model, step, plan = part_plan(tut, X, y)
    same = part_same_and_refused(tut, X, y, model, step, 20 if tut.quick else 200)
    speed = part_speed(tut, X, y, same["losses"], plan["fused_kinds"])
    return tut.finish(
        summary=f"jvp by hand = ad.jvp (diff {dual['jvp_hand_vs_library']:.0e}); jacfwd = "
                f"jacrev (diff {jac['jacfwd_vs_jacrev']:.0e}); {cost['largest_size']} inputs, "
                f"1 output: forward took {cost['loss_forward_over_reverse']:.1f}x reverse's "
                f"time on this run; 1 input, {cost['largest_size']} outputs: reverse took "
                f"{cost['one_input_reverse_over_forward']:.1f}x forward's; "
                f"MLP step on this run: eager "
                f"{speed['compiled_speedup']:.2f}x the compiled time, "
                + speed["compiled_vs_numpy_text"],
        **dual, **jac, **cost, **hvp, **plan, **same, **speed)


if __name__ == "__main__":
    main()
