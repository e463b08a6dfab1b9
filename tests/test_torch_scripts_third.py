"""More PyTorch scripts, each written once against a module named ``torch`` and run
twice: with PyTorch, and with ``autodiff`` in its place, from the same initial weights
(``load_torch_state_dict``), both in float64; losses, gradients and final parameters
must agree to ~1e-10.  Random parts take their draws from NumPy so both runs see the
same numbers.  Here: a VAE written with distributions, a GAN with a gradient penalty,
a GRUCell character model with greedy sampling, an attention seq2seq with teacher
forcing, a Transformer-encoder language model, and a CNN with BatchNorm and dropout
in train and eval (more in ``test_torch_scripts_third_state.py``).

The list: where the scripts are written around the library's own rules rather than
PyTorch's, each failing with a clear error when written PyTorch's way:
- ``.grad`` is a NumPy array, so ``p.grad.clone()`` is written ``p.grad + 0``;
- a Function's ``forward``/``backward`` receive NumPy arrays, so ``input.mm(w)`` is
  written ``torch.mm(input, w)`` (the AttributeError carries a note saying so);
- ``ad.equal`` is NumPy's elementwise one, so ``torch.equal(a, b)`` is ``a.equal(b)``;
- an optimizer's ``state_dict()`` is flat (``'param_groups.0.lr'``), and ``Linear``'s
  weight is ``(in, out)``, so raw weight gradients are not compared (the state is,
  through ``to_torch_state_dict``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(7)


# --- A VAE written with torch.distributions -----------------------------------------

def test_vae_with_normal_bernoulli_and_kl_divergence():
    images = (DATA.uniform(size=(4, 10, 12)) > 0.5).astype(np.float64)
    noise = DATA.normal(size=(4, 10, 3))

    def script(torch, copy_weights):
        nn, D = torch.nn, torch.distributions

        class VAE(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = nn.Sequential(nn.Linear(12, 8), nn.Softplus())
                self.to_mu, self.to_logvar = nn.Linear(8, 3), nn.Linear(8, 3)
                self.decoder = nn.Sequential(nn.Linear(3, 8), nn.ELU(), nn.Linear(8, 12))

            def forward(self, x, eps):
                h = self.encoder(x)
                mu, logvar = self.to_mu(h), self.to_logvar(h)
                q = D.Normal(mu, torch.exp(0.5 * logvar))
                z = q.loc + q.scale * eps
                return self.decoder(z), q, z

        model = VAE()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        losses, log_probs = [], []
        for step in range(4):
            x = torch.from_numpy(images[step])
            logits, q, z = model(x, torch.from_numpy(noise[step]))
            prior = D.Normal(torch.zeros_like(q.loc), torch.ones_like(q.scale))
            recon = D.Bernoulli(logits=logits).log_prob(x).sum(-1)
            kl = D.kl_divergence(q, prior).sum(-1)
            loss = -(recon - kl).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            posterior = D.Independent(D.Normal(q.loc, q.scale), 1)
            log_probs.append(posterior.log_prob(z.detach()) - prior.log_prob(z).sum(-1))
        return losses, log_probs, model
    side_by_side(script)


# --- A GAN on points with two optimizers and a gradient penalty ---------------------

def test_gan_with_detach_requires_grad_toggle_and_gradient_penalty():
    real = DATA.normal(loc=1.0, size=(3, 8, 2))
    latent = DATA.normal(size=(3, 8, 4))
    mix = DATA.uniform(size=(3, 8, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        G = nn.Sequential(nn.Linear(4, 16), nn.LeakyReLU(0.2), nn.Linear(16, 2))
        D = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
        copy_weights(G, D)
        opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.9))
        opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.9))

        def gradient_penalty(real, fake, alpha):
            interpolates = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
            scores = D(interpolates)
            grads = torch.autograd.grad(outputs=scores, inputs=interpolates,
                                        grad_outputs=torch.ones_like(scores),
                                        create_graph=True, retain_graph=True)[0]
            return ((grads.norm(2, dim=1) - 1) ** 2).mean()

        d_losses, g_losses, penalties = [], [], []
        for i in range(3):
            x = torch.from_numpy(real[i])
            fake = G(torch.from_numpy(latent[i]))
            for p in D.parameters():
                p.requires_grad_(True)
            opt_d.zero_grad()
            real_scores, fake_scores = D(x), D(fake.detach())
            gp = gradient_penalty(x, fake.detach(), torch.from_numpy(mix[i]))
            d_loss = (F.binary_cross_entropy_with_logits(real_scores, torch.ones_like(real_scores))
                      + F.binary_cross_entropy_with_logits(fake_scores,
                                                           torch.zeros_like(fake_scores))
                      + 10 * gp)
            d_loss.backward()
            opt_d.step()
            for p in D.parameters():
                p.requires_grad_(False)
            opt_g.zero_grad()
            scores = D(fake)
            g_loss = F.binary_cross_entropy_with_logits(scores, torch.ones_like(scores))
            d_grads = [p.grad + 0 for p in D.parameters()]       # .grad: see the list
            g_loss.backward()
            assert all((p.grad == g).all() for p, g in zip(D.parameters(), d_grads))
            opt_g.step()
            d_losses.append(d_loss.item())
            g_losses.append(g_loss.item())
            penalties.append(gp.item())
        return d_losses, g_losses, penalties, G, D
    side_by_side(script)


# --- A character model on a GRUCell loop, StepLR, greedy sampling -------------------

def test_gru_cell_char_model_with_step_lr_and_greedy_sampling():
    text = np.random.default_rng(11).integers(0, 6, size=(5, 4, 7))

    def script(torch, copy_weights):
        nn = torch.nn

        class CharModel(nn.Module):
            def __init__(self, vocab, hidden):
                super().__init__()
                self.hidden_size = hidden
                self.embedding = nn.Embedding(vocab, 4)
                self.cell = nn.GRUCell(4, hidden)
                self.proj = nn.Linear(hidden, vocab)

            def forward(self, tokens, h=None):
                if h is None:
                    h = tokens.new_zeros((tokens.size(0), self.hidden_size),
                                         dtype=torch.float64)
                logits = []
                for t in range(tokens.size(1)):
                    h = self.cell(self.embedding(tokens[:, t]), h)
                    logits.append(self.proj(h))
                return torch.stack(logits, dim=1), h

        model = CharModel(6, 5)
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
        losses, lrs = [], []
        for batch in text:
            batch = torch.from_numpy(batch)
            logits, _ = model(batch[:, :-1])
            loss = nn.functional.cross_entropy(logits.transpose(1, 2), batch[:, 1:])
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_value_(model.parameters(), clip_value=0.1)
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            lrs.append(scheduler.get_last_lr())
        model.eval()
        with torch.no_grad():
            token = torch.tensor([[2]])
            generated, h = [2], None
            for _ in range(6):
                logits, h = model(token, h)
                token = logits[:, -1].argmax(dim=-1, keepdim=True)
                generated.append(token.item())
        return losses, lrs, generated, model
    side_by_side(script)


# --- Seq2seq: a bidirectional LSTM encoder, an attention decoder, teacher forcing ---

def test_seq2seq_with_attention_and_teacher_forcing():
    rng = np.random.default_rng(12)
    sources = rng.integers(1, 8, size=(3, 2, 5))
    targets = rng.integers(1, 8, size=(3, 2, 4))
    targets[:, 0, 3] = 0                                 # padding in the first target
    forcing = rng.uniform(size=(3, 4)) < 0.5

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        SOS, PAD = 1, 0

        class Encoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = nn.Embedding(8, 6, padding_idx=PAD)
                self.rnn = nn.LSTM(6, 5, batch_first=True, bidirectional=True)
                self.fc = nn.Linear(10, 5)

            def forward(self, src):
                outputs, (h, c) = self.rnn(self.embedding(src))
                hidden = torch.tanh(self.fc(torch.cat((h[-2], h[-1]), dim=1)))
                return outputs, hidden, torch.zeros_like(hidden)

        class Decoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = nn.Embedding(8, 6, padding_idx=PAD)
                self.attn = nn.Linear(10, 5, bias=False)
                self.cell = nn.LSTMCell(6 + 10, 5)
                self.out = nn.Linear(5 + 10, 8)

            def forward(self, token, h, c, enc):
                scores = torch.bmm(self.attn(enc), h.unsqueeze(2)).squeeze(2)
                weights = F.softmax(scores, dim=1)
                context = torch.bmm(weights.unsqueeze(1), enc).squeeze(1)
                h, c = self.cell(torch.cat([self.embedding(token), context], dim=1), (h, c))
                return self.out(torch.cat([h, context], dim=1)), h, c, weights

        class Seq2Seq(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder, self.decoder = Encoder(), Decoder()

            def forward(self, src, trg, teacher_forcing):
                enc, h, c = self.encoder(src)
                token = torch.full((src.shape[0],), SOS, dtype=torch.long)
                outputs = []
                for t in range(trg.shape[1]):
                    logits, h, c, _ = self.decoder(token, h, c, enc)
                    outputs.append(logits)
                    token = trg[:, t] if teacher_forcing[t] else logits.argmax(1)
                return torch.stack(outputs, dim=1)

        model = Seq2Seq()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
        criterion = nn.CrossEntropyLoss(ignore_index=PAD)
        losses, norms = [], []
        model.train()
        for i in range(3):
            src, trg = torch.from_numpy(sources[i]), torch.from_numpy(targets[i])
            optimizer.zero_grad()
            output = model(src, trg, forcing[i].tolist())
            loss = criterion(output.view(-1, output.shape[-1]), trg.view(-1))
            loss.backward()
            norms.append(nn.utils.clip_grad_norm_(model.parameters(), 1.0))
            optimizer.step()
            losses.append(loss.item())
        return losses, norms, model
    side_by_side(script)


# --- A Transformer-encoder language model with a causal mask ------------------------

def test_transformer_encoder_language_model_with_warmup_and_cosine():
    tokens = np.random.default_rng(13).integers(0, 10, size=(4, 3, 7))

    def script(torch, copy_weights):
        nn = torch.nn

        class PositionalEncoding(nn.Module):
            def __init__(self, d_model, max_len=16):
                super().__init__()
                position = torch.arange(max_len).unsqueeze(1)
                div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
                pe = torch.zeros(max_len, 1, d_model)
                pe[:, 0, 0::2] = torch.sin(position * div_term)
                pe[:, 0, 1::2] = torch.cos(position * div_term)
                self.register_buffer("pe", pe)

            def forward(self, x):
                return x + self.pe[:x.size(0)]

        class TransformerModel(nn.Module):
            def __init__(self, ntoken, d_model, nhead, d_hid, nlayers):
                super().__init__()
                self.pos_encoder = PositionalEncoding(d_model)
                layers = nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout=0.0,
                                                    activation="gelu", norm_first=True)
                self.transformer_encoder = nn.TransformerEncoder(layers, nlayers,
                                                                 enable_nested_tensor=False)
                self.embedding = nn.Embedding(ntoken, d_model)
                self.d_model = d_model
                self.linear = nn.Linear(d_model, ntoken)

            def forward(self, src, src_mask=None):
                src = self.embedding(src) * math.sqrt(self.d_model)
                src = self.pos_encoder(src)
                output = self.transformer_encoder(src, src_mask, is_causal=src_mask is not None)
                return self.linear(output)

        model = TransformerModel(10, 8, 2, 16, 2)
        copy_weights(model)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
        warmup = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=2)
        cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=3, eta_min=1e-4)
        scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, [warmup, cosine],
                                                          milestones=[2])
        losses, lrs = [], []
        for batch in tokens:
            data = torch.from_numpy(batch).t().contiguous()         # (seq, batch)
            src, tgt = data[:-1], data[1:]
            mask = nn.Transformer.generate_square_subsequent_mask(src.size(0))
            output = model(src, mask)
            loss = nn.functional.cross_entropy(output.view(-1, 10), tgt.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            lrs.append(scheduler.get_last_lr()[0])
        model.eval()
        with torch.no_grad():
            prompt = torch.from_numpy(tokens[0]).t()
            mask = nn.Transformer.generate_square_subsequent_mask(len(prompt))
            logits = model(prompt, mask)
        return losses, lrs, logits, model
    side_by_side(script)


# --- A CNN with BatchNorm2d, MaxPool2d and Dropout in train and eval ----------------

def test_cnn_with_batchnorm_maxpool_and_dropout_in_train_and_eval():
    images = DATA.normal(size=(4, 6, 1, 9, 9))
    labels = DATA.integers(0, 3, size=(4, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
                self.bn1 = nn.BatchNorm2d(4, momentum=None)
                self.conv2 = nn.Conv2d(4, 6, 3)
                self.bn2 = nn.BatchNorm2d(6, eps=1e-3, momentum=0.2)
                self.pool = nn.MaxPool2d(2, stride=2, ceil_mode=True)
                self.dropout = nn.Dropout(0.25)
                self.fc = nn.Linear(6 * 2 * 2, 3)

            def forward(self, x):
                x = self.pool(F.relu(self.bn1(self.conv1(x))))
                x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2, padding=1)
                x = self.dropout(torch.flatten(x, 1))
                return F.log_softmax(self.fc(x), dim=1)

        model = Net()
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, dampening=0.1)
        losses = []
        for i in range(3):
            model.train()
            model.dropout.eval()              # batch statistics on, dropout off
            assert model.training and not model.dropout.training
            output = model(torch.from_numpy(images[i]))
            loss = F.nll_loss(output, torch.from_numpy(labels[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        model.train()
        ones = torch.ones(2000)
        dropped = model.dropout(ones)
        kept = dropped[dropped != 0]
        assert torch.allclose(kept, torch.full_like(kept, 1 / 0.75))
        assert 0.2 < (dropped == 0).double().mean().item() < 0.3
        model.eval()
        with torch.no_grad():
            test_output = model(torch.from_numpy(images[3]))
            pred = test_output.argmax(dim=1, keepdim=True)
            correct = pred.eq(torch.from_numpy(labels[3]).view_as(pred)).sum().item()
        return (losses, test_output, correct, model.bn1.num_batches_tracked.item(),
                model)
    side_by_side(script)
