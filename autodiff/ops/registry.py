"""How an operation is defined: one entry per op, from which everything else follows.

``defop(name, forward, numpy=..., x=(formula, rule), ...)`` is the whole definition
of a primitive: its forward on ndarrays, one vector-Jacobian rule per input, the
NumPy functions it implements, and optional fields that tell the diagnostics how it
behaves.  From that entry alone follow: the op itself (callable on Tensors and
arrays), ``xp.<name>`` in both rule namespaces, NumPy dispatch
(``__array_ufunc__`` / ``__array_function__``), higher-order derivatives, the
formula in graphs and ``viz.steps``, and what ``explain`` and ``detect_anomaly``
say about it.

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

from typing import Any

import numpy as np

from .. import grad_mode as _grad_mode_module
from .reads import declared_reads as _declared_reads
from .. import graph as _graph
from ..collector import ATOMIC as _ATOMIC
from ..collector import UNTRACK_DEPTH as _UNTRACK_DEPTH
from ..collector import defined_by_the_library
from ..collector import untrack_address as _untrack_address
from ..graph import Node, _grad_mode, next_seq as _next_seq
from ..guard import adopt_view, guard_leaf_views, guard_leaves  # the mutation guard
from ..op_views import note as note_op_view
from ..guard import guarded_arrays as _guarded
from ..guard import leaf_views as _leaf_views
from ..tensor import Tensor
from ..torch_shape_methods import Size
from .call_spellings import call_spelled
from .diagnostic_fields import DIAGNOSTIC_FIELDS, DiagnosticFields, set_diagnostic_fields
from .operands import (  # noqa: F401  (holds_tensor, from_nested: re-exported)
    SCALAR_BINARY, SEQUENCES, as_array, bind_tensor_keywords, complex_error, explain_error,
    from_nested, gradient_positions, holds_tensor, is_array_like, no_rule_error)
from .numpy_dispatch import (  # noqa: F401  (re-exported: ops import them from here)
    NO_GRADIENT_FUNCTIONS, NUMPY_FUNCTIONS, NUMPY_UFUNCS, _add_numpy, _numpy_entries,
    _numpy_name, forget_numpy, implements, implements_without_gradient)

_make = Tensor._make
_new = object.__new__
_FLOAT64 = np.dtype(np.float64)
_FLOAT32 = np.dtype(np.float32)
_FLOAT16 = np.dtype(np.float16)
_nd = np.ndarray
_PY_NUMBERS = frozenset({float, int})

#: Set by ``ad.compile`` while it traces: called as ``kernel_hook(op, args, raw, kwargs,
#: out)`` for each op that records no node (and returns the result Tensor).
kernel_hook = None


def _unrecorded(out):
    """The Tensor of an op's output that records nothing."""
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    elif _guarded and out.base is not None and not out.flags.writeable:
        adopt_view(out)                 # a view of a guarded leaf: writable with it again
    return _make(out, None, False)


class Op(DiagnosticFields):
    """A differentiable primitive (made by ``defop``, ``defop_joint`` or ``nondifferentiable``).

    ``rules[i]`` is the VJP for input ``i`` (``None`` where no gradient flows, as
    for the condition of ``where``).  Ops with a variable number of inputs
    (``concatenate``, ``einsum``) give one ``joint`` rule instead, returning a list
    with one gradient per input; it is passed ``needs``, which inputs want one, and
    ``grad_inputs`` lists the positions it gives a gradient (None: all of them).
    The behaviour fields (``zero_grad_ae``, ``scatters`` ...) are described in
    ``defop``; those only the diagnostics read are in ``diagnostic_fields.py``.
    """

    # Behaviour fields, read by explain, detect_anomaly and viz (see defop).
    zero_grad_ae = False
    scatters = False
    selects = False
    index_inputs: dict = {}
    singular: tuple = ()
    #: Why the gradient is infinite where the forward is finite, when that is not an
    #: elementwise function's pole (``detect_anomaly``: a repeated root of ``roots``).
    infinite_grad: str | None = None
    blocks = None
    zeroes = None
    zeroes_all = None
    differentiable = True
    saves = False
    aliases: dict = {}
    torch_dim = None
    #: Whether ``op(x, 1, keepdim=k)`` (PyTorch's spelling of keepdims) takes the 1 as
    #: PyTorch's dim, as ``max`` and ``min`` do (their ``(values, indices)``).
    torch_dim_by_keepdim = False
    torch_by_position = None
    #: Keywords of the op's PyTorch form that NumPy's has not (``rounding_mode=`` of
    #: ``torch.divide``, ``alpha=`` of ``torch.add``), and the function a call passing
    #: one of them goes to, with the call's arguments (see defop).
    torch_keywords = None
    #: What ``torch_by_position`` takes after the first two arguments: bools (PyTorch's
    #: keepdim / unbiased), or ints for ``transpose(x, dim0, dim1)``.
    torch_by_position_types = (bool, np.bool_)
    grad_inputs = None
    reads = None
    elementwise = False
    #: The op whose nodes a float16 result records instead, if any: the same op with
    #: rules that compute in float32 and round once (``half_math.py``).  Chosen when
    #: the node is recorded, so other dtypes' backward pays nothing for it.
    half_twin = None
    #: The op that a float16 array with a Python number calls instead, if any: the same
    #: op computing in float32 as PyTorch does (``half_numbers.py``).
    half_numbers = None
    #: The op that a node records when an input or the output is
    #: complex: the op itself where its rules hold for complex numbers (add, sum,
    #: reshape), a twin with conjugated rules (multiply, matmul), or None: the op
    #: refuses complex values that require grad.
    complex_twin = None

    def __init__(self, name, forward, input_names=(), rules=None, formulas=None,
                 joint=None, joint_formula=None, doc=None, hint=None, *, kernel=None,
                 numpy=None, **behaviour):
        self.name = name
        self.forward = forward
        self._scalar2 = SCALAR_BINARY.get(forward)     # see _call2
        if kernel is None:
            kernel = _output_only(forward) if behaviour.get("saves") else forward
        self.kernel = kernel
        self.input_names = tuple(input_names)
        self.rules = rules
        self.formulas = formulas or {}
        self.joint = joint
        self.joint_formula = joint_formula
        self.hint = hint
        self.numpy = _numpy_entries(name, numpy)
        notes = {field: behaviour.pop(field) for field in DIAGNOSTIC_FIELDS if field in behaviour}
        for field, value in behaviour.items():
            if field not in BEHAVIOUR_FIELDS:
                raise TypeError(f"Op {name!r}: unknown field {field!r}")
            setattr(self, field, value)
        if isinstance(self.index_inputs, (tuple, list)):
            self.index_inputs = {int(i): "index" for i in self.index_inputs}
        self._grad_at = grad_at = gradient_positions(rules, self.grad_inputs)
        self._grad0 = grad_at is None or (len(grad_at) > 0 and grad_at[0] is not None)
        self._grad1 = grad_at is None or (len(grad_at) > 1 and grad_at[1] is not None)
        # A Tensor that requires grad in an input without a rule is refused (it would
        # silently get no gradient), unless the op blocks gradients by design.
        self._refuse0 = not self._grad0 and self.blocks is None
        self._refuse1 = not self._grad1 and self.blocks is None
        self._refuses = self._refuse0 or self._refuse1
        self._signature = None          # the forward's, read by bind_tensor_keywords
        # Whether the two-input and one-input call paths may take this op's nodes
        # out of the cycle collector (collector.py): not when a node keeps saved state,
        # nor for an op defined outside the library (its functions may close over
        # anything, and every node points to its op).
        self._may_untrack = (_untrack_address is not None and not self.saves
                             and defined_by_the_library())
        if self.saves:
            if joint is None:
                raise TypeError(f"Op {name!r}: saves=True needs a joint rule (defop_joint)")
            self._record = self._record_saving
        # reads= (see defop): per input position, the positions whose values its rule
        # reads (-1: the output); None where undeclared (every value counts as read).
        self._reads = None if self.reads is None else _declared_reads(self)
        #: True when no rule reads a value at all, only shapes and dtypes (reads=()).
        self.value_free = self._reads is not None and not any(self._reads)
        self.__name__ = self.__qualname__ = name
        self.__doc__ = doc
        set_diagnostic_fields(self, notes)

    def __repr__(self):
        return f"<autodiff op {self.name}>"

    def __copy__(self):
        return self                     # an op is one registry entry, like a function

    def __deepcopy__(self, memo):
        return self

    def describe(self) -> str:
        """The gradient rules in words, e.g. ``multiply: grad_a = g * b; grad_b = g * a``."""
        if self.joint_formula is not None:
            return f"{self.name}: {self.joint_formula}"
        if not self.formulas:
            return f"{self.name}: no gradient"
        parts = [f"grad_{k} = {v}" for k, v in self.formulas.items()]
        return f"{self.name}: " + "; ".join(parts)

    def input_name(self, position: int) -> str:
        """The name of input ``position`` (``x3`` for an unnamed one)."""
        names = self.input_names
        return names[position] if position < len(names) else f"x{position}"

    def __call__(self, *args, **kwargs):
        n = len(args)
        if n == 2 and not kwargs:
            a, b = args
            if self.half_numbers is not None and b.__class__ in _PY_NUMBERS:
                # float16 * 0.1 in float32, as PyTorch (half_numbers.py)
                data = a.data if isinstance(a, Tensor) else a
                if data.__class__ is _nd and data.dtype is _FLOAT16:
                    return self.half_numbers._call2(a, b)
            return self._call2(a, b)
        if n == 1 and not kwargs:
            return self._call1(args[0])
        return call_spelled(self, args, kwargs)

    # The three call paths below do the same thing: _call_any is the general one, and
    # _call1 / _call2 are it unrolled for one and two positional operands, because
    # every tensor expression goes through them (the general loop costs about 10 %
    # more per op; bench/RESULTS.md).  tests/test_call_paths.py checks that the three
    # give the same results and record the same nodes.
    def _call_any(self, args, kwargs):
        if kwargs:
            for value in kwargs.values():
                if isinstance(value, Tensor):
                    args, kwargs = bind_tensor_keywords(self, args, kwargs)
                    break
        raw = []
        parents = []
        tracked = False
        needs_grad = False
        leaf = False
        grad_at = self._grad_at
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
                    if parent.requires_grad:
                        if grad_at is None or (i < len(grad_at) and grad_at[i] is not None):
                            needs_grad = True
                        elif self.blocks is None:
                            raise no_rule_error(self, i, a)
            elif type(a) in SEQUENCES and holds_tensor(a):
                return self(*[from_nested(b) if type(b) in SEQUENCES and holds_tensor(b)
                              else b for b in args], **kwargs)
            elif type(a) in SEQUENCES and (grad_at is None or (i < len(grad_at)
                                                                and grad_at[i] is not None)):
                raw.append(as_array(self, a))
                parents.append(None)
            else:
                # a Tensor's .size as the plain int an ndarray's is (weak in promotion)
                raw.append(int(a) if a.__class__ is Size else a)
                parents.append(None)
            i += 1
        if not tracked or (_grad_mode_module.threads_without_grad and not _grad_mode.enabled):
            try:
                out = self.kernel(*raw, **kwargs)
            except (ValueError, IndexError, TypeError, ArithmeticError) as error:
                raise explain_error(self, error, raw) from error
            if kernel_hook is not None:
                return kernel_hook(self, args, raw, kwargs, out)
            result = _unrecorded(out)
            if result.data.base is not None:    # a view of an input? (op_views.py)
                note_op_view(result, self.name, args)
            return result
        try:
            out = self.forward(*raw, **kwargs)
        except (ValueError, IndexError, TypeError, ArithmeticError) as error:
            raise explain_error(self, error, raw) from error
        node = Node()
        node.parents = parents          # the setter: inline for one or two inputs
        node.args = tuple(raw)
        node.kwargs = kwargs or None
        node._depth = -1                # (untracking is left to the one- and two-operand paths)
        result = self._record(node, out, needs_grad)
        if leaf and needs_grad:         # a parameter's array was saved: guard it
            guard_leaves(result._node)
        elif _leaf_views and needs_grad:  # or a view of one, perhaps (guard.leaf_views)
            guard_leaf_views(result._node)
        if result.data.base is not None:    # a view of an input? (op_views.py)
            note_op_view(result, self.name, args)
        return result

    def _call1(self, a):
        if isinstance(a, Tensor):
            ra = a.data
            pa = a._node
            if pa is None and (a.requires_grad or a._name is not None):
                pa = a
        elif type(a) in SEQUENCES:
            if holds_tensor(a):
                return self._call1(from_nested(a))
            ra, pa = (as_array(self, a) if self._grad0 else a), None
        else:
            ra, pa = a, None
        if pa is None or (_grad_mode_module.threads_without_grad and not _grad_mode.enabled):
            try:
                out = self.kernel(ra)
            except (ValueError, IndexError, TypeError, ArithmeticError) as error:
                raise explain_error(self, error, (ra,)) from error
            if kernel_hook is not None:
                return kernel_hook(self, (a,), (ra,), None, out)
            result = _unrecorded(out)
            if result.data.base is not None:    # a view of an input? (op_views.py)
                note_op_view(result, self.name, (a,))
            return result
        try:
            out = self.forward(ra)
        except (ValueError, IndexError, TypeError, ArithmeticError) as error:
            raise explain_error(self, error, (ra,)) from error
        needs_grad = pa.requires_grad and self._grad0
        if self._refuse0 and pa.requires_grad:
            raise no_rule_error(self, 0, a)
        # (_p1 and _parents stay unset: nothing reads them when _arity is 1)
        node = Node()
        node._arity = 1
        node._p0 = pa
        node.args = (ra,)
        node.kwargs = None
        depth = -1                      # collector.py: no cycle can pass through it
        if self._may_untrack:
            depth = pa._depth           # a Node's, or a Tensor's class attribute
            if depth >= 0:
                depth += 1
        node._depth = depth
        result = self._record(node, out, needs_grad)
        if depth > _UNTRACK_DEPTH:
            _untrack_address(id(node))
        if pa is a and needs_grad:      # a parameter's array was saved: guard it
            guard_leaves(result._node)
        elif _leaf_views and needs_grad:  # or a view of one, perhaps (guard.leaf_views)
            guard_leaf_views(result._node)
        if result.data.base is not None:    # a view of an input? (op_views.py)
            note_op_view(result, self.name, (a,))
        return result

    def _call2(self, a, b):
        if isinstance(a, Tensor):
            ra = a.data
            pa = a._node
            if pa is None and (a.requires_grad or a._name is not None):
                pa = a
        elif type(a) in SEQUENCES:
            if holds_tensor(a):
                return self._call2(from_nested(a), b)
            ra, pa = (as_array(self, a) if self._grad0 else a), None
        else:
            ra, pa = (int(a) if a.__class__ is Size else a), None
        if isinstance(b, Tensor):
            rb = b.data
            pb = b._node
            if pb is None and (b.requires_grad or b._name is not None):
                pb = b
        elif type(b) in SEQUENCES:
            if holds_tensor(b):
                return self._call2(a, from_nested(b))
            rb, pb = (as_array(self, b) if self._grad1 else b), None
        else:
            rb, pb = (int(b) if b.__class__ is Size else b), None
        if (pa is None and pb is None) or (_grad_mode_module.threads_without_grad
                                           and not _grad_mode.enabled):
            try:
                out = self.kernel(ra, rb)
            except (ValueError, IndexError, TypeError, ArithmeticError) as error:
                raise explain_error(self, error, (ra, rb)) from error
            if kernel_hook is not None:
                return kernel_hook(self, (a, b), (ra, rb), None, out)
            result = _unrecorded(out)
            if result.data.base is not None:    # a view of an input? (op_views.py)
                note_op_view(result, self.name, (a, b))
            return result
        try:
            scalar = self._scalar2
            if (scalar is None or (ra.__class__ is _nd and ra.ndim)
                    or (rb.__class__ is _nd and rb.ndim)):
                out = self.forward(ra, rb)  # arrays (checked first: the common case)
            elif (((kind_a := ra.__class__) is _nd
                   and (ra.dtype is _FLOAT64 or ra.dtype is _FLOAT32)
                   or kind_a is float or kind_a is int)
                  and ((kind_b := rb.__class__) is _nd
                       and (rb.dtype is _FLOAT64 or rb.dtype is _FLOAT32)
                       or kind_b is float or kind_b is int)):
                # A scalar chain: float32/float64 0-d arrays and Python numbers go
                # through NumPy's scalar arithmetic, which is quicker than a ufunc
                # call.  One operand is a tensor's array, so the result is a NumPy
                # scalar, whose __array__ is the quickest way back to an array.
                out = scalar(ra[()] if kind_a is _nd else ra,
                             rb[()] if kind_b is _nd else rb).__array__()
            else:
                out = self.forward(ra, rb)
        except (ValueError, IndexError, TypeError, ArithmeticError) as error:
            raise explain_error(self, error, (ra, rb)) from error
        needs_grad = ((pa is not None and pa.requires_grad and self._grad0)
                      or (pb is not None and pb.requires_grad and self._grad1))
        if self._refuses:
            self._refuse_inputs_without_rule(a, b, pa, pb)
        node = Node()                   # (_parents stays unset: unread when _arity is 2)
        node._arity = 2
        node._p0 = pa
        node._p1 = pb
        node.args = (ra, rb)
        node.kwargs = None
        depth = -1                      # collector.py: no cycle can pass through it
        if self._may_untrack:
            # (a Node's depth, or a Tensor's class attribute; a constant's 0 if atomic)
            depth_a = (pa._depth if pa is not None else 0 if ra.__class__ in _ATOMIC
                       else -1)
            depth_b = (pb._depth if pb is not None else 0 if rb.__class__ in _ATOMIC
                       else -1)
            if depth_a >= 0 and depth_b >= 0:
                depth = (depth_a if depth_a > depth_b else depth_b) + 1
        node._depth = depth
        result = self._record(node, out, needs_grad)
        if depth > _UNTRACK_DEPTH:
            _untrack_address(id(node))
        if needs_grad and (pa is a or pb is b):  # a parameter's array was saved: guard it
            guard_leaves(result._node)
        elif _leaf_views and needs_grad:  # or a view of one, perhaps (guard.leaf_views)
            guard_leaf_views(result._node)
        if result.data.base is not None:    # a view of an input? (op_views.py)
            note_op_view(result, self.name, (a, b))
        return result

    def _call_number(self, t, number, number_first):
        """``self(t, number)``, or ``self(number, t)`` when ``number_first``, for a
        Tensor ``t`` and a Python float or int (the operators' call, e.g. ``t * 0.5``).

        ``_call2``'s path, without the checks a number makes moot: it is a constant of
        depth 0, never a sequence, never a parent.  Scalar chains (micrograd-style
        code) spend most of their time here.  Anything else goes to ``_call2``.
        """
        ra = t.data
        pa = t._node
        if pa is None and (t._requires_grad or t._name is not None):
            pa = t
        if (pa is None or self._refuses
                or (_grad_mode_module.threads_without_grad and not _grad_mode.enabled)):
            op = self
            if ra.dtype is _FLOAT16 and self.half_numbers is not None:
                op = self.half_numbers
            return op._call2(number, t) if number_first else op._call2(t, number)
        try:
            scalar = self._scalar2
            if (scalar is not None and not ra.ndim
                    and (ra.dtype is _FLOAT64 or ra.dtype is _FLOAT32)):
                # NumPy's scalar arithmetic, as in _call2
                value = ra[()]
                out = (scalar(number, value) if number_first
                       else scalar(value, number)).__array__()
            elif ra.dtype is _FLOAT16 and self.half_numbers is not None:
                return self.half_numbers._call_number(t, number, number_first)
            else:
                out = self.forward(number, ra) if number_first else self.forward(ra, number)
        except (ValueError, IndexError, TypeError, ArithmeticError) as error:
            raise explain_error(self, error,
                                (number, ra) if number_first else (ra, number)) from error
        node = Node()
        node._arity = 2
        if number_first:
            needs_grad = self._grad1 and pa.requires_grad
            node._p0 = None
            node._p1 = pa
            node.args = (number, ra)
        else:
            needs_grad = self._grad0 and pa.requires_grad
            node._p0 = pa
            node._p1 = None
            node.args = (ra, number)
        node.kwargs = None
        depth = -1                      # as in _call2, with the number's depth 0
        if self._may_untrack:
            depth = pa._depth
            if depth >= 0:
                depth += 1
        node._depth = depth
        result = self._record(node, out, needs_grad)
        if depth > _UNTRACK_DEPTH:
            _untrack_address(id(node))
        if needs_grad and pa is t:      # a parameter's array was saved: guard it
            guard_leaves(result._node)
        elif _leaf_views and needs_grad:  # or a view of one, perhaps (guard.leaf_views)
            guard_leaf_views(result._node)
        return result

    def _refuse_inputs_without_rule(self, a, b, pa, pb):
        if self._refuse1 and pb is not None and pb.requires_grad:
            raise no_rule_error(self, 1, b)
        if self._refuse0 and pa is not None and pa.requires_grad:
            raise no_rule_error(self, 0, a)

    def _record(self, node, out, needs_grad):
        # The call paths above made ``node`` with its parents, args and kwargs (not
        # through Node.__init__: this is the hot path); the rest is set here.
        if out.__class__ is not _nd:
            out = np.asarray(out)
        op = self
        if needs_grad:
            dtype = out.dtype
            if dtype is not _FLOAT64 and dtype is not _FLOAT32 and dtype.kind != "f":
                if dtype.kind == "c":
                    op = _complex_op(self, out, node.args)
                elif dtype.kind not in "iub":
                    raise TypeError(
                        f"{self.name}: the forward returned {dtype} values (from a "
                        f"{type(out.item() if out.size == 1 else out).__name__}), not "
                        "numbers; it must return a NumPy array of numbers")
                else:
                    # integer and bool results carry no gradient, as in PyTorch
                    needs_grad = False
            elif dtype is _FLOAT16 and self.half_twin is not None:
                op = self.half_twin
        if _guarded and out.base is not None and not out.flags.writeable:
            adopt_view(out)             # a view of a guarded leaf: writable with it again
        node.op = op
        node.ans = out
        node.requires_grad = needs_grad
        node._seq = _next_seq()         # graph.py: the reverse pass takes the newest first
        if _graph.write_epoch:          # overwrites.py (unset: older than any write)
            node._epoch = _graph.write_epoch
        if _grad_mode_module.hooks_active:
            hook = _grad_mode.on_record
            if hook is not None:
                hook(node)
        # Tensor._make(out, node, needs_grad), written out: one call less per op.
        # (ad.compile's tracer knows this frame makes a tensor.)
        result = _new(Tensor)
        result.data = out
        result._grad = None             # the slot behind Tensor.grad
        if kernel_hook is not None:     # ad.compile traces: its .grad property sees it made
            result.grad = None
        result._requires_grad = needs_grad
        result._node = node
        result._name = None
        return result

    def _record_saving(self, node, out, needs_grad):
        # For ops made with saves=True (bound in __init__): forward returned
        # (output, saved), and ``saved`` goes into the node's slot.
        out, saved = out
        node.saved = saved
        return Op._record(self, node, out, needs_grad)

    def vjp(self, xp: Any, g: Any, ans: Any, args: tuple, kwargs: dict | None,
            parents: tuple, node: Node | None = None) -> list:
        """Gradients for every input (``None`` for inputs that need none)."""
        if self.joint is not None:
            needs = []                  # (a loop, not a comprehension: one frame fewer)
            for p in parents:
                needs.append(p is not None and p.requires_grad)
            if self.saves:
                if kwargs:
                    return self.joint(xp, g, ans, needs, *args, saved=node.saved, **kwargs)
                return self.joint(xp, g, ans, needs, *args, saved=node.saved)
            return self.joint(xp, g, ans, needs, *args, **(kwargs or {}))
        grads = [None] * len(args)
        kwargs = kwargs or {}
        rules = self.rules
        for i, p in enumerate(parents):
            # Arguments past the rules (e.g. tensordot's axes, passed positionally by
            # a rule) have no parent: check it before looking up a rule.
            if p is None or not p.requires_grad:
                continue
            rule = rules[i]
            if rule is not None:
                grads[i] = rule(xp, g, ans, *args, **kwargs)
        return grads

    #: Optional forward-mode rule (see defop); None: derived from the VJP rules.
    jvp = None


def _output_only(forward):
    def kernel(*args, **kwargs):
        return forward(*args, **kwargs)[0]
    return kernel


#: The behaviour fields an op entry may carry (reserved: no input may use these names).
BEHAVIOUR_FIELDS = ("zero_grad_ae", "scatters", "selects", "index_inputs", "singular",
                    "blocks", "zeroes", "zeroes_all", "differentiable", "saves", "jvp",
                    "aliases", "torch_dim", "torch_by_position", "torch_keywords",
                    "grad_inputs", "reads", "elementwise") + DIAGNOSTIC_FIELDS


# Complex values: the op a node records for them (imported last: it builds on Op).
from .complex_tape import (  # noqa: E402,F401
    _complex_op, _holds_complex, note_complex_on_tape)

# How ops are declared (defop, defop_joint, nondifferentiable; imported last: it builds
# on Op).  Re-exported: the op modules import them from here.
from .define import (REGISTRY, TORCH_AXIS_ALIASES, _register, defop,  # noqa: E402,F401
                     defop_joint, nondifferentiable, unregister)
