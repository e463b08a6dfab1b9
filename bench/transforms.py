"""Workloads for the function transforms: forward mode against reverse mode.

Each builder returns ``{name: run}`` like those in ``bench/workloads.py``.
"""

from __future__ import annotations

import numpy as np

from bench.workloads import _mlp_data


def _mlp_forward(ad, x):
    def forward(w1, b1, w2, b2, w3, b3):
        h1 = ad.relu(x @ w1 + b1)
        h2 = ad.relu(h1 @ w2 + b2)
        return h2 @ w3 + b3
    return forward


def mlp_jvp(dtype=np.float64):
    """MLP 784-256-256-10 forward (batch 128) alone, and its JVP along every parameter
    and along the input."""
    import autodiff as ad
    x, _, arrays = _mlp_data(dtype)
    rng = np.random.default_rng(5)
    directions = tuple(rng.standard_normal(a.shape).astype(dtype) for a in arrays)
    forward = _mlp_forward(ad, ad.tensor(x))
    params = tuple(ad.tensor(a) for a in arrays)
    x_direction = rng.standard_normal(x.shape).astype(dtype)

    def along_input(x_in):
        return _mlp_forward(ad, x_in)(*params)

    return {
        "forward": lambda: forward(*params),
        "jvp (parameters)": lambda: ad.jvp(forward, tuple(arrays), directions),
        "jvp (input)": lambda: ad.jvp(along_input, (x,), (x_direction,)),
    }


HESSIAN_N = 100


def _hessian_function(ad, n=HESSIAN_N):
    a = np.random.default_rng(6).standard_normal((n, n)) / np.sqrt(n)

    def f(x):
        return (ad.tanh(a @ x) ** 2).sum() + (ad.sin(x) * x).sum()
    return f


def hessian(n=HESSIAN_N):
    """The Hessian of a scalar function of ``n`` inputs, three ways."""
    import autodiff as ad
    f = _hessian_function(ad, n)
    x = np.random.default_rng(7).standard_normal(n)
    return {
        "jacfwd(jacrev(f))": lambda: ad.jacfwd(ad.jacrev(f))(x),
        "jacobian(grad(f))": lambda: ad.jacobian(ad.grad(f))(x),
        "jacfwd(jacrev(f)), one pass per input":
            lambda: ad.jacfwd(ad.jacrev(f), vectorized=False)(x),
    }


def hvp(n=HESSIAN_N):
    """A Hessian-vector product: forward over reverse (``ad.hvp``, the JVP of the
    gradient) against reverse over reverse (the gradient of ⟨∇f, v⟩)."""
    import autodiff as ad
    from autodiff.transforms import hvp_reverse_over_reverse
    f = _hessian_function(ad, n)
    rng = np.random.default_rng(8)
    x, v = rng.standard_normal(n), rng.standard_normal(n)
    return {"forward over reverse (ad.hvp)": lambda: ad.hvp(f, x, v),
            "reverse over reverse": lambda: hvp_reverse_over_reverse(f, x, v)}


JAC_SIZES = ((4, 256), (16, 64), (64, 64), (64, 16), (256, 4))


def jacobians(n_in, n_out):
    """Jacobian of tanh(B x), x of size n_in, output of size n_out: forward vs reverse."""
    import autodiff as ad
    b = np.random.default_rng(9).standard_normal((n_out, n_in))
    x = np.random.default_rng(10).standard_normal(n_in)

    def f(t):
        return ad.tanh(b @ t)
    return {"jacfwd": lambda: ad.jacfwd(f)(x),
            "jacfwd, one pass per input": lambda: ad.jacfwd(f, vectorized=False)(x),
            "jacrev": lambda: ad.jacrev(f)(x)}

