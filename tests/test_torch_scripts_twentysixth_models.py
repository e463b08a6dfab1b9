"""The twenty-sixth round of PyTorch scripts, models and the tools around them (see
test_torch_scripts_twentysixth.py for the method): magnitude pruning by a mask kept as a
buffer and applied in a forward pre-hook, a custom ``autograd.Function`` (a straight-
through quantiser with ``ctx.save_for_backward`` and ``needs_input_grad``, its backward
in function forms: here it receives arrays) inside a layer,
``register_full_backward_hook`` rescaling the gradient a layer passes back,
``torch.func.functional_call`` + ``jacrev`` / ``hessian`` of a model's loss in its
parameters, ``parametrizations.weight_norm`` and ``orthogonal`` trained together, a
contrastive InfoNCE loss with ``F.normalize`` and a temperature, a packed bidirectional
LSTM over ``pad_sequence``'d sequences of different lengths, and distributions' log
densities, entropies and KL divergences in one objective.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(262626)


def test_magnitude_pruning_by_a_mask_buffer_and_a_forward_pre_hook():
    inputs = DATA.normal(size=(5, 6))
    targets = DATA.normal(size=(5, 2))

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2))
        copy_weights(model)
        layer = model[0]
        threshold = layer.weight.detach().abs().flatten().kthvalue(10).values
        layer.register_buffer("mask", (layer.weight.detach().abs() > threshold).double())

        def apply_mask(module, args):
            with torch.no_grad():
                module.weight.mul_(module.mask)
        handle = layer.register_forward_pre_hook(apply_mask)
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        x, t = torch.tensor(inputs), torch.tensor(targets)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(x), t)
            loss.backward()
            opt.step()
            losses.append(loss)
        handle.remove()
        zeros = (layer.weight == 0).sum()
        # (the mask keeps the weight's layout, which differs: compared through counts)
        return (threshold, losses, zeros, layer.mask.sum(), model(x),
                [p.norm() for p in model.parameters()])
    side_by_side(script)


def test_straight_through_quantiser_as_a_custom_function():
    inputs = DATA.normal(size=(4, 3))

    def script(torch, copy_weights):
        nn = torch.nn

        class RoundST(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x, scale):
                ctx.save_for_backward(x, scale)
                return torch.round(x * scale) / scale

            @staticmethod
            def backward(ctx, grad):
                x, scale = ctx.saved_tensors
                inside = torch.where(torch.abs(x) <= 1.5, 1.0, 0.0)
                grad_x = grad * inside if ctx.needs_input_grad[0] else None
                grad_scale = None
                if ctx.needs_input_grad[1]:
                    grad_scale = (grad * (torch.round(x * scale) - x * scale)).sum() / scale ** 2
                return grad_x, grad_scale

        layer = nn.Linear(3, 3)
        copy_weights(layer)
        scale = torch.tensor(4.0, requires_grad=True)
        x = torch.tensor(inputs, requires_grad=True)
        h = RoundST.apply(layer(x), scale)
        frozen = RoundST.apply(x.detach(), torch.tensor(2.0))
        loss = h.pow(2).sum() + frozen.sum()
        loss.backward()
        return h, frozen, loss, x.grad, scale.grad, layer.bias.grad
    side_by_side(script)


def test_full_backward_hook_rescaling_what_a_layer_passes_back():
    inputs = DATA.normal(size=(3, 4))

    def script(torch, copy_weights):
        nn = torch.nn
        first, second = nn.Linear(4, 5), nn.Linear(5, 2)
        copy_weights(first, second)
        seen = []

        def halve(module, grad_input, grad_output):
            seen.append(grad_output[0].detach().clone())
            return (grad_input[0] * 0.5,)
        handle = second.register_full_backward_hook(halve)
        x = torch.tensor(inputs, requires_grad=True)
        loss = second(torch.tanh(first(x))).pow(2).sum()
        loss.backward()
        handle.remove()
        return loss, seen, x.grad, first.bias.grad, second.bias.grad
    side_by_side(script)


def test_jacrev_and_hessian_of_a_loss_in_a_models_parameters():
    inputs = DATA.normal(size=(4, 3))
    targets = DATA.normal(size=(4,))

    def script(torch, copy_weights):
        nn = torch.nn
        functional_call, hessian, jacrev = (torch.func.functional_call, torch.func.hessian,
                                            torch.func.jacrev)
        model = nn.Linear(3, 1)
        copy_weights(model)
        x, t = torch.tensor(inputs), torch.tensor(targets)
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(bias):
            out = functional_call(model, {"weight": params["weight"], "bias": bias}, (x,))
            return ((out.squeeze(-1) - t) ** 2).mean() + bias.pow(4).sum()

        def per_sample(bias):
            out = functional_call(model, {"weight": params["weight"], "bias": bias}, (x,))
            return torch.sin(out.squeeze(-1)) * t
        return (loss(params["bias"]), jacrev(loss)(params["bias"]),
                hessian(loss)(params["bias"]), jacrev(per_sample)(params["bias"]))
    side_by_side(script)


def test_weight_norm_and_orthogonal_parametrizations_trained_together():
    inputs = DATA.normal(size=(5, 4))
    targets = DATA.normal(size=(5, 4))

    def script(torch, copy_weights):
        nn = torch.nn
        P = nn.utils.parametrizations
        scaled = P.weight_norm(nn.Linear(4, 4))
        rotation = P.orthogonal(nn.Linear(4, 4, bias=False))
        copy_weights(scaled, rotation)
        params = list(scaled.parameters()) + list(rotation.parameters())
        opt = torch.optim.Adam(params, lr=0.01)
        x, t = torch.tensor(inputs), torch.tensor(targets)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = nn.functional.mse_loss(rotation(torch.tanh(scaled(x))), t)
            loss.backward()
            opt.step()
            losses.append(loss)
        w = rotation.weight
        g = scaled.parametrizations.weight.original0
        return (losses, scaled(x), rotation(x), w @ w.T, g.flatten(), scaled.weight.norm())
    side_by_side(script)


def test_info_nce_contrastive_loss_with_a_learned_temperature():
    views = DATA.normal(size=(2, 6, 5))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        projector = nn.Sequential(nn.Linear(5, 8), nn.GELU(), nn.Linear(8, 4))
        copy_weights(projector)
        log_temp = nn.Parameter(torch.tensor(np.log(0.1)))
        opt = torch.optim.Adam(list(projector.parameters()) + [log_temp], lr=0.01)
        a, b = torch.tensor(views[0]), torch.tensor(views[1])
        losses = []
        for _ in range(3):
            za = F.normalize(projector(a), dim=1)
            zb = F.normalize(projector(b), dim=1)
            z = torch.cat([za, zb])
            sim = z @ z.T / log_temp.exp()
            sim = sim.masked_fill(torch.eye(12, dtype=torch.bool), float("-inf"))
            targets = torch.cat([torch.arange(6, 12), torch.arange(0, 6)])
            loss = F.cross_entropy(sim, targets)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss)
        return losses, projector, log_temp
    side_by_side(script)


def test_packed_bidirectional_lstm_over_padded_sequences():
    lengths = [5, 2, 4]
    sequences = [DATA.normal(size=(n, 3)) for n in lengths]

    def script(torch, copy_weights):
        nn = torch.nn
        rnn_utils = nn.utils.rnn
        lstm = nn.LSTM(3, 4, batch_first=True, bidirectional=True)
        head = nn.Linear(8, 1)
        copy_weights(lstm, head)
        padded = rnn_utils.pad_sequence([torch.tensor(s) for s in sequences],
                                        batch_first=True)
        packed = rnn_utils.pack_padded_sequence(padded, torch.tensor(lengths),
                                                batch_first=True, enforce_sorted=False)
        out, (h, c) = lstm(packed)
        unpacked, out_lengths = rnn_utils.pad_packed_sequence(out, batch_first=True)
        last = torch.cat([h[0], h[1]], dim=1)
        loss = head(last).sum() + unpacked.pow(2).sum()
        loss.backward()
        return (padded, unpacked, out_lengths, h, c, loss,
                [p.grad.norm() for p in lstm.parameters()], head.bias.grad)
    side_by_side(script)


def test_distribution_log_densities_entropies_and_kl_in_one_objective():
    points = DATA.random(size=4) * 0.8 + 0.1
    counts = np.array([0.0, 2.0, 1.0, 5.0])

    def script(torch, copy_weights):
        D = torch.distributions
        raw = torch.tensor([0.3, -0.2, 0.5], requires_grad=True)
        a, b, rate = raw.exp() + 0.5
        beta = D.Beta(a, b)
        gamma = D.Gamma(a, rate)
        poisson = D.Poisson(rate)
        laplace = D.Laplace(raw[0], b)
        student = D.StudentT(a + 2.0, raw[1], b)
        x = torch.tensor(points)
        terms = torch.stack([
            beta.log_prob(x).sum(), gamma.log_prob(x).sum(),
            poisson.log_prob(torch.tensor(counts)).sum(), laplace.log_prob(x).sum(),
            student.log_prob(x).sum(), beta.entropy(), gamma.entropy(), laplace.entropy(),
            D.kl_divergence(beta, D.Beta(b, a)), D.kl_divergence(gamma, D.Gamma(b, a)),
            D.kl_divergence(laplace, D.Laplace(raw[2], a)),
            beta.mean, gamma.variance, student.variance])
        terms.sum().backward()
        return terms, raw.grad
    side_by_side(script)
