"""Random small programs written twice, once with autodiff and once with PyTorch, for
comparing the function transforms on compositions nobody wrote by hand.

``make_program(seed)`` draws an input shape (0-d, size-1 axes, broadcasting shapes
included) and 3 to 6 ops from ``OPS``; ``program.run(lib, x)`` evaluates it with
``lib`` either ``"ad"`` or ``"torch"`` (the torch side imports torch lazily, so the
drawing itself needs only NumPy).  Each op knows which shapes it takes and what shape
it gives, so every drawn program is valid; constants are drawn with the program and
shared by both sides.  Values stay moderate (inputs in [-1.5, 1.5], no unbounded
growth) so that relative comparisons at 1e-10 are meaningful, and kinks and ties
(``maximum``, ``amax``, ``clip``) are hit with probability zero.
"""

from __future__ import annotations

import numpy as np

import autodiff as ad
import autodiff.nn.functional as F

SHAPES = [(), (1,), (3,), (2, 3), (1, 3), (3, 1), (2, 1, 2)]


def _torch():
    import torch
    return torch


def _const(c, lib):
    return c if lib == "ad" else _torch().tensor(c)


def _unary(name, ours, theirs):
    return (name, lambda shape: True, lambda rng, shape: (None, shape),
            lambda lib, x, p: ours(x) if lib == "ad" else theirs(x))


def _with_constant(name, ours, theirs):
    """A binary op against a constant whose shape broadcasts against x's (it may add
    an axis in front or have size 1 where x has more)."""
    def draw(rng, shape):
        cshape = tuple(1 if rng.random() < 0.4 else n for n in shape)
        if rng.random() < 0.3 and len(shape) < 3:
            cshape = (2,) + cshape
        out = np.broadcast_shapes(shape, cshape)
        return rng.uniform(-1.0, 1.0, cshape), out
    return (name, lambda shape: True, draw,
            lambda lib, x, c: ours(x, _const(c, lib)) if lib == "ad"
            else theirs(x, _const(c, lib)))


def _on_axis(name, ours, theirs, keeps_shape):
    def draw(rng, shape):
        axis = int(rng.integers(len(shape))) - len(shape) * int(rng.random() < 0.5)
        out = shape if keeps_shape else shape[:axis % len(shape)] + shape[axis % len(shape) + 1:]
        return axis, out
    return (name, lambda shape: len(shape) >= 1, draw,
            lambda lib, x, axis: ours(x, axis) if lib == "ad" else theirs(x, axis))


def _torch_flip(x, axis):
    return _torch().flip(x, dims=[axis])


def _matmul_draw(rng, shape):
    c = rng.uniform(-1.0, 1.0, (shape[-1], 2))
    return c, shape[:-1] + (2,)


def _index_draw(rng, shape):
    picks = rng.integers(0, shape[0], size=3)
    return picks, (3,) + shape[1:]


def _transpose_draw(rng, shape):
    return None, tuple(reversed(shape))


def _where_draw(rng, shape):
    return rng.uniform(-0.5, 0.5, shape), shape


def _where(lib, x, threshold):
    t = _const(threshold, lib)
    if lib == "ad":
        return ad.where(x > t, ad.sin(x), x * x)
    torch = _torch()
    return torch.where(x > t, torch.sin(x), x * x)


OPS = [
    _unary("sin", ad.sin, lambda x: _torch().sin(x)),
    _unary("cos", ad.cos, lambda x: _torch().cos(x)),
    _unary("tanh", ad.tanh, lambda x: _torch().tanh(x)),
    _unary("exp_half", lambda x: ad.exp(x * 0.5), lambda x: _torch().exp(x * 0.5)),
    _unary("sigmoid", ad.sigmoid, lambda x: _torch().sigmoid(x)),
    _unary("softplus", F.softplus, lambda x: _torch().nn.functional.softplus(x)),
    _unary("erf", ad.erf, lambda x: _torch().erf(x)),
    _unary("arctan", ad.arctan, lambda x: _torch().atan(x)),
    _unary("arcsinh", ad.arcsinh, lambda x: _torch().asinh(x)),
    _unary("smooth_abs", lambda x: ad.sqrt(x * x + 1.0), lambda x: _torch().sqrt(x * x + 1.0)),
    _unary("log1p_square", lambda x: ad.log1p(x * x), lambda x: _torch().log1p(x * x)),
    _unary("cube", lambda x: x ** 3, lambda x: x ** 3),
    _unary("reciprocal", lambda x: 1.0 / (x * x + 1.0), lambda x: 1.0 / (x * x + 1.0)),
    _with_constant("mul", lambda x, c: x * c, lambda x, c: x * c),
    _with_constant("add", lambda x, c: x + c, lambda x, c: x + c),
    _with_constant("div", lambda x, c: x / (c * c + 0.5), lambda x, c: x / (c * c + 0.5)),
    _with_constant("maximum", ad.maximum, lambda x, c: _torch().maximum(x, c)),
    _with_constant("arctan2", lambda x, c: ad.arctan2(x, c * c + 0.5),
                   lambda x, c: _torch().atan2(x, c * c + 0.5)),
    _on_axis("sum", lambda x, a: ad.sum(x, axis=a), lambda x, a: x.sum(a), False),
    _on_axis("mean", lambda x, a: ad.mean(x, axis=a), lambda x, a: x.mean(a), False),
    _on_axis("logsumexp", lambda x, a: ad.logsumexp(x, axis=a),
             lambda x, a: _torch().logsumexp(x, a), False),
    _on_axis("amax", lambda x, a: ad.amax(x, axis=a), lambda x, a: x.amax(a), False),
    _on_axis("prod", lambda x, a: ad.prod(x, axis=a), lambda x, a: x.prod(a), False),
    _on_axis("var", lambda x, a: ad.var(x, axis=a),
             lambda x, a: x.var(a, correction=0), False),
    _on_axis("softmax", lambda x, a: F.softmax(x, dim=a), lambda x, a: x.softmax(a), True),
    _on_axis("log_softmax", lambda x, a: F.log_softmax(x, dim=a),
             lambda x, a: x.log_softmax(a), True),
    _on_axis("cumsum", lambda x, a: ad.cumsum(x, axis=a), lambda x, a: x.cumsum(a), True),
    _on_axis("cumprod", lambda x, a: ad.cumprod(x, axis=a), lambda x, a: x.cumprod(a), True),
    _on_axis("flip", lambda x, a: ad.flip(x, axis=a), _torch_flip, True),
    ("matmul", lambda shape: len(shape) >= 1, _matmul_draw,
     lambda lib, x, c: x @ _const(c, lib)),
    ("index", lambda shape: len(shape) >= 1, _index_draw,
     lambda lib, x, picks: x[picks if lib == "ad" else _torch().tensor(picks)]),
    ("transpose", lambda shape: len(shape) >= 2, _transpose_draw,
     lambda lib, x, _: ad.transpose(x) if lib == "ad" else x.permute(*reversed(range(x.ndim)))),
    ("unsqueeze_broadcast", lambda shape: len(shape) < 3,
     lambda rng, shape: (None, (2,) + shape),
     lambda lib, x, _: (ad.broadcast_to(ad.expand_dims(x, 0), (2,) + x.shape) if lib == "ad"
                        else x.unsqueeze(0).expand((2,) + tuple(x.shape)))),
    ("flatten", lambda shape: len(shape) != 1, lambda rng, shape: (None, (int(np.prod(shape)),)),
     lambda lib, x, _: x.reshape(-1)),
    ("where", lambda shape: True, _where_draw, _where),
    ("clip", lambda shape: True, lambda rng, shape: (None, shape),
     lambda lib, x, _: ad.clip(x, -0.8, 0.9) if lib == "ad" else x.clamp(-0.8, 0.9)),
]


def _fan_out(lib, x, _):
    if lib == "ad":
        return x * ad.sin(x).sum()
    return x * _torch().sin(x).sum()


def _concat_square(lib, x, axis):
    if lib == "ad":
        return ad.concatenate([x, x * x], axis=axis)
    return _torch().cat([x, x * x], dim=axis)


def _stack_cos(lib, x, _):
    if lib == "ad":
        return ad.stack([x, ad.cos(x)])
    return _torch().stack([x, _torch().cos(x)])


def _set_entry(lib, x, _):
    """An in-place write into an intermediate: its first row becomes a function of
    itself and the rest."""
    y = x * 1.0
    y[0] = y[0] * 2.0 + x[-1]
    return y


def _multiply_in_place(lib, x, _):
    y = x + 0.5
    y.mul_(x)
    return y


def _power_self(lib, x, _):
    if lib == "ad":
        return (x * x + 1.0) ** ad.sin(x)
    return (x * x + 1.0) ** _torch().sin(x)


def _layer_norm(lib, x, _):
    if lib == "ad":
        return F.layer_norm(x, x.shape[-1:])
    return _torch().nn.functional.layer_norm(x, x.shape[-1:])


def _pad(lib, x, _):
    if lib == "ad":
        return F.pad(x, (1, 2), value=0.3)
    return _torch().nn.functional.pad(x, (1, 2), value=0.3)


def _topk(lib, x, _):
    k = min(2, x.shape[-1])
    return (ad.topk(x, k) if lib == "ad" else x.topk(k)).values


def _last_axis_longer_than_one(shape):
    return len(shape) >= 1 and shape[-1] > 1


def _same(rng, shape):
    return None, shape


def _std_draw(rng, shape):
    """An axis longer than 1 (the deviation of one value is 0, where std has no
    derivative)."""
    axes = [a for a, n in enumerate(shape) if n > 1]
    axis = axes[int(rng.integers(len(axes)))]
    return axis, shape[:axis] + shape[axis + 1:]


MORE_OPS = [
    ("fan_out", lambda shape: True, _same, _fan_out),
    ("concat_square", lambda shape: len(shape) >= 1,
     lambda rng, shape: (lambda a: (a, shape[:a] + (2 * shape[a],) + shape[a + 1:]))(
         int(rng.integers(len(shape)))), _concat_square),
    ("stack_cos", lambda shape: len(shape) < 3, lambda rng, shape: (None, (2,) + shape),
     _stack_cos),
    ("set_entry", lambda shape: len(shape) >= 1, _same, _set_entry),
    ("multiply_in_place", lambda shape: True, _same, _multiply_in_place),
    ("power_self", lambda shape: True, _same, _power_self),
    ("layer_norm", _last_axis_longer_than_one, _same, _layer_norm),
    ("pad", lambda shape: len(shape) >= 1,
     lambda rng, shape: (None, shape[:-1] + (shape[-1] + 3,)), _pad),
    ("topk", lambda shape: len(shape) >= 1,
     lambda rng, shape: (None, shape[:-1] + (min(2, shape[-1]),)), _topk),
    _on_axis("sort", lambda x, a: ad.sort(x, axis=a), lambda x, a: x.sort(a).values, True),
    _on_axis("roll", lambda x, a: ad.roll(x, 1, axis=a), lambda x, a: x.roll(1, a), True),
    ("std", lambda shape: any(n > 1 for n in shape), _std_draw,
     lambda lib, x, a: ad.std(x, axis=a) if lib == "ad" else x.std(a, correction=0)),
    _unary("abs", ad.abs, lambda x: x.abs()),
]


class Program:
    """A drawn program: the input shape and the steps ``(op, parameter)``; the last
    ``weights`` turn its output into a scalar for ``grad`` and ``hessian``."""

    def __init__(self, seed, shape, steps, weights):
        self.seed, self.shape, self.steps, self.weights = seed, shape, steps, weights

    def __repr__(self):
        names = " -> ".join(op[0] for op, _ in self.steps)
        return f"Program(seed={self.seed}, shape={self.shape}: {names})"

    def run(self, lib, x):
        """The program's (tensor) output for input ``x``, computed with ``lib``."""
        for (_, _, _, apply), parameter in self.steps:
            x = apply(lib, x, parameter)
        return x

    def scalar(self, lib, x):
        """The output weighted by fixed random weights and summed."""
        return (self.run(lib, x) * _const(self.weights, lib)).sum()


def make_program(seed, exclude=()) -> Program:
    """A valid random program of 3 to 6 ops on a random input shape, drawn from the
    ops not named in ``exclude``."""
    rng = np.random.default_rng(seed)
    shape = SHAPES[int(rng.integers(len(SHAPES)))]
    current, steps = shape, []
    for _ in range(int(rng.integers(3, 7))):
        usable = [op for op in OPS + MORE_OPS if op[1](current) and _small(op, current)
                  and op[0] not in exclude]
        op = usable[int(rng.integers(len(usable)))]
        parameter, current = op[2](rng, current)
        steps.append((op, parameter))
    return Program(seed, shape, steps, rng.uniform(-1.0, 1.0, current))


def _small(op, shape) -> bool:
    """Keep every intermediate at 12 entries or fewer (the Hessians stay cheap)."""
    return op[0] != "unsqueeze_broadcast" or int(np.prod(shape)) <= 6
