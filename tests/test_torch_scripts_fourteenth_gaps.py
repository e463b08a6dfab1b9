"""What the fourteenth round of PyTorch scripts found different, checked by hand and
against PyTorch where it is installed:

- ``clip_grad_norm_`` (and ``get_total_norm``) with finite gradients whose norm
  overflows float64 said "(a nan or inf gradient)" in its error and warning, which was
  untrue: it now says the gradients are finite and their norm overflows;
- float32 gradients whose norm PyTorch gets as inf (it sums their squares in float32)
  while it is finite here (summed in float64) gave no word: a RuntimeWarning says so;
- ``nn.Embedding(sparse=True)`` was refused together with ``scale_grad_by_freq`` in one
  message naming both: each is now refused by name, the sparse one pointing to
  ``SparseAdam`` on dense gradients; ``F.embedding``, which did not take the two
  keywords at all, takes them at False and refuses them likewise (``scale_grad_by_freq``
  is taken since by ``Embedding`` and ``F.embedding``, and refused by ``EmbeddingBag``);
- the layers refused PyTorch's factory keyword ``device=`` (``nn.Linear(4, 2,
  device=device)``) with a TypeError: they take the CPU and refuse others by name;
- ``ad.compile`` refused ``torch.compile``'s keywords (``backend=``, ``mode=``,
  ``fullgraph=``, ``dynamic=``, ``options=``, ``disable=``): it takes and checks them
  as PyTorch does; ``module.compile()`` was missing: it checks them too and runs the
  module as it is."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad

HUGE = 1e200                  # finite; its square, and so the 2-norm, overflow float64


def _huge_gradient(lib_parameter, make_grad):
    w = lib_parameter
    w.grad = make_grad(np.array([HUGE, -HUGE, 1.0]))
    return w


def test_clip_grad_norm_of_finite_gradients_whose_norm_overflows_says_so():
    w = _huge_gradient(ad.nn.Parameter(np.zeros(3)), np.asarray)
    with pytest.raises(RuntimeError, match="every gradient is finite, but their norm "
                                           "overflows float64") as error:
        ad.nn.utils.clip_grad_norm_([w], 1.0, error_if_nonfinite=True)
    assert "nan or inf gradient" not in str(error.value)
    np.testing.assert_array_equal(w.grad, [HUGE, -HUGE, 1.0])     # left as it was
    with pytest.warns(RuntimeWarning, match="every gradient is finite") as record:
        total = ad.nn.utils.clip_grad_norm_([w], 1.0)
    assert record[0].filename == __file__                            # the user's line
    assert float(total) == np.inf
    np.testing.assert_array_equal(w.grad, [0.0, -0.0, 0.0])         # as PyTorch's


def test_get_total_norm_of_finite_entries_whose_norm_overflows_says_so():
    grads = [np.array([HUGE]), np.array([[HUGE]])]
    assert float(ad.nn.utils.get_total_norm(grads)) == np.inf
    with pytest.raises(RuntimeError, match="every entry is finite, but their norm"):
        ad.nn.utils.get_total_norm(grads, error_if_nonfinite=True)


def test_a_nan_or_inf_gradient_is_still_named_so():
    w = ad.nn.Parameter(np.zeros(2))
    w.grad = np.array([np.inf, 1.0])
    with pytest.raises(RuntimeError, match=r"\(a nan or inf gradient; ad.detect_anomaly"):
        ad.nn.utils.clip_grad_norm_([w], 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="a nan or inf entry"):
        ad.nn.utils.get_total_norm([np.array([np.nan])], error_if_nonfinite=True)


def test_clip_grad_norm_of_an_overflowing_norm_matches_pytorch():
    torch = pytest.importorskip("torch")
    theirs = _huge_gradient(torch.nn.Parameter(torch.zeros(3, dtype=torch.float64)),
                            torch.from_numpy)
    ours = _huge_gradient(ad.nn.Parameter(np.zeros(3)), np.asarray)
    with pytest.raises(RuntimeError, match="non-finite"):
        torch.nn.utils.clip_grad_norm_([theirs], 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="cannot be clipped"):
        ad.nn.utils.clip_grad_norm_([ours], 1.0, error_if_nonfinite=True)
    their_total = torch.nn.utils.clip_grad_norm_([theirs], 1.0)
    with pytest.warns(RuntimeWarning):
        our_total = ad.nn.utils.clip_grad_norm_([ours], 1.0)
    assert float(their_total) == float(our_total) == np.inf
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


@pytest.mark.parametrize("make", [lambda **kw: ad.nn.Embedding(6, 2, **kw),
                                  lambda **kw: ad.nn.EmbeddingBag(6, 2, **kw),
                                  lambda **kw: ad.nn.functional.embedding(
                                      ad.tensor([1, 0]), ad.ones((6, 2)), **kw)])
def test_sparse_embedding_is_refused_by_name_pointing_to_sparse_adam(make):
    with pytest.raises(ValueError, match="sparse=True is not supported") as error:
        make(sparse=True)
    assert "SparseAdam" in str(error.value) and "scale_grad_by_freq" not in str(error.value)


def test_embedding_bag_refuses_scale_grad_by_freq_by_name():
    # (Embedding and F.embedding take it: test_torch_scripts_twentyninth_gaps.py)
    with pytest.raises(ValueError, match="scale_grad_by_freq=True is not supported") as error:
        ad.nn.EmbeddingBag(6, 2, scale_grad_by_freq=True)
    assert "sparse" not in str(error.value)


def test_functional_embedding_takes_pytorchs_positional_flags_at_false():
    table = ad.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    rows = ad.nn.functional.embedding(ad.tensor([2, 0, 2]), table, None, None, 2.0, False,
                                      False)
    rows.sum().backward()
    np.testing.assert_array_equal(table.grad, [[1.0, 1.0], [0.0, 0.0], [2.0, 2.0]])


@pytest.mark.parametrize("norm_type, size", [(2.0, 2e19), (4.0, 3e12)])
def test_float32_gradients_whose_norm_pytorch_overflows_are_warned_about(norm_type, size):
    w = ad.nn.Parameter(np.zeros(2, np.float32))
    w.grad = np.full(2, size, np.float32)
    with pytest.warns(RuntimeWarning, match="PyTorch sums their powers in float32, where "
                                            "they overflow, and gets inf") as record:
        total = ad.nn.utils.clip_grad_norm_([w], 1.0, norm_type=norm_type)
    assert record[0].filename == __file__
    exact = 2 ** (1 / norm_type) * size                  # the norm, summed in float64
    np.testing.assert_allclose(float(total), exact, rtol=1e-6)
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Parameter(torch.zeros(2))
    theirs.grad = torch.full((2,), size)
    assert float(torch.nn.utils.clip_grad_norm_([theirs], 1.0, norm_type=norm_type)) == np.inf


def test_float32_gradients_within_range_are_not_warned_about():
    w = ad.nn.Parameter(np.zeros(2, np.float32))
    w.grad = np.full(2, 1e18, np.float32)                  # squares 1e36: no overflow
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total = ad.nn.utils.clip_grad_norm_([w], 1.0)
    np.testing.assert_allclose(float(total), np.sqrt(2) * 1e18, rtol=1e-6)


LAYERS = [lambda **kw: ad.nn.Linear(3, 2, **kw), lambda **kw: ad.nn.Conv2d(1, 2, 3, **kw),
          lambda **kw: ad.nn.LSTM(3, 4, **kw), lambda **kw: ad.nn.LayerNorm(3, **kw),
          lambda **kw: ad.nn.Embedding(5, 2, **kw),
          lambda **kw: ad.nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, **kw)]


@pytest.mark.parametrize("make", LAYERS)
def test_layers_take_the_device_keyword_of_pytorch_factory_kwargs(make):
    for device in (None, "cpu", "cpu:0", ad.device("cpu")):
        layer = make(device=device)
        assert isinstance(layer, ad.nn.Module)
    for device in ("cuda", "meta"):
        with pytest.raises(ValueError, match=f"device '{device}' is not available"):
            make(device=device)


def test_a_users_module_keeps_its_own_signature():
    class Mine(ad.nn.Module):
        def __init__(self, width):
            super().__init__()
            self.width = width

    with pytest.raises(TypeError, match="device"):
        Mine(3, device="cpu")                    # as PyTorch: its __init__ has no device=

    class Placed(ad.nn.Module):
        def __init__(self, width, device=None):
            super().__init__()
            self.device = device

    assert Placed(3, device="anything").device == "anything"     # its own, untouched


def _step():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    optimizer = ad.optim.SGD([w], lr=0.1)

    def step(x):
        loss = ((w * x).sum() - 1.0) ** 2
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss
    return step


@pytest.mark.parametrize("keywords", [dict(backend="eager"), dict(mode="max-autotune"),
                                      dict(mode="reduce-overhead", fullgraph=True),
                                      dict(dynamic=False, options={"trace.enabled": False})])
def test_compile_takes_pytorchs_keywords_and_gives_the_same_numbers(keywords):
    eager, compiled = _step(), ad.compile(_step(), **keywords)
    x = np.array([1.0, 1.0])
    assert [float(compiled(x)) for _ in range(3)] == [float(eager(x)) for _ in range(3)]
    assert compiled.traces == 1


def test_compile_disable_and_bad_keywords_as_pytorch():
    step = _step()
    assert ad.compile(step, disable=True) is step
    assert ad.compile(disable=True)(step) is step
    with pytest.raises(RuntimeError, match="Unrecognized mode='fast'"):
        ad.compile(step, mode="fast")
    with pytest.raises(RuntimeError, match="either mode or options"):
        ad.compile(step, mode="default", options={})
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="Unrecognized mode=fast"):
        torch.compile(step, mode="fast")


def test_module_compile_checks_pytorchs_keywords_and_keeps_the_numbers():
    net = ad.nn.Sequential(ad.nn.Linear(3, 4), ad.nn.Tanh(), ad.nn.Linear(4, 1))
    x = ad.tensor(np.linspace(-1, 1, 6).reshape(2, 3))
    before = net(x).data
    assert net.compile() is None and net.compile(backend="eager", fullgraph=True) is None
    out = net(x)
    np.testing.assert_array_equal(out.data, before)
    out.sum().backward()                                   # still differentiable outside
    assert net[0].bias.grad is not None
    with pytest.raises(RuntimeError, match="Unrecognized mode='quick'"):
        net.compile(mode="quick")
