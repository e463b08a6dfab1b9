"""PyTorch's top-level functions that are Tensor methods here too: ``ad.gather(t, 1,
idx)`` is ``t.gather(1, idx)``, with PyTorch's signature (``input`` first, then the
method's arguments).  Each converts ``input`` with ``tensor_of`` and calls the method,
so values, gradients and errors are the method's.  Those that take PyTorch's ``out=``
there take it here (``ad.mul(a, b, out=z)``: the result written into ``z``).

Only names that NumPy does not define with another meaning are here; NumPy's names
(``ad.sort``, ``ad.max``, ``ad.split`` ...) keep NumPy's meaning.
"""

from __future__ import annotations

from .ops.operands import tensor_of
from .out_arguments import takes_out
from .tensor import Tensor

__all__ = ["gather", "index_select", "masked_fill", "masked_select", "permute", "movedim",
           "narrow", "unsqueeze", "unbind", "tensor_split", "take_along_dim",
           "repeat_interleave", "clone", "numel", "mm", "mv", "baddbmm", "addcmul", "addcdiv",
           "rsqrt", "frac", "logit", "logcumsumexp", "logdet", "slogdet", "det", "inverse",
           "pinverse", "kthvalue", "mode", "diag_embed", "histc", "scatter", "scatter_add",
           "eq", "ne", "lt", "le", "gt", "ge", "mul", "div", "sub", "neg"]


# Selecting and rearranging

@takes_out
def gather(input, dim: int, index, *, sparse_grad: bool = False) -> Tensor:
    """``out[i][j] = input[i][index[i][j]]`` along ``dim`` (for ``dim=1``), as ``torch.gather``.

    >>> ad.gather(ad.tensor([[1.0, 2.0], [3.0, 4.0]]), 1, np.array([[1], [0]]))
    tensor([[2.],
            [3.]])
    """
    return tensor_of(input).gather(dim, index, sparse_grad=sparse_grad)


@takes_out
def index_select(input, dim: int, index) -> Tensor:
    """The entries at ``index`` (1-D) along ``dim``, as ``torch.index_select``.

    >>> ad.index_select(ad.tensor([[1.0, 2.0], [3.0, 4.0]]), 0, np.array([1]))
    tensor([[3., 4.]])
    """
    return tensor_of(input).index_select(dim, index)


def masked_fill(input, mask, value) -> Tensor:
    """``input`` with ``value`` where the bool ``mask`` (broadcast) is True, as
    ``torch.masked_fill``.

    >>> ad.masked_fill(ad.tensor([1.0, 2.0]), np.array([True, False]), 0.0)
    tensor([0., 2.])
    """
    return tensor_of(input).masked_fill(mask, value)


@takes_out
def masked_select(input, mask) -> Tensor:
    """The entries where the bool ``mask`` (broadcast) is True, as a 1-D tensor, as
    ``torch.masked_select``.

    >>> ad.masked_select(ad.tensor([1.0, 2.0, 3.0]), np.array([True, False, True]))
    tensor([1., 3.])
    """
    return tensor_of(input).masked_select(mask)


def permute(input, dims) -> Tensor:
    """The axes of ``input`` in the order ``dims``, as ``torch.permute``.

    >>> ad.permute(ad.zeros((2, 3, 4)), (2, 0, 1)).shape
    (4, 2, 3)
    """
    return tensor_of(input).permute(dims)


def movedim(input, source, destination) -> Tensor:
    """Axes ``source`` moved to ``destination``, as ``torch.movedim`` (``np.moveaxis``).

    >>> ad.movedim(ad.zeros((2, 3, 4)), 0, -1).shape
    (3, 4, 2)
    """
    return tensor_of(input).movedim(source, destination)


def narrow(input, dim: int, start: int, length: int) -> Tensor:
    """The ``length`` entries from ``start`` along ``dim``, as ``torch.narrow``.

    >>> ad.narrow(ad.tensor([1.0, 2.0, 3.0, 4.0]), 0, 1, 2)
    tensor([2., 3.])
    """
    return tensor_of(input).narrow(dim, start, length)


def unsqueeze(input, dim: int) -> Tensor:
    """``input`` with a new axis of size 1 at ``dim``, as ``torch.unsqueeze``.

    >>> ad.unsqueeze(ad.zeros(3), 0).shape
    (1, 3)
    """
    return tensor_of(input).unsqueeze(dim)


def unbind(input, dim: int = 0) -> tuple:
    """The slices along ``dim``, without it, as ``torch.unbind``.

    >>> ad.unbind(ad.tensor([[1.0, 2.0], [3.0, 4.0]]), 1)
    (tensor([1., 3.]), tensor([2., 4.]))
    """
    return tensor_of(input).unbind(dim)


def tensor_split(input, indices_or_sections, dim: int = 0) -> tuple:
    """Pieces along ``dim``: ``n`` sections of sizes differing by at most one, or split at
    the given indices, as ``torch.tensor_split`` (``np.array_split``).

    >>> [p.shape for p in ad.tensor_split(ad.zeros(5), 2)]
    [(3,), (2,)]
    """
    return tensor_of(input).tensor_split(indices_or_sections, dim)


@takes_out
def take_along_dim(input, indices, dim=None) -> Tensor:
    """Entries picked by ``indices`` along ``dim`` (the flattened input when None), as
    ``torch.take_along_dim``.

    >>> ad.take_along_dim(ad.tensor([[1.0, 2.0], [3.0, 4.0]]), np.array([[1], [0]]), 1)
    tensor([[2.],
            [3.]])
    """
    return tensor_of(input).take_along_dim(indices, dim)


def repeat_interleave(input, repeats=None, dim=None) -> Tensor:
    """Each entry repeated ``repeats`` times along ``dim`` (the flattened input when
    None), as ``torch.repeat_interleave``; given counts alone, each position ``i``
    repeated ``input[i]`` times (a batch vector from sizes).

    >>> ad.repeat_interleave(ad.tensor([1.0, 2.0]), 2)
    tensor([1., 1., 2., 2.])
    >>> ad.repeat_interleave(ad.tensor([2, 0, 1]))
    tensor([0, 0, 2])
    """
    if repeats is None:
        counts = tensor_of(input)
        if counts.ndim != 1 or counts.dtype.kind not in "iu":
            raise TypeError(f"repeat_interleave(repeats): the one-argument form takes a 1-D "
                            f"integer tensor of counts, got dtype {counts.dtype} and shape "
                            f"{counts.shape}; pass the tensor to repeat first, then repeats")
        from .creation import arange
        return arange(len(counts)).repeat_interleave(counts)
    return tensor_of(input).repeat_interleave(repeats, dim)


def clone(input) -> Tensor:
    """A copy that stays on the tape (its gradient flows to ``input``), as ``torch.clone``.

    >>> ad.clone(ad.tensor([1.0, 2.0]))
    tensor([1., 2.])
    """
    return tensor_of(input).clone()


def numel(input) -> int:
    """The number of entries, as ``torch.numel``.

    >>> ad.numel(ad.zeros((2, 3)))
    6
    """
    return tensor_of(input).numel()


def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices whose ``offset`` diagonal (in dims ``dim1``, ``dim2``) holds the last axis
    of ``input``, as ``torch.diag_embed``.

    >>> ad.diag_embed(ad.tensor([1.0, 2.0]))
    tensor([[1., 0.],
            [0., 2.]])
    """
    return tensor_of(input).diag_embed(offset, dim1, dim2)


def scatter(input, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:
    """``input`` with the entries of ``src`` (or the number ``value``) written at ``index``
    along ``dim`` (combined into them with ``reduce='add'`` or ``'multiply'``), as
    ``torch.scatter``.

    >>> ad.scatter(ad.zeros(3), 0, np.array([2]), ad.tensor([5.0]))
    tensor([0., 0., 5.])
    """
    return tensor_of(input).scatter(dim, index, src, value=value, reduce=reduce)


def scatter_add(input, dim: int, index, src) -> Tensor:
    """``input`` with the entries of ``src`` added at ``index`` along ``dim`` (repeated
    indices add up), as ``torch.scatter_add``.

    >>> ad.scatter_add(ad.zeros(3), 0, np.array([2, 2]), ad.tensor([1.0, 2.0]))
    tensor([0., 0., 3.])
    """
    return tensor_of(input).scatter_add(dim, index, src)


# Arithmetic and comparisons

def _first_operand(where: str, input, other, widen: bool = False) -> Tensor:
    """``input`` as a Tensor; a Python number that does not fit the other operand's
    integer dtype is refused, as the operator spelling refuses it (NumPy 2's rule)."""
    try:
        return tensor_of(input, other, widen=widen)
    except OverflowError as error:
        raise OverflowError(f"{where}: {error}") from None


@takes_out
def mul(input, other) -> Tensor:
    """``input * other``, as ``torch.mul``, with NumPy's promotion, as the operator:
    ``ad.mul(300, uint8_tensor)`` raises OverflowError, as ``300 * uint8_tensor`` does
    (PyTorch wraps 300 around to 44 in uint8).

    >>> ad.mul(ad.tensor([1.0, 2.0]), 3)
    tensor([3., 6.])
    """
    return _first_operand("mul", input, other).mul(other)


@takes_out
def div(input, other, *, rounding_mode=None) -> Tensor:
    """``input / other``, rounded toward zero (``'trunc'``) or down (``'floor'``) when asked,
    as ``torch.div``.  A rounded division of a number that does not fit an integer
    tensor's dtype raises OverflowError, as ``300 // uint8_tensor`` (PyTorch wraps it
    around); the true division gives floats, as ``300 / uint8_tensor``.

    >>> ad.div(ad.tensor([-7.0, 7.0]), 2, rounding_mode="trunc")
    tensor([-3.,  3.])
    """
    operand = _first_operand("div", input, other, widen=rounding_mode is None)
    return operand.div(other, rounding_mode=rounding_mode)


@takes_out
def sub(input, other, *, alpha=1) -> Tensor:
    """``input - alpha * other``, as ``torch.sub``; ``ad.sub(300, uint8_tensor)`` raises
    OverflowError, as ``300 - uint8_tensor`` does (PyTorch wraps 300 around to 44).

    >>> ad.sub(ad.tensor([5.0]), ad.tensor([1.0]), alpha=2)
    tensor([3.])
    """
    return _first_operand("sub", input, other).sub(other, alpha=alpha)


@takes_out
def neg(input) -> Tensor:
    """``-input``, as ``torch.neg``.

    >>> ad.neg(ad.tensor([1.0, -2.0]))
    tensor([-1.,  2.])
    """
    return tensor_of(input).neg()


@takes_out
def rsqrt(input) -> Tensor:
    """``1 / sqrt(input)``, as ``torch.rsqrt``.

    >>> ad.rsqrt(ad.tensor([4.0]))
    tensor([0.5])
    """
    return tensor_of(input).rsqrt()


@takes_out
def frac(input) -> Tensor:
    """The fractional part ``input - trunc(input)`` (the sign of ``input``), as ``torch.frac``.

    >>> ad.frac(ad.tensor([1.25, -1.25]))
    tensor([ 0.25, -0.25])
    """
    return tensor_of(input).frac()


@takes_out
def logit(input, eps=None) -> Tensor:
    """``log(p / (1 - p))``, with ``p`` clamped to ``[eps, 1 - eps]`` when ``eps`` is
    given, as ``torch.logit``.

    >>> ad.logit(ad.tensor([0.5]))
    tensor([0.])
    """
    return tensor_of(input).logit(eps)


@takes_out
def addcmul(input, tensor1, tensor2, *, value=1) -> Tensor:
    """``input + value * tensor1 * tensor2``, as ``torch.addcmul``.

    >>> ad.addcmul(ad.tensor([1.0]), ad.tensor([2.0]), ad.tensor([3.0]), value=0.5)
    tensor([4.])
    """
    return tensor_of(input, tensor1, tensor2).addcmul(tensor1, tensor2, value=value)


@takes_out
def addcdiv(input, tensor1, tensor2, *, value=1) -> Tensor:
    """``input + value * tensor1 / tensor2``, as ``torch.addcdiv``.

    >>> ad.addcdiv(ad.tensor([1.0]), ad.tensor([3.0]), ad.tensor([2.0]), value=2)
    tensor([4.])
    """
    return tensor_of(input, tensor1, tensor2).addcdiv(tensor1, tensor2, value=value)


@takes_out
def logcumsumexp(input, dim: int) -> Tensor:
    """``log(cumsum(exp(input)))`` along ``dim``, computed stably, as ``torch.logcumsumexp``
    (a leading run of ``-inf`` gets gradient 0, where PyTorch's is NaN: see
    ``Tensor.logcumsumexp``).

    >>> ad.logcumsumexp(ad.tensor([0.0, 0.0]), 0)
    tensor([0.        , 0.69314718])
    """
    return tensor_of(input).logcumsumexp(dim)


@takes_out
def eq(input, other) -> Tensor:
    """``input == other`` as a bool tensor, as ``torch.eq``.

    >>> ad.eq(ad.tensor([1.0, 2.0]), 2.0)
    tensor([False,  True])
    """
    return tensor_of(input, other).eq(other)


@takes_out
def ne(input, other) -> Tensor:
    """``input != other`` as a bool tensor, as ``torch.ne``.

    >>> ad.ne(ad.tensor([1.0, 2.0]), 2.0)
    tensor([ True, False])
    """
    return tensor_of(input, other).ne(other)


@takes_out
def lt(input, other) -> Tensor:
    """``input < other`` as a bool tensor, as ``torch.lt``.

    >>> ad.lt(ad.tensor([1.0, 2.0]), 2.0)
    tensor([ True, False])
    """
    return tensor_of(input, other).lt(other)


@takes_out
def le(input, other) -> Tensor:
    """``input <= other`` as a bool tensor, as ``torch.le``.

    >>> ad.le(ad.tensor([1.0, 3.0]), 2.0)
    tensor([ True, False])
    """
    return tensor_of(input, other).le(other)


@takes_out
def gt(input, other) -> Tensor:
    """``input > other`` as a bool tensor, as ``torch.gt``.

    >>> ad.gt(ad.tensor([1.0, 3.0]), 2.0)
    tensor([False,  True])
    """
    return tensor_of(input, other).gt(other)


@takes_out
def ge(input, other) -> Tensor:
    """``input >= other`` as a bool tensor, as ``torch.ge``.

    >>> ad.ge(ad.tensor([1.0, 2.0]), 2.0)
    tensor([False,  True])
    """
    return tensor_of(input, other).ge(other)


# Linear algebra

@takes_out
def mm(input, mat2) -> Tensor:
    """The product of two matrices ``(n, m) @ (m, p)``, as ``torch.mm``.

    >>> ad.mm(ad.ones((1, 2)), ad.ones((2, 3)))
    tensor([[2., 2., 2.]])
    """
    return tensor_of(input).mm(mat2)


@takes_out
def mv(input, vec) -> Tensor:
    """The product of a matrix ``(n, m)`` and a vector ``(m,)``, as ``torch.mv``.

    >>> ad.mv(ad.ones((2, 3)), ad.tensor([1.0, 2.0, 3.0]))
    tensor([6., 6.])
    """
    return tensor_of(input).mv(vec)


@takes_out
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``, as ``torch.baddbmm``.

    >>> ad.baddbmm(ad.ones((1, 1, 1)), ad.ones((2, 1, 3)), ad.ones((2, 3, 1)), beta=2).shape
    (2, 1, 1)
    """
    return tensor_of(input).baddbmm(batch1, batch2, beta=beta, alpha=alpha)


def det(input) -> Tensor:
    """The determinant of each matrix in ``(..., n, n)``, as ``torch.det``.

    >>> ad.det(ad.tensor([[2.0, 0.0], [0.0, 3.0]]))
    tensor(6.)
    """
    return tensor_of(input).det()


def logdet(input) -> Tensor:
    """``log(det(input))`` (NaN for a negative determinant), as ``torch.logdet``.

    >>> ad.logdet(ad.tensor([[2.0, 0.0], [0.0, 3.0]]))
    tensor(1.79175947)
    """
    return tensor_of(input).logdet()


def slogdet(input):
    """The sign and ``log|det|`` of each matrix, as ``torch.slogdet``.

    >>> ad.slogdet(ad.tensor([[-2.0, 0.0], [0.0, 3.0]]))
    SlogdetResult(sign=tensor(-1.), logabsdet=tensor(1.79175947))
    """
    return tensor_of(input).slogdet()


@takes_out
def inverse(input) -> Tensor:
    """The inverse of each matrix in ``(..., n, n)``, as ``torch.inverse``.

    >>> ad.inverse(ad.tensor([[2.0, 0.0], [0.0, 4.0]]))
    tensor([[0.5 , 0.  ],
            [0.  , 0.25]])
    """
    return tensor_of(input).inverse()


def pinverse(input, rcond=1e-15) -> Tensor:
    """The Moore-Penrose pseudo-inverse, singular values below ``rcond`` times the largest
    dropped, as ``torch.pinverse``.

    >>> ad.pinverse(ad.tensor([[2.0, 0.0]]))
    tensor([[0.5],
            [0. ]])
    """
    return tensor_of(input).pinverse(rcond)


# Order statistics

def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False):
    """The ``k``-th smallest entry (from 1) along ``dim`` and its index, as
    ``torch.kthvalue``.

    >>> ad.kthvalue(ad.tensor([3.0, 1.0, 2.0]), 2)
    ValuesIndices(values=tensor(2.), indices=tensor(2))
    """
    return tensor_of(input).kthvalue(k, dim, keepdim)


def mode(input, dim: int = -1, keepdim: bool = False):
    """The most frequent entry along ``dim`` (the smallest among ties) and an index of
    it, as ``torch.mode``.

    >>> ad.mode(ad.tensor([2.0, 1.0, 2.0])).values
    tensor(2.)
    """
    return tensor_of(input).mode(dim, keepdim)


@takes_out
def histc(input, bins: int = 100, min=0, max=0) -> Tensor:
    """Counts of the entries in ``bins`` equal bins over ``[min, max]`` (the data's range
    when they are equal, as both 0 by default), as ``torch.histc`` (no gradient).

    >>> ad.histc(ad.tensor([0.0, 1.0, 1.0]), bins=2, min=0, max=1)
    tensor([1., 2.])
    """
    return tensor_of(input).histc(bins, min, max)
