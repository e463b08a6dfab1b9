"""``optimizer.state[p]``: the state read by parameter, as PyTorch keys it, beside the
positions (``state[0]``) of the flat state_dict."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import autodiff as ad

# the third parameter gets no gradient, on purpose
pytestmark = pytest.mark.filterwarnings("ignore::autodiff.NoGradientWarning")


def _stepped_adam(lib, values, grads, steps=2):
    params = [lib.nn.Parameter(lib.tensor(v)) for v in values]
    opt = lib.optim.Adam(params, lr=0.1)
    for _ in range(steps):
        for p, g in zip(params, grads):
            p.grad = None if g is None else lib.tensor(g)
        opt.step()
    return params, opt


VALUES = [np.array([1.0, -2.0]), np.array([[0.5, 0.25]]), np.array([3.0])]
GRADS = [np.array([0.3, -0.1]), np.array([[1.0, 2.0]]), None]      # the last gets none


def test_state_by_parameter_is_the_state_by_position():
    params, opt = _stepped_adam(ad, VALUES, GRADS)
    for i, p in enumerate(params[:2]):
        # (by parameter, PyTorch's reading: the same dict, its arrays as tensors)
        assert opt.state[p] == opt.state[i] and opt.state[p]._state is opt.state[i]
    assert opt.state[params[0]]["exp_avg"].data is opt.state[0]["exp_avg"]
    assert [p in opt.state for p in params] == [True, True, False]
    assert [id(p) for p in opt.state.keys()] == [id(p) for p in params[:2]]
    assert [s for _, s in opt.state.items()] == opt.state.values() == list(opt.state)[:2]
    assert opt.state.get(params[2]) is None and opt.state.get(params[2], {}) == {}


def test_state_by_parameter_matches_torch():
    torch = pytest.importorskip("torch")
    ours, our_opt = _stepped_adam(ad, VALUES, GRADS)
    theirs, their_opt = _stepped_adam(torch, VALUES, GRADS)
    assert [p in our_opt.state for p in ours] == [p in their_opt.state for p in theirs]
    assert len(our_opt.state.keys()) == len(their_opt.state.keys())
    for p, q in zip(ours[:2], theirs[:2]):
        assert sorted(our_opt.state[p]) == sorted(their_opt.state[q])
        for key in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_allclose(our_opt.state[p][key], their_opt.state[q][key].numpy(),
                                       rtol=1e-14)
        assert int(our_opt.state[p]["step"]) == int(their_opt.state[q]["step"])


def test_lbfgs_keeps_its_state_under_its_first_parameter_as_torch():
    torch = pytest.importorskip("torch")
    target = np.array([1.0, -3.0, 2.0])

    def run(lib):
        w = lib.nn.Parameter(lib.zeros(3, dtype=lib.float64))
        opt = lib.optim.LBFGS([w], max_iter=5, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = ((w - lib.tensor(target)) ** 4).sum()
            loss.backward()
            return loss

        opt.step(closure)
        state = opt.state[opt.param_groups[0]["params"][0]]
        return state["n_iter"], state["func_evals"]

    assert run(ad) == run(torch)


class _SharpnessAware(ad.optim.Optimizer):
    """SAM's first half (a common custom optimizer): keep each weight under
    ``self.state[p]`` and climb the gradient."""

    def __init__(self, params, rho=0.05):
        super().__init__(params, {"rho": rho, "lr": 0.0})

    @ad.no_grad()
    def first_step(self):
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p]["old_p"] = p.detach().clone()
                p.add_(ad.tensor(p.grad) * group["rho"])

    @ad.no_grad()
    def restore(self):
        for group in self.param_groups:
            for p in group["params"]:
                p.copy_(self.state[p]["old_p"])


def test_a_custom_optimizer_keeps_state_by_parameter_through_copies():
    w = ad.nn.Parameter(ad.tensor([1.0, 2.0]))
    opt = _SharpnessAware([w])
    w.grad = np.array([1.0, -1.0])
    opt.first_step()
    np.testing.assert_allclose(w.data, [1.05, 1.95])
    for copied in (copy.deepcopy(opt), pickle.loads(pickle.dumps(opt))):
        assert copied.state._owner() is copied
        np.testing.assert_array_equal(copied.state[copied.params[0]]["old_p"], [1.0, 2.0])
    opt.restore()
    np.testing.assert_array_equal(w.data, [1.0, 2.0])


def test_state_of_a_tensor_the_optimizer_lacks_or_of_a_dict_is_refused_clearly():
    params, opt = _stepped_adam(ad, VALUES, GRADS)
    stranger = ad.nn.Parameter(ad.tensor([[1.0, 2.0, 3.0]]))
    with pytest.raises(KeyError, match=r"Adam.state\[p\]: the tensor of shape \(1, 3\)"):
        opt.state[stranger]
    assert stranger not in opt.state
    with pytest.raises(TypeError, match="state.keys"):
        for state in opt.state:
            opt.state[state]
