"""Activations and losses (``import autodiff.nn.functional as F``).

The softmax family are ops of their own, each a forward kernel with its
vector-Jacobian product written next to it:

* ``softmax``:      grad_x = s * (g - sum(g * s))        (s = the output)
* ``log_softmax``:  grad_x = g - exp(ans) * sum(g)
* ``cross_entropy``: grad_logits = g * (p - onehot(target)) / N

A plain ``backward()`` runs these rules through the NumPy kernels
(``autodiff.kernels``); ``backward(create_graph=True)`` runs the same rules with
differentiable ops, so second derivatives work.  The other losses are short
compositions of primitives.

Losses take ``(input, target)`` and average over the batch, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..ops import elementwise as ew
from ..ops import reduce as rd
from ..ops.indexing import getitem
from ..ops.namespace import xp_function
from ..ops.registry import defop, defop_joint
from ..tensor import Tensor

# The activations are the core ops, re-exported here so ``F.relu`` etc. work.
relu = ew.relu
sigmoid = ew.sigmoid
tanh = ew.tanh
leaky_relu = ew.leaky_relu

__all__ = ["softmax", "log_softmax", "cross_entropy", "nll_loss", "mse_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "sigmoid_range",
           "l2_normalize", "relu", "sigmoid", "tanh", "leaky_relu"]


# ----- softmax ------------------------------------------------------------------
# Kernels are looked up at call time (``kernels.softmax``), so a faster kernel
# installed under the same name is picked up without touching these ops.

def _softmax_forward(x, axis=-1):
    return kernels.softmax(x, axis)


def _softmax_backward_numpy(g, s, axis=-1):
    return kernels.softmax_backward(g, s, axis)


def _softmax_backward_tensor(g, s, axis=-1):
    return s * (g - rd.sum(g * s, axis=axis, keepdims=True))


xp_function("softmax_backward", _softmax_backward_numpy, _softmax_backward_tensor)

_softmax = defop(
    "softmax", _softmax_forward,
    hint="axis must be an int in [-ndim, ndim)",
    x=("ans * (g - sum(g * ans, axis))",
       lambda xp, g, ans, x, axis=-1: xp.softmax_backward(g, ans, axis)),
    axis=None)


def _check_float(x, where):
    dtype = x.dtype if isinstance(x, Tensor) else np.asarray(x).dtype
    if dtype.kind != "f":
        raise TypeError(f"{where}: expected floating-point values, got dtype {dtype}; "
                        "convert first, e.g. x.astype(np.float64)")


def _dim(axis, dim, where):
    """PyTorch's ``dim=`` for ``axis=`` (the default -1 is the same in both)."""
    if dim is None:
        return axis
    if axis != -1:
        raise TypeError(f"{where}: got both axis={axis!r} and dim={dim!r}; pass one")
    return dim


def softmax(x, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``, stable for any finite logits.

    >>> F.softmax(ad.tensor([[0.0, 0.0], [0.0, 1e4]]))
    tensor([[0.5, 0.5],
            [0. , 1. ]])
    """
    _check_float(x, "softmax")
    return _softmax(x, axis=_dim(axis, dim, "softmax"))


# ----- log_softmax --------------------------------------------------------------

def _log_softmax_forward(x, axis=-1):
    return kernels.log_softmax(x, axis)


def _log_softmax_backward_numpy(g, ans, axis=-1):
    return kernels.log_softmax_backward(g, ans, axis)


def _log_softmax_backward_tensor(g, ans, axis=-1):
    return g - ew.exp(ans) * rd.sum(g, axis=axis, keepdims=True)


xp_function("log_softmax_backward", _log_softmax_backward_numpy,
                  _log_softmax_backward_tensor)

_log_softmax = defop(
    "log_softmax", _log_softmax_forward,
    hint="axis must be an int in [-ndim, ndim)",
    x=("g - exp(ans) * sum(g, axis)",
       lambda xp, g, ans, x, axis=-1: xp.log_softmax_backward(g, ans, axis)),
    axis=None)


def log_softmax(x, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """log(softmax(x)) computed as ``x - max - log(sum(exp(x - max)))``: finite for logits ±1e4.

    >>> F.log_softmax(ad.tensor([0.0, 1e4]))
    tensor([-10000.,      0.])
    """
    _check_float(x, "log_softmax")
    return _log_softmax(x, axis=_dim(axis, dim, "log_softmax"))


# ----- cross_entropy ------------------------------------------------------------
# The forward kernel returns the loss and the probabilities; the op keeps the
# probabilities as its node's saved state (saves=True), so the backward reuses them
# instead of computing exp again, and the reverse pass drops them with the rest.
# When nothing is recorded, the kernel's loss alone is returned.  With
# create_graph=True the gradient must itself be differentiable in the logits, so it
# is rebuilt from the softmax op instead.

def _cross_entropy_forward(logits, target):
    return kernels.cross_entropy(logits, target)


def _cross_entropy_loss(logits, target):
    return kernels.cross_entropy(logits, target)[0]


def _cross_entropy_backward_numpy(g, logits, target, probs):
    return kernels.cross_entropy_backward(g, probs, np.asarray(target))


def _cross_entropy_backward_tensor(g, logits, target, probs):
    target = np.asarray(target)
    n = logits.shape[0]
    onehot = np.zeros(logits.shape, dtype=logits.dtype)
    onehot[np.arange(n), target] = 1
    return (_softmax(logits, axis=-1) - onehot) * (g / n)


xp_function("cross_entropy_logits_backward", _cross_entropy_backward_numpy,
            _cross_entropy_backward_tensor)


def _cross_entropy_joint(xp, g, ans, needs, logits, target, saved):
    grad = xp.cross_entropy_logits_backward(g, logits, target, saved) if needs[0] else None
    return [grad, None]


_cross_entropy = defop_joint(
    "cross_entropy", _cross_entropy_forward, "grad_logits = g * (softmax(logits) - "
    "onehot(target)) / N; no gradient for target", _cross_entropy_joint,
    input_names=("logits", "target"), saves=True, kernel=_cross_entropy_loss,
    index_inputs={1: "class index"},
    doc="Mean cross-entropy of (N, C) logits against N integer targets (see F.cross_entropy).")


def _class_targets(where, shape, target, what):
    """Validate integer class targets for (N, C) scores; return them as an ndarray."""
    raw = np.asarray(target.data if isinstance(target, Tensor) else target)
    shape = tuple(shape)
    if len(shape) != 2:
        raise ValueError(
            f"{where}: {what} must have shape (N, C) (a batch of N rows of C class scores), "
            f"got shape {shape}; for a single sample use {what}[None] and a target of shape (1,)")
    if raw.dtype.kind not in "iu":
        raise TypeError(
            f"{where}: target must hold integer class indices, got dtype {raw.dtype}; "
            "pass class numbers, e.g. y.astype(np.int64) (not one-hot vectors or floats)")
    if raw.shape != (shape[0],):
        raise ValueError(
            f"{where}: target must have shape ({shape[0]},), one class index per row of "
            f"{what} with shape {shape}, but got shape {raw.shape}"
            + ("; one-hot targets are not accepted, pass y.argmax(axis=1)"
               if raw.shape == shape else ""))
    if raw.size:
        lo, hi = raw.min(), raw.max()
        if lo < 0 or hi >= shape[1]:
            bad = lo if lo < 0 else hi
            raise IndexError(
                f"{where}: target holds class {int(bad)}, but {what} with shape {shape} has "
                f"{shape[1]} classes, so targets must be in [0, {shape[1]})")
    return raw


def cross_entropy(logits, target) -> Tensor:
    """Mean over the batch of ``-log softmax(logits)[i, target[i]]``.

    ``logits`` has shape (N, C); ``target`` holds N integer classes in [0, C).
    The gradient with respect to the logits is ``(softmax(logits) - onehot) / N``.

    >>> logits = ad.tensor([[2.0, 0.0, 0.0]], requires_grad=True)
    >>> loss = F.cross_entropy(logits, [0]); loss.backward()
    >>> logits.grad                      # softmax - onehot
    array([[-0.21301396,  0.10650698,  0.10650698]])
    """
    _check_float(logits, "cross_entropy")
    shape = logits.shape if isinstance(logits, Tensor) else np.shape(logits)
    target = _class_targets("cross_entropy", shape, target, "logits")
    return _cross_entropy(logits, target)


def nll_loss(log_probs, target) -> Tensor:
    """Mean over the batch of ``-log_probs[i, target[i]]`` (pair it with ``log_softmax``).

    >>> lp = F.log_softmax(ad.tensor([[2.0, 0.0, 0.0]]))
    >>> F.nll_loss(lp, [0])              # same as F.cross_entropy(logits, [0])
    tensor(0.23954477)
    """
    _check_float(log_probs, "nll_loss")
    shape = log_probs.shape if isinstance(log_probs, Tensor) else np.shape(log_probs)
    target = _class_targets("nll_loss", shape, target, "log_probs")
    picked = getitem(log_probs, (np.arange(shape[0]), target))
    return -rd.mean(picked)


# ----- regression and binary losses ---------------------------------------------

def _check_same_shape(where, input, target):
    in_shape = np.shape(input.data if isinstance(input, Tensor) else input)
    t_shape = np.shape(target.data if isinstance(target, Tensor) else target)
    if t_shape != in_shape and t_shape != ():
        raise ValueError(
            f"{where}: input has shape {in_shape} but target has shape {t_shape}; they must "
            "match (broadcasting them would silently compare every input with every "
            "target). Reshape one, e.g. pred.reshape(-1) or target.reshape(pred.shape)")


def mse_loss(input, target) -> Tensor:
    """Mean of ``(input - target) ** 2``; the shapes must match (or target is a scalar).

    >>> F.mse_loss(ad.tensor([1.0, 3.0]), ad.tensor([0.0, 1.0]))
    tensor(2.5)
    """
    _check_same_shape("mse_loss", input, target)
    diff = ew.subtract(input, target)
    return rd.mean(diff * diff)


_LOG_FLOOR = -100.0  # PyTorch's clamp for log(p) in binary cross-entropy


def _clamped_log(p):
    # log(p) clamped at -100, with a gradient that is finite (zero) where clamped:
    # the inner where keeps log from seeing 0, the outer one picks the clamp.
    p = p if isinstance(p, Tensor) else Tensor(p)
    big = p > np.exp(_LOG_FLOOR)
    return ew.where(big, ew.log(ew.where(big, p, 1.0)), _LOG_FLOOR)


def binary_cross_entropy(input, target) -> Tensor:
    """Mean of ``-(t log p + (1 - t) log(1 - p))`` for probabilities ``p`` in [0, 1].

    Like PyTorch it takes probabilities (e.g. a sigmoid output), not logits, and
    clamps each log at -100, so the loss and its gradient stay finite at p = 0 and
    p = 1.  For logits use ``binary_cross_entropy_with_logits`` (more accurate).

    >>> F.binary_cross_entropy(ad.tensor([0.9, 0.2]), ad.tensor([1.0, 0.0]))
    tensor(0.16425203)
    """
    _check_same_shape("binary_cross_entropy", input, target)
    _check_float(input, "binary_cross_entropy")
    values = np.asarray(input.data if isinstance(input, Tensor) else input)
    if values.size and not (np.all(values >= 0) and np.all(values <= 1)):
        raise ValueError(
            f"binary_cross_entropy: input must be probabilities in [0, 1], but it ranges over "
            f"[{values.min():.4g}, {values.max():.4g}] (shape {values.shape}); apply "
            "ad.sigmoid first or use F.binary_cross_entropy_with_logits on raw scores")
    input = input if isinstance(input, Tensor) else Tensor(values)
    log_p = _clamped_log(input)
    log_q = _clamped_log(1 - input)
    return -rd.mean(target * log_p + (1 - target) * log_q)


def binary_cross_entropy_with_logits(logits, target) -> Tensor:
    """``binary_cross_entropy(sigmoid(logits), target)`` computed stably from the logits.

    Uses ``max(x, 0) - x t + log(1 + exp(-|x|))``, exact for any finite logit.

    >>> F.binary_cross_entropy_with_logits(ad.tensor([1e4, -1e4]), ad.tensor([1.0, 0.0]))
    tensor(0.)
    """
    _check_same_shape("binary_cross_entropy_with_logits", logits, target)
    _check_float(logits, "binary_cross_entropy_with_logits")
    x = logits if isinstance(logits, Tensor) else Tensor(logits)
    per_item = ew.relu(x) - x * target + ew.log1p(ew.exp(-ew.abs(x)))
    return rd.mean(per_item)


# ----- small helpers ------------------------------------------------------------

def sigmoid_range(x, lo: float, hi: float) -> Tensor:
    """``lo + (hi - lo) * sigmoid(x)``: squashes any real value into (lo, hi).

    >>> F.sigmoid_range(ad.tensor([0.0]), 0.5, 5.5)
    tensor([3.])
    """
    if not hi > lo:
        raise ValueError(f"sigmoid_range: need lo < hi, got lo={lo}, hi={hi}")
    return lo + (hi - lo) * ew.sigmoid(x)


def l2_normalize(x, axis: int = -1, eps: float = 1e-12) -> Tensor:
    """``x / max(||x||, eps)`` along ``axis``: unit-length rows, zero rows stay zero.

    Output and gradient are finite even for an all-zero row (where the gradient of
    ``||x||`` alone would be 0/0): the norm is computed under a double ``where``.

    >>> F.l2_normalize(ad.tensor([[3.0, 4.0], [0.0, 0.0]]))
    tensor([[0.6, 0.8],
            [0. , 0. ]])
    """
    _check_float(x, "l2_normalize")
    x = x if isinstance(x, Tensor) else Tensor(x)
    squared = rd.sum(x * x, axis=axis, keepdims=True)
    big = squared > eps * eps
    norm = ew.where(big, ew.sqrt(ew.where(big, squared, 1.0)), eps)
    return x / norm

