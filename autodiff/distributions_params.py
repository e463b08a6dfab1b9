"""What the distributions are built from: parameters as checked float tensors, their
broadcasting, sample shapes, ``probs``/``logits`` of Bernoulli trials, the values
passed to ``log_prob``, and draws from a generator (``rng=`` or the library's).
"""

from __future__ import annotations

import numpy as np

from .compile.hooks import made
from .distributions_checks import _finite_logits, _probabilities
from .distributions_validation import validating
from .nn.module import _generator
from .ops.elementwise import clip, log, log1p, logaddexp, sigmoid
from .ops.shape import broadcast_to
from .tensor import Tensor


def _as_float_tensor(value, owner: str, name: str, like=None) -> Tensor:
    """A parameter as a float Tensor; Tensors are kept (so gradients reach them).

    A Python number takes the float dtype of ``like`` (the other parameter), so that
    ``Normal(float32_tensor, 1.0)`` stays float32, as in PyTorch.
    """
    if isinstance(like, Tensor) and isinstance(value, (int, float)) \
            and like.data.dtype.kind == "f":
        return Tensor(value, dtype=like.data.dtype)
    if isinstance(value, Tensor):
        if value.data.dtype.kind != "f":
            raise TypeError(f"{owner}: {name} must be a float tensor, got dtype "
                            f"{value.data.dtype}; convert it with .astype('float64')")
        return value
    array = np.asarray(value)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{owner}: {name} must be numbers, got dtype {array.dtype}")
    # (the value itself to Tensor: ad.compile sees a constant made of Python numbers)
    return Tensor(value, dtype=array.dtype if array.dtype.kind == "f" else np.float64)


def _broadcast(owner: str, **params: Tensor) -> tuple[tuple[int, ...], list[Tensor]]:
    shapes = {name: t.shape for name, t in params.items()}
    try:
        shape = np.broadcast_shapes(*shapes.values())
    except ValueError:
        raise ValueError(f"{owner}: parameter shapes {shapes} do not broadcast "
                         "together") from None
    return shape, [t if t.shape == shape else broadcast_to(t, shape)
                   for t in params.values()]


def _sample_shape(shape, owner: str) -> tuple[int, ...]:
    """``shape`` as a tuple of non-negative ints; anything else (a float, which ``int``
    would truncate, or a negative size) raises, as ``torch.Size`` does."""
    dims = (shape,) if isinstance(shape, (int, np.integer)) else shape
    try:
        dims = tuple(dims)
    except TypeError:
        dims = None
    if dims is None or not all(isinstance(n, (int, np.integer)) and n >= 0 for n in dims):
        raise TypeError(f"{owner}: sample_shape must be an int or a tuple of non-negative "
                        f"ints, e.g. (3,) or (2, 5); got {shape!r}")
    return tuple(int(n) for n in dims)


def _softplus(x):
    return logaddexp(0.0, x)


def _values(value) -> np.ndarray:
    """The array of a tensor, or ``value`` as an array."""
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def _operand(value, like: Tensor):
    """``value`` for arithmetic with the parameter ``like``: a float tensor as it is (so
    gradients reach it), a list as an array, and Python numbers, integers or booleans
    (counts, outcomes) in ``like``'s float dtype, as PyTorch promotes them (a Python
    float put through log or lgamma alone, or NumPy's int64 with float32, would make
    float64)."""
    if isinstance(value, Tensor) and value.data.dtype.kind == "f":
        return value
    data = _values(value)
    if data.dtype.kind in "biu" or isinstance(value, float):
        # Through ``made``: a compiled step converts each call's values.
        return Tensor(made("distribution values", np.asarray, (data, like.data.dtype)))
    return data


def _checked(check, *args) -> None:
    """``check(*args)``, which raises on bad values; a compiled step runs it again at
    each replay (``made`` kept as an effect), so bad values there raise too.  Nothing
    is checked where the distribution was made with ``validate_args=False``."""
    if not validating():
        return
    made(check.__name__, check, args, stateful=True)


def _one_of(owner: str, probs, logits) -> None:
    if (probs is None) == (logits is None):
        raise ValueError(f"{owner}: pass exactly one of probs= or logits= "
                         f"(got {'both' if probs is not None else 'neither'})")


def _logits_from_probs(probs: Tensor) -> Tensor:
    # PyTorch's convention: clamp to [eps, 1 - eps] so that p = 0 or 1 gives finite
    # logits (about -36 / +36 in float64) instead of infinities.
    eps = float(np.finfo(probs.data.dtype).eps)
    clamped = clip(probs, eps, 1 - eps)
    return log(clamped) - log1p(-clamped)


def _set_success_probs(dist, owner: str, probs, logits, check=_probabilities) -> None:
    """Set ``dist.probs``, ``dist.logits`` and ``dist._probs_given`` from exactly one of
    ``probs`` (checked by ``check``) or finite ``logits``: Bernoulli trials."""
    _one_of(owner, probs, logits)
    if probs is not None:
        dist.probs = _as_float_tensor(probs, owner, "probs")
        _checked(check, dist.probs.data, owner)
        dist.logits = _logits_from_probs(dist.probs)
    else:
        dist.logits = _as_float_tensor(logits, owner, "logits")
        _checked(_finite_logits, dist.logits.data, owner)
        dist.probs = sigmoid(dist.logits)
    dist._probs_given = probs is not None


def _sample_from(draw, rng, shape, *params):
    # A replay of a compiled step calls this again: an int seed gives a new generator,
    # as it does eagerly; a Generator draws its next numbers.
    return draw(shape, _generator(rng), *params)


def _standard_normal(rng, shape, dtype):
    return _generator(rng).standard_normal(shape).astype(dtype)
