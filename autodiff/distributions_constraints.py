"""``ad.distributions.constraints``: the sets a distribution's values or parameters live
in, with PyTorch's names (``real``, ``positive``, ``unit_interval``, ``interval(a, b)``,
``simplex``, ...).  ``c.check(value)`` gives a bool tensor, True where ``value`` is in
the set; a constraint with ``event_dim`` k judges the last k axes together (one bool
per vector of a ``simplex``).  ``biject_to`` / ``transform_to`` (in
``distributions_transforms``) turn a constraint into a transform from the reals.

>>> from autodiff.distributions import constraints
>>> constraints.positive.check(ad.tensor([-1.0, 0.0, 2.0]))
tensor([False, False,  True])
>>> constraints.simplex.check(ad.tensor([[0.5, 0.5], [0.5, 0.6]]))
tensor([ True, False])
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor

__all__ = ["Constraint", "boolean", "cat", "corr_cholesky", "dependent", "dependent_property",
           "greater_than", "greater_than_eq", "half_open_interval", "independent",
           "integer_interval", "interval", "is_dependent", "less_than", "lower_cholesky",
           "lower_triangular", "multinomial", "nonnegative", "nonnegative_integer", "one_hot",
           "positive", "positive_definite", "positive_integer", "positive_semidefinite", "real",
           "real_vector", "simplex", "square", "stack", "symmetric", "unit_interval"]


def _data(value) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else np.asarray(value)


class Constraint:
    """A set of values: ``check(value)`` is a bool tensor, True where ``value`` is in it.

    ``event_dim`` is the number of rightmost axes judged together (0 for a set of
    numbers, 1 for a set of vectors); ``is_discrete`` says whether it holds integers.

    >>> ad.distributions.constraints.real.check(ad.tensor([1.0, float("nan")]))
    tensor([ True, False])
    """

    is_discrete = False
    event_dim = 0

    def check(self, value) -> Tensor:
        """A bool tensor: True where ``value`` satisfies the constraint."""
        return Tensor(self._holds(_data(value)))

    def _holds(self, data: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__}.check is not implemented")

    def __repr__(self):
        return type(self).__name__.lstrip("_") + "()"


class _Dependent(Constraint):
    """The placeholder of a support that depends on other parameters; it has no check."""

    def __init__(self, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        self._is_discrete, self._event_dim = is_discrete, event_dim

    @property
    def is_discrete(self):
        if self._is_discrete is NotImplemented:
            raise NotImplementedError(".is_discrete cannot be determined statically")
        return self._is_discrete

    @property
    def event_dim(self):
        if self._event_dim is NotImplemented:
            raise NotImplementedError(".event_dim cannot be determined statically")
        return self._event_dim

    def __call__(self, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        return _Dependent(is_discrete=is_discrete, event_dim=event_dim)

    def check(self, value):
        raise ValueError("Cannot determine validity of dependent constraint")


class _DependentProperty(property, _Dependent):
    """A property that is also the ``dependent`` placeholder, as PyTorch's
    ``constraints.dependent_property``: on an instance it gives the property's value (a
    support that depends on the parameters); on the class it is a dependent constraint.

    >>> C = ad.distributions.constraints
    >>> class Box(ad.distributions.Distribution):
    ...     arg_constraints = {}
    ...     def __init__(self, high):
    ...         self.high = high
    ...         super().__init__(())
    ...     @C.dependent_property(is_discrete=False, event_dim=0)
    ...     def support(self):
    ...         return C.interval(0.0, self.high)
    >>> Box(2.0).support, C.is_dependent(Box.support)
    (Interval(lower_bound=0.0, upper_bound=2.0), True)
    """

    def __init__(self, fn=None, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        property.__init__(self, fn)
        self._is_discrete, self._event_dim = is_discrete, event_dim

    def __call__(self, fn):
        # ``@dependent_property(is_discrete=..., event_dim=...)``: the decorator applied
        return _DependentProperty(fn, is_discrete=self._is_discrete,
                                  event_dim=self._event_dim)


def is_dependent(constraint) -> bool:
    """Whether ``constraint`` is the ``dependent`` placeholder (its set is not fixed)."""
    return isinstance(constraint, _Dependent)


class _IndependentConstraint(Constraint):
    """``base_constraint`` on each number, with the last ``reinterpreted_batch_ndims``
    axes judged together: True where every value along them satisfies the base."""

    def __init__(self, base_constraint: Constraint, reinterpreted_batch_ndims: int):
        if not isinstance(base_constraint, Constraint):
            raise TypeError(f"independent: base_constraint must be a Constraint, got "
                            f"{type(base_constraint).__name__}")
        if not isinstance(reinterpreted_batch_ndims, (int, np.integer)) \
                or reinterpreted_batch_ndims < 0:
            raise ValueError(f"independent: reinterpreted_batch_ndims must be an int ≥ 0, "
                             f"got {reinterpreted_batch_ndims!r}")
        self.base_constraint = base_constraint
        self.reinterpreted_batch_ndims = int(reinterpreted_batch_ndims)

    @property
    def is_discrete(self):
        return self.base_constraint.is_discrete

    @property
    def event_dim(self):
        return self.base_constraint.event_dim + self.reinterpreted_batch_ndims

    def _holds(self, data):
        result = self.base_constraint._holds(data)
        ndims = self.reinterpreted_batch_ndims
        if result.ndim < ndims:
            expected = self.base_constraint.event_dim + ndims
            raise ValueError(f"independent.check: expected value.dim() >= {expected} but "
                             f"got {data.ndim} (shape {data.shape})")
        return result.reshape(result.shape[:result.ndim - ndims] + (-1,)).all(-1)

    def __repr__(self):
        return (f"IndependentConstraint({self.base_constraint!r}, "
                f"{self.reinterpreted_batch_ndims})")


class _Boolean(Constraint):
    is_discrete = True

    def _holds(self, data):
        return (data == 0) | (data == 1)


class _IntegerInterval(Constraint):
    """Integers in [lower_bound, upper_bound]."""
    is_discrete = True

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def _holds(self, data):
        with np.errstate(invalid="ignore"):
            return ((data % 1 == 0) & (_data(self.lower_bound) <= data)
                    & (data <= _data(self.upper_bound)))

    def __repr__(self):
        return (f"IntegerInterval(lower_bound={self.lower_bound}, "
                f"upper_bound={self.upper_bound})")


class _IntegerGreaterThan(Constraint):
    """Integers ≥ lower_bound."""
    is_discrete = True

    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def _holds(self, data):
        with np.errstate(invalid="ignore"):
            return (data % 1 == 0) & (data >= _data(self.lower_bound))

    def __repr__(self):
        return f"IntegerGreaterThan(lower_bound={self.lower_bound})"


class _Real(Constraint):
    """The real line, infinities included; NaN is not in it."""

    def _holds(self, data):
        return data == data


def _bound_repr(bound):
    return repr(bound)


class _GreaterThan(Constraint):
    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def _holds(self, data):
        return _data(self.lower_bound) < data

    def __repr__(self):
        return f"{type(self).__name__[1:]}(lower_bound={_bound_repr(self.lower_bound)})"


class _GreaterThanEq(_GreaterThan):
    def _holds(self, data):
        return _data(self.lower_bound) <= data


class _LessThan(Constraint):
    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def _holds(self, data):
        return data < _data(self.upper_bound)

    def __repr__(self):
        return f"LessThan(upper_bound={_bound_repr(self.upper_bound)})"


class _Interval(Constraint):
    """[lower_bound, upper_bound]."""

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def _holds(self, data):
        return (_data(self.lower_bound) <= data) & (data <= _data(self.upper_bound))

    def __repr__(self):
        return (f"{type(self).__name__[1:]}(lower_bound={_bound_repr(self.lower_bound)}, "
                f"upper_bound={_bound_repr(self.upper_bound)})")


class _HalfOpenInterval(_Interval):
    """[lower_bound, upper_bound)."""

    def _holds(self, data):
        return (_data(self.lower_bound) <= data) & (data < _data(self.upper_bound))


class _Simplex(Constraint):
    """Vectors of non-negative numbers that add up to 1 (within 1e-6, as in PyTorch)."""
    event_dim = 1

    def _holds(self, data):
        if data.ndim < 1:
            raise ValueError(f"simplex.check: a simplex holds vectors (event_dim 1); got a "
                             f"value of shape {data.shape}")
        return np.all(data >= 0, axis=-1) & (np.abs(data.sum(-1) - 1) < 1e-6)


class _OneHot(Constraint):
    """Vectors of 0s and 1s with a single 1."""
    is_discrete, event_dim = True, 1

    def _holds(self, data):
        return ((data == 0) | (data == 1)).all(-1) & (data.sum(-1) == 1)


class _Multinomial(Constraint):
    """Vectors of whole numbers ≥ 0 summing to at most upper_bound (PyTorch's check,
    no stricter)."""
    is_discrete, event_dim = True, 1

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def _holds(self, data):
        with np.errstate(invalid="ignore"):
            whole = (data % 1 == 0) & (data >= 0)
        return whole.all(-1) & (data.sum(-1) <= _data(self.upper_bound))

    def __repr__(self):
        return f"Multinomial(upper_bound={self.upper_bound})"


class _LowerCholesky(Constraint):
    """Lower-triangular matrices with a positive diagonal."""
    event_dim = 2

    def _holds(self, data):
        lower = (np.tril(data) == data).all((-2, -1))
        return lower & (np.diagonal(data, axis1=-2, axis2=-1) > 0).all(-1)


class _CorrCholesky(Constraint):
    """Lower Cholesky factors of correlation matrices: lower-triangular, a positive
    diagonal, and rows of unit length (within 10 · eps · size, as in PyTorch)."""
    event_dim = 2

    def _holds(self, data):
        tolerance = np.finfo(data.dtype if data.dtype.kind == "f" else float).eps \
            * data.shape[-1] * 10
        unit_rows = (np.abs(np.linalg.norm(data, axis=-1) - 1) <= tolerance).all(-1)
        return _LowerCholesky()._holds(data) & unit_rows


def _parts(data, dim: int, sizes) -> list:
    """``data`` cut along ``dim`` into consecutive pieces of ``sizes``."""
    if not -data.ndim <= dim < data.ndim:
        raise ValueError(f"dim {dim} is out of range for a value of shape {data.shape}")
    if data.shape[dim] != sum(sizes):
        raise ValueError(f"a value of shape {data.shape} has {data.shape[dim]} entries "
                         f"along dim {dim}; the parts need {sum(sizes)}")
    edges = np.cumsum([0] + list(sizes))
    return [np.take(data, np.arange(a, b), axis=dim) for a, b in zip(edges, edges[1:])]


class _Cat(Constraint):
    """Each constraint of ``cseq`` on its piece (of ``lengths``, 1 each by default) of
    the value along ``dim``, as PyTorch's ``constraints.cat``."""

    def __init__(self, cseq, dim: int = 0, lengths=None):
        self.cseq, self.dim = list(cseq), dim
        self.lengths = [1] * len(self.cseq) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.cseq):
            raise ValueError(f"constraints.cat: {len(self.cseq)} constraints but "
                             f"{len(self.lengths)} lengths")

    @property
    def is_discrete(self):
        return any(c.is_discrete for c in self.cseq)

    @property
    def event_dim(self):
        return max(c.event_dim for c in self.cseq)

    def _holds(self, data):
        pieces = _parts(data, self.dim, self.lengths)
        return np.concatenate([c._holds(piece) for c, piece in zip(self.cseq, pieces)],
                              self.dim)


class _Stack(Constraint):
    """Constraint ``i`` of ``cseq`` on the ``i``-th slice of the value along ``dim``, as
    PyTorch's ``constraints.stack``."""

    def __init__(self, cseq, dim: int = 0):
        self.cseq, self.dim = list(cseq), dim

    @property
    def is_discrete(self):
        return any(c.is_discrete for c in self.cseq)

    @property
    def event_dim(self):
        dim = max(c.event_dim for c in self.cseq)
        return dim + 1 if self.dim + dim < 0 else dim

    def _holds(self, data):
        pieces = _parts(data, self.dim, [1] * len(self.cseq))
        return np.stack([c._holds(np.squeeze(piece, self.dim))
                         for c, piece in zip(self.cseq, pieces)], self.dim)


class _Square(Constraint):
    """Square matrices: True for each matrix of a batch when the last two sizes agree."""
    event_dim = 2

    def _holds(self, data):
        return np.full(data.shape[:-2], data.shape[-1] == data.shape[-2], dtype=bool)


class _Symmetric(_Square):
    """Square matrices equal to their transpose (within 1e-6, as PyTorch)."""

    def _holds(self, data):
        square = super()._holds(data)
        if not square.all():
            return square
        return np.isclose(data, np.swapaxes(data, -1, -2), atol=1e-6).all((-2, -1))


class _LowerTriangular(Constraint):
    """Matrices with zeros above the diagonal."""
    event_dim = 2

    def _holds(self, data):
        return (np.tril(data) == data).all((-2, -1))


class _PositiveSemidefinite(_Symmetric):
    """Symmetric matrices whose eigenvalues are all ≥ 0."""

    def _holds(self, data):
        symmetric = super()._holds(data)
        if not symmetric.all():
            return symmetric
        return (np.linalg.eigvalsh(data) >= 0).all(-1)


class _PositiveDefinite(_Symmetric):
    """Symmetric (within 1e-6, as PyTorch) positive-definite matrices."""

    def _holds(self, data):
        symmetric = super()._holds(data)
        if not symmetric.all():
            return symmetric
        matrices = data.reshape((-1,) + data.shape[-2:])
        return np.array([_has_cholesky(m) for m in matrices]).reshape(data.shape[:-2])


def _has_cholesky(matrix) -> bool:
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        return False
    return True


dependent = _Dependent()
dependent_property = _DependentProperty
independent = _IndependentConstraint
boolean = _Boolean()
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
integer_interval = _IntegerInterval
real = _Real()
real_vector = independent(real, 1)
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
unit_interval = _Interval(0.0, 1.0)
interval = _Interval
half_open_interval = _HalfOpenInterval
simplex = _Simplex()
one_hot = _OneHot()
multinomial = _Multinomial
lower_cholesky = _LowerCholesky()
corr_cholesky = _CorrCholesky()
cat = _Cat
stack = _Stack
positive_definite = _PositiveDefinite()
positive_semidefinite = _PositiveSemidefinite()
square = _Square()
symmetric = _Symmetric()
lower_triangular = _LowerTriangular()
