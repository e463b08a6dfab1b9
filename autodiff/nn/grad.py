"""``ad.nn.grad``, as ``torch.nn.grad``: the gradients of a convolution with respect
to its input (``conv2d_input``) and its weight (``conv2d_weight``), for 1, 2 and 3
spatial dims, given the gradient of its output (as a custom ``Function``'s backward
needs them).  A convolution is linear in each, so each is the backward pass of the
convolution taken at zero; it is recorded, so the result has gradients in turn.

>>> w = ad.ones((1, 1, 2)); g = ad.ones((1, 1, 2))
>>> ad.nn.grad.conv1d_input((1, 1, 3), w, g)
tensor([[[1., 2., 1.]]])
"""

from __future__ import annotations

from ..graph import enable_grad
from ..ops.operands import tensor_of
from .conv3d import conv3d
from .functional_conv import conv1d, conv2d

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight",
           "conv3d_input", "conv3d_weight"]


def _gradient(conv, input, weight, grad_output, wanted, stride, padding, dilation, groups):
    """The gradient of ``conv(input, weight)`` weighted by ``grad_output`` with respect
    to the ``wanted`` one of the two (given by its shape, taken at zero)."""
    from ..autograd import grad
    from ..creation import zeros
    grad_output = tensor_of(grad_output)
    with enable_grad():
        if wanted == "input":
            weight = tensor_of(weight)
            point = input = zeros(tuple(input), dtype=weight.dtype, requires_grad=True)
        else:
            input = tensor_of(input)
            point = weight = zeros(tuple(weight), dtype=input.dtype, requires_grad=True)
        output = conv(input, weight, None, stride, padding, dilation, groups)
        if output.shape != grad_output.shape:
            raise RuntimeError(f"{conv.__name__}_{wanted}: grad_output has shape "
                               f"{grad_output.shape}, but the convolution's output has "
                               f"shape {output.shape}")
        return grad(output, point, grad_output, create_graph=True)[0]


def conv1d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1,
                 groups=1):
    """The gradient of ``F.conv1d`` with respect to an input of shape ``input_size``."""
    return _gradient(conv1d, input_size, weight, grad_output, "input", stride, padding,
                     dilation, groups)


def conv1d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1,
                  groups=1):
    """The gradient of ``F.conv1d`` with respect to a weight of shape ``weight_size``."""
    return _gradient(conv1d, input, weight_size, grad_output, "weight", stride, padding,
                     dilation, groups)


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1,
                 groups=1):
    """The gradient of ``F.conv2d`` with respect to an input of shape ``input_size``."""
    return _gradient(conv2d, input_size, weight, grad_output, "input", stride, padding,
                     dilation, groups)


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1,
                  groups=1):
    """The gradient of ``F.conv2d`` with respect to a weight of shape ``weight_size``."""
    return _gradient(conv2d, input, weight_size, grad_output, "weight", stride, padding,
                     dilation, groups)


def conv3d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1,
                 groups=1):
    """The gradient of ``F.conv3d`` with respect to an input of shape ``input_size``."""
    return _gradient(conv3d, input_size, weight, grad_output, "input", stride, padding,
                     dilation, groups)


def conv3d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1,
                  groups=1):
    """The gradient of ``F.conv3d`` with respect to a weight of shape ``weight_size``."""
    return _gradient(conv3d, input, weight_size, grad_output, "weight", stride, padding,
                     dilation, groups)
