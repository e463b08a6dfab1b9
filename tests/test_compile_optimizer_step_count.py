"""A hand-written Adam whose ``step()`` the trace follows op by op, its state made
lazily in the first call.  Its step count kept as a Python number (``state["step"] =
0``, ``state["step"] += 1``) is refused at the trace, naming the optimizer, the entry
and the spelling that replays: a replay kept the traced count and bias corrections,
and drifted from eager execution from its first call.  Kept in a 0-d tensor, the same
code replays 100 steps as eager execution does, bit for bit (unfused, float64)."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError


class HandAdam(ad.optim.Optimizer):
    """Adam as often written: moments and the count made in the first ``step()``."""

    def __init__(self, params, count, lr=1e-2, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))
        self.count = count              # "number" or "tensor": how the count is kept

    def step(self):
        with ad.no_grad():
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                for p in group["params"]:
                    state = self.state[p]
                    if not state:
                        state["step"] = 0 if self.count == "number" else ad.zeros(())
                        state["exp_avg"] = ad.zeros_like(p)
                        state["exp_avg_sq"] = ad.zeros_like(p)
                        state["eps"] = group["eps"]     # (a number never changed)
                    state["step"] += 1
                    grad = ad.as_tensor(p.grad)
                    state["exp_avg"].mul_(beta1).add_(grad, alpha=1 - beta1)
                    state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                    correction1 = 1 - beta1 ** state["step"]
                    correction2 = 1 - beta2 ** state["step"]
                    denominator = (state["exp_avg_sq"] / correction2).sqrt().add_(state["eps"])
                    p.sub_(state["exp_avg"] / correction1 / denominator * group["lr"])


def make(count):
    w = ad.tensor(np.array([1.0, -0.5, 0.25]), requires_grad=True)
    b = ad.tensor(np.array([0.1]), requires_grad=True)
    opt = HandAdam([w, b], count)

    def step(x, y):
        opt.zero_grad()
        loss = (((x * w).sum(axis=1) + b - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss
    return step, (w, b), opt


def test_a_step_count_kept_as_a_python_number_is_refused_with_the_spelling_that_replays():
    step, _, _ = make("number")
    compiled = ad.compile(step, fuse=False)
    x, y = np.ones((4, 3)), np.zeros(4)
    compiled(x, y)                      # (the state made: traced again at the next call)
    with pytest.raises(TraceError) as caught:
        compiled(x, y)
    message = str(caught.value)
    assert "'step'" in message and "HandAdam" in message and "(1 -> 2)" in message
    assert "state['step'] = ad.zeros(())" in message


def test_a_step_count_kept_in_a_tensor_replays_100_steps_as_eager():
    step, params, opt = make("tensor")
    eager, eager_params, eager_opt = make("tensor")
    compiled = ad.compile(step, fuse=False)
    rng = np.random.default_rng(11)
    for _ in range(100):
        x, y = rng.normal(size=(4, 3)), rng.normal(size=4)
        expected, got = eager(ad.tensor(x), ad.tensor(y)), compiled(x, y)
        np.testing.assert_array_equal(got.data, expected.data)
        for p, q in zip(params, eager_params):
            np.testing.assert_array_equal(p.grad, q.grad)
            np.testing.assert_array_equal(p.data, q.data)
    assert compiled.traces == 2         # (the first call made the state)
    assert float(opt.state[params[0]]["step"]) == 100.0
