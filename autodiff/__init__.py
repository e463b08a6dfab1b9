"""autodiff: reverse-mode automatic differentiation over NumPy arrays.

>>> import autodiff as ad
>>> x = ad.tensor([1.0, 2.0], requires_grad=True)
>>> (ad.exp(x) * x).sum().backward()
>>> x.grad            # d/dx x e^x = (1 + x) e^x
array([ 5.43656366, 22.1671683 ])
"""

from . import allocator  # noqa: F401  (glibc's malloc thresholds: see allocator.py)
from .tensor import Tensor, TapeDropWarning, tensor
from .conventions import ConventionWarning
from .graph import no_grad, enable_grad, is_grad_enabled
from .ops.registry import defop, defop_joint, implements, nondifferentiable
from .ops.elementwise import (
    add, subtract, multiply, divide, power, negative, exp, log, log1p, expm1, sqrt, abs,
    sin, cos, tanh, sigmoid, relu, leaky_relu, maximum, minimum, logaddexp, clip, where,
    square, reciprocal, round, floor, sign, astype, copy, stop_gradient, sigmoid_derivative,
    tanh_derivative)
from .ops.activations import erf
from .ops.special import digamma, erfc, erfinv, lgamma, polygamma, xlogy
from .ops.bessel import i0, bessel_i1, bessel_i1_over_x
from .ops.compare import (
    less, less_equal, greater, greater_equal, equal, not_equal, logical_and, logical_or,
    logical_not, logical_xor, bitwise_and, bitwise_or, bitwise_xor, invert, isnan, isfinite, isinf)
from .ops.reduce import sum, mean, max, min, var
from .ops.linalg import matmul, dot, einsum
from .ops.shape import (
    reshape, transpose, swapaxes, expand_dims, squeeze, flatten, broadcast_to, sum_to,
    concatenate, stack, array)
from .ops.shape import split_spelled as split
from .ops.indexing import getitem, take, index_add, setitem, zero_at
from .creation import (
    zeros, ones, full, eye, arange, linspace, logspace, zeros_like, ones_like, full_like, rand,
    randn)
from .inplace import InPlaceError
from .ops.products import inner, outer, tensordot, kron, cross
from .ops.vector_products import vecdot, matvec, vecmat
from .ops.join import (
    vstack, hstack, column_stack, dstack, append, atleast_1d, atleast_2d, atleast_3d,
    array_split, vsplit, hsplit, dsplit)
from .ops.trig import (
    tan, arcsin, arccos, arctan, sinh, cosh, arcsinh, arccosh, arctanh, deg2rad, rad2deg,
    arctan2, hypot)
from .ops.exponentials import log2, log10, exp2, logaddexp2
from .ops.piecewise import (
    mod, fmod, floor_divide, fmax, fmin, fabs, ceil, trunc, fix, nan_to_num, select)
from .ops.complex_parts import real, imag, conj, angle, real_if_close
from .ops.complex_ops import complex, polar, view_as_real, view_as_complex
from .ops.cumulative import cumsum, diff
from .ops.multiplicative import prod, cumprod
from .ops.statistics import std, logsumexp
from .ops.nan_reductions import nansum, nanmean, nanmax, nanmin
from .ops.nan_quantiles import nanquantile, nanpercentile, nanmedian
from .ops.averages import average, median, ptp
from .ops.quantiles import quantile, percentile
from .ops.sampled import gradient, trapezoid
from .ops.covariance import cov, corrcoef
from .ops.exponentials import cbrt, float_power
from .ops.piecewise import heaviside, copysign
from .ops.trig import sinc
from .ops.cumulative import cumulative_sum
from .ops.rearrange import matrix_transpose
from .ops.compare import signbit
from .ops.rearrange import (
    flip, roll, moveaxis, rollaxis, flipud, fliplr, rot90, ravel, fftshift, ifftshift)
from .ops.replicate import repeat, tile, pad
from .ops.diagonals import diag, diagonal, trace, tril, triu
from .ops.ordering import take_along_axis, permute_along_axis, sort, partition
from .ops.windows import sliding_window_view
from .ops.picks import compress, extract, choose, unstack
from .ops.writes import put_along_axis, fill_diagonal  # (also np.put, np.copyto, ...)
from .ops import set_operations as _set_operations  # noqa: F401  (np.union1d ...)
from .ops import complex_results as _complex_results  # noqa: F401  (np.sort_complex)
from .ops import ranges as _ranges  # noqa: F401  (np.linspace on Tensors records)
from .ops import numpy_more as _numpy_more  # noqa: F401  (np.nanvar, np.interp, ... record)
from .ops import signal as _signal  # noqa: F401  (np.convolve, np.unwrap, ... record)
from .ops import fft as _fft_ops  # noqa: F401  (np.fft.fft, np.fft.rfft, ... record)
from .ops import polynomial as _polynomial  # noqa: F401  (np.vander, np.polyfit, ... record)
from .ops import histograms as _histograms  # noqa: F401  (np.histogram records)
from .ops import assemble as _assemble  # noqa: F401  (np.meshgrid, np.block, ... record)
from .ops.assemble import unique_of_ad as unique  # noqa: E402  (warns where NaNs merge)
from .ops import float_parts as _float_parts  # noqa: F401  (np.modf, np.frexp, np.ldexp)
from .ops import histograms_nd as _histograms_nd  # noqa: F401  (np.histogramdd records)
from .ops import scimath as _scimath  # noqa: F401  (np.emath.sqrt, ... record)
from .ops import inspection as _inspection  # noqa: F401  (np.array_str, np.lexsort, ...)
from .ops.running_extrema import cummax, cummin  # noqa: F401  (np.maximum.accumulate, ...)
from .ops import log_add_exp_methods as _log_add_exp  # noqa: F401  (np.logaddexp.reduce, ...)
from .ops import segment_sums as _segment_sums  # noqa: F401  (np.add.reduceat)
from .ops import ufunc_differences as _ufunc_differences  # noqa: F401  (np.subtract.reduce, ...)
from . import linalg, special
from .function import Function, FunctionCtx, custom_gradient
from .transforms import grad, value_and_grad, vjp, jacobian, jacrev, hvp
from .forward import jvp, jacfwd, hessian
from .vmap import vmap
from .gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad
from .printing import set_printoptions
from .legacy_tensors import (
    BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor,
    LongTensor, ShortTensor)

__version__ = "0.1.0"

from . import nn, optim, data, utils, testing, quasirandom
from .memory_formats import (  # noqa: E402  (PyTorch's memory-format constants)
    channels_last, channels_last_3d, contiguous_format, memory_format, preserve_format)
from . import torch_names as _torch_names
from .torch_names import (  # noqa: E402  (PyTorch's top-level names)
    allclose, as_tensor, bmm, cat, clamp, float16, float32, float64, from_numpy,
    get_default_dtype, inference_mode, int8, int16, int32, int64, isclose, manual_seed,
    set_default_dtype, set_grad_enabled, uint8)
from .torch_functions import (  # noqa: E402  (more of PyTorch's top-level names)
    addmm, argsort, broadcast_tensors, cdist, chunk, lerp, log_softmax, meshgrid, norm,
    softmax, topk)
from .torch_random import (  # noqa: E402
    bernoulli, multinomial, normal, poisson, rand_like, randint, randint_like, randn_like,
    randperm)
from .torch_method_functions import (  # noqa: E402  (torch.gather is Tensor.gather ...)
    addcdiv, addcmul, baddbmm, clone, det, diag_embed, div, eq, frac, gather, ge, gt, histc,
    index_select, inverse, kthvalue, le, logcumsumexp, logdet, logit, lt, masked_fill,
    masked_select, mm, mode, movedim, mul, mv, narrow, ne, neg, numel, permute, pinverse,
    repeat_interleave, rsqrt, scatter, scatter_add, slogdet, sub, take_along_dim,
    tensor_split, unbind, unsqueeze)
from .torch_functions_more import (  # noqa: E402
    bucketize, cartesian_prod, combinations, dist, empty, msort, pdist, std_mean, svd,
    var_mean)
from .torch_functions_extra import (  # noqa: E402  (PyTorch's arguments to NumPy's names)
    addmv, broadcast_shapes, clamp_max, clamp_min, cosine_similarity, finfo, iinfo,
    is_floating_point, nonzero, pairwise_distance, promote_types, searchsorted, sgn, swapdims, t,
    unflatten, unique_consecutive)
from .ops.matrix_exp import matrix_exp  # noqa: E402
from .ops.lu import lu_legacy as lu, lu_solve_legacy as lu_solve, lu_unpack  # noqa: E402
from .ops.cholesky_solves import (  # noqa: E402
    cholesky_inverse, cholesky_solve, triangular_solve)
from .torch_nn_functions import (  # noqa: E402  (torch.conv2d, torch.layer_norm ...)
    adaptive_avg_pool1d, adaptive_max_pool1d, alpha_dropout, avg_pool1d, batch_norm, bilinear,
    binary_cross_entropy_with_logits, celu, constant_pad_nd, conv1d, conv2d, conv3d,
    conv_transpose1d, conv_transpose2d, conv_transpose3d, cosine_embedding_loss, ctc_loss,
    dropout, embedding, feature_alpha_dropout, group_norm, hardshrink, hinge_embedding_loss,
    instance_norm, kl_div, layer_norm, margin_ranking_loss, max_pool1d,
    max_pool1d_with_indices, max_pool2d, max_pool3d, pixel_shuffle, pixel_unshuffle,
    poisson_nll_loss, prelu, rms_norm, rrelu, selu, threshold, triplet_margin_loss)
from .torch_windows import (  # noqa: E402  (PyTorch's periodic windows)
    bartlett_window, blackman_window, hamming_window, hann_window, kaiser_window)
from .stft import istft, stft  # noqa: E402  (torch.stft, torch.istft, t.stft, t.istft)
from .torch_functions_assorted import (  # noqa: E402  (torch.rsub, torch.slice_scatter ...)
    addbmm, addr, adjoint, aminmax, chain_matmul, cumulative_trapezoid, detach,
    diagonal_scatter, fill, frobenius_norm, ger, igamma, igammac, index_copy, index_fill, index_put,
    index_reduce, masked_scatter, matrix_power, nuclear_norm, renorm, rsub,
    select_scatter, slice_scatter, split_with_sizes, trapz, unsafe_chunk, unsafe_split)
from .torch_inplace_functions import (  # noqa: E402  (torch.celu_ ...; torch.exp_ below)
    alpha_dropout_, celu_, dropout_, feature_alpha_dropout_, rrelu_, selu_, threshold_)
from .torch_inplace_functions import inplace_functions as _inplace_functions  # noqa: E402
from .torch_functions_sixth import (  # noqa: E402  (torch.qr, torch.svd_lowrank ...)
    binomial, channel_shuffle, cholesky, matrix_rank, mvlgamma, narrow_copy, pca_lowrank, qr,
    resolve_conj, resolve_neg, scalar_tensor, scatter_reduce, svd_lowrank,
    unsafe_split_with_sizes)
from .torch_surface import (  # noqa: E402  (torch.asarray, the settings ...)
    asarray, conj_physical, e, empty_strided, frombuffer, get_default_device,
    get_device, get_num_interop_threads, inf, is_anomaly_check_nan_enabled,
    is_anomaly_enabled, is_complex, is_conj, is_distributed, is_inference,
    is_inference_mode_enabled, is_neg, is_nonzero, is_same_size, is_signed, is_storage,
    is_warn_always_enabled, nan, newaxis, pi, row_stack, set_anomaly_enabled,
    set_default_device, set_flush_denormal, set_num_interop_threads, set_warn_always,
    tril_indices, triu_indices, typename)
from .tensor_flags import layout, strided  # noqa: E402  (torch.layout, torch.strided)
from .torch_surface_extra import (  # noqa: E402  (torch.random, torch.cpu, torch.cond ...)
    GradScaler, cond, cpu, empty_permuted, from_file, hash_tensor, init_num_threads,
    is_vulkan_available, orgqr, set_default_tensor_type, thread_safe_generator, while_loop,
    windows)
from .torch_surface_more import (  # noqa: E402  (torch.as_strided, torch.native_layer_norm ...)
    as_strided, as_strided_copy, conj_physical_, eig, from_dlpack, geqrf, ormqr,
    get_deterministic_debug_mode, lstsq, native_batch_norm, native_channel_shuffle,
    native_group_norm, native_layer_norm, nonzero_static, set_deterministic_debug_mode,
    solve, symeig, to_dlpack, uint16, uint32, uint64)
from .view_copies import (  # noqa: E402  (torch.view_copy ...: the view, then a copy)
    alias_copy, detach_copy, diagonal_copy, expand_copy, permute_copy, select_copy,
    slice_copy, split_copy, split_with_sizes_copy, squeeze_copy, t_copy, transpose_copy,
    unbind_copy, unfold_copy, unsqueeze_copy, view_copy)
from .nn.functional_cells import (  # noqa: E402  (torch.lstm_cell ...: PyTorch's layout)
    gru_cell, lstm_cell, rnn_relu_cell, rnn_tanh_cell)
from .serialization import load, save  # noqa: E402
from .torch_size import Size  # noqa: E402  (torch.Size: shapes are plain tuples)
from .torch_foreach import foreach_functions as _foreach_functions  # noqa: E402
from .torch_settings import (  # noqa: E402  (set-up switches, all met already)
    are_deterministic_algorithms_enabled, get_float32_matmul_precision, is_tensor,
    is_deterministic_algorithms_warn_only_enabled, set_float32_matmul_precision,
    use_deterministic_algorithms)
from .block_diag import block_diag  # noqa: E402
from .lobpcg import lobpcg  # noqa: E402  (dense: the pairs to machine precision)
from .segment_reduce import segment_reduce  # noqa: E402
from .threads import get_num_threads, set_num_threads  # noqa: E402  (BLAS threads)
from .devices import accelerator, backends, cuda, device  # noqa: E402  (only the CPU: no GPU is found)
from . import amp  # noqa: E402  (autocast and GradScaler as PyTorch without a GPU)
from .amp import autocast, is_autocast_enabled  # noqa: E402  (also sets ad.cuda.amp)
from .generator import (  # noqa: E402  (torch.Generator and the default one's functions)
    Generator, default_generator, get_rng_state, initial_seed, seed, set_rng_state)
from . import autograd  # noqa: E402  (PyTorch's torch.autograd.grad, detect_anomaly)
from . import func  # noqa: E402  (torch.func's names for the transforms, functional_call)
from .optim import NoGradientWarning
from .anomaly import AnomalyError, detect_anomaly
from .explain import explain
from .compile import compile  # noqa: E402  (the function; the package is autodiff.compile)
from .compile import NotReplayedWarning, TraceError  # noqa: E402
from .ops import half_math as _half_math  # noqa: E402,F401  (float16 ops rounded once)
from .ops import half_numbers as _half_numbers  # noqa: E402,F401  (float16 * number)
from .warning_lines import install as _install_warning_lines
from .numpy_names import add_numpy_functions as _add_numpy_functions
from .numpy_names import refuse_dim_keywords as _refuse_dim_keywords
from . import zero_dim_dims as _zero_dim_dims
from . import numpy_vectorize as _numpy_vectorize
from . import numpy_series_call as _numpy_series_call

# ad.argmax, ad.histogram, ad.linalg.matrix_rank ...: the NumPy functions that run on
# Tensors and are not defined above, read from the dispatch tables.
_add_numpy_functions(globals(), "numpy")
_add_numpy_functions(vars(linalg), "numpy.linalg")
_refuse_dim_keywords(globals())   # ad.nanmax(x, dim=1): an error naming axis=
globals().update(_inplace_functions())   # ad.exp_(t) is t.exp_(), ... (torch.exp_)
globals().update(_foreach_functions())   # ad._foreach_mul_(tensors, 0.9) ...

_install_warning_lines()     # NumPy's warnings inside an op: shown at the user's line
_zero_dim_dims.install(Tensor, globals())   # t.cumsum(0) of a 0-d tensor is 0-d, as PyTorch's
_numpy_vectorize.install()   # np.vectorize(f)(t) calls f on 0-d Tensors, recorded
_numpy_series_call.install()   # np.polynomial.Chebyshev(c)(t) at a Tensor, recorded


# Imported on first use (``ad.viz``, ``ad.distributions``): graphviz and the drawing
# code are a fifth of the import time of the whole package.
_ON_FIRST_USE = ("viz", "distributions", "fft", "array_api")


from .ops import complex_more  # noqa: E402,F401  (complex twins of ops defined above)
from .ops import complex_linalg  # noqa: E402,F401
from .ops import complex_spectral  # noqa: E402,F401
from .ops import complex_least_squares  # noqa: E402,F401
from .ops import squared_magnitudes  # noqa: E402,F401  (complex 2- and Frobenius norms)
from .ops.scalar_power import finish_twins as _finish_twins  # noqa: E402

_finish_twins()     # the operators' 0-d twins take the complex and float16 twins above

#: PyTorch's dtype names that no NumPy dtype stands for, with what to use instead
_TORCH_DTYPES_NUMPY_LACKS = {"bfloat16": "ad.float16 for 16-bit values, or ad.float32",
                             "complex32": "ad.complex64", "chalf": "ad.complex64"}


#: PyTorch's sparse layouts: every tensor here is a dense NumPy array
_TORCH_SPARSE_NAMES = frozenset({
    "sparse", "sparse_coo_tensor", "sparse_csr_tensor", "sparse_csc_tensor",
    "sparse_bsr_tensor", "sparse_bsc_tensor", "sparse_compressed_tensor"})


#: PyTorch's quantized tensors and their dtypes: every tensor here is a NumPy array
_TORCH_QUANTIZATION_NAMES = frozenset({
    "quantization", "ao", "quantize_per_tensor", "quantize_per_channel",
    "quantize_per_tensor_dynamic", "dequantize", "fake_quantize_per_tensor_affine",
    "fake_quantize_per_channel_affine", "quint8", "qint8", "qint32", "quint4x2"})


#: PyTorch's graph exporters, which have no counterpart here: what to use instead
_TORCH_EXPORTERS = {
    "jit": "TorchScript (torch.jit.script, trace, save)",
    "export": "torch.export (an exported graph program)",
    "onnx": "ONNX export (torch.onnx.export)",
}


def __getattr__(name):
    if name in _ON_FIRST_USE:
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    # ad.long, ad.float (float32, as torch.float), ad.bool ...: looked up here rather than
    # set in the namespace, so that ``from autodiff import *`` leaves the builtins alone.
    if name in _torch_names.TORCH_DTYPE_ALIASES:
        return _torch_names.TORCH_DTYPE_ALIASES[name]
    if name == "range":     # torch.range; a global would shadow the builtin on import *
        from .torch_functions_assorted import torch_range
        return torch_range
    if name in ("random", "signal"):    # torch.random, torch.signal: globals would
        from . import torch_surface_extra   # shadow Python's modules on import *
        return getattr(torch_surface_extra, name)
    if name in _TORCH_DTYPES_NUMPY_LACKS:   # (an AttributeError: hasattr() stays False)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}: NumPy has no "
                             f"{name} dtype; use {_TORCH_DTYPES_NUMPY_LACKS[name]}")
    if name in _TORCH_EXPORTERS:        # (an AttributeError: hasattr() stays False)
        raise AttributeError(
            f"module {__name__!r} has no attribute {name!r}: {_TORCH_EXPORTERS[name]} does "
            "not exist here. Call the module itself; ad.compile(fn) traces a function "
            "once and replays it, for speed; ad.save(model.state_dict(), path) keeps the "
            "weights, and model.to_torch_state_dict() gives them in PyTorch's layout, to "
            "load into the same PyTorch model and export that")
    if name in _TORCH_SPARSE_NAMES:
        raise AttributeError(
            f"module {__name__!r} has no attribute {name!r}: sparse tensors do not exist "
            "here, every tensor is a dense array; build the dense matrix, "
            "ad.zeros(size).index_put_(tuple(indices), values, accumulate=True) (repeated "
            "indices add up, as PyTorch's to_dense(); the gradient reaches values), and "
            "multiply by @ where torch.sparse.mm would")
    if name in _TORCH_QUANTIZATION_NAMES:
        raise AttributeError(
            f"module {__name__!r} has no attribute {name!r}: quantized tensors do not "
            "exist here, every tensor is a NumPy array of an ordinary dtype. Write the "
            "fake quantization itself, with the straight-through gradient of "
            "torch.fake_quantize_per_tensor_affine (1 inside the range, 0 where clipped): "
            "s = x / scale; q = ad.clamp(s + (ad.round(s) - s).detach() + zero_point, qmin, "
            "qmax); x_q = (q - zero_point) * scale; q.detach().astype(ad.uint8) (or "
            "ad.int8) keeps the codes")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_ON_FIRST_USE, *_torch_names.TORCH_DTYPE_ALIASES, "range",
                   "random", "signal"])
