"""Building blocks for models: ``Parameter``, ``Module`` and layers.

>>> net = ad.nn.MLP([2, 16, 3], rng=0)
>>> logits = net(ad.tensor(np.zeros((4, 2))))
>>> loss = ad.nn.functional.cross_entropy(logits, np.array([0, 1, 2, 0]))
>>> loss.backward()                      # every parameter now has a .grad
"""

from . import functional, init, utils
from . import grad  # noqa: F401  (ad.nn.grad; not in __all__: import * keeps ad.grad)
from .module import Module, Parameter, manual_seed
from . import parameter
from . import module as _module, modules as _modules
from .parameter import UninitializedBuffer, UninitializedParameter
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList
from .modules import (Bump, Embedding, Flatten, Identity, LeakyReLU, Linear, MLP, ReLU,
                      Sequential, Sigmoid, Tanh)
from .activation import ELU, GELU, SiLU, Softplus
from .activation_more import (CELU, GLU, SELU, CosineSimilarity, Hardsigmoid, Hardswish,
                              Hardtanh, LogSigmoid, LogSoftmax, Mish, PairwiseDistance, PReLU,
                              ReLU6, Softmax, Softmax2d, Softmin, Softsign, Tanhshrink,
                              Threshold, Unflatten, Hardshrink, Softshrink)
from .activation_random import RReLU
from .dropout import Dropout, Dropout1d, Dropout2d, Dropout3d
from .loss_modules import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss,
                           L1Loss, MSELoss, NLLLoss, NLLLoss2d, SmoothL1Loss)
from .linear_cross_entropy_module import LinearCrossEntropyLoss, LinearCrossEntropyOptions
from .loss_modules_more import (CosineEmbeddingLoss, CTCLoss, GaussianNLLLoss,
                                HingeEmbeddingLoss, MarginRankingLoss, MultiLabelMarginLoss,
                                MultiLabelSoftMarginLoss, MultiMarginLoss, PoissonNLLLoss,
                                SoftMarginLoss, TripletMarginLoss,
                                TripletMarginWithDistanceLoss)
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, LayerNorm
from .instance_norm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .rms_norm import RMSNorm
from .bilinear import Bilinear

from .conv import AvgPool2d, Conv1d, Conv2d, MaxPool2d
from .conv_transpose import ConvTranspose2d
from .conv3d import Conv3d, ConvTranspose1d, ConvTranspose3d
from .pooling3d import (AdaptiveAvgPool1d, AdaptiveAvgPool3d, AdaptiveMaxPool1d,
                        AdaptiveMaxPool3d, AvgPool3d, MaxPool3d)
from .unpool import MaxUnpool1d, MaxUnpool2d, MaxUnpool3d
from .pooling_lp import LocalResponseNorm, LPPool1d, LPPool2d, LPPool3d
from .dropout_alpha import AlphaDropout, FeatureAlphaDropout
from .embedding_bag import EmbeddingBag
from .lazy import LazyConv1d, LazyConv2d, LazyConv3d, LazyLinear
from .lazy_more import (LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyConvTranspose1d,
                        LazyConvTranspose2d, LazyConvTranspose3d, LazyInstanceNorm1d,
                        LazyInstanceNorm2d, LazyInstanceNorm3d)
from .pooling_more import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, MaxPool1d
from .upsample import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
from .rearrange import ChannelShuffle, Fold, PixelShuffle, PixelUnshuffle, Unfold
from .padding import (CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d, ConstantPad2d,
                      ConstantPad3d, ReflectionPad1d, ReflectionPad2d, ReflectionPad3d,
                      ReplicationPad1d, ReplicationPad2d, ReplicationPad3d, ZeroPad1d, ZeroPad2d,
                      ZeroPad3d)
from .recurrent import GRU, LSTM, RNN
from .recurrent import _RNNBase as RNNBase         # (for isinstance checks, as PyTorch's)
from .cells import GRUCell, LSTMCell, RNNCell
from .cells import _CellBase as RNNCellBase
from .buffer import Buffer
from .attention import MultiheadAttention
from .transformer import TransformerEncoder, TransformerEncoderLayer
from .transformer_decoder import Transformer, TransformerDecoder, TransformerDecoderLayer
from .layers_sixth import Container, CrossMapLRN2d, DataParallel, SyncBatchNorm
from .fractional_pool import FractionalMaxPool2d, FractionalMaxPool3d
from .adaptive_softmax import AdaptiveLogSoftmaxWithLoss


__all__ = ["functional", "init", "utils", "Module", "ModuleDict", "ModuleList", "Parameter",
           "ParameterList", "ParameterDict", "manual_seed", "Bump", "Embedding", "Flatten",
           "Identity",
           "LeakyReLU", "Linear", "MLP", "ReLU", "Sequential", "Sigmoid", "Tanh", "ELU", "GELU",
           "SiLU", "Softplus", "ReLU6", "Hardtanh", "Hardsigmoid", "Hardswish", "SELU", "CELU",
           "Mish", "LogSigmoid", "Softsign", "Softmax", "LogSoftmax", "Softmin", "GLU",
           "Threshold", "PReLU", "Unflatten", "CosineSimilarity", "PairwiseDistance",
           "Dropout", "Dropout1d", "Dropout2d", "BatchNorm1d", "BatchNorm2d", "GroupNorm",
           "LayerNorm", "InstanceNorm1d", "InstanceNorm2d", "RMSNorm", "Bilinear",
           "Conv1d", "Conv2d", "MaxPool2d", "AvgPool2d", "LSTM", "GRU", "RNN",
           "LSTMCell", "GRUCell", "RNNCell",
           "ConvTranspose2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "MaxPool1d",
           "AvgPool1d", "Upsample", "Tanhshrink", "Softmax2d", "ChannelShuffle",
           "PixelShuffle", "PixelUnshuffle", "Fold", "Unfold", "ZeroPad1d", "ZeroPad2d",
           "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ReflectionPad1d",
           "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d",
           "MultiheadAttention", "TransformerEncoder", "TransformerEncoderLayer",
           "TransformerDecoder", "TransformerDecoderLayer", "Transformer",
           "CrossEntropyLoss", "LinearCrossEntropyLoss", "LinearCrossEntropyOptions",
           "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss",
           "BCELoss", "BCEWithLogitsLoss", "KLDivLoss", "GaussianNLLLoss", "PoissonNLLLoss",
           "MarginRankingLoss", "HingeEmbeddingLoss", "SoftMarginLoss",
           "MultiLabelSoftMarginLoss", "MultiMarginLoss", "MultiLabelMarginLoss",
           "CosineEmbeddingLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss", "CTCLoss",
           "Hardshrink", "Softshrink", "RReLU", "Dropout3d", "BatchNorm3d", "InstanceNorm3d",
           "Conv3d", "ConvTranspose1d", "ConvTranspose3d", "MaxPool3d", "AvgPool3d",
           "AdaptiveAvgPool1d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool3d",
           "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "LPPool1d", "LPPool2d",
           "LocalResponseNorm", "AlphaDropout", "FeatureAlphaDropout", "UpsamplingNearest2d",
           "UpsamplingBilinear2d", "EmbeddingBag", "LazyLinear", "LazyConv1d",
           "LazyConv2d", "LazyConv3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
           "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d",
           "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d", "LPPool3d",
           "Buffer", "RNNBase", "RNNCellBase", "NLLLoss2d", "CrossMapLRN2d", "SyncBatchNorm",
           "DataParallel", "FractionalMaxPool2d", "FractionalMaxPool3d",
           "AdaptiveLogSoftmaxWithLoss", "Container", "parameter",
           "UninitializedParameter", "UninitializedBuffer"]

# torch.nn.modules.module's path, where register_module_forward_hook and its kin live
_modules.module = _module
# torch.nn.modules.batchnorm's path, for isinstance(m, nn.modules.batchnorm._BatchNorm)
from .module_paths import batchnorm as _batchnorm  # noqa: E402
_modules.batchnorm = _batchnorm
