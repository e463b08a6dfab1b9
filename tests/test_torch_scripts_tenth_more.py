"""The tenth round of PyTorch scripts (pytorch.org's tutorials and docs examples as
written, run with PyTorch and with ``autodiff`` from the same weights, compared to
1e-10 in float64): "Forward-mode Automatic Differentiation" (``dual_level``,
``make_dual``/``unpack_dual``, a module's parameters swapped for duals, duals through
``functional_call``, a ``Function`` with its own ``jvp``, ``torch.func.jvp`` of a module),
the "Pruning" tutorial (LeNet: ``random_unstructured``, ``l1_unstructured`` of a bias,
iterative ``ln_structured``, the hooks' pruning history, ``remove``, pruning every layer,
``global_unstructured`` and a custom ``BasePruningMethod``), the "Backward Hooks
execution" section of "Autograd mechanics" (``grad_fn.register_prehook`` /
``register_hook``, hooks on a tensor modified in place), its in-place correctness
checks (where PyTorch refuses a saved output modified in place, the graph here kept
the value it saved: the gradient is right), and the ``autograd.grad`` docs'
``is_grads_batched`` Jacobian, ``allow_unused`` and ``materialize_grads``.  Random
draws differ between the libraries: what a random pruning draws is compared by its
counts."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch.nn.utils.prune")   # (the tutorial's import)
torch = pytest.importorskip("torch")
from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(105)


def test_forward_mode_automatic_differentiation_tutorial():
    draws = {name: DATA.normal(size=shape) for name, shape in [
        ("primal", (10, 10)), ("tangent", (10, 10)), ("plain", (10, 10)), ("input", (16, 5)),
        ("t_weight", (5, 5)), ("t_bias", (5,)), ("fn_primal", (10, 10)),
        ("fn_tangent", (10, 10)), ("p0", (10, 10)), ("t0", (10, 10)), ("p1", (10, 10)),
        ("t1", (10, 10))]}

    def script(torch, copy_weights):
        nn = torch.nn
        fwAD = torch.autograd.forward_ad
        r = {k: torch.from_numpy(v.copy()) for k, v in draws.items()}
        out = {}
        primal, tangent = r["primal"], r["tangent"]

        def fn(x, y):
            return x ** 2 + y ** 2

        # All forward AD computation must be performed in the context of
        # a ``dual_level`` context. All dual tensors created in such a context
        # will have their tangents destroyed upon exit. This is to ensure that
        # if the output or intermediate results of this computation are reused
        # in a future forward AD computation, their tangents (which are associated
        # with this computation) won't be confused with tangents from a later
        # computation.
        with fwAD.dual_level():
            dual_input = fwAD.make_dual(primal, tangent)
            assert fwAD.unpack_dual(dual_input).tangent is tangent
            dual_input_alt = fwAD.make_dual(primal, tangent.T)
            assert fwAD.unpack_dual(dual_input_alt).tangent is not tangent
            plain_tensor = r["plain"]
            dual_output = fn(dual_input, plain_tensor)
            jvp = fwAD.unpack_dual(dual_output)
            out["dual"] = (jvp.primal, jvp.tangent,
                           fwAD.unpack_dual(fn(dual_input_alt, plain_tensor)).tangent)
        assert fwAD.unpack_dual(dual_output).tangent is None

        # (a symmetric tangent for the weight: Linear's weight is (in, out) here)
        weight_tangent = r["t_weight"] + r["t_weight"].T
        model = nn.Linear(5, 5)
        copy_weights(model)
        input = r["input"]
        params = {name: p for name, p in model.named_parameters()}
        tangents = {"weight": weight_tangent, "bias": r["t_bias"]}
        with fwAD.dual_level():
            for name, p in params.items():
                delattr(model, name)
                setattr(model, name, fwAD.make_dual(p, tangents[name]))
            result = model(input)
            out["module"] = fwAD.unpack_dual(result).tangent

        functional_call = torch.func.functional_call
        model = nn.Linear(5, 5)
        copy_weights(model)
        params = {name: p for name, p in model.named_parameters()}
        dual_params = {}
        with fwAD.dual_level():
            for name, p in params.items():
                # Using the same ``tangents`` from the above section
                dual_params[name] = fwAD.make_dual(p, tangents[name])
            result = functional_call(model, dual_params, input)
            out["functional_call"] = fwAD.unpack_dual(result).tangent

        class Fn(torch.autograd.Function):
            @staticmethod
            def forward(ctx, foo):
                result = torch.exp(foo)
                # Tensors stored in ``ctx`` can be used in the subsequent forward grad
                # computation.
                ctx.result = result
                return result

            @staticmethod
            def jvp(ctx, gI):
                gO = gI * ctx.result
                # If the tensor stored in`` ctx`` will not also be used in the backward
                # pass, one can manually free it using ``del``
                del ctx.result
                return gO

        fn = Fn.apply
        primal = r["fn_primal"].requires_grad_()
        tangent = r["fn_tangent"]
        with fwAD.dual_level():
            dual_input = fwAD.make_dual(primal, tangent)
            dual_output = fn(dual_input)
            out["function"] = fwAD.unpack_dual(dual_output).tangent

        primal0, tangent0, primal1, tangent1 = r["p0"], r["t0"], r["p1"], r["t1"]

        def fn(x, y):
            return x ** 2 + y ** 2

        out["func_jvp"] = torch.func.jvp(fn, (primal0, primal1), (tangent0, tangent1))

        model = nn.Linear(5, 5)
        copy_weights(model)

        def func(params):
            return functional_call(model, params, input)

        params = {name: p.detach() for name, p in model.named_parameters()}
        out["func_jvp_module"] = torch.func.jvp(func, (params,), (tangents,))
        return out
    side_by_side(script)


def test_pruning_tutorial_lenet():
    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        prune = torch.nn.utils.prune

        class LeNet(nn.Module):
            def __init__(self):
                super(LeNet, self).__init__()
                # 1 input image channel, 6 output channels, 5x5 square conv kernel
                self.conv1 = nn.Conv2d(1, 6, 5)
                self.conv2 = nn.Conv2d(6, 16, 5)
                self.fc1 = nn.Linear(16 * 5 * 5, 120)  # 5x5 image dimension
                self.fc2 = nn.Linear(120, 84)
                self.fc3 = nn.Linear(84, 10)

            def forward(self, x):
                x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
                x = F.max_pool2d(F.relu(self.conv2(x)), 2)
                x = x.view(-1, int(x.nelement() / x.shape[0]))
                x = F.relu(self.fc1(x))
                x = F.relu(self.fc2(x))
                x = self.fc3(x)
                return x

        out = {}
        model = LeNet()
        copy_weights(model)
        module = model.conv1
        out["before"] = ([n for n, _ in module.named_parameters()],
                         [n for n, _ in module.named_buffers()])
        prune.random_unstructured(module, name="weight", amount=0.3)
        out["random"] = ([n for n, _ in module.named_parameters()],
                         [n for n, _ in module.named_buffers()],
                         int((module.weight == 0).sum()), len(module._forward_pre_hooks))
        prune.l1_unstructured(module, name="bias", amount=3)
        out["l1_bias"] = ([n for n, _ in module.named_parameters()],
                          [n for n, _ in module.named_buffers()], module.bias_mask,
                          len(module._forward_pre_hooks))
        prune.ln_structured(module, name="weight", amount=0.5, n=2, dim=0)
        for hook in module._forward_pre_hooks.values():
            if hook._tensor_name == "weight":  # select out the correct hook
                break
        out["history"] = [type(h).__name__ for h in hook]
        out["structured"] = int((module.weight.abs().sum((1, 2, 3)) == 0).sum())
        out["keys"] = sorted(model.state_dict().keys())
        prune.remove(module, 'weight')
        out["removed"] = ([n for n, _ in module.named_parameters()],
                          [n for n, _ in module.named_buffers()])

        new_model = LeNet()
        copy_weights(new_model)
        for name, module in new_model.named_modules():
            # prune 20% of connections in all 2D-conv layers
            if isinstance(module, torch.nn.Conv2d):
                prune.l1_unstructured(module, name='weight', amount=0.2)
            # prune 40% of connections in all linear layers
            elif isinstance(module, torch.nn.Linear):
                prune.l1_unstructured(module, name='weight', amount=0.4)
        out["masks"] = sorted(dict(new_model.named_buffers()).keys())
        out["every_layer"] = new_model

        model = LeNet()
        copy_weights(model)
        parameters_to_prune = (
            (model.conv1, 'weight'),
            (model.conv2, 'weight'),
            (model.fc1, 'weight'),
            (model.fc2, 'weight'),
            (model.fc3, 'weight'),
        )
        prune.global_unstructured(
            parameters_to_prune,
            pruning_method=prune.L1Unstructured,
            amount=0.2,
        )
        sparsity = []
        for layer in (model.conv1, model.conv2, model.fc1, model.fc2, model.fc3):
            sparsity.append("{:.2f}%".format(
                100. * float(torch.sum(layer.weight == 0))
                / float(layer.weight.nelement())))
        out["global"] = (sparsity, model)

        class FooBarPruningMethod(prune.BasePruningMethod):
            """Prune every other entry in a tensor
            """
            PRUNING_TYPE = 'unstructured'

            def compute_mask(self, t, default_mask):
                mask = default_mask.clone()
                mask.view(-1)[::2] = 0
                return mask

        def foobar_unstructured(module, name):
            FooBarPruningMethod.apply(module, name)
            return module

        model = LeNet()
        copy_weights(model)
        foobar_unstructured(model.fc3, name='bias')
        out["custom"] = (model.fc3.bias_mask, model.fc3.bias)
        return out
    side_by_side(script)


def test_backward_hooks_on_nodes_and_tensors_docs_examples():
    values = DATA.normal(size=3)
    start = float(DATA.normal())

    def script(torch, copy_weights):
        out = {}
        a = torch.tensor([0., 0., 0.], requires_grad=True)
        b = a.clone()
        assert isinstance(b.grad_fn, torch.autograd.graph.Node)
        handle = b.grad_fn.register_hook(lambda gI, gO: (gO[0] * 2,))
        b.sum().backward(retain_graph=True)
        out["node_hook"] = [a.grad * 1]
        handle.remove()  # Removes the hook
        a.grad = None
        b.sum().backward(retain_graph=True)
        out["node_hook"].append(a.grad * 1)

        a = torch.tensor([0., 0., 0.], requires_grad=True)
        b = a.clone()
        handle = b.grad_fn.register_prehook(lambda gI: (gI[0] * 2,))
        b.sum().backward(retain_graph=True)
        out["node_prehook"] = [a.grad * 1]
        handle.remove()
        a.grad = None
        b.sum().backward(retain_graph=True)
        out["node_prehook"].append(a.grad * 1)

        v = torch.tensor([0., 0., 0.], requires_grad=True)
        h = v.register_hook(lambda grad: grad * 2)  # double the gradient
        v.backward(torch.tensor([1., 2., 3.]))
        out["tensor_hook"] = v.grad * 1
        h.remove()  # removes the hook

        seen = []
        t = torch.tensor(start, requires_grad=True)
        s = t.sin()
        s.register_hook(lambda grad: seen.append(("before", float(grad))))
        s.cos_()                            # hooks registered before an in-place op...
        s.register_hook(lambda grad: seen.append(("after", float(grad))))
        s.backward()
        out["in_place"] = (sorted(seen), t.grad)

        x = torch.from_numpy(values.reshape(1, 3).repeat(2, 0)).requires_grad_()
        y = x.sin()
        out["batched"] = torch.autograd.grad(y, x, torch.eye(6).view(6, 2, 3),
                                             is_grads_batched=True)
        return out
    side_by_side(script)


def test_autograd_mechanics_in_place_correctness_checks_and_grad_options():
    values = DATA.normal(size=3)

    def script(torch, copy_weights):
        out = {}
        a = torch.from_numpy(values.copy()).requires_grad_()
        b = a.sigmoid()
        b.mul_(2)                           # sigmoid saved its output, now doubled:
        try:                                # PyTorch refuses; here the graph kept the
            b.sum().backward()              # value it saved, and the gradient is right
            s = torch.sigmoid(a.detach())
            out["refused_or_right"] = bool(torch.allclose(a.grad, 2 * s * (1 - s)))
        except RuntimeError:
            out["refused_or_right"] = True
        a.grad = None
        c = a.exp()
        d = c * 3                           # exp's saved output is not modified...
        d.add_(1)                           # ...only mul's, which saves none of it
        d.sum().backward()
        out["allowed"] = a.grad * 1
        x = torch.from_numpy(values.copy()).requires_grad_()
        unused = torch.zeros(2, requires_grad=True)
        y = (x ** 2).sum()
        out["allow_unused"] = torch.autograd.grad(y, (x, unused), allow_unused=True,
                                                  retain_graph=True)
        out["materialize"] = torch.autograd.grad(y, (x, unused), allow_unused=True,
                                                 materialize_grads=True)
        return out
    side_by_side(script)
