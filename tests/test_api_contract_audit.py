"""Probes of the public contract (docs' API page) as an outside test suite would write
them: each test pins one behaviour the contract states and the package got wrong."""

import warnings

import numpy as np

import autodiff as ad
from autodiff import nn


def test_step_with_no_gradient_at_all_names_the_parameters():
    # The contract: step() warns naming the parameter that got no gradient; with a
    # single parameter, used only as a `where` condition, the warning named none.
    q = nn.Parameter(np.ones(2), name="q")
    opt = ad.optim.SGD([q], lr=0.1)
    (ad.where(q > 0, 1.0, 0.0).sum() + ad.tensor(1.0, requires_grad=True)).backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt.step()
    (message,) = [str(w.message) for w in caught if w.category is ad.NoGradientWarning]
    assert "'q'" in message and "ad.explain" in message
    assert caught[0].filename == __file__
