"""Elementwise steps as expressions of NumPy ufuncs, found by running them on symbols.

A ``Sym`` stands for an array whose values are unknown: it has a shape and a dtype,
and every NumPy ufunc or operator applied to it (``np.exp(s)``, ``s * 2``,
``np.where(c, s, 0)``) adds a node to an ``Expr`` graph instead of computing.  Running
a registered op's own forward, or one of its gradient rules with ``xp = numpy_xp``,
on symbols therefore writes the op down as the ufuncs it calls: the registry tells
the fuser what each op is, and nobody keeps a second table of ops by hand.

Anything else the code does with a symbol (read ``.data``, index it, reduce it, call
a function outside NumPy's ufuncs, branch on its value) raises ``Unfusable``: that
step stays as it is.  Reductions (``np.sum``, ``np.mean``, ``np.max``, ``np.min``)
are nodes too; which of them, and which broadcasts, a loop can compute is decided
when steps are grouped (``layout.py``).
"""

from __future__ import annotations

import numpy as np

from .codegen import SCALAR_UFUNCS
from .layout import elements as _size

#: dtypes a fused loop computes in (anything else stays unfused).
LOOP_DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.bool_))


_LOGICAL = (np.logical_and, np.logical_or, np.logical_not, np.invert, np.bitwise_and,
            np.bitwise_or)


class Unfusable(Exception):
    """This step cannot be written as a loop over elements."""


class Node:
    """One value of an expression: an input slot, a constant or an operation."""

    __slots__ = ("kind", "fn", "args", "shape", "dtype", "value", "loop")

    def __init__(self, kind, fn, args, shape, dtype, value=None, loop=None):
        self.kind = kind        # "input", "const", "ufunc", "where", "cast", "view", "reduce"
        self.fn = fn            # the ufunc; for "view", np.reshape or np.broadcast_to
        self.args = args        # node indices
        self.shape = shape
        self.dtype = dtype      # None for a Python scalar constant (weakly typed)
        self.value = value      # input: the slot; const: the scalar; reduce: (axes, keepdims)
        self.loop = loop        # ufunc/where/cast: the dtypes operands are cast to

    def __repr__(self):
        return f"Node({self.kind}, {getattr(self.fn, '__name__', self.fn)}, {self.args})"


class Expr:
    """A list of nodes in evaluation order (operands before their users)."""

    def __init__(self):
        self.nodes: list[Node] = []
        self.inputs: dict[int, int] = {}    # slot -> node index

    def add(self, node) -> int:
        self.nodes.append(node)
        return len(self.nodes) - 1

    def input(self, slot, shape, dtype) -> Sym:
        index = self.inputs.get(slot)
        if index is None:
            if np.dtype(dtype) not in LOOP_DTYPES:
                raise Unfusable(f"input of dtype {dtype}")
            index = self.inputs[slot] = self.add(
                Node("input", None, (), tuple(shape), np.dtype(dtype), slot))
        return Sym(self, index)

    def const(self, value, dtype=None, shape=()) -> int:
        if isinstance(value, Sym):
            if value.expr is not self:
                raise Unfusable("a symbol of another expression")
            return value.index
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value[()]
        if isinstance(value, np.generic):
            dtype = value.dtype
        elif not isinstance(value, (bool, int, float)):
            raise Unfusable(f"operand {type(value).__name__}")
        return self.add(Node("const", None, (), tuple(shape), dtype, value))

    def weak(self, index):
        """What ``resolve_dtypes`` takes for an operand: its dtype, or the Python type
        of a weakly typed scalar."""
        node = self.nodes[index]
        return type(node.value) if node.dtype is None else node.dtype

    def elementwise_shape(self, indices) -> tuple:
        """NumPy's broadcast shape of the operands.  Whether a loop can compute it
        (operands the size of the result, of size 1, or broadcast along leading or
        trailing axes) is decided when pieces are grouped (``layout.py``)."""
        try:
            return np.broadcast_shapes(*[self.nodes[k].shape for k in indices])
        except ValueError as error:
            raise Unfusable(str(error)) from None

    def ufunc(self, ufunc, operands) -> Sym:
        if ufunc not in SCALAR_UFUNCS or ufunc.nout != 1:
            raise Unfusable(f"ufunc {ufunc.__name__}")
        args = tuple(self.const(v) for v in operands)
        try:
            loop = ufunc.resolve_dtypes(tuple(self.weak(k) for k in args) + (None,))
        except Exception as error:
            raise Unfusable(f"{ufunc.__name__}: {error}") from None
        if any(np.dtype(d) not in LOOP_DTYPES for d in loop) or (
                ufunc in _LOGICAL and np.dtype(loop[0]).kind != "b"):
            raise Unfusable(f"{ufunc.__name__} on {loop}")
        shape = self.elementwise_shape(args)
        return Sym(self, self.add(Node("ufunc", ufunc, args, shape, np.dtype(loop[-1]),
                                       loop=tuple(np.dtype(d) for d in loop))))

    def where(self, condition, a, b) -> Sym:
        args = tuple(self.const(v) for v in (condition, a, b))
        if self.nodes[args[0]].dtype != np.dtype(np.bool_):
            raise Unfusable("where on a condition that is not bool")
        dtype = np.result_type(*[self.nodes[k].value if self.nodes[k].dtype is None
                                 else self.nodes[k].dtype for k in args[1:]])
        if dtype not in LOOP_DTYPES:
            raise Unfusable(f"where of dtype {dtype}")
        shape = self.elementwise_shape(args)
        return Sym(self, self.add(Node("where", np.where, args, shape, dtype,
                                       loop=(np.dtype(np.bool_), dtype, dtype))))

    def cast(self, index, dtype) -> int:
        dtype = np.dtype(dtype)
        node = self.nodes[index]
        if dtype not in LOOP_DTYPES:
            raise Unfusable(f"cast to {dtype}")
        return self.add(Node("cast", None, (index,), node.shape, dtype, loop=(dtype,)))

    def view(self, index, fn, shape) -> Sym:
        """``np.reshape`` / ``np.broadcast_to``: new shape, the same flat values."""
        node = self.nodes[index]
        shape = _resolve_shape(tuple(shape) if isinstance(shape, (tuple, list)) else (shape,),
                               _size(node.shape))
        if fn is np.reshape:
            if _size(shape) != _size(node.shape):
                raise Unfusable("reshape to another size")
        else:
            try:
                if np.broadcast_shapes(node.shape, shape) != shape:
                    raise ValueError
            except ValueError:
                raise Unfusable(f"broadcast of {node.shape} to {shape}") from None
        return Sym(self, self.add(Node("view", fn, (index,), shape, node.dtype)))

    def reduce(self, ufunc, x, axis, keepdims) -> Sym:
        """``ufunc.reduce`` (``np.sum``, ``np.max``, ``np.min``) of a float symbol over
        ``axis``; ``value`` keeps ``(axes, keepdims)``."""
        if not isinstance(x, Sym) or x.expr is not self:
            raise Unfusable("a reduction of a constant")
        node = self.nodes[x.index]
        if node.dtype.kind != "f":
            raise Unfusable(f"a reduction of dtype {node.dtype}")
        ndim = len(node.shape)
        given = axis if isinstance(axis, (tuple, list)) else (axis,)
        if axis is None:
            axes = tuple(range(ndim))
        elif all(isinstance(a, (int, np.integer)) and -ndim <= a < ndim for a in given):
            axes = tuple(sorted({int(a) % ndim for a in given}))
        else:
            raise Unfusable(f"reduction over axis {axis!r} of shape {node.shape}")
        if not axes or _size(node.shape) == 0:
            raise Unfusable("a reduction over no axis or no element")
        shape = tuple(1 if a in axes else n for a, n in enumerate(node.shape)) if keepdims \
            else tuple(n for a, n in enumerate(node.shape) if a not in axes)
        return Sym(self, self.add(Node("reduce", ufunc, (x.index,), shape, node.dtype,
                                       (axes, bool(keepdims)), (node.dtype,))))


def _resolve_shape(shape, size) -> tuple:
    if any(not isinstance(d, (int, np.integer)) for d in shape):
        raise Unfusable("shape of non-integers")
    shape = tuple(int(d) for d in shape)
    if shape.count(-1) == 1:
        rest = _size(d for d in shape if d != -1)
        if rest == 0 or size % rest:
            raise Unfusable("reshape")
        shape = tuple(size // rest if d == -1 else d for d in shape)
    return shape


_FUNCTIONS = {}


def _function(numpy_function):
    def register(handler):
        _FUNCTIONS[numpy_function] = handler
        return handler
    return register


class Sym:
    """An array of unknown values inside an ``Expr`` (see the module docstring)."""

    __slots__ = ("expr", "index")

    def __init__(self, expr: Expr, index: int):
        self.expr = expr
        self.index = index

    @property
    def shape(self):
        return self.expr.nodes[self.index].shape

    @property
    def dtype(self):
        return self.expr.nodes[self.index].dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return _size(self.shape)

    def reshape(self, *shape):
        return self.expr.view(self.index, np.reshape, shape[0] if len(shape) == 1 else shape)

    def astype(self, dtype, copy=True):
        return Sym(self.expr, self.expr.cast(self.index, dtype))

    def sum(self, axis=None, dtype=None, out=None, keepdims=False):
        return _sum(self.expr, self, axis, dtype, out, keepdims)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False):
        return _mean(self.expr, self, axis, dtype, out, keepdims)

    def max(self, axis=None, out=None, keepdims=False):
        return _extreme(np.maximum)(self.expr, self, axis, out, keepdims)

    def min(self, axis=None, out=None, keepdims=False):
        return _extreme(np.minimum)(self.expr, self, axis, out, keepdims)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or any(v is not None for v in kwargs.values()):
            raise Unfusable(f"{ufunc.__name__}.{method} with {sorted(kwargs)}")
        return self.expr.ufunc(ufunc, inputs)

    def __array_function__(self, func, types, args, kwargs):
        handler = _FUNCTIONS.get(func)
        if handler is None:
            raise Unfusable(f"numpy.{getattr(func, '__name__', func)}")
        return handler(self.expr, *args, **kwargs)

    def __array__(self, *args, **kwargs):
        raise Unfusable("the values of a symbol were asked for")

    def __bool__(self):
        raise Unfusable("Python control flow on a value")

    __hash__ = object.__hash__

    def __add__(self, o): return np.add(self, o)
    def __radd__(self, o): return np.add(o, self)
    def __sub__(self, o): return np.subtract(self, o)
    def __rsub__(self, o): return np.subtract(o, self)
    def __mul__(self, o): return np.multiply(self, o)
    def __rmul__(self, o): return np.multiply(o, self)
    def __truediv__(self, o): return np.true_divide(self, o)
    def __rtruediv__(self, o): return np.true_divide(o, self)
    def __pow__(self, o): return np.power(self, o)
    def __rpow__(self, o): return np.power(o, self)
    def __neg__(self): return np.negative(self)
    def __pos__(self): return self
    def __abs__(self): return np.absolute(self)
    def __gt__(self, o): return np.greater(self, o)
    def __ge__(self, o): return np.greater_equal(self, o)
    def __lt__(self, o): return np.less(self, o)
    def __le__(self, o): return np.less_equal(self, o)
    def __eq__(self, o): return np.equal(self, o)
    def __ne__(self, o): return np.not_equal(self, o)
    def __and__(self, o): return np.bitwise_and(self, o)
    def __rand__(self, o): return np.bitwise_and(o, self)
    def __or__(self, o): return np.bitwise_or(self, o)
    def __ror__(self, o): return np.bitwise_or(o, self)
    def __invert__(self): return np.invert(self)


@_function(np.where)
def _where(expr, condition, *branches):
    if len(branches) != 2:
        raise Unfusable("where with one argument")
    return expr.where(condition, *branches)


def _like(value):
    def handler(expr, x, dtype=None, **kwargs):
        if kwargs or not isinstance(x, Sym):
            raise Unfusable("zeros_like / ones_like with arguments")
        dtype = np.dtype(dtype or x.dtype)
        if dtype not in LOOP_DTYPES:
            raise Unfusable(f"constant of dtype {dtype}")
        return Sym(expr, expr.const(dtype.type(value), dtype, x.shape))
    return handler


_function(np.zeros_like)(_like(0))
_function(np.ones_like)(_like(1))


@_function(np.reshape)
def _reshape(expr, x, shape=None, **kwargs):
    if kwargs or not isinstance(x, Sym):
        raise Unfusable("reshape with arguments")
    return expr.view(x.index, np.reshape, shape)


@_function(np.broadcast_to)
def _broadcast_to(expr, x, shape, **kwargs):
    if kwargs or not isinstance(x, Sym):
        raise Unfusable("broadcast_to with arguments")
    return expr.view(x.index, np.broadcast_to, shape)


def _no_extras(name, **given):
    if any(v is not None for v in given.values()):
        raise Unfusable(f"{name} with {sorted(k for k, v in given.items() if v is not None)}")


@_function(np.sum)
def _sum(expr, x, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    _no_extras("sum", out=out, **kwargs)
    if dtype is not None and isinstance(x, Sym) and np.dtype(dtype) != x.dtype:
        raise Unfusable("sum with another dtype")
    return expr.reduce(np.add, x, axis, keepdims)


@_function(np.mean)
def _mean(expr, x, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
    # NumPy's mean of a float array (numpy/_core/_methods.py, _mean): the sum divided
    # by the count as an intp, which computes in float64 and casts back.
    total = _sum(expr, x, axis, dtype, out, keepdims, **kwargs)
    count = float(_size(x.shape) // _size(total.shape))
    if total.dtype == np.float64:
        return np.true_divide(total, count)
    return np.true_divide(total.astype(np.float64), count).astype(total.dtype)

def _extreme(ufunc):
    def handler(expr, x, axis=None, out=None, keepdims=False, **kwargs):
        _no_extras(ufunc.__name__, out=out, **kwargs)
        return expr.reduce(ufunc, x, axis, keepdims)
    return handler


for _f in (np.max, np.amax):
    _function(_f)(_extreme(np.maximum))
for _f in (np.min, np.amin):
    _function(_f)(_extreme(np.minimum))


def run_symbolic(fn, args, kwargs, slots, expr: Expr):
    """Call ``fn`` with every ``Ref`` in its arguments replaced by a symbol; return
    the symbol of its result (``Unfusable`` if it is not a loop over elements)."""
    from .plan import Ref

    def symbolic(value):
        if value.__class__ is Ref:
            slot = slots[value.index]
            if slot.dtype is None:
                raise Unfusable("a value of unknown dtype")
            return expr.input(value.index, slot.shape, slot.dtype)
        if isinstance(value, (tuple, list)):
            return type(value)(symbolic(v) for v in value)
        return value

    sym_args = [symbolic(a) for a in args]
    sym_kwargs = {k: symbolic(v) for k, v in kwargs.items()}
    try:
        with np.errstate(all="ignore"):
            result = fn(*sym_args, **sym_kwargs)
    except Unfusable:
        raise
    except Exception as error:          # the code needed more than a loop can give
        raise Unfusable(f"{type(error).__name__}: {error}") from None
    if isinstance(result, (bool, int, float, np.generic)):
        result = Sym(expr, expr.const(result))
    if not isinstance(result, Sym) or result.expr is not expr:
        raise Unfusable(f"result is a {type(result).__name__}")
    return result


def evaluate(expr: Expr, values: dict, wanted=None) -> dict:
    """The NumPy values of the nodes (inputs from ``values``: slot -> array), as the
    eager code would compute them: the same ufunc calls on the same operands."""
    out: dict = {}
    for k, node in enumerate(expr.nodes):
        kind = node.kind
        if kind == "input":
            out[k] = values[node.value]
        elif kind == "const":
            if node.shape:
                out[k] = np.full(node.shape, node.value, node.dtype)
            else:
                out[k] = node.value
        elif kind == "ufunc":
            out[k] = node.fn(*[out[a] for a in node.args])
        elif kind == "where":
            out[k] = np.where(*[out[a] for a in node.args])
        elif kind == "cast":
            out[k] = np.asarray(out[node.args[0]]).astype(node.dtype, copy=False)
        elif kind == "reduce":
            axes, keepdims = node.value
            out[k] = node.fn.reduce(out[node.args[0]], axis=axes, keepdims=keepdims)
        else:
            out[k] = node.fn(out[node.args[0]], node.shape)
    return out
