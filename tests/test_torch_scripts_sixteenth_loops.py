"""Sixteenth-round PyTorch scripts (see test_torch_scripts_sixteenth.py for how they
run), training loops as tutorials write them: the transfer-learning tutorial's
``train_model`` (phases under ``torch.set_grad_enabled(phase == 'train')``, running
sums by ``loss.item() * inputs.size(0)`` and ``torch.sum(preds == labels.data)``,
``running_corrects.double() / dataset_size``, the best weights kept by
``copy.deepcopy(model.state_dict())``), a resumed optimizer whose state is moved by
the ``for state in optimizer.state.values()`` loop, and WGAN-GP's critic steps as its
first implementation wrote them (``autograd.Variable``, ``backward(mone)``, the gradient
penalty by ``autograd.grad(..., only_inputs=True)``).  ``torch.save(model)`` of a whole
model is refused here: test_torch_scripts_sixteenth_gaps.py."""

from __future__ import annotations

import copy
import io

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(16162)


def test_transfer_learning_tutorial_train_model_with_phases():
    train_x, train_y = DATA.normal(size=(12, 6)), DATA.integers(0, 3, size=12)
    val_x, val_y = DATA.normal(size=(8, 6)), DATA.integers(0, 3, size=8)

    def script(torch, copy_weights):
        nn, optim, data = torch.nn, torch.optim, torch.utils.data
        dataloaders = {
            "train": data.DataLoader(data.TensorDataset(torch.from_numpy(train_x),
                                                        torch.from_numpy(train_y)),
                                     batch_size=4),
            "val": data.DataLoader(data.TensorDataset(torch.from_numpy(val_x),
                                                      torch.from_numpy(val_y)), batch_size=4)}
        dataset_sizes = {x: len(dataloaders[x].dataset) for x in ["train", "val"]}

        def train_model(model, criterion, optimizer, scheduler, num_epochs=3):
            best_model_wts = copy.deepcopy(model.state_dict())
            best_acc, history = 0.0, []
            for epoch in range(num_epochs):
                for phase in ["train", "val"]:
                    if phase == "train":
                        model.train()
                    else:
                        model.eval()
                    running_loss = 0.0
                    running_corrects = 0
                    for inputs, labels in dataloaders[phase]:
                        optimizer.zero_grad()
                        with torch.set_grad_enabled(phase == "train"):
                            outputs = model(inputs)
                            # (the tutorial's _, preds = torch.max(outputs, 1): NumPy's max
                            # here, refused when unpacked; dim= says PyTorch's)
                            _, preds = torch.max(outputs, dim=1)
                            loss = criterion(outputs, labels)
                            if phase == "train":
                                loss.backward()
                                optimizer.step()
                        running_loss += loss.item() * inputs.size(0)
                        running_corrects += torch.sum(preds == labels.data)
                    if phase == "train":
                        scheduler.step()
                    epoch_loss = running_loss / dataset_sizes[phase]
                    epoch_acc = running_corrects.double() / dataset_sizes[phase]
                    history.append((phase, epoch_loss, epoch_acc.item()))
                    if phase == "val" and epoch_acc > best_acc:
                        best_acc = epoch_acc
                        best_model_wts = copy.deepcopy(model.state_dict())
            model.load_state_dict(best_model_wts)
            return model, history, best_acc

        backbone = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU())
        model_conv = nn.Sequential(backbone, nn.Dropout(0.0), nn.Linear(8, 3))
        copy_weights(model_conv)
        for param in model_conv[0].parameters():
            param.requires_grad = False
        num_ftrs = model_conv[2].in_features
        model_conv[2] = nn.Linear(num_ftrs, 3)
        copy_weights(model_conv[2])
        optimizer_conv = optim.SGD(model_conv[2].parameters(), lr=0.1, momentum=0.9)
        exp_lr_scheduler = optim.lr_scheduler.StepLR(optimizer_conv, step_size=2, gamma=0.1)
        model, history, best_acc = train_model(model_conv, nn.CrossEntropyLoss(),
                                               optimizer_conv, exp_lr_scheduler)
        return history, best_acc, model
    side_by_side(script)


def test_resuming_with_the_optimizer_state_moved_by_the_state_values_loop():
    inputs, targets = DATA.normal(size=(6, 5, 3)), DATA.normal(size=(6, 5, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        def make():
            model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
            return model, torch.optim.Adam(model.parameters(), lr=1e-2, amsgrad=True)

        def train(model, optimizer, batches):
            losses = []
            for x, y in batches:
                loss = F.mse_loss(model(torch.from_numpy(x)), torch.from_numpy(y))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            return losses

        model, optimizer = make()
        copy_weights(model)
        first = train(model, optimizer, zip(inputs[:3], targets[:3]))
        buffer = io.BytesIO()
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, buffer)
        straight_on = train(model, optimizer, zip(inputs[3:], targets[3:]))
        buffer.seek(0)
        checkpoint = torch.load(buffer, map_location="cpu")
        resumed_model, resumed_optimizer = make()
        resumed_model.load_state_dict(checkpoint["model"])
        resumed_optimizer.load_state_dict(checkpoint["optimizer"])
        device = torch.device("cpu")
        moved = 0
        for state in resumed_optimizer.state.values():
            for k, v in state.items():
                if isinstance(v, torch.Tensor):
                    state[k] = v.to(device)
                    moved += 1
        resumed = train(resumed_model, resumed_optimizer, zip(inputs[3:], targets[3:]))
        assert resumed == straight_on
        return first, straight_on, resumed_model
    side_by_side(script)


def test_wgan_gp_critic_steps_with_the_original_calc_gradient_penalty():
    real_batches = DATA.normal(size=(3, 6, 4)) + 1.0
    noise_batches = DATA.normal(size=(3, 6, 2))
    alphas = DATA.uniform(size=(3, 6, 1))

    def script(torch, copy_weights):
        nn, autograd = torch.nn, torch.autograd
        LAMBDA = 10
        netG = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 4))
        netD = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
        copy_weights(netG, netD)
        optimizerD = torch.optim.Adam(netD.parameters(), lr=1e-3, betas=(0.5, 0.9))

        def calc_gradient_penalty(netD, real_data, fake_data, alpha):
            alpha = alpha.expand(real_data.size())
            interpolates = alpha * real_data + ((1 - alpha) * fake_data)
            interpolates = autograd.Variable(interpolates, requires_grad=True)
            disc_interpolates = netD(interpolates)
            gradients = autograd.grad(outputs=disc_interpolates, inputs=interpolates,
                                      grad_outputs=torch.ones(disc_interpolates.size()),
                                      create_graph=True, retain_graph=True,
                                      only_inputs=True)[0]
            return ((gradients.norm(2, dim=1) - 1) ** 2).mean() * LAMBDA

        one = torch.tensor(1, dtype=torch.float)
        mone = one * -1
        costs = []
        for real, noise, alpha in zip(real_batches, noise_batches, alphas):
            real_data_v = autograd.Variable(torch.from_numpy(real))
            netD.zero_grad()
            D_real = netD(real_data_v).mean()
            D_real.backward(mone)
            with torch.no_grad():
                fake = netG(torch.from_numpy(noise))
            D_fake = netD(fake).mean()
            D_fake.backward(one)
            gradient_penalty = calc_gradient_penalty(netD, real_data_v, fake,
                                                     torch.from_numpy(alpha))
            gradient_penalty.backward()
            costs.append((D_fake - D_real + gradient_penalty).item())
            optimizerD.step()
        return costs, netD
    side_by_side(script)
