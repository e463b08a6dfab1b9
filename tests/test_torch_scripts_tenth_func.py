"""A tenth round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights; values must agree (float64 to 1e-10).  Random parts take their
draws from NumPy so both runs see the same numbers.  Like the ninth, this round
follows pytorch.org's tutorials and docs examples as written, with small sizes and
synthetic data; here, the function transforms: "Jacobians, Hessians, hvp, vhp, and
more" (``vjp`` under ``vmap``, ``jacrev``/``jacfwd`` with ``argnums``, batch Jacobians
and Hessians, ``hvp`` by ``jvp`` of ``grad``), "Per-sample gradients" (a loop of
``autograd.grad`` beside ``vmap(grad(functional_call))``), "Neural Tangent Kernels"
(Jacobian contraction and NTK-vector products, in their three ``compute`` modes) and
the ``torch.autograd.functional`` docs examples (more in
test_torch_scripts_tenth_*.py; what they found is in test_torch_scripts_tenth_gaps.py)."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(101)


def test_jacobians_hessians_hvp_vhp_tutorial():
    draws = {name: DATA.normal(size=shape) for name, shape in [
        ("weight", (6, 6)), ("bias", (6,)), ("x", (6,)), ("weight2", (9, 4)),
        ("bias2", (9,)), ("x2", (4,)), ("weight3", (5, 3)), ("bias3", (5,)),
        ("xb", (4, 3)), ("xh", (7,)), ("tangent", (7,))]}

    def script(torch, copy_weights):
        F = torch.nn.functional
        r = {k: torch.from_numpy(v.copy()) for k, v in draws.items()}

        def predict(weight, bias, x):
            return F.linear(x, weight, bias).tanh()

        D = 6
        weight, bias, x = r["weight"], r["bias"], r["x"]

        def compute_jac(xp):
            jacobian_rows = [torch.autograd.grad(predict(weight, bias, xp), xp, vec)[0]
                             for vec in unit_vectors]
            return torch.stack(jacobian_rows)

        xp = x.clone().requires_grad_()
        unit_vectors = torch.eye(D)
        jacobian = compute_jac(xp)
        from_vjp = []
        for vec in unit_vectors:
            from_vjp.append(torch.autograd.grad(predict(weight, bias, xp), xp, vec)[0])

        # (the tutorial's `from torch.func import ...` lines name the module argument's)
        vmap, vjp = torch.func.vmap, torch.func.vjp
        _, vjp_fn = vjp(partial(predict, weight, bias), x)
        ft_jacobian, = vmap(vjp_fn)(unit_vectors)
        assert torch.allclose(ft_jacobian, jacobian)

        jacrev = torch.func.jacrev
        ft_jacobian2 = jacrev(predict, argnums=2)(weight, bias, x)
        ft_jac_weight, ft_jac_bias = jacrev(predict, argnums=(0, 1))(weight, bias, x)

        jacfwd = torch.func.jacfwd
        weight2, bias2, x2 = r["weight2"], r["bias2"], r["x2"]
        using_fwd = jacfwd(predict, argnums=2)(weight2, bias2, x2)
        using_bck = jacrev(predict, argnums=2)(weight2, bias2, x2)
        assert torch.allclose(using_fwd, using_bck)

        hessian = torch.func.hessian
        hess_api = hessian(predict, argnums=2)(weight, bias, x)
        hess_fwdfwd = jacfwd(jacfwd(predict, argnums=2), argnums=2)(weight, bias, x)
        hess_revrev = jacrev(jacrev(predict, argnums=2), argnums=2)(weight, bias, x)
        assert torch.allclose(hess_api, hess_fwdfwd)

        weight3, bias3, xb = r["weight3"], r["bias3"], r["xb"]
        compute_batch_jacobian = vmap(jacrev(predict, argnums=2), in_dims=(None, None, 0))
        batch_jacobian0 = compute_batch_jacobian(weight3, bias3, xb)

        def predict_with_output_summed(weight, bias, x):
            return predict(weight, bias, x).sum(0)

        batch_jacobian1 = jacrev(predict_with_output_summed, argnums=2)(
            weight3, bias3, xb).movedim(1, 0)
        assert torch.allclose(batch_jacobian0, batch_jacobian1)
        compute_batch_hessian = vmap(hessian(predict, argnums=2), in_dims=(None, None, 0))
        batch_hess = compute_batch_hessian(weight3, bias3, xb)
        shape = tuple(batch_hess.shape)

        jvp, grad = torch.func.jvp, torch.func.grad

        def hvp(f, primals, tangents):
            return jvp(grad(f), primals, tangents)[1]

        def f(x):
            return x.sin().sum()

        xh, tangent = r["xh"], r["tangent"]
        result = hvp(f, (xh,), (tangent,))

        def hvp_revrev(f, primals, tangents):
            _, vjp_fn = vjp(grad(f), *primals)
            return vjp_fn(*tangents)

        result_hvp_revrev = hvp_revrev(f, (xh,), (tangent,))
        assert torch.allclose(result, result_hvp_revrev[0])
        return (jacobian, torch.stack(from_vjp), ft_jacobian, ft_jacobian2, ft_jac_weight,
                ft_jac_bias, using_fwd, using_bck, hess_api, hess_fwdfwd, hess_revrev,
                batch_jacobian0, batch_jacobian1, batch_hess, shape, result,
                result_hvp_revrev[0])
    side_by_side(script)


def test_per_sample_gradients_tutorial_loop_beside_vmap_of_grad():
    data_values = DATA.normal(size=(5, 1, 8, 8))
    target_values = DATA.integers(0, 10, size=5)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class SimpleCNN(nn.Module):
            def __init__(self):
                super(SimpleCNN, self).__init__()
                self.conv1 = nn.Conv2d(1, 4, 3, 1)
                self.conv2 = nn.Conv2d(4, 6, 3, 1)
                self.fc1 = nn.Linear(24, 12)
                self.fc2 = nn.Linear(12, 10)

            def forward(self, x):
                x = self.conv1(x)
                x = F.relu(x)
                x = self.conv2(x)
                x = F.relu(x)
                x = F.max_pool2d(x, 2)
                x = torch.flatten(x, 1)
                x = self.fc1(x)
                x = F.relu(x)
                x = self.fc2(x)
                output = F.log_softmax(x, dim=1)
                return output

        def loss_fn(predictions, targets):
            return F.nll_loss(predictions, targets)

        batch_size = 5
        data = torch.from_numpy(data_values)
        targets = torch.from_numpy(target_values)
        model = SimpleCNN()
        copy_weights(model)
        predictions = model(data)
        loss = loss_fn(predictions, targets)

        def compute_grad(sample, target):
            sample = sample.unsqueeze(0)      # prepend batch dimension for processing
            target = target.unsqueeze(0)
            prediction = model(sample)
            loss = loss_fn(prediction, target)
            return torch.autograd.grad(loss, list(model.parameters()))

        def compute_sample_grads(data, targets):
            """ manually process each sample with per sample gradient """
            sample_grads = [compute_grad(data[i], targets[i]) for i in range(batch_size)]
            sample_grads = zip(*sample_grads)
            sample_grads = [torch.stack(shards) for shards in sample_grads]
            return sample_grads

        per_sample_grads = compute_sample_grads(data, targets)
        functional_call, vmap, grad = (torch.func.functional_call, torch.func.vmap,
                                       torch.func.grad)
        params = {k: v.detach() for k, v in model.named_parameters()}
        buffers = {k: v.detach() for k, v in model.named_buffers()}

        def compute_loss(params, buffers, sample, target):
            batch = sample.unsqueeze(0)
            targets = target.unsqueeze(0)
            predictions = functional_call(model, (params, buffers), (batch,))
            loss = loss_fn(predictions, targets)
            return loss

        ft_compute_grad = grad(compute_loss)
        ft_compute_sample_grad = vmap(ft_compute_grad, in_dims=(None, None, 0, 0))
        ft_per_sample_grads = ft_compute_sample_grad(params, buffers, data, targets)
        for per_sample_grad, ft_per_sample_grad in zip(per_sample_grads,
                                                       ft_per_sample_grads.values()):
            assert torch.allclose(per_sample_grad, ft_per_sample_grad, atol=3e-3, rtol=1e-5)
        # (Linear's weight is (in, out) here: its per-sample gradients are compared
        # through their norms, the others as they are)
        norms = {k: g.flatten(1).norm(dim=1) for k, g in ft_per_sample_grads.items()}
        convs = [ft_per_sample_grads[k] for k in ("conv1.weight", "conv2.weight",
                                                  "fc1.bias", "fc2.bias")]
        return loss, norms, convs, [g.flatten(1).norm(dim=1) for g in per_sample_grads]
    side_by_side(script)


def test_neural_tangent_kernels_by_jacobian_contraction_and_ntk_vector_products():
    train_values = DATA.normal(size=(4, 2, 7, 7))
    test_values = DATA.normal(size=(3, 2, 7, 7))

    def script(torch, copy_weights):
        nn = torch.nn
        functional_call, vmap, vjp, jvp, jacrev = (
            torch.func.functional_call, torch.func.vmap, torch.func.vjp, torch.func.jvp,
            torch.func.jacrev)

        class CNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(2, 3, (3, 3))
                self.conv2 = nn.Conv2d(3, 3, (3, 3))
                self.conv3 = nn.Conv2d(3, 3, (3, 3))
                self.fc = nn.Linear(3, 4)

            def forward(self, x):
                x = self.conv1(x)
                x = x.relu()
                x = self.conv2(x)
                x = x.relu()
                x = self.conv3(x)
                x = x.flatten(1)
                x = self.fc(x)
                return x

        x_train = torch.from_numpy(train_values)
        x_test = torch.from_numpy(test_values)
        net = CNN()
        copy_weights(net)
        net.eval()
        params = {k: v.detach() for k, v in net.named_parameters()}

        def fnet_single(params, x):
            return functional_call(net, params, (x.unsqueeze(0),)).squeeze(0)

        def empirical_ntk_jacobian_contraction(fnet_single, params, x1, x2, compute='full'):
            # Compute J(x1)
            jac1 = vmap(jacrev(fnet_single), (None, 0))(params, x1)
            jac1 = jac1.values()
            jac1 = [j.flatten(2) for j in jac1]
            # Compute J(x2)
            jac2 = vmap(jacrev(fnet_single), (None, 0))(params, x2)
            jac2 = jac2.values()
            jac2 = [j.flatten(2) for j in jac2]
            # Compute J(x1) @ J(x2).T
            einsum_expr = None
            if compute == 'full':
                einsum_expr = 'Naf,Mbf->NMab'
            elif compute == 'trace':
                einsum_expr = 'Naf,Maf->NM'
            elif compute == 'diagonal':
                einsum_expr = 'Naf,Maf->NMa'
            else:
                assert False
            result = torch.stack([torch.einsum(einsum_expr, j1, j2)
                                  for j1, j2 in zip(jac1, jac2)])
            result = result.sum(0)
            return result

        def empirical_ntk_ntk_vps(func, params, x1, x2, compute='full'):
            def get_ntk(x1, x2):
                def func_x1(params):
                    return func(params, x1)

                def func_x2(params):
                    return func(params, x2)

                output, vjp_fn = vjp(func_x1, params)

                def get_ntk_slice(vec):
                    # This computes ``vec @ J(x2).T``
                    vjps = vjp_fn(vec)
                    # This computes ``J(X1) @ vjps``
                    _, jvps = jvp(func_x2, (params,), vjps)
                    return jvps

                # Here's our identity matrix
                basis = torch.eye(output.numel(), dtype=output.dtype,
                                  device=output.device).view(output.numel(), -1)
                return vmap(get_ntk_slice)(basis)

            result = vmap(vmap(get_ntk, (None, 0)), (0, None))(x1, x2)
            if compute == 'full':
                return result
            if compute == 'trace':
                return torch.einsum('NMKK->NM', result)
            if compute == 'diagonal':
                return torch.einsum('NMKK->NMK', result)

        results = {}
        for compute in ('full', 'trace', 'diagonal'):
            by_jacobians = empirical_ntk_jacobian_contraction(fnet_single, params, x_train,
                                                              x_test, compute)
            by_products = empirical_ntk_ntk_vps(fnet_single, params, x_train, x_test,
                                                compute)
            assert torch.allclose(by_jacobians, by_products, atol=1e-5)
            results[compute] = (by_jacobians, by_products)
        return results
    side_by_side(script)


def test_autograd_functional_docs_examples():
    draws = [DATA.uniform(size=shape) for shape in
             [(2, 2), (2,), (2,), (2, 2), (2,), (2,), (4, 4), (2,), (2,), (4, 4), (2,), (2,),
              (2, 2), (2,), (2,)]]

    def script(torch, copy_weights):
        AF = torch.autograd.functional
        rand = iter([torch.from_numpy(v.copy()) for v in draws])
        out = []

        def exp_reducer(x):
            return x.exp().sum(dim=1)

        inputs = next(rand)
        out.append(AF.jacobian(exp_reducer, inputs))
        jac = AF.jacobian(exp_reducer, inputs, create_graph=True)
        out.append((jac, jac.requires_grad))
        out.append(AF.jacobian(exp_reducer, inputs, vectorize=True))
        out.append(AF.jacobian(exp_reducer, inputs, vectorize=True,
                               strategy="forward-mode"))

        def exp_adder(x, y):
            return 2 * x.exp() + 3 * y

        inputs = (next(rand), next(rand))
        out.append(AF.jacobian(exp_adder, inputs))

        def pow_reducer(x):
            return x.pow(3).sum()

        inputs = next(rand)
        out.append(AF.hessian(pow_reducer, inputs))
        hess = AF.hessian(pow_reducer, inputs, create_graph=True)
        out.append((hess, hess.requires_grad))

        def pow_adder_reducer(x, y):
            return (2 * x.pow(2) + 3 * y.pow(2)).sum()

        inputs = (next(rand), next(rand))
        out.append(AF.hessian(pow_adder_reducer, inputs))

        inputs = next(rand)
        v = torch.ones(4)
        out.append(AF.vjp(exp_reducer, inputs, v))
        value, vjp_value = AF.vjp(exp_reducer, inputs, v, create_graph=True)
        out.append((value, vjp_value, value.requires_grad, vjp_value.requires_grad))

        def adder(x, y):
            return 2 * x + 3 * y

        inputs = (next(rand), next(rand))
        v = torch.ones(2)
        out.append(AF.vjp(adder, inputs, v))

        inputs = next(rand)
        v = torch.ones(4, 4)
        out.append(AF.jvp(exp_reducer, inputs, v))
        inputs = (next(rand), next(rand))
        v = (torch.ones(2), torch.ones(2))
        out.append(AF.jvp(adder, inputs, v))

        inputs = next(rand)
        v = torch.ones(2, 2)
        out.append(AF.vhp(pow_reducer, inputs, v))
        out.append(AF.hvp(pow_reducer, inputs, v))
        value, vhp_value = AF.vhp(pow_reducer, inputs, v, create_graph=True)
        out.append((value, vhp_value, vhp_value.requires_grad))
        inputs = (next(rand), next(rand))
        v = (torch.zeros(2), torch.ones(2))
        out.append(AF.vhp(pow_adder_reducer, inputs, v))
        out.append(AF.hvp(pow_adder_reducer, inputs, v))
        return out
    side_by_side(script)
