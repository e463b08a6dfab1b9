"""The twelfth round of PyTorch scripts, training machinery (see
test_torch_scripts_twelfth.py for the method): the optimizers in their less common
settings (``Adagrad`` with ``initial_accumulator_value``, ``Adadelta``, ``Adamax``,
``NAdam`` with ``momentum_decay``, ``RAdam`` with decoupled decay, ``ASGD``, ``Rprop``,
``SGD(nesterov=True)`` and ``SGD(dampening=)``, ``AdamW(amsgrad=True)``, ``maximize=True``
and per-group options); sharpness-aware minimisation by ``parameters_to_vector`` /
``vector_to_parameters`` with ``clip_grad_value_``; ``zero_grad(set_to_none=False)``
with gradient accumulation; ``autograd.grad`` with ``allow_unused=True`` and
``materialize_grads=True``; the optimizer step inside backward by
``register_post_accumulate_grad_hook``; initialisation by ``apply`` with
``named_modules`` / ``modules()`` filtered by type; and a non-persistent buffer that
stays out of ``state_dict``; determinism by explicit ``Generator``s (a ``DataLoader``
``generator``, ``random_split``, ``randn``, ``nn.init.normal_(generator=)``) that leave the
global seed alone."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1215)


def _regression(n_steps, n=6, n_in=3):
    return DATA.normal(size=(n_steps, n, n_in)), DATA.normal(size=(n_steps, n, 1))


OPTIMIZERS = {
    "adagrad": lambda o, p: o.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.01,
                                      initial_accumulator_value=0.1, eps=1e-8),
    "adadelta": lambda o, p: o.Adadelta(p, lr=0.5, rho=0.8, weight_decay=0.01),
    "adamax": lambda o, p: o.Adamax(p, lr=0.05, betas=(0.8, 0.99), weight_decay=0.01),
    "nadam": lambda o, p: o.NAdam(p, lr=0.05, momentum_decay=0.002, weight_decay=0.01),
    "nadam_decoupled": lambda o, p: o.NAdam(p, lr=0.05, weight_decay=0.1,
                                            decoupled_weight_decay=True),
    "radam": lambda o, p: o.RAdam(p, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
    "asgd": lambda o, p: o.ASGD(p, lr=0.05, lambd=1e-3, alpha=0.75, t0=2, weight_decay=0.01),
    "rprop": lambda o, p: o.Rprop(p, lr=0.02, etas=(0.4, 1.3), step_sizes=(1e-4, 0.5)),
    "sgd_nesterov": lambda o, p: o.SGD(p, lr=0.05, momentum=0.9, nesterov=True,
                                       weight_decay=0.01),
    "sgd_dampening": lambda o, p: o.SGD(p, lr=0.05, momentum=0.9, dampening=0.3),
    "adamw_amsgrad": lambda o, p: o.AdamW(p, lr=0.05, amsgrad=True, weight_decay=0.1),
    "adam_maximize": lambda o, p: o.Adam(p, lr=0.05, maximize=True),
    "rmsprop_centered": lambda o, p: o.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5,
                                               centered=True, maximize=True),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizers_in_their_less_common_settings(name):
    inputs, targets = _regression(6)
    sign = -1.0 if "maximize" in name or "centered" in name else 1.0

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
        copy_weights(model)
        optimizer = OPTIMIZERS[name](torch.optim, model.parameters())
        losses = []
        for x, y in zip(inputs, targets):
            optimizer.zero_grad()
            loss = sign * F.mse_loss(model(torch.from_numpy(x)), torch.from_numpy(y))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model
    side_by_side(script)


def test_per_group_options_with_a_frozen_group_and_lr_changed_by_hand():
    inputs, targets = _regression(5)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
        copy_weights(model)
        decay, no_decay = [], []
        for name, param in model.named_parameters():
            (no_decay if name.endswith("bias") else decay).append(param)
        optimizer = torch.optim.Adam([
            {"params": decay, "weight_decay": 0.1, "amsgrad": True},
            {"params": no_decay, "lr": 0.02, "betas": (0.8, 0.9)},
        ], lr=0.05, weight_decay=0.0)
        losses, rates = [], []
        for step, (x, y) in enumerate(zip(inputs, targets)):
            if step == 3:
                for group in optimizer.param_groups:
                    group["lr"] *= 0.5
            optimizer.zero_grad()
            loss = F.mse_loss(model(torch.from_numpy(x)), torch.from_numpy(y))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            rates.append([group["lr"] for group in optimizer.param_groups])
        settings = [[g["weight_decay"], g["amsgrad"], g["betas"]]
                    for g in optimizer.param_groups]
        return losses, rates, model, settings
    side_by_side(script)


def test_sharpness_aware_minimisation_by_parameter_vectors_and_clip_grad_value():
    inputs, targets = _regression(4)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        clip_grad_value_ = torch.nn.utils.clip_grad_value_
        parameters_to_vector = torch.nn.utils.parameters_to_vector
        vector_to_parameters = torch.nn.utils.vector_to_parameters
        model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1))
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
        rho, losses, norms = 0.05, [], []
        for x, y in zip(inputs, targets):
            x, y = torch.from_numpy(x), torch.from_numpy(y)
            optimizer.zero_grad()
            F.mse_loss(model(x), y).backward()
            weights = parameters_to_vector(model.parameters())
            grad = parameters_to_vector([p.grad for p in model.parameters()])
            norms.append(grad.norm().item())
            with torch.no_grad():
                vector_to_parameters(weights + rho * grad / (grad.norm() + 1e-12),
                                     model.parameters())
            optimizer.zero_grad()
            sharp_loss = F.mse_loss(model(x), y)
            sharp_loss.backward()
            with torch.no_grad():
                vector_to_parameters(weights, model.parameters())
            clip_grad_value_(model.parameters(), clip_value=0.3)
            optimizer.step()
            losses.append(sharp_loss.item())
        clipped = [float(abs(p.grad).max()) for p in model.parameters()]
        return losses, norms, model, clipped
    side_by_side(script)


def test_zero_grad_set_to_none_false_with_gradient_accumulation():
    inputs, targets = _regression(6, n=4)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Linear(3, 1)
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        optimizer.zero_grad(set_to_none=False)
        zeros_before = [p.grad is None for p in model.parameters()]
        losses, accumulation = [], 3
        for step, (x, y) in enumerate(zip(inputs, targets)):
            loss = F.mse_loss(model(torch.from_numpy(x)), torch.from_numpy(y)) / accumulation
            loss.backward()
            losses.append(loss.item())
            if (step + 1) % accumulation == 0:
                optimizer.step()
                optimizer.zero_grad(set_to_none=False)
        # (a Linear(3, 1)'s weight reads the same flattened in either layout)
        after = [p.grad.reshape(-1) for p in model.parameters()]
        model.zero_grad(set_to_none=True)
        cleared = [p.grad is None for p in model.parameters()]
        return losses, model, zeros_before, after, cleared
    side_by_side(script)


def test_autograd_grad_with_allow_unused_and_materialize_grads():
    x_values = DATA.normal(size=(4, 3))

    weight_values, bias_values = DATA.normal(size=(2, 3)), DATA.normal(size=2)

    def script(torch, copy_weights):
        F = torch.nn.functional
        weight = torch.tensor(weight_values, requires_grad=True)
        bias = torch.tensor(bias_values, requires_grad=True)
        head_weight = torch.ones(1, 2, requires_grad=True)
        head_bias = torch.zeros(1, requires_grad=True)
        x = torch.from_numpy(x_values)
        loss = (x @ weight.t() + bias).tanh().pow(2).sum()
        params = [weight, bias, head_weight, head_bias]
        grads = torch.autograd.grad(loss, params, allow_unused=True, retain_graph=True)
        missing = [g is None for g in grads]
        materialized = torch.autograd.grad(loss, params, allow_unused=True,
                                           materialize_grads=True, create_graph=True)
        zeros = [float(g.abs().sum()) for g in materialized[2:]]
        penalty = sum(g.pow(2).sum() for g in materialized)
        penalty.backward()
        second = F.linear(x, weight, bias).sum()
        return missing, [g for g in grads if g is not None], zeros, weight.grad, bias.grad, second
    side_by_side(script)


def test_optimizer_step_in_backward_by_post_accumulate_grad_hooks():
    inputs, targets = _regression(4)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
        copy_weights(model)
        optimizer_dict = {p: torch.optim.Adam([p], lr=0.05) for p in model.parameters()}
        calls = []

        def optimizer_hook(parameter):
            calls.append(tuple(parameter.shape))
            optimizer_dict[parameter].step()
            optimizer_dict[parameter].zero_grad()

        handles = [p.register_post_accumulate_grad_hook(optimizer_hook)
                   for p in model.parameters()]
        losses = []
        for x, y in zip(inputs, targets):
            loss = F.mse_loss(model(torch.from_numpy(x)), torch.from_numpy(y))
            loss.backward()
            losses.append(loss.item())
        for handle in handles:
            handle.remove()
        grads_cleared = [p.grad is None for p in model.parameters()]
        return losses, model, len(calls), grads_cleared
    side_by_side(script)


def test_init_by_apply_with_modules_filtered_by_type_and_a_non_persistent_buffer():
    x_values = DATA.normal(size=(3, 2, 6, 6))

    def script(torch, copy_weights):
        nn = torch.nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3),
                                              nn.ReLU(), nn.Conv2d(3, 4, 3))
                self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16, 5))
                self.register_buffer("scale", torch.tensor(0.5), persistent=False)
                self.register_buffer("seen", torch.zeros(()))

            def forward(self, x):
                self.seen += x.shape[0]
                return self.classifier(self.features(x) * self.scale)

        @torch.no_grad()
        def init_weights(m):
            if isinstance(m, nn.Conv2d):
                nn.init.constant_(m.weight, 0.05)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                m.weight.fill_(0.01)
                m.bias.fill_(0.1)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

        model = Net()
        model.apply(init_weights)
        copy_weights(model)
        convs = [name for name, m in model.named_modules() if isinstance(m, nn.Conv2d)]
        n_linear = sum(1 for m in model.modules() if isinstance(m, nn.Linear))
        keys = sorted(model.state_dict())
        buffer_names = sorted(name for name, _ in model.named_buffers())
        out = model(torch.from_numpy(x_values))
        out.sum().backward()
        fresh = Net()
        fresh.load_state_dict(model.state_dict())
        return (convs, n_linear, keys, buffer_names, out, model, float(fresh.seen),
                float(fresh.scale), model.features[0].weight.grad)
    side_by_side(script)


def test_determinism_by_explicit_generators_without_touching_the_global_seed():
    # The two libraries draw different numbers from the same seed: the script returns
    # what explicit generators promise (the same draws again from the same seed, the
    # global stream left alone), not the draws.

    def script(torch, copy_weights):
        data = torch.utils.data
        dataset = data.TensorDataset(torch.arange(10.0).unsqueeze(1), torch.arange(10))

        def epoch_order(seed):
            generator = torch.Generator().manual_seed(seed)
            loader = data.DataLoader(dataset, batch_size=4, shuffle=True, generator=generator)
            return [y.tolist() for _, y in loader]

        torch.manual_seed(0)
        expected_global = torch.rand(3)
        torch.manual_seed(0)
        first, again, other = epoch_order(7), epoch_order(7), epoch_order(8)
        train, val = data.random_split(dataset, [0.8, 0.2],
                                       generator=torch.Generator().manual_seed(3))
        train_again, _ = data.random_split(dataset, [0.8, 0.2],
                                           generator=torch.Generator().manual_seed(3))
        generator = torch.Generator().manual_seed(5)
        noise = torch.randn(3, 4, generator=generator)
        generator.manual_seed(5)
        noise_again = torch.randn(3, 4, generator=generator)
        weight, weight_again = torch.empty(3, 3), torch.empty(3, 3)
        torch.nn.init.normal_(weight, generator=torch.Generator().manual_seed(4))
        torch.nn.init.normal_(weight_again, generator=torch.Generator().manual_seed(4))
        perm = torch.randperm(6, generator=torch.Generator().manual_seed(1))
        draws = torch.multinomial(torch.tensor([0.1, 0.2, 0.7]), 5, replacement=True,
                                  generator=torch.Generator().manual_seed(2))
        global_untouched = bool((torch.rand(3) == expected_global).all())
        return dict(
            same_order=first == again, other_order=first != other,
            each_once=sorted(sum(first, [])), batch_sizes=[len(b) for b in first],
            same_split=list(train.indices) == list(train_again.indices),
            split_sizes=[len(train), len(val)],
            same_noise=bool((noise == noise_again).all()),
            same_init=bool((weight == weight_again).all()),
            permutation=sorted(perm.tolist()),
            draws_in_range=bool(((draws >= 0) & (draws < 3)).all()),
            global_untouched=global_untouched)
    side_by_side(script)
