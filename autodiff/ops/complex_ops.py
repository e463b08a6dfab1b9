"""Complex values on the tape, with PyTorch's convention for their gradients.

For a real loss ``L`` of a complex ``z = x + iy``, ``z.grad`` is ``dL/dx + i dL/dy``
(PyTorch's "Autograd for Complex Numbers"): each rule gives the conjugate-Wirtinger
gradient, e.g. ``multiply``'s is ``g * conj(b)``.  A real input's gradient is the
real part of that (the reverse pass takes it, ``graph._in_dtype``).

Only ops whose rules hold for complex numbers record complex values: each has an
``Op.complex_twin``, the op itself where its rules already hold (add, sum, reshape,
indexing, sorting's permutation, and writes at an index: ``t[key] = v``, ``out=``) or
a twin with conjugated rules (multiply, divide, matmul, exp, abs, angle, imag; complex_more.py adds
elementwise functions, products and reductions),
chosen when the node is recorded with a complex input or output, so real-valued nodes
pay nothing for it.  Every other op refuses complex values that
require grad, naming itself and the real-valued route (``real``, ``imag``, ``abs``).

>>> z = ad.tensor([1 + 2j, 3 - 1j], requires_grad=True)
>>> (z * z.conj()).real.sum().backward()
>>> z.grad
array([2.+4.j, 6.-2.j])
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .namespace import xp_function
from .registry import REGISTRY, Op, defop

# ----- twins: the same op with rules for complex numbers ------------------------------


def _twin(op: Op, *rules) -> Op:
    """``op`` with other rules (same name, forward and fields), for complex values."""
    twin = object.__new__(Op)
    twin.__dict__.update(op.__dict__)
    twin.rules = tuple(rules)
    twin.half_twin = None
    twin.complex_twin = twin
    twin.zero_grad_ae = False           # (imag and angle of a complex number are smooth)
    twin.zeroes = None
    return twin


def _conj(xp, value):
    return xp.conj(value) if _is_complex(value) else value


def _is_complex(value) -> bool:
    if isinstance(value, Tensor):
        return value.data.dtype.kind == "c"
    return np.iscomplexobj(value)


def _multiply_a(xp, g, ans, a, b):
    return g * _conj(xp, b)


def _multiply_b(xp, g, ans, a, b):
    return g * _conj(xp, a)


def _divide_a(xp, g, ans, a, b):
    return g / _conj(xp, b)


def _divide_b(xp, g, ans, a, b):
    return -g * _conj(xp, a / b / b)


def _matmul_twin_rules():
    matmul = REGISTRY["matmul"]
    rule_a, rule_b = matmul.rules
    return (lambda xp, g, ans, a, b: rule_a(xp, g, ans, a, _conj(xp, b)),
            lambda xp, g, ans, a, b: rule_b(xp, g, ans, _conj(xp, a), b))


def _power_rules(name):
    base_rule, exponent_rule = REGISTRY[name].rules
    # the real rules with g = 1 give the (holomorphic) derivative; g times its conjugate
    return (lambda xp, g, ans, a, b: g * _conj(xp, base_rule(xp, 1, ans, a, b)),
            lambda xp, g, ans, a, b: g * _conj(xp, exponent_rule(xp, 1, ans, a, b)))


def _square_rule(xp, g, ans, x):
    return g * _conj(xp, 2 * x)


def _exp_rule(xp, g, ans, x):
    return g * _conj(xp, ans)


def _abs_rule(xp, g, ans, x):
    # g * z / |z|, and 0 at z = 0 (PyTorch's sgn)
    safe = xp.where(ans == 0, 1, ans)
    return g * x / safe


def _imag_rule(xp, g, ans, x):
    return g * 1j


def _angle_rule(xp, g, ans, x, deg=False):
    # d angle = Im(dz / z): the gradient is g * i z / |z|^2 (0 at z = 0)
    size = xp.real(x * _conj(xp, x))
    safe = xp.where(size == 0, 1, size)
    gradient = g * x * 1j / safe
    return gradient * (180 / np.pi) if deg else gradient


def _permit(*names):
    for name in names:
        REGISTRY[name].complex_twin = REGISTRY[name]


# ----- new ops: conj, real, view_as_real, view_as_complex, complex --------------------


def _real_copy(x):
    return np.array(np.real(x))


conj_op = defop("conj", np.conjugate, x=("conj(g)", lambda xp, g, ans, x: _conj(xp, g)),
                reads=(), elementwise=True,
                doc="The complex conjugate of a complex tensor (its gradient: conj(g)).\n\n"
                    ">>> ad.ops.complex_ops.conj_op(ad.tensor([1 + 2j]))\n"
                    "tensor([1.-2.j], dtype=complex128)")
real_op = defop("real", _real_copy, x=("g", lambda xp, g, ans, x: g), reads=(),
                elementwise=True,
                doc="The real part of a complex tensor (its gradient: g + 0i).\n\n"
                    ">>> ad.ops.complex_ops.real_op(ad.tensor([1 + 2j]))\ntensor([1.])")


def _view_as_real_forward(z):
    return np.stack([z.real, z.imag], axis=-1)


def _view_as_complex_forward(x):
    return x[..., 0] + 1j * x[..., 1]


def _check_complex_pairs(x):
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    if data.dtype.kind != "f" or data.ndim == 0 or data.shape[-1] != 2:
        raise TypeError(
            f"view_as_complex: takes a float tensor whose last dimension has size 2 "
            f"(real and imaginary parts), got shape {data.shape} and dtype {data.dtype}; "
            "stack the parts with ad.stack([re, im], -1), or use ad.complex(re, im)")
    if data.dtype == np.float16:
        raise TypeError("view_as_complex: float16 pairs have no NumPy complex dtype "
                        "(complex32); cast to float32 first")


view_as_real_op = defop(
    "view_as_real", _view_as_real_forward,
    x=("view_as_complex(g)", lambda xp, g, ans, z: xp.view_as_complex(g)), reads=(),
    doc="The real and imaginary parts of a complex tensor along a new last dimension.\n\n"
        ">>> ad.view_as_real(ad.tensor([1 + 2j]))\ntensor([[1., 2.]])")
view_as_complex_op = defop(
    "view_as_complex", _view_as_complex_forward,
    x=("view_as_real(g)", lambda xp, g, ans, x: xp.view_as_real(g)), reads=(),
    doc="A complex tensor from pairs (real, imaginary) along the last dimension.\n\n"
        ">>> ad.view_as_complex(ad.tensor([[1.0, 2.0]]))\ntensor([1.+2.j], dtype=complex128)")


def view_as_real(input) -> Tensor:
    """``torch.view_as_real``: a complex tensor's real and imaginary parts along a new
    last dimension of size 2 (a copy here; PyTorch's is a view).

    >>> ad.view_as_real(ad.tensor([1 + 2j, 3j]))
    tensor([[1., 2.],
            [0., 3.]])
    """
    data = input.data if isinstance(input, Tensor) else np.asarray(input)
    if data.dtype.kind != "c":
        raise TypeError(f"view_as_real: takes a complex tensor, got dtype {data.dtype} "
                        f"(shape {data.shape}); a real tensor is its own real part")
    return view_as_real_op(input)


def view_as_complex(input) -> Tensor:
    """``torch.view_as_complex``: pairs (real, imaginary) along the last dimension, of
    size 2, as one complex tensor (float32 gives complex64, float64 complex128).

    >>> ad.view_as_complex(ad.tensor([[1.0, 2.0], [0.0, 3.0]]))
    tensor([1.+2.j, 0.+3.j], dtype=complex128)
    """
    _check_complex_pairs(input)
    return view_as_complex_op(input)


def _complex_forward(real, imag):
    dtype = np.result_type(real, imag)
    out = np.empty(np.broadcast_shapes(np.shape(real), np.shape(imag)),
                   np.complex64 if dtype == np.float32 else np.complex128)
    out.real = real
    out.imag = imag
    return out


complex_op = defop(
    "complex", _complex_forward,
    real=("real(g)", lambda xp, g, ans, real, imag: xp.real(g)),
    imag=("imag(g)", lambda xp, g, ans, real, imag: xp.imag(g)), reads=(),
    elementwise=True,
    doc="real + i * imag, as ``torch.complex``.\n\n"
        ">>> ad.complex(ad.tensor([1.0]), ad.tensor([2.0]))\ntensor([1.+2.j], dtype=complex128)")


def _check_parts(name, first, second, labels):
    arrays = [x.data if isinstance(x, Tensor) else np.asarray(x) for x in (first, second)]
    for label, array in zip(labels, arrays):
        if array.dtype not in (np.float32, np.float64):
            raise TypeError(
                f"{name}: {label} must be float32 or float64, got {array.dtype} (shape "
                f"{array.shape}), as in PyTorch; convert it first, e.g. "
                f"{label}.astype(np.float64)")
    if arrays[0].dtype != arrays[1].dtype:
        raise TypeError(
            f"{name}: {labels[0]} and {labels[1]} must have the same dtype, got "
            f"{arrays[0].dtype} and {arrays[1].dtype}; cast one of them first")


def complex(real, imag) -> Tensor:
    """``torch.complex``: the complex tensor ``real + i * imag`` (both float32, giving
    complex64, or both float64, giving complex128; broadcast together).

    >>> ad.complex(ad.tensor([1.0, 0.0]), ad.tensor([2.0, -1.0]))
    tensor([1.+2.j, 0.-1.j], dtype=complex128)
    """
    _check_parts("complex", real, imag, ("real", "imag"))
    return complex_op(real, imag)


def polar(abs, angle) -> Tensor:
    """``torch.polar``: the complex tensor ``abs * (cos(angle) + i sin(angle))``.

    >>> ad.polar(ad.tensor([2.0]), ad.tensor([0.0]))
    tensor([2.+0.j], dtype=complex128)
    """
    _check_parts("polar", abs, angle, ("abs", "angle"))
    from .elementwise import cos, multiply, sin
    return complex_op(multiply(abs, cos(angle)), multiply(abs, sin(angle)))


def _complex_from_real_tensor(gradient, dtype):
    zeros = Tensor(np.zeros_like(gradient.data))
    return complex_op(gradient, zeros).astype(dtype)


xp_function("complex_from_real", lambda g, dtype: np.asarray(g).astype(dtype),
            _complex_from_real_tensor)


# ----- which ops record complex values ----------------------------------------------


def _install():
    _permit("add", "subtract", "negative", "sum", "mean", "getitem", "reshape", "transpose",
            "swapaxes", "expand_dims", "squeeze", "flatten", "broadcast_to", "sum_to",
            "where", "concatenate", "stack", "conj", "real", "view_as_real",
            "view_as_complex", "complex", "copy", "constant_pad", "pad", "take", "flip",
            "roll", "index_add", "setitem", "zero_at", "overwrite", "permute_along_axis")
    for name, rules in (("multiply", (_multiply_a, _multiply_b)),
                        ("divide", (_divide_a, _divide_b)),
                        ("matmul", _matmul_twin_rules()),
                        ("exp", (_exp_rule,)),
                        ("power", _power_rules("power")),
                        ("float_power", _power_rules("float_power")),
                        ("square", (_square_rule,)),
                        ("abs", (_abs_rule,)),
                        ("imag", (_imag_rule,)),
                        ("angle", (_angle_rule,))):
        REGISTRY[name].complex_twin = _twin(REGISTRY[name], *rules)
    # a cast between complex dtypes, or of a real tensor to complex: the reverse pass
    # casts g back to the input's dtype (the real part for a real input)
    astype = REGISTRY["astype"]
    astype.complex_twin = _twin(astype, lambda xp, g, ans, x, dtype: g)


_install()
