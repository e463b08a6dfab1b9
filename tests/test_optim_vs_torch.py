"""Every optimizer PyTorch also has, against PyTorch itself: the constructor defaults
(the keys and values of ``defaults`` and ``param_groups``), and the parameter and
state after a few steps on the same float32 and float64 parameters and gradients
(values, shapes and dtypes).  Skipped when PyTorch is not installed; the files
test_optim*.py check the same updates against formulas written out.

The documented differences (see ``autodiff.optim.optimizer``): ``state["step"]`` is an
int64 array; scalar state
(ASGD's ``eta``/``mu``, NAdam's ``mu_product``) takes the parameter's dtype where
PyTorch uses its default dtype, so PyTorch runs here with its default dtype set to
the parameter's.
"""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn

torch = pytest.importorskip("torch")

# (name, keyword arguments), the same for both libraries
CONFIGS = [
    ("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01)), ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)), ("AdamW", dict(lr=0.01, amsgrad=True, maximize=True)),
    ("Adamax", dict(lr=0.01)), ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01)), ("RAdam", dict(lr=0.01, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01)), ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    ("Adagrad", dict(lr=0.1)), ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1)),
    ("Adadelta", dict()), ("Rprop", dict(lr=0.01)), ("ASGD", dict(lr=0.01)),
    ("ASGD", dict(lr=0.01, t0=2)), ("Adafactor", dict(lr=0.01)),
]
NAMES = sorted({name for name, _ in CONFIGS} | {"LBFGS"})


def _torch_default_dtype(dtype):
    """Context: PyTorch's default dtype set to ``dtype``'s for the duration."""
    class _Default:
        def __enter__(self):
            self.previous = torch.get_default_dtype()
            torch.set_default_dtype(getattr(torch, np.dtype(dtype).name))

        def __exit__(self, *exc):
            torch.set_default_dtype(self.previous)
    return _Default()


def _plain(value):
    return tuple(value) if isinstance(value, (tuple, list)) else value


@pytest.mark.parametrize("name", NAMES)
def test_defaults_and_group_keys_are_pytorchs(name):
    ours = getattr(ad.optim, name)([nn.Parameter(np.zeros(3))])
    theirs = getattr(torch.optim, name)([torch.zeros(3, requires_grad=True)])
    expected = {k: _plain(v) for k, v in theirs.defaults.items()}
    assert {k: _plain(v) for k, v in ours.defaults.items()} == expected
    assert set(ours.param_groups[0]) == set(theirs.param_groups[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, kwargs", CONFIGS)
def test_parameter_and_state_after_steps_are_pytorchs(name, kwargs, dtype):
    rng = np.random.default_rng(4)
    start = rng.normal(size=(3, 4)).astype(dtype)
    grads = [rng.normal(size=(3, 4)).astype(dtype) for _ in range(4)]
    p = nn.Parameter(start.copy())
    opt = getattr(ad.optim, name)([p], **kwargs)
    with _torch_default_dtype(dtype):
        t = torch.tensor(start.copy(), requires_grad=True)
        reference = getattr(torch.optim, name)([t], **kwargs)
        for g in grads:
            p.grad, t.grad = g.copy(), torch.tensor(g.copy())
            opt.step()
            reference.step()
    tolerance = dict(rtol=1e-12, atol=1e-14) if dtype == np.float64 else \
        dict(rtol=2e-6, atol=2e-7)
    assert p.data.dtype == dtype
    np.testing.assert_allclose(p.data, t.detach().numpy(), **tolerance)
    ours, theirs = opt.state[0], reference.state[t]
    assert set(ours) == set(theirs)
    for key, value in ours.items():
        expected = theirs[key].numpy() if torch.is_tensor(theirs[key]) else np.asarray(
            theirs[key])
        if key == "step":
            assert value.dtype == np.int64 and int(value) == int(expected) == len(grads)
            continue
        assert value.dtype == expected.dtype, key
        assert value.shape == expected.shape, key
        np.testing.assert_allclose(value, expected, **tolerance, err_msg=key)


def test_adam_with_decoupled_weight_decay_is_adamw():
    rng = np.random.default_rng(5)
    start, grads = rng.normal(size=4), [rng.normal(size=4) for _ in range(3)]
    p, q = nn.Parameter(start.copy()), nn.Parameter(start.copy())
    adam = ad.optim.Adam([p], lr=0.1, weight_decay=0.3, decoupled_weight_decay=True)
    adamw = ad.optim.AdamW([q], lr=0.1, weight_decay=0.3)
    for g in grads:
        p.grad, q.grad = g.copy(), g.copy()
        adam.step()
        adamw.step()
    assert p.data.tobytes() == q.data.tobytes()
    assert adamw.defaults["decoupled_weight_decay"] is True
    with pytest.raises(TypeError):      # as PyTorch's AdamW, which is always decoupled
        ad.optim.AdamW([q], decoupled_weight_decay=False)


@pytest.mark.parametrize("name", sorted(set(NAMES) - {"Rprop"}))   # Rprop keeps float step_sizes
def test_repr_is_pytorchs_with_the_implementation_flags(name):
    ours = getattr(ad.optim, name)([nn.Parameter(np.zeros(3))])
    theirs = getattr(torch.optim, name)([torch.zeros(3, requires_grad=True)])
    assert repr(ours) == repr(theirs)
