"""Twenty-fifth round of PyTorch scripts (see test_torch_scripts_twentyfifth.py):
recurrent layers and their utilities, multivariate distributions, sparse embedding
updates.  A two-layer ReLU ``RNN`` from a given state; a bidirectional ``GRU`` over
``pack_padded_sequence(enforce_sorted=False)`` unpacked to a ``total_length``; an
``LSTMCell`` loop; unbatched ``RNNCell`` and projected ``LSTM`` calls;
``parameters_to_vector``/``vector_to_parameters`` with gradient clipping by 1- and
inf-norms; non-persistent buffers; ``MultivariateNormal``, ``LowRankMultivariateNormal``,
``Dirichlet``, ``OneHotCategorical``, ``Multinomial``, ``MixtureSameFamily`` and
transformed distributions with their parameters' gradients; ``SparseAdam`` on an
embedding beside ``AdamW`` with per-group decay, saved and reloaded.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2500)
SEQUENCES = DATA.normal(size=(3, 5, 4))
LENGTHS = [5, 2, 3]


def test_relu_rnn_from_a_given_state_and_an_unsorted_packed_bidirectional_gru():
    def script(torch, copy_weights):
        R = torch.nn.utils.rnn
        rnn = torch.nn.RNN(4, 6, num_layers=2, nonlinearity="relu", batch_first=True)
        gru = torch.nn.GRU(4, 3, bidirectional=True, batch_first=True)
        copy_weights(rnn, gru)
        x = torch.tensor(SEQUENCES, requires_grad=True)
        out, h = rnn(x, torch.full((2, 3, 6), 0.1))
        packed = R.pack_padded_sequence(x, torch.tensor(LENGTHS), batch_first=True,
                                        enforce_sorted=False)
        packed_out, last = gru(packed)
        padded, lengths = R.pad_packed_sequence(packed_out, batch_first=True,
                                                total_length=7, padding_value=-1.0)
        loss = out.pow(2).sum() + (padded * (padded > -1)).pow(2).sum() + last.sum()
        loss.backward()
        return (out, h, padded, lengths, last, packed.batch_sizes, packed.sorted_indices,
                x.grad, [p.grad.norm() for p in gru.parameters()])
    side_by_side(script)


def test_cell_loops_unbatched_calls_and_parameter_vectors():
    def script(torch, copy_weights):
        nn = torch.nn
        cell = nn.LSTMCell(4, 5)
        plain = nn.RNNCell(4, 3)
        projected = nn.LSTM(4, 5, proj_size=2, num_layers=2)
        head = nn.Linear(5, 2)
        copy_weights(cell, plain, projected, head)
        x = torch.tensor(SEQUENCES, requires_grad=True)
        h = c = torch.zeros(3, 5)
        states = []
        for t in range(5):
            h, c = cell(x[:, t], (h, c))
            states.append(h)
        single = plain(x[0, 0])
        out, (hp, cp) = projected(x[0])
        vector = nn.utils.parameters_to_vector(head.parameters())
        nn.utils.vector_to_parameters(vector * 0.5, head.parameters())
        loss = head(torch.stack(states, 1)).pow(2).sum() + single.sum() + out.sum()
        loss.backward()
        by_one = nn.utils.clip_grad_norm_(head.parameters(), 0.5, norm_type=1.0)
        by_inf = nn.utils.clip_grad_norm_(cell.parameters(), 0.1, norm_type="inf")
        nn.utils.clip_grad_value_(plain.parameters(), 0.01)
        head.register_buffer("scale", torch.tensor([2.0]), persistent=False)
        return (states, c, single, out, hp, cp, x.grad, by_one, by_inf,
                [p.grad.abs().sum() for p in (*head.parameters(), *plain.parameters())],
                len(head.state_dict()), len(list(head.buffers())))
    side_by_side(script)


def test_multivariate_distributions_with_their_parameters_gradients():
    a = DATA.normal(size=(3, 3))
    covariance = a @ a.T + np.eye(3)
    factor = np.linalg.cholesky(covariance)
    points = DATA.normal(size=(2, 3))
    low_rank = DATA.normal(size=(3, 2))

    def script(torch, copy_weights):
        D, T = torch.distributions, torch.distributions.transforms
        loc = torch.tensor([0.2, -0.1, 0.3], requires_grad=True)
        tril = torch.tensor(factor, requires_grad=True)
        probs = torch.tensor([0.1, 0.2, 0.3, 0.4], requires_grad=True)
        conc = torch.tensor([1.5, 2.0, 0.7], requires_grad=True)
        x = torch.from_numpy(points)
        mvn = D.MultivariateNormal(loc, scale_tril=tril)
        other = D.MultivariateNormal(loc * 0, covariance_matrix=torch.tensor(covariance) * 2)
        lowrank = D.LowRankMultivariateNormal(loc, torch.from_numpy(low_rank), conc)
        dirichlet = D.Dirichlet(conc)
        onehot = D.OneHotCategorical(logits=probs)
        counts = D.Multinomial(6, probs=probs)
        mixture = D.MixtureSameFamily(D.Categorical(logits=probs[:3]), D.Normal(loc, conc))
        warped = D.TransformedDistribution(D.Normal(loc, conc),
                                           [T.AffineTransform(1.0, 2.0), T.ExpTransform()])
        values = [
            mvn.log_prob(x), mvn.entropy(), D.kl_divergence(mvn, other),
            lowrank.log_prob(x), lowrank.entropy(), D.kl_divergence(lowrank, other),
            dirichlet.log_prob(torch.tensor([0.2, 0.3, 0.5])), dirichlet.entropy(),
            D.kl_divergence(dirichlet, D.Dirichlet(conc * 2)),
            onehot.log_prob(torch.tensor([[0.0, 1.0, 0.0, 0.0]])), onehot.entropy(),
            counts.log_prob(torch.tensor([1.0, 2.0, 0.0, 3.0])), counts.variance,
            mixture.log_prob(torch.tensor([0.1, 1.0])), mixture.variance,
            mixture.cdf(torch.tensor([0.1, 1.0])),
            warped.log_prob(torch.tensor([0.5, 2.0, 3.0])),
            warped.cdf(torch.tensor([0.5, 2.0, 3.0])),
        ]
        sum(v.sum() for v in values).backward()
        # (the library's scale_tril is lower triangular by contract: its upper entries
        # get no gradient, where PyTorch's entropy and KL send some there)
        return values, loc.grad, torch.tril(tril.grad), probs.grad, conc.grad
    # (Dirichlet's gradient takes PyTorch's trigamma, off by up to 1e-9: see
    # test_torch_conventions_twentyfifth.py)
    side_by_side(script, tol=1e-8)


def test_sparse_adam_on_an_embedding_beside_adamw_groups_saved_and_reloaded():
    ids = np.array([[1, 3, 3], [0, 2, 5]])

    def script(torch, copy_weights):
        # (the library's gradients are dense: sparse=True is refused with an error
        # that says SparseAdam takes the dense gradient, touching only used rows)
        embed = torch.nn.Embedding(6, 4, sparse=torch.__name__ == "torch")
        head = torch.nn.Linear(4, 1)
        copy_weights(embed, head)
        sparse = torch.optim.SparseAdam(list(embed.parameters()), lr=0.05)
        dense = torch.optim.AdamW([{"params": [head.weight], "weight_decay": 0.1},
                                   {"params": [head.bias], "weight_decay": 0.0, "lr": 0.01}],
                                  lr=0.05, amsgrad=True)

        def train(steps):
            losses = []
            for _ in range(steps):
                sparse.zero_grad()
                dense.zero_grad()
                loss = head(embed(torch.tensor(ids))).pow(2).mean()
                loss.backward()
                sparse.step()
                dense.step()
                losses.append(loss.detach())
            return losses
        before = train(3)
        buffer = io.BytesIO()
        torch.save({"dense": dense.state_dict(), "sparse": sparse.state_dict(),
                    "head": head.state_dict()}, buffer)
        buffer.seek(0)
        saved = torch.load(buffer, weights_only=False)
        dense.load_state_dict(saved["dense"])
        sparse.load_state_dict(saved["sparse"])
        after = train(2)
        return before, after, embed.weight, head, [g["lr"] for g in dense.param_groups]
    side_by_side(script)
