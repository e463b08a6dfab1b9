"""Layers: Linear, Embedding, Bump, MLP and the activation modules (Sequential: container.py)."""

from __future__ import annotations

import math

import numpy as np

from ..missing_dtypes import numpy_dtype
from ..ops import elementwise as ew
from ..ops.shape import reshape
from ..tensor import Tensor
from . import functional as F
from .activation import ELU, GELU, SiLU, Softplus
from .activation_more import (CELU, SELU, Hardsigmoid, Hardswish, Hardtanh, LogSigmoid, Mish,
                              ReLU6, Softsign)
from .container import ModuleList, Sequential  # noqa: F401  (Sequential: re-exported)
from .embedding import (embedding, padding_index, refuse_sparse_or_scaled_gradients,
                        renorm_arguments)
from .half_precision import check_float16_operands, rounded_once
from .module import Module, Parameter, _generator
from .reset import normal_table, redraw_table, redraw_uniform

_FLOAT16 = np.dtype(np.float16)


def _float_dtype(dtype, where):
    dtype = numpy_dtype(where, dtype)
    if dtype.kind != "f":
        raise TypeError(f"{where}: dtype must be a floating-point type such as float64 or "
                        f"float32, not {dtype}")
    return dtype


def float_or_complex_dtype(dtype, where):
    """``dtype`` of a layer whose parameters may be complex, as PyTorch's may."""
    dtype = numpy_dtype(where, dtype)
    if dtype.kind not in "fc":
        raise TypeError(f"{where}: dtype must be a floating-point or complex type such as "
                        f"float64, float32 or complex128, not {dtype}")
    return dtype


def uniform_values(gen, bound, shape, dtype) -> np.ndarray:
    """Values of ``dtype`` drawn uniformly in ``±bound`` (real and imaginary parts each,
    for a complex dtype, as PyTorch's ``uniform_``)."""
    values = gen.uniform(-bound, bound, shape)
    if np.dtype(dtype).kind == "c":
        values = values + 1j * gen.uniform(-bound, bound, shape)
    return values.astype(dtype)


def _positive_int(value, what, where):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{where}: {what} must be a positive int, got {value!r}")
    return int(value)


def _affine(x, weight, bias):
    out = x @ weight
    return out if bias is None else out + bias


def _check_assigned_weight(n_in, n_out, weight):
    """Refuse a weight in PyTorch's ``(out, in)`` layout, as tying a decoder to an
    embedding (``decoder.weight = encoder.weight``) assigns: read here as ``(in, out)``
    it would not fit the input, or (an embedding's square table) be used transposed."""
    shape = tuple(weight.shape)
    if shape == (n_out, n_in) and (n_in != n_out or getattr(weight, "_embedding_table", False)):
        raise ValueError(
            f"Linear({n_in}, {n_out}): the assigned weight has shape {shape}, PyTorch's "
            f"(out, in) layout (an Embedding's (num_embeddings, embedding_dim) is too), but "
            f"Linear's weight here is (in, out) = ({n_in}, {n_out}), used as x @ weight. "
            "To tie an output layer to an embedding, compute it with "
            "F.linear(x, embedding.weight, bias), which takes the (out, in) layout, rather "
            "than assigning the embedding's weight to the Linear")


def check_table(where, n, dim, weight) -> None:
    """Refuse a ``Linear``'s ``(in, out)`` weight as the table of an ``Embedding(n,
    dim)`` (or ``EmbeddingBag``), as tying an embedding to an output layer
    (``embedding.weight = lm_head.weight``, or its ``.data``) puts there: its rows would
    be the features, not the ids (a square one, known as a Linear's, used transposed).
    Otherwise mark ``weight`` as a table, which a Linear refuses in turn."""
    shape = tuple(weight.shape)
    if shape == (dim, n) and (n != dim or getattr(weight, "_fan_layout", None) == "in_out"):
        raise ValueError(
            f"{where}: the assigned weight has shape {shape}, a Linear({dim}, {n})'s weight here, "
            f"which is (in, out), the transpose of the table (num_embeddings, "
            f"embedding_dim) = ({n}, {dim}) (in PyTorch the two layouts agree). To tie an "
            "output layer to this embedding, keep the embedding's weight and compute the "
            "logits with F.linear(x, embedding.weight, bias), which takes the (out, in) "
            "layout, rather than assigning the Linear's weight (or its .data)")
    if isinstance(weight, Parameter) and not getattr(weight, "_embedding_table", False):
        weight._embedding_table = True


def _stored_dtype(module, name: str) -> np.dtype:
    """The dtype of ``module.<name>``, read without computing a parametrized one (a
    repr must not run spectral_norm's power iteration, which each read does)."""
    param = module._parameters.get(name)
    if param is not None:
        return param.dtype
    parametrizations = module.__dict__.get("_modules", {}).get("parametrizations")
    if parametrizations is not None and name in parametrizations:
        stack = parametrizations[name]
        return (stack.original if stack.is_tensor else stack.original0).dtype
    return getattr(module, name).dtype


class Linear(Module):
    """``x @ weight + bias`` with ``weight`` of shape ``(n_in, n_out)``.

    A batch is a stack of rows: ``x`` has shape ``(..., n_in)``, the output
    ``(..., n_out)``.  Weights and bias start uniform in ``±1/sqrt(n_in)``, drawn from
    ``rng`` (a ``np.random.Generator`` or int seed; default: the generator set by
    ``ad.nn.manual_seed``).  ``dtype`` may be complex, as in PyTorch (real and
    imaginary parts each uniform in that range).

    ``in_features=`` / ``out_features=`` (and the attributes of those names) are
    PyTorch's names for ``n_in`` / ``n_out``.  The repr is ``Linear(n_in, n_out)``,
    not PyTorch's ``Linear(in_features=..., out_features=..., bias=True)``.

    >>> layer = ad.nn.Linear(3, 2, rng=0)
    >>> layer(ad.tensor(np.ones((4, 3)))).shape
    (4, 2)
    >>> ad.nn.Linear(in_features=3, out_features=2).in_features
    3
    """

    def __init__(self, n_in: int | None = None, n_out: int | None = None, bias: bool = True,
                 *, rng=None, dtype=np.float64, in_features: int | None = None,
                 out_features: int | None = None):
        super().__init__()
        n_in = _one_of("Linear", "n_in", n_in, "in_features", in_features)
        n_out = _one_of("Linear", "n_out", n_out, "out_features", out_features)
        self.n_in = _positive_int(n_in, "n_in", "Linear")
        self.n_out = _positive_int(n_out, "n_out", "Linear")
        dtype = float_or_complex_dtype(dtype, "Linear")
        gen = _generator(rng)
        bound = 1.0 / math.sqrt(self.n_in)
        self.weight = Parameter(uniform_values(gen, bound, (self.n_in, self.n_out), dtype))
        if bias:
            self.bias = Parameter(uniform_values(gen, bound, (self.n_out,), dtype))
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self, *, rng=None) -> None:
        """Weight and bias uniform in ``±1/sqrt(n_in)`` again, in place (reset.py)."""
        redraw_uniform(self, 1.0 / math.sqrt(self.n_in), rng)

    def forward(self, input) -> Tensor:
        weight = self.weight         # read once: a parametrized weight is computed per read
        bias = self.bias
        if input.__class__ is Tensor:
            # The usual call, checked in a few attribute reads: a Tensor of rows of n_in
            # values, the weight's dtype, no float16 anywhere (so check_float16_operands
            # has nothing to refuse and rounded_once nothing to widen).
            data = input.data
            if (data.ndim and data.shape[-1] == self.n_in and data.dtype is not _FLOAT16
                    and isinstance(weight, Tensor) and weight.data.dtype is data.dtype
                    and (bias is None or isinstance(bias, Tensor)
                         and bias.data.dtype is not _FLOAT16)):
                return _affine(input, weight, bias)
        shape = input.shape if isinstance(input, Tensor) else np.shape(input)
        if not shape or shape[-1] != self.n_in:
            raise ValueError(
                f"Linear({self.n_in}, {self.n_out}): the input's last axis must have size "
                f"{self.n_in}, but the input has shape {tuple(shape)}; inputs are rows "
                f"(batch, {self.n_in}) and the weight is (n_in, n_out) = "
                f"({self.n_in}, {self.n_out})"
                + (f"; for rows of {shape[-1]} values (after a Flatten, say) build "
                   f"Linear({shape[-1]}, {self.n_out}), or nn.LazyLinear({self.n_out}), "
                   "which reads the size from the first input" if shape else ""))
        check_float16_operands(self._where, input, weight, bias)
        return rounded_once(_affine, input if isinstance(input, Tensor) else Tensor(input), weight,
                            bias)

    def _where(self) -> str:
        return f"Linear({self.n_in}, {self.n_out})"

    def __setattr__(self, name, value):
        if name == "weight" and isinstance(value, Parameter) and "n_out" in self.__dict__:
            _check_assigned_weight(self.n_in, self.n_out, value)
        super().__setattr__(name, value)

    @property
    def in_features(self) -> int:
        return self.n_in

    @property
    def out_features(self) -> int:
        return self.n_out

    # PyTorch stores (out, in); so are weight_norm's weight_g and weight_v and
    # spectral_norm's weight_orig (its 1-d weight_u and weight_v stay as they are) and
    # pruning's weight_mask
    _transposed = ("weight", "weight_g", "weight_v", "weight_orig", "weight_mask")

    def _torch_export(self, local):
        for key in self._transposed:
            if key in local and np.ndim(local[key]) == 2:
                local[key] = local[key].T
        return local

    def _torch_import(self, torch_local):
        return {key: (np.asarray(value).T if key in self._transposed and np.ndim(value) == 2
                      else value) for key, value in torch_local.items()}

    def extra_repr(self) -> str:
        bias = "" if self.bias is not None else ", bias=False"
        weight_dtype = _stored_dtype(self, "weight")
        dtype = "" if weight_dtype == np.float64 else f", dtype={weight_dtype}"
        return f"{self.n_in}, {self.n_out}{bias}{dtype}"


def _one_of(where, name, value, torch_name, torch_value):
    """A size given under this library's name or PyTorch's, not both (nor neither)."""
    if torch_value is None:
        if value is None:
            raise TypeError(f"{where}: missing {name} (PyTorch's {torch_name})")
        return value
    if value is not None:
        raise TypeError(f"{where}: got both {name}={value!r} and {torch_name}={torch_value!r}; "
                        "they are the same argument, pass one")
    return torch_value


def _given_table(weight, shape, where) -> np.ndarray:
    """A copy of ``_weight`` (PyTorch's shares it), refused unless floating-point or
    complex of ``shape``."""
    table = np.array(weight.data if isinstance(weight, Tensor) else weight)
    if table.shape != shape or table.dtype.kind not in "fc":
        raise ValueError(f"{where}: _weight must be a floating-point table of shape "
                         f"{shape}, got shape {table.shape} and dtype {table.dtype}")
    return table


def _from_pretrained(cls, embeddings, freeze, **options):
    """``cls(rows, cols, **options)`` with ``embeddings`` as its weight (Embedding's and
    EmbeddingBag's ``from_pretrained``)."""
    table = embeddings.data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
    if table.ndim != 2 or table.dtype.kind != "f":
        raise ValueError(f"{cls.__name__}.from_pretrained: embeddings must be a 2-D "
                         f"floating-point table (rows, dim), got shape {table.shape} and "
                         f"dtype {table.dtype}")
    module = cls(table.shape[0], table.shape[1], dtype=table.dtype, **options)
    module.weight = Parameter(table)
    module.weight.requires_grad = not freeze
    return module


class Embedding(Module):
    """A lookup table: ``Embedding(n, dim)(ids)`` is ``weight[ids]``, shape ``ids.shape + (dim,)``.

    The forward gathers rows, the backward scatter-adds into them, so an id that
    appears several times in a batch receives the sum of its gradients.  Ids must be
    integers in ``[0, n)``.  The table starts as ``std * N(0, 1)`` (PyTorch's default
    is std = 1; small values such as 0.01 suit dot-product models); a complex ``dtype``
    draws each part with variance ``std**2 / 2``, as PyTorch's ``normal_``.

    ``padding_idx`` (negative counts from the end) names a row that starts at zeros and
    never gets a gradient, as in PyTorch: ids equal to it look up that row as it is,
    and an optimizer leaves it unchanged.  ``max_norm`` rescales, at each call and
    without gradient, the looked-up rows of ``weight`` whose ``norm_type``-norm exceeds
    it, as ``F.embedding`` does; ``scale_grad_by_freq=True`` divides each id's gradient
    by its count in the call's ids, as there.  ``sparse=True`` is not supported
    (refused); the arguments keep PyTorch's order.

    >>> emb = ad.nn.Embedding(10, 4, rng=0)
    >>> emb([1, 1, 7]).shape
    (3, 4)
    >>> padded = ad.nn.Embedding(10, 4, padding_idx=0, rng=0)
    >>> padded([0, 3]).sum().backward()
    >>> padded.weight.grad[[0, 3]]
    array([[0., 0., 0., 0.],
           [1., 1., 1., 1.]])
    """

    def __init__(self, n: int | None = None, dim: int | None = None,
                 padding_idx: int | None = None, max_norm: float | None = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight=None, _freeze: bool = False, *,
                 std: float = 1.0, rng=None, dtype=np.float64, num_embeddings=None,
                 embedding_dim=None):
        super().__init__()
        n = _one_of("Embedding", "n", n, "num_embeddings", num_embeddings)
        dim = _one_of("Embedding", "dim", dim, "embedding_dim", embedding_dim)
        self.n = _positive_int(n, "n", "Embedding")
        self.dim = _positive_int(dim, "dim", "Embedding")
        where = f"Embedding({self.n}, {self.dim})"
        max_norm, _ = renorm_arguments(max_norm, norm_type, where)
        refuse_sparse_or_scaled_gradients(False, sparse, where)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq = bool(scale_grad_by_freq)
        self.sparse = False             # PyTorch's attribute, at the only value taken here
        self.padding_idx = padding_index(padding_idx, self.n, where)
        dtype = float_or_complex_dtype(dtype, "Embedding")
        self._std = std
        if _weight is not None:     # PyTorch's: the table as given, padding row too
            table = _given_table(_weight, (self.n, self.dim), where)
        else:
            table = normal_table(_generator(rng), std, (self.n, self.dim), dtype)
            if self.padding_idx is not None:
                table[self.padding_idx] = 0
        self.weight = Parameter(table)
        self.weight.requires_grad = not _freeze

    def reset_parameters(self, *, rng=None) -> None:
        """The table ``std * N(0, 1)`` again, the ``padding_idx`` row zeros, in place."""
        redraw_table(self, self._std, rng)

    def __setattr__(self, name, value):
        if name == "weight" and isinstance(value, Parameter) and "dim" in self.__dict__:
            check_table(f"Embedding({self.n}, {self.dim})", self.n, self.dim, value)
        super().__setattr__(name, value)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx=None,
                        max_norm=None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> "Embedding":
        """An Embedding whose table is a copy of ``embeddings`` (2-D; PyTorch's shares
        the memory), frozen (``requires_grad=False``) unless ``freeze=False``, as in
        PyTorch.  The ``padding_idx`` row is kept as given.

        >>> emb = ad.nn.Embedding.from_pretrained(ad.tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> emb(ad.tensor([1])), emb.weight.requires_grad
        (tensor([[3., 4.]]), False)
        """
        return _from_pretrained(cls, embeddings, freeze, padding_idx=padding_idx,
                                max_norm=max_norm, norm_type=norm_type,
                                scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)

    @property
    def num_embeddings(self) -> int:
        """``n`` under PyTorch's name."""
        return self.n

    @property
    def embedding_dim(self) -> int:
        """``dim`` under PyTorch's name."""
        return self.dim

    def forward(self, input) -> Tensor:
        where = f"Embedding({self.n}, {self.dim})"
        weight = self.weight
        check_table(where, self.n, self.dim, weight)     # (its .data may have been set)
        return embedding(input, weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, where=where)

    def extra_repr(self) -> str:
        shown = f"{self.n}, {self.dim}"
        if self.padding_idx is not None:
            shown += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            shown += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            shown += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            shown += ", scale_grad_by_freq=True"
        if _stored_dtype(self, "weight") != np.float64:
            shown += f", dtype={_stored_dtype(self, 'weight')}"
        return shown


class Bump(Module):
    """The trainable generalized bump ``exp(-σ / (σ - x²))`` where ``|x| < min(σ, √σ)``, else 0.

    ``sigma`` is a Parameter (σ > 0).  For σ ≤ 1 the support is ``|x| < σ``.  Output
    and gradient are finite for every finite input: outside the support the formula
    is fed a safe value (x² = 0) before the outer ``where`` discards it — the double
    ``where``.  Without that, σ - x² = 0 at the edge would put an infinite derivative
    into the unselected branch, and 0 * inf gives NaN.

    >>> bump = ad.nn.Bump(sigma=0.5)
    >>> bump(ad.tensor([0.0, 0.1, 3.0]))
    tensor([0.36787944, 0.36044779, 0.        ], requires_grad=True)
    """

    def __init__(self, sigma: float = 1.0, *, dtype=np.float64):
        super().__init__()
        sigma = float(sigma)
        if not sigma > 0:
            raise ValueError(f"Bump: sigma must be > 0, got {sigma}")
        self.sigma = Parameter(np.array(sigma, dtype=_float_dtype(dtype, "Bump")))

    def forward(self, x) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        sigma = self.sigma
        x2 = x * x
        # The support |x| < min(σ, √σ) is a comparison: no gradient flows through it,
        # so it is computed from stop_gradient(σ) (nothing there saves σ for a backward).
        edge = ew.stop_gradient(sigma)
        inside = ew.abs(x) < ew.minimum(edge, ew.sqrt(ew.maximum(edge, 0.0)))
        safe_x2 = ew.where(inside, x2, 0.0)
        value = ew.exp(-sigma / (sigma - safe_x2))
        return ew.where(inside, value, 0.0)

    def extra_repr(self) -> str:
        return f"sigma={float(self.sigma.data):.6g}"


class Identity(Module):
    """Returns its input unchanged (a placeholder layer); any constructor arguments are ignored.

    >>> ad.nn.Identity(54, unused="x")(ad.tensor([1.0, 2.0]))
    tensor([1., 2.])
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Flatten(Module):
    """Merge axes ``start_dim`` .. ``end_dim`` (inclusive) into one, as ``torch.nn.Flatten``.

    The default keeps the batch axis: (N, C, H, W) becomes (N, C*H*W).

    >>> ad.nn.Flatten()(ad.tensor(np.zeros((2, 3, 4, 5)))).shape
    (2, 60)
    >>> ad.nn.Flatten(0, 1)(ad.tensor(np.zeros((2, 3, 4)))).shape
    (6, 4)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = int(start_dim)
        self.end_dim = int(end_dim)

    def forward(self, input):
        input = input if isinstance(input, Tensor) else Tensor(input)
        ndim = max(input.ndim, 1)
        start, end = self.start_dim, self.end_dim
        if not (-ndim <= start < ndim and -ndim <= end < ndim):
            raise ValueError(
                f"Flatten(start_dim={start}, end_dim={end}): dims out of range for an input "
                f"with {input.ndim} dimensions (shape {input.shape})")
        start, end = start % ndim, end % ndim
        if start > end:
            raise ValueError(
                f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}): start_dim comes "
                f"after end_dim for an input of shape {input.shape}")
        shape = input.shape if input.ndim else (1,)
        merged = int(np.prod(shape[start:end + 1], dtype=np.int64))
        return reshape(input, shape[:start] + (merged,) + shape[end + 1:])

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class ReLU(Module):
    """``max(x, 0)`` as a layer.

    >>> ad.nn.ReLU()(ad.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, input) -> Tensor:
        return F.relu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """``1 / (1 + exp(-x))`` as a layer.

    >>> ad.nn.Sigmoid()(ad.tensor([0.0]))
    tensor([0.5])
    """

    def forward(self, input) -> Tensor:
        return F.sigmoid(input)


class Tanh(Module):
    """``tanh(x)`` as a layer.

    >>> ad.nn.Tanh()(ad.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, input) -> Tensor:
        return F.tanh(input)


class LeakyReLU(Module):
    """``x`` where ``x > 0``, else ``negative_slope * x``, as a layer, with PyTorch's
    argument and attribute names; ``slope=`` / ``.slope`` (the name ``ad.leaky_relu``
    uses) are the same value.

    >>> ad.nn.LeakyReLU(0.1)(ad.tensor([-1.0, 2.0]))
    tensor([-0.1,  2. ])
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False, *,
                 slope: float | None = None):
        super().__init__()
        if slope is not None and negative_slope != 0.01:
            raise TypeError(f"LeakyReLU: got both negative_slope={negative_slope!r} and "
                            f"slope={slope!r}; they are the same argument, pass one")
        self.negative_slope = float(negative_slope if slope is None else slope)
        self.inplace = bool(inplace)

    @property
    def slope(self) -> float:
        return self.negative_slope

    @slope.setter
    def slope(self, value: float):
        self.negative_slope = value

    def forward(self, input) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


# The elementwise activations MLP takes by name (their functional names), each built
# with its default arguments.
_ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "leaky_relu": LeakyReLU,
                "gelu": GELU, "silu": SiLU, "elu": ELU, "softplus": Softplus, "selu": SELU,
                "celu": CELU, "mish": Mish, "hardswish": Hardswish, "hardsigmoid": Hardsigmoid,
                "hardtanh": Hardtanh, "relu6": ReLU6, "logsigmoid": LogSigmoid,
                "softsign": Softsign}


class MLP(Module):
    """A stack of ``Linear`` layers with an activation between them (none after the last).

    ``MLP([2, 64, 3])`` is ``Linear(2, 64) -> relu -> Linear(64, 3)``; its output
    are raw scores (logits), ready for ``F.cross_entropy``.  ``activation`` is the
    name of an elementwise activation in ``ad.nn.functional`` with its default
    arguments (``"relu"``, ``"tanh"``, ``"sigmoid"``, ``"leaky_relu"``, ``"gelu"``,
    ``"silu"``, ``"elu"``, ``"softplus"``, ``"selu"``, ``"celu"``, ``"mish"``,
    ``"hardswish"``, ``"hardsigmoid"``, ``"hardtanh"``, ``"relu6"``, ``"logsigmoid"``,
    ``"softsign"``), or a Module instance (for other arguments: ``nn.ELU(alpha=0.5)``).

    >>> net = ad.nn.MLP([2, 64, 3], rng=0)
    >>> [name for name, _ in net.named_parameters()]
    ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias']
    >>> ad.nn.MLP([2, 8, 1], activation="gelu").activation
    GELU(approximate='none')
    """

    def __init__(self, sizes, activation="relu", *, rng=None, dtype=np.float64):
        super().__init__()
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs at least an input and an output size, "
                             f"got {sizes}")
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(f"MLP: unknown activation {activation!r}; choose one of "
                                 f"{', '.join(sorted(_ACTIVATIONS))}, or pass a Module")
            activation = _ACTIVATIONS[activation]()
        elif not isinstance(activation, Module):
            raise TypeError(f"MLP: activation must be a name or a Module, "
                            f"not {type(activation).__name__}")
        self.sizes = sizes
        gen = _generator(rng)
        self.layers = ModuleList([Linear(a, b, rng=gen, dtype=dtype)
                                  for a, b in zip(sizes[:-1], sizes[1:])])
        self.activation = activation

    def forward(self, x) -> Tensor:
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < last:
                x = self.activation(x)
        return x

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}"
