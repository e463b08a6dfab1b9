"""The nineteenth round's scripts on linear algebra, spectra and log-space sums (see
test_torch_scripts_nineteenth.py for how they run): orthogonal Procrustes alignment of
two embeddings (``torch.linalg.svd(full_matrices=False)``, ``U @ Vh``) learned
through, the smallest eigenvalues of a graph Laplacian (``torch.linalg.eigh``) as a
spectral-clustering objective for an RBF bandwidth, a 2-D Fourier layer
(``torch.fft.rfft2`` / ``irfft2(s=)`` with complex weights on the low modes), a 1-D
decoder by ``F.conv_transpose1d(stride=2, output_padding=1)``, an HMM's forward
algorithm in log space by ``torch.logaddexp`` with a class-weighted ``F.nll_loss``
that ignores padded labels (``ignore_index``), and an analytic-signal envelope (the
Hilbert transform by ``torch.fft.fft``, a step multiplier, ``ifft`` and ``abs``)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1924)


def test_orthogonal_procrustes_alignment_learned_through_the_svd():
    source = DATA.normal(size=(10, 3))
    rotation = np.linalg.qr(DATA.normal(size=(3, 3)))[0]
    target = source @ rotation + 0.05 * DATA.normal(size=(10, 3))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        encoder = nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 3))
        copy_weights(encoder)
        optimizer = torch.optim.Adam(encoder.parameters(), lr=1e-2)
        x, y = torch.from_numpy(source), torch.from_numpy(target)
        losses = []
        for _ in range(3):
            z = encoder(x)
            U, S, Vh = torch.linalg.svd(z.T @ y, full_matrices=False)
            W = U @ Vh
            loss = F.mse_loss(z @ W, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, W.detach(), S.detach(), encoder
    side_by_side(script)


def test_laplacian_eigenvalues_as_a_spectral_clustering_objective():
    points = np.concatenate([DATA.normal(size=(4, 2)), DATA.normal(size=(4, 2)) + 4])

    def script(torch, copy_weights):
        X = torch.from_numpy(points)
        log_bandwidth = torch.tensor(0.5, requires_grad=True)
        optimizer = torch.optim.SGD([log_bandwidth], lr=0.1)
        history = []
        for _ in range(3):
            sq_dists = torch.cdist(X, X).pow(2)
            A = torch.exp(-sq_dists / (2 * torch.exp(log_bandwidth) ** 2))
            A = A - torch.diag(torch.diagonal(A))
            d = A.sum(dim=1)
            D_inv_sqrt = torch.diag(d.rsqrt())
            L = torch.eye(len(d)) - D_inv_sqrt @ A @ D_inv_sqrt
            eigenvalues, _ = torch.linalg.eigh(L)
            # two clusters: a small second eigenvalue, a large gap to the third
            loss = eigenvalues[1] - 0.5 * eigenvalues[2]
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), eigenvalues.detach()))
        return history, log_bandwidth
    side_by_side(script)


def test_two_dimensional_fourier_layer():
    fields = DATA.normal(size=(2, 2, 8, 8))
    targets = DATA.normal(size=(2, 2, 8, 8))
    start = DATA.uniform(size=(2, 2, 2, 3, 3)) + 1j * DATA.uniform(size=(2, 2, 2, 3, 3))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class SpectralConv2d(nn.Module):
            def __init__(self, channels, modes):
                super().__init__()
                self.modes = modes
                scale = 1 / (channels * channels)
                self.weights1 = nn.Parameter(scale * torch.tensor(start[0], dtype=torch.cdouble))
                self.weights2 = nn.Parameter(scale * torch.tensor(start[1], dtype=torch.cdouble))

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

        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.spectral = SpectralConv2d(2, 3)
                self.pointwise = nn.Conv2d(2, 2, 1)

            def forward(self, x):
                return F.gelu(self.spectral(x) + self.pointwise(x))

        model = Block()
        copy_weights(model.pointwise)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        x, y = torch.from_numpy(fields), torch.from_numpy(targets)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model.spectral.weights1.detach(), model.spectral.weights2.grad
    side_by_side(script)


def test_one_dimensional_decoder_by_functional_transposed_convolution():
    codes = DATA.normal(size=(2, 4, 5))
    signals = DATA.normal(size=(2, 1, 12))
    kernels = DATA.normal(size=(4, 3, 3)) * 0.3
    kernels_2 = DATA.normal(size=(3, 1, 3)) * 0.3

    def script(torch, copy_weights):
        F = torch.nn.functional
        w1 = torch.tensor(kernels, requires_grad=True)
        b1 = torch.zeros(3, requires_grad=True)
        w2 = torch.tensor(kernels_2, requires_grad=True)
        optimizer = torch.optim.SGD([w1, b1, w2], lr=0.05, momentum=0.9)
        z, y = torch.from_numpy(codes), torch.from_numpy(signals)
        losses = []
        for _ in range(3):
            h = F.leaky_relu(F.conv_transpose1d(z, w1, b1, stride=2, padding=1,
                                                output_padding=1), 0.2)
            out = F.conv_transpose1d(h, w2, stride=1, padding=0)
            loss = F.mse_loss(out, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, h.shape[-1], w1, b1, w2
    side_by_side(script)


def test_hmm_forward_algorithm_in_log_space_and_a_weighted_nll():
    observations = DATA.integers(0, 3, size=(2, 6))
    labels = np.array([[0, 1, 1, 2, -100, -100], [2, 2, 0, 1, 1, 0]])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

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

        model = HMM(3, 3)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
        class_weights = torch.tensor([1.0, 2.0, 0.5])
        obs, y = torch.from_numpy(observations), torch.from_numpy(labels)
        losses = []
        for _ in range(3):
            log_likelihood, alphas = model(obs)
            posteriors = F.log_softmax(alphas, dim=-1)
            tagging = F.nll_loss(posteriors.reshape(-1, 3), y.reshape(-1),
                                 weight=class_weights, ignore_index=-100)
            loss = -log_likelihood.mean() + tagging
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append((log_likelihood.detach(), tagging.item()))
        return losses, model
    side_by_side(script)


def test_analytic_signal_envelope_by_the_hilbert_transform():
    t = np.linspace(0, 1, 32, endpoint=False)
    carrier = np.sin(2 * np.pi * 8 * t)
    envelope = 1 + 0.5 * np.sin(2 * np.pi * t)

    def script(torch, copy_weights):
        def hilbert_envelope(x):
            n = x.shape[-1]
            Xf = torch.fft.fft(x)
            h = torch.zeros(n)
            h[0] = 1
            h[1:n // 2] = 2
            h[n // 2] = 1
            analytic = torch.fft.ifft(Xf * h)
            return analytic.abs()

        amplitude = torch.ones(32, requires_grad=True)
        optimizer = torch.optim.Adam([amplitude], lr=0.05)
        signal, target = torch.from_numpy(carrier), torch.from_numpy(envelope)
        losses = []
        for _ in range(4):
            loss = torch.mean((hilbert_envelope(amplitude * signal) - target) ** 2)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, amplitude
    side_by_side(script)
