"""``strict=True`` for ``ad.autograd.functional``: PyTorch's checks, made on the tape
before the result is computed, that every output is computed differentiably from the
inputs and that every input reaches an output; for ``hessian``, ``hvp`` and ``vhp``,
also that the gradient depends on the inputs (it does not for a linear function).
Where one fails, PyTorch's ``RuntimeError`` and its message.

>>> f = lambda x, y: x * 2
>>> ad.autograd.functional.vjp(f, (ad.ones(2), ad.ones(2)), ad.ones(2), strict=True)
Traceback (most recent call last):
RuntimeError: The output of the user-provided function is independent of input 1. ...
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor

_STRICT = " This is not allowed in strict mode."


def check(where: str, func, inputs, create_graph: bool = False,
          elementwise: bool = True) -> None:
    """Raise PyTorch's error when ``func`` at ``inputs`` breaks a strict-mode rule of
    ``where`` (``"vjp"``, ``"jvp"``, ``"jacobian"``, ``"hessian"``, ``"hvp"``,
    ``"vhp"``); without ``elementwise``, a Jacobian's outputs are not checked input by
    input (PyTorch refuses ``vectorize=True`` first)."""
    from .autograd import grad
    from .grad_mode import enable_grad
    items = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    leaves = [Tensor(np.array(getattr(x, "data", x)), requires_grad=True) for x in items]
    with enable_grad():
        out = func(*leaves)
        outputs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        for i, output in enumerate(outputs):
            if not (isinstance(output, Tensor) and output.requires_grad):
                raise RuntimeError(
                    f"Output {i} of the user-provided function does not require gradients."
                    " The outputs must be computed in a differentiable manner from the input"
                    " when running in strict mode.")
        if where == "jacobian":
            if elementwise:
                _each_reaches_each(outputs, leaves, create_graph)
            return
        second = where in ("hessian", "hvp", "vhp")
        gradients = grad(_total(outputs), leaves, allow_unused=True, retain_graph=True,
                         create_graph=second or create_graph)
        for i, gradient in enumerate(gradients):
            # (hessian's inner Jacobian fills zeros for an unused input, which the
            # check below then finds independent of the input, as PyTorch's does)
            if gradient is None and where != "hessian":
                raise RuntimeError("The output of the user-provided function is independent "
                                   f"of input {i}.{_STRICT}")
        if where == "jvp":
            _each_output_reaches_an_input(outputs, leaves)
        if not second:
            if create_graph:
                _depends_on_inputs(gradients, "jacobian")
            return
        for i, gradient in enumerate(gradients):
            if gradient is None or not gradient.requires_grad:
                raise RuntimeError(
                    "While computing the hessian, found that the jacobian of the "
                    f"user-provided function with respect to input {i} is independent of the "
                    "input. This is not allowed in strict mode. You should ensure that your "
                    "function is twice differentiable and that the jacobian depends on the "
                    "inputs (this would be violated by a linear function for example).")
        if where == "hessian":
            if elementwise:
                _each_reaches_each(gradients, leaves, create_graph)
        elif where == "vhp":
            products = grad(_total(gradients), leaves, allow_unused=True, retain_graph=True,
                            create_graph=create_graph)
            for i, product in enumerate(products):
                if product is None:
                    raise RuntimeError("The jacobian of the user-provided function is "
                                       f"independent of input {i}.{_STRICT}")
            if create_graph:
                _depends_on_inputs(products, "hessian")
        elif create_graph:
            products = grad(_total(gradients), leaves, allow_unused=True, retain_graph=True,
                            create_graph=True)
            _depends_on_inputs([p for p in products if p is not None], "hessian")


def _total(tensors):
    total = tensors[0].sum()
    for tensor in tensors[1:]:
        total = total + tensor.sum()
    return total


def _each_reaches_each(outputs, leaves, create_graph) -> None:
    from .autograd import grad
    for i, output in enumerate(outputs):
        gradients = grad(output.sum(), leaves, allow_unused=True, retain_graph=True,
                         create_graph=create_graph)
        for j, gradient in enumerate(gradients):
            if gradient is None:
                raise RuntimeError(f"Output {i} of the user-provided function is independent "
                                   f"of input {j}.{_STRICT}")
            if create_graph and not gradient.requires_grad:
                raise RuntimeError("The jacobian of the user-provided function is independent "
                                   f"of input {i}.{_STRICT[:-1]} when create_graph=True.")


def _each_output_reaches_an_input(outputs, leaves) -> None:
    from .autograd import grad
    for i, output in enumerate(outputs):
        gradients = grad(output.sum(), leaves, allow_unused=True, retain_graph=True)
        if all(gradient is None for gradient in gradients):
            raise RuntimeError(
                f"The gradient with respect to the input is independent of entry {i} in the "
                "grad_outputs when using the double backward trick to compute forward mode "
                f"gradients.{_STRICT}")


def _depends_on_inputs(gradients, what: str) -> None:
    for i, gradient in enumerate(gradients):
        if not gradient.requires_grad:
            raise RuntimeError(f"The {what} of the user-provided function is independent of "
                               f"input {i}.{_STRICT[:-1]} when create_graph=True.")
