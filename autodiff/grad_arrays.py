"""``GradArray``: what ``Tensor.grad`` gives, an ndarray that also answers what PyTorch
code calls on a gradient.

``p.grad`` is an ``np.ndarray`` of the tensor's shape and dtype (``isinstance`` holds,
NumPy functions and arithmetic take it and give plain arrays), a view of the buffer the
backward pass accumulates into: writes through it change the gradient, and the next
backward adds into the same memory.  It has ``TorchArray``'s copy and conversion
methods (``clone``, ``detach``, ``cpu``, ``numpy``, ``to``, ``copy_``, ``numel``,
``dim``, ``size()``, ...) and, as PyTorch's:

* in place, returning the array: ``zero_``, ``fill_``, ``add_(other, alpha=)``,
  ``sub_(other, alpha=)``, ``mul_``, ``div_``, ``clamp_``/``clip_``, ``abs_``, ``neg_``,
  ``detach_``, ``normal_``, ``uniform_`` (NumPy writes into the array; nothing is
  recorded, as PyTorch's ``.grad`` is off the tape);
* ``data``: the array itself (PyTorch's ``p.grad.data``; NumPy's buffer of raw
  bytes is ``memoryview(g)``);
* ``abs()`` and ``norm(p=2, dim=None, keepdim=False)`` (PyTorch's vector norm of all
  entries, or along ``dim``), as plain NumPy values: ``.item()`` gives the Python
  number.

Where PyTorch and NumPy give one name two meanings, the result is NumPy's (``.grad``
is an ndarray) with a ``ConventionWarning`` at the user's line naming both:
``g.max(1)`` / ``g.min(1)`` (PyTorch's ``(values, indices)``, NumPy's values), and
``g.std()`` / ``g.var()`` without ``ddof=`` (PyTorch's divide by n - 1, NumPy's by n);
``g.max(dim=1)``, PyTorch's keyword, is refused; ``g.max(other)`` with a Tensor or an
array is PyTorch's elementwise maximum.  ``g.max()``, ``g.sum(0)``,
``g.mean()``, ``g.any()`` mean the same in both and are NumPy's (``sum`` and ``mean``
take PyTorch's ``dim=`` and ``keepdim=`` too).

>>> w = ad.tensor([3.0, 4.0], requires_grad=True)
>>> (w * w).sum().backward()
>>> float(w.grad.norm()), w.grad.mul_(0.5).tolist(), w.grad.zero_().tolist()
(10.0, [3.0, 4.0], [0.0, 0.0])
"""

from __future__ import annotations

import numpy as np

from .torch_arrays import TorchArray, values_of


def shown_to_hook(grad):
    """A gradient as a hook receives it: a plain pass's ndarray as a ``GradArray`` view
    (as ``.grad`` gives it), anything else (a Tensor under ``create_graph=True``, None)
    as it is.

    >>> type(shown_to_hook(np.zeros(2))).__name__
    'GradArray'
    """
    return grad.view(GradArray) if type(grad) is np.ndarray else grad


class GradArray(TorchArray):
    """A ``.grad`` array with PyTorch's in-place and norm methods (see the module
    docstring).

    >>> g = np.array([-3.0, 4.0]).view(GradArray)
    >>> g.abs().max().item(), g.norm(p=1).item(), g.clamp_(-1, 1).tolist()
    (4.0, 7.0, [-1.0, 1.0])
    """

    def __repr__(self) -> str:
        # (as the plain array's: a .grad shows as it did, `array([2., 4.])`)
        return repr(self.view(np.ndarray))

    @property
    def data(self) -> GradArray:
        """The array itself, as PyTorch's ``p.grad.data``."""
        return self

    def zero_(self) -> GradArray:
        """Set every entry to 0; returns the array."""
        self[...] = 0               # (noted as a zeroing by __setitem__)
        return self

    def fill_(self, value) -> GradArray:
        """Set every entry to ``value`` (a number, or a 0-d array); returns the array."""
        value = values_of(value)
        if np.ndim(value) != 0:
            raise ValueError(f"fill_: takes one value (a number or a 0-d array), got "
                             f"shape {np.shape(value)}; use copy_ for an array of values")
        self[...] = value
        return self

    # Zeroing spelled another way than zero_() (``g[:] = 0``, ``g *= 0``, ``fill(0)``,
    # ``copy_(zeros)``, ``mul_(0)``, ``np.copyto(g, 0)``) is noted too, so a step does
    # not take it for a forgotten zero_grad (optim/accumulation_hint.py). Only the
    # operand is looked at.

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        if _selects_all(key):
            _note_if_zeros(self, value)

    def __imul__(self, other):
        out = super().__imul__(other)
        _note_if_zeros(self, other)
        return out

    def fill(self, value) -> None:
        """NumPy's ``fill``."""
        super().fill(value)
        _note_if_zeros(self, value)

    def copy_(self, source, non_blocking: bool = False) -> GradArray:
        """Copy ``source`` into this array (broadcast and cast, as PyTorch's)."""
        super().copy_(source, non_blocking)
        _note_if_zeros(self, source)
        return self

    def __array_function__(self, func, types, args, kwargs):
        out = super().__array_function__(func, types, args, kwargs)
        if (func is np.copyto and args and args[0] is self and len(args) == 2
                and "where" not in kwargs):
            _note_if_zeros(self, args[1])
        return out

    def add_(self, other, *, alpha=1) -> GradArray:
        """Add ``alpha * other`` in place (``other`` broadcast to this shape)."""
        return self._update(np.add, _scaled(other, alpha), "add_")

    def sub_(self, other, *, alpha=1) -> GradArray:
        """Subtract ``alpha * other`` in place (``other`` broadcast to this shape)."""
        return self._update(np.subtract, _scaled(other, alpha), "sub_")

    def mul_(self, other) -> GradArray:
        """Multiply by ``other`` in place (``other`` broadcast to this shape)."""
        self._update(np.multiply, values_of(other), "mul_")
        _note_if_zeros(self, other)
        return self

    def div_(self, other, *, rounding_mode=None) -> GradArray:
        """Divide by ``other`` in place (true division, as PyTorch's default)."""
        if rounding_mode is not None:
            raise ValueError(f"div_: rounding_mode={rounding_mode!r} rounds to integers, "
                             "which a floating-point gradient does not hold; divide, then "
                             "round with np.floor / np.trunc if that is meant")
        return self._update(np.true_divide, values_of(other), "div_")

    def clamp_(self, min=None, max=None) -> GradArray:  # noqa: A002  (PyTorch's names)
        """Clip the entries into ``[min, max]`` in place (either may be None)."""
        if min is None and max is None:
            raise ValueError("clamp_: give min=, max= or both (PyTorch refuses neither too)")
        refuse_complex_clamp("clamp_", self.dtype)
        np.clip(self, values_of(min), values_of(max), out=self)
        return self

    clip_ = clamp_

    def clamp(self, min=None, max=None) -> np.ndarray:  # noqa: A002  (PyTorch's names)
        """The entries clipped into ``[min, max]``, a plain ndarray, as PyTorch's
        ``clamp()`` (a clipping hook's ``lambda g: g.clamp(-c, c)``).

        >>> np.array([-2.0, 0.5, 3.0]).view(GradArray).clamp(-1, 1)
        array([-1. ,  0.5,  1. ])
        """
        if min is None and max is None:
            raise ValueError("clamp: give min=, max= or both (PyTorch refuses neither too)")
        refuse_complex_clamp("clamp", self.dtype)
        return np.clip(self.view(np.ndarray), values_of(min), values_of(max))

    def abs_(self) -> GradArray:
        """The absolute values, in place."""
        np.abs(self, out=self)
        return self

    def neg_(self) -> GradArray:
        """The negated values, in place."""
        np.negative(self, out=self)
        return self

    def detach_(self) -> GradArray:
        """Itself: a ``.grad`` array has no history to detach (PyTorch's ``detach_``)."""
        return self

    def normal_(self, mean=0.0, std=1.0, *, generator=None, rng=None) -> GradArray:
        """Fill with normal samples, drawn as ``Tensor.normal_`` draws (``rng=``,
        ``generator=`` or the generator ``ad.manual_seed`` seeds)."""
        if not std >= 0:
            raise ValueError(f"normal_: std must be >= 0, got {std}")
        self[...] = _drawing("normal_", rng, generator).normal(mean, std, self.shape)
        return self

    def uniform_(self, from_=0.0, to=1.0, *, generator=None, rng=None) -> GradArray:
        """Fill with values drawn uniformly from ``[from_, to)``, as ``Tensor.uniform_``."""
        if from_ > to:
            raise ValueError(f"uniform_: from_={from_} is larger than to={to}")
        self[...] = _drawing("uniform_", rng, generator).uniform(from_, to, self.shape)
        return self

    def abs(self) -> np.ndarray:
        """The absolute values, a plain ndarray (PyTorch's ``abs()``)."""
        return np.abs(self)

    def sign(self) -> np.ndarray:
        """-1, 0 or 1 by the sign of each entry (NaN stays NaN), a plain ndarray, as
        PyTorch's ``sign()`` (FGSM's ``x.grad.sign()``).

        >>> np.array([-2.0, 0.0, 3.0]).view(GradArray).sign()
        array([-1.,  0.,  1.])
        """
        if self.dtype.kind == "c":
            raise TypeError("sign: PyTorch's sign refuses complex values; np.sign(g) "
                            "gives z / |z|, PyTorch's sgn")
        return np.sign(self)

    def __getattr__(self, name):
        # (only after the normal lookup failed: a Tensor method on .grad, such as
        # g.exp(), gets NumPy's message with what to write)
        raise _missing_method(self, name)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """PyTorch's ``norm``: the vector ``p``-norm of all entries (``p`` 2, ``"fro"``,
        1, ``inf``, ``-inf``, 0 or any number), or along ``dim``; a NumPy value.

        >>> np.array([[3.0, 0.0], [0.0, 4.0]]).view(GradArray).norm()
        np.float64(5.0)
        """
        if p == "nuc":
            raise ValueError("norm: p='nuc' is a matrix norm; use "
                             "np.linalg.norm(g, 'nuc') for a 2-d gradient")
        order = 2 if p == "fro" else p
        values = np.abs(self.view(np.ndarray) if dtype is None else self.astype(dtype))
        if values.dtype == np.float16:
            # (summed in float32 and given back in float16, as PyTorch's: the squares of
            # entries over 256 overflow float16)
            return _norm_of(values.astype(np.float32), order, dim, keepdim).astype(
                np.float16)
        return _norm_of(values, order, dim, keepdim)

    def sum(self, *args, dim=None, keepdim=None, **kwargs):
        """NumPy's ``sum``, which PyTorch's ``sum(d)`` agrees with; PyTorch's ``dim=``
        and ``keepdim=`` are taken for ``axis=`` and ``keepdims=``."""
        return super().sum(*args, **_numpy_keywords("sum", dim, keepdim, kwargs))

    def mean(self, *args, dim=None, keepdim=None, **kwargs):
        """NumPy's ``mean``, which PyTorch's ``mean(d)`` agrees with; PyTorch's ``dim=``
        and ``keepdim=`` are taken for ``axis=`` and ``keepdims=``."""
        return super().mean(*args, **_numpy_keywords("mean", dim, keepdim, kwargs))

    def max(self, *args, **kwargs):
        """NumPy's ``max`` (``g.max()``, ``g.max(axis=0)``); ``g.max(1)`` and ``dim=``
        are NumPy's with a warning; ``dim=`` is refused: PyTorch's give
        ``(values, indices)``.  ``g.max(other)`` with a Tensor or an array ``other``
        is PyTorch's elementwise maximum (``torch.max(g, other)``), a plain ndarray."""
        if _elementwise_other(args, kwargs):
            return _elementwise("maximum", self, args[0])
        _check_dim("max", args, kwargs)
        return super().max(*args, **kwargs)

    def min(self, *args, **kwargs):
        """NumPy's ``min`` (``g.min()``, ``g.min(axis=0)``); ``g.min(1)`` and ``dim=``
        are NumPy's with a warning; ``dim=`` is refused: PyTorch's give
        ``(values, indices)``.  ``g.min(other)`` with a Tensor or an array ``other``
        is PyTorch's elementwise minimum (``torch.min(g, other)``), a plain ndarray."""
        if _elementwise_other(args, kwargs):
            return _elementwise("minimum", self, args[0])
        _check_dim("min", args, kwargs)
        return super().min(*args, **kwargs)

    def std(self, *args, **kwargs):
        """NumPy's ``std`` with ``ddof=`` given (``np.std(g)`` gives it); without it
        NumPy's with a ``ConventionWarning``, since PyTorch's divides by n - 1 and
        NumPy's by n."""
        _check_ddof("std", args, kwargs)
        return super().std(*args, **kwargs)

    def var(self, *args, **kwargs):
        """NumPy's ``var`` with ``ddof=`` given (``np.var(g)`` gives it); without it
        NumPy's with a ``ConventionWarning``, since PyTorch's divides by n - 1 and
        NumPy's by n."""
        _check_ddof("var", args, kwargs)
        return super().var(*args, **kwargs)

    def _update(self, ufunc, other, where) -> GradArray:
        try:
            ufunc(self, other, out=self)
        except ValueError:
            raise ValueError(f"{where}: the operand of shape {np.shape(other)} does not "
                             f"broadcast to the gradient's shape {self.shape}") from None
        return self


def _selects_all(key) -> bool:
    """Whether an index is ``...``, ``:`` or a tuple of them (every entry)."""
    keys = key if type(key) is tuple else (key,)
    return all(k is Ellipsis or (type(k) is slice and k == slice(None)) for k in keys)


def _note_if_zeros(grad, value) -> None:
    """Note a zeroing of the ``.grad`` array ``grad`` when ``value``, written over all
    of it or multiplied into it, is all zeros."""
    if not np.any(values_of(value)):
        from .optim.accumulation_hint import note_zeroed

        note_zeroed(grad)


def grad_array(values: np.ndarray) -> GradArray:
    """``values`` (a ``.grad`` buffer) as a ``GradArray``, sharing its memory.

    >>> type(grad_array(np.zeros(2))).__name__
    'GradArray'
    """
    return values.view(GradArray)


def _norm_of(values, order, dim, keepdim):
    """The ``order``-norm of the absolute ``values`` along ``dim`` (all when None)."""
    axis = tuple(dim) if isinstance(dim, (list, tuple)) else dim
    result_size = np.sum(values, axis=axis, keepdims=True).size
    if order in (np.inf, -np.inf) and values.size == 0 and result_size > 0:
        # (a result entry over no entries: max/min have no identity)
        raise ValueError(
            f"norm: the {order} norm of no entries (a .grad of shape {values.shape}, "
            f"dim={dim}) has no value; PyTorch's refuses it too. Use norm(p=2) or "
            "norm(p=1), which are 0 here")
    if order == np.inf:
        result = values.max(axis=axis, keepdims=keepdim)
    elif order == -np.inf:
        result = values.min(axis=axis, keepdims=keepdim)
    elif order == 0:
        result = (values != 0).sum(axis=axis, keepdims=keepdim).astype(values.dtype)
    elif order == 1:
        result = values.sum(axis=axis, keepdims=keepdim)
    elif order == 2:
        result = np.sqrt((values * values).sum(axis=axis, keepdims=keepdim))
    else:
        result = (values ** order).sum(axis=axis, keepdims=keepdim) ** (1.0 / order)
    return result


def refuse_complex_clamp(where: str, dtype) -> None:
    """PyTorch's ``clamp``/``clamp_`` of complex values is refused, as PyTorch's
    (``np.clip``, NumPy's, orders complex numbers by real part, then imaginary part)."""
    if np.dtype(dtype).kind == "c":
        raise TypeError(f"{where}: complex values ({dtype}) have no order to clamp by, "
                        "and PyTorch refuses them too; to clamp the real and imaginary "
                        "parts, clamp t.real and t.imag (np.clip(g.real, lo, hi, "
                        "out=g.real) for a .grad array), or use np.clip for NumPy's "
                        "order")


def _missing_method(array, name) -> AttributeError:
    """NumPy's AttributeError for ``g.name``, with what to write when ``name`` is a
    Tensor method (``.grad`` is a NumPy array, not a Tensor)."""
    message = f"'GradArray' object has no attribute {name!r}"
    from .tensor import Tensor
    tensor_method = not name.startswith("_") and hasattr(Tensor, name)
    if tensor_method:
        spellings = [f"np.{name}(g)"] if hasattr(np, name) else []
        spellings.append(f"ad.as_tensor(g).{name}(...)")
        message += (f": .grad is a NumPy array (a GradArray, with PyTorch's zero_, add_, "
                    f"mul_, clamp_, copy_, clone, norm, sign ...), not a Tensor; write "
                    f"{' or '.join(spellings)}")
    return AttributeError(message, name=name, obj=array)


def _scaled(other, alpha):
    other = values_of(other)
    return other if alpha == 1 else np.multiply(alpha, other)


def _numpy_keywords(where, dim, keepdim, kwargs) -> dict:
    """``kwargs`` with PyTorch's ``dim``/``keepdim`` as NumPy's ``axis``/``keepdims``."""
    if dim is not None:
        if "axis" in kwargs:
            raise TypeError(f"{where}: got both dim= and axis=; give one")
        kwargs["axis"] = tuple(dim) if isinstance(dim, list) else dim
    if keepdim is not None:
        if "keepdims" in kwargs:
            raise TypeError(f"{where}: got both keepdim= and keepdims=; give one")
        kwargs["keepdims"] = keepdim
    return kwargs


def _drawing(where, rng, generator) -> np.random.Generator:
    from .creation import _generator
    from .generator import chosen_rng
    return _generator(chosen_rng(where, rng, generator))


def _elementwise_other(args, kwargs) -> bool:
    """``g.max(other)`` with a Tensor, or an array NumPy could not read as an axis (not
    an integer scalar): PyTorch's elementwise form."""
    from .tensor import Tensor
    if len(args) != 1 or kwargs:
        return False
    other = args[0]
    return isinstance(other, Tensor) or (
        isinstance(other, np.ndarray) and (other.ndim or other.dtype.kind not in "iub"))


def _elementwise(ufunc_name, grad, other) -> np.ndarray:
    """``np.maximum``/``np.minimum`` of a ``.grad`` and ``other`` as PyTorch's
    ``torch.max(g, other)``: NaN propagates, and a 0-d ``other`` keeps ``g``'s float
    dtype (PyTorch's promotion of a 0-d tensor)."""
    other = np.asarray(values_of(other))
    if other.ndim == 0 and other.dtype.kind != "c":
        other = other.item()
    return getattr(np, ufunc_name)(grad.view(np.ndarray), other)


def _check_dim(name, args, kwargs) -> None:
    """``g.max(dim=d)`` (PyTorch's keyword, which NumPy's method does not take) is
    refused; ``g.max(1)`` is NumPy's, with a warning naming PyTorch's reading."""
    if "dim" in kwargs:
        raise TypeError(
            f"{name}: g.{name}(dim=d) of a .grad array: PyTorch's gives (values, indices), "
            f"and .grad is a NumPy array here. Write g.{name}(axis=d) or np.{name}(g, "
            f"axis=d) for the values, np.arg{name}(g, axis=d) for the indices, or "
            f"ad.tensor(g).{name}(d) for PyTorch's pair")
    if args and isinstance(args[0], (int, np.integer)) and not isinstance(args[0], bool):
        _warn_of_numpy_reading(
            f"g.{name}({args[0]}) of a .grad array is NumPy's: the values along axis "
            f"{args[0]}, where PyTorch's gives (values, indices). Write g.{name}(axis="
            f"{args[0]}) for the values, without this warning, np.arg{name}(g, axis="
            f"{args[0]}) for the indices, or ad.tensor(g).{name}({args[0]}) for "
            "PyTorch's pair")


def _check_ddof(name, args, kwargs) -> None:
    """``g.std()`` without ``ddof``: NumPy's (n), with a warning naming PyTorch's (n - 1)."""
    if len(args) < 4 and "ddof" not in kwargs:
        _warn_of_numpy_reading(
            f"g.{name}() of a .grad array is NumPy's, dividing by n (ddof=0), where "
            f"PyTorch's divides by n - 1 (unbiased). Say which, without this warning: "
            f"g.{name}(ddof=1) as PyTorch's, g.{name}(ddof=0) or np.{name}(g) as NumPy's")


def _warn_of_numpy_reading(message) -> None:
    from .conventions import ConventionWarning
    from .tape_drop import user_frame, warn_at
    warn_at(user_frame(), message, ConventionWarning)
