"""The two array namespaces a gradient rule can run with.

``numpy_xp`` holds plain NumPy functions: a normal ``backward()`` runs each rule on
raw arrays, at NumPy speed, recording nothing.  ``tensor_xp`` holds this library's
differentiable ops under the same names: ``backward(create_graph=True)`` runs the
very same rules on Tensors, so the gradient is itself on the tape.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..tensor import Tensor
from . import elementwise as ew
from . import decompositions, indexing, linalg, products, reduce, shape


def _astype_array(x, dtype):
    return np.asarray(x).astype(dtype, copy=False)


def _zeros_like_tensor(x):
    return Tensor(np.zeros_like(np.asarray(x)))


def _ones_like_tensor(x):
    return Tensor(np.ones_like(np.asarray(x)))


numpy_xp = SimpleNamespace(
    where=np.where, exp=np.exp, log=np.log, sqrt=np.sqrt, sign=np.sign, abs=np.abs,
    sin=np.sin, cos=np.cos, tanh=np.tanh, maximum=np.maximum, minimum=np.minimum,
    sum=np.sum, mean=np.mean, reshape=np.reshape, broadcast_to=np.broadcast_to,
    transpose=np.transpose, swapaxes=np.swapaxes, expand_dims=np.expand_dims,
    matmul=np.matmul, einsum=linalg.einsum_array, astype=_astype_array, zeros_like=np.zeros_like,
    ones_like=np.ones_like, sum_to=shape.sum_to_array, index_add=indexing.index_add_array,
    tensordot=np.tensordot, solve=np.linalg.solve, inv=np.linalg.inv,
)

tensor_xp = SimpleNamespace(
    where=ew.where, exp=ew.exp, log=ew.log, sqrt=ew.sqrt, sign=ew.sign, abs=ew.abs,
    sin=ew.sin, cos=ew.cos, tanh=ew.tanh, maximum=ew.maximum, minimum=ew.minimum,
    sum=reduce.sum, mean=reduce.mean, reshape=shape.reshape, broadcast_to=shape.broadcast_to,
    transpose=shape.transpose, swapaxes=shape.swapaxes, expand_dims=shape.expand_dims,
    matmul=linalg.matmul, einsum=linalg.einsum, astype=ew.astype, zeros_like=_zeros_like_tensor,
    ones_like=_ones_like_tensor, sum_to=shape.sum_to, index_add=indexing.index_add,
    tensordot=products.tensordot, solve=decompositions.solve, inv=linalg.inv,
)

if vars(numpy_xp).keys() != vars(tensor_xp).keys():  # pragma: no cover - a coding error
    raise ImportError("numpy_xp and tensor_xp must offer the same names")


def add_to_namespaces(name, numpy_impl, tensor_impl):
    """Make a helper available to rules under ``xp.<name>`` in both modes."""
    setattr(numpy_xp, name, numpy_impl)
    setattr(tensor_xp, name, tensor_impl)


# One-pass backward kernels for the activations (autodiff.kernels) in a plain
# backward; in create_graph mode the same formulas are recorded as ops.
from .. import kernels as _kernels  # noqa: E402

add_to_namespaces("sigmoid_backward", _kernels.sigmoid_backward,
                  lambda g, s: g * (s * (1 - s)))
add_to_namespaces("tanh_backward", _kernels.tanh_backward, lambda g, t: g * (1 - t * t))
add_to_namespaces("relu_backward", _kernels.relu_backward,
                  lambda g, x: ew.where(x > 0, g, 0))
add_to_namespaces("leaky_relu_backward", _kernels.leaky_relu_backward,
                  lambda g, x, slope=0.01: ew.where(x > 0, g, g * slope))
