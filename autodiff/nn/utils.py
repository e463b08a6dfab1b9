"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_``, as in PyTorch, and
its two halves ``get_total_norm`` and ``clip_grads_with_norm_``.

The clipping functions change the parameters' ``.grad`` arrays in place, between
``backward()`` and ``opt.step()``.  ``weight_norm`` and ``spectral_norm`` (in
``utils_reparam``), ``fuse_conv_bn_eval``, ``fuse_linear_bn_eval`` and ``skip_init``
(in ``utils_fusion``) are reached here too.  ``parameters_to_vector`` and
``vector_to_parameters`` flatten the parameters into one vector and back;
``rnn.pad_sequence`` pads sequences into a batch; ``parametrize`` and
``parametrizations`` compute a parameter from others (PyTorch's modules of those names).

>>> w = ad.nn.Parameter([1.0, 1.0])
>>> w.grad = np.array([3.0, 4.0])
>>> ad.nn.utils.clip_grad_norm_([w], max_norm=1.0)     # the norm before clipping
tensor(5.)
>>> w.grad.round(6)
array([0.6, 0.8])
"""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np

from ..compile import hooks as _hooks
from ..compile.hooks import refused_function_in_trace, replayed_function
from ..optim.optimizer import user_stacklevel
from ..ops.shape import concatenate
from ..tensor import Tensor, tensor
from . import parametrizations, parametrize, prune
from . import utils_rnn as rnn
from . import utils_fusion as fusion
from . import utils_stateless as stateless
from .utils_fusion import (fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval,
                           fuse_linear_bn_weights, skip_init)
from .utils_reparam import remove_spectral_norm, remove_weight_norm, spectral_norm, weight_norm
from .utils_memory_format import (convert_conv2d_weight_memory_format,
                                  convert_conv3d_weight_memory_format)

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_", "parameters_to_vector", "vector_to_parameters", "rnn",
           "stateless", "fusion", "parametrize", "prune", "parametrizations", "weight_norm",
           "remove_weight_norm", "spectral_norm", "remove_spectral_norm", "fuse_conv_bn_eval",
           "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights",
           "skip_init", "convert_conv2d_weight_memory_format",
           "convert_conv3d_weight_memory_format"]

# ``from autodiff.nn.utils.rnn import pad_sequence`` (PyTorch's path) finds it.
sys.modules[__name__ + ".rnn"] = rnn
sys.modules[__name__ + ".parametrize"] = parametrize
sys.modules[__name__ + ".parametrizations"] = parametrizations
sys.modules[__name__ + ".prune"] = prune
sys.modules[__name__ + ".fusion"] = fusion


def _grads(parameters, where):
    """The parameters that have a ``.grad``; a warning at the user's line when
    ``parameters`` is a generator that gives none (used up by an optimizer before)."""
    one_pass = not isinstance(parameters, Tensor) and hasattr(parameters, "__next__")
    tensors = _tensors(parameters, where, more_arguments=", ...")
    if one_pass and not tensors:
        warnings.warn(
            f"{where}: the parameters given are an empty generator, so no gradient was "
            "touched. model.parameters() gives a generator that can be read once: if an "
            "optimizer (or a loop) read this one first, it is used up; call "
            "model.parameters() again here, or keep a list: params = "
            "list(model.parameters())", UserWarning, stacklevel=user_stacklevel())
    return [p for p in tensors if p.grad is not None]


def _grad_array(p):
    grad = p.grad.data if isinstance(p.grad, Tensor) else p.grad
    return np.asarray(grad)


def _set_scaled(p, factor):
    """``p.grad *= factor`` as PyTorch's ``mul_`` by a 0-d tensor: the factor read in
    the gradient's compute precision (float32 for float16: one rounding of the
    product, where NumPy would round the factor to float16 first)."""
    grad = _grad_array(p)
    wide = grad.dtype in (np.float64, np.complex128) or grad.dtype.kind not in "fc"
    factor = np.asarray(factor).astype(np.float64 if wide else np.float32)[()]
    if grad.flags.writeable:
        np.multiply(grad, factor, out=grad, casting="unsafe")
    elif isinstance(p.grad, Tensor):
        p.grad.data = (grad * factor).astype(grad.dtype, copy=False)
    else:
        p.grad = (grad * factor).astype(grad.dtype, copy=False)


def _clip_factor(total, max_norm, dtype):
    """PyTorch's ``min(max_norm / (total + 1e-6), 1)`` on a total norm of ``dtype``,
    rounded as it computes it: each op in float32 for float16 (float64 for float64)
    and rounded to ``dtype``, the division as a reciprocal times ``max_norm``."""
    dtype = np.dtype(dtype)
    wide = np.dtype(np.float64 if dtype == np.float64 else np.float32)

    def rounded(value):
        return np.asarray(value).astype(dtype).astype(wide)

    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        shifted = rounded(rounded(total) + wide.type(1e-6))
        factor = rounded(rounded(wide.type(1) / shifted) * wide.type(max_norm))
    return np.minimum(factor, 1.0)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of the vector of every gradient entry
    (``float("inf")``: the largest absolute entry).  Gradients are multiplied by
    ``min(1, max_norm / (total_norm + 1e-6))`` (rounded as PyTorch computes it), in
    place.  Returns the total norm before clipping as a 0-d Tensor of the gradients'
    dtype, as PyTorch does.  With ``error_if_nonfinite`` a nan or inf total norm
    raises a RuntimeError instead of spreading nan into every gradient.  ``foreach``
    is accepted for PyTorch compatibility and ignored.

    >>> a, b = ad.nn.Parameter([0.0]), ad.nn.Parameter([0.0])
    >>> a.grad, b.grad = np.array([-6.0]), np.array([2.0])
    >>> float(ad.nn.utils.clip_grad_norm_([a, b], 3.0, norm_type=float("inf")))
    6.0
    >>> a.grad.round(6), b.grad.round(6)
    (array([-3.]), array([1.]))
    """
    where = "clip_grad_norm_"
    params = _grads(parameters, where)
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not max_norm >= 0:
        raise ValueError(f"{where}: max_norm must be >= 0, got {max_norm!r} (a negative one "
                         "would flip the sign of every gradient)")
    if not params:
        return tensor(0.0)
    # Summed in float64; returned in the gradients' dtype (float32 ones: float32), as
    # PyTorch returns it.
    dtype = _norm_dtype([_grad_array(p) for p in params])
    tracer = _hooks.active
    if tracer is not None and tracer.owns_thread():
        # While ad.compile traces: the norm returned is a step of its own, computed again
        # at each replay before the clipping (the one _clip_norm returns is this call's).
        total = _hooks.made("clip_grad_norm_ total", _total_norm_array,
                            (norm_type, dtype, *[_grad_array(p) for p in params]))
        _clip_norm(params, max_norm, norm_type, bool(error_if_nonfinite))
        return tensor(total)
    total = _clip_norm(params, max_norm, norm_type, bool(error_if_nonfinite))
    return tensor(_in_dtype(total, dtype))


def clip_grad_norm(parameters, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """PyTorch's deprecated ``clip_grad_norm``: ``clip_grad_norm_``, with PyTorch's
    FutureWarning naming it."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning,
                  stacklevel=user_stacklevel())
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def _total_norm_array(norm_type, dtype, *grads):
    return _in_dtype(_total_norm(grads, norm_type), dtype)


def _norm_dtype(grads) -> np.dtype:
    """The dtype of the gradients' total norm in PyTorch: their common real dtype."""
    dtype = np.result_type(*[g.dtype for g in grads])
    return dtype if dtype.kind == "f" else np.dtype(
        np.float32 if dtype == np.complex64 else np.float64)


def _in_dtype(value, dtype):
    """``value`` in ``dtype``: inf past its largest float, as PyTorch's, without NumPy's
    overflow warning."""
    with np.errstate(over="ignore"):
        return np.asarray(value, dtype)


def _total_norm(grads, norm_type) -> float:
    # (a complex gradient's entries count by their size |g|, as PyTorch's; a norm past
    # the largest float is inf, as PyTorch's, without NumPy's overflow warning)
    with np.errstate(over="ignore"):
        return _overflowing_total_norm(grads, norm_type)


def _overflowing_total_norm(grads, norm_type) -> float:
    # (a float16 array's own norm is float16, as PyTorch's per-tensor norms: past 65504
    # it is inf, and so is the total)
    norms = np.array([np.linalg.norm((np.abs(g) if g.dtype.kind == "c" else g).ravel()
                                     .astype(np.float64), ord=norm_type)
                      .astype(np.float16 if g.dtype == np.float16 else np.float64)
                      for g in grads], dtype=np.float64)
    return float(np.linalg.norm(norms, ord=norm_type))


def _why_not_finite(arrays, noun: str) -> str:
    """Why a total norm came out nan or inf: a nan or inf entry, or finite entries
    whose norm is past the largest float64 (their squares, or p-th powers, overflow)."""
    if all(np.isfinite(a).all() for a in arrays):
        if any(a.dtype == np.float16 for a in arrays):
            return (f"every {noun} is finite, but the norm of a float16 one is past 65504, "
                    "so inf in float16, as in PyTorch; scale the loss down, or keep the "
                    "parameters in float32")
        return (f"every {noun} is finite, but their norm overflows float64; scale the "
                "loss down, or clip_grad_value_ first")
    return f"a nan or inf {noun}; ad.detect_anomaly() finds the op that made it"


def _overflows_in_float32(grads, total, norm_type) -> bool:
    """Whether PyTorch's norm of these gradients is inf where this finite one is not:
    it sums the ``norm_type``-th powers of float32 (and float16) gradients in float32,
    and they overflow past its largest float, about 3.4e38."""
    if not (0 < total < math.inf and 1 < norm_type < math.inf):
        return False
    if np.result_type(*[g.dtype for g in grads]).itemsize > 4:
        return False
    return norm_type * math.log(total) > math.log(float(np.finfo(np.float32).max))


@refused_function_in_trace
def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:
    """The ``norm_type``-norm of all entries of ``tensors`` together (usually the
    gradients: ``[p.grad for p in model.parameters()]``), as a 0-d Tensor of their
    dtype, as ``torch.nn.utils.get_total_norm``; ``None`` entries are skipped.  Tensors
    that require grad give a result on the tape.  ``error_if_nonfinite`` raises on a
    nan or inf norm; ``foreach`` is accepted and ignored.

    >>> ad.nn.utils.get_total_norm([np.array([3.0]), np.array([[4.0]])])
    tensor(5.)
    """
    where = "get_total_norm"
    if isinstance(tensors, (Tensor, np.ndarray)):
        tensors = [tensors]
    tensors = [t for t in tensors if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return tensor(0.0)
    if any(isinstance(t, Tensor) and t.requires_grad for t in tensors):
        from ..ops.norms import vector_norm
        from ..ops.shape import stack
        norms = stack([vector_norm(t, ord=norm_type) for t in tensors])
        total = vector_norm(norms, ord=norm_type)
        value = float(total.data)
    else:
        arrays = [np.asarray(t.data if isinstance(t, Tensor) else t) for t in tensors]
        dtype = np.result_type(*[a.dtype for a in arrays])
        dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
        value = _total_norm(arrays, norm_type)
        total = tensor(_in_dtype(value, dtype))
    if error_if_nonfinite and not math.isfinite(value):
        arrays = [np.asarray(t.data if isinstance(t, Tensor) else t) for t in tensors]
        raise RuntimeError(
            f"{where}: the total norm of order {norm_type} of the {len(tensors)} tensors is "
            f"{value} ({_why_not_finite(arrays, 'entry')}). Pass error_if_nonfinite=False "
            "to get it anyway.")
    return total


@refused_function_in_trace
def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    """Scale the gradients of ``parameters`` in place by
    ``min(1, max_norm / (total_norm + 1e-6))``, with ``total_norm`` given (e.g. by
    ``get_total_norm``): ``clip_grad_norm_`` in two steps, as in PyTorch.

    >>> w = ad.nn.Parameter([0.0, 0.0]); w.grad = np.array([3.0, 4.0])
    >>> total = ad.nn.utils.get_total_norm([w.grad])
    >>> ad.nn.utils.clip_grads_with_norm_([w], 1.0, total); w.grad.round(6)
    array([0.6, 0.8])
    """
    where = "clip_grads_with_norm_"
    params = _grads(parameters, where)
    max_norm = float(max_norm)
    if not max_norm >= 0:
        raise ValueError(f"{where}: max_norm must be >= 0, got {max_norm!r} (a negative one "
                         "would flip the sign of every gradient)")
    value = np.asarray(total_norm.data if isinstance(total_norm, Tensor) else total_norm)
    if value.size != 1:
        raise ValueError(f"{where}: total_norm must be one number (a 0-d Tensor from "
                         f"get_total_norm), got shape {value.shape}")
    factor = _clip_factor(value.reshape(()), max_norm,
                          value.dtype if value.dtype.kind == "f" else np.float64)
    with np.errstate(invalid="ignore"):
        for p in params:
            _set_scaled(p, factor)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clip every gradient entry into ``[-clip_value, clip_value]``, in place.

    >>> w = ad.nn.Parameter([0.0, 0.0, 0.0])
    >>> w.grad = np.array([-5.0, 0.5, 2.0])
    >>> ad.nn.utils.clip_grad_value_([w], 1.0); w.grad
    array([-1. ,  0.5,  1. ])
    """
    where = "clip_grad_value_"
    clip_value = float(clip_value)
    if not clip_value >= 0:
        raise ValueError(f"{where}: clip_value must be >= 0, got {clip_value}")
    params = _grads(parameters, where)
    for p in params:
        if _grad_array(p).dtype.kind == "c":        # (PyTorch's clamp refuses them too)
            raise TypeError(f"{where}: a complex gradient (shape {p.shape}, dtype "
                            f"{_grad_array(p).dtype}) has no order to clip by; use "
                            "clip_grad_norm_, which scales by |g|")
    _clip_value(params, clip_value)


# The clipping itself, on a list of parameters: ``@replayed_function``, so a compiled
# step clips the same parameters' gradients again at each replay.

@replayed_function
def _clip_norm(params, max_norm, norm_type, error_if_nonfinite):
    where = "clip_grad_norm_"
    grads = [_grad_array(p) for p in params]
    total = _total_norm(grads, norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"{where}: the total norm of order {norm_type} of the gradients is {total}, so "
            f"they cannot be clipped ({_why_not_finite(grads, 'gradient')}). Pass "
            "error_if_nonfinite=False to scale them by it anyway.")
    if _overflows_in_float32(grads, total, norm_type):
        warnings.warn(
            f"{where}: the total norm of the float32 gradients is {total:.6g}, summed in "
            "float64 here; PyTorch sums their powers in float32, where they overflow, and "
            "gets inf (it then scales the gradients to 0, or raises with "
            "error_if_nonfinite=True)", RuntimeWarning, stacklevel=user_stacklevel())
    factor = _clip_factor(total, max_norm, _norm_dtype(grads))
    if not math.isfinite(total):
        warnings.warn(
            f"{where}: the total norm of the gradients is {total} "
            f"({_why_not_finite(grads, 'gradient')}), so clipping by it makes them nan or 0, "
            "as in PyTorch; error_if_nonfinite=True raises instead.",
            RuntimeWarning, stacklevel=user_stacklevel())
    with np.errstate(invalid="ignore"):
        for p in params:
            _set_scaled(p, factor)
    return total


@replayed_function
def _clip_value(params, clip_value):
    for p in params:
        grad = _grad_array(p)
        if grad.flags.writeable:
            np.clip(grad, -clip_value, clip_value, out=grad)
        elif isinstance(p.grad, Tensor):
            p.grad.data = np.clip(grad, -clip_value, clip_value)
        else:
            p.grad = np.clip(grad, -clip_value, clip_value)


def _tensors(parameters, where, more_arguments="", arrays=False):
    """The parameters as a list of Tensors (``named_parameters()`` pairs taken too;
    with ``arrays``, ndarrays too, as constant Tensors: the ``.grad`` of parameters)."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    elif callable(parameters) and not hasattr(parameters, "__iter__"):
        name = getattr(parameters, "__name__", "parameters")
        raise TypeError(f"{where}: got the method {name!r} itself, not the parameters; "
                        f"call it: {where}(model.{name}(){more_arguments})")
    out = []
    for i, p in enumerate(parameters):
        if isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str):
            p = p[1]                                   # named_parameters() pairs
        if arrays and isinstance(p, np.ndarray):
            p = Tensor(p)
        if not isinstance(p, Tensor):
            raise TypeError(f"{where}: item {i} of parameters is a {type(p).__name__}, "
                            "not a Tensor; pass model.parameters() or a list of Parameters")
        out.append(p)
    return out


def parameters_to_vector(parameters) -> Tensor:
    """Every parameter flattened and concatenated into one vector, differentiably
    (a gradient of the vector reaches each parameter).

    The entries follow each parameter's own layout here, which for ``Linear`` weights
    is ``(in_features, out_features)``, the transpose of PyTorch's ``(out, in)``: the
    vector of a model with a ``Linear`` (and ``vector_to_parameters`` of a vector made
    by PyTorch) has another order than PyTorch's.  To move weights between the two,
    use ``to_torch_state_dict`` / ``load_torch_state_dict``, which convert the layout.
    The gradients flatten the same way: ``parameters_to_vector(p.grad for p in
    model.parameters())`` takes the ``.grad`` arrays (a vector with no history).

    >>> a, b = ad.nn.Parameter([[1.0, 2.0]]), ad.nn.Parameter([3.0])
    >>> ad.nn.utils.parameters_to_vector([a, b])
    tensor([1., 2., 3.], requires_grad=True)
    """
    params = _tensors(parameters, "parameters_to_vector", arrays=True)
    if not params:
        raise ValueError("parameters_to_vector: got no parameters")
    return concatenate([p.reshape(-1) for p in params])


@refused_function_in_trace
def vector_to_parameters(vec, parameters) -> None:
    """Make each parameter's values a view of consecutive slices of the 1-d ``vec``
    (the inverse of ``parameters_to_vector``; nothing is recorded), as PyTorch's
    ``param.data = vec[i:j].view_as(param).data``.

    The parameters stay the same objects, with their ``.grad`` and ``requires_grad``,
    and share memory with ``vec`` from then on: an in-place write to ``vec`` changes
    them, and an optimizer step on them changes ``vec``.  A parameter takes ``vec``'s
    dtype, as in PyTorch.  A graph recorded before keeps the values it saved.  The
    slices are taken in this library's layouts (a ``Linear``'s weight is ``(in, out)``,
    PyTorch's ``(out, in)``; see ``parameters_to_vector``).

    >>> a, b = ad.nn.Parameter([[0.0, 0.0]]), ad.nn.Parameter([0.0])
    >>> vec = ad.tensor([1.0, 2.0, 3.0])
    >>> ad.nn.utils.vector_to_parameters(vec, [a, b]); a.data
    array([[1., 2.]])
    >>> vec[0] = 5.0; a.data
    array([[5., 2.]])
    """
    where = "vector_to_parameters"
    if not isinstance(vec, (Tensor, np.ndarray)):
        raise TypeError(f"{where}: expected a Tensor, but got: {type(vec).__name__}")
    values = vec.data if isinstance(vec, Tensor) else vec
    if values.ndim != 1:
        raise ValueError(f"{where}: expected a 1-d vector, got shape {values.shape}")
    params = _tensors(parameters, where)
    total = sum(p.data.size for p in params)
    if values.size != total:
        raise ValueError(f"{where}: the vector has {values.size} entries but the "
                         f"parameters have {total} in all")
    offset = 0
    for p in params:
        # A slice of a 1-d array reshapes to a view at any stride, so memory is shared.
        p.data = values[offset:offset + p.data.size].reshape(p.data.shape)
        offset += p.data.size
