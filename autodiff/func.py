"""``ad.func``: the function transforms under the names of ``torch.func``.

``from autodiff import func`` gives ``func.grad``, ``func.grad_and_value``,
``func.vjp``, ``func.jvp``, ``func.jacrev``, ``func.jacfwd``, ``func.hessian``,
``func.vmap``, ``func.linearize``, ``func.functional_call``, ``func.stack_module_state``
and ``func.replace_all_batch_norm_modules_``, so code
written against ``torch.func`` reads the same.  They are the library's own transforms
(``ad.grad`` ...), which take arrays and Tensors.  Called with Tensors, as code written
for ``torch.func`` calls them, they return Tensors, so that the results take Tensor
methods (``g.flatten(1).norm(dim=1)`` on per-sample gradients); called with arrays
only, they return arrays, as ``ad.grad``.

>>> from autodiff import func
>>> func.grad(lambda x: (x ** 2).sum())(np.array([1.0, 2.0]))
array([2., 4.])
>>> func.grad(lambda x: (x ** 2).sum())(ad.tensor([1.0, 2.0]))
tensor([2., 4.])
"""

from __future__ import annotations

import functools

import numpy as np

from . import forward, transforms
from .jacfwd_randomness import jacfwd_with_randomness, refusing_draws
from .linearize import linearize as _linearize
from .nn.functional_call import functional_call, stack_module_state
from .pytrees import flatten
from .tensor import Tensor
from .vmap import check_chunk_size, vmap
from .vmap_randomness import checked_mode

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap",
           "linearize", "functional_call", "stack_module_state",
           "replace_all_batch_norm_modules_"]


def _holds_tensor(tree) -> bool:
    return any(isinstance(leaf, Tensor) for leaf in flatten(tree)[0])


def _as_tensors(tree):
    """``tree`` with its NumPy arrays as Tensors (its Tensors and the rest as they are)."""
    leaves, rebuild = flatten(tree)
    return rebuild([Tensor(np.asarray(leaf)) if isinstance(leaf, (np.ndarray, np.generic))
                    else leaf for leaf in leaves])


def _results_as_tensors(transformed, has_aux: bool):
    """``transformed`` returning Tensors where its arguments hold a Tensor, the aux of
    ``has_aux`` (the last item of its tuple) included: the transforms give its Tensors
    back as arrays, and PyTorch's give the function's Tensors (other values stay)."""
    @functools.wraps(transformed)
    def wrapped(*args, **kwargs):
        result = transformed(*args, **kwargs)
        if not _holds_tensor((args, kwargs)):
            return result
        if has_aux:
            return (*_as_tensors(tuple(result[:-1])), _as_tensors(result[-1]))
        return _as_tensors(result)
    return wrapped


def grad(func, argnums=0, *, has_aux=False):
    """``torch.func.grad``: the gradient function of scalar ``func`` (``ad.grad``).

    >>> from autodiff import func
    >>> func.grad(lambda x: x.sin().sum())(ad.zeros(2))
    tensor([1., 1.])
    """
    return _results_as_tensors(transforms.grad(func, argnums, has_aux=has_aux), has_aux)


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    """``torch.func.jacrev``: the Jacobian by reverse mode, ``out.shape + x.shape``.
    ``chunk_size`` (None or a positive int, as PyTorch checks it) bounds how many rows
    PyTorch computes at once; it changes nothing here.

    >>> from autodiff import func
    >>> func.jacrev(lambda x: x ** 2)(ad.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    check_chunk_size("jacrev", chunk_size)
    return _results_as_tensors(transforms.jacrev(func, argnums, has_aux=has_aux), has_aux)


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error", **options):
    """``torch.func.jacfwd``: the Jacobian by forward mode, ``out.shape + x.shape``.
    ``randomness`` says what a random draw inside ``func`` does, as PyTorch's: 'error'
    (the default) raises, 'same' draws once for every column, 'different' draws anew
    for each column (one run per column; ``jacfwd_randomness.py``).

    >>> from autodiff import func
    >>> func.jacfwd(lambda x: x ** 2)(ad.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    checked_mode("jacfwd", randomness)
    return _results_as_tensors(
        jacfwd_with_randomness(func, argnums, has_aux, randomness, options), has_aux)


def hessian(func, argnums=0):
    """``torch.func.hessian``: the Hessian of scalar ``func``, forward over reverse.
    A random draw inside ``func`` raises, as PyTorch's (its ``jacfwd`` runs with
    randomness 'error').

    >>> from autodiff import func
    >>> func.hessian(lambda x: (x ** 3).sum())(ad.tensor([1.0, 2.0]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    return _results_as_tensors(refusing_draws(forward.hessian(func, argnums), func, "hessian"),
                               has_aux=False)


def jvp(func, primals, tangents, *, has_aux=False):
    """``torch.func.jvp``: ``(func(*primals), J · tangents)`` (and the aux last).

    >>> from autodiff import func
    >>> func.jvp(lambda x: x * 3, (ad.tensor([1.0]),), (ad.tensor([2.0]),))
    (tensor([3.]), tensor([6.]))
    """
    result = forward.jvp(func, primals, tangents, has_aux=has_aux)
    if not _holds_tensor((primals, tangents)):
        return result
    return (*_as_tensors(tuple(result[:2])), *_as_tensors(tuple(result[2:])))


def vjp(func, *primals, has_aux=False):
    """``torch.func.vjp``: ``(func(*primals), vjp_fn)`` (and the aux last); ``vjp_fn(u)``
    is the tuple ``uᵀ J`` for each primal.

    >>> from autodiff import func
    >>> out, vjp_fn = func.vjp(lambda x: x * 3, ad.tensor([1.0, 2.0]))
    >>> vjp_fn(ad.ones(2))
    (tensor([3., 3.]),)
    """
    output, pullback, *aux = transforms.vjp(func, *primals, has_aux=has_aux)
    if not _holds_tensor(primals):
        return (output, pullback, *aux)

    @functools.wraps(pullback)
    def vjp_fn(*cotangents, **kwargs):
        return _as_tensors(pullback(*cotangents, **kwargs))
    return (_as_tensors(output), vjp_fn, *_as_tensors(tuple(aux)))


def grad_and_value(func, argnums=0, has_aux=False):
    """``torch.func.grad_and_value``: ``(gradient, value)``, the order PyTorch gives
    (``ad.value_and_grad`` gives ``(value, gradient)``, JAX's order); with
    ``has_aux=True``, ``(gradient, (value, aux))``.

    >>> from autodiff import func
    >>> func.grad_and_value(lambda x: (x ** 2).sum())(np.array([3.0]))
    (array([6.]), array(9.))
    """
    both = transforms.value_and_grad(func, argnums, has_aux=has_aux)

    def wrapped(*args, **kwargs):
        value, gradient = both(*args, **kwargs)
        if not _holds_tensor((args, kwargs)):
            return gradient, value
        if has_aux:
            return _as_tensors(gradient), _as_tensors(tuple(value))
        return _as_tensors(gradient), _as_tensors(value)

    wrapped.__name__ = f"grad_and_value({getattr(func, '__name__', 'f')})"
    return wrapped


def linearize(func, *primals):
    """``torch.func.linearize``: ``(func(*primals), jvp_fn)``, where ``jvp_fn(*tangents)``
    is the Jacobian of ``func`` at ``primals`` times ``tangents``.  ``func`` runs once;
    each ``jvp_fn`` call pushes its tangents through the recorded nodes of that run
    (forward mode, as ``jvp``), as PyTorch keeps the linearized function.  As in PyTorch,
    the primals are constants of ``jvp_fn``: a backward through its result reaches the
    tangents that need grad, never the primals (the output ``func(*primals)`` does); to
    differentiate ``J · t`` with respect to the primals, use ``jvp``, which runs ``func``
    on them each time.  A result whose tangents need no grad needs none either.

    >>> from autodiff import func
    >>> out, jvp_fn = func.linearize(lambda x: x ** 2, np.array([1.0, 3.0]))
    >>> jvp_fn(np.array([1.0, 1.0]))
    array([2., 6.])
    """
    output, jvp_fn = _linearize(func, *primals)
    if not _holds_tensor(primals):
        return output, jvp_fn

    @functools.wraps(jvp_fn)
    def tensor_jvp_fn(*tangents):
        return _as_tensors(jvp_fn(*tangents))
    return _as_tensors(output), tensor_jvp_fn


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
