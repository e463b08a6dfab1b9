"""Benchmark workloads over large elementwise arrays and long chains of small ops:
activations, LayerNorm, GELU, deep scalar chains and a fused expression.

Builders return ``{name: run}`` as in ``bench/workloads.py``."""

from __future__ import annotations

import numpy as np

from bench.workloads import torch_or_none


# ----- sigmoid / tanh forward + backward on 4M float32 -----------------------------------

ACT_SIZE = 4_000_000


def activation(name):
    import autodiff as ad
    rng = np.random.default_rng(3)
    xv = (rng.standard_normal(ACT_SIZE) * 3).astype(np.float32)
    gv = rng.standard_normal(ACT_SIZE).astype(np.float32)
    op = getattr(ad, name)

    def engine():
        x = ad.tensor(xv, requires_grad=True)
        op(x).backward(gv)
        return x.grad
    impls = {"autodiff": engine}

    if name == "sigmoid":
        def numpy_hand():
            e = np.exp(-np.abs(xv))
            s = np.where(xv >= 0, 1 / (1 + e), e / (1 + e))
            return gv * (s * (1 - s))
    else:
        def numpy_hand():
            t = np.tanh(xv)
            return gv * (1 - t * t)
    impls["numpy"] = numpy_hand

    torch = torch_or_none()
    if torch is not None:
        tx, tg = torch.from_numpy(xv), torch.from_numpy(gv)
        top = getattr(torch, name)

        def torch_act():
            x = tx.detach().requires_grad_()
            top(x).backward(tg)
            return x.grad
        impls["pytorch"] = torch_act
    return impls


# ----- LayerNorm and GELU forward + backward ------------------------------------------------

LN_SHAPE = (4096, 1024)
GELU_SIZE = 4_000_000


def _torch_outputs(*tensors):
    return tuple(t.detach().numpy() for t in tensors)


def layer_norm(dtype):
    """LayerNorm(1024) fwd+bwd on (4096, 1024); each run returns (y, grad_x, grad_w, grad_b)."""
    import autodiff as ad
    rng = np.random.default_rng(4)
    xv = (rng.standard_normal(LN_SHAPE) * 2 + 0.5).astype(dtype)
    gv = rng.standard_normal(LN_SHAPE).astype(dtype)
    wv = rng.uniform(0.5, 1.5, LN_SHAPE[1]).astype(dtype)
    bv = rng.standard_normal(LN_SHAPE[1]).astype(dtype)
    eps = 1e-5
    ln = ad.nn.LayerNorm(LN_SHAPE[1], dtype=dtype)
    ln.weight.data[...] = wv
    ln.bias.data[...] = bv

    def engine():
        x = ad.tensor(xv, requires_grad=True)
        ln.zero_grad()
        out = ln(x)
        out.backward(gv)
        return out.data, x.grad, ln.weight.grad, ln.bias.grad

    def numpy_hand():
        mean = xv.mean(axis=1, keepdims=True)
        centered = xv - mean
        rstd = 1 / np.sqrt((centered * centered).mean(axis=1, keepdims=True) + eps)
        xhat = centered * rstd
        y = xhat * wv + bv
        grad_b = gv.sum(axis=0)
        grad_w = (gv * xhat).sum(axis=0)
        gh = gv * wv
        grad_x = rstd * (gh - gh.mean(axis=1, keepdims=True)
                         - xhat * (gh * xhat).mean(axis=1, keepdims=True))
        return y, grad_x, grad_w, grad_b
    impls = {"autodiff": engine, "numpy": numpy_hand}

    torch = torch_or_none()
    if torch is not None:
        tx, tg = torch.from_numpy(xv), torch.from_numpy(gv)
        tln = torch.nn.LayerNorm(LN_SHAPE[1], eps=eps, dtype=tx.dtype)
        tln.load_state_dict({k: torch.from_numpy(v) for k, v in ln.to_torch_state_dict().items()})

        def torch_ln():
            x = tx.detach().requires_grad_()
            tln.zero_grad()
            out = tln(x)
            out.backward(tg)
            return _torch_outputs(out, x.grad, tln.weight.grad, tln.bias.grad)
        impls["pytorch"] = torch_ln
    return impls


def gelu(approximate):
    """GELU fwd+bwd on 4M float32; each run returns (y, grad_x)."""
    import autodiff as ad
    rng = np.random.default_rng(5)
    xv = (rng.standard_normal(GELU_SIZE) * 3).astype(np.float32)
    gv = rng.standard_normal(GELU_SIZE).astype(np.float32)

    def engine():
        x = ad.tensor(xv, requires_grad=True)
        out = ad.nn.functional.gelu(x, approximate)
        out.backward(gv)
        return out.data, x.grad
    impls = {"autodiff": engine}

    c = np.float32(np.sqrt(2 / np.pi))
    k = np.float32(0.044715)
    if approximate == "tanh":
        def numpy_hand():
            x2 = xv * xv
            t = np.tanh(c * (xv + k * x2 * xv))
            y = 0.5 * xv * (1 + t)
            grad = gv * (0.5 * (1 + t) + 0.5 * xv * (1 - t * t) * (c * (1 + 3 * k * x2)))
            return y, grad
        impls["numpy"] = numpy_hand
    else:
        try:
            from scipy.special import erf     # NumPy has no erf: the baseline borrows SciPy's
        except ImportError:
            erf = None
        if erf is not None:
            half = np.float32(np.sqrt(0.5))
            inv = np.float32(1 / np.sqrt(2 * np.pi))

            def numpy_hand():
                cdf = 0.5 * (1 + erf(xv * half))
                y = xv * cdf
                grad = gv * (cdf + xv * (inv * np.exp(-0.5 * xv * xv)))
                return y, grad
            impls["numpy"] = numpy_hand

    torch = torch_or_none()
    if torch is not None:
        tx, tg = torch.from_numpy(xv), torch.from_numpy(gv)

        def torch_gelu():
            x = tx.detach().requires_grad_()
            out = torch.nn.functional.gelu(x, approximate=approximate)
            out.backward(tg)
            return _torch_outputs(out, x.grad)
        impls["pytorch"] = torch_gelu
    return impls


# ----- deep chain of 100,000 scalar ops, build + backward ---------------------------------

CHAIN_OPS = 100_000


def deep_chain():
    import autodiff as ad

    def engine():
        x = ad.tensor(0.5, requires_grad=True)
        y = x
        for _ in range(CHAIN_OPS // 2):
            y = y * 0.9999
            y = y + 0.0001
        y.backward()
        return x.grad
    impls = {"autodiff": engine}
    torch = torch_or_none()
    if torch is not None:
        def torch_chain():
            x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
            y = x
            for _ in range(CHAIN_OPS // 2):
                y = y * 0.9999
                y = y + 0.0001
            y.backward()
            return x.grad
        impls["pytorch"] = torch_chain
    return impls


def deep_chain_compiled(n_ops=10_000):
    """A chain of ``n_ops`` scalar ops, forward + backward, compiled (replayed).

    The chain's value is returned with the gradient: this chain's gradient does not
    depend on the forward values, so without it the whole forward would be removed
    from the plan as dead code and the row would time the backward alone."""
    import autodiff as ad
    x = ad.tensor(0.5, requires_grad=True)

    @ad.compile
    def run():
        y = x
        for _ in range(n_ops // 2):
            y = y * 0.9999
            y = y + 0.0001
        x.grad = None
        y.backward()
        return y, x.grad

    return {"autodiff compiled": run, "autodiff eager": run.fn}


# ----- sigmoid(x) * tanh(x) + exp(-x^2), 4M float32, forward + backward ---------------------

def fused_expression(n=4_000_000):
    import autodiff as ad
    rng = np.random.default_rng(3)
    x_data = rng.standard_normal(n).astype(np.float32)
    g = rng.standard_normal(n).astype(np.float32)
    x = ad.tensor(x_data, requires_grad=True)

    def step(upstream):
        y = ad.sigmoid(x) * ad.tanh(x) + ad.exp(-(x * x))
        x.grad = None
        y.backward(upstream)
        return y, x.grad            # y too, as the NumPy version computes it

    compiled = ad.compile(step)     # g is an argument: a captured array would be
                                    # checksummed on every call (16 MB here)

    def numpy_hand():
        s = 1 / (1 + np.exp(-x_data))
        t = np.tanh(x_data)
        e = np.exp(-(x_data * x_data))
        y = s * t + e
        dx = g * (s * (1 - s) * t + s * (1 - t * t) - 2 * x_data * e)
        return y, dx

    return {"autodiff compiled": lambda: compiled(g), "autodiff eager": lambda: step(g),
            "numpy": numpy_hand}
