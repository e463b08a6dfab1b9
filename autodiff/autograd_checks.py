"""PyTorch's ``torch.autograd.gradcheck`` / ``gradgradcheck`` (``ad.autograd.gradcheck``):
only the inputs that are tensors requiring grad are checked; the others (numbers,
tensors that do not require grad) are passed through unchanged, and a function
returning several tensors has each output checked.  ``ad.gradcheck`` is the NumPy-
style check of every floating-point input."""

from __future__ import annotations

from typing import Callable

from .gradcheck import gradcheck as _check_all
from .gradcheck import gradgradcheck as _check_all_twice
from .tensor import Tensor

#: PyTorch's options that change nothing here at these values (fast_mode: the full
#: check is made, which is stricter than the fast one).
_DEFAULTS = {"nondet_tol": 0.0, "check_undefined_grad": True, "check_grad_dtypes": False,
             "check_batched_grad": False, "check_batched_forward_grad": False,
             "check_forward_ad": False, "check_backward_ad": True, "masked": None,
             "gen_non_contig_grad_outputs": False}


def _refuse_other_options(where: str, options: dict) -> None:
    options = {k: v for k, v in options.items() if k != "fast_mode"}
    for name, value in options.items():
        if name not in _DEFAULTS:
            raise TypeError(f"{where}: got an unexpected keyword argument {name!r}")
        if value != _DEFAULTS[name]:
            raise NotImplementedError(
                f"{where}: {name}={value!r} is not supported; only the default "
                f"{_DEFAULTS[name]!r} (the reverse-mode check of each input requiring grad)")


def _split(where: str, inputs):
    """The positions of the checked inputs (tensors requiring grad) among ``inputs``."""
    items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    checked = [k for k, x in enumerate(items) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError(f"{where}: expects at least one input tensor to require gradient, "
                         "but none of the inputs has requires_grad=True")
    return items, checked


def _with(items, checked, values):
    full = list(items)
    for k, value in zip(checked, values):
        full[k] = value
    return full


def _outputs(func, items) -> int:
    """How many outputs ``func`` returns (1 for a single tensor)."""
    from .graph import no_grad
    with no_grad():
        out = func(*[x.detach() if isinstance(x, Tensor) else x for x in items])
    return len(out) if isinstance(out, (tuple, list)) else 1


def _each_output(func, items, checked, check) -> bool:
    count = _outputs(func, items)
    for index in range(count):
        def of_checked(*values, index=index):
            out = func(*_with(items, checked, values))
            return out[index] if isinstance(out, (tuple, list)) else out
        if not check(of_checked, [items[k] for k in checked]):
            return False
    return True


def gradcheck(func: Callable, inputs, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, **options) -> bool:
    """PyTorch's ``torch.autograd.gradcheck``: the gradients with respect to the inputs
    that require grad, against central differences; True, or ``GradcheckError``.

    >>> x = ad.tensor([0.3, -1.2], requires_grad=True)
    >>> ad.autograd.gradcheck(lambda x, scale: ad.tanh(x) * scale, (x, 2.0))
    True
    """
    _refuse_other_options("gradcheck", options)
    items, checked = _split("gradcheck", inputs)
    return _each_output(func, items, checked, lambda f, xs: _check_all(
        f, xs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception))


def gradgradcheck(func: Callable, inputs, grad_outputs=None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
                  **options) -> bool:
    """PyTorch's ``torch.autograd.gradgradcheck``: the second derivatives with respect
    to the inputs that require grad (through a random upstream gradient unless
    ``grad_outputs`` is given), against central differences.

    >>> x = ad.tensor([0.5, -1.0], requires_grad=True)
    >>> ad.autograd.gradgradcheck(lambda x: x ** 3, (x,))
    True
    """
    _refuse_other_options("gradgradcheck", options)
    items, checked = _split("gradgradcheck", inputs)
    if grad_outputs is not None and _outputs(func, items) != 1:
        raise NotImplementedError("gradgradcheck: grad_outputs for a function with several "
                                  "outputs; check each output on its own")
    return _each_output(func, items, checked, lambda f, xs: _check_all_twice(
        f, xs, grad_outputs, eps=eps, atol=atol, rtol=rtol,
        raise_exception=raise_exception))
