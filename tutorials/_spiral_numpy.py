"""The spiral MLP's training step (2-64-3, softmax cross-entropy, Adam) by hand in
NumPy: tutorial 09's baseline for the speed of eager and compiled steps.  Tutorial 05
derives the same backprop; here every update is written in place, the fastest form
for code that calls NumPy once per operation."""

from __future__ import annotations

import numpy as np


def numpy_spiral_step(model, X, y, lr, betas=(0.9, 0.999), eps=1e-8):
    """The same Adam step on the same initial weights, by hand; returns it and its arrays."""
    params = [p.data.copy() for p in model.parameters()]       # W1, b1, W2, b2
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    rows, t = np.arange(len(X)), [0]

    def step():
        W1, b1, W2, b2 = params
        Z1 = X @ W1 + b1
        H = np.maximum(Z1, 0)
        Z2 = H @ W2 + b2
        Z2 -= Z2.max(axis=1, keepdims=True)
        P = np.exp(Z2)
        total = P.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(total[:, 0]) - Z2[rows, y])
        P /= total
        P[rows, y] -= 1
        P /= len(X)                                            # d loss / d logits
        dZ1 = (P @ W2.T) * (Z1 > 0)
        grads = (X.T @ dZ1, dZ1.sum(axis=0), H.T @ P, P.sum(axis=0))
        t[0] += 1
        for p, g, (m, v) in zip(params, grads, moments):
            m *= betas[0]
            m += (1 - betas[0]) * g
            v *= betas[1]
            v += (1 - betas[1]) * (g * g)
            denom = np.sqrt(v) / np.sqrt(1 - betas[1] ** t[0]) + eps
            p -= lr / (1 - betas[0] ** t[0]) * (m / denom)
        return loss

    return step, params
