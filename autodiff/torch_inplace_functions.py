"""PyTorch's top-level in-place functions: ``ad.exp_(t)`` is ``t.exp_()``, ``ad.clamp_(t,
min=0)`` is ``t.clamp_(min=0)`` ... one for each ``torch.<name>_`` whose Tensor method
exists here (made from the methods, so each takes the method's arguments and does its
work: the tensor is changed and returned), and ``ad.celu_``, ``selu_``, ``rrelu_``,
``threshold_``, ``dropout_``, ``alpha_dropout_``, ``feature_alpha_dropout_`` with
PyTorch's top-level arguments over ``F``'s in-place forms.

>>> t = ad.tensor([0.0, 1.0])
>>> ad.exp_(t) is t, t
(True, tensor([1.        , 2.71828183]))
"""

from __future__ import annotations

from .generator import chosen_rng
from .nn import functional as F
from .tensor import Tensor

#: ``torch.<name>`` for these names is ``Tensor.<name>`` called on its first argument
TORCH_INPLACE_FUNCTIONS = (
    "abs_ acos_ acosh_ addmv_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ asin_ "
    "asinh_ atan_ atanh_ ceil_ clamp_ clamp_max_ clamp_min_ clip_ conj_physical_ cos_ "
    "cosh_ deg2rad_ detach_ erf_ erfc_ exp2_ exp_ expm1_ fill_ fix_ floor_ frac_ gcd_ i0_ "
    "index_put_ lcm_ ldexp_ log10_ log1p_ log2_ log_ logit_ nan_to_num_ neg_ negative_ "
    "rad2deg_ reciprocal_ relu_ resize_as_ round_ rsqrt_ sigmoid_ sin_ sinc_ sinh_ sqrt_ "
    "square_ tan_ tanh_ trunc_ xlogy_ zero_").split()


def _method_as_function(name: str):
    method = getattr(Tensor, name)

    def function(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: changes a Tensor in place, got "
                            f"{type(input).__name__}; make one with ad.tensor(...)")
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"``input.{name}(...)``: ``torch.{name}``, the Tensor method as a "
                        f"function (changes ``input`` and returns it).")
    function.__wrapped__ = method       # inspect.signature shows the method's arguments
    return function


def inplace_functions() -> dict:
    """``{name: function}`` for each of ``TORCH_INPLACE_FUNCTIONS`` that Tensor has.

    >>> sorted(inplace_functions())[:2]
    ['abs_', 'acos_']
    """
    return {name: _method_as_function(name) for name in TORCH_INPLACE_FUNCTIONS
            if hasattr(Tensor, name)}


def celu_(input, alpha=1.0):
    """``torch.celu_``: ``F.celu_``.

    >>> ad.celu_(ad.tensor([1.0]))
    tensor([1.])
    """
    return F.celu_(input, alpha)


def selu_(input):
    """``torch.selu_``: ``F.selu_``.

    >>> ad.selu_(ad.tensor([0.0]))
    tensor([0.])
    """
    return F.selu_(input)


def rrelu_(input, lower=0.125, upper=0.3333333333333333, training=False, generator=None):
    """``torch.rrelu_``: ``F.rrelu_`` (``generator=`` an ``ad.Generator``).

    >>> ad.rrelu_(ad.tensor([-2.0, 3.0]), 0.25, 0.75)
    tensor([-1.,  3.])
    """
    return F.rrelu_(input, lower, upper, training, rng=chosen_rng("rrelu_", None, generator))


def threshold_(input, threshold, value):
    """``torch.threshold_``: ``F.threshold_``.

    >>> ad.threshold_(ad.tensor([0.5, 2.0]), 1.0, -1.0)
    tensor([-1.,  2.])
    """
    return F.threshold_(input, threshold, value)


def dropout_(input, p, train):
    """``torch.dropout_(input, p, train)``: ``F.dropout(..., inplace=True)``.

    >>> ad.dropout_(ad.tensor([1.0]), 0.5, False)
    tensor([1.])
    """
    return F.dropout(input, p, train, inplace=True)


def alpha_dropout_(input, p, train):
    """``torch.alpha_dropout_(input, p, train)``: ``F.alpha_dropout(..., inplace=True)``.

    >>> ad.alpha_dropout_(ad.tensor([1.0]), 0.5, False)
    tensor([1.])
    """
    return F.alpha_dropout(input, p, train, inplace=True)


def feature_alpha_dropout_(input, p, train):
    """``torch.feature_alpha_dropout_``: ``F.feature_alpha_dropout(..., inplace=True)``.

    >>> ad.feature_alpha_dropout_(ad.ones((1, 1, 1)), 0.5, False).shape
    (1, 1, 1)
    """
    return F.feature_alpha_dropout(input, p, train, inplace=True)
