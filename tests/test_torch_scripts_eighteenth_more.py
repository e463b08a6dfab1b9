"""The eighteenth round of PyTorch scripts, more models (see
test_torch_scripts_eighteenth.py for the method): the BiLSTM-CRF tutorial (the forward
algorithm by its ``log_sum_exp``, the gold path's score, Viterbi decoding with back
pointers, ``transitions.data[...] = -10000``), PGD adversarial examples and adversarial
training, CS231n's saliency maps (``scores.gather``, ``backward(torch.ones(...))``, the
max over channels of ``|X.grad|``), deep embedded clustering (Student-t soft
assignments, the sharpened target distribution, ``kl_div(..., 'batchmean')``), NeuMF
(GMF and MLP towers over embeddings, ``BCEWithLogitsLoss``, ``topk`` recommendations),
and sparsemax as an ``autograd.Function`` (``sort``, ``cumsum``, ``gather`` of the
support size, a backward that writes through a mask).  Changed from the originals:
``torch.max(vec, 1)`` unpacked (NumPy's max here, refused, naming ``dim=1``), PGD's
``delta.grad.sign()`` / ``delta.grad.zero_()`` and the saliency's
``X.grad.data.abs()`` (``.grad`` is NumPy's array: ``torch.sign(delta.grad)``,
``delta.grad = None``, ``torch.abs(...)``), and ``as_tensor`` of what the Function's
``forward`` and ``backward`` receive (NumPy arrays here, as its error says).  DEC and
NeuMF ran unchanged."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1821)


def test_bilstm_crf_tutorial_with_forward_algorithm_and_viterbi():
    training_data = [("the wall street journal reported today".split(), "B I I I O O".split()),
                     ("georgia tech is a university".split(), "B I O O O".split())]
    transitions = DATA.normal(size=(5, 5))

    def script(torch, copy_weights):
        nn = torch.nn
        START_TAG, STOP_TAG = "<START>", "<STOP>"

        def argmax(vec):
            _, idx = torch.max(vec, dim=1)   # (torch.max(vec, 1): NumPy's here, refused)
            return idx.item()

        def prepare_sequence(seq, to_ix):
            return torch.tensor([to_ix[w] for w in seq], dtype=torch.long)

        def log_sum_exp(vec):
            max_score = vec[0, argmax(vec)]
            max_score_broadcast = max_score.view(1, -1).expand(1, vec.size()[1])
            return max_score + torch.log(torch.sum(torch.exp(vec - max_score_broadcast)))

        class BiLSTM_CRF(nn.Module):
            def __init__(self, vocab_size, tag_to_ix, embedding_dim, hidden_dim):
                super().__init__()
                self.hidden_dim = hidden_dim
                self.tag_to_ix = tag_to_ix
                self.tagset_size = len(tag_to_ix)
                self.word_embeds = nn.Embedding(vocab_size, embedding_dim)
                self.lstm = nn.LSTM(embedding_dim, hidden_dim // 2, num_layers=1,
                                    bidirectional=True)
                self.hidden2tag = nn.Linear(hidden_dim, self.tagset_size)
                self.transitions = nn.Parameter(torch.tensor(transitions))
                self.transitions.data[tag_to_ix[START_TAG], :] = -10000
                self.transitions.data[:, tag_to_ix[STOP_TAG]] = -10000
                self.hidden = self.init_hidden()

            def init_hidden(self):
                return (torch.zeros(2, 1, self.hidden_dim // 2),
                        torch.zeros(2, 1, self.hidden_dim // 2))

            def _forward_alg(self, feats):
                init_alphas = torch.full((1, self.tagset_size), -10000.)
                init_alphas[0][self.tag_to_ix[START_TAG]] = 0.
                forward_var = init_alphas
                for feat in feats:
                    alphas_t = []
                    for next_tag in range(self.tagset_size):
                        emit_score = feat[next_tag].view(1, -1).expand(1, self.tagset_size)
                        trans_score = self.transitions[next_tag].view(1, -1)
                        next_tag_var = forward_var + trans_score + emit_score
                        alphas_t.append(log_sum_exp(next_tag_var).view(1))
                    forward_var = torch.cat(alphas_t).view(1, -1)
                terminal_var = forward_var + self.transitions[self.tag_to_ix[STOP_TAG]]
                return log_sum_exp(terminal_var)

            def _get_lstm_features(self, sentence):
                self.hidden = self.init_hidden()
                embeds = self.word_embeds(sentence).view(len(sentence), 1, -1)
                lstm_out, self.hidden = self.lstm(embeds, self.hidden)
                lstm_out = lstm_out.view(len(sentence), self.hidden_dim)
                return self.hidden2tag(lstm_out)

            def _score_sentence(self, feats, tags):
                score = torch.zeros(1)
                tags = torch.cat([torch.tensor([self.tag_to_ix[START_TAG]], dtype=torch.long),
                                  tags])
                for i, feat in enumerate(feats):
                    score = score + self.transitions[tags[i + 1], tags[i]] + feat[tags[i + 1]]
                return score + self.transitions[self.tag_to_ix[STOP_TAG], tags[-1]]

            def _viterbi_decode(self, feats):
                backpointers = []
                init_vvars = torch.full((1, self.tagset_size), -10000.)
                init_vvars[0][self.tag_to_ix[START_TAG]] = 0
                forward_var = init_vvars
                for feat in feats:
                    bptrs_t, viterbivars_t = [], []
                    for next_tag in range(self.tagset_size):
                        next_tag_var = forward_var + self.transitions[next_tag]
                        best_tag_id = argmax(next_tag_var)
                        bptrs_t.append(best_tag_id)
                        viterbivars_t.append(next_tag_var[0][best_tag_id].view(1))
                    forward_var = (torch.cat(viterbivars_t) + feat).view(1, -1)
                    backpointers.append(bptrs_t)
                terminal_var = forward_var + self.transitions[self.tag_to_ix[STOP_TAG]]
                best_tag_id = argmax(terminal_var)
                path_score = terminal_var[0][best_tag_id]
                best_path = [best_tag_id]
                for bptrs_t in reversed(backpointers):
                    best_tag_id = bptrs_t[best_tag_id]
                    best_path.append(best_tag_id)
                start = best_path.pop()
                assert start == self.tag_to_ix[START_TAG]
                best_path.reverse()
                return path_score, best_path

            def neg_log_likelihood(self, sentence, tags):
                feats = self._get_lstm_features(sentence)
                return self._forward_alg(feats) - self._score_sentence(feats, tags)

            def forward(self, sentence):
                return self._viterbi_decode(self._get_lstm_features(sentence))

        word_to_ix = {}
        for sentence, tags in training_data:
            for word in sentence:
                if word not in word_to_ix:
                    word_to_ix[word] = len(word_to_ix)
        tag_to_ix = {"B": 0, "I": 1, "O": 2, START_TAG: 3, STOP_TAG: 4}
        model = BiLSTM_CRF(len(word_to_ix), tag_to_ix, 4, 4)
        copy_weights(model.word_embeds, model.lstm, model.hidden2tag)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, weight_decay=1e-4)
        with torch.no_grad():
            before = model(prepare_sequence(training_data[0][0], word_to_ix))
        losses = []
        for _ in range(2):
            for sentence, tags in training_data:
                model.zero_grad()
                sentence_in = prepare_sequence(sentence, word_to_ix)
                targets = torch.tensor([tag_to_ix[t] for t in tags], dtype=torch.long)
                loss = model.neg_log_likelihood(sentence_in, targets)
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
        with torch.no_grad():
            after = model(prepare_sequence(training_data[0][0], word_to_ix))
        return before, after, losses, model.transitions.detach()
    side_by_side(script)


def test_pgd_adversarial_examples_and_adversarial_training():
    xs, labels = DATA.uniform(size=(6, 1, 4, 4)), DATA.integers(0, 3, size=6)

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 3))
        copy_weights(model)

        def pgd_linf(model, X, y, epsilon=0.1, alpha=0.02, num_iter=5):
            delta = torch.zeros_like(X, requires_grad=True)
            for _ in range(num_iter):
                loss = nn.CrossEntropyLoss()(model(X + delta), y)
                loss.backward()
                # (the tutorial's delta.data = ... and delta.grad.zero_(): .data and .grad
                # are NumPy's here)
                with torch.no_grad():
                    delta.copy_((delta + alpha * torch.sign(delta.grad)).clamp(-epsilon, epsilon))
                delta.grad = None
            return delta.detach()

        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        X, y = torch.from_numpy(xs), torch.from_numpy(labels)
        history = []
        for _ in range(3):
            delta = pgd_linf(model, X, y)
            yp = model(X + delta)
            loss = nn.CrossEntropyLoss()(yp, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_err = (yp.max(dim=1)[1] != y).sum().item()
            history.append((loss.item(), total_err, delta))
        return history, model
    side_by_side(script)


def test_saliency_maps_by_the_gradient_of_the_correct_score():
    images, labels = DATA.normal(size=(3, 2, 5, 5)), np.array([0, 2, 1])

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(),
                              nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(16, 3))
        copy_weights(model)
        model.eval()
        for param in model.parameters():
            param.requires_grad = False
        X = torch.from_numpy(images).clone()
        y = torch.from_numpy(labels)
        X.requires_grad_()
        scores = model(X)
        scores = scores.gather(1, y.view(-1, 1)).squeeze()
        scores.backward(torch.ones(scores.shape))
        # (CS231n's X.grad.data.abs(): X.grad is NumPy's array here)
        saliency, _ = torch.max(torch.abs(torch.as_tensor(X.grad)), dim=1)
        return saliency, scores
    side_by_side(script)


def test_deep_embedded_clustering_with_its_target_distribution():
    xs = np.concatenate([DATA.normal(size=(5, 4)) + 2, DATA.normal(size=(5, 4)) - 2])
    centres = DATA.normal(size=(2, 3))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class ClusteringLayer(nn.Module):
            def __init__(self, n_clusters, hidden, alpha=1.0):
                super().__init__()
                self.alpha = alpha
                self.cluster_centers = nn.Parameter(torch.from_numpy(centres).clone())

            def forward(self, x):
                norm_squared = torch.sum((x.unsqueeze(1) - self.cluster_centers) ** 2, 2)
                numerator = 1.0 / (1.0 + (norm_squared / self.alpha))
                power = float(self.alpha + 1) / 2
                numerator = numerator ** power
                return numerator / torch.sum(numerator, dim=1, keepdim=True)

        def target_distribution(q):
            weight = (q ** 2) / torch.sum(q, 0)
            return (weight.t() / torch.sum(weight, 1)).t()

        encoder = nn.Sequential(nn.Linear(4, 3), nn.Tanh())
        copy_weights(encoder)
        clustering = ClusteringLayer(2, 3)
        optimizer = torch.optim.SGD(list(encoder.parameters()) + list(clustering.parameters()),
                                    lr=0.1, momentum=0.9)
        x = torch.from_numpy(xs)
        history = []
        for step in range(4):
            q = clustering(encoder(x))
            if step % 2 == 0:
                p = target_distribution(q).detach()
            loss = F.kl_div(q.log(), p, reduction="batchmean")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), q.argmax(1).tolist()))
        return history, encoder, clustering.cluster_centers.detach()
    side_by_side(script)


def test_neural_collaborative_filtering_gmf_and_mlp():
    users, items = DATA.integers(0, 5, size=12), DATA.integers(0, 7, size=12)
    ratings = DATA.integers(0, 2, size=12).astype(float)

    def script(torch, copy_weights):
        nn = torch.nn

        class NeuMF(nn.Module):
            def __init__(self, num_users, num_items, factor_num=3, layers=(8, 4)):
                super().__init__()
                self.embed_user_GMF = nn.Embedding(num_users, factor_num)
                self.embed_item_GMF = nn.Embedding(num_items, factor_num)
                self.embed_user_MLP = nn.Embedding(num_users, layers[0] // 2)
                self.embed_item_MLP = nn.Embedding(num_items, layers[0] // 2)
                MLP_modules = []
                for in_size, out_size in zip(layers[:-1], layers[1:]):
                    MLP_modules += [nn.Dropout(p=0.0), nn.Linear(in_size, out_size), nn.ReLU()]
                self.MLP_layers = nn.Sequential(*MLP_modules)
                self.predict_layer = nn.Linear(factor_num + layers[-1], 1)
                for m in self.modules():
                    if isinstance(m, nn.Embedding):
                        nn.init.normal_(m.weight, std=0.01)

            def forward(self, user, item):
                output_GMF = self.embed_user_GMF(user) * self.embed_item_GMF(item)
                interaction = torch.cat((self.embed_user_MLP(user), self.embed_item_MLP(item)),
                                        -1)
                output_MLP = self.MLP_layers(interaction)
                concat = torch.cat((output_GMF, output_MLP), -1)
                return self.predict_layer(concat).view(-1)

        model = NeuMF(5, 7)
        copy_weights(model)
        loss_function = nn.BCEWithLogitsLoss()
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
        user, item, label = (torch.from_numpy(a) for a in (users, items, ratings))
        losses = []
        for _ in range(4):
            model.zero_grad()
            prediction = model(user, item)
            loss = loss_function(prediction, label)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        _, indices = torch.topk(model(torch.zeros(7, dtype=torch.long), torch.arange(7)), 3)
        return losses, model, indices
    side_by_side(script)


def test_sparsemax_as_an_autograd_function():
    logits = DATA.normal(size=(4, 5)) * 2
    targets = DATA.integers(0, 5, size=4)

    def script(torch, copy_weights):
        nn = torch.nn

        class SparsemaxFunction(torch.autograd.Function):
            @staticmethod
            def forward(ctx, input, dim=-1):
                # (forward and backward get NumPy arrays here: as_tensor for the methods)
                input = torch.as_tensor(input)
                ctx.dim = dim
                max_val, _ = input.max(dim=dim, keepdim=True)
                input = input - max_val
                zs = torch.sort(input, dim=dim, descending=True)[0]
                d = input.size(dim)
                rhos = torch.arange(1, d + 1, dtype=input.dtype).view(1, -1)
                cumsum = zs.cumsum(dim) - 1
                support = rhos * zs > cumsum
                support_size = support.sum(dim=dim).unsqueeze(dim)
                tau = cumsum.gather(dim, support_size - 1) / support_size.to(input.dtype)
                output = torch.clamp(input - tau, min=0)
                ctx.save_for_backward(support_size, output)
                return output

            @staticmethod
            def backward(ctx, grad_output):
                supp_size, output = ctx.saved_tensors
                dim = ctx.dim
                grad_input = torch.as_tensor(grad_output).clone()
                grad_input[output == 0] = 0
                v_hat = grad_input.sum(dim=dim) / supp_size.to(output.dtype).squeeze()
                v_hat = v_hat.unsqueeze(dim)
                grad_input = torch.where(output != 0, grad_input - v_hat, grad_input)
                return grad_input, None

        layer = nn.Linear(5, 5)
        copy_weights(layer)
        x = torch.from_numpy(logits)
        probs = SparsemaxFunction.apply(layer(x), -1)
        target = torch.nn.functional.one_hot(torch.from_numpy(targets), 5).to(probs.dtype)
        loss = ((probs - target) ** 2).sum()
        loss.backward()
        return probs, loss, layer.bias.grad, (probs > 0).sum(dim=1)
    side_by_side(script)
