"""``ad.optim.optimizer.register_optimizer_step_pre_hook`` / ``..._post_hook``: hooks for
the step of every optimizer, in PyTorch's order around the optimizer's own hooks,
removable, and run by compiled replays."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.optim import optimizer as optimizer_module


def _order_of_hooks(lib, optimizer_module_of_lib):
    """The calls each hook sees over two steps of two optimizers; the global pre-hook is
    removed after the first step."""
    w = lib.nn.Parameter(lib.from_numpy(np.array([1.0, -2.0])))
    v = lib.nn.Parameter(lib.from_numpy(np.array([3.0])))
    sgd, adam = lib.optim.SGD([w], lr=0.1), lib.optim.Adam([v], lr=0.1)
    seen = []
    global_pre = optimizer_module_of_lib.register_optimizer_step_pre_hook(
        lambda opt, args, kwargs: seen.append(("global pre", type(opt).__name__)))
    global_post = optimizer_module_of_lib.register_optimizer_step_post_hook(
        lambda opt, args, kwargs: seen.append(
            ("global post", type(opt).__name__, float(w.detach().numpy().sum()))))
    try:
        sgd.register_step_pre_hook(lambda opt, args, kwargs: seen.append(("sgd pre",)))
        sgd.register_step_post_hook(lambda opt, args, kwargs: seen.append(("sgd post",)))
        for step in range(2):
            for opt in (sgd, adam):
                opt.zero_grad()
            ((w ** 2).sum() + (v ** 2).sum()).backward()
            sgd.step()
            adam.step()
            if step == 0:
                global_pre.remove()
    finally:
        global_pre.remove()
        global_post.remove()
    sgd.zero_grad()
    (w ** 2).sum().backward()
    sgd.step()                                  # no global hook any more
    return seen


def test_global_step_hooks_match_torch_in_order_and_removal():
    torch = pytest.importorskip("torch")
    import torch.optim.optimizer as torch_optimizer_module
    ours = _order_of_hooks(ad, optimizer_module)
    theirs = _order_of_hooks(torch, torch_optimizer_module)
    assert [entry[:2] for entry in ours] == [entry[:2] for entry in theirs]
    np.testing.assert_allclose([e[2] for e in ours if len(e) == 3],
                               [e[2] for e in theirs if len(e) == 3], rtol=1e-12)
    # global pre-hooks before the optimizer's own, global post-hooks after them
    assert ours[:3] == [("global pre", "SGD"), ("sgd pre",), ("sgd post",)]
    assert ours[3][:2] == ("global post", "SGD")


def test_global_step_hooks_run_without_torch_and_a_pre_hook_can_replace_the_arguments():
    w = nn.Parameter([1.0])
    optimizer = ad.optim.SGD([w], lr=0.5)
    handle = ad.optim.optimizer.register_optimizer_step_pre_hook(
        lambda opt, args, kwargs: (args, {"closure": lambda: 7.0}))
    try:
        w.grad = np.ones(1)
        assert optimizer.step() == 7.0
        assert w.item() == 0.5
    finally:
        handle.remove()
    assert optimizer.step() is None
    assert not ad.optim.step_hooks.global_pre_hooks
    with pytest.raises(TypeError, match="register_optimizer_step_post_hook: expected a "
                                        "callable, got int"):
        ad.optim.optimizer.register_optimizer_step_post_hook(3)


def test_global_step_hooks_run_in_compiled_replays_also_when_registered_after_the_trace():
    w = nn.Parameter(np.ones(300))               # big enough for the fused kernels
    optimizer = ad.optim.SGD([w], lr=0.1, momentum=0.9)

    @ad.compile
    def step():
        optimizer.zero_grad()
        (w * w).sum().backward()
        optimizer.step()

    step()
    step()
    calls = []
    handle = ad.optim.optimizer.register_optimizer_step_post_hook(
        lambda opt, args, kwargs: calls.append(w.numpy()[0]))
    try:
        for _ in range(3):
            step()
    finally:
        handle.remove()
    step()
    eager_w = nn.Parameter(np.ones(300))
    eager = ad.optim.SGD([eager_w], lr=0.1, momentum=0.9)
    expected = []
    for k in range(6):
        eager.zero_grad()
        (eager_w * eager_w).sum().backward()
        eager.step()
        if 2 <= k < 5:
            expected.append(eager_w.numpy()[0])
    assert calls == expected
    np.testing.assert_allclose(w.numpy(), eager_w.numpy(), rtol=1e-12)
