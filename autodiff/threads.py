"""PyTorch's ``torch.get_num_threads`` / ``torch.set_num_threads``: the threads an op
may use.  Every op here runs on NumPy, whose only multi-threaded work is its BLAS
(matrix products, solves, decompositions), so these read and set the BLAS thread count,
through threadpoolctl (an optional package: without it they raise, naming the
environment variables that set the count before Python starts).
"""

from __future__ import annotations

import numbers

__all__ = ["get_num_threads", "set_num_threads"]

_WITHOUT_THREADPOOLCTL = (
    "the BLAS thread count is read and set through threadpoolctl, which is not installed "
    "(pip install threadpoolctl); or set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS / "
    "MKL_NUM_THREADS before Python starts")


def _blas_libraries(where: str) -> list:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        raise RuntimeError(f"{where}: {_WITHOUT_THREADPOOLCTL}") from None
    import numpy  # noqa: F401  (its BLAS is loaded, so threadpoolctl finds it)
    libraries = [info for info in threadpool_info() if info.get("user_api") == "blas"]
    if not libraries:
        raise RuntimeError(f"{where}: threadpoolctl finds no BLAS library loaded by NumPy "
                           "whose threads it can control")
    return libraries


def get_num_threads() -> int:
    """The number of threads NumPy's BLAS may use (PyTorch's intra-op thread count).

    >>> ad.get_num_threads() >= 1
    True
    """
    return max(info["num_threads"] for info in _blas_libraries("get_num_threads"))


def set_num_threads(n: int) -> None:
    """Let NumPy's BLAS use ``n`` threads from now on (PyTorch's ``set_num_threads``;
    ``n`` a positive int).

    >>> before = ad.get_num_threads()
    >>> ad.set_num_threads(1); ad.get_num_threads()
    1
    >>> ad.set_num_threads(before)
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n}")
    _blas_libraries("set_num_threads")
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=int(n), user_api="blas")
