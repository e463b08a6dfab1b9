"""PyTorch's random functions: ``ad.randn_like``, ``ad.rand_like``, ``ad.randint``,
``ad.randint_like``, ``ad.randperm``, ``ad.multinomial``, ``ad.bernoulli``, ``ad.poisson``
and ``ad.normal``.

Without ``rng=`` they draw from the library's generator, which ``ad.manual_seed``
seeds (as ``ad.rand`` and ``ad.randn`` do); ``rng=`` takes an int seed, an
``ad.Generator`` or a ``np.random.Generator``, and so does PyTorch's ``generator=``,
which means the same.  NumPy's global random state is never touched.
"""

from __future__ import annotations

import numpy as np

from .devices import check_device
from .missing_dtypes import numpy_dtype
from .compile.hooks import made
from .creation import _generator, _shape, rand, randn
from .generator import chosen_rng
from .ops.operands import array_of, python_numbers
from .tensor import Tensor

__all__ = ["randn_like", "rand_like", "randint", "randint_like", "randperm", "multinomial",
           "bernoulli", "poisson", "normal"]


def _like(where: str, t, dtype):
    data = np.asarray(getattr(t, "data", t))
    dtype = data.dtype if dtype is None else numpy_dtype(where, dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"{where}: draws float32 or float64 values, but the dtype is {dtype} "
                        f"(shape {data.shape}); pass dtype=np.float64 (or np.float32)")
    return data.shape, dtype


def randn_like(input, *, generator=None, dtype=None, rng=None, requires_grad: bool = False,
               device=None, memory_format=None) -> Tensor:
    """Standard normal samples with ``input``'s shape and dtype, as ``torch.randn_like``.

    >>> ad.manual_seed(0); a = ad.randn_like(ad.zeros(3))
    <autodiff.Generator object at ...>
    >>> ad.manual_seed(0); bool((a.data == ad.randn_like(ad.zeros(3)).data).all())
    <autodiff.Generator object at ...>
    True
    """
    check_device("randn_like", device)
    shape, dtype = _like("randn_like", input, dtype)
    rng = chosen_rng("randn_like", rng, generator)
    from .memory_formats import like_layout
    drawn = randn(shape, rng=rng, dtype=dtype, requires_grad=requires_grad)
    return like_layout("randn_like", drawn, input, memory_format)


def rand_like(input, *, generator=None, dtype=None, rng=None, requires_grad: bool = False,
              device=None, memory_format=None) -> Tensor:
    """Uniform samples on ``[0, 1)`` with ``input``'s shape and dtype, as
    ``torch.rand_like``.

    >>> ad.rand_like(ad.zeros((2, 2), dtype=np.float32), rng=0).dtype
    dtype('float32')
    """
    check_device("rand_like", device)
    shape, dtype = _like("rand_like", input, dtype)
    rng = chosen_rng("rand_like", rng, generator)
    from .memory_formats import like_layout
    drawn = rand(shape, rng=rng, dtype=dtype, requires_grad=requires_grad)
    return like_layout("rand_like", drawn, input, memory_format)


def _integers(rng, low, high, size, dtype):
    return _generator(rng).integers(low, high, size=size, dtype=dtype)


def randint(*args, size=None, generator=None, rng=None, dtype=np.int64,
            device=None) -> Tensor:
    """Integers drawn uniformly from ``[low, high)``, as ``torch.randint``: called as
    ``randint(high, size)`` or ``randint(low, high, size)`` (``size`` a tuple, which
    may also go by keyword).

    >>> t = ad.randint(3, 7, (4,), rng=0)
    >>> t.shape, bool(((3 <= t.data) & (t.data < 7)).all()), t.dtype
    ((4,), True, dtype('int64'))
    """
    check_device("randint", device)
    if size is None and args:
        *args, size = args
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError("randint: call it as randint(high, size) or randint(low, high, size)")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint: size must be a tuple of ints, got {size!r} (PyTorch's "
                        "randint takes the shape as a tuple: randint(0, 10, (3,)))")
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"randint: {name} must be an int, got {value!r}")
    if high <= low:
        raise ValueError(f"randint: the range [low, high) = [{low}, {high}) is empty; need "
                         "low < high")
    dtype = numpy_dtype("randint", dtype)
    if dtype.kind not in "iu":
        raise TypeError(f"randint: dtype must be an integer dtype, got {dtype}")
    shape = _shape(tuple(size), "randint")
    rng = chosen_rng("randint", rng, generator)
    return Tensor(made("randint", _integers, (rng, int(low), int(high), shape, dtype),
                       stateful=True))


def _draw_categories(rng, probabilities, num_samples, replacement):
    generator = _generator(rng)
    rows = probabilities.reshape(-1, probabilities.shape[-1])
    drawn = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for r, row in enumerate(rows):
        drawn[r] = generator.choice(row.size, size=num_samples, replace=replacement,
                                    p=row / row.sum())
    return drawn.reshape(probabilities.shape[:-1] + (num_samples,))


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None,
                rng=None) -> Tensor:
    """Category indices drawn with probabilities proportional to the non-negative
    weights in each row of ``input`` (1-D or 2-D), as ``torch.multinomial``: shape
    ``(num_samples,)`` or ``(rows, num_samples)``, int64, no gradient.  Without
    replacement each row needs at least ``num_samples`` nonzero weights.

    >>> ad.multinomial(ad.tensor([0.0, 1.0, 0.0]), 2, replacement=True, rng=0)
    tensor([1, 1])
    """
    weights = np.asarray(getattr(input, "data", input))
    if weights.ndim not in (1, 2) or weights.dtype.kind != "f":
        raise ValueError(f"multinomial: input must be a 1-D or 2-D float tensor of weights, "
                         f"got shape {weights.shape}, dtype {weights.dtype}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) \
            or num_samples <= 0:
        raise ValueError(f"multinomial: num_samples must be a positive int, got "
                         f"{num_samples!r}")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"multinomial: the weights (shape {weights.shape}) must be finite "
                         "and non-negative")
    if weights.size == 0 or np.any(weights.sum(axis=-1) <= 0):
        raise ValueError(f"multinomial: every row of the weights (shape {weights.shape}) "
                         "needs a positive sum")
    if not replacement:
        fewest = int((weights > 0).sum(axis=-1).min())
        if num_samples > fewest:
            raise ValueError(
                f"multinomial: cannot draw {num_samples} samples without replacement from a "
                f"row with only {fewest} nonzero weights (shape {weights.shape}); draw "
                "fewer, or pass replacement=True")
    rng = chosen_rng("multinomial", rng, generator)
    drawn = made("multinomial", _draw_categories,
                 (rng, weights.astype(np.float64), int(num_samples), bool(replacement)),
                 stateful=True)
    return Tensor(drawn)


def _int_argument(where, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: {name} must be an int, got {value!r}")
    return int(value)


def _refuse_values_out_of(where, low, high, dtype):
    """Raise unless every integer in ``[low, high)`` is a value of ``dtype`` (an integer
    or bool dtype; a float dtype holds them), rather than let a cast wrap them around."""
    if dtype.kind not in "iub":
        return
    smallest, largest = (0, 1) if dtype.kind == "b" else \
        (int(np.iinfo(dtype).min), int(np.iinfo(dtype).max))
    if low < smallest or high - 1 > largest:
        raise ValueError(f"{where}: the values [{low}, {high}) do not fit {dtype} (values "
                         f"{smallest}..{largest}), as PyTorch refuses them too; pass a wider "
                         "dtype= (e.g. np.int64)")


def randint_like(input, *bounds, low=None, high=None, generator=None, dtype=None, rng=None,
                 device=None) -> Tensor:
    """Integers drawn uniformly from ``[low, high)`` with ``input``'s shape and (unless
    ``dtype`` is given) dtype, as ``torch.randint_like``: ``randint_like(t, high)`` or
    ``randint_like(t, low, high)`` (``low`` defaults to 0; ``high`` is required).

    >>> t = ad.randint_like(ad.zeros(3), 5, rng=0)
    >>> t.dtype, bool(((0 <= t.data) & (t.data < 5)).all())
    (dtype('float64'), True)
    """
    check_device("randint_like", device)
    if len(bounds) == 2 and low is None and high is None:
        low, high = bounds
    elif len(bounds) == 1 and high is None:
        high = bounds[0]
    elif len(bounds) == 1 and low is None:
        low = bounds[0]
    elif bounds:
        raise TypeError(f"randint_like: call it as randint_like(input, high) or "
                        f"randint_like(input, low, high); got {bounds} and low={low!r}, "
                        f"high={high!r}")
    if high is None:
        raise TypeError("randint_like: high is required (the draws are below it)")
    low = 0 if low is None else _int_argument("randint_like", "low", low)
    high = _int_argument("randint_like", "high", high)
    if high <= low:
        raise ValueError(f"randint_like: the range [low, high) = [{low}, {high}) is empty; "
                         "need low < high")
    data = array_of(input)
    dtype = data.dtype if dtype is None else numpy_dtype("randint_like", dtype)
    _refuse_values_out_of("randint_like", low, high, dtype)
    rng = chosen_rng("randint_like", rng, generator)
    drawn = made("randint_like", _integers, (rng, low, high, data.shape, np.int64),
                 stateful=True)
    return Tensor(drawn.astype(dtype))


def _permutation(rng, n, dtype):
    return _generator(rng).permutation(n).astype(dtype)


def randperm(n: int, *, generator=None, dtype=np.int64, rng=None, device=None) -> Tensor:
    """A random permutation of ``0, ..., n - 1``, as ``torch.randperm``.

    >>> sorted(ad.randperm(4, rng=0).tolist())
    [0, 1, 2, 3]
    """
    check_device("randperm", device)
    n = _int_argument("randperm", "n", n)
    if n < 0:
        raise ValueError(f"randperm: n must be >= 0, got {n}")
    dtype = numpy_dtype("randperm", dtype)
    _refuse_values_out_of("randperm", 0, n, dtype)
    rng = chosen_rng("randperm", rng, generator)
    return Tensor(made("randperm", _permutation, (rng, n, dtype), stateful=True))


def _values_without_gradient(where, value, what):
    """A parameter of a draw as an array: one that requires grad is refused, because no
    gradient flows through the draw (PyTorch gives it zeros)."""
    if isinstance(value, Tensor) and value.requires_grad:
        raise TypeError(
            f"{where}: the {what} (shape {value.shape}) requires grad, but no gradient "
            f"flows through {where}'s draw (PyTorch's is zero); pass .detach(){_FIX[where]}")
    return array_of(value)


_FIX = {"bernoulli": "", "poisson": "", "binomial": "",
        "normal": ", or write mean + std * ad.randn_like(mean) for a draw that carries "
                  "gradients to mean and std (ad.distributions.Normal(...).rsample())"}


def _float_parameter(where, values, what):
    if values.dtype.kind != "f":
        raise TypeError(f"{where}: the {what} must be floating-point, got {values.dtype} "
                        f"(shape {values.shape})")
    return values


def _bernoulli_draw(rng, probabilities):
    return (_generator(rng).random(probabilities.shape) < probabilities).astype(
        probabilities.dtype)


def bernoulli(input, p=None, *, generator=None, rng=None) -> Tensor:
    """0/1 draws, each 1 with probability ``input`` (or the number ``p`` for every entry
    of ``input``'s shape), in ``input``'s dtype, as ``torch.bernoulli`` (no gradient).

    >>> ad.bernoulli(ad.tensor([0.0, 1.0]), rng=0)
    tensor([0., 1.])
    """
    probabilities = _float_parameter(
        "bernoulli", _values_without_gradient("bernoulli", input, "input"), "input")
    if p is not None:
        probabilities = np.full(probabilities.shape, p, dtype=probabilities.dtype)
    if not np.all((probabilities >= 0) & (probabilities <= 1)):
        raise ValueError(f"bernoulli: the probabilities (shape {probabilities.shape}) must be "
                         "in [0, 1]")
    rng = chosen_rng("bernoulli", rng, generator)
    return Tensor(made("bernoulli", _bernoulli_draw, (rng, probabilities), stateful=True))


def _poisson_draw(rng, rates):
    return _generator(rng).poisson(rates).astype(rates.dtype)


def poisson(input, generator=None, *, rng=None) -> Tensor:
    """Counts drawn from Poisson distributions with the rates ``input``, in ``input``'s
    dtype, as ``torch.poisson`` (no gradient).

    >>> ad.poisson(ad.tensor([0.0, 0.0]), rng=0)
    tensor([0., 0.])
    """
    rates = _float_parameter("poisson", _values_without_gradient("poisson", input, "rates"),
                             "rates")
    if not np.all(rates >= 0):
        raise ValueError(f"poisson: the rates (shape {rates.shape}) must be >= 0")
    rng = chosen_rng("poisson", rng, generator)
    return Tensor(made("poisson", _poisson_draw, (rng, rates), stateful=True))


def _normal_draw(rng, mean, std, shape, dtype):
    return (mean + std * _generator(rng).standard_normal(shape)).astype(dtype)


def normal(mean, std=1.0, size=None, *, generator=None, rng=None, dtype=None) -> Tensor:
    """Normal draws with the given means and standard deviations, as ``torch.normal``:
    tensors (or a tensor and a number) broadcast to the result's shape; two numbers
    need ``size``.  No gradient flows (as in PyTorch, where it is zero): for a
    reparameterized draw write ``mean + std * ad.randn_like(mean)``.

    >>> ad.normal(ad.tensor([0.0, 10.0]), 0.0)
    tensor([ 0., 10.])
    """
    means = _values_without_gradient("normal", mean, "mean")
    stds = _values_without_gradient("normal", std, "std")
    if size is None:
        if means.ndim == 0 and stds.ndim == 0 and not isinstance(mean, Tensor) \
                and not isinstance(std, Tensor):
            raise TypeError("normal: with a number for both mean and std, pass size= (the "
                            "result's shape), as torch.normal(0.0, 1.0, size=(3,))")
        try:
            shape = np.broadcast_shapes(means.shape, stds.shape)
        except ValueError:
            raise ValueError(f"normal: the shapes of mean {means.shape} and std {stds.shape} "
                             "do not broadcast") from None
    else:
        if means.ndim or stds.ndim:
            raise TypeError("normal: size= goes with a number for both mean and std; with "
                            "tensors the result has their broadcast shape")
        shape = _shape(tuple(size) if isinstance(size, (tuple, list)) else (size,), "normal")
    if not np.all(stds >= 0):
        raise ValueError("normal: std must be >= 0")
    # A Python number is weak, as in NumPy 2 and PyTorch: float32 means stay float32.
    weak = [given if isinstance(given, (int, float)) else values
            for given, values in ((mean, means), (std, stds))]
    result_dtype = np.result_type(*weak) if dtype is None else np.dtype(dtype)
    if result_dtype.kind != "f":
        result_dtype = np.dtype(np.float64)
    # (Python numbers go to the draw as they are: a compiled step sees constants)
    draw_mean, draw_std = (given if python_numbers(given) else values
                           for given, values in ((mean, means), (std, stds)))
    rng = chosen_rng("normal", rng, generator)
    return Tensor(made("normal", _normal_draw, (rng, draw_mean, draw_std, shape, result_dtype),
                       stateful=True))
