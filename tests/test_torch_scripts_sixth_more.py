"""The sixth round of PyTorch scripts, more models (see test_torch_scripts_sixth.py for
the method): a bidirectional GRU classifier over packed sorted sequences, a MobileNet
block with squeeze-and-excitation, a denoising convolutional autoencoder, skip-gram
with negative sampling, an LSTM forecaster over ``unfold`` windows, a spatial
transformer with ``affine_grid`` / ``grid_sample``, a ViT-style patch embedding with a
class token and ``einsum`` attention, PPO's clipped objective, and model ensembling
with ``torch.func.stack_module_state``."""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(64)


# --- A bidirectional GRU classifier over packed sorted sequences --------------------

def test_bidirectional_gru_classifier_over_packed_sorted_sequences():
    tokens = DATA.integers(1, 10, size=(3, 4, 7))
    lengths = np.array([[7, 5, 3, 2], [6, 6, 4, 1], [7, 7, 2, 2]])
    labels = DATA.integers(0, 2, size=(3, 4))

    def script(torch, copy_weights):
        nn = torch.nn
        rnn_utils = nn.utils.rnn

        class Classifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = nn.Embedding(10, 5, padding_idx=0)
                self.rnn = nn.GRU(5, 6, num_layers=2, bidirectional=True, batch_first=True)
                self.fc = nn.Linear(6 * 2 + 6 * 2, 2)

            def forward(self, text, text_lengths):
                embedded = self.embedding(text)
                packed = rnn_utils.pack_padded_sequence(embedded, text_lengths,
                                                        batch_first=True)
                packed_output, hidden = self.rnn(packed)
                output, output_lengths = rnn_utils.pad_packed_sequence(
                    packed_output, batch_first=True, total_length=text.size(1))
                assert output.shape[1] == text.size(1)
                hidden = torch.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1)
                mean = output.sum(1) / output_lengths.unsqueeze(1).to(output.dtype)
                return self.fc(torch.cat([hidden, mean], dim=1))

        model = Classifier()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        criterion = nn.CrossEntropyLoss()
        losses = []
        for i in range(3):
            text = torch.from_numpy(tokens[i])
            text = text * (torch.arange(7)[None, :] < torch.from_numpy(lengths[i])[:, None])
            loss = criterion(model(text, torch.from_numpy(lengths[i])),
                             torch.from_numpy(labels[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model
    side_by_side(script)


# --- A MobileNet block with squeeze-and-excitation ---------------------------------

def test_mobilenet_inverted_residual_with_squeeze_excitation():
    images = DATA.normal(size=(3, 2, 4, 6, 6))
    labels = DATA.integers(0, 3, size=(3, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class SqueezeExcitation(nn.Module):
            def __init__(self, channels, squeeze):
                super().__init__()
                self.avgpool = nn.AdaptiveAvgPool2d(1)
                self.fc1 = nn.Conv2d(channels, squeeze, 1)
                self.fc2 = nn.Conv2d(squeeze, channels, 1)

            def forward(self, x):
                scale = F.hardsigmoid(self.fc2(F.relu(self.fc1(self.avgpool(x)))))
                return scale * x

        class InvertedResidual(nn.Module):
            def __init__(self, inp, oup, expand_ratio):
                super().__init__()
                hidden = inp * expand_ratio
                self.conv = nn.Sequential(
                    nn.Conv2d(inp, hidden, 1, bias=False), nn.BatchNorm2d(hidden),
                    nn.ReLU6(inplace=True),
                    nn.Conv2d(hidden, hidden, 3, 1, 1, groups=hidden, bias=False),
                    nn.BatchNorm2d(hidden), nn.Hardswish(),
                    SqueezeExcitation(hidden, 4),
                    nn.Conv2d(hidden, oup, 1, bias=False), nn.BatchNorm2d(oup))

            def forward(self, x):
                return x + self.conv(x)

        def channel_shuffle(x, groups):
            batch, channels, height, width = x.size()
            x = x.view(batch, groups, channels // groups, height, width)
            x = torch.transpose(x, 1, 2).contiguous()
            return x.view(batch, -1, height, width)

        model = nn.Sequential(InvertedResidual(4, 4, 2), nn.AdaptiveAvgPool2d(1),
                              nn.Flatten(), nn.Dropout(p=0.0), nn.Linear(4, 3))
        copy_weights(model)
        optimizer = torch.optim.RMSprop(model.parameters(), lr=0.01, eps=0.0316, alpha=0.9,
                                        momentum=0.9, weight_decay=1e-5)
        losses = []
        for i in range(3):
            x = channel_shuffle(torch.from_numpy(images[i]), 2)
            loss = F.cross_entropy(model(x), torch.from_numpy(labels[i]), label_smoothing=0.05)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            probabilities = F.softmax(model(torch.from_numpy(images[0])), dim=1)
        return losses, probabilities, model
    side_by_side(script)


# --- A denoising convolutional autoencoder -----------------------------------------

def test_denoising_conv_autoencoder_with_transposed_convs_and_bce():
    clean = DATA.uniform(size=(3, 2, 1, 8, 8))
    noise = 0.3 * DATA.normal(size=clean.shape)

    def script(torch, copy_weights):
        nn = torch.nn

        class Autoencoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = nn.Sequential(
                    nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(True),
                    nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.ReLU(True))
                self.decoder = nn.Sequential(
                    nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1),
                    nn.ReLU(True),
                    nn.Upsample(scale_factor=2, mode="nearest"),
                    nn.Conv2d(4, 1, 3, padding=1), nn.Sigmoid())

            def forward(self, x):
                return self.decoder(self.encoder(x))

        model = Autoencoder()
        copy_weights(model)
        criterion = nn.BCELoss()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-5)
        losses = []
        for i in range(3):
            img = torch.from_numpy(clean[i])
            noisy = torch.clamp(img + torch.from_numpy(noise[i]), 0.0, 1.0)
            output = model(noisy)
            assert output.shape == img.shape
            loss = criterion(output, img)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, output, model
    side_by_side(script)


# --- Skip-gram with negative sampling ----------------------------------------------

def test_skip_gram_with_negative_sampling_and_logsigmoid():
    centers = DATA.integers(0, 12, size=(4, 6))
    contexts = DATA.integers(0, 12, size=(4, 6))
    negatives = DATA.integers(0, 12, size=(4, 6, 3))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class SkipGramModel(nn.Module):
            def __init__(self, emb_size, emb_dimension):
                super().__init__()
                self.u_embeddings = nn.Embedding(emb_size, emb_dimension)
                self.v_embeddings = nn.Embedding(emb_size, emb_dimension)
                initrange = 1.0 / emb_dimension
                nn.init.uniform_(self.u_embeddings.weight.data, -initrange, initrange)
                nn.init.constant_(self.v_embeddings.weight.data, 0)

            def forward(self, pos_u, pos_v, neg_v):
                emb_u = self.u_embeddings(pos_u)
                emb_v = self.v_embeddings(pos_v)
                emb_neg_v = self.v_embeddings(neg_v)
                score = torch.sum(torch.mul(emb_u, emb_v), dim=1)
                score = -F.logsigmoid(torch.clamp(score, max=10, min=-10))
                neg_score = torch.bmm(emb_neg_v, emb_u.unsqueeze(2)).squeeze()
                neg_score = -torch.sum(F.logsigmoid(-torch.clamp(neg_score, max=10, min=-10)),
                                       dim=1)
                return torch.mean(score + neg_score)

        model = SkipGramModel(12, 5)
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        losses = []
        for i in range(4):
            loss = model(torch.from_numpy(centers[i]), torch.from_numpy(contexts[i]),
                         torch.from_numpy(negatives[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            embeddings = F.normalize(model.u_embeddings.weight, dim=1)
            similarity = embeddings @ embeddings[3]
            nearest = similarity.topk(3).indices
        return losses, similarity, nearest, model
    side_by_side(script)


# --- An LSTM forecaster over unfold windows -----------------------------------------

def test_lstm_forecaster_over_unfold_windows_with_an_autoregressive_rollout():
    series = np.sin(np.linspace(0, 6, 40)) + 0.05 * DATA.normal(size=40)

    def script(torch, copy_weights):
        nn = torch.nn

        class Forecaster(nn.Module):
            def __init__(self, hidden=6):
                super().__init__()
                self.lstm = nn.LSTM(input_size=1, hidden_size=hidden, num_layers=1,
                                    batch_first=True)
                self.linear = nn.Linear(hidden, 1)

            def forward(self, x):
                out, (h_n, c_n) = self.lstm(x)
                return self.linear(out[:, -1, :])

        data = torch.from_numpy(series)
        mean, std = data.mean(), data.std(unbiased=True)
        normalized = (data - mean) / std
        windows = normalized.unfold(0, 9, 1)                  # (32, 9): 8 inputs, 1 target
        inputs, targets = windows[:, :-1].unsqueeze(-1), windows[:, -1:]
        model = Forecaster()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
        loss_fn = nn.MSELoss()
        losses = []
        for epoch in range(3):
            for start in range(0, 32, 16):
                loss = loss_fn(model(inputs[start:start + 16]), targets[start:start + 16])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
        model.eval()
        history = normalized[-8:].clone()
        with torch.no_grad():
            predictions = []
            for _ in range(5):
                nxt = model(history[-8:].view(1, -1, 1)).view(1)
                predictions.append(nxt.item() * std.item() + mean.item())
                history = torch.cat([history, nxt])
        return losses, predictions, float(std), model
    side_by_side(script)


# --- A spatial transformer with affine_grid and grid_sample --------------------------

def test_spatial_transformer_with_affine_grid_and_grid_sample():
    images = DATA.normal(size=(3, 2, 1, 8, 8))
    labels = DATA.integers(0, 3, size=(3, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class STN(nn.Module):
            def __init__(self):
                super().__init__()
                self.localization = nn.Sequential(nn.Conv2d(1, 4, kernel_size=3),
                                                  nn.MaxPool2d(2, stride=2), nn.ReLU(True))
                self.fc_loc = nn.Sequential(nn.Linear(4 * 3 * 3, 8), nn.ReLU(True),
                                            nn.Linear(8, 3 * 2))
                with torch.no_grad():
                    self.fc_loc[2].weight.zero_()
                    # near the identity, not at it: the identity's grid points fall on pixel
                    # centres up to rounding, where the bilinear gradient takes the side
                    # the last bit of the grid chooses (PyTorch's vectorized linspace)
                    self.fc_loc[2].bias.copy_(torch.tensor(
                        [0.9137, 0.0613, 0.0271, -0.0419, 1.0723, 0.0317], dtype=torch.float64))
                self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(64, 3))

            def stn(self, x):
                xs = self.localization(x).view(-1, 4 * 3 * 3)
                theta = self.fc_loc(xs).view(-1, 2, 3)
                grid = F.affine_grid(theta, x.size(), align_corners=False)
                return F.grid_sample(x, grid, align_corners=False)

            def forward(self, x):
                return self.classifier(self.stn(x))

        model = STN()
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
        losses = []
        for i in range(3):
            output = model(torch.from_numpy(images[i]))
            loss = F.nll_loss(F.log_softmax(output, dim=1), torch.from_numpy(labels[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            warped = model.stn(torch.from_numpy(images[0]))
        return losses, warped, model
    side_by_side(script)


# --- A ViT-style patch embedding with a class token and einsum attention ------------

def test_vit_patch_embedding_with_class_token_and_einsum_attention():
    images = DATA.normal(size=(3, 2, 3, 8, 8))
    labels = DATA.integers(0, 4, size=(3, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class Attention(nn.Module):
            def __init__(self, dim, heads=2):
                super().__init__()
                self.heads, self.scale = heads, (dim // heads) ** -0.5
                self.to_qkv = nn.Linear(dim, dim * 3, bias=False)
                self.to_out = nn.Linear(dim, dim)

            def forward(self, x):
                b, n, d = x.shape
                q, k, v = self.to_qkv(x).chunk(3, dim=-1)
                q, k, v = (t.reshape(b, n, self.heads, -1).transpose(1, 2) for t in (q, k, v))
                dots = torch.einsum("bhid,bhjd->bhij", q, k) * self.scale
                out = torch.einsum("bhij,bhjd->bhid", dots.softmax(dim=-1), v)
                return self.to_out(out.transpose(1, 2).reshape(b, n, d))

        class ViT(nn.Module):
            def __init__(self, patch=4, dim=8, classes=4):
                super().__init__()
                self.patch_embed = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)
                self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
                self.pos_embedding = nn.Parameter(torch.linspace(-0.1, 0.1, 5 * dim)
                                                  .view(1, 5, dim))
                self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
                self.attn = Attention(dim)
                self.mlp = nn.Sequential(nn.Linear(dim, 16), nn.GELU(), nn.Linear(16, dim))
                self.head = nn.Linear(dim, classes)

            def forward(self, img):
                x = self.patch_embed(img).flatten(2).transpose(1, 2)
                cls_tokens = self.cls_token.expand(x.shape[0], -1, -1)
                x = torch.cat((cls_tokens, x), dim=1) + self.pos_embedding
                x = x + self.attn(self.norm1(x))
                x = x + self.mlp(self.norm2(x))
                return self.head(x[:, 0])

        model = ViT()
        copy_weights(model)
        unfolded = F.unfold(torch.from_numpy(images[0]), kernel_size=4, stride=4)
        assert unfolded.shape == (2, 3 * 4 * 4, 4)
        optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.05)
        losses = []
        for i in range(3):
            loss = F.cross_entropy(model(torch.from_numpy(images[i])),
                                   torch.from_numpy(labels[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, unfolded, model
    side_by_side(script)


# --- PPO's clipped objective -------------------------------------------------------

def test_ppo_clipped_surrogate_with_normal_policy_and_value_loss():
    states = DATA.normal(size=(8, 3))
    actions = DATA.normal(size=(8, 2))
    returns = DATA.normal(size=8)

    def script(torch, copy_weights):
        nn = torch.nn
        Normal = torch.distributions.Normal

        class ActorCritic(nn.Module):
            def __init__(self):
                super().__init__()
                self.actor = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
                self.critic = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
                self.log_std = nn.Parameter(torch.full((2,), -0.5))

            def evaluate(self, state, action):
                dist = Normal(self.actor(state), self.log_std.exp().expand(action.shape[0], 2))
                return (dist.log_prob(action).sum(-1), dist.entropy().sum(-1),
                        self.critic(state).squeeze(-1))

        policy = ActorCritic()
        copy_weights(policy)
        old_policy = copy.deepcopy(policy)
        optimizer = torch.optim.Adam(policy.parameters(), lr=3e-3, eps=1e-5)
        s, a = torch.from_numpy(states), torch.from_numpy(actions)
        r = torch.from_numpy(returns)
        with torch.no_grad():
            old_logprobs, _, old_values = old_policy.evaluate(s, a)
        advantages = r - old_values
        advantages = (advantages - advantages.mean()) / (advantages.std(unbiased=True) + 1e-8)
        eps_clip, losses, fractions = 0.2, [], []
        for _ in range(4):
            logprobs, entropy, values = policy.evaluate(s, a)
            ratios = torch.exp(logprobs - old_logprobs.detach())
            surr1 = ratios * advantages
            surr2 = torch.clamp(ratios, 1 - eps_clip, 1 + eps_clip) * advantages
            loss = (-torch.minimum(surr1, surr2) + 0.5 * nn.MSELoss()(values, r)
                    - 0.01 * entropy).mean()
            optimizer.zero_grad()
            loss.mean().backward()
            nn.utils.clip_grad_norm_(policy.parameters(), 0.5)
            optimizer.step()
            losses.append(loss.item())
            fractions.append(((ratios - 1.0).abs() > eps_clip).float().mean().item())
        return losses, fractions, policy
    side_by_side(script)


# --- Model ensembling with stack_module_state and vmap -----------------------------

def test_model_ensembling_with_stack_module_state_and_vmap():
    inputs = DATA.normal(size=(4, 3))

    def script(torch, copy_weights):
        nn = torch.nn
        func = torch.func
        models = [nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2)) for _ in range(3)]
        copy_weights(*models)
        params, buffers = func.stack_module_state(models)
        assert params["0.bias"].shape == (3, 5)
        base_model = copy.deepcopy(models[0])      # (the tutorial's .to("meta"): no such device)

        def fmodel(params, buffers, x):
            return func.functional_call(base_model, (params, buffers), (x,))

        x = torch.from_numpy(inputs)
        same_minibatch = func.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, x)
        expected = torch.stack([model(x) for model in models])
        assert torch.allclose(same_minibatch, expected, atol=1e-12)
        minibatches = x.expand(3, 4, 3) * torch.arange(1, 4).view(3, 1, 1)
        different = func.vmap(fmodel)(params, buffers, minibatches)
        return same_minibatch, different, models
    side_by_side(script)
