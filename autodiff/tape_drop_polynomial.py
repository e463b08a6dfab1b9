"""What a tape drop inside ``numpy.polynomial`` says: the function the user called there
and what to write instead.

NumPy does not hand ``numpy.polynomial``'s functions to a Tensor: they turn their
arguments into arrays first, so a Tensor that requires grad leaves the tape.  The
message names the function called (``np.polynomial.polynomial.polyroots``, a series
object's ``Polynomial.fit`` ...) and, for the functions of roots and companion
matrices, the NumPy code that keeps them on the tape.
"""

from __future__ import annotations

import os

#: What to write instead of the functions of roots of the power series, whose
#: arguments need a gradient.
_ROOTS_INSTEAD = {
    "polyroots": "np.sort(np.roots(c[::-1])) gives the roots of c (lowest degree first) on "
                 "the tape, in NumPy's ascending order",
    "polyfromroots": "np.poly(r)[::-1] gives the coefficients of the polynomial with roots "
                     "r on the tape, lowest degree first as polyfromroots gives them",
    "polyvalfromroots": "np.prod(np.subtract.outer(x, r), axis=-1) evaluates the polynomial "
                        "with roots r at the points x on the tape (np.prod(x - r) at one "
                        "point)",
    "polycompanion": "np.column_stack([np.eye(n, n - 1, k=-1), -c[:-1] / c[-1]]), with n = "
                     "len(c) - 1, is the companion matrix of c on the tape",
}

_GENERAL = (
    "which turns its coefficients and points into arrays (for coefficients c that need a "
    "gradient, evaluate at constant points x as a product with the pseudo-Vandermonde "
    "matrix, np.polynomial.polynomial.polyvander(x, deg) @ c, and likewise legvander, "
    "chebvander, hermvander ...; or np.polyval(c[::-1], x); fit with np.polyfit; for a "
    "Tensor x and constant coefficients c, the module's functions take it as it is: "
    "np.polynomial.polynomial.polyval(x, c), chebval, legval ..., and so does a series "
    "object with constant coefficients, P(x) (np.polynomial.Polynomial, Chebyshev ..., as "
    ".fit makes them))")


def converted_by_numpy_polynomial(called) -> str:
    """The explanation of a conversion inside ``numpy.polynomial``, where ``called`` is
    the outermost frame of that package, the function the user called."""
    name = _public_name(called)
    instead = _ROOTS_INSTEAD.get(called.f_code.co_name)
    if instead is not None and name.startswith("np.polynomial.polynomial."):
        return f"by numpy.polynomial, in {name}, which turns its arguments into arrays ({instead})"
    return f"by numpy.polynomial, in {name}, {_GENERAL}"


def _public_name(frame) -> str:
    """``np.polynomial.<module>.<function>`` for a module function,
    ``np.polynomial.<Class>.<method>`` for a method of a series object and
    ``np.polynomial.<Class>(...)`` for making one."""
    scope, function = frame.f_locals, frame.f_code.co_name
    if "self" in scope or "cls" in scope:
        owner = scope["self"] if "self" in scope else scope["cls"]
        owner = owner if isinstance(owner, type) else type(owner)
        if function == "__init__":
            return f"np.polynomial.{owner.__name__}(...)"
        return f"np.polynomial.{owner.__name__}.{function}"
    module = os.path.splitext(os.path.basename(frame.f_code.co_filename))[0]
    return f"np.polynomial.{module}.{function}"
