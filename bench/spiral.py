"""The spiral MLP training step of the README and tutorials 05 and 09.

300 points of ``ad.data.spiral(100, 3, seed=0)``, ``nn.MLP([2, 64, 3], rng=0)``,
full-batch softmax cross-entropy and Adam (lr 0.05), float64: the step the README's
"Compiling a step" shows, run eagerly, through ``@ad.compile``, written by hand in
NumPy, and in PyTorch eager when it is installed.  ``spiral_mlp()`` returns the
implementations (``run()`` is one step) and, for each, ``weights()``; all start
from the same weights, and ``agreement()`` checks that a few steps of each give
the same numbers (up to rounding).
"""

from __future__ import annotations

import math

import numpy as np

from bench.workloads import torch_or_none

SAMPLES, CLASSES, SIZES, LR = 100, 3, (2, 64, 3), 0.05
BETAS, EPS = (0.9, 0.999), 1e-8


def _data():
    import autodiff as ad
    return ad.data.spiral(SAMPLES, CLASSES, seed=0)


def _autodiff(compiled: bool):
    import autodiff as ad
    from autodiff.nn import functional as F
    X, y = _data()
    model = ad.nn.MLP(list(SIZES), rng=0)
    opt = ad.optim.Adam(model.parameters(), lr=LR)

    def train_step(xb, yb):
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    step = ad.compile(train_step) if compiled else train_step
    return (lambda: step(X, y)), (lambda: [p.data for p in model.parameters()])


def initial_weights():
    """W1 (2, 64), b1, W2 (64, 3), b2: the MLP's initial parameters, as arrays."""
    import autodiff as ad
    return [p.data.copy() for p in ad.nn.MLP(list(SIZES), rng=0).parameters()]


def _numpy():
    """Forward, backprop and Adam by hand: the same arithmetic as ``optim.Adam``."""
    X, y = _data()
    params = initial_weights()
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    rows, n = np.arange(len(X)), len(X)
    t = [0]

    def step():
        W1, b1, W2, b2 = params
        z1 = X @ W1
        z1 += b1
        h = np.maximum(z1, 0)
        z2 = h @ W2
        z2 += b2
        z2 -= z2.max(axis=1, keepdims=True)
        p = np.exp(z2)
        total = p.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(total[:, 0]) - z2[rows, y])
        p /= total
        p[rows, y] -= 1
        p *= 1 / n                                     # d loss / d logits
        d1 = p @ W2.T
        d1 *= z1 > 0
        grads = (X.T @ d1, d1.sum(axis=0), h.T @ p, p.sum(axis=0))
        t[0] += 1
        step_size = LR / (1 - BETAS[0] ** t[0])
        root = math.sqrt(1 - BETAS[1] ** t[0])
        for w, g, (m, v) in zip(params, grads, moments):
            m *= BETAS[0]
            m += (1 - BETAS[0]) * g
            v *= BETAS[1]
            v += (1 - BETAS[1]) * (g * g)
            w -= step_size * (m / (np.sqrt(v) / root + EPS))
        return loss

    return step, (lambda: params)


def _torch():
    torch = torch_or_none()
    if torch is None:
        return None
    X, y = _data()
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    params = [torch.from_numpy(a).requires_grad_() for a in initial_weights()]
    W1, b1, W2, b2 = params
    opt = torch.optim.Adam(params, lr=LR, betas=BETAS, eps=EPS)

    def step():
        loss = torch.nn.functional.cross_entropy(torch.relu(X @ W1 + b1) @ W2 + b2, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step, (lambda: [p.detach().numpy() for p in params])


def spiral_mlp(with_torch: bool = True):
    """``({name: run}, {name: weights})`` for eager, compiled, NumPy (and PyTorch)."""
    built = {"autodiff": _autodiff(compiled=False), "autodiff compiled": _autodiff(True),
             "numpy": _numpy()}
    torch_step = _torch() if with_torch else None
    if torch_step is not None:
        built["pytorch"] = torch_step
    return ({name: run for name, (run, _) in built.items()},
            {name: weights for name, (_, weights) in built.items()})


def agreement(steps: int = 10, with_torch: bool = True) -> dict:
    """Fresh implementations, ``steps`` steps each: the largest difference of each one's
    weights from eager autodiff's, relative to the largest weight.  Few steps on
    purpose: training amplifies rounding (on this problem a 1e-16 difference grows
    past 1e-9 within about 600 Adam steps, whichever two implementations)."""
    impls, weights = spiral_mlp(with_torch)
    for run in impls.values():
        for _ in range(steps):
            run()
    reference = weights["autodiff"]()
    return {name: max(float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-300))
                      for a, b in zip(get(), reference))
            for name, get in weights.items() if name != "autodiff"}
