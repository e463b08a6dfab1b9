"""10 - A small convolutional network on real digits.

Question: how does a convolution layer's backward pass work, and why is it a matrix
product in disguise?

A convolution slides a (C, kh, kw) kernel over the image and takes a dot product at
every position.  Copy every receptive field into a column ("im2col", `F.unfold`) and
all those dot products become ONE matrix product: W (O, C*kh*kw) @ cols
(C*kh*kw, positions).  The backward pass is then the backward pass of a matmul:

    dW    = g @ cols^T                      (a matmul over all positions and images)
    dcols = W^T @ g, then fold (col2im)     (each column's gradient added back onto the
                                             pixels it was copied from: a transposed conv)

We check this three ways (loops, unfold + matmul, `F.conv2d`), then train a
LeNet-style network on scikit-learn's 8x8 digits and move its weights to PyTorch.

Run:  python tutorials/10_cnn_digits.py [--quick] [--out DIR]
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
from tutorials._common import Tutorial, plt


# %% [markdown]
# ## 1. The data: 1797 handwritten digits, 8x8 pixels, shipped with scikit-learn
# Images go in NCHW layout: (number of images, channels, height, width) = (N, 1, 8, 8).

# %%
def load_digits(rng):
    from sklearn.datasets import load_digits as sk_digits
    digits = sk_digits()
    X = (digits.images / 16.0)[:, None, :, :]            # (1797, 1, 8, 8) in [0, 1]
    y = digits.target.astype(np.int64)
    order = rng.permutation(len(X))
    n_test = len(X) // 5
    test, train = order[:n_test], order[n_test:]
    return X[train], y[train], X[test], y[test]


# %% [markdown]
# ## 2. One convolution, three ways
# (a) loops, straight from the definition, with the backward pass also as loops;
# (b) `unfold` + matmul, differentiated by autodiff;  (c) `F.conv2d`.

# %%
def conv_loops(x, w, pad):
    """out[n, o, r, s] = sum over c, i, j of w[o, c, i, j] * xpad[n, c, r + i, s + j]."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    n_img, n_in, height, width = xp.shape
    n_out, _, kh, kw = w.shape
    out = np.zeros((n_img, n_out, height - kh + 1, width - kw + 1))
    for n in range(n_img):
        for o in range(n_out):
            for r in range(out.shape[2]):
                for s in range(out.shape[3]):
                    out[n, o, r, s] = np.sum(w[o] * xp[n, :, r:r + kh, s:s + kw])
    return out


def conv_loops_backward(x, w, g, pad):
    """The same loops run backwards: each output's gradient g[n, o, r, s] flows to the
    weights it multiplied (dW) and to the pixels it read (dx)."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    kh, kw = w.shape[2:]
    for n in range(g.shape[0]):
        for o in range(g.shape[1]):
            for r in range(g.shape[2]):
                for s in range(g.shape[3]):
                    dw[o] += g[n, o, r, s] * xp[n, :, r:r + kh, s:s + kw]
                    dxp[n, :, r:r + kh, s:s + kw] += g[n, o, r, s] * w[o]
    return dxp[:, :, pad:dxp.shape[2] - pad, pad:dxp.shape[3] - pad], dw


def conv_unfold(x, w, pad):
    """im2col + one matmul: (O, C*kh*kw) @ (N, C*kh*kw, L) -> (N, O, L) -> (N, O, H, W)."""
    n_out, _, kh, kw = w.shape
    cols = F.unfold(x, (kh, kw), padding=pad)               # (N, C*kh*kw, L)
    out = w.reshape(n_out, -1) @ cols                       # (N, O, L)
    size = x.shape[2] + 2 * pad - kh + 1
    return out.reshape(x.shape[0], n_out, size, size)


def part_three_ways(tut, X):
    tut.section("2. one convolution three ways: loops, unfold + matmul, F.conv2d")
    x = X[:4]                                               # (4, 1, 8, 8)
    w = tut.rng.standard_normal((3, 1, 3, 3))
    g = tut.rng.standard_normal((4, 3, 8, 8))               # an upstream gradient
    out_loops = conv_loops(x, w, pad=1)
    dx_loops, dw_loops = conv_loops_backward(x, w, g, pad=1)
    results = {}
    for name, conv in (("unfold + matmul", lambda a, b: conv_unfold(a, b, 1)),
                       ("F.conv2d", lambda a, b: F.conv2d(a, b, padding=1))):
        xt, wt = ad.tensor(x, requires_grad=True), ad.tensor(w, requires_grad=True)
        out = conv(xt, wt)
        out.backward(g)
        results[name] = (np.abs(out.data - out_loops).max(), np.abs(xt.grad - dx_loops).max(),
                         np.abs(wt.grad - dw_loops).max())
    tut.table(["compared with loops", "output", "dL/dx", "dL/dW"],
              [(name, *diffs) for name, diffs in results.items()], fmt="{:>20}")
    cols = F.unfold(ad.tensor(x), 3, padding=1)
    print(f"unfold: x {x.shape} -> cols {cols.shape} = (N, C*kh*kw, positions); the "
          f"weight as a matrix is {w.reshape(3, -1).shape}.\nThe backward of that matmul: "
          "dW = g @ cols^T summed over images, dcols = W^T @ g, and fold (col2im) adds "
          "each column back onto its 3x3 patch: that is dL/dx.")
    return results


# %% [markdown]
# ## 3. A LeNet-style network and the shape after every layer

# %%
def make_model(rng):
    nn = ad.nn
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),    # 8 x 4 x 4
        nn.Conv2d(8, 16, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),   # 16 x 2 x 2
        nn.Flatten(), nn.Linear(16 * 2 * 2, 10, rng=rng))


def part_shapes(tut, model, X):
    tut.section("3. shapes at every layer (NCHW)")
    h = ad.tensor(X[:32])
    rows = [("input", tuple(h.shape), 0)]
    for layer in model:
        h = layer(h)
        params = sum(p.size for p in layer.parameters())
        rows.append((type(layer).__name__, tuple(h.shape), params))
    tut.table(["layer", "output shape", "parameters"], rows, fmt="{:>20}")
    return [(name, shape) for name, shape, _ in rows]


# %% [markdown]
# ## 4. Training with Adam, mini-batches of 64

# %%
def train(tut, model, X, y, epochs, batch_size=64, lr=0.01):
    opt = ad.optim.Adam(list(model.parameters()), lr=lr)
    losses = []
    batches_per_epoch = int(np.ceil(len(X) / batch_size))
    bar = tut.progress(range(epochs * batches_per_epoch), desc="training the CNN")
    order = None
    for step in bar:
        k = step % batches_per_epoch
        if k == 0:
            order = tut.rng.permutation(len(X))
        idx = order[k * batch_size:(k + 1) * batch_size]
        loss = F.cross_entropy(model(ad.tensor(X[idx])), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if k == batches_per_epoch - 1 and hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{np.mean(losses[-batches_per_epoch:]):.3f}")
    return losses


def predict(model, X):
    with ad.no_grad():
        return model(ad.tensor(X)).data


# %% [markdown]
# ## 5. What the network learned: filters, feature maps, mistakes

# %%
def part_figures(tut, model, X_test, y_test, logits, losses):
    tut.section("5. figures: learned filters, feature maps, misclassified digits")
    filters = model[0].weight.data[:, 0]                    # (8, 3, 3)
    fig, axes = plt.subplots(1, 8, figsize=(10, 1.7))
    for k, ax in enumerate(axes):
        ax.imshow(filters[k], cmap="RdBu_r", vmin=-np.abs(filters).max(),
                  vmax=np.abs(filters).max())
        ax.set_title(f"filter {k}", fontsize=8)
        ax.axis("off")
    fig.suptitle("first-layer 3x3 filters (red +, blue -)", fontsize=9)
    tut.savefig(fig, "filters.png")

    image = X_test[:1]
    maps1 = predict(model[:2], image)[0]                    # after conv1 + ReLU: (8, 8, 8)
    maps2 = predict(model[:5], image)[0]                    # after conv2 + ReLU: (16, 4, 4)
    fig, axes = plt.subplots(3, 8, figsize=(10, 4.2))
    axes[0, 0].imshow(image[0, 0], cmap="gray_r")
    axes[0, 0].set_title(f"input (label {y_test[0]})", fontsize=8)
    for k in range(8):
        axes[1, k].imshow(maps1[k], cmap="viridis")
        axes[1, k].set_title(f"conv1 map {k}", fontsize=7)
    for k in range(8):
        axes[2, k].imshow(maps2[2 * k], cmap="viridis")
        axes[2, k].set_title(f"conv2 map {2 * k}", fontsize=7)
    for ax in axes.ravel():
        ax.axis("off")
    fig.suptitle("feature maps after ReLU: 8x8 after conv1, 4x4 after conv2", fontsize=9)
    tut.savefig(fig, "feature_maps.png")

    wrong = np.flatnonzero(logits.argmax(axis=1) != y_test)[:12]
    fig, axes = plt.subplots(2, 6, figsize=(9, 3.6))
    for ax, k in zip(axes.ravel(), list(wrong) + [None] * 12):
        ax.axis("off")
        if k is None:
            continue
        ax.imshow(X_test[k, 0], cmap="gray_r")
        ax.set_title(f"true {y_test[k]}, said {logits[k].argmax()}", fontsize=8)
    fig.suptitle(f"misclassified test digits ({len(np.flatnonzero(logits.argmax(1) != y_test))} "
                 f"of {len(y_test)}; up to 12 shown)", fontsize=9)
    tut.savefig(fig, "misclassified.png")

    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(losses, lw=0.8)
    ax.set_xlabel("mini-batch step")
    ax.set_ylabel("cross-entropy")
    ax.set_title("training loss")
    tut.savefig(fig, "training_loss.png")


# %% [markdown]
# ## 6. The same weights in PyTorch
# `to_torch_state_dict()` gives PyTorch's key names and layouts (`Linear`'s weight is
# transposed; convolution weights already match), so an identical `torch.nn`
# model makes the same predictions.

# %%
def part_torch(tut, model, X_test, logits):
    tut.section("6. the same weights loaded into PyTorch")
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: skipped (pip install torch to run this part).")
        return None
    tnn = torch.nn
    net = tnn.Sequential(tnn.Conv2d(1, 8, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                         tnn.Conv2d(8, 16, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                         tnn.Flatten(), tnn.Linear(64, 10)).double()
    net.load_state_dict({k: torch.from_numpy(v) for k, v in model.to_torch_state_dict().items()})
    with torch.no_grad():
        torch_logits = net(torch.from_numpy(X_test)).numpy()
    diff = float(np.abs(torch_logits - logits).max())
    same = bool((torch_logits.argmax(1) == logits.argmax(1)).all())
    print(f"PyTorch logits differ by at most {diff:.1e}; same predicted class for every "
          f"test digit: {same}")
    return {"max_logit_diff": diff, "same_predictions": same}


# %%
def main(argv=None) -> dict:
    tut = Tutorial(__file__, argv, "how does a convolution layer's backward pass work, and "
                   "why is it a matrix product in disguise?")
    epochs = 4 if tut.quick else 20
    X_train, y_train, X_test, y_test = load_digits(tut.rng)
    print(f"train {X_train.shape}, test {X_test.shape} (NCHW), pixel values in [0, 1]")
    three_ways = part_three_ways(tut, X_train)
    model = make_model(tut.rng)
    shapes = part_shapes(tut, model, X_train)
    tut.section(f"4. training: {epochs} epochs of Adam on {len(X_train)} digits")
    losses = train(tut, model, X_train, y_train, epochs)
    logits = predict(model, X_test)
    accuracy = float((logits.argmax(axis=1) == y_test).mean())
    chance = float(np.max(np.bincount(y_test)) / len(y_test))   # always the commonest digit
    print(f"test accuracy {accuracy:.3f} on {len(y_test)} held-out digits (always guessing "
          f"the commonest digit: {chance:.3f});\ntraining loss, mean of the first 10 "
          f"mini-batches {np.mean(losses[:10]):.3f} -> of the last 10 "
          f"{np.mean(losses[-10:]):.3f}")
    part_figures(tut, model, X_test, y_test, logits, losses)
    torch_check = part_torch(tut, model, X_test, logits)
    worst = max(max(d) for d in three_ways.values())
    return tut.finish(
        summary=f"test accuracy {accuracy:.3f} after {epochs} epochs; loops, unfold + matmul "
                f"and F.conv2d agree to {worst:.0e} (outputs and gradients)",
        accuracy=accuracy, three_ways=three_ways, shapes=shapes, losses=losses,
        torch_check=torch_check)


if __name__ == "__main__":
    main()
