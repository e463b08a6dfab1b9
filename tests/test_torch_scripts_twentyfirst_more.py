"""More of the twenty-first round's scripts (see test_torch_scripts_twentyfirst.py for
how they run): feature hashing of categorical ids by ``torch.bitwise_xor`` /
``bitwise_and`` / ``bitwise_left_shift`` into an ``nn.EmbeddingBag``, a temporal
convolution network with ``nn.Dropout1d`` evaluated, geolocation regression by a
haversine loss (``torch.deg2rad``, ``torch.rad2deg``), a causal mask kept by
``nn.Buffer(persistent=False)`` (absent from ``state_dict``), repeated Jacobian-vector
products by ``torch.func.linearize``, an equality-constrained least-squares problem
solved through its KKT system by ``torch.linalg.ldl_factor`` / ``ldl_solve``, a
multilinear map inverted by ``torch.linalg.tensorsolve`` and ``tensorinv``, branches
by ``torch.cond`` and an iteration by ``torch.while_loop`` in eager mode,
gradient ascent by an optimizer's ``maximize=True``, and fine-tuning of a
``Sequential`` built from an ``OrderedDict`` (its head replaced by name, its backbone
frozen by ``requires_grad_(False)``, the optimizer given
``filter(lambda p: p.requires_grad, ...)``), co-training with an entropy regulariser
(``torch.special.entr``) and the two views' disagreement by ``torch.logical_xor``, a
von Mises concentration by Newton steps on ``torch.special.i1e`` / ``i0e``, and an
autocorrelation by ``torch.fft.ihfft`` / ``hfft`` beside probabilities kept inside
(0, 1) by ``torch.nextafter``."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import adam_steps, side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2321)


def test_feature_hashing_by_bitwise_ops_into_an_embedding_bag():
    user_ids = DATA.integers(0, 10_000, size=12)
    item_ids = DATA.integers(0, 10_000, size=12)
    clicks = DATA.integers(0, 2, size=12).astype(np.float64)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        buckets = 64
        users, items = torch.from_numpy(user_ids), torch.from_numpy(item_ids)
        cross = torch.bitwise_xor(torch.bitwise_left_shift(users, 3), items)
        hashed = torch.stack([torch.bitwise_and(users, buckets - 1),
                              torch.bitwise_and(items, buckets - 1),
                              torch.bitwise_and(cross * 2654435761, buckets - 1)], dim=1)
        bag = nn.EmbeddingBag(buckets, 4, mode="sum")
        out = nn.Linear(4, 1)
        copy_weights(bag, out)
        optimizer = torch.optim.Adam(list(bag.parameters()) + list(out.parameters()), lr=0.05)
        y = torch.from_numpy(clicks)
        losses = []
        for _ in range(3):
            logits = out(bag(hashed)).squeeze(1)
            loss = F.binary_cross_entropy_with_logits(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, hashed, bag, out
    side_by_side(script)


def test_temporal_convolution_network_with_dropout1d_evaluated():
    series = DATA.normal(size=(3, 2, 16))
    targets = DATA.normal(size=(3, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class TCNBlock(nn.Module):
            def __init__(self, channels, dilation):
                super().__init__()
                self.pad = (3 - 1) * dilation
                self.conv = nn.Conv1d(channels, channels, 3, dilation=dilation)
                self.drop = nn.Dropout1d(0.3)

            def forward(self, x):
                return x + self.drop(F.relu(self.conv(F.pad(x, (self.pad, 0)))))

        model = nn.Sequential(nn.Conv1d(2, 4, 1), TCNBlock(4, 1), TCNBlock(4, 2),
                              nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(4, 1))
        copy_weights(model)
        model.eval()
        x, y = torch.from_numpy(series), torch.from_numpy(targets)
        losses = adam_steps(torch, model, lambda: F.mse_loss(model(x), y), steps=3, lr=0.01)
        return losses, model, F.dropout1d(x, p=0.5, training=False)
    side_by_side(script)


def test_geolocation_regression_by_a_haversine_loss():
    features = DATA.normal(size=(10, 3))
    coordinates = np.stack([DATA.uniform(-60, 60, 10), DATA.uniform(-180, 180, 10)], 1)

    def script(torch, copy_weights):
        head = torch.nn.Linear(3, 2)
        copy_weights(head)
        optimizer = torch.optim.SGD(head.parameters(), lr=0.05)
        x, target = torch.from_numpy(features), torch.from_numpy(coordinates)

        def haversine(pred_rad, true_deg):
            lat1, lon1 = pred_rad.unbind(-1)
            lat2, lon2 = torch.deg2rad(true_deg).unbind(-1)
            a = torch.sin((lat2 - lat1) / 2) ** 2 \
                + torch.cos(lat1) * torch.cos(lat2) * torch.sin((lon2 - lon1) / 2) ** 2
            return 2 * 6371.0 * torch.asin(torch.sqrt(a.clamp(1e-12, 1.0)))

        history = []
        for _ in range(3):
            raw = head(x)
            pred = torch.stack([torch.tanh(raw[:, 0]) * np.pi / 2,
                                torch.tanh(raw[:, 1]) * np.pi], dim=1)
            loss = haversine(pred, target).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), torch.rad2deg(pred).detach()))
        return history, head
    side_by_side(script)


def test_causal_mask_kept_by_a_non_persistent_buffer():
    tokens = DATA.normal(size=(2, 5, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class CausalSelfAttention(nn.Module):
            def __init__(self, dim, length):
                super().__init__()
                self.qkv = nn.Linear(dim, 3 * dim)
                self.mask = nn.Buffer(torch.tril(torch.ones(length, length)).bool(),
                                      persistent=False)
                self.steps = nn.Buffer(torch.zeros(()))

            def forward(self, x):
                q, k, v = self.qkv(x).chunk(3, dim=-1)
                scores = q @ k.transpose(-2, -1) / np.sqrt(x.shape[-1])
                scores = scores.masked_fill(~self.mask[:x.shape[1], :x.shape[1]],
                                            float("-inf"))
                self.steps += 1
                return F.softmax(scores, dim=-1) @ v

        model = CausalSelfAttention(4, 8)
        copy_weights(model)
        x = torch.from_numpy(tokens)
        losses = adam_steps(torch, model, lambda: model(x).pow(2).mean(), steps=3, lr=0.01)
        keys = sorted(model.state_dict())
        buffers = sorted(name for name, _ in model.named_buffers())
        return losses, model, keys, buffers, model.steps
    side_by_side(script)


def test_repeated_jacobian_vector_products_by_linearize():
    point = DATA.normal(size=4)
    directions = DATA.normal(size=(3, 4))
    weights = DATA.normal(size=(3, 4))

    def script(torch, copy_weights):
        W = torch.from_numpy(weights)

        def f(x):
            return torch.tanh(W @ x) * x[:3]

        value, jvp_fn = torch.func.linearize(f, torch.from_numpy(point))
        products = [jvp_fn(torch.from_numpy(d)) for d in directions]
        jacobian = torch.func.jacfwd(f)(torch.from_numpy(point))
        return value, products, jacobian @ torch.from_numpy(directions).T
    side_by_side(script)


def test_equality_constrained_least_squares_through_ldl_factor_and_ldl_solve():
    design = DATA.normal(size=(12, 4))
    targets = DATA.normal(size=12)
    constraint = np.array([[1.0, 1.0, 1.0, 1.0]])

    def script(torch, copy_weights):
        A, b, C = torch.from_numpy(design), torch.from_numpy(targets), \
            torch.from_numpy(constraint)
        kkt = torch.cat([torch.cat([A.T @ A, C.T], dim=1),
                         torch.cat([C, torch.zeros(1, 1)], dim=1)], dim=0)
        rhs = torch.cat([A.T @ b, torch.ones(1)]).unsqueeze(1)
        LD, pivots = torch.linalg.ldl_factor(kkt)
        solution = torch.linalg.ldl_solve(LD, pivots, rhs).squeeze(1)
        x, multiplier = solution[:4], solution[4]
        return x, multiplier, x.sum(), torch.linalg.solve(kkt, rhs).squeeze(1)
    side_by_side(script)


def test_multilinear_map_inverted_by_tensorsolve_and_tensorinv():
    operator = DATA.normal(size=(2, 3, 6)) + np.eye(6).reshape(2, 3, 6)
    rhs = DATA.normal(size=(2, 3))

    def script(torch, copy_weights):
        A = torch.tensor(operator, requires_grad=True)
        B = torch.from_numpy(rhs)
        X = torch.linalg.tensorsolve(A, B)
        inverse = torch.linalg.tensorinv(A.reshape(6, 2, 3), ind=1)
        loss = X.pow(2).sum() + inverse.pow(2).sum()
        loss.backward()
        return X, inverse, A.grad
    side_by_side(script)


def test_branches_by_cond_and_an_iteration_by_while_loop_in_eager_mode():
    inputs = DATA.normal(size=(6, 3))

    def script(torch, copy_weights):
        layer = torch.nn.Linear(3, 3)
        copy_weights(layer)
        x = torch.from_numpy(inputs)

        def positive_branch(h):
            return h.sin()

        def negative_branch(h):
            return h.cos() * 2

        results = []
        for row in x:
            h = layer(row)
            results.append(torch.cond(h.sum() > 0, positive_branch, negative_branch, (h,)))
        loss = torch.stack(results).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            target = torch.tensor(10.0)
            _, root = torch.while_loop(
                lambda i, r: i < 6,
                lambda i, r: (i + 1, 0.5 * (r + target / r)),
                (torch.tensor(0), torch.tensor(1.0)))
        return loss.item(), layer.bias.grad, root
    side_by_side(script)


def test_gradient_ascent_on_a_log_likelihood_by_maximize():
    counts = DATA.poisson(3.0, size=20).astype(np.float64)

    def script(torch, copy_weights):
        log_rate = torch.zeros(1, requires_grad=True)
        optimizer = torch.optim.Adam([log_rate], lr=0.1, maximize=True)
        k = torch.from_numpy(counts)
        history = []
        for _ in range(4):
            log_likelihood = torch.distributions.Poisson(log_rate.exp()).log_prob(k).mean()
            optimizer.zero_grad()
            log_likelihood.backward()
            optimizer.step()
            history.append(log_likelihood.item())
        return history, log_rate
    side_by_side(script)


def test_fine_tuning_a_named_sequential_with_a_new_head_and_a_frozen_backbone():
    images = DATA.normal(size=(4, 1, 6, 6))
    labels = np.array([0, 1, 1, 0])

    def script(torch, copy_weights):
        from collections import OrderedDict
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(OrderedDict([
            ("features", nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(),
                                       nn.AdaptiveAvgPool2d(1), nn.Flatten())),
            ("classifier", nn.Linear(4, 10))]))
        model.classifier = nn.Linear(model.classifier.in_features, 2)
        model.features.requires_grad_(False)
        copy_weights(model)
        trainable = filter(lambda p: p.requires_grad, model.parameters())
        optimizer = torch.optim.SGD(trainable, lr=0.1, momentum=0.9)
        x, y = torch.from_numpy(images), torch.from_numpy(labels)
        losses = []
        for _ in range(3):
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        frozen = [p.grad is None for p in model.features.parameters()]
        return losses, model, frozen
    side_by_side(script)


def test_co_training_with_an_entropy_regulariser_and_disagreement_by_logical_xor():
    inputs = DATA.normal(size=(12, 4))
    labels = DATA.integers(0, 2, size=12)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        first, second = nn.Linear(4, 2), nn.Linear(2, 2)
        copy_weights(first, second)
        view_a, view_b = torch.from_numpy(inputs[:, :4]), torch.from_numpy(inputs[:, 2:])
        optimizer = torch.optim.SGD(list(first.parameters()) + list(second.parameters()),
                                    lr=0.1)
        y = torch.from_numpy(labels)
        history = []
        for _ in range(3):
            p, q = F.softmax(first(view_a), -1), F.softmax(second(view_b), -1)
            disagree = torch.logical_xor(p.argmax(-1) == 1, q.argmax(-1) == 1)
            entropy = torch.special.entr(p).sum(-1).mean() + torch.special.entr(q).sum(-1).mean()
            agreement = ((p - q) ** 2).sum(-1)[disagree].sum()
            loss = F.nll_loss(torch.log(p), y) + F.nll_loss(torch.log(q), y) \
                + 0.1 * entropy + 0.5 * agreement
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), disagree, torch.diagflat(p[0]).detach()))
        return history, first, second
    side_by_side(script)


def test_von_mises_concentration_by_newton_steps_on_a_bessel_ratio():
    directions = DATA.normal(size=(30, 2)) + np.array([3.0, 0.0])
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)

    def script(torch, copy_weights):
        x = torch.from_numpy(directions)                     # unit vectors on the circle
        r_bar = x.mean(dim=0).norm()
        kappa = r_bar * (2 - r_bar ** 2) / (1 - r_bar ** 2)   # Banerjee et al.'s start
        history = [kappa]
        for _ in range(3):
            # the maximum-likelihood kappa solves A(kappa) = r_bar, A = I1 / I0 (the
            # scaled i1e / i0e keep the ratio finite), with A' = 1 - A**2 - A / kappa
            ratio = torch.special.i1e(kappa) / torch.special.i0e(kappa)
            derivative = 1 - ratio ** 2 - ratio / kappa
            kappa = kappa - (ratio - r_bar) / derivative
            history.append(kappa)
        return history, r_bar
    side_by_side(script)


def test_autocorrelation_by_hermitian_ffts_and_probabilities_kept_inside_by_nextafter():
    signal = np.sin(np.linspace(0, 6 * np.pi, 16)) + 0.3 * DATA.normal(size=16)
    raw = DATA.normal(size=8) * 30

    def script(torch, copy_weights):
        x = torch.tensor(signal, requires_grad=True)
        spectrum = torch.fft.ihfft(x)                          # one-sided, length 9
        autocorrelation = torch.fft.hfft(spectrum * spectrum.conj(), n=16)
        loss = autocorrelation[1:4].sum()
        loss.backward()
        zero, one = torch.tensor(0.0), torch.tensor(1.0)
        p = torch.sigmoid(torch.from_numpy(raw))
        inside = p.clamp(torch.nextafter(zero, one), torch.nextafter(one, zero))
        return autocorrelation, x.grad, inside, torch.log(inside), torch.log1p(-inside)
    side_by_side(script)
