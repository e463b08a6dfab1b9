"""NumPy's functions under the array API's names, read from the installed NumPy (NumPy
2.1 has them all; an older one lacks some, such as ``concat`` or ``unstack``, which
are then refused by name rather than failing the import)."""

from __future__ import annotations


def numpy_functions(module, names) -> dict:
    """The functions of ``module`` (``numpy``, ``numpy.linalg``, ...) called ``names``
    that the installed NumPy has."""
    return {name: getattr(module, name) for name in names if hasattr(module, name)}


def refuse_missing(namespace: str, name: str, names) -> AttributeError:
    """The error for ``xp.<name>``: a standard name the installed NumPy lacks, or no
    name of the standard."""
    import numpy as np
    if name in names:
        return AttributeError(
            f"{namespace}.{name}: the installed NumPy ({np.__version__}) has no {name}, "
            "which this namespace uses; NumPy 2.1 or later has every function of the "
            "standard")
    return AttributeError(f"module {namespace!r} has no attribute {name!r}")
