"""PyTorch tutorial scripts, each written once against a module named ``torch`` and run
twice: with PyTorch, and with ``autodiff`` in its place.  The autodiff run starts from
the PyTorch run's initial weights (``load_torch_state_dict``); both run in float64 and
the losses, the final parameters and buffers must agree to ~1e-10.  Random parts
(dropout, the reparameterization noise) take their draws from NumPy so both runs see
the same numbers.  Here: a ResNet with one-cycle and warm-restart schedules, a
weight-tied language model, apply/buffers/early stopping, param groups with gradient
accumulation, a custom Function with hooks, the Quickstart and fine-tuning."""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1)


# --- A ResNet block with skip connections and a one-cycle schedule ------------------

def test_resnet_block_with_one_cycle_and_warm_restarts():
    images = DATA.normal(size=(4, 6, 2, 8, 8))
    labels = DATA.integers(0, 3, size=(4, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class BasicBlock(nn.Module):
            expansion = 1

            def __init__(self, in_planes, planes, stride=1):
                super().__init__()
                self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1,
                                       bias=False)
                self.bn1 = nn.BatchNorm2d(planes)
                self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
                self.bn2 = nn.BatchNorm2d(planes)
                self.shortcut = nn.Sequential()
                if stride != 1 or in_planes != planes:
                    self.shortcut = nn.Sequential(
                        nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False),
                        nn.BatchNorm2d(planes))

            def forward(self, x):
                out = F.relu(self.bn1(self.conv1(x)))
                out = self.bn2(self.conv2(out))
                out += self.shortcut(x)
                return F.relu(out)

        class TinyResNet(nn.Module):
            def __init__(self, num_classes=3):
                super().__init__()
                self.stem = nn.Conv2d(2, 4, 3, padding=1, bias=False)
                self.layer1 = BasicBlock(4, 4)
                self.layer2 = BasicBlock(4, 6, stride=2)
                self.pool = nn.AdaptiveAvgPool2d((1, 1))
                self.fc = nn.Linear(6, num_classes)

            def forward(self, x):
                out = self.layer2(self.layer1(F.relu(self.stem(x))))
                out = torch.flatten(self.pool(out), 1)
                return self.fc(out)

        model = TinyResNet()
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9,
                                    weight_decay=5e-4, nesterov=True)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, epochs=2,
                                                        steps_per_epoch=2)
        losses, lrs = [], []
        for epoch in range(2):
            for i in range(2):
                x = torch.from_numpy(images[2 * epoch + i])
                y = torch.from_numpy(labels[2 * epoch + i])
                optimizer.zero_grad()
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                optimizer.step()
                scheduler.step()
                losses.append(loss.item())
                lrs.append(scheduler.get_last_lr()[0])
                lrs.append(optimizer.param_groups[0]["momentum"])
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
        restarts = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=2,
                                                                        T_mult=2)
        for epoch in range(5):
            for i in range(2):
                loss = F.cross_entropy(model(torch.from_numpy(images[i])),
                                       torch.from_numpy(labels[i]))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                restarts.step(epoch + i / 2)
                lrs.append(restarts.get_last_lr()[0])
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            evaluated = model(torch.from_numpy(images[3]))
        return losses, lrs, model, evaluated
    side_by_side(script)


# --- Weight tying: the decoder uses the embedding's weight --------------------------

def test_weight_tied_language_model():
    text = np.random.default_rng(6).integers(0, 9, size=(3, 4, 5))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class RNNModel(nn.Module):
            """The tied decoder written as F.linear with the embedding's (ntoken, ninp)
            weight: the spelling that runs with both (see the next test)."""

            def __init__(self, ntoken, ninp, nhid, dropout=0.0):
                super().__init__()
                self.drop = nn.Dropout(dropout)
                self.encoder = nn.Embedding(ntoken, ninp)
                self.rnn = nn.LSTM(ninp, nhid, 1)
                self.decoder_bias = nn.Parameter(torch.zeros(ntoken))
                self.init_weights()

            def init_weights(self):
                initrange = 0.1
                nn.init.uniform_(self.encoder.weight, -initrange, initrange)

            def forward(self, input, hidden):
                emb = self.drop(self.encoder(input))
                output, hidden = self.rnn(emb, hidden)
                decoded = F.linear(self.drop(output), self.encoder.weight, self.decoder_bias)
                return F.log_softmax(decoded, dim=-1), hidden

        model = RNNModel(9, 6, 6)
        copy_weights(model)
        criterion = nn.NLLLoss()
        hidden = (torch.zeros(1, 5, 6), torch.zeros(1, 5, 6))
        losses = []
        for chunk in text:
            data = torch.from_numpy(chunk)
            model.zero_grad()
            hidden = tuple(h.detach() for h in hidden)
            output, hidden = model(data[:-1], hidden)
            loss = criterion(output.view(-1, 9), data[1:].reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            with torch.no_grad():
                for p in model.parameters():
                    p.add_(p.grad, alpha=-1.0)
            losses.append(loss.item())
        return losses, model
    side_by_side(script)


# --- model.apply(init_fn), a buffer of running statistics, early stopping -----------

def test_apply_init_running_buffer_and_early_stopping():
    inputs = DATA.normal(loc=2.0, size=(8, 10, 4))
    targets = DATA.normal(size=(8, 10, 1))

    def script(torch, copy_weights):
        nn = torch.nn
        visited = []

        def init_fn(m):
            visited.append(type(m).__name__)
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight, gain=nn.init.calculate_gain("tanh"))
                nn.init.zeros_(m.bias)

        class Standardize(nn.Module):
            def __init__(self, features, momentum=0.1):
                super().__init__()
                self.momentum = momentum
                self.register_buffer("running_mean", torch.zeros(features))
                self.register_buffer("running_var", torch.ones(features))
                self.register_buffer("steps", torch.tensor(0), persistent=False)

            def forward(self, x):
                if self.training:
                    with torch.no_grad():
                        m = self.momentum
                        self.running_mean = (1 - m) * self.running_mean + m * x.mean(0)
                        self.running_var = (1 - m) * self.running_var + m * x.var(0, unbiased=True)
                        self.steps += 1
                return (x - self.running_mean) / torch.sqrt(self.running_var + 1e-5)

        model = nn.Sequential(Standardize(4), nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
        model.apply(init_fn)
        assert visited == ["Standardize", "Linear", "Tanh", "Linear", "Sequential"]
        assert list(model.state_dict()) == ["0.running_mean", "0.running_var", "1.weight",
                                            "1.bias", "3.weight", "3.bias"]
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
        best_loss, best_state, patience, bad_epochs = float("inf"), None, 2, 0
        val_x, val_y = torch.from_numpy(inputs[-1]), torch.from_numpy(targets[-1])
        losses, stopped_at = [], None
        for epoch in range(7):
            model.train()
            loss = nn.functional.mse_loss(model(torch.from_numpy(inputs[epoch])),
                                          torch.from_numpy(targets[epoch]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            model.eval()
            with torch.no_grad():
                val_loss = nn.functional.mse_loss(model(val_x), val_y).item()
            losses.append(val_loss)
            if val_loss < best_loss:
                best_loss, bad_epochs = val_loss, 0
                best_state = copy.deepcopy(model.state_dict())
            else:
                bad_epochs += 1
                if bad_epochs >= patience:
                    stopped_at = epoch
                    break
        model.load_state_dict(best_state)
        with torch.no_grad():
            final = nn.functional.mse_loss(model(val_x), val_y).item()
        assert final == best_loss
        return losses, stopped_at, model, model[0].steps.item()
    side_by_side(script)


# --- Param groups, gradient accumulation, evaluation with argmax --------------------

def test_param_groups_accumulation_and_accuracy():
    features = DATA.normal(size=(12, 4, 5))
    classes = DATA.integers(0, 3, size=(12, 4))

    def script(torch, copy_weights):
        nn = torch.nn

        class Classifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.backbone = nn.Sequential(nn.Linear(5, 16), nn.GELU(),
                                              nn.LayerNorm(16), nn.Dropout(p=0.0))
                self.head = nn.Linear(16, 3)

            def forward(self, x):
                return self.head(self.backbone(x))

        model = Classifier()
        copy_weights(model)
        decay, no_decay = [], []
        for name, param in model.named_parameters():
            (no_decay if name.endswith("bias") or "2." in name else decay).append(param)
        optimizer = torch.optim.AdamW([
            {"params": decay, "weight_decay": 0.1},
            {"params": no_decay, "weight_decay": 0.0, "lr": 3e-2},
        ], lr=1e-2, betas=(0.9, 0.95))
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 / (1 + step))
        criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
        accumulation_steps = 3
        losses = []
        model.train()
        optimizer.zero_grad()
        for i in range(9):
            outputs = model(torch.from_numpy(features[i]))
            loss = criterion(outputs, torch.from_numpy(classes[i])) / accumulation_steps
            loss.backward()
            losses.append(loss.item())
            if (i + 1) % accumulation_steps == 0:
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
        model.eval()
        correct = total = 0
        with torch.no_grad():
            for i in range(9, 12):
                outputs = model(torch.from_numpy(features[i]))
                _, predicted = torch.max(outputs, dim=1)
                total += outputs.size(0)
                correct += (predicted == torch.from_numpy(classes[i])).sum().item()
                probabilities = torch.softmax(outputs, dim=1)
        lrs = [group["lr"] for group in optimizer.param_groups]
        return losses, model, correct / total, lrs, probabilities
    side_by_side(script)


# --- A custom autograd.Function inside a model, and forward hooks -------------------

def test_custom_function_in_a_model_and_forward_hooks():
    inputs = DATA.normal(size=(4, 6, 3))
    targets = DATA.normal(size=(4, 6, 2))

    def script(torch, copy_weights):
        nn = torch.nn

        class ScaledSoftplus(torch.autograd.Function):
            @staticmethod
            def forward(ctx, input, beta):
                ctx.save_for_backward(input)
                ctx.beta = beta
                return torch.log1p(torch.exp(beta * input)) / beta

            @staticmethod
            def backward(ctx, grad_output):
                input, = ctx.saved_tensors
                return grad_output * torch.sigmoid(ctx.beta * input), None

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(3, 5)
                self.fc2 = nn.Linear(5, 2)

            def forward(self, x):
                return self.fc2(ScaledSoftplus.apply(self.fc1(x), 2.0))

        model = Net()
        copy_weights(model)
        activations = {}

        def get_activation(name):
            def hook(module, input, output):
                activations[name] = output.detach()
            return hook

        handle = model.fc1.register_forward_hook(get_activation("fc1"))
        seen_inputs = []
        pre = model.fc2.register_forward_pre_hook(lambda m, args: seen_inputs.append(
            args[0].shape[-1]))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        losses, captured = [], []
        for i in range(4):
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(torch.from_numpy(inputs[i])),
                                          torch.from_numpy(targets[i]))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            captured.append(activations["fc1"])
        handle.remove()
        pre.remove()
        activations.clear()
        model(torch.from_numpy(inputs[0]))
        assert activations == {} and seen_inputs == [5] * 4
        return losses, captured, model
    side_by_side(script)


# --- The Quickstart: a Dataset subclass, DataLoader, train and test loops -----------

def test_quickstart_with_dataset_dataloader_train_and_test():
    images = DATA.normal(size=(40, 1, 4, 4))
    labels = DATA.integers(0, 3, size=40)

    def script(torch, copy_weights):
        nn = torch.nn
        Dataset, DataLoader = torch.utils.data.Dataset, torch.utils.data.DataLoader

        class RandomImages(Dataset):
            def __init__(self, images, labels, transform=None, target_transform=None):
                self.images, self.labels = images, labels
                self.transform, self.target_transform = transform, target_transform

            def __len__(self):
                return len(self.labels)

            def __getitem__(self, idx):
                image = torch.from_numpy(self.images[idx])
                label = int(self.labels[idx])
                if self.transform:
                    image = self.transform(image)
                if self.target_transform:
                    label = self.target_transform(label)
                return image, label

        training_data = RandomImages(images[:32], labels[:32], transform=lambda x: x * 0.5)
        test_data = RandomImages(images[32:], labels[32:])
        batch_size = 8
        train_dataloader = DataLoader(training_data, batch_size=batch_size)
        test_dataloader = DataLoader(test_data, batch_size=batch_size)
        for X, y in test_dataloader:
            assert tuple(X.shape) == (8, 1, 4, 4) and y.dtype == torch.int64
            break
        device = "cuda" if torch.cuda.is_available() else "cpu"

        class NeuralNetwork(nn.Module):
            def __init__(self):
                super().__init__()
                self.flatten = nn.Flatten()
                self.linear_relu_stack = nn.Sequential(
                    nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 12), nn.ReLU(),
                    nn.Linear(12, 3))

            def forward(self, x):
                x = self.flatten(x)
                logits = self.linear_relu_stack(x)
                return logits

        model = NeuralNetwork().to(device)
        copy_weights(model)
        loss_fn = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-1)
        train_losses, test_results = [], []

        def train(dataloader, model, loss_fn, optimizer):
            size = len(dataloader.dataset)
            model.train()
            for batch, (X, y) in enumerate(dataloader):
                X, y = X.to(device), y.to(device)
                pred = model(X)
                loss = loss_fn(pred, y)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                loss, current = loss.item(), (batch + 1) * len(X)
                train_losses.append(loss)
                assert current <= size

        def test(dataloader, model, loss_fn):
            size = len(dataloader.dataset)
            num_batches = len(dataloader)
            model.eval()
            test_loss, correct = 0, 0
            with torch.no_grad():
                for X, y in dataloader:
                    X, y = X.to(device), y.to(device)
                    pred = model(X)
                    test_loss += loss_fn(pred, y).item()
                    correct += (pred.argmax(1) == y).type(torch.float).sum().item()
            test_results.append((test_loss / num_batches, correct / size))

        for _ in range(3):
            train(train_dataloader, model, loss_fn, optimizer)
            test(test_dataloader, model, loss_fn)
        return train_losses, test_results, model
    side_by_side(script)


# --- Fine-tuning: save, load, freeze the backbone, a new head -----------------------

def test_fine_tuning_with_save_load_and_a_frozen_backbone(tmp_path):
    images = DATA.normal(size=(6, 5, 1, 6, 6))
    labels = DATA.integers(0, 4, size=(6, 5))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class SmallCNN(nn.Module):
            def __init__(self, num_classes):
                super().__init__()
                self.features = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(),
                                              nn.MaxPool2d(2), nn.Flatten())
                self.classifier = nn.Linear(12, num_classes)

            def forward(self, x):
                return self.classifier(self.features(x))

        def fit(model, optimizer, batches):
            losses = []
            for i in batches:
                loss = F.cross_entropy(model(torch.from_numpy(images[i])),
                                       torch.from_numpy(labels[i]) % model.classifier.out_features)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            return losses

        pretrained = SmallCNN(4)
        copy_weights(pretrained)
        losses = fit(pretrained, torch.optim.Adam(pretrained.parameters(), lr=0.01), range(3))
        path = tmp_path / f"{torch.__name__}.pt"
        torch.save(pretrained.state_dict(), path)

        model = SmallCNN(4)
        model.load_state_dict(torch.load(path, weights_only=True))
        for param in model.features.parameters():
            param.requires_grad = False
        model.classifier = nn.Linear(12, 2)
        copy_weights(model.classifier)
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()),
                                    lr=0.05, momentum=0.9)
        frozen_before = [p.detach().clone() for p in model.features.parameters()]
        losses += fit(model, optimizer, range(3, 6))
        for before, after in zip(frozen_before, model.features.parameters()):
            assert after.grad is None and before.equal(after)
        return losses, trainable, pretrained, model
    side_by_side(script)
