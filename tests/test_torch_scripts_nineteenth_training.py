"""The nineteenth round's recommender, ranking and training scripts (see
test_torch_scripts_nineteenth.py for how they run): DeepFM (first-order weights and
shared field embeddings by ``nn.Embedding`` over offset field indices, the FM
second-order term by the square-of-sum trick, a deep tower beside it), a DCN-v2 cross
network (``x0 * (W x_l + b) + x_l``), a two-tower retriever trained on in-batch
negatives (``q @ d.T / temperature``, ``F.cross_entropy`` against ``torch.arange``),
ListNet and RankNet losses (the pairwise differences by broadcasting, ``torch.sign``,
``triu`` as a mask), t-SNE by gradient descent (Student-t affinities from
``torch.cdist``, ``fill_diagonal_``, the KL divergence, an early-exaggeration phase),
a soft actor-critic update (twin Q networks, the clipped double-Q target, a tanh-squashed
Gaussian policy's ``rsample`` and log-probability correction, a learned temperature,
Polyak-averaged target networks) and a deep equilibrium layer (the fixed point found
under ``no_grad``, the implicit backward pass by a tensor hook that solves its own fixed
point with ``torch.autograd.grad(f0, z0, y, retain_graph=True)``)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1922)


def test_deepfm_with_the_square_of_sum_trick():
    field_dims = [4, 3, 5]
    fields = np.stack([DATA.integers(0, n, size=12) for n in field_dims], axis=1)
    clicks = DATA.integers(0, 2, size=12).astype(float)

    def script(torch, copy_weights):
        nn = torch.nn

        class DeepFM(nn.Module):
            def __init__(self, field_dims, embed_dim):
                super().__init__()
                self.offsets = torch.tensor([0, *np.cumsum(field_dims)[:-1]])
                self.linear = nn.Embedding(sum(field_dims), 1)
                self.bias = nn.Parameter(torch.zeros(1))
                self.embedding = nn.Embedding(sum(field_dims), embed_dim)
                self.mlp = nn.Sequential(nn.Linear(len(field_dims) * embed_dim, 8),
                                         nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))

            def forward(self, x):
                x = x + self.offsets.unsqueeze(0)
                embed_x = self.embedding(x)
                square_of_sum = torch.sum(embed_x, dim=1) ** 2
                sum_of_square = torch.sum(embed_x ** 2, dim=1)
                fm = 0.5 * torch.sum(square_of_sum - sum_of_square, dim=1, keepdim=True)
                linear = torch.sum(self.linear(x), dim=1) + self.bias
                deep = self.mlp(embed_x.view(-1, embed_x.size(1) * embed_x.size(2)))
                return (linear + fm + deep).squeeze(1)

        model = DeepFM(field_dims, 3)
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-6)
        criterion = nn.BCEWithLogitsLoss()
        x, y = torch.from_numpy(fields), torch.from_numpy(clicks)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            probabilities = torch.sigmoid(model(x))
        return losses, probabilities, model
    side_by_side(script)


def test_dcn_v2_cross_network():
    features = DATA.normal(size=(8, 5))
    targets = DATA.normal(size=(8,))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class CrossNetwork(nn.Module):
            def __init__(self, dim, num_layers):
                super().__init__()
                self.layers = nn.ModuleList(nn.Linear(dim, dim) for _ in range(num_layers))

            def forward(self, x0):
                x = x0
                for layer in self.layers:
                    x = x0 * layer(x) + x
                return x

        class DCN(nn.Module):
            def __init__(self):
                super().__init__()
                self.cross = CrossNetwork(5, 3)
                self.deep = nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Dropout(0.0))
                self.head = nn.Linear(11, 1)

            def forward(self, x):
                return self.head(torch.cat([self.cross(x), self.deep(x)], dim=1)).squeeze(-1)

        model = DCN()
        copy_weights(model)
        optimizer = torch.optim.Adagrad(model.parameters(), lr=0.05)
        x, y = torch.from_numpy(features), torch.from_numpy(targets)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model
    side_by_side(script)


def test_two_tower_retrieval_with_in_batch_negatives():
    queries = DATA.normal(size=(3, 6, 4))
    documents = DATA.normal(size=(3, 6, 5))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        query_tower = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        doc_tower = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
        copy_weights(query_tower, doc_tower)
        temperature = 0.1
        optimizer = torch.optim.Adam([*query_tower.parameters(), *doc_tower.parameters()],
                                     lr=1e-2)
        losses, accuracies = [], []
        for q_batch, d_batch in zip(torch.from_numpy(queries), torch.from_numpy(documents)):
            q = F.normalize(query_tower(q_batch), dim=-1)
            d = F.normalize(doc_tower(d_batch), dim=-1)
            logits = q @ d.T / temperature
            labels = torch.arange(logits.size(0))
            loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            accuracies.append((logits.argmax(dim=1) == labels).float().mean().item())
        return losses, accuracies, query_tower, doc_tower
    side_by_side(script)


def test_listnet_and_ranknet_losses_for_learning_to_rank():
    documents = DATA.normal(size=(3, 7, 4))
    relevance = DATA.integers(0, 4, size=(3, 7)).astype(float)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        def listnet_loss(scores, labels):
            return -torch.sum(F.softmax(labels, dim=-1) * F.log_softmax(scores, dim=-1))

        def ranknet_loss(scores, labels):
            score_diffs = scores.unsqueeze(1) - scores.unsqueeze(0)
            label_diffs = labels.unsqueeze(1) - labels.unsqueeze(0)
            targets = (torch.sign(label_diffs) + 1) / 2
            mask = torch.ones_like(score_diffs).triu(diagonal=1).bool() & (label_diffs != 0)
            return F.binary_cross_entropy_with_logits(score_diffs[mask], targets[mask])

        scorer = nn.Sequential(nn.Linear(4, 6), nn.ELU(), nn.Linear(6, 1))
        copy_weights(scorer)
        # (SGD: both losses ignore the last bias, whose zero gradient, round-off, Adam
        # would turn into full steps)
        optimizer = torch.optim.SGD(scorer.parameters(), lr=0.05, momentum=0.9)
        losses = []
        for x, y in zip(torch.from_numpy(documents), torch.from_numpy(relevance)):
            scores = scorer(x).squeeze(-1)
            loss = listnet_loss(scores, y) + ranknet_loss(scores, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, scorer
    side_by_side(script)


def test_tsne_by_gradient_descent_with_early_exaggeration():
    points = np.concatenate([DATA.normal(size=(5, 4)), DATA.normal(size=(5, 4)) + 3])
    start = DATA.normal(size=(10, 2)) * 1e-2

    def script(torch, copy_weights):
        X = torch.from_numpy(points)
        distances = torch.cdist(X, X) ** 2
        P = torch.exp(-distances / 2.0)
        P.fill_diagonal_(0)
        P = P / P.sum(dim=1, keepdim=True)
        P = (P + P.T) / (2 * P.shape[0])
        P = torch.clamp(P, min=1e-12)

        Y = torch.nn.Parameter(torch.from_numpy(start.copy()))
        optimizer = torch.optim.SGD([Y], lr=50.0, momentum=0.5)
        kls = []
        for iteration in range(6):
            exaggeration = 4.0 if iteration < 3 else 1.0
            num = 1.0 / (1.0 + torch.cdist(Y, Y) ** 2)
            num = num * (1 - torch.eye(Y.shape[0]))
            Q = torch.clamp(num / num.sum(), min=1e-12)
            kl = torch.sum(exaggeration * P * torch.log(exaggeration * P / Q))
            optimizer.zero_grad()
            kl.backward()
            optimizer.step()
            kls.append(kl.item())
        return kls, Y
    side_by_side(script)


def test_soft_actor_critic_update_with_twin_q_networks():
    states = DATA.normal(size=(6, 3))
    actions = DATA.uniform(-1, 1, size=(6, 1))
    rewards = DATA.normal(size=(6, 1))
    next_states = DATA.normal(size=(6, 3))
    dones = (DATA.uniform(size=(6, 1)) < 0.2).astype(float)
    eps = DATA.normal(size=(2, 2, 6, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        import copy

        class Actor(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Linear(3, 8), nn.ReLU())
                self.mu, self.log_std = nn.Linear(8, 1), nn.Linear(8, 1)

            def sample(self, state, noise):
                h = self.body(state)
                mu, log_std = self.mu(h), self.log_std(h).clamp(-20, 2)
                std = log_std.exp()
                normal = torch.distributions.Normal(mu, std)
                x_t = mu + std * noise          # rsample with our noise
                action = torch.tanh(x_t)
                log_prob = normal.log_prob(x_t) - torch.log(1 - action.pow(2) + 1e-6)
                return action, log_prob.sum(1, keepdim=True)

        def critic():
            return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))

        actor, q1, q2 = Actor(), critic(), critic()
        copy_weights(actor, q1, q2)
        q1_target, q2_target = copy.deepcopy(q1), copy.deepcopy(q2)
        log_alpha = torch.zeros(1, requires_grad=True)
        q_optim = torch.optim.Adam([*q1.parameters(), *q2.parameters()], lr=3e-3)
        pi_optim = torch.optim.Adam(actor.parameters(), lr=3e-3)
        alpha_optim = torch.optim.Adam([log_alpha], lr=3e-3)
        gamma, tau, target_entropy = 0.99, 0.05, -1.0
        s, a, r = torch.from_numpy(states), torch.from_numpy(actions), torch.from_numpy(rewards)
        s2, d = torch.from_numpy(next_states), torch.from_numpy(dones)
        history = []
        for noise_next, noise_pi in torch.from_numpy(eps):
            alpha = log_alpha.exp().detach()
            with torch.no_grad():
                a2, logp2 = actor.sample(s2, noise_next)
                sa2 = torch.cat([s2, a2], 1)
                # (torch.min of two tensors is refused here, naming torch.minimum)
                q_next = torch.minimum(q1_target(sa2), q2_target(sa2)) - alpha * logp2
                q_target = r + gamma * (1 - d) * q_next
            sa = torch.cat([s, a], 1)
            q_loss = F.mse_loss(q1(sa), q_target) + F.mse_loss(q2(sa), q_target)
            q_optim.zero_grad()
            q_loss.backward()
            q_optim.step()

            a_pi, logp = actor.sample(s, noise_pi)
            sa_pi = torch.cat([s, a_pi], 1)
            pi_loss = (alpha * logp - torch.minimum(q1(sa_pi), q2(sa_pi))).mean()
            pi_optim.zero_grad()
            pi_loss.backward()
            pi_optim.step()

            alpha_loss = -(log_alpha * (logp + target_entropy).detach()).mean()
            alpha_optim.zero_grad()
            alpha_loss.backward()
            alpha_optim.step()

            with torch.no_grad():
                for net, target in ((q1, q1_target), (q2, q2_target)):
                    for p, p_targ in zip(net.parameters(), target.parameters()):
                        p_targ.mul_(1 - tau)
                        p_targ.add_(tau * p)
            history.append((q_loss.item(), pi_loss.item(), alpha_loss.item()))
        return history, log_alpha, actor, q1_target, q2_target
    side_by_side(script)


def test_deep_equilibrium_layer_with_an_implicit_backward_hook():
    inputs = DATA.normal(size=(4, 3))
    targets = DATA.normal(size=(4, 3))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        def forward_iteration(f, x0, max_iter=40):
            z = x0
            for _ in range(max_iter):
                z = f(z)
            return z

        class TanhFixedPoint(nn.Module):
            def __init__(self, n):
                super().__init__()
                self.linear = nn.Linear(n, n, bias=False)

            def forward(self, z, x):
                return torch.tanh(self.linear(z) + x)

        class DEQFixedPoint(nn.Module):
            def __init__(self, f, solver):
                super().__init__()
                self.f, self.solver = f, solver

            def forward(self, x):
                with torch.no_grad():
                    z = self.solver(lambda z: self.f(z, x), torch.zeros_like(x))
                z = self.f(z, x)
                z0 = z.clone().detach().requires_grad_()
                f0 = self.f(z0, x)

                def backward_hook(grad):
                    return self.solver(
                        lambda y: torch.autograd.grad(f0, z0, y, retain_graph=True)[0] + grad,
                        grad)

                z.register_hook(backward_hook)
                return z

        f = TanhFixedPoint(3)
        copy_weights(f)
        with torch.no_grad():
            f.linear.weight.mul_(0.3)       # a contraction, so the iterations converge
        model = DEQFixedPoint(f, forward_iteration)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, f
    side_by_side(script)
