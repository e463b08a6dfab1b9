"""The thirteenth round of PyTorch scripts, autograd and training machinery (see
test_torch_scripts_thirteenth.py for the method): DP-SGD by per-sample gradients
(``vmap(grad(functional_call))``, per-sample clipping, noise from NumPy), an ensemble
trained as stacked weights (``stack_module_state`` under ``vmap`` with one shared
minibatch), a Gauss-Newton step by ``autograd.functional.jacobian`` of residuals with
``hessian`` / ``vjp`` / ``jvp`` / ``hvp`` / ``vhp`` on tuples of inputs, a residual MLP under
``checkpoint(use_reentrant=False)`` with keyword arguments and ``checkpoint_sequential``,
custom ``Function``s (``save_for_backward``, ``mark_non_differentiable``,
``once_differentiable``, and one differentiated twice in a gradient penalty), WGAN-GP,
freezing with ``requires_grad_(False)`` and unfreezing by ``add_param_group`` under
gradient accumulation, the schedules (``OneCycleLR(three_phase=True,
anneal_strategy='linear')``, ``CosineAnnealingWarmRestarts(eta_min=)``,
``ReduceLROnPlateau(min_lr=[...])`` and a three-part ``SequentialLR``), a warm start by
``load_state_dict(assign=True)`` from a float32 checkpoint before the optimizer, the new
parametrizations (``weight_norm(dim=None)``, ``spectral_norm``, ``orthogonal`` by
Householder) removed with ``leave_parametrized=True``, and a step skipped when
``clip_grad_norm_(error_if_nonfinite=True, foreach=True)`` raises.

Written by the library's documented conventions: a Linear's weight is (in, out) here,
so per-parameter gradients and stacked weights are compared through what they compute
(norms, predictions, the trained model's state), and DP-SGD's noise is one draw per
tensor; ``.grad`` is an ndarray, so its norm is ``torch.linalg.vector_norm(x.grad)`` and
its copy ``grad + 0``; a ``Function``'s forward and backward get ndarrays, so they call
``torch.amax`` / ``torch.sum`` rather than tensor methods; there is no ``'meta'``
device, so the ensemble's template is a plain deep copy; and a ``state_dict()`` holds
ndarrays, so a checkpoint cast to float32 is built with ``torch.as_tensor(v).float()``."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1337)


def test_dp_sgd_by_per_sample_gradients_clipped_and_noised():
    inputs = DATA.normal(size=(3, 8, 5))
    labels = DATA.integers(0, 3, size=(3, 8))
    noise = DATA.normal(size=(3, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        func = torch.func
        model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))
        copy_weights(model)
        max_grad_norm, sigma, lr = 1.0, 0.5, 0.1

        def compute_loss(params, buffers, sample, target):
            prediction = func.functional_call(model, (params, buffers), (sample.unsqueeze(0),))
            return F.cross_entropy(prediction, target.unsqueeze(0))

        per_sample_grads = func.vmap(func.grad(compute_loss), in_dims=(None, None, 0, 0))
        losses, clipped_fractions = [], []
        for x_values, y_values, z_values in zip(inputs, labels, noise):
            params = {k: v.detach() for k, v in model.named_parameters()}
            buffers = {k: v.detach() for k, v in model.named_buffers()}
            x, y = torch.from_numpy(x_values), torch.from_numpy(y_values)
            grads = per_sample_grads(params, buffers, x, y)
            norms = torch.stack([g.flatten(1).norm(dim=1) for g in grads.values()]).norm(dim=0)
            factors = (max_grad_norm / (norms + 1e-6)).clamp(max=1.0)
            clipped_fractions.append((factors < 1).float().mean().item())
            # one noise draw per tensor, not per entry: the libraries lay a Linear's
            # weight out differently, so per-entry draws would land on different weights
            noisy = [(g * factors.view(-1, *[1] * (g.dim() - 1))).sum(0)
                     + sigma * max_grad_norm * float(z)
                     for g, z in zip(grads.values(), z_values)]
            with torch.no_grad():
                for p, update in zip(model.parameters(), noisy):
                    p.sub_(lr * update / x.size(0))
            with torch.no_grad():
                losses.append(F.cross_entropy(model(x), y).item())
        return losses, clipped_fractions, norms
    side_by_side(script)


def test_ensemble_trained_as_stacked_weights_under_vmap():
    inputs = DATA.normal(size=(4, 6, 3))
    targets = DATA.normal(size=(4, 6, 1))

    def script(torch, copy_weights):
        nn, func = torch.nn, torch.func
        import copy
        models = [nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1)) for _ in range(3)]
        copy_weights(*models)
        params, buffers = func.stack_module_state(models)
        base_model = copy.deepcopy(models[0])      # (the tutorial's .to("meta"): no such device)

        def fmodel(params, buffers, x):
            return func.functional_call(base_model, (params, buffers), (x,))

        ensemble = func.vmap(fmodel, in_dims=(0, 0, None))
        optimizer = torch.optim.Adam(list(params.values()), lr=1e-2)
        losses = []
        for x_values, y_values in zip(inputs, targets):
            x, y = torch.from_numpy(x_values), torch.from_numpy(y_values)
            predictions = ensemble(params, buffers, x)            # (members, batch, 1)
            per_member = ((predictions - y) ** 2).mean(dim=(1, 2))
            optimizer.zero_grad()
            per_member.sum().backward()
            optimizer.step()
            losses.append(per_member.detach())
        with torch.no_grad():
            predictions = ensemble(params, buffers, torch.from_numpy(inputs[0]))
        return losses, predictions.mean(0), predictions.std(0, unbiased=True)
    side_by_side(script)


def test_gauss_newton_step_by_autograd_functional_on_tuples_of_inputs():
    xs = np.linspace(-1, 1, 7)
    ys = 0.7 * np.sin(1.3 * xs) + 0.1 * DATA.normal(size=7)

    def script(torch, copy_weights):
        AF = torch.autograd.functional
        x, y = torch.from_numpy(xs), torch.from_numpy(ys)

        def residuals(amplitude, frequency):
            return amplitude * torch.sin(frequency * x) - y

        def loss(amplitude, frequency):
            return 0.5 * (residuals(amplitude, frequency) ** 2).sum()

        amplitude, frequency = torch.tensor(0.5), torch.tensor(1.0)
        history = []
        for _ in range(4):
            J_a, J_f = AF.jacobian(residuals, (amplitude, frequency))
            J = torch.stack([J_a, J_f], dim=1)                  # (points, parameters)
            r = residuals(amplitude, frequency)
            step = torch.linalg.solve(J.T @ J + 1e-3 * torch.eye(2), J.T @ r)
            amplitude, frequency = amplitude - step[0], frequency - step[1]
            history.append(loss(amplitude, frequency).item())
        H = AF.hessian(loss, (amplitude, frequency))
        v = (torch.tensor(1.0), torch.tensor(-0.5))
        _, vjp = AF.vjp(residuals, (amplitude, frequency), torch.ones(7))
        _, jvp = AF.jvp(residuals, (amplitude, frequency), v)
        _, hvp = AF.hvp(loss, (amplitude, frequency), v)
        _, vhp = AF.vhp(loss, (amplitude, frequency), v)
        J_graph = AF.jacobian(lambda a: residuals(a, frequency).sum() ** 2, amplitude,
                              create_graph=True)
        return (history, amplitude, frequency, [list(row) for row in H], list(vjp), jvp,
                list(hvp), list(vhp), J_graph)
    side_by_side(script)


def test_residual_mlp_under_non_reentrant_checkpointing():
    inputs = DATA.normal(size=(3, 5, 6))
    targets = DATA.normal(size=(3, 5, 6))

    def script(torch, copy_weights):
        nn = torch.nn
        from_checkpoint = torch.utils.checkpoint

        class Block(nn.Module):
            def __init__(self, dim):
                super().__init__()
                self.norm = nn.LayerNorm(dim)
                self.fc1, self.fc2 = nn.Linear(dim, 2 * dim), nn.Linear(2 * dim, dim)

            def forward(self, x, scale=1.0):
                return x + scale * self.fc2(nn.functional.gelu(self.fc1(self.norm(x))))

        class Net(nn.Module):
            def __init__(self, dim=6, use_checkpoint=True):
                super().__init__()
                self.blocks = nn.ModuleList([Block(dim) for _ in range(2)])
                self.tail = nn.Sequential(nn.Linear(dim, dim), nn.Tanh(), nn.Linear(dim, dim))
                self.use_checkpoint = use_checkpoint

            def forward(self, x):
                for block in self.blocks:
                    if self.use_checkpoint:
                        x = from_checkpoint.checkpoint(block, x, use_reentrant=False, scale=0.5)
                    else:
                        x = block(x, scale=0.5)
                if self.use_checkpoint:
                    return from_checkpoint.checkpoint_sequential(self.tail, 2, x,
                                                                 use_reentrant=False)
                return self.tail(x)

        checkpointed, plain = Net(), Net(use_checkpoint=False)
        copy_weights(checkpointed)
        plain.load_state_dict(checkpointed.state_dict())
        runs = []
        for model in (checkpointed, plain):
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
            losses = []
            for x_values, y_values in zip(inputs, targets):
                x = torch.from_numpy(x_values).requires_grad_()
                loss = nn.functional.mse_loss(model(x), torch.from_numpy(y_values))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append([loss.item(), torch.linalg.vector_norm(x.grad).item()])
            runs.append(losses)
        return runs, checkpointed, plain
    side_by_side(script)


def test_custom_functions_with_non_differentiable_outputs_and_a_double_backward():
    values = DATA.normal(size=(4, 5))

    def script(torch, copy_weights):
        from_function = torch.autograd.function

        class SoftmaxWithArgmax(torch.autograd.Function):
            @staticmethod
            def forward(ctx, logits):
                shifted = logits - torch.amax(logits, dim=-1, keepdim=True)
                probs = torch.exp(shifted) / torch.sum(torch.exp(shifted), dim=-1, keepdim=True)
                winners = probs.argmax(-1)
                ctx.save_for_backward(probs)
                ctx.mark_non_differentiable(winners)
                return probs, winners

            @staticmethod
            @from_function.once_differentiable
            def backward(ctx, grad_probs, grad_winners):
                probs, = ctx.saved_tensors
                inner = torch.sum(grad_probs * probs, dim=-1, keepdim=True)
                return probs * (grad_probs - inner)

        class SmoothAbs(torch.autograd.Function):
            """sqrt(x² + 1) - 1, with a backward that is itself differentiable."""

            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return torch.sqrt(x * x + 1) - 1

            @staticmethod
            def backward(ctx, grad_output):
                x, = ctx.saved_tensors
                return grad_output * x / torch.sqrt(x * x + 1)

        logits = torch.from_numpy(values).requires_grad_()
        probs, winners = SoftmaxWithArgmax.apply(logits)
        weights = torch.linspace(0.5, 2.0, 5)
        (probs * weights).sum().backward()
        first = logits.grad + 0              # (.grad is an ndarray: no clone())

        x = torch.from_numpy(values).requires_grad_()
        y = SmoothAbs.apply(x).sum()
        (grad_x,) = torch.autograd.grad(y, x, create_graph=True)
        penalty = (grad_x ** 2).sum()                       # through SmoothAbs.backward
        penalty.backward()
        return probs, winners, winners.requires_grad, first, grad_x, x.grad
    side_by_side(script)


def test_wgan_gp_critic_and_generator_steps():
    real_batches = DATA.normal(loc=1.0, size=(3, 6, 4))
    latent = DATA.normal(size=(3, 6, 2))
    alphas = DATA.uniform(size=(3, 6, 1))

    def script(torch, copy_weights):
        nn, autograd = torch.nn, torch.autograd
        generator = nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.2), nn.Linear(8, 4))
        critic = nn.Sequential(nn.Linear(4, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
        copy_weights(generator, critic)
        opt_g = torch.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.5, 0.9))
        opt_c = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
        lambda_gp, history = 10.0, []

        def gradient_penalty(real, fake, alpha):
            interpolates = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
            scores = critic(interpolates)
            gradients = autograd.grad(outputs=scores, inputs=interpolates,
                                      grad_outputs=torch.ones_like(scores),
                                      create_graph=True, retain_graph=True)[0]
            return ((gradients.norm(2, dim=1) - 1) ** 2).mean()

        for real_values, z_values, alpha_values in zip(real_batches, latent, alphas):
            real, z = torch.from_numpy(real_values), torch.from_numpy(z_values)
            fake = generator(z)
            gp = gradient_penalty(real, fake.detach(), torch.from_numpy(alpha_values))
            critic_loss = critic(fake.detach()).mean() - critic(real).mean() + lambda_gp * gp
            opt_c.zero_grad()
            critic_loss.backward()
            opt_c.step()
            generator_loss = -critic(generator(z)).mean()
            opt_g.zero_grad()
            generator_loss.backward()
            opt_g.step()
            history.append([critic_loss.item(), gp.item(), generator_loss.item()])
        return history, generator, critic
    side_by_side(script)


def test_fine_tuning_frozen_then_unfrozen_with_gradient_accumulation():
    inputs = DATA.normal(size=(4, 4, 6))                 # 4 steps of 4 samples
    labels = DATA.integers(0, 3, size=(4, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        backbone = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU())
        head = nn.Linear(8, 3)
        copy_weights(backbone, head)
        backbone.requires_grad_(False)
        backbone[2].requires_grad_(True)                   # the last layer trains
        optimizer = torch.optim.SGD([
            {"params": [p for p in backbone.parameters() if p.requires_grad], "lr": 1e-3},
            {"params": head.parameters()},
        ], lr=1e-1, momentum=0.9)
        accumulation_steps, history = 2, []
        for step, (x_values, y_values) in enumerate(zip(inputs, labels)):
            if step == 2:                                # unfreeze the rest
                backbone[0].requires_grad_(True)
                optimizer.add_param_group({"params": backbone[0].parameters(), "lr": 1e-4})
            for micro_x, micro_y in zip(np.split(x_values, 2), np.split(y_values, 2)):
                logits = head(backbone(torch.from_numpy(micro_x)))
                loss = F.cross_entropy(logits, torch.from_numpy(micro_y)) / accumulation_steps
                loss.backward()
                history.append(loss.item())
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            history.append([g["lr"] for g in optimizer.param_groups])
        frozen = [p.requires_grad for p in backbone.parameters()]
        return history, frozen, backbone, head
    side_by_side(script)


def test_schedules_in_their_less_common_settings():
    inputs = DATA.normal(size=(12, 4, 3))
    targets = DATA.normal(size=(12, 4, 1))

    def script(torch, copy_weights):
        nn, S = torch.nn, torch.optim.lr_scheduler
        models = [nn.Linear(3, 1) for _ in range(4)]
        copy_weights(*models)
        one_cycle_opt = torch.optim.SGD(models[0].parameters(), lr=0.1, momentum=0.9)
        restarts_opt = torch.optim.Adam(models[1].parameters(), lr=0.1)
        plateau_opt = torch.optim.SGD([{"params": [models[2].weight]},
                                       {"params": [models[2].bias], "lr": 0.05}], lr=0.1)
        sequential_opt = torch.optim.SGD(models[3].parameters(), lr=0.1)
        one_cycle = S.OneCycleLR(one_cycle_opt, max_lr=0.5, total_steps=12,
                                 anneal_strategy="linear", three_phase=True,
                                 div_factor=10, final_div_factor=100)
        restarts = S.CosineAnnealingWarmRestarts(restarts_opt, T_0=3, T_mult=2, eta_min=0.01)
        plateau = S.ReduceLROnPlateau(plateau_opt, factor=0.5, patience=1, cooldown=1,
                                      min_lr=[0.02, 0.04], threshold=0.1)
        sequential = S.SequentialLR(sequential_opt, [
            S.LinearLR(sequential_opt, start_factor=0.1, total_iters=3),
            S.ExponentialLR(sequential_opt, gamma=0.9),
            S.CosineAnnealingLR(sequential_opt, T_max=4, eta_min=0.001)], milestones=[3, 6])
        optimizers = [one_cycle_opt, restarts_opt, plateau_opt, sequential_opt]
        history = []
        for step, (x_values, y_values) in enumerate(zip(inputs, targets)):
            x, y = torch.from_numpy(x_values), torch.from_numpy(y_values)
            losses = []
            for model, optimizer in zip(models, optimizers):
                loss = nn.functional.mse_loss(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            one_cycle.step()
            restarts.step(step + 0.5)                    # fractions of an epoch
            plateau.step(1.0 if step < 6 else 0.5)       # a plateau, a drop, a plateau
            sequential.step()
            history.append(losses + [one_cycle.get_last_lr()[0],
                                     one_cycle_opt.param_groups[0]["momentum"],
                                     restarts.get_last_lr()[0],
                                     *[g["lr"] for g in plateau_opt.param_groups],
                                     sequential.get_last_lr()[0]])
        return history, models
    side_by_side(script)


def test_new_parametrizations_trained_then_removed():
    inputs = DATA.normal(size=(3, 5, 4))
    targets = DATA.normal(size=(3, 5, 2))

    def script(torch, copy_weights):
        nn = torch.nn
        P, parametrize = nn.utils.parametrizations, nn.utils.parametrize
        model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 6), nn.Tanh(),
                              nn.Linear(6, 2))
        P.weight_norm(model[0], dim=None)                # one norm for the whole matrix
        P.orthogonal(model[2], orthogonal_map="householder")
        P.spectral_norm(model[4], n_power_iterations=2)
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        losses = []
        for x_values, y_values in zip(inputs, targets):
            loss = nn.functional.mse_loss(model(torch.from_numpy(x_values)),
                                          torch.from_numpy(y_values))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        x = torch.from_numpy(inputs[0])
        with torch.no_grad():
            evaluated = model(x)
            w = model[2].weight
            orthogonality = (w @ w.T - torch.eye(6)).abs().max()
            sigma = torch.linalg.matrix_norm(model[4].weight, ord=2)
        for i in (0, 2, 4):
            parametrize.remove_parametrizations(model[i], "weight", leave_parametrized=True)
        with torch.no_grad():
            after = model(x)
        names = sorted(name for name, _ in model.named_parameters())
        return losses, evaluated, after, orthogonality < 1e-12, sigma, names, model
    side_by_side(script)


def test_a_step_skipped_when_the_gradient_norm_is_not_finite():
    inputs = DATA.normal(size=(4, 5, 3))
    scales = [1.0, 1e308, 1.0, 1.0]                      # the second batch overflows

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        history = []
        for x_values, scale in zip(inputs, scales):
            optimizer.zero_grad()
            loss = (model(torch.from_numpy(x_values)) ** 2).mean() * scale
            loss.backward()
            try:
                norm = nn.utils.clip_grad_norm_(model.parameters(), 1.0,
                                                error_if_nonfinite=True, foreach=True)
            except RuntimeError:
                history.append("skipped")
                continue
            optimizer.step()
            history.append(norm.item())
        inf_norm = nn.utils.clip_grad_norm_(model.parameters(), 0.5, norm_type="inf")
        return history, inf_norm, model
    side_by_side(script)


def test_warm_start_by_load_state_dict_with_assign_then_the_optimizer():
    inputs = DATA.normal(size=(3, 6, 4))
    targets = DATA.normal(size=(3, 6, 2))

    def script(torch, copy_weights):
        nn = torch.nn

        def make_model():
            return nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.GELU(), nn.Linear(8, 2))

        pretrained = make_model()
        copy_weights(pretrained)
        # (a state_dict holds ndarrays here: as_tensor makes them tensors in both)
        checkpoint = {k: torch.as_tensor(v).float() if k.endswith("weight") else v
                      for k, v in pretrained.state_dict().items()}
        model = make_model()
        model[0].requires_grad_(False)                  # frozen: stays frozen after assign
        result = model.load_state_dict(checkpoint, assign=True)
        model.double()                                  # back to one dtype for training
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                      lr=1e-2)
        losses = []
        for x_values, y_values in zip(inputs, targets):
            loss = nn.functional.mse_loss(model(torch.from_numpy(x_values)),
                                          torch.from_numpy(y_values))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        flags = [p.requires_grad for p in model.parameters()]
        return (losses, flags, list(result.missing_keys), list(result.unexpected_keys),
                model)
    side_by_side(script)
