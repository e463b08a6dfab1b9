"""How an operation is defined: a forward on ndarrays and one VJP rule per input.

A rule has the signature ``rule(xp, g, ans, *inputs, **kwargs)`` and returns the
gradient for its input: ``g`` is the upstream gradient (the output's shape), ``ans``
is the output and ``inputs`` are the op's inputs.  Rules use only Python operators
and functions from ``xp``.  A plain ``backward()`` passes ``xp = numpy_xp`` and raw
arrays, so the rule runs at NumPy speed and records nothing;
``backward(create_graph=True)`` passes ``xp = tensor_xp`` and Tensors, so the same
rule is recorded on the tape and can be differentiated again.

A gradient may come back larger than its input when the forward broadcast it; the
reverse pass sums it back to the input's shape in one place (``sum_to``).
"""

from __future__ import annotations

import numpy as np

from .. import graph as _graph
from ..graph import Node, _grad_mode
from ..anomaly import guard_leaves  # the mutation guard on saved leaf arrays
from ..tensor import Tensor

_make = Tensor._make
_new = object.__new__


class Op:
    """A differentiable primitive.

    ``rules[i]`` is the VJP for input ``i`` (``None`` where no gradient flows, as
    for the condition of ``where``).  Ops with a variable number of inputs
    (``concatenate``, ``einsum``) give one ``joint`` rule instead, returning a list
    with one gradient per input; it is passed ``needs``, which inputs want one.
    """

    def __init__(self, name, forward, input_names=(), rules=None, formulas=None,
                 joint=None, joint_formula=None, doc=None, hint=None):
        self.name = name
        self.forward = forward
        self.input_names = tuple(input_names)
        self.rules = rules
        self.formulas = formulas or {}
        self.joint = joint
        self.joint_formula = joint_formula
        self.hint = hint
        self.__name__ = self.__qualname__ = name
        self.__doc__ = doc

    def __repr__(self):
        return f"<autodiff op {self.name}>"

    def describe(self) -> str:
        """The gradient rules in words, e.g. ``multiply: grad_a = g * b; grad_b = g * a``."""
        if self.joint_formula is not None:
            return f"{self.name}: {self.joint_formula}"
        if not self.formulas:
            return f"{self.name}: no gradient"
        parts = [f"grad_{k} = {v}" for k, v in self.formulas.items()]
        return f"{self.name}: " + "; ".join(parts)

    def __call__(self, *args, **kwargs):
        n = len(args)
        if n == 2 and not kwargs:
            return self._call2(args[0], args[1])
        if n == 1 and not kwargs:
            return self._call1(args[0])
        raw = []
        parents = []
        tracked = False
        needs_grad = False
        leaf = False
        rules = self.rules
        i = 0
        for a in args:
            if isinstance(a, Tensor):
                raw.append(a.data)
                parent = a._node
                if parent is None and (a.requires_grad or a._name is not None):
                    parent = a
                    leaf = True
                parents.append(parent)
                if parent is not None:
                    tracked = True
                    if parent.requires_grad and (rules is None or rules[i] is not None):
                        needs_grad = True
            elif type(a) in _SEQUENCES and holds_tensor(a):
                return self(*[from_nested(b) if type(b) in _SEQUENCES and holds_tensor(b)
                              else b for b in args], **kwargs)
            else:
                raw.append(a)
                parents.append(None)
            i += 1
        try:
            out = self.forward(*raw, **kwargs)
        except (ValueError, IndexError, TypeError, ArithmeticError) as error:
            raise self._explain(error, raw) from error
        if not tracked or not _grad_mode.enabled:
            return _make(out if type(out) is np.ndarray else np.asarray(out), None, False)
        result = self._record(out, tuple(parents), tuple(raw), kwargs or None, needs_grad)
        if leaf and needs_grad:         # a parameter's array was saved: guard it
            guard_leaves(result._node)
        return result

    # The two fast paths below are the loop above unrolled for the common arities;
    # they matter because every tensor expression goes through them.
    def _call1(self, a):
        if isinstance(a, Tensor):
            ra = a.data
            pa = a._node
            if pa is None and (a.requires_grad or a._name is not None):
                pa = a
        elif type(a) in _SEQUENCES and holds_tensor(a):
            return self._call1(from_nested(a))
        else:
            ra, pa = a, None
        try:
            out = self.forward(ra)
        except (ValueError, IndexError, TypeError, ArithmeticError) as error:
            raise self._explain(error, (ra,)) from error
        if pa is None or not _grad_mode.enabled:
            return _make(out if type(out) is np.ndarray else np.asarray(out), None, False)
        rules = self.rules
        needs_grad = pa.requires_grad and (rules is None or rules[0] is not None)
        result = self._record(out, (pa,), (ra,), None, needs_grad)
        if pa is a and needs_grad:      # a parameter's array was saved: guard it
            guard_leaves(result._node)
        return result

    def _call2(self, a, b):
        if isinstance(a, Tensor):
            ra = a.data
            pa = a._node
            if pa is None and (a.requires_grad or a._name is not None):
                pa = a
        elif type(a) in _SEQUENCES and holds_tensor(a):
            return self._call2(from_nested(a), b)
        else:
            ra, pa = a, None
        if isinstance(b, Tensor):
            rb = b.data
            pb = b._node
            if pb is None and (b.requires_grad or b._name is not None):
                pb = b
        elif type(b) in _SEQUENCES and holds_tensor(b):
            return self._call2(a, from_nested(b))
        else:
            rb, pb = b, None
        try:
            out = self.forward(ra, rb)
        except (ValueError, IndexError, TypeError, ArithmeticError) as error:
            raise self._explain(error, (ra, rb)) from error
        if (pa is None and pb is None) or not _grad_mode.enabled:
            return _make(out if type(out) is np.ndarray else np.asarray(out), None, False)
        rules = self.rules
        needs_grad = ((pa is not None and pa.requires_grad
                       and (rules is None or rules[0] is not None))
                      or (pb is not None and pb.requires_grad
                          and (rules is None or rules[1] is not None)))
        result = self._record(out, (pa, pb), (ra, rb), None, needs_grad)
        if needs_grad and (pa is a or pb is b):  # a parameter's array was saved: guard it
            guard_leaves(result._node)
        return result

    def _record(self, out, parents, raw, kwargs, needs_grad):
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if needs_grad and out.dtype.kind == "c":
            raise self._complex_error(out, raw)
        node = _new(Node)
        node.op = self
        node.parents = parents
        node.args = raw
        node.kwargs = kwargs
        node.ans = out
        node.requires_grad = needs_grad
        node.name = None
        node.trace = None
        if _graph.hooks_active:
            hook = _grad_mode.on_record
            if hook is not None:
                hook(node)
        return _make(out, node, needs_grad)

    def vjp(self, xp, g, ans, args, kwargs, parents):
        """Gradients for every input (``None`` for inputs that need none)."""
        if self.joint is not None:
            needs = [p is not None and p.requires_grad for p in parents]
            return self.joint(xp, g, ans, needs, *args, **(kwargs or {}))
        grads = [None] * len(args)
        kwargs = kwargs or {}
        rules = self.rules
        for i, p in enumerate(parents):
            rule = rules[i]
            if rule is not None and p is not None and p.requires_grad:
                grads[i] = rule(xp, g, ans, *args, **kwargs)
        return grads

    #: Optional forward-mode rule (see defop); None: derived from the VJP rules.
    jvp = None

    #: True for ops that keep saved values outside ``node.args`` / ``node.ans`` (in
    #: their kwargs) and so need their own ``release``; the reverse pass then calls it.
    custom_release = False

    def release(self, node):
        """Drop the values a node saved for its backward (after a backward pass)."""
        node.shape = node.ans.shape
        node.dtype = node.ans.dtype
        node.args = None
        node.ans = None

    def _complex_error(self, out, raw):
        dtypes = ", ".join(str(np.asarray(a).dtype) if _is_array_like(a) else type(a).__name__
                           for a in raw)
        return TypeError(
            f"{self.name}: the result would be complex ({out.dtype}, from inputs of dtypes "
            f"{dtypes}) and complex values never enter the tape: gradients here are real. "
            "Keep the real and imaginary parts as two float tensors, or compute on "
            "t.detach() if no gradient is needed.")

    def _explain(self, error, raw):
        message = str(error)
        if message.startswith(f"{self.name}:"):
            message = message[len(self.name) + 1:].strip()
        shapes = ", ".join(str(np.shape(a)) for a in raw if _is_array_like(a))
        dtypes = ", ".join(str(np.asarray(a).dtype) for a in raw if _is_array_like(a))
        text = f"{self.name}: {message} (input shapes {shapes}; dtypes {dtypes})"
        if self.hint:
            text += f". {self.hint}"
        try:
            return type(error)(text)
        except Exception:
            return ValueError(text)


_SEQUENCES = (list, tuple)


def holds_tensor(nested) -> bool:
    """True when a (nested) list or tuple contains a Tensor somewhere."""
    todo = [nested]
    while todo:
        item = todo.pop()
        if isinstance(item, Tensor):
            return True
        if type(item) in _SEQUENCES:
            todo.extend(item)
    return False


def from_nested(nested):
    """A list or tuple that holds Tensors, as one recorded Tensor (``ad.array``)."""
    from .shape import array
    return array(nested)


#: Every op defined with defop / defop_joint / nondifferentiable, by name.
REGISTRY: dict[str, Op] = {}


def _register(op):
    if op.name in REGISTRY:
        raise ValueError(f"an op named {op.name!r} is already registered")
    REGISTRY[op.name] = op
    return op


def _is_array_like(a):
    return isinstance(a, (np.ndarray, np.generic, int, float, bool, complex))


def defop(name, forward, *, doc=None, hint=None, jvp=None, **inputs):
    """Define an op from its forward and, per input in order, ``(formula, rule)`` or ``None``.

    ``jvp=`` optionally gives a forward-mode rule ``jvp(xp, tangents, ans, *inputs,
    **kwargs)`` (one tangent per input, ``None`` for zero); without it forward mode
    derives the JVP from the VJP rules (autodiff/forward.py).

    >>> times = defop("times", np.multiply,
    ...     a=("g * b", lambda xp, g, ans, a, b: g * b),
    ...     b=("g * a", lambda xp, g, ans, a, b: g * a))
    >>> times.describe()
    'times: grad_a = g * b; grad_b = g * a'
    >>> del REGISTRY["times"]          # (only so that this example can run twice)
    """
    rules = tuple(None if spec is None else spec[1] for spec in inputs.values())
    formulas = {k: spec[0] for k, spec in inputs.items() if spec is not None}
    op = Op(name, forward, tuple(inputs), rules, formulas, doc=doc, hint=hint)
    op.jvp = jvp
    return _register(op)


def defop_joint(name, forward, formula, joint, *, doc=None, hint=None):
    """Define a variadic op: ``joint(xp, g, ans, needs, *inputs, **kw)`` returns all gradients."""
    return _register(Op(name, forward, joint=joint, joint_formula=formula, doc=doc, hint=hint))


def nondifferentiable(name, forward, n_inputs, *, doc=None, hint=None):
    """An op that passes no gradient (comparisons, logical ops): its output never requires grad."""
    return _register(Op(name, forward, tuple(f"x{i}" for i in range(n_inputs)),
                        (None,) * n_inputs, doc=doc, hint=hint))
