"""A fourteenth round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights; values must agree (float64 to 1e-10).  Random parts take their
draws from NumPy so both runs see the same numbers.  Here, models: a U-Net block
(``ConvTranspose2d``, a skip concatenation, ``F.interpolate`` to match sizes), a
temporal convolutional network (causal dilated ``Conv1d`` by ``F.pad``), a Siamese
network trained by a hand-written contrastive loss over ``F.pairwise_distance``, a
capsule squash by ``torch.norm(dim=, keepdim=True)``, a neural ODE integrated by a
hand-written RK4 over ``nn.Module``s, a RealNVP flow (``torch.chunk`` couplings, the
log-determinant by ``sum``), a mixture density network (``MixtureSameFamily`` of
``Categorical`` and ``Normal``, checked against ``logsumexp``), a Gaussian process whose
marginal likelihood (``cholesky`` / ``cholesky_solve``) Adam optimises, Bayesian
logistic regression by ``Normal.rsample`` and ``kl_divergence``, and a Bahdanau
attention seq2seq (``bmm``, ``masked_fill``) decoded greedily by ``argmax`` and
``torch.cat`` (training utilities, losses and hooks: test_torch_scripts_fourteenth_training.py;
what the round found missing or different: _gaps.py)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1414)


def test_unet_block_with_transposed_convolution_skip_concat_and_interpolate():
    images = DATA.normal(size=(2, 1, 11, 13))
    masks = (DATA.random(size=(2, 1, 11, 13)) > 0.5).astype(float)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        def double_conv(c_in, c_out):
            return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out),
                                 nn.ReLU(inplace=True), nn.Conv2d(c_out, c_out, 3, padding=1),
                                 nn.ReLU(inplace=True))

        class Up(nn.Module):
            def __init__(self, c_in, c_out):
                super().__init__()
                self.up = nn.ConvTranspose2d(c_in, c_in // 2, kernel_size=2, stride=2)
                self.conv = double_conv(c_in, c_out)

            def forward(self, x1, x2):
                x1 = self.up(x1)
                if x1.shape[-2:] != x2.shape[-2:]:           # odd sizes: resize to the skip
                    x1 = F.interpolate(x1, size=x2.shape[-2:], mode="bilinear",
                                       align_corners=False)
                return self.conv(torch.cat([x2, x1], dim=1))

        class TinyUNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.inc = double_conv(1, 4)
                self.down = nn.Sequential(nn.MaxPool2d(2), double_conv(4, 8))
                self.up = Up(8, 4)
                self.outc = nn.Conv2d(4, 1, kernel_size=1)

            def forward(self, x):
                x1 = self.inc(x)
                return self.outc(self.up(self.down(x1), x1))

        model = TinyUNet()
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        x, y = torch.from_numpy(images), torch.from_numpy(masks)
        losses = []
        for _ in range(3):
            loss = F.binary_cross_entropy_with_logits(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            probabilities = torch.sigmoid(model(x))
        return losses, probabilities, model
    side_by_side(script)


def test_temporal_convolutional_network_with_causal_dilated_convolutions():
    series = DATA.normal(size=(4, 2, 16)).cumsum(-1) * 0.3

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class CausalConv1d(nn.Conv1d):
            def __init__(self, c_in, c_out, kernel_size, dilation):
                super().__init__(c_in, c_out, kernel_size, dilation=dilation)
                self.left = (kernel_size - 1) * dilation

            def forward(self, x):
                return super().forward(F.pad(x, (self.left, 0)))

        class TemporalBlock(nn.Module):
            def __init__(self, c_in, c_out, dilation):
                super().__init__()
                self.conv1 = CausalConv1d(c_in, c_out, 3, dilation)
                self.conv2 = CausalConv1d(c_out, c_out, 3, dilation)
                self.skip = nn.Conv1d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

            def forward(self, x):
                out = F.relu(self.conv2(F.relu(self.conv1(x))))
                return F.relu(out + self.skip(x))

        class TCN(nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks = nn.Sequential(*[TemporalBlock(2 if i == 0 else 6, 6, 2 ** i)
                                              for i in range(3)])
                self.head = nn.Conv1d(6, 2, 1)

            def forward(self, x):
                return self.head(self.blocks(x))

        model = TCN()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        x = torch.from_numpy(series)
        inputs, targets = x[..., :-1], x[..., 1:]          # predict the next step
        losses = []
        for _ in range(4):
            loss = F.mse_loss(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        # causality: a change at the last step leaves earlier outputs as they were
        changed = inputs.clone()
        changed[..., -1] += 10.0
        with torch.no_grad():
            leak = (model(changed)[..., :-1] - model(inputs)[..., :-1]).abs().max()
        return losses, leak, model
    side_by_side(script)


def test_siamese_network_with_a_hand_written_contrastive_loss():
    left, right = DATA.normal(size=(2, 6, 5))
    same = (DATA.random(6) > 0.5).astype(float)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class ContrastiveLoss(nn.Module):
            def __init__(self, margin=2.0):
                super().__init__()
                self.margin = margin

            def forward(self, out1, out2, label):
                distance = F.pairwise_distance(out1, out2, keepdim=True)
                return torch.mean(label * torch.pow(distance, 2)
                                  + (1 - label) * torch.pow(torch.clamp(self.margin - distance,
                                                                        min=0.0), 2))

        class Siamese(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))

            def forward(self, a, b):
                return self.embed(a), self.embed(b)

        model, criterion = Siamese(), ContrastiveLoss()
        copy_weights(model)
        optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-2)
        a, b = torch.from_numpy(left), torch.from_numpy(right)
        label = torch.from_numpy(same).unsqueeze(1)
        losses = []
        for _ in range(4):
            loss = criterion(*model(a, b), label)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            distances = F.pairwise_distance(*model(a, b), p=1.0, eps=1e-6)
            cosine = F.cosine_similarity(*model(a, b))
        return losses, distances, cosine, model
    side_by_side(script)


def test_capsule_squash_and_dynamic_routing_by_agreement():
    u_hat_values = DATA.normal(size=(2, 6, 3, 4))       # batch, input caps, output caps, dim

    def script(torch, copy_weights):
        F = torch.nn.functional

        def squash(s, dim=-1):
            norm = torch.norm(s, dim=dim, keepdim=True)
            return (norm ** 2 / (1 + norm ** 2)) * (s / (norm + 1e-8))

        u_hat = torch.from_numpy(u_hat_values).requires_grad_()
        b = torch.zeros(2, 6, 3)
        for iteration in range(3):
            c = F.softmax(b, dim=2)
            v = squash((c.unsqueeze(-1) * u_hat).sum(dim=1))   # batch, output caps, dim
            if iteration < 2:
                b = b + (u_hat * v.unsqueeze(1)).sum(-1)
        lengths = v.norm(dim=-1)
        margin_loss = (F.relu(0.9 - lengths) ** 2).sum(-1).mean()
        margin_loss.backward()
        return v, lengths, margin_loss, u_hat.grad
    side_by_side(script)


def test_neural_ode_by_a_hand_written_rk4_integrator():
    start = DATA.normal(size=(5, 2))
    times = np.linspace(0.0, 1.0, 6)
    true_path = np.stack([start * np.exp(-t) for t in times])

    def script(torch, copy_weights):
        nn = torch.nn

        class ODEFunc(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))

            def forward(self, t, y):
                return self.net(y)

        def rk4(func, y0, t):
            ys = [y0]
            for t0, t1 in zip(t[:-1], t[1:]):
                h, y = t1 - t0, ys[-1]
                k1 = func(t0, y)
                k2 = func(t0 + h / 2, y + h * k1 / 2)
                k3 = func(t0 + h / 2, y + h * k2 / 2)
                k4 = func(t1, y + h * k3)
                ys.append(y + h * (k1 + 2 * k2 + 2 * k3 + k4) / 6)
            return torch.stack(ys)

        func = ODEFunc()
        copy_weights(func)
        optimizer = torch.optim.Adam(func.parameters(), lr=1e-2)
        y0, t = torch.from_numpy(start), torch.from_numpy(times)
        target = torch.from_numpy(true_path)
        losses = []
        for _ in range(3):
            loss = torch.mean(torch.abs(rk4(func, y0, t) - target))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, rk4(func, y0, t).detach(), func
    side_by_side(script)


def test_realnvp_coupling_layers_with_chunk_and_a_summed_log_determinant():
    points = DATA.normal(size=(16, 4)) @ np.array([[1.0, 0.5, 0, 0], [0, 1, 0.3, 0],
                                                   [0, 0, 1, 0.2], [0, 0, 0, 1]])

    def script(torch, copy_weights):
        nn = torch.nn
        D = torch.distributions

        class Coupling(nn.Module):
            def __init__(self, dim, flip):
                super().__init__()
                self.flip = flip
                self.net = nn.Sequential(nn.Linear(dim // 2, 16), nn.ReLU(),
                                         nn.Linear(16, dim))

            def forward(self, x):
                x1, x2 = x.chunk(2, dim=1)
                if self.flip:
                    x1, x2 = x2, x1
                log_s, t = self.net(x1).chunk(2, dim=1)
                log_s = torch.tanh(log_s)
                y2 = x2 * torch.exp(log_s) + t
                y = torch.cat([y2, x1] if self.flip else [x1, y2], dim=1)
                return y, log_s.sum(dim=1)

            def inverse(self, y):
                y1, y2 = y.chunk(2, dim=1)
                if self.flip:
                    y1, y2 = y2, y1
                log_s, t = self.net(y1).chunk(2, dim=1)
                x2 = (y2 - t) * torch.exp(-torch.tanh(log_s))
                return torch.cat([x2, y1] if self.flip else [y1, x2], dim=1)

        class RealNVP(nn.Module):
            def __init__(self, dim=4, n_layers=4):
                super().__init__()
                self.layers = nn.ModuleList(Coupling(dim, i % 2 == 1) for i in range(n_layers))
                self.prior = D.MultivariateNormal(torch.zeros(dim), torch.eye(dim))

            def log_prob(self, x):
                log_det = torch.zeros(x.shape[0])
                for layer in self.layers:
                    x, ld = layer(x)
                    log_det = log_det + ld
                return self.prior.log_prob(x) + log_det

            def inverse(self, z):
                for layer in reversed(self.layers):
                    z = layer.inverse(z)
                return z

        flow = RealNVP()
        copy_weights(flow)
        optimizer = torch.optim.Adam(flow.parameters(), lr=5e-3)
        x = torch.from_numpy(points)
        losses = []
        for _ in range(4):
            loss = -flow.log_prob(x).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            z = x
            for layer in flow.layers:
                z, _ = layer(z)
            round_trip = (flow.inverse(z) - x).abs().max()
        return losses, z, round_trip, flow
    side_by_side(script)


def test_mixture_density_network_with_mixture_same_family():
    xs = np.linspace(-1, 1, 20)[:, None]
    ys = np.sin(3 * xs) + 0.1 * DATA.normal(size=(20, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        D = torch.distributions

        class MDN(nn.Module):
            def __init__(self, n_components=3):
                super().__init__()
                self.hidden = nn.Sequential(nn.Linear(1, 12), nn.Tanh())
                self.pi = nn.Linear(12, n_components)
                self.mu = nn.Linear(12, n_components)
                self.log_sigma = nn.Linear(12, n_components)

            def forward(self, x):
                h = self.hidden(x)
                return self.pi(h), self.mu(h), self.log_sigma(h).exp()

        model = MDN()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        x, y = torch.from_numpy(xs), torch.from_numpy(ys)
        losses, by_hand = [], []
        for _ in range(4):
            logits, mu, sigma = model(x)
            mixture = D.MixtureSameFamily(D.Categorical(logits=logits), D.Normal(mu, sigma))
            loss = -mixture.log_prob(y.squeeze(-1)).mean()
            # the same likelihood written out: logsumexp of log pi + log N
            log_pi = F.log_softmax(logits, dim=-1)
            by_hand.append(-torch.logsumexp(log_pi + D.Normal(mu, sigma).log_prob(y), dim=-1)
                           .mean().item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            logits, mu, sigma = model(x)
            mixture = D.MixtureSameFamily(D.Categorical(logits=logits), D.Normal(mu, sigma))
            moments = (mixture.mean, mixture.variance)
            cdf = mixture.cdf(y.squeeze(-1))
        return losses, by_hand, moments, cdf, model
    side_by_side(script)


def test_gaussian_process_marginal_likelihood_optimised_by_adam():
    train_x = np.sort(DATA.uniform(-3, 3, size=12))
    train_y = np.sin(train_x) + 0.1 * DATA.normal(size=12)
    test_x = np.linspace(-3, 3, 7)

    def script(torch, copy_weights):
        log_length = torch.tensor(0.0, requires_grad=True)
        log_scale = torch.tensor(0.0, requires_grad=True)
        log_noise = torch.tensor(-2.0, requires_grad=True)

        def rbf(a, b):
            sq = (a[:, None] - b[None, :]) ** 2
            return log_scale.exp() ** 2 * torch.exp(-0.5 * sq / log_length.exp() ** 2)

        x, y = torch.from_numpy(train_x), torch.from_numpy(train_y)
        optimizer = torch.optim.Adam([log_length, log_scale, log_noise], lr=0.05)
        n = x.shape[0]
        nlls = []
        for _ in range(5):
            K = rbf(x, x) + log_noise.exp() ** 2 * torch.eye(n)
            L = torch.linalg.cholesky(K)
            alpha = torch.cholesky_solve(y.unsqueeze(-1), L)
            nll = (0.5 * (y.unsqueeze(-1) * alpha).sum() + torch.log(torch.diagonal(L)).sum()
                   + 0.5 * n * np.log(2 * np.pi))
            optimizer.zero_grad()
            nll.backward()
            optimizer.step()
            nlls.append(nll.item())
        with torch.no_grad():
            K = rbf(x, x) + log_noise.exp() ** 2 * torch.eye(n)
            L = torch.linalg.cholesky(K)
            xs = torch.from_numpy(test_x)
            K_s = rbf(x, xs)
            mean = K_s.T @ torch.cholesky_solve(y.unsqueeze(-1), L)
            v = torch.linalg.solve_triangular(L, K_s, upper=False)
            variance = torch.diag(rbf(xs, xs)) - (v ** 2).sum(0)
        return nlls, mean.squeeze(-1), variance, [log_length, log_scale, log_noise]
    side_by_side(script)


def test_bayesian_logistic_regression_by_rsample_and_kl_divergence():
    features = DATA.normal(size=(30, 3))
    labels = (features @ np.array([1.0, -2.0, 0.5]) + 0.3 * DATA.normal(size=30) > 0) * 1.0
    eps = DATA.normal(size=(5, 4))

    def script(torch, copy_weights):
        F = torch.nn.functional
        D = torch.distributions
        loc = torch.zeros(4, requires_grad=True)
        raw_scale = torch.full((4,), -1.0, requires_grad=True)
        prior = D.Normal(torch.zeros(4), torch.ones(4))
        x = torch.cat([torch.from_numpy(features), torch.ones(30, 1)], dim=1)
        y = torch.from_numpy(labels)
        optimizer = torch.optim.Adam([loc, raw_scale], lr=0.05)
        elbos = []
        for step in range(5):
            q = D.Normal(loc, F.softplus(raw_scale))
            w = loc + F.softplus(raw_scale) * torch.from_numpy(eps[step])  # rsample's formula
            log_lik = -F.binary_cross_entropy_with_logits(x @ w, y, reduction="sum")
            kl = D.kl_divergence(q, prior).sum()
            loss = -(log_lik - kl)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            elbos.append(-loss.item())
        # rsample itself is random: its shape, and a gradient of one per draw to loc
        draws = D.Normal(loc, F.softplus(raw_scale)).rsample((7,))
        loc.grad = None
        draws.sum().backward()
        elbos.append(list(draws.shape))
        q = D.Normal(loc, F.softplus(raw_scale))
        return elbos, loc.grad, q.mean, q.stddev, q.entropy(), [loc, raw_scale]
    side_by_side(script)


def test_bahdanau_attention_seq2seq_with_greedy_decoding():
    source = DATA.integers(1, 9, size=(3, 6))
    lengths = np.array([6, 4, 3])
    target = DATA.integers(1, 9, size=(3, 5))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class BahdanauAttention(nn.Module):
            def __init__(self, hidden):
                super().__init__()
                self.W_q = nn.Linear(hidden, hidden, bias=False)
                self.W_k = nn.Linear(hidden, hidden, bias=False)
                self.v = nn.Linear(hidden, 1, bias=False)

            def forward(self, query, keys, mask):
                scores = self.v(torch.tanh(self.W_q(query).unsqueeze(1) + self.W_k(keys)))
                scores = scores.squeeze(2).masked_fill(~mask, float("-inf"))
                weights = F.softmax(scores, dim=-1)
                context = torch.bmm(weights.unsqueeze(1), keys).squeeze(1)
                return context, weights

        class Seq2Seq(nn.Module):
            def __init__(self, vocab=10, hidden=8):
                super().__init__()
                self.embed = nn.Embedding(vocab, hidden)
                self.encoder = nn.GRU(hidden, hidden, batch_first=True)
                self.attention = BahdanauAttention(hidden)
                self.cell = nn.GRUCell(2 * hidden, hidden)
                self.out = nn.Linear(2 * hidden, vocab)

            def step(self, token, h, keys, mask):
                context, weights = self.attention(h, keys, mask)
                h = self.cell(torch.cat([self.embed(token), context], dim=-1), h)
                return self.out(torch.cat([h, context], dim=-1)), h, weights

            def forward(self, src, mask, tgt):
                keys, h = self.encoder(self.embed(src))
                h = h.squeeze(0)
                token = torch.zeros(src.shape[0], dtype=torch.long)   # <sos> = 0
                logits = []
                for t in range(tgt.shape[1]):                          # teacher forcing
                    step_logits, h, _ = self.step(token, h, keys, mask)
                    logits.append(step_logits)
                    token = tgt[:, t]
                return torch.stack(logits, dim=1)

            @torch.no_grad()
            def greedy(self, src, mask, steps):
                keys, h = self.encoder(self.embed(src))
                h = h.squeeze(0)
                tokens = torch.zeros(src.shape[0], 1, dtype=torch.long)
                attention = []
                for _ in range(steps):
                    logits, h, weights = self.step(tokens[:, -1], h, keys, mask)
                    tokens = torch.cat([tokens, logits.argmax(dim=-1, keepdim=True)], dim=1)
                    attention.append(weights)
                return tokens[:, 1:], torch.stack(attention, dim=1)

        model = Seq2Seq()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        src, tgt = torch.from_numpy(source), torch.from_numpy(target)
        mask = torch.arange(6)[None, :] < torch.from_numpy(lengths)[:, None]
        losses = []
        for _ in range(3):
            logits = model(src, mask, tgt)
            loss = F.cross_entropy(logits.reshape(-1, 10), tgt.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            losses.append(loss.item())
        tokens, attention = model.greedy(src, mask, 4)
        return losses, tokens, attention, model
    side_by_side(script)
