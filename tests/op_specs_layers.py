"""Specs for convolution, unfold/fold, padding, pooling, the recurrent layers and the
float32 activations of float16 inputs (references: ``nn_reference``).  Imported at the
end of op_specs.py, whose helpers they use: import op_specs (its SPECS include these),
not this module on its own."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from op_specs import SHAPES, Case, Spec, signed_away_from_zero, values

SPECS = []

def _conv_geometry(data):
    """Small random conv settings whose output has at least one position."""
    draw = data.draw
    groups = draw(st.sampled_from([1, 2]), label="groups")
    cg, og = draw(st.integers(1, 2), label="cg"), draw(st.integers(1, 2), label="og")
    kernel = (draw(st.integers(1, 3), label="kh"), draw(st.integers(1, 3), label="kw"))
    stride = (draw(st.integers(1, 2), label="sh"), draw(st.integers(1, 2), label="sw"))
    dilation = (draw(st.integers(1, 2), label="dh"), draw(st.integers(1, 2), label="dw"))
    padding = tuple(draw(st.integers(0, 1), label="pad") for _ in range(4))
    size = []
    for axis in range(2):
        span = dilation[axis] * (kernel[axis] - 1) + 1
        pads = padding[2 * axis] + padding[2 * axis + 1]
        size.append(max(1, span - pads) + draw(st.integers(0, 2), label="extra"))
    n = draw(st.integers(1, 2), label="n")
    params = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return (n, groups * cg) + tuple(size), (groups * og, cg) + kernel, params


def _conv_out_shape(x_shape, w_shape, params):
    from autodiff.ops.conv import out_size
    (sh_, sw_), pads, (dh, dw) = params["stride"], params["padding"], params["dilation"]
    return (x_shape[0], w_shape[0], out_size(x_shape[2], w_shape[2], sh_, pads[0], pads[1], dh),
            out_size(x_shape[3], w_shape[3], sw_, pads[2], pads[3], dw))


def _conv2d_case(data):
    import nn_reference as ref
    from autodiff.ops import conv
    x_shape, w_shape, params = _conv_geometry(data)
    return Case(lambda x, w: conv.conv2d(x, w, **params),
                [values(data, x_shape), values(data, w_shape)],
                lambda x, w: ref.conv2d(x, w, **params))


def _conv2d_input_grad_case(data):
    import nn_reference as ref
    from autodiff.ops import conv
    x_shape, w_shape, params = _conv_geometry(data)
    g_shape = _conv_out_shape(x_shape, w_shape, params)
    return Case(lambda g, w: conv.conv2d_input_grad(g, w, x_shape=x_shape, **params),
                [values(data, g_shape), values(data, w_shape)],
                lambda g, w: ref.conv2d_input_grad(g, w, x_shape, **params))


def _conv2d_weight_grad_case(data):
    import nn_reference as ref
    from autodiff.ops import conv
    x_shape, w_shape, params = _conv_geometry(data)
    g_shape = _conv_out_shape(x_shape, w_shape, params)
    return Case(lambda x, g: conv.conv2d_weight_grad(x, g, w_shape=w_shape, **params),
                [values(data, x_shape), values(data, g_shape)],
                lambda x, g: ref.conv2d_weight_grad(x, g, w_shape, **params))


def _unfold_geometry(data):
    x_shape, w_shape, params = _conv_geometry(data)
    params.pop("groups")
    return x_shape, w_shape[2:], params


def _unfold_case(data):
    import nn_reference as ref
    from autodiff.ops import conv
    x_shape, kernel, params = _unfold_geometry(data)
    return Case(lambda x: conv.unfold(x, kernel=kernel, **params), [values(data, x_shape)],
                lambda x: ref.unfold(x, kernel, **params))


def _fold_case(data):
    import nn_reference as ref
    from autodiff.ops import conv
    x_shape, kernel, params = _unfold_geometry(data)
    cols_shape = ref.unfold(np.zeros(x_shape), kernel, **params).shape
    size = x_shape[2:]
    return Case(lambda c: conv.fold(c, output_size=size, kernel=kernel, **params),
                [values(data, cols_shape)], lambda c: ref.fold(c, size, kernel, **params))


def _constant_pad_case(data):
    from autodiff.ops import conv
    shape = data.draw(SHAPES, label="shape")
    widths = tuple((data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))) for _ in shape)
    value = data.draw(st.sampled_from([0.0, -1.5]), label="value")
    return Case(lambda x: conv.constant_pad(x, widths=widths, value=value),
                [values(data, shape)],
                lambda x: np.pad(x, widths, constant_values=value) if widths else x)


def _max_pool2d_case(data):
    import nn_reference as ref
    from autodiff.nn import functional as F
    draw = data.draw
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)),
             kernel[0] + draw(st.integers(0, 2)), kernel[1] + draw(st.integers(0, 2)))
    return Case(lambda x: F.max_pool2d(x, kernel, stride, padding), [values(data, shape)],
                lambda x: ref.max_pool2d(x, kernel, stride, padding))


def _lstm_layer_case(data):
    import nn_reference as ref
    from autodiff.ops import recurrent
    steps, batch, hidden = (data.draw(st.integers(1, 3), label=k) for k in ("T", "B", "H"))
    inputs = [values(data, (steps, batch, 4 * hidden)), values(data, (batch, hidden)),
              values(data, (batch, hidden)), values(data, (hidden, 4 * hidden))]
    return Case(lambda gx, h0, c0, w: recurrent.lstm_layer(gx, h0, c0, w),
                inputs, ref.lstm_layer)


def _gru_layer_case(data):
    import nn_reference as ref
    from autodiff.ops import recurrent
    steps, batch, hidden = (data.draw(st.integers(1, 3), label=k) for k in ("T", "B", "H"))
    inputs = [values(data, (steps, batch, 3 * hidden)), values(data, (batch, hidden)),
              values(data, (hidden, 3 * hidden)), values(data, (3 * hidden,))]
    return Case(lambda gx, h0, w, b: recurrent.gru_layer(gx, h0, w, b),
                inputs, ref.gru_layer)


SPECS += [
    Spec("conv2d", _conv2d_case), Spec("conv2d_input_grad", _conv2d_input_grad_case),
    Spec("conv2d_weight_grad", _conv2d_weight_grad_case),
    Spec("unfold", _unfold_case), Spec("fold", _fold_case),
    Spec("constant_pad", _constant_pad_case),
    Spec("max_pool2d", _max_pool2d_case, notes="random values: no ties within a window"),
    Spec("lstm_layer", _lstm_layer_case), Spec("gru_layer", _gru_layer_case),
]

_ACTIVATIONS_IN_FLOAT32 = {      # kind -> (coefficients, NumPy reference in float64)
    "silu": ((), lambda a: a / (1.0 + np.exp(-a))),
    "softplus": ((1.0, 20.0), lambda a: np.logaddexp(0.0, a)),
    "mish": ((), lambda a: a * np.tanh(np.logaddexp(0.0, a))),
    "logsigmoid": ((), lambda a: -np.logaddexp(0.0, -a)),
    "tanhshrink": ((), lambda a: a - np.tanh(a)),
    "softsign": ((), lambda a: a / (1.0 + np.abs(a))),
}


def _activation_in_float32_case(data):
    # The op float16 activations take; in float64 it computes in float64, so the
    # generic checks apply (softsign's kink at 0 is kept away from).
    from autodiff.ops.half_activations import activation_in_float32
    kind = data.draw(st.sampled_from(sorted(_ACTIVATIONS_IN_FLOAT32)), label="kind")
    coefficients, reference = _ACTIVATIONS_IN_FLOAT32[kind]
    x = signed_away_from_zero(data, data.draw(SHAPES), 0.1)
    return Case(lambda t: activation_in_float32(t, kind, coefficients), [x], reference)


SPECS.append(Spec("activation_in_float32", _activation_in_float32_case))
