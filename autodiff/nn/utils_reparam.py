"""``weight_norm`` and ``spectral_norm``, PyTorch's hook-based reparametrizations (the
``torch.nn.utils`` functions, not ``torch.nn.utils.parametrizations``).

Each replaces a module's parameter (``weight``) by new ones and registers a forward
pre-hook that recomputes ``module.weight`` from them before every ``forward``, on the
tape, so the gradients reach the new parameters.  ``remove_*`` puts a plain parameter
back with the current value.  A compiled function refuses modules with hooks.

``dim`` counts the axes of the weight as PyTorch lays it out.  Where the library's
layout is transposed (``Linear.weight`` is ``(n_in, n_out)`` here, ``(out, in)`` in
PyTorch; the recurrent layers' weights too), ``dim=0`` still means the output axis,
which is axis 1 of the array here: PyTorch's defaults give PyTorch's numbers, and
``weight_g`` (like the weight) is the transpose of PyTorch's.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .module import Module, Parameter, _generator


def _is_transposed(module, name) -> bool:
    """Whether the library stores ``module.<name>`` transposed from PyTorch's layout."""
    from .modules import Linear
    from .recurrent import PyTorchGateLayout
    return (isinstance(module, Linear) and name == "weight") or \
        (isinstance(module, PyTorchGateLayout) and name.startswith("weight"))


def _axis(module, name, weight, dim, where) -> int:
    """The array axis of ``weight`` that PyTorch's ``dim`` names."""
    ndim = weight.ndim
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or not -ndim <= dim < ndim:
        raise ValueError(f"{where}: dim must be an int in [-{ndim}, {ndim}) for the "
                         f"{ndim}-d {name!r} of {type(module).__name__}, or None; got {dim!r}")
    dim = int(dim) % ndim
    return ndim - 1 - dim if _is_transposed(module, name) else dim


def _parameter(module, name, where) -> Parameter:
    if not isinstance(module, Module):
        raise TypeError(f"{where}: expected a Module, got {type(module).__name__}")
    param = module._parameters.get(name)
    if not isinstance(param, Parameter):
        names = sorted(key for key, value in module._parameters.items() if value is not None)
        raise ValueError(f"{where}: {type(module).__name__} has no parameter {name!r} "
                         f"(its parameters: {names})")
    return param


def _hook_of(module, kind, name):
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, kind) and hook.name == name:
            return key, hook
    return None, None


def _replace_by_plain_parameter(module, name, weight: Tensor) -> None:
    object.__delattr__(module, name)                   # the computed value
    setattr(module, name, Parameter(np.array(weight.data)))


# ----- weight_norm -----------------------------------------------------------------------

class WeightNorm:
    """The forward pre-hook of ``weight_norm``: ``weight = g * v / ||v||``, the norm
    taken over every axis but ``axis`` (all of them when ``axis`` is None)."""

    #: What a compiled function that calls the module is told to use instead.
    compile_instead = "nn.utils.parametrizations.weight_norm"

    def __init__(self, name: str, axis: int | None):
        self.name, self.axis = name, axis

    def compute_weight(self, module) -> Tensor:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / _norm_except(v, self.axis))

    def __call__(self, module, args):
        object.__setattr__(module, self.name, self.compute_weight(module))


def _norm_except(v, axis):
    if axis is None:
        return np.sqrt((v * v).sum())
    others = tuple(i for i in range(v.ndim) if i != axis)
    return np.sqrt((v * v).sum(axis=others, keepdims=True))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Split ``module.<name>`` into a magnitude ``<name>_g`` and a direction
    ``<name>_v`` (``weight = g * v / ||v||``), as ``torch.nn.utils.weight_norm``; the
    norm is taken over every axis but ``dim`` (PyTorch's numbering: see the module
    docstring), over all of them with ``dim=None`` or ``dim=-1`` (PyTorch's meaning of
    -1 here, not the last axis).  Until the first ``forward``,
    ``module.<name>`` holds the value without history (each forward recomputes it on
    the tape; call the layer before using the weight in a loss).  Returns ``module``.

    >>> layer = ad.nn.utils.weight_norm(ad.nn.Linear(3, 2, rng=0))
    >>> sorted(name for name, _ in layer.named_parameters())
    ['bias', 'weight_g', 'weight_v']
    >>> layer.weight_g.shape         # one magnitude per output, as PyTorch's (2, 1).T
    (1, 2)
    """
    where = "weight_norm"
    if isinstance(module, Module) and _hook_of(module, WeightNorm, name)[1] is not None:
        raise RuntimeError(f"{where}: cannot register two weight_norm hooks on the same "
                           f"parameter {name!r}")
    weight = _parameter(module, name, where)
    # dim=-1 is PyTorch's other spelling of None there (norm_except_dim reads it so)
    whole = dim is None or (not isinstance(dim, bool) and isinstance(dim, (int, np.integer))
                            and dim == -1)
    axis = None if whole else _axis(module, name, weight, dim, where)
    hook = WeightNorm(name, axis)
    data = weight.data
    g = np.sqrt(np.sum(data * data)) if axis is None else np.sqrt(np.sum(
        data * data, axis=tuple(i for i in range(data.ndim) if i != axis), keepdims=True))
    delattr(module, name)
    setattr(module, name + "_g", Parameter(np.asarray(g, dtype=data.dtype)))
    setattr(module, name + "_v", Parameter(data))
    # The value only (a graph kept here would hold g and v read-only until a forward)
    object.__setattr__(module, name, hook.compute_weight(module).detach())
    module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``weight_norm``: ``module.<name>`` is a parameter again, with the value
    ``g * v / ||v||`` has now.

    >>> layer = ad.nn.utils.weight_norm(ad.nn.Linear(3, 2, rng=0))
    >>> layer = ad.nn.utils.remove_weight_norm(layer)
    >>> sorted(name for name, _ in layer.named_parameters())
    ['bias', 'weight']
    """
    key, hook = _hook_of(module, WeightNorm, name)
    if hook is None:
        raise ValueError(f"remove_weight_norm: weight_norm of {name!r} not found in "
                         f"{type(module).__name__}")
    weight = hook.compute_weight(module)
    del module._forward_pre_hooks[key]
    delattr(module, name + "_g")
    delattr(module, name + "_v")
    _replace_by_plain_parameter(module, name, weight)
    return module


# ----- spectral_norm ---------------------------------------------------------------------

class SpectralNorm:
    """The forward pre-hook of ``spectral_norm``: ``weight = weight_orig / sigma``, with
    ``sigma = u · (W v)`` estimated by power iteration on the weight as a matrix ``W``
    (PyTorch's ``dim`` axis first, the others flattened); ``u`` and ``v`` are buffers,
    updated only in training mode."""

    #: What a compiled function that calls the module is told to use instead.
    compile_instead = "nn.utils.parametrizations.spectral_norm"

    def __init__(self, name: str, axis: int, n_power_iterations: int, eps: float):
        self.name, self.axis = name, axis
        self.n_power_iterations, self.eps = n_power_iterations, eps

    def matrix(self, weight):
        """``weight`` (array or Tensor) as a matrix with ``axis`` as its rows."""
        if self.axis != 0:
            order = (self.axis,) + tuple(i for i in range(weight.ndim) if i != self.axis)
            weight = weight.transpose(order)
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        if do_power_iteration:
            w = self.matrix(weight.data)
            for _ in range(self.n_power_iterations):
                v[...] = _normalized(w.T @ u, self.eps)
                u[...] = _normalized(w @ v, self.eps)
        # u and v are constants here: the gradient flows through W only, as in PyTorch
        sigma = self.matrix(weight) @ v.copy() @ u.copy()
        return weight / sigma

    def __call__(self, module, args):
        object.__setattr__(module, self.name,
                           self.compute_weight(module, do_power_iteration=module.training))


def _normalized(x, eps):
    return x / max(float(np.linalg.norm(x)), eps)


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None, *, rng=None) -> Module:
    """Divide ``module.<name>`` by its largest singular value before each ``forward``,
    as ``torch.nn.utils.spectral_norm``: the parameter becomes ``<name>_orig``, the
    power-iteration vectors are the buffers ``<name>_u`` and ``<name>_v`` (drawn from
    ``rng`` at first, then ``n_power_iterations`` steps per forward in training mode).
    ``dim`` (PyTorch's numbering, see the module docstring) is the axis of the
    matrix's rows: 0 by default, 1 for a transposed convolution (1d, 2d or 3d).  As in PyTorch,
    ``module.<name>`` keeps the raw weight until the first forward.  Returns ``module``.

    >>> layer = ad.nn.utils.spectral_norm(ad.nn.Linear(4, 3, rng=0), rng=0)
    >>> for _ in range(50):
    ...     _ = layer(ad.tensor(np.ones((1, 4))))
    >>> round(float(np.linalg.norm(layer.weight.data, 2)), 6)
    1.0
    """
    where = "spectral_norm"
    if isinstance(module, Module) and _hook_of(module, SpectralNorm, name)[1] is not None:
        raise RuntimeError(f"{where}: cannot register two spectral_norm hooks on the same "
                           f"parameter {name!r}")
    weight = _parameter(module, name, where)
    if isinstance(n_power_iterations, bool) or not isinstance(
            n_power_iterations, (int, np.integer)) or n_power_iterations <= 0:
        raise ValueError(f"{where}: expected n_power_iterations to be a positive int (as "
                         f"PyTorch), got n_power_iterations={n_power_iterations!r}")
    if dim is None:
        from .conv_transpose import _ConvTransposeNd
        dim = 1 if isinstance(module, _ConvTransposeNd) else 0
    hook = SpectralNorm(name, _axis(module, name, weight, dim, where),
                        int(n_power_iterations), float(eps))
    w = hook.matrix(weight.data)
    gen = _generator(rng)
    u = _normalized(gen.normal(0.0, 1.0, w.shape[0]).astype(w.dtype), hook.eps)
    v = _normalized(gen.normal(0.0, 1.0, w.shape[1]).astype(w.dtype), hook.eps)
    delattr(module, name)
    setattr(module, name + "_orig", weight)
    object.__setattr__(module, name, Tensor(weight.data))
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(hook)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``spectral_norm``: ``module.<name>`` is a parameter again, with the value
    ``<name>_orig / sigma`` has now (no power iteration).

    >>> layer = ad.nn.utils.spectral_norm(ad.nn.Linear(4, 3, rng=0), rng=0)
    >>> layer = ad.nn.utils.remove_spectral_norm(layer)
    >>> sorted(name for name, _ in layer.named_parameters()), list(layer.named_buffers())
    (['bias', 'weight'], [])
    """
    key, hook = _hook_of(module, SpectralNorm, name)
    if hook is None:
        raise ValueError(f"remove_spectral_norm: spectral_norm of {name!r} not found in "
                         f"{type(module).__name__}")
    weight = hook.compute_weight(module, do_power_iteration=False)
    del module._forward_pre_hooks[key]
    delattr(module, name + "_orig")
    delattr(module, name + "_u")
    delattr(module, name + "_v")
    _replace_by_plain_parameter(module, name, weight)
    return module
