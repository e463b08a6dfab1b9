"""Pure-NumPy versions of every kernel: the reference the JIT kernels must match."""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) without overflow for any finite x."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_backward(g: np.ndarray, s: np.ndarray) -> np.ndarray:
    return g * (s * (1 - s))


def tanh_backward(g: np.ndarray, t: np.ndarray) -> np.ndarray:
    return g * (1 - t * t)


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0)


def relu_backward(g: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, g, 0)


def leaky_relu(x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    return np.where(x > 0, x, x * slope)


def leaky_relu_backward(g: np.ndarray, x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    return np.where(x > 0, g, g * slope)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_backward(g: np.ndarray, s: np.ndarray, axis: int = -1) -> np.ndarray:
    """s * (g - sum(g * s)): the vector-Jacobian product of softmax."""
    return s * (g - np.sum(g * s, axis=axis, keepdims=True))


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def log_softmax_backward(g: np.ndarray, ans: np.ndarray, axis: int = -1) -> np.ndarray:
    """g - softmax * sum(g), with softmax = exp(ans)."""
    return g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)


def cross_entropy(logits: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean cross-entropy of (N, C) logits against integer targets, and the softmax."""
    logp = log_softmax(logits, axis=-1)
    n = logits.shape[0]
    loss = -np.mean(logp[np.arange(n), target]) if n else np.array(np.nan, logits.dtype)
    return np.asarray(loss, dtype=logits.dtype), np.exp(logp)


def cross_entropy_backward(g: np.ndarray, probs: np.ndarray, target: np.ndarray) -> np.ndarray:
    """g * (probs - onehot(target)) / N."""
    n = probs.shape[0]
    grad = probs.copy()
    grad[np.arange(n), target] -= 1
    return grad * (g / n)


def scatter_add(out: np.ndarray, key, values: np.ndarray) -> np.ndarray:
    """out[key] += values, accumulating repeated indices (np.add.at semantics)."""
    np.add.at(out, key, values)
    return out
