"""A twenty-first round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights; values must agree (float64 to 1e-10).  Random parts take their
draws from NumPy so both runs see the same numbers.  Here, numerical linear algebra and
signal processing as scripts use them: Gaussian-process regression whose kernel is
factored by ``torch.linalg.cholesky_ex`` (its ``info`` checked) and solved by
``cholesky_solve`` and ``solve_triangular``, ridge regression whose regulariser is
learned on held-out data through ``torch.linalg.lu_factor`` / ``lu_solve`` with several
right-hand sides, a polynomial fit by ``torch.linalg.lstsq(driver='gelsd')`` of a
``torch.linalg.vander`` matrix, conditioning diagnostics (``torch.linalg.cond``,
``matrix_rank``, ``inv_ex``) beside a Newton-Schulz inverse, SN-GAN's power iteration
written with ``torch.mv``, ``torch.dot``, ``torch.inner`` and ``torch.ger``, speech
enhancement by a learned mask between ``torch.stft`` and ``torch.istft(length=)``, a
focal frequency loss on centred spectra (``torch.fft.fftshift`` / ``ifftshift``),
cyclical calendar features from timestamps (``torch.frac``, ``torch.floor_divide``,
``torch.trunc``, ``torch.round(decimals=)``) and a diversity penalty by ``F.pdist``.
(Models and training: _models.py; less common options of layers and losses:
_options.py; probabilistic models: _probabilistic.py; architectures not met before:
_architectures.py; memory, relations and operators: _memory.py; more: _more.py; what
the round found: _gaps.py.)
Of the round's 71 scripts, 64 ran unchanged (one after a change to the test around it:
``torch.cond``'s script compares the bias's gradient, a Linear weight being (in, out)
here).  Two needed the library fixed: the polynomial fit's
``torch.linalg.lstsq(driver='gelsd')`` and fine-tuning's ``model.classifier`` of a
``Sequential`` built from an ``OrderedDict``.  One is written with ``as_tuple=False``,
which the warning now given by ``torch.nonzero(mask)`` names (anchor matching).  Four
are written in the spelling this library's errors or warnings name, as earlier rounds
decided: ``torch.maximum`` for the pinball loss's ``torch.max`` of two tensors,
``y.std(correction=1)`` in the neural SDE (``std()`` divides by n here, with a warning),
``iou.split(n, dim=1)`` and ``tile`` in the Tree-LSTM (``torch.split`` is NumPy's:
unpacked into PyTorch's three names it now raises, naming ``x.split``; ``repeat(1, 1)``
is refused as ambiguous), and function forms inside the
spiking network's ``autograd.Function`` (its ``forward`` and ``backward`` receive NumPy
arrays: ``(m > 0) * 1.0``, ``torch.abs(m)``)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2021)


def test_gaussian_process_regression_by_cholesky_ex_and_cholesky_solve():
    train_x = DATA.uniform(-2, 2, size=(15, 1))
    train_y = np.sin(2 * train_x[:, 0]) + 0.1 * DATA.normal(size=15)
    test_x = np.linspace(-2, 2, 7).reshape(-1, 1)

    def script(torch, copy_weights):
        x, y, xs = torch.from_numpy(train_x), torch.from_numpy(train_y), torch.from_numpy(test_x)
        log_lengthscale = torch.zeros(1, requires_grad=True)
        log_noise = torch.full((1,), -2.0, requires_grad=True)
        optimizer = torch.optim.Adam([log_lengthscale, log_noise], lr=0.1)

        def kernel(a, b):
            return torch.exp(-0.5 * torch.cdist(a, b) ** 2 / log_lengthscale.exp() ** 2)

        history = []
        for _ in range(4):
            K = kernel(x, x) + log_noise.exp() * torch.eye(len(x))
            L, info = torch.linalg.cholesky_ex(K)
            assert info.item() == 0
            alpha = torch.cholesky_solve(y.unsqueeze(-1), L)
            nll = 0.5 * (y.unsqueeze(-1) * alpha).sum() + L.diagonal().log().sum() \
                + 0.5 * len(x) * np.log(2 * np.pi)
            optimizer.zero_grad()
            nll.backward()
            optimizer.step()
            history.append((nll.item(), info))
        with torch.no_grad():
            Ks = kernel(x, xs)
            mean = (Ks.T @ alpha).squeeze(-1)
            v = torch.linalg.solve_triangular(L, Ks, upper=False)
            variance = 1.0 - (v * v).sum(dim=0)
        return history, log_lengthscale, log_noise, mean, variance
    side_by_side(script)


def test_ridge_regulariser_learned_on_held_out_data_through_lu_factor_and_lu_solve():
    features = DATA.normal(size=(40, 5))
    weights = DATA.normal(size=(5, 3))
    targets = features @ weights + 0.5 * DATA.normal(size=(40, 3))

    def script(torch, copy_weights):
        X, Y = torch.from_numpy(features[:30]), torch.from_numpy(targets[:30])
        X_val, Y_val = torch.from_numpy(features[30:]), torch.from_numpy(targets[30:])
        log_lam = torch.tensor(0.5, requires_grad=True)
        optimizer = torch.optim.SGD([log_lam], lr=0.2)
        history = []
        for _ in range(4):
            A = X.T @ X + log_lam.exp() * torch.eye(5)
            LU, pivots = torch.linalg.lu_factor(A)
            W = torch.linalg.lu_solve(LU, pivots, X.T @ Y)
            val_loss = ((X_val @ W - Y_val) ** 2).mean()
            optimizer.zero_grad()
            val_loss.backward()
            optimizer.step()
            history.append((val_loss.item(), W.detach(), pivots))
        return history, log_lam
    side_by_side(script)


def test_polynomial_fit_by_lstsq_gelsd_of_a_vandermonde_matrix_with_a_learned_warp():
    inputs = np.linspace(0.1, 1.0, 20)
    targets = np.log1p(3 * inputs) + 0.01 * DATA.normal(size=20)

    def script(torch, copy_weights):
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        log_power = torch.tensor(0.0, requires_grad=True)
        optimizer = torch.optim.SGD([log_power], lr=0.5)
        history = []
        for _ in range(3):
            warped = x ** log_power.exp()
            V = torch.linalg.vander(warped, N=3)
            coefficients = torch.linalg.lstsq(V, y.unsqueeze(-1), driver="gelsd").solution
            residual = ((V @ coefficients).squeeze(-1) - y).pow(2).sum()
            optimizer.zero_grad()
            residual.backward()
            optimizer.step()
            history.append((residual.item(), coefficients.detach()))
        return history, log_power
    side_by_side(script)


def test_conditioning_diagnostics_beside_a_newton_schulz_inverse():
    matrices = DATA.normal(size=(3, 4, 4)) + 4 * np.eye(4)
    singular = np.outer(np.arange(1.0, 5.0), np.ones(4))

    def script(torch, copy_weights):
        A = torch.from_numpy(matrices)
        condition = torch.linalg.cond(A)
        rank = torch.linalg.matrix_rank(torch.from_numpy(singular))
        inverse, info = torch.linalg.inv_ex(A)
        X = A.transpose(-2, -1) / (torch.linalg.matrix_norm(A, ord=1, keepdim=True)
                                   * torch.linalg.matrix_norm(A, ord=float("inf"),
                                                              keepdim=True))
        for _ in range(30):
            X = X @ (2 * torch.eye(4) - A @ X)
        return condition, rank, inverse, info, X
    side_by_side(script)


def test_spectral_normalisation_by_power_iteration_with_mv_dot_inner_and_ger():
    start = DATA.normal(size=(6, 4))
    u0 = DATA.normal(size=6)
    inputs = DATA.normal(size=(10, 4))

    def script(torch, copy_weights):
        F = torch.nn.functional
        W = torch.nn.Parameter(torch.tensor(start))
        u = F.normalize(torch.from_numpy(u0), dim=0)
        optimizer = torch.optim.SGD([W], lr=0.05)
        x = torch.from_numpy(inputs)
        history = []
        for _ in range(3):
            with torch.no_grad():
                v = F.normalize(torch.mv(W.t(), u), dim=0)
                u = F.normalize(torch.mv(W, v), dim=0)
            sigma = torch.dot(u, torch.mv(W, v))
            W_sn = W / sigma
            loss = (x @ W_sn.t()).tanh().pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                second = W - sigma * torch.ger(u, v)
                agreement = torch.inner(u, torch.mv(W, v))
            history.append((sigma.item(), loss.item(), second, agreement))
        return history, W
    side_by_side(script)


def test_speech_enhancement_by_a_learned_mask_between_stft_and_istft():
    t = np.arange(400) / 400
    clean = np.sin(2 * np.pi * 12 * t) + 0.5 * np.sin(2 * np.pi * 40 * t)
    noisy = clean + 0.3 * DATA.normal(size=400)

    def script(torch, copy_weights):
        n_fft, hop = 64, 16
        window = torch.hann_window(n_fft)
        masker = torch.nn.Linear(n_fft // 2 + 1, n_fft // 2 + 1)
        copy_weights(masker)
        optimizer = torch.optim.Adam(masker.parameters(), lr=0.01)
        x, target = torch.from_numpy(noisy), torch.from_numpy(clean)
        losses = []
        for _ in range(3):
            spec = torch.stft(x, n_fft, hop_length=hop, window=window, return_complex=True)
            log_magnitude = torch.log1p(spec.abs())
            mask = torch.sigmoid(masker(log_magnitude.T)).T
            estimate = torch.istft(spec * mask, n_fft, hop_length=hop, window=window,
                                   length=len(x))
            loss = torch.nn.functional.l1_loss(estimate, target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, estimate.detach(), masker
    side_by_side(script)


def test_focal_frequency_loss_on_centred_spectra_with_fftshift():
    target_image = DATA.normal(size=(1, 8, 8))
    start = DATA.normal(size=(1, 8, 8))

    def script(torch, copy_weights):
        image = torch.tensor(start, requires_grad=True)
        target = torch.from_numpy(target_image)
        ys, xs = torch.meshgrid(torch.arange(8.0) - 4, torch.arange(8.0) - 4, indexing="ij")
        low_pass = (ys ** 2 + xs ** 2 <= 9).to(torch.float64)
        optimizer = torch.optim.SGD([image], lr=0.01)
        history = []
        for _ in range(3):
            centred = torch.fft.fftshift(torch.fft.fft2(image), dim=(-2, -1))
            goal = torch.fft.fftshift(torch.fft.fft2(target), dim=(-2, -1))
            distance = (centred - goal).abs() ** 2
            weight = distance.detach().sqrt()
            weight = weight / weight.max()
            loss = (weight * distance).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            smooth = torch.fft.ifft2(torch.fft.ifftshift(centred * low_pass,
                                                         dim=(-2, -1))).real
            history.append((loss.item(), smooth.detach()))
        return history, image
    side_by_side(script)


def test_cyclical_calendar_features_from_timestamps():
    hours = np.sort(DATA.uniform(0, 24 * 14, size=50))
    demand = 10 + 3 * np.sin(2 * np.pi * hours / 24) + (hours // 24 % 7 >= 5) * 2 \
        + 0.2 * DATA.normal(size=50)

    def script(torch, copy_weights):
        t = torch.from_numpy(hours)
        day = torch.floor_divide(t, 24)
        weekday = torch.remainder(day, 7)
        hour_of_day = torch.frac(t / 24) * 24
        whole_hour = torch.trunc(hour_of_day)
        phase = 2 * np.pi * torch.round(hour_of_day / 24, decimals=2)
        features = torch.stack([torch.sin(phase), torch.cos(phase),
                                (weekday >= 5).to(t.dtype), whole_hour / 24], dim=1)
        model = torch.nn.Linear(4, 1)
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        y = torch.from_numpy(demand).unsqueeze(1)
        losses = []
        for _ in range(4):
            loss = torch.nn.functional.mse_loss(model(features), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, features, day, model
    side_by_side(script)


def test_diversity_penalty_on_generated_samples_by_pdist():
    noise = DATA.normal(size=(8, 3))

    def script(torch, copy_weights):
        F = torch.nn.functional
        generator = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(),
                                        torch.nn.Linear(16, 2))
        copy_weights(generator)
        optimizer = torch.optim.Adam(generator.parameters(), lr=0.01)
        z = torch.from_numpy(noise)
        history = []
        for _ in range(3):
            samples = generator(z)
            pairwise = F.pdist(samples)
            spread = torch.exp(-pairwise ** 2).mean()
            centre = samples.mean(dim=0).pow(2).sum()
            loss = spread + centre
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), pairwise.detach()))
        return history, generator
    side_by_side(script)
