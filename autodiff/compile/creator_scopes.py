"""Where the NumPy creators certify what they make (``call_constants.py``): the modules
of the compiled function and of the user's functions it calls by name.

A step in ``train.py`` calling ``loss`` imported from ``model.py`` makes its constants
in ``model.py`` (``np.arange(n) * RATE``): for the length of the trace, the names bound
to ``numpy`` there are bound to ``call_constants``' ``_NUMPY`` too.  The globals such a
function reads are checked before each replay (``reached.py``, ``captures.py``) and the
lists and dicts a constant was made from too (``constant_sources.py``), so a constant
changed between calls traces again.
"""

from __future__ import annotations

import os

import numpy as np

from .call_constants import _LIBRARY_DIRS, _NUMPY
from .reached import reached_functions


class creators_patched:
    """Context manager: for the length of a trace, the names bound to ``numpy``
    (``np``) in the modules of the compiled function and of the user's functions it
    reaches by name (``reached.reached_functions``: a loss in ``model.py`` that the step
    in ``train.py`` calls) are bound to ``_NUMPY``.  Only the user's code there gets
    certified arrays: NumPy's and other libraries' code (such as ``default_rng(seed)``,
    which writes into an ``np.asarray`` it makes) keeps NumPy's own functions, and so
    does a function the trace reaches otherwise (through an object's method)."""

    def __init__(self, fn):
        self.scopes = []
        for position, function in enumerate(reached_functions(fn)):
            scope = getattr(getattr(function, "__func__", function), "__globals__", None)
            if isinstance(scope, dict) and (position == 0 or _user_scope(scope)) and not any(
                    scope is seen for seen in self.scopes):
                self.scopes.append(scope)
        self.names: list = []

    def __enter__(self):
        for scope in self.scopes:
            names = [name for name, value in scope.items() if value is np]
            for name in names:
                scope[name] = _NUMPY
            self.names.append((scope, names))
        return self

    def __exit__(self, *exc):
        for scope, names in self.names:
            for name in names:
                if scope.get(name) is _NUMPY:
                    scope[name] = np
        return False


def _user_scope(scope) -> bool:
    """Whether the module globals ``scope`` are the user's (not in NumPy, the library,
    the standard library or an installed package)."""
    file = scope.get("__file__")
    return file is None or not os.path.abspath(file).startswith(_LIBRARY_DIRS)
