"""The ``torch.nn`` layers without parameters or buffers against ``autodiff.nn``'s:
every one both libraries build with no arguments, and the pooling, padding,
upsampling, reshaping and activation layers with arguments, compare ``repr``, the
forward output and the input's gradient on float64 inputs (relative 1e-9: the two
libraries round in different orders)."""

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn as nn

torch = pytest.importorskip("torch")

RANDOM_IN_TRAINING = {"Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                      "FeatureAlphaDropout", "RReLU"}


# Softmax, LogSoftmax and Softmin without dim: PyTorch's deprecated implicit axis
# (1 for a 4-D input) is not followed; the last axis is taken with a warning naming
# the user's line (test_implicit_softmax_axis_warns below).
IMPLICIT_AXIS = {"Softmax", "LogSoftmax", "Softmin"}


def _compare(theirs, ours, shapes, modes=("train", "eval"), seed=0):
    rng = np.random.default_rng(seed)
    for mode in modes:
        getattr(theirs, mode)()
        getattr(ours, mode)()
        arrays = [rng.standard_normal(shape) for shape in shapes]
        their_in = [torch.tensor(a, requires_grad=True) for a in arrays]
        our_in = [ad.tensor(a, requires_grad=True) for a in arrays]
        their_out, our_out = theirs(*their_in), ours(*our_in)
        np.testing.assert_allclose(our_out.data, their_out.detach().numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=f"{mode} forward")
        weights = rng.standard_normal(tuple(their_out.shape))
        (their_out * torch.tensor(weights)).sum().backward()
        (our_out * ad.tensor(weights)).sum().backward()
        for a, b in zip(our_in, their_in):
            np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-8, atol=1e-11,
                                       err_msg=f"{mode} gradient")


# Every parameter-free torch.nn layer built with () that maps one tensor to one (the
# losses, containers and two-input layers are compared elsewhere; Softmax2d reads
# axis -3).
NO_ARGUMENTS = [
    "AlphaDropout", "CELU", "Dropout", "Dropout2d", "Dropout3d", "ELU",
    "FeatureAlphaDropout", "Flatten", "GELU", "Hardshrink", "Hardsigmoid", "Hardswish",
    "Hardtanh", "Identity", "LeakyReLU", "LogSigmoid", "Mish", "RReLU", "ReLU", "ReLU6",
    "SELU", "SiLU", "Sigmoid", "Softmax2d", "Softplus", "Softshrink", "Softsign", "Tanh",
    "Tanhshrink",
]


@pytest.mark.parametrize("name", NO_ARGUMENTS)
def test_a_layer_built_without_arguments_matches_pytorch(name):
    theirs, ours = getattr(torch.nn, name)(), getattr(nn, name)()
    assert repr(ours) == repr(theirs)
    modes = ("eval",) if name in RANDOM_IN_TRAINING else ("train", "eval")
    _compare(theirs, ours, [(2, 3, 4, 5)], modes)


def test_dropout1d_refuses_a_4d_input_as_pytorch_does():
    x = np.ones((2, 3, 4, 5))
    with pytest.raises(RuntimeError, match="2D or 3D"):
        torch.nn.Dropout1d()(torch.tensor(x))
    with pytest.raises(ValueError, match="dropout1d: expected a 2-d .* or 3-d"):
        nn.Dropout1d()(ad.tensor(x))
    _compare(torch.nn.Dropout1d(), nn.Dropout1d(), [(2, 3, 5)], ("eval",))


CASES = [
    ("MaxPool1d", (3, 2, 1), {}, (2, 3, 9)),
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, (2, 3, 8, 7)),
    ("MaxPool2d", (2,), {"dilation": 2}, (1, 2, 7, 7)), ("MaxPool3d", (2,), {}, (1, 2, 4, 4, 4)),
    ("AvgPool1d", (3, 2, 1), {"count_include_pad": False}, (2, 3, 9)),
    ("AvgPool2d", (3, 2, 1), {"ceil_mode": True}, (2, 3, 8, 7)),
    ("AvgPool2d", (2,), {"divisor_override": 3}, (1, 2, 6, 6)),
    ("AvgPool3d", (2,), {}, (1, 2, 4, 4, 4)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 9)),
    ("AdaptiveAvgPool2d", ((3, None),), {}, (2, 3, 7, 5)),
    ("AdaptiveMaxPool2d", (3,), {}, (2, 3, 7, 8)), ("AdaptiveAvgPool3d", (2,), {}, (1, 2, 5, 4, 3)),
    ("LPPool2d", (2, 2), {}, (1, 2, 6, 6)),
    ("ZeroPad2d", ((1, 2, 0, 1),), {}, (1, 2, 3, 4)), ("ReflectionPad1d", (2,), {}, (1, 2, 5)),
    ("ReflectionPad2d", (1,), {}, (1, 2, 3, 4)),
    ("ReplicationPad2d", ((1, 0, 2, 1),), {}, (1, 2, 3, 4)),
    ("ReplicationPad3d", (1,), {}, (1, 2, 3, 3, 3)), ("CircularPad2d", (1,), {}, (1, 2, 3, 4)),
    ("ConstantPad1d", (2, 0.5), {}, (1, 2, 3)),
    ("Upsample", (), {"scale_factor": 2, "mode": "nearest"}, (1, 2, 3, 4)),
    ("Upsample", (), {"scale_factor": 2, "mode": "bilinear"}, (1, 2, 3, 4)),
    ("Upsample", (), {"size": (5, 7), "mode": "bilinear", "align_corners": True}, (1, 2, 3, 4)),
    ("Upsample", (), {"scale_factor": 1.5, "mode": "bicubic"}, (1, 2, 4, 4)),
    ("Upsample", (), {"scale_factor": 2, "mode": "linear"}, (1, 2, 5)),
    ("Upsample", (), {"scale_factor": 2, "mode": "trilinear"}, (1, 2, 2, 3, 2)),
    ("UpsamplingNearest2d", (), {"scale_factor": 2}, (1, 2, 3, 3)),
    ("UpsamplingBilinear2d", (), {"scale_factor": 2}, (1, 2, 3, 3)),
    ("PixelShuffle", (2,), {}, (1, 8, 2, 3)), ("PixelUnshuffle", (2,), {}, (1, 2, 4, 6)),
    ("ChannelShuffle", (2,), {}, (1, 4, 2, 2)),
    ("Flatten", (0, 2), {}, (2, 3, 4, 5)), ("Unflatten", (1, (3, 1)), {}, (2, 3, 4)),
    ("Softmax", (1,), {}, (2, 3, 4)), ("LogSoftmax", (0,), {}, (2, 3, 4)),
    ("Softmin", (-1,), {}, (2, 3, 4)), ("GLU", (1,), {}, (2, 4, 3)),
    ("Threshold", (0.1, 20.0), {}, (2, 3)), ("ELU", (0.5,), {}, (3, 4)),
    ("CELU", (1.5,), {}, (3, 4)), ("LeakyReLU", (0.2,), {}, (3, 4)),
    ("Hardtanh", (-0.5, 0.7), {}, (3, 4)), ("Softplus", (2.0, 5.0), {}, (3, 4)),
    ("Hardshrink", (0.3,), {}, (3, 4)), ("Softshrink", (0.3,), {}, (3, 4)),
    ("GELU", ("tanh",), {}, (3, 4)),
    ("LocalResponseNorm", (3,), {"alpha": 0.1, "beta": 0.5, "k": 2.0}, (2, 5, 3, 3)),
    ("Fold", ((4, 5), (2, 2)), {}, (2, 12, 12)),
    ("Unfold", ((2, 3),), {"stride": 1, "padding": 1}, (2, 3, 4, 5)),
    ("CosineSimilarity", (1, 1e-8), {}, [(3, 4), (3, 4)]),
    ("PairwiseDistance", (), {"p": 1.5, "keepdim": True}, [(3, 4), (3, 4)]),
]


@pytest.mark.parametrize("name, args, kwargs, spec", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_a_layer_with_arguments_matches_pytorch(name, args, kwargs, spec):
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    ours = getattr(nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    _compare(theirs, ours, spec if isinstance(spec, list) else [spec])


@pytest.mark.parametrize("name", sorted(IMPLICIT_AXIS))
def test_implicit_softmax_axis_warns_and_takes_the_last(name):
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    with pytest.warns(UserWarning, match="no dim given.*PyTorch's deprecated implicit") as seen:
        ours = getattr(nn, name)()(ad.tensor(x))
    assert seen[0].filename == __file__
    expected = getattr(torch.nn, name)(dim=-1)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours.data, expected, rtol=1e-12)
