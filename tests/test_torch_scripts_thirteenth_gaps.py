"""What the thirteenth round of PyTorch scripts found different, checked by hand and
against PyTorch where it is installed (the missing distributions are in
test_torch_scripts_thirteenth_distributions.py): an optimizer step while a graph
recorded before the latest backward still holds the parameters (a GAN that keeps
``fake = G(z)`` and steps ``G`` on the gradients of a fresh ``G(z)``; an output computed
outside ``no_grad``), which was refused as if the step came before its backward: it now
steps, as PyTorch's does, and a later backward through the old graph raises
``InPlaceError`` as PyTorch's version check does; a gradient norm past the largest
float (a loss scaled into overflow), which is inf as PyTorch's is, without NumPy's
overflow warning from inside the library; and ``load_state_dict(sd, assign=True)``
(new Parameters of the state's dtype), which was refused as an unknown keyword; and
``torch.autograd.graph.register_multi_grad_hook`` (``mode="all"`` and ``"any"``), missing."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad


def _generator_step_with_a_kept_fake(lib):
    generator = lib.nn.Linear(2, 3)
    optimizer = lib.optim.SGD(generator.parameters(), lr=0.1)
    z = lib.ones((4, 2), requires_grad=True)
    fake = lib.tanh(generator(z))                  # kept, its graph alive
    loss = (generator(lib.ones((4, 2))) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return generator, fake


def test_a_step_while_an_older_graph_holds_the_parameters_goes_ahead():
    generator, fake = _generator_step_with_a_kept_fake(ad)
    assert not np.array_equal(generator.bias.data, np.zeros(3))
    with pytest.raises(ad.InPlaceError, match="op 'matmul' saved its input"):
        (fake ** 2).sum().backward()             # the weight it saved was stepped
    del fake
    assert generator.weight.data.flags.writeable


def test_a_step_before_its_own_backward_is_still_refused():
    w = ad.nn.Parameter(np.ones(2))
    optimizer = ad.optim.SGD([w], lr=0.1)
    (w * 2).sum().backward()
    loss = (w ** 3).sum()                          # recorded after that backward
    with pytest.raises(RuntimeError, match="SGD.step: cannot update parameter"):
        optimizer.step()
    loss.backward()


def test_a_step_with_a_kept_fake_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    ours, _ = _generator_step_with_a_kept_fake(ad)
    torch.manual_seed(0)
    theirs = torch.nn.Linear(2, 3).double()
    ours.load_torch_state_dict(theirs.state_dict())
    optimizer = torch.optim.SGD(theirs.parameters(), lr=0.1)
    ours_optimizer = ad.optim.SGD(ours.parameters(), lr=0.1)
    for lib, model, opt in ((torch, theirs, optimizer), (ad, ours, ours_optimizer)):
        kept = model(lib.ones((4, 2), dtype=lib.float64))             # noqa: F841
        loss = (model(2 * lib.ones((4, 2), dtype=lib.float64)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(ours.to_torch_state_dict()["weight"],
                               theirs.weight.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.bias.data, theirs.bias.detach().numpy(), rtol=1e-12)


def test_a_gradient_norm_past_the_largest_float_is_inf_without_numpy_warnings():
    import warnings
    grads = [np.full((2, 3), 1e200), np.array([3.0])]
    params = [ad.nn.Parameter(np.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # (NumPy's overflow warned before)
        with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is inf"):
            ad.nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        total = ad.nn.utils.clip_grad_norm_(params, 1.0)
    # the library's own warning, naming the way out; none of NumPy's
    assert [str(w.message)[:36] for w in caught] == ["clip_grad_norm_: the total norm of t"]
    assert total.item() == np.inf
    torch = pytest.importorskip("torch")
    theirs = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for p, g in zip(theirs, grads):
        p.grad = torch.from_numpy(g.copy())
    assert torch.nn.utils.clip_grad_norm_(theirs, 1.0).item() == total.item()
    for ours, p in zip(params, theirs):
        np.testing.assert_array_equal(ours.grad, p.grad.numpy())


def _load_with_assign(lib):
    model = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.BatchNorm1d(2))
    model[0].bias.requires_grad_(False)
    source = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.BatchNorm1d(2))
    source = source.float() if lib is not ad else source.to(np.float32)
    before = model[0].weight
    keys = model.load_state_dict(source.state_dict(), assign=True)
    return model, source, before, keys


def test_load_state_dict_with_assign_takes_the_states_dtype_in_new_parameters():
    model, source, before, keys = _load_with_assign(ad)
    assert (keys.missing_keys, keys.unexpected_keys) == ([], [])
    assert model[0].weight is not before and model[0].weight.dtype == np.float32
    assert model[0].weight.requires_grad and not model[0].bias.requires_grad  # the module's
    assert model[1].running_var.dtype == np.float32
    np.testing.assert_array_equal(model[0].weight.data, source[0].weight.data)
    # a new Parameter: an optimizer built before the load would not see it, as in PyTorch
    assert all(p is not before for p in model.parameters())
    optimizer = ad.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    model(ad.tensor(np.arange(12.0, dtype=np.float32).reshape(4, 3))).sum().backward()
    optimizer.step()
    assert model[0].weight.dtype == np.float32


def test_load_state_dict_with_assign_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    theirs, *_ = _load_with_assign(torch)
    ours, *_ = _load_with_assign(ad)
    their_state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    our_state = ours.to_torch_state_dict()
    assert sorted(their_state) == sorted(our_state)
    for key in their_state:
        assert our_state[key].dtype == their_state[key].dtype, key
    assert ([p.requires_grad for p in ours.parameters()]
            == [p.requires_grad for p in theirs.parameters()])


def _multi_grad_hook_calls(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = lib.tensor([3.0], requires_grad=True)
    h = x * y
    seen = []

    def record(grads):
        # (copies: PyTorch's leaf gradient becomes .grad, which later passes add into)
        seen.append([None if g is None else np.array(g.detach().numpy()
                                                     if hasattr(g, "detach") else g)
                     for g in grads])
    handle = lib.autograd.graph.register_multi_grad_hook((x, h, y), record)
    (h ** 2).sum().backward(retain_graph=True)       # all three reached
    (x * 5).sum().backward()                         # only x: None for h and y
    handle.remove()
    (h ** 2).sum().backward()                        # removed: not called
    calls = []
    lib.autograd.graph.register_multi_grad_hook((x, y), calls.append, mode="any")
    (x * y).sum().backward()
    (y * 7).sum().backward()
    return seen, len(calls)


def test_register_multi_grad_hook_by_hand():
    seen, any_calls = _multi_grad_hook_calls(ad)
    np.testing.assert_allclose(seen[0][0], [18.0, 36.0])      # d/dx (x y)² = 2 x y²
    np.testing.assert_allclose(seen[0][1], [6.0, 12.0])       # 2 h
    np.testing.assert_allclose(seen[0][2], [30.0])            # Σ 2 x² y
    assert seen[1][1:] == [None, None] and len(seen) == 2
    assert any_calls == 2                                     # once per pass
    with pytest.raises(ValueError, match="mode must be 'all' or 'any'"):
        ad.autograd.graph.register_multi_grad_hook([ad.tensor(1.0, requires_grad=True)],
                                                   print, mode="first")


def test_register_multi_grad_hook_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        theirs, their_any = _multi_grad_hook_calls(torch)
    finally:
        torch.set_default_dtype(previous)
    ours, our_any = _multi_grad_hook_calls(ad)
    assert our_any == their_any and len(ours) == len(theirs)
    for our_call, their_call in zip(ours, theirs):
        for a, b in zip(our_call, their_call):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_allclose(a, b, rtol=1e-12)
