"""``np.cov`` and ``np.corrcoef`` on Tensors.

NumPy's recipe, written with the library's ops: centre each variable (a row, or a
column with ``rowvar=False``) by its (weighted) mean, multiply the centred matrix by
its transpose, divide by the degrees of freedom; the correlation divides by the
standard deviations and clips to [-1, 1].  The results equal NumPy's bit for bit,
and the gradient flows to the observations and to analytic weights given as a Tensor
that requires grad (as ``torch.cov``'s ``aweights``); frequency weights are integer
counts, constants.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..compile.refusals import refuse_traced_values
from ..tensor import Tensor
from .averages import average
from .diagonals import diagonal
from .elementwise import astype, clip, sqrt
from .linalg import dot
from .numpy_dispatch import implements
from .operands import tensor_of
from .shape import concatenate, reshape


def _variables(x, rowvar, dtype):
    """``array(x, ndmin=2, dtype=dtype)``, transposed when ``rowvar`` is False."""
    x = tensor_of(x)
    if x.ndim > 2:
        raise ValueError(f"cov: an input has {x.ndim} dimensions (shape {x.shape}); at most 2 "
                         "(variables by observations)")
    if x.dtype != dtype:
        x = astype(x, dtype)
    if x.ndim < 2:
        x = reshape(x, (1, -1) if x.ndim else (1, 1))
    return x


def _weights(fweights, aweights, observations):
    w = None
    if fweights is not None:
        fweights = w = _sample_weights(fweights, "fweights", observations, integer=True)
    if aweights is not None:
        aweights = _sample_weights(aweights, "aweights", observations)
        w = aweights if w is None else w * aweights
    return w, aweights


def _sample_weights(weights, name, observations, integer=False):
    """One weight per observation, as floats, checked as ``np.cov`` checks them; analytic
    weights that require grad stay a Tensor on the tape."""
    values = np.asarray(_constant(weights, name, integer), dtype=float)
    if integer and not np.all(values == np.around(values)):
        raise TypeError(f"cov: {name} must be integer")
    if values.ndim > 1:
        raise RuntimeError(f"cov: cannot handle multidimensional {name}")
    if values.shape[0] != observations:
        raise RuntimeError(f"cov: incompatible numbers of samples and {name}")
    if any(values < 0):
        raise ValueError(f"cov: {name} cannot be negative")
    if isinstance(weights, Tensor) and weights.requires_grad:
        return astype(weights, values.dtype)
    return values


def _constant(value, name, integer):
    if isinstance(value, Tensor):
        if value.requires_grad and integer:
            raise TypeError(f"cov: {name} given as a Tensor that requires grad: frequency "
                            "weights are integer counts and get no gradient; pass an array "
                            "(w.data), or weigh the observations with aweights")
        refuse_traced_values(value, "cov", f"its {name} are a tensor whose values it takes "
                             "as constants, and a replay may give it others", "Pass them as a "
                             "NumPy array from outside the compiled function (a change to "
                             "it traces again), or call cov outside")
        return value.data
    return value


@implements(np.cov)
def cov(m, y=None, rowvar: bool = True, bias: bool = False, ddof=None, fweights=None,
        aweights=None, *, dtype=None, correction=None) -> Tensor:
    """Covariance matrix of the variables (rows, or columns with ``rowvar=False``), as
    ``np.cov``; differentiable in the observations.  PyTorch's ``correction=`` is
    NumPy's ``ddof=`` (``torch.cov(x, correction=0)``).

    >>> x = ad.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]], requires_grad=True)
    >>> ad.cov(x)
    tensor([[ 1., -1.],
            [-1.,  1.]], requires_grad=True)
    """
    if correction is not None:
        if ddof is not None:
            raise TypeError("cov: give ddof= (NumPy's name) or correction= (PyTorch's), "
                            "not both")
        ddof = correction
    if ddof is not None and ddof != int(ddof):
        raise ValueError("cov: ddof must be integer")
    values = [tensor_of(m)] + ([] if y is None else [tensor_of(y)])
    if dtype is None:
        dtype = np.result_type(*[v.dtype for v in values], np.float64)
    X = _variables(values[0], rowvar, dtype)
    if not rowvar and values[0].ndim != 1:
        X = X.T
    if X.shape[0] == 0:
        return Tensor(np.array([]).reshape(0, 0))
    if y is not None:
        other = _variables(values[1], rowvar, dtype)
        if not rowvar and other.shape[0] != 1:
            other = other.T
        X = concatenate((X, other), axis=0)
    if ddof is None:
        ddof = 1 if bias == 0 else 0
    w, aweights = _weights(fweights, aweights, X.shape[1])
    avg, w_sum = average(X, axis=1, weights=w, returned=True)
    if not isinstance(aweights, Tensor):
        w_sum = w_sum.data if isinstance(w_sum, Tensor) else w_sum
    w_sum = w_sum[0]
    if w is None:
        fact = X.shape[1] - ddof
    elif ddof == 0:
        fact = w_sum
    elif aweights is None:
        fact = w_sum - ddof
    else:
        fact = w_sum - ddof * np.sum(w * aweights) / w_sum
    if (fact.data if isinstance(fact, Tensor) else fact) <= 0:
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=2)
        fact = 0.0
    if not np.can_cast(avg.dtype, X.dtype, "same_kind"):
        raise TypeError(f"cov: dtype={X.dtype} cannot hold the observations less their "
                        f"{avg.dtype} means (NumPy's X -= mean refuses that cast); pass a "
                        "floating-point dtype")
    # NumPy centres and scales in place (X -= avg; c *= 1 / fact): the results stay in
    # X's and c's dtypes though the means (with float64 weights) and 1 / fact are float64
    X = astype(X - avg[:, None], X.dtype)
    X_T = X.T if w is None else (X * w).T
    if X.dtype.kind == "c":                 # NumPy's dot(X, X_T.conj())
        from .complex_ops import conj_op
        X_T = conj_op(X_T)
    c = dot(X, X_T)
    c = astype(c * np.true_divide(1, fact), c.dtype)
    return reshape(c, tuple(s for s in c.shape if s != 1))      # c.squeeze()


@implements(np.corrcoef)
def corrcoef(x, y=None, rowvar: bool = True, *, dtype=None) -> Tensor:
    """Pearson correlation coefficients of the variables, as ``np.corrcoef``:
    ``cov`` divided by the standard deviations, clipped to [-1, 1].

    >>> ad.corrcoef(ad.tensor([[0.0, 1.0, 2.0], [1.0, 3.0, 2.0]]))
    tensor([[1. , 0.5],
            [0.5, 1. ]])
    """
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim != 2:                     # one variable: nan where the variance is not
        return c / c                    # finite and positive, 1 otherwise (as NumPy)
    if c.dtype.kind != "c":
        stddev = sqrt(diagonal(c))
        return clip(c / stddev[:, None] / stddev[None, :], -1, 1)
    # complex variables: NumPy divides by the roots of the variances' real parts and
    # clips the real and the imaginary parts apart
    from .complex_ops import complex as from_parts
    from .complex_parts import imag, real
    stddev = sqrt(real(diagonal(c)))
    c = c / stddev[:, None] / stddev[None, :]
    return from_parts(clip(real(c), -1, 1), clip(imag(c), -1, 1))


cov.numpy_kwargs = corrcoef.numpy_kwargs = ("dtype",)   # (interop refuses it otherwise)
