"""A twelfth round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights; values must agree (float64 to 1e-10).  Random parts take their
draws from NumPy so both runs see the same numbers.  This round is about the models
users write first; here: a character-level name classifier by a two-layer ``nn.RNN``
over ``F.one_hot`` inputs with ``LogSoftmax`` and ``NLLLoss``, a GRU encoder-decoder
with teacher forcing decided per step, a VAE trained by ``binary_cross_entropy_with_logits``
plus the KL term, a DCGAN step (``ConvTranspose2d``, ``BatchNorm2d`` in train and eval),
a ResNet basic block with a ``downsample`` shortcut, a small ViT (patches by a strided
``Conv2d``, a ``cls_token`` Parameter, ``TransformerEncoderLayer(batch_first=True,
norm_first=True)``) and a CLIP-style contrastive loss with a learned temperature
(losses: test_torch_scripts_twelfth_losses.py; training machinery: _training.py;
tensor functions: _functions.py)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1212)


def test_char_rnn_name_classifier_with_one_hot_inputs_and_nll_loss():
    n_letters, n_categories = 12, 4
    name_values = [DATA.integers(0, n_letters, size=length) for length in (5, 3, 7, 4, 6)]
    category_values = DATA.integers(0, n_categories, size=len(name_values))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class CharRNN(nn.Module):
            def __init__(self, input_size, hidden_size, output_size):
                super().__init__()
                self.rnn = nn.RNN(input_size, hidden_size, num_layers=2)
                self.h2o = nn.Linear(hidden_size, output_size)
                self.softmax = nn.LogSoftmax(dim=1)

            def forward(self, line_tensor):
                rnn_out, hidden = self.rnn(line_tensor)
                return self.softmax(self.h2o(hidden[-1]))

        def line_to_tensor(letters):
            # (length, batch=1, n_letters), as the tutorial builds it
            return F.one_hot(torch.from_numpy(letters), n_letters).double().unsqueeze(1)

        model = CharRNN(n_letters, 8, n_categories)
        copy_weights(model)
        criterion = nn.NLLLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
        losses = []
        for _ in range(2):
            for letters, category in zip(name_values, category_values):
                output = model(line_to_tensor(letters))
                loss = criterion(output, torch.tensor([int(category)]))
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 3)
                optimizer.step()
                losses.append(loss.item())
        with torch.no_grad():
            output = model(line_to_tensor(name_values[0]))
            top_value, top_index = output.topk(1)
        return losses, model, output, top_value, top_index
    side_by_side(script)


def test_gru_seq2seq_with_teacher_forcing_decided_per_step():
    vocab, sos = 9, 0
    source_values = DATA.integers(1, vocab, size=(3, 6))
    target_values = DATA.integers(1, vocab, size=(3, 5))
    teacher_draws = DATA.uniform(size=(3, 5)) < 0.5

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class Encoder(nn.Module):
            def __init__(self, vocab, hidden):
                super().__init__()
                self.embedding = nn.Embedding(vocab, hidden)
                self.gru = nn.GRU(hidden, hidden, batch_first=True)

            def forward(self, source):
                return self.gru(self.embedding(source))

        class Decoder(nn.Module):
            def __init__(self, hidden, vocab):
                super().__init__()
                self.embedding = nn.Embedding(vocab, hidden)
                self.gru = nn.GRU(hidden, hidden, batch_first=True)
                self.out = nn.Linear(hidden, vocab)

            def forward_step(self, token, hidden):
                output, hidden = self.gru(F.relu(self.embedding(token)), hidden)
                return self.out(output), hidden

        encoder, decoder = Encoder(vocab, 6), Decoder(6, vocab)
        copy_weights(encoder, decoder)
        params = list(encoder.parameters()) + list(decoder.parameters())
        optimizer = torch.optim.Adam(params, lr=0.01)
        criterion = nn.CrossEntropyLoss()
        source, target = torch.from_numpy(source_values), torch.from_numpy(target_values)
        losses, decoded = [], []
        for epoch in range(3):
            optimizer.zero_grad()
            _, hidden = encoder(source)
            token = torch.full((3, 1), sos, dtype=torch.long)
            loss = 0
            for step in range(target.size(1)):
                logits, hidden = decoder.forward_step(token, hidden)
                loss = loss + criterion(logits.squeeze(1), target[:, step])
                if teacher_draws[epoch, step]:
                    token = target[:, step].unsqueeze(1)
                else:
                    _, top = logits.topk(1, dim=-1)
                    token = top.squeeze(-1).detach()
                    decoded.append(token.squeeze(1))
            loss = loss / target.size(1)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, encoder, decoder, decoded
    side_by_side(script)


def test_vae_by_bce_with_logits_plus_kl_and_reparameterisation():
    image_values = (DATA.uniform(size=(6, 16)) < 0.4).astype(float)
    noise_values = DATA.normal(size=(4, 6, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class VAE(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(16, 8)
                self.fc_mu = nn.Linear(8, 2)
                self.fc_logvar = nn.Linear(8, 2)
                self.fc3 = nn.Linear(2, 8)
                self.fc4 = nn.Linear(8, 16)

            def encode(self, x):
                h = F.relu(self.fc1(x))
                return self.fc_mu(h), self.fc_logvar(h)

            def reparameterize(self, mu, logvar, eps):
                std = torch.exp(0.5 * logvar)
                return mu + eps * std

            def decode(self, z):
                return self.fc4(F.relu(self.fc3(z)))

            def forward(self, x, eps):
                mu, logvar = self.encode(x.view(-1, 16))
                z = self.reparameterize(mu, logvar, eps)
                return self.decode(z), mu, logvar

        def loss_function(recon_logits, x, mu, logvar):
            bce = F.binary_cross_entropy_with_logits(recon_logits, x.view(-1, 16),
                                                     reduction='sum')
            kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            return bce + kld, bce, kld

        model = VAE()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        images = torch.from_numpy(image_values)
        history = []
        model.train()
        for step in range(4):
            optimizer.zero_grad()
            recon, mu, logvar = model(images, torch.from_numpy(noise_values[step]))
            loss, bce, kld = loss_function(recon, images, mu, logvar)
            loss.backward()
            optimizer.step()
            history.append([loss.item(), bce.item(), kld.item()])
        model.eval()
        with torch.no_grad():
            sample = torch.sigmoid(model.decode(torch.from_numpy(noise_values[0])))
        return history, model, sample
    side_by_side(script)


def test_dcgan_step_with_conv_transpose_and_batch_norm_in_train_and_eval():
    real_values = DATA.uniform(-1, 1, size=(4, 1, 8, 8))
    latent_values = DATA.normal(size=(3, 4, 5, 1, 1))

    def script(torch, copy_weights):
        nn = torch.nn

        generator = nn.Sequential(
            nn.ConvTranspose2d(5, 8, 4, 1, 0, bias=False),    # 1x1 -> 4x4
            nn.BatchNorm2d(8),
            nn.ReLU(True),
            nn.ConvTranspose2d(8, 1, 4, 2, 1, bias=False),    # 4x4 -> 8x8
            nn.Tanh(),
        )
        discriminator = nn.Sequential(
            nn.Conv2d(1, 4, 4, 2, 1, bias=False),              # 8x8 -> 4x4
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(4, 8, 4, 2, 1, bias=False),              # 4x4 -> 2x2
            nn.BatchNorm2d(8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(8, 1, 2, 1, 0, bias=False),
            nn.Sigmoid(),
        )
        copy_weights(generator, discriminator)
        criterion = nn.BCELoss()
        opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-3, betas=(0.5, 0.999))
        opt_g = torch.optim.Adam(generator.parameters(), lr=2e-3, betas=(0.5, 0.999))
        real = torch.from_numpy(real_values)
        history = []
        for step in range(3):
            noise = torch.from_numpy(latent_values[step])
            discriminator.zero_grad()
            label = torch.full((4,), 1.0)
            err_real = criterion(discriminator(real).view(-1), label)
            err_real.backward()
            fake = generator(noise)
            label.fill_(0.0)
            err_fake = criterion(discriminator(fake.detach()).view(-1), label)
            err_fake.backward()
            opt_d.step()
            generator.zero_grad()
            label.fill_(1.0)
            err_g = criterion(discriminator(fake).view(-1), label)
            err_g.backward()
            opt_g.step()
            history.append([err_real.item(), err_fake.item(), err_g.item()])
        generator.eval()
        with torch.no_grad():
            evaluated = generator(torch.from_numpy(latent_values[0]))
        return history, generator, discriminator, evaluated
    side_by_side(script)


def test_resnet_basic_block_with_downsample_shortcut():
    image_values = DATA.normal(size=(4, 3, 8, 8))
    label_values = DATA.integers(0, 5, size=4)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class BasicBlock(nn.Module):
            expansion = 1

            def __init__(self, inplanes, planes, stride=1, downsample=None):
                super().__init__()
                self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1,
                                       bias=False)
                self.bn1 = nn.BatchNorm2d(planes)
                self.relu = nn.ReLU(inplace=True)
                self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
                self.bn2 = nn.BatchNorm2d(planes)
                self.downsample = downsample

            def forward(self, x):
                identity = x
                out = self.relu(self.bn1(self.conv1(x)))
                out = self.bn2(self.conv2(out))
                if self.downsample is not None:
                    identity = self.downsample(x)
                out += identity
                return self.relu(out)

        def make_layer(inplanes, planes, stride):
            downsample = None
            if stride != 1 or inplanes != planes:
                downsample = nn.Sequential(
                    nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False),
                    nn.BatchNorm2d(planes))
            return nn.Sequential(BasicBlock(inplanes, planes, stride, downsample),
                                 BasicBlock(planes, planes))

        model = nn.Sequential(make_layer(3, 6, 2), nn.AdaptiveAvgPool2d((1, 1)),
                              nn.Flatten(), nn.Linear(6, 5))
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9,
                                    weight_decay=1e-4)
        images, labels = torch.from_numpy(image_values), torch.from_numpy(label_values)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            evaluated = model(images)
        has_shortcut = [m.downsample is not None for m in model[0]]
        return losses, model, evaluated, has_shortcut
    side_by_side(script)


def test_small_vit_with_conv_patches_cls_token_and_pre_norm_encoder():
    image_values = DATA.normal(size=(3, 2, 8, 8))
    label_values = DATA.integers(0, 4, size=3)

    def script(torch, copy_weights):
        nn = torch.nn

        class ViT(nn.Module):
            def __init__(self, image_size=8, patch_size=4, channels=2, dim=8, depth=2,
                         heads=2, num_classes=4):
                super().__init__()
                num_patches = (image_size // patch_size) ** 2
                self.patch_embed = nn.Conv2d(channels, dim, kernel_size=patch_size,
                                             stride=patch_size)
                self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
                self.pos_embedding = nn.Parameter(torch.zeros(1, num_patches + 1, dim))
                layer = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=16,
                                                   dropout=0.0, activation="gelu",
                                                   batch_first=True, norm_first=True)
                self.encoder = nn.TransformerEncoder(layer, depth,
                                                     enable_nested_tensor=False)
                self.norm = nn.LayerNorm(dim)
                self.head = nn.Linear(dim, num_classes)

            def forward(self, images):
                x = self.patch_embed(images).flatten(2).transpose(1, 2)
                cls_tokens = self.cls_token.expand(x.shape[0], -1, -1)
                x = torch.cat((cls_tokens, x), dim=1) + self.pos_embedding
                x = self.encoder(x)
                return self.head(self.norm(x[:, 0]))

        model = ViT()
        with torch.no_grad():
            model.cls_token.copy_(torch.linspace(-0.1, 0.1, 8).view(1, 1, 8))
            model.pos_embedding.copy_(torch.linspace(-0.2, 0.2, 40).view(1, 5, 8))
        copy_weights(model)
        optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.05)
        images, labels = torch.from_numpy(image_values), torch.from_numpy(label_values)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model, model.cls_token.grad
    side_by_side(script)


def test_clip_style_contrastive_loss_with_learned_temperature():
    image_values = DATA.normal(size=(5, 6))
    text_values = DATA.normal(size=(5, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class CLIPHeads(nn.Module):
            def __init__(self):
                super().__init__()
                self.image_proj = nn.Linear(6, 3, bias=False)
                self.text_proj = nn.Linear(4, 3, bias=False)
                self.logit_scale = nn.Parameter(torch.ones([]) * np.log(1 / 0.07))

            def forward(self, images, texts):
                image_features = F.normalize(self.image_proj(images), dim=-1)
                text_features = F.normalize(self.text_proj(texts), p=2, dim=1)
                scale = self.logit_scale.exp()
                logits_per_image = scale * image_features @ text_features.t()
                return logits_per_image, logits_per_image.t()

        model = CLIPHeads()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        images, texts = torch.from_numpy(image_values), torch.from_numpy(text_values)
        losses = []
        for _ in range(4):
            optimizer.zero_grad()
            logits_per_image, logits_per_text = model(images, texts)
            labels = torch.arange(images.shape[0])
            loss = (F.cross_entropy(logits_per_image, labels)
                    + F.cross_entropy(logits_per_text, labels)) / 2
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0, np.log(100))
            losses.append(loss.item())
        # the pairwise similarities by broadcasting, as the cosine_similarity docs show
        similarity = F.cosine_similarity(model.image_proj(images).unsqueeze(1),
                                         model.text_proj(texts).unsqueeze(0), dim=-1)
        accuracy = (similarity.argmax(dim=1) == torch.arange(5)).double().mean()
        return losses, model, similarity, accuracy
    side_by_side(script)
