"""More training loops of the nineteenth PyTorch script round as compiled steps, compared
with the same loop run eagerly (``compile_scripts8.py``; see
test_compile_probe_programs_eighteenth_scripts.py): Grad-CAM weights from a gradient a
tensor hook receives, a deep equilibrium layer whose implicit backward pass is a tensor
hook calling ``torch.autograd.grad``, MoCo's logits by ``einsum`` of a list of operands
with a queue buffer, a resonator's complex 0-d pole, sliding windows by ``as_strided``,
a two-dimensional Fourier layer with complex weights, an HMM's forward algorithm in log
space and a Kalman filter's log-likelihood."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile.refusals import TraceError
from compile_scripts8 import (UNFUSED, F, compiled_like_eager, line_of, made, nn, plain_step,
                              refused_naming, torch, two_sizes)


def _grad_cam_step(model):
    """A training step that also returns Grad-CAM maps: a forward hook on ``model[1]``
    keeps its output and registers a tensor hook that keeps the output's gradient."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    activations, gradients = {}, {}

    def save_activation(module, input, output):
        activations["value"] = output
        output.register_hook(lambda grad: gradients.__setitem__("value", grad))
    model[1].register_forward_hook(save_activation)

    def step(x, y):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        weights = gradients["value"].mean(dim=(2, 3), keepdim=True)
        return loss, F.relu((weights * activations["value"].detach()).sum(dim=1))
    return step


def test_grad_cam_by_a_forward_hook_keeping_a_gradient_is_refused_naming_the_hook():
    # (hooks are Python code a replay would skip: refused, naming the forward hook's
    # function and the line calling the model; eagerly the same step runs)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
    weights = [p.data.copy() for p in model.parameters()]
    step = _grad_cam_step(model)
    x, y = two_sizes(30, [(2, 3, 6, 6), ("int", 3, (2,))], [(3, 3, 6, 6), ("int", 3, (3,))])[0]
    hook, call = line_of(_grad_cam_step, "def save_"), line_of(_grad_cam_step, "model(x)")
    with pytest.raises(TraceError, match=rf"ReLU has forward hooks \(save_activation "
                                         rf"\(.*{hook}\)\) and is called at {call} "):
        ad.compile(step)(x, y)
    for before, p in zip(weights, model.parameters()):
        np.testing.assert_array_equal(p.data, before)       # (no step taken)
    loss, cam = step(ad.tensor(x), ad.tensor(y))
    assert cam.shape == (2, 6, 6) and np.isfinite(loss.item())


class TanhFixedPoint(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.linear = nn.Linear(n, n, bias=False)
        with torch.no_grad():
            self.linear.weight.mul_(0.3)        # a contraction, so the iterations converge

    def forward(self, z, x):
        return torch.tanh(self.linear(z) + x)


def forward_iteration(f, x0, max_iter=20):
    z = x0
    for _ in range(max_iter):
        z = f(z)
    return z


class DEQFixedPoint(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        with torch.no_grad():
            z = forward_iteration(lambda z: self.f(z, x), torch.zeros_like(x))
        z = self.f(z, x)
        z0 = z.clone().detach().requires_grad_()
        f0 = self.f(z0, x)

        def backward_hook(grad):
            return forward_iteration(
                lambda y: torch.autograd.grad(f0, z0, y, retain_graph=True)[0] + grad, grad)

        z.register_hook(backward_hook)
        return z


def test_deep_equilibrium_by_an_implicit_backward_hook_is_refused_naming_its_line():
    # (the hook is registered in the forward and run by the backward, a line of another
    # file: the refusal names where it was registered, and the backward's line)
    def make():
        model = DEQFixedPoint(TanhFixedPoint(3))
        return made(model, torch.optim.SGD(model.parameters(), lr=0.1),
                    lambda model, x, y: F.mse_loss(model(x), y))
    refused_naming(make, two_sizes(31, [(4, 3), (4, 3)], [(2, 3), (2, 3)])[0],
                   rf"a gradient hook \(register_hook\) at "
                   rf"{line_of(DEQFixedPoint, 'z.register_hook')} \(registered there; run "
                   rf"by the backward at {line_of(plain_step, '.backward()')}\)")


def test_a_grad_fn_hook_registered_in_the_call_is_refused_naming_its_line():
    w = ad.tensor([0.5, -1.0], requires_grad=True)

    def step(x):
        h = w * x
        h.grad_fn.register_hook(lambda grad_inputs, grad_outputs: None)
        loss = (h ** 2).sum()
        loss.backward()
        return loss
    with pytest.raises(TraceError, match=rf"grad_fn\.register_hook\) at "
                                         rf"{line_of(step, 'h.grad_fn.register_hook')} "):
        ad.compile(step)(np.ones(2))


class MoCo(nn.Module):
    """MoCo with its key encoder moved by ``copy_`` under ``no_grad`` (a replay repeats
    it; the script's ``param_k.data = ...`` is refused: ``MoCoByData``)."""

    def __init__(self, queue_start, dim=3, K=8, m=0.9, T=0.2):
        super().__init__()
        self.K, self.m, self.T = K, m, T
        self.encoder_q = nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, dim))
        self.encoder_k = copy.deepcopy(self.encoder_q)
        for param_k in self.encoder_k.parameters():
            param_k.requires_grad = False
        self.register_buffer("queue", F.normalize(torch.from_numpy(queue_start), dim=0))

    @torch.no_grad()
    def _momentum_update_key_encoder(self):
        for param_q, param_k in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
            param_k.copy_(param_k * self.m + param_q * (1.0 - self.m))

    def forward(self, im_q, im_k):
        q = F.normalize(self.encoder_q(im_q), dim=1)
        with torch.no_grad():
            self._momentum_update_key_encoder()
            k = F.normalize(self.encoder_k(im_k), dim=1)
        l_pos = torch.einsum("nc,nc->n", [q, k]).unsqueeze(-1)
        l_neg = torch.einsum("nc,ck->nk", [q, self.queue.clone().detach()])
        logits = torch.cat([l_pos, l_neg], dim=1) / self.T
        with torch.no_grad():       # the oldest keys leave, the batch's enter
            self.queue.copy_(torch.cat([self.queue[:, k.shape[0]:], k.T], dim=1))
        return logits


class MoCoByData(MoCo):
    @torch.no_grad()
    def _momentum_update_key_encoder(self):
        for param_q, param_k in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
            param_k.data = param_k.data * self.m + param_q.data * (1.0 - self.m)


def _moco_twin(kind):
    queue_start = np.random.default_rng(32).normal(size=(3, 8))

    def make():
        model = kind(queue_start)

        def moco_loss(model, im_q, im_k):
            logits = model(im_q, im_k)
            return F.cross_entropy(logits, torch.zeros(logits.shape[0], dtype=torch.long))
        return made(model, torch.optim.SGD(model.encoder_q.parameters(), lr=0.05,
                                           momentum=0.9, weight_decay=1e-4), moco_loss)
    return make


MOCO_BATCHES = two_sizes(32, [(4, 5), (4, 5)], [(2, 5), (2, 5)])


def test_moco_logits_by_einsum_of_a_list_with_a_queue_buffer():
    compiled_like_eager(_moco_twin(MoCo), MOCO_BATCHES, traces=2)


def test_moco_moving_its_key_encoder_by_data_is_refused_naming_the_line():
    refused_naming(_moco_twin(MoCoByData), MOCO_BATCHES[0],
                   rf"\.data of encoder_q\.0\.weight, a tensor from before the call, is "
                   rf"assigned at {line_of(MoCoByData, 'param_k.data = ')} ")


class Resonator(nn.Module):
    """A one-pole filter's response at a frequency: a complex 0-d pole and gain."""

    def __init__(self):
        super().__init__()
        self.pole = nn.Parameter(torch.tensor(0.5 + 0.3j, dtype=torch.cdouble))
        self.gain = nn.Parameter(torch.tensor(1.0 - 0.2j, dtype=torch.cdouble))

    def forward(self, frequencies):
        responses = []
        for omega in frequencies:
            z_inverse = torch.exp(-1j * omega)
            response = self.gain / (1 - self.pole * z_inverse)
            responses.append(abs(response) ** 2)
        return torch.stack(responses)


def test_a_resonator_by_complex_0d_scalar_arithmetic():
    def make():
        model = Resonator()
        return made(model, torch.optim.Adam(model.parameters(), lr=1e-2),
                    lambda model, w, target: F.mse_loss(model(w), target))
    compiled_like_eager(make, two_sizes(33, [("uniform", (4,)), ("uniform", (4,))],
                                        [("uniform", (3,)), ("uniform", (3,))]), traces=2)


def test_sliding_windows_for_a_forecaster_by_as_strided():
    window = 5

    def make():
        model = nn.Linear(window, 1)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05)

        def step(series):
            n = series.numel() - window
            windows = series.as_strided((n, window), (1, 1))
            optimizer.zero_grad()
            loss = F.l1_loss(model(windows).squeeze(-1), series[window:])
            loss.backward()
            optimizer.step()
            return loss
        return step, {"model": model, "optimizer": optimizer}
    compiled_like_eager(make, two_sizes(34, [(20,)], [(14,)]), traces=2)


class SpectralConv2d(nn.Module):
    def __init__(self, start, modes):
        super().__init__()
        self.modes = modes
        self.weights1 = nn.Parameter(torch.tensor(start[0] / 4, dtype=torch.cdouble))
        self.weights2 = nn.Parameter(torch.tensor(start[1] / 4, dtype=torch.cdouble))

    def forward(self, x):
        b, c, h, w = x.shape
        m = self.modes
        x_ft = torch.fft.rfft2(x)
        out_ft = torch.zeros(b, c, h, w // 2 + 1, dtype=torch.cdouble)
        out_ft[:, :, :m, :m] = torch.einsum("bixy,ioxy->boxy", x_ft[:, :, :m, :m],
                                            self.weights1)
        out_ft[:, :, -m:, :m] = torch.einsum("bixy,ioxy->boxy", x_ft[:, :, -m:, :m],
                                             self.weights2)
        return torch.fft.irfft2(out_ft, s=(h, w))


def test_two_dimensional_fourier_layer_with_complex_weights_by_adam():
    rng = np.random.default_rng(35)
    start = rng.uniform(size=(2, 2, 2, 3, 3)) + 1j * rng.uniform(size=(2, 2, 2, 3, 3))

    def make():
        spectral, pointwise = SpectralConv2d(start, 3), nn.Conv2d(2, 2, 1)
        model = nn.ModuleDict({"spectral": spectral, "pointwise": pointwise})
        return made(model, torch.optim.Adam(model.parameters(), lr=1e-2),
                    lambda model, x, y: F.mse_loss(F.gelu(spectral(x) + pointwise(x)), y))
    compiled_like_eager(make, two_sizes(35, [(2, 2, 8, 8), (2, 2, 8, 8)],
                                        [(1, 2, 8, 8), (1, 2, 8, 8)]), traces=2,
                        fuse_modes=UNFUSED)


class HMM(nn.Module):
    def __init__(self, n_states, n_symbols):
        super().__init__()
        self.start = nn.Parameter(torch.zeros(n_states))
        self.transition = nn.Parameter(torch.eye(n_states) * 0.5)
        self.emission = nn.Parameter(torch.linspace(-1, 1, n_states * n_symbols)
                                     .view(n_states, n_symbols))

    def forward(self, obs):
        log_start = F.log_softmax(self.start, dim=0)
        log_trans = F.log_softmax(self.transition, dim=1)
        log_emit = F.log_softmax(self.emission, dim=1)
        alpha = log_start + log_emit[:, obs[:, 0]].T
        alphas = [alpha]
        for t in range(1, obs.shape[1]):
            scores = alpha.unsqueeze(2) + log_trans.unsqueeze(0)
            summed = scores[:, 0, :]
            for i in range(1, scores.shape[1]):
                summed = torch.logaddexp(summed, scores[:, i, :])
            alpha = summed + log_emit[:, obs[:, t]].T
            alphas.append(alpha)
        return torch.logsumexp(alpha, dim=1), torch.stack(alphas, dim=1)


def test_hmm_forward_algorithm_and_a_weighted_nll_ignoring_labels():
    def make():
        model = HMM(3, 3)
        class_weights = torch.tensor([1.0, 2.0, 0.5])

        def loss_of(model, obs, y):
            log_likelihood, alphas = model(obs)
            posteriors = F.log_softmax(alphas, dim=-1)
            tagging = F.nll_loss(posteriors.reshape(-1, 3), y.reshape(-1),
                                 weight=class_weights, ignore_index=-100)
            return -log_likelihood.mean() + tagging
        return made(model, torch.optim.Adam(model.parameters(), lr=0.05), loss_of)
    batches = two_sizes(36, [("int", 3, (2, 6)), ("int", 3, (2, 6))],
                        [("int", 3, (3, 4)), ("int", 3, (3, 4))])
    for _, labels in batches:
        labels[0, -2:] = -100               # ignored positions
    compiled_like_eager(make, batches, traces=2, fuse_modes=UNFUSED)


def test_kalman_filter_log_likelihood_learns_the_noise_scales():
    def make():
        log_q = torch.tensor(0.0, requires_grad=True)
        log_r = torch.tensor(0.0, requires_grad=True)
        F_ = torch.tensor([[1.0, 1.0], [0.0, 1.0]])
        H = torch.tensor([[1.0, 0.0]])
        optimizer = torch.optim.Adam([log_q, log_r], lr=0.1)

        def log_likelihood(ys):
            Q = torch.exp(log_q) * torch.eye(2)
            R = torch.exp(log_r) * torch.eye(1)
            x, P = torch.zeros(2, 1), torch.eye(2)
            total = 0.0
            for t in range(ys.shape[0]):
                x, P = F_ @ x, F_ @ P @ F_.T + Q
                innovation = ys[t].view(1, 1) - H @ x
                S = H @ P @ H.T + R
                total = total - 0.5 * (innovation.T @ torch.linalg.solve(S, innovation)
                                       + torch.logdet(S) + math.log(2 * math.pi)).squeeze()
                K = P @ H.T @ torch.linalg.inv(S)
                x = x + K @ innovation
                P = (torch.eye(2) - K @ H) @ P
            return total

        def step(ys):
            optimizer.zero_grad()
            loss = -log_likelihood(ys)
            loss.backward()
            optimizer.step()
            return loss
        return step, {"log_q": log_q, "log_r": log_r, "optimizer": optimizer}
    compiled_like_eager(make, two_sizes(37, [(8,)], [(5,)]), traces=2, fuse_modes=UNFUSED)
