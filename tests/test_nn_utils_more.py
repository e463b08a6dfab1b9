"""ad.nn.utils: get_total_norm and clip_grads_with_norm_, weight_norm and spectral_norm
(hook-based, with PyTorch's dim on the library's transposed Linear weight), the batch-norm
fusions and skip_init, against NumPy references, finite differences and PyTorch (when
installed)."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn

from autodiff.compile.refusals import TraceError

import torch_float64
from torch_float64 import numeric_gradient

torch = torch_float64.torch     # the fixture: PyTorch in float64

RNG = np.random.default_rng(23)
utils = nn.utils
# PyTorch calls its hook-based weight_norm deprecated; it is the one compared with here
pytestmark = pytest.mark.filterwarnings("ignore:`torch.nn.utils.weight_norm` is deprecated")




# ----- get_total_norm and clip_grads_with_norm_ ------------------------------------------

@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
def test_get_total_norm_is_the_norm_of_all_entries(norm_type):
    arrays = [RNG.standard_normal((3, 2)), RNG.standard_normal(4), np.array(2.5)]
    everything = np.concatenate([a.ravel() for a in arrays])
    total = utils.get_total_norm(arrays + [None], norm_type=norm_type)
    assert isinstance(total, ad.Tensor) and total.shape == () and not total.requires_grad
    np.testing.assert_allclose(float(total), np.linalg.norm(everything, ord=norm_type),
                               rtol=1e-14)
    small = utils.get_total_norm([a.astype(np.float32) for a in arrays], norm_type)
    assert small.dtype == np.float32
    assert float(utils.get_total_norm([])) == 0.0


def test_get_total_norm_of_tensors_that_require_grad_is_on_the_tape():
    a = ad.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    b = ad.tensor(RNG.standard_normal(3), requires_grad=True)
    total = utils.get_total_norm([a, b], norm_type=3.0)
    assert total.requires_grad
    total.backward()

    def value():
        return float(np.sum(np.abs(a.data) ** 3) + np.sum(np.abs(b.data) ** 3)) ** (1 / 3)
    np.testing.assert_allclose(a.grad, numeric_gradient(value, a.data), rtol=1e-6)
    np.testing.assert_allclose(b.grad, numeric_gradient(value, b.data), rtol=1e-6)


def test_get_total_norm_refuses_a_nonfinite_norm_on_request():
    arrays = [np.array([1.0, np.inf])]
    assert float(utils.get_total_norm(arrays)) == np.inf
    with pytest.raises(RuntimeError, match=r"get_total_norm: the total norm of order 2.0 of "
                                           r"the 1 tensors is inf"):
        utils.get_total_norm(arrays, error_if_nonfinite=True)


def test_the_two_halves_clip_as_clip_grad_norm_does():
    grads = [RNG.standard_normal((3, 2)) * 4, RNG.standard_normal(5) * 4]
    first = [nn.Parameter(np.zeros_like(g)) for g in grads]
    second = [nn.Parameter(np.zeros_like(g)) for g in grads]
    for p, q, g in zip(first, second, grads):
        p.grad, q.grad = g.copy(), g.copy()
    expected = utils.clip_grad_norm_(first, 1.5)
    total = utils.get_total_norm([q.grad for q in second])
    assert float(total) == float(expected)
    assert utils.clip_grads_with_norm_(second, 1.5, total) is None
    for p, q in zip(first, second):
        np.testing.assert_array_equal(p.grad, q.grad)
    joint = np.sqrt(sum(np.sum(q.grad ** 2) for q in second))
    np.testing.assert_allclose(joint, 1.5, rtol=1e-5)
    small = nn.Parameter([0.0])
    small.grad = np.array([0.1])
    utils.clip_grads_with_norm_([small], 1.0, 0.1)          # already below: unchanged
    assert small.grad[0] == 0.1
    with pytest.raises(ValueError, match="clip_grads_with_norm_: max_norm must be >= 0"):
        utils.clip_grads_with_norm_([small], -1.0, 0.1)
    with pytest.raises(ValueError, match=r"total_norm must be one number .* shape \(2,\)"):
        utils.clip_grads_with_norm_([small], 1.0, np.ones(2))


def test_the_two_halves_match_pytorch(torch):
    grads = [RNG.standard_normal((3, 2)) * 4, RNG.standard_normal(5)]
    ours = [nn.Parameter(np.zeros_like(g)) for g in grads]
    theirs = [torch.zeros(g.shape, requires_grad=True) for g in grads]
    for p, t, g in zip(ours, theirs, grads):
        p.grad, t.grad = g.copy(), torch.tensor(g)
    for norm_type in (2.0, float("inf")):
        total = utils.get_total_norm([p.grad for p in ours], norm_type)
        expected = torch.nn.utils.get_total_norm([t.grad for t in theirs], norm_type)
        np.testing.assert_allclose(float(total), float(expected), rtol=1e-14)
    utils.clip_grads_with_norm_(ours, 0.5, total)
    torch.nn.utils.clip_grads_with_norm_(theirs, 0.5, expected)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-14)


def test_the_halves_are_refused_inside_a_compiled_function():
    w = nn.Parameter([1.0, 2.0])

    @ad.compile
    def step(x):
        (w * x).sum().backward()
        utils.clip_grads_with_norm_([w], 1.0, utils.get_total_norm([w.grad]))

    with pytest.raises(TraceError, match="get_total_norm is called at"):
        step(np.ones(2))


# ----- weight_norm -----------------------------------------------------------------------

def test_weight_norm_of_a_linear_layer_is_pytorchs_dim_0_by_output():
    layer = nn.Linear(3, 4, rng=0)
    weight = layer.weight.data.copy()                   # (n_in, n_out)
    utils.weight_norm(layer)
    assert "weight" not in dict(layer.named_parameters())
    assert layer.weight_g.shape == (1, 4) and layer.weight_v.shape == (3, 4)
    np.testing.assert_allclose(layer.weight_g.data, np.linalg.norm(weight, axis=0,
                                                                   keepdims=True))
    np.testing.assert_allclose(layer.weight.data, weight, rtol=1e-14)
    layer.weight_g.data[...] = [[1.0, 2.0, 3.0, 4.0]]
    x = RNG.standard_normal((5, 3))
    out = layer(ad.tensor(x))
    direction = weight / np.linalg.norm(weight, axis=0)
    np.testing.assert_allclose(out.data, x @ (direction * [1, 2, 3, 4]) + layer.bias.data,
                               rtol=1e-13)


@pytest.mark.parametrize("dim", [0, 1, -1, None])
def test_weight_norm_gradients_reach_g_and_v(dim):
    layer = utils.weight_norm(nn.Linear(3, 2, rng=1), dim=dim)
    layer.weight_g.data *= 1.5
    x = RNG.standard_normal((4, 3))

    def loss_value():
        v, g = layer.weight_v.data, layer.weight_g.data
        # (n_in, n_out); dim=-1 is PyTorch's spelling of None here
        axes = None if dim in (None, -1) else (0 if dim == 0 else 1)
        norm = np.sqrt(np.sum(v * v, axis=axes, keepdims=axes is not None))
        return float(np.sum(np.tanh(x @ (g * v / norm) + layer.bias.data)))
    ad.tanh(layer(ad.tensor(x))).sum().backward()
    for p in (layer.weight_g, layer.weight_v, layer.bias):
        np.testing.assert_allclose(p.grad, numeric_gradient(loss_value, p.data),
                                   rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("dim", [0, 1, None, -1, -2])
@pytest.mark.parametrize("kind", ["linear", "conv"])
def test_weight_norm_matches_pytorch(kind, dim, torch):
    if kind == "linear":
        ours = nn.Linear(3, 4, rng=0)
        theirs = torch.nn.Linear(3, 4)
        to_torch = ours.weight.data.T
        x = RNG.standard_normal((5, 3))
    else:
        ours = nn.Conv2d(2, 3, 3, rng=0)
        theirs = torch.nn.Conv2d(2, 3, 3)
        to_torch = ours.weight.data
        x = RNG.standard_normal((2, 2, 5, 5))
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(to_torch))
        theirs.bias.copy_(torch.tensor(ours.bias.data))
    utils.weight_norm(ours, dim=dim)
    torch.nn.utils.weight_norm(theirs, dim=dim)
    export = ours.to_torch_state_dict()
    for key, value in theirs.state_dict().items():
        assert np.shape(export[key]) == tuple(value.shape), key
        np.testing.assert_allclose(export[key], value.numpy(), rtol=1e-14, err_msg=key)
    out, expected = ours(ad.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    (out ** 2).sum().backward()
    (expected ** 2).sum().backward()
    grads = {name: p.grad for name, p in ours.named_parameters()}
    for name, p in theirs.named_parameters():
        ours_grad = grads[name].T if kind == "linear" and grads[name].ndim == 2 else grads[name]
        np.testing.assert_allclose(ours_grad, p.grad.numpy(), rtol=1e-11, atol=1e-13,
                                   err_msg=name)


def test_weight_norm_of_a_recurrent_weight_matches_pytorch(torch):
    ours, theirs = nn.LSTM(3, 4, rng=0), torch.nn.LSTM(3, 4)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.to_torch_state_dict().items()})
    utils.weight_norm(ours, name="weight_hh_l0")
    torch.nn.utils.weight_norm(theirs, name="weight_hh_l0")
    assert ours.weight_hh_l0_g.shape == (1, 16)          # PyTorch's (16, 1), transposed
    ours.weight_hh_l0_g.data[...] *= 1.5
    with torch.no_grad():
        theirs.weight_hh_l0_g.mul_(1.5)
    x = RNG.standard_normal((5, 2, 3))
    out, expected = ours(ad.tensor(x))[0], theirs(torch.tensor(x))[0]
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    export = ours.to_torch_state_dict()
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(export[key], value.numpy(), rtol=1e-14, err_msg=key)


def test_remove_weight_norm_keeps_the_current_weight():
    layer = utils.weight_norm(nn.Linear(3, 2, rng=0))
    layer.weight_g.data *= 2
    expected = layer.weight_v.data * 2      # g was the columns' norms: now twice them
    utils.remove_weight_norm(layer)
    assert sorted(n for n, _ in layer.named_parameters()) == ["bias", "weight"]
    assert isinstance(layer.weight, nn.Parameter) and not layer._forward_pre_hooks
    np.testing.assert_allclose(layer.weight.data, expected, rtol=1e-14)
    with pytest.raises(ValueError, match="remove_weight_norm: weight_norm of 'weight' not "
                                         "found in Linear"):
        utils.remove_weight_norm(layer)


def test_weight_norm_errors_name_the_problem():
    layer = utils.weight_norm(nn.Linear(3, 2, rng=0))
    with pytest.raises(RuntimeError, match="cannot register two weight_norm hooks on the same "
                                           "parameter 'weight'"):
        utils.weight_norm(layer)
    with pytest.raises(ValueError, match=r"weight_norm: Linear has no parameter 'kernel' "
                                         r"\(its parameters: \['bias'"):
        utils.weight_norm(nn.Linear(3, 2), name="kernel")
    with pytest.raises(ValueError, match=r"weight_norm: dim must be an int in \[-2, 2\)"):
        utils.weight_norm(nn.Linear(3, 2), dim=2)


def test_a_compiled_function_refuses_a_weight_normed_layer():
    layer = utils.weight_norm(nn.Linear(2, 1, rng=0))
    step = ad.compile(lambda x: layer(x).sum())
    with pytest.raises(TraceError, match="has forward hooks"):
        step(np.ones((1, 2)))


# ----- spectral_norm ---------------------------------------------------------------------

def _power_iteration(matrix, u, v, steps, eps=1e-12):
    for _ in range(steps):
        v = matrix.T @ u
        v = v / max(np.linalg.norm(v), eps)
        u = matrix @ v
        u = u / max(np.linalg.norm(u), eps)
    return u, v, u @ matrix @ v


def test_spectral_norm_divides_by_the_power_iteration_estimate():
    layer = utils.spectral_norm(nn.Linear(4, 3, rng=0), n_power_iterations=2, rng=0)
    weight = layer.weight_orig.data.copy()
    assert layer.weight_u.shape == (3,) and layer.weight_v.shape == (4,)   # PyTorch's
    np.testing.assert_array_equal(layer.weight.data, weight)   # raw until the first forward
    u, v = layer.weight_u.copy(), layer.weight_v.copy()
    x = RNG.standard_normal((2, 4))
    out = layer(ad.tensor(x))
    u, v, sigma = _power_iteration(weight.T, u, v, 2)         # PyTorch's (out, in) matrix
    np.testing.assert_allclose(layer.weight_u, u, rtol=1e-13)
    np.testing.assert_allclose(layer.weight.data, weight / sigma, rtol=1e-13)
    np.testing.assert_allclose(out.data, x @ (weight / sigma) + layer.bias.data, rtol=1e-13)
    for _ in range(100):
        layer(ad.tensor(x))
    np.testing.assert_allclose(np.linalg.norm(layer.weight.data, 2), 1.0, rtol=1e-10)
    layer.eval()
    frozen = layer.weight_u.copy()
    layer(ad.tensor(x))
    np.testing.assert_array_equal(layer.weight_u, frozen)    # no iteration in eval mode


def test_spectral_norm_gradient_flows_to_weight_orig_with_u_v_held():
    layer = utils.spectral_norm(nn.Linear(3, 2, rng=2), rng=1)
    x = RNG.standard_normal((4, 3))
    layer(ad.tensor(x))
    u, v = layer.weight_u.copy(), layer.weight_v.copy()
    ad.tanh(layer(ad.tensor(x))).sum().backward()      # this forward iterates once more
    u, v, _ = _power_iteration(layer.weight_orig.data.T, u, v, 1)

    def loss_value():
        w = layer.weight_orig.data
        return float(np.sum(np.tanh(x @ (w / (u @ w.T @ v)) + layer.bias.data)))
    np.testing.assert_allclose(layer.weight_orig.grad,
                               numeric_gradient(loss_value, layer.weight_orig.data),
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("kind", ["linear", "conv", "conv_transpose"])
def test_spectral_norm_matches_pytorch(kind, torch):
    if kind == "linear":
        ours, theirs = nn.Linear(3, 4, rng=0), torch.nn.Linear(3, 4)
        to_torch, x = ours.weight.data.T, RNG.standard_normal((5, 3))
    elif kind == "conv":
        ours, theirs = nn.Conv2d(2, 3, 3, rng=0), torch.nn.Conv2d(2, 3, 3)
        to_torch, x = ours.weight.data, RNG.standard_normal((2, 2, 5, 5))
    else:
        ours, theirs = nn.ConvTranspose2d(2, 3, 3, rng=0), torch.nn.ConvTranspose2d(2, 3, 3)
        to_torch, x = ours.weight.data, RNG.standard_normal((2, 2, 4, 4))
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(to_torch))
        theirs.bias.copy_(torch.tensor(ours.bias.data))
    utils.spectral_norm(ours, rng=0)
    torch.nn.utils.spectral_norm(theirs)
    assert ours.weight_u.shape == tuple(theirs.weight_u.shape)
    assert ours.weight_v.shape == tuple(theirs.weight_v.shape)
    ours.weight_u[...] = theirs.weight_u.numpy()
    ours.weight_v[...] = theirs.weight_v.numpy()
    for _ in range(3):
        out, expected = ours(ad.tensor(x)), theirs(torch.tensor(x))
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12,
                                   atol=1e-13)
    np.testing.assert_allclose(ours.weight_u, theirs.weight_u.numpy(), rtol=1e-12)
    (out ** 2).sum().backward()
    (expected ** 2).sum().backward()
    grad = ours.weight_orig.grad
    np.testing.assert_allclose(grad.T if kind == "linear" else grad,
                               theirs.weight_orig.grad.numpy(), rtol=1e-10, atol=1e-13)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    export = ours.to_torch_state_dict()
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(export[key], value.numpy(), rtol=1e-12, err_msg=key)


def test_remove_spectral_norm_and_errors():
    layer = utils.spectral_norm(nn.Linear(4, 3, rng=0), rng=0)
    layer(ad.tensor(np.ones((1, 4))))
    expected = layer.weight.data.copy()
    utils.remove_spectral_norm(layer)
    assert sorted(n for n, _ in layer.named_parameters()) == ["bias", "weight"]
    assert list(layer.named_buffers()) == [] and not layer._forward_pre_hooks
    np.testing.assert_allclose(layer.weight.data, expected, rtol=1e-14)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found in Linear"):
        utils.remove_spectral_norm(layer)
    twice = utils.spectral_norm(nn.Linear(2, 2), rng=0)
    with pytest.raises(RuntimeError, match="cannot register two spectral_norm hooks"):
        utils.spectral_norm(twice)
    for steps in (0, -1):                                   # PyTorch refuses 0 too
        with pytest.raises(ValueError, match="n_power_iterations to be a positive int"):
            utils.spectral_norm(nn.Linear(2, 2), n_power_iterations=steps)


# ----- fusions and skip_init -------------------------------------------------------------

def _eval_bn(bn):
    n = bn.num_features
    bn.running_mean[...] = RNG.standard_normal(n)
    bn.running_var[...] = RNG.uniform(0.5, 2.0, n)
    bn.weight.data[...] = RNG.standard_normal(n)
    bn.bias.data[...] = RNG.standard_normal(n)
    return bn.eval()


@pytest.mark.parametrize("bias", [True, False])
def test_fused_conv_gives_the_conv_then_batch_norm(bias):
    conv = nn.Conv2d(2, 3, 3, bias=bias, rng=0).eval()
    bn = _eval_bn(nn.BatchNorm2d(3))
    x = ad.tensor(RNG.standard_normal((2, 2, 5, 5)))
    fused = utils.fuse_conv_bn_eval(conv, bn)
    assert fused is not conv and isinstance(fused.bias, nn.Parameter)
    np.testing.assert_allclose(fused(x).data, bn(conv(x)).data, rtol=1e-12, atol=1e-13)
    assert (conv.bias is None) == (not bias)                 # the original is untouched
    up = nn.ConvTranspose2d(2, 3, 3, rng=0).eval()
    fused_up = utils.fuse_conv_bn_eval(up, bn, transpose=True)
    np.testing.assert_allclose(fused_up(x).data, bn(up(x)).data, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("bias", [True, False])
def test_fused_linear_gives_the_linear_then_batch_norm(bias):
    linear = nn.Linear(3, 4, bias=bias, rng=0).eval()
    bn = _eval_bn(nn.BatchNorm1d(4))
    x = ad.tensor(RNG.standard_normal((6, 3)))
    fused = utils.fuse_linear_bn_eval(linear, bn)
    np.testing.assert_allclose(fused(x).data, bn(linear(x)).data, rtol=1e-12, atol=1e-13)


def test_fusions_match_pytorch(torch):
    conv, bn = nn.Conv2d(2, 3, 3, rng=0).eval(), _eval_bn(nn.BatchNorm2d(3))
    linear, bn1 = nn.Linear(3, 4, rng=0).eval(), _eval_bn(nn.BatchNorm1d(4))
    t_conv, t_bn = torch.nn.Conv2d(2, 3, 3).eval(), torch.nn.BatchNorm2d(3).eval()
    t_linear, t_bn1 = torch.nn.Linear(3, 4).eval(), torch.nn.BatchNorm1d(4).eval()
    for module, theirs in ((conv, t_conv), (bn, t_bn), (linear, t_linear), (bn1, t_bn1)):
        theirs.load_state_dict({k: torch.tensor(v) for k, v in
                                module.to_torch_state_dict().items()})
    fused = utils.fuse_conv_bn_eval(conv, bn).to_torch_state_dict()
    expected = torch.nn.utils.fuse_conv_bn_eval(t_conv, t_bn).state_dict()
    fused_linear = utils.fuse_linear_bn_eval(linear, bn1).to_torch_state_dict()
    expected_linear = torch.nn.utils.fuse_linear_bn_eval(t_linear, t_bn1).state_dict()
    for ours, theirs in ((fused, expected), (fused_linear, expected_linear)):
        assert sorted(ours) == sorted(theirs)
        for key in ours:
            np.testing.assert_allclose(ours[key], theirs[key].numpy(), rtol=1e-13, err_msg=key)


@pytest.mark.parametrize("bias", [True, False])
def test_fused_parameters_require_grad_and_keep_dtypes_as_pytorchs(bias):
    # A bias made where the layer had none starts from zeros in PyTorch: no gradient
    for fused in (utils.fuse_conv_bn_eval(nn.Conv2d(2, 3, 3, bias=bias, dtype=np.float32)
                                          .eval(), _eval_bn(nn.BatchNorm2d(3))),
                  utils.fuse_linear_bn_eval(nn.Linear(3, 4, bias=bias, dtype=np.float32)
                                            .eval(), _eval_bn(nn.BatchNorm1d(4)))):
        assert fused.weight.requires_grad and fused.bias.requires_grad == bias
        assert fused.weight.dtype == fused.bias.dtype == np.float32


def test_fused_parameters_require_grad_as_pytorchs_against_pytorch(torch):
    for bias in (True, False):
        pairs = [(torch.nn.utils.fuse_conv_bn_eval(torch.nn.Conv2d(2, 3, 3, bias=bias).eval(),
                                                   torch.nn.BatchNorm2d(3).eval()),
                  utils.fuse_conv_bn_eval(nn.Conv2d(2, 3, 3, bias=bias).eval(),
                                          nn.BatchNorm2d(3).eval())),
                 (torch.nn.utils.fuse_linear_bn_eval(torch.nn.Linear(3, 4, bias=bias).eval(),
                                                     torch.nn.BatchNorm1d(4).eval()),
                  utils.fuse_linear_bn_eval(nn.Linear(3, 4, bias=bias).eval(),
                                            nn.BatchNorm1d(4).eval()))]
        for theirs, ours in pairs:
            assert ours.bias.requires_grad == theirs.bias.requires_grad
            assert ours.weight.requires_grad == theirs.weight.requires_grad


def test_fusions_refuse_training_mode_and_missing_statistics():
    conv, bn = nn.Conv2d(1, 2, 3, rng=0), nn.BatchNorm2d(2)
    with pytest.raises(ValueError, match=r"fuse_conv_bn_eval: fusion is only for eval mode "
                                         r"\(Conv2d.training=True"):
        utils.fuse_conv_bn_eval(conv, bn)
    with pytest.raises(ValueError, match="has no running statistics"):
        utils.fuse_conv_bn_eval(conv.eval(), nn.BatchNorm2d(2, track_running_stats=False).eval())
    with pytest.raises(ValueError, match="the Linear has 3 outputs but the BatchNorm1d "
                                         "normalizes 4"):
        utils.fuse_linear_bn_eval(nn.Linear(2, 3).eval(), nn.BatchNorm1d(4).eval())


def test_skip_init_builds_the_layer_with_uninitialized_values():
    layer = utils.skip_init(nn.Linear, 3, 2, dtype=np.float32)
    assert layer.weight.shape == (3, 2) and layer.weight.dtype == np.float32
    assert isinstance(layer.weight, nn.Parameter) and layer.weight.requires_grad
    bn = utils.skip_init(nn.BatchNorm1d, 4)
    assert bn.running_mean.shape == (4,) and "running_mean" in bn.state_dict()
    with pytest.raises(TypeError, match="skip_init: expected a Module class"):
        utils.skip_init(lambda: None)


@pytest.mark.filterwarnings("ignore:`torch.nn.utils.weight_norm` is deprecated")
def test_a_reparametrized_pytorch_linear_loads_with_its_weights(torch):
    x = RNG.standard_normal((2, 3))
    normed = torch.nn.utils.weight_norm(torch.nn.Linear(3, 4))
    spectral = torch.nn.utils.spectral_norm(torch.nn.Linear(3, 4))
    spectral(torch.tensor(x))                         # one power iteration moves u and v
    for theirs, reparametrize in ((normed, utils.weight_norm),
                                  (spectral, lambda m: utils.spectral_norm(m, rng=0))):
        ours = reparametrize(nn.Linear(3, 4, rng=5))
        ours.load_torch_state_dict({k: v.detach().numpy() for k, v in
                                    theirs.state_dict().items()})
        ours.eval(), theirs.eval()
        np.testing.assert_allclose(ours(ad.tensor(x)).data,
                                   theirs(torch.tensor(x)).detach().numpy(), rtol=1e-13)
