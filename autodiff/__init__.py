"""autodiff: reverse-mode automatic differentiation over NumPy arrays.

>>> import autodiff as ad
>>> x = ad.tensor([1.0, 2.0], requires_grad=True)
>>> (ad.exp(x) * x).sum().backward()
>>> x.grad            # d/dx x e^x = (1 + x) e^x
array([ 5.43656366, 22.1671683 ])
"""

from .tensor import Tensor, tensor
from .graph import no_grad, enable_grad, is_grad_enabled
from .ops.registry import defop, defop_joint, implements, nondifferentiable
from .ops.elementwise import (
    add, subtract, multiply, divide, power, negative, exp, log, log1p, expm1, sqrt, abs,
    sin, cos, tanh, sigmoid, relu, leaky_relu, maximum, minimum, logaddexp, clip, where,
    square, reciprocal, round, floor, sign, astype, stop_gradient)
from .ops.compare import (
    less, less_equal, greater, greater_equal, equal, not_equal, logical_and, logical_or,
    logical_not, isnan, isfinite, isinf)
from .ops.reduce import sum, mean, max, min, var
from .ops.linalg import matmul, dot, einsum
from .ops.shape import (
    reshape, transpose, swapaxes, expand_dims, squeeze, flatten, broadcast_to, sum_to,
    concatenate, stack, split)
from .ops.indexing import getitem, take, index_add, setitem, zero_at
from .creation import (
    zeros, ones, full, eye, arange, linspace, zeros_like, ones_like, full_like, rand, randn)
from .inplace import InPlaceError
from . import linalg
from .function import Function, FunctionCtx, custom_gradient
from .transforms import grad, value_and_grad, jacobian, hvp
from .gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad

__version__ = "0.1.0"

from . import nn, optim, data
from .optim import NoGradientWarning
from .anomaly import AnomalyError, detect_anomaly
from .explain import explain
from . import viz
from .compile import compile  # noqa: E402  (the function; the package is autodiff.compile)
