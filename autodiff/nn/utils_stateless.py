"""``nn.utils.stateless``: PyTorch's deprecated home of ``functional_call`` (now
``ad.func.functional_call``), kept so older scripts run, with PyTorch's warning."""

from __future__ import annotations

import warnings

__all__ = ["functional_call"]


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """``ad.func.functional_call``, under its deprecated PyTorch name (FutureWarning).

    >>> import warnings
    >>> layer = ad.nn.Linear(2, 1, bias=False)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     ad.nn.utils.stateless.functional_call(layer, {"weight": np.ones((2, 1))},
    ...                                           (ad.tensor([[1.0, 2.0]]),))
    tensor([[3.]])
    """
    from ..func import functional_call as current
    from ..optim.optimizer import user_stacklevel

    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch "
                  "2.0 and will be removed in a future version of PyTorch. Please use "
                  "`torch.func.functional_call` instead which is a drop-in replacement.",
                  FutureWarning, stacklevel=user_stacklevel())
    return current(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights,
                   strict=strict)
