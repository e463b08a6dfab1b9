"""Result dtypes of functions given a Python number or a 0-d tensor among their operands.

NumPy 2's promotion (NEP 50, the contract's rule) keeps a Python number weak: it
takes the tensor's dtype within its kind, so ``float32 tensor op 2.0`` is float32, as
PyTorch's wrapped numbers are.  The sweeps call every function of ``ad``,
``ad.special``, ``ad.linalg`` and every Tensor method that has a PyTorch namesake with
the operand combinations below, and compare the result's dtype with PyTorch's (with
float64 as the default dtype, autodiff's).  Where PyTorch refuses a Python number in
some position, its answer for the number wrapped as a 0-d tensor is the reference: its
0-d rule gives NEP 50's dtype in every combination here.  A second sweep compares
NumPy's functions called on Tensors with the same functions on arrays.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import autodiff as ad


def _f32():
    return np.array([0.25, 0.5, 1.5], np.float32)


def _i64():
    return np.array([1, 2, 3])


def _bools():
    return np.array([True, False, True])


#: Operand combinations, each made fresh: (float32 tensor, Python float) and the rest.
BINARY = {
    "f32,float": lambda: (_f32(), 2.0), "float,f32": lambda: (2.0, _f32()),
    "f32_0d,f64": lambda: (np.array(0.5, np.float32), np.array([0.25, 0.5, 1.5])),
    "i64,float": lambda: (_i64(), 2.5), "float,i64": lambda: (2.5, _i64()),
    "f32,int": lambda: (_f32(), 2), "int,f32": lambda: (2, _f32()),
    "bool,int": lambda: (_bools(), 2), "int,bool": lambda: (2, _bools()),
    "i64,int": lambda: (_i64(), 2), "bool,float": lambda: (_bools(), 2.5),
}
TERNARY = {
    "f32,f32,float": lambda: (_f32(), _f32(), 0.5), "f32,float,f32": lambda: (_f32(), 0.5, _f32()),
    "f32,float,float": lambda: (_f32(), 0.25, 1.0), "float,f32,f32": lambda: (0.5, _f32(), _f32()),
    "i64,float,float": lambda: (_i64(), 0.5, 2.5), "f32,int,int": lambda: (_f32(), 0, 1),
    "bool,f32,float": lambda: (_bools(), _f32(), 2.0),
    "bool,float,f32": lambda: (_bools(), 2.0, _f32()),
    "bool,i64,float": lambda: (_bools(), _i64(), 2.5),
    "bool,f32,int": lambda: (_bools(), _f32(), 2),
    "f32,f32,int": lambda: (_f32(), _f32(), 2),
}
COMBINATIONS = {**BINARY, **TERNARY}

#: Names the sweeps do not call: random draws, creation, state setters, transforms and
#: other functions whose arguments are not operands.
NOT_OPERAND_FUNCTIONS = (
    "set_", "manual_seed", "save", "load", "compile", "seed", "use_", "enable", "disable",
    "register", "rand", "normal", "bernoulli", "multinomial", "poisson", "empty", "full",
    "ones", "zeros", "arange", "linspace", "logspace", "eye", "tensor", "Tensor", "from_",
    "as_tensor", "asarray", "viz", "explain", "no_grad", "grad", "vmap", "jvp", "vjp", "jac",
    "hess", "func", "checkpoint", "print", "backward", "detect", "autocast", "cuda", "device",
    "fill", "copy", "uniform", "exponential", "geometric", "cauchy", "log_normal", "random",
    "histogram")

OPERATORS = ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
             "__truediv__", "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__",
             "__rmod__", "__pow__", "__rpow__", "__and__", "__rand__", "__or__", "__ror__",
             "__xor__", "__rxor__", "__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__",
             "__lshift__", "__rshift__")

#: Where autodiff's function is NumPy's (the contract: NumPy first) and NumPy's dtype
#: differs from PyTorch's; each is checked to be NumPy's on arrays below.
NUMPY_ANSWERS = {
    ("clip", "float,f32"): "np.clip converts a number a with asarray: float64",
    ("clip", "int,f32"): "np.clip converts a number a with asarray: float64",
    ("clip", "float,f32,f32"): "np.clip converts a number a with asarray: float64",
    ("heaviside", "i64,int"): "np.heaviside has float loops only",
    ("inner", "f32,float"): "np.inner converts a number with asarray: float64",
    ("inner", "float,f32"): "np.inner converts a number with asarray: float64",
    ("inner", "f32,int"): "np.inner converts a number with asarray: int64, then float64",
    ("inner", "int,f32"): "np.inner converts a number with asarray: int64, then float64",
    ("kron", "f32,int"): "np.kron converts a number with asarray: int64, then float64",
    ("kron", "int,f32"): "np.kron converts a number with asarray: int64, then float64",
    ("ldexp", "bool,int"): "np.ldexp of a bool mantissa is float16",
    ("vander", "f32,int"): "np.vander promotes x with the default int: float64",
    ("__pow__", "bool,int"): "NumPy's ** squares bools with np.square: int8",
}


def _operands_for(module, args):
    if module == "torch":
        import torch
        return [torch.from_numpy(a.copy()) if isinstance(a, np.ndarray) else a for a in args]
    return [ad.tensor(a) if isinstance(a, np.ndarray) else a for a in args]


def _dtype_name(result):
    if isinstance(result, (tuple, list)):
        return _dtype_name(result[0]) if result else None
    dtype = getattr(result, "dtype", None)
    if dtype is None or isinstance(result, type):
        return None
    return str(dtype).replace("torch.", "")


def _torch_result(call, args):
    """PyTorch's result, with the Python numbers wrapped as 0-d tensors where it refuses
    them as they are; None where it refuses both."""
    import torch
    operands = _operands_for("torch", args)
    try:
        return call(*operands)
    except Exception:
        if not any(type(a) in (int, float) for a in args):
            return None
    wrapped = [torch.tensor(a) if type(a) in (int, float) else a for a in operands]
    try:
        return call(*wrapped)
    except Exception:
        return None


def _mismatches(ours, theirs, names, methods=False):
    """(name, combination, our dtype, PyTorch's dtype) where both give a result."""
    found = []
    for name in names:
        if not methods and any(part in name for part in NOT_OPERAND_FUNCTIONS):
            continue
        our_function, their_function = getattr(ours, name, None), getattr(theirs, name, None)
        if (our_function is None or their_function is None or not callable(our_function)
                or inspect.isclass(our_function)):
            continue
        for combination, make in COMBINATIONS.items():
            args = make()
            if methods and not isinstance(args[0], np.ndarray):
                continue
            if methods:
                def theirs_call(first, *rest, name=name):
                    return getattr(first, name)(*rest)
            else:
                theirs_call = their_function
            expected = _dtype_name(_torch_result(theirs_call, args))
            if expected is None:
                continue
            operands = _operands_for("autodiff", make())
            try:
                result = (getattr(operands[0], name)(*operands[1:]) if methods
                          else our_function(*operands))
            except Exception:
                continue                # (refusals are not this sweep's subject)
            got = _dtype_name(result)
            if got != expected and (name, combination) not in NUMPY_ANSWERS:
                found.append((name, combination, got, expected))
    return found


def _public(namespace):
    return sorted(n for n in dir(namespace) if not n.startswith("_"))


@pytest.fixture
def torch64():
    torch = pytest.importorskip("torch")
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield torch
    torch.set_default_dtype(previous)


def test_functions_of_ad_give_pytorchs_dtypes(torch64):
    found = _mismatches(ad, torch64, _public(ad))
    assert not found, "\n".join(map(str, found))


def test_special_functions_give_pytorchs_dtypes(torch64):
    found = _mismatches(ad.special, torch64.special, _public(ad.special))
    assert not found, "\n".join(map(str, found))


def test_linalg_functions_give_pytorchs_dtypes(torch64):
    found = _mismatches(ad.linalg, torch64.linalg, _public(ad.linalg))
    assert not found, "\n".join(map(str, found))


def test_tensor_methods_give_pytorchs_dtypes(torch64):
    names = _public(ad.Tensor) + list(OPERATORS)
    found = _mismatches(ad.Tensor, torch64.Tensor, names, methods=True)
    assert not found, "\n".join(map(str, found))


@pytest.mark.parametrize("name, combination", sorted(NUMPY_ANSWERS))
def test_the_differences_from_pytorch_are_numpys_answers(name, combination):
    args = COMBINATIONS[combination]()
    operands = _operands_for("autodiff", COMBINATIONS[combination]())
    if name == "clip" and len(args) == 2:       # (NumPy's clip wants a_max)
        args, operands = args + (None,), operands + [None]
    if name.startswith("__"):
        ours, numpys = getattr(operands[0], name)(*operands[1:]), getattr(args[0], name)(*args[1:])
    else:
        ours, numpys = getattr(ad, name)(*operands), getattr(np, name)(*args)
    assert ours.dtype == numpys.dtype


@pytest.mark.parametrize("combination", sorted(BINARY))
def test_numpy_functions_on_tensors_give_numpys_dtypes(combination):
    """``np.f(tensor, 2.0)`` has the dtype of ``np.f(array, 2.0)``, for every NumPy
    function that takes these operands (NumPy's refusals and ours are left out)."""
    skipped = NOT_OPERAND_FUNCTIONS + ("bmat", "fromfunction", "einsum_path", "vectorize",
                                       "frompyfunc", "piecewise", "apply_", "nditer",
                                       "broadcast", "errstate", "info", "source", "test",
                                       "get", "show", "busday", "datetime", "tri", "indices")
    found = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in _public(np):
            function = getattr(np, name)
            if (any(part in name for part in skipped) or not callable(function)
                    or (inspect.isclass(function) and not isinstance(function, np.ufunc))
                    or (isinstance(function, np.ufunc) and function.nin != 2)):
                continue
            try:
                expected = function(*COMBINATIONS[combination]())
            except Exception:
                continue
            if isinstance(expected, (bool, int, float, str)):
                continue
            try:
                got = function(*_operands_for("autodiff", COMBINATIONS[combination]()))
            except Exception:
                continue
            if _dtype_name(got) != _dtype_name(expected):
                found.append((name, _dtype_name(got), _dtype_name(expected)))
    assert not found, "\n".join(map(str, found))


# ----- the functions fixed, one by one, with values and gradients ----------------------

#: Each takes the module, the tensor and ``n``, which gives a number as PyTorch takes it
#: in that place (a 0-d tensor where it refuses a Python number; the number itself here).
NUMBER_CALLS = {
    "div": lambda m, x, n: m.div(2.0, x), "mul": lambda m, x, n: m.mul(3, x),
    "sub": lambda m, x, n: m.sub(2.0, x), "rsub": lambda m, x, n: m.rsub(x, 2.0),
    "addcmul": lambda m, x, n: m.addcmul(n(2.0), x, x, value=0.5),
    "addcdiv": lambda m, x, n: m.addcdiv(n(1.0), x, x + 1, value=0.5),
    "Tensor.addcmul": lambda m, x, n: x.addcmul(n(2.0), x),
    "xlogy_x": lambda m, x, n: m.special.xlogy(x, 2.0),
    "xlogy_y": lambda m, x, n: m.special.xlogy(2.0, x),
    "ad.xlogy": lambda m, x, n: m.xlogy(x, 3),
    "xlog1py_x": lambda m, x, n: m.special.xlog1py(x, 2.0),
    "xlog1py_y": lambda m, x, n: m.special.xlog1py(2.0, x),
    "gammainc": lambda m, x, n: m.special.gammainc(n(2.0), x),
    "gammaincc": lambda m, x, n: m.special.gammaincc(n(2.0), x),
    "zeta": lambda m, x, n: m.special.zeta(3.0, x + 1),
    "clamp_min": lambda m, x, n: m.clamp_min(n(0.75), x),
    "dist": lambda m, x, n: m.dist(n(1.0), x),
    "chebyshev_t": lambda m, x, n: m.special.chebyshev_polynomial_t(0.5, x * 4),
}


@pytest.mark.parametrize("name", sorted(NUMBER_CALLS))
def test_a_number_keeps_float32_in_value_and_gradient(name):
    """The functions whose float32 results were float64 with a Python number: now
    float32, with PyTorch's values and gradients (float32)."""
    torch = pytest.importorskip("torch")
    call = NUMBER_CALLS[name]
    data = np.array([0.25, 0.5, 1.5], np.float32)
    x = ad.tensor(data, requires_grad=True)
    t = torch.tensor(data, requires_grad=True)
    ours, theirs = call(ad, x, lambda v: v), call(torch, t, torch.tensor)
    assert ours.dtype == np.float32 and theirs.dtype == torch.float32
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=2e-6, atol=1e-6)
    if theirs.requires_grad:
        ours.sum().backward()
        theirs.sum().backward()
        assert x.grad.dtype == np.float32
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("call", [
    lambda x: ad.div(2.0, x), lambda x: ad.sub(2.0, x), lambda x: ad.addcmul(2.0, x, x),
    lambda x: x.addcdiv(2.0, x + 1), lambda x: ad.special.xlogy(x, 2.0),
    lambda x: ad.special.xlog1py(2.0, x), lambda x: ad.special.gammainc(2.0, x),
    lambda x: ad.special.zeta(3.0, x + 1), lambda x: ad.dist(1.0, x),
])
def test_number_operand_gradients_match_finite_differences(call):
    assert ad.gradcheck(lambda t: call(t).sum(), [np.array([0.25, 0.5, 1.5])])


def test_a_comparison_reads_the_number_in_the_tensors_dtype():
    # 0.1 is not a float32 value: read in float64 it differs from float32(0.1), which
    # NumPy's x == 0.1 and PyTorch's torch.eq(x, 0.1) both call equal
    x = ad.tensor(np.array([0.1, 0.5], np.float32))
    expected = np.array([True, False])
    for result in (ad.eq(0.1, x), x == 0.1, np.equal(0.1, x)):
        np.testing.assert_array_equal(result.data, expected)
    np.testing.assert_array_equal(ad.ne(0.1, x).data, ~expected)


def test_a_number_too_large_for_the_tensors_dtype_is_refused_as_by_the_operator():
    # NumPy 2 raises OverflowError for np.multiply(300, uint8 array), and so do the
    # operator and the function spellings here (PyTorch wraps 300 around to 44)
    x = ad.tensor(np.array([1, 2], np.uint8))
    with pytest.raises(OverflowError):
        300 * x
    with pytest.raises(OverflowError, match="mul: the Python integer 300 does not fit uint8"):
        ad.mul(300, x)
    np.testing.assert_array_equal(ad.mul(300, x.astype(np.int64)).data, [300, 600])


def test_a_float64_0d_tensor_follows_numpys_promotion():
    # The contract's NumPy 2 rule: a 0-d float64 tensor is not weak, so it makes a
    # float32 tensor float64, where PyTorch's dimensioned tensor would win (float32)
    x = ad.tensor(np.array([0.25, 0.5], np.float32))
    scale = ad.tensor(np.array(2.0))
    assert (x * scale).dtype == np.float64 == (x.data * scale.data).dtype
    assert ad.special.gammainc(scale, x).dtype == np.float64


def test_bool_pow_is_int64_as_pytorchs_and_np_power():
    b = ad.tensor([True, False])
    assert b.pow(2).dtype == np.int64 == np.power(b.data, 2).dtype
    assert (b ** 2).dtype == (b.data ** 2).dtype       # the operator: NumPy's int8
