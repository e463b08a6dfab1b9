"""``validate_args``, as in PyTorch: with it on (the default), a distribution checks its
parameters when it is made and the values given to ``log_prob``, ``cdf`` and ``icdf``,
raising a ``ValueError`` for one outside its constraint or support; with it off, it
computes what the formulas give (NaN or ±inf for values outside the support, as
PyTorch's do).

Every ``Distribution`` subclass accepts ``validate_args=`` in its constructor (added by
``Distribution.__init_subclass__`` through ``with_validate_args``);
``Distribution.set_default_validate_args(False)`` turns it off for those made without
it.  The checks themselves go through ``distributions_params._checked``, which asks
``validating()``.

>>> N = ad.distributions.Normal
>>> N(0.0, 1.0, validate_args=False).log_prob(float("nan"))
tensor(nan)
"""

from __future__ import annotations

import contextvars
import functools
import inspect

# (validate, given): whether the distribution being made or called validates, and
# whether that came from an explicit ``validate_args=`` (a distribution made inside
# another one's constructor inherits it, as PyTorch's pass theirs on).
_CURRENT = contextvars.ContextVar("distribution_validation", default=None)


class _Default:
    validate = True


def set_default(value: bool) -> None:
    if value not in (True, False):
        raise ValueError(f"set_default_validate_args: expected True or False, got {value!r}")
    _Default.validate = bool(value)


def validating() -> bool:
    """Whether the checks run: those of the distribution being made or called, else
    the default."""
    current = _CURRENT.get()
    return _Default.validate if current is None else current[0]


def _explicit(value, owner):
    if value is not None and value not in (True, False):
        raise TypeError(f"{owner}: validate_args must be True, False or None, got {value!r}")
    return value


def with_validate_args(init):
    """``init`` taking ``validate_args=`` (keyword, or where its signature has it)."""
    signature = inspect.signature(init)
    takes_it = "validate_args" in signature.parameters
    kinds = [p.kind for p in signature.parameters.values()]
    # PyTorch's constructors take validate_args last, after the same parameters: one
    # positional argument past those of ``init`` is it.
    positional = None if inspect.Parameter.VAR_POSITIONAL in kinds else sum(
        kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        for kind in kinds) - 1

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        if takes_it:
            bound = signature.bind(self, *args, **kwargs)
            given = bound.arguments.get("validate_args")
        elif positional is not None and len(args) == positional + 1:
            if "validate_args" in kwargs:
                raise TypeError(f"{type(self).__name__}: validate_args given twice")
            *args, given = args
        else:
            given = kwargs.pop("validate_args", None)
        given = _explicit(given, type(self).__name__)
        outer = _CURRENT.get()
        if given is not None:
            state = (given, True)
        elif "_validate_args" in self.__dict__:           # a subclass's __init__ set it
            state = (self.__dict__["_validate_args"], True)
        elif outer is not None and outer[1]:
            state = outer
        else:
            state = (_Default.validate, False)
        if state[1]:
            self._validate_args = state[0]
        token = _CURRENT.set(state)
        try:
            init(self, *args, **kwargs)
        finally:
            _CURRENT.reset(token)
    return __init__


def validated_method(method):
    """``method`` (log_prob, cdf, icdf) checking its values as its distribution says."""
    @functools.wraps(method)
    def checked(self, *args, **kwargs):
        token = _CURRENT.set((self._validate_args, False))
        try:
            return method(self, *args, **kwargs)
        finally:
            _CURRENT.reset(token)
    # The wrapper's frame carries the method's name, as errors raised inside name the
    # library function the user called by its outermost frame ("Normal.log_prob").
    checked.__code__ = checked.__code__.replace(co_name=method.__name__)
    return checked


VALIDATED_METHODS = ("log_prob", "cdf", "icdf")
