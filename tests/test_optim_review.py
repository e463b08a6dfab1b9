"""Optimizer and scheduler API semantics against PyTorch 2.13's: implementation flags,
hyperparameters given as NumPy scalars or Tensors, sets of parameters, loading the
state of another optimizer or of another dtype, ``step(epoch)``, ``LambdaLR``'s saved
callable objects and resuming ``OneCycleLR``."""

import warnings

import numpy as np
import pytest

import autodiff as ad

optim = ad.optim
S = ad.optim.lr_scheduler


def _param(dtype=np.float64):
    return ad.nn.Parameter(np.array([1.0, -2.0, 3.0], dtype=dtype))


def _grad(p, value=(0.5, -1.0, 2.0)):
    p.grad = np.array(value, dtype=p.data.dtype)


def _step(*pairs):
    """Give each parameter a gradient and step its optimizer: pairs of (p, opt)."""
    for p, opt in pairs:
        _grad(p)
        opt.step()


# ----- foreach / fused / capturable / differentiable ------------------------------
@pytest.mark.parametrize("cls, flags", [
    (optim.SGD, dict(foreach=False, fused=True, differentiable=False)),
    (optim.Adam, dict(foreach=True, fused=None, capturable=False, differentiable=False)),
    (optim.AdamW, dict(fused=True)),
    (optim.RMSprop, dict(foreach=True)),
    (optim.Adagrad, dict(fused=False)),
    (optim.Adamax, dict(foreach=None)),
    (optim.NAdam, dict(foreach=True)),
    (optim.RAdam, dict(foreach=False)),
])
def test_implementation_flags_are_taken_and_change_nothing(cls, flags):
    p, q = _param(), _param()
    plain, flagged = cls([p], lr=0.1), cls([q], lr=0.1, **flags)
    for _ in range(3):
        _step((p, plain), (q, flagged))
    assert p.data.tobytes() == q.data.tobytes()
    states = [sorted(key for key in opt.state_dict() if key.startswith("state."))
              for opt in (plain, flagged)]
    assert states[0] == states[1]
    assert all(flagged.param_groups[0][key] == value for key, value in flags.items())


def test_positional_foreach_as_in_pytorch():
    optim.Adagrad([_param()], 0.1, 0.0, 0.0, 0.0, 1e-10, True)
    optim.Adamax([_param()], 0.1, (0.9, 0.999), 1e-8, 0.0, False)


@pytest.mark.parametrize("cls, flags, words", [
    (optim.Adam, dict(capturable=True), "capturable"),
    (optim.RMSprop, dict(capturable=True), "capturable"),
    (optim.SGD, dict(differentiable=True), "differentiable"),
    (optim.NAdam, dict(differentiable=True), "differentiable"),
    (optim.AdamW, dict(fused=True, foreach=True), "foreach"),
])
def test_flags_that_cannot_be_honoured_are_refused(cls, flags, words):
    with pytest.raises(ValueError, match=words) as info:
        cls([_param()], lr=0.1, **flags)
    assert cls.__name__ in str(info.value)


# ----- hyperparameters as NumPy scalars and Tensors --------------------------------
@pytest.mark.parametrize("lr", [np.float32(0.5), np.int64(1), ad.tensor(0.5),
                                ad.tensor([0.25]), np.array(0.5)])
def test_lr_as_numpy_scalar_or_tensor_is_the_number(lr):
    value = float(np.asarray(lr.data if isinstance(lr, ad.Tensor) else lr).reshape(()))
    p, q = _param(), _param()
    opt = optim.SGD([p], lr=lr, momentum=np.float32(0.5))
    ref = optim.SGD([q], lr=value, momentum=0.5)
    assert type(opt.param_groups[0]["lr"]) in (float, int)
    for _ in range(2):
        _step((p, opt), (q, ref))
    np.testing.assert_array_equal(p.data, q.data)
    group = optim.Adam([{"params": [_param()], "lr": ad.tensor(0.01)}]).param_groups[0]
    assert group["lr"] == pytest.approx(0.01) and isinstance(group["lr"], float)


# ----- sets of parameters ------------------------------------------------------------
def test_a_set_of_parameters_is_refused():
    a, b = _param(), _param()
    with pytest.raises(TypeError, match="set"):
        optim.SGD({a, b}, lr=0.1)
    with pytest.raises(TypeError, match="set"):
        optim.SGD([{"params": {a, b}}], lr=0.1)
    opt = optim.SGD([a], lr=0.1)
    with pytest.raises(TypeError, match="set"):
        opt.add_param_group({"params": {b}})
    assert len(opt.param_groups) == 1


# ----- load_state_dict ------------------------------------------------------------------
def _stepped(cls, dtype=np.float64, **kw):
    p = _param(dtype)
    opt = cls([p], lr=0.1, **kw)
    _step((p, opt))
    return opt


@pytest.mark.parametrize("source, target, words", [
    (optim.Adamax, optim.Adam, "exp_inf"),
    (optim.Adamax, optim.AdamW, "exp_inf"),
    (optim.Adamax, optim.NAdam, "exp_inf"),
    (optim.Adamax, optim.RAdam, "exp_inf"),
    (optim.RAdam, optim.NAdam, "mu_product"),
])
def test_the_state_of_another_optimizer_is_refused(source, target, words):
    saved = _stepped(source).state_dict()
    p = _param()
    opt = target([p], lr=0.5)
    with pytest.raises(KeyError, match=words) as info:
        opt.load_state_dict(saved)
    assert target.__name__ in str(info.value) and "another optimizer" in str(info.value)
    assert opt.param_groups[0]["lr"] == 0.5 and opt.state == [{}]     # left as it was
    _step((p, opt))
    # Adam's and AdamW's states load into each other, as in PyTorch.
    for source, target in ((optim.Adam, optim.AdamW), (optim.AdamW, optim.Adam)):
        opt = target([_param()])
        opt.load_state_dict(_stepped(source).state_dict())
        assert int(opt.state[0]["step"]) == 1


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.NAdam, optim.Adamax,
                                 optim.RMSprop, optim.Adagrad])
@pytest.mark.parametrize("saved_dtype, dtype", [(np.float64, np.float32),
                                                (np.float32, np.float64)])
def test_loaded_state_takes_the_parameters_dtype(cls, saved_dtype, dtype):
    kw = dict(momentum=0.9) if cls is optim.SGD else {}
    saved = _stepped(cls, saved_dtype, **kw).state_dict()
    p = _param(dtype)
    opt = cls([p], lr=0.1, **kw)
    opt.load_state_dict(saved)
    for key, value in opt.state[0].items():
        if key != "step":
            assert value.dtype == dtype, key
    _step((p, opt))
    for key, value in opt.state[0].items():
        if key != "step":
            assert value.dtype == dtype, key


# ----- schedulers: step(epoch) ---------------------------------------------------------
def _sgd(lr=1.0):
    p = _param()
    return p, optim.SGD([p], lr=lr)


def test_scheduler_step_with_an_epoch_jumps_and_warns_as_pytorch():
    p, opt = _sgd()
    sched = S.StepLR(opt, step_size=2, gamma=0.1)
    _step((p, opt))
    with pytest.warns(UserWarning, match=r"StepLR\.step\(epoch\).*deprecated"):
        sched.step(5)
    assert sched.last_epoch == 5
    assert sched.get_last_lr()[0] == pytest.approx(0.01)
    p, opt = _sgd()
    sched = S.ExponentialLR(opt, gamma=0.5)
    _step((p, opt))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched.step(3)
    sched.step()
    assert (sched.last_epoch, sched.get_last_lr()[0]) == (4, pytest.approx(0.0625))
    with pytest.raises(ValueError, match="epoch"):
        sched.step(1.5)


def test_plateau_step_with_an_epoch_sets_last_epoch_and_warns():
    p, opt = _sgd()
    sched = S.ReduceLROnPlateau(opt)
    with pytest.warns(UserWarning, match="deprecated"):
        sched.step(1.0, 7)
    assert sched.last_epoch == 7


# ----- LambdaLR's callable objects, OneCycleLR resumed ---------------------------------
class _Decay:
    def __init__(self):
        self.rate = 0.5

    def __call__(self, step):
        return self.rate ** step


def test_lambda_lr_saves_and_restores_a_callable_objects_attributes():
    fn = _Decay()
    sched = S.LambdaLR(_sgd()[1], fn)
    fn.rate = 0.25
    state = sched.state_dict()
    other = _Decay()
    resumed = S.LambdaLR(_sgd()[1], other)
    resumed.load_state_dict(state)
    assert other.rate == 0.25 and callable(resumed.lr_lambdas[0])


def test_one_cycle_resumed_without_its_group_keys_says_what_to_do():
    p, opt = _sgd()
    opt.param_groups[0]["initial_lr"] = 0.04
    with pytest.raises(KeyError, match=r"OneCycleLR.*'max_lr'.*state_dict"):
        S.OneCycleLR(opt, max_lr=1.0, total_steps=10, last_epoch=3, cycle_momentum=False)
