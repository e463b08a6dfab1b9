"""The sixth round of PyTorch scripts, models (see test_torch_scripts_sixth.py for the
method): a conditional VAE over one-hot labels, a GRU seq2seq with Bahdanau attention
and teacher forcing, a ResNet basic block with a strided shortcut and cumulative
BatchNorm statistics, a full ``nn.Transformer`` with its square subsequent mask, a
WGAN with weight clipping, and a graph network passing messages with ``index_add_``
and ``scatter_add_``."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(62)


# --- A conditional VAE over one-hot labels -----------------------------------------

def test_conditional_vae_with_one_hot_labels_and_summed_bce():
    images = (DATA.uniform(size=(3, 6, 10)) > 0.5).astype(np.float64)
    labels = DATA.integers(0, 3, size=(3, 6))
    noise = DATA.normal(size=(3, 6, 2))
    samples = DATA.normal(size=(4, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class CVAE(nn.Module):
            def __init__(self, feature_size, latent_size, class_size):
                super().__init__()
                self.class_size = class_size
                self.fc1 = nn.Linear(feature_size + class_size, 8)
                self.fc21, self.fc22 = nn.Linear(8, latent_size), nn.Linear(8, latent_size)
                self.fc3 = nn.Linear(latent_size + class_size, 8)
                self.fc4 = nn.Linear(8, feature_size)

            def encode(self, x, c):
                h1 = F.elu(self.fc1(torch.cat([x, c], 1)))
                return self.fc21(h1), self.fc22(h1)

            def reparameterize(self, mu, logvar, eps):
                std = torch.exp(0.5 * logvar)
                return mu + eps * std

            def decode(self, z, c):
                h3 = F.elu(self.fc3(torch.cat([z, c], 1)))
                return torch.sigmoid(self.fc4(h3))

            def forward(self, x, labels, eps):
                c = F.one_hot(labels, self.class_size).float()
                mu, logvar = self.encode(x, c)
                z = self.reparameterize(mu, logvar, eps)
                return self.decode(z, c), mu, logvar

        def loss_function(recon_x, x, mu, logvar):
            bce = F.binary_cross_entropy(recon_x, x, reduction="sum")
            kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            return bce + kld, bce, kld

        model = CVAE(10, 2, 3)
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        losses = []
        for i in range(3):
            model.train()
            x = torch.from_numpy(images[i])
            recon, mu, logvar = model(x, torch.from_numpy(labels[i]), torch.from_numpy(noise[i]))
            loss, bce, kld = loss_function(recon, x, mu, logvar)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append((loss.item() / len(x), bce.item(), kld.item()))
        model.eval()
        with torch.no_grad():
            c = torch.eye(3)[torch.tensor([0, 1, 2, 2])]
            generated = model.decode(torch.from_numpy(samples), c).view(4, 2, 5)
        return losses, generated, model
    side_by_side(script)


# --- A GRU seq2seq with Bahdanau attention and teacher forcing ---------------------

def test_gru_seq2seq_with_bahdanau_attention_and_teacher_forcing():
    sources = DATA.integers(2, 9, size=(3, 4, 6))
    targets = DATA.integers(2, 9, size=(3, 4, 5))
    teacher_forcing = DATA.uniform(size=(3, 5)) < 0.5
    SOS = 0

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class EncoderRNN(nn.Module):
            def __init__(self, input_size, hidden_size):
                super().__init__()
                self.embedding = nn.Embedding(input_size, hidden_size)
                self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)

            def forward(self, x):
                return self.gru(self.embedding(x))

        class BahdanauAttention(nn.Module):
            def __init__(self, hidden_size):
                super().__init__()
                self.Wa = nn.Linear(hidden_size, hidden_size)
                self.Ua = nn.Linear(hidden_size, hidden_size)
                self.Va = nn.Linear(hidden_size, 1)

            def forward(self, query, keys):
                scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))
                scores = scores.squeeze(2).unsqueeze(1)
                weights = F.softmax(scores, dim=-1)
                return torch.bmm(weights, keys), weights

        class AttnDecoderRNN(nn.Module):
            def __init__(self, hidden_size, output_size):
                super().__init__()
                self.embedding = nn.Embedding(output_size, hidden_size)
                self.attention = BahdanauAttention(hidden_size)
                self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
                self.out = nn.Linear(hidden_size, output_size)

            def forward(self, encoder_outputs, encoder_hidden, target, forcing):
                batch_size = encoder_outputs.size(0)
                decoder_input = torch.empty(batch_size, 1, dtype=torch.long).fill_(SOS)
                decoder_hidden, outputs, attentions = encoder_hidden, [], []
                for i in range(target.size(1)):
                    embedded = self.embedding(decoder_input)
                    query = decoder_hidden.permute(1, 0, 2)
                    context, attn_weights = self.attention(query, encoder_outputs)
                    output, decoder_hidden = self.gru(torch.cat((embedded, context), dim=2),
                                                      decoder_hidden)
                    output = self.out(output)
                    outputs.append(output)
                    attentions.append(attn_weights)
                    if forcing[i]:
                        decoder_input = target[:, i].unsqueeze(1)
                    else:
                        _, topi = output.topk(1)
                        decoder_input = topi.squeeze(-1).detach()
                decoder_outputs = F.log_softmax(torch.cat(outputs, dim=1), dim=-1)
                return decoder_outputs, decoder_hidden, torch.cat(attentions, dim=1)

        encoder, decoder = EncoderRNN(9, 6), AttnDecoderRNN(6, 9)
        copy_weights(encoder, decoder)
        encoder_optimizer = torch.optim.Adam(encoder.parameters(), lr=0.01)
        decoder_optimizer = torch.optim.Adam(decoder.parameters(), lr=0.01)
        criterion = nn.NLLLoss()
        losses, attention_maps = [], []
        for i in range(3):
            source, target = torch.from_numpy(sources[i]), torch.from_numpy(targets[i])
            encoder_optimizer.zero_grad()
            decoder_optimizer.zero_grad()
            encoder_outputs, encoder_hidden = encoder(source)
            decoder_outputs, _, attentions = decoder(encoder_outputs, encoder_hidden, target,
                                                     teacher_forcing[i])
            loss = criterion(decoder_outputs.view(-1, decoder_outputs.size(-1)),
                             target.view(-1))
            loss.backward()
            encoder_optimizer.step()
            decoder_optimizer.step()
            losses.append(loss.item())
            attention_maps.append(attentions)
        return losses, attention_maps, encoder, decoder
    side_by_side(script)


# --- A ResNet basic block with a strided shortcut ----------------------------------

def test_resnet_basic_blocks_with_downsample_and_cumulative_batch_norm():
    images = DATA.normal(size=(3, 4, 3, 8, 8))
    labels = DATA.integers(0, 5, size=(3, 4))

    def script(torch, copy_weights):
        nn = torch.nn

        def conv3x3(in_planes, out_planes, stride=1):
            return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1,
                             bias=False)

        class BasicBlock(nn.Module):
            expansion = 1

            def __init__(self, inplanes, planes, stride=1, downsample=None):
                super().__init__()
                self.conv1 = conv3x3(inplanes, planes, stride)
                self.bn1 = nn.BatchNorm2d(planes, momentum=None)
                self.relu = nn.ReLU(inplace=True)
                self.conv2 = conv3x3(planes, planes)
                self.bn2 = nn.BatchNorm2d(planes, momentum=None)
                self.downsample = downsample

            def forward(self, x):
                identity = x
                out = self.relu(self.bn1(self.conv1(x)))
                out = self.bn2(self.conv2(out))
                if self.downsample is not None:
                    identity = self.downsample(x)
                out += identity
                return self.relu(out)

        class TinyResNet(nn.Module):
            def __init__(self, num_classes=5):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 4, kernel_size=3, padding=1, bias=False)
                self.bn1 = nn.BatchNorm2d(4)
                self.layer1 = BasicBlock(4, 4)
                downsample = nn.Sequential(nn.Conv2d(4, 8, kernel_size=1, stride=2, bias=False),
                                           nn.BatchNorm2d(8))
                self.layer2 = BasicBlock(4, 8, stride=2, downsample=downsample)
                self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
                self.fc = nn.Linear(8 * BasicBlock.expansion, num_classes)
                for m in self.modules():
                    if isinstance(m, nn.BatchNorm2d):
                        nn.init.constant_(m.weight, 1)
                        nn.init.constant_(m.bias, 0)
                nn.init.constant_(self.layer2.bn2.weight, 0)       # zero-init residual

            def forward(self, x):
                x = torch.relu(self.bn1(self.conv1(x)))
                x = self.layer2(self.layer1(x))
                return self.fc(torch.flatten(self.avgpool(x), 1))

        model = TinyResNet()
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True,
                                    weight_decay=1e-4)
        losses = []
        for i in range(2):
            model.train()
            loss = nn.functional.cross_entropy(model(torch.from_numpy(images[i])),
                                               torch.from_numpy(labels[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        assert int(model.layer1.bn1.num_batches_tracked) == 2
        model.eval()
        with torch.no_grad():
            eval_logits = model(torch.from_numpy(images[2]))
        running = [model.layer1.bn1.running_mean, model.layer2.bn1.running_var]
        return losses, eval_logits, running, model
    side_by_side(script)


# --- A full nn.Transformer with its square subsequent mask -------------------------

@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")   # PyTorch's, for norm_first
def test_full_transformer_with_square_subsequent_mask_and_padding_masks():
    sources = DATA.integers(1, 10, size=(3, 2, 6))
    targets = DATA.integers(1, 10, size=(3, 2, 5))
    source_lengths = np.array([[6, 4], [5, 6], [3, 6]])

    def script(torch, copy_weights):
        nn = torch.nn

        class Seq2SeqTransformer(nn.Module):
            def __init__(self, vocab, d_model=8):
                super().__init__()
                self.src_embed = nn.Embedding(vocab, d_model, padding_idx=0)
                self.tgt_embed = nn.Embedding(vocab, d_model, padding_idx=0)
                self.transformer = nn.Transformer(d_model=d_model, nhead=2,
                                                  num_encoder_layers=1, num_decoder_layers=2,
                                                  dim_feedforward=16, dropout=0.0,
                                                  batch_first=True, norm_first=True,
                                                  activation="gelu")
                self.generator = nn.Linear(d_model, vocab)

            def forward(self, src, tgt, src_padding_mask):
                tgt_mask = nn.Transformer.generate_square_subsequent_mask(tgt.size(1))
                out = self.transformer(self.src_embed(src), self.tgt_embed(tgt),
                                       tgt_mask=tgt_mask, tgt_is_causal=True,
                                       src_key_padding_mask=src_padding_mask,
                                       memory_key_padding_mask=src_padding_mask)
                return self.generator(out)

        model = Seq2SeqTransformer(10)
        copy_weights(model)
        mask = nn.Transformer.generate_square_subsequent_mask(4)
        assert mask.dtype == torch.float64 and bool(mask[0, 1] == float("-inf"))
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.98), eps=1e-9)
        loss_fn = nn.CrossEntropyLoss(ignore_index=0)
        losses = []
        for i in range(3):
            src = torch.from_numpy(sources[i])
            src_padding_mask = (torch.arange(6)[None, :]
                                >= torch.from_numpy(source_lengths[i])[:, None])
            src = src.masked_fill(src_padding_mask, 0)
            tgt = torch.from_numpy(targets[i])
            tgt_input, tgt_out = tgt[:, :-1], tgt[:, 1:]
            logits = model(src, tgt_input, src_padding_mask)
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, mask, model
    side_by_side(script)


# --- A WGAN with weight clipping --------------------------------------------------

def test_wgan_with_weight_clipping_and_several_critic_steps():
    real = DATA.normal(loc=1.0, size=(3, 2, 6, 2))
    latent = DATA.normal(size=(3, 3, 6, 3))

    def script(torch, copy_weights):
        nn = torch.nn
        generator = nn.Sequential(nn.Linear(3, 8), nn.LeakyReLU(0.2, inplace=True),
                                  nn.Linear(8, 2))
        critic = nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
        copy_weights(generator, critic)
        optimizer_G = torch.optim.RMSprop(generator.parameters(), lr=5e-3)
        optimizer_D = torch.optim.RMSprop(critic.parameters(), lr=5e-3)
        clip_value, n_critic = 0.1, 2
        d_losses, g_losses = [], []
        for epoch in range(3):
            for i in range(n_critic):
                real_samples = torch.from_numpy(real[epoch, i])
                z = torch.from_numpy(latent[epoch, i])
                fake = generator(z).detach()
                optimizer_D.zero_grad()
                loss_D = -torch.mean(critic(real_samples)) + torch.mean(critic(fake))
                loss_D.backward()
                optimizer_D.step()
                with torch.no_grad():
                    for p in critic.parameters():
                        p.clamp_(-clip_value, clip_value)
                d_losses.append(loss_D.item())
            optimizer_G.zero_grad()
            gen = generator(torch.from_numpy(latent[epoch, 2]))
            loss_G = -torch.mean(critic(gen))
            loss_G.backward()
            optimizer_G.step()
            g_losses.append(loss_G.item())
        assert all(p.abs().max().item() <= clip_value for p in critic.parameters())
        return d_losses, g_losses, generator, critic
    side_by_side(script)


# --- A graph network: messages with index_add_ and scatter_add_ --------------------

def test_graph_network_with_index_add_and_scatter_add_message_passing():
    n_nodes, n_edges = 7, 12
    features = DATA.normal(size=(n_nodes, 4))
    edges = DATA.integers(0, n_nodes, size=(2, n_edges))
    graph_of_node = np.array([0, 0, 0, 1, 1, 1, 1])
    node_labels = DATA.integers(0, 2, size=n_nodes)
    graph_targets = DATA.normal(size=(2, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class GraphConv(nn.Module):
            def __init__(self, in_channels, out_channels):
                super().__init__()
                self.lin = nn.Linear(in_channels, out_channels, bias=False)
                self.root = nn.Linear(in_channels, out_channels)

            def forward(self, x, edge_index):
                src, dst = edge_index
                messages = self.lin(x)[src]
                aggregated = torch.zeros(x.size(0), messages.size(1)).index_add_(0, dst, messages)
                degree = torch.zeros(x.size(0)).scatter_add_(
                    0, dst, torch.ones(dst.size(0)))
                mean = aggregated / degree.clamp(min=1).unsqueeze(-1)
                biggest = torch.zeros(x.size(0), messages.size(1)).scatter_reduce(
                    0, dst.unsqueeze(-1).expand_as(messages), messages, reduce="amax",
                    include_self=False)
                return self.root(x) + mean + 0.5 * biggest

        class GNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1, self.conv2 = GraphConv(4, 8), GraphConv(8, 8)
                self.node_head, self.graph_head = nn.Linear(8, 2), nn.Linear(8, 1)

            def forward(self, x, edge_index, batch):
                h = F.relu(self.conv1(x, edge_index))
                h = F.relu(self.conv2(h, edge_index))
                counts = torch.bincount(batch).unsqueeze(-1)
                pooled = torch.zeros(int(batch.max()) + 1, h.size(1)).index_add(0, batch, h)
                return self.node_head(h), self.graph_head(pooled / counts)

        model = GNN()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
        x, edge_index = torch.from_numpy(features), torch.from_numpy(edges)
        batch = torch.from_numpy(graph_of_node)
        losses = []
        for epoch in range(4):
            node_logits, graph_out = model(x, edge_index, batch)
            loss = F.cross_entropy(node_logits, torch.from_numpy(node_labels)) \
                + F.mse_loss(graph_out, torch.from_numpy(graph_targets))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            pred = model(x, edge_index, batch)[0].argmax(dim=1)
            accuracy = int((pred == torch.from_numpy(node_labels)).sum()) / n_nodes
        return losses, accuracy, model
    side_by_side(script)
