"""Weight initialisation as in ``torch.nn.init``: same names, formulas and fan modes.

Each function fills a ``Parameter`` (or Tensor, or ndarray) in place, records
nothing, returns its argument, and draws from ``rng`` (an int seed, an
``ad.Generator`` or a ``np.random.Generator``; PyTorch's ``generator=`` means the
same; default: the generator set by ``ad.nn.manual_seed``).

Fans, and how they differ from PyTorch's reading of the shape: ``Linear.weight`` here
is ``(n_in, n_out)``, the transpose of PyTorch's ``(out, in)``.  So a 2-d array is
read in this library's layout, ``fan_in = shape[0]`` and ``fan_out = shape[1]``,
which gives the same distribution as PyTorch gives the same layer.  Arrays with 3 or
more axes are convolution kernels in PyTorch's layout ``(out, in, *kernel)``:
``fan_in = shape[1] * prod(kernel)``, ``fan_out = shape[0] * prod(kernel)``.  For an
``Embedding`` table ``(n, dim)`` this means fan_in = n (PyTorch reads dim).

A 2-d weight that is not a ``Linear``'s (a custom one written PyTorch's way, ``(out,
in)`` and used as ``x @ w.T``, or an ``Embedding`` table) would silently get another
fan than in PyTorch.  So the functions whose result depends on which axis is the fan
(``kaiming_uniform_``, ``kaiming_normal_``, ``_calculate_fan_in_and_fan_out``,
``_calculate_correct_fan``) take ``layout="in_out"`` (this reading) or ``"out_in"``
(PyTorch's), and called from the user's code on such a weight with two different fans
and no ``layout``, warn at that line (``ad.ConventionWarning``).  Xavier's formulas use
both fans alike and do not ask.  ``sparse_`` zeroes among each input's outgoing
weights, as PyTorch does to the same layer: it reads a ``Linear``'s weight as
``(n_in, n_out)`` and any other 2-d array as PyTorch's ``(out, in)``, unless given
``layout``.

>>> layer = ad.nn.Linear(256, 64)
>>> ad.nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu", rng=0) is layer.weight
True
>>> bound = np.sqrt(6 / 256)                       # gain sqrt(2), fan_in = n_in = 256
>>> bool(np.abs(layer.weight.data).max() <= bound)
True
"""

from __future__ import annotations

import math
import os
import sys
import warnings

import numpy as np

from ..compile.hooks import replayed_function
from ..conventions import ConventionWarning, called_from_user
from ..guard import note_unguarded_write
from ..tensor import Tensor
from ..generator import chosen_rng
from .module import _generator

_PASSING_ON = (__file__, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), "compile", "hooks.py"))

__all__ = ["calculate_gain", "uniform_", "normal_", "zeros_", "ones_", "constant_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
           "trunc_normal_", "orthogonal_", "sparse_", "eye_", "dirac_",
           # PyTorch's deprecated spellings, which warn
           "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
           "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"]


def _array(tensor, where):
    from .parameter import _use_error, is_lazy
    if is_lazy(tensor):         # (a lazy module's placeholder: no shape, no values yet)
        raise _use_error(f"init.{where}")
    array = tensor.data if isinstance(tensor, Tensor) else tensor
    if not isinstance(array, np.ndarray):
        raise TypeError(f"init.{where}: expected a Parameter, Tensor or ndarray, "
                        f"got {type(tensor).__name__}")
    if array.dtype.kind != "f":
        raise TypeError(f"init.{where}: expected floating-point values, got dtype {array.dtype}")
    return array


def _drawn_from(where, rng, generator) -> np.random.Generator:
    """The NumPy generator an initializer draws from: ``rng=`` or ``generator=``."""
    return _generator(chosen_rng(f"init.{where}", rng, generator))


def _fill(tensor, values, where):
    array = _array(tensor, where)
    if not array.flags.writeable:
        raise RuntimeError(
            f"init.{where}: this array is saved by a graph that has not run backward yet "
            "(or is read-only); run backward or drop the graph before re-initialising")
    array[...] = values
    note_unguarded_write(array)         # guard.py: a transform's results may still read it
    return tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity, as ``torch.nn.init.calculate_gain``.

    linear / conv / sigmoid: 1; tanh: 5/3; relu: sqrt(2);
    leaky_relu: sqrt(2 / (1 + slope**2)) (slope ``param``, default 0.01); selu: 3/4.

    >>> ad.nn.init.calculate_gain("relu")
    1.4142135623730951
    """
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; choose one of "
                     f"{list(linear) + ['tanh', 'relu', 'leaky_relu', 'selu']}")


def _fans(array, where, layout="in_out"):
    if array.ndim < 2:
        raise ValueError(f"init.{where}: fan in and fan out need an array with at least 2 "
                         f"dimensions, got shape {array.shape}")
    if array.ndim == 2:                 # Linear layout (n_in, n_out), or PyTorch's (out, in)
        return array.shape[::1 if layout == "in_out" else -1]
    receptive = int(np.prod(array.shape[2:]))
    return array.shape[1] * receptive, array.shape[0] * receptive


@replayed_function
def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None, *, rng=None):
    """Fill with values drawn uniformly from [a, b).

    >>> w = ad.nn.init.uniform_(ad.nn.Parameter(np.zeros(3)), -1, 1, rng=0)
    >>> bool((np.abs(w.data) <= 1).all())
    True
    """
    array = _array(tensor, "uniform_")
    if not a <= b:
        raise ValueError(f"init.uniform_: needs a <= b (the range [a, b)), got a={a}, b={b}")
    values = _drawn_from("uniform_", rng, generator).uniform(a, b, array.shape)
    return _fill(tensor, values, "uniform_")


@replayed_function
def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None, *, rng=None):
    """Fill with values drawn from N(mean, std**2).

    >>> ad.nn.init.normal_(ad.nn.Parameter(np.zeros((2, 2))), std=0.02, rng=0).shape
    (2, 2)
    """
    array = _array(tensor, "normal_")
    if not std >= 0:
        raise ValueError(f"init.normal_: std must be >= 0, got {std}")
    values = _drawn_from("normal_", rng, generator).normal(mean, std, array.shape)
    return _fill(tensor, values, "normal_")


@replayed_function
def constant_(tensor, val: float):
    """Fill with ``val``.

    >>> ad.nn.init.constant_(ad.nn.Parameter(np.zeros(2)), 0.5)
    Parameter([0.5, 0.5])
    """
    return _fill(tensor, val, "constant_")


@replayed_function
def zeros_(tensor, *, rng=None):
    """Fill with 0; ``rng`` is accepted as by every initializer (a constant draws
    nothing from it).

    >>> ad.nn.init.zeros_(ad.nn.Parameter(np.ones(2)))
    Parameter([0., 0.])
    """
    return _fill(tensor, 0.0, "zeros_")


@replayed_function
def ones_(tensor, *, rng=None):
    """Fill with 1; ``rng`` is accepted as by every initializer (a constant draws
    nothing from it).

    >>> ad.nn.init.ones_(ad.nn.Parameter(np.zeros(2)))
    Parameter([1., 1.])
    """
    return _fill(tensor, 1.0, "ones_")


@replayed_function
def xavier_uniform_(tensor, gain: float = 1.0, generator=None, *, rng=None):
    """Glorot uniform: U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    >>> w = ad.nn.init.xavier_uniform_(ad.nn.Linear(3, 5).weight, rng=0)
    >>> bool(np.abs(w.data).max() <= np.sqrt(6 / 8))
    True
    """
    array = _array(tensor, "xavier_uniform_")
    fan_in, fan_out = _fans(array, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out)) if fan_in + fan_out else 0.0
    values = _drawn_from("xavier_uniform_", rng, generator).uniform(-bound, bound, array.shape)
    return _fill(tensor, values, "xavier_uniform_")


@replayed_function
def xavier_normal_(tensor, gain: float = 1.0, generator=None, *, rng=None):
    """Glorot normal: N(0, std**2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    >>> ad.nn.init.xavier_normal_(ad.nn.Linear(3, 5).weight, rng=0).shape
    (3, 5)
    """
    array = _array(tensor, "xavier_normal_")
    fan_in, fan_out = _fans(array, "xavier_normal_")
    std = gain * math.sqrt(2.0 / (fan_in + fan_out)) if fan_in + fan_out else 0.0
    values = _drawn_from("xavier_normal_", rng, generator).normal(0.0, std, array.shape)
    return _fill(tensor, values, "xavier_normal_")


def mark_in_out(weight) -> None:
    """Note that ``weight`` (a ``Linear``'s, a recurrent layer's) is laid out ``(n_in,
    n_out)``, so that the initializers read its fans without asking for a ``layout``."""
    weight._fan_layout = "in_out"


def _layout(tensor, array, layout, where) -> str:
    """The layout a 2-d ``tensor`` is read in: ``layout`` if given, else this library's
    ``(n_in, n_out)``, with a warning at the user's line when the tensor is not known to
    be laid out so (a ``Linear``'s weight) and its two fans differ."""
    if layout is not None:
        if layout not in ("in_out", "out_in"):
            raise ValueError(f"init.{where}: layout must be 'in_out' (this library's Linear "
                             f"weight, (n_in, n_out)) or 'out_in' (PyTorch's), got {layout!r}")
        return layout
    if (array.ndim == 2 and array.shape[0] != array.shape[1]
            and getattr(tensor, "_fan_layout", None) != "in_out" and _called_by_user()):
        from ..tape_drop import user_frame, warn_at
        n, m = array.shape
        warn_at(user_frame(), (
            f"init.{where}: a 2-d weight of shape {array.shape} is read in this library's "
            f"Linear layout (n_in, n_out): fan_in={n}, fan_out={m}. PyTorch reads a 2-d "
            f"weight as (out, in), fan_in={m}: for a weight laid out that way (used as "
            "x @ w.T, or an Embedding table read as PyTorch does) pass layout='out_in'; "
            "pass layout='in_out' to keep this reading without the warning."),
            ConventionWarning)
    return "in_out"


def _called_by_user() -> bool:
    """Whether the public initializer running now was called from the user's code (the
    library's own layers know their layouts)."""
    frame = sys._getframe(3)        # (_layout, the initializer, its caller)
    while frame is not None and frame.f_code.co_filename in _PASSING_ON:
        frame = frame.f_back        # (replayed_function's wrapper, a deprecated spelling)
    return frame is not None and called_from_user(frame)


def _calculate_fan_in_and_fan_out(tensor, layout: str | None = None) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight, as PyTorch's helper of that name gives them for
    the same layer (read in this library's layout, or ``layout``: see the module
    docstring); custom ``reset_parameters`` use it for ``bound = 1 / sqrt(fan_in)``.

    >>> ad.nn.init._calculate_fan_in_and_fan_out(ad.nn.Linear(5, 3).weight)
    (5, 3)
    >>> ad.nn.init._calculate_fan_in_and_fan_out(np.zeros((3, 5)), layout="out_in")
    (5, 3)
    """
    where = "_calculate_fan_in_and_fan_out"
    array = _array(tensor, where)
    return _fans(array, where, _layout(tensor, array, layout, where))


def _calculate_correct_fan(tensor, mode: str, layout: str | None = None) -> int:
    """``fan_in`` or ``fan_out`` (``mode``) of a weight, as PyTorch's helper."""
    mode = mode.lower() if isinstance(mode, str) else mode
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"init._calculate_correct_fan: mode {mode!r} not supported, please "
                         "use one of fan_in, fan_out")
    where = "_calculate_correct_fan"
    array = _array(tensor, where)
    fan_in, fan_out = _fans(array, where, _layout(tensor, array, layout, where))
    return fan_in if mode == "fan_in" else fan_out


def _kaiming_std(array, a, mode, nonlinearity, where, layout):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"init.{where}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(array, where, layout)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan) if fan else 0.0   # (empty)


@replayed_function
def kaiming_uniform_(tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None, *, rng=None,
                     layout: str | None = None):
    """He uniform: U(-b, b) with ``b = gain * sqrt(3 / fan)``; ``a`` is leaky_relu's slope.
    ``layout``: how a 2-d weight is read (module docstring).

    >>> w = ad.nn.init.kaiming_uniform_(ad.nn.Linear(4, 2).weight, rng=0)
    >>> bool(np.abs(w.data).max() <= np.sqrt(3 / 4) * ad.nn.init.calculate_gain("leaky_relu", 0))
    True
    """
    array = _array(tensor, "kaiming_uniform_")
    layout = _layout(tensor, array, layout, "kaiming_uniform_")
    bound = math.sqrt(3.0) * _kaiming_std(array, a, mode, nonlinearity, "kaiming_uniform_",
                                          layout)
    values = _drawn_from("kaiming_uniform_", rng, generator).uniform(-bound, bound, array.shape)
    return _fill(tensor, values, "kaiming_uniform_")


@replayed_function
def kaiming_normal_(tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None, *, rng=None,
                    layout: str | None = None):
    """He normal: N(0, std**2) with ``std = gain / sqrt(fan)``; ``layout``: how a 2-d
    weight is read (module docstring).

    >>> ad.nn.init.kaiming_normal_(ad.nn.Linear(4, 2).weight, mode="fan_out", rng=0).shape
    (4, 2)
    """
    array = _array(tensor, "kaiming_normal_")
    layout = _layout(tensor, array, layout, "kaiming_normal_")
    std = _kaiming_std(array, a, mode, nonlinearity, "kaiming_normal_", layout)
    values = _drawn_from("kaiming_normal_", rng, generator).normal(0.0, std, array.shape)
    return _fill(tensor, values, "kaiming_normal_")


@replayed_function
def trunc_normal_(tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator=None, *, rng=None):
    """N(mean, std**2) conditioned on [a, b] (absolute bounds, as PyTorch), by rejection.

    >>> w = ad.nn.init.trunc_normal_(ad.nn.Parameter(np.zeros(1000)), std=1.0, rng=0)
    >>> bool((np.abs(w.data) <= 2).all())
    True
    """
    array = _array(tensor, "trunc_normal_")
    if not a < b:
        raise ValueError(f"init.trunc_normal_: need a < b, got a={a}, b={b}")
    if not std > 0:
        raise ValueError(f"init.trunc_normal_: std must be > 0, got {std}")
    lo, hi = (a - mean) / std, (b - mean) / std
    accept = 0.5 * (math.erf(hi / math.sqrt(2)) - math.erf(lo / math.sqrt(2)))
    if accept < 1e-4:
        raise ValueError(f"init.trunc_normal_: [a, b] = [{a}, {b}] holds only {accept:.2g} of "
                         f"the mass of N({mean}, {std}**2); choose bounds nearer the mean")
    gen = _drawn_from("trunc_normal_", rng, generator)
    values = gen.normal(mean, std, array.size)
    bad = np.flatnonzero((values < a) | (values > b))
    while bad.size:
        values[bad] = gen.normal(mean, std, bad.size)
        bad = bad[(values[bad] < a) | (values[bad] > b)]
    return _fill(tensor, values.reshape(array.shape), "trunc_normal_")


@replayed_function
def orthogonal_(tensor, gain: float = 1.0, generator=None, *, rng=None):
    """Fill with a (semi-)orthogonal matrix times ``gain``, by PyTorch's algorithm.

    The array is read as ``(shape[0], rest)``; a standard normal matrix of that
    shape (transposed when it is wide) is QR-factorised and ``Q``'s columns get the
    signs of ``R``'s diagonal, which makes ``Q`` uniformly distributed.  Tall or square
    results have orthonormal columns (``Q.T @ Q = gain**2 I``), wide ones orthonormal
    rows (``Q @ Q.T = gain**2 I``).

    >>> w = ad.nn.init.orthogonal_(ad.nn.Parameter(np.zeros((4, 3))), gain=2.0, rng=0)
    >>> np.allclose(w.data.T @ w.data, 4 * np.eye(3))
    True
    """
    array = _array(tensor, "orthogonal_")
    if array.ndim < 2:
        raise ValueError(f"init.orthogonal_: only arrays with 2 or more dimensions are "
                         f"supported, got shape {array.shape}")
    if array.size == 0:
        return tensor                   # (PyTorch warns and leaves it too)
    rows = array.shape[0]
    cols = array.size // rows
    flat = _drawn_from("orthogonal_", rng, generator).normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(array.shape), "orthogonal_")


@replayed_function
def sparse_(tensor, sparsity: float, std: float = 0.01, generator=None, *, rng=None,
            layout: str | None = None):
    """PyTorch's ``sparse_``: fill a 2-d weight from N(0, std**2), then zero
    ``ceil(sparsity * n_out)`` entries, chosen at random, among each input's outgoing
    weights, as PyTorch does to the same layer.

    PyTorch reads the array as ``(out, in)`` and zeroes in each column; ``layout``
    says how the array is laid out here: ``"in_out"`` (this library's ``Linear``
    weight, the default for one: each row gets the zeros) or ``"out_in"`` (PyTorch's,
    the default for any other array: each column gets them, as in PyTorch).

    >>> w = ad.nn.init.sparse_(ad.nn.Parameter(np.empty((10, 4))), sparsity=0.3, rng=0)
    >>> (w.data == 0).sum(axis=0)
    array([3, 3, 3, 3])
    >>> layer = ad.nn.init.sparse_(ad.nn.Linear(4, 10).weight, sparsity=0.3, rng=0)
    >>> (layer.data == 0).sum(axis=1)
    array([3, 3, 3, 3])
    """
    array = _array(tensor, "sparse_")
    if array.ndim != 2:
        raise ValueError(f"init.sparse_: only 2-d arrays are supported (as in PyTorch), got "
                         f"shape {array.shape}")
    if not 0 <= sparsity <= 1:
        raise ValueError(f"init.sparse_: sparsity is the fraction of each column to zero, "
                         f"from 0 to 1, got {sparsity}")
    if not std >= 0:
        raise ValueError(f"init.sparse_: std must be >= 0, got {std}")
    if layout is None:
        layout = "in_out" if getattr(tensor, "_fan_layout", None) == "in_out" else "out_in"
    elif layout not in ("in_out", "out_in"):
        raise ValueError(f"init.sparse_: layout must be 'in_out' (this library's Linear "
                         f"weight, (n_in, n_out)) or 'out_in' (PyTorch's), got {layout!r}")
    # PyTorch's (out, in) view: its columns are the inputs
    rows, cols = array.shape if layout == "out_in" else array.shape[::-1]
    gen = _drawn_from("sparse_", rng, generator)
    values = gen.normal(0.0, std, (rows, cols))
    # each column's zeroed rows: the first ceil(sparsity * rows) of a random order
    zeroed = np.argsort(gen.random((rows, cols)), axis=0)[:math.ceil(sparsity * rows)]
    np.put_along_axis(values, zeroed, 0.0, axis=0)
    return _fill(tensor, values if layout == "out_in" else values.T, "sparse_")


@replayed_function
def eye_(tensor):
    """Fill a 2-d array with the identity (ones on the main diagonal, zeros elsewhere).

    >>> ad.nn.init.eye_(ad.nn.Parameter(np.zeros((2, 3)))).data
    array([[1., 0., 0.],
           [0., 1., 0.]])
    """
    array = _array(tensor, "eye_")
    if array.ndim != 2:
        raise ValueError(f"init.eye_: only 2-d arrays are supported, got shape {array.shape}")
    return _fill(tensor, np.eye(*array.shape), "eye_")


@replayed_function
def dirac_(tensor, groups: int = 1):
    """Fill a convolution kernel ``(out, in, *kernel)`` (3, 4 or 5 dimensions) with the
    Dirac delta: each of the first ``min(out // groups, in)`` output channels of every
    group passes its input channel through unchanged (a 1 at the kernel's centre).

    >>> w = ad.nn.init.dirac_(ad.nn.Parameter(np.ones((2, 2, 3))))
    >>> w.data[:, :, 1], bool(w.data[:, :, 0].any())
    (array([[1., 0.],
           [0., 1.]]), False)
    """
    array = _array(tensor, "dirac_")
    if array.ndim not in (3, 4, 5):
        raise ValueError(f"init.dirac_: only arrays with 3, 4 or 5 dimensions are "
                         f"supported, got shape {array.shape}")
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1 \
            or array.shape[0] % groups:
        raise ValueError(f"init.dirac_: dim 0 ({array.shape[0]}) must be divisible by "
                         f"groups, got groups={groups!r}")
    per_group = array.shape[0] // groups
    values = np.zeros(array.shape)
    centre = tuple(k // 2 for k in array.shape[2:])
    for g in range(groups):
        for d in range(min(per_group, array.shape[1])):
            values[(g * per_group + d, d) + centre] = 1.0
    return _fill(tensor, values, "dirac_")


def _deprecated_spelling(initializer):
    """PyTorch's old name of ``initializer`` (without the trailing underscore): the
    same function, with PyTorch's FutureWarning naming the new one."""
    old_name, new_name = initializer.__name__[:-1], initializer.__name__

    def deprecated_initializer(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of "
                      f"`nn.init.{new_name}`.", FutureWarning, stacklevel=2)
        return initializer(*args, **kwargs)

    deprecated_initializer.__name__ = deprecated_initializer.__qualname__ = old_name
    deprecated_initializer.__doc__ = (f"``{old_name}(...)``: deprecated in PyTorch in favour "
                                      f"of ``nn.init.{new_name}``, which it calls (warning).")
    return deprecated_initializer


uniform = _deprecated_spelling(uniform_)
normal = _deprecated_spelling(normal_)
constant = _deprecated_spelling(constant_)
eye = _deprecated_spelling(eye_)
dirac = _deprecated_spelling(dirac_)
xavier_uniform = _deprecated_spelling(xavier_uniform_)
xavier_normal = _deprecated_spelling(xavier_normal_)
kaiming_uniform = _deprecated_spelling(kaiming_uniform_)
kaiming_normal = _deprecated_spelling(kaiming_normal_)
orthogonal = _deprecated_spelling(orthogonal_)
sparse = _deprecated_spelling(sparse_)
