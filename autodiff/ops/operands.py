"""How an op's call paths read their operands, and how a failed call is explained.

The call paths of ``Op`` (``registry.py``) take Tensors, arrays, numbers and
(nested) lists: lists that hold Tensors become one recorded Tensor, lists of numbers
in an input with a gradient rule become arrays, Tensors passed by keyword for an
input are moved to its position, and two NumPy scalars meet through NumPy's scalar
arithmetic.  The errors they raise name the op, the shapes and dtypes, and what to do.
"""

from __future__ import annotations

import inspect
import operator
import sys

import numpy as np

from ..graph import _grad_mode
from ..tensor import Tensor
from ..torch_shape_methods import Size


#: Binary ufuncs whose value on two scalars is the operator's on NumPy scalars: the
#: same IEEE operation in the same dtype (NEP 50 promotion), through NumPy's scalar
#: arithmetic, several times faster than a ufunc call on 0-d arrays.
SCALAR_BINARY = {np.add: operator.add, np.subtract: operator.sub,
                 np.multiply: operator.mul, np.true_divide: operator.truediv}


SEQUENCES = (list, tuple)

_FLOAT16 = np.dtype(np.float16)
_NUMBERS = (float, int)

_PYTHON_NUMBERS = (bool, int, float, complex)


def half_by_number(a, b) -> bool:
    """Whether ``a`` is a float16 array or Tensor and ``b`` a Python int or float: the
    operands PyTorch's ``torch.mul(a, b)`` and ``torch.div(a, b)`` compute in float32
    (``half_numbers.py``; with the number first they keep NumPy's rule).

    >>> half_by_number(np.zeros(2, np.float16), 0.1), half_by_number(0.1, np.zeros(2))
    (True, False)
    """
    if isinstance(a, Tensor):
        a = a.data
    return a.__class__ is np.ndarray and a.dtype is _FLOAT16 and b.__class__ in _NUMBERS


def as_numpy_converts(x):
    """A Python number as the 0-d array NumPy's functions make of it (``np.dot``,
    ``np.kron``, ``ufunc.outer`` call ``asarray`` on their operands), so that it takes
    part in type promotion as an array of its default dtype, not as a weak scalar:
    ``np.dot(float32_array, 2.5)`` is float64 and ``np.kron(int8_array, 3)`` int64.
    Anything else as it is.

    >>> as_numpy_converts(2.5).dtype, as_numpy_converts([1.0])
    (dtype('float64'), [1.0])
    """
    return np.asarray(x) if type(x) in _PYTHON_NUMBERS or x.__class__ is Size else x


def python_numbers(data) -> bool:
    """Whether ``data`` is Python numbers only (``ad.tensor(2.0)``, ``[[1, 0], [0, 1]]``):
    a tensor made from them is a constant, fixed at the trace as Python numbers are.

    >>> python_numbers([[1, 0], [0, 1.5]]), python_numbers(np.float64(2.0))
    (True, False)
    """
    todo = [data]
    while todo:
        item = todo.pop()
        if isinstance(item, (list, tuple)):
            todo.extend(item)
        elif type(item) not in (int, float, bool):
            return False
    return True


def holds_tensor(nested) -> bool:
    """True when a (nested) list or tuple contains a Tensor somewhere."""
    todo = [nested]
    while todo:
        item = todo.pop()
        if isinstance(item, Tensor):
            return True
        if type(item) in SEQUENCES:
            todo.extend(item)
    return False


def from_nested(nested):
    """A list or tuple that holds Tensors, as one recorded Tensor (``ad.array``)."""
    from .shape import array
    return array(nested)


def is_array_like(a):
    return isinstance(a, (np.ndarray, np.generic, int, float, bool, complex))


def numpy_axis(axis):
    """NumPy's reading of a 0-d integer array (or Tensor) given as an axis: that int, as
    ``operator.index`` gives it (``np.max(a, np.array(0))`` is ``np.max(a, 0)``);
    anything else unchanged.

    >>> numpy_axis(np.array(1)), numpy_axis((0, 1))
    (1, (0, 1))
    """
    if getattr(axis, "ndim", None) == 0 and getattr(axis, "dtype", np.dtype(object)).kind in "iu":
        return operator.index(axis)
    return axis


def as_array(op, values):
    """A list or tuple of numbers in an input that has a gradient rule, as the
    array NumPy would make of it: the rules read its shape and dtype.  (Inputs
    without one, such as shapes and axes, are passed on as given.)"""
    try:
        return np.asarray(values)
    except (ValueError, TypeError) as error:
        raise type(error)(f"{op.name}: a {type(values).__name__} operand is not an "
                          f"array: {error}") from error


def bind_tensor_keywords(op, args, kwargs):
    """Tensors passed by keyword for inputs (``clip(x, hi=t)``), moved to their
    positions so that they are recorded like positional ones; the positions in
    between take the forward's defaults."""
    names = op.input_names
    last = max((names.index(k) for k, v in kwargs.items()
                if isinstance(v, Tensor) and k in names), default=-1)
    for key, value in kwargs.items():
        if (isinstance(value, Tensor) and value.requires_grad and key not in names
                and _grad_mode.enabled):
            raise no_rule_error(op, key, value)
    if last < len(args):
        return args, kwargs
    if op._signature is None:
        try:
            op._signature = inspect.signature(op.forward).parameters
        except (TypeError, ValueError):
            op._signature = {}
    kwargs = dict(kwargs)
    args = list(args)
    for position in range(len(args), last + 1):
        name = names[position]
        if name in kwargs:
            args.append(kwargs.pop(name))
        else:
            parameter = op._signature.get(name)
            if parameter is None or parameter.default is inspect.Parameter.empty:
                raise TypeError(f"{op.name}: {name!r} is not given; pass the inputs "
                                f"{', '.join(names[:last + 1])} positionally")
            args.append(parameter.default)
    return tuple(args), kwargs


def gradient_positions(rules, grad_inputs):
    """Per input position, something not None where a gradient flows into it (None:
    into every input): an op's rules, or a joint op's ``grad_inputs`` (positions
    past the last one listed get none)."""
    if rules is not None or grad_inputs is None:
        return rules
    positions = set(grad_inputs)
    return tuple(True if i in positions else None
                 for i in range(max(positions, default=-1) + 1))


def no_rule_error(op, position, tensor):
    """The error for a Tensor that requires grad passed for an input (a position, or a
    keyword argument's name) into which no gradient flows."""
    name = position if isinstance(position, str) else op.input_name(position)
    pairwise = {"max": "maximum", "min": "minimum"}.get(op.name)
    if pairwise and name == "axis":     # ad.max(a, b): PyTorch's torch.max of two tensors
        return TypeError(
            f"{op.name}(input, other): PyTorch's torch.{op.name} of two tensors is the "
            f"elementwise {pairwise}, which NumPy's {op.name} does not do (it reads the "
            f"second argument, shape {tensor.shape}, dtype {tensor.dtype}, as the axis); "
            f"write ad.{pairwise}(input, other)")
    return TypeError(
        f"{op.name}: input {name!r} gets no gradient, but a Tensor that requires grad "
        f"(shape {tensor.shape}, dtype {tensor.dtype}) was passed for it, which would "
        "silently get none. Pass a number, an array or t.detach() if it is meant "
        "to be a constant.")


def complex_error(op, out, raw):
    """The error of an op whose rules hold for real numbers only, given complex values
    that require grad (or giving a complex result from inputs that do)."""
    dtypes = ", ".join(str(np.asarray(a).dtype) if is_array_like(a) else type(a).__name__
                       for a in raw)
    return TypeError(
        f"{op.name}: its gradient rule is written for real numbers, so it cannot record "
        f"complex values (inputs of dtypes {dtypes}, result {out.dtype}). Take a real-"
        "valued route first: z.real, z.imag, z.abs() or z.angle() (ad.real, ad.imag, "
        "ad.abs, ad.angle, ad.view_as_real) and apply it to those, or compute on "
        "z.detach() if no gradient is needed. Ops that record complex values: "
        "add, subtract, multiply, divide, negative, exp, power, square, sum, mean, matmul, "
        "dot, vdot, inner, tensordot, einsum, vecdot, matvec, vecmat, indexing, "
        "reshape/transpose, conj, real, imag, abs, angle, view_as_real, the FFTs, "
        "the holomorphic elementwise functions (sin ... arccosh, arctanh, sinc), round, "
        "inv, det, slogdet, solve, cholesky, eigh, eigvalsh, svd, svdvals, qr, pinv, lstsq "
        "(and through them norm and matrix_norm of every ord, and cond).")


def explain_error(op, error, raw):
    from ..histogram_ranges import histogram_range_refusal

    refusal = histogram_range_refusal()     # (an op inside NumPy's histogram code)
    if refusal is not None:
        return refusal
    message = str(error)
    if message.startswith(f"{op.name}:"):
        message = message[len(op.name) + 1:].strip()
    shapes = ", ".join(str(np.shape(a)) for a in raw if is_array_like(a))
    dtypes = ", ".join(str(np.asarray(a).dtype) for a in raw if is_array_like(a))
    called = _function_called(op.name)
    where = op.name if called is None else f"{op.name} (in {called})"
    text = f"{where}: {message} (input shapes {shapes}; dtypes {dtypes})"
    if isinstance(error, FloatingPointError):
        # (the op's hint is about its inputs' shapes or values, not this)
        text += (". NumPy raised it because its error state asks to (np.seterr, or "
                 "np.errstate, set to 'raise'); with 'warn' or 'ignore' the result is "
                 "inf or NaN instead")
    elif op.hint and not isinstance(error, ArithmeticError) and not getattr(
            error, "_autodiff_explained", False) and _hint_fits(op.hint, message):
        text += f". {op.hint}" + (_kept_axis_hint(raw) if op.hint.startswith(
            "Shapes broadcast") else "")
    elif "is out of bounds for array of dimension" in message:
        text += (". Pass an axis in [-ndim, ndim) of the inputs; to join them along a new "
                 "axis, use stack")
    elif no_ufunc_loop(message):
        text += f". {NO_LOOP_ADVICE}"
    elif "remapped shapes" in message:      # (NumPy's reduction, of its where= mask)
        text += ". The where= mask must broadcast to the input's shape"
    elif "Python integer" in message and "out of bounds" in message:
        text += (". NumPy 2 refuses a number its tensor's integer dtype cannot hold, where "
                 "PyTorch wraps it around; convert the tensor first (t.astype(np.int64), "
                 "t.long()) for the exact result")
    elif "which has no identity" in message:
        text += (". Pass initial= (the value an empty reduction gives), or reduce over "
                 "axes that are not empty")
    try:
        explained = type(error)(text)
    except Exception:
        explained = ValueError(text)
    for note in getattr(error, "__notes__", ()):    # (what to do, added on the way up)
        explained.add_note(note)
    return explained


#: What to do when NumPy's ufunc has no loop for the inputs' dtypes.
NO_LOOP_ADVICE = ("NumPy's ufunc has no loop for these dtypes; convert the input to a dtype "
                  "it computes in (for most, a real float: x.real, x.astype(...))")


def no_ufunc_loop(message):
    """Whether NumPy refused the dtypes of a ufunc's inputs (no loop for them)."""
    return ("not supported for the input types" in message
            or "did not contain a loop with signature" in message)


#: Words of NumPy's errors about an axis argument (an axis out of range, repeated, or
#: not an int), where a reduction's "axis must be ..." hint helps.
_AXIS_WORDS = ("axis", "dimension", "interpreted as an integer", "tuple")


def _kept_axis_hint(raw) -> str:
    """``; if the (4,) came from a reduction ...`` when one operand's shape is the
    other's with one axis taken out, as ``x / x.sum(1)`` gives: a reduction that
    dropped the axis it reduced."""
    shapes = [np.shape(a) for a in raw if is_array_like(a)]
    if len(shapes) != 2:
        return ""
    for full, reduced in (shapes, shapes[::-1]):
        for axis in range(len(full)):
            if len(full) > 1 and full[:axis] + full[axis + 1:] == reduced:
                return (f"; if the {reduced} came from a reduction over axis {axis} "
                        f"(x.sum({axis}), x.mean({axis}) ...), keep that axis: "
                        f"keepdims=True (PyTorch's keepdim=True) gives "
                        f"{full[:axis] + (1,) + full[axis + 1:]}")
    return ""


def _hint_fits(hint, message):
    """Whether an op's hint is about this error: the broadcasting hint of elementwise
    ops is no help for ``ad.tensor([1, 2]) ** -1`` (integers to negative powers), nor
    indexing's range of valid indices for a mask of the wrong length."""
    if hint.startswith("Shapes broadcast") and "broadcast" not in message:
        return False
    if hint.startswith("all inputs need the same shape") and "out of bounds" in message:
        return False                    # (an axis out of range: said below)
    if hint.startswith("axis must be") and not any(
            word in message for word in _AXIS_WORDS):   # (the dtypes, a mask, initial=)
        return False
    return "valid indices" not in hint or "out of bounds" in message


#: The code of wrappers that only check the arguments before calling the function
#: they wrap (``numpy_names.refuse_dim_keywords``): an error names what they wrap.
ARGUMENT_CHECKS: set = set()


def _function_called(op_name):
    """The function of this library (or NumPy's) that the user called, when an op inside
    it failed: ``binary_cross_entropy`` for its 'multiply', ``Normal.log_prob`` for
    its 'subtract'.  None when the user called the op itself (``ad.multiply``, ``*``)."""
    from ..tape_drop import in_library

    frame, outer = sys._getframe(2), None
    while frame is not None and in_library(frame.f_code.co_filename):
        if frame.f_code not in ARGUMENT_CHECKS:
            outer = frame
        frame = frame.f_back
    if outer is None:
        return None
    name = outer.f_code.co_name
    if name == "with_out":      # (out_arguments.takes_out: the function it passes through)
        name = getattr(outer.f_locals.get("function"), "__name__", name)
    elif name == "function":    # (numpy_names: the wrapper of ad.amax is named after it)
        name = outer.f_locals.get("short_name", name)
    if name == op_name or name.startswith(("_", "<")):
        return None
    owner = outer.f_locals.get("self")
    return name if owner is None else f"{type(owner).__name__}.{name}"


def constant_argument(value, where: str, name: str, why: str, *, read: bool = True):
    """``value`` for an argument that gets no gradient (an ``eps``, a probability, a
    switch point): a Tensor is taken by its value, and refused if it requires grad,
    since it would silently get none.  Anything else is returned as it is.  A value
    read as a constant (``read``) that a compiled function's trace follows is refused.

    >>> constant_argument(ad.tensor(0.5), "dropout", "p", "it is a probability")
    0.5
    """
    if not isinstance(value, Tensor):
        return value
    if value.requires_grad and _grad_mode.enabled:
        raise TypeError(
            f"{where}: {name} gets no gradient ({why}), but a Tensor that requires grad "
            f"(shape {value.shape}, dtype {value.dtype}) was passed for it, which would "
            f"silently get none. Pass a number, or {name}.detach() if it is meant to be "
            "a constant.")
    if not read:
        return value
    from ..compile.refusals import refuse_traced_values    # (compile imports ops)
    refuse_traced_values(value, where, f"its {name} is a tensor whose values it takes as "
                         "constants, and a replay may give it others",
                         f"Pass {name} as a Python number (a new value traces again)")
    return value.data.item() if value.data.ndim == 0 else value.data


def array_of(x) -> np.ndarray:
    """The values of an argument as an array: a Tensor's array, anything else through
    ``np.asarray`` (no copy, nothing recorded).

    >>> array_of(ad.tensor([1.0])), array_of([2, 3])
    (array([1.]), array([2, 3]))
    """
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def tensor_of(x, *company, widen: bool = True) -> Tensor:
    """An argument as a Tensor: a Tensor itself, anything else as a constant Tensor
    over ``np.asarray(x)``.  A Python number among the other operands ``company``
    takes the dtype that NumPy 2's promotion gives it there (NEP 50; PyTorch's too):
    ``ad.div(2.0, float32_tensor)`` stays float32, as ``2.0 / float32_tensor`` does,
    where a float64 0-d tensor of the number would make it float64.

    >>> tensor_of([1.0, 2.0])
    tensor([1., 2.])
    >>> tensor_of([1.0, ad.tensor(2.0, requires_grad=True)])     # a list that holds Tensors
    tensor([1., 2.], requires_grad=True)
    >>> tensor_of(2.0, np.ones(2, np.float32)).dtype
    dtype('float32')
    """
    if isinstance(x, Tensor):
        return x
    if x.__class__ is Size:          # a Tensor's .size: the plain int an ndarray's is
        x = int(x)
    if type(x) in SEQUENCES and holds_tensor(x):
        return from_nested(x)        # ([1.0, t] as np.array makes it, on the tape)
    if company and type(x) in _PYTHON_NUMBERS:
        return Tensor(x, dtype=number_dtype(x, *company, widen=widen))
    # Python numbers go to Tensor as they are: ad.compile sees a constant made of them
    return Tensor(x) if python_numbers(x) else Tensor(np.asarray(x))


def number_dtype(number, *company, widen: bool = True) -> np.dtype:
    """The dtype of a Python ``number`` computed with the operands ``company`` (Tensors,
    arrays and numbers; anything else, None or a list, is skipped): NumPy 2's
    promotion keeps the number weak, so it takes their dtype within its kind (NEP 50),
    and its default dtype (float64, int64) among numbers only or where its kind is
    higher (a float with an integer tensor).  A number that does not fit that dtype
    (``300`` with uint8, where NumPy 2 raises OverflowError and PyTorch wraps around)
    keeps its default dtype, widening the result as NumPy 1 did, while that keeps its
    kind; one no dtype of its kind holds with them (``2**70``; ``-1`` with uint64,
    which would make float64) raises OverflowError; so does any number that does not
    fit when ``widen`` is False, as NumPy 2 and the Tensor operators refuse it
    (``300 * uint8_tensor``).

    >>> number_dtype(2.0, np.ones(2, np.float32)), number_dtype(2.5, np.arange(2))
    (dtype('float32'), dtype('float64'))
    """
    others = [c.data if isinstance(c, Tensor) else c for c in company
              if isinstance(c, (Tensor, np.ndarray, np.generic)) or type(c) in _PYTHON_NUMBERS]
    dtype = np.result_type(number, *others)
    try:
        np.asarray(number, dtype=dtype)
    except OverflowError:
        default = np.asarray(number).dtype
        if not widen and default.kind != "O":
            raise _refused_as_numpy_does(number, dtype) from None
        widened = None if default.kind == "O" else np.result_type(default, *others)
        if widened is None or (widened.kind == "f" and dtype.kind in "iu"):
            # past int64 and uint64 no dtype holds it; -1 with uint64 would widen to
            # float64, rounding the values past 2**53
            raise _out_of_bounds(number, dtype) from None
        return widened
    return dtype


def _refused_as_numpy_does(number, dtype) -> OverflowError:
    return OverflowError(
        f"the Python integer {number} does not fit {dtype}, the dtype it takes with the "
        f"other operands (NumPy 2 refuses it, as the operators do, {number} * t; "
        f"PyTorch wraps it around, modulo 2**{8 * dtype.itemsize}); convert the tensor "
        "first (t.astype(np.int64)) for the exact result")


def _out_of_bounds(number, dtype) -> OverflowError:
    digits = str(number)
    shown = digits if len(digits) <= 40 else f"of {len(digits.lstrip('-'))} digits"
    return OverflowError(
        f"the Python integer {shown} does not fit {dtype}, the dtype it takes with the "
        "other operands, and no wider dtype of its kind holds them all exactly (NumPy "
        "refuses it too); convert the tensor first (t.astype(np.int64)), or write a "
        "float (1e21, not 10**21) for a float tensor")


def broadcasts_to(shape, target) -> bool:
    """Whether an array of ``shape`` broadcasts to exactly ``target`` (a bias to an
    output, a mask to scores), without growing it.

    >>> broadcasts_to((3,), (2, 3)), broadcasts_to((2, 1), (2, 3)), broadcasts_to((2, 3), (3,))
    (True, True, False)
    """
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False
