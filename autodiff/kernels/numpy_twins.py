"""Pure-NumPy versions of every kernel: the reference the JIT kernels must match."""

from __future__ import annotations

import numpy as np


def sigmoid(x):
    """1 / (1 + exp(-x)) without overflow for any finite x."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_backward(g, s):
    return g * (s * (1 - s))


def tanh_backward(g, t):
    return g * (1 - t * t)


def relu(x):
    return np.maximum(x, 0)


def relu_backward(g, x):
    return np.where(x > 0, g, 0)


def leaky_relu(x, slope=0.01):
    return np.where(x > 0, x, x * slope)


def leaky_relu_backward(g, x, slope=0.01):
    return np.where(x > 0, g, g * slope)


def softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_backward(g, s, axis=-1):
    """s * (g - sum(g * s)): the vector-Jacobian product of softmax."""
    return s * (g - np.sum(g * s, axis=axis, keepdims=True))


def log_softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def log_softmax_backward(g, ans, axis=-1):
    """g - softmax * sum(g), with softmax = exp(ans)."""
    return g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)


def cross_entropy(logits, target):
    """Mean cross-entropy of (N, C) logits against integer targets, and the softmax."""
    logp = log_softmax(logits, axis=-1)
    n = logits.shape[0]
    loss = -np.mean(logp[np.arange(n), target]) if n else np.array(np.nan, logits.dtype)
    return np.asarray(loss, dtype=logits.dtype), np.exp(logp)


def cross_entropy_backward(g, probs, target):
    """g * (probs - onehot(target)) / N."""
    n = probs.shape[0]
    grad = probs.copy()
    grad[np.arange(n), target] -= 1
    return grad * (g / n)


def scatter_add(out, key, values):
    """out[key] += values, accumulating repeated indices (np.add.at semantics)."""
    np.add.at(out, key, values)
    return out
