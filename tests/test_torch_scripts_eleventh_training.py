"""The eleventh round of PyTorch scripts, training loops and module state (see
test_torch_scripts_eleventh.py for the method): a device-agnostic mixed-precision loop
(``torch.autocast`` and a ``GradScaler`` disabled on the CPU) with gradient accumulation,
``unscale_`` and ``clip_grad_norm_`` in its three norms; warm-up by ``ConstantLR`` into
``CosineAnnealingLR`` under ``SequentialLR`` beside ``CosineAnnealingWarmRestarts(T_mult=2)``
and a ``ReduceLROnPlateau`` with cooldown and ``threshold_mode='abs'``; a module with
``get_extra_state`` / ``set_extra_state``, a ``register_state_dict_pre_hook`` and a
``register_load_state_dict_post_hook``, loaded with ``strict=False`` into a grown model;
tied weights seen by ``named_parameters(remove_duplicate=False)``; a
``register_forward_pre_hook(with_kwargs=True)`` beside ``register_full_backward_pre_hook``;
``torch.no_grad()`` as a method decorator with ``enable_grad`` inside it; freezing by
``requires_grad_(False)`` with ``retain_grad`` on an activation; and the data tools
``random_split`` (by fractions), ``Subset`` and a padding ``collate_fn``."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(113)


def test_mixed_precision_style_loop_with_accumulation_unscale_and_clipping():
    x_values = DATA.normal(size=(12, 5))
    y_values = DATA.normal(size=(12, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        device = "cpu"
        model = nn.Sequential(nn.Linear(5, 8), nn.SiLU(), nn.Linear(8, 2))
        copy_weights(model)
        optimizer = torch.optim.AdamW(model.parameters(), lr=0.05, weight_decay=0.01)
        scaler = torch.amp.GradScaler(device, enabled=False)
        x, y = torch.from_numpy(x_values), torch.from_numpy(y_values)
        accumulation_steps, norms, losses = 3, [], []
        for epoch, norm_type in enumerate((2.0, 1.0, float("inf"))):
            for i in range(4):
                xb, yb = x[3 * i:3 * i + 3], y[3 * i:3 * i + 3]
                with torch.autocast(device_type=device, dtype=torch.float16,
                                    enabled=False):
                    loss = F.smooth_l1_loss(model(xb), yb, beta=0.5)
                    loss = loss / accumulation_steps
                scaler.scale(loss).backward()
                losses.append(loss.item())
                if (i + 1) % accumulation_steps == 0 or i == 3:
                    scaler.unscale_(optimizer)
                    norms.append(nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5,
                                                          norm_type=norm_type))
                    if norm_type == 1.0:
                        nn.utils.clip_grad_value_(model.parameters(), clip_value=0.05)
                    scaler.step(optimizer)
                    scaler.update()
                    optimizer.zero_grad(set_to_none=True)
        return losses, norms, model, scaler.get_scale(), scaler.is_enabled()
    side_by_side(script)


def test_warmup_into_cosine_beside_warm_restarts_and_plateau_with_cooldown():
    def script(torch, copy_weights):
        nn = torch.nn
        w = nn.Parameter(torch.tensor([1.0, -2.0]))
        runs = {}
        optimizer = torch.optim.SGD([w], lr=0.1, momentum=0.9)
        warmup = torch.optim.lr_scheduler.ConstantLR(optimizer, factor=0.25, total_iters=3)
        cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=6,
                                                            eta_min=1e-3)
        scheduler = torch.optim.lr_scheduler.SequentialLR(
            optimizer, schedulers=[warmup, cosine], milestones=[3])
        lrs = []
        for _ in range(10):
            optimizer.zero_grad()
            (w ** 2).sum().backward()
            optimizer.step()
            scheduler.step()
            lrs.append(scheduler.get_last_lr()[0])
        runs["sequential"] = (lrs, w.detach().clone())

        optimizer = torch.optim.Adam([w], lr=0.05)
        restarts = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
            optimizer, T_0=2, T_mult=2, eta_min=0.001)
        lrs = []
        for epoch in range(9):
            optimizer.zero_grad()
            (w ** 2).sum().backward()
            optimizer.step()
            restarts.step()
            lrs.append(optimizer.param_groups[0]["lr"])
        runs["restarts"] = (lrs, w.detach().clone(), restarts.T_cur, restarts.T_i)

        optimizer = torch.optim.SGD([w], lr=0.2)
        plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min", factor=0.5, patience=1, threshold=0.05,
            threshold_mode="abs", cooldown=2, min_lr=0.01)
        validation = [1.0, 0.99, 0.98, 0.97, 0.5, 0.49, 0.48, 0.47, 0.46, 0.45, 0.44]
        lrs = []
        for value in validation:
            plateau.step(value)
            lrs.append(optimizer.param_groups[0]["lr"])
        runs["plateau"] = (lrs, plateau.num_bad_epochs, plateau.cooldown_counter,
                           plateau.get_last_lr())
        return runs
    side_by_side(script)


def test_extra_state_and_state_dict_hooks_loaded_non_strictly_into_a_grown_model():
    x_values = DATA.normal(size=(6, 3))

    def script(torch, copy_weights):
        nn = torch.nn

        class Normalizer(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = nn.Linear(3, 3)
                self.seen = 0

            def forward(self, x):
                self.seen += len(x)
                return self.lin(x)

            def get_extra_state(self):
                return {"seen": self.seen}

            def set_extra_state(self, state):
                self.seen = state["seen"]

        class Grown(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = Normalizer()
                self.head = nn.Linear(3, 1)

            def forward(self, x):
                return self.head(self.body(x).relu())

        events = []
        old = nn.Sequential()
        old.body = Normalizer()
        copy_weights(old)
        old.body.register_state_dict_pre_hook(
            lambda module, prefix, keep_vars: events.append(("saving", prefix)))
        x = torch.from_numpy(x_values)
        old.body(x)
        old.body(x[:2])
        state = old.state_dict()
        keys = sorted(state)
        new = Grown()

        def after_load(module, incompatible_keys):
            events.append(("loaded", sorted(incompatible_keys.missing_keys)))

        new.register_load_state_dict_post_hook(after_load)
        result = new.load_state_dict(state, strict=False)
        with torch.no_grad():
            out = new.body(x)
        reference = old.body(x).detach()
        return (keys, state["body._extra_state"], sorted(result.missing_keys),
                sorted(result.unexpected_keys), events, new.body.seen, out, reference)
    side_by_side(script)


def test_tied_weights_seen_through_remove_duplicate_false():
    token_values = DATA.integers(0, 7, size=(3, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        # (the tie of two square Linears: an output layer tied to an Embedding is
        # refused here, a Linear's weight being (in, out): F.linear(x, embed.weight))
        class TiedLM(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(7, 4)
                self.encoder = nn.Linear(4, 4)
                self.decoder = nn.Linear(4, 4, bias=False)
                self.decoder.weight = self.encoder.weight
                self.out = nn.Linear(4, 7)

            def forward(self, tokens):
                return self.out(self.decoder(self.encoder(self.embed(tokens)).tanh()))

        model = TiedLM()
        copy_weights(model)
        names = [n for n, _ in model.named_parameters()]
        all_names = [n for n, _ in model.named_parameters(remove_duplicate=False)]
        modules = [n for n, _ in model.named_modules()]
        own = list(model.parameters(recurse=False))
        tokens = torch.from_numpy(token_values)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            logits = model(tokens[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, 7), tokens[:, 1:].reshape(-1))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        params = {"encoder.weight": model.encoder.weight.detach() * 0.5}
        halved = torch.func.functional_call(model, params, (tokens,), tie_weights=True)
        untied = torch.func.functional_call(model, params, (tokens,), tie_weights=False)
        return (names, all_names, modules, len(own), losses, model,
                model.decoder.weight is model.encoder.weight, halved, untied)
    side_by_side(script)


def test_forward_pre_hook_with_kwargs_beside_backward_pre_hook():
    x_values = DATA.normal(size=(4, 3))

    def script(torch, copy_weights):
        nn = torch.nn

        class Scaled(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = nn.Linear(3, 2)

            def forward(self, x, scale=1.0):
                return self.lin(x) * scale

        model = Scaled()
        copy_weights(model)
        seen, grads = [], []

        def double_scale(module, args, kwargs):
            seen.append(sorted(kwargs))
            kwargs = dict(kwargs, scale=kwargs.get("scale", 1.0) * 2)
            return args, kwargs

        def halve_output_grad(module, grad_output):
            grads.append(grad_output[0].detach().clone())
            return (grad_output[0] * 0.5,)

        model.register_forward_pre_hook(double_scale, with_kwargs=True)
        model.lin.register_full_backward_pre_hook(halve_output_grad)
        x = torch.from_numpy(x_values)
        out = model(x, scale=3.0)
        out.pow(2).sum().backward()
        bias_grad = model.lin.bias.grad.copy() if hasattr(model.lin.bias.grad, "copy") \
            else model.lin.bias.grad.clone()
        out2 = model(x)
        return seen, out, out2, grads, bias_grad
    side_by_side(script)


def test_no_grad_decorator_enable_grad_freezing_and_retain_grad():
    x_values = DATA.normal(size=(5, 3))

    def script(torch, copy_weights):
        nn = torch.nn

        class Probe(nn.Module):
            def __init__(self):
                super().__init__()
                self.backbone = nn.Linear(3, 4)
                self.head = nn.Linear(4, 1)

            @torch.no_grad()
            def embed(self, x):
                inside = self.backbone(x)
                with torch.enable_grad():
                    tracked = self.backbone(x).sum()
                return inside, inside.requires_grad, tracked.requires_grad

            def forward(self, x):
                return self.head(self.backbone(x).relu())

        model = Probe()
        copy_weights(model)
        model.backbone.requires_grad_(False)
        x = torch.from_numpy(x_values)
        inside, inside_tracked, enabled_tracked = model.embed(x)
        hidden = model.backbone(x)
        hidden.requires_grad_()
        hidden.retain_grad()
        activation = hidden.relu()
        activation.retain_grad()
        out = model.head(activation)
        out.sum().backward()
        trainable = [n for n, p in model.named_parameters() if p.requires_grad]
        return (inside, inside_tracked, enabled_tracked, hidden.grad, activation.grad,
                model.backbone.weight.grad is None, model.head.bias.grad, trainable)
    side_by_side(script)


def test_random_split_by_fractions_subset_and_padding_collate():
    lengths = [3, 5, 2, 4, 6, 1, 3, 2, 5, 4]
    sequences = [DATA.normal(size=(n, 2)) for n in lengths]

    def script(torch, copy_weights):
        data_tools = torch.utils.data
        DataLoader, Dataset, Subset, random_split = (
            data_tools.DataLoader, data_tools.Dataset, data_tools.Subset,
            data_tools.random_split)
        pad_sequence = torch.nn.utils.rnn.pad_sequence

        class Sequences(Dataset):
            def __len__(self):
                return len(sequences)

            def __getitem__(self, i):
                return torch.from_numpy(sequences[i]), i

        def collate(batch):
            items, ids = zip(*batch)
            lengths = torch.tensor([len(s) for s in items])
            return pad_sequence(items, batch_first=True, padding_value=-1.0), lengths, \
                torch.tensor(ids)

        data = Sequences()
        generator = torch.Generator().manual_seed(42)
        train, valid, test = random_split(data, [0.6, 0.2, 0.2], generator=generator)
        split = sorted(train.indices + valid.indices + test.indices)
        firsts = Subset(data, [0, 2, 4, 6])
        loader = DataLoader(firsts, batch_size=3, collate_fn=collate)
        batches = [(padded, lens, ids) for padded, lens, ids in loader]
        counts = [len(train), len(valid), len(test)]
        return counts, split, batches
    side_by_side(script)
