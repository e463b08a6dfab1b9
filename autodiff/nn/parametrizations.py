"""PyTorch's ``torch.nn.utils.parametrizations``: ready-made parametrizations
registered with ``parametrize.register_parametrization``: ``weight_norm`` and
``spectral_norm`` (PyTorch's current forms of them; ``ad.nn.utils.weight_norm`` and
``ad.nn.utils.spectral_norm`` are the older hook forms) and ``orthogonal``."""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made, replayed
from ..tensor import Tensor
from . import parametrize
from .module import Module, _generator
from .orthogonal import orthogonal
from .utils_reparam import _axis, _norm_except

__all__ = ["weight_norm", "spectral_norm", "orthogonal"]


class _WeightNorm(Module):
    """``weight = g * v / ||v||``, the norm over every axis but ``axis`` (all with None);
    ``right_inverse`` splits a weight into ``(g, v)``, PyTorch's ``original0`` and
    ``original1``."""

    def __init__(self, axis: int | None):
        super().__init__()
        self.axis = axis

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / _norm_except(weight_v, self.axis))

    def right_inverse(self, weight):
        return _norm_except(weight, self.axis), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as a magnitude ``original0`` (PyTorch's g) times a
    direction ``original1`` (v) over its norm, under
    ``module.parametrizations.<name>``, as ``torch.nn.utils.parametrizations.weight_norm``;
    ``dim`` is PyTorch's numbering (the output axis by default, also for a Linear whose
    weight is stored transposed here), ``None`` or -1 for the norm of the whole tensor.

    >>> layer = ad.nn.utils.parametrizations.weight_norm(ad.nn.Linear(3, 2, rng=0))
    >>> sorted(name for name, _ in layer.named_parameters())
    ['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1']
    >>> layer.to_torch_state_dict()["parametrizations.weight.original0"].shape
    (2, 1)
    """
    where = "parametrizations.weight_norm"
    if not isinstance(module, Module):
        raise TypeError(f"{where}: expected a Module, got {type(module).__name__}")
    weight = getattr(module, name, None)
    if weight is None or not hasattr(weight, "ndim"):
        raise ValueError(f"{where}: {type(module).__name__} has no tensor {name!r}")
    whole = dim is None or (not isinstance(dim, bool) and isinstance(dim, (int, np.integer))
                            and dim == -1)
    axis = None if whole else _axis(module, name, weight, dim, where)
    return parametrize.register_parametrization(module, name, _WeightNorm(axis), unsafe=True)


def _normalized(x: np.ndarray, eps: float) -> np.ndarray:
    return x / max(float(np.linalg.norm(x)), eps)


class _SpectralNorm(Module):
    """``weight / sigma``, ``sigma = u · (W v)`` the largest singular value of the weight
    as a matrix ``W`` (rows along ``axis``, the other axes flattened), estimated by power
    iteration on the buffers ``_u`` and ``_v``: 15 steps when made, ``n_power_iterations``
    at each computation of the weight in training mode, as PyTorch's ``_SpectralNorm``.
    A 1-d weight is divided by its norm."""

    def __init__(self, weight, n_power_iterations: int, axis: int, eps: float):
        super().__init__()
        self.axis, self.eps = axis, float(eps)
        if weight.ndim > 1:
            self.n_power_iterations = n_power_iterations
            matrix = self._matrix(np.asarray(weight.data))
            gen = _generator(None)
            u = gen.standard_normal(matrix.shape[0]).astype(matrix.dtype)
            v = gen.standard_normal(matrix.shape[1]).astype(matrix.dtype)
            self.register_buffer("_u", _normalized(u, self.eps))
            self.register_buffer("_v", _normalized(v, self.eps))
            self._power_method(matrix, 15)

    def _matrix(self, weight):
        """``weight`` (array or Tensor) as a matrix with ``axis`` as its rows."""
        if self.axis != 0:
            order = (self.axis,) + tuple(i for i in range(weight.ndim) if i != self.axis)
            weight = weight.transpose(order)
        return weight.reshape(weight.shape[0], -1)

    @replayed
    def _power_method(self, matrix: np.ndarray, steps: int) -> None:
        for _ in range(steps):               # in place, as PyTorch's out=
            self._u[...] = _normalized(matrix @ self._v, self.eps)
            self._v[...] = _normalized(matrix.T @ self._u, self.eps)

    def forward(self, weight):
        if weight.ndim == 1:
            from .functional_distance import normalize
            return normalize(weight, dim=0, eps=self.eps)
        matrix = self._matrix(weight)
        if self.training:
            self._power_method(np.asarray(matrix.data), self.n_power_iterations)
        # u and v are constants: the gradient flows through W only, as in PyTorch (and
        # copies, taken again at each replay of a compiled step, after its power steps)
        u = made("spectral_norm u", lambda: self._u.copy())
        v = made("spectral_norm v", lambda: self._v.copy())
        sigma = (matrix @ Tensor(v)) @ Tensor(u)
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Divide ``module.<name>`` by its largest singular value, estimated by power
    iteration, as ``torch.nn.utils.parametrizations.spectral_norm``: the weight becomes
    ``parametrizations.<name>.original``, the vectors the buffers
    ``parametrizations.<name>.0._u`` / ``._v`` (drawn from the library's generator,
    ``ad.nn.manual_seed``, then 15 power steps), and each read of ``module.<name>`` in
    training mode takes ``n_power_iterations`` more steps (none in eval mode).  ``dim``
    is PyTorch's numbering (the output axis, also for a Linear whose weight is stored
    transposed here): 0 by default, 1 for a transposed convolution.  Returns ``module``.

    >>> layer = ad.nn.utils.parametrizations.spectral_norm(ad.nn.Linear(4, 3, rng=0))
    >>> round(float(np.linalg.svd(layer.weight.data, compute_uv=False)[0]), 6)
    1.0
    >>> sorted(name for name, _ in layer.named_buffers())
    ['parametrizations.weight.0._u', 'parametrizations.weight.0._v']
    """
    where = "parametrizations.spectral_norm"
    weight = parametrize.module_tensor(where, module, name)
    if isinstance(n_power_iterations, bool) or not isinstance(
            n_power_iterations, (int, np.integer)) or n_power_iterations <= 0:
        raise ValueError(f"{where}: expected n_power_iterations to be a positive int, got "
                         f"n_power_iterations={n_power_iterations!r}")
    if dim is None:
        from .conv_transpose import _ConvTransposeNd
        dim = 1 if isinstance(module, _ConvTransposeNd) else 0
    ndim = weight.ndim
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) \
            or not -ndim <= dim < ndim:
        raise IndexError(f"{where}: dimension out of range (expected to be in range of "
                         f"[-{ndim}, {ndim - 1}] but got {dim!r})")
    axis = _axis(module, name, weight, dim, where) if ndim > 1 else 0
    return parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, int(n_power_iterations), axis, eps))
