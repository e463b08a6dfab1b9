"""A pruned model (``nn.utils.prune``, a forward pre-hook that sets ``module.weight =
weight_orig * weight_mask``) under ``ad.compile`` (it was refused): the hook's ops are
traced and replayed, the mask buffer is read again at each replay (an in-place change
is followed without a trace), ``module.weight`` holds the last call's pruned value
after every replay, as after an eager forward, and re-pruning or removing traces
again.  Every value is compared with the same steps run eagerly, to 1e-13 relative (a
plan may fuse elementwise steps into one loop that rounds differently by an ulp); any
other hook on the module is still refused, naming it."""

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.compile import TraceError

_rng = np.random.default_rng(20261206)


def _pruned_model():
    model = nn.Sequential(nn.Linear(4, 5, rng=0), nn.Tanh(), nn.Linear(5, 2, rng=1))
    nn.utils.prune.l1_unstructured(model[0], "weight", amount=0.5)
    nn.utils.prune.l1_unstructured(model[2], "bias", amount=0.5)
    return model


def _training_step(model):
    opt = ad.optim.SGD(model.parameters(), lr=0.1)

    def step(x):
        opt.zero_grad()
        loss = (model(x) ** 2).sum()
        loss.backward()
        opt.step()
        return loss.detach()
    return step


def _same_state(a, b, rtol=1e-13):
    """(a plan may fuse elementwise steps of the backward and the update into one loop,
    whose rounding can differ from eager's by an ulp: relative, not bitwise)"""
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_allclose(p.data, q.data, rtol=rtol, atol=0, err_msg=name)
    for layer, other in ((a[0], b[0]), (a[2], b[2])):
        for name in ("weight", "bias"):
            np.testing.assert_allclose(getattr(layer, name).data, getattr(other, name).data,
                                       rtol=rtol, atol=0)


def test_a_pruned_training_step_replays_as_eager():
    model, reference = _pruned_model(), _pruned_model()
    compiled, eager = ad.compile(_training_step(model)), _training_step(reference)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # (nothing left behind, nothing stale)
        for _ in range(4):
            x = ad.tensor(_rng.normal(size=(3, 4)))
            np.testing.assert_allclose(compiled(x).data, eager(x).data, rtol=1e-14)
            _same_state(model, reference)
    assert len(compiled.plans) == 1
    # the pruned entries stay zero and get no gradient
    mask = model[0].weight_mask
    assert np.all(model[0].weight.data[mask == 0] == 0)


def test_the_pruned_weight_read_after_the_forward_is_the_traced_one():
    # (a penalty on module.weight reads what the hook set in this call, as eagerly)
    def step_of(model):
        opt = ad.optim.SGD(model.parameters(), lr=0.1)

        def step(x):
            opt.zero_grad()
            loss = (model(x) ** 2).sum() + 0.1 * (model[0].weight ** 2).sum()
            loss.backward()
            opt.step()
            return loss.detach()
        return step
    model, reference = _pruned_model(), _pruned_model()
    compiled, eager = ad.compile(step_of(model)), step_of(reference)
    for _ in range(3):
        x = ad.tensor(_rng.normal(size=(3, 4)))
        np.testing.assert_allclose(compiled(x).data, eager(x).data, rtol=1e-14)
        _same_state(model, reference)


def test_a_mask_changed_in_place_is_followed_and_a_new_pruning_traces_again():
    model, reference = _pruned_model(), _pruned_model()
    compiled, eager = ad.compile(_training_step(model)), _training_step(reference)
    x = ad.tensor(_rng.normal(size=(3, 4)))
    compiled(x), eager(x)
    for layer in (model[0], reference[0]):
        layer.weight_mask[0, :] = 0                 # (in place: read again at the replay)
    np.testing.assert_allclose(compiled(x).data, eager(x).data, rtol=1e-14)
    _same_state(model, reference)
    assert len(compiled.plans) == 1
    for layer in (model[0], reference[0]):         # (another hook: traced again)
        nn.utils.prune.l1_unstructured(layer, "weight", amount=0.3)
    np.testing.assert_allclose(compiled(x).data, eager(x).data, rtol=1e-14)
    _same_state(model, reference)
    for layer in (model[0], reference[0]):
        nn.utils.prune.remove(layer, "weight")
    np.testing.assert_allclose(compiled(x).data, eager(x).data, rtol=1e-14)
    np.testing.assert_allclose(model[0].weight.data, reference[0].weight.data, rtol=1e-13)


def test_another_hook_beside_the_pruning_is_refused_naming_it():
    model = _pruned_model()

    def record_inputs(module, args):
        return None
    model[0].register_forward_pre_hook(record_inputs)
    compiled = ad.compile(_training_step(model))
    with pytest.raises(TraceError, match=r"Linear has forward hooks \(.*record_inputs "
                                         r"\(.*test_compile_pruned\.py:\d+\)\) and is called "
                                         r"at .*test_compile_pruned\.py"):
        compiled(ad.tensor(_rng.normal(size=(3, 4))))


def test_a_hook_registered_after_the_trace_traces_again_and_is_refused():
    model = _pruned_model()
    compiled = ad.compile(_training_step(model))
    x = ad.tensor(_rng.normal(size=(3, 4)))
    compiled(x)
    model[2].register_forward_hook(lambda module, args, output: None)
    with pytest.raises(TraceError, match=r"has forward hooks \(<lambda>"):
        compiled(x)
