"""03 - Embeddings vs indexing.

Question: is an embedding layer different from indexing a weight matrix? Is the
gradient different?

No.  An embedding layer *is* `weight[ids]`: the forward gathers rows, the backward
scatter-adds the incoming gradient rows back into a zero matrix of the weight's
shape - so a row used three times in a batch receives the sum of three gradients,
and rows not used receive zeros.  Multiplying a one-hot matrix by the weight
computes the same numbers, but pays for a (batch x rows) matrix to do it.

Run:  python tutorials/03_embeddings_vs_indexing.py [--quick] [--out DIR]
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
from tutorials._common import Tutorial, median_time, plt

# %% [markdown]
# ## 1. Three ways to look up rows
# The same weight, the same ids (with repeats), the same upstream gradient G:
# compare outputs and gradients entry by entry.

# %%
def lookups(weight, ids):
    """The three lookups of `ids` in `weight` (an (n, dim) array), as fresh leaves."""
    n = len(weight)
    emb = ad.nn.Embedding(n, weight.shape[1])
    emb.weight.data = weight.copy()
    W_index = ad.nn.Parameter(weight.copy(), name="W")
    W_onehot = ad.nn.Parameter(weight.copy(), name="W")
    onehot = np.eye(n)[ids]                                   # (batch, n): mostly zeros
    return {
        "Embedding": (emb.weight, lambda: emb(ids)),
        "W[ids]": (W_index, lambda: W_index[ids]),
        "onehot @ W": (W_onehot, lambda: ad.tensor(onehot) @ W_onehot),
    }


def part_same_gradients(tut):
    tut.section("1. Embedding vs W[ids] vs one-hot @ W")
    rng = tut.rng
    n, dim = 10, 3
    weight = rng.standard_normal((n, dim))
    ids = np.array([2, 7, 2, 0, 2, 7])                        # 2 three times, 7 twice
    G = rng.standard_normal((len(ids), dim))                  # upstream gradient
    out, grads = {}, {}
    for label, (param, look_up) in lookups(weight, ids).items():
        y = look_up()
        y.backward(G)
        out[label], grads[label] = y.data, param.grad
    outputs_diff = max(float(np.max(np.abs(out[k] - out["Embedding"]))) for k in out)
    emb_vs_index = float(np.max(np.abs(grads["Embedding"] - grads["W[ids]"])))
    onehot_diff = float(np.max(np.abs(grads["onehot @ W"] - grads["W[ids]"])))
    print(f"ids {ids}")
    print(f"outputs: max |difference| across the three = {outputs_diff}")
    print(f"gradients: Embedding vs W[ids] max |difference| = {emb_vs_index}; "
          f"one-hot vs W[ids] = {onehot_diff:.1e}")
    expected_row2 = G[0] + G[2] + G[4]
    accumulates = bool(np.allclose(grads["W[ids]"][2], expected_row2))
    print(f"row 2 (used 3 times): grad {np.round(grads['W[ids]'][2], 4)} = G[0] + G[2] + G[4] "
          f"{np.round(expected_row2, 4)}: {accumulates}")
    print(f"rows never used get zero gradient: {np.flatnonzero(~grads['W[ids]'].any(1))}")
    # The NumPy pitfall a hand-written backward falls into: fancy-index assignment
    # does not accumulate repeated indices; np.add.at does.
    wrong = np.zeros_like(weight)
    wrong[ids] += G
    right = np.zeros_like(weight)
    np.add.at(right, ids, G)
    print(f"hand-written backward: `grad[ids] += G` gives row 2 = {np.round(wrong[2], 4)} "
          f"(= G[4], only the last use: {np.array_equal(wrong[2], G[4])});\n"
          f"  np.add.at(grad, ids, G) matches autodiff: "
          f"{np.array_equal(right, grads['W[ids]'])}")
    return outputs_diff, emb_vs_index, onehot_diff, accumulates


def part_cost(tut):
    tut.section("1b. same numbers, different cost")
    rng = tut.rng
    n, dim, batch = (2000, 32, 256) if tut.quick else (20000, 64, 2048)
    weight = rng.standard_normal((n, dim))
    ids = rng.integers(0, n, size=batch)
    G = rng.standard_normal((batch, dim))
    rows, times = [], {}
    for label, (param, look_up) in lookups(weight, ids).items():
        def step(param=param, look_up=look_up):
            param.zero_grad()
            look_up().backward(G)
        step()                                                  # warm-up (JIT, caches)
        times[label] = median_time(step, repeats=5 if tut.quick else 9)
    for label, t in times.items():
        rows.append((label, f"{t * 1e3:.3f} ms", f"{t / times['W[ids]']:.1f}x"))
    print(f"table {n} x {dim}, batch of {batch} ids, forward + backward (medians on this run):")
    tut.table(["lookup", "time", "vs W[ids]"], rows, fmt="{:>14}")
    print(f"the one-hot matrix alone has {batch * n:,} entries for {batch} useful rows")
    return times


# %% [markdown]
# ## 2. A dot-product-bias recommender
# rating(u, i) = sigmoid_range(user_u . item_i + b_u + b_i, 0.5, 5.5).  Four lookups
# per example; every gradient step touches only the rows of the users and items in
# the batch (the rest get zero gradient - though Adam's momentum still moves rows
# it has seen before).  sigmoid_range keeps predictions inside the rating scale
# (a little beyond 1..5, so the extremes are reachable).

# %%
class DotProductBias(ad.nn.Module):
    def __init__(self, n_users, n_items, k=4, y_range=(0.5, 5.5), seed=0):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.user_factors = ad.nn.Embedding(n_users, k, std=0.1, rng=rng)
        self.item_factors = ad.nn.Embedding(n_items, k, std=0.1, rng=rng)
        self.user_bias = ad.nn.Embedding(n_users, 1, std=0.01, rng=rng)
        self.item_bias = ad.nn.Embedding(n_items, 1, std=0.01, rng=rng)
        self.y_range = y_range

    def forward(self, users, items):
        dot = (self.user_factors(users) * self.item_factors(items)).sum(axis=1)
        bias = self.user_bias(users)[:, 0] + self.item_bias(items)[:, 0]
        return F.sigmoid_range(dot + bias, *self.y_range)


def part_recommender(tut):
    tut.section("2. dot-product-bias recommender on synthetic ratings")
    n_users, n_items, n, epochs = (60, 50, 2000, 12) if tut.quick else (400, 300, 36000, 15)
    noise = 0.3                                       # std of the noise added to each rating
    users, items, r = ad.data.ratings(n_users, n_items, n, seed=0, noise=noise)
    split = int(0.8 * n)
    train = (np.stack([users[:split], items[:split]], 1), r[:split])
    valid = (users[split:], items[split:], r[split:])
    model = DotProductBias(n_users, n_items)
    # k = 4 factors, as many as the data were generated with; with 8 the model
    # starts fitting noise after a few epochs (validation loss goes back up).
    opt = ad.optim.Adam(model.parameters(), lr=0.01 if tut.quick else 0.005)
    baseline = float(np.sqrt(np.mean((valid[2] - train[1].mean()) ** 2)))
    history = {"train": [], "valid": []}
    for epoch in tut.progress(range(epochs), desc="recommender"):
        losses = []
        for X, y in ad.data.batches(*train, batch_size=128, seed=epoch):
            opt.zero_grad()
            loss = F.mse_loss(model(X[:, 0], X[:, 1]), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        with ad.no_grad():
            val = F.mse_loss(model(valid[0], valid[1]), valid[2]).item()
        history["train"].append(float(np.mean(losses)))
        history["valid"].append(val)
    print(f"{n_users} users, {n_items} items, {n} ratings (80/20 split), {epochs} epochs")
    print(f"validation RMSE: {np.sqrt(history['valid'][0]):.3f} after epoch 1 -> "
          f"{np.sqrt(history['valid'][-1]):.3f} at the end (predicting the mean: "
          f"{baseline:.3f}; the ratings were generated with noise of std {noise}, so about "
          f"{noise} is the best possible)")
    best = int(np.argmin(history["valid"]))
    if best < epochs - 1:
        low, last = history["valid"][best], history["valid"][-1]
        rise = 100 * (last / low - 1)
        verdict = ("later epochs overfit" if rise > 2 else
                   "the later epochs change it by little: no real overfitting")
        print(f"validation MSE is lowest after epoch {best + 1} ({low:.4f}) and ends at "
              f"{last:.4f}, {rise:.1f}% higher: {verdict}")
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.plot(range(1, epochs + 1), history["train"], "o-", label="train MSE")
    ax.plot(range(1, epochs + 1), history["valid"], "s-", label="validation MSE")
    ax.axhline(baseline ** 2, color="gray", ls=":", label="predict the mean")
    ax.set(xlabel="epoch", ylabel="MSE", title="dot-product-bias recommender", yscale="log")
    ax.legend()
    tut.savefig(fig, "recommender_loss.png")
    loss = F.mse_loss(model(valid[0][:4], valid[1][:4]), valid[2][:4])
    loss.name = "mse"
    tut.graph(loss, "recommender_graph", params=model)
    return history


# %% [markdown]
# ## 3. Two heads from one dense output, by slicing
# A layer with 2k outputs, split as mean = out[:, :k] and log_sigma = out[:, k:].
# Slicing is indexing, so its backward writes each head's gradient into its own
# half of a zero (N, 2k) gradient: the weight columns of the mean head learn from
# the mean's loss terms, the log_sigma columns from the sigma terms.  If the loss
# ignores a head, its half of the weight gets exactly zero gradient.

# %%
def gaussian_nll(mean, log_sigma, y):
    return (log_sigma + 0.5 * ((y - mean) / ad.exp(log_sigma)) ** 2).mean()


def part_two_heads(tut):
    tut.section("3. two heads (mean, log_sigma) sliced from one layer")
    rng = tut.rng
    n = 200
    x = rng.uniform(-1, 1, (n, 1))
    y = np.sin(3 * x) + (0.05 + 0.3 * np.abs(x)) * rng.standard_normal((n, 1))
    hidden = ad.nn.Linear(1, 32, rng=rng)
    head = ad.nn.Linear(32, 2, rng=rng)                # column 0: mean, column 1: log_sigma

    def heads(xs):
        out = head(ad.tanh(hidden(ad.tensor(xs))))
        return out[:, :1], out[:, 1:]

    mean, log_sigma = heads(x)
    gaussian_nll(mean, log_sigma, y).backward()
    both = np.abs(head.weight.grad).sum(axis=0)
    head.zero_grad()
    hidden.zero_grad()
    mean, _ = heads(x)
    F.mse_loss(mean, ad.tensor(y)).backward()
    mean_only = np.abs(head.weight.grad).sum(axis=0)
    print(f"|grad| of the head's weight columns (mean, log_sigma): Gaussian NLL {both}; "
          f"MSE on the mean only {mean_only}")
    split_ok = bool(np.all(both > 0) and mean_only[0] > 0 and mean_only[1] == 0)

    steps = 300 if tut.quick else 1500
    params = [*hidden.parameters(), *head.parameters()]
    opt = ad.optim.Adam(params, lr=0.01)
    for _ in tut.progress(range(steps), desc="two heads"):
        opt.zero_grad()
        mean, log_sigma = heads(x)
        loss = gaussian_nll(mean, log_sigma, y)
        loss.backward()
        opt.step()
    grid = np.linspace(-1, 1, 200)[:, None]
    with ad.no_grad():
        m, ls = (h.data[:, 0] for h in heads(grid))
    true_sigma = 0.05 + 0.3 * np.abs(grid[:, 0])
    sigma_err = float(np.median(np.abs(np.exp(ls) - true_sigma)))
    print(f"after {steps} Adam steps on the Gaussian NLL: NLL {loss.item():.3f}; predicted "
          f"sigma vs true: median |error| {sigma_err:.3f}")
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.plot(x[:, 0], y[:, 0], ".", ms=3, color="gray", label="data")
    ax.plot(grid[:, 0], m, "C0", label="mean head")
    ax.fill_between(grid[:, 0], m - 2 * np.exp(ls), m + 2 * np.exp(ls), color="C0", alpha=0.2,
                    label="mean +- 2 sigma (log_sigma head)")
    ax.set(xlabel="x", ylabel="y", title="two heads sliced from one output")
    ax.legend(fontsize=8)
    tut.savefig(fig, "two_heads.png")
    return split_ok, sigma_err


# %%
def main(argv=None) -> dict:
    tut = Tutorial(__file__, argv, "is an embedding layer different from indexing a weight "
                   "matrix? Is the gradient different?")
    outputs_diff, emb_vs_index, onehot_diff, accumulates = part_same_gradients(tut)
    times = part_cost(tut)
    history = part_recommender(tut)
    split_ok, sigma_err = part_two_heads(tut)
    return tut.finish(
        summary=f"Embedding vs W[ids]: outputs and gradients identical (max diff "
                f"{emb_vs_index:g}); one-hot @ W {times['onehot @ W'] / times['W[ids]']:.0f}x "
                f"slower on this run; recommender val RMSE {np.sqrt(history['valid'][-1]):.3f}",
        outputs_max_diff=outputs_diff, embedding_vs_indexing_grad_diff=emb_vs_index,
        onehot_grad_diff=onehot_diff, repeated_index_accumulates=accumulates,
        times=times, val_loss_first=history["valid"][0], val_loss_last=history["valid"][-1],
        train_history=history["train"], head_grads_split=split_ok, sigma_error=sigma_err)


if __name__ == "__main__":
    main()
