"""05 - An MLP from scratch.

Question: how do the shapes of a dense network fit together, and why is it `x @ W`?

Because a batch is a stack of rows.  X has one example per row, shape
(batch, n_inputs); a layer's weight has one column per neuron, shape
(n_inputs, n_neurons); so X @ W has one row per example and one column per
neuron, (batch, n_neurons), and the bias - one number per neuron, shape
(n_neurons,) - broadcasts down the rows.  The backward pass mirrors the shapes:
dW = X^T @ dZ sums the per-example contributions, db = dZ.sum(axis=0).
Drawn as a network (network.svg), X of shape (300, 2) is 2 input nodes with 300
rows flowing through them, and W (2, 3) is one edge per weight.

Run:  python tutorials/05_mlp_from_scratch.py [--quick] [--out DIR]
"""

# %%
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make `tutorials` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import autodiff as ad
import autodiff.nn.functional as F
from tutorials._common import (WIDE_RATIO_SPREAD, TimeRatio, Tutorial, interleaved_times,
                               plt)

HIDDEN = 64


# %% [markdown]
# ## 1. Data and shapes
# Three interleaved spiral arms in the plane: no straight line separates them, so
# the hidden layer has to bend the space.

# %%
def init_params(rng, sizes=(2, HIDDEN, 3)):
    """He initialisation for ReLU layers: weights ~ N(0, 2 / n_in), biases 0."""
    params = {}
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{k}"] = rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)
        params[f"b{k}"] = np.zeros(n_out)
    return params


def forward(p, X):
    """Logits of the 2-64-3 network; works for ndarrays and for Tensors alike."""
    h = ad.relu(X @ p["W1"] + p["b1"])
    return h @ p["W2"] + p["b2"]


def part_shapes(tut, X, params):
    tut.section("1. how the shapes fit")
    rows = [("X", X.shape, "batch of rows: one example each")]
    Z1 = X @ params["W1"]
    rows += [("W1", params["W1"].shape, "(n_inputs, n_neurons)"),
             ("X @ W1", Z1.shape, "one row per example, one column per neuron"),
             ("b1", params["b1"].shape, "one per neuron; broadcast down the rows"),
             ("W2", params["W2"].shape, "(64 hidden, 3 classes)"),
             ("logits", (Z1 @ params["W2"]).shape, "a score per class per example")]
    for name, shape, note in rows:
        print(f"  {name:<8} {shape!s:<12} {note}")
    same = np.allclose((params["W1"].T @ X.T).T, Z1)
    print(f"the column convention W^T @ x (x a column, as in textbooks and PyTorch's\n"
          f"(out, in) weights) gives the same numbers transposed: {same}; x @ W just keeps\n"
          "the batch as the leading axis, the way the data are stored.")
    b = ad.tensor(np.zeros(HIDDEN), requires_grad=True)
    (ad.tensor(Z1) + b).sum().backward()
    print(f"the bias's gradient sums over the {len(X)} rows it was broadcast to: "
          f"b.grad[:3] = {b.grad[:3]}")


# %% [markdown]
# ## 2. Training with autodiff
# Full-batch Adam on the mean cross-entropy.  The leaves are plain Tensors with
# requires_grad=True; `ad.nn.MLP([2, 64, 3])` would build the same thing.

# %%
def accuracy(logits, y):
    return float((np.asarray(logits).argmax(axis=1) == y).mean())


def train_autodiff(tut, X, y, params, steps, lr, progress=True):
    leaves = {k: ad.tensor(v.copy(), requires_grad=True, name=k) for k, v in params.items()}
    opt = ad.optim.Adam(list(leaves.values()), lr=lr)
    history = {"loss": [], "accuracy": []}
    bar = range(steps)
    if progress:
        bar = tut.progress(bar, desc="training (autodiff)")
    for step in bar:
        opt.zero_grad()
        logits = forward(leaves, X)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        opt.step()
        history["loss"].append(loss.item())
        history["accuracy"].append(accuracy(logits.data, y))
        if step % 50 == 0 and hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{loss.item():.3f}", acc=f"{history['accuracy'][-1]:.3f}")
    return {k: v.data for k, v in leaves.items()}, history


# %% [markdown]
# ## 3. The same network with hand-derived NumPy backprop
# Walk the forward pass backwards, one line per op, each gradient shaped like the
# thing it is the gradient of:
#   dZ2 = (P - onehot(y)) / N           (N, 3)   softmax + cross-entropy
#   dW2 = H^T @ dZ2                     (64, 3)  sum over examples of outer products
#   db2 = dZ2.sum(axis=0)               (3,)     the bias was broadcast over rows
#   dH  = dZ2 @ W2^T                    (N, 64)
#   dZ1 = dH * (Z1 > 0)                 (N, 64)  ReLU passes gradient where it was active
#   dW1 = X^T @ dZ1, db1 = dZ1.sum(0)

# %%
def numpy_loss_and_grads(p, X, y):
    N = len(X)
    Z1 = X @ p["W1"] + p["b1"]
    H = np.maximum(Z1, 0)
    Z2 = H @ p["W2"] + p["b2"]
    Z2 = Z2 - Z2.max(axis=1, keepdims=True)
    P = np.exp(Z2)
    P /= P.sum(axis=1, keepdims=True)
    loss = -np.log(P[np.arange(N), y]).mean()
    dZ2 = P
    dZ2[np.arange(N), y] -= 1
    dZ2 /= N
    dH = dZ2 @ p["W2"].T
    dZ1 = dH * (Z1 > 0)
    grads = {"W1": X.T @ dZ1, "b1": dZ1.sum(axis=0), "W2": H.T @ dZ2, "b2": dZ2.sum(axis=0)}
    return loss, grads, Z2


def train_numpy(tut, X, y, params, steps, lr, b1=0.9, b2=0.999, eps=1e-8,
                progress=True):
    """The same Adam arithmetic as ad.optim.Adam, by hand."""
    p = {k: v.copy() for k, v in params.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(w) for k, w in p.items()}
    ts = range(1, steps + 1)
    for t in tut.progress(ts, desc="training (NumPy)") if progress else ts:
        _, grads, _ = numpy_loss_and_grads(p, X, y)
        for k in p:
            m[k] = b1 * m[k] + (1 - b1) * grads[k]
            v[k] = b2 * v[k] + (1 - b2) * grads[k] ** 2
            p[k] -= lr / (1 - b1 ** t) * m[k] / (np.sqrt(v[k]) / math.sqrt(1 - b2 ** t) + eps)
    return p


def part_compare(tut, X, y, params, trained, steps, lr):
    tut.section("3. hand-derived NumPy backprop vs autodiff")
    leaves = {k: ad.tensor(v, requires_grad=True) for k, v in params.items()}
    F.cross_entropy(forward(leaves, X), y).backward()
    _, grads, _ = numpy_loss_and_grads(params, X, y)
    # Compare each gradient array on its own scale: max |difference| / max |gradient|.
    errs = {k: float(np.max(np.abs(leaves[k].grad - grads[k])) / np.max(np.abs(grads[k])))
            for k in params}
    print("max |difference| / max |gradient| per parameter at initialisation: "
          + ", ".join(f"{k} {e:.1e}" for k, e in errs.items()))
    # Entry by entry the ratio can look worse: an entry that is a sum over all the
    # examples cancelling to almost 0 keeps only rounding noise, in either order.
    entrywise = {k: np.abs(leaves[k].grad - grads[k])
                 / np.maximum(np.abs(leaves[k].grad), np.abs(grads[k])) for k in params}
    worst = max(entrywise, key=lambda k: entrywise[k].max())
    at = np.unravel_index(np.argmax(entrywise[worst]), grads[worst].shape)
    at = tuple(int(i) for i in at)
    print(f"entry by entry the worst relative error is {entrywise[worst].max():.1e}, at "
          f"{worst}{list(at)}, whose gradient is {grads[worst][at]:.1e}\n(the largest "
          f"{worst} entry is {np.max(np.abs(grads[worst])):.1e})"
          + (": rounding noise on an entry that is almost 0, not a wrong gradient"
             if entrywise[worst].max() > 1e-12 else ""))

    def autodiff_step():
        ls = {k: ad.tensor(v, requires_grad=True) for k, v in params.items()}
        F.cross_entropy(forward(ls, X), y).backward()

    repeats = 7 if tut.quick else 21
    rounds = interleaved_times({"autodiff": autodiff_step,
                                "NumPy": lambda: numpy_loss_and_grads(params, X, y)},
                               repeats, number=5)
    t_ad, t_np = (float(np.median(rounds[k])) for k in ("autodiff", "NumPy"))
    ratio = TimeRatio(rounds["autodiff"], rounds["NumPy"])
    print(f"one forward + backward on {len(X)} examples: autodiff {t_ad * 1e3:.3f} ms, "
          f"hand NumPy {t_np * 1e3:.3f} ms (medians of {repeats} rounds, the two timed in "
          f"turn);\nautodiff / NumPy per round: median {ratio.median:.2f}, "
          f"{ratio.spread_text()}")
    if not ratio.meaningful:
        print("the rounds disagree by more than a factor of "
              f"{WIDE_RATIO_SPREAD}: other processes took the CPU during "
              "some of them, so this ratio is not meaningful; rerun on an idle machine")
    p_np = train_numpy(tut, X, y, params, steps, lr)
    acc_np = accuracy(numpy_loss_and_grads(p_np, X, y)[2], y)

    # Both runs do the same arithmetic in a different order, so they differ by
    # round-off, and training amplifies that difference step after step
    # (largest |difference| / |weights| over the four parameters):
    def drift(a, b):
        return max(np.linalg.norm(a[k] - b[k]) / np.linalg.norm(b[k]) for k in a)

    few = 10
    early = drift(train_numpy(tut, X, y, params, few, lr, progress=False),
                  train_autodiff(tut, X, y, params, few, lr, progress=False)[0])
    late = drift(p_np, trained)
    print(f"NumPy training, same {steps} Adam steps: accuracy {acc_np:.3f}.  Relative "
          f"difference of the weights\nfrom the autodiff run: {early:.1e} after {few} steps, "
          f"{late:.1e} after {steps}: the round-off difference grows\nas training goes on, "
          "so long runs end at different weights - of the same quality.")
    return max(errs.values()), t_ad, t_np, ratio, acc_np, late


# %% [markdown]
# ## 4. Figures and the graph of one forward pass

# %%
def part_figures(tut, X, y, trained, history):
    fig, (a, b) = plt.subplots(1, 2, figsize=(10.5, 4.2))
    a.plot(history["loss"], "C0", label="loss")
    a.set(xlabel="Adam step", ylabel="cross-entropy", yscale="log", title="training")
    a2 = a.twinx()
    a2.plot(history["accuracy"], "C1", label="accuracy")
    a2.set(ylabel="accuracy", ylim=(0, 1.02))
    a.legend(loc="center left")
    a2.legend(loc="center right")
    g = np.linspace(-1.1, 1.1, 300)
    gx, gy = np.meshgrid(g, g)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    with ad.no_grad():
        pred = np.asarray(forward(trained, grid)).argmax(axis=1).reshape(gx.shape)
    b.contourf(gx, gy, pred, levels=[-0.5, 0.5, 1.5, 2.5], colors=["C0", "C1", "C2"], alpha=0.25)
    for k in range(3):
        b.scatter(*X[y == k].T, s=8, color=f"C{k}", label=f"class {k}")
    b.set(title="decision regions of the 2-64-3 network", aspect="equal",
          xlim=(-1.1, 1.1), ylim=(-1.1, 1.1))
    b.legend(loc="lower right", fontsize=8)
    tut.savefig(fig, "mlp_spiral.png")
    leaves = {k: ad.tensor(v, requires_grad=True, name=k) for k, v in trained.items()}
    loss = F.cross_entropy(forward(leaves, ad.tensor(X, name="X")), y)
    loss.name = "loss"
    tut.graph(loss, "mlp_forward_graph")


# %% [markdown]
# ## 5. The network as a picture: 300 input nodes, or 2?
# A from-scratch book's first network: X has shape (300, 2), `Dense(2, 3)` has
# weights (2, 3), then ReLU and `Dense(3, 3)`.  Drawn the way people draw it for
# each other - a column of circles per layer, one edge per weight - the shapes
# answer themselves.  `ad.viz.network` draws it from the model.

# %%
def part_network(tut):
    tut.section("5. the network as a picture: 300 input nodes, or 2?")
    X, _ = ad.data.spiral(100, 3, seed=0)
    # Shuffled, so that the first example (whose values the picture shows) is not
    # the spiral's centre (0, 0).
    X = X[np.random.default_rng(1).permutation(len(X))]
    net = ad.nn.Sequential(ad.nn.Linear(2, 3, rng=0), ad.nn.ReLU(), ad.nn.Linear(3, 3, rng=1))
    W1 = net[0].weight.data
    n_weights = sum(layer.weight.size for layer in (net[0], net[2]))
    n_biases = sum(layer.bias.size for layer in (net[0], net[2]))
    with ad.no_grad():
        H = net[1](net[0](ad.tensor(X)))
    print(f"X {X.shape}  ->  Dense(2, 3): W1 {W1.shape}, b1 {net[0].bias.shape}  ->  ReLU "
          f"{H.shape}  ->  Dense(3, 3): W2 {net[2].weight.shape}  ->  {net(ad.tensor(X)).shape}")
    print(f"Q1. 300 input nodes, or 2?  Two: one input node per feature, i.e. per column "
          f"of X.\n    The {len(X)} rows are {len(X)} examples; each one flows through the "
          "same two input\n    nodes (all at once: the rows of one matrix product).")
    print(f"Q2. Why is W1 (2, 3) and not (300, 3)?  W1[i, j] is the weight on the edge from "
          "input i\n    to neuron j: one row per input feature, one column per neuron.  "
          f"Weights belong to\n    edges, and the edges do not depend on how many examples "
          f"there are:\n    X @ W1 is {X.shape} @ {W1.shape} = {(X @ W1).shape}, one row of "
          "3 neuron values per example.")
    print(f"Q3. What does the network look like?  2 input nodes, 3 hidden neurons, 3 outputs; "
          f"{n_weights}\n    weight edges (2*3 + 3*3) and {n_biases} bias edges (one +1 "
          "node per layer): network.svg.")
    print("W1, the same numbers as the edges from x1, x2 to h1, h2, h3 in the picture:")
    print(" " * 10 + "".join(f"{'h' + str(j + 1):>9}" for j in range(W1.shape[1])))
    for i, row in enumerate(W1):
        print(f"  x{i + 1} (i={i})" + "".join(f"{v:9.3f}" for v in row))
    graph = ad.viz.network(net, x=X, show_weights=True)
    for fmt in ("svg", "png"):
        tut.graph(graph, "network", fmt=fmt)
    edges = graph.source.count(" -> ")
    print(f"the picture: {edges} edges = {n_weights} weights + {n_biases} biases; the caption "
          "reads:")
    for line in graph.caption.splitlines():
        print("  " + line)
    return {"network_edges": edges, "network_weights": n_weights, "network_biases": n_biases}


# %%
def main(argv=None) -> dict:
    tut = Tutorial(__file__, argv, "how do the shapes of a dense network fit together, and "
                   "why is it x @ W?")
    samples, steps, lr = (100, 1500, 0.02) if tut.quick else (300, 5000, 0.01)
    X, y = ad.data.spiral(samples, 3, seed=0)
    params = init_params(tut.rng)
    part_shapes(tut, X, params)
    tut.section("2. training 2-64-3 with autodiff")
    trained, history = train_autodiff(tut, X, y, params, steps, lr)
    with ad.no_grad():
        acc = accuracy(forward(trained, X), y)
    print(f"{len(X)} points, {steps} full-batch Adam steps (lr {lr}): loss "
          f"{history['loss'][0]:.3f} -> {history['loss'][-1]:.3f}, accuracy {acc:.3f}")
    grad_err, t_ad, t_np, ratio, acc_np, drift = part_compare(tut, X, y, params, trained, steps, lr)
    part_figures(tut, X, y, trained, history)
    picture = part_network(tut)
    return tut.finish(
        summary=f"spiral accuracy {acc:.3f} after {steps} steps; hand NumPy gradients match "
                f"(rel err {grad_err:.0e}); "
                + ratio.summary("autodiff step", "the hand-written NumPy time"),
        accuracy=acc, loss_history=history["loss"], numpy_vs_autodiff_grad=grad_err,
        numpy_accuracy=acc_np, weight_drift=drift, time_autodiff=t_ad, time_numpy=t_np,
        time_ratio=ratio.median, time_ratio_meaningful=ratio.meaningful,
        **picture)


if __name__ == "__main__":
    main()
