"""A compiled step gives each leaf a ``.grad`` of its own, as eager execution does,
where one gradient array reaches several leaves (``a + b``: LSTM's two biases) or a
gradient passed to ``backward`` reaches a leaf as it is; with the fused loops, without
them, and under ``AUTODIFF_JIT=0``."""

import os
import subprocess
import sys

import numpy as np
import pytest

import autodiff as ad

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _two_leaves(fuse):
    a = ad.tensor(np.ones((4, 3)), requires_grad=True)
    b = ad.tensor(np.full((4, 3), 0.5), requires_grad=True)

    def step(x):
        loss = (ad.relu(a + b) * x).sum()
        loss.backward()
        return loss
    return a, b, ad.compile(step, fuse=fuse)


@pytest.mark.parametrize("fuse", [True, False])
def test_two_leaves_given_one_gradient_get_grads_of_their_own(fuse):
    a, b, step = _two_leaves(fuse)
    x = np.arange(12.0).reshape(4, 3)
    for _ in range(3):
        a.grad = b.grad = None
        step(x)
    assert step.traces == 1
    assert not np.shares_memory(a.grad, b.grad)
    a.grad *= 2                         # (clip_grad_norm_ scales each .grad in place)
    np.testing.assert_array_equal(b.grad, x)
    np.testing.assert_array_equal(a.grad, 2 * x)
    step(x)                             # no zero_grad: the call adds its gradient
    np.testing.assert_array_equal(a.grad, 3 * x)
    np.testing.assert_array_equal(b.grad, 2 * x)


def _lstm_clipped(compiled):
    rnn = ad.nn.LSTM(3, 5, batch_first=True, rng=0)
    opt = ad.optim.SGD(rnn.parameters(), lr=0.1)

    def step(x):
        out, _ = rnn(x)
        loss = (out ** 2).mean()
        opt.zero_grad()
        loss.backward()
        ad.nn.utils.clip_grad_norm_(rnn.parameters(), 0.01)
        opt.step()
        return loss
    f = ad.compile(step) if compiled else step
    x = np.random.default_rng(0).normal(size=(4, 6, 3))
    losses = [float(f(x).data) for _ in range(5)]
    return rnn, losses


def test_lstm_biases_clipped_in_a_compiled_step_train_as_eager():
    # bias_ih and bias_hh get one gradient; a shared .grad was scaled twice
    eager, eager_losses = _lstm_clipped(False)
    compiled, compiled_losses = _lstm_clipped(True)
    assert not np.shares_memory(compiled.bias_ih_l0.grad, compiled.bias_hh_l0.grad)
    np.testing.assert_allclose(compiled_losses, eager_losses, rtol=1e-12)
    for (name, p), q in zip(eager.named_parameters(), compiled.parameters()):
        np.testing.assert_allclose(q.data, p.data, rtol=1e-12, atol=1e-15, err_msg=name)


def test_a_gradient_given_to_backward_is_not_the_leafs_grad():
    w = ad.tensor(np.ones(3), requires_grad=True)
    opt = ad.optim.SGD([w], lr=0.1)

    @ad.compile
    def step(g):
        out = w + 1.0
        opt.zero_grad()
        out.backward(g)
        return out

    for _ in range(3):
        g = ad.tensor(np.array([1.0, 2.0, 3.0]))
        step(g)
    assert step.traces == 1
    assert not np.shares_memory(w.grad, g.data)
    w.grad *= 10
    np.testing.assert_array_equal(g.data, [1.0, 2.0, 3.0])


_SCRIPT = """\
import numpy as np, autodiff as ad
from autodiff import kernels
assert not kernels.JIT_ENABLED
def run(compiled):
    a = ad.tensor(np.ones((40, 30)), requires_grad=True)
    b = ad.tensor(np.full((40, 30), 0.5), requires_grad=True)
    opt = ad.optim.SGD([a, b], lr=0.1)
    def step(x):
        loss = (ad.tanh(a + b) * x).sum()
        opt.zero_grad()
        loss.backward()
        ad.nn.utils.clip_grad_norm_([a, b], 1.0)
        opt.step()
        return loss
    f = ad.compile(step) if compiled else step
    x = np.linspace(-1, 1, 1200).reshape(40, 30)
    losses = [f(x).data.tobytes() for _ in range(4)]
    return losses, a, b, f
eager, e_a, e_b, _ = run(False)
compiled, c_a, c_b, f = run(True)
assert any(i.kind == "kernel" for i in f.plan.instrs)
assert not np.shares_memory(c_a.grad, c_b.grad)
assert eager == compiled
assert e_a.data.tobytes() == c_a.data.tobytes() and e_b.data.tobytes() == c_b.data.tobytes()
print("ok")
"""


def test_autodiff_jit_0_gives_two_leaves_grads_of_their_own(tmp_path):
    script = tmp_path / "shared.py"
    script.write_text(_SCRIPT)
    env = dict(os.environ, AUTODIFF_JIT="0",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_pytorchs_hand_written_update_with_alpha_is_recorded_in_a_compiled_step():
    # p.add_(p.grad, alpha=-lr): the scaling of the .grad array is an op, so the trace
    # follows it (NumPy's ``other * alpha`` on the array was refused as made outside).
    w, v = ad.nn.Parameter([1.0, 2.0, 3.0]), ad.nn.Parameter([1.0, 2.0, 3.0])
    x = np.array([0.5, -1.0, 2.0])

    @ad.compile
    def step(x):
        w.grad = None
        loss = ((w * x) ** 2).sum()
        loss.backward()
        with ad.no_grad():
            w.add_(w.grad, alpha=-0.1)
        return loss

    for _ in range(4):
        step(x)
        v.grad = None
        ((v * x) ** 2).sum().backward()
        with ad.no_grad():
            v.sub_(v.grad, alpha=0.1)
    np.testing.assert_array_equal(w.data, v.data)
