"""The tenth round of PyTorch scripts (pytorch.org's docs examples as written, run
with PyTorch and with ``autodiff``, compared to 1e-10 in float64): the ``torch.nn.init``
docs (each initialiser on the docs' shapes: the deterministic ones compared by value,
the random ones by the bounds, moments and structure they promise), the
``torch.nn.utils.rnn`` docs (``pad_sequence``, ``pack_padded_sequence`` with
``enforce_sorted=False``, ``pad_packed_sequence``, ``pack_sequence``,
``unpack_sequence``, ``unpad_sequence``, then an LSTM over the packed batch), the
``torch.optim`` docs (``add_param_group``, ``zero_grad(set_to_none=)``, step pre- and
post-hooks, a learning rate set by hand, ``ExponentialLR``) and the
``torch.distributions`` docs (the score function and pathwise estimators,
``kl_divergence``, ``Independent``, ``MultivariateNormal``, ``TransformedDistribution``).
Random draws differ between the libraries: the scripts return what each draw
promises (bounds, moments, gradients in terms of the draw), not the draws."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(103)


def test_nn_init_docs_examples():
    def script(torch, copy_weights):
        nn = torch.nn
        facts = {}
        facts["gain"] = [nn.init.calculate_gain('leaky_relu', 0.2),
                         nn.init.calculate_gain('relu'), nn.init.calculate_gain('tanh'),
                         nn.init.calculate_gain('selu'), nn.init.calculate_gain('linear'),
                         nn.init.calculate_gain('sigmoid'), nn.init.calculate_gain('conv2d')]
        w = torch.empty(3, 5)
        nn.init.uniform_(w)
        facts["uniform"] = bool((w >= 0).all() and (w < 1).all())
        nn.init.uniform_(w, a=-2.0, b=-1.0)
        facts["uniform_ab"] = bool((w >= -2).all() and (w < -1).all())
        big = torch.empty(400, 500)
        nn.init.normal_(big, mean=1.0, std=0.5)
        facts["normal"] = [abs(big.mean().item() - 1.0) < 0.01,
                           abs(big.std(unbiased=True).item() - 0.5) < 0.01]
        nn.init.constant_(w, 0.3)
        facts["constant"] = w.clone()
        nn.init.ones_(w)
        facts["ones"] = w.clone()
        nn.init.zeros_(w)
        facts["zeros"] = w.clone()
        nn.init.eye_(w)
        facts["eye"] = w.clone()
        w4 = torch.empty(3, 16, 5, 5)
        nn.init.dirac_(w4)
        facts["dirac"] = w4.clone()
        w4 = torch.empty(3, 24, 5, 5)
        nn.init.dirac_(w4, 3)
        facts["dirac_groups"] = w4.clone()
        bound = nn.init.calculate_gain('relu') * math.sqrt(6.0 / (400 + 500))
        nn.init.xavier_uniform_(big, gain=nn.init.calculate_gain('relu'))
        facts["xavier_uniform"] = [bool(big.abs().max() <= bound),
                                   bool(big.abs().max() > 0.99 * bound)]
        nn.init.xavier_normal_(big)
        spread = big.std(unbiased=True).item()
        facts["xavier_normal"] = abs(spread / math.sqrt(2.0 / 900) - 1) < 0.02
        # (a 2-d array here is read in Linear's (in, out) layout, the transpose of
        # PyTorch's (out, in): the fans of a square one agree)
        big = torch.empty(450, 450)
        nn.init.kaiming_uniform_(big, mode='fan_in', nonlinearity='relu')
        bound = math.sqrt(2.0) * math.sqrt(3.0 / 450)
        facts["kaiming_uniform"] = [bool(big.abs().max() <= bound),
                                    bool(big.abs().max() > 0.99 * bound)]
        nn.init.kaiming_normal_(big, mode='fan_out', nonlinearity='relu')
        spread = big.std(unbiased=True).item()
        facts["kaiming_normal"] = abs(spread / math.sqrt(2.0 / 450) - 1) < 0.02
        nn.init.trunc_normal_(big, a=-1.0, b=1.5)
        facts["trunc_normal"] = [bool(big.min() >= -1.0), bool(big.max() <= 1.5),
                                 bool(big.min() < -0.99), bool(big.max() > 1.49)]
        nn.init.orthogonal_(w)
        facts["orthogonal"] = torch.allclose(w @ w.T, torch.eye(3))
        nn.init.orthogonal_(w, gain=2.0)
        facts["orthogonal_gain"] = torch.allclose(w @ w.T, 4 * torch.eye(3))
        sparse = torch.empty(10, 6)
        nn.init.sparse_(sparse, sparsity=0.1)
        facts["sparse"] = [int((sparse[:, j] == 0).sum()) for j in range(6)]
        facts["fans"] = nn.init._calculate_fan_in_and_fan_out(torch.empty(3, 24, 5, 5))
        return facts
    side_by_side(script)


def test_nn_utils_rnn_docs_examples_then_an_lstm_over_the_packed_batch():
    inputs = DATA.normal(size=(3, 4, 2))
    lengths = [2, 4, 3]

    def script(torch, copy_weights):
        nn = torch.nn
        rnn_utils = torch.nn.utils.rnn
        pad_sequence, pack_padded_sequence, pad_packed_sequence = (
            rnn_utils.pad_sequence, rnn_utils.pack_padded_sequence,
            rnn_utils.pad_packed_sequence)
        pack_sequence, unpack_sequence, unpad_sequence = (
            rnn_utils.pack_sequence, rnn_utils.unpack_sequence, rnn_utils.unpad_sequence)
        out = {}
        a = torch.ones(25, 30)
        b = torch.ones(22, 30)
        c = torch.ones(15, 30)
        out["pad_size"] = tuple(pad_sequence([a, b, c]).size())
        out["pad_batch_first"] = tuple(pad_sequence([a, b, c], batch_first=True,
                                                    padding_value=-1.0).size())
        seq = torch.tensor([[1, 2, 0], [3, 0, 0], [4, 5, 6]])
        lens = [2, 1, 3]
        packed = pack_padded_sequence(seq, lens, batch_first=True, enforce_sorted=False)
        out["packed"] = (packed.data, packed.batch_sizes, packed.sorted_indices,
                         packed.unsorted_indices)
        seq_unpacked, lens_unpacked = pad_packed_sequence(packed, batch_first=True)
        out["unpacked"] = (seq_unpacked, lens_unpacked)
        a = torch.tensor([1, 2, 3])
        b = torch.tensor([4, 5])
        c = torch.tensor([6])
        packed = pack_sequence([a, b, c])
        out["pack_sequence"] = (packed.data, packed.batch_sizes)
        sequences = [a, b, c]
        packed_sequences = pack_sequence(sequences)
        out["unpack_sequence"] = unpack_sequence(packed_sequences)
        a = torch.ones(25, 30)
        b = torch.ones(22, 30)
        c = torch.ones(15, 30)
        sequences = [a, b, c]
        padded_sequences = pad_sequence(sequences)
        lengths_t = torch.as_tensor([v.size(0) for v in sequences])
        unpadded_sequences = unpad_sequence(padded_sequences, lengths_t)
        out["unpad_sequence"] = [tuple(t.shape) for t in unpadded_sequences]

        lstm = nn.LSTM(2, 3, batch_first=True)
        head = nn.Linear(3, 1)
        copy_weights(lstm, head)
        optimizer = torch.optim.SGD(list(lstm.parameters()) + list(head.parameters()),
                                    lr=0.1)
        x = torch.from_numpy(inputs)
        losses = []
        for _ in range(3):
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            output, (h_n, c_n) = lstm(packed)
            padded, out_lengths = pad_packed_sequence(output, batch_first=True,
                                                      total_length=4)
            loss = head(h_n[-1]).pow(2).mean() + padded.sum(2).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        out["training"] = (losses, out_lengths, padded, lstm, head)
        return out
    side_by_side(script)


def test_optim_docs_param_groups_hooks_zero_grad_and_a_hand_set_learning_rate():
    inputs = DATA.normal(size=(4, 5, 3))
    targets = DATA.normal(size=(4, 5, 2))

    def script(torch, copy_weights):
        nn = torch.nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.base = nn.Linear(3, 4)
                self.classifier = nn.Linear(4, 2)

            def forward(self, x):
                return self.classifier(torch.tanh(self.base(x)))

        model = Net()
        copy_weights(model)
        optimizer = torch.optim.SGD([{'params': model.base.parameters()}], lr=0.05,
                                    momentum=0.9)
        events = []

        def pre_hook(optimizer, args, kwargs):
            events.append(("pre", len(optimizer.param_groups)))

        def post_hook(optimizer, args, kwargs):
            events.append(("post", optimizer.param_groups[0]['lr']))

        pre = optimizer.register_step_pre_hook(pre_hook)
        optimizer.register_step_post_hook(post_hook)
        scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
        losses, grads_after_zero = [], []
        for step in range(4):
            if step == 1:
                optimizer.add_param_group({'params': model.classifier.parameters(),
                                           'lr': 0.02, 'momentum': 0.5})
            if step == 3:
                pre.remove()
                for g in optimizer.param_groups:
                    g['lr'] = 0.01
            x, y = torch.from_numpy(inputs[step]), torch.from_numpy(targets[step])
            loss = nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad(set_to_none=step % 2 == 0)
            grads_after_zero.append([p.grad is None for p in model.parameters()])
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
        optimizer.zero_grad(set_to_none=False)
        zeroed = [bool((p.grad == 0).all()) for p in model.parameters()]
        lrs = [g['lr'] for g in optimizer.param_groups]
        return (losses, events, grads_after_zero, zeroed, lrs, scheduler.get_last_lr(),
                model)
    side_by_side(script)


def test_distributions_docs_score_function_pathwise_and_kl():
    probs_values = DATA.dirichlet(np.ones(4), size=3)
    rewards = DATA.normal(size=3)
    loc_values, scale_values = DATA.normal(size=3), DATA.uniform(0.5, 2.0, size=3)
    cov_factor = DATA.normal(size=(3, 3))

    def script(torch, copy_weights):
        D = torch.distributions
        out = {}
        m = D.Bernoulli(torch.tensor([0.3]))
        sample = m.sample()
        out["bernoulli"] = (bool(((sample == 0) | (sample == 1)).all()), m.mean, m.variance,
                            m.log_prob(torch.tensor([1.0])), m.entropy())
        probs = torch.from_numpy(probs_values.copy()).requires_grad_()
        m = D.Categorical(probs)
        action = torch.tensor([0, 3, 1])
        reward = torch.from_numpy(rewards)
        loss = (-m.log_prob(action) * reward).sum()
        loss.backward()
        out["score_function"] = (loss, probs.grad, m.entropy(), tuple(m.sample().shape))

        loc = torch.from_numpy(loc_values.copy()).requires_grad_()
        scale = torch.from_numpy(scale_values.copy()).requires_grad_()
        m = D.Normal(loc, scale)
        action = m.rsample()
        (-(action ** 2).sum()).backward()
        eps = (action.detach() - loc.detach()) / scale.detach()
        out["pathwise"] = (torch.allclose(loc.grad, -2 * action.detach()),
                           torch.allclose(scale.grad, -2 * action.detach() * eps))
        p = D.Normal(torch.from_numpy(loc_values), torch.from_numpy(scale_values))
        q = D.Normal(torch.zeros(3), torch.ones(3))
        out["kl"] = (D.kl_divergence(p, q), D.kl.kl_divergence(q, p))
        ind = D.Independent(p, 1)
        out["independent"] = (tuple(ind.batch_shape), tuple(ind.event_shape),
                              ind.log_prob(torch.zeros(3)),
                              D.kl_divergence(ind, D.Independent(q, 1)))
        scale_tril = torch.linalg.cholesky(torch.from_numpy(cov_factor @ cov_factor.T
                                                            + np.eye(3)))
        mvn = D.MultivariateNormal(torch.from_numpy(loc_values), scale_tril=scale_tril)
        out["mvn"] = (mvn.log_prob(torch.ones(3)), mvn.entropy(), mvn.covariance_matrix,
                      D.kl_divergence(mvn, D.MultivariateNormal(torch.zeros(3),
                                                                torch.eye(3))))
        base = D.Normal(torch.zeros(3), torch.ones(3))
        log_normal = D.TransformedDistribution(
            base, [D.transforms.AffineTransform(loc=torch.from_numpy(loc_values),
                                                scale=torch.from_numpy(scale_values)),
                   D.transforms.ExpTransform()])
        value = torch.tensor([0.5, 1.0, 2.0])
        out["transformed"] = (log_normal.log_prob(value),
                              D.LogNormal(torch.from_numpy(loc_values),
                                          torch.from_numpy(scale_values)).log_prob(value))
        out["normal_functions"] = (p.cdf(torch.zeros(3)), p.icdf(torch.tensor([0.1, 0.5, 0.9])),
                                   p.mean, p.stddev, p.variance, p.entropy())
        return out
    side_by_side(script)
