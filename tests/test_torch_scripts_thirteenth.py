"""A thirteenth round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights; values must agree (float64 to 1e-10).  Random parts take their
draws from NumPy so both runs see the same numbers.  This round takes the scripts of
earlier rounds into the settings they had left out; here, models: a neural topic
model (NVDM) whose likelihood is ``Multinomial(logits=, validate_args=False)``, text
classification by ``EmbeddingBag`` in ``'max'`` and ``'mean'`` modes with
``padding_idx``, a decoder-only word-level language model of ``TransformerDecoderLayer``
with ``tgt_is_causal`` and a padding mask, a 3-D spatial transformer (``affine_grid`` of
a volume, ``grid_sample`` nearest and trilinear, ``align_corners`` both ways), a
keyword spotter with ``InstanceNorm1d(affine=True, track_running_stats=True)`` and
``GroupNorm``, a CTC recognizer over a packed LSTM with the blank last and
concatenated targets, distillation by ``KLDivLoss(log_target=True)``, and sub-pixel
super-resolution (a ``PixelUnshuffle`` stem, a ``PixelShuffle`` head, overlapping patches
averaged by ``F.unfold`` / ``F.fold``) (RL, attention and densities:
test_torch_scripts_thirteenth_rl.py; autograd and training: _training.py; what the
round found missing or different: _distributions.py and _gaps.py)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1313)


def test_nvdm_topic_model_with_a_multinomial_likelihood():
    vocab, topics = 12, 3
    bags = DATA.poisson(1.5, size=(3, 5, vocab)).astype(float)
    noise = DATA.normal(size=(3, 5, topics))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        D = torch.distributions

        class NVDM(nn.Module):
            def __init__(self, vocab_size, n_topics, hidden=16):
                super().__init__()
                self.encoder = nn.Sequential(nn.Linear(vocab_size, hidden), nn.Softplus())
                self.mu = nn.Linear(hidden, n_topics)
                self.log_sigma = nn.Linear(hidden, n_topics)
                self.decoder = nn.Linear(n_topics, vocab_size)

            def forward(self, bow, eps):
                h = self.encoder(bow)
                mu, sigma = self.mu(h), self.log_sigma(h).exp()
                z = mu + sigma * eps                      # the reparameterized draw
                logits = F.log_softmax(self.decoder(z), dim=-1)
                likelihood = D.Multinomial(logits=logits, validate_args=False)
                nll = -likelihood.log_prob(bow)
                kl = D.kl_divergence(D.Normal(mu, sigma),
                                     D.Normal(torch.zeros_like(mu), torch.ones_like(sigma)))
                return nll, kl.sum(-1)

        model = NVDM(vocab, topics)
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
        losses, perplexities = [], []
        for bow_values, eps_values in zip(bags, noise):
            bow = torch.from_numpy(bow_values)
            nll, kl = model(bow, torch.from_numpy(eps_values))
            loss = (nll + kl).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            perplexities.append(torch.exp((nll + kl).sum() / bow.sum()).item())
        with torch.no_grad():
            # (each topic's top words, read through the decoder: a Linear's weight is
            # (in, out) here, so its rows are not PyTorch's)
            topic_words = (model.decoder(torch.eye(topics)) - model.decoder.bias).topk(3).indices
        return losses, perplexities, topic_words, model
    side_by_side(script)


def test_embedding_bag_text_classifier_in_max_and_mean_modes_with_padding_idx():
    pad, vocab = 0, 15
    texts = [[DATA.integers(1, vocab, size=n).tolist() for n in (3, 5, 2, 4)] for _ in range(3)]
    for batch in texts:
        batch[1][1:3] = [pad, pad]                     # padding inside a text: skipped
    labels = DATA.integers(0, 3, size=(3, 4))

    def script(torch, copy_weights):
        nn = torch.nn

        class TextClassificationModel(nn.Module):
            def __init__(self, vocab_size, embed_dim, num_class):
                super().__init__()
                self.bag_max = nn.EmbeddingBag(vocab_size, embed_dim, mode="max",
                                               padding_idx=pad)
                self.bag_mean = nn.EmbeddingBag(vocab_size, embed_dim, mode="mean",
                                                padding_idx=pad)
                self.fc = nn.Linear(2 * embed_dim, num_class)

            def forward(self, text, offsets):
                features = torch.cat([self.bag_max(text, offsets),
                                      self.bag_mean(text, offsets)], dim=1)
                return self.fc(features)

        def collate_batch(batch):
            offsets = [0] + [len(t) for t in batch[:-1]]
            text = torch.cat([torch.tensor(t, dtype=torch.int64) for t in batch])
            return text, torch.tensor(offsets).cumsum(dim=0)

        model = TextClassificationModel(vocab, 6, 3)
        copy_weights(model)
        criterion = torch.nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.5)
        losses, accuracies = [], []
        for batch, label_values in zip(texts, labels):
            text, offsets = collate_batch(batch)
            label = torch.from_numpy(label_values)
            optimizer.zero_grad()
            predicted_label = model(text, offsets)
            loss = criterion(predicted_label, label)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            accuracies.append((predicted_label.argmax(1) == label).sum().item())
        return losses, accuracies, model, model.bag_max.weight[pad]
    side_by_side(script)


def test_decoder_only_language_model_of_transformer_decoder_layers():
    vocab, seq_len, pad = 11, 6, 0
    sentences = DATA.integers(1, vocab, size=(3, 2, seq_len + 1))
    sentences[:, 1, -2:] = pad                        # the second sentence ends early

    def script(torch, copy_weights):
        nn = torch.nn

        class WordLM(nn.Module):
            def __init__(self, ntoken, d_model=8, nhead=2, nlayers=2):
                super().__init__()
                self.embedding = nn.Embedding(ntoken, d_model, padding_idx=pad)
                self.pos = nn.Parameter(torch.zeros(1, seq_len, d_model))
                layer = nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward=16,
                                                   dropout=0.0, batch_first=True,
                                                   norm_first=True, activation="gelu")
                self.decoder = nn.TransformerDecoder(layer, nlayers, norm=nn.LayerNorm(d_model))
                self.lm_head = nn.Linear(d_model, ntoken)

            def forward(self, src, memory):
                x = self.embedding(src) + self.pos[:, :src.size(1)]
                mask = nn.Transformer.generate_square_subsequent_mask(src.size(1))
                h = self.decoder(x, memory, tgt_mask=mask, tgt_is_causal=True,
                                 tgt_key_padding_mask=src == pad)
                return self.lm_head(h)

        model = WordLM(vocab)
        copy_weights(model)
        with torch.no_grad():
            model.pos.copy_(torch.linspace(-0.5, 0.5, seq_len * 8).reshape(1, seq_len, 8))
        memory = torch.zeros(2, 1, 8)                 # decoder-only: an empty context
        criterion = nn.CrossEntropyLoss(ignore_index=pad)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
        losses, norms = [], []
        for sentence in sentences:
            tokens = torch.from_numpy(sentence)
            data, targets = tokens[:, :-1], tokens[:, 1:]
            output = model(data, memory)
            loss = criterion(output.reshape(-1, vocab), targets.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            norms.append(torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5, foreach=True))
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            prompt = torch.from_numpy(sentences[0, :1, :2])
            for _ in range(3):
                next_token = model(prompt, memory[:1])[:, -1].argmax(dim=-1, keepdim=True)
                prompt = torch.cat([prompt, next_token], dim=1)
        return losses, norms, prompt, model
    side_by_side(script)


@pytest.mark.parametrize("align_corners", [False, True])
def test_volumetric_spatial_transformer_with_nearest_and_trilinear_sampling(align_corners):
    volumes = DATA.normal(size=(2, 2, 1, 4, 5, 6))
    targets = DATA.integers(0, 3, size=(2, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class VolumeSTN(nn.Module):
            def __init__(self):
                super().__init__()
                self.localization = nn.Sequential(nn.Conv3d(1, 2, 3), nn.ReLU(),
                                                  nn.AdaptiveAvgPool3d(1), nn.Flatten())
                self.fc_loc = nn.Linear(2, 3 * 4)
                self.classifier = nn.Linear(2 * 4 * 5 * 6, 3)

            def stn(self, x):
                theta = self.fc_loc(self.localization(x)).view(-1, 3, 4)
                grid = F.affine_grid(theta, x.size(), align_corners=align_corners)
                smooth = F.grid_sample(x, grid, mode="bilinear", padding_mode="border",
                                       align_corners=align_corners)
                nearest = F.grid_sample(x, grid.detach(), mode="nearest",
                                        align_corners=align_corners)
                return torch.cat([smooth, nearest], dim=1)

            def forward(self, x):
                return self.classifier(self.stn(x).flatten(1))

        model = VolumeSTN()
        copy_weights(model)
        with torch.no_grad():
            # near the identity, off the voxel centres (where sampling has kinks)
            model.fc_loc.weight.mul_(0.1)
            model.fc_loc.bias.copy_(torch.tensor([0.9, 0.05, 0, 0.03, 0.1, 1.1, 0, -0.02,
                                                  0, 0.07, 0.95, 0.01]))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        losses = []
        for x_values, y_values in zip(volumes, targets):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(torch.from_numpy(x_values)),
                                   torch.from_numpy(y_values))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model
    side_by_side(script)


def test_keyword_spotter_with_tracked_instance_norm_and_group_norm():
    clips = DATA.normal(size=(3, 4, 2, 20))
    labels = DATA.integers(0, 3, size=(3, 4))

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(
            # (no bias before a norm that takes the mean out: its gradient is 0 up to
            # rounding, which RMSprop's division would blow up)
            nn.Conv1d(2, 8, 5, padding="same", dilation=2, bias=False),
            nn.InstanceNorm1d(8, affine=True, track_running_stats=True, momentum=0.2),
            nn.SiLU(),
            nn.Conv1d(8, 8, 3, stride=2, groups=2),
            nn.GroupNorm(4, 8, eps=1e-3),
            nn.ReLU(),
            nn.AdaptiveMaxPool1d(1),
            nn.Flatten(),
            nn.Linear(8, 3),
        )
        copy_weights(model)
        optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-2, momentum=0.5,
                                        centered=True)
        losses = []
        model.train()
        for x_values, y_values in zip(clips, labels):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(torch.from_numpy(x_values)),
                                               torch.from_numpy(y_values))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            evaluated = model(torch.from_numpy(clips[0]))
        return losses, evaluated, model
    side_by_side(script)


def test_ctc_recognizer_over_a_packed_lstm_with_the_blank_last():
    n_classes, blank = 5, 4                            # the blank is the last class
    features = DATA.normal(size=(2, 3, 9, 4))
    lengths = [[9, 6, 7], [8, 9, 5]]
    transcripts = [[[1, 2, 2], [0, 3], [1]], [[3, 3, 0, 1], [2], [0, 1]]]

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        pack = nn.utils.rnn.pack_padded_sequence
        unpack = nn.utils.rnn.pad_packed_sequence

        class Recognizer(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(4, 6, batch_first=True, bidirectional=True)
                self.head = nn.Linear(12, n_classes)

            def forward(self, x, x_lengths):
                packed = pack(x, x_lengths, batch_first=True, enforce_sorted=False)
                out, _ = self.lstm(packed)
                out, out_lengths = unpack(out, batch_first=True, total_length=x.size(1))
                return self.head(out).log_softmax(dim=2), out_lengths

        model = Recognizer()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        ctc = nn.CTCLoss(blank=blank, reduction="sum", zero_infinity=True)
        losses = []
        for x_values, x_lengths, texts in zip(features, lengths, transcripts):
            log_probs, out_lengths = model(torch.from_numpy(x_values), torch.tensor(x_lengths))
            targets = torch.tensor([c for text in texts for c in text])   # concatenated
            target_lengths = torch.tensor([len(text) for text in texts])
            loss = ctc(log_probs.transpose(0, 1), targets, out_lengths, target_lengths)
            mean_loss = F.ctc_loss(log_probs.transpose(0, 1), targets, out_lengths,
                                   target_lengths, blank=blank)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append([loss.item(), mean_loss.item()])
        with torch.no_grad():
            best_path = model(torch.from_numpy(features[0]), torch.tensor(lengths[0]))[0]
        return losses, best_path.argmax(-1), model
    side_by_side(script)


def test_distillation_by_kl_div_with_log_targets():
    images = DATA.normal(size=(3, 6, 10))
    labels = DATA.integers(0, 4, size=(3, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        teacher = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 4))
        student = nn.Sequential(nn.Linear(10, 4))
        copy_weights(teacher, student)
        teacher.eval()
        for p in teacher.parameters():
            p.requires_grad_(False)
        soft_loss = nn.KLDivLoss(reduction="batchmean", log_target=True)
        optimizer = torch.optim.SGD(student.parameters(), lr=0.1)
        T, alpha, losses = 3.0, 0.7, []
        for x_values, y_values in zip(images, labels):
            x = torch.from_numpy(x_values)
            with torch.no_grad():
                teacher_log_probs = F.log_softmax(teacher(x) / T, dim=-1)
            student_logits = student(x)
            distill = soft_loss(F.log_softmax(student_logits / T, dim=-1), teacher_log_probs)
            hard = F.cross_entropy(student_logits, torch.from_numpy(y_values))
            loss = alpha * T ** 2 * distill + (1 - alpha) * hard
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append([distill.item(), hard.item()])
        per_element = F.kl_div(F.log_softmax(student(x), -1), teacher_log_probs * T,
                               reduction="none", log_target=True)
        return losses, per_element, student, teacher
    side_by_side(script)


def test_super_resolution_with_a_space_to_depth_stem_and_overlapping_patches():
    low_res = DATA.uniform(size=(3, 2, 1, 8, 8))
    high_res = DATA.uniform(size=(3, 2, 1, 16, 16))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class SubPixelNet(nn.Module):
            def __init__(self, upscale=2):
                super().__init__()
                self.stem = nn.PixelUnshuffle(2)                    # (1, 8, 8) -> (4, 4, 4)
                self.body = nn.Sequential(nn.Conv2d(4, 16, 3, padding=1), nn.PReLU(16),
                                          nn.Conv2d(16, 4 * upscale ** 2, 3, padding=1))
                self.to_image = nn.PixelShuffle(2 * upscale)        # (16, 4, 4) -> (1, 16, 16)

            def forward(self, x):
                skip = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
                return skip + self.to_image(self.body(self.stem(x)))

        def smooth_by_patches(image, size=4, stride=2):
            # overlapping patches, each averaged with its neighbours where they overlap
            patches = F.unfold(image, kernel_size=size, stride=stride)
            counts = F.fold(torch.ones_like(patches), image.shape[-2:], kernel_size=size,
                            stride=stride)
            return F.fold(patches, image.shape[-2:], kernel_size=size, stride=stride) / counts

        model = SubPixelNet()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        losses = []
        for lr_values, hr_values in zip(low_res, high_res):
            prediction = smooth_by_patches(model(torch.from_numpy(lr_values)))
            loss = F.l1_loss(prediction, torch.from_numpy(hr_values))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            psnr = 10 * torch.log10(1 / F.mse_loss(prediction, torch.from_numpy(hr_values)))
        return losses, psnr, model
    side_by_side(script)
