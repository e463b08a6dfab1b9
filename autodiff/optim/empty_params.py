"""The error for an optimizer given no parameters, naming the cause when the
parameters came from a module: tensors that require grad but were never registered
(kept in a plain list or dict, or as a plain Tensor attribute instead of a
``Parameter``), or a generator from ``model.parameters()`` already used up.

>>> class Net(ad.nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.weights = [ad.tensor([1.0, 2.0], requires_grad=True)]
>>> ad.optim.SGD(Net().parameters(), lr=0.1)
Traceback (most recent call last):
ValueError: SGD: got no parameters: Net has none registered. Its self.weights[0] ...
"""

from __future__ import annotations

from ..tensor import Tensor


def module_of(params):
    """The module that ``params`` (``model.parameters()`` or ``named_parameters()`` not
    yet started, or a module itself) comes from, else None."""
    from ..nn.module import Module
    if isinstance(params, Module):
        return params
    frame = getattr(params, "gi_frame", None)
    owner = frame.f_locals.get("self") if frame is not None else None
    return owner if isinstance(owner, Module) else None


def _unregistered(module) -> list[tuple[str, Tensor]]:
    """``(where, tensor)`` for each tensor requiring grad that ``module`` or one of its
    sub-modules keeps without registering it (an attribute, or in a list, tuple or dict)."""
    from ..nn.module import Parameter
    found = []
    for prefix, sub in module.named_modules():
        owner = f"self.{prefix}." if prefix else "self."
        for key, value in vars(sub).items():
            items = [(f"{owner}{key}", value)]
            if isinstance(value, (list, tuple)):
                items = [(f"{owner}{key}[{i}]", v) for i, v in enumerate(value)]
            elif isinstance(value, dict):
                items = [(f"{owner}{key}[{k!r}]", v) for k, v in value.items()]
            found += [(name, v) for name, v in items if isinstance(v, Tensor)
                      and v.requires_grad and v._node is None and not isinstance(v, Parameter)]
    return found


def _listed(unregistered) -> str:
    shown = ", ".join(f"{label} (shape {t.shape})" for label, t in unregistered[:3])
    return shown + (f" and {len(unregistered) - 3} more" if len(unregistered) > 3 else "")


def warn_unregistered(where: str, module) -> None:
    """Warn, at the user's line, when ``module`` keeps leaf tensors that require grad
    without registering them: the optimizer made from its parameters() leaves them as
    they are, however their gradients look."""
    unregistered = _unregistered(module)
    if not unregistered:
        return
    import warnings
    from .optimizer import user_stacklevel
    one = len(unregistered) == 1
    warnings.warn(
        f"{where}: {type(module).__name__}'s {_listed(unregistered)} "
        f"{'requires' if one else 'require'} grad but "
        f"{'is a plain Tensor' if one else 'are plain Tensors'}, "
        "not a registered nn.Parameter, so parameters() does not list "
        f"{'it' if one else 'them'} and this optimizer will never update "
        f"{'it' if one else 'them'} (backward still fills .grad). Make each an "
        "nn.Parameter: self.w = nn.Parameter(data); a list or tuple of Parameters is "
        "registered too.", UserWarning, stacklevel=user_stacklevel())


def empty_params_error(where: str, module) -> ValueError:
    """The ``ValueError`` for an optimizer made with no parameters."""
    if module is None:
        return ValueError(f"{where}: got an empty list of parameters (a generator that was "
                          "already consumed?); pass model.parameters() fresh")
    name = type(module).__name__
    unregistered = _unregistered(module)
    if not unregistered:
        return ValueError(
            f"{where}: got no parameters: {name} has none registered. A module registers "
            "the Parameters and sub-modules assigned to its attributes (self.fc = "
            "nn.Linear(2, 1), self.w = nn.Parameter(...)) after super().__init__(); "
            "check that its __init__ assigns them.")
    return ValueError(
        f"{where}: got no parameters: {name} has none registered. Its {_listed(unregistered)} "
        f"require{'s' if len(unregistered) == 1 else ''} grad but "
        f"{'is a plain Tensor' if len(unregistered) == 1 else 'are plain Tensors'}, which "
        "a Module does not register (as in PyTorch), so parameters() does not list "
        f"{'it' if len(unregistered) == 1 else 'them'} and no optimizer could update "
        f"{'it' if len(unregistered) == 1 else 'them'}. Make each an nn.Parameter: "
        "self.w = nn.Parameter(data) for an attribute; a list or tuple of Parameters is "
        "registered (as a ParameterList); nn.ParameterDict({...}) for a dict.")
