"""An eighth round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights; losses per step and final weights must agree (float64 to 1e-10).
Random parts take their draws from NumPy so both runs see the same numbers.  This
round is about the tooling around models; here, the function transforms:
``torch.func`` (``vmap`` of ``jacrev``, ``grad`` of a ``functional_call``, ``hessian``,
``jvp``, ensembles of stacked weights trained on their own minibatches, per-sample
clipping) and ``torch.autograd.functional`` (a Newton step by ``hessian``, Newton-CG by
Hessian-vector products, Jacobian matching by ``jvp``/``vjp``), ``autograd.grad`` with
``create_graph`` (a physics-informed network finished by L-BFGS) and with
``allow_unused`` (influence scores).  Hooks and data: test_torch_scripts_eighth_hooks_data.py;
optimizers and schedules: _training.py; losses and layers: _models.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(81)


# --- An input-gradient (Jacobian) penalty by vmap of jacrev -------------------------

def test_jacobian_penalty_by_vmap_of_jacrev_through_the_models_weights():
    inputs = DATA.normal(size=(3, 6, 4))
    labels = DATA.integers(0, 3, size=(3, 6))

    def script(torch, copy_weights):
        nn, F, func = torch.nn, torch.nn.functional, torch.func
        model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

        def logits_of_one(x):
            return model(x.unsqueeze(0)).squeeze(0)

        losses, penalties = [], []
        for i in range(3):
            x, y = torch.from_numpy(inputs[i]), torch.from_numpy(labels[i])
            jacobians = func.vmap(func.jacrev(logits_of_one))(x)       # (6, 3, 4)
            assert jacobians.shape == (6, 3, 4)
            penalty = jacobians.pow(2).sum(dim=(1, 2)).mean()
            loss = F.cross_entropy(model(x), y) + 0.1 * penalty
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            penalties.append(penalty.item())
        x = torch.from_numpy(inputs[0])
        by_jacfwd = func.vmap(func.jacfwd(logits_of_one))(x)
        by_jacrev = func.vmap(func.jacrev(logits_of_one))(x)
        assert torch.allclose(by_jacfwd, by_jacrev, atol=1e-12)
        return losses, penalties, by_jacrev.detach(), model
    side_by_side(script)


# --- Force matching: the gradient of an energy network by func.grad -----------------

def test_force_matching_with_vmap_of_func_grad_over_functional_call_and_hessian():
    positions = DATA.normal(size=(3, 5, 2))
    forces = DATA.normal(size=(3, 5, 2))

    def script(torch, copy_weights):
        nn, func = torch.nn, torch.func
        energy_net = nn.Sequential(nn.Linear(2, 16), nn.Softplus(), nn.Linear(16, 1))
        copy_weights(energy_net)
        params = dict(energy_net.named_parameters())

        def energy(params, position):
            return func.functional_call(energy_net, params, (position,)).squeeze()

        force_of = func.vmap(func.grad(energy, argnums=1), in_dims=(None, 0))
        optimizer = torch.optim.Adam(energy_net.parameters(), lr=5e-3)
        losses = []
        for i in range(3):
            x = torch.from_numpy(positions[i])
            predicted = -force_of(params, x)
            loss = (predicted - torch.from_numpy(forces[i])).pow(2).sum(-1).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        x = torch.from_numpy(positions[0])
        curvature = func.vmap(func.hessian(energy, argnums=1), in_dims=(None, 0))(params, x)
        assert curvature.shape == (5, 2, 2)
        assert torch.allclose(curvature, curvature.transpose(1, 2), atol=1e-12)
        value, tangent = func.jvp(lambda p: energy(params, p), (x[0],),
                                  (torch.tensor([1.0, 0.0]),))
        return losses, curvature.detach(), value.detach(), tangent.detach(), energy_net
    side_by_side(script)


# --- Newton's method on logistic regression with autograd.functional ---------------

def test_newton_steps_on_logistic_regression_by_autograd_functional_hessian():
    features = DATA.normal(size=(40, 3))
    labels = (features @ np.array([1.5, -2.0, 0.5]) + DATA.normal(size=40) > 0).astype(float)

    def script(torch, copy_weights):
        F = torch.nn.functional
        AF = torch.autograd.functional
        X = torch.cat([torch.from_numpy(features), torch.ones(40, 1)], dim=1)
        y = torch.from_numpy(labels)

        def loss_fn(w):
            return F.binary_cross_entropy_with_logits(X @ w, y) + 1e-2 * w.dot(w)

        w = torch.zeros(4)
        losses, grad_norms = [], []
        for _ in range(5):
            g = AF.jacobian(loss_fn, w)
            H = AF.hessian(loss_fn, w)
            assert H.shape == (4, 4) and g.shape == (4,)
            w = w - torch.linalg.solve(H, g)
            losses.append(loss_fn(w).item())
            grad_norms.append(g.norm().item())
        assert AF.jacobian(loss_fn, w).norm() < 1e-10      # quadratic convergence
        value, hv = AF.hvp(loss_fn, w, torch.ones(4))
        _, vh = AF.vhp(loss_fn, w, torch.ones(4))
        assert torch.allclose(hv, vh, atol=1e-12)
        return losses, w, hv, H
    side_by_side(script)


# --- Newton-CG by Hessian-vector products of double backward ------------------------

def test_newton_cg_with_hessian_vector_products_and_parameter_vectors():
    inputs = DATA.normal(size=(24, 3))
    targets = np.sin(inputs.sum(1, keepdims=True))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        to_vector = nn.utils.parameters_to_vector
        to_parameters = nn.utils.vector_to_parameters
        model = nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 1))
        copy_weights(model)
        params = list(model.parameters())
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)

        def loss_fn():
            return F.mse_loss(model(x), y)

        losses = []
        for _ in range(3):
            loss = loss_fn()
            grads = torch.autograd.grad(loss, params, create_graph=True)
            g = to_vector(grads)

            def hvp(v):
                hv = torch.autograd.grad(g, params, grad_outputs=v, retain_graph=True)
                return to_vector(hv).detach() + 0.1 * v        # damped

            b = -g.detach()
            step = torch.zeros_like(b)
            r, p = b.clone(), b.clone()
            for _ in range(5):                                  # conjugate gradients
                Ap = hvp(p)
                alpha = r.dot(r) / p.dot(Ap)
                step = step + alpha * p
                r_new = r - alpha * Ap
                if r_new.norm() < 1e-10:
                    break
                p = r_new + (r_new.dot(r_new) / r.dot(r)) * p
                r = r_new
            with torch.no_grad():
                to_parameters(to_vector(params) + step, params)
            losses.append(loss.item())
        losses.append(loss_fn().item())
        assert losses[-1] < losses[0]
        return losses, model
    side_by_side(script)


# --- Jacobian matching (Sobolev training) by autograd.functional.jvp / vjp ----------

def test_sobolev_training_with_jvp_and_vjp_of_autograd_functional_and_create_graph():
    points = DATA.uniform(-1, 1, size=(3, 8, 2))
    directions = DATA.normal(size=(3, 8, 2))
    cotangents = DATA.normal(size=(3, 8, 2))

    def script(torch, copy_weights):
        nn, AF = torch.nn, torch.autograd.functional
        model = nn.Sequential(nn.Linear(2, 12), nn.Tanh(), nn.Linear(12, 2))
        copy_weights(model)

        def target(x):                       # a rotation-like field and its Jacobian
            return torch.stack([torch.sin(x[:, 1]), x[:, 0] * x[:, 1]], dim=1)

        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        losses = []
        for i in range(3):
            x = torch.from_numpy(points[i])
            v, u = torch.from_numpy(directions[i]), torch.from_numpy(cotangents[i])
            out, jv = AF.jvp(model, x, v, create_graph=True)
            _, target_jv = AF.jvp(target, x, v)
            _, vj = AF.vjp(model, x, u, create_graph=True)
            _, target_vj = AF.vjp(target, x, u)
            loss = ((out - target(x)).pow(2).mean() + (jv - target_jv).pow(2).mean()
                    + (vj - target_vj).pow(2).mean())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        J = AF.jacobian(model, torch.from_numpy(points[0][:2]))
        assert J.shape == (2, 2, 2, 2)
        return losses, J, model
    side_by_side(script)


# --- A physics-informed network for u'' = f, Adam then L-BFGS ----------------------

def test_pinn_for_a_poisson_problem_with_u_x_u_xx_then_lbfgs_closure():
    interior = DATA.uniform(0, 1, size=(16, 1))

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(1, 10), nn.Tanh(), nn.Linear(10, 10), nn.Tanh(),
                              nn.Linear(10, 1))
        copy_weights(model)
        x = torch.from_numpy(interior).requires_grad_(True)
        boundary = torch.tensor([[0.0], [1.0]])

        def pde_loss():
            u = model(x)
            u_x = torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), create_graph=True)[0]
            u_xx = torch.autograd.grad(u_x, x, grad_outputs=torch.ones_like(u_x),
                                       create_graph=True)[0]
            residual = u_xx + math.pi ** 2 * torch.sin(math.pi * x)
            return residual.pow(2).mean() + model(boundary).pow(2).mean()

        adam = torch.optim.Adam(model.parameters(), lr=1e-2)
        losses = []
        for _ in range(3):
            adam.zero_grad()
            loss = pde_loss()
            loss.backward()
            adam.step()
            losses.append(loss.item())
        lbfgs = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=4, history_size=3)

        def closure():
            lbfgs.zero_grad()
            loss = pde_loss()
            loss.backward()
            return loss

        for _ in range(2):
            losses.append(lbfgs.step(closure).item())
        grid = torch.linspace(0, 1, 5).unsqueeze(1)
        with torch.no_grad():
            return losses, model(grid), model
    side_by_side(script)


# --- Influence-style scores by autograd.grad on chosen parameters -------------------

def test_influence_scores_by_grad_on_the_head_with_allow_unused_and_materialize():
    train_x, train_y = DATA.normal(size=(6, 4)), DATA.integers(0, 3, size=6)
    test_x, test_y = DATA.normal(size=(2, 4)), DATA.integers(0, 3, size=2)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class Classifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Linear(4, 5), nn.ReLU())
                self.head = nn.Linear(5, 3)
                self.unused_scale = nn.Parameter(torch.ones(1))   # not in forward

            def forward(self, x):
                return self.head(self.body(x))

        model = Classifier()
        copy_weights(model)
        chosen = [model.head.bias, model.unused_scale, model.head.weight]
        test_loss = F.cross_entropy(model(torch.from_numpy(test_x)), torch.from_numpy(test_y))
        test_grads = torch.autograd.grad(test_loss, chosen, allow_unused=True)
        assert test_grads[1] is None
        materialized = torch.autograd.grad(
            F.cross_entropy(model(torch.from_numpy(test_x)), torch.from_numpy(test_y)),
            chosen, allow_unused=True, materialize_grads=True)
        assert materialized[1].shape == (1,) and float(materialized[1].abs().sum()) == 0.0
        scores = []
        for i in range(6):
            xi = torch.from_numpy(train_x[i:i + 1])
            yi = torch.from_numpy(train_y[i:i + 1])
            train_grads = torch.autograd.grad(F.cross_entropy(model(xi), yi), chosen,
                                              allow_unused=True)
            scores.append(sum((a * b).sum() for a, b in zip(test_grads, train_grads)
                              if a is not None).item())
        helpful = sorted(range(6), key=lambda i: -scores[i])
        return scores, helpful, test_grads[0]
    side_by_side(script)


# --- An ensemble of stacked weights, each member on its own minibatch ---------------

def test_ensemble_of_stacked_weights_trained_on_their_own_minibatches():
    inputs = DATA.normal(size=(3, 4, 6, 3))       # steps, members, batch, features
    targets = DATA.normal(size=(3, 4, 6, 1))

    def script(torch, copy_weights):
        nn, func = torch.nn, torch.func
        members = [nn.Sequential(nn.Linear(3, 8), nn.GELU(), nn.Linear(8, 1))
                   for _ in range(4)]
        copy_weights(*members)
        params, buffers = func.stack_module_state(members)
        template = members[0]

        def member_loss(p, b, x, y):
            return (func.functional_call(template, (p, b), (x,)) - y).pow(2).mean()

        optimizer = torch.optim.Adam(params.values(), lr=1e-2)
        losses = []
        for i in range(3):
            per_member = func.vmap(member_loss, in_dims=(0, 0, 0, 0))(
                params, buffers, torch.from_numpy(inputs[i]), torch.from_numpy(targets[i]))
            assert per_member.shape == (4,)
            optimizer.zero_grad()
            per_member.sum().backward()
            optimizer.step()
            losses.append(per_member.detach())
        x = torch.from_numpy(inputs[0, 0])
        with torch.no_grad():         # (autodiff's std keeps NumPy's ddof=0 and warns)
            spread = func.vmap(func.functional_call, in_dims=(None, 0, None))(
                template, params, (x,)).std(dim=0, correction=1)
        return losses, spread, params["0.bias"], params["2.bias"]
    side_by_side(script)


# --- DP-SGD: per-sample gradients clipped to a norm, averaged into .grad ------------

def test_dp_sgd_with_per_sample_gradients_clipped_and_written_to_grad():
    inputs = DATA.normal(size=(3, 8, 5))
    labels = DATA.integers(0, 2, size=(3, 8))
    noise = DATA.normal(size=(3, 2))

    def script(torch, copy_weights):
        nn, F, func = torch.nn, torch.nn.functional, torch.func
        model = nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, 2))
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        max_norm = 0.5

        def sample_loss(params, x, y):
            logits = func.functional_call(model, params, (x.unsqueeze(0),))
            return F.cross_entropy(logits, y.unsqueeze(0))

        per_sample_grads = func.vmap(func.grad(sample_loss), in_dims=(None, 0, 0))
        losses, clipped_fractions = [], []
        for i in range(3):
            x, y = torch.from_numpy(inputs[i]), torch.from_numpy(labels[i])
            params = {k: v.detach() for k, v in model.named_parameters()}
            grads = per_sample_grads(params, x, y)
            norms = torch.stack([g.flatten(1).norm(dim=1) for g in grads.values()]).norm(dim=0)
            factors = (max_norm / (norms + 1e-6)).clamp(max=1.0)
            clipped_fractions.append((factors < 1).double().mean().item())
            for name, p in model.named_parameters():
                scale = factors.view(-1, *([1] * p.dim()))
                p.grad = (grads[name] * scale).sum(0) / x.shape[0]
            model[2].bias.grad += 0.01 * torch.from_numpy(noise[i])
            optimizer.step()
            with torch.no_grad():
                losses.append(F.cross_entropy(model(x), y).item())
        return losses, clipped_fractions, model
    side_by_side(script)


# --- The empirical neural tangent kernel by vmap of jacrev over functional_call -----

def test_empirical_ntk_by_vmap_of_jacrev_over_a_params_dict_and_einsum():
    first, second = DATA.normal(size=(4, 3)), DATA.normal(size=(5, 3))

    def script(torch, copy_weights):
        nn, func = torch.nn, torch.func
        net = nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.BatchNorm1d(6), nn.Linear(6, 2))
        copy_weights(net)
        net.eval()                                  # BatchNorm reads its running stats
        params = {k: v.detach() for k, v in net.named_parameters()}
        buffers = dict(net.named_buffers())

        def fnet_single(params, x):
            return func.functional_call(net, (params, buffers), (x.unsqueeze(0),)).squeeze(0)

        def ntk(x1, x2):
            jac1 = func.vmap(func.jacrev(fnet_single), (None, 0))(params, x1)
            jac2 = func.vmap(func.jacrev(fnet_single), (None, 0))(params, x2)
            jac1 = [j.flatten(2) for j in jac1.values()]
            jac2 = [j.flatten(2) for j in jac2.values()]
            return torch.stack([torch.einsum("Naf,Mbf->NMab", j1, j2)
                                for j1, j2 in zip(jac1, jac2)]).sum(0)

        kernel = ntk(torch.from_numpy(first), torch.from_numpy(second))
        assert kernel.shape == (4, 5, 2, 2)
        trace_kernel = torch.einsum("NMaa->NM", kernel)
        self_kernel = ntk(torch.from_numpy(first), torch.from_numpy(first))
        symmetric = torch.allclose(self_kernel, self_kernel.permute(1, 0, 3, 2), atol=1e-12)
        return kernel, trace_kernel, symmetric
    side_by_side(script)


# --- A last-layer Laplace approximation by func.hessian over a params dict ----------

def test_last_layer_laplace_by_func_hessian_of_the_head_parameters():
    inputs, labels = DATA.normal(size=(12, 3)), DATA.integers(0, 2, size=12)

    def script(torch, copy_weights):
        nn, F, func = torch.nn, torch.nn.functional, torch.func
        body, head = nn.Sequential(nn.Linear(3, 4), nn.ReLU()), nn.Linear(4, 2)
        copy_weights(body, head)
        x, y = torch.from_numpy(inputs), torch.from_numpy(labels)
        optimizer = torch.optim.Adam([*body.parameters(), *head.parameters()], lr=0.05)
        losses = []
        for _ in range(4):
            loss = F.cross_entropy(head(body(x)), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            features = body(x)

        def head_loss(bias, features):
            logits = func.functional_call(head, {"weight": head.weight.detach(),
                                                 "bias": bias}, (features,))
            return F.cross_entropy(logits, y, reduction="sum")

        bias = head.bias.detach()
        precision = func.hessian(head_loss)(bias, features) + torch.eye(2)
        covariance = torch.linalg.inv(precision)
        gradient = func.grad(head_loss)(bias, features)
        by_double_backward = torch.autograd.functional.hessian(
            lambda b: head_loss(b, features), bias)
        assert torch.allclose(precision - torch.eye(2), by_double_backward, atol=1e-12)
        return losses, precision, covariance, gradient, body, head
    side_by_side(script)
