"""The ninth round of PyTorch scripts (pytorch.org's tutorials as written, run with
PyTorch and with ``autodiff`` from the same weights, compared to 1e-10 in float64):
"What is torch.nn really?" end to end, from hand-written weights with
``requires_grad_()`` and an update under ``torch.no_grad()`` through ``nn.Module``,
``nn.Parameter``, ``nn.Linear``, ``optim``, ``TensorDataset``/``DataLoader``, ``fit()``
with ``get_data``, a CNN, ``nn.Sequential`` with a ``Lambda`` layer,
``nn.AdaptiveAvgPool2d`` and a ``WrappedDataLoader``.  The MNIST images are synthetic
8x8 ones; the loaders do not shuffle (the two libraries' shuffles draw differently)."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(93)
X_TRAIN = DATA.uniform(size=(40, 64))
Y_TRAIN = DATA.integers(0, 10, size=40)
X_VALID = DATA.uniform(size=(16, 64))
Y_VALID = DATA.integers(0, 10, size=16)
INITIAL_WEIGHTS = DATA.normal(size=(64, 10))


def test_neural_net_from_scratch_with_requires_grad_and_no_grad_updates():
    def script(torch, copy_weights):
        x_train, y_train, x_valid, y_valid = map(
            torch.tensor, (X_TRAIN, Y_TRAIN, X_VALID, Y_VALID))
        n, c = x_train.shape
        extremes = (x_train.min().item(), x_train.max().item(), y_train.min().item(),
                    y_train.max().item())
        weights = torch.from_numpy(INITIAL_WEIGHTS.copy()) / math.sqrt(64)
        weights.requires_grad_()
        bias = torch.zeros(10, requires_grad=True)

        def log_softmax(x):
            return x - x.exp().sum(-1).log().unsqueeze(-1)

        def model(xb):
            return log_softmax(xb @ weights + bias)

        bs = 16
        xb = x_train[0:bs]
        preds = model(xb)
        first_pred = preds[0]

        def nll(input, target):
            return -input[range(target.shape[0]), target].mean()

        loss_func = nll
        yb = y_train[0:bs]
        first_loss = loss_func(preds, yb).item()

        def accuracy(out, yb):
            preds = torch.argmax(out, dim=1)
            return (preds == yb).float().mean()

        first_accuracy = accuracy(preds, yb).item()
        lr = 0.5
        epochs = 2
        losses = []
        for epoch in range(epochs):
            for i in range((n - 1) // bs + 1):
                start_i = i * bs
                end_i = start_i + bs
                xb = x_train[start_i:end_i]
                yb = y_train[start_i:end_i]
                pred = model(xb)
                loss = loss_func(pred, yb)
                loss.backward()
                with torch.no_grad():
                    weights -= weights.grad * lr
                    bias -= bias.grad * lr
                    weights.grad = None     # (the tutorial's weights.grad.zero_(): .grad is
                    bias.grad = None        #  an ndarray here, which has no zero_())
                losses.append(loss.item())
        F = torch.nn.functional
        built_in = F.cross_entropy(xb @ weights + bias, yb)
        by_hand = nll(model(xb), yb)
        return (c, extremes, first_pred, first_loss, first_accuracy, losses, weights, bias,
                built_in, by_hand, accuracy(model(x_valid), y_valid))
    side_by_side(script)


def test_refactoring_with_module_parameter_linear_and_optim():
    def script(torch, copy_weights):
        nn, F, optim = torch.nn, torch.nn.functional, torch.optim
        x_train, y_train = map(torch.tensor, (X_TRAIN, Y_TRAIN))
        n, c = x_train.shape
        loss_func = F.cross_entropy
        bs, lr, epochs = 16, 0.5, 2

        class Mnist_Logistic(nn.Module):
            def __init__(self):
                super().__init__()
                self.weights = nn.Parameter(torch.from_numpy(INITIAL_WEIGHTS) / math.sqrt(64))
                self.bias = nn.Parameter(torch.zeros(10))

            def forward(self, xb):
                return xb @ self.weights + self.bias

        model = Mnist_Logistic()
        before = loss_func(model(x_train[:bs]), y_train[:bs]).item()
        history = []

        def fit():
            for epoch in range(epochs):
                for i in range((n - 1) // bs + 1):
                    start_i = i * bs
                    end_i = start_i + bs
                    xb = x_train[start_i:end_i]
                    yb = y_train[start_i:end_i]
                    pred = model(xb)
                    loss = loss_func(pred, yb)
                    loss.backward()
                    with torch.no_grad():
                        for p in model.parameters():
                            p -= p.grad * lr
                        model.zero_grad()
                    history.append(loss.item())

        fit()
        after = loss_func(model(x_train[:bs]), y_train[:bs]).item()

        class Mnist_Linear(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = nn.Linear(64, 10)

            def forward(self, xb):
                return self.lin(xb)

        def get_model():
            model = Mnist_Linear()
            copy_weights(model)
            return model, optim.SGD(model.parameters(), lr=lr)

        linear_model, opt = get_model()
        linear_history = []
        for epoch in range(epochs):
            for i in range((n - 1) // bs + 1):
                start_i = i * bs
                end_i = start_i + bs
                xb = x_train[start_i:end_i]
                yb = y_train[start_i:end_i]
                pred = linear_model(xb)
                loss = loss_func(pred, yb)
                loss.backward()
                opt.step()
                opt.zero_grad()
                linear_history.append(loss.item())
        return before, history, after, model.weights, model.bias, linear_history, linear_model
    side_by_side(script)


def _fit_helpers(torch):
    """``loss_batch``, ``fit`` and ``get_data`` as the tutorial writes them."""
    TensorDataset, DataLoader = torch.utils.data.TensorDataset, torch.utils.data.DataLoader
    log = []

    def loss_batch(model, loss_func, xb, yb, opt=None):
        loss = loss_func(model(xb), yb)
        if opt is not None:
            loss.backward()
            opt.step()
            opt.zero_grad()
        return loss.item(), len(xb)

    def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
        for epoch in range(epochs):
            model.train()
            for xb, yb in train_dl:
                log.append(loss_batch(model, loss_func, xb, yb, opt)[0])
            model.eval()
            with torch.no_grad():
                losses, nums = zip(
                    *[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl]
                )
            val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
            log.append((epoch, val_loss))

    def get_data(train_ds, valid_ds, bs):
        return (
            DataLoader(train_ds, batch_size=bs, shuffle=False),
            DataLoader(valid_ds, batch_size=bs * 2),
        )

    x_train, y_train, x_valid, y_valid = map(
        torch.tensor, (X_TRAIN, Y_TRAIN, X_VALID, Y_VALID))
    train_ds = TensorDataset(x_train, y_train)
    valid_ds = TensorDataset(x_valid, y_valid)
    return loss_batch, fit, get_data, train_ds, valid_ds, log


def test_fit_and_get_data_with_tensor_dataset_and_data_loader():
    def script(torch, copy_weights):
        nn, F, optim = torch.nn, torch.nn.functional, torch.optim
        loss_batch, fit, get_data, train_ds, valid_ds, log = _fit_helpers(torch)
        xb, yb = train_ds[0:16]
        assert tuple(xb.shape) == (16, 64)
        train_dl, valid_dl = get_data(train_ds, valid_ds, 16)
        model = nn.Linear(64, 10)
        copy_weights(model)
        opt = optim.SGD(model.parameters(), lr=0.5)
        fit(3, model, F.cross_entropy, opt, train_dl, valid_dl)
        return log, model
    side_by_side(script)


def test_cnn_then_sequential_with_lambda_layers_and_a_wrapped_data_loader():
    def script(torch, copy_weights):
        nn, F, optim = torch.nn, torch.nn.functional, torch.optim
        loss_batch, fit, get_data, train_ds, valid_ds, log = _fit_helpers(torch)
        train_dl, valid_dl = get_data(train_ds, valid_ds, 16)
        loss_func = F.cross_entropy
        lr = 0.1

        class Mnist_CNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 4, kernel_size=3, stride=2, padding=1)
                self.conv2 = nn.Conv2d(4, 4, kernel_size=3, stride=2, padding=1)
                self.conv3 = nn.Conv2d(4, 10, kernel_size=3, stride=2, padding=1)

            def forward(self, xb):
                xb = xb.view(-1, 1, 8, 8)
                xb = F.relu(self.conv1(xb))
                xb = F.relu(self.conv2(xb))
                xb = F.relu(self.conv3(xb))
                xb = F.avg_pool2d(xb, 1)
                return xb.view(-1, xb.size(1))

        model = Mnist_CNN()
        copy_weights(model)
        opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        fit(2, model, loss_func, opt, train_dl, valid_dl)

        class Lambda(nn.Module):
            def __init__(self, func):
                super().__init__()
                self.func = func

            def forward(self, x):
                return self.func(x)

        def preprocess(x):
            return x.view(-1, 1, 8, 8)

        sequential = nn.Sequential(
            Lambda(preprocess),
            nn.Conv2d(1, 4, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(4, 4, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(4, 10, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.AvgPool2d(1),
            Lambda(lambda x: x.view(x.size(0), -1)),
        )
        copy_weights(sequential)
        opt = optim.SGD(sequential.parameters(), lr=lr, momentum=0.9)
        fit(2, sequential, loss_func, opt, train_dl, valid_dl)

        def preprocess_pair(x, y):
            return x.view(-1, 1, 8, 8), y

        class WrappedDataLoader:
            def __init__(self, dl, func):
                self.dl = dl
                self.func = func

            def __len__(self):
                return len(self.dl)

            def __iter__(self):
                for b in self.dl:
                    yield (self.func(*b))

        train_dl = WrappedDataLoader(train_dl, preprocess_pair)
        valid_dl = WrappedDataLoader(valid_dl, preprocess_pair)
        pooled = nn.Sequential(
            nn.Conv2d(1, 4, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(4, 4, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(4, 10, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            Lambda(lambda x: x.view(x.size(0), -1)),
        )
        copy_weights(pooled)
        opt = optim.SGD(pooled.parameters(), lr=lr, momentum=0.9)
        fit(2, pooled, loss_func, opt, train_dl, valid_dl)
        return log, model, sequential, pooled
    side_by_side(script)
