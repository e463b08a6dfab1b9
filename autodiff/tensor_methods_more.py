"""More of PyTorch's out-of-place Tensor methods, each the library's function under
PyTorch's method signature: matrix updates (``addmv addr addbmm``), ``cov``,
``corrcoef``, ``dist``, scatters (``select_scatter slice_scatter diagonal_scatter``),
splits (``hsplit vsplit dsplit split_with_sizes unsafe_*``), ``frexp``, ``gcd``,
``lcm``, ``nextafter``, ``histogram``, ``mvlgamma``, the deprecated ``cholesky``,
``qr`` and ``svd`` (``V``, not ``Vh``), dtype casts (``short cfloat cdouble``), and
the names PyTorch removed (``eig symeig lstsq solve``), which raise naming the
``ad.linalg`` replacement as PyTorch's do.

>>> ad.tensor([1.0, 2.0]).addmv(ad.eye(2), ad.tensor([3.0, 4.0]))
tensor([4., 6.])
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor


def _ad():
    import autodiff
    return autodiff


def _made(label: str, fn, *args):
    """``fn(*args)`` on arrays, which ``ad.compile`` computes again at each replay."""
    from .compile.hooks import made
    return made(label, fn, args)


class Frexp(NamedTuple):
    """``frexp``'s result: ``input = mantissa * 2 ** exponent`` (``exponent`` int32)."""

    mantissa: Tensor
    exponent: Tensor


class Histogram(NamedTuple):
    """``histogram``'s result: the counts (or densities) and the bin edges."""

    hist: Tensor
    bin_edges: Tensor


class QR(NamedTuple):
    """``qr``'s result: ``input = Q @ R``."""

    Q: Tensor
    R: Tensor


def _no_gradient(where: str, *values) -> None:
    """Raise when a value needs a gradient that PyTorch does not define either."""
    from .graph import _grad_mode
    if _grad_mode.enabled and any(getattr(v, "requires_grad", False) for v in values):
        raise RuntimeError(f"{where}: has no gradient (PyTorch's backward refuses it too); "
                           f"call it on t.detach() or inside `with ad.no_grad():`")


def _integer_pair(where: str, ufunc, t, other):
    """``ufunc`` of two integer tensors (bools and floats refused, as PyTorch does)."""
    from .tensor import Tensor
    from .tensor_inplace_more import _integers_only
    other_data = getattr(other, "data", other)
    _integers_only(where, t, other)
    if np.result_type(t.data, other_data).kind == "b":
        raise TypeError(f"{where}: works on integer tensors, got bool (PyTorch refuses it "
                        f"too); convert with .long()")
    return Tensor(_made(where, ufunc, t.data, other_data))


def _frexp_parts(x: np.ndarray, part: int) -> np.ndarray:
    """Part ``part`` of ``(exponent as int32, a, b)`` of ``np.frexp(x)``, where ``a * b``
    is ``2 ** -exponent`` split in two powers of two: for a subnormal ``x`` the whole
    ``2 ** -exponent`` overflows (2 ** 1074 in float64), each half does not."""
    _, exponent = np.frexp(x)
    if part == 0:
        return exponent.astype(np.int32)
    negated = -exponent.astype(np.int64)
    half = negated // 2
    power = half if part == 1 else negated - half
    return np.ldexp(np.ones((), x.dtype), power).astype(x.dtype)


def _moving_part_of_edges(x, count: int):
    """Zero, recorded so that equal bin edges from ``x.min()`` to ``x.max()`` get their
    gradient (their values come from ``_equal_bin_edges``, as PyTorch's)."""
    low, high = x.min(), x.max()
    fractions = np.arange(count + 1, dtype=x.dtype) / np.asarray(count, x.dtype)
    moving = low + (high - low) * fractions
    return moving - moving.detach()


def _histogram(x: np.ndarray, bins, value_range, weights, part: int):
    """Part ``part`` of ``(counts, bin_edges)``, both of ``x``'s dtype."""
    if isinstance(bins, (int, np.integer)):
        edges = _equal_bin_edges(x, int(bins), value_range)
    else:
        edges = np.asarray(bins, x.dtype)
        if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) < 0):
            raise ValueError(f"histogram: bins must be a count or a 1-D tensor of at "
                             f"least 2 increasing edges, got {edges}")
    if part == 1:
        return edges
    weights = None if weights is None else np.asarray(weights)
    return np.histogram(x, edges, weights=weights)[0].astype(x.dtype)


def _next_values(x: np.ndarray, toward, part: int) -> np.ndarray:
    """Part ``part`` of ``(nextafter(x, toward), the step from x, where it is finite)``:
    the step is exact (the two are neighbours) and 0 where it is infinite (from an
    infinity)."""
    following = np.asarray(np.nextafter(x, np.asarray(toward, x.dtype)))
    with np.errstate(invalid="ignore"):
        step = following - x
    finite = ~np.isinf(step)
    return (following, np.where(finite, step, 0).astype(x.dtype), finite)[part]


def _equal_bin_edges(values: np.ndarray, count: int, value_range) -> np.ndarray:
    """``count + 1`` equal bin edges over ``value_range`` (default: the values' min to max,
    widened by 0.5 each way when they are equal), spaced as ``torch.linspace`` spaces
    them (from both ends towards the middle), so that a value on an edge falls in the
    same bin as PyTorch's."""
    if value_range is not None:
        low, high = value_range
    elif values.size:
        low, high = values.min(), values.max()
    else:
        low, high = 0.0, 1.0
    low, high = np.asarray(low, values.dtype), np.asarray(high, values.dtype)
    if low == high:
        low, high = low - np.asarray(0.5, values.dtype), high + np.asarray(0.5, values.dtype)
    if count < 1 or not np.isfinite(low) or not np.isfinite(high) or low > high:
        raise ValueError(f"histogram: needs bins >= 1 and a finite range with min <= max, "
                         f"got bins={count}, range=({low}, {high})")
    step = (high - low) / np.asarray(count, values.dtype)
    # PyTorch's vectorized linspace fuses the multiply-add (one rounding): exact here
    edges = [_fused(step, i, low) if i < (count + 1) // 2 else _fused(-step, count - i, high)
             for i in range(count + 1)]
    return np.array(edges, values.dtype)


def _fused(a, b, c):
    """``a * b + c`` rounded once (a fused multiply-add), in ``c``'s dtype."""
    return c.dtype.type(float(Fraction(float(a)) * b + Fraction(float(c))))


def _in_float_dtype_of(t, result):
    """``result`` in ``t``'s dtype when ``t`` holds floats: PyTorch's ``cov`` and
    ``corrcoef`` keep float32, where NumPy's (which ``ad.cov`` follows) give float64."""
    if t.dtype.kind in "fc" and result.dtype != t.dtype:
        return result.astype(t.dtype)
    return result


def _sections(split_size_or_sections, indices: tuple):
    """``hsplit(1, 4)`` as PyTorch reads it: the indices ``(1, 4)``."""
    return (split_size_or_sections, *indices) if indices else split_size_or_sections


def _removed(name: str, replacement: str):
    def method(self, *args, **kwargs):
        raise RuntimeError(f"Tensor.{name}: was removed from PyTorch (deprecated since 1.9) "
                           f"and is not provided; use {replacement} instead")

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"Removed, as in PyTorch: raises, naming ``{replacement}``."
    return method


class TensorMethodsMore:
    """PyTorch's Tensor methods listed in the module's docstring (mixed into ``Tensor``)."""

    __slots__ = ()

    # ----- matrix products with an added term ------------------------------------------
    def addmv(self, mat, vec, *, beta=1, alpha=1):
        """``beta * self + alpha * (mat @ vec)``, as PyTorch's ``addmv``.

        >>> ad.zeros(2).addmv(ad.eye(2), ad.tensor([1.0, 2.0]), alpha=2)
        tensor([2., 4.])
        """
        return _ad().addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        """``beta * self + alpha * outer(vec1, vec2)``, as PyTorch's ``addr``.

        >>> ad.zeros((1, 2)).addr(ad.tensor([2.0]), ad.tensor([1.0, 3.0]))
        tensor([[2., 6.]])
        """
        return _ad().addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """``beta * self + alpha * sum_b batch1[b] @ batch2[b]``, as PyTorch's ``addbmm``.

        >>> ad.zeros((1, 1)).addbmm(ad.ones((2, 1, 1)), ad.ones((2, 1, 1)))
        tensor([[2.]])
        """
        return _ad().addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    # ----- statistics and distances ------------------------------------------------------
    def cov(self, *, correction=1, fweights=None, aweights=None):
        """The covariance of the rows (variables) over the columns (observations), as
        PyTorch's ``cov`` (``correction=1``: divide by ``n - 1``).

        >>> ad.tensor([[1.0, 2.0, 3.0]]).cov()
        tensor(1.)
        """
        return _in_float_dtype_of(self, _ad().cov(self, ddof=correction, fweights=fweights,
                                                  aweights=aweights))

    def corrcoef(self):
        """Pearson correlation coefficients of the rows, as PyTorch's ``corrcoef``.

        >>> ad.tensor([[1.0, 2.0], [2.0, 4.0]]).corrcoef()
        tensor([[1., 1.],
                [1., 1.]])
        """
        return _in_float_dtype_of(self, _ad().corrcoef(self))

    def dist(self, other, p=2):
        """The ``p``-norm of ``self - other``, as PyTorch's ``dist``.

        >>> ad.tensor([3.0, 0.0]).dist(ad.tensor([0.0, 4.0]))
        tensor(5.)
        """
        return _ad().dist(self, other, p)

    def mvlgamma(self, p: int):
        """The log of the multivariate gamma function of dimension ``p``, as PyTorch's
        ``mvlgamma``: ``sum_i lgamma(x - i / 2) + p (p - 1) / 4 log(pi)`` (integers
        give float64, the library's default dtype, where PyTorch's is float32).

        >>> round(float(ad.tensor(2.0).mvlgamma(1)), 6)
        0.0
        """
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 1:
            raise ValueError(f"mvlgamma: p must be an integer >= 1, got {p!r}")
        x = self if self.dtype.kind in "fc" else self.astype(_ad().get_default_dtype())
        offsets = np.arange(p, dtype=x.dtype) / 2
        total = _ad().special.lgamma(x.unsqueeze(-1) - offsets).sum(-1)
        return total + np.asarray(p * (p - 1) / 4 * np.log(np.pi), x.dtype)

    def angle(self):
        """The argument of each element, as PyTorch's ``angle``: ``pi`` for a negative
        real number, 0 otherwise (also for ``-0.0``), NaN for NaN (integers give
        float64, the library's default dtype); complex numbers' ``atan2(imag, real)``.

        >>> ad.tensor([-2.0, 0.0, 3.0]).angle()
        tensor([3.14159265, 0.        , 0.        ])
        """
        if self.dtype.kind == "c":
            return _ad().angle(self)
        x = self if self.dtype.kind == "f" else self.astype(_ad().get_default_dtype())
        from .ops.elementwise import overwrite_by
        ad = _ad()
        values = ad.where(x.isnan(), np.nan, ad.where(x < 0, np.pi, 0.0)).astype(x.dtype)
        return overwrite_by(values, x, "angle")  # (x gets a zero gradient, as in PyTorch)

    def isreal(self):
        """True where the imaginary part is 0 (everywhere for a real tensor).

        >>> ad.tensor([1.0]).isreal()
        tensor([ True])
        """
        return _ad().isreal(self)

    # ----- scatters of a slice -------------------------------------------------------------
    def select_scatter(self, src, dim: int, index: int):
        """A copy with ``src`` written at ``index`` along ``dim``, as PyTorch's.

        >>> ad.zeros((2, 2)).select_scatter(ad.ones(2), 0, 1)
        tensor([[0., 0.],
                [1., 1.]])
        """
        return _ad().select_scatter(self, src, dim, index)

    def slice_scatter(self, src, dim: int = 0, start=None, end=None, step: int = 1):
        """A copy with ``src`` written at ``start:end:step`` along ``dim``, as PyTorch's.

        >>> ad.zeros(3).slice_scatter(ad.ones(1), start=2)
        tensor([0., 0., 1.])
        """
        return _ad().slice_scatter(self, src, dim, start, end, step)

    def diagonal_scatter(self, src, offset: int = 0, dim1: int = 0, dim2: int = 1):
        """A copy with ``src`` written on the diagonal, as PyTorch's.

        >>> ad.zeros((2, 2)).diagonal_scatter(ad.ones(2))
        tensor([[1., 0.],
                [0., 1.]])
        """
        return _ad().diagonal_scatter(self, src, offset, dim1, dim2)

    def diagflat(self, offset: int = 0):
        """A matrix with the flattened input on diagonal ``offset``, as PyTorch's.

        >>> ad.tensor([1.0, 2.0]).diagflat()
        tensor([[1., 0.],
                [0., 2.]])
        """
        return _ad().diagflat(self, offset)

    def index_reduce(self, dim: int, index, source, reduce: str, *, include_self=True):
        """A copy with ``source`` combined at ``index`` along ``dim`` by ``reduce``
        (``'prod' 'mean' 'amax' 'amin'``), as PyTorch's ``index_reduce``.

        >>> ad.ones(2).index_reduce(0, np.array([0]), ad.tensor([3.0]), "prod")
        tensor([3., 1.])
        """
        return _ad().index_reduce(self, dim, index, source, reduce,
                                  include_self=include_self)

    # ----- splits ----------------------------------------------------------------------------
    def hsplit(self, split_size_or_sections, *indices):
        """PyTorch's ``hsplit``: ``ad.hsplit`` as a tuple (``hsplit(1, 4)``: the indices).

        >>> ad.arange(4.0).hsplit(2)
        (tensor([0., 1.]), tensor([2., 3.]))
        """
        return tuple(_ad().hsplit(self, _sections(split_size_or_sections, indices)))

    def vsplit(self, split_size_or_sections, *indices):
        """PyTorch's ``vsplit``: ``ad.vsplit`` as a tuple.

        >>> [p.shape for p in ad.ones((2, 3)).vsplit(2)]
        [(1, 3), (1, 3)]
        """
        return tuple(_ad().vsplit(self, _sections(split_size_or_sections, indices)))

    def dsplit(self, split_size_or_sections, *indices):
        """PyTorch's ``dsplit``: ``ad.dsplit`` as a tuple.

        >>> [p.shape for p in ad.ones((1, 1, 4)).dsplit([1])]
        [(1, 1, 1), (1, 1, 3)]
        """
        return tuple(_ad().dsplit(self, _sections(split_size_or_sections, indices)))

    def split_with_sizes(self, split_sizes, dim: int = 0):
        """Pieces of the given sizes along ``dim``, as PyTorch's ``split_with_sizes``.

        >>> ad.arange(3.0).split_with_sizes([1, 2])
        (tensor([0.]), tensor([1., 2.]))
        """
        return tuple(_ad().split_with_sizes(self, split_sizes, dim))

    def unsafe_split(self, split_size, dim: int = 0):
        """``split`` (PyTorch's ``unsafe_split``: the same pieces).

        >>> ad.arange(3.0).unsafe_split(2)
        (tensor([0., 1.]), tensor([2.]))
        """
        return tuple(_ad().unsafe_split(self, split_size, dim))

    def unsafe_split_with_sizes(self, split_sizes, dim: int = 0):
        """``split_with_sizes`` (PyTorch's ``unsafe_split_with_sizes``)."""
        from .multi_output_views import unmark
        return unmark(self.split_with_sizes(split_sizes, dim))

    def unsafe_chunk(self, chunks: int, dim: int = 0):
        """``chunk`` (PyTorch's ``unsafe_chunk``: the same pieces).

        >>> ad.arange(4.0).unsafe_chunk(2)
        (tensor([0., 1.]), tensor([2., 3.]))
        """
        return tuple(_ad().unsafe_chunk(self, chunks, dim))

    def narrow_copy(self, dim: int, start: int, length: int):
        """``narrow(dim, start, length)`` as a new array, as PyTorch's ``narrow_copy``.

        >>> ad.arange(4.0).narrow_copy(0, 1, 2)
        tensor([1., 2.])
        """
        return self.narrow(dim, start, length).clone()

    # ----- number representation -------------------------------------------------------------
    def frexp(self):
        """``(mantissa, exponent)`` with ``self = mantissa * 2 ** exponent`` and
        ``0.5 <= |mantissa| < 1``, as PyTorch's ``frexp`` (the mantissa has the gradient
        ``1 / 2 ** exponent``).

        >>> ad.tensor([4.0]).frexp()
        Frexp(mantissa=tensor([0.5]), exponent=tensor([3], dtype=int32))
        """
        from .tensor import Tensor
        if self.dtype.kind != "f":
            raise TypeError(f"frexp: needs a floating-point tensor, got {self.dtype} "
                            f"(PyTorch refuses it too); convert with .double()")
        exponent, scale, rest_of_scale = (_made("frexp", _frexp_parts, self.data, part)
                                          for part in (0, 1, 2))
        return Frexp(self * scale * rest_of_scale, Tensor(exponent))

    def gcd(self, other):
        """The greatest common divisor of integers, as PyTorch's ``gcd``.

        >>> ad.tensor([4, 6]).gcd(ad.tensor([6, 9]))
        tensor([2, 3])
        """
        return _integer_pair("gcd", np.gcd, self, other)

    def lcm(self, other):
        """The least common multiple of integers, as PyTorch's ``lcm``.

        >>> ad.tensor([4, 6]).lcm(ad.tensor([6, 9]))
        tensor([12, 18])
        """
        return _integer_pair("lcm", np.lcm, self, other)

    def igamma(self, other):
        """The regularized lower incomplete gamma function P(self, other), PyTorch's
        ``igamma`` (``ad.special.gammainc``; a gradient in ``other`` only).

        >>> round(float(ad.tensor(1.0).igamma(ad.tensor(2.0))), 6)    # 1 - exp(-2)
        0.864665
        """
        from .special import gammainc
        return gammainc(self, other)

    def igammac(self, other):
        """The regularized upper incomplete gamma function Q(self, other), PyTorch's
        ``igammac`` (``ad.special.gammaincc``; a gradient in ``other`` only).

        >>> round(float(ad.tensor(1.0).igammac(ad.tensor(2.0))), 6)   # exp(-2)
        0.135335
        """
        from .special import gammaincc
        return gammaincc(self, other)

    def nextafter(self, other):
        """The next floating-point value after each element towards ``other``, as
        PyTorch's ``nextafter`` (its gradient: 1 for ``self``, none for ``other``).

        >>> ad.tensor([1.0]).nextafter(ad.tensor([2.0])) > 1
        tensor([ True])
        """
        other_data = getattr(other, "data", other)
        if self.dtype.kind != "f" or np.result_type(other_data).kind != "f":
            raise TypeError(f"nextafter: needs floating-point tensors, got {self.dtype} and "
                            f"{np.result_type(other_data)}")
        x = self
        if np.result_type(self.data, other_data) != self.dtype:   # (a wider other)
            x = self.astype(np.result_type(self.data, other_data))
        following, step, finite = (_made("nextafter", _next_values, x.data, other_data,
                                         part) for part in range(3))
        stepped = x + step
        return stepped if finite.all() else _ad().where(finite, stepped, following)

    def histogram(self, bins=100, *, range=None, weight=None, density=False):
        """``(hist, bin_edges)`` of the values, as PyTorch's ``histogram``: ``bins`` a
        count of equal bins over ``range`` (default: min to max) or a 1-D tensor of
        edges; ``weight`` per value; ``density`` to normalize.  The counts have a zero
        gradient; the edges follow the min and max (and densities the bin widths), where
        PyTorch's backward refuses; a ``weight`` that requires grad is refused.

        >>> ad.tensor([1.0, 2.0]).histogram(2)
        Histogram(hist=tensor([1., 1.]), bin_edges=tensor([1. , 1.5, 2. ]))
        """
        from .tensor import Tensor
        _no_gradient("histogram", weight)
        if self.dtype.kind != "f":
            raise TypeError(f"histogram: needs a floating-point tensor, got {self.dtype} "
                            f"(PyTorch refuses it too); convert with .double()")
        weights = None if weight is None else getattr(weight, "data", weight)
        counts, edges = (Tensor(_made("histogram", _histogram, self.data,
                                      getattr(bins, "data", bins), range, weights, part))
                         for part in (0, 1))
        if isinstance(bins, Tensor):
            edges = bins.astype(self.dtype)
        elif range is None and self.requires_grad:
            edges = edges + _moving_part_of_edges(self, int(bins))
        if not density:
            return Histogram(counts, edges)
        return Histogram(counts / (edges[1:] - edges[:-1]) / counts.sum(), edges)

    # ----- deprecated linear algebra ---------------------------------------------------------
    def cholesky(self, upper: bool = False):
        """The Cholesky factor (lower, or upper with ``upper=True``), as PyTorch's
        deprecated ``Tensor.cholesky``; ``ad.linalg.cholesky`` is the current name.

        >>> ad.tensor([[4.0]]).cholesky()
        tensor([[2.]])
        """
        ad = _ad()
        triangle = ad.triu(self) if upper else ad.tril(self)
        read = triangle + (ad.triu(self, 1) if upper else ad.tril(self, -1)).mT
        # PyTorch's gradient is symmetric, (S + S.T) / 2, where ad.linalg.cholesky puts
        # it on the triangle it reads: the values come from that triangle and the
        # gradient goes through the symmetric part (its value is 0 exactly).
        symmetric = (self + self.mT) / 2
        return ad.linalg.cholesky(read.detach() + (symmetric - symmetric.detach()),
                                  upper=upper)

    def qr(self, some: bool = True):
        """``(Q, R)``, reduced (``some=True``) or complete, as PyTorch's ``Tensor.qr``.

        >>> ad.tensor([[2.0]]).qr().R.abs()
        tensor([[2.]])
        """
        q, r = _ad().linalg.qr(self, "reduced" if some else "complete")
        return QR(q, r)

    def svd(self, some: bool = True, compute_uv: bool = True):
        """``(U, S, V)`` with ``self = U @ diag(S) @ V.mT`` (``V``, not ``Vh``), as
        PyTorch's ``Tensor.svd``; see ``ad.svd``.

        >>> ad.tensor([[3.0, 0.0], [0.0, -2.0]]).svd().S
        tensor([3., 2.])
        """
        return _ad().svd(self, some, compute_uv)

    eig = _removed("eig", "ad.linalg.eig (or ad.linalg.eigvals)")
    symeig = _removed("symeig", "ad.linalg.eigh (or ad.linalg.eigvalsh)")
    lstsq = _removed("lstsq", "ad.linalg.lstsq(A, B)")
    solve = _removed("solve", "ad.linalg.solve(A, B)")

    # ----- dtypes, views and small things ----------------------------------------------------
    def short(self):
        """``astype(np.int16)``, as PyTorch's ``short()`` (no gradient).

        >>> ad.tensor([1.7]).short()
        tensor([1], dtype=int16)
        """
        return self._as_dtype(np.int16)

    def cfloat(self):
        """``astype(np.complex64)``, as PyTorch's ``cfloat()``.

        >>> ad.tensor([1.0]).cfloat().dtype
        dtype('complex64')
        """
        return self._as_dtype(np.complex64)

    def cdouble(self):
        """``astype(np.complex128)``, as PyTorch's ``cdouble()``.

        >>> ad.tensor([1.0]).cdouble().dtype
        dtype('complex128')
        """
        return self._as_dtype(np.complex128)

    def chalf(self):
        """PyTorch's ``chalf()`` (complex32): NumPy has no such dtype, so it raises."""
        raise TypeError("chalf: complex32 (PyTorch's chalf) has no NumPy dtype, so the "
                        "library cannot hold it; use cfloat() (complex64) instead")

    def new(self, *args, **kwargs):
        """PyTorch's legacy ``Tensor.new``: refused; use ``new_tensor`` or ``new_empty``."""
        raise TypeError("Tensor.new: the legacy constructor is not provided; use "
                        "t.new_tensor(data) for a tensor of given values, or "
                        "t.new_empty(size) / t.new_zeros(size) for one of a given size")

    def ndimension(self) -> int:
        """The number of dims, as PyTorch's ``ndimension()`` (``ndim``).

        >>> ad.ones((2, 3)).ndimension()
        2
        """
        return self.ndim

    def adjoint(self):
        """The conjugate transpose of the last two dims, as PyTorch's ``adjoint``.

        >>> ad.ones((2, 3)).adjoint().shape
        (3, 2)
        """
        return _ad().adjoint(self)

    def prelu(self, weight):
        """``max(0, x) + weight * min(0, x)``, the weight per channel (dim 1), as
        PyTorch's ``prelu``.

        >>> ad.tensor([-2.0, 3.0]).prelu(ad.tensor([0.5]))
        tensor([-1.,  3.])
        """
        return _ad().prelu(self, weight)

    def resolve_conj(self):
        """Self: the library has no lazy conjugate views (PyTorch's ``resolve_conj``)."""
        return self

    def resolve_neg(self):
        """Self: the library has no lazy negative views (PyTorch's ``resolve_neg``)."""
        return self
