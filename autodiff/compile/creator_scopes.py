"""Where the NumPy creators certify what they make (``call_constants.py``): the modules
of the compiled function and of the user's functions it calls by name, through a
module (``model.loss(x)``), as an object's method (``self.helper(x)``) or a class's
(``Net.helper(self, h)``, ``super().forward(x)``), or by calling an object
(``model(x)``: its ``forward``) or making one (``Loss()(y)``: ``object_calls.py``).

A step in ``train.py`` calling ``loss`` imported from ``model.py`` makes its constants
in ``model.py`` (``np.arange(n) * RATE``): for the length of the trace, the names bound
to ``numpy`` there are bound to ``call_constants``' ``_NUMPY`` too.  The globals such a
function reads are checked before each replay (``reached.py``, ``captures.py``) and the
lists and dicts a constant was made from too (``constant_sources.py``), so a constant
changed between calls traces again.
"""

from __future__ import annotations

import numpy as np

from ..code_walk import nested_code
from . import hooks
from .call_constants import _NUMPY
from .reached import reached_functions, user_scope


class creators_patched:
    """Context manager: for the length of a trace, the names bound to ``numpy``
    (``np``) in the modules of the compiled function and of the user's functions it
    reaches (``reached.reached_functions``: a loss in ``model.py`` that the step in
    ``train.py`` calls as ``loss(x)`` or ``model.loss(x)``, a method ``self.helper(x)``)
    are bound to ``_NUMPY``.  Only the user's code there gets
    certified arrays: NumPy's and other libraries' code (such as ``default_rng(seed)``,
    which writes into an ``np.asarray`` it makes) keeps NumPy's own functions, and so
    does a function the trace reaches otherwise (a function passed as an argument, a
    method of an object the call makes of a class it does not name).

    Nor does a function of those modules that the trace runs without reaching it
    (called through a list of objects, given as an argument): what it reads is not
    among the plan's checks, so the tracer's ``reached_codes`` (the code of the
    functions reached and the functions and lambdas written in them) tell the
    creators whose calls certify."""

    def __init__(self, fn):
        self.scopes = []
        self.codes = set()
        for position, function in enumerate(reached_functions(fn)):
            plain = getattr(function, "__func__", function)
            if getattr(plain, "__code__", None) is not None:
                self.codes.update(nested_code(plain.__code__))
            scope = getattr(plain, "__globals__", None)
            if isinstance(scope, dict) and (position == 0 or user_scope(scope)) and not any(
                    scope is seen for seen in self.scopes):
                self.scopes.append(scope)
        self.names: list = []

    def __enter__(self):
        if hooks.active is not None:
            hooks.active.reached_codes = frozenset(self.codes)
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

