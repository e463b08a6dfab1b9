"""NumPy dispatch: which NumPy functions run which op (or composite) on Tensors.

``Tensor.__array_ufunc__`` and ``__array_function__`` (autodiff/interop.py) look the
NumPy callable up in the tables below.  An op's ``numpy=`` entry fills them when the
op is registered (ops/define.py); ``implements`` adds composites built from ops and
``implements_without_gradient`` functions that compute on the data alone.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..tensor import Tensor

#: NumPy ufuncs and functions that run an op (or a composite of ops) on Tensors:
#: derived from the ``numpy=`` of each op and from ``implements``.
NUMPY_UFUNCS: dict[Any, Callable] = {}
NUMPY_FUNCTIONS: dict[Any, Callable] = {}
#: NumPy functions registered by ``implements_without_gradient``: their keyword
#: arguments pass through unchecked (they compute on the data, no gradient).
NO_GRADIENT_FUNCTIONS: set = set()
#: Functions of shapes and dtypes only: their results do not depend on values.
_BUILT_IN_SHAPE_ONLY = frozenset({np.shape, np.ndim, np.size, np.result_type, np.zeros_like,
                                  np.ones_like, np.empty_like})
_SHAPE_ONLY = set(_BUILT_IN_SHAPE_ONLY)
#: Functions that make an array to write into: a Tensor at any ndim (a 0-d ndarray of
#: ``np.zeros_like(t[0, 0])`` would take ``acc += ...`` off the tape).
_MAKE_BUFFERS = frozenset({np.zeros_like, np.ones_like, np.empty_like})


def _numpy_entries(name, numpy):
    """``numpy=`` as a dict ``{numpy_callable: adapter or None}``."""
    if numpy is None:
        return {}
    if isinstance(numpy, dict):
        entries = dict(numpy)
    elif isinstance(numpy, (tuple, list)):
        entries = {f: None for f in numpy}
    else:
        entries = {numpy: None}
    for f, adapter in entries.items():
        if not callable(f) or (adapter is not None and not callable(adapter)):
            raise TypeError(f"defop {name!r}: numpy= takes NumPy callables (or a dict "
                            f"callable -> adapter), got {f!r}: {adapter!r}")
    return entries


def _numpy_name(f):
    owner = getattr(f, "__self__", None)
    if isinstance(owner, np.ufunc):     # a ufunc's method: "add.reduce"
        return f"{owner.__name__}.{f.__name__}"
    return getattr(f, "__name__", repr(f))


def _add_numpy(f, impl, owner):
    table = NUMPY_UFUNCS if isinstance(f, np.ufunc) else NUMPY_FUNCTIONS
    if f in table:
        raise ValueError(f"{owner}: numpy.{_numpy_name(f)} is already implemented by "
                         f"{getattr(table[f], '__name__', table[f])!r}")
    table[f] = impl



def implements(*numpy_callables: Callable) -> Callable:
    """Decorator: ``func`` (built from existing ops) runs when NumPy calls one of
    ``numpy_callables`` on a Tensor.

    Use it for composites that are not primitives (``np.vstack`` from ``concatenate``).
    ``func`` takes NumPy's arguments; unsupported keywords such as ``out=`` are
    rejected before it is called.

    >>> library_union1d = NUMPY_FUNCTIONS.pop(np.union1d)     # (set the library's aside)
    >>> @implements(np.union1d)
    ... def union1d(ar1, ar2):
    ...     return np.unique(ad.concatenate([ad.ravel(ar1), ad.ravel(ar2)]))
    >>> np.union1d(ad.tensor([3.0, 1.0]), ad.tensor([1.0, 2.0]))
    tensor([1., 2., 3.])
    >>> NUMPY_FUNCTIONS[np.union1d] = library_union1d
    """
    def register(func):
        for f in numpy_callables:
            _add_numpy(f, func, getattr(func, "__name__", repr(func)))
        return func
    return register


def _data(x):
    if isinstance(x, (tuple, list)) and any(isinstance(item, Tensor) for item in x):
        return type(x)(_data(item) for item in x)       # np.lexsort's tuple of keys
    return x.data if isinstance(x, Tensor) else x


def implements_without_gradient(*numpy_callables: Callable, shape_only: bool = False) -> None:
    """Let NumPy functions that never need a gradient (``np.shape``, ``np.argmax``,
    ``np.isclose`` ...) run on Tensors: they compute on the data, and an array
    result comes back as a Tensor that does not require grad.  ``shape_only=True``
    says that the result depends on shapes and dtypes alone (``np.tril_indices_from``),
    so ``ad.compile`` may keep it in a plan as it is.

    >>> implements_without_gradient(np.is_busday)
    >>> np.is_busday(ad.tensor(np.array(['2024-01-01', '2024-01-06'], dtype='datetime64[D]')))
    tensor([ True, False])
    >>> forget_numpy(np.is_busday)
    """
    for func in numpy_callables:
        def run(*args, _func=func, **kwargs):
            args = [_data(a) for a in args]
            kwargs = {k: _data(v) for k, v in kwargs.items()}
            result = _func(*args, **kwargs)
            from ..compile import hooks as _hooks      # (the compile package imports ops)
            tracer = _hooks.active
            if tracer is not None and tracer.owns_thread() and _func not in _SHAPE_ONLY:
                # While ad.compile traces: computed again at each replay (or refused),
                # and a scalar comes back as a 0-d Tensor, so that using its value in
                # Python (if, int()) is refused rather than frozen into the plan.
                return tracer.on_numpy_result(_func, args, kwargs, result)
            if isinstance(result, np.ndarray) and (result.ndim or _func in _MAKE_BUFFERS):
                return Tensor(result)
            return result
        run.__name__ = _numpy_name(func)
        _add_numpy(func, run, f"numpy.{_numpy_name(func)}")
        NO_GRADIENT_FUNCTIONS.add(func)
        if shape_only:
            _SHAPE_ONLY.add(func)


def forget_numpy(*numpy_callables: Callable) -> None:
    """Undo ``implements`` / ``implements_without_gradient`` for these NumPy callables."""
    for f in numpy_callables:
        NUMPY_UFUNCS.pop(f, None)
        NUMPY_FUNCTIONS.pop(f, None)
        NO_GRADIENT_FUNCTIONS.discard(f)
        if f not in _BUILT_IN_SHAPE_ONLY:
            _SHAPE_ONLY.discard(f)
