"""The ninth round of PyTorch scripts (pytorch.org's tutorials as written, run with
PyTorch and with ``autodiff`` from the same weights, compared to 1e-10 in float64):
"NLP From Scratch" (classifying names with the hand-written ``i2h``/``h2o`` RNN,
generating names with a category input and ``unsqueeze_``) and "Language Modeling with
nn.Transformer" (``PositionalEncoding`` as a buffer, ``batchify``, ``get_batch``,
``generate_square_subsequent_mask``, ``clip_grad_norm_``, ``StepLR``, evaluation)."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(95)
ALL_LETTERS = "abcdefghij .,;'"
N_LETTERS = len(ALL_LETTERS)


def test_classifying_names_with_a_hand_written_rnn_of_i2h_and_h2o():
    names = ["abba", "jade", "cafe", "bead", "dice", "hide", "each"]
    categories = ["English", "French", "Greek"]
    category_of = [DATA.integers(0, 3) for _ in names]

    def script(torch, copy_weights):
        nn = torch.nn

        def letterToIndex(letter):
            return ALL_LETTERS.find(letter)

        def letterToTensor(letter):
            tensor = torch.zeros(1, N_LETTERS)
            tensor[0][letterToIndex(letter)] = 1
            return tensor

        def lineToTensor(line):
            tensor = torch.zeros(len(line), 1, N_LETTERS)
            for li, letter in enumerate(line):
                tensor[li][0][letterToIndex(letter)] = 1
            return tensor

        class RNN(nn.Module):
            def __init__(self, input_size, hidden_size, output_size):
                super(RNN, self).__init__()
                self.hidden_size = hidden_size
                self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
                self.h2o = nn.Linear(input_size + hidden_size, output_size)
                self.softmax = nn.LogSoftmax(dim=1)

            def forward(self, input, hidden):
                combined = torch.cat((input, hidden), 1)
                hidden = self.i2h(combined)
                output = self.h2o(combined)
                output = self.softmax(output)
                return output, hidden

            def initHidden(self):
                return torch.zeros(1, self.hidden_size)

        n_hidden = 12
        rnn = RNN(N_LETTERS, n_hidden, len(categories))
        copy_weights(rnn)
        shapes = [tuple(letterToTensor('j').size()), tuple(lineToTensor('jade').size())]
        input = lineToTensor('abba')
        hidden = torch.zeros(1, n_hidden)
        output, next_hidden = rnn(input[0], hidden)

        def categoryFromOutput(output):
            top_n, top_i = output.topk(1)
            category_i = top_i[0].item()
            return categories[category_i], category_i

        first_guess = categoryFromOutput(output)
        criterion = nn.NLLLoss()
        learning_rate = 0.05

        def train(category_tensor, line_tensor):
            hidden = rnn.initHidden()
            rnn.zero_grad()
            for i in range(line_tensor.size()[0]):
                output, hidden = rnn(line_tensor[i], hidden)
            loss = criterion(output, category_tensor)
            loss.backward()
            # (the last step's hidden is left out of the loss; its graph, alive in
            # `hidden`, holds the weights read-only here, where PyTorch would let them
            # change and refuse only a backward through it)
            del hidden
            # Add parameters' gradients to their values, multiplied by learning rate
            with torch.no_grad():       # (the tutorial's p.data.add_(p.grad.data, alpha=..):
                for p in rnn.parameters():  # .data and .grad are ndarrays here)
                    p.add_(p.grad, alpha=-learning_rate)
            return output, loss.item()

        current_loss, all_losses, guesses = 0, [], []
        for iter in range(1, 3 * len(names) + 1):
            k = iter % len(names)
            category = categories[category_of[k]]
            category_tensor = torch.tensor([categories.index(category)], dtype=torch.long)
            line_tensor = lineToTensor(names[k])
            output, loss = train(category_tensor, line_tensor)
            current_loss += loss
            guess, guess_i = categoryFromOutput(output)
            guesses.append('✓' if guess == category else '✗ (%s)' % category)
            if iter % len(names) == 0:
                all_losses.append(current_loss / len(names))
                current_loss = 0

        def evaluate(line_tensor):
            hidden = rnn.initHidden()
            for i in range(line_tensor.size()[0]):
                output, hidden = rnn(line_tensor[i], hidden)
            return output

        predictions = []
        with torch.no_grad():
            output = evaluate(lineToTensor('dice'))
            topv, topi = output.topk(2, 1, True)
            for i in range(2):
                value = topv[0][i].item()
                category_index = topi[0][i].item()
                predictions.append((value, categories[category_index]))
        return shapes, output, first_guess, all_losses, guesses, predictions, rnn
    side_by_side(script)


def test_generating_names_with_a_category_input_unsqueeze_and_sampling():
    names = ["abe", "cid", "ada", "fee", "jeb"]
    all_categories = ["Dutch", "Irish"]
    category_of = [0, 1, 0, 1, 1]
    n_letters = N_LETTERS + 1       # plus EOS marker

    def script(torch, copy_weights):
        nn = torch.nn
        n_categories = len(all_categories)

        class RNN(nn.Module):
            def __init__(self, input_size, hidden_size, output_size):
                super(RNN, self).__init__()
                self.hidden_size = hidden_size
                self.i2h = nn.Linear(n_categories + input_size + hidden_size, hidden_size)
                self.i2o = nn.Linear(n_categories + input_size + hidden_size, output_size)
                self.o2o = nn.Linear(hidden_size + output_size, output_size)
                self.dropout = nn.Dropout(0.1)
                self.softmax = nn.LogSoftmax(dim=1)

            def forward(self, category, input, hidden):
                input_combined = torch.cat((category, input, hidden), 1)
                hidden = self.i2h(input_combined)
                output = self.i2o(input_combined)
                output_combined = torch.cat((hidden, output), 1)
                output = self.o2o(output_combined)
                output = self.dropout(output)
                output = self.softmax(output)
                return output, hidden

            def initHidden(self):
                return torch.zeros(1, self.hidden_size)

        def categoryTensor(category):
            li = all_categories.index(category)
            tensor = torch.zeros(1, n_categories)
            tensor[0][li] = 1
            return tensor

        def inputTensor(line):
            tensor = torch.zeros(len(line), 1, n_letters)
            for li in range(len(line)):
                letter = line[li]
                tensor[li][0][ALL_LETTERS.find(letter)] = 1
            return tensor

        def targetTensor(line):
            letter_indexes = [ALL_LETTERS.find(line[li]) for li in range(1, len(line))]
            letter_indexes.append(n_letters - 1)  # EOS
            return torch.LongTensor(letter_indexes)

        criterion = nn.NLLLoss()
        learning_rate = 0.05
        rnn = RNN(n_letters, 16, n_letters)
        copy_weights(rnn)
        rnn.eval()          # (the dropout draws differ between the libraries)

        def train(category_tensor, input_line_tensor, target_line_tensor):
            target_line_tensor.unsqueeze_(-1)
            hidden = rnn.initHidden()
            rnn.zero_grad()
            # (the tutorial's torch.Tensor([0]): a list of ints is int64 here, as NumPy's
            # array, and warns; floats say what PyTorch's legacy constructor makes)
            loss = torch.Tensor([0.0])  # you can also just simply use ``loss = 0``
            for i in range(input_line_tensor.size(0)):
                output, hidden = rnn(category_tensor, input_line_tensor[i], hidden)
                l = criterion(output, target_line_tensor[i])  # noqa: E741 (the tutorial's)
                loss += l
            loss.backward()
            with torch.no_grad():
                for p in rnn.parameters():
                    p.add_(p.grad, alpha=-learning_rate)
            return output, loss.item() / input_line_tensor.size(0)

        losses = []
        for iter in range(2 * len(names)):
            k = iter % len(names)
            line = names[k]
            target = targetTensor(line)
            output, loss = train(categoryTensor(all_categories[category_of[k]]),
                                 inputTensor(line), target)
            assert tuple(target.shape) == (len(line), 1)
            losses.append(loss)

        max_length = 6

        def sample(category, start_letter='a'):
            with torch.no_grad():  # no need to track history in sampling
                category_tensor = categoryTensor(category)
                input = inputTensor(start_letter)
                hidden = rnn.initHidden()
                output_name = start_letter
                for i in range(max_length):
                    output, hidden = rnn(category_tensor, input[0], hidden)
                    topv, topi = output.topk(1)
                    topi = topi[0][0]
                    if topi == n_letters - 1:
                        break
                    else:
                        letter = ALL_LETTERS[topi]
                        output_name += letter
                    input = inputTensor(letter)
                return output_name

        samples = [sample(c, s) for c in all_categories for s in "abc"]
        return losses, samples, rnn
    side_by_side(script)


def test_language_modeling_with_nn_transformer_batchify_get_batch_and_step_lr():
    train_tokens = DATA.integers(0, 12, size=75)
    val_tokens = DATA.integers(0, 12, size=33)

    def script(torch, copy_weights):
        nn = torch.nn
        TransformerEncoder, TransformerEncoderLayer = nn.TransformerEncoder, \
            nn.TransformerEncoderLayer      # (from torch.nn import ...)
        Tensor = torch.Tensor

        class TransformerModel(nn.Module):

            def __init__(self, ntoken: int, d_model: int, nhead: int, d_hid: int,
                         nlayers: int, dropout: float = 0.5):
                super().__init__()
                self.model_type = 'Transformer'
                self.pos_encoder = PositionalEncoding(d_model, dropout)
                encoder_layers = TransformerEncoderLayer(d_model, nhead, d_hid, dropout)
                self.transformer_encoder = TransformerEncoder(encoder_layers, nlayers,
                                                              enable_nested_tensor=False)
                self.embedding = nn.Embedding(ntoken, d_model)
                self.d_model = d_model
                self.linear = nn.Linear(d_model, ntoken)
                self.init_weights()

            def init_weights(self) -> None:
                initrange = 0.1
                # (the tutorial's weight.data.uniform_(...) and bias.data.zero_(): .data is
                # an ndarray here)
                nn.init.uniform_(self.embedding.weight, -initrange, initrange)
                nn.init.zeros_(self.linear.bias)

            def forward(self, src: Tensor, src_mask: Tensor = None) -> Tensor:
                src = self.embedding(src) * math.sqrt(self.d_model)
                src = self.pos_encoder(src)
                if src_mask is None:
                    src_mask = nn.Transformer.generate_square_subsequent_mask(len(src))
                output = self.transformer_encoder(src, src_mask)
                output = self.linear(output)
                return output

        class PositionalEncoding(nn.Module):

            def __init__(self, d_model: int, dropout: float = 0.1, max_len: int = 5000):
                super().__init__()
                self.dropout = nn.Dropout(p=dropout)
                position = torch.arange(max_len).unsqueeze(1)
                div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
                pe = torch.zeros(max_len, 1, d_model)
                pe[:, 0, 0::2] = torch.sin(position * div_term)
                pe[:, 0, 1::2] = torch.cos(position * div_term)
                self.register_buffer('pe', pe)

            def forward(self, x: Tensor) -> Tensor:
                x = x + self.pe[:x.size(0)]
                return self.dropout(x)

        def batchify(data: Tensor, bsz: int) -> Tensor:
            seq_len = data.size(0) // bsz
            data = data[:seq_len * bsz]
            data = data.view(bsz, seq_len).t().contiguous()
            return data

        batch_size = 4
        eval_batch_size = 3
        train_data = batchify(torch.from_numpy(train_tokens), batch_size)
        val_data = batchify(torch.from_numpy(val_tokens), eval_batch_size)
        bptt = 5

        def get_batch(source: Tensor, i: int):
            seq_len = min(bptt, len(source) - 1 - i)
            data = source[i:i+seq_len]
            target = source[i+1:i+1+seq_len].reshape(-1)
            return data, target

        ntokens = 12
        emsize = 8
        d_hid = 16
        nlayers = 2
        nhead = 2
        dropout = 0.0     # (the tutorial's 0.2: the two libraries' dropout draws differ)
        model = TransformerModel(ntokens, emsize, nhead, d_hid, nlayers, dropout)
        copy_weights(model)
        criterion = nn.CrossEntropyLoss()
        lr = 1.0  # learning rate
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.95)
        log = []

        def train(model: nn.Module) -> None:
            model.train()  # turn on train mode
            total_loss = 0.
            num_batches = len(train_data) // bptt
            for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
                data, targets = get_batch(train_data, i)
                output = model(data)
                output_flat = output.view(-1, ntokens)
                loss = criterion(output_flat, targets)
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
                optimizer.step()
                total_loss += loss.item()
            lr = scheduler.get_last_lr()[0]
            log.append((num_batches, lr, total_loss, math.exp(total_loss / num_batches)))

        def evaluate(model: nn.Module, eval_data: Tensor) -> float:
            model.eval()  # turn on evaluation mode
            total_loss = 0.
            with torch.no_grad():
                for i in range(0, eval_data.size(0) - 1, bptt):
                    data, targets = get_batch(eval_data, i)
                    seq_len = data.size(0)
                    output = model(data)
                    output_flat = output.view(-1, ntokens)
                    total_loss += seq_len * criterion(output_flat, targets).item()
            return total_loss / (len(eval_data) - 1)

        best_val_loss = float('inf')
        val_losses = []
        for epoch in range(1, 3):
            train(model)
            val_loss = evaluate(model, val_data)
            val_ppl = math.exp(val_loss)
            val_losses.append((val_loss, val_ppl))
            if val_loss < best_val_loss:
                best_val_loss = val_loss
            scheduler.step()
        return tuple(train_data.shape), log, val_losses, best_val_loss, model
    side_by_side(script)
