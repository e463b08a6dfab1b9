"""``nn.AdaptiveLogSoftmaxWithLoss`` (Grave et al., 2016), as PyTorch's: the most
frequent classes (below ``cutoffs[0]``) share a head with one entry per tail cluster;
each cluster's classes get a low-rank projection, shrunk by ``div_value`` per cluster.

The parameters are PyTorch's (``head``, ``tail.<i>.0``, ``tail.<i>.1``), each a
``Linear`` whose weight is stored here as ``(in, out)``: transpose PyTorch's when
copying them.

>>> asm = nn.AdaptiveLogSoftmaxWithLoss(16, 10, [4, 8])
>>> out = asm(ad.ones((3, 16)), np.array([0, 5, 9]))
>>> out.output.shape, out.loss.shape
((3,), ())
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..ops.operands import array_of, tensor_of
from ..ops.shape import concatenate
from ..tensor import Tensor
from .container import ModuleList
from .module import Module
from .modules import Linear, Sequential
from .softmax import log_softmax

__all__ = ["AdaptiveLogSoftmaxWithLoss"]


class ASMOutput(NamedTuple):
    """``output``: the log-probability of each target; ``loss``: their negative mean."""

    output: Tensor
    loss: Tensor


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive log-softmax over ``n_classes`` with clusters split at ``cutoffs``, as
    ``torch.nn.AdaptiveLogSoftmaxWithLoss``: ``forward(input, target)`` gives
    ``(output, loss)``, ``log_prob(input)`` every class's log-probability and
    ``predict(input)`` the most likely class.

    >>> asm = nn.AdaptiveLogSoftmaxWithLoss(4, 6, [2])
    >>> round(float(asm.log_prob(ad.ones((1, 4))).exp().sum()), 6)
    1.0
    """

    def __init__(self, in_features: int, n_classes: int, cutoffs, div_value: float = 4.0,
                 head_bias: bool = False, device=None, dtype=np.float64):
        from ..devices import check_device
        super().__init__()
        check_device("AdaptiveLogSoftmaxWithLoss", device)
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("AdaptiveLogSoftmaxWithLoss: cutoffs should be a sequence of "
                             "length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("AdaptiveLogSoftmaxWithLoss: cutoffs should be a sequence of "
                             "unique, positive integers sorted in an increasing order, "
                             f"where each value is between 1 and n_classes-1, got {cutoffs}")
        self.in_features = int(in_features)
        self.n_classes = int(n_classes)
        self.cutoffs = [int(c) for c in cutoffs] + [self.n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(self.in_features, self.head_size, bias=head_bias, dtype=dtype)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(self.in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            if hidden < 1:      # (PyTorch makes an empty projection: uniform in the cluster)
                raise ValueError(
                    f"AdaptiveLogSoftmaxWithLoss: cluster {i} would project to "
                    f"in_features // div_value**{i + 1} = {hidden} features, which makes "
                    f"its classes equally likely whatever the input; use a smaller "
                    f"div_value (now {div_value}) or fewer cutoffs")
            self.tail.append(Sequential(Linear(self.in_features, hidden, bias=False, dtype=dtype),
                                        Linear(hidden, size, bias=False, dtype=dtype)))

    def reset_parameters(self) -> None:
        """Draw the parameters afresh, as each ``Linear`` starts."""
        for module in (self.head, *self.tail.modules()):
            if isinstance(module, Linear):
                module.reset_parameters()

    def forward(self, input_, target_) -> ASMOutput:
        x = tensor_of(input_)
        targets = np.asarray(array_of(target_))
        if targets.ndim == 1:
            if x.ndim != 2 or x.shape[0] != targets.shape[0]:
                raise ValueError(f"AdaptiveLogSoftmaxWithLoss: a 1-D target expects 2-D "
                                 f"input with as many rows, got input {x.shape} and target "
                                 f"{targets.shape}")
        elif targets.ndim == 0:
            if x.ndim != 1:
                raise ValueError(f"AdaptiveLogSoftmaxWithLoss: a 0-D target expects 1-D "
                                 f"input, got input of shape {x.shape}")
        else:
            raise ValueError("AdaptiveLogSoftmaxWithLoss: 0D or 1D target tensor expected, "
                             f"multi-target not supported (got shape {targets.shape})")
        if targets.dtype.kind not in "iu":
            raise TypeError(f"AdaptiveLogSoftmaxWithLoss: target must hold integer class "
                            f"indices, got dtype {targets.dtype}")
        batched = targets.ndim == 1
        if not batched:
            x, targets = x.reshape(1, -1), targets.reshape(1)
        if targets.size and (targets.min() < 0 or targets.max() >= self.n_classes):
            raise ValueError(f"AdaptiveLogSoftmaxWithLoss: Target values should be in "
                             f"[0, {self.n_classes - 1}], but values in range "
                             f"[{targets.min()}, {targets.max()}] were found.")
        head_column = targets.copy()
        rows_in_order, pieces = [], []
        shortlist = np.flatnonzero(targets < self.shortlist_size)
        rows_in_order.append(shortlist)
        pieces.append(Tensor(np.zeros(len(shortlist), dtype=x.dtype)))
        for i in range(self.n_clusters):
            low, high = self.cutoffs[i], self.cutoffs[i + 1]
            rows = np.flatnonzero((targets >= low) & (targets < high))
            if rows.size == 0:
                continue
            head_column[rows] = self.shortlist_size + i
            cluster = log_softmax(self.tail[i](x[rows]), dim=1)
            pieces.append(cluster[np.arange(rows.size), targets[rows] - low])
            rows_in_order.append(rows)
        order = np.argsort(np.concatenate(rows_in_order), kind="stable")
        tail_part = concatenate(pieces)[order]
        head_logprob = log_softmax(self.head(x), dim=1)
        output = head_logprob[np.arange(len(targets)), head_column] + tail_part
        loss = (-output).mean()
        return ASMOutput(output if batched else output[0], loss)

    def log_prob(self, input) -> Tensor:
        """Every class's log-probability, ``(N, n_classes)`` (or ``(n_classes,)``), as
        PyTorch's ``log_prob``.

        >>> nn.AdaptiveLogSoftmaxWithLoss(4, 6, [2]).log_prob(ad.ones(4)).shape
        (6,)
        """
        x = tensor_of(input)
        if x.ndim not in (1, 2) or x.shape[-1] != self.in_features:
            # (a 3-D input would take log-softmaxes along its second dim)
            raise ValueError(f"AdaptiveLogSoftmaxWithLoss: expects input of shape "
                             f"(N, {self.in_features}) or ({self.in_features},), got "
                             f"{x.shape}; flatten leading dims first, x.reshape(-1, "
                             f"{self.in_features})")
        batched = x.ndim > 1
        if not batched:
            x = x.reshape(1, -1)
        head_logprob = log_softmax(self.head(x), dim=1)
        columns = [head_logprob[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster = log_softmax(self.tail[i](x), dim=1)
            columns.append(cluster + head_logprob[:, self.shortlist_size + i:
                                                  self.shortlist_size + i + 1])
        out = concatenate(columns, axis=1)
        return out if batched else out[0]

    def predict(self, input) -> Tensor:
        """The most likely class of each row (int64), as PyTorch's ``predict``.

        >>> nn.AdaptiveLogSoftmaxWithLoss(4, 6, [2]).predict(ad.ones((3, 4))).shape
        (3,)
        """
        log_prob = self.log_prob(input)
        return Tensor(np.argmax(log_prob.data, axis=-1).astype(np.int64))

    def extra_repr(self) -> str:
        return ""
