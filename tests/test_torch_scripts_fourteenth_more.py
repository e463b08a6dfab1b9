"""More of the fourteenth round of PyTorch scripts (see test_torch_scripts_fourteenth.py),
run with PyTorch and with ``autodiff`` in its place and compared (float64 to 1e-10):
Byzantine-robust aggregation of worker gradients (coordinate-wise ``median``,
``kthvalue``, ``nanmedian``, a trimmed mean by ``sort``), a convolutional network
trained in ``channels_last`` layout, ``SyncBatchNorm.convert_sync_batchnorm`` on one
process, layers built from ``factory_kwargs = {"device": ..., "dtype": ...}``, and a
model with tied weights seen through ``named_modules(remove_duplicate=False)``,
``state_dict(keep_vars=True)`` and ``parameters_to_vector``."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(14_2)


def test_byzantine_robust_aggregation_of_worker_gradients():
    features = DATA.normal(size=(5, 8, 3))                   # 5 workers' batches
    targets = features @ np.array([1.0, -2.0, 0.5]) + 0.1 * DATA.normal(size=(5, 8))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Linear(3, 1)
        copy_weights(model)
        history = []
        for step in range(3):
            grads = []
            for worker, (x, y) in enumerate(zip(features, targets)):
                model.zero_grad()
                loss = F.mse_loss(model(torch.from_numpy(x)).squeeze(-1), torch.from_numpy(y))
                loss.backward()
                flat = torch.cat([p.grad.reshape(-1) for p in model.parameters()])
                if worker == 4:                               # a faulty worker
                    flat = -100.0 * flat
                if worker == 3 and step == 1:
                    flat = flat.clone()
                    flat[0] = float("nan")                    # a lost coordinate
                grads.append(flat)
            stacked = torch.stack(grads)
            median = stacked.nanmedian(dim=0).values
            second, which = torch.kthvalue(torch.nan_to_num(stacked, nan=0.0), 2, dim=0)
            trimmed = torch.nan_to_num(stacked, nan=0.0).sort(dim=0).values[1:-1].mean(dim=0)
            plain_median = torch.nan_to_num(stacked, nan=0.0).median(dim=0).values
            with torch.no_grad():
                offset = 0
                for p in model.parameters():
                    n = p.numel()
                    p -= 0.1 * median[offset:offset + n].reshape(p.shape)
                    offset += n
            history.append((median, second, which, trimmed, plain_median))
        return history, model
    side_by_side(script)


def test_convolutional_network_trained_in_channels_last_layout():
    images = DATA.normal(size=(4, 3, 8, 8))
    labels = DATA.integers(0, 3, size=4)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                              nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
        copy_weights(model)
        model = model.to(memory_format=torch.channels_last)
        x = torch.from_numpy(images).to(memory_format=torch.channels_last)
        layouts = [x.is_contiguous(memory_format=torch.channels_last),
                   model[0].weight.is_contiguous(memory_format=torch.channels_last)]
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        losses = []
        for _ in range(3):
            loss = F.cross_entropy(model(x), torch.from_numpy(labels))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        layouts.append(model[0].weight.is_contiguous(memory_format=torch.channels_last))
        contiguous = x.contiguous()
        return layouts, losses, contiguous.is_contiguous(), model
    side_by_side(script)


def test_sync_batchnorm_converted_on_one_process():
    images = DATA.normal(size=(3, 2, 6, 6))
    targets = DATA.normal(size=(3, 2, 4, 4))

    def script(torch, copy_weights):
        nn = torch.nn
        # (no bias before a batch norm: its gradient is round-off, which Adam would scale up)
        model = nn.Sequential(nn.Conv2d(2, 3, 3, bias=False), nn.BatchNorm2d(3, momentum=0.2),
                              nn.ReLU(), nn.Conv2d(3, 2, 1, bias=False), nn.BatchNorm2d(2))
        copy_weights(model)
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        kinds = [type(m).__name__ for m in model]
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        x = torch.from_numpy(images)
        for _ in range(2):
            loss = (model(x) - torch.from_numpy(targets)).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            out = model(x)
        return kinds, out, model
    side_by_side(script)


def test_layers_built_from_factory_kwargs():
    tokens = DATA.normal(size=(2, 5, 4))

    def script(torch, copy_weights):
        nn = torch.nn

        class Block(nn.Module):
            def __init__(self, d_model, device=None, dtype=None):
                factory_kwargs = {"device": device, "dtype": dtype}
                super().__init__()
                self.norm = nn.LayerNorm(d_model, **factory_kwargs)
                self.attn = nn.MultiheadAttention(d_model, 2, batch_first=True,
                                                  **factory_kwargs)
                self.ff = nn.Linear(d_model, d_model, **factory_kwargs)
                self.conv = nn.Conv1d(d_model, d_model, 3, padding=1, device=device)
                self.gru = nn.GRU(d_model, d_model, batch_first=True, device=device)

            def forward(self, x):
                h = self.norm(x)
                h = x + self.attn(h, h, h, need_weights=False)[0]
                h = h + self.conv(h.transpose(1, 2)).transpose(1, 2)
                return self.gru(h + self.ff(h))[0]

        block = Block(4, device=torch.device("cpu"))
        copy_weights(block)
        x = torch.from_numpy(tokens).requires_grad_()
        out = block(x)
        out.sum().backward()
        return out, x.grad, block
    side_by_side(script)


def test_tied_weights_through_named_modules_state_dict_keep_vars_and_a_flat_vector():
    ids = DATA.integers(0, 6, size=(2, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class TiedLM(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(6, 6)
                self.mix = nn.Sequential(nn.Linear(6, 6), nn.Tanh())
                self.again = self.mix                        # the same module twice

            def forward(self, x):
                return self.again(self.mix(self.embed(x))) @ self.embed.weight.T

        model = TiedLM()
        copy_weights(model)
        all_names = [name for name, _ in model.named_modules(remove_duplicate=False)]
        unique_names = [name for name, _ in model.named_modules()]
        kept = model.state_dict(keep_vars=True)
        # (a plain state_dict() holds NumPy arrays here, detached tensors in PyTorch)
        flags = [kept["embed.weight"] is model.embed.weight, kept["embed.weight"].requires_grad]
        loss = F.cross_entropy(model(torch.from_numpy(ids)).reshape(-1, 6),
                               torch.from_numpy(ids).reshape(-1))
        loss.backward()
        flat = nn.utils.parameters_to_vector(model.parameters())
        flat_grads = torch.cat([p.grad.reshape(-1) for p in model.parameters()])
        nn.utils.vector_to_parameters(flat - 0.5 * flat_grads, model.parameters())
        n_parameters = sum(p.numel() for p in model.parameters())
        # (the keys differ by design: a module registered twice is listed once here, under
        # its first name, and under each in PyTorch; to_torch_state_dict lists each)
        return all_names, unique_names, flags, loss, n_parameters, model
    side_by_side(script)
