"""User-defined operations: ``Function`` subclasses and the ``custom_gradient`` decorator.

The reverse pass calls a custom backward with the upstream gradient and expects one
gradient per input, each of that input's shape (or ``None``).  Anything else is
reported with the Function's name, the input position and both shapes.
"""

from __future__ import annotations

import threading
from typing import Callable

import numpy as np

from .closure_values import (_closed_over_tracked_values, _is_float_array,
                             _note_forward_values, _reachable_tracked,
                             _refuse_forward_values, _refuse_value_through,
                             closed_over_tracked)
from .function_checks import check_grads, refuse_unrecorded_gradients
from .function_notes import arrays_explained, nothing_saved_explained
from .function_vmap import mapping_examples, refuse_per_example
from .graph import is_grad_enabled, next_seq, no_grad
from .ops.registry import Op
from .tensor import Tensor


#: ``ctx.needs_input_grad`` for the forward that ``Function.apply`` is about to run
_pending_needs = threading.local()


class FunctionCtx:
    """Passed to ``forward`` and ``backward`` of a ``Function``; holds what backward needs."""

    def __init__(self):
        self._saved = ()
        self._as_tensors = None
        self._owner = None
        #: one bool per input of forward: whether it wants a gradient (PyTorch's), so
        #: backward can skip the work for the others and return None there
        self.needs_input_grad = ()

    def mark_non_differentiable(self, *outputs) -> None:
        """Say that these outputs of ``forward`` get no gradient, as PyTorch's: they come
        back from ``apply`` not requiring grad, and ``backward`` gets zeros for them
        (integer outputs, such as indices, are never differentiable anyway).

        >>> class SortValues(ad.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         order = np.argsort(x)
        ...         ctx.mark_non_differentiable(order)
        ...         ctx.save_for_backward(order)
        ...         return x[order], order
        ...     @staticmethod
        ...     def backward(ctx, grad_values, grad_order):
        ...         (order,) = ctx.saved_tensors
        ...         grad = np.zeros_like(grad_values)
        ...         grad[order] = grad_values
        ...         return grad
        >>> values, order = SortValues.apply(ad.tensor([3.0, 1.0], requires_grad=True))
        >>> values.requires_grad, order.requires_grad
        (True, False)
        """
        self._non_differentiable = {id(o) for o in outputs}

    def mark_dirty(self, *inputs) -> None:
        """Refused (PyTorch's mark of inputs that ``forward`` modified in place): the tape
        records a new result, and an input changed in place would keep its old place."""
        raise NotImplementedError(
            "ctx.mark_dirty: a Function that modifies its inputs in place is not supported "
            "(forward gets arrays, and the tape records a new output). Return a new array "
            "from forward (x * 3.0 rather than x.mul_(3.0)), drop mark_dirty, and assign "
            "the result where the input was used (x = Scale.apply(x)).")

    def set_materialize_grads(self, value: bool) -> None:
        """Accepted for PyTorch's code: there ``False`` passes None instead of zeros for
        the gradient of an output the loss does not use; here backward always gets
        zeros, which a backward written for None-or-gradient handles the same way.

        >>> FunctionCtx().set_materialize_grads(False)
        """
        self.materialize_grads = bool(value)

    def save_for_backward(self, *values) -> None:
        """Keep arrays (or anything else) for ``backward``; read them back from ``ctx.saved``."""
        self._saved = values

    def save_for_forward(self, *values) -> None:
        """Keep values for the Function's ``jvp`` (PyTorch's): there ``ctx.saved_tensors``
        gives these (in ``backward``, those of ``save_for_backward``).

        >>> class Exp(ad.autograd.Function):
        ...     @staticmethod
        ...     def forward(x):
        ...         return np.exp(x)
        ...     @staticmethod
        ...     def setup_context(ctx, inputs, output):
        ...         ctx.save_for_backward(output)
        ...         ctx.save_for_forward(output)
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         return grad * ctx.saved_tensors[0]
        ...     @staticmethod
        ...     def jvp(ctx, tangent):
        ...         return tangent * ctx.saved_tensors[0]
        >>> ad.func.jvp(Exp.apply, (ad.tensor(0.0),), (ad.tensor(2.0),))[1]
        tensor(2.)
        """
        self._saved_for_forward = values

    @property
    def saved(self) -> tuple:
        """The values given to ``save_for_backward``.

        In a pass that is itself differentiated (``backward(create_graph=True)``,
        ``grad(grad(f))``, ``hessian``, ``jvp`` of a gradient) a saved input comes back
        as the input Tensor and the saved output of ``forward`` as the output Tensor
        (also inside tuples, lists and dicts, and in attributes such as ``ctx.x = x``),
        so a backward written with operators is itself differentiable.  Any other
        float array computed in ``forward`` and saved here cannot be differentiated and
        raises there; one kept as an attribute (a random mask) is taken as a constant.
        """
        if self._as_tensors is None:
            return self._saved
        return tuple(_as_tensors_in(value, self._as_tensors, self._owner, f"[{position}]")
                     for position, value in enumerate(self._saved))

    saved_tensors = saved


def _as_tensors_in(value, as_tensors, owner, where):
    """``value`` with each input or output of forward in it (also inside tuples, lists
    and dicts) replaced by its Tensor; with an ``owner``, another float array raises
    (it was computed in forward: its derivative is unknown)."""
    tensor = as_tensors.get(id(value))
    if tensor is not None:
        return tensor
    if isinstance(value, (tuple, list)):
        return type(value)(_as_tensors_in(v, as_tensors, owner, f"{where}[{k}]")
                           for k, v in enumerate(value))
    if isinstance(value, dict):
        return {k: _as_tensors_in(v, as_tensors, owner, f"{where}[{k!r}]")
                for k, v in value.items()}
    if owner is not None and _is_float_array(value):
        raise _explained(RuntimeError(_derived_error(owner, where)))
    return value


def _explained(error):
    """Mark ``error`` as saying already what to do, so that no caller wraps it again."""
    error._autodiff_explained = True
    return error


#: What NumPy-only code raises when handed a Tensor (``grad.flat``, ``np.putmask(grad, ...)``,
#: ``grad[mask] = 0`` on a leaf); a subclass is the user's own and passes unchanged.
_TENSOR_MISUSE = (AttributeError, TypeError, RuntimeError, ValueError, IndexError)


def _call_on_tensors(where, receives, call, g):
    """``call(g)``; when ``g`` is a Tensor, an error from code written for arrays is
    raised again with what went wrong and what to do."""
    if not isinstance(g, Tensor):
        return call(g)
    try:
        return call(g)
    except _TENSOR_MISUSE as error:
        if type(error) not in _TENSOR_MISUSE or getattr(error, "_autodiff_explained", False):
            raise
        raise _explained(type(error)(
            f"{where} failed on Tensors ({type(error).__name__}: {error}). In forward mode "
            "(jvp, jacfwd, hessian, hvp) and in passes that are themselves differentiated "
            f"(backward(create_graph=True), grad of grad) it receives {receives} as Tensors, "
            "so it must use Tensor operations, without in-place writes: e.g. "
            "ad.where(x < 0, 0, grad) rather than np.putmask(grad, x < 0, 0)"
        )) from error


def _backward_on_arrays(cls, ctx, grads):
    where = f"{cls.__name__}.backward"
    with arrays_explained(where), nothing_saved_explained(where, ctx):
        return cls.backward(ctx, *grads)


def _packed_outputs(cls, ctx, outputs):
    """The differentiable outputs of ``forward`` as one flat array, their shapes, each
    in the forms forward may have saved it in, and the layout ``apply`` rebuilds the
    tuple from: an int k for the k-th differentiable output, an array for an output
    without gradient (integer, or marked with ``ctx.mark_non_differentiable``)."""
    marked = getattr(ctx, "_non_differentiable", set())
    arrays, parts, layout = [], [], []
    for output in outputs:
        array = np.asarray(output.data if isinstance(output, Tensor) else output)
        raws = (output, output.data, array) if isinstance(output, Tensor) else (output, array)
        if array.dtype.kind not in "biufc":
            raise TypeError(
                f"{cls.__name__}.forward returned an output of dtype {array.dtype}; "
                "each output must be a floating-point, complex, integer or bool array")
        if array.dtype.kind in "fc" and not any(id(raw) in marked for raw in raws):
            layout.append(len(arrays))
            arrays.append(array)
            parts.append(raws)
        else:
            layout.append(array)
    if len({a.dtype for a in arrays}) > 1:
        raise TypeError(
            f"{cls.__name__}.forward returned differentiable outputs of dtypes "
            f"{[str(a.dtype) for a in arrays]}; they must share one floating-point dtype "
            "(convert them with .astype, or mark the others with "
            "ctx.mark_non_differentiable)")
    shapes = [a.shape for a in arrays]
    flat = np.concatenate([a.ravel() for a in arrays]) if arrays else np.zeros(0)
    return flat, shapes, parts, layout


def _output_gradients(g, shapes, layout):
    """One gradient per output of forward: the differentiable ones' from the flat ``g``,
    zeros (of the output's dtype) for the others, as PyTorch's backward gets them."""
    pieces = _unpacked(g, shapes)
    return tuple(pieces[entry] if isinstance(entry, int) else np.zeros_like(entry)
                 for entry in layout)


def _marked(ctx, returned, out) -> bool:
    """Whether forward's one output was given to ``ctx.mark_non_differentiable``."""
    marked = getattr(ctx, "_non_differentiable", ())
    return any(id(raw) in marked for raw in (returned, out))


def _unpacked(flat, shapes):
    """The outputs (or their gradients) in the flat array ``flat``, one per shape."""
    parts, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape, dtype=int))
        parts.append(flat[start:start + size].reshape(shape))
        start += size
    return tuple(parts)


def _derived_error(owner, where):
    return (
        f"{owner}.backward: ctx.saved{where} is an array computed in forward (neither "
        "an input nor the output of forward), and this backward pass is being "
        "differentiated (backward(create_graph=True), grad of grad, hessian, hvp, jvp of "
        "a gradient), which would need its derivative. Save only inputs and the output "
        "with save_for_backward and recompute derived values in backward from them; a "
        "value that does not depend on the inputs (a random mask) can be kept as a ctx "
        "attribute instead (ctx.mask = mask).")


def _function_op(cls):
    """The op behind a Function subclass; its ctx is the node's saved state."""

    def forward(*arrays, side=None):
        ctx = FunctionCtx()
        ctx._inputs = arrays
        needs = _pending_needs.__dict__.pop("flags", None)
        ctx.needs_input_grad = needs if needs is not None and len(needs) == len(arrays) \
            else tuple(_is_float_array(a) for a in arrays)
        with arrays_explained(f"{cls.__name__}.forward"):
            if cls.setup_context is Function.setup_context:
                returned = cls.forward(ctx, *arrays)
            else:           # PyTorch's second form: forward(*inputs) without ctx
                returned = cls.forward(*arrays)
                cls.setup_context(ctx, arrays, returned)
        out = returned.data if isinstance(returned, Tensor) else returned
        if isinstance(out, (tuple, list)):
            # several outputs travel as one flat array, split again by apply
            (ans, ctx._output_shapes, ctx._output_parts,
             ctx._output_layout) = _packed_outputs(cls, ctx, out)
            _pending_needs.layout = (ctx._output_shapes, ctx._output_layout)
            if side is not None:
                side.arrays = [e for e in ctx._output_layout if not isinstance(e, int)]
            return ans, ctx
        if _marked(ctx, returned, out):
            _pending_needs.layout = ((), (np.asarray(out),))
        ans = np.asarray(out)
        # What forward returned, as it may have saved it (a 0-d result is a NumPy
        # scalar that np.asarray copies).
        ctx._outputs = (returned, out, ans)
        return ans, ctx

    def joint(xp, g, ans, needs, *args, saved, side=None):
        ctx = saved
        ctx.needs_input_grad = tuple(needs)
        create_graph = isinstance(g, Tensor)
        shapes = getattr(ctx, "_output_shapes", None)
        if create_graph:
            as_tensors = {}
            if isinstance(ans, Tensor) and shapes is not None:
                for returned_part, part in zip(ctx._output_parts, _unpacked(ans, shapes)):
                    as_tensors.update((id(raw), part) for raw in returned_part)
                # (an output without gradient comes back as the constant it is)
                as_tensors.update((id(entry), entry) for entry in ctx._output_layout
                                  if not isinstance(entry, int))
            elif isinstance(ans, Tensor):
                as_tensors.update((id(raw), ans) for raw in ctx._outputs)
            # (an input without a gradient, a constant, comes back as what it is)
            as_tensors.update((id(raw), arg) for raw, arg in zip(ctx._inputs, args))
            ctx._as_tensors = as_tensors
            # A value computed in forward is a constant here: wrong as soon as this
            # pass is differentiated with respect to an input.
            ctx._owner = cls.__name__ if any(isinstance(a, Tensor) and a.requires_grad
                                             for a in (*args, ans)) else None
        if cls.backward is Function.backward:
            raise NotImplementedError(
                f"{cls.__name__}.backward is missing: a Function needs a @staticmethod "
                "backward(ctx, grad) returning one gradient per input of forward")
        attributes = {}
        if create_graph:
            # ctx.x = x (PyTorch's habit) gives backward the input Tensor too; another
            # attribute (a random mask) stays the constant it is.
            for key, value in vars(ctx).items():
                if not key.startswith("_"):
                    attributes[key] = value
                    setattr(ctx, key, _as_tensors_in(value, as_tensors, None, ""))
        first_seq = next_seq()
        try:
            grads = _call_on_tensors(f"{cls.__name__}.backward",
                                     "grad and the saved inputs and output",
                                     lambda g: _backward_on_arrays(
                                         cls, ctx, (g,) if shapes is None
                                         else _output_gradients(g, shapes,
                                                                ctx._output_layout)), g)
        finally:
            ctx._as_tensors = None
            ctx._owner = None
            for key, value in attributes.items():
                setattr(ctx, key, value)
        checked = check_grads(cls.__name__, grads, args, create_graph, cls.backward)
        if create_graph and g.requires_grad:
            refuse_unrecorded_gradients(f"{cls.__name__}.backward", checked, g, first_seq)
        return checked

    op = Op(cls.__name__, forward, joint=joint,
            joint_formula=f"{cls.__name__}.backward (user-defined)", saves=True,
            zeroes=_CUSTOM_ZEROES)

    def closed_over(node):
        """The tensors requiring grad that backward can reach besides its inputs (a
        closure over an outer transform's variable, a global parameter, a ctx
        attribute): the gradient it gives depends on them."""
        held = [value for value in vars(node.saved).values()
                if isinstance(value, Tensor) and value.requires_grad] if node.saved else []
        return held + [value for _, value in _reachable_tracked(cls.backward)]

    op.complex_twin = op    # (backward is written in PyTorch's convention, the tape's)
    op.closed_over = closed_over
    op.function_class = cls      # (forward_ad calls its jvp, if it has one)
    return op


_CUSTOM_ZEROES = "is a custom gradient: it may return zero or None"


class Function:
    """Base class for an operation with a hand-written gradient.  A ``forward`` that
    returns several outputs (of one float dtype) makes ``apply`` return a tuple, and
    ``backward`` gets one gradient per output (zeros for an unused one), as in PyTorch.

    ``backward`` gets arrays in a plain backward pass, and Tensors (``grad`` and the
    saved inputs and output) in forward mode and in passes that are themselves
    differentiated: written with operators and ``ad`` functions, without in-place
    writes, it works in all of them.

    >>> class Cube(ad.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved
    ...         return grad * 3 * x ** 2
    >>> y = Cube.apply(ad.tensor([2.0], requires_grad=True))
    """

    @staticmethod
    def forward(ctx, *inputs):
        raise NotImplementedError("a Function subclass must define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    @staticmethod
    def setup_context(ctx, inputs, output):
        """PyTorch's second form: a subclass that defines it has ``forward(*inputs)``
        without ``ctx``, and saves what backward needs here, from the inputs and the
        output of forward (arrays, as forward gets them).

        >>> class Cube(ad.Function):
        ...     @staticmethod
        ...     def forward(x):
        ...         return x ** 3
        ...     @staticmethod
        ...     def setup_context(ctx, inputs, output):
        ...         ctx.save_for_backward(inputs[0])
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         (x,) = ctx.saved_tensors
        ...         return grad * 3 * x ** 2
        >>> x = ad.tensor([2.0], requires_grad=True)
        >>> Cube.apply(x).sum().backward(); x.grad
        array([12.])
        """

    @classmethod
    def _op(cls):
        op = cls.__dict__.get("_cached_op")
        if op is None:
            op = cls._cached_op = _function_op(cls)
        return op

    @classmethod
    def apply(cls, *inputs) -> Tensor:
        """Run ``forward`` on the inputs' arrays and record ``backward`` on the tape."""
        if mapping_examples():
            refuse_per_example(cls)
        recording = is_grad_enabled()
        _pending_needs.flags = tuple(recording and isinstance(x, Tensor) and x.requires_grad
                                     for x in inputs)
        _pending_needs.__dict__.pop("layout", None)
        side = _SideOutputs()
        try:
            result = cls._op()(*inputs, side=side)
        finally:
            _pending_needs.__dict__.pop("flags", None)
        layout = _pending_needs.__dict__.pop("layout", None)
        if layout is None:
            return result
        shapes, entries = layout
        if not shapes and len(entries) == 1 and not isinstance(entries[0], int):
            return result.detach()      # one output, marked non-differentiable
        # several outputs: the flat result split on the tape, the others read from
        # the Function's step by an op of their own (so a compiled replay gives the
        # values its run of forward made, not the traced ones)
        pieces = _unpacked(result, shapes)
        others = iter(range(len(entries)))
        return tuple(pieces[entry] if isinstance(entry, int)
                     else _side_output(result, side=side, index=next(others))
                     for entry in entries)


class _SideOutputs:
    """Where the op of a Function leaves the outputs of forward without gradient."""
    __slots__ = ("arrays",)


_side_output = Op("function_output", lambda flat, *, side, index: side.arrays[index],
                  ("flat",), (None,), differentiable=False,
                  blocks="an output of a Function without gradient (integer, or marked "
                         "with ctx.mark_non_differentiable) carries no gradient")


def _check_result(name, result) -> None:
    """Refuse anything but ``(value, vjp)`` with one array-like value: unpacking a
    2-element Tensor, or stacking a tuple of values, would give a wrong value silently."""
    if not (isinstance(result, tuple) and len(result) == 2 and callable(result[1])):
        got = (f"a tuple of {len(result)} items" if isinstance(result, tuple)
               else f"a {type(result).__name__}")
        if isinstance(result, tuple) and len(result) == 2:
            got += f" whose second item is a {type(result[1]).__name__}, not callable"
        raise TypeError(f"custom_gradient: {name} must return (value, vjp), where vjp(g) "
                        f"gives the input gradients; it returned {got}")
    value = result[0]
    if isinstance(value, (tuple, list, dict)):
        raise TypeError(f"custom_gradient: {name} returned a {type(value).__name__} as its "
                        "value; a custom_gradient function has one output (a tensor or "
                        "array). Split several outputs into several functions, or "
                        "ad.concatenate/ad.stack them into one")


def custom_gradient(func: Callable) -> Callable:
    """Decorator: ``func`` returns ``(value, vjp)``; ``vjp(g)`` gives the input gradients.

    ``func`` runs once per call, under ``no_grad``, on the inputs themselves (so that
    ``vjp`` may close over them and be differentiated again); the ``vjp`` closure is
    the node's saved state, dropped when a backward frees the graph.  A ``vjp`` that
    reaches a value the forward computed (``y = ad.exp(x)``, an array; directly, as a
    default argument, in a container or through a helper function), or an input's
    array (``x.data``), cannot be
    differentiated again, since that value's dependence on the inputs was not
    recorded: a second derivative through it raises (compute such values inside the
    ``vjp``).

    A tensor that requires grad and is not an input, closed over (an outer transform's
    variable, a parameter), may be used by the ``vjp``: results of transforms then
    depend on it.  ``func`` then runs recorded, and a value that depends on such a
    tensor raises, since the op records only its inputs (pass it as an input instead).

    >>> @ad.custom_gradient
    ... def round_ste(x):
    ...     return ad.round(x), lambda g: g     # straight-through estimator
    """
    name = getattr(func, "__name__", "custom_gradient")

    def forward(*arrays, result):
        value, vjp = result
        return (value.data if isinstance(value, Tensor) else np.asarray(value)), vjp

    def joint(xp, g, ans, needs, *args, saved, side=None):
        if isinstance(g, Tensor) and any(isinstance(a, Tensor) and a.requires_grad
                                         for a in args):
            _refuse_forward_values(name, saved)     # differentiated along the inputs
        first_seq = next_seq()
        grads = _call_on_tensors(f"the vjp returned by {name}", "g", saved, g)
        checked = check_grads(name, grads, args, isinstance(g, Tensor))
        if isinstance(g, Tensor) and g.requires_grad:
            refuse_unrecorded_gradients(f"{name} (its vjp)", checked, g, first_seq)
        return checked

    op = Op(name, forward, joint=joint,
            joint_formula="vjp returned by the function (user-defined)", saves=True,
            zeroes=_CUSTOM_ZEROES)
    op.closed_over = closed_over_tracked

    def wrapper(*inputs):
        closed = _closed_over_tracked_values(func, inputs) if is_grad_enabled() else []
        if closed:      # recorded, to see whether the value depends on them
            result = func(*inputs)
            _check_result(name, result)
            _refuse_value_through(name, result[0], inputs, closed)
        else:
            with no_grad():
                result = func(*inputs)
            _check_result(name, result)
        _note_forward_values(result[1], inputs)
        out = op(*inputs, result=result)
        if out._node is not None:
            out._node.kwargs = None     # the vjp lives on in node.saved only
        return out

    wrapper.__name__ = name
    wrapper.__doc__ = func.__doc__
    return wrapper
