"""The nineteenth round's sequence scripts (see test_torch_scripts_nineteenth.py for how
they run): the word-language-model example's ``repackage_hidden`` (an LSTM's ``(h,
c)`` detached between batches by a function that recurses into the tuple) with
truncated backpropagation through time over a ``batch_first`` LSTM, greedy decoding
with a key/value cache (``torch.cat`` onto the cache each step) checked against the
full causal pass, a WaveNet stack (causal ``F.pad`` on the left, dilated ``Conv1d``,
the gated ``tanh * sigmoid`` unit, residual and skip sums), a Perceiver's
cross-attention from a learned latent array (``expand(B, -1, -1)``) into the input
through ``nn.MultiheadAttention(kdim=, vdim=, batch_first=True)``, soft-DTW (the
dynamic programme filled in a list of lists, the soft minimum by ``logsumexp``), a
Kalman filter's log-likelihood differentiated with respect to its noise scales
(``torch.linalg.solve``, ``torch.logdet``), causal linear attention (the ``elu + 1``
feature map, running sums by ``cumsum``, ``einsum``), a selective scan (input-dependent
``softplus`` step sizes, ``exp(dt * A)`` decay, a Python loop over time) and T5's
relative-position buckets (``torch.log`` of distances, ``torch.where``, an
``nn.Embedding`` of biases added to the attention scores)."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

import autodiff as ad  # noqa: E402

DATA = np.random.default_rng(1920)


def test_word_language_model_with_repackage_hidden_and_truncated_bptt():
    corpus = DATA.integers(0, 11, size=(2, 25))

    def script(torch, copy_weights):
        nn = torch.nn

        class RNNModel(nn.Module):
            def __init__(self, ntoken, ninp, nhid, nlayers):
                super().__init__()
                self.encoder = nn.Embedding(ntoken, ninp)
                self.rnn = nn.LSTM(ninp, nhid, nlayers, batch_first=True)
                self.decoder = nn.Linear(nhid, ntoken)
                self.nlayers, self.nhid = nlayers, nhid

            def forward(self, input, hidden):
                output, hidden = self.rnn(self.encoder(input), hidden)
                return self.decoder(output), hidden

            def init_hidden(self, bsz):
                weight = next(self.parameters())
                return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                        weight.new_zeros(self.nlayers, bsz, self.nhid))

        def repackage_hidden(h):
            """Wraps hidden states in new Tensors, to detach them from their history."""
            if isinstance(h, torch.Tensor):
                return h.detach()
            return tuple(repackage_hidden(v) for v in h)

        model = RNNModel(11, 5, 6, 2)
        copy_weights(model)
        criterion = nn.CrossEntropyLoss()
        data = torch.from_numpy(corpus)
        bptt, lr = 6, 0.5
        hidden = model.init_hidden(2)
        losses = []
        for i in range(0, data.size(1) - 1, bptt):
            seq_len = min(bptt, data.size(1) - 1 - i)
            inputs, targets = data[:, i:i + seq_len], data[:, i + 1:i + 1 + seq_len]
            model.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = model(inputs, hidden)
            loss = criterion(output.reshape(-1, 11), targets.reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            with torch.no_grad():   # (p.data is a NumPy array here: update p itself)
                for p in model.parameters():
                    p.add_(p.grad, alpha=-lr)
            losses.append(loss.item())
        return losses, hidden, model
    side_by_side(script)


def test_greedy_decoding_with_a_key_value_cache_matches_the_full_pass():
    prompt = DATA.integers(0, 9, size=(1, 3))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class TinyDecoder(nn.Module):
            def __init__(self, vocab, dim):
                super().__init__()
                self.embed = nn.Embedding(vocab, dim)
                self.pos = nn.Embedding(16, dim)
                self.qkv = nn.Linear(dim, 3 * dim)
                self.out = nn.Linear(dim, vocab)
                self.dim = dim

            def forward(self, tokens, start=0, cache=None):
                positions = torch.arange(start, start + tokens.size(1))
                x = self.embed(tokens) + self.pos(positions)
                q, k, v = self.qkv(x).chunk(3, dim=-1)
                if cache is not None:
                    k = torch.cat([cache[0], k], dim=1)
                    v = torch.cat([cache[1], v], dim=1)
                scores = q @ k.transpose(1, 2) / math.sqrt(self.dim)
                n_q, n_k = q.size(1), k.size(1)
                mask = torch.ones(n_q, n_k, dtype=torch.bool).tril(diagonal=n_k - n_q)
                scores = scores.masked_fill(~mask, float("-inf"))
                h = x + F.softmax(scores, dim=-1) @ v
                return self.out(h), (k, v)

        model = TinyDecoder(9, 8)
        copy_weights(model)
        model.eval()
        tokens = torch.from_numpy(prompt)
        with torch.no_grad():
            logits, cache = model(tokens)
            generated = tokens
            step_logits = [logits[:, -1]]
            for _ in range(4):
                next_token = step_logits[-1].argmax(dim=-1, keepdim=True)
                generated = torch.cat([generated, next_token], dim=1)
                logits, cache = model(next_token, start=generated.size(1) - 1, cache=cache)
                step_logits.append(logits[:, -1])
            full_logits, _ = model(generated)
        cached = torch.stack(step_logits, dim=1)
        return generated, cached, cached - full_logits[:, 2:]
    side_by_side(script)


def test_wavenet_gated_residual_stack_with_causal_dilated_convolutions():
    audio = DATA.normal(size=(2, 1, 20))
    labels = DATA.integers(0, 4, size=(2, 20))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class ResidualBlock(nn.Module):
            def __init__(self, channels, skip_channels, dilation):
                super().__init__()
                self.dilation = dilation
                self.filter_conv = nn.Conv1d(channels, channels, 2, dilation=dilation)
                self.gate_conv = nn.Conv1d(channels, channels, 2, dilation=dilation)
                self.residual = nn.Conv1d(channels, channels, 1)
                self.skip = nn.Conv1d(channels, skip_channels, 1)

            def forward(self, x):
                padded = F.pad(x, (self.dilation, 0))
                z = torch.tanh(self.filter_conv(padded)) * torch.sigmoid(self.gate_conv(padded))
                return x + self.residual(z), self.skip(z)

        class WaveNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.input_conv = nn.Conv1d(1, 4, 1)
                self.blocks = nn.ModuleList(ResidualBlock(4, 6, d) for d in (1, 2, 4, 8))
                self.output = nn.Sequential(nn.ReLU(), nn.Conv1d(6, 6, 1), nn.ReLU(),
                                            nn.Conv1d(6, 4, 1))

            def forward(self, x):
                x = self.input_conv(x)
                skips = 0
                for block in self.blocks:
                    x, skip = block(x)
                    skips = skips + skip
                return self.output(skips)

        model = WaveNet()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        x, y = torch.from_numpy(audio), torch.from_numpy(labels)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model
    # the last block's residual conv feeds nothing (PyTorch leaves its .grad None too)
    with pytest.warns(ad.optim.NoGradientWarning, match=r"blocks\.3\.residual\.(weight|bias)"):
        side_by_side(script)


def test_perceiver_cross_attention_from_a_learned_latent_array():
    inputs = DATA.normal(size=(3, 10, 5))
    labels = np.array([0, 2, 1])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class Perceiver(nn.Module):
            def __init__(self, input_dim, latent_dim, num_latents, num_classes):
                super().__init__()
                self.latents = nn.Parameter(torch.randn(num_latents, latent_dim) * 0.1)
                self.cross_attn = nn.MultiheadAttention(latent_dim, 2, kdim=input_dim,
                                                        vdim=input_dim, batch_first=True)
                self.norm = nn.LayerNorm(latent_dim)
                self.self_attn = nn.MultiheadAttention(latent_dim, 2, batch_first=True)
                self.head = nn.Linear(latent_dim, num_classes)

            def forward(self, x):
                latents = self.latents.unsqueeze(0).expand(x.size(0), -1, -1)
                attended, _ = self.cross_attn(latents, x, x)
                latents = self.norm(latents + attended)
                attended, weights = self.self_attn(latents, latents, latents)
                latents = latents + attended
                return self.head(latents.mean(dim=1)), weights

        model = Perceiver(5, 8, 4, 3)
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
        x, y = torch.from_numpy(inputs), torch.from_numpy(labels)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            logits, weights = model(x)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, weights.detach(), model
    side_by_side(script)


def test_soft_dtw_between_a_generated_and_a_target_series():
    series = DATA.normal(size=(6, 1))
    target = np.sin(np.linspace(0, 3, 8))[:, None]

    def script(torch, copy_weights):
        def soft_min(values, gamma):
            return -gamma * torch.logsumexp(torch.stack(values) / -gamma, dim=0)

        def soft_dtw(x, y, gamma=0.1):
            D = torch.cdist(x, y) ** 2
            n, m = D.shape
            inf = torch.tensor(float("inf"))
            R = [[inf] * (m + 1) for _ in range(n + 1)]
            R[0][0] = torch.tensor(0.0)
            for i in range(1, n + 1):
                for j in range(1, m + 1):
                    R[i][j] = D[i - 1, j - 1] + soft_min(
                        [R[i - 1][j], R[i][j - 1], R[i - 1][j - 1]], gamma)
            return R[n][m]

        x = torch.tensor(series, requires_grad=True)
        y = torch.from_numpy(target)
        optimizer = torch.optim.SGD([x], lr=0.05)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = soft_dtw(x, y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, x
    side_by_side(script)


def test_kalman_filter_log_likelihood_learns_the_noise_scales():
    truth = np.cumsum(DATA.normal(size=12) * 0.3)
    measurements = truth + DATA.normal(size=12) * 0.5

    def script(torch, copy_weights):
        log_q = torch.tensor(0.0, requires_grad=True)
        log_r = torch.tensor(0.0, requires_grad=True)
        F_ = torch.tensor([[1.0, 1.0], [0.0, 1.0]])
        H = torch.tensor([[1.0, 0.0]])
        ys = torch.from_numpy(measurements)

        def log_likelihood():
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

        optimizer = torch.optim.Adam([log_q, log_r], lr=0.1)
        values = []
        for _ in range(4):
            optimizer.zero_grad()
            loss = -log_likelihood()
            loss.backward()
            optimizer.step()
            values.append(loss.item())
        return values, log_q, log_r
    side_by_side(script)


def test_causal_linear_attention_with_running_sums():
    inputs = DATA.normal(size=(2, 7, 6))
    targets = DATA.normal(size=(2, 7, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class LinearAttention(nn.Module):
            def __init__(self, dim):
                super().__init__()
                self.to_qkv = nn.Linear(dim, 3 * dim, bias=False)
                self.proj = nn.Linear(dim, dim)

            def forward(self, x, eps=1e-6):
                q, k, v = self.to_qkv(x).chunk(3, dim=-1)
                q, k = F.elu(q) + 1, F.elu(k) + 1
                kv = torch.einsum("bnd,bne->bnde", k, v).cumsum(dim=1)
                k_sum = k.cumsum(dim=1)
                numerator = torch.einsum("bnd,bnde->bne", q, kv)
                denominator = torch.einsum("bnd,bnd->bn", q, k_sum).unsqueeze(-1) + eps
                return self.proj(numerator / denominator)

        model = LinearAttention(6)
        copy_weights(model)
        optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-2)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model
    side_by_side(script)


def test_selective_scan_with_input_dependent_step_sizes():
    inputs = DATA.normal(size=(2, 9, 3))
    targets = DATA.normal(size=(2, 9, 3))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class SelectiveSSM(nn.Module):
            def __init__(self, d_model, d_state):
                super().__init__()
                A = torch.arange(1, d_state + 1, dtype=torch.float64).repeat(d_model, 1)
                self.A_log = nn.Parameter(torch.log(A))
                self.D = nn.Parameter(torch.ones(d_model))
                self.x_proj = nn.Linear(d_model, 2 * d_state + 1, bias=False)
                self.dt_proj = nn.Linear(1, d_model)
                self.d_state = d_state

            def forward(self, x):
                b, length, d = x.shape
                A = -torch.exp(self.A_log)
                # (the method: torch.split is NumPy's np.split here, and warns)
                B, C, dt = self.x_proj(x).split([self.d_state, self.d_state, 1], dim=-1)
                delta = F.softplus(self.dt_proj(dt))
                deltaA = torch.exp(torch.einsum("bld,dn->bldn", delta, A))
                deltaB_u = torch.einsum("bld,bln,bld->bldn", delta, B, x)
                state = torch.zeros(b, d, self.d_state)
                ys = []
                for i in range(length):
                    state = deltaA[:, i] * state + deltaB_u[:, i]
                    ys.append(torch.einsum("bdn,bn->bd", state, C[:, i]))
                return torch.stack(ys, dim=1) + x * self.D

        model = SelectiveSSM(3, 4)
        copy_weights(model)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model
    side_by_side(script)


# log(0) for the distance 0, then its cast, as NumPy warns (the value is not used)
@pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
def test_t5_relative_position_buckets_as_an_attention_bias():
    inputs = DATA.normal(size=(2, 12, 4))
    targets = DATA.normal(size=(2, 12, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        def relative_position_bucket(relative_position, num_buckets=8, max_distance=20):
            num_buckets //= 2
            buckets = (relative_position > 0).to(torch.long) * num_buckets
            relative_position = torch.abs(relative_position)
            max_exact = num_buckets // 2
            is_small = relative_position < max_exact
            if_large = max_exact + (
                torch.log(relative_position.float() / max_exact)
                / math.log(max_distance / max_exact) * (num_buckets - max_exact)
            ).to(torch.long)
            # (torch.min of two tensors is refused here, naming torch.minimum)
            if_large = torch.minimum(if_large, torch.full_like(if_large, num_buckets - 1))
            return buckets + torch.where(is_small, relative_position, if_large)

        class Attention(nn.Module):
            def __init__(self, dim, heads):
                super().__init__()
                self.qkv = nn.Linear(dim, 3 * dim, bias=False)
                self.bias = nn.Embedding(8, heads)
                self.heads = heads

            def forward(self, x):
                b, n, d = x.shape
                q, k, v = (t.view(b, n, self.heads, -1).transpose(1, 2)
                           for t in self.qkv(x).chunk(3, dim=-1))
                context = torch.arange(n)[:, None]
                memory = torch.arange(n)[None, :]
                bucket = relative_position_bucket(memory - context)
                position_bias = self.bias(bucket).permute(2, 0, 1).unsqueeze(0)
                scores = q @ k.transpose(-2, -1) + position_bias
                out = F.softmax(scores, dim=-1) @ v
                return out.transpose(1, 2).reshape(b, n, d), bucket

        model = Attention(4, 2)
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            out, bucket = model(x)
            loss = F.mse_loss(out, y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, bucket, model
    side_by_side(script)
