"""Numba kernels for one optimizer update per parameter, in a single pass.

A compiled step (``ad.compile``) replays ``opt.step()`` of ``SGD``, ``Adam`` and
``AdamW`` with these instead of the optimizer's NumPy code, which walks each
parameter's array several times (``d = grad + wd * p``, ``buf *= m``, ``buf += d``,
``p -= lr * d``: each a pass, most with a temporary).  Here every element is read
and written once.

The arithmetic is the optimizer's, operation by operation and in the same order, in
the parameter's own dtype: the caller passes every hyperparameter already cast to
that dtype (as NumPy casts a Python float meeting a float32 array), and no
``fastmath`` flag lets LLVM contract a multiply and an add.  So the results equal
the NumPy code bit for bit (tests/test_compile_optim.py checks it).

Arrays are 1-D C-contiguous views of the parameter, its gradient and its state.
Same conventions as ``jit`` (serial loops, ``cache=True``).
"""

from __future__ import annotations

import numpy as np

from .jit import _kernel


@_kernel()
def sgd_update(p, g, buf, h):
    """``SGD._update`` in one pass.  ``h`` holds the hyperparameters in the
    parameter's dtype: ``lr, weight_decay, momentum, keep, nesterov, maximize,
    use_momentum`` (``keep`` is ``1 - dampening``, the last three 0 or 1; one array
    rather than seven arguments, as each argument costs the call time).  The common
    cases get a loop of their own without branches, which LLVM vectorizes."""
    lr, weight_decay, momentum, keep = h[0], h[1], h[2], h[3]
    nesterov, maximize, use_momentum = h[4] != 0, h[5] != 0, h[6] != 0
    if maximize or nesterov or weight_decay != 0:
        _sgd_general(p, g, buf, lr, weight_decay, momentum, keep, nesterov, maximize,
                     use_momentum)
    elif use_momentum:
        for i in range(p.size):
            b = buf[i] * momentum
            b = b + keep * g[i]
            buf[i] = b
            p[i] = p[i] - lr * b
    else:
        for i in range(p.size):
            p[i] = p[i] - lr * g[i]


@_kernel()
def sgd_update_each(params, grads, buffers, h):
    """``sgd_update`` of several parameters sharing the hyperparameters ``h``, in one
    call (tuples of arrays of one Numba type): a compiled step's small parameters
    (biases) would otherwise pay a kernel call each."""
    for k in range(len(params)):
        sgd_update(params[k], grads[k], buffers[k], h)


@_kernel()
def _sgd_general(p, g, buf, lr, weight_decay, momentum, keep, nesterov, maximize,
                 use_momentum):
    for i in range(p.size):
        d = -g[i] if maximize else g[i]
        if weight_decay != 0:
            d = d + weight_decay * p[i]
        if use_momentum:
            b = buf[i] * momentum
            b = b + keep * d
            buf[i] = b
            d = d + momentum * b if nesterov else b
        p[i] = p[i] - lr * d


@_kernel()
def adam_update(p, g, m, v, v_max, h):
    """``Adam._update`` / ``AdamW._update`` in one pass.

    ``h`` holds the step's scalars in the parameter's dtype: ``b1, 1 - b1, b2,
    1 - b2, weight_decay, decay_keep, step_size, bias2_root, eps, maximize,
    decoupled, amsgrad`` (the last three 0 or 1).  ``decoupled`` (AdamW) shrinks
    ``p`` by ``decay_keep = 1 - lr * weight_decay`` first; otherwise a nonzero
    ``weight_decay`` is added to the gradient (L2).
    ``step_size = lr / (1 - b1**t)``, ``bias2_root = sqrt(1 - b2**t)``.  The common
    cases get a loop of their own without branches, which LLVM vectorizes.
    """
    b1, one_minus_b1, b2, one_minus_b2 = h[0], h[1], h[2], h[3]
    weight_decay, decay_keep, step_size, bias2_root, eps = h[4], h[5], h[6], h[7], h[8]
    maximize, decoupled, amsgrad = h[9] != 0, h[10] != 0, h[11] != 0
    if amsgrad or maximize:
        _adam_general(p, g, m, v, v_max, b1, one_minus_b1, b2, one_minus_b2,
                      weight_decay, decay_keep, step_size, bias2_root, eps, maximize,
                      decoupled, amsgrad)
    elif weight_decay == 0:
        for i in range(p.size):
            gi = g[i]
            mi = m[i] * b1
            mi = mi + one_minus_b1 * gi
            m[i] = mi
            vi = v[i] * b2
            vi = vi + one_minus_b2 * (gi * gi)
            v[i] = vi
            denom = np.sqrt(vi) / bias2_root + eps
            p[i] = p[i] - step_size * (mi / denom)
    elif decoupled:
        for i in range(p.size):
            gi = g[i]
            pi = p[i] * decay_keep
            mi = m[i] * b1
            mi = mi + one_minus_b1 * gi
            m[i] = mi
            vi = v[i] * b2
            vi = vi + one_minus_b2 * (gi * gi)
            v[i] = vi
            denom = np.sqrt(vi) / bias2_root + eps
            p[i] = pi - step_size * (mi / denom)
    else:
        for i in range(p.size):
            pi = p[i]
            gi = g[i] + weight_decay * pi
            mi = m[i] * b1
            mi = mi + one_minus_b1 * gi
            m[i] = mi
            vi = v[i] * b2
            vi = vi + one_minus_b2 * (gi * gi)
            v[i] = vi
            denom = np.sqrt(vi) / bias2_root + eps
            p[i] = pi - step_size * (mi / denom)


@_kernel()
def _adam_general(p, g, m, v, v_max, b1, one_minus_b1, b2, one_minus_b2, weight_decay,
                  decay_keep, step_size, bias2_root, eps, maximize, decoupled, amsgrad):
    for i in range(p.size):
        gi = -g[i] if maximize else g[i]
        if decoupled:
            if weight_decay != 0:
                p[i] = p[i] * decay_keep
        elif weight_decay != 0:
            gi = gi + weight_decay * p[i]
        mi = m[i] * b1
        mi = mi + one_minus_b1 * gi
        m[i] = mi
        vi = v[i] * b2
        vi = vi + one_minus_b2 * (gi * gi)
        v[i] = vi
        if amsgrad:
            top = v_max[i]
            if vi > top or vi != vi:        # np.maximum: NaN wins
                top = vi
            v_max[i] = top
            vi = top
        denom = np.sqrt(vi) / bias2_root + eps
        p[i] = p[i] - step_size * (mi / denom)
