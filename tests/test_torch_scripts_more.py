"""PyTorch tutorial scripts, each written once against a module named ``torch`` and run
twice: with PyTorch, and with ``autodiff`` in its place.  The autodiff run starts from
the PyTorch run's initial weights (``load_torch_state_dict``); both run in float64 and
the losses, the final parameters and buffers must agree to ~1e-10.  Random parts
(dropout, the reparameterization noise) take their draws from NumPy so both runs see
the same numbers."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")

TOL = 1e-10


@pytest.fixture(autouse=True)
def _torch_in_float64():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def _state(model) -> dict:
    if isinstance(model, ad.nn.Module):
        return model.to_torch_state_dict()
    return {k: v.detach().numpy() for k, v in model.state_dict().items()}


def _same(theirs, ours, where="result"):
    if isinstance(theirs, dict):
        assert sorted(theirs) == sorted(ours), where
        for key in theirs:
            _same(theirs[key], ours[key], f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert len(theirs) == len(ours), where
        for k, (a, b) in enumerate(zip(theirs, ours)):
            _same(a, b, f"{where}[{k}]")
    elif theirs is None:
        assert ours is None, where
    elif isinstance(theirs, torch.nn.Module):
        _same(_state(theirs), _state(ours), f"{where} state")
    else:
        if isinstance(theirs, torch.Tensor):
            theirs = theirs.detach().numpy()
        ours = ours.detach().numpy() if isinstance(ours, ad.Tensor) else ours
        np.testing.assert_allclose(ours, theirs, rtol=TOL, atol=TOL, err_msg=where)


def side_by_side(script):
    """Run ``script(lib, copy_weights)`` with PyTorch, then with autodiff starting from
    the same weights, and compare what the two runs return."""
    torch.manual_seed(0)
    initial = []

    def keep_weights(*models):
        initial.extend(copy.deepcopy(m.state_dict()) for m in models)

    theirs = script(torch, keep_weights)
    states = iter(initial)

    def load_weights(*models):
        for model in models:
            model.load_torch_state_dict(next(states))

    ours = script(ad, load_weights)
    _same(theirs, ours)
    return theirs, ours


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


# --- A ResNet block with skip connections and a one-cycle schedule ------------------

def test_resnet_block_with_one_cycle_and_warm_restarts():
    images = DATA.normal(size=(4, 6, 2, 8, 8))
    labels = DATA.integers(0, 3, size=(4, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class BasicBlock(nn.Module):
            expansion = 1

            def __init__(self, in_planes, planes, stride=1):
                super().__init__()
                self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1,
                                       bias=False)
                self.bn1 = nn.BatchNorm2d(planes)
                self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
                self.bn2 = nn.BatchNorm2d(planes)
                self.shortcut = nn.Sequential()
                if stride != 1 or in_planes != planes:
                    self.shortcut = nn.Sequential(
                        nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False),
                        nn.BatchNorm2d(planes))

            def forward(self, x):
                out = F.relu(self.bn1(self.conv1(x)))
                out = self.bn2(self.conv2(out))
                out += self.shortcut(x)
                return F.relu(out)

        class TinyResNet(nn.Module):
            def __init__(self, num_classes=3):
                super().__init__()
                self.stem = nn.Conv2d(2, 4, 3, padding=1, bias=False)
                self.layer1 = BasicBlock(4, 4)
                self.layer2 = BasicBlock(4, 6, stride=2)
                self.pool = nn.AdaptiveAvgPool2d((1, 1))
                self.fc = nn.Linear(6, num_classes)

            def forward(self, x):
                out = self.layer2(self.layer1(F.relu(self.stem(x))))
                out = torch.flatten(self.pool(out), 1)
                return self.fc(out)

        model = TinyResNet()
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9,
                                    weight_decay=5e-4, nesterov=True)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, epochs=2,
                                                        steps_per_epoch=2)
        losses, lrs = [], []
        for epoch in range(2):
            for i in range(2):
                x = torch.from_numpy(images[2 * epoch + i])
                y = torch.from_numpy(labels[2 * epoch + i])
                optimizer.zero_grad()
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                optimizer.step()
                scheduler.step()
                losses.append(loss.item())
                lrs.append(scheduler.get_last_lr()[0])
                lrs.append(optimizer.param_groups[0]["momentum"])
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
        restarts = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=2,
                                                                        T_mult=2)
        for epoch in range(5):
            for i in range(2):
                loss = F.cross_entropy(model(torch.from_numpy(images[i])),
                                       torch.from_numpy(labels[i]))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                restarts.step(epoch + i / 2)
                lrs.append(restarts.get_last_lr()[0])
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            evaluated = model(torch.from_numpy(images[3]))
        return losses, lrs, model, evaluated
    side_by_side(script)


# --- Weight tying: the decoder uses the embedding's weight --------------------------

def test_weight_tied_language_model():
    text = np.random.default_rng(6).integers(0, 9, size=(3, 4, 5))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class RNNModel(nn.Module):
            """The tied decoder written as F.linear with the embedding's (ntoken, ninp)
            weight: the spelling that runs with both (see the next test)."""

            def __init__(self, ntoken, ninp, nhid, dropout=0.0):
                super().__init__()
                self.drop = nn.Dropout(dropout)
                self.encoder = nn.Embedding(ntoken, ninp)
                self.rnn = nn.LSTM(ninp, nhid, 1)
                self.decoder_bias = nn.Parameter(torch.zeros(ntoken))
                self.init_weights()

            def init_weights(self):
                initrange = 0.1
                nn.init.uniform_(self.encoder.weight, -initrange, initrange)

            def forward(self, input, hidden):
                emb = self.drop(self.encoder(input))
                output, hidden = self.rnn(emb, hidden)
                decoded = F.linear(self.drop(output), self.encoder.weight, self.decoder_bias)
                return F.log_softmax(decoded, dim=-1), hidden

        model = RNNModel(9, 6, 6)
        copy_weights(model)
        criterion = nn.NLLLoss()
        hidden = (torch.zeros(1, 5, 6), torch.zeros(1, 5, 6))
        losses = []
        for chunk in text:
            data = torch.from_numpy(chunk)
            model.zero_grad()
            hidden = tuple(h.detach() for h in hidden)
            output, hidden = model(data[:-1], hidden)
            loss = criterion(output.view(-1, 9), data[1:].reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            with torch.no_grad():
                for p in model.parameters():
                    p.add_(p.grad, alpha=-1.0)
            losses.append(loss.item())
        return losses, model
    side_by_side(script)


# --- model.apply(init_fn), a buffer of running statistics, early stopping -----------

def test_apply_init_running_buffer_and_early_stopping():
    inputs = DATA.normal(loc=2.0, size=(8, 10, 4))
    targets = DATA.normal(size=(8, 10, 1))

    def script(torch, copy_weights):
        nn = torch.nn
        visited = []

        def init_fn(m):
            visited.append(type(m).__name__)
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight, gain=nn.init.calculate_gain("tanh"))
                nn.init.zeros_(m.bias)

        class Standardize(nn.Module):
            def __init__(self, features, momentum=0.1):
                super().__init__()
                self.momentum = momentum
                self.register_buffer("running_mean", torch.zeros(features))
                self.register_buffer("running_var", torch.ones(features))
                self.register_buffer("steps", torch.tensor(0), persistent=False)

            def forward(self, x):
                if self.training:
                    with torch.no_grad():
                        m = self.momentum
                        self.running_mean = (1 - m) * self.running_mean + m * x.mean(0)
                        self.running_var = (1 - m) * self.running_var + m * x.var(0, unbiased=True)
                        self.steps += 1
                return (x - self.running_mean) / torch.sqrt(self.running_var + 1e-5)

        model = nn.Sequential(Standardize(4), nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
        model.apply(init_fn)
        assert visited == ["Standardize", "Linear", "Tanh", "Linear", "Sequential"]
        assert list(model.state_dict()) == ["0.running_mean", "0.running_var", "1.weight",
                                            "1.bias", "3.weight", "3.bias"]
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
        best_loss, best_state, patience, bad_epochs = float("inf"), None, 2, 0
        val_x, val_y = torch.from_numpy(inputs[-1]), torch.from_numpy(targets[-1])
        losses, stopped_at = [], None
        for epoch in range(7):
            model.train()
            loss = nn.functional.mse_loss(model(torch.from_numpy(inputs[epoch])),
                                          torch.from_numpy(targets[epoch]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            model.eval()
            with torch.no_grad():
                val_loss = nn.functional.mse_loss(model(val_x), val_y).item()
            losses.append(val_loss)
            if val_loss < best_loss:
                best_loss, bad_epochs = val_loss, 0
                best_state = copy.deepcopy(model.state_dict())
            else:
                bad_epochs += 1
                if bad_epochs >= patience:
                    stopped_at = epoch
                    break
        model.load_state_dict(best_state)
        with torch.no_grad():
            final = nn.functional.mse_loss(model(val_x), val_y).item()
        assert final == best_loss
        return losses, stopped_at, model, model[0].steps.item()
    side_by_side(script)


# --- Param groups, gradient accumulation, evaluation with argmax --------------------

def test_param_groups_accumulation_and_accuracy():
    features = DATA.normal(size=(12, 4, 5))
    classes = DATA.integers(0, 3, size=(12, 4))

    def script(torch, copy_weights):
        nn = torch.nn

        class Classifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.backbone = nn.Sequential(nn.Linear(5, 16), nn.GELU(),
                                              nn.LayerNorm(16), nn.Dropout(p=0.0))
                self.head = nn.Linear(16, 3)

            def forward(self, x):
                return self.head(self.backbone(x))

        model = Classifier()
        copy_weights(model)
        decay, no_decay = [], []
        for name, param in model.named_parameters():
            (no_decay if name.endswith("bias") or "2." in name else decay).append(param)
        optimizer = torch.optim.AdamW([
            {"params": decay, "weight_decay": 0.1},
            {"params": no_decay, "weight_decay": 0.0, "lr": 3e-2},
        ], lr=1e-2, betas=(0.9, 0.95))
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 / (1 + step))
        criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
        accumulation_steps = 3
        losses = []
        model.train()
        optimizer.zero_grad()
        for i in range(9):
            outputs = model(torch.from_numpy(features[i]))
            loss = criterion(outputs, torch.from_numpy(classes[i])) / accumulation_steps
            loss.backward()
            losses.append(loss.item())
            if (i + 1) % accumulation_steps == 0:
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
        model.eval()
        correct = total = 0
        with torch.no_grad():
            for i in range(9, 12):
                outputs = model(torch.from_numpy(features[i]))
                _, predicted = torch.max(outputs, dim=1)
                total += outputs.size(0)
                correct += (predicted == torch.from_numpy(classes[i])).sum().item()
                probabilities = torch.softmax(outputs, dim=1)
        lrs = [group["lr"] for group in optimizer.param_groups]
        return losses, model, correct / total, lrs, probabilities
    side_by_side(script)


# --- A custom autograd.Function inside a model, and forward hooks -------------------

def test_custom_function_in_a_model_and_forward_hooks():
    inputs = DATA.normal(size=(4, 6, 3))
    targets = DATA.normal(size=(4, 6, 2))

    def script(torch, copy_weights):
        nn = torch.nn

        class ScaledSoftplus(torch.autograd.Function):
            @staticmethod
            def forward(ctx, input, beta):
                ctx.save_for_backward(input)
                ctx.beta = beta
                return torch.log1p(torch.exp(beta * input)) / beta

            @staticmethod
            def backward(ctx, grad_output):
                input, = ctx.saved_tensors
                return grad_output * torch.sigmoid(ctx.beta * input), None

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(3, 5)
                self.fc2 = nn.Linear(5, 2)

            def forward(self, x):
                return self.fc2(ScaledSoftplus.apply(self.fc1(x), 2.0))

        model = Net()
        copy_weights(model)
        activations = {}

        def get_activation(name):
            def hook(module, input, output):
                activations[name] = output.detach()
            return hook

        handle = model.fc1.register_forward_hook(get_activation("fc1"))
        seen_inputs = []
        pre = model.fc2.register_forward_pre_hook(lambda m, args: seen_inputs.append(
            args[0].shape[-1]))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        losses, captured = [], []
        for i in range(4):
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(torch.from_numpy(inputs[i])),
                                          torch.from_numpy(targets[i]))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            captured.append(activations["fc1"])
        handle.remove()
        pre.remove()
        activations.clear()
        model(torch.from_numpy(inputs[0]))
        assert activations == {} and seen_inputs == [5] * 4
        return losses, captured, model
    side_by_side(script)


# --- The Quickstart: a Dataset subclass, DataLoader, train and test loops -----------

def test_quickstart_with_dataset_dataloader_train_and_test():
    images = DATA.normal(size=(40, 1, 4, 4))
    labels = DATA.integers(0, 3, size=40)

    def script(torch, copy_weights):
        nn = torch.nn
        Dataset, DataLoader = torch.utils.data.Dataset, torch.utils.data.DataLoader

        class RandomImages(Dataset):
            def __init__(self, images, labels, transform=None, target_transform=None):
                self.images, self.labels = images, labels
                self.transform, self.target_transform = transform, target_transform

            def __len__(self):
                return len(self.labels)

            def __getitem__(self, idx):
                image = torch.from_numpy(self.images[idx])
                label = int(self.labels[idx])
                if self.transform:
                    image = self.transform(image)
                if self.target_transform:
                    label = self.target_transform(label)
                return image, label

        training_data = RandomImages(images[:32], labels[:32], transform=lambda x: x * 0.5)
        test_data = RandomImages(images[32:], labels[32:])
        batch_size = 8
        train_dataloader = DataLoader(training_data, batch_size=batch_size)
        test_dataloader = DataLoader(test_data, batch_size=batch_size)
        for X, y in test_dataloader:
            assert tuple(X.shape) == (8, 1, 4, 4) and y.dtype == torch.int64
            break
        device = "cuda" if torch.cuda.is_available() else "cpu"

        class NeuralNetwork(nn.Module):
            def __init__(self):
                super().__init__()
                self.flatten = nn.Flatten()
                self.linear_relu_stack = nn.Sequential(
                    nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 12), nn.ReLU(),
                    nn.Linear(12, 3))

            def forward(self, x):
                x = self.flatten(x)
                logits = self.linear_relu_stack(x)
                return logits

        model = NeuralNetwork().to(device)
        copy_weights(model)
        loss_fn = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-1)
        train_losses, test_results = [], []

        def train(dataloader, model, loss_fn, optimizer):
            size = len(dataloader.dataset)
            model.train()
            for batch, (X, y) in enumerate(dataloader):
                X, y = X.to(device), y.to(device)
                pred = model(X)
                loss = loss_fn(pred, y)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                loss, current = loss.item(), (batch + 1) * len(X)
                train_losses.append(loss)
                assert current <= size

        def test(dataloader, model, loss_fn):
            size = len(dataloader.dataset)
            num_batches = len(dataloader)
            model.eval()
            test_loss, correct = 0, 0
            with torch.no_grad():
                for X, y in dataloader:
                    X, y = X.to(device), y.to(device)
                    pred = model(X)
                    test_loss += loss_fn(pred, y).item()
                    correct += (pred.argmax(1) == y).type(torch.float).sum().item()
            test_results.append((test_loss / num_batches, correct / size))

        for _ in range(3):
            train(train_dataloader, model, loss_fn, optimizer)
            test(test_dataloader, model, loss_fn)
        return train_losses, test_results, model
    side_by_side(script)


# --- Fine-tuning: save, load, freeze the backbone, a new head -----------------------

def test_fine_tuning_with_save_load_and_a_frozen_backbone(tmp_path):
    images = DATA.normal(size=(6, 5, 1, 6, 6))
    labels = DATA.integers(0, 4, size=(6, 5))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class SmallCNN(nn.Module):
            def __init__(self, num_classes):
                super().__init__()
                self.features = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(),
                                              nn.MaxPool2d(2), nn.Flatten())
                self.classifier = nn.Linear(12, num_classes)

            def forward(self, x):
                return self.classifier(self.features(x))

        def fit(model, optimizer, batches):
            losses = []
            for i in batches:
                loss = F.cross_entropy(model(torch.from_numpy(images[i])),
                                       torch.from_numpy(labels[i]) % model.classifier.out_features)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            return losses

        pretrained = SmallCNN(4)
        copy_weights(pretrained)
        losses = fit(pretrained, torch.optim.Adam(pretrained.parameters(), lr=0.01), range(3))
        path = tmp_path / f"{torch.__name__}.pt"
        torch.save(pretrained.state_dict(), path)

        model = SmallCNN(4)
        model.load_state_dict(torch.load(path, weights_only=True))
        for param in model.features.parameters():
            param.requires_grad = False
        model.classifier = nn.Linear(12, 2)
        copy_weights(model.classifier)
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()),
                                    lr=0.05, momentum=0.9)
        frozen_before = [p.detach().clone() for p in model.features.parameters()]
        losses += fit(model, optimizer, range(3, 6))
        for before, after in zip(frozen_before, model.features.parameters()):
            assert after.grad is None and before.equal(after)
        return losses, trainable, pretrained, model
    side_by_side(script)
