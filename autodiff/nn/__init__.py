"""Building blocks for models: ``Parameter``, ``Module`` and layers.

>>> net = ad.nn.MLP([2, 16, 3], rng=0)
>>> logits = net(ad.tensor(np.zeros((4, 2))))
>>> loss = ad.nn.functional.cross_entropy(logits, np.array([0, 1, 2, 0]))
>>> loss.backward()                      # every parameter now has a .grad
"""

from . import functional, init, utils
from .module import Module, Parameter, manual_seed
from .container import ModuleDict, ModuleList, ParameterList
from .modules import (Bump, Embedding, Flatten, Identity, LeakyReLU, Linear, MLP, ReLU,
                      Sequential, Sigmoid, Tanh)
from .activation import ELU, GELU, SiLU, Softplus
from .dropout import Dropout
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm

from .conv import AvgPool2d, Conv1d, Conv2d, MaxPool2d
from .recurrent import GRU, LSTM, RNN
from .attention import MultiheadAttention
from .transformer import TransformerEncoder, TransformerEncoderLayer


__all__ = ["functional", "init", "utils", "Module", "ModuleDict", "ModuleList", "Parameter",
           "ParameterList", "manual_seed", "Bump", "Embedding", "Flatten", "Identity",
           "LeakyReLU", "Linear", "MLP", "ReLU", "Sequential", "Sigmoid", "Tanh", "ELU", "GELU",
           "SiLU", "Softplus", "Dropout", "BatchNorm1d", "BatchNorm2d", "GroupNorm", "LayerNorm",
           "Conv1d", "Conv2d", "MaxPool2d", "AvgPool2d", "LSTM", "GRU", "RNN",
           "MultiheadAttention", "TransformerEncoder", "TransformerEncoderLayer"]
