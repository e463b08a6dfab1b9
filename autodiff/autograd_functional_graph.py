"""``create_graph=True`` for ``ad.autograd.functional``: results that keep their graph,
so they can be differentiated again (``jacobian(f, x, create_graph=True).sum()
.backward()``), computed as PyTorch computes them, by backward passes on the tape.

Each input that requires grad is used through a view of it (``x.view_as(x)``), so the
results lead back to it and to whatever it was computed from; an input that does not
is replaced by a fresh leaf that does, as in PyTorch (the results then require grad,
with a graph that ends there).  A Jacobian takes one backward pass per output element;
``jvp`` is the derivative of a vector-Jacobian product in its (zero) vector, and
``hvp`` is the gradient of ``<gradient, v>`` (equal to ``H v`` as a Hessian is
symmetric).
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor


def graph_inputs(where: str, inputs) -> tuple[list, bool]:
    """The tensors ``func`` is called with: views of the inputs that require grad,
    fresh leaves for the others; and whether ``inputs`` was a tuple."""
    several = isinstance(inputs, (tuple, list))
    tensors = []
    for k, item in enumerate(tuple(inputs) if several else (inputs,)):
        if not isinstance(item, Tensor):
            raise TypeError(f"autograd.functional.{where}: inputs[{k}] is a "
                            f"{type(item).__name__}; give a Tensor or a tuple of Tensors")
        if item.dtype.kind not in "f":
            raise TypeError(f"autograd.functional.{where}: create_graph=True needs "
                            f"floating-point inputs, but inputs[{k}] is {item.dtype} (shape "
                            f"{item.shape}); convert it first, e.g. x.double()")
        tensors.append(item.view_as(item) if item.requires_grad
                       else Tensor(np.array(item.data), requires_grad=True))
    return tensors, several


def gradients(output, inputs: list, grad_output=None) -> list:
    """``d <output, grad_output> / d input`` for each input, with their graph; zeros
    (without one) where the output does not depend on an input."""
    from .autograd import grad
    if isinstance(output, Tensor) and output.requires_grad:
        found = grad(output, inputs, grad_outputs=grad_output, create_graph=True,
                     allow_unused=True)
    else:
        found = [None] * len(inputs)
    return [Tensor(np.zeros(x.shape, x.dtype)) if g is None else g
            for g, x in zip(found, inputs)]


def jacobian_blocks(output, inputs: list) -> list:
    """``d output / d input`` for each input, shaped ``output.shape + input.shape``."""
    from .ops.shape import reshape, stack
    output = _tensor_output(output)
    flat = reshape(output, (-1,))
    rows = [gradients(flat[j], inputs) for j in range(flat.size)]
    blocks = []
    for i, x in enumerate(inputs):
        if rows:
            blocks.append(reshape(stack([row[i] for row in rows]), output.shape + x.shape))
        else:
            blocks.append(Tensor(np.zeros(output.shape + x.shape, x.dtype)))
    return blocks


def _tensor_output(output) -> Tensor:
    return output if isinstance(output, Tensor) else Tensor(np.asarray(output))


def _one(values: list, several: bool):
    return tuple(values) if several else values[0]


def _vectors(where: str, v, like: list, name: str = "v", of: str = "input") -> list:
    """``v`` as Tensors shaped as ``like`` (the inputs, or the outputs: ``of``; a Tensor
    that requires grad is kept, so the result is differentiable in it too)."""
    items = tuple(v) if isinstance(v, (tuple, list)) else (v,)
    if len(items) != len(like):
        raise ValueError(f"autograd.functional.{where}: {name} has {len(items)} entries for "
                         f"{len(like)} {of}s")
    vectors = []
    for k, (item, x) in enumerate(zip(items, like)):
        vector = item if isinstance(item, Tensor) else Tensor(np.asarray(item, x.dtype))
        if vector.shape != x.shape:
            raise ValueError(f"autograd.functional.{where}: {name}[{k}] has shape "
                             f"{vector.shape}, the {of} has shape {x.shape}")
        vectors.append(vector)
    return vectors


def _scalar_output(where: str, func, xs: list) -> Tensor:
    output = func(*xs)
    if not isinstance(output, Tensor) or output.size != 1:
        raise RuntimeError(f"autograd.functional.{where}: func must return a one-element "
                           f"Tensor, got shape {np.shape(getattr(output, 'data', output))}")
    return output


def _inner(gradients_: list, vectors: list):
    """``sum_i <g_i, v_i>``, recorded."""
    total = None
    for g, v in zip(gradients_, vectors):
        term = (g * v).sum()
        total = term if total is None else total + term
    return total


def jacobian(func, inputs):
    xs, several_inputs = graph_inputs("jacobian", inputs)
    outputs = func(*xs)
    if isinstance(outputs, (tuple, list)):
        return tuple(_one(jacobian_blocks(out, xs), several_inputs) for out in outputs)
    return _one(jacobian_blocks(outputs, xs), several_inputs)


def hessian(func, inputs):
    xs, several = graph_inputs("hessian", inputs)
    first = gradients(_scalar_output("hessian", func, xs), xs)
    rows = [_one(jacobian_blocks(g, xs), several) for g in first]
    return _one(rows, several)


def vjp(func, inputs, v):
    xs, several = graph_inputs("vjp", inputs)
    result = func(*xs)
    several_outputs = isinstance(result, (tuple, list))
    outputs = [_tensor_output(out) for out in (result if several_outputs else (result,))]
    if v is None:
        check_v_may_be_omitted(outputs, several_outputs)
        v = Tensor(np.ones(outputs[0].shape, outputs[0].dtype))
    upstream = _vectors("vjp", v, outputs, of="output")
    if several_outputs:             # the gradient of sum_k <output_k, v_k>
        products = gradients(_inner(outputs, upstream), xs)
    else:
        products = gradients(outputs[0], xs, upstream[0])
    return _one(outputs, several_outputs), _one(products, several)


def check_v_may_be_omitted(outputs: list, several_outputs: bool) -> None:
    """PyTorch's rule for ``vjp`` without ``v``: one output of one element."""
    if several_outputs or outputs[0].size != 1:
        shapes = ", ".join(str(tuple(np.shape(out))) for out in outputs)
        raise RuntimeError(f"autograd.functional.vjp: v can only be omitted for a function "
                           f"returning a single one-element tensor, got shape(s) {shapes}; "
                           "give v shaped as the output(s)")


def jvp(func, inputs, v):
    xs, several = graph_inputs("jvp", inputs)
    if v is None:
        if len(xs) != 1 or xs[0].size != 1:
            raise RuntimeError("autograd.functional.jvp: v may only be omitted for a single "
                               "one-element input")
        v = Tensor(np.ones(xs[0].shape, xs[0].dtype))
    tangents = _vectors("jvp", v, xs)
    outputs = func(*xs)
    several_outputs = isinstance(outputs, (tuple, list))
    products = []
    for output in (outputs if several_outputs else (outputs,)):
        output = _tensor_output(output)
        dummy = Tensor(np.zeros(output.shape, output.dtype), requires_grad=True)
        pulled = gradients(output, xs, dummy)          # dummyᵀ J: linear in dummy
        products.append(gradients(_inner(pulled, tangents), [dummy])[0])
    return (tuple(outputs), tuple(products)) if several_outputs else (outputs, products[0])


def hvp(func, inputs, v):
    xs, several = graph_inputs("hvp", inputs)
    output = _scalar_output("hvp", func, xs)
    vectors = _vectors("hvp", v, xs)
    first = gradients(output, xs)
    return output, _one(gradients(_inner(first, vectors), xs), several)
