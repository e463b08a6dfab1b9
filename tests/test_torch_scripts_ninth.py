"""A ninth round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights; values per step and final weights must agree (float64 to 1e-10).
Random parts take their draws from NumPy so both runs see the same numbers.  This
round follows pytorch.org's tutorials as they are written, with small sizes and
synthetic data; here, "Learn the Basics": the Tensors page line by line, "Build the
Neural Network", "Automatic Differentiation with torch.autograd", "Optimizing Model
Parameters" and "Save and Load the Model" (more in test_torch_scripts_ninth_*.py)."""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(91)


# --- Tensors -------------------------------------------------------------------------

def test_tensors_page_creation_attributes_indexing_joining_and_arithmetic():
    np_array_data = DATA.normal(size=(2, 2))
    rand_values = DATA.uniform(size=(4, 4))

    def script(torch, copy_weights):
        data = [[1, 2], [3, 4]]
        x_data = torch.tensor(data)
        np_array = np.array(data)
        x_np = torch.from_numpy(np_array)
        x_ones = torch.ones_like(x_data)                 # retains the properties of x_data
        x_rand = torch.rand_like(x_data, dtype=torch.float)
        assert x_ones.dtype == torch.int64 and x_rand.dtype == torch.float
        assert x_rand.shape == (2, 2)
        shape = (2, 3,)
        rand_tensor = torch.rand(shape)
        ones_tensor = torch.ones(shape)
        zeros_tensor = torch.zeros(shape)
        assert rand_tensor.shape == ones_tensor.shape == zeros_tensor.shape == (2, 3)
        tensor = torch.rand(3, 4)
        facts = [str(tuple(tensor.shape)), tensor.dtype == torch.float64, str(tensor.device)]
        # We move our tensor to the current accelerator if available
        if torch.accelerator.is_available():
            tensor = tensor.to(torch.accelerator.current_accelerator())
        tensor = torch.from_numpy(rand_values).clone()
        first_row = tensor[0]
        first_column = tensor[:, 0]
        last_column = tensor[..., -1]
        tensor[:, 1] = 0
        t1 = torch.cat([tensor, tensor, tensor], dim=1)
        y1 = tensor @ tensor.T
        y2 = tensor.matmul(tensor.T)
        y3 = torch.rand_like(y1)
        torch.matmul(tensor, tensor.T, out=y3)
        z1 = tensor * tensor
        z2 = tensor.mul(tensor)
        z3 = torch.rand_like(tensor)
        torch.mul(tensor, tensor, out=z3)
        agg = tensor.sum()
        agg_item = agg.item()
        assert isinstance(agg_item, float)
        before = tensor.clone()
        tensor.add_(5)
        assert (tensor - before == 5).all()
        np_view = torch.from_numpy(np_array_data.copy())
        return (facts, x_np, x_ones, first_row, first_column, last_column, t1, y1, y2, y3, z1,
                z2, z3, agg_item, tensor, np_view)
    side_by_side(script)


def test_tensors_page_bridge_with_numpy_shares_the_memory_both_ways():
    def script(torch, copy_weights):
        t = torch.ones(5)
        n = t.numpy()
        t.add_(1)                        # a change in the tensor reflects in the array
        seen_in_array = n.copy()
        n = np.ones(5)
        t = torch.from_numpy(n)
        np.add(n, 1, out=n)              # a change in the array reflects in the tensor
        seen_in_tensor = t.clone()
        n[0] = 10.0
        assert t.dtype == torch.float64
        return seen_in_array, seen_in_tensor, t.clone()
    side_by_side(script)


# --- Datasets & DataLoaders, Transforms ----------------------------------------------------

def test_custom_dataset_with_transforms_and_a_one_hot_target_transform_by_scatter_():
    images = DATA.uniform(size=(12, 1, 4, 4))
    labels = DATA.integers(0, 10, size=12)

    def script(torch, copy_weights):
        nn = torch.nn
        Dataset, DataLoader = torch.utils.data.Dataset, torch.utils.data.DataLoader

        class Lambda:                      # torchvision.transforms.Lambda
            def __init__(self, lambd):
                self.lambd = lambd

            def __call__(self, img):
                return self.lambd(img)

        class CustomImageDataset(Dataset):
            def __init__(self, transform=None, target_transform=None):
                self.img_labels = labels
                self.transform = transform
                self.target_transform = target_transform

            def __len__(self):
                return len(self.img_labels)

            def __getitem__(self, idx):
                image = torch.from_numpy(images[idx])
                label = int(self.img_labels[idx])
                if self.transform:
                    image = self.transform(image)
                if self.target_transform:
                    label = self.target_transform(label)
                return image, label

        ds = CustomImageDataset(
            transform=Lambda(lambda x: (x - 0.5) / 0.5),
            target_transform=Lambda(lambda y: torch.zeros(
                10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1)))
        train_dataloader = DataLoader(ds, batch_size=4, shuffle=False)
        train_features, train_labels = next(iter(train_dataloader))
        shapes = [tuple(train_features.size()), tuple(train_labels.size())]
        img = train_features[0].squeeze()
        label = train_labels[0]
        model = nn.Sequential(nn.Flatten(), nn.Linear(16, 10))
        copy_weights(model)
        loss_fn = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        losses = []
        for epoch in range(2):
            for X, y in train_dataloader:
                loss = loss_fn(model(X), y.to(torch.float64))   # probabilities as targets
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
        return shapes, img, label, str(label.dtype).split(".")[-1], losses, model
    side_by_side(script)


# --- Build the Neural Network ---------------------------------------------------------

def test_build_the_neural_network_flatten_sequential_softmax_and_named_parameters():
    images = DATA.uniform(size=(3, 6, 6))
    minibatch = DATA.uniform(size=(3, 6, 6))

    def script(torch, copy_weights):
        nn = torch.nn
        device = torch.accelerator.current_accelerator().type \
            if torch.accelerator.is_available() else "cpu"
        using = f"Using {device} device"

        class NeuralNetwork(nn.Module):
            def __init__(self):
                super().__init__()
                self.flatten = nn.Flatten()
                self.linear_relu_stack = nn.Sequential(
                    nn.Linear(6 * 6, 16),
                    nn.ReLU(),
                    nn.Linear(16, 16),
                    nn.ReLU(),
                    nn.Linear(16, 10),
                )

            def forward(self, x):
                x = self.flatten(x)
                logits = self.linear_relu_stack(x)
                return logits

        model = NeuralNetwork().to(device)
        copy_weights(model)
        text = str(model).split("\n")[0]   # (a Linear's repr and weight layout are this library's)
        X = torch.from_numpy(images[:1])
        logits = model(X)
        pred_probab = nn.Softmax(dim=1)(logits)
        y_pred = pred_probab.argmax(1)
        input_image = torch.from_numpy(minibatch)
        assert input_image.size() == (3, 6, 6)
        flatten = nn.Flatten()
        flat_image = flatten(input_image)
        assert flat_image.size() == (3, 36)
        layer1 = nn.Linear(in_features=36, out_features=20)
        copy_weights(layer1)
        hidden1 = layer1(flat_image)
        hidden1 = nn.ReLU()(hidden1)
        seq_modules = nn.Sequential(flatten, layer1, nn.ReLU(), nn.Linear(20, 10))
        copy_weights(seq_modules[3])
        logits2 = seq_modules(input_image)
        softmax = nn.Softmax(dim=1)
        pred_probab2 = softmax(logits2)
        sizes = []
        for name, param in model.named_parameters():
            sizes.append(f"Layer: {name} | Elements: {param.numel()} | Sum : {param.sum():.6f}")
        return using, text, logits, pred_probab, y_pred, hidden1, pred_probab2, sizes
    side_by_side(script)


# --- Automatic Differentiation with torch.autograd -----------------------------------

def test_autograd_page_grad_fn_no_grad_detach_and_jacobian_products():
    w_values, b_values = DATA.normal(size=(5, 3)), DATA.normal(size=3)

    def script(torch, copy_weights):
        x = torch.ones(5)            # input tensor
        y = torch.zeros(3)           # expected output
        w = torch.from_numpy(w_values).requires_grad_()
        b = torch.tensor(b_values, requires_grad=True)
        z = torch.matmul(x, w) + b
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
        names = [repr(z.grad_fn).split()[0]]          # '<AddBackward0'
        assert z.grad_fn is not None and loss.grad_fn is not None
        loss.backward()
        w_grad, b_grad = w.grad.tolist(), b.grad.tolist()
        z = torch.matmul(x, w) + b
        assert z.requires_grad
        with torch.no_grad():
            z = torch.matmul(x, w) + b
        assert not z.requires_grad
        z = torch.matmul(x, w) + b
        z_det = z.detach()
        assert not z_det.requires_grad
        inp = torch.eye(4, 5, requires_grad=True)
        out = (inp + 1).pow(2).t()
        out.backward(torch.ones_like(out), retain_graph=True)
        first = inp.grad.tolist()
        out.backward(torch.ones_like(out))
        second = inp.grad.tolist()           # accumulated: twice the first
        inp.grad = None                     # (.grad is an ndarray here: no zero_())
        out = (inp + 1).pow(2).t()
        out.backward(torch.ones_like(out))
        call = inp.grad.tolist()
        return names, w_grad, b_grad, first, second, call
    side_by_side(script)


# --- Optimizing Model Parameters -------------------------------------------------------

def test_optimizing_model_parameters_train_loop_and_test_loop():
    images = DATA.uniform(size=(48, 1, 4, 4))
    labels = DATA.integers(0, 10, size=48)

    def script(torch, copy_weights):
        nn = torch.nn
        from_numpy = torch.from_numpy
        TensorDataset, DataLoader = torch.utils.data.TensorDataset, torch.utils.data.DataLoader
        training_data = TensorDataset(from_numpy(images[:32]), from_numpy(labels[:32]))
        test_data = TensorDataset(from_numpy(images[32:]), from_numpy(labels[32:]))
        train_dataloader = DataLoader(training_data, batch_size=8)
        test_dataloader = DataLoader(test_data, batch_size=8)

        class NeuralNetwork(nn.Module):
            def __init__(self):
                super().__init__()
                self.flatten = nn.Flatten()
                self.linear_relu_stack = nn.Sequential(
                    nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 12), nn.ReLU(),
                    nn.Linear(12, 10))

            def forward(self, x):
                x = self.flatten(x)
                logits = self.linear_relu_stack(x)
                return logits

        model = NeuralNetwork()
        copy_weights(model)
        learning_rate = 1e-1
        batch_size = 8
        epochs = 3
        loss_fn = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
        log = []

        def train_loop(dataloader, model, loss_fn, optimizer):
            size = len(dataloader.dataset)
            model.train()
            for batch, (X, y) in enumerate(dataloader):
                pred = model(X)
                loss = loss_fn(pred, y)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                if batch % 2 == 0:
                    loss, current = loss.item(), batch * batch_size + len(X)
                    log.append(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")

        def test_loop(dataloader, model, loss_fn):
            model.eval()
            size = len(dataloader.dataset)
            num_batches = len(dataloader)
            test_loss, correct = 0, 0
            with torch.no_grad():
                for X, y in dataloader:
                    pred = model(X)
                    test_loss += loss_fn(pred, y).item()
                    correct += (pred.argmax(1) == y).type(torch.float).sum().item()
            test_loss /= num_batches
            correct /= size
            log.append(f"Test Error: \n Accuracy: {(100*correct):>0.1f}%, "
                       f"Avg loss: {test_loss:>8f} \n")
            return test_loss, correct

        results = []
        for t in range(epochs):
            train_loop(train_dataloader, model, loss_fn, optimizer)
            results.append(test_loop(test_dataloader, model, loss_fn))
        return log, results, model
    side_by_side(script)


# --- Save and Load the Model ------------------------------------------------------------

def _tiny_training(torch, model, optimizer, inputs, targets, steps):
    losses = []
    for i in range(steps):
        loss = torch.nn.functional.mse_loss(model(torch.from_numpy(inputs[i])),
                                            torch.from_numpy(targets[i]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_save_and_load_state_dict_with_weights_only_and_a_resumed_checkpoint():
    inputs = DATA.normal(size=(6, 5, 4))
    targets = DATA.normal(size=(6, 5, 2))

    def script(torch, copy_weights):
        nn, optim = torch.nn, torch.optim
        folder = tempfile.mkdtemp()

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(4, 8)
                self.fc2 = nn.Linear(8, 2)

            def forward(self, x):
                return self.fc2(torch.relu(self.fc1(x)))

        model = Net()
        copy_weights(model)
        optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        losses = _tiny_training(torch, model, optimizer, inputs, targets, 3)
        path = os.path.join(folder, "model_weights.pth")
        torch.save(model.state_dict(), path)
        model2 = Net()
        model2.load_state_dict(torch.load(path, weights_only=True))
        model2.eval()
        same = all(a.equal(b) for a, b in zip(model.parameters(), model2.parameters()))
        EPOCH, LOSS = 3, losses[-1]
        checkpoint_path = os.path.join(folder, "model.pt")
        torch.save({
            'epoch': EPOCH,
            'model_state_dict': model.state_dict(),
            'optimizer_state_dict': optimizer.state_dict(),
            'loss': LOSS,
        }, checkpoint_path)
        uninterrupted = _tiny_training(torch, model, optimizer, inputs[3:], targets[3:], 3)
        resumed_model = Net()
        resumed_optimizer = optim.SGD(resumed_model.parameters(), lr=0.05, momentum=0.9)
        checkpoint = torch.load(checkpoint_path, weights_only=True)
        resumed_model.load_state_dict(checkpoint['model_state_dict'])
        resumed_optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
        epoch = checkpoint['epoch']
        loss = checkpoint['loss']
        resumed_model.train()
        resumed = _tiny_training(torch, resumed_model, resumed_optimizer, inputs[3:],
                                 targets[3:], 3)
        assert resumed == uninterrupted
        return losses, same, epoch, loss, uninterrupted, resumed, model, resumed_model
    side_by_side(script)
