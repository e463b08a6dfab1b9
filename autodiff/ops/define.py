"""Declaring ops: ``defop``, ``defop_joint``, ``nondifferentiable`` and the registry
of every op by name (the ``Op`` they make is in ``registry.py``)."""

from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from . import namespace as _namespace
from .numpy_dispatch import NUMPY_FUNCTIONS, NUMPY_UFUNCS, _add_numpy, _numpy_name
from .diagnostic_fields import DIAGNOSTIC_FIELDS
from .registry import BEHAVIOUR_FIELDS, Op


#: Every op defined with defop / defop_joint / nondifferentiable, by name.
REGISTRY: dict[str, Op] = {}

#: ``aliases=`` for ops with an axis: PyTorch's keyword names for NumPy's.
TORCH_AXIS_ALIASES = {"dim": "axis", "keepdim": "keepdims"}


def _register(op):
    old = REGISTRY.get(op.name)
    for f in op.numpy:
        table = NUMPY_UFUNCS if isinstance(f, np.ufunc) else NUMPY_FUNCTIONS
        if f in table and (old is None or f not in old.numpy):
            raise ValueError(f"op {op.name!r}: numpy.{_numpy_name(f)} is already "
                             f"implemented by {getattr(table[f], '__name__', table[f])!r}")
    if old is not None:
        # A notebook cell run again, or a built-in op defined anew (API.md's cbrt): the
        # new definition wins, and says so.
        from ..tape_drop import user_frame, warn_at
        warn_at(user_frame(), f"defop: an op named {op.name!r} was registered already; this "
                f"definition replaces it (calls, NumPy dispatch and xp.{op.name} in rules now "
                f"use the new one)", UserWarning)
        unregister(op.name)
    REGISTRY[op.name] = op
    for f, adapter in op.numpy.items():
        _add_numpy(f, adapter if adapter is not None else op, op.name)
    _namespace._add_op(op.name, op.kernel, op)
    return op


def unregister(name: str) -> None:
    """Remove the op ``name`` and everything derived from it (NumPy dispatch, ``xp.<name>``).

    Meant for tests and notebooks that define an op more than once.
    """
    op = REGISTRY.pop(name)
    for f in op.numpy:
        NUMPY_UFUNCS.pop(f, None)
        NUMPY_FUNCTIONS.pop(f, None)
    _namespace._remove_op(name)


def _split_rules(name, inputs):
    rules = []
    formulas = {}
    for input_name, spec in inputs.items():
        if spec is None:
            rules.append(None)
            continue
        if (not isinstance(spec, tuple) or len(spec) != 2 or not isinstance(spec[0], str)
                or not callable(spec[1])):
            raise TypeError(
                f"defop {name!r}: input {input_name!r} must be (formula, rule) or None, got "
                f"{spec!r}. (Behaviour fields are {', '.join(BEHAVIOUR_FIELDS)}; any other "
                "keyword names an input.)")
        formulas[input_name] = spec[0]
        rules.append(spec[1])
    return tuple(rules), formulas


def defop(name: str, forward: Callable, *, numpy: Any = None, doc: str | None = None,
          hint: str | None = None, kernel: Callable | None = None,
          zero_grad_ae: bool = False, scatters: bool = False, selects: bool = False,
          index_inputs: Iterable[int] | dict = (), singular: Iterable = (),
          blocks: str | None = None, zeroes: str | None = None,
          zeroes_all: str | dict | None = None, jvp: Callable | None = None,
          aliases: dict | None = None, torch_dim: Callable | None = None,
          torch_by_position: Callable | None = None, torch_keywords: tuple | None = None,
          reads: tuple | dict | None = None, elementwise: bool | None = None,
          **inputs) -> Op:
    """Define and register an op: its forward and, per input in order, ``(formula, rule)``.

    ``forward(*inputs, **kwargs)`` works on ndarrays.  Each further keyword names an
    input, in the forward's order, with ``(formula, rule)`` or ``None`` (no gradient
    flows into it: a shape, an axis, an index, a condition).  ``rule(xp, g, ans,
    *inputs, **kwargs)`` returns that input's gradient using Python operators and
    ``xp.<name>`` for any registered op or helper; ``formula`` is the rule in words,
    shown by ``describe()``, graphs, ``viz.steps`` and ``detect_anomaly``.

    A ``name`` registered already (a notebook cell run again, or a built-in op such as
    ``cbrt``) is replaced by the new definition, with a ``UserWarning``; a NumPy
    function that another op implements is refused.

    Everything else is derived from this entry: the op is callable on Tensors and
    arrays, is ``xp.<name>`` for other rules, differentiates to any order, and the
    NumPy functions in ``numpy=`` dispatch to it on Tensors.

    Entry fields (keyword-only; these names cannot be input names):

    * ``numpy``: the NumPy function(s) this op implements: a callable, a tuple of
      them, or a dict ``{numpy_callable: adapter}`` where ``adapter(*args, **kwargs)``
      takes NumPy's arguments and returns the result (by calling the op).  ufuncs go
      to ``__array_ufunc__``, other functions to ``__array_function__``.  NumPy's
      ``out=``, ``where=``, ``casting=``, ``order=``, ``subok=``, ``initial=`` and a
      non-default ``dtype=`` are rejected before the op runs, naming the argument.
    * ``doc``: the docstring (give an example: it runs as a test); ``hint``: one
      sentence appended to the op's errors (what to check, how to fix).
    * ``kernel``: a faster function with the forward's signature and values, used
      when nothing is recorded (no input needs a gradient, or ``no_grad``) and as
      ``numpy_xp.<name>``.  Defaults to ``forward``.
    * ``zero_grad_ae``: the gradient is zero almost everywhere (round, floor, sign).
    * ``scatters``: the backward scatters ``g`` into zeros (indexing, take); graphs
      draw the differentiable input's edge as an index edge.
    * ``selects``: each output element is picked from one input (``where``); a zero
      gradient sent to the unselected input is what ``detect_anomaly`` calls the
      where trap.
    * ``index_inputs``: positions that are indices or conditions, as a tuple, or a
      dict ``{position: "condition"}`` naming what they are (``explain`` says "it is
      the condition of where").
    * ``singular``: where the forward gives NaN, for ``detect_anomaly``: pairs
      ``(test, cause)`` where ``test(*inputs, **kwargs)`` gives a bool mask of the
      offending elements and ``cause`` says why and how to avoid it.
    * ``blocks``: why no gradient flows through the op at all (``stop_gradient``),
      for ``explain``.
    * ``zeroes``: where the gradient can be zero, as a phrase after the op's name
      ("passes zero gradient where its input is <= 0"), for ``explain``.
    * ``jvp``: a forward-mode rule ``jvp(xp, tangents, ans, *inputs, **kwargs)``
      returning the output's tangent, given one tangent per input (``None`` for
      zero); without it forward mode derives ``J t`` from the VJP rules
      (autodiff/forward.py).  Give one where that is cheaper.
    * ``zeroes_all``: what ``explain`` says when the saved values show the gradient
      to an input is zero everywhere (a phrase after the op's name; a dict by input
      name when it differs per input).
    * ``aliases``: other names for keyword arguments, e.g. PyTorch's
      ``{"dim": "axis", "keepdim": "keepdims"}`` (``TORCH_AXIS_ALIASES``).
    * ``torch_dim``: for an op whose PyTorch form with ``dim=`` returns something
      other than the op with ``axis=``: the function that a call with ``dim=`` (not
      ``None``) goes to, with the call's arguments (``max``/``min`` give
      ``(values, indices)``).
    * ``torch_by_position``: for an op whose PyTorch form reads bools after the axis
      otherwise than NumPy (``sum(x, 1, True)``: keepdim, ``var(x, 1, True)``:
      unbiased, where NumPy's would be a dtype): the function a call with only bools
      after the axis goes to, with the call's arguments.
    * ``torch_keywords``: ``(keywords, function)`` for an op whose PyTorch form takes
      keywords NumPy's has not (``torch.divide``'s ``rounding_mode``, ``torch.add``'s
      ``alpha``): a call passing any of ``keywords`` (a frozenset) goes to
      ``function``, with the call's arguments.
    * ``reads``: which values the rules read, beyond shapes and dtypes: ``()`` when
      no rule reads the value of a differentiable input or of the output (``add``,
      ``transpose``, indexing), or a dict naming, for each input with a rule, the
      differentiable inputs and ``"ans"`` whose values it reads (``mod``:
      ``{"a": (), "b": ("a", "b")}``).  Index, condition and axis inputs need not
      be named: rules may read them.  Of what is not named only shapes and dtypes
      are needed, so a parameter seen only there is not made read-only (nor through
      a view such as ``w.T``: the op that reads the view guards the parameter).
      With ``()``, a backward that reaches a node which an earlier backward
      released runs it again on stand-ins of the same shapes and dtypes instead of
      raising "already freed" (``revive.py``: ``wt = w.T`` made once serves every
      step's loss).  Unset: every value counts as read.  A value read but not named gives silently
      wrong gradients after an in-place change or a second backward: name anything
      in doubt.
    * ``elementwise``: each output element depends only on the input elements at the
      same (broadcast) position, so the Jacobian is diagonal and each rule, given an
      output-shaped ``g``, returns an output-shaped gradient without summing.  Forward
      mode then applies the rules to the tangents directly, all of ``jacfwd``'s
      tangents at once.  Unset, it is true exactly when ``forward`` is a NumPy ufunc
      with one output and no core dimensions (``np.cbrt``, not ``np.matmul``).

    Fields that only the diagnostics read (``autodiff/ops/diagnostic_fields.py``):

    * ``multilinear``: linear in each differentiable input separately (``multiply``,
      ``matmul``, ``einsum``): ``explain`` names an all-zero input as why the others'
      gradients are zero.
    * ``probability``: the output is a probability that rounds to 0 or 1 (``softmax``,
      ``sigmoid``): what to compute instead of its log, for ``detect_anomaly``.
    * ``logarithm``: the output is the logarithm of the first input (-inf at 0).
    * ``sum_signs``: ``(1, 1)`` or ``(1, -1)`` when the output is the sum or the
      difference of the two inputs (``add``, ``subtract``).
    * ``overflows``: what to do when the output passes its dtype's largest value from
      finite inputs (``exp``), or ``(advice, test)`` with ``test(*inputs, **kwargs)``
      true where an inf is such an overflow.
    * ``saturation``: a ``Saturation``, how the output flattens at its limits
      (``sigmoid``, ``tanh``), for ``explain``'s note on a vanishing gradient.
    * ``guarded_point``: where the op has no finite higher derivatives, which its rule
      guards (``"0"`` for ``sqrt``), for ``detect_anomaly``.
    * ``reduction`` (``"adds up"``, ``"averages"``), ``error_measure`` (``square``,
      ``abs``) and ``adds_axis`` (``reshape``, indexing): for ``explain``'s note on a
      loss that reduced an (N, N) table of broadcast differences.

    >>> scale = ad.defop("scale", np.multiply, multilinear=True,
    ...                  a=("g * b", lambda xp, g, ans, a, b: g * b),
    ...                  b=("g * a", lambda xp, g, ans, a, b: g * a))
    >>> a, w = ad.tensor([1.0, 2.0], requires_grad=True), ad.tensor(np.zeros(2), requires_grad=True)
    >>> scale(a, w).sum().backward()
    >>> "multiplied by a tensor (shape (2,), in scale), and it is all zero" in ad.explain(a)
    True
    >>> unregister("scale")

    >>> cube_root = ad.defop("cube_root", np.cbrt,
    ...     x=("g / (3 * ans**2)", lambda xp, g, ans, x: g / (3 * ans * ans)))
    >>> cube_root.describe()
    'cube_root: grad_x = g / (3 * ans**2)'
    >>> x = ad.tensor([8.0], requires_grad=True)
    >>> cube_root(x).backward(); x.grad
    array([0.08333333])
    >>> unregister("cube_root")          # (only so that this example can run twice)

    With ``numpy=np.cbrt`` (as in ``docs/adding_an_op.md``), ``np.cbrt(x)`` would
    record this op too.
    """
    notes = {field: inputs.pop(field) for field in DIAGNOSTIC_FIELDS if field in inputs}
    rules, formulas = _split_rules(name, inputs)
    if elementwise is None:
        elementwise = is_elementwise_ufunc(forward)
    return _register(Op(
        name, forward, tuple(inputs), rules, formulas, doc=doc, hint=hint, kernel=kernel,
        numpy=numpy, zero_grad_ae=zero_grad_ae, scatters=scatters, selects=selects,
        index_inputs=index_inputs, singular=tuple(singular), blocks=blocks, zeroes=zeroes,
        zeroes_all=zeroes_all, jvp=jvp, aliases=aliases or {}, torch_dim=torch_dim,
        torch_by_position=torch_by_position, torch_keywords=torch_keywords, reads=reads,
        elementwise=bool(elementwise), **notes))


def is_elementwise_ufunc(function) -> bool:
    """Whether ``function`` is a ufunc that maps elements to elements (``np.sin``,
    ``np.add``), not a generalized one with core dimensions (``np.matmul``)."""
    return (isinstance(function, np.ufunc) and function.signature is None
            and function.nout == 1)


def defop_joint(name: str, forward: Callable, formula: str, joint: Callable, *,
                numpy: Any = None, doc: str | None = None, hint: str | None = None,
                kernel: Callable | None = None, input_names: Iterable[str] = (),
                saves: bool = False, grad_inputs: Iterable[int] | None = None,
                **behaviour) -> Op:
    """Define a variadic op: ``joint(xp, g, ans, needs, *inputs, **kw)`` returns all gradients.

    ``needs[i]`` says whether input ``i`` wants a gradient; return ``None`` for the
    others.  ``formula`` is the rule in words; ``input_names`` name the inputs (for
    messages and graphs) when their number is fixed.  ``grad_inputs`` lists the
    positions that get a gradient when some never do (a class index, ``eps``): a
    Tensor that requires grad passed for another input is refused, as for ``defop``'s
    ``None`` inputs.  By default every input gets one.

    ``saves=True``: ``forward`` returns ``(output, saved)``; ``saved`` (anything the
    backward needs besides the inputs and output) is kept on the node and passed to
    the joint rule as ``saved=``, and dropped when a backward frees the graph.  The
    kernel (used when nothing is recorded) then defaults to the output alone.

    The other fields are those of ``defop``.

    >>> pair_sum = defop_joint("pair_sum", lambda *xs: xs[0] + xs[1], "g for each input",
    ...                        lambda xp, g, ans, needs, a, b: [g, g])
    >>> pair_sum.describe()
    'pair_sum: g for each input'
    >>> unregister("pair_sum")
    """
    return _register(Op(name, forward, tuple(input_names), joint=joint,
                        joint_formula=formula, doc=doc, hint=hint, kernel=kernel,
                        numpy=numpy, saves=saves,
                        grad_inputs=None if grad_inputs is None else tuple(grad_inputs),
                        **behaviour))


def nondifferentiable(name: str, forward: Callable, n_inputs: int, *, numpy: Any = None,
                      doc: str | None = None, hint: str | None = None,
                      blocks: str | None = None, **behaviour) -> Op:
    """An op that passes no gradient (comparisons, logical ops): its output never requires grad.

    ``blocks`` is what ``explain`` says about it (by default: its bool result carries
    no gradient).

    >>> op = nondifferentiable("is_positive", lambda x: x > 0, 1)
    >>> op(ad.tensor([1.0, -1.0], requires_grad=True))
    tensor([ True, False])
    >>> unregister("is_positive")
    """
    if blocks is None:
        blocks = f"{name} gives a bool result, which carries no gradient"
    return _register(Op(name, forward, tuple(f"x{i}" for i in range(n_inputs)),
                        (None,) * n_inputs, doc=doc, hint=hint, numpy=numpy, blocks=blocks,
                        differentiable=False, **behaviour))
