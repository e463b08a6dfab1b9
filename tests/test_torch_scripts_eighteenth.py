"""An eighteenth round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights; values must agree (float64 to 1e-10).  Random parts take their
draws from NumPy so both runs see the same numbers.  Here, layers, optimizers and
schedules met less often: a Fourier neural operator (complex ``cdouble`` spectral
weights by ``nn.Parameter``, ``fft.rfft`` / ``irfft(n=)``, a complex ``einsum``, Adam
with weight decay on complex parameters), ``RNNCell(nonlinearity='relu')`` and
``GRUCell(bias=False)`` unrolled by ``split(1, dim=0)``, ``Adafactor`` (its state read
by ``optimizer.state[p]``: the optimizer's ``state_dict()`` is flat here, and a
``Linear`` weight's ``row_var`` is PyTorch's ``col_var``, the weight being ``(in, out)``),
``clip_grad_norm_`` by the infinity norm spelt three ways, ``ReduceLROnPlateau(
mode='max', threshold_mode='abs', cooldown=, min_lr=)`` on an accuracy, ``pdist`` in a
diversity penalty, and sliding windows for a forecaster (``as_strided`` is refused here,
naming ``unfold``, which gives its values and gradient).  (Models from papers:
_models.py; training: _training.py; more models: _more.py; losses: _losses.py; what the
round found: _gaps.py.)  Every script here ran unchanged but the Adafactor state read
and the ``as_strided`` windows."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1818)


def test_fourier_neural_operator_with_complex_spectral_weights():
    grid = np.linspace(0, 1, 16, endpoint=False)
    inputs = np.stack([np.sin(2 * math.pi * (k + 1) * grid) for k in range(4)])[:, None]
    targets = np.cumsum(inputs, axis=-1) / 16
    weights = DATA.uniform(size=(2, 3, 3, 4)) + 1j * DATA.uniform(size=(2, 3, 3, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class SpectralConv1d(nn.Module):
            def __init__(self, in_channels, out_channels, modes, start):
                super().__init__()
                self.modes = modes
                self.scale = 1 / (in_channels * out_channels)
                self.weights = nn.Parameter(
                    self.scale * torch.tensor(start, dtype=torch.cdouble))

            def compl_mul1d(self, input, weights):
                return torch.einsum("bix,iox->box", input, weights)

            def forward(self, x):
                batchsize = x.shape[0]
                x_ft = torch.fft.rfft(x)
                out_ft = torch.zeros(batchsize, self.weights.shape[1], x.size(-1) // 2 + 1,
                                     dtype=torch.cdouble)
                out_ft[:, :, :self.modes] = self.compl_mul1d(x_ft[:, :, :self.modes],
                                                             self.weights)
                return torch.fft.irfft(out_ft, n=x.size(-1))

        class FNO1d(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc0 = nn.Linear(1, 3)
                self.conv0 = SpectralConv1d(3, 3, 4, weights[0])
                self.w0 = nn.Conv1d(3, 3, 1)
                self.conv1 = SpectralConv1d(3, 3, 4, weights[1])
                self.w1 = nn.Conv1d(3, 3, 1)
                self.fc1 = nn.Linear(3, 1)

            def forward(self, x):
                x = self.fc0(x.permute(0, 2, 1)).permute(0, 2, 1)
                x = F.gelu(self.conv0(x) + self.w0(x))
                x = self.conv1(x) + self.w1(x)
                return self.fc1(x.permute(0, 2, 1)).permute(0, 2, 1)

        model = FNO1d()
        copy_weights(model.fc0, model.w0, model.w1, model.fc1)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        losses = []
        for _ in range(4):
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model.conv0.weights.detach(), model.conv1.weights.grad
    side_by_side(script)


def test_rnn_cell_unrolled_by_hand_for_sequence_prediction():
    sequences = DATA.normal(size=(5, 3, 2))
    targets = DATA.normal(size=(5, 3, 1))

    def script(torch, copy_weights):
        nn = torch.nn

        class Predictor(nn.Module):
            def __init__(self):
                super().__init__()
                self.cell1 = nn.RNNCell(2, 6, nonlinearity="relu")
                self.cell2 = nn.GRUCell(6, 4, bias=False)
                self.linear = nn.Linear(4, 1)

            def forward(self, input, future=0):
                outputs = []
                h1 = torch.zeros(input.size(1), 6)
                h2 = torch.zeros(input.size(1), 4)
                for input_t in input.split(1, dim=0):
                    h1 = self.cell1(input_t.squeeze(0), h1)
                    h2 = self.cell2(h1, h2)
                    outputs += [self.linear(h2)]
                return torch.stack(outputs, 0)

        model = Predictor()
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
        criterion = nn.MSELoss()
        x, y = torch.from_numpy(sequences), torch.from_numpy(targets)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model
    side_by_side(script)


def test_adafactor_training_a_small_regressor():
    xs, ys = DATA.normal(size=(16, 5)), DATA.normal(size=(16, 2))

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(5, 6), nn.SiLU(), nn.Linear(6, 2))
        copy_weights(model)
        optimizer = torch.optim.Adafactor(model.parameters(), lr=1e-2, weight_decay=1e-2)
        x, y = torch.from_numpy(xs), torch.from_numpy(ys)
        losses = []
        for _ in range(5):
            optimizer.zero_grad()
            loss = nn.functional.smooth_l1_loss(model(x), y, beta=0.5)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model, optimizer.state[model[0].bias]["variance"]
    side_by_side(script)


def test_clip_grad_norm_by_the_infinity_norm():
    xs, ys = DATA.normal(size=(8, 4)) * 5, DATA.normal(size=(8, 1))

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 1))
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
        norms = []
        for norm_type in [float("inf"), "inf", math.inf]:
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(torch.from_numpy(xs)), torch.from_numpy(ys))
            loss.backward()
            total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5,
                                             norm_type=norm_type)
            norms.append(total)
            optimizer.step()
        return norms, model
    side_by_side(script)


def test_reduce_lr_on_plateau_on_validation_accuracy():
    xs, labels = DATA.normal(size=(12, 3)), DATA.integers(0, 2, size=12)
    accuracies = [0.5, 0.6, 0.6, 0.61, 0.605, 0.59, 0.7, 0.7, 0.7, 0.7, 0.7, 0.71]

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Linear(3, 2)
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="max", factor=0.5, patience=1, threshold=0.02,
            threshold_mode="abs", cooldown=1, min_lr=0.02)
        lrs = []
        for accuracy in accuracies:
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(torch.from_numpy(xs)),
                                        torch.from_numpy(labels)).backward()
            optimizer.step()
            scheduler.step(accuracy)
            lrs.append(scheduler.get_last_lr()[0])
        return lrs, scheduler.best, scheduler.num_bad_epochs, model
    side_by_side(script)


def test_diversity_penalty_by_pairwise_distances():
    xs = DATA.normal(size=(6, 4))

    def script(torch, copy_weights):
        nn = torch.nn
        encoder = nn.Sequential(nn.Linear(4, 3), nn.Tanh())
        copy_weights(encoder)
        z = encoder(torch.from_numpy(xs))
        z.retain_grad()
        distances = torch.pdist(z)
        manhattan = nn.functional.pdist(z, p=1)
        penalty = -distances.mean() + 0.1 * manhattan.pow(2).sum()
        penalty.backward()
        return distances, manhattan, z.grad, encoder[0].bias.grad
    side_by_side(script)


def test_sliding_windows_for_a_forecaster_by_unfold_and_as_strided():
    series = np.sin(np.linspace(0, 6, 20)) + 0.1 * DATA.normal(size=20)

    def script(torch, copy_weights):
        nn = torch.nn
        s = torch.from_numpy(series)
        window = 5
        n = s.numel() - window
        strided = s.as_strided((n, window), (1, 1))     # (here a read-only copy)
        windows = s.unfold(0, window, 1)[:n]
        assert strided.equal(windows)
        targets = s[window:]
        model = nn.Linear(window, 1)
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = nn.functional.l1_loss(model(windows).squeeze(-1), targets)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        overlap = torch.zeros(20, requires_grad=True)
        overlap.unfold(0, window, 1).sum().backward()
        return losses, model, overlap.grad
    side_by_side(script)
