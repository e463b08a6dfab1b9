"""Convolution as im2col + one matrix product, its two adjoints, and im2col itself.

A 2-D convolution of ``x`` (N, C, H, W) with ``w`` (O, C/groups, kh, kw) gathers
every receptive field into a column (a strided view of the padded input, copied
once), multiplies by the flattened weight (one GEMM per group) and reshapes:

    y = conv2d(x, w)                   grad_x = conv2d_input_grad(g, w)
                                       grad_w = conv2d_weight_grad(x, g)

``conv2d_input_grad`` is the transposed convolution (GEMM, then a col2im scatter)
and ``conv2d_weight_grad`` the product of the output gradient with the columns.
The three are bilinear and each one's VJPs are the other two, so the family closes
under differentiation and second derivatives through a convolution are exact:

    conv2d_input_grad(g, w):   grad_g = conv2d(u, w)             grad_w = conv2d_weight_grad(u, g)
    conv2d_weight_grad(x, g):  grad_x = conv2d_input_grad(g, v)  grad_g = conv2d(x, v)

``unfold`` (im2col in PyTorch's (N, C*kh*kw, L) layout) and ``fold`` (col2im) are
each other's adjoints in the same way.  Inside conv2d the columns are channels-last,
(groups, N*Ho*Wo, kh*kw*C/groups), so the forward and both backward products are
single 2-D GEMMs when groups == 1.

Every op here takes ``padding`` as (top, bottom, left, right) and ``stride`` /
``dilation`` as pairs; ``autodiff.nn.functional`` normalizes PyTorch's spellings.
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from .namespace import add_to_namespaces
from .registry import defop, defop_joint
from . import shape as _shape

_as_strided = np.lib.stride_tricks.as_strided


def out_size(size, kernel, stride, pad_before, pad_after, dilation):
    """Output length along one axis (floor mode), as PyTorch computes it."""
    return (size + pad_before + pad_after - dilation * (kernel - 1) - 1) // stride + 1


def _padded(x, padding):
    top, bottom, left, right = padding
    if top == bottom == left == right == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))


def windows(x, kernel, stride, padding, dilation):
    """The (N, C, kh, kw, Ho, Wo) strided view of the padded input (no copy beyond the pad)."""
    xp = _padded(x, padding)
    n, c, h, w = xp.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    ho = (h - dh * (kh - 1) - 1) // sh + 1
    wo = (w - dw * (kw - 1) - 1) // sw + 1
    s = xp.strides
    return _as_strided(xp, (n, c, kh, kw, ho, wo),
                       (s[0], s[1], s[2] * dh, s[3] * dw, s[2] * sh, s[3] * sw), writeable=False)


# ----- array implementations -------------------------------------------------------------
# Inside conv2d the image is channels-last: the columns are a (groups, N*Ho*Wo, Kg)
# matrix whose rows are receptive fields in (kh, kw, C/groups) order, so each row is
# gathered from contiguous channel runs and the three products are tall-skinny GEMMs
# (measured here about 1.7x faster than the (K, N*L) orientation).

def _columns(x, w_shape, stride, padding, dilation, groups):
    """im2col of x for a weight of ``w_shape``: (groups, N*Ho*Wo, kh*kw*C/groups), (Ho, Wo)."""
    nhwc = _padded_nhwc(x, padding)
    n, hp, wp, c = nhwc.shape
    (kh, kw), (sh, sw), (dh, dw) = w_shape[2:], stride, dilation
    ho, wo = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
    s = nhwc.strides
    cg = c // groups
    view = _as_strided(nhwc, (groups, n, ho, wo, kh, kw, cg),
                       (s[3] * cg, s[0], s[1] * sh, s[2] * sw, s[1] * dh, s[2] * dw, s[3]),
                       writeable=False)
    return np.ascontiguousarray(view).reshape(groups, n * ho * wo, kh * kw * cg), (ho, wo)


def _padded_nhwc(x, padding):
    top, bottom, left, right = padding
    n, c, h, w = x.shape
    out = np.zeros((n, h + top + bottom, w + left + right, c), dtype=x.dtype)
    out[:, top:top + h, left:left + w, :] = x.transpose(0, 2, 3, 1)
    return out


def _weight_matrix(w, groups):
    """(O, Cg, kh, kw) -> (groups, kh*kw*Cg, O/groups), rows in the columns' order."""
    o, cg, kh, kw = w.shape
    return w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 3, 4, 2, 1).reshape(
        groups, kh * kw * cg, o // groups)


def _grad_rows(g, groups):
    """(N, O, Ho, Wo) output gradient as (groups, N*Ho*Wo, O/groups)."""
    n, o, ho, wo = g.shape
    rows = g.reshape(n, groups, o // groups, ho, wo).transpose(1, 0, 3, 4, 2)
    return np.ascontiguousarray(rows).reshape(groups, n * ho * wo, o // groups)


def _gemm(a, b):
    if a.shape[0] == 1:                       # one group: a plain 2-D GEMM
        return (a[0] @ b[0])[None]
    return np.matmul(a, b)


def _conv2d_with_columns(x, w, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1),
                         groups=1):
    """The convolution on ndarrays and the im2col columns it multiplied (for grad_w)."""
    cols, (ho, wo) = _columns(x, w.shape, stride, padding, dilation, groups)
    out = _gemm(cols, _weight_matrix(w, groups))         # (groups, N*L, O/groups)
    n, o = x.shape[0], w.shape[0]
    out = out.reshape(groups, n, ho, wo, o // groups).transpose(1, 0, 4, 2, 3)
    return np.ascontiguousarray(out).reshape(n, o, ho, wo), cols


def conv2d_array(x, w, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    """The convolution on ndarrays (the columns are not kept)."""
    return _conv2d_with_columns(x, w, stride, padding, dilation, groups)[0]


def conv2d_input_grad_array(g, w, x_shape, stride=(1, 1), padding=(0, 0, 0, 0),
                            dilation=(1, 1), groups=1):
    """The transposed convolution: GEMM with the weight, then col2im onto x's shape."""
    o, cg, kh, kw = w.shape
    n, _, ho, wo = g.shape
    cols = _gemm(_grad_rows(g, groups), _weight_matrix(w, groups).transpose(0, 2, 1))
    cols = cols.reshape(groups, n, ho, wo, kh, kw, cg)
    top, bottom, left, right = padding
    padded = kernels.col2im(cols, (n, x_shape[2] + top + bottom, x_shape[3] + left + right,
                                   groups, cg), stride, dilation)
    inner = padded[:, top:top + x_shape[2], left:left + x_shape[3]]
    return np.ascontiguousarray(inner.reshape(inner.shape[:3] + (groups * cg,))
                                .transpose(0, 3, 1, 2))


def conv2d_weight_grad_array(x, g, w_shape, stride=(1, 1), padding=(0, 0, 0, 0),
                             dilation=(1, 1), groups=1, cols=None):
    """The output gradient times the columns of x (given, or built again)."""
    if cols is None:
        cols, _ = _columns(x, w_shape, stride, padding, dilation, groups)
    o, cg, kh, kw = w_shape
    dw = _gemm(_grad_rows(g, groups).transpose(0, 2, 1), cols)   # (groups, O/groups, Kg)
    return np.ascontiguousarray(dw.reshape(o, kh, kw, cg).transpose(0, 3, 1, 2))


# ----- the three ops -------------------------------------------------------------------------

# conv2d keeps its im2col columns as the node's saved state (saves=True): a plain
# backward multiplies them by g instead of gathering them again; the recorded
# backward (create_graph=True) uses the differentiable ops and ignores them.

def _conv2d_vjp_numpy(g, x, w, needs, cols, **params):
    grad_x = grad_w = None
    if needs[0]:           # (with mixed dtypes the products promote: cast back)
        grad_x = conv2d_input_grad_array(g, w, x.shape, **params).astype(x.dtype, copy=False)
    if needs[1]:
        grad_w = conv2d_weight_grad_array(x, g, w.shape, cols=cols, **params).astype(
            w.dtype, copy=False)
    return [grad_x, grad_w]


def _conv2d_vjp_tensor(g, x, w, needs, cols, **params):
    grad_x = conv2d_input_grad(g, w, x_shape=tuple(x.shape), **params) if needs[0] else None
    grad_w = conv2d_weight_grad(x, g, w_shape=tuple(w.shape), **params) if needs[1] else None
    return [grad_x, grad_w]


def _conv2d_joint(xp, g, ans, needs, x, w, saved=None, **params):
    return xp.conv2d_vjp(g, x, w, needs, saved, **params)


add_to_namespaces("conv2d_vjp", _conv2d_vjp_numpy, _conv2d_vjp_tensor)

conv2d = defop_joint(
    "conv2d", _conv2d_with_columns,
    "grad_x = conv2d_input_grad(g, w) (transposed conv); "
    "grad_w = conv2d_weight_grad(x, g) (g times the im2col columns of x)", _conv2d_joint,
    input_names=("x", "w"), grad_inputs=(0, 1), saves=True, kernel=conv2d_array,
    multilinear=True,
    doc="2-D convolution (cross-correlation, as PyTorch) of NCHW x with (O, C/groups, kh, kw) "
        "w; see F.conv2d.",
    hint="x must be (N, C, H, W) and w (O, C/groups, kh, kw)")


def _input_grad_rule_g(xp, u, ans, g, w, x_shape=None, **params):
    return xp.conv2d(u, w, **params)


def _input_grad_rule_w(xp, u, ans, g, w, x_shape=None, **params):
    return xp.conv2d_weight_grad(u, g, tuple(w.shape), **params)


conv2d_input_grad = defop(
    "conv2d_input_grad", conv2d_input_grad_array,
    doc="The transposed convolution: the gradient of conv2d with respect to its input.",
    g=("conv2d(g_out, w)", _input_grad_rule_g),
    w=("conv2d_weight_grad(g_out, g)", _input_grad_rule_w))


def _weight_grad_rule_x(xp, v, ans, x, g, w_shape=None, **params):
    return xp.conv2d_input_grad(g, v, tuple(x.shape), **params)


def _weight_grad_rule_g(xp, v, ans, x, g, w_shape=None, **params):
    return xp.conv2d(x, v, **params)


conv2d_weight_grad = defop(
    "conv2d_weight_grad", conv2d_weight_grad_array,
    doc="The gradient of conv2d with respect to its weight: g times the columns of x.",
    x=("conv2d_input_grad(g, g_out)", _weight_grad_rule_x),
    g=("conv2d(x, g_out)", _weight_grad_rule_g))


add_to_namespaces("conv2d_input_grad",
                  lambda g, w, x_shape, **p: conv2d_input_grad_array(g, w, x_shape, **p),
                  lambda g, w, x_shape, **p: conv2d_input_grad(g, w, x_shape=x_shape, **p))
add_to_namespaces("conv2d_weight_grad",
                  lambda x, g, w_shape, **p: conv2d_weight_grad_array(x, g, w_shape, **p),
                  lambda x, g, w_shape, **p: conv2d_weight_grad(x, g, w_shape=w_shape, **p))


# ----- unfold (im2col) and fold (col2im) ---------------------------------------------------

def unfold_array(x, kernel, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1)):
    """(N, C, H, W) -> (N, C*kh*kw, L): every receptive field as a column (PyTorch's layout)."""
    view = windows(x, kernel, stride, padding, dilation)
    n, c, kh, kw, ho, wo = view.shape
    return np.ascontiguousarray(view).reshape(n, c * kh * kw, ho * wo)


def fold_array(cols, output_size, kernel, stride=(1, 1), padding=(0, 0, 0, 0),
               dilation=(1, 1)):
    """(N, C*kh*kw, L) -> (N, C, H, W): sums each column back onto its receptive field."""
    (kh, kw), (h, w) = kernel, output_size
    top, bottom, left, right = padding
    ho = out_size(h, kh, stride[0], top, bottom, dilation[0])
    wo = out_size(w, kw, stride[1], left, right, dilation[1])
    n = cols.shape[0]
    c = cols.shape[1] // (kh * kw)
    view = cols.reshape(1, n, c, kh, kw, ho, wo).transpose(0, 1, 5, 6, 3, 4, 2)
    padded = kernels.col2im(view, (n, h + top + bottom, w + left + right, 1, c), stride,
                            dilation)
    inner = padded[:, top:top + h, left:left + w, 0, :]
    return np.ascontiguousarray(inner.transpose(0, 3, 1, 2))


unfold = defop(
    "unfold", unfold_array,
    doc="im2col: (N, C, H, W) -> (N, C*kh*kw, L) (see F.unfold).", reads=(),
    x=("fold(g, x's H and W)",
       lambda xp, g, ans, x, kernel, **p: xp.fold(g, tuple(x.shape[2:]), kernel, **p)))

fold = defop(
    "fold", fold_array,
    doc="col2im: (N, C*kh*kw, L) -> (N, C, H, W), overlapping entries summed (see F.fold).",
    reads=(),
    cols=("unfold(g)",
          lambda xp, g, ans, cols, output_size, kernel, **p: xp.unfold(g, kernel, **p)))

add_to_namespaces("unfold", unfold_array, lambda x, kernel, **p: unfold(x, kernel=kernel, **p))
add_to_namespaces("fold", fold_array,
                  lambda c, size, kernel, **p: fold(c, output_size=size, kernel=kernel, **p))


# ----- constant padding ---------------------------------------------------------------------

def _pad_forward(x, widths, value=0.0):
    if not widths:                     # a 0-d array: nothing to pad
        return np.array(x, copy=True)
    return np.pad(x, widths, constant_values=value)


def _pad_rule(xp, g, ans, x, widths, value=0.0):
    return g[tuple(slice(before, before + n) for (before, _), n in zip(widths, x.shape))]


constant_pad = defop(
    "constant_pad", _pad_forward,
    doc="``np.pad(x, widths, constant_values=value)`` with non-negative widths (see F.pad).",
    x=("g[the slices that hold x]", _pad_rule), reads=())


# ----- max pooling ----------------------------------------------------------------------------

def _max_pool_forward(x, kernel, stride, padding, dilation, out_hw):
    """The pooled output and, as saved state, the flat index of each window's maximum."""
    return kernels.max_pool2d(np.ascontiguousarray(x), out_hw, kernel, stride, padding,
                              dilation)


def _max_pool_kernel(x, kernel, stride, padding, dilation, out_hw):
    return _max_pool_forward(x, kernel, stride, padding, dilation, out_hw)[0]


def _max_pool_backward_numpy(g, x_shape, where):
    return kernels.max_pool2d_backward(g, where, tuple(x_shape))


def _max_pool_backward_tensor(g, x_shape, where):
    n, c, h, w = x_shape
    flat = (where + (np.arange(n * c) * (h * w)).reshape(n, c, 1, 1)).ravel()
    return _shape.reshape(index_add(_shape.reshape(g, (-1,)), (n * c * h * w,), flat), x_shape)


def _max_pool_joint(xp, g, ans, needs, x, saved=None, **params):
    return [xp.max_pool2d_backward(g, tuple(x.shape), saved)]


from .indexing import index_add  # noqa: E402

add_to_namespaces("max_pool2d_backward", _max_pool_backward_numpy, _max_pool_backward_tensor)

max_pool2d = defop_joint(
    "max_pool2d", _max_pool_forward, "grad_x = g added at the position of each window's "
    "maximum", _max_pool_joint, saves=True, kernel=_max_pool_kernel,
    input_names=("x", "kernel", "stride", "padding", "dilation", "out_hw"), grad_inputs=(0,),
    doc="Max pooling over (N, C, H, W) windows (see F.max_pool2d).")
