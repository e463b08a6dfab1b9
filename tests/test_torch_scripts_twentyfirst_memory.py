"""The twenty-first round's scripts on memory, relations and operators (see
test_torch_scripts_twentyfirst.py for how they run): a neural Turing machine's read
head (content addressing by ``F.cosine_similarity`` against every memory row, an
interpolation gate, a circular shift by ``torch.roll``, sharpening), Performer's
FAVOR+ attention by positive random features drawn explicitly, a restricted Boltzmann
machine trained by one step of contrastive divergence (Bernoulli draws as comparisons
with explicit uniforms, the free energy by ``F.softplus``), DeepONet (branch and trunk
nets joined by ``einsum``), a Koopman autoencoder rolled forward by a linear operator,
a lottery-ticket round (global magnitude pruning by ``torch.quantile`` over
``torch.cat`` of the weights, rewinding by ``copy.deepcopy(state_dict())``, masks kept
by tensor hooks on the gradients), a child-sum Tree-LSTM over a fixed tree, a relation
network over all pairs of objects (``unsqueeze``/``expand``/``cat``), and the Lovasz
hinge loss (errors sorted, the Lovasz extension's gradient by ``cumsum``)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import adam_steps, side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2621)


def test_neural_turing_machine_read_head_by_content_and_location_addressing():
    memory = DATA.normal(size=(2, 6, 4))
    controller_inputs = DATA.normal(size=(2, 5))
    targets = DATA.normal(size=(2, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        controller = nn.Linear(5, 4 + 1 + 1 + 3 + 1)     # key, beta, gate, shift, gamma
        copy_weights(controller)
        M = torch.from_numpy(memory)
        x, y = torch.from_numpy(controller_inputs), torch.from_numpy(targets)
        previous = torch.full((2, 6), 1 / 6)

        def read():
            out = controller(x)
            key, beta, gate, shift, gamma = out.split([4, 1, 1, 3, 1], dim=-1)
            similarity = F.cosine_similarity(M, key.unsqueeze(1), dim=-1)      # (B, N)
            content = F.softmax(F.softplus(beta) * similarity, dim=-1)
            g = torch.sigmoid(gate)
            w = g * content + (1 - g) * previous
            s = F.softmax(shift, dim=-1)
            shifted = s[:, 0:1] * torch.roll(w, -1, dims=1) + s[:, 1:2] * w \
                + s[:, 2:3] * torch.roll(w, 1, dims=1)
            sharpened = shifted ** (1 + F.softplus(gamma))
            weights = sharpened / sharpened.sum(dim=-1, keepdim=True)
            return torch.einsum("bn,bnd->bd", weights, M), weights

        losses = adam_steps(torch, controller, lambda: F.mse_loss(read()[0], y),
                            steps=3, lr=0.05)
        return losses, read()[1].detach(), controller
    side_by_side(script)


def test_performer_favor_attention_by_positive_random_features():
    tokens = DATA.normal(size=(2, 6, 8))
    projection = DATA.normal(size=(4, 16))

    def script(torch, copy_weights):
        nn = torch.nn
        to_qkv = nn.Linear(8, 12)
        copy_weights(to_qkv)
        omega = torch.from_numpy(projection)
        x = torch.from_numpy(tokens)

        def features(u):
            u = u / 4 ** 0.25
            return torch.exp(u @ omega - (u ** 2).sum(-1, keepdim=True) / 2) / 16 ** 0.5

        def attend():
            q, k, v = to_qkv(x).chunk(3, dim=-1)
            q_prime, k_prime = features(q), features(k)
            kv = torch.einsum("bnm,bnd->bmd", k_prime, v)
            normaliser = q_prime @ k_prime.sum(dim=1).unsqueeze(-1)
            return torch.einsum("bnm,bmd->bnd", q_prime, kv) / normaliser

        losses = adam_steps(torch, to_qkv, lambda: attend().pow(2).mean(), steps=3, lr=0.01)
        return losses, attend().detach(), to_qkv
    side_by_side(script)


def test_restricted_boltzmann_machine_by_one_step_of_contrastive_divergence():
    visible_data = (DATA.uniform(size=(8, 6)) < 0.4).astype(np.float64)
    hidden_uniforms = DATA.uniform(size=(3, 8, 4))
    visible_uniforms = DATA.uniform(size=(3, 8, 6))
    start = 0.1 * DATA.normal(size=(6, 4))

    def script(torch, copy_weights):
        F = torch.nn.functional
        W = torch.nn.Parameter(torch.from_numpy(start.copy()))
        b_v = torch.nn.Parameter(torch.zeros(6))
        b_h = torch.nn.Parameter(torch.zeros(4))
        optimizer = torch.optim.SGD([W, b_v, b_h], lr=0.1)
        v0 = torch.from_numpy(visible_data)

        def free_energy(v):
            return -(v @ b_v) - F.softplus(v @ W + b_h).sum(dim=-1)

        history = []
        for step in range(3):
            with torch.no_grad():
                p_h = torch.sigmoid(v0 @ W + b_h)
                h = (torch.from_numpy(hidden_uniforms[step]) < p_h).to(v0.dtype)
                p_v = torch.sigmoid(h @ W.T + b_v)
                v1 = (torch.from_numpy(visible_uniforms[step]) < p_v).to(v0.dtype)
            loss = free_energy(v0).mean() - free_energy(v1).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            reconstruction = F.binary_cross_entropy(p_v, v0)
            history.append((loss.item(), reconstruction.item(), v1))
        return history, W, b_v, b_h
    side_by_side(script)


def test_deeponet_branch_and_trunk_joined_by_einsum():
    sensors = np.linspace(0, 1, 10)
    amplitudes = DATA.uniform(0.5, 2.0, size=(4, 1))
    functions = amplitudes * np.sin(np.pi * sensors)                  # u sampled (4, 10)
    queries = np.linspace(0, 1, 7).reshape(-1, 1)
    # G(u)(y) = the antiderivative of u from 0 to y
    solutions = amplitudes * (1 - np.cos(np.pi * queries.T)) / np.pi   # (4, 7)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        branch = nn.Sequential(nn.Linear(10, 16), nn.Tanh(), nn.Linear(16, 8))
        trunk = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 8), nn.Tanh())
        bias = nn.Parameter(torch.zeros(1))
        copy_weights(branch, trunk)
        model = nn.ModuleList([branch, trunk])
        u, y, s = torch.from_numpy(functions), torch.from_numpy(queries), \
            torch.from_numpy(solutions)
        optimizer = torch.optim.Adam(list(model.parameters()) + [bias], lr=0.01)
        losses = []
        for _ in range(3):
            prediction = torch.einsum("bp,qp->bq", branch(u), trunk(y)) + bias
            loss = F.mse_loss(prediction, s)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model, bias
    side_by_side(script)


def test_koopman_autoencoder_rolled_forward_by_a_linear_operator():
    t = np.linspace(0, 4 * np.pi, 12)
    trajectory = np.stack([np.cos(t), np.sin(t), 0.5 * np.cos(2 * t)], axis=1)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        encoder = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 4))
        decoder = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
        koopman = nn.Linear(4, 4, bias=False)
        copy_weights(encoder, decoder, koopman)
        model = nn.ModuleList([encoder, decoder, koopman])
        x = torch.from_numpy(trajectory)

        def loss_of(horizon=3):
            z = encoder(x)
            reconstruction = F.mse_loss(decoder(z), x)
            prediction, latent = 0.0, z[:-horizon]
            for step in range(1, horizon + 1):
                latent = koopman(latent)
                target = x[step:len(x) - horizon + step]
                prediction = prediction + F.mse_loss(decoder(latent), target)
            return reconstruction + prediction / horizon

        losses = adam_steps(torch, model, loss_of, steps=3, lr=0.01)
        return losses, model
    side_by_side(script)


def test_lottery_ticket_round_with_global_magnitude_pruning_and_rewinding():
    inputs = DATA.normal(size=(16, 6))
    targets = DATA.normal(size=(16, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.Linear(6, 12), nn.ReLU(), nn.Linear(12, 2))
        copy_weights(model)
        initial_state = copy.deepcopy(model.state_dict())
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        trained = adam_steps(torch, model, lambda: F.mse_loss(model(x), y), steps=3, lr=0.05)
        weights = [m.weight for m in model if isinstance(m, nn.Linear)]
        magnitudes = torch.cat([w.detach().abs().flatten() for w in weights])
        threshold = torch.quantile(magnitudes, 0.5)
        masks = [(w.detach().abs() > threshold).to(w.dtype) for w in weights]
        model.load_state_dict(initial_state)                      # rewind
        with torch.no_grad():
            for w, mask in zip(weights, masks):
                w.mul_(mask)
        handles = [w.register_hook(lambda g, mask=mask: g * mask)
                   for w, mask in zip(weights, masks)]
        ticket = adam_steps(torch, model, lambda: F.mse_loss(model(x), y), steps=3, lr=0.05)
        for handle in handles:
            handle.remove()
        sparsity = [float((w == 0).to(w.dtype).mean()) for w in weights]
        return trained, ticket, threshold, sparsity, model
    side_by_side(script)


def test_child_sum_tree_lstm_over_a_fixed_tree():
    leaves = DATA.normal(size=(4, 5))
    # node 4 = (0, 1), node 5 = (2, 3), node 6 = (4, 5): children lists in post-order
    children = {4: [0, 1], 5: [2, 3], 6: [4, 5]}
    target = np.array([1])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class ChildSumTreeLSTM(nn.Module):
            def __init__(self, in_dim, hidden):
                super().__init__()
                self.hidden = hidden
                self.ioux = nn.Linear(in_dim, 3 * hidden)
                self.iouh = nn.Linear(hidden, 3 * hidden)
                self.fx = nn.Linear(in_dim, hidden)
                self.fh = nn.Linear(hidden, hidden)

            def node(self, x, child_h, child_c):
                h_sum = child_h.sum(dim=0, keepdim=True)
                iou = self.ioux(x) + self.iouh(h_sum)
                i, o, u = iou.split(self.hidden, dim=1)
                i, o, u = torch.sigmoid(i), torch.sigmoid(o), torch.tanh(u)
                f = torch.sigmoid(self.fh(child_h) + self.fx(x).tile((len(child_h), 1)))
                c = i * u + (f * child_c).sum(dim=0, keepdim=True)
                return o * torch.tanh(c), c

            def forward(self, leaf_inputs):
                zero = torch.zeros(1, self.hidden)
                states = {k: self.node(leaf_inputs[k:k + 1], zero, zero)
                          for k in range(len(leaf_inputs))}
                for parent, kids in children.items():
                    h = torch.cat([states[k][0] for k in kids])
                    c = torch.cat([states[k][1] for k in kids])
                    states[parent] = self.node(torch.zeros(1, leaf_inputs.shape[1]), h, c)
                return states[max(children)][0]

        tree = ChildSumTreeLSTM(5, 6)
        classifier = nn.Linear(6, 3)
        copy_weights(tree, classifier)
        model = nn.ModuleList([tree, classifier])
        x, y = torch.from_numpy(leaves), torch.from_numpy(target)
        losses = adam_steps(torch, model, lambda: F.cross_entropy(classifier(tree(x)), y),
                            steps=3, lr=0.05)
        return losses, model
    side_by_side(script)


def test_relation_network_over_all_pairs_of_objects():
    objects = DATA.normal(size=(3, 4, 5))                # (batch, objects, features)
    questions = DATA.normal(size=(3, 2))
    answers = np.array([0, 2, 1])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        g = nn.Sequential(nn.Linear(2 * 5 + 2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU())
        f = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))
        copy_weights(g, f)
        model = nn.ModuleList([g, f])
        o, q, y = torch.from_numpy(objects), torch.from_numpy(questions), \
            torch.from_numpy(answers)

        def logits():
            b, n, d = o.shape
            first = o.unsqueeze(2).expand(b, n, n, d)
            second = o.unsqueeze(1).expand(b, n, n, d)
            question = q[:, None, None, :].expand(b, n, n, q.shape[-1])
            pairs = torch.cat([first, second, question], dim=-1)
            return f(g(pairs).sum(dim=(1, 2)))

        losses = adam_steps(torch, model, lambda: F.cross_entropy(logits(), y), steps=3,
                            lr=0.01)
        return losses, model
    side_by_side(script)


def test_lovasz_hinge_loss_for_binary_segmentation():
    images = DATA.normal(size=(2, 1, 6, 6))
    masks = (DATA.uniform(size=(2, 6, 6)) < 0.4).astype(np.float64)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 1, 1))
        copy_weights(model)
        x, labels = torch.from_numpy(images), torch.from_numpy(masks)

        def lovasz_grad(gt_sorted):
            gts = gt_sorted.sum()
            intersection = gts - gt_sorted.cumsum(0)
            union = gts + (1 - gt_sorted).cumsum(0)
            jaccard = 1.0 - intersection / union
            jaccard[1:] = jaccard[1:] - jaccard[:-1]
            return jaccard

        def lovasz_hinge_flat(logits, labels):
            signs = 2.0 * labels - 1.0
            errors = 1.0 - logits * signs
            errors_sorted, perm = torch.sort(errors, dim=0, descending=True)
            grad = lovasz_grad(labels[perm])
            return torch.dot(F.relu(errors_sorted), grad)

        def loss_of():
            logits = model(x).squeeze(1)
            per_image = [lovasz_hinge_flat(lg.reshape(-1), lb.reshape(-1))
                         for lg, lb in zip(logits, labels)]
            return torch.stack(per_image).mean()

        losses = adam_steps(torch, model, loss_of, steps=3, lr=0.01)
        return losses, model
    side_by_side(script)
