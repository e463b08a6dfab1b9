"""The fifth round of PyTorch scripts, continued (see test_torch_scripts_fifth.py): a
siamese net with triplet and cosine embedding losses, loaders with a collate_fn,
gradient accumulation, frozen layers, evaluation under inference_mode, and stochastic
weight averaging with an EMA model (``torch.optim.swa_utils``)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(6)

# --- A siamese net with triplet and cosine embedding losses ------------------------

def test_siamese_net_with_triplet_margin_and_cosine_embedding_losses():
    anchors, positives, negatives = DATA.normal(size=(3, 3, 6, 5))
    same = np.where(DATA.uniform(size=(3, 6)) > 0.5, 1.0, -1.0)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class EmbeddingNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(5, 8), nn.PReLU(), nn.Linear(8, 4))

            def forward(self, x):
                return F.normalize(self.net(x), p=2, dim=1)

        class TripletNet(nn.Module):
            def __init__(self, embedding_net):
                super().__init__()
                self.embedding_net = embedding_net

            def forward(self, x1, x2, x3):
                return tuple(self.embedding_net(x) for x in (x1, x2, x3))

        model = TripletNet(EmbeddingNet())
        copy_weights(model)
        triplet = nn.TripletMarginLoss(margin=1.0, p=2, swap=True)
        cosine = nn.CosineEmbeddingLoss(margin=0.2)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
        losses, distances = [], []
        for i in range(3):
            a, p, n = model(torch.from_numpy(anchors[i]), torch.from_numpy(positives[i]),
                            torch.from_numpy(negatives[i]))
            loss = triplet(a, p, n) + cosine(a, n, torch.from_numpy(same[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            distances.append((a - p).pow(2).sum(1).detach())
        return losses, distances, model
    side_by_side(script)


# --- random_split, a shuffled loader with a collate_fn, drop_last ------------------

def test_random_split_and_loaders_with_a_padding_collate_fn():
    lengths = DATA.integers(1, 6, size=14)
    sequences = [DATA.normal(size=(n, 3)) for n in lengths]
    labels = DATA.integers(0, 2, size=14)

    def script(torch, copy_weights):
        nn = torch.nn
        Dataset, DataLoader = torch.utils.data.Dataset, torch.utils.data.DataLoader
        pad_sequence = nn.utils.rnn.pad_sequence

        class SequenceDataset(Dataset):
            def __len__(self):
                return len(sequences)

            def __getitem__(self, idx):
                return torch.from_numpy(sequences[idx]), int(labels[idx])

        def collate_batch(batch):
            seqs, ys = zip(*batch)
            lens = torch.tensor([len(s) for s in seqs])
            return pad_sequence(list(seqs), batch_first=True), lens, torch.tensor(ys)

        dataset = SequenceDataset()
        train_set, val_set = torch.utils.data.random_split(
            dataset, [10, 4], generator=torch.Generator().manual_seed(1))
        shuffled = DataLoader(train_set, batch_size=3, shuffle=True, drop_last=True,
                              collate_fn=collate_batch, generator=torch.Generator().manual_seed(2))
        assert len(shuffled) == 3 and sum(len(b[2]) for b in shuffled) == 9
        ordered_train = torch.utils.data.Subset(dataset, list(range(10)))
        loader = DataLoader(ordered_train, batch_size=4, shuffle=False, drop_last=True,
                            collate_fn=collate_batch)
        model = nn.Linear(3, 2)
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
        losses, shapes = [], []
        for epoch in range(2):
            for padded, lens, ys in loader:
                keep = (torch.arange(padded.size(1))[None, :] < lens[:, None]).unsqueeze(-1)
                pooled = (padded * keep).sum(1) / lens[:, None]
                loss = nn.functional.cross_entropy(model(pooled), ys)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
                shapes.append(tuple(padded.shape))
        return losses, shapes, model, len(val_set), len(loader.dataset)
    side_by_side(script)


# --- Gradient accumulation over micro-batches --------------------------------------

def test_gradient_accumulation_equals_one_big_batch():
    inputs = DATA.normal(size=(8, 4))
    targets = DATA.normal(size=(8, 2))

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(4, 6), nn.Hardswish(), nn.Linear(6, 2))
        big = nn.Sequential(nn.Linear(4, 6), nn.Hardswish(), nn.Linear(6, 2))
        copy_weights(model, big)
        big.load_state_dict(model.state_dict())
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        big_optimizer = torch.optim.SGD(big.parameters(), lr=0.1)
        accumulation_steps, losses = 4, []
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        for epoch in range(2):
            optimizer.zero_grad(set_to_none=True)
            for i, (xb, yb) in enumerate(zip(x.chunk(4), y.chunk(4))):
                loss = nn.functional.mse_loss(model(xb), yb) / accumulation_steps
                loss.backward()
                losses.append(loss.item())
                if (i + 1) % accumulation_steps == 0:
                    optimizer.step()
                    optimizer.zero_grad()
            big_optimizer.zero_grad()
            nn.functional.mse_loss(big(x), y).backward()
            big_optimizer.step()
        for p, q in zip(model.parameters(), big.parameters()):
            assert torch.allclose(p, q, atol=1e-12)
        return losses, model, big
    side_by_side(script)


# --- Frozen layers and an optimizer over what still requires grad -------------------

def test_frozen_backbone_with_a_filtered_optimizer():
    inputs = DATA.normal(size=(3, 5, 4))
    targets = DATA.integers(0, 3, size=(3, 5))

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3))
        copy_weights(model)
        for layer in list(model.children())[:2]:
            layer.requires_grad_(False)
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        total = sum(p.numel() for p in model.parameters())
        optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()),
                                    lr=0.1, momentum=0.9, nesterov=True)
        losses = []
        for i in range(3):
            loss = nn.functional.cross_entropy(model(torch.from_numpy(inputs[i])),
                                               torch.from_numpy(targets[i]))
            optimizer.zero_grad()
            loss.backward()
            assert model[0].weight.grad is None and model[1].bias.grad is None
            optimizer.step()
            losses.append(loss.item())
        frozen_names = [n for n, p in model.named_parameters() if not p.requires_grad]
        return losses, trainable, total, frozen_names, model
    side_by_side(script)


# --- Evaluation: eval(), inference_mode, accuracy by argmax ------------------------

def test_evaluation_under_inference_mode_with_accuracy():
    inputs = DATA.normal(size=(4, 8, 6))
    targets = DATA.integers(0, 4, size=(4, 8))

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(6, 10, bias=False), nn.BatchNorm1d(10), nn.ReLU(),
                              nn.Dropout(0.5), nn.Linear(10, 4))
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
        for i in range(3):
            model.train()
            model[3].p = 0.0             # the dropout mask would differ between the runs
            loss = nn.functional.cross_entropy(model(torch.from_numpy(inputs[i])),
                                               torch.from_numpy(targets[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model[3].p = 0.5
        model.eval()
        correct, total, test_loss = 0, 0, 0.0
        with torch.inference_mode():
            x, y = torch.from_numpy(inputs[3]), torch.from_numpy(targets[3])
            output = model(x)
            assert not output.requires_grad
            test_loss += nn.functional.cross_entropy(output, y, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(y.view_as(pred)).sum().item()
            correct_too = output.argmax(dim=1).eq(y).sum().item()
            total += y.size(0)
            top2 = output.topk(2, dim=1).indices
            in_top2 = (top2 == y.unsqueeze(1)).any(dim=1).float().mean().item()
            probabilities = output.softmax(dim=-1)
        assert correct == correct_too and isinstance(correct, int)
        return test_loss / total, correct, in_top2, probabilities, model
    side_by_side(script)


# --- Stochastic weight averaging and an EMA model, with update_bn ------------------

def test_stochastic_weight_averaging_with_swalr_ema_and_update_bn():
    inputs = DATA.normal(size=(12, 5))
    targets = DATA.integers(0, 3, size=12)

    def script(torch, copy_weights):
        nn = torch.nn
        swa_utils = torch.optim.swa_utils
        DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset
        loader = DataLoader(TensorDataset(torch.from_numpy(inputs), torch.from_numpy(targets)),
                            batch_size=4)
        model = nn.Sequential(nn.Linear(5, 6, bias=False), nn.BatchNorm1d(6), nn.ReLU(),
                              nn.Linear(6, 3))
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        swa_model = swa_utils.AveragedModel(model)
        ema_model = swa_utils.AveragedModel(
            model, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.9), use_buffers=True)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
        swa_start = 2
        swa_scheduler = swa_utils.SWALR(optimizer, swa_lr=0.05, anneal_epochs=2)
        losses, lrs = [], []
        for epoch in range(6):
            for x, y in loader:
                optimizer.zero_grad()
                loss = nn.functional.cross_entropy(model(x), y)
                loss.backward()
                optimizer.step()
                ema_model.update_parameters(model)
                losses.append(loss.item())
            if epoch > swa_start:
                swa_model.update_parameters(model)
                swa_scheduler.step()
            else:
                scheduler.step()
            lrs.append(optimizer.param_groups[0]["lr"])
        swa_utils.update_bn(loader, swa_model)
        swa_model.eval()
        ema_model.eval()
        with torch.no_grad():
            x = torch.from_numpy(inputs)
            outputs = swa_model(x), ema_model(x)
        assert int(swa_model.n_averaged) == 3 and int(ema_model.n_averaged) == 18
        return losses, lrs, outputs, swa_model, ema_model
    side_by_side(script)
