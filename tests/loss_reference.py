"""Plain-loop NumPy references for the likelihood, margin and embedding losses.

Written for clarity, not speed, from PyTorch's documented definitions: every
per-sample loss is a sum written out.  ``reduce`` applies ``reduction``.
"""

from __future__ import annotations

import math

import numpy as np


def reduce(per_item, reduction):
    per_item = np.asarray(per_item, dtype=np.float64)
    if reduction == "mean":
        return per_item.mean()
    if reduction == "sum":
        return per_item.sum()
    return per_item


def gaussian_nll(x, t, var, full=False, eps=1e-6):
    """``var`` already has ``x``'s shape."""
    out = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        v = max(var[i], eps)
        out[i] = 0.5 * (math.log(v) + (x[i] - t[i]) ** 2 / v)
        if full:
            out[i] += 0.5 * math.log(2 * math.pi)
    return out


def poisson_nll(x, t, log_input=True, full=False, eps=1e-8):
    out = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        if log_input:
            out[i] = math.exp(x[i]) - t[i] * x[i]
        else:
            out[i] = x[i] - t[i] * math.log(x[i] + eps)
        if full and t[i] > 1:
            out[i] += t[i] * math.log(t[i]) - t[i] + 0.5 * math.log(2 * math.pi * t[i])
    return out


def margin_ranking(x1, x2, y, margin=0.0):
    out = np.zeros(x1.shape)
    for i in np.ndindex(x1.shape):
        out[i] = max(0.0, -y[i] * (x1[i] - x2[i]) + margin)
    return out


def hinge_embedding(x, y, margin=1.0):
    out = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        out[i] = x[i] if y[i] == 1 else max(0.0, margin - x[i])
    return out


def soft_margin(x, y):
    out = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        out[i] = math.log1p(math.exp(-y[i] * x[i]))
    return out


def multilabel_soft_margin(x, y, weight=None):
    """(N, C) or (C,); returns one loss per sample."""
    rows, labels = x.reshape(-1, x.shape[-1]), y.reshape(-1, x.shape[-1])
    c = x.shape[-1]
    w = np.ones(c) if weight is None else weight
    out = []
    for row, label in zip(rows, labels):
        total = 0.0
        for j in range(c):
            p = 1 / (1 + math.exp(-row[j]))
            total -= w[j] * (label[j] * math.log(p) + (1 - label[j]) * math.log(1 - p))
        out.append(total / c)
    return np.array(out).reshape(x.shape[:-1])


def multi_margin(x, y, p=1, margin=1.0, weight=None):
    rows, targets = x.reshape(-1, x.shape[-1]), np.reshape(y, -1)
    c = x.shape[-1]
    out = []
    for row, target in zip(rows, targets):
        total = 0.0
        for j in range(c):
            if j == target:
                continue
            z = margin - row[target] + row[j]
            if z > 0:
                total += (z if p == 1 else z * z) * (1.0 if weight is None else weight[target])
        out.append(total / c)
    return np.array(out).reshape(np.shape(y))


def multilabel_margin(x, y):
    rows, targets = x.reshape(-1, x.shape[-1]), y.reshape(-1, x.shape[-1])
    c = x.shape[-1]
    out = []
    for row, target in zip(rows, targets):
        listed = []
        for label in target:
            if label < 0:
                break
            listed.append(int(label))
        total = 0.0
        for j in listed:
            for i in range(c):
                if i not in listed:
                    total += max(0.0, 1 - (row[j] - row[i]))
        out.append(total / c)
    return np.array(out).reshape(x.shape[:-1])


def cosine_embedding(x1, x2, y, margin=0.0):
    """(N, D) inputs and (N,) targets."""
    out = np.zeros(len(y))
    for n in range(len(y)):
        a, b = x1[n], x2[n]
        cos = (a * b).sum() / math.sqrt(((a * a).sum() + 1e-12) * ((b * b).sum() + 1e-12))
        out[n] = 1 - cos if y[n] == 1 else max(0.0, cos - margin)
    return out


def distance(a, b, p=2.0, eps=1e-6):
    d = np.abs(a - b + eps)
    return d.max() if p == math.inf else (d ** p).sum() ** (1 / p)


def triplet_margin(a, pos, neg, margin=1.0, p=2.0, eps=1e-6, swap=False):
    """(N, D) inputs."""
    out = np.zeros(len(a))
    for n in range(len(a)):
        d_pos = distance(a[n], pos[n], p, eps)
        d_neg = distance(a[n], neg[n], p, eps)
        if swap:
            d_neg = min(d_neg, distance(pos[n], neg[n], p, eps))
        out[n] = max(0.0, margin + d_pos - d_neg)
    return out
