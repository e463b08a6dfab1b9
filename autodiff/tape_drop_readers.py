"""NumPy's functions that only read a Tensor's values, to compare or print them.

``np.testing.assert_allclose(t, expected)``, ``np.array2string(t)`` and their kind
make an ndarray (or a float) of the Tensor, as any NumPy code written in Python does,
but return nothing on the tape: no gradient is lost there, so the conversion is an
exit, silent as ``f"{t:.3f}"`` and ``float(t)`` are (``tape_drop.py``), also inside a
transform, where an assertion of a program's invariants must not stop ``ad.grad``.
``edges.searchsorted(t)`` (the ndarray method, which NumPy does not hand to the Tensor)
likewise reads its values only, into indices that carry no gradient.

>>> t = ad.tensor([1.0, 2.0], requires_grad=True)
>>> np.testing.assert_allclose(t, [1.0, 2.0])    # no TapeDropWarning
"""

from __future__ import annotations

import numpy as np

_TESTING = ("assert_allclose", "assert_array_equal", "assert_array_almost_equal",
            "assert_array_almost_equal_nulp", "assert_array_max_ulp", "assert_array_less",
            "assert_equal", "assert_almost_equal", "assert_approx_equal")
_PRINTING = ("array2string", "array_str", "format_float_positional",
             "format_float_scientific")


def _readers() -> frozenset:
    import numpy.testing as testing      # (imported here: numpy imports it lazily)

    return frozenset([getattr(testing, name) for name in _TESTING]
                     + [getattr(np, name) for name in _PRINTING]
                     + [np.ndarray.searchsorted])


_READERS: frozenset | None = None


def reads_values_only(called) -> bool:
    """Whether ``called``, the object a user's call is written to, is one of NumPy's
    functions that only compare or print their arguments' values."""
    global _READERS
    if _READERS is None:
        _READERS = _readers()
    try:
        return called in _READERS
    except TypeError:                    # (an unhashable callee)
        return False
