"""A fifth round of PyTorch scripts, each written once against a module named
``torch`` and run twice: with PyTorch, and with ``autodiff`` in its place, from the
same initial weights; losses per step and final weights must agree (float64 to 1e-10,
float32 to 1e-5).  Random parts take their draws from NumPy so both runs see the same
numbers.  Here: a GRU language model with gradient clipping and ReduceLROnPlateau, a
pre-norm Transformer classifier with a padding mask and a non-persistent positional
buffer, a U-Net block, an EMA copy made with deepcopy, dtype moves and
parameters_to_vector, parameter groups under SequentialLR, an optimizer state round
trip, a checkpoint saved and loaded, label smoothing with class weights and ignored
targets, and MultiheadAttention with masks (more in test_torch_scripts_fifth_more.py)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(5)


# --- A GRU language model with clip_grad_norm_ and ReduceLROnPlateau ----------------

def test_gru_language_model_with_clipping_and_reduce_lr_on_plateau():
    text = DATA.integers(0, 7, size=(6, 3, 9))

    def script(torch, copy_weights):
        nn = torch.nn

        class CharRNN(nn.Module):
            def __init__(self, vocab, embed, hidden):
                super().__init__()
                self.embedding = nn.Embedding(vocab, embed)
                self.rnn = nn.GRU(embed, hidden, num_layers=2, batch_first=True)
                self.fc = nn.Linear(hidden, vocab)

            def forward(self, x, h=None):
                out, h = self.rnn(self.embedding(x), h)
                return self.fc(out), h

        model = CharRNN(7, 5, 6)
        copy_weights(model)
        criterion = nn.CrossEntropyLoss()
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min",
                                                               factor=0.5, patience=0)
        losses, norms, lrs, val_losses = [], [], [], []
        for epoch in range(4):
            model.train()
            batch = torch.from_numpy(text[epoch])
            inputs, targets = batch[:, :-1], batch[:, 1:]
            logits, hidden = model(inputs)
            loss = criterion(logits.reshape(-1, 7), targets.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            norms.append(float(nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)))
            optimizer.step()
            losses.append(loss.item())
            model.eval()
            with torch.no_grad():
                val = torch.from_numpy(text[5])
                val_logits, _ = model(val[:, :-1], hidden.detach())
                val_loss = criterion(val_logits.reshape(-1, 7), val[:, 1:].reshape(-1))
            scheduler.step(val_loss)
            val_losses.append(val_loss.item())
            lrs.append(optimizer.param_groups[0]["lr"])
        return losses, norms, lrs, val_losses, model
    side_by_side(script)


# --- A pre-norm Transformer classifier with a key padding mask ---------------------

def test_pre_norm_transformer_classifier_with_padding_mask_and_positional_buffer():
    tokens = DATA.integers(1, 9, size=(4, 3, 6))
    lengths = np.array([[6, 4, 2], [5, 6, 3], [2, 2, 6], [6, 1, 4]])
    labels = DATA.integers(0, 2, size=(4, 3))

    def script(torch, copy_weights):
        nn = torch.nn

        class PositionalEncoding(nn.Module):
            def __init__(self, d_model, max_len=16):
                super().__init__()
                position = torch.arange(max_len).unsqueeze(1)
                div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
                pe = torch.zeros(1, max_len, d_model)
                pe[0, :, 0::2] = torch.sin(position * div_term)
                pe[0, :, 1::2] = torch.cos(position * div_term)
                self.register_buffer("pe", pe, persistent=False)

            def forward(self, x):
                return x + self.pe[:, :x.size(1)]

        class Classifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(9, 8, padding_idx=0)
                self.pos = PositionalEncoding(8)
                layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16,
                                                   dropout=0.0, batch_first=True,
                                                   norm_first=True)
                self.encoder = nn.TransformerEncoder(layer, num_layers=2,
                                                     enable_nested_tensor=False)
                self.head = nn.Linear(8, 2)

            def forward(self, src, pad_mask):
                h = self.encoder(self.pos(self.embed(src) * math.sqrt(8)),
                                 src_key_padding_mask=pad_mask)
                keep = (~pad_mask).unsqueeze(-1).to(h.dtype)
                return self.head((h * keep).sum(1) / keep.sum(1))

        model = Classifier()
        assert "pos.pe" not in model.state_dict()
        assert "pos.pe" in dict(model.named_buffers())
        copy_weights(model)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
        losses = []
        for i in range(4):
            pad_mask = torch.arange(6)[None, :] >= torch.from_numpy(lengths[i])[:, None]
            src = torch.from_numpy(tokens[i]).masked_fill(pad_mask, 0)
            loss = nn.functional.cross_entropy(model(src, pad_mask),
                                               torch.from_numpy(labels[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model
    side_by_side(script)


# --- A U-Net-ish block: interpolate, cat skip, GroupNorm ---------------------------

def test_unet_block_with_interpolate_cat_and_group_norm():
    images = DATA.normal(size=(3, 2, 2, 8, 8))
    masks = DATA.normal(size=(3, 2, 1, 8, 8))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        def double_conv(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                                 nn.GroupNorm(2, cout), nn.SiLU(inplace=True),
                                 nn.Conv2d(cout, cout, 3, padding=1, bias=False),
                                 nn.GroupNorm(2, cout), nn.SiLU(inplace=True))

        class TinyUNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.down1, self.down2 = double_conv(2, 4), double_conv(4, 8)
                self.pool = nn.MaxPool2d(2)
                self.up1 = double_conv(8 + 4, 4)
                self.out = nn.Conv2d(4, 1, kernel_size=1)

            def forward(self, x):
                skip = self.down1(x)
                bottom = self.down2(self.pool(skip))
                nearest = F.interpolate(bottom, scale_factor=2, mode="nearest")
                smooth = F.interpolate(bottom, scale_factor=2, mode="bilinear",
                                       align_corners=False)
                up = torch.cat([(nearest + smooth) / 2, skip], dim=1)
                return self.out(self.up1(up))

        model = TinyUNet()
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        losses = []
        for i in range(3):
            out = model(torch.from_numpy(images[i]))
            loss = F.mse_loss(out, torch.from_numpy(masks[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model
    side_by_side(script)


# --- An exponential moving average of the weights, on a deepcopy -------------------

def test_ema_of_weights_on_a_deepcopy():
    inputs = DATA.normal(size=(4, 5, 3))
    targets = DATA.normal(size=(4, 5, 1))

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
        copy_weights(model)
        ema = copy.deepcopy(model)
        for p in ema.parameters():
            p.requires_grad_(False)
        assert all(p is not q for p, q in zip(ema.parameters(), model.parameters()))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        decay, losses, ema_losses = 0.9, [], []

        @torch.no_grad()
        def update_ema():
            for p_ema, p in zip(ema.parameters(), model.parameters()):
                p_ema.mul_(decay).add_(p, alpha=1 - decay)

        for i in range(4):
            x, y = torch.from_numpy(inputs[i]), torch.from_numpy(targets[i])
            loss = nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            update_ema()
            losses.append(loss.item())
            with torch.no_grad():
                ema_losses.append(nn.functional.mse_loss(ema(x), y).item())
        assert not any(p.requires_grad for p in ema.parameters())
        return losses, ema_losses, model, ema
    side_by_side(script)


# --- dtype moves and parameters_to_vector ------------------------------------------

def test_dtype_moves_and_parameters_to_vector_in_float32():
    inputs = DATA.normal(size=(3, 6, 4)).astype(np.float32)
    targets = DATA.normal(size=(3, 6, 2)).astype(np.float32)

    def script(torch, copy_weights):
        nn = torch.nn
        parameters_to_vector = nn.utils.parameters_to_vector
        vector_to_parameters = nn.utils.vector_to_parameters
        model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
        copy_weights(model)
        model.float()
        assert all(p.dtype == torch.float32 for p in model.parameters())
        assert model.half()[0].weight.dtype == torch.float16
        model.to(torch.float64)
        assert model[2].bias.dtype == torch.float64
        model = model.float()
        flat = parameters_to_vector(model.parameters())
        assert flat.shape == (4 * 5 + 5 + 5 * 2 + 2,) and flat.dtype == torch.float32
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
        losses, vectors = [], [flat.detach().clone()]
        # a Linear's weight is (in, out) here, (out, in) in PyTorch: the same entries in
        # another order, so the vectors are compared sorted
        for i in range(3):
            x, y = torch.from_numpy(inputs[i]), torch.from_numpy(targets[i])
            loss = nn.functional.smooth_l1_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            vectors.append(parameters_to_vector(model.parameters()).detach().clone())
        with torch.no_grad():
            vector_to_parameters(vectors[0] * 0.5, model.parameters())
        assert model[0].weight.dtype == torch.float32
        return losses, [v.sort(dim=0).values for v in vectors], model
    side_by_side(script, tol=1e-5)


# --- Parameter groups with LinearLR then cosine, in SequentialLR --------------------

def test_param_groups_with_sequential_lr_of_linear_warmup_and_cosine():
    inputs = DATA.normal(size=(8, 5, 4))
    targets = DATA.integers(0, 3, size=(8, 5))

    def script(torch, copy_weights):
        nn = torch.nn
        schedulers = torch.optim.lr_scheduler
        CosineAnnealingLR, LinearLR = schedulers.CosineAnnealingLR, schedulers.LinearLR
        SequentialLR = schedulers.SequentialLR
        model = nn.Sequential(nn.Linear(4, 6), nn.GELU(), nn.Linear(6, 3))
        copy_weights(model)
        decay = [p for n, p in model.named_parameters() if n.endswith("weight")]
        no_decay = [p for n, p in model.named_parameters() if n.endswith("bias")]
        optimizer = torch.optim.SGD([{"params": decay, "weight_decay": 1e-2},
                                     {"params": no_decay, "weight_decay": 0.0, "lr": 0.05}],
                                    lr=0.1, momentum=0.9)
        warmup = LinearLR(optimizer, start_factor=0.1, total_iters=3)
        cosine = CosineAnnealingLR(optimizer, T_max=5, eta_min=1e-3)
        scheduler = SequentialLR(optimizer, schedulers=[warmup, cosine], milestones=[3])
        losses, lrs = [], []
        for i in range(8):
            loss = nn.functional.cross_entropy(model(torch.from_numpy(inputs[i])),
                                               torch.from_numpy(targets[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            lrs.append(scheduler.get_last_lr())
        return losses, lrs, model
    side_by_side(script)


# --- An optimizer's state_dict round trip mid-training -----------------------------

def test_optimizer_state_dict_round_trip_continues_identically():
    inputs = DATA.normal(size=(6, 4, 3))
    targets = DATA.normal(size=(6, 4, 2))

    def script(torch, copy_weights):
        nn = torch.nn

        def make():
            model = nn.Sequential(nn.Linear(3, 4), nn.Softplus(), nn.Linear(4, 2))
            return model, torch.optim.Adam(model.parameters(), lr=0.02, amsgrad=True)

        def train(model, optimizer, steps):
            losses = []
            for i in steps:
                loss = nn.functional.l1_loss(model(torch.from_numpy(inputs[i])),
                                             torch.from_numpy(targets[i]))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            return losses

        model, optimizer = make()
        copy_weights(model)
        first = train(model, optimizer, range(3))
        model_state = copy.deepcopy(model.state_dict())
        optimizer_state = copy.deepcopy(optimizer.state_dict())
        straight_on = train(model, optimizer, range(3, 6))
        resumed_model, resumed_optimizer = make()
        resumed_model.load_state_dict(model_state)
        resumed_optimizer.load_state_dict(optimizer_state)
        resumed = train(resumed_model, resumed_optimizer, range(3, 6))
        assert resumed == straight_on
        return first, straight_on, model, resumed_model
    side_by_side(script)


# --- A checkpoint of model and optimizer, saved and loaded -------------------------

def test_checkpoint_of_model_and_optimizer_saved_and_loaded(tmp_path):
    inputs = DATA.normal(size=(4, 5, 3))
    targets = DATA.integers(0, 2, size=(4, 5)).astype(np.float64)

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
        copy_weights(model)
        optimizer = torch.optim.RMSprop(model.parameters(), lr=0.01, momentum=0.5)
        criterion = nn.BCEWithLogitsLoss()

        def step(m, opt, i):
            loss = criterion(m(torch.from_numpy(inputs[i])).squeeze(1),
                             torch.from_numpy(targets[i]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss.item()

        losses = [step(model, optimizer, i) for i in range(2)]
        path = tmp_path / f"checkpoint_{torch.__name__}.pt"
        torch.save({"epoch": 2, "model_state_dict": model.state_dict(),
                    "optimizer_state_dict": optimizer.state_dict(), "loss": losses[-1]},
                   path)
        restored = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
        restored_optimizer = torch.optim.RMSprop(restored.parameters(), lr=0.01, momentum=0.5)
        checkpoint = torch.load(path, weights_only=True)
        restored.load_state_dict(checkpoint["model_state_dict"])
        restored_optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
        assert checkpoint["epoch"] == 2 and checkpoint["loss"] == losses[-1]
        restored.train()
        later = [step(restored, restored_optimizer, i) for i in range(2, 4)]
        assert later == [step(model, optimizer, i) for i in range(2, 4)]
        return losses, later, restored
    side_by_side(script)


# --- Cross entropy with label smoothing, class weights and ignored targets ---------

def test_cross_entropy_with_label_smoothing_weights_and_ignore_index():
    inputs = DATA.normal(size=(3, 6, 4))
    targets = DATA.integers(0, 3, size=(3, 6))
    targets[:, ::3] = -100
    probabilities = DATA.dirichlet(np.ones(3), size=(3, 6))

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(4, 5), nn.Mish(), nn.Linear(5, 3))
        copy_weights(model)
        weight = torch.tensor([1.0, 2.0, 0.5])
        criterion = nn.CrossEntropyLoss(weight=weight, label_smoothing=0.1, ignore_index=-100)
        summed = nn.CrossEntropyLoss(label_smoothing=0.2, reduction="sum")
        optimizer = torch.optim.Adagrad(model.parameters(), lr=0.1)
        losses, soft_losses = [], []
        for i in range(3):
            logits = model(torch.from_numpy(inputs[i]))
            target = torch.from_numpy(targets[i])
            loss = criterion(logits, target)
            soft = summed(logits, torch.from_numpy(probabilities[i]))
            optimizer.zero_grad()
            (loss + 0.1 * soft).backward()
            optimizer.step()
            losses.append(loss.item())
            soft_losses.append(soft.item())
        per_sample = nn.functional.cross_entropy(logits, target, weight=weight,
                                                 label_smoothing=0.1, reduction="none")
        return losses, soft_losses, per_sample, model
    side_by_side(script)


# --- MultiheadAttention with boolean and float masks -------------------------------

def test_multihead_attention_with_bool_and_float_masks():
    sequences = DATA.normal(size=(3, 2, 5, 8))
    padding = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]], dtype=bool)

    def script(torch, copy_weights):
        nn = torch.nn
        attention = nn.MultiheadAttention(embed_dim=8, num_heads=2, batch_first=True)
        copy_weights(attention)
        causal_bool = torch.triu(torch.ones(5, 5, dtype=torch.bool), diagonal=1)
        causal_float = torch.zeros(5, 5).masked_fill(causal_bool, float("-inf"))
        optimizer = torch.optim.SGD(attention.parameters(), lr=0.1)
        losses, weights_seen = [], []
        for i in range(3):
            x = torch.from_numpy(sequences[i])
            pad_bool = torch.from_numpy(padding)
            pad_float = torch.zeros(2, 5).masked_fill(pad_bool, float("-inf"))
            out_bool, none = attention(x, x, x, attn_mask=causal_bool,
                                       key_padding_mask=pad_bool, need_weights=False)
            assert none is None
            out_float, weights = attention(x, x, x, attn_mask=causal_float,
                                           key_padding_mask=pad_float,
                                           average_attn_weights=False)
            assert weights.shape == (2, 2, 5, 5)
            loss = out_bool.pow(2).mean() + out_float.abs().mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            weights_seen.append(weights)
        return losses, weights_seen, attention
    side_by_side(script)
