"""More training loops of the seventeenth and eighteenth PyTorch script rounds as
compiled steps against eager (as test_compile_probe_programs_newest_scripts.py):
sparsemax as an ``autograd.Function``, sharpness-aware minimisation as an ``Optimizer``
subclass (two backward passes a step) restoring the weights by ``copy_``, FiLM
conditioning over a BatchNorm2d in training mode, a VAE by ``torch.distributions`` with
a KL divergence, a RealNVP flow by a coupling ``Transform`` subclass, PGD adversarial
training (input gradients in the step) and a learning-rate range test; refused at the
trace naming the line: a SIREN's gradient penalty by ``autograd.grad(create_graph=True)``
and SAM restoring the weights by ``p.data =``."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError
from compile_scripts8 import UNFUSED, F, compiled_like_eager, made, nn, torch, two_sizes


class SineLayer(nn.Module):
    def __init__(self, in_f, out_f, is_first=False, omega_0=30.0):
        super().__init__()
        self.omega_0, self.linear = omega_0, nn.Linear(in_f, out_f)
        bound = 1 / in_f if is_first else np.sqrt(6 / in_f) / omega_0
        with torch.no_grad():
            self.linear.weight.uniform_(-bound, bound)

    def forward(self, x):
        return torch.sin(self.omega_0 * self.linear(x))


def test_siren_with_a_gradient_penalty_by_create_graph_is_refused_naming_the_line():
    def penalised(model, x, y):
        coords = x.clone().detach().requires_grad_(True)
        out = model(coords)
        grad_out = torch.autograd.grad(out, coords, grad_outputs=torch.ones_like(out),
                                       create_graph=True)[0]
        return ((out - y) ** 2).mean() + 1e-3 * (grad_out ** 2).mean()

    model = nn.Sequential(SineLayer(1, 16, is_first=True), SineLayer(16, 16), nn.Linear(16, 1))
    step = ad.compile(made(model, torch.optim.Adam(model.parameters(), lr=1e-3), penalised)[0])
    # (a replay does not take gradients of gradients: refused, naming the grad call's line)
    grad_line = inspect.getsourcelines(penalised)[1] + 3
    weights = [p.data.copy() for p in model.parameters()]
    with pytest.raises(TraceError, match=rf"autograd\.grad is called at "
                                         rf"{__name__}\.py:{grad_line} inside"):
        step(*two_sizes(11, [(32, 1), (32, 1)], [(20, 1), (20, 1)])[0])
    for before, p in zip(weights, model.parameters()):
        np.testing.assert_array_equal(p.data, before)       # (no step taken)


class SparsemaxFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input, dim=-1):
        input = torch.as_tensor(input)
        ctx.dim = dim
        max_val, _ = input.max(dim=dim, keepdim=True)
        input = input - max_val
        zs = torch.sort(input, dim=dim, descending=True)[0]
        rhos = torch.arange(1, input.size(dim) + 1, dtype=input.dtype).view(1, -1)
        cumsum = zs.cumsum(dim) - 1
        support_size = (rhos * zs > cumsum).sum(dim=dim).unsqueeze(dim)
        tau = cumsum.gather(dim, support_size - 1) / support_size.to(input.dtype)
        output = torch.clamp(input - tau, min=0)
        ctx.save_for_backward(support_size, output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        supp_size, output = ctx.saved_tensors
        grad_input = torch.as_tensor(grad_output).clone()
        grad_input[output == 0] = 0
        v_hat = (grad_input.sum(dim=ctx.dim) / supp_size.to(output.dtype).squeeze())
        grad_input = torch.where(output != 0, grad_input - v_hat.unsqueeze(ctx.dim), grad_input)
        return grad_input, None


def test_sparsemax_as_an_autograd_function_in_a_training_step():
    def sparsemax_loss(layer, x, y):
        probs = SparsemaxFunction.apply(layer(x * 2), -1)
        return ((probs - F.one_hot(y, 5).to(probs.dtype)) ** 2).sum()

    def make():
        layer = nn.Linear(5, 5)
        return made(layer, torch.optim.SGD(layer.parameters(), lr=0.1), sparsemax_loss)
    compiled_like_eager(make, two_sizes(12, [(4, 5), ("int", 5, (4,))],
                                        [(6, 5), ("int", 5, (6,))]), traces=2)


class SAM(torch.optim.Optimizer):
    def __init__(self, params, base_optimizer, rho=0.05, adaptive=False, **kwargs):
        defaults = dict(rho=rho, adaptive=adaptive, **kwargs)
        super().__init__(params, defaults)
        self.base_optimizer = base_optimizer(self.param_groups, **kwargs)
        self.param_groups = self.base_optimizer.param_groups
        self.defaults.update(self.base_optimizer.defaults)

    @torch.no_grad()
    def first_step(self, zero_grad=False):
        grad_norm = self._grad_norm()
        for group in self.param_groups:
            scale = group["rho"] / (grad_norm + 1e-12)
            for p in group["params"]:
                if p.grad is None:
                    continue
                self.state[p]["old_p"] = p.detach().clone()
                p.add_((torch.pow(p, 2) if group["adaptive"] else 1.0) * p.grad * scale.to(p))
        if zero_grad:
            self.zero_grad()

    @torch.no_grad()
    def second_step(self, zero_grad=False):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.data = self.state[p]["old_p"]
        self.base_optimizer.step()
        if zero_grad:
            self.zero_grad()

    def _grad_norm(self):
        return torch.norm(torch.stack([
            ((torch.abs(p) if group["adaptive"] else 1.0) * p.grad).norm(p=2)
            for group in self.param_groups for p in group["params"] if p.grad is not None]),
            p=2)


class SAMByCopy(SAM):
    """SAM restoring the weights by ``p.copy_`` under no_grad rather than ``p.data =``."""

    @torch.no_grad()
    def second_step(self, zero_grad=False):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.copy_(self.state[p]["old_p"])
        self.base_optimizer.step()
        if zero_grad:
            self.zero_grad()


def _sam_twin(sam):
    """``make`` for a SAM training step by the optimizer class ``sam``."""
    def make():
        model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
        optimizer = sam(model.parameters(), torch.optim.SGD, rho=0.1, adaptive=True, lr=0.1,
                        momentum=0.9)

        def step(x, y):
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.first_step(zero_grad=True)
            F.cross_entropy(model(x), y).backward()
            optimizer.second_step(zero_grad=True)
            return loss
        return step, {"model": model, "optimizer": optimizer.base_optimizer,
                      "sam": optimizer}
    return make


SAM_BATCHES = two_sizes(13, [(8, 4), ("int", 3, (8,))], [(5, 4), ("int", 3, (5,))])


def test_sharpness_aware_minimisation_restoring_by_copy_replays_as_eager():
    # (the weights, the SGD state and SAM's own: its copies of the weights, made in the
    # first call, trace once more with them there, and each replay copies the new
    # ones into them, as the call's assignment would store them)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.NotReplayedWarning)
        compiled_like_eager(_sam_twin(SAMByCopy), SAM_BATCHES, traces=3, fuse_modes=UNFUSED)


def test_sharpness_aware_minimisation_restoring_by_data_is_refused_naming_the_line():
    # (an assignment to .data runs only while tracing: a replay would skip it)
    step, _ = _sam_twin(SAM)()
    data_line = next(number for number, line in enumerate(
        inspect.getsourcelines(SAM)[0], start=inspect.getsourcelines(SAM)[1])
        if "p.data = " in line)
    with pytest.raises(TraceError, match=rf"\.data of 0\.weight.* is assigned at "
                                         rf"{__name__}\.py:{data_line} "):
        ad.compile(step)(*SAM_BATCHES[0])


class FiLMedNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4, affine=False)
        self.film_generator = nn.Linear(3, 2 * 4)
        self.classifier = nn.Linear(4, 3)

    def forward(self, x, c):
        gammas, betas = self.film_generator(c).split(4, dim=-1)
        h = self.bn(self.conv(x))
        h = F.relu((1 + gammas).unsqueeze(2).unsqueeze(3).expand_as(h) * h
                   + betas.unsqueeze(2).unsqueeze(3).expand_as(h))
        return self.classifier(F.adaptive_avg_pool2d(h, 1).flatten(1))


def test_film_conditioning_over_batchnorm_in_training_mode_by_adam():
    def make():
        model = FiLMedNet()
        return made(model, torch.optim.Adam(model.parameters(), lr=3e-3),
                    lambda model, x, c, y: F.cross_entropy(model(x, c), y))
    # (fused, were it checked: the conv's bias, before a BatchNorm, gets a gradient zero
    # but for rounding, which Adam divides by its own size: see compiled_like_eager)
    compiled_like_eager(make, two_sizes(14, [(4, 2, 6, 6), (4, 3), ("int", 3, (4,))],
                                        [(3, 2, 6, 6), (3, 3), ("int", 3, (3,))]), traces=2,
                        fuse_modes=UNFUSED)


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc, self.dec = nn.Linear(8, 4), nn.Linear(2, 8)

    def forward(self, x):
        mu, log_var = self.enc(x).chunk(2, dim=-1)
        return torch.distributions.Normal(mu, torch.exp(0.5 * log_var))


def test_vae_by_distributions_with_a_kl_divergence_by_adam():
    D = torch.distributions

    def elbo_loss(model, x, eps):
        q = model(x)
        z = q.loc + q.scale * eps
        prior = D.Normal(torch.zeros(2), torch.ones(2))
        rec = D.Bernoulli(logits=model.dec(z)).log_prob(x).sum(-1)
        return (D.kl_divergence(q, prior).sum(-1) - rec).mean()

    def make():
        model = VAE()
        return made(model, torch.optim.Adam(model.parameters(), lr=1e-2), elbo_loss)
    compiled_like_eager(make, two_sizes(15, [("bits", (6, 8)), (6, 2)],
                                        [("bits", (4, 8)), (4, 2)]), traces=2,
                        fuse_modes=UNFUSED)


class AffineCoupling(torch.distributions.Transform):
    domain = torch.distributions.constraints.real_vector
    codomain = torch.distributions.constraints.real_vector
    bijective = True

    def __init__(self, net, mask):
        super().__init__()
        self.net, self.mask = net, mask

    def _params(self, x):
        s, t = self.net(x * self.mask).chunk(2, dim=-1)
        return torch.tanh(s) * (1 - self.mask), t * (1 - self.mask)

    def _call(self, x):
        s, t = self._params(x)
        return x * torch.exp(s) + t

    def _inverse(self, y):
        s, t = self._params(y * self.mask)
        return (y - t) * torch.exp(-s)

    def log_abs_det_jacobian(self, x, y):
        return self._params(x)[0].sum(-1)


def test_realnvp_by_a_coupling_transform_subclass_by_adam():
    def make():
        nets = nn.ModuleList([nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 4))
                              for _ in range(2)])
        masks = [torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])]
        base = torch.distributions.MultivariateNormal(torch.zeros(2), torch.eye(2))
        flow = torch.distributions.TransformedDistribution(
            base, [AffineCoupling(net, mask) for net, mask in zip(nets, masks)])
        return made(nets, torch.optim.Adam(nets.parameters(), lr=1e-2),
                    lambda nets, x: -flow.log_prob(x).mean())
    compiled_like_eager(make, two_sizes(16, [(16, 2)], [(10, 2)]), traces=2, fuse_modes=UNFUSED)


def test_pgd_adversarial_training_by_input_gradients_in_the_step():
    def make():
        model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 3))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

        def step(X, y):
            delta = torch.zeros_like(X, requires_grad=True)
            for _ in range(3):
                nn.CrossEntropyLoss()(model(X + delta), y).backward()
                with torch.no_grad():
                    delta.copy_((delta + 0.02 * torch.sign(delta.grad)).clamp(-0.1, 0.1))
                delta.grad = None
            scores = model(X + delta.detach())
            loss = nn.CrossEntropyLoss()(scores, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss, (scores.max(dim=1)[1] != y).sum(), delta.detach()
        return step, {"model": model, "optimizer": optimizer}
    compiled_like_eager(make, two_sizes(17, [("uniform", (6, 1, 4, 4)), ("int", 3, (6,))],
                                        [("uniform", (4, 1, 4, 4)), ("int", 3, (4,))]),
                        traces=2, fuse_modes=UNFUSED)


def test_learning_rate_range_test_setting_the_rate_between_calls():
    def make():
        model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
        return made(model, torch.optim.SGD(model.parameters(), lr=1e-5),
                    lambda model, x, y: nn.MSELoss()(model(x), y))

    def between(k, things):             # (the rate grows by a factor at each batch)
        things["optimizer"].param_groups[0]["lr"] = 1e-5 * 3.0 ** k
    compiled_like_eager(make, two_sizes(18, [(4, 3), (4, 1)], [(3, 3), (3, 1)]), traces=2,
                        between=between, fuse_modes=UNFUSED)
