"""The ninth round of PyTorch scripts (pytorch.org's tutorials and docs examples as
written, run with PyTorch and with ``autodiff`` from the same weights, compared to
1e-10 in float64): the ``nn.Module`` docs (``apply`` of a ``@torch.no_grad()``
initialiser, ``named_modules`` of a shared layer, ``register_buffer``,
``get_submodule``), the ``torch.optim`` docs (per-parameter options, ``step(closure)``,
two schedulers stepped in turn), the "Parametrizations" tutorial (``Symmetric``,
``Skew``, ``CayleyMap``, ``MatrixExponential``, ``right_inverse``, ``cached``,
``remove_parametrizations``), the "Warmstarting a model" recipe (``strict=False``) and
the ``swa_utils`` docs example."""

from __future__ import annotations

import io

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(96)


def test_module_docs_apply_named_modules_buffers_and_get_submodule():
    inputs = DATA.normal(size=(3, 1, 8, 8))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class Model(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.conv1 = nn.Conv2d(1, 4, 3)
                self.conv2 = nn.Conv2d(4, 4, 3)
                self.register_buffer('running_mean', torch.zeros(4))

            def forward(self, x):
                x = F.relu(self.conv1(x))
                out = F.relu(self.conv2(x))
                with torch.no_grad():
                    self.running_mean.mul_(0.9).add_(out.mean((0, 2, 3)), alpha=0.1)
                return out

        model = Model()
        copy_weights(model)
        seen = []

        @torch.no_grad()
        def init_weights(m):
            seen.append(type(m).__name__)
            if type(m) == nn.Linear:     # noqa: E721 (the docs' comparison)
                m.weight.fill_(1.0)

        net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
        net.apply(init_weights)
        l = nn.Linear(2, 2)                         # noqa: E741 (the docs' name)
        shared = nn.Sequential(l, l)
        named = [(idx, m[0], type(m[1]).__name__)
                 for idx, m in enumerate(shared.named_modules())]
        outer = nn.Sequential()
        outer.add_module("net_b", nn.Sequential())
        outer.net_b.add_module("linear", nn.Linear(3, 2))
        found = type(outer.get_submodule("net_b.linear")).__name__
        parameter_shape = outer.get_parameter("net_b.linear.bias").shape
        out = model(torch.from_numpy(inputs))
        buffers = [name for name, _ in model.named_buffers()]
        keys = list(model.state_dict().keys())
        model.requires_grad_(False)
        frozen = [p.requires_grad for p in model.parameters()]
        children = [type(c).__name__ for c in model.children()]
        return (seen, net[0].weight.sum(), named, found, tuple(parameter_shape), out,
                model.running_mean, buffers, keys, frozen, children, model.training)
    side_by_side(script)


def test_optim_docs_per_parameter_options_closure_and_two_schedulers_in_turn():
    inputs = DATA.normal(size=(4, 6, 3))
    targets = DATA.normal(size=(4, 6, 2))

    def script(torch, copy_weights):
        nn, optim = torch.nn, torch.optim
        from_numpy = torch.from_numpy

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.base = nn.Sequential(nn.Linear(3, 8), nn.Tanh())
                self.classifier = nn.Linear(8, 2)

            def forward(self, x):
                return self.classifier(self.base(x))

        model = Net()
        copy_weights(model)
        optimizer = optim.SGD([
            {'params': model.base.parameters(), 'lr': 1e-2},
            {'params': model.classifier.parameters()}
        ], lr=1e-3, momentum=0.9)
        loss_fn = nn.MSELoss()
        scheduler1 = optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
        scheduler2 = optim.lr_scheduler.MultiStepLR(optimizer, milestones=[1, 3], gamma=0.1)
        losses, lrs = [], []
        for epoch in range(4):
            for input, target in zip(from_numpy(inputs[epoch]), from_numpy(targets[epoch])):
                optimizer.zero_grad()
                output = model(input)
                loss = loss_fn(output, target)
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            scheduler1.step()
            scheduler2.step()
            lrs.append([group['lr'] for group in optimizer.param_groups])
        lbfgs_model = nn.Linear(3, 2)
        copy_weights(lbfgs_model)
        lbfgs = optim.LBFGS(lbfgs_model.parameters(), lr=0.5, max_iter=5)
        closure_losses = []
        for input, target in zip(from_numpy(inputs[:2]), from_numpy(targets[:2])):
            def closure():
                lbfgs.zero_grad()
                output = lbfgs_model(input)
                loss = loss_fn(output, target)
                loss.backward()
                return loss
            closure_losses.append(lbfgs.step(closure).item())
        return losses, lrs, model, closure_losses, lbfgs_model
    side_by_side(script)


def test_parametrizations_tutorial_on_layers_laid_out_as_torchs():
    batch = DATA.normal(size=(2, 5, 6, 6))

    def script(torch, copy_weights):
        nn = torch.nn
        parametrize = torch.nn.utils.parametrize

        class Symmetric(nn.Module):
            def forward(self, X):
                return X.triu() + X.triu(1).transpose(-1, -2)

            def right_inverse(self, A):
                return A.triu()

        class Skew(nn.Module):
            def forward(self, X):
                A = X.triu(1)
                return A - A.transpose(-1, -2)

        class CayleyMap(nn.Module):
            def __init__(self, n):
                super().__init__()
                self.register_buffer("Id", torch.eye(n))

            def forward(self, X):
                # (I + X)(I - X)^{-1}
                return torch.linalg.solve(self.Id - X, self.Id + X)

        class MatrixExponential(nn.Module):
            def forward(self, X):
                return torch.matrix_exp(X)

        # (the tutorial's nn.Linear(3, 3): a Linear weight here is (in, out), the
        # transpose of PyTorch's, and triu reads that layout; a convolution's kernels are
        # laid out as PyTorch's)
        cnn = nn.Conv2d(in_channels=5, out_channels=8, kernel_size=3)
        copy_weights(cnn)
        parametrize.register_parametrization(cnn, "weight", Skew())
        kernels = cnn.weight[0, 1]
        skew = torch.allclose(cnn.weight, -cnn.weight.transpose(-1, -2))
        original = cnn.parametrizations.weight.original
        class_name = type(cnn).__name__
        optimizer = torch.optim.SGD(cnn.parameters(), lr=0.1)
        losses = []
        x = torch.from_numpy(batch)
        for _ in range(3):
            with parametrize.cached():
                loss = cnn(x).pow(2).mean() + cnn.weight.pow(2).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        kernel = nn.Conv2d(2, 2, 3, bias=False)
        copy_weights(kernel)
        parametrize.register_parametrization(kernel, "weight", Skew())
        parametrize.register_parametrization(kernel, "weight", CayleyMap(3))
        X = kernel.weight
        orthogonal = [torch.dist(X[i, j].T @ X[i, j], torch.eye(3)).item() < 1e-12
                      for i in range(2) for j in range(2)]
        exponential = nn.Conv2d(2, 2, 3, bias=False)
        copy_weights(exponential)
        parametrize.register_parametrization(exponential, "weight", Skew())
        parametrize.register_parametrization(exponential, "weight", MatrixExponential())
        symmetric = nn.Conv2d(1, 1, 3, bias=False)
        parametrize.register_parametrization(symmetric, "weight", Symmetric())
        A = torch.tensor([[[[1.0, 2.0, 3.0], [2.0, 4.0, 5.0], [3.0, 5.0, 6.0]]]])
        symmetric.weight = A
        assigned_original = symmetric.parametrizations.weight.original
        parametrize.remove_parametrizations(cnn, "weight")
        return (kernels, skew, original, class_name, losses, X, orthogonal,
                exponential.weight, assigned_original, symmetric.weight,
                parametrize.is_parametrized(cnn), type(cnn).__name__, cnn.weight)
    side_by_side(script)


def test_warmstarting_a_model_from_another_with_strict_false():
    inputs = DATA.normal(size=(5, 4))

    def script(torch, copy_weights):
        nn = torch.nn

        class NetA(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(4, 6)
                self.fc2 = nn.Linear(6, 3)

            def forward(self, x):
                return self.fc2(torch.relu(self.fc1(x)))

        class NetB(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(4, 6)
                self.head = nn.Linear(6, 2)

            def forward(self, x):
                return self.head(torch.relu(self.fc1(x)))

        netA = NetA()
        netB = NetB()
        copy_weights(netA, netB)
        PATH = io.BytesIO()
        torch.save(netA.state_dict(), PATH)
        PATH.seek(0)
        result = netB.load_state_dict(torch.load(PATH, weights_only=True), strict=False)
        missing, unexpected = sorted(result.missing_keys), sorted(result.unexpected_keys)
        same_fc1 = torch.allclose(netA.fc1.weight, netB.fc1.weight)
        return missing, unexpected, same_fc1, netB(torch.from_numpy(inputs)), netB
    side_by_side(script)


def test_swa_utils_docs_example_with_swalr_after_a_cosine_schedule_and_update_bn():
    images = DATA.normal(size=(4, 6, 3))

    def script(torch, copy_weights):
        nn, optim = torch.nn, torch.optim
        AveragedModel, SWALR = optim.swa_utils.AveragedModel, optim.swa_utils.SWALR
        loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.from_numpy(images.reshape(24, 3))),
            batch_size=6)
        model = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 1))
        copy_weights(model)
        loss_fn = nn.MSELoss()
        optimizer = optim.SGD(model.parameters(), lr=0.1)
        swa_model = AveragedModel(model)
        scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
        swa_start = 2
        swa_scheduler = SWALR(optimizer, swa_lr=0.05)
        losses, lrs = [], []
        for epoch in range(5):
            for (input,) in loader:
                optimizer.zero_grad()
                loss = loss_fn(model(input), input.sum(1, keepdim=True))
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            if epoch > swa_start:
                swa_model.update_parameters(model)
                swa_scheduler.step()
            else:
                scheduler.step()
            lrs.append(optimizer.param_groups[0]['lr'])
        # Update bn statistics for the swa_model at the end
        torch.optim.swa_utils.update_bn(
            (batch for (batch,) in loader), swa_model)
        swa_model.eval()
        preds = swa_model(torch.from_numpy(images[0]))
        return losses, lrs, preds, swa_model.n_averaged, swa_model.module
    side_by_side(script)
