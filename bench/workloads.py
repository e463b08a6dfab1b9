"""The benchmark workloads: each builds a set of implementations of one task.

Every builder returns ``{name: run}`` where ``run()`` performs the task once; the
runner (``bench/run.py``) warms each up, interleaves them round by round and takes
medians.  Baselines: hand-written NumPy forward + backward (the practical limit) and
PyTorch CPU eager when it is installed (absent implementations are simply missing).
"""

from __future__ import annotations

import numpy as np


def torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


# ----- MLP 784-256-256-10, batch 128, ReLU, softmax-CE, SGD step ------------------------

MLP_SIZES = (784, 256, 256, 10)
BATCH = 128
LR = 0.01


def _mlp_data(dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, MLP_SIZES[0])).astype(dtype)
    y = rng.integers(0, MLP_SIZES[-1], BATCH)
    params = []
    for fan_in, fan_out in zip(MLP_SIZES[:-1], MLP_SIZES[1:]):
        params.append((rng.standard_normal((fan_in, fan_out)) * np.sqrt(2 / fan_in)).astype(dtype))
        params.append(np.zeros(fan_out, dtype))
    return x, y, params


def _core_cross_entropy(ad, logits, y):
    """Mean softmax cross-entropy from core ops (used when autodiff.nn is absent)."""
    m = ad.stop_gradient(ad.max(logits, axis=1, keepdims=True))
    z = logits - m
    lse = ad.log(ad.sum(ad.exp(z), axis=1))
    return ad.mean(lse - z[np.arange(len(y)), y])


def mlp_autodiff(dtype):
    import autodiff as ad
    try:
        from autodiff.nn import functional as F
        cross_entropy = F.cross_entropy
    except ImportError:
        def cross_entropy(logits, y):
            return _core_cross_entropy(ad, logits, y)
    x, y, arrays = _mlp_data(dtype)
    x = ad.tensor(x)
    params = [ad.tensor(a.copy(), requires_grad=True) for a in arrays]
    w1, b1, w2, b2, w3, b3 = params

    def step():
        h1 = ad.relu(x @ w1 + b1)
        h2 = ad.relu(h1 @ w2 + b2)
        loss = cross_entropy(h2 @ w3 + b3, y)
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
            p.grad = None
        return loss

    return step


def mlp_numpy(dtype):
    x, y, params = _mlp_data(dtype)
    w1, b1, w2, b2, w3, b3 = params
    rows = np.arange(BATCH)

    def step():
        a1 = x @ w1
        a1 += b1
        h1 = np.maximum(a1, 0)
        a2 = h1 @ w2
        a2 += b2
        h2 = np.maximum(a2, 0)
        logits = h2 @ w3
        logits += b3
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        s = p.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(s[:, 0]) - logits[rows, y])
        p /= s
        p[rows, y] -= 1
        p *= 1 / BATCH                         # d loss / d logits
        gw3, gb3 = h2.T @ p, p.sum(axis=0)
        d2 = p @ w3.T
        d2 *= a2 > 0
        gw2, gb2 = h1.T @ d2, d2.sum(axis=0)
        d1 = d2 @ w2.T
        d1 *= a1 > 0
        gw1, gb1 = x.T @ d1, d1.sum(axis=0)
        for w, g in ((w1, gw1), (b1, gb1), (w2, gw2), (b2, gb2), (w3, gw3), (b3, gb3)):
            w -= LR * g
        return loss

    return step


def mlp_numpy_out_of_place(dtype):
    """``mlp_numpy`` written with the expressions an eager engine is given: every
    operation makes a new array (``x @ w1 + b1``, no ``+=``), as in ``mlp_autodiff``
    and in every eager engine's forward and rules.  Not a target's baseline: it tells
    the engine's own cost apart from what in-place NumPy saves (bench/RESULTS.md)."""
    x, y, params = _mlp_data(dtype)
    w1, b1, w2, b2, w3, b3 = params
    rows = np.arange(BATCH)

    def step():
        a1 = x @ w1 + b1
        h1 = np.maximum(a1, 0)
        a2 = h1 @ w2 + b2
        h2 = np.maximum(a2, 0)
        logits = h2 @ w3 + b3
        z = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(s[:, 0]) - z[rows, y])
        p = e / s
        p[rows, y] -= 1
        p = p * (1 / BATCH)                    # d loss / d logits
        gw3, gb3 = h2.T @ p, p.sum(axis=0)
        d2 = (p @ w3.T) * (a2 > 0)
        gw2, gb2 = h1.T @ d2, d2.sum(axis=0)
        d1 = (d2 @ w2.T) * (a1 > 0)
        gw1, gb1 = x.T @ d1, d1.sum(axis=0)
        for w, g in ((w1, gw1), (b1, gb1), (w2, gw2), (b2, gb2), (w3, gw3), (b3, gb3)):
            w -= LR * g
        return loss

    return step


def mlp_gemms_only(dtype):
    """The NumPy step's eight matrix products alone, on the same shapes (the backward's
    from a fixed gradient): the floor under any step that leaves its GEMMs to NumPy,
    as the compiled step does."""
    x, y, params = _mlp_data(dtype)
    w1, _, w2, _, w3, _ = params
    h1 = np.maximum(x @ w1, 0)
    h2 = np.maximum(h1 @ w2, 0)
    p = np.full((BATCH, MLP_SIZES[-1]), 1 / BATCH, dtype)
    d2 = p @ w3.T
    d1 = d2 @ w2.T

    def step():
        return (x @ w1, h1 @ w2, h2 @ w3,                      # forward
                h2.T @ p, p @ w3.T, h1.T @ d2, d2 @ w2.T, x.T @ d1)   # backward

    return step


def mlp_torch(dtype):
    torch = torch_or_none()
    if torch is None:
        return None
    x, y, arrays = _mlp_data(dtype)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    params = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    w1, b1, w2, b2, w3, b3 = params
    ce = torch.nn.functional.cross_entropy

    def step():
        h1 = torch.relu(x @ w1 + b1)
        h2 = torch.relu(h1 @ w2 + b2)
        loss = ce(h2 @ w3 + b3, y)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return loss

    return step


def mlp_compiled(dtype):
    """The same step through ``ad.compile``, with ``optim.SGD`` doing the update (a
    compiled function leaves NumPy on ``.grad`` to the library's optimizers).  As in
    the other steps the gradients are dropped after the update (``zero_grad()``
    after ``step()``), so the plan folds the weights' updates into their gradient
    products (``autodiff/compile/gemm_update.py``)."""
    import autodiff as ad
    from autodiff.nn import functional as F
    x, y, arrays = _mlp_data(dtype)
    params = [ad.tensor(a.copy(), requires_grad=True) for a in arrays]
    w1, b1, w2, b2, w3, b3 = params
    opt = ad.optim.SGD(params, lr=LR)

    @ad.compile
    def train_step(xb, yb):
        h1 = ad.relu(xb @ w1 + b1)
        h2 = ad.relu(h1 @ w2 + b2)
        loss = F.cross_entropy(h2 @ w3 + b3, yb)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss

    return lambda: train_step(x, y)


def mlp(dtype):
    impls = {"autodiff": mlp_autodiff(dtype), "numpy": mlp_numpy(dtype),
             "autodiff compiled": mlp_compiled(dtype), "numpy GEMMs alone": mlp_gemms_only(dtype),
             "numpy out of place": mlp_numpy_out_of_place(dtype)}
    t = mlp_torch(dtype)
    if t is not None:
        impls["pytorch"] = t
    return impls


# ----- softmax + cross-entropy forward and backward, logits (1024, 1000) ----------------

CE_SHAPE = (1024, 1000)


def _ce_data(dtype, seed=1):
    rng = np.random.default_rng(seed)
    logits = (rng.standard_normal(CE_SHAPE) * 3).astype(dtype)
    return logits, rng.integers(0, CE_SHAPE[1], CE_SHAPE[0])


def softmax_ce(dtype):
    import autodiff as ad
    from autodiff import kernels
    logits, target = _ce_data(dtype)
    n = logits.shape[0]
    rows = np.arange(n)
    impls = {}
    try:
        from autodiff.nn import functional as F
    except ImportError:
        F = None
    if F is not None:
        def engine():
            z = ad.tensor(logits, requires_grad=True)
            F.cross_entropy(z, target).backward()
            return z.grad
        impls["autodiff"] = engine

    def kernel():
        return kernels.cross_entropy(logits, target)     # the loss and the gradient
    impls["autodiff kernels"] = kernel

    def numpy_stable():
        z = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(z)
        s = p.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(s[:, 0]) - z[rows, target])
        p /= s
        p[rows, target] -= 1
        p *= 1 / n
        return loss, p
    impls["numpy"] = numpy_stable

    torch = torch_or_none()
    if torch is not None:
        t_logits, t_target = torch.from_numpy(logits), torch.from_numpy(target)

        def torch_ce():
            z = t_logits.detach().requires_grad_()
            torch.nn.functional.cross_entropy(z, t_target).backward()
            return z.grad
        impls["pytorch"] = torch_ce
    return impls


# ----- embedding backward: table (100000, 64) f32, 65,536 Zipf ids ----------------------

EMB_ROWS, EMB_DIM, EMB_IDS = 100_000, 64, 65_536


def _emb_data(seed=2):
    rng = np.random.default_rng(seed)
    ids = (rng.zipf(1.1, EMB_IDS) - 1) % EMB_ROWS
    grad = rng.standard_normal((EMB_IDS, EMB_DIM)).astype(np.float32)
    return ids.astype(np.int64), grad


def embedding_backward():
    from autodiff.ops.indexing import index_add_array
    ids, grad = _emb_data()
    shape = (EMB_ROWS, EMB_DIM)
    impls = {"autodiff": lambda: index_add_array(grad, shape, ids)}

    def add_at():
        out = np.zeros(shape, np.float32)
        np.add.at(out, ids, grad)
        return out
    impls["np.add.at"] = add_at
    torch = torch_or_none()
    if torch is not None:
        t_ids, t_grad = torch.from_numpy(ids), torch.from_numpy(grad)

        def index_add():
            return torch.zeros(shape, dtype=torch.float32).index_add_(0, t_ids, t_grad)
        impls["pytorch"] = index_add
    return impls


# ----- cold start: import, and the first MLP step in a fresh process -----------------------

IMPORT_SNIPPET = """
import time
t0 = time.perf_counter()
import autodiff
print(time.perf_counter() - t0)
"""

FIRST_STEP_SNIPPET = """
import time
t0 = time.perf_counter()
import numpy as np
import autodiff
t1 = time.perf_counter()
from bench.workloads import mlp_autodiff
step = mlp_autodiff(np.float32)
t2 = time.perf_counter()
step()
t3 = time.perf_counter()
print(t3 - t2, t3 - t0)
"""


#: An Adam training loop of an MLP with two hidden layers of 256 on the 300 spiral
#: points, as a tutorial writes it; prints microseconds and page faults per step.
MALLOC_LOOP_SNIPPET = """
import resource, time
import autodiff as ad
from autodiff.nn import functional as F
X, y = ad.data.spiral(100, 3, seed=0)
model = ad.nn.MLP([2, 256, 256, 3], rng=0)
opt = ad.optim.Adam(model.parameters(), lr=0.01)

def step():
    loss = F.cross_entropy(model(X), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()

for _ in range(20):
    step()
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
start = time.perf_counter()
for _ in range(STEPS):
    step()
seconds = time.perf_counter() - start
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
print(seconds / STEPS, faults / STEPS, int(ad.allocator.TUNED))
"""

# ----- conv2d + max_pool2d forward and backward, x (32, 16, 28, 28) f32 ------------------

CONV_X, CONV_W = (32, 16, 28, 28), (32, 16, 3, 3)


def _conv_data(seed=4):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(CONV_X).astype(np.float32)
    w = (rng.standard_normal(CONV_W) / np.sqrt(16 * 9)).astype(np.float32)
    b = rng.standard_normal(CONV_W[0]).astype(np.float32) * 0.1
    return x, w, b


def conv_pool():
    """F.conv2d (padding 1, with bias) + F.max_pool2d(2), forward and backward for x, w, b.

    Each implementation returns (output, x.grad, w.grad) so the runner can compare them.
    """
    import autodiff as ad
    from autodiff.nn import functional as F
    xv, wv, bv = _conv_data()

    def engine():
        x, w, b = (ad.tensor(a, requires_grad=True) for a in (xv, wv, bv))
        y = F.max_pool2d(F.conv2d(x, w, b, padding=1), 2)
        y.backward(np.ones(y.shape, np.float32))
        return y.data, x.grad, w.grad
    impls = {"autodiff": engine}
    torch = torch_or_none()
    if torch is not None:
        tx, tw, tb = (torch.from_numpy(a) for a in (xv, wv, bv))
        tf = torch.nn.functional

        def torch_conv():
            x, w, b = (t.detach().requires_grad_() for t in (tx, tw, tb))
            y = tf.max_pool2d(tf.conv2d(x, w, b, padding=1), 2)
            y.backward(torch.ones_like(y))
            return y.detach().numpy(), x.grad.numpy(), w.grad.numpy()
        impls["pytorch"] = torch_conv
    return impls


# ----- 2-layer LSTM forward and backward: batch 32, seq 35, input 128, hidden 128 --------

LSTM_SEQ, LSTM_BATCH, LSTM_IN, LSTM_HIDDEN, LSTM_LAYERS = 35, 32, 128, 128, 2


def lstm_step():
    """``ad.nn.LSTM`` vs ``torch.nn.LSTM`` with the same weights (float32): forward over
    the sequence, backward of ``(output * g).sum()``.  Each returns (output, weight_ih_l0
    gradient in PyTorch's layout) for comparison."""
    import autodiff as ad
    rng = np.random.default_rng(5)
    xv = rng.standard_normal((LSTM_SEQ, LSTM_BATCH, LSTM_IN)).astype(np.float32)
    gv = rng.standard_normal((LSTM_SEQ, LSTM_BATCH, LSTM_HIDDEN)).astype(np.float32)
    model = ad.nn.LSTM(LSTM_IN, LSTM_HIDDEN, num_layers=LSTM_LAYERS, rng=0, dtype=np.float32)
    x = ad.tensor(xv)

    def engine():
        model.zero_grad()
        out, _ = model(x)
        out.backward(gv)
        return out.data, model.weight_ih_l0.grad.T
    impls = {"autodiff": engine}
    torch = torch_or_none()
    if torch is not None:
        net = torch.nn.LSTM(LSTM_IN, LSTM_HIDDEN, num_layers=LSTM_LAYERS)
        net.load_state_dict({k: torch.from_numpy(v)
                             for k, v in model.to_torch_state_dict().items()})
        tx, tg = torch.from_numpy(xv), torch.from_numpy(gv)

        def torch_lstm():
            net.zero_grad()
            out, _ = net(tx)
            out.backward(tg)
            return out.detach().numpy(), net.weight_ih_l0.grad.numpy()
        impls["pytorch"] = torch_lstm
    return impls


FIRST_COMPILED_SNIPPET = """
import time
import numpy as np
import autodiff
from bench.workloads import mlp_compiled
step = mlp_compiled(np.float32)
t0 = time.perf_counter()
step()
t1 = time.perf_counter()
step()
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""
