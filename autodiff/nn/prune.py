"""``torch.nn.utils.prune``: zeroing a fraction of a parameter's entries through a mask.

Pruning ``module.<name>`` moves the parameter to ``<name>_orig``, registers the buffer
``<name>_mask`` (ones and zeros) and a forward pre-hook that sets ``module.<name> =
<name>_orig * <name>_mask`` before every ``forward``, on the tape, so the gradient of
``<name>_orig`` is zero where the mask is.  Pruning the same parameter again prunes
among the entries still kept (the masks combine); ``remove`` makes the pruned value
the plain parameter again (the same Parameter object, so an optimizer keeps it).

The masks are computed in PyTorch's layout of the weight (``Linear.weight`` is
``(out, in)`` there, ``(in, out)`` here), so ``dim`` means what it means in PyTorch and
ties are broken over the same order; ``importance_scores`` and a custom mask have the
shape of the parameter here.

>>> layer = ad.nn.Linear(3, 2, rng=0)
>>> _ = ad.nn.utils.prune.l1_unstructured(layer, "weight", amount=0.5)
>>> int((layer.weight_mask == 0).sum()), sorted(n for n, _ in layer.named_parameters())
(3, ['bias', 'weight_orig'])
"""

from __future__ import annotations

import numbers
import weakref

import numpy as np

from ..compile.hooks import replayed
from ..ops.operands import array_of
from ..tensor import Tensor
from .module import Module, Parameter, _generator

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured",
           "L1Unstructured", "RandomStructured", "LnStructured", "CustomFromMask", "identity",
           "random_unstructured", "random_structured", "l1_unstructured", "ln_structured",
           "global_unstructured", "custom_from_mask", "remove", "is_pruned"]


def _transposed(module, name) -> bool:
    from .utils_reparam import _is_transposed
    return _is_transposed(module, name)


def _to_torch_layout(module, name, array: np.ndarray) -> np.ndarray:
    return array.T if _transposed(module, name) and array.ndim == 2 else array


_from_torch_layout = _to_torch_layout          # a transpose is its own inverse


def _check_amount(amount) -> None:
    if not isinstance(amount, numbers.Real) or isinstance(amount, bool):
        raise TypeError(f"prune: invalid type for amount: {amount!r}; must be int or float")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and not 0.0 <= float(amount) <= 1.0):
        raise ValueError(f"prune: amount={amount} should either be a float in the range "
                         "[0, 1] or a non-negative integer")


def _count_to_prune(amount, size: int) -> int:
    if isinstance(amount, numbers.Integral):
        if amount > size:
            raise ValueError(f"prune: amount={amount} should be smaller than the number of "
                             f"parameters to prune={size}")
        return int(amount)
    return round(float(amount) * size)


def _computed_mask(method, t, default_mask):
    """``method.compute_mask`` of the arrays; a subclass written outside the library gets
    them as Tensors (unrecorded), as PyTorch's do: ``default_mask.clone()``, then
    ``mask.view(-1)[::2] = 0`` (the "Pruning" tutorial's custom method)."""
    compute_mask = type(method).compute_mask
    if getattr(compute_mask, "__module__", "").startswith("autodiff."):
        return method.compute_mask(t, default_mask)
    # (contiguous, as PyTorch's: a Linear weight's arrives transposed, and view(-1) of
    # that would be refused)
    mask = compute_mask(method, Tensor(np.ascontiguousarray(t)),
                        Tensor(np.ascontiguousarray(default_mask)))
    return np.asarray(array_of(mask))


def _rename(param, old: str, new: str) -> None:
    """Keep a parameter's automatic name (``0.weight``) in step with the attribute it
    moves to (``0.weight_orig``), so graphs and explain do not call the unpruned
    values by the name of the pruned ones."""
    name = param.name
    if param._auto_name and name is not None and (name == old or name.endswith("." + old)):
        param._name = name[:len(name) - len(old)] + new


class BasePruningMethod:
    """A way of computing a mask; called as a forward pre-hook it sets
    ``module.<name> = <name>_orig * <name>_mask``.  Subclasses give ``compute_mask(t,
    default_mask)`` (in PyTorch's layout; Tensors for a subclass of the user's, arrays
    for the library's own) and ``PRUNING_TYPE``: "unstructured", "structured" (with
    ``dim``) or "global"."""

    PRUNING_TYPE: str | None = None

    def __init__(self):
        self._tensor_name = None
        self._module = None             # (a weak reference, set when applied)

    def __getstate__(self) -> dict:
        # The module itself in place of the weak reference, which pickle and deepcopy
        # cannot take (deepcopy would keep pointing to the original module); both copy
        # the module before its hooks, so this is the copy's own module.
        state = dict(self.__dict__)
        if state.get("_module") is not None:
            state["_module"] = state["_module"]()
        return state

    def __setstate__(self, state: dict) -> None:
        module = state.get("_module")
        self.__dict__.update(state, _module=None if module is None else weakref.ref(module))

    def compute_mask(self, t: np.ndarray, default_mask: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__}.compute_mask")

    def apply_mask(self, module) -> Tensor:
        """``<name>_orig * <name>_mask``, recorded (the gradient reaches ``_orig``)."""
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        # (the buffer itself when it has the dtype: a compiled function reads it again)
        return orig * (mask if mask.dtype == orig.dtype else mask.astype(orig.dtype))

    def __call__(self, module, inputs):
        object.__setattr__(module, self._tensor_name, self.apply_mask(module))

    @property
    def compile_traced(self) -> bool:
        """Whether a compiled function records the hook instead of refusing it: its ops
        read only the parameter and the mask buffer (which a replay reads again), unless
        a subclass runs code of its own there."""
        own = type(self)
        return (own.__call__ is BasePruningMethod.__call__
                and own.apply_mask is BasePruningMethod.apply_mask)

    @property
    def refreshed_attributes(self) -> tuple:
        """The module attribute ``show_current`` sets again at each replay (a compiled
        function does not trace again because it holds another tensor)."""
        return (self._tensor_name,)

    @replayed
    def show_current(self):
        """``__call__`` again, at each replay of a compiled function that traced it: the
        module's attribute holds the pruned value of the last call, as after an eager
        forward (the replay computes the forward from the parameter and mask itself)."""
        module = self._module() if self._module is not None else None
        if module is not None:
            self(module, ())

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` with ``cls(*args, **kwargs)``, combined with a pruning
        already there; returns the (possibly combined) method."""
        if not isinstance(module, Module):
            raise TypeError(f"prune: expected a Module, got {type(module).__name__}")
        old_key, old_method = None, None
        for key, hook in module._forward_pre_hooks.items():
            if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
                old_key, old_method = key, hook
        new = cls(*args, **kwargs)
        new._tensor_name = name
        if isinstance(old_method, PruningContainer):      # a new one: if the mask cannot
            method = PruningContainer(*old_method, new)    # be computed, nothing changes
        elif old_method is not None:
            method = PruningContainer(old_method, new)
        else:
            method = new
        if old_method is None:
            orig = module._parameters.get(name)
            if not isinstance(orig, Parameter):
                raise AttributeError(f"prune: {type(module).__name__} has no parameter "
                                     f"{name!r}")
        else:
            orig = getattr(module, name)          # the pruned value so far
        scores = orig if importance_scores is None else importance_scores
        if np.shape(array_of(scores)) != tuple(orig.shape):
            raise ValueError(f"prune: importance_scores should have the shape of the "
                             f"parameter {name!r}, {tuple(orig.shape)}; got "
                             f"{np.shape(array_of(scores))}")
        if old_method is None:
            default_mask = np.ones(orig.shape, dtype=orig.dtype)
        else:
            default_mask = np.array(getattr(module, name + "_mask"))
        if isinstance(new, CustomFromMask):       # given in the parameter's layout
            new.torch_mask = _to_torch_layout(module, name, array_of(new.mask))
        mask = _computed_mask(method, _to_torch_layout(module, name, array_of(scores)),
                              _to_torch_layout(module, name, default_mask))
        mask = np.ascontiguousarray(_from_torch_layout(module, name, mask))
        if old_method is None:
            delattr(module, name)
            _rename(orig, name, name + "_orig")
            setattr(module, name + "_orig", orig)
            module.register_buffer(name + "_mask", mask)
        else:
            del module._forward_pre_hooks[old_key]
            setattr(module, name + "_mask", mask)
        object.__setattr__(module, name, method.apply_mask(module))
        method._module = weakref.ref(module)
        module.register_forward_pre_hook(method)
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """``t`` times the mask computed from ``importance_scores`` (``t`` by default)."""
        scores = array_of(t if importance_scores is None else importance_scores)
        default = np.ones_like(scores) if default_mask is None else array_of(default_mask)
        return t * _computed_mask(self, scores, default).astype(array_of(t).dtype)

    def remove(self, module) -> None:
        """Make ``module.<name>`` the plain parameter again, with the pruned value."""
        name = self._tensor_name
        weight = self.apply_mask(module)
        object.__delattr__(module, name)
        orig = module._parameters[name + "_orig"]
        orig.data = np.array(weight.data)
        delattr(module, name + "_orig")
        delattr(module, name + "_mask")
        _rename(orig, name + "_orig", name)
        setattr(module, name, orig)


class PruningContainer(BasePruningMethod):
    """Successive prunings of one parameter: each new one prunes among the entries
    the earlier ones kept."""

    def __init__(self, *methods):
        super().__init__()
        self._pruning_methods = ()
        for method in methods:
            self.add_pruning_method(method)

    def add_pruning_method(self, method) -> None:
        if not isinstance(method, BasePruningMethod):
            raise TypeError(f"{type(method).__name__} is not a BasePruningMethod subclass")
        if self._tensor_name is None:
            self._tensor_name = method._tensor_name
        elif method._tensor_name != self._tensor_name:
            raise ValueError(f"Can only add pruning methods acting on the parameter named "
                             f"'{self._tensor_name}' to PruningContainer. Found "
                             f"'{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, index):
        return self._pruning_methods[index]

    def compute_mask(self, t, default_mask):
        method = self._pruning_methods[-1]
        mask = np.array(default_mask, order="C")
        if method.PRUNING_TYPE == "unstructured":
            kept = mask == 1
        elif method.PRUNING_TYPE == "structured":
            axis = method.dim % t.ndim
            others = tuple(i for i in range(t.ndim) if i != axis)
            kept = [slice(None)] * t.ndim
            kept[axis] = mask.sum(axis=others) != 0
            kept = tuple(kept)
        elif method.PRUNING_TYPE == "global":
            kept = (slice(None),) * t.ndim
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")
        mask[kept] = _computed_mask(method, t[kept], mask[kept])
        return mask


class Identity(BasePruningMethod):
    """Prunes nothing: the mask is all ones."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return np.array(default_mask, order="C")


class _UnstructuredByAmount(BasePruningMethod):
    """Prunes ``amount`` entries (a fraction, or a count): the first of
    ``_pruning_order(t)``, flat indices in the order they go."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        super().__init__()
        _check_amount(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        count = _count_to_prune(self.amount, t.size)
        mask = np.array(default_mask, order="C")
        if count:
            mask.reshape(-1)[self._pruning_order(t)[:count]] = 0
        return mask


class _StructuredByAmount(BasePruningMethod):
    """Prunes ``amount`` channels along ``dim`` (PyTorch's numbering): all but those
    ``_kept_channels(t, axis, count)``."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        super().__init__()
        _check_amount(amount)
        self.amount, self.dim = amount, dim

    def compute_mask(self, t, default_mask):
        axis = _structured_axis(t, self.dim)
        count = _count_to_prune(self.amount, t.shape[axis])
        if count == 0:
            return np.array(default_mask, order="C")
        return _channel_mask(t, axis, self._kept_channels(t, axis, count), default_mask)


class RandomUnstructured(_UnstructuredByAmount):
    """Prunes ``amount`` entries (a fraction, or a count) chosen at random."""

    def _pruning_order(self, t):
        draws = _generator(None).random(t.size)     # the library's generator
        return np.argsort(-draws, kind="stable")


class RandomStructured(_StructuredByAmount):
    """Prunes ``amount`` channels along ``dim`` (PyTorch's numbering), chosen at random
    from the library's generator (so other channels than PyTorch's for a seed)."""

    def _kept_channels(self, t, axis, count):
        draws = _generator(None).random(t.shape[axis])
        return np.argsort(draws, kind="stable")[count:]


class L1Unstructured(_UnstructuredByAmount):
    """Prunes the ``amount`` entries (a fraction, or a count) of smallest magnitude."""

    def _pruning_order(self, t):
        return np.argsort(np.abs(t).reshape(-1), kind="stable")


class LnStructured(_StructuredByAmount):
    """Prunes the ``amount`` channels along ``dim`` (PyTorch's numbering) of smallest
    ``n``-norm; ``n="nuc"`` (the nuclear norm) takes each channel of a 3-d tensor as a
    matrix, and like PyTorch refuses other ranks."""

    def __init__(self, amount, n, dim=-1):
        super().__init__(amount, dim)
        self.n = 2 if n == "fro" else n

    def _kept_channels(self, t, axis, count):
        channels = t.shape[axis]
        if self.n == "nuc":
            if t.ndim != 3:
                raise RuntimeError(
                    f"ln_structured: n='nuc' is the nuclear norm of each channel as a "
                    f"matrix, so the tensor must be 3-d; got shape {t.shape} (PyTorch "
                    "refuses it too: 'linalg.matrix_norm: dim must be a 2-tuple'). Use a "
                    "vector norm (1, 2, float('inf'), 'fro') instead")
            norms = np.linalg.norm(np.moveaxis(t, axis, 0), ord="nuc", axis=(1, 2))
        else:
            rows = np.moveaxis(t, axis, 0).reshape(channels, -1)
            norms = np.linalg.norm(rows, ord=self.n, axis=1)
        return np.argsort(-norms, kind="stable")[:channels - count]


def _structured_axis(t, dim) -> int:
    """The axis ``dim`` names in ``t``, after PyTorch's checks for structured pruning."""
    if t.ndim <= 1:
        raise ValueError(f"Structured pruning can only be applied to multidimensional "
                         f"tensors. Found tensor of shape {t.shape} with {t.ndim} dims")
    if not -t.ndim <= dim < t.ndim:
        raise IndexError(f"Invalid index {dim} for tensor of size {t.shape}")
    return dim % t.ndim


def _channel_mask(t, axis, kept, default_mask):
    """``default_mask`` with every channel along ``axis`` but those ``kept`` zeroed."""
    mask = np.zeros_like(np.asarray(default_mask))
    where = [slice(None)] * t.ndim
    where[axis] = kept
    mask[tuple(where)] = 1
    return mask * default_mask


class CustomFromMask(BasePruningMethod):
    """Prunes where the given mask (of the parameter's shape) is 0."""

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        super().__init__()
        self.mask = mask
        self.torch_mask = None

    def compute_mask(self, t, default_mask):
        mask = self.torch_mask if self.torch_mask is not None else array_of(self.mask)
        if np.shape(mask) != np.shape(default_mask):
            raise ValueError(f"custom_from_mask: the mask has shape {np.shape(mask)}, the "
                             f"parameter {np.shape(default_mask)}")
        return default_mask * mask.astype(np.asarray(default_mask).dtype)


def identity(module, name):
    """Attach a mask of ones to ``module.<name>`` (the pruning machinery, nothing pruned).

    >>> sorted(ad.nn.utils.prune.identity(ad.nn.Linear(2, 1), "bias").state_dict())
    ['bias_mask', 'bias_orig', 'weight']
    """
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Prune ``amount`` entries of ``module.<name>`` (a fraction or a count) at random,
    drawn from the library's generator."""
    RandomUnstructured.apply(module, name, amount)
    return module


def random_structured(module, name, amount, dim):
    """Prune ``amount`` channels (a fraction or a count) of ``module.<name>`` along
    ``dim`` (PyTorch's numbering) at random, drawn from the library's generator.

    >>> layer = ad.nn.utils.prune.random_structured(ad.nn.Linear(3, 4), "weight", 2, dim=0)
    >>> int((abs(layer.weight.data).sum(axis=0) == 0).sum())      # two outputs gone
    2
    """
    RandomStructured.apply(module, name, amount, dim)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prune the ``amount`` entries of ``module.<name>`` (a fraction in [0, 1], or a
    count) of smallest absolute value (of ``importance_scores``, when given).

    >>> layer = ad.nn.utils.prune.l1_unstructured(ad.nn.Linear(4, 2, rng=0), "weight", 2)
    >>> int((layer.weight.data == 0).sum())
    2
    """
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """Prune the ``amount`` channels along ``dim`` (PyTorch's numbering: 0 is a
    ``Linear``'s outputs) of smallest ``n``-norm.

    >>> layer = ad.nn.utils.prune.ln_structured(ad.nn.Linear(3, 4, rng=0), "weight", 0.5,
    ...                                         n=2, dim=0)
    >>> int((abs(layer.weight.data).sum(axis=0) == 0).sum())      # two outputs gone
    2
    """
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module, name, mask):
    """Prune ``module.<name>`` where ``mask`` (its shape) is 0."""
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune across several ``(module, name)`` pairs at once, as if their entries were
    one vector: ``global_unstructured(pairs, prune.L1Unstructured, amount=0.2)``."""
    parameters = list(parameters)
    method = pruning_method(**kwargs)
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(f'Only "unstructured" PRUNING_TYPE supported for the '
                        f'`pruning_method`. Found method {pruning_method} of type '
                        f'{method.PRUNING_TYPE}')
    importance_scores = importance_scores or {}
    scores, masks, shapes = [], [], []
    for module, name in parameters:
        value = array_of(importance_scores.get((module, name), getattr(module, name)))
        current = getattr(module, name + "_mask", None)
        mask = np.ones(value.shape) if current is None else np.asarray(current)
        scores.append(_to_torch_layout(module, name, value).reshape(-1))
        masks.append(_to_torch_layout(module, name, mask).reshape(-1))
        shapes.append(_to_torch_layout(module, name, value).shape)
    container = PruningContainer()
    container._tensor_name = method._tensor_name = "temp"
    container.add_pruning_method(method)
    final = container.compute_mask(np.concatenate(scores), np.concatenate(masks))
    start = 0
    for (module, name), shape in zip(parameters, shapes):
        size = int(np.prod(shape))
        piece = final[start:start + size].reshape(shape)
        custom_from_mask(module, name, _from_torch_layout(module, name, piece))
        start += size


def remove(module, name):
    """Make the pruning of ``module.<name>`` permanent: a plain parameter again, holding
    the pruned value; ``<name>_orig``, ``<name>_mask`` and the hook go."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before "
                     "pruning can be removed")


def is_pruned(module) -> bool:
    """Whether ``module`` or one below it has a pruned parameter."""
    return any(isinstance(hook, BasePruningMethod)
               for _, sub in module.named_modules() for hook in sub._forward_pre_hooks.values())
