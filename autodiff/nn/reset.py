"""``reset_parameters()`` of the layers PyTorch gives one: the parameters are drawn
afresh as the layer's constructor draws them, in place (an optimizer holding them goes
on training the same arrays), from ``rng`` (default: the generator set by
``ad.nn.manual_seed``).

>>> layer = ad.nn.Linear(3, 2, rng=0)
>>> layer.reset_parameters(rng=1)
>>> bool(abs(layer.weight.data).max() <= 1 / 3 ** 0.5)
True
"""

from __future__ import annotations

import math

import numpy as np

from ..compile.hooks import refuse_call_in_trace
from ..guard import note_unguarded_write
from .module import _generator
from .parameter import is_lazy


def _own_parameters(module):
    """The module's own parameters by name, after refusing a parametrized one (its
    stored array is not the parameter the layer reads)."""
    where = f"{type(module).__name__}.reset_parameters"
    # (inside ad.compile a replay would skip the draw and keep the traced values)
    refuse_call_in_trace(where)
    if "parametrizations" in module._modules:
        names = ", ".join(module._modules["parametrizations"].keys())
        raise TypeError(f"{where}: {names} is parametrized; remove the parametrization "
                        f"(nn.utils.parametrize.remove_parametrizations) first, or "
                        f"initialise its original with nn.init")
    return {name: param for name, param in module._parameters.items()
            if param is not None and not is_lazy(param)}


def _write(param, values, where) -> None:
    array = param.data
    if not array.flags.writeable:
        raise RuntimeError(f"{where}: a parameter is saved by a graph that has not run "
                           f"backward yet (or is read-only); run backward or drop the "
                           f"graph before resetting")
    array[...] = values
    note_unguarded_write(array)         # guard.py: a transform's results may still read it


def normal_table(gen, std, shape, dtype) -> np.ndarray:
    """``std * N(0, 1)`` of ``dtype``; a complex dtype draws each part with variance
    ``std**2 / 2``, as PyTorch's ``normal_``."""
    if np.dtype(dtype).kind == "c":
        scale = std / math.sqrt(2)
        return (scale * gen.standard_normal(shape)
                + 1j * scale * gen.standard_normal(shape)).astype(dtype)
    return (std * gen.standard_normal(shape)).astype(dtype)


def redraw_uniform(module, bound, rng=None) -> None:
    """Every own parameter of ``module`` uniform in ``±bound`` (Linear, convolutions,
    Bilinear, recurrent layers and cells: PyTorch's default for each)."""
    from .modules import uniform_values
    gen = _generator(rng)
    where = f"{type(module).__name__}.reset_parameters"
    for param in _own_parameters(module).values():
        _write(param, uniform_values(gen, bound, param.data.shape, param.data.dtype), where)


def redraw_table(module, std, rng=None) -> None:
    """An embedding's table ``std * N(0, 1)``, its ``padding_idx`` row zeros."""
    where = f"{type(module).__name__}.reset_parameters"
    weight = _own_parameters(module).get("weight")
    if weight is None:
        return
    table = normal_table(_generator(rng), std, weight.data.shape, weight.data.dtype)
    if module.padding_idx is not None:
        table[module.padding_idx] = 0
    _write(weight, table, where)


def refill(module, **values) -> None:
    """Own parameters filled with constants by name (a norm's ones and zeros, PReLU's
    ``init``); a parameter left out (``affine=False``) is skipped."""
    where = f"{type(module).__name__}.reset_parameters"
    params = _own_parameters(module)
    for name, value in values.items():
        if name in params:
            _write(params[name], value, where)
