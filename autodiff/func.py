"""``ad.func``: the function transforms under the names of ``torch.func``.

``from autodiff import func`` gives ``func.grad``, ``func.grad_and_value``,
``func.vjp``, ``func.jvp``, ``func.jacrev``, ``func.jacfwd``, ``func.hessian``,
``func.vmap``, ``func.functional_call`` and ``func.stack_module_state``, so code
written against ``torch.func`` reads the same.  They are the library's own transforms
(``ad.grad`` ...), which take and return arrays and Tensors rather than PyTorch tensors.

>>> from autodiff import func
>>> func.grad(lambda x: (x ** 2).sum())(np.array([1.0, 2.0]))
array([2., 4.])
"""

from __future__ import annotations

from .forward import hessian, jacfwd, jvp
from .nn.functional_call import functional_call, stack_module_state
from .transforms import grad, jacrev, value_and_grad, vjp
from .vmap import vmap

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap",
           "functional_call", "stack_module_state"]


def grad_and_value(func, argnums=0, has_aux=False):
    """``torch.func.grad_and_value``: ``(gradient, value)``, the order PyTorch gives
    (``ad.value_and_grad`` gives ``(value, gradient)``, JAX's order); with
    ``has_aux=True``, ``(gradient, (value, aux))``.

    >>> from autodiff import func
    >>> func.grad_and_value(lambda x: (x ** 2).sum())(np.array([3.0]))
    (array([6.]), array(9.))
    """
    both = value_and_grad(func, argnums, has_aux=has_aux)

    def wrapped(*args, **kwargs):
        value, gradient = both(*args, **kwargs)
        return gradient, value

    wrapped.__name__ = f"grad_and_value({getattr(func, '__name__', 'f')})"
    return wrapped
