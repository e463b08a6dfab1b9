"""Losses, as in PyTorch: ``(input, target)``, ``reduction='mean'|'sum'|'none'``.

``cross_entropy`` of (N, C) logits against integer targets with the default options
is one op (``cross_entropy``) that keeps the probabilities for its backward.  Every other case
(class weights, ``ignore_index`` present in the targets, ``label_smoothing``,
``(N, C, d1, ...)`` logits, other reductions) is ``log_softmax`` followed by
``nll_loss``, exactly PyTorch's formulas.  ``mse_loss`` and ``huber_loss`` are short
compositions of primitives; the binary cross-entropies are in ``losses_binary``.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import kernels
from ..compile.hooks import branch, made
from ..kernels.numpy_twins import largest_as_unsigned as _largest_unsigned
from ..ops import elementwise as ew
from ..ops import reduce as rd
from ..ops.indexing import getitem
from ..ops.namespace import xp_function
from ..ops.operands import constant_argument
from ..ops.registry import defop_joint
from ..ops.shape import reshape
from ..tensor import Tensor
from .loss_inputs import check_float_scores, warn_if_probabilities
from .softmax import _softmax, log_softmax

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(where, reduction):
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(f"{where}: reduction must be 'mean', 'sum' or 'none', "
                         f"got {reduction!r}")


def _check_ignore_index(where, ignore_index):
    """Refuse an ``ignore_index`` that is not an int: a bool there is most likely
    PyTorch's deprecated ``size_average`` passed by position (PyTorch's fourth argument),
    which would otherwise silently skip class 1 (True) or class 0 (False)."""
    if ignore_index is None or (isinstance(ignore_index, (int, np.integer))
                                and not isinstance(ignore_index, (bool, np.bool_))):
        return
    raise TypeError(f"{where}: ignore_index must be an int (the class to skip), got "
                    f"{ignore_index!r}; PyTorch's fourth positional argument is the "
                    "deprecated size_average, which is not supported here: pass "
                    "reduction='mean' or 'sum' (and ignore_index=) by name")


def _reduce(per_item, reduction):
    if reduction == "mean":
        return rd.mean(per_item)
    if reduction == "sum":
        return rd.sum(per_item)
    return per_item


def _raw(x):
    return np.asarray(x.data if isinstance(x, Tensor) else x)


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


def _requires_grad(x):
    return isinstance(x, Tensor) and x.requires_grad


# ----- the fused cross_entropy op (plain case) ------------------------------------------
# The forward kernel returns the loss and, from the same pass, the gradient for g = 1,
# (softmax(logits) - onehot(target)) / N.  The op keeps that array as its node's saved
# state (saves=True), in a one-item list: the backward takes it out, scales it by g in
# place and hands it on, so no (N, C) array is read or written again.  A second backward
# of the same graph (retain_graph=True) finds the list empty and runs the kernel again.
# When nothing is recorded, the loss-only kernel runs (it writes no (N, C) array).
# With create_graph=True the gradient must itself be differentiable in the logits, so it
# is rebuilt from the softmax op instead.

def _targets_in_range(logits, target):
    # F.cross_entropy checked the targets already, and the kernels and their twins
    # refuse a target out of range too (a compiled function's replay runs the op
    # alone); this says why that can happen in a compiled step.
    classes = logits.shape[-1]
    if target.size and _largest_unsigned(target) >= classes:
        bad = target.min() if target.min() < 0 else target.max()
        raise IndexError(f"cross_entropy: target holds class {int(bad)}, but the logits "
                         f"have {classes} classes, so targets must be in [0, {classes}). "
                         "(In a compiled step traced on targets without ignore_index, an "
                         "ignored target ends up here too: ignored targets take another path, "
                         "chosen at the trace; trace on a batch that holds one.)")


def _cross_entropy_forward(logits, target):
    try:
        loss, grad = kernels.cross_entropy(logits, target)
    except IndexError:
        _targets_in_range(logits, target)       # the message that says why
        raise
    return loss, [grad]


def _cross_entropy_loss(logits, target):
    try:
        return kernels.cross_entropy_loss(logits, target)
    except IndexError:
        _targets_in_range(logits, target)
        raise


def _cross_entropy_backward_numpy(g, logits, target, saved):
    grad = saved.pop() if saved else kernels.cross_entropy(logits, np.asarray(target))[1]
    if g.__class__ is np.ndarray and g.ndim == 0:
        unit = g.item() == 1            # (the usual seed: a Python comparison, no ufunc)
    else:
        unit = np.ndim(g) == 0 and g == 1
    if not unit:
        np.multiply(grad, g, out=grad, casting="same_kind")
    return grad


def _cross_entropy_backward_tensor(g, logits, target, saved):
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
    input_names=("logits", "target"), grad_inputs=(0,), saves=True, kernel=_cross_entropy_loss,
    index_inputs={1: "class index"},
    doc="Mean cross-entropy of (N, C) logits against N integer targets (see F.cross_entropy).")


# ----- class targets ---------------------------------------------------------------------

def _class_targets(where, shape, target, what, ignore_index=None):
    """Validate integer class targets for (N, C, d1, ...) or (C,) scores."""
    return _checked_class_targets(where, shape, target, what, ignore_index)[0]


def _checked_class_targets(where, shape, target, what, ignore_index=None):
    """``_class_targets`` and whether any target equals ``ignore_index``."""
    raw = _raw(target)
    shape = tuple(shape)
    if len(shape) == 0:
        raise ValueError(
            f"{where}: {what} must have shape (N, C) (a batch of N rows of C class scores), "
            f"(N, C, d1, ...) or (C,), got a 0-d array")
    if raw.dtype.kind not in "iu":
        raise TypeError(
            f"{where}: target must hold integer class indices, got dtype {raw.dtype}; "
            "pass class numbers, e.g. y.astype(np.int64) (one-hot or probability targets "
            f"must be floats of the same shape as {what})")
    expected = () if len(shape) == 1 else (shape[0],) + shape[2:]
    if raw.shape != expected:
        raise ValueError(
            f"{where}: target must have shape {expected}, one class index per row of "
            f"{what} with shape {shape} (classes on axis {0 if len(shape) == 1 else 1}), "
            f"but got shape {raw.shape}"
            + ("; one-hot targets are not accepted as integers: pass y.argmax(axis=1), or "
               "floats for probability targets" if raw.shape == shape else
               _reshape_advice(raw.shape, expected)))
    classes = shape[0] if len(shape) == 1 else shape[1]
    ignored = False
    if raw.size and _largest_unsigned(raw) < classes:  # every target a class: one pass
        if ignore_index is not None and 0 <= ignore_index < classes:
            ignored = bool(np.any(raw == ignore_index))
    elif raw.size:
        lo, hi = raw.min(), raw.max()
        if (lo < 0 or hi >= classes) and ignore_index is not None:
            # Every other target must be a class, so one out of range is ignore_index.
            ignored = True
            checked = raw[raw != ignore_index]          # look again without the ignored
            lo, hi = (checked.min(), checked.max()) if checked.size else (0, 0)
        elif ignore_index is not None and 0 <= ignore_index < classes:
            ignored = bool(np.any(raw == ignore_index))
        if lo < 0 or hi >= classes:
            bad = lo if lo < 0 else hi
            raise IndexError(
                f"{where}: target holds class {int(bad)}, but {what} with shape {shape} has "
                f"{classes} classes, so targets must be in [0, {classes})"
                + (f" or equal ignore_index={ignore_index}" if ignore_index is not None else ""))
    return raw, ignored


def _reshape_advice(got: tuple, expected: tuple) -> str:
    """What to do with class targets of the right size and the wrong shape: a column of
    indices (N, 1) is squeezed, any other layout reshaped."""
    if int(np.prod(got)) != int(np.prod(expected)):
        return "; the scores and the targets must come from the same batch"
    if got == expected + (1,) or got == expected[:1] + (1,) + expected[1:]:
        axis = len(expected) if got == expected + (1,) else 1
        return f"; drop the axis of size 1 with target.squeeze({axis})"
    return f"; reshape it with target.reshape{expected}"


def _class_weights(where, weight, classes, dtype):
    if weight is None:
        return None
    # (read=False: the weights go to hooks.made below, which a replay reads again)
    w = _raw(constant_argument(weight, where, "weight", "class weights are constants, as "
                               "in PyTorch", read=False))
    if w.shape != (classes,):
        raise ValueError(f"{where}: weight must have one entry per class, shape ({classes},), "
                         f"got shape {w.shape}")
    # (``w`` as an argument, not ``w.astype``: a compiled step then reads the weights
    # each call, also after load_state_dict has put a new array in their buffer)
    return w if w.dtype == dtype else made("class weights", _as_dtype, (w, dtype))


def _as_dtype(array, dtype):
    return array.astype(dtype)


def _elementwise_weight(where, name, weight, input):
    """``weight`` or ``pos_weight`` of a binary loss: it must not enlarge the input's
    shape when broadcast (PyTorch refuses that too: the loss would count some elements
    more than once; shapes that do not broadcast at all fail in the op, naming the
    loss), and an array in another dtype than the float input is converted to it, so
    that a float32 input gives a float32 loss, as in PyTorch."""
    if weight is None:
        return None
    in_shape, raw = np.shape(_raw(input)), _raw(weight)
    try:
        shape = np.broadcast_shapes(in_shape, raw.shape)
    except ValueError:
        shape = in_shape
    if shape != in_shape:
        raise ValueError(
            f"{where}: {name} of shape {raw.shape} and the input of shape {in_shape} "
            f"broadcast to the larger shape {shape}, which would count input elements more "
            f"than once; pass a {name} of shape {in_shape} or one that broadcasts to it (for "
            f"one weight per class, shape ({in_shape[-1] if in_shape else 1},))")
    dtype = _raw(input).dtype
    if _requires_grad(weight) or raw.dtype == dtype or dtype.kind != "f":
        return weight
    return made(f"{name} in the input's dtype", _as_dtype, (raw, dtype))


def _nll(log_probs, target, weights, ignore_index, reduction):
    """PyTorch's nll_loss on (N, C, d1, ...) log-probabilities (validated targets).
    What is computed from the targets alone goes through ``made``, so a compiled
    step computes it again (and checks the targets again) from each call's targets."""
    classes = log_probs.shape[1]
    safe = made("class targets", _safe_targets, (target, ignore_index, classes))
    grid = tuple(made("index grid", _index_grid, (target.shape, axis))
                 for axis in range(target.ndim))
    picked = getitem(log_probs, (grid[0], safe) + grid[1:])
    scale = made("target weights", _target_scale, (target, safe, ignore_index, weights,
                                                   log_probs.dtype))
    per_item = -picked * scale
    if reduction == "mean":
        return _weighted_mean(rd.sum(per_item), rd.sum(scale), target, ignore_index)
    return _reduce(per_item, reduction)


def _weighted_mean(total, count, target, ignore_index):
    """``total / count``; NaN with gradient 0 when every target is ignored, as PyTorch
    (dividing by the count 0 would make the gradient inf * 0 = NaN)."""
    none = made("all targets ignored", _all_ignored, (target, ignore_index))
    with np.errstate(invalid="ignore", divide="ignore"):   # zero weights: NaN, as PyTorch
        return ew.where(none, np.nan, total / ew.where(none, 1, count))


def _all_ignored(target, ignore_index):
    return np.all(target == ignore_index)


def _safe_targets(target, ignore_index, classes):
    """The targets, ignored ones as class 0 (they get weight 0); checked again here
    because a compiled step's replay runs this without ``_checked_class_targets``."""
    valid = target != ignore_index
    checked = target[valid]
    if checked.size and (checked.min() < 0 or checked.max() >= classes):
        bad = checked.min() if checked.min() < 0 else checked.max()
        raise IndexError(f"nll_loss: target holds class {int(bad)}, but there are {classes} "
                         f"classes, so targets must be in [0, {classes}) or equal "
                         f"ignore_index={ignore_index}")
    return np.where(valid, target, 0)


def _index_grid(shape, axis):
    return np.indices(shape, sparse=True)[axis]


def _target_scale(target, safe, ignore_index, weights, dtype):
    scale = (target != ignore_index).astype(dtype)
    if weights is not None:
        scale = scale * weights[safe]
    return scale


def _batched(where, x, target, what):
    """(C,) scores with a 0-d target become a batch of one; returns (x, target, unbatched)."""
    shape = np.shape(_raw(x))
    if len(shape) == 1:
        return (reshape(_as_tensor(x), (1, shape[0])), made("reshape", np.reshape, (target, (1,))),
                True)
    return _as_tensor(x), target, False


def nll_loss(input, target, weight=None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """``-input[i, target[i]]`` (times ``weight[target[i]]``), reduced; pair with ``log_softmax``.

    ``input`` has shape (N, C), (N, C, d1, ...) or (C,); ``target`` the same shape
    without the class axis.  Targets equal to ``ignore_index`` contribute 0 and are
    left out of the mean; with ``weight`` the mean divides by the sum of the targets'
    weights (PyTorch's definition).

    >>> lp = F.log_softmax(ad.tensor([[2.0, 0.0, 0.0]]))
    >>> F.nll_loss(lp, [0])              # same as F.cross_entropy(logits, [0])
    tensor(0.23954477)
    """
    where = "nll_loss"
    check_float_scores(where, input, target, "log-probabilities")
    warn_if_probabilities(where, input, "but nll_loss wants log-probabilities (each at most "
                          "0): pass F.log_softmax(logits, dim=1), or give the logits to "
                          "F.cross_entropy")
    _check_reduction(where, reduction)
    _check_ignore_index(where, ignore_index)
    shape = np.shape(_raw(input))
    target = _class_targets(where, shape, target, "log_probs", ignore_index)
    input, target, unbatched = _batched(where, input, target, "log_probs")
    weights = _class_weights(where, weight, input.shape[1], input.dtype)
    out = _nll(input, target, weights, ignore_index, reduction)
    return reshape(out, ()) if unbatched and reduction == "none" else out


def _tracing() -> bool:
    """True while ``ad.compile`` traces a call in this thread."""
    from ..compile import hooks
    return hooks.active is not None and hooks.active.owns_thread()


def cross_entropy(input, target, weight=None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of logits against class indices (or class probabilities), as PyTorch.

    ``input`` (logits) has shape (N, C), (N, C, d1, ...) or (C,).  ``target`` is
    either integer classes of shape (N, d1, ...) (entries equal to ``ignore_index``
    are skipped, also in the mean) or floats with ``input``'s shape (probabilities).
    ``weight`` (C,) rescales each class; with it the mean divides by the sum of the
    targets' weights.  ``label_smoothing`` = ε mixes in the uniform distribution:
    ``(1 - ε) * nll + ε / C * sum_c(-w_c log p_c)``, each term reduced the same way.
    Probability targets and a Tensor ``label_smoothing`` get their gradients; class
    weights get none (a Tensor that requires grad there is refused, as in PyTorch).
    The plain case ((N, C), defaults) is one fused op whose gradient is
    ``(softmax(logits) - onehot) / N``.

    >>> logits = ad.tensor([[2.0, 0.0, 0.0]], requires_grad=True)
    >>> loss = F.cross_entropy(logits, [0]); loss.backward()
    >>> logits.grad                      # softmax - onehot
    array([[-0.21301396,  0.10650698,  0.10650698]])
    >>> F.cross_entropy(ad.tensor([[2.0, 0.0], [0.0, 2.0]]), [0, -100])   # 2nd row ignored
    tensor(0.12692801)
    """
    warn_if_probabilities("cross_entropy", input, "but cross_entropy applies log_softmax "
                          "itself: a softmax before it is applied twice and squashes the "
                          "gradients; pass the logits (the scores before softmax)")
    if (input.__class__ is Tensor and target.__class__ is np.ndarray and weight is None
            and reduction.__class__ is str and reduction == "mean"
            and label_smoothing.__class__ in (float, int) and label_smoothing == 0
            and ignore_index.__class__ is int):
        # The plain case, checked in a few attribute reads: the fused op's kernel checks
        # every target is a class (a target out of range raises IndexError there), so
        # the pass over the targets below is needed only if one is not, and
        # ignore_index can only match a target that is in range.
        x = input.data
        if (x.ndim == 2 and x.dtype.kind == "f" and target.ndim == 1
                and target.shape[0] == x.shape[0] and target.dtype.kind in "iu"
                and not 0 <= ignore_index < x.shape[1]):
            try:
                return _cross_entropy(input, target)
            except IndexError:
                pass                    # ignored or out of range: the checks below say
    where = "cross_entropy"
    check_float_scores(where, input, target, "logits")
    _check_reduction(where, reduction)
    _check_ignore_index(where, ignore_index)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{where}: label_smoothing must be in [0, 1], got {label_smoothing}")
    shape = np.shape(_raw(input))
    raw_target = _raw(target)
    smoothing_learned = _requires_grad(label_smoothing)
    if not smoothing_learned:
        label_smoothing = constant_argument(label_smoothing, where, "label_smoothing", "")
    if raw_target.dtype.kind == "f" and raw_target.shape == shape and len(shape) >= 1:
        if ignore_index != -100:
            raise ValueError(
                f"{where}: ignore_index={ignore_index} applies to class-index targets, but "
                f"these targets are class probabilities (floats of shape {shape}), which "
                "it cannot skip (PyTorch refuses this too). Give integer class targets, "
                "or leave the rows out, or zero their probabilities.")
        return _cross_entropy_probabilities(
            input, target if _requires_grad(target) else raw_target, weight, reduction,
            label_smoothing)
    target, ignored = _checked_class_targets(where, shape, target, "logits", ignore_index)
    if (len(shape) == 2 and weight is None and reduction == "mean" and label_smoothing == 0
            and not smoothing_learned):
        # The fused path when no target is ignored.  A compiled step replays the path
        # of its trace for targets that take it (another path traces again) when the
        # targets are its argument; for other targets, a class ignore_index keeps the
        # masked path while tracing (whether a later batch holds it is not known).
        guarded = not _tracing() or branch("cross_entropy's path", raw_target,
                                           functools.partial(_holds, value=ignore_index),
                                           ignored)
        if not ignored and (guarded or not 0 <= ignore_index < shape[1]):
            return _cross_entropy(input, target)
    input, target, unbatched = _batched(where, input, target, "logits")
    classes = input.shape[1]
    weights = _class_weights(where, weight, classes, input.dtype)
    log_probs = log_softmax(input, axis=1)
    out = _nll(log_probs, target, weights, ignore_index, reduction)
    if label_smoothing > 0 or smoothing_learned:    # (at 0 a Tensor still gets its gradient)
        valid = made("valid targets", _valid_mask, (target, ignore_index, input.dtype))
        w = made("class weights", _weight_row, (weights, classes, input.dtype, input.ndim))
        smooth = -rd.sum(log_probs * w, axis=1) * valid
        if reduction == "mean":
            denominator = made("smoothing count", _smoothing_count,
                               (target, ignore_index, weights, input.dtype))
            smooth = _weighted_mean(rd.sum(smooth), denominator, target, ignore_index)
        else:
            smooth = _reduce(smooth, reduction)
        out = (1 - label_smoothing) * out + (label_smoothing / classes) * smooth
    return reshape(out, ()) if unbatched and reduction == "none" else out


def _holds(array, value) -> bool:
    # ``value in array`` is ``(array == value).any()`` done in C: ndarray.any and np.any
    # both go through a Python wrapper, and this runs on every compiled call.
    if type(array) is not np.ndarray:
        array = np.asarray(array)
    return value in array


def _valid_mask(target, ignore_index, dtype):
    return (target != ignore_index).astype(dtype)


def _weight_row(weights, classes, dtype, ndim):
    w = np.ones(classes, dtype) if weights is None else weights
    return w.reshape((1, classes) + (1,) * (ndim - 2))


def _smoothing_count(target, ignore_index, weights, dtype):
    """The mean's denominator, in the logits' dtype (an integer count would promote
    float32 to float64)."""
    valid = target != ignore_index
    if weights is None:
        return np.asarray(valid.sum(), dtype)
    return weights[np.where(valid, target, 0)][valid].sum()


def _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing):
    input = _as_tensor(input)
    axis = 1 if input.ndim >= 2 else 0
    classes = input.shape[axis]
    weights = _class_weights("cross_entropy", weight, classes, input.dtype)
    trailing = input.ndim - axis - 1
    if isinstance(target, Tensor) or _requires_grad(label_smoothing):
        scale = target            # recorded, so that the targets and smoothing get gradients
        if _requires_grad(label_smoothing) or label_smoothing > 0:
            scale = scale * (1 - label_smoothing) + label_smoothing / classes
        if weights is not None:
            scale = scale * weights.reshape((classes,) + (1,) * trailing)
    else:
        scale = made("target weights", _probability_scale,
                     (target, label_smoothing, weights, input.dtype, trailing))
    per_item = -rd.sum(log_softmax(input, axis=axis) * scale, axis=axis)
    return _reduce(per_item, reduction)


def _probability_scale(target, label_smoothing, weights, dtype, trailing):
    classes = target.shape[-1 - trailing]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    scale = target.astype(dtype, copy=False)
    if weights is not None:
        scale = scale * weights.reshape((classes,) + (1,) * trailing)
    return scale


# ----- regression losses, and the checks the other loss modules share ------------------

def _check_same_shape(where, input, target):
    in_shape = np.shape(_raw(input))
    t_shape = np.shape(_raw(target))
    if t_shape != in_shape and t_shape != ():
        if int(np.prod(in_shape)) == int(np.prod(t_shape)):
            advice = "Reshape one, e.g. pred.reshape(-1) or target.reshape(pred.shape)"
        else:
            advice = (f"They hold different numbers of values ({int(np.prod(in_shape))} and "
                      f"{int(np.prod(t_shape))}): check that the target belongs to this "
                      "input; to compare every input row with one target on purpose, write "
                      "target.expand_as(input)")
        raise ValueError(
            f"{where}: input has shape {in_shape} but target has shape {t_shape}; they must "
            "match (broadcasting them would silently compare every input with every "
            f"target). {advice}")


def _check_float_target(where, target):
    raw = _raw(target)
    if raw.dtype.kind != "f" and not isinstance(target, (int, float)):
        raise TypeError(
            f"{where}: target must be floating-point, got dtype {raw.dtype} (shape "
            f"{raw.shape}), which PyTorch refuses too; convert it to the input's dtype, "
            "e.g. target.astype(np.float32) for a float32 input")


def mse_loss(input, target, reduction: str = "mean") -> Tensor:
    """``(input - target) ** 2``, reduced; the shapes must match (or target is a scalar).

    >>> F.mse_loss(ad.tensor([1.0, 3.0]), ad.tensor([0.0, 1.0]))
    tensor(2.5)
    >>> F.mse_loss(ad.tensor([1.0, 3.0]), ad.tensor([0.0, 1.0]), reduction="none")
    tensor([1., 4.])
    """
    _check_same_shape("mse_loss", input, target)
    _check_reduction("mse_loss", reduction)
    diff = ew.subtract(input, target)
    if diff.dtype.kind == "c":          # (d * d is not a squared size: PyTorch refuses too)
        raise TypeError(f"mse_loss: complex values (dtype {diff.dtype}, shape {diff.shape}) "
                        "have no mean squared error in PyTorch; use the squared size, "
                        "((input - target).abs() ** 2).mean()")
    return _reduce(diff * diff, reduction)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """Huber loss: ``0.5 d**2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 delta)``.

    ``d = input - target``; reduced as ``reduction`` says.

    >>> F.huber_loss(ad.tensor([0.5, 3.0]), ad.tensor([0.0, 0.0]), reduction="none")
    tensor([0.125, 2.5  ])
    """
    _check_same_shape("huber_loss", input, target)
    _check_reduction("huber_loss", reduction)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    diff = ew.subtract(input, target)
    size = ew.abs(diff)
    per_item = ew.where(size < delta, 0.5 * (diff * diff), delta * (size - 0.5 * delta))
    return _reduce(per_item, reduction)
