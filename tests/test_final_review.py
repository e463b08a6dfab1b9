"""Behaviour shared with PyTorch: LBFGS restoring a state saved without line search,
and pad_sequence keeping the first sequence's dtype."""

from __future__ import annotations

import numpy as np

import autodiff as ad


def test_lbfgs_state_saved_without_line_search_restores_none():
    w = ad.nn.Parameter(np.array([3.0, -1.0]))
    plain = ad.optim.LBFGS([w], max_iter=4)
    searching = ad.optim.LBFGS([w], max_iter=7, line_search_fn="strong_wolfe")
    searching.load_state_dict(plain.state_dict())
    assert searching.param_groups[0]["max_iter"] == 4
    assert searching.param_groups[0]["line_search_fn"] is None


def test_lbfgs_state_saved_with_line_search_restores_it():
    w = ad.nn.Parameter(np.array([3.0, -1.0]))
    searching = ad.optim.LBFGS([w], line_search_fn="strong_wolfe")
    plain = ad.optim.LBFGS([w])
    plain.load_state_dict(searching.state_dict())
    assert plain.param_groups[0]["line_search_fn"] == "strong_wolfe"


def test_pad_sequence_takes_the_first_sequences_dtype():
    a = ad.tensor(np.ones(2, np.float32), requires_grad=True)
    b = ad.tensor(np.ones(3, np.float64), requires_grad=True)
    out = ad.nn.utils.rnn.pad_sequence([a, b], batch_first=True)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, [[1, 1, 0], [1, 1, 1]])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad, [1, 1])
    np.testing.assert_array_equal(b.grad, [1, 1, 1])
    assert np.asarray(b.grad).dtype == np.float64
    reverse = ad.nn.utils.rnn.pad_sequence([b, a])
    assert reverse.dtype == np.float64


def test_lbfgs_state_dict_after_a_step_with_no_iterations():
    w = ad.nn.Parameter(np.array([1.0, 2.0]))
    opt = ad.optim.LBFGS([w], max_iter=0)

    def closure():
        opt.zero_grad()
        loss = (w ** 2).sum()
        loss.backward()
        return loss
    assert float(opt.step(closure)) == 5.0
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    saved = opt.state_dict()
    assert int(saved["state.0.func_evals"]) == 1
    resumed = ad.optim.LBFGS([w], max_iter=3)
    resumed.load_state_dict(saved)
    resumed.param_groups[0]["max_iter"] = 3
    resumed.step(closure)
    assert resumed.state[0]["n_iter"] >= 1
    assert float((w ** 2).sum()) < 5.0
