"""The two ops of a SciPy function that returns a solution of a second-order equation
``y'' = f y`` and its derivative, ``y, yp = name(..., x)``: Mathieu's and the parabolic
cylinder functions.  The value's slope in x is SciPy's second output; the derivative's
is the equation, ``f y``, through ``xp`` (so both have slopes of their own).  Every other
argument's slope is refused by the rule given for it.
"""

from __future__ import annotations

from .registry import defop
from .scipy_special import _quietly


def equation_pair(name, outputs, arguments, refusals, factor, *, written, where="",
                  scale=1.0, unit="", note="", example, values, check=None):
    """A function of ``arguments`` (x last) returning the two ops' results, ``y`` and
    ``yp``, whose slopes in x are ``yp`` and ``factor(xp, *arguments) y``, each times
    ``scale`` (``unit`` says it in the formulas; ``where`` adds the factor's terms).
    ``outputs(index)`` is SciPy's forward of output ``index``; ``refusals`` the rules of
    the other arguments; ``check(*arguments)``, if given, may raise before a slope.
    ``example`` is a call on ``special`` whose two ``values`` the docstrings show."""
    called = ", ".join(arguments)

    def scaled(slope):
        return slope * scale if scale != 1.0 else slope

    def value_rule(xp, g, ans, *args):
        if check is not None:
            check(*args)
        return g * scaled(getattr(xp, f"scipy_{name}_derivative")(*args))

    def derivative_rule(xp, g, ans, *args):
        if check is not None:
            check(*args)
        return g * scaled(factor(xp, *args) * getattr(xp, f"scipy_{name}")(*args))

    ops = []
    for index, (suffix, formula, rule) in enumerate(
            (("", f"g * {name}({called})[1]{unit}", value_rule),
             ("_derivative", f"g * ({written}) {name}({called})[0]{unit}{where}",
              derivative_rule))):
        ops.append(defop(
            f"scipy_{name}{suffix}", outputs(index), elementwise=True,
            doc=f"Output {index} of ``scipy.special.{name}`` on Tensors (SciPy's values, "
                f"the library's gradient in x{note}); ``{name}({called[:-1]}t)`` on a "
                f"Tensor returns both.\n\n>>> from scipy import special\n"
                f">>> special.{example}[{index}].data.round(8)\narray([{values[index]}])",
            **refusals, **{arguments[-1]: (formula, _quietly(rule))}))

    def both(*args):
        return ops[0](*args), ops[1](*args)
    return both
