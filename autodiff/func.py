"""``ad.func``: the function transforms under the names of ``torch.func``.

``from autodiff import func`` gives ``func.grad``, ``func.grad_and_value``,
``func.vjp``, ``func.jvp``, ``func.jacrev``, ``func.jacfwd``, ``func.hessian``,
``func.vmap``, ``func.linearize``, ``func.functional_call``, ``func.stack_module_state``
and ``func.replace_all_batch_norm_modules_``, so code
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
           "linearize", "functional_call", "stack_module_state",
           "replace_all_batch_norm_modules_"]


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


def linearize(func, *primals):
    """``torch.func.linearize``: ``(func(*primals), jvp_fn)``, where ``jvp_fn(*tangents)``
    is the Jacobian of ``func`` at ``primals`` times ``tangents`` (forward mode, as
    ``jvp``; each call runs the forward pass again, which PyTorch keeps instead).

    >>> from autodiff import func
    >>> out, jvp_fn = func.linearize(lambda x: x ** 2, np.array([1.0, 3.0]))
    >>> jvp_fn(np.array([1.0, 1.0]))
    array([2., 6.])
    """
    output = func(*primals)

    def jvp_fn(*tangents):
        if len(tangents) != len(primals):
            raise ValueError(f"linearize: jvp_fn expected {len(primals)} tangents, one per "
                             f"primal, got {len(tangents)}")
        return jvp(func, tuple(primals), tuple(tangents))[1]

    return output, jvp_fn


def replace_all_batch_norm_modules_(root):
    """``torch.func.replace_all_batch_norm_modules_``: every BatchNorm in ``root`` (itself
    included) stops tracking running statistics (``running_mean``, ``running_var`` and
    ``num_batches_tracked`` become None), so it normalises with the batch's own, in
    place; returns ``root``.

    >>> net = ad.func.replace_all_batch_norm_modules_(ad.nn.Sequential(ad.nn.BatchNorm1d(3)))
    >>> net[0].running_mean is None, net[0].track_running_stats
    (True, False)
    """
    from .nn.normalization import _BatchNorm

    for module in root.modules():
        if isinstance(module, _BatchNorm) and module.track_running_stats:
            module.running_mean = module.running_var = None
            module.num_batches_tracked = None
            module.track_running_stats = False
    return root
