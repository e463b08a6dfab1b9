"""Convolution, pooling and padding with PyTorch's conventions (part of ``F``).

Images are NCHW, or one unbatched CHW image (as in PyTorch; see ``unbatched``); a conv2d
weight is (out_channels, in_channels/groups, kh, kw) and the operation is a
cross-correlation, as in PyTorch.  ``stride``, ``padding`` and
``dilation`` take an int or a pair; ``padding`` also takes ``'valid'`` (none) and
``'same'`` (output as large as the input; stride 1 only; an odd total goes one more
to the bottom/right, as PyTorch does).
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..compile.hooks import made
from ..ops import conv as _conv
from ..ops import shape as _shape
from ..ops.indexing import getitem, take
from ..tensor import Tensor
from .complex_conv import also_complex
from .half_precision import check_float16_operands, rounded_once
from .unbatched import unbatched_too

_PAD_MODES = {"constant": None, "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _shape_of(x):
    return tuple(x.shape) if isinstance(x, Tensor) else np.shape(x)


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


def _int_tuple(value, count, what, where, minimum=1):
    """``value`` (an int, or a tuple of ``count`` ints) as a tuple of ``count`` ints, each
    at least ``minimum``; refused naming ``where`` and ``what`` otherwise."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (int(value),) * count
    try:
        ints = tuple(int(v) for v in value)
        ok = len(ints) == count and all(v == w for v, w in zip(ints, value))
    except (TypeError, ValueError):
        ok = False
    if not ok or min(ints) < minimum:
        several = "a pair of them" if count == 2 else f"a tuple of {count} of them"
        raise ValueError(f"{where}: {what} must be an int >= {minimum} or {several}, "
                         f"got {value!r}")
    return ints


def _pair(value, what, where, minimum=1):
    return _int_tuple(value, 2, what, where, minimum)


def _float_input(x, where):
    dtype = x.dtype if isinstance(x, Tensor) else np.asarray(x).dtype
    if dtype.kind == "c":
        raise TypeError(f"{where}: complex input ({dtype}) is not supported here: the op's "
                        "gradient rules are written for real numbers; apply it to x.real "
                        "and x.imag and combine the results")
    if dtype.kind != "f":
        raise TypeError(f"{where}: expected floating-point input, got dtype {dtype}; "
                        "convert first, e.g. x.astype(np.float32)")


# ----- pad ----------------------------------------------------------------------------------

def pad(x, pad: tuple, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` axes, PyTorch's way: ``pad`` lists
    (before, after) amounts starting from the LAST axis, so ``(1, 2)`` pads the last
    axis by 1 before and 2 after, and ``(1, 1, 2, 2)`` pads the last axis by 1 and
    the one before it by 2.  Negative amounts crop.  ``mode`` is ``'constant'``
    (with ``value``, 0 when None as in PyTorch; a Tensor value gets its gradient),
    ``'reflect'``, ``'replicate'`` or ``'circular'`` (which take no ``value`` and, as in
    PyTorch, pad 1 to 3 axes of a (C, *) or (N, C, *) input).

    >>> F.pad(ad.tensor([[1.0, 2.0]]), (1, 0))
    tensor([[0., 1., 2.]])
    >>> F.pad(ad.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect")
    tensor([[3., 2., 1., 2., 3., 2.]])
    """
    shape = _shape_of(x)
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {list(_PAD_MODES)}, got {mode!r}")
    if value is None:
        value = 0.0
    elif mode != "constant" and (isinstance(value, Tensor) or value != 0):
        raise ValueError(f"pad: mode {mode!r} takes no value (got {value!r}); it is for "
                         "mode='constant' (PyTorch refuses it too)")
    if not all(isinstance(p, (int, np.integer)) and not isinstance(p, bool) for p in pad):
        raise TypeError(f"pad: pad must hold whole numbers of cells, got {tuple(pad)} "
                        "(PyTorch refuses other amounts too)")
    amounts = tuple(int(p) for p in pad)
    if len(amounts) % 2 or len(amounts) // 2 > len(shape):
        raise ValueError(f"pad: pad must hold (before, after) pairs for at most {len(shape)} "
                         f"axes (the input has shape {shape}), got {tuple(pad)}")
    padded_axes = len(amounts) // 2
    if mode != "constant" and not (1 <= padded_axes <= 3
                                   and len(shape) in (padded_axes + 1, padded_axes + 2)):
        raise ValueError(f"pad: mode {mode!r} pads the last 1, 2 or 3 axes of an unbatched "
                         "(C, *) or batched (N, C, *) input, so padding k axes needs a "
                         f"(k+1)-D or (k+2)-D input, as in PyTorch; got pad {tuple(pad)} "
                         f"({padded_axes} axes) for shape {shape} (ad.pad, NumPy's, pads "
                         "any axes)")
    widths = [(0, 0)] * len(shape)
    for k in range(len(amounts) // 2):
        widths[len(shape) - 1 - k] = (amounts[2 * k], amounts[2 * k + 1])
    x = _as_tensor(x)
    if any(b < 0 or a < 0 for b, a in widths):           # crop first
        key = tuple(slice(max(-b, 0), n - max(-a, 0)) for (b, a), n in zip(widths, shape))
        x = getitem(x, key)
        widths = [(max(b, 0), max(a, 0)) for b, a in widths]
    if not any(b or a for b, a in widths):
        return x
    if mode == "constant":
        if isinstance(value, Tensor) and value.requires_grad:
            # value * (1 on the border, 0 inside): value gets the sum of g over the border
            border = made("pad border", _pad_border, (x.shape, tuple(widths), x.dtype))
            return _conv.constant_pad(x, widths=tuple(widths), value=0.0) + value * border
        return _conv.constant_pad(x, widths=tuple(widths), value=value)
    for axis, (before, after) in enumerate(widths):
        if not (before or after):
            continue
        n = x.shape[axis]
        if mode == "reflect" and max(before, after) >= n:
            raise ValueError(f"pad: reflect padding of ({before}, {after}) needs each amount "
                             f"smaller than the axis size {n} (axis {axis} of shape {shape})")
        if mode == "circular" and max(before, after) > n:
            raise ValueError(f"pad: circular padding of ({before}, {after}) needs each amount "
                             f"at most the axis size {n} (axis {axis} of shape {shape})")
        index = made("pad index", _pad_index, (n, before, after, _PAD_MODES[mode]))
        x = take(x, index, axis=axis)
    return x


def _pad_border(shape, widths, dtype):
    return np.pad(np.zeros(shape, dtype), widths, constant_values=1)


def _pad_index(n, before, after, numpy_mode):
    """Which of ``n`` positions each padded position copies (made again at a replay)."""
    return np.pad(np.arange(n), (before, after), mode=numpy_mode)


# ----- argument handling for the 2-D ops ------------------------------------------------------

def check_batched(x, where, axes, channels=None, what="input"):
    """The shape of ``x``, refused (naming ``where``) unless it has the axes ``axes``
    (``"N, C, H, W"``) and, when given, ``channels`` along axis 1.  The public functions
    take one unbatched sample too, through ``unbatched_too``, which adds the batch axis
    before this check."""
    shape = _shape_of(x)
    rank = axes.count(",") + 1
    if len(shape) != rank:
        raise ValueError(f"{where}: expected a {rank}-D {what} ({axes}), got shape "
                         f"{tuple(shape)}")
    if channels is not None and shape[1] != channels:
        last = (f"; its last axis holds {channels}: for channels-last images (N, ..., C) "
                f"move them to axis 1 with x.permute(0, {rank - 1}, "
                f"{', '.join(str(k) for k in range(1, rank - 1))})"
                if shape[-1] == channels else "")
        raise ValueError(f"{where}: expected {channels} input channels (axis 1 of the "
                         f"({axes}) input), got {shape[1]} (input shape {tuple(shape)})"
                         f"{last}")
    return shape


def _check_image(x, where, channels=None, what="input"):
    return check_batched(x, where, "N, C, H, W", channels, what)


def _padding4(padding, kernel, dilation, stride, where):
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(f"{where}: padding='same' needs stride 1, got stride {stride}")
            pads = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pads += [total // 2, total - total // 2]
            return tuple(pads)
        raise ValueError(f"{where}: padding must be an int, a pair, 'same' or 'valid', "
                         f"got {padding!r}")
    ph, pw = _pair(padding, "padding", where, minimum=0)
    return (ph, ph, pw, pw)


def _check_fits(where, hw, kernel, padding, dilation, stride):
    (h, w), (kh, kw) = hw, kernel
    ho = _conv.out_size(h, kh, stride[0], padding[0], padding[1], dilation[0])
    wo = _conv.out_size(w, kw, stride[1], padding[2], padding[3], dilation[1])
    if ho < 1 or wo < 1:
        span = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
        padded = (h + padding[0] + padding[1], w + padding[2] + padding[3])
        raise ValueError(f"{where}: the kernel (extent {span[0]}x{span[1]} with dilation) is "
                         f"larger than the padded input ({padded[0]}x{padded[1]}, from "
                         f"{h}x{w} with padding); use a smaller kernel or more padding")
    return ho, wo


# ----- unfold / fold -------------------------------------------------------------------------

@unbatched_too("N, C, H, W")
def unfold(x, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """im2col: every (C, kh, kw) receptive field of NCHW ``x`` as a column, shape
    (N, C*kh*kw, L) with L = Ho*Wo, in PyTorch's order (channel, then kernel row, then
    kernel column).  ``conv2d(x, w)`` equals ``w.reshape(O, -1) @ unfold(x, (kh, kw))``
    reshaped to (N, O, Ho, Wo).  An unbatched (C, H, W) image gives (C*kh*kw, L), as
    in PyTorch.

    >>> F.unfold(ad.tensor(np.arange(9.0).reshape(1, 1, 3, 3)), 2).shape
    (1, 4, 4)
    """
    where = "unfold"
    kernel = _pair(kernel_size, "kernel_size", where)
    dilation = _pair(dilation, "dilation", where)
    stride = _pair(stride, "stride", where)
    padding = _padding4(padding, kernel, dilation, stride, where)
    _check_fits(where, _shape_of(x)[2:], kernel, padding, dilation, stride)
    return _conv.unfold(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation)


@unbatched_too("N, C*kh*kw, L")
def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """col2im, the adjoint of ``unfold``: (N, C*kh*kw, L) columns summed back into an
    (N, C, H, W) image of ``output_size`` (H, W); overlapping entries add up.
    Unbatched (C*kh*kw, L) columns give a (C, H, W) image, as in PyTorch.

    >>> cols = F.unfold(ad.tensor(np.ones((1, 1, 3, 3))), 2)
    >>> F.fold(cols, (3, 3), 2)[0, 0]          # how many windows cover each pixel
    tensor([[1., 2., 1.],
            [2., 4., 2.],
            [1., 2., 1.]])
    """
    where = "fold"
    kernel = _pair(kernel_size, "kernel_size", where)
    dilation = _pair(dilation, "dilation", where)
    stride = _pair(stride, "stride", where)
    size = _pair(output_size, "output_size", where)
    padding = _padding4(padding, kernel, dilation, stride, where)
    shape = _shape_of(x)
    ho, wo = _check_fits(where, size, kernel, padding, dilation, stride)
    k = kernel[0] * kernel[1]
    if len(shape) != 3 or shape[1] % k or shape[2] != ho * wo:
        raise ValueError(f"fold: expected input (N, C*{k}, {ho * wo}) (or (C*{k}, {ho * wo}) "
                         f"unbatched) for kernel {kernel} and output size {size}, got shape "
                         f"{tuple(shape)}")
    return _conv.fold(x, output_size=size, kernel=kernel, stride=stride, padding=padding,
                      dilation=dilation)


# ----- convolutions ------------------------------------------------------------------------

def _checked_weight_and_groups(x, weight, groups, layout, where):
    """Check a 2-D convolution's arguments: ``x`` floating-point, ``weight`` 4-D (axes
    ``layout``, kh, kw) and ``groups`` a positive int.  Return the weight's shape and
    ``groups`` as an int."""
    _float_input(x, where)
    w_shape = _shape_of(weight)
    if len(w_shape) != 4:
        raise ValueError(f"{where}: expected a 4-D weight ({layout}, kh, kw), got shape "
                         f"{tuple(w_shape)}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{where}: groups must be a positive int, got {groups!r}")
    return w_shape, int(groups)


@also_complex
@unbatched_too("N, C, H, W")
def _conv2d(x, weight, bias, stride, padding, dilation, groups, where):
    w_shape, groups = _checked_weight_and_groups(
        x, weight, groups, "out_channels, in_channels/groups", where)
    o, cg, kh, kw = w_shape
    if o % groups:
        raise ValueError(f"{where}: groups={groups} must divide out_channels={o}")
    shape = _check_image(x, where, channels=cg * groups)
    stride = _pair(stride, "stride", where)
    dilation = _pair(dilation, "dilation", where)
    padding = _padding4(padding, (kh, kw), dilation, stride, where)
    _check_fits(where, shape[2:], (kh, kw), padding, dilation, stride)
    if bias is not None and _shape_of(bias) != (o,):
        raise ValueError(f"{where}: expected a bias of shape ({o},), got "
                         f"{tuple(_shape_of(bias))}")
    check_float16_operands(where, x, weight, bias)

    def convolved(x, weight, bias):
        out = _conv.conv2d(x, weight, stride=stride, padding=padding, dilation=dilation,
                           groups=groups)
        return out if bias is None else out + _shape.reshape(bias, (1, o, 1, 1))
    return rounded_once(convolved, x, weight, bias)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution of NCHW ``x`` with ``weight`` (out, in/groups, kh, kw), plus ``bias``
    (out,), exactly as ``torch.nn.functional.conv2d`` (a cross-correlation: the kernel is
    not flipped).  Computed as im2col through a strided view and one matrix product.

    >>> x = ad.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> F.conv2d(x, ad.tensor(np.ones((1, 1, 2, 2))), stride=2)[0, 0]
    tensor([[10., 18.],
            [42., 50.]])
    """
    return _conv2d(x, weight, bias, stride, padding, dilation, groups, "conv2d")


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution of (N, C, L) ``x`` with ``weight`` (out, in/groups, k), as
    ``torch.nn.functional.conv1d`` (computed as a conv2d of height 1).

    >>> F.conv1d(ad.tensor([[[1.0, 2.0, 3.0]]]), ad.tensor([[[1.0, -1.0]]]))
    tensor([[[-1., -1.]]])
    """
    return _conv1d(x, weight, bias, stride, padding, dilation, groups, "conv1d")


def _int1(value, what, where, minimum=1):
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{where}: {what} must be an int >= {minimum}, got {value!r}")
    return int(value)


@also_complex
@unbatched_too("N, C, L")
def _conv1d(x, weight, bias, stride, padding, dilation, groups, where):
    shape, w_shape = _shape_of(x), _shape_of(weight)
    check_batched(x, where, "N, C, L")
    if len(w_shape) != 3:
        raise ValueError(f"{where}: expected a 3-D weight (out_channels, in_channels/groups, "
                         f"k), got shape {tuple(w_shape)}")
    if isinstance(groups, (int, np.integer)) and groups >= 1 and shape[1] != w_shape[1] * groups:
        raise ValueError(f"{where}: expected {w_shape[1] * groups} input channels (axis 1 of "
                         f"the (N, C, L) input), got {shape[1]} (input shape {tuple(shape)})")
    stride = (1, _int1(stride, "stride", where))
    dilation = (1, _int1(dilation, "dilation", where))
    if not isinstance(padding, str):
        padding = (0, _int1(padding, "padding", where, minimum=0))
    x4 = _shape.reshape(x, (shape[0], shape[1], 1, shape[2]))
    w4 = _shape.reshape(weight, (w_shape[0], w_shape[1], 1, w_shape[2]))
    out = _conv2d(x4, w4, bias, stride, padding, dilation, groups, where)
    return _shape.reshape(out, (out.shape[0], out.shape[1], out.shape[3]))


# ----- pooling ------------------------------------------------------------------------------

def _pool_sizes(shape, kernel, stride, padding, dilation, ceil_mode, where):
    sizes = []
    for n, k, s, p, d in zip(shape[2:], kernel, stride, padding, dilation):
        if p > k // 2:
            raise ValueError(f"{where}: padding {padding} must be at most half the kernel "
                             f"size {kernel}")
        span = d * (k - 1) + 1
        if n + 2 * p < span:
            raise ValueError(f"{where}: the kernel (extent {span} with dilation) is larger than "
                             f"the padded input ({n + 2 * p}, from {n} with padding {p}); "
                             f"input shape {tuple(shape)}; use a kernel of at most {n + 2 * p} "
                             "there, pad the input, or pool an earlier, larger feature map")
        if ceil_mode:
            out = -(-(n + 2 * p - span) // s) + 1
            if (out - 1) * s >= n + p:      # the last window must start inside the input
                out -= 1
        else:
            out = (n + 2 * p - span) // s + 1
        sizes.append(out)
    return tuple(sizes)


def _pool_args(x, kernel_size, stride, padding, dilation, where):
    shape = _check_image(x, where)
    kernel = _pair(kernel_size, "kernel_size", where)
    stride = kernel if stride is None or stride == () else _pair(stride, "stride", where)
    padding = _pair(padding, "padding", where, minimum=0)
    dilation = _pair(dilation, "dilation", where)
    return shape, kernel, stride, padding, dilation


@unbatched_too("N, C, H, W")
def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    """Maximum over each (kh, kw) window of NCHW ``x``, as ``torch.nn.functional.max_pool2d``
    (``stride`` defaults to ``kernel_size``; padding counts as -inf).

    The gradient of each output goes to one input: the first maximum of its window in
    row-major order (PyTorch also picks a single one).  A window holding NaN outputs NaN.
    ``return_indices=True`` also returns where each maximum is (``h * W + w`` in its
    plane, int64, as PyTorch), for ``F.max_unpool2d``.

    >>> x = ad.tensor([[[[1.0, 2.0], [4.0, 3.0]]]], requires_grad=True)
    >>> F.max_pool2d(x, 2).backward(np.ones((1, 1, 1, 1))); x.grad[0, 0]
    array([[0., 0.],
           [1., 0.]])
    >>> F.max_pool2d(x, 2, return_indices=True)[1]
    tensor([[[[2]]]])
    """
    where = "max_pool2d"
    _float_input(x, where)
    shape, kernel, stride, padding, dilation = _pool_args(x, kernel_size, stride, padding,
                                                          dilation, where)
    out_hw = _pool_sizes(shape, kernel, stride, padding, dilation, ceil_mode, where)
    _refuse_windows_in_padding(shape[2:], kernel, stride, padding, dilation, out_hw)
    out = _conv.max_pool2d(x, kernel=kernel, stride=stride, padding=padding,
                           dilation=dilation, out_hw=out_hw)
    if return_indices:
        return out, max_indices(x, kernel, stride, padding, dilation, out_hw)
    return out


def max_indices(x, kernel, stride, padding, dilation, out_hw) -> Tensor:
    """PyTorch's ``return_indices`` of a 2-D max pooling: the in-plane index ``h * W + w``
    of each window's first maximum, as an int64 Tensor.  No gradient flows through
    indices: they are computed off the tape (and again at each replay of a compiled
    function)."""
    data = _as_tensor(x).data
    return Tensor(made("max pool indices", _max_indices,
                       (data, kernel, stride, padding, dilation, out_hw)))


def _max_indices(x, kernel, stride, padding, dilation, out_hw):
    where = kernels.max_pool2d(np.ascontiguousarray(x), out_hw, kernel, stride, padding,
                               dilation)[1]
    return where.astype(np.int64)


def _refuse_windows_in_padding(size, kernel, stride, padding, dilation, out_hw,
                               where="max_pool2d") -> None:
    """Raise when a max-pooling window holds padding only: its maximum would be -inf,
    with no input to send the gradient to."""
    for axis, (n, k, s, p, d, count) in enumerate(zip(size, kernel, stride, padding,
                                                      dilation, out_hw)):
        starts = np.arange(count) * s - p
        taps = starts[:, None] + d * np.arange(k)
        empty = ~((taps >= 0) & (taps < n)).any(axis=1)
        if empty.any():
            raise ValueError(
                f"{where}: the window of output {int(np.argmax(empty))} along axis "
                f"{axis + 2} covers padding only (input size {n}, kernel {k}, stride {s}, "
                f"padding {p}, dilation {d}): it has no input to take the maximum of. "
                "Use less padding or dilation.")


@unbatched_too("N, C, H, W")
def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over each (kh, kw) window of NCHW ``x``, as ``torch.nn.functional.avg_pool2d``:
    zero padding counts in the mean unless ``count_include_pad=False``; windows that
    ``ceil_mode`` lets run past the padding divide by the part inside it.  An int
    ``divisor_override`` divides every window's sum instead.

    >>> F.avg_pool2d(ad.tensor(np.arange(16.0).reshape(1, 1, 4, 4)), 2)[0, 0]
    tensor([[ 2.5,  4.5],
            [10.5, 12.5]])
    """
    where = "avg_pool2d"
    _float_input(x, where)
    divisor_override = checked_divisor(divisor_override, where)
    shape, kernel, stride, padding, _ = _pool_args(x, kernel_size, stride, padding, 1, where)
    ho, wo = _pool_sizes(shape, kernel, stride, padding, (1, 1), ceil_mode, where)
    (h, w), (kh, kw), (sh, sw), (ph, pw) = shape[2:], kernel, stride, padding
    # Pad with zeros: the padding, and beyond it whatever ceil mode's last window needs.
    extra_h = max(0, (ho - 1) * sh + kh - (h + 2 * ph))
    extra_w = max(0, (wo - 1) * sw + kw - (w + 2 * pw))
    widths = ((0, 0), (0, 0), (ph, ph + extra_h), (pw, pw + extra_w))

    def averaged(x):
        padded = _conv.constant_pad(x, widths=widths, value=0.0) if any(map(any, widths)) else x
        total = None
        for i in range(kh):
            for j in range(kw):
                part = getitem(padded, (slice(None), slice(None),
                                        slice(i, i + sh * (ho - 1) + 1, sh),
                                        slice(j, j + sw * (wo - 1) + 1, sw)))
                total = part if total is None else total + part
        if divisor_override is not None:
            return total / divisor_override
        divisor = made("pool divisor", _pool_divisor,
                       ((h, w), (kh, kw), (sh, sw), (ph, pw), (extra_h, extra_w), (ho, wo),
                        count_include_pad, x.dtype))
        return total / divisor
    # float16 summed in float32 and rounded once, as PyTorch's CPU kernel
    return rounded_once(averaged, _as_tensor(x))


def checked_divisor(divisor_override, where):
    """``divisor_override`` as an int other than 0, or None (PyTorch's check)."""
    if divisor_override is None:
        return None
    if isinstance(divisor_override, bool) or not isinstance(divisor_override,
                                                            (int, np.integer)):
        raise TypeError(f"{where}: divisor_override must be an int or None, got "
                        f"{divisor_override!r}")
    if divisor_override == 0:
        raise ValueError(f"{where}: divisor_override must not be zero")
    return int(divisor_override)


def _pool_divisor(size, kernel, stride, padding, extra, out, count_include_pad, dtype):
    """How many cells of each pooling window fall inside the counted region."""
    (h, w), (kh, kw), (sh, sw), (ph, pw), (extra_h, extra_w), (ho, wo) = (
        size, kernel, stride, padding, extra, out)
    counted = np.zeros((h + 2 * ph + extra_h, w + 2 * pw + extra_w))
    if count_include_pad:
        counted[:h + 2 * ph, :w + 2 * pw] = 1
    else:
        counted[ph:ph + h, pw:pw + w] = 1
    view = np.lib.stride_tricks.sliding_window_view(counted, (kh, kw))[::sh, ::sw][:ho, :wo]
    return view.sum(axis=(2, 3)).astype(dtype)
