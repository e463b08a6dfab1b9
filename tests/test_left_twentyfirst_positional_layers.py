"""Every ``ad.nn`` layer and loss takes PyTorch's constructor parameters by position, in
PyTorch's order, up to and including ``device`` and ``dtype``
(``nn.Linear(3, 4, True, "cpu", torch.float32)``)."""

import inspect

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)

#: a value both libraries take for each required parameter
_REQUIRED = {
    "output_size": 2, "in_features": 4, "n_classes": 6, "cutoffs": [2], "kernel_size": 3,
    "num_features": 4, "in1_features": 2, "in2_features": 3, "out_features": 4, "groups": 2,
    "padding": 1, "value": 0.5, "in_channels": 2, "out_channels": 4, "size": 3,
    "num_embeddings": 5, "embedding_dim": 3, "input_size": 3, "hidden_size": 4,
    "num_groups": 2, "num_channels": 4, "norm_type": 2.0, "normalized_shape": 4,
    "num_classes": 3, "embed_dim": 4, "num_heads": 2, "upscale_factor": 2,
    "downscale_factor": 2, "threshold": 0.1, "d_model": 8, "nhead": 2, "dim": 1,
    "unflattened_size": (2, 2), "num_layers": 1,
}

#: PyTorch's classes whose constructor the library deliberately does not share, and why
_NOT_COMPARED = {
    "RNNBase": "the library's is the base class for isinstance checks, refused when built",
    "RNNCellBase": "the library's is the base class for isinstance checks, refused when built",
    "DataParallel": "takes a module and devices to spread it over",
    "TransformerEncoder": "takes a layer of its own library",
    "TransformerDecoder": "takes a layer of its own library",
}


def _torch_positional(cls):
    try:
        parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        return None
    return [p for p in parameters if p.kind in _POSITIONAL]


def _shared_layer_names():
    names = []
    for name in sorted(dir(torch.nn)):
        cls = getattr(torch.nn, name)
        if (isinstance(cls, type) and issubclass(cls, torch.nn.Module)
                and hasattr(ad.nn, name) and name not in _NOT_COMPARED):
            names.append(name)
    return names


def _full_positional_call(cls):
    """PyTorch's positional arguments, every one given: its defaults, the values of
    ``_REQUIRED``, and ``"cpu"`` and float32 for ``device`` and ``dtype``."""
    arguments = []
    for parameter in _torch_positional(cls) or []:
        if parameter.name == "device":
            arguments.append("cpu")
        elif parameter.name == "dtype":
            arguments.append(torch.float32)
        elif parameter.default is not inspect.Parameter.empty:
            arguments.append(parameter.default)
        else:
            arguments.append(_REQUIRED[parameter.name])
    return arguments


def _parameter_sizes(module):
    return sorted(int(np.prod(tuple(p.shape))) for p in module.parameters()
                  if "Uninitialized" not in type(p).__name__)     # (lazy layers)


def test_the_comparison_covers_the_layers_and_losses():
    names = _shared_layer_names()
    assert len(names) > 140 and {"Linear", "Conv2d", "LSTM", "MSELoss"} <= set(names)


@pytest.mark.parametrize("name", _shared_layer_names())
def test_every_positional_call_pytorch_takes_builds_the_same_layer(name):
    torch_cls, ours_cls = getattr(torch.nn, name), getattr(ad.nn, name)
    arguments = _full_positional_call(torch_cls)
    for count in range(len(arguments) + 1):
        prefix = arguments[:count]
        try:
            theirs = torch_cls(*prefix)
        except (TypeError, ValueError, AssertionError, RuntimeError):
            continue                      # (a required argument not given yet)
        ours = ours_cls(*prefix)        # (torch.float32 too: read as NumPy's float32)
        assert _parameter_sizes(ours) == _parameter_sizes(theirs), (name, count)
        names = [p.name for p in _torch_positional(torch_cls)[:count]]
        if "dtype" in names:
            assert {str(p.dtype) for p in ours.parameters()} <= {"float32"}, name


@pytest.mark.parametrize("name", ["RNN", "GRU"])
def test_rnn_and_gru_take_proj_size_0_by_position_and_refuse_another(name):
    layer = getattr(ad.nn, name)(3, 4, 1, *(["tanh"] if name == "RNN" else []), True, False,
                                 0.0, False, 0, "cpu", np.float32)
    assert layer.weight_ih_l0.dtype == np.float32 and layer.proj_size == 0
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        getattr(ad.nn, name)(3, 4, 1, *(["tanh"] if name == "RNN" else []), True, False,
                             0.0, False, 2)


def test_too_many_positional_arguments_and_a_doubled_device_are_refused():
    with pytest.raises(TypeError, match=r"Linear\(\) takes at most 5 positional arguments "
                                        r"\(the last device, dtype"):
        ad.nn.Linear(3, 4, True, "cpu", torch.float32, 1)
    with pytest.raises(TypeError, match=r"multiple values for argument 'device'"):
        ad.nn.Linear(3, 4, True, "cpu", device="cpu")
    with pytest.raises(TypeError, match=r"multiple values for argument 'dtype'"):
        ad.nn.Linear(3, 4, True, "cpu", np.float32, dtype=np.float32)


def test_a_positional_device_other_than_the_cpu_is_refused_by_name():
    with pytest.raises(ValueError, match=r"Linear: device 'cuda' is not available"):
        ad.nn.Linear(3, 4, True, "cuda")


def test_a_user_subclass_keeps_its_own_signature():
    class Head(ad.nn.Module):
        def __init__(self, width):
            super().__init__()
            self.width = width

    with pytest.raises(TypeError):
        Head(3, "cpu")


@pytest.mark.parametrize("name", ["LazyBatchNorm1d", "LazyInstanceNorm2d",
                                  "LazyConvTranspose1d"])
def test_lazy_layers_take_device_by_keyword_and_by_position(name):
    arguments = [] if "Norm" in name else [4, 3, 1, 0, 0, 1, True, 1, "zeros"]
    getattr(ad.nn, name)(*arguments, device="cpu")
    layer = getattr(ad.nn, name)(*arguments, *([1e-5, 0.1, True, True] if "Norm" in name
                                                 else []), "cpu", np.float32)
    assert layer.weight.dtype == np.float32
    with pytest.raises(ValueError, match=rf"{name}: device 'cuda' is not available"):
        getattr(ad.nn, name)(*arguments, device="cuda")
