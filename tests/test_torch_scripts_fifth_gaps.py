"""What the fifth round of PyTorch scripts found missing, each checked by hand first
and then against PyTorch where it is installed: forward hooks registered with
``with_kwargs``, ``prepend`` and ``always_call``."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn

R = np.random.default_rng(55)


class _Scaled(nn.Module):
    def __init__(self, lib=ad):
        super().__init__()
        self.lin = lib.nn.Linear(2, 2)

    def forward(self, x, scale=1.0, fail=False):
        if fail:
            raise ValueError("forward failed")
        return self.lin(x) * scale


# --- forward hooks: with_kwargs, prepend, always_call -------------------------------

def test_a_pre_hook_with_kwargs_sees_and_replaces_the_keyword_arguments():
    model = _Scaled()
    x = ad.tensor(R.normal(size=(3, 2)))
    plain = model.lin(x).numpy()
    seen = []

    def double_the_scale(module, args, kwargs):
        seen.append(dict(kwargs))
        return args, {**kwargs, "scale": kwargs.get("scale", 1.0) * 2}

    handle = model.register_forward_pre_hook(double_the_scale, with_kwargs=True)
    np.testing.assert_allclose(model(x, scale=3.0).numpy(), plain * 6)
    np.testing.assert_allclose(model(x).numpy(), plain * 2)
    assert seen == [{"scale": 3.0}, {}]
    handle.remove()
    assert not model.__dict__["_forward_pre_hooks_with_kwargs"]
    np.testing.assert_allclose(model(x, scale=3.0).numpy(), plain * 3)


def test_a_pre_hook_with_kwargs_must_return_none_or_args_and_kwargs():
    model = _Scaled()
    model.register_forward_pre_hook(lambda m, args, kwargs: args, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"_Scaled: a forward pre-hook registered with "
                                           r"with_kwargs=True must return None or a tuple "
                                           r"of \(new_args, new_kwargs\)"):
        model(ad.ones(1, 2))


def test_a_forward_hook_with_kwargs_gets_them_before_the_output():
    model = _Scaled()
    x = ad.tensor(R.normal(size=(2, 2)))
    model.register_forward_hook(lambda m, args, kwargs, out: out + kwargs["scale"],
                                with_kwargs=True)
    np.testing.assert_allclose(model(x, scale=2.0).numpy(), model.lin(x).numpy() * 2 + 2)


def test_prepend_runs_a_hook_before_those_already_registered():
    model = _Scaled()
    order = []
    model.register_forward_pre_hook(lambda m, a: order.append("pre 1"))
    first = model.register_forward_pre_hook(lambda m, a: order.append("pre 0"), prepend=True)
    model.register_forward_hook(lambda m, a, o: order.append("hook 1"))
    model.register_forward_hook(lambda m, a, o: order.append("hook 0"), prepend=True)
    model(ad.ones(1, 2))
    assert order == ["pre 0", "pre 1", "hook 0", "hook 1"]
    first.remove()
    order.clear()
    model(ad.ones(1, 2))
    assert order == ["pre 1", "hook 0", "hook 1"]


def test_an_always_called_hook_runs_with_none_when_forward_raises():
    model = _Scaled()
    outputs = []
    model.register_forward_hook(lambda m, a, out: outputs.append(out), always_call=True)
    model.register_forward_hook(lambda m, a, out: outputs.append("ordinary"))
    with pytest.raises(ValueError, match="forward failed"):
        model(ad.ones(1, 2), fail=True)
    assert outputs == [None]
    model(ad.ones(1, 2))
    assert len(outputs) == 3 and outputs[2] == "ordinary"

    def broken(m, a, out):
        raise KeyError("in the hook")

    model.register_forward_hook(broken, always_call=True)
    with pytest.warns(UserWarning, match="always_call=True raised KeyError"):
        with pytest.raises(ValueError, match="forward failed"):
            model(ad.ones(1, 2), fail=True)


def test_hook_options_match_torch():
    torch = pytest.importorskip("torch")

    def run(lib):
        class Scaled(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = lib.nn.Linear(2, 2)

            def forward(self, x, scale=1.0, fail=False):
                if fail:
                    raise ValueError("boom")
                return self.lin(x) * scale

        model = Scaled()
        if lib is ad:
            model.lin.load_torch_state_dict(start)
        else:
            model.double().lin.load_state_dict({k: lib.from_numpy(v) for k, v in start.items()})
        log = []
        model.register_forward_pre_hook(
            lambda m, args, kwargs: (args, {**kwargs, "scale": 2.0}), with_kwargs=True)
        model.register_forward_pre_hook(lambda m, args: log.append("pre first"), prepend=True)
        model.register_forward_hook(
            lambda m, args, kwargs, out: log.append(sorted(kwargs)) or out + 1,
            with_kwargs=True)
        model.register_forward_hook(lambda m, args, out: log.append(out is None),
                                    always_call=True)
        x = lib.from_numpy(R_FIXED)
        out = model(x, scale=3.0)
        try:
            model(x, fail=True)
        except ValueError as error:
            log.append(str(error))
        return log, out.detach().numpy()

    R_FIXED = np.random.default_rng(0).normal(size=(2, 2))
    start = {"weight": R.normal(size=(2, 2)), "bias": R.normal(size=2)}
    theirs = run(torch)
    ours = run(ad)
    assert ours[0] == theirs[0]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)
