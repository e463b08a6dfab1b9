"""The tenth round of PyTorch scripts (pytorch.org's tutorials as written, run with
PyTorch and with ``autodiff`` from the same weights, compared to 1e-10 in float64):
"Spatial Transformer Networks" (a localization network regressing ``theta`` from an
identity start, ``F.affine_grid`` and ``F.grid_sample``), "Language Translation with
nn.Transformer" (``PositionalEncoding``, ``TokenEmbedding``, ``Seq2SeqTransformer``,
``generate_square_subsequent_mask`` by ``masked_fill``, ``create_mask`` with padding
masks, ``xavier_uniform_`` of every matrix, ``greedy_decode``) and "NLP From Scratch:
Translation with a Sequence to Sequence Network and Attention" (``EncoderRNN``,
``BahdanauAttention``, ``AttnDecoderRNN`` with teacher forcing, ``topk`` decoding).

Dropout is off (``p=0``, or the model in ``eval()`` for the spatial transformer, whose
``Dropout2d`` and ``F.dropout(training=self.training)`` draw masks): the two libraries
draw different masks.  Sentences are random token ids.  As the library's convention
writes them, the spatial transformer's ``weight.data.zero_()`` and ``bias.data.copy_()``
are written on the parameters under ``no_grad`` (``.data`` is an ndarray here).  The
identity transform it starts from puts every sample exactly on a pixel centre, where
bilinear sampling has a kink: which side's slope the gradient takes depends on the
last bit of the grid, and the two libraries' ``linspace`` round differently there
(PyTorch's vectorized kernel against NumPy's), so the script nudges that start by
1e-3 before training.  The translation tutorial's ``.transpose(0, 1)`` of 2-D masks is
written ``.T``: on a 2-D tensor that call is NumPy's no-op and PyTorch's transpose, and
is refused here, naming ``.T``."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(104)


def test_spatial_transformer_networks_tutorial():
    images = DATA.normal(size=(3, 4, 1, 28, 28))
    labels = DATA.integers(0, 10, size=(3, 4))
    nudge = DATA.uniform(-1e-3, 1e-3, size=6)

    def script(torch, copy_weights):
        nn, F, optim = torch.nn, torch.nn.functional, torch.optim

        class Net(nn.Module):
            def __init__(self):
                super(Net, self).__init__()
                self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
                self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
                self.conv2_drop = nn.Dropout2d()
                self.fc1 = nn.Linear(320, 50)
                self.fc2 = nn.Linear(50, 10)

                # Spatial transformer localization-network
                self.localization = nn.Sequential(
                    nn.Conv2d(1, 8, kernel_size=7),
                    nn.MaxPool2d(2, stride=2),
                    nn.ReLU(True),
                    nn.Conv2d(8, 10, kernel_size=5),
                    nn.MaxPool2d(2, stride=2),
                    nn.ReLU(True)
                )

                # Regressor for the 3 * 2 affine matrix
                self.fc_loc = nn.Sequential(
                    nn.Linear(10 * 3 * 3, 32),
                    nn.ReLU(True),
                    nn.Linear(32, 3 * 2)
                )

                # Initialize the weights/bias with identity transformation
                # (.data is an ndarray here: the writes go to the parameters, under
                # no_grad, as the library's convention writes them)
                with torch.no_grad():
                    self.fc_loc[2].weight.zero_()
                    self.fc_loc[2].bias.copy_(torch.tensor([1, 0, 0, 0, 1, 0],
                                                           dtype=torch.float))

            # Spatial transformer network forward function
            def stn(self, x):
                xs = self.localization(x)
                xs = xs.view(-1, 10 * 3 * 3)
                theta = self.fc_loc(xs)
                theta = theta.view(-1, 2, 3)

                grid = F.affine_grid(theta, x.size())
                x = F.grid_sample(x, grid)

                return x

            def forward(self, x):
                # transform the input
                x = self.stn(x)

                # Perform the usual forward pass
                x = F.relu(F.max_pool2d(self.conv1(x), 2))
                x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
                x = x.view(-1, 320)
                x = F.relu(self.fc1(x))
                x = F.dropout(x, training=self.training)
                x = self.fc2(x)
                return F.log_softmax(x, dim=1)

        model = Net()
        identity = model.fc_loc[2].bias.clone()
        zero_weight = model.fc_loc[2].weight.abs().sum()
        copy_weights(model)
        model.eval()                     # (dropout off: see the module docstring)
        with torch.no_grad():            # (off the identity's kink: see the docstring)
            model.fc_loc[2].bias.add_(torch.from_numpy(nudge))
        optimizer = optim.SGD(model.parameters(), lr=0.01)
        losses = []
        for batch_idx in range(3):
            data = torch.from_numpy(images[batch_idx])
            target = torch.from_numpy(labels[batch_idx])
            optimizer.zero_grad()
            output = model(data)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            # Get a batch of training data
            data = torch.from_numpy(images[0])
            input_tensor = data.cpu()
            transformed_input_tensor = model.stn(data).cpu()
            test_loss = F.nll_loss(model(data), torch.from_numpy(labels[0]),
                                   reduction='sum').item()
            pred = model(data).max(1, keepdim=True)[1]
        return (identity, zero_weight, losses, input_tensor, transformed_input_tensor,
                test_loss, pred, model)
    side_by_side(script)


def test_language_translation_with_nn_transformer_tutorial():
    PAD_IDX, BOS_IDX, EOS_IDX = 1, 2, 3
    SRC_VOCAB_SIZE, TGT_VOCAB_SIZE = 11, 13
    batches = []
    for _ in range(3):
        src = DATA.integers(4, SRC_VOCAB_SIZE, size=(6, 3))
        tgt = DATA.integers(4, TGT_VOCAB_SIZE, size=(7, 3))
        src[0], tgt[0] = BOS_IDX, BOS_IDX
        src[4:, 1], tgt[5:, 2] = PAD_IDX, PAD_IDX          # padded sentences
        src[3, 1], tgt[4, 2] = EOS_IDX, EOS_IDX
        batches.append((src, tgt))

    def script(torch, copy_weights):
        nn = torch.nn
        Transformer = nn.Transformer
        Tensor = torch.Tensor
        DEVICE = torch.device('cpu')

        # helper Module that adds positional encoding to the token embedding to
        # introduce a notion of word order.
        class PositionalEncoding(nn.Module):
            def __init__(self, emb_size: int, dropout: float, maxlen: int = 5000):
                super(PositionalEncoding, self).__init__()
                den = torch.exp(- torch.arange(0, emb_size, 2) * math.log(10000) / emb_size)
                pos = torch.arange(0, maxlen).reshape(maxlen, 1)
                pos_embedding = torch.zeros((maxlen, emb_size))
                pos_embedding[:, 0::2] = torch.sin(pos * den)
                pos_embedding[:, 1::2] = torch.cos(pos * den)
                pos_embedding = pos_embedding.unsqueeze(-2)

                self.dropout = nn.Dropout(dropout)
                self.register_buffer('pos_embedding', pos_embedding)

            def forward(self, token_embedding: Tensor):
                return self.dropout(token_embedding
                                    + self.pos_embedding[:token_embedding.size(0), :])

        # helper Module to convert tensor of input indices into corresponding tensor of
        # token embeddings
        class TokenEmbedding(nn.Module):
            def __init__(self, vocab_size: int, emb_size):
                super(TokenEmbedding, self).__init__()
                self.embedding = nn.Embedding(vocab_size, emb_size)
                self.emb_size = emb_size

            def forward(self, tokens: Tensor):
                return self.embedding(tokens.long()) * math.sqrt(self.emb_size)

        # Seq2Seq Network
        class Seq2SeqTransformer(nn.Module):
            def __init__(self, num_encoder_layers: int, num_decoder_layers: int,
                         emb_size: int, nhead: int, src_vocab_size: int,
                         tgt_vocab_size: int, dim_feedforward: int = 512,
                         dropout: float = 0.1):
                super(Seq2SeqTransformer, self).__init__()
                self.transformer = Transformer(d_model=emb_size, nhead=nhead,
                                               num_encoder_layers=num_encoder_layers,
                                               num_decoder_layers=num_decoder_layers,
                                               dim_feedforward=dim_feedforward,
                                               dropout=dropout)
                self.generator = nn.Linear(emb_size, tgt_vocab_size)
                self.src_tok_emb = TokenEmbedding(src_vocab_size, emb_size)
                self.tgt_tok_emb = TokenEmbedding(tgt_vocab_size, emb_size)
                self.positional_encoding = PositionalEncoding(emb_size, dropout=dropout,
                                                              maxlen=50)

            def forward(self, src: Tensor, trg: Tensor, src_mask: Tensor, tgt_mask: Tensor,
                        src_padding_mask: Tensor, tgt_padding_mask: Tensor,
                        memory_key_padding_mask: Tensor):
                src_emb = self.positional_encoding(self.src_tok_emb(src))
                tgt_emb = self.positional_encoding(self.tgt_tok_emb(trg))
                outs = self.transformer(src_emb, tgt_emb, src_mask, tgt_mask, None,
                                        src_padding_mask, tgt_padding_mask,
                                        memory_key_padding_mask)
                return self.generator(outs)

            def encode(self, src: Tensor, src_mask: Tensor):
                return self.transformer.encoder(self.positional_encoding(
                    self.src_tok_emb(src)), src_mask)

            def decode(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor):
                return self.transformer.decoder(self.positional_encoding(
                    self.tgt_tok_emb(tgt)), memory, tgt_mask)

        def generate_square_subsequent_mask(sz):
            mask = (torch.triu(torch.ones((sz, sz), device=DEVICE)) == 1).T
            mask = mask.float().masked_fill(mask == 0, float('-inf')).masked_fill(
                mask == 1, float(0.0))
            return mask

        def create_mask(src, tgt):
            src_seq_len = src.shape[0]
            tgt_seq_len = tgt.shape[0]

            tgt_mask = generate_square_subsequent_mask(tgt_seq_len)
            src_mask = torch.zeros((src_seq_len, src_seq_len), device=DEVICE).type(torch.bool)

            src_padding_mask = (src == PAD_IDX).T
            tgt_padding_mask = (tgt == PAD_IDX).T
            return src_mask, tgt_mask, src_padding_mask, tgt_padding_mask

        EMB_SIZE, NHEAD, FFN_HID_DIM = 8, 2, 16
        NUM_ENCODER_LAYERS, NUM_DECODER_LAYERS = 2, 2
        transformer = Seq2SeqTransformer(NUM_ENCODER_LAYERS, NUM_DECODER_LAYERS, EMB_SIZE,
                                         NHEAD, SRC_VOCAB_SIZE, TGT_VOCAB_SIZE,
                                         FFN_HID_DIM, dropout=0.0)
        for p in transformer.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        copy_weights(transformer)
        transformer = transformer.to(DEVICE)
        loss_fn = torch.nn.CrossEntropyLoss(ignore_index=PAD_IDX)
        optimizer = torch.optim.Adam(transformer.parameters(), lr=0.0001, betas=(0.9, 0.98),
                                     eps=1e-9)
        train_dataloader = [(torch.from_numpy(s), torch.from_numpy(t)) for s, t in batches]

        def train_epoch(model, optimizer):
            model.train()
            losses = 0
            for src, tgt in train_dataloader:
                src = src.to(DEVICE)
                tgt = tgt.to(DEVICE)
                tgt_input = tgt[:-1, :]
                src_mask, tgt_mask, src_padding_mask, tgt_padding_mask = create_mask(
                    src, tgt_input)
                logits = model(src, tgt_input, src_mask, tgt_mask, src_padding_mask,
                               tgt_padding_mask, src_padding_mask)
                optimizer.zero_grad()
                tgt_out = tgt[1:, :]
                loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
                loss.backward()
                optimizer.step()
                losses += loss.item()
            return losses / len(list(train_dataloader))

        def evaluate(model):
            model.eval()
            losses = 0
            for src, tgt in train_dataloader:
                tgt_input = tgt[:-1, :]
                src_mask, tgt_mask, src_padding_mask, tgt_padding_mask = create_mask(
                    src, tgt_input)
                logits = model(src, tgt_input, src_mask, tgt_mask, src_padding_mask,
                               tgt_padding_mask, src_padding_mask)
                tgt_out = tgt[1:, :]
                loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
                losses += loss.item()
            return losses / len(list(train_dataloader))

        # function to generate output sequence using greedy algorithm
        def greedy_decode(model, src, src_mask, max_len, start_symbol):
            src = src.to(DEVICE)
            src_mask = src_mask.to(DEVICE)
            memory = model.encode(src, src_mask)
            ys = torch.ones(1, 1).fill_(start_symbol).type(torch.long).to(DEVICE)
            for i in range(max_len - 1):
                memory = memory.to(DEVICE)
                tgt_mask = (generate_square_subsequent_mask(ys.size(0))
                            .type(torch.bool)).to(DEVICE)
                out = model.decode(ys, memory, tgt_mask)
                out = out.transpose(0, 1)
                prob = model.generator(out[:, -1])
                _, next_word = torch.max(prob, dim=1)
                next_word = next_word.item()
                ys = torch.cat([ys, torch.ones(1, 1).type_as(src.data).fill_(next_word)],
                               dim=0)
                if next_word == EOS_IDX:
                    break
            return ys

        epochs = []
        for epoch in range(1, 3):
            train_loss = train_epoch(transformer, optimizer)
            val_loss = evaluate(transformer)
            epochs.append((epoch, train_loss, val_loss))
        transformer.eval()
        src = torch.from_numpy(batches[0][0][:, :1])
        num_tokens = src.shape[0]
        src_mask = (torch.zeros(num_tokens, num_tokens)).type(torch.bool)
        tgt_tokens = greedy_decode(transformer, src, src_mask, max_len=num_tokens + 5,
                                   start_symbol=BOS_IDX).flatten()
        return epochs, tgt_tokens, generate_square_subsequent_mask(4), transformer
    side_by_side(script)


def test_nlp_from_scratch_translation_with_attention_tutorial():
    SOS_token, EOS_token, MAX_LENGTH = 0, 1, 5
    input_lang_n_words, output_lang_n_words = 9, 10
    inputs = DATA.integers(2, input_lang_n_words, size=(3, 4, MAX_LENGTH))
    targets = DATA.integers(2, output_lang_n_words, size=(3, 4, MAX_LENGTH))
    inputs[:, :, -1], targets[:, :, -1] = EOS_token, EOS_token

    def script(torch, copy_weights):
        nn, F, optim = torch.nn, torch.nn.functional, torch.optim
        device = torch.device("cpu")

        class EncoderRNN(nn.Module):
            def __init__(self, input_size, hidden_size, dropout_p=0.1):
                super(EncoderRNN, self).__init__()
                self.hidden_size = hidden_size

                self.embedding = nn.Embedding(input_size, hidden_size)
                self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
                self.dropout = nn.Dropout(dropout_p)

            def forward(self, input):
                embedded = self.dropout(self.embedding(input))
                output, hidden = self.gru(embedded)
                return output, hidden

        class BahdanauAttention(nn.Module):
            def __init__(self, hidden_size):
                super(BahdanauAttention, self).__init__()
                self.Wa = nn.Linear(hidden_size, hidden_size)
                self.Ua = nn.Linear(hidden_size, hidden_size)
                self.Va = nn.Linear(hidden_size, 1)

            def forward(self, query, keys):
                scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))
                scores = scores.squeeze(2).unsqueeze(1)

                weights = F.softmax(scores, dim=-1)
                context = torch.bmm(weights, keys)

                return context, weights

        class AttnDecoderRNN(nn.Module):
            def __init__(self, hidden_size, output_size, dropout_p=0.1):
                super(AttnDecoderRNN, self).__init__()
                self.embedding = nn.Embedding(output_size, hidden_size)
                self.attention = BahdanauAttention(hidden_size)
                self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
                self.out = nn.Linear(hidden_size, output_size)
                self.dropout = nn.Dropout(dropout_p)

            def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
                batch_size = encoder_outputs.size(0)
                decoder_input = torch.empty(batch_size, 1, dtype=torch.long,
                                            device=device).fill_(SOS_token)
                decoder_hidden = encoder_hidden
                decoder_outputs = []
                attentions = []

                for i in range(MAX_LENGTH):
                    decoder_output, decoder_hidden, attn_weights = self.forward_step(
                        decoder_input, decoder_hidden, encoder_outputs
                    )
                    decoder_outputs.append(decoder_output)
                    attentions.append(attn_weights)

                    if target_tensor is not None:
                        # Teacher forcing: Feed the target as the next input
                        decoder_input = target_tensor[:, i].unsqueeze(1)  # Teacher forcing
                    else:
                        # Without teacher forcing: use its own predictions as the next input
                        _, topi = decoder_output.topk(1)
                        decoder_input = topi.squeeze(-1).detach()  # detach from history

                decoder_outputs = torch.cat(decoder_outputs, dim=1)
                decoder_outputs = F.log_softmax(decoder_outputs, dim=-1)
                attentions = torch.cat(attentions, dim=1)

                return decoder_outputs, decoder_hidden, attentions

            def forward_step(self, input, hidden, encoder_outputs):
                embedded = self.dropout(self.embedding(input))

                query = hidden.permute(1, 0, 2)
                context, attn_weights = self.attention(query, encoder_outputs)
                input_gru = torch.cat((embedded, context), dim=2)

                output, hidden = self.gru(input_gru, hidden)
                output = self.out(output)

                return output, hidden, attn_weights

        def train_epoch(dataloader, encoder, decoder, encoder_optimizer,
                        decoder_optimizer, criterion):
            total_loss = 0
            for data in dataloader:
                input_tensor, target_tensor = data

                encoder_optimizer.zero_grad()
                decoder_optimizer.zero_grad()

                encoder_outputs, encoder_hidden = encoder(input_tensor)
                decoder_outputs, _, _ = decoder(encoder_outputs, encoder_hidden, target_tensor)

                loss = criterion(
                    decoder_outputs.view(-1, decoder_outputs.size(-1)),
                    target_tensor.view(-1)
                )
                loss.backward()

                encoder_optimizer.step()
                decoder_optimizer.step()

                total_loss += loss.item()

            return total_loss / len(dataloader)

        def evaluate(encoder, decoder, input_tensor):
            with torch.no_grad():
                encoder_outputs, encoder_hidden = encoder(input_tensor)
                decoder_outputs, decoder_hidden, decoder_attn = decoder(encoder_outputs,
                                                                        encoder_hidden)
                _, topi = decoder_outputs.topk(1)
                decoded_ids = topi.squeeze()
                decoded_words = []
                for idx in decoded_ids:
                    if idx.item() == EOS_token:
                        decoded_words.append('<EOS>')
                        break
                    decoded_words.append(int(idx.item()))
            return decoded_words, decoder_attn

        hidden_size = 6
        encoder = EncoderRNN(input_lang_n_words, hidden_size, dropout_p=0.0).to(device)
        decoder = AttnDecoderRNN(hidden_size, output_lang_n_words, dropout_p=0.0).to(device)
        copy_weights(encoder, decoder)
        learning_rate = 0.001
        encoder_optimizer = optim.Adam(encoder.parameters(), lr=learning_rate)
        decoder_optimizer = optim.Adam(decoder.parameters(), lr=learning_rate)
        criterion = nn.NLLLoss()
        train_dataloader = [(torch.from_numpy(i), torch.from_numpy(t))
                            for i, t in zip(inputs, targets)]
        losses = []
        for epoch in range(1, 4):
            losses.append(train_epoch(train_dataloader, encoder, decoder, encoder_optimizer,
                                      decoder_optimizer, criterion))
        encoder.eval()
        decoder.eval()
        words, attentions = evaluate(encoder, decoder, torch.from_numpy(inputs[0][:1]))
        return losses, words, attentions, encoder, decoder
    side_by_side(script)
