"""Sixteenth-round PyTorch scripts (see test_torch_scripts_sixteenth.py for how they
run), models and linear algebra: a siamese network trained by a contrastive loss over
``nn.PairwiseDistance`` with ``nn.CosineSimilarity`` and ``nn.CosineEmbeddingLoss``, PCA
by ``torch.linalg.svd(full_matrices=False)`` with scikit-learn's sign flip and explained
variance, least squares by ``torch.linalg.lstsq`` against ``torch.linalg.pinv``, ZCA
whitening by ``torch.linalg.eigh``, a NeRF-style positional encoding of a
``torch.meshgrid(indexing="ij")`` grid fitted by a coordinate MLP, vertex normals of a
mesh by ``torch.cross`` and ``index_add_`` with a Laplacian smoothing loss, and an
evidential classification loss by ``torch.digamma`` and ``torch.lgamma``."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(161616)


def test_siamese_network_with_pairwise_distance_and_cosine_losses():
    left, right = DATA.normal(size=(4, 6, 5)), DATA.normal(size=(4, 6, 5))
    same = DATA.integers(0, 2, size=(4, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class SiameseNetwork(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 4))

            def forward(self, input1, input2):
                return self.embed(input1), self.embed(input2)

        class ContrastiveLoss(nn.Module):
            def __init__(self, margin=2.0):
                super().__init__()
                self.margin = margin
                self.distance = nn.PairwiseDistance(p=2)

            def forward(self, output1, output2, label):
                d = self.distance(output1, output2)
                return torch.mean((1 - label) * torch.pow(d, 2)
                                  + label * torch.pow(torch.clamp(self.margin - d, min=0.0), 2))

        net = SiameseNetwork()
        copy_weights(net)
        criterion, cosine = ContrastiveLoss(), nn.CosineSimilarity(dim=1, eps=1e-6)
        embedding_loss = nn.CosineEmbeddingLoss(margin=0.2)
        optimizer = torch.optim.Adam(net.parameters(), lr=5e-3)
        losses = []
        for a, b, label in zip(left, right, same):
            out1, out2 = net(torch.from_numpy(a), torch.from_numpy(b))
            label = torch.from_numpy(label).double()
            loss = criterion(out1, out2, label) + embedding_loss(out1, out2, 1 - 2 * label)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            out1, out2 = net(torch.from_numpy(left[0]), torch.from_numpy(right[0]))
            similarity = cosine(out1, out2)
        return losses, similarity, F.pairwise_distance(out1, out2, p=1.0), net
    side_by_side(script)


def test_pca_by_reduced_svd_with_sign_flip_and_explained_variance():
    points = DATA.normal(size=(20, 5)) @ DATA.normal(size=(5, 5))

    def script(torch, copy_weights):
        X = torch.tensor(points, requires_grad=True)
        n_components = 3
        mean = X.mean(dim=0, keepdim=True)
        centered = X - mean
        U, S, Vh = torch.linalg.svd(centered, full_matrices=False)
        # scikit-learn's svd_flip: the largest loading of each component made positive
        max_abs_rows = torch.argmax(torch.abs(U), dim=0)
        signs = torch.sign(U[max_abs_rows, range(U.shape[1])])
        U, Vh = U * signs, Vh * signs[:, None]
        components = Vh[:n_components]
        explained_variance = S ** 2 / (X.shape[0] - 1)
        ratio = explained_variance / explained_variance.sum()
        projected = centered @ components.T
        reconstruction = projected @ components + mean
        loss = (reconstruction - X).pow(2).sum() + ratio[:n_components].sum()
        loss.backward()
        return components, ratio, projected, loss, X.grad
    side_by_side(script)


def test_least_squares_by_lstsq_against_pinv():
    design = DATA.normal(size=(15, 4))
    response = DATA.normal(size=(15, 2))

    def script(torch, copy_weights):
        A = torch.tensor(design, requires_grad=True)
        B = torch.tensor(response, requires_grad=True)
        solution = torch.linalg.lstsq(A, B).solution
        by_pinv = torch.linalg.pinv(A) @ B
        ones = torch.ones(A.shape[0], 1, dtype=A.dtype)
        with_intercept = torch.linalg.lstsq(torch.cat([ones, A], dim=1), B).solution
        residual = (A @ solution - B).pow(2).sum()
        (residual + solution.pow(2).sum() + by_pinv.sum()).backward()
        return solution, by_pinv, with_intercept, residual, A.grad, B.grad
    side_by_side(script)


def test_zca_whitening_by_eigh():
    patches = DATA.normal(size=(40, 4)) @ np.array([[2.0, 0.3, 0.0, 0.1], [0.0, 1.0, 0.5, 0.0],
                                                     [0.0, 0.0, 0.7, 0.2], [0.0, 0.0, 0.0, 0.4]])

    def script(torch, copy_weights):
        X = torch.tensor(patches, requires_grad=True)
        epsilon = 1e-5
        centered = X - X.mean(dim=0)
        cov = centered.T @ centered / (X.shape[0] - 1)
        eigenvalues, eigenvectors = torch.linalg.eigh(cov)
        zca = eigenvectors @ torch.diag(1.0 / torch.sqrt(eigenvalues + epsilon)) @ eigenvectors.T
        white = centered @ zca
        white_cov = white.T @ white / (X.shape[0] - 1)
        identity = torch.eye(4, dtype=X.dtype)
        loss = white[:, 0].pow(3).sum() + (white_cov - identity).abs().sum()
        loss.backward()
        return eigenvalues, white, white_cov, X.grad
    side_by_side(script)


def test_nerf_positional_encoding_of_a_meshgrid_fitted_by_a_coordinate_mlp():
    image = DATA.uniform(size=(6, 5, 3))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        def positional_encoding(x, num_frequencies=3):
            frequencies = 2.0 ** torch.arange(num_frequencies, dtype=x.dtype) * torch.pi
            angles = x[..., None] * frequencies
            encoded = torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)
            return torch.cat([x, encoded.flatten(start_dim=-2)], dim=-1)

        ys = torch.linspace(-1, 1, 6)
        xs = torch.linspace(-1, 1, 5)
        grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
        coords = torch.stack([grid_x, grid_y], dim=-1).reshape(-1, 2)
        features = positional_encoding(coords)
        model = nn.Sequential(nn.Linear(features.shape[-1], 16), nn.ReLU(),
                              nn.Linear(16, 3), nn.Sigmoid())
        copy_weights(model)
        target = torch.from_numpy(image).reshape(-1, 3)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        psnrs = []
        for _ in range(5):
            loss = F.mse_loss(model(features), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            psnrs.append((-10.0 * torch.log10(loss)).item())
        return features, psnrs, model(features).reshape(6, 5, 3), model
    side_by_side(script)


def test_vertex_normals_by_cross_and_index_add_with_laplacian_smoothing():
    vertices = DATA.normal(size=(6, 3))
    faces = np.array([[0, 1, 2], [0, 2, 3], [0, 3, 4], [0, 4, 5], [0, 5, 1]])
    edges = np.array([[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 1], [0, 2], [0, 3],
                      [0, 4], [0, 5]])

    def script(torch, copy_weights):
        F = torch.nn.functional
        verts = torch.tensor(vertices, requires_grad=True)
        faces_t, edges_t = torch.from_numpy(faces), torch.from_numpy(edges)
        v0, v1, v2 = verts[faces_t[:, 0]], verts[faces_t[:, 1]], verts[faces_t[:, 2]]
        face_normals = torch.cross(v1 - v0, v2 - v0, dim=-1)
        areas = 0.5 * face_normals.norm(dim=-1)
        vertex_normals = torch.zeros_like(verts)
        for corner in range(3):
            vertex_normals = vertex_normals.index_add(0, faces_t[:, corner], face_normals)
        vertex_normals = F.normalize(vertex_normals, dim=-1, eps=1e-6)
        neighbours_sum = torch.zeros_like(verts).index_add_(0, edges_t[:, 0], verts[edges_t[:, 1]])
        neighbours_sum = neighbours_sum.index_add_(0, edges_t[:, 1], verts[edges_t[:, 0]])
        degree = torch.zeros(verts.shape[0], dtype=verts.dtype).index_add_(
            0, edges_t.flatten(), torch.ones(edges_t.numel(), dtype=verts.dtype))
        laplacian = verts - neighbours_sum / degree[:, None]
        loss = laplacian.norm(dim=1).mean() + areas.sum() + vertex_normals[:, 2].sum()
        loss.backward()
        return face_normals, vertex_normals, degree, loss, verts.grad
    side_by_side(script)


def test_evidential_classification_loss_by_digamma_and_lgamma():
    inputs, labels = DATA.normal(size=(4, 10, 5)), DATA.integers(0, 3, size=(4, 10))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        def kl_divergence(alpha, num_classes):
            ones = torch.ones([1, num_classes], dtype=alpha.dtype)
            sum_alpha = torch.sum(alpha, dim=1, keepdim=True)
            first_term = (torch.lgamma(sum_alpha) - torch.lgamma(alpha).sum(dim=1, keepdim=True)
                          + torch.lgamma(ones).sum(dim=1, keepdim=True)
                          - torch.lgamma(ones.sum(dim=1, keepdim=True)))
            second_term = ((alpha - ones).mul(torch.digamma(alpha) - torch.digamma(sum_alpha))
                           .sum(dim=1, keepdim=True))
            return first_term + second_term

        def edl_digamma_loss(output, target, epoch, num_classes=3, annealing_step=4):
            evidence = F.softplus(output)
            alpha = evidence + 1
            y = F.one_hot(target, num_classes).to(alpha.dtype)
            S = torch.sum(alpha, dim=1, keepdim=True)
            A = torch.sum(y * (torch.digamma(S) - torch.digamma(alpha)), dim=1, keepdim=True)
            # (the original's torch.min of two tensors is refused here, NumPy's min
            # reading a second argument as the axis: minimum says it)
            annealing = torch.minimum(torch.tensor(1.0, dtype=alpha.dtype),
                                      torch.tensor(epoch / annealing_step, dtype=alpha.dtype))
            kl_alpha = (alpha - 1) * (1 - y) + 1
            return torch.mean(A + annealing * kl_divergence(kl_alpha, num_classes))

        model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        losses = []
        for epoch, (x, y) in enumerate(zip(inputs, labels)):
            loss = edl_digamma_loss(model(torch.from_numpy(x)), torch.from_numpy(y), epoch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            alpha = F.softplus(model(torch.from_numpy(inputs[0]))) + 1
            uncertainty = 3 / alpha.sum(dim=1)
        return losses, uncertainty, model
    side_by_side(script)
