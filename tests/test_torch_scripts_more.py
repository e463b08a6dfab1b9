"""PyTorch tutorial scripts, each written once against a module named ``torch`` and run
twice: with PyTorch, and with ``autodiff`` in its place.  The autodiff run starts from
the PyTorch run's initial weights (``load_torch_state_dict``); both run in float64 and
the losses, the final parameters and buffers must agree to ~1e-10.  Random parts
(dropout, the reparameterization noise) take their draws from NumPy so both runs see
the same numbers.  Here: the polynomial fits, a VAE, a DCGAN, an EmbeddingBag text
classifier, a character GRU and a Transformer decoder; more training-loop scripts are
in test_torch_scripts_more_training.py."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(0)




# --- Learning PyTorch with Examples: the polynomial fit, three ways ------------------

def test_polynomial_fit_with_manual_weights():
    start = DATA.normal(size=4)

    def script(torch, _):
        x = torch.linspace(-np.pi, np.pi, 200)
        y = torch.sin(x)
        a, b, c, d = (torch.tensor(v, requires_grad=True) for v in start)
        losses = []
        learning_rate = 1e-6
        for t in range(30):
            y_pred = a + b * x + c * x ** 2 + d * x ** 3
            loss = (y_pred - y).pow(2).sum()
            losses.append(loss.item())
            loss.backward()
            with torch.no_grad():
                a -= learning_rate * a.grad
                b -= learning_rate * b.grad
                c -= learning_rate * c.grad
                d -= learning_rate * d.grad
                a.grad = None
                b.grad = None
                c.grad = None
                d.grad = None
        return losses, [a, b, c, d]
    side_by_side(script)


def test_polynomial_fit_with_sequential_and_flatten():
    def script(torch, copy_weights):
        x = torch.linspace(-np.pi, np.pi, 100)
        y = torch.sin(x)
        p = torch.tensor([1, 2, 3])
        xx = x.unsqueeze(-1).pow(p)
        model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
        copy_weights(model)
        loss_fn = torch.nn.MSELoss(reduction="sum")
        optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
        losses = []
        for _ in range(20):
            y_pred = model(xx)
            loss = loss_fn(y_pred, y)
            losses.append(loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        linear_layer = model[0]
        return losses, model, linear_layer.bias.item()
    side_by_side(script)


def test_dynamic_net_with_control_flow_and_parameters():
    def script(torch, copy_weights):
        class DynamicNet(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = torch.nn.Parameter(torch.tensor(0.1))
                self.b = torch.nn.Parameter(torch.tensor(-0.2))
                self.c = torch.nn.Parameter(torch.tensor(0.3))
                self.d = torch.nn.Parameter(torch.tensor(0.05))
                self.e = torch.nn.Parameter(torch.tensor(0.01))

            def forward(self, x, n_extra):
                y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
                for exp in range(4, 4 + n_extra):
                    y = y + self.e * x ** exp
                return y

            def string(self):
                return f"y = {self.a.item()} + {self.b.item()} x + ... + {self.e.item()} x^5?"

        x = torch.linspace(-1.0, 1.0, 50)
        y = torch.sin(x)
        model = DynamicNet()
        copy_weights(model)
        criterion = torch.nn.MSELoss(reduction="sum")
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
        losses = []
        for t in range(12):
            loss = criterion(model(x, 1 + t % 3), y)
            losses.append(loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        assert model.string().startswith("y = ")
        return losses, model
    side_by_side(script)


# --- A variational autoencoder ------------------------------------------------------

def test_vae_with_reparameterization_and_kl():
    images = DATA.uniform(size=(16, 12))
    noise = DATA.normal(size=(5, 16, 3))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class VAE(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(12, 8)
                self.fc21 = nn.Linear(8, 3)
                self.fc22 = nn.Linear(8, 3)
                self.fc3 = nn.Linear(3, 8)
                self.fc4 = nn.Linear(8, 12)

            def encode(self, x):
                h1 = F.relu(self.fc1(x))
                return self.fc21(h1), self.fc22(h1)

            def reparameterize(self, mu, logvar, eps):
                std = torch.exp(0.5 * logvar)
                return mu + eps * std

            def decode(self, z):
                h3 = F.relu(self.fc3(z))
                return torch.sigmoid(self.fc4(h3))

            def forward(self, x, eps):
                mu, logvar = self.encode(x.view(-1, 12))
                z = self.reparameterize(mu, logvar, eps)
                return self.decode(z), mu, logvar

        def loss_function(recon_x, x, mu, logvar):
            bce = F.binary_cross_entropy(recon_x, x.view(-1, 12), reduction="sum")
            kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            return bce + kld

        model = VAE()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        data = torch.from_numpy(images)
        model.train()
        losses = []
        for step in range(5):
            optimizer.zero_grad()
            recon_batch, mu, logvar = model(data, torch.from_numpy(noise[step]))
            loss = loss_function(recon_batch, data, mu, logvar)
            loss.backward()
            losses.append(loss.item())
            optimizer.step()
        model.eval()
        with torch.no_grad():
            sample = model.decode(torch.from_numpy(noise[0]))
            logits = model.fc4(F.relu(model.fc3(torch.from_numpy(noise[1]))))
            bce_logits = nn.BCEWithLogitsLoss()(logits, data)
        return losses, model, sample, bce_logits
    side_by_side(script)


# --- DCGAN: two networks, two optimizers, detach() ----------------------------------

def test_dcgan_generator_and_discriminator():
    latent = DATA.normal(size=(3, 6, 5, 1, 1))
    real_images = DATA.uniform(-1, 1, size=(3, 6, 1, 8, 8))

    def script(torch, copy_weights):
        nn = torch.nn
        nz, ngf, ndf = 5, 4, 4

        def weights_init(m):
            classname = m.__class__.__name__
            if classname.find("Conv") != -1:
                nn.init.normal_(m.weight.data, 0.0, 0.02)
            elif classname.find("BatchNorm") != -1:
                nn.init.normal_(m.weight.data, 1.0, 0.02)
                nn.init.constant_(m.bias.data, 0)

        class Generator(nn.Module):
            def __init__(self):
                super().__init__()
                self.main = nn.Sequential(
                    nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False),
                    nn.BatchNorm2d(ngf * 2),
                    nn.ReLU(True),
                    nn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1, bias=False),
                    nn.Tanh())

            def forward(self, input):
                return self.main(input)

        class Discriminator(nn.Module):
            def __init__(self):
                super().__init__()
                self.main = nn.Sequential(
                    nn.Conv2d(1, ndf, 4, 2, 1, bias=False),
                    nn.LeakyReLU(0.2, inplace=True),
                    nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
                    nn.BatchNorm2d(ndf * 2),
                    nn.LeakyReLU(0.2, inplace=True),
                    nn.Conv2d(ndf * 2, 1, 2, 1, 0, bias=False),
                    nn.Sigmoid())

            def forward(self, input):
                return self.main(input)

        netG, netD = Generator(), Discriminator()
        netG.apply(weights_init)
        netD.apply(weights_init)
        copy_weights(netG, netD)
        criterion = nn.BCELoss()
        real_label, fake_label = 1.0, 0.0
        optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-3, betas=(0.5, 0.999))
        optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-3, betas=(0.5, 0.999))
        G_losses, D_losses = [], []
        for i in range(3):
            netD.zero_grad()
            real_cpu = torch.from_numpy(real_images[i])
            b_size = real_cpu.size(0)
            label = torch.full((b_size,), real_label, dtype=torch.double)
            output = netD(real_cpu).view(-1)
            errD_real = criterion(output, label)
            errD_real.backward()
            D_x = output.mean().item()
            noise = torch.from_numpy(latent[i])
            fake = netG(noise)
            label.fill_(fake_label)
            output = netD(fake.detach()).view(-1)
            errD_fake = criterion(output, label)
            errD_fake.backward()
            errD = errD_real + errD_fake
            optimizerD.step()
            netG.zero_grad()
            label.fill_(real_label)
            output = netD(fake).view(-1)
            errG = criterion(output, label)
            errG.backward()
            optimizerG.step()
            G_losses.append(errG.item())
            D_losses.append(errD.item())
            assert 0.0 < D_x < 1.0
        return G_losses, D_losses, netG, netD
    side_by_side(script)


# --- Text classification with EmbeddingBag and offsets ------------------------------

def test_text_classifier_with_embedding_bag_and_offsets():
    rng = np.random.default_rng(3)
    batches = []
    for _ in range(4):
        lengths = rng.integers(1, 6, size=5)
        batches.append((rng.integers(0, 4, size=5), rng.integers(0, 20, size=lengths.sum()),
                        np.concatenate([[0], np.cumsum(lengths)[:-1]])))

    def script(torch, copy_weights):
        nn = torch.nn

        class TextClassificationModel(nn.Module):
            def __init__(self, vocab_size, embed_dim, num_class):
                super().__init__()
                self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
                self.fc = nn.Linear(embed_dim, num_class)
                self.init_weights()

            def init_weights(self):
                initrange = 0.5
                nn.init.uniform_(self.embedding.weight, -initrange, initrange)
                nn.init.uniform_(self.fc.weight, -initrange, initrange)
                nn.init.zeros_(self.fc.bias)

            def forward(self, text, offsets):
                embedded = self.embedding(text, offsets)
                return self.fc(embedded)

        model = TextClassificationModel(20, 6, 4)
        copy_weights(model)
        criterion = torch.nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=5)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)
        losses, lrs = [], []
        model.train()
        for label, text, offsets in batches:
            label, text = torch.tensor(label), torch.tensor(text)
            offsets = torch.tensor(offsets)
            optimizer.zero_grad()
            predicted_label = model(text, offsets)
            loss = criterion(predicted_label, label)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            optimizer.step()
            losses.append(loss.item())
            scheduler.step()
            lrs.append(scheduler.get_last_lr()[0])
        model.eval()
        total_acc, total_count = 0, 0
        with torch.no_grad():
            for label, text, offsets in batches:
                label = torch.tensor(label)
                predicted_label = model(torch.tensor(text), torch.tensor(offsets))
                total_acc += (predicted_label.argmax(1) == label).sum().item()
                total_count += label.size(0)
        return losses, lrs, model, total_acc / total_count
    side_by_side(script)


# --- A character-level GRU language model -------------------------------------------

def test_char_gru_with_clipping_and_hidden_detach():
    corpus = np.random.default_rng(4).integers(0, 7, size=(4, 3, 9))

    def script(torch, copy_weights):
        nn = torch.nn

        class CharRNN(nn.Module):
            def __init__(self, n_chars, hidden):
                super().__init__()
                self.embed = nn.Embedding(n_chars, 5)
                self.rnn = nn.GRU(5, hidden, num_layers=2, batch_first=True)
                self.out = nn.Linear(hidden, n_chars)

            def forward(self, x, h):
                out, h = self.rnn(self.embed(x), h)
                return self.out(out), h

            def init_hidden(self, batch):
                return torch.zeros(2, batch, self.rnn.hidden_size)

        model = CharRNN(7, 6)
        copy_weights(model)
        criterion = nn.CrossEntropyLoss()
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        hidden = model.init_hidden(3)
        losses, norms = [], []
        for batch in corpus:
            batch = torch.from_numpy(batch)
            inputs, targets = batch[:, :-1], batch[:, 1:]
            hidden = hidden.detach()
            optimizer.zero_grad()
            logits, hidden = model(inputs, hidden)
            loss = criterion(logits.reshape(-1, 7), targets.reshape(-1))
            loss.backward()
            norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
            optimizer.step()
            losses.append(loss.item())
            norms.append(float(norm))
        return losses, norms, model, hidden
    side_by_side(script)


# --- A small Transformer decoder with a causal mask ---------------------------------

@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
def test_transformer_decoder_with_causal_and_padding_masks():
    rng = np.random.default_rng(5)
    tokens = rng.integers(1, 11, size=(3, 2, 6))
    tokens[:, 1, 4:] = 0                               # the second sequence is padded
    memory = rng.normal(size=(3, 2, 4, 8))

    def script(torch, copy_weights):
        nn = torch.nn

        class TinyDecoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(11, 8, padding_idx=0)
                self.pos = nn.Parameter(torch.zeros(1, 6, 8))
                layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0,
                                                   batch_first=True)
                self.decoder = nn.TransformerDecoder(layer, num_layers=2)
                self.self_attn = nn.MultiheadAttention(8, 2, batch_first=True)
                self.head = nn.Linear(8, 11)

            def forward(self, tgt, memory):
                T = tgt.size(1)
                mask = nn.Transformer.generate_square_subsequent_mask(T)
                padding = tgt == 0
                x = self.embed(tgt) + self.pos[:, :T]
                x = self.decoder(x, memory, tgt_mask=mask, tgt_key_padding_mask=padding,
                                 tgt_is_causal=True)
                causal = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
                attended, weights = self.self_attn(x, x, x, attn_mask=causal,
                                                   key_padding_mask=padding)
                return self.head(x + attended), weights

        model = TinyDecoder()
        with torch.no_grad():
            model.pos.normal_(0.0, 0.1)
        copy_weights(model)
        optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
        losses = []
        for step in range(3):
            tgt = torch.from_numpy(tokens[step])
            logits, weights = model(tgt[:, :-1], torch.from_numpy(memory[step]))
            loss = nn.functional.cross_entropy(logits.reshape(-1, 11), tgt[:, 1:].reshape(-1),
                                               ignore_index=0)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model, weights
    side_by_side(script)
