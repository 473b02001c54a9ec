"""The layer classes of ``ember.nn``."""
from .module import Module, RemovableHandle  # noqa: F401
from .container import Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict  # noqa: F401
from .linear import Identity, Linear, Bilinear, Flatten, Unflatten  # noqa: F401
from .activation import (ReLU, ReLU6, LeakyReLU, ELU, CELU, SELU, GELU, SiLU, Mish, Sigmoid, Tanh, Softsign,  # noqa: F401
                         LogSigmoid, Tanhshrink, Softplus, Hardtanh, Hardsigmoid, Hardswish, Threshold, Softmax,
                         Softmin, LogSoftmax, GLU, PReLU)
from .dropout import Dropout, Dropout1d, Dropout2d, AlphaDropout  # noqa: F401
from .conv import Conv1d, Conv2d  # noqa: F401
from .pooling import (MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool1d, AdaptiveAvgPool2d,  # noqa: F401
                      AdaptiveMaxPool1d, AdaptiveMaxPool2d)
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, LayerNorm, GroupNorm  # noqa: F401
from .sparse import Embedding  # noqa: F401
from .loss import (MSELoss, L1Loss, SmoothL1Loss, HuberLoss, SoftMarginLoss, NLLLoss, CrossEntropyLoss, BCELoss,  # noqa: F401
                   BCEWithLogitsLoss, KLDivLoss, CosineEmbeddingLoss, MarginRankingLoss, TripletMarginLoss,
                   PoissonNLLLoss, GaussianNLLLoss)
from .rnn import RNNBase, RNN, LSTM, GRU, RNNCellBase, RNNCell, LSTMCell, GRUCell  # noqa: F401
from .transformer import (MultiheadAttention, Transformer, TransformerEncoder, TransformerDecoder,  # noqa: F401
                          TransformerEncoderLayer, TransformerDecoderLayer)
from .padding import *  # noqa: F401,F403
from .conv_extra import Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d  # noqa: F401
from .pooling_extra import *  # noqa: F401,F403
from .misc import *  # noqa: F401,F403
from .loss_extra import *  # noqa: F401,F403
from .lazy import *  # noqa: F401,F403
from .adaptive import AdaptiveLogSoftmaxWithLoss  # noqa: F401
