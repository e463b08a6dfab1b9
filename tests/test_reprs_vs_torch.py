"""Every ``autodiff.nn`` layer that PyTorch also has prints as PyTorch's does when built
with the same arguments (defaults, and a few others).  Skipped when PyTorch is not
installed.

Left out on purpose (their reprs differ and say so in their docstrings or tests):
the losses (ours show their options), ``Linear`` and the layers holding one
(``MultiheadAttention``, the Transformer layers: ours keep the weight as
(in, out) and print ``Linear(in, out)`` with a non-default dtype), ``RNN`` with
``nonlinearity='relu'`` (ours shows it), ``Softplus`` with int arguments (ours keeps
floats), and ``Parameter``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn as nn

torch = pytest.importorskip("torch")

# (layer name, positional arguments, keyword arguments), built alike in both libraries.
CASES = [
    ("AdaptiveAvgPool1d", (3,), {}), ("AdaptiveAvgPool2d", ((2, 3),), {}),
    ("AdaptiveAvgPool3d", (3,), {}), ("AdaptiveMaxPool1d", (3, True), {}),
    ("AdaptiveMaxPool2d", (3,), {}), ("AdaptiveMaxPool3d", (3,), {}),
    ("AlphaDropout", (0.2,), {}), ("FeatureAlphaDropout", (), {}),
    ("AvgPool1d", (3, 2, 1), {}), ("AvgPool2d", (3,), {}),
    ("AvgPool2d", (3, 2, 1, True, False), {}), ("AvgPool3d", (3, 2, 1), {}),
    ("BatchNorm1d", (3,), {}), ("BatchNorm1d", (3, 1e-3, 0.2, False), {}),
    ("BatchNorm2d", (3,), {"bias": False}), ("BatchNorm2d", (3, 1e-3, None, True, False), {}),
    ("BatchNorm3d", (3,), {}), ("LazyBatchNorm1d", (), {}),
    ("LazyBatchNorm2d", (), {"bias": False}), ("LazyBatchNorm3d", (), {}),
    ("GroupNorm", (2, 4), {}), ("GroupNorm", (2, 4, 1e-3, False), {}),
    ("GroupNorm", (2, 4), {"bias": False}),
    ("LayerNorm", (3,), {}), ("LayerNorm", ((3, 4), 1e-3, False), {}),
    ("LayerNorm", ([3],), {"bias": False}),
    ("Bilinear", (2, 3, 4), {}), ("Bilinear", (2, 3, 4), {"bias": False}),
    ("CELU", (), {}), ("CELU", (2.0,), {}), ("ChannelShuffle", (2,), {}),
    ("CircularPad1d", (2,), {}), ("CircularPad2d", ((1, 2, 0, 1),), {}),
    ("CircularPad3d", (2,), {}), ("ConstantPad1d", (2, 1.5), {}),
    ("ConstantPad2d", (2, 1.5), {}), ("ConstantPad3d", (2, 1.5), {}),
    ("Conv1d", (2, 3, 3), {}), ("Conv1d", (2, 4, 3, 2, 1, 1, 2, False), {}),
    ("Conv2d", (2, 3, 3), {}), ("Conv2d", (2, 4, (3, 2)), {"padding": "same"}),
    ("Conv2d", (2, 4, 3, 2, 1, 1, 2, False, "reflect"), {}),
    ("Conv3d", (2, 3, 3), {}), ("Conv1d", (2, 3, 3), {"padding_mode": "circular"}),
    ("ConvTranspose1d", (2, 3, 3), {}), ("ConvTranspose2d", (2, 4, 3, 2, 1, 1, 2, False, 2), {}),
    ("ConvTranspose3d", (2, 3, 3), {}),
    ("CosineSimilarity", (), {}), ("CosineSimilarity", (0, 1e-6), {}),
    ("Dropout", (), {}), ("Dropout", (0.3,), {}), ("Dropout1d", (), {}),
    ("Dropout2d", (), {}), ("Dropout3d", (), {}),
    ("ELU", (), {}), ("ELU", (0.5, True), {}),
    ("Embedding", (10, 3), {}), ("Embedding", (10, 3), {"padding_idx": 0}),
    ("EmbeddingBag", (10, 3), {}), ("EmbeddingBag", (10, 3, None, 2.0, False, "sum"), {}),
    ("Flatten", (), {}), ("Flatten", (0, 2), {}), ("Unflatten", (1, (2, 3)), {}),
    ("Fold", ((4, 5), (2, 2)), {}), ("Unfold", ((2, 2),), {}),
    ("GELU", (), {}), ("GELU", ("tanh",), {}), ("GLU", (), {}), ("GLU", (0,), {}),
    ("GRU", (2, 3), {}), ("GRU", (2, 3, 2), {"batch_first": True}),
    ("GRUCell", (2, 3), {}), ("GRUCell", (2, 3, False), {}),
    ("Hardshrink", (), {}), ("Hardshrink", (0.3,), {}), ("Hardsigmoid", (), {}),
    ("Hardsigmoid", (True,), {}), ("Hardswish", (), {}),
    ("Hardtanh", (), {}), ("Hardtanh", (-2.0, 2.0), {}), ("Identity", (), {}),
    ("InstanceNorm1d", (3,), {}), ("InstanceNorm1d", (3, 1e-5, 0.1, True, True), {}),
    ("InstanceNorm2d", (3,), {}), ("InstanceNorm3d", (3,), {}),
    ("LazyInstanceNorm1d", (), {}), ("LazyInstanceNorm2d", (), {}),
    ("LazyInstanceNorm3d", (), {}),
    ("LazyConv1d", (3, 2), {}), ("LazyConv2d", (3, 2), {}), ("LazyConv3d", (3, 2), {}),
    ("LazyConvTranspose1d", (3, 2), {}), ("LazyConvTranspose2d", (3, 2), {}),
    ("LazyConvTranspose3d", (3, 2), {}), ("LazyLinear", (3,), {}),
    ("LeakyReLU", (), {}), ("LeakyReLU", (0.2,), {}), ("LeakyReLU", (0.2, True), {}),
    ("LeakyReLU", (), {"negative_slope": 0.3}),
    ("LocalResponseNorm", (2,), {}), ("LogSigmoid", (), {}),
    ("LogSoftmax", (), {}), ("LogSoftmax", (1,), {}),
    ("LPPool1d", (2, 3), {}), ("LPPool2d", (2, 3), {}), ("LPPool2d", (2, 3, 2, True), {}),
    ("LSTM", (2, 3), {}), ("LSTM", (2, 3, 2), {"dropout": 0.5, "bidirectional": True}),
    ("LSTMCell", (2, 3), {}),
    ("MaxPool1d", (3,), {}), ("MaxPool2d", (3,), {}), ("MaxPool2d", (3, 2, 1, 2, True, True), {}),
    ("MaxPool3d", (3,), {}), ("MaxUnpool1d", (2,), {}), ("MaxUnpool2d", (2,), {}),
    ("MaxUnpool3d", (2,), {}),
    ("Mish", (), {}), ("ModuleDict", (), {}), ("ModuleList", (), {}),
    ("AvgPool2d", (2,), {}), ("PReLU", (), {}), ("PReLU", (3, 0.1), {}),
    ("PairwiseDistance", (), {}), ("PairwiseDistance", (1.0, 1e-6, True), {}),
    ("ParameterDict", (), {}), ("ParameterList", (), {}),
    ("PixelShuffle", (2,), {}), ("PixelUnshuffle", (2,), {}),
    ("RMSNorm", (3,), {}), ("RMSNorm", ((3, 4), 1e-5, False), {}),
    ("RNN", (2, 3), {}), ("RNNCell", (2, 3), {}),
    ("RNNCell", (2, 3), {"bias": False, "nonlinearity": "relu"}),
    ("RReLU", (), {}), ("RReLU", (0.1, 0.2), {}),
    ("ReLU", (), {}), ("ReLU", (True,), {}), ("ReLU6", (), {}), ("ReLU6", (True,), {}),
    ("ReflectionPad1d", (2,), {}), ("ReflectionPad2d", (2,), {}), ("ReflectionPad3d", (2,), {}),
    ("ReplicationPad1d", (2,), {}), ("ReplicationPad2d", (2,), {}),
    ("ReplicationPad3d", (2,), {}),
    ("SELU", (), {}), ("SELU", (True,), {}), ("Sequential", (), {}),
    ("SiLU", (), {}), ("SiLU", (True,), {}), ("Sigmoid", (), {}),
    ("Softmax", (), {}), ("Softmax", (1,), {}), ("Softmax2d", (), {}),
    ("Softmin", (), {}), ("Softmin", (1,), {}), ("Softplus", (), {}),
    ("Softshrink", (), {}), ("Softshrink", (0.3,), {}), ("Softsign", (), {}),
    ("Tanh", (), {}), ("Tanhshrink", (), {}), ("Threshold", (0.1, 20.0), {}),
    ("Upsample", (), {}), ("Upsample", (None, 2.0), {}),
    ("Upsample", (4,), {"mode": "bilinear", "align_corners": True}),
    ("UpsamplingBilinear2d", (None, 2), {}), ("UpsamplingNearest2d", (None, 2), {}),
    ("ZeroPad1d", (2,), {}), ("ZeroPad2d", (2,), {}), ("ZeroPad3d", (2,), {}),
]


def _ids(case):
    name, args, kwargs = case
    return f"{name}{args}{kwargs or ''}"


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_repr_matches_torch(case):
    name, args, kwargs = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's lazy modules warn they are experimental
        expected = repr(getattr(torch.nn, name)(*args, **kwargs))
    assert repr(getattr(nn, name)(*args, **kwargs)) == expected


def test_leaky_relu_names_as_torch():
    layer = nn.LeakyReLU(negative_slope=0.2)
    assert layer.negative_slope == torch.nn.LeakyReLU(negative_slope=0.2).negative_slope
    assert nn.LeakyReLU(slope=0.2).negative_slope == 0.2  # the autodiff spelling still works
    layer.slope = 0.5
    assert layer.negative_slope == 0.5
    with pytest.raises(TypeError, match="same argument"):
        nn.LeakyReLU(0.2, slope=0.3)


@pytest.mark.parametrize("name", ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"])
def test_batch_norm_without_bias_as_torch(name):
    ours, theirs = getattr(nn, name)(3, bias=False), getattr(torch.nn, name)(3, bias=False)
    assert ours.bias is None and theirs.bias is None
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert list(ours.to_torch_state_dict()) == list(theirs.state_dict())
    theirs.weight.data.uniform_(0.5, 2.0)
    ours.load_torch_state_dict(theirs.state_dict())
    x = np.random.default_rng(0).normal(size=(4, 3) + (2,) * (ours._dims[0] - 2))
    expected = theirs(torch.tensor(x, dtype=torch.float32)).detach().numpy()
    np.testing.assert_allclose(ours(ad.tensor(x)).data, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-6)
    # affine=False has neither parameter, whatever bias= says
    assert list(getattr(nn, name)(3, affine=False, bias=True).state_dict()) == list(
        getattr(torch.nn, name)(3, affine=False, bias=True).state_dict())


def test_linear_takes_and_keeps_torch_names():
    ours = nn.Linear(in_features=3, out_features=2, bias=False)
    theirs = torch.nn.Linear(in_features=3, out_features=2, bias=False)
    assert (ours.in_features, ours.out_features) == (theirs.in_features, theirs.out_features)
    assert (ours.n_in, ours.n_out) == (3, 2)
    lazy = nn.LazyLinear(2)
    lazy(ad.tensor(np.ones((1, 3))))
    assert (lazy.in_features, lazy.out_features) == (3, 2)
    with pytest.raises(TypeError, match="same argument"):
        nn.Linear(3, 2, in_features=3)
    with pytest.raises(TypeError, match="missing n_in"):
        nn.Linear(out_features=2)


@pytest.mark.parametrize("name, args", [("AvgPool2d", (3,)), ("PReLU", (3, 0.1)),
                                        ("RNN", (2, 3)), ("GRU", (2, 3)),
                                        ("Conv2d", (2, 3, 3)), ("LazyConv1d", (3, 2)),
                                        ("Embedding", (10, 3, 0, None, 1.0))])
def test_attributes_as_torch(name, args):
    theirs = getattr(torch.nn, name)(*args)
    ours = getattr(nn, name)(*args)
    for key in ("stride", "init", "proj_size", "padding_mode", "padding_idx", "max_norm",
                "norm_type", "scale_grad_by_freq", "sparse"):
        if hasattr(theirs, key):
            assert getattr(ours, key) == getattr(theirs, key), key


def test_module_list_collapses_repeated_children_as_torch():
    def build(lib):
        return lib.ModuleList([lib.ReLU(), lib.ReLU(), lib.Tanh(), lib.ReLU(),
                               lib.Sequential(lib.ReLU(), lib.Dropout(0.2)),
                               lib.Sequential(lib.ReLU(), lib.Dropout(0.2))])
    assert repr(build(nn)) == repr(build(torch.nn))


def test_embedding_refuses_what_it_cannot_do():
    assert repr(nn.Embedding(10, 3, None, 2.0)) == "Embedding(10, 3, max_norm=2.0)"
    with pytest.raises(ValueError, match="not supported"):
        nn.Embedding(10, 3, sparse=True)
    assert repr(nn.Embedding(10, 3, scale_grad_by_freq=True)) == (
        "Embedding(10, 3, scale_grad_by_freq=True)")                 # as PyTorch's


def test_parameter_list_takes_torch_keyword():
    values = [nn.Parameter(np.zeros(2)), nn.Parameter(np.ones(3))]
    assert len(nn.ParameterList(values=values)) == 2 and len(nn.ParameterList(None)) == 0
